/*
 * Cooperative kernel threads on one CPU (kthread.h), for the realm and
 * shim PALs.
 */
#include "libos/kthread.h"

struct kthread *kthread_at(const struct kthread_sched *s, unsigned k)
{
	if (s->at)
		return s->at(k);
	return (struct kthread *)(void *)(s->base + (size_t)k * s->stride);
}

static void set_running(struct kthread_sched *s, unsigned k)
{
	*s->running = k;
	if (k != s->none || s->clear_cur)
		*s->cur = k;
	if (s->on_run)
		s->on_run(k);
}

void kthread_block(struct kthread_sched *s, uint64_t deadline)
{
	unsigned k = *s->running;
	struct kthread *t = kthread_at(s, k);

	t->state = KTHREAD_BLOCKED;
	t->deadline = deadline;
	t->timed_out = false;
	set_running(s, s->none);
	(*s->switches)++;
	s->sw(k + 1, 0);
	/* resumed by the scheduler */
	set_running(s, k);
}

void kthread_finish(struct kthread_sched *s, uint8_t state)
{
	unsigned k = *s->running;

	kthread_at(s, k)->state = state;
	set_running(s, s->none);
	(*s->switches)++;
	s->sw(k + 1, 0);
	for (;;)
		; /* not resumed: kt_start restarts the context */
}

void kthread_wake_all(struct kthread_sched *s)
{
	for (unsigned k = 0; k < s->n; k++) {
		struct kthread *t = kthread_at(s, k);

		if (t->state == KTHREAD_BLOCKED)
			t->state = KTHREAD_RUNNABLE;
	}
}

void kthread_run_ready(struct kthread_sched *s)
{
	bool again = true;

	while (again) {
		again = false;
		for (unsigned k = 0; k < s->n; k++) {
			struct kthread *t = kthread_at(s, k);

			if (t->state != KTHREAD_RUNNABLE)
				continue;
			t->state = KTHREAD_RUNNING;
			set_running(s, k);
			(*s->switches)++;
			s->sw(0, k + 1);
			set_running(s, s->none);
			again = true;
		}
	}
}

uint64_t kthread_check_deadlines(struct kthread_sched *s, bool *woke)
{
	uint64_t now = s->now(), next = 0;

	for (unsigned k = 0; k < s->n; k++) {
		struct kthread *t = kthread_at(s, k);

		if (t->state != KTHREAD_BLOCKED || !t->deadline)
			continue;
		if (t->deadline <= now) {
			t->state = KTHREAD_RUNNABLE;
			t->timed_out = true;
			if (woke)
				*woke = true;
		} else if (!next || t->deadline < next) {
			next = t->deadline;
		}
	}
	return next;
}

bool kthread_any_runnable(const struct kthread_sched *s)
{
	for (unsigned k = 0; k < s->n; k++)
		if (kthread_at(s, k)->state == KTHREAD_RUNNABLE)
			return true;
	return false;
}
