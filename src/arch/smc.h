/*
 * SMC calling convention as realmbox uses it (SMCCC, SMC64 fast calls):
 * X0 = function ID, X1..X6 arguments; on return X0 = status, X1..X4 results.
 * Function ranges and the EL3 (RMM <-> monitor) interface of cca-spec §7.
 */
#ifndef ARCH_SMC_H
#define ARCH_SMC_H

#include "arch/arch.h"

#define SMC_NR_REGS 11 /* X0..X10: RSI MEASUREMENT_EXTEND uses X3..X10 */

/* Register file of one SMC: written by the caller, overwritten by the callee. */
struct smc_regs {
	uint64_t x[SMC_NR_REGS];
};

#define SMC64_FID(fnum) (0xC4000000ULL | (uint64_t)(fnum))
#define SMC_FNUM(fid) ((fid) & 0xFFFFULL)
#define SMC_IS_SMC64_FAST(fid) (((fid) & 0xFFFF0000ULL) == 0xC4000000ULL)

#define SMC_UNKNOWN ((uint64_t)-1) /* returned for an unknown FID */

/* Ranges (fnum). */
#define SMC_RMI_FNUM_MIN 0x150
#define SMC_RMI_FNUM_MAX 0x18F
#define SMC_RSI_FNUM_MIN 0x190
#define SMC_RSI_FNUM_MAX 0x1AF
#define SMC_RMM_EL3_FNUM_MIN 0x1B0
#define SMC_RMM_EL3_FNUM_MAX 0x1CF

/* RMM -> EL3 interface (cca-spec §7). */
#define SMC_RMM_GTSI_DELEGATE SMC64_FID(0x1B0)
#define SMC_RMM_GTSI_UNDELEGATE SMC64_FID(0x1B1)
#define SMC_RMM_ATTEST_GET_REALM_KEY SMC64_FID(0x1B2)
#define SMC_RMM_GET_PLAT_TOKEN SMC64_FID(0x1B3)
#define SMC_RMM_EL3_FEATURES SMC64_FID(0x1B4)
#define SMC_RMM_BOOT_COMPLETE SMC64_FID(0x1CF)
#define SMC_RMM_RMI_REQ_COMPLETE SMC64_FID(0x18F)

/* EL3 interface error codes (returned in X0, as signed values). */
#define E_RMM_OK 0
#define E_RMM_UNK (-1)
#define E_RMM_BAD_ADDR (-2)
#define E_RMM_BAD_PAS (-3)
#define E_RMM_NOMEM (-4)
#define E_RMM_INVAL (-5)
#define E_RMM_AGAIN (-6)

/* PSCI (SMCCC 64-bit IDs the RMM answers for realms). */
#define PSCI_VERSION 0x84000000ULL
#define PSCI_CPU_SUSPEND_64 0xC4000001ULL
#define PSCI_CPU_OFF 0x84000002ULL
#define PSCI_CPU_ON_64 0xC4000003ULL
#define PSCI_AFFINITY_INFO_64 0xC4000004ULL
#define PSCI_SYSTEM_OFF 0x84000008ULL
#define PSCI_SYSTEM_RESET 0x84000009ULL
#define PSCI_FEATURES 0x8400000AULL

#define PSCI_RET_SUCCESS 0
#define PSCI_RET_NOT_SUPPORTED (-1)
#define PSCI_RET_INVALID_PARAMS (-2)
#define PSCI_RET_DENIED (-3)
#define PSCI_RET_ALREADY_ON (-4)
#define PSCI_RET_ON_PENDING (-5)
#define PSCI_RET_INTERNAL_FAILURE (-6)
#define PSCI_RET_NOT_PRESENT (-7)
#define PSCI_RET_DISABLED (-8)
#define PSCI_RET_INVALID_ADDRESS (-9)

#define PSCI_AFFINITY_ON 0
#define PSCI_AFFINITY_OFF 1

#endif /* ARCH_SMC_H */
