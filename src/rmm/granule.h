/*
 * Granule tracking: one struct granule per DRAM granule, held in the RMM's
 * own (Realm PAS) memory. State machine, locks and refcounts of cca-spec §2.
 *
 * Lock order: NS, DELEGATED, RD, REC in ascending PA (find_lock_granules);
 * then RTT root to leaf, DATA, REC_AUX.
 */
#ifndef RMM_GRANULE_H
#define RMM_GRANULE_H

#include "arch/arch.h"
#include "lib/spinlock.h"

enum granule_state {
	GRANULE_STATE_NS = 0,
	GRANULE_STATE_DELEGATED = 1,
	GRANULE_STATE_RD = 2,
	GRANULE_STATE_REC = 3,
	GRANULE_STATE_REC_AUX = 4,
	GRANULE_STATE_DATA = 5,
	GRANULE_STATE_RTT = 6,
	GRANULE_STATE_CHANNEL = 7, /* realmbox: a Fasco forwarding channel (fasco.h) */
	GRANULE_STATE_NR
};

struct granule {
	spinlock_t lock;
	uint8_t state;     /* enum granule_state */
	uint8_t fasco;     /* DATA only (Fasco): GRANULE_FASCO_* below, lock held */
	uint16_t refcount; /* RD: RECs; RTT: live entries; REC: 1 while running */
};
COMPILER_ASSERT(sizeof(struct granule) == 8, "granule size");

/*
 * Fasco bookkeeping of a DATA granule (granule.fasco, under its lock):
 * which container REC's address space maps it (OWNER: REC index + 1, 0 =
 * none), whether its content is not known to be zero (DIRTY: DATA_CREATE
 * content, or mapped since its last scrub), and whether DATA_CREATE
 * measured its content (MEASURED). Zero whenever the granule is not DATA.
 *
 * A granule MAP or FORK_PAGE maps is mapped once, in the address space
 * OWNER names (refcount 0); the tear-down of that address space finds it
 * by its tag. SHARE (MAP_SHARED across fork) maps it again in other
 * address spaces of the same Container Realm: it is then SHARED, refcount
 * counts its mappings (>= 1), OWNER only says it is mapped (the tag of
 * the first, which may since have gone), and it is scrubbed and released
 * only when its last mapping goes -- never by tag.
 */
#define GRANULE_FASCO_OWNER_MASK 0x1Fu
#define GRANULE_FASCO_OWNER_MAX 31u /* RECs of a Container Realm */
#define GRANULE_FASCO_SHARED 0x20u
#define GRANULE_FASCO_MAPS_MAX 0xFFFFu /* mappings of one SHARED granule */
#define GRANULE_FASCO_MEASURED 0x40u
#define GRANULE_FASCO_DIRTY 0x80u

/* Index + 1 of the container REC whose address space maps g, or 0. */
static inline unsigned granule_fasco_owner(const struct granule *g)
{
	return __atomic_load_n(&g->fasco, __ATOMIC_RELAXED) & GRANULE_FASCO_OWNER_MASK;
}

static inline bool granule_fasco_mapped(const struct granule *g)
{
	return granule_fasco_owner(g) != 0;
}

/*
 * Set up the array in RMM memory at `array`, which the caller has zeroed
 * (rmm_boot, through plat_zero): every granule NS.
 */
void granule_array_init(struct granule *array, uint64_t dram_base, uint64_t dram_size);
/* Bytes the array needs for dram_size. */
uint64_t granule_array_size(uint64_t dram_size);

/* The granule for pa, or NULL if pa is unaligned or outside DRAM. */
struct granule *granule_find(uint64_t pa);
uint64_t granule_addr(const struct granule *g);
/* Number of tracked granules and the i-th one (for the invariant checker). */
uint64_t granule_count(void);
struct granule *granule_at(uint64_t idx);

void granule_lock(struct granule *g);
void granule_unlock(struct granule *g);
enum granule_state granule_get_state(const struct granule *g);
void granule_set_state(struct granule *g, enum granule_state s); /* lock held */
/* Set state and unlock. */
void granule_unlock_transition(struct granule *g, enum granule_state s);

/*
 * Find the granule at pa and lock it if its state is `expected`.
 * Returns the locked granule, or NULL (nothing locked) if pa is not a DRAM
 * granule or the state differs.
 */
struct granule *find_lock_granule(uint64_t pa, enum granule_state expected);

/* Several granules locked together in ascending PA (deadlock-free). */
struct granule_set {
	uint64_t addr;               /* in */
	enum granule_state state;    /* in: expected state */
	struct granule *g;           /* out: locked granule */
};
/* Most granules find_lock_granules takes at once (REC_CREATE: RD, REC, 16 aux). */
#define GRANULE_SET_MAX 20

/*
 * Lock every granule of set[0..n) (1 <= n <= GRANULE_SET_MAX) in ascending
 * address order. Returns true with all locked; false with none locked if any
 * address is not a DRAM granule, two addresses alias, or a state differs.
 */
bool find_lock_granules(struct granule_set *set, unsigned n);

/* Refcounts (lock held, or atomic where noted). */
void granule_refcount_inc(struct granule *g);
void granule_refcount_dec(struct granule *g);
uint16_t granule_refcount_read(const struct granule *g); /* atomic read */
void atomic_granule_get(struct granule *g);
void atomic_granule_put(struct granule *g);

/*
 * Map a granule the RMM owns (any state but NS) for access in Realm PAS.
 * Never NULL for a granule in a realm state: a GPC refusal there breaks an
 * RMM invariant and is asserted.
 */
void *granule_map(struct granule *g);
/* Zero a granule through its Realm-PAS mapping (scrub). */
void granule_memzero(struct granule *g);

/*
 * Copy from/to an NS granule supplied by the host, through the NS accessor.
 * Returns 0, or -EFAULT if pa is not NS memory (GPF) or not in DRAM, or
 * -EINVAL if pa is not granule aligned or [offset, offset+len) leaves the
 * granule.
 */
int ns_buffer_read(uint64_t pa, size_t offset, void *dst, size_t len);
int ns_buffer_write(uint64_t pa, size_t offset, const void *src, size_t len);

#endif /* RMM_GRANULE_H */
