/*
 * State shared by the two halves of the realm PAL (pal_realm.c: memory and
 * copies; pal_realm_task.c: kernel threads, requests, fork, registers, host
 * calls). Not part of the library OS's interface.
 *
 * Two levels: the System Realm's (struct pal_realm_sys RS: the vCPU's
 * kernel-thread scheduler, the host-call struct, the register block, the
 * bounce and NS buffers) and one struct pal_realm_state per Container
 * Realm (its RECs and channels, address spaces, pool, staging, start and
 * end), reached as R through prm_cur: the container whose kernel thread
 * runs, or whose command the scheduler serves.
 */
#ifndef LIBOS_PAL_REALM_INT_H
#define LIBOS_PAL_REALM_INT_H

#include "arch/fasco.h"
#include "libos/kthread.h"
#include "libos/pal_realm.h"

#define PG 4096ULL
#define NIL 0xFFFFFFFFu
#define REC_NONE 0xFFu
#define AS_MAX 64	/* pal_as objects (one per process, two during execve) */
#define STG_MAX 512	/* staged pages */
#define POKE_MAX 8	/* writes into a fork child before it exists */
#define POOL_GROW 2048	/* granules asked of the host at a time (8 MiB) */

/*
 * A mapping of a granule of the container's pool. Slots 0..pool_max-1 are
 * the pool's granules themselves (slot i maps granule i); slots pool_max..
 * pool_max+alias_max-1 are aliases: a further mapping of a granule another
 * address space maps too (RSI_RB_SHARE, MAP_SHARED across fork), its
 * granule in apool. A granule is free again once neither its own slot nor
 * an alias maps it (pmaps: aliases; ALIAS_LEAKED: never).
 */
#define ALIAS_DIV 4	       /* alias slots: pool_max / ALIAS_DIV */
#define ALIAS_LEAKED 0x8000u   /* pmaps: a mapping of it was forgotten, not reused */
#define ALIAS_MAPS_MAX 0x7FFFu /* aliases of one granule */
struct slot {
	uint64_t va;   /* page VA, valid if used */
	uint32_t next; /* hash chain */
	uint8_t prot;  /* PAL_PROT_* */
	uint8_t used;
	uint8_t as;    /* the pal_as (R.as index) whose RMM address space maps it */
};

/*
 * A pal_as: the library OS's address space, living on the RECs of one
 * process (its threads share one RMM address space: RSI_RB_THREAD) or
 * staged. Calls on it go through the channel of one of those RECs whose
 * request is taken (prm_as_rec).
 */
struct ras {
	uint8_t live;
	uint8_t rec; /* a REC running in it (its first); REC_NONE: staged, no REC runs it yet */
};

enum as_mode {
	AS_STAGED, /* no REC: pages built in System Realm memory */
	AS_FORK,   /* a fork child's, between its first FORK_PAGE and FORK_REGS */
	AS_LIVE,   /* the address space its REC runs */
	AS_GONE,   /* replaced on its REC (execve) */
};

enum rec_use {
	REC_FREE,   /* never used: FORK_* may take it */
	REC_BUSY,   /* a process runs on it */
	REC_ENDED,  /* its process ended (COMPLETE with EXIT): FORK_* may reuse it */
	REC_BROKEN, /* a fork into it failed half way: not used again */
};


/* A container REC as the PAL sees it: its process and its kernel thread. */
struct rrec {
	uint8_t use;	  /* enum rec_use */
	bool forking;	  /* AS_FORK: pages being copied from the parent */
	bool taken;	  /* a request of it is TAKEN: calls on its channel allowed */
	bool dead;	  /* the library OS task ended (task_exit) */
	bool exec_done;	  /* task_set_as during this request: send every register */
	bool full;	  /* GET_REGS done during this request: cur/orig exact */
	bool fp_valid, fp_dirty;
	bool kick_after;  /* task_kick while its request was taken: KICK after COMPLETE */
	bool exec_start;  /* a process from outside (PRH_CMD_EXEC) waits for this REC's START */
	uint8_t cur_as;	  /* the pal_as its RMM address space holds (0: none) */
	void *task;	  /* the library OS task */
	uint64_t kind;	  /* RB_REQ_* being served */
	struct pal_regs cur, orig; /* as get_regs returned them / as set_regs left them */
	struct pal_fpsimd fp;
	struct kthread kt; /* its kernel thread (KTHREAD_IDLE: no request in service) */
};

/* One Container Realm (in the System Realm memory its env.meta names). */
struct pal_realm_state {
	/* the System Realm's, with this container's channels, pool, stage */
	struct pal_realm_env e;
	unsigned ct;		     /* its index (RS.cts[ct]) */
	struct libos_kernel *kernel; /* its library OS instance (NULL before START) */
	struct ras as[AS_MAX];
	struct rrec recs[PAL_REALM_MAX_RECS];
	unsigned cur_rec;   /* REC whose request the running kernel thread serves */
	unsigned running;   /* running kernel thread's REC, REC_NONE: the scheduler */
	uint64_t completed; /* channels completed since the last idle host call */
	uint64_t retake;    /* channels the host named while their thread was busy */
	bool started;	    /* START served */
	uint64_t early_sigs; /* PRH_CMD_SIGNAL before START: sent to init once it exists */
	unsigned spawn_rec; /* PRH_CMD_EXEC: the REC task_create binds the new process to */
	bool exec_allowed;  /* the measured configuration allows PRH_CMD_EXEC */
	bool attest_allowed; /* ... and PRH_CMD_ATTEST */
	bool ended;	    /* container_exit: the container is over */
	int end_status;
	unsigned ntasks;
	/* the container's mappings: slots by pool index, hashed by (REC, VA) */
	struct slot *slots;
	uint32_t *head, nhead, nhead_max; /* nhead grows with the pool (hash_fit) */
	uint32_t *freestk, nfree;
	size_t pool_have; /* granules the host created so far */
	uint16_t *pmaps;  /* per pool granule: aliases that map it (| ALIAS_LEAKED) */
	uint32_t *apool;  /* per alias: its pool granule */
	uint32_t *afree, nafree, alias_max, alias_hw; /* free aliases; high-water mark */
	struct {
		uint64_t va;
		uint8_t prot, as, used;
	} stg[STG_MAX];
	size_t nstg;
	struct {
		uint64_t va;
		uint8_t as, len;
		uint8_t b[16];
	} poke[POKE_MAX];
	unsigned npoke;
	struct pal_realm_stats st;
};

/* The System Realm's. */
struct pal_realm_sys {
	struct pal_realm_env e; /* the shared fields (vCPU, buffers); channels etc. per container */
	struct pal_realm_state *cts[PAL_REALM_MAX_CTS]; /* NULL: no such container */
	struct kthread_sched ks;			/* every container REC's kernel thread */
	unsigned krun, kcur; /* the scheduler's running/current thread (global index) */
	uint64_t poll_ns; /* exitless: how long to poll the channels before idling (host's word) */
	uint64_t kt_switches;
	struct pal_realm_hooks hooks; /* the deployment's: START, adding and dropping a container */
};

extern struct pal_realm_sys RS;
/* The current container (NULL while the System Realm serves none: R must not be used then). */
extern struct pal_realm_state *prm_cur;
#define R (*prm_cur)

/* Make container ct current (prm_cur, its library OS instance). */
void prm_select(struct pal_realm_state *ct);

/* An RSI call of the realmbox range; returns X0, X1 in *x1. */
uint64_t prm_smc(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5,
		 uint64_t *x1);

uint8_t prm_as_id(const struct pal_as *as);
struct ras *prm_as(const struct pal_as *as);
enum as_mode prm_mode(const struct pal_as *as);
unsigned prm_rb_prot(unsigned pal_prot);

/*
 * The REC whose channel carries calls on address space id: the REC being
 * served if it runs in it, else one of its RECs with a request taken, else
 * its first REC (the RMM then refuses the call: nothing of it is taken).
 */
unsigned prm_as_rec(uint8_t id);
/* How many RECs other than `except` run in address space id (REC_BUSY, not forking). */
unsigned prm_as_others(uint8_t id, unsigned except);

/* Slots are keyed by (address space id, page VA). */
uint32_t prm_slot_find(unsigned id, uint64_t va);

/* ---- pal_realm_attest.c ---- */

/*
 * The Container Realm's token for challenge on channel chan, into buf (cap
 * bytes): its length, or -EBUSY (the REC runs), -ENXIO (the channel is not
 * bound), -ENOSPC, -EIO.
 */
long prm_attest_on(uint64_t chan, const uint8_t challenge[64], void *buf, size_t cap);
/*
 * PRH_CMD_ATTEST: the token for the len-byte challenge in the NS buffer,
 * written back there. Its length, or -ESRCH, -EPERM, -EINVAL, -EBUSY, -EIO.
 */
int64_t prm_attest_from_outside(uint64_t len);
uint32_t prm_slot_alloc(void);
void prm_slot_unalloc(uint32_t i);
void prm_slot_insert(uint32_t i, unsigned id, uint64_t va, unsigned prot);
void prm_slot_release(uint32_t i);
uint64_t prm_pool_ipa(uint32_t i);
/* The pool granule slot i maps (i itself, or an alias's granule). */
uint32_t prm_slot_pool(uint32_t i);
int prm_slots_in(unsigned id, uint64_t va, uint64_t len, int (*fn)(uint32_t i, void *arg),
		 void *arg);
/* UNMAP every page of address space id through REC rec's channel (its request taken). */
void prm_unmap_as(uint8_t id, unsigned rec);
/*
 * Forget what is left of address space id without RSI: the granules may
 * still be mapped in the RMM (it scrubs them when their REC is reused), so
 * their pool slots are not handed out again.
 */
void prm_forget_as(uint8_t id);
/* MAP the staged pages of address space id on rec; the writes kept for a fork child. */
int prm_map_staged(uint8_t id, unsigned rec);
int prm_apply_pokes(uint8_t id, unsigned rec);

/* pal_realm_task.c: bind a staged address space to a free REC for a fork. */
int prm_fork_bind(struct pal_as *as);
void prm_fork_abort(unsigned rec);

void prm_mem_ops(struct pal_ops *ops);
int prm_mem_init(const struct pal_realm_env *env);
/* pal_realm_net.c: the net_* calls as PRH_NET host calls. */
void prm_net_ops(struct pal_ops *ops);

#endif /* LIBOS_PAL_REALM_INT_H */
