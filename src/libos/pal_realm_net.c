/*
 * The PAL of a System Realm, its network half (pal.h net_*): each call is a
 * PRH_NET host call to the untrusted host's network proxy, data through the
 * NS buffer. Nothing the host answers is trusted: lengths are checked
 * before anything is copied out of shared memory, and bytes are copied out
 * of the NS buffer before they are looked at.
 */
#include "libos/pal_realm_int.h"

#include "lib/errno.h"
#include "lib/string.h"

#define NET_ADDR_MAX PAL_NET_ADDR_MAX

static int64_t net_call(const uint64_t *a, unsigned n, uint64_t *out)
{
	uint64_t o[RSI_HOST_CALL_NR_GPRS];

	pal_realm_host_call(PRH_NET, a, n, o);
	if (out)
		memcpy(out, o, 2 * sizeof(uint64_t));
	return (int64_t)o[0];
}

static int int_result(int64_t r)
{
	if (r < -4095 || r > 0x7fffffff)
		return -EIO; /* not an answer the proxy may give */
	return (int)r;
}

/* Copy an address (or option) the host answered: at most room bytes, its length in *len. */
static int take_addr(uint64_t hlen, void *addr, uint32_t *len, size_t off)
{
	uint32_t room = *len;

	if (hlen > NET_ADDR_MAX)
		return -EIO;
	if (addr)
		memcpy(addr, R.e.ns + off, hlen < room ? hlen : room);
	*len = (uint32_t)hlen;
	return 0;
}

static int put_addr(const void *addr, uint32_t len)
{
	if (len > NET_ADDR_MAX || len > R.e.ns_size)
		return -EINVAL;
	if (len)
		memcpy(R.e.ns, addr, len);
	return 0;
}

static int r_net_socket(void *c, int family, int type, int protocol)
{
	uint64_t a[4] = {PRN_SOCKET, (uint64_t)family, (uint64_t)type, (uint64_t)protocol};

	(void)c;
	return int_result(net_call(a, 4, NULL));
}

static int r_net_bind(void *c, int h, const void *addr, uint32_t len)
{
	uint64_t a[3] = {PRN_BIND, (uint64_t)h, len};
	int r = put_addr(addr, len);

	(void)c;
	return r ? r : int_result(net_call(a, 3, NULL));
}

static int r_net_listen(void *c, int h, int backlog)
{
	uint64_t a[3] = {PRN_LISTEN, (uint64_t)h, (uint64_t)backlog};

	(void)c;
	return int_result(net_call(a, 3, NULL));
}

static int r_net_accept(void *c, int h, void *addr, uint32_t *len)
{
	uint64_t a[3] = {PRN_ACCEPT, (uint64_t)h, *len}, o[2];
	int r;

	(void)c;
	r = int_result(net_call(a, 3, o));
	if (r >= 0 && take_addr(o[1], addr, len, 0))
		return -EIO; /* the new handle leaks on the host: the host lied */
	return r;
}

static int r_net_connect(void *c, int h, const void *addr, uint32_t len)
{
	uint64_t a[3] = {PRN_CONNECT, (uint64_t)h, len};
	int r = put_addr(addr, len);

	(void)c;
	return r ? r : int_result(net_call(a, 3, NULL));
}

static long r_net_send(void *c, int h, const void *buf, size_t len, int flags, const void *addr,
		       uint32_t alen)
{
	size_t room = R.e.ns_size > PRN_DATA_OFF ? R.e.ns_size - PRN_DATA_OFF : 0;
	size_t n = len < room ? len : room;
	int r = put_addr(addr, addr ? alen : 0);

	(void)c;
	if (r)
		return r;
	memcpy(R.e.ns + PRN_DATA_OFF, buf, n);
	uint64_t a[5] = {PRN_SEND, (uint64_t)h, n, (uint64_t)flags, addr ? alen : 0};
	int64_t got = net_call(a, 5, NULL);
	if (got > (int64_t)n || got < -4095)
		return -EIO;
	return (long)got;
}

static long r_net_recv(void *c, int h, void *buf, size_t len, int flags, void *addr, uint32_t *alen)
{
	size_t room = R.e.ns_size > PRN_DATA_OFF ? R.e.ns_size - PRN_DATA_OFF : 0;
	size_t n = len < room ? len : room;
	uint64_t a[5] = {PRN_RECV, (uint64_t)h, n, (uint64_t)flags, addr && alen ? *alen : 0};
	uint64_t o[2];

	(void)c;
	int64_t got = net_call(a, 5, o);
	if (got < -4095)
		return -EIO;
	if (got < 0)
		return (long)got;
	/* a datagram longer than asked for (MSG_TRUNC) reports its size; copy only n */
	if ((uint64_t)got > n && !(flags & 0x20))
		return -EIO;
	if (addr && alen && take_addr(o[1], addr, alen, 0))
		return -EIO;
	memcpy(buf, R.e.ns + PRN_DATA_OFF, (size_t)got < n ? (size_t)got : n);
	return (long)got;
}

static int r_net_shutdown(void *c, int h, int how)
{
	uint64_t a[3] = {PRN_SHUTDOWN, (uint64_t)h, (uint64_t)how};

	(void)c;
	return int_result(net_call(a, 3, NULL));
}

static int r_net_setsockopt(void *c, int h, int level, int name, const void *val, uint32_t len)
{
	uint64_t a[5] = {PRN_SETSOCKOPT, (uint64_t)h, (uint64_t)level, (uint64_t)name, len};
	int r = put_addr(val, len);

	(void)c;
	return r ? r : int_result(net_call(a, 5, NULL));
}

static int r_net_getsockopt(void *c, int h, int level, int name, void *val, uint32_t *len)
{
	uint64_t a[5] = {PRN_GETSOCKOPT, (uint64_t)h, (uint64_t)level, (uint64_t)name, *len};
	uint64_t o[2];

	(void)c;
	int r = int_result(net_call(a, 5, o));
	if (r == 0 && (o[1] > *len || take_addr(o[1], val, len, 0)))
		return -EIO;
	return r;
}

static int r_net_getname(void *c, int h, bool peer, void *addr, uint32_t *len)
{
	uint64_t a[4] = {PRN_GETNAME, (uint64_t)h, peer ? 1u : 0u, *len};
	uint64_t o[2];

	(void)c;
	int r = int_result(net_call(a, 4, o));
	if (r == 0 && take_addr(o[1], addr, len, 0))
		return -EIO;
	return r;
}

static unsigned r_net_poll(void *c, int h, unsigned events)
{
	uint64_t a[3] = {PRN_POLL, (uint64_t)h, events};

	(void)c;
	return (unsigned)net_call(a, 3, NULL) & 0xffffu;
}

static void r_net_close(void *c, int h)
{
	uint64_t a[2] = {PRN_CLOSE, (uint64_t)h};

	(void)c;
	net_call(a, 2, NULL);
}

void prm_net_ops(struct pal_ops *ops)
{
	ops->net_socket = r_net_socket;
	ops->net_bind = r_net_bind;
	ops->net_listen = r_net_listen;
	ops->net_accept = r_net_accept;
	ops->net_connect = r_net_connect;
	ops->net_send = r_net_send;
	ops->net_recv = r_net_recv;
	ops->net_shutdown = r_net_shutdown;
	ops->net_setsockopt = r_net_setsockopt;
	ops->net_getsockopt = r_net_getsockopt;
	ops->net_getname = r_net_getname;
	ops->net_poll = r_net_poll;
	ops->net_close = r_net_close;
}
