/*
 * RMI dispatch: the table of RMI commands (FID, name, argument and output
 * counts, handler) and rmm_handle_rmi, which the monitor calls for every
 * RMI SMC from the Normal world. The monitor counts the calls
 * (PLAT_CNT_RMI); an FID outside the table answers SMC_UNKNOWN.
 */
#include "arch/fasco.h"
#include "arch/rmi.h"
#include "lib/log.h"
#include "rmm/rmi_handlers.h"
#include "rmm/rmm.h"

#define RMI_MAX_ARGS 6
#define RMI_MAX_RESULTS 6  /* X1..X6 */
#define RMI_ZERO_RESULTS 4 /* X1..X4 read as zero when not outputs */

struct rmi_cmd {
	uint64_t fid;
	const char *name;
	unsigned nargs;
	unsigned nres;
	rmi_handler_fn fn;
};

#define RMI_CMD(id, n_args, n_res, handler)                                                        \
	[SMC_FNUM(SMC_RMI_##id) - SMC_RMI_FNUM_MIN] = {                                            \
		.fid = SMC_RMI_##id,                                                               \
		.name = #id,                                                                       \
		.nargs = (n_args),                                                                 \
		.nres = (n_res),                                                                   \
		.fn = (handler),                                                                   \
	}

static const struct rmi_cmd rmi_cmds[SMC_RMI_FNUM_MAX - SMC_RMI_FNUM_MIN + 1] = {
	RMI_CMD(VERSION, 1, 2, smc_version),
	RMI_CMD(GRANULE_DELEGATE, 1, 0, smc_granule_delegate),
	RMI_CMD(GRANULE_UNDELEGATE, 1, 0, smc_granule_undelegate),
	RMI_CMD(DATA_CREATE, 5, 0, smc_data_create),
	RMI_CMD(DATA_CREATE_UNKNOWN, 3, 0, smc_data_create_unknown),
	RMI_CMD(DATA_DESTROY, 2, 2, smc_data_destroy),
	RMI_CMD(REALM_ACTIVATE, 1, 0, smc_realm_activate),
	RMI_CMD(REALM_CREATE, 2, 0, smc_realm_create),
	RMI_CMD(REALM_DESTROY, 1, 0, smc_realm_destroy),
	RMI_CMD(REC_CREATE, 3, 0, smc_rec_create),
	RMI_CMD(REC_DESTROY, 1, 0, smc_rec_destroy),
	RMI_CMD(REC_ENTER, 2, 0, smc_rec_enter),
	RMI_CMD(RTT_CREATE, 4, 0, smc_rtt_create),
	RMI_CMD(RTT_DESTROY, 3, 2, smc_rtt_destroy),
	RMI_CMD(RTT_MAP_UNPROTECTED, 4, 0, smc_rtt_map_unprotected),
	RMI_CMD(RTT_READ_ENTRY, 3, 4, smc_rtt_read_entry),
	RMI_CMD(RTT_UNMAP_UNPROTECTED, 3, 1, smc_rtt_unmap_unprotected),
	RMI_CMD(PSCI_COMPLETE, 3, 0, smc_psci_complete),
	RMI_CMD(FEATURES, 1, 1, smc_features),
	RMI_CMD(RTT_FOLD, 3, 1, smc_rtt_fold),
	RMI_CMD(REC_AUX_COUNT, 1, 1, smc_rec_aux_count),
	RMI_CMD(RTT_INIT_RIPAS, 3, 1, smc_rtt_init_ripas),
	RMI_CMD(RTT_SET_RIPAS, 4, 1, smc_rtt_set_ripas),
	/* realmbox range (arch/fasco.h) */
	RMI_CMD(RB_CHANNEL_CREATE, 4, 0, smc_rb_channel_create),
	RMI_CMD(RB_CHANNEL_DESTROY, 3, 1, smc_rb_channel_destroy),
	RMI_CMD(RB_REALM_COUNTERS, 1, 6, smc_rb_realm_counters),
};

/* The table entry for fid, or NULL. */
static const struct rmi_cmd *rmi_lookup(uint64_t fid)
{
	uint64_t fnum = SMC_FNUM(fid);
	const struct rmi_cmd *cmd;

	if (!SMC_IS_SMC64_FAST(fid) || fnum < SMC_RMI_FNUM_MIN || fnum > SMC_RMI_FNUM_MAX)
		return NULL;
	cmd = &rmi_cmds[fnum - SMC_RMI_FNUM_MIN];
	return cmd->fn != NULL && cmd->fid == fid ? cmd : NULL;
}

/*
 * X0 = status, X1..X(nres) = outputs (nres <= 6), other registers up to X4
 * that are not outputs read as zero (nothing of the RMM's state leaks
 * through them); the registers above both are preserved (SMCCC).
 */
void rmm_handle_rmi(struct smc_regs *regs)
{
	const struct rmi_cmd *cmd = rmi_lookup(regs->x[0]);
	uint64_t args[RMI_MAX_ARGS] = { 0 };
	uint64_t out[RMI_MAX_RESULTS] = { 0 };
	uint64_t status;
	unsigned i;

	if (cmd == NULL) {
		lib_log(LOG_DEBUG, "rmm", "unknown RMI FID 0x%llx", (unsigned long long)regs->x[0]);
		regs->x[0] = SMC_UNKNOWN;
		return;
	}
	for (i = 0; i < cmd->nargs; i++)
		args[i] = regs->x[1 + i];
	status = cmd->fn(args, out);
	lib_log(LOG_DEBUG, "rmm", "RMI %s(0x%llx, 0x%llx, 0x%llx) -> 0x%llx", cmd->name,
		(unsigned long long)args[0], (unsigned long long)args[1],
		(unsigned long long)args[2], (unsigned long long)status);
	regs->x[0] = status;
	for (i = 0; i < RMI_MAX_RESULTS; i++) {
		if (i < cmd->nres)
			regs->x[1 + i] = out[i];
		else if (i < RMI_ZERO_RESULTS)
			regs->x[1 + i] = 0;
	}
}
