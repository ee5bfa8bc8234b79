/*
 * Waiting on many files: ppoll, pselect6 and epoll (epoll_create1,
 * epoll_ctl, epoll_pwait, epoll_pwait2), and the files made to be waited on
 * (eventfd2, timerfd_create/settime/gettime; their read/write/poll come here
 * through fd.c). Sleepers wait on the global event counter (ev_wait) with a
 * timeout bounded by the nearest timerfd expiry or host-socket re-check
 * among the files they watch (file_poll_wake_ns): timers fire with no task
 * running, by the sleeper finding them expired when it wakes.
 */
#include "libos/kernel.h"

#define POLLIN 0x1
#define POLLPRI 0x2
#define POLLOUT 0x4
#define POLLERR 0x8
#define POLLHUP 0x10
#define POLLNVAL 0x20
#define POLLRDNORM 0x40
#define POLLWRNORM 0x100
#define POLLRDHUP 0x2000

#define EPOLLEXCLUSIVE (1u << 28)
#define EPOLLWAKEUP (1u << 29)
#define EPOLLONESHOT (1u << 30)
#define EPOLLET (1u << 31)
#define EP_PRIVATE_BITS (EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE)
#define EP_EXCLUSIVE_OK                                                                            \
	(POLLIN | POLLOUT | POLLERR | POLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE)
#define EP_MAX_NESTS 4
#define EP_MAX_EVENTS (0x7fffffff / 16)
#define EPOLL_CTL_ADD 1
#define EPOLL_CTL_DEL 2
#define EPOLL_CTL_MOD 3

#define EFD_SEMAPHORE 1
#define TFD_TIMER_ABSTIME 1
#define TFD_TIMER_CANCEL_ON_SET 2
#define CLOCK_REALTIME_ 0
#define CLOCK_MONOTONIC_ 1
#define CLOCK_BOOTTIME_ 7
#define CLOCK_REALTIME_ALARM_ 8
#define CLOCK_BOOTTIME_ALARM_ 9

#define NO_DEADLINE UINT64_MAX
#define UNBLOCKABLE (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))

/* ---- shared by every waiting call ---- */

/* f's readiness for poll `events` (RDNORM/WRNORM as IN/OUT), the bits to report. */
static unsigned poll_revents(struct file *f, unsigned events)
{
	unsigned want = (events & (POLLIN | POLLPRI | POLLOUT | POLLRDHUP)) |
			(events & POLLRDNORM ? POLLIN : 0) | (events & POLLWRNORM ? POLLOUT : 0);
	unsigned rv = file_poll(f, want);
	unsigned out = rv & (POLLPRI | POLLRDHUP | POLLERR | POLLHUP);

	if (rv & POLLIN)
		out |= POLLIN | POLLRDNORM;
	if (rv & POLLOUT)
		out |= POLLOUT | POLLWRNORM;
	return out & (events | POLLERR | POLLHUP);
}

/* The nearer of two wake-ups (-1: none). */
static int64_t wake_min(int64_t a, int64_t b)
{
	if (a < 0)
		return b;
	return b >= 0 && b < a ? b : a;
}

/*
 * After a scan found nothing ready: sleep until a file event (the counter
 * moved past seq, read before the scan), the nearest wake-up a watched file
 * asks for (wake_ns) or the deadline. Returns 0 to scan again, 1 once the
 * deadline has passed, -EINTR when a signal interrupted the sleep.
 */
static int poll_sleep(struct task *t, uint32_t seq, uint64_t deadline, int64_t wake_ns)
{
	int64_t left = -1;

	if (deadline != NO_DEADLINE) {
		uint64_t now = now_ns(PAL_CLOCK_MONOTONIC);
		if (now >= deadline)
			return 1;
		left = (int64_t)(deadline - now);
	}
	left = wake_min(left, wake_ns);
	return ev_wait(t, seq, left) == -ERESTARTSYS ? -EINTR : 0;
}

/* A struct timespec timeout: 0 and *ns, -EFAULT, or -EINVAL when malformed. */
static int timeout_in(struct task *t, uint64_t uts, int64_t *ns)
{
	struct timespec_k ts;

	if (copy_in(t, &ts, uts, sizeof(ts)))
		return -EFAULT;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
		return -EINVAL;
	*ns = kts_to_ns(ts.tv_sec, ts.tv_nsec);
	return 0;
}

static uint64_t deadline_of(int64_t timeout_ns)
{
	if (timeout_ns < 0)
		return NO_DEADLINE;
	uint64_t now = now_ns(PAL_CLOCK_MONOTONIC);
	return now + (uint64_t)timeout_ns < now ? NO_DEADLINE : now + (uint64_t)timeout_ns;
}

/*
 * The wait of ppoll, pselect6 and epoll_wait: scan until something is
 * ready, the deadline (deadline_of) passes or a signal comes; `once`: a
 * zero timeout, one scan. Returns the scan's count (0 at the deadline), its
 * error, or -EINTR.
 */
typedef long (*ready_scan_fn)(struct task *t, void *arg, int64_t *wake_ns);

static long wait_ready(struct task *t, uint64_t deadline, bool once, ready_scan_fn scan,
		       void *arg)
{
	for (;;) {
		int64_t wake = -1;
		uint32_t seq = ev_seq();
		long ready = scan(t, arg, &wake);

		if (ready || once)
			return ready;
		int r = poll_sleep(t, seq, deadline, wake);
		if (r != 0)
			return r == 1 ? 0 : r;
	}
}

/*
 * ppoll/pselect6 write the time left back (Linux does, unless the timeout
 * was zero); a failing copy is ignored as Linux ignores it.
 */
static void timeout_out(struct task *t, uint64_t uts, int64_t timeout_ns, uint64_t deadline)
{
	if (!uts || timeout_ns <= 0 || deadline == NO_DEADLINE)
		return;
	uint64_t now = now_ns(PAL_CLOCK_MONOTONIC);
	uint64_t left = now >= deadline ? 0 : deadline - now;
	struct timespec_k ts = {(int64_t)(left / 1000000000ULL), (int64_t)(left % 1000000000ULL)};
	(void)copy_out(t, uts, &ts, sizeof(ts));
}

/* Install a temporary signal mask for the call (umask 0: none). 0, -EINVAL, -EFAULT. */
static int sigmask_push(struct task *t, uint64_t umask, uint64_t size)
{
	uint64_t m;

	if (!umask)
		return 0;
	if (size != 8)
		return -EINVAL;
	if (copy_in(t, &m, umask, 8))
		return -EFAULT;
	t->saved_mask = t->sigmask;
	t->restore_mask = true;
	t->sigmask = m & ~UNBLOCKABLE;
	return 0;
}

/*
 * The call ends with result r: the old mask comes back now, except after
 * EINTR, when signal delivery restores it once the handler's frame is set.
 */
static long sigmask_pop(struct task *t, bool pushed, long r)
{
	if (pushed && r != -EINTR && t->restore_mask) {
		t->sigmask = t->saved_mask;
		t->restore_mask = false;
	}
	return r;
}

/* ---- ppoll, pselect6 ---- */

struct pollfd_k {
	int32_t fd;
	int16_t events, revents;
};

static long ppoll_scan(struct task *t, struct pollfd_k *p, uint64_t nfds, int64_t *wake)
{
	long ready = 0;

	*wake = -1;
	for (uint64_t i = 0; i < nfds; i++) {
		p[i].revents = 0;
		if (p[i].fd < 0)
			continue;
		struct file *f = fd_get(t->proc, p[i].fd);
		if (!f) {
			p[i].revents = POLLNVAL;
		} else {
			p[i].revents = (int16_t)poll_revents(f, (uint16_t)p[i].events);
			*wake = wake_min(*wake, file_poll_wake_ns(f));
		}
		if (p[i].revents)
			ready++;
	}
	return ready;
}

/* ppoll(fds, nfds, tmo, sigmask, sigsetsize) */
struct ppoll_arg {
	struct pollfd_k *p;
	uint64_t nfds;
};

static long ppoll_scan_fn(struct task *t, void *arg, int64_t *wake)
{
	struct ppoll_arg *pa = arg;

	return ppoll_scan(t, pa->p, pa->nfds, wake);
}

long sys_ppoll(struct task *t, const uint64_t *a)
{
	uint64_t nfds = a[1];
	int64_t timeout = -1;
	int r;

	if (a[2] && (r = timeout_in(t, a[2], &timeout)) != 0)
		return r;
	if ((r = sigmask_push(t, a[3], a[4])) != 0)
		return r;
	bool pushed = a[3] != 0;
	if (nfds > MAX_FDS)
		return sigmask_pop(t, pushed, -EINVAL);
	struct pollfd_k *p = kmalloc(sizeof(*p) * (nfds ? nfds : 1));
	if (!p)
		return sigmask_pop(t, pushed, -ENOMEM);
	if (copy_in(t, p, a[0], sizeof(*p) * nfds)) {
		kfree(p);
		return sigmask_pop(t, pushed, -EFAULT);
	}
	struct ppoll_arg pa = {p, nfds};
	uint64_t deadline = deadline_of(timeout);
	long ready = wait_ready(t, deadline, timeout == 0, ppoll_scan_fn, &pa);
	if (ready >= 0 && copy_out(t, a[0], p, sizeof(*p) * nfds))
		ready = -EFAULT;
	kfree(p);
	timeout_out(t, a[2], timeout, deadline);
	return sigmask_pop(t, pushed, ready);
}

#define SEL_IN (POLLIN | POLLRDNORM | POLLHUP | POLLERR)
#define SEL_OUT (POLLOUT | POLLWRNORM | POLLERR)
#define SEL_EX POLLPRI

static long select_scan(struct task *t, int nfds, uint8_t in[3][MAX_FDS / 8],
			uint8_t out[3][MAX_FDS / 8], int64_t *wake)
{
	static const unsigned want[3] = {SEL_IN, SEL_OUT, SEL_EX};
	long ready = 0;

	*wake = -1;
	memset(out, 0, 3 * (MAX_FDS / 8));
	for (int fd = 0; fd < nfds; fd++) {
		unsigned bit = 1u << (fd % 8);
		if (!((in[0][fd / 8] | in[1][fd / 8] | in[2][fd / 8]) & bit))
			continue;
		struct file *f = fd_get(t->proc, fd);
		if (!f)
			continue;
		unsigned ev = 0;
		for (int k = 0; k < 3; k++)
			if (in[k][fd / 8] & bit)
				ev |= want[k];
		unsigned rv = poll_revents(f, ev);
		for (int k = 0; k < 3; k++) {
			if ((in[k][fd / 8] & bit) && (rv & want[k])) {
				out[k][fd / 8] |= (uint8_t)bit;
				ready++;
			}
		}
		*wake = wake_min(*wake, file_poll_wake_ns(f));
	}
	return ready;
}

/* pselect6(nfds, readfds, writefds, exceptfds, timeout, {sigmask, sigsetsize}) */
struct select_arg {
	int nfds;
	uint8_t (*in)[MAX_FDS / 8], (*out)[MAX_FDS / 8];
};

static long select_scan_fn(struct task *t, void *arg, int64_t *wake)
{
	struct select_arg *sa = arg;

	return select_scan(t, sa->nfds, sa->in, sa->out, wake);
}

long sys_pselect6(struct task *t, const uint64_t *a)
{
	int nfds = (int)a[0];
	int64_t timeout = -1;
	bool pushed = false;
	int r;

	if (a[4] && (r = timeout_in(t, a[4], &timeout)) != 0)
		return r;
	if (a[5]) {
		uint64_t pair[2];
		if (copy_in(t, pair, a[5], 16))
			return -EFAULT;
		if (pair[0]) {
			uaccess_allow(t, pair[0], 8);
			if ((r = sigmask_push(t, pair[0], pair[1])) != 0)
				return r;
			pushed = true;
		}
	}
	if (nfds < 0)
		return sigmask_pop(t, pushed, -EINVAL);
	if (nfds > MAX_FDS)
		nfds = MAX_FDS; /* Linux clamps to the table size */
	size_t nb = ((size_t)nfds + 7) / 8;
	uint8_t in[3][MAX_FDS / 8], out[3][MAX_FDS / 8];
	memset(in, 0, sizeof(in));
	for (int k = 0; k < 3; k++)
		if (a[1 + k] && copy_in(t, in[k], a[1 + k], nb))
			return sigmask_pop(t, pushed, -EFAULT);
	if (nfds % 8)
		for (int k = 0; k < 3; k++)
			in[k][nb - 1] &= (uint8_t)((1u << (nfds % 8)) - 1);
	for (int fd = 0; fd < nfds; fd++)
		if (((in[0][fd / 8] | in[1][fd / 8] | in[2][fd / 8]) >> (fd % 8) & 1) &&
		    !fd_get(t->proc, fd))
			return sigmask_pop(t, pushed, -EBADF);
	struct select_arg sa = {nfds, in, out};
	uint64_t deadline = deadline_of(timeout);
	long ready = wait_ready(t, deadline, timeout == 0, select_scan_fn, &sa);
	if (ready >= 0)
		for (int k = 0; k < 3; k++)
			if (a[1 + k] && copy_out(t, a[1 + k], out[k], nb))
				ready = -EFAULT;
	timeout_out(t, a[4], timeout, deadline);
	return sigmask_pop(t, pushed, ready);
}

/*
 * A new anonymous-inode file of `type` (eventfd, timerfd, epoll) whose
 * f->obj is a zeroed object of `size` bytes; O_NONBLOCK of flags is kept.
 * NULL when out of memory.
 */
static struct file *anon_file(enum file_type type, size_t size, unsigned flags, const char *name)
{
	void *obj = kzalloc(size);
	struct file *f = file_new(type, O_RDWR | (flags & O_NONBLOCK), name);
	if (!obj || !f) {
		kfree(obj);
		file_put(f);
		return NULL;
	}
	f->obj = obj;
	return f;
}

/* Install f at the lowest free fd (O_CLOEXEC of flags); it goes if that fails. */
static int anon_install(struct task *t, struct file *f, unsigned flags)
{
	int fd = fd_install(t->proc, f, 0, flags & O_CLOEXEC);
	if (fd < 0)
		file_put(f);
	return fd;
}

/* ---- eventfd ---- */

struct eventfd {
	uint64_t count;
	bool semaphore;
	uint64_t gen_in, gen_out; /* writes, reads (file_poll_gen) */
};

long sys_eventfd2(struct task *t, const uint64_t *a)
{
	unsigned flags = (unsigned)a[1];

	if (flags & ~(EFD_SEMAPHORE | O_CLOEXEC | O_NONBLOCK))
		return -EINVAL;
	struct file *f = anon_file(FT_EVENTFD, sizeof(struct eventfd), flags, "anon_inode:[eventfd]");
	if (!f)
		return -ENOMEM;
	struct eventfd *e = f->obj;
	e->count = (uint32_t)a[0];
	e->semaphore = flags & EFD_SEMAPHORE;
	return anon_install(t, f, flags);
}

static long eventfd_read(struct task *t, struct file *f, uint64_t ubuf, size_t len)
{
	struct eventfd *e = f->obj;

	if (len < 8)
		return -EINVAL;
	while (e->count == 0) {
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		if (ev_wait(t, ev_seq(), -1) == -ERESTARTSYS)
			return -ERESTARTSYS;
	}
	uint64_t v = e->semaphore ? 1 : e->count;
	if (copy_out(t, ubuf, &v, 8))
		return -EFAULT;
	e->count -= v;
	e->gen_out++;
	ev_notify();
	return 8;
}

static long eventfd_write(struct task *t, struct file *f, uint64_t ubuf, size_t len)
{
	struct eventfd *e = f->obj;
	uint64_t v;

	if (len < 8)
		return -EINVAL;
	if (copy_in(t, &v, ubuf, 8))
		return -EFAULT;
	if (v == UINT64_MAX)
		return -EINVAL;
	/* the counter tops out at 2^64 - 2 */
	while (UINT64_MAX - e->count <= v) {
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		if (ev_wait(t, ev_seq(), -1) == -ERESTARTSYS)
			return -ERESTARTSYS;
	}
	e->count += v;
	if (v) {
		e->gen_in++;
		ev_notify();
	}
	return 8;
}

static unsigned eventfd_poll(struct eventfd *e)
{
	return (e->count ? POLLIN : 0) | (e->count < UINT64_MAX - 1 ? POLLOUT : 0);
}

/* ---- timerfd ---- */

struct timerfd {
	int clock; /* PAL_CLOCK_* the expiry is on */
	bool armed;
	uint64_t next;	   /* next expiry, ns on `clock` */
	uint64_t interval; /* 0: one shot */
	uint64_t ticks;	   /* expirations not read yet */
	uint64_t gen;	   /* every expiry and setting (file_poll_gen) */
};

/* Count the expirations that have passed (timers are looked at, never run). */
static void tfd_update(struct timerfd *tm)
{
	if (!tm->armed)
		return;
	uint64_t now = now_ns(tm->clock);
	if (now < tm->next)
		return;
	uint64_t n = 1;
	if (tm->interval) {
		n += (now - tm->next) / tm->interval;
		uint64_t step = n * tm->interval;
		if (step / tm->interval != n || tm->next + step < tm->next)
			tm->armed = false; /* the next expiry is past the end of time */
		else
			tm->next += step;
	} else {
		tm->armed = false;
	}
	tm->ticks += n;
	tm->gen += n;
}

static int64_t tfd_wake_ns(struct timerfd *tm)
{
	if (!tm->armed)
		return -1;
	uint64_t now = now_ns(tm->clock);
	return now >= tm->next ? 0 : (int64_t)KMIN(tm->next - now, (uint64_t)INT64_MAX);
}

long sys_timerfd_create(struct task *t, const uint64_t *a)
{
	int clockid = (int)a[0];
	unsigned flags = (unsigned)a[1];
	int clock;

	if (flags & ~(O_CLOEXEC | O_NONBLOCK))
		return -EINVAL;
	switch (clockid) {
	case CLOCK_REALTIME_:
		clock = PAL_CLOCK_REALTIME;
		break;
	case CLOCK_MONOTONIC_:
	case CLOCK_BOOTTIME_: /* no suspend here: boot time is monotonic time */
		clock = PAL_CLOCK_MONOTONIC;
		break;
	case CLOCK_REALTIME_ALARM_:
	case CLOCK_BOOTTIME_ALARM_:
		/* wake-up alarms need CAP_WAKE_ALARM, which containers do not get */
		return -EPERM;
	default:
		return -EINVAL;
	}
	struct file *f = anon_file(FT_TIMERFD, sizeof(struct timerfd), flags, "anon_inode:[timerfd]");
	if (!f)
		return -ENOMEM;
	((struct timerfd *)f->obj)->clock = clock;
	return anon_install(t, f, flags);
}

static struct timerfd *tfd_get(struct task *t, uint64_t fd, int *err)
{
	struct file *f = fd_get(t->proc, (int)fd);
	*err = !f ? -EBADF : f->type != FT_TIMERFD ? -EINVAL : 0;
	return *err ? NULL : f->obj;
}

/* The current setting as a struct itimerspec {interval, value}. */
static void tfd_setting(struct timerfd *tm, struct timespec_k its[2])
{
	tfd_update(tm);
	int64_t left = tfd_wake_ns(tm);
	if (left == 0)
		left = 1; /* armed and due: Linux reports the smallest non-zero value */
	its[0].tv_sec = (int64_t)(tm->interval / 1000000000ULL);
	its[0].tv_nsec = (int64_t)(tm->interval % 1000000000ULL);
	its[1].tv_sec = left < 0 ? 0 : left / 1000000000LL;
	its[1].tv_nsec = left < 0 ? 0 : left % 1000000000LL;
}

static bool ts_valid(const struct timespec_k *ts)
{
	return ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000;
}

/* timerfd_settime(fd, flags, new, old) */
long sys_timerfd_settime(struct task *t, const uint64_t *a)
{
	struct timespec_k its[2], old[2];
	unsigned flags = (unsigned)a[1];
	int err;

	if (copy_in(t, its, a[2], sizeof(its)))
		return -EFAULT;
	if ((flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET)) || !ts_valid(&its[0]) ||
	    !ts_valid(&its[1]))
		return -EINVAL;
	struct timerfd *tm = tfd_get(t, a[0], &err);
	if (!tm)
		return err;
	/*
	 * TFD_TIMER_CANCEL_ON_SET: the container cannot set the clock, so the
	 * cancellation it asks for never happens; accepted as Linux does.
	 */
	tfd_setting(tm, old);
	uint64_t value = (uint64_t)kts_to_ns(its[1].tv_sec, its[1].tv_nsec);
	tm->interval = (uint64_t)kts_to_ns(its[0].tv_sec, its[0].tv_nsec);
	tm->ticks = 0;
	tm->gen++;
	tm->armed = value != 0;
	if (tm->armed) {
		uint64_t now = now_ns(tm->clock);
		tm->next = (flags & TFD_TIMER_ABSTIME) ? value
			   : now + value < now	       ? UINT64_MAX
						       : now + value;
	}
	ev_notify(); /* sleepers recompute their wake-ups */
	if (a[3] && copy_out(t, a[3], old, sizeof(old)))
		return -EFAULT;
	return 0;
}

/* timerfd_gettime(fd, cur) */
long sys_timerfd_gettime(struct task *t, const uint64_t *a)
{
	struct timespec_k its[2];
	int err;
	struct timerfd *tm = tfd_get(t, a[0], &err);

	if (!tm)
		return err;
	tfd_setting(tm, its);
	return copy_out(t, a[1], its, sizeof(its)) ? -EFAULT : 0;
}

static long timerfd_read(struct task *t, struct file *f, uint64_t ubuf, size_t len)
{
	struct timerfd *tm = f->obj;

	if (len < 8)
		return -EINVAL;
	for (;;) {
		uint32_t seq = ev_seq();
		tfd_update(tm);
		if (tm->ticks)
			break;
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		if (ev_wait(t, seq, tfd_wake_ns(tm)) == -ERESTARTSYS)
			return -ERESTARTSYS;
	}
	if (copy_out(t, ubuf, &tm->ticks, 8))
		return -EFAULT;
	tm->ticks = 0;
	return 8;
}

/* ---- epoll ---- */

struct epoll;

/* One watched (file, fd) pair of an epoll instance. */
struct epitem {
	struct epoll *ep;
	struct file *file; /* not a reference: the item goes when the file's last one does */
	int fd;
	uint32_t events; /* requested, with ERR|HUP and the private bits */
	uint64_t data;
	uint64_t seen_gen;	  /* file_poll_gen at the last look */
	unsigned seen_ready;	  /* readiness at the last look */
	bool queued;		  /* on the ready list */
	struct epitem *next;	  /* the instance's items, in insertion order */
	struct epitem *rd_next;	  /* ready list */
	struct epitem *file_next; /* the file's watchers */
};

struct epoll {
	struct file *file; /* its FT_EPOLL file (not a reference) */
	struct epitem *items;
	struct epitem *rd_head, *rd_tail;
	uint64_t gen; /* bumped when an item is queued: the epoll's own wake-up */
	bool busy;    /* being scanned (a loop would be a bug: refuse to recurse) */
};

long sys_epoll_create1(struct task *t, const uint64_t *a)
{
	unsigned flags = (unsigned)a[0];

	if (flags & ~O_CLOEXEC)
		return -EINVAL;
	struct file *f = anon_file(FT_EPOLL, sizeof(struct epoll), flags, "anon_inode:[eventpoll]");
	if (!f)
		return -ENOMEM;
	((struct epoll *)f->obj)->file = f;
	return anon_install(t, f, flags);
}

static void rd_append(struct epitem *it)
{
	struct epoll *ep = it->ep;

	it->queued = true;
	it->rd_next = NULL;
	if (ep->rd_tail)
		ep->rd_tail->rd_next = it;
	else
		ep->rd_head = it;
	ep->rd_tail = it;
	ep->gen++;
}

static void rd_remove(struct epitem *it)
{
	struct epoll *ep = it->ep;
	struct epitem **pp = &ep->rd_head, *prev = NULL;

	if (!it->queued)
		return;
	while (*pp && *pp != it) {
		prev = *pp;
		pp = &(*pp)->rd_next;
	}
	if (*pp)
		*pp = it->rd_next;
	if (ep->rd_tail == it)
		ep->rd_tail = prev;
	it->queued = false;
	it->rd_next = NULL;
}

/* The item's readiness now (its requested events only). */
static unsigned item_poll(struct epitem *it)
{
	unsigned ev = it->events & ~EP_PRIVATE_BITS;
	return ev ? poll_revents(it->file, ev) & ev : 0;
}

/*
 * Look at every item as Linux's wake-up callbacks would have: an item whose
 * file was woken (its poll generation moved, or readiness newly appeared)
 * and is ready joins the ready list; level-triggered items that are ready
 * join it regardless.
 */
static void ep_scan(struct epoll *ep)
{
	if (ep->busy)
		return;
	ep->busy = true;
	for (struct epitem *it = ep->items; it; it = it->next) {
		unsigned r = item_poll(it);
		uint64_t gen = file_poll_gen(it->file, it->events & ~EP_PRIVATE_BITS);
		bool woke = gen != it->seen_gen || (r & ~it->seen_ready);
		it->seen_gen = gen;
		it->seen_ready = r;
		if (r && !it->queued && (woke || !(it->events & EPOLLET)))
			rd_append(it);
	}
	ep->busy = false;
}

/*
 * Take up to max ready events off the list into out (epoll_event layout:
 * u32 events, 4 bytes padding, u64 data). Level-triggered items go back to
 * the tail after the items still waiting; one-shot items are disarmed.
 */
static int ep_harvest(struct epoll *ep, uint8_t *out, int max)
{
	struct epitem *tx = ep->rd_head, *again = NULL, *again_last = NULL;
	int n = 0;

	ep->rd_head = ep->rd_tail = NULL;
	while (tx && n < max) {
		struct epitem *it = tx;
		tx = it->rd_next;
		it->queued = false;
		it->rd_next = NULL;
		unsigned r = item_poll(it);
		if (!r)
			continue;
		uint32_t ev32 = r;
		memset(out + 16 * n, 0, 16);
		memcpy(out + 16 * n, &ev32, 4);
		memcpy(out + 16 * n + 8, &it->data, 8);
		n++;
		if (it->events & EPOLLONESHOT) {
			it->events &= EP_PRIVATE_BITS;
		} else if (!(it->events & EPOLLET)) {
			it->queued = true;
			if (again_last)
				again_last->rd_next = it;
			else
				again = it;
			again_last = it;
		}
	}
	/* the untouched rest first, then the re-queued level-triggered items */
	struct epitem *last = tx;
	while (last && last->rd_next)
		last = last->rd_next;
	if (last) {
		ep->rd_head = tx;
		last->rd_next = again;
	} else {
		ep->rd_head = again;
	}
	ep->rd_tail = again_last ? again_last : last;
	return n;
}

/* Has the instance a ready event? (its readiness as a file: POLLIN) */
static bool ep_ready(struct epoll *ep)
{
	ep_scan(ep);
	if (ep->busy)
		return false;
	ep->busy = true;
	bool ready = false;
	for (struct epitem *it = ep->rd_head, *nx; it; it = nx) {
		nx = it->rd_next;
		if (item_poll(it)) {
			ready = true;
			break;
		}
		rd_remove(it); /* woken but not ready for what it asked */
	}
	ep->busy = false;
	return ready;
}

static int64_t ep_wake_ns(struct epoll *ep)
{
	int64_t w = -1;

	if (ep->busy)
		return -1;
	ep->busy = true;
	for (struct epitem *it = ep->items; it; it = it->next)
		w = wake_min(w, file_poll_wake_ns(it->file));
	ep->busy = false;
	return w;
}

static void item_free(struct epitem *it)
{
	struct epoll *ep = it->ep;
	struct epitem **pp;

	rd_remove(it);
	for (pp = &ep->items; *pp && *pp != it; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = it->next;
	for (pp = &it->file->watchers; *pp && *pp != it; pp = &(*pp)->file_next)
		;
	if (*pp)
		*pp = it->file_next;
	kfree(it);
}

static struct epitem *ep_find(struct epoll *ep, struct file *f, int fd)
{
	for (struct epitem *it = ep->items; it; it = it->next)
		if (it->file == f && it->fd == fd)
			return it;
	return NULL;
}

/* Longest chain of epoll instances below ep (0: it watches none); > EP_MAX_NESTS if it reaches
 * `avoid`. */
static int ep_depth_down(struct epoll *ep, struct epoll *avoid, int level)
{
	int d = 0;

	if (ep == avoid || level > EP_MAX_NESTS)
		return EP_MAX_NESTS + 1;
	for (struct epitem *it = ep->items; it; it = it->next) {
		if (it->file->type != FT_EPOLL)
			continue;
		int sub = 1 + ep_depth_down(it->file->obj, avoid, level + 1);
		d = KMAX(d, sub);
	}
	return d;
}

/* Longest chain of epoll instances above ep (that watch it, transitively). */
static int ep_depth_up(struct epoll *ep, int level)
{
	int d = 0;

	if (level > EP_MAX_NESTS)
		return EP_MAX_NESTS + 1;
	for (struct epitem *it = ep->file->watchers; it; it = it->file_next)
		d = KMAX(d, 1 + ep_depth_up(it->ep, level + 1));
	return d;
}

/* Files epoll cannot watch (no poll in Linux): EPERM. */
static bool pollable(struct file *f)
{
	switch (f->type) {
	case FT_HOST:
	case FT_TMP:
	case FT_DIR:
	case FT_PROC:
	case FT_TSM:
		return false;
	case FT_DEV:
		return f->dev == DEV_TTY;
	default:
		return true;
	}
}

/* epoll_ctl(epfd, op, fd, event) */
long sys_epoll_ctl(struct task *t, const uint64_t *a)
{
	int op = (int)a[1], fd = (int)a[2];
	uint32_t events = 0;
	uint64_t data = 0;

	if (op != EPOLL_CTL_DEL) {
		uint8_t ev[16];
		if (copy_in(t, ev, a[3], 16))
			return -EFAULT;
		memcpy(&events, ev, 4);
		memcpy(&data, ev + 8, 8);
		events &= ~EPOLLWAKEUP; /* needs CAP_BLOCK_SUSPEND: dropped as Linux drops it */
	}
	struct file *ef = fd_get(t->proc, (int)a[0]);
	struct file *tf = fd_get(t->proc, fd);
	if (!ef || !tf)
		return -EBADF;
	if (tf->type == FT_PATH)
		return -EBADF;
	if (!pollable(tf))
		return -EPERM;
	if (ef == tf || ef->type != FT_EPOLL)
		return -EINVAL;
	if (op != EPOLL_CTL_DEL && (events & EPOLLEXCLUSIVE)) {
		if (op == EPOLL_CTL_MOD)
			return -EINVAL;
		if (op == EPOLL_CTL_ADD && (tf->type == FT_EPOLL || (events & ~EP_EXCLUSIVE_OK)))
			return -EINVAL;
	}
	struct epoll *ep = ef->obj;
	if (op == EPOLL_CTL_ADD && tf->type == FT_EPOLL) {
		int down = ep_depth_down(tf->obj, ep, 0);
		if (down > EP_MAX_NESTS || down + 1 + ep_depth_up(ep, 0) > EP_MAX_NESTS)
			return -ELOOP;
	}
	struct epitem *it = ep_find(ep, tf, fd);
	switch (op) {
	case EPOLL_CTL_ADD:
		if (it)
			return -EEXIST;
		it = kzalloc(sizeof(*it));
		if (!it)
			return -ENOMEM;
		it->ep = ep;
		it->file = tf;
		it->fd = fd;
		struct epitem **pp = &ep->items;
		while (*pp)
			pp = &(*pp)->next;
		*pp = it;
		it->file_next = tf->watchers;
		tf->watchers = it;
		break;
	case EPOLL_CTL_DEL:
		if (!it)
			return -ENOENT;
		item_free(it);
		ev_notify();
		return 0;
	case EPOLL_CTL_MOD:
		if (!it)
			return -ENOENT;
		if (it->events & EPOLLEXCLUSIVE)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	/* ADD and MOD: a file ready now is queued at once, edge-triggered or not */
	it->events = events | POLLERR | POLLHUP;
	it->data = data;
	it->seen_ready = item_poll(it);
	it->seen_gen = file_poll_gen(tf, it->events & ~EP_PRIVATE_BITS);
	if (it->seen_ready && !it->queued)
		rd_append(it);
	ev_notify(); /* an epoll watching this one may have become readable */
	return 0;
}

/* The instance behind epfd: -EBADF, -EINVAL (not an epoll). */
static struct epoll *ep_get(struct task *t, uint64_t epfd, int *err)
{
	struct file *f = fd_get(t->proc, (int)epfd);
	*err = !f ? -EBADF : f->type != FT_EPOLL ? -EINVAL : 0;
	return *err ? NULL : f->obj;
}

struct ep_wait_arg {
	struct epoll *ep;
	uint8_t *kb;
	int max;
};

static long ep_scan_fn(struct task *t, void *arg, int64_t *wake)
{
	struct ep_wait_arg *wa = arg;
	long n;

	ep_scan(wa->ep);
	n = ep_harvest(wa->ep, wa->kb, wa->max);
	*wake = ep_wake_ns(wa->ep);
	return n;
}

static long ep_wait(struct task *t, uint64_t epfd, uint64_t uev, int64_t maxevents, int64_t timeout)
{
	int err;

	if (maxevents <= 0 || maxevents > EP_MAX_EVENTS)
		return -EINVAL;
	if (uev + (uint64_t)maxevents * 16 < uev || uev + (uint64_t)maxevents * 16 > USER_VA_LIMIT)
		return -EFAULT;
	struct epoll *ep = ep_get(t, epfd, &err);
	if (!ep)
		return err;
	struct file *ef = ep->file;
	size_t nitems = 0;
	for (struct epitem *it = ep->items; it; it = it->next)
		nitems++;
	int max = (int)KMIN((uint64_t)maxevents, (uint64_t)(nitems ? nitems : 1));
	uint8_t *kb = kmalloc((size_t)max * 16);
	if (!kb)
		return -ENOMEM;
	file_get(ef); /* the instance stays while we sleep, even if its fd is closed */
	struct ep_wait_arg wa = {ep, kb, max};
	long n = wait_ready(t, deadline_of(timeout), timeout == 0, ep_scan_fn, &wa);
	if (n > 0 && copy_out(t, uev, kb, (size_t)n * 16))
		n = -EFAULT;
	file_put(ef);
	kfree(kb);
	return n;
}

/* epoll_pwait(epfd, events, maxevents, timeout_ms, sigmask, sigsetsize) */
long sys_epoll_pwait(struct task *t, const uint64_t *a)
{
	int ms = (int)a[3];
	int r = sigmask_push(t, a[4], a[5]);

	if (r)
		return r;
	long n = ep_wait(t, a[0], a[1], (int)a[2], ms < 0 ? -1 : (int64_t)ms * 1000000);
	return sigmask_pop(t, a[4] != 0, n);
}

/* epoll_pwait2(epfd, events, maxevents, timeout (timespec, NULL: none), sigmask, sigsetsize) */
long sys_epoll_pwait2(struct task *t, const uint64_t *a)
{
	int64_t timeout = -1;
	int r;

	if (a[3] && (r = timeout_in(t, a[3], &timeout)) != 0)
		return r;
	if ((r = sigmask_push(t, a[4], a[5])) != 0)
		return r;
	long n = ep_wait(t, a[0], a[1], (int)a[2], timeout);
	return sigmask_pop(t, a[4] != 0, n);
}

/* ---- the file operations fd.c dispatches here ---- */

long pollobj_read(struct task *t, struct file *f, uint64_t ubuf, size_t len)
{
	switch (f->type) {
	case FT_EVENTFD:
		return eventfd_read(t, f, ubuf, len);
	case FT_TIMERFD:
		return timerfd_read(t, f, ubuf, len);
	default:
		return -EINVAL; /* an epoll instance is not read */
	}
}

long pollobj_write(struct task *t, struct file *f, uint64_t ubuf, size_t len)
{
	if (f->type == FT_EVENTFD)
		return eventfd_write(t, f, ubuf, len);
	return -EINVAL; /* timerfd and epoll: no write */
}

unsigned pollobj_poll(struct file *f, unsigned events)
{
	unsigned r = 0;

	switch (f->type) {
	case FT_EVENTFD:
		r = eventfd_poll(f->obj);
		break;
	case FT_TIMERFD: {
		struct timerfd *tm = f->obj;
		tfd_update(tm);
		r = tm->ticks ? POLLIN : 0;
		break;
	}
	case FT_EPOLL:
		r = ep_ready(f->obj) ? POLLIN : 0;
		break;
	default:
		break;
	}
	return r & (events | POLLERR | POLLHUP);
}

uint64_t pollobj_gen(struct file *f, unsigned events)
{
	switch (f->type) {
	case FT_EVENTFD: {
		struct eventfd *e = f->obj;
		if (!(events & (POLLIN | POLLOUT)))
			return e->gen_in + e->gen_out;
		return (events & POLLIN ? e->gen_in : 0) + (events & POLLOUT ? e->gen_out : 0);
	}
	case FT_TIMERFD:
		return ((struct timerfd *)f->obj)->gen;
	case FT_EPOLL:
		return ((struct epoll *)f->obj)->gen;
	default:
		return 0;
	}
}

int64_t pollobj_wake_ns(struct file *f)
{
	switch (f->type) {
	case FT_TIMERFD:
		return tfd_wake_ns(f->obj);
	case FT_EPOLL:
		return ep_wake_ns(f->obj);
	default:
		return -1;
	}
}

void pollobj_stat(struct file *f, struct kstat *st)
{
	/* anonymous inodes: no file type bits, mode 0600, one shared inode */
	st->mode = 0600;
	st->dev = 0xf;
	st->ino = 1;
	st->nlink = 1;
	st->blocks = 0;
	(void)f;
}

void pollobj_file_gone(struct file *f)
{
	while (f->watchers)
		item_free(f->watchers);
	if (!f->obj)
		return;
	if (f->type == FT_EPOLL) {
		struct epoll *ep = f->obj;
		while (ep->items)
			item_free(ep->items);
	}
	if (f->type == FT_EVENTFD || f->type == FT_TIMERFD || f->type == FT_EPOLL) {
		kfree(f->obj);
		f->obj = NULL;
	}
	ev_notify();
}
