/*
 * Granule tracking (granule.h): the granule array in RMM memory, locks,
 * state transitions, refcounts, Realm-PAS mappings and NS buffer copies.
 */
#include "rmm/granule.h"
#include "lib/assert.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "plat/plat.h"

static struct granule *granules;
static uint64_t granules_base;
static uint64_t granules_nr;

uint64_t granule_array_size(uint64_t dram_size)
{
	return (dram_size >> GRANULE_SHIFT) * sizeof(struct granule);
}

void granule_array_init(struct granule *array, uint64_t dram_base, uint64_t dram_size)
{
	ASSERT(array != NULL);
	ASSERT(IS_ALIGNED(dram_base, GRANULE_SIZE) && IS_ALIGNED(dram_size, GRANULE_SIZE));
	granules = array;
	granules_base = dram_base;
	granules_nr = dram_size >> GRANULE_SHIFT;
}

struct granule *granule_find(uint64_t pa)
{
	uint64_t idx;

	if (!IS_ALIGNED(pa, GRANULE_SIZE) || pa < granules_base)
		return NULL;
	idx = (pa - granules_base) >> GRANULE_SHIFT;
	if (idx >= granules_nr)
		return NULL;
	return &granules[idx];
}

uint64_t granule_addr(const struct granule *g)
{
	uint64_t idx = (uint64_t)(g - granules);

	ASSERT(g >= granules && idx < granules_nr);
	return granules_base + (idx << GRANULE_SHIFT);
}

uint64_t granule_count(void)
{
	return granules_nr;
}

struct granule *granule_at(uint64_t idx)
{
	return idx < granules_nr ? &granules[idx] : NULL;
}

void granule_lock(struct granule *g)
{
	spinlock_acquire(&g->lock);
}

void granule_unlock(struct granule *g)
{
	spinlock_release(&g->lock);
}

enum granule_state granule_get_state(const struct granule *g)
{
	return (enum granule_state)__atomic_load_n(&g->state, __ATOMIC_RELAXED);
}

void granule_set_state(struct granule *g, enum granule_state s)
{
	ASSERT((unsigned)s < GRANULE_STATE_NR);
	__atomic_store_n(&g->state, (uint8_t)s, __ATOMIC_RELAXED);
}

void granule_unlock_transition(struct granule *g, enum granule_state s)
{
	granule_set_state(g, s);
	granule_unlock(g);
}

struct granule *find_lock_granule(uint64_t pa, enum granule_state expected)
{
	struct granule *g = granule_find(pa);

	if (g == NULL)
		return NULL;
	granule_lock(g);
	if (granule_get_state(g) != expected) {
		granule_unlock(g);
		return NULL;
	}
	return g;
}

bool find_lock_granules(struct granule_set *set, unsigned n)
{
	unsigned order[GRANULE_SET_MAX];
	unsigned i, j;

	if (n == 0 || n > GRANULE_SET_MAX)
		return false;
	for (i = 0; i < n; i++) {
		set[i].g = granule_find(set[i].addr);
		if (set[i].g == NULL)
			return false;
	}
	/* Insertion sort of the indices by address; equal addresses alias. */
	for (i = 0; i < n; i++) {
		unsigned k = i;

		for (j = i; j > 0 && set[order[j - 1]].addr > set[k].addr; j--)
			order[j] = order[j - 1];
		order[j] = k;
	}
	for (i = 1; i < n; i++) {
		if (set[order[i]].addr == set[order[i - 1]].addr)
			return false;
	}
	for (i = 0; i < n; i++) {
		struct granule_set *e = &set[order[i]];

		granule_lock(e->g);
		if (granule_get_state(e->g) != e->state) {
			/* Unlock in reverse, including this one. */
			for (j = i + 1; j-- > 0;)
				granule_unlock(set[order[j]].g);
			return false;
		}
	}
	return true;
}

/*
 * Refcounts are updated atomically even under the lock: the RD's count is
 * also dropped without the RD lock (REC_DESTROY, atomic_granule_put).
 */
void granule_refcount_inc(struct granule *g)
{
	uint16_t old = __atomic_fetch_add(&g->refcount, 1, __ATOMIC_RELAXED);

	ASSERT(old != UINT16_MAX);
}

void granule_refcount_dec(struct granule *g)
{
	uint16_t old = __atomic_fetch_sub(&g->refcount, 1, __ATOMIC_RELAXED);

	ASSERT(old != 0);
}

uint16_t granule_refcount_read(const struct granule *g)
{
	return __atomic_load_n(&g->refcount, __ATOMIC_ACQUIRE);
}

void atomic_granule_get(struct granule *g)
{
	uint16_t old = __atomic_fetch_add(&g->refcount, 1, __ATOMIC_ACQUIRE);

	ASSERT(old != UINT16_MAX);
}

void atomic_granule_put(struct granule *g)
{
	uint16_t old = __atomic_fetch_sub(&g->refcount, 1, __ATOMIC_RELEASE);

	ASSERT(old != 0);
}

void *granule_map(struct granule *g)
{
	struct plat_fault f;
	void *p;

	ASSERT(granule_get_state(g) != GRANULE_STATE_NS);
	p = plat_map(PAS_REALM, granule_addr(g), GRANULE_SIZE, &f);
	ASSERT(p != NULL);
	return p;
}

void granule_memzero(struct granule *g)
{
	int ret;

	ASSERT(granule_get_state(g) != GRANULE_STATE_NS);
	/* through the platform, which may leave an already-zero granule untouched */
	ret = plat_zero(PAS_REALM, granule_addr(g), GRANULE_SIZE, NULL);
	ASSERT(ret == 0);
	(void)ret;
}

static int ns_buffer_check(uint64_t pa, size_t offset, size_t len)
{
	if (!IS_ALIGNED(pa, GRANULE_SIZE) || offset > GRANULE_SIZE || len > GRANULE_SIZE - offset)
		return -EINVAL;
	if (!plat_pa_in_dram(pa, GRANULE_SIZE))
		return -EFAULT;
	return 0;
}

int ns_buffer_read(uint64_t pa, size_t offset, void *dst, size_t len)
{
	int ret = ns_buffer_check(pa, offset, len);

	if (ret)
		return ret;
	return plat_read(PAS_NS, pa + offset, dst, len, NULL) ? -EFAULT : 0;
}

int ns_buffer_write(uint64_t pa, size_t offset, const void *src, size_t len)
{
	int ret = ns_buffer_check(pa, offset, len);

	if (ret)
		return ret;
	return plat_write(PAS_NS, pa + offset, src, len, NULL) ? -EFAULT : 0;
}
