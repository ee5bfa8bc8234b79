/*
 * AF_UNIX sockets inside the library OS (sock.h): stream, datagram and
 * seqpacket; names in the writable overlay (a socket inode) or abstract
 * (leading NUL); connect/accept through a listener's backlog; socketpair;
 * SCM_RIGHTS (the files travel with the bytes they were sent with).
 * Everything stays in library OS memory: the host never sees these bytes.
 */
#include "libos/sock.h"

#define UNIX_CAP 212992UL /* bytes a receive queue holds (Linux's default) */
#define UNIX_NAME_MAX 110 /* sizeof(struct sockaddr_un) */
#define UNIX_PATH_MAX 108

struct umsg {
	struct umsg *next;
	uint8_t *data;
	size_t len, off;
	uint8_t addr[UNIX_NAME_MAX]; /* the sender's name */
	uint32_t alen;
	struct file **fds;
	unsigned nfds;
};

struct usock {
	struct sock *s; /* NULL while waiting in a listener's backlog */
	int type;
	bool listening;
	bool connected;	    /* stream/seqpacket: has (had) a peer */
	struct usock *peer; /* the other end; dgram: the connected destination */
	struct umsg *rq, *rq_tail;
	size_t rq_bytes;
	struct usock *pend_head, *pend_tail, *next_pend; /* backlog (listener) / link (embryo) */
	unsigned npend, backlog;
	uint8_t name[UNIX_NAME_MAX]; /* as bound (sockaddr_un), namelen 0: unbound */
	uint32_t namelen;
	struct inode *ino;     /* path name's inode (a reference) */
	bool shut_rd, shut_wr; /* shutdown(2) of this end */
	bool rcv_eof;	       /* the peer will send no more (shut_wr or gone) */
	bool peer_gone;
	int sndbuf, rcvbuf, reuse, keepalive, passcred, broadcast;
	int32_t linger[2];
	struct usock *next_all;
};

static struct usock *us_of(struct sock *s)
{
	return s->priv;
}

static struct usock *us_new(int type)
{
	struct usock *u = kzalloc(sizeof(*u));
	if (!u)
		return NULL;
	u->type = type;
	u->sndbuf = u->rcvbuf = (int)UNIX_CAP;
	u->next_all = g.usock.all;
	g.usock.all = u;
	return u;
}

static void msg_free(struct umsg *m)
{
	for (unsigned i = 0; i < m->nfds; i++)
		file_put(m->fds[i]);
	kfree(m->fds);
	kfree(m->data);
	kfree(m);
}

/* Forget u everywhere and free it (its peer sees the end of the connection). */
static void us_free(struct usock *u)
{
	for (struct usock **pp = &g.usock.all; *pp; pp = &(*pp)->next_all) {
		if (*pp == u) {
			*pp = u->next_all;
			break;
		}
	}
	for (struct usock *o = g.usock.all; o; o = o->next_all) {
		if (o->peer == u) {
			o->peer = NULL;
			if (o->type != SOCK_DGRAM) {
				o->peer_gone = true;
				o->rcv_eof = true;
			}
		}
	}
	while (u->pend_head) {
		struct usock *e = u->pend_head;
		u->pend_head = e->next_pend;
		us_free(e);
	}
	while (u->rq) {
		struct umsg *m = u->rq;
		u->rq = m->next;
		msg_free(m);
	}
	if (u->ino)
		tmp_inode_put(u->ino);
	kfree(u);
	ev_notify();
}

static int u_create(struct sock *s, int type, int protocol)
{
	if (type != SOCK_STREAM && type != SOCK_DGRAM && type != SOCK_SEQPACKET)
		return -ESOCKTNOSUPPORT;
	if (protocol != 0)
		return -EPROTONOSUPPORT;
	struct usock *u = us_new(type);
	if (!u)
		return -ENOMEM;
	u->s = s;
	s->priv = u;
	return 0;
}

static int u_pair(struct sock *a, struct sock *b)
{
	struct usock *x = us_of(a), *y = us_of(b);
	x->peer = y;
	y->peer = x;
	x->connected = y->connected = x->type != SOCK_DGRAM;
	return 0;
}

/* ---- names ---- */

/* The usock bound to addr (the caller's view for path names), or an error. */
static int lookup_name(struct task *t, const uint8_t *addr, uint32_t len, struct usock **out)
{
	if (len < 2 || addr[0] != AF_UNIX || addr[1] != 0)
		return -EINVAL;
	if (len == 2)
		return -EINVAL;
	if (addr[2] == 0) {
		for (struct usock *u = g.usock.all; u; u = u->next_all) {
			if (u->namelen == len && !u->ino && memcmp(u->name, addr, len) == 0) {
				*out = u;
				return 0;
			}
		}
		return -ECONNREFUSED;
	}
	char path[UNIX_PATH_MAX + 1];
	size_t n = KMIN((size_t)len - 2, (size_t)UNIX_PATH_MAX);
	memcpy(path, addr + 2, n);
	path[n] = 0;
	char *canon;
	struct node nd;
	int r = vfs_resolve(t, AT_FDCWD, path, LK_FOLLOW, &canon, &nd);
	if (r)
		return r;
	kfree(canon);
	if ((nd.mode & S_IFMT) != S_IFSOCK || nd.kind != NK_TMP)
		return -ECONNREFUSED;
	for (struct usock *u = g.usock.all; u; u = u->next_all) {
		if (u->ino == nd.ino && u->s) {
			*out = u;
			return 0;
		}
	}
	return -ECONNREFUSED;
}

static void autobind(struct usock *u)
{
	u->name[0] = AF_UNIX;
	u->name[1] = 0;
	u->name[2] = 0;
	ksnprintf((char *)u->name + 3, UNIX_NAME_MAX - 3, "%05x", g.usock.autobind_seq++ & 0xfffff);
	u->namelen = 8;
}

static int u_bind(struct task *t, struct sock *s, const void *addr_, uint32_t len)
{
	struct usock *u = us_of(s);
	const uint8_t *addr = addr_;
	if (len < 2 || len > UNIX_NAME_MAX || addr[0] != AF_UNIX || addr[1] != 0)
		return -EINVAL;
	if (u->namelen)
		return -EINVAL;
	if (len == 2) {
		autobind(u);
		return 0;
	}
	if (addr[2] == 0) {
		for (struct usock *o = g.usock.all; o; o = o->next_all)
			if (o->namelen == len && !o->ino && memcmp(o->name, addr, len) == 0)
				return -EADDRINUSE;
		memcpy(u->name, addr, len);
		u->namelen = len;
		return 0;
	}
	char path[UNIX_PATH_MAX + 1];
	size_t n = 0;
	while (n < len - 2 && n < UNIX_PATH_MAX && addr[2 + n])
		n++;
	memcpy(path, addr + 2, n);
	path[n] = 0;
	char *canon;
	struct node nd;
	int r = vfs_resolve(t, AT_FDCWD, path, LK_PARENT_OK, &canon, &nd);
	if (r)
		return r;
	if (nd.kind != NK_NONE) {
		kfree(canon);
		return -EADDRINUSE;
	}
	char parent[PATH_MAX_];
	const char *base;
	path_split(canon, parent, sizeof(parent), &base);
	struct node pn;
	r = vfs_lookup(parent, &pn);
	if (!r && !S_ISDIR(pn.mode))
		r = -ENOTDIR;
	if (!r && (pn.kind == NK_PROC || pn.kind == NK_DEV || pn.kind == NK_TSM))
		r = -EACCES;
	if (!r && vfs_readonly())
		r = -EROFS;
	struct inode *ino = NULL;
	if (!r)
		r = tmp_mksock(canon, 0777 & ~t->proc->umask, &ino);
	kfree(canon);
	if (r)
		return r;
	tmp_set_owner(ino, t->proc->euid, t->proc->egid);
	tmp_inode_get(ino);
	u->ino = ino;
	memcpy(u->name, addr, 2 + n);
	u->name[2 + n] = 0;
	u->namelen = (uint32_t)(2 + n + 1);
	return 0;
}

static int u_getname(struct sock *s, bool peer, void *addr, uint32_t *len)
{
	struct usock *u = us_of(s);
	if (peer) {
		if (!u->peer || (u->type != SOCK_DGRAM && !u->connected))
			return -ENOTCONN;
		u = u->peer;
	}
	uint16_t fam = AF_UNIX;
	uint32_t n = u->namelen ? u->namelen : 2;
	if (*len < n)
		n = *len;
	if (u->namelen)
		memcpy(addr, u->name, n);
	else
		memcpy(addr, &fam, KMIN(n, 2u));
	*len = u->namelen ? u->namelen : 2;
	return 0;
}

/* ---- connections ---- */

static int u_listen(struct sock *s, int backlog)
{
	struct usock *u = us_of(s);
	if (u->type == SOCK_DGRAM)
		return -EOPNOTSUPP;
	if (u->connected)
		return -EINVAL;
	if (!u->namelen)
		autobind(u);
	u->listening = true;
	u->backlog = (unsigned)(backlog < 1 ? 1 : backlog);
	ev_notify();
	return 0;
}

static int u_connect(struct task *t, struct sock *s, const void *addr, uint32_t len)
{
	struct usock *u = us_of(s), *l;
	const uint8_t *a = addr;
	if (len >= 2 && a[0] == AF_UNSPEC && a[1] == 0 && u->type == SOCK_DGRAM) {
		u->peer = NULL; /* dissolve the association */
		return 0;
	}
	int r = lookup_name(t, addr, len, &l);
	if (r)
		return r;
	if (l->type != u->type)
		return -EPROTOTYPE;
	if (u->type == SOCK_DGRAM) {
		u->peer = l;
		return 0;
	}
	if (u->listening)
		return -EINVAL;
	if (u->connected)
		return -EISCONN;
	if (!l->listening)
		return -ECONNREFUSED;
	if (l->npend >= l->backlog)
		return -EAGAIN;
	struct usock *e = us_new(u->type);
	if (!e)
		return -ENOMEM;
	memcpy(e->name, l->name, l->namelen);
	e->namelen = l->namelen;
	e->peer = u;
	e->connected = true;
	u->peer = e;
	u->connected = true;
	if (l->pend_tail)
		l->pend_tail->next_pend = e;
	else
		l->pend_head = e;
	l->pend_tail = e;
	l->npend++;
	ev_notify();
	return 0;
}

static int u_accept(struct sock *s, struct sock *out)
{
	struct usock *l = us_of(s);
	if (!l->listening)
		return -EINVAL;
	struct usock *e = l->pend_head;
	if (!e)
		return -EAGAIN;
	l->pend_head = e->next_pend;
	if (!l->pend_head)
		l->pend_tail = NULL;
	l->npend--;
	e->next_pend = NULL;
	e->s = out;
	out->priv = e;
	ev_notify();
	return 0;
}

/* ---- data ---- */

/* The receiver of a send from u (to addr if given), or an error. */
static int send_target(struct task *t, struct usock *u, const struct sock_msg *m,
		       struct usock **out)
{
	if (u->type != SOCK_DGRAM) {
		if (m->addr && m->addrlen && !u->connected)
			return -EOPNOTSUPP;
		if (!u->connected || u->listening)
			return -ENOTCONN;
		if (u->shut_wr || u->peer_gone || !u->peer || u->peer->shut_rd)
			return -EPIPE;
		*out = u->peer;
		return 0;
	}
	if (u->shut_wr)
		return -EPIPE;
	if (m->addr && m->addrlen)
		return lookup_name(t, m->addr, m->addrlen, out);
	if (!u->peer)
		return -ENOTCONN;
	*out = u->peer;
	return 0;
}

static long u_send(struct task *t, struct sock *s, struct sock_msg *m, int flags)
{
	struct usock *u = us_of(s), *p;
	int r = send_target(t, u, m, &p);
	if (r)
		return r;
	if (p->type != u->type)
		return -EPROTOTYPE;
	if (u->type == SOCK_DGRAM && p->peer && p->peer != u)
		return -EPERM; /* the receiver is connected to another socket */
	size_t room = p->rq_bytes < UNIX_CAP ? UNIX_CAP - p->rq_bytes : 0;
	size_t n = m->len;
	if (u->type == SOCK_STREAM) {
		if (room == 0)
			return -EAGAIN;
		n = KMIN(n, room);
		if (n == 0 && !m->nfds)
			return 0;
	} else {
		if (n > UNIX_CAP)
			return -EMSGSIZE;
		if (n > room && p->rq)
			return -EAGAIN;
	}
	struct umsg *q = kzalloc(sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->data = kmalloc(n ? n : 1);
	if (!q->data) {
		kfree(q);
		return -ENOBUFS;
	}
	memcpy(q->data, m->data, n);
	q->len = n;
	memcpy(q->addr, u->name, u->namelen);
	q->alen = u->namelen;
	q->fds = m->fds;
	q->nfds = m->nfds;
	m->fds = NULL;
	m->nfds = 0;
	if (p->rq_tail)
		p->rq_tail->next = q;
	else
		p->rq = q;
	p->rq_tail = q;
	p->rq_bytes += n;
	ev_notify();
	return (long)n;
}

static void take_fds(struct umsg *q, struct sock_msg *m)
{
	if (!q->nfds)
		return;
	if (m->fds) {
		/* already took files from an earlier message: leave these with theirs */
		return;
	}
	m->fds = q->fds;
	m->nfds = q->nfds;
	q->fds = NULL;
	q->nfds = 0;
}

static void pop(struct usock *u)
{
	struct umsg *q = u->rq;
	u->rq = q->next;
	if (!u->rq)
		u->rq_tail = NULL;
	u->rq_bytes -= q->len - q->off;
	msg_free(q);
}

static long u_recv(struct sock *s, struct sock_msg *m, int flags)
{
	struct usock *u = us_of(s);
	if (u->listening)
		return -EINVAL;
	if (!u->rq) {
		if (u->type != SOCK_DGRAM && !u->connected)
			return u->type == SOCK_STREAM ? -EINVAL : -ENOTCONN;
		if (u->shut_rd || u->rcv_eof)
			return 0;
		return -EAGAIN;
	}
	bool peek = flags & MSG_PEEK;
	if (u->type != SOCK_STREAM) {
		struct umsg *q = u->rq;
		size_t n = KMIN(m->len, q->len);
		memcpy(m->data, q->data, n);
		if (n < q->len)
			m->msg_flags |= MSG_TRUNC;
		if (m->addr) {
			memcpy(m->addr, q->addr, KMIN(q->alen, m->addrlen));
			m->addrlen = q->alen;
		}
		long full = (long)q->len;
		if (!peek) {
			take_fds(q, m);
			pop(u);
			ev_notify();
		}
		return full;
	}
	size_t done = 0;
	struct umsg *q = u->rq;
	if (m->addr) {
		memcpy(m->addr, q->addr, KMIN(q->alen, m->addrlen));
		m->addrlen = q->alen;
	}
	while (q && done < m->len) {
		if (done && q->nfds)
			break; /* files start a new read */
		size_t n = KMIN(m->len - done, q->len - q->off);
		memcpy(m->data + done, q->data + q->off, n);
		done += n;
		if (peek) {
			q = q->next;
			continue;
		}
		take_fds(q, m);
		q->off += n;
		u->rq_bytes -= n;
		if (q->off == q->len) {
			struct umsg *nx = q->next;
			u->rq = nx;
			if (!nx)
				u->rq_tail = NULL;
			msg_free(q);
			q = nx;
		}
	}
	if (!peek)
		ev_notify();
	return (long)done;
}

static int u_shutdown(struct sock *s, int how)
{
	struct usock *u = us_of(s);
	if (how == SHUT_RD || how == SHUT_RDWR)
		u->shut_rd = true;
	if (how == SHUT_WR || how == SHUT_RDWR) {
		u->shut_wr = true;
		if (u->peer && u->type != SOCK_DGRAM)
			u->peer->rcv_eof = true;
	}
	ev_notify();
	return 0;
}

static int *int_opt(struct usock *u, int name)
{
	switch (name) {
	case SO_SNDBUF:
		return &u->sndbuf;
	case SO_RCVBUF:
		return &u->rcvbuf;
	case SO_REUSEADDR:
		return &u->reuse;
	case SO_KEEPALIVE:
		return &u->keepalive;
	case SO_PASSCRED:
		return &u->passcred;
	case SO_BROADCAST:
		return &u->broadcast;
	default:
		return NULL;
	}
}

static int u_setsockopt(struct sock *s, int level, int name, const void *val, uint32_t len)
{
	struct usock *u = us_of(s);
	if (level != SOL_SOCKET)
		return -EOPNOTSUPP;
	if (name == SO_LINGER) {
		if (len < 8)
			return -EINVAL;
		memcpy(u->linger, val, 8);
		return 0;
	}
	int *p = int_opt(u, name);
	if (!p) {
		lo_log(LOG_INFO, "AF_UNIX setsockopt(SOL_SOCKET, %d): not supported", name);
		return -ENOPROTOOPT;
	}
	if (len < 4)
		return -EINVAL;
	int v;
	memcpy(&v, val, 4);
	if (name == SO_SNDBUF || name == SO_RCVBUF)
		v = KMIN(KMAX(v, 2304), (int)UNIX_CAP / 2) * 2; /* Linux doubles it */
	else
		v = v != 0;
	*p = v;
	return 0;
}

static int u_getsockopt(struct sock *s, int level, int name, void *val, uint32_t *len)
{
	struct usock *u = us_of(s);
	int v;
	if (level != SOL_SOCKET)
		return -EOPNOTSUPP;
	if (name == SO_LINGER) {
		memcpy(val, u->linger, 8);
		*len = 8;
		return 0;
	}
	if (name == SO_ERROR)
		v = 0;
	else if (name == SO_ACCEPTCONN)
		v = u->listening;
	else if (int_opt(u, name))
		v = *int_opt(u, name);
	else
		return -ENOPROTOOPT;
	memcpy(val, &v, 4);
	*len = 4;
	return 0;
}

static unsigned u_poll(struct sock *s, unsigned events)
{
	struct usock *u = us_of(s);
	unsigned r = 0;
	if (u->listening)
		return u->pend_head ? POLLIN_ : 0;
	if (u->rq || u->shut_rd || u->rcv_eof)
		r |= POLLIN_;
	if (u->rcv_eof)
		r |= POLLRDHUP_;
	if (u->type == SOCK_DGRAM) {
		if (!u->peer || u->peer->rq_bytes < UNIX_CAP)
			r |= POLLOUT_;
		return r;
	}
	if (!u->connected)
		return r | POLLOUT_ | POLLHUP_;
	if (u->peer_gone || (u->shut_wr && u->rcv_eof))
		r |= POLLHUP_;
	if (u->peer && !u->peer_gone && !u->shut_wr && u->peer->rq_bytes < UNIX_CAP)
		r |= POLLOUT_;
	return r;
}

static void u_release(struct sock *s)
{
	struct usock *u = us_of(s);
	s->priv = NULL;
	us_free(u);
}

const struct sock_ops sock_unix_ops = {
	.family = AF_UNIX,
	.create = u_create,
	.pair = u_pair,
	.bind = u_bind,
	.listen = u_listen,
	.accept = u_accept,
	.connect = u_connect,
	.send = u_send,
	.recv = u_recv,
	.shutdown = u_shutdown,
	.setsockopt = u_setsockopt,
	.getsockopt = u_getsockopt,
	.getname = u_getname,
	.poll = u_poll,
	.release = u_release,
	.external = false,
};
