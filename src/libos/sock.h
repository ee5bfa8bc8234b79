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
	void *addr;	  /* sockaddr (in: destination; out: source), may be NULL */
	uint32_t addrlen; /* in: size of addr; out: length of the source address */
	uint8_t *data;	  /* contiguous library OS buffer */
	size_t len;
	struct file **fds; /* SCM_RIGHTS (AF_UNIX): files passed (the message owns them) */
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
	/* Start or complete a connection: 0, -EINPROGRESS (then poll POLLOUT), -EAGAIN, error. */
	int (*connect)(struct task *t, struct sock *s, const void *addr, uint32_t len);
	/*
	 * Bytes queued (stream: may be short), -EAGAIN, -EPIPE, ... t: the
	 * sender (an AF_UNIX destination path resolves in its view).
	 */
	long (*send)(struct task *t, struct sock *s, struct sock_msg *m, int flags);
	/* Bytes received into m->data (0: orderly shutdown), -EAGAIN, ... */
	long (*recv)(struct sock *s, struct sock_msg *m, int flags);
	int (*shutdown)(struct sock *s, int how);
	int (*setsockopt)(struct sock *s, int level, int name, const void *val, uint32_t len);
	int (*getsockopt)(struct sock *s, int level, int name, void *val, uint32_t *len);
	/* Local (peer = false) or peer address; *len in: room, out: full length. */
	int (*getname)(struct sock *s, bool peer, void *addr, uint32_t *len);
	/* Readiness now: POLLIN/POLLOUT/POLLRDHUP bits of `events`, and POLLHUP/POLLERR. */
	unsigned (*poll)(struct sock *s, unsigned events);
	/* The last reference went away. */
	void (*release)(struct sock *s);
	/*
	 * True for families whose readiness changes outside the library OS
	 * (host-backed sockets): sleepers re-check at least every
	 * sock_external_poll_ns() instead of waiting only for ev_notify().
	 */
	bool external;
};

#define SOCK_EXTERNAL_POLL_NS 2000000LL

struct sock {
	const struct sock_ops *ops;
	int family; /* AF_UNIX, AF_INET, AF_INET6 */
	int type;   /* SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET (without flags) */
	int protocol;
	struct file *file; /* the FT_SOCK file holding this socket (not a reference) */
	void *priv;	   /* the family's state */
	int64_t rcvtimeo_ns, sndtimeo_ns; /* SO_RCVTIMEO / SO_SNDTIMEO (0: none) */
};

/* Linux ABI constants the socket files share */
#define AF_UNSPEC 0
#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_RAW 3
#define SOCK_SEQPACKET 5
#define SOCK_TYPE_MASK 0xf
#define SOCK_NONBLOCK O_NONBLOCK
#define SOCK_CLOEXEC O_CLOEXEC
#define SOL_SOCKET 1
#define SO_DEBUG 1
#define SO_REUSEADDR 2
#define SO_TYPE 3
#define SO_ERROR 4
#define SO_DONTROUTE 5
#define SO_BROADCAST 6
#define SO_SNDBUF 7
#define SO_RCVBUF 8
#define SO_KEEPALIVE 9
#define SO_OOBINLINE 10
#define SO_LINGER 13
#define SO_REUSEPORT 15
#define SO_PASSCRED 16
#define SO_PEERCRED 17
#define SO_RCVLOWAT 18
#define SO_RCVTIMEO 20
#define SO_SNDTIMEO 21
#define SO_ACCEPTCONN 30
#define SO_PROTOCOL 38
#define SO_DOMAIN 39
#define SCM_RIGHTS 1
#define IPPROTO_IP 0
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define IPPROTO_IPV6 41
#define TCP_NODELAY 1
#define IPV6_V6ONLY 26
#define MSG_OOB 1
#define MSG_PEEK 2
#define MSG_CTRUNC 8
#define MSG_TRUNC 0x20
#define MSG_DONTWAIT 0x40
#define MSG_EOR 0x80
#define MSG_WAITALL 0x100
#define MSG_NOSIGNAL 0x4000
#define MSG_CMSG_CLOEXEC 0x40000000
#define SHUT_RD 0
#define SHUT_WR 1
#define SHUT_RDWR 2
#define POLLIN_ 1
#define POLLOUT_ 4
#define POLLERR_ 8
#define POLLHUP_ 16
#define POLLRDHUP_ 0x2000
#ifndef EADDRINUSE
#define EADDRINUSE 98
#endif
#ifndef EADDRNOTAVAIL
#define EADDRNOTAVAIL 99
#endif
#ifndef ECONNREFUSED
#define ECONNREFUSED 111
#endif
#ifndef ECONNRESET
#define ECONNRESET 104
#endif
#ifndef ENOTCONN
#define ENOTCONN 107
#endif
#ifndef EISCONN
#define EISCONN 106
#endif
#ifndef EINPROGRESS
#define EINPROGRESS 115
#endif
#ifndef EALREADY
#define EALREADY 114
#endif
#ifndef EOPNOTSUPP
#define EOPNOTSUPP 95
#endif
#ifndef EPROTONOSUPPORT
#define EPROTONOSUPPORT 93
#endif
#ifndef ESOCKTNOSUPPORT
#define ESOCKTNOSUPPORT 94
#endif
#ifndef EPROTOTYPE
#define EPROTOTYPE 91
#endif
#ifndef ENOPROTOOPT
#define ENOPROTOOPT 92
#endif
#ifndef EMSGSIZE
#define EMSGSIZE 90
#endif
#ifndef EDESTADDRREQ
#define EDESTADDRREQ 89
#endif
#ifndef ENOBUFS
#define ENOBUFS 105
#endif

/* The families (sock_unix.c, sock_inet.c). */
extern const struct sock_ops sock_unix_ops;
extern const struct sock_ops sock_inet_ops;

/* Readiness of an FT_SOCK file for poll/epoll/select (file_poll). */
unsigned sock_poll(struct file *f, unsigned events);
/*
 * How long a sleeper waiting on an external socket may sleep before looking
 * again: SOCK_EXTERNAL_POLL_NS, or the deployment's pal_ops.net_recheck_ns
 * when it wakes sleepers itself (libos_external_event).
 */
int64_t sock_external_poll_ns(void);
/* True when f is a socket whose readiness can change without ev_notify(). */
bool sock_poll_external(struct file *f);
/* Drop an FT_SOCK file's socket (file_put). */
void sock_release(struct file *f);
/* read(2)/write(2) on a socket: recv/send with no flags. Bytes or -errno. */
long sock_read(struct task *t, struct file *f, uint64_t ubuf, size_t len);
long sock_write(struct task *t, struct file *f, uint64_t ubuf, size_t len);
/* A new FT_SOCK file for family ops (O_NONBLOCK in flags honoured), or NULL (no memory). */
struct file *sock_file_new(const struct sock_ops *ops, int type, int protocol, unsigned flags);

#endif /* LIBOS_SOCK_H */
