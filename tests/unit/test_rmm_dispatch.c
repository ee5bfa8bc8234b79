/*
 * RMI dispatch as the host sees it: unknown FIDs (holes in the RMI range,
 * SMC32, other ranges) answer SMC_UNKNOWN; output registers beyond a
 * command's outputs read as zero; each RMI call is counted once; VERSION
 * and FEATURES (REL0 register 0 layout).
 */
#include "common/harness.h"
#include "common/fixtures.h"
#include "common/invariants.h"

#include <string.h>

#include "plat/plat.h"
#include "rmm/realm.h"
#include "rmm/rmm.h"
#include "rmm/rmm_private.h"

/* Every RMI fnum realmbox implements (cca-spec §1, and Fasco's: arch/fasco.h). */
static bool implemented(uint64_t fnum)
{
	static const uint64_t fnums[] = { 0x150, 0x151, 0x152, 0x153, 0x154, 0x155, 0x157, 0x158,
					  0x159, 0x15A, 0x15B, 0x15C, 0x15D, 0x15E, 0x15F, 0x161,
					  0x162, 0x164, 0x165, 0x166, 0x167, 0x168, 0x169,
					  0x180, 0x181, 0x182 };

	for (unsigned i = 0; i < ARRAY_SIZE(fnums); i++) {
		if (fnums[i] == fnum)
			return true;
	}
	return false;
}

static void test_unknown_fids(void **state)
{
	struct smc_regs res;

	for (uint64_t fnum = SMC_RMI_FNUM_MIN; fnum < SMC_RMI_FNUM_MAX; fnum++) {
		uint64_t ret = th_rmi(SMC64_FID(fnum), 0, 0, 0, 0, 0, 0, &res);

		if (implemented(fnum))
			assert_int_not_equal(ret, SMC_UNKNOWN);
		else if (ret != SMC_UNKNOWN)
			fail_msg("fnum 0x%llx answered 0x%llx", (unsigned long long)fnum,
				 (unsigned long long)ret);
	}
	/* SMC32 encodings of RMI commands, and junk. */
	assert_int_equal(th_rmi(0x84000150ULL, 0, 0, 0, 0, 0, 0, NULL), SMC_UNKNOWN);
	assert_int_equal(th_rmi(0x84000165ULL, 0, 0, 0, 0, 0, 0, NULL), SMC_UNKNOWN);
	assert_int_equal(th_rmi(0, 0, 0, 0, 0, 0, 0, NULL), SMC_UNKNOWN);
	assert_int_equal(th_rmi(~0ULL, 0, 0, 0, 0, 0, 0, NULL), SMC_UNKNOWN);
	assert_int_equal(th_rmi(0xC4000150ULL | (1ULL << 32), 0, 0, 0, 0, 0, 0, NULL), SMC_UNKNOWN);
}

/* The RMM's own entry refuses what is not in its table, whatever the monitor routes. */
static void test_rmm_handle_rmi_direct(void **state)
{
	const uint64_t fids[] = { SMC64_FID(0x156), SMC64_FID(0x160), SMC64_FID(0x163),
				  SMC64_FID(0x16A), SMC64_FID(0x18E), SMC64_FID(0x18F),
				  SMC64_FID(0x190), SMC64_FID(0x1B0), SMC64_FID(0x14F),
				  0x84000150ULL, 0, ~0ULL };

	for (unsigned i = 0; i < ARRAY_SIZE(fids); i++) {
		struct smc_regs regs = { .x = { fids[i], 1, 2, 3, 4, 5, 6 } };

		rmm_handle_rmi(&regs);
		assert_int_equal(regs.x[0], SMC_UNKNOWN);
	}
	struct smc_regs regs = { .x = { SMC_RMI_VERSION, RMI_ABI_VERSION, 7, 7, 7, 7, 7 } };
	rmm_handle_rmi(&regs);
	assert_int_equal(regs.x[0], RMI_SUCCESS);
	assert_int_equal(regs.x[1], RMI_ABI_VERSION);
	assert_int_equal(regs.x[2], RMI_ABI_VERSION);
	assert_int_equal(regs.x[3], 0);
	assert_int_equal(regs.x[4], 0);
}

static void test_counted_once(void **state)
{
	uint64_t before = plat_counter_read(PLAT_CNT_RMI);

	th_rmi(SMC_RMI_VERSION, RMI_ABI_VERSION, 0, 0, 0, 0, 0, NULL);
	th_rmi(SMC_RMI_FEATURES, 0, 0, 0, 0, 0, 0, NULL);
	th_rmi(SMC_RMI_GRANULE_DELEGATE, ~0ULL, 0, 0, 0, 0, 0, NULL);
	assert_int_equal(plat_counter_read(PLAT_CNT_RMI) - before, 3);
	fx_inv_assert();
}

static void test_version(void **state)
{
	struct smc_regs res;

	const struct {
		uint64_t req;
		uint64_t status;
	} cases[] = {
		{ 0x10000, RMI_SUCCESS },          /* 1.0 */
		{ 0x10001, RMI_SUCCESS },          /* 1.1: 1.0 is compatible */
		{ 0x1FFFF, RMI_SUCCESS },
		{ 0x00000, RMI_ERROR_INPUT },      /* 0.0 */
		{ 0x0FFFF, RMI_ERROR_INPUT },
		{ 0x20000, RMI_ERROR_INPUT },      /* 2.0 */
		{ 0x80010000, RMI_ERROR_INPUT },   /* bit 31 */
		{ 0x100010000ULL, RMI_ERROR_INPUT },
		{ ~0ULL, RMI_ERROR_INPUT },
	};
	for (unsigned i = 0; i < ARRAY_SIZE(cases); i++) {
		memset(&res, 0xAB, sizeof(res));
		assert_int_equal(th_rmi(SMC_RMI_VERSION, cases[i].req, 0, 0, 0, 0, 0, &res), cases[i].status);
		/* Lower and higher revisions are reported either way. */
		assert_int_equal(res.x[1], 0x10000);
		assert_int_equal(res.x[2], 0x10000);
		assert_int_equal(res.x[3], 0);
	}
}

static void test_features(void **state)
{
	struct smc_regs res;
	uint64_t f;

	assert_int_equal(th_rmi(SMC_RMI_FEATURES, 0, 0, 0, 0, 0, 0, &res), RMI_SUCCESS);
	f = res.x[1];
	assert_int_equal(f, rmm_feature_register_0());
	assert_int_equal(EXTRACT_BITS(f, 7, 0), 48);     /* S2SZ */
	assert_int_equal(EXTRACT_BITS(f, 8, 8), 0);      /* LPA2 */
	assert_int_equal(EXTRACT_BITS(f, 9, 9), 0);      /* SVE_EN */
	assert_int_equal(EXTRACT_BITS(f, 13, 10), 0);    /* SVE_VL */
	assert_int_equal(EXTRACT_BITS(f, 19, 14), RMM_NUM_BPS);
	assert_int_equal(EXTRACT_BITS(f, 25, 20), RMM_NUM_WPS);
	assert_int_equal(EXTRACT_BITS(f, 26, 26), 0);    /* PMU_EN */
	assert_int_equal(EXTRACT_BITS(f, 31, 27), 0);    /* PMU_NUM_CTRS */
	assert_int_equal(EXTRACT_BITS(f, 32, 32), 1);    /* SHA-256 */
	assert_int_equal(EXTRACT_BITS(f, 33, 33), 1);    /* SHA-512 */
	assert_int_equal(EXTRACT_BITS(f, 37, 34), 15);   /* 16 list registers */
	assert_int_equal(EXTRACT_BITS(f, 41, 38), RMM_MAX_RECS_ORDER);
	assert_int_equal(EXTRACT_BITS(f, 63, 42), 0);
	assert_int_equal(res.x[2], 0);

	const uint64_t other[] = { 1, 2, 0x100, ~0ULL };
	for (unsigned i = 0; i < ARRAY_SIZE(other); i++) {
		memset(&res, 0xAB, sizeof(res));
		assert_int_equal(th_rmi(SMC_RMI_FEATURES, other[i], 0, 0, 0, 0, 0, &res), RMI_SUCCESS);
		assert_int_equal(res.x[1], 0);
	}
}

/* What FEATURES advertises, REALM_CREATE accepts (and one more is refused). */
static void test_features_match_realm_create(void **state)
{
	struct smc_regs res;
	struct rmi_realm_params p;
	struct th_realm r;
	uint64_t f;

	assert_int_equal(th_rmi(SMC_RMI_FEATURES, 0, 0, 0, 0, 0, 0, &res), RMI_SUCCESS);
	f = res.x[1];
	th_default_params(&p, 1);
	p.s2sz = EXTRACT_BITS(f, 7, 0);
	p.rtt_level_start = 0;
	p.rtt_num_start = 1;
	p.num_bps = EXTRACT_BITS(f, 19, 14);
	p.num_wps = EXTRACT_BITS(f, 25, 20);
	p.hash_algo = RMI_HASH_SHA_512;
	assert_int_equal(th_realm_create(&r, &p), RMI_SUCCESS);
	th_realm_destroy_all(&r, NULL, 0, 0);
	p.s2sz++;
	assert_int_equal(th_realm_create(&r, &p), RMI_ERROR_INPUT);
}

/* Outputs beyond a command's own read as zero, even on errors. */
static void test_outputs_cleared(void **state)
{
	struct smc_regs res;

	memset(&res, 0xAB, sizeof(res));
	assert_int_equal(th_rmi(SMC_RMI_GRANULE_DELEGATE, 1, 0x11, 0x22, 0x33, 0x44, 0x55, &res),
			 RMI_ERROR_INPUT);
	assert_int_equal(res.x[1], 0);
	assert_int_equal(res.x[2], 0);
	assert_int_equal(res.x[3], 0);
	assert_int_equal(res.x[4], 0);
	memset(&res, 0xAB, sizeof(res));
	assert_int_equal(th_rmi(SMC_RMI_REC_AUX_COUNT, 1, 0, 0, 0, 0, 0, &res), RMI_ERROR_INPUT);
	assert_int_equal(res.x[1], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_unknown_fids, fx_teardown_inv),
		cmocka_unit_test_teardown(test_rmm_handle_rmi_direct, fx_teardown_inv),
		cmocka_unit_test_teardown(test_counted_once, fx_teardown_inv),
		cmocka_unit_test_teardown(test_version, fx_teardown_inv),
		cmocka_unit_test_teardown(test_features, fx_teardown_inv),
		cmocka_unit_test_teardown(test_features_match_realm_create, fx_teardown_inv),
		cmocka_unit_test_teardown(test_outputs_cleared, fx_teardown_inv),
	};

	return cmocka_run_group_tests(tests, fx_group_setup, fx_group_teardown);
}
