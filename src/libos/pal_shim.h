/*
 * The library OS's PAL as RContainer's deprivileged OS (the shim
 * deployment, DESIGN.md §3, docs/rcontainer-abi.md §6): the library OS
 * runs in the Normal world with its memory in NS PAS and reaches container
 * memory, page tables and tasks only through the mini-OS's rc_* calls (the
 * SMC_RC_ENTER gate):
 *
 *   address spaces       -> a con-shim task's mm: rc_create_container (init),
 *                           rc_task_clone(CLONE_VM) + rc_task_exec (execve's
 *                           new image), rc_task_clone (fork copies it)
 *   mem_map / unmap / protect -> rc_set_vma + rc_set_pte(RC_PTE_ANY) +
 *                           rc_copy_page from an OS bounce granule
 *   copy_from/to_user    -> rc_ipc_out / rc_ipc_in through the bounce
 *   tasks                -> rc_task_clone / rc_task_exit; running one is
 *                           rc_switch_to_miniOS with the OS's frame granule;
 *                           every register on demand: rc_task_regs
 *   host files, console  -> the deployment's functions (the OS is untrusted
 *                           Normal-world code; content checked against the
 *                           manifest by the library OS)
 *
 * One deprivileged-OS thread: the emulated machine has one GPTBR_EL3 and
 * one GPC TLB, so while a task runs under its shim-GPT no other host thread
 * may touch memory. Every container process is served on a cooperative
 * kernel thread of its own on that one thread (as the realm PAL does on the
 * System Realm's single vCPU), so a blocking call lets the others run; a
 * task in EL0 returns at its next exception or when its time slice ends
 * (PAL_SHIM_SLICE_NS of host time, or the nearest sleeper's deadline if
 * sooner: the CPU's timer interrupt, RC_REASON_IRQ), and the others that
 * are runnable go first (round robin).
 * CLONE_VM threads and vfork share the address space (rc_task_clone with
 * RC_CLONE_VM).
 */
#ifndef LIBOS_PAL_SHIM_H
#define LIBOS_PAL_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libos/pal.h"

#define PAL_SHIM_MAX_TASKS 256 /* container tasks at once (kernel threads 1..256) */
#define PAL_SHIM_SLICE_NS 10000000ULL /* a task's time slice in EL0: 10 ms of host time */

struct pal_shim_env {
	void *host;
	/* SMC #0 from the Normal world: x[0..6] in, x[0..3] out. */
	void (*smc)(void *host, uint64_t x[7]);
	uint64_t (*time_ns)(void *host, int clock);
	void (*random)(void *host, void *buf, size_t len);
	/* Kernel threads, as pal_realm_env: contexts 1..PAL_SHIM_MAX_TASKS, 0 the scheduler. */
	void (*kt_start)(void *host, unsigned id, void (*entry)(void));
	void (*kt_switch)(void *host, unsigned from, unsigned to);
	/* Nothing to run: sleep at most ns. Returns a signal the runtime sends init, or 0. */
	int (*idle)(void *host, uint64_t ns);
	/* A signal for init that arrived (deploy_kill), or 0; never blocks. */
	int (*poll_signal)(void *host);
	/*
	 * The CPU's timer (the OS's preemption tick): interrupt a task in EL0
	 * once host monotonic time reaches cval_ns (time_ns's clock); 0
	 * disarms. Optional: without it a task in EL0 returns at the engine's
	 * tick budget (every few ms), which then serves as the slice.
	 */
	void (*timer_arm)(void *host, uint64_t cval_ns);
	/*
	 * OS granules for more container memory: *pa, *n of a contiguous run
	 * the PAL donates to the con-shim (rc_malloc_mm). 0 or -ENOMEM.
	 */
	int (*grow)(void *host, uint64_t *pa, uint64_t *n);
	/* Host files and console (console_read never blocks: -EAGAIN). */
	int (*host_open)(void *host, const char *path);
	long (*host_pread)(void *host, int h, void *buf, size_t len, uint64_t off);
	void (*host_close)(void *host, int h);
	long (*console_read)(void *host, int fd, void *buf, size_t len);
	long (*console_write)(void *host, int fd, const void *buf, size_t len);

	uint64_t shim;	     /* the con-shim (rc_create_shim), with some granules donated */
	uint64_t frame_pa;   /* OS granule: struct rc_frame */
	void *frame;
	uint64_t regs_pa;    /* OS granule: struct rc_regs */
	void *regs;
	uint64_t bounce_pa;  /* RC_IPC_MAX bytes of OS memory, contiguous */
	uint8_t *bounce;
	void *meta;	     /* OS memory for the PAL's tables (pal_shim_meta_size) */
	size_t meta_size;
	uint64_t hwcap, hwcap2;
};

size_t pal_shim_meta_size(void);

/* Set up the PAL; *ops gets the table for libos_init. 0 or -EINVAL. */
int pal_shim_init(const struct pal_shim_env *env, struct pal_ops *ops);

/*
 * Run the container until init has ended and every task is gone: tasks
 * in EL0 through rc_switch_to_miniOS, their exceptions on their kernel
 * threads. Call after libos_start succeeded. Returns 0, or -EIO if the
 * mini-OS refused a run (the container is then abandoned).
 */
int pal_shim_run(void);

/* The container's status once it has ended (shell encoding), -1 before. */
int pal_shim_status(void);

struct pal_shim_stats {
	uint64_t runs, traps_svc, traps_other, irqs, kt_switches;
	uint64_t preemptions; /* a task in EL0 interrupted (its slice ended, RC_REASON_IRQ) */
	uint64_t rc_calls, ipc_in, ipc_out, bytes_in, bytes_out;
	uint64_t set_pte, set_vma, copy_page, clones, execs, exits, regs_get, regs_set;
	uint64_t shares;  /* rc_share calls (MAP_SHARED across fork) */
	uint64_t donated; /* granules given to the con-shim */
	uint64_t idles, idle_ns; /* every task slept: the deployment's idle */
};
void pal_shim_get_stats(struct pal_shim_stats *st);

#endif /* LIBOS_PAL_SHIM_H */
