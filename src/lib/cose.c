/*
 * lib/cose.h over mbedTLS (ECP, ECDSA, SHA-384). mbedTLS's bignums
 * allocate through the platform calloc: on the emulated machine that is
 * the host process's heap; a hardware build would configure
 * MBEDTLS_MEMORY_BUFFER_ALLOC_C over component memory as TF-RMM does.
 *
 * ECDSA blinding (mbedTLS asks for an RNG even with RFC 6979 nonces) draws
 * from SHA-512(d || hash || counter): values an observer cannot predict
 * without the key, and the trusted code needs no entropy source.
 */
#define MBEDTLS_CONFIG_FILE "lib/mbedtls_tcb_config.h"

#include "lib/cose.h"
#include "lib/errno.h"
#include "lib/hash.h"
#include "lib/string.h"

#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <mbedtls/sha512.h>

/* The protected header {1: -35}, as a bstr's content. */
static const uint8_t cose_prot_es384[] = {0xA1, 0x01, 0x38, 0x22};

struct blind_rng {
	const uint8_t *d;
	const uint8_t *hash;
	uint64_t counter;
};

static int blind_rng_fill(void *ctx, unsigned char *out, size_t len)
{
	struct blind_rng *r = ctx;
	uint8_t block[HASH_MAX_SIZE];
	struct hash_ctx h;

	while (len) {
		size_t n = len < sizeof(block) ? len : sizeof(block);

		(void)hash_init(&h, HASH_SHA512);
		hash_update(&h, r->d, COSE_P384_SCALAR_SIZE);
		hash_update(&h, r->hash, COSE_SHA384_SIZE);
		hash_update(&h, &r->counter, sizeof(r->counter));
		hash_final(&h, block);
		r->counter++;
		memcpy(out, block, n);
		out += n;
		len -= n;
	}
	memset(block, 0, sizeof(block));
	return 0;
}

static int mbedtls_to_errno(int ret)
{
	if (ret == 0)
		return 0;
	if (ret == MBEDTLS_ERR_MPI_ALLOC_FAILED || ret == MBEDTLS_ERR_ECP_ALLOC_FAILED)
		return -ENOMEM;
	return -EINVAL;
}

/* Load the curve and the private scalar; checks 1 <= d < n. */
static int load_key(mbedtls_ecp_group *grp, mbedtls_mpi *d, const uint8_t *dbytes)
{
	int ret = mbedtls_ecp_group_load(grp, MBEDTLS_ECP_DP_SECP384R1);

	if (!ret)
		ret = mbedtls_mpi_read_binary(d, dbytes, COSE_P384_SCALAR_SIZE);
	if (!ret)
		ret = mbedtls_ecp_check_privkey(grp, d);
	return mbedtls_to_errno(ret);
}

int cose_p384_public(const uint8_t d[COSE_P384_SCALAR_SIZE], struct cose_p384_pub *pub)
{
	static const uint8_t zero_hash[COSE_SHA384_SIZE];
	struct blind_rng rng = {.d = d, .hash = zero_hash};
	mbedtls_ecp_group grp;
	mbedtls_ecp_point q;
	mbedtls_mpi dm;
	int ret;

	mbedtls_ecp_group_init(&grp);
	mbedtls_ecp_point_init(&q);
	mbedtls_mpi_init(&dm);
	ret = load_key(&grp, &dm, d);
	if (!ret)
		ret = mbedtls_to_errno(
			mbedtls_ecp_mul(&grp, &q, &dm, &grp.G, blind_rng_fill, &rng));
	if (!ret)
		ret = mbedtls_to_errno(mbedtls_mpi_write_binary(&q.X, pub->x, sizeof(pub->x)));
	if (!ret)
		ret = mbedtls_to_errno(mbedtls_mpi_write_binary(&q.Y, pub->y, sizeof(pub->y)));
	mbedtls_mpi_free(&dm);
	mbedtls_ecp_point_free(&q);
	mbedtls_ecp_group_free(&grp);
	return ret;
}

void cose_put_p384_key(struct cbor_enc *e, const struct cose_p384_pub *pub)
{
	cbor_put_map(e, 4);
	cbor_put_int(e, 1);  /* kty */
	cbor_put_int(e, 2);  /* EC2 */
	cbor_put_int(e, -1); /* crv */
	cbor_put_int(e, 2);  /* P-384 */
	cbor_put_int(e, -2); /* x */
	cbor_put_bstr(e, pub->x, sizeof(pub->x));
	cbor_put_int(e, -3); /* y */
	cbor_put_bstr(e, pub->y, sizeof(pub->y));
}

void cose_sign1_tbs_hash(const uint8_t *payload, size_t len, uint8_t hash[COSE_SHA384_SIZE])
{
	uint8_t head[64], full[64]; /* mbedTLS declares the output as 64 bytes */
	struct cbor_enc e;
	mbedtls_sha512_context sha;
	size_t n;

	/* Everything before the payload's bytes is a few dozen bytes. */
	cbor_enc_init(&e, head, sizeof(head));
	cbor_put_array(&e, 4);
	cbor_put_tstr(&e, "Signature1");
	cbor_put_bstr(&e, cose_prot_es384, sizeof(cose_prot_es384));
	cbor_put_bstr(&e, NULL, 0); /* external_aad */
	cbor_put_head(&e, CBOR_MT_BSTR, len);
	(void)cbor_enc_finish(&e, &n);

	mbedtls_sha512_init(&sha);
	(void)mbedtls_sha512_starts_ret(&sha, 1 /* SHA-384 */);
	(void)mbedtls_sha512_update_ret(&sha, head, n);
	(void)mbedtls_sha512_update_ret(&sha, payload, len);
	(void)mbedtls_sha512_finish_ret(&sha, full);
	mbedtls_sha512_free(&sha);
	memcpy(hash, full, COSE_SHA384_SIZE);
}

int cose_es384_sign(const uint8_t d[COSE_P384_SCALAR_SIZE], const uint8_t hash[COSE_SHA384_SIZE],
		    uint8_t sig[COSE_ES384_SIG_SIZE])
{
	struct blind_rng rng = {.d = d, .hash = hash};
	mbedtls_ecp_group grp;
	mbedtls_mpi dm, r, s;
	uint8_t out[COSE_ES384_SIG_SIZE];
	int ret;

	mbedtls_ecp_group_init(&grp);
	mbedtls_mpi_init(&dm);
	mbedtls_mpi_init(&r);
	mbedtls_mpi_init(&s);
	ret = load_key(&grp, &dm, d);
	if (!ret)
		ret = mbedtls_to_errno(
			mbedtls_ecdsa_sign_det_ext(&grp, &r, &s, &dm, hash, COSE_SHA384_SIZE,
						   MBEDTLS_MD_SHA384, blind_rng_fill, &rng));
	if (!ret)
		ret = mbedtls_to_errno(mbedtls_mpi_write_binary(&r, out, COSE_P384_COORD_SIZE));
	if (!ret)
		ret = mbedtls_to_errno(mbedtls_mpi_write_binary(&s, out + COSE_P384_COORD_SIZE,
								COSE_P384_COORD_SIZE));
	if (!ret)
		memcpy(sig, out, sizeof(out));
	mbedtls_mpi_free(&s);
	mbedtls_mpi_free(&r);
	mbedtls_mpi_free(&dm);
	mbedtls_ecp_group_free(&grp);
	return ret;
}

void cose_put_sign1(struct cbor_enc *e, const uint8_t *payload, size_t len,
		    const uint8_t sig[COSE_ES384_SIG_SIZE])
{
	cbor_put_tag(e, COSE_TAG_SIGN1);
	cbor_put_array(e, 4);
	cbor_put_bstr(e, cose_prot_es384, sizeof(cose_prot_es384));
	cbor_put_map(e, 0);
	cbor_put_bstr(e, payload, len);
	cbor_put_bstr(e, sig, COSE_ES384_SIG_SIZE);
}
