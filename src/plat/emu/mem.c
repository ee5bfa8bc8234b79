/*
 * Physical memory of the emulated machine: DRAM is one host mapping at
 * PA PLAT_DRAM_BASE, and every accessor GPC-checks each granule it touches
 * (for the accessor's PAS) before it transfers a single byte.
 */
#include "plat/emu/emu.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

uint8_t *emu_dram;
uint64_t emu_dram_bytes;

#define DRAM_SIZE_ALIGN (2ULL << 20)
/* DRAM must end below 2^52 (largest PPS). */
#define DRAM_MAX_SIZE ((1ULL << 52) - PLAT_DRAM_BASE)

int plat_init(const struct plat_config *cfg)
{
	uint64_t size = cfg ? cfg->dram_size : 0;
	void *p;

	if (size == 0)
		size = PLAT_DEFAULT_DRAM_SIZE;
	if (!IS_ALIGNED(size, DRAM_SIZE_ALIGN) || size > DRAM_MAX_SIZE || size > SIZE_MAX)
		return -EINVAL;
	if (emu_dram != NULL)
		plat_fini();

	p = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -ENOMEM;
	emu_dram = p;
	emu_dram_bytes = size;
	emu_gpc_reset();
	plat_counters_reset();
	return 0;
}

void plat_fini(void)
{
	emu_as_machine_off(); /* EL0 mappings point into DRAM */
	if (emu_dram != NULL)
		munmap(emu_dram, (size_t)emu_dram_bytes);
	emu_dram = NULL;
	emu_dram_bytes = 0;
	emu_gpc_reset();
	emu_smc_reset();
}

uint64_t plat_dram_base(void)
{
	return PLAT_DRAM_BASE;
}

uint64_t plat_dram_size(void)
{
	return emu_dram_bytes;
}

bool plat_pa_in_dram(uint64_t pa, uint64_t len)
{
	uint64_t end = PLAT_DRAM_BASE + emu_dram_bytes;

	if (emu_dram == NULL || pa < PLAT_DRAM_BASE || pa >= end)
		return false;
	return len <= end - pa;
}

/*
 * GPC-check every granule of [pa, pa+len) (at least the granule of pa) in
 * ascending order; the first refusal is reported in *f.
 */
static int check_range(enum pas pas, uint64_t pa, size_t len, struct plat_fault *f)
{
	uint64_t last = pa + (len ? len - 1 : 0);
	uint64_t a = pa;

	if (last < pa) /* wraps: the check fails at or before the top granule */
		last = UINT64_MAX;
	for (;;) {
		int ret = plat_gpc_check(pas, a, f);
		if (ret != 0)
			return ret;
		if ((a >> GRANULE_SHIFT) == (last >> GRANULE_SHIFT))
			return 0;
		a = ALIGN_DOWN(a, GRANULE_SIZE) + GRANULE_SIZE;
	}
}

int plat_read(enum pas pas, uint64_t pa, void *buf, size_t len, struct plat_fault *f)
{
	int ret = check_range(pas, pa, len, f);

	if (ret != 0)
		return ret;
	if (len != 0)
		memcpy(buf, emu_pa_ptr(pa), len);
	return 0;
}

int plat_write(enum pas pas, uint64_t pa, const void *buf, size_t len, struct plat_fault *f)
{
	int ret = check_range(pas, pa, len, f);

	if (ret != 0)
		return ret;
	if (len != 0)
		memcpy(emu_pa_ptr(pa), buf, len);
	return 0;
}

/*
 * Zero [p, p + len) without keeping zeros resident: the emulated DRAM is
 * private anonymous host memory, where a page never written reads as zero
 * without being resident, and a page given back with MADV_DONTNEED reads as
 * zero again. Whole 4 KiB host pages that are zero already are left alone
 * (scrubbing fresh granules used to make each realm container's machine
 * resident for ~67 MiB of zeros); whole pages with content are given back,
 * consecutive ones in one call (a scrubbed granule used to stay resident,
 * full of zeros). Partial pages, and pages the host refuses to take back,
 * are written.
 */
static void drop_or_clear(uint8_t *p, size_t len)
{
	if (len && madvise(p, len, MADV_DONTNEED) != 0)
		memset(p, 0, len);
}

static void zero_sparse(uint8_t *p, size_t len)
{
	uint8_t *run = NULL; /* start of pending whole pages to give back */

	while (len > 0) {
		size_t n = 4096 - ((uintptr_t)p & 4095);
		const uint64_t *w = (const uint64_t *)p;
		size_t i;

		if (n > len)
			n = len;
		if (n == 4096) {
			for (i = 0; i < 4096 / 8 && w[i] == 0; i++)
				;
			if (i < 4096 / 8) {
				if (!run)
					run = p;
			} else if (run) {
				drop_or_clear(run, (size_t)(p - run));
				run = NULL;
			}
		} else {
			if (run) {
				drop_or_clear(run, (size_t)(p - run));
				run = NULL;
			}
			memset(p, 0, n);
		}
		p += n;
		len -= n;
	}
	if (run)
		drop_or_clear(run, (size_t)(p - run));
}

int plat_zero(enum pas pas, uint64_t pa, size_t len, struct plat_fault *f)
{
	int ret = check_range(pas, pa, len, f);

	if (ret != 0)
		return ret;
	if (len != 0)
		zero_sparse(emu_pa_ptr(pa), len);
	return 0;
}

/* Aligned 64-bit accesses are single-copy atomic, as on the hardware. */
int plat_read_u64(enum pas pas, uint64_t pa, uint64_t *val, struct plat_fault *f)
{
	int ret = check_range(pas, pa, sizeof(*val), f);

	if (ret != 0)
		return ret;
	if (IS_ALIGNED(pa, 8))
		*val = __atomic_load_n((uint64_t *)emu_pa_ptr(pa), __ATOMIC_RELAXED);
	else
		memcpy(val, emu_pa_ptr(pa), sizeof(*val));
	return 0;
}

int plat_write_u64(enum pas pas, uint64_t pa, uint64_t val, struct plat_fault *f)
{
	int ret = check_range(pas, pa, sizeof(val), f);

	if (ret != 0)
		return ret;
	if (IS_ALIGNED(pa, 8))
		__atomic_store_n((uint64_t *)emu_pa_ptr(pa), val, __ATOMIC_RELAXED);
	else
		memcpy(emu_pa_ptr(pa), &val, sizeof(val));
	return 0;
}

void *plat_map(enum pas pas, uint64_t pa, size_t len, struct plat_fault *f)
{
	if (check_range(pas, pa, len, f) != 0)
		return NULL;
	return emu_pa_ptr(pa);
}
