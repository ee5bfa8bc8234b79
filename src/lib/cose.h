/*
 * COSE (RFC 9052) pieces the CCA attestation tokens need, for the trusted
 * code: ES384 COSE_Sign1 (protected header {1: -35}, empty unprotected
 * header, attached payload) and the P-384 public key as a COSE_Key
 * {1: 2 (EC2), -1: 2 (P-384), -2: x, -3: y}. Signatures are ECDSA P-384
 * over SHA-384 with RFC 6979 deterministic nonces (mbedTLS), in the COSE
 * form r || s (48 bytes each).
 */
#ifndef LIB_COSE_H
#define LIB_COSE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/cbor.h"

#define COSE_P384_SCALAR_SIZE 48 /* private key, big-endian */
#define COSE_P384_COORD_SIZE 48
#define COSE_ES384_SIG_SIZE 96 /* r || s */
#define COSE_SHA384_SIZE 48
#define COSE_TAG_SIGN1 18
#define COSE_ALG_ES384 (-35)

struct cose_p384_pub {
	uint8_t x[COSE_P384_COORD_SIZE];
	uint8_t y[COSE_P384_COORD_SIZE];
};

/*
 * The public key of the private scalar d (big-endian). Returns 0, or
 * -EINVAL if d is not in [1, n-1], -ENOMEM if mbedTLS runs out of memory.
 */
int cose_p384_public(const uint8_t d[COSE_P384_SCALAR_SIZE], struct cose_p384_pub *pub);

/* Put the COSE_Key of pub: a 4-pair map, 107 bytes. */
void cose_put_p384_key(struct cbor_enc *e, const struct cose_p384_pub *pub);

/*
 * SHA-384 of the COSE Sig_structure ["Signature1", h'A1013822', h'',
 * payload] that an ES384 COSE_Sign1 over payload signs.
 */
void cose_sign1_tbs_hash(const uint8_t *payload, size_t len, uint8_t hash[COSE_SHA384_SIZE]);

/*
 * ECDSA P-384 signature of hash with d. Returns 0, -EINVAL for a bad d,
 * -ENOMEM. sig is written only on success.
 */
int cose_es384_sign(const uint8_t d[COSE_P384_SCALAR_SIZE], const uint8_t hash[COSE_SHA384_SIZE],
		    uint8_t sig[COSE_ES384_SIG_SIZE]);

/* Put the tagged COSE_Sign1 18([h'A1013822', {}, payload, sig]). */
void cose_put_sign1(struct cbor_enc *e, const uint8_t *payload, size_t len,
		    const uint8_t sig[COSE_ES384_SIG_SIZE]);

#endif /* LIB_COSE_H */
