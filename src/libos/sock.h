/*
 * Sockets: the family-independent layer (sock.c: the socket system calls,
 * blocking, copies to and from the container) and the families behind it
 * (sock_unix.c: AF_UNIX inside the library OS; sock_inet.c: AF_INET and
 * AF_INET6 through the deployment's host network proxy, pal.h net_*).
 *
 * Family operations never block and never touch container memory: they take
 * and return library OS buffers, answer -EAGAIN when they would block, and
 * call ev_notify() whenever something a sleeper may wait for changed. sock.c
 * sleeps (ev_wait) and retries for blocking sockets.
 */
#ifndef LIBOS_SOCK_H
#define LIBOS_SOCK_H

#include "libos/kernel.h"

struct sock;

/* One message: a gather list of library OS buffers, an address, ancillary data. */
struct sock_msg {
	void *addr;        /* sockaddr (in: destination; out: source), may be NULL */
	uint32_t addrlen;  /* in: size of addr; out: length of the source address */
	uint8_t *data;     /* contiguous library OS buffer */
	size_t len;
	struct file **fds; /* SCM_RIGHTS (AF_UNIX): files passed (references owned by the message) */
	unsigned nfds;
	unsigned msg_flags; /* out: MSG_TRUNC, MSG_CTRUNC */
};

struct sock_ops {
	int family;
	/* Set up s->priv for `type` (SOCK_STREAM, SOCK_DGRAM, ...) and protocol. */
	int (*create)(struct sock *s, int type, int protocol);
	/* Both ends of a connected pair (socketpair); NULL: -EOPNOTSUPP. */
	int (*pair)(struct sock *a, struct sock *b);
	int (*bind)(struct task *t, struct sock *s, const void *addr, uint32_t len);
	int (*listen)(struct sock *s, int backlog);
	/* A connection waiting on a listening socket as a new sock in *out, or -EAGAIN. */
	int (*accept)(struct sock *s, struct sock *out);
	/* Start or complete a connection: 0, -EINPROGRESS (then poll for POLLOUT), -EAGAIN, error. */
	int (*connect)(struct task *t, struct sock *s, const void *addr, uint32_t len);
	/* Bytes queued (stream: may be short), -EAGAIN, -EPIPE, ... */
	long (*send)(struct sock *s, struct sock_msg *m, int flags);
	/* Bytes received into m->data (0: orderly shutdown), -EAGAIN, ... */
	long (*recv)(struct sock *s, struct sock_msg *m, int flags);
	int (*shutdown)(struct sock *s, int how);
	int (*setsockopt)(struct sock *s, int level, int name, const void *val, uint32_t len);
	int (*getsockopt)(struct sock *s, int level, int name, void *val, uint32_t *len);
	/* Local (peer = false) or peer address; *len in: room, out: full length. */
	int (*getname)(struct sock *s, bool peer, void *addr, uint32_t *len);
	/* Readiness now: POLLIN/POLLOUT/POLLHUP/POLLERR/POLLRDHUP bits of `events` (and HUP/ERR always). */
	unsigned (*poll)(struct sock *s, unsigned events);
	/* The last reference went away. */
	void (*release)(struct sock *s);
	/*
	 * True for families whose readiness changes outside the library OS
	 * (host-backed sockets): sleepers re-check at least every
	 * SOCK_EXTERNAL_POLL_NS instead of waiting only for ev_notify().
	 */
	bool external;
};

#define SOCK_EXTERNAL_POLL_NS 2000000LL

struct sock {
	const struct sock_ops *ops;
	int type;     /* SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET (without flags) */
	int protocol;
	struct file *file; /* the FT_SOCK file holding this socket (not a reference) */
	void *priv;   /* the family's state */
};

/* Readiness of an FT_SOCK file for poll/epoll/select (file_poll). */
unsigned sock_poll(struct file *f, unsigned events);
/* True when f is a socket whose readiness can change without ev_notify(). */
bool sock_poll_external(struct file *f);
/* Drop an FT_SOCK file's socket (file_put). */
void sock_release(struct file *f);

#endif /* LIBOS_SOCK_H */
