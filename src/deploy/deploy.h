/*
 * The seam between the host runtime and a container deployment: what the
 * runtime hands over to run one container (the parsed OCI configuration and
 * the rootfs manifest) and what it gets back. A deployment puts the
 * container OS (libos) and the CPU engine together for one isolation mode:
 *   none  - the container OS handles traps directly (deploy/none.c)
 *   realm - Fasco: Container Realm + System Realm through the RMM (deploy/realm.c)
 *   shim  - RContainer: the library OS deprivileged, the mini-OS (deploy/shim.c)
 * Like boot/, this directory is glue that may name every component.
 */
#ifndef DEPLOY_DEPLOY_H
#define DEPLOY_DEPLOY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum rb_isolation {
	RB_ISOLATION_REALM = 0, /* default */
	RB_ISOLATION_SHIM,
	RB_ISOLATION_NONE,
};

struct rb_rlimit {
	int resource; /* RLIMIT_* number as on Linux arm64 */
	uint64_t soft, hard;
};

#define RB_MAX_RLIMITS 16

/* `--publish HOSTPORT:CONTAINERPORT`: the container's TCP port on host 127.0.0.1:HOSTPORT. */
struct rb_publish {
	uint16_t host_port, container_port;
};

#define RB_MAX_PUBLISH 32

/*
 * A bind mount of config.json (docs/oci-config.md): the host file or
 * directory source, as it is at create, appears at destination. Its files
 * are measured into the rootfs manifest like the rootfs's own (a change
 * after create is refused or read as EIO); writes never reach the host.
 */
struct rb_mount {
	char *destination; /* absolute, normalized, not "/" */
	char *source;      /* absolute host path of a directory or a regular file */
	bool readonly;     /* options held "ro" */
};

#define RB_MAX_MOUNTS 64

/* The OCI process and container settings realmbox honours. */
struct rb_config {
	char *id;
	char *bundle;           /* absolute */
	char *rootfs;           /* absolute host path of root.path */
	bool rootfs_readonly;
	char *hostname;         /* NULL = the container id */
	char **args;            /* NULL-terminated, argc >= 1 */
	char **env;             /* NULL-terminated */
	char *cwd;              /* absolute in the container */
	uint32_t uid, gid;
	uint32_t *additional_gids;
	unsigned n_additional_gids;
	uint32_t umask;         /* 022 unless process.user.umask */
	bool terminal;
	struct rb_rlimit rlimits[RB_MAX_RLIMITS];
	unsigned n_rlimits;
	enum rb_isolation isolation;
	struct rb_publish publish[RB_MAX_PUBLISH]; /* --publish, annotation org.realmbox.publish */
	unsigned n_publish;
	bool runtime_exec;      /* annotation org.realmbox.exec = "allow": realm mode takes exec */
	bool runtime_attest;    /* org.realmbox.attest = "allow": realm mode answers attest */
	/* linux.resources (docs/resources.md); 0 = no limit / not set */
	uint64_t mem_limit;     /* memory.limit in bytes: the container's pages at most */
	uint64_t pids_limit;    /* pids.limit: processes and threads at once */
	uint32_t cpu_weight;    /* cpu.shares or unified cpu.weight, as a cgroup v2 weight 1..10000 */
	bool oom_score_adj_set; /* process.oomScoreAdj given: the host process's OOM score */
	int oom_score_adj;      /* -1000..1000 */
	struct rb_mount *mounts; /* bind mounts in config.json order (a later one over an earlier) */
	unsigned n_mounts;
};

/* One rootfs entry as measured at create time. */
enum rb_manifest_type {
	RB_MF_FILE = 0,
	RB_MF_DIR = 1,
	RB_MF_SYMLINK = 2,
};

struct rb_manifest_entry {
	char *path;             /* absolute in the container: "/bin/busybox" */
	enum rb_manifest_type type;
	uint32_t mode;          /* permission bits and file type (st_mode) */
	uint32_t uid, gid;
	uint64_t size;
	uint64_t mtime_sec;
	uint8_t sha256[32];     /* of the content (files), of the target (symlinks) */
	char *link_target;      /* symlinks only */
};

/*
 * Sorted by path (strcmp), so lookups are binary searches and the digest is
 * canonical. digest = SHA-256 of the canonical serialization (see
 * host/manifest.h).
 */
struct rb_manifest {
	struct rb_manifest_entry *entries;
	size_t n;
	uint8_t digest[32];
};

/* What a finished container reports. */
struct rb_result {
	int exit_status;        /* as for a shell: code, or 128+signal */
	int term_signal;        /* 0 unless killed by a signal */
	/* Counters for --stats (machine-independent costs). */
	uint64_t syscalls;
	uint64_t syscalls_enosys;
	uint64_t forwarded;     /* exceptions forwarded to the System Realm (shim: by the mini-OS) */
	uint64_t rec_exits;
	/* realm: requests completed without an exit; waits that ran out; posted without a wait (backoff) */
	uint64_t exitless, exitless_timeouts, exitless_skipped;
	uint64_t world_switches;
	uint64_t rmm_copies, rmm_copy_bytes;
	uint64_t verify_refusals;
	/* shim: RContainer's EL3 round trips, GPT switches, TLBIs, rc_* calls */
	uint64_t rc_el3, gpt_switches, tlbis, rc_calls;
	uint64_t preemptions;   /* shim: tasks in EL0 interrupted at their time slice's end */
	/* shim: the mini-OS's object tables at their largest during the run (its memory) */
	uint64_t minios_table_bytes;
	/* shim: Root memory of the live GPTs beyond the boot GPT as the run ends (EL3's pool) */
	uint64_t root_gpt_bytes;
	/* the A64 engine: guest instruction words compiled; code pages reused from a vCPU's last process */
	uint64_t code_words, code_pages_reused;
	bool oom_killed;        /* the memory limit ended it (docs/resources.md) */
};

/*
 * Run the container described by cfg whose rootfs is described by mf, with
 * stdio on the given host file descriptors, until its init process exits.
 * Returns 0 with *res filled, or a negative errno (with a message written to
 * errbuf) if the container could not be started.
 */
int deploy_run(const struct rb_config *cfg, const struct rb_manifest *mf, int stdin_fd,
	       int stdout_fd, int stderr_fd, struct rb_result *res, char *errbuf, size_t errlen);

/*
 * Send signal `sig` (Linux numbering) to the init process of the running
 * container `id` (as `runc kill` does; SIGKILL cannot be caught). Call it
 * from any thread while deploy_run runs, not from a signal handler.
 * Returns 0, -ESRCH if no such container runs, -EINVAL for a bad signal,
 * -ENOTSUP for a deployment that cannot do it yet.
 */
int deploy_kill(const char *id, int sig);

/*
 * The host resized the terminal of running container `id` (its pty's
 * TIOCGWINSZ now says rows x cols): the container's console terminal
 * (/dev/pts/0, init's) takes that size, and if it changed its foreground
 * process group gets SIGWINCH, as Linux's TIOCSWINSZ on a pty master does.
 * Any thread while deploy_run runs, also from the start gate (the size
 * init starts with: it is set before init's first instruction); not from a
 * signal handler. Returns 0, -ESRCH if no such container runs (also for a
 * moment after the gate while init starts: try again), -ENOTTY if it has
 * no terminal (process.terminal false), -ETIMEDOUT (realm, shim: the
 * container OS did not answer within 10 s).
 */
int deploy_winsize(const char *id, unsigned short rows, unsigned short cols);

/*
 * The start gate (runc's create/start split): when set, deploy_run calls
 * gate(arg) once the machine and the container are built, just before the
 * container's first instruction, on deploy_run's thread. gate returns 0 to
 * let the container run, or a negative errno: deploy_run then tears the
 * container down without running it and returns that errno. NULL (the
 * default) starts at once. Set it before deploy_run, not during.
 */
void deploy_set_start_gate(int (*gate)(void *arg), void *arg);

/*
 * A process of the running container, as `realmbox ps` lists it: its pid
 * inside the container, its parent's and its command name.
 */
struct rb_proc_info {
	int pid, ppid;
	char state;    /* 'R' running or runnable, 'S' sleeping, 'Z' zombie */
	char comm[16]; /* NUL-terminated */
};

/*
 * The processes of the running container `id` into out[0..max): the count
 * found (may exceed max; only max are written), -ESRCH if no such
 * container runs, -ENOTSUP for a deployment that cannot list them.
 * Any thread, while deploy_run runs.
 */
int deploy_ps(const char *id, struct rb_proc_info *out, int max);
/* (none: the library OS directly; realm: asked of the System Realm; shim: of the OS's thread) */

/* A running container's counters now (`realmbox stats`, `events --stats`). */
struct rb_live_stats {
	uint64_t mem_bytes;       /* container pages in use (docs/resources.md: what counts) */
	uint64_t pids;            /* tasks alive or not yet reaped */
	uint64_t syscalls, syscalls_enosys;
	uint64_t oom_kills;       /* the memory limit was reached (the container is ending) */
	uint64_t pids_refused;    /* clone/exec refused at the pids limit */
	bool has_rmm;             /* realm: the three below are the RMM's and the platform's */
	uint64_t forwarded;       /* exceptions forwarded to the System Realm (shim: to the OS) */
	uint64_t rec_exits, world_switches;
	bool has_shim;            /* shim: forwarded and the five below are RContainer's */
	uint64_t rc_el3;          /* EL3 round trips (SMCs to RContainer's FIDs) */
	uint64_t gpt_switches;    /* GPTBR_EL3 writes */
	uint64_t tlbis, rc_calls; /* TLBIs; rc_* calls the mini-OS handled */
	uint64_t preemptions;     /* tasks in EL0 interrupted at their time slice's end */
};

/*
 * The counters of the running container `id` now: 0, -ESRCH if no such
 * container runs, -ETIMEDOUT (realm: no answer from the System Realm;
 * shim: the OS's thread did not take the request). Any thread, while
 * deploy_run runs.
 */
int deploy_stats(const char *id, struct rb_live_stats *out);

/* A process to start in a running container (runc's exec). */
struct rb_exec_req {
	char **args;   /* NULL-terminated, args[0] looked up in PATH of env when without '/' */
	char **env;    /* NULL-terminated */
	const char *cwd;
	uint32_t uid, gid;
	bool terminal; /* fds are a terminal */
	unsigned short rows, cols; /* its size at start (0x0: not known, 24x80) */
	int fds[3];    /* its stdin, stdout, stderr on the host: used until deploy_exec_wait ends */
};

/*
 * Start req in the running container id, as if forked from outside (its
 * parent is not in the container). Returns its pid in the container, or a
 * negative errno with a message in errbuf (-ESRCH: not running, -ENOTSUP:
 * the deployment cannot yet, -EAGAIN: too many sessions, or the program's
 * error). Any thread, while deploy_run runs.
 */
int deploy_exec(const char *id, const struct rb_exec_req *req, char *errbuf, size_t errlen);

/*
 * Wait at most timeout_ms for deploy_exec's process pid to end: 0 with
 * *status (code, or 128+signal), -ETIMEDOUT, or -ESRCH (the container
 * ended first). After 0 or -ESRCH the deployment no longer uses its fds.
 */
int deploy_exec_wait(const char *id, int pid, int timeout_ms, int *status);

/* Signal deploy_exec's process pid: 0, -ESRCH, -EINVAL. */
int deploy_exec_kill(const char *id, int pid, int sig);

/*
 * deploy_winsize for the terminal of deploy_exec's process pid (its req
 * had terminal): its pty was resized to rows x cols. 0, -ESRCH (no such
 * container or process), -ENOTTY (the process has no terminal), -EINVAL.
 */
int deploy_exec_winsize(const char *id, int pid, unsigned short rows, unsigned short cols);

/*
 * The running container id's CCA attestation token for challenge (realmbox
 * attest), made by the RMM for its Container Realm, into out[0..cap): its
 * length, or a negative errno with the reason in errbuf: -ESRCH (not
 * running), -ENOTSUP (the isolation mode has no realm to attest), -EPERM
 * (the container's measured configuration does not allow it), -EBUSY,
 * -EIO. Any thread, while deploy_run runs.
 */
int deploy_attest(const char *id, const uint8_t challenge[64], uint8_t *out, size_t cap,
		  char *errbuf, size_t errlen);

#endif /* DEPLOY_DEPLOY_H */
