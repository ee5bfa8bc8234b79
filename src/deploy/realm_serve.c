/*
 * The realm deployment's host services to the System Realm (Fasco,
 * DESIGN.md §3): its host calls, each naming the container it is for
 * (files of that container's rootfs, its console streams, its manifest,
 * its pool's growth, its network proxy, answers to the runtime's
 * commands), the RIPAS changes it asks for, and a lying file server for
 * the attack tests. The host never sees a request's content.
 */
#include "deploy/realm_int.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arch/rsi.h"
#include "arch/s2tt.h"
#include "deploy/deploy_common.h"
#include "host/host.h"

/* PRH_GROW: n more fresh granules for container h's pool; the pool's size. */
static uint64_t pool_grow(struct ct_host *h, uint64_t n)
{
	uint64_t base = RCT_POOL_IPA + h->pool_n * PG;

	if (n > h->pool_max - h->pool_n)
		n = h->pool_max - h->pool_n;
	pthread_mutex_lock(&M.build_mu);
	/* level-3 tables split the RIPAS RAM blocks made at build */
	for (uint64_t a = ALIGN_DOWN(base, RTT_LEVEL_SIZE(2)); a < base + n * PG;
	     a += RTT_LEVEL_SIZE(2))
		if (hrealm_rtt_path(&h->ct, a < base ? base : a)) {
			pthread_mutex_unlock(&M.build_mu);
			return h->pool_n;
		}
	if (n && hrealm_data_range(&h->ct, base, n, false) == 0)
		h->pool_n += n;
	pthread_mutex_unlock(&M.build_mu);
	/* a partial failure leaves DATA the System Realm does not know of: torn down at the end */
	return h->pool_n;
}

/*
 * Which container's PRH_OPEN gave each host file descriptor (its slot + 1;
 * 0: none's). PRH_PREAD and PRH_CLOSE act only on the caller's own, so a
 * System Realm serving several containers cannot read or close one's host
 * files for another. Descriptors past FD_OWNER_MAX are not handed out.
 */
#define FD_OWNER_MAX 4096
static uint8_t fd_owner[FD_OWNER_MAX];

static uint8_t slot1(const struct ct_host *h)
{
	return (uint8_t)(h - M.cts + 1);
}

static bool fd_owned(const struct ct_host *h, uint64_t fd)
{
	return fd < FD_OWNER_MAX && fd_owner[fd] == slot1(h);
}

static int host_open(struct ct_host *h, const char *path)
{
	int fd = deploy_rootfs_open(&h->rootfs, path);

	if (fd >= FD_OWNER_MAX) {
		close(fd);
		return -EMFILE;
	}
	if (fd >= 0)
		fd_owner[fd] = slot1(h);
	return fd;
}

void realm_serve_ct_files_close(struct ct_host *h)
{
	for (int fd = 0; fd < FD_OWNER_MAX; fd++) {
		if (fd_owner[fd] == slot1(h)) {
			fd_owner[fd] = 0;
			close(fd);
		}
	}
}

void realm_ns_write(const void *buf, size_t len)
{
	host_mem_write(M.ns_base_pa, buf, len);
}

void realm_ns_read(void *buf, size_t len)
{
	host_mem_read(M.ns_base_pa, buf, len);
}

/* ---- a lying file server for the attack tests (realm_test_lie) ---- */

static struct {
	enum realm_lie mode;
	char path[256], other[256];
	int fd; /* the open file being lied about, -1: none */
	bool sent;
} liar = {.fd = -1};

void realm_test_lie(enum realm_lie mode, const char *path, const char *other)
{
	liar.mode = mode;
	snprintf(liar.path, sizeof(liar.path), "%s", path ? path : "");
	snprintf(liar.other, sizeof(liar.other), "%s", other ? other : "");
	liar.fd = -1;
}

static int liar_open(struct ct_host *h, const char *path, int fd)
{
	if (liar.mode == REALM_LIE_NONE || fd < 0 || strcmp(path, liar.path) != 0)
		return fd;
	if (liar.mode == REALM_LIE_OTHER_FILE) {
		close(fd);
		fd = host_open(h, liar.other);
	}
	liar.fd = fd;
	liar.sent = false;
	return fd;
}

/* pread's answer r (bytes in buf) for the file being lied about. */
static ssize_t liar_pread(int fd, uint8_t *buf, size_t n, ssize_t r)
{
	if (fd != liar.fd || r < 0)
		return r;
	switch (liar.mode) {
	case REALM_LIE_BYTES:
		if (r > 0)
			buf[r / 2] ^= 1;
		break;
	case REALM_LIE_TRUNCATE:
		r = liar.sent ? 0 : r / 2;
		break;
	case REALM_LIE_GROW:
		if (r == 0 && n > 0) {
			buf[0] = 'x';
			r = 1;
		}
		break;
	case REALM_LIE_SHORT:
		r = r > 3 ? 3 : r;
		break;
	default:
		break;
	}
	liar.sent = true;
	return r;
}

/* One host call of the System Realm: the answer's gprs in out[0..]. */

void realm_serve_host_call(const struct rmi_rec_exit *ex, uint64_t *out)
{
	const uint64_t *a = ex->gprs;
	static uint8_t buf[1 << 20];

	M.host_calls++;
	memset(out, 0, RMI_REC_GPRS * sizeof(uint64_t));
	/*
	 * The call names the container it is for (pal_realm.h PRH_IMM): a
	 * Container Realm bound to this System Realm, or (PRH_RESULT) the slot
	 * of the command being served. Only PRH_SLEEP, and a PRH_RESULT for a
	 * command naming no slot, may name none.
	 */
	unsigned call = PRH_IMM_CALL(ex->imm), ct1 = PRH_IMM_CT1(ex->imm);
	struct ct_host *h = ct1 && ct1 <= PAL_REALM_MAX_CTS ? &M.cts[ct1 - 1] : NULL;
	bool answer = call == PRH_RESULT && M.inflight && ct1 == M.inflight_ct + 1;
	if (ex->imm > 0xFFFF || (ct1 && (!h || !(h->bound || answer))) ||
	    (ct1 == 0 && call != PRH_SLEEP && call != PRH_RESULT)) {
		if (!M.bad_ct_logged)
			fprintf(stderr,
				"realmbox: System Realm host call %u names container %u: "
				"not a Container Realm bound to it (refused)\n",
				call, ct1 ? ct1 - 1 : 0);
		M.bad_ct_logged = true;
		out[0] = (uint64_t)-EINVAL;
		return;
	}
	switch (call) {
	case PRH_CONSOLE_WRITE: {
		size_t n = a[1] < M.ns_size ? a[1] : M.ns_size;
		int fd = a[0] >= 3 && a[0] < LIBOS_CONSOLE_MAX ? h->xfds[a[0]]
							       : h->fds[a[0] == 2 ? 2 : 1];
		if (fd < 0) {
			out[0] = (uint64_t)-EPIPE; /* an exec session that ended */
			break;
		}
		realm_ns_read(buf, n);
		size_t done = 0;
		while (done < n) {
			ssize_t w = write(fd, buf + done, n - done);
			if (w < 0) {
				if (errno == EINTR)
					continue;
				break;
			}
			done += (size_t)w;
		}
		out[0] = done ? done : (n ? (uint64_t)-EPIPE : 0);
		break;
	}
	case PRH_CONSOLE_READ: {
		size_t n = a[1] < M.ns_size ? a[1] : M.ns_size;
		/* never block the System Realm's vCPU: it sleeps a while on its own */
		int rfd = a[0] >= 3 && a[0] < LIBOS_CONSOLE_MAX ? h->xfds[a[0]] : h->fds[0];
		if (rfd < 0) {
			out[0] = 0; /* EOF */
			break;
		}
		struct pollfd p = {rfd, POLLIN, 0};
		int r = poll(&p, 1, 0);
		if (r <= 0) {
			out[0] = (uint64_t)-EAGAIN;
			break;
		}
		ssize_t got = read(rfd, buf, n);
		if (got < 0) {
			out[0] = (uint64_t)(errno == EINTR || errno == EAGAIN ? -EAGAIN : -errno);
			break;
		}
		realm_ns_write(buf, (size_t)got);
		out[0] = (uint64_t)got;
		break;
	}
	case PRH_OPEN: {
		char path[4097];
		size_t n = a[0] < sizeof(path) - 1 ? a[0] : sizeof(path) - 1;
		if (n > M.ns_size)
			n = M.ns_size;
		realm_ns_read(path, n);
		path[n] = 0;
		out[0] = (uint64_t)(int64_t)liar_open(h, path, host_open(h, path));
		break;
	}
	case PRH_PREAD: {
		size_t n = a[1] < M.ns_size ? a[1] : M.ns_size;
		if (!fd_owned(h, a[0])) {
			out[0] = (uint64_t)-EBADF; /* not a file this container opened */
			break;
		}
		ssize_t r = liar_pread((int)a[0], buf, n, pread((int)a[0], buf, n, (off_t)a[2]));
		if (r < 0) {
			out[0] = (uint64_t)-errno;
			break;
		}
		realm_ns_write(buf, (size_t)r);
		out[0] = (uint64_t)r;
		break;
	}
	case PRH_CLOSE:
		/* only a handle this container's PRH_OPEN gave (never a rootfs or console one) */
		if (!fd_owned(h, a[0])) {
			out[0] = (uint64_t)-EBADF;
			break;
		}
		fd_owner[a[0]] = 0;
		close((int)a[0]);
		if ((int)a[0] == liar.fd)
			liar.fd = -1;
		break;
	case PRH_SLEEP: {
		struct timespec ts = {(time_t)(a[0] / 1000000000ULL), (long)(a[0] % 1000000000ULL)};
		nanosleep(&ts, NULL);
		break;
	}
	case PRH_MANIFEST: {
		uint64_t off = a[0], n = a[1] < M.ns_size ? a[1] : M.ns_size;
		if (off > h->manifest_len)
			off = h->manifest_len;
		if (n > h->manifest_len - off)
			n = h->manifest_len - off;
		realm_ns_write(h->manifest + off, n);
		out[0] = n;
		out[1] = h->manifest_len;
		break;
	}
	case PRH_GROW:
		out[0] = pool_grow(h, a[0]);
		break;
	case PRH_NET: {
		/* only the bytes the operation passes in: an address, and data for a send */
		size_t in = PRN_DATA_OFF;
		if (a[0] == PRN_SEND)
			in += a[2] < M.ns_size - PRN_DATA_OFF ? a[2] : M.ns_size - PRN_DATA_OFF;
		realm_ns_read(buf, in);
		size_t back = netproxy_serve(h->np, a, buf, M.ns_size, out);
		if (back)
			realm_ns_write(buf, back);
		break;
	}
	case PRH_MTIMES: {
		/* mtime is not measured (host/manifest.h): untrusted metadata, as the host says */
		uint64_t first = a[0], n = a[1], cap = M.ns_size / 8, k = 0;
		if (n > cap)
			n = cap;
		for (; k < n && first + k < h->mf->n; k++)
			((uint64_t *)buf)[k] = h->mf->entries[first + k].mtime_sec;
		realm_ns_write(buf, k * 8);
		out[0] = k;
		break;
	}
	case PRH_PS: {
		/* the System Realm's answer to PRH_CMD_PS: checked, never trusted blindly */
		uint64_t n = a[0];

		if (n > M.ns_size / sizeof(struct pal_realm_ps))
			n = M.ns_size / sizeof(struct pal_realm_ps);
		realm_ns_read(buf, n * sizeof(struct pal_realm_ps));
		realm_ps_answer(h, buf, n);
		break;
	}
	case PRH_RESULT:
		realm_result_answer(ct1, (int64_t)a[0]);
		break;
	case PRH_LOG: {
		size_t n = a[0] < sizeof(buf) - 1 ? a[0] : sizeof(buf) - 1;
		if (n > M.ns_size)
			n = M.ns_size;
		if (a[1] > (uint64_t)h->log_level)
			break; /* more verbose than whoever runs it asked for */
		realm_ns_read(buf, n);
		for (size_t i = 0; i < n; i++) /* one line of text, whatever it sent */
			if (buf[i] < 0x20 || buf[i] >= 0x7f)
				buf[i] = '?';
		dprintf(h->log_fd >= 0 ? h->log_fd : 2, "realmbox%.*s\n", (int)n, (char *)buf);
		break;
	}
	default:
		out[0] = (uint64_t)-ENOSYS;
		break;
	}
}

/*
 * The System Realm asks for RIPAS RAM again (RSI_IPA_STATE_SET): only for
 * the channel pages of the slot it is dropping (PRH_CMD_DROP_CT), whose
 * channels the host destroyed. Whether the host accepts (RTT_SET_RIPAS).
 */
bool realm_ripas_answer(const struct rmi_rec_exit *ex)
{
	uint64_t base = ex->ripas_base, top = ex->ripas_top;
	unsigned c = M.inflight_ct;
	struct smc_regs r;

	if (M.inflight != PRH_CMD_DROP_CT || ex->ripas_value != RIPAS_RAM || base >= top ||
	    base < realm_chan_ipa(c, 0) || top > realm_chan_ipa(c, RSYS_NCHAN))
		return false;
	pthread_mutex_lock(&M.build_mu);
	while (base < top) {
		if (hrealm_rmi(SMC_RMI_RTT_SET_RIPAS, M.sys.rd, M.sys.recs[0].rec, base, top, 0,
			       &r) != RMI_SUCCESS ||
		    r.x[1] <= base || r.x[1] > top)
			break;
		base = r.x[1];
	}
	pthread_mutex_unlock(&M.build_mu);
	return base == top;
}
