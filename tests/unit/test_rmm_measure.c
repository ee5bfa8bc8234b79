/*
 * Realm measurements (rmm/measure.h) as pure computations on an RD in test
 * memory: the REALM_CREATE image, the DATA / REC / RIPAS descriptors of
 * cca-spec §5 (rebuilt here byte by byte), known answers computed with
 * Python's hashlib, zero padding of SHA-256 slots, and REM extension with
 * its argument checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "lib/errno.h"
#include "lib/hash.h"
#include "rmm/measure.h"
#include "rmm/realm.h"

static const uint8_t zeros[64];

static void rd_init(struct rd *rd, enum hash_algo algo)
{
	memset(rd, 0, sizeof(*rd));
	rd->algo = algo;
}

static void params_init(struct rmi_realm_params *p, uint8_t algo)
{
	memset(p, 0, sizeof(*p));
	p->s2sz = 40;
	p->num_bps = 6;
	p->num_wps = 4;
	p->hash_algo = algo;
}

static void unhex(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		assert_int_equal(sscanf(s + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

/* H(desc) with the descriptor's common header; fields set by the caller. */
static void desc_hash(enum hash_algo algo, uint8_t desc[0x100], uint8_t type, const uint8_t rim[64],
		      uint8_t out[64])
{
	uint64_t len = 0x100;

	desc[0] = type;
	memcpy(desc + 8, &len, 8);
	memcpy(desc + 0x10, rim, 64);
	memset(out, 0, 64);
	assert_int_equal(hash_buf(algo, desc, 0x100, out), 0);
}

/* Known answers (Python hashlib over the cca-spec §5 images). */
static void test_realm_create_kat(void **state)
{
	struct rd rd;
	struct rmi_realm_params p;
	uint8_t want[64];

	rd_init(&rd, HASH_SHA256);
	params_init(&p, RMI_HASH_SHA_256);
	/* Unmeasured fields must not matter. */
	memset(p.rpv, 0x77, sizeof(p.rpv));
	p.vmid = 9;
	p.rtt_base = 0x80001000;
	p.rtt_level_start = 1;
	p.rtt_num_start = 2;
	measure_realm_create(&rd, &p);
	unhex("220ace7dcb207bd692dc709a6bd6b58b0f04d1e11aa22530dff4088f4950c3a4", want, 32);
	assert_memory_equal(rd.measurement[0], want, 32);
	assert_memory_equal(rd.measurement[0] + 32, zeros, 32);

	measure_init_ripas(&rd, 0x1000, 0x3000);
	unhex("35d29be6c434507521a18675f6bbec7e7a3d8c0b094ecb63914e09d97606f3e0", want, 32);
	assert_memory_equal(rd.measurement[0], want, 32);
	assert_memory_equal(rd.measurement[0] + 32, zeros, 32);

	rd_init(&rd, HASH_SHA512);
	params_init(&p, RMI_HASH_SHA_512);
	measure_realm_create(&rd, &p);
	unhex("5d085fe5bfa89de498d05832eb1d19d78ac88b242facb96d6078e962e8d6de40"
	      "888fa582b0099d0732d3b493a48d9df3e2d17af8ac5b420fc261dcc4dd1ac6af",
	      want, 64);
	assert_memory_equal(rd.measurement[0], want, 64);
	/* Nothing but the RIM changes. */
	for (int i = 1; i < MEASUREMENT_SLOT_NR; i++)
		assert_memory_equal(rd.measurement[i], zeros, 64);
}

/* Each measured field changes the RIM. */
static void test_realm_create_fields(void **state)
{
	struct rmi_realm_params p;
	struct rd base, rd;

	rd_init(&base, HASH_SHA256);
	params_init(&p, 0);
	measure_realm_create(&base, &p);
	for (int f = 0; f < 7; f++) {
		params_init(&p, 0);
		switch (f) {
		case 0: p.flags = 1; break;
		case 1: p.s2sz = 41; break;
		case 2: p.sve_vl = 1; break;
		case 3: p.num_bps = 1; break;
		case 4: p.num_wps = 1; break;
		case 5: p.pmu_num_ctrs = 1; break;
		case 6: p.reserved0[0] = 1; break; /* byte 0x31: not a field */
		}
		rd_init(&rd, HASH_SHA256);
		measure_realm_create(&rd, &p);
		if (f == 6)
			assert_memory_equal(rd.measurement[0], base.measurement[0], 64);
		else
			assert_memory_not_equal(rd.measurement[0], base.measurement[0], 32);
	}
}

static void check_data(enum hash_algo algo, uint64_t flags)
{
	static uint8_t content[GRANULE_SIZE];
	struct rmi_realm_params p;
	struct rd rd;
	uint8_t desc[0x100] = { 0 }, rim0[64], want[64];
	size_t hlen = hash_size(algo);

	for (unsigned i = 0; i < sizeof(content); i++)
		content[i] = (uint8_t)(i * 7 + 3);
	rd_init(&rd, algo);
	params_init(&p, (uint8_t)algo);
	measure_realm_create(&rd, &p);
	memcpy(rim0, rd.measurement[0], 64);
	measure_data_create(&rd, 0x5000, flags, (flags & RMI_MEASURE_CONTENT) ? content : NULL);

	memcpy(desc + 0x50, &(uint64_t){ 0x5000 }, 8);
	memcpy(desc + 0x58, &flags, 8);
	if (flags & RMI_MEASURE_CONTENT)
		assert_int_equal(hash_buf(algo, content, sizeof(content), desc + 0x60), 0);
	desc_hash(algo, desc, MEASURE_DESC_DATA, rim0, want);
	assert_memory_equal(rd.measurement[0], want, 64);
	assert_memory_equal(rd.measurement[0] + hlen, zeros, 64 - hlen);
}

static void test_data(void **state)
{
	check_data(HASH_SHA256, RMI_MEASURE_CONTENT);
	check_data(HASH_SHA256, 0);
	check_data(HASH_SHA512, RMI_MEASURE_CONTENT);
	check_data(HASH_SHA512, 0);
}

/* Unmeasured DATA: content is not looked at (NULL or anything gives one RIM). */
static void test_data_unmeasured_ignores_content(void **state)
{
	static uint8_t content[GRANULE_SIZE];
	struct rd a, b;

	rd_init(&a, HASH_SHA256);
	rd_init(&b, HASH_SHA256);
	memset(content, 0xCC, sizeof(content));
	measure_data_create(&a, 0x2000, 0, NULL);
	measure_data_create(&b, 0x2000, 0, content);
	assert_memory_equal(a.measurement[0], b.measurement[0], 64);
	measure_data_create(&b, 0x3000, 0, NULL);
	assert_memory_not_equal(a.measurement[0], b.measurement[0], 32);
}

static void check_rec(enum hash_algo algo)
{
	static struct rmi_rec_params p;
	static uint8_t img[GRANULE_SIZE];
	struct rd rd;
	uint8_t desc[0x100] = { 0 }, rim0[64], want[64];

	rd_init(&rd, algo);
	memset(rd.measurement[0], 0x3C, hash_size(algo));
	memcpy(rim0, rd.measurement[0], 64);
	memset(&p, 0, sizeof(p));
	p.flags = RMI_REC_FLAG_RUNNABLE;
	p.mpidr = 0x101;   /* not measured */
	p.num_aux = 16;    /* not measured */
	p.aux[0] = 0x1234; /* not measured */
	p.pc = 0xdeadbeef000;
	for (int i = 0; i < 8; i++)
		p.gprs[i] = 0x0101010101010101ULL * (uint64_t)(i + 1);
	measure_rec_create(&rd, &p);

	memset(img, 0, sizeof(img));
	memcpy(img, &p.flags, 8);
	memcpy(img + 0x200, &p.pc, 8);
	memcpy(img + 0x300, p.gprs, 64);
	assert_int_equal(hash_buf(algo, img, sizeof(img), desc + 0x50), 0);
	desc_hash(algo, desc, MEASURE_DESC_REC, rim0, want);
	assert_memory_equal(rd.measurement[0], want, 64);
}

static void test_rec(void **state)
{
	check_rec(HASH_SHA256);
	check_rec(HASH_SHA512);
}

static void test_ripas(void **state)
{
	struct rd rd;
	uint8_t desc[0x100] = { 0 }, rim0[64], want[64];
	uint64_t base = 0x40000, top = 0x240000;

	rd_init(&rd, HASH_SHA512);
	memset(rd.measurement[0], 0xA1, 64);
	memcpy(rim0, rd.measurement[0], 64);
	measure_init_ripas(&rd, base, top);
	memcpy(desc + 0x50, &base, 8);
	memcpy(desc + 0x58, &top, 8);
	desc_hash(HASH_SHA512, desc, MEASURE_DESC_RIPAS, rim0, want);
	assert_memory_equal(rd.measurement[0], want, 64);
}

/* The RIM depends on the order of events. */
static void test_order(void **state)
{
	struct rd a, b;

	rd_init(&a, HASH_SHA256);
	rd_init(&b, HASH_SHA256);
	measure_init_ripas(&a, 0, 0x1000);
	measure_init_ripas(&a, 0x1000, 0x2000);
	measure_init_ripas(&b, 0x1000, 0x2000);
	measure_init_ripas(&b, 0, 0x1000);
	assert_memory_not_equal(a.measurement[0], b.measurement[0], 32);
}

static void test_rem_extend(void **state)
{
	struct rd rd;
	uint8_t data[64], buf[128], want[64], rim[64];

	for (unsigned i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(0xF0 ^ i);
	for (int algo = HASH_SHA256; algo <= HASH_SHA512; algo++) {
		size_t hlen = hash_size((enum hash_algo)algo);

		rd_init(&rd, (enum hash_algo)algo);
		memset(rd.measurement[0], 0x11, 64);
		memcpy(rim, rd.measurement[0], 64);
		for (unsigned idx = 1; idx <= 4; idx++) {
			for (size_t size = 0; size <= 64; size += 21) {
				memcpy(buf, rd.measurement[idx], hlen);
				memcpy(buf + hlen, data, size);
				memset(want, 0, sizeof(want));
				assert_int_equal(hash_buf((enum hash_algo)algo, buf, hlen + size, want), 0);
				assert_int_equal(measure_rem_extend(&rd, idx, data, size), 0);
				assert_memory_equal(rd.measurement[idx], want, 64);
			}
		}
		/* Refusals change nothing. */
		memcpy(buf, rd.measurement[2], 64);
		assert_int_equal(measure_rem_extend(&rd, 0, data, 8), -EINVAL);
		assert_int_equal(measure_rem_extend(&rd, 5, data, 8), -EINVAL);
		assert_int_equal(measure_rem_extend(&rd, ~0U, data, 8), -EINVAL);
		assert_int_equal(measure_rem_extend(&rd, 2, data, 65), -EINVAL);
		assert_int_equal(measure_rem_extend(&rd, 2, data, ~(size_t)0), -EINVAL);
		assert_memory_equal(rd.measurement[2], buf, 64);
		assert_memory_equal(rd.measurement[0], rim, 64);
	}
	/* A size of 64 with SHA-256 hashes all 64 bytes of data. */
	rd_init(&rd, HASH_SHA256);
	assert_int_equal(measure_rem_extend(&rd, 1, data, 64), 0);
	memcpy(want, rd.measurement[1], 64);
	rd_init(&rd, HASH_SHA256);
	assert_int_equal(measure_rem_extend(&rd, 1, data, 32), 0);
	assert_memory_not_equal(rd.measurement[1], want, 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_realm_create_kat),
		cmocka_unit_test(test_realm_create_fields),
		cmocka_unit_test(test_data),
		cmocka_unit_test(test_data_unmeasured_ignores_content),
		cmocka_unit_test(test_rec),
		cmocka_unit_test(test_ripas),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_rem_extend),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
