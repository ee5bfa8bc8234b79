/*
 * AF_INET and AF_INET6 sockets (sock.h) through the deployment's host
 * network proxy (pal.h net_*): TCP and UDP. The library OS keeps only the
 * proxy's handle; the proxy owns the host socket, maps the container's
 * loopback ports to host ports and applies --publish (docs/networking.md).
 * What the application sends is what the host sees: confidentiality on the
 * wire is the application's (TLS). Readiness changes outside the library
 * OS, so these sockets are `external` (sleepers re-check it).
 */
#include "libos/sock.h"

struct isock {
	int h; /* the proxy's handle */
	bool listening;
	bool connecting; /* a connect is in progress */
	bool connected;
};

static struct isock *is_of(struct sock *s)
{
	return s->priv;
}

static bool have_net(void)
{
	return g.pal.net_socket && g.pal.net_bind && g.pal.net_listen && g.pal.net_accept &&
	       g.pal.net_connect && g.pal.net_send && g.pal.net_recv && g.pal.net_shutdown &&
	       g.pal.net_setsockopt && g.pal.net_getsockopt && g.pal.net_getname &&
	       g.pal.net_poll && g.pal.net_close;
}

static int i_create(struct sock *s, int type, int protocol)
{
	if (!have_net()) {
		lo_log(LOG_INFO, "socket(AF_INET%s): this deployment has no host network",
		       s->family == AF_INET6 ? "6" : "");
		return -EAFNOSUPPORT;
	}
	if (type == SOCK_STREAM) {
		if (protocol != 0 && protocol != IPPROTO_TCP)
			return -EPROTONOSUPPORT;
		protocol = IPPROTO_TCP;
	} else if (type == SOCK_DGRAM) {
		if (protocol != 0 && protocol != IPPROTO_UDP)
			return -EPROTONOSUPPORT;
		protocol = IPPROTO_UDP;
	} else if (type == SOCK_RAW) {
		return -EPERM; /* no CAP_NET_RAW in a container */
	} else {
		return -ESOCKTNOSUPPORT;
	}
	struct isock *i = kzalloc(sizeof(*i));
	if (!i)
		return -ENOMEM;
	int h = PAL(net_socket, s->family, type, protocol);
	if (h < 0) {
		kfree(i);
		return h;
	}
	i->h = h;
	s->protocol = protocol;
	s->priv = i;
	return 0;
}

static int check_addr(struct sock *s, const uint8_t *addr, uint32_t len)
{
	uint16_t fam;
	if (len < 2)
		return -EINVAL;
	memcpy(&fam, addr, 2);
	if (s->family == AF_INET) {
		if (len < 16)
			return -EINVAL;
		if (fam != AF_INET)
			return -EAFNOSUPPORT;
	} else {
		if (len < 24)
			return -EINVAL;
		if (fam != AF_INET6)
			return -EAFNOSUPPORT;
	}
	return 0;
}

static int i_bind(struct task *t, struct sock *s, const void *addr, uint32_t len)
{
	int r = check_addr(s, addr, len);
	if (r)
		return r;
	return PAL(net_bind, is_of(s)->h, addr, len);
}

static int i_listen(struct sock *s, int backlog)
{
	struct isock *i = is_of(s);
	if (s->type != SOCK_STREAM)
		return -EOPNOTSUPP;
	int r = PAL(net_listen, i->h, backlog);
	if (!r)
		i->listening = true;
	return r;
}

static int i_accept(struct sock *s, struct sock *out)
{
	struct isock *i = is_of(s);
	if (!i->listening)
		return -EINVAL;
	struct isock *n = kzalloc(sizeof(*n));
	if (!n)
		return -ENOMEM;
	uint8_t addr[PAL_NET_ADDR_MAX];
	uint32_t alen = sizeof(addr);
	int h = PAL(net_accept, i->h, addr, &alen);
	if (h < 0) {
		kfree(n);
		return h;
	}
	n->h = h;
	n->connected = true;
	out->priv = n;
	return 0;
}

static int i_connect(struct task *t, struct sock *s, const void *addr, uint32_t len)
{
	struct isock *i = is_of(s);
	const uint8_t *a = addr;
	if (len >= 2 && a[0] == AF_UNSPEC && a[1] == 0 && s->type == SOCK_DGRAM)
		return PAL(net_connect, i->h, addr, len);
	int r = check_addr(s, addr, len);
	if (r)
		return r;
	if (i->listening)
		return -EISCONN;
	r = PAL(net_connect, i->h, addr, len);
	if (r == 0) {
		i->connected = true;
		i->connecting = false;
	} else if (r == -EINPROGRESS || r == -EALREADY) {
		if (r == -EALREADY && !i->connecting)
			r = -EINPROGRESS;
		i->connecting = true;
	} else if (r == -EISCONN && i->connecting) {
		i->connecting = false;
		i->connected = true;
		r = 0;
	}
	ev_notify();
	return r;
}

static long i_send(struct task *t, struct sock *s, struct sock_msg *m, int flags)
{
	struct isock *i = is_of(s);
	if (m->addr && m->addrlen && s->type == SOCK_DGRAM) {
		int r = check_addr(s, m->addr, m->addrlen);
		if (r)
			return r;
	}
	if (s->type == SOCK_DGRAM && g.pal.net_max_send && m->len > g.pal.net_max_send)
		return -EMSGSIZE; /* the deployment cannot carry it whole */
	long r =
		PAL(net_send, i->h, m->data, m->len, flags & (MSG_OOB | MSG_EOR),
		    s->type == SOCK_DGRAM ? m->addr : NULL, s->type == SOCK_DGRAM ? m->addrlen : 0);
	if (r > (long)m->len)
		return -EIO; /* the proxy lies */
	if (r >= 0)
		ev_notify(); /* a peer in this container may wait for these bytes */
	return r;
}

static long i_recv(struct sock *s, struct sock_msg *m, int flags)
{
	struct isock *i = is_of(s);
	uint32_t alen = m->addr ? KMIN(m->addrlen, (uint32_t)PAL_NET_ADDR_MAX) : 0;
	/* datagrams: the host reports the full length, so truncation shows (MSG_TRUNC) */
	int hf = (flags & (MSG_PEEK | MSG_OOB)) | (s->type == SOCK_DGRAM ? MSG_TRUNC : 0);
	long r = PAL(net_recv, i->h, m->data, m->len, hf, m->addr, m->addr ? &alen : NULL);
	if (r >= 0 && m->addr)
		m->addrlen = KMIN(alen, (uint32_t)PAL_NET_ADDR_MAX);
	if (r > (long)m->len && s->type != SOCK_DGRAM)
		return -EIO;
	if (r > (long)m->len)
		m->msg_flags |= MSG_TRUNC;
	if (r >= 0)
		ev_notify();
	return r;
}

static int i_shutdown(struct sock *s, int how)
{
	return PAL(net_shutdown, is_of(s)->h, how);
}

static int i_setsockopt(struct sock *s, int level, int name, const void *val, uint32_t len)
{
	return PAL(net_setsockopt, is_of(s)->h, level, name, val, len);
}

static int i_getsockopt(struct sock *s, int level, int name, void *val, uint32_t *len)
{
	struct isock *i = is_of(s);
	if (level == SOL_SOCKET && name == SO_ACCEPTCONN) {
		int v = i->listening;
		memcpy(val, &v, 4);
		*len = 4;
		return 0;
	}
	uint32_t room = *len;
	int r = PAL(net_getsockopt, i->h, level, name, val, len);
	if (!r && *len > room)
		return -EIO;
	if (!r && level == SOL_SOCKET && name == SO_ERROR && i->connecting) {
		int e;
		memcpy(&e, val, 4);
		i->connecting = false;
		i->connected = e == 0;
	}
	return r;
}

static int i_getname(struct sock *s, bool peer, void *addr, uint32_t *len)
{
	uint32_t room = *len;
	int r = PAL(net_getname, is_of(s)->h, peer, addr, len);
	if (!r && *len > PAL_NET_ADDR_MAX)
		*len = room;
	return r;
}

static unsigned i_poll(struct sock *s, unsigned events)
{
	return PAL(net_poll, is_of(s)->h, events | POLLERR_ | POLLHUP_);
}

static void i_release(struct sock *s)
{
	struct isock *i = is_of(s);
	PAL(net_close, i->h);
	kfree(i);
	s->priv = NULL;
}

const struct sock_ops sock_inet_ops = {
	.family = AF_INET,
	.create = i_create,
	.pair = NULL, /* socketpair(AF_INET): EOPNOTSUPP, as Linux */
	.bind = i_bind,
	.listen = i_listen,
	.accept = i_accept,
	.connect = i_connect,
	.send = i_send,
	.recv = i_recv,
	.shutdown = i_shutdown,
	.setsockopt = i_setsockopt,
	.getsockopt = i_getsockopt,
	.getname = i_getname,
	.poll = i_poll,
	.release = i_release,
	.external = true,
};
