/*
 * Exception syndrome (ESR_ELx) and fault status codes, as the architecture
 * defines them. The platform reports exceptions with these encodings and the
 * RMM and host decode them with the same macros.
 */
#ifndef ARCH_ESR_H
#define ARCH_ESR_H

#include "arch/arch.h"

#define ESR_EC_SHIFT 26
#define ESR_EC(esr) EXTRACT_BITS(esr, 31, 26)
#define ESR_IL BIT(25)
#define ESR_ISS(esr) EXTRACT_BITS(esr, 24, 0)
#define ESR_MAKE(ec, iss) (((uint64_t)(ec) << ESR_EC_SHIFT) | ESR_IL | ((uint64_t)(iss) & GENMASK(24, 0)))

#define EC_UNKNOWN 0x00
#define EC_WFX 0x01
#define EC_SVC64 0x15
#define EC_HVC64 0x16
#define EC_SMC64 0x17
#define EC_SYSREG 0x18
#define EC_IABT_LOW 0x20
#define EC_IABT_CUR 0x21
#define EC_PC_ALIGN 0x22
#define EC_DABT_LOW 0x24
#define EC_DABT_CUR 0x25
#define EC_SP_ALIGN 0x26
#define EC_SERROR 0x2F
#define EC_BRK64 0x3C

/* Data/instruction abort ISS. */
#define ESR_ISS_ISV BIT(24)
#define ESR_ISS_SAS(iss) EXTRACT_BITS(iss, 23, 22) /* 0 byte .. 3 doubleword */
#define ESR_ISS_SAS_SHIFT 22
#define ESR_ISS_SSE BIT(21)
#define ESR_ISS_SRT(iss) EXTRACT_BITS(iss, 20, 16)
#define ESR_ISS_SRT_SHIFT 16
#define ESR_ISS_SF BIT(15)
#define ESR_ISS_FNV BIT(10)
#define ESR_ISS_S1PTW BIT(7)
#define ESR_ISS_WNR BIT(6)
#define ESR_ISS_FSC(iss) EXTRACT_BITS(iss, 5, 0)

/* Fault status codes (DFSC/IFSC). */
#define FSC_ADDR_SIZE(level) (0x00 + (level)) /* level 0..3 */
#define FSC_TRANSLATION(level) (0x04 + (level))
#define FSC_ACCESS_FLAG(level) (0x08 + (level))
#define FSC_PERMISSION(level) (0x0C + (level))
#define FSC_SYNC_EXTERNAL 0x10
#define FSC_GPF_PTW(level) (0x24 + (level)) /* GPF on a translation table walk */
#define FSC_GPF 0x28                         /* GPF, not on a walk */
#define FSC_ALIGNMENT 0x21

/* HPFAR_EL2: FIPA[51:12] held in bits [43:4]. */
#define HPFAR_FROM_IPA(ipa) ((((uint64_t)(ipa)) >> 8) & GENMASK(43, 4))
#define IPA_FROM_HPFAR(hpfar) ((((uint64_t)(hpfar)) & GENMASK(43, 4)) << 8)

/* SMC/HVC ISS carries the 16-bit immediate. */
#define ESR_ISS_IMM16(iss) EXTRACT_BITS(iss, 15, 0)

#endif /* ARCH_ESR_H */
