/*
 * The library OS environment of the libos fuzz targets (libos_env.h):
 * test_libos_core.c's fake PAL, setup and teardown, with what costs a fuzz
 * input most done differently: the host directory is made in /dev/shm
 * when there is one and removed in-process (not by rm -rf in a shell), and
 * the library OS's 64 MiB region is mapped once and dropped with
 * MADV_DONTNEED between inputs (ASan poisons a fresh 64 MiB allocation).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "host_util.h"
#include "libos_env.h"

/* teardown's system("rm -rf DIR") */
static int rm_rf(const char *cmd)
{
	if (strncmp(cmd, "rm -rf ", 7) != 0)
		abort();
	return fz_rm_rf(cmd + 7);
}

/* setup's mkdtemp("/tmp/libos-test-XXXXXX"), in /dev/shm if possible */
static char *shm_mkdtemp(char *tmpl)
{
	static const char shm[] = "/dev/shm/libos-fuzz-XXXXXX";
	char save[32];

	if (strlen(tmpl) >= sizeof(shm)) {
		memcpy(save, tmpl, strlen(tmpl) + 1);
		memcpy(tmpl, shm, sizeof(shm));
		if (mkdtemp(tmpl))
			return tmpl;
		memcpy(tmpl, save, strlen(save) + 1);
	}
	return mkdtemp(tmpl);
}

static void *region_mem;
static size_t region_len;

/* setup's aligned_alloc of the library OS region, teardown's free of it */
static void *region_alloc(size_t align, size_t len)
{
	if (!region_mem) {
		region_mem = fz_pages(len);
		region_len = len;
	}
	if (len != region_len || align > 4096)
		abort();
	return region_mem;
}

static void region_free(void *p)
{
	if (p == region_mem)
		fz_pages_zero(region_mem, region_len); /* zero again, like a fresh one */
	else
		free(p);
}

#define main libos_core_main
#define system(cmd) rm_rf(cmd)
#define mkdtemp(tmpl) shm_mkdtemp(tmpl)
#define aligned_alloc(align, len) region_alloc(align, len)
#define free(p) region_free(p)
#include "../unit/test_libos_core.c"
#undef main
#undef system
#undef mkdtemp
#undef aligned_alloc
#undef free

struct task *fz_libos_begin(void)
{
	static bool init;

	if (!init) {
		setenv("CMOCKA_TEST_ABORT", "1", 1);
		init = true;
	}
	console_len = 0;
	setup(NULL);
	return T;
}

void fz_libos_end(void)
{
	teardown(NULL);
}
