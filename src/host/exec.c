/*
 * The monitor's exec sessions (exec.h): check the request, start the
 * process through deploy_exec, relay signals, report its status.
 */
#include "host/exec.h"

#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deploy/deploy.h"

#define EXEC_MAX_STRINGS 4096

static void say(int conn, int r, const char *msg)
{
	if (r < 0)
		dprintf(conn, "err %d %s\n", -r, msg);
	else
		dprintf(conn, "ok %s\n", msg);
}

/* A JSON array of strings as a NULL-terminated vector (malloc'd), or NULL. */
static char **strv(json_t *a, bool nonempty)
{
	size_t n = json_array_size(a), i;
	char **v;

	if (!json_is_array(a) || n > EXEC_MAX_STRINGS || (nonempty && n == 0))
		return NULL;
	v = calloc(n + 1, sizeof(char *));
	if (v == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		json_t *s = json_array_get(a, i);

		if (!json_is_string(s)) {
			free(v);
			return NULL;
		}
		v[i] = (char *)json_string_value(s);
	}
	return v;
}

static bool get_id(json_t *top, const char *key, uint32_t *out)
{
	json_t *v = json_object_get(top, key);

	if (v == NULL) {
		*out = 0;
		return true;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > (json_int_t)UINT32_MAX)
		return false;
	*out = (uint32_t)json_integer_value(v);
	return true;
}

/* Lines "kill SIG" and "winsize ROWS COLS" from the client; false once it went away. */
static bool client_lines(int conn, char *buf, size_t *len, size_t cap, const char *id, int pid)
{
	ssize_t k = read(conn, buf + *len, cap - 1 - *len);
	char *nl;

	if (k <= 0)
		return k < 0 && (errno == EINTR || errno == EAGAIN);
	*len += (size_t)k;
	buf[*len] = '\0';
	while ((nl = strchr(buf, '\n')) != NULL) {
		*nl = '\0';
		unsigned rows, cols;
		char end;

		if (strncmp(buf, "kill ", 5) == 0)
			deploy_exec_kill(id, pid, atoi(buf + 5));
		else if (sscanf(buf, "winsize %u %u%c", &rows, &cols, &end) == 2 &&
			 rows <= 0xffff && cols <= 0xffff)
			deploy_exec_winsize(id, pid, (unsigned short)rows,
					    (unsigned short)cols); /* its terminal was resized */
		*len -= (size_t)(nl + 1 - buf);
		memmove(buf, nl + 1, *len + 1);
	}
	if (*len >= cap - 1)
		*len = 0; /* a line that long is no request of ours */
	return true;
}

void host_exec_session(int conn, int fds[3], const char *req, const char *id, const char *isolation,
		       bool (*running)(const char *id))
{
	char errbuf[512] = "", line[256];
	size_t len = 0;
	struct rb_exec_req er = {0};
	json_error_t jerr;
	json_t *top = json_loads(req + 5, 0, &jerr), *cwd;
	bool gone = false;
	int pid, status = 137;

	if (!json_is_object(top)) {
		say(conn, -EINVAL, "exec: malformed request");
		goto out;
	}
	er.args = strv(json_object_get(top, "args"), true);
	er.env = strv(json_object_get(top, "env"), false);
	cwd = json_object_get(top, "cwd");
	er.cwd = json_is_string(cwd) ? json_string_value(cwd) : "/";
	er.terminal = json_is_true(json_object_get(top, "terminal"));
	if (er.args == NULL || er.env == NULL) {
		say(conn, -EINVAL,
		    "exec: args must be a non-empty array of strings, env an array "
		    "of strings");
		goto out;
	}
	if (er.cwd[0] != '/') {
		say(conn, -EINVAL, "exec: cwd must be an absolute path");
		goto out;
	}
	if (!get_id(top, "uid", &er.uid) || !get_id(top, "gid", &er.gid)) {
		say(conn, -EINVAL, "exec: uid and gid must be integers from 0 to 4294967295");
		goto out;
	}
	json_t *cs = json_object_get(top, "consoleSize");
	uint32_t h = 0, w = 0;

	if (cs != NULL && (!json_is_object(cs) || !get_id(cs, "height", &h) ||
			   !get_id(cs, "width", &w) || h > 0xffff || w > 0xffff)) {
		say(conn, -EINVAL,
		    "exec: consoleSize: height and width must be integers from 0 to 65535");
		goto out;
	}
	er.rows = (unsigned short)h;
	er.cols = (unsigned short)w;
	if (fds[0] < 0 || fds[1] < 0 || fds[2] < 0) {
		say(conn, -EINVAL, "exec: the process's stdin, stdout and stderr did not arrive");
		goto out;
	}
	memcpy(er.fds, fds, sizeof(er.fds));
	/* just after start the deployment may still be starting init: -ESRCH for a moment */
	for (int i = 0; i < 6000; i++) { /* 30 s: see monitor.c START_RETRIES */
		pid = deploy_exec(id, &er, errbuf, sizeof(errbuf));
		if (pid != -ESRCH || !running(id))
			break;
		usleep(5000);
	}
	if (pid < 0) {
		if (pid == -ENOTSUP)
			snprintf(errbuf, sizeof(errbuf), "not supported in isolation mode %s yet",
				 isolation);
		say(conn, pid, errbuf[0] ? errbuf : strerror(-pid));
		goto out;
	}
	snprintf(line, sizeof(line), "%d", pid);
	say(conn, 0, line);
	for (;;) {
		int r = deploy_exec_wait(id, pid, 50, &status);
		struct pollfd p = {conn, POLLIN, 0};

		if (r == 0)
			break;
		if (r == -ESRCH) {
			status = 137; /* the container ended: its processes were killed */
			break;
		}
		if (!gone && poll(&p, 1, 0) > 0 &&
		    !client_lines(conn, line, &len, sizeof(line), id, pid)) {
			gone = true;
			deploy_exec_kill(id, pid, SIGKILL);
		}
	}
	if (!gone)
		dprintf(conn, "exit %d\n", status);
out:
	free(er.args);
	free(er.env);
	json_decref(top);
	for (int i = 0; i < 3; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}
