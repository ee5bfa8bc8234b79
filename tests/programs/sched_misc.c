/*
 * Scheduling attributes and file hints, compared with qemu-aarch64 on a
 * real kernel: nice values (getpriority/setpriority, inherited by a child),
 * sched_{get,set}scheduler/param and priority ranges, sched_setaffinity
 * with CPU 0, personality, sync/syncfs, posix_fadvise, readahead,
 * close_range and preadv2/pwritev2. Only what holds without CAP_SYS_NICE
 * and on any number of CPUs (the oracle's machine is not ours).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static void res(const char *what, long r)
{
	printf("%s: %ld %s\n", what, r, r < 0 ? strerrorname_np(errno) : "-");
}

static void nice_values(void)
{
	errno = 0;
	res("setpriority 3", setpriority(PRIO_PROCESS, 0, 3));
	res("getpriority", getpriority(PRIO_PROCESS, 0));
	res("setpriority 7 (self by pid)", setpriority(PRIO_PROCESS, getpid(), 7));
	/* (PRIO_PGRP is left out: under qemu-aarch64 the group holds qemu's own threads) */
	/* only ever raised: lowering a nice value needs CAP_SYS_NICE, which the oracle may lack */
	res("setpriority 12", setpriority(PRIO_PROCESS, 0, 12));
	res("raw getpriority (20 - nice)", syscall(SYS_getpriority, PRIO_PROCESS, 0));
	res("setpriority clamps 100", setpriority(PRIO_PROCESS, 0, 100));
	res("getpriority after 100", getpriority(PRIO_PROCESS, 0));
	res("getpriority bad which", getpriority(7, 0));
	res("setpriority bad which", setpriority(7, 0, 1));
	res("getpriority no such pid", getpriority(PRIO_PROCESS, 99999));
	res("setpriority no such pid", setpriority(PRIO_PROCESS, 99999, 1));
	pid_t c = fork();
	if (c == 0) {
		printf("child nice: %d\n", getpriority(PRIO_PROCESS, 0));
		_exit(0);
	}
	waitpid(c, NULL, 0);
}

static void policies(void)
{
	struct sched_param sp = {0};

	res("getscheduler", sched_getscheduler(0));
	res("getscheduler no such pid", sched_getscheduler(99999));
	res("getscheduler negative pid", sched_getscheduler(-1));
	sp.sched_priority = 42;
	res("getparam", sched_getparam(0, &sp));
	printf("priority %d\n", sp.sched_priority);
	res("getparam NULL", syscall(SYS_sched_getparam, 0, NULL));
	sp.sched_priority = 0;
	res("setscheduler OTHER", sched_setscheduler(0, SCHED_OTHER, &sp));
	res("setscheduler BATCH", sched_setscheduler(0, SCHED_BATCH, &sp));
	res("getscheduler after", sched_getscheduler(0));
	res("setscheduler IDLE", sched_setscheduler(0, SCHED_IDLE, &sp));
	res("getscheduler after", sched_getscheduler(0));
	res("setscheduler OTHER again", sched_setscheduler(0, SCHED_OTHER, &sp));
	sp.sched_priority = 5;
	res("setscheduler OTHER prio 5", sched_setscheduler(0, SCHED_OTHER, &sp));
	sp.sched_priority = 0;
	res("setscheduler FIFO prio 0", sched_setscheduler(0, SCHED_FIFO, &sp));
	sp.sched_priority = 100;
	res("setscheduler RR prio 100", sched_setscheduler(0, SCHED_RR, &sp));
	res("setscheduler policy 42", sched_setscheduler(0, 42, &sp));
	res("setscheduler NULL param", syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, NULL));
	sp.sched_priority = 0;
	res("setparam prio 0", sched_setparam(0, &sp));
	sp.sched_priority = 3;
	res("setparam prio 3 (OTHER)", sched_setparam(0, &sp));
	int pol[] = {SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_IDLE, 4, 77};
	for (unsigned i = 0; i < sizeof(pol) / sizeof(pol[0]); i++) {
		char w[64];

		snprintf(w, sizeof(w), "priority range of %d: max", pol[i]);
		res(w, sched_get_priority_max(pol[i]));
		snprintf(w, sizeof(w), "priority range of %d: min", pol[i]);
		res(w, sched_get_priority_min(pol[i]));
	}
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	res("setaffinity cpu 0", sched_setaffinity(0, sizeof(set), &set));
	CPU_ZERO(&set);
	res("setaffinity empty", sched_setaffinity(0, sizeof(set), &set));
	CPU_SET(0, &set);
	res("setaffinity no such pid", sched_setaffinity(99999, sizeof(set), &set));
	res("getaffinity has cpu 0",
	    sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_ISSET(0, &set) : -1);
}

static void files(void)
{
	char buf[32] = {0};
	int p[2];
	int fd = open("/tmp/sched_misc.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);

	res("open", fd >= 0 ? 0 : -1);
	pipe(p);
	res("sync", syscall(SYS_sync));
	res("syncfs", syncfs(fd));
	res("syncfs bad fd", syncfs(999));
	errno = 0;
	int e = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	printf("fadvise: %s\n", e ? strerrorname_np(e) : "0");
	e = posix_fadvise(p[0], 0, 0, POSIX_FADV_WILLNEED);
	printf("fadvise pipe: %s\n", e ? strerrorname_np(e) : "0");
	e = posix_fadvise(fd, 0, 0, 99);
	printf("fadvise bad advice: %s\n", e ? strerrorname_np(e) : "0");
	e = posix_fadvise(999, 0, 0, POSIX_FADV_NORMAL);
	printf("fadvise bad fd: %s\n", e ? strerrorname_np(e) : "0");
	e = posix_fadvise(fd, 0, -1, POSIX_FADV_NORMAL);
	printf("fadvise negative len: %s\n", e ? strerrorname_np(e) : "0");
	res("readahead", readahead(fd, 0, 4096));
	res("readahead pipe", readahead(p[0], 0, 4096));
	res("readahead bad fd", readahead(999, 0, 4096));

	struct iovec iov[2] = {{"hello ", 6}, {"world", 5}};
	res("pwritev2 at 4", pwritev2(fd, iov, 2, 4, 0));
	res("pwritev2 at -1 (position)", pwritev2(fd, iov, 1, -1, 0));
	res("lseek cur", lseek(fd, 0, SEEK_CUR));
	res("pwritev2 unknown flag", pwritev2(fd, iov, 1, 0, 0x100));
	/* (RWF_DSYNC is left out: qemu-aarch64 answers EOPNOTSUPP for any flag) */
	struct iovec rv = {buf, sizeof(buf) - 1};
	res("preadv2 at 0", preadv2(fd, &rv, 1, 0, 0));
	printf("content: ");
	for (int i = 0; i < 26; i++)
		putchar(buf[i] ? buf[i] : '.');
	putchar('\n');
	lseek(fd, 4, SEEK_SET);
	memset(buf, 0, sizeof(buf));
	rv.iov_len = 5;
	res("preadv2 at -1", preadv2(fd, &rv, 1, -1, 0));
	printf("read: %s, now at %ld\n", buf, (long)lseek(fd, 0, SEEK_CUR));
	res("preadv2 pipe at 0", preadv2(p[0], &rv, 1, 0, 0));
	res("preadv2 negative offset", preadv2(fd, &rv, 1, -5, 0));

	int a = dup(1), b = dup(1), c = dup(1);
	res("close_range middle", syscall(SYS_close_range, b, c, 0));
	printf("after: a %d b %d c %d\n", fcntl(a, F_GETFD) >= 0, fcntl(b, F_GETFD) >= 0,
	       fcntl(c, F_GETFD) >= 0);
	res("close_range cloexec", syscall(SYS_close_range, a, a, 4));
	printf("a cloexec: %d\n", fcntl(a, F_GETFD));
	res("close_range first > last", syscall(SYS_close_range, 9, 8, 0));
	res("close_range bad flags", syscall(SYS_close_range, a, a, 0x80));
	close(a);
	close(fd);
	unlink("/tmp/sched_misc.txt");
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	res("personality query", personality(0xffffffff));
	res("personality set ADDR_NO_RANDOMIZE", personality(ADDR_NO_RANDOMIZE));
	res("personality query", personality(0xffffffff));
	res("personality back", personality(PER_LINUX));
	nice_values();
	policies();
	files();
	return 0;
}
