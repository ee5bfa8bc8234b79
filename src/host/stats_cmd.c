/*
 * `realmbox stats ID` and `realmbox events [--stats] [--interval D] ID`:
 * a running container's counters, asked of its monitor ("stats",
 * host/monitor.h), printed as runc's events prints them: one JSON object
 * {"type":"stats","id":ID,"data":{"memory":{"usage":{...}},"pids":{...},
 * "realmbox":{...}}}; events without --stats repeats it every interval and
 * adds {"type":"oom","id":ID} once the memory limit killed the container.
 */
#include "host/lifecycle.h"

#include "host/cli_util.h"
#include "host/monitor.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* runc reports an absent limit as the largest value */
static json_int_t limit_or_max(json_t *v)
{
	json_int_t l = json_integer_value(v);

	return l > 0 ? l : (json_int_t)INT64_MAX;
}

/* The monitor's counters as runc's stats event (malloc'd text), or NULL. */
static char *stats_event(const char *id, json_t *m)
{
	json_t *ev = json_pack("{s:s, s:s, s:{s:{s:{s:I, s:I, s:I}}, s:{s:I, s:I}, s:O}}", "type",
			       "stats", "id", id, "data", "memory", "usage", "usage",
			       json_integer_value(json_object_get(m, "memory")), "limit",
			       limit_or_max(json_object_get(m, "memory_limit")), "failcnt",
			       json_integer_value(json_object_get(m, "oom_kills")), "pids",
			       "current", json_integer_value(json_object_get(m, "pids")), "limit",
			       json_integer_value(json_object_get(m, "pids_limit")), "realmbox", m);
	char *s = ev ? json_dumps(ev, JSON_COMPACT) : NULL;

	json_decref(ev);
	return s;
}

/*
 * Ask the monitor: 0 with *out (the object), 1 after a message (quiet: the
 * message kept in quiet_msg instead: the container may just have ended).
 */
static char quiet_msg[RB_ERR_MSG_MAX];

static int ask(const char *cmd, const char *root, const char *id, json_t **out, bool quiet)
{
	char buf[2048];
	struct rb_err err = {0};
	struct rb_cstate st;

	if (host_cli_load(cmd, root, id, &st))
		return 1;
	enum rb_cstatus s = host_cstate_status(&st);
	host_cstate_free(&st);
	if (s != RB_CS_RUNNING)
		return host_cli_fail(cmd, "container %s is not running", id);
	if (host_monitor_request(root, id, "stats", buf, sizeof(buf), 15000, &err) < 0) {
		if (!quiet)
			return host_cli_fail(cmd, "%s", err.msg);
		snprintf(quiet_msg, sizeof(quiet_msg), "%s", err.msg);
		return 1;
	}
	*out = json_loads(buf, 0, NULL);
	if (!json_is_object(*out)) {
		json_decref(*out);
		return host_cli_fail(cmd, "container %s: malformed stats from its monitor", id);
	}
	return 0;
}

static int print_stats(const char *cmd, const char *root, const char *id, bool *oom, bool quiet)
{
	json_t *m = NULL;
	int r = ask(cmd, root, id, &m, quiet);

	if (r)
		return r;
	char *s = stats_event(id, m);
	if (oom)
		*oom = json_integer_value(json_object_get(m, "oom_kills")) > 0;
	json_decref(m);
	if (!s)
		return host_cli_fail(cmd, "out of memory");
	printf("%s\n", s);
	fflush(stdout);
	free(s);
	return 0;
}

int host_cmd_stats(int argc, char **argv)
{
	char root[4096];

	if (argc >= 2 && argv[1][0] == '-' && argv[1][1] != '\0')
		return host_cli_usage("stats", "unknown option %s", argv[1]);
	if (argc != 2)
		return host_cli_usage("stats", "want exactly one container ID");
	if (host_cli_root("stats", root, sizeof(root)))
		return 1;
	return print_stats("stats", root, argv[1], NULL, false);
}

/* "5s", "500ms", "1m", or plain seconds: milliseconds, or -1. */
static long parse_interval(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || !(v > 0))
		return -1;
	if (strcmp(end, "ms") == 0)
		return (long)v;
	if (*end == '\0' || strcmp(end, "s") == 0)
		return (long)(v * 1000);
	if (strcmp(end, "m") == 0)
		return (long)(v * 60000);
	return -1;
}

int host_cmd_events(int argc, char **argv)
{
	char root[4096];
	const char *ival = "5s";
	bool once = false, oom = false, said_oom = false;
	int i, m;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		if (host_cli_flag(argv[i], "--stats", NULL)) {
			once = true;
		} else if ((m = host_cli_opt(argc, argv, &i, "--interval", NULL, &ival)) != 0) {
			if (m < 0)
				return host_cli_usage("events", "option --interval needs a value");
		} else {
			return host_cli_usage("events", "unknown option %s", argv[i]);
		}
	}
	if (i + 1 != argc)
		return host_cli_usage("events", "want exactly one container ID");
	long ms = parse_interval(ival);
	if (ms <= 0)
		return host_cli_usage("events", "invalid --interval \"%s\" (want e.g. 5s, 500ms)",
				      ival);
	if (host_cli_root("events", root, sizeof(root)))
		return 1;
	if (once)
		return print_stats("events", root, argv[i], NULL, false);
	/* runc: a stats event every interval until the container goes; oom when it happens */
	for (;;) {
		struct rb_cstate st;

		if (host_cli_load("events", root, argv[i], &st))
			return 1;
		enum rb_cstatus s = host_cstate_status(&st);
		bool oom_end = st.oom_killed;
		host_cstate_free(&st);
		if (s == RB_CS_STOPPED) {
			if (oom_end && !said_oom)
				printf("{\"type\":\"oom\",\"id\":\"%s\"}\n", argv[i]);
			return 0;
		}
		if (s == RB_CS_RUNNING && print_stats("events", root, argv[i], &oom, true) != 0) {
			/* it may have ended between the two looks */
			if (host_cli_load("events", root, argv[i], &st))
				return 1;
			s = host_cstate_status(&st);
			if (s == RB_CS_STOPPED && st.oom_killed && !said_oom)
				printf("{\"type\":\"oom\",\"id\":\"%s\"}\n", argv[i]);
			host_cstate_free(&st);
			if (s == RB_CS_STOPPED)
				return 0;
			return host_cli_fail("events", "%s", quiet_msg);
		}
		if (oom && !said_oom) {
			printf("{\"type\":\"oom\",\"id\":\"%s\"}\n", argv[i]);
			fflush(stdout);
			said_oom = true;
		}
		usleep((useconds_t)(ms > 3600000 ? 3600000 : ms) * 1000);
	}
}
