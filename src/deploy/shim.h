/*
 * The shim deployment (RContainer, DESIGN.md §3): `realmbox run --isolation
 * shim`. The library OS is the deprivileged OS (libos/pal_shim.c) in the
 * Normal world; the trusted mini-OS (minios/) is registered with the
 * monitor once per process; each container gets a con-shim and its
 * shim-GPT.
 */
#ifndef DEPLOY_SHIM_H
#define DEPLOY_SHIM_H

#include <stdint.h>

#include "deploy/deploy.h"
#include "plat/plat.h"

struct shim_counts {
	uint64_t plat[PLAT_CNT_NR];		  /* platform counters over the container's run */
	uint64_t granules_before, granules_after; /* host_granules_in_use around the run */
	uint64_t gpts_before, gpts_after;	  /* live GPTs (EL3) around the run */
	uint64_t donated;			  /* granules the OS gave the con-shim */
	uint64_t runs, traps_svc;		  /* rc_switch_to_miniOS calls; SVC traps */
	uint64_t idles, idle_ns;		  /* the deprivileged OS had nothing to run */
	uint64_t preemptions;			  /* tasks in EL0 interrupted at their slice's end */
	uint64_t minios_table_bytes;		  /* the mini-OS's object tables, at most, in the run */
	uint64_t root_gpt_bytes;		  /* Root memory of the live GPTs (boot's aside) at the end */
	int baseline;				  /* 1: the artifact's path (4 EL3 round trips per call) */
};

/*
 * deploy_run for RB_ISOLATION_SHIM, with counts. REALMBOX_SHIM_BASELINE=1
 * selects the artifact's path (the mini-OS leaves the Priv-GPT with its own
 * SET_GPTBR: 4 EL3 round trips per system call); the default folds those
 * switches into the gate's return (2).
 */
int shim_run(const struct rb_config *cfg, const struct rb_manifest *mf, int stdin_fd,
	     int stdout_fd, int stderr_fd, struct rb_result *res, struct shim_counts *cnt,
	     char *errbuf, size_t errlen);

/*
 * The path later shim_runs take: 1 the artifact's (baseline), 0 the default,
 * -1 (the initial setting) whatever REALMBOX_SHIM_BASELINE says. For a
 * caller that would otherwise change its environment while the machine's
 * threads (which call getenv) run.
 */
void shim_select_path(int baseline);

/* shim_run without the counts (REALMBOX_SHIM_DEBUG=1 prints them). */
int deploy_shim_run(const struct rb_config *cfg, const struct rb_manifest *mf, int stdin_fd,
		    int stdout_fd, int stderr_fd, struct rb_result *res, char *errbuf,
		    size_t errlen);

/* deploy_kill for a shim container: 0, -ESRCH (none of that id running), -EINVAL. */
int shim_kill(const char *id, int sig);

/*
 * deploy_winsize for a shim container: in the start gate the size is kept
 * for the OS's thread to set before init starts; afterwards a request the
 * OS's thread serves (as shim_ps). 0, -ESRCH (not running, or between the
 * gate and init's start), -ENOTTY (no terminal), -ETIMEDOUT.
 */
int shim_winsize(const char *id, unsigned short rows, unsigned short cols);

/*
 * For the attack tests only (tests/unit/test_attack_host.c): the
 * deprivileged OS is untrusted, so a test may play a compromised one. What
 * such an OS knows of the running container: its con-shim handle, the
 * index of its shim-GPT (rc_create_shim's results) and the mini-OS task
 * handles it has run (rc_switch_to_miniOS), most recent first; some may
 * have ended since.
 */
#define SHIM_OS_VIEW_TASKS 16
struct shim_os_view {
	uint64_t shim, shim_gpt;
	uint64_t tasks[SHIM_OS_VIEW_TASKS];
	unsigned ntasks;
};

/*
 * Run fn(arg, view) once, on the deprivileged OS's thread with the OS-GPT
 * current, the next time every task of a running shim container sleeps
 * (the deployment's idle). fn may make any Normal-world access and rc_*
 * call the OS could; it must leave the container runnable. A later call
 * replaces a hook not yet run; fn NULL removes it.
 */
void shim_test_at_idle(void (*fn)(void *arg, const struct shim_os_view *v), void *arg);

/* Whether the shim container `id` is running now (deploy_ps). */
bool shim_running(const char *id);

/*
 * deploy_ps, deploy_stats, deploy_exec, deploy_exec_wait and
 * deploy_exec_kill for a shim container, with their contracts (deploy.h).
 * Each is a request the deprivileged OS's thread serves between calls
 * (the single-GPTBR limit: no other thread enters the library OS); the
 * caller waits for the answer, -ESRCH until init has started and once the
 * container has ended. Any thread but the run's.
 */
int shim_ps(const char *id, struct rb_proc_info *out, int max);
int shim_stats(const char *id, struct rb_live_stats *out);
int shim_exec(const char *id, const struct rb_exec_req *req, char *errbuf, size_t errlen);
int shim_exec_wait(const char *id, int pid, int timeout_ms, int *status);
int shim_exec_kill(const char *id, int pid, int sig);
int shim_exec_winsize(const char *id, int pid, unsigned short rows, unsigned short cols);

#endif /* DEPLOY_SHIM_H */
