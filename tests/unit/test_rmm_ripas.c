/*
 * RTT_INIT_RIPAS and RTT_SET_RIPAS: how far each call gets (per entry of
 * one last-level table, blocks included), the measurement of every
 * initialised entry, every refusal, what the platform's stage-2 walker
 * sees after a RIPAS change, and a realm driving IPA_STATE_SET end to end.
 */
#include "rec_test_util.h"
#include "test_rmm_rtt_util.h"

static uint64_t set_ripas(const struct th_realm *r, uint64_t rec, uint64_t base, uint64_t top,
			  struct smc_regs *res)
{
	return th_rmi(SMC_RMI_RTT_SET_RIPAS, r->rd, rec, base, top, 0, 0, res);
}

/* init_ripas that must succeed; returns top_done. */
static uint64_t init_ok(const struct th_realm *r, uint64_t base, uint64_t top)
{
	struct smc_regs res;

	assert_int_equal(init_ripas(r, base, top, &res), RMI_SUCCESS);
	return res.x[1];
}

/* ---- RTT_INIT_RIPAS ---------------------------------------------------- */

static void test_init_ripas_ok(void **state)
{
	struct th_realm r;
	uint8_t rim0[64], rim1[64], rim2[64];

	new_realm(&r);
	th_rtt_create_path(&r, 0, 3);
	rim_of(&r, rim0);
	assert_int_equal(init_ok(&r, 0, 3 * L3), 3 * L3);
	rim_of(&r, rim1);
	assert_memory_not_equal(rim0, rim1, 32);
	for (uint64_t ipa = 0; ipa < 3 * L3; ipa += L3)
		expect_entry(&r, ipa, 3, 3, RMI_RTT_UNASSIGNED, 0, RIPAS_RAM);
	expect_entry(&r, 3 * L3, 3, 3, RMI_RTT_UNASSIGNED, 0, RIPAS_EMPTY);
	/* RAM again: accepted, and measured again. */
	assert_int_equal(init_ok(&r, L3, 2 * L3), 2 * L3);
	rim_of(&r, rim2);
	assert_memory_not_equal(rim1, rim2, 32);
	/* Still unmapped: RAM without DATA is not accessible. */
	expect_unmapped(&r, 0);
	/* top beyond the table: stops at the table's end. */
	assert_int_equal(init_ok(&r, L2 - 2 * L3, L2 + L3), L2);
	expect_entry(&r, L2 - L3, 3, 3, RMI_RTT_UNASSIGNED, 0, RIPAS_RAM);
	expect_entry(&r, L2, 2, 2, RMI_RTT_UNASSIGNED, 0, RIPAS_EMPTY);
	/* The last granule of the protected half. */
	th_rtt_create_path(&r, NS_BASE - L3, 3);
	assert_int_equal(init_ok(&r, NS_BASE - L3, NS_BASE), NS_BASE);
	inv_ok();
}

/* The RIM records each entry: same entries, same RIM however the calls split them. */
static void test_init_ripas_measured_per_entry(void **state)
{
	struct th_realm a, b, c;
	uint8_t ra[64], rb[64], rc[64];

	new_realm(&a);
	new_realm(&b);
	new_realm(&c);
	th_rtt_create_path(&a, 0, 3);
	th_rtt_create_path(&b, 0, 3);
	th_rtt_create_path(&c, 0, 3);
	assert_int_equal(init_ok(&a, 0, 3 * L3), 3 * L3);
	assert_int_equal(init_ok(&b, 0, L3), L3);
	assert_int_equal(init_ok(&b, L3, 3 * L3), 3 * L3);
	assert_int_equal(init_ok(&c, 0, 2 * L3), 2 * L3);
	rim_of(&a, ra);
	rim_of(&b, rb);
	rim_of(&c, rc);
	assert_memory_equal(ra, rb, 64);
	assert_memory_not_equal(ra, rc, 32);
	inv_ok();
}

static void test_init_ripas_blocks(void **state)
{
	struct th_realm r;
	struct smc_regs res;

	new_realm(&r);
	/* No tables at all: a level-1 entry is initialised whole, a page can't be. */
	assert_int_equal(init_ripas(&r, 0, L3, &res), ERR_RTT(1));
	assert_int_equal(init_ok(&r, 4 * L1, 6 * L1 + L2), 6 * L1);
	expect_entry(&r, 5 * L1, 1, 1, RMI_RTT_UNASSIGNED, 0, RIPAS_RAM);
	expect_entry(&r, 6 * L1, 1, 1, RMI_RTT_UNASSIGNED, 0, RIPAS_EMPTY);
	/* Level-2 blocks. */
	rtt_new(&r, 0, 2);
	assert_int_equal(init_ok(&r, 0, 2 * L2 + L3), 2 * L2);
	expect_entry(&r, L2, 2, 2, RMI_RTT_UNASSIGNED, 0, RIPAS_RAM);
	/* The next block does not fit below top; base inside a block. */
	assert_int_equal(init_ripas(&r, 2 * L2, 2 * L2 + L3, &res), ERR_RTT(2));
	assert_int_equal(init_ripas(&r, 2 * L2 + L3, 3 * L2, &res), ERR_RTT(2));
	/* The walk reaches the deepest table: a table entry stops the run. */
	rtt_new(&r, 4 * L2, 3);
	assert_int_equal(init_ok(&r, 3 * L2, 6 * L2), 4 * L2);
	expect_entry(&r, 4 * L2, 3, 3, RMI_RTT_UNASSIGNED, 0, RIPAS_EMPTY);
	/* An initialised block splits into RAM pages. */
	rtt_new(&r, L2, 3);
	expect_entry(&r, L2 + 0x77000, 3, 3, RMI_RTT_UNASSIGNED, 0, RIPAS_RAM);
	inv_ok();
}

static void test_init_ripas_stops(void **state)
{
	struct th_realm r;
	struct smc_regs res;
	uint64_t d = th_delegated_granule();

	new_realm(&r);
	th_rtt_create_path(&r, 0, 3);
	/* An ASSIGNED entry stops the run; starting on one is an error. */
	assert_int_equal(data_unknown(&r, d, 2 * L3), RMI_SUCCESS);
	assert_int_equal(init_ok(&r, 0, 4 * L3), 2 * L3);
	assert_int_equal(init_ripas(&r, 2 * L3, 4 * L3, &res), ERR_RTT(3));
	expect_entry(&r, 2 * L3, 3, 3, RMI_RTT_ASSIGNED, d, RIPAS_EMPTY);
	expect_entry(&r, 3 * L3, 3, 3, RMI_RTT_UNASSIGNED, 0, RIPAS_EMPTY);
	/* A DESTROYED entry too. */
	assert_int_equal(init_ok(&r, 5 * L3, 6 * L3), 6 * L3);
	assert_int_equal(data_unknown(&r, th_delegated_granule(), 5 * L3), RMI_SUCCESS);
	assert_int_equal(data_destroy(&r, 5 * L3, &res), RMI_SUCCESS);
	expect_entry(&r, 5 * L3, 3, 3, RMI_RTT_UNASSIGNED, 0, RIPAS_DESTROYED);
	assert_int_equal(init_ok(&r, 3 * L3, 8 * L3), 5 * L3);
	assert_int_equal(init_ripas(&r, 5 * L3, 8 * L3, &res), ERR_RTT(3));
	expect_entry(&r, 5 * L3, 3, 3, RMI_RTT_UNASSIGNED, 0, RIPAS_DESTROYED);
	inv_ok();
}

static void test_init_ripas_errors(void **state)
{
	struct th_realm r;
	struct smc_regs res;
	uint8_t rim0[64], rim1[64];
	const struct {
		uint64_t base, top;
	} bad[] = {
		{L3, L3},
		{2 * L3, L3},
		{0x10, L3},
		{0, L3 + 8},
		{0, NS_BASE + L3},
		{NS_BASE, NS_BASE + L3},
		{0, IPA_TOP},
		{0, HOSTILE & ~GRANULE_MASK},
		{HOSTILE & ~GRANULE_MASK, HOSTILE & ~GRANULE_MASK},
		{HOSTILE, 0},
		{0, HOSTILE},
		{HOSTILE - L3 + 1, HOSTILE},
	};

	new_realm(&r);
	th_rtt_create_path(&r, 0, 3);
	rim_of(&r, rim0);
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(init_ripas(&r, bad[i].base, bad[i].top, &res), RMI_ERROR_INPUT);
	assert_int_equal(th_rmi(SMC_RMI_RTT_INIT_RIPAS, HOSTILE, 0, L3, 0, 0, 0, &res),
			 RMI_ERROR_INPUT);
	assert_int_equal(th_rmi(SMC_RMI_RTT_INIT_RIPAS, r.rtt_base, 0, L3, 0, 0, 0, &res),
			 RMI_ERROR_INPUT);
	assert_int_equal(th_rmi(SMC_RMI_RTT_INIT_RIPAS, th_ns_granule(), 0, L3, 0, 0, 0, &res),
			 RMI_ERROR_INPUT);
	/* Realm no longer NEW. */
	assert_int_equal(th_rmi(SMC_RMI_REALM_ACTIVATE, r.rd, 0, 0, 0, 0, 0, NULL), RMI_SUCCESS);
	assert_int_equal(init_ripas(&r, 0, L3, &res), RMI_STATUS(RMI_ERROR_REALM, 0));
	rim_of(&r, rim1);
	assert_memory_equal(rim0, rim1, 64);
	expect_entry(&r, 0, 3, 3, RMI_RTT_UNASSIGNED, 0, RIPAS_EMPTY);
	inv_ok();
}

/* ---- RTT_SET_RIPAS (pending request set up through RMM internals) ------ */

struct sr {
	struct th_realm r;
	uint64_t rec;
	uint64_t data[4]; /* DATA at [0, 4 pages), RIPAS RAM */
};

/* Realm with DATA RAM pages at [0, 4 pages), one REC, ACTIVE. */
static void sr_build(struct sr *s)
{
	new_realm(&s->r);
	th_rtt_create_path(&s->r, 0, 3);
	assert_int_equal(init_ok(&s->r, 0, 8 * L3), 8 * L3);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(th_data_create(&s->r, i * L3, NULL, 0, &s->data[i]), RMI_SUCCESS);
	assert_int_equal(th_rec_create(&s->r, 0, 0x1000, NULL, RMI_REC_FLAG_RUNNABLE, &s->rec),
			 RMI_SUCCESS);
	assert_int_equal(th_rmi(SMC_RMI_REALM_ACTIVATE, s->r.rd, 0, 0, 0, 0, 0, NULL), RMI_SUCCESS);
}

/* What RSI IPA_STATE_SET leaves in the REC. */
static void sr_request(const struct sr *s, uint64_t base, uint64_t top, uint64_t ripas,
		       uint64_t flags)
{
	struct rec *rec = rec_map(granule_find(s->rec));

	rec->pending = REC_PENDING_RIPAS;
	rec->ripas_addr = base;
	rec->ripas_top = top;
	rec->ripas_value = ripas;
	rec->ripas_flags = flags;
}

static uint64_t sr_addr(const struct sr *s)
{
	return rec_map(granule_find(s->rec))->ripas_addr;
}

static void test_set_ripas_empty_and_back(void **state)
{
	struct sr s;
	struct smc_regs res;

	sr_build(&s);
	expect_mapped(&s.r, 0, s.data[0], PAS_REALM);
	/* RAM -> EMPTY on [0, 6 pages): assigned pages lose their mapping, DATA stays. */
	sr_request(&s, 0, 6 * L3, RIPAS_EMPTY, 0);
	assert_int_equal(set_ripas(&s.r, s.rec, 0, 6 * L3, &res), RMI_SUCCESS);
	assert_int_equal(res.x[1], 6 * L3);
	assert_int_equal(sr_addr(&s), 6 * L3);
	for (unsigned i = 0; i < 4; i++) {
		expect_entry(&s.r, i * L3, 3, 3, RMI_RTT_ASSIGNED, s.data[i], RIPAS_EMPTY);
		expect_unmapped(&s.r, i * L3);
		assert_int_equal(gstate(s.data[i]), GRANULE_STATE_DATA);
	}
	expect_entry(&s.r, 5 * L3, 3, 3, RMI_RTT_UNASSIGNED, 0, RIPAS_EMPTY);
	expect_entry(&s.r, 6 * L3, 3, 3, RMI_RTT_UNASSIGNED, 0, RIPAS_RAM);
	assert_int_equal(refcount(read_entry(&s.r, 0, 2).desc), 4);
	inv_ok();

	/* EMPTY -> RAM in two host calls: the REC's progress moves on. */
	sr_request(&s, 0, 4 * L3, RIPAS_RAM, 0);
	assert_int_equal(set_ripas(&s.r, s.rec, 0, 2 * L3, &res), RMI_SUCCESS);
	assert_int_equal(res.x[1], 2 * L3);
	expect_mapped(&s.r, L3, s.data[1], PAS_REALM);
	expect_unmapped(&s.r, 2 * L3);
	/* Not the next chunk; beyond the request. */
	assert_int_equal(set_ripas(&s.r, s.rec, 0, 2 * L3, &res), RMI_ERROR_INPUT);
	assert_int_equal(set_ripas(&s.r, s.rec, 3 * L3, 4 * L3, &res), RMI_ERROR_INPUT);
	assert_int_equal(set_ripas(&s.r, s.rec, 2 * L3, 5 * L3, &res), RMI_ERROR_INPUT);
	assert_int_equal(set_ripas(&s.r, s.rec, 2 * L3, 4 * L3, &res), RMI_SUCCESS);
	assert_int_equal(res.x[1], 4 * L3);
	expect_mapped(&s.r, 3 * L3, s.data[3], PAS_REALM);
	expect_entry(&s.r, 3 * L3, 3, 3, RMI_RTT_ASSIGNED, s.data[3], RIPAS_RAM);
	inv_ok();
}

static void test_set_ripas_destroyed(void **state)
{
	struct sr s;
	struct smc_regs res;

	sr_build(&s);
	/* Page 1 DESTROYED (its DATA destroyed while RAM), page 2 ASSIGNED DESTROYED. */
	assert_int_equal(data_destroy(&s.r, L3, &res), RMI_SUCCESS);
	assert_int_equal(data_destroy(&s.r, 2 * L3, &res), RMI_SUCCESS);
	assert_int_equal(data_unknown(&s.r, res.x[1], 2 * L3), RMI_SUCCESS);
	expect_entry(&s.r, 2 * L3, 3, 3, RMI_RTT_ASSIGNED, res.x[1], RIPAS_DESTROYED);

	/* Without RSI_CHANGE_DESTROYED the run stops at the first DESTROYED entry ... */
	sr_request(&s, 0, 4 * L3, RIPAS_RAM, 0);
	assert_int_equal(set_ripas(&s.r, s.rec, 0, 4 * L3, &res), RMI_SUCCESS);
	assert_int_equal(res.x[1], L3);
	assert_int_equal(set_ripas(&s.r, s.rec, L3, 4 * L3, &res), ERR_RTT(3));
	assert_int_equal(sr_addr(&s), L3);
	/* ... whichever the target (the change is *from* DESTROYED). */
	sr_request(&s, L3, 2 * L3, RIPAS_EMPTY, 0);
	assert_int_equal(set_ripas(&s.r, s.rec, L3, 2 * L3, &res), ERR_RTT(3));
	expect_entry(&s.r, L3, 3, 3, RMI_RTT_UNASSIGNED, 0, RIPAS_DESTROYED);
	/* With it, DESTROYED becomes RAM; the assigned one gets its mapping. */
	sr_request(&s, L3, 3 * L3, RIPAS_RAM, RSI_CHANGE_DESTROYED);
	assert_int_equal(set_ripas(&s.r, s.rec, L3, 3 * L3, &res), RMI_SUCCESS);
	assert_int_equal(res.x[1], 3 * L3);
	expect_entry(&s.r, L3, 3, 3, RMI_RTT_UNASSIGNED, 0, RIPAS_RAM);
	expect_mapped(&s.r, 2 * L3, read_entry(&s.r, 2 * L3, 3).desc, PAS_REALM);
	inv_ok();
}

static void test_set_ripas_blocks_and_tables(void **state)
{
	struct sr s;
	struct smc_regs res;

	sr_build(&s);
	/* The request runs into the end of the level-3 table, then a level-2 block. */
	sr_request(&s, L2 - L3, L2 + 2 * L2, RIPAS_RAM, 0);
	assert_int_equal(set_ripas(&s.r, s.rec, L2 - L3, 3 * L2, &res), RMI_SUCCESS);
	assert_int_equal(res.x[1], L2);
	assert_int_equal(set_ripas(&s.r, s.rec, L2, 3 * L2, &res), RMI_SUCCESS);
	assert_int_equal(res.x[1], 3 * L2);
	expect_entry(&s.r, 2 * L2, 2, 2, RMI_RTT_UNASSIGNED, 0, RIPAS_RAM);
	/* A block that does not fit below top: no progress. */
	sr_request(&s, 3 * L2, 3 * L2 + L3, RIPAS_RAM, 0);
	assert_int_equal(set_ripas(&s.r, s.rec, 3 * L2, 3 * L2 + L3, &res), ERR_RTT(2));
	assert_int_equal(sr_addr(&s), 3 * L2);
	inv_ok();
}

static void test_set_ripas_errors(void **state)
{
	struct sr s, t;
	struct smc_regs res;
	struct th_realm fresh;
	uint64_t rec_new;

	sr_build(&s);
	sr_build(&t);
	/* No request pending. */
	assert_int_equal(set_ripas(&s.r, s.rec, 0, L3, &res), RMI_ERROR_INPUT);
	sr_request(&s, 0, 2 * L3, RIPAS_EMPTY, 0);
	/* Range. */
	assert_int_equal(set_ripas(&s.r, s.rec, 0, 0, &res), RMI_ERROR_INPUT);
	assert_int_equal(set_ripas(&s.r, s.rec, L3, 0, &res), RMI_ERROR_INPUT);
	assert_int_equal(set_ripas(&s.r, s.rec, 0, 3 * L3, &res), RMI_ERROR_INPUT);
	assert_int_equal(set_ripas(&s.r, s.rec, 0, HOSTILE, &res), RMI_ERROR_INPUT);
	assert_int_equal(set_ripas(&s.r, s.rec, HOSTILE, HOSTILE, &res), RMI_ERROR_INPUT);
	/* The REC: of another realm; not a REC; aliasing the RD; hostile. */
	sr_request(&t, 0, 2 * L3, RIPAS_EMPTY, 0);
	assert_int_equal(set_ripas(&s.r, t.rec, 0, 2 * L3, &res), RMI_STATUS(RMI_ERROR_REC, 0));
	assert_int_equal(set_ripas(&s.r, s.r.rd, 0, 2 * L3, &res), RMI_ERROR_INPUT);
	assert_int_equal(set_ripas(&s.r, s.data[0], 0, 2 * L3, &res), RMI_ERROR_INPUT);
	assert_int_equal(set_ripas(&s.r, HOSTILE, 0, 2 * L3, &res), RMI_ERROR_INPUT);
	assert_int_equal(set_ripas(&s.r, th_ns_granule(), 0, 2 * L3, &res), RMI_ERROR_INPUT);
	assert_int_equal(th_rmi(SMC_RMI_RTT_SET_RIPAS, s.rec, s.rec, 0, 2 * L3, 0, 0, &res),
			 RMI_ERROR_INPUT);
	assert_int_equal(th_rmi(SMC_RMI_RTT_SET_RIPAS, HOSTILE, s.rec, 0, 2 * L3, 0, 0, &res),
			 RMI_ERROR_INPUT);
	/* A running REC (refcount 1). */
	atomic_granule_get(granule_find(s.rec));
	assert_int_equal(set_ripas(&s.r, s.rec, 0, 2 * L3, &res), RMI_STATUS(RMI_ERROR_REC, 0));
	atomic_granule_put(granule_find(s.rec));
	/* A realm still NEW. */
	new_realm(&fresh);
	assert_int_equal(th_rec_create(&fresh, 0, 0x1000, NULL, 0, &rec_new), RMI_SUCCESS);
	{
		struct rec *rec = rec_map(granule_find(rec_new));

		rec->pending = REC_PENDING_RIPAS;
		rec->ripas_addr = 0;
		rec->ripas_top = L3;
		rec->ripas_value = RIPAS_RAM;
		rec->ripas_flags = 0;
	}
	assert_int_equal(th_rmi(SMC_RMI_RTT_SET_RIPAS, fresh.rd, rec_new, 0, L3, 0, 0, &res),
			 RMI_STATUS(RMI_ERROR_REALM, 0));
	rec_map(granule_find(rec_new))->pending = REC_PENDING_NONE;

	/* Nothing changed; the request still works afterwards. */
	expect_mapped(&s.r, 0, s.data[0], PAS_REALM);
	assert_int_equal(sr_addr(&s), 0);
	assert_int_equal(set_ripas(&s.r, s.rec, 0, 2 * L3, &res), RMI_SUCCESS);
	expect_unmapped(&s.r, L3);
	inv_ok();
}

/* ---- end to end: a realm asks, the host answers ----------------------- */

#define GUEST_PC 0x5000
static struct {
	uint64_t before, after_empty_took_sea, after_ram;
	uint64_t set_status[2], set_base[2], set_resp[2];
} seen;

static void guest_ripas(struct native_guest *g, const uint64_t gprs[8])
{
	struct smc_regs out;

	seen.before = native_guest_load(g, 0x10, 8);
	rt_smc(g, SMC_RSI_IPA_STATE_SET, 0, 2 * L3, RIPAS_EMPTY, 0, &out);
	seen.set_status[0] = out.x[0];
	seen.set_base[0] = out.x[1];
	seen.set_resp[0] = out.x[2];
	(void)native_guest_load(g, 0x10, 8);
	seen.after_empty_took_sea = native_guest_took_sea(g);
	rt_smc(g, SMC_RSI_IPA_STATE_SET, 0, 2 * L3, RIPAS_RAM, 0, &out);
	seen.set_status[1] = out.x[0];
	seen.set_base[1] = out.x[1];
	seen.set_resp[1] = out.x[2];
	seen.after_ram = native_guest_load(g, 0x10, 8);
}

static void test_set_ripas_end_to_end(void **state)
{
	struct rt_realm rr;
	struct rmi_rec_exit exit;
	struct smc_regs res;
	uint64_t expect;

	memset(&seen, 0, sizeof(seen));
	rt_guest(GUEST_PC, guest_ripas);
	rt_realm_build(&rr, GUEST_PC);
	for (unsigned i = 0; i < 8; i++)
		((uint8_t *)&expect)[i] = rt_data_byte(0, 0x10 + i);

	assert_int_equal(rt_enter(&rr, 0, 0, NULL, &exit), RMI_SUCCESS);
	assert_int_equal(exit.exit_reason, RMI_EXIT_RIPAS_CHANGE);
	assert_int_equal(exit.ripas_base, 0);
	assert_int_equal(exit.ripas_top, 2 * L3);
	assert_int_equal(exit.ripas_value, RIPAS_EMPTY);
	/* The host does only half, and the realm learns how far it got. */
	assert_int_equal(set_ripas(&rr.r, rr.recs[0], 0, L3, &res), RMI_SUCCESS);
	assert_int_equal(res.x[1], L3);
	expect_unmapped(&rr.r, 0);
	expect_mapped(&rr.r, L3, rr.data[1], PAS_REALM);

	assert_int_equal(rt_enter(&rr, 0, 0, NULL, &exit), RMI_SUCCESS);
	assert_int_equal(exit.exit_reason, RMI_EXIT_RIPAS_CHANGE);
	assert_int_equal(exit.ripas_value, RIPAS_RAM);
	assert_int_equal(set_ripas(&rr.r, rr.recs[0], 0, 2 * L3, &res), RMI_SUCCESS);
	assert_int_equal(res.x[1], 2 * L3);
	expect_mapped(&rr.r, 0, rr.data[0], PAS_REALM);

	rt_run_to_end(&rr, 0);
	assert_int_equal(seen.before, expect);
	assert_int_equal(seen.set_status[0], RSI_SUCCESS);
	assert_int_equal(seen.set_base[0], L3);
	assert_int_equal(seen.set_resp[0], RSI_ACCEPT);
	assert_true(seen.after_empty_took_sea);
	assert_int_equal(seen.set_status[1], RSI_SUCCESS);
	assert_int_equal(seen.set_base[1], 2 * L3);
	/* The DATA granule stayed assigned: the content is back. */
	assert_int_equal(seen.after_ram, expect);
	/* REC_DESTROY releases the guest's PE. */
	assert_int_equal(th_rmi(SMC_RMI_REC_DESTROY, rr.recs[0], 0, 0, 0, 0, 0, NULL), RMI_SUCCESS);
	inv_ok();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_ripas_ok),
		cmocka_unit_test(test_init_ripas_measured_per_entry),
		cmocka_unit_test(test_init_ripas_blocks),
		cmocka_unit_test(test_init_ripas_stops),
		cmocka_unit_test(test_init_ripas_errors),
		cmocka_unit_test(test_set_ripas_empty_and_back),
		cmocka_unit_test(test_set_ripas_destroyed),
		cmocka_unit_test(test_set_ripas_blocks_and_tables),
		cmocka_unit_test(test_set_ripas_errors),
		cmocka_unit_test(test_set_ripas_end_to_end),
	};

	return cmocka_run_group_tests(tests, rtt_group_setup, rtt_group_teardown);
}
