/*
 * Argument generation for the random RMI sequence: hostile values (random,
 * misaligned, out of DRAM, ~0, aliasing, wrong states, other realms'
 * granules, Root and RMM memory) and, per command, arguments drawn from the
 * host model's pools so that deep states are reached, or made hostile.
 * rr_gen_random picks the command and fills it in.
 */
#include <string.h>

#include "arch/esr.h"
#include "arch/rsi.h"
#include "arch/s2tt.h"
#include "random_rmi.h"

struct rmi_realm_params rr_cmd_rp;
struct rmi_rec_params rr_cmd_cp;

/* ---- Hostile values ----------------------------------------------------- */

/* Any granule the model knows in state st (0 if none found quickly). */
static uint64_t known_in_state(unsigned st)
{
	for (int tries = 0; tries < 64; tries++) {
		uint64_t i = rr_rn(rr_model.nr);
		if (rr_model.g[i].st == st && (st != RMI_GRANULE_NS || rr_model.g[i].owned))
			return rr_model.dram_base + (i << GRANULE_SHIFT);
	}
	return 0;
}

static uint64_t hostile_addr(void)
{
	uint64_t dram_end = rr_model.dram_base + (rr_model.nr << GRANULE_SHIFT);
	uint64_t pa;

	switch (rr_rn(17)) {
	case 0:
		return rr_rnd();
	case 1:
		return ~0ULL;
	case 2:
		return 0;
	case 3:
		return rr_model.dram_base - GRANULE_SIZE;
	case 4:
		return dram_end;
	case 5:
		pa = known_in_state((unsigned)rr_rn(M_NSTATES));
		return (pa ? pa : rr_model.dram_base) + 1 + rr_rn(GRANULE_SIZE - 1);
	case 6:
		return th_layout.root_base + ALIGN_DOWN(rr_rn(th_layout.root_size), GRANULE_SIZE);
	case 7:
		return th_layout.rmm_base + ALIGN_DOWN(rr_rn(th_layout.rmm_size), GRANULE_SIZE);
	case 8:
		pa = known_in_state(RMI_GRANULE_RD);
		break;
	case 9:
		pa = known_in_state(rr_chance(50) ? RMI_GRANULE_REC : RMI_GRANULE_REC_AUX);
		break;
	case 10:
		pa = known_in_state(RMI_GRANULE_RTT);
		break;
	case 11:
		pa = known_in_state(RMI_GRANULE_DATA);
		break;
	case 12:
		pa = rr_pick_deleg();
		break;
	case 13:
		pa = rr_pick_ns();
		break;
	case 14:
		pa = known_in_state((unsigned)rr_rn(M_NSTATES));
		return (pa ? pa : rr_model.dram_base) | (1ULL << (48 + rr_rn(16)));
	case 15:
		return dram_end + GRANULE_SIZE * rr_rn(1024);
	default:
		pa = known_in_state((unsigned)rr_rn(M_NSTATES));
		break;
	}
	return pa ? pa : rr_rnd();
}

static uint64_t hostile_ipa(struct mrealm *r)
{
	switch (rr_rn(8)) {
	case 0:
		return rr_rnd();
	case 1:
		return ~0ULL;
	case 2:
		return r ? (1ULL << r->ipa_bits) : (1ULL << 48);
	case 3:
		return (r ? rr_any_ipa(r) : 0) + 1 + rr_rn(GRANULE_SIZE - 1);
	case 4:
		return r ? (1ULL << r->ipa_bits) - GRANULE_SIZE : 0;
	case 5:
		return r ? rr_par(r) - GRANULE_SIZE : 0;
	case 6:
		return (r ? rr_any_ipa(r) : 0) | (1ULL << (52 + rr_rn(12)));
	default:
		return r ? rr_any_ipa(r) + RTT_LEVEL_SIZE(2) * rr_rn(3) : rr_rnd();
	}
}

static uint64_t hostile_level(void)
{
	static const uint64_t l[] = {0, 1, 2, 3, 4, 5, ~0ULL, (uint64_t)-2, 1ULL << 32 | 3};
	return l[rr_rn(ARRAY_SIZE(l))];
}

/* An RD: mostly a live one, sometimes hostile. */
static uint64_t some_rd(struct mrealm **rr, bool hostile)
{
	struct mrealm *r = rr_pick_realm();

	*rr = r;
	if (!hostile && r)
		return r->rd;
	return rr_chance(30) && r ? r->rd : hostile_addr();
}

/* ---- Argument generation ------------------------------------------------- */

/* Fasco: a System Realm, a Container Realm bound to one, or (mostly) a plain realm. */
/* RB_RMI_FASCO=0: plain realms only, no channel commands. */
bool rr_fasco_on = true;

static void realm_kind(struct rmi_realm_params *p)
{
	struct rb_realm_params_ext ext = {RB_REALM_KIND_PLAIN, 0, 0, 0};
	struct mrealm *sys = NULL;
	unsigned n = 0;

	if (!rr_fasco_on)
		return;

	for (unsigned r = 0; r < MAX_REALMS; r++) {
		struct mrealm *x = &rr_model.realms[r];
		if (x->live && x->kind == RB_REALM_KIND_SYSTEM &&
		    x->state != RMI_REALM_SYSTEM_OFF && rr_rn(++n) == 0)
			sys = x;
	}
	if (sys && rr_chance(40)) {
		ext.kind = RB_REALM_KIND_CONTAINER;
		ext.system_rd = sys->rd;
	} else if (rr_chance(20)) {
		ext.kind = RB_REALM_KIND_SYSTEM;
	}
	memcpy((uint8_t *)p + RB_REALM_PARAMS_EXT_OFFSET, &ext, sizeof(ext));
}

struct rb_realm_params_ext rr_params_ext(const struct rmi_realm_params *p)
{
	struct rb_realm_params_ext ext;

	memcpy(&ext, (const uint8_t *)p + RB_REALM_PARAMS_EXT_OFFSET, sizeof(ext));
	return ext;
}

void rr_realm_params(struct rmi_realm_params *p, unsigned *nroots)
{
	static const struct {
		unsigned s2sz;
		long sl;
		unsigned n;
	} cfg[] = {
		{40, 1, 2}, {39, 1, 1}, {48, 0, 1}, {36, 1, 1},
		{32, 2, 4}, {44, 0, 1}, {33, 2, 8}, {41, 1, 4},
	};
	unsigned k = (unsigned)rr_rn(ARRAY_SIZE(cfg));

	memset(p, 0, sizeof(*p));
	p->s2sz = cfg[k].s2sz;
	p->rtt_level_start = cfg[k].sl;
	p->rtt_num_start = cfg[k].n;
	p->hash_algo = rr_chance(80) ? RMI_HASH_SHA_256 : RMI_HASH_SHA_512;
	p->vmid = (uint16_t)(rr_model.next_vmid++ % 60000 + 1);
	for (int i = 0; i < RMI_REALM_PARAMS_RPV_SIZE; i++)
		p->rpv[i] = (uint8_t)rr_rnd();
	*nroots = cfg[k].n;
	realm_kind(p);
}

static void gen_realm_create(struct cmd *c)
{
	struct rmi_realm_params *p = &rr_cmd_rp;
	unsigned n;
	uint64_t rd = rr_pick_deleg(), params = rr_pick_ns();

	rr_realm_params(p, &n);
	if (n > 1 && !c->hostile) {
		/* Multi-root realms come from the plan that delegates aligned runs. */
		p->s2sz = 39;
		p->rtt_level_start = 1;
		p->rtt_num_start = n = 1;
	}
	if (rd)
		rr_mg(rd)->reserved = true;
	p->rtt_base = rr_pick_deleg();
	if (rd)
		rr_mg(rd)->reserved = false;
	c->a[0] = rd;
	c->a[1] = params;
	if (c->hostile) {
		switch (rr_rn(17)) {
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
			struct mrealm *r = rr_pick_realm();
			if (r) {
				p->vmid = (uint16_t)r->vmid;
				c->note = "vmid reuse";
			}
			break;
		}
		case 5:
			p->s2sz = rr_rn(2) ? rr_rn(64) : (rr_rn(2) ? 31 : 49);
			break;
		case 6:
			p->rtt_num_start = rr_rn(2) ? rr_rn(20) : n + 1;
			break;
		case 7:
			p->rtt_level_start = rr_rn(2) ? -1 : (int64_t)rr_rn(6);
			break;
		case 8:
			p->flags = BIT(rr_rn(4));
			break;
		case 9:
			p->hash_algo = (uint8_t)(2 + rr_rn(254));
			break;
		case 10:
			p->rtt_base = (p->rtt_base ? p->rtt_base : rr_model.dram_base) +
				      8 * (1 + rr_rn(511));
			break;
		case 11:
			c->a[1] = c->a[0]; /* params == rd */
			break;
		case 12:
			p->sve_vl = 1 + rr_rn(16);
			p->num_bps = rr_rn(64);
			break;
		case 13: {
			/* Roots are another realm's roots */
			struct mrealm *r = rr_pick_realm();
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
			struct mrealm *o = rr_pick_realm();
			switch (rr_rn(4)) {
			case 0:
				ext.system_rd = o ? o->rd : hostile_addr();
				break;
			case 1:
				ext.system_rd = hostile_addr();
				break;
			case 2:
				ext.kind = RB_REALM_KIND_NR + rr_rn(8); /* no such kind */
				break;
			default:
				ext.kind = RB_REALM_KIND_SYSTEM; /* a System Realm bound to one */
				ext.system_rd = o ? o->rd : rr_model.dram_base;
				break;
			}
			memcpy((uint8_t *)p + RB_REALM_PARAMS_EXT_OFFSET, &ext, sizeof(ext));
			c->note = "fasco kind";
			break;
		}
		default:
			p->pmu_num_ctrs = 1 + rr_rn(31);
			break;
		}
	}
	c->rp = p;
	if (rr_good_granule_addr(c->a[1]) && rr_mstate(c->a[1]) == RMI_GRANULE_NS &&
	    rr_mg(c->a[1])->owned)
		assert_int_equal(host_mem_write(c->a[1], p, sizeof(*p)), 0);
}

/* Valid RmiRecParams for the next REC of r: runs rr_guest_main with a DATA page as buffer. */
void rr_rec_params(struct rmi_rec_params *p, struct mrealm *r, const uint64_t *aux, bool runnable,
		   unsigned nrec_hint)
{
	uint64_t buf = 0x10000;

	memset(p, 0, sizeof(*p));
	p->flags = runnable ? RMI_REC_FLAG_RUNNABLE : 0;
	p->mpidr = rec_idx_to_mpidr(r ? r->rec_count : 0);
	p->pc = GUEST_PC;
	if (r && r->data.n)
		buf = ((struct mdata *)rr_vec_at(&r->data, rr_rn(r->data.n)))->ipa;
	p->gprs[0] = buf | ((uint64_t)(r ? r->ipa_bits : 0) << 56);
	p->gprs[1] = rr_rnd();
	p->gprs[2] = nrec_hint;
	p->gprs[3] = r ? r->chan_base : 0; /* a System Realm's guest calls its channels */
	p->num_aux = AUX;
	memcpy(p->aux, aux, sizeof(uint64_t) * AUX);
}

static void gen_rec_create(struct cmd *c)
{
	struct rmi_rec_params *p = &rr_cmd_cp;
	struct mrealm *r;
	uint64_t aux[AUX + 1];

	memset(p, 0, sizeof(*p));
	c->a[0] = some_rd(&r, c->hostile && rr_chance(20));
	c->a[2] = rr_pick_ns();
	if (r) {
		/* Prefer realms that can take a REC. */
		for (int t = 0; t < 4 && (r->state != RMI_REALM_NEW || rr_nrecs(r) >= REC_TARGET);
		     t++) {
			r = rr_pick_realm();
			c->a[0] = r->rd;
		}
	}
	if (!rr_pick_delegs(aux, AUX + 1)) {
		c->note = "too few delegated granules";
		memset(aux, 0, sizeof(aux));
		aux[0] = hostile_addr();
	}
	c->a[1] = aux[AUX];
	rr_rec_params(p, r, aux, rr_chance(85), REC_TARGET);
	if (rr_chance(5))
		p->pc = rr_rnd();
	if (c->hostile) {
		switch (rr_rn(12)) {
		case 0:
			c->a[1] = hostile_addr();
			break;
		case 1:
			p->aux[rr_rn(AUX)] = p->aux[rr_rn(AUX)];
			c->note = "aux alias";
			break;
		case 2:
			p->aux[rr_rn(AUX)] = c->a[1];
			c->note = "aux == rec";
			break;
		case 3:
			p->aux[rr_rn(AUX)] = c->a[0];
			c->note = "aux == rd";
			break;
		case 4:
			p->aux[rr_rn(AUX)] = hostile_addr();
			break;
		case 5:
			p->num_aux = rr_rn(2) ? rr_rn(AUX) : AUX + 1 + rr_rn(100);
			break;
		case 6:
			p->mpidr =
				rr_rn(2) ? rr_rnd()
					 : rec_idx_to_mpidr((r ? r->rec_count : 0) + 1 + rr_rn(3));
			break;
		case 7:
			c->a[2] = hostile_addr();
			break;
		case 8:
			p->flags = rr_rnd();
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
	if (rr_good_granule_addr(c->a[2]) && rr_mstate(c->a[2]) == RMI_GRANULE_NS &&
	    rr_mg(c->a[2])->owned)
		assert_int_equal(host_mem_write(c->a[2], p, sizeof(*p)), 0);
}

static void gen_set_ripas(struct cmd *c, struct mrec *rec, struct mrealm *r);
static void gen_psci_complete(struct cmd *c, struct mrec *rec, struct mrealm *r);
static bool waits_ripas(const struct mrec *c);

static void gen_rec_enter(struct cmd *c)
{
	struct mrealm *r;
	struct mrec *rec = rr_pick_any_rec(&r);
	struct rmi_rec_enter enter;

	/* Prefer RECs of active realms. */
	for (int t = 0; t < 6 && rec && r->state != RMI_REALM_ACTIVE; t++)
		rec = rr_pick_any_rec(&r);
	/* A VMM answers what the last exit asked for before it runs the REC again. */
	if (rec && !c->hostile && rec->psci_pending && rr_chance(80)) {
		c->op = OP_PSCI_COMPLETE;
		c->fid = rr_ops[c->op].fid;
		gen_psci_complete(c, rec, r);
		return;
	}
	if (rec && !c->hostile && waits_ripas(rec) && rr_chance(60)) {
		c->op = OP_RTT_SET_RIPAS;
		c->fid = rr_ops[c->op].fid;
		gen_set_ripas(c, rec, r);
		return;
	}
	memset(&enter, 0, sizeof(enter));
	if (!rec) {
		c->a[0] = hostile_addr();
		c->a[1] = rr_pick_ns();
		c->hostile = true;
	} else {
		if (rr_mstate(rec->run) != RMI_GRANULE_NS) {
			/* The host gave its run granule away: use a new one. */
			rr_release(rec->run);
			rec->run = rr_take_ns();
		}
		c->a[0] = rec->pa;
		c->a[1] = rec->run;
		if (rec->exit_valid && rec->exit_reason == RMI_EXIT_SYNC) {
			if ((rec->esr & ESR_ISS_ISV) && rr_chance(80))
				enter.flags |= REC_ENTER_FLAG_EMUL_MMIO;
			else if (rr_chance(40))
				enter.flags |= REC_ENTER_FLAG_INJECT_SEA;
		}
		if (rec->exit_valid && rec->exit_reason == RMI_EXIT_RIPAS_CHANGE && rr_chance(25))
			enter.flags |= REC_ENTER_FLAG_RIPAS_RESPONSE;
		if (rr_chance(10))
			enter.flags |= REC_ENTER_FLAG_TRAP_WFI | REC_ENTER_FLAG_TRAP_WFE;
	}
	for (int i = 0; i < RMI_REC_GPRS; i++)
		enter.gprs[i] = rr_rnd();
	if (c->hostile) {
		switch (rr_rn(6)) {
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
			enter.flags = rr_rnd();
			break;
		}
	}
	if (rr_good_granule_addr(c->a[1]) && rr_mstate(c->a[1]) == RMI_GRANULE_NS &&
	    rr_mg(c->a[1])->owned)
		assert_int_equal(host_mem_write(c->a[1], &enter, sizeof(enter)), 0);
}

static void gen_rtt_create(struct cmd *c)
{
	struct mrealm *r;
	uint64_t ipa;
	long level;

	c->a[0] = some_rd(&r, c->hostile && rr_chance(20));
	c->a[1] = rr_pick_deleg();
	if (!c->a[1] && !c->hostile) {
		c->note = "no delegated granule";
		c->a[1] = hostile_addr();
	}
	if (!r) {
		c->a[2] = rr_rnd();
		c->a[3] = hostile_level();
		return;
	}
	ipa = rr_any_ipa(r);
	/* Prefer IPAs a REC faulted on (demand paging). */
	for (unsigned k = 0; k < MAX_RECS; k++) {
		struct mrec *rc = &r->recs[k];
		if (rc->live && rc->exit_valid && rc->exit_reason == RMI_EXIT_SYNC &&
		    rr_chance(30)) {
			ipa = ALIGN_DOWN(IPA_FROM_HPFAR(rc->hpfar), GRANULE_SIZE);
			if (ipa >= (1ULL << r->ipa_bits))
				ipa = rr_any_ipa(r);
			break;
		}
	}
	level = rr_deepest(r, ipa) + 1;
	if (level > RTT_PAGE_LEVEL)
		level = r->sl + 1 + (long)rr_rn((uint64_t)(RTT_PAGE_LEVEL - r->sl));
	c->a[2] = ALIGN_DOWN(ipa, RTT_LEVEL_SIZE(level - 1));
	c->a[3] = (uint64_t)level;
	if (c->hostile) {
		switch (rr_rn(7)) {
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
			c->a[2] += GRANULE_SIZE * (1 + rr_rn(511)); /* misaligned for the level */
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
	return r && r->rtts.n ? rr_vec_at(&r->rtts, rr_rn(r->rtts.n)) : NULL;
}

static void gen_rtt_destroy_fold(struct cmd *c)
{
	struct mrealm *r;
	struct mrtt *t;

	c->a[0] = some_rd(&r, c->hostile && rr_chance(20));
	t = pick_rtt(r);
	/* Destroy: prefer deeper tables (more likely empty). */
	if (c->op == OP_RTT_DESTROY && r)
		for (int k = 0; k < 3 && t && t->level < RTT_PAGE_LEVEL; k++)
			t = pick_rtt(r);
	if (t) {
		c->a[1] = t->ipa;
		c->a[2] = (uint64_t)t->level;
	} else {
		c->a[1] = r ? rr_any_ipa(r) : rr_rnd();
		c->a[2] = RTT_PAGE_LEVEL;
	}
	if (c->hostile) {
		switch (rr_rn(4)) {
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

	return oa | attrs[rr_rn(2)] | ap[rr_rn(4)];
}

static void gen_map_unprotected(struct cmd *c)
{
	struct mrealm *r;
	uint64_t ipa, oa;

	c->a[0] = some_rd(&r, c->hostile && rr_chance(20));
	if (!r) {
		c->a[1] = rr_rnd();
		c->a[2] = 3;
		c->a[3] = rr_rnd();
		return;
	}
	ipa = rr_hot_unprot_ipa(r);
	/* Prefer an unprotected level-3 table that exists. */
	for (int k = 0; k < 8; k++) {
		struct mrtt *t = pick_rtt(r);
		if (t && t->level == RTT_PAGE_LEVEL && t->ipa >= rr_par(r)) {
			ipa = t->ipa + GRANULE_SIZE * rr_rn(RTT_ENTRIES);
			break;
		}
	}
	c->a[1] = ipa;
	c->a[2] = RTT_PAGE_LEVEL;
	/* Any OA the host likes: NS memory mostly, sometimes realm memory (GPC-protected). */
	oa = rr_chance(80) ? rr_pick_ns()
			   : (rr_rn(2) ? known_in_state(RMI_GRANULE_DATA) : rr_pick_deleg());
	c->a[3] = ns_desc(oa ? oa : rr_model.dram_base);
	if (rr_chance(5)) {
		c->a[1] = ALIGN_DOWN(ipa, RTT_LEVEL_SIZE(2));
		c->a[2] = 2;
		c->a[3] = ns_desc(ALIGN_DOWN(oa ? oa : rr_model.dram_base, RTT_LEVEL_SIZE(2)));
	}
	if (c->hostile) {
		switch (rr_rn(7)) {
		case 0:
			c->a[3] |= BIT(rr_rn(64)); /* a bit the host may not set */
			break;
		case 1:
			c->a[1] = rr_hot_prot_ipa(r); /* protected IPA */
			c->note = "protected ipa";
			break;
		case 2:
			c->a[2] = hostile_level();
			break;
		case 3:
			c->a[1] = hostile_ipa(r);
			break;
		case 4:
			c->a[3] = ns_desc(rr_rnd() & S2TT_OA_MASK) | S2TT_NS | S2TT_DESC_VALID;
			break;
		case 5:
			c->a[2] = 2;
			c->a[1] = ALIGN_DOWN(ipa, RTT_LEVEL_SIZE(2));
			c->a[3] = ns_desc(ALIGN_DOWN(oa, RTT_LEVEL_SIZE(2)) +
					  GRANULE_SIZE); /* misaligned OA */
			break;
		default:
			c->a[3] = rr_rnd();
			break;
		}
	}
}

static void gen_unmap_unprotected(struct cmd *c)
{
	struct mrealm *r;

	c->a[0] = some_rd(&r, c->hostile && rr_chance(20));
	if (r && r->maps.n) {
		struct mmap *m = rr_vec_at(&r->maps, rr_rn(r->maps.n));
		c->a[1] = m->ipa;
		c->a[2] = (uint64_t)m->level;
	} else {
		c->a[1] = r ? rr_hot_unprot_ipa(r) : rr_rnd();
		c->a[2] = RTT_PAGE_LEVEL;
	}
	if (c->hostile) {
		if (rr_chance(50))
			c->a[1] = r ? (rr_chance(50) ? rr_hot_prot_ipa(r) : hostile_ipa(r))
				    : rr_rnd();
		else
			c->a[2] = hostile_level();
	}
}

static void gen_data_create(struct cmd *c)
{
	struct mrealm *r;
	uint64_t ipa;

	c->a[0] = some_rd(&r, c->hostile && rr_chance(20));
	if (r && c->op == OP_DATA_CREATE && r->state != RMI_REALM_NEW && !c->hostile) {
		for (int t = 0; t < 4 && r->state != RMI_REALM_NEW; t++)
			r = rr_pick_realm();
		c->a[0] = r->rd;
	}
	c->a[1] = rr_pick_deleg();
	if (!c->a[1])
		c->a[1] = hostile_addr();
	ipa = r ? rr_hot_prot_ipa(r) : rr_rnd();
	if (r) {
		/* Prefer a page under an existing level-3 table; or where a REC faulted. */
		for (int k = 0; k < 8; k++) {
			struct mrtt *t = pick_rtt(r);
			if (t && t->level == RTT_PAGE_LEVEL && t->ipa < rr_par(r)) {
				ipa = t->ipa + GRANULE_SIZE * rr_rn(RTT_ENTRIES);
				break;
			}
		}
		for (unsigned k = 0; k < MAX_RECS && c->op == OP_DATA_CREATE_UNKNOWN; k++) {
			struct mrec *rc = &r->recs[k];
			if (rc->live && rc->exit_valid && rc->exit_reason == RMI_EXIT_SYNC &&
			    IPA_FROM_HPFAR(rc->hpfar) < rr_par(r) && rr_chance(60)) {
				ipa = IPA_FROM_HPFAR(rc->hpfar);
				break;
			}
		}
	}
	/* Leave the block a plan is filling alone (unless hostile). */
	if (r && rr_in_plan_block(r, ipa))
		ipa = rr_hot_prot_ipa(r);
	c->a[2] = ipa;
	if (c->op == OP_DATA_CREATE) {
		c->a[3] = rr_pick_ns();
		c->a[4] = rr_rn(2) ? RMI_MEASURE_CONTENT : 0;
		if (c->a[3]) {
			uint64_t v[4] = {rr_rnd(), rr_rnd(), c->a[2], rr_model.step};
			assert_int_equal(host_mem_write(c->a[3] + 8 * rr_rn(500), v, sizeof(v)), 0);
		}
	}
	if (c->hostile) {
		switch (rr_rn(9)) {
		case 0:
			c->a[2] = hostile_ipa(r);
			break;
		case 1:
			c->a[2] = r ? rr_hot_unprot_ipa(r) : 0; /* unprotected IPA */
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
			c->a[4] = rr_rnd();
			break;
		case 6:
			c->a[3] = c->a[1]; /* src == the delegated target */
			break;
		case 7:
			if (r && r->data.n) /* an IPA that is already assigned */
				c->a[2] = ((struct mdata *)rr_vec_at(&r->data, rr_rn(r->data.n)))
						  ->ipa;
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

	c->a[0] = some_rd(&r, c->hostile && rr_chance(20));
	c->a[1] = r ? rr_hot_prot_ipa(r) : rr_rnd();
	/* Some DATA of the realm, not one a plan is still building a block from. */
	for (int t = 0; r && r->data.n && t < 8; t++) {
		struct mdata *d = rr_vec_at(&r->data, rr_rn(r->data.n));
		c->a[1] = d->ipa;
		if (!rr_mg(d->pa)->reserved)
			break;
	}
	if (c->hostile)
		c->a[1] = rr_chance(50) ? hostile_ipa(r) : (r ? rr_hot_unprot_ipa(r) : rr_rnd());
}

static void gen_init_ripas(struct cmd *c)
{
	struct mrealm *r;

	c->a[0] = some_rd(&r, c->hostile && rr_chance(20));
	for (int t = 0; t < 6 && r && !c->hostile && r->state != RMI_REALM_NEW; t++) {
		r = rr_pick_realm();
		c->a[0] = r->rd;
	}
	uint64_t base = r ? rr_hot_prot_ipa(r) : rr_rnd();
	if (r && !c->hostile && rr_chance(50) && rr_want_rtt(c, r, base))
		return;
	c->a[1] = base;
	c->a[2] = base + GRANULE_SIZE * (1 + rr_rn(rr_chance(80) ? 16 : 1024));
	if (rr_chance(20) && r)
		c->a[1] = ALIGN_DOWN(base, RTT_LEVEL_SIZE(2)),
		c->a[2] = c->a[1] + RTT_LEVEL_SIZE(2);
	if (c->hostile) {
		switch (rr_rn(4)) {
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
			c->a[2] = r ? rr_par(r) + GRANULE_SIZE : ~0ULL;
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
		for (unsigned i = 0; rr_model.realms[r].live && i < MAX_RECS; i++)
			n += rr_model.realms[r].recs[i].live && pred(&rr_model.realms[r].recs[i]);
	if (!n)
		return rr_pick_any_rec(rr);
	k = (unsigned)rr_rn(n);
	for (unsigned r = 0; r < MAX_REALMS; r++)
		for (unsigned i = 0; rr_model.realms[r].live && i < MAX_RECS; i++)
			if (rr_model.realms[r].recs[i].live && pred(&rr_model.realms[r].recs[i]) &&
			    k-- == 0) {
				*rr = &rr_model.realms[r];
				return &rr_model.realms[r].recs[i];
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
		c->a[2] = r ? rr_hot_prot_ipa(r) : 0;
		c->a[3] = c->a[2] + GRANULE_SIZE;
		c->hostile = true;
		return;
	}
	c->a[0] = r->rd;
	c->a[1] = rec->pa;
	c->a[2] = rec->ripas_next;
	c->a[3] = rec->ripas_top;
	if (!waits_ripas(rec)) {
		c->a[2] = rr_hot_prot_ipa(r);
		c->a[3] = c->a[2] + GRANULE_SIZE;
		c->hostile = true;
	} else if (!c->hostile && rr_chance(80) && rr_want_rtt(c, r, c->a[2])) {
		return;
	}
	if (c->hostile) {
		switch (rr_rn(5)) {
		case 0: {
			/* The RD of another realm, one with a table there if possible. */
			struct mrealm *o = rr_pick_realm();
			for (int t = 0;
			     t < 8 && o && (o == r || rr_deepest(o, c->a[2]) < RTT_PAGE_LEVEL); t++)
				o = rr_pick_realm();
			c->a[0] = o ? o->rd : hostile_addr();
			break;
		}
		case 1:
			c->a[2] += GRANULE_SIZE * (1 + rr_rn(4));
			break;
		case 2:
			c->a[3] += GRANULE_SIZE * (1 + rr_rn(4));
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
		struct mrec *o = rr_pick_rec(r);
		c->a[1] = o ? o->pa : hostile_addr();
	}
	c->a[2] = rr_chance(85) ? PSCI_RET_SUCCESS
				: (rr_chance(70) ? (uint64_t)PSCI_RET_DENIED : rr_rnd());
	if (c->hostile) {
		switch (rr_rn(4)) {
		case 0:
			c->a[1] = c->a[0];
			break;
		case 1: {
			struct mrealm *o;
			struct mrec *x = rr_pick_any_rec(&o);
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

	return rr_rec_of(c->pa, &r) && r->kind == RB_REALM_KIND_CONTAINER;
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
	struct mrealm *sys = rec && cr ? rr_realm_of(cr->sys_rd) : NULL;

	bool usable = rec && sys && (c->op == OP_RB_CHANNEL_CREATE ? chan_less(rec) : rec->chan);
	struct mrealm *other;

	if (c->op == OP_RB_CHANNEL_CREATE) {
		uint64_t ipa = sys && sys->chan_base ? sys->chan_base + GRANULE_SIZE * rr_rn(8)
						     : (sys ? rr_hot_prot_ipa(sys) : rr_rnd());
		c->a[0] = sys ? sys->rd : some_rd(&other, true);
		c->a[1] = rr_pick_deleg();
		c->a[2] = rec ? rec->pa : hostile_addr();
		c->a[3] = ipa;
	} else {
		c->a[0] = rec && rec->chan ? rec->chan_sys_rd : (sys ? sys->rd : hostile_addr());
		c->a[1] = rec ? rec->pa : hostile_addr();
		c->a[2] = rec && rec->chan ? rec->chan_ipa : rr_rnd();
	}
	if (!usable)
		c->hostile = true;
	if (c->hostile) {
		struct mrealm *o;
		struct mrec *x;
		switch (rr_rn(6)) {
		case 0: /* the RD of the container itself, or another realm */
			c->a[0] = cr && rr_chance(50) ? cr->rd : some_rd(&o, false);
			break;
		case 1: /* a REC that is no container, or another System Realm's */
			x = rr_pick_any_rec(&o);
			c->a[c->op == OP_RB_CHANNEL_CREATE ? 2 : 1] = x ? x->pa : hostile_addr();
			break;
		case 2: /* an IPA: unprotected, misaligned, where DATA is */
			c->a[c->op == OP_RB_CHANNEL_CREATE ? 3 : 2] =
				sys ? (rr_chance(50) ? rr_hot_unprot_ipa(sys) : hostile_ipa(sys))
				    : rr_rnd();
			break;
		case 3:
			if (c->op == OP_RB_CHANNEL_CREATE) /* the channel granule: not delegated */
				c->a[1] = hostile_addr();
			break;
		case 4:
			if (c->op == OP_RB_CHANNEL_CREATE && sys &&
			    sys->data.n) /* over a DATA page */
				c->a[3] =
					((struct mdata *)rr_vec_at(&sys->data, rr_rn(sys->data.n)))
						->ipa;
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
		c->a[0] = c->hostile ? hostile_addr() : rr_pick_ns();
	else
		c->a[0] = c->hostile ? hostile_addr() : rr_pick_deleg();
	if (!c->a[0])
		c->a[0] = hostile_addr();
}

void rr_gen_random(struct cmd *c)
{
	static unsigned total;
	struct mrealm *r;
	unsigned w;

	if (!total)
		for (int i = 0; i < OP_NR; i++)
			total += rr_ops[i].weight;
	memset(c, 0, sizeof(*c));
	w = (unsigned)rr_rn(total);
	for (c->op = 0; w >= rr_ops[c->op].weight; c->op++)
		w -= rr_ops[c->op].weight;
	if (!rr_fasco_on && (c->op == OP_RB_CHANNEL_CREATE || c->op == OP_RB_CHANNEL_DESTROY ||
			     c->op == OP_RB_REALM_COUNTERS))
		c->op = OP_REC_ENTER;
	/* Keep the pools in shape: a realm-starved or delegation-flooded host. */
	if (c->op == OP_REALM_DESTROY && rr_live_realms() < 3 && rr_chance(70))
		c->op = OP_REALM_CREATE;
	if (c->op == OP_REALM_CREATE && rr_live_realms() >= LIVE_REALMS_TARGET &&
	    (rr_chance(80) || rr_live_realms() >= MAX_REALMS - 2))
		c->op = OP_REC_ENTER;
	size_t nd = rr_deleg_avail();
	if (c->op == OP_DELEGATE && nd > 64 && rr_chance(80))
		c->op = OP_UNDELEGATE;
	if (nd < 40 && rr_chance(25))
		c->op = OP_DELEGATE;
	/* A realm torn down leaves hundreds of DELEGATED granules: give most back. */
	if (nd > 96 && rr_chance(60))
		c->op = OP_UNDELEGATE;
	if (c->op == OP_REC_CREATE) {
		bool room = false;
		for (unsigned k = 0; k < MAX_REALMS; k++)
			room |= rr_model.realms[k].live &&
				rr_model.realms[k].state == RMI_REALM_NEW &&
				rr_nrecs(&rr_model.realms[k]) < REC_TARGET;
		if (!room)
			c->op = OP_REC_ENTER;
	}
	c->hostile = rr_chance(25);
	c->fid = rr_ops[c->op].fid;

	switch (c->op) {
	case OP_VERSION:
		c->a[0] = rr_chance(50) ? RMI_ABI_VERSION : rr_rnd();
		break;
	case OP_FEATURES:
		c->a[0] = rr_chance(50) ? 0 : rr_rnd();
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
				(r->state != RMI_REALM_NEW || !rr_nrecs(r));
		     t++) {
			r = rr_pick_realm();
			c->a[0] = r->rd;
		}
		break;
	case OP_REC_CREATE:
		gen_rec_create(c);
		break;
	case OP_REC_DESTROY: {
		struct mrec *rec = rr_pick_any_rec(&r);
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
		c->a[0] = some_rd(&r, c->hostile && rr_chance(30));
		c->a[1] = r ? rr_any_ipa(r) : rr_rnd();
		if (r && r->data.n && rr_chance(40))
			c->a[1] = ((struct mdata *)rr_vec_at(&r->data, rr_rn(r->data.n)))->ipa;
		c->a[2] = c->hostile ? hostile_level() : RTT_PAGE_LEVEL - rr_rn(2);
		if (c->hostile && rr_chance(50))
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
		c->fid = rr_rn(4) ? SMC64_FID(holes[rr_rn(ARRAY_SIZE(holes))])
				  : (rr_rn(2) ? (0x84000000ULL | (0x150 + rr_rn(0x40))) : rr_rnd());
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
		c->fid = el3[rr_rn(ARRAY_SIZE(el3))];
		c->a[0] =
			rr_chance(50) ? known_in_state((unsigned)rr_rn(M_NSTATES)) : hostile_addr();
		c->a[1] = hostile_addr();
		c->hostile = true;
		break;
	}
	default:
		break;
	}
}
