/*
 * A small CBOR encoder (RFC 8949) for the trusted code: attestation tokens
 * in the RMM and the monitor. Writes into a caller buffer (no allocation),
 * always in the shortest ("preferred") encoding of each head, so the
 * output is deterministic. Only definite lengths. Decoding is the
 * verifier's business (host, libcbor) and deliberately not here.
 */
#ifndef LIB_CBOR_H
#define LIB_CBOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* CBOR major types. */
#define CBOR_MT_UINT 0
#define CBOR_MT_NINT 1
#define CBOR_MT_BSTR 2
#define CBOR_MT_TSTR 3
#define CBOR_MT_ARRAY 4
#define CBOR_MT_MAP 5
#define CBOR_MT_TAG 6

/*
 * Encoder state. When an item does not fit, nothing more is written but
 * `len` keeps counting, so a NULL/0 buffer measures an encoding.
 */
struct cbor_enc {
	uint8_t *buf;
	size_t cap;
	size_t len;
};

void cbor_enc_init(struct cbor_enc *e, uint8_t *buf, size_t cap);

/* One head: major type mt (0..7) with argument v, shortest form. */
void cbor_put_head(struct cbor_enc *e, unsigned mt, uint64_t v);
void cbor_put_uint(struct cbor_enc *e, uint64_t v);
/* Any signed integer: major type 0 for v >= 0, else 1 with -1 - v. */
void cbor_put_int(struct cbor_enc *e, int64_t v);
void cbor_put_bstr(struct cbor_enc *e, const void *data, size_t len);
/* Text string of the NUL-terminated UTF-8 s (not checked for UTF-8). */
void cbor_put_tstr(struct cbor_enc *e, const char *s);
/* Array / map of n items / pairs: the caller then puts them. */
void cbor_put_array(struct cbor_enc *e, uint64_t n);
void cbor_put_map(struct cbor_enc *e, uint64_t n);
void cbor_put_tag(struct cbor_enc *e, uint64_t tag);
/* Raw bytes, already CBOR (an embedded item). */
void cbor_put_raw(struct cbor_enc *e, const void *data, size_t len);

/* True if everything put so far fitted the buffer. */
static inline bool cbor_enc_ok(const struct cbor_enc *e)
{
	return e->len <= e->cap;
}

/*
 * End of encoding: 0 with *len = bytes written, or -ENOSPC with *len =
 * bytes the encoding needs.
 */
int cbor_enc_finish(const struct cbor_enc *e, size_t *len);

#endif /* LIB_CBOR_H */
