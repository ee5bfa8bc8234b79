/*
 * The unprotected half of a realm's IPA space: RTT_MAP_UNPROTECTED and
 * RTT_UNMAP_UNPROTECTED (host attributes, every refusal), RTT_READ_ENTRY of
 * NS entries, fold/unfold of NS blocks, RTT_DESTROY there, and what the
 * platform's stage-2 walker makes of it (NS PAS output, S2AP).
 */
#include "test_rmm_rtt_util.h"

#include "arch/esr.h"

#define ATTR_RW (S2TT_MEMATTR_NORMAL_WB | S2TT_S2AP_RW)

static uint64_t unmap_top(const struct th_realm *r, uint64_t ipa, uint64_t level)
{
	struct smc_regs res;

	assert_int_equal(unmap_ns(r, ipa, level, &res), RMI_SUCCESS);
	return res.x[1];
}

static void test_map_page(void **state)
{
	struct th_realm r;
	uint64_t ipa = NS_BASE + 5 * L2 + 0x3000, ns = th_ns_granule(), rtt3;
	uint8_t buf[16];

	new_realm(&r);
	th_rtt_create_path(&r, ipa, 3);
	rtt3 = read_entry(&r, ALIGN_DOWN(ipa, L2), 2).desc;
	assert_int_equal(refcount(rtt3), 0);
	assert_int_equal(map_ns(&r, ipa, 3, ns | ATTR_RW), RMI_SUCCESS);
	assert_int_equal(refcount(rtt3), 1);
	expect_entry(&r, ipa, 3, 3, RMI_RTT_ASSIGNED, ns | ATTR_RW, RIPAS_EMPTY);
	/* The walker sends the realm to the host's granule, in the NS PAS. */
	expect_mapped(&r, ipa, ns, PAS_NS);
	expect_unmapped(&r, ipa + L3);
	/* ... which the host can use as a shared buffer. */
	assert_int_equal(host_mem_write(ns, "shared", 7), 0);
	assert_int_equal(plat_read(PAS_NS, ns, buf, 7, NULL), 0);
	assert_memory_equal(buf, "shared", 7);
	/* Device memory and read-only are the host's choice. */
	assert_int_equal(map_ns(&r, ipa + L3, 3, ns | S2TT_MEMATTR_DEVICE_NGNRE | S2TT_S2AP_RO),
			 RMI_SUCCESS);
	expect_entry(&r, ipa + L3, 3, 3, RMI_RTT_ASSIGNED,
		     ns | S2TT_MEMATTR_DEVICE_NGNRE | S2TT_S2AP_RO, RIPAS_EMPTY);
	assert_int_equal(s2_translate(&r, ipa + L3, false, NULL, NULL, NULL), 0);
	assert_int_not_equal(s2_translate(&r, ipa + L3, true, NULL, NULL, NULL), 0);
	/* S2AP none: no access at all. */
	assert_int_equal(map_ns(&r, ipa + 2 * L3, 3, ns), RMI_SUCCESS);
	expect_unmapped(&r, ipa + 2 * L3);
	assert_int_equal(refcount(rtt3), 3);
	inv_ok();
}

static void test_map_block(void **state)
{
	struct th_realm r;
	uint64_t ipa = NS_BASE + 3 * L1 + 4 * L2, blk, rtt2;

	new_realm(&r);
	blk = host_granules_alloc(RTT_ENTRIES, L2);
	assert_true(blk != 0);
	th_rtt_create_path(&r, ipa, 2);
	rtt2 = read_entry(&r, ALIGN_DOWN(ipa, L1), 1).desc;
	assert_int_equal(map_ns(&r, ipa, 2, blk | ATTR_RW), RMI_SUCCESS);
	assert_int_equal(refcount(rtt2), 1);
	expect_entry(&r, ipa, 2, 2, RMI_RTT_ASSIGNED, blk | ATTR_RW, RIPAS_EMPTY);
	expect_entry(&r, ipa + 0x5000, 3, 2, RMI_RTT_ASSIGNED, blk | ATTR_RW, RIPAS_EMPTY);
	expect_mapped(&r, ipa + 0x1ff000, blk + 0x1ff000, PAS_NS);
	/* Unfold into pages with the same attributes, fold back. */
	rtt_new(&r, ipa, 3);
	expect_entry(&r, ipa + 0x5000, 3, 3, RMI_RTT_ASSIGNED, (blk + 0x5000) | ATTR_RW,
		     RIPAS_EMPTY);
	assert_int_equal(refcount(read_entry(&r, ipa, 2).desc), RTT_ENTRIES);
	expect_mapped(&r, ipa + 0x5000, blk + 0x5000, PAS_NS);
	inv_ok();
	{
		struct smc_regs res;

		assert_int_equal(rtt_fold(&r, ipa, 3, &res), RMI_SUCCESS);
	}
	expect_entry(&r, ipa, 2, 2, RMI_RTT_ASSIGNED, blk | ATTR_RW, RIPAS_EMPTY);
	assert_int_equal(refcount(rtt2), 1);
	/* Unmap the block: the entry is UNASSIGNED_NS, the walker faults. */
	assert_int_equal(unmap_top(&r, ipa, 2),
			 NS_BASE + 4 * L1); /* rest of the level-2 table is non-live */
	assert_int_equal(refcount(rtt2), 0);
	expect_entry(&r, ipa, 2, 2, RMI_RTT_UNASSIGNED, 0, RIPAS_EMPTY);
	expect_unmapped(&r, ipa);
	inv_ok();
}

static void test_map_errors(void **state)
{
	struct th_realm r;
	uint64_t ipa = NS_BASE + 0x200000, ns = th_ns_granule();
	const uint64_t bad_desc[] = {
		ns | S2TT_NS,	      ns | S2TT_AF,    ns | S2TT_DESC_VALID,
		ns | S2TT_DESC_TABLE, ns | S2TT_SH_IS, ns | S2TT_XN_MASK,
		ns | BIT(63),	      ns | BIT(48),    HOSTILE,
	};

	new_realm(&r);
	th_rtt_create_path(&r, ipa, 3);
	/* Level: only 2 and 3. */
	assert_int_equal(map_ns(&r, ipa, 1, ns), RMI_ERROR_INPUT);
	assert_int_equal(map_ns(&r, ALIGN_DOWN(ipa, L1), 1, ns), RMI_ERROR_INPUT);
	assert_int_equal(map_ns(&r, ipa, 0, ns), RMI_ERROR_INPUT);
	assert_int_equal(map_ns(&r, ipa, 4, ns), RMI_ERROR_INPUT);
	assert_int_equal(map_ns(&r, ipa, HOSTILE, ns), RMI_ERROR_INPUT);
	/* ipa: protected half, misaligned, beyond the IPA space. */
	assert_int_equal(map_ns(&r, 0x200000, 3, ns), RMI_ERROR_INPUT);
	assert_int_equal(map_ns(&r, NS_BASE - L3, 3, ns), RMI_ERROR_INPUT);
	assert_int_equal(map_ns(&r, ipa + 8, 3, ns), RMI_ERROR_INPUT);
	assert_int_equal(map_ns(&r, ipa + L3, 2, ns), RMI_ERROR_INPUT);
	assert_int_equal(map_ns(&r, IPA_TOP, 3, ns), RMI_ERROR_INPUT);
	assert_int_equal(map_ns(&r, IPA_TOP + NS_BASE, 3, ns), RMI_ERROR_INPUT);
	assert_int_equal(map_ns(&r, HOSTILE & ~GRANULE_MASK, 3, ns), RMI_ERROR_INPUT);
	/* desc: only OA, MemAttr, S2AP; OA aligned to the level. */
	for (unsigned i = 0; i < ARRAY_SIZE(bad_desc); i++)
		assert_int_equal(map_ns(&r, ipa, 3, bad_desc[i]), RMI_ERROR_INPUT);
	assert_int_equal(map_ns(&r, ALIGN_DOWN(ipa, L2), 2, ns),
			 RMI_ERROR_INPUT); /* ns not 2 MiB aligned */
	/* rd. */
	assert_int_equal(th_rmi(SMC_RMI_RTT_MAP_UNPROTECTED, HOSTILE, ipa, 3, ns, 0, 0, NULL),
			 RMI_ERROR_INPUT);
	assert_int_equal(th_rmi(SMC_RMI_RTT_MAP_UNPROTECTED, r.rtt_base, ipa, 3, ns, 0, 0, NULL),
			 RMI_ERROR_INPUT);
	assert_int_equal(th_rmi(SMC_RMI_RTT_MAP_UNPROTECTED, ns, ipa, 3, ns, 0, 0, NULL),
			 RMI_ERROR_INPUT);

	/* Walk short: no level-3 table there; no level-2 table there. */
	assert_int_equal(map_ns(&r, ipa + L2, 3, ns), ERR_RTT(2));
	assert_int_equal(map_ns(&r, ipa + L1, 3, ns), ERR_RTT(1));
	assert_int_equal(map_ns(&r, ipa + L1, 2, 0), ERR_RTT(1));
	/* Entry not UNASSIGNED_NS: a table at level 2, then an existing mapping. */
	assert_int_equal(map_ns(&r, ipa, 2, 0), ERR_RTT(2));
	assert_int_equal(map_ns(&r, ipa, 3, ns | ATTR_RW), RMI_SUCCESS);
	assert_int_equal(map_ns(&r, ipa, 3, ns | ATTR_RW), ERR_RTT(3));

	/* Nothing but that one mapping. */
	assert_int_equal(refcount(read_entry(&r, ipa, 2).desc), 1);
	expect_entry(&r, ipa + L3, 3, 3, RMI_RTT_UNASSIGNED, 0, RIPAS_EMPTY);
	inv_ok();
}

static void test_unmap(void **state)
{
	struct th_realm r;
	struct smc_regs res;
	uint64_t ipa = NS_BASE + 0x400000, ns = th_ns_granule(), rtt3;

	new_realm(&r);
	th_rtt_create_path(&r, ipa, 3);
	rtt3 = read_entry(&r, ipa, 2).desc;
	assert_int_equal(map_ns(&r, ipa, 3, ns | ATTR_RW), RMI_SUCCESS);
	assert_int_equal(map_ns(&r, ipa + 7 * L3, 3, ns | ATTR_RW), RMI_SUCCESS);

	/* Input. */
	assert_int_equal(unmap_ns(&r, ipa, 1, &res), RMI_ERROR_INPUT);
	assert_int_equal(unmap_ns(&r, ipa, 4, &res), RMI_ERROR_INPUT);
	assert_int_equal(unmap_ns(&r, ipa, HOSTILE, &res), RMI_ERROR_INPUT);
	assert_int_equal(unmap_ns(&r, ipa - NS_BASE, 3, &res), RMI_ERROR_INPUT);
	assert_int_equal(unmap_ns(&r, ipa + 0x10, 3, &res), RMI_ERROR_INPUT);
	assert_int_equal(unmap_ns(&r, IPA_TOP, 3, &res), RMI_ERROR_INPUT);
	assert_int_equal(unmap_ns(&r, HOSTILE, 3, &res), RMI_ERROR_INPUT);
	assert_int_equal(th_rmi(SMC_RMI_RTT_UNMAP_UNPROTECTED, HOSTILE, ipa, 3, 0, 0, 0, &res),
			 RMI_ERROR_INPUT);
	/* Walk short, wrong level, not mapped. */
	assert_int_equal(unmap_ns(&r, ipa + L1, 3, &res), ERR_RTT(1));
	assert_int_equal(unmap_ns(&r, ipa, 2, &res), ERR_RTT(2));
	assert_int_equal(res.x[1], ipa); /* the entry there (a table) is live: no progress */
	assert_int_equal(unmap_ns(&r, ipa + L3, 3, &res), ERR_RTT(3));
	assert_int_equal(res.x[1], ipa + 7 * L3); /* top of the non-live run */
	assert_int_equal(refcount(rtt3), 2);
	expect_mapped(&r, ipa, ns, PAS_NS);

	/* Unmap: top is the next live entry, then the end of the table. */
	assert_int_equal(unmap_top(&r, ipa, 3), ipa + 7 * L3);
	assert_int_equal(refcount(rtt3), 1);
	expect_unmapped(&r, ipa);
	expect_entry(&r, ipa, 3, 3, RMI_RTT_UNASSIGNED, 0, RIPAS_EMPTY);
	assert_int_equal(unmap_top(&r, ipa + 7 * L3, 3), ipa + L2);
	assert_int_equal(refcount(rtt3), 0);
	assert_int_equal(unmap_ns(&r, ipa + 7 * L3, 3, &res), ERR_RTT(3));
	/* The mapping can be made again. */
	assert_int_equal(map_ns(&r, ipa, 3, ns | S2TT_S2AP_RO), RMI_SUCCESS);
	inv_ok();
}

static void test_ns_fold_and_destroy(void **state)
{
	struct th_realm r;
	struct smc_regs res;
	uint64_t ipa = NS_BASE + 2 * L1, blk, rtt3;

	new_realm(&r);
	blk = host_granules_alloc(RTT_ENTRIES, L2);
	assert_true(blk != 0);
	th_rtt_create_path(&r, ipa, 3);
	rtt3 = read_entry(&r, ipa, 2).desc;
	for (unsigned i = 0; i < RTT_ENTRIES; i++)
		assert_int_equal(map_ns(&r, ipa + i * L3, 3, (blk + i * L3) | ATTR_RW),
				 RMI_SUCCESS);
	assert_int_equal(refcount(rtt3), RTT_ENTRIES);
	/* A live table can't be destroyed. */
	assert_int_equal(rtt_destroy(&r, ipa, 3, &res), ERR_RTT(3));
	/* Different attributes on one page: no fold. */
	assert_int_equal(unmap_top(&r, ipa + 9 * L3, 3), ipa + 10 * L3);
	assert_int_equal(rtt_fold(&r, ipa, 3, &res), ERR_RTT(3));
	assert_int_equal(map_ns(&r, ipa + 9 * L3, 3, (blk + 9 * L3) | S2TT_S2AP_RO), RMI_SUCCESS);
	assert_int_equal(rtt_fold(&r, ipa, 3, &res), ERR_RTT(3));
	/* Not contiguous: no fold. */
	assert_int_equal(unmap_top(&r, ipa + 9 * L3, 3), ipa + 10 * L3);
	assert_int_equal(map_ns(&r, ipa + 9 * L3, 3, (blk + 10 * L3) | ATTR_RW), RMI_SUCCESS);
	assert_int_equal(rtt_fold(&r, ipa, 3, &res), ERR_RTT(3));
	/* Consistent: fold into a block. */
	assert_int_equal(unmap_top(&r, ipa + 9 * L3, 3), ipa + 10 * L3);
	assert_int_equal(map_ns(&r, ipa + 9 * L3, 3, (blk + 9 * L3) | ATTR_RW), RMI_SUCCESS);
	assert_int_equal(rtt_fold(&r, ipa, 3, &res), RMI_SUCCESS);
	assert_int_equal(res.x[1], rtt3);
	assert_int_equal(gstate(rtt3), GRANULE_STATE_DELEGATED);
	expect_entry(&r, ipa, 2, 2, RMI_RTT_ASSIGNED, blk | ATTR_RW, RIPAS_EMPTY);
	expect_mapped(&r, ipa + 0x123000, blk + 0x123000, PAS_NS);
	inv_ok();

	/* Empty NS table: fold gives UNASSIGNED_NS, destroy gives UNASSIGNED_NS too. */
	rtt_new(&r, ipa + L2, 3);
	assert_int_equal(rtt_fold(&r, ipa + L2, 3, &res), RMI_SUCCESS);
	expect_entry(&r, ipa + L2, 2, 2, RMI_RTT_UNASSIGNED, 0, RIPAS_EMPTY);
	rtt_new(&r, ipa + L2, 3);
	assert_int_equal(rtt_destroy(&r, ipa + L2, 3, &res), RMI_SUCCESS);
	expect_entry(&r, ipa + L2, 2, 2, RMI_RTT_UNASSIGNED, 0, RIPAS_EMPTY);
	/* The level-2 table still holds the block: not destroyable until unmapped. */
	assert_int_equal(rtt_destroy(&r, ipa, 2, &res), ERR_RTT(2));
	assert_int_equal(unmap_top(&r, ipa, 2), ipa + L1);
	assert_int_equal(rtt_destroy(&r, ipa, 2, &res), RMI_SUCCESS);
	expect_entry(&r, ipa, 1, 1, RMI_RTT_UNASSIGNED, 0, RIPAS_EMPTY);
	assert_true(rtt_root_is_empty(rd_of(&r)));
	inv_ok();
}

/* The root table of a realm starting at level 0 is one granule, level 2 / 3 below. */
static void test_other_geometry(void **state)
{
	struct th_realm r;
	struct rmi_realm_params p;
	uint64_t ns = th_ns_granule(), data = th_delegated_granule();
	uint64_t nsb;

	th_default_params(&p, 4000);
	p.s2sz = 44;
	p.rtt_level_start = 0;
	p.rtt_num_start = 1;
	assert_int_equal(th_realm_create(&r, &p), RMI_SUCCESS);
	nsb = 1ULL << 43;
	expect_entry(&r, nsb, 0, 0, RMI_RTT_UNASSIGNED, 0, RIPAS_EMPTY);
	assert_int_equal(rtt_create(&r, th_delegated_granule(), 0, 3), ERR_RTT(0));
	th_rtt_create_path(&r, nsb + L1, 3);
	assert_int_equal(map_ns(&r, nsb + L1, 3, ns | ATTR_RW), RMI_SUCCESS);
	expect_mapped(&r, nsb + L1, ns, PAS_NS);
	th_rtt_create_path(&r, 0x1000, 3);
	assert_int_equal(init_ripas(&r, 0, L3, NULL), RMI_SUCCESS);
	assert_int_equal(data_unknown(&r, data, 0), RMI_SUCCESS);
	expect_mapped(&r, 0, data, PAS_REALM);
	assert_int_equal(rtt_create(&r, th_delegated_granule(), 1ULL << 44, 1), RMI_ERROR_INPUT);
	inv_ok();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map_page),
		cmocka_unit_test(test_map_block),
		cmocka_unit_test(test_map_errors),
		cmocka_unit_test(test_unmap),
		cmocka_unit_test(test_ns_fold_and_destroy),
		cmocka_unit_test(test_other_geometry),
	};

	return cmocka_run_group_tests(tests, rtt_group_setup, rtt_group_teardown);
}
