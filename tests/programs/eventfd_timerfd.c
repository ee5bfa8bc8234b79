/*
 * Test program: eventfd (counter and semaphore modes, non-blocking reads,
 * the overflow rule, short buffers), timerfd (one-shot and periodic
 * expirations, absolute times, gettime, blocking reads, a timer waking an
 * epoll_wait and a ppoll with nothing else running), ppoll and pselect6
 * timeouts and their bad arguments. Timing is printed as comparisons so
 * the output is deterministic.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void res(const char *what, long r)
{
	printf("%s: %ld %s\n", what, r, r < 0 ? strerrorname_np(errno) : "-");
}

static long ms_since(const struct timespec *a)
{
	struct timespec b;
	clock_gettime(CLOCK_MONOTONIC, &b);
	return (b.tv_sec - a->tv_sec) * 1000 + (b.tv_nsec - a->tv_nsec) / 1000000;
}

static void eventfds(void)
{
	uint64_t v;
	int fd = eventfd(3, EFD_NONBLOCK | EFD_CLOEXEC);
	struct stat st;

	fstat(fd, &st);
	printf("eventfd: mode %#o, F_GETFL %#x, cloexec %d\n", st.st_mode, fcntl(fd, F_GETFL),
	       fcntl(fd, F_GETFD));
	v = 4;
	res("write 4", write(fd, &v, 8));
	res("read", read(fd, &v, 8));
	printf("value %llu\n", (unsigned long long)v);
	res("read empty", read(fd, &v, 8));
	res("read short", read(fd, &v, 4));
	res("write short", write(fd, &v, 7));
	v = UINT64_MAX;
	res("write max", write(fd, &v, 8));
	v = UINT64_MAX - 1;
	res("write max-1", write(fd, &v, 8));
	v = 1;
	res("write overflow", write(fd, &v, 8));
	struct pollfd pf = {fd, POLLIN | POLLOUT, 0};
	res("poll full", poll(&pf, 1, 0));
	printf("revents %#x\n", pf.revents);
	res("read full", read(fd, &v, 8));
	printf("value %#llx\n", (unsigned long long)v);
	close(fd);

	fd = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK);
	for (int i = 0; i < 3; i++) {
		v = 0;
		long r = read(fd, &v, 8);
		printf("semaphore read %d: %ld value %llu\n", i, r, (unsigned long long)v);
	}
	close(fd);
	res("bad flags", eventfd(0, 0x10));

	/* what /proc/self/fd shows for the anonymous inodes */
	int fds[3] = {eventfd(0, 0), timerfd_create(CLOCK_MONOTONIC, 0), epoll_create1(0)};
	for (int i = 0; i < 3; i++) {
		char path[64], link[64];
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[i]);
		ssize_t n = readlink(path, link, sizeof(link) - 1);
		link[n > 0 ? n : 0] = '\0';
		printf("fd link: %s\n", link);
		close(fds[i]);
	}

	/* blocking read woken by a child's write; edge-triggered epoll per write */
	fd = eventfd(0, 0);
	int ep = epoll_create1(0);
	struct epoll_event e = {EPOLLIN | EPOLLET, {.u64 = 9}};
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
	pid_t pid = fork();
	if (pid == 0) {
		uint64_t one = 5;
		usleep(50000);
		write(fd, &one, 8);
		_exit(0);
	}
	res("blocking read", read(fd, &v, 8));
	printf("value %llu\n", (unsigned long long)v);
	waitpid(pid, NULL, 0);
	v = 1;
	write(fd, &v, 8);
	res("et 1", epoll_wait(ep, &e, 1, 0));
	res("et again", epoll_wait(ep, &e, 1, 0));
	write(fd, &v, 8);
	res("et second write", epoll_wait(ep, &e, 1, 0));
	close(ep);
	close(fd);
}

static void timerfds(void)
{
	struct itimerspec its, cur;
	uint64_t n;
	struct timespec t0;
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	struct stat st;

	fstat(fd, &st);
	printf("timerfd: mode %#o, F_GETFL %#x\n", st.st_mode, fcntl(fd, F_GETFL));
	res("read unarmed", read(fd, &n, 8));
	timerfd_gettime(fd, &cur);
	printf("unarmed: value %ld.%09ld interval %ld\n", (long)cur.it_value.tv_sec,
	       cur.it_value.tv_nsec, (long)cur.it_interval.tv_sec);

	/* periodic: 20 ms, look after >= 110 ms: at least 5 expirations */
	memset(&its, 0, sizeof(its));
	its.it_value.tv_nsec = 20000000;
	its.it_interval.tv_nsec = 20000000;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	res("settime periodic", timerfd_settime(fd, 0, &its, NULL));
	timerfd_gettime(fd, &cur);
	printf("gettime: value <= 20ms: %d, interval %ld ns\n",
	       cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec <= 20000000,
	       cur.it_interval.tv_nsec);
	usleep(110000);
	res("read periodic", read(fd, &n, 8));
	printf("expirations >= 5: %d\n", n >= 5);

	/* blocking read of the next expiry, on a blocking timerfd */
	int bfd = timerfd_create(CLOCK_MONOTONIC, 0);
	its.it_value.tv_nsec = 30000000;
	its.it_interval.tv_nsec = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	timerfd_settime(bfd, 0, &its, NULL);
	res("blocking read", read(bfd, &n, 8));
	printf("one shot: %llu, waited >= 25ms: %d\n", (unsigned long long)n, ms_since(&t0) >= 25);
	timerfd_gettime(bfd, &cur);
	printf("disarmed after: %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);
	res("F_SETFL O_NONBLOCK", fcntl(bfd, F_SETFL, O_NONBLOCK));
	res("read again", read(bfd, &n, 8));

	/* absolute time on CLOCK_REALTIME, 40 ms ahead, woken inside epoll_wait */
	int rfd = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC);
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	clock_gettime(CLOCK_REALTIME, &now);
	its.it_value = now;
	its.it_value.tv_nsec += 40000000;
	if (its.it_value.tv_nsec >= 1000000000) {
		its.it_value.tv_sec++;
		its.it_value.tv_nsec -= 1000000000;
	}
	res("settime abstime", timerfd_settime(rfd, TFD_TIMER_ABSTIME, &its, NULL));
	int ep = epoll_create1(0);
	struct epoll_event e = {EPOLLIN, {.u32 = 77}};
	epoll_ctl(ep, EPOLL_CTL_ADD, rfd, &e);
	int r = epoll_wait(ep, &e, 1, 5000);
	long ms = ms_since(&t0);
	printf("epoll woke by timer: %d data %u, in 35..2000ms: %d\n", r, e.data.u32,
	       ms >= 35 && ms < 2000);
	res("read abstime", read(rfd, &n, 8));
	printf("expirations: %llu\n", (unsigned long long)n);

	/* a periodic timer wakes ppoll */
	its.it_value.tv_sec = 0;
	its.it_value.tv_nsec = 30000000;
	its.it_interval.tv_nsec = 30000000;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	timerfd_settime(fd, 0, &its, NULL);
	struct pollfd pf = {fd, POLLIN, 0};
	r = poll(&pf, 1, 5000);
	ms = ms_since(&t0);
	printf("poll woke by timer: %d revents %#x, in 25..2000ms: %d\n", r, pf.revents,
	       ms >= 25 && ms < 2000);
	memset(&its, 0, sizeof(its));
	timerfd_settime(fd, 0, &its, &cur);
	printf("old interval: %ld ns\n", cur.it_interval.tv_nsec);
	res("read after disarm", read(fd, &n, 8));

	/* bad arguments */
	res("create bad clock", timerfd_create(12345, 0));
	/* O_APPEND: a flag qemu-aarch64 passes on (it drops bits it does not know) */
	res("create bad flags", timerfd_create(CLOCK_MONOTONIC, O_APPEND));
	its.it_value.tv_nsec = 1000000000;
	res("settime bad nsec", timerfd_settime(fd, 0, &its, NULL));
	its.it_value.tv_nsec = 1;
	res("settime bad flags", timerfd_settime(fd, 8, &its, NULL));
	res("settime bad fd", timerfd_settime(999, 0, &its, NULL));
	res("settime not timerfd", timerfd_settime(0, 0, &its, NULL));
	res("gettime not timerfd", timerfd_gettime(ep, &cur));
	res("write timerfd", write(fd, &n, 8));
	res("read short", read(fd, &n, 4));
	close(ep);
	close(fd);
	close(bfd);
	close(rfd);
}

static void polls(void)
{
	int p[2];
	struct timespec t0;
	pipe(p);
	printf("pipe F_GETFL: %#x %#x\n", fcntl(p[0], F_GETFL), fcntl(p[1], F_GETFL));

	struct pollfd pf[3] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}, {999, POLLIN, 0}};
	res("poll", poll(pf, 3, 0));
	printf("revents %#x %#x %#x\n", pf[0].revents, pf[1].revents, pf[2].revents);
	pf[1].fd = -1;
	pf[2].fd = -1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	res("poll timeout", poll(pf, 3, 60));
	printf("waited >= 50ms: %d\n", ms_since(&t0) >= 50);

	struct timespec ts = {0, 60000000};
	clock_gettime(CLOCK_MONOTONIC, &t0);
	res("ppoll raw timeout", syscall(SYS_ppoll, pf, 1, &ts, NULL, 8));
	printf("waited >= 50ms: %d, time left written back %ld.%09ld\n", ms_since(&t0) >= 50,
	       (long)ts.tv_sec, ts.tv_nsec);
	ts.tv_nsec = -1;
	res("ppoll bad timeout", syscall(SYS_ppoll, pf, 1, &ts, NULL, 8));
	ts.tv_nsec = 0;
	sigset_t ss;
	sigemptyset(&ss);
	res("ppoll bad sigsetsize", syscall(SYS_ppoll, pf, 1, &ts, &ss, 4));

	fd_set rd, wr;
	struct timeval tv = {0, 60000};
	FD_ZERO(&rd);
	FD_ZERO(&wr);
	FD_SET(p[0], &rd);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	res("select timeout", select(p[0] + 1, &rd, NULL, NULL, &tv));
	printf("waited >= 50ms: %d, tv left %ld.%06ld, rd cleared %d\n", ms_since(&t0) >= 50,
	       (long)tv.tv_sec, (long)tv.tv_usec, !FD_ISSET(p[0], &rd));
	write(p[1], "x", 1);
	FD_SET(p[0], &rd);
	FD_SET(p[1], &wr);
	FD_SET(p[0], &wr);
	tv.tv_usec = 0;
	res("select ready", select(p[1] + 1, &rd, &wr, NULL, &tv));
	printf("rd %d wr(p0) %d wr(p1) %d\n", FD_ISSET(p[0], &rd), FD_ISSET(p[0], &wr),
	       FD_ISSET(p[1], &wr));
	/* a descriptor that is surely closed: the oracle's process may have fd 100 open */
	int closed = dup(p[0]);
	close(closed);
	FD_ZERO(&rd);
	FD_SET(closed, &rd);
	res("select bad fd", select(closed + 1, &rd, NULL, NULL, &tv));
	res("select negative", select(-1, NULL, NULL, NULL, &tv));
	tv.tv_usec = 2000000;
	res("select bad timeout", select(1, NULL, NULL, NULL, &tv));

	/* pselect6 with a signal mask: SIGUSR1 blocked while waiting */
	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	struct timespec pts = {0, 20000000};
	FD_ZERO(&rd);
	FD_SET(p[1], &rd);
	res("pselect write end readable", pselect(p[1] + 1, &rd, NULL, NULL, &pts, &block));
	close(p[0]);
	FD_ZERO(&wr);
	FD_SET(p[1], &wr);
	signal(SIGPIPE, SIG_IGN);
	res("select reader gone", select(p[1] + 1, NULL, &wr, NULL, &tv));
	close(p[1]);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	eventfds();
	timerfds();
	polls();
	printf("eventfd_timerfd: done\n");
	return 0;
}
