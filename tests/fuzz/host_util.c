/* Host helpers of the fuzz targets (host_util.h). */
#define _XOPEN_SOURCE 700
#define _DEFAULT_SOURCE
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "host_util.h"

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

bool strict(void)
{
	static int on = -1;

	if (on < 0) {
		const char *e = getenv("FUZZ_STRICT");
		on = e && e[0] == '1';
	}
	return on;
}

int fz_rm_rf(const char *path)
{
	return nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void *fz_pages(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		abort();
	return p;
}

void fz_pages_zero(void *p, size_t len)
{
	madvise(p, len, MADV_DONTNEED);
}
