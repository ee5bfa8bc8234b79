/*
 * `realmbox run [--isolation realm|shim|none] [--bundle DIR] [--stats]
 * [--debug] ID`: load the OCI bundle, build the rootfs manifest, run the
 * container through deploy_run with this process's stdio, and exit with the
 * container's status (128+signal when a signal ended it), as runc does.
 */
#ifndef HOST_RUN_H
#define HOST_RUN_H

/*
 * argv[0] is "run". Returns the process exit status: the container's,
 * 1 for a runtime error (message on stderr, "realmbox: run: ..."),
 * 2 for a usage error.
 */
int host_cmd_run(int argc, char **argv);

struct rb_config;
struct rb_manifest;
struct rb_err;
/*
 * process.args[0] without a '/' replaced by its PATH lookup through the
 * manifest (runc's exec.LookPath), as `run` executes it; `realmbox
 * measure` uses the same step. With a '/' it is checked as runc checks
 * it: a regular file with an execute bit. 0, or -ENOENT (not found) or
 * -EACCES (not executable) with err set to runc's message.
 */
int host_run_resolve_args0(struct rb_config *cfg, const struct rb_manifest *mf,
			   struct rb_err *err);

#endif /* HOST_RUN_H */
