/*
 * The trusted-core invariant checker (see invariants.h): reads the RMM's
 * granule array, the GPT in Root memory, RDs, RECs and RTTs directly and
 * reports every broken invariant it finds.
 *
 * Cost: one pass over the granule array (8 bytes a granule), one pass over
 * the GPT's L1 descriptors of DRAM (16 granules a descriptor), then work only
 * for granules that are not NS: one NS-PAS probe each, a zero scan of each
 * DELEGATED granule, and one read of each RTT entry of each realm.
 */
#include "invariants.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/fasco.h"
#include "arch/gpt.h"
#include "arch/rmi.h"
#include "arch/s2tt.h"
#include "harness.h"
#include "monitor/monitor.h"
#include "plat/plat.h"
#include "rmm/granule.h"
#include "rmm/realm.h"
#include "rmm/rec.h"
#include "rmm/rmm_private.h"
#include "rmm/s2tte.h"

/* Violations described in detail; the rest are only counted. */
#define INV_MAX_DETAILED 8
/* Root/RMM-region granules NS-probed per check (rotating), and NS ones Realm-probed. */
#define INV_ROTOR_PROBES 8
#define INV_NS_ROTOR_PROBES 32
/*
 * Realm-state granules fully probed (monitor's GPT read + NS-PAS access) per
 * check besides those that changed state: all of them up to this many (the
 * random test never has more), a rotating share beyond.
 */
#define INV_PROBES_PER_CHECK 4096
/* Flag in ic.list: the granule's state changed since the last check. */
#define INV_CHANGED 0x80000000U
/* RECs a Container Realm may have (the Fasco ABI is moving from one to 31). */
#ifdef GRANULE_FASCO_OWNER_MAX
#define CONTAINER_MAX_RECS GRANULE_FASCO_OWNER_MAX
#else
#define CONTAINER_MAX_RECS 1
#endif
/* RDs the checker can follow in one check. */
#define INV_MAX_RDS 4096

static const char *const state_names[] = {"NS",	     "DELEGATED", "RD",	 "REC",
					  "REC_AUX", "DATA",	  "RTT", "CHANNEL"};
COMPILER_ASSERT(ARRAY_SIZE(state_names) == GRANULE_STATE_NR, "a name for every granule state");

static struct {
	bool ready;
	uint64_t dram_base, nr; /* granules */
	struct machine_layout layout;
	uint64_t ns_lo, ns_hi;	   /* granule index range [lo, hi) of the NS region */
	uint64_t root_lo, root_hi; /* Root region */
	uint64_t rmm_lo, rmm_hi;   /* RMM region */
	uint8_t *prev_state;	   /* RMM state of each granule at the last check */
	uint8_t *reach;		   /* references found this check (non-NS granules only) */
	uint32_t *list;		   /* indices of non-NS granules */
	uint64_t nlist;
	uint32_t *rd_slot;   /* granule index -> RD slot + 1 (RDs only) */
	uint16_t *data_rd;   /* granule index -> RD slot + 1 of the realm it is DATA of */
	uint32_t *as_maps;   /* granule index -> mappings in its realm's address spaces */
	uint64_t *vmid_seen; /* VMID_COUNT bits */
	uint64_t root_rotor, rmm_rotor, ns_rotor;
	struct inv_stats st;

	/* Current check. */
	char *why;
	size_t len, used;
	unsigned nviol;
} ic;

/* ---- reporting -------------------------------------------------------- */

static void viol(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void viol(const char *fmt, ...)
{
	va_list ap;
	int n;

	ic.nviol++;
	if (ic.nviol > INV_MAX_DETAILED || !ic.why || ic.len == 0 || ic.used + 1 >= ic.len)
		return;
	if (ic.used > 0) {
		n = snprintf(ic.why + ic.used, ic.len - ic.used, "; ");
		if (n > 0)
			ic.used += (size_t)n;
		if (ic.used >= ic.len) {
			ic.used = ic.len - 1;
			return;
		}
	}
	va_start(ap, fmt);
	n = vsnprintf(ic.why + ic.used, ic.len - ic.used, fmt, ap);
	va_end(ap);
	if (n > 0)
		ic.used += (size_t)n;
	if (ic.used >= ic.len)
		ic.used = ic.len - 1;
}

static const char *sname(unsigned s)
{
	return s < ARRAY_SIZE(state_names) ? state_names[s] : "BAD-STATE";
}

static inline uint64_t gpa(uint64_t idx)
{
	return ic.dram_base + (idx << GRANULE_SHIFT);
}

/* Granule index of pa, or UINT64_MAX if pa is not a DRAM granule. */
static inline uint64_t gidx(uint64_t pa)
{
	if (!IS_ALIGNED(pa, GRANULE_SIZE) || pa < ic.dram_base)
		return UINT64_MAX;
	uint64_t i = (pa - ic.dram_base) >> GRANULE_SHIFT;
	return i < ic.nr ? i : UINT64_MAX;
}

static inline struct granule *G(uint64_t idx)
{
	return granule_at(idx);
}

/* ---- set-up ----------------------------------------------------------- */

static void tcache_free(void);

/*
 * The host mapping of the last L1 table read, by L0 descriptor. inv_reset
 * forgets it: a new machine of the same size has the same descriptors but
 * another mapping (a stale pointer read zeros in fuzz_rmi, which boots a
 * machine per input).
 */
static uint64_t cached_l0d = ~0ULL;
static const uint64_t *cached_l1;

void inv_reset(void)
{
	tcache_free();
	free(ic.prev_state);
	free(ic.reach);
	free(ic.list);
	free(ic.rd_slot);
	free(ic.data_rd);
	free(ic.as_maps);
	free(ic.vmid_seen);
	memset(&ic, 0, sizeof(ic));
	cached_l0d = ~0ULL;
	cached_l1 = NULL;
}

static void region(uint64_t base, uint64_t size, uint64_t *lo, uint64_t *hi)
{
	if (size == 0 || base < ic.dram_base) {
		*lo = *hi = 0;
		return;
	}
	*lo = (base - ic.dram_base) >> GRANULE_SHIFT;
	*hi = *lo + (size >> GRANULE_SHIFT);
	if (*hi > ic.nr)
		*hi = ic.nr;
}

static int prepare(void)
{
	uint64_t nr = granule_count();

	if (ic.ready && nr == ic.nr && memcmp(&ic.layout, &th_layout, sizeof(th_layout)) == 0)
		return 0;
	inv_reset();
	if (nr == 0)
		return -1;
	ic.layout = th_layout;
	ic.dram_base = plat_dram_base();
	ic.nr = nr;
	region(th_layout.ns_base, th_layout.ns_size, &ic.ns_lo, &ic.ns_hi);
	region(th_layout.root_base, th_layout.root_size, &ic.root_lo, &ic.root_hi);
	region(th_layout.rmm_base, th_layout.rmm_size, &ic.rmm_lo, &ic.rmm_hi);
	ic.prev_state = calloc(nr, 1);
	ic.reach = calloc(nr, 1);
	ic.list = calloc(nr, sizeof(uint32_t));
	ic.rd_slot = calloc(nr, sizeof(uint32_t));
	ic.data_rd = calloc(nr, sizeof(uint16_t));
	ic.as_maps = calloc(nr, sizeof(uint32_t));
	ic.vmid_seen = calloc(VMID_COUNT / 64, sizeof(uint64_t));
	if (!ic.prev_state || !ic.reach || !ic.list || !ic.rd_slot || !ic.data_rd || !ic.as_maps ||
	    !ic.vmid_seen) {
		inv_reset();
		return -1;
	}
	ic.ready = true;
	return 0;
}

void inv_get_stats(struct inv_stats *out)
{
	*out = ic.st;
}

/* ---- 1. isolation: the GPT and the GPC -------------------------------- */

/* The checker's own GPT reader (independent of the monitor's code). */
static struct {
	uint64_t l0_pa;
	unsigned t, s;
	const uint64_t *l0;
	uint64_t l0_entries;
} gr;

static bool gpt_reader_init(void)
{
	uint64_t gpccr = plat_read_gpccr();
	struct plat_fault f;

	memset(&gr, 0, sizeof(gr));
	/*
	 * The cached L1 mapping lives for one check: a new machine of the same
	 * layout has the same L0 descriptors but its DRAM may be mapped
	 * elsewhere in the host (fx_setup boots one per test without inv_reset).
	 */
	cached_l0d = ~0ULL;
	cached_l1 = NULL;
	if (!(gpccr & GPCCR_GPC)) {
		viol("GPC disabled (GPCCR_EL3 %#llx): every PAS reaches every granule",
		     (unsigned long long)gpccr);
		return false;
	}
	if (GPCCR_PGS(gpccr) != GPCCR_PGS_4K) {
		viol("GPCCR_EL3.PGS %llu, not 4K", (unsigned long long)GPCCR_PGS(gpccr));
		return false;
	}
	gr.t = gpt_pps_bits(GPCCR_PPS(gpccr));
	gr.s = 30 + (unsigned)GPCCR_L0GPTSZ(gpccr);
	if (gr.t == 0 || gr.s > gr.t) {
		viol("GPCCR_EL3 geometry invalid (%#llx)", (unsigned long long)gpccr);
		return false;
	}
	gr.l0_pa = GPTBR_TO_PA(plat_read_gptbr());
	gr.l0_entries = 1ULL << (gr.t - gr.s);
	gr.l0 = plat_map(PAS_ROOT, gr.l0_pa, gr.l0_entries * 8, &f);
	if (!gr.l0) {
		viol("GPT L0 table at %#llx is not Root memory", (unsigned long long)gr.l0_pa);
		return false;
	}
	return true;
}

/*
 * The L1 descriptor (16 GPIs) covering the 64 KiB-aligned group at pa, or a
 * block's GPI repeated; false for a walk fault.
 */
static bool gpt_group_desc(uint64_t pa, uint64_t *desc)
{
	uint64_t l0i = pa >> gr.s;
	uint64_t d;
	struct plat_fault f;

	if (l0i >= gr.l0_entries)
		return false;
	d = gr.l0[l0i];
	if ((d & GPT_L0_TYPE_MASK) == GPT_L0_TYPE_BLOCK) {
		unsigned gpi = (unsigned)GPT_L0_BLOCK_GPI(d);
		if (!gpi_is_valid(gpi))
			return false;
		*desc = GPT_L1_FILL(gpi);
		return true;
	}
	if ((d & GPT_L0_TYPE_MASK) != GPT_L0_TYPE_TABLE)
		return false;
	if (d != cached_l0d || !cached_l1) {
		uint64_t l1_bytes = (1ULL << (gr.s - GPT_P - 4)) * 8;
		cached_l1 = plat_map(PAS_ROOT, GPT_L0_TABLE_ADDR(d), l1_bytes, &f);
		cached_l0d = d;
		if (!cached_l1)
			return false;
	}
	*desc = cached_l1[(pa & ((1ULL << gr.s) - 1)) >> (GPT_P + 4)];
	return true;
}

static int gpt_reader_gpi(uint64_t pa)
{
	uint64_t d;

	if (!gpt_group_desc(pa, &d))
		return -1;
	return (int)GPT_L1_GPI(d, (pa >> GPT_P) & 0xF);
}

/* Number of nibbles of d that differ from gpi. */
static unsigned nibbles_not(uint64_t d, unsigned gpi)
{
	uint64_t x = d ^ GPT_L1_FILL(gpi);

	x = (x | (x >> 1) | (x >> 2) | (x >> 3)) & 0x1111111111111111ULL;
	return (unsigned)__builtin_popcountll(x);
}

static unsigned expected_gpi(uint64_t idx)
{
	if (idx >= ic.root_lo && idx < ic.root_hi)
		return GPI_ROOT;
	if (idx >= ic.rmm_lo && idx < ic.rmm_hi)
		return GPI_REALM;
	if (idx >= ic.ns_lo && idx < ic.ns_hi)
		return GPI_NS; /* for granules in RMM state NS */
	return GPI_NO_ACCESS;
}

static bool in_ns_region(uint64_t idx)
{
	return idx >= ic.ns_lo && idx < ic.ns_hi;
}

/*
 * GPT scan: Root region all ROOT, RMM region all REALM, and in the NS region
 * exactly as many non-NS GPIs as there are granules in a realm state there
 * (each of which check_isolation_granule proves REALM).
 */
static void check_gpt(uint64_t ns_region_owned)
{
	uint64_t nonns_gpis = 0;

	for (uint64_t i = 0; i < ic.nr; i += GPT_L1_GPIS_PER_DESC) {
		uint64_t d;
		uint64_t pa = gpa(i);

		if (!gpt_group_desc(pa, &d)) {
			viol("GPT walk fault for PA %#llx", (unsigned long long)pa);
			continue;
		}
		/* Fast path: a group inside one region. */
		uint64_t last = i + GPT_L1_GPIS_PER_DESC - 1;
		unsigned e0 = expected_gpi(i);
		if (last < ic.nr && expected_gpi(last) == e0 &&
		    IS_ALIGNED(i, GPT_L1_GPIS_PER_DESC)) {
			if (e0 == GPI_NS) {
				nonns_gpis += nibbles_not(d, GPI_NS);
				continue;
			}
			if (e0 == GPI_NO_ACCESS || d == GPT_L1_FILL(e0))
				continue;
		}
		for (uint64_t k = i; k <= last && k < ic.nr; k++) {
			unsigned e = expected_gpi(k);
			unsigned gpi = (unsigned)GPT_L1_GPI(d, (gpa(k) >> GPT_P) & 0xF);

			if (e == GPI_NS) {
				nonns_gpis += gpi != GPI_NS;
			} else if (e != GPI_NO_ACCESS && gpi != e) {
				viol("%s-region granule %#llx has GPI %#x, expected %#x",
				     e == GPI_ROOT ? "Root" : "RMM", (unsigned long long)gpa(k),
				     gpi, e);
			}
		}
	}
	if (nonns_gpis != ns_region_owned) {
		/* Find the granules in RMM state NS whose GPI is not NS. */
		unsigned shown = 0;

		viol("NS region: %llu granules with a GPI other than NS, %llu in realm states",
		     (unsigned long long)nonns_gpis, (unsigned long long)ns_region_owned);
		for (uint64_t k = ic.ns_lo; k < ic.ns_hi && shown < 4; k++) {
			int gpi = gpt_reader_gpi(gpa(k));

			if (granule_get_state(G(k)) == GRANULE_STATE_NS && gpi != GPI_NS) {
				viol("granule %#llx is NS for the RMM but has GPI %#x",
				     (unsigned long long)gpa(k), gpi);
				shown++;
			}
		}
	}
}

/* Must an NS-PAS access to pa fault? Reports if it does not. */
static void probe_ns_faults(uint64_t idx, const char *what)
{
	struct plat_fault f;
	uint8_t b;

	if (plat_read(PAS_NS, gpa(idx), &b, 1, &f) == 0)
		viol("%s granule %#llx is readable from the Non-secure PAS", what,
		     (unsigned long long)gpa(idx));
}

/*
 * A granule in a realm state: in the NS region, GPI REALM (the checker's own
 * GPT walk, every check), and -- when `probe` -- also by the monitor's
 * reading and not NS-readable through the GPC (TLB included). The caller
 * probes every granule, or past INV_PROBES_PER_CHECK of them those whose
 * state changed since the last check plus a rotating share: a GPC TLB entry
 * can only go stale when a GPI changes, and the GPT is read in full anyway.
 */
static void check_isolation_granule(uint64_t idx, unsigned state, bool probe)
{
	uint64_t pa = gpa(idx);
	int gpi = gpt_reader_gpi(pa);
	int mgpi = probe ? monitor_gpt_read_gpi(pa) : GPI_REALM;

	if (!in_ns_region(idx))
		viol("%s granule %#llx lies outside the NS region (%s memory)", sname(state),
		     (unsigned long long)pa,
		     idx >= ic.root_lo && idx < ic.root_hi ? "Root"
		     : idx >= ic.rmm_lo && idx < ic.rmm_hi ? "RMM"
							   : "unmapped");
	if (gpi != GPI_REALM || mgpi != GPI_REALM)
		viol("%s granule %#llx has GPI %#x (monitor says %d), not REALM", sname(state),
		     (unsigned long long)pa, gpi, mgpi);
	if (probe)
		probe_ns_faults(idx, sname(state));
}

static void probe_rotor(uint64_t *rotor, uint64_t lo, uint64_t hi, const char *what)
{
	if (hi <= lo)
		return;
	probe_ns_faults(lo, what);
	probe_ns_faults(hi - 1, what);
	for (unsigned k = 0; k < INV_ROTOR_PROBES; k++) {
		probe_ns_faults(lo + *rotor % (hi - lo), what);
		*rotor += 1;
	}
}

/* An NS granule must not be reachable from the Realm PAS (stale GPC TLB). */
static void probe_realm_faults(uint64_t idx)
{
	if (plat_gpc_check(PAS_REALM, gpa(idx), NULL) == 0)
		viol("NS granule %#llx (was %s) is still reachable from the Realm PAS",
		     (unsigned long long)gpa(idx), sname(ic.prev_state[idx]));
}

/* ---- 2. scrubbing ----------------------------------------------------- */

static void check_delegated_zero(uint64_t idx)
{
	struct plat_fault f;
	const uint64_t *p = plat_map(PAS_REALM, gpa(idx), GRANULE_SIZE, &f);
	uint64_t acc = 0;

	if (!p) {
		viol("DELEGATED granule %#llx is not reachable from the Realm PAS",
		     (unsigned long long)gpa(idx));
		return;
	}
	for (unsigned i = 0; i < GRANULE_SIZE / 8; i += 8)
		acc |= p[i] | p[i + 1] | p[i + 2] | p[i + 3] | p[i + 4] | p[i + 5] | p[i + 6] |
		       p[i + 7];
	if (acc) {
		unsigned off = 0;
		while (p[off] == 0)
			off++;
		viol("DELEGATED granule %#llx is not zero (word at +%#x = %#llx)",
		     (unsigned long long)gpa(idx), off * 8, (unsigned long long)p[off]);
	}
}

/* ---- 3. ownership, refcounts, RTT trees ------------------------------- */

struct rd_info {
	uint64_t idx; /* granule index of the RD */
	const struct rd *rd;
	uint64_t recs;	/* RECs naming it */
	uint64_t bound; /* Container Realms bound to it (Fasco) */
	bool sane;	/* parameters good enough to walk */
	/* Container RECs in each address-space slot (rd->rb_as), by their as_tag. */
	uint32_t as_users[GRANULE_FASCO_OWNER_MAX];
};

static struct rd_info rds[INV_MAX_RDS];
static unsigned nrds;

/* TF-RMM's rule: root RTTs needed for ipa_bits at starting level sl. */
static uint64_t num_root_rtts(uint64_t ipa_bits, int64_t sl)
{
	uint64_t sl_bits = (uint64_t)(RTT_PAGE_LEVEL - sl) * 9 + GRANULE_SHIFT + 9;

	if (sl_bits >= ipa_bits)
		return 1;
	return 1ULL << (ipa_bits - sl_bits);
}

static void check_rd(struct rd_info *ri)
{
	const struct rd *rd = ri->rd;
	uint64_t pa = gpa(ri->idx);
	int64_t sl = rd->rtt_level_start;

	ri->sane = false;
	if (rd->state > REALM_SYSTEM_OFF)
		viol("RD %#llx: realm state %llu", (unsigned long long)pa,
		     (unsigned long long)rd->state);
	if (rd->ipa_bits < RMM_MIN_IPA_BITS || rd->ipa_bits > RMM_MAX_IPA_BITS || sl < 0 ||
	    sl > RTT_PAGE_LEVEL) {
		viol("RD %#llx: ipa_bits %llu / start level %lld out of range",
		     (unsigned long long)pa, (unsigned long long)rd->ipa_bits, (long long)sl);
		return;
	}
	/* Architecture: the starting level must resolve more than the levels below. */
	uint64_t min_bits = (uint64_t)(RTT_PAGE_LEVEL - sl) * 9 + GRANULE_SHIFT + 1;
	uint64_t max_bits = (uint64_t)(RTT_PAGE_LEVEL - sl) * 9 + GRANULE_SHIFT + 9 + 4;
	if (rd->ipa_bits < min_bits || rd->ipa_bits > max_bits) {
		viol("RD %#llx: ipa_bits %llu impossible at start level %lld",
		     (unsigned long long)pa, (unsigned long long)rd->ipa_bits, (long long)sl);
		return;
	}
	if (rd->rtt_num_start != num_root_rtts(rd->ipa_bits, sl)) {
		viol("RD %#llx: %llu root RTTs, the architecture needs %llu for s2sz %llu level "
		     "%lld",
		     (unsigned long long)pa, (unsigned long long)rd->rtt_num_start,
		     (unsigned long long)num_root_rtts(rd->ipa_bits, sl),
		     (unsigned long long)rd->ipa_bits, (long long)sl);
		return;
	}
	if (rd->vmid >= VMID_COUNT) {
		viol("RD %#llx: VMID %llu out of range", (unsigned long long)pa,
		     (unsigned long long)rd->vmid);
	} else {
		uint64_t *w = &ic.vmid_seen[rd->vmid / 64];
		if (*w & BIT(rd->vmid % 64))
			viol("VMID %llu used by two realms (RD %#llx)",
			     (unsigned long long)rd->vmid, (unsigned long long)pa);
		*w |= BIT(rd->vmid % 64);
		if (rmm_globals.vmid_bitmap &&
		    !(rmm_globals.vmid_bitmap[rd->vmid / 64] & BIT(rd->vmid % 64)))
			viol("RD %#llx: VMID %llu not reserved in the RMM's bitmap",
			     (unsigned long long)pa, (unsigned long long)rd->vmid);
	}
	if (!IS_ALIGNED(rd->rtt_base, rd->rtt_num_start * GRANULE_SIZE))
		viol("RD %#llx: %llu root RTTs at %#llx, not aligned to their size",
		     (unsigned long long)pa, (unsigned long long)rd->rtt_num_start,
		     (unsigned long long)rd->rtt_base);
	for (uint64_t k = 0; k < rd->rtt_num_start; k++) {
		uint64_t r = gidx(rd->rtt_base + k * GRANULE_SIZE);

		if (r == UINT64_MAX) {
			viol("RD %#llx: root RTT %#llx is not a DRAM granule",
			     (unsigned long long)pa,
			     (unsigned long long)(rd->rtt_base + k * GRANULE_SIZE));
			return;
		}
		if (granule_get_state(G(r)) != GRANULE_STATE_RTT) {
			viol("RD %#llx: root RTT %#llx is %s", (unsigned long long)pa,
			     (unsigned long long)gpa(r), sname(granule_get_state(G(r))));
			return;
		}
	}
	ri->sane = true;
}

/* Container RECs' channels, matched against the mapped channels after the walks. */
static struct chan_claim {
	uint64_t rec, chan, sys_rd, sys_ipa;
} claims[INV_MAX_RDS];
static unsigned nclaims;
/* Channels found in each RD's tree (index as rds[]). */
static unsigned ri_channels[INV_MAX_RDS];

/* RECs seen this check: (RD granule, MPIDR index) must be unique. */
#define INV_MAX_RECS 4096
static struct rec_seen {
	uint64_t rd, rec_idx, pa;
} recs_seen[INV_MAX_RECS];
static unsigned nrecs_seen;

static void check_rec(uint64_t idx)
{
	struct plat_fault f;
	const struct rec *rec = plat_map(PAS_REALM, gpa(idx), sizeof(*rec), &f);
	uint64_t pa = gpa(idx);

	if (!rec) {
		viol("REC %#llx is not Realm memory", (unsigned long long)pa);
		return;
	}
	if (granule_refcount_read(G(idx)) != 0)
		viol("REC %#llx has refcount %u outside REC_ENTER", (unsigned long long)pa,
		     granule_refcount_read(G(idx)));
	uint64_t r = gidx(rec->rd_addr);
	if (r == UINT64_MAX || granule_get_state(G(r)) != GRANULE_STATE_RD || !ic.rd_slot[r]) {
		viol("REC %#llx names RD %#llx, which is %s", (unsigned long long)pa,
		     (unsigned long long)rec->rd_addr,
		     r == UINT64_MAX ? "not a granule" : sname(granule_get_state(G(r))));
	} else {
		struct rd_info *ri = &rds[ic.rd_slot[r] - 1];

		ri->recs++;
		/* Its MPIDR index: below the realm's REC count, its own, and unique. */
		if (rec->rec_idx >= ri->rd->rec_count ||
		    mpidr_to_rec_idx(rec->mpidr) != rec->rec_idx)
			viol("REC %#llx: index %llu (MPIDR %#llx) but the realm has made %llu RECs",
			     (unsigned long long)pa, (unsigned long long)rec->rec_idx,
			     (unsigned long long)rec->mpidr, (unsigned long long)ri->rd->rec_count);
		for (unsigned k = 0; k < nrecs_seen; k++) {
			if (recs_seen[k].rd == r && recs_seen[k].rec_idx == rec->rec_idx)
				viol("RECs %#llx and %#llx of realm %#llx share MPIDR index %llu",
				     (unsigned long long)recs_seen[k].pa, (unsigned long long)pa,
				     (unsigned long long)gpa(r), (unsigned long long)rec->rec_idx);
		}
		if (nrecs_seen < INV_MAX_RECS)
			recs_seen[nrecs_seen++] = (struct rec_seen){r, rec->rec_idx, pa};
		/* Fasco: a container REC belongs to a Container Realm; its channel is checked
		 * later. */
		if (rec->fasco.container != (ri->rd->rb_kind == RB_REALM_KIND_CONTAINER))
			viol("REC %#llx: container flag %d in a realm of kind %llu",
			     (unsigned long long)pa, rec->fasco.container,
			     (unsigned long long)ri->rd->rb_kind);
		/* Its address space: a live slot of its RD, the same plat_as. */
		if (rec->fasco.as_tag > GRANULE_FASCO_OWNER_MAX ||
		    (rec->fasco.as_tag == 0 && rec->fasco.as != NULL))
			viol("REC %#llx: address-space tag %u with as %p", (unsigned long long)pa,
			     rec->fasco.as_tag, (void *)rec->fasco.as);
		else if (rec->fasco.as_tag != 0) {
			const struct rb_as_slot *sl = &ri->rd->rb_as[rec->fasco.as_tag - 1];

			ri->as_users[rec->fasco.as_tag - 1]++;
			if (sl->as == NULL || sl->as != rec->fasco.as)
				viol("REC %#llx: address space %p, its slot %u holds %p",
				     (unsigned long long)pa, (void *)rec->fasco.as,
				     rec->fasco.as_tag - 1, (void *)sl->as);
		}
		if (rec->fasco.channel && nclaims < INV_MAX_RDS)
			claims[nclaims++] = (struct chan_claim){
				pa, rec->fasco.channel, rec->fasco.sys_rd, rec->fasco.sys_ipa};
		else if (rec->fasco.channel)
			viol("more than %u channels: checker limit", INV_MAX_RDS);
	}
	if (rec->num_aux > RMI_REC_MAX_AUX) {
		viol("REC %#llx: num_aux %llu", (unsigned long long)pa,
		     (unsigned long long)rec->num_aux);
		return;
	}
	for (uint64_t k = 0; k < rec->num_aux; k++) {
		uint64_t a = gidx(rec->aux[k]);

		if (a == UINT64_MAX || granule_get_state(G(a)) != GRANULE_STATE_REC_AUX) {
			viol("REC %#llx: aux[%llu] %#llx is %s", (unsigned long long)pa,
			     (unsigned long long)k, (unsigned long long)rec->aux[k],
			     a == UINT64_MAX ? "not a granule" : sname(granule_get_state(G(a))));
			continue;
		}
		if (ic.reach[a]++)
			viol("REC_AUX %#llx is in two aux lists (again in REC %#llx)",
			     (unsigned long long)rec->aux[k], (unsigned long long)pa);
	}
}

/* Entry kinds as the documented encoding (s2tte.h) defines them. */
enum kind { K_UNASSIGNED, K_ASSIGNED, K_UNASSIGNED_NS, K_ASSIGNED_NS, K_TABLE, K_BAD };

static const char *const kind_names[] = {"UNASSIGNED",	"ASSIGNED", "UNASSIGNED_NS",
					 "ASSIGNED_NS", "TABLE",    "BAD"};

/*
 * Decode entry d at `level` whose IPA is in the unprotected half if ns.
 * *why names what is wrong with a K_BAD entry.
 */
static enum kind decode(uint64_t d, long level, bool ns, uint64_t *oa, const char **bad)
{
	*oa = d & S2TT_OA_MASK;
	if (d & S2TT_DESC_VALID) {
		uint64_t type = d & S2TT_DESC_TYPE_MASK;

		if (level < RTT_PAGE_LEVEL && type == S2TT_DESC_TABLE_TYPE)
			return K_TABLE;
		if (!((level == RTT_PAGE_LEVEL && type == S2TT_DESC_PAGE) ||
		      (level == RTT_MIN_BLOCK_LEVEL && type == S2TT_DESC_BLOCK))) {
			*bad = "valid descriptor of a type not allowed at this level";
			return K_BAD;
		}
		if (!IS_ALIGNED(*oa, RTT_LEVEL_SIZE(level))) {
			*bad = "valid leaf with an OA not aligned to its level";
			return K_BAD;
		}
		if (ns) {
			if (!(d & S2TT_NS)) {
				*bad = "valid unprotected leaf without the NS bit (maps Realm PAS)";
				return K_BAD;
			}
			return K_ASSIGNED_NS;
		}
		if (d & S2TT_NS) {
			*bad = "valid protected leaf with the NS bit";
			return K_BAD;
		}
		return K_ASSIGNED;
	}
	if (ns)
		return K_UNASSIGNED_NS;
	uint64_t hipas = EXTRACT_BITS(d, 4, 2);
	uint64_t ripas = EXTRACT_BITS(d, 6, 5);
	if (ripas > RIPAS_DESTROYED) {
		*bad = "RIPAS field 3";
		return K_BAD;
	}
	switch (hipas) {
	case S2TTE_HIPAS_UNASSIGNED:
		return K_UNASSIGNED;
	case S2TTE_HIPAS_ASSIGNED:
		if (ripas == RIPAS_RAM) {
			*bad = "invalid entry says ASSIGNED with RIPAS RAM";
			return K_BAD;
		}
		if (level < RTT_MIN_BLOCK_LEVEL) {
			*bad = "ASSIGNED entry above the block levels";
			return K_BAD;
		}
		if (!IS_ALIGNED(*oa, RTT_LEVEL_SIZE(level))) {
			*bad = "ASSIGNED entry with an OA not aligned to its level";
			return K_BAD;
		}
		return K_ASSIGNED;
	case S2TTE_HIPAS_UNASSIGNED_NS:
		*bad = "UNASSIGNED_NS entry in the protected half";
		return K_BAD;
	default:
		*bad = "reserved HIPAS";
		return K_BAD;
	}
}

static enum kind kind_of_state(enum s2tte_state s)
{
	switch (s) {
	case S2TTE_UNASSIGNED:
		return K_UNASSIGNED;
	case S2TTE_ASSIGNED:
		return K_ASSIGNED;
	case S2TTE_UNASSIGNED_NS:
		return K_UNASSIGNED_NS;
	case S2TTE_ASSIGNED_NS:
		return K_ASSIGNED_NS;
	case S2TTE_TABLE:
		return K_TABLE;
	}
	return K_BAD;
}

struct walk_ctx {
	const struct rd_info *ri;
	uint64_t par;		  /* first unprotected IPA */
	uint64_t ipa_top;	  /* 2^ipa_bits */
	struct plat_s2_config s2; /* what the RMM programs for this realm's RECs */
};

/*
 * The hardware's view of an entry, through the platform's stage-2 walker:
 * a protected RAM page must translate to exactly its DATA granule in the
 * Realm PAS; an unprotected mapping, if it translates, to its OA in the NS
 * PAS; anything else must not translate at all. Run for every entry of a
 * table whose contents changed (and for one entry of each run of equal
 * invalid entries), so the walker and the RMM's encoding are cross-checked.
 */
static void check_hw_view(const struct walk_ctx *w, uint64_t ipa, enum kind k, uint64_t d,
			  uint64_t oa, long level)
{
	struct plat_exception exc;
	enum pas pas = PAS_SECURE;
	uint64_t pa = 0;
	int ret = plat_s2_translate(&w->s2, ipa, false, &pa, &pas, &exc);
	bool valid = (d & S2TT_DESC_VALID) != 0;

	if (k == K_ASSIGNED && valid) {
		if (ret != 0)
			viol("realm %#llx IPA %#llx (L%ld, RAM -> %#llx): the stage-2 walker "
			     "faults (ESR %#llx)",
			     (unsigned long long)gpa(w->ri->idx), (unsigned long long)ipa, level,
			     (unsigned long long)oa, (unsigned long long)exc.esr);
		else if (pa != oa || pas != PAS_REALM)
			viol("realm %#llx IPA %#llx (L%ld, RAM -> %#llx): the stage-2 walker gives "
			     "%#llx in "
			     "PAS %d",
			     (unsigned long long)gpa(w->ri->idx), (unsigned long long)ipa, level,
			     (unsigned long long)oa, (unsigned long long)pa, (int)pas);
	} else if (k == K_ASSIGNED_NS) {
		if (ret == 0 && (pa != oa || pas != PAS_NS))
			viol("realm %#llx IPA %#llx (unprotected -> %#llx): the stage-2 walker "
			     "gives %#llx "
			     "in PAS %d",
			     (unsigned long long)gpa(w->ri->idx), (unsigned long long)ipa,
			     (unsigned long long)oa, (unsigned long long)pa, (int)pas);
	} else if (ret == 0) {
		viol("realm %#llx IPA %#llx (L%ld, %s entry %#llx) translates to %#llx in PAS %d",
		     (unsigned long long)gpa(w->ri->idx), (unsigned long long)ipa, level,
		     kind_names[k], (unsigned long long)d, (unsigned long long)pa, (int)pas);
	}
}

/*
 * What a table's entries point at: a child RTT (n == 0) or n DATA granules
 * from idx. Decoding 512 entries is the expensive part of a check, so each
 * RTT granule keeps a copy of the entries it had when last decoded without
 * a violation, and the references found then; if the entries (and the walk
 * context) are unchanged, only the references are checked again -- states,
 * reached-once counts and the refcount are re-evaluated on every check.
 */
struct tref {
	uint32_t idx;
	uint16_t e; /* entry index, for messages */
	uint16_t n; /* 0: TABLE -> RTT at idx; else DATA granules idx .. idx+n-1 */
	uint64_t ipa;
	uint64_t s2ap; /* ASSIGNED: S2AP of a valid entry, or ~0 for an invalid one */
};

struct tcache {
	bool valid;
	uint64_t rd_idx, ipa_base, par, ipa_top;
	long level;
	unsigned live, nrefs;
	uint64_t copy[RTT_ENTRIES];
	struct tref refs[RTT_ENTRIES];
};

static struct tcache **tcache; /* by granule index, allocated on first use */

static void tcache_free(void)
{
	if (!tcache)
		return;
	for (uint64_t i = 0; i < ic.nr; i++)
		free(tcache[i]);
	free(tcache);
	tcache = NULL;
}

static void walk_table(const struct walk_ctx *w, uint64_t idx, long level, uint64_t ipa_base);

/*
 * Decode the 512 entries of table t into tc (live count and references);
 * report every malformed entry. Returns false if anything was reported.
 */
static bool decode_table(const struct walk_ctx *w, uint64_t idx, const uint64_t *t, long level,
			 uint64_t ipa_base, struct tcache *tc)
{
	const uint64_t rdpa = gpa(w->ri->idx);
	const uint64_t esz = RTT_LEVEL_SIZE(level);
	unsigned nviol0 = ic.nviol;
	uint64_t last_nonlive = 0; /* an entry just found non-live, with last_ns */
	bool last_ns = false, have_last = false;

	tc->live = 0;
	tc->nrefs = 0;
	for (unsigned e = 0; e < RTT_ENTRIES; e++) {
		uint64_t d = t[e];
		uint64_t ipa = ipa_base + e * esz;
		bool ns = ipa >= w->par;
		const char *bad = "";
		uint64_t oa;
		enum kind k;

		/* Fast path: the all-zero UNASSIGNED / UNASSIGNED_NS entry. */
		if (d == 0 && ipa < w->ipa_top)
			continue;
		/* Runs of one non-live value (a table of UNASSIGNED RAM, of UNASSIGNED_NS). */
		if (have_last && d == last_nonlive && ns == last_ns && ipa < w->ipa_top)
			continue;
		k = decode(d, level, ns, &oa, &bad);
		if (k == K_BAD) {
			viol("realm %#llx RTT %#llx L%ld [%u] (IPA %#llx) = %#llx: %s",
			     (unsigned long long)rdpa, (unsigned long long)gpa(idx), level, e,
			     (unsigned long long)ipa, (unsigned long long)d, bad);
			continue;
		}
		/* The RMM's own decoder must agree with the documented encoding. */
		enum kind rk = kind_of_state(s2tte_get_state(d, level, ns));
		bool rlive = s2tte_is_live(d, level, ns);
		bool mlive = k == K_ASSIGNED || k == K_ASSIGNED_NS || k == K_TABLE;
		if (rk != k || rlive != mlive)
			viol("realm %#llx RTT %#llx L%ld [%u] = %#llx: s2tte.h says %s%s, encoding "
			     "says %s",
			     (unsigned long long)rdpa, (unsigned long long)gpa(idx), level, e,
			     (unsigned long long)d, kind_names[rk], rlive ? " (live)" : "",
			     kind_names[k]);
		if (!mlive) {
			if (rk == k && !rlive) {
				last_nonlive = d;
				last_ns = ns;
				have_last = true;
			}
			if (ipa < w->ipa_top)
				check_hw_view(w, ipa, k, d, oa, level);
			continue;
		}
		tc->live++;
		if (k != K_TABLE && ipa < w->ipa_top)
			check_hw_view(w, ipa, k, d, oa, level);
		if (ipa >= w->ipa_top) {
			viol("realm %#llx RTT %#llx L%ld [%u]: live %s entry beyond the IPA space "
			     "(%#llx)",
			     (unsigned long long)rdpa, (unsigned long long)gpa(idx), level, e,
			     kind_names[k], (unsigned long long)ipa);
			continue;
		}
		if (k == K_TABLE) {
			uint64_t c = gidx(oa);

			if (c == UINT64_MAX) {
				viol("realm %#llx RTT %#llx L%ld [%u] (IPA %#llx): TABLE -> %#llx, "
				     "not a granule",
				     (unsigned long long)rdpa, (unsigned long long)gpa(idx), level,
				     e, (unsigned long long)ipa, (unsigned long long)oa);
				continue;
			}
			tc->refs[tc->nrefs++] =
				(struct tref){.idx = (uint32_t)c, .e = (uint16_t)e, .ipa = ipa};
		} else if (k == K_ASSIGNED) {
			/* Protected: every granule of the page/block must be DATA, mapped once. */
			uint64_t n = esz >> GRANULE_SHIFT;
			uint64_t c0 = gidx(oa);

			if (c0 == UINT64_MAX || c0 + n > ic.nr) {
				viol("realm %#llx IPA %#llx: ASSIGNED to %#llx, outside DRAM",
				     (unsigned long long)rdpa, (unsigned long long)ipa,
				     (unsigned long long)oa);
				continue;
			}
			tc->refs[tc->nrefs++] = (struct tref){
				.idx = (uint32_t)c0,
				.e = (uint16_t)e,
				.n = (uint16_t)n,
				.ipa = ipa,
				.s2ap = (d & S2TT_DESC_VALID) ? d & S2TT_S2AP_MASK : ~0ULL};
		}
		/* ASSIGNED_NS: the host's OA, reached through the NS PAS (decode checked the bit).
		 */
	}
	return ic.nviol == nviol0;
}

/*
 * Fasco channels (rmm/fasco.h): a CHANNEL granule is mapped once, as a
 * read-only level-3 page, into a System Realm, and bound to exactly one
 * container REC that names that realm and IPA.
 */
#define INV_MAX_CHANNELS 1024
static struct chan_seen {
	uint64_t idx, sys_rd, ipa;
	unsigned claims; /* container RECs naming it */
} chans[INV_MAX_CHANNELS];
static unsigned nchans;

static void channel_mapped(const struct rd_info *ri, uint64_t c, uint64_t ipa, const struct tref *t)
{
	const uint64_t rdpa = gpa(ri->idx);

	if (ri->rd->rb_kind != RB_REALM_KIND_SYSTEM)
		viol("channel %#llx mapped at IPA %#llx of realm %#llx, not a System Realm",
		     (unsigned long long)gpa(c), (unsigned long long)ipa, (unsigned long long)rdpa);
	if (t->n != 1 || t->s2ap != S2TT_S2AP_RO)
		viol("channel %#llx mapped at IPA %#llx of realm %#llx as %s, not a read-only page",
		     (unsigned long long)gpa(c), (unsigned long long)ipa, (unsigned long long)rdpa,
		     t->n != 1		       ? "a block"
		     : t->s2ap == ~0ULL	       ? "an invalid entry (RIPAS not RAM)"
		     : t->s2ap == S2TT_S2AP_RW ? "a writable page"
					       : "a page without read access");
	if (ic.reach[c]++) {
		viol("channel %#llx mapped twice (again by realm %#llx at IPA %#llx)",
		     (unsigned long long)gpa(c), (unsigned long long)rdpa, (unsigned long long)ipa);
		return;
	}
	if (nchans < INV_MAX_CHANNELS)
		chans[nchans++] = (struct chan_seen){c, ri->idx, ipa, 0};
	ri_channels[ri - rds]++;
}

/* After the walks: every container REC's channel is one of those mapped, as it says. */
static void check_channel_claims(void)
{
	for (unsigned k = 0; k < nclaims; k++) {
		const struct chan_claim *cl = &claims[k];
		struct chan_seen *ch = NULL;

		for (unsigned j = 0; j < nchans && !ch; j++)
			if (gpa(chans[j].idx) == cl->chan)
				ch = &chans[j];
		if (!ch) {
			viol("container REC %#llx names channel %#llx, which no System Realm maps",
			     (unsigned long long)cl->rec, (unsigned long long)cl->chan);
			continue;
		}
		ch->claims++;
		if (gpa(ch->sys_rd) != cl->sys_rd || ch->ipa != cl->sys_ipa)
			viol("container REC %#llx: channel %#llx at %#llx of realm %#llx, mapped "
			     "at %#llx of "
			     "realm %#llx",
			     (unsigned long long)cl->rec, (unsigned long long)cl->chan,
			     (unsigned long long)cl->sys_ipa, (unsigned long long)cl->sys_rd,
			     (unsigned long long)ch->ipa, (unsigned long long)gpa(ch->sys_rd));
	}
	for (unsigned j = 0; j < nchans; j++) {
		if (chans[j].claims != 1)
			viol("channel %#llx is bound to %u container RECs",
			     (unsigned long long)gpa(chans[j].idx), chans[j].claims);
	}
}

/* Check what a table points at (every check, cached or not) and walk its children. */
static void follow_refs(const struct walk_ctx *w, uint64_t idx, long level, const struct tref *refs,
			unsigned nrefs)
{
	const uint64_t rdpa = gpa(w->ri->idx);

	for (unsigned r = 0; r < nrefs; r++) {
		const struct tref *t = &refs[r];

		if (t->n == 0) {
			unsigned s = G(t->idx)->state;

			if (s != GRANULE_STATE_RTT) {
				viol("realm %#llx RTT %#llx L%ld [%u] (IPA %#llx): TABLE -> %#llx, "
				     "which is %s",
				     (unsigned long long)rdpa, (unsigned long long)gpa(idx), level,
				     t->e, (unsigned long long)t->ipa,
				     (unsigned long long)gpa(t->idx), sname(s));
				continue;
			}
			if (ic.reach[t->idx]++) {
				viol("RTT %#llx reached twice (again from realm %#llx RTT %#llx "
				     "L%ld [%u])",
				     (unsigned long long)gpa(t->idx), (unsigned long long)rdpa,
				     (unsigned long long)gpa(idx), level, t->e);
				continue;
			}
			walk_table(w, t->idx, level + 1, t->ipa);
			continue;
		}
		for (uint64_t c = t->idx; c < (uint64_t)t->idx + t->n; c++) {
			unsigned s = G(c)->state;
			uint64_t ipa = t->ipa + ((c - t->idx) << GRANULE_SHIFT);

			if (s == GRANULE_STATE_CHANNEL) {
				channel_mapped(w->ri, c, ipa, t);
				continue;
			}
			if (s != GRANULE_STATE_DATA)
				viol("realm %#llx IPA %#llx (L%ld): ASSIGNED to %#llx, which is %s",
				     (unsigned long long)rdpa, (unsigned long long)ipa, level,
				     (unsigned long long)gpa(c), sname(s));
			else if (ic.reach[c]++)
				viol("DATA %#llx mapped twice (again by realm %#llx at IPA %#llx)",
				     (unsigned long long)gpa(c), (unsigned long long)rdpa,
				     (unsigned long long)ipa);
			else
				ic.data_rd[c] = (uint16_t)(w->ri - rds + 1);
		}
	}
}

static void walk_table(const struct walk_ctx *w, uint64_t idx, long level, uint64_t ipa_base)
{
	struct plat_fault f;
	const uint64_t *t = plat_map(PAS_REALM, gpa(idx), GRANULE_SIZE, &f);
	struct tcache *tc;
	unsigned rc = granule_refcount_read(G(idx));

	if (!t) {
		viol("RTT %#llx is not Realm memory", (unsigned long long)gpa(idx));
		return;
	}
	ic.st.rtt_entries += RTT_ENTRIES;
	if ((uint64_t)level > ic.st.max_depth)
		ic.st.max_depth = (uint64_t)level;
	if (!tcache) {
		tcache = calloc(ic.nr, sizeof(*tcache));
		assert(tcache != NULL);
	}
	tc = tcache[idx];
	if (!tc) {
		tc = tcache[idx] = malloc(sizeof(*tc));
		assert(tc != NULL);
		tc->valid = false;
	}
	if (!(tc->valid && tc->rd_idx == w->ri->idx && tc->level == level &&
	      tc->ipa_base == ipa_base && tc->par == w->par && tc->ipa_top == w->ipa_top &&
	      memcmp(tc->copy, t, GRANULE_SIZE) == 0)) {
		ic.st.rtt_decoded++;
		tc->valid = decode_table(w, idx, t, level, ipa_base, tc);
		if (tc->valid) {
			memcpy(tc->copy, t, GRANULE_SIZE);
			tc->rd_idx = w->ri->idx;
			tc->level = level;
			tc->ipa_base = ipa_base;
			tc->par = w->par;
			tc->ipa_top = w->ipa_top;
		}
	}
	if (rc != tc->live)
		viol("realm %#llx RTT %#llx (L%ld, IPA %#llx): refcount %u, live entries %u",
		     (unsigned long long)gpa(w->ri->idx), (unsigned long long)gpa(idx), level,
		     (unsigned long long)ipa_base, rc, tc->live);
	follow_refs(w, idx, level, tc->refs, tc->nrefs);
}

static void walk_realm(const struct rd_info *ri)
{
	const struct rd *rd = ri->rd;
	struct walk_ctx w = {
		.ri = ri,
		.par = 1ULL << (rd->ipa_bits - 1),
		.ipa_top = 1ULL << rd->ipa_bits,
		.s2 =
			{
				.rtt_base = rd->rtt_base,
				.rtt_level_start = (int)rd->rtt_level_start,
				.rtt_num_start = (unsigned)rd->rtt_num_start,
				.ipa_bits = (unsigned)rd->ipa_bits,
				.vmid = (uint16_t)rd->vmid,
			},
	};
	uint64_t r0 = gidx(rd->rtt_base);

	for (uint64_t k = 0; k < rd->rtt_num_start; k++) {
		uint64_t r = r0 + k;

		if (ic.reach[r]++) {
			viol("root RTT %#llx of realm %#llx is reached twice",
			     (unsigned long long)gpa(r), (unsigned long long)gpa(ri->idx));
			continue;
		}
		walk_table(&w, r, rd->rtt_level_start,
			   k * RTT_ENTRIES * RTT_LEVEL_SIZE(rd->rtt_level_start));
	}
}

/* ---- the check ---------------------------------------------------------- */

/*
 * Fasco address spaces (rmm/fasco_as.c): every page a Container Realm's
 * slot maps is a DATA granule of that realm; an unshared one is mapped
 * once, in the slot its OWNER tag names; a SHARED one exactly refcount
 * times over all of the realm's slots; an unmapped one (OWNER 0) nowhere.
 */
struct as_walk {
	unsigned r, slot;
};

static void as_page(uint64_t va, uint64_t pa, unsigned prot, void *arg)
{
	const struct as_walk *aw = arg;
	uint64_t c = gidx(pa);
	const struct granule *g;

	(void)prot;
	if (c == UINT64_MAX || G(c)->state != GRANULE_STATE_DATA || ic.data_rd[c] != aw->r + 1) {
		viol("realm %#llx address space %u maps VA %#llx to %#llx, not DATA of the realm",
		     (unsigned long long)gpa(rds[aw->r].idx), aw->slot, (unsigned long long)va,
		     (unsigned long long)pa);
		return;
	}
	g = G(c);
	if (!(g->fasco & GRANULE_FASCO_SHARED) &&
	    (g->fasco & GRANULE_FASCO_OWNER_MASK) != aw->slot + 1)
		viol("DATA %#llx mapped at VA %#llx of address space %u carries OWNER %u",
		     (unsigned long long)pa, (unsigned long long)va, aw->slot,
		     g->fasco & GRANULE_FASCO_OWNER_MASK);
	ic.as_maps[c]++;
}

static void check_as_mappings(void)
{
	for (unsigned r = 0; r < nrds; r++) {
		if (rds[r].rd->rb_kind != RB_REALM_KIND_CONTAINER || !rds[r].sane)
			continue;
		for (unsigned k = 0; k < GRANULE_FASCO_OWNER_MAX; k++) {
			struct as_walk aw = {r, k};

			if (rds[r].rd->rb_as[k].as != NULL)
				plat_as_walk(rds[r].rd->rb_as[k].as, as_page, &aw);
		}
	}
	for (uint64_t n = 0; n < ic.nlist; n++) {
		uint64_t i = ic.list[n];
		const struct granule *g = G(i);
		uint32_t want;

		if (g->state != GRANULE_STATE_DATA || !ic.data_rd[i] ||
		    rds[ic.data_rd[i] - 1].rd->rb_kind != RB_REALM_KIND_CONTAINER)
			continue;
		want = (g->fasco & GRANULE_FASCO_SHARED)       ? g->refcount
		       : (g->fasco & GRANULE_FASCO_OWNER_MASK) ? 1
							       : 0;
		if (ic.as_maps[i] != want)
			viol("DATA %#llx (fasco %#x, refcount %u) is mapped %u times in its "
			     "realm's address spaces, not %u",
			     (unsigned long long)gpa(i), g->fasco, g->refcount, ic.as_maps[i],
			     want);
	}
}

int inv_check(char *why, size_t len)
{
	uint64_t ns_region_owned = 0;
	bool gpt_ok;

	/* First: prepare() may reset the checker's state (a new machine). */
	int prepared = prepare();

	ic.why = why;
	ic.len = len;
	ic.used = 0;
	ic.nviol = 0;
	if (why && len)
		why[0] = '\0';
	if (prepared != 0) {
		viol("no machine (granule array empty) or out of memory");
		return -1;
	}
	memset(ic.st.per_state, 0, sizeof(ic.st.per_state));
	ic.st.checks++;
	ic.st.rtt_entries = 0;
	ic.st.max_depth = 0;
	nrds = 0;

	/* Pass 1: the granule array. */
	const struct granule *ga = granule_at(0);
	ic.nlist = 0;
	for (uint64_t i = 0; i < ic.nr; i++) {
		const struct granule *g = &ga[i];
		uint64_t word;

		/* Fast path: NS, unlocked, refcount 0, and NS at the last check too. */
		memcpy(&word, g, sizeof(word));
		if (word == 0 && ic.prev_state[i] == GRANULE_STATE_NS)
			continue;
		unsigned s = g->state;

		if (__atomic_load_n(&g->lock.val, __ATOMIC_RELAXED) != 0)
			viol("granule %#llx (%s) is locked between RMI calls",
			     (unsigned long long)gpa(i), sname(s));
		if (s == GRANULE_STATE_NS) {
			if (g->refcount)
				viol("NS granule %#llx has refcount %u", (unsigned long long)gpa(i),
				     g->refcount);
			if (ic.prev_state[i] != GRANULE_STATE_NS) {
				/* Just undelegated: the Realm PAS must have lost it. */
				if (in_ns_region(i))
					probe_realm_faults(i);
				ic.prev_state[i] = GRANULE_STATE_NS;
			}
			continue;
		}
		if (s >= GRANULE_STATE_NR) {
			viol("granule %#llx has state %u", (unsigned long long)gpa(i), s);
			continue;
		}
		ic.list[ic.nlist++] = (uint32_t)i | (ic.prev_state[i] != s ? INV_CHANGED : 0);
		ic.prev_state[i] = (uint8_t)s;
		ic.reach[i] = 0;
		ic.rd_slot[i] = 0;
		if (in_ns_region(i))
			ns_region_owned++;
	}
	ic.st.non_ns = ic.nlist;
	ic.st.per_state[GRANULE_STATE_NS] = ic.nr - ic.nlist;

	/* 1. Isolation. */
	gpt_ok = gpt_reader_init();
	if (gpt_ok)
		check_gpt(ns_region_owned);
	probe_rotor(&ic.root_rotor, ic.root_lo, ic.root_hi, "Root-region");
	probe_rotor(&ic.rmm_rotor, ic.rmm_lo, ic.rmm_hi, "RMM-region");
	if (ic.ns_hi > ic.ns_lo) {
		for (unsigned k = 0; k < INV_NS_ROTOR_PROBES; k++) {
			uint64_t i = ic.ns_lo + ic.ns_rotor++ % (ic.ns_hi - ic.ns_lo);
			if (granule_get_state(G(i)) == GRANULE_STATE_NS)
				probe_realm_faults(i);
		}
	}

	/* Pass 2: every non-NS granule. */
	uint64_t share = ic.nlist / INV_PROBES_PER_CHECK + 1;
	for (uint64_t n = 0; n < ic.nlist; n++) {
		bool changed = ic.list[n] & INV_CHANGED;
		uint64_t i = ic.list[n] &= ~INV_CHANGED;
		const struct granule *g = &ga[i];
		unsigned s = g->state;

		ic.st.per_state[s]++;
		ic.data_rd[i] = 0;
		ic.as_maps[i] = 0;
		if (s != GRANULE_STATE_DATA && g->fasco)
			viol("%s granule %#llx carries Fasco DATA bookkeeping %#x", sname(s),
			     (unsigned long long)gpa(i), g->fasco);
		if (gpt_ok)
			check_isolation_granule(i, s, changed || (n + ic.st.checks) % share == 0);
		switch (s) {
		case GRANULE_STATE_DELEGATED:
			check_delegated_zero(i);
			/* fall through */
		case GRANULE_STATE_DATA:
			if (g->fasco & GRANULE_FASCO_SHARED) {
				/* Fasco SHARE: mapped refcount times, as the first mapper said. */
				if (g->refcount == 0 || !(g->fasco & GRANULE_FASCO_OWNER_MASK) ||
				    !(g->fasco & GRANULE_FASCO_DIRTY))
					viol("SHARED DATA granule %#llx has refcount %u, fasco %#x",
					     (unsigned long long)gpa(i), g->refcount, g->fasco);
				break;
			}
			/* fall through */
		case GRANULE_STATE_REC_AUX:
		case GRANULE_STATE_CHANNEL:
			if (g->refcount)
				viol("%s granule %#llx has refcount %u", sname(s),
				     (unsigned long long)gpa(i), g->refcount);
			break;
		case GRANULE_STATE_RD: {
			struct plat_fault f;
			const struct rd *rd = plat_map(PAS_REALM, gpa(i), sizeof(struct rd), &f);

			if (!rd) {
				viol("RD %#llx is not Realm memory", (unsigned long long)gpa(i));
				break;
			}
			if (nrds == INV_MAX_RDS) {
				viol("more than %u RDs: checker limit", INV_MAX_RDS);
				break;
			}
			rds[nrds] = (struct rd_info){.idx = i, .rd = rd};
			ic.rd_slot[i] = ++nrds;
			break;
		}
		default:
			break;
		}
	}
	ic.st.realms = nrds;

	/* RDs (VMIDs, roots), then RECs (which count per RD), then the trees. */
	for (unsigned r = 0; r < nrds; r++)
		check_rd(&rds[r]);
	nrecs_seen = 0;
	nclaims = 0;
	nchans = 0;
	memset(ri_channels, 0, sizeof(ri_channels[0]) * nrds);
	for (uint64_t n = 0; n < ic.nlist; n++) {
		if (G(ic.list[n])->state == GRANULE_STATE_REC)
			check_rec(ic.list[n]);
	}
	for (unsigned r = 0; r < nrds; r++) {
		unsigned rc = granule_refcount_read(G(rds[r].idx));

		if (rc != rds[r].recs)
			viol("RD %#llx: refcount %u, RECs %llu",
			     (unsigned long long)gpa(rds[r].idx), rc,
			     (unsigned long long)rds[r].recs);
		if (rds[r].sane)
			walk_realm(&rds[r]);
		if (rds[r].rd->vmid < VMID_COUNT)
			ic.vmid_seen[rds[r].rd->vmid / 64] = 0;
	}

	/* Fasco: channels as the RECs say; kinds, bindings and counts as the RDs say. */
	check_channel_claims();
	for (unsigned r = 0; r < nrds; r++) {
		const struct rd *rd = rds[r].rd;
		uint64_t pa = gpa(rds[r].idx);

		if (rd->rb_kind >= RB_REALM_KIND_NR) {
			viol("RD %#llx: realm kind %llu", (unsigned long long)pa,
			     (unsigned long long)rd->rb_kind);
			continue;
		}
		for (unsigned k = 0; k < GRANULE_FASCO_OWNER_MAX; k++) {
			/* Every REC in a slot holds one reference; a slot with users is live. */
			if (rd->rb_as[k].refs != rds[r].as_users[k] ||
			    (rd->rb_as[k].refs != 0 && rd->rb_as[k].as == NULL))
				viol("RD %#llx: address-space slot %u has refs %u and as %p, %u RECs "
				     "in it",
				     (unsigned long long)pa, k, rd->rb_as[k].refs,
				     (void *)rd->rb_as[k].as, rds[r].as_users[k]);
		}
		if (rd->rb_kind == RB_REALM_KIND_CONTAINER) {
			uint64_t s = gidx(rd->rb_system_rd);
			if (s == UINT64_MAX || !ic.rd_slot[s] ||
			    rds[ic.rd_slot[s] - 1].rd->rb_kind != RB_REALM_KIND_SYSTEM)
				viol("Container Realm %#llx is bound to %#llx, not a System Realm",
				     (unsigned long long)pa, (unsigned long long)rd->rb_system_rd);
			else
				rds[ic.rd_slot[s] - 1].bound++;
			if (rd->rec_count > CONTAINER_MAX_RECS)
				viol("Container Realm %#llx has made %llu RECs (too many)",
				     (unsigned long long)pa, (unsigned long long)rd->rec_count);
		} else if (rd->rb_system_rd) {
			viol("realm %#llx of kind %llu is bound to %#llx", (unsigned long long)pa,
			     (unsigned long long)rd->rb_kind, (unsigned long long)rd->rb_system_rd);
		}
	}
	for (unsigned r = 0; r < nrds; r++) {
		const struct rd *rd = rds[r].rd;
		uint64_t bound = __atomic_load_n(&rd->rb_bound, __ATOMIC_RELAXED);
		uint64_t channels = __atomic_load_n(&rd->rb_channels, __ATOMIC_RELAXED);

		if (bound != rds[r].bound || (rds[r].sane && channels != ri_channels[r]))
			viol("realm %#llx counts %llu bound containers and %llu channels; found "
			     "%llu and %u",
			     (unsigned long long)gpa(rds[r].idx), (unsigned long long)bound,
			     (unsigned long long)channels, (unsigned long long)rds[r].bound,
			     ri_channels[r]);
	}

	/* No VMID reserved without a live realm (a leak, or a double free's twin). */
	if (rmm_globals.vmid_bitmap) {
		uint64_t reserved = 0;

		for (uint64_t w = 0; w < VMID_COUNT / 64; w++)
			reserved += (uint64_t)__builtin_popcountll(rmm_globals.vmid_bitmap[w]);
		if (reserved != nrds)
			viol("%llu VMIDs reserved in the RMM's bitmap, %u realms live",
			     (unsigned long long)reserved, nrds);
	}

	/* Orphans: every RTT, DATA and REC_AUX granule reached exactly once. */
	for (uint64_t n = 0; n < ic.nlist; n++) {
		uint64_t i = ic.list[n];
		unsigned s = G(i)->state;

		if ((s == GRANULE_STATE_RTT || s == GRANULE_STATE_DATA ||
		     s == GRANULE_STATE_REC_AUX || s == GRANULE_STATE_CHANNEL) &&
		    ic.reach[i] == 0)
			viol("%s granule %#llx is orphaned (no realm reaches it)", sname(s),
			     (unsigned long long)gpa(i));
	}

	check_as_mappings();

	if (ic.nviol > INV_MAX_DETAILED && why && len > ic.used + 1)
		snprintf(why + ic.used, len - ic.used, "; ... %u violations in all", ic.nviol);
	ic.why = NULL;
	return ic.nviol ? -1 : 0;
}
