/*
 * Helpers of the lifecycle commands (cli_util.h).
 */
#include "host/cli_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "host/lifecycle.h"
#include "host/machine_keys.h"
#include "host/oci.h"
#include "host/rtlog.h"

int host_cli_fail(const char *cmd, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "realmbox: %s: %s\n", cmd, msg);
	host_log("error", "%s: %s", cmd, msg);
	return 1;
}

int host_cli_usage(const char *cmd, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "realmbox: %s: %s (see `realmbox %s --help`)\n", cmd, msg, cmd);
	host_log("error", "%s: %s", cmd, msg);
	return 2;
}

/*
 * Option `name` (long "--x" also accepted as "-x", as urfave/cli does)
 * with a value, as "--opt VALUE" or "--opt=VALUE": 1 with *out set, 0 if
 * argv[*i] is another option, -1 if the value is missing.
 */
int host_cli_opt(int argc, char **argv, int *i, const char *name, const char *shortname,
		 const char **out)
{
	const char *a = argv[*i];
	size_t n;

	if (shortname && strcmp(a, shortname) == 0) {
		if (*i + 1 >= argc)
			return -1;
		*out = argv[++*i];
		return 1;
	}
	if (a[0] == '-' && a[1] != '-')
		a++; /* -root as --root */
	n = strlen(name);
	if (strncmp(a, name, n) != 0)
		return 0;
	if (a[n] == '=') {
		*out = a + n + 1;
		return 1;
	}
	if (a[n] != '\0')
		return 0;
	if (*i + 1 >= argc)
		return -1;
	*out = argv[++*i];
	return 1;
}

bool host_cli_flag(const char *a, const char *name, const char *shortname)
{
	if (shortname && strcmp(a, shortname) == 0)
		return true;
	if (a[0] == '-' && a[1] != '-')
		a++;
	return strcmp(a, name) == 0;
}

int host_cli_root(const char *cmd, char *root, size_t n)
{
	struct rb_err err = {0};

	/* --root, else $REALMBOX_ROOT (also where the deployment finds the machine's keys) */
	if (host_runtime_root(host_g.root ? host_g.root : getenv("REALMBOX_ROOT"), root, n,
			      &err) < 0)
		return host_cli_fail(cmd, "%s", err.msg);
	return 0;
}

/* Write pid to path atomically (runc's --pid-file). */
int host_write_pid_file(const char *path, pid_t pid)
{
	char tmp[4200];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid());
	f = fopen(tmp, "w");
	if (f == NULL)
		return -errno;
	fprintf(f, "%d", (int)pid);
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		int e = errno;

		unlink(tmp);
		return -e;
	}
	return 0;
}

/*
 * A pty whose master goes to the console socket (runc's protocol: one
 * message with the pty's name as data and the master as SCM_RIGHTS);
 * returns the slave fd, or -errno with msg set.
 */
int host_console_handoff(const char *sockpath, char *msg, size_t n)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char name[256], cbuf[CMSG_SPACE(sizeof(int))];
	struct msghdr mh = {0};
	struct iovec iov;
	struct cmsghdr *c;
	int master, slave, s;

	if (strlen(sockpath) >= sizeof(sa.sun_path)) {
		snprintf(msg, n, "--console-socket %s: path too long", sockpath);
		return -ENAMETOOLONG;
	}
	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0 ||
	    ptsname_r(master, name, sizeof(name)) != 0) {
		int e = errno;

		snprintf(msg, n, "cannot allocate a pty: %s", strerror(e));
		if (master >= 0)
			close(master);
		return -e;
	}
	slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0) {
		int e = errno;

		snprintf(msg, n, "%s: %s", name, strerror(e));
		close(master);
		return -e;
	}
	strcpy(sa.sun_path, sockpath);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = errno;

		snprintf(msg, n, "--console-socket %s: %s", sockpath, strerror(e));
		if (s >= 0)
			close(s);
		close(master);
		close(slave);
		return -e;
	}
	iov.iov_base = name;
	iov.iov_len = strlen(name);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &master, sizeof(int));
	if (sendmsg(s, &mh, 0) < 0) {
		int e = errno;

		snprintf(msg, n, "--console-socket %s: sending the pty: %s", sockpath, strerror(e));
		close(s);
		close(master);
		close(slave);
		return -e;
	}
	close(s);
	close(master);
	return slave;
}

/* Read the state of id: 0, or the exit status after a message. */
int host_cli_load(const char *cmd, const char *root, const char *id, struct rb_cstate *st)
{
	struct rb_err err = {0};

	if (!host_container_id_valid(id))
		return host_cli_fail(cmd, "container %s does not exist", id);
	if (host_cstate_read(root, id, st, &err) < 0)
		return host_cli_fail(cmd, "%s", err.msg);
	return 0;
}

int host_cli_lock_load(const char *cmd, const char *root, const char *id, struct rb_cstate *st)
{
	struct rb_err err = {0};
	int lock;

	if (!host_container_id_valid(id)) {
		host_cli_fail(cmd, "container %s does not exist", id);
		return -1;
	}
	lock = host_cstate_lock(root, id, 10000, &err);
	if (lock < 0) {
		host_cli_fail(cmd, "%s", err.msg);
		return -1;
	}
	if (host_cli_load(cmd, root, id, st) != 0) {
		close(lock);
		return -1;
	}
	return lock;
}

int host_hex_parse(const char *s, uint8_t *out, size_t cap, size_t *len)
{
	static const char digits[] = "0123456789abcdef0123456789ABCDEF";
	size_t n = strlen(s);

	if (n == 0 || n % 2 || n / 2 > cap || strspn(s, digits) != n)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned hi = (unsigned)(strchr(digits, s[2 * i]) - digits) & 15;
		unsigned lo = (unsigned)(strchr(digits, s[2 * i + 1]) - digits) & 15;

		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*len = n / 2;
	return 0;
}

void host_hex_format(char *out, const uint8_t *b, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}
