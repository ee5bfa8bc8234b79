/*
 * RSI: the realm's calls to the RMM (RMM spec v1.0-REL0, cca-spec §4),
 * dispatched through a table by FID. Every argument comes from the realm
 * and is checked here; results go back in the REC's registers, or the call
 * exits to the host (IPA_STATE_SET, HOST_CALL). PSCI calls go to psci.c.
 */
#include "arch/rsi.h"
#include "arch/rmi.h"
#include "lib/string.h"
#include "plat/plat.h"
#include "rmm/attest.h"
#include "rmm/fasco.h"
#include "rmm/granule.h"
#include "rmm/measure.h"
#include "rmm/realm.h"
#include "rmm/rec.h"
#include "rmm/rsi_handlers.h"
#include "rmm/rtt.h"

/* RSI version word: reserved bits [63:31], major [30:16], minor [15:0]. */
#define RSI_VERSION_RES0 GENMASK(63, 31)
#define RSI_VERSION_MAJOR(v) EXTRACT_BITS(v, 30, 16)

#define RSI_HOST_CALL_ALIGN 256

typedef enum rsi_action (*rsi_handler_fn)(struct rec *rec, struct granule *g_rd,
					  struct rmi_rec_exit *exit);

static uint64_t *x(struct rec *rec)
{
	return rec->regs.gprs;
}

static enum rsi_action rsi_return(struct rec *rec, uint64_t status)
{
	x(rec)[0] = status;
	return RSI_ACTION_RESUME;
}

static enum rsi_action handle_rsi_version(struct rec *rec, struct granule *g_rd,
					  struct rmi_rec_exit *exit)
{
	uint64_t req = x(rec)[1];
	bool ok = (req & RSI_VERSION_RES0) == 0 && RSI_VERSION_MAJOR(req) == RSI_ABI_VERSION_MAJOR;

	x(rec)[1] = RSI_ABI_VERSION; /* lower: the only revision implemented */
	x(rec)[2] = RSI_ABI_VERSION; /* higher */
	return rsi_return(rec, ok ? RSI_SUCCESS : RSI_ERROR_INPUT);
}

static enum rsi_action handle_rsi_measurement_read(struct rec *rec, struct granule *g_rd,
						   struct rmi_rec_exit *exit)
{
	uint64_t idx = x(rec)[1];
	uint64_t slot[MAX_MEASUREMENT_SIZE / sizeof(uint64_t)];
	struct rd *rd;

	if (idx >= MEASUREMENT_SLOT_NR)
		return rsi_return(rec, RSI_ERROR_INPUT);
	/* Another REC of the realm may be extending this REM. */
	granule_lock(g_rd);
	rd = rd_map(g_rd);
	memcpy(slot, rd->measurement[idx], sizeof(slot));
	granule_unlock(g_rd);
	for (unsigned i = 0; i < ARRAY_SIZE(slot); i++)
		x(rec)[1 + i] = slot[i];
	return rsi_return(rec, RSI_SUCCESS);
}

static enum rsi_action handle_rsi_measurement_extend(struct rec *rec, struct granule *g_rd,
						     struct rmi_rec_exit *exit)
{
	uint64_t idx = x(rec)[1], size = x(rec)[2];
	uint64_t data[RSI_EXTEND_MAX_SIZE / sizeof(uint64_t)];
	int ret;

	if (idx == MEASUREMENT_RIM_INDEX || idx >= MEASUREMENT_SLOT_NR ||
	    size > RSI_EXTEND_MAX_SIZE)
		return rsi_return(rec, RSI_ERROR_INPUT);
	for (unsigned i = 0; i < ARRAY_SIZE(data); i++)
		data[i] = x(rec)[3 + i];
	granule_lock(g_rd);
	ret = measure_rem_extend(rd_map(g_rd), (unsigned)idx, data, (size_t)size);
	granule_unlock(g_rd);
	return rsi_return(rec, ret == 0 ? RSI_SUCCESS : RSI_ERROR_INPUT);
}

static enum rsi_action handle_rsi_realm_config(struct rec *rec, struct granule *g_rd,
					       struct rmi_rec_exit *exit)
{
	uint64_t ipa = x(rec)[1];
	const struct rd *rd = rd_map(g_rd);
	struct rsi_realm_config cfg;

	if (!IS_ALIGNED(ipa, GRANULE_SIZE) || !addr_in_par(rd, ipa))
		return rsi_return(rec, RSI_ERROR_INPUT);
	memset(&cfg, 0, sizeof(cfg));
	/* Fixed since REALM_CREATE: no lock needed. */
	cfg.ipa_width = rd->ipa_bits;
	cfg.hash_algo = rd->algo == HASH_SHA512 ? RSI_HASH_SHA_512 : RSI_HASH_SHA_256;
	memcpy(cfg.rpv, rd->rpv, sizeof(cfg.rpv));
	if (realm_ipa_write(rd, ipa, &cfg, sizeof(cfg)) != 0)
		return rsi_return(rec, RSI_ERROR_INPUT);
	return rsi_return(rec, RSI_SUCCESS);
}

static enum rsi_action handle_rsi_ipa_state_set(struct rec *rec, struct granule *g_rd,
						struct rmi_rec_exit *exit)
{
	uint64_t base = x(rec)[1], top = x(rec)[2], ripas = x(rec)[3], flags = x(rec)[4];
	const struct rd *rd = rd_map(g_rd);
	uint64_t par_size = 1ULL << (rd->ipa_bits - 1);

	if (!IS_ALIGNED(base, GRANULE_SIZE) || !IS_ALIGNED(top, GRANULE_SIZE) || base >= top ||
	    top > par_size)
		return rsi_return(rec, RSI_ERROR_INPUT);
	if (ripas != RIPAS_EMPTY && ripas != RIPAS_RAM)
		return rsi_return(rec, RSI_ERROR_INPUT);
	if ((flags & ~RSI_CHANGE_DESTROYED) != 0)
		return rsi_return(rec, RSI_ERROR_INPUT);

	rec->ripas_addr = base;
	rec->ripas_top = top;
	rec->ripas_value = ripas;
	rec->ripas_flags = flags;
	rec->pending = REC_PENDING_RIPAS;
	exit->exit_reason = RMI_EXIT_RIPAS_CHANGE;
	exit->ripas_base = base;
	exit->ripas_top = top;
	exit->ripas_value = ripas;
	return RSI_ACTION_EXIT;
}

static enum rsi_action handle_rsi_ipa_state_get(struct rec *rec, struct granule *g_rd,
						struct rmi_rec_exit *exit)
{
	uint64_t base = x(rec)[1], end = x(rec)[2];
	const struct rd *rd = rd_map(g_rd);
	uint64_t par_size = 1ULL << (rd->ipa_bits - 1);
	uint64_t top, ripas;

	if (!IS_ALIGNED(base, GRANULE_SIZE) || !IS_ALIGNED(end, GRANULE_SIZE) || base >= end ||
	    end > par_size)
		return rsi_return(rec, RSI_ERROR_INPUT);
	if (rtt_ripas_range(rd, base, end, &top, &ripas) != 0)
		return rsi_return(rec, RSI_ERROR_INPUT);
	x(rec)[1] = top;
	x(rec)[2] = ripas;
	return rsi_return(rec, RSI_SUCCESS);
}

static enum rsi_action handle_rsi_host_call(struct rec *rec, struct granule *g_rd,
					    struct rmi_rec_exit *exit)
{
	uint64_t ipa = x(rec)[1];
	const struct rd *rd = rd_map(g_rd);
	struct rsi_host_call hc;

	if (!IS_ALIGNED(ipa, RSI_HOST_CALL_ALIGN) || !addr_in_par(rd, ipa))
		return rsi_return(rec, RSI_ERROR_INPUT);
	if (realm_ipa_read(rd, ipa, &hc, sizeof(hc)) != 0)
		return rsi_return(rec, RSI_ERROR_INPUT);

	rec->host_call_ipa = ipa;
	rec->pending = REC_PENDING_HOST_CALL;
	exit->exit_reason = RMI_EXIT_HOST_CALL;
	exit->imm = hc.imm;
	COMPILER_ASSERT(RSI_HOST_CALL_NR_GPRS == RMI_REC_GPRS, "host call gprs");
	memcpy(exit->gprs, hc.gprs, sizeof(hc.gprs));
	return RSI_ACTION_EXIT;
}

static const struct {
	uint64_t fid;
	rsi_handler_fn fn;
} rsi_table[] = {
	{SMC_RSI_VERSION, handle_rsi_version},
	{SMC_RSI_MEASUREMENT_READ, handle_rsi_measurement_read},
	{SMC_RSI_MEASUREMENT_EXTEND, handle_rsi_measurement_extend},
	{SMC_RSI_ATTEST_TOKEN_INIT, handle_rsi_attest_token_init},
	{SMC_RSI_ATTEST_TOKEN_CONTINUE, handle_rsi_attest_token_continue},
	{SMC_RSI_REALM_CONFIG, handle_rsi_realm_config},
	{SMC_RSI_IPA_STATE_SET, handle_rsi_ipa_state_set},
	{SMC_RSI_IPA_STATE_GET, handle_rsi_ipa_state_get},
	{SMC_RSI_HOST_CALL, handle_rsi_host_call},
};

enum rsi_action rsi_handle(struct rec *rec, struct granule *g_rd, struct rmi_rec_exit *exit)
{
	/* SMCCC: the function ID is W0; X0[63:32] is ignored. */
	uint64_t fid = (uint32_t)x(rec)[0];
	enum rsi_action action;

	plat_count(PLAT_CNT_RSI);
	if (fasco_rsi_fid(fid))
		return fasco_rsi_handle(rec, g_rd, exit);
	for (unsigned i = 0; i < ARRAY_SIZE(rsi_table); i++) {
		if (rsi_table[i].fid == fid)
			return rsi_table[i].fn(rec, g_rd, exit);
	}
	if (psci_handle(rec, g_rd, exit, &action))
		return action;
	/* SMCCC: an unknown function answers -1 and changes nothing else. */
	return rsi_return(rec, SMC_UNKNOWN);
}
