/*
 * REC_CREATE, REC_DESTROY, REC_AUX_COUNT and the MPIDR helpers: the REC
 * and aux granule transitions, the REC's initial state, the RD's REC count
 * and refcount, the RIM extension of RUNNABLE RECs, every refused argument
 * (state unchanged after each), and destroying a running REC.
 */
#include "common/harness.h"
#include "common/fixtures.h"
#include "common/invariants.h"

#include <string.h>

#include "lib/hash.h"
#include "plat/plat.h"
#include "rmm/granule.h"
#include "rmm/measure.h"
#include "rmm/realm.h"
#include "rmm/rec.h"



static struct rd *rd_of(uint64_t rd)
{
	struct rd *p = plat_map(PAS_REALM, rd, GRANULE_SIZE, NULL);

	assert_non_null(p);
	return p;
}

static struct rec *rec_of(uint64_t rec)
{
	struct rec *p = plat_map(PAS_REALM, rec, GRANULE_SIZE, NULL);

	assert_non_null(p);
	return p;
}

/* A REC_CREATE under construction: params with fresh delegated aux granules. */
struct rc {
	uint64_t rec;
	struct rmi_rec_params p;
};

static void rc_init(struct rc *c, uint64_t mpidr, uint64_t flags)
{
	memset(c, 0, sizeof(*c));
	c->rec = th_delegated_granule();
	c->p.flags = flags;
	c->p.mpidr = mpidr;
	c->p.pc = 0x80000 + mpidr;
	for (unsigned i = 0; i < RMI_REC_PARAMS_GPRS; i++)
		c->p.gprs[i] = 0x1111111111111111ULL * (i + 1);
	c->p.num_aux = RMI_REC_AUX_COUNT;
	for (unsigned i = 0; i < RMI_REC_AUX_COUNT; i++)
		c->p.aux[i] = th_delegated_granule();
}

static uint64_t rc_create(uint64_t rd, const struct rc *c)
{
	uint64_t params = th_ns_granule();
	uint64_t ret;

	assert_int_equal(host_mem_write(params, &c->p, sizeof(c->p)), 0);
	ret = th_rmi(SMC_RMI_REC_CREATE, rd, c->rec, params, 0, 0, 0, NULL);
	host_granule_free(params);
	return ret;
}

static uint64_t rec_destroy(uint64_t rec)
{
	return th_rmi(SMC_RMI_REC_DESTROY, rec, 0, 0, 0, 0, 0, NULL);
}

/* Nothing of c was consumed: REC and aux granules DELEGATED and zero. */
static void assert_rc_untouched(const struct rc *c)
{
	assert_int_equal(fx_granule_state(c->rec), GRANULE_STATE_DELEGATED);
	assert_true(fx_realm_granule_zero(c->rec));
	for (unsigned i = 0; i < RMI_REC_AUX_COUNT; i++) {
		uint64_t a = c->p.aux[i];

		if (granule_find(a) == NULL || a == c->rec)
			continue;
		if (fx_granule_state(a) == GRANULE_STATE_DELEGATED)
			assert_true(fx_realm_granule_zero(a));
	}
	fx_inv_assert();
}

/* Destroy the REC of c and undelegate everything of it. */
static void rc_destroy(const struct rc *c)
{
	assert_int_equal(rec_destroy(c->rec), RMI_SUCCESS);
	assert_int_equal(th_rmi(SMC_RMI_GRANULE_UNDELEGATE, c->rec, 0, 0, 0, 0, 0, NULL), RMI_SUCCESS);
	for (unsigned i = 0; i < RMI_REC_AUX_COUNT; i++)
		assert_int_equal(th_rmi(SMC_RMI_GRANULE_UNDELEGATE, c->p.aux[i], 0, 0, 0, 0, 0, NULL),
				 RMI_SUCCESS);
}

/* Expected RIM after a RUNNABLE REC_CREATE, built from cca-spec §5. */
static void expected_rim_after_rec(enum hash_algo algo, const uint8_t rim[64],
				   const struct rmi_rec_params *p, uint8_t out[64])
{
	static uint8_t img[GRANULE_SIZE];
	uint8_t desc[0x100];

	memset(img, 0, sizeof(img));
	memcpy(img + 0x000, &p->flags, 8);
	memcpy(img + 0x200, &p->pc, 8);
	memcpy(img + 0x300, p->gprs, 64);
	memset(desc, 0, sizeof(desc));
	desc[0] = 1;
	desc[8] = 0x00;
	desc[9] = 0x01; /* len = 0x100, little endian */
	memcpy(desc + 0x10, rim, 64);
	assert_int_equal(hash_buf(algo, img, sizeof(img), desc + 0x50), 0);
	memset(out, 0, 64);
	assert_int_equal(hash_buf(algo, desc, sizeof(desc), out), 0);
}

/* ---- REC_CREATE ------------------------------------------------------- */

static void test_create_ok(void **state)
{
	struct th_realm r;
	struct rc c;
	uint8_t rim_before[64], rim_expected[64];
	struct rec *rec;

	assert_int_equal(th_realm_create(&r, NULL), RMI_SUCCESS);
	memcpy(rim_before, rd_of(r.rd)->measurement[0], 64);
	rc_init(&c, 0, RMI_REC_FLAG_RUNNABLE);
	assert_int_equal(rc_create(r.rd, &c), RMI_SUCCESS);

	assert_int_equal(fx_granule_state(c.rec), GRANULE_STATE_REC);
	assert_int_equal(granule_refcount_read(granule_find(c.rec)), 0);
	for (unsigned i = 0; i < RMI_REC_AUX_COUNT; i++)
		assert_int_equal(fx_granule_state(c.p.aux[i]), GRANULE_STATE_REC_AUX);
	rec = rec_of(c.rec);
	assert_int_equal(rec->rd_addr, r.rd);
	assert_int_equal(rec->rec_idx, 0);
	assert_int_equal(rec->mpidr, 0);
	assert_true(rec->runnable);
	assert_int_equal(rec->regs.pc, c.p.pc);
	for (unsigned i = 0; i < RMI_REC_PARAMS_GPRS; i++)
		assert_int_equal(rec->regs.gprs[i], c.p.gprs[i]);
	for (unsigned i = RMI_REC_PARAMS_GPRS; i < 31; i++)
		assert_int_equal(rec->regs.gprs[i], 0);
	assert_int_equal(rec->regs.pstate, 0x3c5);
	assert_null(rec->pe);
	assert_int_equal(rec->num_aux, RMI_REC_AUX_COUNT);
	assert_memory_equal(rec->aux, c.p.aux, sizeof(c.p.aux));
	assert_int_equal(rec->pending, REC_PENDING_NONE);

	assert_int_equal(rd_of(r.rd)->rec_count, 1);
	assert_int_equal(granule_refcount_read(granule_find(r.rd)), 1);
	expected_rim_after_rec(HASH_SHA256, rim_before, &c.p, rim_expected);
	assert_memory_equal(rd_of(r.rd)->measurement[0], rim_expected, 64);

	rc_destroy(&c);
	assert_int_equal(granule_refcount_read(granule_find(r.rd)), 0);
	/* REC_DESTROY does not give the index back. */
	assert_int_equal(rd_of(r.rd)->rec_count, 1);
	th_realm_destroy_all(&r, NULL, 0, 0);
}

static void test_create_not_runnable_not_measured(void **state)
{
	struct th_realm r;
	struct rc c;
	uint8_t rim_before[64];

	assert_int_equal(th_realm_create(&r, NULL), RMI_SUCCESS);
	memcpy(rim_before, rd_of(r.rd)->measurement[0], 64);
	rc_init(&c, 0, 0);
	assert_int_equal(rc_create(r.rd, &c), RMI_SUCCESS);
	assert_false(rec_of(c.rec)->runnable);
	assert_memory_equal(rd_of(r.rd)->measurement[0], rim_before, 64);
	rc_destroy(&c);
	th_realm_destroy_all(&r, NULL, 0, 0);
}

static void test_create_sha512_measured(void **state)
{
	struct rmi_realm_params p;
	struct th_realm r;
	struct rc c;
	uint8_t rim_before[64], rim_expected[64];

	th_default_params(&p, 77);
	p.hash_algo = RMI_HASH_SHA_512;
	assert_int_equal(th_realm_create(&r, &p), RMI_SUCCESS);
	memcpy(rim_before, rd_of(r.rd)->measurement[0], 64);
	rc_init(&c, 0, RMI_REC_FLAG_RUNNABLE);
	assert_int_equal(rc_create(r.rd, &c), RMI_SUCCESS);
	expected_rim_after_rec(HASH_SHA512, rim_before, &c.p, rim_expected);
	assert_memory_equal(rd_of(r.rd)->measurement[0], rim_expected, 64);
	rc_destroy(&c);
	th_realm_destroy_all(&r, NULL, 0, 0);
}

/* RECs must be created in MPIDR index order: 0, 1, ..., 15, 16 (Aff1 = 1), ... */
static void test_create_mpidr_order(void **state)
{
	struct th_realm r;
	static struct rc c[20];
	struct rc bad;

	assert_int_equal(th_realm_create(&r, NULL), RMI_SUCCESS);
	/* Index 1 before index 0. */
	rc_init(&bad, 1, RMI_REC_FLAG_RUNNABLE);
	assert_int_equal(rc_create(r.rd, &bad), RMI_ERROR_INPUT);
	assert_rc_untouched(&bad);
	assert_int_equal(rd_of(r.rd)->rec_count, 0);

	for (unsigned i = 0; i < ARRAY_SIZE(c); i++) {
		rc_init(&c[i], rec_idx_to_mpidr(i), i % 2 ? RMI_REC_FLAG_RUNNABLE : 0);
		assert_int_equal(rc_create(r.rd, &c[i]), RMI_SUCCESS);
		assert_int_equal(rec_of(c[i].rec)->rec_idx, i);
		/* The same index again is refused. */
		bad.p.mpidr = c[i].p.mpidr;
		assert_int_equal(rc_create(r.rd, &bad), RMI_ERROR_INPUT);
	}
	assert_int_equal(c[16].p.mpidr, 0x100);
	assert_int_equal(rd_of(r.rd)->rec_count, ARRAY_SIZE(c));
	assert_int_equal(granule_refcount_read(granule_find(r.rd)), ARRAY_SIZE(c));
	/* Skipping an index is refused. */
	bad.p.mpidr = rec_idx_to_mpidr(ARRAY_SIZE(c) + 1);
	assert_int_equal(rc_create(r.rd, &bad), RMI_ERROR_INPUT);
	assert_rc_untouched(&bad);
	for (unsigned i = 0; i < ARRAY_SIZE(c); i++) {
		rc_destroy(&c[i]);
		assert_int_equal(granule_refcount_read(granule_find(r.rd)), ARRAY_SIZE(c) - 1 - i);
	}
	th_realm_destroy_all(&r, NULL, 0, 0);
}

static void test_create_bad_params(void **state)
{
	struct th_realm r;
	struct rc c;
	uint64_t rd_rim[8];

	assert_int_equal(th_realm_create(&r, NULL), RMI_SUCCESS);
	memcpy(rd_rim, rd_of(r.rd)->measurement[0], sizeof(rd_rim));
	rc_init(&c, 0, RMI_REC_FLAG_RUNNABLE);

	const struct {
		const char *what;
		unsigned field; /* 0 flags, 1 mpidr, 2 num_aux */
		uint64_t value;
	} cases[] = {
		{ "flags bit 1", 0, BIT(1) },
		{ "flags all", 0, ~0ULL },
		{ "mpidr Aff0 bit 4", 1, BIT(4) },
		{ "mpidr bit 24", 1, BIT(24) },
		{ "mpidr bit 31", 1, BIT(31) },
		{ "mpidr bit 40", 1, BIT(40) },
		{ "mpidr ~0", 1, ~0ULL },
		{ "mpidr beyond MAX_RECS", 1, 0x100000000ULL },
		{ "num_aux 0", 2, 0 },
		{ "num_aux 15", 2, 15 },
		{ "num_aux 17", 2, 17 },
		{ "num_aux ~0", 2, ~0ULL },
	};
	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		struct rc m = c;

		if (cases[i].field == 0)
			m.p.flags = cases[i].value;
		else if (cases[i].field == 1)
			m.p.mpidr = cases[i].value;
		else
			m.p.num_aux = cases[i].value;
		if (rc_create(r.rd, &m) != RMI_ERROR_INPUT)
			fail_msg("%s accepted", cases[i].what);
		assert_rc_untouched(&c);
	}
	assert_int_equal(rd_of(r.rd)->rec_count, 0);
	assert_int_equal(granule_refcount_read(granule_find(r.rd)), 0);
	assert_memory_equal(rd_of(r.rd)->measurement[0], rd_rim, sizeof(rd_rim));
	/* The untouched granules still make a REC. */
	assert_int_equal(rc_create(r.rd, &c), RMI_SUCCESS);
	rc_destroy(&c);
	th_realm_destroy_all(&r, NULL, 0, 0);
}

static void test_create_bad_granules(void **state)
{
	struct th_realm r, other;
	struct rc c, m;
	uint64_t ns = th_ns_granule();

	assert_int_equal(th_realm_create(&r, NULL), RMI_SUCCESS);
	assert_int_equal(th_realm_create(&other, NULL), RMI_SUCCESS);
	rc_init(&c, 0, RMI_REC_FLAG_RUNNABLE);

	/* Aliased aux granules. */
	m = c;
	m.p.aux[5] = m.p.aux[3];
	assert_int_equal(rc_create(r.rd, &m), RMI_ERROR_INPUT);
	m = c;
	m.p.aux[15] = m.p.aux[0];
	assert_int_equal(rc_create(r.rd, &m), RMI_ERROR_INPUT);
	/* Aux is the REC, the RD, a root RTT, another realm's RD. */
	m = c;
	m.p.aux[7] = c.rec;
	assert_int_equal(rc_create(r.rd, &m), RMI_ERROR_INPUT);
	m = c;
	m.p.aux[7] = r.rd;
	assert_int_equal(rc_create(r.rd, &m), RMI_ERROR_INPUT);
	m = c;
	m.p.aux[2] = r.rtt_base;
	assert_int_equal(rc_create(r.rd, &m), RMI_ERROR_INPUT);
	m = c;
	m.p.aux[2] = other.rd;
	assert_int_equal(rc_create(r.rd, &m), RMI_ERROR_INPUT);
	/* Aux not delegated, unaligned, outside DRAM. */
	const uint64_t bad_aux[] = { ns, c.p.aux[4] + 8, 0, ~0ULL, th_layout.rmm_base,
				     th_layout.dram_base + th_layout.dram_size };
	for (unsigned i = 0; i < ARRAY_SIZE(bad_aux); i++) {
		m = c;
		m.p.aux[4] = bad_aux[i];
		assert_int_equal(rc_create(r.rd, &m), RMI_ERROR_INPUT);
	}
	/* REC is the RD, an aux, NS, unaligned, not in DRAM, a root RTT. */
	const uint64_t bad_rec[] = { r.rd, c.p.aux[9], ns, c.rec + 1, ~0ULL, r.rtt_base,
				     th_layout.dram_base + th_layout.dram_size };
	for (unsigned i = 0; i < ARRAY_SIZE(bad_rec); i++) {
		m = c;
		m.rec = bad_rec[i];
		assert_int_equal(rc_create(r.rd, &m), RMI_ERROR_INPUT);
	}
	/* RD not an RD. */
	const uint64_t bad_rd[] = { c.rec, r.rtt_base, ns, r.rd + 8, ~0ULL, 0 };
	for (unsigned i = 0; i < ARRAY_SIZE(bad_rd); i++)
		assert_int_equal(rc_create(bad_rd[i], &c), RMI_ERROR_INPUT);

	assert_rc_untouched(&c);
	assert_int_equal(fx_granule_state(r.rd), GRANULE_STATE_RD);
	assert_int_equal(fx_granule_state(ns), GRANULE_STATE_NS);
	assert_int_equal(rd_of(r.rd)->rec_count, 0);
	assert_int_equal(granule_refcount_read(granule_find(r.rd)), 0);

	/* The same granules in another realm after a refusal in this one. */
	assert_int_equal(rc_create(other.rd, &c), RMI_SUCCESS);
	assert_int_equal(rec_of(c.rec)->rd_addr, other.rd);
	assert_int_equal(granule_refcount_read(granule_find(other.rd)), 1);
	/* Its granules cannot go into a second REC. */
	m = c;
	m.rec = th_delegated_granule();
	assert_int_equal(rc_create(r.rd, &m), RMI_ERROR_INPUT);
	assert_int_equal(fx_granule_state(m.rec), GRANULE_STATE_DELEGATED);
	rc_destroy(&c);
	th_realm_destroy_all(&r, NULL, 0, 0);
	th_realm_destroy_all(&other, NULL, 0, 0);
}

static void test_create_params_not_ns(void **state)
{
	struct th_realm r;
	struct rc c;
	uint64_t params = th_ns_granule();

	assert_int_equal(th_realm_create(&r, NULL), RMI_SUCCESS);
	rc_init(&c, 0, RMI_REC_FLAG_RUNNABLE);
	assert_int_equal(host_mem_write(params, &c.p, sizeof(c.p)), 0);
	assert_int_equal(th_rmi(SMC_RMI_GRANULE_DELEGATE, params, 0, 0, 0, 0, 0, NULL), RMI_SUCCESS);
	const uint64_t bad[] = { params, c.rec, r.rd, c.p.aux[0], th_layout.rmm_base,
				 th_layout.root_base, params + 16, ~0ULL, 0 };
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(th_rmi(SMC_RMI_REC_CREATE, r.rd, c.rec, bad[i], 0, 0, 0, NULL),
				 RMI_ERROR_INPUT);
	assert_rc_untouched(&c);
	assert_int_equal(rd_of(r.rd)->rec_count, 0);
	assert_int_equal(th_rmi(SMC_RMI_GRANULE_UNDELEGATE, params, 0, 0, 0, 0, 0, NULL), RMI_SUCCESS);
	th_realm_destroy_all(&r, NULL, 0, 0);
}

static void test_create_realm_active(void **state)
{
	struct th_realm r;
	struct rc c;

	assert_int_equal(th_realm_create(&r, NULL), RMI_SUCCESS);
	assert_int_equal(th_rmi(SMC_RMI_REALM_ACTIVATE, r.rd, 0, 0, 0, 0, 0, NULL), RMI_SUCCESS);
	rc_init(&c, 0, RMI_REC_FLAG_RUNNABLE);
	assert_int_equal(rc_create(r.rd, &c), RMI_ERROR_REALM);
	assert_rc_untouched(&c);
	assert_int_equal(rd_of(r.rd)->rec_count, 0);
	assert_int_equal(granule_refcount_read(granule_find(r.rd)), 0);
	/* SYSTEM_OFF likewise. */
	rd_of(r.rd)->state = REALM_SYSTEM_OFF;
	assert_int_equal(rc_create(r.rd, &c), RMI_ERROR_REALM);
	assert_rc_untouched(&c);
	th_realm_destroy_all(&r, NULL, 0, 0);
}

/* ---- REC_DESTROY ------------------------------------------------------ */

static void test_destroy_ok(void **state)
{
	struct th_realm r;
	struct rc c;
	struct rec *rec;

	assert_int_equal(th_realm_create(&r, NULL), RMI_SUCCESS);
	rc_init(&c, 0, RMI_REC_FLAG_RUNNABLE);
	assert_int_equal(rc_create(r.rd, &c), RMI_SUCCESS);
	/* Leave something in an aux granule, as REC_ENTER would. */
	memset(plat_map(PAS_REALM, c.p.aux[3], GRANULE_SIZE, NULL), 0x5A, 64);
	assert_int_equal(th_rmi(SMC_RMI_REALM_ACTIVATE, r.rd, 0, 0, 0, 0, 0, NULL), RMI_SUCCESS);
	assert_int_equal(rec_destroy(c.rec), RMI_SUCCESS);
	/* Scrubbed and DELEGATED; the RD refcount dropped. */
	assert_rc_untouched(&c);
	for (unsigned i = 0; i < RMI_REC_AUX_COUNT; i++) {
		assert_int_equal(fx_granule_state(c.p.aux[i]), GRANULE_STATE_DELEGATED);
		assert_true(fx_realm_granule_zero(c.p.aux[i]));
	}
	assert_int_equal(granule_refcount_read(granule_find(r.rd)), 0);
	assert_int_equal(rec_destroy(c.rec), RMI_ERROR_INPUT);
	assert_int_equal(granule_refcount_read(granule_find(r.rd)), 0);
	(void)rec;
	th_realm_destroy_all(&r, NULL, 0, 0);
}

static void test_destroy_bad(void **state)
{
	struct th_realm r;
	struct rc c;

	assert_int_equal(th_realm_create(&r, NULL), RMI_SUCCESS);
	rc_init(&c, 0, RMI_REC_FLAG_RUNNABLE);
	assert_int_equal(rc_create(r.rd, &c), RMI_SUCCESS);
	const uint64_t bad[] = { r.rd, r.rtt_base, c.p.aux[0], c.rec + 8, th_delegated_granule(),
				 th_ns_granule(), 0, ~0ULL, th_layout.rmm_base,
				 th_layout.dram_base + th_layout.dram_size };
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(rec_destroy(bad[i]), RMI_ERROR_INPUT);
	assert_int_equal(fx_granule_state(c.rec), GRANULE_STATE_REC);
	assert_int_equal(fx_granule_state(c.p.aux[0]), GRANULE_STATE_REC_AUX);
	assert_int_equal(granule_refcount_read(granule_find(r.rd)), 1);
	rc_destroy(&c);
	th_realm_destroy_all(&r, NULL, 0, 0);
}

/* A running REC holds a reference (REC_ENTER): it cannot be destroyed. */
static void test_destroy_running(void **state)
{
	struct th_realm r;
	struct rc c;
	struct granule *g;

	assert_int_equal(th_realm_create(&r, NULL), RMI_SUCCESS);
	rc_init(&c, 0, RMI_REC_FLAG_RUNNABLE);
	assert_int_equal(rc_create(r.rd, &c), RMI_SUCCESS);
	g = granule_find(c.rec);
	atomic_granule_get(g); /* as REC_ENTER does while the REC runs */
	assert_int_equal(rec_destroy(c.rec), RMI_ERROR_REC);
	assert_int_equal(fx_granule_state(c.rec), GRANULE_STATE_REC);
	assert_int_equal(rec_of(c.rec)->rd_addr, r.rd);
	for (unsigned i = 0; i < RMI_REC_AUX_COUNT; i++)
		assert_int_equal(fx_granule_state(c.p.aux[i]), GRANULE_STATE_REC_AUX);
	assert_int_equal(granule_refcount_read(granule_find(r.rd)), 1);
	assert_int_equal(th_rmi(SMC_RMI_REALM_DESTROY, r.rd, 0, 0, 0, 0, 0, NULL), RMI_ERROR_REALM);
	atomic_granule_put(g);
	rc_destroy(&c);
	th_realm_destroy_all(&r, NULL, 0, 0);
}

/* ---- REC_AUX_COUNT and MPIDR ------------------------------------------ */

static void test_aux_count(void **state)
{
	struct th_realm r;
	struct smc_regs res;

	assert_int_equal(th_realm_create(&r, NULL), RMI_SUCCESS);
	assert_int_equal(th_rmi(SMC_RMI_REC_AUX_COUNT, r.rd, 0, 0, 0, 0, 0, &res), RMI_SUCCESS);
	assert_int_equal(res.x[1], 16);
	const uint64_t bad[] = { r.rtt_base, r.rd + 1, th_delegated_granule(), th_ns_granule(), 0, ~0ULL };
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(th_rmi(SMC_RMI_REC_AUX_COUNT, bad[i], 0, 0, 0, 0, 0, &res),
				 RMI_ERROR_INPUT);
		assert_int_equal(res.x[1], 0);
	}
	/* Any realm state. */
	assert_int_equal(th_rmi(SMC_RMI_REALM_ACTIVATE, r.rd, 0, 0, 0, 0, 0, NULL), RMI_SUCCESS);
	assert_int_equal(th_rmi(SMC_RMI_REC_AUX_COUNT, r.rd, 0, 0, 0, 0, 0, &res), RMI_SUCCESS);
	assert_int_equal(res.x[1], 16);
	th_realm_destroy_all(&r, NULL, 0, 0);
}

static void test_mpidr(void **state)
{
	assert_true(mpidr_is_valid(0));
	assert_true(mpidr_is_valid(0xF));
	assert_true(mpidr_is_valid(0xFF00FF0FULL & 0xFFFF0FULL));
	assert_true(mpidr_is_valid(0xFF00FFFF0FULL));
	assert_false(mpidr_is_valid(0x10));
	assert_false(mpidr_is_valid(0xF0));
	assert_false(mpidr_is_valid(BIT(24)));
	assert_false(mpidr_is_valid(BIT(31)));
	assert_false(mpidr_is_valid(BIT(40)));
	assert_false(mpidr_is_valid(~0ULL));

	assert_int_equal(mpidr_to_rec_idx(0), 0);
	assert_int_equal(mpidr_to_rec_idx(0xF), 15);
	assert_int_equal(mpidr_to_rec_idx(0x100), 16);
	assert_int_equal(mpidr_to_rec_idx(0x10203), 3 + 2 * 16 + 1 * 16 * 256);
	assert_int_equal(mpidr_to_rec_idx(0x100000000ULL), 1ULL << 20);
	for (uint64_t i = 0; i < 5000; i += 7) {
		uint64_t m = rec_idx_to_mpidr(i);

		assert_true(mpidr_is_valid(m));
		assert_int_equal(mpidr_to_rec_idx(m), i);
	}
	assert_int_equal(rec_idx_to_mpidr(16), 0x100);
	assert_int_equal(rec_idx_to_mpidr(17), 0x101);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_create_ok, fx_teardown_inv),
		cmocka_unit_test_teardown(test_create_not_runnable_not_measured, fx_teardown_inv),
		cmocka_unit_test_teardown(test_create_sha512_measured, fx_teardown_inv),
		cmocka_unit_test_teardown(test_create_mpidr_order, fx_teardown_inv),
		cmocka_unit_test_teardown(test_create_bad_params, fx_teardown_inv),
		cmocka_unit_test_teardown(test_create_bad_granules, fx_teardown_inv),
		cmocka_unit_test_teardown(test_create_params_not_ns, fx_teardown_inv),
		cmocka_unit_test_teardown(test_create_realm_active, fx_teardown_inv),
		cmocka_unit_test_teardown(test_destroy_ok, fx_teardown_inv),
		cmocka_unit_test_teardown(test_destroy_bad, fx_teardown_inv),
		cmocka_unit_test_teardown(test_destroy_running, fx_teardown_inv),
		cmocka_unit_test_teardown(test_aux_count, fx_teardown_inv),
		cmocka_unit_test(test_mpidr),
	};

	return cmocka_run_group_tests(tests, fx_group_setup, fx_group_teardown);
}
