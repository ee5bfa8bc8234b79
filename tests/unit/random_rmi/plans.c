/*
 * Multi-step plans of the random RMI sequence: they reach what single
 * random calls rarely do: realms built as a VMM builds them (several root
 * RTTs, DATA, RECs, a container's channel), 512 DATA granules folded into a
 * block and split again, 512 unprotected pages folded into an NS block, and
 * whole-realm tear-downs.
 */
#include <string.h>

#include "arch/s2tt.h"
#include "random_rmi.h"

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

void rr_plan_reset(void)
{
	memset(&P, 0, sizeof(P));
}

bool rr_plan_active(void)
{
	return P.kind != PLAN_NONE;
}

void rr_plan_end(void)
{
	if ((P.kind == PLAN_BUILD || P.kind == PLAN_DATA_BLOCK || P.kind == PLAN_NS_BLOCK) &&
	    P.base) {
		unsigned n = P.kind == PLAN_BUILD ? (unsigned)P.nroots : BLOCK_GRANULES;
		for (unsigned k = 0; k < n; k++)
			rr_release(P.base + k * GRANULE_SIZE);
	}
	memset(&P, 0, sizeof(P));
}

/* PLAN_BUILD: the roots now belong to the realm; stop holding them. */
static void plan_end_keep_realm(void)
{
	for (unsigned k = 0; k < P.nroots; k++)
		rr_release(P.base + k * GRANULE_SIZE);
	P.base = 0;
}

/*
 * 2 MiB-aligned blocks for the fold plans, allocated at the start (DRAM
 * fragments soon after): a block is free again when all its granules are NS.
 */
#define NBLOCKS 6
static uint64_t blocks[NBLOCKS];

void rr_blocks_init(void)
{
	for (unsigned b = 0; b < NBLOCKS; b++) {
		blocks[b] = host_granules_alloc(BLOCK_GRANULES, RTT_LEVEL_SIZE(2));
		assert_true(blocks[b] != 0);
		for (unsigned k = 0; k < BLOCK_GRANULES; k++) {
			struct mgran *g = rr_mg(blocks[b] + k * GRANULE_SIZE);
			g->owned = true;
			g->block = true;
		}
	}
}

/* A free block, reserved for the plan; 0 if none. */
static uint64_t block_take(void)
{
	unsigned first = (unsigned)rr_rn(NBLOCKS);

	for (unsigned n = 0; n < NBLOCKS; n++) {
		uint64_t base = blocks[(first + n) % NBLOCKS];
		bool free_block = true;

		for (unsigned k = 0; k < BLOCK_GRANULES && free_block; k++) {
			struct mgran *g = rr_mg(base + k * GRANULE_SIZE);
			free_block = g->st == RMI_GRANULE_NS && !g->reserved;
		}
		if (!free_block)
			continue;
		for (unsigned k = 0; k < BLOCK_GRANULES; k++)
			rr_mg(base + k * GRANULE_SIZE)->reserved = true;
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
		struct mgran *g = rr_mg(pa + k * GRANULE_SIZE);
		g->owned = true;
		g->reserved = true;
	}
	return pa;
}

/* Next command to build the RTT path to level 3 at ipa; false if it exists. */
static bool plan_rtt_path(struct cmd *c, struct mrealm *r, uint64_t ipa)
{
	long l = rr_deepest(r, ipa);

	if (l >= RTT_PAGE_LEVEL)
		return false;
	c->op = OP_RTT_CREATE;
	c->a[0] = r->rd;
	c->a[1] = rr_pick_deleg();
	if (!c->a[1]) {
		c->op = OP_DELEGATE;
		c->a[0] = rr_pick_ns();
		return true;
	}
	c->a[2] = ALIGN_DOWN(ipa, RTT_LEVEL_SIZE(l));
	c->a[3] = (uint64_t)(l + 1);
	return true;
}

/* The next command of a whole-realm teardown; false when nothing is left. */
bool rr_teardown_next(struct cmd *c, struct mrealm *r)
{
	/* Fasco: a System Realm goes after its Container Realms. */
	for (unsigned k = 0; k < MAX_REALMS && r->kind == RB_REALM_KIND_SYSTEM; k++) {
		struct mrealm *x = &rr_model.realms[k];
		if (x->live && x->kind == RB_REALM_KIND_CONTAINER && x->sys_rd == r->rd)
			return rr_teardown_next(c, x);
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
		struct mdata *d = rr_vec_at(&r->data, r->data.n - 1);
		/* Folded into a block: split it first. */
		if (rr_deepest(r, d->ipa) < RTT_PAGE_LEVEL)
			return plan_rtt_path(c, r, d->ipa);
		c->op = OP_DATA_DESTROY;
		c->a[1] = d->ipa;
		return true;
	}
	if (r->maps.n) {
		struct mmap *m = rr_vec_at(&r->maps, r->maps.n - 1);
		c->op = OP_RTT_UNMAP_UNPROTECTED;
		c->a[1] = m->ipa;
		c->a[2] = (uint64_t)m->level;
		return true;
	}
	if (r->rtts.n) {
		/* Deepest first. */
		struct mrtt *best = rr_vec_at(&r->rtts, 0);
		for (size_t k = 1; k < r->rtts.n; k++) {
			struct mrtt *t = rr_vec_at(&r->rtts, k);
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
bool rr_in_plan_block(const struct mrealm *r, uint64_t ipa)
{
	return (P.kind == PLAN_DATA_BLOCK || P.kind == PLAN_NS_BLOCK) && P.r == r &&
	       ALIGN_DOWN(ipa, RTT_LEVEL_SIZE(2)) == P.ipa;
}

static bool realm_alive(const struct mrealm *r)
{
	return r && r->live && r->rd == P.rd;
}

/* Fill c with the plan's next command; false if the plan is over. */
bool rr_plan_next(struct cmd *c)
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
			uint64_t rd = rr_pick_deleg(), params = rr_pick_ns();
			if (rr_live_realms() >= MAX_REALMS - 2 || !params)
				return false;
			if (!rd) {
				c->op = OP_DELEGATE;
				c->a[0] = params;
				return true;
			}
			c->op = OP_REALM_CREATE;
			c->a[0] = rd;
			c->a[1] = params;
			rr_cmd_rp = P.rp;
			rr_cmd_rp.vmid = (uint16_t)(rr_model.next_vmid++ % 60000 + 1);
			c->rp = &rr_cmd_rp;
			assert_int_equal(host_mem_write(params, c->rp, sizeof(*c->rp)), 0);
			P.rd = rd;
			P.phase = 2;
			return true;
		}
		if (P.phase == 2) {
			/* Did REALM_CREATE work? The roots are the realm's now. */
			P.r = rr_realm_of(P.rd);
			if (!P.r)
				return false;
			plan_end_keep_realm();
			P.ipa = 0x100000ULL * (1 + rr_rn(6));
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
				uint64_t data = rr_pick_deleg(), src = rr_pick_ns();
				if (rr_find_data(P.r, ipa, NULL)) {
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
			P.nrec = P.r->kind == RB_REALM_KIND_CONTAINER ? 1 : 1 + (unsigned)rr_rn(4);
			/* A System Realm's channels go in the RIPAS RAM pages after its DATA. */
			if (P.r->kind == RB_REALM_KIND_SYSTEM)
				P.r->chan_base = P.ipa + 8 * GRANULE_SIZE;
		}
		if (P.phase == 5) {
			if (P.i < P.nrec && P.r->state == RMI_REALM_NEW) {
				uint64_t aux[AUX + 1];
				uint64_t params = rr_pick_ns();
				if (!rr_pick_delegs(aux, AUX + 1)) {
					c->op = OP_DELEGATE;
					c->a[0] = params;
					return true;
				}
				P.i++;
				c->op = OP_REC_CREATE;
				c->a[0] = P.r->rd;
				c->a[1] = aux[AUX];
				c->a[2] = params;
				rr_rec_params(&rr_cmd_cp, P.r, aux, P.i == 1 || rr_chance(50),
					      P.nrec);
				c->cp = &rr_cmd_cp;
				assert_int_equal(host_mem_write(params, c->cp, sizeof(*c->cp)), 0);
				return true;
			}
			P.phase = 6;
			if (rr_chance(85)) {
				c->op = OP_REALM_ACTIVATE;
				c->a[0] = P.r->rd;
				return true;
			}
		}
		if (P.phase == 6 && P.r->kind == RB_REALM_KIND_CONTAINER) {
			/* Its forwarding channel in the System Realm. */
			struct mrealm *sys = rr_realm_of(P.r->sys_rd);
			struct mrec *rec = NULL;
			P.phase = 7;
			for (unsigned k = 0; k < MAX_RECS && !rec; k++)
				if (P.r->recs[k].live && !P.r->recs[k].chan)
					rec = &P.r->recs[k];
			if (sys && sys->chan_base && rec && rr_pick_deleg()) {
				c->op = OP_RB_CHANNEL_CREATE;
				c->a[0] = sys->rd;
				c->a[1] = rr_pick_deleg();
				c->a[2] = rec->pa;
				c->a[3] = sys->chan_base + GRANULE_SIZE * rr_channels_in(sys->rd) %
								   (8 * GRANULE_SIZE);
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
					pa = rr_pick_deleg();
					if (!pa) {
						c->op = OP_DELEGATE;
						c->a[0] = rr_pick_ns();
						return true;
					}
					P.delegated_i = true;
				}
				/* Delegate each granule just before it becomes DATA. */
				if (rr_mstate(pa) == RMI_GRANULE_NS && !P.delegated_i) {
					P.delegated_i = true;
					c->op = OP_DELEGATE;
					c->a[0] = pa;
					return true;
				}
				P.delegated_i = false;
				P.i++;
				if (rr_mstate(pa) != RMI_GRANULE_DELEGATED ||
				    rr_find_data(P.r, ipa, NULL))
					continue;
				c->a[0] = P.r->rd;
				c->a[1] = pa;
				c->a[2] = ipa;
				if (P.r->state == RMI_REALM_NEW) {
					c->op = OP_DATA_CREATE;
					c->a[3] = rr_pick_ns();
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
			rr_model.block_folds[P.variant]
					    [rr_deepest(P.r, P.ipa) == RTT_MIN_BLOCK_LEVEL]++;
			P.phase = 4;
			if (rr_chance(50) && rr_deepest(P.r, P.ipa) == RTT_MIN_BLOCK_LEVEL)
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
				if (rr_find_map(P.r, ipa, RTT_PAGE_LEVEL, NULL))
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
			if (rr_find_map(P.r, P.ipa, RTT_MIN_BLOCK_LEVEL, NULL)) {
				if (rr_chance(50))
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
		if (rr_deleg_avail() > 64) {
			c->op = OP_UNDELEGATE;
			c->a[0] = rr_pick_deleg();
			return true;
		}
		return rr_teardown_next(c, P.r);
	default:
		return false;
	}
}

void rr_plan_start(void)
{
	struct mrealm *r;

	memset(&P, 0, sizeof(P));
	unsigned pick = (unsigned)rr_rn(16);

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
	if (pick == 5 && rr_live_realms() < LIVE_REALMS_TARGET - 1)
		pick = 0;
	switch (pick) {
	case 0: {
		unsigned n;
		if (rr_live_realms() >= LIVE_REALMS_TARGET + 1)
			break;
		rr_realm_params(&P.rp, &n);
		P.nroots = n;
		P.base = plan_alloc(n, n * GRANULE_SIZE);
		if (!P.base)
			break;
		P.rp.rtt_base = P.base;
		P.kind = PLAN_BUILD;
		break;
	}
	case 3:
		r = rr_pick_realm();
		if (!r)
			break;
		P.r = r;
		/* A fresh block of its own, beside the hot span the single calls use. */
		P.ipa = 0;
		for (unsigned n = 0, first = (unsigned)rr_rn(8); n < 8 && !P.ipa; n++) {
			uint64_t ipa = BLOCK_AREA + RTT_LEVEL_SIZE(2) * ((first + n) % 8);
			bool used = rr_deepest(r, ipa) == RTT_PAGE_LEVEL;
			for (size_t k = 0; k < r->data.n && !used; k++)
				used = ALIGN_DOWN(((struct mdata *)rr_vec_at(&r->data, k))->ipa,
						  RTT_LEVEL_SIZE(2)) == ipa;
			if (!used)
				P.ipa = ipa;
		}
		if (!P.ipa)
			P.ipa = ALIGN_DOWN(rr_hot_prot_ipa(r),
					   RTT_LEVEL_SIZE(2)); /* all taken: anywhere */
		if (P.ipa + RTT_LEVEL_SIZE(2) > rr_par(r))
			break;
		P.kind = PLAN_DATA_BLOCK;
		P.variant = rr_chance(50) ? 0 : 1 + (unsigned)rr_rn(2);
		break;
	case 4:
		r = rr_pick_realm();
		if (!r)
			break;
		P.r = r;
		P.ipa = rr_chance(75) ? rr_par(r) + BLOCK_AREA + RTT_LEVEL_SIZE(2) * rr_rn(8)
				      : ALIGN_DOWN(rr_hot_unprot_ipa(r), RTT_LEVEL_SIZE(2));
		P.kind = PLAN_NS_BLOCK;
		P.variant = rr_chance(50) ? 0 : 1 + (unsigned)rr_rn(2);
		break;
	default:
		P.r = rr_pick_realm();
		if (P.r)
			P.kind = PLAN_TEARDOWN;
		break;
	}
	rr_model.plans[P.kind]++;
	if (P.kind == PLAN_NONE)
		rr_plan_end();
	else if (P.r)
		P.rd = P.r->rd;
}
