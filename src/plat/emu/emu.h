/*
 * Private interfaces between the files of the emulated platform (plat/emu):
 * the host mapping of DRAM, the GPC reset hook, and the processing-element
 * engine table. Nothing outside src/plat/emu includes this header.
 */
#ifndef PLAT_EMU_EMU_H
#define PLAT_EMU_EMU_H

#include "plat/plat.h"

/* Host address of DRAM (NULL while the machine is off) and its size. */
extern uint8_t *emu_dram;
extern uint64_t emu_dram_bytes;

/*
 * Host pointer for physical address pa, without any check. The caller has
 * made sure [pa, pa+len) is in DRAM (plat_pa_in_dram).
 */
static inline void *emu_pa_ptr(uint64_t pa)
{
	return emu_dram + (pa - PLAT_DRAM_BASE);
}

/* Reset the GPC registers (GPC disabled) and empty the GPC TLB (plat_init). */
void emu_gpc_reset(void);
/* Forget the EL3 vector (plat_fini). */
void emu_smc_reset(void);

/*
 * A processing element: each engine embeds this header first and provides
 * its operations. plat_pe_* in pe.c dispatch through it.
 */
struct plat_pe;
struct emu_pe_ops {
	int (*run)(struct plat_pe *pe, const struct plat_s2_config *s2,
		   struct plat_vcpu_state *state, struct plat_exception *exc);
	void (*inject_sea)(struct plat_pe *pe, struct plat_vcpu_state *state);
	/* plat_pe_halt (any thread); NULL: the engine cannot be interrupted. */
	void (*halt)(struct plat_pe *pe);
	void (*destroy)(struct plat_pe *pe);
};

struct plat_pe {
	const struct emu_pe_ops *ops;
	uint32_t running; /* atomic: 1 while plat_pe_run is inside */
};

/*
 * Native guest engine (native_guest.c): a PE for the guest registered at
 * entry_pc. Returns NULL with *err = -ENOENT (no guest there) or -ENOMEM.
 */
struct plat_pe *emu_native_pe_create(uint64_t entry_pc, int *err);

/*
 * Does the GPC allow PAS `pas` at granule pa now? plat_gpc_check without
 * the fault report and without counting a GPF (for the platform's own
 * re-checks, which are not accesses anyone made).
 */
bool emu_gpc_allows(enum pas pas, uint64_t pa);
/* The GPC check against the GPT at gptbr (the SMMU's own base), uncached. */
int emu_gpc_check_at(uint64_t gptbr, enum pas pas, uint64_t pa, struct plat_fault *f);

/*
 * EL0 address spaces (a64.c). emu_as_tlbi: after a TLBI RPALOS/PAALLOS has
 * invalidated the GPC TLB for granules [g0, g1] (granule numbers, pa >> 12),
 * remove every plat_as mapping of those granules whose GPI no longer allows
 * its PAS. emu_as_machine_off: plat_fini is about to unmap DRAM; remove
 * every plat_as mapping.
 */
void emu_as_tlbi(uint64_t g0, uint64_t g1);
void emu_as_machine_off(void);

#endif /* PLAT_EMU_EMU_H */
