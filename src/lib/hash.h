/*
 * Incremental SHA-256 / SHA-512 for measurements (backed by mbedTLS, as in
 * TF-RMM). The context is an opaque buffer so this header stays freestanding.
 */
#ifndef LIB_HASH_H
#define LIB_HASH_H

#include <stddef.h>
#include <stdint.h>

enum hash_algo {
	HASH_SHA256 = 0, /* same encoding as RmiRealmParams.hash_algo */
	HASH_SHA512 = 1,
};

#define HASH_MAX_SIZE 64

struct hash_ctx {
	int algo;
	uint64_t state[48] __attribute__((aligned(16))); /* an mbedTLS context */
};

/* Digest length in bytes of algo (32 or 64), 0 for an unknown algo. */
size_t hash_size(enum hash_algo algo);

/* Start a digest. Returns 0, or -EINVAL for an unknown algo. */
int hash_init(struct hash_ctx *ctx, enum hash_algo algo);
void hash_update(struct hash_ctx *ctx, const void *data, size_t len);
/* Writes hash_size(algo) bytes to out. */
void hash_final(struct hash_ctx *ctx, uint8_t *out);

/* One-shot digest; returns 0 or -EINVAL. */
int hash_buf(enum hash_algo algo, const void *data, size_t len, uint8_t *out);

#endif /* LIB_HASH_H */
