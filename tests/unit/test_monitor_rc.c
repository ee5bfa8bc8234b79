/*
 * RContainer's EL3 interface (monitor/rc_gpt.c) driven directly by a test
 * image in the mini-OS's place: who may call (Realm world, Normal world
 * outside the mini-OS, before registration: SMC_UNKNOWN), every call's
 * checks and errors, GPT copies from the Root pool until it is exhausted,
 * pool growth, scrubbing and reuse of destroyed GPTs, the switch's TLBI,
 * and a boot that leaves the Priv-GPT current.
 */
#include "minios_test_util.h"

#include "monitor/monitor.h"

static int setup(void **state)
{
	th_boot(0);
	return 0;
}

static int teardown(void **state)
{
	th_shutdown();
	minios_shutdown();
	return 0;
}

static const uint64_t rc_fids[] = {
	SMC_RC_GET_GPTBR, SMC_RC_SET_GPI,    SMC_RC_READ_ANY_PA, SMC_RC_SET_GPTBR,
	SMC_RC_GPT_CREATE, SMC_RC_GPT_DESTROY, SMC_RC_GPT_INFO,  SMC_RC_POOL_ADD,
	SMC_RC_ENTER,
};

static uint64_t el3(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
		    struct smc_regs *r)
{
	return plat_smc6(PAS_NS, fid, a1, a2, a3, a4, 0, 0, r);
}

static uint64_t from_realm(uint64_t fid)
{
	struct smc_regs r = {.x = {fid, RC_GPT_PRIV}};

	monitor_smc_handler(PAS_REALM, &r);
	return r.x[0];
}

static void test_unarmed(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(rc_fids); i++) {
		assert_int_equal(el3(rc_fids[i], 0, 0, 0, 0, NULL), SMC_UNKNOWN);
		assert_int_equal(from_realm(rc_fids[i]), SMC_UNKNOWN);
	}
	/* Bad images. */
	assert_int_equal(monitor_rc_register(NULL, 0, 0), -EINVAL);
}

static void test_refused_outside_minios(void **state)
{
	mt_boot(0);
	/* The OS-GPT is current: only the gate answers the Normal world. */
	for (size_t i = 0; i + 1 < ARRAY_SIZE(rc_fids); i++)
		assert_int_equal(el3(rc_fids[i], RC_GPT_PRIV, 0, 0, 0, NULL), SMC_UNKNOWN);
	for (size_t i = 0; i < ARRAY_SIZE(rc_fids); i++)
		assert_int_equal(from_realm(rc_fids[i]), SMC_UNKNOWN);
	assert_int_equal(el3(SMC_RC_ENTER, RC_FN_NR, 0, 0, 0, NULL), RC_ERROR_INPUT);
	MT_CHECK();
	free(mt.owner);
	free(mt.touched);
}

/* ---- A test image in the mini-OS's place ------------------------------------ */

static uint64_t ns_pa; /* 4 NS granules the tests play with */

static void checks_under_priv(void)
{
	struct smc_regs r;
	uint64_t slot, n, made, c0[PLAT_CNT_NR], c1[PLAT_CNT_NR];

	assert_int_equal(el3(SMC_RC_GET_GPTBR, 0, 0, 0, 0, &r), E_RMM_OK);
	assert_int_equal(r.x[1], plat_read_gptbr());
	assert_int_equal(r.x[2], RC_GPT_PRIV);
	/* The gate from inside the mini-OS. */
	assert_int_equal(el3(SMC_RC_ENTER, 0, 0, 0, 0, NULL), SMC_UNKNOWN);
	/* Pool: the Root memory the boot layout left. */
	assert_int_equal(el3(SMC_RC_GPT_INFO, 0, 0, 0, 0, &r), E_RMM_OK);
	assert_int_equal(r.x[1], 1);
	assert_int_equal(r.x[2], 0);
	assert_true(r.x[3] > 0 && r.x[3] == r.x[4]);
	{
		struct monitor_rc_stats st;

		monitor_rc_get_stats(&st);
		slot = st.slot_bytes;
		n = r.x[3] / slot;
	}
	assert_int_equal(el3(SMC_RC_GPT_CREATE, 7, 0, 0, 0, NULL), (uint64_t)E_RMM_INVAL);
	assert_int_equal(el3(SMC_RC_GPT_CREATE, RC_GPT_PRIV, 0, 0, 0, &r), E_RMM_OK);
	assert_int_equal(r.x[1], RC_GPT_OS);
	/* A copy. */
	assert_int_equal(monitor_rc_read_gpi(RC_GPT_OS, th_layout.root_base), GPI_ROOT);
	assert_int_equal(monitor_rc_read_gpi(RC_GPT_OS, th_layout.rmm_base), GPI_REALM);
	assert_int_equal(monitor_rc_read_gpi(RC_GPT_OS, ns_pa), GPI_NS);
	/* SET_GPI: not the Priv-GPT, NS <-> NO_ACCESS only, Normal-world granules only. */
	assert_int_equal(el3(SMC_RC_SET_GPI, RC_GPT_PRIV, ns_pa, 1, GPI_NO_ACCESS, NULL),
			 (uint64_t)E_RMM_INVAL);
	assert_int_equal(el3(SMC_RC_SET_GPI, 9, ns_pa, 1, GPI_NO_ACCESS, NULL), (uint64_t)E_RMM_INVAL);
	assert_int_equal(el3(SMC_RC_SET_GPI, RC_GPT_OS, ns_pa, 1, GPI_REALM, NULL),
			 (uint64_t)E_RMM_INVAL);
	assert_int_equal(el3(SMC_RC_SET_GPI, RC_GPT_OS, th_layout.root_base, 1, GPI_NO_ACCESS, NULL),
			 (uint64_t)E_RMM_BAD_PAS);
	assert_int_equal(el3(SMC_RC_SET_GPI, RC_GPT_OS, th_layout.rmm_base, 1, GPI_NS, NULL),
			 (uint64_t)E_RMM_BAD_PAS);
	assert_int_equal(el3(SMC_RC_SET_GPI, RC_GPT_OS, th_delegated_granule(), 1, GPI_NS, NULL),
			 (uint64_t)E_RMM_BAD_PAS);
	assert_int_equal(el3(SMC_RC_SET_GPI, RC_GPT_OS, ns_pa + 8, 1, GPI_NS, NULL),
			 (uint64_t)E_RMM_BAD_ADDR);
	assert_int_equal(el3(SMC_RC_SET_GPI, RC_GPT_OS, ns_pa, 0, GPI_NS, NULL),
			 (uint64_t)E_RMM_BAD_ADDR);
	assert_int_equal(el3(SMC_RC_SET_GPI, RC_GPT_OS, ns_pa, ~0ULL >> 12, GPI_NS, NULL),
			 (uint64_t)E_RMM_BAD_ADDR);
	assert_int_equal(el3(SMC_RC_SET_GPI, RC_GPT_OS, ns_pa, 2, GPI_NO_ACCESS, NULL), E_RMM_OK);
	assert_int_equal(monitor_rc_read_gpi(RC_GPT_OS, ns_pa + GRANULE_SIZE), GPI_NO_ACCESS);
	assert_int_equal(monitor_rc_read_gpi(RC_GPT_PRIV, ns_pa + GRANULE_SIZE), GPI_NS);
	/* READ_ANY_PA: what the Priv-GPT gives the Normal world. */
	assert_int_equal(plat_write_u64(PAS_NS, ns_pa + 16, 0xFEEDULL, NULL), 0);
	assert_int_equal(el3(SMC_RC_READ_ANY_PA, ns_pa + 16, 0, 0, 0, &r), E_RMM_OK);
	assert_int_equal(r.x[1], 0xFEED);
	assert_int_equal(el3(SMC_RC_READ_ANY_PA, th_layout.rmm_base, 0, 0, 0, NULL),
			 (uint64_t)E_RMM_BAD_PAS);
	assert_int_equal(el3(SMC_RC_READ_ANY_PA, ns_pa + 3, 0, 0, 0, NULL), (uint64_t)E_RMM_BAD_ADDR);
	/* Exhaust the pool; a destroyed GPT's slot is scrubbed and reused. */
	for (made = 0; el3(SMC_RC_GPT_CREATE, RC_GPT_OS, 0, 0, 0, &r) == E_RMM_OK; made++)
		;
	assert_int_equal(el3(SMC_RC_GPT_CREATE, RC_GPT_OS, 0, 0, 0, NULL), (uint64_t)E_RMM_NOMEM);
	assert_int_equal(made + 1, n);
	assert_int_equal(el3(SMC_RC_GPT_DESTROY, RC_GPT_PRIV, 0, 0, 0, NULL), (uint64_t)E_RMM_INVAL);
	assert_int_equal(el3(SMC_RC_GPT_DESTROY, RC_GPT_OS, 0, 0, 0, NULL), (uint64_t)E_RMM_INVAL);
	assert_int_equal(el3(SMC_RC_GPT_DESTROY, 2, 0, 0, 0, NULL), E_RMM_OK);
	assert_int_equal(el3(SMC_RC_GPT_DESTROY, 2, 0, 0, 0, NULL), (uint64_t)E_RMM_INVAL);
	assert_int_equal(monitor_rc_read_gpi(2, ns_pa), -ENOENT);
	assert_int_equal(el3(SMC_RC_SET_GPTBR, 2, 0, 0, 0, NULL), (uint64_t)E_RMM_INVAL);
	assert_int_equal(el3(SMC_RC_GPT_CREATE, RC_GPT_PRIV, 0, 0, 0, &r), E_RMM_OK);
	assert_int_equal(r.x[1], 2);
	assert_int_equal(monitor_rc_read_gpi(2, ns_pa), GPI_NS); /* a copy of the Priv-GPT now */
	/* Grow the pool with NS memory: Root in every GPT, for good. */
	{
		uint64_t cnt = slot / GRANULE_SIZE, pa = mt_os_granules((unsigned)cnt);

		assert_int_equal(el3(SMC_RC_POOL_ADD, pa, cnt - 1, 0, 0, NULL), (uint64_t)E_RMM_INVAL);
		assert_int_equal(el3(SMC_RC_POOL_ADD, th_layout.rmm_base, cnt, 0, 0, NULL),
				 (uint64_t)E_RMM_BAD_PAS);
		assert_int_equal(el3(SMC_RC_POOL_ADD, pa, cnt, 0, 0, NULL), E_RMM_OK);
		for (uint64_t i = 0; i < n; i++)
			assert_int_equal(monitor_rc_read_gpi(i, pa), GPI_ROOT);
		assert_int_not_equal(plat_gpc_check(PAS_NS, pa, NULL), 0);
		assert_int_equal(el3(SMC_RC_GPT_CREATE, RC_GPT_OS, 0, 0, 0, &r), E_RMM_OK);
		assert_int_equal(monitor_rc_read_gpi(r.x[1], pa), GPI_ROOT);
		assert_int_equal(el3(SMC_RC_GPT_CREATE, RC_GPT_OS, 0, 0, 0, NULL),
				 (uint64_t)E_RMM_NOMEM);
		/* The host cannot delegate Root memory. */
		assert_int_not_equal(th_rmi(SMC_RMI_GRANULE_DELEGATE, pa, 0, 0, 0, 0, 0, NULL),
				     RMI_SUCCESS);
	}
	/* The switch: GPTBR, one TLBI PAALLOS, counted. */
	plat_counters_snapshot(c0);
	assert_int_equal(el3(SMC_RC_SET_GPTBR, RC_GPT_OS, 0, 0, 0, NULL), E_RMM_OK);
	plat_counters_snapshot(c1);
	assert_int_equal(c1[PLAT_CNT_GPT_SWITCH] - c0[PLAT_CNT_GPT_SWITCH], 1);
	assert_int_equal(c1[PLAT_CNT_TLBI] - c0[PLAT_CNT_TLBI], 1);
	assert_int_equal(c1[PLAT_CNT_RC_EL3] - c0[PLAT_CNT_RC_EL3], 1);
	/* Out of the Priv-GPT: refused from now on. */
	assert_int_equal(el3(SMC_RC_GET_GPTBR, 0, 0, 0, 0, NULL), SMC_UNKNOWN);
	assert_int_equal(el3(SMC_RC_SET_GPTBR, RC_GPT_PRIV, 0, 0, 0, NULL), SMC_UNKNOWN);
	assert_int_not_equal(plat_gpc_check(PAS_NS, ns_pa, NULL), 0); /* NO_ACCESS in the OS-GPT */
}

static unsigned gate_calls;
static uint64_t gate_caller;

static int image_boot(uint64_t base, uint64_t size)
{
	checks_under_priv();
	return 0;
}

static void image_call(struct smc_regs *regs, uint64_t caller)
{
	struct smc_regs r;

	gate_calls++;
	gate_caller = caller;
	/* Under the Priv-GPT again: privileged calls work; leave without switching. */
	regs->x[0] = el3(SMC_RC_GET_GPTBR, 0, 0, 0, 0, &r);
	regs->x[1] = r.x[2];
}

static const struct monitor_minios_image test_image = {.boot = image_boot, .handle_call = image_call};

static void test_el3_calls(void **state)
{
	struct smc_regs r;

	ns_pa = mt_os_granules(4);
	assert_int_equal(monitor_rc_register(&test_image, ns_pa, GRANULE_SIZE), 0);
	/* The gate enters the image under the Priv-GPT and comes back through the OS-GPT. */
	assert_int_equal(el3(SMC_RC_ENTER, 0, 0, 0, 0, &r), E_RMM_OK);
	assert_int_equal(r.x[1], RC_GPT_PRIV);
	assert_int_equal(gate_calls, 1);
	assert_int_equal(gate_caller, RC_GPT_OS);
	{
		struct monitor_rc_stats st;

		monitor_rc_get_stats(&st);
		assert_int_equal(st.current, RC_GPT_OS);
		assert_int_equal(st.gpts_live, st.bytes_pool / st.slot_bytes + 1);
	}
}

static int bad_boot(uint64_t base, uint64_t size)
{
	struct smc_regs r;

	/* Makes a GPT, then forgets to leave the Priv-GPT. */
	return (int)el3(SMC_RC_GPT_CREATE, RC_GPT_PRIV, 0, 0, 0, &r);
}

static const struct monitor_minios_image bad_image = {.boot = bad_boot, .handle_call = image_call};

static void test_boot_left_priv(void **state)
{
	uint64_t gptbr = plat_read_gptbr();
	struct monitor_rc_stats st;

	assert_int_equal(monitor_rc_register(&bad_image, 0, 0), -EIO);
	assert_int_equal(plat_read_gptbr(), gptbr);
	monitor_rc_get_stats(&st);
	assert_int_equal(st.gpts_live, 1);
	assert_int_equal(el3(SMC_RC_ENTER, 0, 0, 0, 0, NULL), SMC_UNKNOWN);
	/* A real mini-OS can register afterwards (the pool was scrubbed). */
	{
		uint64_t size = ALIGN_UP(minios_required_size(), GRANULE_SIZE) + 4 * GRANULE_SIZE;
		uint64_t base = host_granules_alloc((unsigned)(size >> GRANULE_SHIFT), GRANULE_SIZE);

		assert_int_equal(monitor_rc_register(&mt_image, base, size), 0);
		monitor_rc_get_stats(&st);
		assert_int_equal(st.gpts_live, 2);
		assert_int_equal(monitor_rc_read_gpi(RC_GPT_OS, base), GPI_NO_ACCESS);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unarmed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_outside_minios, NULL, teardown),
		cmocka_unit_test_setup_teardown(test_el3_calls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_boot_left_priv, setup, teardown),
	};
	setenv("REALMBOX_LOG", "error", 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
