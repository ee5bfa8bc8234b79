/*
 * realmbox's Fasco extension of the RMM ABI (docs/fasco-abi.md): realm
 * kinds in RmiRealmParams, forwarding channels, the forward REC exits, the
 * RMI commands in the realmbox RMI range and the RSI calls the System Realm
 * makes in the realmbox RSI range. Layouts checked at compile time.
 */
#ifndef ARCH_FASCO_H
#define ARCH_FASCO_H

#include "arch/arch.h"
#include "arch/rmi.h"
#include "arch/smc.h"

/* ---- Realm kinds: RmiRealmParams extension area ------------------------ */

/*
 * realmbox's extension of RmiRealmParams lives in the spec's reserved area
 * at 0xF00 (after rtt_num_start @0x818). Every field is zero for a plain
 * (spec) realm, so a plain realm is created and measured exactly as before.
 * kind, config_ipa and config_size are measured (kept in the RIM's params
 * image); system_rd is a host PA and is not.
 */
#define RB_REALM_PARAMS_EXT_OFFSET 0xF00

#define RB_REALM_KIND_PLAIN 0	  /* a spec realm: no Fasco */
#define RB_REALM_KIND_SYSTEM 1	  /* the System Realm: runs the container OS */
#define RB_REALM_KIND_CONTAINER 2 /* a Container Realm, bound to a System Realm */
#define RB_REALM_KIND_NR 3

struct rb_realm_params_ext {
	uint64_t kind;	      /* 0xF00: RB_REALM_KIND_* (measured) */
	uint64_t system_rd;   /* 0xF08: container: RD of its System Realm; else 0 */
	uint64_t config_ipa;  /* 0xF10: container: base of the measured start configuration
				 (measured) */
	uint64_t config_size; /* 0xF18: its size in bytes, <= RB_CONFIG_MAX (measured) */
};
COMPILER_ASSERT(sizeof(struct rb_realm_params_ext) == 0x20, "rb params ext size");
COMPILER_ASSERT(offsetof(struct rmi_realm_params, rtt_num_start) + 8 <= RB_REALM_PARAMS_EXT_OFFSET,
		"rb params ext after the spec's fields");
COMPILER_ASSERT(RB_REALM_PARAMS_EXT_OFFSET + sizeof(struct rb_realm_params_ext) <=
			sizeof(struct rmi_realm_params),
		"rb params ext inside the params granule");

/* Largest start configuration (manifest digest + OCI process config). */
#define RB_CONFIG_MAX (64ULL * GRANULE_SIZE)

/* ---- RMI: realmbox range (fnum 0x180..0x18E) --------------------------- */

#define SMC_RB_RMI_FNUM_MIN 0x180
#define SMC_RB_RMI_FNUM_MAX 0x18E

/*
 * CHANNEL_CREATE(sys_rd, channel, container_rec, sys_ipa): channel DELEGATED
 * -> CHANNEL, mapped read-only at protected sys_ipa of the System Realm
 * (level-3 entry UNASSIGNED with RIPAS RAM), bound to container_rec (a REC
 * of a Container Realm bound to sys_rd, not running, without a channel).
 */
#define SMC_RMI_RB_CHANNEL_CREATE SMC64_FID(0x180)
/*
 * CHANNEL_DESTROY(sys_rd, container_rec, sys_ipa) -> X1 channel PA:
 * unmaps (entry -> UNASSIGNED, RIPAS DESTROYED), scrubs, CHANNEL ->
 * DELEGATED. The container REC cannot run until it has a channel again; a
 * request pending on this one is posted again on the next (CHANNEL_CREATE).
 */
#define SMC_RMI_RB_CHANNEL_DESTROY SMC64_FID(0x181)
/*
 * REALM_COUNTERS(rd) -> X1 forwarded requests, X2 verification refusals,
 * X3 copies, X4 bytes copied, X5 register reads (GET_REGS), X6 kicks
 * (KICK calls accepted) -- for a container: done for it; for a System
 * Realm: done by it.
 */
#define SMC_RMI_RB_REALM_COUNTERS SMC64_FID(0x182)

/* ---- REC exits: realmbox range ---------------------------------------- */

/* A request was forwarded to the container's channel. Nothing else is set. */
#define RMI_EXIT_RB_FORWARD (RMI_EXIT_REALMBOX_BASE + 0)
/* The System Realm ended the container REC: exit.gprs[0] = its status. */
#define RMI_EXIT_RB_EXITED (RMI_EXIT_REALMBOX_BASE + 1)

/* ---- RSI: realmbox range (fnum 0x1A0..0x1AF), System Realm only -------- */

#define SMC_RB_RSI_FNUM_MIN 0x1A0
#define SMC_RB_RSI_FNUM_MAX 0x1AF

/*
 * Every call names the channel by the System Realm IPA it is mapped at
 * (X1 = chan_ipa). A channel not bound to the caller's realm, or a caller
 * that is not a System Realm: RSI_ERROR_INPUT. No request pending where one
 * is needed: RSI_ERROR_STATE. A verification refusal: RSI_ERROR_INPUT.
 */
/* TAKE(chan) -> X1 kind, X2 ESR, X3 FAR, X4 seq; request now TAKEN. */
#define SMC_RSI_RB_TAKE SMC64_FID(0x1A0)
/* COPY_IN(chan, container_va, sys_ipa, len) -> X1 bytes: container -> System Realm. */
#define SMC_RSI_RB_COPY_IN SMC64_FID(0x1A1)
/* COPY_OUT(chan, container_va, sys_ipa, len) -> X1 bytes: System Realm -> container. */
#define SMC_RSI_RB_COPY_OUT SMC64_FID(0x1A2)
/*
 * MAP(chan, va, container_ipa, prot, src_sys_ipa): map the page at va to
 * the DATA granule at container_ipa with prot (RB_PROT_*). src_sys_ipa != 0:
 * first fill the (fresh) granule with the System Realm's page there.
 */
#define SMC_RSI_RB_MAP SMC64_FID(0x1A3)
/* UNMAP(chan, va, len): unmapped granules are scrubbed when no longer mapped. */
#define SMC_RSI_RB_UNMAP SMC64_FID(0x1A4)
/* PROTECT(chan, va, len, prot) */
#define SMC_RSI_RB_PROTECT SMC64_FID(0x1A5)
/* SET_REGS(chan, sys_ipa of struct rb_regs) */
#define SMC_RSI_RB_SET_REGS SMC64_FID(0x1A6)
/* COMPLETE(chan, result, flags): x0 = result unless RB_COMPLETE_KEEP_X0. */
#define SMC_RSI_RB_COMPLETE SMC64_FID(0x1A7)
/* READ_CONFIG(chan, offset, sys_ipa, len) -> X1 bytes: only for a START request. */
#define SMC_RSI_RB_READ_CONFIG SMC64_FID(0x1A8)
/*
 * fork (parent_chan in X1, child_chan in X2): while the parent's pending
 * call is clone/clone3 without CLONE_VM (or with CLONE_VM | CLONE_VFORK:
 * the child gets a private copy; never CLONE_THREAD) and the child is
 * another REC of the same Container Realm that has not run yet (never
 * started, its START pending, or recycled: a REC whose process EXITED is
 * reset by the first FORK_PAGE/FORK_REGS that names it -- its pages
 * scrubbed and released, its request state and FP cleared).
 * FORK_PAGE(parent, child, va, child_cipa): map va in the child to the fresh
 * DATA granule at child_cipa, filled with the parent's page at va, same prot.
 * FORK_REGS(parent, child): the child's registers := the parent's (x0 = 0,
 * FP/SIMD too) and its request := the parent's clone request, TAKEN: the
 * System Realm may then COPY_OUT into the child within clone's ranges,
 * SET_REGS/GET_REGS it and COMPLETE it; the next REC_ENTER of the child runs
 * it (no START). FORK_PAGE into it after FORK_REGS is refused.
 */
#define SMC_RSI_RB_FORK_PAGE SMC64_FID(0x1A9)
#define SMC_RSI_RB_FORK_REGS SMC64_FID(0x1AA)
/*
 * GET_REGS(chan, sys_ipa): write the container REC's whole struct rb_regs
 * (mask = RB_REGS_VALID_MASK) at sys_ipa (DATA of the System Realm, as
 * SET_REGS' argument). Any pending (PENDING/TAKEN) request; counted
 * ("register reads", REALM_COUNTERS X5).
 */
#define SMC_RSI_RB_GET_REGS SMC64_FID(0x1AB)
/*
 * KICK(chan): make the container REC leave guest code soon and forward a
 * KICK request (signal delivery to a process spinning in user code). Works
 * while the container REC runs on another thread. Success if it is running,
 * idle or has a request pending (then nothing more happens); RSI_ERROR_STATE
 * if it never started or its process EXITED. Counted (REALM_COUNTERS X6).
 */
#define SMC_RSI_RB_KICK SMC64_FID(0x1AC)
/*
 * The Container Realm's attestation token (configfs-tsm inside the
 * container, docs/attestation.md): only while a request of that container
 * REC is TAKEN. The RMM makes the token of the CONTAINER realm (its RIM,
 * REMs, RPV) with the challenge given, in the container REC's attestation
 * context; the System Realm only receives the bytes.
 * ATTEST_INIT(chan, X2..X9 challenge) -> X1 = upper bound of the size.
 * ATTEST_CONTINUE(chan, sys_ipa, offset, size) -> X1 bytes written to the
 * System Realm's DATA granule at sys_ipa (granule aligned) + offset;
 * RSI_INCOMPLETE while more work or bytes remain, as RSI_ATTESTATION_TOKEN_CONTINUE.
 */
#define SMC_RSI_RB_ATTEST_INIT SMC64_FID(0x1AD)
#define SMC_RSI_RB_ATTEST_CONTINUE SMC64_FID(0x1AE)
/*
 * EXEC_MEASURE(chan, X2..X5 = 32-byte digest): extend the Container Realm's
 * REM[0] (measurement slot 1) with the digest of the executable an execve
 * loaded: REM = H(REM || digest). Only while the container's request is an
 * execve/execveat SYSCALL, TAKEN; otherwise refused (counted).
 */
#define SMC_RSI_RB_EXEC_MEASURE SMC64_FID(0x1AF)
#define RB_EXEC_MEASURE_SIZE 32

/*
 * ---- RSI: realmbox's second range (fnum 0x19A..0x19F), System Realm only --
 * The first range is full. RSI v1.0 (DEN0137 1.0-REL0) leaves 0x19A..0x19F
 * unused; realmbox takes them from 0x19A upwards, in order. Same
 * conventions as the first range.
 */
#define SMC_RB_RSI2_FNUM_MIN 0x19A
#define SMC_RB_RSI2_FNUM_MAX 0x19F

/*
 * THREAD(parent_chan X1, child_chan X2): make the child REC a thread of the
 * parent's process. While the parent's pending call is clone/clone3 with
 * CLONE_VM and without CLONE_VFORK, the parent runs in an address space,
 * and the child is another REC of the same Container Realm that has not run
 * yet (never started, or its START pending) or whose process EXITED:
 * the child's earlier address space is left (fasco_as_leave: freed and its
 * pages scrubbed if it was alone in it), and the child runs in the
 * parent's from now on -- the same pages; MAP, UNMAP and PROTECT through
 * any of their channels apply to every REC in it, running or not. The
 * address space is reference counted: a REC whose request is COMPLETEd with
 * RB_COMPLETE_EXIT while others share it leaves it (its PE goes, the pages
 * stay); the last REC to leave (REC_DESTROY, or a fork/thread into it after
 * its exit) scrubs and releases them. Registers: the parent's, x0 = 0, sp =
 * the clone's stack (clone: newsp if non-zero; clone3: stack + stack_size
 * if stack is non-zero), TPIDR_EL0 = its tls if CLONE_SETTLS, FP/SIMD the
 * parent's. Request: the parent's clone, TAKEN, as after FORK_REGS (COPY_OUT
 * within clone's ranges, SET_REGS, COMPLETE; no START).
 * Refusals (RSI_ERROR_INPUT, counted in both realms): not a clone, no
 * CLONE_VM or CLONE_VFORK, a child REC of another Container Realm (even one
 * bound to the same System Realm), a child that has run and not exited, a
 * parent without an address space; channels not bound to the caller, or the
 * same channel twice: RSI_ERROR_INPUT; a REC running: RSI_ERROR_STATE;
 * the parent with no request pending: RSI_ERROR_STATE. Counted when
 * accepted (rb_threads).
 */
#define SMC_RSI_RB_THREAD SMC64_FID(0x19A)

/*
 * SHARE(parent_chan X1, child_chan X2, va X3, len X4) -> X1 pages shared:
 * MAP_SHARED memory across fork. Under FORK_PAGE's conditions (the
 * parent's pending call is a clone that makes a copy, the child another
 * REC of the SAME Container Realm that has not run yet or whose process
 * EXITED -- then recycled first), every page the parent maps in [va,
 * va+len) (page aligned, at most 1 GiB, below 2^39) is mapped in the child
 * at the same VA to the very same DATA granule with the parent's prot,
 * replacing what the child had there; holes of the parent are left as
 * they are in the child. The source is named by the parent's VA, so only
 * a granule the container's own address space maps can be shared: never
 * another realm's, an RTT, the System Realm's or a granule no address
 * space maps. A shared granule counts its mappings (up to 65535; more:
 * refused) and is scrubbed and released only when the last goes (UNMAP,
 * a MAP over it, the end of an address space); DATA_DESTROY refuses it
 * while any remains. Refusals (RSI_ERROR_INPUT, counted): as FORK_PAGE's,
 * a parent without an address space, too many mappings; bad va/len:
 * RSI_ERROR_INPUT (not counted); a REC running: RSI_ERROR_STATE.
 */
#define SMC_RSI_RB_SHARE SMC64_FID(0x19B)

/*
 * ENDING(chan X1): the container thread whose request is TAKEN on chan
 * ends with that request (killed while in a system call, or while its
 * fault was being served). From now on the request's copies may walk the
 * thread's robust futex list and write its clear_child_tid word, as at an
 * exit, exit_group or KICK; and COMPLETE accepts only RB_COMPLETE_EXIT
 * (else RSI_ERROR_INPUT): the thread never runs again, so the mark gives
 * the System Realm nothing that killing the thread would not. Cleared by
 * the REC's next request. No request TAKEN: RSI_ERROR_STATE.
 */
#define SMC_RSI_RB_ENDING SMC64_FID(0x19C)

#define RB_PROT_R 1u
#define RB_PROT_W 2u
#define RB_PROT_X 4u
#define RB_PROT_MASK 7u

#define RB_COMPLETE_KEEP_X0 BIT(0) /* registers as SET_REGS left them (execve, sigreturn) */
#define RB_COMPLETE_EXIT BIT(1)	   /* the container process is gone: result = status */
/*
 * The System Realm has more for the REC (a signal): as a KICK made before the
 * REC resumes, it posts a KICK request at once instead of running user code,
 * even when a waiting REC_ENTER resumes it in place (exitless).
 */
#define RB_COMPLETE_KICK BIT(2)
#define RB_COMPLETE_FLAGS_MASK (RB_COMPLETE_KEEP_X0 | RB_COMPLETE_EXIT | RB_COMPLETE_KICK)

/* Longest copy one COPY_IN/COPY_OUT/READ_CONFIG moves. */
#define RB_COPY_MAX (16 * GRANULE_SIZE)

/* Request kinds (TAKE X1, channel.kind). */
#define RB_REQ_NONE 0
#define RB_REQ_SYSCALL 1 /* SVC: x8 = number, x0..x5 arguments */
#define RB_REQ_ABORT 2	 /* data/instruction abort: FAR = VA */
#define RB_REQ_START 3	 /* first entry: READ_CONFIG allowed */
#define RB_REQ_FAULT 4	 /* undefined instruction, BRK, PC alignment, ... */
#define RB_REQ_KICK 5	 /* KICK: the REC was interrupted in user code; no ESR */

/* Channel states (channel.state; the RMM's own copy is authoritative). */
#define RB_CHAN_IDLE 0
#define RB_CHAN_PENDING 1
#define RB_CHAN_TAKEN 2
#define RB_CHAN_DONE 3
#define RB_CHAN_EXITED 4

#define RB_CHANNEL_MAGIC 0x314e414843425252ULL /* "RRBCHAN1" */

/*
 * The channel granule as the System Realm reads it (read-only for it;
 * written only by the RMM). Mirrors the RMM's state of the request.
 */
struct rb_channel {
	uint64_t magic;	      /* 0x000 */
	uint64_t state;	      /* 0x008 RB_CHAN_* */
	uint64_t seq;	      /* 0x010 request number, from 1 */
	uint64_t kind;	      /* 0x018 RB_REQ_* */
	uint64_t esr;	      /* 0x020 */
	uint64_t far;	      /* 0x028 VA for aborts */
	uint64_t x[9];	      /* 0x030 x0..x8 */
	uint64_t pc;	      /* 0x078 */
	uint64_t sp;	      /* 0x080 */
	uint64_t tpidr;	      /* 0x088 */
	uint64_t config_size; /* 0x090 START: bytes READ_CONFIG may read */
	uint64_t result;      /* 0x098 last COMPLETE result */
	uint8_t reserved[0xFF0 - 0xA0];
	uint64_t rmm_rec;    /* 0xFF0 RMM bookkeeping: the container REC (a PA) */
	uint64_t rmm_sys_rd; /* 0xFF8 RMM bookkeeping: the System Realm's RD */
};
COMPILER_ASSERT(sizeof(struct rb_channel) == GRANULE_SIZE, "rb channel size");
COMPILER_ASSERT(offsetof(struct rb_channel, x) == 0x30, "rb channel x");
COMPILER_ASSERT(offsetof(struct rb_channel, pc) == 0x78, "rb channel pc");
COMPILER_ASSERT(offsetof(struct rb_channel, result) == 0x98, "rb channel result");
COMPILER_ASSERT(offsetof(struct rb_channel, rmm_rec) == 0xFF0, "rb channel rmm_rec");

/*
 * SET_REGS' and GET_REGS' argument, in System Realm memory (8-byte aligned,
 * inside one granule). SET_REGS sets the fields `mask` names; GET_REGS
 * writes every field with mask = RB_REGS_VALID_MASK. pstate carries only
 * NZCV (bits [31:28]): SET_REGS with RB_REGS_PSTATE and any other bit set is
 * RSI_ERROR_INPUT; the RMM owns the rest of PSTATE. RB_REGS_FP covers
 * fp_q (V0..V31, each as {low, high} 64-bit halves), fpcr and fpsr.
 */
#define RB_REGS_PC BIT(31)
#define RB_REGS_SP BIT(32)
#define RB_REGS_TPIDR BIT(33)
#define RB_REGS_PSTATE BIT(34)
#define RB_REGS_FP BIT(35)
#define RB_REGS_VALID_MASK GENMASK(35, 0) /* bits 0..30: x0..x30 */
#define RB_PSTATE_NZCV GENMASK(31, 28)
struct rb_regs {
	uint64_t mask;	      /* 0x000: which fields to set (GET_REGS: all) */
	uint64_t x[31];	      /* 0x008 */
	uint64_t pc;	      /* 0x100 */
	uint64_t sp;	      /* 0x108 SP_EL0 */
	uint64_t tpidr;	      /* 0x110 TPIDR_EL0 */
	uint64_t pstate;      /* 0x118 NZCV in [31:28] only */
	uint64_t fp_q[32][2]; /* 0x120 V0..V31 */
	uint32_t fpcr;	      /* 0x320 */
	uint32_t fpsr;	      /* 0x324 */
	uint64_t reserved;    /* 0x328: zero in GET_REGS, ignored by SET_REGS */
};
COMPILER_ASSERT(sizeof(struct rb_regs) == 0x330, "rb regs size");
COMPILER_ASSERT(offsetof(struct rb_regs, x) == 0x008, "rb regs x");
COMPILER_ASSERT(offsetof(struct rb_regs, pc) == 0x100, "rb regs pc");
COMPILER_ASSERT(offsetof(struct rb_regs, sp) == 0x108, "rb regs sp");
COMPILER_ASSERT(offsetof(struct rb_regs, tpidr) == 0x110, "rb regs tpidr");
COMPILER_ASSERT(offsetof(struct rb_regs, pstate) == 0x118, "rb regs pstate");
COMPILER_ASSERT(offsetof(struct rb_regs, fp_q) == 0x120, "rb regs fp_q");
COMPILER_ASSERT(offsetof(struct rb_regs, fpcr) == 0x320, "rb regs fpcr");
COMPILER_ASSERT(offsetof(struct rb_regs, fpsr) == 0x324, "rb regs fpsr");
COMPILER_ASSERT(offsetof(struct rb_regs, reserved) == 0x328, "rb regs reserved");

/* Signal frames: the room below a request's sp that COPY_OUT may always write. */
#define RB_SIGFRAME_MAX (2 * GRANULE_SIZE)

#endif /* ARCH_FASCO_H */
