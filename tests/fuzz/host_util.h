/*
 * Host helpers of the fuzz targets, in their own file because library OS
 * code includes libos/kernel.h, whose arm64 ABI constants clash with the
 * host's <sys/mman.h> and <sys/stat.h>.
 */
#ifndef FUZZ_HOST_UTIL_H
#define FUZZ_HOST_UTIL_H

#include <stdbool.h>
#include <stddef.h>

/*
 * FUZZ_STRICT=1 in the environment: the targets stop stepping around bugs
 * reported but not fixed yet (fuzz.sh sets it to replay regressions/NAME/open/).
 */
bool strict(void);

/* Remove the tree at path (no symlink followed), like rm -rf. 0 or -1. */
int fz_rm_rf(const char *path);

/* len bytes of fresh zeroed pages (aborts when out of memory). */
void *fz_pages(size_t len);
/* Give the pages back to the kernel: they read as zeros again. */
void fz_pages_zero(void *p, size_t len);

#endif /* FUZZ_HOST_UTIL_H */
