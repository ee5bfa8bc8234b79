/*
 * PSCI for realms (RMM spec v1.0-REL0, cca-spec §4; PSCI 1.1): the calls a
 * realm makes with SMC, answered by the RMM (VERSION, FEATURES,
 * CPU_SUSPEND) or exited to the host (CPU_ON, AFFINITY_INFO, CPU_OFF,
 * SYSTEM_OFF, SYSTEM_RESET), and RMI_PSCI_COMPLETE, by which the host
 * finishes CPU_ON and AFFINITY_INFO.
 */
#include "arch/rmi.h"
#include "arch/smc.h"
#include "lib/string.h"
#include "plat/plat.h"
#include "rmm/granule.h"
#include "rmm/realm.h"
#include "rmm/rec.h"
#include "rmm/rmi_handlers.h"
#include "rmm/rsi_handlers.h"

#define PSCI_VERSION_1_1 0x10001ULL

/* PSTATE of a REC that CPU_ON starts: EL1h with D, A, I, F masked (as REC_CREATE). */
#define PSCI_CPU_ON_PSTATE 0x3c5ULL

typedef enum rsi_action (*psci_handler_fn)(struct rec *rec, struct granule *g_rd,
					   struct rmi_rec_exit *exit);

static enum rsi_action psci_return(struct rec *rec, int64_t status)
{
	rec->regs.gprs[0] = (uint64_t)status;
	return RSI_ACTION_RESUME;
}

/* Exit RMI_EXIT_PSCI showing the FID and the call's own nargs arguments only. */
static enum rsi_action psci_exit(struct rec *rec, struct rmi_rec_exit *exit, uint64_t fid,
				 unsigned nargs)
{
	exit->exit_reason = RMI_EXIT_PSCI;
	exit->gprs[0] = fid;
	for (unsigned i = 1; i <= nargs; i++)
		exit->gprs[i] = rec->regs.gprs[i];
	return RSI_ACTION_EXIT;
}

/* Is mpidr the MPIDR of a REC the realm has? (Fixed once the realm is ACTIVE.) */
static bool psci_target_valid(const struct rd *rd, uint64_t mpidr)
{
	return mpidr_is_valid(mpidr) && mpidr_to_rec_idx(mpidr) < rd->rec_count;
}

static enum rsi_action psci_version(struct rec *rec, struct granule *g_rd,
				    struct rmi_rec_exit *exit)
{
	return psci_return(rec, (int64_t)PSCI_VERSION_1_1);
}

static bool psci_fid_supported(uint64_t fid);

static enum rsi_action psci_features(struct rec *rec, struct granule *g_rd,
				     struct rmi_rec_exit *exit)
{
	uint64_t fid = rec->regs.gprs[1];

	if ((fid >> 32) == 0 && psci_fid_supported(fid))
		return psci_return(rec, PSCI_RET_SUCCESS);
	return psci_return(rec, PSCI_RET_NOT_SUPPORTED);
}

static enum rsi_action psci_cpu_suspend(struct rec *rec, struct granule *g_rd,
					struct rmi_rec_exit *exit)
{
	/* A power state the realm may not lose anything in: return at once. */
	return psci_return(rec, PSCI_RET_SUCCESS);
}

static void psci_request(struct rec *rec, uint64_t fid, uint64_t target)
{
	rec->pending = REC_PENDING_PSCI;
	rec->psci_fid = fid;
	rec->psci_target_mpidr = target;
	rec->psci_complete = false;
	rec->psci_status = PSCI_RET_INTERNAL_FAILURE;
}

static enum rsi_action psci_cpu_on(struct rec *rec, struct granule *g_rd, struct rmi_rec_exit *exit)
{
	uint64_t target = rec->regs.gprs[1], entry = rec->regs.gprs[2];
	const struct rd *rd = rd_map(g_rd);

	if (!psci_target_valid(rd, target))
		return psci_return(rec, PSCI_RET_INVALID_PARAMS);
	if (mpidr_to_rec_idx(target) == rec->rec_idx)
		return psci_return(rec, PSCI_RET_ALREADY_ON);
	if (!addr_in_par(rd, entry))
		return psci_return(rec, PSCI_RET_INVALID_ADDRESS);
	/* entry (x2) and context (x3) stay in the caller's registers for PSCI_COMPLETE. */
	psci_request(rec, PSCI_CPU_ON_64, target);
	return psci_exit(rec, exit, PSCI_CPU_ON_64, 3);
}

static enum rsi_action psci_affinity_info(struct rec *rec, struct granule *g_rd,
					  struct rmi_rec_exit *exit)
{
	uint64_t target = rec->regs.gprs[1], lowest_level = rec->regs.gprs[2];
	const struct rd *rd = rd_map(g_rd);

	if (lowest_level != 0 || !psci_target_valid(rd, target))
		return psci_return(rec, PSCI_RET_INVALID_PARAMS);
	if (mpidr_to_rec_idx(target) == rec->rec_idx)
		return psci_return(rec, PSCI_AFFINITY_ON);
	psci_request(rec, PSCI_AFFINITY_INFO_64, target);
	return psci_exit(rec, exit, PSCI_AFFINITY_INFO_64, 2);
}

static enum rsi_action psci_cpu_off(struct rec *rec, struct granule *g_rd,
				    struct rmi_rec_exit *exit)
{
	/* Only a CPU_ON from another REC (PSCI_COMPLETE) makes it runnable again. */
	rec->runnable = false;
	rec->pending = REC_PENDING_NONE;
	return psci_exit(rec, exit, PSCI_CPU_OFF, 0);
}

static enum rsi_action psci_system_off_common(struct rec *rec, struct granule *g_rd,
					      struct rmi_rec_exit *exit, uint64_t fid)
{
	struct rd *rd;

	granule_lock(g_rd);
	rd = rd_map(g_rd);
	__atomic_store_n(&rd->state, (uint64_t)REALM_SYSTEM_OFF, __ATOMIC_RELEASE);
	granule_unlock(g_rd);
	rec->pending = REC_PENDING_NONE;
	return psci_exit(rec, exit, fid, 0);
}

static enum rsi_action psci_system_off(struct rec *rec, struct granule *g_rd,
				       struct rmi_rec_exit *exit)
{
	return psci_system_off_common(rec, g_rd, exit, PSCI_SYSTEM_OFF);
}

static enum rsi_action psci_system_reset(struct rec *rec, struct granule *g_rd,
					 struct rmi_rec_exit *exit)
{
	/* A realm cannot be reset in place: the host rebuilds it (spec: as SYSTEM_OFF). */
	return psci_system_off_common(rec, g_rd, exit, PSCI_SYSTEM_RESET);
}

static const struct {
	uint64_t fid;
	psci_handler_fn fn;
} psci_table[] = {
	{PSCI_VERSION, psci_version},
	{PSCI_FEATURES, psci_features},
	{PSCI_CPU_SUSPEND_64, psci_cpu_suspend},
	{PSCI_CPU_OFF, psci_cpu_off},
	{PSCI_CPU_ON_64, psci_cpu_on},
	{PSCI_AFFINITY_INFO_64, psci_affinity_info},
	{PSCI_SYSTEM_OFF, psci_system_off},
	{PSCI_SYSTEM_RESET, psci_system_reset},
};

static bool psci_fid_supported(uint64_t fid)
{
	for (unsigned i = 0; i < ARRAY_SIZE(psci_table); i++) {
		if (psci_table[i].fid == fid)
			return true;
	}
	return false;
}

bool psci_handle(struct rec *rec, struct granule *g_rd, struct rmi_rec_exit *exit,
		 enum rsi_action *action)
{
	uint64_t fid = (uint32_t)rec->regs.gprs[0]; /* SMCCC: W0 */

	for (unsigned i = 0; i < ARRAY_SIZE(psci_table); i++) {
		if (psci_table[i].fid == fid) {
			*action = psci_table[i].fn(rec, g_rd, exit);
			return true;
		}
	}
	return false;
}

/* ---- RMI_PSCI_COMPLETE ----------------------------------------------- */

/* CPU_ON accepted by the host: the target starts afresh at entry. */
static void psci_start_rec(struct rec *target, uint64_t entry, uint64_t context)
{
	/* Its old PE (if it ran before CPU_OFF) is stale: REC_ENTER makes a new one. */
	if (target->pe != NULL) {
		plat_pe_destroy(target->pe);
		target->pe = NULL;
	}
	memset(&target->regs, 0, sizeof(target->regs));
	target->regs.gprs[0] = context;
	target->regs.pc = entry;
	target->regs.pstate = PSCI_CPU_ON_PSTATE;
	target->pending = REC_PENDING_NONE;
	target->last_esr = 0;
	target->last_far = 0;
	target->last_hpfar = 0;
	target->psci_complete = false;
	target->runnable = true;
}

uint64_t smc_psci_complete(const uint64_t *args, uint64_t *res)
{
	uint64_t calling_addr = args[0], target_addr = args[1];
	int64_t status = (int64_t)args[2];
	struct granule_set set[2];
	struct granule *g_calling, *g_target;
	struct rec *calling, *target;
	uint64_t ret = RMI_STATUS(RMI_ERROR_INPUT, 0);
	bool target_on;
	int64_t result;

	(void)res;
	if (calling_addr == target_addr)
		return RMI_STATUS(RMI_ERROR_INPUT, 0);
	set[0].addr = calling_addr;
	set[0].state = GRANULE_STATE_REC;
	set[1].addr = target_addr;
	set[1].state = GRANULE_STATE_REC;
	if (!find_lock_granules(set, 2))
		return RMI_STATUS(RMI_ERROR_INPUT, 0);
	g_calling = set[0].g;
	g_target = set[1].g;

	/* A running caller has no request waiting (TF-RMM: ERROR_INPUT). */
	if (granule_refcount_read(g_calling) != 0)
		goto out_unlock;
	calling = rec_map(g_calling);
	target = rec_map(g_target);
	if (calling->rd_addr != target->rd_addr)
		goto out_unlock;
	if (calling->pending != REC_PENDING_PSCI || calling->psci_complete)
		goto out_unlock;
	if (mpidr_to_rec_idx(calling->psci_target_mpidr) != target->rec_idx)
		goto out_unlock;

	/*
	 * A running target is on (REC_ENTER only runs a runnable REC); it is
	 * never modified here, only its lock is held.
	 */
	target_on = granule_refcount_read(g_target) != 0 || target->runnable;
	switch (calling->psci_fid) {
	case PSCI_CPU_ON_64:
		if (status != PSCI_RET_SUCCESS && status != PSCI_RET_DENIED)
			goto out_unlock;
		if (status == PSCI_RET_DENIED) {
			result = PSCI_RET_DENIED;
		} else if (target_on) {
			result = PSCI_RET_ALREADY_ON;
		} else {
			psci_start_rec(target, calling->regs.gprs[2], calling->regs.gprs[3]);
			result = PSCI_RET_SUCCESS;
		}
		break;
	case PSCI_AFFINITY_INFO_64:
		if (status != PSCI_RET_SUCCESS)
			goto out_unlock;
		result = target_on ? PSCI_AFFINITY_ON : PSCI_AFFINITY_OFF;
		break;
	default:
		goto out_unlock;
	}
	calling->psci_status = result;
	calling->psci_complete = true;
	ret = RMI_STATUS(RMI_SUCCESS, 0);

out_unlock:
	granule_unlock(g_calling);
	granule_unlock(g_target);
	return ret;
}
