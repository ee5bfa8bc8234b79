/*
 * lib/cbor.h: heads in preferred serialization (RFC 8949 §4.2.1: the
 * argument in the immediate value when < 24, else in 1, 2, 4 or 8 bytes,
 * big-endian), and strings as head + bytes.
 */
#include "lib/cbor.h"
#include "lib/errno.h"
#include "lib/string.h"

void cbor_enc_init(struct cbor_enc *e, uint8_t *buf, size_t cap)
{
	e->buf = buf;
	e->cap = buf ? cap : 0;
	e->len = 0;
}

/* Append n bytes, or only count them once the buffer is exhausted. */
static void put_bytes(struct cbor_enc *e, const void *data, size_t n)
{
	if (n > SIZE_MAX - e->len) {
		e->len = SIZE_MAX; /* cannot fit anything: stays "too long" */
		return;
	}
	if (e->len <= e->cap && n <= e->cap - e->len && n)
		memcpy(e->buf + e->len, data, n);
	e->len += n;
}

void cbor_put_head(struct cbor_enc *e, unsigned mt, uint64_t v)
{
	uint8_t h[9];
	unsigned nbytes, ai;

	if (v < 24) {
		nbytes = 0;
		ai = (unsigned)v;
	} else if (v <= 0xFF) {
		nbytes = 1;
		ai = 24;
	} else if (v <= 0xFFFF) {
		nbytes = 2;
		ai = 25;
	} else if (v <= 0xFFFFFFFFULL) {
		nbytes = 4;
		ai = 26;
	} else {
		nbytes = 8;
		ai = 27;
	}
	h[0] = (uint8_t)(((mt & 7) << 5) | ai);
	for (unsigned i = 0; i < nbytes; i++)
		h[1 + i] = (uint8_t)(v >> (8 * (nbytes - 1 - i)));
	put_bytes(e, h, 1 + nbytes);
}

void cbor_put_uint(struct cbor_enc *e, uint64_t v)
{
	cbor_put_head(e, CBOR_MT_UINT, v);
}

void cbor_put_int(struct cbor_enc *e, int64_t v)
{
	if (v >= 0)
		cbor_put_head(e, CBOR_MT_UINT, (uint64_t)v);
	else
		cbor_put_head(e, CBOR_MT_NINT, (uint64_t)(-(v + 1)));
}

void cbor_put_bstr(struct cbor_enc *e, const void *data, size_t len)
{
	cbor_put_head(e, CBOR_MT_BSTR, len);
	put_bytes(e, data, len);
}

void cbor_put_tstr(struct cbor_enc *e, const char *s)
{
	size_t n = strlen(s);

	cbor_put_head(e, CBOR_MT_TSTR, n);
	put_bytes(e, s, n);
}

void cbor_put_array(struct cbor_enc *e, uint64_t n)
{
	cbor_put_head(e, CBOR_MT_ARRAY, n);
}

void cbor_put_map(struct cbor_enc *e, uint64_t n)
{
	cbor_put_head(e, CBOR_MT_MAP, n);
}

void cbor_put_tag(struct cbor_enc *e, uint64_t tag)
{
	cbor_put_head(e, CBOR_MT_TAG, tag);
}

void cbor_put_raw(struct cbor_enc *e, const void *data, size_t len)
{
	put_bytes(e, data, len);
}

int cbor_enc_finish(const struct cbor_enc *e, size_t *len)
{
	*len = e->len;
	return cbor_enc_ok(e) ? 0 : -ENOSPC;
}
