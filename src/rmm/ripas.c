/*
 * RIPAS commands: RTT_INIT_RIPAS (host, realm NEW, measured) and
 * RTT_SET_RIPAS (host, answering a realm's RSI_IPA_STATE_SET that left the
 * REC with a pending RIPAS change). Both work on the entries of one
 * last-level table from `base` and report how far they got.
 */
#include "arch/rmi.h"
#include "arch/rsi.h"
#include "lib/assert.h"
#include "rmm/granule.h"
#include "rmm/measure.h"
#include "rmm/realm.h"
#include "rmm/rec.h"
#include "rmm/rmi_handlers.h"
#include "rmm/rtt.h"
#include "rmm/s2tte.h"

/* [base, top) granule aligned, non-empty and inside the protected half. */
static bool ripas_range_valid(const struct rd *rd, uint64_t base, uint64_t top)
{
	return base < top && IS_ALIGNED(base, GRANULE_SIZE) && IS_ALIGNED(top, GRANULE_SIZE) &&
	       top <= (1ULL << (rd->ipa_bits - 1));
}

uint64_t smc_rtt_init_ripas(const uint64_t *args, uint64_t *res)
{
	uint64_t rd_addr = args[0], base = args[1], top = args[2];
	struct granule *g_rd;
	struct rtt_walk wi;
	struct rd *rd;
	uint64_t size, addr, n, ret;
	long level;

	res[0] = 0;
	if (top <= base)
		return RMI_STATUS(RMI_ERROR_INPUT, 0);
	g_rd = find_lock_granule(rd_addr, GRANULE_STATE_RD);
	if (g_rd == NULL)
		return RMI_STATUS(RMI_ERROR_INPUT, 0);
	rd = rd_map(g_rd);
	if (!ripas_range_valid(rd, base, top)) {
		granule_unlock(g_rd);
		return RMI_STATUS(RMI_ERROR_INPUT, 0);
	}
	if (rd->state != REALM_NEW) {
		granule_unlock(g_rd);
		return RMI_STATUS(RMI_ERROR_REALM, 0);
	}

	rtt_walk_lock_unlock(rd, base, RTT_PAGE_LEVEL, &wi);
	level = wi.last_level;
	size = RTT_LEVEL_SIZE(level);
	n = rtt_table_entries(rd, level);
	addr = base;
	/* An entry that also covers IPAs below base needs a deeper table. */
	if (IS_ALIGNED(base, size)) {
		for (uint64_t i = wi.index; i < n && addr + size <= top; i++, addr += size) {
			uint64_t *p = rtt_entry_ptr(wi.g_llt, i);
			uint64_t e = s2tte_read(p);

			if (s2tte_get_state(e, level, false) != S2TTE_UNASSIGNED)
				break;
			switch (s2tte_get_ripas(e, level, false)) {
			case RIPAS_EMPTY:
				s2tte_write(p, s2tte_create_unassigned(RIPAS_RAM));
				break;
			case RIPAS_RAM:
				break;
			default: /* DESTROYED stays: only the realm may revive it */
				goto done;
			}
			measure_init_ripas(rd, addr, addr + size);
		}
	}
done:
	if (addr > base) {
		res[0] = addr;
		ret = RMI_SUCCESS;
	} else {
		ret = RMI_STATUS(RMI_ERROR_RTT, level);
	}
	granule_unlock(wi.g_llt);
	granule_unlock(g_rd);
	return ret;
}

/*
 * The entry e (UNASSIGNED or ASSIGNED, protected) with its RIPAS changed to
 * `target`, or false if the change is refused (DESTROYED without
 * RSI_CHANGE_DESTROYED, or not an entry with a RIPAS). *tlbi tells whether
 * a valid mapping went away.
 */
static bool ripas_change(uint64_t e, long level, uint64_t target, bool change_destroyed,
			 uint64_t *out, bool *tlbi)
{
	enum s2tte_state st = s2tte_get_state(e, level, false);
	uint64_t cur;

	*tlbi = false;
	if (st != S2TTE_UNASSIGNED && st != S2TTE_ASSIGNED)
		return false;
	cur = s2tte_get_ripas(e, level, false);
	if (cur == RIPAS_DESTROYED && !change_destroyed)
		return false;
	if (st == S2TTE_UNASSIGNED) {
		*out = s2tte_create_unassigned(target);
	} else {
		/* A Fasco channel keeps its read-only RAM mapping: progress stops there. */
		if (granule_get_state(granule_find(s2tte_get_pa(e, level))) == GRANULE_STATE_CHANNEL)
			return false;
		*out = s2tte_create_assigned(s2tte_get_pa(e, level), level, target);
		*tlbi = cur == RIPAS_RAM && target != RIPAS_RAM;
	}
	return true;
}

uint64_t smc_rtt_set_ripas(const uint64_t *args, uint64_t *res)
{
	uint64_t rd_addr = args[0], rec_addr = args[1], base = args[2], top = args[3];
	struct granule_set set[2] = {
		{.addr = rd_addr, .state = GRANULE_STATE_RD},
		{.addr = rec_addr, .state = GRANULE_STATE_REC},
	};
	struct granule *g_rd, *g_rec;
	struct rtt_walk wi;
	struct rd *rd;
	struct rec *rec;
	uint64_t size, addr, n, target, ret;
	bool change_destroyed;
	long level;

	res[0] = 0;
	if (top <= base)
		return RMI_STATUS(RMI_ERROR_INPUT, 0);
	if (!find_lock_granules(set, 2))
		return RMI_STATUS(RMI_ERROR_INPUT, 0);
	g_rd = set[0].g;
	g_rec = set[1].g;
	rd = rd_map(g_rd);
	rec = rec_map(g_rec);
	/* A running REC (refcount 1) and one of another realm: ERROR_REC, as TF-RMM. */
	if (granule_refcount_read(g_rec) != 0 || rec->rd_addr != rd_addr) {
		ret = RMI_STATUS(RMI_ERROR_REC, 0);
		goto out_unlock;
	}
	if (rec->pending != REC_PENDING_RIPAS || base != rec->ripas_addr || top > rec->ripas_top ||
	    rec->ripas_value > RIPAS_RAM || !ripas_range_valid(rd, base, top)) {
		ret = RMI_STATUS(RMI_ERROR_INPUT, 0);
		goto out_unlock;
	}
	if (rd->state == REALM_NEW) {
		ret = RMI_STATUS(RMI_ERROR_REALM, 0);
		goto out_unlock;
	}
	target = rec->ripas_value;
	change_destroyed = (rec->ripas_flags & RSI_CHANGE_DESTROYED) != 0;

	rtt_walk_lock_unlock(rd, base, RTT_PAGE_LEVEL, &wi);
	level = wi.last_level;
	size = RTT_LEVEL_SIZE(level);
	n = rtt_table_entries(rd, level);
	addr = base;
	if (IS_ALIGNED(base, size)) {
		for (uint64_t i = wi.index; i < n && addr + size <= top; i++, addr += size) {
			uint64_t *p = rtt_entry_ptr(wi.g_llt, i);
			uint64_t e = s2tte_read(p), ne;
			bool tlbi;

			if (!ripas_change(e, level, target, change_destroyed, &ne, &tlbi))
				break;
			if (ne == e)
				continue;
			/* Valid -> invalid needs no "make": just the TLBI after it. */
			s2tte_write(p, ne);
			if (tlbi)
				rtt_tlbi(rd, addr, size);
		}
	}
	if (addr > base) {
		rec->ripas_addr = addr;
		res[0] = addr;
		ret = RMI_SUCCESS;
	} else {
		ret = RMI_STATUS(RMI_ERROR_RTT, level);
	}
	granule_unlock(wi.g_llt);

out_unlock:
	granule_unlock(g_rec);
	granule_unlock(g_rd);
	return ret;
}
