/*
 * runc's lifecycle commands over per-container monitor processes
 * (host/monitor.h) and state directories (host/cstate.h):
 *
 *   realmbox [GLOBAL] create --bundle DIR [--pid-file F] [--console-socket S]
 *                            [--no-pivot] [--isolation MODE] ID
 *   realmbox [GLOBAL] start ID | state ID | kill [--all] ID [SIGNAL]
 *   realmbox [GLOBAL] delete [--force] ID | list [--format table|json] [-q]
 *   realmbox [GLOBAL] ps [--format table|json] ID | features | stats ID
 *   realmbox [GLOBAL] events [--stats] [--interval D] ID
 *   realmbox [GLOBAL] exec [--tty] [--env K=V] [--cwd D] [--process F] [--detach]
 *                          [--pid-file F] [--console-socket S] ID CMD...  (none, realm)
 *   realmbox [GLOBAL] run --detach|--pid-file F|--console-socket S ... ID
 *
 * GLOBAL: --root DIR, --log FILE, --log-format text|json, --debug,
 * --systemd-cgroup (accepted, ignored), --isolation MODE (default for
 * containers without the org.realmbox.isolation annotation; also
 * $REALMBOX_ISOLATION). Each command exits 0 on success, 1 with one line
 * "realmbox: CMD: reason" on stderr (and an "error" line in the --log
 * file) on failure, 2 for usage errors.
 */
#ifndef HOST_LIFECYCLE_H
#define HOST_LIFECYCLE_H

#include <stdbool.h>
#include <stddef.h>

struct host_globals {
	const char *root;      /* --root; NULL = the default runtime root */
	const char *isolation; /* --isolation; NULL = $REALMBOX_ISOLATION, else realm */
	bool systemd_cgroup;   /* accepted, ignored (no cgroups inside a realm) */
};
extern struct host_globals host_g;

/*
 * Parse the global options at argv[1..] (before the command). Returns
 * the index of the command in argv, or -1 after printing a usage error.
 */
int host_globals_parse(int argc, char **argv);

/* The commands: argv[0] is the command's name; return the exit status. */
int host_cmd_create(int argc, char **argv);
int host_cmd_start(int argc, char **argv);
int host_cmd_state(int argc, char **argv);
int host_cmd_kill(int argc, char **argv);
int host_cmd_delete(int argc, char **argv);
int host_cmd_list(int argc, char **argv);
int host_cmd_ps(int argc, char **argv);

/*
 * realmbox attest ID [--challenge HEX] [-o FILE]: the running Container
 * Realm's CCA token for the challenge (1 to 64 bytes, zero-padded; random
 * and printed on stderr when not given), written to FILE or stdout ("-").
 * 0, or 1 with a message (not running, not a realm, not allowed by the
 * container's measured configuration), 2 on a usage error.
 */
int host_cmd_attest(int argc, char **argv);
int host_cmd_features(int argc, char **argv);
int host_cmd_exec(int argc, char **argv);
/*
 * Plain foreground `run` (host/run.c) registers its container as runc's
 * run does, so list/state/kill/ps/stats/exec from another shell see it:
 * creates ROOT/ID (refused if the ID exists: "container with id exists")
 * and records st "creating" with this process as its pid. 0, or the exit
 * status after a message. The caller serves it (host_monitor_foreground)
 * and removes ROOT/ID at the end.
 */
struct rb_config;
struct rb_cstate;
int host_run_register(const struct rb_config *cfg, char *root, size_t n, struct rb_cstate *st);

/*
 * pause ID / resume ID (host/pause_cmd.c): stop / continue a running
 * container's monitor process (SIGSTOP / SIGCONT); its state reads
 * "paused" in between. 0, or 1 with runc's message ("container not
 * running", "container not paused"), 2 on a usage error.
 */
int host_cmd_pause(int argc, char **argv);
int host_cmd_resume(int argc, char **argv);

/* stats ID / events [--stats] [--interval D] ID (host/stats_cmd.c) */
int host_cmd_stats(int argc, char **argv);
int host_cmd_events(int argc, char **argv);

/*
 * `run` with --detach, --pid-file or --console-socket: create + start
 * (and, without --detach, wait for the container and delete it). Called by
 * host_cmd_run (host/run.c); the plain foreground `run` stays in-process.
 */
int host_cmd_run_lifecycle(int argc, char **argv);

/* Whether argv (of `run`) asks for the lifecycle path. */
bool host_run_wants_lifecycle(int argc, char **argv);

#endif /* HOST_LIFECYCLE_H */
