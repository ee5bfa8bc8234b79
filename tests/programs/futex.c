/*
 * Test program: futex(2) as Linux answers it. Errors (EAGAIN, EINVAL,
 * ETIMEDOUT with relative, absolute and CLOCK_REALTIME timeouts), WAKE
 * counts, CMP_REQUEUE, bitsets, WAKE_OP, EINTR against SA_RESTART, and
 * with the argument "robust": robust mutexes whose owner dies (EOWNERDEAD),
 * get_robust_list, and a process-shared robust mutex in MAP_SHARED memory
 * whose owner process is killed by SIGKILL while it sleeps in a system call
 * or spins in user code (qemu-aarch64 lacks robust lists:
 * tests/py/test_libos_sig.py).
 * Waiters are counted with CMP_REQUEUE onto the same word (it returns
 * how many waiters it found without moving them), so no step depends on
 * timing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long fx(uint32_t *ua, int op, uint32_t val, const void *ts_or_val2, uint32_t *ua2,
	       uint32_t val3)
{
	long r = syscall(SYS_futex, ua, op, val, ts_or_val2, ua2, val3);
	return r < 0 ? -errno : r;
}

static const char *err(long r)
{
	switch (r) {
	case -EAGAIN:
		return "EAGAIN";
	case -EINVAL:
		return "EINVAL";
	case -ETIMEDOUT:
		return "ETIMEDOUT";
	case -EINTR:
		return "EINTR";
	case -EFAULT:
		return "EFAULT";
	case -ENOSYS:
		return "ENOSYS";
	case 0:
		return "0";
	default:
		return "other";
	}
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void ms_sleep(int ms)
{
	struct timespec ts = { 0, ms * 1000000L };
	nanosleep(&ts, NULL);
}

/* Wait until n tasks sleep on *w (CMP_REQUEUE onto itself counts them). */
static int await_waiters(uint32_t *w, int n, int op_flags)
{
	for (int i = 0; i < 5000; i++) {
		long r = fx(w, FUTEX_CMP_REQUEUE | op_flags, 0, (void *)(long)0x7fffffff, w, *w);
		if (r == n)
			return 1;
		ms_sleep(1);
	}
	return 0;
}

struct waiter {
	uint32_t *word;
	uint32_t val;
	uint32_t bitset;
	int op_flags;
	const struct timespec *ts;
	long result;
	volatile int done;
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;
	if (w->bitset)
		w->result = fx(w->word, FUTEX_WAIT_BITSET | w->op_flags, w->val, w->ts, NULL,
			       w->bitset);
	else
		w->result = fx(w->word, FUTEX_WAIT | w->op_flags, w->val, w->ts, NULL, 0);
	__atomic_store_n(&w->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void start(pthread_t *th, struct waiter *w, uint32_t *word, uint32_t val, uint32_t bitset,
		  int op_flags)
{
	memset(w, 0, sizeof(*w));
	w->word = word;
	w->val = val;
	w->bitset = bitset;
	w->op_flags = op_flags;
	pthread_create(th, NULL, wait_thread, w);
}

static volatile sig_atomic_t usr1;
static void on_usr1(int sig)
{
	usr1++;
}

static void errors(void)
{
	static uint32_t word = 5;
	struct timespec bad = { 0, 1000000000L }, ts;
	printf("wait on a changed value: %s\n", err(fx(&word, FUTEX_WAIT_PRIVATE, 4, NULL, NULL, 0)));
	printf("unaligned: %s\n",
	       err(fx((uint32_t *)((char *)&word + 1), FUTEX_WAIT_PRIVATE, 5, NULL, NULL, 0)));
	printf("bad timeout: %s\n", err(fx(&word, FUTEX_WAIT_PRIVATE, 5, &bad, NULL, 0)));
	printf("bitset 0: %s\n", err(fx(&word, FUTEX_WAIT_BITSET_PRIVATE, 5, NULL, NULL, 0)));
	printf("wake bitset 0: %s\n", err(fx(&word, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, 0)));
	printf("unmapped: %s\n", err(fx((uint32_t *)16, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0)));
	printf("wake nobody: %ld\n", fx(&word, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0));
	printf("CLOCK_REALTIME on WAKE: %s\n",
	       err(fx(&word, FUTEX_WAKE | FUTEX_CLOCK_REALTIME, 1, NULL, NULL, 0)));
	printf("requeue negative count: %s\n",
	       err(fx(&word, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)-1L, &word, 5)));
	printf("cmp_requeue mismatch: %s\n",
	       err(fx(&word, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)1L, &word, 6)));

	ts.tv_sec = 0;
	ts.tv_nsec = 60 * 1000000L;
	uint64_t t0 = mono_ms();
	long r = fx(&word, FUTEX_WAIT_PRIVATE, 5, &ts, NULL, 0);
	uint64_t el = mono_ms() - t0;
	printf("relative timeout: %s after >= 60 ms: %d\n", err(r), el >= 59);

	t0 = mono_ms(); /* before the deadline is taken: elapsed >= 50 ms however slow calls are */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_nsec += 50 * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	r = fx(&word, FUTEX_WAIT_BITSET_PRIVATE, 5, &ts, NULL, FUTEX_BITSET_MATCH_ANY);
	el = mono_ms() - t0;
	printf("absolute monotonic timeout: %s after >= 50 ms: %d\n", err(r), el >= 49);

	t0 = mono_ms(); /* before the deadline is taken: elapsed >= 40 ms however slow calls are */
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 40 * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	r = fx(&word, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 5, &ts, NULL,
	       FUTEX_BITSET_MATCH_ANY);
	el = mono_ms() - t0;
	printf("absolute realtime timeout: %s after >= 40 ms: %d\n", err(r), el >= 39);

	ts.tv_sec = 1;
	ts.tv_nsec = 0; /* 1970: long past */
	printf("absolute time in the past: %s\n",
	       err(fx(&word, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 5, &ts, NULL, ~0u)));
}

static void counts(int flags)
{
	static uint32_t word, word2;
	pthread_t th[3];
	struct waiter w[3];
	word = 0;
	word2 = 0;
	for (int i = 0; i < 3; i++)
		start(&th[i], &w[i], &word, 0, 0, flags);
	printf("three waiters: %d\n", await_waiters(&word, 3, flags));
	printf("requeue 0 wake, 2 moved: %ld\n",
	       fx(&word, FUTEX_CMP_REQUEUE | flags, 0, (void *)2L, &word2, 0));
	printf("left on word: %ld\n", fx(&word, FUTEX_CMP_REQUEUE | flags, 0, (void *)100L, &word, 0));
	printf("wake 0 on word2 wakes one: %ld\n", fx(&word2, FUTEX_WAKE | flags, 0, NULL, NULL, 0));
	printf("wake 5 on word2: %ld\n", fx(&word2, FUTEX_WAKE | flags, 5, NULL, NULL, 0));
	printf("wake 5 on word: %ld\n", fx(&word, FUTEX_WAKE | flags, 5, NULL, NULL, 0));
	int ok = 0;
	for (int i = 0; i < 3; i++) {
		pthread_join(th[i], NULL);
		ok += w[i].result == 0;
	}
	printf("waiters returned 0: %d\n", ok);
}

static void bitsets(void)
{
	static uint32_t word;
	pthread_t th[2];
	struct waiter w[2];
	start(&th[0], &w[0], &word, 0, 1, FUTEX_PRIVATE_FLAG);
	start(&th[1], &w[1], &word, 0, 6, FUTEX_PRIVATE_FLAG);
	printf("bitset waiters: %d\n", await_waiters(&word, 2, FUTEX_PRIVATE_FLAG));
	printf("wake bitset 8: %ld\n", fx(&word, FUTEX_WAKE_BITSET_PRIVATE, 9, NULL, NULL, 8));
	printf("wake bitset 4: %ld\n", fx(&word, FUTEX_WAKE_BITSET_PRIVATE, 9, NULL, NULL, 4));
	pthread_join(th[1], NULL);
	printf("bitset-6 waiter woke: %d, bitset-1 waiter still waiting: %d\n", w[1].done,
	       !w[0].done);
	printf("wake bitset any: %ld\n", fx(&word, FUTEX_WAKE_BITSET_PRIVATE, 9, NULL, NULL, ~0u));
	pthread_join(th[0], NULL);
}

static void wake_op(void)
{
	static uint32_t w1, w2;
	pthread_t th[2];
	struct waiter w[2];
	w2 = 0;
	start(&th[0], &w[0], &w1, 0, 0, FUTEX_PRIVATE_FLAG);
	start(&th[1], &w[1], &w2, 0, 0, FUTEX_PRIVATE_FLAG);
	printf("wake_op waiters: %d %d\n", await_waiters(&w1, 1, FUTEX_PRIVATE_FLAG),
	       await_waiters(&w2, 1, FUTEX_PRIVATE_FLAG));
	/* *w2 += 5; wake w1; if old == 1 wake w2 (false) */
	long r = fx(&w1, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1L, &w2,
		    FUTEX_OP(FUTEX_OP_ADD, 5, FUTEX_OP_CMP_EQ, 1));
	printf("wake_op (cmp false): %ld, w2=%u\n", r, w2);
	/* *w2 = 1 << 3; wake w1 (nobody); if old >= 5 wake w2 */
	r = fx(&w1, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1L, &w2,
	       FUTEX_OP((FUTEX_OP_SET | FUTEX_OP_OPARG_SHIFT), 3, FUTEX_OP_CMP_GE, 5));
	printf("wake_op (cmp true): %ld, w2=%u\n", r, w2);
	pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);
	printf("wake_op results: %s %s\n", err(w[0].result), err(w[1].result));
	printf("wake_op bad op: %s\n",
	       err(fx(&w1, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1L, &w2, 7u << 28)));
}

static void interrupts(void)
{
	static uint32_t word;
	struct sigaction sa;
	pthread_t th;
	struct waiter w;
	struct timespec ts = { 30, 0 };

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL); /* no SA_RESTART */
	start(&th, &w, &word, 0, 0, FUTEX_PRIVATE_FLAG);
	await_waiters(&word, 1, FUTEX_PRIVATE_FLAG);
	pthread_kill(th, SIGUSR1);
	pthread_join(th, NULL);
	printf("signal, no SA_RESTART: %s\n", err(w.result));

	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	usr1 = 0;
	start(&th, &w, &word, 0, 0, FUTEX_PRIVATE_FLAG);
	await_waiters(&word, 1, FUTEX_PRIVATE_FLAG);
	pthread_kill(th, SIGUSR1);
	while (!usr1)
		ms_sleep(1);
	printf("SA_RESTART, no timeout: waiting again %d\n",
	       await_waiters(&word, 1, FUTEX_PRIVATE_FLAG));
	fx(&word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	pthread_join(th, NULL);
	printf("then woken: %s\n", err(w.result));

	memset(&w, 0, sizeof(w));
	w.word = &word;
	w.op_flags = FUTEX_PRIVATE_FLAG;
	w.ts = &ts;
	pthread_create(&th, NULL, wait_thread, &w);
	await_waiters(&word, 1, FUTEX_PRIVATE_FLAG);
	pthread_kill(th, SIGUSR1);
	pthread_join(th, NULL);
	printf("SA_RESTART with a timeout: %s\n", err(w.result));
}

static pthread_mutex_t rm;
static volatile int locked;

static void *robust_owner(void *arg)
{
	pthread_mutex_lock(&rm);
	__atomic_store_n(&locked, 1, __ATOMIC_SEQ_CST);
	if (arg)
		ms_sleep(100); /* the main thread blocks on the mutex meanwhile */
	return NULL;	       /* dies holding it */
}

static void robust(void)
{
	pthread_mutexattr_t at;
	pthread_t th;
	struct robust_list_head *head = NULL;
	size_t len = 0;

	printf("get_robust_list: %ld", syscall(SYS_get_robust_list, 0, &head, &len));
	printf(" len %zu head set %d\n", len, head != NULL);
	printf("set_robust_list bad len: %s\n",
	       err(syscall(SYS_set_robust_list, head, 23) < 0 ? -errno : 0));

	pthread_mutexattr_init(&at);
	pthread_mutexattr_setrobust(&at, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&rm, &at);
	pthread_create(&th, NULL, robust_owner, NULL);
	pthread_join(th, NULL);
	int r = pthread_mutex_lock(&rm);
	printf("lock after the owner died: %s\n", r == EOWNERDEAD ? "EOWNERDEAD" : strerror(r));
	pthread_mutex_consistent(&rm);
	pthread_mutex_unlock(&rm);

	locked = 0;
	pthread_create(&th, NULL, robust_owner, (void *)1);
	while (!__atomic_load_n(&locked, __ATOMIC_SEQ_CST))
		ms_sleep(1);
	r = pthread_mutex_lock(&rm); /* sleeps until the owner's exit wakes it */
	printf("blocked lock when the owner died: %s\n",
	       r == EOWNERDEAD ? "EOWNERDEAD" : strerror(r));
	pthread_mutex_consistent(&rm);
	pthread_mutex_unlock(&rm);
	pthread_join(th, NULL);
}

/*
 * A process-shared robust mutex in MAP_SHARED memory; a child takes it and
 * then sleeps in read() (in_call) or spins in user code; the parent kills
 * it with SIGKILL and must get EOWNERDEAD (within 5 s, not a hang).
 */
static void robust_killed(int in_call)
{
	pthread_mutex_t *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
				  -1, 0);
	pthread_mutexattr_t at;
	int ready[2], never[2], st = 0;
	char c;

	if (m == MAP_FAILED || pipe(ready) || pipe(never)) {
		printf("robust killed: set-up failed: %s\n", strerror(errno));
		return;
	}
	pthread_mutexattr_init(&at);
	pthread_mutexattr_setrobust(&at, PTHREAD_MUTEX_ROBUST);
	pthread_mutexattr_setpshared(&at, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(m, &at);
	pid_t pid = fork();
	if (pid == 0) {
		pthread_mutex_lock(m);
		if (write(ready[1], "r", 1) != 1)
			_exit(2);
		if (in_call)
			(void)read(never[0], &c, 1); /* killed in here */
		for (;;)
			__asm__ volatile("" ::: "memory"); /* or here */
	}
	if (read(ready[0], &c, 1) != 1)
		printf("robust killed: the child did not lock\n");
	if (in_call)
		ms_sleep(50); /* into its read() */
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 5;
	int r = pthread_mutex_timedlock(m, &ts);
	printf("lock after the owner process was killed %s: %s\n",
	       in_call ? "in a system call" : "in user code",
	       r == EOWNERDEAD ? "EOWNERDEAD" : strerror(r));
	if (r == EOWNERDEAD || r == 0) {
		pthread_mutex_consistent(m);
		pthread_mutex_unlock(m);
	}
	close(ready[0]), close(ready[1]), close(never[0]), close(never[1]);
	munmap(m, 4096);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && strcmp(argv[1], "robust") == 0) {
		/* qemu-aarch64 has no robust lists (ENOSYS): the oracle cannot run this part */
		robust();
		robust_killed(0);
		robust_killed(1);
		printf("futex robust: done\n");
		return 0;
	}
	errors();
	counts(FUTEX_PRIVATE_FLAG);
	counts(0);
	bitsets();
	wake_op();
	interrupts();
	printf("futex: done\n");
	return 0;
}
