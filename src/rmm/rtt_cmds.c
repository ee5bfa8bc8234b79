/*
 * RMI commands on the realm's translation tables: RTT_CREATE,
 * RTT_DESTROY, RTT_FOLD, RTT_MAP_UNPROTECTED, RTT_UNMAP_UNPROTECTED and
 * RTT_READ_ENTRY (RMM v1.0-REL0, TF-RMM's behaviour where the digest is
 * silent).
 *
 * Locking: the RD (with a DELEGATED granule in ascending PA order, for
 * RTT_CREATE), then RTTs root to leaf by rtt_walk_lock_unlock, then the
 * child RTT found through the locked parent entry.
 *
 * Refcounts: an RTT granule counts its live entries (TABLE, ASSIGNED,
 * ASSIGNED_NS), each concatenated root its own (rtt_walk_granule).
 */
#include "arch/rmi.h"
#include "lib/assert.h"
#include "rmm/granule.h"
#include "rmm/realm.h"
#include "rmm/rmi_handlers.h"
#include "rmm/rtt.h"
#include "rmm/s2tte.h"

/* Is `level` (a host value) a level an RTT can be created at: (start, 3]? */
static bool rtt_level_valid(const struct rd *rd, uint64_t level)
{
	return level <= RTT_MAX_LEVEL && (int64_t)level > rd->rtt_level_start;
}

/*
 * Replace the entry the walk ended on with `new_e`. If the old entry was a
 * valid descriptor, break before make: invalidate it, TLBI the range, then
 * write the new one.
 */
static void replace_entry(const struct rd *rd, const struct rtt_walk *wi, uint64_t ipa,
			  uint64_t new_e)
{
	uint64_t old = rtt_walk_read(wi);
	uint64_t size = RTT_LEVEL_SIZE(wi->last_level);

	if ((old & S2TT_DESC_VALID) != 0) {
		rtt_walk_write(wi, 0);
		rtt_tlbi(rd, ALIGN_DOWN(ipa, size), size);
	}
	rtt_walk_write(wi, new_e);
}

uint64_t smc_rtt_create(const uint64_t *args, uint64_t *res)
{
	uint64_t rd_addr = args[0], rtt_addr = args[1], ipa = args[2], ulevel = args[3];
	struct granule_set set[2] = {
		{.addr = rd_addr, .state = GRANULE_STATE_RD},
		{.addr = rtt_addr, .state = GRANULE_STATE_DELEGATED},
	};
	struct granule *g_rd, *g_rtt;
	struct rtt_walk wi;
	struct rd *rd;
	uint64_t parent, *child, ret;
	long level, plevel;
	bool ns;
	unsigned live = 0;

	if (!find_lock_granules(set, 2))
		return RMI_STATUS(RMI_ERROR_INPUT, 0);
	g_rd = set[0].g;
	g_rtt = set[1].g;
	rd = rd_map(g_rd);
	if (!rtt_level_valid(rd, ulevel) || !rtt_ipa_valid(rd, ipa, (long)ulevel - 1)) {
		ret = RMI_STATUS(RMI_ERROR_INPUT, 0);
		goto out_unlock;
	}
	level = (long)ulevel;
	plevel = level - 1;
	ns = !addr_in_par(rd, ipa);

	rtt_walk_lock_unlock(rd, ipa, plevel, &wi);
	if (wi.last_level != plevel) {
		ret = RMI_STATUS(RMI_ERROR_RTT, wi.last_level);
		goto out_unlock_llt;
	}
	parent = rtt_walk_read(&wi);
	if (s2tte_get_state(parent, plevel, ns) == S2TTE_TABLE) {
		ret = RMI_STATUS(RMI_ERROR_RTT, plevel);
		goto out_unlock_llt;
	}

	/* Fill the new table before it becomes reachable. */
	child = granule_map(g_rtt);
	for (unsigned i = 0; i < RTT_ENTRIES; i++) {
		uint64_t e = s2tte_split(parent, plevel, ns, i);

		s2tte_write(&child[i], e);
		if (s2tte_is_live(e, level, ns))
			live++;
	}
	ASSERT(live == 0 || live == RTT_ENTRIES);
	granule_set_state(g_rtt, GRANULE_STATE_RTT);
	rtt_refcount_add(g_rtt, live);
	if (!s2tte_is_live(parent, plevel, ns))
		granule_refcount_inc(rtt_walk_granule(&wi));
	replace_entry(rd, &wi, ipa, s2tte_create_table(rtt_addr));
	ret = RMI_SUCCESS;

out_unlock_llt:
	granule_unlock(wi.g_llt);
out_unlock:
	granule_unlock(g_rtt);
	granule_unlock(g_rd);
	return ret;
}

/*
 * The common start of the commands on an existing RTT at `ulevel`: lock the
 * RD, and check that ulevel is a non-root level and ipa is aligned to its
 * parent's entries. RMI_SUCCESS with the RD locked, else ERROR_INPUT with
 * nothing locked.
 */
static uint64_t lock_rd_for_rtt(uint64_t rd_addr, uint64_t ipa, uint64_t ulevel,
				struct granule **g_rd, struct rd **rd)
{
	*g_rd = find_lock_granule(rd_addr, GRANULE_STATE_RD);
	if (*g_rd == NULL)
		return RMI_STATUS(RMI_ERROR_INPUT, 0);
	*rd = rd_map(*g_rd);
	if (!rtt_level_valid(*rd, ulevel) || !rtt_ipa_valid(*rd, ipa, (long)ulevel - 1)) {
		granule_unlock(*g_rd);
		return RMI_STATUS(RMI_ERROR_INPUT, 0);
	}
	return RMI_SUCCESS;
}

/*
 * Walk to the parent of the RTT at `level` covering ipa. The walk's table
 * is locked on return whatever the status. RMI_SUCCESS with *child_pa the
 * child table's address, or ERROR_RTT at the level where the walk stopped
 * or whose entry is not a table.
 */
static uint64_t walk_to_table_entry(const struct rd *rd, uint64_t ipa, long level, bool ns,
				    struct rtt_walk *wi, uint64_t *child_pa)
{
	long plevel = level - 1;
	uint64_t parent;

	rtt_walk_lock_unlock(rd, ipa, plevel, wi);
	if (wi->last_level != plevel)
		return RMI_STATUS(RMI_ERROR_RTT, wi->last_level);
	parent = rtt_walk_read(wi);
	if (s2tte_get_state(parent, plevel, ns) != S2TTE_TABLE)
		return RMI_STATUS(RMI_ERROR_RTT, plevel);
	*child_pa = s2tte_get_pa(parent, plevel);
	return RMI_SUCCESS;
}

uint64_t smc_rtt_destroy(const uint64_t *args, uint64_t *res)
{
	uint64_t rd_addr = args[0], ipa = args[1], ulevel = args[2];
	struct granule *g_rd, *g_child;
	struct rtt_walk wi;
	struct rd *rd;
	uint64_t child_pa, ret;
	long level;
	bool ns;

	res[0] = 0;
	res[1] = 0;
	ret = lock_rd_for_rtt(rd_addr, ipa, ulevel, &g_rd, &rd);
	if (ret != RMI_SUCCESS)
		return ret;
	level = (long)ulevel;
	ns = !addr_in_par(rd, ipa);

	ret = walk_to_table_entry(rd, ipa, level, ns, &wi, &child_pa);
	if (ret != RMI_SUCCESS) {
		res[1] = rtt_skip_non_live(rd, ipa, &wi);
		goto out_unlock_llt;
	}
	g_child = granule_find(child_pa);
	ASSERT(g_child != NULL);
	granule_lock(g_child);
	ASSERT(granule_get_state(g_child) == GRANULE_STATE_RTT);
	if (granule_refcount_read(g_child) != 0) {
		granule_unlock(g_child);
		ret = RMI_STATUS(RMI_ERROR_RTT, level);
		res[1] = ipa;
		goto out_unlock_llt;
	}

	/* Break before make: the table descriptor goes, then the TLBI. */
	replace_entry(rd, &wi, ipa,
		      ns ? s2tte_create_unassigned_ns() : s2tte_create_unassigned(RIPAS_DESTROYED));
	granule_refcount_dec(rtt_walk_granule(&wi));
	granule_memzero(g_child);
	granule_unlock_transition(g_child, GRANULE_STATE_DELEGATED);
	res[0] = child_pa;
	res[1] = rtt_skip_non_live(rd, ipa, &wi);
	ret = RMI_SUCCESS;

out_unlock_llt:
	granule_unlock(wi.g_llt);
	granule_unlock(g_rd);
	return ret;
}

uint64_t smc_rtt_fold(const uint64_t *args, uint64_t *res)
{
	uint64_t rd_addr = args[0], ipa = args[1], ulevel = args[2];
	struct granule *g_rd, *g_child;
	struct rtt_walk wi;
	struct rd *rd;
	uint64_t new_parent, child_pa, ret;
	long level;
	unsigned live;
	bool ns;

	res[0] = 0;
	ret = lock_rd_for_rtt(rd_addr, ipa, ulevel, &g_rd, &rd);
	if (ret != RMI_SUCCESS)
		return ret;
	level = (long)ulevel;
	ns = !addr_in_par(rd, ipa);

	ret = walk_to_table_entry(rd, ipa, level, ns, &wi, &child_pa);
	if (ret != RMI_SUCCESS)
		goto out_unlock_llt;
	g_child = granule_find(child_pa);
	ASSERT(g_child != NULL);
	granule_lock(g_child);
	ASSERT(granule_get_state(g_child) == GRANULE_STATE_RTT);
	if (!s2tt_fold_check(granule_map(g_child), level, ns, &new_parent, &live)) {
		granule_unlock(g_child);
		ret = RMI_STATUS(RMI_ERROR_RTT, level);
		goto out_unlock_llt;
	}
	ASSERT(granule_refcount_read(g_child) == live);

	/* The parent entry stays live only if it becomes a block. */
	if (live == 0)
		granule_refcount_dec(rtt_walk_granule(&wi));
	replace_entry(rd, &wi, ipa, new_parent);
	rtt_refcount_clear(g_child);
	granule_memzero(g_child);
	granule_unlock_transition(g_child, GRANULE_STATE_DELEGATED);
	res[0] = child_pa;
	ret = RMI_SUCCESS;

out_unlock_llt:
	granule_unlock(wi.g_llt);
	granule_unlock(g_rd);
	return ret;
}

/* RTT_MAP/UNMAP_UNPROTECTED's checks: level in [2, 3], ipa unprotected and aligned. */
static bool ns_map_args_valid(const struct rd *rd, uint64_t ipa, uint64_t ulevel)
{
	if (ulevel < RTT_MIN_BLOCK_LEVEL || ulevel > RTT_MAX_LEVEL ||
	    (int64_t)ulevel < rd->rtt_level_start)
		return false;
	return rtt_ipa_valid(rd, ipa, (long)ulevel) && !addr_in_par(rd, ipa);
}

uint64_t smc_rtt_map_unprotected(const uint64_t *args, uint64_t *res)
{
	uint64_t rd_addr = args[0], ipa = args[1], ulevel = args[2], desc = args[3];
	struct granule *g_rd;
	struct rtt_walk wi;
	struct rd *rd;
	uint64_t ret;
	long level;

	g_rd = find_lock_granule(rd_addr, GRANULE_STATE_RD);
	if (g_rd == NULL)
		return RMI_STATUS(RMI_ERROR_INPUT, 0);
	rd = rd_map(g_rd);
	if (!ns_map_args_valid(rd, ipa, ulevel) ||
	    !s2tte_ns_host_desc_is_valid(desc, (long)ulevel)) {
		granule_unlock(g_rd);
		return RMI_STATUS(RMI_ERROR_INPUT, 0);
	}
	level = (long)ulevel;

	rtt_walk_lock_unlock(rd, ipa, level, &wi);
	if (wi.last_level != level) {
		ret = RMI_STATUS(RMI_ERROR_RTT, wi.last_level);
	} else if (s2tte_get_state(rtt_walk_read(&wi), level, true) != S2TTE_UNASSIGNED_NS) {
		ret = RMI_STATUS(RMI_ERROR_RTT, level);
	} else {
		rtt_walk_write(&wi, s2tte_create_assigned_ns(desc, level));
		granule_refcount_inc(rtt_walk_granule(&wi));
		ret = RMI_SUCCESS;
	}
	granule_unlock(wi.g_llt);
	granule_unlock(g_rd);
	return ret;
}

uint64_t smc_rtt_unmap_unprotected(const uint64_t *args, uint64_t *res)
{
	uint64_t rd_addr = args[0], ipa = args[1], ulevel = args[2];
	struct granule *g_rd;
	struct rtt_walk wi;
	struct rd *rd;
	uint64_t ret;
	long level;

	res[0] = 0;
	g_rd = find_lock_granule(rd_addr, GRANULE_STATE_RD);
	if (g_rd == NULL)
		return RMI_STATUS(RMI_ERROR_INPUT, 0);
	rd = rd_map(g_rd);
	if (!ns_map_args_valid(rd, ipa, ulevel)) {
		granule_unlock(g_rd);
		return RMI_STATUS(RMI_ERROR_INPUT, 0);
	}
	level = (long)ulevel;

	rtt_walk_lock_unlock(rd, ipa, level, &wi);
	if (wi.last_level != level) {
		ret = RMI_STATUS(RMI_ERROR_RTT, wi.last_level);
	} else if (s2tte_get_state(rtt_walk_read(&wi), level, true) != S2TTE_ASSIGNED_NS) {
		ret = RMI_STATUS(RMI_ERROR_RTT, level);
	} else {
		replace_entry(rd, &wi, ipa, s2tte_create_unassigned_ns());
		granule_refcount_dec(rtt_walk_granule(&wi));
		ret = RMI_SUCCESS;
	}
	res[0] = rtt_skip_non_live(rd, ipa, &wi);
	granule_unlock(wi.g_llt);
	granule_unlock(g_rd);
	return ret;
}

uint64_t smc_rtt_read_entry(const uint64_t *args, uint64_t *res)
{
	uint64_t rd_addr = args[0], ipa = args[1], ulevel = args[2];
	struct granule *g_rd;
	struct rtt_walk wi;
	struct rd *rd;
	uint64_t e, state, desc = 0, ripas = RIPAS_EMPTY;
	long level;
	bool ns;

	g_rd = find_lock_granule(rd_addr, GRANULE_STATE_RD);
	if (g_rd == NULL)
		return RMI_STATUS(RMI_ERROR_INPUT, 0);
	rd = rd_map(g_rd);
	if (ulevel > RTT_MAX_LEVEL || (int64_t)ulevel < rd->rtt_level_start ||
	    !rtt_ipa_valid(rd, ipa, (long)ulevel)) {
		granule_unlock(g_rd);
		return RMI_STATUS(RMI_ERROR_INPUT, 0);
	}
	ns = !addr_in_par(rd, ipa);

	rtt_walk_lock_unlock(rd, ipa, (long)ulevel, &wi);
	level = wi.last_level;
	e = rtt_walk_read(&wi);
	switch (s2tte_get_state(e, level, ns)) {
	case S2TTE_UNASSIGNED:
		state = RMI_RTT_UNASSIGNED;
		ripas = s2tte_get_ripas(e, level, ns);
		break;
	case S2TTE_UNASSIGNED_NS:
		state = RMI_RTT_UNASSIGNED;
		break;
	case S2TTE_ASSIGNED:
		state = RMI_RTT_ASSIGNED;
		desc = s2tte_get_pa(e, level);
		ripas = s2tte_get_ripas(e, level, ns);
		break;
	case S2TTE_ASSIGNED_NS:
		state = RMI_RTT_ASSIGNED;
		desc = s2tte_get_ns_host_desc(e);
		break;
	default:
		state = RMI_RTT_TABLE;
		desc = s2tte_get_pa(e, level);
		break;
	}
	granule_unlock(wi.g_llt);
	granule_unlock(g_rd);
	res[0] = (uint64_t)level;
	res[1] = state;
	res[2] = desc;
	res[3] = ripas;
	return RMI_SUCCESS;
}
