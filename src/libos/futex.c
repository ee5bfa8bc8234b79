/*
 * Futexes: per-address wait queues, as Linux's futex(2) for non-PI
 * operations: WAIT/WAKE, WAIT_BITSET/WAKE_BITSET, REQUEUE/CMP_REQUEUE,
 * WAKE_OP, relative and absolute timeouts (FUTEX_CLOCK_REALTIME), and the
 * robust-list cleanup of an exiting thread (set_robust_list,
 * get_robust_list). The PI operations answer ENOSYS.
 *
 * A waiter lives on the stack of the host thread serving the waiting task
 * (the call does not return before it left its queue) and sleeps with
 * ev_wait: the library OS lock orders the value check against a waker's
 * FUTEX_WAKE, the `woken` flag says a wake-up chose it.
 *
 * Keys: a private futex is (address space, address); a shared one is
 * (shared memory object, offset) when the page belongs to a MAP_SHARED
 * object (mm.c's shm), otherwise the same as private (the memory cannot be
 * reached from another address space).
 */
#include "libos/kernel.h"

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_FD 2
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAKE_OP 5
#define FUTEX_LOCK_PI 6
#define FUTEX_UNLOCK_PI 7
#define FUTEX_TRYLOCK_PI 8
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_WAIT_REQUEUE_PI 11
#define FUTEX_CMP_REQUEUE_PI 12
#define FUTEX_LOCK_PI2 13
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_CMD_MASK (~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME))
#define FUTEX_BITSET_ANY 0xffffffffu

#define FUTEX_WAITERS 0x80000000u
#define FUTEX_OWNER_DIED 0x40000000u
#define FUTEX_TID_MASK 0x3fffffffu
#define ROBUST_LIST_LIMIT 2048
#define ROBUST_HEAD_SIZE 24

#define NBUCKETS FUTEX_NBUCKETS

struct futex_key {
	const void *obj; /* struct mm (private) or struct shm (shared) */
	uint64_t off;	 /* address (private) or offset in the object (shared) */
};

struct futex_waiter {
	struct futex_key key;
	uint32_t bitset;
	bool woken;
	struct futex_waiter *next;
};

void futex_reset(void)
{
	memset(g.futex_buckets, 0, sizeof(g.futex_buckets));
}

static unsigned bucket_of(const struct futex_key *k)
{
	uint64_t h = (uint64_t)(uintptr_t)k->obj * 0x9e3779b97f4a7c15ULL ^ (k->off >> 2);
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	return (unsigned)(h >> 58) % NBUCKETS;
}

static bool key_eq(const struct futex_key *a, const struct futex_key *b)
{
	return a->obj == b->obj && a->off == b->off;
}

/* Compute the key of the futex word at uaddr (which must be mapped in mm). */
static int futex_key_of(struct mm *mm, uint64_t uaddr, bool shared, struct futex_key *k)
{
	if (uaddr & 3)
		return -EINVAL;
	if (uaddr >= USER_VA_LIMIT)
		return -EFAULT;
	struct vma *v = vma_find(mm, uaddr);
	if (!v)
		return -EFAULT;
	if (shared && v->shm) {
		k->obj = v->shm;
		k->off = v->shm_off + (uaddr - v->start);
	} else {
		k->obj = mm;
		k->off = uaddr;
	}
	return 0;
}

static void enqueue(struct futex_waiter *w)
{
	struct futex_waiter **pp = &g.futex_buckets[bucket_of(&w->key)];
	while (*pp)
		pp = &(*pp)->next;
	w->next = NULL;
	*pp = w;
}

static void dequeue(struct futex_waiter *w)
{
	struct futex_waiter **pp = &g.futex_buckets[bucket_of(&w->key)];
	while (*pp && *pp != w)
		pp = &(*pp)->next;
	if (*pp)
		*pp = w->next;
	w->next = NULL;
}

/* Wake up to n waiters on key whose bitset meets `bitset`; the number woken. */
static int wake_key(const struct futex_key *k, int n, uint32_t bitset)
{
	int done = 0;
	struct futex_waiter **pp = &g.futex_buckets[bucket_of(k)];
	while (*pp && done < n) {
		struct futex_waiter *w = *pp;
		if (key_eq(&w->key, k) && (w->bitset & bitset)) {
			*pp = w->next;
			w->next = NULL;
			w->woken = true;
			done++;
		} else {
			pp = &w->next;
		}
	}
	if (done)
		ev_notify();
	return done;
}

/* Move up to n waiters from k1 to k2 (queue order kept); the number moved. */
static int requeue_key(const struct futex_key *k1, const struct futex_key *k2, int n)
{
	int done = 0;
	struct futex_waiter **pp = &g.futex_buckets[bucket_of(k1)];
	struct futex_waiter *moved = NULL, **tail = &moved;
	while (*pp && done < n) {
		struct futex_waiter *w = *pp;
		if (key_eq(&w->key, k1)) {
			*pp = w->next;
			w->next = NULL;
			*tail = w;
			tail = &w->next;
			done++;
		} else {
			pp = &w->next;
		}
	}
	while (moved) {
		struct futex_waiter *w = moved;
		moved = w->next;
		w->key = *k2;
		enqueue(w);
	}
	return done;
}

/* The futex word at uaddr, read as the container would (faulting pages in). */
static int word_read(struct task *t, uint64_t uaddr, uint32_t *v)
{
	uaccess_allow(t, uaddr, 4);
	return copy_in(t, v, uaddr, 4);
}

static int word_write(struct task *t, uint64_t uaddr, uint32_t v)
{
	uaccess_allow(t, uaddr, 4);
	return copy_out(t, uaddr, &v, 4);
}

/*
 * Sleep on the futex at uaddr while it holds val. deadline: absolute ns on
 * clock `clk` (PAL_CLOCK_*), or 0 for none.
 */
static long futex_wait(struct task *t, uint64_t uaddr, bool shared, uint32_t val, uint64_t deadline,
		       int clk, uint32_t bitset)
{
	struct futex_waiter w;
	memset(&w, 0, sizeof(w));
	int r = futex_key_of(t->proc->mm, uaddr, shared, &w.key);
	if (r)
		return r;
	uint32_t cur;
	if (word_read(t, uaddr, &cur))
		return -EFAULT;
	if (cur != val)
		return -EAGAIN;
	w.bitset = bitset;
	enqueue(&w);
	g.stats.futex_waits++;
	for (;;) {
		if (w.woken)
			return 0;
		int64_t left = -1;
		if (deadline) {
			uint64_t now = now_ns(clk);
			if (now >= deadline) {
				dequeue(&w);
				return -ETIMEDOUT;
			}
			left = (int64_t)(deadline - now);
		}
		uint32_t seq = ev_seq();
		r = ev_wait(t, seq, left);
		if (w.woken)
			return 0; /* a wake-up chose this waiter: it counts, signal or not */
		if (r == -ERESTARTSYS) {
			dequeue(&w);
			/* Linux: restarted after a handler with SA_RESTART unless there is a
			 * timeout */
			return deadline ? -EINTR : -ERESTARTSYS;
		}
	}
}

/* FUTEX_WAKE's and WAKE_OP's counts: as Linux, a count <= 0 still wakes one. */
static int wake_count(uint64_t v)
{
	int n = (int)(uint32_t)v;
	return n <= 0 ? 1 : n;
}

static int decode_nr(uint64_t v)
{
	int n = (int)(uint32_t)v;
	return n < 0 ? -1 : n;
}

/* FUTEX_WAKE_OP's operation on *uaddr2 and comparison of its old value. */
static int wake_op_apply(uint32_t enc, uint32_t old, uint32_t *nv, bool *cmp_true)
{
	unsigned op = (enc >> 28) & 7, cmp = (enc >> 24) & 15;
	int32_t oparg = (int32_t)(enc << 8) >> 20, cmparg = (int32_t)(enc << 20) >> 20;
	if (enc & (8u << 28)) { /* FUTEX_OP_OPARG_SHIFT */
		if (oparg < 0 || oparg > 31)
			oparg &= 31; /* as Linux (which also warns) */
		oparg = (int32_t)(1u << oparg);
	}
	switch (op) {
	case 0: /* SET */
		*nv = (uint32_t)oparg;
		break;
	case 1: /* ADD */
		*nv = old + (uint32_t)oparg;
		break;
	case 2: /* OR */
		*nv = old | (uint32_t)oparg;
		break;
	case 3: /* ANDN */
		*nv = old & ~(uint32_t)oparg;
		break;
	case 4: /* XOR */
		*nv = old ^ (uint32_t)oparg;
		break;
	default:
		return -ENOSYS;
	}
	int32_t o = (int32_t)old;
	switch (cmp) {
	case 0:
		*cmp_true = o == cmparg;
		break;
	case 1:
		*cmp_true = o != cmparg;
		break;
	case 2:
		*cmp_true = o < cmparg;
		break;
	case 3:
		*cmp_true = o <= cmparg;
		break;
	case 4:
		*cmp_true = o > cmparg;
		break;
	case 5:
		*cmp_true = o >= cmparg;
		break;
	default:
		return -ENOSYS;
	}
	return 0;
}

/*
 * futex(uaddr, op, val, timeout | val2, uaddr2, val3). WAKE_OP's
 * read-modify-write of *uaddr2 is atomic against other library OS calls
 * (the lock) but not against the program's own atomics on other CPUs.
 */
long sys_futex(struct task *t, const uint64_t *a)
{
	uint64_t uaddr = a[0], uaddr2 = a[4];
	int opf = (int)a[1];
	int cmd = opf & FUTEX_CMD_MASK;
	bool shared = !(opf & FUTEX_PRIVATE_FLAG);
	bool realtime = (opf & FUTEX_CLOCK_REALTIME) != 0;
	uint32_t val = (uint32_t)a[2], val3 = (uint32_t)a[5];
	struct mm *mm = t->proc->mm;

	if (realtime && cmd != FUTEX_WAIT && cmd != FUTEX_WAIT_BITSET &&
	    cmd != FUTEX_WAIT_REQUEUE_PI && cmd != FUTEX_LOCK_PI2)
		return -ENOSYS;
	switch (cmd) {
	case FUTEX_WAIT:
	case FUTEX_WAIT_BITSET: {
		uint32_t bitset = cmd == FUTEX_WAIT ? FUTEX_BITSET_ANY : val3;
		if (!bitset)
			return -EINVAL;
		uint64_t deadline = 0;
		int clk = realtime ? PAL_CLOCK_REALTIME : PAL_CLOCK_MONOTONIC;
		if (a[3]) {
			struct timespec_k ts;
			uaccess_allow(t, a[3], sizeof(ts));
			if (copy_in(t, &ts, a[3], sizeof(ts)))
				return -EFAULT;
			if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
				return -EINVAL;
			int64_t ns = kts_to_ns(ts.tv_sec, ts.tv_nsec);
			if (cmd == FUTEX_WAIT) { /* relative */
				uint64_t now = now_ns(clk);
				deadline = (uint64_t)ns > UINT64_MAX - now ? UINT64_MAX
									   : now + (uint64_t)ns;
			} else {
				deadline = (uint64_t)ns;
			}
			if (!deadline)
				deadline = 1; /* an absolute time of 0: already past */
		}
		return futex_wait(t, uaddr, shared, val, deadline, clk, bitset);
	}
	case FUTEX_WAKE:
	case FUTEX_WAKE_BITSET: {
		uint32_t bitset = cmd == FUTEX_WAKE ? FUTEX_BITSET_ANY : val3;
		if (!bitset)
			return -EINVAL;
		struct futex_key k;
		int r = futex_key_of(mm, uaddr, shared, &k);
		if (r)
			return r;
		return wake_key(&k, wake_count(val), bitset);
	}
	case FUTEX_REQUEUE:
	case FUTEX_CMP_REQUEUE: {
		int nwake = decode_nr(val), nreq = decode_nr(a[3]);
		if (nwake < 0 || nreq < 0)
			return -EINVAL;
		struct futex_key k1, k2;
		int r = futex_key_of(mm, uaddr, shared, &k1);
		if (!r)
			r = futex_key_of(mm, uaddr2, shared, &k2);
		if (r)
			return r;
		if (cmd == FUTEX_CMP_REQUEUE) {
			uint32_t cur;
			if (word_read(t, uaddr, &cur))
				return -EFAULT;
			if (cur != val3)
				return -EAGAIN;
		}
		int woke = wake_key(&k1, nwake, FUTEX_BITSET_ANY);
		int moved = requeue_key(&k1, &k2, nreq);
		return woke + moved;
	}
	case FUTEX_WAKE_OP: {
		int nwake = wake_count(val), nwake2 = wake_count(a[3]);
		struct futex_key k1, k2;
		int r = futex_key_of(mm, uaddr, shared, &k1);
		if (!r)
			r = futex_key_of(mm, uaddr2, shared, &k2);
		if (r)
			return r;
		uint32_t old, nv;
		bool cmp;
		if (word_read(t, uaddr2, &old))
			return -EFAULT;
		r = wake_op_apply(val3, old, &nv, &cmp);
		if (r)
			return r;
		if (word_write(t, uaddr2, nv))
			return -EFAULT;
		int woke = wake_key(&k1, nwake, FUTEX_BITSET_ANY);
		if (cmp)
			woke += wake_key(&k2, nwake2, FUTEX_BITSET_ANY);
		return woke;
	}
	case FUTEX_LOCK_PI:
	case FUTEX_UNLOCK_PI:
	case FUTEX_TRYLOCK_PI:
	case FUTEX_WAIT_REQUEUE_PI:
	case FUTEX_CMP_REQUEUE_PI:
	case FUTEX_LOCK_PI2:
		/* priority inheritance: not supported (glibc's PI mutexes report it) */
		return -ENOSYS;
	case FUTEX_FD: /* removed from Linux in 2.6.26 */
	default:
		return -ENOSYS;
	}
}

long sys_set_robust_list(struct task *t, const uint64_t *a)
{
	if (a[1] != ROBUST_HEAD_SIZE)
		return -EINVAL;
	t->robust_list = a[0];
	return 0;
}

long sys_get_robust_list(struct task *t, const uint64_t *a)
{
	int pid = (int)a[0];
	struct task *u = pid ? task_find(pid) : t;
	if (!u || u->exited)
		return -ESRCH;
	if (u->proc != t->proc && t->proc->euid != 0 && t->proc->euid != u->proc->uid)
		return -EPERM;
	uint64_t head = u->robust_list, len = ROBUST_HEAD_SIZE;
	if (copy_out(t, a[2], &len, 8) || copy_out(t, a[1], &head, 8))
		return -EFAULT;
	return 0;
}

/* Read/write container memory of an exiting thread (no call's descriptors apply). */
static int exit_read(struct mm *mm, uint64_t ua, void *dst, size_t len)
{
	if (ua + len < ua || ua + len > USER_VA_LIMIT)
		return -EFAULT;
	if (mm_fault_range(mm, ua, len, PROT_READ))
		return -EFAULT;
	return PAL(copy_from_user, mm->as, dst, ua, len) ? -EFAULT : 0;
}

/* One robust futex of a dying thread: mark its owner dead and wake a waiter. */
static void robust_one(struct task *t, struct mm *mm, uint64_t uaddr)
{
	uint32_t v;
	if (uaddr & 3 || exit_read(mm, uaddr, &v, 4))
		return;
	if ((v & FUTEX_TID_MASK) != (uint32_t)t->tid)
		return;
	uint32_t nv = (v & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
	if (mm_write(mm, uaddr, &nv, 4))
		return;
	if (nv & FUTEX_WAITERS) {
		struct futex_key k;
		if (futex_key_of(mm, uaddr, true, &k) == 0)
			wake_key(&k, 1, FUTEX_BITSET_ANY);
	}
}

void futex_thread_exit(struct task *t)
{
	struct process *p = t->proc;
	struct mm *mm = p->mm;
	if (!mm)
		return;
	/*
	 * Only when someone can be waiting on them: another thread that goes on
	 * (not when the whole process is ending), or another process through
	 * MAP_SHARED memory (a realm's RMM allows only the list's head, read in
	 * the thread's own exit: a single-threaded process reads nothing).
	 */
	bool observed = p->nthreads > 1 && !(p->exiting && mm->refs == 1);
	for (struct vma *v = mm->vmas; v && !observed; v = v->next)
		observed = v->shm != NULL;
	if (observed && (t->robust_list || t->clear_child_tid) && t->pt && g.pal.task_ending)
		PAL(task_ending, t->pt); /* its own last request may be still pending */
	if (t->robust_list && observed) {
		uint64_t head = t->robust_list, h[3]; /* next, futex_offset, list_op_pending */
		t->robust_list = 0;
		if (exit_read(mm, head, h, sizeof(h)) == 0) {
			int64_t off = (int64_t)h[1];
			uint64_t e = h[0], pending = h[2] & ~1ULL;
			for (int n = 0; e != head && n < ROBUST_LIST_LIMIT; n++) {
				uint64_t next;
				if (exit_read(mm, e & ~1ULL, &next, 8))
					break;
				if ((e & ~1ULL) != pending)
					robust_one(t, mm, (e & ~1ULL) + (uint64_t)off);
				e = next;
			}
			if (pending)
				robust_one(t, mm, pending + (uint64_t)off);
		}
	}
	/*
	 * clear_child_tid, unless the whole process is going and nothing else
	 * shares its memory (nobody could see the write; the realm RMM allows
	 * it only in the thread's own exit or at a KICK).
	 */
	if (t->clear_child_tid && p->nthreads > 1 && !(p->exiting && mm->refs == 1)) {
		int32_t zero = 0;
		uint64_t ctid = t->clear_child_tid;
		t->clear_child_tid = 0;
		if (mm_write(mm, ctid, &zero, 4) == 0) {
			struct futex_key k;
			if (futex_key_of(mm, ctid, true, &k) == 0)
				wake_key(&k, 1, FUTEX_BITSET_ANY);
			ev_notify();
		}
	}
}
