/*
 * Test program: threads that spin in user code, never making a system call
 * while they wait, must all make progress (a scheduler that only switches
 * at system calls or sleeps never ends these). Modes:
 *   fair      two threads each raise their flag and spin until told to
 *             stop; the main thread spins (no system call) until both
 *             flags are up, then stops them: "all 3 spinners ran"
 *   sleep MS  a thread spins while the main thread sleeps MS ms, then the
 *             process exits: "slept" (for measuring preemptions per second)
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int up[2];
static int stop;

static void *spinner(void *arg)
{
	int *flag = arg;

	if (flag)
		__atomic_store_n(flag, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE))
		;
	return NULL;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "fair";
	pthread_t t[2];

	if (strcmp(mode, "fair") == 0) {
		for (int i = 0; i < 2; i++)
			if (pthread_create(&t[i], NULL, spinner, &up[i])) {
				printf("pthread_create failed\n");
				return 1;
			}
		while (!__atomic_load_n(&up[0], __ATOMIC_ACQUIRE) ||
		       !__atomic_load_n(&up[1], __ATOMIC_ACQUIRE))
			;
		__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
		for (int i = 0; i < 2; i++)
			pthread_join(t[i], NULL);
		printf("all 3 spinners ran\n");
		return 0;
	}
	if (strcmp(mode, "sleep") == 0 && argc > 2) {
		long ms = atol(argv[2]);
		struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

		if (pthread_create(&t[0], NULL, spinner, NULL)) {
			printf("pthread_create failed\n");
			return 1;
		}
		nanosleep(&ts, NULL);
		printf("slept\n");
		fflush(stdout);
		exit(0);
	}
	fprintf(stderr, "usage: thread_spin fair | sleep MS\n");
	return 2;
}
