/*
 * The RMM's encoding of stage-2 translation table entries (RTT entries).
 *
 * Valid entries (bit 0 = 1) are architectural (arch/s2tt.h), so the
 * platform's hardware stage-2 walker can use the tables as they are:
 *
 *   TABLE        levels 0-2, [1:0] = 0b11, OA = PA of the child RTT.
 *   ASSIGNED RAM protected half only; level 3 page ([1:0] = 0b11) or
 *                level 2 block ([1:0] = 0b01): OA | AF | SH inner-shareable
 *                | MemAttr Normal WB | S2AP RW.
 *   ASSIGNED_NS  unprotected half only; page or block with S2TT_NS | AF and
 *                the host's OA, MemAttr and S2AP (S2TT_NS_HOST_ATTR_MASK).
 *
 * Invalid entries (bit 0 = 0) carry software fields:
 *
 *   [4:2]   HIPAS: 0 UNASSIGNED, 1 ASSIGNED, 2 UNASSIGNED_NS
 *   [6:5]   RIPAS: 0 EMPTY, 1 RAM, 2 DESTROYED (as RIPAS_* in arch/rmi.h)
 *   [47:12] OA, for ASSIGNED entries (RIPAS EMPTY or DESTROYED: the realm
 *           has no access but the DATA granule stays mapped here)
 *
 *   An ASSIGNED entry with RIPAS RAM is always the valid descriptor above;
 *   an invalid entry never says ASSIGNED + RAM.
 *
 * Which half an entry belongs to is decided by its IPA, never by its bits:
 * callers pass `ns` = "the entry's IPA is in the unprotected half". In that
 * half every invalid entry reads as UNASSIGNED_NS, whatever its software
 * fields, and every valid leaf as ASSIGNED_NS. Hence an all-zero descriptor
 * is UNASSIGNED with RIPAS EMPTY in the protected half and UNASSIGNED_NS in
 * the unprotected half: a freshly delegated (zeroed) granule is a valid
 * empty RTT with no initialisation. RTT_CREATE still writes the explicit
 * UNASSIGNED_NS HIPAS in the unprotected half, which makes dumps readable.
 *
 * Blocks exist at level 2 only (RTT_MIN_BLOCK_LEVEL); level 1 and 0 entries
 * are tables or unassigned.
 *
 * Entries are read and written with single 64-bit atomic accesses because
 * the hardware walker of a running REC reads them without locks.
 */
#ifndef RMM_S2TTE_H
#define RMM_S2TTE_H

#include "arch/arch.h"
#include "arch/rmi.h"
#include "arch/s2tt.h"

/* Software fields of invalid entries. */
#define S2TTE_HIPAS_SHIFT 2
#define S2TTE_HIPAS_MASK GENMASK(4, 2)
#define S2TTE_HIPAS_UNASSIGNED 0ULL
#define S2TTE_HIPAS_ASSIGNED 1ULL
#define S2TTE_HIPAS_UNASSIGNED_NS 2ULL
#define S2TTE_RIPAS_SHIFT 5
#define S2TTE_RIPAS_MASK GENMASK(6, 5)

/* Attributes the RMM puts in a valid protected mapping of realm RAM. */
#define S2TTE_ATTR_RAM (S2TT_AF | S2TT_SH_IS | S2TT_MEMATTR_NORMAL_WB | S2TT_S2AP_RW)
/* Attributes the RMM adds to the host's in an unprotected mapping. */
#define S2TTE_ATTR_NS (S2TT_NS | S2TT_AF)

/* What an entry is, as the RMM sees it (its IPA half decides NS kinds). */
enum s2tte_state {
	S2TTE_UNASSIGNED = 0, /* protected half, RIPAS any */
	S2TTE_ASSIGNED,	      /* protected half, RIPAS any, has an OA */
	S2TTE_UNASSIGNED_NS,  /* unprotected half, invalid */
	S2TTE_ASSIGNED_NS,    /* unprotected half, host mapping */
	S2TTE_TABLE,	      /* levels 0-2: child RTT */
};

static inline uint64_t s2tte_read(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void s2tte_write(uint64_t *p, uint64_t s2tte)
{
	__atomic_store_n(p, s2tte, __ATOMIC_RELEASE);
}

/* ---- constructors ---------------------------------------------------- */

/* UNASSIGNED with `ripas` (RIPAS_EMPTY/RAM/DESTROYED). */
uint64_t s2tte_create_unassigned(uint64_t ripas);
/* UNASSIGNED_NS. */
uint64_t s2tte_create_unassigned_ns(void);
/*
 * ASSIGNED at `level` (2 or 3) with output pa (aligned to the level) and
 * `ripas`: the valid descriptor for RIPAS_RAM, an invalid one with the OA
 * kept for EMPTY/DESTROYED.
 */
uint64_t s2tte_create_assigned(uint64_t pa, long level, uint64_t ripas);
/* ASSIGNED_NS at `level` (2 or 3) from the host's desc (OA|MemAttr|S2AP). */
uint64_t s2tte_create_assigned_ns(uint64_t host_desc, long level);
/* TABLE pointing to the RTT at pa (levels 0-2). */
uint64_t s2tte_create_table(uint64_t pa);

/* ---- decoding -------------------------------------------------------- */

/* Is the entry at `level` an architectural table descriptor? */
bool s2tte_is_table(uint64_t s2tte, long level);
/* State of the entry at `level`; ns = its IPA is in the unprotected half. */
enum s2tte_state s2tte_get_state(uint64_t s2tte, long level, bool ns);
/* RIPAS of an UNASSIGNED/ASSIGNED entry; RIPAS_EMPTY for the other kinds. */
uint64_t s2tte_get_ripas(uint64_t s2tte, long level, bool ns);
/* OA of an ASSIGNED, ASSIGNED_NS or TABLE entry (aligned to the level). */
uint64_t s2tte_get_pa(uint64_t s2tte, long level);
/* What the host gave for an ASSIGNED_NS entry: OA | MemAttr | S2AP. */
uint64_t s2tte_get_ns_host_desc(uint64_t s2tte);
/* Live = TABLE, ASSIGNED or ASSIGNED_NS (what an RTT's refcount counts). */
bool s2tte_is_live(uint64_t s2tte, long level, bool ns);
/* Valid descriptor the realm can access (TABLE excluded). */
bool s2tte_is_valid_leaf(uint64_t s2tte, long level);

/*
 * RTT_MAP_UNPROTECTED's desc check: only S2TT_NS_HOST_ATTR_MASK bits, and
 * the OA aligned to the level's block size.
 */
bool s2tte_ns_host_desc_is_valid(uint64_t desc, long level);

/* ---- splitting and folding ------------------------------------------- */

/*
 * Entry i (0..511) of a new RTT at level parent_level+1 that replaces the
 * non-table entry `parent`: unassigned entries copy the parent's RIPAS (or
 * NS kind); ASSIGNED and ASSIGNED_NS blocks become contiguous pages with
 * the same RIPAS / attributes.
 */
uint64_t s2tte_split(uint64_t parent, long parent_level, bool ns, unsigned i);

/*
 * Can the 512 entries of an RTT at `level` be folded into one entry at
 * level-1? True with *parent set if all are UNASSIGNED with one RIPAS, all
 * UNASSIGNED_NS, or (when level-1 >= RTT_MIN_BLOCK_LEVEL) all ASSIGNED with
 * one RIPAS, or all ASSIGNED_NS with equal attributes, with contiguous OAs
 * starting at a level-1 block boundary. *live receives the number of live
 * entries of the table (0 or 512 when true).
 */
bool s2tt_fold_check(const uint64_t *table, long level, bool ns, uint64_t *parent, unsigned *live);

#endif /* RMM_S2TTE_H */
