/*
 * The token verifier (`realmbox verify`): decodes a CCA attestation token
 * collection with libcbor — independently of the trusted code's encoder —
 * checks the platform token's ES384 signature with the platform public
 * key, the realm token's with the RAK it carries, the binding (platform
 * challenge = hash of the realm public key claim's COSE_Key bytes), and
 * optionally the challenge and the RIM; and prints the claims.
 */
#ifndef HOST_VERIFY_H
#define HOST_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "host/err.h"

#define VERIFY_MAX_BYTES 64 /* longest hash / challenge / RPV claim */
#define VERIFY_MAX_TEXT 128
#define VERIFY_MAX_SW 8
#define VERIFY_NR_REMS 4
#define VERIFY_COSE_KEY_MAX 256

struct verify_bytes {
	size_t len;
	uint8_t b[VERIFY_MAX_BYTES];
};

struct verify_sw {
	char type[VERIFY_MAX_TEXT];
	char version[VERIFY_MAX_TEXT];
	char hash_alg[VERIFY_MAX_TEXT];
	struct verify_bytes measurement, signer_id;
};

/* The claims of a verified token. */
struct verify_claims {
	/* Platform token. */
	char plat_profile[VERIFY_MAX_TEXT];
	struct verify_bytes plat_challenge, impl_id, instance_id, config;
	uint64_t lifecycle;
	char plat_hash_algo[VERIFY_MAX_TEXT];
	char verification_service[VERIFY_MAX_TEXT];
	unsigned nsw;
	struct verify_sw sw[VERIFY_MAX_SW];
	/* Realm token. */
	char realm_profile[VERIFY_MAX_TEXT];
	struct verify_bytes challenge, rpv, rim, rem[VERIFY_NR_REMS];
	char realm_hash_algo[VERIFY_MAX_TEXT];
	char rak_hash_algo[VERIFY_MAX_TEXT];
	size_t rak_len;
	uint8_t rak[VERIFY_COSE_KEY_MAX]; /* the COSE_Key bytes of claim 44237 */
};

/* What to check beyond the signatures and the binding (NULL/0: don't). */
struct verify_expect {
	const uint8_t *challenge; /* compared with the realm challenge (64 bytes) */
	size_t challenge_len;
	const uint8_t *rim;
	size_t rim_len;
};

/*
 * Verify token (len bytes) with the platform public key in PEM. Returns 0
 * with *claims filled, or a negative errno with the reason in err:
 * -EBADMSG for malformed tokens, -EPERM for a signature, binding, challenge
 * or RIM mismatch, -EINVAL for a bad key.
 */
int host_verify_token(const uint8_t *token, size_t len, const char *platform_key_pem,
		      const struct verify_expect *expect, struct verify_claims *claims,
		      struct rb_err *err);

/* `realmbox verify`. Returns the exit status (0 ok, 1 rejected, 2 usage). */
int host_cmd_verify(int argc, char **argv);

#endif /* HOST_VERIFY_H */
