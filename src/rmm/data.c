/*
 * RMI commands on DATA granules: DATA_CREATE (copied from an NS granule,
 * optionally measured), DATA_CREATE_UNKNOWN (zero content, not measured)
 * and DATA_DESTROY (scrub, back to DELEGATED).
 *
 * Locking: RD and the DELEGATED target in ascending PA, then RTTs root to
 * leaf; DATA_DESTROY locks the DATA granule last, found through the locked
 * level-3 entry.
 */
#include "arch/rmi.h"
#include "lib/assert.h"
#include "lib/string.h"
#include "rmm/granule.h"
#include "rmm/measure.h"
#include "rmm/realm.h"
#include "rmm/rmi_handlers.h"
#include "rmm/rtt.h"
#include "rmm/s2tte.h"

/*
 * DATA_CREATE[_UNKNOWN]: src is the NS source granule (measured with
 * `flags`), or 0 for DATA_CREATE_UNKNOWN.
 */
static uint64_t data_create(uint64_t rd_addr, uint64_t data_addr, uint64_t ipa, bool copy,
			    uint64_t src, uint64_t flags)
{
	struct granule_set set[2] = {
		{.addr = rd_addr, .state = GRANULE_STATE_RD},
		{.addr = data_addr, .state = GRANULE_STATE_DELEGATED},
	};
	struct granule *g_rd, *g_data;
	struct rtt_walk wi;
	struct rd *rd;
	enum granule_state data_state = GRANULE_STATE_DELEGATED;
	uint64_t e, ripas, ret;

	if (!find_lock_granules(set, 2))
		return RMI_STATUS(RMI_ERROR_INPUT, 0);
	g_rd = set[0].g;
	g_data = set[1].g;
	rd = rd_map(g_rd);
	if (copy && rd->state != REALM_NEW) {
		ret = RMI_STATUS(RMI_ERROR_REALM, 0);
		goto out_unlock;
	}
	if (!rtt_ipa_valid(rd, ipa, RTT_PAGE_LEVEL) || !addr_in_par(rd, ipa)) {
		ret = RMI_STATUS(RMI_ERROR_INPUT, 0);
		goto out_unlock;
	}

	rtt_walk_lock_unlock(rd, ipa, RTT_PAGE_LEVEL, &wi);
	if (wi.last_level != RTT_PAGE_LEVEL) {
		ret = RMI_STATUS(RMI_ERROR_RTT, wi.last_level);
		goto out_unlock_llt;
	}
	e = rtt_walk_read(&wi);
	if (s2tte_get_state(e, RTT_PAGE_LEVEL, false) != S2TTE_UNASSIGNED) {
		ret = RMI_STATUS(RMI_ERROR_RTT, RTT_PAGE_LEVEL);
		goto out_unlock_llt;
	}
	ripas = s2tte_get_ripas(e, RTT_PAGE_LEVEL, false);

	if (copy) {
		void *data = granule_map(g_data);

		/* Straight into the DATA granule: no copy of realm content elsewhere. */
		if (ns_buffer_read(src, 0, data, GRANULE_SIZE) != 0) {
			/* A partial copy must not survive in a DELEGATED granule. */
			memset(data, 0, GRANULE_SIZE);
			ret = RMI_STATUS(RMI_ERROR_INPUT, 0);
			goto out_unlock_llt;
		}
		measure_data_create(rd, ipa, flags, (flags & RMI_MEASURE_CONTENT) ? data : NULL);
		/* Fasco: host content is never "fresh"; measured content may be READ_CONFIG'd. */
		g_data->fasco = GRANULE_FASCO_DIRTY |
				((flags & RMI_MEASURE_CONTENT) ? GRANULE_FASCO_MEASURED : 0);
	}

	rtt_walk_write(&wi, s2tte_create_assigned(data_addr, RTT_PAGE_LEVEL, ripas));
	granule_refcount_inc(rtt_walk_granule(&wi));
	data_state = GRANULE_STATE_DATA;
	ret = RMI_SUCCESS;

out_unlock_llt:
	granule_unlock(wi.g_llt);
out_unlock:
	granule_unlock_transition(g_data, data_state);
	granule_unlock(g_rd);
	return ret;
}

uint64_t smc_data_create(const uint64_t *args, uint64_t *res)
{
	uint64_t rd_addr = args[0], data_addr = args[1], ipa = args[2], src = args[3],
		 flags = args[4];
	struct granule *g_src;

	if ((flags & ~RMI_MEASURE_CONTENT) != 0)
		return RMI_STATUS(RMI_ERROR_INPUT, 0);
	/* Unlocked look at the tracked state; the copy itself is GPC-checked for NS. */
	g_src = granule_find(src);
	if (g_src == NULL || granule_get_state(g_src) != GRANULE_STATE_NS)
		return RMI_STATUS(RMI_ERROR_INPUT, 0);
	return data_create(rd_addr, data_addr, ipa, true, src, flags);
}

uint64_t smc_data_create_unknown(const uint64_t *args, uint64_t *res)
{
	return data_create(args[0], args[1], args[2], false, 0, 0);
}

uint64_t smc_data_destroy(const uint64_t *args, uint64_t *res)
{
	uint64_t rd_addr = args[0], ipa = args[1];
	struct granule *g_rd, *g_data;
	struct rtt_walk wi;
	struct rd *rd;
	uint64_t e, ripas, data_pa, ret;

	res[0] = 0;
	res[1] = 0;
	g_rd = find_lock_granule(rd_addr, GRANULE_STATE_RD);
	if (g_rd == NULL)
		return RMI_STATUS(RMI_ERROR_INPUT, 0);
	rd = rd_map(g_rd);
	if (!rtt_ipa_valid(rd, ipa, RTT_PAGE_LEVEL) || !addr_in_par(rd, ipa)) {
		granule_unlock(g_rd);
		return RMI_STATUS(RMI_ERROR_INPUT, 0);
	}

	rtt_walk_lock_unlock(rd, ipa, RTT_PAGE_LEVEL, &wi);
	if (wi.last_level != RTT_PAGE_LEVEL) {
		ret = RMI_STATUS(RMI_ERROR_RTT, wi.last_level);
		goto out_top;
	}
	e = rtt_walk_read(&wi);
	if (s2tte_get_state(e, RTT_PAGE_LEVEL, false) != S2TTE_ASSIGNED) {
		ret = RMI_STATUS(RMI_ERROR_RTT, RTT_PAGE_LEVEL);
		goto out_top;
	}
	ripas = s2tte_get_ripas(e, RTT_PAGE_LEVEL, false);
	data_pa = s2tte_get_pa(e, RTT_PAGE_LEVEL);
	/* Lock order: RTT, then DATA. A Fasco channel is not DATA. */
	g_data = find_lock_granule(data_pa, GRANULE_STATE_DATA);
	if (g_data == NULL) {
		ASSERT(granule_get_state(granule_find(data_pa)) == GRANULE_STATE_CHANNEL);
		ret = RMI_STATUS(RMI_ERROR_RTT, RTT_PAGE_LEVEL);
		goto out_top;
	}
	/* Still mapped by a container's address space (Fasco): not yet. */
	if (granule_fasco_mapped(g_data) != 0) {
		granule_unlock(g_data);
		ret = RMI_STATUS(RMI_ERROR_INPUT, 0);
		goto out_top;
	}
	rtt_walk_write(&wi, s2tte_create_unassigned(ripas == RIPAS_RAM ? RIPAS_DESTROYED : ripas));
	if (ripas == RIPAS_RAM)
		rtt_tlbi(rd, ipa, GRANULE_SIZE);
	granule_refcount_dec(rtt_walk_granule(&wi));

	granule_memzero(g_data);
	g_data->fasco = 0;
	granule_unlock_transition(g_data, GRANULE_STATE_DELEGATED);
	res[0] = data_pa;
	ret = RMI_SUCCESS;

out_top:
	res[1] = rtt_skip_non_live(rd, ipa, &wi);
	granule_unlock(wi.g_llt);
	granule_unlock(g_rd);
	return ret;
}
