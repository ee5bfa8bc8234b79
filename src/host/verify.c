/*
 * `realmbox verify` and host_verify_token (verify.h). Everything is
 * decoded with libcbor and checked here; nothing of the RMM's or the
 * monitor's encoder is used, so the two implementations check each other.
 * Token format: docs/attestation.md.
 */
#include "host/verify.h"
#include "host/cli_util.h"
#include "host/measure.h"

#include <cbor.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/ecdsa.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>
#include <mbedtls/sha512.h>

#define TOKEN_FILE_MAX (64 * 1024)
#define PEM_FILE_MAX (16 * 1024)

#define TAG_COLLECTION 399
#define TAG_SIGN1 18
#define KEY_PLATFORM 44234
#define KEY_REALM 44241
#define ES384_SIG_SIZE 96
#define P384_COORD 48

#define PLAT_PROFILE "tag:arm.com,2023:cca_platform#1.0.0"
#define REALM_PROFILE "tag:arm.com,2023:realm#1.0.0"

/* ---- CBOR helpers ---------------------------------------------------------- */

/*
 * Walk buf's heads before libcbor sees it: libcbor allocates what a head
 * declares (a 5-byte input can ask for a map of 2^32 pairs), so every
 * declared length and count must fit in the bytes that are left (each
 * pending item takes at least one). Indefinite lengths and reserved
 * additional information are refused; a token has neither.
 */
static int precheck(const uint8_t *buf, size_t len, const char *what, struct rb_err *err)
{
	size_t pos = 0, need = 1;

	while (need > 0) {
		unsigned mt, ai, nbytes;
		uint64_t arg;

		if (pos >= len)
			return rb_err_set(err, EBADMSG, "%s: truncated CBOR (%zu bytes)", what,
					  len);
		mt = buf[pos] >> 5;
		ai = buf[pos] & 0x1f;
		if (ai == 31)
			return rb_err_set(err, EBADMSG,
					  "%s: indefinite-length item at byte %zu (not allowed)",
					  what, pos);
		if (ai >= 28)
			return rb_err_set(err, EBADMSG, "%s: malformed CBOR at byte %zu", what,
					  pos);
		nbytes = ai < 24 ? 0 : 1u << (ai - 24);
		if (nbytes > len - pos - 1)
			return rb_err_set(err, EBADMSG, "%s: truncated CBOR (%zu bytes)", what,
					  len);
		arg = ai < 24 ? ai : 0;
		for (unsigned i = 0; i < nbytes; i++)
			arg = arg << 8 | buf[pos + 1 + i];
		pos += 1 + nbytes;
		need--;
		switch (mt) {
		case CBOR_TYPE_BYTESTRING:
		case CBOR_TYPE_STRING:
			if (arg > len - pos)
				return rb_err_set(err, EBADMSG, "%s: truncated CBOR (%zu bytes)",
						  what, len);
			pos += (size_t)arg;
			break;
		case CBOR_TYPE_ARRAY:
		case CBOR_TYPE_MAP:
			if (mt == CBOR_TYPE_MAP)
				arg = arg > UINT64_MAX / 2 ? UINT64_MAX : 2 * arg;
			if (arg > len - pos || need + arg > len - pos)
				return rb_err_set(
					err, EBADMSG,
					"%s: truncated CBOR (an item at byte %zu declares more "
					"than the %zu bytes left)",
					what, pos, len - pos);
			need += (size_t)arg;
			break;
		case CBOR_TYPE_TAG:
			need++;
			break;
		default: /* integers, simple values, floats: the head is all */
			break;
		}
	}
	if (pos != len)
		return rb_err_set(err, EBADMSG, "%s: %zu trailing bytes after the CBOR item", what,
				  len - pos);
	return 0;
}

/* Decode buf as exactly one CBOR item. */
static int load_exact(const uint8_t *buf, size_t len, const char *what, cbor_item_t **out,
		      struct rb_err *err)
{
	struct cbor_load_result res;
	cbor_item_t *item;
	int ret = precheck(buf, len, what, err);

	if (ret)
		return ret;
	item = cbor_load(buf, len, &res);

	if (!item) {
		if (res.error.code == CBOR_ERR_NOTENOUGHDATA || res.error.code == CBOR_ERR_NODATA)
			return rb_err_set(err, EBADMSG, "%s: truncated CBOR (%zu bytes)", what,
					  len);
		return rb_err_set(err, EBADMSG, "%s: malformed CBOR at byte %zu", what,
				  res.error.position);
	}
	if (res.read != len) {
		cbor_decref(&item);
		return rb_err_set(err, EBADMSG, "%s: %zu trailing bytes after the CBOR item", what,
				  len - res.read);
	}
	*out = item;
	return 0;
}

static bool int_of(const cbor_item_t *k, int64_t *out)
{
	uint64_t v;

	if (!cbor_isa_uint(k) && !cbor_isa_negint(k))
		return false;
	v = cbor_get_int(k);
	if (v > INT64_MAX)
		return false;
	*out = cbor_isa_uint(k) ? (int64_t)v : -1 - (int64_t)v;
	return true;
}

/* m is a definite map whose keys are integers, each at most once. */
static int check_map(const cbor_item_t *m, const char *what, struct rb_err *err)
{
	struct cbor_pair *p;
	size_t n;

	if (!cbor_isa_map(m) || !cbor_map_is_definite(m))
		return rb_err_set(err, EBADMSG, "%s: not a definite-length map", what);
	n = cbor_map_size(m);
	p = cbor_map_handle(m);
	for (size_t i = 0; i < n; i++) {
		int64_t ki, kj;

		if (!int_of(p[i].key, &ki))
			return rb_err_set(err, EBADMSG, "%s: a key is not an integer", what);
		for (size_t j = 0; j < i; j++) {
			if (int_of(p[j].key, &kj) && kj == ki)
				return rb_err_set(err, EBADMSG, "%s: duplicate key %" PRId64, what,
						  ki);
		}
	}
	return 0;
}

static cbor_item_t *map_get(const cbor_item_t *m, int64_t key)
{
	struct cbor_pair *p = cbor_map_handle(m);
	int64_t k;

	for (size_t i = 0; i < cbor_map_size(m); i++) {
		if (int_of(p[i].key, &k) && k == key)
			return p[i].value;
	}
	return NULL;
}

static bool bstr_of(const cbor_item_t *it, const uint8_t **p, size_t *len)
{
	if (!it || !cbor_isa_bytestring(it) || !cbor_bytestring_is_definite(it))
		return false;
	*p = cbor_bytestring_handle(it);
	*len = cbor_bytestring_length(it);
	return true;
}

/* Claim `key` of m as a bstr of min..max bytes into out. */
static int get_bytes(const cbor_item_t *m, int64_t key, const char *what, size_t min, size_t max,
		     struct verify_bytes *out, struct rb_err *err)
{
	const cbor_item_t *it = map_get(m, key);
	const uint8_t *p;
	size_t len;

	if (!it)
		return rb_err_set(err, EBADMSG, "%s: claim %" PRId64 " missing", what, key);
	if (!bstr_of(it, &p, &len))
		return rb_err_set(err, EBADMSG, "%s: claim %" PRId64 " is not a byte string", what,
				  key);
	if (len < min || len > max || len > sizeof(out->b))
		return rb_err_set(err, EBADMSG,
				  "%s: claim %" PRId64 " has %zu bytes (expected %zu..%zu)", what,
				  key, len, min, max);
	memcpy(out->b, p, len);
	out->len = len;
	return 0;
}

static int text_of(const cbor_item_t *it, const char *what, int64_t key, char *out, size_t cap,
		   struct rb_err *err)
{
	size_t len;

	if (!it || !cbor_isa_string(it) || !cbor_string_is_definite(it))
		return rb_err_set(err, EBADMSG, "%s: claim %" PRId64 " is not a text string", what,
				  key);
	len = cbor_string_length(it);
	if (len >= cap || memchr(cbor_string_handle(it), 0, len))
		return rb_err_set(err, EBADMSG, "%s: claim %" PRId64 " is too long", what, key);
	memcpy(out, cbor_string_handle(it), len);
	out[len] = '\0';
	return 0;
}

static int get_text(const cbor_item_t *m, int64_t key, const char *what, char *out, size_t cap,
		    struct rb_err *err)
{
	const cbor_item_t *it = map_get(m, key);

	if (!it)
		return rb_err_set(err, EBADMSG, "%s: claim %" PRId64 " missing", what, key);
	return text_of(it, what, key, out, cap, err);
}

/* ---- COSE_Sign1 ------------------------------------------------------------ */

struct sign1 {
	cbor_item_t *root;
	const uint8_t *prot, *payload, *sig;
	size_t prot_len, payload_len, sig_len;
};

static void sign1_free(struct sign1 *s)
{
	if (s->root)
		cbor_decref(&s->root);
}

/*
 * A tagged ES384 COSE_Sign1 with an attached payload. libcbor 0.8 (Debian
 * 12) rejects the one-byte heads of tags 6..20 as malformed, so the tag 18
 * head (0xD2, or its longer forms 0xD8 0x12 ...) is read here and the rest
 * handed to libcbor.
 */
static int sign1_parse(const uint8_t *buf, size_t len, const char *what, struct sign1 *s,
		       struct rb_err *err)
{
	cbor_item_t *arr, *prot = NULL, **a;
	const cbor_item_t *alg;
	size_t head;
	int64_t algv;
	int ret;

	memset(s, 0, sizeof(*s));
	if (len >= 1 && buf[0] == 0xD2)
		head = 1;
	else if (len >= 2 && buf[0] == 0xD8 && buf[1] == TAG_SIGN1)
		head = 2;
	else
		return rb_err_set(err, EBADMSG, "%s: not a COSE_Sign1 (expected tag 18)", what);
	ret = load_exact(buf + head, len - head, what, &s->root, err);
	if (ret)
		return ret;
	arr = s->root;
	if (!cbor_isa_array(arr) || !cbor_array_is_definite(arr) || cbor_array_size(arr) != 4)
		return rb_err_set(err, EBADMSG, "%s: COSE_Sign1 is not an array of 4", what);
	a = cbor_array_handle(arr);
	if (!bstr_of(a[0], &s->prot, &s->prot_len))
		return rb_err_set(err, EBADMSG, "%s: protected header is not a byte string", what);
	if (!cbor_isa_map(a[1]))
		return rb_err_set(err, EBADMSG, "%s: unprotected header is not a map", what);
	if (!bstr_of(a[2], &s->payload, &s->payload_len))
		return rb_err_set(err, EBADMSG, "%s: payload is not a byte string", what);
	if (!bstr_of(a[3], &s->sig, &s->sig_len) || s->sig_len != ES384_SIG_SIZE)
		return rb_err_set(err, EBADMSG, "%s: signature is not %d bytes", what,
				  ES384_SIG_SIZE);
	ret = load_exact(s->prot, s->prot_len, what, &prot, err);
	if (!ret)
		ret = check_map(prot, what, err);
	if (!ret) {
		alg = map_get(prot, 1);
		if (!alg || !int_of(alg, &algv) || algv != -35)
			ret = rb_err_set(err, EBADMSG, "%s: algorithm is not ES384 (-35)", what);
	}
	if (prot)
		cbor_decref(&prot);
	return ret;
}

/* Check s's signature with the P-384 point q. */
static int sign1_verify(const struct sign1 *s, const mbedtls_ecp_group *grp,
			const mbedtls_ecp_point *q, const char *what, const char *keyname,
			struct rb_err *err)
{
	cbor_item_t *tbs = cbor_new_definite_array(4);
	unsigned char *enc = NULL, hash[64];
	size_t enc_cap = 0, enc_len;
	mbedtls_mpi r, sv;
	int ret;

	if (!tbs)
		return rb_err_set(err, ENOMEM, "out of memory");
	/* Sig_structure = ["Signature1", protected, external_aad, payload]. */
	cbor_array_push(tbs, cbor_move(cbor_build_string("Signature1")));
	cbor_array_push(tbs, cbor_move(cbor_build_bytestring(s->prot, s->prot_len)));
	cbor_array_push(tbs, cbor_move(cbor_build_bytestring(NULL, 0)));
	cbor_array_push(tbs, cbor_move(cbor_build_bytestring(s->payload, s->payload_len)));
	enc_len = cbor_serialize_alloc(tbs, &enc, &enc_cap);
	cbor_decref(&tbs);
	if (!enc_len) {
		free(enc);
		return rb_err_set(err, ENOMEM, "out of memory");
	}
	mbedtls_sha512_ret(enc, enc_len, hash, 1 /* SHA-384 */);
	free(enc);
	mbedtls_mpi_init(&r);
	mbedtls_mpi_init(&sv);
	ret = mbedtls_mpi_read_binary(&r, s->sig, P384_COORD);
	if (!ret)
		ret = mbedtls_mpi_read_binary(&sv, s->sig + P384_COORD, P384_COORD);
	if (!ret)
		ret = mbedtls_ecdsa_verify((mbedtls_ecp_group *)grp, hash, 48, q, &r, &sv);
	mbedtls_mpi_free(&r);
	mbedtls_mpi_free(&sv);
	if (ret)
		return rb_err_set(err, EPERM, "%s: signature does not verify with %s", what,
				  keyname);
	return 0;
}

/* ---- Claims ------------------------------------------------------------------ */

static int parse_platform_claims(const cbor_item_t *m, struct verify_claims *c, struct rb_err *err)
{
	const char *w = "platform token";
	const cbor_item_t *it, *sw;
	int64_t v;
	int ret;

	if ((ret = check_map(m, "platform token claims", err)) ||
	    (ret = get_text(m, 265, w, c->plat_profile, sizeof(c->plat_profile), err)) ||
	    (ret = get_bytes(m, 10, w, 32, 64, &c->plat_challenge, err)) ||
	    (ret = get_bytes(m, 2396, w, 1, 64, &c->impl_id, err)) ||
	    (ret = get_bytes(m, 256, w, 33, 33, &c->instance_id, err)) ||
	    (ret = get_bytes(m, 2401, w, 0, 64, &c->config, err)) ||
	    (ret = get_text(m, 2402, w, c->plat_hash_algo, sizeof(c->plat_hash_algo), err)))
		return ret;
	if (strcmp(c->plat_profile, PLAT_PROFILE) != 0)
		return rb_err_set(err, EBADMSG, "platform token: profile \"%s\" is not %s",
				  c->plat_profile, PLAT_PROFILE);
	if (c->plat_challenge.len != 32 && c->plat_challenge.len != 48 &&
	    c->plat_challenge.len != 64)
		return rb_err_set(err, EBADMSG, "platform token: challenge of %zu bytes",
				  c->plat_challenge.len);
	it = map_get(m, 2395);
	if (!it || !int_of(it, &v) || v < 0 || v > 0xFFFF)
		return rb_err_set(err, EBADMSG,
				  "platform token: claim 2395 (lifecycle) missing or bad");
	c->lifecycle = (uint64_t)v;
	it = map_get(m, 2400);
	c->verification_service[0] = '\0';
	if (it && (ret = text_of(it, w, 2400, c->verification_service,
				 sizeof(c->verification_service), err)))
		return ret;
	sw = map_get(m, 2399);
	if (!sw || !cbor_isa_array(sw) || !cbor_array_is_definite(sw) || cbor_array_size(sw) == 0 ||
	    cbor_array_size(sw) > VERIFY_MAX_SW)
		return rb_err_set(err, EBADMSG,
				  "platform token: claim 2399 (sw-components) missing or "
				  "not an array of 1..%d",
				  VERIFY_MAX_SW);
	c->nsw = (unsigned)cbor_array_size(sw);
	for (unsigned i = 0; i < c->nsw; i++) {
		const cbor_item_t *e = cbor_array_handle(sw)[i];
		struct verify_sw *s = &c->sw[i];
		char what[64];

		snprintf(what, sizeof(what), "platform token: sw-component %u", i);
		if ((ret = check_map(e, what, err)) ||
		    (ret = get_bytes(e, 2, what, 32, 64, &s->measurement, err)) ||
		    (ret = get_bytes(e, 5, what, 0, 64, &s->signer_id, err)))
			return ret;
		s->type[0] = s->version[0] = s->hash_alg[0] = '\0';
		if ((it = map_get(e, 1)) &&
		    (ret = text_of(it, what, 1, s->type, sizeof(s->type), err)))
			return ret;
		if ((it = map_get(e, 4)) &&
		    (ret = text_of(it, what, 4, s->version, sizeof(s->version), err)))
			return ret;
		if ((it = map_get(e, 6)) &&
		    (ret = text_of(it, what, 6, s->hash_alg, sizeof(s->hash_alg), err)))
			return ret;
	}
	return 0;
}

static size_t hash_len_of(const char *name)
{
	if (!strcmp(name, "sha-256"))
		return 32;
	if (!strcmp(name, "sha-384"))
		return 48;
	if (!strcmp(name, "sha-512"))
		return 64;
	return 0;
}

static int parse_realm_claims(const cbor_item_t *m, struct verify_claims *c, struct rb_err *err)
{
	const char *w = "realm token";
	const cbor_item_t *rems, *rak;
	const uint8_t *p;
	size_t hlen;
	int ret;

	if ((ret = check_map(m, "realm token claims", err)) ||
	    (ret = get_text(m, 265, w, c->realm_profile, sizeof(c->realm_profile), err)) ||
	    (ret = get_bytes(m, 10, w, 64, 64, &c->challenge, err)) ||
	    (ret = get_bytes(m, 44235, w, 64, 64, &c->rpv, err)) ||
	    (ret = get_text(m, 44236, w, c->realm_hash_algo, sizeof(c->realm_hash_algo), err)) ||
	    (ret = get_text(m, 44240, w, c->rak_hash_algo, sizeof(c->rak_hash_algo), err)))
		return ret;
	if (strcmp(c->realm_profile, REALM_PROFILE) != 0)
		return rb_err_set(err, EBADMSG, "realm token: profile \"%s\" is not %s",
				  c->realm_profile, REALM_PROFILE);
	hlen = hash_len_of(c->realm_hash_algo);
	if (!hlen)
		return rb_err_set(err, EBADMSG, "realm token: unknown realm hash algorithm \"%s\"",
				  c->realm_hash_algo);
	if (!hash_len_of(c->rak_hash_algo))
		return rb_err_set(err, EBADMSG, "realm token: unknown RAK hash algorithm \"%s\"",
				  c->rak_hash_algo);
	if ((ret = get_bytes(m, 44238, w, hlen, hlen, &c->rim, err)))
		return ret;
	rems = map_get(m, 44239);
	if (!rems || !cbor_isa_array(rems) || !cbor_array_is_definite(rems) ||
	    cbor_array_size(rems) != VERIFY_NR_REMS)
		return rb_err_set(err, EBADMSG,
				  "realm token: claim 44239 (REMs) is not an array of 4");
	for (unsigned i = 0; i < VERIFY_NR_REMS; i++) {
		const cbor_item_t *r = cbor_array_handle(rems)[i];

		if (!bstr_of(r, &p, &c->rem[i].len) || c->rem[i].len != hlen)
			return rb_err_set(err, EBADMSG,
					  "realm token: REM%u is not a %zu-byte string", i, hlen);
		memcpy(c->rem[i].b, p, hlen);
	}
	rak = map_get(m, 44237);
	if (!rak || !bstr_of(rak, &p, &c->rak_len) || c->rak_len > sizeof(c->rak))
		return rb_err_set(err, EBADMSG,
				  "realm token: claim 44237 (RAK) is not a COSE_Key "
				  "byte string");
	memcpy(c->rak, p, c->rak_len);
	return 0;
}

/* The RAK's COSE_Key (claim bytes) as a P-384 point. */
static int rak_point(const struct verify_claims *c, mbedtls_ecp_group *grp, mbedtls_ecp_point *q,
		     struct rb_err *err)
{
	const char *w = "realm token: RAK COSE_Key";
	uint8_t raw[1 + 2 * P384_COORD];
	const uint8_t *x = NULL, *y = NULL;
	size_t xl = 0, yl = 0;
	cbor_item_t *k;
	int64_t kty, crv;
	int ret;

	ret = load_exact(c->rak, c->rak_len, w, &k, err);
	if (ret)
		return ret;
	ret = check_map(k, w, err);
	if (!ret && (!map_get(k, 1) || !int_of(map_get(k, 1), &kty) || kty != 2 ||
		     !map_get(k, -1) || !int_of(map_get(k, -1), &crv) || crv != 2))
		ret = rb_err_set(err, EBADMSG, "%s: not an EC2 P-384 key", w);
	if (!ret && (!bstr_of(map_get(k, -2), &x, &xl) || !bstr_of(map_get(k, -3), &y, &yl) ||
		     xl != P384_COORD || yl != P384_COORD))
		ret = rb_err_set(err, EBADMSG, "%s: x and y must be %d-byte strings", w,
				 P384_COORD);
	if (!ret) {
		raw[0] = 0x04;
		memcpy(raw + 1, x, P384_COORD);
		memcpy(raw + 1 + P384_COORD, y, P384_COORD);
		if (mbedtls_ecp_point_read_binary(grp, q, raw, sizeof(raw)) != 0 ||
		    mbedtls_ecp_check_pubkey(grp, q) != 0)
			ret = rb_err_set(err, EBADMSG, "%s: not a point on P-384", w);
	}
	cbor_decref(&k);
	return ret;
}

/* ---- The verification -------------------------------------------------------- */

int host_verify_token(const uint8_t *token, size_t len, const char *platform_key_pem,
		      const struct verify_expect *expect, struct verify_claims *c,
		      struct rb_err *err)
{
	cbor_item_t *coll = NULL, *map = NULL, *claims = NULL;
	struct sign1 plat = {0}, realm = {0};
	const uint8_t *pt, *rt;
	size_t ptl, rtl;
	mbedtls_pk_context pk;
	mbedtls_ecp_group grp;
	mbedtls_ecp_point rakq;
	uint8_t bind[64];
	size_t blen;
	int ret;

	memset(c, 0, sizeof(*c));
	mbedtls_pk_init(&pk);
	mbedtls_ecp_group_init(&grp);
	mbedtls_ecp_point_init(&rakq);

	if (mbedtls_pk_parse_public_key(&pk, (const unsigned char *)platform_key_pem,
					strlen(platform_key_pem) + 1) != 0 ||
	    mbedtls_pk_get_type(&pk) != MBEDTLS_PK_ECKEY ||
	    mbedtls_pk_ec(pk)->grp.id != MBEDTLS_ECP_DP_SECP384R1) {
		ret = rb_err_set(err, EINVAL, "platform key: not a P-384 public key in PEM");
		goto out;
	}

	/* The collection: 399({44234: bstr, 44241: bstr}). */
	if ((ret = load_exact(token, len, "token", &coll, err)))
		goto out;
	if (!cbor_isa_tag(coll) || cbor_tag_value(coll) != TAG_COLLECTION) {
		ret = rb_err_set(err, EBADMSG,
				 "token: not a CCA token collection (expected tag 399)");
		goto out;
	}
	map = cbor_tag_item(coll);
	if ((ret = check_map(map, "token collection", err)))
		goto out;
	if (cbor_map_size(map) != 2 || !bstr_of(map_get(map, KEY_PLATFORM), &pt, &ptl) ||
	    !bstr_of(map_get(map, KEY_REALM), &rt, &rtl)) {
		ret = rb_err_set(err, EBADMSG,
				 "token collection: must hold exactly a platform "
				 "(44234) and a realm (44241) token as byte strings");
		goto out;
	}

	/* Platform token, with the platform key. */
	if ((ret = sign1_parse(pt, ptl, "platform token", &plat, err)) ||
	    (ret = sign1_verify(&plat, &mbedtls_pk_ec(pk)->grp, &mbedtls_pk_ec(pk)->Q,
				"platform token", "the platform key", err)))
		goto out;
	if ((ret = load_exact(plat.payload, plat.payload_len, "platform token claims", &claims,
			      err)) ||
	    (ret = parse_platform_claims(claims, c, err)))
		goto out;
	cbor_decref(&claims);

	/* Realm token, with the RAK it carries. */
	if ((ret = sign1_parse(rt, rtl, "realm token", &realm, err)) ||
	    (ret = load_exact(realm.payload, realm.payload_len, "realm token claims", &claims,
			      err)) ||
	    (ret = parse_realm_claims(claims, c, err)))
		goto out;
	if (mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_SECP384R1) != 0) {
		ret = rb_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	if ((ret = rak_point(c, &grp, &rakq, err)) ||
	    (ret = sign1_verify(&realm, &grp, &rakq, "realm token", "the RAK in claim 44237", err)))
		goto out;

	/* Binding: platform challenge = H(RAK COSE_Key), H the RAK hash algo. */
	blen = hash_len_of(c->rak_hash_algo);
	if (blen == 32)
		mbedtls_sha256_ret(c->rak, c->rak_len, bind, 0);
	else
		mbedtls_sha512_ret(c->rak, c->rak_len, bind, blen == 48);
	if (blen != c->plat_challenge.len || memcmp(bind, c->plat_challenge.b, blen) != 0) {
		ret = rb_err_set(err, EPERM,
				 "binding: the platform token's challenge is not the %s "
				 "of the realm token's RAK: the two tokens do not belong together",
				 c->rak_hash_algo);
		goto out;
	}

	if (expect && expect->challenge) {
		uint8_t want[64] = {0};
		char got_hex[129], want_hex[129];

		memcpy(want, expect->challenge,
		       expect->challenge_len > 64 ? 64 : expect->challenge_len);
		if (expect->challenge_len > 64 || memcmp(want, c->challenge.b, 64) != 0) {
			host_hex_format(got_hex, c->challenge.b, 64);
			host_hex_format(want_hex, want, 64);
			ret = rb_err_set(err, EPERM,
					 "challenge mismatch: the token answers %s, "
					 "expected %s",
					 got_hex, want_hex);
			goto out;
		}
	}
	if (expect && expect->rim) {
		char got_hex[129], want_hex[129];

		if (expect->rim_len != c->rim.len ||
		    memcmp(expect->rim, c->rim.b, c->rim.len) != 0) {
			host_hex_format(got_hex, c->rim.b, c->rim.len);
			host_hex_format(want_hex, expect->rim, expect->rim_len > 64 ? 64 : expect->rim_len);
			ret = rb_err_set(err, EPERM,
					 "RIM mismatch: the realm measured %s, expected %s",
					 got_hex, want_hex);
			goto out;
		}
	}
	ret = 0;
out:
	if (claims)
		cbor_decref(&claims);
	sign1_free(&realm);
	sign1_free(&plat);
	if (map)
		cbor_decref(&map);
	if (coll)
		cbor_decref(&coll);
	mbedtls_ecp_point_free(&rakq);
	mbedtls_ecp_group_free(&grp);
	mbedtls_pk_free(&pk);
	return ret;
}

/* ---- The command ---------------------------------------------------------------- */

static void verify_usage(FILE *f)
{
	fprintf(f, "usage: realmbox verify FILE --platform-key PEM [--challenge HEX]\n"
		   "                       [--rim HEX | --bundle DIR [--id ID]] [--format text|json]\n"
		   "Verify a CCA attestation token: both signatures, the platform/realm binding,\n"
		   "and the challenge and RIM when given (a challenge shorter than 64 bytes is\n"
		   "zero-padded; --bundle expects the RIM `realmbox measure` computes for it).\n"
		   "Prints the claims; exits 1 with the reason on any mismatch.\n");
}

/* Read at most max bytes of path; -EFBIG if longer. */
static int read_file(const char *path, size_t max, uint8_t **out, size_t *len, struct rb_err *err)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	size_t n;

	if (!f)
		return rb_err_sys(err, errno, "%s", path);
	buf = malloc(max + 2);
	if (!buf) {
		fclose(f);
		return rb_err_set(err, ENOMEM, "out of memory");
	}
	n = fread(buf, 1, max + 1, f);
	fclose(f);
	if (n > max) {
		free(buf);
		return rb_err_set(err, EFBIG, "%s: larger than %zu bytes: not a token", path, max);
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

static char *hexs(const struct verify_bytes *b)
{
	static char buf[4][2 * VERIFY_MAX_BYTES + 1];
	static unsigned next;
	char *s = buf[next++ % 4];

	host_hex_format(s, b->b, b->len);
	return s;
}

static void print_text(const struct verify_claims *c)
{
	printf("token: verified (platform and realm signatures, binding)\n");
	printf("realm token (%s)\n", c->realm_profile);
	printf("  challenge          %s\n", hexs(&c->challenge));
	printf("  personalization    %s\n", hexs(&c->rpv));
	printf("  hash algorithm     %s\n", c->realm_hash_algo);
	printf("  RIM                %s\n", hexs(&c->rim));
	/* Named by their RSI MEASUREMENT_READ index, 1..4. */
	for (unsigned i = 0; i < VERIFY_NR_REMS; i++)
		printf("  REM%u               %s\n", i + 1, hexs(&c->rem[i]));
	printf("  RAK hash algorithm %s\n", c->rak_hash_algo);
	printf("platform token (%s)\n", c->plat_profile);
	printf("  challenge          %s\n", hexs(&c->plat_challenge));
	printf("  implementation ID  %s\n", hexs(&c->impl_id));
	printf("  instance ID        %s\n", hexs(&c->instance_id));
	printf("  config             %s\n", hexs(&c->config));
	printf("  lifecycle          0x%04" PRIx64 "\n", c->lifecycle);
	printf("  hash algorithm     %s\n", c->plat_hash_algo);
	if (c->verification_service[0])
		printf("  verification svc   %s\n", c->verification_service);
	for (unsigned i = 0; i < c->nsw; i++)
		printf("  sw-component %-5s %s (version %s, %s, signer %s)\n", c->sw[i].type,
		       hexs(&c->sw[i].measurement), c->sw[i].version, c->sw[i].hash_alg,
		       hexs(&c->sw[i].signer_id));
}

static void json_hex(json_t *o, const char *k, const struct verify_bytes *b)
{
	json_object_set_new(o, k, json_string(hexs(b)));
}

static void print_json(const struct verify_claims *c)
{
	json_t *root = json_object(), *realm = json_object(), *plat = json_object();
	json_t *rems = json_array(), *sws = json_array();
	char *s;

	json_object_set_new(root, "verified", json_true());
	json_object_set_new(realm, "profile", json_string(c->realm_profile));
	json_hex(realm, "challenge", &c->challenge);
	json_hex(realm, "personalization_value", &c->rpv);
	json_object_set_new(realm, "hash_algo", json_string(c->realm_hash_algo));
	json_hex(realm, "rim", &c->rim);
	for (unsigned i = 0; i < VERIFY_NR_REMS; i++)
		json_array_append_new(rems, json_string(hexs(&c->rem[i])));
	json_object_set_new(realm, "rems", rems);
	json_object_set_new(realm, "rak_hash_algo", json_string(c->rak_hash_algo));
	{
		char h[2 * VERIFY_COSE_KEY_MAX + 1];

		host_hex_format(h, c->rak, c->rak_len);
		json_object_set_new(realm, "rak_cose_key", json_string(h));
	}
	json_object_set_new(plat, "profile", json_string(c->plat_profile));
	json_hex(plat, "challenge", &c->plat_challenge);
	json_hex(plat, "implementation_id", &c->impl_id);
	json_hex(plat, "instance_id", &c->instance_id);
	json_hex(plat, "config", &c->config);
	json_object_set_new(plat, "lifecycle", json_integer((json_int_t)c->lifecycle));
	json_object_set_new(plat, "hash_algo", json_string(c->plat_hash_algo));
	json_object_set_new(plat, "verification_service", json_string(c->verification_service));
	for (unsigned i = 0; i < c->nsw; i++) {
		json_t *o = json_object();

		json_object_set_new(o, "type", json_string(c->sw[i].type));
		json_hex(o, "measurement", &c->sw[i].measurement);
		json_object_set_new(o, "version", json_string(c->sw[i].version));
		json_hex(o, "signer_id", &c->sw[i].signer_id);
		json_object_set_new(o, "hash_algo", json_string(c->sw[i].hash_alg));
		json_array_append_new(sws, o);
	}
	json_object_set_new(plat, "sw_components", sws);
	json_object_set_new(root, "realm", realm);
	json_object_set_new(root, "platform", plat);
	s = json_dumps(root, JSON_INDENT(2));
	if (s)
		printf("%s\n", s);
	free(s);
	json_decref(root);
}

int host_cmd_verify(int argc, char **argv)
{
	const char *file = NULL, *keyfile = NULL, *format = "text", *bundle = NULL, *id = NULL;
	struct host_measurement meas;
	uint8_t challenge[VERIFY_MAX_BYTES], rim[VERIFY_MAX_BYTES];
	struct verify_expect ex = {0};
	struct verify_claims *c;
	uint8_t *tok = NULL, *pem = NULL;
	size_t toklen, pemlen;
	struct rb_err err;
	int ret;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			verify_usage(stdout);
			return 0;
		} else if (!strcmp(a, "--platform-key") && i + 1 < argc) {
			keyfile = argv[++i];
		} else if (!strcmp(a, "--challenge") && i + 1 < argc) {
			if (host_hex_parse(argv[++i], challenge, sizeof(challenge), &ex.challenge_len)) {
				fprintf(stderr,
					"realmbox: verify: --challenge: 1 to 64 bytes in hex\n");
				return 2;
			}
			ex.challenge = challenge;
		} else if (!strcmp(a, "--rim") && i + 1 < argc) {
			if (host_hex_parse(argv[++i], rim, sizeof(rim), &ex.rim_len)) {
				fprintf(stderr, "realmbox: verify: --rim: 1 to 64 bytes in hex\n");
				return 2;
			}
			ex.rim = rim;
		} else if (!strcmp(a, "--bundle") && i + 1 < argc) {
			bundle = argv[++i];
		} else if (!strcmp(a, "--id") && i + 1 < argc) {
			id = argv[++i];
		} else if (!strcmp(a, "--format") && i + 1 < argc) {
			format = argv[++i];
			if (strcmp(format, "text") && strcmp(format, "json")) {
				fprintf(stderr, "realmbox: verify: --format: text or json\n");
				return 2;
			}
		} else if (a[0] != '-' && !file) {
			file = a;
		} else {
			fprintf(stderr, "realmbox: verify: unknown argument '%s'\n", a);
			verify_usage(stderr);
			return 2;
		}
	}
	if (!file || !keyfile) {
		verify_usage(stderr);
		return 2;
	}
	if (bundle && ex.rim) {
		fprintf(stderr, "realmbox: verify: --bundle and --rim both name the RIM: give one\n");
		return 2;
	}
	rb_err_clear(&err);
	if (bundle) {
		/* the RIM this bundle's Container Realm must have (`realmbox measure`) */
		if (host_measure_bundle(bundle, id, &meas, &err) < 0) {
			fprintf(stderr, "realmbox: verify: --bundle %s: %s\n", bundle, err.msg);
			return 1;
		}
		memcpy(rim, meas.rim, meas.rim_len);
		ex.rim = rim;
		ex.rim_len = meas.rim_len;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return 1;
	ret = read_file(keyfile, PEM_FILE_MAX, &pem, &pemlen, &err);
	if (ret)
		rb_err_wrap(&err, "platform key");
	if (!ret)
		ret = read_file(file, TOKEN_FILE_MAX, &tok, &toklen, &err);
	if (!ret)
		ret = host_verify_token(tok, toklen, (const char *)pem, &ex, c, &err);
	if (ret) {
		fprintf(stderr, "realmbox: verify: %s: %s\n", file, err.msg);
	} else if (!strcmp(format, "json")) {
		print_json(c);
	} else {
		print_text(c);
	}
	free(tok);
	free(pem);
	free(c);
	return ret ? 1 : 0;
}
