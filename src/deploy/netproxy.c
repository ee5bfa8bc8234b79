/*
 * The host network proxy of a container (netproxy.h, docs/networking.md):
 * real non-blocking host sockets, the container's own loopback (container
 * ports -> host loopback ports), --publish, and the PRH_NET host-call
 * marshalling for the realm deployment.
 */
#include "deploy/netproxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "libos/pal.h"
#include "libos/pal_realm.h"

#define NP_MAX 1024
#define NP_ADDR_MAX 128

struct npsock {
	bool used;
	int fd;
	int family, type;
	bool v6only;
	uint16_t cport;		       /* the container's port this socket is bound to (0: none) */
	uint16_t hport;		       /* its host port */
	struct sockaddr_storage caddr; /* the container's view of the bound address */
	socklen_t caddrlen;
	short want;   /* POLLIN/POLLOUT the container found not ready (the watcher's interest) */
	unsigned gen; /* bumped when the slot is reused: the watcher's answer is for one socket */
};

struct netproxy {
	struct rb_publish pub[RB_MAX_PUBLISH];
	unsigned npub;
	struct npsock s[NP_MAX];
	/* the watcher (netproxy_watch); mu guards used, fd and want against it */
	pthread_mutex_t mu;
	int efd; /* eventfd: the interest changed, or stop */
	bool watching, stop;
	pthread_t th;
	void (*notify)(void *arg);
	void *arg;
};

struct netproxy *netproxy_new(const struct rb_publish *pub, unsigned npub)
{
	struct netproxy *np = calloc(1, sizeof(*np));
	if (!np)
		return NULL;
	if (npub > RB_MAX_PUBLISH)
		npub = RB_MAX_PUBLISH;
	if (npub)
		memcpy(np->pub, pub, npub * sizeof(*pub)); /* pub may be NULL when there are none */
	np->npub = npub;
	pthread_mutex_init(&np->mu, NULL);
	np->efd = -1;
	return np;
}

void netproxy_free(struct netproxy *np)
{
	if (!np)
		return;
	netproxy_unwatch(np);
	for (int i = 0; i < NP_MAX; i++)
		if (np->s[i].used)
			close(np->s[i].fd);
	free(np);
}

static struct npsock *get(struct netproxy *np, int h)
{
	if (!np || h < 0 || h >= NP_MAX || !np->s[h].used)
		return NULL;
	return &np->s[h];
}

static int new_handle(struct netproxy *np, int fd, int family, int type)
{
	pthread_mutex_lock(&np->mu);
	for (int i = 0; i < NP_MAX; i++) {
		if (!np->s[i].used) {
			unsigned gen = np->s[i].gen + 1;
			memset(&np->s[i], 0, sizeof(np->s[i]));
			np->s[i].gen = gen;
			np->s[i].used = true;
			np->s[i].fd = fd;
			np->s[i].family = family;
			np->s[i].type = type;
			pthread_mutex_unlock(&np->mu);
			return i;
		}
	}
	pthread_mutex_unlock(&np->mu);
	close(fd);
	return -EMFILE;
}

/* The container found s not ready for ev: the watcher tells it when it is. */
static void want(struct netproxy *np, struct npsock *s, short ev)
{
	pthread_mutex_lock(&np->mu);
	bool more = (s->want | ev) != s->want;
	s->want |= ev;
	if (more && np->watching) {
		uint64_t one = 1;
		if (write(np->efd, &one, sizeof(one)) < 0) {
			/* the counter is full: the watcher has a wake-up pending anyway */
		}
	}
	pthread_mutex_unlock(&np->mu);
}

/* A result of an operation that waits for ev when it answers EAGAIN/EINPROGRESS. */
static long note(struct netproxy *np, struct npsock *s, short ev, long r)
{
	if (r == -EAGAIN || r == -EINPROGRESS || r == -EALREADY)
		want(np, s, ev);
	return r;
}

/* ---- addresses ---- */

static bool v4_loop(uint32_t a_be)
{
	return (ntohl(a_be) >> 24) == 127;
}

/* Is addr (len bytes, validated) one of the container's own addresses (loopback or any)? */
static bool local_addr(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;
		return in->sin_addr.s_addr == INADDR_ANY || v4_loop(in->sin_addr.s_addr);
	}
	const struct sockaddr_in6 *in6 = (const void *)sa;
	const struct in6_addr *a = &in6->sin6_addr;
	if (IN6_IS_ADDR_UNSPECIFIED(a) || IN6_IS_ADDR_LOOPBACK(a))
		return true;
	if (IN6_IS_ADDR_V4MAPPED(a)) {
		uint32_t v4;
		memcpy(&v4, &a->s6_addr[12], 4);
		return v4 == INADDR_ANY || v4_loop(v4);
	}
	return false;
}

static uint16_t port_of(const struct sockaddr *sa)
{
	return ntohs(sa->sa_family == AF_INET
			     ? ((const struct sockaddr_in *)(const void *)sa)->sin_port
			     : ((const struct sockaddr_in6 *)(const void *)sa)->sin6_port);
}

static void set_port(struct sockaddr *sa, uint16_t port)
{
	if (sa->sa_family == AF_INET)
		((struct sockaddr_in *)(void *)sa)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)(void *)sa)->sin6_port = htons(port);
}

/* Host loopback at port for a socket of `family` (v6: v4-mapped unless the target is v6-only). */
static socklen_t host_loop(int family, bool v6, uint16_t port, struct sockaddr_storage *out)
{
	memset(out, 0, sizeof(*out));
	if (family == AF_INET) {
		struct sockaddr_in *in = (void *)out;
		in->sin_family = AF_INET;
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		in->sin_port = htons(port);
		return sizeof(*in);
	}
	struct sockaddr_in6 *in6 = (void *)out;
	in6->sin6_family = AF_INET6;
	if (v6) {
		in6->sin6_addr = in6addr_loopback;
	} else {
		in6->sin6_addr.s6_addr[10] = 0xff;
		in6->sin6_addr.s6_addr[11] = 0xff;
		in6->sin6_addr.s6_addr[12] = 127;
		in6->sin6_addr.s6_addr[15] = 1;
	}
	in6->sin6_port = htons(port);
	return sizeof(*in6);
}

static int check_addr(const struct npsock *s, const void *addr, uint32_t len)
{
	uint16_t fam;
	if (len < 2)
		return -EINVAL;
	memcpy(&fam, addr, 2);
	if (fam != s->family)
		return -EAFNOSUPPORT;
	if (len < (s->family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)))
		return -EINVAL;
	return 0;
}

/* The container's socket of `type` bound to container port cport. */
static struct npsock *by_cport(struct netproxy *np, int type, uint16_t cport)
{
	for (int i = 0; i < NP_MAX; i++)
		if (np->s[i].used && np->s[i].cport == cport && np->s[i].type == type)
			return &np->s[i];
	return NULL;
}

static struct npsock *by_hport(struct netproxy *np, int type, uint16_t hport)
{
	for (int i = 0; i < NP_MAX; i++)
		if (np->s[i].used && np->s[i].cport && np->s[i].hport == hport &&
		    np->s[i].type == type)
			return &np->s[i];
	return NULL;
}

/*
 * A destination in the container's view to the host's: the container's
 * loopback ports become the host ports behind them. -ECONNREFUSED when no
 * socket of the container has that port.
 */
static int dest_to_host(struct netproxy *np, const struct npsock *s, const void *addr, uint32_t len,
			struct sockaddr_storage *out, socklen_t *olen)
{
	const struct sockaddr *sa = addr;
	if (!local_addr(sa)) {
		memset(out, 0, sizeof(*out));
		memcpy(out, addr, len > sizeof(*out) ? sizeof(*out) : len);
		*olen = len;
		return 0;
	}
	struct npsock *t = by_cport(np, s->type, port_of(sa));
	if (!t)
		return -ECONNREFUSED;
	if (s->family == AF_INET && t->family == AF_INET6 && t->v6only)
		return -ECONNREFUSED;
	*olen = host_loop(s->family, t->family == AF_INET6 && t->v6only, t->hport, out);
	return 0;
}

/* A host address (from recvfrom, accept, getpeername) in the container's view. */
static void addr_to_container(struct netproxy *np, const struct npsock *s,
			      struct sockaddr_storage *a)
{
	if (!local_addr((struct sockaddr *)a))
		return;
	struct npsock *t = by_hport(np, s->type, port_of((struct sockaddr *)a));
	if (t)
		set_port((struct sockaddr *)a, t->cport);
}

static uint16_t published(const struct netproxy *np, int type, uint16_t cport)
{
	if (type != SOCK_STREAM)
		return 0;
	for (unsigned i = 0; i < np->npub; i++)
		if (np->pub[i].container_port == cport)
			return np->pub[i].host_port;
	return 0;
}

/* Bind s's host socket on host loopback (at the published port of cport, if any). */
static int host_bind(struct netproxy *np, struct npsock *s, uint16_t cport)
{
	struct sockaddr_storage ha;
	uint16_t hp = cport ? published(np, s->type, cport) : 0;
	socklen_t hl = host_loop(s->family, s->v6only, hp, &ha);
	if (hp) {
		int one = 1;
		setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	}
	if (bind(s->fd, (struct sockaddr *)&ha, hl) < 0) {
		int e = errno;
		if (hp)
			fprintf(stderr, "realmbox: --publish %u:%u: host port %u: %s\n", hp, cport,
				hp, strerror(e));
		return -e;
	}
	hl = sizeof(ha);
	if (getsockname(s->fd, (struct sockaddr *)&ha, &hl) < 0)
		return -errno;
	s->hport = port_of((struct sockaddr *)&ha);
	return 0;
}

/* ---- the calls ---- */

int netproxy_socket(struct netproxy *np, int family, int type, int protocol)
{
	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	if (type != SOCK_STREAM && type != SOCK_DGRAM)
		return -ESOCKTNOSUPPORT;
	int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
	if (fd < 0)
		return -errno;
	if (family == AF_INET6) {
		int off = 0;
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	}
	return new_handle(np, fd, family, type);
}

int netproxy_bind(struct netproxy *np, int h, const void *addr, uint32_t len)
{
	struct npsock *s = get(np, h);
	if (!s)
		return -EBADF;
	int r = check_addr(s, addr, len);
	if (r)
		return r;
	if (s->cport)
		return -EINVAL;
	const struct sockaddr *sa = addr;
	if (!local_addr(sa))
		return -EADDRNOTAVAIL; /* the container has only its loopback */
	uint16_t cport = port_of(sa);
	if (cport && by_cport(np, s->type, cport))
		return -EADDRINUSE;
	if ((r = host_bind(np, s, cport)))
		return r;
	s->cport = cport ? cport : s->hport;
	memset(&s->caddr, 0, sizeof(s->caddr));
	memcpy(&s->caddr, addr, len > sizeof(s->caddr) ? sizeof(s->caddr) : len);
	s->caddrlen =
		s->family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	set_port((struct sockaddr *)&s->caddr, s->cport);
	return 0;
}

/* A socket used before bind gets an ephemeral port on the container's loopback (as Linux). */
static int autobind(struct netproxy *np, struct npsock *s)
{
	if (s->cport)
		return 0;
	int r = host_bind(np, s, 0);
	if (r)
		return r;
	s->cport = s->hport;
	s->caddrlen = host_loop(s->family, s->v6only, s->cport, &s->caddr);
	return 0;
}

int netproxy_listen(struct netproxy *np, int h, int backlog)
{
	struct npsock *s = get(np, h);
	if (!s)
		return -EBADF;
	if (s->type != SOCK_STREAM)
		return -EOPNOTSUPP;
	int r = autobind(np, s);
	if (r)
		return r;
	return listen(s->fd, backlog) < 0 ? -errno : 0;
}

int netproxy_accept(struct netproxy *np, int h, void *addr, uint32_t *len)
{
	struct npsock *s = get(np, h);
	if (!s)
		return -EBADF;
	struct sockaddr_storage a;
	socklen_t al = sizeof(a);
	int fd = accept4(s->fd, (struct sockaddr *)&a, &al, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return (int)note(np, s, POLLIN, errno == EWOULDBLOCK ? -EAGAIN : -errno);
	int nh = new_handle(np, fd, s->family, s->type);
	if (nh < 0)
		return nh;
	addr_to_container(np, s, &a);
	uint32_t n = al < *len ? al : *len;
	memcpy(addr, &a, n);
	*len = al;
	return nh;
}

int netproxy_connect(struct netproxy *np, int h, const void *addr, uint32_t len)
{
	struct npsock *s = get(np, h);
	if (!s)
		return -EBADF;
	uint16_t fam = AF_UNSPEC;
	if (len >= 2)
		memcpy(&fam, addr, 2);
	if (fam == AF_UNSPEC && s->type == SOCK_DGRAM) {
		struct sockaddr un = {.sa_family = AF_UNSPEC};
		return connect(s->fd, &un, sizeof(un)) < 0 ? -errno : 0;
	}
	int r = check_addr(s, addr, len);
	if (r)
		return r;
	struct sockaddr_storage ha;
	socklen_t hl;
	if ((r = dest_to_host(np, s, addr, len, &ha, &hl)))
		return r;
	if (local_addr(addr) && (r = autobind(np, s)))
		return r;
	if (connect(s->fd, (struct sockaddr *)&ha, hl) < 0)
		return (int)note(np, s, POLLOUT, -errno);
	return 0;
}

long netproxy_send(struct netproxy *np, int h, const void *buf, size_t len, int flags,
		   const void *addr, uint32_t alen)
{
	struct npsock *s = get(np, h);
	if (!s)
		return -EBADF;
	flags = (flags & (MSG_OOB | MSG_EOR)) | MSG_DONTWAIT | MSG_NOSIGNAL;
	ssize_t r;
	if (addr && alen && s->type == SOCK_DGRAM) {
		int e = check_addr(s, addr, alen);
		if (e)
			return e;
		struct sockaddr_storage ha;
		socklen_t hl;
		e = dest_to_host(np, s, addr, alen, &ha, &hl);
		if (e == -ECONNREFUSED)
			return (long)len; /* nobody there: dropped, as on Linux */
		if (e)
			return e;
		if (local_addr(addr) && (e = autobind(np, s)))
			return e;
		r = sendto(s->fd, buf, len, flags, (struct sockaddr *)&ha, hl);
	} else {
		r = send(s->fd, buf, len, flags);
	}
	if (r < 0)
		return note(np, s, POLLOUT, errno == EWOULDBLOCK ? -EAGAIN : -errno);
	return r;
}

long netproxy_recv(struct netproxy *np, int h, void *buf, size_t len, int flags, void *addr,
		   uint32_t *alen)
{
	struct npsock *s = get(np, h);
	if (!s)
		return -EBADF;
	struct sockaddr_storage a;
	socklen_t al = sizeof(a);
	memset(&a, 0, sizeof(a));
	flags = (flags & (MSG_PEEK | MSG_TRUNC | MSG_OOB)) | MSG_DONTWAIT;
	ssize_t r = recvfrom(s->fd, buf, len, flags, (struct sockaddr *)&a, &al);
	if (r < 0)
		return note(np, s, POLLIN, errno == EWOULDBLOCK ? -EAGAIN : -errno);
	if (addr && alen) {
		if (s->type == SOCK_STREAM) {
			*alen = 0;
		} else {
			addr_to_container(np, s, &a);
			uint32_t n = al < *alen ? al : *alen;
			memcpy(addr, &a, n);
			*alen = al;
		}
	}
	return r;
}

int netproxy_shutdown(struct netproxy *np, int h, int how)
{
	struct npsock *s = get(np, h);
	if (!s)
		return -EBADF;
	return shutdown(s->fd, how) < 0 ? -errno : 0;
}

/* Options passed on to the host socket (level, name); the rest answer ENOPROTOOPT. */
static bool opt_ok(int level, int name)
{
	switch (level) {
	case SOL_SOCKET:
		return name == SO_REUSEADDR || name == SO_REUSEPORT || name == SO_KEEPALIVE ||
		       name == SO_RCVBUF || name == SO_SNDBUF || name == SO_LINGER ||
		       name == SO_BROADCAST || name == SO_OOBINLINE || name == SO_RCVLOWAT ||
		       name == SO_ERROR || name == SO_TYPE || name == SO_PROTOCOL ||
		       name == SO_DOMAIN;
	case IPPROTO_TCP:
		return name == TCP_NODELAY || name == TCP_KEEPIDLE || name == TCP_KEEPINTVL ||
		       name == TCP_KEEPCNT || name == TCP_CORK || name == TCP_MAXSEG ||
		       name == TCP_QUICKACK;
	case IPPROTO_IP:
		return name == IP_TOS || name == IP_TTL;
	case IPPROTO_IPV6:
		return name == IPV6_V6ONLY || name == IPV6_UNICAST_HOPS || name == IPV6_TCLASS;
	default:
		return false;
	}
}

int netproxy_setsockopt(struct netproxy *np, int h, int level, int name, const void *val,
			uint32_t len)
{
	struct npsock *s = get(np, h);
	if (!s)
		return -EBADF;
	if (!opt_ok(level, name) || (level == SOL_SOCKET && (name == SO_ERROR || name == SO_TYPE)))
		return -ENOPROTOOPT;
	if (len > NP_ADDR_MAX)
		return -EINVAL;
	if (setsockopt(s->fd, level, name, val, len) < 0)
		return -errno;
	if (level == IPPROTO_IPV6 && name == IPV6_V6ONLY && len >= 4) {
		int v;
		memcpy(&v, val, 4);
		s->v6only = v != 0;
	}
	return 0;
}

int netproxy_getsockopt(struct netproxy *np, int h, int level, int name, void *val, uint32_t *len)
{
	struct npsock *s = get(np, h);
	if (!s)
		return -EBADF;
	if (!opt_ok(level, name))
		return -ENOPROTOOPT;
	socklen_t l = *len > NP_ADDR_MAX ? NP_ADDR_MAX : *len;
	if (getsockopt(s->fd, level, name, val, &l) < 0)
		return -errno;
	*len = l;
	return 0;
}

int netproxy_getname(struct netproxy *np, int h, bool peer, void *addr, uint32_t *len)
{
	struct npsock *s = get(np, h);
	if (!s)
		return -EBADF;
	struct sockaddr_storage a;
	socklen_t al = sizeof(a);
	memset(&a, 0, sizeof(a));
	if (!peer && s->cport) {
		a = s->caddr;
		al = s->caddrlen;
	} else {
		int r = peer ? getpeername(s->fd, (struct sockaddr *)&a, &al)
			     : getsockname(s->fd, (struct sockaddr *)&a, &al);
		if (r < 0)
			return -errno;
		if (peer)
			addr_to_container(np, s, &a);
	}
	uint32_t n = al < *len ? al : *len;
	memcpy(addr, &a, n);
	*len = al;
	return 0;
}

unsigned netproxy_poll(struct netproxy *np, int h, unsigned events)
{
	struct npsock *s = get(np, h);
	if (!s)
		return POLLNVAL;
	struct pollfd p = {s->fd, (short)(events & (POLLIN | POLLOUT | POLLRDHUP)), 0};
	if (poll(&p, 1, 0) <= 0) {
		want(np, s, (short)(events & (POLLIN | POLLOUT)));
		return 0;
	}
	return (unsigned)(unsigned short)p.revents;
}

void netproxy_close(struct netproxy *np, int h)
{
	struct npsock *s = get(np, h);
	if (!s)
		return;
	pthread_mutex_lock(&np->mu);
	close(s->fd);
	s->used = false;
	s->want = 0;
	pthread_mutex_unlock(&np->mu);
}

/* ---- the watcher: host sockets the container waits for ---- */

static void *watch_main(void *arg)
{
	struct netproxy *np = arg;
	static __thread struct pollfd p[NP_MAX + 1];
	static __thread unsigned gen[NP_MAX + 1];
	int idx[NP_MAX + 1];

	for (;;) {
		unsigned n = 1;
		pthread_mutex_lock(&np->mu);
		if (np->stop) {
			pthread_mutex_unlock(&np->mu);
			return NULL;
		}
		p[0] = (struct pollfd){np->efd, POLLIN, 0};
		for (int i = 0; i < NP_MAX; i++) {
			if (np->s[i].used && np->s[i].want) {
				p[n] = (struct pollfd){np->s[i].fd, np->s[i].want, 0};
				gen[n] = np->s[i].gen;
				idx[n++] = i;
			}
		}
		pthread_mutex_unlock(&np->mu);
		if (poll(p, n, -1) < 0 && errno != EINTR)
			return NULL;
		if (p[0].revents) {
			uint64_t v;
			if (read(np->efd, &v, sizeof(v)) < 0) {
				/* nothing to drain */
			}
		}
		bool ready = false;
		pthread_mutex_lock(&np->mu);
		for (unsigned k = 1; k < n; k++) {
			struct npsock *s = &np->s[idx[k]];
			if (p[k].revents && s->used && s->gen == gen[k]) {
				/*
				 * the container looks again, and says if it still waits;
				 * a socket closed while poll ran (its slot since reused
				 * by another: gen) keeps the new socket's interest
				 */
				s->want = 0;
				ready = true;
			}
		}
		pthread_mutex_unlock(&np->mu);
		if (ready)
			np->notify(np->arg);
	}
}

int netproxy_watch(struct netproxy *np, void (*notify)(void *arg), void *arg)
{
	if (np->watching)
		return -EBUSY;
	np->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (np->efd < 0)
		return -errno;
	np->notify = notify;
	np->arg = arg;
	np->stop = false;
	int r = pthread_create(&np->th, NULL, watch_main, np);
	if (r) {
		close(np->efd);
		np->efd = -1;
		return -r;
	}
	pthread_mutex_lock(&np->mu);
	np->watching = true;
	pthread_mutex_unlock(&np->mu);
	return 0;
}

void netproxy_unwatch(struct netproxy *np)
{
	if (!np || !np->watching)
		return;
	pthread_mutex_lock(&np->mu);
	np->stop = true;
	np->watching = false;
	uint64_t one = 1;
	if (write(np->efd, &one, sizeof(one)) < 0) {
		/* full: a wake-up is pending */
	}
	pthread_mutex_unlock(&np->mu);
	pthread_join(np->th, NULL);
	close(np->efd);
	np->efd = -1;
}

/* ---- PRH_NET (realm) ---- */

size_t netproxy_serve(struct netproxy *np, const uint64_t *g, uint8_t *buf, size_t size,
		      uint64_t *out)
{
	int h = (int)g[1];
	uint32_t l;
	size_t data_room = size > PRN_DATA_OFF ? size - PRN_DATA_OFF : 0;

	switch (g[0]) {
	case PRN_SOCKET:
		out[0] = (uint64_t)(int64_t)netproxy_socket(np, (int)g[1], (int)g[2], (int)g[3]);
		return 0;
	case PRN_BIND:
	case PRN_CONNECT:
		l = (uint32_t)(g[2] < NP_ADDR_MAX ? g[2] : NP_ADDR_MAX);
		out[0] = (uint64_t)(int64_t)(g[0] == PRN_BIND ? netproxy_bind(np, h, buf, l)
							      : netproxy_connect(np, h, buf, l));
		return 0;
	case PRN_LISTEN:
		out[0] = (uint64_t)(int64_t)netproxy_listen(np, h, (int)g[2]);
		return 0;
	case PRN_ACCEPT:
		l = (uint32_t)(g[2] < NP_ADDR_MAX ? g[2] : NP_ADDR_MAX);
		out[0] = (uint64_t)(int64_t)netproxy_accept(np, h, buf, &l);
		out[1] = l;
		return NP_ADDR_MAX;
	case PRN_SEND: {
		size_t n = g[2] < data_room ? g[2] : data_room;
		l = (uint32_t)(g[4] < NP_ADDR_MAX ? g[4] : NP_ADDR_MAX);
		out[0] = (uint64_t)netproxy_send(np, h, buf + PRN_DATA_OFF, n, (int)g[3],
						 l ? buf : NULL, l);
		return 0;
	}
	case PRN_RECV: {
		size_t n = g[2] < data_room ? g[2] : data_room;
		l = (uint32_t)(g[4] < NP_ADDR_MAX ? g[4] : NP_ADDR_MAX);
		long r = netproxy_recv(np, h, buf + PRN_DATA_OFF, n, (int)g[3], l ? buf : NULL,
				       l ? &l : NULL);
		out[0] = (uint64_t)r;
		out[1] = l;
		return r > 0 ? PRN_DATA_OFF + (size_t)(r < (long)n ? r : (long)n) : NP_ADDR_MAX;
	}
	case PRN_SHUTDOWN:
		out[0] = (uint64_t)(int64_t)netproxy_shutdown(np, h, (int)g[2]);
		return 0;
	case PRN_SETSOCKOPT:
		l = (uint32_t)(g[4] < NP_ADDR_MAX ? g[4] : NP_ADDR_MAX);
		out[0] =
			(uint64_t)(int64_t)netproxy_setsockopt(np, h, (int)g[2], (int)g[3], buf, l);
		return 0;
	case PRN_GETSOCKOPT:
		l = (uint32_t)(g[4] < NP_ADDR_MAX ? g[4] : NP_ADDR_MAX);
		out[0] = (uint64_t)(int64_t)netproxy_getsockopt(np, h, (int)g[2], (int)g[3], buf,
								&l);
		out[1] = l;
		return NP_ADDR_MAX;
	case PRN_GETNAME:
		l = (uint32_t)(g[3] < NP_ADDR_MAX ? g[3] : NP_ADDR_MAX);
		out[0] = (uint64_t)(int64_t)netproxy_getname(np, h, g[2] != 0, buf, &l);
		out[1] = l;
		return NP_ADDR_MAX;
	case PRN_POLL:
		out[0] = netproxy_poll(np, h, (unsigned)g[2]);
		return 0;
	case PRN_CLOSE:
		netproxy_close(np, h);
		out[0] = 0;
		return 0;
	default:
		out[0] = (uint64_t)-ENOSYS;
		return 0;
	}
}

/* ---- pal.h net_* for a deployment that calls the proxy directly (shim) ---- */

static struct netproxy *pal_np; /* the container using netproxy_pal_ops (one at a time) */

static int p_socket(void *c, int family, int type, int protocol)
{
	return netproxy_socket(pal_np, family, type, protocol);
}

static int p_bind(void *c, int h, const void *addr, uint32_t len)
{
	return netproxy_bind(pal_np, h, addr, len);
}

static int p_listen(void *c, int h, int backlog)
{
	return netproxy_listen(pal_np, h, backlog);
}

static int p_accept(void *c, int h, void *addr, uint32_t *len)
{
	return netproxy_accept(pal_np, h, addr, len);
}

static int p_connect(void *c, int h, const void *addr, uint32_t len)
{
	return netproxy_connect(pal_np, h, addr, len);
}

static long p_send(void *c, int h, const void *buf, size_t len, int flags, const void *addr,
		   uint32_t alen)
{
	return netproxy_send(pal_np, h, buf, len, flags, addr, alen);
}

static long p_recv(void *c, int h, void *buf, size_t len, int flags, void *addr, uint32_t *alen)
{
	return netproxy_recv(pal_np, h, buf, len, flags, addr, alen);
}

static int p_shutdown(void *c, int h, int how)
{
	return netproxy_shutdown(pal_np, h, how);
}

static int p_setsockopt(void *c, int h, int level, int name, const void *val, uint32_t len)
{
	return netproxy_setsockopt(pal_np, h, level, name, val, len);
}

static int p_getsockopt(void *c, int h, int level, int name, void *val, uint32_t *len)
{
	return netproxy_getsockopt(pal_np, h, level, name, val, len);
}

static int p_getname(void *c, int h, bool peer, void *addr, uint32_t *len)
{
	return netproxy_getname(pal_np, h, peer, addr, len);
}

static unsigned p_poll(void *c, int h, unsigned events)
{
	return netproxy_poll(pal_np, h, events);
}

static void p_close(void *c, int h)
{
	netproxy_close(pal_np, h);
}

void netproxy_pal_ops(struct pal_ops *ops, struct netproxy *np)
{
	pal_np = np;
	ops->net_socket = p_socket;
	ops->net_bind = p_bind;
	ops->net_listen = p_listen;
	ops->net_accept = p_accept;
	ops->net_connect = p_connect;
	ops->net_send = p_send;
	ops->net_recv = p_recv;
	ops->net_shutdown = p_shutdown;
	ops->net_setsockopt = p_setsockopt;
	ops->net_getsockopt = p_getsockopt;
	ops->net_getname = p_getname;
	ops->net_poll = p_poll;
	ops->net_close = p_close;
}
