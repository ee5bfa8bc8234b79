/*
 * A temporary rootfs holding one of the test guests (tests/guest/, built
 * by `make cpu` into $(BUILD)/guest/), for the deployment tests that run a
 * real arm64 program end to end.
 */
#ifndef TESTS_GUEST_ROOTFS_H
#define TESTS_GUEST_ROOTFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct guest_rootfs {
	char root[256];	  /* mkdtemp directory */
	char rootfs[300]; /* root/rootfs */
	bool have_guest;  /* the guest was built and copied to /NAME */
};

/* Make root from tmpl ("/tmp/rb-test-x-XXXXXX") with rootfs/NAME a copy of the guest. 0 or -1. */
int guest_rootfs_make(struct guest_rootfs *g, const char *tmpl, const char *name);
/* Host files standing in for a container's stdout and stderr. */
struct guest_output {
	FILE *out, *err;
};
/* Open both (tmpfile). */
void guest_output_open(struct guest_output *o);
/* What was written, NUL-terminated (truncated to the buffers), and close both. */
void guest_output_close(struct guest_output *o, char *out, size_t outlen, char *err,
			size_t errlen);

/* Remove it all. 0 or -1. */
int guest_rootfs_remove(struct guest_rootfs *g);

/*
 * The example busybox bundle's rootfs (BUILD/bundles/busybox/rootfs, made
 * with scripts/make-bundle.sh if missing) into out: true if its busybox is
 * there to run, false (out still set) if it could not be had.
 */
bool guest_busybox_rootfs(char *out, size_t n);

#endif /* TESTS_GUEST_ROOTFS_H */
