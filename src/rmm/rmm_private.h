/*
 * RMM-global state set up at cold boot, and small shared helpers.
 */
#ifndef RMM_PRIVATE_H
#define RMM_PRIVATE_H

#include "arch/arch.h"
#include "lib/spinlock.h"

struct rmm_globals {
	uint64_t rmm_base, rmm_size;   /* our own memory, Realm PAS */
	uint64_t dram_base, dram_size;
	uint64_t *vmid_bitmap;         /* 65536 bits, in RMM memory */
	spinlock_t vmid_lock;
};

#endif /* RMM_PRIVATE_H */
