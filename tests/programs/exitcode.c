/*
 * Test program: exit statuses. `exitcode N` exits with N; `exitcode sig N`
 * sends itself signal N (the runtime must report 128+N); `exitcode abort`
 * calls abort().
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "sig") == 0) {
		fflush(stdout);
		kill(getpid(), atoi(argv[2]));
		printf("still alive after signal %s\n", argv[2]);
		return 99;
	}
	if (argc >= 2 && strcmp(argv[1], "abort") == 0)
		abort();
	printf("exiting with %d\n", argc >= 2 ? atoi(argv[1]) : 0);
	return argc >= 2 ? atoi(argv[1]) : 0;
}
