/*
 * The host network proxy (deploy/netproxy.c): the container's own loopback
 * (container ports are not host ports, two containers may bind the same
 * port, one container may not), --publish binds the host port, the
 * PRH_NET marshalling refuses bad handles and operations, and the watcher
 * reports a socket the container waited for.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "deploy/netproxy.h"
#include "libos/pal_realm.h"

static struct sockaddr_in loop4(uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

/* A host port nobody uses right now. */
static uint16_t free_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = loop4(0);
	socklen_t l = sizeof(a);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	getsockname(s, (struct sockaddr *)&a, &l);
	close(s);
	return ntohs(a.sin_port);
}

static void test_private_loopback(void **state)
{
	struct netproxy *a = netproxy_new(NULL, 0), *b = netproxy_new(NULL, 0);
	uint16_t cport = free_port();
	struct sockaddr_in ca = loop4(cport), got;
	uint32_t gl = sizeof(got);

	int s1 = netproxy_socket(a, AF_INET, SOCK_STREAM, 0);
	int s2 = netproxy_socket(a, AF_INET, SOCK_STREAM, 0);
	int s3 = netproxy_socket(b, AF_INET, SOCK_STREAM, 0);
	assert_true(s1 >= 0 && s2 >= 0 && s3 >= 0);
	assert_int_equal(netproxy_bind(a, s1, &ca, sizeof(ca)), 0);
	assert_int_equal(netproxy_bind(a, s2, &ca, sizeof(ca)), -EADDRINUSE);
	assert_int_equal(netproxy_bind(b, s3, &ca, sizeof(ca)), 0); /* another container */
	assert_int_equal(netproxy_listen(a, s1, 4), 0);
	assert_int_equal(netproxy_getname(a, s1, false, &got, &gl), 0);
	assert_int_equal(ntohs(got.sin_port), cport);

	/* the container port is not the host port */
	int h = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_not_equal(connect(h, (struct sockaddr *)&ca, sizeof(ca)), 0);
	close(h);

	/* a client of the same container reaches it; the other container's port refuses */
	int c = netproxy_socket(a, AF_INET, SOCK_STREAM, 0);
	int r = netproxy_connect(a, c, &ca, sizeof(ca));
	assert_true(r == 0 || r == -EINPROGRESS);
	struct sockaddr_in other = loop4((uint16_t)(cport == 65535 ? 1 : cport + 1));
	int c2 = netproxy_socket(a, AF_INET, SOCK_STREAM, 0);
	assert_int_equal(netproxy_connect(a, c2, &other, sizeof(other)), -ECONNREFUSED);
	int acc = -EAGAIN;
	for (int i = 0; i < 200 && acc == -EAGAIN; i++) {
		gl = sizeof(got);
		acc = netproxy_accept(a, s1, &got, &gl);
		if (acc == -EAGAIN)
			usleep(5000);
	}
	assert_true(acc >= 0);
	assert_int_equal(netproxy_send(a, c, "hi", 2, 0, NULL, 0), 2);
	char buf[4];
	long n = -EAGAIN;
	for (int i = 0; i < 200 && n == -EAGAIN; i++) {
		n = netproxy_recv(a, acc, buf, sizeof(buf), 0, NULL, NULL);
		if (n == -EAGAIN)
			usleep(5000);
	}
	assert_int_equal(n, 2);
	assert_memory_equal(buf, "hi", 2);

	/* only the container's loopback can be bound */
	struct sockaddr_in ext = loop4(80);
	ext.sin_addr.s_addr = htonl(0x08080808);
	int s4 = netproxy_socket(a, AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(netproxy_bind(a, s4, &ext, sizeof(ext)), -EADDRNOTAVAIL);
	assert_int_equal(netproxy_bind(a, s4, &ca, 3), -EINVAL);
	netproxy_free(a);
	netproxy_free(b);
}

static void test_publish(void **state)
{
	uint16_t hp = free_port();
	struct rb_publish pub = {.host_port = hp, .container_port = 80};
	struct netproxy *np = netproxy_new(&pub, 1);
	struct sockaddr_in ca = loop4(80), ha = loop4(hp);

	int s = netproxy_socket(np, AF_INET, SOCK_STREAM, 0);
	assert_int_equal(netproxy_bind(np, s, &ca, sizeof(ca)), 0);
	assert_int_equal(netproxy_listen(np, s, 4), 0);
	int h = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(h, (struct sockaddr *)&ha, sizeof(ha)), 0);
	close(h);
	netproxy_free(np);
}

static void test_serve_bad_input(void **state)
{
	struct netproxy *np = netproxy_new(NULL, 0);
	uint8_t buf[4096];
	uint64_t out[4];

	memset(buf, 0, sizeof(buf));
	uint64_t g1[5] = {PRN_SEND, 77, 10, 0, 0};
	netproxy_serve(np, g1, buf, sizeof(buf), out);
	assert_int_equal((int64_t)out[0], -EBADF);
	uint64_t g2[5] = {999, 0, 0, 0, 0};
	netproxy_serve(np, g2, buf, sizeof(buf), out);
	assert_int_equal((int64_t)out[0], -ENOSYS);
	uint64_t g3[5] = {PRN_SOCKET, AF_INET, SOCK_STREAM, 0, 0};
	netproxy_serve(np, g3, buf, sizeof(buf), out);
	int h = (int)out[0];
	assert_true(h >= 0);
	/* an address length past the buffer is clamped, not trusted */
	uint64_t g4[5] = {PRN_BIND, (uint64_t)h, 1ULL << 40, 0, 0};
	netproxy_serve(np, g4, buf, sizeof(buf), out);
	assert_true((int64_t)out[0] < 0);
	/* a receive longer than the buffer is clamped too */
	uint64_t g5[5] = {PRN_RECV, (uint64_t)h, 1ULL << 40, 0, 0};
	size_t back = netproxy_serve(np, g5, buf, sizeof(buf), out);
	assert_true(back <= sizeof(buf));
	uint64_t g6[5] = {PRN_CLOSE, (uint64_t)h, 0, 0, 0};
	netproxy_serve(np, g6, buf, sizeof(buf), out);
	assert_int_equal(netproxy_poll(np, h, POLLIN), POLLNVAL);
	netproxy_free(np);
}

static int notified;
static pthread_mutex_t nmu = PTHREAD_MUTEX_INITIALIZER;

static void notify(void *arg)
{
	pthread_mutex_lock(&nmu);
	notified++;
	pthread_mutex_unlock(&nmu);
}

static void test_watcher(void **state)
{
	struct netproxy *np = netproxy_new(NULL, 0);
	struct sockaddr_in ca = loop4(5000);
	int u = netproxy_socket(np, AF_INET, SOCK_DGRAM, 0);
	int v = netproxy_socket(np, AF_INET, SOCK_DGRAM, 0);
	char b[8];

	assert_int_equal(netproxy_watch(np, notify, NULL), 0);
	assert_int_equal(netproxy_bind(np, u, &ca, sizeof(ca)), 0);
	assert_int_equal(netproxy_recv(np, u, b, sizeof(b), 0, NULL, NULL), -EAGAIN);
	usleep(50000);
	pthread_mutex_lock(&nmu);
	assert_int_equal(notified, 0);
	pthread_mutex_unlock(&nmu);
	assert_int_equal(netproxy_send(np, v, "x", 1, 0, &ca, sizeof(ca)), 1);
	int seen = 0;
	for (int i = 0; i < 400 && !seen; i++) {
		pthread_mutex_lock(&nmu);
		seen = notified;
		pthread_mutex_unlock(&nmu);
		usleep(5000);
	}
	assert_true(seen >= 1);
	netproxy_free(np);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_private_loopback),
		cmocka_unit_test(test_publish),
		cmocka_unit_test(test_serve_bad_input),
		cmocka_unit_test(test_watcher),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
