/*
 * Granule Protection Table construction, walk and GPI update (see gpt.h).
 * Tables are Root memory reached through plat_map(PAS_ROOT, ...).
 */
#include "monitor/gpt.h"

#include "lib/errno.h"
#include "plat/plat.h"

int gpt_pps_for_top(uint64_t top)
{
	for (unsigned pps = 0; pps < 7; pps++) {
		unsigned bits = gpt_pps_bits(pps);

		if (top <= (1ULL << bits))
			return (int)pps;
	}
	return -EINVAL;
}

uint64_t gpt_l0_bytes(unsigned pps)
{
	uint64_t bytes = (1ULL << (gpt_pps_bits(pps) - GPT_S)) * 8ULL;

	return bytes < GRANULE_SIZE ? GRANULE_SIZE : bytes;
}

uint64_t gpt_l1_tables_needed(uint64_t dram_base, uint64_t dram_size)
{
	if (dram_size == 0)
		return 0;
	return ((dram_base + dram_size - 1) >> GPT_S) - (dram_base >> GPT_S) + 1;
}

/* GPI that `regions` give to the 64 KiB block at pa (NO_ACCESS if none). */
static unsigned region_gpi(const struct gpt_region *regions, unsigned nregions, uint64_t pa)
{
	for (unsigned i = 0; i < nregions; i++) {
		if (pa >= regions[i].base && pa - regions[i].base < regions[i].size)
			return regions[i].gpi;
	}
	return GPI_NO_ACCESS;
}

static int gpt_geometry(struct gpt *g, unsigned pps, uint64_t l0_pa)
{
	unsigned bits = gpt_pps_bits(pps);

	if (bits == 0 || bits < GPT_S || !IS_ALIGNED(l0_pa, gpt_l0_bytes(pps)))
		return -EINVAL;
	g->l0_pa = l0_pa;
	g->pps = pps;
	g->pps_bits = bits;
	g->l0_entries = 1ULL << (bits - GPT_S);
	return 0;
}

int gpt_build(struct gpt *g, unsigned pps, uint64_t l0_pa, uint64_t l1_pa, uint64_t dram_base,
	      uint64_t dram_size, const struct gpt_region *regions, unsigned nregions)
{
	uint64_t first_l0 = dram_base >> GPT_S;
	uint64_t ntables = gpt_l1_tables_needed(dram_base, dram_size);
	uint64_t *l0;
	int ret;

	ret = gpt_geometry(g, pps, l0_pa);
	if (ret)
		return ret;
	if (!IS_ALIGNED(l1_pa, GRANULE_SIZE) || dram_size == 0 ||
	    dram_base + dram_size > (1ULL << g->pps_bits))
		return -EINVAL;
	for (unsigned i = 0; i < nregions; i++) {
		if (!IS_ALIGNED(regions[i].base, GPT_L1_DESC_SPAN) ||
		    !IS_ALIGNED(regions[i].size, GPT_L1_DESC_SPAN) || !gpi_is_valid(regions[i].gpi))
			return -EINVAL;
	}

	l0 = plat_map(PAS_ROOT, l0_pa, gpt_l0_bytes(pps), NULL);
	if (!l0)
		return -EFAULT;
	for (uint64_t i = 0; i < g->l0_entries; i++) {
		if (i >= first_l0 && i < first_l0 + ntables)
			l0[i] = GPT_L0_TABLE_DESC(l1_pa + (i - first_l0) * GPT_L1_TABLE_BYTES);
		else
			l0[i] = GPT_L0_BLOCK_DESC(GPI_NO_ACCESS);
	}

	for (uint64_t t = 0; t < ntables; t++) {
		uint64_t region_pa = (first_l0 + t) << GPT_S;
		uint64_t *l1 = plat_map(PAS_ROOT, l1_pa + t * GPT_L1_TABLE_BYTES,
					GPT_L1_TABLE_BYTES, NULL);

		if (!l1)
			return -EFAULT;
		for (uint64_t d = 0; d < GPT_L1_DESCS_PER_TABLE; d++) {
			uint64_t pa = region_pa + d * GPT_L1_DESC_SPAN;

			l1[d] = GPT_L1_FILL(region_gpi(regions, nregions, pa));
		}
	}
	return 0;
}

/*
 * Locate the L1 descriptor of pa: *desc_pa receives its PA. If the L0 entry
 * is a block, returns 1 with *block_gpi set. Returns 0 for a table, or a
 * negative errno.
 */
static int gpt_locate(const struct gpt *g, uint64_t pa, uint64_t *desc_pa, unsigned *block_gpi)
{
	uint64_t l0_desc;

	if (g->pps_bits == 0 || pa >= (1ULL << g->pps_bits))
		return -EINVAL;
	if (plat_read_u64(PAS_ROOT, g->l0_pa + (pa >> GPT_S) * 8ULL, &l0_desc, NULL))
		return -EFAULT;
	switch (l0_desc & GPT_L0_TYPE_MASK) {
	case GPT_L0_TYPE_BLOCK:
		*block_gpi = (unsigned)GPT_L0_BLOCK_GPI(l0_desc);
		return 1;
	case GPT_L0_TYPE_TABLE:
		*desc_pa =
			GPT_L0_TABLE_ADDR(l0_desc) + EXTRACT_BITS(pa, GPT_S - 1, GPT_P + 4) * 8ULL;
		return 0;
	default:
		return -EFAULT;
	}
}

int gpt_get_gpi(const struct gpt *g, uint64_t pa)
{
	uint64_t desc_pa = 0, desc;
	unsigned gpi = 0;
	int ret = gpt_locate(g, pa, &desc_pa, &gpi);

	if (ret < 0)
		return ret;
	if (ret == 0) {
		if (plat_read_u64(PAS_ROOT, desc_pa, &desc, NULL))
			return -EFAULT;
		gpi = (unsigned)GPT_L1_GPI(desc, EXTRACT_BITS(pa, GPT_P + 3, GPT_P));
	}
	if (!gpi_is_valid(gpi))
		return -EFAULT;
	return (int)gpi;
}

int gpt_set_gpi(const struct gpt *g, uint64_t pa, unsigned gpi)
{
	uint64_t desc_pa = 0;
	unsigned block_gpi;
	uint64_t *desc;
	int ret;

	if (!gpi_is_valid(gpi))
		return -EINVAL;
	ret = gpt_locate(g, pa, &desc_pa, &block_gpi);
	if (ret < 0)
		return ret;
	if (ret == 1)
		return -EINVAL; /* a block: no per-granule GPIs to change */
	desc = plat_map(PAS_ROOT, desc_pa, sizeof(*desc), NULL);
	if (!desc)
		return -EFAULT;
	/* One store of the whole descriptor, as the walker may read it at any time. */
	__atomic_store_n(desc,
			 GPT_L1_SET_GPI(__atomic_load_n(desc, __ATOMIC_RELAXED),
					EXTRACT_BITS(pa, GPT_P + 3, GPT_P), gpi),
			 __ATOMIC_RELEASE);
	plat_count(PLAT_CNT_GPT_UPDATE);
	return 0;
}
