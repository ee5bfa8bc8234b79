/*
 * Helpers shared by the platform tests (test_plat_*.c): a hand-built GPT in
 * DRAM (L0 table + one L1 table for the 1 GiB that holds DRAM, PPS 32 bits,
 * L0GPTSZ 30 bits) and a bump allocator of granules. Everything is written
 * through the plat accessors, as the monitor would.
 */
#ifndef TESTS_TEST_PLAT_UTIL_H
#define TESTS_TEST_PLAT_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the headers above first. */
#include <cmocka.h>

#include "arch/gpt.h"
#include "plat/plat.h"

#define TP_DRAM_SIZE (64ULL << 20)
/* GPT: L0 (4 entries, one granule) and the L1 table of L0 entry 2 (128 KiB). */
#define TP_GPT_L0 (PLAT_DRAM_BASE + 0x100000)
#define TP_GPT_L1 (PLAT_DRAM_BASE + 0x120000)
#define TP_GPT_L1_SIZE (16384ULL * 8)
#define TP_GPT_END (TP_GPT_L1 + TP_GPT_L1_SIZE)
#define TP_L0_DRAM_INDEX 2 /* 0x80000000 >> 30 */
/* Granules for the tests to hand out, above the GPT. */
#define TP_ALLOC_BASE (PLAT_DRAM_BASE + 0x400000)

/* GPCCR for PPS 32 bits, 4K granules, L0GPTSZ 30 bits. */
#define TP_GPCCR_BASE ((0ULL << GPCCR_PPS_SHIFT) | (GPCCR_PGS_4K << GPCCR_PGS_SHIFT))

static uint64_t tp_next_granule = TP_ALLOC_BASE;

static inline uint64_t tp_alloc_granules(unsigned n)
{
	uint64_t pa = tp_next_granule;

	tp_next_granule += (uint64_t)n * GRANULE_SIZE;
	assert_true(plat_pa_in_dram(pa, (uint64_t)n * GRANULE_SIZE));
	return pa;
}

static inline int tp_boot(uint64_t dram_size)
{
	struct plat_config cfg = {.dram_size = dram_size ? dram_size : TP_DRAM_SIZE};

	tp_next_granule = TP_ALLOC_BASE;
	return plat_init(&cfg);
}

/* The L1 descriptor address that holds the GPI of pa (pa in the DRAM GiB). */
static inline uint64_t tp_l1_desc_pa(uint64_t pa)
{
	return TP_GPT_L1 + ((pa >> 16) & 0x3FFF) * 8;
}

/* Write a GPI into the GPT in memory (as Root; no TLBI). */
static inline void tp_set_gpi_mem(uint64_t pa, unsigned gpi)
{
	uint64_t d;
	uint64_t dpa = tp_l1_desc_pa(pa);

	assert_int_equal(plat_read_u64(PAS_ROOT, dpa, &d, NULL), 0);
	d = GPT_L1_SET_GPI(d, (pa >> 12) & 0xF, gpi);
	assert_int_equal(plat_write_u64(PAS_ROOT, dpa, d, NULL), 0);
}

/* Write a GPI and invalidate the granule as the monitor must. */
static inline void tp_set_gpi(uint64_t pa, unsigned gpi)
{
	tp_set_gpi_mem(pa, gpi);
	plat_dsb();
	plat_tlbi_rpalos(pa, GRANULE_SIZE);
	plat_dsb();
}

static inline void tp_write_l0(unsigned idx, uint64_t desc)
{
	assert_int_equal(plat_write_u64(PAS_ROOT, TP_GPT_L0 + idx * 8, desc, NULL), 0);
}

/* The GPC enable sequence of cca-spec §7 with the given GPCCR (GPC bit added). */
static inline void tp_gpc_enable(uint64_t gpccr, uint64_t l0_pa)
{
	plat_write_gptbr(GPTBR_FROM_PA(l0_pa));
	plat_write_gpccr(gpccr & ~GPCCR_GPC);
	plat_isb();
	plat_tlbi_paallos();
	plat_write_gpccr(gpccr | GPCCR_GPC);
	plat_tlbi_paallos();
}

static inline void tp_gpc_disable(void)
{
	plat_write_gpccr(plat_read_gpccr() & ~GPCCR_GPC);
	plat_tlbi_paallos();
}

/*
 * Build the GPT with the GPC disabled: every DRAM granule gets dram_gpi,
 * the GPT itself ROOT; L0 entries other than DRAM's are blocks of GPI
 * other_gpi. Then enable the GPC.
 */
static inline void tp_gpt_build(unsigned dram_gpi, unsigned other_gpi)
{
	static uint64_t l1[16384];

	tp_gpc_disable();
	for (unsigned i = 0; i < 16384; i++)
		l1[i] = GPT_L1_FILL(dram_gpi);
	assert_int_equal(plat_write(PAS_ROOT, TP_GPT_L1, l1, sizeof(l1), NULL), 0);
	assert_int_equal(plat_zero(PAS_ROOT, TP_GPT_L0, GRANULE_SIZE, NULL), 0);
	for (unsigned i = 0; i < 4; i++)
		tp_write_l0(i, GPT_L0_BLOCK_DESC(other_gpi));
	tp_write_l0(TP_L0_DRAM_INDEX, GPT_L0_TABLE_DESC(TP_GPT_L1));
	for (uint64_t pa = TP_GPT_L0; pa < TP_GPT_END; pa += GRANULE_SIZE)
		tp_set_gpi_mem(pa, GPI_ROOT);
	tp_gpc_enable(TP_GPCCR_BASE, TP_GPT_L0);
}

#endif /* TESTS_TEST_PLAT_UTIL_H */
