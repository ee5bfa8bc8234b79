/*
 * Test program: a multithreaded echo server on epoll. A server thread
 * watches the request pipes of four client threads (edge-triggered,
 * non-blocking reads until EAGAIN) and an eventfd the main thread uses to
 * ask for a status; it echoes every request to the client's reply pipe and
 * ends when every client has hung up. Each client sends 25 messages and
 * checks each echo. (Pipes stand in for the TCP connections it will serve
 * once sockets exist.)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define NCLIENTS 4
#define NMSG 25

struct client {
	int id;
	int req[2];  /* client writes [1], server reads [0] */
	int resp[2]; /* server writes [1], client reads [0] */
	int ok;
};

static struct client clients[NCLIENTS];
static int status_efd;
static long server_bytes, server_events, status_requests;

static int read_full(int fd, char *buf, size_t len)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = read(fd, buf + got, len - got);
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

static void *client_main(void *arg)
{
	struct client *c = arg;
	char msg[64], echo[64];

	for (int i = 0; i < NMSG; i++) {
		int len = snprintf(msg, sizeof(msg), "client %d message %d\n", c->id, i);
		if (write(c->req[1], msg, (size_t)len) != len)
			break;
		if (read_full(c->resp[0], echo, (size_t)len) || memcmp(msg, echo, (size_t)len))
			break;
		c->ok++;
	}
	close(c->req[1]);
	return NULL;
}

static void *server_main(void *arg)
{
	struct epoll_event ev, out[8];
	int ep = epoll_create1(EPOLL_CLOEXEC), open_clients = NCLIENTS;
	char buf[4096];

	(void)arg;
	for (int i = 0; i < NCLIENTS; i++) {
		fcntl(clients[i].req[0], F_SETFL, O_NONBLOCK);
		ev.events = EPOLLIN | EPOLLET | EPOLLRDHUP;
		ev.data.ptr = &clients[i];
		epoll_ctl(ep, EPOLL_CTL_ADD, clients[i].req[0], &ev);
	}
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	epoll_ctl(ep, EPOLL_CTL_ADD, status_efd, &ev);
	while (open_clients > 0) {
		int n = epoll_wait(ep, out, 8, 10000);
		if (n <= 0) {
			fprintf(stderr, "server: epoll_wait %d errno %d\n", n, errno);
			break;
		}
		for (int k = 0; k < n; k++) {
			struct client *c = out[k].data.ptr;
			server_events++;
			if (!c) {
				uint64_t v;
				read(status_efd, &v, 8);
				status_requests += (long)v;
				continue;
			}
			/* edge-triggered: drain until EAGAIN or end of file */
			for (;;) {
				ssize_t r = read(c->req[0], buf, sizeof(buf));
				if (r > 0) {
					server_bytes += r;
					write(c->resp[1], buf, (size_t)r);
					continue;
				}
				if (r == 0) {
					epoll_ctl(ep, EPOLL_CTL_DEL, c->req[0], NULL);
					close(c->req[0]);
					close(c->resp[1]);
					open_clients--;
				}
				break;
			}
		}
	}
	close(ep);
	return NULL;
}

int main(void)
{
	pthread_t server, th[NCLIENTS];
	long expect = 0;

	status_efd = eventfd(0, EFD_CLOEXEC);
	for (int i = 0; i < NCLIENTS; i++) {
		clients[i].id = i;
		if (pipe(clients[i].req) || pipe(clients[i].resp))
			return 1;
		for (int m = 0; m < NMSG; m++)
			expect += snprintf(NULL, 0, "client %d message %d\n", i, m);
	}
	/* ready before the server starts: its first epoll_wait reports it */
	uint64_t one = 1;
	write(status_efd, &one, 8);
	pthread_create(&server, NULL, server_main, NULL);
	for (int i = 0; i < NCLIENTS; i++)
		pthread_create(&th[i], NULL, client_main, &clients[i]);
	for (int i = 0; i < NCLIENTS; i++)
		pthread_join(th[i], NULL);
	pthread_join(server, NULL);
	for (int i = 0; i < NCLIENTS; i++)
		printf("client %d: %d of %d echoes ok\n", i, clients[i].ok, NMSG);
	printf("server: %s bytes echoed, every client hung up, status requests %ld\n",
	       server_bytes == expect ? "all" : "missing", status_requests);
	printf("server: woken at least once per client: %d\n", server_events >= NCLIENTS);
	printf("epoll_echo: done\n");
	return 0;
}
