/*
 * Test program: signal semantics and timers. sigaction flags (SA_RESTART
 * against EINTR, SA_SIGINFO's si_code/si_pid/si_value, SA_NODEFER,
 * SA_RESETHAND, SA_ONSTACK on a sigaltstack), the program's own faults
 * (SIGSEGV with SEGV_MAPERR and SEGV_ACCERR and si_addr, SIGBUS past the
 * end of a mapped file, SIGILL), interval timers (ITIMER_VIRTUAL and
 * ITIMER_PROF on CPU time) and POSIX timers (SIGEV_SIGNAL with a value,
 * SIGEV_NONE, SIGEV_THREAD_ID, overruns, CLOCK_PROCESS_CPUTIME_ID), alarm.
 * Prints only what does not depend on timing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t hits, depth, maxdepth;
static volatile int last_code, last_pid, last_val, last_tid, on_alt;
static volatile uintptr_t last_addr;
static char altstack[65536];
static sigjmp_buf jb;

static void ms_sleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void set(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fn;
	sa.sa_flags = flags | SA_SIGINFO;
	sigaction(sig, &sa, NULL);
}

static void on_count(int sig, siginfo_t *si, void *uc)
{
	hits++;
	last_code = si->si_code;
	last_pid = si->si_pid;
	last_val = si->si_value.sival_int;
	last_tid = (int)syscall(SYS_gettid);
}

static volatile int child_code, child_status, child_pid;
static void on_child(int sig, siginfo_t *si, void *uc)
{
	child_code = si->si_code;
	child_status = si->si_status;
	child_pid = si->si_pid;
}

static void on_nest(int sig, siginfo_t *si, void *uc)
{
	depth++;
	if (depth > maxdepth)
		maxdepth = depth;
	if (hits++ == 0)
		raise(sig); /* nested now with SA_NODEFER, after return without */
	depth--;
}

static void on_alt_check(int sig, siginfo_t *si, void *uc)
{
	char here;
	stack_t cur;
	on_alt = (uintptr_t)&here >= (uintptr_t)altstack &&
		 (uintptr_t)&here < (uintptr_t)altstack + sizeof(altstack);
	sigaltstack(NULL, &cur);
	if (cur.ss_flags & SS_ONSTACK)
		on_alt |= 2;
	hits++;
}

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	last_code = si->si_code;
	last_addr = (uintptr_t)si->si_addr;
	hits = sig;
	siglongjmp(jb, 1);
}

static void *late_writer(void *arg)
{
	ms_sleep(300);
	if (write(*(int *)arg, "x", 1) != 1)
		return NULL;
	return NULL;
}

static void restart(void)
{
	for (int r = 0; r < 2; r++) {
		int p[2];
		pthread_t th;
		char c;
		if (pipe(p))
			return;
		set(SIGALRM, on_count, r ? SA_RESTART : 0);
		hits = 0;
		pthread_create(&th, NULL, late_writer, &p[1]);
		struct itimerval it = { { 0, 0 }, { 0, 100000 } };
		setitimer(ITIMER_REAL, &it, NULL);
		ssize_t n = read(p[0], &c, 1);
		int e = errno;
		pthread_join(th, NULL);
		printf("read %s SA_RESTART: %s (handler ran %d)\n", r ? "with" : "without",
		       n == 1 ? "restarted, got the byte" : e == EINTR ? "EINTR" : strerror(e),
		       (int)hits);
		close(p[0]);
		close(p[1]);
	}
}

static void info(void)
{
	set(SIGUSR1, on_count, 0);
	hits = 0;
	kill(getpid(), SIGUSR1);
	printf("kill: si_code SI_USER %d, si_pid is mine %d\n", last_code == SI_USER,
	       last_pid == getpid());
	syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR1);
	printf("tgkill: si_code SI_TKILL %d\n", last_code == SI_TKILL);
	union sigval v = { .sival_int = 77 };
	int r = sigqueue(getpid(), SIGUSR1, v);
	printf("sigqueue: %s", r == 0 ? "ok" : strerror(errno));
	printf(", si_code SI_QUEUE %d, value %d\n", last_code == SI_QUEUE, last_val);

	/* sigtimedwait: a blocked pending signal taken with its siginfo; a timeout */
	sigset_t w;
	siginfo_t got;
	struct timespec to = { 0, 50000000 };
	sigemptyset(&w);
	sigaddset(&w, SIGUSR2);
	sigprocmask(SIG_BLOCK, &w, NULL);
	kill(getpid(), SIGUSR2);
	int s1 = sigtimedwait(&w, &got, &to);
	printf("sigtimedwait: %d, si_code SI_USER %d, si_pid right %d\n", s1 == SIGUSR2,
	       got.si_code == SI_USER, got.si_pid == getpid());
	s1 = sigtimedwait(&w, &got, &to);
	printf("sigtimedwait with nothing pending: %s\n", s1 < 0 ? strerror(errno) : "a signal");
	sigprocmask(SIG_UNBLOCK, &w, NULL);

	set(SIGCHLD, on_child, 0);
	for (int k = 0; k < 2; k++) {
		child_code = child_status = child_pid = 0;
		pid_t c = fork();
		if (c == 0) {
			if (k)
				raise(SIGTERM);
			_exit(3);
		}
		while (!child_pid)
			ms_sleep(1); /* not pause(): the signal may come before it */
		waitpid(c, NULL, 0);
		printf("SIGCHLD: %s %d, si_pid right %d, si_status %d\n", k ? "CLD_KILLED" : "CLD_EXITED",
		       child_code == (k ? CLD_KILLED : CLD_EXITED), child_pid == c, child_status);
	}
	signal(SIGCHLD, SIG_DFL);
}

static void flags(void)
{
	struct sigaction sa;
	hits = depth = maxdepth = 0;
	set(SIGUSR2, on_nest, SA_NODEFER);
	raise(SIGUSR2);
	printf("SA_NODEFER: runs %d, nested depth %d\n", (int)hits, (int)maxdepth);
	hits = depth = maxdepth = 0;
	set(SIGUSR2, on_nest, 0);
	raise(SIGUSR2);
	printf("without SA_NODEFER: runs %d, nested depth %d\n", (int)hits, (int)maxdepth);

	set(SIGUSR2, on_count, SA_RESETHAND);
	hits = 0;
	raise(SIGUSR2);
	sigaction(SIGUSR2, NULL, &sa);
	printf("SA_RESETHAND: ran %d, then SIG_DFL %d\n", (int)hits, sa.sa_handler == SIG_DFL);

	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack), .ss_flags = 0 }, old;
	sigaltstack(&ss, NULL);
	set(SIGUSR2, on_alt_check, SA_ONSTACK);
	hits = 0;
	raise(SIGUSR2);
	printf("SA_ONSTACK: on the alternate stack %d, SS_ONSTACK seen %d\n", on_alt & 1,
	       (on_alt & 2) != 0);
	set(SIGUSR2, on_alt_check, 0);
	raise(SIGUSR2);
	printf("without SA_ONSTACK: on the alternate stack %d\n", on_alt & 1);
	sigaltstack(NULL, &old);
	printf("sigaltstack outside a handler: SS_ONSTACK %d, size %zu\n",
	       (old.ss_flags & SS_ONSTACK) != 0, old.ss_size);
	ss.ss_size = 100;
	printf("too small: %s\n", sigaltstack(&ss, NULL) ? strerror(errno) : "accepted");
}

static volatile uintptr_t ill_at;

static void faults(const char *self, int exact)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *m = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(m + pg, pg); /* a hole */
	mprotect(m + 2 * pg, pg, PROT_READ);
	set(SIGSEGV, on_fault, 0);
	set(SIGBUS, on_fault, 0);
	set(SIGILL, on_fault, 0);

	volatile char *hole = m + pg + 24;
	if (!sigsetjmp(jb, 1))
		(void)*hole;
	printf("read of unmapped memory: SIGSEGV %d, SEGV_MAPERR %d, si_addr right %d\n",
	       hits == SIGSEGV, last_code == SEGV_MAPERR, last_addr == (uintptr_t)hole);
	volatile char *ro = m + 2 * pg + 8;
	hits = 0;
	if (!sigsetjmp(jb, 1))
		*ro = 1;
	printf("write to read-only memory: SIGSEGV %d, SEGV_ACCERR %d, si_addr right %d\n",
	       hits == SIGSEGV, last_code == SEGV_ACCERR, last_addr == (uintptr_t)ro);

	int fd = open(self, O_RDONLY);
	struct stat st;
	fstat(fd, &st);
	size_t flen = ((size_t)st.st_size + pg - 1) / pg * pg;
	char *f = mmap(NULL, flen + 2 * pg, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	volatile char *past = f + flen + pg + 5;
	hits = 0;
	if (!sigsetjmp(jb, 1))
		(void)*past;
	/* qemu-aarch64 reports a host address in si_addr here: only checked with "exact" */
	printf("read past the end of a mapped file: SIGBUS %d, BUS_ADRERR %d\n", hits == SIGBUS,
	       last_code == BUS_ADRERR);
	if (exact)
		printf("exact: SIGBUS si_addr right %d\n", last_addr == (uintptr_t)past);
	volatile char *lastb = f + st.st_size - 1;
	hits = 0;
	if (!sigsetjmp(jb, 1))
		(void)*lastb;
	printf("the file's last page reads: %d\n", hits == 0);

	hits = 0;
	if (!sigsetjmp(jb, 1)) {
		uintptr_t a;
		__asm__ volatile("adr %0, 1f\n\tstr %0, [%1]\n1: .inst 0x00000000"
				 : "=&r"(a)
				 : "r"(&ill_at)
				 : "memory");
	}
	printf("undefined instruction: SIGILL %d, si_addr is the pc %d\n", hits == SIGILL,
	       last_addr == ill_at);
	/* Linux arm64 says ILL_ILLOPC; qemu-aarch64 says ILL_ILLOPN: only checked with "exact" */
	if (exact)
		printf("exact: SIGILL ILL_ILLOPC %d\n", last_code == ILL_ILLOPC);
	munmap(m, 3 * pg);
	munmap(f, flen + 2 * pg);
}

static volatile unsigned long spin_sink;

static void spin_until(volatile sig_atomic_t *flag, int max_ms)
{
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!*flag) {
		for (int i = 0; i < 10000; i++)
			spin_sink += (unsigned long)i;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 > max_ms)
			break;
	}
}

static void itimers(void)
{
	struct itimerval it = { { 0, 0 }, { 0, 20000 } }, got;
	set(SIGVTALRM, on_count, 0);
	set(SIGPROF, on_count, 0);
	hits = 0;
	setitimer(ITIMER_VIRTUAL, &it, NULL);
	getitimer(ITIMER_VIRTUAL, &got);
	/* (or already expired: a slow deployment can spend 50 ms of CPU time between two calls) */
	printf("ITIMER_VIRTUAL armed: %d\n",
	       (got.it_value.tv_sec == 0 && got.it_value.tv_usec > 0 &&
		got.it_value.tv_usec <= 100000) || hits);
	spin_until(&hits, 20000);
	printf("SIGVTALRM after CPU time: %d\n", (int)hits);
	hits = 0;
	setitimer(ITIMER_PROF, &it, NULL);
	spin_until(&hits, 20000);
	printf("SIGPROF after CPU time: %d\n", (int)hits);
	getitimer(ITIMER_PROF, &got);
	printf("one-shot disarmed: %d\n", got.it_value.tv_sec == 0 && got.it_value.tv_usec == 0);
	printf("bad which: %s\n", setitimer(7, &it, NULL) ? strerror(errno) : "accepted");
	alarm(100);
	printf("alarm left: %u\n", alarm(0) > 90);
}

static timer_t ov_timer;
static volatile int si_ov, gov;
static void on_overrun(int sig, siginfo_t *si, void *uc)
{
	struct itimerspec off = { { 0, 0 }, { 0, 0 } };
	if (hits++ == 0) { /* an expiry after this one may be delivered too on a slow machine */
		si_ov = si->si_overrun;
		gov = timer_getoverrun(ov_timer);
	}
	timer_settime(ov_timer, 0, &off, NULL);
}

static volatile int tid_seen;
static volatile sig_atomic_t th_hits;
static void on_thread_timer(int sig, siginfo_t *si, void *uc)
{
	tid_seen = (int)syscall(SYS_gettid);
	th_hits++;
}

static void *timer_thread(void *arg)
{
	*(volatile int *)arg = (int)syscall(SYS_gettid);
	while (!th_hits)
		ms_sleep(5);
	return NULL;
}

static void posix_timers(void)
{
	timer_t tm;
	struct sigevent ev;
	struct itimerspec its = { { 0, 0 }, { 0, 50000000 } }, cur;
	sigset_t blk;

	set(SIGRTMIN, on_count, 0);
	memset(&ev, 0, sizeof(ev));
	ev.sigev_notify = SIGEV_SIGNAL;
	ev.sigev_signo = SIGRTMIN;
	ev.sigev_value.sival_int = 42;
	printf("timer_create: %d\n", timer_create(CLOCK_MONOTONIC, &ev, &tm));
	hits = 0;
	timer_settime(tm, 0, &its, NULL);
	timer_gettime(tm, &cur);
	printf("armed: %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 &&
				       cur.it_value.tv_nsec <= 50000000);
	while (!hits)
		ms_sleep(1); /* not pause(): the signal may come before it */
	printf("SIGEV_SIGNAL: si_code SI_TIMER %d, value %d\n", last_code == SI_TIMER, last_val);
	timer_gettime(tm, &cur);
	printf("one-shot expired: %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);

	/* a 1 ms periodic timer while its signal is blocked: overruns; the handler disarms it */
	sigemptyset(&blk);
	sigaddset(&blk, SIGRTMIN);
	sigprocmask(SIG_BLOCK, &blk, NULL);
	struct itimerspec per = { { 0, 1000000 }, { 0, 1000000 } };
	hits = 0;
	ov_timer = tm;
	set(SIGRTMIN, on_overrun, 0);
	timer_settime(tm, 0, &per, NULL);
	ms_sleep(100);
	sigprocmask(SIG_UNBLOCK, &blk, NULL);
	printf("blocked periodic timer: delivered %d, si_overrun counted %d, "
	       "timer_getoverrun agrees %d\n",
	       hits >= 1, si_ov > 10, gov == si_ov);
	set(SIGRTMIN, on_count, 0);
	printf("timer_delete: %d, then gettime: %s\n", timer_delete(tm),
	       timer_gettime(tm, &cur) ? strerror(errno) : "ok");

	ev.sigev_notify = SIGEV_NONE;
	timer_create(CLOCK_REALTIME, &ev, &tm);
	its.it_value.tv_nsec = 30000000;
	timer_settime(tm, 0, &its, NULL);
	ms_sleep(60);
	timer_gettime(tm, &cur);
	printf("SIGEV_NONE: expired silently %d\n", cur.it_value.tv_nsec == 0);
	timer_delete(tm);

	/* SIGEV_THREAD_ID: the signal goes to the thread named */
	volatile int tid = 0;
	pthread_t th;
	set(SIGUSR1, on_thread_timer, 0);
	pthread_create(&th, NULL, timer_thread, (void *)&tid);
	while (!tid)
		ms_sleep(1);
	ev.sigev_notify = SIGEV_THREAD_ID;
	ev.sigev_signo = SIGUSR1;
	ev._sigev_un._tid = tid;
	sigprocmask(SIG_BLOCK, &blk, NULL); /* irrelevant signal: the main thread stays free */
	printf("SIGEV_THREAD_ID create: %d\n", timer_create(CLOCK_MONOTONIC, &ev, &tm));
	its.it_value.tv_nsec = 20000000;
	timer_settime(tm, 0, &its, NULL);
	pthread_join(th, NULL);
	printf("delivered to that thread: %d\n", tid_seen == tid);
	timer_delete(tm);
	ev._sigev_un._tid = 999999;
	printf("SIGEV_THREAD_ID to no thread: %s\n",
	       timer_create(CLOCK_MONOTONIC, &ev, &tm) ? strerror(errno) : "accepted");
	sigprocmask(SIG_UNBLOCK, &blk, NULL);

	/* CPU-time timer */
	ev.sigev_notify = SIGEV_SIGNAL;
	ev.sigev_signo = SIGRTMIN;
	ev.sigev_value.sival_int = 5;
	printf("CLOCK_PROCESS_CPUTIME_ID timer: %d\n",
	       timer_create(CLOCK_PROCESS_CPUTIME_ID, &ev, &tm));
	hits = 0;
	timer_settime(tm, 0, &its, NULL);
	spin_until(&hits, 20000);
	printf("fired on CPU time: %d, value %d\n", (int)hits, last_val);
	timer_delete(tm);
	printf("bad clock: %s\n", timer_create(123, &ev, &tm) ? strerror(errno) : "accepted");
}

int main(int argc, char **argv)
{
	/* "basic": the parts without threads (realm mode has none yet); "exact": Linux-only facts */
	bool basic = argc > 1 && strcmp(argv[1], "basic") == 0;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!basic)
		restart();
	info();
	flags();
	faults(argv[0], argc > 1 && strcmp(argv[1], "exact") == 0);
	itimers();
	if (!basic)
		posix_timers();
	printf("sigsem: done\n");
	return 0;
}
