/*
 * Time a process spends, and the timers that fire on it: CPU accounting
 * per thread, interval timers (setitimer/getitimer: ITIMER_REAL on the
 * monotonic clock, ITIMER_VIRTUAL and ITIMER_PROF on process CPU time) and
 * POSIX timers (timer_create/settime/gettime/getoverrun/delete on
 * CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_PROCESS_CPUTIME_ID
 * and CLOCK_THREAD_CPUTIME_ID; SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD_ID).
 *
 * CPU time is what the library OS can measure: a thread's user time is the
 * wall time between resuming it and its next exception (guest code, plus
 * whatever the host or the deployment spent meanwhile: preemption, an RMM
 * world switch); its system time is the time spent serving its exceptions
 * minus the time it slept in ev_wait. Timers on CPU clocks are checked at
 * each exception (system call, fault or the deployment's time slice), so
 * they fire at most one time slice late.
 */
#include "libos/kernel.h"

#define MAX_TIMERS 32
#define SIGEV_SIGNAL 0
#define SIGEV_NONE 1
#define SIGEV_THREAD 2
#define SIGEV_THREAD_ID 4
#define SI_TIMER (-2)
#define TIMER_ABSTIME 1
#define SIGVTALRM 26
#define SIGPROF 27

enum { CK_REAL, CK_MONO, CK_PCPU, CK_TCPU };

struct ktimer {
	bool used;
	int kind;   /* CK_* */
	int pclock; /* PAL clock for CK_REAL/CK_MONO */
	int notify; /* SIGEV_* */
	int signo;
	int tid;	/* SIGEV_THREAD_ID target; CK_TCPU: the thread whose time counts */
	uint64_t value; /* sigev_value */
	uint64_t at;	/* expiry on its clock (ns), 0: disarmed */
	uint64_t interval;
	int overrun;	  /* expirations while its signal was still pending */
	int overrun_last; /* that count when its last signal was delivered (timer_getoverrun) */
};

/* ---- CPU accounting ---- */

void cpu_enter(struct task *t)
{
	uint64_t now = now_ns(PAL_CLOCK_MONOTONIC);
	if (t->cpu_resume_ns && now > t->cpu_resume_ns)
		t->utime_ns += now - t->cpu_resume_ns;
	t->cpu_enter_ns = now;
	t->cpu_block_ns = 0;
}

void cpu_leave(struct task *t)
{
	uint64_t now = now_ns(PAL_CLOCK_MONOTONIC);
	if (t->cpu_enter_ns && now > t->cpu_enter_ns + t->cpu_block_ns)
		t->stime_ns += now - t->cpu_enter_ns - t->cpu_block_ns;
	t->cpu_enter_ns = 0;
	t->cpu_block_ns = 0;
	t->cpu_resume_ns = now;
}

void cpu_times(struct process *p, struct task *t, uint64_t *user, uint64_t *sys)
{
	uint64_t u = 0, s = 0;
	for (struct task *x = p->threads; x; x = x->next_thread) {
		if (t && x != t)
			continue;
		u += x->utime_ns;
		s += x->stime_ns;
		/* the exception being served: its time so far */
		if (x->cpu_enter_ns && !x->exited) {
			uint64_t now = now_ns(PAL_CLOCK_MONOTONIC);
			if (now > x->cpu_enter_ns + x->cpu_block_ns)
				s += now - x->cpu_enter_ns - x->cpu_block_ns;
		}
	}
	*user = u;
	*sys = s;
}

/* ---- firing ---- */

static uint64_t clock_now(struct process *p, const struct ktimer *k)
{
	uint64_t u, s;
	switch (k->kind) {
	case CK_PCPU:
		cpu_times(p, NULL, &u, &s);
		return u + s;
	case CK_TCPU: {
		struct task *t = task_find(k->tid);
		if (!t || t->proc != p)
			return 0;
		cpu_times(p, t, &u, &s);
		return u + s;
	}
	default:
		return now_ns(k->pclock);
	}
}

static void timer_fire(struct process *p, int id, struct ktimer *k)
{
	if (k->notify == SIGEV_NONE)
		return;
	struct task *dst = NULL;
	if (k->notify == SIGEV_THREAD_ID) {
		dst = task_find(k->tid);
		if (!dst || dst->proc != p || dst->exited)
			return;
	}
	struct task *holder = dst;
	if (!holder) {
		for (struct task *u = p->threads; u; u = u->next_thread)
			if (!u->exited && (u->pending & SIGBIT(k->signo)) &&
			    u->siginfo[k->signo].code == SI_TIMER &&
			    (int)(uint32_t)u->siginfo[k->signo].d[0] == id)
				holder = u;
	}
	if (holder && (holder->pending & SIGBIT(k->signo)) &&
	    holder->siginfo[k->signo].code == SI_TIMER &&
	    (int)(uint32_t)holder->siginfo[k->signo].d[0] == id) {
		/* still pending from the last expiry: an overrun (one signal per timer) */
		if (k->overrun < 0x7fffffff)
			k->overrun++;
		holder->siginfo[k->signo].d[0] = (uint32_t)id | (uint64_t)(uint32_t)k->overrun
									<< 32;
		return;
	}
	k->overrun = 0;
	struct ksiginfo si = {.code = SI_TIMER};
	si.d[0] = (uint32_t)id; /* si_tid (the timer id), si_overrun 0 */
	si.d[1] = k->value;
	if (dst)
		sig_send_thread_info(dst, k->signo, &si);
	else
		sig_send_info(p, k->signo, &si);
}

/* Advance an expired timer: the next expiry after now, counting the skipped ones. */
static void rearm(struct ktimer *k, uint64_t now)
{
	if (!k->interval) {
		k->at = 0;
		return;
	}
	uint64_t late = now - k->at;
	uint64_t skipped = late / k->interval;
	k->at += (skipped + 1) * k->interval;
	if (skipped) {
		uint64_t ov = (uint64_t)k->overrun + skipped;
		k->overrun = ov > 0x7fffffff ? 0x7fffffff : (int)ov;
	}
}

int64_t timer_check(struct process *p)
{
	int64_t next = -1;
	if (p->state == P_ZOMBIE)
		return -1;
	if (p->itimer_deadline) {
		uint64_t now = now_ns(PAL_CLOCK_MONOTONIC);
		if (now >= p->itimer_deadline) {
			sig_send(p, SIGALRM);
			p->itimer_deadline = p->itimer_interval ? now + p->itimer_interval : 0;
		}
		if (p->itimer_deadline)
			next = (int64_t)(p->itimer_deadline - now);
	}
	if (p->cpu_itimer_at[0] || p->cpu_itimer_at[1]) {
		uint64_t u, s;
		cpu_times(p, NULL, &u, &s);
		for (int i = 0; i < 2; i++) {
			uint64_t now = i == 0 ? u : u + s;
			if (p->cpu_itimer_at[i] && now >= p->cpu_itimer_at[i]) {
				sig_send(p, i == 0 ? SIGVTALRM : SIGPROF);
				p->cpu_itimer_at[i] = p->cpu_itimer_interval[i]
							      ? now + p->cpu_itimer_interval[i]
							      : 0;
			}
		}
	}
	if (p->timers) {
		for (int i = 0; i < MAX_TIMERS; i++) {
			struct ktimer *k = &p->timers[i];
			if (!k->used || !k->at)
				continue;
			uint64_t now = clock_now(p, k);
			if (now >= k->at) {
				timer_fire(p, i, k);
				rearm(k, now);
			}
			if (k->at && (k->kind == CK_REAL || k->kind == CK_MONO)) {
				int64_t left = (int64_t)(k->at - now);
				if (next < 0 || left < next)
					next = left;
			}
		}
	}
	return next;
}

void timers_release(struct process *p)
{
	kfree(p->timers);
	p->timers = NULL;
}

void timer_proc_reaped(struct process *p)
{
	uint64_t u, s;
	timers_release(p);
	cpu_times(p, NULL, &u, &s);
	if (p->parent) {
		p->parent->cutime_ns += u + p->cutime_ns;
		p->parent->cstime_ns += s + p->cstime_ns;
	}
	g.reaped_user += u;
	g.reaped_sys += s;
}

void cpu_system_times(uint64_t *user, uint64_t *sys)
{
	uint64_t tu = g.reaped_user, ts = g.reaped_sys, u, s;
	for (struct process *p = g.all; p; p = p->next_all) {
		cpu_times(p, NULL, &u, &s);
		tu += u;
		ts += s;
	}
	*user = tu;
	*sys = ts;
}

/* ---- interval timers ---- */

static void ns_to_tv(uint64_t ns, int64_t *tv)
{
	tv[0] = (int64_t)(ns / 1000000000ULL);
	tv[1] = (int64_t)(ns % 1000000000ULL / 1000);
	if (ns && !tv[0] && !tv[1])
		tv[1] = 1; /* still armed: never report 0 */
}

static void itimer_get(struct process *p, int which, int64_t v[4])
{
	uint64_t left = 0, interval;
	if (which == 0) {
		uint64_t now = now_ns(PAL_CLOCK_MONOTONIC);
		if (p->itimer_deadline)
			left = p->itimer_deadline > now ? p->itimer_deadline - now : 1000;
		interval = p->itimer_interval;
	} else {
		uint64_t u, s;
		cpu_times(p, NULL, &u, &s);
		uint64_t now = which == 1 ? u : u + s;
		uint64_t at = p->cpu_itimer_at[which - 1];
		if (at)
			left = at > now ? at - now : 1000;
		interval = p->cpu_itimer_interval[which - 1];
	}
	ns_to_tv(interval, v);
	ns_to_tv(left, v + 2);
}

/* ITIMER_REAL (SIGALRM, what alarm() uses), ITIMER_VIRTUAL (SIGVTALRM), ITIMER_PROF (SIGPROF). */
long sys_setitimer(struct task *t, const uint64_t *a)
{
	struct process *p = t->proc;
	int which = (int)a[0];
	if (which < 0 || which > 2)
		return -EINVAL;
	int64_t nv[4] = {0, 0, 0, 0}, old[4];
	if (a[1] && copy_in(t, nv, a[1], sizeof(nv)))
		return -EFAULT;
	for (int i = 0; i < 4; i++)
		if (nv[i] < 0 || ((i & 1) && nv[i] >= 1000000))
			return -EINVAL;
	itimer_get(p, which, old);
	if (a[2] && copy_out(t, a[2], old, sizeof(old)))
		return -EFAULT;
	if (!a[1])
		return 0;
	uint64_t val = (uint64_t)kts_to_ns(nv[2], nv[3] * 1000);
	uint64_t iv = (uint64_t)kts_to_ns(nv[0], nv[1] * 1000);
	if (which == 0) {
		p->itimer_interval = iv;
		p->itimer_deadline = val ? now_ns(PAL_CLOCK_MONOTONIC) + val : 0;
	} else {
		uint64_t u, s;
		cpu_times(p, NULL, &u, &s);
		uint64_t now = which == 1 ? u : u + s;
		p->cpu_itimer_interval[which - 1] = iv;
		p->cpu_itimer_at[which - 1] = val ? now + val : 0;
	}
	return 0;
}

long sys_getitimer(struct task *t, const uint64_t *a)
{
	int which = (int)a[0];
	if (which < 0 || which > 2)
		return -EINVAL;
	int64_t v[4];
	itimer_get(t->proc, which, v);
	return copy_out(t, a[1], v, sizeof(v)) ? -EFAULT : 0;
}

/* ---- POSIX timers ---- */

static struct ktimer *timer_get(struct process *p, uint64_t id)
{
	if (!p->timers || id >= MAX_TIMERS || !p->timers[id].used)
		return NULL;
	return &p->timers[id];
}

/* timer_create(clockid, struct sigevent *, timer_t *) */
long sys_timer_create(struct task *t, const uint64_t *a)
{
	struct process *p = t->proc;
	int clk = (int)a[0];
	struct ktimer k;
	memset(&k, 0, sizeof(k));
	if (clk < 0) {
		/* a CPU clock id (glibc: CLOCK_*_CPUTIME_ID, clock_getcpuclockid): ~id >> 3 is the
		 * pid */
		int id = ~(clk >> 3);
		bool thread = clk & 4;
		if ((clk & 3) != 2)
			return -EINVAL; /* only the SCHED flavour exists for user clocks */
		if (thread) {
			struct task *u = id ? task_find(id) : t;
			if (!u || u->proc != p)
				return -EINVAL; /* another process's thread: not supported */
			k.kind = CK_TCPU;
			k.tid = u->tid;
		} else {
			if (id && id != p->pid)
				return -EINVAL; /* another process's CPU clock: not supported */
			k.kind = CK_PCPU;
		}
		clk = -1;
	}
	switch (clk) {
	case -1:
		break;
	case 0: /* REALTIME */
		k.kind = CK_REAL;
		k.pclock = PAL_CLOCK_REALTIME;
		break;
	case 1: /* MONOTONIC */
	case 7: /* BOOTTIME */
		k.kind = CK_MONO;
		k.pclock = PAL_CLOCK_MONOTONIC;
		break;
	case 2: /* PROCESS_CPUTIME_ID */
		k.kind = CK_PCPU;
		break;
	case 3: /* THREAD_CPUTIME_ID */
		k.kind = CK_TCPU;
		k.tid = t->tid;
		break;
	case 8:			    /* REALTIME_ALARM */
	case 9:			    /* BOOTTIME_ALARM */
		return -EOPNOTSUPP; /* no wake-up alarms in a container */
	default:
		/* MONOTONIC_RAW, the coarse clocks and other processes' CPU clocks: as Linux */
		return -EINVAL;
	}
	k.notify = SIGEV_SIGNAL;
	k.signo = SIGALRM;
	if (a[1]) {
		uint8_t ev[64];
		if (copy_in(t, ev, a[1], sizeof(ev)))
			return -EFAULT;
		int32_t signo, notify, tid;
		memcpy(&k.value, ev, 8);
		memcpy(&signo, ev + 8, 4);
		memcpy(&notify, ev + 12, 4);
		memcpy(&tid, ev + 16, 4);
		k.notify = notify;
		k.signo = signo;
		switch (notify) {
		case SIGEV_NONE:
			break;
		case SIGEV_SIGNAL:
		case SIGEV_THREAD_ID:
			if (signo < 1 || signo > NSIG_)
				return -EINVAL;
			if (notify == SIGEV_THREAD_ID) {
				struct task *u = task_find(tid);
				if (!u || u->proc != p || u->exited)
					return -EINVAL;
				k.tid = k.kind == CK_TCPU ? k.tid : tid;
				if (k.kind == CK_TCPU && tid != k.tid)
					return -EINVAL; /* one tid field: both must name the same
							   thread */
			}
			break;
		case SIGEV_THREAD: /* glibc turns it into SIGEV_THREAD_ID itself */
		default:
			return -EINVAL;
		}
	}
	if (!p->timers) {
		p->timers = kzalloc(sizeof(struct ktimer) * MAX_TIMERS);
		if (!p->timers)
			return -ENOMEM;
	}
	int id = -1;
	for (int i = 0; i < MAX_TIMERS; i++) {
		if (!p->timers[i].used) {
			id = i;
			break;
		}
	}
	if (id < 0)
		return -EAGAIN;
	if (!a[1])
		k.value = (uint64_t)id; /* sigev_value.sival_int = the timer id */
	int32_t tid32 = id;
	if (copy_out(t, a[2], &tid32, 4))
		return -EFAULT;
	k.used = true;
	p->timers[id] = k;
	return 0;
}

static int its_in(struct task *t, uint64_t ua, uint64_t *interval, uint64_t *value)
{
	struct timespec_k its[2];
	if (copy_in(t, its, ua, sizeof(its)))
		return -EFAULT;
	for (int i = 0; i < 2; i++)
		if (its[i].tv_sec < 0 || its[i].tv_nsec < 0 || its[i].tv_nsec >= 1000000000)
			return -EINVAL;
	*interval = (uint64_t)kts_to_ns(its[0].tv_sec, its[0].tv_nsec);
	*value = (uint64_t)kts_to_ns(its[1].tv_sec, its[1].tv_nsec);
	return 0;
}

static void its_of(struct process *p, const struct ktimer *k, struct timespec_k its[2])
{
	uint64_t left = 0;
	if (k->at) {
		uint64_t now = clock_now(p, k);
		left = k->at > now ? k->at - now : 1;
	}
	its[0].tv_sec = (int64_t)(k->interval / 1000000000ULL);
	its[0].tv_nsec = (int64_t)(k->interval % 1000000000ULL);
	its[1].tv_sec = (int64_t)(left / 1000000000ULL);
	its[1].tv_nsec = (int64_t)(left % 1000000000ULL);
}

/* timer_settime(timerid, flags, const struct itimerspec *new, struct itimerspec *old) */
long sys_timer_settime(struct task *t, const uint64_t *a)
{
	struct process *p = t->proc;
	struct ktimer *k = timer_get(p, a[0]);
	if (!k)
		return -EINVAL;
	if (a[1] & ~(uint64_t)TIMER_ABSTIME)
		return -EINVAL;
	uint64_t iv, val;
	int r = its_in(t, a[2], &iv, &val);
	if (r)
		return r;
	if (a[3]) {
		struct timespec_k old[2];
		its_of(p, k, old);
		if (copy_out(t, a[3], old, sizeof(old)))
			return -EFAULT;
	}
	k->interval = iv;
	k->overrun = k->overrun_last = 0;
	if (!val) {
		k->at = 0;
		return 0;
	}
	uint64_t now = clock_now(p, k);
	k->at = (a[1] & TIMER_ABSTIME) ? val : now + val;
	if (!k->at)
		k->at = 1;
	timer_check(p); /* an absolute time already past fires now */
	ev_notify();	/* sleepers recompute their next wake-up */
	return 0;
}

long sys_timer_gettime(struct task *t, const uint64_t *a)
{
	struct ktimer *k = timer_get(t->proc, a[0]);
	if (!k)
		return -EINVAL;
	struct timespec_k its[2];
	its_of(t->proc, k, its);
	return copy_out(t, a[1], its, sizeof(its)) ? -EFAULT : 0;
}

long sys_timer_getoverrun(struct task *t, const uint64_t *a)
{
	struct ktimer *k = timer_get(t->proc, a[0]);
	return k ? k->overrun_last : -EINVAL;
}

void timer_delivered(struct process *p, const struct ksiginfo *si)
{
	struct ktimer *k = timer_get(p, (uint32_t)si->d[0]);
	if (k) {
		k->overrun_last = (int)(uint32_t)(si->d[0] >> 32);
		k->overrun = 0;
	}
}

long sys_timer_delete(struct task *t, const uint64_t *a)
{
	struct ktimer *k = timer_get(t->proc, a[0]);
	if (!k)
		return -EINVAL;
	memset(k, 0, sizeof(*k));
	return 0;
}
