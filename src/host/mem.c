/*
 * The host's NS granule allocator: a bitmap over the NS memory range that the
 * monitor's memory map gives the Normal world.
 */
#include "host/host.h"
#include "plat/plat.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static struct {
	uint64_t base;
	uint64_t nr;
	uint64_t *bitmap;
	uint64_t in_use;
	uint64_t hint;
} hm;

int host_mem_init(uint64_t base, uint64_t size)
{
	host_mem_fini();
	if (!IS_ALIGNED(base, GRANULE_SIZE) || size < GRANULE_SIZE)
		return -EINVAL;
	hm.base = base;
	hm.nr = size >> GRANULE_SHIFT;
	hm.bitmap = calloc((hm.nr + 63) / 64, sizeof(uint64_t));
	if (!hm.bitmap)
		return -ENOMEM;
	return 0;
}

void host_mem_fini(void)
{
	free(hm.bitmap);
	memset(&hm, 0, sizeof(hm));
}

static bool bit_test(uint64_t i)
{
	return hm.bitmap[i / 64] & BIT(i % 64);
}

static void bit_assign(uint64_t i, bool v)
{
	if (v)
		hm.bitmap[i / 64] |= BIT(i % 64);
	else
		hm.bitmap[i / 64] &= ~BIT(i % 64);
}

static bool range_free(uint64_t first, unsigned n)
{
	for (unsigned k = 0; k < n; k++) {
		if (bit_test(first + k))
			return false;
	}
	return true;
}

uint64_t host_granules_alloc(unsigned n, uint64_t align)
{
	uint64_t step, first, tries;

	if (!hm.bitmap || n == 0 || align < GRANULE_SIZE || (align & (align - 1)))
		return 0;
	step = align >> GRANULE_SHIFT;
	/* First candidate at or after the hint, aligned in PA. */
	for (tries = 0; tries < 2; tries++) {
		uint64_t start = tries ? 0 : hm.hint;
		uint64_t pa0 = ALIGN_UP(hm.base + (start << GRANULE_SHIFT), align);

		for (first = (pa0 - hm.base) >> GRANULE_SHIFT; first + n <= hm.nr; first += step) {
			if (!range_free(first, n))
				continue;
			for (unsigned k = 0; k < n; k++)
				bit_assign(first + k, true);
			hm.in_use += n;
			hm.hint = first + n;
			uint64_t pa = hm.base + (first << GRANULE_SHIFT);
			if (plat_zero(PAS_NS, pa, (uint64_t)n << GRANULE_SHIFT, NULL) != 0) {
				/* Not NS any more (still delegated): leave it marked used. */
				continue;
			}
			return pa;
		}
	}
	return 0;
}

uint64_t host_granule_alloc(void)
{
	return host_granules_alloc(1, GRANULE_SIZE);
}

void host_granules_free(uint64_t pa, unsigned n)
{
	if (!hm.bitmap || pa < hm.base || !IS_ALIGNED(pa, GRANULE_SIZE))
		return;
	uint64_t first = (pa - hm.base) >> GRANULE_SHIFT;
	for (unsigned k = 0; k < n && first + k < hm.nr; k++) {
		if (bit_test(first + k)) {
			bit_assign(first + k, false);
			hm.in_use--;
		}
	}
	if (first < hm.hint)
		hm.hint = first;
}

void host_granule_free(uint64_t pa)
{
	host_granules_free(pa, 1);
}

uint64_t host_granules_in_use(void)
{
	return hm.in_use;
}

int host_mem_write(uint64_t pa, const void *buf, size_t len)
{
	return plat_write(PAS_NS, pa, buf, len, NULL);
}

int host_mem_read(uint64_t pa, void *buf, size_t len)
{
	return plat_read(PAS_NS, pa, buf, len, NULL);
}
