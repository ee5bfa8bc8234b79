/*
 * The host's RMI client: one SMC from the Normal world per call.
 */
#include "arch/rmi.h"
#include "host/host.h"
#include "plat/plat.h"

uint64_t host_rmi(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
		  uint64_t a5, uint64_t a6, struct smc_regs *res)
{
	return plat_smc6(PAS_NS, fid, a1, a2, a3, a4, a5, a6, res);
}

const char *host_rmi_status_name(uint64_t status)
{
	static const char *const names[] = {
		"RMI_SUCCESS", "RMI_ERROR_INPUT", "RMI_ERROR_REALM", "RMI_ERROR_REC", "RMI_ERROR_RTT",
	};
	uint64_t code = RMI_STATUS_CODE(status);

	if (status == SMC_UNKNOWN)
		return "SMC_UNKNOWN";
	return code < ARRAY_SIZE(names) ? names[code] : "RMI_ERROR_UNKNOWN";
}
