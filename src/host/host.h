/*
 * The host (Normal world) side of the machine: an allocator for NS granules
 * and the RMI client. The host reaches the RMM only through SMCs with spec
 * function IDs and reaches memory only through NS-PAS platform accessors.
 */
#ifndef HOST_HOST_H
#define HOST_HOST_H

#include "arch/arch.h"
#include "arch/smc.h"

/* ---- NS memory ------------------------------------------------------- */

/*
 * Manage [base, base+size) as the host's physical memory (granule aligned).
 * Returns 0, -EINVAL for a bad range, -ENOMEM. Re-initialising resets it.
 */
int host_mem_init(uint64_t base, uint64_t size);
void host_mem_fini(void);

/*
 * One zeroed NS granule; 0 when none is left. The host zeroes it through
 * the NS accessor, so a granule it no longer owns (delegated) is not touched.
 */
uint64_t host_granule_alloc(void);
/* n contiguous zeroed granules aligned to `align` bytes (power of 2); 0 if none. */
uint64_t host_granules_alloc(unsigned n, uint64_t align);
/* Give granules back to the allocator; freeing what was not allocated is ignored. */
void host_granule_free(uint64_t pa);
void host_granules_free(uint64_t pa, unsigned n);
/* Granules currently allocated (for leak checks). */
uint64_t host_granules_in_use(void);

/* NS-PAS access to host memory: 0 or -EFAULT (a GPF: not NS any more). */
int host_mem_write(uint64_t pa, const void *buf, size_t len);
int host_mem_read(uint64_t pa, void *buf, size_t len);

/* ---- RMI client ------------------------------------------------------ */

/*
 * Issue one RMI call from the Normal world. Returns X0 (the RMI status word);
 * *res (may be NULL) receives X0..X4.
 */
uint64_t host_rmi(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
		  uint64_t a5, uint64_t a6, struct smc_regs *res);

/* Printable name of an RMI status code ("RMI_ERROR_INPUT"). */
const char *host_rmi_status_name(uint64_t status);

#endif /* HOST_HOST_H */
