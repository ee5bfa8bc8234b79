/*
 * Tests of the emulated stage-2 walker (plat_s2_translate): hand-built
 * stage-2 tables in the architectural format, translations through tables,
 * blocks and pages, every fault with its FSC and level, the NS output bit,
 * concatenated starting-level tables, and the GPC on table reads and on the
 * output address.
 */
#include "test_plat_util.h"

#include <errno.h>
#include <string.h>

#include "arch/esr.h"
#include "arch/rmi.h"
#include "arch/s2tt.h"

#define ATTR (S2TT_AF | S2TT_MEMATTR_NORMAL_WB | S2TT_SH_IS)
#define PAGE(pa, ap) ((uint64_t)(pa) | ATTR | (ap) | S2TT_DESC_PAGE)
#define BLOCK(pa, ap) ((uint64_t)(pa) | ATTR | (ap) | S2TT_DESC_BLOCK)
#define TABLE(pa) ((uint64_t)(pa) | S2TT_DESC_TABLE_TYPE)

/* The tables and pages of the fixture. */
static uint64_t rtt_l1, rtt_l2, rtt_l3, page_rw, page_ro, page_wo, page_none, page_ns;
static struct plat_s2_config s2;

static void wr(uint64_t table, unsigned idx, uint64_t desc)
{
	assert_int_equal(plat_write_u64(PAS_REALM, table + idx * 8, desc, NULL), 0);
}

static uint64_t table_granule(void)
{
	uint64_t pa = tp_alloc_granules(1);

	assert_int_equal(plat_zero(PAS_REALM, pa, GRANULE_SIZE, NULL), 0);
	return pa;
}

/*
 * IPA map (start level 1, one root table, 32-bit IPA):
 *   0x1000 RW page, 0x2000 RO, 0x3000 WO, 0x4000 no access, 0x5000 AF clear,
 *   0x6000 invalid, 0x7000 level-3 "block" (reserved), 0x8000 NS page;
 *   0x200000 2 MiB RW block -> DRAM+2M, 0x400000 block AF clear, 0x600000 invalid;
 *   0x40000000 1 GiB block -> DRAM; 0x80000000 invalid L1;
 *   0xC0000000 L1 table pointing outside DRAM.
 */
static int setup(void **state)
{
	(void)state;
	if (tp_boot(0) != 0)
		return -1;
	rtt_l1 = table_granule();
	rtt_l2 = table_granule();
	rtt_l3 = table_granule();
	page_rw = tp_alloc_granules(1);
	page_ro = tp_alloc_granules(1);
	page_wo = tp_alloc_granules(1);
	page_none = tp_alloc_granules(1);
	page_ns = tp_alloc_granules(1);

	wr(rtt_l1, 0, TABLE(rtt_l2));
	wr(rtt_l1, 1, BLOCK(PLAT_DRAM_BASE, S2TT_S2AP_RW));
	wr(rtt_l1, 3, TABLE(0x10000000));
	wr(rtt_l2, 0, TABLE(rtt_l3));
	wr(rtt_l2, 1, BLOCK(PLAT_DRAM_BASE + 0x200000, S2TT_S2AP_RW));
	wr(rtt_l2, 2, BLOCK(PLAT_DRAM_BASE + 0x400000, S2TT_S2AP_RW) & ~S2TT_AF);
	wr(rtt_l3, 1, PAGE(page_rw, S2TT_S2AP_RW));
	wr(rtt_l3, 2, PAGE(page_ro, S2TT_S2AP_RO));
	wr(rtt_l3, 3, PAGE(page_wo, S2TT_S2AP_WO));
	wr(rtt_l3, 4, PAGE(page_none, S2TT_S2AP_NONE));
	wr(rtt_l3, 5, PAGE(page_rw, S2TT_S2AP_RW) & ~S2TT_AF);
	wr(rtt_l3, 6, PAGE(page_rw, S2TT_S2AP_RW) & ~S2TT_DESC_VALID);
	wr(rtt_l3, 7, (PAGE(page_rw, S2TT_S2AP_RW) & ~S2TT_DESC_TYPE_MASK) | S2TT_DESC_BLOCK);
	wr(rtt_l3, 8, PAGE(page_ns, S2TT_S2AP_RW) | S2TT_NS);

	memset(&s2, 0, sizeof(s2));
	s2.rtt_base = rtt_l1;
	s2.rtt_level_start = 1;
	s2.rtt_num_start = 1;
	s2.ipa_bits = 32;
	s2.vmid = 1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	plat_fini();
	return 0;
}

static void expect_ok(const struct plat_s2_config *c, uint64_t ipa, bool write, uint64_t want_pa,
		      enum pas want_pas)
{
	struct plat_exception exc;
	uint64_t pa = 0;
	enum pas pas = PAS_ROOT;

	assert_int_equal(plat_s2_translate(c, ipa, write, &pa, &pas, &exc), 0);
	assert_int_equal(pa, want_pa);
	assert_int_equal(pas, want_pas);
}

static void expect_fault(const struct plat_s2_config *c, uint64_t ipa, bool write, unsigned fsc)
{
	struct plat_exception exc;
	uint64_t pa = 0x1234;

	memset(&exc, 0, sizeof(exc));
	assert_int_equal(plat_s2_translate(c, ipa, write, &pa, NULL, &exc), -EFAULT);
	assert_int_equal(ESR_EC(exc.esr), EC_DABT_LOW);
	assert_int_equal(ESR_ISS_FSC(exc.esr), fsc);
	assert_int_equal((exc.esr & ESR_ISS_WNR) != 0, write);
	assert_int_equal(exc.esr, ESR_MAKE(EC_DABT_LOW, fsc | (write ? ESR_ISS_WNR : 0)));
	assert_int_equal(exc.far, ipa);
	assert_int_equal(exc.hpfar, HPFAR_FROM_IPA(ipa));
	assert_int_equal(IPA_FROM_HPFAR(exc.hpfar), ipa & GENMASK(51, 12));
	assert_int_equal(pa, 0x1234); /* untouched */
}

static void test_translate_pages_and_blocks(void **state)
{
	expect_ok(&s2, 0x1000, false, page_rw, PAS_REALM);
	expect_ok(&s2, 0x1ABC, true, page_rw + 0xABC, PAS_REALM);
	expect_ok(&s2, 0x2008, false, page_ro + 8, PAS_REALM);
	expect_ok(&s2, 0x3FF8, true, page_wo + 0xFF8, PAS_REALM);
	/* 2 MiB block at level 2, 1 GiB block at level 1. */
	expect_ok(&s2, 0x200000, false, PLAT_DRAM_BASE + 0x200000, PAS_REALM);
	expect_ok(&s2, 0x3FFFF8, true, PLAT_DRAM_BASE + 0x3FFFF8, PAS_REALM);
	expect_ok(&s2, 0x40000000 + 0x123456, true, PLAT_DRAM_BASE + 0x123456, PAS_REALM);
	/* NULL outputs are allowed. */
	assert_int_equal(plat_s2_translate(&s2, 0x1000, false, NULL, NULL, NULL), 0);
}

static void test_ns_output(void **state)
{
	expect_ok(&s2, 0x8010, true, page_ns + 0x10, PAS_NS);
	/* An NS level-2 block too. */
	wr(rtt_l2, 4, BLOCK(PLAT_DRAM_BASE + 0x800000, S2TT_S2AP_RW) | S2TT_NS);
	expect_ok(&s2, 0x800000 + 0x1234, false, PLAT_DRAM_BASE + 0x801234, PAS_NS);
}

static void test_translation_faults(void **state)
{
	/* IPA beyond the configured size. */
	expect_fault(&s2, 1ULL << 32, false, FSC_TRANSLATION(0));
	expect_fault(&s2, ~0ULL, true, FSC_TRANSLATION(0));
	/* Invalid entries at each level. */
	expect_fault(&s2, 0x80000000, false, FSC_TRANSLATION(1));
	expect_fault(&s2, 0x600000, true, FSC_TRANSLATION(2));
	expect_fault(&s2, 0x6000, false, FSC_TRANSLATION(3));
	expect_fault(&s2, 0x9000, true, FSC_TRANSLATION(3)); /* zero entry */
	/* 0b01 at level 3 is reserved. */
	expect_fault(&s2, 0x7000, false, FSC_TRANSLATION(3));
	/* A broken configuration never translates. */
	{
		struct plat_s2_config bad = s2;

		bad.rtt_level_start = 4;
		expect_fault(&bad, 0x1000, false, FSC_TRANSLATION(0));
		bad = s2;
		bad.rtt_num_start = 0;
		expect_fault(&bad, 0x1000, false, FSC_TRANSLATION(0));
		expect_fault(NULL, 0x1000, true, FSC_TRANSLATION(0));
	}
}

static void test_access_flag_and_permission(void **state)
{
	expect_fault(&s2, 0x5000, false, FSC_ACCESS_FLAG(3));
	expect_fault(&s2, 0x5000, true, FSC_ACCESS_FLAG(3));
	expect_fault(&s2, 0x400000, false, FSC_ACCESS_FLAG(2));
	/* Read needs S2AP[0] (bit 6), write needs S2AP[1] (bit 7). */
	expect_fault(&s2, 0x2000, true, FSC_PERMISSION(3));
	expect_fault(&s2, 0x3000, false, FSC_PERMISSION(3));
	expect_fault(&s2, 0x4000, false, FSC_PERMISSION(3));
	expect_fault(&s2, 0x4000, true, FSC_PERMISSION(3));
	wr(rtt_l2, 5, BLOCK(PLAT_DRAM_BASE + 0xA00000, S2TT_S2AP_RO));
	expect_ok(&s2, 0xA00000, false, PLAT_DRAM_BASE + 0xA00000, PAS_REALM);
	expect_fault(&s2, 0xA00000, true, FSC_PERMISSION(2));
	wr(rtt_l1, 1, BLOCK(PLAT_DRAM_BASE, S2TT_S2AP_WO));
	expect_fault(&s2, 0x40000000, false, FSC_PERMISSION(1));
	/* Access flag before permission. */
	wr(rtt_l3, 4, PAGE(page_none, S2TT_S2AP_NONE) & ~S2TT_AF);
	expect_fault(&s2, 0x4000, true, FSC_ACCESS_FLAG(3));
}

static void test_start_level_0(void **state)
{
	struct plat_s2_config c0 = s2;
	uint64_t l0 = table_granule();

	c0.rtt_base = l0;
	c0.rtt_level_start = 0;
	c0.ipa_bits = 48;
	wr(l0, 0, TABLE(rtt_l1));
	expect_ok(&c0, 0x1000, false, page_rw, PAS_REALM);
	expect_ok(&c0, 0x40000010, false, PLAT_DRAM_BASE + 0x10, PAS_REALM);
	expect_fault(&c0, 1ULL << 39, false, FSC_TRANSLATION(0));
	expect_fault(&c0, 1ULL << 48, false, FSC_TRANSLATION(0));
	/* No blocks at level 0. */
	wr(l0, 1, BLOCK(0, S2TT_S2AP_RW));
	expect_fault(&c0, (1ULL << 39) + 0x1000, false, FSC_TRANSLATION(0));
}

static void test_concatenated_roots(void **state)
{
	/* Start level 2 with two concatenated tables: a 31-bit IPA space. */
	struct plat_s2_config c2 = s2;
	uint64_t roots = tp_alloc_granules(2);

	assert_int_equal(plat_zero(PAS_REALM, roots, 2 * GRANULE_SIZE, NULL), 0);
	c2.rtt_base = roots;
	c2.rtt_level_start = 2;
	c2.rtt_num_start = 2;
	c2.ipa_bits = 31;
	wr(roots, 0, TABLE(rtt_l3));
	wr(roots, 511, BLOCK(PLAT_DRAM_BASE + 0x600000, S2TT_S2AP_RW));
	wr(roots, 512, BLOCK(PLAT_DRAM_BASE + 0x400000, S2TT_S2AP_RW)); /* 2nd granule */
	wr(roots, 1023, BLOCK(PLAT_DRAM_BASE + 0x200000, S2TT_S2AP_RO));
	expect_ok(&c2, 0x1004, false, page_rw + 4, PAS_REALM);
	expect_ok(&c2, 0x3FE00000 + 0x10, false, PLAT_DRAM_BASE + 0x600010, PAS_REALM);
	expect_ok(&c2, 0x40000000 + 0x1234, true, PLAT_DRAM_BASE + 0x401234, PAS_REALM);
	expect_ok(&c2, 0x7FE00000 + 0x8, false, PLAT_DRAM_BASE + 0x200008, PAS_REALM);
	expect_fault(&c2, 0x7FE00000, true, FSC_PERMISSION(2));
	expect_fault(&c2, 0x80000000, false, FSC_TRANSLATION(0));
	expect_fault(&c2, 0x40200000, false, FSC_TRANSLATION(2));
	/* With one root table the second granule is not part of the table. */
	c2.rtt_num_start = 1;
	expect_fault(&c2, 0x40000000, false, FSC_TRANSLATION(2));
	expect_ok(&c2, 0x3FE00000, false, PLAT_DRAM_BASE + 0x600000, PAS_REALM);
}

static void test_gpc_on_walk_and_output(void **state)
{
	/* Everything Realm except the GPT (Root) and the NS page. */
	tp_gpt_build(GPI_REALM, GPI_NO_ACCESS);
	tp_set_gpi(page_ns, GPI_NS);
	expect_ok(&s2, 0x1000, true, page_rw, PAS_REALM);
	expect_ok(&s2, 0x8000, true, page_ns, PAS_NS);

	/* The output granule's PAS must match the descriptor's NS bit. */
	tp_set_gpi(page_rw, GPI_NS);
	expect_fault(&s2, 0x1000, false, FSC_GPF);
	tp_set_gpi(page_rw, GPI_NO_ACCESS);
	expect_fault(&s2, 0x1000, true, FSC_GPF);
	tp_set_gpi(page_rw, GPI_REALM);
	tp_set_gpi(page_ns, GPI_REALM);
	expect_fault(&s2, 0x8000, false, FSC_GPF);
	tp_set_gpi(page_ns, GPI_ANY);
	expect_ok(&s2, 0x8000, false, page_ns, PAS_NS);

	/* Table reads are Realm accesses: a GPF there is a GPF on the walk. */
	tp_set_gpi(rtt_l3, GPI_NS);
	expect_fault(&s2, 0x1000, false, FSC_GPF_PTW(3));
	expect_ok(&s2, 0x200000, false, PLAT_DRAM_BASE + 0x200000, PAS_REALM);
	tp_set_gpi(rtt_l3, GPI_REALM);
	tp_set_gpi(rtt_l1, GPI_ROOT);
	expect_fault(&s2, 0x1000, true, FSC_GPF_PTW(1));
	tp_set_gpi(rtt_l1, GPI_REALM);
	tp_set_gpi(rtt_l2, GPI_SECURE);
	expect_fault(&s2, 0x200000, false, FSC_GPF_PTW(2));
	tp_set_gpi(rtt_l2, GPI_REALM);
	expect_ok(&s2, 0x1000, false, page_rw, PAS_REALM);

	/* The walker obeys the GPC TLB: no TLBI, no change. */
	tp_set_gpi_mem(page_rw, GPI_NS);
	expect_ok(&s2, 0x1000, false, page_rw, PAS_REALM);
	plat_tlbi_rpalos(page_rw, GRANULE_SIZE);
	expect_fault(&s2, 0x1000, false, FSC_GPF);
}

static void test_external_aborts(void **state)
{
	/* A table outside DRAM: synchronous external abort on the walk (level 2). */
	expect_fault(&s2, 0xC0000000, false, 0x14 + 2);
	/* An output PA outside DRAM: synchronous external abort. */
	wr(rtt_l3, 9, PAGE(0x10000000, S2TT_S2AP_RW));
	expect_fault(&s2, 0x9000, true, FSC_SYNC_EXTERNAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_translate_pages_and_blocks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ns_output, setup, teardown),
		cmocka_unit_test_setup_teardown(test_translation_faults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_access_flag_and_permission, setup, teardown),
		cmocka_unit_test_setup_teardown(test_start_level_0, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concatenated_roots, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gpc_on_walk_and_output, setup, teardown),
		cmocka_unit_test_setup_teardown(test_external_aborts, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
