/*
 * Monitor tests on a booted machine (harness): the memory layout and the
 * GPT as built, GPCCR/GPTBR, real accesses through the GPC, the GTSI
 * delegate/undelegate sequences and their errors and costs, and the SMC
 * dispatch rules (who may call what).
 */
#include "common/harness.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "arch/gpt.h"
#include "arch/rmi.h"
#include "monitor/monitor.h"
#include "plat/plat.h"

#define SZ_2M (2ULL << 20)

static uint64_t dram_end(void)
{
	return th_layout.dram_base + th_layout.dram_size;
}

/* EL3 call from the Realm world (as the RMM makes it); returns x0 as signed. */
static int64_t realm_smc(uint64_t fid, uint64_t a1, struct smc_regs *res)
{
	return (int64_t)plat_smc6(PAS_REALM, fid, a1, 0, 0, 0, 0, 0, res);
}

/* Can an access of PAS `pas` read the granule at pa? Checks the fault kind too. */
static bool can_read(enum pas pas, uint64_t pa)
{
	struct plat_fault f;
	uint64_t v;
	int ret = plat_read(pas, pa, &v, sizeof(v), &f);

	if (ret != 0) {
		assert_int_equal(ret, -EFAULT);
		assert_int_equal(f.kind, PLAT_FAULT_GPF);
		assert_int_equal(f.fsc, 0x28);
		assert_true(f.pa >= ALIGN_DOWN(pa, GRANULE_SIZE) &&
			    f.pa < ALIGN_DOWN(pa, GRANULE_SIZE) + GRANULE_SIZE);
		assert_int_equal(f.pas, pas);
	}
	return ret == 0;
}

static void counters_delta(const uint64_t before[PLAT_CNT_NR], uint64_t delta[PLAT_CNT_NR])
{
	uint64_t now[PLAT_CNT_NR];

	plat_counters_snapshot(now);
	for (int i = 0; i < PLAT_CNT_NR; i++)
		delta[i] = now[i] - before[i];
}

/* ---- Layout and GPT --------------------------------------------------- */

static void test_layout(void **state)
{
	const struct machine_layout *l = &th_layout;

	assert_int_equal(l->dram_base, PLAT_DRAM_BASE);
	assert_int_equal(l->dram_size, TH_DRAM_SIZE);
	assert_int_equal(l->root_base, l->dram_base);
	/* 4 KiB L0 + 128 KiB of L1 for the one GiB DRAM touches + data: 2 MiB. */
	assert_int_equal(l->root_size, SZ_2M);
	assert_int_equal(l->gpt_bytes, 4096 + 128 * 1024);
	assert_int_equal(l->rmm_base, l->root_base + l->root_size);
	assert_true(l->rmm_size >= SZ_2M && l->rmm_size % SZ_2M == 0);
	assert_int_equal(l->ns_base, l->rmm_base + l->rmm_size);
	assert_int_equal(l->ns_base + l->ns_size, dram_end());
	assert_true(l->ns_size > 0);
}

static void test_gpi_layout(void **state)
{
	const struct machine_layout *l = &th_layout;

	assert_int_equal(monitor_gpt_read_gpi(l->root_base), GPI_ROOT);
	assert_int_equal(monitor_gpt_read_gpi(l->root_base + l->root_size - GRANULE_SIZE),
			 GPI_ROOT);
	assert_int_equal(monitor_gpt_read_gpi(l->rmm_base), GPI_REALM);
	assert_int_equal(monitor_gpt_read_gpi(l->rmm_base + l->rmm_size - GRANULE_SIZE), GPI_REALM);
	assert_int_equal(monitor_gpt_read_gpi(l->ns_base), GPI_NS);
	assert_int_equal(monitor_gpt_read_gpi(dram_end() - GRANULE_SIZE), GPI_NS);
	/* Unaligned PAs name their granule. */
	assert_int_equal(monitor_gpt_read_gpi(l->ns_base + 123), GPI_NS);
	/* Outside DRAM but inside the PPS: NO_ACCESS (L0 block or L1 past DRAM's end). */
	assert_int_equal(monitor_gpt_read_gpi(0), GPI_NO_ACCESS);
	assert_int_equal(monitor_gpt_read_gpi(l->dram_base - GRANULE_SIZE), GPI_NO_ACCESS);
	assert_int_equal(monitor_gpt_read_gpi(dram_end()), GPI_NO_ACCESS);
	assert_int_equal(monitor_gpt_read_gpi(0xFFFFF000ULL), GPI_NO_ACCESS);
	/* Beyond the 4 GiB PPS: not covered. */
	assert_int_equal(monitor_gpt_read_gpi(1ULL << 32), -EINVAL);
	assert_int_equal(monitor_gpt_read_gpi(~0ULL), -EINVAL);
}

static void test_gpt_in_memory(void **state)
{
	const struct machine_layout *l = &th_layout;
	uint64_t l0[4], l1;

	/* Root can read its own tables; the L0 entry for 2..3 GiB is a table. */
	assert_int_equal(plat_read(PAS_ROOT, l->root_base, l0, sizeof(l0), NULL), 0);
	assert_int_equal(l0[0], GPT_L0_BLOCK_DESC(GPI_NO_ACCESS));
	assert_int_equal(l0[1], GPT_L0_BLOCK_DESC(GPI_NO_ACCESS));
	assert_int_equal(l0[2] & GPT_L0_TYPE_MASK, GPT_L0_TYPE_TABLE);
	assert_int_equal(l0[3], GPT_L0_BLOCK_DESC(GPI_NO_ACCESS));
	assert_true(GPT_L0_TABLE_ADDR(l0[2]) >= l->root_base &&
		    GPT_L0_TABLE_ADDR(l0[2]) < l->root_base + l->root_size);
	/* First L1 descriptor: 16 Root granules. */
	assert_int_equal(plat_read_u64(PAS_ROOT, GPT_L0_TABLE_ADDR(l0[2]), &l1, NULL), 0);
	assert_int_equal(l1, GPT_L1_FILL(GPI_ROOT));
}

static void test_real_accesses(void **state)
{
	const struct machine_layout *l = &th_layout;
	const uint64_t root[] = {l->root_base, l->root_base + l->root_size - GRANULE_SIZE};
	const uint64_t rmm[] = {l->rmm_base, l->rmm_base + l->rmm_size - GRANULE_SIZE};
	const uint64_t ns[] = {l->ns_base, dram_end() - GRANULE_SIZE};

	for (int i = 0; i < 2; i++) {
		assert_true(can_read(PAS_ROOT, root[i]));
		assert_false(can_read(PAS_NS, root[i]));
		assert_false(can_read(PAS_REALM, root[i]));
		assert_false(can_read(PAS_SECURE, root[i]));

		assert_true(can_read(PAS_REALM, rmm[i]));
		assert_false(can_read(PAS_NS, rmm[i]));
		assert_false(can_read(PAS_ROOT, rmm[i]));

		assert_true(can_read(PAS_NS, ns[i]));
		assert_false(can_read(PAS_REALM, ns[i]));
		assert_false(can_read(PAS_ROOT, ns[i]));
	}
	/* A Normal-world write to the GPT is refused and leaves it intact. */
	uint64_t junk = ~0ULL;
	assert_int_equal(plat_write(PAS_NS, l->root_base, &junk, sizeof(junk), NULL), -EFAULT);
	assert_int_equal(monitor_gpt_read_gpi(l->ns_base), GPI_NS);
}

static void test_gpc_registers(void **state)
{
	uint64_t gpccr = plat_read_gpccr();

	assert_true(gpccr & GPCCR_GPC);
	assert_int_equal(GPCCR_PPS(gpccr), 0); /* 2.25 GiB top of DRAM: 32 bits */
	assert_int_equal(GPCCR_PGS(gpccr), GPCCR_PGS_4K);
	assert_int_equal(GPCCR_L0GPTSZ(gpccr), 0);
	assert_int_equal(GPTBR_TO_PA(plat_read_gptbr()), th_layout.root_base);
}

/* ---- GTSI delegate / undelegate -------------------------------------- */

static void test_delegate_undelegate(void **state)
{
	uint64_t before[PLAT_CNT_NR], d[PLAT_CNT_NR];
	uint64_t pa = th_ns_granule();
	const char msg[] = "host secret";
	char buf[sizeof(msg)];

	assert_int_equal(host_mem_write(pa, msg, sizeof(msg)), 0);
	/* Warm the GPC TLB for the NS alias: the TLBI must drop it. */
	assert_true(can_read(PAS_NS, pa));
	assert_false(can_read(PAS_REALM, pa));

	plat_counters_snapshot(before);
	assert_int_equal(realm_smc(SMC_RMM_GTSI_DELEGATE, pa, NULL), E_RMM_OK);
	counters_delta(before, d);
	assert_int_equal(d[PLAT_CNT_GPT_UPDATE], 1);
	assert_int_equal(d[PLAT_CNT_TLBI], 1);
	assert_int_equal(d[PLAT_CNT_DELEGATE], 1);
	assert_int_equal(d[PLAT_CNT_UNDELEGATE], 0);
	assert_int_equal(d[PLAT_CNT_CMO], 2);
	assert_true(d[PLAT_CNT_DSB] >= 1);
	assert_int_equal(d[PLAT_CNT_SMC], 1);
	assert_int_equal(d[PLAT_CNT_WORLD_SWITCH], 0);

	assert_int_equal(monitor_gpt_read_gpi(pa), GPI_REALM);
	assert_false(can_read(PAS_NS, pa));
	assert_true(can_read(PAS_REALM, pa));
	assert_int_equal(host_mem_read(pa, buf, sizeof(buf)), -EFAULT);
	/* Neighbours in the same L1 descriptor are untouched. */
	assert_int_equal(monitor_gpt_read_gpi(pa ^ GRANULE_SIZE), GPI_NS);

	plat_counters_snapshot(before);
	assert_int_equal(realm_smc(SMC_RMM_GTSI_UNDELEGATE, pa, NULL), E_RMM_OK);
	counters_delta(before, d);
	assert_int_equal(d[PLAT_CNT_GPT_UPDATE], 2);
	assert_int_equal(d[PLAT_CNT_TLBI], 2);
	assert_int_equal(d[PLAT_CNT_UNDELEGATE], 1);
	assert_int_equal(d[PLAT_CNT_DELEGATE], 0);
	assert_int_equal(d[PLAT_CNT_CMO], 2);
	assert_true(d[PLAT_CNT_DSB] >= 2);

	assert_int_equal(monitor_gpt_read_gpi(pa), GPI_NS);
	assert_true(can_read(PAS_NS, pa));
	assert_false(can_read(PAS_REALM, pa));
	/* Monitor does not scrub (the RMM does): the content is still there. */
	assert_int_equal(host_mem_read(pa, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, msg, sizeof(msg));
	host_granule_free(pa);
}

/* An error changes nothing: no GPI write, no TLBI. */
static void expect_gtsi_error(uint64_t fid, uint64_t pa, int64_t err)
{
	uint64_t before[PLAT_CNT_NR], d[PLAT_CNT_NR];
	int gpi = monitor_gpt_read_gpi(pa);

	plat_counters_snapshot(before);
	assert_int_equal(realm_smc(fid, pa, NULL), err);
	counters_delta(before, d);
	assert_int_equal(d[PLAT_CNT_GPT_UPDATE], 0);
	assert_int_equal(d[PLAT_CNT_TLBI], 0);
	assert_int_equal(d[PLAT_CNT_DELEGATE], 0);
	assert_int_equal(d[PLAT_CNT_UNDELEGATE], 0);
	assert_int_equal(monitor_gpt_read_gpi(pa), gpi);
}

static void test_gtsi_errors(void **state)
{
	const struct machine_layout *l = &th_layout;
	const uint64_t both[] = {SMC_RMM_GTSI_DELEGATE, SMC_RMM_GTSI_UNDELEGATE};
	uint64_t ns = th_ns_granule();
	uint64_t realm = th_ns_granule();

	assert_int_equal(realm_smc(SMC_RMM_GTSI_DELEGATE, realm, NULL), E_RMM_OK);

	for (int i = 0; i < 2; i++) {
		uint64_t fid = both[i];
		uint64_t target = i == 0 ? ns : realm;

		/* Unaligned. */
		expect_gtsi_error(fid, target + 8, E_RMM_BAD_ADDR);
		expect_gtsi_error(fid, target + GRANULE_SIZE - 1, E_RMM_BAD_ADDR);
		/* Outside DRAM. */
		expect_gtsi_error(fid, 0, E_RMM_BAD_ADDR);
		expect_gtsi_error(fid, l->dram_base - GRANULE_SIZE, E_RMM_BAD_ADDR);
		expect_gtsi_error(fid, dram_end(), E_RMM_BAD_ADDR);
		expect_gtsi_error(fid, 1ULL << 40, E_RMM_BAD_ADDR);
		expect_gtsi_error(fid, ~0ULL & ~GRANULE_MASK, E_RMM_BAD_ADDR);
		/* The monitor's Root region and the RMM's region. */
		expect_gtsi_error(fid, l->root_base, E_RMM_BAD_ADDR);
		expect_gtsi_error(fid, l->root_base + l->root_size - GRANULE_SIZE, E_RMM_BAD_ADDR);
		expect_gtsi_error(fid, l->rmm_base, E_RMM_BAD_ADDR);
		expect_gtsi_error(fid, l->rmm_base + l->rmm_size - GRANULE_SIZE, E_RMM_BAD_ADDR);
	}
	/* Wrong current GPI. */
	expect_gtsi_error(SMC_RMM_GTSI_DELEGATE, realm, E_RMM_BAD_PAS);
	expect_gtsi_error(SMC_RMM_GTSI_UNDELEGATE, ns, E_RMM_BAD_PAS);

	assert_int_equal(realm_smc(SMC_RMM_GTSI_UNDELEGATE, realm, NULL), E_RMM_OK);
	expect_gtsi_error(SMC_RMM_GTSI_UNDELEGATE, realm, E_RMM_BAD_PAS);
	assert_int_equal(monitor_gpt_read_gpi(realm), GPI_NS);
	host_granule_free(ns);
	host_granule_free(realm);
}

/* Threads flip granules that share L1 descriptors: no GPI write may be lost. */
#define FLIP_THREADS 4
#define FLIP_ROUNDS 5000
struct flip_arg {
	uint64_t base; /* 16 granules, one L1 descriptor */
	int idx;
	int errors;
};

static void *flip_thread(void *p)
{
	struct flip_arg *a = p;

	for (int r = 0; r < FLIP_ROUNDS; r++) {
		for (int g = a->idx; g < 16; g += FLIP_THREADS) {
			uint64_t pa = a->base + (uint64_t)g * GRANULE_SIZE;

			if (plat_smc6(PAS_REALM, SMC_RMM_GTSI_DELEGATE, pa, 0, 0, 0, 0, 0, NULL) !=
			    E_RMM_OK)
				a->errors++;
			if (plat_smc6(PAS_REALM, SMC_RMM_GTSI_UNDELEGATE, pa, 0, 0, 0, 0, 0,
				      NULL) != E_RMM_OK)
				a->errors++;
		}
	}
	return NULL;
}

static void test_gtsi_concurrent(void **state)
{
	uint64_t base = host_granules_alloc(16, 16 * GRANULE_SIZE);
	pthread_t t[FLIP_THREADS];
	struct flip_arg args[FLIP_THREADS];
	uint64_t before[PLAT_CNT_NR], d[PLAT_CNT_NR];

	assert_true(base != 0);
	plat_counters_snapshot(before);
	for (int i = 0; i < FLIP_THREADS; i++) {
		args[i] = (struct flip_arg){.base = base, .idx = i};
		assert_int_equal(pthread_create(&t[i], NULL, flip_thread, &args[i]), 0);
	}
	for (int i = 0; i < FLIP_THREADS; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(args[i].errors, 0);
	}
	counters_delta(before, d);
	assert_int_equal(d[PLAT_CNT_DELEGATE], 16 * FLIP_ROUNDS);
	assert_int_equal(d[PLAT_CNT_UNDELEGATE], 16 * FLIP_ROUNDS);
	assert_int_equal(d[PLAT_CNT_GPT_UPDATE], 3 * 16 * FLIP_ROUNDS);
	for (int g = 0; g < 16; g++)
		assert_int_equal(monitor_gpt_read_gpi(base + (uint64_t)g * GRANULE_SIZE), GPI_NS);
	host_granules_free(base, 16);
}

/* ---- SMC dispatch ----------------------------------------------------- */

static void test_ns_cannot_use_el3_interface(void **state)
{
	const uint64_t fids[] = {
		SMC_RMM_GTSI_DELEGATE,	  SMC_RMM_GTSI_UNDELEGATE, SMC_RMM_ATTEST_GET_REALM_KEY,
		SMC_RMM_GET_PLAT_TOKEN,	  SMC_RMM_EL3_FEATURES,	   SMC_RMM_BOOT_COMPLETE,
		SMC_RMM_RMI_REQ_COMPLETE, SMC64_FID(0x1C0),
	};
	uint64_t pa = th_ns_granule();
	uint64_t before[PLAT_CNT_NR], d[PLAT_CNT_NR];
	struct smc_regs res;

	plat_counters_snapshot(before);
	for (size_t i = 0; i < ARRAY_SIZE(fids); i++) {
		assert_int_equal(plat_smc6(PAS_NS, fids[i], pa, 0, 0, 0, 0, 0, &res), SMC_UNKNOWN);
		assert_int_equal(monitor_gpt_read_gpi(pa), GPI_NS);
	}
	counters_delta(before, d);
	assert_int_equal(d[PLAT_CNT_GPT_UPDATE], 0);
	assert_int_equal(d[PLAT_CNT_WORLD_SWITCH], 0);
	assert_int_equal(d[PLAT_CNT_RMI], 0);
	assert_true(can_read(PAS_NS, pa));
	host_granule_free(pa);
}

static void test_unknown_fids(void **state)
{
	struct smc_regs res;
	uint64_t before[PLAT_CNT_NR], d[PLAT_CNT_NR];

	plat_counters_snapshot(before);
	/* Normal world: outside the RMI range, SMC32 encodings, PSCI. */
	assert_int_equal(plat_smc6(PAS_NS, SMC64_FID(0x14F), 0, 0, 0, 0, 0, 0, &res), SMC_UNKNOWN);
	assert_int_equal(plat_smc6(PAS_NS, SMC64_FID(0x190), 0, 0, 0, 0, 0, 0, &res), SMC_UNKNOWN);
	assert_int_equal(plat_smc6(PAS_NS, 0x84000150ULL, 0, 0, 0, 0, 0, 0, &res), SMC_UNKNOWN);
	assert_int_equal(plat_smc6(PAS_NS, 0x0, 0, 0, 0, 0, 0, 0, &res), SMC_UNKNOWN);
	assert_int_equal(plat_smc6(PAS_NS, PSCI_SYSTEM_OFF, 0, 0, 0, 0, 0, 0, &res), SMC_UNKNOWN);
	assert_int_equal(plat_smc6(PAS_NS, ~0ULL, 0, 0, 0, 0, 0, 0, &res), SMC_UNKNOWN);
	/* Realm world: RMI is not for it; unassigned EL3 FIDs. */
	assert_int_equal(plat_smc6(PAS_REALM, SMC_RMI_VERSION, 0x10000, 0, 0, 0, 0, 0, &res),
			 SMC_UNKNOWN);
	assert_int_equal(plat_smc6(PAS_REALM, SMC64_FID(0x1B5), 0, 0, 0, 0, 0, 0, &res),
			 SMC_UNKNOWN);
	assert_int_equal(plat_smc6(PAS_REALM, SMC_RMM_RMI_REQ_COMPLETE, 0, 0, 0, 0, 0, 0, &res),
			 SMC_UNKNOWN);
	/* Secure and Root callers: nothing is served. */
	assert_int_equal(plat_smc6(PAS_SECURE, SMC_RMI_VERSION, 0x10000, 0, 0, 0, 0, 0, &res),
			 SMC_UNKNOWN);
	assert_int_equal(plat_smc6(PAS_SECURE, SMC_RMM_GTSI_DELEGATE, th_layout.ns_base, 0, 0, 0, 0,
				   0, &res),
			 SMC_UNKNOWN);
	assert_int_equal(plat_smc6(PAS_ROOT, SMC_RMI_VERSION, 0x10000, 0, 0, 0, 0, 0, &res),
			 SMC_UNKNOWN);
	counters_delta(before, d);
	assert_int_equal(d[PLAT_CNT_WORLD_SWITCH], 0);
	assert_int_equal(d[PLAT_CNT_RMI], 0);
	assert_int_equal(d[PLAT_CNT_GPT_UPDATE], 0);
}

static void test_el3_features_and_attest(void **state)
{
	struct smc_regs res;

	assert_int_equal(realm_smc(SMC_RMM_EL3_FEATURES, 0, &res), E_RMM_OK);
	assert_int_equal(res.x[1], 0);
	assert_int_equal(realm_smc(SMC_RMM_EL3_FEATURES, 1, &res), E_RMM_INVAL);
	assert_int_equal(realm_smc(SMC_RMM_EL3_FEATURES, ~0ULL, &res), E_RMM_INVAL);
	/* A machine booted without attestation keys: the calls are unknown. */
	assert_int_equal(realm_smc(SMC_RMM_ATTEST_GET_REALM_KEY, 0, &res), E_RMM_UNK);
	assert_int_equal(realm_smc(SMC_RMM_GET_PLAT_TOKEN, 0, &res), E_RMM_UNK);
	/* BOOT_COMPLETE only while the RMM boots. */
	assert_int_equal(realm_smc(SMC_RMM_BOOT_COMPLETE, 0, &res), E_RMM_INVAL);
}

static void test_rmi_version_world_switches(void **state)
{
	uint64_t before[PLAT_CNT_NR], d[PLAT_CNT_NR];
	struct smc_regs regs = {.x = {SMC_RMI_VERSION, RMI_ABI_VERSION}};

	plat_counters_snapshot(before);
	plat_smc(PAS_NS, &regs);
	counters_delta(before, d);
	assert_int_equal(regs.x[0], RMI_SUCCESS);
	assert_int_equal(regs.x[1], RMI_ABI_VERSION);
	assert_int_equal(d[PLAT_CNT_SMC], 1);
	assert_int_equal(d[PLAT_CNT_WORLD_SWITCH], 2);
	assert_int_equal(d[PLAT_CNT_RMI], 1);
	assert_int_equal(d[PLAT_CNT_GPT_UPDATE], 0);
}

/* RMI GRANULE_DELEGATE: one NS SMC, two world switches, the RMM's GTSI SMC. */
static void test_rmi_delegate_costs(void **state)
{
	uint64_t before[PLAT_CNT_NR], d[PLAT_CNT_NR];
	uint64_t pa = th_ns_granule();

	plat_counters_snapshot(before);
	assert_int_equal(th_rmi(SMC_RMI_GRANULE_DELEGATE, pa, 0, 0, 0, 0, 0, NULL), RMI_SUCCESS);
	counters_delta(before, d);
	assert_int_equal(monitor_gpt_read_gpi(pa), GPI_REALM);
	assert_int_equal(d[PLAT_CNT_WORLD_SWITCH], 2);
	assert_int_equal(d[PLAT_CNT_RMI], 1);
	assert_int_equal(d[PLAT_CNT_GPT_UPDATE], 1);
	assert_int_equal(d[PLAT_CNT_DELEGATE], 1);
	assert_int_equal(d[PLAT_CNT_SMC], 2);

	assert_int_equal(th_rmi(SMC_RMI_GRANULE_UNDELEGATE, pa, 0, 0, 0, 0, 0, NULL), RMI_SUCCESS);
	assert_int_equal(monitor_gpt_read_gpi(pa), GPI_NS);
	host_granule_free(pa);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_layout, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_gpi_layout, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_gpt_in_memory, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_real_accesses, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_gpc_registers, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_delegate_undelegate, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_gtsi_errors, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_gtsi_concurrent, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_ns_cannot_use_el3_interface, th_setup,
						th_teardown),
		cmocka_unit_test_setup_teardown(test_unknown_fids, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_el3_features_and_attest, th_setup,
						th_teardown),
		cmocka_unit_test_setup_teardown(test_rmi_version_world_switches, th_setup,
						th_teardown),
		cmocka_unit_test_setup_teardown(test_rmi_delegate_costs, th_setup, th_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
