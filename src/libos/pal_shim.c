/*
 * The library OS's PAL as RContainer's deprivileged OS (pal_shim.h): memory
 * and copies through rc_* calls, tasks on cooperative kernel threads of
 * one deprivileged-OS thread, and the scheduler that runs them at EL0
 * through rc_switch_to_miniOS.
 *
 * An address space (pal_as) is a mini-OS mm, named through any task that
 * uses it and that the OS is serving (every task but the one in EL0, and
 * none is while this code runs): the init task (rc_create_container), a
 * scratch task for execve's new image (rc_task_clone with RC_CLONE_VM of
 * the caller, then rc_task_exec: its fresh mm; task_set_as makes it the
 * process's task and ends the old one), or a fork child (rc_task_clone at
 * the first mem_copy_as: the mini-OS copies every page). Each mm holds one
 * area over the whole VA space with RWX; mem_unmap is rc_set_vma MAP over
 * the range (pages go, area stays), mem_protect rc_set_vma PROTECT, so the
 * 64-area limit is only met by many mprotect'ed ranges. The PAL keeps which
 * pages are mapped (mem_query) in a hash table.
 */
#include "libos/pal_shim.h"

#include "arch/esr.h"
#include "arch/rcontainer.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/string.h"
#include "libos/klib.h"
#include "libos/kthread.h"
#include "libos/libos.h"

#ifndef ETIMEDOUT
#define ETIMEDOUT 110
#endif

#define PG 4096ULL
#define NT PAL_SHIM_MAX_TASKS
#define AS_MAX 512
#define NONE 0xFFFFFFFFu
#define HASH_N (1u << 18) /* mapped pages of all address spaces */
#define HASH_DEL (~0ULL)
#define CONSOLE_POLL_NS 5000000ULL
#define IDLE_MAX_NS 10000000ULL
#define SYS_RT_SIGRETURN 139
#define SYS_EXIT 93
#define SYS_EXIT_GROUP 94

/* A task's kt.kt.state: its kernel thread's (kthread.h), or where the task is when it has none. */
enum st_state {
	ST_FREE = KTHREAD_IDLE,
	ST_RUNNABLE = KTHREAD_RUNNABLE,
	ST_RUNNING = KTHREAD_RUNNING,
	ST_BLOCKED = KTHREAD_BLOCKED,
	ST_USER = KTHREAD_NR, /* in EL0, or ready to go there */
	ST_DONE,	      /* ended: to reap */
};

struct stask {
	struct kthread kt;
	bool exited, kick, first, full, fp_valid, fp_dirty;
	bool ending; /* marked with rc_task_ending: it ends with its trap */
	uint8_t end_tries;
	uint32_t as;
	uint64_t h; /* the mini-OS task */
	void *lt;
	struct libos_exc exc;
	struct pal_regs cur, orig;
	struct pal_fpsimd fp;
};

struct sas {
	bool live, forked;
	uint64_t h;	/* a served task of its mm (0: no mm, or it has ended) */
	uint64_t spare; /* a task of its mm no pal_task has claimed yet (init, exec, fork) */
};

struct hent {
	uint64_t key; /* (as + 1) << 32 | vpn; 0 empty, HASH_DEL deleted */
	uint64_t prot;
};

struct shim_meta {
	struct stask t[NT];
	struct sas as[AS_MAX];
	struct hent h[HASH_N];
};

static struct {
	struct pal_shim_env e;
	struct shim_meta *m;
	unsigned running; /* task whose kernel thread runs, NONE: the scheduler */
	unsigned cur;	  /* task whose exception is being served */
	unsigned rr;	  /* round-robin position */
	unsigned ntasks;
	unsigned ending;	 /* a task marked ending whose copies are to come (NONE: none) */
	struct kthread_sched ks; /* the tasks' kernel threads */
	bool container, ended;
	int status;
	struct pal_shim_stats st;
	uint64_t pages; /* container pages mapped (hash entries): the memory limit's count */
} S;

size_t pal_shim_meta_size(void)
{
	return sizeof(struct shim_meta);
}

/* ---- rc_* calls ----------------------------------------------------------------- */

static uint64_t rc(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5,
		   uint64_t out[3])
{
	uint64_t x[7] = {SMC_RC_ENTER, fn, a1, a2, a3, a4, a5};

	S.st.rc_calls++;
	S.e.smc(S.e.host, x);
	if (out)
		memcpy(out, &x[1], 3 * sizeof(uint64_t));
	return x[0];
}

static int rc_errno(uint64_t st)
{
	switch (st) {
	case RC_SUCCESS:
		return 0;
	case RC_ERROR_NOMEM:
		return -ENOMEM;
	case RC_ERROR_FAULT:
		return -EFAULT;
	case RC_ERROR_BUSY:
		return -EBUSY;
	default:
		return -EIO;
	}
}

/* More granules for the con-shim. 0 or -ENOMEM. */
static int donate(void)
{
	uint64_t pa, n;

	if (S.e.grow(S.e.host, &pa, &n))
		return -ENOMEM;
	if (rc(RC_FN_MALLOC_MM, S.e.shim, pa, n, RC_MM_DONATE, 0, NULL) != RC_SUCCESS)
		return -ENOMEM;
	S.st.donated += n;
	return 0;
}

/* An rc_* call that takes granules from the con-shim's pool: donate and retry when it is empty. */
static uint64_t rc_grow(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
			uint64_t out[3])
{
	uint64_t st = rc(fn, a1, a2, a3, a4, 0, out);

	for (int i = 0; i < 4 && st == RC_ERROR_NOMEM && donate() == 0; i++)
		st = rc(fn, a1, a2, a3, a4, 0, out);
	return st;
}

/* ---- the mapped pages (mem_query) --------------------------------------------------- */

static uint64_t hkey(uint32_t as, uint64_t va)
{
	return ((uint64_t)(as + 1) << 32) | (va >> 12);
}

static uint32_t hslot(uint64_t key)
{
	return (uint32_t)((key * 0x9E3779B97F4A7C15ULL) >> 46) & (HASH_N - 1);
}

static struct hent *hfind(uint64_t key)
{
	for (uint32_t i = hslot(key), n = 0; n < HASH_N; n++, i = (i + 1) & (HASH_N - 1)) {
		struct hent *e = &S.m->h[i];

		if (e->key == key)
			return e;
		if (e->key == 0)
			return NULL;
	}
	return NULL;
}

static void hset(uint32_t as, uint64_t va, unsigned prot)
{
	uint64_t key = hkey(as, va);
	struct hent *e = hfind(key), *slot = NULL;

	if (e) {
		e->prot = prot;
		return;
	}
	for (uint32_t i = hslot(key), n = 0; n < HASH_N; n++, i = (i + 1) & (HASH_N - 1)) {
		struct hent *x = &S.m->h[i];

		if (x->key == 0 || x->key == HASH_DEL) {
			slot = x;
			break;
		}
	}
	if (!slot) {
		lib_log(LOG_WARN, "pal_shim", "page table of the PAL full");
		return;
	}
	slot->key = key;
	slot->prot = prot;
	S.pages++;
}


/* fn on every mapped page of as in [va, va + len). */
static void hrange(uint32_t as, uint64_t va, uint64_t len, void (*fn)(struct hent *e, uint64_t arg),
		   uint64_t arg)
{
	if (len / PG <= 4096) {
		for (uint64_t p = va; p < va + len; p += PG) {
			struct hent *e = hfind(hkey(as, p));

			if (e)
				fn(e, arg);
		}
		return;
	}
	for (uint32_t i = 0; i < HASH_N; i++) {
		struct hent *e = &S.m->h[i];
		uint64_t v = (e->key & 0xFFFFFFFFULL) << 12;

		if (e->key && e->key != HASH_DEL && (e->key >> 32) == as + 1 && v >= va &&
		    v < va + len)
			fn(e, arg);
	}
}

static void h_drop(struct hent *e, uint64_t arg)
{
	(void)arg;
	e->key = HASH_DEL;
	S.pages--;
}

static uint64_t s_mem_pages(void *c)
{
	(void)c;
	return S.pages;
}

static void h_prot(struct hent *e, uint64_t arg)
{
	e->prot = arg;
}

/* ---- address spaces --------------------------------------------------------------- */

static uint32_t as_id(const struct pal_as *as)
{
	return (uint32_t)((uintptr_t)as - 1);
}

static struct sas *A(const struct pal_as *as)
{
	uint32_t i = as_id(as);

	return i < AS_MAX && S.m->as[i].live ? &S.m->as[i] : NULL;
}

/* After a task of as left its mm: name the mm through another of its tasks, if any. */
static void as_rehandle(uint32_t id, uint64_t gone)
{
	struct sas *a = &S.m->as[id];

	if (a->h != gone)
		return;
	a->h = a->spare;
	for (unsigned k = 0; k < NT && !a->h; k++)
		if (S.m->t[k].kt.state != ST_FREE && !S.m->t[k].exited && S.m->t[k].as == id &&
		    S.m->t[k].h != gone)
			a->h = S.m->t[k].h;
}

/* A served task to clone from: the one being served, else any. */
static uint64_t base_task(void)
{
	if (S.cur != NONE && S.m->t[S.cur].kt.state != ST_FREE && !S.m->t[S.cur].exited)
		return S.m->t[S.cur].h;
	for (unsigned k = 0; k < NT; k++)
		if (S.m->t[k].kt.state != ST_FREE && !S.m->t[k].exited)
			return S.m->t[k].h;
	return 0;
}

/* Give a new address space its own empty mm (init's, or execve's scratch task). */
static int as_bind_new(uint32_t id)
{
	struct sas *a = &S.m->as[id];
	uint64_t out[3], base = base_task(), st;

	if (a->h)
		return 0;
	if (a->forked)
		return -EFAULT; /* its mm ended */
	if (!S.container) {
		st = rc_grow(RC_FN_CREATE_CONTAINER, S.e.shim, 0, 0, 0, out);
		if (st != RC_SUCCESS)
			return rc_errno(st);
		S.container = true;
	} else {
		if (!base)
			return -EINVAL;
		st = rc_grow(RC_FN_TASK_CLONE, base, RC_CLONE_VM, 0, 0, out);
		if (st != RC_SUCCESS)
			return rc_errno(st);
		S.st.clones++;
		st = rc_grow(RC_FN_TASK_EXEC, out[0], 0, 0, 0, NULL);
		if (st != RC_SUCCESS) {
			rc(RC_FN_TASK_EXIT, out[0], 0, 0, 0, 0, NULL);
			return rc_errno(st);
		}
		S.st.execs++;
	}
	a->h = a->spare = out[0];
	st = rc(RC_FN_SET_VMA, a->h, 0, RC_VA_LIMIT, RC_PROT_MASK | RC_VMA_MAP, 0, NULL);
	return rc_errno(st);
}

static struct pal_as *s_as_create(void *c)
{
	for (uint32_t i = 0; i < AS_MAX; i++) {
		if (!S.m->as[i].live) {
			memset(&S.m->as[i], 0, sizeof(S.m->as[i]));
			S.m->as[i].live = true;
			return (struct pal_as *)(uintptr_t)(i + 1);
		}
	}
	return NULL;
}

static void s_as_destroy(void *c, struct pal_as *as)
{
	struct sas *a = A(as);

	if (!a)
		return;
	if (a->spare) {
		/* an image execve did not take, or a fork child never started */
		rc(RC_FN_TASK_EXIT, a->spare, 0, 0, 0, 0, NULL);
		S.st.exits++;
	}
	hrange(as_id(as), 0, RC_VA_LIMIT, h_drop, 0);
	a->live = false;
}

static int s_mem_map(void *c, struct pal_as *as, uint64_t va, uint64_t len, unsigned prot,
		     const void *init, size_t init_len)
{
	struct sas *a = A(as);
	bool remapped = false;
	int r;

	if (!a || (va | len) & (PG - 1) || !len || va >= RC_VA_LIMIT || len > RC_VA_LIMIT - va)
		return -EINVAL;
	if ((r = as_bind_new(as_id(as))))
		return r;
	for (uint64_t off = 0; off < len; off += PG) {
		uint64_t st = rc_grow(RC_FN_SET_PTE, a->h, va + off, RC_PTE_ANY, prot & RC_PROT_MASK,
				      NULL);

		if (st == RC_ERROR_FAULT && !remapped) {
			/* an mprotect'ed range narrowed the area: the whole VA is RWX again here */
			remapped = true;
			S.st.set_vma++;
			st = rc(RC_FN_SET_VMA, a->h, va, len, RC_PROT_MASK | RC_VMA_MAP, 0, NULL);
			if (st == RC_SUCCESS)
				st = rc_grow(RC_FN_SET_PTE, a->h, va + off, RC_PTE_ANY,
					     prot & RC_PROT_MASK, NULL);
		}
		if (st != RC_SUCCESS)
			return rc_errno(st) == -EFAULT ? -EINVAL : rc_errno(st);
		S.st.set_pte++;
		hset(as_id(as), va + off, prot & 7);
		if (init && off < init_len) {
			size_t n = init_len - off < PG ? init_len - off : PG;

			memcpy(S.e.bounce, (const uint8_t *)init + off, n);
			if (n < PG)
				memset(S.e.bounce + n, 0, PG - n);
			S.st.copy_page++;
			st = rc(RC_FN_COPY_PAGE, a->h, va + off, S.e.bounce_pa, 0, 0, NULL);
			if (st != RC_SUCCESS)
				return rc_errno(st);
		}
	}
	return 0;
}

static int s_mem_unmap(void *c, struct pal_as *as, uint64_t va, uint64_t len)
{
	struct sas *a = A(as);

	if (!a || (va | len) & (PG - 1) || va > RC_VA_LIMIT || len > RC_VA_LIMIT - va)
		return -EINVAL;
	hrange(as_id(as), va, len, h_drop, 0);
	if (!a->h || !len)
		return 0;
	S.st.set_vma++;
	/* MAP: the pages go, the area stays RWX (no new area per hole) */
	return rc_errno(rc(RC_FN_SET_VMA, a->h, va, len, RC_PROT_MASK | RC_VMA_MAP, 0, NULL));
}

static int s_mem_protect(void *c, struct pal_as *as, uint64_t va, uint64_t len, unsigned prot)
{
	struct sas *a = A(as);
	uint64_t st;

	if (!a || (va | len) & (PG - 1) || va > RC_VA_LIMIT || len > RC_VA_LIMIT - va)
		return -EINVAL;
	if (!a->h || !len)
		return 0;
	S.st.set_vma++;
	st = rc(RC_FN_SET_VMA, a->h, va, len, (prot & RC_PROT_MASK) | RC_VMA_PROTECT, 0, NULL);
	if (st != RC_SUCCESS)
		return rc_errno(st);
	hrange(as_id(as), va, len, h_prot, prot & 7);
	return 0;
}

static int s_mem_query(void *c, struct pal_as *as, uint64_t va, unsigned *prot)
{
	struct sas *a = A(as);
	struct hent *e = a ? hfind(hkey(as_id(as), va & ~(PG - 1))) : NULL;

	if (!e)
		return -ENOENT;
	*prot = (unsigned)e->prot;
	return 0;
}

static void h_copy(struct hent *e, uint64_t to)
{
	hset((uint32_t)to, (e->key & 0xFFFFFFFFULL) << 12, (unsigned)e->prot);
}

/* The task a fork of src clones: the one being served if it uses src, else src's own. */
static uint64_t fork_from(const struct pal_as *src, const struct sas *s)
{
	return S.cur != NONE && S.m->t[S.cur].as == as_id(src) && !S.m->t[S.cur].exited
		       ? S.m->t[S.cur].h
		       : s->h;
}

/* fork: the first call copies the whole space (rc_task_clone); later ranges are in it already. */
static int s_mem_copy_as(void *c, struct pal_as *dst, struct pal_as *src, uint64_t va,
			 uint64_t len)
{
	struct sas *d = A(dst), *s = A(src);
	uint64_t out[3], from, st;

	if (!d || !s)
		return -EINVAL;
	if (d->forked)
		return 0;
	if (d->h || !s->h)
		return -EINVAL;
	from = fork_from(src, s);
	st = rc_grow(RC_FN_TASK_CLONE, from, 0, 0, 0, out);
	if (st != RC_SUCCESS)
		return rc_errno(st);
	S.st.clones++;
	d->h = d->spare = out[0];
	d->forked = true;
	hrange(as_id(src), 0, RC_VA_LIMIT, h_copy, as_id(dst));
	return 0;
}

/*
 * MAP_SHARED across fork: the child (made by the first mem_copy_as, or here)
 * maps the parent's very pages of [va, va+len), replacing the copies
 * rc_task_clone made (rc_share; the mini-OS counts the mappings).
 */
static int s_mem_share(void *c, struct pal_as *dst, struct pal_as *src, uint64_t va, uint64_t len)
{
	struct sas *d = A(dst), *s = A(src);
	uint64_t st;
	int r;

	if (!d || !s || (va | len) & (PG - 1) || !len || va >= RC_VA_LIMIT ||
	    len > RC_VA_LIMIT - va)
		return -EINVAL;
	if (!d->forked && (r = s_mem_copy_as(c, dst, src, va, len)) != 0)
		return r;
	if (!d->h || !s->h)
		return -EINVAL;
	S.st.shares++;
	st = rc_grow(RC_FN_SHARE, d->h, fork_from(src, s), va, len, NULL);
	if (st != RC_SUCCESS)
		return rc_errno(st);
	hrange(as_id(src), va, len, h_copy, as_id(dst)); /* same pages, same prot */
	return 0;
}

/* ---- copies ------------------------------------------------------------------------- */

/*
 * The task a copy of as names: the mini-OS allows it only inside what that
 * task's pending call names (or on fresh pages). The task being served if
 * it uses as; else a task of as (execve's new image: the scratch task; a
 * fork child, whose pending call is its parent's clone); a task of as
 * marked ending (its robust list and clear_child_tid, s_task_ending)
 * before any other until it exits.
 */
static uint64_t copy_task(const struct pal_as *as, const struct sas *a)
{
	if (S.cur != NONE) {
		const struct stask *t = &S.m->t[S.cur];

		if (t->kt.state != ST_FREE && !t->exited && t->as == as_id(as))
			return t->h;
	}
	if (S.ending != NONE) {
		const struct stask *t = &S.m->t[S.ending];

		if (t->kt.state != ST_FREE && !t->exited && t->as == as_id(as))
			return t->h;
	}
	return a->h;
}

static void copy_refused(const char *what, uint64_t st, uint64_t va, size_t n)
{
	if (st == RC_ERROR_RANGE)
		lib_log(LOG_INFO, "pal_shim", "%s refused by the mini-OS (outside the call): 0x%llx+%zu",
			what, (unsigned long long)va, n);
}

static int s_copy_from_user(void *c, struct pal_as *as, void *dst, uint64_t src, size_t len)
{
	struct sas *a = A(as);
	uint64_t h, st;

	if (!a || !a->h)
		return -EFAULT;
	h = copy_task(as, a);
	while (len) {
		size_t n = len < RC_IPC_MAX ? len : RC_IPC_MAX;

		S.st.ipc_out++;
		st = rc(RC_FN_IPC_OUT, h, src, S.e.bounce_pa, n, 0, NULL);
		if (st != RC_SUCCESS) {
			copy_refused("copy-in", st, src, n);
			return -EFAULT;
		}
		memcpy(dst, S.e.bounce, n);
		S.st.bytes_out += n;
		dst = (uint8_t *)dst + n;
		src += n;
		len -= n;
	}
	return 0;
}

static int s_copy_to_user(void *c, struct pal_as *as, uint64_t dst, const void *src, size_t len)
{
	struct sas *a = A(as);
	uint64_t h, st;

	if (!a || !a->h)
		return -EFAULT;
	h = copy_task(as, a);
	while (len) {
		size_t n = len < RC_IPC_MAX ? len : RC_IPC_MAX;

		memcpy(S.e.bounce, src, n);
		S.st.ipc_in++;
		st = rc(RC_FN_IPC_IN, h, dst, S.e.bounce_pa, n, 0, NULL);
		if (st != RC_SUCCESS) {
			copy_refused("copy-out", st, dst, n);
			return -EFAULT;
		}
		S.st.bytes_in += n;
		src = (const uint8_t *)src + n;
		dst += n;
		len -= n;
	}
	return 0;
}

static long s_strncpy_from_user(void *c, struct pal_as *as, char *dst, uint64_t src, size_t max)
{
	struct sas *a = A(as);
	size_t done = 0;
	uint64_t h, st;

	if (!a || !a->h)
		return -EFAULT;
	h = copy_task(as, a);
	while (done < max) {
		size_t n = max - done < RC_IPC_MAX ? max - done : RC_IPC_MAX;
		uint64_t out[3];

		if (src + done >= RC_VA_LIMIT)
			return -EFAULT;
		if (n > RC_VA_LIMIT - (src + done))
			n = RC_VA_LIMIT - (src + done);
		S.st.ipc_out++;
		st = rc(RC_FN_IPC_OUT, h, src + done, S.e.bounce_pa, n, RC_IPC_STRING, out);
		if (st != RC_SUCCESS) {
			copy_refused("string copy-in", st, src + done, n);
			return -EFAULT;
		}
		if (!out[1]) {
			memcpy(dst + done, S.e.bounce, out[0] + 1);
			S.st.bytes_out += out[0] + 1;
			return (long)(done + out[0]);
		}
		memcpy(dst + done, S.e.bounce, n);
		S.st.bytes_out += n;
		done += n;
	}
	return -ENAMETOOLONG;
}

/* ---- registers ----------------------------------------------------------------------- */

static uint64_t now_ns(void);

static struct stask *T(struct pal_task *t)
{
	return (struct stask *)(void *)t;
}

/* rc_task_regs GET into the regs granule. */
static int fetch(struct stask *t)
{
	S.st.regs_get++;
	return rc_errno(rc(RC_FN_TASK_REGS, t->h, S.e.regs_pa, RC_REGS_GET, 0, 0, NULL));
}

static void fp_from(struct stask *t, const struct rc_regs *b)
{
	memcpy(t->fp.v, b->q, sizeof(t->fp.v));
	t->fp.fpcr = (uint32_t)b->fpcr;
	t->fp.fpsr = (uint32_t)b->fpsr;
	t->fp_valid = true;
}

/* Complete r (and cur/orig) with x9..x30 and pstate as they are; what the OS changed stays. */
static void merge_full(struct stask *t, struct pal_regs *r)
{
	const struct rc_regs *b = S.e.regs;

	for (int i = 9; i < 31; i++) {
		if (r->x[i] == t->orig.x[i])
			r->x[i] = b->x[i];
		t->orig.x[i] = b->x[i];
	}
	if (r->pstate == t->orig.pstate)
		r->pstate = b->nzcv;
	t->orig.pstate = b->nzcv;
	if (!t->fp_valid)
		fp_from(t, b);
	t->full = true;
}

static void s_get_regs(void *c, struct pal_task *pt, struct pal_regs *r)
{
	*r = T(pt)->cur;
}

static void s_get_regs_full(void *c, struct pal_task *pt, struct pal_regs *r)
{
	struct stask *t = T(pt);

	if (t->full || fetch(t))
		return;
	merge_full(t, r);
	for (int i = 9; i < 31; i++)
		t->cur.x[i] = r->x[i];
	t->cur.pstate = r->pstate;
}

static void s_set_regs(void *c, struct pal_task *pt, const struct pal_regs *r)
{
	T(pt)->cur = *r;
}

static void s_get_fpsimd(void *c, struct pal_task *pt, struct pal_fpsimd *f)
{
	struct stask *t = T(pt);

	if (!t->fp_valid) {
		if (fetch(t) == 0)
			fp_from(t, S.e.regs);
		else
			memset(&t->fp, 0, sizeof(t->fp));
		t->fp_valid = true;
	}
	*f = t->fp;
}

static void s_set_fpsimd(void *c, struct pal_task *pt, const struct pal_fpsimd *f)
{
	struct stask *t = T(pt);

	t->fp = *f;
	t->fp_valid = t->fp_dirty = true;
}

/*
 * Before a run: every register through rc_task_regs when x9..x30 or FP
 * changed (sigreturn: all as the OS set them); else the flags for the
 * frame (x0 only, or x0..x8/pc/sp/tpidr/nzcv).
 */
static int prepare(struct stask *t, uint64_t *flags)
{
	bool sigret = t->exc.kind == LIBOS_EXC_SVC && t->orig.x[8] == SYS_RT_SIGRETURN;
	bool high = t->fp_dirty || sigret || t->cur.pstate != t->orig.pstate;
	struct rc_regs *b = S.e.regs;

	for (int i = 9; i < 31 && !high; i++)
		high = t->cur.x[i] != t->orig.x[i];
	*flags = 0;
	if (high) {
		if (!sigret && (!t->full || !t->fp_valid)) {
			if (fetch(t))
				return -EIO;
			merge_full(t, &t->cur);
		} else if (!t->fp_valid) {
			if (fetch(t))
				return -EIO;
			fp_from(t, b);
		}
		memcpy(b->x, t->cur.x, sizeof(b->x));
		b->sp = t->cur.sp;
		b->pc = t->cur.pc;
		b->nzcv = t->cur.pstate & 0xF0000000ULL;
		b->tpidr = t->cur.tpidr;
		memcpy(b->q, t->fp.v, sizeof(b->q));
		b->fpcr = t->fp.fpcr;
		b->fpsr = t->fp.fpsr;
		S.st.regs_set++;
		return rc_errno(rc(RC_FN_TASK_REGS, t->h, S.e.regs_pa, RC_REGS_SET, 0, 0, NULL));
	}
	bool lowregs = t->first || t->cur.pc != t->orig.pc || t->cur.sp != t->orig.sp ||
		       t->cur.tpidr != t->orig.tpidr;
	for (int i = 1; i < 9 && !lowregs; i++)
		lowregs = t->cur.x[i] != t->orig.x[i];
	if (lowregs)
		*flags = RC_RUN_SET_REGS;
	else if (t->cur.x[0] != t->orig.x[0])
		*flags = RC_RUN_SET_X0;
	return 0;
}

static enum libos_exc_kind exc_kind(const struct rc_frame *f)
{
	if (f->reason != RC_REASON_SYNC)
		return LIBOS_EXC_IRQ;
	switch (ESR_EC(f->esr)) {
	case EC_SVC64:
		return LIBOS_EXC_SVC;
	case EC_DABT_LOW:
		return LIBOS_EXC_DABT;
	case EC_IABT_LOW:
		return LIBOS_EXC_IABT;
	case EC_BRK64:
		return LIBOS_EXC_BRK;
	case EC_PC_ALIGN:
		return LIBOS_EXC_PC_ALIGN;
	case EC_WFX:
		return LIBOS_EXC_IRQ;
	default:
		return LIBOS_EXC_UNDEF;
	}
}

/*
 * Registers the mini-OS refuses to run with (a pc or sp outside the user
 * range, a misaligned pc: a bad signal frame or rt_sigreturn can leave
 * them) fault at once on hardware: the task takes that fault here, without
 * entering, so the library OS signals the process as in the other modes.
 */
static bool bad_regs_fault(struct stask *t)
{
	uint64_t pc = t->cur.pc, sp = t->cur.sp;

	if (pc < RC_VA_LIMIT && IS_ALIGNED(pc, 4) && sp < RC_VA_LIMIT)
		return false;
	memset(&t->exc, 0, sizeof(t->exc));
	if (!IS_ALIGNED(pc, 4)) {
		t->exc.kind = LIBOS_EXC_PC_ALIGN;
		t->exc.esr = ESR_MAKE(EC_PC_ALIGN, 0);
		t->exc.far = pc;
	} else if (pc >= RC_VA_LIMIT) {
		t->exc.kind = LIBOS_EXC_IABT;
		t->exc.esr = ESR_MAKE(EC_IABT_LOW, FSC_TRANSLATION(0));
		t->exc.far = pc;
	} else {
		t->exc.kind = LIBOS_EXC_DABT;
		t->exc.esr = ESR_MAKE(EC_DABT_LOW, FSC_TRANSLATION(0) | ESR_ISS_WNR);
		t->exc.far = sp;
	}
	t->exc.pc = pc;
	S.st.traps_other++;
	return true;
}

/*
 * Run t at EL0 until its next exception or the end of its slice (t->exc,
 * t->cur): the CPU's timer is armed PAL_SHIM_SLICE_NS ahead, or at
 * `deadline` (the nearest sleeper's, 0: none) if that is sooner. The
 * timer's interrupt comes back as RC_REASON_IRQ: no trap, nothing pending;
 * the mini-OS then allows no copy of the task's call ranges (its trap
 * record is the interrupt's) and the task resumes where it stopped. 0 or
 * -EIO.
 */
static int run_task(struct stask *t, uint64_t deadline)
{
	struct rc_frame *f = S.e.frame;
	uint64_t flags, out[3], st;
	int r;

	if (bad_regs_fault(t))
		return 0;
	r = prepare(t, &flags);

	if (r)
		return r;
	if (S.e.timer_arm) {
		uint64_t cval = now_ns() + PAL_SHIM_SLICE_NS;

		S.e.timer_arm(S.e.host, deadline && deadline < cval ? deadline : cval);
	}
	memset(f, 0, sizeof(*f));
	memcpy(f->x, t->cur.x, sizeof(f->x));
	f->pc = t->cur.pc;
	f->sp = t->cur.sp;
	f->tpidr = t->cur.tpidr;
	f->nzcv = t->cur.pstate & 0xF0000000ULL;
	S.st.runs++;
	st = rc(RC_FN_SWITCH_TO_MINIOS, t->h, S.e.frame_pa, flags, 0, 0, out);
	if (st != RC_SUCCESS)
		return -EIO;
	memcpy(t->cur.x, f->x, sizeof(f->x));
	t->cur.pc = f->pc;
	t->cur.sp = f->sp;
	t->cur.tpidr = f->tpidr;
	t->cur.pstate = f->nzcv;
	t->orig = t->cur;
	t->full = t->fp_valid = t->fp_dirty = t->first = false;
	memset(&t->exc, 0, sizeof(t->exc));
	t->exc.kind = exc_kind(f);
	t->exc.esr = f->esr;
	t->exc.far = f->far;
	t->exc.pc = f->pc;
	if (t->exc.kind == LIBOS_EXC_SVC)
		S.st.traps_svc++;
	else if (t->exc.kind == LIBOS_EXC_IRQ)
		S.st.irqs++;
	else
		S.st.traps_other++;
	if (f->reason == RC_REASON_IRQ)
		S.st.preemptions++;
	return 0;
}

/* ---- tasks --------------------------------------------------------------------------- */

static int s_task_create(void *c, struct pal_as *as, const struct pal_regs *regs,
			 const struct pal_fpsimd *fp, void *lt, struct pal_task **out)
{
	struct sas *a = A(as);
	struct stask *t = NULL, *parent = S.cur != NONE ? &S.m->t[S.cur] : NULL;
	uint64_t h, o[3];
	unsigned k;

	(void)fp; /* a clone's FP registers are its parent's, in the copied save */
	if (!a)
		return -EINVAL;
	for (k = 0; k < NT && S.m->t[k].kt.state != ST_FREE; k++)
		;
	if (k == NT)
		return -EAGAIN;
	if (a->spare) {
		h = a->spare; /* init, or a fork child */
		a->spare = 0;
	} else if (a->h) {
		/* a thread, or vfork: the same mm */
		uint64_t from = parent && parent->as == as_id(as) && !parent->exited ? parent->h : a->h;
		uint64_t st = rc_grow(RC_FN_TASK_CLONE, from, RC_CLONE_VM, 0, 0, o);

		if (st != RC_SUCCESS)
			return st == RC_ERROR_NOMEM ? -EAGAIN : rc_errno(st);
		S.st.clones++;
		h = o[0];
	} else {
		return -EINVAL;
	}
	t = &S.m->t[k];
	memset(t, 0, sizeof(*t));
	t->kt.state = ST_USER;
	t->as = as_id(as);
	t->h = h;
	t->lt = lt;
	t->cur = *regs;
	t->first = true;
	if (parent && S.ntasks) {
		/* its saved registers are the parent's at the clone */
		t->orig = parent->orig;
		t->full = parent->full;
	} else {
		t->full = t->fp_valid = true; /* rc_create_container: all zero */
	}
	S.ntasks++;
	*out = (struct pal_task *)(void *)t;
	return 0;
}

/* execve: the task becomes the scratch task holding the new image; the old one ends. */
static int s_task_set_as(void *c, struct pal_task *pt, struct pal_as *as)
{
	struct stask *t = T(pt);
	struct sas *a = A(as);
	uint32_t old = t->as;
	uint64_t gone = t->h;
	int r;

	if (!a)
		return -EINVAL;
	if (old == as_id(as))
		return 0;
	if ((r = as_bind_new(as_id(as))))
		return r;
	if (!a->spare)
		return -EINVAL;
	t->h = a->spare;
	a->spare = 0;
	t->as = as_id(as);
	rc(RC_FN_TASK_EXIT, gone, 0, 0, 0, 0, NULL);
	S.st.exits++;
	as_rehandle(old, gone);
	/* rc_task_exec left every register zero but pc and sp (0 here) */
	memset(&t->orig, 0, sizeof(t->orig));
	memset(&t->fp, 0, sizeof(t->fp));
	t->full = t->fp_valid = true;
	t->fp_dirty = false;
	t->first = true;
	return 0;
}

/* Task t ended (rc_task_exit made): not the ending task any more, its mm named through another. */
static void task_gone(struct stask *t)
{
	t->exited = true;
	if (S.ending != NONE && &S.m->t[S.ending] == t)
		S.ending = NONE;
	as_rehandle(t->as, t->h);
}

static void s_task_exit(void *c, struct pal_task *pt)
{
	struct stask *t = T(pt);

	if (t->exited)
		return;
	rc(RC_FN_TASK_EXIT, t->h, 0, 0, 0, 0, NULL);
	S.st.exits++;
	task_gone(t);
}

/*
 * The task ends while its trap may still be a call the mini-OS does not
 * know as an end (killed in nanosleep, say): mark it (rc_task_ending) so
 * the library OS may walk its robust list. It never runs at EL0 again.
 */
static void s_task_ending(void *c, struct pal_task *pt)
{
	struct stask *t = T(pt);
	uint64_t st;

	if (t->exited || t->ending)
		return;
	if (t->exc.kind == LIBOS_EXC_SVC && !t->first &&
	    (t->orig.x[8] == SYS_EXIT || t->orig.x[8] == SYS_EXIT_GROUP))
		return; /* the mini-OS sees this end itself */
	st = rc(RC_FN_TASK_ENDING, t->h, S.e.shim, 0, 0, 0, NULL);
	if (st != RC_SUCCESS) {
		lib_log(LOG_WARN, "pal_shim", "rc_task_ending refused (status %llu)",
			(unsigned long long)st);
		return;
	}
	t->ending = true;
	S.ending = (unsigned)(t - S.m->t);
}

static void s_task_kick(void *c, struct pal_task *pt)
{
	T(pt)->kick = true; /* one thread: nothing runs now; it enters the kernel before EL0 */
}

/* ---- kernel threads and blocking -------------------------------------------------------- */

static uint64_t now_ns(void)
{
	return S.e.time_ns(S.e.host, PAL_CLOCK_MONOTONIC);
}

/* The kernel-thread switch (kthread.h) onto the deployment's. */
static void kt_sw(unsigned from, unsigned to)
{
	S.e.kt_switch(S.e.host, from, to);
}

static void kt_block(uint64_t deadline)
{
	kthread_block(&S.ks, deadline);
}

static void kt_entry(void)
{
	struct stask *t = &S.m->t[S.running];

	kthread_finish(&S.ks, libos_handle_exception(t->lt, &t->exc) == LIBOS_EXITED || t->exited ?
				      ST_DONE :
				      ST_USER);
}

static int s_wait(void *c, uint32_t *word, uint32_t expected, int64_t timeout_ns)
{
	if (__atomic_load_n(word, __ATOMIC_ACQUIRE) != expected)
		return 0;
	if (S.running == NONE)
		return 0; /* the scheduler does not sleep here */
	kt_block(timeout_ns >= 0 ? now_ns() + (uint64_t)timeout_ns + 1 : 0);
	return S.m->t[S.running].kt.timed_out ? -ETIMEDOUT : 0;
}

static void s_wake(void *c, uint32_t *word)
{
	kthread_wake_all(&S.ks); /* the library OS waits on one event word */
}

static void s_lock(void *c)
{
}

static void s_unlock(void *c)
{
}

/* ---- host files, console, time ------------------------------------------------------------ */

static int s_host_open(void *c, const char *path)
{
	return S.e.host_open(S.e.host, path);
}

static long s_host_pread(void *c, int h, void *buf, size_t len, uint64_t off)
{
	return S.e.host_pread(S.e.host, h, buf, len, off);
}

static void s_host_close(void *c, int h)
{
	S.e.host_close(S.e.host, h);
}

static long s_console_read(void *c, int fd, void *buf, size_t len)
{
	long r = S.e.console_read(S.e.host, fd, buf, len);

	if (r == -EAGAIN && S.running != NONE)
		kt_block(now_ns() + CONSOLE_POLL_NS); /* let the others run a while */
	return r;
}

static long s_console_write(void *c, int fd, const void *buf, size_t len)
{
	return S.e.console_write(S.e.host, fd, buf, len);
}

static uint64_t s_time_ns(void *c, enum pal_clock clock)
{
	return S.e.time_ns(S.e.host, (int)clock);
}

static void s_random(void *c, void *buf, size_t len)
{
	S.e.random(S.e.host, buf, len);
}

static void s_container_exit(void *c, int status, int sig)
{
	S.ended = true;
	S.status = status;
}

/* ---- the scheduler --------------------------------------------------------------------- */

static void reap(void)
{
	for (unsigned k = 0; k < NT; k++) {
		struct stask *t = &S.m->t[k];

		if (t->kt.state != ST_DONE)
			continue;
		if (!t->exited) {
			rc(RC_FN_TASK_EXIT, t->h, 0, 0, 0, 0, NULL);
			S.st.exits++;
			task_gone(t);
		}
		t->kt.state = ST_FREE;
		S.ntasks--;
	}
}

static void deliver(int sig)
{
	if (sig > 0 && sig <= 64 && !S.ended)
		libos_kill(1, sig);
}

static void start_kt(unsigned k)
{
	S.m->t[k].kt.state = ST_RUNNABLE;
	S.e.kt_start(S.e.host, k + 1, kt_entry);
}

/* The CPU's timer is the scheduler's only while it runs. */
static void timer_off(void)
{
	if (S.e.timer_arm)
		S.e.timer_arm(S.e.host, 0);
}

int pal_shim_run(void)
{
	uint64_t ended_at = 0;

	S.running = S.cur = NONE;
	for (;;) {
		unsigned k, n;

		kthread_run_ready(&S.ks);
		reap();
		deliver(S.e.poll_signal(S.e.host));
		kthread_run_ready(&S.ks);
		reap();
		if (S.ntasks == 0)
			break;
		/* sleepers whose time came first: a task in EL0 does not hold them up */
		bool woke = false;
		uint64_t next = kthread_check_deadlines(&S.ks, &woke);

		if (woke)
			continue;
		for (n = 0, k = S.rr; n < NT; n++, k = (k + 1) % NT)
			if (S.m->t[k].kt.state == ST_USER)
				break;
		if (n < NT) {
			struct stask *t = &S.m->t[k];

			S.rr = (k + 1) % NT;
			if (S.ended || t->kick) {
				/* into the kernel first: a signal to deliver, or the end */
				t->kick = false;
				if (S.ended && ++t->end_tries > 3) {
					t->kt.state = ST_DONE;
					continue;
				}
				memset(&t->exc, 0, sizeof(t->exc));
				t->exc.kind = LIBOS_EXC_IRQ;
				t->exc.pc = t->cur.pc;
				start_kt(k);
				continue;
			}
			if (run_task(t, next)) {
				lib_log(LOG_WARN, "pal_shim", "the mini-OS refused to run a task");
				timer_off();
				return -EIO;
			}
			start_kt(k);
			continue;
		}
		/* every task sleeps */
		uint64_t now = now_ns(), ns = IDLE_MAX_NS;

		next = kthread_check_deadlines(&S.ks, &woke);
		if (kthread_any_runnable(&S.ks))
			continue;
		if (S.ended) {
			if (!ended_at)
				ended_at = now;
			else if (now - ended_at > 1000000000ULL)
				break; /* sleepers init's end did not wake */
		}
		if (next && next - now < ns)
			ns = next > now ? next - now : 0;
		if (ns) {
			S.st.idles++;
			S.st.idle_ns += ns;
			deliver(S.e.idle(S.e.host, ns));
		}
	}
	timer_off();
	return 0;
}

int pal_shim_status(void)
{
	return S.ended ? S.status : -1;
}

void pal_shim_get_stats(struct pal_shim_stats *st)
{
	*st = S.st;
}

int pal_shim_init(const struct pal_shim_env *env, struct pal_ops *ops)
{
	if (!env->smc || !env->kt_start || !env->kt_switch || !env->idle || !env->poll_signal ||
	    !env->grow || !env->frame || !env->regs || !env->bounce || !env->meta ||
	    env->meta_size < sizeof(struct shim_meta) || !env->shim)
		return -EINVAL;
	memset(&S, 0, sizeof(S));
	S.e = *env;
	S.m = env->meta;
	/*
	 * The page hash is 4 MiB (HASH_N entries) of which a container uses a
	 * few pages' worth: clear it without writing what is zero already
	 * (the deployment hands over fresh, zeroed OS memory).
	 */
	memset(S.m, 0, offsetof(struct shim_meta, h));
	kzero_sparse(S.m->h, sizeof(S.m->h));
	S.running = S.cur = S.ending = NONE;
	S.status = -1;
	S.ks = (struct kthread_sched){
		.base = (uint8_t *)&S.m->t[0].kt,
		.stride = sizeof(S.m->t[0]),
		.n = NT,
		.none = NONE,
		.running = &S.running,
		.cur = &S.cur,
		.clear_cur = true,
		.switches = &S.st.kt_switches,
		.sw = kt_sw,
		.now = now_ns,
	};

	memset(ops, 0, sizeof(*ops));
	ops->ctx = &S;
	ops->hwcap = env->hwcap;
	ops->hwcap2 = env->hwcap2;
	ops->as_create = s_as_create;
	ops->as_destroy = s_as_destroy;
	ops->mem_map = s_mem_map;
	ops->mem_unmap = s_mem_unmap;
	ops->mem_protect = s_mem_protect;
	ops->mem_query = s_mem_query;
	ops->mem_copy_as = s_mem_copy_as;
	ops->mem_share = s_mem_share;
	ops->mem_pages = s_mem_pages;
	ops->copy_from_user = s_copy_from_user;
	ops->copy_to_user = s_copy_to_user;
	ops->strncpy_from_user = s_strncpy_from_user;
	ops->task_create = s_task_create;
	ops->task_set_as = s_task_set_as;
	ops->task_exit = s_task_exit;
	ops->task_ending = s_task_ending;
	ops->get_regs = s_get_regs;
	ops->get_regs_full = s_get_regs_full;
	ops->set_regs = s_set_regs;
	ops->get_fpsimd = s_get_fpsimd;
	ops->set_fpsimd = s_set_fpsimd;
	ops->task_kick = s_task_kick;
	ops->wait = s_wait;
	ops->wake = s_wake;
	ops->lock = s_lock;
	ops->unlock = s_unlock;
	ops->host_open = s_host_open;
	ops->host_pread = s_host_pread;
	ops->host_close = s_host_close;
	ops->console_read = s_console_read;
	ops->console_write = s_console_write;
	ops->time_ns = s_time_ns;
	ops->random = s_random;
	ops->container_exit = s_container_exit;
	return 0;
}
