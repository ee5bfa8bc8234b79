/*
 * File-backed MAP_SHARED ranges ("sync ranges"), shared by the RMM's
 * verification (rmm/fasco_verify.c) and the mini-OS's (minios/mm.c).
 *
 * Linux keeps a MAP_SHARED mapping of a file coherent with read(2) and
 * write(2) of that file; the container OS does it by copying the mapped
 * pages at any system call (libos/shm.c). Those copies are outside the
 * ranges the pending call names, so the trusted layer allows them only
 * inside ranges the container's OWN mmap of a file with MAP_SHARED
 * returned -- memory whose content the container gave to the file, which
 * the container OS holds anyway. What each completed system call changes
 * of them comes from its arguments and result, never from the container OS.
 */
#ifndef LIB_SYNCMAP_H
#define LIB_SYNCMAP_H

#include <stdbool.h>
#include <stdint.h>

struct syncmap_range {
	uint64_t start, end; /* [start, end), page aligned; end == 0: a free entry */
};

/*
 * What the system call nr(args) that completed with `result` does to the
 * sync ranges of its address space (VAs below va_limit): *drop (end 0 if
 * none) and drop2 are ranges that stop being what they were (mmap's new
 * range, munmap's, mremap's old and new), *add (end 0 if none) a new sync
 * range (mmap of a file descriptor with MAP_SHARED or MAP_SHARED_VALIDATE
 * that succeeded, page aligned, inside va_limit, at the address asked for
 * when MAP_FIXED/MAP_FIXED_NOREPLACE). The caller applies drops, then the
 * add -- only if nothing is mapped in it yet (a fresh mapping, faulted in
 * later). execve: *clear = true (the address space is new).
 */
void syncmap_change(unsigned nr, const uint64_t args[6], uint64_t result, uint64_t va_limit,
		    struct syncmap_range *drop, struct syncmap_range *drop2,
		    struct syncmap_range *add, bool *clear);

/*
 * Remove [start, end) from the n-entry table t: ranges shrink or split; a
 * split without a free entry drops the whole range (fewer copies allowed,
 * never more).
 */
void syncmap_drop(struct syncmap_range *t, unsigned n, uint64_t start, uint64_t end);

/* Add [start, end) to t: false if every entry is in use (nothing added). */
bool syncmap_add(struct syncmap_range *t, unsigned n, uint64_t start, uint64_t end);

/* Is [va, va+len) (len > 0) inside one range of t? */
bool syncmap_inside(const struct syncmap_range *t, unsigned n, uint64_t va, uint64_t len);

#endif /* LIB_SYNCMAP_H */
