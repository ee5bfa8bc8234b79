/*
 * The random RMI sequence (tests/unit/test_random_rmi.c) split over
 * tests/unit/random_rmi/: this private header holds what its files share:
 * the commands, the host model's types and state, and the functions one
 * file calls in another (prefixed rr_). model.c: PRNG, command table, host
 * model and its granule and realm helpers; guest.c: the native guest the
 * RECs run; args.c: hostile values and argument generation; exec.c:
 * reporting, execution, oracles and model update; plans.c: multi-step
 * plans. tests/fuzz/fuzz_rmi.c compiles all of them into one file.
 */
#ifndef RANDOM_RMI_H
#define RANDOM_RMI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/harness.h"
#include "common/invariants.h"

#include "arch/fasco.h"
#include "arch/rmi.h"
#include "plat/emu/native_guest.h"
#include "rmm/granule.h"
#include "rmm/rec.h"

#define GUEST_PC 0x3000ULL
#define HIST 24
#define MAX_REALMS 24
#define LIVE_REALMS_TARGET 5
#define MAX_RECS 32  /* model capacity per realm */
#define REC_TARGET 6 /* RECs the valid generator gives a realm */
/* RECs a Container Realm may have (the Fasco ABI is moving from one to 31). */
#ifdef GRANULE_FASCO_OWNER_MAX
#define CONTAINER_MAX_RECS GRANULE_FASCO_OWNER_MAX
#else
#define CONTAINER_MAX_RECS 1
#endif
#define AUX RMI_REC_AUX_COUNT
#define BLOCK_GRANULES 512
#define HOT_SPAN (8ULL << 20)	 /* IPAs most valid calls use, in each half */
#define BLOCK_AREA (16ULL << 20) /* where the fold plans build their 2 MiB blocks */

/* ---- Commands ----------------------------------------------------------- */

enum op {
	OP_VERSION,
	OP_FEATURES,
	OP_DELEGATE,
	OP_UNDELEGATE,
	OP_REALM_CREATE,
	OP_REALM_ACTIVATE,
	OP_REALM_DESTROY,
	OP_REC_AUX_COUNT,
	OP_REC_CREATE,
	OP_REC_DESTROY,
	OP_REC_ENTER,
	OP_PSCI_COMPLETE,
	OP_RTT_CREATE,
	OP_RTT_DESTROY,
	OP_RTT_FOLD,
	OP_RTT_READ_ENTRY,
	OP_RTT_MAP_UNPROTECTED,
	OP_RTT_UNMAP_UNPROTECTED,
	OP_RTT_INIT_RIPAS,
	OP_RTT_SET_RIPAS,
	OP_DATA_CREATE,
	OP_DATA_CREATE_UNKNOWN,
	OP_DATA_DESTROY,
	OP_RB_CHANNEL_CREATE,
	OP_RB_CHANNEL_DESTROY,
	OP_RB_REALM_COUNTERS,
	OP_UNKNOWN_FID,
	OP_EL3_FID,
	OP_NR
};

/* The commands' names, FIDs (0: the generator sets c->fid) and weights in random choice. */
struct rr_op {
	const char *name;
	uint64_t fid;
	unsigned weight;
};
extern const struct rr_op rr_ops[OP_NR];

struct cmd {
	enum op op;
	uint64_t fid;
	uint64_t a[6];
	bool hostile;
	bool plan;
	const char *note;
	/* REALM_CREATE / REC_CREATE: what the params granule holds. */
	struct rmi_realm_params *rp;
	struct rmi_rec_params *cp;
	/* results */
	uint64_t ret;
	uint64_t out[4];
};

/* ---- The host model ----------------------------------------------------- */

/* Model granule states: RMI_GRANULE_* and realmbox's Fasco channel. */
#define M_CHANNEL GRANULE_STATE_CHANNEL
#define M_NSTATES (M_CHANNEL + 1)

struct mgran {
	uint8_t st;	      /* RMI_GRANULE_* as the model believes */
	bool owned;	      /* allocated from the host allocator by this test */
	bool reserved;	      /* held by a plan or as a REC run granule */
	bool in_ns, in_deleg; /* has an entry in rr_model.ns / .deleg */
	bool block;	      /* part of a 2 MiB block kept for the fold plans */
};

struct mrtt {
	uint64_t pa, ipa; /* ipa aligned to RTT_LEVEL_SIZE(level - 1) */
	long level;
};

struct mdata {
	uint64_t pa, ipa;
};

struct mmap {
	uint64_t ipa, desc;
	long level;
};

struct mrec {
	bool live;
	uint64_t pa, run;
	uint64_t aux[AUX];
	uint64_t idx; /* MPIDR index */
	/* last exit, as the host saw it */
	uint64_t exit_reason;
	bool exit_valid;
	uint64_t esr, hpfar;
	uint64_t ripas_next, ripas_top;
	bool psci_pending;
	uint64_t psci_fid, psci_target;
	/* Fasco: a container REC's forwarding channel (0 = none). */
	uint64_t chan, chan_sys_rd, chan_ipa;
};

struct vec {
	void *v;
	size_t n, cap, esz;
};
#define VEC(type)                                                                                  \
	{                                                                                          \
		.esz = sizeof(type)                                                                \
	}

struct mrealm {
	bool live;
	uint64_t rd;
	unsigned ipa_bits;
	long sl;
	unsigned nroots;
	uint64_t rtt_base;
	uint64_t vmid;
	uint64_t state; /* RMI_REALM_* */
	uint64_t rec_count;
	uint64_t kind;	    /* RB_REALM_KIND_* (Fasco) */
	uint64_t sys_rd;    /* a Container Realm's System Realm */
	uint64_t chan_base; /* a System Realm: where the host maps channels (RIPAS RAM) */
	struct vec rtts;    /* struct mrtt */
	struct vec data;    /* struct mdata */
	struct vec maps;    /* struct mmap */
	struct mrec recs[MAX_RECS];
};

struct rr_model {
	uint64_t dram_base, nr;
	struct mgran *g;
	struct vec ns;	  /* uint64_t: owned NS granules, not reserved */
	struct vec deleg; /* uint64_t: DELEGATED granules, not reserved (may be stale) */
	struct mrealm realms[MAX_REALMS];
	uint64_t next_vmid;
	uint64_t in_use_start;
	uint64_t step;
	uint64_t calls[OP_NR], ok[OP_NR];
	uint64_t status[OP_NR][6]; /* by RMI status code; [5] = other */
	uint64_t exits[8];	   /* REC exit reasons seen (7 = realmbox's own) */
	uint64_t plans[5];
	uint64_t block_folds[3][2];
	/* DATA block plan: [variant][folded] */ /* plans started, by kind (0: none could
						    start) */

	struct cmd hist[HIST];
	uint64_t hist_step[HIST];
	unsigned hist_n;
	char why[8192];
};

/* The host model: granules, pools, realms; rr_model.step counts the calls made. */
extern struct rr_model rr_model;

/* ---- model.c: PRNG, vectors, granule bookkeeping, realm model helpers -------- */

/* splitmix64 state: seeded from RB_RMI_SEED (the fuzz target sets it per step). */
extern uint64_t rr_rng_state;
/* The next pseudo-random 64-bit value. */
uint64_t rr_rnd(void);
/* A pseudo-random value in [0, n); 0 when n is 0. */
uint64_t rr_rn(uint64_t n);
/* True with probability percent/100. */
bool rr_chance(unsigned percent);

/* Append an element (not initialized) and return it. */
void *rr_vec_push(struct vec *v);
/* Element i (no bounds check). */
void *rr_vec_at(const struct vec *v, size_t i);
/* Remove element i, moving the last one into its place. */
void rr_vec_del(struct vec *v, size_t i);

/* The model's granule at pa; NULL if pa is not an aligned DRAM granule address. */
struct mgran *rr_mg(uint64_t pa);
/* The model's state of pa; NS for anything that is not a DRAM granule. */
unsigned rr_mstate(uint64_t pa);
/* Could pa be a granule argument the RMM accepts at all (a DRAM granule of the NS region)? */
bool rr_good_granule_addr(uint64_t pa);
/* Record that the DRAM granule pa is now in state st (and pool it if free). */
void rr_set_state(uint64_t pa, unsigned st);
/* An owned NS granule, not reserved (allocating if the pool runs low); 0 if none. */
uint64_t rr_pick_ns(void);
/* Take an NS granule out of the pool for exclusive use (run granule); 0 if none. */
uint64_t rr_take_ns(void);
/* Stop reserving pa (a no-op for granules not reserved or not in DRAM). */
void rr_release(uint64_t pa);
/* A DELEGATED granule not reserved, or 0 (drops stale pool entries met on the way). */
uint64_t rr_pick_deleg(void);
/* Live DELEGATED granules the pool can hand out (drops stale entries). */
size_t rr_deleg_avail(void);
/* n distinct DELEGATED granules into out; false if fewer exist. None stays reserved. */
bool rr_pick_delegs(uint64_t *out, unsigned n);

/* The live realm whose RD is rd, or NULL. */
struct mrealm *rr_realm_of(uint64_t rd);
/* How many realms the model holds. */
unsigned rr_live_realms(void);
/* A live realm chosen at random, or NULL. */
struct mrealm *rr_pick_realm(void);
/* The first unprotected IPA of r (protected address range size). */
uint64_t rr_par(const struct mrealm *r);
/* The live REC whose granule is pa (its realm in *rr if rr), or NULL. */
struct mrec *rr_rec_of(uint64_t pa, struct mrealm **rr);
/* How many live RECs r has. */
unsigned rr_nrecs(const struct mrealm *r);
/* A live REC of r chosen at random, or NULL. */
struct mrec *rr_pick_rec(struct mrealm *r);
/* A live REC of some realm (the realm in *rr), or NULL after a few tries. */
struct mrec *rr_pick_any_rec(struct mrealm **rr);
/* The model's RTT of r at level covering ipa (its index in *idx if idx), or NULL. */
struct mrtt *rr_find_rtt(struct mrealm *r, uint64_t ipa, long level, size_t *idx);
/* Deepest level with a table covering ipa (the start level always has one). */
long rr_deepest(struct mrealm *r, uint64_t ipa);
/*
 * A VMM that got ERROR_RTT creates the missing table and retries: turn c into
 * the RTT_CREATE of the next level at ipa if ipa has no level-3 table (and a
 * DELEGATED granule is at hand); false if c is left alone.
 */
bool rr_want_rtt(struct cmd *c, struct mrealm *r, uint64_t ipa);
/* The model's DATA of r at ipa (its index in *idx if idx), or NULL. */
struct mdata *rr_find_data(struct mrealm *r, uint64_t ipa, size_t *idx);
/* The model's unprotected mapping of r at ipa and level (index in *idx), or NULL. */
struct mmap *rr_find_map(struct mrealm *r, uint64_t ipa, long level, size_t *idx);
/* A protected IPA of r, granule aligned: mostly in the hot span. */
uint64_t rr_hot_prot_ipa(struct mrealm *r);
/* An unprotected IPA of r, granule aligned: mostly in the hot span. */
uint64_t rr_hot_unprot_ipa(struct mrealm *r);
/* A protected or unprotected IPA of r, as the two above. */
uint64_t rr_any_ipa(struct mrealm *r);

/* ---- guest.c: the native guest ------------------------------------------------ */

/* The guest's SMC fid(a1..a4): returns x0 (all result registers in *out if out). */
uint64_t rr_gsmc(struct native_guest *g, uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3,
		 uint64_t a4, struct smc_regs *out);
/*
 * The RECs' guest at GUEST_PC, never returns: random RSI, PSCI, host calls,
 * RIPAS changes, MMIO and protected accesses, Fasco calls on channels.
 * gprs[0] = buffer IPA | ipa_bits << 56 (also the CPU_ON context),
 * gprs[1] = seed, gprs[2] = RECs the realm may have, gprs[3] = a System
 * Realm's channel base (0: none).
 */
void rr_guest_main(struct native_guest *g, const uint64_t gprs[8]);

/* ---- args.c: hostile values, argument generation ------------------------------ */

/* What REALM_CREATE / REC_CREATE params granules get filled from. */
extern struct rmi_realm_params rr_cmd_rp;
extern struct rmi_rec_params rr_cmd_cp;
/* RB_RMI_FASCO: false leaves out System/Container Realms and the channel commands. */
extern bool rr_fasco_on;
/* The realmbox extension (kind, System Realm) of realm params p. */
struct rb_realm_params_ext rr_params_ext(const struct rmi_realm_params *p);
/* Random valid realm params in p (a fresh VMID, a Fasco kind); root RTT count in *nroots. */
void rr_realm_params(struct rmi_realm_params *p, unsigned *nroots);
/*
 * Valid RmiRecParams for the next REC of r (NULL: made up): runs
 * rr_guest_main with a DATA page of r as buffer, aux granules from aux.
 */
void rr_rec_params(struct rmi_rec_params *p, struct mrealm *r, const uint64_t *aux, bool runnable,
		   unsigned nrec_hint);
/* One random command in c (cleared first), valid or hostile, from the model. */
void rr_gen_random(struct cmd *c);

/* ---- exec.c: reporting, execution, oracles, model update ---------------------- */

/* The run's seed and the per-call watchdog's limit in s (for the failure reports). */
extern uint64_t rr_seed;
extern unsigned rr_step_timeout;
/* Fail the test: the seed, the step, what (printf), then the last calls. */
void rr_failf(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* SIGALRM handler: a call did not return within rr_step_timeout; print and _exit(1). */
void rr_watchdog(int sig);
/* The name of granule state s. */
const char *rr_sname(unsigned s);
/* Channels of containers' RECs mapped in the System Realm rd. */
unsigned rr_channels_in(uint64_t rd);
/*
 * Issue c (its fid from rr_ops unless set), record it in the history and the
 * counts, check the oracles (must-fail reasons, statuses) and update the model
 * from the result. A violated oracle fails the test.
 */
void rr_exec(struct cmd *c);
/* inv_check and the model's granule states against the RMM's; fails the test if off. */
void rr_check_step(void);
/* rr_exec, RB_RMI_TRACE, rr_check_step, then the next step. */
void rr_run_cmd(struct cmd *c);

/* ---- plans.c: multi-step plans ------------------------------------------------ */

/* Allocate the 2 MiB blocks the fold plans use (at the start, before DRAM fragments). */
void rr_blocks_init(void);
/* Forget any plan (the model's reservations stay as they are). */
void rr_plan_reset(void);
/* Is a plan running? */
bool rr_plan_active(void);
/* Start a random plan (may start none: rr_plan_active says). */
void rr_plan_start(void);
/* Fill c with the running plan's next command; false if the plan is over. */
bool rr_plan_next(struct cmd *c);
/* End the running plan, releasing what it holds. */
void rr_plan_end(void);
/* Is ipa inside the 2 MiB block the running fold plan is building in r? */
bool rr_in_plan_block(const struct mrealm *r, uint64_t ipa);
/* The next command of a whole-realm teardown of r into c; false when nothing is left. */
bool rr_teardown_next(struct cmd *c, struct mrealm *r);

#endif /* RANDOM_RMI_H */
