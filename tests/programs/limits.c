/*
 * Test program: linux.resources limits seen from inside a container.
 * `limits mem MB`: allocate and touch MB MiB in 1 MiB steps, printing
 * "allocated N MiB" after each (a memory limit ends it with SIGKILL: 137);
 * `limits fork N`: fork up to N children that wait on a pipe, stop at the
 * first failure and print "forked K, then errno NAME" (EAGAIN at a pids
 * limit), then let them go and reap them; `limits threads N`: the same with
 * pthread_create ("created K threads, then errno NAME").
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static int gate[2];

static const char *ename(int e)
{
	return e == EAGAIN ? "EAGAIN" : e == ENOMEM ? "ENOMEM" : e == 0 ? "none" : strerror(e);
}

static int mem(long mb)
{
	for (long i = 1; i <= mb; i++) {
		char *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);
		if (p == MAP_FAILED) {
			printf("mmap failed after %ld MiB: %s\n", i - 1, ename(errno));
			return 1;
		}
		for (long k = 0; k < (1 << 20); k += 4096)
			p[k] = (char)k;
		printf("allocated %ld MiB\n", i);
		fflush(stdout);
	}
	printf("done\n");
	return 0;
}

static int forks(long n)
{
	long k;
	int err = 0;

	if (pipe(gate))
		return 2;
	for (k = 0; k < n; k++) {
		pid_t c = fork();
		if (c < 0) {
			err = errno;
			break;
		}
		if (c == 0) {
			char b;
			close(gate[1]);
			while (read(gate[0], &b, 1) < 0 && errno == EINTR)
				;
			_exit(0);
		}
	}
	printf("forked %ld, then errno %s\n", k, ename(err));
	fflush(stdout);
	close(gate[1]);
	while (wait(NULL) > 0)
		;
	printf("reaped\n");
	return 0;
}

static void *waiter(void *a)
{
	char b;
	(void)a;
	while (read(gate[0], &b, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

static int threads(long n)
{
	pthread_t t[512];
	long k;
	int err = 0;

	if (n > 512 || pipe(gate))
		return 2;
	for (k = 0; k < n; k++) {
		err = pthread_create(&t[k], NULL, waiter, NULL);
		if (err)
			break;
	}
	printf("created %ld threads, then errno %s\n", k, ename(err));
	fflush(stdout);
	close(gate[1]);
	for (long i = 0; i < k; i++)
		pthread_join(t[i], NULL);
	printf("joined\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "mem") == 0)
		return mem(atol(argv[2]));
	if (argc == 3 && strcmp(argv[1], "fork") == 0)
		return forks(atol(argv[2]));
	if (argc == 3 && strcmp(argv[1], "threads") == 0)
		return threads(atol(argv[2]));
	fprintf(stderr, "usage: limits mem MB | fork N | threads N\n");
	return 2;
}
