/*
 * Stage-2 translation table descriptor format (VMSAv8-64, 4 KiB granule),
 * the architectural bits a stage-2 walker interprets. Software encodings of
 * invalid entries (HIPAS/RIPAS) belong to the RMM (rmm/s2tte.h).
 */
#ifndef ARCH_S2TT_H
#define ARCH_S2TT_H

#include "arch/arch.h"

#define S2TT_DESC_VALID BIT(0)
#define S2TT_DESC_TABLE BIT(1) /* table at levels 0-2, page at level 3 */
#define S2TT_DESC_TYPE_MASK 0x3ULL
#define S2TT_DESC_BLOCK 0x1ULL /* level 1-2 */
#define S2TT_DESC_TABLE_TYPE 0x3ULL
#define S2TT_DESC_PAGE 0x3ULL /* level 3 */

#define S2TT_OA_MASK GENMASK(47, 12)
#define S2TT_MEMATTR_SHIFT 2
#define S2TT_MEMATTR_MASK GENMASK(5, 2)
#define S2TT_MEMATTR_NORMAL_WB (0xFULL << 2)   /* Normal, outer/inner WB */
#define S2TT_MEMATTR_DEVICE_NGNRE (0x1ULL << 2)
#define S2TT_S2AP_SHIFT 6
#define S2TT_S2AP_MASK GENMASK(7, 6)
#define S2TT_S2AP_NONE (0ULL << 6)
#define S2TT_S2AP_RO (1ULL << 6)
#define S2TT_S2AP_WO (2ULL << 6)
#define S2TT_S2AP_RW (3ULL << 6)
#define S2TT_SH_SHIFT 8
#define S2TT_SH_MASK GENMASK(9, 8)
#define S2TT_SH_IS (3ULL << 8)
#define S2TT_AF BIT(10)
#define S2TT_XN_MASK GENMASK(54, 53)
/* RME: in a Realm stage-2 descriptor bit 55 selects the NS PAS for the output. */
#define S2TT_NS BIT(55)

/* Bits the host may set in RTT_MAP_UNPROTECTED's desc (OA, MemAttr, S2AP). */
#define S2TT_NS_HOST_ATTR_MASK (S2TT_OA_MASK | S2TT_MEMATTR_MASK | S2TT_S2AP_MASK)

#endif /* ARCH_S2TT_H */
