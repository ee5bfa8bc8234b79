/*
 * Test program: AF_INET/AF_INET6 sockets on the container's loopback. A TCP
 * server and a client in a forked child (ppoll on the listener and the
 * connection, 256 KiB each way, shutdown), UDP datagrams with source
 * addresses, a non-blocking connect, options, names and Linux's errors.
 * Prints only what does not depend on ephemeral port numbers; the
 * differential test compares it with qemu-aarch64.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PORT 39517
#define UPORT 39518
#define BIG (256 * 1024)

static const char *err(long r)
{
	return r < 0 ? strerror(errno) : "ok";
}

static struct sockaddr_in loop(int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static unsigned sum(const unsigned char *b, size_t n)
{
	unsigned s = 0;
	for (size_t i = 0; i < n; i++)
		s = s * 31 + b[i];
	return s;
}

static int child_client(void)
{
	static unsigned char buf[BIG];
	struct sockaddr_in a = loop(PORT);
	int c = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(c, (struct sockaddr *)&a, sizeof(a)) < 0)
		return 2;
	for (size_t i = 0; i < BIG; i++)
		buf[i] = (unsigned char)(i * 7 + 3);
	size_t done = 0;
	while (done < BIG) {
		ssize_t n = write(c, buf + done, BIG - done);
		if (n <= 0)
			return 3;
		done += (size_t)n;
	}
	shutdown(c, SHUT_WR);
	done = 0;
	for (;;) {
		ssize_t n = read(c, buf + done, BIG - done);
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	close(c);
	return done == 5 && memcmp(buf, "thank", 5) == 0 ? 9 : 4;
}

static void tcp(void)
{
	static unsigned char buf[BIG];
	struct sockaddr_in a = loop(PORT), got;
	socklen_t gl = sizeof(got);
	int one = 1;
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	printf("setsockopt SO_REUSEADDR: %s\n", err(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one,
								 sizeof(one))));
	printf("bind: %s\n", err(bind(s, (struct sockaddr *)&a, sizeof(a))));
	int s2 = socket(AF_INET, SOCK_STREAM, 0);
	printf("bind same port: %s\n", err(bind(s2, (struct sockaddr *)&a, sizeof(a))));
	printf("connect to non-listening: %s\n", err(connect(s2, (struct sockaddr *)&a,
								sizeof(a))));
	close(s2);
	printf("listen: %s\n", err(listen(s, 8)));
	getsockname(s, (struct sockaddr *)&got, &gl);
	printf("sockname port %d addr %s len %u\n", ntohs(got.sin_port), inet_ntoa(got.sin_addr),
	       (unsigned)gl);
	int v = 0;
	socklen_t vl = sizeof(v);
	getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl);
	printf("SO_ACCEPTCONN %d\n", v);
	fflush(stdout);

	pid_t pid = fork();
	if (pid == 0)
		_exit(child_client());
	struct pollfd p = {s, POLLIN, 0};
	struct timespec ts = {10, 0};
	int pr = ppoll(&p, 1, &ts, NULL);
	printf("ppoll listener: %d revents %#x\n", pr, p.revents);
	struct sockaddr_in peer;
	socklen_t pl = sizeof(peer);
	int c = accept4(s, (struct sockaddr *)&peer, &pl, SOCK_NONBLOCK);
	printf("accept4: %d peer %s len %u\n", c >= 0, inet_ntoa(peer.sin_addr), (unsigned)pl);
	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	v = 0;
	vl = sizeof(v);
	getsockopt(c, IPPROTO_TCP, TCP_NODELAY, &v, &vl);
	printf("TCP_NODELAY %d\n", v != 0);
	ssize_t n = recv(c, buf, 1, MSG_DONTWAIT);
	size_t done = n > 0 ? (size_t)n : 0;
	for (;;) {
		struct pollfd q = {c, POLLIN, 0};
		if (ppoll(&q, 1, &ts, NULL) <= 0)
			break;
		n = read(c, buf + done, BIG - done);
		if (n == 0 || (n < 0 && errno != EAGAIN))
			break;
		if (n > 0)
			done += (size_t)n;
	}
	unsigned want = 0;
	{
		static unsigned char ref[BIG];
		for (size_t i = 0; i < BIG; i++)
			ref[i] = (unsigned char)(i * 7 + 3);
		want = sum(ref, BIG);
	}
	printf("server got %zu bytes, checksum ok: %d\n", done, sum(buf, done) == want);
	fcntl(c, F_SETFL, 0);
	write(c, "thank", 5);
	close(c);
	int status;
	waitpid(pid, &status, 0);
	printf("client exit: %d\n", WEXITSTATUS(status));
	close(s);
}

static void udp(void)
{
	struct sockaddr_in a = loop(UPORT), from;
	socklen_t fl = sizeof(from);
	int u = socket(AF_INET, SOCK_DGRAM, 0), c = socket(AF_INET, SOCK_DGRAM, 0);
	char buf[64];

	printf("udp bind: %s\n", err(bind(u, (struct sockaddr *)&a, sizeof(a))));
	struct sockaddr_in cb = loop(UPORT + 1);
	bind(c, (struct sockaddr *)&cb, sizeof(cb));
	ssize_t n = sendto(c, "dgram-1", 7, 0, (struct sockaddr *)&a, sizeof(a));
	printf("udp sendto: %zd\n", n);
	struct pollfd p = {u, POLLIN, 0};
	printf("udp poll: %d\n", poll(&p, 1, 5000));
	n = recvfrom(u, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
	printf("udp recvfrom: %zd '%.*s' from %s:%d\n", n, (int)n, buf, inet_ntoa(from.sin_addr),
	       ntohs(from.sin_port));
	connect(c, (struct sockaddr *)&a, sizeof(a));
	send(c, "dgram-two", 9, 0);
	poll(&p, 1, 5000);
	n = recv(u, buf, 5, 0);
	printf("udp truncated: %zd '%.*s'\n", n, (int)n, buf);
	n = recv(u, buf, sizeof(buf), MSG_DONTWAIT);
	printf("udp empty: %zd %s\n", n, err(n));
	int type;
	socklen_t tl = sizeof(type);
	getsockopt(u, SOL_SOCKET, SO_TYPE, &type, &tl);
	printf("udp SO_TYPE %d\n", type);
	close(u);
	close(c);
}

static void misc(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	char b[4];
	struct sockaddr_in a = loop(PORT + 7);

	printf("recv unconnected: %s\n", err(recv(s, b, 4, MSG_DONTWAIT)));
	printf("send unconnected: %s\n", err(send(s, "x", 1, MSG_NOSIGNAL)));
	printf("connect refused: %s\n", err(connect(s, (struct sockaddr *)&a, sizeof(a))));
	close(s);
	s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in l = loop(PORT + 8);
	int srv = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	setsockopt(srv, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	bind(srv, (struct sockaddr *)&l, sizeof(l));
	listen(srv, 1);
	int r = connect(s, (struct sockaddr *)&l, sizeof(l));
	printf("nonblocking connect: %s\n", r == 0 || errno == EINPROGRESS ? "ok or in progress"
									  : strerror(errno));
	struct pollfd p = {s, POLLOUT, 0};
	poll(&p, 1, 5000);
	int e = -1;
	socklen_t el = sizeof(e);
	getsockopt(s, SOL_SOCKET, SO_ERROR, &e, &el);
	printf("after poll: revents %#x SO_ERROR %d\n", p.revents & POLLOUT, e);
	struct stat st;
	fstat(s, &st);
	printf("fstat S_ISSOCK %d\n", S_ISSOCK(st.st_mode));
	int sv[2];
	printf("socketpair AF_INET: %s\n", err(socketpair(AF_INET, SOCK_STREAM, 0, sv)));
	close(s);
	close(srv);
	s = socket(AF_INET6, SOCK_STREAM, 0);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons(PORT + 9),
				  .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	printf("v6 bind ::1: %s\n", err(bind(s, (struct sockaddr *)&a6, sizeof(a6))));
	printf("v6 listen: %s\n", err(listen(s, 1)));
	int c6 = socket(AF_INET6, SOCK_STREAM, 0);
	printf("v6 connect: %s\n", err(connect(c6, (struct sockaddr *)&a6, sizeof(a6))));
	struct pollfd pa = {s, POLLIN, 0};
	int k = poll(&pa, 1, 5000) == 1 ? accept(s, NULL, NULL) : -1;
	write(c6, "six", 3);
	ssize_t n = read(k, b, 3);
	printf("v6 got %zd '%.*s'\n", n, (int)n, b);
	close(k);
	close(c6);
	close(s);
	signal(SIGPIPE, SIG_IGN);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	tcp();
	udp();
	misc();
	printf("sock_inet: done\n");
	return 0;
}
