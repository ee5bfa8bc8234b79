/*
 * The System Realm's Fasco RSI calls (arch/fasco.h, docs/fasco-abi.md):
 * take a forwarded request, copy container memory in and out, map, unmap
 * and protect container pages, set the container REC's registers, complete
 * the request, read a container's measured start configuration, build a
 * forked child (FORK_PAGE, FORK_REGS), read the registers (GET_REGS) and
 * kick a running container REC (KICK), and obtain the Container Realm's
 * attestation token (ATTEST_INIT/CONTINUE, rmm/attest.c's machinery),
 * make a REC a thread of another (THREAD: one address space, shared), and
 * give a fork child the parent's MAP_SHARED pages themselves (SHARE).
 *
 * Every call names a channel by the System Realm IPA it is mapped at and
 * locks the container REC behind it for the whole call -- except KICK,
 * which locks only the channel granule (the REC may be running). Arguments are
 * checked first (RSI_ERROR_INPUT), then the verification rules
 * (fasco_verify.c and the map rules below: a refusal is RSI_ERROR_INPUT,
 * counted in both realms and logged), and only then does anything change.
 */
#include "lib/assert.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "rmm/attest.h"
#include "rmm/fasco.h"
#include "rmm/measure.h"
#include "rmm/rtt.h"
#include "rmm/s2tte.h"

#define RB_UNMAP_MAX (1ULL << 30) /* one UNMAP/PROTECT covers at most 1 GiB */

typedef uint64_t (*fasco_rsi_fn)(struct fasco_call *c, uint64_t *x);

/* A whole granule bounced between two realms' locks (MAP's source, READ_CONFIG). */
static uint8_t bounce[GRANULE_SIZE];
static spinlock_t bounce_lock = SPINLOCK_INIT;

void fasco_refuse(struct fasco_call *c, const char *what, uint64_t a, uint64_t b)
{
	fasco_count(&rd_map(c->g_sys_rd)->rb_refusals, 1);
	if (c->crd != NULL)
		fasco_count(&c->crd->rb_refusals, 1);
	lib_log(LOG_WARN, "fasco", "refused: %s (0x%llx, 0x%llx) for container REC 0x%llx", what,
		(unsigned long long)a, (unsigned long long)b,
		(unsigned long long)(c->g_crec ? granule_addr(c->g_crec) : 0));
}

static bool request_pending(const struct rec *crec)
{
	return crec->fasco.state == RB_CHAN_PENDING || crec->fasco.state == RB_CHAN_TAKEN;
}

static void count_copy(struct fasco_call *c, uint64_t bytes)
{
	fasco_count(&rd_map(c->g_sys_rd)->rb_copies, 1);
	fasco_count(&rd_map(c->g_sys_rd)->rb_copy_bytes, bytes);
	fasco_count(&c->crd->rb_copies, 1);
	fasco_count(&c->crd->rb_copy_bytes, bytes);
}

/* Is [ipa, ipa+len) in the System Realm's protected space, every page assigned DATA? */
static bool sys_range_ok(const struct rd *sys, uint64_t ipa, uint64_t len)
{
	uint8_t dummy;

	if (ipa + len < ipa || !addr_in_par(sys, ipa) || !addr_in_par(sys, ipa + len - 1))
		return false;
	for (uint64_t p = ALIGN_DOWN(ipa, GRANULE_SIZE); p < ipa + len; p += GRANULE_SIZE) {
		if (realm_ipa_read(sys, p, &dummy, 0) != 0)
			return false;
	}
	return true;
}

/*
 * The DATA granule at protected container IPA cipa (RIPAS RAM). Returns 0
 * with the walk's leaf locked (*wi) and *g set (not locked); else nothing
 * is locked.
 */
static int container_data(const struct rd *crd, uint64_t cipa, struct rtt_walk *wi,
			  struct granule **g)
{
	uint64_t e, pa;
	long level;

	rtt_walk_lock_unlock(crd, cipa, RTT_PAGE_LEVEL, wi);
	level = wi->last_level;
	e = rtt_walk_read(wi);
	if (s2tte_get_state(e, level, false) != S2TTE_ASSIGNED ||
	    s2tte_get_ripas(e, level, false) != RIPAS_RAM) {
		granule_unlock(wi->g_llt);
		return -ENOENT;
	}
	pa = s2tte_get_pa(e, level) + ALIGN_DOWN(cipa & (RTT_LEVEL_SIZE(level) - 1), GRANULE_SIZE);
	*g = granule_find(pa);
	ASSERT(*g != NULL);
	return 0;
}

/* A System Realm's call on something that is not its channel: counted and logged. */
static void refuse_unbound(struct granule *g_rd, int ret, uint64_t fid, uint64_t ipa)
{
	struct fasco_call c;

	if (ret != -EINVAL || rd_map(g_rd)->rb_kind != RB_REALM_KIND_SYSTEM)
		return;
	memset(&c, 0, sizeof(c));
	c.g_sys_rd = g_rd; /* names no container: the System Realm's refusal only */
	fasco_refuse(&c, "call on a channel not bound to this realm", fid, ipa);
}

/* ---- Calls ---------------------------------------------------------------- */

static uint64_t handle_rsi_rb_take(struct fasco_call *c, uint64_t *x)
{
	struct rec_fasco *f = &c->crec->fasco;

	f->state = RB_CHAN_TAKEN;
	fasco_channel_publish(c->crec);
	x[1] = f->kind;
	x[2] = f->esr;
	x[3] = f->far;
	x[4] = f->seq;
	return RSI_SUCCESS;
}

static uint64_t handle_copy_locked(struct fasco_call *c, uint64_t va, uint64_t ipa, uint64_t len,
				   unsigned dir);

static uint64_t handle_rsi_rb_copy(struct fasco_call *c, uint64_t *x, unsigned dir)
{
	uint64_t va = x[2], ipa = x[3], len = x[4];

	if (len == 0 || len > RB_COPY_MAX || va + len < va || va + len > RB_VA_LIMIT ||
	    !sys_range_ok(c->sys_rd, ipa, len))
		return RSI_ERROR_INPUT;
	/* Other RECs of a shared address space may change it meanwhile: its lock. */
	fasco_as_lock(c->crec);
	x[1] = handle_copy_locked(c, va, ipa, len, dir);
	fasco_as_unlock(c->crec);
	return x[1] == len ? RSI_SUCCESS : RSI_ERROR_INPUT;
}

/* A copy with the address space locked: the bytes moved (< len: refused or cut short). */
static uint64_t handle_copy_locked(struct fasco_call *c, uint64_t va, uint64_t ipa, uint64_t len,
				   unsigned dir)
{
	unsigned prot = dir == FASCO_DIR_IN ? PLAT_PROT_R : PLAT_PROT_W;
	uint64_t done = 0;

	if (!fasco_verify_copy(c->crec, va, len, dir)) {
		fasco_refuse(c,
			     dir == FASCO_DIR_IN ? "copy-in outside the call's ranges"
						 : "copy-out outside the call's ranges",
			     va, len);
		return 0;
	}
	for (uint64_t p = ALIGN_DOWN(va, GRANULE_SIZE); p < va + len; p += GRANULE_SIZE) {
		uint8_t *ptr;

		if (fasco_as_page(c->crec, p, prot, &ptr) != 0) {
			fasco_refuse(c,
				     dir == FASCO_DIR_IN ? "copy-in from a page not mapped readable"
							 : "copy-out to a page not mapped writable",
				     p, len);
			return 0;
		}
	}
	/* Commit. */
	while (done < len) {
		uint64_t cva = va + done, sipa = ipa + done, n = len - done;
		uint8_t *ptr;
		int ret;

		if (n > GRANULE_SIZE - (cva & GRANULE_MASK))
			n = GRANULE_SIZE - (cva & GRANULE_MASK);
		if (n > GRANULE_SIZE - (sipa & GRANULE_MASK))
			n = GRANULE_SIZE - (sipa & GRANULE_MASK);
		ret = fasco_as_page(c->crec, cva, prot, &ptr);
		ASSERT(ret == 0); /* its address space is locked: its mappings are stable */
		if (dir == FASCO_DIR_IN)
			ret = realm_ipa_write(c->sys_rd, sipa, ptr, n);
		else
			ret = realm_ipa_read(c->sys_rd, sipa, ptr, n);
		if (ret != 0)
			break; /* the host changed the System Realm's RTT meanwhile */
		done += n;
	}
	count_copy(c, done);
	return done;
}

static uint64_t handle_rsi_rb_copy_in(struct fasco_call *c, uint64_t *x)
{
	return handle_rsi_rb_copy(c, x, FASCO_DIR_IN);
}

static uint64_t handle_rsi_rb_copy_out(struct fasco_call *c, uint64_t *x)
{
	return handle_rsi_rb_copy(c, x, FASCO_DIR_OUT);
}

/*
 * Map va of `target`'s address space (a REC of c's Container Realm) to the
 * fresh DATA granule at container IPA cipa with prot, filled with `content`
 * (a granule, or NULL: it stays zero). A page mapped at va before is
 * released. Returns an RSI status; refusals are counted against c.
 */
static uint64_t map_fresh_locked(struct fasco_call *c, struct rec *target, uint64_t va,
				 uint64_t cipa, unsigned prot, const void *content);

static uint64_t map_fresh(struct fasco_call *c, struct rec *target, uint64_t va, uint64_t cipa,
			  unsigned prot, const void *content)
{
	uint64_t ret;

	if (!addr_in_par(c->crd, cipa)) {
		fasco_refuse(c, "map of an IPA outside the container's protected space", va, cipa);
		return RSI_ERROR_INPUT;
	}
	if (target->fasco.as == NULL && fasco_as_new(target) != 0)
		return RSI_ERROR_INPUT;
	fasco_as_lock(target);
	ret = map_fresh_locked(c, target, va, cipa, prot, content);
	fasco_as_unlock(target);
	return ret;
}

/* map_fresh with target's address space locked. */
static uint64_t map_fresh_locked(struct fasco_call *c, struct rec *target, uint64_t va,
				 uint64_t cipa, unsigned prot, const void *content)
{
	uint64_t old_pa, pa;
	unsigned old_prot, fl;
	struct rtt_walk wi;
	struct granule *g;
	bool have_old;

	if (container_data(c->crd, cipa, &wi, &g) != 0) {
		fasco_refuse(c, "map of a granule that is not DATA of this container", va, cipa);
		return RSI_ERROR_INPUT;
	}
	granule_lock(g);
	ASSERT(granule_get_state(g) == GRANULE_STATE_DATA);
	fl = g->fasco;
	if ((fl & GRANULE_FASCO_OWNER_MASK) != 0 || (fl & GRANULE_FASCO_DIRTY) != 0) {
		fasco_refuse(c,
			     (fl & GRANULE_FASCO_OWNER_MASK)
				     ? "map of a granule already mapped"
				     : "map of a granule not fresh and scrubbed",
			     va, cipa);
		granule_unlock(g);
		granule_unlock(wi.g_llt);
		return RSI_ERROR_INPUT;
	}
	pa = granule_addr(g);
	have_old = plat_as_query(target->fasco.as, va, &old_pa, &old_prot) == 0;

	/* Commit. */
	if (content != NULL)
		memcpy(granule_map(g), content, GRANULE_SIZE);
	if (plat_as_map(target->fasco.as, va, pa, PAS_REALM, prot) != 0) {
		granule_memzero(g); /* still fresh */
		granule_unlock(g);
		granule_unlock(wi.g_llt);
		return RSI_ERROR_INPUT;
	}
	g->fasco = (uint8_t)(target->fasco.as_tag | GRANULE_FASCO_DIRTY);
	granule_unlock(g);
	granule_unlock(wi.g_llt);
	if (have_old)
		fasco_page_put(old_pa);
	return RSI_SUCCESS;
}

static uint64_t handle_rsi_rb_map(struct fasco_call *c, uint64_t *x)
{
	uint64_t va = x[2], cipa = x[3], prot = x[4], src = x[5], ret;

	if (!IS_ALIGNED(va, GRANULE_SIZE) || va >= RB_VA_LIMIT || !IS_ALIGNED(cipa, GRANULE_SIZE) ||
	    prot == 0 || (prot & ~(uint64_t)RB_PROT_MASK) != 0 || !IS_ALIGNED(src, GRANULE_SIZE) ||
	    (src != 0 && !addr_in_par(c->sys_rd, src)))
		return RSI_ERROR_INPUT;
	spinlock_acquire(&bounce_lock);
	if (src != 0 && realm_ipa_read(c->sys_rd, src, bounce, GRANULE_SIZE) != 0)
		ret = RSI_ERROR_INPUT;
	else
		ret = map_fresh(c, c->crec, va, cipa, (unsigned)prot, src != 0 ? bounce : NULL);
	spinlock_release(&bounce_lock);
	return ret;
}

static bool va_range_ok(uint64_t va, uint64_t len)
{
	return IS_ALIGNED(va, GRANULE_SIZE) && IS_ALIGNED(len, GRANULE_SIZE) && len != 0 &&
	       len <= RB_UNMAP_MAX && va < RB_VA_LIMIT && len <= RB_VA_LIMIT - va;
}

static uint64_t handle_rsi_rb_unmap(struct fasco_call *c, uint64_t *x)
{
	uint64_t va = x[2], len = x[3];

	if (!va_range_ok(va, len))
		return RSI_ERROR_INPUT;
	fasco_as_lock(c->crec);
	for (uint64_t p = va; p < va + len; p += GRANULE_SIZE) {
		uint64_t pa;
		unsigned prot;
		int ret;

		if (plat_as_query(c->crec->fasco.as, p, &pa, &prot) != 0)
			continue;
		ret = plat_as_unmap(c->crec->fasco.as, p, GRANULE_SIZE);
		ASSERT(ret == 0);
		fasco_page_put(pa);
	}
	fasco_as_unlock(c->crec);
	return RSI_SUCCESS;
}

static uint64_t handle_rsi_rb_protect(struct fasco_call *c, uint64_t *x)
{
	uint64_t va = x[2], len = x[3], prot = x[4];
	int ret;

	if (!va_range_ok(va, len) || (prot & ~(uint64_t)RB_PROT_MASK) != 0)
		return RSI_ERROR_INPUT;
	fasco_as_lock(c->crec);
	ret = plat_as_protect(c->crec->fasco.as, va, len, (unsigned)prot);
	fasco_as_unlock(c->crec);
	return ret == 0 ? RSI_SUCCESS : RSI_ERROR_INPUT;
}

/* Is a struct rb_regs at System Realm IPA ipa 8-byte aligned and inside one granule? */
static bool regs_ipa_ok(uint64_t ipa)
{
	return IS_ALIGNED(ipa, 8) && (ipa & GRANULE_MASK) + sizeof(struct rb_regs) <= GRANULE_SIZE;
}

static uint64_t handle_rsi_rb_set_regs(struct fasco_call *c, uint64_t *x)
{
	uint64_t ipa = x[2];
	struct rb_regs r;
	struct plat_vcpu_state *regs = &c->crec->regs;

	if (!regs_ipa_ok(ipa) || realm_ipa_read(c->sys_rd, ipa, &r, sizeof(r)) != 0 ||
	    (r.mask & ~RB_REGS_VALID_MASK) != 0 ||
	    ((r.mask & RB_REGS_PSTATE) && (r.pstate & ~RB_PSTATE_NZCV) != 0))
		return RSI_ERROR_INPUT;
	for (unsigned i = 0; i < 31; i++) {
		if (r.mask & BIT(i))
			regs->gprs[i] = r.x[i];
	}
	if (r.mask & RB_REGS_PC)
		regs->pc = r.pc;
	if (r.mask & RB_REGS_SP)
		regs->sp_el0 = r.sp;
	if (r.mask & RB_REGS_TPIDR)
		regs->tpidr_el0 = r.tpidr;
	if (r.mask & RB_REGS_PSTATE)
		regs->pstate = (regs->pstate & ~RB_PSTATE_NZCV) | r.pstate;
	if (r.mask & RB_REGS_FP) {
		struct plat_fp_state fp;

		COMPILER_ASSERT(sizeof(fp.q) == sizeof(r.fp_q), "FP registers");
		memcpy(fp.q, r.fp_q, sizeof(fp.q));
		fp.fpcr = r.fpcr;
		fp.fpsr = r.fpsr;
		fasco_rec_set_fp(c->crec, &fp);
	}
	fasco_channel_publish(c->crec);
	return RSI_SUCCESS;
}

/*
 * GET_REGS(chan, sys_ipa): the container REC's whole register state, while
 * a request is pending. Counted: the channel mirrors only x0..x8, pc, sp
 * and tpidr; the rest leaves the REC only on this explicit request.
 */
static uint64_t handle_rsi_rb_get_regs(struct fasco_call *c, uint64_t *x)
{
	uint64_t ipa = x[2];
	const struct plat_vcpu_state *regs = &c->crec->regs;
	struct plat_fp_state fp;
	struct rb_regs r;

	if (!regs_ipa_ok(ipa) || !sys_range_ok(c->sys_rd, ipa, sizeof(r)))
		return RSI_ERROR_INPUT;
	memset(&r, 0, sizeof(r));
	r.mask = RB_REGS_VALID_MASK;
	memcpy(r.x, regs->gprs, sizeof(r.x));
	r.pc = regs->pc;
	r.sp = regs->sp_el0;
	r.tpidr = regs->tpidr_el0;
	r.pstate = regs->pstate & RB_PSTATE_NZCV;
	fasco_rec_get_fp(c->crec, &fp);
	memcpy(r.fp_q, fp.q, sizeof(r.fp_q));
	r.fpcr = fp.fpcr;
	r.fpsr = fp.fpsr;
	if (realm_ipa_write(c->sys_rd, ipa, &r, sizeof(r)) != 0)
		return RSI_ERROR_INPUT;
	fasco_count(&rd_map(c->g_sys_rd)->rb_reg_reads, 1);
	fasco_count(&c->crd->rb_reg_reads, 1);
	return RSI_SUCCESS;
}

#define SYS_SIGALTSTACK 132
#define SYS_EXECVE 221
#define SS_DISABLE 2
#define RB_ALTSTACK_MAX (1ULL << 30)

/*
 * A request completes: what the container's own calls told the RMM about
 * its alternate signal stack. Only a sigaltstack call that succeeded
 * counts; the stack_t is read again from the container (a race with its
 * other threads only moves its own signal frames); execve forgets it.
 */
static void track_altstack(struct rec *crec, uint64_t result, uint64_t flags)
{
	struct rec_fasco *f = &crec->fasco;
	uint64_t ss[3]; /* ss_sp, ss_flags (int), ss_size */

	if (f->kind != RB_REQ_SYSCALL)
		return;
	if (f->nr == SYS_EXECVE && (flags & RB_COMPLETE_KEEP_X0) != 0) {
		f->alt_sp = f->alt_size = 0;
		f->robust = 0; /* Linux forgets the robust list at execve too */
		return;
	}
	if (f->nr != SYS_SIGALTSTACK || result != 0 || f->args[0] == 0)
		return;
	if (fasco_as_read(crec, f->args[0], ss, sizeof(ss)) != 0)
		return;
	if ((uint32_t)ss[1] & SS_DISABLE) {
		f->alt_sp = f->alt_size = 0;
		return;
	}
	if (ss[2] == 0 || ss[2] > RB_ALTSTACK_MAX || ss[0] >= RB_VA_LIMIT ||
	    ss[2] > RB_VA_LIMIT - ss[0])
		return; /* not a stack the container can have: nothing recorded */
	f->alt_sp = ss[0];
	f->alt_size = ss[2];
}

static uint64_t handle_rsi_rb_complete(struct fasco_call *c, uint64_t *x)
{
	struct rec_fasco *f = &c->crec->fasco;
	uint64_t result = x[2], flags = x[3];

	if ((flags & ~RB_COMPLETE_FLAGS_MASK) != 0)
		return RSI_ERROR_INPUT;
	/* a request marked ENDING completes only as the thread's end */
	if (f->ending && !(flags & RB_COMPLETE_EXIT))
		return RSI_ERROR_INPUT;
	track_altstack(c->crec, result, flags);
	if (!(flags & RB_COMPLETE_EXIT))
		fasco_as_sync_complete(
			c->crec, (flags & RB_COMPLETE_KEEP_X0) ? c->crec->regs.gprs[0] : result);
	f->result = result;
	f->complete_flags = flags;
	if (flags & RB_COMPLETE_EXIT) {
		f->exit_status = result;
		/* One thread of several ends: it leaves, the others keep the memory. */
		if (fasco_as_users(c->crec) > 1)
			fasco_as_leave(c->crec);
		__atomic_store_n(&f->state, RB_CHAN_EXITED, __ATOMIC_RELEASE);
	} else {
		/* before DONE: a REC_ENTER that sees DONE sees the kick too */
		if (flags & RB_COMPLETE_KICK)
			__atomic_store_n(&f->kick, 1, __ATOMIC_SEQ_CST);
		__atomic_store_n(&f->state, RB_CHAN_DONE, __ATOMIC_RELEASE);
	}
	fasco_channel_publish(c->crec);
	/*
	 * X1: 1 if a parked REC_ENTER resumes the REC itself (exitless), 0 if
	 * the host must. An EXIT never resumes in place (fasco_rec_wait).
	 */
	x[1] = f->waiting && !(flags & RB_COMPLETE_EXIT) ? 1 : 0;
	return RSI_SUCCESS;
}

static uint64_t handle_rsi_rb_read_config(struct fasco_call *c, uint64_t *x)
{
	uint64_t off = x[2], ipa = x[3], len = x[4], done;
	const struct rd *crd = c->crd;

	if (len == 0 || len > RB_COPY_MAX || !sys_range_ok(c->sys_rd, ipa, len))
		return RSI_ERROR_INPUT;
	if (c->crec->fasco.kind != RB_REQ_START) {
		fasco_refuse(c, "READ_CONFIG outside a START request", off, len);
		return RSI_ERROR_INPUT;
	}
	if (off + len < off || off + len > crd->rb_config_size) {
		fasco_refuse(c, "READ_CONFIG outside the measured configuration", off, len);
		return RSI_ERROR_INPUT;
	}
	/* Every page must hold content DATA_CREATE measured. */
	for (uint64_t p = ALIGN_DOWN(off, GRANULE_SIZE); p < off + len; p += GRANULE_SIZE) {
		struct rtt_walk wi;
		struct granule *g;
		bool measured;

		if (container_data(crd, crd->rb_config_ipa + p, &wi, &g) != 0) {
			fasco_refuse(c, "READ_CONFIG of an unassigned page", off, p);
			return RSI_ERROR_INPUT;
		}
		granule_lock(g);
		measured = (g->fasco & GRANULE_FASCO_MEASURED) != 0;
		granule_unlock(g);
		granule_unlock(wi.g_llt);
		if (!measured) {
			fasco_refuse(c, "READ_CONFIG of a page whose content is not measured", off,
				     p);
			return RSI_ERROR_INPUT;
		}
	}
	for (done = 0; done < len;) {
		uint64_t coff = off + done, n = len - done;

		if (n > GRANULE_SIZE - (coff & GRANULE_MASK))
			n = GRANULE_SIZE - (coff & GRANULE_MASK);
		if (n > GRANULE_SIZE - ((ipa + done) & GRANULE_MASK))
			n = GRANULE_SIZE - ((ipa + done) & GRANULE_MASK);
		spinlock_acquire(&bounce_lock);
		if (realm_ipa_read(crd, crd->rb_config_ipa + coff, bounce, n) != 0 ||
		    realm_ipa_write(c->sys_rd, ipa + done, bounce, n) != 0) {
			spinlock_release(&bounce_lock);
			break;
		}
		spinlock_release(&bounce_lock);
		done += n;
	}
	count_copy(c, done);
	x[1] = done;
	return done == len ? RSI_SUCCESS : RSI_ERROR_INPUT;
}

/* ---- fork: a child process built from its parent by the RMM ---------------- */

#define CLONE_VM 0x100ULL
#define CLONE_VFORK 0x4000ULL
#define CLONE_THREAD 0x10000ULL
#define SYS_CLONE 220
#define SYS_CLONE3 435

/* A u64 of the parent's clone_args at va + off (its address space locked). */
static int clone3_read(struct rec *parent, uint64_t va, uint64_t *val, uint64_t off)
{
	int ret;

	fasco_as_lock(parent);
	ret = fasco_as_read(parent, va + off, val, sizeof(*val));
	fasco_as_unlock(parent);
	return ret;
}

/*
 * May the System Realm build c2's REC as a fork of c1's? c1's pending call
 * is clone or clone3 (flags read from the parent's memory) without CLONE_VM
 * -- or with CLONE_VM | CLONE_VFORK: the deployment gives a vfork child a
 * private copy -- and without CLONE_THREAD; c2 is another REC of the same
 * Container Realm that has not run yet (never started, its START pending)
 * or whose process EXITED (*recycle: reset it before use). Refusals are
 * counted against c1.
 */
static uint64_t fork_check(struct fasco_call *c1, struct fasco_call *c2, bool *recycle)
{
	const struct rec_fasco *p = &c1->crec->fasco, *ch = &c2->crec->fasco;
	uint64_t flags = p->args[0];

	*recycle = false;
	if (p->kind != RB_REQ_SYSCALL || (p->nr != SYS_CLONE && p->nr != SYS_CLONE3)) {
		fasco_refuse(c1, "fork outside a clone call", p->nr, 0);
		return RSI_ERROR_INPUT;
	}
	if (p->nr == SYS_CLONE3 && clone3_read(c1->crec, p->args[0], &flags, 0) != 0) {
		fasco_refuse(c1, "fork: clone3 arguments unreadable", p->args[0], 0);
		return RSI_ERROR_INPUT;
	}
	if ((flags & CLONE_THREAD) || ((flags & CLONE_VM) && !(flags & CLONE_VFORK))) {
		fasco_refuse(c1, "fork of a clone that shares the address space", flags, 0);
		return RSI_ERROR_INPUT;
	}
	if (c2->crec->rd_addr != c1->crec->rd_addr) {
		fasco_refuse(c1, "fork into another container", c2->crec->rd_addr, 0);
		return RSI_ERROR_INPUT;
	}
	*recycle = ch->started && ch->state == RB_CHAN_EXITED;
	if (ch->started && !*recycle &&
	    !((ch->state == RB_CHAN_PENDING || ch->state == RB_CHAN_TAKEN) &&
	      ch->kind == RB_REQ_START)) {
		fasco_refuse(c1, "fork into a REC that has run", ch->state, ch->kind);
		return RSI_ERROR_INPUT;
	}
	return RSI_SUCCESS;
}

/* FORK_PAGE(parent_chan, child_chan, va, child_cipa): the parent's page, copied. */
static uint64_t handle_rsi_rb_fork_page(struct fasco_call *c1, struct fasco_call *c2, uint64_t *x)
{
	uint64_t va = x[3], cipa = x[4], ret, pa;
	unsigned prot;
	uint8_t *src;
	bool recycle;

	if (!IS_ALIGNED(va, GRANULE_SIZE) || va >= RB_VA_LIMIT || !IS_ALIGNED(cipa, GRANULE_SIZE))
		return RSI_ERROR_INPUT;
	ret = fork_check(c1, c2, &recycle);
	if (ret != RSI_SUCCESS)
		return ret;
	if (c1->crec->fasco.as == NULL || plat_as_query(c1->crec->fasco.as, va, &pa, &prot) != 0)
		return RSI_ERROR_INPUT;
	/* The exited process's pages go first: they may be the fresh granules named here. */
	if (recycle)
		fasco_rec_recycle(c2->crec);
	/*
	 * The parent's page, through the bounce buffer: another thread of the
	 * parent may unmap it once its address space is unlocked.
	 */
	spinlock_acquire(&bounce_lock);
	fasco_as_lock(c1->crec);
	ret = RSI_ERROR_INPUT;
	if (plat_as_query(c1->crec->fasco.as, va, &pa, &prot) == 0) {
		src = granule_map(granule_find(ALIGN_DOWN(pa, GRANULE_SIZE)));
		memcpy(bounce, src, GRANULE_SIZE);
		ret = RSI_SUCCESS;
	}
	fasco_as_unlock(c1->crec);
	if (ret == RSI_SUCCESS)
		ret = map_fresh(c1, c2->crec, va, cipa, prot, bounce);
	spinlock_release(&bounce_lock);
	return ret;
}

/*
 * FORK_REGS(parent_chan, child_chan): the parent's registers and FP/SIMD
 * state, x0 = 0, and the parent's clone request, TAKEN, in the child.
 */
static void child_request(struct fasco_call *c1, struct fasco_call *c2);

static uint64_t handle_rsi_rb_fork_regs(struct fasco_call *c1, struct fasco_call *c2, uint64_t *x)
{
	struct plat_fp_state fp;
	bool recycle;
	uint64_t ret = fork_check(c1, c2, &recycle);

	if (ret != RSI_SUCCESS)
		return ret;
	if (recycle)
		fasco_rec_recycle(c2->crec);
	c2->crec->regs = c1->crec->regs;
	c2->crec->regs.gprs[0] = 0;
	fasco_rec_get_fp(c1->crec, &fp);
	fasco_rec_set_fp(c2->crec, &fp);
	child_request(c1, c2);
	c2->crec->fasco.ctid = 0; /* clear_child_tid matters for threads only */
	fasco_as_sync_fork(c2->crec, c1->crec);
	return RSI_SUCCESS;
}

/* The child's request := the parent's clone request, TAKEN (FORK_REGS, THREAD). */
static void child_request(struct fasco_call *c1, struct fasco_call *c2)
{
	const struct rec_fasco *p = &c1->crec->fasco;
	struct rec_fasco *ch = &c2->crec->fasco;

	/* The child has run from here on: its next REC_ENTER resumes it, no START. */
	ch->started = true;
	ch->seq++;
	ch->kind = RB_REQ_SYSCALL;
	ch->esr = p->esr;
	ch->far = 0;
	ch->nr = p->nr;
	memcpy(ch->args, p->args, sizeof(ch->args));
	ch->sp = p->sp;
	ch->pc = p->pc;
	ch->result = 0;
	ch->complete_flags = 0;
	ch->robust = 0; /* a new thread or fork child registers its own (glibc does) */
	ch->alt_sp = p->alt_sp; /* fork keeps the alternate signal stack */
	ch->alt_size = p->alt_size;
	ch->state = RB_CHAN_TAKEN;
	fasco_channel_publish(c2->crec);
}

/* ---- SHARE: MAP_SHARED memory across fork ---------------------------------- */

/*
 * Map page va of the child to the granule the parent maps there, with the
 * parent's prot (both address spaces distinct; neither lock held). Returns
 * 1 if shared, 0 for a hole of the parent, -ENOSPC / -EINVAL (refused).
 */
static int share_page(struct rec *parent, struct rec *child, uint64_t va)
{
	uint64_t pa, old_pa;
	unsigned prot, old_prot;
	bool have_old;
	int ret;

	/* The parent's mapping is stable while its lock is held: count it there. */
	fasco_as_lock(parent);
	ret = plat_as_query(parent->fasco.as, va, &pa, &prot);
	if (ret == 0)
		ret = fasco_page_get(pa);
	fasco_as_unlock(parent);
	if (ret == -ENOENT)
		return 0;
	if (ret != 0)
		return ret;
	pa = ALIGN_DOWN(pa, GRANULE_SIZE);
	fasco_as_lock(child);
	have_old = plat_as_query(child->fasco.as, va, &old_pa, &old_prot) == 0;
	if (plat_as_map(child->fasco.as, va, pa, PAS_REALM, prot) != 0) {
		fasco_as_unlock(child);
		fasco_page_put(pa); /* the count taken above */
		return -EINVAL;
	}
	if (have_old)
		fasco_page_put(old_pa); /* replaced (the very granule: the extra count goes) */
	fasco_as_unlock(child);
	return 1;
}

/*
 * SHARE(parent_chan, child_chan, va, len) -> X1 pages shared: in a fork
 * (fork_check's rules), every page the parent maps in [va, va+len) is
 * mapped in the child to the same granule, same prot; the granule is
 * SHARED and counted (fasco_page_get). Holes of the parent are left alone
 * in the child.
 */
static uint64_t handle_rsi_rb_share(struct fasco_call *c1, struct fasco_call *c2, uint64_t *x)
{
	struct rec *parent = c1->crec, *child = c2->crec;
	uint64_t va = x[3], len = x[4], ret;
	bool recycle;
	int r = 0;

	x[1] = 0;
	if (!va_range_ok(va, len))
		return RSI_ERROR_INPUT;
	ret = fork_check(c1, c2, &recycle);
	if (ret != RSI_SUCCESS)
		return ret;
	if (parent->fasco.as == NULL) {
		fasco_refuse(c1, "share from a REC without an address space", va, len);
		return RSI_ERROR_INPUT;
	}
	/* Commit. The exited process's pages go first (as FORK_PAGE). */
	if (recycle)
		fasco_rec_recycle(child);
	if (child->fasco.as == NULL && fasco_as_new(child) != 0)
		return RSI_ERROR_INPUT;
	if (child->fasco.as == parent->fasco.as) {
		fasco_refuse(c1, "share into the parent's own address space", va, len);
		return RSI_ERROR_INPUT;
	}
	for (uint64_t p = va; p < va + len; p += GRANULE_SIZE) {
		r = share_page(parent, child, p);
		if (r < 0)
			break;
		x[1] += (uint64_t)r;
	}
	if (r == -ENOSPC) {
		fasco_refuse(c1, "share of a granule mapped too many times", va, x[1]);
		return RSI_ERROR_INPUT;
	}
	return r < 0 ? RSI_ERROR_INPUT : RSI_SUCCESS;
}

/* ---- THREAD: a REC runs in the address space of another --------------------- */

#define CLONE_SETTLS 0x80000ULL
#define CLONE_CHILD_CLEARTID 0x200000ULL
#define CLONE_ARGS_CHILD_TID 16
#define CLONE_ARGS_SIZE_VER0 64 /* struct clone_args up to tls */
#define CLONE_ARGS_STACK 40
#define CLONE_ARGS_STACK_SIZE 48
#define CLONE_ARGS_TLS 56

/* What the parent's pending clone asks of a thread. */
struct thread_args {
	uint64_t flags, sp, tls, ctid;
	bool recycle;
};

/*
 * May the System Realm make c2's REC a thread of c1's? c1's pending call is
 * clone or clone3 with CLONE_VM and without CLONE_VFORK, c1 runs in an
 * address space, and c2 is another REC of the same Container Realm that has
 * not run yet or whose process EXITED (ta->recycle). The stack and TLS come
 * from the clone's own arguments (clone3: its clone_args, read from the
 * parent's memory). Refusals are counted against c1.
 */
static uint64_t thread_check(struct fasco_call *c1, struct fasco_call *c2, struct thread_args *ta)
{
	const struct rec_fasco *p = &c1->crec->fasco, *ch = &c2->crec->fasco;

	memset(ta, 0, sizeof(*ta));
	if (p->kind != RB_REQ_SYSCALL || (p->nr != SYS_CLONE && p->nr != SYS_CLONE3)) {
		fasco_refuse(c1, "thread outside a clone call", p->nr, p->kind);
		return RSI_ERROR_INPUT;
	}
	if (c2->crec->rd_addr != c1->crec->rd_addr) {
		fasco_refuse(c1, "thread in another container", c2->crec->rd_addr, 0);
		return RSI_ERROR_INPUT;
	}
	if (p->nr == SYS_CLONE) {
		ta->flags = p->args[0];
		ta->sp = p->args[1];
		ta->tls = p->args[3];
		ta->ctid = p->args[4];
	} else {
		uint64_t stack = 0, size = 0;

		if (p->args[1] < CLONE_ARGS_SIZE_VER0 ||
		    clone3_read(c1->crec, p->args[0], &ta->flags, 0) != 0 ||
		    clone3_read(c1->crec, p->args[0], &stack, CLONE_ARGS_STACK) != 0 ||
		    clone3_read(c1->crec, p->args[0], &size, CLONE_ARGS_STACK_SIZE) != 0 ||
		    clone3_read(c1->crec, p->args[0], &ta->tls, CLONE_ARGS_TLS) != 0 ||
		    clone3_read(c1->crec, p->args[0], &ta->ctid, CLONE_ARGS_CHILD_TID) != 0) {
			fasco_refuse(c1, "thread: clone3 arguments unreadable", p->args[0],
				     p->args[1]);
			return RSI_ERROR_INPUT;
		}
		ta->sp = stack != 0 ? stack + size : 0;
	}
	if (!(ta->flags & CLONE_VM) || (ta->flags & CLONE_VFORK)) {
		fasco_refuse(c1, "thread of a clone that does not share the address space",
			     ta->flags, 0);
		return RSI_ERROR_INPUT;
	}
	if (c1->crec->fasco.as_tag == 0) {
		fasco_refuse(c1, "thread of a REC without an address space", 0, 0);
		return RSI_ERROR_INPUT;
	}
	ta->recycle = ch->started && ch->state == RB_CHAN_EXITED;
	if (ch->started && !ta->recycle &&
	    !((ch->state == RB_CHAN_PENDING || ch->state == RB_CHAN_TAKEN) &&
	      ch->kind == RB_REQ_START)) {
		fasco_refuse(c1, "thread in a REC that has run", ch->state, ch->kind);
		return RSI_ERROR_INPUT;
	}
	return RSI_SUCCESS;
}

/*
 * THREAD(parent_chan, child_chan): the child REC runs in the parent's
 * address space (shared, reference counted), with the parent's registers
 * and FP/SIMD state, x0 = 0, sp and TPIDR_EL0 from the clone's arguments,
 * and the parent's clone request, TAKEN.
 */
static uint64_t handle_rsi_rb_thread(struct fasco_call *c1, struct fasco_call *c2, uint64_t *x)
{
	struct rec *child = c2->crec;
	struct plat_fp_state fp;
	struct thread_args ta;
	uint64_t ret = thread_check(c1, c2, &ta);

	(void)x;
	if (ret != RSI_SUCCESS)
		return ret;
	/* Commit. Whatever the child ran before goes: its own process's pages, its PE. */
	if (ta.recycle)
		fasco_rec_recycle(child);
	fasco_as_leave(child);
	fasco_as_share(child, c1->crec);
	child->regs = c1->crec->regs;
	child->regs.gprs[0] = 0;
	if (ta.sp != 0)
		child->regs.sp_el0 = ta.sp;
	if (ta.flags & CLONE_SETTLS)
		child->regs.tpidr_el0 = ta.tls;
	fasco_rec_get_fp(c1->crec, &fp);
	fasco_rec_set_fp(child, &fp);
	child_request(c1, c2);
	child->fasco.ctid = (ta.flags & CLONE_CHILD_CLEARTID) ? ta.ctid : 0;
	fasco_count(&rd_map(c1->g_sys_rd)->rb_threads, 1);
	fasco_count(&c1->crd->rb_threads, 1);
	return RSI_SUCCESS;
}

/* ---- ENDING: the TAKEN request ends its thread ------------------------------ */

static uint64_t handle_rsi_rb_ending(struct fasco_call *c, uint64_t *x)
{
	(void)x;
	if (c->crec->fasco.state != RB_CHAN_TAKEN)
		return RSI_ERROR_STATE;
	c->crec->fasco.ending = true;
	return RSI_SUCCESS;
}

/* ---- ATTEST: the Container Realm's token ----------------------------------- */

/*
 * The container's attestation, in any state of the request (the table marks
 * it as needing none): for a call being served (configfs-tsm inside the
 * container) or for the runtime (realmbox attest, allowed by the container's
 * measured configuration, which the System Realm enforces). The container
 * REC is locked, so it is not running; its aux granules hold the state. The
 * challenge is the System Realm's to give in both cases, as it always was.
 */
static uint64_t handle_rsi_rb_attest_init(struct fasco_call *c, uint64_t *x)
{
	/* state in the container REC (locked, not running): its token, its challenge */
	attest_token_start(c->crec, &x[2]);
	x[1] = ATTEST_TOKEN_MAX;
	return RSI_SUCCESS;
}

static uint64_t handle_rsi_rb_attest_continue(struct fasco_call *c, uint64_t *x)
{
	uint64_t st, n = 0;

	/* claims of the container's RD; bytes into the System Realm's own DATA */
	st = attest_token_continue(c->crec, granule_find(c->crec->rd_addr), c->sys_rd, x[2], x[3],
				   x[4], &n);
	x[1] = n;
	return st;
}

/* ---- EXEC_MEASURE: REM[0] records what an execve loaded -------------------- */

#define SYS_EXECVE 221
#define SYS_EXECVEAT 281

static uint64_t handle_rsi_rb_exec_measure(struct fasco_call *c, uint64_t *x)
{
	const struct rec_fasco *f = &c->crec->fasco;
	struct granule *g_crd = granule_find(c->crec->rd_addr);
	int ret;

	if (f->state != RB_CHAN_TAKEN || f->kind != RB_REQ_SYSCALL ||
	    (f->nr != SYS_EXECVE && f->nr != SYS_EXECVEAT)) {
		fasco_refuse(c, "REM extension outside an execve", f->kind, f->nr);
		return RSI_ERROR_INPUT;
	}
	/* the container's RD: measurements change under its lock (as RSI_MEASUREMENT_EXTEND) */
	granule_lock(g_crd);
	ret = measure_rem_extend(rd_map(g_crd), 1, &x[2], RB_EXEC_MEASURE_SIZE);
	granule_unlock(g_crd);
	return ret == 0 ? RSI_SUCCESS : RSI_ERROR_INPUT;
}

/* ---- KICK: the container REC may be running; its lock is never taken ------ */

static uint64_t handle_rsi_rb_kick(struct rec *sys_rec, struct granule *g_rd, uint64_t *x)
{
	struct granule *g_chan;
	struct rec *crec;
	struct plat_pe *pe;
	uint8_t state;
	int ret = fasco_channel_pin(g_rd, x[1], &g_chan, &crec);

	if (ret != 0) {
		refuse_unbound(g_rd, ret, (uint32_t)x[0], x[1]);
		return RSI_ERROR_INPUT;
	}
	state = __atomic_load_n(&crec->fasco.state, __ATOMIC_ACQUIRE);
	if (!__atomic_load_n(&crec->fasco.started, __ATOMIC_ACQUIRE) || state == RB_CHAN_EXITED) {
		granule_unlock(g_chan);
		return RSI_ERROR_STATE;
	}
	if (state != RB_CHAN_PENDING && state != RB_CHAN_TAKEN) {
		/* Flag first, then halt: the run loop or the next resume sees the flag. */
		__atomic_store_n(&crec->fasco.kick, 1, __ATOMIC_SEQ_CST);
		pe = __atomic_load_n(&crec->pe, __ATOMIC_ACQUIRE);
		if (pe != NULL)
			plat_pe_halt(pe);
	}
	fasco_count(&rd_map(g_rd)->rb_kicks, 1);
	fasco_count(&rd_map(granule_find(crec->rd_addr))->rb_kicks, 1);
	granule_unlock(g_chan);
	return RSI_SUCCESS;
}

/* ---- Dispatch -------------------------------------------------------------- */

typedef uint64_t (*fasco_rsi2_fn)(struct fasco_call *c1, struct fasco_call *c2, uint64_t *x);
typedef uint64_t (*fasco_rsi_raw_fn)(struct rec *sys_rec, struct granule *g_rd, uint64_t *x);

/*
 * Calls on one channel with a request pending (fn), on a parent and a child
 * channel (fn2: X1, X2), or that find their channel themselves and need no
 * pending request (raw: KICK, whose container REC may be running).
 */
static const struct {
	uint64_t fid;
	const char *name;
	fasco_rsi_fn fn;
	fasco_rsi2_fn fn2;
	fasco_rsi_raw_fn raw;
	bool any_state; /* fn runs whatever the request's state (the REC is locked) */
} fasco_rsi_table[] = {
	{SMC_RSI_RB_TAKE, "TAKE", handle_rsi_rb_take, NULL, NULL, false},
	{SMC_RSI_RB_COPY_IN, "COPY_IN", handle_rsi_rb_copy_in, NULL, NULL, false},
	{SMC_RSI_RB_COPY_OUT, "COPY_OUT", handle_rsi_rb_copy_out, NULL, NULL, false},
	{SMC_RSI_RB_MAP, "MAP", handle_rsi_rb_map, NULL, NULL, false},
	{SMC_RSI_RB_UNMAP, "UNMAP", handle_rsi_rb_unmap, NULL, NULL, false},
	{SMC_RSI_RB_PROTECT, "PROTECT", handle_rsi_rb_protect, NULL, NULL, false},
	{SMC_RSI_RB_SET_REGS, "SET_REGS", handle_rsi_rb_set_regs, NULL, NULL, false},
	{SMC_RSI_RB_COMPLETE, "COMPLETE", handle_rsi_rb_complete, NULL, NULL, false},
	{SMC_RSI_RB_READ_CONFIG, "READ_CONFIG", handle_rsi_rb_read_config, NULL, NULL, false},
	{SMC_RSI_RB_FORK_PAGE, "FORK_PAGE", NULL, handle_rsi_rb_fork_page, NULL, false},
	{SMC_RSI_RB_FORK_REGS, "FORK_REGS", NULL, handle_rsi_rb_fork_regs, NULL, false},
	{SMC_RSI_RB_GET_REGS, "GET_REGS", handle_rsi_rb_get_regs, NULL, NULL, false},
	{SMC_RSI_RB_KICK, "KICK", NULL, NULL, handle_rsi_rb_kick, false},
	{SMC_RSI_RB_ATTEST_INIT, "ATTEST_INIT", handle_rsi_rb_attest_init, NULL, NULL, true},
	{SMC_RSI_RB_ATTEST_CONTINUE, "ATTEST_CONTINUE", handle_rsi_rb_attest_continue, NULL, NULL, true},
	{SMC_RSI_RB_EXEC_MEASURE, "EXEC_MEASURE", handle_rsi_rb_exec_measure, NULL, NULL, false},
	{SMC_RSI_RB_THREAD, "THREAD", NULL, handle_rsi_rb_thread, NULL, false},
	{SMC_RSI_RB_SHARE, "SHARE", NULL, handle_rsi_rb_share, NULL, false},
	{SMC_RSI_RB_ENDING, "ENDING", handle_rsi_rb_ending, NULL, NULL, false},
};

bool fasco_rsi_fid(uint64_t fid)
{
	uint64_t fnum = SMC_FNUM(fid);

	return SMC_IS_SMC64_FAST(fid) &&
	       ((fnum >= SMC_RB_RSI_FNUM_MIN && fnum <= SMC_RB_RSI_FNUM_MAX) ||
		(fnum >= SMC_RB_RSI2_FNUM_MIN && fnum <= SMC_RB_RSI2_FNUM_MAX));
}

static enum rsi_action fasco_rsi_handle2(struct rec *rec, struct granule *g_rd, fasco_rsi2_fn fn)
{
	uint64_t *x = rec->regs.gprs;
	struct fasco_call c1, c2;
	int ret = fasco_channel_get2(rec, g_rd, x[1], x[2], &c1, &c2);

	if (ret != 0) {
		refuse_unbound(g_rd, ret, (uint32_t)x[0], x[1]);
		x[0] = ret == -EBUSY ? RSI_ERROR_STATE : RSI_ERROR_INPUT;
		return RSI_ACTION_RESUME;
	}
	if (!request_pending(c1.crec)) {
		fasco_refuse(&c1, "fork or thread while no request is pending", (uint32_t)x[0], 0);
		x[0] = RSI_ERROR_STATE;
	} else {
		x[0] = fn(&c1, &c2, x);
	}
	fasco_channel_put(&c2);
	fasco_channel_put(&c1);
	return RSI_ACTION_RESUME;
}

enum rsi_action fasco_rsi_handle(struct rec *rec, struct granule *g_rd, struct rmi_rec_exit *exit)
{
	uint64_t *x = rec->regs.gprs;
	uint64_t fid = (uint32_t)x[0];
	struct fasco_call c;
	unsigned i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(fasco_rsi_table); i++) {
		if (fasco_rsi_table[i].fid == fid)
			break;
	}
	if (i == ARRAY_SIZE(fasco_rsi_table)) {
		x[0] = SMC_UNKNOWN;
		return RSI_ACTION_RESUME;
	}
	if (fasco_rsi_table[i].raw != NULL) {
		x[0] = fasco_rsi_table[i].raw(rec, g_rd, x);
		return RSI_ACTION_RESUME;
	}
	if (fasco_rsi_table[i].fn2 != NULL)
		return fasco_rsi_handle2(rec, g_rd, fasco_rsi_table[i].fn2);
	ret = fasco_channel_get(rec, g_rd, x[1], &c);
	if (ret != 0) {
		refuse_unbound(g_rd, ret, fid, x[1]);
		x[0] = ret == -EBUSY ? RSI_ERROR_STATE : RSI_ERROR_INPUT;
		return RSI_ACTION_RESUME;
	}
	if (!fasco_rsi_table[i].any_state && !request_pending(c.crec)) {
		fasco_refuse(&c, "call while no request is pending", fid, c.crec->fasco.state);
		x[0] = RSI_ERROR_STATE;
	} else {
		x[0] = fasco_rsi_table[i].fn(&c, x);
	}
	lib_log(LOG_DEBUG, "fasco", "RSI_RB_%s -> %llu", fasco_rsi_table[i].name,
		(unsigned long long)x[0]);
	fasco_channel_put(&c);
	return RSI_ACTION_RESUME;
}
