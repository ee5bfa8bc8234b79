/*
 * The realm deployment's host side, shared by its files (deploy/realm.c:
 * the scheduler, the runs and the machine; deploy/realm_serve.c: the host
 * calls of the System Realm): one machine's System Realm and its container
 * slots. Not an interface beyond them.
 */
#ifndef DEPLOY_REALM_INT_H
#define DEPLOY_REALM_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "arch/rmi.h"
#include "deploy/deploy_common.h"
#include "deploy/netproxy.h"
#include "deploy/realm.h"
#include "deploy/realm_build.h"
#include "deploy/realm_host.h"
#include "host/manifest.h"
#include "libos/libos.h"
#include "libos/pal_realm.h"
#include "plat/plat.h"

/*
 * One Container Realm bound to the machine's System Realm, in slot c
 * (M.cts[c]): what the host keeps for it. A slot is `used` from its build
 * until its teardown; `bound` while its realm and channels exist (host
 * calls naming it are served); `added` once the System Realm serves it.
 */
struct ct_host {
	bool used, bound, added;
	char id[256];
	struct deploy_rootfs rootfs;
	int fds[3];
	int xfds[LIBOS_CONSOLE_MAX]; /* realm_exec's processes' console streams (-1: none) */
	uint8_t *manifest;
	size_t manifest_len;
	const struct rb_manifest *mf;
	uint8_t *config;
	size_t config_len;
	struct hrealm ct;
	struct netproxy *np;		  /* PRH_NET: its host network proxy */
	uint64_t pool_n, pool_max;	  /* PRH_GROW: granules created / allowed */
	struct rsys_add_ct req;		  /* its description for PRH_CMD_ADD_CT */
	bool add_req, add_sent, add_done; /* PRH_CMD_ADD_CT: to send, sent, answered */
	bool drop_req, drop_sent, drop_done;
	int add_result, drop_result;
	struct pal_realm_live final; /* its library OS's counters at its end (PRH_CMD_DROP_CT) */
	bool have_final;
	struct realm_counts *cnt, own_cnt;
	/* the scheduler's */
	uint64_t pending; /* channels forwarded, not yet handed to the System Realm */
	uint64_t go;	  /* RECs the host may enter */
	uint64_t started; /* RECs with a thread */
	pthread_t th[HREC_MAX];
	bool stop; /* its RECs stop (it ended, or failed) */
	int log_fd;  /* the System Realm's messages about it (PRH_LOG); -1: stderr */
	int log_level; /* ... up to this level (enum log_level) */
	bool nice_set; /* its REC threads' nice value (realm_ct_opts) */
	int nice;
	bool paused; /* realm_pause: its RECs are not entered until resumed */
	bool have_status;
	int status;
	uint64_t signals;     /* for its init (deploy_kill): bit sig-1 */
	bool net_ready;	      /* the network proxy's watcher: a socket it waits for */
	bool ps_req, ps_done; /* realm_ps: asked of the System Realm, answered */
	struct rb_proc_info ps[64];
	int ps_n;
	uint64_t c0[PLAT_CNT_NR]; /* platform counters when it started */
	int err;
};

/*
 * The machine's System Realm (one vCPU: every host call and command goes
 * through it, one at a time, so the NS buffer is shared) and its slots.
 */
struct realm_machine {
	pthread_mutex_t mu;
	pthread_cond_t cv_sys;	  /* the System Realm has something to do */
	pthread_cond_t cv_rec;	  /* RECs may run, or stop */
	pthread_cond_t cv_ps;	  /* answers: ps, outside commands, add/drop, a container's end */
	pthread_mutex_t build_mu; /* host granule allocation and realm builds, one at a time */
	struct hrealm sys;
	uint64_t ns_base_pa; /* the NS buffer, contiguous */
	size_t ns_size;
	uint64_t host_calls;
	bool bad_ct_logged; /* a host call named a container not bound here (said once) */
	struct realm_counts *cnt, own_cnt; /* the System Realm's entries and host calls */
	bool running, stop;
	struct ct_host cts[PAL_REALM_MAX_CTS];
	unsigned rr; /* round robin over the slots for commands */
	/* the command the System Realm is serving now (routes PRH_RESULT) */
	uint64_t inflight;
	unsigned inflight_ct;
	/* an outside command (exec, attest, stats) for one container, pending */
	uint64_t ocmd, oarg;
	unsigned oct;
	const void *odata; /* its request for the NS buffer */
	size_t olen;
	void *obuf; /* where the answer's bytes in the NS buffer go (or NULL) */
	size_t ocap;
	bool obusy, odone; /* one at a time; answered (PRH_RESULT) */
	int64_t oresult;
	/* realm_test_add_ct's description for a slot that does not exist (traw_ct) */
	struct rsys_add_ct traw;
	unsigned traw_ct;
	bool traw_req, traw_sent, traw_done;
	int traw_result;
	/* a daemon machine (realm_machine_open): its System Realm loop's thread */
	bool open;
	pthread_t loop_th;
	int loop_err;
};

/* The machine (deploy/realm.c), as M. */
extern struct realm_machine realm_machine;
#define M realm_machine

/* Container slot c's REC k's channel (System Realm IPA). */
static inline uint64_t realm_chan_ipa(unsigned c, unsigned k)
{
	return RSYS_CHAN_IPA + ((uint64_t)RSYS_CHAN_STRIDE * c + k) * PG;
}

/* ---- realm_serve.c ---- */

/* One host call of the System Realm (M.mu not held): the answer's gprs in out[0..]. */
void realm_serve_host_call(const struct rmi_rec_exit *ex, uint64_t *out);
/*
 * The System Realm's RSI_IPA_STATE_SET exit: RIPAS RAM again, accepted
 * (RTT_SET_RIPAS) only for the channel pages of the slot being dropped.
 * Whether it was.
 */
bool realm_ripas_answer(const struct rmi_rec_exit *ex);
/* Close the host files h's container opened (PRH_OPEN) and left open: its slot is reset. */
void realm_serve_ct_files_close(struct ct_host *h);
/* The NS buffer (M.ns_base_pa), from its start. */
void realm_ns_write(const void *buf, size_t len);
void realm_ns_read(void *buf, size_t len);

/* ---- realm.c ---- */

/* The slot of running container id (M.mu held; its add may be on its way), or NULL. */
struct ct_host *realm_ct_by_id(const char *id);

/* PRH_PS's records (n of them in buf) for container h's waiting realm_ps. */
void realm_ps_answer(struct ct_host *h, const uint8_t *buf, uint64_t n);
/* PRH_RESULT naming slot ct1 - 1 (0: none): the answer to the command being served. */
void realm_result_answer(unsigned ct1, int64_t result);

#endif /* DEPLOY_REALM_INT_H */
