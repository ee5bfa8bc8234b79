/*
 * Realm Translation Tables: the entry encoding (s2tte.h), RTT_READ_ENTRY,
 * RTT_CREATE, RTT_DESTROY and RTT_FOLD on the protected half — success,
 * every refusal (state unchanged, invariants intact), refcounts after each
 * step, fold/unfold round trips, and what the platform's stage-2 walker
 * sees in the tables the RMM builds.
 */
#include "test_rmm_rtt_util.h"

/* 512 contiguous DATA granules (2 MiB aligned) at [ipa, ipa + 2 MiB), RAM if asked. */
static uint64_t make_pages(const struct th_realm *r, uint64_t ipa, bool ram)
{
	uint64_t base = th_delegated_granules(RTT_ENTRIES);

	assert_true(IS_ALIGNED(base, L2));
	th_rtt_create_path(r, ipa, RTT_PAGE_LEVEL);
	if (ram) {
		struct smc_regs res;

		assert_int_equal(init_ripas(r, ipa, ipa + L2, &res), RMI_SUCCESS);
		assert_int_equal(res.x[1], ipa + L2);
	}
	for (unsigned i = 0; i < RTT_ENTRIES; i++)
		assert_int_equal(data_unknown(r, base + i * L3, ipa + i * L3), RMI_SUCCESS);
	return base;
}

/* The L3 table under the L2 entry covering ipa (from RTT_READ_ENTRY). */
static uint64_t l3_table_of(const struct th_realm *r, uint64_t ipa)
{
	struct entry e = read_entry(r, ALIGN_DOWN(ipa, L2), 2);

	assert_int_equal(e.level, 2);
	assert_int_equal(e.state, RMI_RTT_TABLE);
	return e.desc;
}

/* ---- encoding --------------------------------------------------------- */

static void test_encoding_zero(void **state)
{
	for (long l = 0; l <= 3; l++) {
		assert_int_equal(s2tte_get_state(0, l, false), S2TTE_UNASSIGNED);
		assert_int_equal(s2tte_get_ripas(0, l, false), RIPAS_EMPTY);
		assert_int_equal(s2tte_get_state(0, l, true), S2TTE_UNASSIGNED_NS);
		assert_false(s2tte_is_live(0, l, false));
		assert_false(s2tte_is_live(0, l, true));
	}
	assert_int_equal(s2tte_create_unassigned(RIPAS_EMPTY), 0);
	/* Whatever an invalid entry says, the unprotected half reads it as UNASSIGNED_NS. */
	assert_int_equal(s2tte_get_state(s2tte_create_unassigned(RIPAS_RAM), 3, true),
			 S2TTE_UNASSIGNED_NS);
	assert_int_equal(s2tte_get_state(s2tte_create_unassigned_ns(), 2, true),
			 S2TTE_UNASSIGNED_NS);
}

static void test_encoding_kinds(void **state)
{
	uint64_t pa = 0x80200000ULL;
	uint64_t e;

	/* ASSIGNED RAM: the architectural page/block the walker wants. */
	e = s2tte_create_assigned(pa, 3, RIPAS_RAM);
	assert_int_equal(e & S2TT_DESC_TYPE_MASK, S2TT_DESC_PAGE);
	assert_int_equal(e & S2TT_OA_MASK, pa);
	assert_true(e & S2TT_AF);
	assert_int_equal(e & S2TT_SH_MASK, S2TT_SH_IS);
	assert_int_equal(e & S2TT_MEMATTR_MASK, S2TT_MEMATTR_NORMAL_WB);
	assert_int_equal(e & S2TT_S2AP_MASK, S2TT_S2AP_RW);
	assert_false(e & S2TT_NS);
	assert_int_equal(s2tte_get_state(e, 3, false), S2TTE_ASSIGNED);
	assert_int_equal(s2tte_get_ripas(e, 3, false), RIPAS_RAM);
	assert_int_equal(s2tte_get_pa(e, 3), pa);
	assert_true(s2tte_is_valid_leaf(e, 3));
	e = s2tte_create_assigned(pa, 2, RIPAS_RAM);
	assert_int_equal(e & S2TT_DESC_TYPE_MASK, S2TT_DESC_BLOCK);
	assert_int_equal(s2tte_get_state(e, 2, false), S2TTE_ASSIGNED);
	assert_false(s2tte_is_table(e, 2));

	/* ASSIGNED EMPTY / DESTROYED: invalid, OA kept, RIPAS readable. */
	for (uint64_t ripas = RIPAS_EMPTY; ripas <= RIPAS_DESTROYED; ripas += 2) {
		e = s2tte_create_assigned(pa, 3, ripas);
		assert_false(e & S2TT_DESC_VALID);
		assert_int_equal(s2tte_get_state(e, 3, false), S2TTE_ASSIGNED);
		assert_int_equal(s2tte_get_ripas(e, 3, false), ripas);
		assert_int_equal(s2tte_get_pa(e, 3), pa);
		assert_true(s2tte_is_live(e, 3, false));
	}
	/* UNASSIGNED keeps its RIPAS and is not live. */
	for (uint64_t ripas = RIPAS_EMPTY; ripas <= RIPAS_DESTROYED; ripas++) {
		e = s2tte_create_unassigned(ripas);
		assert_int_equal(s2tte_get_state(e, 1, false), S2TTE_UNASSIGNED);
		assert_int_equal(s2tte_get_ripas(e, 1, false), ripas);
		assert_false(s2tte_is_live(e, 1, false));
	}
	/* ASSIGNED_NS: host attributes + NS + AF. */
	e = s2tte_create_assigned_ns(pa | S2TT_MEMATTR_DEVICE_NGNRE | S2TT_S2AP_RO, 3);
	assert_true(e & S2TT_NS);
	assert_true(e & S2TT_AF);
	assert_int_equal(s2tte_get_state(e, 3, true), S2TTE_ASSIGNED_NS);
	assert_int_equal(s2tte_get_ns_host_desc(e), pa | S2TT_MEMATTR_DEVICE_NGNRE | S2TT_S2AP_RO);
	assert_int_equal(s2tte_get_ripas(e, 3, true), RIPAS_EMPTY);
	/* TABLE. */
	e = s2tte_create_table(pa);
	assert_int_equal(s2tte_get_state(e, 1, false), S2TTE_TABLE);
	assert_int_equal(s2tte_get_state(e, 2, true), S2TTE_TABLE);
	assert_int_equal(s2tte_get_pa(e, 1), pa);
	assert_true(s2tte_is_live(e, 2, false));

	/* Host descriptors for RTT_MAP_UNPROTECTED. */
	assert_true(s2tte_ns_host_desc_is_valid(pa | S2TT_S2AP_RW | S2TT_MEMATTR_NORMAL_WB, 3));
	assert_true(s2tte_ns_host_desc_is_valid(pa, 2));
	assert_false(s2tte_ns_host_desc_is_valid(pa + L3, 2));
	assert_false(s2tte_ns_host_desc_is_valid(pa | S2TT_NS, 3));
	assert_false(s2tte_ns_host_desc_is_valid(pa | S2TT_AF, 3));
	assert_false(s2tte_ns_host_desc_is_valid(pa | S2TT_DESC_VALID, 3));
	assert_false(s2tte_ns_host_desc_is_valid(pa | S2TT_SH_IS, 3));
	assert_false(s2tte_ns_host_desc_is_valid(HOSTILE, 3));
	assert_false(s2tte_ns_host_desc_is_valid(pa, 1));
}

static uint64_t tbl[RTT_ENTRIES];

static void test_encoding_split_fold(void **state)
{
	uint64_t pa = 0x80400000ULL, parent;
	unsigned live;

	/* Split and fold are inverse for every foldable kind. */
	const struct {
		uint64_t e;
		long level;
		bool ns;
	} cases[] = {
		{s2tte_create_unassigned(RIPAS_EMPTY), 1, false},
		{s2tte_create_unassigned(RIPAS_RAM), 2, false},
		{s2tte_create_unassigned(RIPAS_DESTROYED), 0, false},
		{s2tte_create_unassigned_ns(), 1, true},
		{s2tte_create_assigned(pa, 2, RIPAS_RAM), 2, false},
		{s2tte_create_assigned(pa, 2, RIPAS_EMPTY), 2, false},
		{s2tte_create_assigned(pa, 2, RIPAS_DESTROYED), 2, false},
		{s2tte_create_assigned_ns(pa | S2TT_S2AP_RO, 2), 2, true},
	};
	for (unsigned c = 0; c < ARRAY_SIZE(cases); c++) {
		for (unsigned i = 0; i < RTT_ENTRIES; i++)
			tbl[i] = s2tte_split(cases[c].e, cases[c].level, cases[c].ns, i);
		assert_true(s2tt_fold_check(tbl, cases[c].level + 1, cases[c].ns, &parent, &live));
		assert_int_equal(parent, cases[c].e);
		assert_int_equal(live, s2tte_is_live(cases[c].e, cases[c].level, cases[c].ns)
					       ? RTT_ENTRIES
					       : 0);
	}
	/* Split block pages are contiguous. */
	for (unsigned i = 0; i < RTT_ENTRIES; i++)
		tbl[i] = s2tte_split(s2tte_create_assigned(pa, 2, RIPAS_RAM), 2, false, i);
	assert_int_equal(s2tte_get_pa(tbl[7], 3), pa + 7 * L3);
	/* One entry off: not foldable. */
	tbl[5] = s2tte_create_assigned(pa + 6 * L3, 3, RIPAS_RAM);
	assert_false(s2tt_fold_check(tbl, 3, false, &parent, &live));
	tbl[5] = s2tte_create_assigned(pa + 5 * L3, 3, RIPAS_EMPTY);
	assert_false(s2tt_fold_check(tbl, 3, false, &parent, &live));
	tbl[5] = s2tte_create_unassigned(RIPAS_RAM);
	assert_false(s2tt_fold_check(tbl, 3, false, &parent, &live));
	assert_int_equal(live, RTT_ENTRIES - 1);
	/* Assigned pages of a level-2 table would make a level-1 block: refused. */
	for (unsigned i = 0; i < RTT_ENTRIES; i++)
		tbl[i] = s2tte_create_assigned(0x40000000ULL + i * L2, 2, RIPAS_RAM);
	assert_false(s2tt_fold_check(tbl, 2, false, &parent, &live));
	/* Contiguous but not aligned to the parent block. */
	for (unsigned i = 0; i < RTT_ENTRIES; i++)
		tbl[i] = s2tte_create_assigned(pa + L3 + i * L3, 3, RIPAS_RAM);
	assert_false(s2tt_fold_check(tbl, 3, false, &parent, &live));
	/* NS pages with different attributes. */
	for (unsigned i = 0; i < RTT_ENTRIES; i++)
		tbl[i] = s2tte_create_assigned_ns((pa + i * L3) | S2TT_S2AP_RW, 3);
	assert_true(s2tt_fold_check(tbl, 3, true, &parent, &live));
	tbl[100] = s2tte_create_assigned_ns((pa + 100 * L3) | S2TT_S2AP_RO, 3);
	assert_false(s2tt_fold_check(tbl, 3, true, &parent, &live));
	/* A table inside is never foldable. */
	for (unsigned i = 0; i < RTT_ENTRIES; i++)
		tbl[i] = 0;
	tbl[0] = s2tte_create_table(pa);
	assert_false(s2tt_fold_check(tbl, 2, false, &parent, &live));
}

/* ---- RTT_READ_ENTRY ---------------------------------------------------- */

static void test_read_entry_fresh(void **state)
{
	struct th_realm r;

	new_realm(&r);
	expect_entry(&r, 0, 1, 1, RMI_RTT_UNASSIGNED, 0, RIPAS_EMPTY);
	/* Asked deeper: the walk stops at the unassigned level-1 entry. */
	expect_entry(&r, 0x1000, 3, 1, RMI_RTT_UNASSIGNED, 0, RIPAS_EMPTY);
	expect_entry(&r, NS_BASE - L1, 1, 1, RMI_RTT_UNASSIGNED, 0, RIPAS_EMPTY);
	/* Unprotected half (second root granule): UNASSIGNED, RIPAS EMPTY. */
	expect_entry(&r, NS_BASE, 1, 1, RMI_RTT_UNASSIGNED, 0, RIPAS_EMPTY);
	expect_entry(&r, IPA_TOP - L3, 3, 1, RMI_RTT_UNASSIGNED, 0, RIPAS_EMPTY);
	inv_ok();
}

static void test_read_entry_errors(void **state)
{
	struct th_realm r;
	struct smc_regs res;
	const struct {
		uint64_t rd, ipa, level;
	} bad[] = {
		{0, 0, 0}, /* below the start level */
		{0, 0, 4},	 {0, 0, HOSTILE},
		{0, 0x1000, 2},			  /* not aligned to the level */
		{0, L2, 1},	 {0, IPA_TOP, 1}, /* beyond 2^s2sz */
		{0, HOSTILE, 3}, {0, HOSTILE & ~GRANULE_MASK, 3},
		{1, 0, 1}, /* rd is not an RD */
		{2, 0, 1},	 {3, 0, 1},
	};

	new_realm(&r);
	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		uint64_t rd = r.rd;

		if (bad[i].rd == 1)
			rd = r.rtt_base;
		else if (bad[i].rd == 2)
			rd = HOSTILE;
		else if (bad[i].rd == 3)
			rd = r.rd + 8;
		assert_int_equal(
			th_rmi(SMC_RMI_RTT_READ_ENTRY, rd, bad[i].ipa, bad[i].level, 0, 0, 0, &res),
			RMI_ERROR_INPUT);
	}
	inv_ok();
}

/* ---- RTT_CREATE -------------------------------------------------------- */

static void test_rtt_create_ok(void **state)
{
	struct th_realm r;
	uint64_t rtt2, rtt3, rtt2ns, root1 = 0;

	new_realm(&r);
	root1 = r.rtt_base + GRANULE_SIZE;
	rtt2 = rtt_new(&r, 0, 2);
	assert_int_equal(gstate(rtt2), GRANULE_STATE_RTT);
	assert_int_equal(refcount(r.rtt_base), 1);
	assert_int_equal(refcount(rtt2), 0);
	expect_entry(&r, 0, 1, 1, RMI_RTT_TABLE, rtt2, RIPAS_EMPTY);
	expect_entry(&r, 0, 2, 2, RMI_RTT_UNASSIGNED, 0, RIPAS_EMPTY);
	expect_entry(&r, L1 - L2, 3, 2, RMI_RTT_UNASSIGNED, 0, RIPAS_EMPTY);

	rtt3 = rtt_new(&r, 0x200000, 3);
	assert_int_equal(refcount(rtt2), 1);
	assert_int_equal(refcount(rtt3), 0);
	expect_entry(&r, 0x200000, 2, 2, RMI_RTT_TABLE, rtt3, RIPAS_EMPTY);
	expect_entry(&r, 0x3ff000, 3, 3, RMI_RTT_UNASSIGNED, 0, RIPAS_EMPTY);
	expect_entry(&r, 0, 3, 2, RMI_RTT_UNASSIGNED, 0, RIPAS_EMPTY);

	/* The unprotected half lives in the second root granule, which counts its own entries. */
	rtt2ns = rtt_new(&r, NS_BASE + 3 * L1, 2);
	assert_int_equal(refcount(root1), 1);
	assert_int_equal(refcount(r.rtt_base), 1);
	expect_entry(&r, NS_BASE + 3 * L1, 1, 1, RMI_RTT_TABLE, rtt2ns, RIPAS_EMPTY);
	expect_entry(&r, NS_BASE + 3 * L1 + L2, 2, 2, RMI_RTT_UNASSIGNED, 0, RIPAS_EMPTY);
	rtt_new(&r, NS_BASE + 3 * L1, 3);
	assert_int_equal(refcount(rtt2ns), 1);
	/* The last level-1 entry of the protected half. */
	rtt_new(&r, NS_BASE - L1, 2);
	assert_int_equal(refcount(r.rtt_base), 2);

	/* The platform walker follows the tables and faults at the unassigned leaf. */
	expect_unmapped(&r, 0x200000);
	expect_unmapped(&r, NS_BASE + 3 * L1);
	inv_ok();
}

static void test_rtt_create_errors(void **state)
{
	struct th_realm r, other;
	uint64_t rtt = th_delegated_granule();
	uint64_t ns = th_ns_granule();
	uint64_t rtt2;

	new_realm(&r);
	new_realm(&other);

	/* Level out of (start, 3]. */
	assert_int_equal(rtt_create(&r, rtt, 0, 1), RMI_ERROR_INPUT);
	assert_int_equal(rtt_create(&r, rtt, 0, 0), RMI_ERROR_INPUT);
	assert_int_equal(rtt_create(&r, rtt, 0, 4), RMI_ERROR_INPUT);
	assert_int_equal(rtt_create(&r, rtt, 0, HOSTILE), RMI_ERROR_INPUT);
	assert_int_equal(rtt_create(&r, rtt, 0, 1ULL << 32), RMI_ERROR_INPUT);
	/* ipa not aligned to the parent's entry, or outside the IPA space. */
	assert_int_equal(rtt_create(&r, rtt, L2, 2), RMI_ERROR_INPUT);
	assert_int_equal(rtt_create(&r, rtt, 0x1000, 3), RMI_ERROR_INPUT);
	assert_int_equal(rtt_create(&r, rtt, IPA_TOP, 2), RMI_ERROR_INPUT);
	assert_int_equal(rtt_create(&r, rtt, HOSTILE, 2), RMI_ERROR_INPUT);
	assert_int_equal(rtt_create(&r, rtt, ALIGN_DOWN(HOSTILE, L1), 2), RMI_ERROR_INPUT);
	/* rtt not DELEGATED: NS, the RD itself, a root RTT, unaligned, outside DRAM, another
	 * realm's RD. */
	assert_int_equal(rtt_create(&r, ns, 0, 2), RMI_ERROR_INPUT);
	assert_int_equal(rtt_create(&r, r.rd, 0, 2), RMI_ERROR_INPUT);
	assert_int_equal(rtt_create(&r, r.rtt_base, 0, 2), RMI_ERROR_INPUT);
	assert_int_equal(rtt_create(&r, other.rtt_base, 0, 2), RMI_ERROR_INPUT);
	assert_int_equal(rtt_create(&r, rtt + 8, 0, 2), RMI_ERROR_INPUT);
	assert_int_equal(rtt_create(&r, HOSTILE, 0, 2), RMI_ERROR_INPUT);
	assert_int_equal(rtt_create(&r, 0, 0, 2), RMI_ERROR_INPUT);
	assert_int_equal(rtt_create(&r, other.rd, 0, 2), RMI_ERROR_INPUT);
	/* rd not an RD. */
	assert_int_equal(th_rmi(SMC_RMI_RTT_CREATE, rtt, rtt, 0, 2, 0, 0, NULL), RMI_ERROR_INPUT);
	assert_int_equal(th_rmi(SMC_RMI_RTT_CREATE, r.rtt_base, rtt, 0, 2, 0, 0, NULL),
			 RMI_ERROR_INPUT);
	assert_int_equal(th_rmi(SMC_RMI_RTT_CREATE, HOSTILE, rtt, 0, 2, 0, 0, NULL),
			 RMI_ERROR_INPUT);
	assert_int_equal(th_rmi(SMC_RMI_RTT_CREATE, ns, rtt, 0, 2, 0, 0, NULL), RMI_ERROR_INPUT);

	/* The walk stops short: no level-2 table yet. */
	assert_int_equal(rtt_create(&r, rtt, 0, 3), ERR_RTT(1));
	assert_int_equal(rtt_create(&r, rtt, NS_BASE + L2, 3), ERR_RTT(1));
	/* The parent entry is already a table. */
	rtt2 = rtt_new(&r, 0, 2);
	assert_int_equal(rtt_create(&r, rtt, 0, 2), ERR_RTT(1));
	rtt_new(&r, 0, 3);
	assert_int_equal(rtt_create(&r, rtt, 0, 3), ERR_RTT(2));
	assert_int_equal(rtt_create(&r, rtt, L2 * 7, 3), RMI_SUCCESS);
	rtt = th_delegated_granule();
	/* A live RTT can't be reused elsewhere. */
	assert_int_equal(rtt_create(&r, rtt2, L1, 2), RMI_ERROR_INPUT);

	/* Nothing changed by any refusal. */
	assert_int_equal(gstate(rtt), GRANULE_STATE_DELEGATED);
	assert_true(realm_zero(rtt));
	assert_int_equal(gstate(ns), GRANULE_STATE_NS);
	assert_int_equal(refcount(r.rtt_base), 1);
	assert_int_equal(refcount(rtt2), 2);
	assert_int_equal(refcount(other.rtt_base), 0);
	expect_entry(&other, 0, 1, 1, RMI_RTT_UNASSIGNED, 0, RIPAS_EMPTY);
	expect_entry(&r, L1, 1, 1, RMI_RTT_UNASSIGNED, 0, RIPAS_EMPTY);
	inv_ok();
}

static void test_rtt_create_keeps_ripas(void **state)
{
	struct th_realm r;
	struct smc_regs res;
	uint64_t rtt3;

	new_realm(&r);
	rtt_new(&r, 0, 2);
	/* INIT_RIPAS on level-2 entries: two 2 MiB blocks become RAM. */
	assert_int_equal(init_ripas(&r, 0, 2 * L2, &res), RMI_SUCCESS);
	assert_int_equal(res.x[1], 2 * L2);
	expect_entry(&r, L2, 2, 2, RMI_RTT_UNASSIGNED, 0, RIPAS_RAM);
	rtt3 = rtt_new(&r, L2, 3);
	for (uint64_t ipa = L2; ipa < 2 * L2; ipa += 0x3f000)
		expect_entry(&r, ipa, 3, 3, RMI_RTT_UNASSIGNED, 0, RIPAS_RAM);
	expect_entry(&r, 2 * L2, 3, 2, RMI_RTT_UNASSIGNED, 0, RIPAS_EMPTY);
	assert_int_equal(refcount(rtt3), 0);

	/* DESTROYED survives an RTT_DESTROY + RTT_CREATE. */
	assert_int_equal(rtt_destroy(&r, L2, 3, &res), RMI_SUCCESS);
	expect_entry(&r, L2, 2, 2, RMI_RTT_UNASSIGNED, 0, RIPAS_DESTROYED);
	rtt_new(&r, L2, 3);
	expect_entry(&r, L2 + 0x5000, 3, 3, RMI_RTT_UNASSIGNED, 0, RIPAS_DESTROYED);
	inv_ok();
}

/* ---- RTT_DESTROY ------------------------------------------------------- */

static void test_rtt_destroy_ok(void **state)
{
	struct th_realm r;
	struct smc_regs res;
	uint64_t rtt2, rtt3, rtt2ns;

	new_realm(&r);
	rtt2 = rtt_new(&r, 0, 2);
	rtt3 = rtt_new(&r, 0, 3);
	/* Leave traces in the table: a destroyed RTT comes back zeroed. */
	assert_int_equal(init_ripas(&r, 0, 0x10000, &res), RMI_SUCCESS);

	assert_int_equal(rtt_destroy(&r, 0, 3, &res), RMI_SUCCESS);
	assert_int_equal(res.x[1], rtt3);
	assert_int_equal(res.x[2], L1); /* nothing live left in the level-2 table */
	assert_int_equal(gstate(rtt3), GRANULE_STATE_DELEGATED);
	assert_true(realm_zero(rtt3));
	assert_int_equal(refcount(rtt2), 0);
	expect_entry(&r, 0, 2, 2, RMI_RTT_UNASSIGNED, 0, RIPAS_DESTROYED);

	assert_int_equal(rtt_destroy(&r, 0, 2, &res), RMI_SUCCESS);
	assert_int_equal(res.x[1], rtt2);
	assert_int_equal(res.x[2], IPA_TOP); /* the whole root is non-live now */
	assert_int_equal(refcount(r.rtt_base), 0);
	expect_entry(&r, 0, 1, 1, RMI_RTT_UNASSIGNED, 0, RIPAS_DESTROYED);
	expect_entry(&r, 0x7000, 3, 1, RMI_RTT_UNASSIGNED, 0, RIPAS_DESTROYED);
	/* The host may take both back. */
	assert_int_equal(th_rmi(SMC_RMI_GRANULE_UNDELEGATE, rtt2, 0, 0, 0, 0, 0, NULL),
			 RMI_SUCCESS);
	assert_int_equal(th_rmi(SMC_RMI_GRANULE_UNDELEGATE, rtt3, 0, 0, 0, 0, 0, NULL),
			 RMI_SUCCESS);

	/* Unprotected half: the entry goes back to UNASSIGNED_NS, not DESTROYED. */
	rtt2ns = rtt_new(&r, NS_BASE, 2);
	assert_int_equal(refcount(r.rtt_base + GRANULE_SIZE), 1);
	assert_int_equal(rtt_destroy(&r, NS_BASE, 2, &res), RMI_SUCCESS);
	assert_int_equal(res.x[1], rtt2ns);
	assert_int_equal(res.x[2], IPA_TOP);
	assert_int_equal(refcount(r.rtt_base + GRANULE_SIZE), 0);
	expect_entry(&r, NS_BASE, 1, 1, RMI_RTT_UNASSIGNED, 0, RIPAS_EMPTY);
	assert_true(rtt_root_is_empty(rd_of(&r)));
	inv_ok();
	/* And the realm can be destroyed. */
	assert_int_equal(th_rmi(SMC_RMI_REALM_DESTROY, r.rd, 0, 0, 0, 0, 0, NULL), RMI_SUCCESS);
	inv_ok();
}

static void test_rtt_destroy_errors(void **state)
{
	struct th_realm r;
	struct smc_regs res;
	uint64_t rtt2, rtt3a, rtt3b, data = th_delegated_granule();

	new_realm(&r);
	/* Input. */
	assert_int_equal(rtt_destroy(&r, 0, 1, &res), RMI_ERROR_INPUT);
	assert_int_equal(rtt_destroy(&r, 0, 0, &res), RMI_ERROR_INPUT);
	assert_int_equal(rtt_destroy(&r, 0, 4, &res), RMI_ERROR_INPUT);
	assert_int_equal(rtt_destroy(&r, 0, HOSTILE, &res), RMI_ERROR_INPUT);
	assert_int_equal(rtt_destroy(&r, L2, 2, &res), RMI_ERROR_INPUT);
	assert_int_equal(rtt_destroy(&r, 0x1000, 3, &res), RMI_ERROR_INPUT);
	assert_int_equal(rtt_destroy(&r, IPA_TOP, 2, &res), RMI_ERROR_INPUT);
	assert_int_equal(rtt_destroy(&r, HOSTILE, 3, &res), RMI_ERROR_INPUT);
	assert_int_equal(th_rmi(SMC_RMI_RTT_DESTROY, r.rtt_base, 0, 2, 0, 0, 0, &res),
			 RMI_ERROR_INPUT);
	assert_int_equal(th_rmi(SMC_RMI_RTT_DESTROY, HOSTILE, 0, 2, 0, 0, 0, &res),
			 RMI_ERROR_INPUT);

	/* Walk short: x2 is the top of the non-live run. */
	assert_int_equal(rtt_destroy(&r, 0, 3, &res), ERR_RTT(1));
	assert_int_equal(res.x[2], IPA_TOP);
	/* No table at the parent entry. */
	assert_int_equal(rtt_destroy(&r, 0, 2, &res), ERR_RTT(1));
	rtt2 = rtt_new(&r, 0, 2);
	rtt3a = rtt_new(&r, 0, 3);
	rtt3b = rtt_new(&r, 2 * L2, 3);
	assert_int_equal(rtt_destroy(&r, L2, 3, &res), ERR_RTT(2));
	assert_int_equal(res.x[2], 2 * L2); /* [L2, 2*L2) non-live, then the table */
	/* The child is not empty: a table in it, then a DATA granule in it. */
	assert_int_equal(rtt_destroy(&r, 0, 2, &res), ERR_RTT(2));
	assert_int_equal(data_unknown(&r, data, 2 * L2 + 0x3000), RMI_SUCCESS);
	assert_int_equal(rtt_destroy(&r, 2 * L2, 3, &res), ERR_RTT(3));
	assert_int_equal(gstate(rtt3b), GRANULE_STATE_RTT);
	assert_int_equal(refcount(rtt3b), 1);

	/* x2 skips the non-live run up to the next live entry. */
	assert_int_equal(rtt_destroy(&r, 0, 3, &res), RMI_SUCCESS);
	assert_int_equal(res.x[1], rtt3a);
	assert_int_equal(res.x[2], 2 * L2);
	assert_int_equal(refcount(rtt2), 1);
	inv_ok();
}

/* ---- RTT_FOLD ---------------------------------------------------------- */

static void test_rtt_fold_unassigned(void **state)
{
	struct th_realm r;
	struct smc_regs res;
	uint64_t rtt2, rtt3;

	new_realm(&r);
	rtt2 = rtt_new(&r, 0, 2);
	rtt3 = rtt_new(&r, L2, 3);
	assert_int_equal(refcount(rtt2), 1);
	/* All EMPTY -> the parent entry becomes UNASSIGNED EMPTY again. */
	assert_int_equal(rtt_fold(&r, L2, 3, &res), RMI_SUCCESS);
	assert_int_equal(res.x[1], rtt3);
	assert_int_equal(gstate(rtt3), GRANULE_STATE_DELEGATED);
	assert_true(realm_zero(rtt3));
	assert_int_equal(refcount(rtt2), 0);
	expect_entry(&r, L2, 2, 2, RMI_RTT_UNASSIGNED, 0, RIPAS_EMPTY);

	/* All RAM -> RAM; unfold gives RAM pages back. */
	rtt3 = rtt_new(&r, L2, 3);
	assert_int_equal(init_ripas(&r, L2, 2 * L2, &res), RMI_SUCCESS);
	assert_int_equal(res.x[1], 2 * L2);
	assert_int_equal(rtt_fold(&r, L2, 3, &res), RMI_SUCCESS);
	expect_entry(&r, L2, 2, 2, RMI_RTT_UNASSIGNED, 0, RIPAS_RAM);
	rtt_new(&r, L2, 3);
	expect_entry(&r, L2 + 0x1ff000, 3, 3, RMI_RTT_UNASSIGNED, 0, RIPAS_RAM);

	/* All DESTROYED -> DESTROYED. */
	assert_int_equal(rtt_destroy(&r, 4 * L2, 3, &res), ERR_RTT(2));
	rtt_new(&r, 4 * L2, 3);
	assert_int_equal(rtt_destroy(&r, 4 * L2, 3, &res), RMI_SUCCESS);
	rtt_new(&r, 4 * L2, 3);
	assert_int_equal(rtt_fold(&r, 4 * L2, 3, &res), RMI_SUCCESS);
	expect_entry(&r, 4 * L2, 2, 2, RMI_RTT_UNASSIGNED, 0, RIPAS_DESTROYED);

	/* A level-2 table whose entries are not all alike can't fold into the root... */
	assert_int_equal(rtt_fold(&r, 0, 2, &res), ERR_RTT(2));
	assert_int_equal(rtt_fold(&r, L2, 3, &res), RMI_SUCCESS);
	assert_int_equal(rtt_fold(&r, 0, 2, &res),
			 ERR_RTT(2)); /* RAM, EMPTY and DESTROYED blocks */
	/* ...one that is folds into an unassigned level-1 entry. */
	rtt2 = rtt_new(&r, 5 * L1, 2);
	assert_int_equal(refcount(r.rtt_base), 2);
	assert_int_equal(rtt_fold(&r, 5 * L1, 2, &res), RMI_SUCCESS);
	assert_int_equal(res.x[1], rtt2);
	assert_int_equal(refcount(r.rtt_base), 1);
	expect_entry(&r, 5 * L1, 1, 1, RMI_RTT_UNASSIGNED, 0, RIPAS_EMPTY);
	inv_ok();
}

static void test_rtt_fold_assigned_roundtrip(void **state)
{
	struct th_realm r;
	struct smc_regs res;
	uint64_t base, rtt2, rtt3, rtt3b;

	new_realm(&r);
	base = make_pages(&r, 0, true);
	rtt2 = read_entry(&r, 0, 1).desc;
	rtt3 = l3_table_of(&r, 0);
	assert_int_equal(refcount(rtt3), RTT_ENTRIES);
	assert_int_equal(refcount(rtt2), 1);
	expect_mapped(&r, 0x1234 & ~GRANULE_MASK, base + 0x1000, PAS_REALM);

	/* Fold: one level-2 block, the DATA granules untouched. */
	assert_int_equal(rtt_fold(&r, 0, 3, &res), RMI_SUCCESS);
	assert_int_equal(res.x[1], rtt3);
	assert_int_equal(gstate(rtt3), GRANULE_STATE_DELEGATED);
	assert_true(realm_zero(rtt3));
	assert_int_equal(refcount(rtt3), 0);
	assert_int_equal(refcount(rtt2), 1);
	assert_int_equal(gstate(base + 0x5000), GRANULE_STATE_DATA);
	expect_entry(&r, 0, 2, 2, RMI_RTT_ASSIGNED, base, RIPAS_RAM);
	expect_entry(&r, 0x3000, 3, 2, RMI_RTT_ASSIGNED, base, RIPAS_RAM);
	expect_mapped(&r, 0x123000, base + 0x123000, PAS_REALM);
	expect_mapped(&r, L2 - L3, base + L2 - L3, PAS_REALM);
	expect_unmapped(&r, L2);
	/* A block can't be destroyed page by page, nor its parent. */
	assert_int_equal(data_destroy(&r, 0x3000, &res), ERR_RTT(2));
	assert_int_equal(res.x[2], 0x3000); /* the block is live: no non-live run */
	assert_int_equal(rtt_destroy(&r, 0, 2, &res), ERR_RTT(2));
	assert_int_equal(res.x[2], 0);
	assert_int_equal(data_unknown(&r, th_delegated_granule(), 0x3000), ERR_RTT(2));
	inv_ok();

	/* Unfold: RTT_CREATE splits the block into the same pages. */
	rtt3b = rtt_new(&r, 0, 3);
	assert_int_equal(refcount(rtt3b), RTT_ENTRIES);
	assert_int_equal(refcount(rtt2), 1);
	for (unsigned i = 0; i < RTT_ENTRIES; i += 37)
		expect_entry(&r, i * L3, 3, 3, RMI_RTT_ASSIGNED, base + i * L3, RIPAS_RAM);
	expect_mapped(&r, 0x1ff000, base + 0x1ff000, PAS_REALM);
	inv_ok();

	/* And fold again; then unfold and take it apart page by page. */
	assert_int_equal(rtt_fold(&r, 0, 3, &res), RMI_SUCCESS);
	rtt_new(&r, 0, 3);
	assert_int_equal(data_destroy(&r, 0x7000, &res), RMI_SUCCESS);
	assert_int_equal(res.x[1], base + 0x7000);
	assert_int_equal(rtt_fold(&r, 0, 3, &res), ERR_RTT(3));
	expect_entry(&r, 0x7000, 3, 3, RMI_RTT_UNASSIGNED, 0, RIPAS_DESTROYED);
	assert_int_equal(refcount(l3_table_of(&r, 0)), RTT_ENTRIES - 1);
	inv_ok();
}

static void test_rtt_fold_assigned_empty(void **state)
{
	struct th_realm r;
	struct smc_regs res;
	uint64_t base;

	new_realm(&r);
	/* DATA_CREATE_UNKNOWN on RIPAS EMPTY: assigned but not accessible. */
	base = make_pages(&r, 2 * L2, false);
	expect_unmapped(&r, 2 * L2);
	assert_int_equal(rtt_fold(&r, 2 * L2, 3, &res), RMI_SUCCESS);
	expect_entry(&r, 2 * L2, 2, 2, RMI_RTT_ASSIGNED, base, RIPAS_EMPTY);
	expect_unmapped(&r, 2 * L2 + 0x10000);
	rtt_new(&r, 2 * L2, 3);
	expect_entry(&r, 2 * L2 + 0x10000, 3, 3, RMI_RTT_ASSIGNED, base + 0x10000, RIPAS_EMPTY);
	inv_ok();
}

static void test_rtt_fold_errors(void **state)
{
	struct th_realm r;
	struct smc_regs res;
	uint64_t base, rtt3, d1 = th_delegated_granule(), big;

	new_realm(&r);
	/* Input. */
	assert_int_equal(rtt_fold(&r, 0, 1, &res), RMI_ERROR_INPUT);
	assert_int_equal(rtt_fold(&r, 0, 0, &res), RMI_ERROR_INPUT);
	assert_int_equal(rtt_fold(&r, 0, 4, &res), RMI_ERROR_INPUT);
	assert_int_equal(rtt_fold(&r, 0, HOSTILE, &res), RMI_ERROR_INPUT);
	assert_int_equal(rtt_fold(&r, 0x1000, 3, &res), RMI_ERROR_INPUT);
	assert_int_equal(rtt_fold(&r, L2, 2, &res), RMI_ERROR_INPUT);
	assert_int_equal(rtt_fold(&r, IPA_TOP, 3, &res), RMI_ERROR_INPUT);
	assert_int_equal(rtt_fold(&r, HOSTILE, 3, &res), RMI_ERROR_INPUT);
	assert_int_equal(th_rmi(SMC_RMI_RTT_FOLD, HOSTILE, 0, 3, 0, 0, 0, &res), RMI_ERROR_INPUT);
	assert_int_equal(th_rmi(SMC_RMI_RTT_FOLD, r.rtt_base, 0, 3, 0, 0, 0, &res),
			 RMI_ERROR_INPUT);
	/* Walk short / parent not a table. */
	assert_int_equal(rtt_fold(&r, 0, 3, &res), ERR_RTT(1));
	assert_int_equal(rtt_fold(&r, 0, 2, &res), ERR_RTT(1));
	rtt_new(&r, 0, 2);
	assert_int_equal(rtt_fold(&r, 0, 3, &res), ERR_RTT(2));

	/* Not homogeneous: one DATA among unassigned entries. */
	rtt3 = rtt_new(&r, 0, 3);
	assert_int_equal(data_unknown(&r, d1, 0x5000), RMI_SUCCESS);
	assert_int_equal(rtt_fold(&r, 0, 3, &res), ERR_RTT(3));
	/* Mixed RIPAS. */
	rtt_new(&r, L2, 3);
	assert_int_equal(init_ripas(&r, L2, L2 + 0x10000, &res), RMI_SUCCESS);
	assert_int_equal(rtt_fold(&r, L2, 3, &res), ERR_RTT(3));

	/* Assigned pages, not contiguous: swap two granules. */
	base = th_delegated_granules(RTT_ENTRIES);
	rtt_new(&r, 2 * L2, 3);
	for (unsigned i = 0; i < RTT_ENTRIES; i++) {
		unsigned j = i == 10 ? 11 : i == 11 ? 10 : i;

		assert_int_equal(data_unknown(&r, base + j * L3, 2 * L2 + i * L3), RMI_SUCCESS);
	}
	assert_int_equal(rtt_fold(&r, 2 * L2, 3, &res), ERR_RTT(3));
	/* Contiguous but the first OA is one granule past a 2 MiB boundary. */
	big = th_delegated_granules(2 * RTT_ENTRIES);
	rtt_new(&r, 3 * L2, 3);
	for (unsigned i = 0; i < RTT_ENTRIES; i++)
		assert_int_equal(data_unknown(&r, big + (i + 1) * L3, 3 * L2 + i * L3),
				 RMI_SUCCESS);
	assert_int_equal(rtt_fold(&r, 3 * L2, 3, &res), ERR_RTT(3));
	/* Mixed RIPAS among contiguous aligned pages. */
	rtt_new(&r, 4 * L2, 3);
	assert_int_equal(init_ripas(&r, 4 * L2, 4 * L2 + L3, &res), RMI_SUCCESS);
	big = th_delegated_granules(RTT_ENTRIES);
	for (unsigned i = 0; i < RTT_ENTRIES; i++)
		assert_int_equal(data_unknown(&r, big + i * L3, 4 * L2 + i * L3), RMI_SUCCESS);
	assert_int_equal(rtt_fold(&r, 4 * L2, 3, &res), ERR_RTT(3));

	/* A table with a table in it. */
	assert_int_equal(rtt_fold(&r, 0, 2, &res), ERR_RTT(2));

	/* Nothing moved. */
	assert_int_equal(gstate(rtt3), GRANULE_STATE_RTT);
	assert_int_equal(refcount(rtt3), 1);
	assert_int_equal(refcount(l3_table_of(&r, 2 * L2)), RTT_ENTRIES);
	expect_entry(&r, 0x5000, 3, 3, RMI_RTT_ASSIGNED, d1, RIPAS_EMPTY);
	expect_entry(&r, 2 * L2 + 10 * L3, 3, 3, RMI_RTT_ASSIGNED, base + 11 * L3, RIPAS_EMPTY);
	inv_ok();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encoding_zero),
		cmocka_unit_test(test_encoding_kinds),
		cmocka_unit_test(test_encoding_split_fold),
		cmocka_unit_test(test_read_entry_fresh),
		cmocka_unit_test(test_read_entry_errors),
		cmocka_unit_test(test_rtt_create_ok),
		cmocka_unit_test(test_rtt_create_errors),
		cmocka_unit_test(test_rtt_create_keeps_ripas),
		cmocka_unit_test(test_rtt_destroy_ok),
		cmocka_unit_test(test_rtt_destroy_errors),
		cmocka_unit_test(test_rtt_fold_unassigned),
		cmocka_unit_test(test_rtt_fold_assigned_roundtrip),
		cmocka_unit_test(test_rtt_fold_assigned_empty),
		cmocka_unit_test(test_rtt_fold_errors),
	};

	return cmocka_run_group_tests(tests, rtt_group_setup, rtt_group_teardown);
}
