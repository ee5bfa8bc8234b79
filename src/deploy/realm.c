/*
 * The realm deployment's host side (Fasco, DESIGN.md §3 and §4): boots the
 * emulated machine, builds the System Realm and its Container Realms through
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
 * The scheduler (sched_loop) gives every container REC the System Realm lets
 * run a host thread that enters it; a forward exit marks its channel
 * pending. One thread runs the System Realm's REC: it answers the kernel's
 * PRH_IDLE host call with one container's pending channels (SERVE), a
 * signal for its init (SIGNAL), a new container (ADD_CT), an ended one to
 * free (DROP_CT) or a timeout (TICK), the container named in g3; serves its
 * host calls until it is idle again (deploy/realm_serve.c), and lets the
 * RECs it completed run. The host never sees a request's content; each
 * container's status comes from the System Realm (PRH_IDLE, or REC 0's
 * RB_EXITED).
 *
 * Per machine (struct realm_machine M, deploy/realm_int.h): the System
 * Realm, its NS buffer, the scheduler's lock, the outside command in
 * flight. Per container (struct ct_host M.cts[slot]): its Container Realm,
 * rootfs, console streams, manifest, pool, network proxy, RECs' threads,
 * status, signals, ps. realm_run builds a machine for one container and
 * runs the System Realm on the caller's thread; realm_machine_open and
 * realm_ct_start / realm_ct_wait run up to PAL_REALM_MAX_CTS at once, the
 * System Realm on a thread of its own.
 */
#include "deploy/realm_int.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
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

struct realm_machine realm_machine = {.mu = PTHREAD_MUTEX_INITIALIZER,
				      .cv_sys = PTHREAD_COND_INITIALIZER,
				      .cv_rec = PTHREAD_COND_INITIALIZER,
				      .cv_ps = PTHREAD_COND_INITIALIZER,
				      .build_mu = PTHREAD_MUTEX_INITIALIZER};

struct ct_host *realm_ct_by_id(const char *id)
{
	for (unsigned c = 0; id && c < PAL_REALM_MAX_CTS; c++) {
		struct ct_host *h = &M.cts[c];

		if (h->used && h->bound && !h->stop && strcmp(h->id, id) == 0)
			return h;
	}
	return NULL;
}

static unsigned ct_index(const struct ct_host *h)
{
	return (unsigned)(h - M.cts);
}

/*
 * Run the System Realm REC, first answering its idle host call with cmd,
 * arg and the container ct the command is for, and serve its host calls
 * until it is idle again (0, its idle arguments in idle[]) or fails (-EIO).
 */
#define IDLE_N (1 + 2 * PAL_REALM_MAX_CTS)
static int run_sys(uint64_t cmd, uint64_t arg, uint64_t ct, uint64_t idle[IDLE_N])
{
	struct rmi_rec_exit ex;
	/* PRH_IDLE's answer: command, argument, poll budget (exitless), container */
	uint64_t g[RMI_REC_GPRS] = {cmd, arg, exitless_on() ? EXITLESS_POLL_NS : 0, ct};
	uint64_t flags = 0;

	for (;;) {
		M.cnt->sys_entries++;
		uint64_t st = hrealm_enter_flags(&M.sys.recs[0], g, RMI_REC_GPRS, flags, &ex);
		flags = 0;
		if (st != RMI_SUCCESS)
			return hrealm_fail(-EIO, "REC_ENTER of the System Realm: %s",
					   host_rmi_status_name(st));
		if (ex.exit_reason == RMI_EXIT_IRQ) {
			memset(g, 0, sizeof(g));
			continue;
		}
		if (ex.exit_reason == RMI_EXIT_RIPAS_CHANGE) {
			memset(g, 0, sizeof(g));
			flags = realm_ripas_answer(&ex) ? 0 : REC_ENTER_FLAG_RIPAS_RESPONSE;
			continue;
		}
		if (ex.exit_reason != RMI_EXIT_HOST_CALL)
			return hrealm_fail(-EIO, "System Realm exit %llu (esr 0x%llx)",
					   (unsigned long long)ex.exit_reason,
					   (unsigned long long)ex.esr);
		if (ex.imm == PRH_IDLE) {
			memcpy(idle, ex.gprs, IDLE_N * sizeof(uint64_t));
			return 0;
		}
		M.cnt->host_calls++;
		realm_serve_host_call(&ex, g);
	}
}

/* ---- the REC scheduler ------------------------------------------------------------ */

/*
 * Every container REC the System Realm lets run has a host thread that
 * enters it and, at a forward exit, marks its channel pending for the
 * System Realm; one thread runs the System Realm REC (one vCPU), handing
 * it the pending channels of each container in turn and letting the RECs
 * it completed run.
 */

/* Container h's RECs stop (M.mu held): it ended or failed. */
static void ct_stop(struct ct_host *h)
{
	h->stop = true;
	pthread_cond_broadcast(&M.cv_rec);
	pthread_cond_signal(&M.cv_sys);
	pthread_cond_broadcast(&M.cv_ps);
}

static void *ct_thread(void *arg)
{
	unsigned c = (unsigned)(uintptr_t)arg / HREC_MAX, k = (unsigned)(uintptr_t)arg % HREC_MAX;
	struct ct_host *h = &M.cts[c];
	uint64_t bit = 1ULL << k;
	struct hrec *hr = &h->ct.recs[k];
	struct rmi_rec_exit ex;

	/* the container's CPU weight on a shared machine: per thread (Linux's nice is) */
	if (h->nice_set && setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), h->nice) != 0 &&
	    k == 0)
		dprintf(h->log_fd >= 0 ? h->log_fd : 2,
			"realmbox: warning: CPU weight: nice %d for the container's threads: %s\n",
			h->nice, strerror(errno));
	pthread_mutex_lock(&M.mu);
	for (;;) {
		while ((!(h->go & bit) || h->paused) && !h->stop)
			pthread_cond_wait(&M.cv_rec, &M.mu);
		if (h->stop)
			break;
		h->go &= ~bit;
		h->cnt->ct_entries++;
		pthread_mutex_unlock(&M.mu);
		uint64_t st = hrealm_enter_flags(
			hr, NULL, 0, exitless_on() ? REC_ENTER_FLAG_RB_EXITLESS : 0, &ex);
		pthread_mutex_lock(&M.mu);
		if (st != RMI_SUCCESS && k != 0 &&
		    RMI_STATUS_CODE(st) == RMI_STATUS_CODE(RMI_ERROR_REC))
			continue; /* a child's REC the System Realm is rebuilding: it says when */
		if (st != RMI_SUCCESS) {
			h->err = hrealm_fail(-EIO, "REC_ENTER of container REC %u: %s", k,
					     host_rmi_status_name(st));
			ct_stop(h);
			break;
		}
		if (ex.exit_reason == RMI_EXIT_IRQ) {
			h->go |= bit;
		} else if (ex.exit_reason == RMI_EXIT_RB_FORWARD) {
			h->cnt->forwards++;
			h->pending |= bit;
			pthread_cond_signal(&M.cv_sys);
		} else if (ex.exit_reason == RMI_EXIT_RB_EXITED) {
			if (k == 0 && !h->have_status) {
				/* the init process: the container is over */
				h->have_status = true;
				h->status = (int)(ex.gprs[0] & 0xFF);
				ct_stop(h);
			}
		} else {
			h->err = hrealm_fail(-EIO, "container REC %u exit %llu", k,
					     (unsigned long long)ex.exit_reason);
			ct_stop(h);
			break;
		}
	}
	pthread_mutex_unlock(&M.mu);
	return NULL;
}

/* Let container h's RECs in `bits` run, with a thread each (M.mu held). */
static int sched_go(struct ct_host *h, uint64_t bits)
{
	bits &= (h->ct.nrecs >= 64 ? ~0ULL : (1ULL << h->ct.nrecs) - 1);
	h->go |= bits;
	for (unsigned k = 0; k < h->ct.nrecs; k++) {
		if (!(bits & (1ULL << k)) || (h->started & (1ULL << k)))
			continue;
		if (pthread_create(&h->th[k], NULL, ct_thread,
				   (void *)(uintptr_t)(ct_index(h) * HREC_MAX + k)) != 0)
			return hrealm_fail(-EAGAIN,
					   "cannot start a host thread for container REC %u", k);
		h->started |= 1ULL << k;
	}
	pthread_cond_broadcast(&M.cv_rec);
	return 0;
}

/* Join container h's REC threads (M.mu held; h->stop set). */
static void ct_join(struct ct_host *h)
{
	uint64_t started = h->started;

	h->started = 0;
	pthread_mutex_unlock(&M.mu);
	for (unsigned k = 0; k < HREC_MAX && k < 64; k++)
		if (started & (1ULL << k))
			pthread_join(h->th[k], NULL);
	pthread_mutex_lock(&M.mu);
}

/* Whether the System Realm has something to do (M.mu held). */
static bool sys_work(void)
{
	if (M.stop || M.ocmd || M.traw_req)
		return true;
	for (unsigned c = 0; c < PAL_REALM_MAX_CTS; c++) {
		const struct ct_host *h = &M.cts[c];

		if (h->add_req || h->drop_req)
			return true;
		if (h->added && !h->stop && (h->pending || h->signals || h->net_ready || h->ps_req))
			return true;
	}
	return false;
}

/* The next command for the System Realm (M.mu held): TICK if nothing else. */
static void sys_next(uint64_t *cmd, uint64_t *arg, uint64_t *ct)
{
	*cmd = PRH_CMD_TICK;
	*arg = *ct = 0;
	M.inflight = 0;
	if (M.traw_req) {
		/* realm_test_add_ct: a description for a slot that does not exist */
		realm_ns_write(&M.traw, sizeof(M.traw));
		*cmd = M.inflight = PRH_CMD_ADD_CT;
		*arg = sizeof(M.traw);
		*ct = M.inflight_ct = M.traw_ct;
		M.traw_req = false;
		M.traw_sent = true;
		return;
	}
	for (unsigned c = 0; c < PAL_REALM_MAX_CTS; c++) {
		struct ct_host *h = &M.cts[c];

		if (h->add_req) {
			/* the System Realm is idle: its NS buffer is ours to fill */
			realm_ns_write(&h->req, sizeof(h->req));
			*cmd = PRH_CMD_ADD_CT;
			*arg = sizeof(h->req);
			h->add_req = false;
			h->add_sent = true;
		} else if (h->drop_req) {
			*cmd = PRH_CMD_DROP_CT;
			h->drop_req = false;
			h->drop_sent = true;
		} else {
			continue;
		}
		*ct = c;
		M.inflight = *cmd;
		M.inflight_ct = c;
		return;
	}
	if (M.ocmd) {
		if (M.olen)
			realm_ns_write(M.odata, M.olen);
		*cmd = M.ocmd;
		*arg = M.oarg;
		*ct = M.oct;
		M.inflight = M.ocmd;
		M.inflight_ct = M.oct;
		M.ocmd = 0;
		return;
	}
	/* one container's work per entry, each in turn */
	for (unsigned i = 0; i < PAL_REALM_MAX_CTS; i++) {
		unsigned c = (M.rr + i) % PAL_REALM_MAX_CTS;
		struct ct_host *h = &M.cts[c];

		if (!h->added || h->stop)
			continue;
		*ct = c;
		if (h->ps_req) {
			*cmd = PRH_CMD_PS;
			h->ps_req = false;
		} else if (h->signals) {
			/* one at a time, lowest first (`timeout` sends TERM then CONT) */
			int sig = __builtin_ctzll(h->signals) + 1;
			*cmd = PRH_CMD_SIGNAL;
			*arg = (uint64_t)sig;
			h->signals &= ~(1ULL << (sig - 1));
		} else if (h->pending) {
			*cmd = PRH_CMD_SERVE;
			*arg = h->pending;
			h->pending = 0;
		} else if (h->net_ready) {
			*cmd = PRH_CMD_NET;
			h->net_ready = false;
		} else {
			continue;
		}
		M.rr = c + 1;
		return;
	}
	*ct = 0;
}

/* After the System Realm's idle: what its last command and its idle values say (M.mu held). */
static void sys_idle(const uint64_t idle[IDLE_N])
{
	if (M.traw_sent) {
		M.traw_sent = false;
		if (!M.traw_done) {
			M.traw_done = true;
			M.traw_result = -EIO; /* no PRH_RESULT */
		}
		pthread_cond_broadcast(&M.cv_ps);
	}
	for (unsigned c = 0; c < PAL_REALM_MAX_CTS; c++) {
		struct ct_host *h = &M.cts[c];

		if (h->add_sent) {
			h->add_sent = false;
			if (!h->add_done) {
				h->add_done = true;
				h->add_result = -EIO; /* no PRH_RESULT */
			}
			if (h->add_result == 0) {
				h->added = true;
				plat_counters_snapshot(h->c0);
				/* REC 0: its first entry posts START */
				if (h->bound && (h->err = sched_go(h, 1)))
					ct_stop(h);
			} else {
				h->err = h->add_result;
				ct_stop(h);
			}
			pthread_cond_broadcast(&M.cv_ps);
		}
		if (h->drop_sent) {
			h->drop_sent = false;
			if (!h->drop_done) {
				h->drop_done = true;
				h->drop_result = -EIO;
			}
			pthread_cond_broadcast(&M.cv_ps);
		}
		if (!h->added || !h->bound || h->stop)
			continue;
		if (idle[2 + 2 * c] && !h->have_status) {
			h->have_status = true;
			h->status = (int)((idle[2 + 2 * c] - 1) & 0xFF);
			ct_stop(h);
			continue;
		}
		if ((h->err = sched_go(h, idle[1 + 2 * c])))
			ct_stop(h);
	}
	M.inflight = 0;
}

/*
 * The System Realm's loop on this thread: until container slot `until`
 * stops (realm_run), or with until < 0 until the machine stops
 * (realm_machine_close). 0 or the System Realm's failure.
 */
static int sched_loop(int until)
{
	uint64_t idle[IDLE_N] = {0}, cmd = 0, arg = 0, ct = 0;
	int r;

	pthread_mutex_lock(&M.mu);
	M.running = true;
	for (;;) {
		pthread_mutex_unlock(&M.mu);
		r = run_sys(cmd, arg, ct, idle);
		pthread_mutex_lock(&M.mu);
		if (r)
			break;
		sys_idle(idle);
		if (M.stop || (until >= 0 && M.cts[until].stop))
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
		bool let_run = false;
		for (unsigned c = 0; c < PAL_REALM_MAX_CTS; c++)
			let_run = let_run || idle[1 + 2 * c];
		int w = exitless_on() && let_run ? ETIMEDOUT : 0;
		while (!sys_work() && !(until >= 0 && M.cts[until].stop) && w != ETIMEDOUT)
			w = timed ? pthread_cond_timedwait(&M.cv_sys, &M.mu, &dl)
				  : pthread_cond_wait(&M.cv_sys, &M.mu);
		if (M.stop || (until >= 0 && M.cts[until].stop))
			break;
		sys_next(&cmd, &arg, &ct);
	}
	M.running = false;
	/* every container's RECs stop with the loop */
	for (unsigned c = 0; c < PAL_REALM_MAX_CTS; c++)
		if (M.cts[c].used) {
			ct_stop(&M.cts[c]);
			ct_join(&M.cts[c]);
		}
	pthread_cond_broadcast(&M.cv_ps);
	pthread_mutex_unlock(&M.mu);
	return r;
}

/* The network proxy's watcher (its own thread): let the System Realm wake its sleepers. */
static void net_notify(void *arg)
{
	struct ct_host *h = arg;

	pthread_mutex_lock(&M.mu);
	h->net_ready = true;
	pthread_cond_signal(&M.cv_sys);
	pthread_mutex_unlock(&M.mu);
}

static struct realm_test_view test_view;

int realm_test_view(struct realm_test_view *v)
{
	int r = -ESRCH;

	pthread_mutex_lock(&M.mu);
	if (M.running && M.cts[0].added && !M.cts[0].stop) {
		*v = test_view;
		r = 0;
	}
	pthread_mutex_unlock(&M.mu);
	return r;
}

/*
 * PRH_RESULT (naming ct1 - 1, 0: none): the System Realm's answer to the
 * command it is serving, an add or drop of a slot or an outside command.
 */
void realm_result_answer(unsigned ct1, int64_t result)
{
	pthread_mutex_lock(&M.mu);
	if (ct1 && ct1 - 1 != M.inflight_ct) {
		/* not the slot the command named: not an answer */
	} else if (M.inflight == PRH_CMD_ADD_CT && M.inflight_ct >= PAL_REALM_MAX_CTS) {
		/* realm_test_add_ct's request for no slot */
		M.traw_result = (int)(result < -4095 || result > 0 ? -EIO : result);
		M.traw_done = true;
	} else if (M.inflight_ct >= PAL_REALM_MAX_CTS) {
		/* nothing else names no slot */
	} else if (M.inflight == PRH_CMD_ADD_CT && M.cts[M.inflight_ct].add_sent) {
		M.cts[M.inflight_ct].add_result =
			(int)(result < -4095 || result > 0 ? -EIO : result);
		M.cts[M.inflight_ct].add_done = true;
	} else if (M.inflight == PRH_CMD_DROP_CT && M.cts[M.inflight_ct].drop_sent) {
		struct ct_host *h = &M.cts[M.inflight_ct];

		if (result == (int64_t)sizeof(h->final)) {
			/* its library OS's counters at its end */
			realm_ns_read(&h->final, sizeof(h->final));
			h->have_final = true;
			result = 0;
		}
		h->drop_result = (int)(result < -4095 || result > 0 ? -EIO : result);
		h->drop_done = true;
	} else if (M.obusy && !M.odone && M.inflight) {
		if (M.obuf != NULL && result > 0) {
			/* the answer's bytes, as long as the System Realm says they are */
			if ((uint64_t)result > M.ocap || (uint64_t)result > M.ns_size)
				result = -EMSGSIZE;
			else
				realm_ns_read(M.obuf, (size_t)result);
		}
		M.oresult = result;
		M.odone = true;
	}
	pthread_cond_broadcast(&M.cv_ps);
	pthread_mutex_unlock(&M.mu);
}

/*
 * Ask the System Realm cmd/arg for running container id (with data for its
 * NS buffer) and wait at most 10 s for its PRH_RESULT. One at a time per
 * machine. -ESRCH if container id is not running, -ETIMEDOUT.
 */
static int64_t outside(const char *id, uint64_t cmd, uint64_t arg, const void *data, size_t len,
		       void *out, size_t cap)
{
	struct timespec dl;
	int64_t r = -ESRCH;
	int w = 0;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 10;
	pthread_mutex_lock(&M.mu);
	while (M.obusy && M.running && realm_ct_by_id(id) && w != ETIMEDOUT)
		w = pthread_cond_timedwait(&M.cv_ps, &M.mu, &dl);
	struct ct_host *h = M.running && !M.obusy ? realm_ct_by_id(id) : NULL;
	if (h) {
		M.obusy = true;
		M.odone = false;
		M.ocmd = cmd;
		M.oarg = arg;
		M.oct = ct_index(h);
		M.odata = data;
		M.olen = len;
		M.obuf = out;
		M.ocap = cap;
		pthread_cond_signal(&M.cv_sys);
		while (!M.odone && !h->stop && M.running && w != ETIMEDOUT)
			w = pthread_cond_timedwait(&M.cv_ps, &M.mu, &dl);
		r = M.odone ? M.oresult : (h->stop || !M.running) ? -ESRCH : -ETIMEDOUT;
		M.ocmd = 0;
		M.obuf = NULL;
		M.obusy = false;
		pthread_cond_broadcast(&M.cv_ps);
	} else if (w == ETIMEDOUT) {
		r = -ETIMEDOUT;
	}
	pthread_mutex_unlock(&M.mu);
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
	uint64_t c0[PLAT_CNT_NR];

	memset(out, 0, sizeof(*out));
	/* the record comes back through the NS buffer, as attest's token does */
	int64_t res = outside(id, PRH_CMD_STATS, 0, NULL, 0, &lv, sizeof(lv));
	pthread_mutex_lock(&M.mu);
	struct ct_host *h = M.running ? realm_ct_by_id(id) : NULL;
	out->forwarded = h ? h->cnt->forwards : 0;
	if (h)
		memcpy(c0, h->c0, sizeof(c0));
	pthread_mutex_unlock(&M.mu);
	if (res < 0)
		return (int)res;
	if (res != (int64_t)sizeof(lv) || !h)
		return -EIO;
	out->mem_bytes = lv.mem_pages * PG;
	out->pids = lv.pids;
	out->syscalls = lv.syscalls;
	out->syscalls_enosys = lv.enosys;
	out->oom_kills = lv.oom_kills;
	out->pids_refused = lv.pids_refused;
	out->has_rmm = true;
	/* the machine's counters: every container's since this one started */
	out->rec_exits = plat_counter_read(PLAT_CNT_REC_EXIT) - c0[PLAT_CNT_REC_EXIT];
	out->world_switches = plat_counter_read(PLAT_CNT_WORLD_SWITCH) - c0[PLAT_CNT_WORLD_SWITCH];
	return 0;
}

size_t realm_ns_size(void)
{
	return M.ns_size;
}

void realm_set_xfds(const char *id, unsigned base, const int fds[3])
{
	pthread_mutex_lock(&M.mu);
	for (unsigned c = 0; id && c < PAL_REALM_MAX_CTS; c++) {
		struct ct_host *h = &M.cts[c];

		if (!h->used || strcmp(h->id, id) != 0)
			continue;
		for (unsigned k = 0; k < 3 && base + k < LIBOS_CONSOLE_MAX; k++)
			h->xfds[base + k] = fds ? fds[k] : -1;
	}
	pthread_mutex_unlock(&M.mu);
}

int realm_ct_slot(const char *id)
{
	int r = -ESRCH;

	pthread_mutex_lock(&M.mu);
	for (unsigned c = 0; id && c < PAL_REALM_MAX_CTS; c++)
		if (M.cts[c].used && strcmp(M.cts[c].id, id) == 0)
			r = (int)c;
	pthread_mutex_unlock(&M.mu);
	return r;
}

/* PRH_PS's records (n of them in buf) for container h's waiting realm_ps. */
void realm_ps_answer(struct ct_host *h, const uint8_t *buf, uint64_t n)
{
	struct pal_realm_ps rec;
	int k = 0;

	pthread_mutex_lock(&M.mu);
	for (uint64_t i = 0; i < n && k < 64; i++) {
		memcpy(&rec, buf + i * sizeof(rec), sizeof(rec));
		if (rec.pid == 0 || rec.pid > INT32_MAX || rec.ppid > INT32_MAX)
			continue;
		h->ps[k].pid = (int)rec.pid;
		h->ps[k].ppid = (int)rec.ppid;
		h->ps[k].state = rec.state == 'Z' ? 'Z' : 'R';
		memcpy(h->ps[k].comm, rec.comm, sizeof(h->ps[k].comm));
		h->ps[k].comm[sizeof(h->ps[k].comm) - 1] = 0;
		k++;
	}
	h->ps_n = k;
	h->ps_done = true;
	pthread_cond_broadcast(&M.cv_ps);
	pthread_mutex_unlock(&M.mu);
}

int realm_ps(const char *id, struct rb_proc_info *out, int max)
{
	struct timespec dl;
	int r = -ESRCH, w = 0;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 5;
	pthread_mutex_lock(&M.mu);
	struct ct_host *h = M.running ? realm_ct_by_id(id) : NULL;
	if (h) {
		h->ps_req = true;
		h->ps_done = false;
		pthread_cond_signal(&M.cv_sys);
		while (!h->ps_done && !h->stop && M.running && w != ETIMEDOUT)
			w = pthread_cond_timedwait(&M.cv_ps, &M.mu, &dl);
		if (h->ps_done) {
			for (int i = 0; i < h->ps_n && i < max; i++)
				out[i] = h->ps[i];
			r = h->ps_n;
		} else {
			r = h->stop || !M.running ? -ESRCH : -ETIMEDOUT;
		}
	}
	pthread_mutex_unlock(&M.mu);
	return r;
}

bool realm_running(const char *id)
{
	pthread_mutex_lock(&M.mu);
	bool r = M.running && realm_ct_by_id(id) != NULL;
	pthread_mutex_unlock(&M.mu);
	return r;
}

/* ---- the run ----------------------------------------------------------------------- */

static pthread_mutex_t realm_lock = PTHREAD_MUTEX_INITIALIZER; /* realm_run, or an open machine */
static bool machine_up;
static struct machine_layout ml;

static uint64_t env_mb(const char *name, uint64_t def)
{
	const char *s = getenv(name);
	long v = s ? atol(s) : 0;
	return v > 0 ? (uint64_t)v : def;
}

uint64_t realm_ct_sys_mem(void)
{
	return env_mb("REALMBOX_REALM_SYS_MB", 48) << 20;
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

/* A slot as new (M.mu held, or no loop running). */
static void ct_reset(struct ct_host *h)
{
	realm_serve_ct_files_close(h);
	memset(h, 0, sizeof(*h));
	h->rootfs.rootfd = -1;
	h->fds[0] = h->fds[1] = h->fds[2] = -1;
	h->log_fd = -1;
	h->log_level = 3;
	for (int i = 0; i < LIBOS_CONSOLE_MAX; i++)
		h->xfds[i] = -1;
	h->cnt = &h->own_cnt;
}

/* The System Realm: sys_mem bytes of kernel memory, its NS buffer, its REC; activated. */
static int sys_build(uint64_t sys_mem)
{
	uint64_t ns_n = 16, sg[8] = {0};
	int ret;

	memset(&M.sys, 0, sizeof(M.sys));
	M.ns_size = ns_n * PG;
	if ((ret = hrealm_create(&M.sys, RB_REALM_KIND_SYSTEM, 0, 0, 0)) ||
	    (ret = hrealm_ram_range(&M.sys, 0, RSYS_BOUNCE_IPA + RB_COPY_MAX)) ||
	    (ret = hrealm_ram_range(&M.sys, RSYS_MEM_IPA, RSYS_MEM_IPA + sys_mem)) ||
	    (ret = hrealm_data_range(&M.sys, RSYS_HC_IPA, 2, false)) ||
	    (ret = hrealm_data_range(&M.sys, RSYS_BOUNCE_IPA, RB_COPY_MAX / PG, true)) ||
	    (ret = hrealm_data_range(&M.sys, RSYS_MEM_IPA, sys_mem / PG, true)) ||
	    (ret = hrealm_map_ns(&M.sys, RSYS_NS_IPA, ns_n)))
		return ret;
	M.ns_base_pa = M.sys.ns_pa.a[0];
	sg[RSYS_GPR_MEM_SIZE] = sys_mem;
	sg[RSYS_GPR_NS_SIZE] = M.ns_size;
	/* the channel windows' tables, for every slot */
	for (unsigned c = 0; c < PAL_REALM_MAX_CTS; c++)
		if ((ret = hrealm_rtt_path(&M.sys, realm_chan_ipa(c, 0))))
			return ret;
	if ((ret = hrealm_rec_create(&M.sys, RSYS_PC, sg)))
		return ret;
	return hrealm_rmi_ok("REALM_ACTIVATE (system)",
			     hrealm_rmi(SMC_RMI_REALM_ACTIVATE, M.sys.rd, 0, 0, 0, 0, NULL));
}

/*
 * Container cfg's Container Realm in slot h (index c), bound to the System
 * Realm: its measured build (the recipe), its channels; its description for
 * PRH_CMD_ADD_CT with mem_size bytes of System Realm memory. Host calls
 * use it once the caller marks it bound.
 */
static int ct_build(struct ct_host *h, unsigned c, const struct rb_config *cfg,
		    const struct rb_manifest *mf, const int fds[3], uint64_t mem_size)
{
	struct realm_ct_recipe rc;
	int ret;

	snprintf(h->id, sizeof(h->id), "%s", cfg->id ? cfg->id : "");
	char why[512];

	if ((ret = deploy_rootfs_init(&h->rootfs, cfg, why, sizeof(why))) < 0)
		return hrealm_fail(ret, "%s", why);
	h->np = netproxy_new(cfg->publish, cfg->n_publish);
	if (!h->np || netproxy_watch(h->np, net_notify, h))
		return hrealm_fail(-ENOMEM, "cannot set up the network proxy");
	h->mf = mf;
	for (int i = 0; i < 3; i++)
		h->fds[i] = fds[i];
	if (host_manifest_serialize(mf, &h->manifest, &h->manifest_len))
		return hrealm_fail(-ENOMEM, "out of memory");
	if ((ret = realm_config_build(cfg, mf->digest, &h->config, &h->config_len)))
		return hrealm_fail(ret,
				   "the start configuration is too large (%zu bytes, at most %llu)",
				   h->config_len, (unsigned long long)RB_CONFIG_MAX);
	/* the Container Realm's measured build: one description with `realmbox measure` */
	realm_ct_recipe_init(&rc, h->config_len);
	h->pool_n = rc.pool_n;
	h->pool_max = rc.pool_max;
	if (cfg->mem_limit > rc.pool_max * PG)
		dprintf(h->log_fd >= 0 ? h->log_fd : 2,
			"realmbox: warning: linux.resources.memory.limit (%llu MiB) is above the "
			"realm's memory pool (%llu MiB): the pool is the limit "
			"(REALMBOX_REALM_POOL_MAX_MB raises it; it is measured)\n",
			(unsigned long long)(cfg->mem_limit >> 20),
			(unsigned long long)((rc.pool_max * PG) >> 20));
	for (uint64_t k = 0; k < rc.nrecs; k++)
		if ((ret = hrealm_rtt_path(&M.sys, realm_chan_ipa(c, (unsigned)k))))
			return ret;
	/* ---- the recipe's steps (deploy/realm_recipe.h) ---- */
	if ((ret = hrealm_create(&h->ct, rc.kind, M.sys.rd, rc.config_ipa, rc.config_size)))
		return ret;
	for (unsigned s = 0; s < rc.nsteps; s++) {
		const struct realm_ct_step *st = &rc.steps[s];

		switch (st->op) {
		case RCS_RAM:
			ret = hrealm_ram_range(&h->ct, st->base, st->top);
			break;
		case RCS_RIPAS:
			ret = hrealm_ram_range_to(&h->ct, st->base, st->top, st->leaf);
			break;
		case RCS_CONFIG:
			for (uint64_t i = 0; ret == 0 && st->base + i * PG < st->top; i++) {
				uint8_t page[PG];
				uint64_t pa;
				size_t n =
					h->config_len - i * PG < PG ? h->config_len - i * PG : PG;

				memset(page, 0, sizeof(page));
				memcpy(page, h->config + i * PG, n);
				if ((ret = hrealm_delegate_new(&pa)))
					break;
				if ((ret = hrealm_data_at(&h->ct, st->base + i * PG, pa, page,
							  true)))
					hrealm_undelegate_free(pa);
			}
			break;
		case RCS_POOL:
			ret = hrealm_data_range(&h->ct, st->base, (st->top - st->base) / PG, false);
			break;
		case RCS_RECS:
			/* its processes: RECs made while the realm is NEW (the spec's rule) */
			for (uint64_t k = 0; ret == 0 && k < st->count; k++)
				ret = hrealm_rec_create(&h->ct, rc.rec_pc, NULL);
			break;
		}
		if (ret)
			return ret;
	}
	if ((ret = hrealm_rmi_ok("REALM_ACTIVATE (container)",
				 hrealm_rmi(SMC_RMI_REALM_ACTIVATE, h->ct.rd, 0, 0, 0, 0, NULL))))
		return ret;
	for (unsigned k = 0; k < rc.nrecs; k++) {
		struct hrec *hr = &h->ct.recs[k];

		if ((ret = hrealm_delegate_new(&hr->chan)))
			return ret;
		if ((ret = hrealm_rmi_ok("RB_CHANNEL_CREATE",
					 hrealm_rmi(SMC_RMI_RB_CHANNEL_CREATE, M.sys.rd, hr->chan,
						    hr->rec, realm_chan_ipa(c, k), 0, NULL))))
			return ret;
		hr->chan_live = true;
	}
	h->req = (struct rsys_add_ct){
		.chan_ipa = realm_chan_ipa(c, 0),
		.nrecs = rc.nrecs,
		.pool_ipa = RCT_POOL_IPA,
		.pool_n = rc.pool_n,
		.pool_max = rc.pool_max,
		.mem_size = mem_size,
	};
	return 0;
}

/*
 * Give back everything of slot h (index c) on the host side: channels, the
 * Container Realm, files, the network proxy. Failed RMI calls are counted.
 */
static void ct_channels_destroy(struct ct_host *h, unsigned c, struct realm_counts *cnt)
{
	for (unsigned k = 0; k < h->ct.nrecs; k++) {
		struct hrec *hr = &h->ct.recs[k];
		struct smc_regs r;

		if (hr->chan_live && hrealm_rmi(SMC_RMI_RB_CHANNEL_DESTROY, M.sys.rd, hr->rec,
						realm_chan_ipa(c, k), 0, 0, &r) == RMI_SUCCESS)
			hr->chan_live = false;
		if (!hr->chan_live && hr->chan)
			hrealm_undelegate_free(hr->chan);
		if (hr->chan_live)
			cnt->teardown_failures++;
		hr->chan = hr->chan_live ? hr->chan : 0;
	}
}

static void ct_teardown(struct ct_host *h, unsigned c, struct realm_counts *cnt)
{
	ct_channels_destroy(h, c, cnt);
	cnt->teardown_failures += hrealm_destroy(&h->ct);
	deploy_rootfs_fini(&h->rootfs);
	netproxy_free(h->np);
	h->np = NULL;
	free(h->manifest);
	h->manifest = NULL;
	free(h->config);
	h->config = NULL;
}

/* The RMM's counters of container h into res. */
static void ct_rmm_counters(struct ct_host *h, struct rb_result *res)
{
	struct smc_regs r;

	if (hrealm_rmi(SMC_RMI_RB_REALM_COUNTERS, h->ct.rd, 0, 0, 0, 0, &r) == RMI_SUCCESS) {
		res->forwarded = r.x[1];
		res->verify_refusals = r.x[2];
		res->rmm_copies = r.x[3];
		res->rmm_copy_bytes = r.x[4];
	}
}

int realm_run(const struct rb_config *cfg, const struct rb_manifest *mf, int stdin_fd,
	      int stdout_fd, int stderr_fd, struct rb_result *res, struct realm_counts *cnt,
	      char *errbuf, size_t errlen)
{
	struct ct_host *h = &M.cts[0];
	const int fds[3] = {stdin_fd, stdout_fd, stderr_fd};
	int ret;

	memset(cnt, 0, sizeof(*cnt));
	memset(res, 0, sizeof(*res));
	if (errbuf && errlen)
		errbuf[0] = 0;
	pthread_mutex_lock(&realm_lock);
	if (M.open) {
		pthread_mutex_unlock(&realm_lock);
		snprintf(errbuf, errlen, "the realm machine is open for a daemon's containers");
		return -EBUSY;
	}
	hrealm_errbuf(errbuf, errlen);
	memset(&M.sys, 0, sizeof(M.sys));
	pthread_mutex_lock(&M.mu);
	for (unsigned c = 0; c < PAL_REALM_MAX_CTS; c++)
		ct_reset(&M.cts[c]);
	M.cnt = cnt;
	h->cnt = cnt;
	M.stop = false;
	pthread_mutex_unlock(&M.mu);
	if ((ret = realm_machine_up(errbuf, errlen)))
		goto out_unlock;
	cnt->granules_before = host_granules_in_use();
	realm_exec_reset(0);
	uint64_t sys_mem = realm_ct_sys_mem();
	uint64_t t0 = plat_counter_read(PLAT_CNT_RMI);
	h->used = true;
	/* the System Realm, then the Container Realm; the container gets all its memory */
	if ((ret = sys_build(sys_mem)) || (ret = ct_build(h, 0, cfg, mf, fds, sys_mem)))
		goto out;
	cnt->build_rmi = plat_counter_read(PLAT_CNT_RMI) - t0;

	/* ---- run: the kernel boots at its first entry and adds it; REC 0 starts it ---- */
	uint64_t c0[PLAT_CNT_NR], c1[PLAT_CNT_NR];
	plat_counters_snapshot(c0);
	test_view =
		(struct realm_test_view){M.sys.rd,
					 h->ct.rd,
					 h->ct.recs[0].rec,
					 h->ct.rtt_pa.n ? h->ct.rtt_pa.a[0] : 0,
					 h->ct.data_pa.n ? h->ct.data_pa.a[h->ct.data_pa.n - 1] : 0,
					 M.sys.data_pa.n ? M.sys.data_pa.a[0] : 0};
	pthread_mutex_lock(&M.mu);
	h->bound = true;
	h->add_req = true;
	pthread_mutex_unlock(&M.mu);
	ret = deploy_start_gate_pass(errbuf, errlen);
	if (ret == 0)
		ret = sched_loop(0);
	if (ret == 0 && h->add_done && h->add_result) {
		char why[256];

		realm_sys_start_result(0, why, sizeof(why));
		ret = hrealm_fail(h->add_result, "the System Realm refused the container: %s", why);
	}
	if (ret == 0)
		ret = h->err;
	if (ret == 0)
		res->exit_status = h->have_status ? h->status : 128 + 9;
	plat_counters_snapshot(c1);
	for (int i = 0; i < PLAT_CNT_NR; i++)
		cnt->plat[i] = c1[i] - c0[i];
	ct_rmm_counters(h, res);
	res->rec_exits = cnt->plat[PLAT_CNT_REC_EXIT];
	res->exitless = cnt->plat[PLAT_CNT_EXITLESS];
	res->exitless_timeouts = cnt->plat[PLAT_CNT_EXITLESS_MISS];
	res->exitless_skipped = cnt->plat[PLAT_CNT_EXITLESS_SKIP];
	res->world_switches = cnt->plat[PLAT_CNT_WORLD_SWITCH];
	res->code_words = cnt->plat[PLAT_CNT_CODE_WORD];
	res->code_pages_reused = cnt->plat[PLAT_CNT_CODE_PAGE_KEPT];
	/* stop the kernel: it leaves its idle loop (and the library OS) */
	if (ret == 0) {
		struct rmi_rec_exit sx;
		uint64_t g[RMI_REC_GPRS] = {PRH_CMD_SHUTDOWN};
		hrealm_enter(&M.sys.recs[0], g, RMI_REC_GPRS, &sx);
	}
	{
		struct libos_stats st;
		libos_get_stats(&st);
		res->syscalls = st.syscalls;
		res->syscalls_enosys = st.enosys;
		res->oom_killed = st.oom_kills != 0;
	}
	{
		char msg[256];
		if (ret == 0 && realm_sys_start_result(0, msg, sizeof(msg)) && msg[0] &&
		    stderr_fd >= 0)
			dprintf(stderr_fd, "realmbox: %s\n", msg);
	}

out:
	pthread_mutex_lock(&M.mu);
	h->bound = false;
	pthread_mutex_unlock(&M.mu);
	ct_teardown(h, 0, cnt);
	cnt->teardown_failures += hrealm_destroy(&M.sys);
	cnt->granules_after = host_granules_in_use();
	if (cnt->teardown_failures && ret == 0)
		ret = hrealm_fail(-EIO, "teardown: %u RMI calls failed", cnt->teardown_failures);
out_unlock:
	pthread_mutex_lock(&M.mu);
	ct_reset(h);
	M.cnt = &M.own_cnt;
	pthread_mutex_unlock(&M.mu);
	hrealm_errbuf(NULL, 0);
	pthread_mutex_unlock(&realm_lock);
	return ret;
}

/* ---- a machine serving many containers (realm_machine_open ...) ------------------- */

static void *loop_main(void *arg)
{
	(void)arg;
	M.loop_err = sched_loop(-1);
	return NULL;
}

int realm_machine_open(uint64_t sys_mem, char *errbuf, size_t errlen)
{
	int ret;

	if (sys_mem == 0 || (sys_mem & (PG - 1)) || sys_mem > (1ULL << 32)) {
		snprintf(errbuf, errlen,
			 "System Realm memory: not a page multiple of 4 GiB at most");
		return -EINVAL;
	}
	pthread_mutex_lock(&realm_lock);
	if (M.open) {
		pthread_mutex_unlock(&realm_lock);
		snprintf(errbuf, errlen, "the realm machine is open already");
		return -EBUSY;
	}
	if ((ret = realm_machine_up(errbuf, errlen)))
		goto out;
	pthread_mutex_lock(&M.mu);
	for (unsigned c = 0; c < PAL_REALM_MAX_CTS; c++)
		ct_reset(&M.cts[c]);
	memset(&M.own_cnt, 0, sizeof(M.own_cnt));
	M.cnt = &M.own_cnt;
	M.stop = false;
	M.loop_err = 0;
	pthread_mutex_unlock(&M.mu);
	pthread_mutex_lock(&M.build_mu);
	hrealm_errbuf(errbuf, errlen);
	ret = sys_build(sys_mem);
	hrealm_errbuf(NULL, 0);
	pthread_mutex_unlock(&M.build_mu);
	if (ret == 0 && pthread_create(&M.loop_th, NULL, loop_main, NULL) != 0) {
		snprintf(errbuf, errlen, "cannot start the System Realm's thread");
		ret = -EAGAIN;
	}
	if (ret) {
		hrealm_destroy(&M.sys);
		goto out;
	}
	/* the kernel boots at the loop's first entry */
	pthread_mutex_lock(&M.mu);
	M.running = true;
	pthread_mutex_unlock(&M.mu);
	M.open = true;
out:
	pthread_mutex_unlock(&realm_lock);
	return ret;
}

int realm_ct_start(const struct rb_config *cfg, const struct rb_manifest *mf, const int fds[3],
		   const struct realm_ct_opts *o, char *errbuf, size_t errlen)
{
	struct ct_host *h = NULL;
	unsigned c;
	int ret;

	if (errbuf && errlen)
		errbuf[0] = 0;
	pthread_mutex_lock(&M.mu);
	if (!M.open || !M.running) {
		pthread_mutex_unlock(&M.mu);
		snprintf(errbuf, errlen, "the realm machine is not open");
		return -ESRCH;
	}
	for (c = 0; c < PAL_REALM_MAX_CTS; c++)
		if (M.cts[c].used && !(M.cts[c].stop && !M.cts[c].bound) && /* not one ending */
		    strcmp(M.cts[c].id, cfg->id ? cfg->id : "") == 0) {
			pthread_mutex_unlock(&M.mu);
			snprintf(errbuf, errlen, "container %s runs on this machine already",
				 cfg->id ? cfg->id : "");
			return -EEXIST;
		}
	for (c = 0; c < PAL_REALM_MAX_CTS && !h; c++)
		if (!M.cts[c].used)
			h = &M.cts[c];
	if (!h) {
		pthread_mutex_unlock(&M.mu);
		snprintf(errbuf, errlen, "the machine runs %d containers already (its most)",
			 PAL_REALM_MAX_CTS);
		return -EAGAIN;
	}
	c = ct_index(h);
	ct_reset(h);
	h->used = true; /* reserved; built outside the lock */
	pthread_mutex_unlock(&M.mu);
	realm_exec_reset(c);

	pthread_mutex_lock(&M.build_mu);
	hrealm_errbuf(errbuf, errlen);
	h->log_fd = o->log_fd;
	h->log_level = o->log_level;
	h->nice_set = o->nice_set;
	h->nice = o->nice;
	ret = ct_build(h, c, cfg, mf, fds, o->mem_size);
	if (ret == 0 && (o->rows || o->cols))
		h->req.winsize = (uint64_t)o->rows << 16 | o->cols; /* before init runs */
	hrealm_errbuf(NULL, 0);
	pthread_mutex_unlock(&M.build_mu);
	pthread_mutex_lock(&M.mu);
	if (ret == 0) {
		h->bound = true;
		h->add_req = true;
		pthread_cond_signal(&M.cv_sys);
		while (!h->added && !h->stop && M.running)
			pthread_cond_wait(&M.cv_ps, &M.mu);
		if (!h->added) {
			char why[256] = "";

			if (h->add_done && h->add_result)
				realm_sys_start_result(c, why, sizeof(why));
			snprintf(errbuf, errlen, "the System Realm did not take the container: %s",
				 why[0] ? why : "the machine stopped");
			ret = h->add_done && h->add_result ? h->add_result : -EIO;
		}
	}
	if (ret) {
		h->stop = true;
		h->bound = false;
		pthread_mutex_unlock(&M.mu);
		pthread_mutex_lock(&M.build_mu);
		ct_teardown(h, c, h->cnt);
		pthread_mutex_unlock(&M.build_mu);
		pthread_mutex_lock(&M.mu);
		ct_reset(h);
		pthread_mutex_unlock(&M.mu);
		return ret;
	}
	pthread_mutex_unlock(&M.mu);
	return (int)c;
}

int realm_ct_wait(int slot, struct rb_result *res, char *errbuf, size_t errlen)
{
	return realm_ct_wait_notify(slot, res, errbuf, errlen, NULL, NULL);
}

int realm_ct_wait_notify(int slot, struct rb_result *res, char *errbuf, size_t errlen,
			 void (*ended)(void *arg, const struct rb_result *res, int ret,
				       const char *errbuf),
			 void *arg)
{
	struct ct_host *h;
	int ret = 0;

	memset(res, 0, sizeof(*res));
	if (errbuf && errlen)
		errbuf[0] = 0;
	if (slot < 0 || slot >= PAL_REALM_MAX_CTS)
		return -EINVAL;
	h = &M.cts[slot];
	pthread_mutex_lock(&M.mu);
	if (!M.open || !h->used || !h->added) {
		pthread_mutex_unlock(&M.mu);
		return -ESRCH;
	}
	while (!h->stop && M.running)
		pthread_cond_wait(&M.cv_ps, &M.mu);
	ct_stop(h);
	ct_join(h);
	res->exit_status = h->have_status ? h->status : 128 + 9;
	ret = h->err;
	/* its channels go first: the System Realm then makes their pages RAM again */
	pthread_mutex_unlock(&M.mu);
	pthread_mutex_lock(&M.build_mu);
	ct_rmm_counters(h, res);
	/* machine-wide since it started, like stats' REC exits (other containers' too) */
	res->code_words = plat_counter_read(PLAT_CNT_CODE_WORD) - h->c0[PLAT_CNT_CODE_WORD];
	res->code_pages_reused =
		plat_counter_read(PLAT_CNT_CODE_PAGE_KEPT) - h->c0[PLAT_CNT_CODE_PAGE_KEPT];
	ct_channels_destroy(h, (unsigned)slot, h->cnt);
	pthread_mutex_unlock(&M.build_mu);
	pthread_mutex_lock(&M.mu);
	/* the System Realm finishes its instance and frees the slot (it may still be ending) */
	for (int tries = 0; M.running && tries < 500; tries++) {
		h->drop_req = true;
		h->drop_done = false;
		pthread_cond_signal(&M.cv_sys);
		while ((h->drop_req || h->drop_sent) && M.running)
			pthread_cond_wait(&M.cv_ps, &M.mu);
		if (!h->drop_done || h->drop_result != -EBUSY)
			break;
		pthread_mutex_unlock(&M.mu);
		usleep(20000);
		pthread_mutex_lock(&M.mu);
	}
	if (!h->drop_done || h->drop_result) {
		snprintf(errbuf, errlen, "the System Realm did not free container slot %d: %s",
			 slot, h->drop_done ? strerror(-h->drop_result) : "the machine stopped");
		if (ret == 0)
			ret = -EIO;
	}
	if (h->have_final) {
		res->syscalls = h->final.syscalls;
		res->syscalls_enosys = h->final.enosys;
		res->oom_killed = h->final.oom_kills != 0;
	}
	h->bound = false;
	pthread_mutex_unlock(&M.mu);
	if (ended != NULL) {
		/* its published ports close before anyone hears it ended (as with runc) */
		netproxy_free(h->np);
		h->np = NULL;
		ended(arg, res, ret, errbuf ? errbuf : "");
	}
	pthread_mutex_lock(&M.build_mu);
	ct_teardown(h, (unsigned)slot, h->cnt);
	if (h->cnt->teardown_failures && ret == 0) {
		snprintf(errbuf, errlen, "teardown: %u RMI calls failed",
			 h->cnt->teardown_failures);
		ret = -EIO;
	}
	pthread_mutex_unlock(&M.build_mu);
	pthread_mutex_lock(&M.mu);
	ct_reset(h);
	pthread_mutex_unlock(&M.mu);
	return ret;
}

int realm_test_add_ct(int slot, const struct rsys_add_ct *d)
{
	struct ct_host *h;
	int r;

	if (slot < 0 || slot > 255)
		return -EINVAL;
	if (slot >= PAL_REALM_MAX_CTS) {
		/* no such slot: the host side has nothing for it */
		pthread_mutex_lock(&M.mu);
		if (!M.open || !M.running || M.traw_req || M.traw_sent) {
			pthread_mutex_unlock(&M.mu);
			return -EBUSY;
		}
		M.traw = *d;
		M.traw_ct = (unsigned)slot;
		M.traw_done = false;
		M.traw_req = true;
		pthread_cond_signal(&M.cv_sys);
		while ((M.traw_req || M.traw_sent) && M.running)
			pthread_cond_wait(&M.cv_ps, &M.mu);
		r = M.traw_done ? M.traw_result : -EIO;
		pthread_mutex_unlock(&M.mu);
		return r;
	}
	h = &M.cts[slot];
	pthread_mutex_lock(&M.mu);
	if (!M.open || !M.running || h->used) {
		pthread_mutex_unlock(&M.mu);
		return -EBUSY;
	}
	ct_reset(h);
	h->used = true; /* never bound: no realm of it exists */
	h->req = *d;
	h->add_req = true;
	pthread_cond_signal(&M.cv_sys);
	while ((h->add_req || h->add_sent) && M.running)
		pthread_cond_wait(&M.cv_ps, &M.mu);
	r = h->add_done ? h->add_result : -EIO;
	if (h->added) {
		/* taken after all: give the slot back in the System Realm */
		h->drop_req = true;
		pthread_cond_signal(&M.cv_sys);
		while ((h->drop_req || h->drop_sent) && M.running)
			pthread_cond_wait(&M.cv_ps, &M.mu);
	}
	ct_stop(h);
	ct_join(h);
	ct_reset(h);
	pthread_mutex_unlock(&M.mu);
	return r;
}

int realm_machine_close(struct realm_counts *cnt)
{
	int ret;

	pthread_mutex_lock(&realm_lock);
	if (!M.open) {
		pthread_mutex_unlock(&realm_lock);
		return -ESRCH;
	}
	pthread_mutex_lock(&M.mu);
	for (unsigned c = 0; c < PAL_REALM_MAX_CTS; c++)
		if (M.cts[c].used) {
			pthread_mutex_unlock(&M.mu);
			pthread_mutex_unlock(&realm_lock);
			return -EBUSY;
		}
	M.stop = true;
	pthread_cond_signal(&M.cv_sys);
	pthread_mutex_unlock(&M.mu);
	pthread_join(M.loop_th, NULL);
	ret = M.loop_err;
	if (ret == 0) {
		struct rmi_rec_exit sx;
		uint64_t g[RMI_REC_GPRS] = {PRH_CMD_SHUTDOWN};
		hrealm_enter(&M.sys.recs[0], g, RMI_REC_GPRS, &sx);
	}
	pthread_mutex_lock(&M.build_mu);
	M.own_cnt.teardown_failures += hrealm_destroy(&M.sys);
	pthread_mutex_unlock(&M.build_mu);
	if (cnt)
		*cnt = M.own_cnt;
	if (M.own_cnt.teardown_failures && ret == 0)
		ret = -EIO;
	M.open = false;
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
