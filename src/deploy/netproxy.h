/*
 * The host network proxy of one container (docs/networking.md): it owns
 * the real host sockets behind the container's AF_INET/AF_INET6 sockets
 * (the library OS's pal.h net_* calls) and gives the container a loopback
 * of its own: a bind to 127.0.0.1/0.0.0.0/::1/:: PORT binds a host socket
 * on host loopback at an ephemeral port (or at HOSTPORT when the container
 * port is published), connections and datagrams to the container's
 * loopback ports go to those host ports, everything else goes out to the
 * host's network as the proxy's own connection. Host sockets are
 * non-blocking; calls never block.
 *
 * Untrusted side: nothing here is trusted by the library OS, which checks
 * every length it gets back. The same functions serve --isolation none
 * (direct calls) and realm (PRH_NET host calls through the NS buffer,
 * netproxy_serve).
 */
#ifndef DEPLOY_NETPROXY_H
#define DEPLOY_NETPROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "deploy/deploy.h"

struct netproxy;

/* A proxy for one container with its published ports. NULL when out of memory. */
struct netproxy *netproxy_new(const struct rb_publish *pub, unsigned npub);
/* Close every host socket and free np (NULL: nothing). */
void netproxy_free(struct netproxy *np);

/*
 * Watch the host sockets the container found not ready (an EAGAIN or
 * EINPROGRESS answer, or a poll without the events asked for) on a thread
 * of np's own, and call notify(arg) from it when one of them becomes ready
 * (or fails): the deployment then wakes the library OS's sleepers
 * (libos_external_event). notify must not call back into np. 0 or -errno.
 */
int netproxy_watch(struct netproxy *np, void (*notify)(void *arg), void *arg);
/* Stop the watcher (netproxy_free does it too); notify is not called after. */
void netproxy_unwatch(struct netproxy *np);

/* The pal.h net_* calls (same contracts), on np. */
int netproxy_socket(struct netproxy *np, int family, int type, int protocol);
int netproxy_bind(struct netproxy *np, int h, const void *addr, uint32_t len);
int netproxy_listen(struct netproxy *np, int h, int backlog);
int netproxy_accept(struct netproxy *np, int h, void *addr, uint32_t *len);
int netproxy_connect(struct netproxy *np, int h, const void *addr, uint32_t len);
long netproxy_send(struct netproxy *np, int h, const void *buf, size_t len, int flags,
		   const void *addr, uint32_t alen);
long netproxy_recv(struct netproxy *np, int h, void *buf, size_t len, int flags, void *addr,
		   uint32_t *alen);
int netproxy_shutdown(struct netproxy *np, int h, int how);
int netproxy_setsockopt(struct netproxy *np, int h, int level, int name, const void *val,
			uint32_t len);
int netproxy_getsockopt(struct netproxy *np, int h, int level, int name, void *val, uint32_t *len);
int netproxy_getname(struct netproxy *np, int h, bool peer, void *addr, uint32_t *len);
unsigned netproxy_poll(struct netproxy *np, int h, unsigned events);
void netproxy_close(struct netproxy *np, int h);

struct pal_ops;
/*
 * Fill ops->net_* with direct calls to np (a deployment whose library OS
 * runs in the host's world: shim). One container at a time uses them.
 */
void netproxy_pal_ops(struct pal_ops *ops, struct netproxy *np);

/*
 * One PRH_NET host call (pal_realm.h): g the call's registers (g[0] the
 * PRH_NET_* operation), buf a private copy of the NS buffer (size bytes:
 * in and out data), out the answer's registers (out[0] result). Returns
 * the number of bytes of buf to copy back to the NS buffer.
 */
size_t netproxy_serve(struct netproxy *np, const uint64_t *g, uint8_t *buf, size_t size,
		      uint64_t *out);

#endif /* DEPLOY_NETPROXY_H */
