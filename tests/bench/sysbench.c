/*
 * System-call cost probe for the benchmark (scripts/bench_report.py), an
 * arm64 program built static: `sysbench OP N` runs N iterations of OP and
 * prints "OP N NS_PER_ITERATION" measured with CLOCK_MONOTONIC inside the
 * container (so start-up is not counted).
 *   getpid      getpid()
 *   pipe        write 1 byte to a pipe, read it back
 *   open        openat("/etc/passwd") + close
 *   mmap        mmap one anonymous page, touch it, munmap
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: sysbench getpid|pipe|open|mmap N\n");
		return 2;
	}
	const char *op = argv[1];
	long n = atol(argv[2]);
	int p[2];
	char c = 'x';

	if (pipe(p) != 0)
		return 1;
	long long t0 = now_ns();
	for (long i = 0; i < n; i++) {
		if (!strcmp(op, "getpid")) {
			syscall(SYS_getpid);
		} else if (!strcmp(op, "pipe")) {
			if (write(p[1], &c, 1) != 1 || read(p[0], &c, 1) != 1)
				return 1;
		} else if (!strcmp(op, "open")) {
			int fd = open("/etc/passwd", O_RDONLY);
			if (fd < 0)
				return 1;
			close(fd);
		} else if (!strcmp(op, "mmap")) {
			char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				       -1, 0);
			if (m == MAP_FAILED)
				return 1;
			m[0] = 1;
			munmap(m, 4096);
		} else {
			fprintf(stderr, "sysbench: unknown op %s\n", op);
			return 2;
		}
	}
	long long t1 = now_ns();
	printf("%s %ld %.1f\n", op, n, n ? (double)(t1 - t0) / (double)n : 0.0);
	return 0;
}
