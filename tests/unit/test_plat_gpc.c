/*
 * Tests of the emulated platform's memory, Granule Protection Check, GPC TLB,
 * counters and SMC: a GPT built by hand in DRAM, then accesses in every PAS
 * and every fault the spec (cca-spec §7) lists.
 */
#include "test_plat_util.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "arch/esr.h"

#define PA_A (PLAT_DRAM_BASE + 0x800000) /* a test granule */
#define PA_B (PA_A + GRANULE_SIZE)

static const enum pas all_pas[] = {PAS_SECURE, PAS_NS, PAS_ROOT, PAS_REALM};

static int setup(void **state)
{
	(void)state;
	return tp_boot(0);
}

static int teardown(void **state)
{
	(void)state;
	plat_fini();
	return 0;
}

/* ---- Memory and the disabled GPC ---------------------------------------- */

static void test_init_sizes(void **state)
{
	struct plat_config bad = {.dram_size = (2ULL << 20) + 4096};

	assert_int_equal(plat_dram_base(), PLAT_DRAM_BASE);
	assert_int_equal(plat_dram_size(), TP_DRAM_SIZE);
	assert_int_equal(plat_init(&bad), -EINVAL);
	/* A failed init leaves the running machine alone. */
	assert_int_equal(plat_dram_size(), TP_DRAM_SIZE);
	assert_true(plat_pa_in_dram(PLAT_DRAM_BASE, TP_DRAM_SIZE));
	assert_false(plat_pa_in_dram(PLAT_DRAM_BASE, TP_DRAM_SIZE + 1));
	assert_false(plat_pa_in_dram(PLAT_DRAM_BASE - 1, 1));
	assert_false(plat_pa_in_dram(PLAT_DRAM_BASE + TP_DRAM_SIZE, 1));
	assert_false(plat_pa_in_dram(PLAT_DRAM_BASE + 8, UINT64_MAX));
	/* Default size, and memory comes up zeroed. */
	assert_int_equal(plat_init(NULL), 0);
	assert_int_equal(plat_dram_size(), PLAT_DEFAULT_DRAM_SIZE);
	{
		uint64_t v = 1;
		assert_int_equal(plat_read_u64(PAS_NS, PLAT_DRAM_BASE + (1ULL << 29), &v, NULL), 0);
		assert_int_equal(v, 0);
	}
	assert_int_equal(tp_boot(0), 0);
}

static void test_gpc_disabled_allows_dram(void **state)
{
	struct plat_fault f;
	uint64_t v;

	assert_int_equal(plat_read_gpccr() & GPCCR_GPC, 0);
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(plat_write_u64(all_pas[i], PA_A + 8 * i, 0x1000 + i, NULL), 0);
		assert_int_equal(plat_read_u64(all_pas[(i + 1) % 4], PA_A + 8 * i, &v, NULL), 0);
		assert_int_equal(v, 0x1000 + i);
		assert_int_equal(plat_gpc_check(all_pas[i], PLAT_DRAM_BASE + TP_DRAM_SIZE - 1, &f),
				 0);
	}
	/* No memory there: external abort, not a GPC fault. */
	memset(&f, 0, sizeof(f));
	assert_int_equal(plat_read_u64(PAS_NS, PLAT_DRAM_BASE + TP_DRAM_SIZE, &v, &f), -EFAULT);
	assert_int_equal(f.kind, PLAT_FAULT_EXTERNAL);
	assert_int_equal(f.pa, PLAT_DRAM_BASE + TP_DRAM_SIZE);
	assert_int_equal(f.pas, PAS_NS);
	assert_int_equal(f.fsc, FSC_SYNC_EXTERNAL);
	assert_int_equal(plat_gpc_check(PAS_REALM, 0x1000, &f), -EFAULT);
	assert_int_equal(f.kind, PLAT_FAULT_EXTERNAL);
	assert_null(plat_map(PAS_ROOT, PLAT_DRAM_BASE - GRANULE_SIZE, 16, NULL));
}

static void test_accessors_check_every_granule(void **state)
{
	uint8_t buf[2 * GRANULE_SIZE], zero[GRANULE_SIZE] = {0};
	struct plat_fault f;
	uint8_t *p;

	tp_gpt_build(GPI_NS, GPI_NO_ACCESS);
	memset(buf, 0xAB, sizeof(buf));
	assert_int_equal(plat_write(PAS_NS, PA_A, buf, sizeof(buf), NULL), 0);
	tp_set_gpi(PA_B, GPI_REALM);

	/* The second granule is refused: nothing at all is transferred. */
	memset(buf, 0x5A, sizeof(buf));
	memset(&f, 0, sizeof(f));
	assert_int_equal(plat_write(PAS_NS, PA_A + 100, buf, GRANULE_SIZE, &f), -EFAULT);
	assert_int_equal(f.kind, PLAT_FAULT_GPF);
	assert_int_equal(f.pa, PA_B);
	assert_int_equal(f.pas, PAS_NS);
	assert_int_equal(plat_read(PAS_NS, PA_A, buf, GRANULE_SIZE, NULL), 0);
	for (unsigned i = 0; i < GRANULE_SIZE; i++)
		assert_int_equal(buf[i], 0xAB);
	assert_int_equal(plat_zero(PAS_NS, PA_A, 2 * GRANULE_SIZE, &f), -EFAULT);
	assert_int_equal(plat_read(PAS_NS, PA_A, buf, GRANULE_SIZE, NULL), 0);
	assert_int_equal(buf[0], 0xAB);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(plat_read(PAS_NS, PA_A + GRANULE_SIZE - 1, buf, 2, &f), -EFAULT);
	assert_int_equal(buf[0], 0);
	assert_null(plat_map(PAS_NS, PA_A, GRANULE_SIZE + 1, &f));
	assert_int_equal(f.pa, PA_B);
	assert_int_equal(plat_read_u64(PAS_NS, PA_B - 4, (uint64_t *)buf, &f), -EFAULT);
	assert_int_equal(plat_write_u64(PAS_NS, PA_B - 4, 0, &f), -EFAULT);
	assert_int_equal(f.pa, PA_B);

	/* The granule the check allows is mapped and usable directly. */
	p = plat_map(PAS_NS, PA_A, GRANULE_SIZE, &f);
	assert_non_null(p);
	assert_int_equal(p[7], 0xAB);
	p[7] = 0x11;
	assert_int_equal(plat_zero(PAS_NS, PA_A, GRANULE_SIZE, NULL), 0);
	assert_int_equal(plat_read(PAS_NS, PA_A, buf, GRANULE_SIZE, NULL), 0);
	assert_memory_equal(buf, zero, GRANULE_SIZE);
	assert_non_null(plat_map(PAS_REALM, PA_B, GRANULE_SIZE, NULL));
	assert_null(plat_map(PAS_REALM, PA_B, GRANULE_SIZE + 1, NULL));
}

/*
 * A scrub leaves no zeros resident: the emulated DRAM is host memory that
 * every container's machine holds (issue 9), and a granule scrubbed on
 * release used to stay resident, full of zeros. plat_zero gives whole host
 * pages back (they read as zero) and writes only partial ones; the bytes
 * around the range keep their content. Measured as this process's resident
 * set (a page that reads as zero without being written is not counted).
 */
static long resident_kib(void)
{
	long size = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	assert_non_null(f);
	assert_int_equal(fscanf(f, "%ld %ld", &size, &res), 2);
	fclose(f);
	return res * (sysconf(_SC_PAGESIZE) / 1024);
}

static void test_zero_gives_pages_back(void **state)
{
	enum { N = 128 }; /* granules: 512 KiB */
	static uint8_t buf[N * GRANULE_SIZE];
	long r0, r1, r2, r3;
	unsigned i;

	tp_gpt_build(GPI_NS, GPI_NS);
	memset(buf, 0xC3, sizeof(buf));
	r0 = resident_kib();
	assert_int_equal(plat_write(PAS_NS, PA_A, buf, sizeof(buf), NULL), 0);
	r1 = resident_kib();
	assert_true(r1 - r0 >= N * 4 - 64);
	/* all but the first granule and 100 bytes of the last */
	assert_int_equal(plat_zero(PAS_NS, PA_A + GRANULE_SIZE, (N - 2) * GRANULE_SIZE + 100, NULL), 0);
	r2 = resident_kib();
	print_message("[ mem  ] %u granules written: +%ld KiB resident; %u scrubbed: %ld KiB given back\n",
		      N, r1 - r0, N - 2, r1 - r2);
	assert_true(r1 - r2 >= (N - 2) * 4 - 64);
	assert_int_equal(plat_read(PAS_NS, PA_A, buf, sizeof(buf), NULL), 0);
	for (i = 0; i < GRANULE_SIZE; i++)
		assert_int_equal(buf[i], 0xC3);
	for (; i < (N - 1) * GRANULE_SIZE + 100; i++)
		assert_int_equal(buf[i], 0);
	for (; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0xC3);
	/* reading them and zeroing them again makes nothing resident */
	assert_int_equal(plat_zero(PAS_NS, PA_A + GRANULE_SIZE, (N - 2) * GRANULE_SIZE, NULL), 0);
	r3 = resident_kib();
	assert_true(r3 - r2 < 64);
	/* and they are ordinary memory again */
	assert_int_equal(plat_write(PAS_NS, PA_A + GRANULE_SIZE + 8, "x", 1, NULL), 0);
	assert_int_equal(plat_read(PAS_NS, PA_A + GRANULE_SIZE + 7, buf, 3, NULL), 0);
	assert_int_equal(buf[0], 0);
	assert_int_equal(buf[1], 'x');
	assert_int_equal(buf[2], 0);
}

/* ---- The access rule per GPI --------------------------------------------- */

static void test_gpi_access_rule(void **state)
{
	/* expected[gpi row][pas]: Secure, NS, Root, Realm */
	static const struct {
		unsigned gpi;
		bool allow[4];
	} rows[] = {
		{GPI_NO_ACCESS, {false, false, false, false}},
		{GPI_SECURE, {true, false, false, false}},
		{GPI_NS, {false, true, false, false}},
		{GPI_ROOT, {false, false, true, false}},
		{GPI_REALM, {false, false, false, true}},
		{GPI_ANY, {true, true, true, true}},
	};
	struct plat_fault f;

	tp_gpt_build(GPI_NS, GPI_NO_ACCESS);
	for (unsigned r = 0; r < ARRAY_SIZE(rows); r++) {
		tp_set_gpi(PA_A, rows[r].gpi);
		for (unsigned p = 0; p < 4; p++) {
			uint64_t v;
			int ret = plat_read_u64(all_pas[p], PA_A + 0x10, &v, &f);

			assert_int_equal(ret, rows[r].allow[p] ? 0 : -EFAULT);
			assert_int_equal(plat_gpc_check(all_pas[p], PA_A, NULL), ret);
			if (ret != 0) {
				assert_int_equal(f.kind, PLAT_FAULT_GPF);
				assert_int_equal(f.pa, PA_A + 0x10);
				assert_int_equal(f.pas, all_pas[p]);
			}
		}
		/* Neighbours are untouched. */
		assert_int_equal(plat_gpc_check(PAS_NS, PA_B, NULL), 0);
		assert_int_equal(plat_gpc_check(PAS_NS, PA_A - GRANULE_SIZE, NULL), 0);
	}
}

static void test_gpf_report_and_to_el3(void **state)
{
	struct plat_fault f;
	uint64_t before;

	tp_gpt_build(GPI_NS, GPI_NO_ACCESS);
	tp_set_gpi(PA_A, GPI_REALM);
	before = plat_counter_read(PLAT_CNT_GPF);

	memset(&f, 0xFF, sizeof(f));
	assert_int_equal(plat_gpc_check(PAS_NS, PA_A + 0x123, &f), -EFAULT);
	assert_int_equal(f.kind, PLAT_FAULT_GPF);
	assert_int_equal(f.fsc, 0x28);
	assert_int_equal(f.pa, PA_A + 0x123);
	assert_int_equal(f.pas, PAS_NS);
	assert_int_equal(f.level, 0);
	assert_false(f.to_el3);
	assert_int_equal(plat_counter_read(PLAT_CNT_GPF), before + 1);

	plat_write_scr_el3(plat_read_scr_el3() | SCR_EL3_GPF);
	assert_int_equal(plat_gpc_check(PAS_SECURE, PA_A, &f), -EFAULT);
	assert_int_equal(f.fsc, FSC_GPF);
	assert_true(f.to_el3);
	plat_write_scr_el3(plat_read_scr_el3() & ~SCR_EL3_GPF);
	assert_int_equal(plat_gpc_check(PAS_SECURE, PA_A, &f), -EFAULT);
	assert_false(f.to_el3);
	/* A refused EL3 (Root) access can only be taken at EL3. */
	assert_int_equal(plat_gpc_check(PAS_ROOT, PA_A, &f), -EFAULT);
	assert_true(f.to_el3);
	assert_int_equal(plat_counter_read(PLAT_CNT_GPF), before + 4);
	/* Allowed accesses and other faults do not count as GPFs. */
	assert_int_equal(plat_gpc_check(PAS_REALM, PA_A, &f), 0);
	assert_int_equal(plat_counter_read(PLAT_CNT_GPF), before + 4);
}

/* ---- L0 descriptors -------------------------------------------------------- */

static void test_l0_block(void **state)
{
	struct plat_fault f;

	tp_gpt_build(GPI_NS, GPI_NO_ACCESS);
	/* The whole DRAM GiB as one Realm block. */
	tp_write_l0(TP_L0_DRAM_INDEX, GPT_L0_BLOCK_DESC(GPI_REALM));
	plat_tlbi_paallos();
	assert_int_equal(plat_gpc_check(PAS_REALM, PA_A, &f), 0);
	assert_int_equal(plat_gpc_check(PAS_REALM, PLAT_DRAM_BASE + TP_DRAM_SIZE - 1, &f), 0);
	assert_int_equal(plat_gpc_check(PAS_NS, PA_B, &f), -EFAULT);
	assert_int_equal(f.kind, PLAT_FAULT_GPF);
	/* ...but the GPT is then Realm too: the monitor cannot reach it as Root. */
	assert_int_equal(plat_gpc_check(PAS_ROOT, TP_GPT_L0, &f), -EFAULT);

	/* Block of another L0 entry: NS allowed by the GPC, no memory there. */
	tp_gpc_disable();
	tp_write_l0(1, GPT_L0_BLOCK_DESC(GPI_NS));
	tp_write_l0(TP_L0_DRAM_INDEX, GPT_L0_TABLE_DESC(TP_GPT_L1));
	tp_gpc_enable(TP_GPCCR_BASE, TP_GPT_L0);
	assert_int_equal(plat_gpc_check(PAS_NS, 0x40000000, &f), -EFAULT);
	assert_int_equal(f.kind, PLAT_FAULT_EXTERNAL);
	assert_int_equal(plat_gpc_check(PAS_REALM, 0x40000000, &f), -EFAULT);
	assert_int_equal(f.kind, PLAT_FAULT_GPF);
	/* Back to the table: per-granule GPIs again. */
	assert_int_equal(plat_gpc_check(PAS_NS, PA_A, &f), 0);
	assert_int_equal(plat_gpc_check(PAS_REALM, PA_A, &f), -EFAULT);

	/* A block with a reserved GPI is a walk fault at level 0. */
	tp_gpc_disable();
	tp_write_l0(TP_L0_DRAM_INDEX, GPT_L0_BLOCK_DESC(0x3));
	tp_gpc_enable(TP_GPCCR_BASE, TP_GPT_L0);
	assert_int_equal(plat_gpc_check(PAS_NS, PA_A, &f), -EFAULT);
	assert_int_equal(f.kind, PLAT_FAULT_WALK);
	assert_int_equal(f.level, 0);
}

static void expect_walk_fault(enum pas pas, uint64_t pa, int level)
{
	struct plat_fault f;

	memset(&f, 0xFF, sizeof(f));
	assert_int_equal(plat_gpc_check(pas, pa, &f), -EFAULT);
	assert_int_equal(f.kind, PLAT_FAULT_WALK);
	assert_int_equal(f.level, level);
	assert_int_equal(f.pa, pa);
	assert_int_equal(f.pas, pas);
	assert_int_equal(f.fsc, 0x04 + level); /* GPCSC: GPT walk fault at level */
	assert_true(f.to_el3);
}

static void test_invalid_l0_descriptor(void **state)
{
	static const uint64_t bad[] = {0x0, 0x5, 0x2, 0x7, 0xF, 0x10};

	tp_gpt_build(GPI_NS, GPI_NO_ACCESS);
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		tp_gpc_disable();
		tp_write_l0(TP_L0_DRAM_INDEX, bad[i] | ((uint64_t)TP_GPT_L1 & GENMASK(51, 12)));
		tp_gpc_enable(TP_GPCCR_BASE, TP_GPT_L0);
		for (unsigned p = 0; p < 4; p++)
			expect_walk_fault(all_pas[p], PA_A, 0);
	}
	/* L0 entry 3 (0xC0000000..) invalid: walk fault although no memory there. */
	tp_gpc_disable();
	tp_write_l0(TP_L0_DRAM_INDEX, GPT_L0_TABLE_DESC(TP_GPT_L1));
	tp_write_l0(3, 0);
	tp_gpc_enable(TP_GPCCR_BASE, TP_GPT_L0);
	expect_walk_fault(PAS_NS, 0xC0001000, 0);
	assert_int_equal(plat_gpc_check(PAS_NS, PA_A, NULL), 0);

	/* GPT memory outside DRAM: L1 -> walk fault level 1; L0 -> level 0. */
	tp_gpc_disable();
	tp_write_l0(TP_L0_DRAM_INDEX, GPT_L0_TABLE_DESC(0x10000000));
	tp_gpc_enable(TP_GPCCR_BASE, TP_GPT_L0);
	expect_walk_fault(PAS_NS, PA_A, 1);
	tp_gpc_enable(TP_GPCCR_BASE, 0x10000000);
	expect_walk_fault(PAS_ROOT, PA_A, 0);
}

static void test_reserved_gpi_in_l1(void **state)
{
	static const unsigned reserved[] = {0x1, 0x2, 0x3, 0x4, 0x5, 0x6, 0x7, 0xC, 0xD, 0xE};

	tp_gpt_build(GPI_NS, GPI_NO_ACCESS);
	for (unsigned i = 0; i < ARRAY_SIZE(reserved); i++) {
		tp_set_gpi(PA_A, reserved[i]);
		for (unsigned p = 0; p < 4; p++)
			expect_walk_fault(all_pas[p], PA_A + 8, 1);
		/* The other 15 granules of the same descriptor are fine. */
		assert_int_equal(plat_gpc_check(PAS_NS, PA_B, NULL), 0);
	}
	/* A walk fault is not cached: fixing the GPI needs no TLBI. */
	tp_set_gpi_mem(PA_A, GPI_NS);
	assert_int_equal(plat_gpc_check(PAS_NS, PA_A, NULL), 0);
}

/* ---- GPCCR ----------------------------------------------------------------- */

static void test_bad_gpccr(void **state)
{
	struct {
		uint64_t pps, pgs, l0gptsz;
	} bad[] = {
		{7, 0, 0},	       /* PPS reserved */
		{0, 1, 0},	       /* 64K granules */
		{0, 2, 0},	       /* 16K granules */
		{0, 3, 0},	       /* PGS reserved */
		{0, 0, 1},	       /* L0GPTSZ reserved */
		{0, 0, 15}, {0, 0, 4}, /* 34 bits > PPS 32 bits */
		{1, 0, 9},	       /* 39 bits > PPS 36 bits */
	};

	tp_gpt_build(GPI_NS, GPI_NO_ACCESS);
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		uint64_t gpccr = (bad[i].pps << GPCCR_PPS_SHIFT) | (bad[i].pgs << GPCCR_PGS_SHIFT) |
				 (bad[i].l0gptsz << GPCCR_L0GPTSZ_SHIFT);

		tp_gpc_enable(gpccr, TP_GPT_L0);
		for (unsigned p = 0; p < 4; p++)
			expect_walk_fault(all_pas[p], PA_A, 0);
		/* Even a PA beyond any PPS: bad GPCCR has the highest priority. */
		expect_walk_fault(PAS_REALM, 1ULL << 60, 0);
	}
	/* The same tables with a good GPCCR work again (no stale state). */
	tp_gpc_enable(TP_GPCCR_BASE, TP_GPT_L0);
	assert_int_equal(plat_gpc_check(PAS_NS, PA_A, NULL), 0);
}

static void test_other_geometries(void **state)
{
	uint64_t l0 = tp_alloc_granules(1);
	struct plat_fault f;

	tp_gpt_build(GPI_NS, GPI_NO_ACCESS);
	/* PPS 36 bits, L0GPTSZ 34 bits: L0 index PA[35:34]; entry 0 a block. */
	assert_int_equal(plat_zero(PAS_NS, l0, GRANULE_SIZE, NULL), 0);
	assert_int_equal(plat_write_u64(PAS_NS, l0, GPT_L0_BLOCK_DESC(GPI_NS), NULL), 0);
	tp_gpc_enable((1ULL << GPCCR_PPS_SHIFT) | (4ULL << GPCCR_L0GPTSZ_SHIFT), l0);
	assert_int_equal(plat_gpc_check(PAS_NS, PA_A, NULL), 0);
	assert_int_equal(plat_gpc_check(PAS_REALM, PA_A, &f), -EFAULT);
	assert_int_equal(f.kind, PLAT_FAULT_GPF);
	expect_walk_fault(PAS_NS, 1ULL << 34, 0); /* L0 entry 1 is zero */

	/* PPS 40 bits, L0GPTSZ 39 bits: two L0 entries; entry 0 a block ANY. */
	tp_gpc_disable();
	assert_int_equal(plat_write_u64(PAS_NS, l0, GPT_L0_BLOCK_DESC(GPI_ANY), NULL), 0);
	tp_gpc_enable((2ULL << GPCCR_PPS_SHIFT) | (9ULL << GPCCR_L0GPTSZ_SHIFT), l0);
	for (unsigned p = 0; p < 4; p++)
		assert_int_equal(plat_gpc_check(all_pas[p], PA_A, NULL), 0);
	expect_walk_fault(PAS_REALM, 1ULL << 39, 0);
	/* PPS 36 bits and L0GPTSZ 36 bits: a one-entry L0 table. */
	tp_gpc_enable((1ULL << GPCCR_PPS_SHIFT) | (6ULL << GPCCR_L0GPTSZ_SHIFT), l0);
	assert_int_equal(plat_gpc_check(PAS_SECURE, PA_A, NULL), 0);
	tp_gpc_disable();
}

static void test_pa_beyond_pps(void **state)
{
	/* DRAM reaching past 4 GiB (sparse mapping): 0x80000000..0x120000000. */
	const uint64_t above = 0x100000000ULL;
	struct plat_fault f;
	uint64_t v = 0;

	plat_fini();
	assert_int_equal(tp_boot(0xA0000000ULL), 0);
	tp_gpt_build(GPI_NO_ACCESS, GPI_NO_ACCESS);
	assert_true(plat_pa_in_dram(above, GRANULE_SIZE));

	/* Secure/Realm/Root PA at or beyond 2^32: address size fault. */
	for (unsigned p = 0; p < 4; p++) {
		if (all_pas[p] == PAS_NS)
			continue;
		memset(&f, 0xFF, sizeof(f));
		assert_int_equal(plat_read_u64(all_pas[p], above, &v, &f), -EFAULT);
		assert_int_equal(f.kind, PLAT_FAULT_ADDR_SIZE);
		assert_int_equal(f.fsc, FSC_ADDR_SIZE(0));
		assert_int_equal(f.level, 0);
		assert_int_equal(f.pa, above);
		assert_true(f.to_el3);
	}
	/* NS beyond PPS is not checked (the GPT says NO_ACCESS everywhere). */
	assert_int_equal(plat_write_u64(PAS_NS, above + 8, 77, NULL), 0);
	assert_int_equal(plat_read_u64(PAS_NS, above + 8, &v, NULL), 0);
	assert_int_equal(v, 77);
	assert_int_equal(plat_gpc_check(PAS_NS, above - GRANULE_SIZE, &f), -EFAULT);
	assert_int_equal(f.kind, PLAT_FAULT_GPF);
	/* A range that crosses 2^32 is refused at the first granule beyond. */
	assert_int_equal(plat_zero(PAS_REALM, above - GRANULE_SIZE, 2 * GRANULE_SIZE, &f), -EFAULT);
	assert_int_equal(f.kind, PLAT_FAULT_GPF);
	/* 0xC0000000..2^32 is L0 entry 3: make it a Realm block. */
	tp_gpc_disable();
	tp_write_l0(3, GPT_L0_BLOCK_DESC(GPI_REALM));
	tp_gpc_enable(TP_GPCCR_BASE, TP_GPT_L0);
	assert_int_equal(plat_zero(PAS_REALM, above - GRANULE_SIZE, 2 * GRANULE_SIZE, &f), -EFAULT);
	assert_int_equal(f.kind, PLAT_FAULT_ADDR_SIZE);
	assert_int_equal(f.pa, above);
	/* NS beyond PPS and outside DRAM: the external abort. */
	assert_int_equal(plat_gpc_check(PAS_NS, 0x200000000ULL, &f), -EFAULT);
	assert_int_equal(f.kind, PLAT_FAULT_EXTERNAL);
}

/* ---- GPC TLB ----------------------------------------------------------------- */

static void test_tlb_stale_until_rpalos(void **state)
{
	uint64_t walks, tlbis;

	tp_gpt_build(GPI_NS, GPI_NO_ACCESS);
	assert_int_equal(plat_gpc_check(PAS_NS, PA_A, NULL), 0); /* now cached */
	assert_int_equal(plat_gpc_check(PAS_NS, PA_B, NULL), 0);

	/* GPI -> REALM in memory, no TLBI: the old GPI still decides. */
	tp_set_gpi_mem(PA_A, GPI_REALM);
	tp_set_gpi_mem(PA_B, GPI_REALM);
	plat_dsb();
	assert_int_equal(plat_gpc_check(PAS_NS, PA_A, NULL), 0);
	assert_int_equal(plat_gpc_check(PAS_REALM, PA_A, NULL), -EFAULT);
	/* A TLBI of another granule or a register write changes nothing. */
	plat_tlbi_rpalos(PA_A + 2 * GRANULE_SIZE, GRANULE_SIZE);
	plat_write_gptbr(plat_read_gptbr());
	plat_write_gpccr(plat_read_gpccr());
	assert_int_equal(plat_gpc_check(PAS_NS, PA_A, NULL), 0);

	tlbis = plat_counter_read(PLAT_CNT_TLBI);
	plat_tlbi_rpalos(PA_A, GRANULE_SIZE);
	assert_int_equal(plat_counter_read(PLAT_CNT_TLBI), tlbis + 1);
	walks = plat_counter_read(PLAT_CNT_GPT_WALK);
	assert_int_equal(plat_gpc_check(PAS_NS, PA_A, NULL), -EFAULT);
	assert_int_equal(plat_gpc_check(PAS_REALM, PA_A, NULL), 0);
	assert_int_equal(plat_counter_read(PLAT_CNT_GPT_WALK), walks + 1); /* one miss */
	/* PA_B was not in the range: still stale. */
	assert_int_equal(plat_gpc_check(PAS_NS, PA_B, NULL), 0);
	assert_int_equal(plat_counter_read(PLAT_CNT_GPT_WALK), walks + 1);

	/* PAALLOS drops everything. */
	plat_tlbi_paallos();
	assert_int_equal(plat_counter_read(PLAT_CNT_TLBI), tlbis + 2);
	assert_int_equal(plat_gpc_check(PAS_NS, PA_B, NULL), -EFAULT);
	assert_int_equal(plat_gpc_check(PAS_REALM, PA_B, NULL), 0);
}

static void test_tlb_range_and_gptbr_switch(void **state)
{
	const uint64_t far = PLAT_DRAM_BASE + TP_DRAM_SIZE - GRANULE_SIZE;
	uint64_t l0b = tp_alloc_granules(1);

	tp_gpt_build(GPI_NS, GPI_NO_ACCESS);
	assert_int_equal(plat_gpc_check(PAS_NS, PA_A, NULL), 0);
	assert_int_equal(plat_gpc_check(PAS_NS, far, NULL), 0);
	tp_set_gpi_mem(PA_A, GPI_SECURE);
	tp_set_gpi_mem(far, GPI_SECURE);
	/* A range larger than the TLB: both ends are invalidated. */
	plat_tlbi_rpalos(PLAT_DRAM_BASE, TP_DRAM_SIZE);
	assert_int_equal(plat_gpc_check(PAS_SECURE, PA_A, NULL), 0);
	assert_int_equal(plat_gpc_check(PAS_SECURE, far, NULL), 0);
	/* A range ending exactly before the granule leaves it alone. */
	tp_set_gpi_mem(PA_A, GPI_NS);
	plat_tlbi_rpalos(PA_A - 4 * GRANULE_SIZE, 4 * GRANULE_SIZE);
	assert_int_equal(plat_gpc_check(PAS_SECURE, PA_A, NULL), 0);
	plat_tlbi_rpalos(PA_A + GRANULE_SIZE - 1, 1);
	assert_int_equal(plat_gpc_check(PAS_NS, PA_A, NULL), 0);

	/* A second GPT (all Realm via an L0 block): GPTBR switch needs a TLBI. */
	assert_int_equal(plat_zero(PAS_ROOT, l0b, GRANULE_SIZE, NULL), -EFAULT); /* NS granule */
	tp_set_gpi(l0b, GPI_ROOT);
	assert_int_equal(plat_zero(PAS_ROOT, l0b, GRANULE_SIZE, NULL), 0);
	assert_int_equal(plat_write_u64(PAS_ROOT, l0b + TP_L0_DRAM_INDEX * 8,
					GPT_L0_BLOCK_DESC(GPI_REALM), NULL),
			 0);
	plat_write_gptbr(GPTBR_FROM_PA(l0b));
	assert_int_equal(plat_read_gptbr(), GPTBR_FROM_PA(l0b));
	assert_int_equal(plat_gpc_check(PAS_NS, PA_A, NULL), 0); /* stale */
	plat_tlbi_paallos();
	assert_int_equal(plat_gpc_check(PAS_NS, PA_A, NULL), -EFAULT);
	assert_int_equal(plat_gpc_check(PAS_REALM, PA_A, NULL), 0);
	plat_write_gptbr(GPTBR_FROM_PA(TP_GPT_L0));
	plat_tlbi_paallos();
	assert_int_equal(plat_gpc_check(PAS_NS, PA_A, NULL), 0);
}

/*
 * PAALLOS starts a new TLB generation rather than clearing every slot: an
 * entry of any older generation misses, also across the generation
 * counter's wrap (2^19 full invalidations, where the slots are cleared), and
 * a hit costs no walk.
 */
static void test_tlb_generations_and_wrap(void **state)
{
	uint64_t walks;

	tp_gpt_build(GPI_NS, GPI_NO_ACCESS);
	assert_int_equal(plat_gpc_check(PAS_NS, PA_A, NULL), 0);
	walks = plat_counter_read(PLAT_CNT_GPT_WALK);
	assert_int_equal(plat_gpc_check(PAS_NS, PA_A, NULL), 0); /* a hit */
	assert_int_equal(plat_counter_read(PLAT_CNT_GPT_WALK), walks);
	for (unsigned round = 0; round < 3; round++) {
		/* fill PA_A, change it in memory, then as many PAALLOS as reach a wrap */
		tp_set_gpi_mem(PA_A, GPI_NS);
		plat_tlbi_paallos();
		assert_int_equal(plat_gpc_check(PAS_NS, PA_A, NULL), 0);
		tp_set_gpi_mem(PA_A, GPI_REALM);
		for (unsigned i = 0; i < (round == 1 ? (1U << 19) : 1U); i++)
			plat_tlbi_paallos();
		assert_int_equal(plat_gpc_check(PAS_NS, PA_A, NULL), -EFAULT);
		assert_int_equal(plat_gpc_check(PAS_REALM, PA_A, NULL), 0);
	}
	/* every generation count in between: an entry filled g flushes ago misses */
	for (unsigned g = 1; g < 64; g++) {
		tp_set_gpi_mem(PA_A, GPI_NS);
		plat_tlbi_paallos();
		assert_int_equal(plat_gpc_check(PAS_NS, PA_A, NULL), 0);
		tp_set_gpi_mem(PA_A, GPI_REALM);
		for (unsigned i = 0; i < g; i++)
			plat_tlbi_paallos();
		assert_int_equal(plat_gpc_check(PAS_NS, PA_A, NULL), -EFAULT);
	}
}

static void test_gpc_disable_enable_uses_tlb_sequence(void **state)
{
	tp_gpt_build(GPI_NS, GPI_NO_ACCESS);
	assert_int_equal(plat_gpc_check(PAS_NS, PA_A, NULL), 0);
	/* While the GPC is off, the GPT changes; the enable sequence's TLBIs
	 * make the new GPI visible. */
	tp_gpc_disable();
	assert_int_equal(plat_gpc_check(PAS_REALM, PA_A, NULL), 0);
	tp_set_gpi_mem(PA_A, GPI_REALM);
	tp_gpc_enable(TP_GPCCR_BASE, TP_GPT_L0);
	assert_int_equal(plat_gpc_check(PAS_NS, PA_A, NULL), -EFAULT);
	assert_int_equal(plat_read_gpccr() & GPCCR_GPC, GPCCR_GPC);
}

/* Many host threads check while one changes GPIs with TLBIs. */
#define NTHREADS 2
#define ROUNDS 200
static uint64_t race_seq, race_acks, race_stop, race_errors;

static unsigned race_gpi(uint64_t seq)
{
	return (seq & 1) ? GPI_REALM : GPI_NS;
}

static void *race_worker(void *arg)
{
	uint64_t last = 0;

	(void)arg;
	while (!__atomic_load_n(&race_stop, __ATOMIC_ACQUIRE)) {
		uint64_t s = __atomic_load_n(&race_seq, __ATOMIC_ACQUIRE);
		/*
		 * Hammer: checking a granule 32 MiB away (the same TLB slot in
		 * this implementation; harmless otherwise) keeps PA_A missing, so
		 * its walks overlap the writer's GPI writes and TLBIs.
		 */
		int ns = plat_gpc_check(PAS_NS, PA_A, NULL);

		if (plat_gpc_check(PAS_NS, PA_A + (32ULL << 20), NULL) != 0 ||
		    plat_gpc_check(PAS_NS, PA_B, NULL) != 0)
			__atomic_fetch_add(&race_errors, 1, __ATOMIC_RELAXED);
		if (s != last) {
			/* GPI of round s is stable until every worker acked it. */
			ns = plat_gpc_check(PAS_NS, PA_A, NULL);
			if ((ns == 0) != (race_gpi(s) == GPI_NS))
				__atomic_fetch_add(&race_errors, 1, __ATOMIC_RELAXED);
			last = s;
			__atomic_fetch_add(&race_acks, 1, __ATOMIC_ACQ_REL);
		}
		(void)ns;
	}
	return NULL;
}

static void test_tlb_concurrent(void **state)
{
	pthread_t th[NTHREADS];

	tp_gpt_build(GPI_NS, GPI_NO_ACCESS);
	race_seq = race_acks = race_stop = race_errors = 0;
	for (unsigned i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, race_worker, NULL), 0);
	for (uint64_t s = 1; s <= ROUNDS; s++) {
		tp_set_gpi(PA_A, race_gpi(s));
		__atomic_store_n(&race_seq, s, __ATOMIC_RELEASE);
		while (__atomic_load_n(&race_acks, __ATOMIC_ACQUIRE) < s * NTHREADS)
			sched_yield();
	}
	__atomic_store_n(&race_stop, 1, __ATOMIC_RELEASE);
	for (unsigned i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(race_errors, 0);
}

/* ---- Counters, barriers, SMC ---------------------------------------------- */

static void test_counters(void **state)
{
	uint64_t snap[PLAT_CNT_NR];

	plat_counters_reset();
	for (unsigned i = 0; i < PLAT_CNT_NR; i++) {
		const char *n = plat_counter_name(i);

		assert_non_null(n);
		assert_true(strlen(n) > 0);
		for (const char *c = n; *c; c++)
			assert_true((*c >= 'a' && *c <= 'z') || *c == '_');
		for (unsigned j = 0; j < i; j++)
			assert_string_not_equal(n, plat_counter_name(j));
		assert_int_equal(plat_counter_read(i), 0);
	}
	assert_string_equal(plat_counter_name(PLAT_CNT_WORLD_SWITCH), "world_switch");
	assert_string_equal(plat_counter_name(PLAT_CNT_GPT_UPDATE), "gpt_update");
	assert_string_equal(plat_counter_name(PLAT_CNT_TLBI), "tlbi");
	assert_string_equal(plat_counter_name(PLAT_CNT_NR), "unknown");

	plat_count(PLAT_CNT_RMI);
	plat_count(PLAT_CNT_RMI);
	plat_count_add(PLAT_CNT_DELEGATE, 40);
	plat_count(PLAT_CNT_NR); /* ignored */
	plat_dsb();
	plat_isb();
	plat_dc_cipapa(PAS_REALM, PA_A);
	plat_dc_cipapa(PAS_NS, PA_A);
	plat_counters_snapshot(snap);
	assert_int_equal(snap[PLAT_CNT_RMI], 2);
	assert_int_equal(snap[PLAT_CNT_DELEGATE], 40);
	assert_int_equal(snap[PLAT_CNT_DSB], 1);
	assert_int_equal(snap[PLAT_CNT_CMO], 2);
	assert_int_equal(snap[PLAT_CNT_SMC], 0);
	assert_int_equal(plat_counter_read(PLAT_CNT_NR), 0);
	plat_counters_reset();
	assert_int_equal(plat_counter_read(PLAT_CNT_RMI), 0);
}

static enum pas vec_from;
static struct smc_regs vec_seen;

static void test_vector(enum pas from, struct smc_regs *regs)
{
	vec_from = from;
	vec_seen = *regs;
	for (unsigned i = 0; i < SMC_NR_REGS; i++)
		regs->x[i] = 0x100 + i;
}

static void test_smc(void **state)
{
	struct smc_regs r = {.x = {0xC4000150, 1, 2}};
	uint64_t smcs = plat_counter_read(PLAT_CNT_SMC);

	plat_set_el3_vector(NULL);
	plat_smc(PAS_NS, &r);
	assert_int_equal(r.x[0], SMC_UNKNOWN);
	assert_int_equal(r.x[1], 1);
	assert_int_equal(plat_smc6(PAS_NS, 0xC4000150, 0, 0, 0, 0, 0, 0, NULL), SMC_UNKNOWN);
	assert_int_equal(plat_counter_read(PLAT_CNT_SMC), smcs + 2);

	plat_set_el3_vector(test_vector);
	memset(&r, 0xEE, sizeof(r));
	assert_int_equal(plat_smc6(PAS_REALM, 0xC40001B0, 11, 12, 13, 14, 15, 16, &r), 0x100);
	assert_int_equal(vec_from, PAS_REALM);
	assert_int_equal(vec_seen.x[0], 0xC40001B0);
	for (unsigned i = 1; i <= 6; i++)
		assert_int_equal(vec_seen.x[i], 10 + i);
	for (unsigned i = 7; i < SMC_NR_REGS; i++)
		assert_int_equal(vec_seen.x[i], 0);
	for (unsigned i = 0; i < SMC_NR_REGS; i++)
		assert_int_equal(r.x[i], 0x100 + i);
	assert_int_equal(plat_smc6(PAS_NS, 1, 0, 0, 0, 0, 0, 0, NULL), 0x100);
	assert_int_equal(vec_from, PAS_NS);
	assert_int_equal(plat_counter_read(PLAT_CNT_SMC), smcs + 4);
	/* Powering off forgets the vector. */
	plat_fini();
	assert_int_equal(tp_boot(0), 0);
	assert_int_equal(plat_smc6(PAS_NS, 1, 0, 0, 0, 0, 0, 0, NULL), SMC_UNKNOWN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_init_sizes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gpc_disabled_allows_dram, setup, teardown),
		cmocka_unit_test_setup_teardown(test_accessors_check_every_granule, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_zero_gives_pages_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gpi_access_rule, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gpf_report_and_to_el3, setup, teardown),
		cmocka_unit_test_setup_teardown(test_l0_block, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_l0_descriptor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reserved_gpi_in_l1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_gpccr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_geometries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pa_beyond_pps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tlb_stale_until_rpalos, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tlb_generations_and_wrap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tlb_range_and_gptbr_switch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gpc_disable_enable_uses_tlb_sequence, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_tlb_concurrent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_counters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_smc, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
