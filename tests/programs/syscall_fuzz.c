/*
 * A system-call fuzzer that runs inside a container (issue 4 item 7; driven
 * by tests/py/test_syscall_fuzz.py): the container's init forks one child
 * after another until SECONDS have passed; each child issues CALLS random
 * system calls with random arguments (small integers, fds, pointers into a
 * scratch buffer, bad and kernel pointers, huge lengths, random bits) and
 * then exits. Children that hang are killed after a few seconds; children
 * killed by their own calls (a random munmap of their code, rt_sigreturn,
 * a signal to themselves) are counted. The init only forks, waits and
 * counts, and prints "survived" at the end: what is tested is that the
 * library OS (and in realm mode the System Realm and the RMM) keeps
 * serving through all of it, and that the init is never taken down.
 *
 *   syscall_fuzz [SECONDS [SEED [CALLS]]]     (defaults: 10, time, 500)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HANG_MS 3000

static uint64_t rng;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static unsigned char scratch[3 * 4096] __attribute__((aligned(4096)));

static uint64_t arg(void)
{
	static const uint64_t small[] = { 0, 1, 2, 3, 4, 8, 16, 64, 4096, 65536, (uint64_t)-1,
					  (uint64_t)-100 /* AT_FDCWD */ };
	switch (next() % 8) {
	case 0:
	case 1:
		return small[next() % (sizeof(small) / sizeof(small[0]))];
	case 2: /* an fd that may be open */
		return next() % 12;
	case 3:
	case 4: /* a pointer into the scratch buffer */
		return (uint64_t)(uintptr_t)scratch + next() % sizeof(scratch);
	case 5: /* bad pointers */
		switch (next() % 4) {
		case 0:
			return 16;
		case 1:
			return 0xffff000000000000ULL + (next() & 0xfffff);
		case 2:
			return 0x0000ffffffff0000ULL;
		default:
			return (uint64_t)(uintptr_t)scratch + sizeof(scratch) - (next() % 64);
		}
	case 6: /* sizes */
		return next() % 2 ? next() % 8192 : (uint64_t)1 << (next() % 64);
	default:
		return next();
	}
}

static void child(uint64_t seed, unsigned calls)
{
	int fd = open("/dev/null", O_RDWR);

	/* keep the container's output readable; the calls may undo this */
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	rng = seed | 1;
	for (unsigned i = 0; i < sizeof(scratch); i++)
		scratch[i] = (unsigned char)next();
	/* a path or two for the calls to find */
	memcpy(scratch, "/tmp/fz\0/bin/busybox\0/proc/self/maps\0", 38);
	for (unsigned i = 0; i < calls; i++) {
		long nr = next() % 64 == 0 ? (long)(next() % 100000) : (long)(next() % 460);
		uint64_t a[6];

		for (int k = 0; k < 6; k++)
			a[k] = arg();
		/* signals to the init are the library OS's to ignore (pid-namespace init rules) */
		syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	}
	_exit(0);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	unsigned seconds = argc > 1 ? (unsigned)atoi(argv[1]) : 10;
	uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 0) : (uint64_t)time(NULL);
	unsigned calls = argc > 3 ? (unsigned)atoi(argv[3]) : 500;
	unsigned children = 0, by_signal = 0, hung = 0, exited = 0;
	uint64_t end = now_ms() + seconds * 1000ULL;

	/*
	 * Only as a container's init: under qemu-aarch64 on a host the random
	 * calls (kill(-1, SIGKILL) among them) would reach the host's kernel.
	 */
	if (getpid() != 1) {
		fprintf(stderr, "syscall_fuzz: refusing to run: not a container's init (pid %d)\n",
			(int)getpid());
		return 2;
	}
	printf("syscall_fuzz: seed %llu, %u s, %u calls per child\n", (unsigned long long)seed,
	       seconds, calls);
	fflush(stdout);
	while (now_ms() < end) {
		uint64_t cseed = seed * 0x9E3779B97F4A7C15ULL + children;
		pid_t pid = fork();
		uint64_t t0 = now_ms();
		int st = 0;

		if (pid < 0) {
			printf("fork failed: %s\n", strerror(errno));
			return 1;
		}
		if (pid == 0)
			child(cseed, calls);
		children++;
		for (;;) {
			pid_t r = waitpid(pid, &st, WNOHANG);

			if (r == pid)
				break;
			if (r < 0 && errno != EINTR) {
				printf("waitpid: %s\n", strerror(errno));
				return 1;
			}
			if (now_ms() - t0 > HANG_MS) {
				kill(pid, SIGKILL);
				waitpid(pid, &st, 0);
				hung++;
				break;
			}
			usleep(2000);
		}
		if (WIFSIGNALED(st))
			by_signal++;
		else
			exited++;
		/* end and reap what the random clones left behind (-1: all but the init) */
		kill(-1, SIGKILL);
		while (waitpid(-1, NULL, 0) > 0)
			;
	}
	printf("children %u: exited %u, killed by a signal %u (hung and killed: %u)\n", children,
	       exited, by_signal, hung);
	printf("survived\n");
	return 0;
}
