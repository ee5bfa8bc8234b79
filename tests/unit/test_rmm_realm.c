/*
 * REALM_CREATE, REALM_DESTROY, REALM_ACTIVATE: the granule transitions, the
 * RD contents and initial RIM, every refused parameter (flags, hash, s2sz
 * and starting level combinations, root RTT count and alignment, VMID
 * reuse, aliasing, wrong states, params not in NS memory), and that a refused
 * call leaves every granule as it was (DELEGATED and zero).
 */
#include "common/harness.h"
#include "common/fixtures.h"
#include "common/invariants.h"

#include <string.h>

#include "lib/hash.h"
#include "plat/plat.h"
#include "rmm/granule.h"
#include "rmm/realm.h"
#include "rmm/rmm_private.h"



static const struct rd *rd_of(uint64_t rd)
{
	const struct rd *p = plat_map(PAS_REALM, rd, GRANULE_SIZE, NULL);

	assert_non_null(p);
	return p;
}

static uint64_t create_raw(uint64_t rd, const struct rmi_realm_params *p)
{
	uint64_t params = th_ns_granule();
	uint64_t ret;

	assert_int_equal(host_mem_write(params, p, sizeof(*p)), 0);
	ret = th_rmi(SMC_RMI_REALM_CREATE, rd, params, 0, 0, 0, 0, NULL);
	host_granule_free(params);
	return ret;
}

static uint64_t destroy(uint64_t rd)
{
	return th_rmi(SMC_RMI_REALM_DESTROY, rd, 0, 0, 0, 0, 0, NULL);
}

static uint64_t activate(uint64_t rd)
{
	return th_rmi(SMC_RMI_REALM_ACTIVATE, rd, 0, 0, 0, 0, 0, NULL);
}

/* A refused REALM_CREATE left the RD and the root RTTs DELEGATED and zero. */
static void assert_untouched(const struct th_realm *r, unsigned nrtts)
{
	assert_int_equal(fx_granule_state(r->rd), GRANULE_STATE_DELEGATED);
	assert_true(fx_realm_granule_zero(r->rd));
	for (unsigned i = 0; i < nrtts; i++) {
		assert_int_equal(fx_granule_state(r->rtt_base + i * GRANULE_SIZE), GRANULE_STATE_DELEGATED);
		assert_true(fx_realm_granule_zero(r->rtt_base + i * GRANULE_SIZE));
	}
	fx_inv_assert();
}

/* Expected initial RIM, built here from cca-spec §5. */
static void expected_rim(const struct rmi_realm_params *p, uint8_t out[64])
{
	static uint8_t img[GRANULE_SIZE];

	memset(img, 0, sizeof(img));
	memcpy(img + 0x000, &p->flags, 8);
	memcpy(img + 0x008, &p->s2sz, 8);
	memcpy(img + 0x010, &p->sve_vl, 8);
	memcpy(img + 0x018, &p->num_bps, 8);
	memcpy(img + 0x020, &p->num_wps, 8);
	memcpy(img + 0x028, &p->pmu_num_ctrs, 8);
	img[0x030] = p->hash_algo;
	memset(out, 0, 64);
	assert_int_equal(hash_buf((enum hash_algo)p->hash_algo, img, sizeof(img), out), 0);
}

/* ---- REALM_CREATE ----------------------------------------------------- */

static void check_created(const struct th_realm *r, const struct rmi_realm_params *p)
{
	const struct rd *rd = rd_of(r->rd);
	uint8_t rim[64];

	assert_int_equal(fx_granule_state(r->rd), GRANULE_STATE_RD);
	for (unsigned i = 0; i < p->rtt_num_start; i++) {
		uint64_t pa = r->rtt_base + i * GRANULE_SIZE;

		assert_int_equal(fx_granule_state(pa), GRANULE_STATE_RTT);
		assert_int_equal(granule_refcount_read(granule_find(pa)), 0);
		assert_true(fx_realm_granule_zero(pa)); /* all entries UNASSIGNED, RIPAS EMPTY */
	}
	assert_int_equal(granule_refcount_read(granule_find(r->rd)), 0);
	assert_int_equal(rd->state, REALM_NEW);
	assert_int_equal(rd->ipa_bits, p->s2sz);
	assert_int_equal(rd->rtt_level_start, p->rtt_level_start);
	assert_int_equal(rd->rtt_num_start, p->rtt_num_start);
	assert_int_equal(rd->rtt_base, r->rtt_base);
	assert_int_equal(rd->vmid, p->vmid);
	assert_int_equal(rd->algo, p->hash_algo);
	assert_int_equal(rd->rec_count, 0);
	assert_memory_equal(rd->rpv, p->rpv, sizeof(rd->rpv));
	expected_rim(p, rim);
	assert_memory_equal(rd->measurement[0], rim, 64);
	for (unsigned i = 1; i < MEASUREMENT_SLOT_NR; i++) {
		static const uint8_t zeros[64];
		assert_memory_equal(rd->measurement[i], zeros, 64);
	}
}

static void test_create_ok(void **state)
{
	struct rmi_realm_params p;
	struct th_realm r;

	th_default_params(&p, 3);
	for (unsigned i = 0; i < sizeof(p.rpv); i++)
		p.rpv[i] = (uint8_t)(0x40 + i);
	p.num_bps = RMM_NUM_BPS;
	p.num_wps = RMM_NUM_WPS;
	assert_int_equal(th_realm_create(&r, &p), RMI_SUCCESS);
	p.rtt_base = r.rtt_base;
	check_created(&r, &p);
	/* The VMID is taken now. */
	assert_false(vmid_reserve(3));
	th_realm_destroy_all(&r, NULL, 0, 0);
	assert_true(vmid_reserve(3));
	vmid_free(3);
}

static void test_create_sha512(void **state)
{
	struct rmi_realm_params p;
	struct th_realm r;
	uint8_t rim[64];

	th_default_params(&p, 4);
	p.hash_algo = RMI_HASH_SHA_512;
	assert_int_equal(th_realm_create(&r, &p), RMI_SUCCESS);
	p.rtt_base = r.rtt_base;
	check_created(&r, &p);
	/* A different hash of a different image: the RIM differs from SHA-256's. */
	p.hash_algo = RMI_HASH_SHA_256;
	expected_rim(&p, rim);
	assert_memory_not_equal(rd_of(r.rd)->measurement[0], rim, 32);
	th_realm_destroy_all(&r, NULL, 0, 0);
}

/* Fields that are not measured do not change the RIM. */
static void test_create_rim_ignores_unmeasured(void **state)
{
	struct rmi_realm_params p;
	struct th_realm a, b;

	th_default_params(&p, 10);
	assert_int_equal(th_realm_create(&a, &p), RMI_SUCCESS);
	th_default_params(&p, 11);
	memset(p.rpv, 0xEE, sizeof(p.rpv));
	p.rtt_level_start = 0;
	p.rtt_num_start = 1;
	assert_int_equal(th_realm_create(&b, &p), RMI_SUCCESS);
	assert_memory_equal(rd_of(a.rd)->measurement[0], rd_of(b.rd)->measurement[0], 64);
	th_realm_destroy_all(&a, NULL, 0, 0);
	th_realm_destroy_all(&b, NULL, 0, 0);
}

struct geom {
	uint64_t s2sz;
	int64_t level;
	uint64_t num;
	bool ok;
};

static void test_create_geometries(void **state)
{
	static const struct geom g[] = {
		/* level 0: 40..48 bits, one table */
		{ 48, 0, 1, true },
		{ 40, 0, 1, true },
		{ 44, 0, 1, true },
		{ 39, 0, 1, false },
		{ 48, 0, 2, false },
		/* level 1: 32..39 bits one table, 40..43 concatenated */
		{ 32, 1, 1, true },
		{ 39, 1, 1, true },
		{ 40, 1, 2, true },
		{ 41, 1, 4, true },
		{ 43, 1, 16, true },
		{ 40, 1, 1, false },
		{ 40, 1, 4, false },
		{ 44, 1, 32, false },
		{ 44, 1, 16, false },
		{ 39, 1, 2, false },
		{ 32, 1, 0, false },
		/* level 2: 32..34 bits, 4..16 tables */
		{ 32, 2, 4, true },
		{ 33, 2, 8, true },
		{ 34, 2, 16, true },
		{ 32, 2, 1, false },
		{ 35, 2, 32, false },
		{ 35, 2, 16, false },
		/* level 3 cannot resolve 32 bits; bad levels and sizes */
		{ 32, 3, 1, false },
		{ 32, 3, 1ULL << 20, false },
		{ 40, -1, 1, false },
		{ 40, 4, 1, false },
		{ 40, INT64_MIN, 1, false },
		{ 31, 1, 1, false },
		{ 31, 2, 2, false },
		{ 49, 0, 2, false },
		{ 52, 0, 16, false },
		{ 0, 0, 1, false },
		{ ~0ULL, 0, 1, false },
		{ 40, 1, ~0ULL, false },
	};

	for (unsigned i = 0; i < ARRAY_SIZE(g); i++) {
		struct rmi_realm_params p;
		struct th_realm r;
		uint64_t ret;

		th_default_params(&p, 100 + i);
		p.s2sz = g[i].s2sz;
		p.rtt_level_start = g[i].level;
		p.rtt_num_start = g[i].num;
		ret = th_realm_create(&r, &p);
		if (ret != (g[i].ok ? RMI_SUCCESS : RMI_ERROR_INPUT))
			fail_msg("s2sz %llu level %lld num %llu: status %llu",
				 (unsigned long long)g[i].s2sz, (long long)g[i].level,
				 (unsigned long long)g[i].num, (unsigned long long)ret);
		if (g[i].ok) {
			p.rtt_base = r.rtt_base;
			check_created(&r, &p);
			th_realm_destroy_all(&r, NULL, 0, 0);
		} else {
			unsigned n = g[i].num && g[i].num <= RTT_MAX_ROOT_RTTS ? (unsigned)g[i].num : 1;
			assert_untouched(&r, n);
			assert_true(vmid_reserve(100 + i)); /* not taken */
			vmid_free(100 + i);
		}
	}
}

/* The i-th bad modification of good params; false when there are no more. */
static bool bad_param(unsigned i, struct rmi_realm_params *q, const char **what)
{
	switch (i) {
	case 0: *what = "LPA2"; q->flags = RMI_REALM_FLAG_LPA2; return true;
	case 1: *what = "SVE"; q->flags = RMI_REALM_FLAG_SVE; return true;
	case 2: *what = "PMU"; q->flags = RMI_REALM_FLAG_PMU; return true;
	case 3: *what = "unknown flag"; q->flags = BIT(3); return true;
	case 4: *what = "all flags"; q->flags = ~0ULL; return true;
	case 5: *what = "hash 2"; q->hash_algo = 2; return true;
	case 6: *what = "hash 0xff"; q->hash_algo = 0xff; return true;
	case 7: *what = "sve_vl"; q->sve_vl = 1; return true;
	case 8: *what = "num_bps"; q->num_bps = RMM_NUM_BPS + 1; return true;
	case 9: *what = "num_wps"; q->num_wps = RMM_NUM_WPS + 1; return true;
	case 10: *what = "num_bps huge"; q->num_bps = ~0ULL; return true;
	case 11: *what = "pmu_num_ctrs"; q->pmu_num_ctrs = 1; return true;
	case 12: *what = "pmu_num_ctrs huge"; q->pmu_num_ctrs = 1ULL << 63; return true;
	}
	return false;
}

static void test_create_bad_params(void **state)
{
	struct rmi_realm_params p;
	struct th_realm r;
	const char *what;

	for (unsigned i = 0;; i++) {
		th_default_params(&p, 200);
		if (!bad_param(i, &p, &what))
			break;
		if (th_realm_create(&r, &p) != RMI_ERROR_INPUT)
			fail_msg("%s accepted", what);
		assert_untouched(&r, 2);
	}
	/* The same VMID still works with good params. */
	th_default_params(&p, 200);
	assert_int_equal(th_realm_create(&r, &p), RMI_SUCCESS);
	th_realm_destroy_all(&r, NULL, 0, 0);
}

static void test_create_vmid_reuse(void **state)
{
	struct rmi_realm_params p;
	struct th_realm a, b, c;

	th_default_params(&p, 0xFFFF);
	assert_int_equal(th_realm_create(&a, &p), RMI_SUCCESS);
	assert_int_equal(th_realm_create(&b, &p), RMI_ERROR_INPUT);
	assert_untouched(&b, 2);
	th_default_params(&p, 0);
	assert_int_equal(th_realm_create(&c, &p), RMI_SUCCESS);
	th_realm_destroy_all(&a, NULL, 0, 0);
	/* Freed by REALM_DESTROY. */
	th_default_params(&p, 0xFFFF);
	p.rtt_base = b.rtt_base;
	assert_int_equal(create_raw(b.rd, &p), RMI_SUCCESS);
	assert_int_equal(rd_of(b.rd)->vmid, 0xFFFF);
	th_realm_destroy_all(&b, NULL, 0, 0);
	th_realm_destroy_all(&c, NULL, 0, 0);
}

static void test_create_rtt_base_misaligned(void **state)
{
	struct rmi_realm_params p;
	uint64_t rd = th_delegated_granule();
	uint64_t rtts = th_delegated_granules(4);

	th_default_params(&p, 300);
	p.rtt_base = rtts + GRANULE_SIZE; /* 2 tables need 8 KiB alignment */
	assert_int_equal(create_raw(rd, &p), RMI_ERROR_INPUT);
	p.rtt_base = rtts + 8;
	assert_int_equal(create_raw(rd, &p), RMI_ERROR_INPUT);
	p.rtt_base = ~0ULL & ~(2 * GRANULE_SIZE - 1);
	assert_int_equal(create_raw(rd, &p), RMI_ERROR_INPUT);
	p.rtt_base = th_layout.dram_base + th_layout.dram_size;
	assert_int_equal(create_raw(rd, &p), RMI_ERROR_INPUT);
	p.rtt_base = 0;
	assert_int_equal(create_raw(rd, &p), RMI_ERROR_INPUT);
	assert_int_equal(fx_granule_state(rd), GRANULE_STATE_DELEGATED);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(fx_granule_state(rtts + i * GRANULE_SIZE), GRANULE_STATE_DELEGATED);
	p.rtt_base = rtts + 2 * GRANULE_SIZE;
	assert_int_equal(create_raw(rd, &p), RMI_SUCCESS);
	assert_int_equal(fx_granule_state(rtts), GRANULE_STATE_DELEGATED);
	assert_int_equal(fx_granule_state(rtts + 3 * GRANULE_SIZE), GRANULE_STATE_RTT);
	assert_int_equal(destroy(rd), RMI_SUCCESS);
}

static void test_create_aliasing_and_states(void **state)
{
	struct rmi_realm_params p;
	uint64_t rd = th_delegated_granule();
	uint64_t rtts = th_delegated_granules(2);
	uint64_t ns2 = host_granules_alloc(2, 2 * GRANULE_SIZE);
	uint64_t half = th_delegated_granules(2);

	th_default_params(&p, 400);
	/* RD is one of the root RTTs. */
	p.rtt_base = rtts;
	assert_int_equal(create_raw(rtts, &p), RMI_ERROR_INPUT);
	assert_int_equal(create_raw(rtts + GRANULE_SIZE, &p), RMI_ERROR_INPUT);
	/* Root RTTs not delegated (one or both). */
	p.rtt_base = ns2;
	assert_int_equal(create_raw(rd, &p), RMI_ERROR_INPUT);
	assert_int_equal(th_rmi(SMC_RMI_GRANULE_UNDELEGATE, half + GRANULE_SIZE, 0, 0, 0, 0, 0, NULL),
			 RMI_SUCCESS);
	p.rtt_base = half;
	assert_int_equal(create_raw(rd, &p), RMI_ERROR_INPUT);
	assert_int_equal(fx_granule_state(half), GRANULE_STATE_DELEGATED);
	assert_true(fx_realm_granule_zero(half));
	/* RD not delegated / not a granule. */
	p.rtt_base = rtts;
	assert_int_equal(create_raw(th_ns_granule(), &p), RMI_ERROR_INPUT);
	assert_int_equal(create_raw(rd + 8, &p), RMI_ERROR_INPUT);
	assert_int_equal(create_raw(~0ULL, &p), RMI_ERROR_INPUT);
	assert_int_equal(create_raw(0, &p), RMI_ERROR_INPUT);
	assert_int_equal(create_raw(th_layout.rmm_base, &p), RMI_ERROR_INPUT);
	assert_int_equal(create_raw(th_layout.dram_base + th_layout.dram_size, &p), RMI_ERROR_INPUT);
	/* Nothing changed. */
	assert_int_equal(fx_granule_state(rd), GRANULE_STATE_DELEGATED);
	assert_int_equal(fx_granule_state(rtts), GRANULE_STATE_DELEGATED);
	assert_int_equal(fx_granule_state(rtts + GRANULE_SIZE), GRANULE_STATE_DELEGATED);
	assert_true(fx_realm_granule_zero(rd) && fx_realm_granule_zero(rtts) && fx_realm_granule_zero(rtts + GRANULE_SIZE));
	assert_true(vmid_reserve(400));
	vmid_free(400);
	/* An existing realm's RD or RTTs cannot be reused. */
	assert_int_equal(create_raw(rd, &p), RMI_SUCCESS);
	p.vmid = 401;
	assert_int_equal(create_raw(rd, &p), RMI_ERROR_INPUT);
	p.rtt_base = half;
	assert_int_equal(th_rmi(SMC_RMI_GRANULE_DELEGATE, half + GRANULE_SIZE, 0, 0, 0, 0, 0, NULL),
			 RMI_SUCCESS);
	assert_int_equal(create_raw(rtts, &p), RMI_ERROR_INPUT);
	p.rtt_base = rtts;
	assert_int_equal(create_raw(half, &p), RMI_ERROR_INPUT);
	assert_int_equal(fx_granule_state(half), GRANULE_STATE_DELEGATED);
	assert_int_equal(destroy(rd), RMI_SUCCESS);
}

static void test_create_params_not_ns(void **state)
{
	struct rmi_realm_params p;
	uint64_t rd = th_delegated_granule(), rtts = th_delegated_granules(2);
	uint64_t params = th_ns_granule();

	th_default_params(&p, 500);
	p.rtt_base = rtts;
	assert_int_equal(host_mem_write(params, &p, sizeof(p)), 0);
	assert_int_equal(th_rmi(SMC_RMI_GRANULE_DELEGATE, params, 0, 0, 0, 0, 0, NULL), RMI_SUCCESS);
	/* Delegated (Realm PAS), Root, RMM memory, RD itself, bad addresses. */
	const uint64_t bad[] = { params, th_layout.root_base, th_layout.rmm_base, rd, rtts,
				 params + 8, 0, ~0ULL, th_layout.dram_base + th_layout.dram_size };
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(th_rmi(SMC_RMI_REALM_CREATE, rd, bad[i], 0, 0, 0, 0, NULL),
				 RMI_ERROR_INPUT);
	assert_int_equal(fx_granule_state(rd), GRANULE_STATE_DELEGATED);
	assert_true(fx_realm_granule_zero(rd) && fx_realm_granule_zero(params));
	/* Back in NS: the same bytes are accepted. */
	assert_int_equal(th_rmi(SMC_RMI_GRANULE_UNDELEGATE, params, 0, 0, 0, 0, 0, NULL), RMI_SUCCESS);
	assert_int_equal(host_mem_write(params, &p, sizeof(p)), 0);
	assert_int_equal(th_rmi(SMC_RMI_REALM_CREATE, rd, params, 0, 0, 0, 0, NULL), RMI_SUCCESS);
	assert_int_equal(destroy(rd), RMI_SUCCESS);
}

/* ---- REALM_DESTROY ---------------------------------------------------- */

static void test_destroy_ok(void **state)
{
	struct th_realm r;

	assert_int_equal(th_realm_create(&r, NULL), RMI_SUCCESS);
	assert_int_equal(activate(r.rd), RMI_SUCCESS);
	assert_int_equal(destroy(r.rd), RMI_SUCCESS);
	assert_untouched(&r, r.rtt_num_start);
	assert_true(vmid_reserve(r.vmid));
	vmid_free(r.vmid);
	assert_int_equal(destroy(r.rd), RMI_ERROR_INPUT);
	assert_int_equal(activate(r.rd), RMI_ERROR_INPUT);
}

static void test_destroy_bad(void **state)
{
	struct th_realm r;
	uint64_t before[2];

	assert_int_equal(th_realm_create(&r, NULL), RMI_SUCCESS);
	const uint64_t bad[] = { r.rtt_base, r.rtt_base + GRANULE_SIZE, r.rd + 8, th_delegated_granule(),
				 th_ns_granule(), th_layout.rmm_base, th_layout.root_base, 0, ~0ULL,
				 th_layout.dram_base + th_layout.dram_size };
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(destroy(bad[i]), RMI_ERROR_INPUT);
	memcpy(before, rd_of(r.rd)->measurement[0], sizeof(before));
	assert_int_equal(fx_granule_state(r.rd), GRANULE_STATE_RD);
	assert_int_equal(fx_granule_state(r.rtt_base), GRANULE_STATE_RTT);
	assert_memory_equal(before, rd_of(r.rd)->measurement[0], sizeof(before));
	th_realm_destroy_all(&r, NULL, 0, 0);
}

static void test_destroy_with_recs(void **state)
{
	struct th_realm r;
	uint64_t rec;

	assert_int_equal(th_realm_create(&r, NULL), RMI_SUCCESS);
	assert_int_equal(th_rec_create(&r, 0, 0x1000, NULL, RMI_REC_FLAG_RUNNABLE, &rec), RMI_SUCCESS);
	assert_int_equal(granule_refcount_read(granule_find(r.rd)), 1);
	assert_int_equal(destroy(r.rd), RMI_ERROR_REALM);
	assert_int_equal(fx_granule_state(r.rd), GRANULE_STATE_RD);
	assert_int_equal(fx_granule_state(rec), GRANULE_STATE_REC);
	assert_int_equal(fx_granule_state(r.rtt_base), GRANULE_STATE_RTT);
	assert_false(vmid_reserve(r.vmid));
	th_realm_destroy_all(&r, &rec, 1, 0);
}

/* A root RTT with a live entry (a level-2 table) keeps the realm alive. */
static void test_destroy_with_live_rtt(void **state)
{
	struct th_realm r;
	struct smc_regs res;
	uint64_t rtt = th_delegated_granule();

	assert_int_equal(th_realm_create(&r, NULL), RMI_SUCCESS);
	assert_int_equal(th_rmi(SMC_RMI_RTT_CREATE, r.rd, rtt, 0, 2, 0, 0, NULL), RMI_SUCCESS);
	assert_int_equal(destroy(r.rd), RMI_ERROR_REALM);
	assert_int_equal(fx_granule_state(r.rd), GRANULE_STATE_RD);
	assert_int_equal(fx_granule_state(rtt), GRANULE_STATE_RTT);
	assert_int_equal(th_rmi(SMC_RMI_RTT_DESTROY, r.rd, 0, 2, 0, 0, 0, &res), RMI_SUCCESS);
	assert_int_equal(res.x[1], rtt);
	assert_int_equal(destroy(r.rd), RMI_SUCCESS);
}

/* ---- REALM_ACTIVATE --------------------------------------------------- */

static void test_activate(void **state)
{
	struct th_realm r;

	assert_int_equal(th_realm_create(&r, NULL), RMI_SUCCESS);
	assert_int_equal(activate(r.rtt_base), RMI_ERROR_INPUT);
	assert_int_equal(activate(r.rd + 1), RMI_ERROR_INPUT);
	assert_int_equal(activate(~0ULL), RMI_ERROR_INPUT);
	assert_int_equal(activate(th_delegated_granule()), RMI_ERROR_INPUT);
	assert_int_equal(rd_of(r.rd)->state, REALM_NEW);
	assert_int_equal(activate(r.rd), RMI_SUCCESS);
	assert_int_equal(rd_of(r.rd)->state, REALM_ACTIVE);
	assert_int_equal(activate(r.rd), RMI_ERROR_REALM);
	assert_int_equal(rd_of(r.rd)->state, REALM_ACTIVE);
	th_realm_destroy_all(&r, NULL, 0, 0);
}

/* Many realms side by side: distinct VMIDs, each destroyable. */
static void test_many_realms(void **state)
{
	struct th_realm r[24];

	for (unsigned i = 0; i < ARRAY_SIZE(r); i++)
		assert_int_equal(th_realm_create(&r[i], NULL), RMI_SUCCESS);
	for (unsigned i = 0; i < ARRAY_SIZE(r); i += 2)
		th_realm_destroy_all(&r[i], NULL, 0, 0);
	for (unsigned i = 1; i < ARRAY_SIZE(r); i += 2) {
		assert_int_equal(fx_granule_state(r[i].rd), GRANULE_STATE_RD);
		th_realm_destroy_all(&r[i], NULL, 0, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_create_ok, fx_teardown_inv),
		cmocka_unit_test_teardown(test_create_sha512, fx_teardown_inv),
		cmocka_unit_test_teardown(test_create_rim_ignores_unmeasured, fx_teardown_inv),
		cmocka_unit_test_teardown(test_create_geometries, fx_teardown_inv),
		cmocka_unit_test_teardown(test_create_bad_params, fx_teardown_inv),
		cmocka_unit_test_teardown(test_create_vmid_reuse, fx_teardown_inv),
		cmocka_unit_test_teardown(test_create_rtt_base_misaligned, fx_teardown_inv),
		cmocka_unit_test_teardown(test_create_aliasing_and_states, fx_teardown_inv),
		cmocka_unit_test_teardown(test_create_params_not_ns, fx_teardown_inv),
		cmocka_unit_test_teardown(test_destroy_ok, fx_teardown_inv),
		cmocka_unit_test_teardown(test_destroy_bad, fx_teardown_inv),
		cmocka_unit_test_teardown(test_destroy_with_recs, fx_teardown_inv),
		cmocka_unit_test_teardown(test_destroy_with_live_rtt, fx_teardown_inv),
		cmocka_unit_test_teardown(test_activate, fx_teardown_inv),
		cmocka_unit_test_teardown(test_many_realms, fx_teardown_inv),
	};

	return cmocka_run_group_tests(tests, fx_group_setup, fx_group_teardown);
}
