/*
 * lib/hash.h over mbedTLS's SHA-256 and SHA-512.
 */
#include "lib/hash.h"
#include "lib/errno.h"

#include <mbedtls/sha256.h>
#include <mbedtls/sha512.h>

_Static_assert(sizeof(mbedtls_sha256_context) <= sizeof(((struct hash_ctx *)0)->state), "sha256 ctx");
_Static_assert(sizeof(mbedtls_sha512_context) <= sizeof(((struct hash_ctx *)0)->state), "sha512 ctx");

size_t hash_size(enum hash_algo algo)
{
	switch (algo) {
	case HASH_SHA256:
		return 32;
	case HASH_SHA512:
		return 64;
	}
	return 0;
}

int hash_init(struct hash_ctx *ctx, enum hash_algo algo)
{
	ctx->algo = (int)algo;
	switch (algo) {
	case HASH_SHA256:
		mbedtls_sha256_init((mbedtls_sha256_context *)ctx->state);
		(void)mbedtls_sha256_starts_ret((mbedtls_sha256_context *)ctx->state, 0);
		return 0;
	case HASH_SHA512:
		mbedtls_sha512_init((mbedtls_sha512_context *)ctx->state);
		(void)mbedtls_sha512_starts_ret((mbedtls_sha512_context *)ctx->state, 0);
		return 0;
	}
	return -EINVAL;
}

void hash_update(struct hash_ctx *ctx, const void *data, size_t len)
{
	if (ctx->algo == HASH_SHA256)
		(void)mbedtls_sha256_update_ret((mbedtls_sha256_context *)ctx->state, data, len);
	else
		(void)mbedtls_sha512_update_ret((mbedtls_sha512_context *)ctx->state, data, len);
}

void hash_final(struct hash_ctx *ctx, uint8_t *out)
{
	if (ctx->algo == HASH_SHA256) {
		(void)mbedtls_sha256_finish_ret((mbedtls_sha256_context *)ctx->state, out);
		mbedtls_sha256_free((mbedtls_sha256_context *)ctx->state);
	} else {
		(void)mbedtls_sha512_finish_ret((mbedtls_sha512_context *)ctx->state, out);
		mbedtls_sha512_free((mbedtls_sha512_context *)ctx->state);
	}
}

int hash_buf(enum hash_algo algo, const void *data, size_t len, uint8_t *out)
{
	struct hash_ctx ctx;
	int ret = hash_init(&ctx, algo);

	if (ret)
		return ret;
	hash_update(&ctx, data, len);
	hash_final(&ctx, out);
	return 0;
}
