/*
 * The random RMI sequence's host model (see test_random_rmi.c): its PRNG,
 * the command table, the model's state (rr_model) with its vectors, the
 * granule bookkeeping (pools of NS and DELEGATED granules, reservations)
 * and the realm model helpers the generators, oracles and plans share.
 */
#include <stdlib.h>
#include <string.h>

#include "random_rmi.h"

/* ---- PRNG --------------------------------------------------------------- */

uint64_t rr_rng_state;

uint64_t rr_rnd(void)
{
	/* splitmix64 */
	uint64_t z = (rr_rng_state += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

uint64_t rr_rn(uint64_t n)
{
	return n ? rr_rnd() % n : 0;
}

bool rr_chance(unsigned percent)
{
	return rr_rn(100) < percent;
}

const struct rr_op rr_ops[OP_NR] = {
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

void *rr_vec_push(struct vec *v)
{
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 16;
		v->v = realloc(v->v, v->cap * v->esz);
		assert_non_null(v->v);
	}
	return (char *)v->v + v->n++ * v->esz;
}

void *rr_vec_at(const struct vec *v, size_t i)
{
	return (char *)v->v + i * v->esz;
}

void rr_vec_del(struct vec *v, size_t i)
{
	memmove(rr_vec_at(v, i), rr_vec_at(v, v->n - 1), v->esz);
	v->n--;
}

struct rr_model rr_model;

/* ---- Granule bookkeeping ------------------------------------------------- */

static uint64_t gi(uint64_t pa)
{
	if (!IS_ALIGNED(pa, GRANULE_SIZE) || pa < rr_model.dram_base)
		return UINT64_MAX;
	uint64_t i = (pa - rr_model.dram_base) >> GRANULE_SHIFT;
	return i < rr_model.nr ? i : UINT64_MAX;
}

struct mgran *rr_mg(uint64_t pa)
{
	uint64_t i = gi(pa);
	return i == UINT64_MAX ? NULL : &rr_model.g[i];
}

/* The model's state of pa; NS for anything that is not a DRAM granule. */
unsigned rr_mstate(uint64_t pa)
{
	struct mgran *g = rr_mg(pa);
	return g ? g->st : RMI_GRANULE_NS;
}

static bool in_ns_region(uint64_t pa)
{
	return pa >= th_layout.ns_base && pa - th_layout.ns_base < th_layout.ns_size;
}

/* Could pa be a granule argument the RMM accepts at all? */
bool rr_good_granule_addr(uint64_t pa)
{
	return gi(pa) != UINT64_MAX && in_ns_region(pa);
}

static void pool_add(uint64_t pa)
{
	struct mgran *g = rr_mg(pa);

	if (g->reserved)
		return;
	if (g->st == RMI_GRANULE_DELEGATED && !g->in_deleg) {
		g->in_deleg = true;
		*(uint64_t *)rr_vec_push(&rr_model.deleg) = pa;
	}
	if (g->st == RMI_GRANULE_NS && g->owned && !g->in_ns && !g->block) {
		g->in_ns = true;
		*(uint64_t *)rr_vec_push(&rr_model.ns) = pa;
	}
}

void rr_set_state(uint64_t pa, unsigned st)
{
	struct mgran *g = rr_mg(pa);

	assert_non_null(g);
	g->st = (uint8_t)st;
	pool_add(pa);
}

static uint64_t ns_alloc(void)
{
	uint64_t pa = host_granule_alloc();

	if (!pa)
		return 0;
	assert_true(rr_good_granule_addr(pa));
	rr_model.g[gi(pa)].owned = true;
	rr_model.g[gi(pa)].reserved = false;
	return pa;
}

/* An owned NS granule, not reserved (allocating if the pool runs low). */
uint64_t rr_pick_ns(void)
{
	while (rr_model.ns.n < 24) {
		uint64_t pa = ns_alloc();
		if (!pa)
			break;
		pool_add(pa);
	}
	while (rr_model.ns.n) {
		size_t i = rr_rn(rr_model.ns.n);
		uint64_t pa = *(uint64_t *)rr_vec_at(&rr_model.ns, i);
		struct mgran *g = rr_mg(pa);

		if (g->st == RMI_GRANULE_NS && g->owned && !g->reserved)
			return pa;
		g->in_ns = false;
		rr_vec_del(&rr_model.ns, i);
	}
	return 0;
}

/* Take an NS granule out of the pool for exclusive use (run granule). */
uint64_t rr_take_ns(void)
{
	uint64_t pa = rr_pick_ns();

	if (pa)
		rr_mg(pa)->reserved = true;
	return pa;
}

void rr_release(uint64_t pa)
{
	struct mgran *g = rr_mg(pa);

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
uint64_t rr_pick_deleg(void)
{
	for (int tries = 0; rr_model.deleg.n && tries < 64; tries++) {
		size_t i = rr_rn(rr_model.deleg.n);
		uint64_t pa = *(uint64_t *)rr_vec_at(&rr_model.deleg, i);
		struct mgran *g = rr_mg(pa);

		if (g->st != RMI_GRANULE_DELEGATED) {
			g->in_deleg = false;
			rr_vec_del(&rr_model.deleg, i);
			continue;
		}
		if (!g->reserved)
			return pa;
	}
	return 0;
}

/* Live DELEGATED granules the pool can hand out (drops stale entries). */
size_t rr_deleg_avail(void)
{
	size_t n = 0;

	for (size_t i = 0; i < rr_model.deleg.n;) {
		struct mgran *g = rr_mg(*(uint64_t *)rr_vec_at(&rr_model.deleg, i));
		if (g->st != RMI_GRANULE_DELEGATED) {
			g->in_deleg = false;
			rr_vec_del(&rr_model.deleg, i);
			continue;
		}
		n += !g->reserved;
		i++;
	}
	return n;
}

/* n distinct DELEGATED granules (0 if fewer exist); reserved while in use. */
bool rr_pick_delegs(uint64_t *out, unsigned n)
{
	unsigned k;

	for (k = 0; k < n; k++) {
		out[k] = rr_pick_deleg();
		if (!out[k])
			break;
		rr_mg(out[k])->reserved = true;
	}
	for (unsigned j = 0; j < k; j++)
		rr_mg(out[j])->reserved = false;
	return k == n;
}

/* ---- Realm model helpers ------------------------------------------------ */

struct mrealm *rr_realm_of(uint64_t rd)
{
	for (unsigned r = 0; r < MAX_REALMS; r++) {
		if (rr_model.realms[r].live && rr_model.realms[r].rd == rd)
			return &rr_model.realms[r];
	}
	return NULL;
}

unsigned rr_live_realms(void)
{
	unsigned n = 0;

	for (unsigned r = 0; r < MAX_REALMS; r++)
		n += rr_model.realms[r].live;
	return n;
}

struct mrealm *rr_pick_realm(void)
{
	unsigned n = rr_live_realms(), k;

	if (!n)
		return NULL;
	k = (unsigned)rr_rn(n);
	for (unsigned r = 0; r < MAX_REALMS; r++) {
		if (rr_model.realms[r].live && k-- == 0)
			return &rr_model.realms[r];
	}
	return NULL;
}

uint64_t rr_par(const struct mrealm *r)
{
	return 1ULL << (r->ipa_bits - 1);
}

struct mrec *rr_rec_of(uint64_t pa, struct mrealm **rr)
{
	for (unsigned r = 0; r < MAX_REALMS; r++) {
		if (!rr_model.realms[r].live)
			continue;
		for (unsigned k = 0; k < MAX_RECS; k++) {
			struct mrec *c = &rr_model.realms[r].recs[k];
			if (c->live && c->pa == pa) {
				if (rr)
					*rr = &rr_model.realms[r];
				return c;
			}
		}
	}
	return NULL;
}

unsigned rr_nrecs(const struct mrealm *r)
{
	unsigned n = 0;

	for (unsigned k = 0; k < MAX_RECS; k++)
		n += r->recs[k].live;
	return n;
}

struct mrec *rr_pick_rec(struct mrealm *r)
{
	unsigned n = rr_nrecs(r), k;

	if (!n)
		return NULL;
	k = (unsigned)rr_rn(n);
	for (unsigned i = 0; i < MAX_RECS; i++) {
		if (r->recs[i].live && k-- == 0)
			return &r->recs[i];
	}
	return NULL;
}

struct mrec *rr_pick_any_rec(struct mrealm **rr)
{
	struct mrealm *r = NULL;

	for (int tries = 0; tries < 8; tries++) {
		r = rr_pick_realm();
		if (r && rr_nrecs(r)) {
			*rr = r;
			return rr_pick_rec(r);
		}
	}
	return NULL;
}

struct mrtt *rr_find_rtt(struct mrealm *r, uint64_t ipa, long level, size_t *idx)
{
	uint64_t a = ALIGN_DOWN(ipa, RTT_LEVEL_SIZE(level - 1));

	for (size_t i = 0; i < r->rtts.n; i++) {
		struct mrtt *t = rr_vec_at(&r->rtts, i);
		if (t->level == level && t->ipa == a) {
			if (idx)
				*idx = i;
			return t;
		}
	}
	return NULL;
}

/* Deepest level with a table covering ipa (the start level always has one). */
long rr_deepest(struct mrealm *r, uint64_t ipa)
{
	long l = r->sl;

	while (l < RTT_PAGE_LEVEL && rr_find_rtt(r, ipa, l + 1, NULL))
		l++;
	return l;
}

/*
 * A VMM that got ERROR_RTT creates the missing table and retries: turn c into
 * the RTT_CREATE of the next level at ipa if ipa has no level-3 table.
 */
bool rr_want_rtt(struct cmd *c, struct mrealm *r, uint64_t ipa)
{
	long l = rr_deepest(r, ipa);
	uint64_t rtt;

	if (l >= RTT_PAGE_LEVEL)
		return false;
	rtt = 0;
	for (int tries = 0; tries < 64 && rr_model.deleg.n && !rtt; tries++) {
		uint64_t pa = *(uint64_t *)rr_vec_at(&rr_model.deleg, rr_rn(rr_model.deleg.n));
		if (rr_mstate(pa) == RMI_GRANULE_DELEGATED && !rr_mg(pa)->reserved)
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

struct mdata *rr_find_data(struct mrealm *r, uint64_t ipa, size_t *idx)
{
	for (size_t i = 0; i < r->data.n; i++) {
		struct mdata *d = rr_vec_at(&r->data, i);
		if (d->ipa == ipa) {
			if (idx)
				*idx = i;
			return d;
		}
	}
	return NULL;
}

struct mmap *rr_find_map(struct mrealm *r, uint64_t ipa, long level, size_t *idx)
{
	for (size_t i = 0; i < r->maps.n; i++) {
		struct mmap *m = rr_vec_at(&r->maps, i);
		if (m->ipa == ipa && m->level == level) {
			if (idx)
				*idx = i;
			return m;
		}
	}
	return NULL;
}

/* A protected IPA, granule aligned: mostly in the hot span. */
uint64_t rr_hot_prot_ipa(struct mrealm *r)
{
	uint64_t span = HOT_SPAN < rr_par(r) ? HOT_SPAN : rr_par(r);

	if (rr_chance(90))
		return ALIGN_DOWN(rr_rn(span), GRANULE_SIZE);
	return ALIGN_DOWN(rr_rn(rr_par(r)), GRANULE_SIZE);
}

uint64_t rr_hot_unprot_ipa(struct mrealm *r)
{
	if (rr_chance(90))
		return rr_par(r) + ALIGN_DOWN(rr_rn(HOT_SPAN), GRANULE_SIZE);
	return rr_par(r) + ALIGN_DOWN(rr_rn(rr_par(r)), GRANULE_SIZE);
}

uint64_t rr_any_ipa(struct mrealm *r)
{
	return rr_chance(50) ? rr_hot_prot_ipa(r) : rr_hot_unprot_ipa(r);
}
