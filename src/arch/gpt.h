/*
 * Granule Protection Table format and GPC registers (cca-spec §7).
 * GPCCR_EL3 fields, GPTBR_EL3, L0/L1 descriptors, GPI encodings, and the
 * access rule of the Granule Protection Check.
 */
#ifndef ARCH_GPT_H
#define ARCH_GPT_H

#include "arch/arch.h"

/* GPCCR_EL3 */
#define GPCCR_PPS(v) EXTRACT_BITS(v, 2, 0)
#define GPCCR_PPS_SHIFT 0
#define GPCCR_IRGN_SHIFT 8
#define GPCCR_ORGN_SHIFT 10
#define GPCCR_SH_SHIFT 12
#define GPCCR_PGS(v) EXTRACT_BITS(v, 15, 14)
#define GPCCR_PGS_SHIFT 14
#define GPCCR_GPC BIT(16)
#define GPCCR_L0GPTSZ(v) EXTRACT_BITS(v, 23, 20)
#define GPCCR_L0GPTSZ_SHIFT 20

#define GPCCR_PGS_4K 0
#define GPCCR_PGS_64K 1
#define GPCCR_PGS_16K 2

/* PPS encoding -> protected physical address size in bits; 0 if reserved. */
static inline unsigned gpt_pps_bits(uint64_t pps)
{
	static const unsigned bits[8] = { 32, 36, 40, 42, 44, 48, 52, 0 };
	return bits[pps & 7];
}

/* GPTBR_EL3: BADDR[39:0] = PA[51:12] of the L0 table. */
#define GPTBR_BADDR_MASK GENMASK(39, 0)
#define GPTBR_TO_PA(v) (((v) & GPTBR_BADDR_MASK) << 12)
#define GPTBR_FROM_PA(pa) (((uint64_t)(pa) >> 12) & GPTBR_BADDR_MASK)

/* L0 descriptors. */
#define GPT_L0_TYPE_MASK 0xFULL
#define GPT_L0_TYPE_BLOCK 0x1ULL
#define GPT_L0_TYPE_TABLE 0x3ULL
#define GPT_L0_BLOCK_GPI(d) EXTRACT_BITS(d, 7, 4)
#define GPT_L0_BLOCK_DESC(gpi) (((uint64_t)(gpi) << 4) | GPT_L0_TYPE_BLOCK)
#define GPT_L0_TABLE_ADDR(d) ((d) & GENMASK(51, 12))
#define GPT_L0_TABLE_DESC(pa) (((uint64_t)(pa) & GENMASK(51, 12)) | GPT_L0_TYPE_TABLE)

/* L1 descriptors: 16 four-bit GPIs, nibble i for granule i. */
#define GPT_L1_GPIS_PER_DESC 16
#define GPT_L1_GPI(d, i) (((d) >> ((i) * 4)) & 0xFULL)
#define GPT_L1_SET_GPI(d, i, gpi) (((d) & ~(0xFULL << ((i) * 4))) | ((uint64_t)(gpi) << ((i) * 4)))
/* A descriptor with every nibble = gpi. */
#define GPT_L1_FILL(gpi) (0x1111111111111111ULL * (uint64_t)(gpi))

/* GPI values. */
#define GPI_NO_ACCESS 0x0
#define GPI_SECURE 0x8
#define GPI_NS 0x9
#define GPI_ROOT 0xA
#define GPI_REALM 0xB
#define GPI_ANY 0xF

static inline bool gpi_is_valid(unsigned gpi)
{
	return gpi == GPI_NO_ACCESS || gpi == GPI_ANY || (gpi >= GPI_SECURE && gpi <= GPI_REALM);
}

/* The GPC rule: may an access in PAS `pas` reach a granule with this GPI? */
static inline bool gpi_allows(unsigned gpi, enum pas pas)
{
	if (gpi == GPI_ANY)
		return true;
	return gpi >= GPI_SECURE && gpi <= GPI_REALM && (gpi & 3U) == (unsigned)pas;
}

/* GPI that gives a granule to exactly one PAS. */
static inline unsigned gpi_for_pas(enum pas pas)
{
	return GPI_SECURE | (unsigned)pas;
}

/* Walk geometry for 4K granules (p = 12). */
#define GPT_P 12

#endif /* ARCH_GPT_H */
