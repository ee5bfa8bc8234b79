/*
 * Realm Services Interface (realm -> RMM), RMM specification v1.0-REL0:
 * function IDs, status codes and the layouts of the realm-config and
 * host-call structures.
 */
#ifndef ARCH_RSI_H
#define ARCH_RSI_H

#include "arch/arch.h"
#include "arch/smc.h"

#define RSI_ABI_VERSION_MAJOR 1
#define RSI_ABI_VERSION_MINOR 0
#define RSI_ABI_VERSION ((RSI_ABI_VERSION_MAJOR << 16) | RSI_ABI_VERSION_MINOR)

#define SMC_RSI_VERSION SMC64_FID(0x190)
#define SMC_RSI_MEASUREMENT_READ SMC64_FID(0x192)
#define SMC_RSI_MEASUREMENT_EXTEND SMC64_FID(0x193)
#define SMC_RSI_ATTEST_TOKEN_INIT SMC64_FID(0x194)
#define SMC_RSI_ATTEST_TOKEN_CONTINUE SMC64_FID(0x195)
#define SMC_RSI_REALM_CONFIG SMC64_FID(0x196)
#define SMC_RSI_IPA_STATE_SET SMC64_FID(0x197)
#define SMC_RSI_IPA_STATE_GET SMC64_FID(0x198)
#define SMC_RSI_HOST_CALL SMC64_FID(0x199)

#define RSI_SUCCESS 0
#define RSI_ERROR_INPUT 1
#define RSI_ERROR_STATE 2
#define RSI_INCOMPLETE 3

/* Measurement slots: 0 = RIM, 1..4 = REMs. */
#define MEASUREMENT_SLOT_NR 5
#define MEASUREMENT_RIM_INDEX 0
#define MAX_MEASUREMENT_SIZE 64
#define RSI_EXTEND_MAX_SIZE 64

/* IPA_STATE_SET flags and responses. */
#define RSI_CHANGE_DESTROYED BIT(0)
#define RSI_ACCEPT 0
#define RSI_REJECT 1

/* RsiRealmConfig: one 4 KiB buffer in realm memory. */
struct rsi_realm_config {
	uint64_t ipa_width;          /* 0x000 */
	uint64_t hash_algo;          /* 0x008 (RSI_HASH_*) */
	uint8_t reserved0[0x200 - 0x010];
	uint8_t rpv[64];             /* 0x200 */
	uint8_t reserved1[0x1000 - 0x240];
};
COMPILER_ASSERT(sizeof(struct rsi_realm_config) == 0x1000, "RsiRealmConfig size");
COMPILER_ASSERT(offsetof(struct rsi_realm_config, hash_algo) == 0x8, "hash_algo");
COMPILER_ASSERT(offsetof(struct rsi_realm_config, rpv) == 0x200, "rpv");

#define RSI_HASH_SHA_256 0
#define RSI_HASH_SHA_512 1

/* RsiHostCall: imm @0, gprs[31] @8. */
#define RSI_HOST_CALL_NR_GPRS 31
struct rsi_host_call {
	uint16_t imm;                /* 0x000 */
	uint8_t reserved0[6];
	uint64_t gprs[RSI_HOST_CALL_NR_GPRS]; /* 0x008 */
};
COMPILER_ASSERT(offsetof(struct rsi_host_call, gprs) == 0x8, "host call gprs");
COMPILER_ASSERT(sizeof(struct rsi_host_call) == 0x100, "RsiHostCall size");

#endif /* ARCH_RSI_H */
