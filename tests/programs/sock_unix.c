/*
 * Test program: AF_UNIX sockets. socketpair (stream, datagram, seqpacket),
 * a path-named stream server with a client in a forked child, an abstract
 * datagram server, SCM_RIGHTS, errors (ENOTSOCK, ECONNREFUSED, EADDRINUSE,
 * EPIPE with MSG_NOSIGNAL, ENOTCONN), fstat S_IFSOCK, O_NONBLOCK EAGAIN.
 * Prints what it saw; the differential test compares it with qemu-aarch64.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *err(long r)
{
	return r < 0 ? strerror(errno) : "ok";
}

static void pairs(void)
{
	int sv[2], type;
	char buf[64];
	socklen_t l = sizeof(type);

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		exit(1);
	write(sv[0], "hello ", 6);
	write(sv[0], "stream", 6);
	ssize_t n = read(sv[1], buf, sizeof(buf));
	printf("stream pair: %zd '%.*s'\n", n, (int)n, buf);
	getsockopt(sv[1], SOL_SOCKET, SO_TYPE, &type, &l);
	printf("SO_TYPE %d len %u\n", type, (unsigned)l);
	shutdown(sv[0], SHUT_WR);
	printf("after shutdown read: %zd\n", read(sv[1], buf, sizeof(buf)));
	close(sv[0]);
	n = send(sv[1], "x", 1, MSG_NOSIGNAL);
	printf("send to closed peer: %zd %s\n", n, err(n));
	close(sv[1]);

	socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
	send(sv[0], "one", 3, 0);
	send(sv[0], "two!", 4, 0);
	n = recv(sv[1], buf, 2, 0);
	printf("dgram 1: %zd '%.*s'\n", n, (int)n, buf);
	n = recv(sv[1], buf, sizeof(buf), MSG_PEEK);
	printf("dgram peek: %zd\n", n);
	n = recv(sv[1], buf, sizeof(buf), 0);
	printf("dgram 2: %zd '%.*s'\n", n, (int)n, buf);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	n = recv(sv[1], buf, sizeof(buf), 0);
	printf("dgram empty nonblock: %zd %s\n", n, err(n));
	close(sv[0]);
	close(sv[1]);

	socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv);
	send(sv[0], "abc", 3, 0);
	send(sv[0], "defgh", 5, 0);
	struct msghdr mh = {0};
	struct iovec iov[2] = {{buf, 2}, {buf + 2, 10}};
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	n = recvmsg(sv[1], &mh, 0);
	printf("seqpacket 1: %zd '%.*s' flags %d\n", n, (int)n, buf, mh.msg_flags);
	n = recv(sv[1], buf, 3, 0);
	printf("seqpacket 2: %zd '%.*s'\n", n, (int)n, buf);
	printf("cloexec: %d\n", (fcntl(sv[0], F_GETFD) & FD_CLOEXEC) != 0);
	struct stat st;
	fstat(sv[0], &st);
	printf("fstat socket: %d\n", S_ISSOCK(st.st_mode));
	close(sv[0]);
	n = recv(sv[1], buf, 3, 0);
	printf("seqpacket eof: %zd\n", n);
	close(sv[1]);
}

static void path_server(void)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int s = socket(AF_UNIX, SOCK_STREAM, 0), c;
	char buf[64];

	strcpy(a.sun_path, "/tmp/sock-test");
	unlink(a.sun_path);
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0)
		printf("bind: %s\n", strerror(errno));
	int s2 = socket(AF_UNIX, SOCK_STREAM, 0);
	printf("bind again: %s\n", err(bind(s2, (struct sockaddr *)&a, sizeof(a))));
	printf("connect before listen: %s\n", err(connect(s2, (struct sockaddr *)&a, sizeof(a))));
	close(s2);
	listen(s, 4);
	struct stat st;
	stat(a.sun_path, &st);
	printf("path is socket: %d\n", S_ISSOCK(st.st_mode));
	printf("open socket path: %s\n", err(open(a.sun_path, O_RDONLY)));
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		int k = socket(AF_UNIX, SOCK_STREAM, 0);
		if (connect(k, (struct sockaddr *)&a, sizeof(a)) < 0)
			_exit(2);
		char m[] = "ping from child";
		write(k, m, sizeof(m) - 1);
		ssize_t n = read(k, buf, sizeof(buf));
		_exit(n == 4 && memcmp(buf, "pong", 4) == 0 ? 7 : 3);
	}
	struct sockaddr_un peer;
	socklen_t pl = sizeof(peer);
	c = accept(s, (struct sockaddr *)&peer, &pl);
	printf("accepted: %d peer len %u\n", c >= 0, (unsigned)pl);
	struct pollfd p = {c, POLLIN, 0};
	int pr = poll(&p, 1, 5000);
	ssize_t n = read(c, buf, sizeof(buf));
	printf("poll %d revents %#x; server got: '%.*s'\n", pr, p.revents, (int)n, buf);
	write(c, "pong", 4);
	struct sockaddr_un me;
	socklen_t ml = sizeof(me);
	getsockname(c, (struct sockaddr *)&me, &ml);
	printf("accepted sockname: %s len %u\n", me.sun_path, (unsigned)ml);
	int status;
	waitpid(pid, &status, 0);
	printf("child: %d\n", WEXITSTATUS(status));
	n = read(c, buf, sizeof(buf));
	printf("read after child exit: %zd\n", n);
	close(c);
	close(s);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	printf("connect after close: %s\n", err(connect(s, (struct sockaddr *)&a, sizeof(a))));
	unlink(a.sun_path);
	printf("connect after unlink: %s\n", err(connect(s, (struct sockaddr *)&a, sizeof(a))));
	close(s);
}

static void abstract_dgram(void)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX}, from;
	socklen_t alen = offsetof(struct sockaddr_un, sun_path) + 1 + 8, fl = sizeof(from);
	int s = socket(AF_UNIX, SOCK_DGRAM, 0), c = socket(AF_UNIX, SOCK_DGRAM, 0);
	char buf[64];

	memcpy(a.sun_path, "\0rb-test", 9);
	bind(s, (struct sockaddr *)&a, alen);
	ssize_t n = sendto(c, "datagram", 8, 0, (struct sockaddr *)&a, alen);
	printf("sendto abstract: %zd\n", n);
	n = recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
	printf("recvfrom: %zd '%.*s' fromlen %u\n", n, (int)n, buf, (unsigned)fl);
	close(s);
	n = sendto(c, "x", 1, 0, (struct sockaddr *)&a, alen);
	printf("sendto closed name: %zd %s\n", n, err(n));
	close(c);
}

static void rights(void)
{
	int sv[2], pp[2];
	char buf[16], cb[CMSG_SPACE(sizeof(int))];

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	pipe(pp);
	struct iovec iov = {"F", 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb,
			    .msg_controllen = sizeof(cb)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &pp[1], sizeof(int));
	printf("sendmsg rights: %zd\n", sendmsg(sv[0], &mh, 0));
	close(pp[1]);
	memset(cb, 0, sizeof(cb));
	struct iovec riov = {buf, sizeof(buf)};
	struct msghdr rm = {.msg_iov = &riov, .msg_iovlen = 1, .msg_control = cb,
			    .msg_controllen = sizeof(cb)};
	ssize_t n = recvmsg(sv[1], &rm, 0);
	cm = CMSG_FIRSTHDR(&rm);
	int fd = -1;
	if (cm && cm->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	printf("recvmsg rights: %zd got fd %d\n", n, fd >= 0);
	write(fd, "via passed fd", 13);
	close(fd);
	n = read(pp[0], buf, sizeof(buf));
	printf("pipe got: '%.*s'\n", (int)n, buf);
	close(pp[0]);
	close(sv[0]);
	close(sv[1]);
}

static void sigpipe_and_timeout(void)
{
	int sv[2];
	char b[4];

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	close(sv[1]);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		write(sv[0], "x", 1); /* no reader: SIGPIPE kills */
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("write to closed peer: signalled %d sig %d\n", WIFSIGNALED(st),
	       WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	close(sv[0]);

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	struct timeval tv = {0, 100000};
	setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	struct timeval back;
	socklen_t bl = sizeof(back);
	getsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &back, &bl);
	printf("SO_RCVTIMEO %ld.%06ld\n", (long)back.tv_sec, (long)back.tv_usec);
	ssize_t n = recv(sv[0], b, sizeof(b), 0);
	printf("recv with timeout: %zd %s\n", n, err(n));
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("not a socket: %s\n", err(send(1 + 100, "x", 1, 0)));
	int fd = open("/dev/null", O_RDONLY);
	printf("ENOTSOCK: %s\n", err(send(fd, "x", 1, 0)));
	close(fd);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	printf("recv unconnected: %s\n", err(send(s, "x", 1, MSG_NOSIGNAL)));
	close(s);
	printf("bad family: %s\n", err(socket(12345, SOCK_STREAM, 0)));
	pairs();
	path_server();
	abstract_dgram();
	rights();
	sigpipe_and_timeout();
	printf("sock_unix: done\n");
	return 0;
}
