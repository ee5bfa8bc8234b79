/*
 * RContainer ABI (docs/rcontainer-abi.md): the EL3 calls that keep several
 * GPTs (cca-spec §8, extended), the mini-OS gate and its rc_* function
 * numbers, status codes, the exception frame the deprivileged OS sees, and
 * the page-table format of a container's EL0 translation. Layouts checked
 * at compile time.
 */
#ifndef ARCH_RCONTAINER_H
#define ARCH_RCONTAINER_H

#include "arch/arch.h"
#include "arch/smc.h"

/* ---- EL3 interface: SMC64 fast calls, fnum 0x401..0x40F --------------- */

#define SMC_RC_FNUM_MIN 0x401
#define SMC_RC_FNUM_MAX 0x40F

/* The four calls of RContainer's artifact (same fnums), then realmbox's. */
#define SMC_RC_GET_GPTBR SMC64_FID(0x401)	  /* -> x1 GPTBR_EL3, x2 GPT index */
#define SMC_RC_SET_GPI SMC64_FID(0x402)		  /* (index, pa, count, gpi) */
#define SMC_RC_READ_ANY_PA SMC64_FID(0x403)	  /* (pa) -> x1 the u64 at pa */
#define SMC_RC_SET_GPTBR SMC64_FID(0x404)	  /* (index): switch, TLBI PAALLOS */
#define SMC_RC_GPT_CREATE SMC64_FID(0x405)	  /* (src index) -> x1 new index */
#define SMC_RC_GPT_DESTROY SMC64_FID(0x406)	  /* (index) */
#define SMC_RC_GPT_INFO SMC64_FID(0x407)	  /* -> x1 live, x2 used, x3 pool, x4 free bytes */
#define SMC_RC_POOL_ADD SMC64_FID(0x408)	  /* (pa, count): NS granules -> Root GPT pool */
#define SMC_RC_SHIM_EXIT SMC64_FID(0x409)	  /* from a shim-GPT only: switch to the OS-GPT */
#define SMC_RC_ENTER SMC64_FID(0x40F)		  /* the mini-OS gate: x1 = RC_FN_*, x2.. args */

/* Well-known GPT indices. */
#define RC_GPT_PRIV 0 /* the boot GPT: the mini-OS's Priv-GPT */
#define RC_GPT_OS 1   /* the deprivileged OS's OS-GPT (made by the mini-OS at boot) */

/*
 * EL3 errors are those of cca-spec §7 (E_RMM_*, in x0). Any RContainer FID
 * from a caller the design does not allow (the Realm world; the Normal
 * world while no mini-OS is registered; a privileged call while the current
 * GPT is not the Priv-GPT; the gate from inside the mini-OS) gets
 * SMC_UNKNOWN.
 */

/* ---- mini-OS calls: SMC_RC_ENTER, x1 = function ------------------------ */

enum rc_fn {
	RC_FN_CREATE_SHIM = 0,	     /* () -> x1 shim, x2 its GPT index */
	RC_FN_DESTROY_SHIM = 1,	     /* (shim) */
	RC_FN_CREATE_CONTAINER = 2,  /* (shim, pc, sp) -> x1 init task */
	RC_FN_DESTROY_CONTAINER = 3, /* (shim) */
	RC_FN_MALLOC_MM = 4,	     /* (shim, pa, count, flags) */
	RC_FN_SET_PTE = 5,	     /* (task, va, pa, prot) */
	RC_FN_COPY_PAGE = 6,	     /* (task, va, src_pa) */
	RC_FN_SET_VMA = 7,	     /* (task, va, len, prot | RC_VMA_*) */
	RC_FN_SET_IOPTE = 8,	     /* (stream, iova, pa, prot) */
	RC_FN_IPC_IN = 9,	     /* (task, va, src_pa, len) -> x1 bytes */
	RC_FN_IPC_OUT = 10,	     /* (task, va, dst_pa, len, flags) -> x1 bytes */
	RC_FN_TASK_CLONE = 11,	     /* (task, flags) -> x1 child */
	RC_FN_TASK_EXEC = 12,	     /* (task, pc, sp) */
	RC_FN_TASK_EXIT = 13,	     /* (task) */
	RC_FN_SWITCH_TO_DEPRIV = 14, /* con-shim vector only: (task) */
	RC_FN_SWITCH_TO_MINIOS = 15, /* (task, frame_pa, flags) -> x1 reason */
	/* realmbox's addition: every register of a served task (signal frames, sigreturn) */
	RC_FN_TASK_REGS = 16, /* (task, regs_pa, RC_REGS_GET | RC_REGS_SET) */
	/* realmbox's addition: MAP_SHARED across fork (docs/rcontainer-abi.md) */
	RC_FN_SHARE = 17, /* (dst task, src task, va, len) -> x1 pages */
	/*
	 * realmbox's addition: the served task ends with the trap it is in
	 * (killed in a system call). From then on its copies may walk its
	 * robust futex list as at exit; it never runs at EL0 again (only
	 * rc_task_exit / rc_destroy_container). Not undone.
	 */
	RC_FN_TASK_ENDING = 18, /* (task, shim: the task's con-shim) */
	RC_FN_NR = 19
};

/* Status codes of the mini-OS calls (x0). */
#define RC_SUCCESS 0
#define RC_ERROR_INPUT 1   /* malformed argument: alignment, range, flags, unknown function */
#define RC_ERROR_OWNER 2   /* an object or granule that is not the caller's to use */
#define RC_ERROR_STATE 3   /* object not live, or in the wrong state (use after destroy) */
#define RC_ERROR_NOMEM 4   /* a pool (con-shim granules, EL3 GPT pool, tables) is exhausted */
#define RC_ERROR_BUSY 5    /* object still in use */
#define RC_ERROR_FAULT 6   /* a container page is not mapped with the needed permission */
#define RC_ERROR_CALLER 7  /* the call may not come from this caller (OS vs con-shim) */
#define RC_ERROR_RANGE 8   /* a copy the task's pending call does not name, or a page not fresh */

/* Handles: 0 is never valid. */
#define RC_HANDLE_NONE 0

/* rc_malloc_mm's shim argument naming EL3's GPT pool: the granules become Root for good. */
#define RC_SHIM_GPT_POOL (~0ULL)
/*
 * rc_malloc_mm's shim argument naming the mini-OS's page pool (realmbox):
 * DONATE gives it OS granules (its object tables grow there); RECLAIM
 * takes back donated granules that are free again.
 */
#define RC_SHIM_MINIOS_POOL (~1ULL)

/* rc_malloc_mm flags. */
#define RC_MM_DONATE 0	   /* OS granules -> the con-shim's free pool */
#define RC_MM_RECLAIM 1	   /* the con-shim's free granules -> the OS */

/* Protections (rc_set_pte, rc_set_vma, rc_set_iopte): as PLAT_PROT_*. */
#define RC_PROT_R 1u
#define RC_PROT_W 2u
#define RC_PROT_X 4u
#define RC_PROT_MASK 7u

/* rc_set_pte: pa 0 unmaps the page. */
#define RC_PTE_UNMAP 0
/*
 * rc_set_pte: pa RC_PTE_ANY maps a free granule of the con-shim that the
 * mini-OS picks (x1 = its PA). The OS cannot know which donated granules
 * are still free once rc_task_clone has copied pages out of the pool.
 */
#define RC_PTE_ANY 1

/* rc_set_vma: operation in bits [9:8] of the prot argument. */
#define RC_VMA_MAP (0u << 8)	 /* [va, va+len) becomes one area with prot; old pages go */
#define RC_VMA_UNMAP (1u << 8)	 /* no area there any more; pages go */
#define RC_VMA_PROTECT (2u << 8) /* every page of the range in an area: prot changes, pages stay */
#define RC_VMA_OP_MASK (3u << 8)
#define RC_MM_MAX_VMAS 64

/* rc_ipc_out flags. */
#define RC_IPC_STRING 1u /* stop after the first NUL; x1 = string length (NUL not counted) */
#define RC_IPC_MAX (64ULL * 1024)

/* rc_task_clone flags. */
#define RC_CLONE_VM 1u /* share the address space (a thread); else copy it (fork) */

/* IO streams (devices behind the SMMU the mini-OS programs). */
#define RC_IO_STREAMS 4
#define RC_IOVA_LIMIT (1ULL << 30)

/* rc_switch_to_miniOS flags: what the OS may change before the task runs. */
#define RC_RUN_SET_X0 1u   /* x0 from the frame (a system call's result) */
#define RC_RUN_SET_REGS 2u /* x0..x8, pc, sp, tpidr, nzcv from the frame (signals) */

/* Why the task left EL0 (rc_frame.reason and x1 of rc_switch_to_miniOS). */
#define RC_REASON_SYNC 1 /* an exception: esr/far */
#define RC_REASON_IRQ 2	 /* preempted */

/* rc_task_regs operations. */
#define RC_REGS_GET 0 /* the task's registers -> struct rc_regs at regs_pa */
#define RC_REGS_SET 1 /* struct rc_regs at regs_pa -> the task (pc, sp checked as for RUN_SET_REGS) */

/* Every EL0 register of a task (rc_task_regs), in one OS granule. */
struct rc_regs {
	uint64_t x[31];	 /* 0x000 */
	uint64_t sp;	 /* 0x0F8 */
	uint64_t pc;	 /* 0x100 */
	uint64_t nzcv;	 /* 0x108 PSTATE[31:28] */
	uint64_t tpidr;	 /* 0x110 */
	uint64_t fpcr, fpsr; /* 0x118 */
	uint64_t q[32][2];   /* 0x128 */
};
COMPILER_ASSERT(offsetof(struct rc_regs, q) == 0x128, "rc_regs q");
COMPILER_ASSERT(sizeof(struct rc_regs) == 0x328, "rc_regs size");

/*
 * The exception frame the deprivileged OS sees: one OS granule it names in
 * rc_switch_to_miniOS. The mini-OS writes it when the task leaves EL0 and
 * reads the fields the run flags name before the task enters EL0 again.
 */
struct rc_frame {
	uint64_t reason; /* 0x00 RC_REASON_* */
	uint64_t esr;	 /* 0x08 */
	uint64_t far;	 /* 0x10 aborts only, else 0 */
	uint64_t x[9];	 /* 0x18 x0..x8 */
	uint64_t pc;	 /* 0x60 */
	uint64_t sp;	 /* 0x68 */
	uint64_t tpidr;	 /* 0x70 */
	uint64_t nzcv;	 /* 0x78 PSTATE[31:28] */
};
COMPILER_ASSERT(sizeof(struct rc_frame) == 0x80, "rc_frame size");
COMPILER_ASSERT(offsetof(struct rc_frame, x) == 0x18, "rc_frame x");
COMPILER_ASSERT(offsetof(struct rc_frame, pc) == 0x60, "rc_frame pc");

/* ---- The container's EL0 translation: VMSAv8-64 stage 1, 4K, 39-bit VA ---- */

/*
 * Three levels (L1 1 GiB, L2 2 MiB, L3 4 KiB entries, 512 each), tables in
 * con-shim granules the container can never map. Descriptor bits used:
 * [1:0] 0b11 table (L1/L2) or page (L3), [47:12] output address, AP[1]
 * (bit 6) EL0 access, AP[2] (bit 7) read-only, AF (bit 10), UXN (bit 54).
 * No blocks. Anything else in a table is a bug of the mini-OS.
 */
#define RC_VA_BITS 39
#define RC_VA_LIMIT (1ULL << RC_VA_BITS)
#define RC_PT_LEVELS 3
#define RC_PT_ENTRIES 512
#define RC_PTE_VALID BIT(0)
#define RC_PTE_TABLE (BIT(0) | BIT(1)) /* also "page" at L3 */
#define RC_PTE_AP_EL0 BIT(6)
#define RC_PTE_AP_RO BIT(7)
#define RC_PTE_AF BIT(10)
#define RC_PTE_UXN BIT(54)
#define RC_PTE_ADDR(d) ((d) & GENMASK(47, 12))
/* Index of va at level l (1..3). */
#define RC_PT_INDEX(va, l) EXTRACT_BITS(va, 38 - 9 * ((l) - 1), 30 - 9 * ((l) - 1))

#endif /* ARCH_RCONTAINER_H */
