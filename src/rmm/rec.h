/*
 * Realm Execution Context (REC): the per-vCPU state the RMM keeps in the
 * REC granule, including what a REC exit left pending for the next
 * REC_ENTER (an emulated MMIO read, a host call, a RIPAS change, PSCI).
 */
#ifndef RMM_REC_H
#define RMM_REC_H

#include "arch/arch.h"
#include "arch/rmi.h"
#include "plat/plat.h"
#include "rmm/granule.h"

enum rec_pending {
	REC_PENDING_NONE = 0,
	REC_PENDING_MMIO,        /* exit SYNC for an emulatable abort */
	REC_PENDING_HOST_CALL,   /* exit HOST_CALL: results from enter.gprs */
	REC_PENDING_RIPAS,       /* exit RIPAS_CHANGE: RTT_SET_RIPAS may progress */
	REC_PENDING_PSCI,        /* exit PSCI: waits for PSCI_COMPLETE */
};

struct rec {
	uint64_t rd_addr;          /* owning realm's RD granule */
	uint64_t rec_idx;          /* MPIDR index within the realm */
	uint64_t mpidr;            /* as given in RmiRecParams */
	bool runnable;
	struct plat_vcpu_state regs;
	uint64_t num_aux;
	uint64_t aux[RMI_REC_MAX_AUX];
	struct plat_pe *pe;        /* the platform's execution context */

	/* Exit/entry bookkeeping. */
	enum rec_pending pending;
	uint64_t last_esr;         /* of the exit that left `pending` */
	uint64_t last_far;
	uint64_t last_hpfar;
	uint64_t host_call_ipa;    /* REC_PENDING_HOST_CALL */
	/* REC_PENDING_RIPAS: the realm's IPA_STATE_SET request. */
	uint64_t ripas_addr;       /* progress: next IPA to change */
	uint64_t ripas_top;
	uint64_t ripas_value;
	uint64_t ripas_flags;
	/* REC_PENDING_PSCI */
	uint64_t psci_fid;
	uint64_t psci_target_mpidr;
	bool psci_complete;        /* PSCI_COMPLETE seen */
	int64_t psci_status;       /* its status for the caller */

	/* realmbox Fasco: a Container Realm REC (rmm/fasco.h). */
	struct rec_fasco {
		bool container;        /* REC of a Container Realm */
		bool a64;              /* its PE is the A64 engine on `as` */
		bool started;          /* the START request was posted */
		uint8_t state;         /* RB_CHAN_* of the current request */
		uint64_t channel;      /* channel granule PA, 0 = none */
		uint64_t sys_rd;       /* System Realm the channel belongs to */
		uint64_t sys_ipa;      /* where the channel is mapped there */
		struct plat_as *as;    /* this process's EL0 address space (maybe shared) */
		uint8_t as_tag;        /* its slot in the RD (rb_as) + 1; 0 = none */
		uint64_t seq;
		/* The pending request, as the RMM saw it (verification uses only these). */
		uint64_t kind;
		uint64_t esr, far;
		uint64_t nr;           /* x8 */
		uint64_t args[6];      /* x0..x5 */
		uint64_t sp, pc;
		uint64_t result;       /* COMPLETE */
		uint64_t complete_flags;
		uint64_t exit_status;
		/*
		 * clear_child_tid (set_tid_address, CLONE_CHILD_CLEARTID): the
		 * 4 bytes a thread's exit may zero (fasco_verify_copy).
		 */
		uint64_t ctid;
		/*
		 * The robust futex list head (set_robust_list, len 24): the 24
		 * bytes a thread's end may read (its list is usually empty; the
		 * entries of a non-empty one are not allowed).
		 */
		uint64_t robust;
		bool ending; /* RSI_RB_ENDING: the TAKEN request ends the thread */
		/*
		 * The alternate signal stack the container's own sigaltstack call
		 * registered (recorded when that call completed with 0; size 0:
		 * none): signal frames may be written there too.
		 */
		uint64_t alt_sp, alt_size;
		/*
		 * Exitless forwarding (fasco_rec_wait). exitless: this entry's
		 * host allowed the wait (REC_ENTER flag). parked (REC lock):
		 * the REC is inside REC_ENTER but stopped at a posted request,
		 * so the System Realm may act on it as on a REC that exited;
		 * cleared when it runs again. waiting (REC lock): the REC_ENTER
		 * that parked it will take COMPLETE's result itself.
		 */
		bool exitless, parked, waiting;
		/*
		 * Adaptive exitless (fasco_rec_wait, only the REC's own
		 * REC_ENTER touches them): after a wait that ran out, the next
		 * xl_skip requests are posted without a wait; xl_misses (at most
		 * FASCO_EXITLESS_BACKOFF_MAX) waits in a row ran out, and each
		 * doubles the skip. A wait that is answered ends the backoff.
		 */
		uint8_t xl_misses;
		uint16_t xl_skip;
		/* KICK: set by any thread (atomic, no REC lock), consumed by a posted request. */
		uint32_t kick;
		/* FP/SIMD state for a PE not created yet (SET_REGS, FORK_REGS). */
		bool fp_saved;
		struct plat_fp_state fp;
	} fasco;
};
COMPILER_ASSERT(sizeof(struct rec) <= GRANULE_SIZE, "REC fits a granule");

static inline struct rec *rec_map(struct granule *g)
{
	return (struct rec *)granule_map(g);
}

/*
 * MPIDR as RmiRecParams encodes it (Aff0 [3:0] < 16, Aff1 [15:8], Aff2
 * [23:16], Aff3 [39:32]) -> linear REC index, and back.
 */
uint64_t mpidr_to_rec_idx(uint64_t mpidr);
uint64_t rec_idx_to_mpidr(uint64_t idx);
bool mpidr_is_valid(uint64_t mpidr);

#endif /* RMM_REC_H */
