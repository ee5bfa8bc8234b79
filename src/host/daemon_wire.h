/*
 * What the machine daemon and its clients (the containers' monitors)
 * exchange, as JSON (jansson): a container's configuration, its result,
 * its live counters and its process list. The daemon reads what any local
 * process sends it, so every reader checks every field and names what is
 * wrong.
 */
#ifndef HOST_DAEMON_WIRE_H
#define HOST_DAEMON_WIRE_H

#include <jansson.h>

#include "deploy/deploy.h"
#include "host/err.h"

/* cfg as a JSON object (new reference), or NULL (out of memory). */
json_t *host_wire_config(const struct rb_config *cfg);

/*
 * A JSON object from host_wire_config into *cfg (every string malloc'd;
 * free with host_config_free). 0, or -EINVAL naming the field in err
 * (cfg then empty).
 */
int host_wire_config_parse(json_t *o, struct rb_config *cfg, struct rb_err *err);

/* A finished container's result as JSON (new reference), and back (0 or -EINVAL). */
json_t *host_wire_result(const struct rb_result *res);
int host_wire_result_parse(json_t *o, struct rb_result *res, struct rb_err *err);

/* A running container's live counters as JSON, and back (0 or -EINVAL). */
json_t *host_wire_stats(const struct rb_live_stats *ls);
int host_wire_stats_parse(json_t *o, struct rb_live_stats *ls, struct rb_err *err);

/* ps[0..n) as a JSON array, and back: the count (at most max), or -EINVAL. */
json_t *host_wire_ps(const struct rb_proc_info *ps, int n);
int host_wire_ps_parse(json_t *a, struct rb_proc_info *out, int max, struct rb_err *err);

#endif /* HOST_DAEMON_WIRE_H */
