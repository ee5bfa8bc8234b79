/*
 * Granule Protection Check of the emulated machine (cca-spec §7): the GPC
 * registers (GPCCR_EL3, GPTBR_EL3, SCR_EL3), the walk of the GPT in
 * physical memory, a GPC TLB that caches one GPI per granule, TLBI
 * RPALOS/PAALLOS, and the DSB/ISB/DC CIPAPA ordering and maintenance points.
 *
 * The TLB is deliberately architectural: a GPI changed in memory stays
 * invisible while its granule is cached, until software invalidates it.
 * Everything is lock-free (__atomic builtins) so host threads may check
 * accesses concurrently.
 */
#include "arch/esr.h"
#include "arch/gpt.h"
#include "plat/emu/emu.h"

#include <errno.h>
#include <pthread.h>

/* ---- Registers --------------------------------------------------------- */

static uint64_t reg_gpccr, reg_gptbr, reg_scr_el3;

uint64_t plat_read_gpccr(void)
{
	return __atomic_load_n(&reg_gpccr, __ATOMIC_ACQUIRE);
}

/* Writes do not touch the GPC TLB: software must TLBI (cca-spec §7). */
void plat_write_gpccr(uint64_t val)
{
	__atomic_store_n(&reg_gpccr, val, __ATOMIC_RELEASE);
}

uint64_t plat_read_gptbr(void)
{
	return __atomic_load_n(&reg_gptbr, __ATOMIC_ACQUIRE);
}

void plat_write_gptbr(uint64_t val)
{
	__atomic_store_n(&reg_gptbr, val, __ATOMIC_RELEASE);
}

uint64_t plat_read_scr_el3(void)
{
	return __atomic_load_n(&reg_scr_el3, __ATOMIC_ACQUIRE);
}

void plat_write_scr_el3(uint64_t val)
{
	__atomic_store_n(&reg_scr_el3, val, __ATOMIC_RELEASE);
}

/* ---- GPC TLB ----------------------------------------------------------- */

/*
 * Direct-mapped, indexed by granule number. An entry is TLB_VALID | the
 * flush generation it was filled in << 44 | granule << 4 | GPI (granule
 * numbers are < 2^40), 0 = empty. A full invalidation (TLBI PAALLOS, at
 * every RContainer GPT switch) only starts a new generation: entries of an
 * older one miss. Clearing all 8192 slots with ordered stores instead cost
 * ~60 us per switch. The generation wraps after 2^19 full invalidations;
 * that one clears the slots.
 */
#define TLB_ENTRIES 8192U
#define TLB_VALID BIT(63)
#define TLB_GEN_SHIFT 44
#define TLB_GEN_MASK ((1ULL << 19) - 1)
#define TLB_ENTRY(g, gpi, gen)                                                                     \
	(TLB_VALID | ((gen)&TLB_GEN_MASK) << TLB_GEN_SHIFT | (g) << 4 | (uint64_t)(gpi))
#define TLB_GRANULE(e) (((e) >> 4) & ((1ULL << 40) - 1))
#define TLB_GEN(e) (((e) >> TLB_GEN_SHIFT) & TLB_GEN_MASK)
#define TLB_GPI(e) ((unsigned)((e)&0xFU))

static uint64_t tlb[TLB_ENTRIES];
/*
 * Bumped by every TLBI before it removes entries. A walk that overlapped a
 * TLBI (epoch changed between its start and its fill) withdraws its entry,
 * so no GPI read before the TLBI survives it.
 */
static uint64_t tlb_epoch;
static uint64_t tlb_gen; /* full invalidations so far (the generation of new entries) */
/*
 * Fills and invalidations are serialised (lookups are not): a walk that
 * overlapped a TLBI finds the epoch moved and stores nothing, and one that
 * stores first has its entry dropped by the TLBI. (Storing, then
 * withdrawing on a moved epoch, left the stale entry visible to other
 * vCPUs for a moment after the TLBI had completed: test_tlb_concurrent.)
 * A leaf lock: nothing else is taken under it.
 */
static pthread_mutex_t tlb_mu = PTHREAD_MUTEX_INITIALIZER;

static uint64_t *tlb_slot(uint64_t g)
{
	return &tlb[g % TLB_ENTRIES];
}

static bool tlb_lookup(uint64_t g, unsigned *gpi)
{
	uint64_t e = __atomic_load_n(tlb_slot(g), __ATOMIC_ACQUIRE);

	if ((e & TLB_VALID) == 0 || TLB_GRANULE(e) != g ||
	    TLB_GEN(e) != (__atomic_load_n(&tlb_gen, __ATOMIC_ACQUIRE) & TLB_GEN_MASK))
		return false;
	*gpi = TLB_GPI(e);
	return true;
}

static void tlb_fill(uint64_t g, unsigned gpi, uint64_t epoch_at_walk)
{
	uint64_t *slot = tlb_slot(g);

	pthread_mutex_lock(&tlb_mu);
	if (__atomic_load_n(&tlb_epoch, __ATOMIC_SEQ_CST) == epoch_at_walk)
		__atomic_store_n(slot,
				 TLB_ENTRY(g, gpi, __atomic_load_n(&tlb_gen, __ATOMIC_ACQUIRE)),
				 __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&tlb_mu);
}

/* Remove the entry of granule g if the slot holds it. */
static void tlb_drop(uint64_t *slot, uint64_t g0, uint64_t g1)
{
	uint64_t e = __atomic_load_n(slot, __ATOMIC_ACQUIRE);

	while ((e & TLB_VALID) != 0 && TLB_GRANULE(e) >= g0 && TLB_GRANULE(e) <= g1) {
		if (__atomic_compare_exchange_n(slot, &e, 0, false, __ATOMIC_SEQ_CST,
						__ATOMIC_ACQUIRE))
			break;
	}
}

void plat_tlbi_rpalos(uint64_t pa, uint64_t size)
{
	uint64_t g0 = pa >> GRANULE_SHIFT;
	uint64_t end = pa + (size ? size - 1 : 0);
	uint64_t g1;

	if (end < pa)
		end = UINT64_MAX;
	g1 = end >> GRANULE_SHIFT;

	plat_count(PLAT_CNT_TLBI);
	pthread_mutex_lock(&tlb_mu);
	__atomic_fetch_add(&tlb_epoch, 1, __ATOMIC_SEQ_CST);
	if (g1 - g0 < TLB_ENTRIES) {
		for (uint64_t g = g0;; g++) {
			tlb_drop(tlb_slot(g), g0, g1);
			if (g == g1)
				break;
		}
	} else {
		for (unsigned i = 0; i < TLB_ENTRIES; i++)
			tlb_drop(&tlb[i], g0, g1);
	}
	pthread_mutex_unlock(&tlb_mu);
	/* Cached translations of EL0 address spaces go with the GPC TLB entries. */
	emu_as_tlbi(g0, g1);
}

static void tlb_flush_all(void)
{
	pthread_mutex_lock(&tlb_mu);
	__atomic_fetch_add(&tlb_epoch, 1, __ATOMIC_SEQ_CST);
	if ((__atomic_add_fetch(&tlb_gen, 1, __ATOMIC_SEQ_CST) & TLB_GEN_MASK) == 0) {
		/* the generation wrapped: entries of the generation now reused must go */
		for (unsigned i = 0; i < TLB_ENTRIES; i++)
			__atomic_store_n(&tlb[i], 0, __ATOMIC_SEQ_CST);
	}
	pthread_mutex_unlock(&tlb_mu);
}

void plat_tlbi_paallos(void)
{
	plat_count(PLAT_CNT_TLBI);
	tlb_flush_all();
	emu_as_tlbi(0, UINT64_MAX >> GRANULE_SHIFT);
}

void emu_gpc_reset(void)
{
	plat_write_gpccr(0);
	plat_write_gptbr(0);
	plat_write_scr_el3(0);
	tlb_flush_all();
}

/* ---- Barriers and cache maintenance ------------------------------------ */

void plat_dsb(void)
{
	plat_count(PLAT_CNT_DSB);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

void plat_isb(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* The emulated memory is coherent: DC CIPAPA has nothing to clean. */
void plat_dc_cipapa(enum pas pas, uint64_t pa)
{
	plat_count(PLAT_CNT_CMO);
}

/* ---- The check --------------------------------------------------------- */

/*
 * Status codes of a GPC exception taken to EL3 (ESR_EL3.GPCSC): GPT
 * address size fault at level 0, GPT walk fault at level 0/1.
 */
#define GPCSC_ADDR_SIZE_L0 FSC_ADDR_SIZE(0)
#define GPCSC_WALK(level) (0x04 + (level))

static int fault(struct plat_fault *f, enum plat_fault_kind kind, enum pas pas, uint64_t pa,
		 int level)
{
	if (f == NULL)
		return -EFAULT;
	f->kind = kind;
	f->pa = pa;
	f->pas = pas;
	f->level = level;
	switch (kind) {
	case PLAT_FAULT_GPF:
		f->fsc = FSC_GPF;
		/* A GPF goes to EL3 when SCR_EL3.GPF = 1, or when EL3 (Root) made it. */
		f->to_el3 = (plat_read_scr_el3() & SCR_EL3_GPF) != 0 || pas == PAS_ROOT;
		break;
	case PLAT_FAULT_WALK:
		/* GPT walk and address size faults are always GPC exceptions to EL3. */
		f->fsc = GPCSC_WALK(level);
		f->to_el3 = true;
		break;
	case PLAT_FAULT_ADDR_SIZE:
		f->fsc = GPCSC_ADDR_SIZE_L0;
		f->to_el3 = true;
		break;
	default:
		f->fsc = FSC_SYNC_EXTERNAL;
		f->to_el3 = false;
		break;
	}
	return -EFAULT;
}

/* L0GPTSZ encodings: 0 = 30 bits, 4 = 34, 6 = 36, 9 = 39; others reserved. */
static bool l0gptsz_valid(unsigned v)
{
	return v == 0 || v == 4 || v == 6 || v == 9;
}

static bool read_desc(uint64_t pa, uint64_t *d)
{
	if (!IS_ALIGNED(pa, 8) || !plat_pa_in_dram(pa, 8))
		return false;
	*d = __atomic_load_n((uint64_t *)emu_pa_ptr(pa), __ATOMIC_ACQUIRE);
	return true;
}

/*
 * Walk the GPT for pa (< 2^t). Returns 0 with *gpi, or a walk fault:
 * -1 - level.
 */
static int gpt_walk(uint64_t gptbr, uint64_t pa, unsigned s, unsigned *gpi)
{
	uint64_t l0 = GPTBR_TO_PA(gptbr);
	uint64_t d;

	plat_count(PLAT_CNT_GPT_WALK);
	if (!read_desc(l0 + (pa >> s) * 8, &d))
		return -1;
	switch (d & GPT_L0_TYPE_MASK) {
	case GPT_L0_TYPE_BLOCK:
		*gpi = (unsigned)GPT_L0_BLOCK_GPI(d);
		return gpi_is_valid(*gpi) ? 0 : -1;
	case GPT_L0_TYPE_TABLE: {
		uint64_t idx = (pa >> (GPT_P + 4)) & ((1ULL << (s - GPT_P - 4)) - 1);
		uint64_t l1 = GPT_L0_TABLE_ADDR(d);

		if (!read_desc(l1 + idx * 8, &d))
			return -2;
		*gpi = (unsigned)GPT_L1_GPI(d, (pa >> GPT_P) & 0xF);
		return gpi_is_valid(*gpi) ? 0 : -2;
	}
	default:
		return -1;
	}
}

static int gpc_check(enum pas pas, uint64_t pa, struct plat_fault *f, bool count);

int plat_gpc_check(enum pas pas, uint64_t pa, struct plat_fault *f)
{
	return gpc_check(pas, pa, f, true);
}

bool emu_gpc_allows(enum pas pas, uint64_t pa)
{
	return gpc_check(pas, pa, NULL, false) == 0;
}

static int gpc_check(enum pas pas, uint64_t pa, struct plat_fault *f, bool count)
{
	uint64_t gpccr = plat_read_gpccr();

	if ((gpccr & GPCCR_GPC) != 0) {
		unsigned t = gpt_pps_bits(GPCCR_PPS(gpccr));
		unsigned l0sz = (unsigned)GPCCR_L0GPTSZ(gpccr);
		unsigned s = 30 + l0sz;
		uint64_t g = pa >> GRANULE_SHIFT;
		unsigned gpi = GPI_ANY;

		if (t == 0 || GPCCR_PGS(gpccr) != GPCCR_PGS_4K || !l0gptsz_valid(l0sz) || s > t)
			return fault(f, PLAT_FAULT_WALK, pas, pa, 0);
		if ((pa >> t) != 0) {
			/* Beyond PPS: an NS access is not checked. */
			if (pas != PAS_NS)
				return fault(f, PLAT_FAULT_ADDR_SIZE, pas, pa, 0);
		} else if (!tlb_lookup(g, &gpi)) {
			uint64_t epoch = __atomic_load_n(&tlb_epoch, __ATOMIC_SEQ_CST);
			int ret = gpt_walk(plat_read_gptbr(), pa, s, &gpi);

			if (ret < 0)
				return fault(f, PLAT_FAULT_WALK, pas, pa, -1 - ret);
			tlb_fill(g, gpi, epoch);
		}
		if ((pa >> t) == 0 && !gpi_allows(gpi, pas)) {
			if (count)
				plat_count(PLAT_CNT_GPF);
			return fault(f, PLAT_FAULT_GPF, pas, pa, 0);
		}
	}
	if (!plat_pa_in_dram(pa, 1))
		return fault(f, PLAT_FAULT_EXTERNAL, pas, pa, 0);
	return 0;
}

/*
 * The check a requester with its own GPT base makes (the SMMU's
 * SMMU_ROOT_GPT_BASE), with the PE's GPCCR configuration and no TLB: a walk
 * per access. Counts a GPF.
 */
int emu_gpc_check_at(uint64_t gptbr, enum pas pas, uint64_t pa, struct plat_fault *f)
{
	uint64_t gpccr = plat_read_gpccr();

	if ((gpccr & GPCCR_GPC) != 0) {
		unsigned t = gpt_pps_bits(GPCCR_PPS(gpccr));
		unsigned l0sz = (unsigned)GPCCR_L0GPTSZ(gpccr);
		unsigned s = 30 + l0sz, gpi = GPI_ANY;
		int ret;

		if (t == 0 || GPCCR_PGS(gpccr) != GPCCR_PGS_4K || !l0gptsz_valid(l0sz) || s > t)
			return fault(f, PLAT_FAULT_WALK, pas, pa, 0);
		if ((pa >> t) == 0) {
			ret = gpt_walk(gptbr, pa, s, &gpi);
			if (ret < 0)
				return fault(f, PLAT_FAULT_WALK, pas, pa, -1 - ret);
			if (!gpi_allows(gpi, pas)) {
				plat_count(PLAT_CNT_GPF);
				return fault(f, PLAT_FAULT_GPF, pas, pa, 0);
			}
		} else if (pas != PAS_NS) {
			return fault(f, PLAT_FAULT_ADDR_SIZE, pas, pa, 0);
		}
	}
	if (!plat_pa_in_dram(pa, 1))
		return fault(f, PLAT_FAULT_EXTERNAL, pas, pa, 0);
	return 0;
}
