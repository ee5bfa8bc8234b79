/*
 * The machine daemon's client side (daemon.h): finding or starting the
 * daemon, running a container on it, and the requests a monitor relays
 * for its container (host_deploy_daemon).
 */
#include "host/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "deploy/deploy_common.h"
#include "host/cli_util.h"
#include "host/daemon_wire.h"
#include "host/sockmsg.h"
#include "lib/log.h"

#define DAEMON_IDLE_EXIT_S "10" /* a started daemon's --idle-exit (REALMBOX_DAEMON_IDLE) */

static char d_root[4096]; /* the root host_daemon_connect found the daemon of */

/* host_daemon_run's progress, for requests that need the container there (exec) */
static pthread_mutex_t d_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t d_cv = PTHREAD_COND_INITIALIZER;
static bool d_taken, d_over; /* the daemon took the container; the run is over */

static void run_progress(bool *flag)
{
	pthread_mutex_lock(&d_mu);
	*flag = true;
	pthread_cond_broadcast(&d_cv);
	pthread_mutex_unlock(&d_mu);
}

/* Wait (30 s at most) until the daemon took the container or the run ended. */
static void wait_taken(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_sec += 30;
	pthread_mutex_lock(&d_mu);
	while (!d_taken && !d_over)
		if (pthread_cond_timedwait(&d_cv, &d_mu, &t) != 0)
			break;
	pthread_mutex_unlock(&d_mu);
}

bool host_daemon_wanted(const struct rb_config *cfg)
{
	const char *v = getenv("REALMBOX_DAEMON");

	if (cfg->isolation != RB_ISOLATION_REALM || getenv("REALMBOX_REALM_DEBUG"))
		return false;
	return v == NULL || (strcmp(v, "0") != 0 && strcmp(v, "off") != 0);
}

void host_daemon_settings(char out[17])
{
	static const char *const names[] = {
		"REALMBOX_EXITLESS",	 "REALMBOX_REALM_DRAM_MB", "REALMBOX_VCPU_POOL",
		"REALMBOX_REALM_SYS_MB", "REALMBOX_REALM_POOL_MB", "REALMBOX_REALM_POOL_MAX_MB",
		"REALMBOX_REALM_RECS",	 "REALMBOX_SHARED_CODE",
	};
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a over NAME=VALUE\n */

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *v = getenv(names[i]);

		if (v == NULL)
			continue;
		for (const char *p = names[i]; *p; p++)
			h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
		h = (h ^ '=') * 0x100000001b3ULL;
		for (const char *p = v; *p; p++)
			h = (h ^ (uint8_t)*p) * 0x100000001b3ULL;
		h = (h ^ '\n') * 0x100000001b3ULL;
	}
	snprintf(out, 17, "%016llx", (unsigned long long)h);
}

/* A connection to ROOT/daemon.sock (through /proc/self/fd: long roots fit), or -errno. */
static int sock_connect(const char *root, int timeout_ms)
{
	struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int dirfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC), fd, e;

	if (dirfd < 0)
		return -errno;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		e = -errno;
		close(dirfd);
		return e;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/daemon.sock", dirfd);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		e = -errno;
		close(fd);
		close(dirfd);
		return e;
	}
	close(dirfd);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

/* "ok ..." -> 0 with the rest in out; "err E MSG" -> -E with MSG in errbuf; else -EIO. */
static int parse_reply(const char *line, char *out, size_t n, char *errbuf, size_t errlen)
{
	int r = host_sock_parse_reply(line, out, n, errbuf, errlen);

	if (r == -EIO && errbuf && errlen && strncmp(line, "err ", 4) != 0)
		snprintf(errbuf, errlen, "malformed answer from the machine daemon");
	return r;
}

/*
 * Connect and say hello: the fd, or -errno (-ECONNREFUSED / -ENOENT: no
 * daemon; -EXDEV: its settings are not ours, errbuf says so).
 */
static int hello(const char *root, char *errbuf, size_t errlen)
{
	char line[128], rest[100], mine[17], theirs[17] = "";
	int fd = sock_connect(root, 10000), r;

	if (fd < 0)
		return fd;
	if ((r = host_sock_send(fd, "hello\n", NULL, 0)) < 0 ||
	    host_sock_read_reply(fd, line, sizeof(line)) < 0 ||
	    (r = parse_reply(line, rest, sizeof(rest), NULL, 0)) < 0) {
		close(fd);
		return -ECONNREFUSED; /* a daemon closing: as if none */
	}
	host_daemon_settings(mine);
	if (sscanf(rest, "%*d %*d %16s", theirs) != 1 || strcmp(mine, theirs) != 0) {
		close(fd);
		snprintf(errbuf, errlen,
			 "the machine daemon runs with other REALMBOX_* settings (%s, ours %s)",
			 theirs, mine);
		return -EXDEV;
	}
	struct timeval none = {0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof(none));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &none, sizeof(none));
	return fd;
}

/*
 * Start `realmbox --root ROOT daemon` detached (its own session, stdio on
 * /dev/null and ROOT/daemon.log) and wait until it listens or gave up.
 */
static int spawn(const char *root, char *errbuf, size_t errlen)
{
	const char *idle = getenv("REALMBOX_DAEMON_IDLE");
	char log[4200], exe[4096];
	char *argv[] = {"realmbox", "--root", (char *)root, "daemon", "--idle-exit",
			(char *)(idle && *idle ? idle : DAEMON_IDLE_EXIT_S), "--ready-fd", "3",
			NULL};
	int p[2], st;
	ssize_t k;
	pid_t pid;

	k = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (k <= 0) {
		snprintf(errbuf, errlen, "cannot find the realmbox program: %s", strerror(errno));
		return -errno;
	}
	exe[k] = '\0';
	snprintf(log, sizeof(log), "%s/daemon.log", root);
	if (pipe2(p, O_CLOEXEC) != 0) {
		snprintf(errbuf, errlen, "pipe: %s", strerror(errno));
		return -errno;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(errbuf, errlen, "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -EAGAIN;
	}
	if (pid == 0) {
		/* only async-signal-safe calls from here: the parent has threads */
		int nul = open("/dev/null", O_RDWR), lg = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);

		setsid();
		if (fork() != 0)
			_exit(0);
		if (nul < 0 || lg < 0 || dup2(nul, 0) < 0 || dup2(nul, 1) < 0 || dup2(lg, 2) < 0 ||
		    dup2(p[1], 3) < 0)
			_exit(127);
		for (int fd = 4; fd < 1024; fd++)
			close(fd);
		/*
		 * Not this container's CPU weight or OOM score (host_cpu_weight_apply,
		 * host_oom_score_adj_apply gave them to the monitor): the daemon runs
		 * every container, each REC thread at its own container's weight.
		 * Best effort: without privilege a raised nice stays.
		 */
		setpriority(PRIO_PROCESS, 0, 0);
		int oom = open("/proc/self/oom_score_adj", O_WRONLY);
		if (oom >= 0) {
			(void)!write(oom, "0", 1);
			close(oom);
		}
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execv(exe, argv);
		_exit(127);
	}
	close(p[1]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	/* EOF once it listens (or died); a machine with 4 slots opens in about a second */
	struct pollfd pf = {p[0], POLLIN, 0};
	char b;
	int r = poll(&pf, 1, 60000);

	if (r > 0)
		while (read(p[0], &b, 1) < 0 && errno == EINTR)
			;
	close(p[0]);
	if (r <= 0) {
		snprintf(errbuf, errlen, "the machine daemon did not start within 60 s (%s)", log);
		return -ETIMEDOUT;
	}
	return 0;
}

int host_daemon_connect(const char *root, bool start, char *errbuf, size_t errlen)
{
	int fd = -ENOENT;

	if (strlen(root) >= sizeof(d_root)) {
		snprintf(errbuf, errlen, "the runtime root's name is too long");
		return -ENAMETOOLONG;
	}
	for (int tries = 0; tries < 3; tries++) {
		fd = hello(root, errbuf, errlen);
		if (fd >= 0) {
			snprintf(d_root, sizeof(d_root), "%s", root);
			return fd;
		}
		if (fd == -EXDEV)
			return fd;
		if (!start)
			break;
		/* another client may be starting one: the daemon's lock lets one win */
		int r = spawn(root, errbuf, errlen);

		if (r < 0)
			return r;
	}
	snprintf(errbuf, errlen, "no machine daemon answers at %s/daemon.sock (see %s/daemon.log)",
		 root, root);
	return fd;
}

/* ---- the run ----------------------------------------------------------------------- */

int host_daemon_run(int conn, const struct rb_config *cfg, const struct rb_manifest *mf,
		    const int fds[3], struct rb_result *res, char *errbuf, size_t errlen)
{
	char hex[65], *text = NULL, *line = NULL, *req = NULL;
	json_t *j = NULL, *cj;
	size_t cap = 1 << 16;
	int r;

	memset(res, 0, sizeof(*res));
	errbuf[0] = '\0';
	if ((r = deploy_start_gate_pass(errbuf, errlen)) < 0)
		goto out;
	host_hex_format(hex, mf->digest, 32);
	cj = host_wire_config(cfg);
	int level = 3;

	while (level > 0 && !lib_log_on((enum log_level)level))
		level--;
	j = cj ? json_pack("{s:o,s:s,s:i}", "config", cj, "digest", hex, "log_level", level) : NULL;
	struct winsize ws;

	/* the size the container's terminal starts with (else 24x80 until a resize) */
	if (j && cfg->terminal && ioctl(fds[0], TIOCGWINSZ, &ws) == 0 && (ws.ws_row || ws.ws_col))
		json_object_set_new(j, "winsize", json_pack("[i,i]", ws.ws_row, ws.ws_col));
	text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	line = malloc(cap);
	if (text == NULL || line == NULL || asprintf(&req, "run %s\n", text) < 0) {
		req = NULL;
		snprintf(errbuf, errlen, "out of memory");
		r = -ENOMEM;
		goto out;
	}
	/* the container's stdio, and our stderr for the System Realm's messages about it */
	int four[4] = {fds[0], fds[1], fds[2], 2};

	if (host_sock_send(conn, req, four, 4) < 0 || host_sock_read_reply(conn, line, cap) < 0) {
		snprintf(errbuf, errlen, "the machine daemon went away before taking the container");
		r = -EAGAIN;
		goto out;
	}
	if ((r = parse_reply(line, NULL, 0, errbuf, errlen)) < 0)
		goto out; /* -EAGAIN: its slots are all taken */
	run_progress(&d_taken);
	/* it runs: wait for its end, as long as it takes */
	if (host_sock_read_reply(conn, line, cap) < 0) {
		res->exit_status = 128 + SIGKILL;
		res->term_signal = SIGKILL;
		fprintf(stderr, "realmbox: container %s: the machine daemon went away; it ended\n",
			cfg->id);
		r = 0;
		goto out;
	}
	if (strncmp(line, "exit ", 5) == 0) {
		json_error_t jerr;
		json_t *o = json_loads(line + 5, 0, &jerr);
		struct rb_err err = {0};

		r = host_wire_result_parse(o, res, &err);
		json_decref(o);
		if (r < 0)
			snprintf(errbuf, errlen, "the machine daemon's result: %s", err.msg);
	} else {
		r = parse_reply(line, NULL, 0, errbuf, errlen);
		if (r == 0) {
			snprintf(errbuf, errlen, "malformed answer from the machine daemon");
			r = -EIO;
		}
	}
out:
	run_progress(&d_over);
	close(conn);
	free(req);
	free(text);
	free(line);
	json_decref(j);
	return r;
}

/* ---- requests for a running container ------------------------------------------------ */

/* One request line to the daemon, its answer's payload in out: 0 or -errno (errbuf). */
static int request(const char *req, char *out, size_t n, char *errbuf, size_t errlen)
{
	char *line = malloc(n + 64);
	int fd = sock_connect(d_root, 15000), r;

	if (line == NULL) {
		if (fd >= 0)
			close(fd);
		return -ENOMEM;
	}
	if (fd < 0) {
		free(line);
		return -ESRCH; /* no daemon: nothing of the container runs */
	}
	if (host_sock_send(fd, req, NULL, 0) < 0 || host_sock_read_reply(fd, line, n + 64) < 0)
		r = -ESRCH;
	else
		r = parse_reply(line, out, n, errbuf, errlen);
	close(fd);
	free(line);
	return r;
}

static int d_kill(const char *id, int sig)
{
	char req[1100];

	snprintf(req, sizeof(req), "kill %s %d\n", id, sig);
	return request(req, NULL, 0, NULL, 0);
}

static int d_exec_kill(const char *id, int pid, int sig)
{
	char req[1100];

	snprintf(req, sizeof(req), "exec_kill %s %d %d\n", id, pid, sig);
	return request(req, NULL, 0, NULL, 0);
}

/* A request answered with JSON: the parsed value (decref it) or NULL with *r set. */
static json_t *request_json(const char *req, size_t cap, int *r)
{
	char *out = malloc(cap);
	json_error_t jerr;
	json_t *j = NULL;

	if (out == NULL) {
		*r = -ENOMEM;
		return NULL;
	}
	*r = request(req, out, cap, NULL, 0);
	if (*r == 0 && (j = json_loads(out, 0, &jerr)) == NULL)
		*r = -EIO;
	free(out);
	return j;
}

static int d_ps(const char *id, struct rb_proc_info *ps, int max)
{
	char req[1100];
	int r;

	snprintf(req, sizeof(req), "ps %s\n", id);
	json_t *j = request_json(req, 16384, &r);

	if (j) {
		r = host_wire_ps_parse(j, ps, max, NULL);
		json_decref(j);
	}
	return r;
}

static int d_stats(const char *id, struct rb_live_stats *ls)
{
	char req[1100];
	int r;

	snprintf(req, sizeof(req), "stats %s\n", id);
	json_t *j = request_json(req, 4096, &r);

	if (j) {
		r = host_wire_stats_parse(j, ls, NULL);
		json_decref(j);
	}
	return r;
}

static int d_attest(const char *id, const uint8_t challenge[64], uint8_t *out, size_t cap,
		    char *errbuf, size_t errlen)
{
	char req[1300], hex[129], *tok = malloc(2 * cap + 1);
	size_t len;
	int r;

	if (tok == NULL)
		return -ENOMEM;
	host_hex_format(hex, challenge, 64);
	snprintf(req, sizeof(req), "attest %s %s\n", id, hex);
	r = request(req, tok, 2 * cap + 1, errbuf, errlen);
	if (r == 0) {
		if (host_hex_parse(tok, out, cap, &len) == 0) {
			r = (int)len;
		} else {
			snprintf(errbuf, errlen, "malformed token from the machine daemon");
			r = -EIO;
		}
	}
	free(tok);
	return r;
}

int host_daemon_pause(const char *root, const char *id, bool pause)
{
	char req[1100], line[256];
	int fd = sock_connect(root, 5000), r = -ESRCH;

	if (fd < 0)
		return -ESRCH;
	snprintf(req, sizeof(req), "pause %s %d\n", id, pause ? 1 : 0);
	if (host_sock_send(fd, req, NULL, 0) == 0 && host_sock_read_reply(fd, line, sizeof(line)) >= 0)
		r = parse_reply(line, NULL, 0, NULL, 0);
	close(fd);
	return r;
}

static int d_winsize(const char *id, unsigned short rows, unsigned short cols)
{
	char req[1100];

	snprintf(req, sizeof(req), "winsize %s %u %u\n", id, rows, cols);
	return request(req, NULL, 0, NULL, 0);
}

const struct host_deploy_ops host_deploy_local = {
	.kill = deploy_kill,
	.ps = deploy_ps,
	.stats = deploy_stats,
	.attest = deploy_attest,
	.exec_kill = deploy_exec_kill,
	.winsize = deploy_winsize,
};

const struct host_deploy_ops host_deploy_daemon = {
	.kill = d_kill,
	.ps = d_ps,
	.stats = d_stats,
	.attest = d_attest,
	.exec_kill = d_exec_kill,
	.winsize = d_winsize,
};

/* ---- exec: the daemon's session, relayed ------------------------------------------- */

void host_daemon_exec_relay(int conn, int fds[3], const char *req, const char *id)
{
	char *dreq = NULL, buf[4096];
	int d;

	wait_taken(); /* just after start the daemon may still be building the container */
	d = sock_connect(d_root, 15000);

	if (d < 0 || asprintf(&dreq, "exec %s %s\n", id, req + 5) < 0 ||
	    host_sock_send(d, dreq, fds, 3) < 0) {
		dprintf(conn, "err %d the machine daemon does not answer\n", ESRCH);
		goto out;
	}
	struct timeval none = {0};
	setsockopt(d, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof(none));
	host_fds_close(fds, 3);
	/* lines both ways ("kill SIG" in; "ok PID", "exit STATUS" out) until one side ends */
	for (;;) {
		struct pollfd p[2] = {{conn, POLLIN, 0}, {d, POLLIN, 0}};
		int from, to;
		ssize_t k;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		from = (p[0].revents & (POLLIN | POLLHUP | POLLERR)) ? conn : d;
		to = from == conn ? d : conn;
		k = read(from, buf, sizeof(buf));
		if (k <= 0 || send(to, buf, (size_t)k, MSG_NOSIGNAL) != k)
			break;
	}
out:
	if (d >= 0)
		close(d);
	free(dreq);
	host_fds_close(fds, 3);
}
