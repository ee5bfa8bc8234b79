/*
 * OCI bundles: read DIR/config.json (OCI runtime spec 1.0.x-1.2.x) into the
 * struct rb_config that a deployment runs (deploy/deploy.h).
 *
 * What realmbox does with each field: docs/oci-config.md, the table that
 * tests/py/test_oci_config.py checks. In short:
 *  honoured  ociVersion, process.{args, env, cwd, user.{uid, gid,
 *            additionalGids, umask}, terminal, rlimits, oomScoreAdj}, hostname,
 *            root.{path, readonly}, linux.resources memory/pids/cpu
 *            (host_resources_parse), annotations "org.realmbox.*"
 *  accepted  without effect (--debug line): what holds by construction or
 *            concerns only the host (capabilities, LSM labels, id mappings,
 *            cgroupsPath, masked/readonly paths, namespaces listing every
 *            kind, the container OS's own devices and file systems)
 *  warned    on stderr and in the --log file (field_warn): fields set for an
 *            effect realmbox does not give (seccomp, sysctl, scheduler, ...;
 *            other linux.resources fields; bind mounts, not mounted)
 *  refused   what a confidential container does not offer: hooks, host or
 *            existing namespaces, host devices, other file systems; and windows / solaris / zos / vm, process.commandLine,
 *            linux.personality other than LINUX, invalid values
 */
#ifndef HOST_OCI_H
#define HOST_OCI_H

#include <stdbool.h>
#include <stddef.h>

#include "deploy/deploy.h"
#include "host/err.h"

/*
 * Load the bundle in dir: parse dir/config.json and check it. On success
 * returns 0 and fills *cfg (bundle and rootfs as absolute host paths, every
 * string owned by cfg; free with host_config_free). id is left NULL and
 * isolation RB_ISOLATION_REALM: the caller sets them. On failure returns a
 * negative errno, leaves *cfg empty (nothing to free) and explains in err,
 * e.g. "config.json:3:7: malformed JSON: ..." or
 * "config.json: root.path: /b/rootfs: No such file or directory".
 */
int host_bundle_load(const char *dir, struct rb_config *cfg, struct rb_err *err);

/*
 * Parse config.json text. name is the file name used in messages, bundle
 * the absolute bundle directory that a relative root.path is resolved
 * against. Same contract as host_bundle_load.
 */
int host_config_parse(const char *text, size_t len, const char *name, const char *bundle,
		      struct rb_config *cfg, struct rb_err *err);

/*
 * Add the published ports of spec to cfg->publish: "HOSTPORT:CONTAINERPORT"
 * (optionally "/tcp"), several separated by commas; ports 1..65535, each
 * host port and each container port once. 0, or -EINVAL with the reason
 * in err ("--publish 8080: want HOSTPORT:CONTAINERPORT").
 */
int host_publish_parse(const char *spec, const char *what, struct rb_config *cfg,
		       struct rb_err *err);

/*
 * linux.resources (json_t *, jansson) into cfg's mem_limit, pids_limit and
 * cpu_weight (docs/resources.md): memory.limit and unified memory.max in
 * 1 MiB..1 TiB (-1 / "max": none), pids.limit and unified pids.max in
 * 1..4194304 (0 or -1: none), cpu.shares 2..262144 (as runc converts it) and
 * unified cpu.weight 1..10000. Other fields are ignored with a warning on
 * stderr. 0, or -EINVAL naming the field and the reason in err
 * ("config.json: linux.resources.memory.limit: -5: negative ...").
 */
int host_resources_parse(void *res, const char *name, struct rb_config *cfg, struct rb_err *err);

/*
 * The CPU weight (1..10000, cgroup v2's scale, 100 = default) as a nice
 * value -20..19 with the nearest CFS share relative to nice 0.
 */
int host_cpu_weight_nice(uint32_t weight);

/*
 * Apply cfg->cpu_weight (if set) to this process before the deployment
 * starts its threads, which inherit it: every host thread of the
 * container (vCPUs, RECs, the shim's one thread) gets the weight's nice
 * value, so the host's scheduler shares the CPU between containers by
 * weight. There is no weighting among one container's own tasks. A nice
 * below 0 needs CAP_SYS_NICE: without it a warning on stderr, no error.
 */
void host_cpu_weight_apply(const struct rb_config *cfg);

/*
 * Whether host_bundle_load and host_config_parse print their warnings
 * (fields set but not applied: "realmbox: warning: config.json: linux.sysctl:
 * ignored (...)") on stderr and in the --log file. On by default; off for a
 * second reading of a bundle that create already warned about.
 */
void host_config_warnings(bool on);

/*
 * The config.json fields that can be refused and those that can be ignored
 * with a warning, comma-separated, for `features` (which values of each:
 * docs/oci-config.md). Static strings.
 */
const char *host_config_refused_fields(void);
const char *host_config_warned_fields(void);

/*
 * Apply cfg's process.oomScoreAdj (if given) to this process, the
 * container's host process (its pid is the container's): the host's OOM
 * killer weighs it, as it weighs runc's container init. 0, or -errno with
 * err ("process.oomScoreAdj: -500: /proc/self/oom_score_adj: Permission
 * denied": a lower value needs CAP_SYS_RESOURCE).
 */
int host_oom_score_adj_apply(const struct rb_config *cfg, struct rb_err *err);

/* Free everything cfg owns and zero it. Safe on a zeroed or freed cfg. */
void host_config_free(struct rb_config *cfg);

/* The arm64 RLIMIT_* number of an OCI rlimit type ("RLIMIT_NOFILE"), or -1. */
int host_rlimit_number(const char *name);
/* The OCI name of an arm64 RLIMIT_* number, or NULL. */
const char *host_rlimit_name(int resource);

/* A container id as runc accepts it: [a-zA-Z0-9][a-zA-Z0-9_.-]*, 1..1024 chars. */
bool host_container_id_valid(const char *id);

/* "realm", "shim", "none" -> *iso; returns false for anything else. */
bool host_isolation_parse(const char *s, enum rb_isolation *iso);
const char *host_isolation_name(enum rb_isolation iso);

#endif /* HOST_OCI_H */
