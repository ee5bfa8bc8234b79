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
 * REALM_COUNTERS(rd) -> X1 forwarded exceptions, X2 verification refusals,
 * X3 copies, X4 bytes copied (for a container: done for it; for a System
 * Realm: done by it).
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
 * call is clone/clone3 without CLONE_VM and the child is another REC of the
 * same Container Realm that has not run yet.
 * FORK_PAGE(parent, child, va, child_cipa): map va in the child to the fresh
 * DATA granule at child_cipa, filled with the parent's page at va, same prot.
 * FORK_REGS(parent, child): the child's registers := the parent's, x0 = 0.
 */
#define SMC_RSI_RB_FORK_PAGE SMC64_FID(0x1A9)
#define SMC_RSI_RB_FORK_REGS SMC64_FID(0x1AA)

#define RB_PROT_R 1u
#define RB_PROT_W 2u
#define RB_PROT_X 4u
#define RB_PROT_MASK 7u

#define RB_COMPLETE_KEEP_X0 BIT(0) /* registers as SET_REGS left them (execve, sigreturn) */
#define RB_COMPLETE_EXIT BIT(1)	   /* the container process is gone: result = status */
#define RB_COMPLETE_FLAGS_MASK (RB_COMPLETE_KEEP_X0 | RB_COMPLETE_EXIT)

/* Longest copy one COPY_IN/COPY_OUT/READ_CONFIG moves. */
#define RB_COPY_MAX (16 * GRANULE_SIZE)

/* Request kinds (TAKE X1, channel.kind). */
#define RB_REQ_NONE 0
#define RB_REQ_SYSCALL 1 /* SVC: x8 = number, x0..x5 arguments */
#define RB_REQ_ABORT 2	 /* data/instruction abort: FAR = VA */
#define RB_REQ_START 3	 /* first entry: READ_CONFIG allowed */
#define RB_REQ_FAULT 4	 /* undefined instruction, BRK, PC alignment, ... */

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

/* SET_REGS argument, in System Realm memory (one granule, 8-byte aligned). */
#define RB_REGS_PC BIT(31)
#define RB_REGS_SP BIT(32)
#define RB_REGS_TPIDR BIT(33)
#define RB_REGS_VALID_MASK GENMASK(33, 0) /* bits 0..30: x0..x30 */
struct rb_regs {
	uint64_t mask;	/* 0x000: which fields to set */
	uint64_t x[31]; /* 0x008 */
	uint64_t pc;	/* 0x100 */
	uint64_t sp;	/* 0x108 */
	uint64_t tpidr; /* 0x110 */
	uint64_t reserved;
};
COMPILER_ASSERT(sizeof(struct rb_regs) == 0x120, "rb regs size");
COMPILER_ASSERT(offsetof(struct rb_regs, pc) == 0x100, "rb regs pc");

/* Signal frames: the room below a request's sp that COPY_OUT may always write. */
#define RB_SIGFRAME_MAX (2 * GRANULE_SIZE)

#endif /* ARCH_FASCO_H */
