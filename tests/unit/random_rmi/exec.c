/*
 * Execution of the random RMI sequence's commands: each call is issued
 * under a watchdog, recorded in the history, checked against the oracles
 * (what must fail, statuses, REC exits, granule states against the RMM's,
 * inv_check) and the host model updated from its result. Also the failure
 * reports (seed, step, last calls).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch/esr.h"
#include "arch/s2tt.h"
#include "random_rmi.h"

uint64_t rr_seed;

/* ---- Reporting ---------------------------------------------------------- */

static void print_cmd(const struct cmd *c, uint64_t step)
{
	fprintf(stderr,
		"  #%-7" PRIu64 " %-22s %s%s(%#" PRIx64 ", %#" PRIx64 ", %#" PRIx64 ", %#" PRIx64
		", %#" PRIx64 ") -> %s/%" PRIu64 " [%#" PRIx64 " %#" PRIx64 " %#" PRIx64 "]%s%s\n",
		step, rr_ops[c->op].name, c->hostile ? "hostile " : "", c->plan ? "plan " : "",
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
		rr_seed, rr_seed, rr_model.step, what);
	unsigned n = rr_model.hist_n < HIST ? rr_model.hist_n : HIST;
	for (unsigned k = 0; k < n; k++) {
		unsigned i = (rr_model.hist_n - n + k) % HIST;
		print_cmd(&rr_model.hist[i], rr_model.hist_step[i]);
	}
	fail_msg("random RMI: invariant violated at step %" PRIu64 " (seed %#" PRIx64 ")",
		 rr_model.step, rr_seed);
	abort(); /* not reached: fail_msg leaves the test */
}

void rr_failf(const char *fmt, ...)
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
unsigned rr_step_timeout;

void rr_watchdog(int sig)
{
	(void)sig;
	fprintf(stderr,
		"\nrandom RMI FAILED: seed %#" PRIx64 ", step %" PRIu64
		": a call did not return within %u s (deadlock or endless realm)\n",
		rr_seed, rr_model.step, rr_step_timeout);
	unsigned n = rr_model.hist_n < HIST ? rr_model.hist_n : HIST;
	for (unsigned k = 0; k < n; k++) {
		unsigned i = (rr_model.hist_n - n + k) % HIST;
		print_cmd(&rr_model.hist[i], rr_model.hist_step[i]);
	}
	if (in_flight) {
		fprintf(stderr, "in flight (the status shown is not one):\n");
		print_cmd(in_flight, rr_model.step);
	}
	_exit(1);
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

const char *rr_sname(unsigned s)
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
		n += rr_model.realms[r].live &&
		     rr_model.realms[r].kind == RB_REALM_KIND_CONTAINER &&
		     rr_model.realms[r].sys_rd == rd;
	return n;
}

unsigned rr_channels_in(uint64_t rd)
{
	unsigned n = 0;

	for (unsigned r = 0; r < MAX_REALMS; r++)
		for (unsigned k = 0; rr_model.realms[r].live && k < MAX_RECS; k++)
			n += rr_model.realms[r].recs[k].live && rr_model.realms[r].recs[k].chan &&
			     rr_model.realms[r].recs[k].chan_sys_rd == rd;
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
		if (!rr_good_granule_addr(pa))
			return "a granule argument that is not a granule of the NS region";
		if (rr_mstate(pa) != gargs[c->op].st[k])
			return "a granule argument in the wrong state";
	}
	if (gargs[c->op].n && gargs[c->op].st[0] == RMI_GRANULE_RD)
		r = rr_realm_of(c->a[0]);
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
			if (!rr_good_granule_addr(rt) || rr_mstate(rt) != RMI_GRANULE_DELEGATED)
				return "a root RTT that is not DELEGATED";
		}
		for (unsigned k = 0; k < MAX_REALMS; k++) {
			if (rr_model.realms[k].live && rr_model.realms[k].vmid == p->vmid)
				return "a VMID in use";
		}
		if (p->s2sz < 32 || p->s2sz > 48 || p->rtt_level_start < 0 ||
		    p->rtt_level_start > 3 || p->rtt_num_start < 1 || p->rtt_num_start > 16 ||
		    p->hash_algo > 1)
			return "params out of range";
		struct rb_realm_params_ext ext = rr_params_ext(p);
		if (ext.kind >= RB_REALM_KIND_NR)
			return "no such realm kind";
		if (ext.kind != RB_REALM_KIND_CONTAINER && ext.system_rd)
			return "a realm that is not a container bound to a System Realm";
		if (ext.kind == RB_REALM_KIND_CONTAINER) {
			struct mrealm *sys = rr_realm_of(ext.system_rd);
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
			if (!rr_good_granule_addr(q->aux[i]) ||
			    rr_mstate(q->aux[i]) != RMI_GRANULE_DELEGATED)
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
		if (r && (bound_to(r->rd) || rr_channels_in(r->rd)))
			return "a System Realm with containers or channels";
		break;
	case OP_REC_DESTROY: {
		struct mrec *rec = rr_rec_of(c->a[0], NULL);
		if (rec && rec->chan)
			return "a container REC that still has a channel";
		break;
	}
	case OP_RB_CHANNEL_CREATE:
	case OP_RB_CHANNEL_DESTROY: {
		struct mrealm *cr = NULL;
		struct mrec *rec =
			rr_rec_of(c->op == OP_RB_CHANNEL_CREATE ? c->a[2] : c->a[1], &cr);
		uint64_t ipa = c->op == OP_RB_CHANNEL_CREATE ? c->a[3] : c->a[2];
		if (r && r->kind != RB_REALM_KIND_SYSTEM)
			return "a channel in a realm that is not a System Realm";
		if (rec && (cr->kind != RB_REALM_KIND_CONTAINER || cr->sys_rd != c->a[0]))
			return "a REC that is not a container of this System Realm";
		if (r && (!IS_ALIGNED(ipa, GRANULE_SIZE) || ipa >= rr_par(r)))
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
		if (rr_rec_of(c->a[0], &rr) && rr->state == RMI_REALM_NEW)
			return "realm NEW";
		break;
	}
	case OP_PSCI_COMPLETE: {
		struct mrealm *r0 = NULL, *r1 = NULL;
		if (c->a[0] == c->a[1])
			return "calling == target";
		if (rr_rec_of(c->a[0], &r0) && rr_rec_of(c->a[1], &r1) && r0 != r1)
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
		if (c->a[1] < rr_par(r) || c->a[1] >= (1ULL << r->ipa_bits))
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
		if (r && (!IS_ALIGNED(ipa, GRANULE_SIZE) || ipa >= rr_par(r)))
			return "IPA misaligned or not protected";
		if (c->op == OP_DATA_CREATE && r && r->state != RMI_REALM_NEW)
			return "DATA_CREATE in a realm that is not NEW";
		if (c->op == OP_DATA_CREATE && (c->a[4] & ~RMI_MEASURE_CONTENT))
			return "undefined flags";
		if (c->op != OP_DATA_DESTROY && r && rr_find_data(r, ipa, NULL))
			return "IPA already has DATA";
		break;
	}
	case OP_RTT_INIT_RIPAS:
		if (r && (c->a[2] <= c->a[1] || !IS_ALIGNED(c->a[1], GRANULE_SIZE) ||
			  !IS_ALIGNED(c->a[2], GRANULE_SIZE) || c->a[2] > rr_par(r)))
			return "bad RIPAS range";
		if (r && r->state != RMI_REALM_NEW)
			return "realm not NEW";
		break;
	case OP_RTT_SET_RIPAS: {
		struct mrealm *rr = NULL;
		if (rr_rec_of(c->a[1], &rr) && rr != r)
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
		rr_failf("REC_CREATE succeeded but the model has no room (more than %d RECs)",
			 MAX_RECS);
	memset(rec, 0, sizeof(*rec));
	rec->live = true;
	rec->pa = c->a[1];
	rec->idx = mpidr_to_rec_idx(c->cp->mpidr);
	memcpy(rec->aux, c->cp->aux, sizeof(rec->aux));
	rec->run = rr_take_ns();
	rr_set_state(c->a[1], RMI_GRANULE_REC);
	for (unsigned i = 0; i < AUX; i++)
		rr_set_state(rec->aux[i], RMI_GRANULE_REC_AUX);
	r->rec_count++;
}

static void model_rtt_created(struct mrealm *r, uint64_t pa, uint64_t ipa, long level)
{
	struct mrtt *t = rr_vec_push(&r->rtts);
	size_t i;

	t->pa = pa;
	t->ipa = ALIGN_DOWN(ipa, RTT_LEVEL_SIZE(level - 1));
	t->level = level;
	rr_set_state(pa, RMI_GRANULE_RTT);
	/* Splitting an NS block: 512 page mappings. */
	struct mmap *m = rr_find_map(r, t->ipa, level - 1, &i);
	if (m) {
		uint64_t desc = m->desc;
		rr_vec_del(&r->maps, i);
		for (unsigned k = 0; k < RTT_ENTRIES; k++) {
			struct mmap *n = rr_vec_push(&r->maps);
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
	struct mrtt *t = rr_find_rtt(r, ipa, level, &i);

	if (!t)
		rr_failf("%s succeeded for a table the model does not know (IPA %#" PRIx64 " L%ld)",
			 rr_ops[c->op].name, ipa, level);
	if (t->pa != c->out[0])
		rr_failf("%s returned RTT %#" PRIx64 ", the model has %#" PRIx64,
			 rr_ops[c->op].name, c->out[0], t->pa);
	for (size_t k = 0; k < r->rtts.n; k++) {
		struct mrtt *u = rr_vec_at(&r->rtts, k);
		if (u->level > level && ALIGN_DOWN(u->ipa, RTT_LEVEL_SIZE(level - 1)) == t->ipa)
			rr_failf("%s of IPA %#" PRIx64 " L%ld succeeded with a child table at L%ld",
				 rr_ops[c->op].name, ipa, level, u->level);
	}
	uint64_t pa = t->pa;
	rr_vec_del(&r->rtts, i);
	rr_set_state(pa, RMI_GRANULE_DELEGATED);
	if (!fold) {
		/* A destroyed table must have had no mappings and no DATA. */
		for (size_t k = 0; k < r->data.n; k++) {
			struct mdata *d = rr_vec_at(&r->data, k);
			if (ALIGN_DOWN(d->ipa, RTT_LEVEL_SIZE(level - 1)) ==
			    ALIGN_DOWN(ipa, RTT_LEVEL_SIZE(level - 1)))
				rr_failf("RTT_DESTROY succeeded on a table with DATA at %#" PRIx64,
					 d->ipa);
		}
		return;
	}
	/* Folding 512 NS pages: one block. */
	uint64_t base = ALIGN_DOWN(ipa, RTT_LEVEL_SIZE(level - 1));
	unsigned n = 0;
	uint64_t desc0 = 0;
	struct mmap *m0 = rr_find_map(r, base, level, NULL);
	if (m0)
		desc0 = m0->desc;
	for (size_t k = 0; k < r->maps.n;) {
		struct mmap *m = rr_vec_at(&r->maps, k);
		if (m->level == level && ALIGN_DOWN(m->ipa, RTT_LEVEL_SIZE(level - 1)) == base) {
			/* A block maps contiguous OAs with one set of attributes. */
			if (m->desc != desc0 + (m->ipa - base))
				rr_failf("RTT_FOLD folded NS mapping %#" PRIx64 " -> %#" PRIx64
					 " that is not contiguous with %#" PRIx64 " -> %#" PRIx64,
					 m->ipa, m->desc, base, desc0);
			n++;
			rr_vec_del(&r->maps, k);
		} else {
			k++;
		}
	}
	if (n != 0 && n != RTT_ENTRIES)
		rr_failf("RTT_FOLD succeeded on a table with %u of 512 NS mappings", n);
	unsigned nd = 0;
	struct mdata *d0 = rr_find_data(r, base, NULL);
	for (size_t k = 0; k < r->data.n; k++) {
		struct mdata *d = rr_vec_at(&r->data, k);
		if (ALIGN_DOWN(d->ipa, RTT_LEVEL_SIZE(level - 1)) != base)
			continue;
		nd++;
		if (!d0 || d->pa != d0->pa + (d->ipa - base) ||
		    !IS_ALIGNED(d0->pa, RTT_LEVEL_SIZE(level - 1)))
			rr_failf("RTT_FOLD folded DATA %#" PRIx64 " at IPA %#" PRIx64
				 " into a block it is not part of",
				 d->pa, d->ipa);
	}
	if (nd != 0 && (nd != RTT_ENTRIES || level != RTT_PAGE_LEVEL))
		rr_failf("RTT_FOLD of L%ld at %#" PRIx64 " succeeded over %u DATA granules", level,
			 base, nd);
	if (n) {
		struct mmap *m = rr_vec_push(&r->maps);
		m->ipa = base;
		m->level = level - 1;
		m->desc = desc0;
	}
}

static void model_realm_destroyed(struct mrealm *r)
{
	if (rr_nrecs(r) || r->rtts.n || r->data.n || r->maps.n)
		rr_failf("REALM_DESTROY succeeded with %u RECs, %zu RTTs, %zu DATA, %zu mappings",
			 rr_nrecs(r), r->rtts.n, r->data.n, r->maps.n);
	rr_set_state(r->rd, RMI_GRANULE_DELEGATED);
	for (unsigned k = 0; k < r->nroots; k++)
		rr_set_state(r->rtt_base + k * GRANULE_SIZE, RMI_GRANULE_DELEGATED);
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
		rr_failf("REC of a realm of kind %" PRIu64 " exits with reason %#" PRIx64, r->kind,
			 x->exit_reason);
	for (unsigned i = allowed; i < RMI_REC_GPRS; i++) {
		if (x->gprs[i])
			rr_failf("REC exit %" PRIu64 " shows realm x%u = %#" PRIx64, x->exit_reason,
				 i, x->gprs[i]);
	}
	if ((x->exit_reason > RMI_EXIT_SERROR && x->exit_reason < RMI_EXIT_REALMBOX_BASE) ||
	    x->exit_reason > RMI_EXIT_RB_EXITED)
		rr_failf("REC exit reason %" PRIu64, x->exit_reason);
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
		r = rr_realm_of(c->a[0]);
		if (!r)
			rr_failf("%s succeeded on %#" PRIx64 ", not an RD of the model",
				 rr_ops[c->op].name, c->a[0]);
	}
	switch (c->op) {
	case OP_DELEGATE:
		rr_set_state(c->a[0], RMI_GRANULE_DELEGATED);
		break;
	case OP_UNDELEGATE:
		rr_set_state(c->a[0], RMI_GRANULE_NS);
		break;
	case OP_REALM_CREATE: {
		struct mrealm *n = NULL;
		for (unsigned k = 0; k < MAX_REALMS && !n; k++)
			if (!rr_model.realms[k].live)
				n = &rr_model.realms[k];
		if (!n)
			rr_failf("REALM_CREATE succeeded but the model holds %d realms",
				 MAX_REALMS);
		memset(n, 0, sizeof(*n));
		n->live = true;
		n->rd = c->a[0];
		n->ipa_bits = (unsigned)c->rp->s2sz;
		n->sl = (long)c->rp->rtt_level_start;
		n->nroots = (unsigned)c->rp->rtt_num_start;
		n->rtt_base = c->rp->rtt_base;
		n->vmid = c->rp->vmid;
		n->state = RMI_REALM_NEW;
		n->kind = rr_params_ext(c->rp).kind;
		n->sys_rd = rr_params_ext(c->rp).system_rd;
		n->rtts = (struct vec)VEC(struct mrtt);
		n->data = (struct vec)VEC(struct mdata);
		n->maps = (struct vec)VEC(struct mmap);
		rr_set_state(c->a[0], RMI_GRANULE_RD);
		for (unsigned k = 0; k < n->nroots; k++)
			rr_set_state(n->rtt_base + k * GRANULE_SIZE, RMI_GRANULE_RTT);
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
			rr_failf("REC_AUX_COUNT says %" PRIu64, c->out[0]);
		break;
	case OP_REC_CREATE:
		model_new_rec(r, c);
		break;
	case OP_REC_DESTROY:
		rec = rr_rec_of(c->a[0], &r);
		if (!rec)
			rr_failf("REC_DESTROY succeeded on %#" PRIx64 ", not a REC of the model",
				 c->a[0]);
		rr_set_state(rec->pa, RMI_GRANULE_DELEGATED);
		for (unsigned k = 0; k < AUX; k++)
			rr_set_state(rec->aux[k], RMI_GRANULE_DELEGATED);
		rr_release(rec->run);
		memset(rec, 0, sizeof(*rec));
		break;
	case OP_REC_ENTER: {
		struct rmi_rec_exit x;
		rec = rr_rec_of(c->a[0], &r);
		if (!rec)
			rr_failf("REC_ENTER succeeded on %#" PRIx64 ", not a REC of the model",
				 c->a[0]);
		assert_int_equal(
			host_mem_read(c->a[1] + offsetof(struct rmi_rec_run, exit), &x, sizeof(x)),
			0);
		c->out[0] = x.exit_reason;
		rr_model.exits[x.exit_reason <= RMI_EXIT_SERROR ? x.exit_reason : 7]++;
		c->out[1] = x.esr;
		c->out[2] = x.hpfar;
		check_exit(r, rec, &x);
		break;
	}
	case OP_PSCI_COMPLETE:
		rec = rr_rec_of(c->a[0], &r);
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
		long deep = rr_deepest(r, ipa);
		long expect = deep < (long)level ? deep : (long)level;
		if (!rr_find_map(r, ALIGN_DOWN(ipa, RTT_LEVEL_SIZE(RTT_MIN_BLOCK_LEVEL)),
				 RTT_MIN_BLOCK_LEVEL, NULL) &&
		    !(deep == RTT_MIN_BLOCK_LEVEL && level == RTT_PAGE_LEVEL) && (long)wl != expect)
			rr_failf("RTT_READ_ENTRY at %#" PRIx64 " L%" PRIu64 " walked to L%" PRIu64
				 ", the model's tables reach L%ld",
				 ipa, level, wl, deep);
		struct mdata *d = rr_find_data(r, ipa, NULL);
		if (d && wl == RTT_PAGE_LEVEL &&
		    (c->out[1] != RMI_RTT_ASSIGNED || c->out[2] != d->pa))
			rr_failf("RTT_READ_ENTRY of DATA %#" PRIx64 " at %#" PRIx64
				 " says state %" PRIu64 " desc %#" PRIx64,
				 d->pa, d->ipa, c->out[1], c->out[2]);
		struct mrtt *t =
			wl < RTT_PAGE_LEVEL ? rr_find_rtt(r, ipa, (long)wl + 1, NULL) : NULL;
		if (t && IS_ALIGNED(ipa, RTT_LEVEL_SIZE(wl)) &&
		    (c->out[1] != RMI_RTT_TABLE || c->out[2] != t->pa))
			rr_failf("RTT_READ_ENTRY at %#" PRIx64 " L%" PRIu64 " says state %" PRIu64
				 " desc %#" PRIx64 ", the model has RTT %#" PRIx64,
				 ipa, wl, c->out[1], c->out[2], t->pa);
		struct mmap *m = rr_find_map(r, ipa, (long)wl, NULL);
		if (m && (c->out[1] != RMI_RTT_ASSIGNED || c->out[2] != m->desc))
			rr_failf("RTT_READ_ENTRY of the NS mapping at %#" PRIx64
				 " says state %" PRIu64 " desc %#" PRIx64 ", mapped with %#" PRIx64,
				 ipa, c->out[1], c->out[2], m->desc);
		break;
	}
	case OP_RTT_MAP_UNPROTECTED: {
		struct mmap *m = rr_vec_push(&r->maps);
		m->ipa = c->a[1];
		m->level = (long)c->a[2];
		m->desc = c->a[3];
		break;
	}
	case OP_RTT_UNMAP_UNPROTECTED:
		if (!rr_find_map(r, c->a[1], (long)c->a[2], &i))
			rr_failf("RTT_UNMAP_UNPROTECTED succeeded where the model has no mapping");
		rr_vec_del(&r->maps, i);
		break;
	case OP_RTT_SET_RIPAS:
		rec = rr_rec_of(c->a[1], NULL);
		if (rec) {
			if (c->out[0] <= c->a[2] || c->out[0] > c->a[3])
				rr_failf("RTT_SET_RIPAS top %#" PRIx64 " outside (%#" PRIx64
					 ", %#" PRIx64 "]",
					 c->out[0], c->a[2], c->a[3]);
			rec->ripas_next = c->out[0];
		}
		break;
	case OP_RB_CHANNEL_CREATE:
		rec = rr_rec_of(c->a[2], NULL);
		if (!rec)
			rr_failf("RB_CHANNEL_CREATE succeeded for %#" PRIx64
				 ", not a REC of the model",
				 c->a[2]);
		rec->chan = c->a[1];
		rec->chan_sys_rd = c->a[0];
		rec->chan_ipa = c->a[3];
		rr_set_state(c->a[1], M_CHANNEL);
		break;
	case OP_RB_CHANNEL_DESTROY:
		rec = rr_rec_of(c->a[1], NULL);
		if (!rec || !rec->chan)
			rr_failf("RB_CHANNEL_DESTROY succeeded for %#" PRIx64
				 ", which has no channel",
				 c->a[1]);
		if (c->out[0] != rec->chan)
			rr_failf("RB_CHANNEL_DESTROY returned %#" PRIx64
				 ", the channel is %#" PRIx64,
				 c->out[0], rec->chan);
		rr_set_state(rec->chan, RMI_GRANULE_DELEGATED);
		rec->chan = 0;
		break;
	case OP_DATA_CREATE:
	case OP_DATA_CREATE_UNKNOWN: {
		struct mdata *d = rr_vec_push(&r->data);
		d->pa = c->a[1];
		d->ipa = c->a[2];
		rr_set_state(c->a[1], RMI_GRANULE_DATA);
		break;
	}
	case OP_DATA_DESTROY: {
		struct mdata *d = rr_find_data(r, c->a[1], &i);
		if (!d)
			rr_failf("DATA_DESTROY succeeded at %#" PRIx64
				 " where the model has no DATA",
				 c->a[1]);
		if (d->pa != c->out[0])
			rr_failf("DATA_DESTROY returned %#" PRIx64 ", the model has %#" PRIx64,
				 c->out[0], d->pa);
		uint64_t pa = d->pa;
		rr_vec_del(&r->data, i);
		rr_set_state(pa, RMI_GRANULE_DELEGATED);
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
		rec = rr_rec_of(c->a[0], &r);
		if (rec && RMI_STATUS_CODE(c->ret) == RMI_ERROR_REALM &&
		    RMI_STATUS_INDEX(c->ret) == 1)
			r->state = RMI_REALM_SYSTEM_OFF;
		break;
	case OP_RTT_SET_RIPAS:
		/* The REC may have moved on; forget the request if the RMM refuses it. */
		rec = rr_rec_of(c->a[1], NULL);
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

	for (uint64_t i = 0; i < rr_model.nr; i++) {
		unsigned s = ga[i].state;
		if (s != rr_model.g[i].st)
			rr_failf("granule %#" PRIx64
				 " is %s for the RMM, %s for the model (a failed call "
				 "changed it, or a success made the wrong transition)",
				 rr_model.dram_base + (i << GRANULE_SHIFT), rr_sname(s),
				 rr_sname(rr_model.g[i].st));
	}
}

void rr_exec(struct cmd *c)
{
	struct smc_regs res;
	const char *certain;
	unsigned h;

	if (!c->fid)
		c->fid = rr_ops[c->op].fid;
	certain = must_fail(c);
	memset(&res, 0, sizeof(res));
	in_flight = c;
	alarm(rr_step_timeout);
	c->ret = host_rmi(c->fid, c->a[0], c->a[1], c->a[2], c->a[3], c->a[4], c->a[5], &res);
	alarm(0);
	in_flight = NULL;
	for (int k = 0; k < 4; k++)
		c->out[k] = res.x[1 + k];
	h = rr_model.hist_n++ % HIST;
	rr_model.hist[h] = *c;
	rr_model.hist_step[h] = rr_model.step;
	rr_model.calls[c->op]++;
	rr_model.status[c->op][RMI_STATUS_CODE(c->ret) < 5 && c->ret != SMC_UNKNOWN
				       ? RMI_STATUS_CODE(c->ret)
				       : 5]++;

	if (c->op == OP_UNKNOWN_FID || c->op == OP_EL3_FID) {
		if (c->ret != SMC_UNKNOWN)
			rr_failf("FID %#" PRIx64 " from the Normal world returned %#" PRIx64
				 ", not SMC_UNKNOWN",
				 c->fid, c->ret);
		return;
	}
	if (c->ret == RMI_SUCCESS) {
		rr_model.ok[c->op]++;
		if (certain)
			rr_failf("%s succeeded with %s", rr_ops[c->op].name, certain);
		model_success(c);
	} else {
		if (RMI_STATUS_CODE(c->ret) > RMI_ERROR_RTT || c->ret == SMC_UNKNOWN)
			rr_failf("%s returned %#" PRIx64 ", not an RMI status", rr_ops[c->op].name,
				 c->ret);
		model_failure(c);
	}
	if (c->op == OP_VERSION && c->ret == RMI_SUCCESS &&
	    (c->out[0] != RMI_ABI_VERSION || c->out[1] != RMI_ABI_VERSION))
		rr_failf("VERSION says lower %#" PRIx64 " higher %#" PRIx64, c->out[0], c->out[1]);
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
	if (want && !c->hostile && strcmp(want, rr_ops[c->op].name) == 0)
		print_cmd(c, rr_model.step);
}

void rr_check_step(void)
{
	if (inv_check(rr_model.why, sizeof(rr_model.why)) != 0)
		rr_failf("inv_check: %s", rr_model.why);
	check_model_states();
}

void rr_run_cmd(struct cmd *c)
{
	rr_exec(c);
	trace(c);
	rr_check_step();
	rr_model.step++;
}
