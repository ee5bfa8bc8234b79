/*
 * The monitor's attestation service (an emulated security processor, as
 * a CCA platform's HES/RSE would be): it holds the platform attestation
 * key and the Realm Attestation Key (RAK), provisioned by the boot ROM at
 * machine boot, and serves the RMM's two EL3 calls of cca-spec §7:
 *
 *   ATTEST_GET_REALM_KEY (0xC40001B2): x1 = buffer PA, x2 = buffer size,
 *     x3 = curve (0 = ECC P-384) -> x1 = key size. Writes the RAK private
 *     scalar (48 bytes, big-endian) to the buffer.
 *   GET_PLAT_TOKEN (0xC40001B3): x1 = buffer PA, x2 = buffer size,
 *     x3 = challenge size (32, 48 or 64) with the challenge at the start of
 *     the buffer -> x1 = token size. Writes the platform token (a tagged
 *     ES384 COSE_Sign1, claims in docs/attestation.md) to the buffer.
 *
 * The buffer must be granule aligned, at most one granule, and in the
 * Realm PAS (the GPC check of the write is what enforces it). Status:
 * E_RMM_OK; E_RMM_UNK when the machine was booted without keys (checked
 * first: the service does not exist then);
 * E_RMM_BAD_ADDR (alignment, size, outside DRAM); E_RMM_BAD_PAS (not Realm
 * memory); E_RMM_INVAL (curve, challenge size); E_RMM_NOMEM (buffer too
 * small for the result).
 */
#ifndef MONITOR_ATTEST_H
#define MONITOR_ATTEST_H

#include "arch/arch.h"
#include "arch/smc.h"

#define MONITOR_ATTEST_KEY_SIZE 48 /* P-384 private scalar */
#define MONITOR_ATTEST_MAX_SW 4
#define MONITOR_ATTEST_SW_TYPE_MAX 16	      /* bytes, NUL included */
#define MONITOR_ATTEST_SW_MEASUREMENT_SIZE 32 /* SHA-256 */
#define MONITOR_ATTEST_IMPL_ID_SIZE 32
#define MONITOR_ATTEST_CURVE_P384 0
#define MONITOR_ATTEST_LIFECYCLE_SECURED 0x3000

/* One platform software component, as measured by the boot ROM. */
struct monitor_attest_sw {
	char type[MONITOR_ATTEST_SW_TYPE_MAX]; /* e.g. "BL31", "RMM" */
	char version[MONITOR_ATTEST_SW_TYPE_MAX];
	uint8_t measurement[MONITOR_ATTEST_SW_MEASUREMENT_SIZE];
	uint8_t signer_id[MONITOR_ATTEST_SW_MEASUREMENT_SIZE];
};

/* What provisioning gives the security processor. */
struct monitor_attest_config {
	uint8_t platform_key[MONITOR_ATTEST_KEY_SIZE];
	uint8_t realm_key[MONITOR_ATTEST_KEY_SIZE];
	uint8_t impl_id[MONITOR_ATTEST_IMPL_ID_SIZE];
	uint64_t config; /* platform configuration word (claim 2401, 8 bytes LE) */
	unsigned nsw;
	struct monitor_attest_sw sw[MONITOR_ATTEST_MAX_SW];
};

/*
 * Install the keys and claims (copied). Returns 0, or -EINVAL for a key
 * that is not a valid P-384 scalar, a bad nsw or an unterminated string;
 * -ENOMEM. Replaces any earlier provisioning.
 */
int monitor_attest_provision(const struct monitor_attest_config *cfg);

/* Forget keys and claims (zeroed); the EL3 calls answer E_RMM_UNK again. */
void monitor_attest_forget(void);

/* EL3 handlers for the SMC table (caller already known to be the RMM). */
void monitor_smc_attest_get_realm_key(struct smc_regs *regs);
void monitor_smc_attest_get_plat_token(struct smc_regs *regs);

#endif /* MONITOR_ATTEST_H */
