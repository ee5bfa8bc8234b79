/*
 * REC_ENTER: argument and state errors, MMIO emulation through an
 * unprotected IPA (read, write, retry, SEA), SEA for RIPAS EMPTY, aborts
 * on unassigned RAM, what the host may see in an exit (leak check), and the
 * REC_ENTER/REC_EXIT counters.
 */
#include "rec_test_util.h"

#include "arch/rsi.h"

#define PC_MAIN 0x1000ULL
#define PC_NONE 0x7000ULL /* no guest registered here */
#define MMIO_IPA (RT_UNPROT_BASE + 0x10000ULL + 0x18)
#define HC_IPA (RT_IPA_DATA + 2 * GRANULE_SIZE)
#define SECRET(i) (0x5ec7e70000000000ULL | ((uint64_t)(i) << 8) | 0x5A)

static struct {
	uint64_t v[16];
	bool sea[16];
	unsigned n;
} gr;

static void note(uint64_t v, bool sea)
{
	if (gr.n < ARRAY_SIZE(gr.v)) {
		gr.v[gr.n] = v;
		gr.sea[gr.n] = sea;
		gr.n++;
	}
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
	return th_teardown(state);
}

static void guest_nothing(struct native_guest *g, const uint64_t gprs[8])
{
	note(gprs[0], false);
}

/* ---- Errors ---------------------------------------------------------------- */

static void test_enter_bad_args(void **state)
{
	struct rt_realm rr;
	uint64_t delegated = th_delegated_granule();
	uint64_t ns = th_ns_granule();
	uint64_t before_enter, before_exit;

	rt_guest(PC_MAIN, guest_nothing);
	rt_realm_build(&rr, PC_MAIN);
	before_enter = plat_counter_read(PLAT_CNT_REC_ENTER);
	before_exit = plat_counter_read(PLAT_CNT_REC_EXIT);

	/* rec is not a REC granule. */
	assert_int_equal(th_rmi(SMC_RMI_REC_ENTER, rr.r.rd, rr.run, 0, 0, 0, 0, NULL),
			 RMI_ERROR_INPUT);
	assert_int_equal(th_rmi(SMC_RMI_REC_ENTER, delegated, rr.run, 0, 0, 0, 0, NULL),
			 RMI_ERROR_INPUT);
	assert_int_equal(th_rmi(SMC_RMI_REC_ENTER, ns, rr.run, 0, 0, 0, 0, NULL), RMI_ERROR_INPUT);
	assert_int_equal(th_rmi(SMC_RMI_REC_ENTER, rr.data[0], rr.run, 0, 0, 0, 0, NULL),
			 RMI_ERROR_INPUT);
	assert_int_equal(th_rmi(SMC_RMI_REC_ENTER, rr.recs[0] + 8, rr.run, 0, 0, 0, 0, NULL),
			 RMI_ERROR_INPUT);
	assert_int_equal(th_rmi(SMC_RMI_REC_ENTER, ~0ULL, rr.run, 0, 0, 0, 0, NULL),
			 RMI_ERROR_INPUT);
	assert_int_equal(th_rmi(SMC_RMI_REC_ENTER, 0, rr.run, 0, 0, 0, 0, NULL), RMI_ERROR_INPUT);
	/* run is not an NS granule. */
	assert_int_equal(th_rmi(SMC_RMI_REC_ENTER, rr.recs[0], delegated, 0, 0, 0, 0, NULL),
			 RMI_ERROR_INPUT);
	assert_int_equal(th_rmi(SMC_RMI_REC_ENTER, rr.recs[0], rr.recs[0], 0, 0, 0, 0, NULL),
			 RMI_ERROR_INPUT);
	assert_int_equal(th_rmi(SMC_RMI_REC_ENTER, rr.recs[0], rr.r.rd, 0, 0, 0, 0, NULL),
			 RMI_ERROR_INPUT);
	assert_int_equal(th_rmi(SMC_RMI_REC_ENTER, rr.recs[0], rr.data[1], 0, 0, 0, 0, NULL),
			 RMI_ERROR_INPUT);
	assert_int_equal(th_rmi(SMC_RMI_REC_ENTER, rr.recs[0], rr.run + 0x10, 0, 0, 0, 0, NULL),
			 RMI_ERROR_INPUT);
	assert_int_equal(
		th_rmi(SMC_RMI_REC_ENTER, rr.recs[0], th_layout.rmm_base, 0, 0, 0, 0, NULL),
		RMI_ERROR_INPUT);
	assert_int_equal(
		th_rmi(SMC_RMI_REC_ENTER, rr.recs[0], th_layout.root_base, 0, 0, 0, 0, NULL),
		RMI_ERROR_INPUT);
	assert_int_equal(th_rmi(SMC_RMI_REC_ENTER, rr.recs[0], ~0ULL, 0, 0, 0, 0, NULL),
			 RMI_ERROR_INPUT);
	assert_int_equal(th_rmi(SMC_RMI_REC_ENTER, rr.recs[0],
				th_layout.dram_base + th_layout.dram_size, 0, 0, 0, 0, NULL),
			 RMI_ERROR_INPUT);

	/* None of these entered: no counts, the guest never ran. */
	assert_int_equal(plat_counter_read(PLAT_CNT_REC_ENTER), before_enter);
	assert_int_equal(plat_counter_read(PLAT_CNT_REC_EXIT), before_exit);
	assert_int_equal(gr.n, 0);

	/* And the REC is still fine. */
	rt_run_to_end(&rr, 0);
	assert_int_equal(gr.n, 1);
}

static void test_enter_realm_new(void **state)
{
	struct rt_realm rr;
	const uint64_t pc = PC_MAIN, flags = RMI_REC_FLAG_RUNNABLE;

	rt_guest(PC_MAIN, guest_nothing);
	rt_realm_build_ex(&rr, NULL, 1, &pc, &flags, NULL, false);
	assert_int_equal(rt_enter(&rr, 0, 0, NULL, NULL), RMI_STATUS(RMI_ERROR_REALM, 0));
	assert_int_equal(gr.n, 0);
	assert_int_equal(th_rmi(SMC_RMI_REALM_ACTIVATE, rr.r.rd, 0, 0, 0, 0, 0, NULL), RMI_SUCCESS);
	rt_run_to_end(&rr, 0);
	assert_int_equal(gr.n, 1);
}

static void guest_system_off(struct native_guest *g, const uint64_t gprs[8])
{
	rt_smc(g, PSCI_SYSTEM_OFF, 0, 0, 0, 0, NULL);
	note(1, false); /* must never run */
}

static void test_enter_system_off(void **state)
{
	struct rt_realm rr;
	struct rmi_rec_exit exit;

	rt_guest(PC_MAIN, guest_system_off);
	rt_realm_build(&rr, PC_MAIN);
	assert_int_equal(rt_enter(&rr, 0, 0, NULL, &exit), RMI_SUCCESS);
	assert_int_equal(exit.exit_reason, RMI_EXIT_PSCI);
	assert_int_equal(exit.gprs[0], PSCI_SYSTEM_OFF);
	assert_int_equal(rt_enter(&rr, 0, 0, NULL, NULL), RMI_STATUS(RMI_ERROR_REALM, 1));
	assert_int_equal(gr.n, 0);
}

static void test_enter_not_runnable(void **state)
{
	struct rt_realm rr;
	const uint64_t pc = PC_MAIN, flags = 0;

	rt_guest(PC_MAIN, guest_nothing);
	rt_realm_build_ex(&rr, NULL, 1, &pc, &flags, NULL, true);
	assert_int_equal(rt_enter(&rr, 0, 0, NULL, NULL), RMI_STATUS(RMI_ERROR_REC, 0));
	assert_int_equal(gr.n, 0);
}

static void test_enter_running(void **state)
{
	struct rt_realm rr;
	struct granule *g;

	rt_guest(PC_MAIN, guest_nothing);
	rt_realm_build(&rr, PC_MAIN);
	/* Another CPU is inside REC_ENTER for this REC: the refcount says so. */
	g = granule_find(rr.recs[0]);
	atomic_granule_get(g);
	assert_int_equal(rt_enter(&rr, 0, 0, NULL, NULL), RMI_STATUS(RMI_ERROR_REC, 0));
	/* ... and it cannot be destroyed meanwhile either. */
	assert_int_equal(th_rmi(SMC_RMI_REC_DESTROY, rr.recs[0], 0, 0, 0, 0, 0, NULL),
			 RMI_STATUS(RMI_ERROR_REC, 0));
	atomic_granule_put(g);
	assert_int_equal(gr.n, 0);
	rt_run_to_end(&rr, 0);
	assert_int_equal(gr.n, 1);
	/* Not running any more once REC_ENTER returned. */
	assert_int_equal(granule_refcount_read(g), 0);
}

static void test_enter_no_code(void **state)
{
	struct rt_realm rr;

	plat_native_guest_unregister(PC_NONE);
	rt_realm_build(&rr, PC_NONE);
	assert_int_equal(rt_enter(&rr, 0, 0, NULL, NULL), RMI_STATUS(RMI_ERROR_REC, 0));
	assert_int_equal(granule_refcount_read(granule_find(rr.recs[0])), 0);
}

/* ---- Counters ----------------------------------------------------------------- */

static void guest_three_exits(struct native_guest *g, const uint64_t gprs[8])
{
	struct rsi_host_call hc = {.imm = 1};

	native_guest_write(g, HC_IPA, &hc, sizeof(hc));
	rt_smc(g, SMC_RSI_HOST_CALL, HC_IPA, 0, 0, 0, NULL);
	rt_smc(g, SMC_RSI_VERSION, RSI_ABI_VERSION, 0, 0, 0, NULL); /* no exit */
	rt_smc(g, SMC_RSI_HOST_CALL, HC_IPA, 0, 0, 0, NULL);
}

static void test_counters(void **state)
{
	struct rt_realm rr;
	struct rmi_rec_exit exit;
	uint64_t e0, x0, rsi0;

	rt_guest(PC_MAIN, guest_three_exits);
	rt_realm_build(&rr, PC_MAIN);
	e0 = plat_counter_read(PLAT_CNT_REC_ENTER);
	x0 = plat_counter_read(PLAT_CNT_REC_EXIT);
	rsi0 = plat_counter_read(PLAT_CNT_RSI);
	for (unsigned i = 1; i <= 3; i++) {
		assert_int_equal(rt_enter(&rr, 0, 0, NULL, &exit), RMI_SUCCESS);
		assert_int_equal(exit.exit_reason, i < 3 ? RMI_EXIT_HOST_CALL : RMI_EXIT_SYNC);
		assert_int_equal(plat_counter_read(PLAT_CNT_REC_ENTER) - e0, i);
		assert_int_equal(plat_counter_read(PLAT_CNT_REC_EXIT) - x0, i);
	}
	assert_int_equal(plat_counter_read(PLAT_CNT_RSI) - rsi0, 3);
}

/* ---- MMIO emulation ----------------------------------------------------------- */

static void guest_mmio(struct native_guest *g, const uint64_t gprs[8])
{
	uint64_t v;

	v = native_guest_load(g, MMIO_IPA, 4);
	note(v, native_guest_took_sea(g));
	native_guest_store(g, MMIO_IPA + 8, 0x1122334455667788ULL, 8);
	note(0, native_guest_took_sea(g));
	v = native_guest_load(g, MMIO_IPA, 8);
	note(v, native_guest_took_sea(g));
	native_guest_store(g, MMIO_IPA, 0xABCD, 2);
	note(0, native_guest_took_sea(g));
}

static void check_mmio_exit(const struct rmi_rec_exit *exit, uint64_t ipa, bool write,
			    unsigned size)
{
	unsigned sas = size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3;

	assert_int_equal(exit->exit_reason, RMI_EXIT_SYNC);
	assert_int_equal(ESR_EC(exit->esr), EC_DABT_LOW);
	assert_true(exit->esr & ESR_ISS_ISV);
	assert_int_equal(ESR_ISS_SAS(exit->esr), sas);
	assert_int_equal(!!(exit->esr & ESR_ISS_WNR), write);
	assert_int_equal(IPA_FROM_HPFAR(exit->hpfar) | (exit->far & GRANULE_MASK), ipa);
}

static void test_mmio_emulation(void **state)
{
	struct rt_realm rr;
	struct rmi_rec_exit exit;
	uint64_t gprs[RMI_REC_GPRS] = {0};

	rt_guest(PC_MAIN, guest_mmio);
	rt_realm_build(&rr, PC_MAIN);

	/* 4-byte read: the host answers with more bits than fit; the realm sees 4 bytes. */
	assert_int_equal(rt_enter(&rr, 0, 0, NULL, &exit), RMI_SUCCESS);
	check_mmio_exit(&exit, MMIO_IPA, false, 4);
	for (unsigned i = 0; i < RMI_REC_GPRS; i++)
		assert_int_equal(exit.gprs[i], 0);
	/* Without EMUL_MMIO the access is retried: the same exit again. */
	assert_int_equal(rt_enter(&rr, 0, 0, NULL, &exit), RMI_SUCCESS);
	check_mmio_exit(&exit, MMIO_IPA, false, 4);
	assert_int_equal(gr.n, 0);
	gprs[0] = 0xFFFFFFFFCAFEF00DULL;
	gprs[1] = 0x1234; /* ignored */
	assert_int_equal(rt_enter(&rr, 0, REC_ENTER_FLAG_EMUL_MMIO, gprs, &exit), RMI_SUCCESS);

	/* 8-byte write: the value, and only it, in gprs[0]. */
	check_mmio_exit(&exit, MMIO_IPA + 8, true, 8);
	assert_int_equal(exit.gprs[0], 0x1122334455667788ULL);
	for (unsigned i = 1; i < RMI_REC_GPRS; i++)
		assert_int_equal(exit.gprs[i], 0);
	assert_int_equal(rt_enter(&rr, 0, REC_ENTER_FLAG_EMUL_MMIO, NULL, &exit), RMI_SUCCESS);

	/* 8-byte read. */
	check_mmio_exit(&exit, MMIO_IPA, false, 8);
	gprs[0] = 0x8877665544332211ULL;
	assert_int_equal(rt_enter(&rr, 0, REC_ENTER_FLAG_EMUL_MMIO, gprs, &exit), RMI_SUCCESS);

	/* 2-byte write. */
	check_mmio_exit(&exit, MMIO_IPA, true, 2);
	assert_int_equal(exit.gprs[0], 0xABCD);
	assert_int_equal(rt_enter(&rr, 0, REC_ENTER_FLAG_EMUL_MMIO, NULL, &exit), RMI_SUCCESS);
	assert_true(rt_exit_is_guest_end(&exit));

	assert_int_equal(gr.n, 4);
	assert_int_equal(gr.v[0], 0xCAFEF00DULL);
	assert_int_equal(gr.v[2], 0x8877665544332211ULL);
	for (unsigned i = 0; i < 4; i++)
		assert_false(gr.sea[i]);
}

static void test_mmio_emul_without_abort(void **state)
{
	struct rt_realm rr;
	struct rmi_rec_exit exit;

	rt_guest(PC_MAIN, guest_three_exits);
	rt_realm_build(&rr, PC_MAIN);
	/* Nothing to emulate at the first entry, nor after a host call. */
	assert_int_equal(rt_enter(&rr, 0, REC_ENTER_FLAG_EMUL_MMIO, NULL, NULL),
			 RMI_STATUS(RMI_ERROR_REC, 0));
	assert_int_equal(rt_enter(&rr, 0, 0, NULL, &exit), RMI_SUCCESS);
	assert_int_equal(exit.exit_reason, RMI_EXIT_HOST_CALL);
	assert_int_equal(rt_enter(&rr, 0, REC_ENTER_FLAG_EMUL_MMIO, NULL, NULL),
			 RMI_STATUS(RMI_ERROR_REC, 0));
	/* The refused entries changed nothing: the host call still completes. */
	assert_int_equal(rt_enter(&rr, 0, 0, NULL, &exit), RMI_SUCCESS);
	assert_int_equal(exit.exit_reason, RMI_EXIT_HOST_CALL);
}

static void guest_mmio_sea(struct native_guest *g, const uint64_t gprs[8])
{
	uint64_t v = native_guest_load(g, MMIO_IPA, 8);

	note(v, native_guest_took_sea(g));
	native_guest_store(g, MMIO_IPA, 5, 4);
	note(0, native_guest_took_sea(g));
}

static void test_mmio_inject_sea(void **state)
{
	struct rt_realm rr;
	struct rmi_rec_exit exit;
	uint64_t gprs[RMI_REC_GPRS] = {0x99};

	rt_guest(PC_MAIN, guest_mmio_sea);
	rt_realm_build(&rr, PC_MAIN);
	assert_int_equal(rt_enter(&rr, 0, 0, NULL, &exit), RMI_SUCCESS);
	check_mmio_exit(&exit, MMIO_IPA, false, 8);
	assert_int_equal(rt_enter(&rr, 0, REC_ENTER_FLAG_INJECT_SEA, gprs, &exit), RMI_SUCCESS);
	check_mmio_exit(&exit, MMIO_IPA, true, 4);
	assert_int_equal(exit.gprs[0], 5);
	assert_int_equal(rt_enter(&rr, 0, REC_ENTER_FLAG_INJECT_SEA, NULL, &exit), RMI_SUCCESS);
	assert_true(rt_exit_is_guest_end(&exit));
	assert_int_equal(gr.n, 2);
	assert_true(gr.sea[0]);
	assert_int_equal(gr.v[0], 0); /* not the host's value */
	assert_true(gr.sea[1]);
}

/* ---- Protected aborts ---------------------------------------------------------- */

static void guest_empty(struct native_guest *g, const uint64_t gprs[8])
{
	uint64_t v = native_guest_load(g, RT_IPA_EMPTY + 0x40, 8);

	note(v, native_guest_took_sea(g));
	native_guest_store(g, RT_IPA_EMPTY + GRANULE_SIZE, 7, 8);
	note(0, native_guest_took_sea(g));
	v = native_guest_load(g, RT_IPA_DATA + 0x10, 1);
	note(v, native_guest_took_sea(g));
}

static void test_ripas_empty_sea(void **state)
{
	struct rt_realm rr;
	uint64_t exits0;

	rt_guest(PC_MAIN, guest_empty);
	rt_realm_build(&rr, PC_MAIN);
	exits0 = plat_counter_read(PLAT_CNT_REC_EXIT);
	/* Both aborts are answered inside the RMM: one entry, one exit (the end). */
	rt_run_to_end(&rr, 0);
	assert_int_equal(plat_counter_read(PLAT_CNT_REC_EXIT) - exits0, 1);
	assert_int_equal(gr.n, 3);
	assert_true(gr.sea[0]);
	assert_int_equal(gr.v[0], 0);
	assert_true(gr.sea[1]);
	assert_false(gr.sea[2]);
	assert_int_equal(gr.v[2], rt_data_byte(0, 0x10));
}

static void guest_unassigned(struct native_guest *g, const uint64_t gprs[8])
{
	native_guest_store(g, RT_IPA_RAM_UNASSIGNED + 0x28, 0xFEED, 8);
	note(native_guest_load(g, RT_IPA_RAM_UNASSIGNED + 0x28, 8), native_guest_took_sea(g));
}

static void test_unassigned_ram_abort(void **state)
{
	struct rt_realm rr;
	struct rmi_rec_exit exit;
	uint64_t data = th_delegated_granule();
	uint64_t gprs[RMI_REC_GPRS];

	rt_guest(PC_MAIN, guest_unassigned);
	rt_realm_build(&rr, PC_MAIN);
	assert_int_equal(rt_enter(&rr, 0, 0, NULL, &exit), RMI_SUCCESS);
	assert_int_equal(exit.exit_reason, RMI_EXIT_SYNC);
	assert_int_equal(ESR_EC(exit.esr), EC_DABT_LOW);
	/* No syndrome for protected memory: no ISV, SAS, SRT, SF; only WnR and FSC. */
	assert_int_equal(exit.esr & ESR_ISS_ISV, 0);
	assert_int_equal(ESR_ISS(exit.esr) & ~(ESR_ISS_WNR | GENMASK(5, 0)), 0);
	assert_true(exit.esr & ESR_ISS_WNR);
	assert_int_equal(exit.far, 0);
	assert_int_equal(IPA_FROM_HPFAR(exit.hpfar), RT_IPA_RAM_UNASSIGNED);
	for (unsigned i = 0; i < RMI_REC_GPRS; i++)
		assert_int_equal(exit.gprs[i], 0);

	/* INJECT_SEA is not the host's to give for protected memory: ignored, retried. */
	assert_int_equal(rt_enter(&rr, 0, REC_ENTER_FLAG_INJECT_SEA, NULL, &exit), RMI_SUCCESS);
	assert_int_equal(exit.exit_reason, RMI_EXIT_SYNC);
	assert_int_equal(IPA_FROM_HPFAR(exit.hpfar), RT_IPA_RAM_UNASSIGNED);
	/* Nor may it ask for MMIO emulation there. */
	memset(gprs, 0x77, sizeof(gprs));
	assert_int_equal(rt_enter(&rr, 0, REC_ENTER_FLAG_EMUL_MMIO, gprs, NULL),
			 RMI_STATUS(RMI_ERROR_REC, 0));

	/* The host supplies the page; the realm's store then completes. */
	assert_int_equal(th_rmi(SMC_RMI_DATA_CREATE_UNKNOWN, rr.r.rd, data, RT_IPA_RAM_UNASSIGNED,
				0, 0, 0, NULL),
			 RMI_SUCCESS);
	rt_run_to_end(&rr, 0);
	assert_int_equal(gr.n, 1);
	assert_false(gr.sea[0]);
	assert_int_equal(gr.v[0], 0xFEED);
}

/* ---- Leak check ------------------------------------------------------------------ */

static void secret_smc(struct native_guest *g, uint64_t fid, unsigned nargs, const uint64_t *args,
		       struct smc_regs *out)
{
	struct smc_regs r;

	for (unsigned i = 0; i < SMC_NR_REGS; i++)
		r.x[i] = SECRET(i);
	r.x[0] = fid;
	for (unsigned i = 0; i < nargs; i++)
		r.x[1 + i] = args[i];
	native_guest_smc(g, &r);
	if (out)
		*out = r;
}

static void guest_leak(struct native_guest *g, const uint64_t gprs[8])
{
	struct rsi_host_call hc;
	uint64_t a[4];
	uint8_t secret_page[256];

	/* Secrets in realm memory too (the host-call struct's neighbour). */
	for (unsigned i = 0; i < sizeof(secret_page); i += 8) {
		uint64_t s = SECRET(100 + i);
		memcpy(secret_page + i, &s, 8);
	}
	native_guest_write(g, HC_IPA + 0x100, secret_page, sizeof(secret_page));

	/* 1: host call: the host sees exactly the struct. */
	memset(&hc, 0, sizeof(hc));
	hc.imm = 7;
	for (unsigned i = 0; i < RSI_HOST_CALL_NR_GPRS; i++)
		hc.gprs[i] = 0x600 + i;
	native_guest_write(g, HC_IPA, &hc, sizeof(hc));
	a[0] = HC_IPA;
	secret_smc(g, SMC_RSI_HOST_CALL, 1, a, NULL);
	/* 2: RIPAS change. */
	a[0] = 0x8000;
	a[1] = 0x9000;
	a[2] = RIPAS_RAM;
	a[3] = 0;
	secret_smc(g, SMC_RSI_IPA_STATE_SET, 4, a, NULL);
	/* 3: MMIO read of an unprotected IPA. */
	native_guest_load(g, MMIO_IPA, 8);
	/* 4: MMIO write: the stored value is the only thing shown. */
	native_guest_store(g, MMIO_IPA, 0x5151, 8);
	/* 5: abort on unassigned RAM. */
	native_guest_load(g, RT_IPA_RAM_UNASSIGNED, 8);
	/* 6: PSCI CPU_OFF: no arguments. */
	secret_smc(g, PSCI_CPU_OFF, 0, a, NULL);
}

/* No 8 bytes of the exit may be a secret; every gprs[i] not listed must be 0. */
static void check_no_leak(const struct rmi_rec_exit *exit, unsigned nshown)
{
	const uint8_t *p = (const uint8_t *)exit;

	for (unsigned off = 0; off + 8 <= sizeof(*exit); off++) {
		uint64_t v;

		memcpy(&v, p + off, 8);
		assert_true((v & 0xFFFFFFFF000000FFULL) != (SECRET(0) & 0xFFFFFFFF000000FFULL));
	}
	for (unsigned i = nshown; i < RMI_REC_GPRS; i++)
		assert_int_equal(exit->gprs[i], 0);
	assert_int_equal(exit->gicv3_hcr, 0);
	assert_int_equal(exit->cntv_ctl, 0);
	assert_int_equal(exit->cntp_cval, 0);
	assert_int_equal(exit->pmu_ovf_status, 0);
}

static void test_exit_leak(void **state)
{
	struct rt_realm rr;
	struct rmi_rec_exit exit;
	uint64_t gprs[8];
	const uint64_t pc = PC_MAIN, flags = RMI_REC_FLAG_RUNNABLE;

	for (unsigned i = 0; i < 8; i++)
		gprs[i] = SECRET(50 + i);
	rt_guest(PC_MAIN, guest_leak);
	rt_realm_build_ex(&rr, NULL, 1, &pc, &flags, gprs, true);

	assert_int_equal(rt_enter(&rr, 0, 0, NULL, &exit), RMI_SUCCESS);
	assert_int_equal(exit.exit_reason, RMI_EXIT_HOST_CALL);
	for (unsigned i = 0; i < RMI_REC_GPRS; i++)
		assert_int_equal(exit.gprs[i], 0x600 + i);
	check_no_leak(&exit, RMI_REC_GPRS);

	assert_int_equal(rt_enter(&rr, 0, 0, NULL, &exit), RMI_SUCCESS);
	assert_int_equal(exit.exit_reason, RMI_EXIT_RIPAS_CHANGE);
	check_no_leak(&exit, 0);

	assert_int_equal(rt_enter(&rr, 0, REC_ENTER_FLAG_RIPAS_RESPONSE, NULL, &exit), RMI_SUCCESS);
	check_mmio_exit(&exit, MMIO_IPA, false, 8);
	check_no_leak(&exit, 0);

	assert_int_equal(rt_enter(&rr, 0, REC_ENTER_FLAG_EMUL_MMIO, NULL, &exit), RMI_SUCCESS);
	check_mmio_exit(&exit, MMIO_IPA, true, 8);
	assert_int_equal(exit.gprs[0], 0x5151);
	check_no_leak(&exit, 1);

	assert_int_equal(rt_enter(&rr, 0, REC_ENTER_FLAG_EMUL_MMIO, NULL, &exit), RMI_SUCCESS);
	assert_int_equal(exit.exit_reason, RMI_EXIT_SYNC);
	assert_int_equal(IPA_FROM_HPFAR(exit.hpfar), RT_IPA_RAM_UNASSIGNED);
	check_no_leak(&exit, 0);

	assert_int_equal(th_rmi(SMC_RMI_DATA_CREATE_UNKNOWN, rr.r.rd, th_delegated_granule(),
				RT_IPA_RAM_UNASSIGNED, 0, 0, 0, NULL),
			 RMI_SUCCESS);
	assert_int_equal(rt_enter(&rr, 0, 0, NULL, &exit), RMI_SUCCESS);
	assert_int_equal(exit.exit_reason, RMI_EXIT_PSCI);
	assert_int_equal(exit.gprs[0], PSCI_CPU_OFF);
	check_no_leak(&exit, 1);
}

static void guest_return(struct native_guest *g, const uint64_t gprs[8])
{
	struct smc_regs r;

	for (unsigned i = 0; i < SMC_NR_REGS; i++)
		r.x[i] = SECRET(i);
	r.x[0] = SMC_RSI_VERSION;
	r.x[1] = RSI_ABI_VERSION;
	native_guest_smc(g, &r);
}

static void test_guest_end_leak(void **state)
{
	struct rt_realm rr;
	struct rmi_rec_exit exit;

	rt_guest(PC_MAIN, guest_return);
	rt_realm_build(&rr, PC_MAIN);
	assert_int_equal(rt_enter(&rr, 0, 0, NULL, &exit), RMI_SUCCESS);
	assert_true(rt_exit_is_guest_end(&exit));
	check_no_leak(&exit, 0);
	/* A finished guest keeps exiting the same way. */
	assert_int_equal(rt_enter(&rr, 0, 0, NULL, &exit), RMI_SUCCESS);
	assert_true(rt_exit_is_guest_end(&exit));
}

/* ---- A realm that storms the RMM with calls still gives the host its CPU back ---- */

#define STORM_CALLS 100000U

static void guest_storm(struct native_guest *g, const uint64_t gprs[8])
{
	unsigned ok = 0;

	for (unsigned i = 0; i < STORM_CALLS; i++)
		ok += rt_smc(g, PSCI_VERSION, 0, 0, 0, 0, NULL) == 0x10001;
	note(ok, false);
}

static void test_call_storm_exits_irq(void **state)
{
	struct rt_realm rr;
	struct rmi_rec_exit exit;
	unsigned irqs = 0;

	rt_guest(PC_MAIN, guest_storm);
	rt_realm_build(&rr, PC_MAIN);
	for (;;) {
		assert_int_equal(rt_enter(&rr, 0, 0, NULL, &exit), RMI_SUCCESS);
		if (exit.exit_reason != RMI_EXIT_IRQ)
			break;
		check_no_leak(&exit, 0);
		assert_true(++irqs < 10);
	}
	assert_true(rt_exit_is_guest_end(&exit));
	assert_true(irqs >= 1);
	assert_int_equal(gr.n, 1);
	assert_int_equal(gr.v[0], STORM_CALLS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_enter_bad_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enter_realm_new, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enter_system_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enter_not_runnable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enter_running, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enter_no_code, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmio_emulation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmio_emul_without_abort, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmio_inject_sea, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ripas_empty_sea, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unassigned_ram_abort, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exit_leak, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_end_leak, setup, teardown),
		cmocka_unit_test_setup_teardown(test_call_storm_exits_irq, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
