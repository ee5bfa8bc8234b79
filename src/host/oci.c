/*
 * OCI bundle loading: config.json (parsed with jansson) into struct
 * rb_config. Every field is checked for type and range, and an error names
 * the field by its JSON path ("process.user.uid: must be an integer in
 * 0..4294967295"). What is honoured, ignored or refused is listed in oci.h.
 */
#include "host/oci.h"

#include "host/rtlog.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONFIG_MAX_BYTES (16u << 20) /* a config.json larger than this is refused */
#define MAX_ADDITIONAL_GIDS 65536
#define HOSTNAME_MAX 64

/* ---- Names ---------------------------------------------------------------- */

/* RLIMIT_* numbers as on Linux arm64 (asm-generic/resource.h). */
static const char *const rlimit_names[] = {
	"RLIMIT_CPU",	   "RLIMIT_FSIZE", "RLIMIT_DATA",   "RLIMIT_STACK",
	"RLIMIT_CORE",	   "RLIMIT_RSS",   "RLIMIT_NPROC",  "RLIMIT_NOFILE",
	"RLIMIT_MEMLOCK",  "RLIMIT_AS",	   "RLIMIT_LOCKS",  "RLIMIT_SIGPENDING",
	"RLIMIT_MSGQUEUE", "RLIMIT_NICE",  "RLIMIT_RTPRIO", "RLIMIT_RTTIME",
};
_Static_assert(sizeof(rlimit_names) / sizeof(rlimit_names[0]) == RB_MAX_RLIMITS,
	       "one slot per rlimit type");

int host_rlimit_number(const char *name)
{
	for (int i = 0; i < RB_MAX_RLIMITS; i++) {
		if (strcmp(name, rlimit_names[i]) == 0)
			return i;
	}
	return -1;
}

const char *host_rlimit_name(int resource)
{
	if (resource < 0 || resource >= RB_MAX_RLIMITS)
		return NULL;
	return rlimit_names[resource];
}

bool host_container_id_valid(const char *id)
{
	size_t n;

	if (id == NULL || !isalnum((unsigned char)id[0]))
		return false;
	for (n = 0; id[n] != '\0'; n++) {
		unsigned char c = (unsigned char)id[n];

		if (!(isalnum(c) || c == '_' || c == '.' || c == '-'))
			return false;
		if (n >= 1024)
			return false;
	}
	return true;
}

static const char *const isolation_names[] = {
	[RB_ISOLATION_REALM] = "realm",
	[RB_ISOLATION_SHIM] = "shim",
	[RB_ISOLATION_NONE] = "none",
};

bool host_isolation_parse(const char *s, enum rb_isolation *iso)
{
	for (unsigned i = 0; i < sizeof(isolation_names) / sizeof(isolation_names[0]); i++) {
		if (s != NULL && strcmp(s, isolation_names[i]) == 0) {
			*iso = (enum rb_isolation)i;
			return true;
		}
	}
	return false;
}

const char *host_isolation_name(enum rb_isolation iso)
{
	if ((unsigned)iso < sizeof(isolation_names) / sizeof(isolation_names[0]))
		return isolation_names[iso];
	return "?";
}

/* ---- Typed field access ---------------------------------------------------- */

/* The parse state: where messages come from and whether ints arrived as reals. */
struct parse {
	const char *name; /* "config.json" */
	struct rb_err *err;
	bool ints_as_reals; /* re-parsed with JSON_DECODE_INT_AS_REAL (huge integers) */
};

static int field_err(struct parse *p, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int field_err(struct parse *p, const char *field, const char *fmt, ...)
{
	char msg[RB_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return rb_err_set(p->err, EINVAL, "%s: %s: %s", p->name, field, msg);
}

/*
 * An unsigned integer in [0, max]. With ints_as_reals, integral reals are
 * accepted; a real at or above 2^63 stands for "unlimited" and is mapped to
 * UINT64_MAX when max is UINT64_MAX (rlimits), refused otherwise.
 */
static int get_uint(struct parse *p, json_t *v, const char *field, uint64_t max, uint64_t *out)
{
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);

		if (i < 0 || (uint64_t)i > max)
			goto range;
		*out = (uint64_t)i;
		return 0;
	}
	if (p->ints_as_reals && json_is_real(v)) {
		double d = json_real_value(v);

		if (!(d >= 0))
			goto range;
		if (d >= 9223372036854775808.0) {
			if (max != UINT64_MAX)
				goto range;
			*out = UINT64_MAX;
			return 0;
		}
		if (d != (double)(uint64_t)d || (uint64_t)d > max)
			goto range;
		*out = (uint64_t)d;
		return 0;
	}
range:
	return field_err(p, field, "must be an integer in 0..%llu", (unsigned long long)max);
}

static int get_bool(struct parse *p, json_t *v, const char *field, bool *out)
{
	if (!json_is_boolean(v))
		return field_err(p, field, "must be true or false");
	*out = json_is_true(v);
	return 0;
}

/* A string field into a fresh copy (*out owned by the caller). */
static int get_string(struct parse *p, json_t *v, const char *field, char **out)
{
	if (!json_is_string(v))
		return field_err(p, field, "must be a string");
	if (strlen(json_string_value(v)) != json_string_length(v))
		return field_err(p, field, "must not contain NUL characters");
	*out = strdup(json_string_value(v));
	if (*out == NULL)
		return rb_err_set(p->err, ENOMEM, "%s: %s: out of memory", p->name, field);
	return 0;
}

static void free_strv(char **v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/*
 * An array of strings into a NULL-terminated vector. nonempty: at least
 * one element, the first a non-empty string. want_kv: each "KEY=value".
 */
static int get_strv(struct parse *p, json_t *v, const char *field, bool nonempty, bool want_kv,
		    char ***out)
{
	size_t n, i;
	char **vec;

	if (!json_is_array(v) || (nonempty && json_array_size(v) == 0))
		return field_err(p, field, "must be a %sarray of strings",
				 nonempty ? "non-empty " : "");
	n = json_array_size(v);
	vec = calloc(n + 1, sizeof(*vec));
	if (vec == NULL)
		return rb_err_set(p->err, ENOMEM, "%s: %s: out of memory", p->name, field);
	for (i = 0; i < n; i++) {
		json_t *e = json_array_get(v, i);
		char sub[64];
		int rc;

		snprintf(sub, sizeof(sub), "%s[%zu]", field, i);
		if (!json_is_string(e)) {
			rc = field_err(p, sub, "must be a string");
			goto fail;
		}
		rc = get_string(p, e, sub, &vec[i]);
		if (rc < 0)
			goto fail;
		if (nonempty && i == 0 && vec[i][0] == '\0') {
			rc = field_err(p, sub, "must not be empty");
			goto fail;
		}
		if (want_kv && (vec[i][0] == '=' || strchr(vec[i], '=') == NULL)) {
			rc = field_err(p, sub, "\"%s\": must be KEY=value", vec[i]);
			goto fail;
		}
		continue;
	fail:
		free_strv(vec);
		return rc;
	}
	*out = vec;
	return 0;
}

/* ---- Warnings -------------------------------------------------------------- */

static bool config_warnings = true;

void host_config_warnings(bool on)
{
	config_warnings = on;
}

/* Said on stderr and in the --log file: a field the user set is not applied. */
static void field_warn(struct parse *p, const char *field, const char *why)
{
	if (!config_warnings)
		return;
	fprintf(stderr, "realmbox: warning: %s: %s: ignored (%s)\n", p->name, field, why);
	host_log("warning", "%s: %s: ignored (%s)", p->name, field, why);
}

/* ---- Sections ------------------------------------------------------------- */

/*
 * Fields accepted without effect: what they ask for holds by construction
 * (a confidential container's OS has no host privileges, LSM labels or
 * host paths to give away), or they only describe the host side.
 */
static const char *const process_ignored[] = {
	"capabilities", "noNewPrivileges", "apparmorProfile", "selinuxLabel", NULL,
};
static const char *const linux_ignored[] = {
	"uidMappings", "gidMappings",	"cgroupsPath", "rootfsPropagation",
	"maskedPaths", "readonlyPaths", "mountLabel",  NULL,
};

/* Fields a user sets to get an effect realmbox does not give: warned about. */
struct warned_field {
	const char *field, *why;
};

static const struct warned_field process_warned[] = {
	{"scheduler", "the container's tasks are scheduled by its own OS"},
	{"ioPriority", "not applied by realmbox"},
	{"execCPUAffinity", "not applied by realmbox"},
	{"consoleSize", "not applied by realmbox"},
	{NULL, NULL},
};

static const struct warned_field linux_warned[] = {
	{"seccomp", "system calls are served by the container's own OS, never by the host "
		    "kernel; the profile does not filter them"},
	{"sysctl", "the container's OS has no kernel parameters to set"},
	{"timeOffsets", "not applied by realmbox"},
	{"intelRdt", "not applied by realmbox"},
	{"memoryPolicy", "not applied by realmbox"},
	{"netDevices", "host network devices never reach a confidential container"},
	{NULL, NULL},
};

/* The warning for key in table (ended by a NULL field), or NULL. */
static const char *warned_why(const struct warned_field *table, const char *key)
{
	for (; table->field != NULL; table++) {
		if (strcmp(table->field, key) == 0)
			return table->why;
	}
	return NULL;
}

/*
 * A consent annotation of the container's owner ("allow" or "deny", absent
 * = deny) into *out: measured with the configuration, so a verifier sees it.
 */
static int consent_annotation(struct parse *p, json_t *annotations, const char *name, bool *out)
{
	json_t *a = json_is_object(annotations) ? json_object_get(annotations, name) : NULL;

	if (a != NULL && !(json_is_string(a) && (strcmp(json_string_value(a), "allow") == 0 ||
						 strcmp(json_string_value(a), "deny") == 0))) {
		return field_err(p, "annotations", "%s: want \"allow\" or \"deny\"", name);
	}
	*out = a != NULL && strcmp(json_string_value(a), "allow") == 0;
	return 0;
}

static bool in_list(const char *const *list, const char *key)
{
	for (; *list != NULL; list++) {
		if (strcmp(*list, key) == 0)
			return true;
	}
	return false;
}

static int parse_user(struct parse *p, json_t *user, struct rb_config *cfg)
{
	const char *key;
	json_t *v;
	uint64_t u;
	int rc;

	if (!json_is_object(user))
		return field_err(p, "process.user", "must be an object");
	json_object_foreach(user, key, v)
	{
		if (strcmp(key, "uid") == 0) {
			if ((rc = get_uint(p, v, "process.user.uid", UINT32_MAX, &u)) < 0)
				return rc;
			cfg->uid = (uint32_t)u;
		} else if (strcmp(key, "gid") == 0) {
			if ((rc = get_uint(p, v, "process.user.gid", UINT32_MAX, &u)) < 0)
				return rc;
			cfg->gid = (uint32_t)u;
		} else if (strcmp(key, "umask") == 0) {
			if ((rc = get_uint(p, v, "process.user.umask", 0777, &u)) < 0)
				return rc;
			cfg->umask = (uint32_t)u;
		} else if (strcmp(key, "additionalGids") == 0) {
			size_t n = json_is_array(v) ? json_array_size(v) : 0;

			if (!json_is_array(v) || n > MAX_ADDITIONAL_GIDS)
				return field_err(p, "process.user.additionalGids",
						 "must be an array of at most %d integers",
						 MAX_ADDITIONAL_GIDS);
			free(cfg->additional_gids);
			cfg->additional_gids = NULL;
			cfg->n_additional_gids = 0;
			if (n == 0)
				continue;
			cfg->additional_gids = calloc(n, sizeof(uint32_t));
			if (cfg->additional_gids == NULL)
				return rb_err_set(p->err, ENOMEM, "out of memory");
			for (size_t i = 0; i < n; i++) {
				char sub[64];

				snprintf(sub, sizeof(sub), "process.user.additionalGids[%zu]", i);
				rc = get_uint(p, json_array_get(v, i), sub, UINT32_MAX, &u);
				if (rc < 0)
					return rc;
				cfg->additional_gids[i] = (uint32_t)u;
				cfg->n_additional_gids = (unsigned)(i + 1);
			}
		} else if (strcmp(key, "username") == 0) {
			host_debug("%s: process.user.username: ignored (Windows only)", p->name);
		} else {
			host_debug("%s: process.user.%s: unknown field, ignored", p->name, key);
		}
	}
	return 0;
}

static int parse_rlimits(struct parse *p, json_t *arr, struct rb_config *cfg)
{
	bool seen[RB_MAX_RLIMITS] = {false};

	if (!json_is_array(arr))
		return field_err(p, "process.rlimits", "must be an array");
	for (size_t i = 0; i < json_array_size(arr); i++) {
		json_t *e = json_array_get(arr, i);
		json_t *type, *soft, *hard;
		char field[64], sub[96];
		uint64_t s, h;
		int res, rc;

		snprintf(field, sizeof(field), "process.rlimits[%zu]", i);
		if (!json_is_object(e))
			return field_err(p, field, "must be an object {type, soft, hard}");
		type = json_object_get(e, "type");
		soft = json_object_get(e, "soft");
		hard = json_object_get(e, "hard");
		snprintf(sub, sizeof(sub), "%s.type", field);
		if (!json_is_string(type))
			return field_err(p, sub, "must be a string such as \"RLIMIT_NOFILE\"");
		res = host_rlimit_number(json_string_value(type));
		if (res < 0)
			return field_err(p, sub, "\"%s\": unknown rlimit type",
					 json_string_value(type));
		if (seen[res])
			return field_err(p, sub, "\"%s\": given twice", json_string_value(type));
		seen[res] = true;
		snprintf(sub, sizeof(sub), "%s.soft", field);
		if (soft == NULL)
			return field_err(p, sub, "required");
		if ((rc = get_uint(p, soft, sub, UINT64_MAX, &s)) < 0)
			return rc;
		snprintf(sub, sizeof(sub), "%s.hard", field);
		if (hard == NULL)
			return field_err(p, sub, "required");
		if ((rc = get_uint(p, hard, sub, UINT64_MAX, &h)) < 0)
			return rc;
		if (s > h)
			return field_err(p, field, "%s: soft limit %llu is above hard limit %llu",
					 rlimit_names[res], (unsigned long long)s,
					 (unsigned long long)h);
		cfg->rlimits[cfg->n_rlimits].resource = res;
		cfg->rlimits[cfg->n_rlimits].soft = s;
		cfg->rlimits[cfg->n_rlimits].hard = h;
		cfg->n_rlimits++;
	}
	return 0;
}

static int parse_process(struct parse *p, json_t *proc, struct rb_config *cfg)
{
	const char *key;
	json_t *v;
	int rc;

	if (proc == NULL)
		return field_err(p, "process", "required");
	if (!json_is_object(proc))
		return field_err(p, "process", "must be an object");
	if (json_object_get(proc, "args") == NULL)
		return field_err(p, "process.args", "required (a non-empty array of strings)");
	json_object_foreach(proc, key, v)
	{
		if (strcmp(key, "args") == 0) {
			rc = get_strv(p, v, "process.args", true, false, &cfg->args);
		} else if (strcmp(key, "env") == 0) {
			free_strv(cfg->env);
			cfg->env = NULL;
			rc = get_strv(p, v, "process.env", false, true, &cfg->env);
		} else if (strcmp(key, "cwd") == 0) {
			free(cfg->cwd);
			cfg->cwd = NULL;
			rc = get_string(p, v, "process.cwd", &cfg->cwd);
			if (rc == 0 && cfg->cwd[0] != '/')
				rc = field_err(p, "process.cwd", "\"%s\": must be an absolute path",
					       cfg->cwd);
		} else if (strcmp(key, "terminal") == 0) {
			rc = get_bool(p, v, "process.terminal", &cfg->terminal);
		} else if (strcmp(key, "user") == 0) {
			rc = parse_user(p, v, cfg);
		} else if (strcmp(key, "rlimits") == 0) {
			rc = parse_rlimits(p, v, cfg);
		} else if (strcmp(key, "oomScoreAdj") == 0) {
			if (!json_is_integer(v) || json_integer_value(v) < -1000 ||
			    json_integer_value(v) > 1000) {
				rc = field_err(p, "process.oomScoreAdj",
					       "must be an integer in -1000..1000");
			} else {
				cfg->oom_score_adj_set = true;
				cfg->oom_score_adj = (int)json_integer_value(v);
				rc = 0;
			}
		} else if (strcmp(key, "commandLine") == 0) {
			rc = field_err(p, "process.commandLine",
				       "not supported (Windows only; use process.args)");
		} else if (in_list(process_ignored, key)) {
			host_debug("%s: process.%s: ignored (no Linux kernel inside the container)",
				   p->name, key);
			rc = 0;
		} else if (warned_why(process_warned, key) != NULL) {
			char f[64];

			snprintf(f, sizeof(f), "process.%s", key);
			field_warn(p, f, warned_why(process_warned, key));
			rc = 0;
		} else {
			host_debug("%s: process.%s: unknown field, ignored", p->name, key);
			rc = 0;
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* root.path relative to the bundle or absolute; must be an existing directory. */
static int parse_root(struct parse *p, json_t *root, const char *bundle, struct rb_config *cfg)
{
	const char *key;
	json_t *v;
	char *path = NULL, *abs = NULL, *real;
	struct stat st;
	int rc = 0;

	if (root == NULL)
		return field_err(p, "root", "required");
	if (!json_is_object(root))
		return field_err(p, "root", "must be an object");
	json_object_foreach(root, key, v)
	{
		if (strcmp(key, "path") == 0) {
			free(path);
			path = NULL;
			rc = get_string(p, v, "root.path", &path);
			if (rc == 0 && path[0] == '\0')
				rc = field_err(p, "root.path", "must not be empty");
		} else if (strcmp(key, "readonly") == 0) {
			rc = get_bool(p, v, "root.readonly", &cfg->rootfs_readonly);
		} else {
			host_debug("%s: root.%s: unknown field, ignored", p->name, key);
		}
		if (rc < 0)
			goto out;
	}
	if (path == NULL) {
		rc = field_err(p, "root.path", "required");
		goto out;
	}
	if (path[0] == '/') {
		abs = path;
		path = NULL;
	} else if (asprintf(&abs, "%s/%s", bundle, path) < 0) {
		abs = NULL;
		rc = rb_err_set(p->err, ENOMEM, "out of memory");
		goto out;
	}
	if (stat(abs, &st) < 0) {
		rc = rb_err_sys(p->err, errno, "%s: root.path: %s", p->name, abs);
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		rc = rb_err_sys(p->err, ENOTDIR, "%s: root.path: %s", p->name, abs);
		goto out;
	}
	real = realpath(abs, NULL);
	if (real == NULL) {
		rc = rb_err_sys(p->err, errno, "%s: root.path: %s", p->name, abs);
		goto out;
	}
	cfg->rootfs = real;
out:
	free(path);
	free(abs);
	return rc;
}

/* "1.0.x", "1.1.x", "1.2.x", optionally with a pre-release suffix ("1.0.2-dev"). */
static int check_version(struct parse *p, json_t *v)
{
	const char *s;
	char *end;
	unsigned long major, minor;

	if (v == NULL)
		return field_err(p, "ociVersion", "required");
	if (!json_is_string(v))
		return field_err(p, "ociVersion", "must be a string");
	s = json_string_value(v);
	if (!isdigit((unsigned char)s[0]))
		goto bad;
	major = strtoul(s, &end, 10);
	if (*end != '.' || !isdigit((unsigned char)end[1]))
		goto bad;
	minor = strtoul(end + 1, &end, 10);
	if (*end != '.' || !isdigit((unsigned char)end[1]))
		goto bad;
	strtoul(end + 1, &end, 10);
	if (*end != '\0' && *end != '-' && *end != '+')
		goto bad;
	if (major != 1 || minor > 2)
		return field_err(p, "ociVersion",
				 "\"%s\": unsupported (realmbox reads 1.0.x to 1.2.x)", s);
	return 0;
bad:
	return field_err(p, "ociVersion", "\"%s\": not a version (want e.g. \"1.0.2\")", s);
}

static int check_hooks(struct parse *p, json_t *hooks)
{
	const char *key;
	json_t *v;

	if (!json_is_object(hooks))
		return field_err(p, "hooks", "must be an object");
	json_object_foreach(hooks, key, v)
	{
		if (json_is_array(v) && json_array_size(v) == 0)
			continue;
		return field_err(p, "hooks",
				 "%s: not supported (a hook is a host program run with the "
				 "container's state; a confidential container runs none)",
				 key);
	}
	return 0;
}

/*
 * linux.namespaces: the container always has its own of every kind, so the
 * list may not ask for a host namespace (a kind left out) or an existing
 * one (a path), except another realmbox container's: a Kubernetes pod's
 * containers name their sandbox's (the pause container's monitor), and
 * each keeps its own with a warning.
 */
static const char *const ns_kinds[] = {"pid",  "network", "ipc",  "uts", "mount",
				       "user", "cgroup",  "time", NULL};
#define NS_REQUIRED 5 /* the first five: those runc's and containerd's default specs list */

/* Whether path is /proc/PID/ns/... of a process running this very program (a realmbox monitor). */
static bool ns_of_realmbox(const char *path)
{
	char exe[64], mine[PATH_MAX], theirs[PATH_MAX];
	ssize_t a, b;
	int pid, n = 0;

	if (sscanf(path, "/proc/%d/ns/%n", &pid, &n) != 1 || n == 0 || pid <= 0 ||
	    strchr(path + n, '/') != NULL)
		return false;
	snprintf(exe, sizeof(exe), "/proc/%d/exe", pid);
	a = readlink("/proc/self/exe", mine, sizeof(mine) - 1);
	b = readlink(exe, theirs, sizeof(theirs) - 1);
	if (a <= 0 || b <= 0)
		return false;
	mine[a] = theirs[b] = '\0';
	return strcmp(mine, theirs) == 0;
}

static int check_namespaces(struct parse *p, json_t *v)
{
	bool seen[sizeof(ns_kinds) / sizeof(ns_kinds[0])] = {false};

	if (!json_is_array(v))
		return field_err(p, "linux.namespaces", "must be an array");
	for (size_t i = 0; i < json_array_size(v); i++) {
		json_t *e = json_array_get(v, i), *type, *path;
		char f[64];
		size_t k;

		snprintf(f, sizeof(f), "linux.namespaces[%zu]", i);
		type = json_object_get(e, "type");
		path = json_object_get(e, "path");
		if (!json_is_string(type))
			return field_err(p, f, "must be an object with a \"type\" string");
		for (k = 0; ns_kinds[k] != NULL; k++) {
			if (strcmp(ns_kinds[k], json_string_value(type)) == 0)
				break;
		}
		if (ns_kinds[k] == NULL)
			return field_err(p, f, "\"%s\": unknown namespace type",
					 json_string_value(type));
		if (json_is_string(path) && json_string_length(path) > 0 &&
		    ns_of_realmbox(json_string_value(path))) {
			char why[PATH_MAX + 240];

			snprintf(why, sizeof(why),
				 "%s: %s is not joined: the container has its own %s namespace "
				 "(containers of a pod share no localhost, IPC or hostname here)",
				 ns_kinds[k], json_string_value(path), ns_kinds[k]);
			field_warn(p, f, why);
			seen[k] = true;
			continue;
		}
		if (path != NULL && !(json_is_string(path) && json_string_length(path) == 0))
			return field_err(p, f,
					 "%s: joining an existing namespace (%s) is not supported "
					 "(a confidential container shares no namespace with the "
					 "host or another container)",
					 ns_kinds[k],
					 json_is_string(path) ? json_string_value(path) : "path");
		seen[k] = true;
	}
	for (size_t k = 0; k < NS_REQUIRED; k++) {
		if (!seen[k])
			return field_err(p, "linux.namespaces",
					 "without a \"%s\" entry the container would share the "
					 "host's %s namespace: not supported (a confidential "
					 "container has its own)",
					 ns_kinds[k], ns_kinds[k]);
	}
	host_debug("%s: linux.namespaces: the container has its own of every kind", p->name);
	return 0;
}

/* linux.devices: only the device nodes the container OS provides itself. */
static const char *const own_devices[] = {
	"/dev/null", "/dev/zero", "/dev/random", "/dev/urandom", "/dev/tty", "/dev/console", NULL};

static int check_devices(struct parse *p, json_t *v)
{
	if (!json_is_array(v))
		return field_err(p, "linux.devices", "must be an array");
	for (size_t i = 0; i < json_array_size(v); i++) {
		json_t *path = json_object_get(json_array_get(v, i), "path");
		char f[64];

		snprintf(f, sizeof(f), "linux.devices[%zu]", i);
		if (!json_is_string(path))
			return field_err(p, f, "must be an object with a \"path\" string");
		if (!in_list(own_devices, json_string_value(path)))
			return field_err(p, f,
					 "%s: host device nodes are not supported (a "
					 "confidential container reaches no host device)",
					 json_string_value(path));
		host_debug("%s: %s: %s: the container OS provides it", p->name, f,
			   json_string_value(path));
	}
	return 0;
}

static int parse_linux(struct parse *p, json_t *lnx, struct rb_config *cfg)
{
	const char *key;
	json_t *v;

	if (!json_is_object(lnx))
		return field_err(p, "linux", "must be an object");
	json_object_foreach(lnx, key, v)
	{
		if (strcmp(key, "personality") == 0) {
			json_t *dom = json_is_object(v) ? json_object_get(v, "domain") : NULL;

			if (!json_is_string(dom))
				return field_err(p, "linux.personality.domain", "must be a string");
			if (strcmp(json_string_value(dom), "LINUX") != 0)
				return field_err(p, "linux.personality.domain",
						 "\"%s\": not supported (realmbox runs 64-bit "
						 "arm64 programs only)",
						 json_string_value(dom));
		} else if (strcmp(key, "resources") == 0) {
			int rc = host_resources_parse(v, p->name, cfg, p->err);

			if (rc < 0)
				return rc;
		} else if (strcmp(key, "namespaces") == 0) {
			int rc = check_namespaces(p, v);

			if (rc < 0)
				return rc;
		} else if (strcmp(key, "devices") == 0) {
			int rc = check_devices(p, v);

			if (rc < 0)
				return rc;
		} else if (in_list(linux_ignored, key)) {
			host_debug("%s: linux.%s: ignored (no Linux kernel inside the container)",
				   p->name, key);
		} else if (warned_why(linux_warned, key) != NULL) {
			char f[64];

			snprintf(f, sizeof(f), "linux.%s", key);
			if (!(json_is_object(v) && json_object_size(v) == 0) &&
			    !(json_is_array(v) && json_array_size(v) == 0))
				field_warn(p, f, warned_why(linux_warned, key));
		} else {
			host_debug("%s: linux.%s: unknown field, ignored", p->name, key);
		}
	}
	return 0;
}

/* Mount types whose file systems the container OS provides itself, wherever asked. */
static const char *const own_fs_types[] = {"proc", "sysfs", "devpts", NULL};
/*
 * Mount types in every default spec (runc's, containerd's) that the container
 * OS has no file system for: accepted without effect (--debug says so).
 */
static const char *const absent_fs_types[] = {"mqueue", "cgroup", "cgroup2", NULL};
/* Where a tmpfs needs no mount: the container OS's own /dev (and /dev/shm in it). */
static const char *const own_tmpfs[] = {"/dev", "/dev/shm", NULL};

/* true when options (a JSON array) holds "bind" or "rbind" */
static bool has_bind_option(json_t *options)
{
	for (size_t i = 0; json_is_array(options) && i < json_array_size(options); i++) {
		const char *o = json_string_value(json_array_get(options, i));

		if (o != NULL && (strcmp(o, "bind") == 0 || strcmp(o, "rbind") == 0))
			return true;
	}
	return false;
}

/* Where the container OS has its own trees: a bind mount there is not made. */
static bool under_own_tree(const char *d)
{
	static const char *const own[] = {"/proc", "/sys", "/dev", NULL};

	for (size_t i = 0; own[i]; i++) {
		size_t l = strlen(own[i]);

		if (strncmp(d, own[i], l) == 0 && (d[l] == '\0' || d[l] == '/'))
			return true;
	}
	return false;
}

/* d normalized into out ("//a/./b/" -> "/a/b"): 0, or -1 for ".." or a relative path. */
static int normalize_dest(const char *d, char *out, size_t n)
{
	size_t len = 0;

	if (d[0] != '/')
		return -1;
	out[0] = '\0';
	while (*d) {
		while (*d == '/')
			d++;
		size_t k = strcspn(d, "/");

		if (k == 0)
			break;
		if (k == 2 && d[0] == '.' && d[1] == '.')
			return -1;
		if (!(k == 1 && d[0] == '.')) {
			if (len + 1 + k + 1 > n)
				return -1;
			out[len++] = '/';
			memcpy(out + len, d, k);
			len += k;
			out[len] = '\0';
		}
		d += k;
	}
	if (len == 0)
		snprintf(out, n, "/");
	return 0;
}

/*
 * A bind mount: the source (relative: to the bundle; symlinks resolved) as
 * a measured part of the container's files (deploy.h struct rb_mount).
 * Under the container OS's own /proc, /sys, /dev: not made (--debug). A
 * source that is neither a directory nor a regular file: warned, not made.
 */
static int add_bind(struct parse *p, const char *f, json_t *m, const char *d, const char *bundle,
		    struct rb_config *cfg)
{
	json_t *src = json_object_get(m, "source"), *opts = json_object_get(m, "options");
	char dest[PATH_MAX], joined[2 * PATH_MAX], *real;
	struct rb_mount *v;
	struct stat st;
	bool ro = false;

	if (normalize_dest(d, dest, sizeof(dest)) < 0)
		return field_err(p, f, "destination %s: must be an absolute path without \"..\"", d);
	if (strcmp(dest, "/") == 0)
		return field_err(p, f, "destination /: cannot bind-mount over the rootfs");
	if (under_own_tree(dest)) {
		host_debug("%s: %s: bind mount on %s: not made (the container OS provides it)",
			   p->name, f, dest);
		return 0;
	}
	if (!json_is_string(src) || json_string_value(src)[0] == '\0')
		return field_err(p, f, "a bind mount needs a \"source\" string");
	if (json_string_value(src)[0] == '/')
		snprintf(joined, sizeof(joined), "%s", json_string_value(src));
	else
		snprintf(joined, sizeof(joined), "%s/%s", bundle, json_string_value(src));
	real = realpath(joined, NULL);
	if (real == NULL || stat(real, &st) < 0) {
		int e = errno;

		free(real);
		return field_err(p, f, "source %s: %s", joined, strerror(e));
	}
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
		char why[PATH_MAX + 160];

		snprintf(why, sizeof(why),
			 "%s is not bind-mounted: its source %s is neither a directory nor a "
			 "regular file (no host device, socket or FIFO enters the container)",
			 dest, real);
		field_warn(p, f, why);
		free(real);
		return 0;
	}
	if (cfg->n_mounts >= RB_MAX_MOUNTS) {
		free(real);
		return field_err(p, f, "more than %d bind mounts", RB_MAX_MOUNTS);
	}
	for (size_t i = 0; json_is_array(opts) && i < json_array_size(opts); i++) {
		const char *o = json_string_value(json_array_get(opts, i));

		if (o && strcmp(o, "ro") == 0)
			ro = true;
		else if (o && strcmp(o, "rw") == 0)
			ro = false;
	}
	v = realloc(cfg->mounts, (cfg->n_mounts + 1) * sizeof(*v));
	if (v == NULL) {
		free(real);
		return rb_err_set(p->err, ENOMEM, "out of memory");
	}
	cfg->mounts = v;
	v[cfg->n_mounts] = (struct rb_mount){strdup(dest), real, ro};
	if (v[cfg->n_mounts].destination == NULL) {
		free(real);
		return rb_err_set(p->err, ENOMEM, "out of memory");
	}
	cfg->n_mounts++;
	return 0;
}

/*
 * mounts: the file systems the container OS provides are accepted without
 * effect; bind mounts become measured parts of the container's files
 * (add_bind); any other file system is refused; a tmpfs elsewhere is not
 * mounted (warned: writes go to the rootfs's in-memory overlay).
 */
static int check_mounts(struct parse *p, json_t *mounts, const char *bundle,
			struct rb_config *cfg)
{
	if (!json_is_array(mounts))
		return field_err(p, "mounts", "must be an array");
	for (size_t i = 0; i < json_array_size(mounts); i++) {
		json_t *m = json_array_get(mounts, i);
		json_t *dst = json_object_get(m, "destination");
		json_t *type = json_object_get(m, "type");
		const char *d, *t;
		char f[64];
		int rc;

		snprintf(f, sizeof(f), "mounts[%zu]", i);
		if (!json_is_string(dst))
			return field_err(p, f, "must be an object with a \"destination\" string");
		d = json_string_value(dst);
		t = json_is_string(type) ? json_string_value(type) : "";
		if (strcmp(t, "bind") == 0 || has_bind_option(json_object_get(m, "options"))) {
			if ((rc = add_bind(p, f, m, d, bundle, cfg)) < 0)
				return rc;
			continue;
		}
		if (in_list(own_fs_types, t) ||
		    (strcmp(t, "tmpfs") == 0 && in_list(own_tmpfs, d))) {
			host_debug("%s: %s: %s (type %s): the container OS provides it", p->name, f,
				   d, t);
		} else if (in_list(absent_fs_types, t)) {
			host_debug("%s: %s: %s (type %s): ignored (the container OS has no such "
				   "file system)",
				   p->name, f, d, t);
		} else if (strcmp(t, "tmpfs") == 0) {
			char why[160];

			snprintf(why, sizeof(why),
				 "%s is not mounted: writes there go to the rootfs's in-memory "
				 "overlay, and fail with root.readonly",
				 d);
			field_warn(p, f, why);
		} else {
			return field_err(p, f, "%s: file system type \"%s\" not supported", d,
					 t[0] ? t : "(none)");
		}
	}
	return 0;
}

static int parse_top(struct parse *p, json_t *top, const char *bundle, struct rb_config *cfg)
{
	const char *key;
	json_t *v;
	int rc;

	if (!json_is_object(top))
		return rb_err_set(p->err, EINVAL, "%s: must hold a JSON object", p->name);
	if ((rc = check_version(p, json_object_get(top, "ociVersion"))) < 0)
		return rc;
	if ((rc = parse_process(p, json_object_get(top, "process"), cfg)) < 0)
		return rc;
	json_object_foreach(top, key, v)
	{
		rc = 0;
		if (strcmp(key, "ociVersion") == 0 || strcmp(key, "process") == 0 ||
		    strcmp(key, "root") == 0) {
			/* handled before or after the loop */
		} else if (strcmp(key, "hostname") == 0) {
			rc = get_string(p, v, "hostname", &cfg->hostname);
			if (rc == 0 && strlen(cfg->hostname) > HOSTNAME_MAX)
				rc = field_err(p, "hostname", "longer than %d characters",
					       HOSTNAME_MAX);
		} else if (strcmp(key, "mounts") == 0) {
			rc = check_mounts(p, v, bundle, cfg);
		} else if (strcmp(key, "hooks") == 0) {
			rc = check_hooks(p, v);
		} else if (strcmp(key, "linux") == 0) {
			rc = parse_linux(p, v, cfg);
		} else if (strcmp(key, "windows") == 0 || strcmp(key, "solaris") == 0 ||
			   strcmp(key, "zos") == 0) {
			rc = field_err(p, key, "not supported (realmbox runs Linux containers)");
		} else if (strcmp(key, "vm") == 0) {
			rc = field_err(p, key, "not supported (VM-based containers)");
		} else if (strcmp(key, "annotations") == 0) {
			/* metadata for the caller, but for realmbox's own */
			json_t *pub = json_is_object(v) ? json_object_get(v, "org.realmbox.publish")
							: NULL;
			if (pub && !json_is_string(pub))
				rc = field_err(p, "annotations.org.realmbox.publish",
					       "must be a string \"HOSTPORT:CONTAINERPORT,...\"");
			else if (pub)
				rc = host_publish_parse(json_string_value(pub),
							"annotations.org.realmbox.publish", cfg,
							p->err);
			if (rc == 0)
				rc = consent_annotation(p, v, "org.realmbox.exec",
							&cfg->runtime_exec);
			if (rc == 0)
				rc = consent_annotation(p, v, "org.realmbox.attest",
							&cfg->runtime_attest);
		} else if (strcmp(key, "domainname") == 0) {
			if (!json_is_string(v) || json_string_length(v) > 0)
				field_warn(p, "domainname", "not applied by realmbox");
		} else {
			host_debug("%s: %s: unknown field, ignored", p->name, key);
		}
		if (rc < 0)
			return rc;
	}
	return parse_root(p, json_object_get(top, "root"), bundle, cfg);
}

/* ---- What features says ----------------------------------------------------- */

const char *host_config_refused_fields(void)
{
	return "hooks,linux.namespaces,linux.devices,mounts,process.commandLine,"
	       "linux.personality,windows,solaris,zos,vm";
}

const char *host_config_warned_fields(void)
{
	static char list[512];

	if (list[0] == '\0') {
		size_t n = 0;

		for (const struct warned_field *w = process_warned; w->field != NULL; w++)
			n += (size_t)snprintf(list + n, sizeof(list) - n, "process.%s,", w->field);
		for (const struct warned_field *w = linux_warned; w->field != NULL; w++)
			n += (size_t)snprintf(list + n, sizeof(list) - n, "linux.%s,", w->field);
		snprintf(list + n, sizeof(list) - n,
			 "domainname,mounts,linux.resources,linux.namespaces");
	}
	return list;
}

/* ---- Published ports ------------------------------------------------------- */

/* A port number 1..65535 at *s (advanced past it), or -1. */
static long port_at(const char **s)
{
	long v = 0;
	const char *p = *s;

	if (!isdigit((unsigned char)*p))
		return -1;
	while (isdigit((unsigned char)*p)) {
		v = v * 10 + (*p - '0');
		if (v > 65535)
			return -1;
		p++;
	}
	*s = p;
	return v == 0 ? -1 : v;
}

int host_publish_parse(const char *spec, const char *what, struct rb_config *cfg,
		       struct rb_err *err)
{
	const char *s = spec;

	if (*s == '\0')
		return rb_err_set(err, EINVAL, "%s: empty: want HOSTPORT:CONTAINERPORT", what);
	for (;;) {
		const char *item = s;
		long hp = port_at(&s), cp = -1;

		if (hp > 0 && *s == ':') {
			s++;
			cp = port_at(&s);
		}
		if (hp < 0 || cp < 0)
			return rb_err_set(err, EINVAL,
					  "%s %s: want HOSTPORT:CONTAINERPORT with ports 1..65535",
					  what, item);
		if (strncmp(s, "/tcp", 4) == 0)
			s += 4;
		else if (*s == '/')
			return rb_err_set(err, EINVAL,
					  "%s %s: only TCP ports can be published (/tcp)", what,
					  item);
		if (*s != '\0' && *s != ',')
			return rb_err_set(err, EINVAL,
					  "%s %s: want HOSTPORT:CONTAINERPORT with ports 1..65535",
					  what, item);
		for (unsigned i = 0; i < cfg->n_publish; i++) {
			if (cfg->publish[i].host_port == hp)
				return rb_err_set(err, EINVAL, "%s: host port %ld published twice",
						  what, hp);
			if (cfg->publish[i].container_port == cp)
				return rb_err_set(err, EINVAL,
						  "%s: container port %ld published twice", what,
						  cp);
		}
		if (cfg->n_publish >= RB_MAX_PUBLISH)
			return rb_err_set(err, EINVAL, "%s: more than %d published ports", what,
					  RB_MAX_PUBLISH);
		cfg->publish[cfg->n_publish].host_port = (uint16_t)hp;
		cfg->publish[cfg->n_publish].container_port = (uint16_t)cp;
		cfg->n_publish++;
		if (*s == '\0')
			return 0;
		s++;
	}
}

/* ---- Entry points ---------------------------------------------------------- */

int host_config_parse(const char *text, size_t len, const char *name, const char *bundle,
		      struct rb_config *cfg, struct rb_err *err)
{
	struct parse p = {.name = name, .err = err};
	json_error_t jerr;
	json_t *top;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	top = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (top == NULL && strstr(jerr.text, "too big integer") != NULL) {
		/* e.g. an rlimit of 18446744073709551615 (RLIM_INFINITY) */
		p.ints_as_reals = true;
		top = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL,
				 &jerr);
	}
	if (top == NULL)
		return rb_err_set(err, EINVAL, "%s:%d:%d: malformed JSON: %s", name, jerr.line,
				  jerr.column, jerr.text);
	cfg->umask = 022;
	rc = parse_top(&p, top, bundle, cfg);
	json_decref(top);
	if (rc == 0 && cfg->cwd == NULL && (cfg->cwd = strdup("/")) == NULL)
		rc = rb_err_set(err, ENOMEM, "out of memory");
	if (rc == 0 && cfg->env == NULL && (cfg->env = calloc(1, sizeof(char *))) == NULL)
		rc = rb_err_set(err, ENOMEM, "out of memory");
	if (rc == 0 && (cfg->bundle = strdup(bundle)) == NULL)
		rc = rb_err_set(err, ENOMEM, "out of memory");
	if (rc < 0)
		host_config_free(cfg);
	return rc;
}

int host_bundle_load(const char *dir, struct rb_config *cfg, struct rb_err *err)
{
	char *bundle = NULL, *path = NULL, *text = NULL, *name = NULL;
	struct stat st;
	size_t got = 0;
	int fd = -1, rc;

	memset(cfg, 0, sizeof(*cfg));
	if (dir == NULL || dir[0] == '\0')
		dir = ".";
	/* Messages name config.json the way the user would: relative to --bundle. */
	if (strcmp(dir, ".") == 0)
		rc = asprintf(&name, "config.json");
	else
		rc = asprintf(&name, "%s%sconfig.json", dir,
			      dir[strlen(dir) - 1] == '/' ? "" : "/");
	if (rc < 0) {
		name = NULL;
		rc = rb_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	bundle = realpath(dir, NULL);
	if (bundle == NULL) {
		rc = rb_err_sys(err, errno, "bundle %s", dir);
		goto out;
	}
	if (asprintf(&path, "%s/config.json", bundle) < 0) {
		path = NULL;
		rc = rb_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		rc = rb_err_sys(err, errno, "%s", name);
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > CONFIG_MAX_BYTES) {
		rc = rb_err_set(err, EINVAL, "%s: not a regular file of at most %u bytes", name,
				CONFIG_MAX_BYTES);
		goto out;
	}
	text = malloc((size_t)st.st_size + 1);
	if (text == NULL) {
		rc = rb_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, text + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = rb_err_sys(err, errno, "%s: read", name);
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	rc = host_config_parse(text, got, name, bundle, cfg, err);
out:
	if (fd >= 0)
		close(fd);
	free(text);
	free(path);
	free(bundle);
	free(name);
	return rc;
}

int host_oom_score_adj_apply(const struct rb_config *cfg, struct rb_err *err)
{
	char v[16];
	int fd, n, rc = 0;

	if (!cfg->oom_score_adj_set)
		return 0;
	n = snprintf(v, sizeof(v), "%d", cfg->oom_score_adj);
	fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, v, (size_t)n) != n)
		rc = rb_err_sys(err, errno, "process.oomScoreAdj: %d: /proc/self/oom_score_adj",
				cfg->oom_score_adj);
	if (fd >= 0)
		close(fd);
	return rc;
}

void host_config_free(struct rb_config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->id);
	free(cfg->bundle);
	free(cfg->rootfs);
	free(cfg->hostname);
	free_strv(cfg->args);
	free_strv(cfg->env);
	free(cfg->cwd);
	free(cfg->additional_gids);
	for (unsigned i = 0; i < cfg->n_mounts; i++) {
		free(cfg->mounts[i].destination);
		free(cfg->mounts[i].source);
	}
	free(cfg->mounts);
	memset(cfg, 0, sizeof(*cfg));
}
