/*
 * Test program: epoll over pipes. Level- and edge-triggered readiness,
 * EPOLLONESHOT and re-arming with EPOLL_CTL_MOD, data returned verbatim,
 * hang-up, an epoll set shared across fork, epoll inside epoll (and
 * ELOOP), a closed fd leaving the set only with its last reference,
 * epoll_pwait2 timeouts, and the errors Linux gives for bad arguments.
 * Signals: EINTR even with SA_RESTART, and the temporary masks of
 * epoll_pwait and ppoll.
 * `epoll bench N`: N epoll_wait calls on a ready pipe, ns per call.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile int got;

static void on_sig(int sig)
{
	got = sig;
}

static int wait_n(int ep, int timeout_ms, struct epoll_event *ev, int max)
{
	memset(ev, 0, sizeof(*ev) * (size_t)max);
	return epoll_wait(ep, ev, max, timeout_ms);
}

/*
 * epoll_pwait2. qemu-aarch64 (the oracle) answers ENOSYS: there the same
 * wait is made with the calls Linux defines it by (epoll_pwait with the
 * timeout in ms; a malformed timespec checked by ppoll), so the output
 * still compares the library OS against a real kernel.
 */
static int pwait2(int ep, struct epoll_event *ev, int max, const struct timespec *ts)
{
	int r = (int)syscall(SYS_epoll_pwait2, ep, ev, max, ts, NULL, 8);
	if (r >= 0 || errno != ENOSYS)
		return r;
	if (ts && (ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000))
		return (int)syscall(SYS_ppoll, NULL, 0, ts, NULL, 8);
	return epoll_pwait(ep, ev, max, ts ? (int)(ts->tv_sec * 1000 + ts->tv_nsec / 1000000) : -1,
			   NULL);
}

static void show(const char *what, int ep, int timeout_ms)
{
	struct epoll_event ev[4];
	int n = wait_n(ep, timeout_ms, ev, 4);
	printf("%s: n=%d", what, n);
	for (int i = 0; i < n; i++)
		printf(" [ev=%#x data=%#llx]", ev[i].events, (unsigned long long)ev[i].data.u64);
	printf("\n");
}

static void err(const char *what, int r)
{
	printf("%s: %d %s\n", what, r, r < 0 ? strerrorname_np(errno) : "-");
}

static long ms_since(const struct timespec *a)
{
	struct timespec b;
	clock_gettime(CLOCK_MONOTONIC, &b);
	return (b.tv_sec - a->tv_sec) * 1000 + (b.tv_nsec - a->tv_nsec) / 1000000;
}

static int bench(long n)
{
	int p[2], ep = epoll_create1(0);
	struct epoll_event e = {EPOLLIN, {.u64 = 1}};
	struct timespec t0;

	if (pipe(p) || write(p[1], "x", 1) != 1 || epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e))
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < n; i++)
		if (epoll_wait(ep, &e, 1, 0) != 1)
			return 1;
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ns = (t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec);
	printf("epoll_wait on a ready pipe: %ld calls, %ld ns per call\n", n, ns / n);
	return 0;
}

int main(int argc, char **argv)
{
	int p[2], q[2], ep, ep2;
	char buf[64];
	struct epoll_event e;

	if (argc == 3 && strcmp(argv[1], "bench") == 0)
		return bench(atol(argv[2]));
	setvbuf(stdout, NULL, _IONBF, 0);
	signal(SIGPIPE, SIG_IGN); /* writes after the last reader went: EPIPE, not death */
	if (pipe(p) || pipe(q))
		return 1;
	ep = epoll_create1(EPOLL_CLOEXEC);
	printf("epoll_create1: %s, cloexec %d\n", ep >= 0 ? "ok" : "failed",
	       fcntl(ep, F_GETFD) & FD_CLOEXEC);

	/* level-triggered: reported until drained; data verbatim */
	e.events = EPOLLIN;
	e.data.u64 = 0x1122334455667788ULL;
	err("add p0", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e));
	show("lt empty", ep, 0);
	write(p[1], "abc", 3);
	show("lt 1", ep, 0);
	show("lt 2", ep, 0);
	read(p[0], buf, 3);
	show("lt drained", ep, 0);

	/* edge-triggered: once per write, not again while unread */
	e.events = EPOLLIN | EPOLLET;
	e.data.fd = p[0];
	err("mod p0 et", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &e));
	write(p[1], "x", 1);
	show("et 1", ep, 0);
	show("et again", ep, 0);
	write(p[1], "y", 1);
	show("et new write", ep, 0);
	read(p[0], buf, sizeof(buf));
	show("et drained", ep, 0);

	/* one-shot: one report, then silent until re-armed */
	e.events = EPOLLIN | EPOLLONESHOT;
	e.data.u32 = 7;
	err("mod p0 oneshot", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &e));
	write(p[1], "z", 1);
	show("oneshot 1", ep, 0);
	show("oneshot 2", ep, 0);
	err("mod rearm", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &e));
	show("rearmed", ep, 0);
	read(p[0], buf, sizeof(buf));
	err("del p0", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));

	/* the write end: EPOLLOUT; reader gone: EPOLLERR */
	e.events = EPOLLOUT;
	e.data.u32 = 2;
	err("add q1", epoll_ctl(ep, EPOLL_CTL_ADD, q[1], &e));
	show("writable", ep, 0);
	err("del q1", epoll_ctl(ep, EPOLL_CTL_DEL, q[1], NULL));

	/* hang-up: the writer closes */
	e.events = EPOLLIN | EPOLLRDHUP;
	e.data.u32 = 3;
	err("add q0", epoll_ctl(ep, EPOLL_CTL_ADD, q[0], &e));
	close(q[1]);
	show("hup", ep, 0);
	err("del q0", epoll_ctl(ep, EPOLL_CTL_DEL, q[0], NULL));
	close(q[0]);

	/* shared across fork: the child writes later, the parent sleeps in epoll_wait */
	e.events = EPOLLIN;
	e.data.u32 = 4;
	err("add p0 again", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e));
	pid_t pid = fork();
	if (pid == 0) {
		struct epoll_event ce;
		/* the child sees the parent's set (and the same pipe) */
		int n = epoll_wait(ep, &ce, 1, 0);
		usleep(100000);
		write(p[1], "from child", 10);
		_exit(n == 0 ? 0 : 1);
	}
	show("fork wait", ep, 5000);
	int status;
	waitpid(pid, &status, 0);
	printf("child: %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	printf("read: %zd\n", read(p[0], buf, sizeof(buf)));

	/* a child waits on the shared set while the parent writes */
	pid = fork();
	if (pid == 0) {
		struct epoll_event ce;
		int n = epoll_wait(ep, &ce, 1, 5000);
		_exit(n == 1 && ce.data.u32 == 4 ? 0 : 1);
	}
	usleep(50000);
	write(p[1], "!", 1);
	waitpid(pid, &status, 0);
	printf("child saw the write: %d\n", WIFEXITED(status) && WEXITSTATUS(status) == 0);
	read(p[0], buf, sizeof(buf));

	/* epoll inside epoll: the outer is readable while the inner has events */
	ep2 = epoll_create1(0);
	e.events = EPOLLIN;
	e.data.u32 = 5;
	err("nest", epoll_ctl(ep2, EPOLL_CTL_ADD, ep, &e));
	show("outer idle", ep2, 0);
	write(p[1], "n", 1);
	show("outer", ep2, 0);
	show("inner", ep, 0);
	read(p[0], buf, sizeof(buf));
	show("outer drained", ep2, 0);
	errno = 0;
	err("loop", epoll_ctl(ep, EPOLL_CTL_ADD, ep2, &e));
	struct pollfd pf = {ep, POLLIN, 0};
	write(p[1], "m", 1);
	printf("poll on epoll fd: %d revents=%#x\n", poll(&pf, 1, 0), pf.revents);
	read(p[0], buf, sizeof(buf));

	/* chains deeper than 5 epoll instances: ELOOP */
	int chain[6];
	chain[0] = epoll_create1(0);
	for (int i = 1; i < 6; i++) {
		chain[i] = epoll_create1(0);
		e.data.u32 = (uint32_t)i;
		int r = epoll_ctl(chain[i], EPOLL_CTL_ADD, chain[i - 1], &e);
		printf("chain %d: %d %s\n", i, r, r < 0 ? strerrorname_np(errno) : "-");
	}
	for (int i = 0; i < 6; i++)
		close(chain[i]);

	/* closing the fd leaves the item while a dup holds the file */
	int d = dup(p[0]);
	close(p[0]);
	write(p[1], "d", 1);
	show("after close, dup alive", ep, 0);
	read(d, buf, sizeof(buf));
	close(d);
	write(p[1], "e", 1);
	show("after last close", ep, 0);
	errno = 0;
	err("del closed", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));

	/* timeouts */
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	show("timeout 100ms", ep, 100);
	long ms = ms_since(&t0);
	printf("waited >= 90ms: %d, < 2s: %d\n", ms >= 90, ms < 2000);
	struct timespec ts = {0, 50000000};
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int r = pwait2(ep, &e, 1, &ts);
	ms = ms_since(&t0);
	printf("epoll_pwait2 50ms: %d, waited >= 40ms: %d\n", r, ms >= 40);
	ts.tv_nsec = 2000000000;
	err("epoll_pwait2 bad timespec", pwait2(ep, &e, 1, &ts));
	err("epoll_pwait2 bad epfd", pwait2(999, &e, 1, NULL));

	/* bad arguments */
	int pp[2];
	pipe(pp);
	e.events = EPOLLIN;
	err("create1 bad flags", epoll_create1(1));
	err("ctl bad epfd", epoll_ctl(999, EPOLL_CTL_ADD, pp[0], &e));
	err("ctl bad fd", epoll_ctl(ep, EPOLL_CTL_ADD, 999, &e));
	err("ctl not epoll", epoll_ctl(pp[1], EPOLL_CTL_ADD, pp[0], &e));
	err("ctl self", epoll_ctl(ep, EPOLL_CTL_ADD, ep, &e));
	err("ctl bad op", epoll_ctl(ep, 99, pp[0], &e));
	err("ctl add", epoll_ctl(ep, EPOLL_CTL_ADD, pp[0], &e));
	err("ctl add twice", epoll_ctl(ep, EPOLL_CTL_ADD, pp[0], &e));
	err("ctl mod missing", epoll_ctl(ep, EPOLL_CTL_MOD, pp[1], &e));
	err("ctl del missing", epoll_ctl(ep, EPOLL_CTL_DEL, pp[1], NULL));
	int reg = open("/tmp/epoll-reg", O_CREAT | O_RDWR, 0600);
	err("ctl regular file", epoll_ctl(ep, EPOLL_CTL_ADD, reg, &e));
	e.events = EPOLLIN | EPOLLEXCLUSIVE;
	err("ctl exclusive add", epoll_ctl(ep, EPOLL_CTL_ADD, pp[1], &e));
	err("ctl exclusive mod", epoll_ctl(ep, EPOLL_CTL_MOD, pp[1], &e));
	e.events = EPOLLIN | EPOLLONESHOT | EPOLLEXCLUSIVE;
	err("ctl exclusive oneshot", epoll_ctl(ep, EPOLL_CTL_ADD, pp[0], &e));
	err("ctl event fault", epoll_ctl(ep, EPOLL_CTL_MOD, pp[0], (void *)8));
	err("wait maxevents 0", epoll_wait(ep, &e, 0, 0));
	err("wait bad epfd", epoll_wait(999, &e, 1, 0));
	err("wait not epoll", epoll_wait(pp[0], &e, 1, 0));
	err("pwait bad sigsetsize", (int)syscall(SYS_epoll_pwait, ep, &e, 1, 0, &ts, 4));
	err("read epoll fd", (int)read(ep, buf, 8));

	/* a signal ends epoll_wait with EINTR, even with SA_RESTART */
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	struct itimerval itv = {{0, 0}, {0, 50000}};
	setitimer(ITIMER_REAL, &itv, NULL);
	got = 0;
	err("epoll_wait interrupted", epoll_wait(ep, &e, 1, 5000));
	printf("handler ran: %d\n", got == SIGALRM);
	/* the masks of epoll_pwait and ppoll let a blocked pending signal in, for the wait only */
	sigset_t blk, empty, after;
	sigemptyset(&blk);
	sigaddset(&blk, SIGUSR1);
	sigemptyset(&empty);
	sigprocmask(SIG_BLOCK, &blk, NULL);
	raise(SIGUSR1);
	got = 0;
	err("epoll_pwait unmasked", epoll_pwait(ep, &e, 1, 5000, &empty));
	sigprocmask(SIG_BLOCK, NULL, &after);
	printf("handler ran: %d, blocked again: %d\n", got == SIGUSR1,
	       sigismember(&after, SIGUSR1));
	raise(SIGUSR1);
	got = 0;
	ts.tv_sec = 5;
	ts.tv_nsec = 0;
	err("ppoll unmasked", ppoll(NULL, 0, &ts, &empty));
	sigprocmask(SIG_BLOCK, NULL, &after);
	printf("handler ran: %d, blocked again: %d\n", got == SIGUSR1,
	       sigismember(&after, SIGUSR1));
	/* a mask that keeps it blocked: the wait times out, the signal stays pending */
	raise(SIGUSR1);
	got = 0;
	err("epoll_pwait masked", epoll_pwait(ep, &e, 1, 30, &blk));
	sigset_t pend;
	sigpending(&pend);
	printf("handler ran: %d, still pending: %d\n", got != 0, sigismember(&pend, SIGUSR1));
	sigprocmask(SIG_UNBLOCK, &blk, NULL);
	printf("delivered on unblock: %d\n", got == SIGUSR1);
	printf("F_GETFL: %#x\n", fcntl(ep, F_GETFL));
	close(reg);
	close(ep2);
	close(ep);
	printf("epoll: done\n");
	return 0;
}
