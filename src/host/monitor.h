/*
 * The per-container monitor process: after `realmbox create` it holds the
 * whole emulated machine of one container (platform, monitor, RMM, System
 * Realm, Container Realm, or the library OS for --isolation none), built
 * up to the container's first instruction (deploy_set_start_gate). It
 * serves the lifecycle commands on a unix socket in the state directory
 * (ROOT/ID/sock) and exits with the container's exit status (128+N when
 * signal N ended it), so its pid is the container's pid as containerd sees
 * it. Signals sent to it go to the container's init, as `run` forwards them.
 *
 * Protocol: one request line per connection, one reply line:
 *   "start"           -> "ok"
 *   "kill SIG [all]"  -> "ok"
 *   "ps"              -> "ok [{"pid":1,"ppid":0,"state":"R","comm":"sh"},...]"
 *   "stats"           -> "ok {"memory":N,"memory_limit":N,"pids":N,...}" (do_stats)
 *   "exec JSON"       -> an exec session (host/exec.h)
 * and "err ERRNO MESSAGE" for any refusal.
 */
#ifndef HOST_MONITOR_H
#define HOST_MONITOR_H

#include <stdbool.h>
#include <stddef.h>

#include "deploy/deploy.h"
#include "host/cstate.h"
#include "host/err.h"

struct host_monitor_args {
	const char *root;	/* the runtime root (state directory ROOT/ID) */
	struct rb_config *cfg;	/* loaded, args[0] resolved; cfg->id and isolation set */
	struct rb_manifest *mf; /* the rootfs manifest */
	struct rb_cstate *st;	/* the state to record (pid, starttime filled here) */
	int ready_fd;		/* to create: "ok\n" at the gate, or "err MESSAGE\n" */
	int io[3];		/* the container's stdin, stdout, stderr */
};

/*
 * Run as the monitor in this (already detached) process: build the
 * container, record it "created", report to ready_fd, wait for "start",
 * run it and exit with its status. Never returns.
 */
void host_monitor_main(struct host_monitor_args *a) __attribute__((noreturn));

/*
 * The same service for plain foreground `run` (runc's run), in this
 * process: the request socket is served from a thread while deploy_run
 * runs the container here on io (no start gate; signals are the caller's
 * to forward; the caller applies the CPU weight, host_cpu_weight_apply,
 * before it starts any thread). The state is recorded running, then stopped with the exit
 * status. Returns deploy_run's result (res filled), or a negative errno
 * with errbuf set if the socket cannot be served. The caller removes the
 * state directory.
 */
int host_monitor_foreground(struct host_monitor_args *a, struct rb_result *res, char *errbuf,
			    size_t errlen);

/*
 * Send one request line (without newline) to the monitor of container id
 * and read its reply into reply (without "ok"/newline; the payload after
 * "ok "). 0 on "ok"; on "err" the negative errno it names, with err set to
 * its message; -ESRCH if no monitor answers (err says so). Waits at most
 * timeout_ms for the reply.
 */
int host_monitor_request(const char *root, const char *id, const char *req, char *reply, size_t n,
			 int timeout_ms, struct rb_err *err);

/*
 * In the monitor process: signal sig to the init of its container id
 * through its deployment (here, or the machine daemon: daemon.h). As
 * deploy_kill.
 */
int host_monitor_kill(const char *id, int sig);

/*
 * In the monitor process (or foreground run, on SIGWINCH): the container's
 * terminal takes the size the pty on its stdio has now (deploy_winsize;
 * nothing without process.terminal or before the monitor has begun). Waits
 * up to 2 s for init to start. Not from a signal handler.
 */
void host_monitor_winsize(void);

/* In the monitor process: whether its container is running (started, not ended). */
bool host_monitor_running(void);

/*
 * A connection to the monitor of container id (its socket, ROOT/ID/sock):
 * the fd, or -ENOENT / -ESRCH (no monitor answers) with err set.
 */
int host_monitor_connect(const char *root, const char *id, struct rb_err *err);

#endif /* HOST_MONITOR_H */
