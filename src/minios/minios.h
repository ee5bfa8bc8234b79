/*
 * The mini-OS (RContainer, DESIGN.md §3): trusted, Normal world EL1, runs
 * only under the Priv-GPT. It owns the OS-GPT and the shim-GPTs (through
 * EL3 calls), the con-shims (container memory, page tables, saved task
 * state) and serves every rc_* call of the deprivileged OS through the EL3
 * gate (docs/rcontainer-abi.md). The boot glue hands these two entry points
 * to the monitor (monitor_rc_register) as the mini-OS image.
 */
#ifndef MINIOS_MINIOS_H
#define MINIOS_MINIOS_H

#include "arch/arch.h"
#include "arch/smc.h"

/*
 * Cold boot under the Priv-GPT: [base, base+size) (granule aligned, NS,
 * outside Root/RMM memory) becomes the mini-OS's own memory: its tables
 * and a page pool. Creates the OS-GPT (this memory NO_ACCESS there) and
 * leaves it current. Returns 0, -EINVAL (bad region), -ENOMEM (too small
 * for the tables), -EIO (an EL3 call failed).
 */
int minios_boot(uint64_t base, uint64_t size);

/*
 * One gate entry (regs->x[1] = RC_FN_*, x2.. arguments): x0 receives an
 * RC_* status, x1.. results. caller_gpt is the GPT that was current when
 * the gate was entered (RC_GPT_OS: the deprivileged OS; a shim-GPT: that
 * con-shim's exception vector).
 */
void minios_handle_call(struct smc_regs *regs, uint64_t caller_gpt);

/*
 * The way out of a gate entry when the image is registered with the two
 * hooks below (monitor_minios_image.exit_gpt / shim_entry): the GPT EL3
 * switches to as it returns (RC_GPT_OS, or the shim-GPT of the task that
 * rc_switch_to_miniOS starts, whose con-shim entry then runs it). The
 * mini-OS makes no SET_GPTBR call of its own then: 2 EL3 round trips per
 * system call instead of the artifact's 4 (same GPT switches and TLBIs).
 */
uint64_t minios_exit_gpt(void);
void minios_shim_entry(struct smc_regs *regs);
/*
 * Use those hooks (true) or the artifact's path, SET_GPTBR from the
 * mini-OS (false, the default). Boot configuration of the image: set it
 * only while no gate entry is in progress, and true only if the image was
 * registered with the hooks.
 */
void minios_set_fast_exit(bool on);

/* Forget the mini-OS's scalars (the machine is being powered off). */
void minios_shutdown(void);

/*
 * Bytes of mini-OS memory minios_boot needs: its state and granule meta
 * (DRAM of this machine) and room for the tables' first objects
 * (MS_BOOT_*: 64 con-shims, 256 address spaces, 512 tasks). The tables
 * grow past that from the page pool, which the OS may feed with
 * rc_malloc_mm(RC_SHIM_MINIOS_POOL).
 */
uint64_t minios_required_size(void);

/* What the mini-OS holds now (minios_get_stats). */
struct minios_stats {
	uint64_t shims, mms, tasks; /* live objects */
	uint64_t table_bytes;	     /* the object tables' chunks and directories */
	uint64_t pool_free_bytes;    /* free in the mini-OS page pool */
	uint64_t memory_bytes;	     /* all mini-OS memory: boot + donated */
	uint64_t donated_bytes;	     /* of which the OS donated (RC_SHIM_MINIOS_POOL) */
	uint64_t table_bytes_peak;   /* most table_bytes since boot or minios_stats_peak_reset */
};

/* A snapshot (all zero before boot). Any thread; takes the mini-OS's lock. */
void minios_get_stats(struct minios_stats *out);

/* Start table_bytes_peak over from the tables' bytes now (a run begins). */
void minios_stats_peak_reset(void);

#endif /* MINIOS_MINIOS_H */
