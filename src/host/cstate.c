/*
 * Container state directories (cstate.h): state.json, the command lock,
 * liveness of the monitor process.
 */
#include "host/cstate.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *const status_names[] = {"creating", "created", "running", "stopped",
					    "paused"};

const char *host_cstatus_name(enum rb_cstatus s)
{
	return (unsigned)s < sizeof(status_names) / sizeof(status_names[0]) ? status_names[s]
									     : "unknown";
}

int host_cstate_dir(const char *root, const char *id, char *out, size_t n, struct rb_err *err)
{
	int len = snprintf(out, n, "%s/%s", root, id);

	if (len < 0 || (size_t)len >= n)
		return rb_err_set(err, ENAMETOOLONG, "state directory %s/%s: name too long", root,
				  id);
	return 0;
}

static void copy_str(char *dst, size_t n, json_t *v)
{
	snprintf(dst, n, "%s", json_is_string(v) ? json_string_value(v) : "");
}

int host_cstate_read(const char *root, const char *id, struct rb_cstate *st, struct rb_err *err)
{
	char dir[4200], path[4300];
	json_error_t jerr;
	json_t *top, *v;
	int r;

	memset(st, 0, sizeof(*st));
	st->exit_status = -1;
	if ((r = host_cstate_dir(root, id, dir, sizeof(dir), err)) < 0)
		return r;
	snprintf(path, sizeof(path), "%s/state.json", dir);
	top = json_load_file(path, 0, &jerr);
	if (top == NULL) {
		struct stat sb;

		if (stat(dir, &sb) != 0 && errno == ENOENT)
			return rb_err_set(err, ENOENT, "container %s does not exist", id);
		if (stat(path, &sb) != 0 && errno == ENOENT)
			return rb_err_set(err, ENOENT, "container %s does not exist", id);
		return rb_err_set(err, EIO, "%s: %s", path, jerr.text);
	}
	copy_str(st->id, sizeof(st->id), json_object_get(top, "id"));
	copy_str(st->bundle, sizeof(st->bundle), json_object_get(top, "bundle"));
	copy_str(st->rootfs, sizeof(st->rootfs), json_object_get(top, "rootfs"));
	copy_str(st->created, sizeof(st->created), json_object_get(top, "created"));
	copy_str(st->isolation, sizeof(st->isolation), json_object_get(top, "isolation"));
	st->pid = (pid_t)json_integer_value(json_object_get(top, "pid"));
	st->starttime = (uint64_t)json_integer_value(json_object_get(top, "starttime"));
	v = json_object_get(top, "exit_status");
	st->exit_status = json_is_integer(v) ? (int)json_integer_value(v) : -1;
	v = json_object_get(top, "status");
	st->status = RB_CS_STOPPED;
	for (int i = 0; i < 4; i++)
		if (json_is_string(v) && strcmp(json_string_value(v), status_names[i]) == 0)
			st->status = (enum rb_cstatus)i;
	st->oom_killed = json_is_true(json_object_get(top, "oom_killed"));
	v = json_object_get(top, "annotations");
	if (json_is_object(v))
		st->annotations = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(top);
	if (strcmp(st->id, id) != 0)
		return rb_err_set(err, EIO, "%s: holds container '%s', not '%s'", path, st->id, id);
	return 0;
}

int host_cstate_write(const char *root, const struct rb_cstate *st, struct rb_err *err)
{
	char dir[4200], path[4300], tmp[4300];
	json_t *top, *ann = NULL;
	int r;

	if ((r = host_cstate_dir(root, st->id, dir, sizeof(dir), err)) < 0)
		return r;
	if (st->annotations)
		ann = json_loads(st->annotations, 0, NULL);
	if (!json_is_object(ann)) {
		json_decref(ann);
		ann = json_object();
	}
	top = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:o}", "id", st->id,
			"status", host_cstatus_name(st->status), "bundle", st->bundle, "rootfs",
			st->rootfs, "created", st->created, "isolation", st->isolation, "pid",
			(json_int_t)st->pid, "starttime", (json_int_t)st->starttime, "exit_status",
			(json_int_t)st->exit_status, "annotations", ann);
	if (top == NULL)
		return rb_err_set(err, ENOMEM, "state.json: out of memory");
	if (st->oom_killed)
		json_object_set_new(top, "oom_killed", json_true());
	snprintf(path, sizeof(path), "%s/state.json", dir);
	snprintf(tmp, sizeof(tmp), "%s/.state.json.%d", dir, (int)getpid());
	r = json_dump_file(top, tmp, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(top);
	if (r != 0) {
		unlink(tmp);
		return rb_err_set(err, EIO, "%s: cannot write", tmp);
	}
	if (rename(tmp, path) != 0) {
		int e = errno;

		unlink(tmp);
		return rb_err_sys(err, e, "%s", path);
	}
	return 0;
}

void host_cstate_free(struct rb_cstate *st)
{
	free(st->annotations);
	st->annotations = NULL;
}

uint64_t host_pid_starttime(pid_t pid)
{
	char path[64], buf[1024];
	unsigned long long start = 0;
	FILE *f;
	char *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	if (fgets(buf, sizeof(buf), f) == NULL) {
		fclose(f);
		return 0;
	}
	fclose(f);
	p = strrchr(buf, ')'); /* comm may hold spaces and parentheses */
	if (p == NULL)
		return 0;
	/* fields after comm: state(3) ... starttime(22) */
	if (sscanf(p + 2,
		   "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d "
		   "%*d %llu",
		   &start) != 1)
		return 0;
	return start;
}

/* The state letter of /proc/PID/stat (R, S, T, Z, ...), or 0 if unreadable. */
static char pid_state(pid_t pid)
{
	char path[64], buf[512];
	FILE *f;
	char *p;

	if (pid <= 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return 0;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	if (p == NULL || (p = strrchr(buf, ')')) == NULL || p[1] == '\0')
		return 0;
	return p[2];
}

bool host_pid_alive(pid_t pid, uint64_t starttime)
{
	char s = pid_state(pid);

	if (s == 0 || s == 'Z' || s == 'X')
		return false;
	return starttime == 0 || host_pid_starttime(pid) == starttime;
}

bool host_pid_stopped(pid_t pid)
{
	return pid_state(pid) == 'T';
}

enum rb_cstatus host_cstate_status(const struct rb_cstate *st)
{
	if (st->status == RB_CS_STOPPED)
		return RB_CS_STOPPED;
	if (!host_pid_alive(st->pid, st->starttime))
		return RB_CS_STOPPED;
	if (st->status == RB_CS_RUNNING && host_pid_stopped(st->pid))
		return RB_CS_PAUSED;
	return st->status;
}

int host_cstate_lock(const char *root, const char *id, int timeout_ms, struct rb_err *err)
{
	char dir[4200], path[4300];
	int fd, r, waited = 0;

	if ((r = host_cstate_dir(root, id, dir, sizeof(dir), err)) < 0)
		return r;
	snprintf(path, sizeof(path), "%s/lock", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		if (errno == ENOENT)
			return rb_err_set(err, ENOENT, "container %s does not exist", id);
		return rb_err_sys(err, errno, "%s", path);
	}
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		if (errno != EWOULDBLOCK && errno != EINTR) {
			int e = errno;

			close(fd);
			return rb_err_sys(err, e, "%s: flock", path);
		}
		if (waited >= timeout_ms) {
			close(fd);
			return rb_err_set(
				err, ETIMEDOUT,
				"container %s is locked by another command (waited %d ms)", id,
				waited);
		}
		usleep(10000);
		waited += 10;
	}
}

int host_cstate_remove(const char *root, const char *id, struct rb_err *err)
{
	char dir[4200], path[4600];
	DIR *d;
	struct dirent *e;
	int r;

	if ((r = host_cstate_dir(root, id, dir, sizeof(dir), err)) < 0)
		return r;
	d = opendir(dir);
	if (d == NULL) {
		if (errno == ENOENT)
			return 0;
		return rb_err_sys(err, errno, "%s", dir);
	}
	/* only files of ours live there: no subdirectories */
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (unlink(path) != 0 && errno != ENOENT) {
			int x = errno;

			closedir(d);
			return rb_err_sys(err, x, "%s", path);
		}
	}
	closedir(d);
	if (rmdir(dir) != 0 && errno != ENOENT)
		return rb_err_sys(err, errno, "%s", dir);
	return 0;
}

char *host_cstate_oci_json(const struct rb_cstate *st, enum rb_cstatus status, int indent)
{
	json_t *top, *ann = NULL;
	char *s;

	if (st->annotations)
		ann = json_loads(st->annotations, 0, NULL);
	if (!json_is_object(ann)) {
		json_decref(ann);
		ann = json_object();
	}
	/*
	 * runc: pid 0 once stopped; "owner" is the rootless owner, empty for
	 * root; "annotations" only when config.json has some
	 */
	top = json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:s}", "ociVersion", "1.0.2", "id", st->id,
			"pid", (json_int_t)(status == RB_CS_STOPPED ? 0 : st->pid), "status",
			host_cstatus_name(status), "bundle", st->bundle, "rootfs", st->rootfs,
			"created", st->created);
	if (top == NULL) {
		json_decref(ann);
		return NULL;
	}
	if (json_object_size(ann) > 0)
		json_object_set(top, "annotations", ann);
	json_decref(ann);
	json_object_set_new(top, "owner", json_string(""));
	/* not in the OCI state: said only when the memory limit ended the container */
	if (st->oom_killed && status == RB_CS_STOPPED)
		json_object_set_new(top, "oomKilled", json_true());
	s = json_dumps(top, JSON_PRESERVE_ORDER | (indent ? JSON_INDENT(indent) : JSON_COMPACT));
	json_decref(top);
	return s;
}
