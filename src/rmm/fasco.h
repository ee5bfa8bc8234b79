/*
 * The RMM's Fasco extension (DESIGN.md §3, docs/fasco-abi.md): realm kinds,
 * forwarding channels, exception forwarding from Container Realm RECs, the
 * System Realm's RSI calls and their verification. The hooks the spec code
 * (realm.c, rec.c, rec_enter.c, rsi.c, data.c) calls are declared here;
 * each returns 0 / a negative errno, a bool, or (at an ABI edge) a status.
 *
 * Lock order (extends granule.h): RD and REC granules in ascending PA (a
 * container REC is locked by the System Realm's RSI calls), then RTTs root
 * to leaf -- the Container Realm's before the System Realm's when both are
 * held --, then DATA and CHANNEL granules. KICK locks a CHANNEL granule
 * under the System Realm's RTT leaf lock and never a REC. An address
 * space's slot lock (fasco_as_lock) comes after the REC locks and the
 * bounce buffer's lock, before any RTT; the RD's rb_as_lock is a leaf.
 */
#ifndef RMM_FASCO_H
#define RMM_FASCO_H

#include "arch/arch.h"
#include "arch/fasco.h"
#include "arch/rmi.h"
#include "plat/plat.h"
#include "rmm/granule.h"
#include "rmm/realm.h"
#include "rmm/rec.h"
#include "rmm/rsi_handlers.h"

/* ---- Realm kinds (fasco_realm.c) --------------------------------------- */

/* The extension area of a params image (unaligned-safe copy). */
void fasco_params_ext(const struct rmi_realm_params *p, struct rb_realm_params_ext *ext);

/* Checks of the extension that need no lock. */
bool fasco_params_ext_valid(const struct rb_realm_params_ext *ext);

/*
 * REALM_CREATE of a Container Realm: may the locked RD granule g_sys be its
 * System Realm (a System Realm, NEW or ACTIVE)?
 */
bool fasco_system_rd_valid(struct granule *g_sys);

/* Commit the kind into a new RD (and bind a container; g_sys locked or NULL). */
void fasco_realm_create(struct rd *rd, const struct rb_realm_params_ext *ext,
			struct granule *g_sys);

/* REALM_DESTROY: may this realm go (a System Realm with containers or channels may not)? */
bool fasco_realm_destroy_allowed(const struct rd *rd);
/* REALM_DESTROY commit: unbind a container from its System Realm. */
void fasco_realm_destroyed(const struct rd *rd);

/* REC_CREATE: may this realm get another REC (at most 31 per Container Realm)? */
bool fasco_rec_create_allowed(const struct rd *rd);
void fasco_rec_created(struct rec *rec, const struct rd *rd);

/*
 * REC_DESTROY of a container REC (locked, not running): false if it still
 * has a channel. fasco_rec_destroyed() then leaves its address space
 * (after its PE is gone): if no other REC runs in it, it is freed and every
 * granule it mapped (its OWNER tag) scrubbed and released.
 */
bool fasco_rec_destroy_allowed(const struct rec *rec);
void fasco_rec_destroyed(struct rec *rec);

/*
 * Recycle a container REC whose process EXITED (locked, not running, with a
 * channel) for a fork or thread into it: if it is alone in its address
 * space, every page unmapped, the granules scrubbed and released (the
 * address space and an A64 PE are kept; a native test PE is destroyed);
 * if other RECs still run in it, it leaves it (fasco_as_leave). Request
 * state cleared (not started, IDLE), registers and FP zeroed. Publishes
 * the IDLE state to its channel.
 */
void fasco_rec_recycle(struct rec *rec);

/* ---- Address spaces (fasco_as.c) --------------------------------------- */

/*
 * Give the container REC `rec` (locked, without an address space) a new
 * empty one in a free slot of its RD: tag rec_idx + 1 when that slot is
 * free, else the lowest free one. 0, -ENOMEM, -EBUSY (no free slot), -EINVAL
 * (it has one).
 */
int fasco_as_new(struct rec *rec);

/*
 * RSI_RB_THREAD's commit: `child` (locked, without address space or PE)
 * runs in the address space of `parent` (locked, with one) from now on.
 */
void fasco_as_share(struct rec *child, const struct rec *parent);

/* How many RECs run in rec's address space (0: it has none). */
unsigned fasco_as_users(const struct rec *rec);

/*
 * rec (locked, not running) leaves its address space: its PE is destroyed
 * first (also when it has no address space). If it was the last REC in
 * it, the address space is destroyed and every granule carrying its tag
 * scrubbed and released; otherwise the pages stay, the others' memory.
 */
void fasco_as_leave(struct rec *rec);

/*
 * Scrub and release every DATA granule of rec's realm whose OWNER tag is
 * `tag` and that is not SHARED.
 */
void fasco_as_release_tag(const struct rec *rec, unsigned tag);

/*
 * The granule at pa, mapped in an address space whose lock the caller
 * holds, is about to be mapped once more (SHARE): it becomes SHARED with
 * refcount 2, or its refcount grows. 0, -EINVAL (not a mapped DATA
 * granule), -ENOSPC (GRANULE_FASCO_MAPS_MAX mappings already).
 */
int fasco_page_get(uint64_t pa);

/*
 * The granule at pa (a mapped DATA granule) loses one address-space
 * mapping: a SHARED granule still mapped elsewhere only counts it; else it
 * is scrubbed and released (fresh again).
 */
void fasco_page_put(uint64_t pa);

/* Unmap every page of `as` (no PE attached), each granule put (fasco_page_put). */
void fasco_as_empty(struct plat_as *as);

/*
 * Serialise changes and copies of rec's address space made through the
 * channels of different RECs (its slot's lock; nothing if it has none).
 */
void fasco_as_lock(const struct rec *rec);
void fasco_as_unlock(const struct rec *rec);

/*
 * File-backed MAP_SHARED ranges of rec's address space (lib/syncmap.h).
 * fasco_as_sync_inside: is [va, va+len) inside one (its lock held)?
 * fasco_as_sync_complete: rec's pending system call completes with
 * `result` (COMPLETE): the ranges it adds (only over pages not mapped yet)
 * or drops. fasco_as_sync_fork: the child gets the parent's ranges
 * (FORK_REGS: the same mappings; an address space is made for it if it
 * has none and the parent has ranges).
 */
bool fasco_as_sync_inside(const struct rec *rec, uint64_t va, uint64_t len);
void fasco_as_sync_complete(struct rec *rec, uint64_t result);
void fasco_as_sync_fork(struct rec *child, const struct rec *parent);
/* rec's address space has no sync range any more (recycling: a new process). */
void fasco_as_sync_clear(const struct rec *rec);

/* ---- Channels (fasco_channel.c) ---------------------------------------- */

/* What an RSI call needs of its channel, found and locked. */
struct fasco_call {
	struct rec *sys_rec;	  /* the calling System Realm REC */
	struct granule *g_sys_rd; /* its RD (not locked: pinned by the running REC) */
	const struct rd *sys_rd;
	struct granule *g_crec; /* the container REC, locked */
	struct rec *crec;
	struct rd *crd;		/* its realm (fixed fields read unlocked; counters atomic) */
	struct granule *g_chan; /* channel granule (not locked) */
};

/*
 * Find the channel mapped at chan_ipa of the calling System Realm and lock
 * its container REC. Returns 0, -EINVAL (not a System Realm, not a channel
 * of this realm), -EBUSY (the container REC is running).
 */
int fasco_channel_get(struct rec *sys_rec, struct granule *g_sys_rd, uint64_t chan_ipa,
		      struct fasco_call *c);
void fasco_channel_put(struct fasco_call *c);

/*
 * KICK's way to a container REC that may be running on another thread: the
 * channel mapped at chan_ipa of the System Realm g_sys_rd, its granule
 * returned LOCKED in *g_chan (so CHANNEL_DESTROY, and hence REC_DESTROY,
 * cannot proceed and the REC stays a REC), and its container REC in *crec,
 * NOT locked: only its atomic fields and `pe` may be touched. 0 or -EINVAL.
 * Release with granule_unlock(*g_chan).
 */
int fasco_channel_pin(struct granule *g_sys_rd, uint64_t chan_ipa, struct granule **g_chan,
		      struct rec **crec);

/*
 * Two channels of the calling System Realm at once (a fork: parent and
 * child), their container RECs locked in ascending PA. Same results; the
 * same REC twice is -EINVAL.
 */
int fasco_channel_get2(struct rec *sys_rec, struct granule *g_sys_rd, uint64_t ipa1, uint64_t ipa2,
		       struct fasco_call *c1, struct fasco_call *c2);

/* Mirror the RMM's request state into the channel granule. */
void fasco_channel_publish(const struct rec *crec);

/* ---- Forwarding (fasco_forward.c) ---------------------------------------- */

/*
 * REC_ENTER of a container REC (locked): RMI status. Needs a channel, no
 * request still pending; creates the address space and, once started, the
 * PE (a native test guest registered at pc, else the A64 engine on `as`).
 */
uint64_t fasco_rec_enter_prepare(struct rec *rec);

/*
 * Complete the previous exit of a container REC before it runs: post the
 * START request, report an ended REC, or apply COMPLETE's result. Returns
 * false with *exit filled if the REC must exit at once.
 */
bool fasco_rec_resume(struct rec *rec, struct rmi_rec_exit *exit);

/*
 * An exception of a container REC (g_rec its granule, not locked). Returns
 * true if Fasco took it: the request is in the channel and *exit is the
 * forward exit (or it was resumed in place: *resume = true). With
 * rec->fasco.exitless the REC is parked as the request is posted.
 */
bool fasco_rec_exception(struct rec *rec, struct granule *g_rec, const struct plat_exception *exc,
			 struct rmi_rec_exit *exit, bool *resume);

/* How long a parked REC waits for COMPLETE before it exits after all. */
#define FASCO_EXITLESS_WAIT_NS 50000ULL
/*
 * Waits that ran out in a row double the number of later requests posted
 * without a wait (1, 3, 7, ... 2^MAX - 1), so a System Realm too busy to
 * answer in time is not also spun against: a busy machine pays about one
 * wasted wait per 2^MAX requests instead of one per request.
 */
#define FASCO_EXITLESS_BACKOFF_MAX 6U

/*
 * Exitless forwarding: after fasco_rec_exception posted a request of a
 * parked REC (with rec->fasco.exitless and no backoff skip left), wait up to FASCO_EXITLESS_WAIT_NS for the System Realm's
 * COMPLETE (no lock held while waiting). Returns true when it came and the
 * REC runs on (*exit zeroed); false with *exit the exit to take: the forward
 * exit as posted (timed out, or the REC ended: it stays parked until its
 * next REC_ENTER, and COMPLETE leaves the resume to the host), or what
 * fasco_rec_resume says (the REC was kicked).
 */
bool fasco_rec_wait(struct rec *rec, struct granule *g_rec, struct rmi_rec_exit *exit);

/*
 * The run loop of a container REC ends with an interrupt (PLAT_PE_IRQ or its
 * resume budget): if it was kicked (the flag, consumed here), post a KICK
 * request and fill *exit with the forward exit: true. Else false (IRQ exit).
 */
bool fasco_rec_kicked(struct rec *rec, struct rmi_rec_exit *exit);

/* The REC's request := `kind`, without syndrome or arguments, at its sp and pc. */
void fasco_rec_set_request(struct rec *rec, uint64_t kind);

/* A container REC's FP/SIMD state: from its A64 PE, else what the REC saved, else zero. */
void fasco_rec_get_fp(struct rec *rec, struct plat_fp_state *fp);
/* Set it on its A64 PE, or save it in the REC for the PE's creation. */
void fasco_rec_set_fp(struct rec *rec, const struct plat_fp_state *fp);

/* ---- RSI (fasco_rsi.c) --------------------------------------------------- */

/* Is fid in the realmbox RSI range? */
bool fasco_rsi_fid(uint64_t fid);
/* Handle a realmbox RSI call (results in rec->regs). */
enum rsi_action fasco_rsi_handle(struct rec *rec, struct granule *g_rd, struct rmi_rec_exit *exit);

/* ---- Verification (fasco_verify.c) --------------------------------------- */

/* Container virtual addresses are below this (the A64 engine's 39 bits). */
#define RB_VA_LIMIT (1ULL << 39)

#define FASCO_DIR_IN 1u	 /* container -> System Realm */
#define FASCO_DIR_OUT 2u /* System Realm -> container */

/*
 * May the System Realm copy [va, va+len) of the container in direction dir
 * for the container REC's pending request? Only inside a range its own
 * arguments name (the per-syscall descriptor table), the signal-frame room
 * below its sp (out), or above it for rt_sigreturn (in).
 */
bool fasco_verify_copy(struct rec *crec, uint64_t va, uint64_t len, unsigned dir);

/*
 * Read container memory at va through its address space (pages mapped
 * with R). 0 or -EFAULT. Used by verification and the copies.
 */
int fasco_as_read(struct rec *crec, uint64_t va, void *buf, size_t len);

/*
 * The container page at va mapped with at least `prot` (PLAT_PROT_*): *p
 * points at the byte in the RMM's mapping of its DATA granule. 0, -EFAULT
 * (not mapped), -EACCES (mapped without prot).
 */
int fasco_as_page(struct rec *crec, uint64_t va, unsigned prot, uint8_t **p);

/* Count and log a refusal (both realms' counters). */
void fasco_refuse(struct fasco_call *c, const char *what, uint64_t a, uint64_t b);

/* Counter helpers. */
void fasco_count(uint64_t *ctr, uint64_t n);

#endif /* RMM_FASCO_H */
