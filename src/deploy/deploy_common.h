/*
 * Pieces every deployment's host side needs (shared so they exist once):
 * the library OS configuration from the OCI configuration and manifest,
 * rootfs files opened without leaving the rootfs, the console relay and
 * randomness.
 * deploy/shim.c uses them; deploy/none.c and deploy/realm.c have their own
 * copies still.
 */
#ifndef DEPLOY_DEPLOY_COMMON_H
#define DEPLOY_DEPLOY_COMMON_H

#include <stddef.h>
#include <sys/types.h>

#include "deploy/deploy.h"
#include "libos/libos.h"

/* lc from cfg and mf; *ents (malloc'd, free it after libos_fini) backs lc->mf. 0 or -ENOMEM. */
struct deploy_libos_config {
	struct libos_config lc;
	struct libos_mf_entry *ents;
	struct libos_rlimit rl[RB_MAX_RLIMITS];
};
int deploy_libos_config(const struct rb_config *cfg, const struct rb_manifest *mf,
			struct deploy_libos_config *out);

/*
 * The host side of a container's files: its rootfs directory and its bind
 * mounts (rb_config.mounts), each open once.
 */
struct deploy_rootfs {
	bool live; /* rootfd open */
	int rootfd;
	unsigned n;
	struct {
		char *dest; /* absolute in the container */
		int fd;     /* O_PATH: the source directory or file */
		bool dir;
	} m[RB_MAX_MOUNTS];
};

/*
 * Open cfg's rootfs and mount sources into *v: 0, or -errno with the
 * path in errbuf (*v then holds nothing to close). deploy_rootfs_fini
 * closes them (safe on a zeroed or finished v).
 */
int deploy_rootfs_init(struct deploy_rootfs *v, const struct rb_config *cfg, char *errbuf,
		       size_t errlen);
void deploy_rootfs_fini(struct deploy_rootfs *v);
/* Whether fd is one of v's own (the rootfs or a mount source). */
bool deploy_rootfs_owns(const struct deploy_rootfs *v, int fd);

/*
 * Open the regular file at path (absolute in the container): under the
 * mount whose destination is its longest prefix (the later mount for the
 * same destination), else under the rootfs, without following symlinks or
 * leaving that directory (openat2 RESOLVE_IN_ROOT, or a component walk on
 * older kernels). fd or -errno.
 */
int deploy_rootfs_open(const struct deploy_rootfs *v, const char *path);

/* Write all of buf to fd (EINTR retried): bytes written, or -errno if none. */
long deploy_console_write(int fd, const void *buf, size_t len);
/* Read what fd has now, never blocking: bytes, 0 at EOF, -EAGAIN if nothing yet. */
long deploy_console_read_nb(int fd, void *buf, size_t len);

/* len bytes of the host's randomness (getrandom, retried). */
void deploy_random(void *buf, size_t len);

/*
 * Pass the start gate (deploy_set_start_gate) if one is set: 0 to run the
 * container, or the gate's negative errno (with errbuf saying the start was
 * cancelled). Deployments call it just before the container's first
 * instruction.
 */
int deploy_start_gate_pass(char *errbuf, size_t errlen);

/*
 * Exec sessions (runc exec): slot s owns the console streams
 * DEPLOY_EXEC_CONSOLE(s) .. +2 (stdin, stdout, stderr of the process). A
 * deployment keeps int pids[DEPLOY_EXEC_SLOTS] (0: free, -1: starting, else
 * the process) under its own lock, which the callers below hold.
 */
#define DEPLOY_EXEC_SLOTS ((LIBOS_CONSOLE_MAX - 3) / 3)
#define DEPLOY_EXEC_CONSOLE(s) (3 + 3 * (s))
/* A free slot, now marked starting; -EAGAIN (errbuf says why) if all are taken. */
int deploy_exec_slot_take(int pids[DEPLOY_EXEC_SLOTS], char *errbuf, size_t errlen);
/* The slot of process pid (> 0), or -1. */
int deploy_exec_slot_find(const int pids[DEPLOY_EXEC_SLOTS], int pid);
/*
 * For deployments that keep the sessions' host fds in an array xfds by
 * console stream (none, shim): take a slot and give its three streams
 * fds (relaxed atomic stores: a relay may read them without the lock);
 * release a slot and its streams (-1).
 */
int deploy_exec_session_open(int pids[DEPLOY_EXEC_SLOTS], int xfds[LIBOS_CONSOLE_MAX],
			     const int fds[3], char *errbuf, size_t errlen);
void deploy_exec_session_close(int pids[DEPLOY_EXEC_SLOTS], int xfds[LIBOS_CONSOLE_MAX], int slot);
/* The library OS's spawn request for the exec request req in slot. */
struct libos_spawn_req deploy_exec_spawn_req(const struct rb_exec_req *req, int slot);

#endif /* DEPLOY_DEPLOY_COMMON_H */
