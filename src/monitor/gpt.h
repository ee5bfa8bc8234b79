/*
 * The monitor's Granule Protection Table code (internal to monitor/).
 *
 * One GPT is an L0 table plus its L1 tables in Root memory, in the
 * architectural format of cca-spec §7 (L0GPTSZ = 0: 1 GiB per L0 entry,
 * PGS 4K). Every function takes the GPT it works on, so that a second GPT
 * copy (RContainer's Priv-GPT / OS-GPT / shim-GPTs) can be added beside the
 * boot GPT without changing this code. Locking is the caller's business.
 */
#ifndef MONITOR_GPT_H
#define MONITOR_GPT_H

#include "arch/arch.h"
#include "arch/gpt.h"

/* L0GPTSZ = 0: each L0 entry covers 2^30 bytes. */
#define GPT_L0GPTSZ_ENC 0
#define GPT_S 30
#define GPT_L0_REGION_SIZE (1ULL << GPT_S)
/* One L1 table covers one L0 region: 2^(s-p-4) descriptors of 8 bytes. */
#define GPT_L1_DESCS_PER_TABLE (1ULL << (GPT_S - GPT_P - 4))
#define GPT_L1_TABLE_BYTES (GPT_L1_DESCS_PER_TABLE * 8ULL) /* 128 KiB */
/* Bytes covered by one L1 descriptor (16 granules). */
#define GPT_L1_DESC_SPAN (GRANULE_SIZE * GPT_L1_GPIS_PER_DESC)

/* Where one GPT lives and what it covers. */
struct gpt {
	uint64_t l0_pa;	     /* L0 table, Root PAS */
	unsigned pps;	     /* GPCCR_EL3.PPS encoding */
	unsigned pps_bits;   /* t: protected physical address size */
	uint64_t l0_entries; /* 2^(t - s) */
};

/* A range of DRAM and the GPI it gets when a GPT is built. */
struct gpt_region {
	uint64_t base, size; /* 64 KiB aligned (one L1 descriptor) */
	unsigned gpi;
};

/*
 * Smallest PPS encoding whose address space covers [0, top).
 * Returns the encoding (0..6), or -EINVAL if even 52 bits do not.
 */
int gpt_pps_for_top(uint64_t top);

/* Bytes of the L0 table for a PPS encoding (at least one granule). */
uint64_t gpt_l0_bytes(unsigned pps);

/*
 * Number of L0 entries that [dram_base, dram_base+dram_size) touches: each
 * needs one L1 table of GPT_L1_TABLE_BYTES.
 */
uint64_t gpt_l1_tables_needed(uint64_t dram_base, uint64_t dram_size);

/*
 * Build a GPT at l0_pa with its L1 tables from l1_pa on (contiguous,
 * gpt_l1_tables_needed() tables): L0 entries that touch DRAM are table
 * descriptors, the others NO_ACCESS blocks; every L1 GPI is NO_ACCESS unless
 * one of `regions` covers it. Writes Root memory through plat_map (GPC
 * disabled, or the tables already Root). Fills *g. Does not count GPT
 * updates (this is initialisation, not a GPI change).
 * Returns 0, -EINVAL for a bad geometry or region, -EFAULT if the memory
 * cannot be reached.
 */
int gpt_build(struct gpt *g, unsigned pps, uint64_t l0_pa, uint64_t l1_pa, uint64_t dram_base,
	      uint64_t dram_size, const struct gpt_region *regions, unsigned nregions);

/*
 * GPI of the granule at pa as the tables in memory say.
 * Returns the GPI, -EINVAL for a PA at or beyond the PPS, -EFAULT if the
 * walk meets an invalid descriptor or cannot read the table.
 */
int gpt_get_gpi(const struct gpt *g, uint64_t pa);

/*
 * Write the GPI of the granule at pa in its L1 descriptor (no TLB
 * maintenance: the caller follows the spec's sequence). Counts one
 * PLAT_CNT_GPT_UPDATE. Returns 0, -EINVAL if pa is not covered by an L1
 * table (or gpi is reserved), -EFAULT if the table cannot be reached.
 */
int gpt_set_gpi(const struct gpt *g, uint64_t pa, unsigned gpi);

#endif /* MONITOR_GPT_H */
