/*
 * runc's lifecycle commands (lifecycle.h): create forks the container's
 * monitor process (host/monitor.c) and waits until it reports the
 * container built; the others read the state directory (host/cstate.c)
 * and talk to the monitor over its socket.
 */
#include "host/lifecycle.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "host/cli_util.h"
#include "host/cstate.h"
#include "host/machine_keys.h"
#include "host/manifest.h"
#include "host/monitor.h"
#include "host/oci.h"
#include "host/rtlog.h"
#include "host/run.h"

struct host_globals host_g;

/* ---- messages and options ---------------------------------------------------------- */

int host_globals_parse(int argc, char **argv)
{
	const char *log = NULL, *log_format = "text";
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = NULL;
		int m;

		if (a[0] != '-' || a[1] == '\0')
			break;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0 ||
		    strcmp(a, "--version") == 0 || strcmp(a, "-v") == 0)
			break;
		if ((m = host_cli_opt(argc, argv, &i, "--root", NULL, &v)) != 0) {
			if (m < 0)
				goto missing;
			host_g.root = v;
			/* the machine's keys live there too (deploy/realm.c, machine key) */
			setenv("REALMBOX_ROOT", v, 1);
		} else if ((m = host_cli_opt(argc, argv, &i, "--log", NULL, &v)) != 0) {
			if (m < 0)
				goto missing;
			log = v; /* opened below, once the format is known */
		} else if ((m = host_cli_opt(argc, argv, &i, "--log-format", NULL, &v)) != 0) {
			if (m < 0)
				goto missing;
			if (strcmp(v, "text") != 0 && strcmp(v, "json") != 0) {
				fprintf(stderr, "realmbox: --log-format %s: want text or json\n",
					v);
				return -1;
			}
			log_format = v;
		} else if ((m = host_cli_opt(argc, argv, &i, "--isolation", NULL, &v)) != 0) {
			enum rb_isolation iso;

			if (m < 0)
				goto missing;
			if (!host_isolation_parse(v, &iso)) {
				fprintf(stderr,
					"realmbox: --isolation %s: unknown mode (want realm, "
					"shim or none)\n",
					v);
				return -1;
			}
			host_g.isolation = v;
		} else if (host_cli_flag(a, "--debug", NULL)) {
			host_debug_enabled = true;
		} else if (host_cli_flag(a, "--systemd-cgroup", NULL)) {
			host_g.systemd_cgroup = true;
		} else if ((m = host_cli_opt(argc, argv, &i, "--rootless", NULL, &v)) != 0 ||
			   (m = host_cli_opt(argc, argv, &i, "--criu", NULL, &v)) != 0) {
			if (m < 0)
				goto missing;
		} else {
			fprintf(stderr, "realmbox: unknown global option %s\n", a);
			return -1;
		}
		continue;
	missing:
		fprintf(stderr, "realmbox: global option %s needs a value\n", a);
		return -1;
	}
	if (log != NULL) {
		int r = host_log_open(log, strcmp(log_format, "json") == 0);

		if (r < 0)
			fprintf(stderr, "realmbox: --log %s: %s\n", log, strerror(-r));
	}
	return i;
}

/* mkdir -p with mode 0700 for what we create. */
static int mkdirs(const char *path)
{
	char buf[4096];
	size_t n = strlen(path);

	if (n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) != 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0700) != 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* ---- signals ----------------------------------------------------------------------- */

static const struct {
	const char *name;
	int num;
} signames[] = {
	{"HUP", 1},   {"INT", 2},   {"QUIT", 3},    {"ILL", 4},	  {"TRAP", 5},	  {"ABRT", 6},
	{"IOT", 6},   {"BUS", 7},   {"FPE", 8},	    {"KILL", 9},  {"USR1", 10},	  {"SEGV", 11},
	{"USR2", 12}, {"PIPE", 13}, {"ALRM", 14},   {"TERM", 15}, {"STKFLT", 16}, {"CHLD", 17},
	{"CONT", 18}, {"STOP", 19}, {"TSTP", 20},   {"TTIN", 21}, {"TTOU", 22},	  {"URG", 23},
	{"XCPU", 24}, {"XFSZ", 25}, {"VTALRM", 26}, {"PROF", 27}, {"WINCH", 28},  {"IO", 29},
	{"POLL", 29}, {"PWR", 30},  {"SYS", 31},
};

/* "TERM", "SIGTERM", "sigterm", "15", "RTMIN+3" -> 1..64, "0" -> 0 (a check only), or -1. */
static int parse_signal(const char *s)
{
	char *end;
	long v;

	if (s[0] >= '0' && s[0] <= '9') {
		v = strtol(s, &end, 10);
		return *end == '\0' && v >= 0 && v <= 64 ? (int)v : -1;
	}
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (size_t i = 0; i < sizeof(signames) / sizeof(signames[0]); i++)
		if (strcasecmp(s, signames[i].name) == 0)
			return signames[i].num;
	if (strncasecmp(s, "RTMIN", 5) == 0) {
		v = s[5] ? strtol(s + 5, &end, 10) : 0;
		if ((s[5] == '\0' || (s[5] == '+' && *end == '\0')) && v >= 0 && 34 + v <= 64)
			return 34 + (int)v;
	}
	if (strncasecmp(s, "RTMAX", 5) == 0) {
		v = s[5] ? strtol(s + 5, &end, 10) : 0;
		if ((s[5] == '\0' || (s[5] == '-' && *end == '\0')) && v <= 0 && 64 + v >= 34)
			return 64 + (int)v;
	}
	return -1;
}

/* ---- create -------------------------------------------------------------------------- */

struct create_opts {
	const char *bundle, *pid_file, *console_socket, *isolation, *id;
	bool no_pivot, detach;
};

/* annotations of DIR/config.json (JSON text, malloc'd, or NULL) and org.realmbox.isolation */
static char *bundle_annotations(const char *bundle, char *iso, size_t n)
{
	char path[4200];
	json_t *top, *ann, *v;
	char *s = NULL;

	iso[0] = '\0';
	snprintf(path, sizeof(path), "%s/config.json", bundle);
	top = json_load_file(path, 0, NULL);
	if (top == NULL)
		return NULL;
	ann = json_object_get(top, "annotations");
	if (json_is_object(ann)) {
		v = json_object_get(ann, "org.realmbox.isolation");
		if (json_is_string(v))
			snprintf(iso, n, "%s", json_string_value(v));
		s = json_dumps(ann, JSON_COMPACT | JSON_SORT_KEYS);
	}
	json_decref(top);
	return s;
}

static void now_rfc3339(char *out, size_t n)
{
	struct timespec ts;
	struct tm tm;
	size_t k;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	k = strftime(out, n, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + k, n - k, ".%09ldZ", ts.tv_nsec);
}

/*
 * create: 0 with *pid the monitor's, or the exit status (message printed).
 * cmd names the command in messages.
 */
static int do_create(const char *cmd, const struct create_opts *o, pid_t *pid_out)
{
	char root[4096], dir[4200], annot_iso[16], msg[512], line[2048];
	struct rb_config cfg;
	struct rb_manifest mf;
	struct rb_cstate st;
	struct rb_err err = {0};
	enum rb_isolation iso = RB_ISOLATION_REALM;
	const char *iso_name;
	int rc, pfd[2], slave = -1, status = 1;
	pid_t child, pid = 0;
	size_t len = 0;

	if (host_cli_root(cmd, root, sizeof(root)))
		return 1;
	if (!host_container_id_valid(o->id))
		return host_cli_fail(cmd,
				     "invalid container ID '%s': want 1 to 1024 of [a-zA-Z0-9_.-], "
				     "starting with a letter or digit",
				     o->id);
	if (strcmp(o->id, "machine") == 0)
		return host_cli_fail(cmd,
				     "container ID 'machine' is reserved (ROOT/machine holds the "
				     "machine's attestation keys)");
	if (mkdirs(root) < 0)
		return host_cli_fail(cmd, "runtime root %s: %s", root, strerror(errno));
	if (host_cstate_dir(root, o->id, dir, sizeof(dir), &err) < 0)
		return host_cli_fail(cmd, "%s", err.msg);

	rc = host_bundle_load(o->bundle, &cfg, &err);
	if (rc < 0)
		return host_cli_fail(cmd, "%s", err.msg);
	memset(&st, 0, sizeof(st));
	st.annotations = bundle_annotations(cfg.bundle, annot_iso, sizeof(annot_iso));
	/* --isolation of create, the bundle's annotation, the global flag, the environment */
	iso_name = o->isolation			  ? o->isolation
		   : annot_iso[0]		  ? annot_iso
		   : host_g.isolation		  ? host_g.isolation
		   : getenv("REALMBOX_ISOLATION") ? getenv("REALMBOX_ISOLATION")
						  : "realm";
	if (!host_isolation_parse(iso_name, &iso)) {
		host_cli_fail(cmd, "%s%s: unknown isolation mode (want realm, shim or none)",
			      !o->isolation && annot_iso[0] ? "annotation org.realmbox.isolation: "
							    : "",
			      iso_name);
		goto out_cfg;
	}
	cfg.isolation = iso;
	cfg.id = strdup(o->id);
	if (cfg.id == NULL) {
		host_cli_fail(cmd, "out of memory");
		goto out_cfg;
	}
	if (cfg.terminal && o->console_socket == NULL) {
		host_cli_fail(cmd,
			      "cannot allocate tty if realmbox will detach without setting console "
			      "socket (process.terminal is true: pass --console-socket)");
		goto out_cfg;
	}
	if (!cfg.terminal && o->console_socket != NULL) {
		host_cli_fail(cmd, "cannot use console socket if realmbox will not allocate a tty "
				   "(process.terminal is false)");
		goto out_cfg;
	}
	if (o->no_pivot)
		host_debug("--no-pivot: accepted (the container's root is the library OS's view "
			   "of the manifest; there is no pivot_root)");

	if (mkdir(dir, 0700) != 0) {
		if (errno == EEXIST)
			host_cli_fail(cmd, "container with id exists: %s", o->id);
		else
			host_cli_fail(cmd, "%s: %s", dir, strerror(errno));
		goto out_cfg;
	}
	/* from here the state directory is ours: removed on failure */
	snprintf(st.id, sizeof(st.id), "%s", o->id);
	snprintf(st.bundle, sizeof(st.bundle), "%s", cfg.bundle);
	snprintf(st.rootfs, sizeof(st.rootfs), "%s", cfg.rootfs);
	snprintf(st.isolation, sizeof(st.isolation), "%s", host_isolation_name(iso));
	now_rfc3339(st.created, sizeof(st.created));
	st.status = RB_CS_CREATING;
	st.exit_status = -1;
	/* until the monitor records itself: this command (state says "creating" while it lives) */
	st.pid = getpid();
	st.starttime = host_pid_starttime(st.pid);
	if (host_cstate_write(root, &st, &err) < 0) {
		host_cli_fail(cmd, "%s", err.msg);
		goto out_dir;
	}

	rc = host_manifest_build_config(&cfg, true, &mf, &err);
	if (rc < 0) {
		host_cli_fail(cmd, "rootfs manifest: %s", err.msg);
		goto out_dir;
	}
	if (host_run_resolve_args0(&cfg, &mf, &err) < 0) {
		host_cli_fail(cmd, "%s", err.msg);
		goto out_mf;
	}
	if (cfg.terminal) {
		slave = host_console_handoff(o->console_socket, msg, sizeof(msg));
		if (slave < 0) {
			host_cli_fail(cmd, "%s", msg);
			goto out_mf;
		}
	}
	/* the machine's attestation keys live under the same root as the state */
	setenv("REALMBOX_ROOT", root, 0);

	if (pipe2(pfd, O_CLOEXEC) != 0) {
		host_cli_fail(cmd, "pipe: %s", strerror(errno));
		goto out_mf;
	}
	fflush(NULL);
	child = fork();
	if (child < 0) {
		host_cli_fail(cmd, "fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		goto out_mf;
	}
	if (child == 0) {
		/* double fork: the monitor is nobody's child but the nearest subreaper's */
		close(pfd[0]);
		setsid();
		pid_t m = fork();
		if (m < 0) {
			dprintf(pfd[1], "err fork: %s\n", strerror(errno));
			_exit(1);
		}
		if (m > 0)
			_exit(0);
		dprintf(pfd[1], "pid %d\n", (int)getpid());
		if (chdir("/") != 0)
			_exit(1);
		if (slave >= 0) {
			/*
			 * The container's stdio is the pty: the monitor keeps none of
			 * create's own (containerd's shim reads create's output to its
			 * end when it passes a console socket: `ctr run -t` waited for
			 * the container's end before it started it), as runc's does.
			 */
			int nul = open("/dev/null", O_RDWR | O_CLOEXEC);

			for (int k = 0; nul >= 0 && k < 3; k++)
				dup2(nul, k);
			if (nul > 2)
				close(nul);
		}
		struct host_monitor_args a = {
			.root = root,
			.cfg = &cfg,
			.mf = &mf,
			.st = &st,
			.ready_fd = pfd[1],
			.io = {slave >= 0 ? slave : 0, slave >= 0 ? slave : 1,
			       slave >= 0 ? slave : 2},
		};
		host_monitor_main(&a);
	}
	close(pfd[1]);
	if (slave >= 0)
		close(slave);
	waitpid(child, NULL, 0);
	for (;;) {
		ssize_t k = read(pfd[0], line + len, sizeof(line) - 1 - len);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		len += (size_t)k;
		if (len >= sizeof(line) - 1)
			break;
	}
	close(pfd[0]);
	line[len] = '\0';
	if (sscanf(line, "pid %d", &pid) != 1)
		pid = 0;
	{
		char *res = strchr(line, '\n');

		res = res ? res + 1 : line + len;
		res[strcspn(res, "\n")] = '\0';
		if (strcmp(res, "ok") != 0) {
			host_cli_fail(cmd, "%s",
				      strncmp(res, "err ", 4) == 0
					      ? res + 4
					      : "the container's monitor ended before "
						"the container was built");
			if (pid > 0)
				kill(pid, SIGKILL);
			goto out_mf;
		}
	}
	if (o->pid_file && (rc = host_write_pid_file(o->pid_file, pid)) < 0) {
		host_cli_fail(cmd, "--pid-file %s: %s", o->pid_file, strerror(-rc));
		kill(pid, SIGKILL);
		goto out_mf;
	}
	host_debug("container %s created: monitor pid %d, isolation %s", o->id, (int)pid,
		   st.isolation);
	*pid_out = pid;
	status = 0;
out_mf:
	host_manifest_free(&mf);
out_dir:
	if (status != 0) {
		struct rb_err e2;

		host_cstate_remove(root, o->id, &e2);
	}
out_cfg:
	host_cstate_free(&st);
	host_config_free(&cfg);
	return status;
}

static int parse_create(const char *cmd, int argc, char **argv, struct create_opts *o, bool is_run)
{
	int i;

	memset(o, 0, sizeof(*o));
	o->bundle = ".";
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		int m;

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[0] != '-' || a[1] == '\0')
			break;
		if ((m = host_cli_opt(argc, argv, &i, "--bundle", "-b", &o->bundle)) != 0 ||
		    (m = host_cli_opt(argc, argv, &i, "--pid-file", NULL, &o->pid_file)) != 0 ||
		    (m = host_cli_opt(argc, argv, &i, "--console-socket", NULL,
				      &o->console_socket)) != 0 ||
		    (m = host_cli_opt(argc, argv, &i, "--isolation", NULL, &o->isolation)) != 0) {
			if (m < 0)
				return -host_cli_usage(cmd, "option %s needs a value", a);
		} else if (host_cli_flag(a, "--no-pivot", NULL)) {
			o->no_pivot = true;
		} else if (host_cli_flag(a, "--no-new-keyring", NULL)) {
			/* no kernel keyring inside the container: nothing to skip */
		} else if (is_run && host_cli_flag(a, "--detach", "-d")) {
			o->detach = true;
		} else if (host_cli_flag(a, "--preserve-fds", NULL) && i + 1 < argc) {
			if (strcmp(argv[++i], "0") != 0)
				return -host_cli_usage(cmd,
						       "--preserve-fds: only 0 is supported (the "
						       "container has no host file descriptors)");
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			printf("usage: realmbox %s --bundle DIR [--pid-file F] [--console-socket "
			       "SOCK] [--no-pivot] [--isolation realm|shim|none]%s ID\n",
			       cmd, is_run ? " [--detach]" : "");
			return -0x100;
		} else {
			return -host_cli_usage(cmd, "unknown option %s", a);
		}
	}
	if (i >= argc)
		return -host_cli_usage(cmd, "a container ID is required");
	if (i + 1 < argc)
		return -host_cli_usage(cmd, "unexpected argument '%s' after the ID", argv[i + 1]);
	o->id = argv[i];
	if (o->bundle[0] == '\0')
		return -host_cli_usage(cmd, "--bundle: empty path");
	if (o->isolation) {
		enum rb_isolation iso;

		if (!host_isolation_parse(o->isolation, &iso))
			return -host_cli_fail(
				cmd, "--isolation %s: unknown mode (want realm, shim or none)",
				o->isolation);
	}
	return 0;
}

int host_cmd_create(int argc, char **argv)
{
	struct create_opts o;
	pid_t pid;
	int r = parse_create("create", argc, argv, &o, false);

	if (r == -0x100)
		return 0;
	if (r < 0)
		return -r;
	return do_create("create", &o, &pid);
}

/* ---- the commands on an existing container ---------------------------------------------- */

/* "ID" as the only argument after options handled by the caller. */
static const char *one_id(const char *cmd, int argc, char **argv, int i)
{
	if (i >= argc) {
		host_cli_usage(cmd, "a container ID is required");
		return NULL;
	}
	if (i + 1 < argc) {
		host_cli_usage(cmd, "unexpected argument '%s' after the ID", argv[i + 1]);
		return NULL;
	}
	return argv[i];
}

static int do_start(const char *cmd, const char *root, const char *id)
{
	struct rb_cstate st;
	struct rb_err err = {0};
	int lock, r, status = 1;

	lock = host_cli_lock_load(cmd, root, id, &st);
	if (lock < 0)
		return 1;
	switch (host_cstate_status(&st)) {
	case RB_CS_CREATED:
		r = host_monitor_request(root, id, "start", NULL, 0, 30000, &err);
		if (r < 0)
			host_cli_fail(cmd, "%s", err.msg);
		else
			status = 0;
		break;
	case RB_CS_RUNNING:
		host_cli_fail(cmd, "cannot start an already running container");
		break;
	case RB_CS_CREATING:
		host_cli_fail(cmd, "container %s is still being created", id);
		break;
	case RB_CS_PAUSED:
		host_cli_fail(cmd, "cannot start a container in the paused state");
		break;
	default:
		host_cli_fail(cmd, "cannot start a container that has stopped");
		break;
	}
	host_cstate_free(&st);
	close(lock);
	return status;
}

int host_cmd_start(int argc, char **argv)
{
	char root[4096];
	const char *id;

	if (argc >= 2 && argv[1][0] == '-' && argv[1][1] != '\0')
		return host_cli_usage("start", "unknown option %s", argv[1]);
	if ((id = one_id("start", argc, argv, 1)) == NULL)
		return 2;
	if (host_cli_root("start", root, sizeof(root)))
		return 1;
	return do_start("start", root, id);
}

int host_cmd_state(int argc, char **argv)
{
	char root[4096];
	struct rb_cstate st;
	const char *id;
	char *s;

	if (argc >= 2 && argv[1][0] == '-' && argv[1][1] != '\0')
		return host_cli_usage("state", "unknown option %s", argv[1]);
	if ((id = one_id("state", argc, argv, 1)) == NULL)
		return 2;
	if (host_cli_root("state", root, sizeof(root)) || host_cli_load("state", root, id, &st))
		return 1;
	s = host_cstate_oci_json(&st, host_cstate_status(&st), 2);
	host_cstate_free(&st);
	if (s == NULL)
		return host_cli_fail("state", "out of memory");
	printf("%s\n", s);
	free(s);
	return 0;
}

int host_cmd_kill(int argc, char **argv)
{
	char root[4096], req[64];
	struct rb_cstate st;
	struct rb_err err = {0};
	const char *id = NULL, *signame = "SIGTERM";
	bool all = false;
	int i, sig, lock, status = 1;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		if (host_cli_flag(argv[i], "--all", "-a"))
			all = true;
		else
			return host_cli_usage("kill", "unknown option %s", argv[i]);
	}
	if (i >= argc)
		return host_cli_usage("kill", "a container ID is required");
	id = argv[i++];
	if (i < argc)
		signame = argv[i++];
	if (i < argc)
		return host_cli_usage("kill", "unexpected argument '%s' after the signal", argv[i]);
	sig = parse_signal(signame);
	if (sig < 0)
		return host_cli_fail("kill", "unknown signal \"%s\"", signame);
	if (host_cli_root("kill", root, sizeof(root)))
		return 1;
	lock = host_cli_lock_load("kill", root, id, &st);
	if (lock < 0)
		return 1;
	if (host_cstate_status(&st) == RB_CS_STOPPED) {
		host_cli_fail("kill", "container not running");
	} else if (sig == 0) {
		status = 0; /* as kill(2) and runc: only asks whether the container is there */
	} else if (host_cstate_status(&st) == RB_CS_PAUSED) {
		/*
		 * Its monitor is stopped and cannot relay a signal: SIGKILL ends it (the
		 * status its parent sees is 137, as for a container killed with 9); other
		 * signals wait for resume, as under a frozen cgroup, so they are refused.
		 */
		if (sig != SIGKILL)
			host_cli_fail("kill",
				      "container %s is paused: only SIGKILL reaches it before "
				      "resume",
				      id);
		else if (kill(st.pid, SIGKILL) != 0)
			host_cli_fail("kill", "container %s: its monitor (pid %d): %s", id,
				      (int)st.pid, strerror(errno));
		else
			status = 0;
	} else {
		snprintf(req, sizeof(req), "kill %d%s", sig, all ? " all" : "");
		if (host_monitor_request(root, id, req, NULL, 0, 10000, &err) < 0)
			host_cli_fail("kill", "%s", err.msg);
		else
			status = 0;
	}
	host_cstate_free(&st);
	close(lock);
	return status;
}

/* SIGKILL the monitor of st and wait (at most 10 s) until it is gone. 0 or -ETIMEDOUT. */
static int kill_monitor(const struct rb_cstate *st)
{
	if (!host_pid_alive(st->pid, st->starttime))
		return 0;
	kill(st->pid, SIGKILL);
	for (int i = 0; i < 1000; i++) {
		if (!host_pid_alive(st->pid, st->starttime))
			return 0;
		usleep(10000);
	}
	return -ETIMEDOUT;
}

static int do_delete(const char *cmd, const char *root, const char *id, bool force)
{
	struct rb_cstate st;
	struct rb_err err = {0};
	int lock, status = 1;

	if (!host_container_id_valid(id))
		return force ? 0 : host_cli_fail(cmd, "container %s does not exist", id);
	lock = host_cstate_lock(root, id, 10000, &err);
	if (lock < 0) {
		if (force && err.errnum == ENOENT)
			return 0; /* runc: delete --force of an unknown container succeeds */
		return host_cli_fail(cmd, "%s", err.msg);
	}
	if (host_cstate_read(root, id, &st, &err) < 0) {
		if (force) {
			status = host_cstate_remove(root, id, &err) < 0
					 ? host_cli_fail(cmd, "%s", err.msg)
					 : 0;
		} else {
			host_cli_fail(cmd, "%s", err.msg);
		}
		close(lock);
		return status;
	}
	switch (host_cstate_status(&st)) {
	case RB_CS_STOPPED:
		break;
	case RB_CS_RUNNING:
	case RB_CS_PAUSED:
		if (!force) {
			host_cli_fail(cmd,
				      "cannot delete container %s that is not stopped: %s "
				      "(use --force)",
				      id, host_cstatus_name(host_cstate_status(&st)));
			goto out;
		}
		/* fall through */
	default:
		/* created (runc deletes those) or forced: the container goes with its monitor */
		if (kill_monitor(&st) < 0) {
			host_cli_fail(
				cmd, "container %s: its monitor (pid %d) did not end after SIGKILL",
				id, (int)st.pid);
			goto out;
		}
		break;
	}
	if (host_cstate_remove(root, id, &err) < 0)
		host_cli_fail(cmd, "%s", err.msg);
	else
		status = 0;
out:
	host_cstate_free(&st);
	close(lock);
	return status;
}

int host_cmd_delete(int argc, char **argv)
{
	char root[4096];
	bool force = false;
	const char *id;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		if (host_cli_flag(argv[i], "--force", "-f"))
			force = true;
		else
			return host_cli_usage("delete", "unknown option %s", argv[i]);
	}
	if ((id = one_id("delete", argc, argv, i)) == NULL)
		return 2;
	if (host_cli_root("delete", root, sizeof(root)))
		return 1;
	return do_delete("delete", root, id, force);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int host_cmd_list(int argc, char **argv)
{
	char root[4096];
	const char *format = "table";
	bool quiet = false;
	char **ids = NULL;
	size_t n = 0, cap = 0;
	DIR *d;
	struct dirent *e;
	int i, m;

	for (i = 1; i < argc; i++) {
		if ((m = host_cli_opt(argc, argv, &i, "--format", "-f", &format)) != 0) {
			if (m < 0)
				return host_cli_usage("list", "option --format needs a value");
		} else if (host_cli_flag(argv[i], "--quiet", "-q")) {
			quiet = true;
		} else {
			return host_cli_usage("list", "unexpected argument %s", argv[i]);
		}
	}
	if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
		return host_cli_fail("list", "invalid format option \"%s\" (want table or json)",
				     format);
	if (host_cli_root("list", root, sizeof(root)))
		return 1;
	d = opendir(root);
	if (d != NULL) {
		while ((e = readdir(d)) != NULL) {
			char p[4400];
			struct stat sb;

			if (!host_container_id_valid(e->d_name))
				continue;
			snprintf(p, sizeof(p), "%s/%s/state.json", root, e->d_name);
			if (stat(p, &sb) != 0)
				continue; /* not a container (e.g. the machine's keys) */
			if (n == cap) {
				char **x = realloc(ids, (cap = cap ? cap * 2 : 16) * sizeof(*ids));

				if (x == NULL)
					break;
				ids = x;
			}
			if ((ids[n] = strdup(e->d_name)) != NULL)
				n++;
		}
		closedir(d);
	}
	if (n)
		qsort(ids, n, sizeof(*ids), cmp_str);
	if (strcmp(format, "json") == 0)
		printf("[");
	else if (!quiet)
		printf("%-20s %-8s %-10s %-40s %-32s %s\n", "ID", "PID", "STATUS", "BUNDLE",
		       "CREATED", "OWNER");
	for (size_t k = 0, shown = 0; k < n; k++) {
		struct rb_cstate st;
		struct rb_err err;
		enum rb_cstatus s;

		if (host_cstate_read(root, ids[k], &st, &err) < 0)
			continue; /* deleted meanwhile */
		s = host_cstate_status(&st);
		if (strcmp(format, "json") == 0) {
			char *j = host_cstate_oci_json(&st, s, 0);

			if (j)
				printf("%s%s", shown++ ? "," : "", j);
			free(j);
		} else if (quiet) {
			printf("%s\n", st.id);
		} else {
			printf("%-20s %-8d %-10s %-40s %-32s %s\n", st.id,
			       s == RB_CS_STOPPED ? 0 : (int)st.pid, host_cstatus_name(s),
			       st.bundle, st.created, geteuid() == 0 ? "root" : "");
		}
		host_cstate_free(&st);
	}
	if (strcmp(format, "json") == 0)
		printf("]\n");
	for (size_t k = 0; k < n; k++)
		free(ids[k]);
	free(ids);
	return 0;
}

int host_cmd_ps(int argc, char **argv)
{
	char root[4096], out[8192];
	const char *format = "table", *id = NULL;
	struct rb_cstate st;
	struct rb_err err = {0};
	json_t *arr;
	int i, m;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		if ((m = host_cli_opt(argc, argv, &i, "--format", "-f", &format)) != 0) {
			if (m < 0)
				return host_cli_usage("ps", "option --format needs a value");
		} else {
			return host_cli_usage("ps", "unknown option %s", argv[i]);
		}
	}
	if (i >= argc)
		return host_cli_usage("ps", "a container ID is required");
	id = argv[i];
	/* runc passes further arguments to ps(1); there is no ps(1) of the container here */
	if (i + 1 < argc)
		return host_cli_fail("ps", "ps options (%s) are not supported", argv[i + 1]);
	if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
		return host_cli_fail("ps", "invalid format option \"%s\" (want table or json)",
				     format);
	if (host_cli_root("ps", root, sizeof(root)) || host_cli_load("ps", root, id, &st))
		return 1;
	enum rb_cstatus s = host_cstate_status(&st);
	host_cstate_free(&st);
	if (s == RB_CS_STOPPED)
		return host_cli_fail("ps", "container %s is not running", id);
	if (s == RB_CS_PAUSED)
		return host_cli_fail("ps",
				     "container %s is paused: its monitor cannot answer "
				     "before resume",
				     id);
	if (host_monitor_request(root, id, "ps", out, sizeof(out), 10000, &err) < 0)
		return host_cli_fail("ps", "%s", err.msg);
	arr = json_loads(out, 0, NULL);
	if (!json_is_array(arr)) {
		json_decref(arr);
		return host_cli_fail("ps", "container %s: malformed process list from its monitor",
				     id);
	}
	/* pids are the container's own (its library OS numbers them), not host pids */
	if (strcmp(format, "json") == 0) {
		size_t k;
		json_t *p;

		printf("[");
		json_array_foreach(arr, k, p)
			printf("%s%lld", k ? "," : "",
			       (long long)json_integer_value(json_object_get(p, "pid")));
		printf("]\n");
	} else {
		size_t k;
		json_t *p;

		printf("%-8s %-8s %-4s %s\n", "PID", "PPID", "STAT", "CMD");
		json_array_foreach(arr, k, p)
			printf("%-8lld %-8lld %-4s %s\n",
			       (long long)json_integer_value(json_object_get(p, "pid")),
			       (long long)json_integer_value(json_object_get(p, "ppid")),
			       json_string_value(json_object_get(p, "state")) ?: "?",
			       json_string_value(json_object_get(p, "comm")) ?: "?");
	}
	json_decref(arr);
	return 0;
}

int host_cmd_features(int argc, char **argv)
{
	(void)argv;
	if (argc > 1)
		return host_cli_usage("features", "takes no arguments");
	/*
	 * What realmbox honours (docs/oci-config.md): cgroups, seccomp,
	 * AppArmor, SELinux, capabilities have no meaning inside a realm
	 * (there is no Linux kernel there to apply them), so they are reported
	 * unsupported. Namespaces: a container always has its own of every
	 * kind listed, and config.json must not leave one of them out (that
	 * would ask for the host's). The config.json fields that may be
	 * refused or ignored with a warning are listed in annotations.
	 */
	printf("{\n"
	       "  \"ociVersionMin\": \"1.0.0\",\n"
	       "  \"ociVersionMax\": \"1.2.0\",\n"
	       "  \"hooks\": [],\n"
	       "  \"mountOptions\": [],\n"
	       "  \"linux\": {\n"
	       "    \"namespaces\": [\"cgroup\", \"ipc\", \"mount\", \"network\", \"pid\", "
	       "\"time\", \"user\", \"uts\"],\n"
	       "    \"capabilities\": [],\n"
	       "    \"cgroup\": {\"v1\": false, \"v2\": false, \"systemd\": false, "
	       "\"systemdUser\": false, \"rdma\": false},\n"
	       "    \"seccomp\": {\"enabled\": false},\n"
	       "    \"apparmor\": {\"enabled\": false},\n"
	       "    \"selinux\": {\"enabled\": false},\n"
	       "    \"intelRdt\": {\"enabled\": false},\n"
	       "    \"mountExtensions\": {\"idmap\": {\"enabled\": false}}\n"
	       "  },\n"
	       "  \"annotations\": {\n"
	       "    \"org.realmbox.isolation.modes\": \"realm,shim,none\",\n"
	       "    \"org.realmbox.isolation.default\": \"realm\",\n"
	       "    \"org.realmbox.isolation.annotation\": \"org.realmbox.isolation\",\n"
	       "    \"org.realmbox.exec\": \"none,shim,realm (realm: only with the measured annotation "
	       "org.realmbox.exec=allow)\",\n"
	       "    \"org.realmbox.ps\": \"none,shim,realm\",\n"
	       "    \"org.realmbox.attest\": \"realm (only with the measured annotation "
	       "org.realmbox.attest=allow)\",\n"
	       "    \"org.realmbox.stats\": \"none,shim,realm\",\n"
	       "    \"org.realmbox.resources\": \"memory.limit,pids.limit,cpu.shares,unified:"
	       "memory.max,pids.max,cpu.weight (docs/resources.md)\",\n"
	       "    \"org.realmbox.resources.memory\": \"the container's pages (anonymous, stack, "
	       "heap, file pages mapped, fork copies); over the limit the whole container is "
	       "killed (SIGKILL, exit 137)\",\n"
	       "    \"org.realmbox.resources.cpu\": \"weight as the nice value of the container's "
	       "host threads (all modes); no weighting among a container's own tasks\",\n"
	       "    \"org.realmbox.config.refused\": \"%s\",\n"
	       "    \"org.realmbox.config.warned\": \"%s\",\n"
	       "    \"org.realmbox.config.table\": \"docs/oci-config.md\",\n"
	       "    \"org.realmbox.version\": \"0.1.0\"\n"
	       "  }\n"
	       "}\n",
	       host_config_refused_fields(), host_config_warned_fields());
	return 0;
}

/* ---- run ------------------------------------------------------------------------------------ */

int host_run_register(const struct rb_config *cfg, char *root, size_t n, struct rb_cstate *st)
{
	char dir[4200], iso[16];
	struct rb_err err = {0};

	memset(st, 0, sizeof(*st));
	if (host_cli_root("run", root, n))
		return 1;
	if (strcmp(cfg->id, "machine") == 0)
		return host_cli_fail("run", "container ID 'machine' is reserved (ROOT/machine holds "
					    "the machine's attestation keys)");
	if (mkdirs(root) < 0)
		return host_cli_fail("run", "runtime root %s: %s", root, strerror(errno));
	if (host_cstate_dir(root, cfg->id, dir, sizeof(dir), &err) < 0)
		return host_cli_fail("run", "%s", err.msg);
	int mk = mkdir(dir, 0700) == 0 ? 0 : errno;

	if (mk == EEXIST) {
		/*
		 * The leftover of a holder that died without recording an end (a
		 * run or monitor killed with SIGKILL: recorded creating or running,
		 * its pid gone) is reclaimed, or a killed `run` would keep its ID
		 * forever; anything else keeps it, as with runc.
		 */
		struct rb_cstate old;
		struct rb_err e2 = {0};
		bool stale = host_cstate_read(root, cfg->id, &old, &e2) == 0 &&
			     old.status != RB_CS_STOPPED && !host_pid_alive(old.pid, old.starttime);

		host_cstate_free(&old);
		if (stale) {
			host_debug("run: %s: reclaiming the state of a holder that died (pid %d)",
				   cfg->id, (int)old.pid);
			if (host_cstate_remove(root, cfg->id, &e2) < 0)
				return host_cli_fail("run", "%s", e2.msg);
			mk = mkdir(dir, 0700) == 0 ? 0 : errno;
		}
	}
	if (mk == EEXIST)
		return host_cli_fail("run", "container with id exists: %s", cfg->id);
	if (mk != 0)
		return host_cli_fail("run", "%s: %s", dir, strerror(mk));
	st->annotations = bundle_annotations(cfg->bundle, iso, sizeof(iso));
	snprintf(st->id, sizeof(st->id), "%s", cfg->id);
	snprintf(st->bundle, sizeof(st->bundle), "%s", cfg->bundle);
	snprintf(st->rootfs, sizeof(st->rootfs), "%s", cfg->rootfs);
	snprintf(st->isolation, sizeof(st->isolation), "%s", host_isolation_name(cfg->isolation));
	now_rfc3339(st->created, sizeof(st->created));
	st->status = RB_CS_CREATING;
	st->exit_status = -1;
	st->pid = getpid();
	st->starttime = host_pid_starttime(st->pid);
	if (host_cstate_write(root, st, &err) < 0) {
		host_cli_fail("run", "%s", err.msg);
		host_cstate_remove(root, cfg->id, &err);
		host_cstate_free(st);
		return 1;
	}
	return 0;
}

bool host_run_wants_lifecycle(int argc, char **argv)
{
	/* every argument: `run ID` takes no command, and option values come before the ID */
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0)
			return false;
		if (a[0] != '-')
			continue; /* an option's value ("--bundle DIR") or the ID */
		if (host_cli_flag(a, "--detach", "-d") || strncmp(a, "--pid-file", 10) == 0 ||
		    strncmp(a, "--console-socket", 16) == 0 || strncmp(a, "-pid-file", 9) == 0 ||
		    strncmp(a, "-console-socket", 15) == 0)
			return true;
	}
	return false;
}

int host_cmd_run_lifecycle(int argc, char **argv)
{
	static const int fwd[] = {SIGHUP,  SIGINT,  SIGQUIT, SIGTERM, SIGUSR1,
				  SIGUSR2, SIGALRM, SIGCONT, SIGTSTP};
	char root[4096];
	struct create_opts o;
	sigset_t set, old;
	pid_t pid, w;
	int r, status;

	r = parse_create("run", argc, argv, &o, true);
	if (r == -0x100)
		return 0;
	if (r < 0)
		return -r;
	if (host_cli_root("run", root, sizeof(root)))
		return 1;
	if (!o.detach) {
		/* the monitor is reparented to us, so we can wait for it as runc's run waits */
		prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
		sigemptyset(&set);
		for (size_t i = 0; i < sizeof(fwd) / sizeof(fwd[0]); i++)
			sigaddset(&set, fwd[i]);
		sigprocmask(SIG_BLOCK, &set, &old);
	}
	if ((r = do_create("run", &o, &pid)) != 0)
		return r;
	if ((r = do_start("run", root, o.id)) != 0) {
		do_delete("run", root, o.id, true);
		return r;
	}
	if (o.detach)
		return 0;
	for (;;) {
		struct timespec ts = {.tv_sec = 0, .tv_nsec = 50000000};
		siginfo_t si;
		int sig = sigtimedwait(&set, &si, &ts);

		if (sig > 0)
			kill(pid, sig); /* the monitor forwards it to the container's init */
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno == ECHILD) {
			status = -1;
			break;
		}
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	/* the intermediate child of the double fork may still be a zombie of ours */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	do_delete("run", root, o.id, true);
	if (status == -1)
		return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
