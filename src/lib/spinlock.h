/*
 * Spinlocks and atomic helpers for the trusted code (GCC __atomic builtins,
 * freestanding). Used for granule locks, the GPT lock and counters.
 */
#ifndef LIB_SPINLOCK_H
#define LIB_SPINLOCK_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
	uint32_t val;
} spinlock_t;

#define SPINLOCK_INIT { 0 }

/* A CPU hint inside spin loops. */
static inline void spin_relax(void)
{
#if defined(__x86_64__)
	__asm__ volatile("pause");
#elif defined(__aarch64__)
	__asm__ volatile("yield");
#endif
}

static inline void spinlock_acquire(spinlock_t *l)
{
	while (__atomic_exchange_n(&l->val, 1U, __ATOMIC_ACQUIRE) != 0U) {
		while (__atomic_load_n(&l->val, __ATOMIC_RELAXED) != 0U)
			spin_relax();
	}
}

static inline bool spinlock_try_acquire(spinlock_t *l)
{
	return __atomic_exchange_n(&l->val, 1U, __ATOMIC_ACQUIRE) == 0U;
}

static inline void spinlock_release(spinlock_t *l)
{
	__atomic_store_n(&l->val, 0U, __ATOMIC_RELEASE);
}

static inline void atomic_add_u64(uint64_t *p, uint64_t v)
{
	__atomic_fetch_add(p, v, __ATOMIC_RELAXED);
}

static inline uint64_t atomic_load_u64(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void atomic_store_u64(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

#endif /* LIB_SPINLOCK_H */
