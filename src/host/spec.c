/*
 * `realmbox spec`: write a default config.json the way `runc spec` does,
 * limited to what realmbox honours (see spec.h and oci.h).
 */
#include "host/spec.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static json_t *default_spec(bool rootless)
{
	/* clang-format off */
	json_t *spec = json_pack(
		"{s:s, s:{s:b, s:{s:i, s:i}, s:[s], s:[s, s], s:s, s:[{s:s, s:i, s:i}]},"
		" s:{s:s, s:b}, s:s}",
		"ociVersion", "1.0.2-dev",
		"process",
		"terminal", 1,
		"user", "uid", 0, "gid", 0,
		"args", "sh",
		"env", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"TERM=xterm",
		"cwd", "/",
		"rlimits", "type", "RLIMIT_NOFILE", "hard", 1024, "soft", 1024,
		"root", "path", "rootfs", "readonly", 1,
		"hostname", "realmbox");
	/* clang-format on */

	if (spec != NULL && rootless) {
		/* clang-format off */
		/* every namespace listed: realmbox refuses to be asked for a host one */
		json_t *lnx = json_pack("{s:[{s:i, s:I, s:i}], s:[{s:i, s:I, s:i}],"
					" s:[{s:s}, {s:s}, {s:s}, {s:s}, {s:s}, {s:s}]}",
					"uidMappings", "containerID", 0, "hostID",
					(json_int_t)getuid(), "size", 1,
					"gidMappings", "containerID", 0, "hostID",
					(json_int_t)getgid(), "size", 1,
					"namespaces", "type", "pid", "type", "network",
					"type", "ipc", "type", "uts", "type", "mount",
					"type", "user");
		/* clang-format on */

		if (lnx == NULL || json_object_set_new(spec, "linux", lnx) < 0) {
			json_decref(spec);
			return NULL;
		}
	}
	return spec;
}

int host_spec_write(const char *dir, bool rootless, struct rb_err *err)
{
	char *path = NULL, *text = NULL;
	json_t *spec;
	size_t len, off = 0;
	int fd, rc = 0;

	if (asprintf(&path, "%s/config.json", dir) < 0)
		return rb_err_set(err, ENOMEM, "out of memory");
	spec = default_spec(rootless);
	if (spec != NULL)
		text = json_dumps(spec, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(spec);
	if (text == NULL) {
		free(path);
		return rb_err_set(err, ENOMEM, "out of memory");
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd < 0) {
		if (errno == EEXIST)
			rc = rb_err_set(err, EEXIST, "File config.json exists. Remove it first");
		else
			rc = rb_err_sys(err, errno, "%s", path);
		goto out;
	}
	len = strlen(text);
	text[len++] = '\n'; /* json_dumps leaves room: replace the NUL */
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = rb_err_sys(err, errno, "%s: write", path);
			break;
		}
		off += (size_t)n;
	}
	if (close(fd) < 0 && rc == 0)
		rc = rb_err_sys(err, errno, "%s: close", path);
	if (rc < 0)
		unlink(path);
out:
	free(text);
	free(path);
	return rc;
}

static void spec_usage(FILE *f)
{
	fprintf(f, "usage: realmbox spec [--bundle DIR] [--rootless]\n"
		   "\n"
		   "Write a default config.json into DIR (default: the current directory),\n"
		   "never overwriting one. Edit process.args and root.path to taste.\n");
}

int host_cmd_spec(int argc, char **argv)
{
	const char *bundle = ".";
	bool rootless = false;
	struct rb_err err = {0};

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--bundle") == 0 || strcmp(a, "-b") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "realmbox: spec: option %s needs a value\n", a);
				return 2;
			}
			bundle = argv[++i];
		} else if (strncmp(a, "--bundle=", 9) == 0) {
			bundle = a + 9;
		} else if (strcmp(a, "--rootless") == 0) {
			rootless = true;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			spec_usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "realmbox: spec: unexpected argument %s\n", a);
			spec_usage(stderr);
			return 2;
		}
	}
	if (bundle[0] == '\0') {
		fprintf(stderr, "realmbox: spec: --bundle: empty path\n");
		return 1;
	}
	if (host_spec_write(bundle, rootless, &err) < 0) {
		fprintf(stderr, "realmbox: spec: %s\n", err.msg);
		return 1;
	}
	return 0;
}
