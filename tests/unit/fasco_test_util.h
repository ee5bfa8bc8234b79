/*
 * Helpers of the Fasco tests (test_rmm_fasco*.c): a System Realm whose REC
 * is a native guest acting as the container OS (it runs a queue of RSI calls
 * the test prepares, then yields to the host with a host call), Container
 * Realms bound to it with their forwarding channels, and the host's side of
 * the forward exits. Header-only, like rec_test_util.h.
 *
 * System Realm IPA layout (s2sz 40): [0, 0x10000) RIPAS RAM; DATA at
 *   0x0000 host-call struct, 0x1000..0x5000 copy buffers, 0x5000 map source
 *   page, 0x6000 struct rb_regs, 0x7000 scratch; channels from 0x8000.
 * Container Realm: [0, 0x40000) RIPAS RAM; CT_NFRESH fresh granules
 *   (DATA_CREATE_UNKNOWN) from 0; the measured configuration page at
 *   CT_CFG_IPA; a DATA_CREATE'd (unmeasured, not fresh) page at CT_DIRTY_IPA.
 */
#ifndef TESTS_FASCO_TEST_UTIL_H
#define TESTS_FASCO_TEST_UTIL_H

#include "rec_test_util.h"

#include <stdio.h>

#include "arch/fasco.h"
#include "common/invariants.h"
#include "rmm/realm.h"

#define SYS_PC 0x10000ULL
#define SYS_HC_IPA 0x0ULL
#define SYS_BUF_IPA 0x1000ULL
#define SYS_PAGE_IPA 0x5000ULL
#define SYS_REGS_IPA 0x6000ULL
#define SYS_SCRATCH_IPA 0x7000ULL
#define SYS_NDATA 8
#define SYS_CHAN_IPA(i) (0x8000ULL + (uint64_t)(i)*GRANULE_SIZE)
#define SYS_RAM_TOP 0x10000ULL

#define CT_NFRESH 24
#define CT_FRESH_IPA(i) ((uint64_t)(i)*GRANULE_SIZE)
#define CT_CFG_IPA 0x20000ULL
#define CT_DIRTY_IPA 0x21000ULL
#define CT_RAM_TOP 0x40000ULL

#define FX_MAX_CONT 2

struct fx_sys {
	struct th_realm r;
	uint64_t rec, run;
	uint64_t data[SYS_NDATA];
};

struct fx_cont {
	struct th_realm r;
	uint64_t rec, run, chan, chan_ipa;
	uint64_t fresh[CT_NFRESH];
	uint64_t cfg, dirty;
	bool has_chan;
	/* A second REC (a process to fork into), with its channel. */
	uint64_t rec2, run2, chan2, chan2_ipa;
	bool has_chan2;
};

static unsigned fx_vmid = 1000;

/* Every container built since the last fx_cleanup (for a failed test's tear-down). */
static struct {
	struct fx_cont *c;
	uint64_t sys_rd;
} fx_all[8];
static unsigned fx_nall;
static char fx_config[] = "manifest-digest=0123abcd;args=/bin/hello;env=PATH=/bin";

/* ---- The System Realm's native guest: a queue of operations ------------------ */

enum fx_op_kind { FX_SMC, FX_WRITE, FX_READ };

struct fx_op {
	enum fx_op_kind kind;
	struct smc_regs regs; /* FX_SMC: in; out in fx_q.out */
	uint64_t ipa;	      /* FX_WRITE / FX_READ */
	const void *src;
	void *dst;
	size_t len;
};

static struct {
	struct fx_op op[32];
	struct smc_regs out[32];
	uint64_t want[32]; /* fxq_want: the status each call must answer */
	bool has_want[32];
	unsigned n;
	void (*fn)(struct native_guest *g); /* instead of the queue, if set */
} fx_q;

static inline void fxq_reset(void)
{
	memset(&fx_q, 0, sizeof(fx_q));
}

/* Queue an RSI call; returns its index (its results: fx_q.out[i]). */
static inline unsigned fxq_smc(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
			       uint64_t a5)
{
	struct fx_op *o = &fx_q.op[fx_q.n];

	assert_true(fx_q.n < ARRAY_SIZE(fx_q.op));
	memset(o, 0, sizeof(*o));
	o->kind = FX_SMC;
	o->regs.x[0] = fid;
	o->regs.x[1] = a1;
	o->regs.x[2] = a2;
	o->regs.x[3] = a3;
	o->regs.x[4] = a4;
	o->regs.x[5] = a5;
	return fx_q.n++;
}

/* Queue an RSI call that must answer `status` (checked by fxq_check). */
static inline unsigned fxq_want(uint64_t status, uint64_t fid, uint64_t a1, uint64_t a2,
				uint64_t a3, uint64_t a4)
{
	unsigned i = fxq_smc(fid, a1, a2, a3, a4, 0);

	fx_q.want[i] = status;
	fx_q.has_want[i] = true;
	return i;
}

/* After the run: every fxq_want call answered its status. */
static inline void fxq_check(void)
{
	for (unsigned i = 0; i < fx_q.n; i++) {
		if (fx_q.has_want[i] && fx_q.out[i].x[0] != fx_q.want[i])
			fail_msg("queued call %u (fid 0x%llx, x1 0x%llx): status %llu, want %llu",
				 i, (unsigned long long)fx_q.op[i].regs.x[0],
				 (unsigned long long)fx_q.op[i].regs.x[1],
				 (unsigned long long)fx_q.out[i].x[0],
				 (unsigned long long)fx_q.want[i]);
	}
}

static inline void fxq_write(uint64_t ipa, const void *src, size_t len)
{
	struct fx_op *o = &fx_q.op[fx_q.n++];

	memset(o, 0, sizeof(*o));
	o->kind = FX_WRITE;
	o->ipa = ipa;
	o->src = src;
	o->len = len;
}

static inline void fxq_read(uint64_t ipa, void *dst, size_t len)
{
	struct fx_op *o = &fx_q.op[fx_q.n++];

	memset(o, 0, sizeof(*o));
	o->kind = FX_READ;
	o->ipa = ipa;
	o->dst = dst;
	o->len = len;
}

static inline uint64_t fx_sys_smc(struct native_guest *g, uint64_t fid, uint64_t a1, uint64_t a2,
				  uint64_t a3, uint64_t a4, uint64_t a5, struct smc_regs *out)
{
	struct smc_regs r;

	memset(&r, 0, sizeof(r));
	r.x[0] = fid;
	r.x[1] = a1;
	r.x[2] = a2;
	r.x[3] = a3;
	r.x[4] = a4;
	r.x[5] = a5;
	native_guest_smc(g, &r);
	if (out)
		*out = r;
	return r.x[0];
}

static void fx_guest_sys(struct native_guest *g, const uint64_t gprs[8])
{
	struct rsi_host_call hc = {.imm = 0xFA};

	for (;;) {
		if (fx_q.fn) {
			fx_q.fn(g);
		} else {
			for (unsigned i = 0; i < fx_q.n; i++) {
				struct fx_op *o = &fx_q.op[i];

				if (o->kind == FX_SMC) {
					fx_q.out[i] = o->regs;
					native_guest_smc(g, &fx_q.out[i]);
				} else if (o->kind == FX_WRITE) {
					native_guest_write(g, o->ipa, o->src, o->len);
				} else {
					native_guest_read(g, o->ipa, o->dst, o->len);
				}
			}
		}
		native_guest_write(g, SYS_HC_IPA, &hc, sizeof(hc));
		fx_sys_smc(g, SMC_RSI_HOST_CALL, SYS_HC_IPA, 0, 0, 0, 0, NULL);
	}
}

#define CONT_PC 0x20000ULL

/* ---- A scripted native container ------------------------------------------- */

static struct {
	struct {
		uint64_t nr, a[6];
		uint64_t wipa;
		const void *wdata;
		size_t wlen;
	} call[8];
	unsigned n, done;
	uint64_t result[8];
} ct;

static inline void fx_guest_cont(struct native_guest *g, const uint64_t gprs[8])
{
	struct smc_regs r;

	for (unsigned i = 0; i < ct.n; i++) {
		if (ct.call[i].wlen)
			native_guest_write(g, ct.call[i].wipa, ct.call[i].wdata, ct.call[i].wlen);
		memset(&r, 0, sizeof(r));
		for (unsigned k = 0; k < 6; k++)
			r.x[k] = ct.call[i].a[k];
		r.x[8] = ct.call[i].nr;
		native_guest_svc(g, &r);
		ct.result[i] = r.x[0];
		ct.done++;
	}
	for (;;) {
		memset(&r, 0, sizeof(r));
		r.x[8] = 94; /* exit_group(42) */
		r.x[0] = 42;
		native_guest_svc(g, &r);
	}
}

/* ---- Host side ----------------------------------------------------------------- */

static inline uint64_t fx_enter(uint64_t rec, uint64_t run, struct rmi_rec_exit *exit)
{
	struct rmi_rec_enter enter;
	uint64_t ret;

	memset(&enter, 0, sizeof(enter));
	assert_int_equal(host_mem_write(run, &enter, sizeof(enter)), 0);
	ret = th_rmi(SMC_RMI_REC_ENTER, rec, run, 0, 0, 0, 0, NULL);
	if (exit)
		assert_int_equal(host_mem_read(run + offsetof(struct rmi_rec_run, exit), exit,
					       sizeof(*exit)),
				 0);
	return ret;
}

/* Run the System Realm's queue once (it ends with its host call). */
static inline void fx_sys_run(struct fx_sys *s)
{
	struct rmi_rec_exit exit;

	assert_int_equal(fx_enter(s->rec, s->run, &exit), RMI_SUCCESS);
	assert_int_equal(exit.exit_reason, RMI_EXIT_HOST_CALL);
	assert_int_equal(exit.imm, 0xFA);
}

/* Is this exit a forward that shows the host nothing of the request? */
static inline bool fx_exit_is_bare_forward(const struct rmi_rec_exit *exit)
{
	static const struct rmi_rec_exit zero;
	struct rmi_rec_exit e = *exit;

	if (e.exit_reason != RMI_EXIT_RB_FORWARD)
		return false;
	e.exit_reason = 0;
	return memcmp(&e, &zero, sizeof(e)) == 0;
}

/* Enter the container (again on IRQ exits); returns the first other exit. */
static inline uint64_t fx_cont_enter(struct fx_cont *c, struct rmi_rec_exit *exit)
{
	uint64_t ret;

	for (unsigned i = 0; i < 1000; i++) {
		ret = fx_enter(c->rec, c->run, exit);
		if (ret != RMI_SUCCESS || exit->exit_reason != RMI_EXIT_IRQ)
			return ret;
	}
	fail_msg("container never left its IRQ exits");
	return ret;
}

static inline void fx_realm_kind(struct th_realm *r, uint64_t kind, uint64_t sys_rd,
				 uint64_t cfg_ipa, uint64_t cfg_size, uint64_t expect)
{
	struct rmi_realm_params p;
	struct rb_realm_params_ext ext = {kind, sys_rd, cfg_ipa, cfg_size};

	th_default_params(&p, fx_vmid++);
	memcpy((uint8_t *)&p + RB_REALM_PARAMS_EXT_OFFSET, &ext, sizeof(ext));
	assert_int_equal(th_realm_create(r, &p), expect);
}

/* A System Realm (ACTIVE) whose REC runs fx_guest_sys. */
static inline void fx_sys_build(struct fx_sys *s)
{
	struct smc_regs res;

	memset(s, 0, sizeof(*s));
	rt_guest(SYS_PC, fx_guest_sys);
	fx_realm_kind(&s->r, RB_REALM_KIND_SYSTEM, 0, 0, 0, RMI_SUCCESS);
	th_rtt_create_path(&s->r, 0, RTT_PAGE_LEVEL);
	assert_int_equal(th_rmi(SMC_RMI_RTT_INIT_RIPAS, s->r.rd, 0, SYS_RAM_TOP, 0, 0, 0, &res),
			 RMI_SUCCESS);
	for (unsigned i = 0; i < SYS_NDATA; i++)
		assert_int_equal(th_data_create(&s->r, i * GRANULE_SIZE, NULL, 0, &s->data[i]),
				 RMI_SUCCESS);
	assert_int_equal(th_rec_create(&s->r, 0, SYS_PC, NULL, RMI_REC_FLAG_RUNNABLE, &s->rec),
			 RMI_SUCCESS);
	assert_true(rt_nall_recs < ARRAY_SIZE(rt_all_recs));
	rt_all_recs[rt_nall_recs++] = s->rec;
	assert_int_equal(th_rmi(SMC_RMI_REALM_ACTIVATE, s->r.rd, 0, 0, 0, 0, 0, NULL), RMI_SUCCESS);
	s->run = th_ns_granule();
}

/*
 * A Container Realm bound to s (ACTIVE), its REC at pc (a native guest, or
 * none for A64 code), with a channel at SYS_CHAN_IPA(idx).
 */
static inline void fx_cont_build_ex(struct fx_cont *c, struct fx_sys *s, uint64_t pc, unsigned idx,
				    bool with_chan, unsigned nrecs)
{
	struct smc_regs res;
	uint8_t page[GRANULE_SIZE];

	memset(c, 0, sizeof(*c));
	fx_realm_kind(&c->r, RB_REALM_KIND_CONTAINER, s->r.rd, CT_CFG_IPA, sizeof(fx_config),
		      RMI_SUCCESS);
	th_rtt_create_path(&c->r, 0, RTT_PAGE_LEVEL);
	assert_int_equal(th_rmi(SMC_RMI_RTT_INIT_RIPAS, c->r.rd, 0, CT_RAM_TOP, 0, 0, 0, &res),
			 RMI_SUCCESS);
	for (unsigned i = 0; i < CT_NFRESH; i++) {
		c->fresh[i] = th_delegated_granule();
		assert_int_equal(th_rmi(SMC_RMI_DATA_CREATE_UNKNOWN, c->r.rd, c->fresh[i],
					CT_FRESH_IPA(i), 0, 0, 0, NULL),
				 RMI_SUCCESS);
	}
	memset(page, 0, sizeof(page));
	memcpy(page, fx_config, sizeof(fx_config));
	assert_int_equal(th_data_create(&c->r, CT_CFG_IPA, page, RMI_MEASURE_CONTENT, &c->cfg),
			 RMI_SUCCESS);
	memset(page, 0x5E, sizeof(page));
	assert_int_equal(th_data_create(&c->r, CT_DIRTY_IPA, page, 0, &c->dirty), RMI_SUCCESS);
	assert_int_equal(th_rec_create(&c->r, 0, pc, NULL, RMI_REC_FLAG_RUNNABLE, &c->rec),
			 RMI_SUCCESS);
	assert_true(rt_nall_recs < ARRAY_SIZE(rt_all_recs) && fx_nall < ARRAY_SIZE(fx_all));
	rt_all_recs[rt_nall_recs++] = c->rec;
	fx_all[fx_nall].c = c;
	fx_all[fx_nall++].sys_rd = s->r.rd;
	if (nrecs > 1) {
		assert_int_equal(th_rec_create(&c->r, 1, pc, NULL, RMI_REC_FLAG_RUNNABLE, &c->rec2),
				 RMI_SUCCESS);
		rt_all_recs[rt_nall_recs++] = c->rec2;
	}
	assert_int_equal(th_rmi(SMC_RMI_REALM_ACTIVATE, c->r.rd, 0, 0, 0, 0, 0, NULL), RMI_SUCCESS);
	if (nrecs > 1) {
		c->run2 = th_ns_granule();
		c->chan2 = th_delegated_granule();
		c->chan2_ipa = SYS_CHAN_IPA(idx + 4);
		assert_int_equal(th_rmi(SMC_RMI_RB_CHANNEL_CREATE, s->r.rd, c->chan2, c->rec2,
					c->chan2_ipa, 0, 0, NULL),
				 RMI_SUCCESS);
		c->has_chan2 = true;
	}
	c->run = th_ns_granule();
	c->chan = th_delegated_granule();
	c->chan_ipa = SYS_CHAN_IPA(idx);
	if (!with_chan)
		return;
	assert_int_equal(th_rmi(SMC_RMI_RB_CHANNEL_CREATE, s->r.rd, c->chan, c->rec, c->chan_ipa, 0,
				0, NULL),
			 RMI_SUCCESS);
	c->has_chan = true;
}

static inline void fx_cont_build(struct fx_cont *c, struct fx_sys *s, uint64_t pc, unsigned idx)
{
	fx_cont_build_ex(c, s, pc, idx, true, 1);
}

/*
 * Tear-down after any test, passed or failed: give every channel back, then
 * destroy every REC (rt_cleanup), so that no PE outlives the machine.
 */
static inline void fx_cleanup(void)
{
	for (unsigned i = 0; i < fx_nall; i++) {
		struct fx_cont *c = fx_all[i].c;

		if (c->has_chan)
			(void)th_rmi(SMC_RMI_RB_CHANNEL_DESTROY, fx_all[i].sys_rd, c->rec,
				     c->chan_ipa, 0, 0, 0, NULL);
		if (c->has_chan2)
			(void)th_rmi(SMC_RMI_RB_CHANNEL_DESTROY, fx_all[i].sys_rd, c->rec2,
				     c->chan2_ipa, 0, 0, 0, NULL);
		c->has_chan = false;
		c->has_chan2 = false;
	}
	fx_nall = 0;
	rt_cleanup();
}

/* ---- Fixture ------------------------------------------------------------------ */

/* Per-test set-up: an empty queue and container script, a fresh machine. */
static inline int fx_setup(void **state)
{
	memset(&ct, 0, sizeof(ct));
	fxq_reset();
	return th_setup(state);
}

/* Give everything back, whatever the test left, and the guests' entry points. */
static inline int fx_teardown(void **state)
{
	fx_cleanup();
	plat_native_guest_unregister(SYS_PC);
	plat_native_guest_unregister(CONT_PC);
	return th_teardown(state);
}

/* Give the channel back and destroy the container's REC. */
static inline void fx_cont_teardown(struct fx_cont *c, struct fx_sys *s)
{
	struct smc_regs res;

	if (c->has_chan) {
		assert_int_equal(th_rmi(SMC_RMI_RB_CHANNEL_DESTROY, s->r.rd, c->rec, c->chan_ipa, 0,
					0, 0, &res),
				 RMI_SUCCESS);
		assert_int_equal(res.x[1], c->chan);
		c->has_chan = false;
	}
	assert_int_equal(th_rmi(SMC_RMI_REC_DESTROY, c->rec, 0, 0, 0, 0, 0, NULL), RMI_SUCCESS);
}

/* RMI_RB_REALM_COUNTERS: [0] forwards, [1] refusals, [2] copies, [3] bytes. */
static inline void fx_counters(uint64_t rd, uint64_t out[4])
{
	struct smc_regs res;

	assert_int_equal(th_rmi(SMC_RMI_RB_REALM_COUNTERS, rd, 0, 0, 0, 0, 0, &res), RMI_SUCCESS);
	for (unsigned i = 0; i < 4; i++)
		out[i] = res.x[1 + i];
}

/* One RMI_RB_REALM_COUNTERS output: X(1 + idx) (4 register reads, 5 kicks). */
static inline uint64_t fx_counter(uint64_t rd, unsigned idx)
{
	struct smc_regs res;

	assert_int_equal(th_rmi(SMC_RMI_RB_REALM_COUNTERS, rd, 0, 0, 0, 0, 0, &res), RMI_SUCCESS);
	return res.x[1 + idx];
}

static inline int fx_granule_state_util(uint64_t pa)
{
	return (int)granule_get_state(granule_find(pa));
}

/* All zeros through the Realm PAS (the RMM's view of a realm granule). */
static inline bool fx_realm_granule_zero_util(uint64_t pa)
{
	const uint8_t *p = granule_map(granule_find(pa));

	for (unsigned i = 0; i < GRANULE_SIZE; i++) {
		if (p[i] != 0)
			return false;
	}
	return true;
}

static inline void fx_inv_ok(void)
{
	char why[1024];

	if (inv_check(why, sizeof(why)) != 0)
		fail_msg("invariants: %s", why);
}

#endif /* TESTS_FASCO_TEST_UTIL_H */
