/*
 * The machine daemon's server side (daemon.h): the socket, a thread per
 * connection, the containers it runs on the open realm machine
 * (deploy/realm_host.h: realm_machine_open, realm_ct_start, realm_ct_wait)
 * and its exit when idle.
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
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "deploy/realm_host.h"
#include "host/cli_util.h"
#include "host/daemon_wire.h"
#include "host/exec.h"
#include "host/lifecycle.h"
#include "host/manifest.h"
#include "host/oci.h"
#include "host/sockmsg.h"

#define DAEMON_SLOTS 4 /* PAL_REALM_MAX_CTS: what one System Realm serves */
#define DAEMON_MAX_CONNS 256

static struct {
	pthread_mutex_t mu;
	int lfd, dirfd;
	unsigned conns;              /* connections being served */
	char ids[DAEMON_SLOTS][1025]; /* containers running (by slot) */
	unsigned running;
	uint64_t served;             /* containers it took, over its life */
	struct timespec idle_since;  /* when conns last became 0 */
	bool closing;
	uint64_t ct_mem;
} D = {.mu = PTHREAD_MUTEX_INITIALIZER, .lfd = -1, .dirfd = -1};

static void now(struct timespec *t)
{
	clock_gettime(CLOCK_MONOTONIC, t);
}

static void say(int fd, int r, const char *msg)
{
	if (r < 0)
		dprintf(fd, "err %d %s\n", -r, msg[0] ? msg : strerror(-r));
	else
		dprintf(fd, "ok%s%s\n", msg[0] ? " " : "", msg);
}

static void say_json(int fd, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

	if (s == NULL)
		say(fd, -ENOMEM, "out of memory");
	else
		say(fd, 0, s);
	free(s);
	json_decref(j);
}

/* ---- "run": one container, start to end ----------------------------------------- */

struct watch {
	int conn;
	const char *id;
	volatile bool done;
};

/* The client going away (its monitor killed) takes the container with it. */
static void *watch_main(void *arg)
{
	struct watch *w = arg;
	char b[64];

	while (!w->done) {
		struct pollfd p = {w->conn, POLLIN, 0};

		if (poll(&p, 1, 200) <= 0)
			continue;
		if (recv(w->conn, b, sizeof(b), MSG_DONTWAIT) == 0 || (p.revents & (POLLHUP | POLLERR))) {
			realm_kill(w->id, 9);
			break;
		}
	}
	return NULL;
}

struct ended {
	int fd, slot;
	int *fds; /* the container's stdio and log: closed before the answer (EOF for readers) */
	bool said;
};

/* The client's "exit RESULT" (or "err"), as soon as the result is complete. */
static void answer_end(void *arg, const struct rb_result *res, int r, const char *errbuf)
{
	struct ended *e = arg;

	e->said = true;
	host_fds_close(e->fds, 4); /* the container is over: nothing writes to them now */
	pthread_mutex_lock(&D.mu);
	D.ids[e->slot][0] = '\0'; /* not running: its realm's teardown follows */
	pthread_mutex_unlock(&D.mu);
	if (r < 0) {
		say(e->fd, r, errbuf);
	} else {
		json_t *j = host_wire_result(res);
		char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

		dprintf(e->fd, "exit %s\n", s ? s : "{}");
		free(s);
		json_decref(j);
	}
}

static void do_run(int fd, const char *text, int fds[4])
{
	struct rb_config cfg = {0};
	struct rb_manifest mf = {0};
	struct rb_result res;
	struct rb_err err = {0};
	char errbuf[512] = "", slotmsg[16];
	json_error_t jerr;
	json_t *top = json_loads(text, 0, &jerr);
	const char *dg = json_string_value(json_object_get(top, "digest"));
	json_t *lv = json_object_get(top, "log_level");
	uint8_t digest[32];
	size_t dlen;
	int slot, r, log_level = json_is_integer(lv) ? (int)json_integer_value(lv) : -1;

	if (!json_is_object(top) || dg == NULL || host_hex_parse(dg, digest, 32, &dlen) ||
	    dlen != 32 || log_level < 0 || log_level > 3) {
		say(fd, -EINVAL,
		    "run: want {\"config\": {...}, \"digest\": 64 hex digits, \"log_level\": 0..3}");
		goto out;
	}
	if ((r = host_wire_config_parse(json_object_get(top, "config"), &cfg, &err)) < 0) {
		rb_err_wrap(&err, "run: config");
		say(fd, r, err.msg);
		goto out;
	}
	if (cfg.isolation != RB_ISOLATION_REALM) {
		say(fd, -EINVAL, "run: the daemon runs isolation realm only");
		goto out;
	}
	if (fds[0] < 0 || fds[1] < 0 || fds[2] < 0) {
		say(fd, -EINVAL, "run: the container's stdin, stdout and stderr did not arrive");
		goto out;
	}
	/* the daemon measures the rootfs itself; it must be what create measured */
	if ((r = host_manifest_build_config(&cfg, true, &mf, &err)) < 0) {
		say(fd, r, err.msg);
		goto out;
	}
	if (memcmp(mf.digest, digest, 32) != 0) {
		say(fd, -EINVAL, "run: the rootfs changed since the container was created");
		goto out;
	}
	struct realm_ct_opts o = {D.ct_mem, fds[3], log_level, 0, 0, cfg.cpu_weight != 0,
				  host_cpu_weight_nice(cfg.cpu_weight)};
	json_t *ws = json_object_get(top, "winsize");
	json_int_t rows = json_integer_value(json_array_get(ws, 0));
	json_int_t cols = json_integer_value(json_array_get(ws, 1));

	if (ws && (json_array_size(ws) != 2 || rows < 0 || rows > 65535 || cols < 0 ||
		   cols > 65535)) {
		say(fd, -EINVAL, "run: winsize: want [ROWS, COLS], each 0..65535");
		goto out;
	}
	o.rows = (unsigned short)rows;
	o.cols = (unsigned short)cols;

	slot = realm_ct_start(&cfg, &mf, fds, &o, errbuf, sizeof(errbuf));
	if (slot < 0) {
		say(fd, slot, errbuf);
		goto out;
	}
	pthread_mutex_lock(&D.mu);
	snprintf(D.ids[slot], sizeof(D.ids[slot]), "%s", cfg.id);
	D.running++;
	D.served++;
	pthread_mutex_unlock(&D.mu);
	snprintf(slotmsg, sizeof(slotmsg), "%d", slot);
	say(fd, 0, slotmsg);

	struct watch w = {fd, cfg.id, false};
	pthread_t th;
	bool watching = pthread_create(&th, NULL, watch_main, &w) == 0;

	struct ended e = {fd, slot, fds, false};

	r = realm_ct_wait_notify(slot, &res, errbuf, sizeof(errbuf), answer_end, &e);
	w.done = true;
	if (watching)
		pthread_join(th, NULL);
	pthread_mutex_lock(&D.mu);
	D.ids[slot][0] = '\0';
	D.running--;
	pthread_mutex_unlock(&D.mu);
	if (r < 0)
		fprintf(stderr, "realmbox: daemon: container %s: %s\n", cfg.id, errbuf);
	if (!e.said)
		answer_end(&e, &res, r, errbuf);
out:
	json_decref(top);
	host_manifest_free(&mf);
	host_config_free(&cfg);
}

/* ---- the one-line requests ----------------------------------------------------------- */

/* "VERB ID REST": id into id (validated); the rest, or NULL after an answer. */
static const char *split_id(int fd, const char *args, char *id, size_t n)
{
	size_t k = strcspn(args, " ");

	if (k == 0 || k >= n) {
		say(fd, -EINVAL, "want a container id");
		return NULL;
	}
	memcpy(id, args, k);
	id[k] = '\0';
	if (!host_container_id_valid(id)) {
		say(fd, -EINVAL, "not a container id");
		return NULL;
	}
	return args[k] ? args + k + 1 : args + k;
}

static void do_attest(int fd, const char *id, const char *hex)
{
	uint8_t ch[64], tok[8192];
	char errbuf[256] = "", *out;
	size_t len;
	int n;

	if (host_hex_parse(hex, ch, sizeof(ch), &len) || len != 64) {
		say(fd, -EINVAL, "attest: the challenge must be 64 bytes in hex");
		return;
	}
	n = realm_attest(id, ch, tok, sizeof(tok), errbuf, sizeof(errbuf));
	if (n < 0) {
		say(fd, n, errbuf);
		return;
	}
	if ((out = malloc(2 * (size_t)n + 1)) == NULL) {
		say(fd, -ENOMEM, "attest: out of memory");
		return;
	}
	host_hex_format(out, tok, (size_t)n);
	say(fd, 0, out);
	free(out);
}

static void do_status(int fd)
{
	json_t *ids = json_array();
	json_int_t served;

	pthread_mutex_lock(&D.mu);
	for (int i = 0; i < DAEMON_SLOTS; i++)
		if (D.ids[i][0])
			json_array_append_new(ids, json_string(D.ids[i]));
	served = (json_int_t)D.served;
	pthread_mutex_unlock(&D.mu);
	say_json(fd, json_pack("{s:i,s:o,s:i,s:I}", "pid", (int)getpid(), "containers", ids,
			       "slots", DAEMON_SLOTS, "served", served));
}

static bool running_id(const char *id)
{
	return realm_running(id);
}

static void req_kill(int fd, const char *id, const char *rest)
{
	int sig = atoi(rest), r = sig > 0 && sig <= 64 ? realm_kill(id, sig) : -EINVAL;

	say(fd, r, r == -EINVAL ? "invalid signal" : "");
}

static void req_ps(int fd, const char *id, const char *rest)
{
	struct rb_proc_info ps[64];
	int n = realm_ps(id, ps, 64);

	(void)rest;
	if (n < 0)
		say(fd, n, "");
	else
		say_json(fd, host_wire_ps(ps, n < 64 ? n : 64));
}

static void req_stats(int fd, const char *id, const char *rest)
{
	struct rb_live_stats ls;
	int r = realm_stats(id, &ls);

	(void)rest;
	if (r < 0)
		say(fd, r, "");
	else
		say_json(fd, host_wire_stats(&ls));
}

static void req_exec_kill(int fd, const char *id, const char *rest)
{
	int pid = 0, sig = 0;

	say(fd, sscanf(rest, "%d %d", &pid, &sig) == 2 ? realm_exec_kill(id, pid, sig) : -EINVAL,
	    "");
}

static void req_winsize(int fd, const char *id, const char *rest)
{
	unsigned rows = 0, cols = 0;
	int r = sscanf(rest, "%u %u", &rows, &cols) == 2 && rows <= 65535 && cols <= 65535
			? realm_winsize(id, (unsigned short)rows, (unsigned short)cols)
			: -EINVAL;

	say(fd, r, r == -EINVAL ? "winsize: want ROWS COLS" : "");
}

static void req_pause(int fd, const char *id, const char *rest)
{
	int r = strcmp(rest, "1") == 0 || strcmp(rest, "0") == 0 ? realm_pause(id, rest[0] == '1')
								   : -EINVAL;

	say(fd, r, r == -EINVAL ? "pause: want 1 (pause) or 0 (resume)" : "");
}

/* The one-line requests naming a container: "VERB ID REST". */
static const struct {
	const char *verb;
	void (*fn)(int fd, const char *id, const char *rest);
} requests[] = {
	{"kill", req_kill},	  {"ps", req_ps},	    {"stats", req_stats},
	{"exec_kill", req_exec_kill}, {"winsize", req_winsize}, {"pause", req_pause},
	{"attest", do_attest},
};

/* One request; "run" and "exec" last as long as their container or process. */
static void serve_request(int fd, char *req, int fds[4])
{
	char id[1025], msg[128];
	const char *rest;
	size_t k = strcspn(req, " ");

	if (strncmp(req, "run ", 4) == 0) {
		do_run(fd, req + 4, fds);
		host_fds_close(fds, 4);
		return;
	}
	if (strncmp(req, "exec ", 5) == 0) {
		if ((rest = split_id(fd, req + 5, id, sizeof(id))) == NULL) {
			host_fds_close(fds, 4);
			return;
		}
		host_fds_close(fds + 3, 1);
		/* host_exec_session wants "exec JSON" */
		memmove(req + 5, rest, strlen(rest) + 1);
		host_exec_session(fd, fds, req, id, "realm", running_id);
		return;
	}
	host_fds_close(fds, 4);
	if (strcmp(req, "status") == 0) {
		do_status(fd);
		return;
	}
	for (size_t i = 0; req[k] == ' ' && i < sizeof(requests) / sizeof(requests[0]); i++) {
		if (strlen(requests[i].verb) != k || strncmp(req, requests[i].verb, k) != 0)
			continue;
		if ((rest = split_id(fd, req + k + 1, id, sizeof(id))) != NULL)
			requests[i].fn(fd, id, rest);
		return;
	}
	snprintf(msg, sizeof(msg), "unknown request '%.64s'", req);
	say(fd, -EINVAL, msg);
}

static void *conn_main(void *arg)
{
	int fd = (int)(intptr_t)arg, fds[4];
	struct timeval tv = {.tv_sec = 10}, none = {0};
	char *req;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	req = host_sock_read_line(fd, fds, 4, 1 << 20);
	if (req && strcmp(req, "hello") == 0) {
		char msg[64], settings[17];

		host_daemon_settings(settings);
		snprintf(msg, sizeof(msg), "%d %d %s", (int)getpid(), DAEMON_SLOTS, settings);
		say(fd, 0, msg);
		free(req);
		host_fds_close(fds, 4);
		/* a monitor says hello at create and asks "run" at start, maybe much later */
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof(none));
		req = host_sock_read_line(fd, fds, 4, 1 << 20);
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof(none));
	if (req)
		serve_request(fd, req, fds);
	host_fds_close(fds, 4);
	free(req);
	close(fd);
	pthread_mutex_lock(&D.mu);
	if (--D.conns == 0)
		now(&D.idle_since);
	pthread_mutex_unlock(&D.mu);
	return NULL;
}

/* ---- the socket, the lock, the loop -------------------------------------------------- */

static void sock_addr(struct sockaddr_un *sa, int dirfd, const char *name)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d/%s", dirfd, name);
}

/* ROOT/daemon.lock, waiting up to 10 s for a daemon that is closing: its fd, or -1. */
static int take_lock(const char *root)
{
	char path[4200];
	int fd;

	snprintf(path, sizeof(path), "%s/daemon.lock", root);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	for (int i = 0; i < 500; i++) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		usleep(20000);
	}
	close(fd);
	errno = EBUSY;
	return -1;
}

static volatile sig_atomic_t stop_sig;

static void on_stop(int sig)
{
	stop_sig = sig;
}

static bool idle_for(long ms)
{
	struct timespec t;
	bool idle;

	now(&t);
	pthread_mutex_lock(&D.mu);
	idle = D.conns == 0 && D.running == 0 &&
	       (t.tv_sec - D.idle_since.tv_sec) * 1000 + (t.tv_nsec - D.idle_since.tv_nsec) / 1000000 >= ms;
	if (idle)
		D.closing = true; /* decided under the lock: no connection is taken after this */
	pthread_mutex_unlock(&D.mu);
	return idle;
}

static int serve_loop(long idle_ms)
{
	while (!stop_sig) {
		struct pollfd p = {D.lfd, POLLIN, 0};
		pthread_t th;
		int fd;

		if (idle_ms > 0 && idle_for(idle_ms))
			break;
		if (poll(&p, 1, 250) <= 0)
			continue;
		fd = accept4(D.lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		pthread_mutex_lock(&D.mu);
		bool ok = D.conns < DAEMON_MAX_CONNS && !D.closing;
		if (ok)
			D.conns++;
		pthread_mutex_unlock(&D.mu);
		if (!ok) {
			say(fd, -EAGAIN, "the machine daemon is busy");
			close(fd);
			continue;
		}
		if (pthread_create(&th, NULL, conn_main, (void *)(intptr_t)fd) != 0) {
			say(fd, -EAGAIN, "the machine daemon cannot start a thread");
			close(fd);
			pthread_mutex_lock(&D.mu);
			D.conns--;
			pthread_mutex_unlock(&D.mu);
			continue;
		}
		pthread_detach(th);
	}
	return 0;
}

int host_cmd_daemon(int argc, char **argv)
{
	const char *cmd = "daemon", *v;
	char root[4096], errbuf[512] = "";
	long idle_ms = 0;
	int ready_fd = -1, lock_fd, i, m;
	struct sockaddr_un sa;

	for (i = 1; i < argc; i++) {
		if ((m = host_cli_opt(argc, argv, &i, "--idle-exit", NULL, &v)) != 0) {
			char *end;
			long s = m > 0 ? strtol(v, &end, 10) : -1;

			if (m < 0 || *end || s < 0 || s > 86400)
				return host_cli_usage(cmd, "--idle-exit: want seconds (0..86400)");
			idle_ms = s * 1000;
		} else if ((m = host_cli_opt(argc, argv, &i, "--ready-fd", NULL, &v)) != 0) {
			if (m < 0 || (ready_fd = atoi(v)) < 3)
				return host_cli_usage(cmd, "--ready-fd: want a descriptor above 2");
		} else {
			return host_cli_usage(cmd, "unexpected argument '%s'", argv[i]);
		}
	}
	if (ready_fd >= 0)
		fcntl(ready_fd, F_SETFD, FD_CLOEXEC);
	if (host_cli_root(cmd, root, sizeof(root)))
		return 1;
	if ((lock_fd = take_lock(root)) < 0)
		return host_cli_fail(cmd, "%s/daemon.lock: %s (another daemon serves this root)",
				     root, strerror(errno));
	D.ct_mem = realm_ct_sys_mem();
	if ((m = realm_machine_open(DAEMON_SLOTS * D.ct_mem + (16ULL << 20), errbuf,
				    sizeof(errbuf))) < 0)
		return host_cli_fail(cmd, "opening the realm machine: %s", errbuf);
	D.dirfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	D.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (D.dirfd < 0 || D.lfd < 0)
		return host_cli_fail(cmd, "%s: %s", root, strerror(errno));
	sock_addr(&sa, D.dirfd, "daemon.sock");
	unlinkat(D.dirfd, "daemon.sock", 0); /* a dead daemon's: we hold the lock */
	if (bind(D.lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(D.lfd, 128) != 0)
		return host_cli_fail(cmd, "%s/daemon.sock: %s", root, strerror(errno));
	fchmodat(D.dirfd, "daemon.sock", 0600, 0);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_stop);
	signal(SIGINT, on_stop);
	now(&D.idle_since);
	fprintf(stderr, "realmbox: daemon: pid %d serving %s/daemon.sock (%d containers at once)\n",
		(int)getpid(), root, DAEMON_SLOTS);
	if (ready_fd >= 0)
		close(ready_fd);
	serve_loop(idle_ms);

	/* no new client: the socket goes first, then the containers end with the machine */
	pthread_mutex_lock(&D.mu);
	D.closing = true;
	unlinkat(D.dirfd, "daemon.sock", 0);
	close(D.lfd);
	unsigned running = D.running;
	pthread_mutex_unlock(&D.mu);
	if (running)
		for (int s = 0; s < DAEMON_SLOTS; s++)
			if (D.ids[s][0])
				realm_kill(D.ids[s], 9);
	fprintf(stderr, "realmbox: daemon: pid %d exits (%s)\n", (int)getpid(),
		stop_sig ? "signal" : "idle");
	fflush(NULL);
	/*
	 * Containers still ending are the machine's: it goes with the process. The
	 * lock is released last, so a new daemon never opens a machine beside this one.
	 */
	if (running == 0)
		realm_machine_close(NULL);
	_exit(0);
}
