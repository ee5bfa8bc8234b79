/*
 * lib/cbor (the trusted code's CBOR encoder) against byte-exact vectors
 * (RFC 8949 Appendix A and boundary values), its overflow behaviour, and
 * lib/cose: the COSE_Key and COSE_Sign1 layouts byte for byte and a
 * signature that mbedTLS's verifier accepts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <mbedtls/ecdsa.h>
#include <mbedtls/sha512.h>

#include "lib/cbor.h"
#include "lib/cose.h"
#include "lib/errno.h"

static size_t unhex(const char *h, uint8_t *out)
{
	size_t n = strlen(h) / 2;

	for (size_t i = 0; i < n; i++) {
		unsigned v;

		assert_int_equal(sscanf(h + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return n;
}

static void expect_enc(const struct cbor_enc *e, const char *hex)
{
	uint8_t want[256];
	size_t n = unhex(hex, want), len;

	assert_int_equal(cbor_enc_finish(e, &len), 0);
	assert_int_equal(len, n);
	assert_memory_equal(e->buf, want, n);
}

#define ENC(stmt, hex)                                                                             \
	do {                                                                                       \
		uint8_t buf[256];                                                                  \
		struct cbor_enc e;                                                                 \
		cbor_enc_init(&e, buf, sizeof(buf));                                               \
		stmt;                                                                              \
		expect_enc(&e, hex);                                                               \
	} while (0)

static void test_integers(void **state)
{
	ENC(cbor_put_uint(&e, 0), "00");
	ENC(cbor_put_uint(&e, 1), "01");
	ENC(cbor_put_uint(&e, 10), "0a");
	ENC(cbor_put_uint(&e, 23), "17");
	ENC(cbor_put_uint(&e, 24), "1818");
	ENC(cbor_put_uint(&e, 25), "1819");
	ENC(cbor_put_uint(&e, 100), "1864");
	ENC(cbor_put_uint(&e, 255), "18ff");
	ENC(cbor_put_uint(&e, 256), "190100");
	ENC(cbor_put_uint(&e, 1000), "1903e8");
	ENC(cbor_put_uint(&e, 65535), "19ffff");
	ENC(cbor_put_uint(&e, 65536), "1a00010000");
	ENC(cbor_put_uint(&e, 1000000), "1a000f4240");
	ENC(cbor_put_uint(&e, 4294967295ULL), "1affffffff");
	ENC(cbor_put_uint(&e, 4294967296ULL), "1b0000000100000000");
	ENC(cbor_put_uint(&e, 1000000000000ULL), "1b000000e8d4a51000");
	ENC(cbor_put_uint(&e, UINT64_MAX), "1bffffffffffffffff");
	ENC(cbor_put_int(&e, 0), "00");
	ENC(cbor_put_int(&e, -1), "20");
	ENC(cbor_put_int(&e, -10), "29");
	ENC(cbor_put_int(&e, -24), "37");
	ENC(cbor_put_int(&e, -25), "3818");
	ENC(cbor_put_int(&e, -35), "3822"); /* ES384 */
	ENC(cbor_put_int(&e, -100), "3863");
	ENC(cbor_put_int(&e, -1000), "3903e7");
	ENC(cbor_put_int(&e, INT64_MIN), "3b7fffffffffffffff");
	ENC(cbor_put_int(&e, INT64_MAX), "1b7fffffffffffffff");
}

static void test_strings_and_containers(void **state)
{
	static const uint8_t b4[] = {1, 2, 3, 4};
	uint8_t big[300];

	ENC(cbor_put_bstr(&e, NULL, 0), "40");
	ENC(cbor_put_bstr(&e, b4, 4), "4401020304");
	ENC(cbor_put_tstr(&e, ""), "60");
	ENC(cbor_put_tstr(&e, "a"), "6161");
	ENC(cbor_put_tstr(&e, "IETF"), "6449455446");
	ENC(cbor_put_tstr(&e, "\"\\"), "62225c");
	ENC(cbor_put_tstr(&e, "\xc3\xbc"), "62c3bc");
	ENC(cbor_put_array(&e, 0), "80");
	ENC((cbor_put_array(&e, 3), cbor_put_uint(&e, 1), cbor_put_uint(&e, 2),
	     cbor_put_uint(&e, 3)),
	    "83010203");
	ENC(cbor_put_map(&e, 0), "a0");
	ENC((cbor_put_map(&e, 2), cbor_put_uint(&e, 1), cbor_put_uint(&e, 2), cbor_put_uint(&e, 3),
	     cbor_put_uint(&e, 4)),
	    "a201020304");
	ENC((cbor_put_tag(&e, 1), cbor_put_uint(&e, 1363896240)), "c11a514b67b0");
	ENC((cbor_put_tag(&e, 18), cbor_put_array(&e, 0)), "d280");
	ENC((cbor_put_tag(&e, 399), cbor_put_map(&e, 0)), "d9018fa0");
	ENC((cbor_put_uint(&e, 44234), cbor_put_uint(&e, 44241)), "19acca19acd1");
	ENC(cbor_put_raw(&e, b4, 2), "0102");

	/* A 300-byte string: two-byte length. */
	{
		uint8_t buf[400];
		struct cbor_enc e;
		size_t len;

		memset(big, 0x5a, sizeof(big));
		cbor_enc_init(&e, buf, sizeof(buf));
		cbor_put_bstr(&e, big, sizeof(big));
		assert_int_equal(cbor_enc_finish(&e, &len), 0);
		assert_int_equal(len, 303);
		assert_int_equal(buf[0], 0x59);
		assert_int_equal(buf[1], 0x01);
		assert_int_equal(buf[2], 0x2c);
		assert_memory_equal(buf + 3, big, sizeof(big));
	}
}

static void test_overflow(void **state)
{
	uint8_t buf[8], canary[4] = {0xEE, 0xEE, 0xEE, 0xEE};
	uint8_t mem[12];
	struct cbor_enc e;
	size_t len;

	/* Measuring with no buffer. */
	cbor_enc_init(&e, NULL, 100);
	cbor_put_tstr(&e, "IETF");
	cbor_put_uint(&e, 1000);
	assert_int_equal(cbor_enc_finish(&e, &len), -ENOSPC);
	assert_int_equal(len, 8);

	/* Exactly full is fine. */
	cbor_enc_init(&e, buf, 5);
	cbor_put_tstr(&e, "IETF");
	assert_int_equal(cbor_enc_finish(&e, &len), 0);
	assert_int_equal(len, 5);

	/* One byte too many: nothing written past the end, later items not either. */
	memcpy(mem, "\0\0\0\0\0\0\0\0", 8);
	memcpy(mem + 8, canary, 4);
	cbor_enc_init(&e, mem, 8);
	cbor_put_uint(&e, 1000);       /* 3 bytes */
	cbor_put_bstr(&e, "abcde", 5); /* 6 bytes: does not fit */
	cbor_put_uint(&e, 1);	       /* would fit in the 5 left: must not be written */
	assert_int_equal(cbor_enc_finish(&e, &len), -ENOSPC);
	assert_int_equal(len, 10);
	assert_memory_equal(mem + 8, canary, 4);
	assert_int_equal(mem[4], 0); /* the head of the bstr may be there, nothing after */
	assert_false(cbor_enc_ok(&e));
}

/* A valid P-384 scalar (well below the group order). */
static void test_key(uint8_t d[COSE_P384_SCALAR_SIZE], uint8_t seed)
{
	for (unsigned i = 0; i < COSE_P384_SCALAR_SIZE; i++)
		d[i] = (uint8_t)(seed + i * 7);
	d[0] = 0x3f;
}

static void test_cose_key_layout(void **state)
{
	uint8_t d[COSE_P384_SCALAR_SIZE], buf[200], zero[COSE_P384_SCALAR_SIZE] = {0};
	struct cose_p384_pub pub;
	struct cbor_enc e;
	size_t len;

	test_key(d, 1);
	assert_int_equal(cose_p384_public(d, &pub), 0);
	cbor_enc_init(&e, buf, sizeof(buf));
	cose_put_p384_key(&e, &pub);
	assert_int_equal(cbor_enc_finish(&e, &len), 0);
	assert_int_equal(len, 107);
	/* {1: 2, -1: 2, -2: h'x..', -3: h'y..'} */
	static const uint8_t head[] = {0xa4, 0x01, 0x02, 0x20, 0x02, 0x21, 0x58, 0x30};
	assert_memory_equal(buf, head, sizeof(head));
	assert_memory_equal(buf + 8, pub.x, 48);
	assert_int_equal(buf[56], 0x22);
	assert_int_equal(buf[57], 0x58);
	assert_int_equal(buf[58], 0x30);
	assert_memory_equal(buf + 59, pub.y, 48);

	/* Scalars outside [1, n-1] are refused. */
	assert_int_equal(cose_p384_public(zero, &pub), -EINVAL);
	memset(d, 0xff, sizeof(d));
	assert_int_equal(cose_p384_public(d, &pub), -EINVAL);
}

static void test_cose_sign1(void **state)
{
	static const uint8_t payload[] = {0xa1, 0x0a, 0x43, 1, 2, 3}; /* {10: h'010203'} */
	uint8_t d[COSE_P384_SCALAR_SIZE], hash[COSE_SHA384_SIZE], hash2[64], sig[96], sig2[96];
	uint8_t tbs[64], buf[256];
	struct cose_p384_pub pub;
	struct cbor_enc e;
	size_t len, n;
	mbedtls_ecp_group grp;
	mbedtls_ecp_point q;
	mbedtls_mpi r, s;
	uint8_t pt[97];

	test_key(d, 9);
	assert_int_equal(cose_p384_public(d, &pub), 0);

	/* The Sig_structure hash, recomputed from its known bytes. */
	n = unhex("846a5369676e61747572653144a101382240", tbs);
	tbs[n++] = 0x46;
	memcpy(tbs + n, payload, sizeof(payload));
	n += sizeof(payload);
	mbedtls_sha512_ret(tbs, n, hash2, 1);
	cose_sign1_tbs_hash(payload, sizeof(payload), hash);
	assert_memory_equal(hash, hash2, 48);

	assert_int_equal(cose_es384_sign(d, hash, sig), 0);
	/* RFC 6979: deterministic. */
	assert_int_equal(cose_es384_sign(d, hash, sig2), 0);
	assert_memory_equal(sig, sig2, sizeof(sig));

	/* mbedTLS's verifier accepts it with the public key; not a changed hash. */
	mbedtls_ecp_group_init(&grp);
	mbedtls_ecp_point_init(&q);
	mbedtls_mpi_init(&r);
	mbedtls_mpi_init(&s);
	assert_int_equal(mbedtls_ecp_group_load(&grp, MBEDTLS_ECP_DP_SECP384R1), 0);
	pt[0] = 4;
	memcpy(pt + 1, pub.x, 48);
	memcpy(pt + 49, pub.y, 48);
	assert_int_equal(mbedtls_ecp_point_read_binary(&grp, &q, pt, sizeof(pt)), 0);
	assert_int_equal(mbedtls_mpi_read_binary(&r, sig, 48), 0);
	assert_int_equal(mbedtls_mpi_read_binary(&s, sig + 48, 48), 0);
	assert_int_equal(mbedtls_ecdsa_verify(&grp, hash, 48, &q, &r, &s), 0);
	hash[0] ^= 1;
	assert_int_not_equal(mbedtls_ecdsa_verify(&grp, hash, 48, &q, &r, &s), 0);
	mbedtls_mpi_free(&r);
	mbedtls_mpi_free(&s);
	mbedtls_ecp_point_free(&q);
	mbedtls_ecp_group_free(&grp);

	/* 18([h'a1013822', {}, h'payload', h'sig']) */
	cbor_enc_init(&e, buf, sizeof(buf));
	cose_put_sign1(&e, payload, sizeof(payload), sig);
	assert_int_equal(cbor_enc_finish(&e, &len), 0);
	assert_int_equal(len, 1 + 1 + 5 + 1 + 1 + sizeof(payload) + 2 + 96);
	n = unhex("d28444a1013822a046", tbs);
	assert_memory_equal(buf, tbs, n);
	assert_memory_equal(buf + n, payload, sizeof(payload));
	assert_int_equal(buf[n + sizeof(payload)], 0x58);
	assert_int_equal(buf[n + sizeof(payload) + 1], 96);
	assert_memory_equal(buf + len - 96, sig, 96);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integers),   cmocka_unit_test(test_strings_and_containers),
		cmocka_unit_test(test_overflow),   cmocka_unit_test(test_cose_key_layout),
		cmocka_unit_test(test_cose_sign1),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
