/*
 * A seeded random RMI sequence against the whole machine, with the
 * invariant checker (common/invariants.h) run after every call.
 *
 * A host model keeps pools of NS granules, delegated granules, realms (RD,
 * root RTTs, created RTTs, DATA, unprotected mappings, RECs with their aux
 * and run granules) and at each step issues one RMI call whose arguments are
 * either drawn from those pools (so deep states are reached) or hostile
 * (random, misaligned, out of DRAM, ~0, aliasing, wrong states, other
 * realms' granules, the Root and RMM regions, params in delegated memory).
 * Multi-step plans reach what single random calls rarely do: realms with
 * several root RTTs, 512 DATA granules folded into a block and split again,
 * 512 unprotected pages folded into an NS block, whole-realm tear-downs.
 * RECs run a native guest (GUEST_PC) that makes RSI and PSCI calls, host
 * calls, RIPAS changes, MMIO and protected accesses, so REC_ENTER, PSCI_COMPLETE
 * and RTT_SET_RIPAS see real exits. realmbox's Fasco surface is in too: some
 * realms are System or Container Realms, the host binds forwarding channels
 * (RB_CHANNEL_CREATE/DESTROY, RB_REALM_COUNTERS), and a System Realm's guest
 * makes Fasco RSI calls on its channels with half-plausible arguments.
 *
 * The model follows the RMM from the actual statuses; it is an oracle only
 * where the spec is certain: a call whose granule argument is misaligned,
 * outside DRAM, in Root/RMM memory or in a state the command cannot accept
 * never succeeds; nor does a misaligned IPA, a reused VMID, aliased REC aux
 * granules, DATA_CREATE in an active realm, an unknown FID, an EL3-only
 * FID from the Normal world, a Container Realm bound to no System Realm, or
 * a channel for a REC that is not a container of that System Realm. After every step the RMM's
 * granule states must equal the model's (a failed call changes nothing, a successful one makes
 * exactly the spec's transition) and inv_check must pass. At the end every
 * realm is torn down through RMI, every granule must be NS again and the
 * host allocator back where it started.
 *
 * RB_RMI_STEPS (default 100000) and RB_RMI_SEED (default below) override the
 * run; a failure prints the seed, the step and the last 24 calls.
 * RB_RMI_FASCO=0 leaves out realmbox's Fasco surface (System and Container
 * Realms, channels, the System Realm guest's Fasco RSI calls);
 * RB_RMI_STEP_TIMEOUT (s, default 30) bounds one call; RB_RMI_VERBOSE=1
 * prints statuses and exits per command; RB_RMI_TRACE=<command> prints the
 * non-hostile calls of one command. test_channel_ripas is the regression test
 * of a bug the sequence found; test_destroy_while_running reproduces one
 * (DATA_DESTROY racing a running REC's writes) that needed plat_tlbi_s2.
 *
 * Idea for later, a `fuzz-rmi` target: the same executor driven by a
 * coverage-guided fuzzer (libFuzzer/AFL++ -- the input bytes replace the
 * PRNG: each step consumes an op byte, a valid/hostile byte and argument
 * choices), with inv_check as the crash oracle, the seed corpus made of the
 * histories this test prints, and the machine re-booted per input.
 */
#include "common/harness.h"
#include "common/invariants.h"

#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arch/esr.h"
#include "arch/fasco.h"
#include "arch/rmi.h"
#include "arch/rsi.h"
#include "arch/s2tt.h"
#include "plat/emu/native_guest.h"
#include "plat/plat.h"
#include "rmm/granule.h"
#include "rmm/rec.h"

#define DRAM (64ULL << 20)
#define DEFAULT_STEPS 100000ULL
#define DEFAULT_SEED 0x5EED0C0AULL
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

/* ---- PRNG --------------------------------------------------------------- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static uint64_t rn(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static bool chance(unsigned percent)
{
	return rn(100) < percent;
}

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

static const struct {
	const char *name;
	uint64_t fid;
	unsigned weight;
} ops[OP_NR] = {
	[OP_VERSION] = {"VERSION", SMC_RMI_VERSION, 1},
	[OP_FEATURES] = {"FEATURES", SMC_RMI_FEATURES, 1},
	[OP_DELEGATE] = {"GRANULE_DELEGATE", SMC_RMI_GRANULE_DELEGATE, 8},
	[OP_UNDELEGATE] = {"GRANULE_UNDELEGATE", SMC_RMI_GRANULE_UNDELEGATE, 5},
	[OP_REALM_CREATE] = {"REALM_CREATE", SMC_RMI_REALM_CREATE, 4},
	[OP_REALM_ACTIVATE] = {"REALM_ACTIVATE", SMC_RMI_REALM_ACTIVATE, 2},
	[OP_REALM_DESTROY] = {"REALM_DESTROY", SMC_RMI_REALM_DESTROY, 2},
	[OP_REC_AUX_COUNT] = {"REC_AUX_COUNT", SMC_RMI_REC_AUX_COUNT, 1},
	[OP_REC_CREATE] = {"REC_CREATE", SMC_RMI_REC_CREATE, 4},
	[OP_REC_DESTROY] = {"REC_DESTROY", SMC_RMI_REC_DESTROY, 2},
	[OP_REC_ENTER] = {"REC_ENTER", SMC_RMI_REC_ENTER, 20},
	[OP_PSCI_COMPLETE] = {"PSCI_COMPLETE", SMC_RMI_PSCI_COMPLETE, 4},
	[OP_RTT_CREATE] = {"RTT_CREATE", SMC_RMI_RTT_CREATE, 9},
	[OP_RTT_DESTROY] = {"RTT_DESTROY", SMC_RMI_RTT_DESTROY, 4},
	[OP_RTT_FOLD] = {"RTT_FOLD", SMC_RMI_RTT_FOLD, 3},
	[OP_RTT_READ_ENTRY] = {"RTT_READ_ENTRY", SMC_RMI_RTT_READ_ENTRY, 3},
	[OP_RTT_MAP_UNPROTECTED] = {"RTT_MAP_UNPROTECTED", SMC_RMI_RTT_MAP_UNPROTECTED, 5},
	[OP_RTT_UNMAP_UNPROTECTED] = {"RTT_UNMAP_UNPROTECTED", SMC_RMI_RTT_UNMAP_UNPROTECTED, 3},
	[OP_RTT_INIT_RIPAS] = {"RTT_INIT_RIPAS", SMC_RMI_RTT_INIT_RIPAS, 3},
	[OP_RTT_SET_RIPAS] = {"RTT_SET_RIPAS", SMC_RMI_RTT_SET_RIPAS, 4},
	[OP_DATA_CREATE] = {"DATA_CREATE", SMC_RMI_DATA_CREATE, 4},
	[OP_DATA_CREATE_UNKNOWN] = {"DATA_CREATE_UNKNOWN", SMC_RMI_DATA_CREATE_UNKNOWN, 6},
	[OP_DATA_DESTROY] = {"DATA_DESTROY", SMC_RMI_DATA_DESTROY, 4},
	[OP_RB_CHANNEL_CREATE] = {"RB_CHANNEL_CREATE", SMC_RMI_RB_CHANNEL_CREATE, 3},
	[OP_RB_CHANNEL_DESTROY] = {"RB_CHANNEL_DESTROY", SMC_RMI_RB_CHANNEL_DESTROY, 2},
	[OP_RB_REALM_COUNTERS] = {"RB_REALM_COUNTERS", SMC_RMI_RB_REALM_COUNTERS, 1},
	[OP_UNKNOWN_FID] = {"(unknown FID)", 0, 1},
	[OP_EL3_FID] = {"(EL3 FID from NS)", 0, 1},
};

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

static struct rmi_realm_params cmd_rp;
static struct rmi_rec_params cmd_cp;

/* ---- The host model ----------------------------------------------------- */

/* Model granule states: RMI_GRANULE_* and realmbox's Fasco channel. */
#define M_CHANNEL GRANULE_STATE_CHANNEL
#define M_NSTATES (M_CHANNEL + 1)

struct mgran {
	uint8_t st;	      /* RMI_GRANULE_* as the model believes */
	bool owned;	      /* allocated from the host allocator by this test */
	bool reserved;	      /* held by a plan or as a REC run granule */
	bool in_ns, in_deleg; /* has an entry in M.ns / M.deleg */
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

static void *vec_push(struct vec *v)
{
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 16;
		v->v = realloc(v->v, v->cap * v->esz);
		assert_non_null(v->v);
	}
	return (char *)v->v + v->n++ * v->esz;
}

static void *vec_at(const struct vec *v, size_t i)
{
	return (char *)v->v + i * v->esz;
}

static void vec_del(struct vec *v, size_t i)
{
	memmove(vec_at(v, i), vec_at(v, v->n - 1), v->esz);
	v->n--;
}

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

static struct {
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
} M;

static uint64_t seed;

/* ---- Reporting ---------------------------------------------------------- */

static void print_cmd(const struct cmd *c, uint64_t step)
{
	fprintf(stderr,
		"  #%-7" PRIu64 " %-22s %s%s(%#" PRIx64 ", %#" PRIx64 ", %#" PRIx64 ", %#" PRIx64
		", %#" PRIx64 ") -> %s/%" PRIu64 " [%#" PRIx64 " %#" PRIx64 " %#" PRIx64 "]%s%s\n",
		step, ops[c->op].name, c->hostile ? "hostile " : "", c->plan ? "plan " : "",
		c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], host_rmi_status_name(c->ret),
		(uint64_t)RMI_STATUS_INDEX(c->ret), c->out[0], c->out[1], c->out[2],
		c->note ? " " : "", c->note ? c->note : "");
}

static void dump_and_fail(const char *what) __attribute__((noreturn));
static void dump_and_fail(const char *what)
{
	fprintf(stderr,
		"\nrandom RMI FAILED: seed %#" PRIx64 " (RB_RMI_SEED=%" PRIu64 "), step %" PRIu64
		": %s\nlast calls:\n",
		seed, seed, M.step, what);
	unsigned n = M.hist_n < HIST ? M.hist_n : HIST;
	for (unsigned k = 0; k < n; k++) {
		unsigned i = (M.hist_n - n + k) % HIST;
		print_cmd(&M.hist[i], M.hist_step[i]);
	}
	fail_msg("random RMI: invariant violated at step %" PRIu64 " (seed %#" PRIx64 ")", M.step,
		 seed);
	abort(); /* not reached: fail_msg leaves the test */
}

static void failf(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void failf(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	dump_and_fail(buf);
}

/*
 * A call that never returns (a deadlock on a granule lock, a realm the RMM
 * never exits from) stops the run with the seed and the history instead of
 * hanging the suite.
 */
static const struct cmd *in_flight;
static unsigned step_timeout;

static void watchdog(int sig)
{
	(void)sig;
	fprintf(stderr,
		"\nrandom RMI FAILED: seed %#" PRIx64 ", step %" PRIu64
		": a call did not return within %u s (deadlock or endless realm)\n",
		seed, M.step, step_timeout);
	unsigned n = M.hist_n < HIST ? M.hist_n : HIST;
	for (unsigned k = 0; k < n; k++) {
		unsigned i = (M.hist_n - n + k) % HIST;
		print_cmd(&M.hist[i], M.hist_step[i]);
	}
	if (in_flight) {
		fprintf(stderr, "in flight (the status shown is not one):\n");
		print_cmd(in_flight, M.step);
	}
	_exit(1);
}

/* ---- Granule bookkeeping ------------------------------------------------- */

static uint64_t gi(uint64_t pa)
{
	if (!IS_ALIGNED(pa, GRANULE_SIZE) || pa < M.dram_base)
		return UINT64_MAX;
	uint64_t i = (pa - M.dram_base) >> GRANULE_SHIFT;
	return i < M.nr ? i : UINT64_MAX;
}

static struct mgran *mg(uint64_t pa)
{
	uint64_t i = gi(pa);
	return i == UINT64_MAX ? NULL : &M.g[i];
}

/* The model's state of pa; NS for anything that is not a DRAM granule. */
static unsigned mstate(uint64_t pa)
{
	struct mgran *g = mg(pa);
	return g ? g->st : RMI_GRANULE_NS;
}

static bool in_ns_region(uint64_t pa)
{
	return pa >= th_layout.ns_base && pa - th_layout.ns_base < th_layout.ns_size;
}

/* Could pa be a granule argument the RMM accepts at all? */
static bool good_granule_addr(uint64_t pa)
{
	return gi(pa) != UINT64_MAX && in_ns_region(pa);
}

static void pool_add(uint64_t pa)
{
	struct mgran *g = mg(pa);

	if (g->reserved)
		return;
	if (g->st == RMI_GRANULE_DELEGATED && !g->in_deleg) {
		g->in_deleg = true;
		*(uint64_t *)vec_push(&M.deleg) = pa;
	}
	if (g->st == RMI_GRANULE_NS && g->owned && !g->in_ns && !g->block) {
		g->in_ns = true;
		*(uint64_t *)vec_push(&M.ns) = pa;
	}
}

static void set_state(uint64_t pa, unsigned st)
{
	struct mgran *g = mg(pa);

	assert_non_null(g);
	g->st = (uint8_t)st;
	pool_add(pa);
}

static uint64_t ns_alloc(void)
{
	uint64_t pa = host_granule_alloc();

	if (!pa)
		return 0;
	assert_true(good_granule_addr(pa));
	M.g[gi(pa)].owned = true;
	M.g[gi(pa)].reserved = false;
	return pa;
}

/* An owned NS granule, not reserved (allocating if the pool runs low). */
static uint64_t pick_ns(void)
{
	while (M.ns.n < 24) {
		uint64_t pa = ns_alloc();
		if (!pa)
			break;
		pool_add(pa);
	}
	while (M.ns.n) {
		size_t i = rn(M.ns.n);
		uint64_t pa = *(uint64_t *)vec_at(&M.ns, i);
		struct mgran *g = mg(pa);

		if (g->st == RMI_GRANULE_NS && g->owned && !g->reserved)
			return pa;
		g->in_ns = false;
		vec_del(&M.ns, i);
	}
	return 0;
}

/* Take an NS granule out of the pool for exclusive use (run granule). */
static uint64_t take_ns(void)
{
	uint64_t pa = pick_ns();

	if (pa)
		mg(pa)->reserved = true;
	return pa;
}

static void release(uint64_t pa)
{
	struct mgran *g = mg(pa);

	if (!g || !g->reserved)
		return;
	g->reserved = false;
	pool_add(pa);
}

/*
 * A DELEGATED granule not reserved, or 0. The pool is lazy: entries whose
 * granule left DELEGATED are dropped when met; reserved ones stay (they come
 * back into use when released).
 */
static uint64_t pick_deleg(void)
{
	for (int tries = 0; M.deleg.n && tries < 64; tries++) {
		size_t i = rn(M.deleg.n);
		uint64_t pa = *(uint64_t *)vec_at(&M.deleg, i);
		struct mgran *g = mg(pa);

		if (g->st != RMI_GRANULE_DELEGATED) {
			g->in_deleg = false;
			vec_del(&M.deleg, i);
			continue;
		}
		if (!g->reserved)
			return pa;
	}
	return 0;
}

/* Live DELEGATED granules the pool can hand out (drops stale entries). */
static size_t deleg_avail(void)
{
	size_t n = 0;

	for (size_t i = 0; i < M.deleg.n;) {
		struct mgran *g = mg(*(uint64_t *)vec_at(&M.deleg, i));
		if (g->st != RMI_GRANULE_DELEGATED) {
			g->in_deleg = false;
			vec_del(&M.deleg, i);
			continue;
		}
		n += !g->reserved;
		i++;
	}
	return n;
}

/* n distinct DELEGATED granules (0 if fewer exist); reserved while in use. */
static bool pick_delegs(uint64_t *out, unsigned n)
{
	unsigned k;

	for (k = 0; k < n; k++) {
		out[k] = pick_deleg();
		if (!out[k])
			break;
		mg(out[k])->reserved = true;
	}
	for (unsigned j = 0; j < k; j++)
		mg(out[j])->reserved = false;
	return k == n;
}

/* ---- Realm model helpers ------------------------------------------------ */

static struct mrealm *realm_of(uint64_t rd)
{
	for (unsigned r = 0; r < MAX_REALMS; r++) {
		if (M.realms[r].live && M.realms[r].rd == rd)
			return &M.realms[r];
	}
	return NULL;
}

static unsigned live_realms(void)
{
	unsigned n = 0;

	for (unsigned r = 0; r < MAX_REALMS; r++)
		n += M.realms[r].live;
	return n;
}

static struct mrealm *pick_realm(void)
{
	unsigned n = live_realms(), k;

	if (!n)
		return NULL;
	k = (unsigned)rn(n);
	for (unsigned r = 0; r < MAX_REALMS; r++) {
		if (M.realms[r].live && k-- == 0)
			return &M.realms[r];
	}
	return NULL;
}

static uint64_t par(const struct mrealm *r)
{
	return 1ULL << (r->ipa_bits - 1);
}

static struct mrec *rec_of(uint64_t pa, struct mrealm **rr)
{
	for (unsigned r = 0; r < MAX_REALMS; r++) {
		if (!M.realms[r].live)
			continue;
		for (unsigned k = 0; k < MAX_RECS; k++) {
			struct mrec *c = &M.realms[r].recs[k];
			if (c->live && c->pa == pa) {
				if (rr)
					*rr = &M.realms[r];
				return c;
			}
		}
	}
	return NULL;
}

static unsigned nrecs(const struct mrealm *r)
{
	unsigned n = 0;

	for (unsigned k = 0; k < MAX_RECS; k++)
		n += r->recs[k].live;
	return n;
}

static struct mrec *pick_rec(struct mrealm *r)
{
	unsigned n = nrecs(r), k;

	if (!n)
		return NULL;
	k = (unsigned)rn(n);
	for (unsigned i = 0; i < MAX_RECS; i++) {
		if (r->recs[i].live && k-- == 0)
			return &r->recs[i];
	}
	return NULL;
}

static struct mrec *pick_any_rec(struct mrealm **rr)
{
	struct mrealm *r = NULL;

	for (int tries = 0; tries < 8; tries++) {
		r = pick_realm();
		if (r && nrecs(r)) {
			*rr = r;
			return pick_rec(r);
		}
	}
	return NULL;
}

static struct mrtt *find_rtt(struct mrealm *r, uint64_t ipa, long level, size_t *idx)
{
	uint64_t a = ALIGN_DOWN(ipa, RTT_LEVEL_SIZE(level - 1));

	for (size_t i = 0; i < r->rtts.n; i++) {
		struct mrtt *t = vec_at(&r->rtts, i);
		if (t->level == level && t->ipa == a) {
			if (idx)
				*idx = i;
			return t;
		}
	}
	return NULL;
}

/* Deepest level with a table covering ipa (the start level always has one). */
static long deepest(struct mrealm *r, uint64_t ipa)
{
	long l = r->sl;

	while (l < RTT_PAGE_LEVEL && find_rtt(r, ipa, l + 1, NULL))
		l++;
	return l;
}

/*
 * A VMM that got ERROR_RTT creates the missing table and retries: turn c into
 * the RTT_CREATE of the next level at ipa if ipa has no level-3 table.
 */
static bool want_rtt(struct cmd *c, struct mrealm *r, uint64_t ipa)
{
	long l = deepest(r, ipa);
	uint64_t rtt;

	if (l >= RTT_PAGE_LEVEL)
		return false;
	rtt = 0;
	for (int tries = 0; tries < 64 && M.deleg.n && !rtt; tries++) {
		uint64_t pa = *(uint64_t *)vec_at(&M.deleg, rn(M.deleg.n));
		if (mstate(pa) == RMI_GRANULE_DELEGATED && !mg(pa)->reserved)
			rtt = pa;
	}
	if (!rtt)
		return false;
	c->op = OP_RTT_CREATE;
	c->fid = SMC_RMI_RTT_CREATE;
	c->a[0] = r->rd;
	c->a[1] = rtt;
	c->a[2] = ALIGN_DOWN(ipa, RTT_LEVEL_SIZE(l));
	c->a[3] = (uint64_t)(l + 1);
	c->a[4] = 0;
	return true;
}

static struct mdata *find_data(struct mrealm *r, uint64_t ipa, size_t *idx)
{
	for (size_t i = 0; i < r->data.n; i++) {
		struct mdata *d = vec_at(&r->data, i);
		if (d->ipa == ipa) {
			if (idx)
				*idx = i;
			return d;
		}
	}
	return NULL;
}

static struct mmap *find_map(struct mrealm *r, uint64_t ipa, long level, size_t *idx)
{
	for (size_t i = 0; i < r->maps.n; i++) {
		struct mmap *m = vec_at(&r->maps, i);
		if (m->ipa == ipa && m->level == level) {
			if (idx)
				*idx = i;
			return m;
		}
	}
	return NULL;
}

/* A protected IPA, granule aligned: mostly in the hot span. */
static uint64_t hot_prot_ipa(struct mrealm *r)
{
	uint64_t span = HOT_SPAN < par(r) ? HOT_SPAN : par(r);

	if (chance(90))
		return ALIGN_DOWN(rn(span), GRANULE_SIZE);
	return ALIGN_DOWN(rn(par(r)), GRANULE_SIZE);
}

static uint64_t hot_unprot_ipa(struct mrealm *r)
{
	if (chance(90))
		return par(r) + ALIGN_DOWN(rn(HOT_SPAN), GRANULE_SIZE);
	return par(r) + ALIGN_DOWN(rn(par(r)), GRANULE_SIZE);
}

static uint64_t any_ipa(struct mrealm *r)
{
	return chance(50) ? hot_prot_ipa(r) : hot_unprot_ipa(r);
}

/* ---- Hostile values ----------------------------------------------------- */

/* Any granule the model knows in state st (0 if none found quickly). */
static uint64_t known_in_state(unsigned st)
{
	for (int tries = 0; tries < 64; tries++) {
		uint64_t i = rn(M.nr);
		if (M.g[i].st == st && (st != RMI_GRANULE_NS || M.g[i].owned))
			return M.dram_base + (i << GRANULE_SHIFT);
	}
	return 0;
}

static uint64_t hostile_addr(void)
{
	uint64_t dram_end = M.dram_base + (M.nr << GRANULE_SHIFT);
	uint64_t pa;

	switch (rn(17)) {
	case 0:
		return rnd();
	case 1:
		return ~0ULL;
	case 2:
		return 0;
	case 3:
		return M.dram_base - GRANULE_SIZE;
	case 4:
		return dram_end;
	case 5:
		pa = known_in_state((unsigned)rn(M_NSTATES));
		return (pa ? pa : M.dram_base) + 1 + rn(GRANULE_SIZE - 1);
	case 6:
		return th_layout.root_base + ALIGN_DOWN(rn(th_layout.root_size), GRANULE_SIZE);
	case 7:
		return th_layout.rmm_base + ALIGN_DOWN(rn(th_layout.rmm_size), GRANULE_SIZE);
	case 8:
		pa = known_in_state(RMI_GRANULE_RD);
		break;
	case 9:
		pa = known_in_state(chance(50) ? RMI_GRANULE_REC : RMI_GRANULE_REC_AUX);
		break;
	case 10:
		pa = known_in_state(RMI_GRANULE_RTT);
		break;
	case 11:
		pa = known_in_state(RMI_GRANULE_DATA);
		break;
	case 12:
		pa = pick_deleg();
		break;
	case 13:
		pa = pick_ns();
		break;
	case 14:
		pa = known_in_state((unsigned)rn(M_NSTATES));
		return (pa ? pa : M.dram_base) | (1ULL << (48 + rn(16)));
	case 15:
		return dram_end + GRANULE_SIZE * rn(1024);
	default:
		pa = known_in_state((unsigned)rn(M_NSTATES));
		break;
	}
	return pa ? pa : rnd();
}

static uint64_t hostile_ipa(struct mrealm *r)
{
	switch (rn(8)) {
	case 0:
		return rnd();
	case 1:
		return ~0ULL;
	case 2:
		return r ? (1ULL << r->ipa_bits) : (1ULL << 48);
	case 3:
		return (r ? any_ipa(r) : 0) + 1 + rn(GRANULE_SIZE - 1);
	case 4:
		return r ? (1ULL << r->ipa_bits) - GRANULE_SIZE : 0;
	case 5:
		return r ? par(r) - GRANULE_SIZE : 0;
	case 6:
		return (r ? any_ipa(r) : 0) | (1ULL << (52 + rn(12)));
	default:
		return r ? any_ipa(r) + RTT_LEVEL_SIZE(2) * rn(3) : rnd();
	}
}

static uint64_t hostile_level(void)
{
	static const uint64_t l[] = {0, 1, 2, 3, 4, 5, ~0ULL, (uint64_t)-2, 1ULL << 32 | 3};
	return l[rn(ARRAY_SIZE(l))];
}

/* An RD: mostly a live one, sometimes hostile. */
static uint64_t some_rd(struct mrealm **rr, bool hostile)
{
	struct mrealm *r = pick_realm();

	*rr = r;
	if (!hostile && r)
		return r->rd;
	return chance(30) && r ? r->rd : hostile_addr();
}

/* ---- The native guest ------------------------------------------------------ */

static uint64_t gsmc(struct native_guest *g, uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3,
		     uint64_t a4, struct smc_regs *out)
{
	struct smc_regs r;

	memset(&r, 0, sizeof(r));
	r.x[0] = fid;
	r.x[1] = a1;
	r.x[2] = a2;
	r.x[3] = a3;
	r.x[4] = a4;
	native_guest_smc(g, &r);
	if (out)
		*out = r;
	return r.x[0];
}

/*
 * gprs[0] = buffer IPA | ipa_bits << 56 (also the CPU_ON context),
 * gprs[1] = seed, gprs[2] = RECs the realm may have.
 */
static void guest_main(struct native_guest *g, const uint64_t gprs[8])
{
	uint64_t buf = gprs[0] & GENMASK(55, 0);
	unsigned ipa_bits = (unsigned)(gprs[0] >> 56);
	uint64_t s = gprs[1] ^ (buf * 0x9E3779B97F4A7C15ULL) ^ 0x1234567ULL;
	uint64_t unprot = ipa_bits ? 1ULL << (ipa_bits - 1) : (1ULL << 39);
	uint64_t nrec = gprs[2] ? gprs[2] : REC_TARGET;
	uint64_t ctx = gprs[0];
	uint64_t chan_base = gprs[3]; /* a System Realm's channels, if any */
	struct smc_regs out;

	for (;;) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		uint64_t r = s >> 16;

		switch (s % 24) {
		case 0:
			gsmc(g, SMC_RSI_VERSION, RSI_ABI_VERSION, 0, 0, 0, NULL);
			break;
		case 1:
			gsmc(g, SMC_RSI_MEASUREMENT_READ, r % 6, 0, 0, 0, NULL);
			break;
		case 2: {
			struct smc_regs m;
			memset(&m, 0, sizeof(m));
			m.x[0] = SMC_RSI_MEASUREMENT_EXTEND;
			m.x[1] = r % 6;
			m.x[2] = (r >> 8) % 72;
			for (int i = 3; i < SMC_NR_REGS; i++)
				m.x[i] = s * (uint64_t)i;
			native_guest_smc(g, &m);
			break;
		}
		case 3:
			gsmc(g, SMC_RSI_REALM_CONFIG, (r & 1) ? buf : buf + (r % 4096), 0, 0, 0,
			     NULL);
			break;
		case 4:
			gsmc(g, SMC_RSI_IPA_STATE_GET, buf, buf + GRANULE_SIZE * (1 + r % 600), 0,
			     0, NULL);
			break;
		case 5:
		case 6: {
			/* IPA_STATE_SET: exits RIPAS_CHANGE; the host answers with RTT_SET_RIPAS.
			 */
			uint64_t base = ALIGN_DOWN(buf + GRANULE_SIZE * (r % 8), GRANULE_SIZE);
			uint64_t top = base + GRANULE_SIZE * (1 + (r >> 4) % 16);
			if ((r >> 12) % 32 == 0)
				top = base + RTT_LEVEL_SIZE(2);
			gsmc(g, SMC_RSI_IPA_STATE_SET, base, top,
			     (r >> 9) & 1 ? RIPAS_RAM : RIPAS_EMPTY,
			     (r >> 10) % 3 == 0 ? RSI_CHANGE_DESTROYED : 0, &out);
			break;
		}
		case 7:
		case 8:
		case 9: {
			/* HOST_CALL from the buffer (needs ASSIGNED RAM there). */
			struct rsi_host_call hc;
			memset(&hc, 0, sizeof(hc));
			hc.imm = (uint16_t)r;
			for (int i = 0; i < RSI_HOST_CALL_NR_GPRS; i++)
				hc.gprs[i] = r + (uint64_t)i;
			native_guest_write(g, buf, &hc, sizeof(hc));
			gsmc(g, SMC_RSI_HOST_CALL, (r % 8) ? buf : buf + 8, 0, 0, 0, NULL);
			break;
		}
		case 10:
		case 11:
			/* MMIO-ish: unprotected loads/stores (exit unless mapped). */
			if (r & 1)
				native_guest_store(
					g, unprot + GRANULE_SIZE * ((r >> 1) % 2048) + 8 * (r % 4),
					s, 1U << ((r >> 20) % 4));
			else
				(void)native_guest_load(g,
							unprot + GRANULE_SIZE * ((r >> 1) % 2048),
							1U << ((r >> 20) % 4));
			break;
		case 12:
			/* Protected memory: the buffer, or elsewhere in the hot span. */
			if (r & 1)
				native_guest_store(g, buf + 8 * (r % 512), s, 8);
			else
				(void)native_guest_load(g, ALIGN_DOWN(r % HOT_SPAN, 8), 8);
			break;
		case 13: {
			uint8_t tmp[64];
			native_guest_read(g, buf + 4096 - 32, tmp,
					  sizeof(tmp)); /* crosses a page */
			break;
		}
		case 14:
		case 15:
			gsmc(g, PSCI_CPU_ON_64, rec_idx_to_mpidr(r % (nrec + (r % 8 == 0))),
			     (r >> 8) % 8 ? GUEST_PC : r, ctx, 0, NULL);
			break;
		case 16:
			gsmc(g, PSCI_AFFINITY_INFO_64, rec_idx_to_mpidr(r % (nrec + (r % 8 == 0))),
			     (r >> 8) % 5 == 0, 0, 0, NULL);
			break;
		case 17:
			gsmc(g, PSCI_VERSION, 0, 0, 0, 0, NULL);
			gsmc(g, PSCI_FEATURES, (r & 1) ? PSCI_CPU_ON_64 : r, 0, 0, 0, NULL);
			break;
		case 18:
			if (r % 64 == 0)
				gsmc(g, PSCI_CPU_OFF, 0, 0, 0, 0, NULL);
			else if (r % 64 == 1)
				gsmc(g, (r & 128) ? PSCI_SYSTEM_OFF : PSCI_SYSTEM_RESET, 0, 0, 0, 0,
				     NULL);
			else
				gsmc(g, PSCI_CPU_SUSPEND_64, 0, 0, 0, 0, NULL);
			break;
		case 19:
			if (chan_base && (r & 3)) {
				/*
				 * A hostile System Realm: Fasco calls on its channels
				 * (and beside them) with half-plausible arguments.
				 */
				uint64_t chan = chan_base + GRANULE_SIZE * ((r >> 2) % 9);
				uint64_t va = 0x400000 + GRANULE_SIZE * ((r >> 6) % 64) +
					      (r % 3 ? 0 : r % 4096);
				uint64_t len = (r >> 12) % 3 ? (r >> 14) % 4097 : rnd();
				struct smc_regs m;
				memset(&m, 0, sizeof(m));
				m.x[0] = SMC64_FID(SMC_RB_RSI_FNUM_MIN + (r >> 20) % 10);
				m.x[1] = chan;
				m.x[2] = (r >> 24) % 2 ? va : (r >> 26) % 2 ? buf : rnd();
				m.x[3] = (r >> 27) % 2 ? buf : GRANULE_SIZE * ((r >> 28) % 64);
				m.x[4] = m.x[0] == SMC_RSI_RB_MAP ? (r >> 30) % 8 : len;
				m.x[5] = (r >> 33) % 2 ? buf : 0;
				native_guest_smc(g, &m);
				break;
			}
			/* Unknown FIDs in and around the RSI range. */
			gsmc(g, SMC64_FID(0x180 + r % 0x60), r, r, r, r, NULL);
			break;
		case 20:
			gsmc(g, SMC_RSI_IPA_STATE_GET, rnd() & ~GRANULE_MASK, ~0ULL & ~GRANULE_MASK,
			     0, 0, NULL);
			break;
		default:
			/* A plain host call to keep the host in the loop. */
			gsmc(g, SMC_RSI_HOST_CALL, buf, 0, 0, 0, NULL);
			/* The buffer may be unmapped: make sure we exit anyway. */
			(void)native_guest_load(g, unprot + (1ULL << 30) - GRANULE_SIZE, 4);
			break;
		}
	}
}

/* ---- Argument generation ------------------------------------------------- */

/* Fasco: a System Realm, a Container Realm bound to one, or (mostly) a plain realm. */
/* RB_RMI_FASCO=0: plain realms only, no channel commands. */
static bool fasco_on = true;

static void realm_kind(struct rmi_realm_params *p)
{
	struct rb_realm_params_ext ext = {RB_REALM_KIND_PLAIN, 0, 0, 0};
	struct mrealm *sys = NULL;
	unsigned n = 0;

	if (!fasco_on)
		return;

	for (unsigned r = 0; r < MAX_REALMS; r++) {
		struct mrealm *x = &M.realms[r];
		if (x->live && x->kind == RB_REALM_KIND_SYSTEM &&
		    x->state != RMI_REALM_SYSTEM_OFF && rn(++n) == 0)
			sys = x;
	}
	if (sys && chance(40)) {
		ext.kind = RB_REALM_KIND_CONTAINER;
		ext.system_rd = sys->rd;
	} else if (chance(20)) {
		ext.kind = RB_REALM_KIND_SYSTEM;
	}
	memcpy((uint8_t *)p + RB_REALM_PARAMS_EXT_OFFSET, &ext, sizeof(ext));
}

static struct rb_realm_params_ext params_ext(const struct rmi_realm_params *p)
{
	struct rb_realm_params_ext ext;

	memcpy(&ext, (const uint8_t *)p + RB_REALM_PARAMS_EXT_OFFSET, sizeof(ext));
	return ext;
}

static void realm_params(struct rmi_realm_params *p, unsigned *nroots)
{
	static const struct {
		unsigned s2sz;
		long sl;
		unsigned n;
	} cfg[] = {
		{40, 1, 2}, {39, 1, 1}, {48, 0, 1}, {36, 1, 1},
		{32, 2, 4}, {44, 0, 1}, {33, 2, 8}, {41, 1, 4},
	};
	unsigned k = (unsigned)rn(ARRAY_SIZE(cfg));

	memset(p, 0, sizeof(*p));
	p->s2sz = cfg[k].s2sz;
	p->rtt_level_start = cfg[k].sl;
	p->rtt_num_start = cfg[k].n;
	p->hash_algo = chance(80) ? RMI_HASH_SHA_256 : RMI_HASH_SHA_512;
	p->vmid = (uint16_t)(M.next_vmid++ % 60000 + 1);
	for (int i = 0; i < RMI_REALM_PARAMS_RPV_SIZE; i++)
		p->rpv[i] = (uint8_t)rnd();
	*nroots = cfg[k].n;
	realm_kind(p);
}

static void gen_realm_create(struct cmd *c)
{
	struct rmi_realm_params *p = &cmd_rp;
	unsigned n;
	uint64_t rd = pick_deleg(), params = pick_ns();

	realm_params(p, &n);
	if (n > 1 && !c->hostile) {
		/* Multi-root realms come from the plan that delegates aligned runs. */
		p->s2sz = 39;
		p->rtt_level_start = 1;
		p->rtt_num_start = n = 1;
	}
	if (rd)
		mg(rd)->reserved = true;
	p->rtt_base = pick_deleg();
	if (rd)
		mg(rd)->reserved = false;
	c->a[0] = rd;
	c->a[1] = params;
	if (c->hostile) {
		switch (rn(17)) {
		case 0:
			c->a[0] = hostile_addr();
			break;
		case 1:
			c->a[1] = hostile_addr(); /* params not NS: delegated, RD, Root... */
			break;
		case 2:
			p->rtt_base = rd; /* roots alias the RD */
			c->note = "rtt_base == rd";
			break;
		case 3:
			p->rtt_base = hostile_addr();
			break;
		case 4: {
			/* VMID of a live realm */
			struct mrealm *r = pick_realm();
			if (r) {
				p->vmid = (uint16_t)r->vmid;
				c->note = "vmid reuse";
			}
			break;
		}
		case 5:
			p->s2sz = rn(2) ? rn(64) : (rn(2) ? 31 : 49);
			break;
		case 6:
			p->rtt_num_start = rn(2) ? rn(20) : n + 1;
			break;
		case 7:
			p->rtt_level_start = rn(2) ? -1 : (int64_t)rn(6);
			break;
		case 8:
			p->flags = BIT(rn(4));
			break;
		case 9:
			p->hash_algo = (uint8_t)(2 + rn(254));
			break;
		case 10:
			p->rtt_base = (p->rtt_base ? p->rtt_base : M.dram_base) + 8 * (1 + rn(511));
			break;
		case 11:
			c->a[1] = c->a[0]; /* params == rd */
			break;
		case 12:
			p->sve_vl = 1 + rn(16);
			p->num_bps = rn(64);
			break;
		case 13: {
			/* Roots are another realm's roots */
			struct mrealm *r = pick_realm();
			if (r)
				p->rtt_base = r->rtt_base;
			break;
		}
		case 14:
			p->rtt_num_start = 16;
			p->s2sz = 43;
			p->rtt_level_start = 1;
			break;
		case 15: {
			/* Fasco: a Container Realm bound to something that is not a System Realm.
			 */
			struct rb_realm_params_ext ext = {RB_REALM_KIND_CONTAINER, 0, 0, 0};
			struct mrealm *o = pick_realm();
			switch (rn(4)) {
			case 0:
				ext.system_rd = o ? o->rd : hostile_addr();
				break;
			case 1:
				ext.system_rd = hostile_addr();
				break;
			case 2:
				ext.kind = RB_REALM_KIND_NR + rn(8); /* no such kind */
				break;
			default:
				ext.kind = RB_REALM_KIND_SYSTEM; /* a System Realm bound to one */
				ext.system_rd = o ? o->rd : M.dram_base;
				break;
			}
			memcpy((uint8_t *)p + RB_REALM_PARAMS_EXT_OFFSET, &ext, sizeof(ext));
			c->note = "fasco kind";
			break;
		}
		default:
			p->pmu_num_ctrs = 1 + rn(31);
			break;
		}
	}
	c->rp = p;
	if (good_granule_addr(c->a[1]) && mstate(c->a[1]) == RMI_GRANULE_NS && mg(c->a[1])->owned)
		assert_int_equal(host_mem_write(c->a[1], p, sizeof(*p)), 0);
}

/* Valid RmiRecParams for the next REC of r: runs guest_main with a DATA page as buffer. */
static void rec_params(struct rmi_rec_params *p, struct mrealm *r, const uint64_t *aux,
		       bool runnable, unsigned nrec_hint)
{
	uint64_t buf = 0x10000;

	memset(p, 0, sizeof(*p));
	p->flags = runnable ? RMI_REC_FLAG_RUNNABLE : 0;
	p->mpidr = rec_idx_to_mpidr(r ? r->rec_count : 0);
	p->pc = GUEST_PC;
	if (r && r->data.n)
		buf = ((struct mdata *)vec_at(&r->data, rn(r->data.n)))->ipa;
	p->gprs[0] = buf | ((uint64_t)(r ? r->ipa_bits : 0) << 56);
	p->gprs[1] = rnd();
	p->gprs[2] = nrec_hint;
	p->gprs[3] = r ? r->chan_base : 0; /* a System Realm's guest calls its channels */
	p->num_aux = AUX;
	memcpy(p->aux, aux, sizeof(uint64_t) * AUX);
}

static void gen_rec_create(struct cmd *c)
{
	struct rmi_rec_params *p = &cmd_cp;
	struct mrealm *r;
	uint64_t aux[AUX + 1];

	memset(p, 0, sizeof(*p));
	c->a[0] = some_rd(&r, c->hostile && chance(20));
	c->a[2] = pick_ns();
	if (r) {
		/* Prefer realms that can take a REC. */
		for (int t = 0; t < 4 && (r->state != RMI_REALM_NEW || nrecs(r) >= REC_TARGET);
		     t++) {
			r = pick_realm();
			c->a[0] = r->rd;
		}
	}
	if (!pick_delegs(aux, AUX + 1)) {
		c->note = "too few delegated granules";
		memset(aux, 0, sizeof(aux));
		aux[0] = hostile_addr();
	}
	c->a[1] = aux[AUX];
	rec_params(p, r, aux, chance(85), REC_TARGET);
	if (chance(5))
		p->pc = rnd();
	if (c->hostile) {
		switch (rn(12)) {
		case 0:
			c->a[1] = hostile_addr();
			break;
		case 1:
			p->aux[rn(AUX)] = p->aux[rn(AUX)];
			c->note = "aux alias";
			break;
		case 2:
			p->aux[rn(AUX)] = c->a[1];
			c->note = "aux == rec";
			break;
		case 3:
			p->aux[rn(AUX)] = c->a[0];
			c->note = "aux == rd";
			break;
		case 4:
			p->aux[rn(AUX)] = hostile_addr();
			break;
		case 5:
			p->num_aux = rn(2) ? rn(AUX) : AUX + 1 + rn(100);
			break;
		case 6:
			p->mpidr = rn(2) ? rnd()
					 : rec_idx_to_mpidr((r ? r->rec_count : 0) + 1 + rn(3));
			break;
		case 7:
			c->a[2] = hostile_addr();
			break;
		case 8:
			p->flags = rnd();
			break;
		case 9:
			c->a[1] = c->a[2]; /* the REC is the (NS) params granule */
			break;
		case 10:
			c->a[2] = c->a[1]; /* params in the delegated REC granule */
			break;
		default:
			c->a[0] = hostile_addr();
			break;
		}
	}
	c->cp = p;
	if (good_granule_addr(c->a[2]) && mstate(c->a[2]) == RMI_GRANULE_NS && mg(c->a[2])->owned)
		assert_int_equal(host_mem_write(c->a[2], p, sizeof(*p)), 0);
}

static void gen_set_ripas(struct cmd *c, struct mrec *rec, struct mrealm *r);
static void gen_psci_complete(struct cmd *c, struct mrec *rec, struct mrealm *r);
static bool waits_ripas(const struct mrec *c);

static void gen_rec_enter(struct cmd *c)
{
	struct mrealm *r;
	struct mrec *rec = pick_any_rec(&r);
	struct rmi_rec_enter enter;

	/* Prefer RECs of active realms. */
	for (int t = 0; t < 6 && rec && r->state != RMI_REALM_ACTIVE; t++)
		rec = pick_any_rec(&r);
	/* A VMM answers what the last exit asked for before it runs the REC again. */
	if (rec && !c->hostile && rec->psci_pending && chance(80)) {
		c->op = OP_PSCI_COMPLETE;
		c->fid = ops[c->op].fid;
		gen_psci_complete(c, rec, r);
		return;
	}
	if (rec && !c->hostile && waits_ripas(rec) && chance(60)) {
		c->op = OP_RTT_SET_RIPAS;
		c->fid = ops[c->op].fid;
		gen_set_ripas(c, rec, r);
		return;
	}
	memset(&enter, 0, sizeof(enter));
	if (!rec) {
		c->a[0] = hostile_addr();
		c->a[1] = pick_ns();
		c->hostile = true;
	} else {
		if (mstate(rec->run) != RMI_GRANULE_NS) {
			/* The host gave its run granule away: use a new one. */
			release(rec->run);
			rec->run = take_ns();
		}
		c->a[0] = rec->pa;
		c->a[1] = rec->run;
		if (rec->exit_valid && rec->exit_reason == RMI_EXIT_SYNC) {
			if ((rec->esr & ESR_ISS_ISV) && chance(80))
				enter.flags |= REC_ENTER_FLAG_EMUL_MMIO;
			else if (chance(40))
				enter.flags |= REC_ENTER_FLAG_INJECT_SEA;
		}
		if (rec->exit_valid && rec->exit_reason == RMI_EXIT_RIPAS_CHANGE && chance(25))
			enter.flags |= REC_ENTER_FLAG_RIPAS_RESPONSE;
		if (chance(10))
			enter.flags |= REC_ENTER_FLAG_TRAP_WFI | REC_ENTER_FLAG_TRAP_WFE;
	}
	for (int i = 0; i < RMI_REC_GPRS; i++)
		enter.gprs[i] = rnd();
	if (c->hostile) {
		switch (rn(6)) {
		case 0:
			c->a[1] = hostile_addr(); /* run granule delegated, RD, misaligned... */
			break;
		case 1:
			c->a[0] = hostile_addr();
			break;
		case 2:
			c->a[1] = c->a[0]; /* run == REC */
			break;
		default:
			enter.flags = rnd();
			break;
		}
	}
	if (good_granule_addr(c->a[1]) && mstate(c->a[1]) == RMI_GRANULE_NS && mg(c->a[1])->owned)
		assert_int_equal(host_mem_write(c->a[1], &enter, sizeof(enter)), 0);
}

static void gen_rtt_create(struct cmd *c)
{
	struct mrealm *r;
	uint64_t ipa;
	long level;

	c->a[0] = some_rd(&r, c->hostile && chance(20));
	c->a[1] = pick_deleg();
	if (!c->a[1] && !c->hostile) {
		c->note = "no delegated granule";
		c->a[1] = hostile_addr();
	}
	if (!r) {
		c->a[2] = rnd();
		c->a[3] = hostile_level();
		return;
	}
	ipa = any_ipa(r);
	/* Prefer IPAs a REC faulted on (demand paging). */
	for (unsigned k = 0; k < MAX_RECS; k++) {
		struct mrec *rc = &r->recs[k];
		if (rc->live && rc->exit_valid && rc->exit_reason == RMI_EXIT_SYNC && chance(30)) {
			ipa = ALIGN_DOWN(IPA_FROM_HPFAR(rc->hpfar), GRANULE_SIZE);
			if (ipa >= (1ULL << r->ipa_bits))
				ipa = any_ipa(r);
			break;
		}
	}
	level = deepest(r, ipa) + 1;
	if (level > RTT_PAGE_LEVEL)
		level = r->sl + 1 + (long)rn((uint64_t)(RTT_PAGE_LEVEL - r->sl));
	c->a[2] = ALIGN_DOWN(ipa, RTT_LEVEL_SIZE(level - 1));
	c->a[3] = (uint64_t)level;
	if (c->hostile) {
		switch (rn(7)) {
		case 0:
			c->a[3] = hostile_level();
			break;
		case 1:
			c->a[2] = hostile_ipa(r);
			break;
		case 2:
			c->a[1] = hostile_addr();
			break;
		case 3:
			c->a[1] = c->a[0]; /* rtt == rd */
			break;
		case 4:
			c->a[2] += GRANULE_SIZE * (1 + rn(511)); /* misaligned for the level */
			break;
		case 5:
			c->a[3] = (uint64_t)r->sl; /* a root level */
			break;
		default:
			c->a[1] = r->rtt_base; /* a root RTT */
			break;
		}
	}
}

static struct mrtt *pick_rtt(struct mrealm *r)
{
	return r && r->rtts.n ? vec_at(&r->rtts, rn(r->rtts.n)) : NULL;
}

static void gen_rtt_destroy_fold(struct cmd *c)
{
	struct mrealm *r;
	struct mrtt *t;

	c->a[0] = some_rd(&r, c->hostile && chance(20));
	t = pick_rtt(r);
	/* Destroy: prefer deeper tables (more likely empty). */
	if (c->op == OP_RTT_DESTROY && r)
		for (int k = 0; k < 3 && t && t->level < RTT_PAGE_LEVEL; k++)
			t = pick_rtt(r);
	if (t) {
		c->a[1] = t->ipa;
		c->a[2] = (uint64_t)t->level;
	} else {
		c->a[1] = r ? any_ipa(r) : rnd();
		c->a[2] = RTT_PAGE_LEVEL;
	}
	if (c->hostile) {
		switch (rn(4)) {
		case 0:
			c->a[2] = hostile_level();
			break;
		case 1:
			c->a[1] = hostile_ipa(r);
			break;
		case 2:
			c->a[1] += GRANULE_SIZE;
			break;
		default:
			c->a[2] = r ? (uint64_t)r->sl : 0;
			break;
		}
	}
}

static uint64_t ns_desc(uint64_t oa)
{
	static const uint64_t attrs[] = {S2TT_MEMATTR_NORMAL_WB, S2TT_MEMATTR_DEVICE_NGNRE};
	static const uint64_t ap[] = {S2TT_S2AP_RW, S2TT_S2AP_RO, S2TT_S2AP_WO, S2TT_S2AP_NONE};

	return oa | attrs[rn(2)] | ap[rn(4)];
}

static void gen_map_unprotected(struct cmd *c)
{
	struct mrealm *r;
	uint64_t ipa, oa;

	c->a[0] = some_rd(&r, c->hostile && chance(20));
	if (!r) {
		c->a[1] = rnd();
		c->a[2] = 3;
		c->a[3] = rnd();
		return;
	}
	ipa = hot_unprot_ipa(r);
	/* Prefer an unprotected level-3 table that exists. */
	for (int k = 0; k < 8; k++) {
		struct mrtt *t = pick_rtt(r);
		if (t && t->level == RTT_PAGE_LEVEL && t->ipa >= par(r)) {
			ipa = t->ipa + GRANULE_SIZE * rn(RTT_ENTRIES);
			break;
		}
	}
	c->a[1] = ipa;
	c->a[2] = RTT_PAGE_LEVEL;
	/* Any OA the host likes: NS memory mostly, sometimes realm memory (GPC-protected). */
	oa = chance(80) ? pick_ns() : (rn(2) ? known_in_state(RMI_GRANULE_DATA) : pick_deleg());
	c->a[3] = ns_desc(oa ? oa : M.dram_base);
	if (chance(5)) {
		c->a[1] = ALIGN_DOWN(ipa, RTT_LEVEL_SIZE(2));
		c->a[2] = 2;
		c->a[3] = ns_desc(ALIGN_DOWN(oa ? oa : M.dram_base, RTT_LEVEL_SIZE(2)));
	}
	if (c->hostile) {
		switch (rn(7)) {
		case 0:
			c->a[3] |= BIT(rn(64)); /* a bit the host may not set */
			break;
		case 1:
			c->a[1] = hot_prot_ipa(r); /* protected IPA */
			c->note = "protected ipa";
			break;
		case 2:
			c->a[2] = hostile_level();
			break;
		case 3:
			c->a[1] = hostile_ipa(r);
			break;
		case 4:
			c->a[3] = ns_desc(rnd() & S2TT_OA_MASK) | S2TT_NS | S2TT_DESC_VALID;
			break;
		case 5:
			c->a[2] = 2;
			c->a[1] = ALIGN_DOWN(ipa, RTT_LEVEL_SIZE(2));
			c->a[3] = ns_desc(ALIGN_DOWN(oa, RTT_LEVEL_SIZE(2)) +
					  GRANULE_SIZE); /* misaligned OA */
			break;
		default:
			c->a[3] = rnd();
			break;
		}
	}
}

static void gen_unmap_unprotected(struct cmd *c)
{
	struct mrealm *r;

	c->a[0] = some_rd(&r, c->hostile && chance(20));
	if (r && r->maps.n) {
		struct mmap *m = vec_at(&r->maps, rn(r->maps.n));
		c->a[1] = m->ipa;
		c->a[2] = (uint64_t)m->level;
	} else {
		c->a[1] = r ? hot_unprot_ipa(r) : rnd();
		c->a[2] = RTT_PAGE_LEVEL;
	}
	if (c->hostile) {
		if (chance(50))
			c->a[1] = r ? (chance(50) ? hot_prot_ipa(r) : hostile_ipa(r)) : rnd();
		else
			c->a[2] = hostile_level();
	}
}

static bool in_plan_block(const struct mrealm *r, uint64_t ipa);

static void gen_data_create(struct cmd *c)
{
	struct mrealm *r;
	uint64_t ipa;

	c->a[0] = some_rd(&r, c->hostile && chance(20));
	if (r && c->op == OP_DATA_CREATE && r->state != RMI_REALM_NEW && !c->hostile) {
		for (int t = 0; t < 4 && r->state != RMI_REALM_NEW; t++)
			r = pick_realm();
		c->a[0] = r->rd;
	}
	c->a[1] = pick_deleg();
	if (!c->a[1])
		c->a[1] = hostile_addr();
	ipa = r ? hot_prot_ipa(r) : rnd();
	if (r) {
		/* Prefer a page under an existing level-3 table; or where a REC faulted. */
		for (int k = 0; k < 8; k++) {
			struct mrtt *t = pick_rtt(r);
			if (t && t->level == RTT_PAGE_LEVEL && t->ipa < par(r)) {
				ipa = t->ipa + GRANULE_SIZE * rn(RTT_ENTRIES);
				break;
			}
		}
		for (unsigned k = 0; k < MAX_RECS && c->op == OP_DATA_CREATE_UNKNOWN; k++) {
			struct mrec *rc = &r->recs[k];
			if (rc->live && rc->exit_valid && rc->exit_reason == RMI_EXIT_SYNC &&
			    IPA_FROM_HPFAR(rc->hpfar) < par(r) && chance(60)) {
				ipa = IPA_FROM_HPFAR(rc->hpfar);
				break;
			}
		}
	}
	/* Leave the block a plan is filling alone (unless hostile). */
	if (r && in_plan_block(r, ipa))
		ipa = hot_prot_ipa(r);
	c->a[2] = ipa;
	if (c->op == OP_DATA_CREATE) {
		c->a[3] = pick_ns();
		c->a[4] = rn(2) ? RMI_MEASURE_CONTENT : 0;
		if (c->a[3]) {
			uint64_t v[4] = {rnd(), rnd(), c->a[2], M.step};
			assert_int_equal(host_mem_write(c->a[3] + 8 * rn(500), v, sizeof(v)), 0);
		}
	}
	if (c->hostile) {
		switch (rn(9)) {
		case 0:
			c->a[2] = hostile_ipa(r);
			break;
		case 1:
			c->a[2] = r ? hot_unprot_ipa(r) : 0; /* unprotected IPA */
			break;
		case 2:
			c->a[1] = hostile_addr();
			break;
		case 3:
			c->a[1] = c->a[0]; /* data == rd */
			break;
		case 4:
			c->a[3] = hostile_addr(); /* src: delegated, DATA, Root, ... */
			break;
		case 5:
			c->a[4] = rnd();
			break;
		case 6:
			c->a[3] = c->a[1]; /* src == the delegated target */
			break;
		case 7:
			if (r && r->data.n) /* an IPA that is already assigned */
				c->a[2] = ((struct mdata *)vec_at(&r->data, rn(r->data.n)))->ipa;
			break;
		default:
			c->a[1] = known_in_state(RMI_GRANULE_DATA); /* another realm's DATA */
			break;
		}
	}
}

static void gen_data_destroy(struct cmd *c)
{
	struct mrealm *r;

	c->a[0] = some_rd(&r, c->hostile && chance(20));
	c->a[1] = r ? hot_prot_ipa(r) : rnd();
	/* Some DATA of the realm, not one a plan is still building a block from. */
	for (int t = 0; r && r->data.n && t < 8; t++) {
		struct mdata *d = vec_at(&r->data, rn(r->data.n));
		c->a[1] = d->ipa;
		if (!mg(d->pa)->reserved)
			break;
	}
	if (c->hostile)
		c->a[1] = chance(50) ? hostile_ipa(r) : (r ? hot_unprot_ipa(r) : rnd());
}

static void gen_init_ripas(struct cmd *c)
{
	struct mrealm *r;

	c->a[0] = some_rd(&r, c->hostile && chance(20));
	for (int t = 0; t < 6 && r && !c->hostile && r->state != RMI_REALM_NEW; t++) {
		r = pick_realm();
		c->a[0] = r->rd;
	}
	uint64_t base = r ? hot_prot_ipa(r) : rnd();
	if (r && !c->hostile && chance(50) && want_rtt(c, r, base))
		return;
	c->a[1] = base;
	c->a[2] = base + GRANULE_SIZE * (1 + rn(chance(80) ? 16 : 1024));
	if (chance(20) && r)
		c->a[1] = ALIGN_DOWN(base, RTT_LEVEL_SIZE(2)),
		c->a[2] = c->a[1] + RTT_LEVEL_SIZE(2);
	if (c->hostile) {
		switch (rn(4)) {
		case 0:
			c->a[2] = c->a[1];
			break;
		case 1:
			c->a[2] = c->a[1] - GRANULE_SIZE;
			break;
		case 2:
			c->a[1] = hostile_ipa(r);
			break;
		default:
			c->a[2] = r ? par(r) + GRANULE_SIZE : ~0ULL;
			break;
		}
	}
}

static bool waits_ripas(const struct mrec *c)
{
	return c->exit_valid && c->exit_reason == RMI_EXIT_RIPAS_CHANGE &&
	       c->ripas_next < c->ripas_top;
}

static bool waits_psci(const struct mrec *c)
{
	return c->psci_pending;
}

/* A REC for which pred holds (uniformly among all realms), or any REC, or NULL. */
static struct mrec *find_rec(bool (*pred)(const struct mrec *), struct mrealm **rr)
{
	unsigned n = 0, k;

	for (unsigned r = 0; r < MAX_REALMS; r++)
		for (unsigned i = 0; M.realms[r].live && i < MAX_RECS; i++)
			n += M.realms[r].recs[i].live && pred(&M.realms[r].recs[i]);
	if (!n)
		return pick_any_rec(rr);
	k = (unsigned)rn(n);
	for (unsigned r = 0; r < MAX_REALMS; r++)
		for (unsigned i = 0; M.realms[r].live && i < MAX_RECS; i++)
			if (M.realms[r].recs[i].live && pred(&M.realms[r].recs[i]) && k-- == 0) {
				*rr = &M.realms[r];
				return &M.realms[r].recs[i];
			}
	return NULL;
}

/* RTT_SET_RIPAS for rec (NULL: one that waits for it). */
static void gen_set_ripas(struct cmd *c, struct mrec *rec, struct mrealm *r)
{
	if (!rec)
		rec = find_rec(waits_ripas, &r);
	if (!rec) {
		c->a[0] = some_rd(&r, true);
		c->a[1] = hostile_addr();
		c->a[2] = r ? hot_prot_ipa(r) : 0;
		c->a[3] = c->a[2] + GRANULE_SIZE;
		c->hostile = true;
		return;
	}
	c->a[0] = r->rd;
	c->a[1] = rec->pa;
	c->a[2] = rec->ripas_next;
	c->a[3] = rec->ripas_top;
	if (!waits_ripas(rec)) {
		c->a[2] = hot_prot_ipa(r);
		c->a[3] = c->a[2] + GRANULE_SIZE;
		c->hostile = true;
	} else if (!c->hostile && chance(80) && want_rtt(c, r, c->a[2])) {
		return;
	}
	if (c->hostile) {
		switch (rn(5)) {
		case 0: {
			/* The RD of another realm, one with a table there if possible. */
			struct mrealm *o = pick_realm();
			for (int t = 0;
			     t < 8 && o && (o == r || deepest(o, c->a[2]) < RTT_PAGE_LEVEL); t++)
				o = pick_realm();
			c->a[0] = o ? o->rd : hostile_addr();
			break;
		}
		case 1:
			c->a[2] += GRANULE_SIZE * (1 + rn(4));
			break;
		case 2:
			c->a[3] += GRANULE_SIZE * (1 + rn(4));
			break;
		case 3:
			c->a[1] = hostile_addr();
			break;
		default:
			c->a[2] = hostile_ipa(r);
			break;
		}
	}
}

/* PSCI_COMPLETE for rec (NULL: one that waits for it). */
static void gen_psci_complete(struct cmd *c, struct mrec *rec, struct mrealm *r)
{
	if (!rec)
		rec = find_rec(waits_psci, &r);
	if (!rec) {
		c->a[0] = hostile_addr();
		c->a[1] = hostile_addr();
		c->hostile = true;
		return;
	}
	c->a[0] = rec->pa;
	c->a[1] = 0;
	if (!waits_psci(rec))
		c->hostile = true;
	uint64_t want = mpidr_to_rec_idx(rec->psci_target);
	for (unsigned k = 0; k < MAX_RECS; k++) {
		if (r->recs[k].live && r->recs[k].idx == want && r->recs[k].pa != rec->pa)
			c->a[1] = r->recs[k].pa;
	}
	if (!c->a[1]) {
		struct mrec *o = pick_rec(r);
		c->a[1] = o ? o->pa : hostile_addr();
	}
	c->a[2] = chance(85) ? PSCI_RET_SUCCESS : (chance(70) ? (uint64_t)PSCI_RET_DENIED : rnd());
	if (c->hostile) {
		switch (rn(4)) {
		case 0:
			c->a[1] = c->a[0];
			break;
		case 1: {
			struct mrealm *o;
			struct mrec *x = pick_any_rec(&o);
			c->a[1] = x ? x->pa : hostile_addr(); /* possibly another realm's REC */
			break;
		}
		case 2:
			c->a[0] = hostile_addr();
			break;
		default:
			c->a[1] = hostile_addr();
			break;
		}
	}
}

/* Fasco: a container REC (with or without a channel as `with`), or NULL. */
static bool is_container_rec(const struct mrec *c)
{
	struct mrealm *r;

	return rec_of(c->pa, &r) && r->kind == RB_REALM_KIND_CONTAINER;
}

static bool chan_less(const struct mrec *c)
{
	return is_container_rec(c) && !c->chan;
}

static bool has_chan(const struct mrec *c)
{
	return c->chan != 0;
}

static void gen_channel(struct cmd *c)
{
	struct mrealm *cr = NULL;
	struct mrec *rec = find_rec(c->op == OP_RB_CHANNEL_CREATE ? chan_less : has_chan, &cr);
	struct mrealm *sys = rec && cr ? realm_of(cr->sys_rd) : NULL;

	bool usable = rec && sys && (c->op == OP_RB_CHANNEL_CREATE ? chan_less(rec) : rec->chan);
	struct mrealm *other;

	if (c->op == OP_RB_CHANNEL_CREATE) {
		uint64_t ipa = sys && sys->chan_base ? sys->chan_base + GRANULE_SIZE * rn(8)
						     : (sys ? hot_prot_ipa(sys) : rnd());
		c->a[0] = sys ? sys->rd : some_rd(&other, true);
		c->a[1] = pick_deleg();
		c->a[2] = rec ? rec->pa : hostile_addr();
		c->a[3] = ipa;
	} else {
		c->a[0] = rec && rec->chan ? rec->chan_sys_rd : (sys ? sys->rd : hostile_addr());
		c->a[1] = rec ? rec->pa : hostile_addr();
		c->a[2] = rec && rec->chan ? rec->chan_ipa : rnd();
	}
	if (!usable)
		c->hostile = true;
	if (c->hostile) {
		struct mrealm *o;
		struct mrec *x;
		switch (rn(6)) {
		case 0: /* the RD of the container itself, or another realm */
			c->a[0] = cr && chance(50) ? cr->rd : some_rd(&o, false);
			break;
		case 1: /* a REC that is no container, or another System Realm's */
			x = pick_any_rec(&o);
			c->a[c->op == OP_RB_CHANNEL_CREATE ? 2 : 1] = x ? x->pa : hostile_addr();
			break;
		case 2: /* an IPA: unprotected, misaligned, where DATA is */
			c->a[c->op == OP_RB_CHANNEL_CREATE ? 3 : 2] =
				sys ? (chance(50) ? hot_unprot_ipa(sys) : hostile_ipa(sys)) : rnd();
			break;
		case 3:
			if (c->op == OP_RB_CHANNEL_CREATE) /* the channel granule: not delegated */
				c->a[1] = hostile_addr();
			break;
		case 4:
			if (c->op == OP_RB_CHANNEL_CREATE && sys &&
			    sys->data.n) /* over a DATA page */
				c->a[3] =
					((struct mdata *)vec_at(&sys->data, rn(sys->data.n)))->ipa;
			break;
		default:
			c->a[0] = hostile_addr();
			break;
		}
	}
}

static void gen_delegate(struct cmd *c)
{
	if (c->op == OP_DELEGATE)
		c->a[0] = c->hostile ? hostile_addr() : pick_ns();
	else
		c->a[0] = c->hostile ? hostile_addr() : pick_deleg();
	if (!c->a[0])
		c->a[0] = hostile_addr();
}

static void gen_random(struct cmd *c)
{
	static unsigned total;
	struct mrealm *r;
	unsigned w;

	if (!total)
		for (int i = 0; i < OP_NR; i++)
			total += ops[i].weight;
	memset(c, 0, sizeof(*c));
	w = (unsigned)rn(total);
	for (c->op = 0; w >= ops[c->op].weight; c->op++)
		w -= ops[c->op].weight;
	if (!fasco_on && (c->op == OP_RB_CHANNEL_CREATE || c->op == OP_RB_CHANNEL_DESTROY ||
			  c->op == OP_RB_REALM_COUNTERS))
		c->op = OP_REC_ENTER;
	/* Keep the pools in shape: a realm-starved or delegation-flooded host. */
	if (c->op == OP_REALM_DESTROY && live_realms() < 3 && chance(70))
		c->op = OP_REALM_CREATE;
	if (c->op == OP_REALM_CREATE && live_realms() >= LIVE_REALMS_TARGET &&
	    (chance(80) || live_realms() >= MAX_REALMS - 2))
		c->op = OP_REC_ENTER;
	size_t nd = deleg_avail();
	if (c->op == OP_DELEGATE && nd > 64 && chance(80))
		c->op = OP_UNDELEGATE;
	if (nd < 40 && chance(25))
		c->op = OP_DELEGATE;
	/* A realm torn down leaves hundreds of DELEGATED granules: give most back. */
	if (nd > 96 && chance(60))
		c->op = OP_UNDELEGATE;
	if (c->op == OP_REC_CREATE) {
		bool room = false;
		for (unsigned k = 0; k < MAX_REALMS; k++)
			room |= M.realms[k].live && M.realms[k].state == RMI_REALM_NEW &&
				nrecs(&M.realms[k]) < REC_TARGET;
		if (!room)
			c->op = OP_REC_ENTER;
	}
	c->hostile = chance(25);
	c->fid = ops[c->op].fid;

	switch (c->op) {
	case OP_VERSION:
		c->a[0] = chance(50) ? RMI_ABI_VERSION : rnd();
		break;
	case OP_FEATURES:
		c->a[0] = chance(50) ? 0 : rnd();
		break;
	case OP_DELEGATE:
	case OP_UNDELEGATE:
		gen_delegate(c);
		break;
	case OP_REALM_CREATE:
		gen_realm_create(c);
		break;
	case OP_REALM_ACTIVATE:
	case OP_REALM_DESTROY:
	case OP_REC_AUX_COUNT:
		c->a[0] = some_rd(&r, c->hostile);
		for (int t = 0; t < 6 && r && !c->hostile && c->op == OP_REALM_ACTIVATE &&
				(r->state != RMI_REALM_NEW || !nrecs(r));
		     t++) {
			r = pick_realm();
			c->a[0] = r->rd;
		}
		break;
	case OP_REC_CREATE:
		gen_rec_create(c);
		break;
	case OP_REC_DESTROY: {
		struct mrec *rec = pick_any_rec(&r);
		c->a[0] = rec && !c->hostile ? rec->pa : hostile_addr();
		break;
	}
	case OP_REC_ENTER:
		gen_rec_enter(c);
		break;
	case OP_PSCI_COMPLETE:
		gen_psci_complete(c, NULL, NULL);
		break;
	case OP_RTT_CREATE:
		gen_rtt_create(c);
		break;
	case OP_RTT_DESTROY:
	case OP_RTT_FOLD:
		gen_rtt_destroy_fold(c);
		break;
	case OP_RTT_READ_ENTRY:
		c->a[0] = some_rd(&r, c->hostile && chance(30));
		c->a[1] = r ? any_ipa(r) : rnd();
		if (r && r->data.n && chance(40))
			c->a[1] = ((struct mdata *)vec_at(&r->data, rn(r->data.n)))->ipa;
		c->a[2] = c->hostile ? hostile_level() : RTT_PAGE_LEVEL - rn(2);
		if (c->hostile && chance(50))
			c->a[1] = hostile_ipa(r);
		break;
	case OP_RTT_MAP_UNPROTECTED:
		gen_map_unprotected(c);
		break;
	case OP_RTT_UNMAP_UNPROTECTED:
		gen_unmap_unprotected(c);
		break;
	case OP_RTT_INIT_RIPAS:
		gen_init_ripas(c);
		break;
	case OP_RTT_SET_RIPAS:
		gen_set_ripas(c, NULL, NULL);
		break;
	case OP_DATA_CREATE:
	case OP_DATA_CREATE_UNKNOWN:
		gen_data_create(c);
		break;
	case OP_DATA_DESTROY:
		gen_data_destroy(c);
		break;
	case OP_RB_CHANNEL_CREATE:
	case OP_RB_CHANNEL_DESTROY:
		gen_channel(c);
		break;
	case OP_RB_REALM_COUNTERS:
		c->a[0] = some_rd(&r, c->hostile);
		break;
	case OP_UNKNOWN_FID: {
		/* Holes in the RMI range and beyond it, SMC32, other owners. */
		static const uint64_t holes[] = {0x156, 0x160, 0x163, 0x16A, 0x170, 0x18E,
						 0x18F, 0x190, 0x1AF, 0x1D0, 0x14F};
		c->fid = rn(4) ? SMC64_FID(holes[rn(ARRAY_SIZE(holes))])
			       : (rn(2) ? (0x84000000ULL | (0x150 + rn(0x40))) : rnd());
		for (int i = 0; i < 6; i++)
			c->a[i] = hostile_addr();
		c->hostile = true;
		break;
	}
	case OP_EL3_FID: {
		/* The RMM<->EL3 interface called from the Normal world. */
		static const uint64_t el3[] = {
			SMC_RMM_GTSI_DELEGATE,	      SMC_RMM_GTSI_UNDELEGATE,
			SMC_RMM_ATTEST_GET_REALM_KEY, SMC_RMM_GET_PLAT_TOKEN,
			SMC_RMM_EL3_FEATURES,	      SMC_RMM_BOOT_COMPLETE,
			SMC_RMM_RMI_REQ_COMPLETE};
		c->fid = el3[rn(ARRAY_SIZE(el3))];
		c->a[0] = chance(50) ? known_in_state((unsigned)rn(M_NSTATES)) : hostile_addr();
		c->a[1] = hostile_addr();
		c->hostile = true;
		break;
	}
	default:
		break;
	}
}

/* ---- Execution, oracles, model update ------------------------------------ */

/* Granule arguments of each command and the model state each must be in. */
static const struct {
	uint8_t n; /* how many */
	int8_t arg[3];
	uint8_t st[3];
} gargs[OP_NR] = {
	[OP_DELEGATE] = {1, {0, -1, -1}, {RMI_GRANULE_NS}},
	[OP_UNDELEGATE] = {1, {0, -1, -1}, {RMI_GRANULE_DELEGATED}},
	[OP_REALM_CREATE] = {2, {0, 1, -1}, {RMI_GRANULE_DELEGATED, RMI_GRANULE_NS}},
	[OP_REALM_ACTIVATE] = {1, {0, -1, -1}, {RMI_GRANULE_RD}},
	[OP_REALM_DESTROY] = {1, {0, -1, -1}, {RMI_GRANULE_RD}},
	[OP_REC_AUX_COUNT] = {1, {0, -1, -1}, {RMI_GRANULE_RD}},
	[OP_REC_CREATE] = {3, {0, 1, 2}, {RMI_GRANULE_RD, RMI_GRANULE_DELEGATED, RMI_GRANULE_NS}},
	[OP_REC_DESTROY] = {1, {0, -1, -1}, {RMI_GRANULE_REC}},
	[OP_REC_ENTER] = {2, {0, 1, -1}, {RMI_GRANULE_REC, RMI_GRANULE_NS}},
	[OP_PSCI_COMPLETE] = {2, {0, 1, -1}, {RMI_GRANULE_REC, RMI_GRANULE_REC}},
	[OP_RTT_CREATE] = {2, {0, 1, -1}, {RMI_GRANULE_RD, RMI_GRANULE_DELEGATED}},
	[OP_RTT_DESTROY] = {1, {0, -1, -1}, {RMI_GRANULE_RD}},
	[OP_RTT_FOLD] = {1, {0, -1, -1}, {RMI_GRANULE_RD}},
	[OP_RTT_READ_ENTRY] = {1, {0, -1, -1}, {RMI_GRANULE_RD}},
	[OP_RTT_MAP_UNPROTECTED] = {1, {0, -1, -1}, {RMI_GRANULE_RD}},
	[OP_RTT_UNMAP_UNPROTECTED] = {1, {0, -1, -1}, {RMI_GRANULE_RD}},
	[OP_RTT_INIT_RIPAS] = {1, {0, -1, -1}, {RMI_GRANULE_RD}},
	[OP_RTT_SET_RIPAS] = {2, {0, 1, -1}, {RMI_GRANULE_RD, RMI_GRANULE_REC}},
	[OP_DATA_CREATE] = {3, {0, 1, 3}, {RMI_GRANULE_RD, RMI_GRANULE_DELEGATED, RMI_GRANULE_NS}},
	[OP_DATA_CREATE_UNKNOWN] = {2, {0, 1, -1}, {RMI_GRANULE_RD, RMI_GRANULE_DELEGATED}},
	[OP_DATA_DESTROY] = {1, {0, -1, -1}, {RMI_GRANULE_RD}},
	[OP_RB_CHANNEL_CREATE] = {3,
				  {0, 1, 2},
				  {RMI_GRANULE_RD, RMI_GRANULE_DELEGATED, RMI_GRANULE_REC}},
	[OP_RB_CHANNEL_DESTROY] = {2, {0, 1, -1}, {RMI_GRANULE_RD, RMI_GRANULE_REC}},
	[OP_RB_REALM_COUNTERS] = {1, {0, -1, -1}, {RMI_GRANULE_RD}},
};

static const char *sname(unsigned s)
{
	static const char *const n[] = {"NS",	   "DELEGATED", "RD",  "REC",
					"REC_AUX", "DATA",	"RTT", "CHANNEL"};
	return s < ARRAY_SIZE(n) ? n[s] : "?";
}

/* Fasco: Container Realms bound to rd, and channels mapped in it. */
static unsigned bound_to(uint64_t rd)
{
	unsigned n = 0;

	for (unsigned r = 0; r < MAX_REALMS; r++)
		n += M.realms[r].live && M.realms[r].kind == RB_REALM_KIND_CONTAINER &&
		     M.realms[r].sys_rd == rd;
	return n;
}

static unsigned channels_in(uint64_t rd)
{
	unsigned n = 0;

	for (unsigned r = 0; r < MAX_REALMS; r++)
		for (unsigned k = 0; M.realms[r].live && k < MAX_RECS; k++)
			n += M.realms[r].recs[k].live && M.realms[r].recs[k].chan &&
			     M.realms[r].recs[k].chan_sys_rd == rd;
	return n;
}

/* Level rule of RTT_CREATE/DESTROY/FOLD: (start, 3], ipa aligned to the parent's entry. */
static bool rtt_args_ok(const struct mrealm *r, uint64_t ipa, uint64_t level)
{
	return level <= RTT_PAGE_LEVEL && (int64_t)level > r->sl &&
	       IS_ALIGNED(ipa, RTT_LEVEL_SIZE(level - 1)) && ipa < (1ULL << r->ipa_bits);
}

/*
 * What the spec makes certain: a reason this call must not succeed, or NULL.
 * Evaluated on the model before the call.
 */
static const char *must_fail(const struct cmd *c)
{
	struct mrealm *r = NULL;
	const struct rmi_realm_params *p = c->rp;
	const struct rmi_rec_params *q = c->cp;

	if (c->op == OP_UNKNOWN_FID || c->op == OP_EL3_FID)
		return "an FID the Normal world may not call";
	for (int k = 0; k < gargs[c->op].n; k++) {
		int a = gargs[c->op].arg[k];
		uint64_t pa = c->a[a];
		if (!good_granule_addr(pa))
			return "a granule argument that is not a granule of the NS region";
		if (mstate(pa) != gargs[c->op].st[k])
			return "a granule argument in the wrong state";
	}
	if (gargs[c->op].n && gargs[c->op].st[0] == RMI_GRANULE_RD)
		r = realm_of(c->a[0]);
	switch (c->op) {
	case OP_REALM_CREATE: {
		if (!p)
			break;
		if (c->a[0] == c->a[1])
			return "params == rd";
		for (uint64_t k = 0; k < p->rtt_num_start && k < 32; k++) {
			uint64_t rt = p->rtt_base + k * GRANULE_SIZE;
			if (rt == c->a[0])
				return "a root RTT aliases the RD";
			if (!good_granule_addr(rt) || mstate(rt) != RMI_GRANULE_DELEGATED)
				return "a root RTT that is not DELEGATED";
		}
		for (unsigned k = 0; k < MAX_REALMS; k++) {
			if (M.realms[k].live && M.realms[k].vmid == p->vmid)
				return "a VMID in use";
		}
		if (p->s2sz < 32 || p->s2sz > 48 || p->rtt_level_start < 0 ||
		    p->rtt_level_start > 3 || p->rtt_num_start < 1 || p->rtt_num_start > 16 ||
		    p->hash_algo > 1)
			return "params out of range";
		struct rb_realm_params_ext ext = params_ext(p);
		if (ext.kind >= RB_REALM_KIND_NR)
			return "no such realm kind";
		if (ext.kind != RB_REALM_KIND_CONTAINER && ext.system_rd)
			return "a realm that is not a container bound to a System Realm";
		if (ext.kind == RB_REALM_KIND_CONTAINER) {
			struct mrealm *sys = realm_of(ext.system_rd);
			if (!sys || sys->kind != RB_REALM_KIND_SYSTEM ||
			    sys->state == RMI_REALM_SYSTEM_OFF)
				return "a Container Realm bound to no live System Realm";
		}
		break;
	}
	case OP_REC_CREATE:
		if (!q)
			break;
		if (c->a[1] == c->a[2])
			return "rec == params";
		if (q->num_aux != AUX)
			return "num_aux != REC_AUX_COUNT";
		if (r && mpidr_to_rec_idx(q->mpidr) != r->rec_count)
			return "MPIDR not the next REC index";
		if (r && r->state != RMI_REALM_NEW)
			return "realm not NEW";
		if (r && r->kind == RB_REALM_KIND_CONTAINER && r->rec_count >= CONTAINER_MAX_RECS)
			return "more RECs in a Container Realm than Fasco allows";
		for (unsigned i = 0; i < AUX; i++) {
			if (q->aux[i] == c->a[0] || q->aux[i] == c->a[1])
				return "aux aliases the RD or the REC";
			if (!good_granule_addr(q->aux[i]) ||
			    mstate(q->aux[i]) != RMI_GRANULE_DELEGATED)
				return "an aux granule that is not DELEGATED";
			for (unsigned j = 0; j < i; j++)
				if (q->aux[j] == q->aux[i])
					return "two aux granules alias";
		}
		break;
	case OP_REALM_ACTIVATE:
		if (r && r->state != RMI_REALM_NEW)
			return "realm not NEW";
		break;
	case OP_REALM_DESTROY:
		if (r && (bound_to(r->rd) || channels_in(r->rd)))
			return "a System Realm with containers or channels";
		break;
	case OP_REC_DESTROY: {
		struct mrec *rec = rec_of(c->a[0], NULL);
		if (rec && rec->chan)
			return "a container REC that still has a channel";
		break;
	}
	case OP_RB_CHANNEL_CREATE:
	case OP_RB_CHANNEL_DESTROY: {
		struct mrealm *cr = NULL;
		struct mrec *rec = rec_of(c->op == OP_RB_CHANNEL_CREATE ? c->a[2] : c->a[1], &cr);
		uint64_t ipa = c->op == OP_RB_CHANNEL_CREATE ? c->a[3] : c->a[2];
		if (r && r->kind != RB_REALM_KIND_SYSTEM)
			return "a channel in a realm that is not a System Realm";
		if (rec && (cr->kind != RB_REALM_KIND_CONTAINER || cr->sys_rd != c->a[0]))
			return "a REC that is not a container of this System Realm";
		if (r && (!IS_ALIGNED(ipa, GRANULE_SIZE) || ipa >= par(r)))
			return "a channel IPA misaligned or not protected";
		if (c->op == OP_RB_CHANNEL_CREATE && rec && rec->chan)
			return "a container REC that has a channel";
		if (c->op == OP_RB_CHANNEL_DESTROY && rec &&
		    (!rec->chan || rec->chan_ipa != ipa || rec->chan_sys_rd != c->a[0]))
			return "a channel the REC does not have there";
		break;
	}
	case OP_REC_ENTER: {
		struct mrealm *rr;
		if (rec_of(c->a[0], &rr) && rr->state == RMI_REALM_NEW)
			return "realm NEW";
		break;
	}
	case OP_PSCI_COMPLETE: {
		struct mrealm *r0 = NULL, *r1 = NULL;
		if (c->a[0] == c->a[1])
			return "calling == target";
		if (rec_of(c->a[0], &r0) && rec_of(c->a[1], &r1) && r0 != r1)
			return "RECs of two realms";
		break;
	}
	case OP_RTT_CREATE:
	case OP_RTT_DESTROY:
	case OP_RTT_FOLD: {
		uint64_t ipa = c->op == OP_RTT_CREATE ? c->a[2] : c->a[1];
		uint64_t level = c->op == OP_RTT_CREATE ? c->a[3] : c->a[2];
		if (r && !rtt_args_ok(r, ipa, level))
			return "RTT level/IPA out of range or misaligned";
		if (c->op == OP_RTT_CREATE && c->a[0] == c->a[1])
			return "rtt == rd";
		break;
	}
	case OP_RTT_MAP_UNPROTECTED:
	case OP_RTT_UNMAP_UNPROTECTED:
		if (!r)
			break;
		if (c->a[2] < RTT_MIN_BLOCK_LEVEL || c->a[2] > RTT_PAGE_LEVEL)
			return "level not 2 or 3";
		if (!IS_ALIGNED(c->a[1], RTT_LEVEL_SIZE(c->a[2])))
			return "IPA misaligned for the level";
		if (c->a[1] < par(r) || c->a[1] >= (1ULL << r->ipa_bits))
			return "IPA not in the unprotected half";
		if (c->op == OP_RTT_MAP_UNPROTECTED &&
		    ((c->a[3] & ~S2TT_NS_HOST_ATTR_MASK) != 0 ||
		     !IS_ALIGNED(c->a[3] & S2TT_OA_MASK, RTT_LEVEL_SIZE(c->a[2]))))
			return "desc has bits the host may not set, or a misaligned OA";
		break;
	case OP_DATA_CREATE:
	case OP_DATA_CREATE_UNKNOWN:
	case OP_DATA_DESTROY: {
		uint64_t ipa = c->op == OP_DATA_DESTROY ? c->a[1] : c->a[2];
		if (r && (!IS_ALIGNED(ipa, GRANULE_SIZE) || ipa >= par(r)))
			return "IPA misaligned or not protected";
		if (c->op == OP_DATA_CREATE && r && r->state != RMI_REALM_NEW)
			return "DATA_CREATE in a realm that is not NEW";
		if (c->op == OP_DATA_CREATE && (c->a[4] & ~RMI_MEASURE_CONTENT))
			return "undefined flags";
		if (c->op != OP_DATA_DESTROY && r && find_data(r, ipa, NULL))
			return "IPA already has DATA";
		break;
	}
	case OP_RTT_INIT_RIPAS:
		if (r && (c->a[2] <= c->a[1] || !IS_ALIGNED(c->a[1], GRANULE_SIZE) ||
			  !IS_ALIGNED(c->a[2], GRANULE_SIZE) || c->a[2] > par(r)))
			return "bad RIPAS range";
		if (r && r->state != RMI_REALM_NEW)
			return "realm not NEW";
		break;
	case OP_RTT_SET_RIPAS: {
		struct mrealm *rr = NULL;
		if (rec_of(c->a[1], &rr) && rr != r)
			return "the REC of another realm";
		break;
	}
	default:
		break;
	}
	return NULL;
}

static void model_new_rec(struct mrealm *r, const struct cmd *c)
{
	struct mrec *rec = NULL;

	for (unsigned k = 0; k < MAX_RECS; k++) {
		if (!r->recs[k].live) {
			rec = &r->recs[k];
			break;
		}
	}
	if (!rec)
		failf("REC_CREATE succeeded but the model has no room (more than %d RECs)",
		      MAX_RECS);
	memset(rec, 0, sizeof(*rec));
	rec->live = true;
	rec->pa = c->a[1];
	rec->idx = mpidr_to_rec_idx(c->cp->mpidr);
	memcpy(rec->aux, c->cp->aux, sizeof(rec->aux));
	rec->run = take_ns();
	set_state(c->a[1], RMI_GRANULE_REC);
	for (unsigned i = 0; i < AUX; i++)
		set_state(rec->aux[i], RMI_GRANULE_REC_AUX);
	r->rec_count++;
}

static void model_rtt_created(struct mrealm *r, uint64_t pa, uint64_t ipa, long level)
{
	struct mrtt *t = vec_push(&r->rtts);
	size_t i;

	t->pa = pa;
	t->ipa = ALIGN_DOWN(ipa, RTT_LEVEL_SIZE(level - 1));
	t->level = level;
	set_state(pa, RMI_GRANULE_RTT);
	/* Splitting an NS block: 512 page mappings. */
	struct mmap *m = find_map(r, t->ipa, level - 1, &i);
	if (m) {
		uint64_t desc = m->desc;
		vec_del(&r->maps, i);
		for (unsigned k = 0; k < RTT_ENTRIES; k++) {
			struct mmap *n = vec_push(&r->maps);
			n->ipa = t->ipa + k * RTT_LEVEL_SIZE(level);
			n->level = level;
			n->desc = desc + k * RTT_LEVEL_SIZE(level);
		}
	}
}

static void model_rtt_gone(struct mrealm *r, const struct cmd *c, bool fold)
{
	uint64_t ipa = c->a[1];
	long level = (long)c->a[2];
	size_t i;
	struct mrtt *t = find_rtt(r, ipa, level, &i);

	if (!t)
		failf("%s succeeded for a table the model does not know (IPA %#" PRIx64 " L%ld)",
		      ops[c->op].name, ipa, level);
	if (t->pa != c->out[0])
		failf("%s returned RTT %#" PRIx64 ", the model has %#" PRIx64, ops[c->op].name,
		      c->out[0], t->pa);
	for (size_t k = 0; k < r->rtts.n; k++) {
		struct mrtt *u = vec_at(&r->rtts, k);
		if (u->level > level && ALIGN_DOWN(u->ipa, RTT_LEVEL_SIZE(level - 1)) == t->ipa)
			failf("%s of IPA %#" PRIx64 " L%ld succeeded with a child table at L%ld",
			      ops[c->op].name, ipa, level, u->level);
	}
	uint64_t pa = t->pa;
	vec_del(&r->rtts, i);
	set_state(pa, RMI_GRANULE_DELEGATED);
	if (!fold) {
		/* A destroyed table must have had no mappings and no DATA. */
		for (size_t k = 0; k < r->data.n; k++) {
			struct mdata *d = vec_at(&r->data, k);
			if (ALIGN_DOWN(d->ipa, RTT_LEVEL_SIZE(level - 1)) ==
			    ALIGN_DOWN(ipa, RTT_LEVEL_SIZE(level - 1)))
				failf("RTT_DESTROY succeeded on a table with DATA at %#" PRIx64,
				      d->ipa);
		}
		return;
	}
	/* Folding 512 NS pages: one block. */
	uint64_t base = ALIGN_DOWN(ipa, RTT_LEVEL_SIZE(level - 1));
	unsigned n = 0;
	uint64_t desc0 = 0;
	struct mmap *m0 = find_map(r, base, level, NULL);
	if (m0)
		desc0 = m0->desc;
	for (size_t k = 0; k < r->maps.n;) {
		struct mmap *m = vec_at(&r->maps, k);
		if (m->level == level && ALIGN_DOWN(m->ipa, RTT_LEVEL_SIZE(level - 1)) == base) {
			/* A block maps contiguous OAs with one set of attributes. */
			if (m->desc != desc0 + (m->ipa - base))
				failf("RTT_FOLD folded NS mapping %#" PRIx64 " -> %#" PRIx64
				      " that is not contiguous with %#" PRIx64 " -> %#" PRIx64,
				      m->ipa, m->desc, base, desc0);
			n++;
			vec_del(&r->maps, k);
		} else {
			k++;
		}
	}
	if (n != 0 && n != RTT_ENTRIES)
		failf("RTT_FOLD succeeded on a table with %u of 512 NS mappings", n);
	unsigned nd = 0;
	struct mdata *d0 = find_data(r, base, NULL);
	for (size_t k = 0; k < r->data.n; k++) {
		struct mdata *d = vec_at(&r->data, k);
		if (ALIGN_DOWN(d->ipa, RTT_LEVEL_SIZE(level - 1)) != base)
			continue;
		nd++;
		if (!d0 || d->pa != d0->pa + (d->ipa - base) ||
		    !IS_ALIGNED(d0->pa, RTT_LEVEL_SIZE(level - 1)))
			failf("RTT_FOLD folded DATA %#" PRIx64 " at IPA %#" PRIx64
			      " into a block it is not part of",
			      d->pa, d->ipa);
	}
	if (nd != 0 && (nd != RTT_ENTRIES || level != RTT_PAGE_LEVEL))
		failf("RTT_FOLD of L%ld at %#" PRIx64 " succeeded over %u DATA granules", level,
		      base, nd);
	if (n) {
		struct mmap *m = vec_push(&r->maps);
		m->ipa = base;
		m->level = level - 1;
		m->desc = desc0;
	}
}

static void model_realm_destroyed(struct mrealm *r)
{
	if (nrecs(r) || r->rtts.n || r->data.n || r->maps.n)
		failf("REALM_DESTROY succeeded with %u RECs, %zu RTTs, %zu DATA, %zu mappings",
		      nrecs(r), r->rtts.n, r->data.n, r->maps.n);
	set_state(r->rd, RMI_GRANULE_DELEGATED);
	for (unsigned k = 0; k < r->nroots; k++)
		set_state(r->rtt_base + k * GRANULE_SIZE, RMI_GRANULE_DELEGATED);
	free(r->rtts.v);
	free(r->data.v);
	free(r->maps.v);
	memset(r, 0, sizeof(*r));
}

/* Exit checks: no realm register leaks beyond what the exit reason shows. */
static void check_exit(struct mrealm *r, struct mrec *rec, const struct rmi_rec_exit *x)
{
	unsigned allowed = 0;

	switch (x->exit_reason) {
	case RMI_EXIT_HOST_CALL:
		allowed = RMI_REC_GPRS;
		break;
	case RMI_EXIT_PSCI:
		allowed = 4;
		break;
	case RMI_EXIT_SYNC:
		allowed = (x->esr & ESR_ISS_ISV) && (x->esr & ESR_ISS_WNR) ? 1 : 0;
		break;
	case RMI_EXIT_RB_EXITED:
		allowed = 1; /* the container's exit status */
		break;
	default:
		allowed = 0; /* RMI_EXIT_RB_FORWARD shows nothing */
		break;
	}
	if (x->exit_reason >= RMI_EXIT_REALMBOX_BASE && r->kind != RB_REALM_KIND_CONTAINER)
		failf("REC of a realm of kind %" PRIu64 " exits with reason %#" PRIx64, r->kind,
		      x->exit_reason);
	for (unsigned i = allowed; i < RMI_REC_GPRS; i++) {
		if (x->gprs[i])
			failf("REC exit %" PRIu64 " shows realm x%u = %#" PRIx64, x->exit_reason, i,
			      x->gprs[i]);
	}
	if ((x->exit_reason > RMI_EXIT_SERROR && x->exit_reason < RMI_EXIT_REALMBOX_BASE) ||
	    x->exit_reason > RMI_EXIT_RB_EXITED)
		failf("REC exit reason %" PRIu64, x->exit_reason);
	rec->exit_valid = true;
	rec->exit_reason = x->exit_reason;
	rec->esr = x->esr;
	rec->hpfar = x->hpfar;
	rec->psci_pending = false;
	if (x->exit_reason == RMI_EXIT_RIPAS_CHANGE) {
		rec->ripas_next = x->ripas_base;
		rec->ripas_top = x->ripas_top;
	}
	if (x->exit_reason == RMI_EXIT_PSCI) {
		uint64_t fid = (uint32_t)x->gprs[0];
		rec->psci_fid = fid;
		rec->psci_target = x->gprs[1];
		rec->psci_pending =
			fid == (uint32_t)PSCI_CPU_ON_64 || fid == (uint32_t)PSCI_AFFINITY_INFO_64;
		if (fid == PSCI_SYSTEM_OFF || fid == PSCI_SYSTEM_RESET)
			r->state = RMI_REALM_SYSTEM_OFF;
	}
}

static void model_success(struct cmd *c)
{
	struct mrealm *r = NULL;
	struct mrec *rec;
	size_t i;

	if (gargs[c->op].n && gargs[c->op].st[0] == RMI_GRANULE_RD) {
		r = realm_of(c->a[0]);
		if (!r)
			failf("%s succeeded on %#" PRIx64 ", not an RD of the model",
			      ops[c->op].name, c->a[0]);
	}
	switch (c->op) {
	case OP_DELEGATE:
		set_state(c->a[0], RMI_GRANULE_DELEGATED);
		break;
	case OP_UNDELEGATE:
		set_state(c->a[0], RMI_GRANULE_NS);
		break;
	case OP_REALM_CREATE: {
		struct mrealm *n = NULL;
		for (unsigned k = 0; k < MAX_REALMS && !n; k++)
			if (!M.realms[k].live)
				n = &M.realms[k];
		if (!n)
			failf("REALM_CREATE succeeded but the model holds %d realms", MAX_REALMS);
		memset(n, 0, sizeof(*n));
		n->live = true;
		n->rd = c->a[0];
		n->ipa_bits = (unsigned)c->rp->s2sz;
		n->sl = (long)c->rp->rtt_level_start;
		n->nroots = (unsigned)c->rp->rtt_num_start;
		n->rtt_base = c->rp->rtt_base;
		n->vmid = c->rp->vmid;
		n->state = RMI_REALM_NEW;
		n->kind = params_ext(c->rp).kind;
		n->sys_rd = params_ext(c->rp).system_rd;
		n->rtts = (struct vec)VEC(struct mrtt);
		n->data = (struct vec)VEC(struct mdata);
		n->maps = (struct vec)VEC(struct mmap);
		set_state(c->a[0], RMI_GRANULE_RD);
		for (unsigned k = 0; k < n->nroots; k++)
			set_state(n->rtt_base + k * GRANULE_SIZE, RMI_GRANULE_RTT);
		break;
	}
	case OP_REALM_ACTIVATE:
		r->state = RMI_REALM_ACTIVE;
		break;
	case OP_REALM_DESTROY:
		model_realm_destroyed(r);
		break;
	case OP_REC_AUX_COUNT:
		if (c->out[0] != AUX)
			failf("REC_AUX_COUNT says %" PRIu64, c->out[0]);
		break;
	case OP_REC_CREATE:
		model_new_rec(r, c);
		break;
	case OP_REC_DESTROY:
		rec = rec_of(c->a[0], &r);
		if (!rec)
			failf("REC_DESTROY succeeded on %#" PRIx64 ", not a REC of the model",
			      c->a[0]);
		set_state(rec->pa, RMI_GRANULE_DELEGATED);
		for (unsigned k = 0; k < AUX; k++)
			set_state(rec->aux[k], RMI_GRANULE_DELEGATED);
		release(rec->run);
		memset(rec, 0, sizeof(*rec));
		break;
	case OP_REC_ENTER: {
		struct rmi_rec_exit x;
		rec = rec_of(c->a[0], &r);
		if (!rec)
			failf("REC_ENTER succeeded on %#" PRIx64 ", not a REC of the model",
			      c->a[0]);
		assert_int_equal(
			host_mem_read(c->a[1] + offsetof(struct rmi_rec_run, exit), &x, sizeof(x)),
			0);
		c->out[0] = x.exit_reason;
		M.exits[x.exit_reason <= RMI_EXIT_SERROR ? x.exit_reason : 7]++;
		c->out[1] = x.esr;
		c->out[2] = x.hpfar;
		check_exit(r, rec, &x);
		break;
	}
	case OP_PSCI_COMPLETE:
		rec = rec_of(c->a[0], &r);
		if (rec)
			rec->psci_pending = false;
		break;
	case OP_RTT_CREATE:
		model_rtt_created(r, c->a[1], c->a[2], (long)c->a[3]);
		break;
	case OP_RTT_DESTROY:
		model_rtt_gone(r, c, false);
		break;
	case OP_RTT_FOLD:
		model_rtt_gone(r, c, true);
		break;
	case OP_RTT_READ_ENTRY: {
		/*
		 * Where the model is sure: the walk stops where the model's tables end; a
		 * DATA page under a level-3 table reads ASSIGNED to it; a table entry
		 * names the model's RTT; an unprotected mapping reads back as given.
		 */
		uint64_t ipa = c->a[1], level = c->a[2], wl = c->out[0];
		long deep = deepest(r, ipa);
		long expect = deep < (long)level ? deep : (long)level;
		if (!find_map(r, ALIGN_DOWN(ipa, RTT_LEVEL_SIZE(RTT_MIN_BLOCK_LEVEL)),
			      RTT_MIN_BLOCK_LEVEL, NULL) &&
		    !(deep == RTT_MIN_BLOCK_LEVEL && level == RTT_PAGE_LEVEL) && (long)wl != expect)
			failf("RTT_READ_ENTRY at %#" PRIx64 " L%" PRIu64 " walked to L%" PRIu64
			      ", the model's tables reach L%ld",
			      ipa, level, wl, deep);
		struct mdata *d = find_data(r, ipa, NULL);
		if (d && wl == RTT_PAGE_LEVEL &&
		    (c->out[1] != RMI_RTT_ASSIGNED || c->out[2] != d->pa))
			failf("RTT_READ_ENTRY of DATA %#" PRIx64 " at %#" PRIx64
			      " says state %" PRIu64 " desc %#" PRIx64,
			      d->pa, d->ipa, c->out[1], c->out[2]);
		struct mrtt *t = wl < RTT_PAGE_LEVEL ? find_rtt(r, ipa, (long)wl + 1, NULL) : NULL;
		if (t && IS_ALIGNED(ipa, RTT_LEVEL_SIZE(wl)) &&
		    (c->out[1] != RMI_RTT_TABLE || c->out[2] != t->pa))
			failf("RTT_READ_ENTRY at %#" PRIx64 " L%" PRIu64 " says state %" PRIu64
			      " desc %#" PRIx64 ", the model has RTT %#" PRIx64,
			      ipa, wl, c->out[1], c->out[2], t->pa);
		struct mmap *m = find_map(r, ipa, (long)wl, NULL);
		if (m && (c->out[1] != RMI_RTT_ASSIGNED || c->out[2] != m->desc))
			failf("RTT_READ_ENTRY of the NS mapping at %#" PRIx64 " says state %" PRIu64
			      " desc %#" PRIx64 ", mapped with %#" PRIx64,
			      ipa, c->out[1], c->out[2], m->desc);
		break;
	}
	case OP_RTT_MAP_UNPROTECTED: {
		struct mmap *m = vec_push(&r->maps);
		m->ipa = c->a[1];
		m->level = (long)c->a[2];
		m->desc = c->a[3];
		break;
	}
	case OP_RTT_UNMAP_UNPROTECTED:
		if (!find_map(r, c->a[1], (long)c->a[2], &i))
			failf("RTT_UNMAP_UNPROTECTED succeeded where the model has no mapping");
		vec_del(&r->maps, i);
		break;
	case OP_RTT_SET_RIPAS:
		rec = rec_of(c->a[1], NULL);
		if (rec) {
			if (c->out[0] <= c->a[2] || c->out[0] > c->a[3])
				failf("RTT_SET_RIPAS top %#" PRIx64 " outside (%#" PRIx64
				      ", %#" PRIx64 "]",
				      c->out[0], c->a[2], c->a[3]);
			rec->ripas_next = c->out[0];
		}
		break;
	case OP_RB_CHANNEL_CREATE:
		rec = rec_of(c->a[2], NULL);
		if (!rec)
			failf("RB_CHANNEL_CREATE succeeded for %#" PRIx64
			      ", not a REC of the model",
			      c->a[2]);
		rec->chan = c->a[1];
		rec->chan_sys_rd = c->a[0];
		rec->chan_ipa = c->a[3];
		set_state(c->a[1], M_CHANNEL);
		break;
	case OP_RB_CHANNEL_DESTROY:
		rec = rec_of(c->a[1], NULL);
		if (!rec || !rec->chan)
			failf("RB_CHANNEL_DESTROY succeeded for %#" PRIx64 ", which has no channel",
			      c->a[1]);
		if (c->out[0] != rec->chan)
			failf("RB_CHANNEL_DESTROY returned %#" PRIx64 ", the channel is %#" PRIx64,
			      c->out[0], rec->chan);
		set_state(rec->chan, RMI_GRANULE_DELEGATED);
		rec->chan = 0;
		break;
	case OP_DATA_CREATE:
	case OP_DATA_CREATE_UNKNOWN: {
		struct mdata *d = vec_push(&r->data);
		d->pa = c->a[1];
		d->ipa = c->a[2];
		set_state(c->a[1], RMI_GRANULE_DATA);
		break;
	}
	case OP_DATA_DESTROY: {
		struct mdata *d = find_data(r, c->a[1], &i);
		if (!d)
			failf("DATA_DESTROY succeeded at %#" PRIx64 " where the model has no DATA",
			      c->a[1]);
		if (d->pa != c->out[0])
			failf("DATA_DESTROY returned %#" PRIx64 ", the model has %#" PRIx64,
			      c->out[0], d->pa);
		uint64_t pa = d->pa;
		vec_del(&r->data, i);
		set_state(pa, RMI_GRANULE_DELEGATED);
		break;
	}
	default:
		break;
	}
}

static void model_failure(struct cmd *c)
{
	struct mrealm *r;
	struct mrec *rec;

	switch (c->op) {
	case OP_REC_ENTER:
		rec = rec_of(c->a[0], &r);
		if (rec && RMI_STATUS_CODE(c->ret) == RMI_ERROR_REALM &&
		    RMI_STATUS_INDEX(c->ret) == 1)
			r->state = RMI_REALM_SYSTEM_OFF;
		break;
	case OP_RTT_SET_RIPAS:
		/* The REC may have moved on; forget the request if the RMM refuses it. */
		rec = rec_of(c->a[1], NULL);
		if (rec && !c->hostile && RMI_STATUS_CODE(c->ret) == RMI_ERROR_INPUT)
			rec->exit_valid = false;
		break;
	default:
		break;
	}
}

/* Every granule: the RMM's state equals the model's. */
static void check_model_states(void)
{
	const struct granule *ga = granule_at(0);

	for (uint64_t i = 0; i < M.nr; i++) {
		unsigned s = ga[i].state;
		if (s != M.g[i].st)
			failf("granule %#" PRIx64
			      " is %s for the RMM, %s for the model (a failed call "
			      "changed it, or a success made the wrong transition)",
			      M.dram_base + (i << GRANULE_SHIFT), sname(s), sname(M.g[i].st));
	}
}

static void exec(struct cmd *c)
{
	struct smc_regs res;
	const char *certain;
	unsigned h;

	if (!c->fid)
		c->fid = ops[c->op].fid;
	certain = must_fail(c);
	memset(&res, 0, sizeof(res));
	in_flight = c;
	alarm(step_timeout);
	c->ret = host_rmi(c->fid, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5], &res);
	alarm(0);
	in_flight = NULL;
	for (int k = 0; k < 4; k++)
		c->out[k] = res.x[1 + k];
	h = M.hist_n++ % HIST;
	M.hist[h] = *c;
	M.hist_step[h] = M.step;
	M.calls[c->op]++;
	M.status[c->op][RMI_STATUS_CODE(c->ret) < 5 && c->ret != SMC_UNKNOWN
				? RMI_STATUS_CODE(c->ret)
				: 5]++;

	if (c->op == OP_UNKNOWN_FID || c->op == OP_EL3_FID) {
		if (c->ret != SMC_UNKNOWN)
			failf("FID %#" PRIx64 " from the Normal world returned %#" PRIx64
			      ", not SMC_UNKNOWN",
			      c->fid, c->ret);
		return;
	}
	if (c->ret == RMI_SUCCESS) {
		M.ok[c->op]++;
		if (certain)
			failf("%s succeeded with %s", ops[c->op].name, certain);
		model_success(c);
	} else {
		if (RMI_STATUS_CODE(c->ret) > RMI_ERROR_RTT || c->ret == SMC_UNKNOWN)
			failf("%s returned %#" PRIx64 ", not an RMI status", ops[c->op].name,
			      c->ret);
		model_failure(c);
	}
	if (c->op == OP_VERSION && c->ret == RMI_SUCCESS &&
	    (c->out[0] != RMI_ABI_VERSION || c->out[1] != RMI_ABI_VERSION))
		failf("VERSION says lower %#" PRIx64 " higher %#" PRIx64, c->out[0], c->out[1]);
}

/* RB_RMI_TRACE=OPNAME prints every non-hostile call of that command (tuning aid). */
static void trace(const struct cmd *c)
{
	static const char *want;
	static bool init;

	if (!init) {
		want = getenv("RB_RMI_TRACE");
		init = true;
	}
	if (want && !c->hostile && strcmp(want, ops[c->op].name) == 0)
		print_cmd(c, M.step);
}

static void check_step(void)
{
	if (inv_check(M.why, sizeof(M.why)) != 0)
		failf("inv_check: %s", M.why);
	check_model_states();
}

static void run_cmd(struct cmd *c)
{
	exec(c);
	trace(c);
	check_step();
	M.step++;
}

/* ---- Plans ------------------------------------------------------------------ */

enum plan_kind { PLAN_NONE, PLAN_BUILD, PLAN_DATA_BLOCK, PLAN_NS_BLOCK, PLAN_TEARDOWN };

static struct plan {
	enum plan_kind kind;
	struct mrealm *r;
	uint64_t rd; /* P.r->rd when the plan started (the slot may be reused) */
	uint64_t ipa, base, nroots;
	unsigned i, phase, nrec;
	unsigned variant; /* DATA/NS block: 0 foldable, else a fold that must fail */
	bool delegated_i; /* PLAN_DATA_BLOCK: granule i was just delegated */
	struct rmi_realm_params rp;
} P;

static void plan_end(void)
{
	if ((P.kind == PLAN_BUILD || P.kind == PLAN_DATA_BLOCK || P.kind == PLAN_NS_BLOCK) &&
	    P.base) {
		unsigned n = P.kind == PLAN_BUILD ? (unsigned)P.nroots : BLOCK_GRANULES;
		for (unsigned k = 0; k < n; k++)
			release(P.base + k * GRANULE_SIZE);
	}
	memset(&P, 0, sizeof(P));
}

/* PLAN_BUILD: the roots now belong to the realm; stop holding them. */
static void plan_end_keep_realm(void)
{
	for (unsigned k = 0; k < P.nroots; k++)
		release(P.base + k * GRANULE_SIZE);
	P.base = 0;
}

/*
 * 2 MiB-aligned blocks for the fold plans, allocated at the start (DRAM
 * fragments soon after): a block is free again when all its granules are NS.
 */
#define NBLOCKS 6
static uint64_t blocks[NBLOCKS];

static void blocks_init(void)
{
	for (unsigned b = 0; b < NBLOCKS; b++) {
		blocks[b] = host_granules_alloc(BLOCK_GRANULES, RTT_LEVEL_SIZE(2));
		assert_true(blocks[b] != 0);
		for (unsigned k = 0; k < BLOCK_GRANULES; k++) {
			struct mgran *g = mg(blocks[b] + k * GRANULE_SIZE);
			g->owned = true;
			g->block = true;
		}
	}
}

/* A free block, reserved for the plan; 0 if none. */
static uint64_t block_take(void)
{
	unsigned first = (unsigned)rn(NBLOCKS);

	for (unsigned n = 0; n < NBLOCKS; n++) {
		uint64_t base = blocks[(first + n) % NBLOCKS];
		bool free_block = true;

		for (unsigned k = 0; k < BLOCK_GRANULES && free_block; k++) {
			struct mgran *g = mg(base + k * GRANULE_SIZE);
			free_block = g->st == RMI_GRANULE_NS && !g->reserved;
		}
		if (!free_block)
			continue;
		for (unsigned k = 0; k < BLOCK_GRANULES; k++)
			mg(base + k * GRANULE_SIZE)->reserved = true;
		return base;
	}
	return 0;
}

/* Reserve n contiguous owned NS granules aligned to `align`; 0 if none. */
static uint64_t plan_alloc(unsigned n, uint64_t align)
{
	uint64_t pa = host_granules_alloc(n, align);

	if (!pa)
		return 0;
	for (unsigned k = 0; k < n; k++) {
		struct mgran *g = mg(pa + k * GRANULE_SIZE);
		g->owned = true;
		g->reserved = true;
	}
	return pa;
}

/* Next command to build the RTT path to level 3 at ipa; false if it exists. */
static bool plan_rtt_path(struct cmd *c, struct mrealm *r, uint64_t ipa)
{
	long l = deepest(r, ipa);

	if (l >= RTT_PAGE_LEVEL)
		return false;
	c->op = OP_RTT_CREATE;
	c->a[0] = r->rd;
	c->a[1] = pick_deleg();
	if (!c->a[1]) {
		c->op = OP_DELEGATE;
		c->a[0] = pick_ns();
		return true;
	}
	c->a[2] = ALIGN_DOWN(ipa, RTT_LEVEL_SIZE(l));
	c->a[3] = (uint64_t)(l + 1);
	return true;
}

/* The next command of a whole-realm teardown; false when nothing is left. */
static bool teardown_next(struct cmd *c, struct mrealm *r)
{
	/* Fasco: a System Realm goes after its Container Realms. */
	for (unsigned k = 0; k < MAX_REALMS && r->kind == RB_REALM_KIND_SYSTEM; k++) {
		struct mrealm *x = &M.realms[k];
		if (x->live && x->kind == RB_REALM_KIND_CONTAINER && x->sys_rd == r->rd)
			return teardown_next(c, x);
	}
	c->a[0] = r->rd;
	for (unsigned k = 0; k < MAX_RECS; k++) {
		struct mrec *rec = &r->recs[k];
		if (rec->live && rec->chan) {
			/* A container REC gives its channel back first. */
			c->op = OP_RB_CHANNEL_DESTROY;
			c->a[0] = rec->chan_sys_rd;
			c->a[1] = rec->pa;
			c->a[2] = rec->chan_ipa;
			return true;
		}
		if (rec->live) {
			c->op = OP_REC_DESTROY;
			c->a[0] = rec->pa;
			return true;
		}
	}
	if (r->data.n) {
		struct mdata *d = vec_at(&r->data, r->data.n - 1);
		/* Folded into a block: split it first. */
		if (deepest(r, d->ipa) < RTT_PAGE_LEVEL)
			return plan_rtt_path(c, r, d->ipa);
		c->op = OP_DATA_DESTROY;
		c->a[1] = d->ipa;
		return true;
	}
	if (r->maps.n) {
		struct mmap *m = vec_at(&r->maps, r->maps.n - 1);
		c->op = OP_RTT_UNMAP_UNPROTECTED;
		c->a[1] = m->ipa;
		c->a[2] = (uint64_t)m->level;
		return true;
	}
	if (r->rtts.n) {
		/* Deepest first. */
		struct mrtt *best = vec_at(&r->rtts, 0);
		for (size_t k = 1; k < r->rtts.n; k++) {
			struct mrtt *t = vec_at(&r->rtts, k);
			if (t->level > best->level)
				best = t;
		}
		c->op = OP_RTT_DESTROY;
		c->a[1] = best->ipa;
		c->a[2] = (uint64_t)best->level;
		return true;
	}
	if (r->live) {
		c->op = OP_REALM_DESTROY;
		return true;
	}
	return false;
}

/* Is ipa inside the 2 MiB block the running fold plan is building in r? */
static bool in_plan_block(const struct mrealm *r, uint64_t ipa)
{
	return (P.kind == PLAN_DATA_BLOCK || P.kind == PLAN_NS_BLOCK) && P.r == r &&
	       ALIGN_DOWN(ipa, RTT_LEVEL_SIZE(2)) == P.ipa;
}

static bool realm_alive(const struct mrealm *r)
{
	return r && r->live && r->rd == P.rd;
}

/* Fill c with the plan's next command; false if the plan is over. */
static bool plan_next(struct cmd *c)
{
	memset(c, 0, sizeof(*c));
	c->plan = true;
	switch (P.kind) {
	case PLAN_BUILD:
		/* A realm as a VMM builds one: roots, RD, RTTs, RIPAS, DATA, RECs, ACTIVATE. */
		if (P.phase == 0) {
			if (P.i < P.nroots) {
				c->op = OP_DELEGATE;
				c->a[0] = P.base + P.i++ * GRANULE_SIZE;
				return true;
			}
			P.phase = 1;
		}
		if (P.phase == 1) {
			uint64_t rd = pick_deleg(), params = pick_ns();
			if (live_realms() >= MAX_REALMS - 2 || !params)
				return false;
			if (!rd) {
				c->op = OP_DELEGATE;
				c->a[0] = params;
				return true;
			}
			c->op = OP_REALM_CREATE;
			c->a[0] = rd;
			c->a[1] = params;
			cmd_rp = P.rp;
			cmd_rp.vmid = (uint16_t)(M.next_vmid++ % 60000 + 1);
			c->rp = &cmd_rp;
			assert_int_equal(host_mem_write(params, c->rp, sizeof(*c->rp)), 0);
			P.rd = rd;
			P.phase = 2;
			return true;
		}
		if (P.phase == 2) {
			/* Did REALM_CREATE work? The roots are the realm's now. */
			P.r = realm_of(P.rd);
			if (!P.r)
				return false;
			plan_end_keep_realm();
			P.ipa = 0x100000ULL * (1 + rn(6));
			P.phase = 3;
		}
		if (!realm_alive(P.r))
			return false;
		if (P.phase == 3) {
			if (plan_rtt_path(c, P.r, P.ipa))
				return true;
			P.phase = 4;
			c->op = OP_RTT_INIT_RIPAS;
			c->a[0] = P.r->rd;
			c->a[1] = P.ipa;
			c->a[2] = P.ipa + 16 * GRANULE_SIZE;
			return true;
		}
		if (P.phase == 4) {
			/* Four measured DATA pages: the guests' buffers. */
			while (P.i < 4 + P.nroots) {
				uint64_t ipa = P.ipa + (P.i - P.nroots) * GRANULE_SIZE;
				uint64_t data = pick_deleg(), src = pick_ns();
				if (find_data(P.r, ipa, NULL)) {
					P.i++;
					continue;
				}
				if (!data) {
					c->op = OP_DELEGATE;
					c->a[0] = src;
					return true;
				}
				P.i++;
				c->op = OP_DATA_CREATE;
				c->a[0] = P.r->rd;
				c->a[1] = data;
				c->a[2] = ipa;
				c->a[3] = src;
				c->a[4] = RMI_MEASURE_CONTENT;
				return true;
			}
			P.phase = 5;
			P.i = 0;
			P.nrec = P.r->kind == RB_REALM_KIND_CONTAINER ? 1 : 1 + (unsigned)rn(4);
			/* A System Realm's channels go in the RIPAS RAM pages after its DATA. */
			if (P.r->kind == RB_REALM_KIND_SYSTEM)
				P.r->chan_base = P.ipa + 8 * GRANULE_SIZE;
		}
		if (P.phase == 5) {
			if (P.i < P.nrec && P.r->state == RMI_REALM_NEW) {
				uint64_t aux[AUX + 1];
				uint64_t params = pick_ns();
				if (!pick_delegs(aux, AUX + 1)) {
					c->op = OP_DELEGATE;
					c->a[0] = params;
					return true;
				}
				P.i++;
				c->op = OP_REC_CREATE;
				c->a[0] = P.r->rd;
				c->a[1] = aux[AUX];
				c->a[2] = params;
				rec_params(&cmd_cp, P.r, aux, P.i == 1 || chance(50), P.nrec);
				c->cp = &cmd_cp;
				assert_int_equal(host_mem_write(params, c->cp, sizeof(*c->cp)), 0);
				return true;
			}
			P.phase = 6;
			if (chance(85)) {
				c->op = OP_REALM_ACTIVATE;
				c->a[0] = P.r->rd;
				return true;
			}
		}
		if (P.phase == 6 && P.r->kind == RB_REALM_KIND_CONTAINER) {
			/* Its forwarding channel in the System Realm. */
			struct mrealm *sys = realm_of(P.r->sys_rd);
			struct mrec *rec = NULL;
			P.phase = 7;
			for (unsigned k = 0; k < MAX_RECS && !rec; k++)
				if (P.r->recs[k].live && !P.r->recs[k].chan)
					rec = &P.r->recs[k];
			if (sys && sys->chan_base && rec && pick_deleg()) {
				c->op = OP_RB_CHANNEL_CREATE;
				c->a[0] = sys->rd;
				c->a[1] = pick_deleg();
				c->a[2] = rec->pa;
				c->a[3] = sys->chan_base +
					  GRANULE_SIZE * channels_in(sys->rd) % (8 * GRANULE_SIZE);
				return true;
			}
		}
		return false;
	case PLAN_DATA_BLOCK:
		if (!realm_alive(P.r))
			return false;
		if (P.phase == 0) {
			if (plan_rtt_path(c, P.r, P.ipa))
				return true;
			P.base = block_take();
			if (!P.base)
				return false;
			P.phase = 1;
			P.i = 0;
		}
		if (P.phase == 1) {
			P.phase = 2;
			P.i = 0;
			if (P.r->state == RMI_REALM_NEW) {
				c->op = OP_RTT_INIT_RIPAS;
				c->a[0] = P.r->rd;
				c->a[1] = P.ipa;
				c->a[2] = P.ipa + RTT_LEVEL_SIZE(2);
				return true;
			}
		}
		if (P.phase == 2) {
			while (P.i < BLOCK_GRANULES) {
				uint64_t pa = P.base + P.i * GRANULE_SIZE;
				uint64_t ipa = P.ipa + P.i * GRANULE_SIZE;
				/*
				 * Variants whose fold must fail: pages 1 and 2 swapped, or the
				 * last page backed by a granule from outside the block.
				 */
				if (P.variant == 1 &&
				    (P.i == 1 || P.i == 2)) /* the first stays aligned */
					pa = P.base + (3 - P.i) * GRANULE_SIZE;
				if (P.variant == 2 && P.i == BLOCK_GRANULES - 1) {
					pa = pick_deleg();
					if (!pa) {
						c->op = OP_DELEGATE;
						c->a[0] = pick_ns();
						return true;
					}
					P.delegated_i = true;
				}
				/* Delegate each granule just before it becomes DATA. */
				if (mstate(pa) == RMI_GRANULE_NS && !P.delegated_i) {
					P.delegated_i = true;
					c->op = OP_DELEGATE;
					c->a[0] = pa;
					return true;
				}
				P.delegated_i = false;
				P.i++;
				if (mstate(pa) != RMI_GRANULE_DELEGATED ||
				    find_data(P.r, ipa, NULL))
					continue;
				c->a[0] = P.r->rd;
				c->a[1] = pa;
				c->a[2] = ipa;
				if (P.r->state == RMI_REALM_NEW) {
					c->op = OP_DATA_CREATE;
					c->a[3] = pick_ns();
					c->a[4] = P.i % 2;
				} else {
					c->op = OP_DATA_CREATE_UNKNOWN;
				}
				return true;
			}
			P.phase = 3;
			c->op = OP_RTT_FOLD;
			c->a[0] = P.r->rd;
			c->a[1] = P.ipa;
			c->a[2] = RTT_PAGE_LEVEL;
			return true;
		}
		if (P.phase == 3) {
			/* The fold just tried: a foldable block folds, a variant never does. */
			M.block_folds[P.variant][deepest(P.r, P.ipa) == RTT_MIN_BLOCK_LEVEL]++;
			P.phase = 4;
			if (chance(50) && deepest(P.r, P.ipa) == RTT_MIN_BLOCK_LEVEL)
				return plan_rtt_path(c, P.r, P.ipa); /* split the block again */
		}
		return false;
	case PLAN_NS_BLOCK:
		if (!realm_alive(P.r))
			return false;
		if (P.phase == 0) {
			if (plan_rtt_path(c, P.r, P.ipa))
				return true;
			P.base = block_take();
			if (!P.base)
				return false;
			P.phase = 1;
			P.i = 0;
		}
		if (P.phase == 1) {
			while (P.i < BLOCK_GRANULES) {
				uint64_t ipa = P.ipa + P.i * GRANULE_SIZE;
				uint64_t oa = P.base + P.i * GRANULE_SIZE;
				P.i++;
				if (find_map(P.r, ipa, RTT_PAGE_LEVEL, NULL))
					continue;
				c->op = OP_RTT_MAP_UNPROTECTED;
				c->a[0] = P.r->rd;
				c->a[1] = ipa;
				c->a[2] = RTT_PAGE_LEVEL;
				c->a[3] = oa | S2TT_MEMATTR_NORMAL_WB | S2TT_S2AP_RW;
				/* Variants whose fold must fail: one page read-only, or one OA out
				 * of line. */
				if (P.variant == 1 && P.i == 300)
					c->a[3] = oa | S2TT_MEMATTR_NORMAL_WB | S2TT_S2AP_RO;
				if (P.variant == 2 && P.i == 1)
					c->a[3] = (oa + GRANULE_SIZE) | S2TT_MEMATTR_NORMAL_WB |
						  S2TT_S2AP_RW;
				return true;
			}
			P.phase = 2;
			c->op = OP_RTT_FOLD;
			c->a[0] = P.r->rd;
			c->a[1] = P.ipa;
			c->a[2] = RTT_PAGE_LEVEL;
			return true;
		}
		if (P.phase == 2) {
			P.phase = 3;
			if (find_map(P.r, P.ipa, RTT_MIN_BLOCK_LEVEL, NULL)) {
				if (chance(50))
					return plan_rtt_path(c, P.r, P.ipa); /* split */
				c->op = OP_RTT_UNMAP_UNPROTECTED;
				c->a[0] = P.r->rd;
				c->a[1] = P.ipa;
				c->a[2] = RTT_MIN_BLOCK_LEVEL;
				return true;
			}
		}
		return false;
	case PLAN_TEARDOWN:
		if (!realm_alive(P.r))
			return false;
		/* Give the scrubbed granules back as they come. */
		if (deleg_avail() > 64) {
			c->op = OP_UNDELEGATE;
			c->a[0] = pick_deleg();
			return true;
		}
		return teardown_next(c, P.r);
	default:
		return false;
	}
}

static void plan_start(void)
{
	struct mrealm *r;

	memset(&P, 0, sizeof(P));
	unsigned pick = (unsigned)rn(16);

	/* 6/16 build a realm, 2/16 fold DATA, 1/16 fold NS pages, 7/16 tear one down. */
	if (pick < 6)
		pick = 0;
	else if (pick < 8)
		pick = 3;
	else if (pick == 8)
		pick = 4;
	else
		pick = 5;
	/* Keep a few realms alive: tear down only when there are enough. */
	if (pick == 5 && live_realms() < LIVE_REALMS_TARGET - 1)
		pick = 0;
	switch (pick) {
	case 0: {
		unsigned n;
		if (live_realms() >= LIVE_REALMS_TARGET + 1)
			break;
		realm_params(&P.rp, &n);
		P.nroots = n;
		P.base = plan_alloc(n, n * GRANULE_SIZE);
		if (!P.base)
			break;
		P.rp.rtt_base = P.base;
		P.kind = PLAN_BUILD;
		break;
	}
	case 3:
		r = pick_realm();
		if (!r)
			break;
		P.r = r;
		/* A fresh block of its own, beside the hot span the single calls use. */
		P.ipa = 0;
		for (unsigned n = 0, first = (unsigned)rn(8); n < 8 && !P.ipa; n++) {
			uint64_t ipa = BLOCK_AREA + RTT_LEVEL_SIZE(2) * ((first + n) % 8);
			bool used = deepest(r, ipa) == RTT_PAGE_LEVEL;
			for (size_t k = 0; k < r->data.n && !used; k++)
				used = ALIGN_DOWN(((struct mdata *)vec_at(&r->data, k))->ipa,
						  RTT_LEVEL_SIZE(2)) == ipa;
			if (!used)
				P.ipa = ipa;
		}
		if (!P.ipa)
			P.ipa = ALIGN_DOWN(hot_prot_ipa(r),
					   RTT_LEVEL_SIZE(2)); /* all taken: anywhere */
		if (P.ipa + RTT_LEVEL_SIZE(2) > par(r))
			break;
		P.kind = PLAN_DATA_BLOCK;
		P.variant = chance(50) ? 0 : 1 + (unsigned)rn(2);
		break;
	case 4:
		r = pick_realm();
		if (!r)
			break;
		P.r = r;
		P.ipa = chance(75) ? par(r) + BLOCK_AREA + RTT_LEVEL_SIZE(2) * rn(8)
				   : ALIGN_DOWN(hot_unprot_ipa(r), RTT_LEVEL_SIZE(2));
		P.kind = PLAN_NS_BLOCK;
		P.variant = chance(50) ? 0 : 1 + (unsigned)rn(2);
		break;
	default:
		P.r = pick_realm();
		if (P.r)
			P.kind = PLAN_TEARDOWN;
		break;
	}
	M.plans[P.kind]++;
	if (P.kind == PLAN_NONE)
		plan_end();
	else if (P.r)
		P.rd = P.r->rd;
}

/* ---- The test ----------------------------------------------------------------- */

static uint64_t env_u64(const char *name, uint64_t def)
{
	const char *s = getenv(name);

	return s && *s ? strtoull(s, NULL, 0) : def;
}

static void teardown_everything(void)
{
	struct cmd c;

	for (unsigned k = 0; k < MAX_REALMS; k++) {
		struct mrealm *r = &M.realms[k];
		while (r->live && teardown_next(&c, r)) {
			c.plan = true;
			c.fid = 0;
			exec(&c);
			if (c.ret != RMI_SUCCESS)
				failf("teardown: %s failed", ops[c.op].name);
			check_step();
			M.step++;
			/* Undelegate what the realm gave back as it comes. */
			while (deleg_avail() > 32) {
				memset(&c, 0, sizeof(c));
				c.op = OP_UNDELEGATE;
				c.a[0] = pick_deleg();
				c.plan = true;
				exec(&c);
				if (c.ret != RMI_SUCCESS)
					failf("teardown: UNDELEGATE %#" PRIx64 " failed", c.a[0]);
				check_step();
				M.step++;
			}
		}
	}
	/* Undelegate everything, give every NS granule back. */
	for (uint64_t i = 0; i < M.nr; i++) {
		uint64_t pa = M.dram_base + (i << GRANULE_SHIFT);
		if (M.g[i].st == RMI_GRANULE_DELEGATED) {
			memset(&c, 0, sizeof(c));
			c.op = OP_UNDELEGATE;
			c.a[0] = pa;
			c.plan = true;
			exec(&c);
			if (c.ret != RMI_SUCCESS)
				failf("teardown: UNDELEGATE %#" PRIx64 " failed", pa);
		}
		if (M.g[i].st != RMI_GRANULE_NS)
			failf("teardown: granule %#" PRIx64 " still %s", pa, sname(M.g[i].st));
		if (M.g[i].owned) {
			host_granule_free(pa);
			M.g[i].owned = false;
		}
	}
	check_step();
	for (uint64_t i = 0; i < granule_count(); i++) {
		if (granule_get_state(granule_at(i)) != GRANULE_STATE_NS)
			failf("after teardown granule %#" PRIx64 " is not NS",
			      M.dram_base + (i << GRANULE_SHIFT));
	}
	if (host_granules_in_use() != M.in_use_start)
		failf("host granules in use %" PRIu64 ", %" PRIu64 " at the start",
		      host_granules_in_use(), M.in_use_start);
}

static void test_random_rmi(void **state)
{
	uint64_t steps = env_u64("RB_RMI_STEPS", DEFAULT_STEPS);
	struct timespec t0, t1;
	uint64_t total_ok = 0;
	struct inv_stats st;
	uint64_t max_rtt_entries = 0, max_depth = 0, max_non_ns = 0;
	uint64_t sum_deleg = 0, sum_rtt_entries = 0, samples = 0;

	(void)state;
	seed = env_u64("RB_RMI_SEED", DEFAULT_SEED);
	step_timeout = (unsigned)env_u64("RB_RMI_STEP_TIMEOUT", 30);
	fasco_on = env_u64("RB_RMI_FASCO", 1) != 0;
	signal(SIGALRM, watchdog);
	/* Hostile calls make the RMM warn by design (e.g. REC_ENTER at a pc with no code). */
	setenv("REALMBOX_LOG", "error", 0);
	rng_state = seed;
	clock_gettime(CLOCK_MONOTONIC, &t0);

	th_boot(DRAM);
	inv_reset();
	memset(&M, 0, sizeof(M));
	M.dram_base = plat_dram_base();
	M.nr = granule_count();
	M.g = calloc(M.nr, sizeof(*M.g));
	assert_non_null(M.g);
	M.ns = (struct vec)VEC(uint64_t);
	M.deleg = (struct vec)VEC(uint64_t);
	M.next_vmid = 1 + rn(1000);
	M.in_use_start = host_granules_in_use();
	blocks_init();
	memset(&P, 0, sizeof(P));
	assert_int_equal(plat_native_guest_register(GUEST_PC, guest_main), 0);
	check_step();

	while (M.step < steps) {
		struct cmd c;

		if (P.kind == PLAN_NONE && rn(40) == 0)
			plan_start();
		if (P.kind != PLAN_NONE && chance(75)) {
			if (plan_next(&c)) {
				run_cmd(&c);
				continue;
			}
			plan_end();
		}
		gen_random(&c);
		run_cmd(&c);
		if (M.step % 64 == 0) {
			inv_get_stats(&st);
			if (st.rtt_entries > max_rtt_entries)
				max_rtt_entries = st.rtt_entries;
			if (st.max_depth > max_depth)
				max_depth = st.max_depth;
			if (st.non_ns > max_non_ns)
				max_non_ns = st.non_ns;
			sum_deleg += st.per_state[GRANULE_STATE_DELEGATED];
			sum_rtt_entries += st.rtt_entries;
			samples++;
		}
	}
	plan_end();
	uint64_t main_steps = M.step;
	teardown_everything();
	plat_native_guest_unregister(GUEST_PC);

	clock_gettime(CLOCK_MONOTONIC, &t1);
	for (int i = 0; i < OP_NR; i++)
		total_ok += M.ok[i];
	printf("random RMI: %" PRIu64 " steps (+%" PRIu64 " teardown), seed %#" PRIx64 ", %" PRIu64
	       " successful calls, %.1f s\n",
	       main_steps, M.step - main_steps, seed, total_ok,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	printf("  per command (successful/calls):");
	for (int i = 0; i < OP_NR; i++)
		printf("%s %s %" PRIu64 "/%" PRIu64, i % 4 ? "," : "\n   ", ops[i].name, M.ok[i],
		       M.calls[i]);
	printf("\n  deepest RTT level %" PRIu64 ", most RTT entries walked in one check %" PRIu64
	       ", most non-NS granules %" PRIu64 "\n",
	       max_depth, max_rtt_entries, max_non_ns);
	if (getenv("RB_RMI_VERBOSE")) {
		for (int i = 0; i < OP_NR; i++)
			printf("  %-22s ok %" PRIu64 " input %" PRIu64 " realm %" PRIu64
			       " rec %" PRIu64 " rtt %" PRIu64 " other %" PRIu64 "\n",
			       ops[i].name, M.status[i][0], M.status[i][1], M.status[i][2],
			       M.status[i][3], M.status[i][4], M.status[i][5]);
		printf("  plans: build %" PRIu64 ", DATA block %" PRIu64 ", NS block %" PRIu64
		       ", teardown %" PRIu64 " (%" PRIu64 " could not start)\n",
		       M.plans[1], M.plans[2], M.plans[3], M.plans[4], M.plans[0]);
		printf("  DATA block folds: contiguous %" PRIu64 "/%" PRIu64 ", swapped %" PRIu64
		       "/%" PRIu64 ", foreign page %" PRIu64 "/%" PRIu64 " (folded/tried)\n",
		       M.block_folds[0][1], M.block_folds[0][0] + M.block_folds[0][1],
		       M.block_folds[1][1], M.block_folds[1][0] + M.block_folds[1][1],
		       M.block_folds[2][1], M.block_folds[2][0] + M.block_folds[2][1]);
		printf("  exits: sync %" PRIu64 " irq %" PRIu64 " fiq %" PRIu64 " psci %" PRIu64
		       " ripas %" PRIu64 " host_call %" PRIu64 " serror %" PRIu64 " other %" PRIu64
		       "\n",
		       M.exits[0], M.exits[1], M.exits[2], M.exits[3], M.exits[4], M.exits[5],
		       M.exits[6], M.exits[7]);
	}
	inv_get_stats(&st);
	printf("  on average per check: %" PRIu64 " DELEGATED granules, %" PRIu64
	       " RTT entries; %" PRIu64 " tables decoded afresh in %" PRIu64 " checks\n",
	       samples ? sum_deleg / samples : 0, samples ? sum_rtt_entries / samples : 0,
	       st.rtt_decoded, st.checks);

	for (unsigned k = 0; k < MAX_REALMS; k++) {
		free(M.realms[k].rtts.v);
		free(M.realms[k].data.v);
		free(M.realms[k].maps.v);
	}
	free(M.ns.v);
	free(M.deleg.v);
	free(M.g);
	th_shutdown();
	inv_reset();
}


/* ---- A System Realm makes its read-only channel writable through RIPAS changes -- */

#define CHAN_PC 0x7000ULL
#define CHAN_IPA 0x300000ULL

static void chan_guest(struct native_guest *g, const uint64_t gprs[8])
{
	(void)gprs;
	/* EMPTY, then RAM again: each exits RIPAS_CHANGE and the host agrees. */
	gsmc(g, SMC_RSI_IPA_STATE_SET, CHAN_IPA, CHAN_IPA + GRANULE_SIZE, RIPAS_EMPTY, 0, NULL);
	gsmc(g, SMC_RSI_IPA_STATE_SET, CHAN_IPA, CHAN_IPA + GRANULE_SIZE, RIPAS_RAM, 0, NULL);
	native_guest_store(g, CHAN_IPA + 0x100, 0x4141414141414141ULL, 8);
	for (;;)
		gsmc(g, PSCI_SYSTEM_OFF, 0, 0, 0, 0, NULL);
}

static void kind_params(struct rmi_realm_params *p, unsigned vmid, uint64_t kind, uint64_t sys_rd)
{
	struct rb_realm_params_ext ext = {kind, sys_rd, 0, 0};

	th_default_params(p, vmid);
	memcpy((uint8_t *)p + RB_REALM_PARAMS_EXT_OFFSET, &ext, sizeof(ext));
}

/*
 * A Fasco channel is mapped read-only into its System Realm. RTT_SET_RIPAS
 * answering the System Realm's own IPA_STATE_SET must not change that: not
 * make it invalid (EMPTY), and above all not re-create it as an ordinary
 * writable RAM page (RAM again), after which the realm writes the CHANNEL
 * granule. (Found by the random sequence, seed 43, on fb2925f; the fix in
 * ripas.c stops RIPAS changes at a channel.)
 */
static void test_channel_ripas(void **state)
{
	struct rmi_realm_params p;
	struct th_realm sys, cont;
	uint64_t crec, srec, chan, run, word = 0;
	struct rmi_rec_exit x;
	struct smc_regs res;
	int broken = 0;

	(void)state;
	setenv("REALMBOX_LOG", "error", 0);
	th_boot(DRAM);
	inv_reset();
	assert_int_equal(plat_native_guest_register(CHAN_PC, chan_guest), 0);
	kind_params(&p, 700, RB_REALM_KIND_SYSTEM, 0);
	assert_int_equal(th_realm_create(&sys, &p), RMI_SUCCESS);
	kind_params(&p, 701, RB_REALM_KIND_CONTAINER, sys.rd);
	assert_int_equal(th_realm_create(&cont, &p), RMI_SUCCESS);
	th_rtt_create_path(&sys, CHAN_IPA, RTT_PAGE_LEVEL);
	assert_int_equal(th_rmi(SMC_RMI_RTT_INIT_RIPAS, sys.rd, CHAN_IPA, CHAN_IPA + GRANULE_SIZE,
				0, 0, 0, NULL),
			 RMI_SUCCESS);
	assert_int_equal(th_rec_create(&sys, 0, CHAN_PC, NULL, RMI_REC_FLAG_RUNNABLE, &srec),
			 RMI_SUCCESS);
	assert_int_equal(th_rec_create(&cont, 0, 0x1000, NULL, RMI_REC_FLAG_RUNNABLE, &crec),
			 RMI_SUCCESS);
	chan = th_delegated_granule();
	assert_int_equal(
		th_rmi(SMC_RMI_RB_CHANNEL_CREATE, sys.rd, chan, crec, CHAN_IPA, 0, 0, NULL),
		RMI_SUCCESS);
	assert_int_equal(th_rmi(SMC_RMI_REALM_ACTIVATE, sys.rd, 0, 0, 0, 0, 0, NULL), RMI_SUCCESS);
	assert_int_equal(inv_check(M.why, sizeof(M.why)), 0);
	run = th_ns_granule();
	for (int i = 0; i < 3; i++) {
		assert_int_equal(th_rmi(SMC_RMI_REC_ENTER, srec, run, 0, 0, 0, 0, NULL),
				 RMI_SUCCESS);
		assert_int_equal(
			host_mem_read(run + offsetof(struct rmi_rec_run, exit), &x, sizeof(x)), 0);
		if (x.exit_reason != RMI_EXIT_RIPAS_CHANGE)
			break;
		/* A host that grants what the realm asks (or refuses: the channel must hold either
		 * way). */
		th_rmi(SMC_RMI_RTT_SET_RIPAS, sys.rd, srec, x.ripas_base, x.ripas_top, 0, 0, &res);
		if (inv_check(M.why, sizeof(M.why)) != 0) {
			fprintf(stderr, "after RTT_SET_RIPAS to %s: %s\n",
				x.ripas_value ? "RAM" : "EMPTY", M.why);
			broken++;
		}
	}
	assert_int_equal(plat_read(PAS_REALM, chan + 0x100, &word, sizeof(word), NULL), 0);
	/* No PE outlives the machine. */
	assert_int_equal(th_rmi(SMC_RMI_REC_DESTROY, srec, 0, 0, 0, 0, 0, NULL), RMI_SUCCESS);
	plat_native_guest_unregister(CHAN_PC);
	th_shutdown();
	inv_reset();
	if (broken || word == 0x4141414141414141ULL)
		fail_msg("the System Realm changed its channel's mapping (%d times) and wrote "
			 "%#" PRIx64 " into the CHANNEL granule",
			 broken, word);
}

/* ---- A REC running on one CPU while the host destroys its page on another --- */

/*
 * The RMM's break-before-make + TLBI must make an access that translated
 * through the old entry complete before DATA_DESTROY scrubs the granule
 * (on hardware, TLBI + DSB waits for it). Here one host thread runs a REC
 * whose guest keeps writing a DATA page while another destroys that page;
 * afterwards the (DELEGATED) granule must be zero, and once undelegated the
 * host must not read what the realm wrote.
 */
#define RACE_PC 0x5000ULL
#define RACE_PAGE 0x200000ULL /* written by the guest, destroyed by the host */
#define RACE_HC 0x201000ULL   /* the guest's host-call buffer */

static void race_guest(struct native_guest *g, const uint64_t gprs[8])
{
	static uint8_t pattern[GRANULE_SIZE];
	struct rsi_host_call hc;

	(void)gprs;
	memset(pattern, 0xA5, sizeof(pattern));
	memset(&hc, 0, sizeof(hc));
	native_guest_write(g, RACE_HC, &hc, sizeof(hc));
	gsmc(g, SMC_RSI_HOST_CALL, RACE_HC, 0, 0, 0, NULL); /* "I am about to write" */
	for (;;)
		native_guest_write(g, RACE_PAGE, pattern, sizeof(pattern));
}

struct race_rec {
	uint64_t rec, run;
	volatile int writing; /* the guest passed its host call */
	uint64_t exits;
};

static void *race_rec_thread(void *arg)
{
	struct race_rec *rr = arg;
	struct rmi_rec_exit x;

	for (int n = 0; n < 2; n++) {
		if (host_rmi(SMC_RMI_REC_ENTER, rr->rec, rr->run, 0, 0, 0, 0, NULL) != RMI_SUCCESS)
			break;
		if (host_mem_read(rr->run + offsetof(struct rmi_rec_run, exit), &x, sizeof(x)) != 0)
			break;
		rr->exits++;
		if (x.exit_reason != RMI_EXIT_HOST_CALL)
			break;
		__atomic_store_n(&rr->writing, 1, __ATOMIC_RELEASE);
	}
	__atomic_store_n(&rr->writing, 2, __ATOMIC_RELEASE);
	return NULL;
}

static void test_destroy_while_running(void **state)
{
	unsigned rounds = (unsigned)env_u64("RB_RMI_RACE_ROUNDS", 200);
	unsigned dirty = 0, leaked = 0, raced = 0;
	uint64_t in_use;

	(void)state;
	/*
	 * Without a stage-2 TLBI that waits for accesses already translated
	 * (plat_tlbi_s2, called by the RMM's rtt_tlbi) about 1 round in 3 left
	 * realm bytes in the scrubbed granule.
	 */
	rng_state = env_u64("RB_RMI_SEED", DEFAULT_SEED);
	setenv("REALMBOX_LOG", "error", 0);
	th_boot(DRAM);
	inv_reset();
	in_use = host_granules_in_use();
	assert_int_equal(plat_native_guest_register(RACE_PC, race_guest), 0);
	for (unsigned round = 0; round < rounds; round++) {
		struct th_realm r;
		struct race_rec rr = {0};
		struct smc_regs res;
		uint64_t data, hc_data;
		pthread_t t;
		uint8_t page[GRANULE_SIZE];

		assert_int_equal(th_realm_create(&r, NULL), RMI_SUCCESS);
		th_rtt_create_path(&r, RACE_PAGE, RTT_PAGE_LEVEL);
		assert_int_equal(th_rmi(SMC_RMI_RTT_INIT_RIPAS, r.rd, RACE_PAGE,
					RACE_PAGE + 2 * GRANULE_SIZE, 0, 0, 0, NULL),
				 RMI_SUCCESS);
		assert_int_equal(th_data_create(&r, RACE_PAGE, NULL, 0, &data), RMI_SUCCESS);
		assert_int_equal(th_data_create(&r, RACE_HC, NULL, 0, &hc_data), RMI_SUCCESS);
		assert_int_equal(
			th_rec_create(&r, 0, RACE_PC, NULL, RMI_REC_FLAG_RUNNABLE, &rr.rec),
			RMI_SUCCESS);
		assert_int_equal(th_rmi(SMC_RMI_REALM_ACTIVATE, r.rd, 0, 0, 0, 0, 0, NULL),
				 RMI_SUCCESS);
		rr.run = th_ns_granule();
		assert_int_equal(pthread_create(&t, NULL, race_rec_thread, &rr), 0);
		while (__atomic_load_n(&rr.writing, __ATOMIC_ACQUIRE) == 0)
			;
		/* Let the guest get into its loop, by a random amount. */
		for (volatile uint64_t spin = rn(20000); spin > 0; spin--)
			;
		raced += __atomic_load_n(&rr.writing, __ATOMIC_ACQUIRE) == 1;
		assert_int_equal(th_rmi(SMC_RMI_DATA_DESTROY, r.rd, RACE_PAGE, 0, 0, 0, 0, &res),
				 RMI_SUCCESS);
		assert_int_equal(res.x[1], data);
		assert_int_equal(pthread_join(t, NULL), 0);

		/* The REC has exited: nothing runs. DELEGATED must mean zero. */
		const uint8_t *p = plat_map(PAS_REALM, data, GRANULE_SIZE, NULL);
		assert_non_null(p);
		bool is_dirty = false;
		for (unsigned i = 0; i < GRANULE_SIZE; i++)
			is_dirty |= p[i] != 0;
		dirty += is_dirty;
		if (inv_check(M.why, sizeof(M.why)) != 0 && round < 3)
			fprintf(stderr, "round %u: inv_check: %s\n", round, M.why);
		assert_int_equal(th_rmi(SMC_RMI_GRANULE_UNDELEGATE, data, 0, 0, 0, 0, 0, NULL),
				 RMI_SUCCESS);
		assert_int_equal(host_mem_read(data, page, sizeof(page)), 0);
		bool is_leak = false;
		for (unsigned i = 0; i < GRANULE_SIZE; i++)
			is_leak |= page[i] == 0xA5;
		leaked += is_leak;
		host_granule_free(data);
		th_realm_destroy_all(&r, &rr.rec, 1, 0x400000);
		host_granule_free(rr.run);
	}
	plat_native_guest_unregister(RACE_PC);
	printf("destroy while running: %u rounds (%u with the guest writing), %u left a DELEGATED "
	       "granule dirty, %u leaked realm data to the host\n",
	       rounds, raced, dirty, leaked);
	assert_int_equal(host_granules_in_use(), in_use);
	th_shutdown();
	inv_reset();
	if (dirty || leaked)
		fail_msg("DATA_DESTROY scrubbed a page a running REC was still writing: %u of %u "
			 "rounds",
			 dirty, rounds);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_rmi),
		cmocka_unit_test(test_channel_ripas),
		cmocka_unit_test(test_destroy_while_running),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
