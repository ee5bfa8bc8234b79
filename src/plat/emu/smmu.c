/*
 * The SMMU of the emulated machine (plat.h, "The SMMU"): devices under the
 * host's control reach DRAM only through its granule protection check, as
 * on a CCA system where the SMMU checks every device access against the
 * GPT that EL3 gave it. Devices are Normal-world requesters; streams bypass
 * translation, so a device names any physical address it likes and the GPC
 * alone decides.
 */
#include "plat/emu/emu.h"

#include "arch/gpt.h"

#include <errno.h>
#include <string.h>

static uint64_t reg_gpt_base; /* SMMU_ROOT_GPT_BASE */
static bool reg_gpcen;	      /* SMMU_ROOT_CR0.GPCEN */

void plat_smmu_write_gpt_base(uint64_t gptbr)
{
	__atomic_store_n(&reg_gpt_base, gptbr, __ATOMIC_RELEASE);
}

uint64_t plat_smmu_read_gpt_base(void)
{
	return __atomic_load_n(&reg_gpt_base, __ATOMIC_ACQUIRE);
}

void plat_smmu_write_gpcen(bool on)
{
	__atomic_store_n(&reg_gpcen, on, __ATOMIC_RELEASE);
}

/* Check every granule of [pa, pa+len) for an NS device access. */
static int dma_check(uint64_t pa, size_t len, struct plat_fault *f)
{
	uint64_t end = pa + len, base = plat_smmu_read_gpt_base();

	if (len == 0 || end < pa || !plat_pa_in_dram(pa, len)) {
		if (f != NULL) {
			memset(f, 0, sizeof(*f));
			f->kind = PLAT_FAULT_EXTERNAL;
			f->pa = pa;
			f->pas = PAS_NS;
		}
		plat_count(PLAT_CNT_DMA_ABORT);
		return -EFAULT;
	}
	if (!__atomic_load_n(&reg_gpcen, __ATOMIC_ACQUIRE))
		return 0;
	for (uint64_t g = pa & ~(GRANULE_SIZE - 1); g < end; g += GRANULE_SIZE) {
		int ret = emu_gpc_check_at(base, PAS_NS, g < pa ? pa : g, f);

		if (ret != 0) {
			if (f != NULL)
				f->to_el3 = false; /* an SMMU event, not a PE exception */
			plat_count(PLAT_CNT_DMA_ABORT);
			return ret;
		}
	}
	return 0;
}

int plat_dma_read(uint64_t pa, void *buf, size_t len, struct plat_fault *f)
{
	int ret = dma_check(pa, len, f);

	if (ret == 0)
		memcpy(buf, emu_pa_ptr(pa), len);
	return ret;
}

int plat_dma_write(uint64_t pa, const void *buf, size_t len, struct plat_fault *f)
{
	int ret = dma_check(pa, len, f);

	if (ret == 0)
		memcpy(emu_pa_ptr(pa), buf, len);
	return ret;
}
