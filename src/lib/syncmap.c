/*
 * File-backed MAP_SHARED ranges (lib/syncmap.h): which ranges a completed
 * mmap/munmap/mremap/execve adds or drops, and the small fixed tables the
 * RMM and the mini-OS keep them in.
 */
#include "lib/syncmap.h"

#define SYS_MUNMAP 215
#define SYS_MREMAP 216
#define SYS_EXECVE 221
#define SYS_MMAP 222
#define SYS_EXECVEAT 281

#define MAP_TYPE 0x0fULL
#define MAP_SHARED 0x01ULL
#define MAP_SHARED_VALIDATE 0x03ULL
#define MAP_FIXED 0x10ULL
#define MAP_ANONYMOUS 0x20ULL
#define MAP_FIXED_NOREPLACE 0x100000ULL

#define PG 4096ULL

/* [a, a + len rounded up to pages) if sane (page aligned, below limit), else end 0. */
static struct syncmap_range range_of(uint64_t a, uint64_t len, uint64_t limit)
{
	struct syncmap_range r = {0, 0};
	uint64_t l = (len + PG - 1) & ~(PG - 1);

	if ((a & (PG - 1)) != 0 || len == 0 || l < len || a >= limit || l > limit - a)
		return r;
	r.start = a;
	r.end = a + l;
	return r;
}

static bool failed(uint64_t result)
{
	return result >= (uint64_t)-4095; /* -errno */
}

void syncmap_change(unsigned nr, const uint64_t args[6], uint64_t result, uint64_t va_limit,
		    struct syncmap_range *drop, struct syncmap_range *drop2,
		    struct syncmap_range *add, bool *clear)
{
	uint64_t flags = args[3];

	drop->start = drop->end = drop2->start = drop2->end = 0;
	add->start = add->end = 0;
	*clear = false;
	if (failed(result))
		return;
	switch (nr) {
	case SYS_MMAP:
		*drop = range_of(result, args[1], va_limit);
		if (drop->end == 0 || (flags & MAP_ANONYMOUS) != 0 || (int32_t)args[4] < 0)
			return;
		if ((flags & MAP_TYPE) != MAP_SHARED && (flags & MAP_TYPE) != MAP_SHARED_VALIDATE)
			return;
		if ((flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) != 0 && result != args[0])
			return;
		*add = *drop;
		return;
	case SYS_MUNMAP:
		if (result == 0)
			*drop = range_of(args[0], args[1], va_limit);
		return;
	case SYS_MREMAP:
		/* the old range goes; the new one is not a sync range (not tracked) */
		*drop = range_of(args[0], args[1], va_limit);
		*drop2 = range_of(result, args[2], va_limit);
		return;
	case SYS_EXECVE:
	case SYS_EXECVEAT:
		*clear = true;
		return;
	default:
		return;
	}
}

void syncmap_drop(struct syncmap_range *t, unsigned n, uint64_t start, uint64_t end)
{
	for (unsigned i = 0; i < n; i++) {
		struct syncmap_range *r = &t[i];

		if (r->end == 0 || r->end <= start || end <= r->start)
			continue;
		if (start <= r->start && end >= r->end) {
			r->start = r->end = 0;
		} else if (start <= r->start) {
			r->start = end;
		} else if (end >= r->end) {
			r->end = start;
		} else {
			/* a hole in the middle: the tail needs an entry of its own */
			uint64_t tail = r->end;

			r->end = start;
			if (!syncmap_add(t, n, end, tail))
				r->start = r->end = 0;
		}
	}
}

bool syncmap_add(struct syncmap_range *t, unsigned n, uint64_t start, uint64_t end)
{
	if (end <= start)
		return true;
	for (unsigned i = 0; i < n; i++) {
		if (t[i].end == 0) {
			t[i].start = start;
			t[i].end = end;
			return true;
		}
	}
	return false;
}

bool syncmap_inside(const struct syncmap_range *t, unsigned n, uint64_t va, uint64_t len)
{
	if (len == 0 || va + len < va)
		return false;
	for (unsigned i = 0; i < n; i++) {
		if (t[i].end != 0 && va >= t[i].start && va + len <= t[i].end)
			return true;
	}
	return false;
}
