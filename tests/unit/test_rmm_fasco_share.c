/*
 * MAP_SHARED memory in the Fasco ABI. Across fork (RSI_RB_SHARE): a fork
 * child maps the parent's very DATA granules; a SHARED granule counts its
 * mappings and is neither scrubbed, reused (MAP) nor destroyed
 * (DATA_DESTROY) while an address space maps it; the end of either
 * process leaves the other's pages alone. Hostile System Realm input is
 * refused and counted: a child of another Container Realm, a channel that
 * is not one, the same channel twice, a REC that has run, no clone
 * pending, bad ranges. A random sequence of MAP/UNMAP/SHARE checks the
 * RMM against a model and the invariant checker after every call. A
 * container's own mmap of a file with MAP_SHARED makes a sync range whose
 * pages the System Realm may copy at any request, and nothing else.
 */
#include "fasco_test_util.h"

#include <errno.h>
#include <stdlib.h>

#include "rmm/fasco.h"

#define CODE_VA 0x400000ULL
#define STACK_VA 0x7ff000ULL
#define SP0 (STACK_VA + 0x800)
#define SHARED_VA 0x500000ULL
#define T_SIGCHLD 17ULL

/* The container's code: svc; b . */
static const uint32_t code[] = {0xd4000001, 0x14000000};

static struct fx_sys sys;
static struct fx_cont cont, other;

/* START of the A64 parent: code, stack and a shared page; it runs to clone(flags). */
static void start_parent(uint64_t clone_flags, const char *word)
{
	static uint8_t page[GRANULE_SIZE], data[GRANULE_SIZE];
	static struct rb_regs r;
	struct rmi_rec_exit exit;

	assert_int_equal(fx_cont_enter(&cont, &exit), RMI_SUCCESS);
	assert_true(fx_exit_is_bare_forward(&exit));
	memset(page, 0, sizeof(page));
	memcpy(page, code, sizeof(code));
	memset(data, 0, sizeof(data));
	strcpy((char *)data, word);
	memset(&r, 0, sizeof(r));
	r.mask = RB_REGS_PC | RB_REGS_SP | BIT(0) | BIT(8);
	r.pc = CODE_VA;
	r.sp = SP0;
	r.x[0] = clone_flags;
	r.x[8] = 220;
	fxq_reset();
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_TAKE, cont.chan_ipa, 0, 0, 0);
	fxq_write(SYS_PAGE_IPA, page, sizeof(page));
	fxq_smc(SMC_RSI_RB_MAP, cont.chan_ipa, CODE_VA, CT_FRESH_IPA(0), RB_PROT_R | RB_PROT_X,
		SYS_PAGE_IPA);
	fx_q.want[fx_q.n - 1] = RSI_SUCCESS;
	fx_q.has_want[fx_q.n - 1] = true;
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_MAP, cont.chan_ipa, STACK_VA, CT_FRESH_IPA(1),
		 RB_PROT_R | RB_PROT_W);
	fxq_write(SYS_BUF_IPA, data, sizeof(data));
	fxq_smc(SMC_RSI_RB_MAP, cont.chan_ipa, SHARED_VA, CT_FRESH_IPA(2), RB_PROT_R | RB_PROT_W,
		SYS_BUF_IPA);
	fx_q.want[fx_q.n - 1] = RSI_SUCCESS;
	fx_q.has_want[fx_q.n - 1] = true;
	fxq_write(SYS_REGS_IPA, &r, sizeof(r));
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_SET_REGS, cont.chan_ipa, SYS_REGS_IPA, 0, 0);
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_COMPLETE, cont.chan_ipa, 0, RB_COMPLETE_KEEP_X0, 0);
	fx_sys_run(&sys);
	fxq_check();
	/* Now its clone is forwarded. */
	assert_int_equal(fx_cont_enter(&cont, &exit), RMI_SUCCESS);
	assert_true(fx_exit_is_bare_forward(&exit));
	assert_int_equal(rt_rec(cont.rec)->fasco.nr, 220);
}

/* A System Realm, a two-REC Container Realm `cont` (A64) and another one bound to it. */
static void world(uint64_t clone_flags, const char *word)
{
	fx_sys_build(&sys);
	fx_cont_build_ex(&cont, &sys, 0 /* A64 */, 0, true, 2);
	fx_cont_build_ex(&other, &sys, 0 /* A64 */, 1, true, 2);
	start_parent(clone_flags, word);
}

static const struct granule *gr(uint64_t pa)
{
	return granule_find(pa);
}

static void test_share_fork(void **state)
{
	static const char word[] = "one page, two processes";
	struct rec *parent, *child;
	uint64_t pa, refusals_c, refusals_s, refusals_o;
	struct smc_regs res;
	unsigned prot, ok, holes;

	world(T_SIGCHLD, word);
	parent = rt_rec(cont.rec);
	child = rt_rec(cont.rec2);
	refusals_c = fx_counter(cont.r.rd, 1);
	refusals_s = fx_counter(sys.r.rd, 1);
	refusals_o = fx_counter(other.r.rd, 1);

	fxq_reset();
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_TAKE, cont.chan_ipa, 0, 0, 0);
	/* Into a REC of another Container Realm bound to the same System Realm. */
	fxq_want(RSI_ERROR_INPUT, SMC_RSI_RB_SHARE, cont.chan_ipa, other.chan2_ipa, SHARED_VA,
		 GRANULE_SIZE);
	/* The same channel twice; System Realm DATA, an unassigned IPA, as the child. */
	fxq_want(RSI_ERROR_INPUT, SMC_RSI_RB_SHARE, cont.chan_ipa, cont.chan_ipa, SHARED_VA,
		 GRANULE_SIZE);
	fxq_want(RSI_ERROR_INPUT, SMC_RSI_RB_SHARE, cont.chan_ipa, SYS_PAGE_IPA, SHARED_VA,
		 GRANULE_SIZE);
	fxq_want(RSI_ERROR_INPUT, SMC_RSI_RB_SHARE, cont.chan_ipa, 0xf000, SHARED_VA, GRANULE_SIZE);
	/* Bad ranges: unaligned, empty, past the VA space, more than 1 GiB. */
	fxq_want(RSI_ERROR_INPUT, SMC_RSI_RB_SHARE, cont.chan_ipa, cont.chan2_ipa, SHARED_VA + 8,
		 GRANULE_SIZE);
	fxq_want(RSI_ERROR_INPUT, SMC_RSI_RB_SHARE, cont.chan_ipa, cont.chan2_ipa, SHARED_VA, 0);
	fxq_want(RSI_ERROR_INPUT, SMC_RSI_RB_SHARE, cont.chan_ipa, cont.chan2_ipa,
		 RB_VA_LIMIT - GRANULE_SIZE, 2 * GRANULE_SIZE);
	fxq_want(RSI_ERROR_INPUT, SMC_RSI_RB_SHARE, cont.chan_ipa, cont.chan2_ipa, 0,
		 (1ULL << 30) + GRANULE_SIZE);
	/* A parent with nothing pending (the other realm's REC never ran). */
	fxq_want(RSI_ERROR_STATE, SMC_RSI_RB_SHARE, other.chan_ipa, other.chan2_ipa, SHARED_VA,
		 GRANULE_SIZE);
	/* Accepted: the shared page and a hole after it. */
	ok = fxq_want(RSI_SUCCESS, SMC_RSI_RB_SHARE, cont.chan_ipa, cont.chan2_ipa, SHARED_VA,
		      2 * GRANULE_SIZE);
	/* Only holes: nothing to share, nothing changes. */
	holes = fxq_want(RSI_SUCCESS, SMC_RSI_RB_SHARE, cont.chan_ipa, cont.chan2_ipa, 0x100000,
			 16 * GRANULE_SIZE);
	/* A shared granule is mapped: MAP may not hand it out again, in either process. */
	fxq_want(RSI_ERROR_INPUT, SMC_RSI_RB_MAP, cont.chan_ipa, 0x900000, CT_FRESH_IPA(2),
		 RB_PROT_R);
	/* The child's copy of the rest, then its registers. */
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_FORK_PAGE, cont.chan_ipa, cont.chan2_ipa, CODE_VA,
		 CT_FRESH_IPA(4));
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_FORK_PAGE, cont.chan_ipa, cont.chan2_ipa, STACK_VA,
		 CT_FRESH_IPA(5));
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_FORK_REGS, cont.chan_ipa, cont.chan2_ipa, 0, 0);
	/* The child has run now: no more sharing into it. */
	fxq_want(RSI_ERROR_INPUT, SMC_RSI_RB_SHARE, cont.chan_ipa, cont.chan2_ipa, SHARED_VA,
		 GRANULE_SIZE);
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_COMPLETE, cont.chan2_ipa, 0, 0, 0);
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_COMPLETE, cont.chan_ipa, 2, 0, 0);
	/* Nothing pending any more. */
	fxq_want(RSI_ERROR_STATE, SMC_RSI_RB_SHARE, cont.chan_ipa, cont.chan2_ipa, SHARED_VA,
		 GRANULE_SIZE);
	fx_sys_run(&sys);
	fxq_check();
	assert_int_equal(fx_q.out[ok].x[1], 1);
	assert_int_equal(fx_q.out[holes].x[1], 0);

	/*
	 * Refused and counted against the container: another realm's child,
	 * same channel, the MAP, after FORK_REGS; the System Realm also counts
	 * the two non-channels, the STATE ones and the other realm's parent.
	 */
	assert_int_equal(fx_counter(cont.r.rd, 1), refusals_c + 4);
	assert_true(fx_counter(sys.r.rd, 1) >= refusals_s + 6);
	assert_int_equal(fx_counter(other.r.rd, 1), refusals_o + 1); /* its own pending STATE */
	assert_null(rt_rec(other.rec2)->fasco.as);

	/* Parent and child map the very same granule, SHARED, counted twice. */
	assert_int_equal(plat_as_query(parent->fasco.as, SHARED_VA, &pa, &prot), 0);
	assert_int_equal(pa, cont.fresh[2]);
	assert_int_equal(plat_as_query(child->fasco.as, SHARED_VA, &pa, &prot), 0);
	assert_int_equal(pa, cont.fresh[2]);
	assert_int_equal(prot, RB_PROT_R | RB_PROT_W);
	assert_int_not_equal(plat_as_query(child->fasco.as, SHARED_VA + GRANULE_SIZE, &pa, &prot),
			     0);
	assert_true(gr(cont.fresh[2])->fasco & GRANULE_FASCO_SHARED);
	assert_int_equal(gr(cont.fresh[2])->refcount, 2);
	/* The copies are private: their own granules. */
	assert_int_equal(plat_as_query(child->fasco.as, CODE_VA, &pa, &prot), 0);
	assert_int_equal(pa, cont.fresh[4]);
	assert_false(gr(cont.fresh[4])->fasco & GRANULE_FASCO_SHARED);
	fx_inv_ok();

	/* The host may not destroy it while mapped. */
	assert_int_equal(th_rmi(SMC_RMI_DATA_DESTROY, cont.r.rd, CT_FRESH_IPA(2), 0, 0, 0, 0, &res),
			 RMI_STATUS(RMI_ERROR_INPUT, 0));

	/* A store by one is seen by the other (the same memory). */
	strcpy((char *)granule_map(granule_find(cont.fresh[2])) + 64, "from the child");

	/* The parent process ends and its REC goes: the child's page stays, intact. */
	fx_cont_teardown(&cont, &sys);
	assert_int_equal(gr(cont.fresh[2])->refcount, 1);
	assert_true(gr(cont.fresh[2])->fasco & GRANULE_FASCO_SHARED);
	assert_string_equal((const char *)granule_map(granule_find(cont.fresh[2])), word);
	assert_string_equal((const char *)granule_map(granule_find(cont.fresh[2])) + 64,
			    "from the child");
	assert_int_equal(plat_as_query(child->fasco.as, SHARED_VA, &pa, &prot), 0);
	/* The parent's private pages went. */
	assert_int_equal(gr(cont.fresh[0])->fasco, 0);
	assert_true(fx_realm_granule_zero_util(cont.fresh[1]));
	assert_int_equal(th_rmi(SMC_RMI_DATA_DESTROY, cont.r.rd, CT_FRESH_IPA(2), 0, 0, 0, 0, &res),
			 RMI_STATUS(RMI_ERROR_INPUT, 0));
	fx_inv_ok();

	/* Then the child's: the last mapping goes, the granule is scrubbed and fresh. */
	assert_int_equal(th_rmi(SMC_RMI_RB_CHANNEL_DESTROY, sys.r.rd, cont.rec2, cont.chan2_ipa, 0,
				0, 0, NULL),
			 RMI_SUCCESS);
	cont.has_chan2 = false;
	assert_int_equal(th_rmi(SMC_RMI_REC_DESTROY, cont.rec2, 0, 0, 0, 0, 0, NULL), RMI_SUCCESS);
	for (unsigned i = 0; i < 6; i++) {
		assert_int_equal(gr(cont.fresh[i])->fasco, 0);
		assert_int_equal(gr(cont.fresh[i])->refcount, 0);
		assert_true(fx_realm_granule_zero_util(cont.fresh[i]));
	}
	fx_inv_ok();
}

/* UNMAP by either side drops one mapping; a MAP over a shared page too. */
static void test_share_unmap(void **state)
{
	static const char word[] = "kept while mapped";
	struct rec *parent, *child;
	uint64_t pa;
	unsigned prot;

	world(T_SIGCHLD, word);
	parent = rt_rec(cont.rec);
	child = rt_rec(cont.rec2);
	fxq_reset();
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_TAKE, cont.chan_ipa, 0, 0, 0);
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_SHARE, cont.chan_ipa, cont.chan2_ipa, SHARED_VA,
		 GRANULE_SIZE);
	/* Twice: the child's mapping is replaced by the same granule, still counted once. */
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_SHARE, cont.chan_ipa, cont.chan2_ipa, SHARED_VA,
		 GRANULE_SIZE);
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_FORK_REGS, cont.chan_ipa, cont.chan2_ipa, 0, 0);
	fx_sys_run(&sys);
	fxq_check();
	assert_int_equal(gr(cont.fresh[2])->refcount, 2);
	fx_inv_ok();

	/* The parent unmaps it: the child keeps it, content and all. */
	fxq_reset();
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_UNMAP, cont.chan_ipa, SHARED_VA, GRANULE_SIZE, 0);
	fx_sys_run(&sys);
	fxq_check();
	assert_int_not_equal(plat_as_query(parent->fasco.as, SHARED_VA, &pa, &prot), 0);
	assert_int_equal(plat_as_query(child->fasco.as, SHARED_VA, &pa, &prot), 0);
	assert_int_equal(gr(cont.fresh[2])->refcount, 1);
	assert_string_equal((const char *)granule_map(granule_find(cont.fresh[2])), word);
	fx_inv_ok();

	/* The child maps a fresh page over it: the last mapping goes, scrubbed and reusable. */
	fxq_reset();
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_MAP, cont.chan2_ipa, SHARED_VA, CT_FRESH_IPA(6),
		 RB_PROT_R);
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_MAP, cont.chan_ipa, SHARED_VA, CT_FRESH_IPA(2), RB_PROT_R);
	fx_sys_run(&sys);
	fxq_check();
	assert_int_equal(plat_as_query(child->fasco.as, SHARED_VA, &pa, &prot), 0);
	assert_int_equal(pa, cont.fresh[6]);
	assert_int_equal(plat_as_query(parent->fasco.as, SHARED_VA, &pa, &prot), 0);
	assert_int_equal(pa, cont.fresh[2]);
	assert_false(gr(cont.fresh[2])->fasco & GRANULE_FASCO_SHARED);
	assert_int_equal(gr(cont.fresh[2])->refcount, 0);
	assert_true(fx_realm_granule_zero_util(cont.fresh[2]));
	fx_inv_ok();
}

/* ---- random: MAP, UNMAP and SHARE against a model --------------------------- */

#define R_PAGES 8 /* VAs SHARED_VA + i pages */
#define R_FIRST 6 /* fresh granules R_FIRST.. are the random ones */

static struct {
	int at[2][R_PAGES]; /* granule index mapped at page i of parent (0) and child (1), or -1 */
	unsigned maps[CT_NFRESH];
} m;

static uint64_t rnd_state;

static unsigned rnd(unsigned n)
{
	rnd_state = rnd_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)((rnd_state >> 33) % n);
}

static void model_drop(int side, unsigned i)
{
	if (m.at[side][i] >= 0)
		m.maps[m.at[side][i]]--;
	m.at[side][i] = -1;
}

/* One random call through the queue; its status predicted by the model. */
static void random_op(bool forked, uint64_t refusals)
{
	unsigned kind = rnd(forked ? 3 : 4), side = forked ? rnd(2) : 0;
	unsigned i = rnd(R_PAGES), n = 1 + rnd(R_PAGES - i), g = R_FIRST + rnd(CT_NFRESH - R_FIRST);
	uint64_t chan = side ? cont.chan2_ipa : cont.chan_ipa, va = SHARED_VA + i * GRANULE_SIZE;
	unsigned q, shared = 0;

	(void)refusals;
	fxq_reset();
	switch (kind) {
	case 0: /* MAP a random fresh granule: refused if it is mapped anywhere */
		q = fxq_smc(SMC_RSI_RB_MAP, chan, va, CT_FRESH_IPA(g), RB_PROT_R | RB_PROT_W, 0);
		fx_q.has_want[q] = true;
		fx_q.want[q] = m.maps[g] ? RSI_ERROR_INPUT : RSI_SUCCESS;
		if (!m.maps[g]) {
			model_drop((int)side, i);
			m.at[side][i] = (int)g;
			m.maps[g]++;
		}
		break;
	case 1: /* UNMAP a range */
		fxq_want(RSI_SUCCESS, SMC_RSI_RB_UNMAP, chan, va, n * GRANULE_SIZE, 0);
		for (unsigned k = i; k < i + n; k++)
			model_drop((int)side, k);
		break;
	case 2: /* SHARE: refused once the child has run, or with a bad range */
		if (forked || rnd(4) == 0) {
			fxq_want(RSI_ERROR_INPUT, SMC_RSI_RB_SHARE, cont.chan_ipa, cont.chan2_ipa,
				 forked ? va : va + 1, n * GRANULE_SIZE);
			break;
		}
		/* fall through */
	default:
		q = fxq_want(RSI_SUCCESS, SMC_RSI_RB_SHARE, cont.chan_ipa, cont.chan2_ipa, va,
			     n * GRANULE_SIZE);
		for (unsigned k = i; k < i + n; k++) {
			if (m.at[0][k] < 0)
				continue;
			model_drop(1, k);
			m.at[1][k] = m.at[0][k];
			m.maps[m.at[0][k]]++;
			shared++;
		}
		fx_sys_run(&sys);
		fxq_check();
		assert_int_equal(fx_q.out[q].x[1], shared);
		return;
	}
	fx_sys_run(&sys);
	fxq_check();
}

/* The RMM's state is the model's. */
static void model_check(void)
{
	struct rec *rec[2] = {rt_rec(cont.rec), rt_rec(cont.rec2)};

	for (unsigned s = 0; s < 2; s++) {
		for (unsigned i = 0; i < R_PAGES; i++) {
			uint64_t pa;
			unsigned prot;
			int r = rec[s]->fasco.as
					? plat_as_query(rec[s]->fasco.as,
							SHARED_VA + i * GRANULE_SIZE, &pa, &prot)
					: -ENOENT;

			if (m.at[s][i] < 0) {
				assert_int_not_equal(r, 0);
				continue;
			}
			assert_int_equal(r, 0);
			assert_int_equal(pa, cont.fresh[m.at[s][i]]);
		}
	}
	for (unsigned g = R_FIRST; g < CT_NFRESH; g++) {
		const struct granule *gg = gr(cont.fresh[g]);

		assert_int_equal(granule_fasco_mapped(gg), m.maps[g] != 0);
		if (gg->fasco & GRANULE_FASCO_SHARED) {
			assert_int_equal(gg->refcount, m.maps[g]);
		} else {
			assert_true(m.maps[g] <= 1);
			assert_int_equal(gg->refcount, 0);
		}
		if (!m.maps[g])
			assert_true(fx_realm_granule_zero_util(cont.fresh[g]));
	}
}

static void test_share_random(void **state)
{
	const char *seed_env = getenv("RB_SEED");
	uint64_t seed = seed_env ? strtoull(seed_env, NULL, 0) : 0x5eed5a4e;

	printf("fasco share random: seed 0x%llx (RB_SEED)\n", (unsigned long long)seed);
	rnd_state = seed;
	world(T_SIGCHLD, "random");
	memset(&m, 0, sizeof(m));
	memset(m.at, 0xff, sizeof(m.at));
	fxq_reset();
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_TAKE, cont.chan_ipa, 0, 0, 0);
	/* the parent's SHARED_VA page from start_parent goes: the model starts empty */
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_UNMAP, cont.chan_ipa, SHARED_VA, GRANULE_SIZE, 0);
	fx_sys_run(&sys);
	fxq_check();
	for (unsigned step = 0; step < 300; step++) {
		if (step == 200) {
			/* the child's registers: it has run from now on, SHARE is refused */
			fxq_reset();
			fxq_want(RSI_SUCCESS, SMC_RSI_RB_FORK_REGS, cont.chan_ipa, cont.chan2_ipa,
				 0, 0);
			fx_sys_run(&sys);
			fxq_check();
		}
		random_op(step >= 200, 0);
		fx_inv_ok();
		model_check();
	}
	/* Both go: nothing of the random granules stays mapped, counted or dirty. */
	fx_cleanup();
	for (unsigned g = R_FIRST; g < CT_NFRESH; g++) {
		assert_int_equal(gr(cont.fresh[g])->fasco, 0);
		assert_int_equal(gr(cont.fresh[g])->refcount, 0);
		assert_true(fx_realm_granule_zero_util(cont.fresh[g]));
	}
	fx_inv_ok();
}

/* ---- file-backed MAP_SHARED ranges: copies at any request ------------------ */

#define VA_SH 0x900000ULL

/* The container's code for it: three system calls, then spin. */
static const uint32_t code3[] = {0xd4000001, 0xd4000001, 0xd4000001, 0x14000000};

static void enter_forward(void)
{
	struct rmi_rec_exit exit;

	assert_int_equal(fx_cont_enter(&cont, &exit), RMI_SUCCESS);
	assert_true(fx_exit_is_bare_forward(&exit));
}

static void test_sync_ranges(void **state)
{
	static uint8_t page[GRANULE_SIZE];
	static struct rb_regs r;
	uint64_t refusals;

	fx_sys_build(&sys);
	fx_cont_build_ex(&cont, &sys, 0 /* A64 */, 0, true, 1);
	enter_forward(); /* START */
	memset(page, 0, sizeof(page));
	memcpy(page, code3, sizeof(code3));
	memset(&r, 0, sizeof(r));
	/* mmap(NULL, 2 pages, RW, MAP_SHARED, fd 3, 0) */
	r.mask = RB_REGS_PC | RB_REGS_SP | GENMASK(5, 0) | BIT(8);
	r.pc = CODE_VA;
	r.sp = SP0;
	r.x[1] = 2 * GRANULE_SIZE;
	r.x[2] = 3;
	r.x[3] = 1;
	r.x[4] = 3;
	r.x[8] = 222;
	fxq_reset();
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_TAKE, cont.chan_ipa, 0, 0, 0);
	fxq_write(SYS_PAGE_IPA, page, sizeof(page));
	fxq_smc(SMC_RSI_RB_MAP, cont.chan_ipa, CODE_VA, CT_FRESH_IPA(0), RB_PROT_R | RB_PROT_X,
		SYS_PAGE_IPA);
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_MAP, cont.chan_ipa, STACK_VA, CT_FRESH_IPA(1),
		 RB_PROT_R | RB_PROT_W);
	fxq_write(SYS_REGS_IPA, &r, sizeof(r));
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_SET_REGS, cont.chan_ipa, SYS_REGS_IPA, 0, 0);
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_COMPLETE, cont.chan_ipa, 0, RB_COMPLETE_KEEP_X0, 0);
	fx_sys_run(&sys);
	fxq_check();

	/* Its mmap answers VA_SH (nothing mapped there): a sync range. */
	enter_forward();
	assert_int_equal(rt_rec(cont.rec)->fasco.nr, 222);
	fxq_reset();
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_TAKE, cont.chan_ipa, 0, 0, 0);
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_COMPLETE, cont.chan_ipa, VA_SH, 0, 0);
	fx_sys_run(&sys);
	fxq_check();

	/* At its next call (an mmap again: no buffers), the range's pages may be copied. */
	enter_forward();
	refusals = fx_counter(cont.r.rd, 1);
	fxq_reset();
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_TAKE, cont.chan_ipa, 0, 0, 0);
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_MAP, cont.chan_ipa, VA_SH + GRANULE_SIZE, CT_FRESH_IPA(2),
		 RB_PROT_R | RB_PROT_W);
	fxq_write(SYS_BUF_IPA, "file data", 10);
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_COPY_OUT, cont.chan_ipa, VA_SH + GRANULE_SIZE + 16,
		 SYS_BUF_IPA, 10);
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_COPY_IN, cont.chan_ipa, VA_SH + GRANULE_SIZE,
		 SYS_SCRATCH_IPA, 64);
	/* Not past it, not other pages. */
	fxq_want(RSI_ERROR_INPUT, SMC_RSI_RB_COPY_IN, cont.chan_ipa, VA_SH + 2 * GRANULE_SIZE - 8,
		 SYS_SCRATCH_IPA, 16);
	fxq_want(RSI_ERROR_INPUT, SMC_RSI_RB_COPY_IN, cont.chan_ipa, CODE_VA, SYS_SCRATCH_IPA, 8);
	/* This mmap answers over the range, now mapped: a new mapping, the range goes. */
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_COMPLETE, cont.chan_ipa, VA_SH, 0, 0);
	fx_sys_run(&sys);
	fxq_check();
	assert_memory_equal(granule_map(granule_find(cont.fresh[2])) + 16, "file data", 10);
	assert_int_equal(fx_counter(cont.r.rd, 1), refusals + 2);

	enter_forward();
	fxq_reset();
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_TAKE, cont.chan_ipa, 0, 0, 0);
	fxq_want(RSI_ERROR_INPUT, SMC_RSI_RB_COPY_IN, cont.chan_ipa, VA_SH + GRANULE_SIZE,
		 SYS_SCRATCH_IPA, 8);
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_COMPLETE, cont.chan_ipa, (uint64_t)-12, 0, 0);
	fx_sys_run(&sys);
	fxq_check();
	fx_inv_ok();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_share_fork, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_share_unmap, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_share_random, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_sync_ranges, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
