/*
 * Cooperative kernel threads on one CPU, shared by the PALs that serve a
 * container's tasks one at a time (pal_realm_task.c: a thread per
 * container REC on the System Realm's vCPU; pal_shim.c: a thread per task
 * on the deprivileged OS's one thread): blocking with an optional
 * deadline, waking, running every runnable thread, and the deadlines.
 *
 * Each PAL keeps a struct kthread in its per-thread record (thread k's at
 * base + k * stride) and its own "running" and "current" indices; the
 * context switch itself is the deployment's (kt_switch: 0 is the
 * scheduler, k + 1 thread k). Only KTHREAD_RUNNABLE, _RUNNING and
 * _BLOCKED mean something here; a PAL may give state other values
 * (KTHREAD_IDLE, or its own from KTHREAD_NR up) for a thread that is not
 * in the kernel now.
 */
#ifndef LIBOS_KTHREAD_H
#define LIBOS_KTHREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum kthread_state {
	KTHREAD_IDLE = 0, /* no kernel work (the PAL says more) */
	KTHREAD_RUNNABLE,
	KTHREAD_RUNNING,
	KTHREAD_BLOCKED,
	KTHREAD_NR /* a PAL's own states start here */
};

struct kthread {
	uint8_t state;	   /* enum kthread_state or a PAL's own */
	bool timed_out;	   /* the last block ended at its deadline */
	uint64_t deadline; /* KTHREAD_BLOCKED: wake at (ns of now(), 0: none) */
};

struct kthread_sched {
	uint8_t *base;	    /* thread 0's struct kthread */
	size_t stride;	    /* bytes from one thread's to the next's */
	unsigned n;	    /* threads 0..n-1 */
	unsigned none;	    /* the index value meaning "the scheduler, no thread" */
	unsigned *running;  /* the thread running now, or none */
	unsigned *cur;	    /* the thread whose work is served (set with running) */
	bool clear_cur;	    /* cur becomes none too whenever running does */
	uint64_t *switches; /* counted per context switch (the PAL's stats) */
	void (*sw)(unsigned from, unsigned to); /* the deployment's kt_switch */
	uint64_t (*now)(void);			/* monotonic ns */
	/*
	 * Optional. at: thread k's record when the records are not one array
	 * (base/stride unused then). on_run: called whenever the CPU goes to
	 * thread k, or to the scheduler (k == none), after running/cur are
	 * set: a PAL serving several containers selects k's container there.
	 */
	struct kthread *(*at)(unsigned k);
	void (*on_run)(unsigned k);
};

/* Thread k's record (k < s->n). */
struct kthread *kthread_at(const struct kthread_sched *s, unsigned k);

/*
 * On the running thread: block until kthread_wake_all (or the deadline, 0:
 * none) and the scheduler runs it again; running and cur are the thread's
 * again on return. Its timed_out says whether the deadline ended it.
 */
void kthread_block(struct kthread_sched *s, uint64_t deadline);

/*
 * On the running thread, at the end of its work: give the CPU back to the
 * scheduler with state `state` (not KTHREAD_RUNNABLE/_RUNNING/_BLOCKED);
 * never returns (the deployment restarts the context with kt_start).
 */
void kthread_finish(struct kthread_sched *s, uint8_t state) __attribute__((noreturn));

/* Every blocked thread becomes runnable (the library OS waits on one event word). */
void kthread_wake_all(struct kthread_sched *s);

/* From the scheduler: run every runnable thread until none is. */
void kthread_run_ready(struct kthread_sched *s);

/*
 * From the scheduler: make the blocked threads whose deadline passed
 * runnable (timed_out), *woke true if any (woke may be NULL); returns the
 * earliest deadline left (0: none).
 */
uint64_t kthread_check_deadlines(struct kthread_sched *s, bool *woke);

/* Whether some thread is runnable. */
bool kthread_any_runnable(const struct kthread_sched *s);

#endif /* LIBOS_KTHREAD_H */
