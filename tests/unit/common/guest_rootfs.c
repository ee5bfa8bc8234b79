/*
 * A temporary rootfs with a test guest in it (guest_rootfs.h).
 */
#include "common/guest_rootfs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int copy_file(const char *from, const char *to)
{
	FILE *a = fopen(from, "rb"), *b;
	char buf[65536];
	size_t n;

	if (!a)
		return -1;
	b = fopen(to, "wb");
	if (!b) {
		fclose(a);
		return -1;
	}
	while ((n = fread(buf, 1, sizeof(buf), a)) > 0)
		fwrite(buf, 1, n, b);
	fclose(a);
	fclose(b);
	return chmod(to, 0755);
}

int guest_rootfs_make(struct guest_rootfs *g, const char *tmpl, const char *name)
{
	char self[512], guest[800], dst[400];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	memset(g, 0, sizeof(*g));
	if (n <= 0)
		return -1;
	self[n] = 0;
	*strrchr(self, '/') = 0; /* BUILD/tests */
	snprintf(guest, sizeof(guest), "%s/../guest/%s", self, name);
	snprintf(g->root, sizeof(g->root), "%s", tmpl);
	if (mkdtemp(g->root) == NULL)
		return -1;
	snprintf(g->rootfs, sizeof(g->rootfs), "%s/rootfs", g->root);
	mkdir(g->rootfs, 0755);
	snprintf(dst, sizeof(dst), "%s/%s", g->rootfs, name);
	g->have_guest = copy_file(guest, dst) == 0;
	return 0;
}

int guest_rootfs_remove(struct guest_rootfs *g)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g->root);
	return system(cmd) == 0 ? 0 : -1;
}

void guest_output_open(struct guest_output *o)
{
	o->out = tmpfile();
	o->err = tmpfile();
}

void guest_output_close(struct guest_output *o, char *out, size_t outlen, char *err,
			size_t errlen)
{
	rewind(o->out);
	rewind(o->err);
	out[fread(out, 1, outlen - 1, o->out)] = 0;
	err[fread(err, 1, errlen - 1, o->err)] = 0;
	fclose(o->out);
	fclose(o->err);
}

bool guest_busybox_rootfs(char *out, size_t n)
{
	char self[512], bb[700];
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n)
		out[0] = 0;
	if (len <= 0)
		return false;
	self[len] = 0;
	*strrchr(self, '/') = 0; /* BUILD/tests */
	snprintf(out, n, "%s/../bundles/busybox/rootfs", self);
	snprintf(bb, sizeof(bb), "%s/bin/busybox", out);
	if (access(bb, X_OK) != 0) {
		/* the example bundle, as the Python suites make it */
		char cmd[1400];

		snprintf(cmd, sizeof(cmd),
			 "cd '%s/../..' && scripts/make-bundle.sh '%s/../bundles' busybox >/dev/null",
			 self, self);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot make the busybox bundle: %s\n", cmd);
	}
	return access(bb, X_OK) == 0;
}
