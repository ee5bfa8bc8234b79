/*
 * Small freestanding helpers of the library OS: string functions beyond
 * lib/string.h (prefixed k*, so hosted builds never clash with the C
 * library), a bounded formatter for /proc files and logs, bit helpers.
 */
#ifndef LIBOS_KLIB_H
#define LIBOS_KLIB_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/string.h"

int kstrcmp(const char *a, const char *b);
int kstrncmp(const char *a, const char *b, size_t n);
char *kstrchr(const char *s, int c);
char *kstrrchr(const char *s, int c);
/* Copy with truncation; always NUL-terminates when n > 0. Returns strlen(src). */
size_t kstrlcpy(char *dst, const char *src, size_t n);
/* Append with truncation; returns the length it tried to make. */
size_t kstrlcat(char *dst, const char *src, size_t n);
bool kstarts_with(const char *s, const char *prefix);
/*
 * memset(p, 0, len) that writes only the 4 KiB pages (by address) that are
 * not zero already: it reads every byte, but memory that has never been
 * written (fresh granules, host memory given back) is not made resident
 * by a write of zeros. For large tables that are usually zero.
 */
void kzero_sparse(void *p, size_t len);

/* vsnprintf subset: %d %i %u %x %o %s %c %p %%, flags 0 -, width, l/ll/z. */
int kvsnprintf(char *buf, size_t n, const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* sec:nsec as nanoseconds, saturating at INT64_MAX (a timeout the caller made huge). */
static inline int64_t kts_to_ns(int64_t sec, int64_t nsec)
{
	if (sec >= INT64_MAX / 1000000000LL)
		return INT64_MAX;
	return sec * 1000000000LL + nsec;
}

static inline uint64_t kalign_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}
static inline uint64_t kalign_down(uint64_t v, uint64_t a)
{
	return v & ~(a - 1);
}

#define KMIN(a, b) ((a) < (b) ? (a) : (b))
#define KMAX(a, b) ((a) > (b) ? (a) : (b))
#define KARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif /* LIBOS_KLIB_H */
