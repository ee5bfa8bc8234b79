/*
 * `realmbox exec` (runc's exec): the process description from config.json,
 * --process and the flags, the request to the container's monitor with
 * the process's stdio attached (SCM_RIGHTS), and the relay that forwards
 * signals and exits with the process's status (host/exec.h has the
 * monitor's side).
 */
#include "host/lifecycle.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "host/cli_util.h"
#include "host/cstate.h"
#include "host/monitor.h"
#include "host/oci.h"
#include "host/rtlog.h"
#include "host/sockmsg.h"

/* "winsize ROWS COLS" for the terminal tty (its size now), unless nobody has sized it. */
static void send_winsize(int conn, int tty)
{
	struct winsize ws;

	if (tty >= 0 && ioctl(tty, TIOCGWINSZ, &ws) == 0 && (ws.ws_row || ws.ws_col))
		dprintf(conn, "winsize %u %u\n", ws.ws_row, ws.ws_col);
}

/*
 * Relay an exec session: signals to this process go to the container's
 * process ("kill SIG"), and its "exit STATUS" is ours. With tty (the
 * process's terminal, whose foreground group we are in) SIGWINCH is not
 * forwarded: the process's terminal takes tty's new size ("winsize"), and
 * its size now at once. Returns the status.
 */
static int exec_relay(int conn, int tty)
{
	static const int fwd[] = {SIGHUP,  SIGINT,  SIGQUIT, SIGTERM, SIGUSR1,
				  SIGUSR2, SIGALRM, SIGCONT, SIGTSTP, SIGWINCH};
	char buf[256];
	size_t len = 0;
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(fwd) / sizeof(fwd[0]); i++)
		sigaddset(&set, fwd[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	send_winsize(conn, tty);
	for (;;) {
		struct timespec ts = {0};
		struct pollfd p = {conn, POLLIN, 0};
		int sig;

		while ((sig = sigtimedwait(&set, NULL, &ts)) > 0) {
			if (sig == SIGWINCH && tty >= 0)
				send_winsize(conn, tty);
			else
				dprintf(conn, "kill %d\n", sig);
		}
		if (poll(&p, 1, 50) <= 0)
			continue;
		ssize_t k = read(conn, buf + len, sizeof(buf) - 1 - len);
		if (k <= 0) {
			host_log("error", "exec: the container's monitor went away");
			return 255;
		}
		len += (size_t)k;
		buf[len] = '\0';
		char *e = strstr(buf, "exit ");
		if (e && strchr(e, '\n'))
			return atoi(e + 5) & 0xff;
		if (len >= sizeof(buf) - 1)
			len = 0;
	}
}

/* Send "exec JSON" with fds (SCM_RIGHTS); read "ok PID". 0 with *pid, or -errno with err. */
static int exec_request(int conn, const char *req, const int fds[3], int *pid, struct rb_err *err)
{
	char line[1024];
	int r = host_sock_send(conn, req, fds, 3);

	if (r < 0)
		return rb_err_set(err, -r, "sending the request to the monitor: %s", strerror(-r));
	/* byte by byte: what follows the line is the session's, for the relay */
	if (host_sock_read_reply(conn, line, sizeof(line)) < 0)
		return rb_err_set(err, ESRCH, "the container's monitor did not answer");
	if (strncmp(line, "ok ", 3) == 0) {
		*pid = atoi(line + 3);
		return 0;
	}
	if (strncmp(line, "err ", 4) == 0) {
		char *p;
		long e = strtol(line + 4, &p, 10);

		return rb_err_set(err, e > 0 && e < 4096 ? (int)e : EIO, "%s", *p ? p + 1 : "");
	}
	return rb_err_set(err, EIO, "malformed answer from the container's monitor");
}

/* --process FILE (an OCI process object) into the request fields. */
static int exec_process_file(const char *path, json_t *req, bool *tty, struct rb_err *err)
{
	json_error_t jerr;
	json_t *p = json_load_file(path, 0, &jerr), *v;
	int r = 0;

	if (p == NULL)
		return rb_err_set(err, EINVAL, "--process %s: %s", path, jerr.text);
	v = json_object_get(p, "args");
	if (!json_is_array(v) || json_array_size(v) == 0)
		r = rb_err_set(err, EINVAL,
			       "--process %s: args: must be a non-empty array of strings", path);
	else
		json_object_set(req, "args", v);
	if (r == 0 && json_is_array(json_object_get(p, "env")))
		json_object_set(req, "env", json_object_get(p, "env"));
	if (r == 0 && json_is_string(json_object_get(p, "cwd")))
		json_object_set(req, "cwd", json_object_get(p, "cwd"));
	v = json_object_get(p, "user");
	if (r == 0 && json_is_object(v)) {
		if (json_is_integer(json_object_get(v, "uid")))
			json_object_set(req, "uid", json_object_get(v, "uid"));
		if (json_is_integer(json_object_get(v, "gid")))
			json_object_set(req, "gid", json_object_get(v, "gid"));
	}
	if (r == 0 && json_is_true(json_object_get(p, "terminal")))
		*tty = true;
	if (r == 0 && json_is_object(json_object_get(p, "consoleSize")))
		json_object_set(req, "consoleSize", json_object_get(p, "consoleSize"));
	json_decref(p);
	return r;
}

/* An early end of host_cmd_exec: the --env list it built goes too. */
#define BAIL(status)                                                                               \
	do {                                                                                       \
		int bail_ = (status);                                                              \
		json_decref(envs);                                                                 \
		return bail_;                                                                      \
	} while (0)

int host_cmd_exec(int argc, char **argv)
{
	const char *cmd = "exec", *id, *process = NULL, *cwd = NULL, *pid_file = NULL,
		   *console_socket = NULL, *user = NULL;
	char root[4096], msg[512];
	bool tty = false, detach = false;
	struct rb_cstate st;
	struct rb_err err = {0};
	json_t *req, *envs = json_array();
	int i, m, conn, pid = 0, slave = -1, fds[3] = {0, 1, 2}, status = 1;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		const char *v;

		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if ((m = host_cli_opt(argc, argv, &i, "--process", "-p", &process)) != 0 ||
		    (m = host_cli_opt(argc, argv, &i, "--cwd", NULL, &cwd)) != 0 ||
		    (m = host_cli_opt(argc, argv, &i, "--pid-file", NULL, &pid_file)) != 0 ||
		    (m = host_cli_opt(argc, argv, &i, "--console-socket", NULL, &console_socket)) !=
			    0 ||
		    (m = host_cli_opt(argc, argv, &i, "--user", "-u", &user)) != 0) {
			if (m < 0)
				BAIL(host_cli_usage(cmd, "option %s needs a value", argv[i]));
		} else if ((m = host_cli_opt(argc, argv, &i, "--env", "-e", &v)) != 0) {
			if (m < 0)
				BAIL(host_cli_usage(cmd, "option --env needs a value"));
			if (strchr(v, '=') == NULL)
				BAIL(host_cli_fail(cmd, "--env %s: want KEY=VALUE", v));
			json_array_append_new(envs, json_string(v));
		} else if ((m = host_cli_opt(argc, argv, &i, "--cap", "-c", &v)) != 0 ||
			   (m = host_cli_opt(argc, argv, &i, "--apparmor", NULL, &v)) != 0 ||
			   (m = host_cli_opt(argc, argv, &i, "--process-label", NULL, &v)) != 0 ||
			   (m = host_cli_opt(argc, argv, &i, "--cgroup", NULL, &v)) != 0) {
			if (m < 0)
				BAIL(host_cli_usage(cmd, "option %s needs a value", argv[i]));
			host_debug("exec %s: ignored (no Linux kernel inside the container)",
				   argv[i]);
		} else if (host_cli_flag(argv[i], "--tty", "-t")) {
			tty = true;
		} else if (host_cli_flag(argv[i], "--detach", "-d")) {
			detach = true;
		} else if (host_cli_flag(argv[i], "--no-new-privs", NULL)) {
			/* nothing to drop: no setuid programs gain anything in the library OS */
		} else if ((m = host_cli_opt(argc, argv, &i, "--preserve-fds", NULL, &v)) != 0) {
			if (m < 0 || strcmp(v, "0") != 0)
				BAIL(host_cli_fail(cmd, "--preserve-fds: only 0 is supported"));
		} else {
			BAIL(host_cli_usage(cmd, "unknown option %s", argv[i]));
		}
	}
	if (i >= argc)
		BAIL(host_cli_usage(cmd, "a container ID is required"));
	id = argv[i++];
	if (process == NULL && i >= argc)
		BAIL(host_cli_usage(cmd, "a command is required (or --process FILE)"));
	if (host_cli_root(cmd, root, sizeof(root)) || host_cli_load(cmd, root, id, &st))
		BAIL(1);

	/* the container's process settings, then the file or the command line */
	req = json_object();
	{
		struct rb_config cfg;
		json_t *env = json_array();

		host_config_warnings(false); /* create said them */
		if (host_bundle_load(st.bundle, &cfg, &err) == 0) {
			for (char **e = cfg.env; e && *e; e++)
				json_array_append_new(env, json_string(*e));
			json_object_set_new(req, "cwd", json_string(cfg.cwd ? cfg.cwd : "/"));
			json_object_set_new(req, "uid", json_integer(cfg.uid));
			json_object_set_new(req, "gid", json_integer(cfg.gid));
			host_config_free(&cfg);
		} else {
			host_debug("exec: bundle %s: %s (defaults used)", st.bundle, err.msg);
		}
		json_object_set_new(req, "env", env);
	}
	if (process && exec_process_file(process, req, &tty, &err) < 0) {
		host_cli_fail(cmd, "%s", err.msg);
		goto out;
	}
	if (i < argc) {
		json_t *args = json_array();

		for (; i < argc; i++)
			json_array_append_new(args, json_string(argv[i]));
		json_object_set_new(req, "args", args);
	}
	if (json_array_size(envs)) {
		/* --env KEY=V replaces KEY */
		json_t *env = json_object_get(req, "env"), *e;
		size_t k;

		json_array_foreach(envs, k, e)
		{
			const char *kv = json_string_value(e);
			size_t kl = (size_t)(strchr(kv, '=') - kv) + 1;

			for (size_t j = 0; j < json_array_size(env); j++)
				if (strncmp(json_string_value(json_array_get(env, j)), kv, kl) ==
				    0) {
					json_array_remove(env, j);
					break;
				}
			json_array_append(env, e);
		}
	}
	if (cwd) {
		if (cwd[0] != '/') {
			host_cli_fail(cmd, "--cwd %s: must be an absolute path", cwd);
			goto out;
		}
		json_object_set_new(req, "cwd", json_string(cwd));
	}
	if (user) {
		unsigned long uid, gid = 0;
		char *end;

		uid = strtoul(user, &end, 10);
		if (end == user || (*end && *end != ':') ||
		    (*end == ':' && (gid = strtoul(end + 1, &end, 10), *end)) || uid > UINT32_MAX ||
		    gid > UINT32_MAX) {
			host_cli_fail(cmd, "--user %s: want UID[:GID] as numbers", user);
			goto out;
		}
		json_object_set_new(req, "uid", json_integer((json_int_t)uid));
		json_object_set_new(req, "gid", json_integer((json_int_t)gid));
	}
	json_object_set_new(req, "terminal", json_boolean(tty));
	enum rb_cstatus s = host_cstate_status(&st);
	if (s != RB_CS_RUNNING) {
		host_cli_fail(cmd, "cannot exec in a %s container", host_cstatus_name(s));
		goto out;
	}
	if (tty) {
		if (console_socket) {
			slave = host_console_handoff(console_socket, msg, sizeof(msg));
			if (slave < 0) {
				host_cli_fail(cmd, "%s", msg);
				goto out;
			}
			fds[0] = fds[1] = fds[2] = slave;
		} else if (detach) {
			host_cli_fail(cmd,
				      "cannot allocate tty if realmbox will detach without setting "
				      "console socket");
			goto out;
		}
	} else if (console_socket) {
		host_cli_fail(cmd, "cannot use console socket if realmbox will not allocate a tty");
		goto out;
	}
	if (tty) {
		/* the terminal's size now, for the process's first look (else --process's) */
		struct winsize ws;

		if (ioctl(slave >= 0 ? slave : 0, TIOCGWINSZ, &ws) == 0 &&
		    (ws.ws_row || ws.ws_col)) {
			json_t *cs = json_object();

			json_object_set_new(cs, "height", json_integer(ws.ws_row));
			json_object_set_new(cs, "width", json_integer(ws.ws_col));
			json_object_set_new(req, "consoleSize", cs);
		}
	}
	{
		char *text = json_dumps(req, JSON_COMPACT);
		char *line = text ? malloc(strlen(text) + 8) : NULL;

		if (line == NULL) {
			free(text);
			host_cli_fail(cmd, "out of memory");
			goto out;
		}
		sprintf(line, "exec %s\n", text);
		free(text);
		conn = host_monitor_connect(root, id, &err);
		if (conn < 0 || exec_request(conn, line, fds, &pid, &err) < 0) {
			free(line);
			if (conn >= 0)
				close(conn);
			host_cli_fail(cmd, "%s", err.msg);
			goto out;
		}
		free(line);
	}
	host_debug("exec: process %d in container %s", pid, id);
	if (!detach) {
		/* --tty without a console socket: the terminal is ours (stdin) */
		status = exec_relay(conn, tty && slave < 0 && isatty(0) ? 0 : -1);
		close(conn);
		goto out;
	}
	/* detached: a relay process holds the session; its pid is the process's for the caller */
	{
		int pfd[2];
		pid_t child, relay = 0;

		if (pipe2(pfd, O_CLOEXEC) != 0) {
			host_cli_fail(cmd, "pipe: %s", strerror(errno));
			close(conn);
			goto out;
		}
		fflush(NULL);
		child = fork();
		if (child == 0) {
			close(pfd[0]);
			setsid();
			if (fork() != 0)
				_exit(0);
			pid_t me = getpid();
			/*
			 * The process's stdio went to the monitor with the request:
			 * the relay keeps none of the caller's (a caller reading our
			 * output to its end must not wait for the process's).
			 */
			int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
			for (int k = 0; nul >= 0 && k < 3; k++)
				dup2(nul, k);
			if (nul > 2)
				close(nul);
			(void)!write(pfd[1], &me, sizeof(me));
			close(pfd[1]);
			/*
			 * --console-socket: the pty's owner resizes its master, and the
			 * kernel tells the foreground group of the session the slave is
			 * the controlling terminal of: this relay's, in a session of
			 * its own (as the monitor does for the container's console).
			 */
			int ctty = -1;
			if (slave >= 0 && setsid() >= 0 && ioctl(slave, TIOCSCTTY, 0) == 0)
				ctty = slave;
			_exit(exec_relay(conn, ctty));
		}
		close(pfd[1]);
		close(conn);
		if (child > 0) {
			waitpid(child, NULL, 0);
			if (read(pfd[0], &relay, sizeof(relay)) != sizeof(relay))
				relay = 0;
		}
		close(pfd[0]);
		if (relay <= 0) {
			host_cli_fail(cmd, "cannot start the exec relay process");
			goto out;
		}
		if (pid_file && (m = host_write_pid_file(pid_file, relay)) < 0) {
			host_cli_fail(cmd, "--pid-file %s: %s", pid_file, strerror(-m));
			kill(relay, SIGKILL);
			goto out;
		}
		status = 0;
	}
out:
	if (slave >= 0)
		close(slave);
	json_decref(req);
	json_decref(envs);
	host_cstate_free(&st);
	return status;
}
