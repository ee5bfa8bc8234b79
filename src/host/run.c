/*
 * `realmbox run`: the foreground container life of runc's `run` (create,
 * start, wait, delete in one), for one container. Loads the bundle
 * (host/oci.c), measures the rootfs (host/manifest.c) and hands both to the
 * deployment selected with --isolation (deploy/deploy.h).
 */
#include "host/run.h"

#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "deploy/deploy.h"
#include "host/err.h"
#include "host/lifecycle.h"
#include "host/manifest.h"
#include "host/monitor.h"
#include "host/oci.h"

/*
 * Signals to `realmbox run` go to the container's init, as runc's run
 * forwards them: blocked in every thread, taken by one that calls
 * host_monitor_kill (SIGKILL and SIGSTOP cannot be caught, SIGCHLD and SIGWINCH
 * are the runtime's own: SIGWINCH, our terminal resized, resizes the
 * container's with host_monitor_winsize).
 */
static const int forwarded[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM,
				SIGCONT, SIGTSTP, SIGPIPE};

struct sig_forward {
	pthread_t th;
	bool live;
	sigset_t set, old;
	const char *id;
};

static void *sig_forward_main(void *arg)
{
	struct sig_forward *f = arg;

	for (;;) {
		int sig;

		if (sigwait(&f->set, &sig) != 0)
			continue;
		if (sig == SIGPIPE)
			continue; /* our own stdout went away: the container finds out by itself */
		if (sig == SIGWINCH) {
			/* our terminal was resized: the container's follows */
			host_monitor_winsize();
			continue;
		}
		int r = host_monitor_kill(f->id, sig);
		host_debug("signal %d -> container %s: %s", sig, f->id, r ? strerror(-r) : "sent");
	}
	return NULL;
}

static void sig_forward_start(struct sig_forward *f, const char *id)
{
	sigemptyset(&f->set);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(&f->set, forwarded[i]);
	sigaddset(&f->set, SIGWINCH); /* not forwarded: resizes the container's terminal */
	f->id = id;
	pthread_sigmask(SIG_BLOCK, &f->set, &f->old);
	f->live = pthread_create(&f->th, NULL, sig_forward_main, f) == 0;
}

static void sig_forward_stop(struct sig_forward *f)
{
	if (f->live) {
		pthread_cancel(f->th);
		pthread_join(f->th, NULL);
	}
	pthread_sigmask(SIG_SETMASK, &f->old, NULL);
}

static void run_usage(FILE *f)
{
	fprintf(f, "usage: realmbox run [--isolation realm|shim|none] [--bundle DIR] [--stats] "
		   "[--publish HOSTPORT:CONTAINERPORT]... [--debug] ID\n"
		   "\n"
		   "Run the container in the OCI bundle DIR (default: the current directory)\n"
		   "in the foreground and exit with its status (128+N when signal N ended it).\n"
		   "\n"
		   "  --isolation MODE  realm (Fasco, the default), shim (RContainer), none\n"
		   "  --bundle, -b DIR  the bundle: DIR/config.json and its root.path\n"
		   "  --stats           print the container's counters to stderr at exit\n"
		   "  --publish, -p H:C make the container's TCP port C reachable on host\n"
		   "                    127.0.0.1:H (repeatable; also the config.json annotation\n"
		   "                    org.realmbox.publish: \"H:C,...\"; docs/networking.md)\n"
		   "  --debug           log ignored config.json fields and skipped rootfs files\n");
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void print_stats(const struct rb_config *cfg, const struct rb_manifest *mf,
			const struct rb_result *res, double manifest_ms, double run_ms)
{
	char hex[65];

	host_hex32(mf->digest, hex);
	fprintf(stderr, "realmbox: stats: container          %s (isolation %s)\n", cfg->id,
		host_isolation_name(cfg->isolation));
	fprintf(stderr, "realmbox: stats: manifest           %zu entries, %.1f ms, sha256 %s\n",
		mf->n, manifest_ms, hex);
	fprintf(stderr, "realmbox: stats: run time           %.1f ms\n", run_ms);
	fprintf(stderr, "realmbox: stats: exit status        %d (signal %d)\n", res->exit_status,
		res->term_signal);
#define STAT(name, field)                                                                          \
	fprintf(stderr, "realmbox: stats: %-18s %" PRIu64 "\n", name, (uint64_t)res->field)
	STAT("syscalls", syscalls);
	STAT("syscalls_enosys", syscalls_enosys);
	STAT("forwarded", forwarded);
	STAT("rec_exits", rec_exits);
	STAT("world_switches", world_switches);
	STAT("rmm_copies", rmm_copies);
	STAT("rmm_copy_bytes", rmm_copy_bytes);
	STAT("verify_refusals", verify_refusals);
	STAT("code_words", code_words);
	STAT("code_pages_reused", code_pages_reused);
	if (cfg->isolation == RB_ISOLATION_REALM) {
		STAT("exitless", exitless);
		STAT("exitless_timeouts", exitless_timeouts);
		STAT("exitless_skipped", exitless_skipped);
	}
	if (cfg->isolation == RB_ISOLATION_SHIM) {
		STAT("preemptions", preemptions);
		STAT("minios_table_bytes", minios_table_bytes);
		STAT("root_gpt_bytes", root_gpt_bytes);
	}
	if (cfg->isolation == RB_ISOLATION_SHIM && res->syscalls) {
		STAT("rc_el3_round_trips", rc_el3);
		STAT("gpt_switches", gpt_switches);
		STAT("tlbis", tlbis);
		STAT("rc_calls", rc_calls);
		fprintf(stderr, "realmbox: stats: per syscall       %.2f EL3 round trips, %.2f GPT "
			"switches, %.2f TLBIs, %.2f rc_* calls\n", (double)res->rc_el3 / res->syscalls,
			(double)res->gpt_switches / res->syscalls, (double)res->tlbis / res->syscalls,
			(double)res->rc_calls / res->syscalls);
	}
#undef STAT
}

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/*
 * runc's exec.LookPath for process.args[0] without a '/': the first
 * PATH directory (from process.env; runc's default PATH when it has none)
 * whose entry resolves, through the manifest, to a regular file with an
 * execute bit. Returns a malloc'd absolute path, or NULL with err set to
 * runc's message.
 */
static char *lookup_path(const struct rb_config *cfg, const struct rb_manifest *mf,
			 struct rb_err *err)
{
	const char *name = cfg->args[0], *path = DEFAULT_PATH;
	char *copy, *dir, *save = NULL, *found = NULL;

	for (char *const *e = cfg->env; e != NULL && *e != NULL; e++) {
		if (strncmp(*e, "PATH=", 5) == 0)
			path = *e + 5;
	}
	copy = strdup(path);
	if (copy == NULL) {
		rb_err_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	for (dir = strtok_r(copy, ":", &save); dir != NULL; dir = strtok_r(NULL, ":", &save)) {
		const struct rb_manifest_entry *ent;
		char *cand;

		if (dir[0] != '/')
			continue; /* relative PATH entries are not searched */
		if (asprintf(&cand, "%s/%s", dir, name) < 0)
			break;
		if (host_manifest_resolve(mf, cand, &ent) == 0 && ent->type == RB_MF_FILE &&
		    (ent->mode & 0111) != 0) {
			found = cand;
			break;
		}
		free(cand);
	}
	free(copy);
	if (found == NULL)
		rb_err_set(err, ENOENT, "exec: \"%s\": executable file not found in $PATH", name);
	return found;
}

/*
 * runc's exec.LookPath for process.args[0] with a '/' (relative to
 * process.cwd): it must resolve, through the manifest, to a regular file
 * with an execute bit. 0, or -ENOENT / -EACCES with runc's message.
 */
static int check_path(const struct rb_config *cfg, const struct rb_manifest *mf, struct rb_err *err)
{
	const char *name = cfg->args[0];
	const struct rb_manifest_entry *ent;
	char *path;
	int r;

	if (name[0] == '/')
		path = strdup(name);
	else if (asprintf(&path, "%s/%s", cfg->cwd ? cfg->cwd : "/", name) < 0)
		path = NULL;
	if (path == NULL)
		return rb_err_set(err, ENOMEM, "out of memory");
	r = host_manifest_resolve(mf, path, &ent);
	free(path);
	if (r == -ENOENT || r == -ENOTDIR)
		return rb_err_set(err, ENOENT, "exec: \"%s\": stat %s: no such file or directory",
				  name, name);
	if (r < 0)
		return rb_err_set(err, -r, "exec: \"%s\": stat %s: %s", name, name, strerror(-r));
	if (ent->type != RB_MF_FILE || (ent->mode & 0111) == 0)
		return rb_err_set(err, EACCES, "exec: \"%s\": permission denied", name);
	return 0;
}

int host_run_resolve_args0(struct rb_config *cfg, const struct rb_manifest *mf,
			   struct rb_err *err)
{
	char *exe;

	if (strchr(cfg->args[0], '/') != NULL)
		return check_path(cfg, mf, err);
	exe = lookup_path(cfg, mf, err);
	if (exe == NULL)
		return -ENOENT;
	/*
	 * The deployment executes args[0] as a path, so argv[0] becomes the
	 * resolved path ("/bin/sh" for "sh"); runc keeps "sh". Busybox
	 * applets see the same name either way.
	 */
	host_debug("process.args[0]: %s -> %s", cfg->args[0], exe);
	free(cfg->args[0]);
	cfg->args[0] = exe;
	return 0;
}

/*
 * Option `name` with a value, as "--opt VALUE" or "--opt=VALUE": 1 with
 * *out set (and *i advanced past the value), 0 if argv[*i] is another
 * option, -1 if the value is missing.
 */
static int opt_value(int argc, char **argv, int *i, const char *name, const char **out)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n) != 0)
		return 0;
	if (argv[*i][n] == '=') {
		*out = argv[*i] + n + 1;
		return 1;
	}
	if (argv[*i][n] != '\0')
		return 0;
	if (*i + 1 >= argc)
		return -1;
	*out = argv[++*i];
	return 1;
}

int host_cmd_run(int argc, char **argv)
{
	enum rb_isolation iso = RB_ISOLATION_REALM;
	const char *bundle = ".", *id = NULL, *iso_name = "realm";
	bool stats = false;
	const char *publish[RB_MAX_PUBLISH + 1];
	unsigned npublish = 0;
	struct rb_config cfg;
	struct rb_manifest mf;
	struct rb_result res;
	struct rb_err err = {0};
	char errbuf[512] = "";
	double t0, t1, t2;
	int i, rc, status;

	/* --detach, --pid-file, --console-socket: create + start through a monitor */
	if (host_run_wants_lifecycle(argc, argv))
		return host_cmd_run_lifecycle(argc, argv);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		int m;

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[0] != '-' || a[1] == '\0')
			break;
		if ((m = opt_value(argc, argv, &i, "--isolation", &iso_name)) != 0 ||
		    (m = opt_value(argc, argv, &i, "--bundle", &bundle)) != 0 ||
		    (m = opt_value(argc, argv, &i, "-b", &bundle)) != 0) {
			if (m < 0) {
				fprintf(stderr, "realmbox: run: option %s needs a value\n", a);
				return 2;
			}
		} else if ((m = opt_value(argc, argv, &i, "--publish", &publish[npublish])) != 0 ||
			   (m = opt_value(argc, argv, &i, "-p", &publish[npublish])) != 0) {
			if (m < 0) {
				fprintf(stderr, "realmbox: run: option %s needs a value\n", a);
				return 2;
			}
			if (++npublish > RB_MAX_PUBLISH) {
				fprintf(stderr, "realmbox: run: more than %d --publish options\n",
					RB_MAX_PUBLISH);
				return 2;
			}
		} else if (strcmp(a, "--stats") == 0) {
			stats = true;
		} else if (strcmp(a, "--debug") == 0) {
			host_debug_enabled = true;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			run_usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "realmbox: run: unknown option %s\n", a);
			run_usage(stderr);
			return 2;
		}
	}
	if (i >= argc) {
		fprintf(stderr, "realmbox: run: a container ID is required\n");
		run_usage(stderr);
		return 2;
	}
	if (i + 1 < argc) {
		fprintf(stderr, "realmbox: run: unexpected argument '%s' after the ID\n",
			argv[i + 1]);
		run_usage(stderr);
		return 2;
	}
	id = argv[i];
	if (!host_isolation_parse(iso_name, &iso)) {
		fprintf(stderr,
			"realmbox: run: --isolation %s: unknown mode (want realm, shim or "
			"none)\n",
			iso_name);
		return 1;
	}
	if (!host_container_id_valid(id)) {
		fprintf(stderr,
			"realmbox: run: invalid container ID '%s': want 1 to 1024 of "
			"[a-zA-Z0-9_.-], starting with a letter or digit\n",
			id);
		return 1;
	}
	if (bundle[0] == '\0') {
		fprintf(stderr, "realmbox: run: --bundle: empty path\n");
		return 1;
	}

	rc = host_bundle_load(bundle, &cfg, &err);
	if (rc < 0) {
		fprintf(stderr, "realmbox: run: %s\n", err.msg);
		return 1;
	}
	for (unsigned k = 0; k < npublish; k++) {
		if (host_publish_parse(publish[k], "--publish", &cfg, &err) < 0) {
			fprintf(stderr, "realmbox: run: %s\n", err.msg);
			host_config_free(&cfg);
			return 1;
		}
	}
	/* this process is the container's pid: the host's OOM killer weighs it */
	if (host_oom_score_adj_apply(&cfg, &err) < 0) {
		fprintf(stderr, "realmbox: run: %s\n", err.msg);
		host_config_free(&cfg);
		return 1;
	}
	cfg.isolation = iso;
	cfg.id = strdup(id);
	if (cfg.id == NULL) {
		fprintf(stderr, "realmbox: run: out of memory\n");
		host_config_free(&cfg);
		return 1;
	}
	if (cfg.terminal && !isatty(STDIN_FILENO)) {
		fprintf(stderr,
			"realmbox: run: process.terminal is true but stdin is not a terminal "
			"(no --console-socket support yet): set \"terminal\": false in "
			"config.json or run from a terminal\n");
		host_config_free(&cfg);
		return 1;
	}

	t0 = now_ms();
	rc = host_manifest_build_config(&cfg, true, &mf, &err);
	t1 = now_ms();
	if (rc < 0) {
		fprintf(stderr, "realmbox: run: rootfs manifest: %s\n", err.msg);
		host_config_free(&cfg);
		return 1;
	}
	if (host_debug_enabled) {
		char hex[65];

		host_hex32(mf.digest, hex);
		host_debug("manifest of %s: %zu entries, sha256 %s, %.1f ms", cfg.rootfs, mf.n, hex,
			   t1 - t0);
	}

	if (host_run_resolve_args0(&cfg, &mf, &err) < 0) {
		fprintf(stderr, "realmbox: run: %s\n", err.msg);
		host_manifest_free(&mf);
		host_config_free(&cfg);
		return 1;
	}

	/* registered as runc's run does: list/state/kill/ps/stats/exec see it meanwhile */
	char root[4096];
	struct rb_cstate st;
	struct rb_err rerr;

	if (host_run_register(&cfg, root, sizeof(root), &st) != 0) {
		host_manifest_free(&mf);
		host_config_free(&cfg);
		return 1;
	}
	setenv("REALMBOX_ROOT", root, 0); /* the machine's keys: the same root as the state */
	memset(&res, 0, sizeof(res));
	fflush(stdout);
	fflush(stderr);
	struct sig_forward fwd;
	struct host_monitor_args ma = {.root = root, .cfg = &cfg, .mf = &mf, .st = &st,
				       .ready_fd = -1, .io = {STDIN_FILENO, STDOUT_FILENO,
							     STDERR_FILENO}};
	host_cpu_weight_apply(&cfg); /* before any thread: each inherits it */
	sig_forward_start(&fwd, cfg.id);
	rc = host_monitor_foreground(&ma, &res, errbuf, sizeof(errbuf));
	sig_forward_stop(&fwd);
	host_cstate_remove(root, cfg.id, &rerr);
	host_cstate_free(&st);
	t2 = now_ms();
	if (rc == -ENOTSUP) {
		fprintf(stderr, "realmbox: run: isolation %s: not supported yet\n",
			host_isolation_name(iso));
		if (errbuf[0] != '\0')
			host_debug("deploy_run: %s", errbuf);
		status = 1;
	} else if (rc < 0) {
		fprintf(stderr, "realmbox: run: isolation %s: %s\n", host_isolation_name(iso),
			errbuf[0] != '\0' ? errbuf : strerror(-rc));
		status = 1;
	} else {
		if (stats)
			print_stats(&cfg, &mf, &res, t1 - t0, t2 - t1);
		status = res.term_signal > 0 ? 128 + res.term_signal : res.exit_status;
		if (status < 0 || status > 255)
			status &= 0xff;
	}
	host_manifest_free(&mf);
	host_config_free(&cfg);
	return status;
}
