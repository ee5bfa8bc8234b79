/*
 * Test program: a TCP echo server on pthreads and epoll, driven from
 * outside (tests/py/test_net.py's echo cases, scripts/bench-net.sh).
 *
 *   echo_server PORT [CONNECTIONS [WORKERS]]
 *
 * Listens on 127.0.0.1:PORT only (so it is safe to run on the host under
 * qemu-aarch64), prints "listening on PORT" once it accepts, and echoes
 * every byte of every connection back. The main thread accepts; a pool of
 * WORKERS threads (default 4) shares one epoll instance where each
 * connection is armed EPOLLONESHOT, so one worker at a time serves it:
 * reads until EAGAIN, writes back what it read (arming EPOLLOUT when the
 * peer is slow to read), closes on end of file. It exits 0 after
 * CONNECTIONS connections have ended (0, the default: never) or on SIGTERM
 * or SIGINT, and prints how many connections and bytes it served.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF_SIZE 65536
#define MAX_WORKERS 16

struct conn {
	int fd;
	size_t have; /* bytes in buf not yet echoed */
	size_t off;  /* of them, already written */
	char buf[BUF_SIZE];
};

static int ep;		 /* the workers' epoll instance */
static int stop_pipe[2]; /* written once: everyone stops */
static long want_conns;
static long done_conns, total_bytes;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static void die(const char *what)
{
	fprintf(stderr, "echo_server: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void stop_all(void)
{
	char c = 1;
	if (write(stop_pipe[1], &c, 1) < 0 && errno != EAGAIN)
		die("write stop pipe");
}

static void on_signal(int sig)
{
	char c = 1;
	(void)sig;
	if (write(stop_pipe[1], &c, 1) < 0) {
		/* full: the stop is already pending */
	}
}

static void conn_end(struct conn *c)
{
	close(c->fd); /* also leaves the epoll set */
	free(c);
	pthread_mutex_lock(&mu);
	long n = ++done_conns;
	pthread_mutex_unlock(&mu);
	if (want_conns && n == want_conns)
		stop_all();
}

static void rearm(struct conn *c, unsigned events)
{
	struct epoll_event ev = {.events = events | EPOLLONESHOT, .data.ptr = c};
	if (epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev) < 0)
		die("epoll_ctl MOD");
}

/* Serve c until it would block (rearmed) or ended (freed). */
static void serve(struct conn *c)
{
	for (;;) {
		while (c->off < c->have) {
			ssize_t n = write(c->fd, c->buf + c->off, c->have - c->off);
			if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
				rearm(c, EPOLLOUT);
				return;
			}
			if (n < 0) {
				fprintf(stderr, "echo_server: write: %s\n", strerror(errno));
				conn_end(c);
				return;
			}
			c->off += (size_t)n;
		}
		c->have = c->off = 0;
		ssize_t n = read(c->fd, c->buf, sizeof(c->buf));
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			rearm(c, EPOLLIN);
			return;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0)
				fprintf(stderr, "echo_server: read: %s\n", strerror(errno));
			conn_end(c);
			return;
		}
		c->have = (size_t)n;
		pthread_mutex_lock(&mu);
		total_bytes += n;
		pthread_mutex_unlock(&mu);
	}
}

static void *worker(void *arg)
{
	struct epoll_event evs[8];
	(void)arg;
	for (;;) {
		int n = epoll_wait(ep, evs, 8, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("epoll_wait");
		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr == NULL)
				return NULL; /* the stop pipe: left readable for every worker */
			serve(evs[i].data.ptr);
		}
	}
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 4) {
		fprintf(stderr, "usage: echo_server PORT [CONNECTIONS [WORKERS]]\n");
		return 2;
	}
	int port = atoi(argv[1]);
	want_conns = argc > 2 ? atol(argv[2]) : 0;
	int nworkers = argc > 3 ? atoi(argv[3]) : 4;
	if (port <= 0 || port > 65535 || want_conns < 0 || nworkers < 1 || nworkers > MAX_WORKERS) {
		fprintf(stderr, "echo_server: bad arguments\n");
		return 2;
	}

	if (pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		die("pipe2");
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (ls < 0)
		die("socket");
	int one = 1;
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* loopback only */
	if (bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("bind");
	if (listen(ls, 128) < 0)
		die("listen");

	ep = epoll_create1(EPOLL_CLOEXEC);
	int mainep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0 || mainep < 0)
		die("epoll_create1");
	/* the stop pipe, level-triggered, wakes every worker and the main thread */
	struct epoll_event sev = {.events = EPOLLIN, .data.ptr = NULL};
	if (epoll_ctl(ep, EPOLL_CTL_ADD, stop_pipe[0], &sev) < 0 ||
	    epoll_ctl(mainep, EPOLL_CTL_ADD, stop_pipe[0], &sev) < 0)
		die("epoll_ctl stop");
	struct epoll_event lev = {.events = EPOLLIN, .data.ptr = &ls};
	if (epoll_ctl(mainep, EPOLL_CTL_ADD, ls, &lev) < 0)
		die("epoll_ctl listen");

	pthread_t th[MAX_WORKERS];
	for (int i = 0; i < nworkers; i++)
		if ((errno = pthread_create(&th[i], NULL, worker, NULL)))
			die("pthread_create");

	printf("listening on %d\n", port);
	fflush(stdout);

	long accepted = 0;
	bool stopping = false;
	while (!stopping) {
		struct epoll_event evs[4];
		int n = epoll_wait(mainep, evs, 4, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("epoll_wait main");
		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr == NULL) {
				stopping = true;
				continue;
			}
			for (;;) {
				int fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
				if (fd < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
					break;
				if (fd < 0 && (errno == EINTR || errno == ECONNABORTED))
					continue;
				if (fd < 0)
					die("accept4");
				setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
				struct conn *c = malloc(sizeof(*c));
				if (!c)
					die("malloc");
				c->fd = fd;
				c->have = c->off = 0;
				accepted++;
				struct epoll_event cev = {.events = EPOLLIN | EPOLLONESHOT,
							  .data.ptr = c};
				if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev) < 0)
					die("epoll_ctl ADD");
			}
		}
	}
	for (int i = 0; i < nworkers; i++)
		pthread_join(th[i], NULL);
	printf("echo_server: %ld connections accepted, %ld ended, %ld bytes echoed\n", accepted,
	       done_conns, total_bytes);
	return 0;
}
