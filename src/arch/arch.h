/*
 * Basic architectural definitions shared by every component: fixed-width
 * types, bit helpers, the granule size, and COMPILER_ASSERT for ABI layouts.
 * Freestanding: only <stdint.h>, <stddef.h> and <stdbool.h>.
 */
#ifndef ARCH_ARCH_H
#define ARCH_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COMPILER_ASSERT(cond, msg) _Static_assert(cond, msg)

#define BIT(n) (1ULL << (n))
/* Mask of bits hi..lo inclusive. */
#define GENMASK(hi, lo) ((~0ULL >> (63 - (hi))) & (~0ULL << (lo)))
#define EXTRACT_BITS(v, hi, lo) (((uint64_t)(v) & GENMASK(hi, lo)) >> (lo))
#define INSERT_BITS(v, hi, lo) (((uint64_t)(v) << (lo)) & GENMASK(hi, lo))

#define GRANULE_SHIFT 12
#define GRANULE_SIZE (1ULL << GRANULE_SHIFT)
#define GRANULE_MASK (GRANULE_SIZE - 1)

#define ALIGN_DOWN(x, a) ((uint64_t)(x) & ~((uint64_t)(a) - 1))
#define ALIGN_UP(x, a) ALIGN_DOWN((uint64_t)(x) + (uint64_t)(a) - 1, a)
#define IS_ALIGNED(x, a) (((uint64_t)(x) & ((uint64_t)(a) - 1)) == 0)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define U(x) x##U
#define UL(x) x##UL

/* Physical address spaces (encoding as in cca-spec.md §7). */
enum pas {
	PAS_SECURE = 0,
	PAS_NS = 1,
	PAS_ROOT = 2,
	PAS_REALM = 3,
};

#endif /* ARCH_ARCH_H */
