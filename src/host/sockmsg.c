/*
 * Request lines with descriptors over unix sockets (sockmsg.h).
 */
#include "host/sockmsg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int host_sock_send(int fd, const char *line, const int *fds, int nfds)
{
	char cbuf[CMSG_SPACE(HOST_SOCK_MAXFDS * sizeof(int))];
	size_t len = strlen(line), off;
	struct iovec iov = {.iov_base = (void *)line, .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t k;

	if (nfds < 0 || nfds > HOST_SOCK_MAXFDS || len == 0)
		return -EINVAL;
	if (nfds > 0) {
		struct cmsghdr *c;

		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, (size_t)nfds * sizeof(int));
	}
	do
		k = sendmsg(fd, &mh, MSG_NOSIGNAL);
	while (k < 0 && errno == EINTR);
	if (k < 0)
		return -errno;
	for (off = (size_t)k; off < len;) {
		k = send(fd, line + off, len - off, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? -errno : -EPIPE;
		off += (size_t)k;
	}
	return 0;
}

char *host_sock_read_line(int fd, int *fds, int nfds, size_t cap)
{
	size_t len = 0;
	char *buf = malloc(cap + 1);

	for (int i = 0; i < nfds; i++)
		fds[i] = -1;
	if (buf == NULL)
		return NULL;
	while (len < cap) {
		char cbuf[CMSG_SPACE(HOST_SOCK_MAXFDS * sizeof(int))];
		struct iovec iov = {.iov_base = buf + len, .iov_len = cap - len};
		struct msghdr mh = {.msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = cbuf,
				    .msg_controllen = sizeof(cbuf)};
		ssize_t k = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
				continue;
			size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			int got[HOST_SOCK_MAXFDS];

			if (n > HOST_SOCK_MAXFDS)
				n = HOST_SOCK_MAXFDS;
			memcpy(got, CMSG_DATA(c), n * sizeof(int));
			for (size_t i = 0; i < n; i++) {
				if ((int)i >= nfds) {
					close(got[i]);
					continue;
				}
				if (fds[i] >= 0)
					close(fds[i]);
				fds[i] = got[i];
			}
		}
		len += (size_t)k;
		if (memchr(buf, '\n', len))
			break;
	}
	buf[len] = '\0';
	if (!memchr(buf, '\n', len)) {
		free(buf);
		return NULL;
	}
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

ssize_t host_sock_read_reply(int fd, char *buf, size_t n)
{
	size_t len = 0;

	while (len + 1 < n) {
		ssize_t k = read(fd, buf + len, 1);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		if (buf[len] == '\n') {
			buf[len] = '\0';
			return (ssize_t)len;
		}
		len++;
	}
	return -1;
}

int host_sock_parse_reply(const char *line, char *out, size_t n, char *msg, size_t msglen)
{
	if (strncmp(line, "ok", 2) == 0 && (line[2] == '\0' || line[2] == ' ')) {
		if (out && n)
			snprintf(out, n, "%s", line[2] ? line + 3 : "");
		return 0;
	}
	if (strncmp(line, "err ", 4) == 0) {
		char *p;
		long e = strtol(line + 4, &p, 10);

		if (msg && msglen)
			snprintf(msg, msglen, "%s", *p ? p + 1 : "");
		return e > 0 && e < 4096 ? (int)-e : -EIO;
	}
	if (msg && msglen)
		snprintf(msg, msglen, "malformed answer");
	return -EIO;
}

void host_fds_close(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0) {
			close(fds[i]);
			fds[i] = -1;
		}
}
