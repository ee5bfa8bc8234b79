/*
 * REALM_CREATE, REALM_DESTROY, REALM_ACTIVATE (RMM spec v1.0-REL0; TF-RMM
 * where the spec leaves a choice).
 */
#include "rmm/realm.h"
#include "arch/rmi.h"
#include "lib/assert.h"
#include "lib/string.h"
#include "rmm/fasco.h"
#include "rmm/granule.h"
#include "rmm/measure.h"
#include "rmm/rmi_handlers.h"
#include "rmm/rmm_private.h"
#include "rmm/rtt.h"

/*
 * Number of concatenated starting-level tables needed to resolve ipa_bits
 * from level sl, or 0 if the combination is invalid (TF-RMM
 * validate_ipa_bits_and_sl / s2_num_root_rtts): a level-sl table resolves
 * sl_bits + 9 bits; up to 16 tables (4 more bits) may be concatenated; the
 * starting level must resolve at least one bit.
 */
static uint64_t realm_num_root_rtts(uint64_t ipa_bits, int64_t sl)
{
	uint64_t sl_bits;

	if (ipa_bits < RMM_MIN_IPA_BITS || ipa_bits > RMM_MAX_IPA_BITS)
		return 0;
	if (sl < RTT_MIN_LEVEL || sl > RTT_MAX_LEVEL)
		return 0;
	sl_bits = RTT_LEVEL_SHIFT(sl);
	if (ipa_bits < sl_bits + 1 || ipa_bits > sl_bits + 9 + 4)
		return 0;
	if (ipa_bits > sl_bits + 9)
		return 1ULL << (ipa_bits - (sl_bits + 9));
	return 1;
}

/* Checks of RmiRealmParams that need no lock (everything but the VMID). */
static bool realm_params_valid(const struct rmi_realm_params *p)
{
	uint64_t feat = rmm_feature_register_0();
	uint64_t num_rtts;

	/* LPA2, SVE and PMU are not supported; no other flag is defined. */
	if (p->flags != 0)
		return false;
	if (p->hash_algo != RMI_HASH_SHA_256 && p->hash_algo != RMI_HASH_SHA_512)
		return false;
	if (p->sve_vl > EXTRACT_BITS(feat, 13, 10) || p->num_bps > EXTRACT_BITS(feat, 19, 14) ||
	    p->num_wps > EXTRACT_BITS(feat, 25, 20) || p->pmu_num_ctrs > EXTRACT_BITS(feat, 31, 27))
		return false;
	num_rtts = realm_num_root_rtts(p->s2sz, p->rtt_level_start);
	if (num_rtts == 0 || p->rtt_num_start != num_rtts)
		return false;
	if (!IS_ALIGNED(p->rtt_base, num_rtts * GRANULE_SIZE))
		return false;
	/* Root tables inside DRAM and not wrapping (find_lock_granules checks each). */
	if (p->rtt_base + num_rtts * GRANULE_SIZE < p->rtt_base)
		return false;
	return true;
}

uint64_t smc_realm_create(const uint64_t *args, uint64_t *res)
{
	uint64_t rd_addr = args[0], params_addr = args[1];
	struct rmi_realm_params p;
	struct rb_realm_params_ext ext;
	struct granule_set set[2 + RTT_MAX_ROOT_RTTS];
	struct granule *g_sys = NULL;
	unsigned n, i, nset;
	struct rd *rd;

	if (ns_buffer_read(params_addr, 0, &p, sizeof(p)) != 0)
		return RMI_STATUS(RMI_ERROR_INPUT, 0);
	if (!realm_params_valid(&p))
		return RMI_STATUS(RMI_ERROR_INPUT, 0);
	fasco_params_ext(&p, &ext);
	if (!fasco_params_ext_valid(&ext) ||
	    ext.config_ipa + ext.config_size > (1ULL << (p.s2sz - 1)))
		return RMI_STATUS(RMI_ERROR_INPUT, 0);

	n = (unsigned)p.rtt_num_start;
	set[0].addr = rd_addr;
	set[0].state = GRANULE_STATE_DELEGATED;
	for (i = 0; i < n; i++) {
		set[1 + i].addr = p.rtt_base + i * GRANULE_SIZE;
		set[1 + i].state = GRANULE_STATE_DELEGATED;
	}
	nset = 1 + n;
	if (ext.kind == RB_REALM_KIND_CONTAINER) {
		/* The System Realm's RD, locked with the others in ascending PA. */
		set[nset].addr = ext.system_rd;
		set[nset].state = GRANULE_STATE_RD;
		nset++;
	}
	if (!find_lock_granules(set, nset))
		return RMI_STATUS(RMI_ERROR_INPUT, 0);
	if (ext.kind == RB_REALM_KIND_CONTAINER) {
		g_sys = set[1 + n].g;
		if (!fasco_system_rd_valid(g_sys)) {
			for (i = 0; i < nset; i++)
				granule_unlock(set[i].g);
			return RMI_STATUS(RMI_ERROR_INPUT, 0);
		}
	}
	if (!vmid_reserve(p.vmid)) {
		for (i = 0; i < nset; i++)
			granule_unlock(set[i].g);
		return RMI_STATUS(RMI_ERROR_INPUT, 0);
	}

	/* Commit. */
	granule_set_state(set[0].g, GRANULE_STATE_RD);
	rd = rd_map(set[0].g); /* zero: an unlocked DELEGATED granule is all zeros */
	rd->state = REALM_NEW;
	rd->flags = p.flags;
	rd->ipa_bits = p.s2sz;
	rd->rtt_level_start = p.rtt_level_start;
	rd->rtt_num_start = p.rtt_num_start;
	rd->rtt_base = p.rtt_base;
	rd->vmid = p.vmid;
	rd->algo = (enum hash_algo)p.hash_algo;
	rd->rec_count = 0;
	memcpy(rd->rpv, p.rpv, sizeof(rd->rpv));
	fasco_realm_create(rd, &ext, g_sys);
	measure_realm_create(rd, &p);
	/* Root RTTs: all-zero entries are UNASSIGNED, RIPAS EMPTY (s2tte encoding). */
	for (i = 0; i < n; i++)
		granule_unlock_transition(set[1 + i].g, GRANULE_STATE_RTT);
	granule_unlock(set[0].g);
	if (g_sys != NULL)
		granule_unlock(g_sys);
	return RMI_STATUS(RMI_SUCCESS, 0);
}

uint64_t smc_realm_destroy(const uint64_t *args, uint64_t *res)
{
	struct granule *g_rd, *g_rtt[RTT_MAX_ROOT_RTTS];
	uint64_t n, i, vmid;
	struct rd *rd;

	g_rd = find_lock_granule(args[0], GRANULE_STATE_RD);
	if (g_rd == NULL)
		return RMI_STATUS(RMI_ERROR_INPUT, 0);
	rd = rd_map(g_rd);
	if (granule_refcount_read(g_rd) != 0 || !rtt_root_is_empty(rd) ||
	    !fasco_realm_destroy_allowed(rd)) {
		granule_unlock(g_rd);
		return RMI_STATUS(RMI_ERROR_REALM, 0);
	}
	n = rd->rtt_num_start;
	ASSERT(n >= 1 && n <= RTT_MAX_ROOT_RTTS);
	/* Lock order: RD, then RTTs root first (ascending within the root). */
	for (i = 0; i < n; i++) {
		g_rtt[i] = granule_find(rd->rtt_base + i * GRANULE_SIZE);
		ASSERT(g_rtt[i] != NULL);
		granule_lock(g_rtt[i]);
		ASSERT(granule_get_state(g_rtt[i]) == GRANULE_STATE_RTT);
	}
	/* Commit: scrub the root RTTs and the RD, free the VMID. */
	for (i = 0; i < n; i++) {
		granule_memzero(g_rtt[i]);
		__atomic_store_n(&g_rtt[i]->refcount, 0, __ATOMIC_RELAXED);
		granule_unlock_transition(g_rtt[i], GRANULE_STATE_DELEGATED);
	}
	vmid = rd->vmid;
	fasco_realm_destroyed(rd);
	granule_memzero(g_rd);
	vmid_free(vmid);
	granule_unlock_transition(g_rd, GRANULE_STATE_DELEGATED);
	return RMI_STATUS(RMI_SUCCESS, 0);
}

uint64_t smc_realm_activate(const uint64_t *args, uint64_t *res)
{
	struct granule *g_rd = find_lock_granule(args[0], GRANULE_STATE_RD);
	struct rd *rd;
	uint64_t ret = RMI_STATUS(RMI_SUCCESS, 0);

	if (g_rd == NULL)
		return RMI_STATUS(RMI_ERROR_INPUT, 0);
	rd = rd_map(g_rd);
	if (rd->state == REALM_NEW)
		rd->state = REALM_ACTIVE;
	else
		ret = RMI_STATUS(RMI_ERROR_REALM, 0);
	granule_unlock(g_rd);
	return ret;
}
