/*
 * DATA_CREATE, DATA_CREATE_UNKNOWN and DATA_DESTROY: content copied from
 * the host and hidden from it, measurement of the RIM, RIPAS kept, every
 * refusal leaving the target DELEGATED and zero and the RIM untouched,
 * scrubbing on destroy, refcounts, the platform walker's view, and the RMM
 * helpers that RSI uses on realm memory (realm_ipa_read/write,
 * rtt_ipa_state, rtt_ripas_range).
 */
#include "test_rmm_rtt_util.h"

#include "lib/errno.h"

static uint8_t page[GRANULE_SIZE];

static void fill(uint8_t seed)
{
	for (unsigned i = 0; i < GRANULE_SIZE; i++)
		page[i] = (uint8_t)(seed + i * 7);
}

/* NS source granule holding page[]. */
static uint64_t src_granule(void)
{
	uint64_t src = th_ns_granule();

	assert_int_equal(host_mem_write(src, page, GRANULE_SIZE), 0);
	return src;
}

static uint64_t data_create(const struct th_realm *r, uint64_t data, uint64_t ipa, uint64_t src,
			    uint64_t flags)
{
	return th_rmi(SMC_RMI_DATA_CREATE, r->rd, data, ipa, src, flags, 0, NULL);
}

static void test_data_create_ok(void **state)
{
	struct th_realm r;
	uint8_t rim0[64], rim1[64], buf[GRANULE_SIZE];
	uint64_t data = th_delegated_granule(), src, rtt3;
	struct plat_fault f;

	new_realm(&r);
	fill(1);
	src = src_granule();
	th_rtt_create_path(&r, 0x5000, 3);
	rtt3 = read_entry(&r, 0, 2).desc;
	rim_of(&r, rim0);
	assert_int_equal(data_create(&r, data, 0x5000, src, RMI_MEASURE_CONTENT), RMI_SUCCESS);
	rim_of(&r, rim1);
	assert_memory_not_equal(rim0, rim1, 32);
	assert_int_equal(gstate(data), GRANULE_STATE_DATA);
	assert_int_equal(refcount(rtt3), 1);
	/* RIPAS is kept (EMPTY here): assigned, but not yet accessible to the realm. */
	expect_entry(&r, 0x5000, 3, 3, RMI_RTT_ASSIGNED, data, RIPAS_EMPTY);
	expect_unmapped(&r, 0x5000);
	/* The content is what the host wrote ... */
	assert_int_equal(plat_read(PAS_REALM, data, buf, GRANULE_SIZE, NULL), 0);
	assert_memory_equal(buf, page, GRANULE_SIZE);
	/* ... and the host can no longer read it. */
	assert_int_equal(plat_read(PAS_NS, data, buf, 8, &f), -EFAULT);
	assert_int_equal(f.kind, PLAT_FAULT_GPF);
	assert_int_not_equal(host_mem_read(data, buf, 8), 0);
	/* The source is still the host's. */
	assert_int_equal(gstate(src), GRANULE_STATE_NS);
	assert_int_equal(host_mem_read(src, buf, GRANULE_SIZE), 0);
	assert_memory_equal(buf, page, GRANULE_SIZE);
	inv_ok();
}

/* INIT_RIPAS first, then DATA_CREATE: the realm sees the page through the walker. */
static void test_data_create_ram_mapping(void **state)
{
	struct th_realm r;
	struct smc_regs res;
	uint64_t data = th_delegated_granule();
	uint64_t ipa = 3 * L1 + 5 * L2 + 0x7000, pa;
	enum pas pas;

	new_realm(&r);
	fill(2);
	th_rtt_create_path(&r, ipa, 3);
	assert_int_equal(init_ripas(&r, ipa, ipa + L3, &res), RMI_SUCCESS);
	assert_int_equal(data_create(&r, data, ipa, src_granule(), 0), RMI_SUCCESS);
	expect_entry(&r, ipa, 3, 3, RMI_RTT_ASSIGNED, data, RIPAS_RAM);
	assert_int_equal(s2_translate(&r, ipa + 0x10, true, &pa, &pas, NULL), 0);
	assert_int_equal(pa, data + 0x10);
	assert_int_equal(pas, PAS_REALM);
	expect_unmapped(&r, ipa + L3);
	expect_unmapped(&r, ipa - L3);
	inv_ok();
}

static void test_data_create_measurement(void **state)
{
	struct th_realm a, b, c;
	uint8_t ra[64], rb[64], rc[64];

	new_realm(&a);
	new_realm(&b);
	new_realm(&c);
	fill(3);

	/* Same history, same RIM (the VMID is not measured). */
	assert_int_equal(th_data_create(&a, 0x10000, page, RMI_MEASURE_CONTENT, NULL), RMI_SUCCESS);
	assert_int_equal(th_data_create(&b, 0x10000, page, RMI_MEASURE_CONTENT, NULL), RMI_SUCCESS);
	rim_of(&a, ra);
	rim_of(&b, rb);
	assert_memory_equal(ra, rb, 64);
	/* Other content, other RIM; unmeasured content: RIM independent of content. */
	page[100] ^= 1;
	assert_int_equal(th_data_create(&c, 0x10000, page, RMI_MEASURE_CONTENT, NULL), RMI_SUCCESS);
	rim_of(&c, rc);
	assert_memory_not_equal(ra, rc, 32);
	assert_int_equal(th_data_create(&a, 0x20000, page, 0, NULL), RMI_SUCCESS);
	page[100] ^= 1;
	assert_int_equal(th_data_create(&b, 0x20000, page, 0, NULL), RMI_SUCCESS);
	rim_of(&a, ra);
	rim_of(&b, rb);
	assert_memory_equal(ra, rb, 64);
	/* The IPA is measured. */
	assert_int_equal(th_data_create(&a, 0x30000, page, 0, NULL), RMI_SUCCESS);
	assert_int_equal(th_data_create(&b, 0x31000, page, 0, NULL), RMI_SUCCESS);
	rim_of(&a, ra);
	rim_of(&b, rb);
	assert_memory_not_equal(ra, rb, 32);
	inv_ok();
}

static void test_data_create_errors(void **state)
{
	struct th_realm r, other;
	uint8_t rim0[64], rim1[64];
	uint64_t data = th_delegated_granule(), src, ns = th_ns_granule(),
		 used = th_delegated_granule();
	uint64_t ipa = 0x40000;
	const uint64_t bad_src[] = {
		0,
		HOSTILE,
		0x1000,
		ALIGN_DOWN(HOSTILE, GRANULE_SIZE),
	};
	const uint64_t bad_ipa[] = {
		ipa + 8, ipa + 0x800,	NS_BASE, NS_BASE + ipa,
		IPA_TOP, IPA_TOP + ipa, HOSTILE, ALIGN_DOWN(HOSTILE, GRANULE_SIZE),
	};

	new_realm(&r);
	new_realm(&other);
	fill(4);
	src = src_granule();
	rim_of(&r, rim0);

	/* flags: only RMI_MEASURE_CONTENT. */
	assert_int_equal(data_create(&r, data, ipa, src, 2), RMI_ERROR_INPUT);
	assert_int_equal(data_create(&r, data, ipa, src, 3), RMI_ERROR_INPUT);
	assert_int_equal(data_create(&r, data, ipa, src, HOSTILE), RMI_ERROR_INPUT);
	/* src: not NS memory, unaligned, outside DRAM, the RMM's and the monitor's own memory. */
	for (unsigned i = 0; i < ARRAY_SIZE(bad_src); i++)
		assert_int_equal(data_create(&r, data, ipa, bad_src[i], 0), RMI_ERROR_INPUT);
	assert_int_equal(data_create(&r, data, ipa, src + 8, 0), RMI_ERROR_INPUT);
	assert_int_equal(data_create(&r, data, ipa, used, 0), RMI_ERROR_INPUT);
	assert_int_equal(data_create(&r, data, ipa, r.rd, 0), RMI_ERROR_INPUT);
	assert_int_equal(data_create(&r, data, ipa, data, 0), RMI_ERROR_INPUT);
	/* data: not DELEGATED, aliasing the RD, a root RTT, another realm's RD, hostile. */
	assert_int_equal(data_create(&r, ns, ipa, src, 0), RMI_ERROR_INPUT);
	assert_int_equal(data_create(&r, r.rd, ipa, src, 0), RMI_ERROR_INPUT);
	assert_int_equal(data_create(&r, r.rtt_base, ipa, src, 0), RMI_ERROR_INPUT);
	assert_int_equal(data_create(&r, other.rd, ipa, src, 0), RMI_ERROR_INPUT);
	assert_int_equal(data_create(&r, HOSTILE, ipa, src, 0), RMI_ERROR_INPUT);
	assert_int_equal(data_create(&r, data + 1, ipa, src, 0), RMI_ERROR_INPUT);
	/* rd. */
	assert_int_equal(th_rmi(SMC_RMI_DATA_CREATE, data, used, ipa, src, 0, 0, NULL),
			 RMI_ERROR_INPUT);
	assert_int_equal(th_rmi(SMC_RMI_DATA_CREATE, HOSTILE, data, ipa, src, 0, 0, NULL),
			 RMI_ERROR_INPUT);
	/* ipa. */
	for (unsigned i = 0; i < ARRAY_SIZE(bad_ipa); i++)
		assert_int_equal(data_create(&r, data, bad_ipa[i], src, 0), RMI_ERROR_INPUT);
	/* Walk short: no level-2 table, then no level-3 table. */
	assert_int_equal(data_create(&r, data, ipa, src, RMI_MEASURE_CONTENT), ERR_RTT(1));
	rtt_new(&r, ipa, 2);
	assert_int_equal(data_create(&r, data, ipa, src, RMI_MEASURE_CONTENT), ERR_RTT(2));
	rtt_new(&r, ipa, 3);
	/* Entry already assigned. */
	assert_int_equal(data_create(&r, used, ipa, src, 0), RMI_SUCCESS);
	rim_of(&r, rim0);
	assert_int_equal(data_create(&r, data, ipa, src, RMI_MEASURE_CONTENT), ERR_RTT(3));
	assert_int_equal(data_unknown(&r, data, ipa), ERR_RTT(3));

	/* None of it changed anything. */
	rim_of(&r, rim1);
	assert_memory_equal(rim0, rim1, 64);
	assert_int_equal(gstate(data), GRANULE_STATE_DELEGATED);
	assert_true(realm_zero(data));
	assert_int_equal(gstate(ns), GRANULE_STATE_NS);
	assert_int_equal(refcount(read_entry(&r, ALIGN_DOWN(ipa, L2), 2).desc), 1);
	expect_entry(&r, ipa + L3, 3, 3, RMI_RTT_UNASSIGNED, 0, RIPAS_EMPTY);
	inv_ok();

	/* Realm no longer NEW: DATA_CREATE refused, DATA_CREATE_UNKNOWN allowed. */
	assert_int_equal(th_rmi(SMC_RMI_REALM_ACTIVATE, r.rd, 0, 0, 0, 0, 0, NULL), RMI_SUCCESS);
	rim_of(&r, rim0);
	assert_int_equal(data_create(&r, data, ipa + L3, src, RMI_MEASURE_CONTENT),
			 RMI_STATUS(RMI_ERROR_REALM, 0));
	assert_int_equal(gstate(data), GRANULE_STATE_DELEGATED);
	assert_true(realm_zero(data));
	assert_int_equal(data_unknown(&r, data, ipa + L3), RMI_SUCCESS);
	rim_of(&r, rim1);
	assert_memory_equal(rim0, rim1, 64);
	inv_ok();
}

/*
 * The source granule is tracked as NS but the GPC refuses NS access to it
 * (the RMM's and the monitor's own memory): the copy fails half-way and the
 * DATA granule must come back zeroed.
 */
static void test_data_create_src_gpf(void **state)
{
	struct th_realm r;
	uint64_t data = th_delegated_granule();
	uint8_t rim0[64], rim1[64];

	new_realm(&r);
	th_rtt_create_path(&r, 0, 3);
	rim_of(&r, rim0);
	/* Tracked as NS, so only the GPC-checked copy can refuse them. */
	assert_int_equal(gstate(th_layout.rmm_base), GRANULE_STATE_NS);
	assert_int_equal(gstate(th_layout.root_base), GRANULE_STATE_NS);
	assert_int_equal(data_create(&r, data, 0, th_layout.rmm_base, RMI_MEASURE_CONTENT),
			 RMI_ERROR_INPUT);
	assert_int_equal(data_create(&r, data, 0, th_layout.root_base, RMI_MEASURE_CONTENT),
			 RMI_ERROR_INPUT);
	assert_int_equal(
		data_create(&r, data, 0, th_layout.rmm_base + th_layout.rmm_size - GRANULE_SIZE, 0),
		RMI_ERROR_INPUT);
	rim_of(&r, rim1);
	assert_memory_equal(rim0, rim1, 64);
	assert_int_equal(gstate(data), GRANULE_STATE_DELEGATED);
	assert_true(realm_zero(data));
	expect_entry(&r, 0, 3, 3, RMI_RTT_UNASSIGNED, 0, RIPAS_EMPTY);
	inv_ok();
}

static void test_data_create_unknown(void **state)
{
	struct th_realm r;
	struct smc_regs res;
	uint64_t data = th_delegated_granule(), d2 = th_delegated_granule();
	uint8_t rim0[64], rim1[64];

	new_realm(&r);
	th_rtt_create_path(&r, L2, 3);
	assert_int_equal(init_ripas(&r, L2, L2 + L3, &res), RMI_SUCCESS);
	rim_of(&r, rim0);
	assert_int_equal(data_unknown(&r, data, L2), RMI_SUCCESS);
	assert_int_equal(data_unknown(&r, d2, L2 + L3), RMI_SUCCESS);
	rim_of(&r, rim1);
	assert_memory_equal(rim0, rim1, 64);
	assert_int_equal(gstate(data), GRANULE_STATE_DATA);
	assert_true(realm_zero(data));
	expect_entry(&r, L2, 3, 3, RMI_RTT_ASSIGNED, data, RIPAS_RAM);
	expect_entry(&r, L2 + L3, 3, 3, RMI_RTT_ASSIGNED, d2, RIPAS_EMPTY);
	expect_mapped(&r, L2, data, PAS_REALM);
	assert_int_equal(refcount(read_entry(&r, L2, 2).desc), 2);
	/* Errors as DATA_CREATE's. */
	assert_int_equal(data_unknown(&r, d2, L2 + 2 * L3), RMI_ERROR_INPUT);
	assert_int_equal(data_unknown(&r, r.rd, L2 + 2 * L3), RMI_ERROR_INPUT);
	assert_int_equal(data_unknown(&r, HOSTILE, L2 + 2 * L3), RMI_ERROR_INPUT);
	assert_int_equal(data_unknown(&r, th_delegated_granule(), NS_BASE + L2), RMI_ERROR_INPUT);
	assert_int_equal(data_unknown(&r, th_delegated_granule(), HOSTILE), RMI_ERROR_INPUT);
	assert_int_equal(data_unknown(&r, th_delegated_granule(), 2 * L2), ERR_RTT(2));
	inv_ok();
}

static void test_data_destroy(void **state)
{
	struct th_realm r;
	struct smc_regs res;
	uint64_t d0, d5, d9, rtt3;
	uint8_t buf[GRANULE_SIZE];

	new_realm(&r);
	fill(5);
	th_rtt_create_path(&r, 0, 3);
	rtt3 = read_entry(&r, 0, 2).desc;
	assert_int_equal(init_ripas(&r, 0, 6 * L3, &res), RMI_SUCCESS);
	assert_int_equal(th_data_create(&r, 0, page, RMI_MEASURE_CONTENT, &d0), RMI_SUCCESS);
	assert_int_equal(th_data_create(&r, 5 * L3, page, 0, &d5), RMI_SUCCESS);
	assert_int_equal(th_data_create(&r, 9 * L3, page, 0, &d9), RMI_SUCCESS);
	assert_int_equal(refcount(rtt3), 3);

	/* Input. */
	assert_int_equal(data_destroy(&r, 0x10, &res), RMI_ERROR_INPUT);
	assert_int_equal(data_destroy(&r, NS_BASE, &res), RMI_ERROR_INPUT);
	assert_int_equal(data_destroy(&r, IPA_TOP, &res), RMI_ERROR_INPUT);
	assert_int_equal(data_destroy(&r, HOSTILE, &res), RMI_ERROR_INPUT);
	assert_int_equal(th_rmi(SMC_RMI_DATA_DESTROY, d0, 0, 0, 0, 0, 0, &res), RMI_ERROR_INPUT);
	assert_int_equal(th_rmi(SMC_RMI_DATA_DESTROY, HOSTILE, 0, 0, 0, 0, 0, &res),
			 RMI_ERROR_INPUT);
	/* Walk short (x2 = top of the non-live run), not assigned. */
	assert_int_equal(data_destroy(&r, L2, &res), ERR_RTT(2));
	assert_int_equal(res.x[2], L1);
	assert_int_equal(data_destroy(&r, L1, &res), ERR_RTT(1));
	assert_int_equal(data_destroy(&r, L3, &res), ERR_RTT(3));
	assert_int_equal(res.x[2], 5 * L3);
	assert_int_equal(refcount(rtt3), 3);

	/* RIPAS RAM -> DESTROYED; the granule is scrubbed and DELEGATED. */
	expect_mapped(&r, 0, d0, PAS_REALM);
	assert_int_equal(data_destroy(&r, 0, &res), RMI_SUCCESS);
	assert_int_equal(res.x[1], d0);
	assert_int_equal(res.x[2], 5 * L3);
	assert_int_equal(gstate(d0), GRANULE_STATE_DELEGATED);
	assert_true(realm_zero(d0));
	assert_int_equal(refcount(rtt3), 2);
	expect_entry(&r, 0, 3, 3, RMI_RTT_UNASSIGNED, 0, RIPAS_DESTROYED);
	expect_unmapped(&r, 0);
	assert_int_equal(data_destroy(&r, 0, &res), ERR_RTT(3));
	/* The host gets back zeros, never the realm's data. */
	assert_int_equal(th_rmi(SMC_RMI_GRANULE_UNDELEGATE, d0, 0, 0, 0, 0, 0, NULL), RMI_SUCCESS);
	assert_int_equal(host_mem_read(d0, buf, GRANULE_SIZE), 0);
	for (unsigned i = 0; i < GRANULE_SIZE; i++)
		assert_int_equal(buf[i], 0);

	/* RIPAS EMPTY stays EMPTY; top runs to the end of the table. */
	assert_int_equal(data_destroy(&r, 9 * L3, &res), RMI_SUCCESS);
	assert_int_equal(res.x[1], d9);
	assert_int_equal(res.x[2], L2);
	expect_entry(&r, 9 * L3, 3, 3, RMI_RTT_UNASSIGNED, 0, RIPAS_EMPTY);
	/* A DESTROYED entry takes DATA again, and stays DESTROYED (no access). */
	assert_int_equal(data_unknown(&r, d9, 0), RMI_SUCCESS);
	expect_entry(&r, 0, 3, 3, RMI_RTT_ASSIGNED, d9, RIPAS_DESTROYED);
	expect_unmapped(&r, 0);
	assert_int_equal(data_destroy(&r, 0, &res), RMI_SUCCESS);
	expect_entry(&r, 0, 3, 3, RMI_RTT_UNASSIGNED, 0, RIPAS_DESTROYED);
	assert_int_equal(refcount(rtt3), 1);
	inv_ok();
}

/* ---- helpers for RSI (rtt.h) ------------------------------------------ */

static void test_realm_ipa_access(void **state)
{
	struct th_realm r;
	struct smc_regs res;
	const struct rd *rd;
	uint64_t ripas, d, top;
	uint8_t buf[64];
	bool assigned;

	new_realm(&r);
	rd = rd_of(&r);
	fill(6);
	th_rtt_create_path(&r, 0, 3);
	assert_int_equal(init_ripas(&r, 0, 2 * L3, &res), RMI_SUCCESS);
	assert_int_equal(th_data_create(&r, 0, page, 0, &d), RMI_SUCCESS);
	assert_int_equal(th_data_create(&r, 2 * L3, page, 0, NULL), RMI_SUCCESS);

	assert_int_equal(realm_ipa_read(rd, 0x100, buf, 64), 0);
	assert_memory_equal(buf, page + 0x100, 64);
	memset(buf, 0xEE, sizeof(buf));
	assert_int_equal(realm_ipa_write(rd, 0xFC0, buf, 64), 0);
	assert_int_equal(plat_read(PAS_REALM, d + 0xFC0, buf, 64, NULL), 0);
	for (unsigned i = 0; i < 64; i++)
		assert_int_equal(buf[i], 0xEE);
	/* Crossing a granule, outside the PAR, not assigned RAM. */
	assert_int_equal(realm_ipa_read(rd, 0xFC8, buf, 64), -EINVAL);
	assert_int_equal(realm_ipa_read(rd, NS_BASE, buf, 8), -EINVAL);
	assert_int_equal(realm_ipa_read(rd, HOSTILE, buf, 8), -EINVAL);
	assert_int_equal(realm_ipa_read(rd, 0, buf, HOSTILE), -EINVAL);
	assert_int_equal(realm_ipa_read(rd, L3, buf, 8), -EFAULT);	/* unassigned RAM */
	assert_int_equal(realm_ipa_write(rd, 2 * L3, buf, 8), -EFAULT); /* assigned EMPTY */
	assert_int_equal(realm_ipa_read(rd, L1 + 0x40, buf, 8),
			 -EFAULT); /* walk stops at level 1 */

	assert_int_equal(rtt_ipa_state(rd, 0, &ripas, &assigned), 0);
	assert_int_equal(ripas, RIPAS_RAM);
	assert_true(assigned);
	assert_int_equal(rtt_ipa_state(rd, L3 + 8, &ripas, &assigned), 0);
	assert_int_equal(ripas, RIPAS_RAM);
	assert_false(assigned);
	assert_int_equal(rtt_ipa_state(rd, 2 * L3, &ripas, &assigned), 0);
	assert_int_equal(ripas, RIPAS_EMPTY);
	assert_false(assigned);
	assert_int_equal(rtt_ipa_state(rd, 5 * L1, &ripas, &assigned), 0);
	assert_int_equal(ripas, RIPAS_EMPTY);
	assert_int_equal(rtt_ipa_state(rd, NS_BASE, &ripas, &assigned), -EINVAL);
	assert_int_equal(rtt_ipa_state(rd, HOSTILE, &ripas, &assigned), -EINVAL);

	/* RIPAS ranges: [0, 2 pages) RAM, then EMPTY across tables. */
	assert_int_equal(rtt_ripas_range(rd, 0, L1, &top, &ripas), 0);
	assert_int_equal(top, 2 * L3);
	assert_int_equal(ripas, RIPAS_RAM);
	assert_int_equal(rtt_ripas_range(rd, L3, 2 * L3, &top, &ripas), 0);
	assert_int_equal(top, 2 * L3);
	assert_int_equal(rtt_ripas_range(rd, 2 * L3, 3 * L1, &top, &ripas), 0);
	assert_int_equal(top, 3 * L1);
	assert_int_equal(ripas, RIPAS_EMPTY);
	assert_int_equal(rtt_ripas_range(rd, 0x100000, 0x101000, &top, &ripas), 0);
	assert_int_equal(top, 0x101000);
	assert_int_equal(rtt_ripas_range(rd, 0, 0, &top, &ripas), -EINVAL);
	assert_int_equal(rtt_ripas_range(rd, 0x10, L3, &top, &ripas), -EINVAL);
	assert_int_equal(rtt_ripas_range(rd, 0, NS_BASE + L3, &top, &ripas), -EINVAL);
	assert_int_equal(rtt_ripas_range(rd, L3, 0, &top, &ripas), -EINVAL);
	assert_int_equal(rtt_ripas_range(rd, 0, HOSTILE & ~GRANULE_MASK, &top, &ripas), -EINVAL);
	assert_int_equal(rtt_ripas_range(rd, NS_BASE - L3, NS_BASE, &top, &ripas), 0);
	assert_int_equal(top, NS_BASE);
	inv_ok();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_data_create_ok),
		cmocka_unit_test(test_data_create_ram_mapping),
		cmocka_unit_test(test_data_create_measurement),
		cmocka_unit_test(test_data_create_errors),
		cmocka_unit_test(test_data_create_src_gpf),
		cmocka_unit_test(test_data_create_unknown),
		cmocka_unit_test(test_data_destroy),
		cmocka_unit_test(test_realm_ipa_access),
	};

	return cmocka_run_group_tests(tests, rtt_group_setup, rtt_group_teardown);
}
