/*
 * The kernel threads the realm and shim PALs share (libos/kthread.c), on
 * real contexts (ucontext, as the deployments switch them): threads run in
 * order, a blocked thread waits for its deadline or a wake, and one that
 * the deadline woke knows it timed out.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>
#include <ucontext.h>

#include "libos/kthread.h"

#define N 3
#define NONE 0xFFu
#define STACK (64u << 10)

struct rec {
	int pad; /* the kthread is not first in a PAL's record either */
	struct kthread kt;
};

static struct rec recs[N];
static ucontext_t ctx[N + 1];
static char stacks[N][STACK];
static unsigned running = NONE, cur = NONE;
static uint64_t switches, clock_ns;
static char log_buf[32];
static size_t nlog;
static struct kthread_sched ks;

static void note(char c)
{
	if (nlog < sizeof(log_buf) - 1)
		log_buf[nlog++] = c;
}

static void sw(unsigned from, unsigned to)
{
	swapcontext(&ctx[from], &ctx[to]);
}

static uint64_t now(void)
{
	return clock_ns;
}

/* Thread 0 sleeps until 100, thread 1 until woken, thread 2 just runs. */
static void body(void)
{
	unsigned k = running;

	note((char)('a' + k));
	if (k == 0) {
		kthread_block(&ks, 100);
		assert_int_equal(running, 0);
		note(recs[0].kt.timed_out ? 'T' : 'W');
	} else if (k == 1) {
		kthread_block(&ks, 0);
		assert_int_equal(running, 1);
		note(recs[1].kt.timed_out ? 'T' : 'w');
	}
	kthread_finish(&ks, KTHREAD_IDLE);
}

static void start(unsigned k)
{
	getcontext(&ctx[k + 1]);
	ctx[k + 1].uc_stack.ss_sp = stacks[k];
	ctx[k + 1].uc_stack.ss_size = STACK;
	ctx[k + 1].uc_link = NULL;
	makecontext(&ctx[k + 1], body, 0);
	recs[k].kt.state = KTHREAD_RUNNABLE;
}

static void test_block_deadline_wake(void **state)
{
	bool woke = false;

	memset(recs, 0, sizeof(recs));
	ks = (struct kthread_sched){.base = (uint8_t *)&recs[0].kt,
				    .stride = sizeof(recs[0]),
				    .n = N,
				    .none = NONE,
				    .running = &running,
				    .cur = &cur,
				    .switches = &switches,
				    .sw = sw,
				    .now = now};
	for (unsigned k = 0; k < N; k++)
		start(k);
	kthread_run_ready(&ks);
	assert_string_equal(log_buf, "abc");
	assert_int_equal(running, NONE);
	assert_int_equal(cur, 2); /* without clear_cur: the last thread served */
	assert_int_equal(recs[0].kt.state, KTHREAD_BLOCKED);
	assert_int_equal(recs[1].kt.state, KTHREAD_BLOCKED);
	assert_int_equal(recs[2].kt.state, KTHREAD_IDLE);
	assert_false(kthread_any_runnable(&ks));
	/* before the deadline nothing wakes; the earliest deadline is 100 */
	clock_ns = 99;
	assert_int_equal(kthread_check_deadlines(&ks, &woke), 100);
	assert_false(woke);
	clock_ns = 100;
	assert_int_equal(kthread_check_deadlines(&ks, &woke), 0);
	assert_true(woke);
	assert_true(kthread_any_runnable(&ks));
	kthread_run_ready(&ks);
	assert_string_equal(log_buf, "abcT");
	/* thread 1 has no deadline: only a wake ends its block */
	clock_ns = 1000000;
	woke = false;
	assert_int_equal(kthread_check_deadlines(&ks, &woke), 0);
	assert_false(woke);
	kthread_wake_all(&ks);
	kthread_run_ready(&ks);
	assert_string_equal(log_buf, "abcTw");
	assert_false(kthread_any_runnable(&ks));
	for (unsigned k = 0; k < N; k++)
		assert_int_equal(recs[k].kt.state, KTHREAD_IDLE);
	/* each run and each return to the scheduler is one switch */
	assert_int_equal(switches, 10);
}

/*
 * Records in two arrays (a PAL serving two containers: at), and on_run
 * telling it whose thread runs: threads 0 and 1 are group A's, 2 is B's,
 * 3 has no record (an idle one the scheduler never runs).
 */
static struct rec ga[2], gb[1];
static struct kthread no_rec;
static int cur_group = -1;

static struct kthread *at2(unsigned k)
{
	return k < 2 ? &ga[k].kt : k == 2 ? &gb[0].kt : &no_rec;
}

static void on_run2(unsigned k)
{
	cur_group = k == NONE ? -1 : k < 2 ? 0 : 1;
}

static void body2(void)
{
	int grp = cur_group;

	note(grp == 0 ? 'A' : 'B');
	kthread_block(&ks, 0);
	assert_int_equal(cur_group, grp); /* its group is current again as it resumes */
	note(grp == 0 ? 'a' : 'b');
	kthread_finish(&ks, KTHREAD_IDLE);
}

static void test_groups(void **state)
{
	memset(ga, 0, sizeof(ga));
	memset(gb, 0, sizeof(gb));
	memset(&no_rec, 0, sizeof(no_rec));
	memset(log_buf, 0, sizeof(log_buf));
	nlog = 0;
	switches = 0;
	running = cur = NONE;
	ks = (struct kthread_sched){.n = 4,
				    .none = NONE,
				    .running = &running,
				    .cur = &cur,
				    .switches = &switches,
				    .sw = sw,
				    .now = now,
				    .at = at2,
				    .on_run = on_run2};
	for (unsigned k = 0; k < 3; k++) {
		getcontext(&ctx[k + 1]);
		ctx[k + 1].uc_stack.ss_sp = stacks[k];
		ctx[k + 1].uc_stack.ss_size = STACK;
		ctx[k + 1].uc_link = NULL;
		makecontext(&ctx[k + 1], body2, 0);
		kthread_at(&ks, k)->state = KTHREAD_RUNNABLE;
	}
	kthread_run_ready(&ks);
	assert_string_equal(log_buf, "AAB");
	assert_int_equal(cur_group, -1); /* the scheduler runs: no group's thread */
	assert_int_equal(gb[0].kt.state, KTHREAD_BLOCKED);
	kthread_wake_all(&ks);
	kthread_run_ready(&ks);
	assert_string_equal(log_buf, "AABaab");
	assert_int_equal(ga[0].kt.state, KTHREAD_IDLE);
	assert_int_equal(ga[1].kt.state, KTHREAD_IDLE);
	assert_int_equal(gb[0].kt.state, KTHREAD_IDLE);
	assert_int_equal(no_rec.state, KTHREAD_IDLE); /* never run, never woken */
	assert_int_equal(switches, 12);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_block_deadline_wake),
		cmocka_unit_test(test_groups),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
