/*
 * The trusted-core invariant checker: a debug view of the whole machine
 * (granule array, GPT, RDs, RECs, RTT trees) that tests run between RMI
 * calls to show that hostile host input never breaks what the RMM and the
 * monitor promise (cca-spec §2, DESIGN.md §5). Test code only: it reads RMM
 * and monitor internals directly and never takes a lock.
 *
 * What it checks, on the machine booted by the harness (th_layout):
 *  1. Isolation. Every granule in an RMM state other than NS lies in the NS
 *     region, has GPI REALM in the GPT (read by the checker's own walk and by
 *     monitor_gpt_read_gpi) and an NS-PAS plat_read of it faults; every NS
 *     granule of the NS region has GPI NS; the Root region is GPI ROOT and
 *     the RMM region GPI REALM, neither NS-readable; a granule that has just
 *     become NS again is no longer Realm-PAS reachable (stale GPC TLB).
 *  2. Scrubbing. Every unlocked DELEGATED granule reads as zeros (Realm PAS).
 *  3. Ownership and refcounts. No granule lock is held between calls; RD
 *     refcount = number of RECs that name it; REC refcount 0 (outside
 *     REC_ENTER); every REC's aux granules are REC_AUX and each belongs to
 *     exactly one REC; each RD's parameters are sane (VMID unique, root RTT
 *     count as the architecture requires for s2sz/level); walking every RD's
 *     RTT tree: each RTT's refcount = its live entries, every TABLE entry
 *     points at an RTT granule reached exactly once, every protected
 *     ASSIGNED entry lies in the protected half and maps DATA granules each
 *     reached exactly once, every valid unprotected entry carries the NS
 *     bit, nothing live lies beyond the realm's IPA space; every entry's
 *     encoding is one s2tte.h documents and s2tte_get_state/is_live agree;
 *     the platform's stage-2 walker translates each RAM page of a changed
 *     table to exactly its DATA granule and nothing else at all; no RTT,
 *     DATA, REC_AUX or CHANNEL granule is orphaned; DATA/DELEGATED/REC_AUX/
 *     CHANNEL refcounts are 0; a REC's MPIDR index is its own, below the
 *     realm's REC count and unique in it; no VMID is reserved without a realm.
 *  4. Fasco. Realm kinds are valid, a Container Realm is bound to a System
 *     Realm whose rb_bound counts it; each CHANNEL granule is mapped once, as
 *     a read-only page, into a System Realm (rb_channels counts them) and is
 *     the channel of exactly one container REC, at the IPA that REC names;
 *     granule.fasco is 0 unless the granule is DATA.
 *
 * Cost: one pass over the granule array and the GPT's L1 descriptors, a
 * zero scan of each DELEGATED granule, and a walk of every RTT; a table
 * whose entries did not change since the last check is not decoded again
 * (what it points at is re-checked every time).
 *
 * Not covered: memory of Fasco container address spaces (plat_as), DATA
 * content, measurements, REC register state, and anything in flight:
 * inv_check needs a quiescent machine.
 *
 * Side effects: the NS/Realm-PAS probes count GPFs and GPT walks in the
 * platform counters (PLAT_CNT_GPF, PLAT_CNT_GPT_WALK); nothing else changes.
 */
#ifndef TESTS_INVARIANTS_H
#define TESTS_INVARIANTS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Check every invariant. Returns 0 if all hold; -1 with a description of
 * the first violations (NUL-terminated, truncated to len) in why.
 * The machine must be booted (th_boot) and no RMI call may be in progress.
 */
int inv_check(char *why, size_t len);

/*
 * Forget what earlier checks remembered (the previous granule states used
 * to find granules that changed since the last check). th_boot of a new
 * machine must be followed by inv_reset (inv_check does it itself when the
 * machine's size or layout changed).
 */
void inv_reset(void);

/* Statistics of the last inv_check, for tests and for reports. */
struct inv_stats {
	uint64_t checks;       /* inv_check calls since inv_reset */
	uint64_t non_ns;       /* granules not in state NS */
	uint64_t per_state[8]; /* granules per RMM state (enum granule_state) */
	uint64_t realms;       /* RDs walked */
	uint64_t rtt_entries;  /* RTT entries walked (cached tables included) */
	uint64_t rtt_decoded;  /* tables decoded afresh since inv_reset (content changed) */
	uint64_t max_depth;    /* deepest RTT level reached by a walk */
};
void inv_get_stats(struct inv_stats *out);

#endif /* TESTS_INVARIANTS_H */
