/*
 * The platform: what the trusted code may assume of the "hardware".
 * Physical memory, the Granule Protection Check on every access, GPC
 * registers and TLB maintenance, the SMC instruction, event counters, and a
 * processing element that runs realm code under a stage-2 translation.
 *
 * plat/emu implements this interface as an emulated machine in one host
 * process; a real aarch64 platform would implement it with system registers.
 * Freestanding: no hosted headers.
 */
#ifndef PLAT_PLAT_H
#define PLAT_PLAT_H

#include "arch/arch.h"
#include "arch/smc.h"

/* ---- Machine ---------------------------------------------------------- */

#define PLAT_DRAM_BASE 0x80000000ULL
#define PLAT_DEFAULT_DRAM_SIZE (1ULL << 30)

struct plat_config {
	uint64_t dram_size; /* bytes, multiple of 2 MiB; 0 = 1 GiB default */
};

/*
 * Bring up the machine: map physical memory (zeroed), reset GPCCR/GPTBR
 * (GPC disabled), clear counters. Returns 0, -EINVAL for a bad size,
 * -ENOMEM if the host cannot provide the memory. Not thread-safe.
 */
int plat_init(const struct plat_config *cfg);
/* Tear the machine down; every mapping returned earlier becomes invalid. */
void plat_fini(void);

uint64_t plat_dram_base(void);
uint64_t plat_dram_size(void);
/* Is [pa, pa+len) inside DRAM (and not wrapping)? */
bool plat_pa_in_dram(uint64_t pa, uint64_t len);

/* ---- Granule Protection Check ---------------------------------------- */

enum plat_fault_kind {
	PLAT_FAULT_NONE = 0,
	PLAT_FAULT_GPF,        /* GPI does not allow this PAS: FSC 0x28 */
	PLAT_FAULT_WALK,       /* GPT walk fault (bad GPCCR, bad descriptor, reserved GPI) */
	PLAT_FAULT_ADDR_SIZE,  /* Secure/Realm/Root PA at or beyond PPS */
	PLAT_FAULT_EXTERNAL,   /* no memory at that PA: synchronous external abort */
};

/* What the GPC reports for a refused access (architectural reporting). */
struct plat_fault {
	enum plat_fault_kind kind;
	uint64_t pa;    /* the faulting PA */
	enum pas pas;   /* the PAS of the access */
	int level;      /* GPT level of a walk fault (0 or 1), else 0 */
	uint8_t fsc;    /* FSC as an abort would report it (0x28 for GPF, ...) */
	bool to_el3;    /* SCR_EL3.GPF = 1: reported to EL3 rather than as an abort */
};

/*
 * Check one access of PAS `pas` at `pa` as the GPC does (GPC TLB first, then
 * a walk of the GPT in memory). With the GPC disabled every access in DRAM is
 * allowed. Returns 0, or -EFAULT with *f filled (f may be NULL).
 * Counts a GPF in the counters.
 */
int plat_gpc_check(enum pas pas, uint64_t pa, struct plat_fault *f);

/*
 * Memory accessors. Every access any component makes to physical memory goes
 * through these; each granule touched is GPC-checked for `pas`.
 * Return 0, or -EFAULT with *f describing the first refused granule (nothing
 * is transferred in that case).
 */
int plat_read(enum pas pas, uint64_t pa, void *buf, size_t len, struct plat_fault *f);
int plat_write(enum pas pas, uint64_t pa, const void *buf, size_t len, struct plat_fault *f);
int plat_zero(enum pas pas, uint64_t pa, size_t len, struct plat_fault *f);
int plat_read_u64(enum pas pas, uint64_t pa, uint64_t *val, struct plat_fault *f);
int plat_write_u64(enum pas pas, uint64_t pa, uint64_t val, struct plat_fault *f);

/*
 * Map [pa, pa+len) for direct access by the caller (like TF-RMM's
 * buffer_map): GPC-checks every granule for `pas`, then returns a pointer, or
 * NULL with *f filled. The mapping stays usable until the caller stops using
 * it; the caller must hold whatever lock keeps the granules' PAS stable.
 */
void *plat_map(enum pas pas, uint64_t pa, size_t len, struct plat_fault *f);

/* ---- GPC registers and maintenance (EL3 only) ------------------------ */

uint64_t plat_read_gpccr(void);
void plat_write_gpccr(uint64_t val);
uint64_t plat_read_gptbr(void);
void plat_write_gptbr(uint64_t val);
uint64_t plat_read_scr_el3(void);
void plat_write_scr_el3(uint64_t val);
#define SCR_EL3_GPF BIT(48)

/*
 * ---- The SMMU: DMA by devices under host control ----
 * Devices are Normal-world requesters: every access they make is an NS
 * access checked by the SMMU's granule protection check against the GPT at
 * SMMU_ROOT_GPT_BASE (EL3 programs it: the boot GPT, or RContainer's
 * OS-GPT), when SMMU_ROOT_CR0.GPCEN is set (EL3 sets it with the PE's GPC).
 * Streams bypass translation (the device gives physical addresses: the
 * worst case for the defender); RContainer's IO page tables are checked
 * when made (rc_set_iopte), not walked here.
 */
void plat_smmu_write_gpt_base(uint64_t gptbr);
uint64_t plat_smmu_read_gpt_base(void);
void plat_smmu_write_gpcen(bool on);
/*
 * A device reads or writes [pa, pa+len): 0, or -EFAULT with *f (a GPF on
 * the first granule the check refuses; the transfer is aborted before any
 * byte moves, and counted in PLAT_CNT_DMA_ABORT).
 */
int plat_dma_read(uint64_t pa, void *buf, size_t len, struct plat_fault *f);
int plat_dma_write(uint64_t pa, const void *buf, size_t len, struct plat_fault *f);

/* TLBI RPALOS: invalidate cached GPT information for [pa, pa+size). */
void plat_tlbi_rpalos(uint64_t pa, uint64_t size);
/* TLBI PAALLOS: invalidate all cached GPT information. */
void plat_tlbi_paallos(void);
/*
 * TLBI VMALLS12E1IS + DSB ISH for `vmid`: the RMM calls it after changing a
 * realm's stage-2 tables (break-before-make). Returns once every access a
 * PE had already translated with the old tables has completed, so a granule
 * unmapped before the call can be scrubbed safely after it. Counted.
 */
void plat_tlbi_s2(uint16_t vmid);
/* DSB OSH / ISB: ordering points (counted, no other effect here). */
void plat_dsb(void);
void plat_isb(void);
/* DC CIPAPA: clean+invalidate the cache line(s) of granule pa, by PA and PAS. */
void plat_dc_cipapa(enum pas pas, uint64_t pa);

/*
 * Raw access to Root memory for the GPT owner (the monitor); the GPC still
 * checks that the granule is Root. Same contract as plat_map with PAS_ROOT.
 */
#define plat_map_root(pa, len, f) plat_map(PAS_ROOT, (pa), (len), (f))

/* ---- SMC ------------------------------------------------------------- */

/*
 * The EL3 exception vector: the monitor installs it at boot. `from` is the
 * security state of the caller (PAS_NS for the host, PAS_REALM for the RMM
 * and realms' RSI calls arrive at the RMM, not here).
 */
typedef void (*plat_el3_vector_fn)(enum pas from, struct smc_regs *regs);
void plat_set_el3_vector(plat_el3_vector_fn fn);

/*
 * The SMC instruction executed in security state `from`: traps to the EL3
 * vector, which overwrites regs with the results. With no vector installed
 * x0 = SMC_UNKNOWN. Counted.
 */
void plat_smc(enum pas from, struct smc_regs *regs);

/* Convenience for callers: SMC with up to six arguments, results in *res. */
uint64_t plat_smc6(enum pas from, uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3,
		   uint64_t a4, uint64_t a5, uint64_t a6, struct smc_regs *res);

/* ---- Counters (machine-independent costs) ---------------------------- */

enum plat_counter {
	PLAT_CNT_SMC,           /* SMCs taken to EL3 */
	PLAT_CNT_WORLD_SWITCH,  /* changes of security state made by EL3 */
	PLAT_CNT_RMI,           /* RMI calls handled */
	PLAT_CNT_RSI,           /* RSI calls handled */
	PLAT_CNT_REC_ENTER,
	PLAT_CNT_REC_EXIT,
	PLAT_CNT_GPT_UPDATE,    /* GPI writes */
	PLAT_CNT_TLBI,          /* TLBI RPALOS + PAALLOS */
	PLAT_CNT_TLBI_S2,       /* stage-2 invalidations (plat_tlbi_s2) */
	PLAT_CNT_GPF,           /* granule protection faults */
	PLAT_CNT_GPT_WALK,      /* GPC TLB misses that walked the GPT */
	PLAT_CNT_DSB,
	PLAT_CNT_CMO,           /* cache maintenance by PA */
	PLAT_CNT_DELEGATE,
	PLAT_CNT_UNDELEGATE,
	PLAT_CNT_GPT_SWITCH,    /* GPTBR_EL3 writes by RContainer's EL3 calls */
	PLAT_CNT_RC_EL3,        /* RContainer EL3 round trips (SMCs to its FIDs) */
	PLAT_CNT_RC_CALL,       /* rc_* calls the mini-OS handled */
	PLAT_CNT_DMA_ABORT,     /* device transfers the SMMU's GPC aborted */
	PLAT_CNT_RC_REFUSED,    /* copies the mini-OS refused: outside the task's call (RC_ERROR_RANGE) */
	PLAT_CNT_EXITLESS,      /* forwarded requests completed while the REC waited in the RMM */
	PLAT_CNT_EXITLESS_MISS, /* waits that ran out: the REC exited to the host after all */
	PLAT_CNT_EXITLESS_SKIP, /* requests posted without a wait: backing off after waits ran out */
	PLAT_CNT_CODE_WORD,     /* A64 engine: instruction words read to compile guest code */
	PLAT_CNT_CODE_PAGE_KEPT, /* shared translation: code pages whose compiled blocks a process reused */
	PLAT_CNT_CODE_PAGE_DROPPED, /* ... found different in the next process: blocks invalidated */
	PLAT_CNT_NR
};

void plat_count(enum plat_counter c);
void plat_count_add(enum plat_counter c, uint64_t n);
uint64_t plat_counter_read(enum plat_counter c);
void plat_counters_snapshot(uint64_t out[PLAT_CNT_NR]);
void plat_counters_reset(void);
const char *plat_counter_name(enum plat_counter c);

/* ---- Processing element: running realm code -------------------------- */

/*
 * Stage-2 configuration the RMM programs before running a REC
 * (VTTBR/VTCR equivalent). Root tables are rtt_num_start concatenated
 * granules at rtt_base.
 */
struct plat_s2_config {
	uint64_t rtt_base;      /* PA of the starting-level table(s) */
	int rtt_level_start;    /* 0..3 */
	unsigned rtt_num_start; /* 1..16 concatenated tables */
	unsigned ipa_bits;      /* s2sz */
	uint16_t vmid;
};

/* Execution state of one vCPU as the RMM saves/restores it in a REC. */
struct plat_vcpu_state {
	uint64_t gprs[31];
	uint64_t sp_el0;
	uint64_t sp_el1;
	uint64_t pc;
	uint64_t pstate;
	uint64_t tpidr_el0;
};

/* An exception taken from the realm to R-EL2. */
struct plat_exception {
	uint64_t esr;
	uint64_t far;
	uint64_t hpfar;
};

struct plat_pe; /* one vCPU context of the platform (opaque) */

/*
 * Create a PE context for a REC whose code starts at state->pc. The engine
 * behind it is chosen by the platform (native test guests registered with
 * plat_native_guest_register; the A64 engine arrives with plat/emu/cpu).
 * Returns NULL (and *err = -ENOENT/-ENOMEM) if it cannot.
 */
struct plat_pe *plat_pe_create(uint64_t entry_pc, int *err);
void plat_pe_destroy(struct plat_pe *pe);

/*
 * Run the PE from `state` under stage-2 `s2` until it takes an exception to
 * R-EL2. On return *state holds the updated registers and *exc the syndrome.
 * Returns 0, or -EINVAL if the PE cannot run (destroyed guest, finished).
 */
int plat_pe_run(struct plat_pe *pe, const struct plat_s2_config *s2,
		struct plat_vcpu_state *state, struct plat_exception *exc);

/*
 * Inject a synchronous external abort into the realm at the access that
 * caused the last exception (what REC_ENTER does for INJECT_SEA and for an
 * access to RIPAS EMPTY). The access does not complete; for native guests
 * native_guest_took_sea() then reports true and the access yields 0.
 */
void plat_pe_inject_sea(struct plat_pe *pe, struct plat_vcpu_state *state);

/*
 * Stage-2 translation as the hardware walker does it: walks the
 * architectural descriptors of `s2` (tables in Realm PAS), checks S2AP for
 * the access, and GPC-checks the output PA (NS PAS if the leaf has S2TT_NS,
 * else Realm). Returns 0 with *pa set, or -EFAULT with *exc describing the
 * stage-2 abort (EC_DABT_LOW, FSC translation/permission/GPF at the level).
 */
int plat_s2_translate(const struct plat_s2_config *s2, uint64_t ipa, bool write,
		      uint64_t *pa, enum pas *out_pas, struct plat_exception *exc);

/* ---- EL0 address spaces and the A64 engine --------------------------- */

/*
 * A translation regime for EL0 code that the trusted layer programs page by
 * page (in Fasco, the RMM maps a Container Realm's pages on the System
 * Realm's verified request). Each page maps a VA to a physical granule
 * of one PAS; the GPC checks the granule when it is mapped, and a later
 * TLBI RPALOS/PAALLOS covering the granule removes the mapping (as a GPT
 * change invalidates cached translations on hardware), so a granule that
 * leaves the PAS is unreachable from then on.
 */
#define PLAT_PROT_R 1u
#define PLAT_PROT_W 2u
#define PLAT_PROT_X 4u

struct plat_as;

/* A new empty address space; NULL with *err = -ENOMEM. */
struct plat_as *plat_as_create(int *err);
/* Destroy; -EBUSY (nothing done) while a PE is attached to it. */
int plat_as_destroy(struct plat_as *as);
/*
 * Map the 4 KiB page at va (aligned, below 2^39) to granule pa of `pas`
 * with prot (PLAT_PROT_*). Replaces an existing mapping. Returns 0,
 * -EINVAL for bad arguments, -EFAULT if the GPC refuses pa for pas.
 */
int plat_as_map(struct plat_as *as, uint64_t va, uint64_t pa, enum pas pas, unsigned prot);
/* Unmap [va, va+len) (aligned; holes allowed). 0 or -EINVAL. */
int plat_as_unmap(struct plat_as *as, uint64_t va, uint64_t len);
/* Change prot of mapped pages in [va, va+len); -ENOENT if one is unmapped (nothing changed). */
int plat_as_protect(struct plat_as *as, uint64_t va, uint64_t len, unsigned prot);
/* Translation of va: 0 with *pa (of the byte) and *prot, or -ENOENT. */
int plat_as_query(const struct plat_as *as, uint64_t va, uint64_t *pa, unsigned *prot);
/*
 * Unmap one mapped page of `as`, whichever, and say which (va, granule pa,
 * prot): 0, or -ENOENT when nothing is mapped. Emptying an address space
 * page by page lets the caller account for each granule outside as's lock.
 */
int plat_as_pop(struct plat_as *as, uint64_t *va, uint64_t *pa, unsigned *prot);
/*
 * Call fn for every mapped page of `as` (a debug view: fn runs under as's
 * lock and must not call plat_as_* on it nor take a lock held around them).
 */
void plat_as_walk(struct plat_as *as,
		  void (*fn)(uint64_t va, uint64_t pa, unsigned prot, void *arg), void *arg);

/*
 * A PE that runs A64 code at EL0 in `as` (the CPU engine). plat_pe_run
 * ignores s2 for it and returns:
 *   0 with an exception in *exc: SVC (EC_SVC64, pc past the SVC), data or
 *     instruction abort (EC_DABT_LOW / EC_IABT_LOW, FAR = VA, FSC
 *     translation or permission fault), EC_UNKNOWN, EC_BRK64, EC_PC_ALIGN,
 *     EC_WFX; pc at the faulting instruction for aborts;
 *   PLAT_PE_IRQ when its timeslice ended or plat_pe_halt was called
 *     (an interrupt: nothing is pending in *exc).
 * Floating-point/SIMD state lives in the PE across runs.
 */
#define PLAT_PE_IRQ 1
struct plat_pe *plat_pe_create_a64(struct plat_as *as, int *err);
/* Make a running (or the next) plat_pe_run of pe return PLAT_PE_IRQ; any thread. */
void plat_pe_halt(struct plat_pe *pe);

/*
 * The EL1 physical timer of the CPU the calling thread is (each host
 * thread that runs PEs is one CPU): its compare value in CNTVCT units (host
 * monotonic ns, cpu_cntfrq 1 GHz); 0 disarms it. While it is armed, an A64
 * PE that plat_pe_run runs on this CPU goes on past the engine's tick
 * budget and returns PLAT_PE_IRQ (the timer interrupt) at the first budget
 * end at or after cval_ns (the engine checks at block links: a few ms at
 * most), or at plat_pe_halt, or at an exception; at least one budget runs.
 * Disarmed (the default), every budget end is an interrupt, as before.
 * Only the calling thread's timer; for the deprivileged OS's scheduler
 * (the shim deployment).
 */
void plat_cpu_timer_set(uint64_t cval_ns);

/* The system counter (CNTPCT_EL0): host monotonic ns (cpu_cntfrq 1 GHz). */
uint64_t plat_read_cntpct(void);
/* A spin-wait hint (YIELD): lets another thread of the host have this CPU. */
void plat_cpu_relax(void);
/* Budget ends this CPU's armed timer let the PE run past (a count, for tests). */
uint64_t plat_cpu_timer_chunks(void);

struct plat_fp_state {
	uint64_t q[32][2];
	uint32_t fpcr, fpsr;
};
/* FP/SIMD registers of an A64 PE (signal frames, fork). 0 or -EINVAL (not A64). */
int plat_pe_get_fp(struct plat_pe *pe, struct plat_fp_state *fp);
int plat_pe_set_fp(struct plat_pe *pe, const struct plat_fp_state *fp);

/* AT_HWCAP/AT_HWCAP2 of what the A64 engine executes. */
uint64_t plat_a64_hwcap(void);
uint64_t plat_a64_hwcap2(void);

#endif /* PLAT_PLAT_H */
