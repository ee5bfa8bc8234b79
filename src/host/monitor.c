/*
 * The per-container monitor process (monitor.h): the start gate, the
 * request socket, signal forwarding, the state transitions and the exit
 * status.
 */
#include "host/monitor.h"

#include "host/cli_util.h"
#include "host/daemon.h"
#include "host/exec.h"
#include "host/oci.h"
#include "host/rtlog.h"
#include "host/sockmsg.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct host_monitor_args *a;
	enum rb_cstatus state;
	bool start_req;
	int cancel_sig; /* a signal that ended the container before it started */
	bool gate_reached;
	int lfd;
	int dirfd;
	/* the container's deployment: in this process, or the machine daemon's (daemon.h) */
	const struct host_deploy_ops *ops;
	bool on_daemon;
} M = {.mu = PTHREAD_MUTEX_INITIALIZER,
       .cv = PTHREAD_COND_INITIALIZER,
       .lfd = -1,
       .dirfd = -1,
       .ops = &host_deploy_local};

/* Tries, 5 ms apart, while a just-started container is not there yet (see deliver). */
#define START_RETRIES 6000

/* Record the state (M.mu held). Errors go to stderr: the state file is best effort here. */
static void record(enum rb_cstatus s, int exit_status)
{
	struct rb_err err = {0};

	M.state = s;
	M.a->st->status = s;
	M.a->st->exit_status = exit_status;
	if (host_cstate_write(M.a->root, M.a->st, &err) < 0)
		fprintf(stderr, "realmbox: monitor: %s\n", err.msg);
	pthread_cond_broadcast(&M.cv);
}

static void ready_say(const char *fmt, const char *msg)
{
	if (M.a->ready_fd < 0)
		return;
	dprintf(M.a->ready_fd, fmt, msg);
	close(M.a->ready_fd);
	M.a->ready_fd = -1;
}

/* Signals whose default action does not end a process: nothing to do before start. */
static bool sig_ignored_by_default(int sig)
{
	return sig == SIGCHLD || sig == SIGCONT || sig == SIGURG || sig == SIGWINCH;
}

static bool still_running(void);

/*
 * The container's terminal follows the host pty's size (its stdio, when
 * process.terminal): TIOCGWINSZ on it, then deploy_winsize. 0x0 is a pty
 * whose size nobody has set: the container keeps its own (24x80). From a
 * start gate (once: the size init starts with) or, with retry, whenever
 * the size changes (SIGWINCH), while init may still be starting (-ESRCH
 * for a moment, as in deliver).
 */
static void winsize_sync(bool retry)
{
	struct host_monitor_args *a = __atomic_load_n(&M.a, __ATOMIC_ACQUIRE);
	struct winsize ws;

	if (a == NULL || !a->cfg->terminal || ioctl(a->io[0], TIOCGWINSZ, &ws) != 0 ||
	    (ws.ws_row == 0 && ws.ws_col == 0))
		return;
	for (int i = 0; i < 400; i++) {
		int r = M.ops->winsize(a->cfg->id, ws.ws_row, ws.ws_col);

		if (r != -ESRCH || !retry || !still_running())
			break;
		usleep(5000);
	}
}

void host_monitor_winsize(void)
{
	winsize_sync(true);
}

/*
 * How the detached monitor hears of a resize: the pty's owner (the
 * --console-socket receiver: containerd's shim, podman's conmon) resizes
 * with TIOCSWINSZ on the master, and the kernel then sends SIGWINCH to the
 * foreground process group of the session whose controlling terminal the
 * slave is (tty_do_resize). So the monitor makes the slave its controlling
 * terminal in a session of its own (it is no group leader: create's double
 * fork) and takes SIGWINCH in its signal thread: no polling, no delay, and
 * it is what runc's container init does (setsid, TIOCSCTTY). Like that
 * init, the monitor is then the controlling process: a hangup of the pty
 * (the master's last close) sends it SIGHUP, which goes to the container's
 * init as any SIGHUP to the monitor does. Whether SIGWINCH is to be taken.
 */
static bool winsize_watch(struct host_monitor_args *a)
{
	if (!a->cfg->terminal)
		return false;
	if (setsid() < 0 || ioctl(a->io[0], TIOCSCTTY, 0) != 0) {
		/* (stderr is /dev/null here: the container's stdio is the pty) */
		host_log("warning",
			 "monitor: terminal resizes will not reach the container: cannot make "
			 "its pty the monitor's controlling terminal: %s",
			 strerror(errno));
		return false;
	}
	return true;
}

static int gate(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&M.mu);
	M.gate_reached = true;
	record(RB_CS_CREATED, -1);
	pthread_mutex_unlock(&M.mu);
	ready_say("ok%s\n", "");
	pthread_mutex_lock(&M.mu);
	while (!M.start_req && !M.cancel_sig)
		pthread_cond_wait(&M.cv, &M.mu);
	if (M.cancel_sig) {
		pthread_mutex_unlock(&M.mu);
		return -EINTR;
	}
	record(RB_CS_RUNNING, -1);
	pthread_mutex_unlock(&M.mu);
	winsize_sync(false);
	return 0;
}

static bool still_running(void)
{
	pthread_mutex_lock(&M.mu);
	bool r = M.state == RB_CS_RUNNING;
	pthread_mutex_unlock(&M.mu);
	return r;
}

int host_monitor_kill(const char *id, int sig)
{
	return M.ops->kill(id, sig);
}

bool host_monitor_running(void)
{
	return M.a != NULL && still_running();
}

/* A signal for the container (kill request or a signal to this process). */
static int deliver(int sig, char *msg, size_t n)
{
	int r = 0;

	pthread_mutex_lock(&M.mu);
	if (M.state == RB_CS_CREATED || M.state == RB_CS_CREATING) {
		if (!sig_ignored_by_default(sig) && !M.cancel_sig) {
			M.cancel_sig = sig;
			pthread_cond_broadcast(&M.cv);
		}
	} else if (M.state == RB_CS_RUNNING) {
		pthread_mutex_unlock(&M.mu);
		/*
		 * Just after the gate the deployment is still starting init
		 * (-ESRCH for a moment; on the machine daemon the Container Realm
		 * is only built after the gate): retry while we run, 30 s at most.
		 */
		for (int i = 0; i < START_RETRIES; i++) {
			r = M.ops->kill(M.a->cfg->id, sig);
			if (r != -ESRCH || !still_running())
				break;
			usleep(5000);
		}
		if (r < 0)
			snprintf(msg, n, "%s",
				 r == -ESRCH ? "container not running" : strerror(-r));
		return r;
	} else {
		r = -ESRCH;
		snprintf(msg, n, "container not running");
	}
	pthread_mutex_unlock(&M.mu);
	return r;
}

static const int forwarded[] = {SIGHUP,	 SIGINT,  SIGQUIT, SIGTERM, SIGUSR1,
				SIGUSR2, SIGALRM, SIGCONT, SIGTSTP, SIGPIPE};

static void *sig_main(void *arg)
{
	sigset_t *set = arg;

	for (;;) {
		int sig;
		char msg[128];

		if (sigwait(set, &sig) != 0 || sig == SIGPIPE)
			continue;
		if (sig == SIGWINCH) {
			winsize_sync(true); /* the pty was resized: the runtime's own signal */
			continue;
		}
		deliver(sig, msg, sizeof(msg));
	}
	return NULL;
}

static void reply(int fd, int r, const char *msg)
{
	if (r < 0)
		dprintf(fd, "err %d %s\n", -r, msg);
	else
		dprintf(fd, "ok%s%s\n", msg[0] ? " " : "", msg);
}

static void do_ps(int fd)
{
	struct rb_proc_info ps[64];
	char out[64 * 64 + 8];
	size_t len = 0;
	int n;

	pthread_mutex_lock(&M.mu);
	enum rb_cstatus s = M.state;
	pthread_mutex_unlock(&M.mu);
	if (s != RB_CS_RUNNING) {
		reply(fd, 0, "[]"); /* nothing of the container runs yet, or any more */
		return;
	}
	for (int i = 0; i < START_RETRIES; i++) {
		n = M.ops->ps(M.a->cfg->id, ps, 64);
		if (n != -ESRCH || !still_running())
			break;
		usleep(5000); /* init is still starting (see deliver) */
	}
	if (n == -ENOTSUP) {
		char msg[128];

		snprintf(msg, sizeof(msg), "not supported in isolation mode %s yet",
			 M.a->st->isolation);
		reply(fd, n, msg);
		return;
	}
	if (n < 0) {
		reply(fd, 0, "[]");
		return;
	}
	len += (size_t)snprintf(out + len, sizeof(out) - len, "[");
	for (int i = 0; i < n && i < 64; i++) {
		char comm[sizeof(ps[i].comm) * 2];
		size_t k = 0;

		/* comm as a JSON string: printable ASCII only, quotes and backslashes escaped */
		for (const char *c = ps[i].comm; *c && k + 2 < sizeof(comm); c++) {
			if (*c == '"' || *c == '\\')
				comm[k++] = '\\';
			comm[k++] = (*c >= 0x20 && *c < 0x7f) ? *c : '?';
		}
		comm[k] = '\0';
		len += (size_t)snprintf(
			out + len, sizeof(out) - len,
			"%s{\"pid\":%d,\"ppid\":%d,\"state\":\"%c\",\"comm\":\"%s\"}", i ? "," : "",
			ps[i].pid, ps[i].ppid, ps[i].state, comm);
		if (len >= sizeof(out) - 2)
			break;
	}
	snprintf(out + len, sizeof(out) - len, "]");
	reply(fd, 0, out);
}

/*
 * "attest HEX": the Container Realm's token for the 64-byte challenge HEX,
 * answered "ok HEX" (the token) or "err".
 */
static void do_attest(int fd, const char *hexchal)
{
	uint8_t challenge[64], tok[8192];
	char errbuf[256] = "", *out;
	size_t len;
	int n;

	if (host_hex_parse(hexchal, challenge, sizeof(challenge), &len) || len != 64) {
		reply(fd, -EINVAL, "attest: the challenge must be 64 bytes in hex");
		return;
	}
	if (!still_running()) {
		reply(fd, -ESRCH, "the container is not running");
		return;
	}
	n = M.ops->attest(M.a->cfg->id, challenge, tok, sizeof(tok), errbuf, sizeof(errbuf));
	if (n < 0) {
		reply(fd, n, errbuf);
		return;
	}
	out = malloc(2 * (size_t)n + 1);
	if (out == NULL) {
		reply(fd, -ENOMEM, "attest: out of memory");
		return;
	}
	host_hex_format(out, tok, (size_t)n);
	reply(fd, 0, out);
	free(out);
}

/*
 * "stats": the container's counters now as one JSON object (host_cmd_stats
 * shapes it as runc's events --stats): memory in use and its limit, pids
 * and their limit, system calls, and where the deployment has them the
 * RMM's forwarded exceptions, REC exits and world switches (realm) or
 * RContainer's EL3 round trips, GPT switches, TLBIs and rc_* calls (shim).
 */
static void do_stats(int fd)
{
	struct rb_live_stats ls;
	const struct rb_config *c = M.a->cfg;
	char msg[1024];
	int r = -ESRCH;

	for (int i = 0; i < START_RETRIES && still_running(); i++) {
		r = M.ops->stats(c->id, &ls);
		if (r != -ESRCH)
			break;
		usleep(5000); /* init is still starting (see deliver) */
	}
	if (r == -ENOTSUP) {
		snprintf(msg, sizeof(msg), "stats are not supported in isolation mode %s yet",
			 M.a->st->isolation);
		reply(fd, r, msg);
		return;
	}
	if (r < 0) {
		reply(fd, r, r == -ESRCH ? "container not running" : strerror(-r));
		return;
	}
	int n = snprintf(msg, sizeof(msg),
			 "{\"isolation\":\"%s\",\"memory\":%llu,\"memory_limit\":%llu,"
			 "\"pids\":%llu,\"pids_limit\":%llu,\"cpu_weight\":%u,\"syscalls\":%llu,"
			 "\"syscalls_enosys\":%llu,\"oom_kills\":%llu,\"pids_refused\":%llu",
			 M.a->st->isolation, (unsigned long long)ls.mem_bytes,
			 (unsigned long long)c->mem_limit, (unsigned long long)ls.pids,
			 (unsigned long long)c->pids_limit, c->cpu_weight,
			 (unsigned long long)ls.syscalls, (unsigned long long)ls.syscalls_enosys,
			 (unsigned long long)ls.oom_kills, (unsigned long long)ls.pids_refused);
	if (ls.has_rmm)
		n += snprintf(msg + n, sizeof(msg) - (size_t)n,
			      ",\"forwarded\":%llu,\"rec_exits\":%llu,\"world_switches\":%llu",
			      (unsigned long long)ls.forwarded, (unsigned long long)ls.rec_exits,
			      (unsigned long long)ls.world_switches);
	if (ls.has_shim)
		n += snprintf(msg + n, sizeof(msg) - (size_t)n,
			      ",\"forwarded\":%llu,\"rc_el3_round_trips\":%llu,\"gpt_switches\":%llu,"
			      "\"tlbis\":%llu,\"rc_calls\":%llu,\"preemptions\":%llu",
			      (unsigned long long)ls.forwarded, (unsigned long long)ls.rc_el3,
			      (unsigned long long)ls.gpt_switches, (unsigned long long)ls.tlbis,
			      (unsigned long long)ls.rc_calls, (unsigned long long)ls.preemptions);
	snprintf(msg + n, sizeof(msg) - (size_t)n, "}");
	reply(fd, 0, msg);
}

static void serve_line(int fd, const char *req, char *msg, size_t msgsz);

/* An exec session (host/exec.c) on its own thread: it lasts as long as the process. */
struct exec_arg {
	int conn, fds[3];
	char *req;
};

static bool exec_running(const char *id)
{
	(void)id;
	return still_running();
}

static void *exec_main(void *arg)
{
	struct exec_arg *x = arg;

	if (M.on_daemon)
		host_daemon_exec_relay(x->conn, x->fds, x->req, M.a->cfg->id);
	else
		host_exec_session(x->conn, x->fds, x->req, M.a->cfg->id, M.a->st->isolation,
				  exec_running);
	close(x->conn);
	free(x->req);
	free(x);
	return NULL;
}

/* One connection: returns true when an exec session took it over. */
static bool serve(int fd)
{
	char msg[256] = "", *req;
	int fds[3];
	struct timeval tv = {.tv_sec = 5};

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	req = host_sock_read_line(fd, fds, 3, 65536);
	if (req == NULL) {
		host_fds_close(fds, 3);
		return false;
	}
	if (strncmp(req, "exec ", 5) == 0) {
		struct exec_arg *x = malloc(sizeof(*x));
		pthread_t th;

		if (x != NULL) {
			x->conn = fd;
			memcpy(x->fds, fds, sizeof(x->fds));
			x->req = req;
			struct timeval none = {0};
			setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof(none));
			if (pthread_create(&th, NULL, exec_main, x) == 0) {
				pthread_detach(th);
				return true;
			}
			free(x);
		}
		reply(fd, -EAGAIN, "exec: cannot start a session thread");
		host_fds_close(fds, 3);
		free(req);
		return false;
	}
	host_fds_close(fds, 3);
	serve_line(fd, req, msg, sizeof(msg));
	free(req);
	return false;
}

static void serve_line(int fd, const char *req, char *msg, size_t msgsz)
{
	if (strcmp(req, "start") == 0) {
		bool did = false;

		pthread_mutex_lock(&M.mu);
		if (M.state == RB_CS_CREATED && !M.cancel_sig && !M.start_req) {
			M.start_req = did = true;
			pthread_cond_broadcast(&M.cv);
			/* until the gate let it run (it may even have ended since) */
			while (M.state == RB_CS_CREATED)
				pthread_cond_wait(&M.cv, &M.mu);
		}
		enum rb_cstatus s = M.state;
		bool cancelled = M.cancel_sig != 0;
		pthread_mutex_unlock(&M.mu);
		if (did)
			reply(fd, 0, "");
		else
			reply(fd, -EINVAL,
			      s == RB_CS_STOPPED || cancelled
				      ? "cannot start a container that has stopped"
				      : "cannot start an already running container");
		return;
	}
	if (strncmp(req, "kill ", 5) == 0) {
		int sig = atoi(req + 5);

		if (sig <= 0 || sig > 64) {
			reply(fd, -EINVAL, "invalid signal");
			return;
		}
		/*
		 * --all (runc: every process of the container): the others first,
		 * as the library OS lists them, then init. Where the deployment
		 * cannot list them (shim) they end with init.
		 */
		if (strstr(req + 5, " all") != NULL && still_running()) {
			struct rb_proc_info ps[64];
			int n = M.ops->ps(M.a->cfg->id, ps, 64);

			for (int i = 0; i < n && i < 64; i++)
				if (ps[i].pid > 1 && ps[i].state != 'Z')
					M.ops->exec_kill(M.a->cfg->id, ps[i].pid, sig);
		}
		int r = deliver(sig, msg, msgsz);
		reply(fd, r, msg);
		return;
	}
	if (strcmp(req, "ps") == 0) {
		do_ps(fd);
		return;
	}
	if (strncmp(req, "attest ", 7) == 0) {
		do_attest(fd, req + 7);
		return;
	}
	if (strcmp(req, "stats") == 0) {
		do_stats(fd);
		return;
	}
	snprintf(msg, msgsz, "unknown request '%.64s'", req);
	reply(fd, -EINVAL, msg);
}

static void *server_main(void *arg)
{
	(void)arg;
	for (;;) {
		int fd = accept4(M.lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			usleep(10000);
			continue;
		}
		if (!serve(fd))
			close(fd);
	}
	return NULL;
}

/* The socket ROOT/ID/sock, named through /proc/self/fd so long roots fit sun_path. */
static int sock_addr(int dirfd, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d/sock", dirfd);
	return 0;
}

static int listen_sock(const char *dir, char *msg, size_t n)
{
	struct sockaddr_un sa;

	M.dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (M.dirfd < 0) {
		snprintf(msg, n, "%s: %s", dir, strerror(errno));
		return -errno;
	}
	M.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (M.lfd < 0) {
		snprintf(msg, n, "socket: %s", strerror(errno));
		return -errno;
	}
	sock_addr(M.dirfd, &sa);
	unlinkat(M.dirfd, "sock", 0);
	if (bind(M.lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(M.lfd, 64) != 0) {
		snprintf(msg, n, "%s/sock: %s", dir, strerror(errno));
		return -errno;
	}
	return 0;
}

/*
 * Run the container to its end with gate as its start gate: on the
 * machine daemon when it wants one (daemon.h) and one answers, else (or
 * when the daemon's slots are all taken) on a machine in this process.
 */
static int run_container(int (*gate_fn)(void *), struct rb_result *res, char *errbuf,
			 size_t errlen)
{
	struct host_monitor_args *a = M.a;
	int conn = -1, rc;

	if (host_daemon_wanted(a->cfg)) {
		conn = host_daemon_connect(a->root, true, errbuf, errlen);
		if (conn < 0)
			host_debug("container %s runs on its own machine: %s", a->cfg->id, errbuf);
	}
	deploy_set_start_gate(gate_fn, NULL);
	if (conn >= 0) {
		M.on_daemon = true;
		M.ops = &host_deploy_daemon;
		rc = host_daemon_run(conn, a->cfg, a->mf, a->io, res, errbuf, errlen);
		if (rc != -EAGAIN || !M.gate_reached || M.cancel_sig)
			goto out;
		host_debug("container %s runs on its own machine: %s", a->cfg->id, errbuf);
		deploy_set_start_gate(NULL, NULL); /* passed already */
		M.ops = &host_deploy_local;
		M.on_daemon = false;
	}
	errbuf[0] = '\0';
	rc = deploy_run(a->cfg, a->mf, a->io[0], a->io[1], a->io[2], res, errbuf, errlen);
out:
	deploy_set_start_gate(NULL, NULL);
	return rc;
}

static int fg_gate(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&M.mu);
	M.gate_reached = M.start_req = true;
	record(RB_CS_RUNNING, -1);
	pthread_mutex_unlock(&M.mu);
	winsize_sync(false);
	return 0;
}

int host_monitor_foreground(struct host_monitor_args *a, struct rb_result *res, char *errbuf,
			    size_t errlen)
{
	char dir[4200], msg[4400] = "";
	struct rb_err err = {0};
	pthread_t th;
	int rc, status;

	M.a = a;
	M.state = RB_CS_CREATING;
	a->st->pid = getpid();
	a->st->starttime = host_pid_starttime(getpid());
	if (host_cstate_dir(a->root, a->cfg->id, dir, sizeof(dir), &err) < 0 ||
	    listen_sock(dir, msg, sizeof(msg)) < 0) {
		snprintf(errbuf, errlen, "%s", err.msg[0] ? err.msg : msg);
		return -EIO;
	}
	if (pthread_create(&th, NULL, server_main, NULL) != 0) {
		snprintf(errbuf, errlen, "cannot start the request server's thread");
		return -EAGAIN;
	}
	pthread_detach(th);
	rc = run_container(fg_gate, res, errbuf, errlen);
	status = rc < 0 ? 1
			: (res->term_signal > 0 ? 128 + res->term_signal : res->exit_status) & 0xff;
	pthread_mutex_lock(&M.mu);
	a->st->oom_killed = rc == 0 && res->oom_killed;
	record(RB_CS_STOPPED, status);
	pthread_mutex_unlock(&M.mu);
	unlinkat(M.dirfd, "sock", 0);
	shutdown(M.lfd, SHUT_RDWR);
	return rc;
}

void host_monitor_main(struct host_monitor_args *a)
{
	char dir[4200], msg[4400] = "", errbuf[512] = "";
	struct rb_err err = {0};
	struct rb_result res;
	pthread_t th;
	sigset_t set;
	int rc, status;

	M.a = a;
	M.state = RB_CS_CREATING;
	a->st->pid = getpid();
	a->st->starttime = host_pid_starttime(getpid());
	host_cpu_weight_apply(a->cfg); /* before any thread: each inherits it */
	if (host_oom_score_adj_apply(a->cfg, &err) < 0) {
		ready_say("err %s\n", err.msg);
		_exit(1);
	}
	signal(SIGPIPE, SIG_IGN);
	if (host_cstate_dir(a->root, a->cfg->id, dir, sizeof(dir), &err) < 0 ||
	    listen_sock(dir, msg, sizeof(msg)) < 0) {
		ready_say("err %s\n", err.msg[0] ? err.msg : msg);
		_exit(1);
	}
	/* signals to this pid go to the container's init, from one thread */
	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(&set, forwarded[i]);
	if (winsize_watch(a))
		sigaddset(&set, SIGWINCH);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (pthread_create(&th, NULL, sig_main, &set) != 0 ||
	    pthread_create(&th, NULL, server_main, NULL) != 0) {
		ready_say("err %s\n", "cannot start the monitor's threads");
		_exit(1);
	}

	memset(&res, 0, sizeof(res));
	rc = run_container(gate, &res, errbuf, sizeof(errbuf));
	pthread_mutex_lock(&M.mu);
	if (!M.gate_reached) {
		pthread_mutex_unlock(&M.mu);
		if (rc == -ENOTSUP)
			snprintf(errbuf, sizeof(errbuf), "isolation %s: not supported yet",
				 a->st->isolation);
		else if (errbuf[0] == '\0')
			snprintf(errbuf, sizeof(errbuf), "%s", strerror(rc < 0 ? -rc : EIO));
		ready_say("err %s\n", errbuf);
		_exit(1);
	}
	if (M.cancel_sig) {
		status = 128 + M.cancel_sig;
	} else if (rc < 0) {
		fprintf(stderr, "realmbox: isolation %s: %s\n", a->st->isolation,
			errbuf[0] ? errbuf : strerror(-rc));
		status = 1;
	} else {
		status = res.term_signal > 0 ? 128 + res.term_signal : res.exit_status;
		status &= 0xff;
		a->st->oom_killed = res.oom_killed;
	}
	record(RB_CS_STOPPED, status);
	pthread_mutex_unlock(&M.mu);
	unlinkat(M.dirfd, "sock", 0);
	fflush(NULL);
	_exit(status);
}

int host_monitor_connect(const char *root, const char *id, struct rb_err *err)
{
	char dir[4200];
	struct sockaddr_un sa;
	int dirfd, fd, r;

	if ((r = host_cstate_dir(root, id, dir, sizeof(dir), err)) < 0)
		return r;
	dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return rb_err_set(err, ENOENT, "container %s does not exist", id);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = rb_err_sys(err, errno, "socket");
		close(dirfd);
		return r;
	}
	sock_addr(dirfd, &sa);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		close(dirfd);
		return rb_err_set(err, ESRCH, "container %s: its monitor does not answer", id);
	}
	close(dirfd);
	return fd;
}

int host_monitor_request(const char *root, const char *id, const char *req, char *out, size_t n,
			 int timeout_ms, struct rb_err *err)
{
	char buf[12288]; /* the longest answer: attest's token in hex (at most 4096 bytes) */
	struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
	size_t len = 0;
	int fd;

	if (out && n)
		out[0] = '\0';
	fd = host_monitor_connect(root, id, err);
	if (fd < 0)
		return fd;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (dprintf(fd, "%s\n", req) < 0) {
		close(fd);
		return rb_err_set(err, ESRCH, "container %s: its monitor does not answer", id);
	}
	while (len < sizeof(buf) - 1) {
		ssize_t k = read(fd, buf + len, sizeof(buf) - 1 - len);

		if (k <= 0)
			break;
		len += (size_t)k;
		if (memchr(buf, '\n', len))
			break;
	}
	close(fd);
	buf[len] = '\0';
	if (len == 0 || !memchr(buf, '\n', len))
		return rb_err_set(err, ESRCH, "container %s: no answer from its monitor", id);
	buf[strcspn(buf, "\n")] = '\0';
	char msg[RB_ERR_MSG_MAX];
	int r = host_sock_parse_reply(buf, out, n, msg, sizeof(msg));

	if (r == 0)
		return 0;
	if (strncmp(buf, "err ", 4) == 0)
		return rb_err_set(err, -r, "%s", msg);
	return rb_err_set(err, EIO, "container %s: malformed answer from its monitor", id);
}
