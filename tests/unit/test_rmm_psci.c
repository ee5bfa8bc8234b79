/*
 * PSCI from realms: VERSION/FEATURES/CPU_SUSPEND answered by the RMM,
 * CPU_ON and AFFINITY_INFO through RMI_PSCI_COMPLETE (success and every
 * error), CPU_OFF, SYSTEM_OFF and SYSTEM_RESET.
 */
#include "rec_test_util.h"

#include "arch/rsi.h"

#define PC_MAIN 0x1000ULL
#define PC_SEC 0x2000ULL

static struct {
	uint64_t v[32];
	unsigned n;
	uint64_t sec_x0[8];
	unsigned sec_n;
} gr;

static void note(uint64_t v)
{
	if (gr.n < ARRAY_SIZE(gr.v))
		gr.v[gr.n++] = v;
}

static uint64_t psci(struct native_guest *g, uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3)
{
	uint64_t r = rt_smc(g, fid, a1, a2, a3, 0, NULL);

	note(r);
	return r;
}

static int setup(void **state)
{
	memset(&gr, 0, sizeof(gr));
	return th_setup(state);
}

static int teardown(void **state)
{
	rt_cleanup();
	plat_native_guest_unregister(PC_MAIN);
	plat_native_guest_unregister(PC_SEC);
	return th_teardown(state);
}

/* rec0 RUNNABLE at PC_MAIN; recs 1..n-1 off. */
static void build(struct rt_realm *rr, unsigned nrecs)
{
	uint64_t pcs[RT_MAX_RECS], flags[RT_MAX_RECS];

	for (unsigned i = 0; i < nrecs; i++) {
		pcs[i] = i == 0 ? PC_MAIN : PC_SEC;
		flags[i] = i == 0 ? RMI_REC_FLAG_RUNNABLE : 0;
	}
	rt_realm_build_ex(rr, NULL, nrecs, pcs, flags, NULL, true);
}

static uint64_t complete(const struct rt_realm *rr, uint64_t calling, uint64_t target,
			 int64_t status)
{
	return th_rmi(SMC_RMI_PSCI_COMPLETE, calling, target, (uint64_t)status, 0, 0, 0, NULL);
}

static void check_psci_exit(const struct rmi_rec_exit *exit, uint64_t fid, unsigned nargs,
			    const uint64_t *args)
{
	assert_int_equal(exit->exit_reason, RMI_EXIT_PSCI);
	assert_int_equal(exit->gprs[0], fid);
	for (unsigned i = 0; i < nargs; i++)
		assert_int_equal(exit->gprs[1 + i], args[i]);
	for (unsigned i = 1 + nargs; i < RMI_REC_GPRS; i++)
		assert_int_equal(exit->gprs[i], 0);
	assert_int_equal(exit->esr, 0);
}

/* The secondary: records the x0 it started with, then turns itself off. */
static void guest_secondary(struct native_guest *g, const uint64_t gprs[8])
{
	if (gr.sec_n < ARRAY_SIZE(gr.sec_x0))
		gr.sec_x0[gr.sec_n++] = gprs[0];
	rt_smc(g, PSCI_CPU_OFF, 0, 0, 0, 0, NULL);
	gr.sec_x0[7] = 0xBAD; /* never resumed after CPU_OFF */
}

/* ---- Answered by the RMM ----------------------------------------------------- */

static void guest_version_features(struct native_guest *g, const uint64_t gprs[8])
{
	static const uint64_t supported[] = {
		PSCI_VERSION,	PSCI_FEATURES,	       PSCI_CPU_SUSPEND_64, PSCI_CPU_OFF,
		PSCI_CPU_ON_64, PSCI_AFFINITY_INFO_64, PSCI_SYSTEM_OFF,	    PSCI_SYSTEM_RESET,
	};
	static const uint64_t unsupported[] = {
		0x84000003ULL, /* CPU_ON, SMC32 */
		0xC4000005ULL, /* MIGRATE */
		0x8400000CULL, /* CPU_DEFAULT_SUSPEND */
		SMC_RSI_VERSION, ~0ULL, PSCI_VERSION | (1ULL << 32), 0,
	};

	psci(g, PSCI_VERSION, 0, 0, 0);
	for (unsigned i = 0; i < ARRAY_SIZE(supported); i++)
		psci(g, PSCI_FEATURES, supported[i], 0, 0);
	for (unsigned i = 0; i < ARRAY_SIZE(unsupported); i++)
		psci(g, PSCI_FEATURES, unsupported[i], 0, 0);
	psci(g, PSCI_CPU_SUSPEND_64, 0, PC_MAIN, 0);
	psci(g, 0xC4000005ULL, 0, 0, 0); /* MIGRATE itself */
}

static void test_version_features_suspend(void **state)
{
	struct rt_realm rr;

	rt_guest(PC_MAIN, guest_version_features);
	build(&rr, 1);
	rt_run_to_end(&rr, 0);
	assert_int_equal(gr.n, 1 + 8 + 7 + 2);
	assert_int_equal(gr.v[0], 0x10001);
	for (unsigned i = 1; i <= 8; i++)
		assert_int_equal(gr.v[i], PSCI_RET_SUCCESS);
	for (unsigned i = 9; i < 16; i++)
		assert_int_equal((int64_t)gr.v[i], PSCI_RET_NOT_SUPPORTED);
	assert_int_equal(gr.v[16], PSCI_RET_SUCCESS);
	assert_int_equal((int64_t)gr.v[17], PSCI_RET_NOT_SUPPORTED);
}

/* ---- CPU_ON ---------------------------------------------------------------- */

static void guest_cpu_on(struct native_guest *g, const uint64_t gprs[8])
{
	psci(g, PSCI_CPU_ON_64, 5, PC_SEC, 0);	       /* 0: no such REC */
	psci(g, PSCI_CPU_ON_64, ~0ULL, PC_SEC, 0);     /* 1 */
	psci(g, PSCI_CPU_ON_64, 0x100, PC_SEC, 0);     /* 2: Aff1 = 1: REC 16 */
	psci(g, PSCI_CPU_ON_64, 0x10, PC_SEC, 0);      /* 3: Aff0 >= 16: invalid */
	psci(g, PSCI_CPU_ON_64, 0, PC_SEC, 0);	       /* 4: itself */
	psci(g, PSCI_CPU_ON_64, 1, RT_UNPROT_BASE, 0); /* 5: entry not protected */
	psci(g, PSCI_CPU_ON_64, 1, ~0ULL, 0);	       /* 6 */
	psci(g, PSCI_CPU_ON_64, 1, PC_SEC, 0x77);      /* 7: exits; SUCCESS */
	psci(g, PSCI_CPU_ON_64, 1, PC_SEC, 0x78);      /* 8: exits; ALREADY_ON */
	psci(g, PSCI_CPU_ON_64, 2, PC_SEC, 0x79);      /* 9: exits; DENIED */
}

static void test_cpu_on(void **state)
{
	struct rt_realm rr, other;
	struct rmi_rec_exit exit;
	const uint64_t args[] = {1, PC_SEC, 0x77};
	uint64_t pc2[2] = {PC_MAIN, PC_SEC}, fl2[2] = {RMI_REC_FLAG_RUNNABLE, 0};
	struct granule *g0;

	rt_guest(PC_MAIN, guest_cpu_on);
	rt_guest(PC_SEC, guest_secondary);
	build(&rr, 3);
	rt_realm_build_ex(&other, NULL, 2, pc2, fl2, NULL, true);

	assert_int_equal(rt_enter(&rr, 0, 0, NULL, &exit), RMI_SUCCESS);
	check_psci_exit(&exit, PSCI_CPU_ON_64, 3, args);
	assert_int_equal(gr.n, 7);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal((int64_t)gr.v[i], PSCI_RET_INVALID_PARAMS);
	assert_int_equal((int64_t)gr.v[4], PSCI_RET_ALREADY_ON);
	assert_int_equal((int64_t)gr.v[5], PSCI_RET_INVALID_ADDRESS);
	assert_int_equal((int64_t)gr.v[6], PSCI_RET_INVALID_ADDRESS);

	/* Not before PSCI_COMPLETE; the target is still off. */
	assert_int_equal(rt_enter(&rr, 0, 0, NULL, NULL), RMI_STATUS(RMI_ERROR_REC, 0));
	assert_int_equal(rt_enter(&rr, 1, 0, NULL, NULL), RMI_STATUS(RMI_ERROR_REC, 0));

	/* PSCI_COMPLETE errors. */
	assert_int_equal(complete(&rr, rr.recs[0], rr.recs[0], 0), RMI_ERROR_INPUT);
	assert_int_equal(complete(&rr, rr.recs[0], rr.recs[2], 0),
			 RMI_ERROR_INPUT); /* not the target */
	assert_int_equal(complete(&rr, rr.recs[1], rr.recs[0], 0),
			 RMI_ERROR_INPUT); /* nothing pending */
	assert_int_equal(complete(&rr, rr.recs[0], rr.r.rd, 0), RMI_ERROR_INPUT);
	assert_int_equal(complete(&rr, rr.r.rd, rr.recs[1], 0), RMI_ERROR_INPUT);
	assert_int_equal(complete(&rr, rr.recs[0], rr.recs[1] + 8, 0), RMI_ERROR_INPUT);
	assert_int_equal(complete(&rr, rr.recs[0], ~0ULL, 0), RMI_ERROR_INPUT);
	assert_int_equal(complete(&rr, rr.recs[0], rr.run, 0), RMI_ERROR_INPUT);
	assert_int_equal(complete(&rr, rr.recs[0], other.recs[1], 0),
			 RMI_ERROR_INPUT); /* other realm */
	assert_int_equal(complete(&rr, rr.recs[0], rr.recs[1], PSCI_RET_INVALID_PARAMS),
			 RMI_ERROR_INPUT);
	assert_int_equal(complete(&rr, rr.recs[0], rr.recs[1], PSCI_RET_ALREADY_ON),
			 RMI_ERROR_INPUT);
	assert_int_equal(complete(&rr, rr.recs[0], rr.recs[1], PSCI_RET_NOT_SUPPORTED),
			 RMI_ERROR_INPUT);
	assert_int_equal(complete(&rr, rr.recs[0], rr.recs[1], 1), RMI_ERROR_INPUT);
	/* A caller that is running has no request waiting. */
	g0 = granule_find(rr.recs[0]);
	atomic_granule_get(g0);
	assert_int_equal(complete(&rr, rr.recs[0], rr.recs[1], 0), RMI_ERROR_INPUT);
	atomic_granule_put(g0);
	assert_false(rt_rec(rr.recs[1])->runnable);

	/* Success: the target starts at entry with x0 = context. */
	assert_int_equal(complete(&rr, rr.recs[0], rr.recs[1], PSCI_RET_SUCCESS), RMI_SUCCESS);
	assert_int_equal(complete(&rr, rr.recs[0], rr.recs[1], PSCI_RET_SUCCESS), RMI_ERROR_INPUT);
	assert_int_equal(rt_enter(&rr, 1, 0, NULL, &exit), RMI_SUCCESS);
	check_psci_exit(&exit, PSCI_CPU_OFF, 0, NULL);
	assert_int_equal(gr.sec_n, 1);
	assert_int_equal(gr.sec_x0[0], 0x77);

	/* Back in rec0: SUCCESS; then CPU_ON of a REC that is on already (made on again here). */
	assert_int_equal(rt_enter(&rr, 0, 0, NULL, &exit), RMI_SUCCESS);
	assert_int_equal(gr.v[7], PSCI_RET_SUCCESS);
	assert_int_equal(exit.exit_reason, RMI_EXIT_PSCI);
	assert_int_equal(exit.gprs[3], 0x78);
	/* rec1 turned itself off meanwhile: this CPU_ON succeeds again. */
	assert_int_equal(complete(&rr, rr.recs[0], rr.recs[1], PSCI_RET_SUCCESS), RMI_SUCCESS);
	assert_int_equal(rt_enter(&rr, 0, 0, NULL, &exit), RMI_SUCCESS);
	assert_int_equal(gr.v[8], PSCI_RET_SUCCESS);

	/* DENIED: the target stays off. */
	assert_int_equal(exit.exit_reason, RMI_EXIT_PSCI);
	assert_int_equal(exit.gprs[1], 2);
	assert_int_equal(complete(&rr, rr.recs[0], rr.recs[2], PSCI_RET_DENIED), RMI_SUCCESS);
	assert_int_equal(rt_enter(&rr, 2, 0, NULL, NULL), RMI_STATUS(RMI_ERROR_REC, 0));
	assert_int_equal(rt_enter(&rr, 0, 0, NULL, &exit), RMI_SUCCESS);
	assert_true(rt_exit_is_guest_end(&exit));
	assert_int_equal((int64_t)gr.v[9], PSCI_RET_DENIED);
	assert_int_equal(gr.n, 10);

	/* rec1 (on again since CPU_ON #8) restarts at entry with the new context. */
	assert_int_equal(rt_enter(&rr, 1, 0, NULL, &exit), RMI_SUCCESS);
	check_psci_exit(&exit, PSCI_CPU_OFF, 0, NULL);
	assert_int_equal(gr.sec_n, 2);
	assert_int_equal(gr.sec_x0[1], 0x78);
	assert_int_equal(gr.sec_x0[7], 0);
}

static void guest_cpu_on_thrice(struct native_guest *g, const uint64_t gprs[8])
{
	psci(g, PSCI_CPU_ON_64, 1, PC_SEC, 0x11);
	psci(g, PSCI_CPU_ON_64, 1, PC_SEC, 0x22);
	psci(g, PSCI_CPU_ON_64, 1, PC_SEC, 0x33);
}

static void test_cpu_on_already_on(void **state)
{
	struct rt_realm rr;
	struct rmi_rec_exit exit;
	struct granule *g1;

	rt_guest(PC_MAIN, guest_cpu_on_thrice);
	rt_guest(PC_SEC, guest_secondary);
	build(&rr, 2);
	assert_int_equal(rt_enter(&rr, 0, 0, NULL, &exit), RMI_SUCCESS);
	/* The target "is running" (another CPU inside REC_ENTER): never touched, reported on. */
	g1 = granule_find(rr.recs[1]);
	atomic_granule_get(g1);
	assert_int_equal(complete(&rr, rr.recs[0], rr.recs[1], PSCI_RET_SUCCESS), RMI_SUCCESS);
	atomic_granule_put(g1);
	assert_false(rt_rec(rr.recs[1])->runnable);
	assert_int_equal(rt_enter(&rr, 0, 0, NULL, &exit), RMI_SUCCESS);
	assert_int_equal((int64_t)gr.v[0], PSCI_RET_ALREADY_ON);

	/* Really off: SUCCESS. */
	assert_int_equal(complete(&rr, rr.recs[0], rr.recs[1], PSCI_RET_SUCCESS), RMI_SUCCESS);
	assert_int_equal(rt_enter(&rr, 0, 0, NULL, &exit), RMI_SUCCESS);
	assert_int_equal(gr.v[1], PSCI_RET_SUCCESS);
	assert_true(rt_rec(rr.recs[1])->runnable);
	assert_int_equal(rt_rec(rr.recs[1])->regs.pc, PC_SEC);
	assert_int_equal(rt_rec(rr.recs[1])->regs.gprs[0], 0x22);

	/* On (runnable, not yet run): ALREADY_ON, and its start state is kept. */
	assert_int_equal(exit.exit_reason, RMI_EXIT_PSCI);
	assert_int_equal(complete(&rr, rr.recs[0], rr.recs[1], PSCI_RET_SUCCESS), RMI_SUCCESS);
	assert_int_equal(rt_enter(&rr, 0, 0, NULL, &exit), RMI_SUCCESS);
	assert_true(rt_exit_is_guest_end(&exit));
	assert_int_equal((int64_t)gr.v[2], PSCI_RET_ALREADY_ON);
	assert_int_equal(rt_rec(rr.recs[1])->regs.gprs[0], 0x22);
}

/* ---- AFFINITY_INFO, CPU_OFF ---------------------------------------------------- */

static void guest_affinity(struct native_guest *g, const uint64_t gprs[8])
{
	psci(g, PSCI_AFFINITY_INFO_64, 1, 1, 0);	 /* 0: lowest level 1 */
	psci(g, PSCI_AFFINITY_INFO_64, 7, 0, 0);	 /* 1: no such REC */
	psci(g, PSCI_AFFINITY_INFO_64, ~0ULL, ~0ULL, 0); /* 2 */
	psci(g, PSCI_AFFINITY_INFO_64, 0, 0, 0);	 /* 3: itself: ON, no exit */
	psci(g, PSCI_AFFINITY_INFO_64, 1, 0, 0);	 /* 4: exit; OFF */
	psci(g, PSCI_CPU_ON_64, 1, PC_SEC, 5);		 /* 5: exit; SUCCESS */
	psci(g, PSCI_AFFINITY_INFO_64, 1, 0, 0);	 /* 6: exit; ON */
	psci(g, PSCI_AFFINITY_INFO_64, 1, 0, 0);	 /* 7: exit (after rec1's CPU_OFF); OFF */
	psci(g, PSCI_CPU_ON_64, 1, PC_SEC, 6);		 /* 8: exit; SUCCESS */
}

static void test_affinity_info_cpu_off(void **state)
{
	struct rt_realm rr;
	struct rmi_rec_exit exit;
	const uint64_t aff_args[] = {1, 0};

	rt_guest(PC_MAIN, guest_affinity);
	rt_guest(PC_SEC, guest_secondary);
	build(&rr, 2);

	assert_int_equal(rt_enter(&rr, 0, 0, NULL, &exit), RMI_SUCCESS);
	check_psci_exit(&exit, PSCI_AFFINITY_INFO_64, 2, aff_args);
	assert_int_equal(gr.n, 4);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal((int64_t)gr.v[i], PSCI_RET_INVALID_PARAMS);
	assert_int_equal(gr.v[3], PSCI_AFFINITY_ON);
	assert_int_equal(rt_enter(&rr, 0, 0, NULL, NULL), RMI_STATUS(RMI_ERROR_REC, 0));
	/* AFFINITY_INFO can only succeed. */
	assert_int_equal(complete(&rr, rr.recs[0], rr.recs[1], PSCI_RET_DENIED), RMI_ERROR_INPUT);
	assert_int_equal(complete(&rr, rr.recs[0], rr.recs[1], PSCI_RET_SUCCESS), RMI_SUCCESS);

	assert_int_equal(rt_enter(&rr, 0, 0, NULL, &exit), RMI_SUCCESS);
	assert_int_equal(gr.v[4], PSCI_AFFINITY_OFF);
	assert_int_equal(exit.gprs[0], PSCI_CPU_ON_64);
	assert_int_equal(complete(&rr, rr.recs[0], rr.recs[1], PSCI_RET_SUCCESS), RMI_SUCCESS);

	assert_int_equal(rt_enter(&rr, 0, 0, NULL, &exit), RMI_SUCCESS);
	assert_int_equal(gr.v[5], PSCI_RET_SUCCESS);
	check_psci_exit(&exit, PSCI_AFFINITY_INFO_64, 2, aff_args);
	assert_int_equal(complete(&rr, rr.recs[0], rr.recs[1], PSCI_RET_SUCCESS), RMI_SUCCESS);

	/* rec1 runs and turns itself off: not enterable any more. */
	assert_int_equal(rt_enter(&rr, 1, 0, NULL, &exit), RMI_SUCCESS);
	check_psci_exit(&exit, PSCI_CPU_OFF, 0, NULL);
	assert_int_equal(rt_enter(&rr, 1, 0, NULL, NULL), RMI_STATUS(RMI_ERROR_REC, 0));

	assert_int_equal(rt_enter(&rr, 0, 0, NULL, &exit), RMI_SUCCESS);
	assert_int_equal(gr.v[6], PSCI_AFFINITY_ON); /* completed before rec1 went off */
	check_psci_exit(&exit, PSCI_AFFINITY_INFO_64, 2, aff_args);
	assert_int_equal(complete(&rr, rr.recs[0], rr.recs[1], PSCI_RET_SUCCESS), RMI_SUCCESS);

	assert_int_equal(rt_enter(&rr, 0, 0, NULL, &exit), RMI_SUCCESS);
	assert_int_equal(gr.v[7], PSCI_AFFINITY_OFF);
	assert_int_equal(exit.gprs[3], 6);
	assert_int_equal(complete(&rr, rr.recs[0], rr.recs[1], PSCI_RET_SUCCESS), RMI_SUCCESS);
	assert_int_equal(rt_enter(&rr, 0, 0, NULL, &exit), RMI_SUCCESS);
	assert_true(rt_exit_is_guest_end(&exit));
	assert_int_equal(gr.v[8], PSCI_RET_SUCCESS);

	/* rec1 starts afresh (a new PE at entry), not where it turned off. */
	assert_int_equal(rt_enter(&rr, 1, 0, NULL, &exit), RMI_SUCCESS);
	check_psci_exit(&exit, PSCI_CPU_OFF, 0, NULL);
	assert_int_equal(gr.sec_n, 2);
	assert_int_equal(gr.sec_x0[0], 5);
	assert_int_equal(gr.sec_x0[1], 6);
	assert_int_equal(gr.sec_x0[7], 0);
}

/* ---- SYSTEM_OFF / SYSTEM_RESET --------------------------------------------------- */

static void guest_system_reset(struct native_guest *g, const uint64_t gprs[8])
{
	psci(g, PSCI_CPU_ON_64, 1, PC_SEC, 0);
	psci(g, PSCI_SYSTEM_RESET, 0x1234, 0x5678, 0);
	note(0xBAD);
}

static void test_system_reset(void **state)
{
	struct rt_realm rr;
	struct rmi_rec_exit exit;

	rt_guest(PC_MAIN, guest_system_reset);
	rt_guest(PC_SEC, guest_secondary);
	build(&rr, 2);
	assert_int_equal(rt_enter(&rr, 0, 0, NULL, &exit), RMI_SUCCESS);
	assert_int_equal(complete(&rr, rr.recs[0], rr.recs[1], PSCI_RET_SUCCESS), RMI_SUCCESS);
	assert_int_equal(rt_enter(&rr, 0, 0, NULL, &exit), RMI_SUCCESS);
	/* No arguments shown: SYSTEM_RESET has none. */
	check_psci_exit(&exit, PSCI_SYSTEM_RESET, 0, NULL);
	/* Every REC of the realm, runnable or not, is refused now. */
	assert_int_equal(rt_enter(&rr, 0, 0, NULL, NULL), RMI_STATUS(RMI_ERROR_REALM, 1));
	assert_int_equal(rt_enter(&rr, 1, 0, NULL, NULL), RMI_STATUS(RMI_ERROR_REALM, 1));
	assert_int_equal(gr.n, 1);
	assert_int_equal(gr.sec_n, 0);
}

static void guest_system_off(struct native_guest *g, const uint64_t gprs[8])
{
	psci(g, PSCI_SYSTEM_OFF, 0, 0, 0);
	note(0xBAD);
}

static void test_system_off(void **state)
{
	struct rt_realm rr;
	struct rmi_rec_exit exit;

	rt_guest(PC_MAIN, guest_system_off);
	build(&rr, 1);
	assert_int_equal(rt_enter(&rr, 0, 0, NULL, &exit), RMI_SUCCESS);
	check_psci_exit(&exit, PSCI_SYSTEM_OFF, 0, NULL);
	assert_int_equal(rt_enter(&rr, 0, 0, NULL, NULL), RMI_STATUS(RMI_ERROR_REALM, 1));
	assert_int_equal(gr.n, 0);
	/* The host can still tear the realm down. */
	assert_int_equal(th_rmi(SMC_RMI_REC_DESTROY, rr.recs[0], 0, 0, 0, 0, 0, NULL), RMI_SUCCESS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_version_features_suspend, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cpu_on, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cpu_on_already_on, setup, teardown),
		cmocka_unit_test_setup_teardown(test_affinity_info_cpu_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_system_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_system_off, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
