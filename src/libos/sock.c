/*
 * The socket system calls (sock.h): argument checks, copies between the
 * container and library OS buffers, blocking and retrying, SIGPIPE, and the
 * options every family shares (SO_TYPE, SO_DOMAIN, SO_PROTOCOL, SO_RCVTIMEO,
 * SO_SNDTIMEO). The families (sock_unix.c, sock_inet.c) never block and
 * never touch container memory.
 */
#include "libos/sock.h"

#define SOCK_CHUNK 65536UL	/* stream data moves in pieces of this size */
#define SOCK_DGRAM_MAX 212992UL /* the largest datagram (Linux's default wmem_max) */
#define SOCK_IOV_MAX 1024UL
#define MSGHDR_SIZE 56
#define CMSG_HDR 16
#define SCM_MAX_FD 253

/* ---- files ---- */

struct file *sock_file_new(const struct sock_ops *ops, int type, int protocol, unsigned flags)
{
	struct sock *s = kzalloc(sizeof(*s));
	if (!s)
		return NULL;
	struct file *f = file_new(FT_SOCK, O_RDWR | (flags & O_NONBLOCK), "socket:");
	if (!f) {
		kfree(s);
		return NULL;
	}
	s->ops = ops;
	s->type = type;
	s->protocol = protocol;
	s->file = f;
	f->sock = s;
	return f;
}

/* Free a file made by sock_file_new whose family state was never created. */
static void sock_file_abort(struct file *f)
{
	kfree(f->sock);
	f->sock = NULL;
	f->type = FT_PATH; /* nothing left to release */
	file_put(f);
}

void sock_release(struct file *f)
{
	struct sock *s = f->sock;
	if (!s)
		return;
	if (s->ops && s->priv)
		s->ops->release(s);
	kfree(s);
	f->sock = NULL;
	ev_notify();
}

unsigned sock_poll(struct file *f, unsigned events)
{
	struct sock *s = f->sock;
	if (!s || !s->ops->poll)
		return 0;
	return s->ops->poll(s, events) & (events | POLLERR_ | POLLHUP_);
}

int64_t sock_external_poll_ns(void)
{
	return g.pal.net_recheck_ns ? (int64_t)g.pal.net_recheck_ns : SOCK_EXTERNAL_POLL_NS;
}

bool sock_poll_external(struct file *f)
{
	return f->type == FT_SOCK && f->sock && f->sock->ops->external;
}

static struct sock *sock_fd(struct task *t, uint64_t fd, int *err)
{
	struct file *f = fd_get(t->proc, (int)fd);
	if (fd > 0x7fffffff || !f) {
		*err = -EBADF;
		return NULL;
	}
	if (f->type != FT_SOCK || !f->sock) {
		*err = -ENOTSOCK;
		return NULL;
	}
	return f->sock;
}

/*
 * Sleep until something changes (or the socket's external readiness may
 * have): 0 to retry, -EAGAIN when the deadline (0: none) passed,
 * -ERESTARTSYS on a signal.
 */
static int sock_sleep(struct task *t, struct sock *s, uint32_t seq, uint64_t deadline)
{
	int64_t to = -1;
	if (deadline) {
		uint64_t now = now_ns(PAL_CLOCK_MONOTONIC);
		if (now >= deadline)
			return -EAGAIN;
		to = (int64_t)(deadline - now);
	}
	if (s->ops->external && (to < 0 || to > sock_external_poll_ns()))
		to = sock_external_poll_ns();
	int r = ev_wait(t, seq, to);
	return r == -ERESTARTSYS ? r : 0;
}

static uint64_t deadline_of(int64_t timeo)
{
	return timeo > 0 ? now_ns(PAL_CLOCK_MONOTONIC) + (uint64_t)timeo : 0;
}

static bool nonblocking(struct sock *s, int flags)
{
	return (s->file->flags & O_NONBLOCK) || (flags & MSG_DONTWAIT);
}

/* A sockaddr argument into buf (at most PAL_NET_ADDR_MAX bytes). */
static int addr_in(struct task *t, uint64_t uaddr, uint64_t len, uint8_t *buf)
{
	if ((int64_t)(int32_t)len < 0 || len > PAL_NET_ADDR_MAX)
		return -EINVAL;
	if (len && copy_in(t, buf, uaddr, len))
		return -EFAULT;
	return 0;
}

/*
 * Give a sockaddr back: at most *ulen bytes of addr at uaddr, the full
 * length alen at ulen_ptr (both may be 0: nothing wanted).
 */
static int addr_out(struct task *t, uint64_t uaddr, uint64_t ulen_ptr, const void *addr,
		    uint32_t alen)
{
	if (!ulen_ptr)
		return 0;
	int32_t room;
	if (copy_in(t, &room, ulen_ptr, 4))
		return -EFAULT;
	if (room < 0)
		return -EINVAL;
	uint32_t n = KMIN((uint32_t)room, alen);
	if (n && uaddr) {
		uaccess_allow(t, uaddr, (uint64_t)room);
		if (copy_out(t, uaddr, addr, n))
			return -EFAULT;
	}
	int32_t full = (int32_t)alen;
	return copy_out(t, ulen_ptr, &full, 4) ? -EFAULT : 0;
}

/* ---- socket, socketpair ---- */

static const struct sock_ops *family_ops(int family)
{
	switch (family) {
	case AF_UNIX:
		return &sock_unix_ops;
	case AF_INET:
	case AF_INET6:
		return &sock_inet_ops;
	default:
		return NULL;
	}
}

static int sock_create(int family, uint64_t type_arg, int protocol, struct file **out)
{
	int type = (int)(type_arg & SOCK_TYPE_MASK);
	unsigned flags = (unsigned)type_arg & ~SOCK_TYPE_MASK;
	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC) || type_arg > 0xffffffffULL)
		return -EINVAL;
	if (type < 1 || type > 10) /* SOCK_MAX */
		return -EINVAL;
	const struct sock_ops *ops = family_ops(family);
	if (!ops)
		return -EAFNOSUPPORT;
	if (family == AF_UNIX && type == SOCK_RAW)
		type = SOCK_DGRAM; /* as Linux */
	struct file *f = sock_file_new(ops, type, protocol, flags);
	if (!f)
		return -ENOMEM;
	f->sock->family = family;
	int r = ops->create(f->sock, type, protocol);
	if (r) {
		sock_file_abort(f);
		return r;
	}
	*out = f;
	return 0;
}

/* socket(domain, type, protocol) */
long sys_socket(struct task *t, const uint64_t *a)
{
	struct file *f;
	int r = sock_create((int)a[0], a[1], (int)a[2], &f);
	if (r)
		return r;
	int fd = fd_install(t->proc, f, 0, (a[1] & SOCK_CLOEXEC) != 0);
	if (fd < 0)
		file_put(f);
	return fd;
}

/* socketpair(domain, type, protocol, sv[2]) */
long sys_socketpair(struct task *t, const uint64_t *a)
{
	int family = (int)a[0];
	const struct sock_ops *ops = family_ops(family);
	if (!ops)
		return -EAFNOSUPPORT;
	if (!ops->pair)
		return -EOPNOTSUPP;
	struct file *f1, *f2;
	int r = sock_create(family, a[1], (int)a[2], &f1);
	if (r)
		return r;
	r = sock_create(family, a[1], (int)a[2], &f2);
	if (r) {
		file_put(f1);
		return r;
	}
	r = ops->pair(f1->sock, f2->sock);
	if (r) {
		file_put(f1);
		file_put(f2);
		return r;
	}
	bool cloexec = (a[1] & SOCK_CLOEXEC) != 0;
	int fd1 = fd_install(t->proc, f1, 0, cloexec);
	if (fd1 < 0) {
		file_put(f1);
		file_put(f2);
		return fd1;
	}
	int fd2 = fd_install(t->proc, f2, 0, cloexec);
	if (fd2 < 0) {
		fd_close(t->proc, fd1);
		file_put(f2);
		return fd2;
	}
	int32_t sv[2] = {fd1, fd2};
	if (copy_out(t, a[3], sv, 8)) {
		fd_close(t->proc, fd1);
		fd_close(t->proc, fd2);
		return -EFAULT;
	}
	return 0;
}

/* ---- bind, listen, connect, accept ---- */

long sys_bind(struct task *t, const uint64_t *a)
{
	int r;
	struct sock *s = sock_fd(t, a[0], &r);
	if (!s)
		return r;
	uint8_t addr[PAL_NET_ADDR_MAX];
	if ((r = addr_in(t, a[1], a[2], addr)))
		return r;
	return s->ops->bind(t, s, addr, (uint32_t)a[2]);
}

long sys_listen(struct task *t, const uint64_t *a)
{
	int r;
	struct sock *s = sock_fd(t, a[0], &r);
	if (!s)
		return r;
	int backlog = (int)a[1];
	if (backlog < 0 || backlog > 4096)
		backlog = 4096;
	if (!s->ops->listen)
		return -EOPNOTSUPP;
	return s->ops->listen(s, backlog);
}

long sys_connect(struct task *t, const uint64_t *a)
{
	int r;
	struct sock *s = sock_fd(t, a[0], &r);
	if (!s)
		return r;
	uint8_t addr[PAL_NET_ADDR_MAX];
	if ((r = addr_in(t, a[1], a[2], addr)))
		return r;
	uint64_t deadline = deadline_of(s->sndtimeo_ns);
	for (;;) {
		uint32_t seq = ev_seq();
		r = s->ops->connect(t, s, addr, (uint32_t)a[2]);
		if (r != -EAGAIN && r != -EINPROGRESS)
			return r;
		if (s->file->flags & O_NONBLOCK)
			return r;
		if (r == -EINPROGRESS)
			break;
		int w = sock_sleep(t, s, seq, deadline);
		if (w)
			return w == -ERESTARTSYS ? -EINTR : -EAGAIN;
	}
	/* in progress: wait for the outcome */
	for (;;) {
		uint32_t seq = ev_seq();
		if (s->ops->poll(s, POLLOUT_) & (POLLOUT_ | POLLERR_ | POLLHUP_))
			break;
		int w = sock_sleep(t, s, seq, deadline);
		if (w == -EAGAIN)
			return -EINPROGRESS;
		if (w)
			return -EINTR; /* the connection goes on: Linux answers EINTR too */
	}
	int err = 0;
	uint32_t len = sizeof(err);
	if (s->ops->getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err)
		return -err;
	return 0;
}

static long do_accept(struct task *t, const uint64_t *a, uint64_t flags)
{
	int r;
	struct sock *s = sock_fd(t, a[0], &r);
	if (!s)
		return r;
	if (flags & ~(uint64_t)(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	if (!s->ops->accept)
		return -EOPNOTSUPP;
	struct file *nf = sock_file_new(s->ops, s->type, s->protocol, (unsigned)flags);
	if (!nf)
		return -ENOMEM;
	nf->sock->family = s->family;
	uint64_t deadline = deadline_of(s->rcvtimeo_ns);
	for (;;) {
		uint32_t seq = ev_seq();
		r = s->ops->accept(s, nf->sock);
		if (r != -EAGAIN)
			break;
		if (s->file->flags & O_NONBLOCK)
			break;
		r = sock_sleep(t, s, seq, deadline);
		if (r)
			break;
	}
	if (r) {
		sock_file_abort(nf);
		return r;
	}
	if (a[1] && a[2]) {
		uint8_t addr[PAL_NET_ADDR_MAX];
		uint32_t alen = sizeof(addr);
		if (nf->sock->ops->getname(nf->sock, true, addr, &alen) != 0)
			alen = 0;
		if ((r = addr_out(t, a[1], a[2], addr, KMIN(alen, (uint32_t)sizeof(addr))))) {
			file_put(nf);
			return r;
		}
	}
	int fd = fd_install(t->proc, nf, 0, (flags & SOCK_CLOEXEC) != 0);
	if (fd < 0)
		file_put(nf);
	return fd;
}

long sys_accept(struct task *t, const uint64_t *a)
{
	return do_accept(t, a, 0);
}

long sys_accept4(struct task *t, const uint64_t *a)
{
	return do_accept(t, a, a[3]);
}

static long do_getname(struct task *t, const uint64_t *a, bool peer)
{
	int r;
	struct sock *s = sock_fd(t, a[0], &r);
	if (!s)
		return r;
	uint8_t addr[PAL_NET_ADDR_MAX];
	uint32_t alen = sizeof(addr);
	if ((r = s->ops->getname(s, peer, addr, &alen)))
		return r;
	if (!a[2])
		return -EFAULT;
	return addr_out(t, a[1], a[2], addr, KMIN(alen, (uint32_t)sizeof(addr)));
}

long sys_getsockname(struct task *t, const uint64_t *a)
{
	return do_getname(t, a, false);
}

long sys_getpeername(struct task *t, const uint64_t *a)
{
	return do_getname(t, a, true);
}

long sys_shutdown(struct task *t, const uint64_t *a)
{
	int r;
	struct sock *s = sock_fd(t, a[0], &r);
	if (!s)
		return r;
	if (a[1] > SHUT_RDWR)
		return -EINVAL;
	r = s->ops->shutdown(s, (int)a[1]);
	ev_notify();
	return r;
}

/* ---- options ---- */

static int64_t timeval_ns(const uint8_t *v)
{
	int64_t sec, usec;
	memcpy(&sec, v, 8);
	memcpy(&usec, v + 8, 8);
	if (sec < 0 || usec < 0)
		return 0;
	return sec * 1000000000LL + usec * 1000LL;
}

long sys_setsockopt(struct task *t, const uint64_t *a)
{
	int r;
	struct sock *s = sock_fd(t, a[0], &r);
	if (!s)
		return r;
	int level = (int)a[1], name = (int)a[2];
	uint64_t len = a[4];
	uint8_t val[PAL_NET_ADDR_MAX];
	if ((int64_t)(int32_t)len < 0)
		return -EINVAL;
	if (len > sizeof(val))
		return -EINVAL;
	if (len && copy_in(t, val, a[3], len))
		return -EFAULT;
	if (level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO)) {
		if (len < 16)
			return -EINVAL;
		int64_t usec;
		memcpy(&usec, val + 8, 8);
		if (usec < 0 || usec >= 1000000)
			return -EDOM;
		if (name == SO_RCVTIMEO)
			s->rcvtimeo_ns = timeval_ns(val);
		else
			s->sndtimeo_ns = timeval_ns(val);
		return 0;
	}
	if (level == SOL_SOCKET &&
	    (name == SO_TYPE || name == SO_DOMAIN || name == SO_PROTOCOL || name == SO_ACCEPTCONN ||
	     name == SO_ERROR || name == SO_PEERCRED))
		return -ENOPROTOOPT;
	return s->ops->setsockopt(s, level, name, val, (uint32_t)len);
}

long sys_getsockopt(struct task *t, const uint64_t *a)
{
	int r;
	struct sock *s = sock_fd(t, a[0], &r);
	if (!s)
		return r;
	int level = (int)a[1], name = (int)a[2];
	int32_t room;
	if (copy_in(t, &room, a[4], 4))
		return -EFAULT;
	if (room < 0)
		return -EINVAL;
	uint8_t val[PAL_NET_ADDR_MAX];
	uint32_t len = sizeof(val);
	memset(val, 0, sizeof(val));
	if (level == SOL_SOCKET && (name == SO_TYPE || name == SO_DOMAIN || name == SO_PROTOCOL)) {
		int32_t v = name == SO_TYPE ? s->type : name == SO_DOMAIN ? s->family : s->protocol;
		memcpy(val, &v, 4);
		len = 4;
	} else if (level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO)) {
		int64_t ns = name == SO_RCVTIMEO ? s->rcvtimeo_ns : s->sndtimeo_ns;
		int64_t tv[2] = {ns / 1000000000LL, ns % 1000000000LL / 1000};
		memcpy(val, tv, 16);
		len = 16;
	} else if ((r = s->ops->getsockopt(s, level, name, val, &len))) {
		return r;
	}
	uint32_t n = KMIN((uint32_t)room, len);
	uaccess_allow(t, a[3], (uint64_t)room);
	if (n && copy_out(t, a[3], val, n))
		return -EFAULT;
	int32_t out = (int32_t)n;
	return copy_out(t, a[4], &out, 4) ? -EFAULT : 0;
}

/* ---- data ---- */

/* A gather/scatter list of container buffers. */
struct uvec {
	uint64_t base, len;
};

static size_t uvec_total(const struct uvec *v, unsigned n)
{
	size_t tot = 0;
	for (unsigned i = 0; i < n; i++)
		tot += v[i].len;
	return tot;
}

/* Copy len bytes starting at byte off of the list into kb (in) or from kb (out). */
static int uvec_copy(struct task *t, const struct uvec *v, unsigned n, size_t off, uint8_t *kb,
		     size_t len, bool out)
{
	for (unsigned i = 0; i < n && len; i++) {
		if (off >= v[i].len) {
			off -= v[i].len;
			continue;
		}
		size_t k = KMIN(len, v[i].len - off);
		int r = out ? copy_out(t, v[i].base + off, kb, k)
			    : copy_in(t, kb, v[i].base + off, k);
		if (r)
			return -EFAULT;
		kb += k;
		len -= k;
		off = 0;
	}
	return 0;
}

static bool stream_like(const struct sock *s)
{
	return s->type == SOCK_STREAM;
}

static long epipe(struct task *t, long r, int flags)
{
	if (r == -EPIPE && !(flags & MSG_NOSIGNAL))
		sig_send(t->proc, SIGPIPE);
	return r;
}

/*
 * Send the bytes of v as one call: stream sockets in chunks (blocking
 * sockets until everything is queued), others as one message. m carries the
 * destination and the passed files. Bytes sent or -errno.
 */
static long sock_send(struct task *t, struct sock *s, const struct uvec *v, unsigned n,
		      struct sock_msg *m, int flags)
{
	size_t total = uvec_total(v, n), done = 0;
	bool stream = stream_like(s);
	if (!stream && total > SOCK_DGRAM_MAX)
		return -EMSGSIZE;
	size_t cap = stream ? KMIN(total, SOCK_CHUNK) : total;
	uint8_t *kb = kmalloc(cap ? cap : 1);
	if (!kb)
		return -ENOMEM;
	uint64_t deadline = deadline_of(s->sndtimeo_ns);
	long r = 0;
	size_t have = 0, sent_of_chunk = 0;
	do {
		if (have == sent_of_chunk) {
			have = KMIN(cap, total - done);
			sent_of_chunk = 0;
			if (uvec_copy(t, v, n, done, kb, have, false)) {
				r = -EFAULT;
				break;
			}
		}
		uint32_t seq = ev_seq();
		m->data = kb + sent_of_chunk;
		m->len = have - sent_of_chunk;
		r = s->ops->send(t, s, m, flags);
		if (r > 0 || (r == 0 && m->len == 0)) {
			if ((size_t)r > m->len) {
				r = -EIO;
				break;
			}
			if (m->fds) {
				/* the family took the passed files with the first bytes */
				m->fds = NULL;
				m->nfds = 0;
			}
			done += (size_t)r;
			sent_of_chunk += (size_t)r;
			if (!stream || done == total)
				break;
			continue;
		}
		if (r != -EAGAIN)
			break;
		if (nonblocking(s, flags))
			break;
		int w = sock_sleep(t, s, seq, deadline);
		if (w) {
			r = w;
			break;
		}
	} while (done < total);
	kfree(kb);
	if (done)
		return (long)done;
	if (r == -ERESTARTSYS && s->sndtimeo_ns)
		r = -EINTR;
	return epipe(t, r, flags);
}

/*
 * Receive into v: one message (or what a stream has, at most the list's
 * size; MSG_WAITALL: all of it). m->addr receives the source. Bytes or -errno.
 */
static long sock_recv(struct task *t, struct sock *s, const struct uvec *v, unsigned n,
		      struct sock_msg *m, int flags)
{
	size_t total = uvec_total(v, n), done = 0;
	bool stream = stream_like(s);
	size_t cap = stream ? KMIN(total, SOCK_CHUNK) : KMIN(total, SOCK_DGRAM_MAX);
	uint8_t *kb = kmalloc(cap ? cap : 1);
	if (!kb)
		return -ENOMEM;
	uint64_t deadline = deadline_of(s->rcvtimeo_ns);
	long r;
	for (;;) {
		uint32_t seq = ev_seq();
		m->data = kb;
		m->len = stream ? KMIN(cap, total - done) : cap;
		r = s->ops->recv(s, m, flags);
		if (r >= 0) {
			size_t got = KMIN((size_t)r, m->len);
			if (uvec_copy(t, v, n, done, kb, got, true)) {
				r = -EFAULT;
				break;
			}
			done += got;
			if (!stream) {
				r = (flags & MSG_TRUNC) ? r : (long)got;
				kfree(kb);
				return r;
			}
			if (r == 0 || done == total || !(flags & MSG_WAITALL) || (flags & MSG_PEEK))
				break;
			continue;
		}
		if (r != -EAGAIN)
			break;
		if (nonblocking(s, flags))
			break;
		int w = sock_sleep(t, s, seq, deadline);
		if (w) {
			r = w;
			break;
		}
	}
	kfree(kb);
	if (done)
		return (long)done;
	if (r == -ERESTARTSYS && s->rcvtimeo_ns)
		r = -EINTR;
	return r;
}

long sock_read(struct task *t, struct file *f, uint64_t ubuf, size_t len)
{
	struct sock_msg m = {0};
	struct uvec v = {ubuf, len};
	if (len == 0 && stream_like(f->sock))
		return 0;
	return sock_recv(t, f->sock, &v, 1, &m, 0);
}

long sock_write(struct task *t, struct file *f, uint64_t ubuf, size_t len)
{
	struct sock_msg m = {0};
	struct uvec v = {ubuf, len};
	return sock_send(t, f->sock, &v, 1, &m, 0);
}

/* sendto(fd, buf, len, flags, addr, addrlen) */
long sys_sendto(struct task *t, const uint64_t *a)
{
	int r;
	struct sock *s = sock_fd(t, a[0], &r);
	if (!s)
		return r;
	if ((int64_t)a[2] < 0)
		return -EINVAL;
	uint8_t addr[PAL_NET_ADDR_MAX];
	struct sock_msg m = {0};
	if (a[4]) {
		if ((r = addr_in(t, a[4], a[5], addr)))
			return r;
		m.addr = addr;
		m.addrlen = (uint32_t)a[5];
	}
	struct uvec v = {a[1], KMIN(a[2], 0x7ffff000ULL)};
	return sock_send(t, s, &v, 1, &m, (int)a[3]);
}

/* recvfrom(fd, buf, len, flags, addr, addrlen) */
long sys_recvfrom(struct task *t, const uint64_t *a)
{
	int r;
	struct sock *s = sock_fd(t, a[0], &r);
	if (!s)
		return r;
	if ((int64_t)a[2] < 0)
		return -EINVAL;
	uint8_t addr[PAL_NET_ADDR_MAX];
	struct sock_msg m = {0};
	m.addr = addr;
	m.addrlen = sizeof(addr);
	struct uvec v = {a[1], KMIN(a[2], 0x7ffff000ULL)};
	long n = sock_recv(t, s, &v, 1, &m, (int)a[3]);
	if (n >= 0 && a[4] && a[5]) {
		uint32_t alen = KMIN(m.addrlen, (uint32_t)sizeof(addr));
		if ((r = addr_out(t, a[4], a[5], addr, alen)))
			return r;
	}
	return n;
}

/* struct msghdr (arm64 LP64) */
struct msghdr_k {
	uint64_t name;
	uint32_t namelen, pad0;
	uint64_t iov, iovlen;
	uint64_t control, controllen;
	int32_t flags, pad1;
};

/* The iovecs of a msghdr into *out (kmalloc'ed), each allowed for this call. */
static int msg_iov_in(struct task *t, const struct msghdr_k *mh, struct uvec **out)
{
	if (mh->iovlen > SOCK_IOV_MAX)
		return -EMSGSIZE;
	struct uvec *v = kmalloc(sizeof(*v) * (mh->iovlen ? mh->iovlen : 1));
	if (!v)
		return -ENOMEM;
	uaccess_allow(t, mh->iov, mh->iovlen * 16);
	if (mh->iovlen && copy_in(t, v, mh->iov, mh->iovlen * 16)) {
		kfree(v);
		return -EFAULT;
	}
	size_t tot = 0;
	for (uint64_t i = 0; i < mh->iovlen; i++) {
		if ((int64_t)v[i].len < 0 || tot + v[i].len > 0x7ffff000ULL) {
			kfree(v);
			return -EINVAL;
		}
		tot += v[i].len;
		if (v[i].len)
			uaccess_allow(t, v[i].base, v[i].len);
	}
	*out = v;
	return 0;
}

static void put_files(struct file **fds, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		file_put(fds[i]);
	kfree(fds);
}

/* SCM_RIGHTS of a sendmsg control buffer into m->fds (references taken). */
static int msg_control_in(struct task *t, const struct msghdr_k *mh, struct sock *s,
			  struct sock_msg *m)
{
	if (!mh->control || !mh->controllen)
		return 0;
	if (mh->controllen > 4096)
		return -ENOBUFS;
	uint8_t *cb = kmalloc(mh->controllen);
	if (!cb)
		return -ENOMEM;
	uaccess_allow(t, mh->control, mh->controllen);
	int r = copy_in(t, cb, mh->control, mh->controllen) ? -EFAULT : 0;
	size_t off = 0;
	while (!r && off + CMSG_HDR <= mh->controllen) {
		uint64_t clen;
		int32_t level, type;
		memcpy(&clen, cb + off, 8);
		memcpy(&level, cb + off + 8, 4);
		memcpy(&type, cb + off + 12, 4);
		if (clen < CMSG_HDR || clen > mh->controllen - off) {
			r = -EINVAL;
			break;
		}
		if (level != SOL_SOCKET || type != SCM_RIGHTS) {
			lo_log(LOG_INFO, "sendmsg: control message level %d type %d not supported",
			       level, type);
			r = -EINVAL;
			break;
		}
		if (s->ops->family != AF_UNIX || m->fds) {
			r = -EINVAL;
			break;
		}
		unsigned nfd = (unsigned)((clen - CMSG_HDR) / 4);
		if (nfd > SCM_MAX_FD) {
			r = -EINVAL;
			break;
		}
		m->fds = kzalloc(sizeof(struct file *) * (nfd ? nfd : 1));
		if (!m->fds) {
			r = -ENOMEM;
			break;
		}
		for (unsigned i = 0; i < nfd; i++) {
			int32_t fd;
			memcpy(&fd, cb + off + CMSG_HDR + 4 * i, 4);
			struct file *f = fd_get(t->proc, fd);
			if (!f) {
				r = -EBADF;
				break;
			}
			file_get(f);
			m->fds[m->nfds++] = f;
		}
		off += (clen + 7) & ~7ULL;
	}
	kfree(cb);
	return r;
}

/* sendmsg(fd, msg, flags) */
long sys_sendmsg(struct task *t, const uint64_t *a)
{
	int r;
	struct sock *s = sock_fd(t, a[0], &r);
	if (!s)
		return r;
	struct msghdr_k mh;
	if (copy_in(t, &mh, a[1], MSGHDR_SIZE))
		return -EFAULT;
	uint8_t addr[PAL_NET_ADDR_MAX];
	struct sock_msg m = {0};
	if (mh.name && mh.namelen) {
		uaccess_allow(t, mh.name, mh.namelen);
		if ((r = addr_in(t, mh.name, mh.namelen, addr)))
			return r;
		m.addr = addr;
		m.addrlen = mh.namelen;
	}
	struct uvec *v;
	if ((r = msg_iov_in(t, &mh, &v)))
		return r;
	r = msg_control_in(t, &mh, s, &m);
	long n = r ? r : sock_send(t, s, v, (unsigned)mh.iovlen, &m, (int)a[2]);
	if (m.fds)
		put_files(m.fds, m.nfds); /* not taken by the family */
	kfree(v);
	return n;
}

/* Install received files and write an SCM_RIGHTS message; sets MSG_CTRUNC if it did not fit. */
static int msg_control_out(struct task *t, struct msghdr_k *mh, struct sock_msg *m, int flags)
{
	uint64_t room = mh->control ? mh->controllen : 0;
	mh->controllen = 0;
	if (!m->nfds)
		return 0;
	unsigned fit = room >= CMSG_HDR ? (unsigned)KMIN((room - CMSG_HDR) / 4, m->nfds) : 0;
	if (fit < m->nfds)
		m->msg_flags |= MSG_CTRUNC;
	if (!fit)
		return 0;
	uint8_t cb[CMSG_HDR + 4 * SCM_MAX_FD];
	uint64_t clen = CMSG_HDR + 4ULL * fit;
	int32_t lv[2] = {SOL_SOCKET, SCM_RIGHTS};
	memcpy(cb, &clen, 8);
	memcpy(cb + 8, lv, 8);
	unsigned ok = 0;
	for (unsigned i = 0; i < fit; i++) {
		file_get(m->fds[i]);
		int fd = fd_install(t->proc, m->fds[i], 0, (flags & MSG_CMSG_CLOEXEC) != 0);
		if (fd < 0) {
			file_put(m->fds[i]);
			m->msg_flags |= MSG_CTRUNC;
			break;
		}
		int32_t f32 = fd;
		memcpy(cb + CMSG_HDR + 4 * i, &f32, 4);
		ok++;
	}
	if (!ok)
		return 0;
	clen = CMSG_HDR + 4ULL * ok;
	memcpy(cb, &clen, 8);
	uaccess_allow(t, mh->control, room);
	if (copy_out(t, mh->control, cb, clen))
		return -EFAULT;
	mh->controllen = (clen + 7) & ~7ULL;
	return 0;
}

/* recvmsg(fd, msg, flags) */
long sys_recvmsg(struct task *t, const uint64_t *a)
{
	int r;
	struct sock *s = sock_fd(t, a[0], &r);
	if (!s)
		return r;
	struct msghdr_k mh;
	if (copy_in(t, &mh, a[1], MSGHDR_SIZE))
		return -EFAULT;
	if ((int32_t)mh.namelen < 0)
		return -EINVAL;
	uint8_t addr[PAL_NET_ADDR_MAX];
	struct sock_msg m = {0};
	m.addr = addr;
	m.addrlen = sizeof(addr);
	struct uvec *v;
	if ((r = msg_iov_in(t, &mh, &v)))
		return r;
	int flags = (int)a[2];
	long n = sock_recv(t, s, v, (unsigned)mh.iovlen, &m, flags);
	kfree(v);
	if (n < 0) {
		if (m.fds)
			put_files(m.fds, m.nfds);
		return n;
	}
	if (mh.name) {
		uint32_t alen = KMIN(m.addrlen, (uint32_t)sizeof(addr));
		uint32_t k = KMIN(alen, mh.namelen);
		uaccess_allow(t, mh.name, mh.namelen);
		if (k && copy_out(t, mh.name, addr, k))
			n = -EFAULT;
		mh.namelen = alen;
	} else {
		mh.namelen = 0;
	}
	if (n >= 0 && msg_control_out(t, &mh, &m, flags))
		n = -EFAULT;
	if (m.fds)
		put_files(m.fds, m.nfds);
	mh.flags = (int32_t)m.msg_flags;
	if (n >= 0 && copy_out(t, a[1], &mh, MSGHDR_SIZE))
		return -EFAULT;
	return n;
}
