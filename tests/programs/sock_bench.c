/*
 * Benchmark program (not a differential case): TCP over the container's
 * loopback between a parent and a forked child.
 *   sock_bench pingpong N   N round trips of one byte each way
 *   sock_bench stream MIB   MIB mebibytes from the child to the parent
 * Prints the elapsed time; with `realmbox run --stats`, runs of different
 * N give the per-operation counts (scripts or the report divide them).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PORT 39600

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	long n = atol(argv[2]);
	int pingpong = strcmp(argv[1], "pingpong") == 0, one = 1;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(PORT)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 1) < 0)
		return 3;
	pid_t pid = fork();
	if (pid == 0) {
		int c = socket(AF_INET, SOCK_STREAM, 0);
		if (connect(c, (struct sockaddr *)&a, sizeof(a)) < 0)
			_exit(4);
		setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (pingpong) {
			char b;
			for (long i = 0; i < n; i++)
				if (recv(c, &b, 1, 0) != 1 || send(c, &b, 1, 0) != 1)
					_exit(5);
		} else {
			static char buf[65536];
			long left = n << 20;
			while (left > 0) {
				ssize_t w = write(c, buf, left < (long)sizeof(buf) ? (size_t)left : sizeof(buf));
				if (w <= 0)
					_exit(6);
				left -= w;
			}
		}
		close(c);
		_exit(0);
	}
	int c = accept(s, NULL, NULL);
	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	double t0 = now();
	long got = 0;
	if (pingpong) {
		char b = 'x';
		for (long i = 0; i < n; i++)
			if (send(c, &b, 1, 0) != 1 || recv(c, &b, 1, 0) != 1)
				return 7;
		got = n;
	} else {
		static char buf[65536];
		ssize_t r;
		while ((r = read(c, buf, sizeof(buf))) > 0)
			got += r;
	}
	double t = now() - t0;
	int st;
	waitpid(pid, &st, 0);
	if (pingpong)
		printf("pingpong %ld round trips: %.3f s, %.1f us each\n", got, t, t / (n ? n : 1) * 1e6);
	else
		printf("stream %ld bytes: %.3f s, %.1f MiB/s\n", got, t, got / t / 1048576.0);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 8;
}
