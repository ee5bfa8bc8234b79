/*
 * The machine daemon (docs/machine-daemon.md): one long-lived realmbox
 * process per runtime root holds the emulated machine (platform, monitor,
 * RMM, one System Realm) and runs every `--isolation realm` container of
 * that root as a Container Realm on it, up to PAL_REALM_MAX_CTS at once.
 * A container's monitor process (host/monitor.h) stays what containerd
 * waits for: it hands its container's stdio to the daemon and relays
 * lifecycle requests. The first container's monitor starts the daemon
 * when none answers; it exits after a while with nothing to do.
 *
 * Socket: ROOT/daemon.sock (0600); lock: ROOT/daemon.lock (held while a
 * daemon lives); log: ROOT/daemon.log (a started daemon's stderr).
 * Protocol: one request line per connection, answered "ok ..." or
 * "err ERRNO MESSAGE":
 *   "hello"             -> "ok PID SLOTS SETTINGS": then one more request
 *                          follows (SETTINGS: host_daemon_settings)
 *   "run JSON" + 3 fds  -> "ok SLOT", later "exit RESULT-JSON" when it ended;
 *                          the connection closing kills the container.
 *                          JSON: {"config": host_wire_config, "digest": HEX,
 *                          "log_level": 0..3, "winsize": [ROWS, COLS] (terminal)}
 *   "kill ID SIG"       -> "ok"
 *   "ps ID"             -> "ok [{pid, ppid, state, comm}, ...]"
 *   "stats ID"          -> "ok {host_wire_stats}"
 *   "attest ID HEX"     -> "ok HEX" (the token)
 *   "pause ID 1|0"      -> "ok" (its RECs stop being entered / go on)
 *   "exec_kill ID PID SIG" -> "ok"
 *   "winsize ID ROWS COLS" -> "ok" (its terminal resized)
 *   "exec ID JSON" + 3 fds -> an exec session as the monitor's (host/exec.h)
 *   "status"            -> "ok {"pid":N,"containers":[ID,...],"slots":N,"served":N}"
 *                          (served: containers it took over its life)
 */
#ifndef HOST_DAEMON_H
#define HOST_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "deploy/deploy.h"

/*
 * `realmbox daemon [--idle-exit SECONDS] [--ready-fd N]`: serve the runtime
 * root's machine in the foreground until SIGTERM/SIGINT or, with
 * --idle-exit, until nothing ran and no client was connected for that
 * long. --ready-fd: a descriptor to close once the socket listens (or the
 * daemon failed). Exit status 0, or 1 after a message.
 */
int host_cmd_daemon(int argc, char **argv);

/*
 * What a monitor calls for its running container: the deployment in its
 * own process (deploy.h) or the daemon (over its socket).
 */
struct host_deploy_ops {
	int (*kill)(const char *id, int sig);
	int (*ps)(const char *id, struct rb_proc_info *out, int max);
	int (*stats)(const char *id, struct rb_live_stats *out);
	int (*attest)(const char *id, const uint8_t challenge[64], uint8_t *out, size_t cap,
		      char *errbuf, size_t errlen);
	int (*exec_kill)(const char *id, int pid, int sig);
	int (*winsize)(const char *id, unsigned short rows, unsigned short cols);
};
extern const struct host_deploy_ops host_deploy_local;
extern const struct host_deploy_ops host_deploy_daemon;

/*
 * Whether container cfg runs on the daemon: isolation realm, REALMBOX_DAEMON
 * is not "0" (nor "off"), and REALMBOX_REALM_DEBUG (the counts a machine of
 * its own prints) is not set.
 */
bool host_daemon_wanted(const struct rb_config *cfg);

/*
 * The machine's settings this process's environment gives (the
 * REALMBOX_* variables the realm machine and a Container Realm's recipe
 * read: exitless forwarding, DRAM, vCPU pool, System Realm memory, pool,
 * RECs) as 16 hex digits. A monitor whose settings differ from the
 * daemon's runs its container on a machine of its own: the daemon's
 * environment is its first client's.
 */
void host_daemon_settings(char out[17]);

/*
 * A connection to root's daemon that said hello, starting the daemon
 * (`realmbox --root ROOT daemon --idle-exit S`, detached, its stderr in
 * ROOT/daemon.log) when none answers and start is set. The fd (its client
 * functions then use root), or -errno with the reason in errbuf.
 */
int host_daemon_connect(const char *root, bool start, char *errbuf, size_t errlen);

/*
 * Run container cfg (rootfs as mf describes it) on the daemon over conn
 * (from host_daemon_connect; closed here), its stdio fds[0..2]: first the
 * start gate (deploy_set_start_gate), then "run". 0 with res filled when
 * it ended; -EAGAIN (errbuf says why) when the daemon cannot take it (its
 * slots are all taken, or it went away before taking it): the caller may
 * run it in its own process, the gate already passed; another negative
 * errno with errbuf.
 */
int host_daemon_run(int conn, const struct rb_config *cfg, const struct rb_manifest *mf,
		    const int fds[3], struct rb_result *res, char *errbuf, size_t errlen);

/*
 * Pause (true) or resume container id if root's daemon runs it (no daemon
 * is started): 0, -ESRCH (no daemon, or it does not run id).
 */
int host_daemon_pause(const char *root, const char *id, bool pause);

/*
 * In the monitor: relay the exec session that asked req ("exec JSON") on
 * conn with fds (closed here) to the daemon's session for container id,
 * until the process ends or either side goes away.
 */
void host_daemon_exec_relay(int conn, int fds[3], const char *req, const char *id);

#endif /* HOST_DAEMON_H */
