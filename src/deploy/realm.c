/*
 * The realm deployment's host side (Fasco, DESIGN.md §3 and §4): boots the
 * emulated machine, builds the System Realm and one Container Realm through
 * real RMI calls, schedules their RECs and serves the System Realm's host
 * calls (file server, console, sleeping), then tears everything down and
 * gives every granule back.
 *
 *   System Realm (kind SYSTEM): RTTs, RTT_INIT_RIPAS, DATA_CREATE_UNKNOWN
 *   for its memory (host-call struct, register block, bounce buffer, the
 *   kernel's memory), an NS buffer mapped with RTT_MAP_UNPROTECTED, one REC
 *   whose pc is the System Realm kernel (deploy/realm_sys.c, a native
 *   guest), REALM_ACTIVATE.
 *   Container Realm (kind CONTAINER, bound to it): the start configuration
 *   (manifest digest + OCI process configuration) measured with DATA_CREATE
 *   at RCT_CONFIG_IPA, a pool of DATA_CREATE_UNKNOWN granules for container
 *   memory (RIPAS RAM up to its maximum, granules created as the System
 *   Realm asks: PRH_GROW), up to 31 RECs (its processes: the A64 engine),
 *   REALM_ACTIVATE, a channel per REC (CHANNEL_CREATE).
 *
 * The scheduler (sched_run) gives every container REC the System Realm lets
 * run a host thread that enters it; a forward exit marks its channel
 * pending. The calling thread runs the System Realm's REC: it answers the
 * kernel's PRH_IDLE host call with the pending channels (SERVE), a signal
 * for init (SIGNAL) or a timeout (TICK), serves its host calls until it is
 * idle again, and lets the RECs it completed run. The host never sees a
 * request's content; the container's status comes from the System Realm
 * (PRH_IDLE, or REC 0's RB_EXITED). One container per machine for now.
 */
#include "deploy/realm.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "arch/fasco.h"
#include "arch/rmi.h"
#include "arch/rsi.h"
#include "arch/s2tt.h"
#include "boot/machine.h"
#include "deploy/deploy_common.h"
#include "deploy/netproxy.h"
#include "deploy/none.h"
#include "deploy/realm_build.h"
#include "deploy/realm_host.h"
#include "deploy/realm_recipe.h"
#include "host/host.h"
#include "host/machine_keys.h"
#include "host/manifest.h"
#include "libos/libos.h"
#include "libos/pal_realm.h"
#include "plat/plat.h"

/*
 * Exitless forwarding (docs/fasco-abi.md), on unless REALMBOX_EXITLESS=0:
 * container RECs wait in the RMM for their result and the System Realm
 * polls the channels this long before it idles.
 */
#define EXITLESS_POLL_NS 100000ULL
static bool exitless_on(void)
{
	static int on = -1; /* read once: the environment does not change */

	if (on < 0) {
		const char *e = getenv("REALMBOX_EXITLESS");

		on = !(e && strcmp(e, "0") == 0);
	}
	return on;
}

/* ---- the host's services to the System Realm ------------------------------------ */

static struct {
	int rootfd;
	int fds[3];
	int xfds[LIBOS_CONSOLE_MAX]; /* realm_exec's processes' console streams (-1: none) */
	uint64_t ns_base_pa;	     /* the NS buffer, contiguous */
	size_t ns_size;
	uint8_t *manifest;
	size_t manifest_len;
	const struct rb_manifest *mf;
	uint64_t host_calls;
	struct hrealm *ct;	   /* PRH_GROW: the container's pool */
	struct netproxy *np;	   /* PRH_NET: the container's host network proxy */
	uint64_t pool_n, pool_max; /* granules created / allowed */
	bool bad_ct_logged;	   /* a host call named a container not bound here (said once) */
} hs;

/* PRH_GROW: n more fresh granules for the container's pool; the pool's size. */
static uint64_t pool_grow(uint64_t n)
{
	uint64_t base = RCT_POOL_IPA + hs.pool_n * PG;

	if (n > hs.pool_max - hs.pool_n)
		n = hs.pool_max - hs.pool_n;
	/* level-3 tables split the RIPAS RAM blocks made at build */
	for (uint64_t a = ALIGN_DOWN(base, RTT_LEVEL_SIZE(2)); a < base + n * PG;
	     a += RTT_LEVEL_SIZE(2))
		if (hrealm_rtt_path(hs.ct, a < base ? base : a))
			return hs.pool_n;
	if (n && hrealm_data_range(hs.ct, base, n, false) == 0)
		hs.pool_n += n;
	/* a partial failure leaves DATA the System Realm does not know of: torn down at the end */
	return hs.pool_n;
}

static int host_open(const char *path)
{
	return deploy_rootfs_open(hs.rootfd, path);
}

static void ns_write(const void *buf, size_t len)
{
	host_mem_write(hs.ns_base_pa, buf, len);
}

static void ns_read(void *buf, size_t len)
{
	host_mem_read(hs.ns_base_pa, buf, len);
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

static int liar_open(const char *path, int fd)
{
	if (liar.mode == REALM_LIE_NONE || fd < 0 || strcmp(path, liar.path) != 0)
		return fd;
	if (liar.mode == REALM_LIE_OTHER_FILE) {
		close(fd);
		fd = host_open(liar.other);
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
static void ps_answer(const uint8_t *buf, uint64_t n);
static void outside_answer(int64_t result);

static void serve_host_call(const struct rmi_rec_exit *ex, uint64_t *out)
{
	const uint64_t *a = ex->gprs;
	static uint8_t buf[1 << 20];

	hs.host_calls++;
	memset(out, 0, RMI_REC_GPRS * sizeof(uint64_t));
	/*
	 * The call names the container it is for (pal_realm.h PRH_IMM): one
	 * Container Realm is bound to this System Realm, index 0; only
	 * PRH_SLEEP may name none.
	 */
	unsigned call = PRH_IMM_CALL(ex->imm), ct1 = PRH_IMM_CT1(ex->imm);
	if (ex->imm > 0xFFFF || ct1 > 1 || (ct1 == 0 && call != PRH_SLEEP)) {
		if (!hs.bad_ct_logged)
			fprintf(stderr,
				"realmbox: System Realm host call %u names container %u: "
				"not a Container Realm bound to it (refused)\n",
				call, ct1 ? ct1 - 1 : 0);
		hs.bad_ct_logged = true;
		out[0] = (uint64_t)-EINVAL;
		return;
	}
	switch (call) {
	case PRH_CONSOLE_WRITE: {
		size_t n = a[1] < hs.ns_size ? a[1] : hs.ns_size;
		int fd = a[0] >= 3 && a[0] < LIBOS_CONSOLE_MAX ? hs.xfds[a[0]]
							       : hs.fds[a[0] == 2 ? 2 : 1];
		if (fd < 0) {
			out[0] = (uint64_t)-EPIPE; /* an exec session that ended */
			break;
		}
		ns_read(buf, n);
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
		size_t n = a[1] < hs.ns_size ? a[1] : hs.ns_size;
		/* never block the System Realm's vCPU: it sleeps a while on its own */
		int rfd = a[0] >= 3 && a[0] < LIBOS_CONSOLE_MAX ? hs.xfds[a[0]] : hs.fds[0];
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
		ns_write(buf, (size_t)got);
		out[0] = (uint64_t)got;
		break;
	}
	case PRH_OPEN: {
		char path[4097];
		size_t n = a[0] < sizeof(path) - 1 ? a[0] : sizeof(path) - 1;
		if (n > hs.ns_size)
			n = hs.ns_size;
		ns_read(path, n);
		path[n] = 0;
		out[0] = (uint64_t)(int64_t)liar_open(path, host_open(path));
		break;
	}
	case PRH_PREAD: {
		size_t n = a[1] < hs.ns_size ? a[1] : hs.ns_size;
		ssize_t r = liar_pread((int)a[0], buf, n, pread((int)a[0], buf, n, (off_t)a[2]));
		if (r < 0) {
			out[0] = (uint64_t)-errno;
			break;
		}
		ns_write(buf, (size_t)r);
		out[0] = (uint64_t)r;
		break;
	}
	case PRH_CLOSE:
		if ((int)a[0] > 2 && (int)a[0] != hs.rootfd)
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
		uint64_t off = a[0], n = a[1] < hs.ns_size ? a[1] : hs.ns_size;
		if (off > hs.manifest_len)
			off = hs.manifest_len;
		if (n > hs.manifest_len - off)
			n = hs.manifest_len - off;
		ns_write(hs.manifest + off, n);
		out[0] = n;
		out[1] = hs.manifest_len;
		break;
	}
	case PRH_GROW:
		out[0] = pool_grow(a[0]);
		break;
	case PRH_NET: {
		/* only the bytes the operation passes in: an address, and data for a send */
		size_t in = PRN_DATA_OFF;
		if (a[0] == PRN_SEND)
			in += a[2] < hs.ns_size - PRN_DATA_OFF ? a[2] : hs.ns_size - PRN_DATA_OFF;
		ns_read(buf, in);
		size_t back = netproxy_serve(hs.np, a, buf, hs.ns_size, out);
		if (back)
			ns_write(buf, back);
		break;
	}
	case PRH_MTIMES: {
		/* mtime is not measured (host/manifest.h): untrusted metadata, as the host says */
		uint64_t first = a[0], n = a[1], cap = hs.ns_size / 8, k = 0;
		if (n > cap)
			n = cap;
		for (; k < n && first + k < hs.mf->n; k++)
			((uint64_t *)buf)[k] = hs.mf->entries[first + k].mtime_sec;
		ns_write(buf, k * 8);
		out[0] = k;
		break;
	}
	case PRH_PS: {
		/* the System Realm's answer to PRH_CMD_PS: checked, never trusted blindly */
		uint64_t n = a[0];

		if (n > hs.ns_size / sizeof(struct pal_realm_ps))
			n = hs.ns_size / sizeof(struct pal_realm_ps);
		ns_read(buf, n * sizeof(struct pal_realm_ps));
		ps_answer(buf, n);
		break;
	}
	case PRH_RESULT:
		outside_answer((int64_t)a[0]);
		break;
	case PRH_LOG: {
		size_t n = a[0] < sizeof(buf) - 1 ? a[0] : sizeof(buf) - 1;
		if (n > hs.ns_size)
			n = hs.ns_size;
		ns_read(buf, n);
		fprintf(stderr, "realmbox: system realm: %.*s\n", (int)n, (char *)buf);
		break;
	}
	default:
		out[0] = (uint64_t)-ENOSYS;
		break;
	}
}

/*
 * Run the System Realm REC, first answering its idle host call with cmd and
 * arg, and serve its host calls until it is idle again (0, its idle
 * arguments in idle[0..2]) or fails (-EIO).
 */
static int run_sys(struct hrealm *sys, uint64_t cmd, uint64_t arg, uint64_t idle[3],
		   struct realm_counts *cnt)
{
	struct rmi_rec_exit ex;
	/* the answer to PRH_IDLE: the command, its argument, the poll budget (exitless) */
	uint64_t g[RMI_REC_GPRS] = {cmd, arg, exitless_on() ? EXITLESS_POLL_NS : 0};

	for (;;) {
		cnt->sys_entries++;
		uint64_t st = hrealm_enter(&sys->recs[0], g, RMI_REC_GPRS, &ex);
		if (st != RMI_SUCCESS)
			return hrealm_fail(-EIO, "REC_ENTER of the System Realm: %s",
					   host_rmi_status_name(st));
		if (ex.exit_reason == RMI_EXIT_IRQ) {
			memset(g, 0, sizeof(g));
			continue;
		}
		if (ex.exit_reason != RMI_EXIT_HOST_CALL)
			return hrealm_fail(-EIO, "System Realm exit %llu (esr 0x%llx)",
					   (unsigned long long)ex.exit_reason,
					   (unsigned long long)ex.esr);
		if (ex.imm == PRH_IDLE) {
			memcpy(idle, ex.gprs, 3 * sizeof(uint64_t));
			return 0;
		}
		cnt->host_calls++;
		serve_host_call(&ex, g);
	}
}

/* ---- the REC scheduler ------------------------------------------------------------ */

/*
 * Every container REC the System Realm lets run has a host thread that
 * enters it and, at a forward exit, marks its channel pending for the
 * System Realm; the calling thread runs the System Realm REC (one vCPU),
 * handing it the pending channels and letting the RECs it completed run.
 */
static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv_sys; /* the System Realm has something to do */
	pthread_cond_t cv_rec; /* RECs may run, or stop */
	struct hrealm *ct;
	struct realm_counts *cnt;
	uint64_t pending; /* channels forwarded, not yet handed to the System Realm */
	uint64_t go;	  /* RECs the host may enter */
	uint64_t started; /* RECs with a thread */
	pthread_t th[HREC_MAX];
	bool stop, running;
	bool have_status;
	int status;
	uint64_t signals;     /* for the container's init (deploy_kill): bit sig-1 */
	bool net_ready;	      /* the network proxy's watcher: a socket the container waits for */
	bool ps_req, ps_done; /* realm_ps: asked of the System Realm, answered */
	uint64_t ocmd, oarg;  /* an outside command (exec) for the System Realm, pending */
	const void *odata;    /* its request for the NS buffer */
	size_t olen;
	void *obuf; /* where the answer's bytes in the NS buffer go (or NULL) */
	size_t ocap;
	bool obusy, odone; /* one at a time; answered (PRH_RESULT) */
	int64_t oresult;
	uint64_t c0[PLAT_CNT_NR]; /* platform counters when the container started */
	pthread_cond_t cv_ps;
	struct rb_proc_info ps[64];
	int ps_n;
	int err;
	char id[256];
} S = {.mu = PTHREAD_MUTEX_INITIALIZER,
       .cv_sys = PTHREAD_COND_INITIALIZER,
       .cv_rec = PTHREAD_COND_INITIALIZER,
       .cv_ps = PTHREAD_COND_INITIALIZER};

/* Stop everything (S.mu held). */
static void sched_stop(void)
{
	S.stop = true;
	pthread_cond_broadcast(&S.cv_rec);
	pthread_cond_signal(&S.cv_sys);
}

static void *ct_thread(void *arg)
{
	unsigned k = (unsigned)(uintptr_t)arg;
	uint64_t bit = 1ULL << k;
	struct hrec *hr = &S.ct->recs[k];
	struct rmi_rec_exit ex;

	pthread_mutex_lock(&S.mu);
	for (;;) {
		while (!(S.go & bit) && !S.stop)
			pthread_cond_wait(&S.cv_rec, &S.mu);
		if (S.stop)
			break;
		S.go &= ~bit;
		S.cnt->ct_entries++;
		pthread_mutex_unlock(&S.mu);
		uint64_t st = hrealm_enter_flags(hr, NULL, 0,
						 exitless_on() ? REC_ENTER_FLAG_RB_EXITLESS : 0, &ex);
		pthread_mutex_lock(&S.mu);
		if (st != RMI_SUCCESS && k != 0 &&
		    RMI_STATUS_CODE(st) == RMI_STATUS_CODE(RMI_ERROR_REC))
			continue; /* a child's REC the System Realm is rebuilding: it says when */
		if (st != RMI_SUCCESS) {
			S.err = hrealm_fail(-EIO, "REC_ENTER of container REC %u: %s", k,
					    host_rmi_status_name(st));
			sched_stop();
			break;
		}
		if (ex.exit_reason == RMI_EXIT_IRQ) {
			S.go |= bit;
		} else if (ex.exit_reason == RMI_EXIT_RB_FORWARD) {
			S.cnt->forwards++;
			S.pending |= bit;
			pthread_cond_signal(&S.cv_sys);
		} else if (ex.exit_reason == RMI_EXIT_RB_EXITED) {
			if (k == 0 && !S.have_status) {
				/* the init process: the container is over */
				S.have_status = true;
				S.status = (int)(ex.gprs[0] & 0xFF);
				sched_stop();
			}
		} else {
			S.err = hrealm_fail(-EIO, "container REC %u exit %llu", k,
					    (unsigned long long)ex.exit_reason);
			sched_stop();
			break;
		}
	}
	pthread_mutex_unlock(&S.mu);
	return NULL;
}

/* Let the RECs in `bits` run, with a thread each (S.mu held). */
static int sched_go(uint64_t bits)
{
	bits &= (S.ct->nrecs >= 64 ? ~0ULL : (1ULL << S.ct->nrecs) - 1);
	S.go |= bits;
	for (unsigned k = 0; k < S.ct->nrecs; k++) {
		if (!(bits & (1ULL << k)) || (S.started & (1ULL << k)))
			continue;
		if (pthread_create(&S.th[k], NULL, ct_thread, (void *)(uintptr_t)k) != 0)
			return hrealm_fail(-EAGAIN,
					   "cannot start a host thread for container REC %u", k);
		S.started |= 1ULL << k;
	}
	pthread_cond_broadcast(&S.cv_rec);
	return 0;
}

/* Run the container until its init ends; the System Realm runs on this thread. */
static int sched_run(struct hrealm *sys, struct hrealm *ct, struct realm_counts *cnt)
{
	uint64_t idle[3] = {0}, cmd = 0, arg = 0;
	int r;

	pthread_mutex_lock(&S.mu);
	S.ct = ct;
	S.cnt = cnt;
	S.pending = S.go = S.started = 0;
	S.stop = S.have_status = false;
	S.signals = 0;
	S.net_ready = false;
	S.err = 0;
	S.running = true;
	r = sched_go(1); /* REC 0: its first entry posts START */
	while (r == 0) {
		pthread_mutex_unlock(&S.mu);
		r = run_sys(sys, cmd, arg, idle, cnt);
		pthread_mutex_lock(&S.mu);
		if (r)
			break;
		if (idle[2] && !S.have_status) {
			S.have_status = true;
			S.status = (int)((idle[2] - 1) & 0xFF);
			sched_stop();
		}
		if ((r = sched_go(idle[1])))
			break;
		struct timespec dl;
		bool timed = idle[0] != UINT64_MAX;
		if (timed) {
			uint64_t ns = idle[0] > 3600ULL * 1000000000ULL ? 3600ULL * 1000000000ULL
									: idle[0];
			clock_gettime(CLOCK_REALTIME, &dl);
			dl.tv_sec += (time_t)(ns / 1000000000ULL);
			dl.tv_nsec += (long)(ns % 1000000000ULL);
			if (dl.tv_nsec >= 1000000000L) {
				dl.tv_sec++;
				dl.tv_nsec -= 1000000000L;
			}
		}
		/*
		 * Exitless: RECs it just let run will soon post again; enter the
		 * System Realm at once (a TICK if nothing else) so that it polls.
		 */
		int w = exitless_on() && idle[1] ? ETIMEDOUT : 0;
		while (!S.pending && !S.stop && !S.signals && !S.net_ready && !S.ps_req &&
		       !S.ocmd && w != ETIMEDOUT)
			w = timed ? pthread_cond_timedwait(&S.cv_sys, &S.mu, &dl)
				  : pthread_cond_wait(&S.cv_sys, &S.mu);
		if (S.stop)
			break;
		if (S.ocmd) {
			/* the System Realm is idle: its NS buffer is ours to fill */
			if (S.olen)
				ns_write(S.odata, S.olen);
			cmd = S.ocmd;
			arg = S.oarg;
			S.ocmd = 0;
		} else if (S.ps_req) {
			cmd = PRH_CMD_PS;
			arg = 0;
			S.ps_req = false;
		} else if (S.signals) {
			/* one at a time, lowest first (TERM then CONT from `timeout` both arrive)
			 */
			int sig = __builtin_ctzll(S.signals) + 1;
			cmd = PRH_CMD_SIGNAL;
			arg = (uint64_t)sig;
			S.signals &= ~(1ULL << (sig - 1));
		} else if (S.pending) {
			cmd = PRH_CMD_SERVE;
			arg = S.pending;
			S.pending = 0;
		} else if (S.net_ready) {
			cmd = PRH_CMD_NET;
			arg = 0;
			S.net_ready = false;
		} else {
			cmd = PRH_CMD_TICK;
			arg = 0;
		}
	}
	sched_stop();
	S.running = false;
	uint64_t started = S.started;
	pthread_mutex_unlock(&S.mu);
	for (unsigned k = 0; k < ct->nrecs; k++)
		if (started & (1ULL << k))
			pthread_join(S.th[k], NULL);
	if (r == 0)
		r = S.err;
	return r;
}

/* The network proxy's watcher (its own thread): let the System Realm wake its sleepers. */
static void net_notify(void *arg)
{
	pthread_mutex_lock(&S.mu);
	S.net_ready = true;
	pthread_cond_signal(&S.cv_sys);
	pthread_mutex_unlock(&S.mu);
}

static struct realm_test_view test_view;

int realm_test_view(struct realm_test_view *v)
{
	int r = -ESRCH;

	pthread_mutex_lock(&S.mu);
	if (S.running && !S.stop) {
		*v = test_view;
		r = 0;
	}
	pthread_mutex_unlock(&S.mu);
	return r;
}

int realm_kill(const char *id, int sig)
{
	int r = -ESRCH;

	if (sig <= 0 || sig > 64)
		return -EINVAL;
	pthread_mutex_lock(&S.mu);
	if (S.running && !S.stop && id && strcmp(id, S.id) == 0) {
		S.signals |= 1ULL << (sig - 1);
		pthread_cond_signal(&S.cv_sys);
		r = 0;
	}
	pthread_mutex_unlock(&S.mu);
	return r;
}

/* PRH_RESULT of PRH_CMD_STATS: its record is in the NS buffer now (read before answering). */
/* PRH_RESULT: the System Realm's answer to the pending outside command. */
static void outside_answer(int64_t result)
{
	pthread_mutex_lock(&S.mu);
	if (S.obuf != NULL && result > 0) {
		/* the answer's bytes, as long as the System Realm says they are */
		if ((uint64_t)result > S.ocap || (uint64_t)result > hs.ns_size)
			result = -EMSGSIZE;
		else
			ns_read(S.obuf, (size_t)result);
	}
	S.oresult = result;
	S.odone = true;
	pthread_cond_broadcast(&S.cv_ps);
	pthread_mutex_unlock(&S.mu);
}

/*
 * Ask the System Realm cmd/arg (with data for its NS buffer) and wait at
 * most 10 s for its PRH_RESULT. One at a time. -ESRCH if container id is
 * not running, -ETIMEDOUT.
 */
static int64_t outside(const char *id, uint64_t cmd, uint64_t arg, const void *data, size_t len,
		       void *out, size_t cap)
{
	struct timespec dl;
	int64_t r = -ESRCH;
	int w = 0;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 10;
	pthread_mutex_lock(&S.mu);
	while (S.obusy && S.running && !S.stop && w != ETIMEDOUT)
		w = pthread_cond_timedwait(&S.cv_ps, &S.mu, &dl);
	if (S.running && !S.stop && !S.obusy && id && strcmp(id, S.id) == 0) {
		S.obusy = true;
		S.odone = false;
		S.ocmd = cmd;
		S.oarg = arg;
		S.odata = data;
		S.olen = len;
		S.obuf = out;
		S.ocap = cap;
		pthread_cond_signal(&S.cv_sys);
		while (!S.odone && !S.stop && w != ETIMEDOUT)
			w = pthread_cond_timedwait(&S.cv_ps, &S.mu, &dl);
		r = S.odone ? S.oresult : S.stop ? -ESRCH : -ETIMEDOUT;
		S.ocmd = 0;
		S.obuf = NULL;
		S.obusy = false;
		pthread_cond_broadcast(&S.cv_ps);
	} else if (w == ETIMEDOUT) {
		r = -ETIMEDOUT;
	}
	pthread_mutex_unlock(&S.mu);
	return r;
}

int64_t realm_outside(const char *id, uint64_t cmd, uint64_t arg, const void *data, size_t len)
{
	return outside(id, cmd, arg, data, len, NULL, 0);
}

int64_t realm_outside_read(const char *id, uint64_t cmd, uint64_t arg, const void *data, size_t len,
			   void *out, size_t cap)
{
	return outside(id, cmd, arg, data, len, out, cap);
}

int realm_stats(const char *id, struct rb_live_stats *out)
{
	struct pal_realm_live lv;

	memset(out, 0, sizeof(*out));
	/* the record comes back through the NS buffer, as attest's token does */
	int64_t res = outside(id, PRH_CMD_STATS, 0, NULL, 0, &lv, sizeof(lv));
	pthread_mutex_lock(&S.mu);
	bool live = S.running && !S.stop;
	out->forwarded = S.cnt && live ? S.cnt->forwards : 0;
	pthread_mutex_unlock(&S.mu);
	if (res < 0)
		return (int)res;
	if (res != (int64_t)sizeof(lv))
		return -EIO;
	out->mem_bytes = lv.mem_pages * PG;
	out->pids = lv.pids;
	out->syscalls = lv.syscalls;
	out->syscalls_enosys = lv.enosys;
	out->oom_kills = lv.oom_kills;
	out->pids_refused = lv.pids_refused;
	out->has_rmm = true;
	out->rec_exits = plat_counter_read(PLAT_CNT_REC_EXIT) - S.c0[PLAT_CNT_REC_EXIT];
	out->world_switches =
		plat_counter_read(PLAT_CNT_WORLD_SWITCH) - S.c0[PLAT_CNT_WORLD_SWITCH];
	return 0;
}

size_t realm_ns_size(void)
{
	return hs.ns_size;
}

void realm_set_xfds(unsigned base, const int fds[3])
{
	pthread_mutex_lock(&S.mu);
	for (unsigned k = 0; k < 3 && base + k < LIBOS_CONSOLE_MAX; k++)
		hs.xfds[base + k] = fds ? fds[k] : -1;
	pthread_mutex_unlock(&S.mu);
}

/* PRH_PS's records (n of them in buf) for the waiting realm_ps. */
static void ps_answer(const uint8_t *buf, uint64_t n)
{
	struct pal_realm_ps rec;
	int k = 0;

	pthread_mutex_lock(&S.mu);
	for (uint64_t i = 0; i < n && k < 64; i++) {
		memcpy(&rec, buf + i * sizeof(rec), sizeof(rec));
		if (rec.pid == 0 || rec.pid > INT32_MAX || rec.ppid > INT32_MAX)
			continue;
		S.ps[k].pid = (int)rec.pid;
		S.ps[k].ppid = (int)rec.ppid;
		S.ps[k].state = rec.state == 'Z' ? 'Z' : 'R';
		memcpy(S.ps[k].comm, rec.comm, sizeof(S.ps[k].comm));
		S.ps[k].comm[sizeof(S.ps[k].comm) - 1] = 0;
		k++;
	}
	S.ps_n = k;
	S.ps_done = true;
	pthread_cond_broadcast(&S.cv_ps);
	pthread_mutex_unlock(&S.mu);
}

int realm_ps(const char *id, struct rb_proc_info *out, int max)
{
	struct timespec dl;
	int r = -ESRCH, w = 0;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 5;
	pthread_mutex_lock(&S.mu);
	if (S.running && !S.stop && id && strcmp(id, S.id) == 0) {
		S.ps_req = true;
		S.ps_done = false;
		pthread_cond_signal(&S.cv_sys);
		while (!S.ps_done && !S.stop && w != ETIMEDOUT)
			w = pthread_cond_timedwait(&S.cv_ps, &S.mu, &dl);
		if (S.ps_done) {
			for (int i = 0; i < S.ps_n && i < max; i++)
				out[i] = S.ps[i];
			r = S.ps_n;
		} else {
			r = S.stop ? -ESRCH : -ETIMEDOUT;
		}
	}
	pthread_mutex_unlock(&S.mu);
	return r;
}

bool realm_running(const char *id)
{
	pthread_mutex_lock(&S.mu);
	bool r = S.running && !S.stop && id && strcmp(id, S.id) == 0;
	pthread_mutex_unlock(&S.mu);
	return r;
}

/* ---- the run ----------------------------------------------------------------------- */

static pthread_mutex_t realm_lock = PTHREAD_MUTEX_INITIALIZER;
static bool machine_up;
static struct machine_layout ml;

static uint64_t env_mb(const char *name, uint64_t def)
{
	const char *s = getenv(name);
	long v = s ? atol(s) : 0;
	return v > 0 ? (uint64_t)v : def;
}

int realm_machine_up(char *errbuf, size_t errlen)
{
	if (machine_up)
		return 0;
	struct machine_config mc = {.dram_size = env_mb("REALMBOX_REALM_DRAM_MB", 1024) << 20};
	/*
	 * The machine's attestation keys (runtime root: $REALMBOX_ROOT, else as
	 * `machine key`), so containers can attest (configfs-tsm); without
	 * them the machine has no attestation service.
	 */
	static struct machine_attest_keys keys;
	char root[4096];
	struct rb_err kerr;
	if (host_runtime_root(getenv("REALMBOX_ROOT"), root, sizeof(root), &kerr) == 0 &&
	    host_machine_keys_load(root, &keys, &kerr) == 0)
		mc.attest = &keys;
	else if (getenv("REALMBOX_REALM_DEBUG"))
		fprintf(stderr, "realm: no attestation keys: %s\n", kerr.msg);
	int r = machine_boot(&mc, &ml);
	if (r) {
		snprintf(errbuf, errlen, "machine boot failed: %s", strerror(-r));
		return r;
	}
	r = host_mem_init(ml.ns_base, ml.ns_size);
	if (r) {
		snprintf(errbuf, errlen, "host memory: %s", strerror(-r));
		machine_shutdown();
		return r;
	}
	r = realm_sys_register();
	if (r) {
		snprintf(errbuf, errlen, "System Realm kernel: %s", strerror(-r));
		return r;
	}
	/*
	 * Ready vCPUs: every container REC's A64 PE is one (a JIT construction
	 * otherwise, 25-55 ms, at each fork and each thread), as in shim mode.
	 */
	{
		const char *pe = getenv("REALMBOX_VCPU_POOL");
		unsigned n = pe ? (unsigned)atoi(pe) : 2;

		if (n)
			(void)deploy_none_prepare(n);
	}
	machine_up = true;
	return 0;
}

uint64_t realm_granules_in_use(void)
{
	return machine_up ? host_granules_in_use() : 0;
}

int realm_run(const struct rb_config *cfg, const struct rb_manifest *mf, int stdin_fd,
	      int stdout_fd, int stderr_fd, struct rb_result *res, struct realm_counts *cnt,
	      char *errbuf, size_t errlen)
{
	struct hrealm sys, ct;
	uint8_t *config = NULL;
	size_t config_len = 0;
	int ret;

	memset(&sys, 0, sizeof(sys));
	memset(&ct, 0, sizeof(ct));
	memset(cnt, 0, sizeof(*cnt));
	memset(res, 0, sizeof(*res));
	if (errbuf && errlen)
		errbuf[0] = 0;
	pthread_mutex_lock(&realm_lock);
	hrealm_errbuf(errbuf, errlen);
	hs.rootfd = -1;
	hs.manifest = NULL;
	if ((ret = realm_machine_up(errbuf, errlen)))
		goto out_unlock;
	cnt->granules_before = host_granules_in_use();

	hs.rootfd = open(cfg->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (hs.rootfd < 0) {
		ret = hrealm_fail(-errno, "rootfs %s: %s", cfg->rootfs, strerror(errno));
		goto out;
	}
	hs.np = netproxy_new(cfg->publish, cfg->n_publish);
	if (!hs.np || netproxy_watch(hs.np, net_notify, NULL)) {
		ret = hrealm_fail(-ENOMEM, "cannot set up the network proxy");
		goto out;
	}
	hs.mf = mf;
	hs.fds[0] = stdin_fd;
	hs.fds[1] = stdout_fd;
	hs.fds[2] = stderr_fd;
	for (int i = 0; i < LIBOS_CONSOLE_MAX; i++)
		hs.xfds[i] = -1;
	realm_exec_reset();
	if (host_manifest_serialize(mf, &hs.manifest, &hs.manifest_len)) {
		ret = hrealm_fail(-ENOMEM, "out of memory");
		goto out;
	}
	if ((ret = realm_config_build(cfg, mf->digest, &config, &config_len))) {
		hrealm_fail(ret, "the start configuration is too large (%zu bytes, at most %llu)",
			    config_len, (unsigned long long)RB_CONFIG_MAX);
		goto out;
	}

	uint64_t sys_mem = env_mb("REALMBOX_REALM_SYS_MB", 48) << 20;
	/* the Container Realm's measured build: one description with `realmbox measure` */
	struct realm_ct_recipe rc;
	realm_ct_recipe_init(&rc, config_len);
	uint64_t pool_n = rc.pool_n, pool_max = rc.pool_max, nrecs = rc.nrecs;
	if (cfg->mem_limit > pool_max * PG)
		fprintf(stderr,
			"realmbox: warning: linux.resources.memory.limit (%llu MiB) is above the "
			"realm's memory pool (%llu MiB): the pool is the limit "
			"(REALMBOX_REALM_POOL_MAX_MB raises it; it is measured)\n",
			(unsigned long long)(cfg->mem_limit >> 20),
			(unsigned long long)((pool_max * PG) >> 20));
	uint64_t ns_n = 16;
	hs.ns_size = ns_n * PG;
	uint64_t t0 = plat_counter_read(PLAT_CNT_RMI);

	/* ---- the System Realm ---- */
	if ((ret = hrealm_create(&sys, RB_REALM_KIND_SYSTEM, 0, 0, 0)) ||
	    (ret = hrealm_ram_range(&sys, 0, RSYS_BOUNCE_IPA + RB_COPY_MAX)) ||
	    (ret = hrealm_ram_range(&sys, RSYS_MEM_IPA, RSYS_MEM_IPA + sys_mem)) ||
	    (ret = hrealm_data_range(&sys, RSYS_HC_IPA, 2, false)) ||
	    (ret = hrealm_data_range(&sys, RSYS_BOUNCE_IPA, RB_COPY_MAX / PG, true)) ||
	    (ret = hrealm_data_range(&sys, RSYS_MEM_IPA, sys_mem / PG, true)) ||
	    (ret = hrealm_map_ns(&sys, RSYS_NS_IPA, ns_n)))
		goto out;
	hs.ns_base_pa = sys.ns_pa.a[0];
	uint64_t chan_ipa = RSYS_CHAN_IPA;
	uint64_t sg[8] = {0};
	sg[RSYS_GPR_MEM_SIZE] = sys_mem;
	sg[RSYS_GPR_NS_SIZE] = hs.ns_size;
	sg[RSYS_GPR_POOL_IPA] = RCT_POOL_IPA;
	sg[RSYS_GPR_POOL_N] = pool_n;
	sg[RSYS_GPR_CHAN_IPA] = chan_ipa;
	sg[RSYS_GPR_NRECS] = nrecs;
	sg[RSYS_GPR_POOL_MAX] = pool_max;
	for (uint64_t k = 0; k < nrecs; k++)
		if ((ret = hrealm_rtt_path(&sys, chan_ipa + k * PG)))
			goto out;
	if ((ret = hrealm_rec_create(&sys, RSYS_PC, sg)) ||
	    (ret = hrealm_rmi_ok("REALM_ACTIVATE (system)",
				 hrealm_rmi(SMC_RMI_REALM_ACTIVATE, sys.rd, 0, 0, 0, 0, NULL))))
		goto out;

	/* ---- the Container Realm: the recipe's steps (deploy/realm_recipe.h) ---- */
	if ((ret = hrealm_create(&ct, rc.kind, sys.rd, rc.config_ipa, rc.config_size)))
		goto out;
	for (unsigned s = 0; s < rc.nsteps; s++) {
		const struct realm_ct_step *st = &rc.steps[s];

		switch (st->op) {
		case RCS_RAM:
			ret = hrealm_ram_range(&ct, st->base, st->top);
			break;
		case RCS_RIPAS:
			ret = hrealm_ram_range_to(&ct, st->base, st->top, st->leaf);
			break;
		case RCS_CONFIG:
			for (uint64_t i = 0; ret == 0 && st->base + i * PG < st->top; i++) {
				uint8_t page[PG];
				uint64_t pa;
				size_t n = config_len - i * PG < PG ? config_len - i * PG : PG;

				memset(page, 0, sizeof(page));
				memcpy(page, config + i * PG, n);
				if ((ret = hrealm_delegate_new(&pa)))
					break;
				if ((ret = hrealm_data_at(&ct, st->base + i * PG, pa, page, true)))
					hrealm_undelegate_free(pa);
			}
			break;
		case RCS_POOL:
			ret = hrealm_data_range(&ct, st->base, (st->top - st->base) / PG, false);
			break;
		case RCS_RECS:
			/* its processes: RECs made while the realm is NEW (the spec's rule) */
			for (uint64_t k = 0; ret == 0 && k < st->count; k++)
				ret = hrealm_rec_create(&ct, rc.rec_pc, NULL);
			break;
		}
		if (ret)
			goto out;
	}
	hs.ct = &ct;
	hs.pool_n = pool_n;
	hs.pool_max = pool_max;
	if ((ret = hrealm_rmi_ok("REALM_ACTIVATE (container)",
				 hrealm_rmi(SMC_RMI_REALM_ACTIVATE, ct.rd, 0, 0, 0, 0, NULL))))
		goto out;
	for (uint64_t k = 0; k < nrecs; k++) {
		struct hrec *hr = &ct.recs[k];

		if ((ret = hrealm_delegate_new(&hr->chan)))
			goto out;
		if ((ret = hrealm_rmi_ok("RB_CHANNEL_CREATE",
					 hrealm_rmi(SMC_RMI_RB_CHANNEL_CREATE, sys.rd, hr->chan,
						    hr->rec, chan_ipa + k * PG, 0, NULL))))
			goto out;
		hr->chan_live = true;
	}
	cnt->build_rmi = plat_counter_read(PLAT_CNT_RMI) - t0;

	/* ---- run: the kernel boots at its first entry, REC 0 starts the container ---- */
	uint64_t c0[PLAT_CNT_NR], c1[PLAT_CNT_NR];
	plat_counters_snapshot(c0);
	memcpy(S.c0, c0, sizeof(S.c0));
	snprintf(S.id, sizeof(S.id), "%s", cfg->id ? cfg->id : "");
	test_view = (struct realm_test_view){sys.rd,
					     ct.rd,
					     ct.recs[0].rec,
					     ct.rtt_pa.n ? ct.rtt_pa.a[0] : 0,
					     ct.data_pa.n ? ct.data_pa.a[ct.data_pa.n - 1] : 0,
					     sys.data_pa.n ? sys.data_pa.a[0] : 0};
	ret = deploy_start_gate_pass(errbuf, errlen);
	if (ret == 0)
		ret = sched_run(&sys, &ct, cnt);
	if (ret == 0)
		res->exit_status = S.have_status ? S.status : 128 + 9;
	plat_counters_snapshot(c1);
	for (int i = 0; i < PLAT_CNT_NR; i++)
		cnt->plat[i] = c1[i] - c0[i];
	{
		struct smc_regs r;
		if (hrealm_rmi(SMC_RMI_RB_REALM_COUNTERS, ct.rd, 0, 0, 0, 0, &r) == RMI_SUCCESS) {
			res->forwarded = r.x[1];
			res->verify_refusals = r.x[2];
			res->rmm_copies = r.x[3];
			res->rmm_copy_bytes = r.x[4];
		}
	}
	res->rec_exits = cnt->plat[PLAT_CNT_REC_EXIT];
	res->exitless = cnt->plat[PLAT_CNT_EXITLESS];
	res->exitless_timeouts = cnt->plat[PLAT_CNT_EXITLESS_MISS];
	res->exitless_skipped = cnt->plat[PLAT_CNT_EXITLESS_SKIP];
	res->world_switches = cnt->plat[PLAT_CNT_WORLD_SWITCH];
	/* stop the kernel: it leaves its idle loop (and the library OS) */
	if (ret == 0) {
		struct rmi_rec_exit sx;
		uint64_t g[RMI_REC_GPRS] = {PRH_CMD_SHUTDOWN};
		hrealm_enter(&sys.recs[0], g, RMI_REC_GPRS, &sx);
	}
	{
		struct libos_stats st;
		libos_get_stats(&st);
		res->syscalls = st.syscalls;
		res->syscalls_enosys = st.enosys;
		res->oom_killed = st.oom_kills != 0;
	}
	{
		struct realm_sys_stats ss;
		realm_sys_get_stats(&ss);
		if (ret == 0 && ss.start_error && ss.start_msg[0] && stderr_fd >= 0)
			dprintf(stderr_fd, "realmbox: %s\n", ss.start_msg);
	}

out:
	for (unsigned k = 0; k < ct.nrecs; k++) {
		struct hrec *hr = &ct.recs[k];
		struct smc_regs r;

		if (hr->chan_live && hrealm_rmi(SMC_RMI_RB_CHANNEL_DESTROY, sys.rd, hr->rec,
						RSYS_CHAN_IPA + k * PG, 0, 0, &r) == RMI_SUCCESS)
			hr->chan_live = false;
		if (!hr->chan_live && hr->chan)
			hrealm_undelegate_free(hr->chan);
		if (hr->chan_live)
			cnt->teardown_failures++;
	}
	cnt->teardown_failures += hrealm_destroy(&ct) + hrealm_destroy(&sys);
	hs.ct = NULL;
	cnt->granules_after = host_granules_in_use();
	if (cnt->teardown_failures && ret == 0)
		ret = hrealm_fail(-EIO, "teardown: %u RMI calls failed", cnt->teardown_failures);
	if (hs.rootfd >= 0)
		close(hs.rootfd);
	hs.rootfd = -1;
	netproxy_free(hs.np);
	hs.np = NULL;
	free(hs.manifest);
	hs.manifest = NULL;
	free(config);
out_unlock:
	hrealm_errbuf(NULL, 0);
	pthread_mutex_unlock(&realm_lock);
	return ret;
}

/* deploy_run for RB_ISOLATION_REALM (deploy/none.c dispatches here). */
int deploy_realm_run(const struct rb_config *cfg, const struct rb_manifest *mf, int stdin_fd,
		     int stdout_fd, int stderr_fd, struct rb_result *res, char *errbuf,
		     size_t errlen)
{
	struct realm_counts cnt;
	int r = realm_run(cfg, mf, stdin_fd, stdout_fd, stderr_fd, res, &cnt, errbuf, errlen);

	if (getenv("REALMBOX_REALM_DEBUG")) {
		struct realm_sys_stats ss;
		realm_sys_get_stats(&ss);
		fprintf(stderr,
			"realm: build %llu RMI calls; %llu container entries, %llu forwards, %llu "
			"System Realm entries, %llu host calls; RSI %llu (kernel: %llu, %llu host "
			"calls), copies in %llu (%llu B) out %llu (%llu B), string bytes %llu, "
			"maps "
			"%llu unmaps %llu protects %llu set_regs %llu, pool peak %llu; REC exits "
			"%llu, "
			"world switches %llu; granules in use %llu -> %llu\n",
			(unsigned long long)cnt.build_rmi, (unsigned long long)cnt.ct_entries,
			(unsigned long long)cnt.forwards, (unsigned long long)cnt.sys_entries,
			(unsigned long long)cnt.host_calls,
			(unsigned long long)cnt.plat[PLAT_CNT_RSI],
			(unsigned long long)ss.rsi_calls, (unsigned long long)ss.host_calls,
			(unsigned long long)ss.copies_in, (unsigned long long)ss.bytes_in,
			(unsigned long long)ss.copies_out, (unsigned long long)ss.bytes_out,
			(unsigned long long)ss.str_bytes, (unsigned long long)ss.maps,
			(unsigned long long)ss.unmaps, (unsigned long long)ss.protects,
			(unsigned long long)ss.set_regs, (unsigned long long)ss.pool_peak,
			(unsigned long long)cnt.plat[PLAT_CNT_REC_EXIT],
			(unsigned long long)cnt.plat[PLAT_CNT_WORLD_SWITCH],
			(unsigned long long)cnt.granules_before,
			(unsigned long long)cnt.granules_after);
	}
	return r;
}
