/*
 * RContainer's EL3 additions (cca-spec §8, docs/rcontainer-abi.md §1):
 * several GPTs in Root memory (index 0 = the boot GPT, which is the
 * mini-OS's Priv-GPT; 1 = the OS-GPT; 2.. = shim-GPTs), allocated from a
 * Root memory pool that the mini-OS can grow, GPTBR switching with the
 * TLB invalidation the architecture requires, SET_GPI, READ_ANY_PA, and
 * the gate through which the Normal world enters the mini-OS.
 *
 * Who may call: the gate (SMC_RC_ENTER) from the Normal world while a
 * mini-OS is registered and the current GPT is not the Priv-GPT; every
 * other RContainer FID only while the Priv-GPT is current, which only the
 * gate (and the mini-OS's cold boot) makes it. Anything else: SMC_UNKNOWN.
 */
#ifndef MONITOR_RC_GPT_H
#define MONITOR_RC_GPT_H

#include "arch/arch.h"
#include "arch/smc.h"

/* The mini-OS image, handed to the monitor by the boot glue. */
struct monitor_minios_image {
	/*
	 * Cold boot, under the Priv-GPT: [base, base+size) is the mini-OS's own
	 * memory (NS granules). Must leave another GPT current (the OS-GPT).
	 * Returns 0 or a negative errno.
	 */
	int (*boot)(uint64_t base, uint64_t size);
	/*
	 * One gate entry (regs->x[1] = RC_FN_*), under the Priv-GPT; results
	 * overwrite regs. caller_gpt: the GPT that was current when the gate
	 * was entered (the OS-GPT for the OS, a shim-GPT for a con-shim).
	 */
	void (*handle_call)(struct smc_regs *regs, uint64_t caller_gpt);
	/*
	 * Optional (NULL: the mini-OS leaves the Priv-GPT with its own
	 * SET_GPTBR). After handle_call, still under the Priv-GPT: the GPT to
	 * return into. A live shim-GPT means the ERET goes to that con-shim's
	 * entry, shim_entry(regs), under it (its results are the gate's);
	 * anything else the OS-GPT. Either way no further EL3 round trip.
	 */
	uint64_t (*exit_gpt)(void);
	void (*shim_entry)(struct smc_regs *regs);
};

/*
 * Register the mini-OS and run its cold boot. Returns 0, -EINVAL (bad
 * image or region, monitor not booted), -EBUSY (one is registered), or the
 * boot's error (the registration is then undone and the boot GPT current).
 */
int monitor_rc_register(const struct monitor_minios_image *img, uint64_t base, uint64_t size);

/* What the RContainer GPTs cost (also SMC_RC_GPT_INFO). */
struct monitor_rc_stats {
	uint64_t gpts_live;   /* including the boot GPT */
	uint64_t bytes_used;  /* Root memory of the live GPTs beyond the boot GPT */
	uint64_t bytes_pool;  /* Root memory of the pool (free + used) */
	uint64_t bytes_free;
	uint64_t slot_bytes;  /* one GPT: L0 + L1 tables */
	uint64_t current;     /* index of the current GPT */
};
void monitor_rc_get_stats(struct monitor_rc_stats *out);

/*
 * GPI of pa in GPT `index` as its tables in Root memory say (EL3 debug
 * read for tests and the invariant checker). Returns the GPI, -ENOENT for
 * an index that is not live, or gpt_get_gpi's error.
 */
int monitor_rc_read_gpi(uint64_t index, uint64_t pa);

/* ---- Internal to monitor/: hooks called by monitor.c ----------------- */

/* SMC dispatch row for the RContainer fnums (Normal world callers). */
void rc_smc_dispatch(struct smc_regs *regs);
/*
 * GTSI, under the GPT lock: may the granule change PAS (-EPERM unless every
 * live GPT beyond the boot one also says `expect`)? And write the new GPI
 * in each of them (the caller's TLBI follows).
 */
int rc_gpt_gtsi_check(uint64_t pa, unsigned expect);
void rc_gpt_gtsi_propagate(uint64_t pa, unsigned gpi);
/* monitor_shutdown: forget every RContainer GPT and the mini-OS. */
void rc_gpt_reset(void);

/* Provided by monitor.c for rc_gpt.c. */
struct gpt;
const struct gpt *monitor_boot_gpt(void);
void monitor_gpt_lock(void);
void monitor_gpt_unlock(void);
/* Root memory after the boot GPT and the monitor's data; size 0 if none. */
void monitor_root_spare(uint64_t *base, uint64_t *size);
/* Is pa in the Root or RMM region (never NS-owned)? */
bool monitor_pa_reserved(uint64_t pa);

#endif /* MONITOR_RC_GPT_H */
