/*
 * RMM cold boot: carves the granule array and the VMID bitmap out of the
 * RMM's own memory (Realm PAS); RMM globals; VMID allocation.
 *
 * RMM memory layout from rmm_base: granule array (8 bytes per DRAM
 * granule), then the VMID bitmap (VMID_COUNT bits), granule aligned.
 */
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/string.h"
#include "plat/plat.h"
#include "rmm/granule.h"
#include "rmm/realm.h"
#include "rmm/rmm.h"
#include "rmm/rmm_private.h"

struct rmm_globals rmm_globals;

#define VMID_BITMAP_BYTES (VMID_COUNT / 8)

static uint64_t granule_array_bytes(uint64_t dram_size)
{
	return ALIGN_UP(granule_array_size(dram_size), GRANULE_SIZE);
}

uint64_t rmm_required_size(uint64_t dram_size)
{
	return granule_array_bytes(dram_size) + ALIGN_UP(VMID_BITMAP_BYTES, GRANULE_SIZE);
}

int rmm_boot(uint64_t rmm_base, uint64_t rmm_size, uint64_t dram_base, uint64_t dram_size)
{
	struct plat_fault f;
	uint8_t *mem;

	if (!IS_ALIGNED(rmm_base, GRANULE_SIZE) || !IS_ALIGNED(rmm_size, GRANULE_SIZE) ||
	    !IS_ALIGNED(dram_base, GRANULE_SIZE) || !IS_ALIGNED(dram_size, GRANULE_SIZE) ||
	    dram_size == 0 || rmm_base < dram_base || rmm_base - dram_base >= dram_size ||
	    rmm_size > dram_size - (rmm_base - dram_base))
		return -EINVAL;
	if (rmm_size < rmm_required_size(dram_size)) {
		lib_log(LOG_ERROR, "rmm", "boot: %llu bytes of RMM memory, %llu needed",
			(unsigned long long)rmm_size,
			(unsigned long long)rmm_required_size(dram_size));
		return -ENOMEM;
	}
	mem = plat_map(PAS_REALM, rmm_base, rmm_size, &f);
	if (mem == NULL) {
		lib_log(LOG_ERROR, "rmm", "boot: RMM memory at 0x%llx is not Realm PAS",
			(unsigned long long)f.pa);
		return -EFAULT;
	}
	/*
	 * The granule array and the VMID bitmap start zero (every granule NS,
	 * no VMID in use). Zeroed through the platform, which leaves memory
	 * that is zero already untouched: most entries stay zero for good, and
	 * on the emulated platform writing them made 2 MiB per GiB of DRAM
	 * resident in every machine.
	 */
	if (plat_zero(PAS_REALM, rmm_base, rmm_required_size(dram_size), &f)) {
		lib_log(LOG_ERROR, "rmm", "boot: cannot zero RMM memory at 0x%llx",
			(unsigned long long)f.pa);
		return -EFAULT;
	}
	memset(&rmm_globals, 0, sizeof(rmm_globals));
	rmm_globals.rmm_base = rmm_base;
	rmm_globals.rmm_size = rmm_size;
	rmm_globals.dram_base = dram_base;
	rmm_globals.dram_size = dram_size;
	granule_array_init((struct granule *)mem, dram_base, dram_size);
	rmm_globals.vmid_bitmap = (uint64_t *)(mem + granule_array_bytes(dram_size));
	lib_log(LOG_INFO, "rmm", "booted: %llu granules, RMM memory 0x%llx+0x%llx",
		(unsigned long long)granule_count(), (unsigned long long)rmm_base,
		(unsigned long long)rmm_size);
	return 0;
}

bool vmid_reserve(uint64_t vmid)
{
	uint64_t *word, bit;
	bool ok;

	if (vmid >= VMID_COUNT)
		return false;
	word = &rmm_globals.vmid_bitmap[vmid / 64];
	bit = BIT(vmid % 64);
	spinlock_acquire(&rmm_globals.vmid_lock);
	ok = (*word & bit) == 0;
	if (ok)
		*word |= bit;
	spinlock_release(&rmm_globals.vmid_lock);
	return ok;
}

void vmid_free(uint64_t vmid)
{
	if (vmid >= VMID_COUNT)
		return;
	spinlock_acquire(&rmm_globals.vmid_lock);
	rmm_globals.vmid_bitmap[vmid / 64] &= ~BIT(vmid % 64);
	spinlock_release(&rmm_globals.vmid_lock);
}
