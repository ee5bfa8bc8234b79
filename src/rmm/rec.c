/*
 * REC_CREATE, REC_DESTROY, REC_AUX_COUNT and the MPIDR helpers
 * (RMM spec v1.0-REL0; TF-RMM where the spec leaves a choice).
 */
#include "rmm/rec.h"
#include "arch/rmi.h"
#include "lib/assert.h"
#include "lib/string.h"
#include "plat/plat.h"
#include "rmm/fasco.h"
#include "rmm/granule.h"
#include "rmm/measure.h"
#include "rmm/realm.h"
#include "rmm/rmi_handlers.h"

/* RmiRecMpidr: Aff0 [3:0], Aff1 [15:8], Aff2 [23:16], Aff3 [39:32]. */
#define MPIDR_AFF0_MASK GENMASK(3, 0)
#define MPIDR_VALID_MASK (GENMASK(3, 0) | GENMASK(15, 8) | GENMASK(23, 16) | GENMASK(39, 32))

/* PSTATE of a new REC: EL1h with D, A, I, F masked. */
#define REC_INITIAL_PSTATE 0x3c5ULL

bool mpidr_is_valid(uint64_t mpidr)
{
	return (mpidr & ~MPIDR_VALID_MASK) == 0;
}

uint64_t mpidr_to_rec_idx(uint64_t mpidr)
{
	return EXTRACT_BITS(mpidr, 3, 0) | (EXTRACT_BITS(mpidr, 15, 8) << 4) |
	       (EXTRACT_BITS(mpidr, 23, 16) << 12) | (EXTRACT_BITS(mpidr, 39, 32) << 20);
}

uint64_t rec_idx_to_mpidr(uint64_t idx)
{
	return INSERT_BITS(idx & 0xF, 3, 0) | INSERT_BITS((idx >> 4) & 0xFF, 15, 8) |
	       INSERT_BITS((idx >> 12) & 0xFF, 23, 16) | INSERT_BITS((idx >> 20) & 0xFF, 39, 32);
}

/* Argument checks that need no lock. */
static bool rec_params_valid(const struct rmi_rec_params *p)
{
	if ((p->flags & ~RMI_REC_FLAG_RUNNABLE) != 0)
		return false;
	if (!mpidr_is_valid(p->mpidr))
		return false;
	if (mpidr_to_rec_idx(p->mpidr) >= (1ULL << RMM_MAX_RECS_ORDER))
		return false;
	if (p->num_aux != RMI_REC_AUX_COUNT)
		return false;
	return true;
}

uint64_t smc_rec_create(const uint64_t *args, uint64_t *res)
{
	uint64_t rd_addr = args[0], rec_addr = args[1], params_addr = args[2];
	struct rmi_rec_params p;
	struct granule_set set[2 + RMI_REC_AUX_COUNT];
	const unsigned n = 2 + RMI_REC_AUX_COUNT;
	struct granule *g_rd, *g_rec;
	uint64_t ret = RMI_STATUS(RMI_SUCCESS, 0);
	struct rd *rd;
	struct rec *rec;
	unsigned i;

	if (ns_buffer_read(params_addr, 0, &p, sizeof(p)) != 0)
		return RMI_STATUS(RMI_ERROR_INPUT, 0);
	if (!rec_params_valid(&p))
		return RMI_STATUS(RMI_ERROR_INPUT, 0);

	/*
	 * RD, REC and aux granules are all NS/DELEGATED/RD-class: one ascending
	 * lock pass, which also refuses aliasing between any two of them.
	 */
	set[0].addr = rd_addr;
	set[0].state = GRANULE_STATE_RD;
	set[1].addr = rec_addr;
	set[1].state = GRANULE_STATE_DELEGATED;
	for (i = 0; i < RMI_REC_AUX_COUNT; i++) {
		set[2 + i].addr = p.aux[i];
		set[2 + i].state = GRANULE_STATE_DELEGATED;
	}
	if (!find_lock_granules(set, n))
		return RMI_STATUS(RMI_ERROR_INPUT, 0);
	g_rd = set[0].g;
	g_rec = set[1].g;
	rd = rd_map(g_rd);
	if (rd->state != REALM_NEW) {
		ret = RMI_STATUS(RMI_ERROR_REALM, 0);
		goto out_unlock;
	}
	if (mpidr_to_rec_idx(p.mpidr) != rd->rec_count || !fasco_rec_create_allowed(rd)) {
		ret = RMI_STATUS(RMI_ERROR_INPUT, 0);
		goto out_unlock;
	}

	/* Commit. The REC granule is zero (DELEGATED invariant). */
	granule_set_state(g_rec, GRANULE_STATE_REC);
	rec = rec_map(g_rec);
	rec->rd_addr = rd_addr;
	rec->rec_idx = rd->rec_count;
	rec->mpidr = p.mpidr;
	rec->runnable = (p.flags & RMI_REC_FLAG_RUNNABLE) != 0;
	rec->regs.pc = p.pc;
	for (i = 0; i < RMI_REC_PARAMS_GPRS; i++)
		rec->regs.gprs[i] = p.gprs[i];
	rec->regs.pstate = REC_INITIAL_PSTATE;
	rec->num_aux = RMI_REC_AUX_COUNT;
	for (i = 0; i < RMI_REC_AUX_COUNT; i++) {
		rec->aux[i] = p.aux[i];
		granule_set_state(set[2 + i].g, GRANULE_STATE_REC_AUX);
	}
	rec->pe = NULL; /* created lazily by REC_ENTER */
	rec->pending = REC_PENDING_NONE;
	fasco_rec_created(rec, rd);
	rd->rec_count++;
	granule_refcount_inc(g_rd);
	if (rec->runnable)
		measure_rec_create(rd, &p);

out_unlock:
	for (i = 0; i < n; i++)
		granule_unlock(set[i].g);
	return ret;
}

uint64_t smc_rec_destroy(const uint64_t *args, uint64_t *res)
{
	struct granule *g_rec, *g_rd, *g_aux;
	struct rec *rec;
	uint64_t rd_addr, aux[RMI_REC_MAX_AUX], num_aux, i;

	g_rec = find_lock_granule(args[0], GRANULE_STATE_REC);
	if (g_rec == NULL)
		return RMI_STATUS(RMI_ERROR_INPUT, 0);
	/* A running REC holds a reference (REC_ENTER). */
	if (granule_refcount_read(g_rec) != 0) {
		granule_unlock(g_rec);
		return RMI_STATUS(RMI_ERROR_REC, 0);
	}
	rec = rec_map(g_rec);
	/* A container REC gives its channel back first (RMI_RB_CHANNEL_DESTROY). */
	if (!fasco_rec_destroy_allowed(rec)) {
		granule_unlock(g_rec);
		return RMI_STATUS(RMI_ERROR_REC, 0);
	}
	rd_addr = rec->rd_addr;
	num_aux = rec->num_aux;
	ASSERT(num_aux <= RMI_REC_MAX_AUX);
	memcpy(aux, rec->aux, sizeof(aux));
	if (rec->pe != NULL) {
		plat_pe_destroy(rec->pe);
		rec->pe = NULL;
	}
	fasco_rec_destroyed(rec);
	/* Lock order: REC, then REC_AUX. */
	for (i = 0; i < num_aux; i++) {
		g_aux = granule_find(aux[i]);
		ASSERT(g_aux != NULL);
		granule_lock(g_aux);
		ASSERT(granule_get_state(g_aux) == GRANULE_STATE_REC_AUX);
		granule_memzero(g_aux);
		granule_unlock_transition(g_aux, GRANULE_STATE_DELEGATED);
	}
	granule_memzero(g_rec);
	granule_unlock_transition(g_rec, GRANULE_STATE_DELEGATED);

	/* The RD outlives its RECs: its refcount keeps REALM_DESTROY away. */
	g_rd = granule_find(rd_addr);
	ASSERT(g_rd != NULL);
	atomic_granule_put(g_rd);
	return RMI_STATUS(RMI_SUCCESS, 0);
}

uint64_t smc_rec_aux_count(const uint64_t *args, uint64_t *res)
{
	struct granule *g_rd = find_lock_granule(args[0], GRANULE_STATE_RD);

	if (g_rd == NULL)
		return RMI_STATUS(RMI_ERROR_INPUT, 0);
	granule_unlock(g_rd);
	res[0] = RMI_REC_AUX_COUNT;
	return RMI_STATUS(RMI_SUCCESS, 0);
}
