/*
 * Time, identity and miscellaneous system calls: clocks and sleeps,
 * uname, sysinfo, rlimits, getrandom, umask, ids, prctl, affinity, rusage,
 * times, and the calls that only
 * exist to say "not here" (rseq).
 */
#include "libos/kernel.h"

static int clock_read(struct task *t, int clk, struct timespec_k *ts)
{
	uint64_t ns, u, s;
	if (clk < 0) {
		/* a CPU clock id (clock_getcpuclockid, pthread_getcpuclockid): ~id >> 3 is the pid/tid */
		int id = ~(clk >> 3);
		if ((clk & 3) > 2 || ((clk & 7) == 7))
			return -EINVAL;
		struct process *p = id ? proc_find(id) : t->proc;
		struct task *th = NULL;
		if (clk & 4) {
			th = id ? task_find(id) : t;
			if (!th || th->proc != t->proc)
				return -EINVAL;
			p = th->proc;
		}
		if (!p)
			return -EINVAL;
		cpu_times(p, th, &u, &s);
		/* PROF: user + system; VIRT: user; SCHED: user + system */
		ns = (clk & 3) == 1 ? u : u + s;
		ts->tv_sec = (int64_t)(ns / 1000000000ULL);
		ts->tv_nsec = (int64_t)(ns % 1000000000ULL);
		return 0;
	}
	switch (clk) {
	case 0: /* REALTIME */
	case 5: /* REALTIME_COARSE */
	case 11: /* TAI */
		ns = now_ns(PAL_CLOCK_REALTIME);
		break;
	case 1: /* MONOTONIC */
	case 4: /* MONOTONIC_RAW */
	case 6: /* MONOTONIC_COARSE */
	case 7: /* BOOTTIME */
		ns = now_ns(PAL_CLOCK_MONOTONIC);
		break;
	case 2: /* PROCESS_CPUTIME (timer.c: what the library OS measures) */
	case 3: /* THREAD_CPUTIME */
		cpu_times(t->proc, clk == 3 ? t : NULL, &u, &s);
		ns = u + s;
		break;
	default:
		return -EINVAL;
	}
	ts->tv_sec = (int64_t)(ns / 1000000000ULL);
	ts->tv_nsec = (int64_t)(ns % 1000000000ULL);
	return 0;
}

long sys_clock_gettime(struct task *t, const uint64_t *a)
{
	struct timespec_k ts;
	int r = clock_read(t, (int)a[0], &ts);
	if (r)
		return r;
	return copy_out(t, a[1], &ts, sizeof(ts)) ? -EFAULT : 0;
}

long sys_clock_getres(struct task *t, const uint64_t *a)
{
	struct timespec_k ts;
	int r = clock_read(t, (int)a[0], &ts);
	if (r)
		return r;
	ts.tv_sec = 0;
	ts.tv_nsec = 1;
	if (a[1] && copy_out(t, a[1], &ts, sizeof(ts)))
		return -EFAULT;
	return 0;
}

long sys_gettimeofday(struct task *t, const uint64_t *a)
{
	uint64_t ns = now_ns(PAL_CLOCK_REALTIME);
	int64_t tv[2] = { (int64_t)(ns / 1000000000ULL), (int64_t)(ns % 1000000000ULL / 1000) };
	if (a[0] && copy_out(t, a[0], tv, sizeof(tv)))
		return -EFAULT;
	if (a[1]) {
		int32_t tz[2] = { 0, 0 };
		if (copy_out(t, a[1], tz, sizeof(tz)))
			return -EFAULT;
	}
	return 0;
}

static long do_sleep(struct task *t, int clk, bool abs, uint64_t treq, uint64_t trem)
{
	struct timespec_k req;
	if (copy_in(t, &req, treq, sizeof(req)))
		return -EFAULT;
	if (req.tv_sec < 0 || req.tv_nsec < 0 || req.tv_nsec >= 1000000000)
		return -EINVAL;
	int pclk = (clk == 0) ? PAL_CLOCK_REALTIME : PAL_CLOCK_MONOTONIC;
	uint64_t want = (uint64_t)kts_to_ns(req.tv_sec, req.tv_nsec);
	uint64_t now = now_ns(pclk);
	uint64_t deadline = abs ? want : now + want;
	for (;;) {
		now = now_ns(pclk);
		if (now >= deadline)
			return 0;
		uint32_t seq = ev_seq();
		int r = ev_wait(t, seq, (int64_t)(deadline - now));
		if (r == -ERESTARTSYS) {
			if (trem && !abs) {
				uint64_t left = deadline > now_ns(pclk) ? deadline - now_ns(pclk) : 0;
				struct timespec_k rem = { (int64_t)(left / 1000000000ULL),
							  (int64_t)(left % 1000000000ULL) };
				copy_out(t, trem, &rem, sizeof(rem));
			}
			return -EINTR;
		}
	}
}

long sys_nanosleep(struct task *t, const uint64_t *a)
{
	return do_sleep(t, 1, false, a[0], a[1]);
}

long sys_clock_nanosleep(struct task *t, const uint64_t *a)
{
	int clk = (int)a[0];
	if (clk != 0 && clk != 1 && clk != 7)
		return -EINVAL;
	return do_sleep(t, clk, (a[1] & 1) != 0, a[2], a[3]);
}

long sys_uname(struct task *t, const uint64_t *a)
{
	char u[6][65];
	memset(u, 0, sizeof(u));
	kstrlcpy(u[0], "Linux", 65);
	kstrlcpy(u[1], g.hostname, 65);
	kstrlcpy(u[2], "6.1.0-realmbox", 65);
	kstrlcpy(u[3], "#1 SMP PREEMPT_DYNAMIC realmbox", 65);
	kstrlcpy(u[4], "aarch64", 65);
	kstrlcpy(u[5], "(none)", 65);
	return copy_out(t, a[0], u, sizeof(u)) ? -EFAULT : 0;
}

long sys_sethostname(struct task *t, const uint64_t *a)
{
	if (t->proc->euid != 0)
		return -EPERM;
	if (a[1] > 64)
		return -EINVAL;
	char buf[65];
	if (copy_in(t, buf, a[0], a[1]))
		return -EFAULT;
	buf[a[1]] = 0;
	char *h = kstrdup(buf);
	if (!h)
		return -ENOMEM;
	kfree(g.hostname);
	g.hostname = h;
	return 0;
}

long sys_sysinfo(struct task *t, const uint64_t *a)
{
	uint8_t b[112];
	memset(b, 0, sizeof(b));
	struct kmem_stats ks;
	kmem_stats(&ks);
	int64_t up = (int64_t)((now_ns(PAL_CLOCK_MONOTONIC) - g.boot_ns) / 1000000000ULL);
	uint64_t total = ks.total_pages * 4096, freeb = ks.free_pages * 4096;
	uint16_t procs = 0;
	for (struct process *p = g.all; p; p = p->next_all)
		procs++;
	uint32_t unit = 1;
	memcpy(b + 0, &up, 8);
	memcpy(b + 32, &total, 8);
	memcpy(b + 40, &freeb, 8);
	memcpy(b + 80, &procs, 2);
	memcpy(b + 104, &unit, 4);
	return copy_out(t, a[0], b, sizeof(b)) ? -EFAULT : 0;
}

static struct libos_rlimit *rlim_slot(struct process *p, int res, bool create)
{
	for (int i = 0; i < 16; i++)
		if (p->rlim[i].resource == res)
			return &p->rlim[i];
	if (!create)
		return NULL;
	for (int i = 0; i < 16; i++) {
		if (p->rlim[i].resource == -1 || (p->rlim[i].resource == 0 && p->rlim[i].hard == 0 && i > 2)) {
			p->rlim[i].resource = res;
			p->rlim[i].soft = p->rlim[i].hard = ~0ULL;
			return &p->rlim[i];
		}
	}
	return NULL;
}

long sys_prlimit64(struct task *t, const uint64_t *a)
{
	int pid = (int)a[0], res = (int)a[1];
	struct process *p = pid ? proc_find(pid) : t->proc;
	if (!p)
		return -ESRCH;
	if (res < 0 || res >= 16)
		return -EINVAL;
	struct libos_rlimit *s = rlim_slot(p, res, false);
	uint64_t cur[2] = { s ? s->soft : ~0ULL, s ? s->hard : ~0ULL };
	if (a[2]) {
		uint64_t nl[2];
		if (copy_in(t, nl, a[2], 16))
			return -EFAULT;
		if (nl[0] > nl[1])
			return -EINVAL;
		if (nl[1] > cur[1] && p->euid != 0)
			return -EPERM;
		s = rlim_slot(p, res, true);
		if (!s)
			return -ENOMEM;
		s->soft = nl[0];
		s->hard = nl[1];
	}
	if (a[3] && copy_out(t, a[3], cur, 16))
		return -EFAULT;
	return 0;
}

long sys_getrlimit(struct task *t, const uint64_t *a)
{
	uint64_t b[4] = { 0, a[0], 0, a[1] };
	return sys_prlimit64(t, b);
}

long sys_setrlimit(struct task *t, const uint64_t *a)
{
	uint64_t b[4] = { 0, a[0], a[1], 0 };
	return sys_prlimit64(t, b);
}

long sys_getrandom(struct task *t, const uint64_t *a)
{
	if (a[2] & ~7ULL)
		return -EINVAL;
	size_t len = KMIN(a[1], 33554431UL);
	uint8_t buf[256];
	size_t done = 0;
	while (done < len) {
		size_t n = KMIN(len - done, sizeof(buf));
		PAL(random, buf, n);
		if (copy_out(t, a[0] + done, buf, n))
			return done ? (long)done : -EFAULT;
		done += n;
	}
	return (long)done;
}

long sys_umask(struct task *t, const uint64_t *a)
{
	uint32_t old = t->proc->umask;
	t->proc->umask = (uint32_t)a[0] & 0777;
	return old;
}

long sys_getuid(struct task *t, const uint64_t *a)
{
	return t->proc->uid;
}
long sys_geteuid(struct task *t, const uint64_t *a)
{
	return t->proc->euid;
}
long sys_getgid(struct task *t, const uint64_t *a)
{
	return t->proc->gid;
}
long sys_getegid(struct task *t, const uint64_t *a)
{
	return t->proc->egid;
}

static long set_id(struct task *t, uint32_t *real, uint32_t *eff, uint64_t r, uint64_t e)
{
	bool root = t->proc->euid == 0;
	if (r != 0xffffffffULL) {
		if (!root && r != *real && r != *eff)
			return -EPERM;
		*real = (uint32_t)r;
	}
	if (e != 0xffffffffULL) {
		if (!root && e != *real && e != *eff)
			return -EPERM;
		*eff = (uint32_t)e;
	}
	return 0;
}

long sys_setuid(struct task *t, const uint64_t *a)
{
	return set_id(t, &t->proc->uid, &t->proc->euid, a[0], a[0]);
}
long sys_setgid(struct task *t, const uint64_t *a)
{
	return set_id(t, &t->proc->gid, &t->proc->egid, a[0], a[0]);
}
long sys_setreuid(struct task *t, const uint64_t *a)
{
	return set_id(t, &t->proc->uid, &t->proc->euid, a[0], a[1]);
}
long sys_setregid(struct task *t, const uint64_t *a)
{
	return set_id(t, &t->proc->gid, &t->proc->egid, a[0], a[1]);
}
long sys_setresuid(struct task *t, const uint64_t *a)
{
	return set_id(t, &t->proc->uid, &t->proc->euid, a[0], a[1]);
}
long sys_setresgid(struct task *t, const uint64_t *a)
{
	return set_id(t, &t->proc->gid, &t->proc->egid, a[0], a[1]);
}

long sys_getresuid(struct task *t, const uint64_t *a)
{
	uint32_t v[3] = { t->proc->uid, t->proc->euid, t->proc->euid };
	for (int i = 0; i < 3; i++)
		if (copy_out(t, a[i], &v[i], 4))
			return -EFAULT;
	return 0;
}

long sys_getresgid(struct task *t, const uint64_t *a)
{
	uint32_t v[3] = { t->proc->gid, t->proc->egid, t->proc->egid };
	for (int i = 0; i < 3; i++)
		if (copy_out(t, a[i], &v[i], 4))
			return -EFAULT;
	return 0;
}

long sys_getgroups(struct task *t, const uint64_t *a)
{
	int size = (int)a[0];
	struct process *p = t->proc;
	if (size < 0)
		return -EINVAL;
	if (size == 0)
		return (long)p->ngroups;
	if ((unsigned)size < p->ngroups)
		return -EINVAL;
	return copy_out(t, a[1], p->groups, p->ngroups * 4) ? -EFAULT : (long)p->ngroups;
}

long sys_setgroups(struct task *t, const uint64_t *a)
{
	if (t->proc->euid != 0)
		return -EPERM;
	if (a[0] > 65536)
		return -EINVAL;
	if (a[0] > 32)
		return -ENOMEM;
	uint32_t gs[32];
	if (a[0] && copy_in(t, gs, a[1], a[0] * 4))
		return -EFAULT;
	memcpy(t->proc->groups, gs, a[0] * 4);
	t->proc->ngroups = (unsigned)a[0];
	return 0;
}

long sys_prctl(struct task *t, const uint64_t *a)
{
	int op = (int)a[0];
	switch (op) {
	case 15: { /* PR_SET_NAME */
		char n[16];
		long l = strncpy_in(t, n, a[1], 16);
		if (l == -EFAULT)
			return -EFAULT;
		n[15] = 0;
		kstrlcpy(t->proc->comm, n, sizeof(t->proc->comm));
		return 0;
	}
	case 16: /* PR_GET_NAME */
		return copy_out(t, a[1], t->proc->comm, 16) ? -EFAULT : 0;
	case 1: /* PR_SET_PDEATHSIG */
	case 4: /* PR_SET_DUMPABLE */
	case 36: /* PR_SET_CHILD_SUBREAPER */
	case 38: /* PR_SET_NO_NEW_PRIVS */
		return 0;
	case 3: /* PR_GET_DUMPABLE */
		return 1;
	case 2: { /* PR_GET_PDEATHSIG */
		int32_t z = 0;
		return copy_out(t, a[1], &z, 4) ? -EFAULT : 0;
	}
	default:
		return -EINVAL;
	}
}

long sys_sched_getaffinity(struct task *t, const uint64_t *a)
{
	size_t len = a[1];
	if (len < 8 || (len & 7))
		return -EINVAL;
	uint64_t mask = 1;
	if (a[0] && !proc_find((int)a[0]))
		return -ESRCH;
	return copy_out(t, a[2], &mask, 8) ? -EFAULT : 8;
}

long sys_sched_yield(struct task *t, const uint64_t *a)
{
	return 0;
}

static void ns_tv(uint8_t *dst, uint64_t ns)
{
	int64_t tv[2] = { (int64_t)(ns / 1000000000ULL), (int64_t)(ns % 1000000000ULL / 1000) };
	memcpy(dst, tv, 16);
}

long sys_getrusage(struct task *t, const uint64_t *a)
{
	int who = (int)a[0];
	if (who != 0 && who != -1 && who != 1)
		return -EINVAL;
	uint8_t ru[144];
	memset(ru, 0, sizeof(ru));
	uint64_t u, s;
	if (who == -1) { /* RUSAGE_CHILDREN: the children waited for */
		u = t->proc->cutime_ns;
		s = t->proc->cstime_ns;
	} else {
		cpu_times(t->proc, who == 1 ? t : NULL, &u, &s);
	}
	ns_tv(ru, u);
	ns_tv(ru + 16, s);
	return copy_out(t, a[1], ru, sizeof(ru)) ? -EFAULT : 0;
}

long sys_times(struct task *t, const uint64_t *a)
{
	uint64_t ticks = (now_ns(PAL_CLOCK_MONOTONIC) - g.boot_ns) / 10000000ULL;
	if (a[0]) {
		uint64_t u, s;
		cpu_times(t->proc, NULL, &u, &s);
		int64_t tms[4] = { (int64_t)(u / 10000000ULL), (int64_t)(s / 10000000ULL),
				   (int64_t)(t->proc->cutime_ns / 10000000ULL),
				   (int64_t)(t->proc->cstime_ns / 10000000ULL) };
		if (copy_out(t, a[0], tms, sizeof(tms)))
			return -EFAULT;
	}
	return (long)ticks + 100000;
}

long sys_enosys(struct task *t, const uint64_t *a)
{
	return -ENOSYS;
}

long sys_getcpu(struct task *t, const uint64_t *a)
{
	uint32_t z = 0;
	if (a[0] && copy_out(t, a[0], &z, 4))
		return -EFAULT;
	if (a[1] && copy_out(t, a[1], &z, 4))
		return -EFAULT;
	return 0;
}
