/*
 * Realm Translation Tables: stage-2 tables in RTT granules, in the
 * architectural descriptor format plus the RMM's software encoding of
 * invalid entries (s2tte.h). The walk, the RTT_* and DATA_* commands'
 * helpers, and realm memory access for RSI buffers.
 */
#ifndef RMM_RTT_H
#define RMM_RTT_H

#include "arch/arch.h"
#include "rmm/granule.h"
#include "rmm/realm.h"

struct rtt_walk {
	struct granule *g_llt; /* locked table at last_level */
	uint64_t index;        /* entry index in the (concatenated) table */
	long last_level;       /* level reached: target_level or where a non-table entry stopped it */
};

/*
 * Walk the realm's RTT for ipa from the starting level towards
 * target_level, locking hand over hand (root first). Concatenated root
 * tables are one table of rtt_num_start * 512 entries whose first granule is
 * locked. The walk stops early at an entry that is not a table. Returns with
 * wi->g_llt locked; the caller unlocks it.
 */
void rtt_walk_lock_unlock(const struct rd *rd, uint64_t ipa, long target_level, struct rtt_walk *wi);

/* The entry the walk ended on (g_llt must be locked). */
uint64_t rtt_walk_read(const struct rtt_walk *wi);
void rtt_walk_write(const struct rtt_walk *wi, uint64_t s2tte);

/*
 * RIPAS and state of the page at protected ipa (walk under lock, released).
 * Returns 0 with *ripas and *assigned (RIPAS_* / true if ASSIGNED with
 * RAM), or -EINVAL for an IPA outside the PAR.
 */
int rtt_ipa_state(const struct rd *rd, uint64_t ipa, uint64_t *ripas, bool *assigned);

/*
 * Copy between RMM memory and realm memory at protected ipa, within one
 * granule, only if the IPA is ASSIGNED with RIPAS RAM (the walk lock is held
 * across the copy). Returns 0, -EINVAL (crosses a granule / not in PAR) or
 * -EFAULT (not assigned RAM).
 */
int realm_ipa_read(const struct rd *rd, uint64_t ipa, void *dst, size_t len);
int realm_ipa_write(const struct rd *rd, uint64_t ipa, const void *src, size_t len);

/*
 * IPA_STATE_GET helper: from base (protected, granule aligned) up to end,
 * the largest top such that [base, top) has one RIPAS. Returns 0 with
 * *top and *ripas set, or -EINVAL.
 */
int rtt_ripas_range(const struct rd *rd, uint64_t base, uint64_t end, uint64_t *top, uint64_t *ripas);

/*
 * Tear-down helper for REALM_DESTROY: true if every entry of the root
 * tables is non-live (no TABLE, no ASSIGNED). Caller holds the RD lock.
 */
bool rtt_root_is_empty(const struct rd *rd);

/* ---- Internals shared by the RTT module (rtt*.c, data.c, ripas.c) ---- */

/* Is ipa inside the realm's IPA space and aligned to a level-`level` entry? */
bool rtt_ipa_valid(const struct rd *rd, uint64_t ipa, long level);

/* Entries of the table at `level`: rtt_num_start * 512 at the start level. */
uint64_t rtt_table_entries(const struct rd *rd, long level);

/*
 * Entry `index` of the locked table whose (first) granule is g_tbl: for
 * concatenated roots the entry may live in a following granule.
 */
uint64_t *rtt_entry_ptr(struct granule *g_tbl, uint64_t index);

/*
 * The granule that holds entry `index` of the table g_tbl, and the one
 * holding the entry a walk ended on. Each RTT granule's refcount counts the
 * live entries it holds, including each of the concatenated roots (only
 * the first root's lock is taken for all of them).
 */
struct granule *rtt_entry_granule(struct granule *g_tbl, uint64_t index);
struct granule *rtt_walk_granule(const struct rtt_walk *wi);

/*
 * Top of the run of non-live entries that starts at the entry the walk
 * ended on (the "top" output of DATA_DESTROY, RTT_DESTROY,
 * RTT_UNMAP_UNPROTECTED): the IPA of the next live entry in the same
 * table, or the table's end, capped at 2^s2sz; ipa itself if that entry is
 * live. g_llt must be locked.
 */
uint64_t rtt_skip_non_live(const struct rd *rd, uint64_t ipa, const struct rtt_walk *wi);

/*
 * Stage-2 TLB invalidation for the realm's [ipa, ipa + size) after a valid
 * entry was removed or changed (break-before-make). plat.h has no stage-2
 * TLB (plat_s2_translate walks memory each time), so this is the one place
 * a platform TLBI by IPA goes once the platform caches translations.
 */
void rtt_tlbi(const struct rd *rd, uint64_t ipa, uint64_t size);

/* Add n to / set to zero the refcount of a locked RTT granule. */
void rtt_refcount_add(struct granule *g, unsigned n);
void rtt_refcount_clear(struct granule *g);

#endif /* RMM_RTT_H */
