/*
 * Attestation end to end: RSI_ATTESTATION_TOKEN_INIT/CONTINUE from a
 * realm (native guests) — steps answered RSI_INCOMPLETE, wrong order, bad
 * buffers, a realm asking twice, a machine without keys — the monitor's
 * EL3 calls (refused from the wrong caller or with a bad buffer), and the
 * host verifier on a token a realm produced: it passes, and each tampering
 * fails with its own reason.
 */
#include "rec_test_util.h"

#include <stdlib.h>

#include "arch/rsi.h"
#include "boot/tcb_measure.h"
#include "host/machine_keys.h"
#include "host/verify.h"
#include "monitor/attest.h"

#define PC_MAIN 0x1000ULL
#define BUF_IPA (RT_IPA_DATA + 2 * GRANULE_SIZE)
#define NR_RESULTS 128
#define TOKEN_MAX 4096

/* What the guest saw. */
static struct {
	unsigned n;
	struct smc_regs r[NR_RESULTS];
	uint8_t challenge[64], challenge2[64];
	uint64_t chunk, offset;
	unsigned reinit_after; /* 0: never; else INIT(challenge2) after this many CONTINUEs */
	uint8_t token[TOKEN_MAX];
	size_t token_len;
	uint8_t rim[64];
} gr;

static struct machine_attest_keys keys;

static void rec_result(const struct smc_regs *r)
{
	if (gr.n < NR_RESULTS)
		gr.r[gr.n++] = *r;
}

static uint64_t call(struct native_guest *g, uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3)
{
	struct smc_regs r;

	rt_smc(g, fid, a1, a2, a3, 0, &r);
	rec_result(&r);
	return r.x[0];
}

static uint64_t init(struct native_guest *g, const uint8_t challenge[64])
{
	struct smc_regs r = {.x = {SMC_RSI_ATTEST_TOKEN_INIT}};

	memcpy(&r.x[1], challenge, 64);
	native_guest_smc(g, &r);
	rec_result(&r);
	return r.x[0];
}

static void test_key_bytes(uint8_t *d, uint8_t seed)
{
	for (unsigned i = 0; i < MACHINE_ATTEST_KEY_SIZE; i++)
		d[i] = (uint8_t)(seed * 31 + i * 7);
	d[0] = 0x2a;
}

/* Provision the booted machine as machine_boot would with keys. */
static void provision(uint8_t rak_seed)
{
	struct monitor_attest_config ac;

	test_key_bytes(keys.platform_key, 1);
	test_key_bytes(keys.realm_key, rak_seed);
	memset(&ac, 0, sizeof(ac));
	memcpy(ac.platform_key, keys.platform_key, sizeof(ac.platform_key));
	memcpy(ac.realm_key, keys.realm_key, sizeof(ac.realm_key));
	machine_tcb_claims(&ac, th_layout.dram_size);
	assert_int_equal(monitor_attest_provision(&ac), 0);
}

static int setup(void **state)
{
	memset(&gr, 0, sizeof(gr));
	gr.chunk = 0x100;
	gr.offset = 0x80;
	for (unsigned i = 0; i < 64; i++) {
		gr.challenge[i] = (uint8_t)(0xC0 + i);
		gr.challenge2[i] = (uint8_t)(0x20 + i);
	}
	th_setup(state);
	provision(2);
	return 0;
}

static int teardown(void **state)
{
	rt_cleanup();
	plat_native_guest_unregister(PC_MAIN);
	return th_teardown(state);
}

/* ---- The guest: get a whole token ---------------------------------------- */

static void guest_token(struct native_guest *g, const uint64_t gprs[8])
{
	struct smc_regs r;
	unsigned continues = 0;

	rt_smc(g, SMC_RSI_MEASUREMENT_READ, 0, 0, 0, 0, &r);
	memcpy(gr.rim, &r.x[1], 64);
	if (init(g, gr.challenge) != RSI_SUCCESS)
		return;
	for (unsigned i = 0; i < NR_RESULTS - 4; i++) {
		uint64_t st = call(g, SMC_RSI_ATTEST_TOKEN_CONTINUE, BUF_IPA, gr.offset, gr.chunk);
		uint64_t n = gr.r[gr.n - 1].x[1];

		if (st != RSI_SUCCESS && st != RSI_INCOMPLETE)
			return;
		if (n > gr.chunk || n > sizeof(gr.token) - gr.token_len)
			return;
		native_guest_read(g, BUF_IPA + gr.offset, gr.token + gr.token_len, n);
		gr.token_len += n;
		if (st == RSI_SUCCESS)
			break;
		if (++continues == gr.reinit_after) {
			/* Ask again with another challenge: starts over. */
			gr.token_len = 0;
			init(g, gr.challenge2);
		}
	}
	/* Delivered: nothing in progress any more. */
	call(g, SMC_RSI_ATTEST_TOKEN_CONTINUE, BUF_IPA, gr.offset, gr.chunk);
}

/* A realm with one REC running fn until it returns. */
static void run_guest(native_guest_fn fn)
{
	struct rt_realm rr;

	rt_guest(PC_MAIN, fn);
	rt_realm_build(&rr, PC_MAIN);
	rt_run_to_end(&rr, 0);
}

static void get_token(void)
{
	run_guest(guest_token);
	assert_true(gr.token_len > 0);
}

static char *platform_pem(void)
{
	static char pem[1024];
	struct rb_err err;

	assert_int_equal(host_machine_pubkey_pem(&keys, pem, sizeof(pem), &err), 0);
	return pem;
}

static int verify(const uint8_t *tok, size_t len, const char *pem, const uint8_t *challenge,
		  const uint8_t *rim, struct rb_err *err)
{
	static struct verify_claims c;
	struct verify_expect ex = {.challenge = challenge,
				   .challenge_len = challenge ? 64 : 0,
				   .rim = rim,
				   .rim_len = rim ? 32 : 0};

	rb_err_clear(err);
	return host_verify_token(tok, len, pem, &ex, &c, err);
}

static void expect_reject(const uint8_t *tok, size_t len, const char *pem, const char *reason)
{
	struct rb_err err;

	assert_int_not_equal(verify(tok, len, pem, gr.challenge, gr.rim, &err), 0);
	if (!strstr(err.msg, reason))
		fail_msg("expected \"%s\", got \"%s\"", reason, err.msg);
}

/* ---- RSI state machine ------------------------------------------------------ */

static void test_token_steps_and_verify(void **state)
{
	struct verify_claims c;
	struct verify_expect ex = {
		.challenge = gr.challenge, .challenge_len = 64, .rim = gr.rim, .rim_len = 32};
	struct rb_err err;
	unsigned copies;

	get_token();
	/* INIT: success, upper bound one granule. */
	assert_int_equal(gr.r[0].x[0], RSI_SUCCESS);
	assert_int_equal(gr.r[0].x[1], GRANULE_SIZE);
	/* Two work steps (claims, signature): INCOMPLETE, nothing written. */
	for (unsigned i = 1; i <= 2; i++) {
		assert_int_equal(gr.r[i].x[0], RSI_INCOMPLETE);
		assert_int_equal(gr.r[i].x[1], 0);
	}
	/* Then at most `chunk` bytes per call; SUCCESS with the last ones. */
	copies = (unsigned)((gr.token_len + gr.chunk - 1) / gr.chunk);
	assert_int_equal(gr.n, 1 + 2 + copies + 1);
	for (unsigned i = 3; i < 2 + copies; i++) {
		assert_int_equal(gr.r[i].x[0], RSI_INCOMPLETE);
		assert_int_equal(gr.r[i].x[1], gr.chunk);
	}
	assert_int_equal(gr.r[2 + copies].x[0], RSI_SUCCESS);
	assert_int_equal(gr.r[2 + copies].x[1], gr.token_len - (copies - 1) * gr.chunk);
	/* After delivery: no token in progress. */
	assert_int_equal(gr.r[3 + copies].x[0], RSI_ERROR_STATE);
	assert_int_equal(gr.r[3 + copies].x[1], 0);

	rb_err_clear(&err);
	if (host_verify_token(gr.token, gr.token_len, platform_pem(), &ex, &c, &err))
		fail_msg("verify: %s", err.msg);
	assert_memory_equal(c.challenge.b, gr.challenge, 64);
	assert_memory_equal(c.rim.b, gr.rim, 32);
	assert_string_equal(c.realm_hash_algo, "sha-256");
	assert_int_equal(c.nsw, 2);
	assert_string_equal(c.sw[0].type, "BL31");
	assert_string_equal(c.sw[1].type, "RMM");
}

static void test_token_whole_granule_chunks(void **state)
{
	gr.offset = 0;
	gr.chunk = GRANULE_SIZE;
	get_token();
	/* INIT, two work steps, one copy (the token fits a granule), the extra call. */
	assert_int_equal(gr.n, 5);
	assert_int_equal(gr.r[3].x[0], RSI_SUCCESS);
	assert_int_equal(gr.r[3].x[1], gr.token_len);
	struct rb_err err;
	if (verify(gr.token, gr.token_len, platform_pem(), gr.challenge, gr.rim, &err))
		fail_msg("verify: %s", err.msg);
}

static void guest_wrong_order(struct native_guest *g, const uint64_t gprs[8])
{
	call(g, SMC_RSI_ATTEST_TOKEN_CONTINUE, BUF_IPA, 0, 0x100); /* before INIT */
}

static void test_continue_before_init(void **state)
{
	run_guest(guest_wrong_order);
	assert_int_equal(gr.n, 1);
	assert_int_equal(gr.r[0].x[0], RSI_ERROR_STATE);
	assert_int_equal(gr.r[0].x[1], 0);
}

static void guest_bad_buffers(struct native_guest *g, const uint64_t gprs[8])
{
	init(g, gr.challenge);
	/* 1..9: refused, nothing done. */
	call(g, SMC_RSI_ATTEST_TOKEN_CONTINUE, BUF_IPA + 8, 0, 0x100);	       /* unaligned */
	call(g, SMC_RSI_ATTEST_TOKEN_CONTINUE, RT_UNPROT_BASE, 0, 0x100);      /* unprotected */
	call(g, SMC_RSI_ATTEST_TOKEN_CONTINUE, 1ULL << RT_IPA_BITS, 0, 0x100); /* outside */
	call(g, SMC_RSI_ATTEST_TOKEN_CONTINUE, BUF_IPA, GRANULE_SIZE, 1);      /* offset */
	call(g, SMC_RSI_ATTEST_TOKEN_CONTINUE, BUF_IPA, 0, 0);		       /* size 0 */
	call(g, SMC_RSI_ATTEST_TOKEN_CONTINUE, BUF_IPA, 0xF00, 0x200);	       /* crosses */
	call(g, SMC_RSI_ATTEST_TOKEN_CONTINUE, BUF_IPA, 0, ~0ULL);	       /* huge */
	call(g, SMC_RSI_ATTEST_TOKEN_CONTINUE, RT_IPA_RAM_UNASSIGNED, 0, 0x100);
	call(g, SMC_RSI_ATTEST_TOKEN_CONTINUE, RT_IPA_EMPTY, 0, 0x100);
	/* 10..12: the token is still at its first step. */
	call(g, SMC_RSI_ATTEST_TOKEN_CONTINUE, BUF_IPA, 0, 0x100);
	call(g, SMC_RSI_ATTEST_TOKEN_CONTINUE, BUF_IPA, 0, 0x100);
	call(g, SMC_RSI_ATTEST_TOKEN_CONTINUE, BUF_IPA, 0, 0x100);
}

static void test_bad_buffers(void **state)
{
	run_guest(guest_bad_buffers);
	assert_int_equal(gr.n, 13);
	for (unsigned i = 1; i <= 9; i++) {
		assert_int_equal(gr.r[i].x[0], RSI_ERROR_INPUT);
		assert_int_equal(gr.r[i].x[1], 0);
	}
	assert_int_equal(gr.r[10].x[0], RSI_INCOMPLETE);
	assert_int_equal(gr.r[10].x[1], 0);
	assert_int_equal(gr.r[11].x[0], RSI_INCOMPLETE);
	assert_int_equal(gr.r[11].x[1], 0);
	assert_int_equal(gr.r[12].x[0], RSI_INCOMPLETE);
	assert_int_equal(gr.r[12].x[1], 0x100);
}

static void test_init_twice(void **state)
{
	struct rb_err err;

	/* INIT(A), claims, signature, one chunk copied, then INIT(B). */
	gr.reinit_after = 3;
	get_token();
	if (verify(gr.token, gr.token_len, platform_pem(), gr.challenge2, gr.rim, &err))
		fail_msg("verify: %s", err.msg);
	assert_int_not_equal(
		verify(gr.token, gr.token_len, platform_pem(), gr.challenge, gr.rim, &err), 0);
	assert_non_null(strstr(err.msg, "challenge mismatch"));
}

static void test_same_realm_two_tokens(void **state)
{
	uint8_t first[TOKEN_MAX];
	size_t first_len;
	struct rb_err err;

	get_token();
	memcpy(first, gr.token, gr.token_len);
	first_len = gr.token_len;
	/* A second realm on the same machine, another challenge. */
	memcpy(gr.challenge, gr.challenge2, 64);
	gr.n = 0;
	gr.token_len = 0;
	rt_cleanup();
	get_token();
	if (verify(gr.token, gr.token_len, platform_pem(), gr.challenge2, gr.rim, &err))
		fail_msg("verify: %s", err.msg);
	assert_int_equal(first_len, gr.token_len);
	assert_memory_not_equal(first, gr.token, first_len);
}

static void test_no_attestation_service(void **state)
{
	monitor_attest_forget();
	run_guest(guest_token);
	/* INIT accepted; the first step finds no key in EL3: ERROR_STATE, reset. */
	assert_int_equal(gr.r[0].x[0], RSI_SUCCESS);
	assert_int_equal(gr.r[1].x[0], RSI_ERROR_STATE);
	assert_int_equal(gr.token_len, 0);
}

static void test_sha512_realm(void **state)
{
	static const uint64_t pc = PC_MAIN, flags = RMI_REC_FLAG_RUNNABLE;
	struct rmi_realm_params p;
	struct verify_claims c;
	struct verify_expect ex = {
		.challenge = gr.challenge, .challenge_len = 64, .rim = gr.rim, .rim_len = 64};
	struct rt_realm rr;
	struct rb_err err;

	th_default_params(&p, 7);
	p.hash_algo = RMI_HASH_SHA_512;
	rt_guest(PC_MAIN, guest_token);
	rt_realm_build_ex(&rr, &p, 1, &pc, &flags, NULL, true);
	rt_run_to_end(&rr, 0);
	rb_err_clear(&err);
	if (host_verify_token(gr.token, gr.token_len, platform_pem(), &ex, &c, &err))
		fail_msg("verify: %s", err.msg);
	assert_string_equal(c.realm_hash_algo, "sha-512");
	assert_int_equal(c.rim.len, 64);
	assert_int_equal(c.rem[0].len, 64);
}

/* ---- EL3 calls ------------------------------------------------------------------ */

static void test_el3_calls(void **state)
{
	uint64_t ns = th_ns_granule(), rl = th_delegated_granule();
	uint8_t zero[GRANULE_SIZE] = {0}, buf[GRANULE_SIZE];
	struct plat_fault f;
	struct smc_regs res;

	/* The Normal world and the Secure world are not the RMM. */
	assert_int_equal(
		plat_smc6(PAS_NS, SMC_RMM_ATTEST_GET_REALM_KEY, ns, GRANULE_SIZE, 0, 0, 0, 0, &res),
		SMC_UNKNOWN);
	assert_int_equal(
		plat_smc6(PAS_NS, SMC_RMM_GET_PLAT_TOKEN, ns, GRANULE_SIZE, 32, 0, 0, 0, &res),
		SMC_UNKNOWN);
	assert_int_equal(plat_smc6(PAS_SECURE, SMC_RMM_ATTEST_GET_REALM_KEY, rl, GRANULE_SIZE, 0, 0,
				   0, 0, &res),
			 SMC_UNKNOWN);
	assert_int_equal(host_mem_read(ns, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, zero, sizeof(buf));

	/* The RMM with a buffer that is not Realm memory, or bad arguments. */
	assert_int_equal(plat_smc6(PAS_REALM, SMC_RMM_ATTEST_GET_REALM_KEY, ns, GRANULE_SIZE, 0, 0,
				   0, 0, &res),
			 (uint64_t)E_RMM_BAD_PAS);
	assert_int_equal(host_mem_read(ns, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, zero, sizeof(buf));
	assert_int_equal(
		plat_smc6(PAS_REALM, SMC_RMM_GET_PLAT_TOKEN, ns, GRANULE_SIZE, 32, 0, 0, 0, &res),
		(uint64_t)E_RMM_BAD_PAS);
	assert_int_equal(plat_smc6(PAS_REALM, SMC_RMM_ATTEST_GET_REALM_KEY, th_layout.root_base,
				   GRANULE_SIZE, 0, 0, 0, 0, &res),
			 (uint64_t)E_RMM_BAD_PAS);
	assert_int_equal(
		plat_smc6(PAS_REALM, SMC_RMM_ATTEST_GET_REALM_KEY, rl + 8, 64, 0, 0, 0, 0, &res),
		(uint64_t)E_RMM_BAD_ADDR);
	assert_int_equal(plat_smc6(PAS_REALM, SMC_RMM_ATTEST_GET_REALM_KEY, rl, GRANULE_SIZE + 1, 0,
				   0, 0, 0, &res),
			 (uint64_t)E_RMM_BAD_ADDR);
	assert_int_equal(plat_smc6(PAS_REALM, SMC_RMM_ATTEST_GET_REALM_KEY, 0x1000, GRANULE_SIZE, 0,
				   0, 0, 0, &res),
			 (uint64_t)E_RMM_BAD_ADDR);
	assert_int_equal(plat_smc6(PAS_REALM, SMC_RMM_ATTEST_GET_REALM_KEY, rl, GRANULE_SIZE, 1, 0,
				   0, 0, &res),
			 (uint64_t)E_RMM_INVAL);
	assert_int_equal(
		plat_smc6(PAS_REALM, SMC_RMM_ATTEST_GET_REALM_KEY, rl, 16, 0, 0, 0, 0, &res),
		(uint64_t)E_RMM_NOMEM);
	assert_int_equal(
		plat_smc6(PAS_REALM, SMC_RMM_GET_PLAT_TOKEN, rl, GRANULE_SIZE, 20, 0, 0, 0, &res),
		(uint64_t)E_RMM_INVAL);
	assert_int_equal(plat_smc6(PAS_REALM, SMC_RMM_GET_PLAT_TOKEN, rl, 64, 32, 0, 0, 0, &res),
			 (uint64_t)E_RMM_NOMEM);
	assert_int_equal(plat_read(PAS_REALM, rl, buf, sizeof(buf), &f), 0);
	assert_memory_equal(buf, zero, sizeof(buf));

	/* The right caller and buffer. */
	assert_int_equal(plat_smc6(PAS_REALM, SMC_RMM_ATTEST_GET_REALM_KEY, rl, GRANULE_SIZE, 0, 0,
				   0, 0, &res),
			 E_RMM_OK);
	assert_int_equal(res.x[1], 48);
	assert_int_equal(plat_read(PAS_REALM, rl, buf, 48, &f), 0);
	assert_memory_equal(buf, keys.realm_key, 48);
	assert_int_equal(
		plat_smc6(PAS_REALM, SMC_RMM_GET_PLAT_TOKEN, rl, GRANULE_SIZE, 32, 0, 0, 0, &res),
		E_RMM_OK);
	assert_true(res.x[1] > 96 && res.x[1] <= GRANULE_SIZE);
	assert_int_equal(plat_read(PAS_REALM, rl, buf, 1, &f), 0);
	assert_int_equal(buf[0], 0xD2); /* COSE_Sign1 tag */

	/* Without provisioning: unknown. */
	monitor_attest_forget();
	assert_int_equal(plat_smc6(PAS_REALM, SMC_RMM_ATTEST_GET_REALM_KEY, rl, GRANULE_SIZE, 0, 0,
				   0, 0, &res),
			 (uint64_t)E_RMM_UNK);
	assert_int_equal(
		plat_smc6(PAS_REALM, SMC_RMM_GET_PLAT_TOKEN, rl, GRANULE_SIZE, 32, 0, 0, 0, &res),
		(uint64_t)E_RMM_UNK);

	/* A delegated granule is all zeros when unlocked: restore, give back. */
	assert_int_equal(plat_zero(PAS_REALM, rl, GRANULE_SIZE, &f), 0);
	assert_int_equal(th_rmi(SMC_RMI_GRANULE_UNDELEGATE, rl, 0, 0, 0, 0, 0, NULL), RMI_SUCCESS);
	host_granule_free(rl);
	host_granule_free(ns);
}

/* ---- Tampering ---------------------------------------------------------------- */

/* Offsets of the two inner tokens in the collection (2-byte bstr lengths). */
struct layout {
	size_t plat_off, plat_len, realm_off, realm_len;
};

static void token_layout(const uint8_t *t, size_t len, struct layout *l)
{
	/* d9018f a2 19acca 59 LLLL <plat> 19acd1 59 LLLL <realm> */
	static const uint8_t head[] = {0xd9, 0x01, 0x8f, 0xa2, 0x19, 0xac, 0xca, 0x59};

	assert_memory_equal(t, head, sizeof(head));
	l->plat_len = (size_t)t[8] << 8 | t[9];
	l->plat_off = 10;
	assert_int_equal(t[l->plat_off + l->plat_len], 0x19);
	l->realm_off = l->plat_off + l->plat_len + 6;
	l->realm_len = (size_t)t[l->realm_off - 2] << 8 | t[l->realm_off - 1];
	assert_int_equal(l->realm_off + l->realm_len, len);
}

static void test_tampering(void **state)
{
	uint8_t t[TOKEN_MAX + 16], other[TOKEN_MAX], wrong_rim[32];
	size_t len, other_len;
	struct layout l, ol;
	struct machine_attest_keys saved;
	char other_pem[1024];
	uint8_t *p;
	struct rb_err err;

	get_token();
	len = gr.token_len;
	token_layout(gr.token, len, &l);
	if (verify(gr.token, len, platform_pem(), gr.challenge, gr.rim, &err))
		fail_msg("verify: %s", err.msg);

#define TAMPER(stmt, reason)                                                                       \
	do {                                                                                       \
		memcpy(t, gr.token, len);                                                          \
		stmt;                                                                              \
		expect_reject(t, len, platform_pem(), reason);                                     \
	} while (0)

	/* A bit in either signature. */
	TAMPER(t[l.plat_off + l.plat_len - 10] ^= 0x01,
	       "platform token: signature does not verify");
	TAMPER(t[len - 10] ^= 0x80, "realm token: signature does not verify");
	/* A bit in either payload: the RIM, the challenge, a platform claim. */
	p = memmem(gr.token + l.realm_off, l.realm_len, gr.rim, 32);
	assert_non_null(p);
	TAMPER(t[p - gr.token] ^= 0x04, "realm token: signature does not verify");
	p = memmem(gr.token + l.realm_off, l.realm_len, gr.challenge, 64);
	assert_non_null(p);
	TAMPER(t[p - gr.token + 5] ^= 0x10, "realm token: signature does not verify");
	p = memmem(gr.token + l.plat_off, l.plat_len, "sha-256", 7);
	assert_non_null(p);
	TAMPER(t[p - gr.token] = 'S', "platform token: signature does not verify");

	/* What the relying party expects. */
	memcpy(t, gr.challenge, 64);
	t[63] ^= 1;
	assert_int_not_equal(verify(gr.token, len, platform_pem(), t, gr.rim, &err), 0);
	assert_non_null(strstr(err.msg, "challenge mismatch"));
	memcpy(wrong_rim, gr.rim, 32);
	wrong_rim[0] ^= 1;
	assert_int_not_equal(verify(gr.token, len, platform_pem(), gr.challenge, wrong_rim, &err),
			     0);
	assert_non_null(strstr(err.msg, "RIM mismatch"));

	/* Another platform's key. */
	saved = keys;
	test_key_bytes(keys.platform_key, 77);
	strcpy(other_pem, platform_pem());
	keys = saved;
	expect_reject(gr.token, len, other_pem,
		      "platform token: signature does not verify with the platform key");
	expect_reject(gr.token, len, "not a key", "platform key: not a P-384 public key");

	/* Malformed CBOR. */
	expect_reject(gr.token, len - 1, platform_pem(), "truncated");
	expect_reject(gr.token, 5, platform_pem(), "truncated");
	memcpy(t, gr.token, len);
	t[len] = 0x00;
	expect_reject(t, len + 1, platform_pem(), "1 trailing bytes");
	TAMPER(t[2] = 0x90, "expected tag 399");
	TAMPER(t[l.plat_off] = 0xD3, "platform token: not a COSE_Sign1 (expected tag 18)");
	{
		/* 399({44234: h'', 44234: h''}) */
		static const uint8_t dup[] = {0xd9, 0x01, 0x8f, 0xa2, 0x19, 0xac,
					      0xca, 0x40, 0x19, 0xac, 0xca, 0x40};

		expect_reject(dup, sizeof(dup), platform_pem(), "duplicate key 44234");
	}
	{
		/*
		 * Oversized CBOR: heads that declare more than the input
		 * holds are refused before anything is allocated for them.
		 * 399({...2^32 pairs}), 399({44234: h'...' of 2^62 bytes}).
		 */
		static const uint8_t big_map[] = {0xd9, 0x01, 0x8f, 0xba, 0xff, 0xff, 0xff, 0xff};
		static const uint8_t big_bstr[] = {0xd9, 0x01, 0x8f, 0xa1, 0x19, 0xac, 0xca, 0x5b,
						   0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

		expect_reject(big_map, sizeof(big_map), platform_pem(), "declares more than");
		expect_reject(big_bstr, sizeof(big_bstr), platform_pem(), "truncated CBOR");
	}

	/*
	 * The platform token of a machine with the same platform key but
	 * another RAK, spliced into this token: both signatures hold, the
	 * binding does not.
	 */
	memcpy(other, gr.token, len);
	other_len = len;
	gr.n = 0;
	gr.token_len = 0;
	rt_cleanup();
	provision(3);
	get_token();
	token_layout(gr.token, gr.token_len, &ol);
	assert_int_equal(ol.plat_len, l.plat_len);
	memcpy(t, other, other_len);
	memcpy(t + l.plat_off, gr.token + ol.plat_off, ol.plat_len);
	assert_int_not_equal(verify(t, other_len, platform_pem(), NULL, NULL, &err), 0);
	if (!strstr(err.msg, "binding"))
		fail_msg("expected a binding failure, got \"%s\"", err.msg);
	/* The unspliced tokens of both machines verify. */
	assert_int_equal(verify(other, other_len, platform_pem(), NULL, NULL, &err), 0);
	assert_int_equal(verify(gr.token, gr.token_len, platform_pem(), NULL, NULL, &err), 0);
#undef TAMPER
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_token_steps_and_verify, setup, teardown),
		cmocka_unit_test_setup_teardown(test_token_whole_granule_chunks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_continue_before_init, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_buffers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_init_twice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_realm_two_tokens, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_attestation_service, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sha512_realm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_el3_calls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tampering, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
