/*
 * Test program: how threads end with their process. Modes:
 *   exec      a second thread calls execve while the main thread waits in
 *             pthread_join and a third spins: the new image runs alone,
 *             with tid == pid (Linux kills the other threads first)
 *   mainexit  the main thread ends alone (the exit system call: pthread_exit
 *             needs libgcc_s, not in every rootfs); a worker goes on, prints
 *             and ends the process with exit(3)
 *   group     a thread calls exit(5) (exit_group) while the main thread
 *             waits in pthread_join and another spins: status 5
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static volatile int spin_forever = 1;
static char *self;

static void *spinner(void *arg)
{
	while (spin_forever)
		;
	return NULL;
}

static void *execer(void *arg)
{
	char *argv[] = {self, "after-exec", NULL};

	execv("/proc/self/exe", argv);
	printf("execv failed\n");
	exit(1);
}

static void *worker(void *arg)
{
	struct timespec ts = {0, 50 * 1000 * 1000};

	nanosleep(&ts, NULL);
	printf("worker outlived main\n");
	fflush(stdout);
	exit(3);
}

static void *grouper(void *arg)
{
	struct timespec ts = {0, 20 * 1000 * 1000};

	nanosleep(&ts, NULL);
	printf("exit_group from a thread\n");
	fflush(stdout);
	exit(5);
}

int main(int argc, char **argv)
{
	pthread_t s, t;
	const char *mode = argc > 1 ? argv[1] : "exec";

	self = argv[0];
	if (strcmp(mode, "after-exec") == 0) {
		printf("after exec: tid == pid: %d\n", (int)syscall(SYS_gettid) == getpid());
		return 0;
	}
	pthread_create(&s, NULL, spinner, NULL);
	if (strcmp(mode, "exec") == 0) {
		printf("before exec\n");
		fflush(stdout);
		pthread_create(&t, NULL, execer, NULL);
		pthread_join(t, NULL);
		printf("not reached\n");
		return 1;
	}
	if (strcmp(mode, "mainexit") == 0) {
		pthread_create(&t, NULL, worker, NULL);
		syscall(SYS_exit, 0);
	}
	if (strcmp(mode, "group") == 0) {
		pthread_create(&t, NULL, grouper, NULL);
		pthread_join(t, NULL);
		printf("not reached\n");
		return 1;
	}
	return 2;
}
