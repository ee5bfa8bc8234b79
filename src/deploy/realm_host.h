/*
 * The realm deployment's host side (deploy/realm.c) beyond deploy.h: the
 * run with its machine-independent counts, for the CLI's deploy_run, tests
 * and the benchmark.
 */
#ifndef DEPLOY_REALM_HOST_H
#define DEPLOY_REALM_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "deploy/deploy.h"
#include "plat/plat.h"

struct realm_counts {
	uint64_t build_rmi;       /* RMI calls to build both realms */
	uint64_t ct_entries;      /* REC_ENTERs of the container REC */
	uint64_t sys_entries;     /* REC_ENTERs of the System Realm REC */
	uint64_t forwards;        /* RMI_EXIT_RB_FORWARD exits seen */
	uint64_t host_calls;      /* System Realm host calls served (not counting idle) */
	uint64_t plat[PLAT_CNT_NR]; /* platform counters over the container's run */
	uint64_t granules_before, granules_after; /* host_granules_in_use around the run */
	unsigned teardown_failures;
};

/*
 * Boot the machine once per process (machine_boot, host_mem_init) and
 * register the System Realm kernel. 0 or a negative errno with errbuf.
 */
int realm_machine_up(char *errbuf, size_t errlen);

/*
 * The System Realm memory a container's kernel gets (REALMBOX_REALM_SYS_MB,
 * default 48 MiB): all of realm_run's machine, one slot of the daemon's.
 */
uint64_t realm_ct_sys_mem(void);

/* NS granules the host has allocated (0 before the machine is up). */
uint64_t realm_granules_in_use(void);

/*
 * deploy_run for RB_ISOLATION_REALM, with counts. Builds the System Realm
 * and one Container Realm, runs the container to its end, tears both down.
 */
int realm_run(const struct rb_config *cfg, const struct rb_manifest *mf, int stdin_fd,
	      int stdout_fd, int stderr_fd, struct rb_result *res, struct realm_counts *cnt,
	      char *errbuf, size_t errlen);

/*
 * deploy_kill for a realm container: the runtime asks the System Realm to
 * send sig to the container's init (the container OS decides, as a kernel
 * does). SIGKILL resumes a paused container (realm_pause) so it can end.
 * 0, -ESRCH (no such container running), -EINVAL.
 */
int realm_kill(const char *id, int sig);

/*
 * Pause (pause true) or resume the running realm container id (runc's
 * pause): its RECs are not entered again until resumed; one running now
 * stops at its next exit (a time slice at most). Its System Realm goes on
 * serving the others. 0, or -ESRCH (no such container running).
 */
int realm_pause(const char *id, bool pause);

/*
 * deploy_winsize for a realm container: before the System Realm knows of
 * it, its PRH_CMD_ADD_CT description carries the size (applied before init
 * runs); afterwards PRH_CMD_WINSIZE. 0, -ESRCH (not running, or not
 * started yet in the System Realm), -ENOTTY (no terminal), -EINVAL.
 */
int realm_winsize(const char *id, unsigned short rows, unsigned short cols);

/*
 * deploy_ps for a realm container: the runtime asks the System Realm
 * (PRH_CMD_PS), which reports pid, parent, state and name of each process.
 * Count, -ESRCH (not running), -ETIMEDOUT (no answer within 5 s).
 */
int realm_ps(const char *id, struct rb_proc_info *out, int max);

/*
 * deploy_exec, deploy_exec_wait and deploy_exec_kill for a realm container:
 * the System Realm starts the process on a REC that never ran
 * (PRH_CMD_EXEC), reports its status (PRH_CMD_EXEC_STATUS) and signals it
 * (PRH_CMD_KILL_PID); its console streams are the request's fds.
 */
int realm_exec(const char *id, const struct rb_exec_req *req, char *errbuf, size_t errlen);
int realm_exec_wait(const char *id, int pid, int timeout_ms, int *status);
int realm_exec_kill(const char *id, int pid, int sig);
/* deploy_exec_winsize for a realm container: PRH_CMD_WINSIZE naming the process. */
int realm_exec_winsize(const char *id, int pid, unsigned short rows, unsigned short cols);

/*
 * deploy_stats for a realm container: memory, pids and system calls as the
 * System Realm reports them (PRH_CMD_STATS), forwarded exceptions as the
 * host saw them, REC exits and world switches from the platform's
 * counters since the container started. 0, -ESRCH, -ETIMEDOUT.
 */
int realm_stats(const char *id, struct rb_live_stats *out);

/* Forget every exec session of container slot `slot` (a new container there: realm_exec.c). */
void realm_exec_reset(unsigned slot);

/* The machine slot of container id (deploy/realm_exec.c), or -ESRCH. */
int realm_ct_slot(const char *id);

/*
 * For deploy/realm_exec.c: ask the System Realm of running container id
 * cmd/arg (PRH_CMD_*) with data for its NS buffer, and wait at most 10 s
 * for its PRH_RESULT: the result, -ESRCH (not running), -ETIMEDOUT.
 */
int64_t realm_outside(const char *id, uint64_t cmd, uint64_t arg, const void *data, size_t len);

/*
 * realm_outside whose positive result is a length of bytes the System
 * Realm left in its NS buffer: they are copied to out (cap bytes at most;
 * -EMSGSIZE if longer) before the result returns.
 */
int64_t realm_outside_read(const char *id, uint64_t cmd, uint64_t arg, const void *data,
			   size_t len, void *out, size_t cap);

/*
 * deploy_attest for a realm container: the System Realm asks the RMM for
 * the Container Realm's token (PRH_CMD_ATTEST). Its length, or a negative
 * errno with the reason in errbuf.
 */
int realm_attest(const char *id, const uint8_t challenge[64], uint8_t *out, size_t cap,
		 char *errbuf, size_t errlen);
/* The NS buffer's size (the largest request). */
size_t realm_ns_size(void);
/* Container id's console streams base..base+2 go to fds (NULL: closed, -1). */
void realm_set_xfds(const char *id, unsigned base, const int fds[3]);

/* Whether the realm container `id` is running now (deploy_ps). */
bool realm_running(const char *id);

/*
 * For the attack tests only: the host's file server lies about the file at
 * `path` (container view, as the System Realm asks for it) from the next
 * run on. REALM_LIE_NONE turns it off. The library OS must answer EIO for
 * every lie but REALM_LIE_SHORT (short reads are not lies).
 */
enum realm_lie {
	REALM_LIE_NONE,
	REALM_LIE_BYTES,      /* flip a bit in what it sends */
	REALM_LIE_TRUNCATE,   /* half the file, then end of file */
	REALM_LIE_GROW,       /* a byte more than the manifest's size */
	REALM_LIE_OTHER_FILE, /* the content of `other` instead */
	REALM_LIE_SHORT,      /* honest, 3 bytes per read */
};
void realm_test_lie(enum realm_lie mode, const char *path, const char *other);

/*
 * For the attack tests only: a compromised System Realm. From the next run
 * on, every SMC the System Realm's code makes (x[0] the FID, x[1..10] its
 * arguments, the results written back) goes to hook instead, which may make
 * calls of its own through smc (from the System Realm's vCPU, as its code
 * would) and passes x on with smc when it wants the call made. NULL: none.
 */
typedef void (*realm_test_smc_fn)(void *guest, uint64_t x[11]);
typedef void (*realm_test_smc_hook)(void *guest, uint64_t x[11], realm_test_smc_fn smc);
void realm_test_sys_smc_hook(realm_test_smc_hook hook);

/*
 * For the attack tests only: granules of the running container's realms,
 * as the host knows them. 0, or -ESRCH when no container runs.
 */
struct realm_test_view {
	uint64_t sys_rd, ct_rd, ct_rec0, ct_rtt, ct_data, sys_data;
};
int realm_test_view(struct realm_test_view *v);

/*
 * A machine serving several Container Realms at once (the machine daemon,
 * docs/machine-daemon.md): realm_machine_open builds the System Realm
 * (sys_mem bytes of kernel memory, a page multiple) and runs it on a
 * thread of its own; realm_ct_start builds a container's Container Realm,
 * binds it and has the System Realm take it (mem_size bytes of its memory
 * for the container's kernel: o->mem_size), returning its slot (0..PAL_REALM_MAX_CTS-1)
 * or a negative errno with errbuf (-EAGAIN: every slot taken, -EEXIST: the
 * id runs already, -EINVAL/-ENOMEM: the System Realm refused it);
 * realm_ct_wait waits for the container's end (its status, the RMM's and
 * its library OS's counters in res), has the
 * System Realm free the slot and gives its realm back, so the slot can be
 * reused; realm_machine_close (every container waited for, else -EBUSY)
 * stops the System Realm and gives it back (cnt: its entries and host
 * calls, teardown failures; may be NULL). realm_run refuses (-EBUSY)
 * while a machine is open. fds: stdin, stdout, stderr; o->log_fd: where
 * the System Realm's messages about the container go (-1: this process's
 * stderr), e.g. "memory limit of N pages reached", up to o->log_level.
 */
int realm_machine_open(uint64_t sys_mem, char *errbuf, size_t errlen);
struct realm_ct_opts {
	uint64_t mem_size; /* System Realm memory for its kernel (a page multiple) */
	int log_fd;        /* where the System Realm's messages about it go; -1: stderr */
	int log_level;     /* the most verbose of them to pass (enum log_level) */
	unsigned short rows, cols; /* its terminal's size at start (0x0: 24x80) */
	bool nice_set;     /* its RECs' host threads run at this nice value (CPU weight) */
	int nice;
};
int realm_ct_start(const struct rb_config *cfg, const struct rb_manifest *mf, const int fds[3],
		   const struct realm_ct_opts *o, char *errbuf, size_t errlen);
int realm_ct_wait(int slot, struct rb_result *res, char *errbuf, size_t errlen);
/*
 * realm_ct_wait that calls ended(arg, res, ret, errbuf) as soon as the
 * result is complete (status, counters; the System Realm freed the slot),
 * before the Container Realm is torn down (then its own teardown failures
 * are only in the value returned).
 */
int realm_ct_wait_notify(int slot, struct rb_result *res, char *errbuf, size_t errlen,
			 void (*ended)(void *arg, const struct rb_result *res, int ret,
				       const char *errbuf),
			 void *arg);
int realm_machine_close(struct realm_counts *cnt);

/*
 * For the attack tests only: a host that hands the open machine's System
 * Realm description d for slot `slot` (free on the host side, no realm
 * built for it; up to 255, beyond PAL_REALM_MAX_CTS a slot that does not
 * exist) in a PRH_CMD_ADD_CT. The System Realm's result (if it
 * took the slot after all, it is dropped again), or -EBUSY (no open
 * machine, the slot is used).
 */
struct rsys_add_ct;
int realm_test_add_ct(int slot, const struct rsys_add_ct *d);

/* realm_run without the counts (REALMBOX_REALM_DEBUG=1 prints them). */
int deploy_realm_run(const struct rb_config *cfg, const struct rb_manifest *mf, int stdin_fd,
		     int stdout_fd, int stderr_fd, struct rb_result *res, char *errbuf,
		     size_t errlen);

#endif /* DEPLOY_REALM_HOST_H */
