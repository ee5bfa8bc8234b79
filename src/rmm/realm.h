/*
 * Realm Descriptor (RD): the per-realm state the RMM keeps in the RD
 * granule, and helpers on a realm's IPA space.
 */
#ifndef RMM_REALM_H
#define RMM_REALM_H

#include "arch/arch.h"
#include "arch/rmi.h"
#include "arch/rsi.h"
#include "lib/hash.h"
#include "lib/spinlock.h"
#include "lib/syncmap.h"
#include "plat/plat.h"
#include "rmm/granule.h"

#define REALM_NEW RMI_REALM_NEW
#define REALM_ACTIVE RMI_REALM_ACTIVE
#define REALM_SYSTEM_OFF RMI_REALM_SYSTEM_OFF

/* Limits realmbox supports (FEATURES register 0 advertises them). */
#define RMM_MIN_IPA_BITS 32
#define RMM_MAX_IPA_BITS 48
#define RMM_MAX_RECS_ORDER 9 /* up to 512 RECs per realm */

/*
 * A Container Realm's EL0 address spaces (rmm/fasco_as.c): slot i is the
 * one whose DATA granules carry OWNER tag i + 1. refs = the container RECs
 * that run in it (threads of one process share it); its pages are
 * scrubbed and released when the last one leaves. `lock` serialises the
 * changes and copies of the RSI calls on it (map, unmap, protect, copy,
 * fork) made through the channels of different RECs.
 */
#define RB_SYNC_MAX 4 /* sync ranges per address space */

struct rb_as_slot {
	uint32_t refs;
	spinlock_t lock;
	struct plat_as *as;
};

struct rd {
	uint64_t state;                /* REALM_NEW / ACTIVE / SYSTEM_OFF */
	uint64_t flags;                /* RmiRealmParams.flags as accepted */
	uint64_t ipa_bits;             /* s2sz */
	int64_t rtt_level_start;
	uint64_t rtt_num_start;
	uint64_t rtt_base;             /* first root RTT granule */
	uint64_t vmid;
	enum hash_algo algo;
	uint64_t rec_count;            /* RECs ever created: the next MPIDR index */
	uint8_t rpv[RMI_REALM_PARAMS_RPV_SIZE];
	uint8_t measurement[MEASUREMENT_SLOT_NR][MAX_MEASUREMENT_SIZE];

	/* realmbox Fasco (fasco.h): fixed at REALM_CREATE unless noted. */
	uint64_t rb_kind;              /* RB_REALM_KIND_* */
	uint64_t rb_system_rd;         /* container: its System Realm's RD */
	uint64_t rb_config_ipa;        /* container: measured start configuration */
	uint64_t rb_config_size;
	uint64_t rb_bound;             /* system: Container Realms bound to it (atomic) */
	uint64_t rb_channels;          /* system: its channels (atomic) */
	/* Counters (atomic): see RMI_RB_REALM_COUNTERS. */
	uint64_t rb_forwards;
	uint64_t rb_refusals;
	uint64_t rb_copies;
	uint64_t rb_copy_bytes;
	uint64_t rb_reg_reads;         /* GET_REGS */
	uint64_t rb_kicks;             /* KICK calls accepted */
	uint64_t rb_threads;           /* THREAD calls accepted */
	/* container: address spaces by OWNER tag - 1 (refs and `as` under rb_as_lock) */
	spinlock_t rb_as_lock;
	struct rb_as_slot rb_as[GRANULE_FASCO_OWNER_MAX];
	/*
	 * container: each address space's file-backed MAP_SHARED ranges
	 * (lib/syncmap.h), under its slot's lock: the System Realm may copy
	 * their pages at any request (file coherence).
	 */
	struct syncmap_range rb_sync[GRANULE_FASCO_OWNER_MAX][RB_SYNC_MAX];
};
COMPILER_ASSERT(sizeof(struct rd) <= GRANULE_SIZE, "RD fits a granule");

/* The RD inside a locked RD granule. */
static inline struct rd *rd_map(struct granule *g)
{
	return (struct rd *)granule_map(g);
}

/* Protected IPAs are below 2^(ipa_bits-1); the top half is unprotected. */
static inline bool addr_in_par(const struct rd *rd, uint64_t ipa)
{
	return ipa < (1ULL << (rd->ipa_bits - 1));
}

static inline bool addr_in_realm(const struct rd *rd, uint64_t ipa)
{
	return ipa < (1ULL << rd->ipa_bits);
}

/* Granule of the first root RTT. */
static inline struct granule *rd_rtt_root(const struct rd *rd)
{
	return granule_find(rd->rtt_base);
}

/* VMIDs (in RMM memory). Returns true if vmid was free and is now taken. */
bool vmid_reserve(uint64_t vmid);
void vmid_free(uint64_t vmid);

#endif /* RMM_REALM_H */
