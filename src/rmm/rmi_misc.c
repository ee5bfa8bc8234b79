/*
 * RMI_VERSION and RMI_FEATURES, and the feature register the RMM
 * advertises (REL0 layout of cca-spec §1, not Linux's EAC5 packing).
 */
#include "arch/rmi.h"
#include "rmm/realm.h"
#include "rmm/rmi_handlers.h"
#include "rmm/rmm_private.h"

uint64_t rmm_feature_register_0(void)
{
	/* No LPA2, SVE or PMU: SVE_VL and PMU_NUM_CTRS stay 0. */
	return RMI_FEAT0_S2SZ(RMM_MAX_IPA_BITS) | RMI_FEAT0_NUM_BPS(RMM_NUM_BPS) |
	       RMI_FEAT0_NUM_WPS(RMM_NUM_WPS) | RMI_FEAT0_HASH_SHA_256 | RMI_FEAT0_HASH_SHA_512 |
	       RMI_FEAT0_GICV3_NUM_LRS(RMM_GICV3_NUM_LRS) |
	       RMI_FEAT0_MAX_RECS_ORDER(RMM_MAX_RECS_ORDER);
}

/*
 * VERSION(req): lower = higher = 1.0. SUCCESS if the caller asked for a
 * 1.x interface (1.0 is compatible with it), else ERROR_INPUT.
 */
uint64_t smc_version(const uint64_t *args, uint64_t *res)
{
	uint64_t req = args[0];

	res[0] = RMI_ABI_VERSION;
	res[1] = RMI_ABI_VERSION;
	if ((req >> 16) != RMI_ABI_VERSION_MAJOR)
		return RMI_STATUS(RMI_ERROR_INPUT, 0);
	return RMI_STATUS(RMI_SUCCESS, 0);
}

/* FEATURES(index): register 0; every other index reads as zero. */
uint64_t smc_features(const uint64_t *args, uint64_t *res)
{
	res[0] = args[0] == RMI_FEATURE_REGISTER_0_INDEX ? rmm_feature_register_0() : 0;
	return RMI_STATUS(RMI_SUCCESS, 0);
}
