/*
 * Private to plat/emu/cpu: the address-space layout shared by the C part
 * (cpu_as.c, cpu_pool.c) and the dynarmic wrapper (cpu.cpp).
 *
 * An address space keeps two flat tables indexed by guest page number
 * (2^27 entries each for 39-bit VAs, reserved with MAP_NORESERVE so only
 * the touched parts cost memory):
 *  - pt: the table dynarmic reads on its fast path, one host pointer per
 *    page. It holds only pages that are readable AND writable, because
 *    dynarmic uses the same table for loads and stores and checks no
 *    permissions. Everything else (R-only, RX, X-only, W-only, absent) is a
 *    null entry, so those accesses reach the memory callbacks.
 *    pt lives in a memfd: each vCPU maps it at the fixed address that was
 *    compiled into its JIT (the pool builds JITs before the address space
 *    exists), so all vCPUs of one process see one table.
 *  - shadow: every mapped page, host page address | CPU_PTE_* bits. The
 *    callbacks, code fetch and cpu_as_query/read/write consult it.
 */
#ifndef PLAT_EMU_CPU_CPU_INTERNAL_H
#define PLAT_EMU_CPU_CPU_INTERNAL_H

#include <pthread.h>

#include "plat/emu/cpu/cpu.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CPU_PAGE_SHIFT 12
#define CPU_NPAGES (1ULL << (CPU_VA_BITS - CPU_PAGE_SHIFT))
#define CPU_TABLE_BYTES (CPU_NPAGES * sizeof(uint64_t))

/* shadow entry bits (the host page address occupies bits 63:12) */
#define CPU_PTE_R 1ULL
#define CPU_PTE_W 2ULL
#define CPU_PTE_X 4ULL
#define CPU_PTE_VALID 8ULL
#define CPU_PTE_PROT_MASK 7ULL
#define CPU_PTE_ADDR_MASK (~0xFFFULL)

struct cpu_as {
	int memfd;             /* backs pt; vCPUs map it */
	void **pt;             /* dynarmic's table (RW pages only), writable view */
	uint64_t *shadow;      /* all pages with permissions */
	pthread_mutex_t lock;  /* writers of the tables and the vCPU list */
	struct cpu_vcpu **vcpus; /* attached vCPUs */
	unsigned nvcpus;
	unsigned cap;
};

static inline uint64_t cpu_as_pte(const struct cpu_as *as, uint64_t va)
{
	if (va >= CPU_VA_LIMIT)
		return 0;
	return __atomic_load_n(&as->shadow[va >> CPU_PAGE_SHIFT], __ATOMIC_ACQUIRE);
}

/* Add/remove a vCPU to/from the list cpu_as_invalidate walks. */
int cpu_as_link_vcpu(struct cpu_as *as, struct cpu_vcpu *vcpu);
void cpu_as_unlink_vcpu(struct cpu_as *as, struct cpu_vcpu *vcpu);

/*
 * cpu_engine_warmup that keeps its vCPU: the first call in the process
 * warms the engine up and returns the vCPU that ran the warm-up, reset and
 * detached like one cpu_put gives back (NULL if the warm-up failed); later
 * calls return NULL. Implemented by cpu.cpp, used by cpu_pool_init.
 */
struct cpu_vcpu *cpu_engine_warmup_keep(void);

/* cpu_reset that keeps compiled code shared translation can reuse (cpu_put). */
void cpu_recycle(struct cpu_vcpu *vcpu);

/* Implemented by cpu.cpp: queue a code-cache invalidation on one vCPU (thread-safe). */
void cpu_vcpu_invalidate(struct cpu_vcpu *vcpu, uint64_t va, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* PLAT_EMU_CPU_CPU_INTERNAL_H */
