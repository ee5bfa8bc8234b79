/*
 * Container state on the host (runc's state directory): ROOT/ID/ holds
 * state.json (what `state` and `list` print, rewritten atomically by the
 * container's monitor process at every transition), lock (flock that
 * serializes the commands changing a container) and sock (the monitor's
 * unix socket, see host/monitor.h). The container's pid is its monitor's
 * pid; a monitor that died (or a pid reused by another process) reads as
 * "stopped", so `state` and `list` never wait for a monitor.
 */
#ifndef HOST_CSTATE_H
#define HOST_CSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "host/err.h"

enum rb_cstatus {
	RB_CS_CREATING = 0, /* the create command is still building it */
	RB_CS_CREATED,
	RB_CS_RUNNING,
	RB_CS_STOPPED,
	RB_CS_PAUSED, /* never recorded: a running container whose monitor is stopped (pause) */
};

struct rb_cstate {
	char id[1025];
	char bundle[4096];
	char rootfs[4096];
	char created[40];	/* RFC 3339, UTC */
	char isolation[8];	/* realm, shim, none */
	pid_t pid;		/* the monitor; 0 before it exists */
	uint64_t starttime;	/* the monitor's /proc/PID/stat start time (pid reuse check) */
	enum rb_cstatus status; /* as recorded; see host_cstate_status */
	int exit_status;	/* when stopped by the monitor: the container's, -1 otherwise */
	char *annotations;	/* JSON object text (malloc'd; NULL = {}) */
	bool oom_killed;	/* stopped by the memory limit (state's "oomKilled") */
};

/* "created", "running", ... */
const char *host_cstatus_name(enum rb_cstatus s);

/*
 * The state directory of id under root into out ("ROOT/ID"). 0, or
 * -ENAMETOOLONG with err set.
 */
int host_cstate_dir(const char *root, const char *id, char *out, size_t n, struct rb_err *err);

/*
 * Read ROOT/ID/state.json into st. 0; -ENOENT with err "container ID does
 * not exist"; other negative errnos for a damaged file (err names it).
 */
int host_cstate_read(const char *root, const char *id, struct rb_cstate *st, struct rb_err *err);

/* Write st as ROOT/ID/state.json (temporary file + rename). 0 or -errno with err. */
int host_cstate_write(const char *root, const struct rb_cstate *st, struct rb_err *err);

/* Free what st owns (annotations). */
void host_cstate_free(struct rb_cstate *st);

/*
 * The status a client should see: the recorded one, or STOPPED when the
 * monitor process is gone, a zombie, or another process under that pid,
 * or PAUSED when a running container's monitor is stopped (SIGSTOP).
 */
enum rb_cstatus host_cstate_status(const struct rb_cstate *st);

/* Whether pid is a live (not zombie) process started at starttime (0: any). */
bool host_pid_alive(pid_t pid, uint64_t starttime);

/* Whether pid is stopped by a signal (state T in /proc/PID/stat). */
bool host_pid_stopped(pid_t pid);

/* The start time field of /proc/PID/stat, 0 if unreadable. */
uint64_t host_pid_starttime(pid_t pid);

/*
 * Take the container's lock (ROOT/ID/lock, flock LOCK_EX), waiting at
 * most timeout_ms. Returns the lock fd (close it to release), -ENOENT if
 * the container does not exist, -ETIMEDOUT if another command holds it.
 */
int host_cstate_lock(const char *root, const char *id, int timeout_ms, struct rb_err *err);

/* Remove ROOT/ID and everything in it. 0 or -errno with err. */
int host_cstate_remove(const char *root, const char *id, struct rb_err *err);

/* The OCI state JSON of st as runc prints it (malloc'd, NULL on ENOMEM). */
char *host_cstate_oci_json(const struct rb_cstate *st, enum rb_cstatus status, int indent);

#endif /* HOST_CSTATE_H */
