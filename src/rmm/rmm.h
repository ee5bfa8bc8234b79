/*
 * The Realm Management Monitor's entry points (Realm world, R-EL2), as the
 * monitor calls them: cold boot and the RMI handler. Everything else in
 * rmm/ is internal.
 */
#ifndef RMM_RMM_H
#define RMM_RMM_H

#include "arch/arch.h"
#include "arch/smc.h"

/*
 * Cold boot: carve the RMM's tables (granule array, VMID bitmap) out of its
 * own memory [rmm_base, rmm_base+rmm_size) (Realm PAS) for DRAM
 * [dram_base, +dram_size). Returns 0, or -ENOMEM if the region is too small.
 */
int rmm_boot(uint64_t rmm_base, uint64_t rmm_size, uint64_t dram_base, uint64_t dram_size);

/* Bytes of RMM memory rmm_boot needs for dram_size bytes of DRAM. */
uint64_t rmm_required_size(uint64_t dram_size);

/* Handle one RMI call: regs->x[0] = FID, x1..x6 arguments; results in regs. */
void rmm_handle_rmi(struct smc_regs *regs);

#endif /* RMM_RMM_H */
