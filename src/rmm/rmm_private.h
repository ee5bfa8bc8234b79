/*
 * RMM-global state set up at cold boot, and small shared helpers.
 */
#ifndef RMM_PRIVATE_H
#define RMM_PRIVATE_H

#include "arch/arch.h"
#include "arch/rmi.h"
#include "lib/spinlock.h"

struct rmm_globals {
	uint64_t rmm_base, rmm_size;   /* our own memory, Realm PAS */
	uint64_t dram_base, dram_size;
	uint64_t *vmid_bitmap;         /* 65536 bits, in RMM memory */
	spinlock_t vmid_lock;
};

/* Set by rmm_boot (boot.c). */
extern struct rmm_globals rmm_globals;

#define VMID_COUNT 65536ULL /* 16-bit VMIDs (FEAT_VMID16) */

/* Values FEATURES register 0 advertises beyond those of realm.h. */
#define RMM_NUM_BPS 6      /* breakpoints a realm may ask for */
#define RMM_NUM_WPS 4      /* watchpoints */
#define RMM_GICV3_NUM_LRS (RMI_GIC_NUM_LRS - 1) /* ICH_VTR_EL2.ListRegs: LRs - 1 */

/* FEATURES register 0 as rmm advertises it (REL0 layout). */
uint64_t rmm_feature_register_0(void);

#endif /* RMM_PRIVATE_H */
