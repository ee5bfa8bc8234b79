/*
 * Scheduling attributes a process can set and read back: nice values
 * (getpriority/setpriority), policies and real-time priorities
 * (sched_*scheduler, sched_*param, sched_get_priority_*), CPU affinity
 * (sched_setaffinity) and the execution domain (personality). The library
 * OS records them per process, checks them as Linux does (ranges,
 * permissions, ESRCH) and children inherit them at fork; they do not change
 * how the deployment schedules (it has no priorities), and there is one CPU
 * (sched_getaffinity, /sys/devices/system/cpu/online).
 */
#include "libos/kernel.h"

#define PRIO_PROCESS 0
#define PRIO_PGRP 1
#define PRIO_USER 2
#define NICE_MIN (-20)
#define NICE_MAX 19

#define SCHED_OTHER 0
#define SCHED_FIFO 1
#define SCHED_RR 2
#define SCHED_BATCH 3
#define SCHED_IDLE 5
#define SCHED_DEADLINE 6
#define SCHED_RESET_ON_FORK 0x40000000

/* Whether p is one of the processes (which, who) names, who resolved. */
static bool prio_match(const struct process *p, int which, uint32_t who)
{
	switch (which) {
	case PRIO_PROCESS:
		return (uint32_t)p->pid == who;
	case PRIO_PGRP:
		return (uint32_t)p->pgid == who;
	default:
		return p->uid == who;
	}
}

/* (which, who) with who = 0 meaning the caller's own: 0, or -EINVAL. */
static int prio_target(struct task *t, const uint64_t *a, int *which, uint32_t *who)
{
	*which = (int)a[0];
	*who = (uint32_t)a[1];
	if (*which != PRIO_PROCESS && *which != PRIO_PGRP && *which != PRIO_USER)
		return -EINVAL;
	if (*who == 0)
		*who = *which == PRIO_PROCESS ? (uint32_t)t->proc->pid
		       : *which == PRIO_PGRP  ? (uint32_t)t->proc->pgid
					      : t->proc->uid;
	return 0;
}

long sys_getpriority(struct task *t, const uint64_t *a)
{
	int which, best = NICE_MAX + 1;
	uint32_t who;
	int r = prio_target(t, a, &which, &who);

	if (r)
		return r;
	for (struct process *p = g.all; p; p = p->next_all)
		if (p->state != P_ZOMBIE && prio_match(p, which, who) && p->nice < best)
			best = p->nice;
	/* the raw call answers 20 - nice (1..40), so it is never negative */
	return best > NICE_MAX ? -ESRCH : 20 - best;
}

long sys_setpriority(struct task *t, const uint64_t *a)
{
	int which, nice = (int)a[2], err = -ESRCH;
	uint32_t who;
	int r = prio_target(t, a, &which, &who);

	if (r)
		return r;
	nice = nice < NICE_MIN ? NICE_MIN : nice > NICE_MAX ? NICE_MAX : nice;
	for (struct process *p = g.all; p; p = p->next_all) {
		if (p->state == P_ZOMBIE || !prio_match(p, which, who))
			continue;
		/* another user's process needs CAP_SYS_NICE, as raising a priority does */
		if (t->proc->euid != 0 && p->uid != t->proc->euid && p->euid != t->proc->euid) {
			err = -EPERM;
			continue;
		}
		if (nice < p->nice && t->proc->euid != 0) {
			err = -EACCES;
			continue;
		}
		p->nice = nice;
		if (err == -ESRCH)
			err = 0;
	}
	return err;
}

/* The process pid names for the sched_* calls: 0 the caller. NULL with *err set. */
static struct process *sched_target(struct task *t, uint64_t pid, long *err)
{
	struct process *p;

	if ((int64_t)(int32_t)pid < 0) {
		*err = -EINVAL;
		return NULL;
	}
	p = pid == 0 ? t->proc : proc_find((int)pid);
	if (p == NULL || p->state == P_ZOMBIE)
		*err = -ESRCH;
	return p && p->state != P_ZOMBIE ? p : NULL;
}

static bool policy_rt(int policy)
{
	return policy == SCHED_FIFO || policy == SCHED_RR;
}

/* Check policy and priority as sched_setscheduler does: 0 or -EINVAL/-EPERM. */
static int sched_check(struct task *t, int policy, int prio)
{
	if (policy != SCHED_OTHER && policy != SCHED_BATCH && policy != SCHED_IDLE &&
	    !policy_rt(policy))
		return -EINVAL; /* SCHED_DEADLINE needs sched_setattr, which is not served */
	if (policy_rt(policy) ? (prio < 1 || prio > 99) : prio != 0)
		return -EINVAL;
	if (policy_rt(policy) && t->proc->euid != 0)
		return -EPERM; /* RLIMIT_RTPRIO is 0 for an unprivileged process */
	return 0;
}

long sys_sched_getscheduler(struct task *t, const uint64_t *a)
{
	long err = 0;
	struct process *p = sched_target(t, a[0], &err);

	return p ? (long)(p->sched_policy | (p->sched_reset_on_fork ? SCHED_RESET_ON_FORK : 0))
		 : err;
}

long sys_sched_getparam(struct task *t, const uint64_t *a)
{
	long err = 0;
	struct process *p;
	int32_t prio;

	if (a[1] == 0)
		return -EINVAL;
	p = sched_target(t, a[0], &err);
	if (p == NULL)
		return err;
	prio = p->sched_prio;
	return copy_out(t, a[1], &prio, 4) ? -EFAULT : 0;
}

static long set_sched(struct task *t, uint64_t pid, int policy, uint64_t uparam, bool keep)
{
	long err = 0;
	struct process *p;
	int32_t prio;
	bool reset;
	int r;

	if (uparam == 0 || (int64_t)(int32_t)pid < 0)
		return -EINVAL;
	if (copy_in(t, &prio, uparam, 4))
		return -EFAULT;
	p = sched_target(t, pid, &err);
	if (p == NULL)
		return err;
	if (keep)
		policy = p->sched_policy;
	reset = (policy & SCHED_RESET_ON_FORK) != 0;
	policy &= ~SCHED_RESET_ON_FORK;
	r = sched_check(t, policy, prio);
	if (r)
		return r;
	if (t->proc->euid != 0 && p->uid != t->proc->euid && p->euid != t->proc->euid)
		return -EPERM;
	p->sched_policy = policy;
	p->sched_prio = prio;
	if (!keep)
		p->sched_reset_on_fork = reset;
	return 0;
}

long sys_sched_setscheduler(struct task *t, const uint64_t *a)
{
	if ((int)a[1] < 0)
		return -EINVAL;
	return set_sched(t, a[0], (int)a[1], a[2], false);
}

long sys_sched_setparam(struct task *t, const uint64_t *a)
{
	return set_sched(t, a[0], 0, a[1], true);
}

/* The priority range of policy: 0 with [*lo, *hi], or -EINVAL for an unknown one. */
static int prio_range(int policy, long *lo, long *hi)
{
	if (policy_rt(policy)) {
		*lo = 1;
		*hi = 99;
		return 0;
	}
	*lo = *hi = 0;
	return policy == SCHED_OTHER || policy == SCHED_BATCH || policy == SCHED_IDLE ||
		       policy == SCHED_DEADLINE
		       ? 0
		       : -EINVAL;
}

long sys_sched_get_priority_max(struct task *t, const uint64_t *a)
{
	long lo, hi;
	int r = prio_range((int)a[0], &lo, &hi);

	return r ? r : hi;
}

long sys_sched_get_priority_min(struct task *t, const uint64_t *a)
{
	long lo, hi;
	int r = prio_range((int)a[0], &lo, &hi);

	return r ? r : lo;
}

long sys_sched_setaffinity(struct task *t, const uint64_t *a)
{
	long err = 0;
	uint8_t first = 0;
	struct process *p = sched_target(t, a[0], &err);

	if (p == NULL)
		return err;
	/* one CPU: the mask must contain CPU 0 (bit 0 of its first byte) */
	if (a[1] == 0)
		return -EINVAL;
	if (copy_in(t, &first, a[2], 1))
		return -EFAULT;
	if ((first & 1) == 0)
		return -EINVAL;
	if (t->proc->euid != 0 && p->uid != t->proc->euid && p->euid != t->proc->euid)
		return -EPERM;
	return 0;
}

long sys_personality(struct task *t, const uint64_t *a)
{
	uint32_t old = t->proc->personality, want = (uint32_t)a[0];

	if (want != 0xffffffffU)
		t->proc->personality = want;
	return old;
}
