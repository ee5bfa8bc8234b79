/*
 * Fuzz target: the attestation token verifier (host/verify.c, libcbor and
 * mbedTLS underneath). The input is a token file; the platform key is
 * fixed: the P-384 scalar d[0] = 0x2a, d[i] = 31 + 7 i (i = 1..47), the
 * one test_host_attest.c provisions, so the seed corpus
 * (tests/fuzz/corpus/token/, a token a realm made on a machine with that
 * key, and broken variants) starts from inputs that verify. Beyond the
 * sanitizers, the contract is the oracle: 0 with consistent claims (RIM and
 * REMs as long as the realm hash algorithm says, a 64-byte challenge, a
 * binding-sized platform challenge), or a negative errno with a message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/machine_keys.h"
#include "host/verify.h"

static char pem[1024];

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "fuzz_token: contract broken: %s\n", what);
		abort();
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct machine_attest_keys keys;
	struct rb_err err;

	memset(&keys, 0, sizeof(keys));
	for (unsigned i = 0; i < MACHINE_ATTEST_KEY_SIZE; i++)
		keys.platform_key[i] = (uint8_t)(31 + i * 7);
	keys.platform_key[0] = 0x2a;
	if (host_machine_pubkey_pem(&keys, pem, sizeof(pem), &err) != 0) {
		fprintf(stderr, "fuzz_token: %s\n", err.msg);
		abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct verify_claims c;
	struct rb_err err;
	int ret;

	rb_err_clear(&err);
	ret = host_verify_token(data, size, pem, NULL, &c, &err);
	if (ret) {
		check(ret < 0, "negative errno");
		check(err.errnum == -ret && err.msg[0] != '\0', "a reason");
		return 0;
	}
	check(c.challenge.len == 64, "realm challenge of 64 bytes");
	check(c.rim.len == 32 || c.rim.len == 48 || c.rim.len == 64, "RIM length");
	for (unsigned i = 0; i < VERIFY_NR_REMS; i++)
		check(c.rem[i].len == c.rim.len, "REM length");
	check(c.plat_challenge.len == 32 || c.plat_challenge.len == 48 ||
		      c.plat_challenge.len == 64,
	      "platform challenge length");
	check(c.nsw >= 1 && c.nsw <= VERIFY_MAX_SW, "sw-components");
	return 0;
}
