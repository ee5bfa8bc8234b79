/*
 * The machine daemon's messages as JSON (daemon_wire.h). 64-bit counters
 * and limits travel as decimal strings: jansson's integers are signed.
 */
#include "host/daemon_wire.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/oci.h"

#define WIRE_MAX_STRINGS 4096

static json_t *u64(uint64_t v)
{
	char b[24];

	snprintf(b, sizeof(b), "%" PRIu64, v);
	return json_string(b);
}

static json_t *strv_json(char *const *v)
{
	json_t *a = json_array();

	for (; a && v && *v; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

json_t *host_wire_config(const struct rb_config *c)
{
	json_t *o = json_object(), *rl = json_array(), *pub = json_array(), *gids = json_array();
	json_t *mnt = json_array();

	if (!o || !rl || !pub || !gids || !mnt) {
		json_decref(o);
		json_decref(rl);
		json_decref(pub);
		json_decref(gids);
		json_decref(mnt);
		return NULL;
	}
	for (unsigned i = 0; i < c->n_mounts; i++)
		json_array_append_new(mnt, json_pack("{s:s,s:s,s:b}", "destination",
						     c->mounts[i].destination, "source",
						     c->mounts[i].source, "readonly",
						     c->mounts[i].readonly));
	json_object_set_new(o, "mounts", mnt);
	for (unsigned i = 0; i < c->n_rlimits; i++)
		json_array_append_new(rl, json_pack("{s:i,s:o,s:o}", "resource",
						    c->rlimits[i].resource, "soft",
						    u64(c->rlimits[i].soft), "hard",
						    u64(c->rlimits[i].hard)));
	for (unsigned i = 0; i < c->n_publish; i++)
		json_array_append_new(pub, json_pack("[i,i]", c->publish[i].host_port,
						     c->publish[i].container_port));
	for (unsigned i = 0; i < c->n_additional_gids; i++)
		json_array_append_new(gids, json_integer(c->additional_gids[i]));
	json_object_set_new(o, "id", json_string(c->id ? c->id : ""));
	json_object_set_new(o, "bundle", json_string(c->bundle ? c->bundle : ""));
	json_object_set_new(o, "rootfs", json_string(c->rootfs ? c->rootfs : ""));
	json_object_set_new(o, "rootfs_readonly", json_boolean(c->rootfs_readonly));
	if (c->hostname)
		json_object_set_new(o, "hostname", json_string(c->hostname));
	json_object_set_new(o, "args", strv_json(c->args));
	json_object_set_new(o, "env", strv_json(c->env));
	json_object_set_new(o, "cwd", json_string(c->cwd ? c->cwd : "/"));
	json_object_set_new(o, "uid", json_integer(c->uid));
	json_object_set_new(o, "gid", json_integer(c->gid));
	json_object_set_new(o, "additional_gids", gids);
	json_object_set_new(o, "umask", json_integer(c->umask));
	json_object_set_new(o, "terminal", json_boolean(c->terminal));
	json_object_set_new(o, "rlimits", rl);
	json_object_set_new(o, "isolation", json_string(host_isolation_name(c->isolation)));
	json_object_set_new(o, "publish", pub);
	json_object_set_new(o, "runtime_exec", json_boolean(c->runtime_exec));
	json_object_set_new(o, "runtime_attest", json_boolean(c->runtime_attest));
	json_object_set_new(o, "mem_limit", u64(c->mem_limit));
	json_object_set_new(o, "pids_limit", u64(c->pids_limit));
	json_object_set_new(o, "cpu_weight", json_integer(c->cpu_weight));
	if (c->oom_score_adj_set)
		json_object_set_new(o, "oom_score_adj", json_integer(c->oom_score_adj));
	return o;
}

/* ---- readers: each names the field it refuses ------------------------------------ */

static int bad(struct rb_err *err, const char *what, const char *why)
{
	return rb_err_set(err, EINVAL, "%s: %s", what, why);
}

static int get_str(json_t *o, const char *k, bool required, char **out, struct rb_err *err)
{
	json_t *v = json_object_get(o, k);

	*out = NULL;
	if (v == NULL)
		return required ? bad(err, k, "missing") : 0;
	if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
		return bad(err, k, "not a string");
	*out = strdup(json_string_value(v));
	return *out ? 0 : rb_err_set(err, ENOMEM, "%s: out of memory", k);
}

static int get_u64(json_t *o, const char *k, uint64_t *out, struct rb_err *err)
{
	json_t *v = json_object_get(o, k);
	const char *s;
	char *end;

	*out = 0;
	if (v == NULL)
		return 0;
	s = json_string_value(v);
	if (s == NULL || s[0] < '0' || s[0] > '9')
		return bad(err, k, "not a decimal string");
	errno = 0;
	*out = strtoull(s, &end, 10);
	if (errno || *end)
		return bad(err, k, "not a 64-bit unsigned number");
	return 0;
}

static int get_int(json_t *o, const char *k, long long lo, long long hi, long long *out,
		   struct rb_err *err)
{
	json_t *v = json_object_get(o, k);

	*out = 0;
	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return rb_err_set(err, EINVAL, "%s: not an integer from %lld to %lld", k, lo, hi);
	*out = json_integer_value(v);
	return 0;
}

static int get_bool(json_t *o, const char *k, bool *out, struct rb_err *err)
{
	json_t *v = json_object_get(o, k);

	*out = false;
	if (v == NULL)
		return 0;
	if (!json_is_boolean(v))
		return bad(err, k, "not a boolean");
	*out = json_is_true(v);
	return 0;
}

static int get_strv(json_t *o, const char *k, bool nonempty, char ***out, struct rb_err *err)
{
	json_t *a = json_object_get(o, k);
	size_t n = json_array_size(a);

	*out = NULL;
	if (!json_is_array(a) || n > WIRE_MAX_STRINGS || (nonempty && n == 0))
		return bad(err, k, nonempty ? "not a non-empty array of strings"
					    : "not an array of strings");
	*out = calloc(n + 1, sizeof(char *));
	if (*out == NULL)
		return rb_err_set(err, ENOMEM, "%s: out of memory", k);
	for (size_t i = 0; i < n; i++) {
		json_t *s = json_array_get(a, i);

		if (!json_is_string(s) || strlen(json_string_value(s)) != json_string_length(s))
			return bad(err, k, "not an array of strings");
		if (((*out)[i] = strdup(json_string_value(s))) == NULL)
			return rb_err_set(err, ENOMEM, "%s: out of memory", k);
	}
	return 0;
}

static int config_lists(json_t *o, struct rb_config *c, struct rb_err *err)
{
	json_t *rl = json_object_get(o, "rlimits"), *pub = json_object_get(o, "publish");
	json_t *gids = json_object_get(o, "additional_gids");
	size_t i;

	if (rl && (!json_is_array(rl) || json_array_size(rl) > RB_MAX_RLIMITS))
		return bad(err, "rlimits", "not an array of at most 16");
	for (i = 0; i < json_array_size(rl); i++) {
		json_t *e = json_array_get(rl, i);
		long long r;

		if (!json_is_object(e) || get_int(e, "resource", 0, 15, &r, err) ||
		    get_u64(e, "soft", &c->rlimits[i].soft, err) ||
		    get_u64(e, "hard", &c->rlimits[i].hard, err))
			return rb_err_wrap(err, "rlimits[%zu]", i);
		c->rlimits[i].resource = (int)r;
		c->n_rlimits++;
	}
	if (pub && (!json_is_array(pub) || json_array_size(pub) > RB_MAX_PUBLISH))
		return bad(err, "publish", "not an array of at most 32");
	for (i = 0; i < json_array_size(pub); i++) {
		json_t *e = json_array_get(pub, i);
		json_int_t h = json_integer_value(json_array_get(e, 0));
		json_int_t p = json_integer_value(json_array_get(e, 1));

		if (json_array_size(e) != 2 || h < 1 || h > 65535 || p < 1 || p > 65535)
			return bad(err, "publish", "not pairs of ports 1..65535");
		c->publish[i].host_port = (uint16_t)h;
		c->publish[i].container_port = (uint16_t)p;
		c->n_publish++;
	}
	json_t *mnt = json_object_get(o, "mounts");

	if (mnt && (!json_is_array(mnt) || json_array_size(mnt) > RB_MAX_MOUNTS))
		return bad(err, "mounts", "not an array of at most 64");
	if (json_array_size(mnt) &&
	    (c->mounts = calloc(json_array_size(mnt), sizeof(*c->mounts))) == NULL)
		return rb_err_set(err, ENOMEM, "mounts: out of memory");
	for (i = 0; i < json_array_size(mnt); i++) {
		json_t *e = json_array_get(mnt, i);
		struct rb_mount *m = &c->mounts[i];

		c->n_mounts++; /* counted first: host_config_free frees what is set */
		if (!json_is_object(e) || get_str(e, "destination", true, &m->destination, err) ||
		    get_str(e, "source", true, &m->source, err) ||
		    get_bool(e, "readonly", &m->readonly, err))
			return rb_err_wrap(err, "mounts[%zu]", i);
		if (m->destination[0] != '/' || strcmp(m->destination, "/") == 0 ||
		    strstr(m->destination, "/..") || m->source[0] != '/')
			return bad(err, "mounts", "destination and source must be absolute paths, "
						  "the destination not / and without \"..\"");
	}
	if (gids && (!json_is_array(gids) || json_array_size(gids) > 65536))
		return bad(err, "additional_gids", "not an array of at most 65536");
	if (json_array_size(gids)) {
		c->additional_gids = calloc(json_array_size(gids), sizeof(uint32_t));
		if (c->additional_gids == NULL)
			return rb_err_set(err, ENOMEM, "additional_gids: out of memory");
	}
	for (i = 0; i < json_array_size(gids); i++) {
		json_t *g = json_array_get(gids, i);

		if (!json_is_integer(g) || json_integer_value(g) < 0 ||
		    json_integer_value(g) > (json_int_t)UINT32_MAX)
			return bad(err, "additional_gids", "not integers from 0 to 4294967295");
		c->additional_gids[i] = (uint32_t)json_integer_value(g);
		c->n_additional_gids++;
	}
	return 0;
}

int host_wire_config_parse(json_t *o, struct rb_config *c, struct rb_err *err)
{
	long long uid, gid, umask, weight, adj;
	char *iso = NULL;
	int r;

	memset(c, 0, sizeof(*c));
	if (!json_is_object(o))
		return bad(err, "config", "not an object");
	if ((r = get_str(o, "id", true, &c->id, err)) || (r = get_str(o, "bundle", true, &c->bundle, err)) ||
	    (r = get_str(o, "rootfs", true, &c->rootfs, err)) ||
	    (r = get_str(o, "hostname", false, &c->hostname, err)) ||
	    (r = get_str(o, "cwd", true, &c->cwd, err)) ||
	    (r = get_strv(o, "args", true, &c->args, err)) ||
	    (r = get_strv(o, "env", false, &c->env, err)) ||
	    (r = get_bool(o, "rootfs_readonly", &c->rootfs_readonly, err)) ||
	    (r = get_bool(o, "terminal", &c->terminal, err)) ||
	    (r = get_bool(o, "runtime_exec", &c->runtime_exec, err)) ||
	    (r = get_bool(o, "runtime_attest", &c->runtime_attest, err)) ||
	    (r = get_int(o, "uid", 0, UINT32_MAX, &uid, err)) ||
	    (r = get_int(o, "gid", 0, UINT32_MAX, &gid, err)) ||
	    (r = get_int(o, "umask", 0, 0777, &umask, err)) ||
	    (r = get_int(o, "cpu_weight", 0, 10000, &weight, err)) ||
	    (r = get_int(o, "oom_score_adj", -1000, 1000, &adj, err)) ||
	    (r = get_u64(o, "mem_limit", &c->mem_limit, err)) ||
	    (r = get_u64(o, "pids_limit", &c->pids_limit, err)) ||
	    (r = get_str(o, "isolation", true, &iso, err)) || (r = config_lists(o, c, err)))
		goto fail;
	if (!host_container_id_valid(c->id)) {
		r = bad(err, "id", "not a container id");
		goto fail;
	}
	if (c->rootfs[0] != '/' || c->bundle[0] != '/' || c->cwd[0] != '/') {
		r = bad(err, "rootfs, bundle and cwd", "must be absolute paths");
		goto fail;
	}
	if (!host_isolation_parse(iso, &c->isolation)) {
		r = bad(err, "isolation", "not realm, shim or none");
		goto fail;
	}
	c->uid = (uint32_t)uid;
	c->gid = (uint32_t)gid;
	c->umask = (uint32_t)umask;
	c->cpu_weight = (uint32_t)weight;
	c->oom_score_adj_set = json_object_get(o, "oom_score_adj") != NULL;
	c->oom_score_adj = (int)adj;
	free(iso);
	return 0;
fail:
	free(iso);
	host_config_free(c);
	return r;
}

/* ---- results, counters, process lists ---------------------------------------------- */

#define RESULT_FIELDS(X)                                                                    \
	X(syscalls) X(syscalls_enosys) X(forwarded) X(rec_exits) X(exitless)                \
	X(exitless_timeouts) X(exitless_skipped) X(world_switches) X(rmm_copies)            \
	X(rmm_copy_bytes) X(verify_refusals) X(rc_el3) X(gpt_switches) X(tlbis) X(rc_calls) \
	X(preemptions) X(minios_table_bytes) X(root_gpt_bytes) X(code_words) X(code_pages_reused)

json_t *host_wire_result(const struct rb_result *res)
{
	json_t *o = json_pack("{s:i,s:i,s:b}", "exit_status", res->exit_status, "term_signal",
			      res->term_signal, "oom_killed", res->oom_killed);
#define PUT(f) json_object_set_new(o, #f, u64(res->f));
	if (o)
		RESULT_FIELDS(PUT)
#undef PUT
	return o;
}

int host_wire_result_parse(json_t *o, struct rb_result *res, struct rb_err *err)
{
	long long st, sig;

	memset(res, 0, sizeof(*res));
	if (!json_is_object(o))
		return bad(err, "result", "not an object");
	if (get_int(o, "exit_status", 0, 255, &st, err) || get_int(o, "term_signal", 0, 64, &sig, err) ||
	    get_bool(o, "oom_killed", &res->oom_killed, err))
		return -EINVAL;
#define GET(f)                                   \
	if (get_u64(o, #f, &res->f, err) < 0) \
		return -EINVAL;
	RESULT_FIELDS(GET)
#undef GET
	res->exit_status = (int)st;
	res->term_signal = (int)sig;
	return 0;
}

#define STATS_FIELDS(X)                                                                        \
	X(mem_bytes) X(pids) X(syscalls) X(syscalls_enosys) X(oom_kills) X(pids_refused)       \
	X(forwarded) X(rec_exits) X(world_switches) X(rc_el3) X(gpt_switches) X(tlbis)         \
	X(rc_calls) X(preemptions)

json_t *host_wire_stats(const struct rb_live_stats *ls)
{
	json_t *o = json_pack("{s:b,s:b}", "has_rmm", ls->has_rmm, "has_shim", ls->has_shim);
#define PUT(f) json_object_set_new(o, #f, u64(ls->f));
	if (o)
		STATS_FIELDS(PUT)
#undef PUT
	return o;
}

int host_wire_stats_parse(json_t *o, struct rb_live_stats *ls, struct rb_err *err)
{
	memset(ls, 0, sizeof(*ls));
	if (!json_is_object(o))
		return bad(err, "stats", "not an object");
	if (get_bool(o, "has_rmm", &ls->has_rmm, err) || get_bool(o, "has_shim", &ls->has_shim, err))
		return -EINVAL;
#define GET(f)                                  \
	if (get_u64(o, #f, &ls->f, err) < 0) \
		return -EINVAL;
	STATS_FIELDS(GET)
#undef GET
	return 0;
}

json_t *host_wire_ps(const struct rb_proc_info *ps, int n)
{
	json_t *a = json_array();

	for (int i = 0; a && i < n; i++) {
		char st[2] = {ps[i].state, 0};

		json_array_append_new(a, json_pack("{s:i,s:i,s:s,s:s#}", "pid", ps[i].pid, "ppid",
						   ps[i].ppid, "state", st, "comm", ps[i].comm,
						   strnlen(ps[i].comm, sizeof(ps[i].comm))));
	}
	return a;
}

int host_wire_ps_parse(json_t *a, struct rb_proc_info *out, int max, struct rb_err *err)
{
	int n = 0;

	if (!json_is_array(a))
		return bad(err, "ps", "not an array");
	for (size_t i = 0; i < json_array_size(a) && n < max; i++) {
		json_t *e = json_array_get(a, i);
		long long pid, ppid;
		const char *st = json_string_value(json_object_get(e, "state"));
		const char *comm = json_string_value(json_object_get(e, "comm"));

		if (!json_is_object(e) || get_int(e, "pid", 1, INT32_MAX, &pid, err) ||
		    get_int(e, "ppid", 0, INT32_MAX, &ppid, err) || st == NULL || comm == NULL ||
		    strlen(st) != 1)
			return bad(err, "ps", "not a list of processes");
		memset(&out[n], 0, sizeof(out[n]));
		out[n].pid = (int)pid;
		out[n].ppid = (int)ppid;
		out[n].state = st[0];
		snprintf(out[n].comm, sizeof(out[n].comm), "%s", comm);
		n++;
	}
	return n;
}
