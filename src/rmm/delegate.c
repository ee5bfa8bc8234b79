/*
 * RMI_GRANULE_DELEGATE / RMI_GRANULE_UNDELEGATE: NS <-> DELEGATED through
 * the monitor's GTSI interface. A DELEGATED granule is always all zeros:
 * delegate scrubs it through its Realm-PAS mapping once EL3 has moved it.
 */
#include "arch/rmi.h"
#include "arch/smc.h"
#include "lib/log.h"
#include "plat/plat.h"
#include "rmm/granule.h"
#include "rmm/rmi_handlers.h"

static int64_t gtsi_call(uint64_t fid, uint64_t pa)
{
	struct smc_regs regs = { .x = { fid, pa } };

	plat_smc(PAS_REALM, &regs);
	return (int64_t)regs.x[0];
}

uint64_t smc_granule_delegate(const uint64_t *args, uint64_t *res)
{
	uint64_t addr = args[0];
	struct granule *g = find_lock_granule(addr, GRANULE_STATE_NS);
	int64_t ret;

	if (g == NULL)
		return RMI_STATUS(RMI_ERROR_INPUT, 0);
	/* EL3 refuses what is not NS PAS (Root and RMM memory, in particular). */
	ret = gtsi_call(SMC_RMM_GTSI_DELEGATE, addr);
	if (ret != E_RMM_OK) {
		granule_unlock(g);
		return RMI_STATUS(RMI_ERROR_INPUT, 0);
	}
	granule_set_state(g, GRANULE_STATE_DELEGATED);
	granule_memzero(g);
	granule_unlock(g);
	return RMI_STATUS(RMI_SUCCESS, 0);
}

uint64_t smc_granule_undelegate(const uint64_t *args, uint64_t *res)
{
	uint64_t addr = args[0];
	struct granule *g = find_lock_granule(addr, GRANULE_STATE_DELEGATED);
	int64_t ret;

	if (g == NULL)
		return RMI_STATUS(RMI_ERROR_INPUT, 0);
	ret = gtsi_call(SMC_RMM_GTSI_UNDELEGATE, addr);
	if (ret != E_RMM_OK) {
		/* EL3 delegated this granule for us: it must take it back. */
		lib_log(LOG_ERROR, "rmm", "GTSI_UNDELEGATE 0x%llx failed: %lld",
			(unsigned long long)addr, (long long)ret);
		granule_unlock(g);
		return RMI_STATUS(RMI_ERROR_INPUT, 0);
	}
	granule_unlock_transition(g, GRANULE_STATE_NS);
	return RMI_STATUS(RMI_SUCCESS, 0);
}
