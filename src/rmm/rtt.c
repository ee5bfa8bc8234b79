/*
 * Realm Translation Tables: the locked walk (hand over hand, root to leaf),
 * entry access, and the queries RSI and REALM_DESTROY need (IPA state,
 * realm memory copies, RIPAS ranges, empty roots). The RMI commands that
 * change tables are in rtt_cmds.c, data.c and ripas.c.
 */
#include "rmm/rtt.h"
#include "plat/plat.h"

#include "lib/assert.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "rmm/s2tte.h"

bool rtt_ipa_valid(const struct rd *rd, uint64_t ipa, long level)
{
	if (level < RTT_MIN_LEVEL || level > RTT_MAX_LEVEL)
		return false;
	return addr_in_realm(rd, ipa) && IS_ALIGNED(ipa, RTT_LEVEL_SIZE(level));
}

uint64_t rtt_table_entries(const struct rd *rd, long level)
{
	if (level == rd->rtt_level_start)
		return (uint64_t)RTT_ENTRIES * rd->rtt_num_start;
	return RTT_ENTRIES;
}

struct granule *rtt_entry_granule(struct granule *g_tbl, uint64_t index)
{
	struct granule *g = g_tbl;

	if (index >= RTT_ENTRIES) {
		/* A following granule of concatenated roots (locked through the first). */
		g = granule_find(granule_addr(g_tbl) + (index / RTT_ENTRIES) * GRANULE_SIZE);
		ASSERT(g != NULL && granule_get_state(g) == GRANULE_STATE_RTT);
	}
	return g;
}

struct granule *rtt_walk_granule(const struct rtt_walk *wi)
{
	return rtt_entry_granule(wi->g_llt, wi->index);
}

uint64_t *rtt_entry_ptr(struct granule *g_tbl, uint64_t index)
{
	struct granule *g = rtt_entry_granule(g_tbl, index);
	uint64_t *table;

	table = granule_map(g);
	ASSERT(table != NULL);
	return &table[index % RTT_ENTRIES];
}

void rtt_walk_lock_unlock(const struct rd *rd, uint64_t ipa, long target_level, struct rtt_walk *wi)
{
	long level = rd->rtt_level_start;
	struct granule *g = rd_rtt_root(rd);
	uint64_t index = ipa >> RTT_LEVEL_SHIFT(level);

	ASSERT(g != NULL);
	ASSERT(addr_in_realm(rd, ipa));
	ASSERT(index < rtt_table_entries(rd, level));
	granule_lock(g);
	ASSERT(granule_get_state(g) == GRANULE_STATE_RTT);
	while (level < target_level) {
		uint64_t e = s2tte_read(rtt_entry_ptr(g, index));
		struct granule *child;

		if (!s2tte_is_table(e, level))
			break;
		child = granule_find(s2tte_get_pa(e, level));
		ASSERT(child != NULL);
		granule_lock(child);
		ASSERT(granule_get_state(child) == GRANULE_STATE_RTT);
		granule_unlock(g);
		g = child;
		level++;
		index = (ipa >> RTT_LEVEL_SHIFT(level)) & (RTT_ENTRIES - 1);
	}
	wi->g_llt = g;
	wi->index = index;
	wi->last_level = level;
}

uint64_t rtt_walk_read(const struct rtt_walk *wi)
{
	return s2tte_read(rtt_entry_ptr(wi->g_llt, wi->index));
}

void rtt_walk_write(const struct rtt_walk *wi, uint64_t s2tte)
{
	s2tte_write(rtt_entry_ptr(wi->g_llt, wi->index), s2tte);
}

uint64_t rtt_skip_non_live(const struct rd *rd, uint64_t ipa, const struct rtt_walk *wi)
{
	long level = wi->last_level;
	uint64_t size = RTT_LEVEL_SIZE(level);
	uint64_t n = rtt_table_entries(rd, level);
	uint64_t base = ALIGN_DOWN(ipa, size);
	uint64_t i, top, limit = 1ULL << rd->ipa_bits;

	for (i = wi->index; i < n; i++) {
		uint64_t eipa = base + (i - wi->index) * size;

		if (eipa >= limit)
			break;
		if (s2tte_is_live(s2tte_read(rtt_entry_ptr(wi->g_llt, i)), level,
				  !addr_in_par(rd, eipa)))
			break;
	}
	if (i == wi->index)
		return ipa; /* the entry itself is live: no non-live run */
	top = base + (i - wi->index) * size;
	return top > limit ? limit : top;
}

void rtt_tlbi(const struct rd *rd, uint64_t ipa, uint64_t size)
{
	/*
	 * TLBI IPAS2E1IS over [ipa, ipa+size) for rd->vmid, DSB ISH, TLBI
	 * VMALLE1IS, DSB ISH: the platform invalidates the realm's stage-2
	 * translations and waits for accesses already translated with the old
	 * entry, so the caller may scrub or reuse what the entry pointed at.
	 */
	(void)ipa;
	(void)size;
	plat_tlbi_s2((uint16_t)rd->vmid);
}

void rtt_refcount_add(struct granule *g, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		granule_refcount_inc(g);
}

void rtt_refcount_clear(struct granule *g)
{
	while (granule_refcount_read(g) != 0)
		granule_refcount_dec(g);
}

/*
 * Walk to level 3 for a protected ipa; on return the walk lock is held and
 * *e is the entry covering ipa (possibly a level-2 block). *pa receives the
 * Realm PA backing ipa's granule when the entry is ASSIGNED with RAM.
 */
static bool walk_assigned_ram(const struct rd *rd, uint64_t ipa, struct rtt_walk *wi, uint64_t *e,
			      uint64_t *pa)
{
	long level;

	rtt_walk_lock_unlock(rd, ipa, RTT_PAGE_LEVEL, wi);
	level = wi->last_level;
	*e = rtt_walk_read(wi);
	if (s2tte_get_state(*e, level, false) != S2TTE_ASSIGNED ||
	    s2tte_get_ripas(*e, level, false) != RIPAS_RAM)
		return false;
	*pa = s2tte_get_pa(*e, level) + ALIGN_DOWN(ipa & (RTT_LEVEL_SIZE(level) - 1), GRANULE_SIZE);
	return true;
}

int rtt_ipa_state(const struct rd *rd, uint64_t ipa, uint64_t *ripas, bool *assigned)
{
	struct rtt_walk wi;
	uint64_t e, pa;

	if (!addr_in_par(rd, ipa))
		return -EINVAL;
	*assigned = walk_assigned_ram(rd, ipa, &wi, &e, &pa);
	*ripas = s2tte_get_ripas(e, wi.last_level, false);
	granule_unlock(wi.g_llt);
	return 0;
}

static int realm_ipa_copy(const struct rd *rd, uint64_t ipa, void *buf, size_t len, bool write)
{
	struct rtt_walk wi;
	uint64_t e, pa;
	struct granule *g;
	uint8_t *data;

	if (!addr_in_par(rd, ipa) || len > GRANULE_SIZE ||
	    (ipa & GRANULE_MASK) + len > GRANULE_SIZE)
		return -EINVAL;
	if (!walk_assigned_ram(rd, ipa, &wi, &e, &pa)) {
		granule_unlock(wi.g_llt);
		return -EFAULT;
	}
	g = granule_find(pa);
	ASSERT(g != NULL);
	/* A Fasco channel is mapped in a System Realm but is no buffer for RSI. */
	if (granule_get_state(g) != GRANULE_STATE_DATA) {
		granule_unlock(wi.g_llt);
		return -EFAULT;
	}
	data = granule_map(g);
	if (write)
		memcpy(data + (ipa & GRANULE_MASK), buf, len);
	else
		memcpy(buf, data + (ipa & GRANULE_MASK), len);
	granule_unlock(wi.g_llt);
	return 0;
}

int realm_ipa_read(const struct rd *rd, uint64_t ipa, void *dst, size_t len)
{
	return realm_ipa_copy(rd, ipa, dst, len, false);
}

int realm_ipa_write(const struct rd *rd, uint64_t ipa, const void *src, size_t len)
{
	return realm_ipa_copy(rd, ipa, (void *)src, len, true);
}

int rtt_ripas_range(const struct rd *rd, uint64_t base, uint64_t end, uint64_t *top,
		    uint64_t *ripas)
{
	uint64_t par_top = 1ULL << (rd->ipa_bits - 1);
	uint64_t addr = base, first = RIPAS_EMPTY;
	bool have_first = false;

	if (!IS_ALIGNED(base, GRANULE_SIZE) || !IS_ALIGNED(end, GRANULE_SIZE) || base >= end ||
	    end > par_top)
		return -EINVAL;
	while (addr < end) {
		struct rtt_walk wi;
		long level;
		uint64_t size, n, index;
		bool differs = false;

		rtt_walk_lock_unlock(rd, addr, RTT_PAGE_LEVEL, &wi);
		level = wi.last_level;
		size = RTT_LEVEL_SIZE(level);
		n = rtt_table_entries(rd, level);
		for (index = wi.index; index < n && addr < end; index++) {
			uint64_t r = s2tte_get_ripas(s2tte_read(rtt_entry_ptr(wi.g_llt, index)),
						     level, false);

			if (!have_first) {
				first = r;
				have_first = true;
			} else if (r != first) {
				differs = true;
				break;
			}
			addr = ALIGN_DOWN(addr, size) + size;
		}
		granule_unlock(wi.g_llt);
		if (differs)
			break;
	}
	*top = addr < end ? addr : end;
	*ripas = first;
	return 0;
}

bool rtt_root_is_empty(const struct rd *rd)
{
	struct granule *g = rd_rtt_root(rd);
	long level = rd->rtt_level_start;
	uint64_t n = rtt_table_entries(rd, level);
	bool empty = true;

	ASSERT(g != NULL);
	granule_lock(g);
	for (uint64_t i = 0; i < n && empty; i++) {
		uint64_t eipa = i * RTT_LEVEL_SIZE(level);

		if (s2tte_is_live(s2tte_read(rtt_entry_ptr(g, i)), level, !addr_in_par(rd, eipa)))
			empty = false;
	}
	granule_unlock(g);
	return empty;
}
