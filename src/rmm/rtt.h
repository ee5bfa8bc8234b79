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
 * *top/*ripas, or -EINVAL.
 */
int rtt_ripas_range(const struct rd *rd, uint64_t base, uint64_t end, uint64_t *top, uint64_t *ripas);

/*
 * Tear-down helper for REALM_DESTROY: true if every entry of the root
 * tables is non-live (no TABLE, no ASSIGNED). Caller holds the RD lock.
 */
bool rtt_root_is_empty(const struct rd *rd);

#endif /* RMM_RTT_H */
