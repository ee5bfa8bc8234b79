/*
 * The CPU engine of the emulated platform: A64 processing elements that run
 * guest code at EL0 on dynarmic, behind a C API. One C++ translation unit
 * (cpu.cpp) wraps dynarmic; the rest (address spaces, the pool) is C.
 *
 * Objects:
 *  - struct cpu_as: an address space (what a process sees). A flat table of
 *    4 KiB pages, 39-bit VA: guest page -> host page + permissions (R/W/X).
 *    Shared by every vCPU attached to it (threads of one process).
 *  - struct cpu_vcpu: one processing element (a dynarmic JIT). Runs on one
 *    host thread at a time; several vCPUs run concurrently on different host
 *    threads and share one exclusive monitor (LDXR/STXR between them work).
 *
 * Exceptions are reported architecturally: cpu_run() returns with an ESR
 * (arch/esr.h encodings) and FAR, the way an exception taken from EL0 to
 * EL1 would be; the caller (library OS / trusted layer) decides what to do.
 *
 * Threading: everything on one vCPU (run, registers, attach) happens on one
 * thread at a time, except cpu_halt() and cpu_stats_read(), which any thread
 * may call. Address-space operations may be called from any thread while
 * vCPUs run (see the contract of each).
 *
 * Hosted C (not trusted code): <stdint.h>, <stddef.h>, <stdbool.h>.
 */
#ifndef PLAT_EMU_CPU_CPU_H
#define PLAT_EMU_CPU_CPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Engine ----------------------------------------------------------- */

#define CPU_VA_BITS 39
#define CPU_VA_LIMIT (1ULL << CPU_VA_BITS) /* every guest address is below this */
#define CPU_PAGE_SIZE 4096ULL

struct cpu_engine_config {
	unsigned max_vcpus;      /* vCPUs that may exist at once; 0 = 256 */
	size_t code_cache_size;  /* bytes of JIT code cache per vCPU; 0 = 32 MiB (8..128 MiB) */
	uint64_t timeslice;      /* default tick budget per cpu_run; 0 = 4,000,000 */
};

/*
 * Configure the engine before the first vCPU is created (optional: the first
 * use initialises with defaults). Returns 0, -EBUSY if already initialised,
 * -EINVAL for a bad value.
 */
int cpu_engine_init(const struct cpu_engine_config *cfg);

/*
 * Pay the engine's one-time costs now (dynarmic builds its decoder tables
 * when the first block of the process is compiled: ~200 ms). Idempotent;
 * cpu_pool_init() calls it.
 */
void cpu_engine_warmup(void);

/*
 * AT_HWCAP / AT_HWCAP2 values the library OS puts in auxv: exactly the
 * optional features the engine executes correctly (measured by
 * tests/unit/cpu/test_cpu.c against qemu-aarch64): FP, ASIMD, AES, PMULL,
 * SHA1, SHA2, CRC32, SHA3, SM3, SM4, ASIMDDP, SHA512. No LSE atomics (the
 * engine does not execute them); nothing in AT_HWCAP2.
 */
uint64_t cpu_hwcap(void);
uint64_t cpu_hwcap2(void);

/* Counter frequency (CNTFRQ_EL0) in Hz; CNTVCT_EL0 counts host monotonic time. */
uint64_t cpu_cntfrq(void);

/*
 * Shared translation: a vCPU given back to the pool (cpu_put) or moved to
 * another address space (cpu_detach + cpu_attach, as execve does) keeps
 * its compiled code, and the next process it runs reuses the blocks whose
 * guest code pages hold exactly the same bytes at the same addresses (the
 * rest are invalidated at its first cpu_run). No process ever executes a
 * translation of bytes it does not have. On by default; off with
 * REALMBOX_SHARED_CODE=0 (read when the engine is first used) or this call,
 * which takes effect at the next detach/attach of each vCPU.
 */
void cpu_engine_set_shared_code(bool on);
bool cpu_engine_shared_code(void);

/* Engine-wide counters of translation and its sharing (all vCPUs, ever). */
struct cpu_engine_stats {
	uint64_t words_translated; /* instruction words read to compile blocks */
	uint64_t caches_kept;      /* attaches that kept compiled code (to be validated) */
	uint64_t caches_cleared;   /* non-empty caches emptied (not shareable, or cpu_reset) */
	uint64_t pages_kept;       /* code pages found identical at the first run after an attach */
	uint64_t pages_dropped;    /* code pages found different: their blocks invalidated */
};
void cpu_engine_stats_read(struct cpu_engine_stats *st);

/* ---- Address spaces --------------------------------------------------- */

#define CPU_PROT_R 1u
#define CPU_PROT_W 2u
#define CPU_PROT_X 4u
#define CPU_PROT_RW (CPU_PROT_R | CPU_PROT_W)
#define CPU_PROT_RX (CPU_PROT_R | CPU_PROT_X)
#define CPU_PROT_RWX (CPU_PROT_R | CPU_PROT_W | CPU_PROT_X)

struct cpu_as;

/* A new, empty address space. NULL if the host refuses memory. */
struct cpu_as *cpu_as_create(void);

/*
 * Destroy `as`. Every vCPU must have been detached (cpu_detach/cpu_put)
 * first; returns -EBUSY (and destroys nothing) otherwise.
 */
int cpu_as_destroy(struct cpu_as *as);

/*
 * Map [va, va+len) to host memory [host, host+len) with `prot` (CPU_PROT_*,
 * W implies nothing else: a W-only page is writable but not readable). va,
 * host and len must be 4 KiB aligned, len > 0, va+len <= CPU_VA_LIMIT.
 * Replaces existing mappings. The host memory must stay valid until the
 * range is unmapped and every vCPU that might still be in the middle of an
 * access to it has left cpu_run (the caller's RCU).
 * Translations of code in the range are invalidated on every attached vCPU
 * when executable pages change (X added, removed or remapped).
 * Returns 0 or -EINVAL.
 */
int cpu_as_map(struct cpu_as *as, uint64_t va, void *host, size_t len, unsigned prot);

/* Unmap [va, va+len) (aligned; holes allowed). Returns 0 or -EINVAL. */
int cpu_as_unmap(struct cpu_as *as, uint64_t va, size_t len);

/*
 * Change the permissions of mapped pages in [va, va+len). Returns 0, -EINVAL,
 * or -ENOENT if a page in the range is not mapped (nothing changed then).
 */
int cpu_as_protect(struct cpu_as *as, uint64_t va, size_t len, unsigned prot);

/*
 * Look up one address: host pointer of the byte at `va` and the page's
 * permissions. Returns 0, or -ENOENT if not mapped.
 */
int cpu_as_query(const struct cpu_as *as, uint64_t va, void **host, unsigned *prot);

/*
 * Discard compiled code for [va, va+len) on every vCPU attached to `as`
 * (after the loader or the guest, via IC IVAU, changed code). A running vCPU
 * picks the invalidation up the next time it passes its dispatcher (at the
 * latest at the end of its timeslice); cpu_as_map/unmap/protect call this
 * themselves for executable pages.
 */
void cpu_as_invalidate(struct cpu_as *as, uint64_t va, size_t len);

/*
 * Copy to/from guest memory as an EL0 access with the page permissions
 * (for tests and loaders). Return 0, or -EFAULT at the first page that is
 * not mapped with the needed permission (bytes before it were copied).
 * cpu_as_write invalidates translations of executable pages it touches.
 */
int cpu_as_read(const struct cpu_as *as, uint64_t va, void *buf, size_t len);
int cpu_as_write(struct cpu_as *as, uint64_t va, const void *buf, size_t len);

/* ---- vCPUs ------------------------------------------------------------ */

struct cpu_vcpu;

/*
 * Construct a vCPU (a dynarmic JIT; 25-55 ms). NULL if the engine cannot
 * (too many vCPUs, no memory). A new vCPU is detached, registers zero.
 */
struct cpu_vcpu *cpu_create(void);
/* Destroy a vCPU that is not running. */
void cpu_destroy(struct cpu_vcpu *vcpu);

/*
 * Attach `vcpu` to `as` (it then sees as's pages); a vCPU is attached to at
 * most one address space. Returns 0, -EINVAL (as NULL), -EBUSY if already
 * attached, -ENOMEM.
 */
int cpu_attach(struct cpu_vcpu *vcpu, struct cpu_as *as);
/*
 * Detach; the vCPU sees no memory afterwards. Its compiled code is kept
 * for the next attach only with shared translation (see above).
 */
void cpu_detach(struct cpu_vcpu *vcpu);
struct cpu_as *cpu_vcpu_as(const struct cpu_vcpu *vcpu);

/*
 * Reset to the just-constructed state: detached, registers and FP/SIMD state
 * zero, code cache empty, exclusive monitor cleared, pending halt dropped,
 * timeslice back to the engine default, counters zero.
 */
void cpu_reset(struct cpu_vcpu *vcpu);

/* ---- Pool of ready vCPUs ---------------------------------------------- */

/*
 * Keep `target` constructed vCPUs ready: warms the engine up
 * (cpu_engine_warmup), builds them now (synchronously, so that the next
 * `target` cpu_get() calls are fast) and starts a background
 * thread that rebuilds the stock after cpu_get() drains it. Calling again
 * changes the target. The first successful call registers cpu_pool_fini
 * with atexit, so the refill thread is stopped before the engine's own
 * static destructors run. Returns 0 or a negative errno.
 */
int cpu_pool_init(unsigned target);
/* Stop the refill thread and destroy the pooled vCPUs (safe to call twice). */
void cpu_pool_fini(void);
/*
 * A ready vCPU (detached, reset): from the pool if one is there, else
 * constructed now. NULL if construction fails.
 */
struct cpu_vcpu *cpu_get(void);
/*
 * Reset `vcpu` and give it back to the pool (destroyed if the pool is full);
 * unlike cpu_reset, compiled code that can be shared is kept.
 */
void cpu_put(struct cpu_vcpu *vcpu);
/* vCPUs in the pool right now. */
unsigned cpu_pool_available(void);

/* ---- Running ----------------------------------------------------------- */

enum cpu_exit_kind {
	CPU_EXIT_NONE = 0,
	CPU_EXIT_SVC,       /* SVC: EC 0x15, ISS = imm16; pc is past the SVC (ELR) */
	CPU_EXIT_DABT,      /* data abort: EC 0x24, FSC/WnR, far = faulting address */
	CPU_EXIT_IABT,      /* instruction abort: EC 0x20, far = pc */
	CPU_EXIT_UNDEF,     /* undefined/unsupported instruction: EC 0x00 */
	CPU_EXIT_BRK,       /* BRK #imm: EC 0x3C, ISS = imm16 */
	CPU_EXIT_PC_ALIGN,  /* branch to a misaligned pc: EC 0x22, far = pc */
	CPU_EXIT_WFX,       /* WFI/WFE: EC 0x01 (ISS bit 0: 1 = WFE); pc is past it */
	CPU_EXIT_TIMESLICE, /* tick budget used up: the scheduler's timer "interrupt" */
	CPU_EXIT_HALT,      /* cpu_halt() from some thread */
	CPU_EXIT_NR
};

/*
 * What ended a cpu_run. For synchronous exceptions esr/far are what ESR_EL1
 * and FAR_EL1 would hold (arch/esr.h). pc: the vCPU's pc after the exit:
 *  - SVC, WFX: the next instruction (hardware's preferred return address);
 *  - DABT, IABT, UNDEF, BRK, PC_ALIGN: the instruction that faulted (for
 *    PC_ALIGN and IABT the target pc itself). Every earlier instruction has
 *    completed, no later one has executed, and the faulting instruction has
 *    written no register (no load result, no base writeback), so running
 *    again restarts it once the cause is fixed. Memory: a single access that
 *    faults writes nothing (both pages of a page-straddling access are
 *    checked first); an instruction that makes several accesses (STP, ST1
 *    of several registers) may have completed the ones before the fault, as
 *    the architecture allows.
 *  - TIMESLICE, HALT: the next instruction to execute.
 * insn is the instruction word at pc for UNDEF/BRK (0 if unreadable).
 */
struct cpu_exit {
	enum cpu_exit_kind kind;
	uint64_t esr;
	uint64_t far;
	uint64_t pc;
	uint32_t insn;
};

/*
 * Run `vcpu` (attached) on the calling thread until an exit. Returns 0 with
 * *exit filled, -EINVAL if the vCPU is not attached.
 */
int cpu_run(struct cpu_vcpu *vcpu, struct cpu_exit *exit);

/*
 * Make `vcpu` leave cpu_run with CPU_EXIT_HALT (from any thread, also from
 * inside a signal handler: one atomic store). If the vCPU is not running
 * the request stays pending and its next cpu_run returns at once. A halt
 * takes effect when the vCPU passes its dispatcher: at the latest when its
 * timeslice ends.
 */
void cpu_halt(struct cpu_vcpu *vcpu);

/* Tick budget for each following cpu_run (ticks ~ guest instructions); 0: the engine's default. */
void cpu_set_timeslice(struct cpu_vcpu *vcpu, uint64_t ticks);

/* ---- Registers (only while the vCPU is not running) ------------------- */

struct cpu_regs {
	uint64_t x[31];
	uint64_t sp;     /* SP_EL0 */
	uint64_t pc;
	uint64_t pstate; /* NZCV in bits 31:28 (the rest reads as 0) */
	uint64_t tpidr_el0;
	uint64_t tpidrro_el0;
};

struct cpu_fpsimd {
	uint64_t v[32][2]; /* q0..q31; v[n][0] = bits 63:0 */
	uint32_t fpcr;
	uint32_t fpsr;
};

void cpu_get_regs(const struct cpu_vcpu *vcpu, struct cpu_regs *r);
void cpu_set_regs(struct cpu_vcpu *vcpu, const struct cpu_regs *r);
void cpu_get_fpsimd(const struct cpu_vcpu *vcpu, struct cpu_fpsimd *f);
void cpu_set_fpsimd(struct cpu_vcpu *vcpu, const struct cpu_fpsimd *f);

/* Single registers: n = 0..30 for x0..x30 (31 = sp). */
uint64_t cpu_get_x(const struct cpu_vcpu *vcpu, unsigned n);
void cpu_set_x(struct cpu_vcpu *vcpu, unsigned n, uint64_t val);
uint64_t cpu_get_sp(const struct cpu_vcpu *vcpu);
void cpu_set_sp(struct cpu_vcpu *vcpu, uint64_t val);
uint64_t cpu_get_pc(const struct cpu_vcpu *vcpu);
void cpu_set_pc(struct cpu_vcpu *vcpu, uint64_t val);
uint64_t cpu_get_tpidr(const struct cpu_vcpu *vcpu);
void cpu_set_tpidr(struct cpu_vcpu *vcpu, uint64_t val);
uint64_t cpu_get_tpidrro(const struct cpu_vcpu *vcpu);
void cpu_set_tpidrro(struct cpu_vcpu *vcpu, uint64_t val);

/* Clear this vCPU's exclusive reservation (what an exception return does). */
void cpu_clear_exclusive(struct cpu_vcpu *vcpu);

/* ---- Counters ---------------------------------------------------------- */

struct cpu_stats {
	uint64_t ticks;              /* guest instructions executed (block granularity) */
	uint64_t runs;               /* cpu_run calls */
	uint64_t exits[CPU_EXIT_NR]; /* by kind */
	uint64_t slow_reads;         /* data reads through the callbacks (R-only pages, straddles) */
	uint64_t slow_writes;        /* writes through the callbacks */
	uint64_t exclusive_ops;      /* LDXR/STXR family (always via callbacks) */
	uint64_t code_reads;         /* instruction words fetched for translation */
	uint64_t invalidations;      /* code-cache invalidations requested */
	uint64_t emulated;           /* instructions emulated in the wrapper (MRS CNTVCT_EL0) */
};

/* Snapshot of the counters (any thread; values may be a little stale). */
void cpu_stats_read(const struct cpu_vcpu *vcpu, struct cpu_stats *st);
void cpu_stats_reset(struct cpu_vcpu *vcpu);
const char *cpu_exit_name(enum cpu_exit_kind kind);

#ifdef __cplusplus
}
#endif

#endif /* PLAT_EMU_CPU_CPU_H */
