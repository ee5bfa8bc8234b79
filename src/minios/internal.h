/*
 * Internal to minios/: the mini-OS's tables in its own memory, the
 * con-shim page pools, page tables and the EL3 calls. Everything here runs
 * under the Priv-GPT unless marked "shim-GPT" (the con-shim exception path,
 * which may touch only that con-shim's granules).
 *
 * Memory (NS granules, NO_ACCESS in the OS-GPT and every shim-GPT):
 *   struct ms_state | granule meta (one per DRAM granule) | page pool
 * The page pool (boot memory, plus granules the OS donates with
 * RC_SHIM_MINIOS_POOL) holds the object tables' chunks (table.c: con-shims,
 * mms, tasks, grown and shrunk as objects come and go) and IO page tables.
 * Handles given to the OS are generation << 16 | (slot + 1); generations
 * come from a per-table sequence and are never reused, so a stale handle
 * is refused whatever now lives in its slot.
 */
#ifndef MINIOS_INTERNAL_H
#define MINIOS_INTERNAL_H

#include "arch/rcontainer.h"
#include "lib/syncmap.h"
#include "plat/plat.h"

#define MS_MAGIC 0x534F494E494D4352ULL /* "RCMINIOS" */
/* Slots each table may have (not memory: the handle and owner formats). */
#define MS_SHIM_SLOTS 0xFFFDu /* ms_gmeta.owner = slot + 1, below MS_OWN_EL3 */
#define MS_TASK_SLOTS 0xFFFFu /* handle bits [15:0] = slot + 1 */
#define MS_MM_SLOTS 8192u     /* the directories' room (two mms a chunk) */
#define MS_NO_SLOT 0xFFFFFFFFu
/* What boot memory holds room for before the OS donates more (minios_required_size). */
#define MS_BOOT_SHIMS 64
#define MS_BOOT_MMS 256
#define MS_BOOT_TASKS 512

/* Granule owners (struct ms_gmeta.owner); 1..MS_SHIM_SLOTS: con-shim slot + 1. */
#define MS_OWN_OS 0
#define MS_OWN_EL3 0xFFFE
#define MS_OWN_MINIOS 0xFFFF

enum ms_kind {
	MS_K_NONE = 0, /* OS granule, or mini-OS table memory */
	MS_K_FREE,     /* in a pool (con-shim or mini-OS pages): zeroed */
	MS_K_USER,     /* container page, mapped maps times */
	MS_K_PT,       /* a container page table */
	MS_K_SAVE,     /* a task's saved EL0 state */
	MS_K_IOPT,     /* an IO page table (mini-OS page) */
	MS_K_TABLE,    /* an object table's chunk or directory (mini-OS page) */
};

struct ms_gmeta {
	uint16_t owner;
	uint8_t kind;
	uint8_t io;    /* OS granule: IO mappings */
	uint32_t maps; /* USER: PTEs naming it */
	uint32_t next, prev; /* pool list: granule index + 1, 0 = none */
	/*
	 * USER: the run generation (ms_mm.run_gen) of the mm it was mapped
	 * into from the free pool; the page is fresh (only what the OS put
	 * there, no task has run with it) while that mm's generation is still
	 * this. 0: never fresh (a second mapping, a fork's copy).
	 */
	uint64_t fill_gen;
};

struct ms_list {
	uint32_t head;
	uint32_t pad;
	uint64_t count;
};

/* The header of every table object: its generation, nonzero while in use. */
struct ms_obj {
	uint32_t gen, used;
};

struct ms_shim {
	uint32_t gen, live; /* struct ms_obj */
	uint64_t gpt;
	uint32_t container, ntasks;
	uint64_t granules; /* owned, in every kind */
	struct ms_list free;
};

struct ms_vma {
	uint64_t start, end, prot;
};

#define MS_SYNC_MAX 8 /* sync ranges per mm */

struct ms_mm {
	uint32_t gen, live; /* struct ms_obj */
	uint32_t users, shim; /* shim slot */
	uint32_t nvmas, pad;
	uint64_t root;	      /* L1 table PA (con-shim granule) */
	uint64_t as, pe;      /* struct plat_as *, struct plat_pe * (platform objects) */
	uint64_t run_gen;     /* from ms_state.run_seq: at creation and at every run into it */
	struct ms_vma vma[RC_MM_MAX_VMAS];
	/* its tasks' own file-backed MAP_SHARED ranges: the OS may copy them (lib/syncmap.h) */
	struct syncmap_range sync[MS_SYNC_MAX];
};

enum ms_task_state { MS_T_FREE = 0, MS_T_NEW, MS_T_TRAPPED, MS_T_RUNNING };

struct ms_task {
	uint32_t gen, state; /* struct ms_obj: state MS_T_FREE (0) while not in use */
	uint32_t shim, mm; /* slots */
	uint32_t ending;   /* rc_task_ending: ends with its trap, never runs again */
	uint32_t pad;
	uint64_t save;	/* con-shim granule holding struct ms_save */
	uint64_t frame; /* OS granule of the current run's rc_frame */
};

/*
 * The trap a task is in, as the con-shim vector saw it (never what the OS
 * sets with rc_task_regs or a run's frame): the pending system call that
 * bounds the OS's copies (rc_ipc_in/out). A clone child gets its parent's.
 */
struct ms_trap {
	uint64_t svc;	  /* 1: an SVC (nr, args valid); 0: any other exception, an IRQ, none */
	uint64_t nr;	  /* x8 */
	uint64_t args[6]; /* x0..x5 */
	uint64_t sp;	  /* sp_el0 at the trap */
};

/* Read the mm's memory as EL0 may (readable pages): 0, or -EFAULT. ctx: struct ms_mm *. */
int ms_mm_read(void *ctx, uint64_t va, void *buf, size_t len);

/* A task's EL0 state, in its con-shim (the con-shim vector writes it under the shim-GPT). */
struct ms_save {
	struct plat_vcpu_state st;
	struct plat_fp_state fp;
	struct plat_exception exc;
	uint64_t reason;
	uint64_t trapped; /* fast exit: the vector wrote the frame and left for the OS */
	struct ms_trap trap;
	/*
	 * The task's clear-child-tid word (set_tid_address, or clone with
	 * CLONE_CHILD_CLEARTID in its parent), 0: none. The OS may write its
	 * 4 bytes (the zero a thread's exit stores for pthread_join).
	 */
	uint64_t clear_tid;
	/*
	 * The robust futex list head (set_robust_list with len 24), 0: none.
	 * The OS may read its 24 bytes when the task ends (exit, exit_group,
	 * or interrupted to be killed): the list is usually empty.
	 */
	uint64_t robust;
	/*
	 * The alternate signal stack the task's own sigaltstack call set (size
	 * 0: none): the OS may write signal frames there (SA_ONSTACK).
	 */
	uint64_t alt_sp, alt_size;
};
COMPILER_ASSERT(sizeof(struct ms_save) <= GRANULE_SIZE, "ms_save in one granule");

/* One object table (table.c): directories of one-granule chunks. */
#define MS_TBL_DIRS 8
#define MS_TBL_DIR_N (GRANULE_SIZE / 8) /* chunk entries per directory granule */
enum { MS_TBL_SHIM, MS_TBL_MM, MS_TBL_TASK, MS_TBL_NR };
struct ms_tbl {
	uint32_t size, per;   /* object bytes; objects per chunk */
	uint32_t max, bound;  /* slot limit; slots below bound may be in use */
	uint32_t live, gen_seq; /* objects in use; last generation handed out */
	uint64_t pages;	      /* chunk and directory granules held */
	uint64_t dir[MS_TBL_DIRS]; /* directory granule PAs; entries: chunk PA | objects in use */
};

struct ms_state {
	uint64_t magic;
	uint64_t base, size, dram_base, ngran;
	uint64_t meta; /* granule meta PA */
	struct ms_tbl tbl[MS_TBL_NR];
	uint64_t donated; /* granules the OS gave the page pool (RC_SHIM_MINIOS_POOL) */
	uint64_t io_root[RC_IO_STREAMS];
	struct ms_list pages; /* mini-OS page pool */
	uint64_t run_seq;     /* last run generation handed out (ms_mm.run_gen) */
};

/* ---- minios.c: memory, granules, EL3 ---- */

/* Map mini-OS or con-shim memory (Priv-GPT; shim-GPT for con-shim granules). */
void *ms_map(uint64_t pa, size_t len);

/* Zero the granule at pa (NS under the current GPT, as ms_map requires). */
void ms_zero(uint64_t pa);
struct ms_state *ms_state(void);
struct ms_gmeta *ms_meta(uint64_t pa); /* NULL outside DRAM */
/* The object in slot (ms_tbl_at); NULL only for a slot no live object has. */
struct ms_shim *ms_shim_at(uint32_t slot);
struct ms_mm *ms_mm_at(uint32_t slot);
struct ms_task *ms_task_at(uint32_t slot);
/* Handle -> slot of a live object: 0, -EINVAL (malformed), -ESRCH (not live / stale). */
int ms_shim_lookup(uint64_t handle, uint32_t *slot);
int ms_task_lookup(uint64_t handle, uint32_t *slot);
uint64_t ms_handle(uint32_t gen, uint32_t slot);

/* A granule the deprivileged OS owns (in DRAM, NS in the Priv-GPT, not Root/RMM/mini-OS/con-shim). */
bool ms_os_granule(uint64_t pa);
bool ms_os_range(uint64_t pa, uint64_t len);

/* Pools: take a zeroed granule (kind set) or 0; give one back scrubbed. */
uint64_t ms_shim_take(uint32_t shim, enum ms_kind kind);
/* PA of a free granule of shim's pool (not taken), or 0. */
uint64_t ms_shim_peek(uint32_t shim);
void ms_shim_give(uint32_t shim, uint64_t pa);
void ms_list_remove(struct ms_list *l, uint64_t pa);
uint64_t ms_page_take(void);
/* A mini-OS page back to the pool (scrubbed, FREE). */
void ms_page_give(uint64_t pa);
/* minios_get_stats's copy of the tables' and the pool's counts, brought up to date. */
void ms_stats_refresh(void);

/* ---- table.c: the object tables ---- */

/* Empty tables (boot). */
void ms_tbl_init(void);
/* Table k's object in slot (mapped), or NULL: beyond its bound or in a chunk not allocated. */
void *ms_tbl_at(unsigned k, uint32_t slot);
/* Slots of table k below which objects may be in use (loops: ms_tbl_at may still be NULL). */
uint32_t ms_tbl_bound(unsigned k);
/*
 * A zeroed object in table k, its header set (a new generation, used 1):
 * 0 with *slot, or -ENOMEM (no page for a new chunk, slots or generations
 * exhausted).
 */
int ms_tbl_alloc(unsigned k, uint32_t *slot);
/* Free the object in slot (zeroed); a chunk's last object gives the chunk back. */
void ms_tbl_free(unsigned k, uint32_t slot);
/* Objects in use and granules held by table k. */
void ms_tbl_stats(unsigned k, uint64_t *live, uint64_t *pages);

/* EL3 calls: 0, -ENOMEM, -EIO. */
int ms_el3(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, struct smc_regs *res);
/* Set GPTBR; `away` = the mini-OS stops touching its memory after it. */
int ms_switch_gpt(uint64_t index);
/* GPI of [pa, count) in every live shim-GPT but `except` (a shim slot or MS_NO_SLOT). */
int ms_gpi_other_shims(uint32_t except, uint64_t pa, uint64_t count, unsigned gpi);

/* ---- mm.c: page tables, areas, container memory ---- */

typedef uint64_t (*ms_alloc_fn)(void *ctx);
/* PA of the L3 entry of va (tables created with alloc when non-NULL), or 0. */
uint64_t ms_pt_entry(uint64_t root, uint64_t va, ms_alloc_fn alloc, void *ctx);
/* Tables missing on va's path (0..2). */
unsigned ms_pt_missing(uint64_t root, uint64_t va);
uint64_t ms_pte_make(uint64_t pa, unsigned prot);
unsigned ms_pte_prot(uint64_t d);
unsigned ms_prot_norm(unsigned prot);
/* New mm of shim with an empty L1 table: slot or -ENOMEM. */
int ms_mm_new(uint32_t shim, uint32_t *slot);
/* Drop one user; the last one scrubs every page and table and frees the mm. */
void ms_mm_put(uint32_t slot);
/* Granules a copy of mm needs (pages + tables). */
uint64_t ms_mm_copy_cost(uint32_t slot);
/* Copy areas and pages of src into the empty mm dst (cost checked by the caller). */
int ms_mm_copy(uint32_t dst, uint32_t src);
/* The page at va in mm: 0 with *pa if mapped with at least `need`, -EFAULT. */
int ms_mm_page(const struct ms_mm *mm, uint64_t va, unsigned need, uint64_t *pa);
/* A new run generation for mm (a task runs in it: none of its pages is fresh any more). */
void ms_mm_ran(struct ms_mm *mm);

/* ---- The rc_* handlers (mm.c, task.c, minios.c): 0 or -errno; a = x2.., out = x1.. ---- */
struct ms_call {
	uint64_t a[5];
	uint64_t out[3];
	uint64_t caller_gpt;
};
int rc_create_shim(struct ms_call *c);
int rc_destroy_shim(struct ms_call *c);
int rc_create_container(struct ms_call *c);
int rc_destroy_container(struct ms_call *c);
int rc_malloc_mm(struct ms_call *c);
int rc_set_pte(struct ms_call *c);
/*
 * (dst task, src task, va, len) -> out[0] pages: both tasks served, of the
 * same con-shim, distinct mms; every page src maps in [va, va+len) is
 * mapped in dst to the same granule with the same prot (the granule counts
 * one more mapping, never fresh again), replacing dst's page. -EPERM
 * (another container's task or page), -EFAULT (dst's area does not allow
 * the prot), -ENOMEM (no granule for dst's tables), -EINVAL.
 */
int rc_share(struct ms_call *c);
/*
 * The task's trap (an SVC) completes with x0 = result as the OS resumes
 * it: the file-backed MAP_SHARED ranges of mm its call adds (over pages
 * not mapped yet) or drops (lib/syncmap.h).
 */
void ms_sync_complete(const struct ms_trap *tr, uint64_t result, struct ms_mm *mm);
int rc_copy_page(struct ms_call *c);
int rc_set_vma(struct ms_call *c);
int rc_set_iopte(struct ms_call *c);
int rc_ipc_in(struct ms_call *c);
int rc_ipc_out(struct ms_call *c);
int rc_task_clone(struct ms_call *c);
int rc_task_exec(struct ms_call *c);
int rc_task_exit(struct ms_call *c);
int rc_switch_to_depriv(struct ms_call *c);
int rc_switch_to_minios(struct ms_call *c);
int rc_task_regs(struct ms_call *c);
/*
 * (task, shim) -> nothing: the served task (NEW or TRAPPED, else -EACCES)
 * of that con-shim (else -EPERM) ends with its trap. Its robust futex list
 * may be walked (rc_ipc_*) from now on; clone, exec, rc_task_regs SET and
 * rc_switch_to_miniOS of it are refused (-ESRCH); rc_task_exit and
 * rc_destroy_container end it. Marking twice is 0. -EINVAL/-ESRCH: a
 * malformed or stale handle.
 */
int rc_task_ending(struct ms_call *c);

/* task.c: free every task of a shim (container destroy). */
void ms_task_free_all(uint32_t shim);
/* Set by the run path: the GPT is no longer the Priv-GPT when the handler returns. */
extern bool ms_left_priv;
/* minios_set_fast_exit: EL3 switches GPT on the gate's way out (no SET_GPTBR of ours). */
extern bool ms_fast_exit;
/*
 * Fast exit: what rc_switch_to_miniOS hands the con-shim entry (the
 * registers of the ERET into it; nothing of the mini-OS's memory).
 */
struct ms_eret {
	bool pending;
	uint64_t gpt, save, root, task, frame;
	struct plat_as *as;
	struct plat_pe *pe;
};
extern struct ms_eret ms_eret;
/* Fast exit: the task whose run went straight back to the OS (MS_NO_SLOT: none). */
extern uint32_t ms_run_slot;
/* task.c: the run of ms_run_slot ended (its vector set ms_save.trapped): it is TRAPPED now. */
void ms_run_reconcile(void);
/* task.c: the OS's frame at frame_pa from a task's saved state. */
void ms_frame_write(uint64_t frame_pa, const struct ms_save *sv);
/* task.c: the con-shim's run of a task, then its vector's gate entry (rc_switch_to_depriv). */
int ms_shim_run_and_trap(const struct ms_eret *e, struct smc_regs *res);
/* task.c: the con-shim's run of a task only (its state saved in the con-shim). */
void ms_shim_run(const struct ms_eret *e);

#endif /* MINIOS_INTERNAL_H */
