/*
 * Fasco's verification mechanism against a compromised System Realm (its
 * native guest makes the RSI calls a hostile container OS would), and the
 * realmbox RMI commands against an abusive host: every refusal is the RSI
 * or RMI error the ABI names, changes nothing, and is counted.
 */
#include "fasco_test_util.h"

#define VA_RW 0x400000ULL
#define VA_RO 0x401000ULL
#define VA_RW2 0x402000ULL
#define VA_SECRET 0x500000ULL
#define VA_NEW 0x600000ULL
#define FOREIGN_IPA 0x30000ULL /* DATA in container B only */

static struct fx_sys sys;
static struct fx_cont ca, cb;

static int teardown(void **state)
{
	plat_native_guest_unregister(0x30000);
	return fx_teardown(state);
}

/* START through the queue: map VA_RW (fresh 0, RW), VA_RO (fresh 1, R, content 0xC3), VA_RW2. */
static void start(struct fx_cont *c, uint64_t extra_va, uint64_t extra_ipa)
{
	static uint8_t pattern[GRANULE_SIZE];
	struct rmi_rec_exit exit;
	unsigned first, last;

	memset(pattern, 0xC3, sizeof(pattern));
	assert_int_equal(fx_cont_enter(c, &exit), RMI_SUCCESS);
	assert_true(fx_exit_is_bare_forward(&exit));
	fxq_reset();
	first = fxq_smc(SMC_RSI_RB_TAKE, c->chan_ipa, 0, 0, 0, 0);
	fxq_write(SYS_PAGE_IPA, pattern, sizeof(pattern));
	fxq_smc(SMC_RSI_RB_MAP, c->chan_ipa, VA_RW, CT_FRESH_IPA(0), RB_PROT_R | RB_PROT_W, 0);
	fxq_smc(SMC_RSI_RB_MAP, c->chan_ipa, VA_RO, CT_FRESH_IPA(1), RB_PROT_R, SYS_PAGE_IPA);
	fxq_smc(SMC_RSI_RB_MAP, c->chan_ipa, VA_RW2, CT_FRESH_IPA(2), RB_PROT_R | RB_PROT_W, 0);
	if (extra_va)
		fxq_smc(SMC_RSI_RB_MAP, c->chan_ipa, extra_va, extra_ipa, RB_PROT_R, SYS_PAGE_IPA);
	last = fxq_smc(SMC_RSI_RB_COMPLETE, c->chan_ipa, 0, 0, 0, 0);
	fx_sys_run(&sys);
	for (unsigned i = first; i <= last; i++) {
		if (fx_q.op[i].kind == FX_SMC)
			assert_int_equal(fx_q.out[i].x[0], RSI_SUCCESS);
	}
	assert_int_equal(fx_q.out[first].x[1], RB_REQ_START);
}

/* A native container A whose script is `ct`, started; it runs to its first SVC. */
static void world_a(void)
{
	struct rmi_rec_exit exit;

	rt_guest(CONT_PC, fx_guest_cont);
	fx_sys_build(&sys);
	fx_cont_build(&ca, &sys, CONT_PC, 0);
	start(&ca, 0, 0);
	assert_int_equal(fx_cont_enter(&ca, &exit), RMI_SUCCESS);
	assert_true(fx_exit_is_bare_forward(&exit));
}

static void refusals(uint64_t *cont_ref, uint64_t *sys_ref)
{
	uint64_t c[4];

	fx_counters(ca.r.rd, c);
	*cont_ref = c[1];
	fx_counters(sys.r.rd, c);
	*sys_ref = c[1];
}

static uint8_t *granule_bytes(uint64_t pa)
{
	return granule_map(granule_find(pa));
}

/* ---- Copies ------------------------------------------------------------------ */

static void test_copy_outside_ranges(void **state)
{
	static const char pub[16] = "public-data-0123", secret[16] = "SECRET-SECRET-SE";
	static char got[0x200];
	uint64_t cref, sref;
	unsigned ok, bad[8], nb = 0, inval[3], stale[5];

	ct.n = 1;
	ct.call[0].nr = 64; /* write(1, VA_RW + 0x100, 16) */
	ct.call[0].a[0] = 1;
	ct.call[0].a[1] = VA_RW + 0x100;
	ct.call[0].a[2] = 16;
	ct.call[0].wipa = CT_FRESH_IPA(0) + 0x100;
	ct.call[0].wdata = pub;
	ct.call[0].wlen = 16;
	world_a();
	/* The secret next to the buffer (written by the RMM test, as the app would). */
	memcpy(granule_bytes(ca.fresh[0]) + 0x110, secret, sizeof(secret));
	memcpy(granule_bytes(ca.fresh[0]) + 0xF0, secret, sizeof(secret));

	fxq_reset();
	fxq_smc(SMC_RSI_RB_TAKE, ca.chan_ipa, 0, 0, 0, 0);
	ok = fxq_smc(SMC_RSI_RB_COPY_IN, ca.chan_ipa, VA_RW + 0x100, SYS_BUF_IPA, 16, 0);
	bad[nb++] =
		fxq_smc(SMC_RSI_RB_COPY_IN, ca.chan_ipa, VA_RW + 0x108, SYS_BUF_IPA + 0x100, 16, 0);
	bad[nb++] =
		fxq_smc(SMC_RSI_RB_COPY_IN, ca.chan_ipa, VA_RW + 0xF8, SYS_BUF_IPA + 0x100, 16, 0);
	bad[nb++] =
		fxq_smc(SMC_RSI_RB_COPY_IN, ca.chan_ipa, VA_RW + 0x100, SYS_BUF_IPA + 0x100, 17, 0);
	bad[nb++] = fxq_smc(SMC_RSI_RB_COPY_IN, ca.chan_ipa, VA_RW, SYS_BUF_IPA + 0x100, 0x1000, 0);
	bad[nb++] = fxq_smc(SMC_RSI_RB_COPY_IN, ca.chan_ipa, VA_RO, SYS_BUF_IPA + 0x100, 16, 0);
	/* write's buffer is "in" only: no copy-out into it. */
	bad[nb++] = fxq_smc(SMC_RSI_RB_COPY_OUT, ca.chan_ipa, VA_RW + 0x100, SYS_BUF_IPA, 16, 0);
	/* Malformed (not verification refusals): zero length, wrap, beyond the VA space. */
	inval[0] = fxq_smc(SMC_RSI_RB_COPY_IN, ca.chan_ipa, VA_RW + 0x100, SYS_BUF_IPA, 0, 0);
	inval[1] = fxq_smc(SMC_RSI_RB_COPY_IN, ca.chan_ipa, ~0ULL - 4, SYS_BUF_IPA, 16, 0);
	inval[2] = fxq_smc(SMC_RSI_RB_COPY_IN, ca.chan_ipa, VA_RW + 0x100, 1ULL << 39, 16, 0);
	fxq_read(SYS_BUF_IPA, got, sizeof(got));
	fxq_smc(SMC_RSI_RB_COMPLETE, ca.chan_ipa, 16, 0, 0, 0);
	/* Nothing pending any more (completed, not yet resumed). */
	stale[0] = fxq_smc(SMC_RSI_RB_COPY_IN, ca.chan_ipa, VA_RW + 0x100, SYS_BUF_IPA, 16, 0);
	stale[1] = fxq_smc(SMC_RSI_RB_SET_REGS, ca.chan_ipa, SYS_REGS_IPA, 0, 0, 0);
	stale[2] = fxq_smc(SMC_RSI_RB_MAP, ca.chan_ipa, VA_NEW, CT_FRESH_IPA(5), RB_PROT_R, 0);
	stale[3] = fxq_smc(SMC_RSI_RB_TAKE, ca.chan_ipa, 0, 0, 0, 0);
	stale[4] = fxq_smc(SMC_RSI_RB_COMPLETE, ca.chan_ipa, 99, 0, 0, 0);
	fx_sys_run(&sys);

	assert_int_equal(fx_q.out[ok].x[0], RSI_SUCCESS);
	assert_int_equal(fx_q.out[ok].x[1], 16);
	assert_memory_equal(got, pub, 16);
	for (unsigned i = 0; i < nb; i++)
		assert_int_equal(fx_q.out[bad[i]].x[0], RSI_ERROR_INPUT);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(fx_q.out[inval[i]].x[0], RSI_ERROR_INPUT);
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(fx_q.out[stale[i]].x[0], RSI_ERROR_STATE);
	/* Not a byte of the secret reached the System Realm. */
	assert_null(memmem(got, sizeof(got), "SECRET", 6));
	/* Counted in both realms: 6 verification refusals + 5 calls with nothing pending. */
	refusals(&cref, &sref);
	assert_int_equal(cref, nb + 5);
	assert_int_equal(sref, nb + 5);

	/* The container resumes with the result; the stale COMPLETE changed nothing. */
	assert_int_equal(fx_cont_enter(&ca, &(struct rmi_rec_exit){0}), RMI_SUCCESS);
	assert_int_equal(ct.done, 1);
	assert_int_equal(ct.result[0], 16);
	fx_cont_teardown(&ca, &sys);
	fx_inv_ok();
}

static void test_copy_out_permissions(void **state)
{
	static const char data[16] = "from-the-sys-os!";
	unsigned ro, over, ok, first_complete, st_ok;
	uint64_t cref, sref;
	struct rmi_rec_exit exit;

	ct.n = 2;
	ct.call[0].nr = 63; /* read(0, VA_RO, 16): read-only page */
	ct.call[0].a[1] = VA_RO;
	ct.call[0].a[2] = 16;
	ct.call[1].nr = 63; /* read(0, VA_RW2 + 8, 16) */
	ct.call[1].a[1] = VA_RW2 + 8;
	ct.call[1].a[2] = 16;
	world_a();

	fxq_reset();
	fxq_write(SYS_BUF_IPA, data, sizeof(data));
	fxq_smc(SMC_RSI_RB_TAKE, ca.chan_ipa, 0, 0, 0, 0);
	ro = fxq_smc(SMC_RSI_RB_COPY_OUT, ca.chan_ipa, VA_RO, SYS_BUF_IPA, 16, 0);
	first_complete = fxq_smc(SMC_RSI_RB_COMPLETE, ca.chan_ipa, (uint64_t)-14, 0, 0, 0);
	fx_sys_run(&sys);
	assert_int_equal(fx_q.out[ro].x[0], RSI_ERROR_INPUT);
	assert_int_equal(fx_q.out[first_complete].x[0], RSI_SUCCESS);
	assert_int_equal(granule_bytes(ca.fresh[1])[0], 0xC3); /* unchanged */

	assert_int_equal(fx_cont_enter(&ca, &exit), RMI_SUCCESS);
	assert_true(fx_exit_is_bare_forward(&exit));
	assert_int_equal(ct.result[0], (uint64_t)-14);
	fxq_reset();
	fxq_smc(SMC_RSI_RB_TAKE, ca.chan_ipa, 0, 0, 0, 0);
	over = fxq_smc(SMC_RSI_RB_COPY_OUT, ca.chan_ipa, VA_RW2 + 8, SYS_BUF_IPA, 17, 0);
	ok = fxq_smc(SMC_RSI_RB_COPY_OUT, ca.chan_ipa, VA_RW2 + 8, SYS_BUF_IPA, 16, 0);
	st_ok = fxq_smc(SMC_RSI_RB_COMPLETE, ca.chan_ipa, 16, 0, 0, 0);
	fx_sys_run(&sys);
	assert_int_equal(fx_q.out[over].x[0], RSI_ERROR_INPUT);
	assert_int_equal(fx_q.out[ok].x[0], RSI_SUCCESS);
	assert_int_equal(fx_q.out[st_ok].x[0], RSI_SUCCESS);
	assert_memory_equal(granule_bytes(ca.fresh[2]) + 8, data, 16);
	assert_int_equal(granule_bytes(ca.fresh[2])[8 + 16], 0);
	refusals(&cref, &sref);
	assert_int_equal(cref, 2);
	assert_int_equal(sref, 2);
	fx_cont_teardown(&ca, &sys);
	fx_inv_ok();
}

/* One System Realm, two containers: A's channel never reaches B's memory. */
static void test_copy_other_container(void **state)
{
	static const char secret[] = "B's secret page";
	unsigned via_a, via_b, map_b;
	uint64_t cref, sref, bref[4];

	ct.n = 1;
	ct.call[0].nr = 64; /* A: write(1, VA_SECRET, 16): A has nothing there */
	ct.call[0].a[1] = VA_SECRET;
	ct.call[0].a[2] = 16;
	world_a();
	/* Container B (same guest code, never run past START) maps VA_SECRET. */
	fx_cont_build(&cb, &sys, 0x30000, 1);
	{
		uint64_t extra = th_delegated_granule();

		assert_int_equal(th_rmi(SMC_RMI_DATA_CREATE_UNKNOWN, cb.r.rd, extra, FOREIGN_IPA, 0,
					0, 0, NULL),
				 RMI_SUCCESS);
	}
	start(&cb, VA_SECRET, FOREIGN_IPA);
	memcpy(granule_bytes(cb.fresh[0]), secret, sizeof(secret));

	fxq_reset();
	fxq_smc(SMC_RSI_RB_TAKE, ca.chan_ipa, 0, 0, 0, 0);
	via_a = fxq_smc(SMC_RSI_RB_COPY_IN, ca.chan_ipa, VA_SECRET, SYS_BUF_IPA, 16, 0);
	via_b = fxq_smc(SMC_RSI_RB_COPY_IN, cb.chan_ipa, VA_SECRET, SYS_BUF_IPA, 16, 0);
	/* B's granule through A's IPA space: A has no DATA at FOREIGN_IPA. */
	map_b = fxq_smc(SMC_RSI_RB_MAP, ca.chan_ipa, VA_NEW, FOREIGN_IPA, RB_PROT_R, 0);
	fxq_smc(SMC_RSI_RB_COMPLETE, ca.chan_ipa, (uint64_t)-14, 0, 0, 0);
	fx_sys_run(&sys);
	assert_int_equal(fx_q.out[via_a].x[0], RSI_ERROR_INPUT); /* not mapped in A */
	assert_int_equal(fx_q.out[via_b].x[0], RSI_ERROR_STATE); /* nothing pending in B */
	assert_int_equal(fx_q.out[map_b].x[0], RSI_ERROR_INPUT);
	refusals(&cref, &sref);
	assert_int_equal(cref, 2);
	assert_int_equal(sref, 3);
	fx_counters(cb.r.rd, bref);
	assert_int_equal(bref[1], 1);
	fx_cont_teardown(&cb, &sys);
	fx_cont_teardown(&ca, &sys);
	fx_inv_ok();
}

/* ---- Mappings ---------------------------------------------------------------- */

static void test_map_rules(void **state)
{
	static const char before[] = "dirty-before-unmap";
	unsigned bad[8], nb = 0, inval[5], unmap, remap, chan_src, prot_ro, prot_bad;
	uint64_t cref, sref;
	struct granule *g2;

	ct.n = 1;
	ct.call[0].nr = 222; /* mmap */
	world_a();
	memcpy(granule_bytes(ca.fresh[2]), before, sizeof(before));

	fxq_reset();
	fxq_smc(SMC_RSI_RB_TAKE, ca.chan_ipa, 0, 0, 0, 0);
	bad[nb++] = fxq_smc(SMC_RSI_RB_MAP, ca.chan_ipa, VA_NEW, CT_DIRTY_IPA, RB_PROT_R, 0);
	bad[nb++] = fxq_smc(SMC_RSI_RB_MAP, ca.chan_ipa, VA_NEW, CT_CFG_IPA, RB_PROT_R, 0);
	bad[nb++] = fxq_smc(SMC_RSI_RB_MAP, ca.chan_ipa, VA_NEW, CT_FRESH_IPA(0), RB_PROT_R, 0);
	bad[nb++] = fxq_smc(SMC_RSI_RB_MAP, ca.chan_ipa, VA_NEW, FOREIGN_IPA, RB_PROT_R, 0);
	bad[nb++] = fxq_smc(SMC_RSI_RB_MAP, ca.chan_ipa, VA_NEW, 1ULL << 39, RB_PROT_R, 0);
	bad[nb++] =
		fxq_smc(SMC_RSI_RB_MAP, ca.chan_ipa, VA_NEW, (1ULL << 39) + 0x1000, RB_PROT_R, 0);
	bad[nb++] =
		fxq_smc(SMC_RSI_RB_MAP, ca.chan_ipa, VA_NEW, 0x7000000, RB_PROT_R, 0); /* no RTT */
	/* Malformed arguments. */
	inval[0] = fxq_smc(SMC_RSI_RB_MAP, ca.chan_ipa, VA_NEW + 8, CT_FRESH_IPA(5), RB_PROT_R, 0);
	inval[1] = fxq_smc(SMC_RSI_RB_MAP, ca.chan_ipa, VA_NEW, CT_FRESH_IPA(5), 0, 0);
	inval[2] = fxq_smc(SMC_RSI_RB_MAP, ca.chan_ipa, VA_NEW, CT_FRESH_IPA(5), 8, 0);
	inval[3] = fxq_smc(SMC_RSI_RB_MAP, ca.chan_ipa, 1ULL << 39, CT_FRESH_IPA(5), RB_PROT_R, 0);
	inval[4] = fxq_smc(SMC_RSI_RB_MAP, ca.chan_ipa, VA_NEW, CT_FRESH_IPA(5) + 4, RB_PROT_R, 0);
	/* A channel is no source of page content. */
	chan_src = fxq_smc(SMC_RSI_RB_MAP, ca.chan_ipa, VA_NEW, CT_FRESH_IPA(5), RB_PROT_R,
			   ca.chan_ipa);
	/* Unmapped granules are scrubbed and fresh again. */
	unmap = fxq_smc(SMC_RSI_RB_UNMAP, ca.chan_ipa, VA_RW2, GRANULE_SIZE, 0, 0);
	remap = fxq_smc(SMC_RSI_RB_MAP, ca.chan_ipa, VA_NEW, CT_FRESH_IPA(2), RB_PROT_R, 0);
	prot_ro = fxq_smc(SMC_RSI_RB_PROTECT, ca.chan_ipa, VA_RW, GRANULE_SIZE, RB_PROT_R, 0);
	prot_bad = fxq_smc(SMC_RSI_RB_PROTECT, ca.chan_ipa, VA_RW2, GRANULE_SIZE, RB_PROT_R, 0);
	fx_sys_run(&sys);

	for (unsigned i = 0; i < nb; i++)
		assert_int_equal(fx_q.out[bad[i]].x[0], RSI_ERROR_INPUT);
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(fx_q.out[inval[i]].x[0], RSI_ERROR_INPUT);
	assert_int_equal(fx_q.out[chan_src].x[0], RSI_ERROR_INPUT);
	assert_int_equal(fx_q.out[unmap].x[0], RSI_SUCCESS);
	assert_int_equal(fx_q.out[remap].x[0], RSI_SUCCESS);
	assert_int_equal(fx_q.out[prot_ro].x[0], RSI_SUCCESS);
	assert_int_equal(fx_q.out[prot_bad].x[0], RSI_ERROR_INPUT); /* VA_RW2 no longer mapped */
	g2 = granule_find(ca.fresh[2]);
	assert_true(fx_realm_granule_zero_util(ca.fresh[2]));
	assert_int_equal(granule_fasco_mapped(g2), 1);
	refusals(&cref, &sref);
	assert_int_equal(cref, nb);
	assert_int_equal(sref, nb);

	/* The host cannot take a mapped granule away (or a channel, or measured config). */
	assert_int_equal(th_rmi(SMC_RMI_DATA_DESTROY, ca.r.rd, CT_FRESH_IPA(0), 0, 0, 0, 0, NULL),
			 RMI_ERROR_INPUT);
	assert_int_equal(th_rmi(SMC_RMI_DATA_DESTROY, sys.r.rd, ca.chan_ipa, 0, 0, 0, 0, NULL),
			 RMI_STATUS(RMI_ERROR_RTT, 3));
	/* An unmapped one it can. */
	assert_int_equal(th_rmi(SMC_RMI_DATA_DESTROY, ca.r.rd, CT_FRESH_IPA(7), 0, 0, 0, 0, NULL),
			 RMI_SUCCESS);
	fx_cont_teardown(&ca, &sys);
	/* REC_DESTROY released every mapping: now the granules may go. */
	assert_int_equal(granule_fasco_mapped(granule_find(ca.fresh[0])), 0);
	assert_int_equal(th_rmi(SMC_RMI_DATA_DESTROY, ca.r.rd, CT_FRESH_IPA(0), 0, 0, 0, 0, NULL),
			 RMI_SUCCESS);
	fx_inv_ok();
}

/* SET_REGS and COMPLETE shape the container's next run; EXIT ends it. */
static void test_set_regs(void **state)
{
	static struct rb_regs regs, bad_regs;
	unsigned ok, bad, misal;
	struct rmi_rec_exit exit;

	ct.n = 1;
	ct.call[0].nr = 139;
	world_a();
	memset(&regs, 0, sizeof(regs));
	regs.mask = BIT(0) | BIT(7) | RB_REGS_TPIDR;
	regs.x[0] = 0x1111;
	regs.x[7] = 0x7777;
	regs.tpidr = 0xAAAA;
	bad_regs = regs;
	bad_regs.mask |= BIT(40);
	fxq_reset();
	fxq_write(SYS_REGS_IPA, &regs, sizeof(regs));
	fxq_write(SYS_REGS_IPA + 0x200, &bad_regs, sizeof(bad_regs));
	fxq_smc(SMC_RSI_RB_TAKE, ca.chan_ipa, 0, 0, 0, 0);
	bad = fxq_smc(SMC_RSI_RB_SET_REGS, ca.chan_ipa, SYS_REGS_IPA + 0x200, 0, 0, 0);
	misal = fxq_smc(SMC_RSI_RB_SET_REGS, ca.chan_ipa, GRANULE_SIZE * 7 - 8, 0, 0, 0);
	ok = fxq_smc(SMC_RSI_RB_SET_REGS, ca.chan_ipa, SYS_REGS_IPA, 0, 0, 0);
	fxq_smc(SMC_RSI_RB_COMPLETE, ca.chan_ipa, 5, RB_COMPLETE_KEEP_X0, 0, 0);
	fx_sys_run(&sys);
	assert_int_equal(fx_q.out[bad].x[0], RSI_ERROR_INPUT);
	assert_int_equal(fx_q.out[misal].x[0], RSI_ERROR_INPUT);
	assert_int_equal(fx_q.out[ok].x[0], RSI_SUCCESS);
	assert_int_equal(fx_cont_enter(&ca, &exit), RMI_SUCCESS);
	assert_int_equal(ct.result[0], 0x1111); /* KEEP_X0: not COMPLETE's 5 */
	assert_int_equal(rt_rec(ca.rec)->regs.tpidr_el0, 0xAAAA);
	fx_cont_teardown(&ca, &sys);
}

/* ---- The descriptor table, kind by kind --------------------------------------- */

struct probe {
	uint64_t fid, va, len, expect;
};

/* Serve the pending call: TAKE, the probes (each checked), extra ops, COMPLETE(0). */
static void serve_probes(const struct probe *p, unsigned n, uint64_t set_sp)
{
	static struct rb_regs regs;
	unsigned idx[16];

	fxq_reset();
	fxq_smc(SMC_RSI_RB_TAKE, ca.chan_ipa, 0, 0, 0, 0);
	for (unsigned i = 0; i < n; i++)
		idx[i] = fxq_smc(p[i].fid, ca.chan_ipa, p[i].va, SYS_BUF_IPA, p[i].len, 0);
	if (set_sp) {
		memset(&regs, 0, sizeof(regs));
		regs.mask = RB_REGS_SP;
		regs.sp = set_sp;
		fxq_write(SYS_REGS_IPA, &regs, sizeof(regs));
		fxq_smc(SMC_RSI_RB_SET_REGS, ca.chan_ipa, SYS_REGS_IPA, 0, 0, 0);
	}
	fxq_smc(SMC_RSI_RB_COMPLETE, ca.chan_ipa, 0, 0, 0, 0);
	fx_sys_run(&sys);
	for (unsigned i = 0; i < n; i++) {
		if (fx_q.out[idx[i]].x[0] != p[i].expect)
			fail_msg(
				"probe %u (fid 0x%llx va 0x%llx len %llu): 0x%llx, expected 0x%llx",
				i, (unsigned long long)p[i].fid, (unsigned long long)p[i].va,
				(unsigned long long)p[i].len,
				(unsigned long long)fx_q.out[idx[i]].x[0],
				(unsigned long long)p[i].expect);
	}
}

#define CIN SMC_RSI_RB_COPY_IN
#define COUT SMC_RSI_RB_COPY_OUT
#define OK RSI_SUCCESS
#define NO RSI_ERROR_INPUT

static void test_descriptor_kinds(void **state)
{
	static uint64_t iov[4], argv[3], envp[1];
	static uint32_t slen = 16;
	static uint64_t sigpair[2];
	static const char path[] = "/etc/passwd", secret[] = "SECRET";
	struct rmi_rec_exit exit;
	uint64_t cref, sref;
	unsigned nprobes = 0;

	iov[0] = VA_RW + 0x100;
	iov[1] = 5;
	iov[2] = VA_RW2 + 0x10;
	iov[3] = 7;
	argv[0] = VA_RW + 0x400;
	argv[1] = VA_RW + 0x410;
	argv[2] = 0;
	envp[0] = 0;
	sigpair[0] = VA_RW + 0xA40;
	sigpair[1] = 8;
	ct.n = 8;
	ct.call[0] = (typeof(ct.call[0])){
		.nr = 66, .a = {1, VA_RW, 2}, .wipa = 0, .wdata = iov, .wlen = sizeof(iov)};
	ct.call[1] = (typeof(ct.call[0])){.nr = 56,
					  .a = {(uint64_t)-100, VA_RW + 0x200, 0},
					  .wipa = 0x200,
					  .wdata = path,
					  .wlen = sizeof(path)};
	ct.call[2] = (typeof(ct.call[0])){.nr = 221,
					  .a = {VA_RW + 0x400, VA_RW + 0x300, VA_RW + 0x340},
					  .wipa = 0x300,
					  .wdata = argv,
					  .wlen = sizeof(argv)};
	ct.call[3] = (typeof(ct.call[0])){.nr = 134, .a = {2, VA_RW + 0x500, VA_RW + 0x700, 8}};
	ct.call[4] = (typeof(ct.call[0])){.nr = 29, .a = {1, 0x5413, VA_RW + 0x800}};
	ct.call[5] = (typeof(ct.call[0])){.nr = 202,
					  .a = {3, VA_RW + 0x900, VA_RW + 0x600},
					  .wipa = 0x600,
					  .wdata = &slen,
					  .wlen = sizeof(slen)};
	ct.call[6] = (typeof(ct.call[0])){.nr = 72,
					  .a = {1, 0, 0, 0, 0, VA_RW + 0xA00},
					  .wipa = 0xA00,
					  .wdata = sigpair,
					  .wlen = sizeof(sigpair)};
	ct.call[7] = (typeof(ct.call[0])){.nr = 139};
	world_a();
	/* The rest of the container's memory, as its program would have it. */
	memcpy(granule_bytes(ca.fresh[0]) + 0x100, "hello", 5);
	memcpy(granule_bytes(ca.fresh[2]) + 0x10, "world!!", 7);
	memcpy(granule_bytes(ca.fresh[0]) + 0x200 + sizeof(path), secret, sizeof(secret));
	memcpy(granule_bytes(ca.fresh[0]) + 0x340, envp, sizeof(envp));
	memcpy(granule_bytes(ca.fresh[0]) + 0x400, "/bin/sh", 8);
	memcpy(granule_bytes(ca.fresh[0]) + 0x410, "-c", 3);

	{ /* writev(1, iov, 2): the iovec array and each buffer, in only */
		const struct probe p[] = {
			{CIN, VA_RW, 32, OK},	      {CIN, VA_RW + 0x100, 5, OK},
			{CIN, VA_RW2 + 0x10, 7, OK},  {CIN, VA_RW, 33, NO},
			{CIN, VA_RW + 0x100, 6, NO},  {CIN, VA_RW2 + 0x10, 8, NO},
			{COUT, VA_RW + 0x100, 5, NO}, {COUT, VA_RW, 8, NO},
		};
		serve_probes(p, ARRAY_SIZE(p), VA_RW2 + GRANULE_SIZE);
		nprobes += 5;
	}
	assert_int_equal(fx_cont_enter(&ca, &exit), RMI_SUCCESS);
	{ /* openat: the string and its NUL, not a byte more; signal frame below sp */
		const struct probe p[] = {
			{CIN, VA_RW + 0x200, sizeof(path), OK},
			{CIN, VA_RW + 0x200, sizeof(path) + 1, NO},
			{COUT, VA_RW2 + 0x800, 0x100, OK},
			{CIN, VA_RW2 + 0x800, 0x100, NO},
			{COUT, VA_RW2 + 0xF00, 0x101, NO},
		};
		serve_probes(p, ARRAY_SIZE(p), 0);
		nprobes += 3;
	}
	assert_int_equal(fx_cont_enter(&ca, &exit), RMI_SUCCESS);
	{ /* execve: path, argv and envp arrays up to their NULL, each string */
		const struct probe p[] = {
			{CIN, VA_RW + 0x400, 8, OK},  {CIN, VA_RW + 0x300, 24, OK},
			{CIN, VA_RW + 0x410, 3, OK},  {CIN, VA_RW + 0x340, 8, OK},
			{CIN, VA_RW + 0x300, 32, NO}, {CIN, VA_RW + 0x410, 4, NO},
			{CIN, VA_RW + 0x340, 16, NO},
		};
		serve_probes(p, ARRAY_SIZE(p), 0);
		nprobes += 3;
	}
	assert_int_equal(fx_cont_enter(&ca, &exit), RMI_SUCCESS);
	{ /* rt_sigaction: act in (32), oact out (32) */
		const struct probe p[] = {
			{CIN, VA_RW + 0x500, 32, OK},  {COUT, VA_RW + 0x700, 32, OK},
			{COUT, VA_RW + 0x500, 32, NO}, {CIN, VA_RW + 0x700, 32, NO},
			{COUT, VA_RW + 0x700, 33, NO}, {CIN, VA_RW + 0x500, 33, NO},
		};
		serve_probes(p, ARRAY_SIZE(p), 0);
		nprobes += 4;
	}
	assert_int_equal(fx_cont_enter(&ca, &exit), RMI_SUCCESS);
	{ /* ioctl(TIOCGWINSZ): 8 bytes out */
		const struct probe p[] = {
			{COUT, VA_RW + 0x800, 8, OK},
			{COUT, VA_RW + 0x800, 9, NO},
			{CIN, VA_RW + 0x800, 8, NO},
		};
		serve_probes(p, ARRAY_SIZE(p), 0);
		nprobes += 2;
	}
	assert_int_equal(fx_cont_enter(&ca, &exit), RMI_SUCCESS);
	{ /* accept: addr out as long as *addrlen says; addrlen in/out */
		const struct probe p[] = {
			{COUT, VA_RW + 0x900, 16, OK}, {COUT, VA_RW + 0x900, 17, NO},
			{CIN, VA_RW + 0x600, 4, OK},   {COUT, VA_RW + 0x600, 4, OK},
			{CIN, VA_RW + 0x600, 8, NO},
		};
		serve_probes(p, ARRAY_SIZE(p), 0);
		nprobes += 2;
	}
	assert_int_equal(fx_cont_enter(&ca, &exit), RMI_SUCCESS);
	{ /* pselect6: its {sigmask, size} pair and the 8-byte mask it points at, in only */
		const struct probe p[] = {
			{CIN, VA_RW + 0xA00, 16, OK},  {CIN, VA_RW + 0xA40, 8, OK},
			{CIN, VA_RW + 0xA00, 17, NO},  {CIN, VA_RW + 0xA40, 9, NO},
			{COUT, VA_RW + 0xA40, 8, NO}, {COUT, VA_RW + 0xA00, 16, NO},
		};
		serve_probes(p, ARRAY_SIZE(p), 0);
		nprobes += 4;
	}
	assert_int_equal(fx_cont_enter(&ca, &exit), RMI_SUCCESS);
	{ /* rt_sigreturn: the frame at and above sp, in only (sp = VA_RW2 + 0x1000 now) */
		const struct probe p[] = {
			{CIN, VA_RW2 + 0xF00, 0x10, NO}, /* below sp */
			{CIN, VA_RW + 0x800, 0x10, NO},
		};
		serve_probes(p, ARRAY_SIZE(p), 0);
		nprobes += 2;
	}
	refusals(&cref, &sref);
	assert_int_equal(cref, nprobes);
	assert_int_equal(sref, nprobes);
	assert_int_equal(fx_cont_enter(&ca, &exit), RMI_SUCCESS);
	assert_int_equal(ct.done, 8);
	fx_cont_teardown(&ca, &sys);
}

/* ---- The alternate signal stack a sigaltstack call registered -------------- */

/* TAKE and COMPLETE(result) of the pending call, with no copies. */
static void serve_result(uint64_t result)
{
	fxq_reset();
	fxq_smc(SMC_RSI_RB_TAKE, ca.chan_ipa, 0, 0, 0, 0);
	fxq_smc(SMC_RSI_RB_COMPLETE, ca.chan_ipa, result, 0, 0, 0);
	fx_sys_run(&sys);
}

static void test_altstack(void **state)
{
	/* stack_t: ss_sp, ss_flags, ss_size */
	static const uint64_t ss_on[3] = {VA_RW + 0x800, 0, 0x400};
	static const uint64_t ss_failed[3] = {VA_RW + 0x100, 0, 0x80};
	static const uint64_t ss_off[3] = {0, 2 /* SS_DISABLE */, 0};
	struct rmi_rec_exit exit;
	uint64_t cref, sref;
	unsigned nprobes = 0;

	ct.n = 6;
	ct.call[0] = (typeof(ct.call[0])){
		.nr = 132, .a = {VA_RW + 0x40}, .wipa = 0x40, .wdata = ss_on, .wlen = sizeof(ss_on)};
	ct.call[1] = (typeof(ct.call[0])){.nr = 172};
	ct.call[2] = (typeof(ct.call[0])){.nr = 132,
					  .a = {VA_RW + 0x60},
					  .wipa = 0x60,
					  .wdata = ss_failed,
					  .wlen = sizeof(ss_failed)};
	ct.call[3] = (typeof(ct.call[0])){.nr = 172};
	ct.call[4] = (typeof(ct.call[0])){
		.nr = 132, .a = {VA_RW + 0x80}, .wipa = 0x80, .wdata = ss_off, .wlen = sizeof(ss_off)};
	ct.call[5] = (typeof(ct.call[0])){.nr = 172};
	world_a();
	{ /* sigaltstack itself: its stack_t in; the stack is not registered before it completes */
		const struct probe p[] = {
			{CIN, VA_RW + 0x40, 24, OK},
			{COUT, VA_RW + 0x800, 0x10, NO},
		};
		serve_probes(p, ARRAY_SIZE(p), 0);
		nprobes += 1;
	}
	assert_int_equal(fx_cont_enter(&ca, &exit), RMI_SUCCESS);
	{ /* getpid: a signal frame on the registered stack, out only, not a byte outside */
		const struct probe p[] = {
			{COUT, VA_RW + 0x800, 0x400, OK},
			{COUT, VA_RW + 0xB00, 0x100, OK},
			{COUT, VA_RW + 0x7F8, 0x10, NO},
			{COUT, VA_RW + 0xBF8, 0x10, NO},
			{CIN, VA_RW + 0x800, 0x10, NO},
		};
		serve_probes(p, ARRAY_SIZE(p), 0);
		nprobes += 3;
	}
	assert_int_equal(fx_cont_enter(&ca, &exit), RMI_SUCCESS);
	serve_result((uint64_t)-12); /* a sigaltstack that failed (ENOMEM) registers nothing */
	assert_int_equal(fx_cont_enter(&ca, &exit), RMI_SUCCESS);
	{
		const struct probe p[] = {
			{COUT, VA_RW + 0x100, 0x40, NO},
			{COUT, VA_RW + 0x800, 0x40, OK},
		};
		serve_probes(p, ARRAY_SIZE(p), 0);
		nprobes += 1;
	}
	assert_int_equal(fx_cont_enter(&ca, &exit), RMI_SUCCESS);
	serve_result(0); /* SS_DISABLE */
	assert_int_equal(fx_cont_enter(&ca, &exit), RMI_SUCCESS);
	{
		const struct probe p[] = {
			{COUT, VA_RW + 0x800, 0x40, NO},
		};
		serve_probes(p, ARRAY_SIZE(p), 0);
		nprobes += 1;
	}
	refusals(&cref, &sref);
	assert_int_equal(cref, nprobes);
	assert_int_equal(sref, nprobes);
	assert_int_equal(fx_cont_enter(&ca, &exit), RMI_SUCCESS);
	assert_int_equal(ct.done, 6);
	fx_cont_teardown(&ca, &sys);
}

/* ---- ENDING: a thread killed while a system call of its own is pending ------------ */

static void test_ending(void **state)
{
	/*
	 * The robust list at VA_RW + 0x40: head {next: the entry at + 0x58,
	 * futex_offset 8, no pending op}; the entry links back to the head and
	 * its futex word is at + 0x60.
	 */
	static const uint64_t list[5] = {VA_RW + 0x58, 8, 0, VA_RW + 0x40, 0x1234};
	struct rmi_rec_exit exit;
	unsigned early, before, ending, word, head, off_list, keep, done;

	ct.n = 2;
	ct.call[0] = (typeof(ct.call[0])){
		.nr = 99, .a = {VA_RW + 0x40, 24}, .wipa = 0x40, .wdata = list, .wlen = sizeof(list)};
	ct.call[1] = (typeof(ct.call[0])){.nr = 101}; /* nanosleep, in which it is killed */
	world_a();
	serve_result(0); /* set_robust_list */
	assert_int_equal(fx_cont_enter(&ca, &exit), RMI_SUCCESS);
	fxq_reset();
	early = fxq_smc(SMC_RSI_RB_ENDING, ca.chan_ipa, 0, 0, 0, 0); /* PENDING, not TAKEN */
	fxq_smc(SMC_RSI_RB_TAKE, ca.chan_ipa, 0, 0, 0, 0);
	before = fxq_smc(COUT, ca.chan_ipa, VA_RW + 0x60, SYS_BUF_IPA, 4, 0);
	ending = fxq_smc(SMC_RSI_RB_ENDING, ca.chan_ipa, 0, 0, 0, 0);
	word = fxq_smc(COUT, ca.chan_ipa, VA_RW + 0x60, SYS_BUF_IPA, 4, 0);
	head = fxq_smc(CIN, ca.chan_ipa, VA_RW + 0x40, SYS_BUF_IPA, 24, 0);
	off_list = fxq_smc(COUT, ca.chan_ipa, VA_RW + 0x100, SYS_BUF_IPA, 4, 0);
	keep = fxq_smc(SMC_RSI_RB_COMPLETE, ca.chan_ipa, 0, 0, 0, 0);
	done = fxq_smc(SMC_RSI_RB_COMPLETE, ca.chan_ipa, 9, RB_COMPLETE_EXIT, 0, 0);
	fx_sys_run(&sys);
	assert_int_equal(fx_q.out[early].x[0], RSI_ERROR_STATE);
	assert_int_equal(fx_q.out[before].x[0], NO); /* nanosleep names no such word */
	assert_int_equal(fx_q.out[ending].x[0], OK);
	assert_int_equal(fx_q.out[word].x[0], OK); /* the listed futex word: OWNER_DIED */
	assert_int_equal(fx_q.out[head].x[0], OK);
	assert_int_equal(fx_q.out[off_list].x[0], NO); /* not on the list */
	assert_int_equal(fx_q.out[keep].x[0], NO);	/* only its end completes it now */
	assert_int_equal(fx_q.out[done].x[0], OK);
	assert_int_equal(fx_cont_enter(&ca, &exit), RMI_SUCCESS);
	assert_int_equal(exit.exit_reason, RMI_EXIT_RB_EXITED);
	assert_int_equal(exit.gprs[0], 9);
	fx_cont_teardown(&ca, &sys);
}

/* ---- fork ------------------------------------------------------------------------ */

static void test_fork(void **state)
{
	static const char parent_data[] = "parent's private page";
	struct rmi_rec_exit exit;
	unsigned page_rw, page_ro, not_fresh, dirty, self, regs, page_late, regs_again, vm_page,
		late;
	uint64_t cref, sref, pa;
	unsigned prot;
	struct rec *child, *parent;
	struct rb_channel chv;

	ct.n = 3;
	ct.call[0].nr = 220; /* clone(SIGCHLD): fork */
	ct.call[0].a[0] = 17;
	ct.call[1].nr = 220; /* clone(CLONE_VM | SIGCHLD): a thread, not a fork */
	ct.call[1].a[0] = 0x100 | 17;
	ct.call[2].nr = 172; /* getpid */
	rt_guest(CONT_PC, fx_guest_cont);
	fx_sys_build(&sys);
	fx_cont_build_ex(&ca, &sys, CONT_PC, 0, true, 2);
	start(&ca, 0, 0);
	assert_int_equal(fx_cont_enter(&ca, &exit), RMI_SUCCESS);
	assert_true(fx_exit_is_bare_forward(&exit));
	memcpy(granule_bytes(ca.fresh[0]), parent_data, sizeof(parent_data));

	fxq_reset();
	fxq_smc(SMC_RSI_RB_TAKE, ca.chan_ipa, 0, 0, 0, 0);
	page_rw = fxq_smc(SMC_RSI_RB_FORK_PAGE, ca.chan_ipa, ca.chan2_ipa, VA_RW, CT_FRESH_IPA(10),
			  0);
	page_ro = fxq_smc(SMC_RSI_RB_FORK_PAGE, ca.chan_ipa, ca.chan2_ipa, VA_RO, CT_FRESH_IPA(11),
			  0);
	not_fresh = fxq_smc(SMC_RSI_RB_FORK_PAGE, ca.chan_ipa, ca.chan2_ipa, VA_RW2,
			    CT_FRESH_IPA(0), 0);
	dirty = fxq_smc(SMC_RSI_RB_FORK_PAGE, ca.chan_ipa, ca.chan2_ipa, VA_RW2, CT_DIRTY_IPA, 0);
	self = fxq_smc(SMC_RSI_RB_FORK_PAGE, ca.chan_ipa, ca.chan_ipa, VA_RW2, CT_FRESH_IPA(12), 0);
	fx_sys_run(&sys);
	assert_int_equal(fx_q.out[page_rw].x[0], RSI_SUCCESS);
	assert_int_equal(fx_q.out[page_ro].x[0], RSI_SUCCESS);
	assert_int_equal(fx_q.out[not_fresh].x[0], RSI_ERROR_INPUT);
	assert_int_equal(fx_q.out[dirty].x[0], RSI_ERROR_INPUT);
	assert_int_equal(fx_q.out[self].x[0], RSI_ERROR_INPUT);

	/* The child posts its START: still forkable into until FORK_REGS. */
	assert_int_equal(fx_enter(ca.rec2, ca.run2, &exit), RMI_SUCCESS);
	assert_true(fx_exit_is_bare_forward(&exit));
	fxq_reset();
	regs = fxq_smc(SMC_RSI_RB_FORK_REGS, ca.chan_ipa, ca.chan2_ipa, 0, 0, 0);
	page_late = fxq_smc(SMC_RSI_RB_FORK_PAGE, ca.chan_ipa, ca.chan2_ipa, VA_RW2,
			    CT_FRESH_IPA(12), 0);
	regs_again = fxq_smc(SMC_RSI_RB_FORK_REGS, ca.chan_ipa, ca.chan2_ipa, 0, 0, 0);
	fxq_read(ca.chan2_ipa, &chv, offsetof(struct rb_channel, reserved));
	fxq_smc(SMC_RSI_RB_COMPLETE, ca.chan_ipa, 2, 0, 0, 0);
	fx_sys_run(&sys);
	assert_int_equal(fx_q.out[regs].x[0], RSI_SUCCESS);
	/* The child has "run" from FORK_REGS on: no more pages, no second FORK_REGS. */
	assert_int_equal(fx_q.out[page_late].x[0], RSI_ERROR_INPUT);
	assert_int_equal(fx_q.out[regs_again].x[0], RSI_ERROR_INPUT);
	/* Its channel shows the parent's clone, TAKEN, the START gone. */
	assert_int_equal(chv.state, RB_CHAN_TAKEN);
	assert_int_equal(chv.kind, RB_REQ_SYSCALL);
	assert_int_equal(chv.x[8], 220);
	assert_int_equal(chv.x[0], 0);

	/* The child's address space: copies of the parent's pages, same protection. */
	child = rt_rec(ca.rec2);
	parent = rt_rec(ca.rec);
	assert_int_equal(plat_as_query(child->fasco.as, VA_RW, &pa, &prot), 0);
	assert_int_equal(ALIGN_DOWN(pa, GRANULE_SIZE), ca.fresh[10]);
	assert_int_equal(prot, RB_PROT_R | RB_PROT_W);
	assert_memory_equal(granule_bytes(ca.fresh[10]), parent_data, sizeof(parent_data));
	assert_int_equal(plat_as_query(child->fasco.as, VA_RO, &pa, &prot), 0);
	assert_int_equal(prot, RB_PROT_R);
	assert_int_equal(granule_bytes(ca.fresh[11])[100], 0xC3);
	assert_int_not_equal(plat_as_query(child->fasco.as, VA_RW2, &pa, &prot), 0);
	assert_int_equal(child->regs.pc, parent->regs.pc);
	assert_int_equal(child->regs.gprs[8], 220);
	assert_int_equal(child->regs.gprs[0], 0);
	assert_int_equal(child->fasco.nr, 220);
	assert_int_equal(child->fasco.args[0], 17);
	/* Each granule in one address space only: the child's are its own. */
	assert_int_equal(granule_fasco_owner(granule_find(ca.fresh[10])), 2);
	assert_int_equal(granule_fasco_owner(granule_find(ca.fresh[0])), 1);

	/* A thread (CLONE_VM) is no fork. */
	assert_int_equal(fx_cont_enter(&ca, &exit), RMI_SUCCESS);
	assert_int_equal(ct.result[0], 2);
	fxq_reset();
	fxq_smc(SMC_RSI_RB_TAKE, ca.chan_ipa, 0, 0, 0, 0);
	vm_page = fxq_smc(SMC_RSI_RB_FORK_PAGE, ca.chan_ipa, ca.chan2_ipa, VA_RW2, CT_FRESH_IPA(12),
			  0);
	fxq_smc(SMC_RSI_RB_COMPLETE, ca.chan_ipa, (uint64_t)-22, 0, 0, 0);
	fx_sys_run(&sys);
	assert_int_equal(fx_q.out[vm_page].x[0], RSI_ERROR_INPUT);

	/* getpid is no clone. */
	assert_int_equal(fx_cont_enter(&ca, &exit), RMI_SUCCESS);
	fxq_reset();
	fxq_smc(SMC_RSI_RB_TAKE, ca.chan_ipa, 0, 0, 0, 0);
	late = fxq_smc(SMC_RSI_RB_FORK_REGS, ca.chan_ipa, ca.chan2_ipa, 0, 0, 0);
	fxq_smc(SMC_RSI_RB_COMPLETE, ca.chan_ipa, 1, 0, 0, 0);
	fx_sys_run(&sys);
	assert_int_equal(fx_q.out[late].x[0], RSI_ERROR_INPUT);
	refusals(&cref, &sref);
	assert_int_equal(cref, 6); /* not fresh, dirty, page late, regs again, CLONE_VM, getpid */
	assert_int_equal(sref, 7); /* ... and the same channel twice */

	/* Destroying the child releases only the child's pages. */
	assert_int_equal(
		th_rmi(SMC_RMI_RB_CHANNEL_DESTROY, sys.r.rd, ca.rec2, ca.chan2_ipa, 0, 0, 0, NULL),
		RMI_SUCCESS);
	ca.has_chan2 = false;
	assert_int_equal(th_rmi(SMC_RMI_REC_DESTROY, ca.rec2, 0, 0, 0, 0, 0, NULL), RMI_SUCCESS);
	assert_int_equal(granule_fasco_owner(granule_find(ca.fresh[10])), 0);
	assert_true(fx_realm_granule_zero_util(ca.fresh[10]));
	assert_int_equal(granule_fasco_owner(granule_find(ca.fresh[0])), 1);
	assert_memory_equal(granule_bytes(ca.fresh[0]), parent_data, sizeof(parent_data));
	fx_cont_teardown(&ca, &sys);
	fx_inv_ok();
}

/* ---- Who may call ---------------------------------------------------------- */

static void guest_plain_takes(struct native_guest *g, const uint64_t gprs[8])
{
	struct smc_regs o;

	ct.result[0] = fx_sys_smc(g, SMC_RSI_RB_TAKE, SYS_CHAN_IPA(0), 0, 0, 0, 0, &o);
	ct.result[1] = fx_sys_smc(g, SMC_RSI_RB_COPY_IN, 0, 0, 0, 16, 0, &o);
	/* past the realmbox RSI range (0x1A0..0x1AF, every FID taken) */
	ct.result[2] = fx_sys_smc(g, SMC64_FID(0x1B0), 0, 0, 0, 0, 0, &o);
}

static void test_foreign_channel(void **state)
{
	struct rt_realm plain;
	unsigned not_chan, unaligned, unprot, unassigned, ok;
	uint64_t sref[4];

	world_a();
	/* A plain realm knows no channel, even at the System Realm's channel IPA. */
	rt_guest(0x30000, guest_plain_takes);
	rt_realm_build(&plain, 0x30000);
	rt_run_to_end(&plain, 0);
	assert_int_equal(ct.result[0], RSI_ERROR_INPUT);
	assert_int_equal(ct.result[1], RSI_ERROR_INPUT);
	assert_int_equal(ct.result[2], SMC_UNKNOWN);

	fxq_reset();
	not_chan = fxq_smc(SMC_RSI_RB_TAKE, SYS_BUF_IPA, 0, 0, 0, 0);
	unaligned = fxq_smc(SMC_RSI_RB_TAKE, ca.chan_ipa + 8, 0, 0, 0, 0);
	unprot = fxq_smc(SMC_RSI_RB_TAKE, 1ULL << 39, 0, 0, 0, 0);
	unassigned = fxq_smc(SMC_RSI_RB_TAKE, SYS_CHAN_IPA(3), 0, 0, 0, 0);
	ok = fxq_smc(SMC_RSI_RB_TAKE, ca.chan_ipa, 0, 0, 0, 0);
	fx_sys_run(&sys);
	assert_int_equal(fx_q.out[not_chan].x[0], RSI_ERROR_INPUT);
	assert_int_equal(fx_q.out[unaligned].x[0], RSI_ERROR_INPUT);
	assert_int_equal(fx_q.out[unprot].x[0], RSI_ERROR_INPUT);
	assert_int_equal(fx_q.out[unassigned].x[0], RSI_ERROR_INPUT);
	assert_int_equal(fx_q.out[ok].x[0], RSI_SUCCESS);
	assert_int_equal(fx_q.out[ok].x[1], RB_REQ_SYSCALL);
	fx_counters(sys.r.rd, sref);
	assert_int_equal(sref[1], 4);
	fx_cont_teardown(&ca, &sys);
}

/* ---- The host ----------------------------------------------------------------- */

static void test_channel_host_abuse(void **state)
{
	struct fx_sys s2;
	struct fx_cont c2;
	struct th_realm plain;
	uint64_t plain_rec, chan = th_delegated_granule(), ns = th_ns_granule();
	struct smc_regs res;
	struct rmi_rec_exit exit;
	struct granule *g;

	rt_guest(CONT_PC, fx_guest_cont);
	fx_sys_build(&sys);
	fx_cont_build(&ca, &sys, CONT_PC, 0);
	fx_cont_build_ex(&cb, &sys, CONT_PC, 1, false, 1);
	assert_int_equal(th_realm_create(&plain, NULL), RMI_SUCCESS);
	assert_int_equal(th_rec_create(&plain, 0, 0x1000, NULL, RMI_REC_FLAG_RUNNABLE, &plain_rec),
			 RMI_SUCCESS);

	/* One REC per Container Realm; without a channel it does not run. */
	assert_int_equal(fx_enter(cb.rec, cb.run, NULL), RMI_STATUS(RMI_ERROR_REC, 0));

#define CREATE(sys_rd, ch, rec, ipa)                                                               \
	th_rmi(SMC_RMI_RB_CHANNEL_CREATE, (sys_rd), (ch), (rec), (ipa), 0, 0, NULL)
	/* Objects in the wrong state, aliases. */
	assert_int_equal(CREATE(sys.r.rd, ns, cb.rec, SYS_CHAN_IPA(1)), RMI_ERROR_INPUT);
	assert_int_equal(CREATE(sys.r.rd, ca.fresh[3], cb.rec, SYS_CHAN_IPA(1)), RMI_ERROR_INPUT);
	assert_int_equal(CREATE(sys.r.rd, ca.chan, cb.rec, SYS_CHAN_IPA(1)), RMI_ERROR_INPUT);
	assert_int_equal(CREATE(sys.r.rd, sys.r.rd, cb.rec, SYS_CHAN_IPA(1)), RMI_ERROR_INPUT);
	assert_int_equal(CREATE(sys.r.rd, chan, chan, SYS_CHAN_IPA(1)), RMI_ERROR_INPUT);
	assert_int_equal(CREATE(sys.r.rd, chan, cb.r.rd, SYS_CHAN_IPA(1)), RMI_ERROR_INPUT);
	assert_int_equal(CREATE(chan, chan, cb.rec, SYS_CHAN_IPA(1)), RMI_ERROR_INPUT);
	assert_int_equal(CREATE(sys.r.rd + 8, chan, cb.rec, SYS_CHAN_IPA(1)), RMI_ERROR_INPUT);
	assert_int_equal(CREATE(sys.r.rd, chan + 8, cb.rec, SYS_CHAN_IPA(1)), RMI_ERROR_INPUT);
	/* Not a System Realm; not a container REC; a REC with a channel already. */
	assert_int_equal(CREATE(plain.rd, chan, cb.rec, SYS_CHAN_IPA(1)),
			 RMI_STATUS(RMI_ERROR_REALM, 0));
	assert_int_equal(CREATE(cb.r.rd, chan, cb.rec, SYS_CHAN_IPA(1)),
			 RMI_STATUS(RMI_ERROR_REALM, 0));
	assert_int_equal(CREATE(sys.r.rd, chan, plain_rec, SYS_CHAN_IPA(1)),
			 RMI_STATUS(RMI_ERROR_REC, 0));
	assert_int_equal(CREATE(sys.r.rd, chan, sys.rec, SYS_CHAN_IPA(1)),
			 RMI_STATUS(RMI_ERROR_REC, 0));
	assert_int_equal(CREATE(sys.r.rd, chan, ca.rec, SYS_CHAN_IPA(1)),
			 RMI_STATUS(RMI_ERROR_REC, 0));
	/* A container bound to another System Realm. */
	fx_sys_build(&s2);
	fx_cont_build_ex(&c2, &s2, CONT_PC, 0, false, 1);
	assert_int_equal(CREATE(sys.r.rd, chan, c2.rec, SYS_CHAN_IPA(1)),
			 RMI_STATUS(RMI_ERROR_REC, 0));
	/* A running REC. */
	g = granule_find(cb.rec);
	atomic_granule_get(g);
	assert_int_equal(CREATE(sys.r.rd, chan, cb.rec, SYS_CHAN_IPA(1)),
			 RMI_STATUS(RMI_ERROR_REC, 0));
	atomic_granule_put(g);
	/* The System Realm IPA: unprotected, unaligned, assigned, no RTT, RIPAS EMPTY, taken. */
	assert_int_equal(CREATE(sys.r.rd, chan, cb.rec, 1ULL << 39), RMI_ERROR_INPUT);
	assert_int_equal(CREATE(sys.r.rd, chan, cb.rec, SYS_CHAN_IPA(1) + 8), RMI_ERROR_INPUT);
	assert_int_equal(CREATE(sys.r.rd, chan, cb.rec, 1ULL << 40), RMI_ERROR_INPUT);
	assert_int_equal(CREATE(sys.r.rd, chan, cb.rec, SYS_BUF_IPA), RMI_STATUS(RMI_ERROR_RTT, 3));
	assert_int_equal(CREATE(sys.r.rd, chan, cb.rec, 0x200000), RMI_STATUS(RMI_ERROR_RTT, 2));
	assert_int_equal(CREATE(sys.r.rd, chan, cb.rec, SYS_RAM_TOP), RMI_STATUS(RMI_ERROR_RTT, 3));
	assert_int_equal(CREATE(sys.r.rd, chan, cb.rec, ca.chan_ipa), RMI_STATUS(RMI_ERROR_RTT, 3));
	/* Nothing of these changed anything. */
	assert_int_equal(granule_get_state(granule_find(chan)), GRANULE_STATE_DELEGATED);
	assert_int_equal(rt_rec(cb.rec)->fasco.channel, 0);
	assert_int_equal(rd_map(granule_find(sys.r.rd))->rb_channels, 1);

	assert_int_equal(CREATE(sys.r.rd, chan, cb.rec, SYS_CHAN_IPA(1)), RMI_SUCCESS);
	cb.chan = chan;
	cb.has_chan = true;
	assert_int_equal(granule_get_state(granule_find(chan)), GRANULE_STATE_CHANNEL);
	assert_int_equal(
		th_rmi(SMC_RMI_RTT_READ_ENTRY, sys.r.rd, SYS_CHAN_IPA(1), 3, 0, 0, 0, &res),
		RMI_SUCCESS);
	assert_int_equal(res.x[2], RMI_RTT_ASSIGNED);
	/* The host cannot read it: Realm PAS. */
	{
		uint8_t b;

		assert_int_not_equal(host_mem_read(chan, &b, 1), 0);
	}

	/* What the channel keeps alive. */
	assert_int_equal(th_rmi(SMC_RMI_DATA_DESTROY, sys.r.rd, SYS_CHAN_IPA(1), 0, 0, 0, 0, NULL),
			 RMI_STATUS(RMI_ERROR_RTT, 3));
	assert_int_equal(th_rmi(SMC_RMI_REC_DESTROY, cb.rec, 0, 0, 0, 0, 0, NULL),
			 RMI_STATUS(RMI_ERROR_REC, 0));
	assert_int_equal(th_rmi(SMC_RMI_REALM_DESTROY, sys.r.rd, 0, 0, 0, 0, 0, NULL),
			 RMI_STATUS(RMI_ERROR_REALM, 0));
	assert_int_equal(th_rmi(SMC_RMI_GRANULE_UNDELEGATE, chan, 0, 0, 0, 0, 0, NULL),
			 RMI_ERROR_INPUT);

#define DESTROY(sys_rd, rec, ipa)                                                                  \
	th_rmi(SMC_RMI_RB_CHANNEL_DESTROY, (sys_rd), (rec), (ipa), 0, 0, 0, NULL)
	assert_int_equal(DESTROY(sys.r.rd, cb.rec, SYS_CHAN_IPA(0)), RMI_ERROR_INPUT);
	assert_int_equal(DESTROY(s2.r.rd, cb.rec, SYS_CHAN_IPA(1)), RMI_STATUS(RMI_ERROR_REC, 0));
	assert_int_equal(DESTROY(sys.r.rd, c2.rec, SYS_CHAN_IPA(1)), RMI_STATUS(RMI_ERROR_REC, 0));
	assert_int_equal(DESTROY(sys.r.rd, chan, SYS_CHAN_IPA(1)), RMI_ERROR_INPUT);
	assert_int_equal(DESTROY(plain.rd, cb.rec, SYS_CHAN_IPA(1)),
			 RMI_STATUS(RMI_ERROR_REALM, 0));
	g = granule_find(cb.rec);
	atomic_granule_get(g);
	assert_int_equal(DESTROY(sys.r.rd, cb.rec, SYS_CHAN_IPA(1)), RMI_STATUS(RMI_ERROR_REC, 0));
	atomic_granule_put(g);

	/* A request pending when its channel goes is posted again on the next one. */
	start(&ca, 0, 0);
	assert_int_equal(fx_cont_enter(&ca, &exit), RMI_SUCCESS); /* ct.n = 0: exit_group(42) */
	assert_true(fx_exit_is_bare_forward(&exit));
	assert_int_equal(DESTROY(sys.r.rd, ca.rec, ca.chan_ipa), RMI_SUCCESS);
	assert_int_equal(fx_granule_state_util(ca.chan), GRANULE_STATE_DELEGATED);
	assert_true(fx_realm_granule_zero_util(ca.chan));
	assert_int_equal(fx_enter(ca.rec, ca.run, NULL), RMI_STATUS(RMI_ERROR_REC, 0));
	assert_int_equal(CREATE(sys.r.rd, ca.chan, ca.rec, SYS_CHAN_IPA(2)), RMI_SUCCESS);
	ca.chan_ipa = SYS_CHAN_IPA(2);
	fxq_reset();
	{
		unsigned t = fxq_smc(SMC_RSI_RB_TAKE, ca.chan_ipa, 0, 0, 0, 0);

		fxq_smc(SMC_RSI_RB_COMPLETE, ca.chan_ipa, 42, RB_COMPLETE_EXIT, 0, 0);
		fx_sys_run(&sys);
		assert_int_equal(fx_q.out[t].x[0], RSI_SUCCESS);
		assert_int_equal(fx_q.out[t].x[1], RB_REQ_SYSCALL);
	}
	assert_int_equal(fx_cont_enter(&ca, &exit), RMI_SUCCESS);
	assert_int_equal(exit.exit_reason, RMI_EXIT_RB_EXITED);
	assert_int_equal(exit.gprs[0], 42);

	/* The System Realm cannot have its channel's RIPAS changed (it stays RO RAM). */
	fxq_reset();
	{
		unsigned st = fxq_smc(SMC_RSI_IPA_STATE_SET, SYS_SCRATCH_IPA, SYS_CHAN_IPA(2),
				      RIPAS_EMPTY, RSI_CHANGE_DESTROYED, 0);

		assert_int_equal(fx_enter(sys.rec, sys.run, &exit), RMI_SUCCESS);
		assert_int_equal(exit.exit_reason, RMI_EXIT_RIPAS_CHANGE);
		assert_int_equal(th_rmi(SMC_RMI_RTT_SET_RIPAS, sys.r.rd, sys.rec, SYS_SCRATCH_IPA,
					SYS_CHAN_IPA(2), 0, 0, &res),
				 RMI_SUCCESS);
		assert_int_equal(res.x[1], SYS_CHAN_IPA(1)); /* stopped at cb's channel */
		assert_int_equal(th_rmi(SMC_RMI_RTT_SET_RIPAS, sys.r.rd, sys.rec, SYS_CHAN_IPA(1),
					SYS_CHAN_IPA(2), 0, 0, &res),
				 RMI_STATUS(RMI_ERROR_RTT, 3));
		assert_int_equal(fx_enter(sys.rec, sys.run, &exit), RMI_SUCCESS);
		assert_int_equal(exit.exit_reason, RMI_EXIT_HOST_CALL);
		assert_int_equal(fx_q.out[st].x[0], RSI_SUCCESS);
		assert_int_equal(fx_q.out[st].x[1], SYS_CHAN_IPA(1));
		assert_int_equal(
			th_rmi(SMC_RMI_RTT_READ_ENTRY, sys.r.rd, SYS_CHAN_IPA(1), 3, 0, 0, 0, &res),
			RMI_SUCCESS);
		assert_int_equal(res.x[2], RMI_RTT_ASSIGNED);
		assert_int_equal(res.x[4], RIPAS_RAM);
	}

	fx_cont_teardown(&cb, &sys);
	fx_cont_teardown(&ca, &sys);
	assert_int_equal(rd_map(granule_find(sys.r.rd))->rb_channels, 0);
	fx_inv_ok();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_copy_outside_ranges, fx_setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_out_permissions, fx_setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_other_container, fx_setup, teardown),
		cmocka_unit_test_setup_teardown(test_map_rules, fx_setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_regs, fx_setup, teardown),
		cmocka_unit_test_setup_teardown(test_descriptor_kinds, fx_setup, teardown),
		cmocka_unit_test_setup_teardown(test_altstack, fx_setup, teardown),
		cmocka_unit_test_setup_teardown(test_ending, fx_setup, teardown),
		cmocka_unit_test_setup_teardown(test_fork, fx_setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_channel, fx_setup, teardown),
		cmocka_unit_test_setup_teardown(test_channel_host_abuse, fx_setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
