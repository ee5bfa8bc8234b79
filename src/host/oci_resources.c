/*
 * linux.resources of config.json (host_resources_parse, oci.h): the memory
 * limit, the pids limit and the CPU weight realmbox applies, each value
 * checked and named in errors; every other resources field is ignored with a
 * warning (docs/resources.md says which and why).
 */
#include "host/oci.h"

#include "host/rtlog.h"

#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define RES_MEM_MIN (1ULL << 20) /* a smaller memory.limit cannot hold any program */
#define RES_MEM_MAX (1ULL << 40)
#define RES_PIDS_MAX (1ULL << 22) /* Linux's PID_MAX_LIMIT */
#define RES_SHARES_MIN 2ULL	  /* cgroup v1 cpu.shares range */
#define RES_SHARES_MAX 262144ULL
#define RES_WEIGHT_MAX 10000ULL /* cgroup v2 cpu.weight range 1..10000 */

static int res_err(struct rb_err *err, const char *name, const char *field, const char *why)
{
	return rb_err_set(err, EINVAL, "%s: linux.resources%s%s: %s", name, field[0] ? "." : "",
			  field, why);
}

/*
 * An OCI int64 limit: a JSON integer; -1 (runc: "max") and, for
 * allow_zero, 0 mean no limit (*out = 0). Other negatives, reals, strings
 * and values outside [min, max] are refused.
 */
static int res_limit(json_t *v, const char *name, const char *field, uint64_t min, uint64_t max,
		     bool allow_zero, uint64_t *out, struct rb_err *err)
{
	char why[160];

	if (!json_is_integer(v))
		return res_err(err, name, field, "must be an integer (-1: no limit)");
	json_int_t i = json_integer_value(v);
	if (i == -1 || (i == 0 && allow_zero)) {
		*out = 0;
		return 0;
	}
	if (i < 0) {
		snprintf(why, sizeof(why), "%lld: negative (only -1, no limit, is allowed)",
			 (long long)i);
		return res_err(err, name, field, why);
	}
	if ((uint64_t)i < min || (uint64_t)i > max) {
		snprintf(why, sizeof(why), "%lld: out of range %llu..%llu (or -1: no limit)",
			 (long long)i, (unsigned long long)min, (unsigned long long)max);
		return res_err(err, name, field, why);
	}
	*out = (uint64_t)i;
	return 0;
}

/* Said on stderr and in the --log file: a resource the user asked for is not applied. */
static void res_ignored(const char *name, const char *field, const char *why)
{
	fprintf(stderr, "realmbox: warning: %s: linux.resources.%s: ignored (%s)\n", name, field,
		why);
	host_log("warning", "%s: linux.resources.%s: ignored (%s)", name, field, why);
}

static int res_memory(json_t *mem, const char *name, struct rb_config *cfg, struct rb_err *err)
{
	const char *key;
	json_t *v;

	if (!json_is_object(mem))
		return res_err(err, name, "memory", "must be an object");
	json_object_foreach(mem, key, v)
	{
		if (strcmp(key, "limit") == 0) {
			uint64_t b;
			int rc = res_limit(v, name, "memory.limit", RES_MEM_MIN, RES_MEM_MAX, false,
					   &b, err);

			if (rc < 0)
				return rc;
			cfg->mem_limit = (b + 4095) & ~4095ULL; /* whole pages */
		} else if (strcmp(key, "swap") == 0 || strcmp(key, "reservation") == 0 ||
			   strcmp(key, "kernel") == 0 || strcmp(key, "kernelTCP") == 0 ||
			   strcmp(key, "swappiness") == 0 || strcmp(key, "disableOOMKiller") == 0 ||
			   strcmp(key, "useHierarchy") == 0 ||
			   strcmp(key, "checkBeforeUpdate") == 0) {
			char f[64];

			snprintf(f, sizeof(f), "memory.%s", key);
			res_ignored(name, f,
				    "no swap or kernel memory accounting in the container OS; "
				    "only memory.limit is applied");
		} else {
			char f[80];

			snprintf(f, sizeof(f), "memory.%.60s", key);
			res_ignored(name, f, "unknown field");
		}
	}
	return 0;
}

/* runc's cgroup v1 shares -> v2 weight conversion. */
static uint32_t shares_to_weight(uint64_t shares)
{
	return (uint32_t)(1 + ((shares - 2) * 9999) / 262142);
}

static int res_cpu(json_t *cpu, const char *name, struct rb_config *cfg, struct rb_err *err)
{
	const char *key;
	json_t *v;

	if (!json_is_object(cpu))
		return res_err(err, name, "cpu", "must be an object");
	json_object_foreach(cpu, key, v)
	{
		if (strcmp(key, "shares") == 0) {
			char why[120];

			if (!json_is_integer(v) || json_integer_value(v) < 0) {
				snprintf(why, sizeof(why),
					 "must be an integer in %llu..%llu (0: unset)",
					 RES_SHARES_MIN, RES_SHARES_MAX);
				return res_err(err, name, "cpu.shares", why);
			}
			uint64_t s = (uint64_t)json_integer_value(v);
			if (s == 0)
				continue;
			if (s < RES_SHARES_MIN || s > RES_SHARES_MAX) {
				snprintf(why, sizeof(why),
					 "%llu: out of range %llu..%llu (0: unset)",
					 (unsigned long long)s, RES_SHARES_MIN, RES_SHARES_MAX);
				return res_err(err, name, "cpu.shares", why);
			}
			if (cfg->cpu_weight == 0)
				cfg->cpu_weight = shares_to_weight(s);
		} else {
			char f[80];

			snprintf(f, sizeof(f), "cpu.%.60s", key);
			res_ignored(name, f, "only cpu.shares (as a scheduling weight) is applied");
		}
	}
	return 0;
}

/* unified: cgroup v2 keys with string values; cpu.weight and memory.max/pids.max honoured. */
static int res_unified(json_t *u, const char *name, struct rb_config *cfg, struct rb_err *err)
{
	const char *key;
	json_t *v;

	if (!json_is_object(u))
		return res_err(err, name, "unified", "must be an object of strings");
	json_object_foreach(u, key, v)
	{
		char f[96], why[120], *end;

		snprintf(f, sizeof(f), "unified.%.60s", key);
		if (!json_is_string(v))
			return res_err(err, name, f, "must be a string");
		const char *s = json_string_value(v);
		if (strcmp(key, "cpu.weight") == 0) {
			unsigned long long w = strtoull(s, &end, 10);

			if (s[0] < '0' || s[0] > '9' || *end || w < 1 || w > RES_WEIGHT_MAX) {
				snprintf(why, sizeof(why), "\"%.32s\": want an integer in 1..%llu",
					 s, RES_WEIGHT_MAX);
				return res_err(err, name, f, why);
			}
			cfg->cpu_weight = (uint32_t)w; /* wins over cpu.shares */
		} else if (strcmp(key, "memory.max") == 0 || strcmp(key, "pids.max") == 0) {
			bool mem = key[0] == 'm';
			unsigned long long n = strtoull(s, &end, 10);

			if (strcmp(s, "max") == 0)
				continue;
			if (s[0] < '0' || s[0] > '9' || *end || n < (mem ? RES_MEM_MIN : 1) ||
			    n > (mem ? RES_MEM_MAX : RES_PIDS_MAX)) {
				snprintf(why, sizeof(why),
					 "\"%.32s\": want \"max\" or an integer in "
					 "%llu..%llu",
					 s, mem ? RES_MEM_MIN : 1ULL,
					 mem ? RES_MEM_MAX : RES_PIDS_MAX);
				return res_err(err, name, f, why);
			}
			if (mem)
				cfg->mem_limit = (n + 4095) & ~4095ULL;
			else
				cfg->pids_limit = n;
		} else {
			res_ignored(name, f, "not applied by realmbox");
		}
	}
	return 0;
}

int host_resources_parse(void *resv, const char *name, struct rb_config *cfg, struct rb_err *err)
{
	json_t *res = resv;
	const char *key;
	json_t *v;
	int rc = 0;

	if (!json_is_object(res))
		return res_err(err, name, "", "must be an object");
	json_object_foreach(res, key, v)
	{
		if (strcmp(key, "memory") == 0) {
			rc = res_memory(v, name, cfg, err);
		} else if (strcmp(key, "pids") == 0) {
			json_t *l = json_is_object(v) ? json_object_get(v, "limit") : NULL;

			if (!json_is_object(v))
				rc = res_err(err, name, "pids", "must be an object");
			else if (l != NULL)
				rc = res_limit(l, name, "pids.limit", 1, RES_PIDS_MAX, true,
					       &cfg->pids_limit, err);
		} else if (strcmp(key, "cpu") == 0) {
			rc = res_cpu(v, name, cfg, err);
		} else if (strcmp(key, "unified") == 0) {
			rc = res_unified(v, name, cfg, err);
		} else if (strcmp(key, "devices") == 0) {
			/* runc's default bundle denies all and allows the usual nodes: the
			 * container OS provides its own /dev, host devices never reach it */
			host_debug("%s: linux.resources.devices: ignored (no host device nodes in "
				   "the container)",
				   name);
		} else {
			res_ignored(name, key, "not applied by realmbox");
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

/*
 * CFS gives each nice step about 1.25 times the CPU of the next one, and
 * cgroup v2's weight 100 is nice 0: the nice value whose share relative to
 * nice 0 is nearest weight/100.
 */
int host_cpu_weight_nice(uint32_t weight)
{
	double r = weight ? (double)weight / 100.0 : 1.0;
	int nice = 0;

	while (nice < 19 && r < 1.0 / 1.118) { /* 1.118 = sqrt(1.25): half a step */
		r *= 1.25;
		nice++;
	}
	while (nice > -20 && r > 1.118) {
		r /= 1.25;
		nice--;
	}
	return nice;
}

void host_cpu_weight_apply(const struct rb_config *cfg)
{
	if (!cfg->cpu_weight)
		return;
	int nice = host_cpu_weight_nice(cfg->cpu_weight);

	errno = 0;
	if (setpriority(PRIO_PROCESS, 0, nice) != 0) {
		fprintf(stderr,
			"realmbox: warning: linux.resources cpu weight %u: cannot set nice %d on "
			"the "
			"container's host threads: %s\n",
			cfg->cpu_weight, nice, strerror(errno));
		host_log("warning", "cpu weight %u: cannot set nice %d: %s", cfg->cpu_weight, nice,
			 strerror(errno));
	}
}
