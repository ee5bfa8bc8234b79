/*
 * Monitor boot tests: layout and GPT geometry for other DRAM sizes (through
 * the harness, with the real RMM), and the monitor alone with a stand-in
 * RMM image: the RMM's EL3 calls during boot, a failing RMM boot, the RMM
 * size request, shutdown.
 */
#include "common/harness.h"

#include <errno.h>
#include <string.h>

#include "arch/gpt.h"
#include "arch/rmi.h"
#include "monitor/monitor.h"
#include "plat/plat.h"

#define SZ_2M (2ULL << 20)
#define SZ_1G (1ULL << 30)

static bool can_read(enum pas pas, uint64_t pa)
{
	uint64_t v;

	return plat_read(pas, pa, &v, sizeof(v), NULL) == 0;
}

/* The regions tile DRAM with the GPIs and accesses they should have. */
static void check_layout(uint64_t dram_size, unsigned pps, uint64_t l1_tables)
{
	const struct machine_layout *l = &th_layout;
	uint64_t end = l->dram_base + dram_size;
	uint64_t gpccr = plat_read_gpccr();

	assert_int_equal(l->dram_size, dram_size);
	assert_int_equal(l->root_base, l->dram_base);
	assert_int_equal(l->gpt_bytes, GRANULE_SIZE + l1_tables * 128 * 1024);
	assert_int_equal(l->root_size, ALIGN_UP(l->gpt_bytes + GRANULE_SIZE, SZ_2M));
	assert_int_equal(l->rmm_base, l->root_base + l->root_size);
	assert_true(l->rmm_size % SZ_2M == 0 && l->rmm_size > 0);
	assert_int_equal(l->ns_base, l->rmm_base + l->rmm_size);
	assert_int_equal(l->ns_base + l->ns_size, end);

	assert_true(gpccr & GPCCR_GPC);
	assert_int_equal(GPCCR_PPS(gpccr), pps);
	assert_int_equal(GPTBR_TO_PA(plat_read_gptbr()), l->root_base);

	assert_int_equal(monitor_gpt_read_gpi(l->root_base), GPI_ROOT);
	assert_int_equal(monitor_gpt_read_gpi(l->rmm_base - GRANULE_SIZE), GPI_ROOT);
	assert_int_equal(monitor_gpt_read_gpi(l->rmm_base), GPI_REALM);
	assert_int_equal(monitor_gpt_read_gpi(l->ns_base - GRANULE_SIZE), GPI_REALM);
	assert_int_equal(monitor_gpt_read_gpi(l->ns_base), GPI_NS);
	assert_int_equal(monitor_gpt_read_gpi(end - GRANULE_SIZE), GPI_NS);
	assert_int_equal(monitor_gpt_read_gpi(0), GPI_NO_ACCESS);
	assert_int_equal(monitor_gpt_read_gpi(1ULL << gpt_pps_bits(pps)), -EINVAL);
	if (end < (1ULL << gpt_pps_bits(pps))) {
		/* Past DRAM: the rest of DRAM's last GiB (L1), then L0 blocks. */
		assert_int_equal(monitor_gpt_read_gpi(end), GPI_NO_ACCESS);
		assert_int_equal(monitor_gpt_read_gpi((1ULL << gpt_pps_bits(pps)) - GRANULE_SIZE),
				 GPI_NO_ACCESS);
	}

	assert_true(can_read(PAS_ROOT, l->root_base));
	assert_false(can_read(PAS_NS, l->root_base));
	assert_false(can_read(PAS_REALM, l->root_base));
	assert_true(can_read(PAS_REALM, l->rmm_base));
	assert_false(can_read(PAS_NS, l->rmm_base));
	assert_true(can_read(PAS_NS, end - GRANULE_SIZE));
	assert_false(can_read(PAS_REALM, end - GRANULE_SIZE));
}

static void test_boot_64m(void **state)
{
	th_boot(64ULL << 20);
	check_layout(64ULL << 20, 0, 1);
	/* A realm granule at the top of a small machine. */
	uint64_t pa = th_delegated_granule();
	assert_int_equal(monitor_gpt_read_gpi(pa), GPI_REALM);
	th_shutdown();
}

static void test_boot_1g(void **state)
{
	th_boot(SZ_1G);
	check_layout(SZ_1G, 0, 1);
	th_shutdown();
}

/* 4 GiB from 2 GiB: top at 6 GiB needs PPS 36 bits and four L1 tables. */
static void test_boot_4g(void **state)
{
	th_boot(4 * SZ_1G);
	check_layout(4 * SZ_1G, 1, 4);
	/* Each GiB has its own L1 table: delegate at the very top works. */
	uint64_t top = th_layout.dram_base + th_layout.dram_size - GRANULE_SIZE;
	assert_int_equal(plat_smc6(PAS_REALM, SMC_RMM_GTSI_DELEGATE, top, 0, 0, 0, 0, 0, NULL),
			 E_RMM_OK);
	assert_int_equal(monitor_gpt_read_gpi(top), GPI_REALM);
	assert_false(can_read(PAS_NS, top));
	assert_int_equal(plat_smc6(PAS_REALM, SMC_RMM_GTSI_UNDELEGATE, top, 0, 0, 0, 0, 0, NULL),
			 E_RMM_OK);
	assert_true(can_read(PAS_NS, top));
	th_shutdown();
}

/* 2 GiB from 2 GiB: top exactly 4 GiB still fits 32 bits. */
static void test_boot_2g(void **state)
{
	th_boot(2 * SZ_1G);
	check_layout(2 * SZ_1G, 0, 2);
	th_shutdown();
}

/* ---- The monitor with a stand-in RMM ---------------------------------- */

static struct {
	int ret;	      /* what boot returns */
	bool call_el3;	      /* make EL3 calls while booting */
	uint64_t boot_status; /* x1 of BOOT_COMPLETE */
	int64_t features, complete, complete_again;
	uint64_t args[4];
	int rmi_calls;
} fake;

static int fake_boot(uint64_t rmm_base, uint64_t rmm_size, uint64_t dram_base, uint64_t dram_size)
{
	struct smc_regs r;

	fake.args[0] = rmm_base;
	fake.args[1] = rmm_size;
	fake.args[2] = dram_base;
	fake.args[3] = dram_size;
	if (fake.call_el3) {
		fake.features =
			(int64_t)plat_smc6(PAS_REALM, SMC_RMM_EL3_FEATURES, 0, 0, 0, 0, 0, 0, &r);
		fake.complete = (int64_t)plat_smc6(PAS_REALM, SMC_RMM_BOOT_COMPLETE,
						   fake.boot_status, 0, 0, 0, 0, 0, &r);
		fake.complete_again =
			(int64_t)plat_smc6(PAS_REALM, SMC_RMM_BOOT_COMPLETE, 0, 0, 0, 0, 0, 0, &r);
	}
	return fake.ret;
}

static void fake_handle_rmi(struct smc_regs *regs)
{
	fake.rmi_calls++;
	regs->x[0] = RMI_SUCCESS;
	regs->x[1] = 0x1234;
}

static const struct monitor_rmm_image fake_image = {
	.boot = fake_boot,
	.handle_rmi = fake_handle_rmi,
};

static int fake_setup(void **state)
{
	struct plat_config pc = {.dram_size = 128ULL << 20};

	memset(&fake, 0, sizeof(fake));
	return plat_init(&pc);
}

static int fake_teardown(void **state)
{
	monitor_shutdown();
	plat_fini();
	return 0;
}

static void test_fake_boot_el3_calls(void **state)
{
	struct monitor_layout l;
	struct smc_regs r;

	fake.call_el3 = true;
	assert_int_equal(monitor_boot(&fake_image, 5ULL << 20, &l), 0);
	assert_int_equal(fake.features, E_RMM_OK);
	assert_int_equal(fake.complete, E_RMM_OK);
	assert_int_equal(fake.complete_again, E_RMM_INVAL);
	/* The RMM got its region, rounded up to 2 MiB, right after Root. */
	assert_int_equal(l.rmm_size, 6ULL << 20);
	assert_int_equal(fake.args[0], l.rmm_base);
	assert_int_equal(fake.args[1], 6ULL << 20);
	assert_int_equal(fake.args[2], PLAT_DRAM_BASE);
	assert_int_equal(fake.args[3], 128ULL << 20);
	/* RMI goes to handle_rmi. */
	assert_int_equal(plat_smc6(PAS_NS, SMC_RMI_VERSION, 0, 0, 0, 0, 0, 0, &r), RMI_SUCCESS);
	assert_int_equal(r.x[1], 0x1234);
	assert_int_equal(fake.rmi_calls, 1);
	/* After boot, BOOT_COMPLETE is refused. */
	assert_int_equal((int64_t)plat_smc6(PAS_REALM, SMC_RMM_BOOT_COMPLETE, 0, 0, 0, 0, 0, 0, &r),
			 E_RMM_INVAL);

	/* A second boot on a running GPC is refused. */
	assert_int_equal(monitor_boot(&fake_image, 0, &l), -EBUSY);

	monitor_shutdown();
	/* Vector gone: every SMC is unknown; the RMM is not called. */
	assert_int_equal(plat_smc6(PAS_NS, SMC_RMI_VERSION, 0, 0, 0, 0, 0, 0, &r), SMC_UNKNOWN);
	assert_int_equal(plat_smc6(PAS_REALM, SMC_RMM_EL3_FEATURES, 0, 0, 0, 0, 0, 0, &r),
			 SMC_UNKNOWN);
	assert_int_equal(fake.rmi_calls, 1);
	assert_int_equal(monitor_gpt_read_gpi(PLAT_DRAM_BASE), -EINVAL);
}

static void test_fake_boot_default_rmm_size(void **state)
{
	struct monitor_layout l;

	assert_int_equal(monitor_boot(&fake_image, 0, &l), 0);
	assert_true(l.rmm_size >= SZ_2M && l.rmm_size % SZ_2M == 0);
	assert_int_equal(fake.args[1], l.rmm_size);
	assert_int_equal(l.ns_base + l.ns_size, PLAT_DRAM_BASE + (128ULL << 20));
}

static void test_fake_boot_fails(void **state)
{
	struct monitor_layout l;
	struct smc_regs r;

	fake.ret = -ENOMEM;
	assert_int_equal(monitor_boot(&fake_image, SZ_2M, &l), -ENOMEM);
	/* The vector is not left behind for a dead RMM. */
	assert_int_equal(plat_smc6(PAS_NS, SMC_RMI_VERSION, 0, 0, 0, 0, 0, 0, &r), SMC_UNKNOWN);
	assert_int_equal(fake.rmi_calls, 0);
}

static void test_fake_boot_reports_failure(void **state)
{
	struct monitor_layout l;

	fake.call_el3 = true;
	fake.boot_status = (uint64_t)E_RMM_NOMEM;
	assert_int_equal(monitor_boot(&fake_image, SZ_2M, &l), -EIO);
}

static void test_fake_boot_too_big(void **state)
{
	struct monitor_layout l;

	/* The RMM asks for all of DRAM: nothing would be left for the host. */
	assert_int_equal(monitor_boot(&fake_image, 128ULL << 20, &l), -ENOMEM);
	assert_int_equal(monitor_boot(&fake_image, 126ULL << 20, &l), -ENOMEM);
	assert_int_equal(monitor_boot(&fake_image, (124ULL << 20) + 1, &l), -ENOMEM);
	assert_int_equal(monitor_boot(NULL, SZ_2M, &l), -EINVAL);
	assert_false(plat_read_gpccr() & GPCCR_GPC);
	/* Just fits: 2 MiB Root, 124 MiB RMM, 2 MiB NS. */
	assert_int_equal(monitor_boot(&fake_image, 124ULL << 20, &l), 0);
	assert_int_equal(l.ns_size, SZ_2M);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boot_64m),
		cmocka_unit_test(test_boot_1g),
		cmocka_unit_test(test_boot_2g),
		cmocka_unit_test(test_boot_4g),
		cmocka_unit_test_setup_teardown(test_fake_boot_el3_calls, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(test_fake_boot_default_rmm_size, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(test_fake_boot_fails, fake_setup, fake_teardown),
		cmocka_unit_test_setup_teardown(test_fake_boot_reports_failure, fake_setup,
						fake_teardown),
		cmocka_unit_test_setup_teardown(test_fake_boot_too_big, fake_setup, fake_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
