/*
 * `realmbox spec [--bundle DIR] [--rootless]`: write a default config.json,
 * as `runc spec` does, for realmbox: process.args ["sh"], terminal true,
 * cwd "/", PATH and TERM in env, RLIMIT_NOFILE 1024, root.path "rootfs"
 * read-only, hostname "realmbox". The Linux-kernel sections of runc's
 * default (mounts, namespaces, capabilities, masked paths, ...) are left
 * out: realmbox would only ignore them (host/oci.h).
 */
#ifndef HOST_SPEC_H
#define HOST_SPEC_H

#include <stdbool.h>

#include "host/err.h"

/*
 * Write dir/config.json (never overwriting: -EEXIST and "File config.json
 * exists. Remove it first", like runc). rootless adds linux.uidMappings and
 * gidMappings for the calling user and a user namespace, as `runc spec
 * --rootless` does; realmbox itself ignores them. Returns 0 or -errno.
 */
int host_spec_write(const char *dir, bool rootless, struct rb_err *err);

/* The command; argv[0] is "spec". Returns the exit status. */
int host_cmd_spec(int argc, char **argv);

#endif /* HOST_SPEC_H */
