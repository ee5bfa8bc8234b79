/*
 * Unit tests of the invariant checker (tests/unit/common/invariants.c):
 * it passes on states the RMM builds through RMI, and it fails on each kind
 * of deliberately broken state — a wrong refcount, a byte left in a
 * DELEGATED granule, a GPI flipped behind the RMM's back (monitor internals,
 * a plat_write on Root memory, a stale GPC TLB), an RTT entry pointing at a
 * granule that is not DATA, a table reached twice, an orphan, a leaked lock.
 * Every corruption is undone afterwards and the check must pass again, so a
 * failure is known to come from that corruption alone.
 */
#include "common/harness.h"
#include "common/invariants.h"

#include <stdio.h>
#include <string.h>

#include "arch/fasco.h"
#include "arch/gpt.h"
#include "arch/s2tt.h"
#include "monitor/gpt.h"
#include "monitor/monitor.h"
#include "plat/plat.h"
#include "rmm/granule.h"
#include "rmm/realm.h"
#include "rmm/rec.h"
#include "rmm/s2tte.h"

#define DRAM (64ULL << 20)
#define WHY_LEN 4096

/* A small world: two realms with RTTs, DATA, a REC, an unprotected mapping. */
static struct world {
	struct th_realm a, b;
	uint64_t a_data0, a_data1, b_data;
	uint64_t a_rec;
	uint64_t ns_page; /* mapped unprotected into realm a */
	uint64_t unprot_ipa;
	uint64_t deleg; /* a spare DELEGATED granule */
	uint64_t ns_spare;
	uint64_t in_use_at_boot;
} W;

static char why[WHY_LEN];

static void expect_clean(const char *when)
{
	int ret = inv_check(why, sizeof(why));

	if (ret != 0)
		fprintf(stderr, "inv_check (%s) failed: %s\n", when, why);
	assert_int_equal(ret, 0);
}

/* The check must fail and mention `needle`. */
static void expect_violation(const char *needle)
{
	int ret = inv_check(why, sizeof(why));

	fprintf(stderr, "  detected: %s\n", why);
	assert_int_equal(ret, -1);
	if (!strstr(why, needle)) {
		fprintf(stderr, "expected a violation mentioning \"%s\"\n", needle);
		fail();
	}
}

static struct granule *gr(uint64_t pa)
{
	struct granule *g = granule_find(pa);

	assert_non_null(g);
	return g;
}

static void *realm_ptr(uint64_t pa)
{
	void *p = plat_map(PAS_REALM, pa, GRANULE_SIZE, NULL);

	assert_non_null(p);
	return p;
}

/* Pointer to the RTT entry for ipa at `level` of realm r (tables must exist). */
static uint64_t *rtt_entry(const struct th_realm *r, uint64_t ipa, long level, uint64_t *table_pa)
{
	long l = r->rtt_level_start;
	uint64_t span = RTT_ENTRIES * RTT_LEVEL_SIZE(l);
	uint64_t t = r->rtt_base + (ipa / span) * GRANULE_SIZE;

	for (;;) {
		uint64_t *tab = realm_ptr(t);
		uint64_t *e = &tab[(ipa / RTT_LEVEL_SIZE(l)) % RTT_ENTRIES];

		if (l == level) {
			if (table_pa)
				*table_pa = t;
			return e;
		}
		assert_true(s2tte_is_table(*e, l));
		t = s2tte_get_pa(*e, l);
		l++;
	}
}

static void map_unprotected(const struct th_realm *r, uint64_t ipa, uint64_t ns_pa)
{
	th_rtt_create_path(r, ipa, RTT_PAGE_LEVEL);
	assert_int_equal(th_rmi(SMC_RMI_RTT_MAP_UNPROTECTED, r->rd, ipa, RTT_PAGE_LEVEL,
				ns_pa | S2TT_MEMATTR_NORMAL_WB | S2TT_S2AP_RW, 0, 0, NULL),
			 RMI_SUCCESS);
}

static int world_setup(void **state)
{
	uint8_t page[GRANULE_SIZE];

	(void)state;
	th_boot(DRAM);
	inv_reset();
	memset(&W, 0, sizeof(W));
	W.in_use_at_boot = host_granules_in_use();
	expect_clean("fresh machine");

	assert_int_equal(th_realm_create(&W.a, NULL), RMI_SUCCESS);
	assert_int_equal(th_realm_create(&W.b, NULL), RMI_SUCCESS);
	memset(page, 0xA5, sizeof(page));
	/* RIPAS RAM for realm a's first two pages, so their DATA is mapped valid. */
	th_rtt_create_path(&W.a, 0, RTT_PAGE_LEVEL);
	assert_int_equal(th_rmi(SMC_RMI_RTT_INIT_RIPAS, W.a.rd, 0, 0x2000, 0, 0, 0, NULL),
			 RMI_SUCCESS);
	assert_int_equal(th_data_create(&W.a, 0, page, RMI_MEASURE_CONTENT, &W.a_data0),
			 RMI_SUCCESS);
	assert_int_equal(th_data_create(&W.a, 0x1000, NULL, 0, &W.a_data1), RMI_SUCCESS);
	assert_int_equal(th_data_create(&W.b, 0x200000, page, 0, &W.b_data), RMI_SUCCESS);
	assert_int_equal(th_rec_create(&W.a, 0, 0x1000, NULL, RMI_REC_FLAG_RUNNABLE, &W.a_rec),
			 RMI_SUCCESS);
	W.unprot_ipa = 1ULL << (W.a.ipa_bits - 1);
	W.ns_page = th_ns_granule();
	map_unprotected(&W.a, W.unprot_ipa, W.ns_page);
	assert_int_equal(th_rmi(SMC_RMI_REALM_ACTIVATE, W.a.rd, 0, 0, 0, 0, 0, NULL), RMI_SUCCESS);
	W.deleg = th_delegated_granule();
	W.ns_spare = th_ns_granule();
	expect_clean("world built");
	return 0;
}

static int world_teardown(void **state)
{
	(void)state;
	th_shutdown();
	inv_reset();
	return 0;
}

/* ---- good states ------------------------------------------------------ */

static void test_clean_world_and_teardown(void **state)
{
	struct inv_stats st;
	uint64_t in_use_before;

	(void)state;
	in_use_before = W.in_use_at_boot;
	inv_get_stats(&st);
	assert_int_equal(st.realms, 2);
	assert_int_equal(st.per_state[GRANULE_STATE_RD], 2);
	assert_int_equal(st.per_state[GRANULE_STATE_DATA], 3);
	assert_int_equal(st.per_state[GRANULE_STATE_REC], 1);
	assert_int_equal(st.max_depth, RTT_PAGE_LEVEL);

	/* Tear everything down through RMI; the checker must pass at every stage. */
	assert_int_equal(th_rmi(SMC_RMI_RTT_UNMAP_UNPROTECTED, W.a.rd, W.unprot_ipa, RTT_PAGE_LEVEL,
				0, 0, 0, NULL),
			 RMI_SUCCESS);
	expect_clean("after unmap");
	for (long l = RTT_PAGE_LEVEL; l > W.a.rtt_level_start; l--) {
		struct smc_regs res;

		assert_int_equal(th_rmi(SMC_RMI_RTT_DESTROY, W.a.rd, W.unprot_ipa, (uint64_t)l, 0,
					0, 0, &res),
				 RMI_SUCCESS);
		assert_int_equal(th_rmi(SMC_RMI_GRANULE_UNDELEGATE, res.x[1], 0, 0, 0, 0, 0, NULL),
				 RMI_SUCCESS);
		host_granule_free(res.x[1]);
		expect_clean("unprotected RTT destroyed");
	}
	host_granule_free(W.ns_page);
	th_realm_destroy_all(&W.a, &W.a_rec, 1, 0x400000);
	expect_clean("realm a destroyed");
	th_realm_destroy_all(&W.b, NULL, 0, 0x400000);
	expect_clean("realm b destroyed");
	assert_int_equal(th_rmi(SMC_RMI_GRANULE_UNDELEGATE, W.deleg, 0, 0, 0, 0, 0, NULL),
			 RMI_SUCCESS);
	host_granule_free(W.deleg);
	host_granule_free(W.ns_spare);
	expect_clean("all undelegated");
	inv_get_stats(&st);
	assert_int_equal(st.non_ns, 0);
	assert_int_equal(host_granules_in_use(), in_use_before);
}

/* ---- refcounts -------------------------------------------------------- */

static void test_rd_refcount(void **state)
{
	(void)state;
	gr(W.a.rd)->refcount++;
	expect_violation("refcount");
	gr(W.a.rd)->refcount--;
	expect_clean("restored");
}

/* A Container Realm's address-space slot: refs counts the RECs in it, and a used slot is live. */
static void test_as_slot_refs(void **state)
{
	struct rd *rd = granule_map(granule_find(W.a.rd));

	(void)state;
	rd->rb_as[3].refs = 1; /* no REC has tag 4 */
	expect_violation("address-space slot 3");
	rd->rb_as[3].refs = 0;
	expect_clean("restored");
}

static void test_first_check_after_reset(void **state)
{
	(void)state;
	/* The first check of a machine must describe what it finds, too. */
	inv_reset();
	gr(W.b.rd)->refcount++;
	expect_violation("refcount");
	gr(W.b.rd)->refcount--;
	expect_clean("restored");
}

static void test_rtt_refcount(void **state)
{
	uint64_t t;

	(void)state;
	rtt_entry(&W.a, 0, RTT_PAGE_LEVEL, &t);
	gr(t)->refcount--;
	expect_violation("live entries");
	gr(t)->refcount++;
	expect_clean("restored");
	/* A root RTT's refcount too. */
	gr(W.b.rtt_base)->refcount += 3;
	expect_violation("live entries");
	gr(W.b.rtt_base)->refcount -= 3;
	expect_clean("restored");
}

static void test_rec_refcount(void **state)
{
	(void)state;
	gr(W.a_rec)->refcount = 1;
	expect_violation("outside REC_ENTER");
	gr(W.a_rec)->refcount = 0;
	expect_clean("restored");
}

static void test_data_refcount(void **state)
{
	(void)state;
	gr(W.a_data1)->refcount = 2;
	expect_violation("DATA granule");
	gr(W.a_data1)->refcount = 0;
	expect_clean("restored");
}

/* ---- scrubbing -------------------------------------------------------- */

static void test_byte_in_delegated(void **state)
{
	uint8_t b = 0x5A, z = 0;

	(void)state;
	assert_int_equal(plat_write(PAS_REALM, W.deleg + 0xFFF, &b, 1, NULL), 0);
	expect_violation("not zero");
	assert_int_equal(plat_write(PAS_REALM, W.deleg + 0xFFF, &z, 1, NULL), 0);
	expect_clean("restored");
}

/* ---- isolation: GPIs behind the RMM's back ---------------------------- */

/* The GPT the GPC uses, described for the monitor's own gpt_* functions. */
static struct gpt live_gpt(void)
{
	uint64_t gpccr = plat_read_gpccr();
	struct gpt g = {
		.l0_pa = GPTBR_TO_PA(plat_read_gptbr()),
		.pps = (unsigned)GPCCR_PPS(gpccr),
		.pps_bits = gpt_pps_bits(GPCCR_PPS(gpccr)),
	};

	g.l0_entries = 1ULL << (g.pps_bits - GPT_S);
	return g;
}

/* PA of the L1 descriptor holding pa's GPI (walks the GPT in Root memory). */
static uint64_t l1_desc_pa(uint64_t pa)
{
	struct gpt g = live_gpt();
	uint64_t l0d;

	assert_int_equal(plat_read_u64(PAS_ROOT, g.l0_pa + (pa >> GPT_S) * 8, &l0d, NULL), 0);
	assert_int_equal(l0d & GPT_L0_TYPE_MASK, GPT_L0_TYPE_TABLE);
	return GPT_L0_TABLE_ADDR(l0d) + EXTRACT_BITS(pa, GPT_S - 1, GPT_P + 4) * 8;
}

/* plat_write on Root memory: rewrite one GPI in its L1 descriptor. */
static void poke_gpi(uint64_t pa, unsigned gpi, bool tlbi)
{
	uint64_t dpa = l1_desc_pa(pa), d;

	assert_int_equal(plat_read_u64(PAS_ROOT, dpa, &d, NULL), 0);
	d = GPT_L1_SET_GPI(d, EXTRACT_BITS(pa, GPT_P + 3, GPT_P), gpi);
	assert_int_equal(plat_write(PAS_ROOT, dpa, &d, sizeof(d), NULL), 0);
	if (tlbi)
		plat_tlbi_rpalos(pa, GRANULE_SIZE);
}

static void test_gpi_flip_monitor_internals(void **state)
{
	struct gpt g = live_gpt();

	(void)state;
	/* DATA of realm a given back to NS by the monitor's own GPT code. */
	assert_int_equal(gpt_set_gpi(&g, W.a_data0, GPI_NS), 0);
	plat_tlbi_rpalos(W.a_data0, GRANULE_SIZE);
	expect_violation("readable from the Non-secure PAS");
	expect_violation("not REALM");
	assert_int_equal(gpt_set_gpi(&g, W.a_data0, GPI_REALM), 0);
	plat_tlbi_rpalos(W.a_data0, GRANULE_SIZE);
	expect_clean("restored");
}

static void test_gpi_flip_gtsi_behind_rmm(void **state)
{
	struct smc_regs r = {.x = {SMC_RMM_GTSI_UNDELEGATE, W.deleg}};

	(void)state;
	/* The EL3 interface, called as if by the RMM, without the RMM's state changing. */
	monitor_smc_handler(PAS_REALM, &r);
	assert_int_equal(r.x[0], E_RMM_OK);
	expect_violation("readable from the Non-secure PAS");
	r = (struct smc_regs){.x = {SMC_RMM_GTSI_DELEGATE, W.deleg}};
	monitor_smc_handler(PAS_REALM, &r);
	assert_int_equal(r.x[0], E_RMM_OK);
	expect_clean("restored");
}

static void test_gpi_flip_root_write_no_tlbi(void **state)
{
	(void)state;
	/* GPT says NS, the GPC TLB may still say REALM: the GPT scan finds it. */
	poke_gpi(W.a_data1, GPI_NS, false);
	expect_violation("not REALM");
	poke_gpi(W.a_data1, GPI_REALM, true);
	expect_clean("restored");
}

static void test_ns_granule_made_realm(void **state)
{
	(void)state;
	/* A granule the RMM tracks as NS that the GPT gives to the Realm PAS. */
	poke_gpi(W.ns_spare, GPI_REALM, true);
	expect_violation("NS for the RMM but has GPI");
	poke_gpi(W.ns_spare, GPI_NS, true);
	expect_clean("restored");
}

static void test_root_and_rmm_regions(void **state)
{
	uint64_t root = th_layout.root_base + th_layout.root_size - GRANULE_SIZE;
	uint64_t rmm = th_layout.rmm_base;

	(void)state;
	assert_true(th_layout.root_size > 0 && th_layout.rmm_size > 0);
	/* Not the granule that holds its own GPI (the restore must reach it). */
	if (ALIGN_DOWN(l1_desc_pa(root), GRANULE_SIZE) == root)
		root = th_layout.root_base;
	assert_true(ALIGN_DOWN(l1_desc_pa(root), GRANULE_SIZE) != root);
	poke_gpi(root, GPI_NS, true);
	expect_violation("Root-region granule");
	expect_violation("readable from the Non-secure PAS");
	poke_gpi(root, GPI_ROOT, true);
	expect_clean("root restored");
	poke_gpi(rmm, GPI_NS, true);
	expect_violation("RMM-region granule");
	poke_gpi(rmm, GPI_REALM, true);
	expect_clean("rmm restored");
}

static void test_granule_state_outside_ns_region(void **state)
{
	/* The RMM handing out a granule of its own memory. */
	uint64_t rmm_last = th_layout.rmm_base + th_layout.rmm_size - GRANULE_SIZE;
	struct granule *g = gr(rmm_last);
	uint8_t saved[GRANULE_SIZE];
	void *p = realm_ptr(rmm_last);

	(void)state;
	memcpy(saved, p, sizeof(saved));
	memset(p, 0, GRANULE_SIZE); /* a zero DELEGATED granule, but in RMM memory */
	g->state = GRANULE_STATE_DELEGATED;
	expect_violation("outside the NS region");
	g->state = GRANULE_STATE_NS;
	memcpy(p, saved, sizeof(saved));
	expect_clean("restored");
}

static void test_stale_gpc_tlb_after_undelegate(void **state)
{
	struct gpt g = live_gpt();

	(void)state;
	/* An "undelegate" that forgets the TLBI: the Realm PAS keeps the granule. */
	assert_int_equal(plat_gpc_check(PAS_REALM, W.deleg, NULL), 0); /* cached as REALM */
	assert_int_equal(gpt_set_gpi(&g, W.deleg, GPI_NS), 0);
	gr(W.deleg)->state = GRANULE_STATE_NS;
	expect_violation("still reachable from the Realm PAS");
	plat_tlbi_rpalos(W.deleg, GRANULE_SIZE);
	expect_clean("after the TLBI");
	/* Put it back as DELEGATED. */
	assert_int_equal(gpt_set_gpi(&g, W.deleg, GPI_REALM), 0);
	plat_tlbi_rpalos(W.deleg, GRANULE_SIZE);
	gr(W.deleg)->state = GRANULE_STATE_DELEGATED;
	expect_clean("restored");
}

static void test_gpc_disabled(void **state)
{
	uint64_t gpccr = plat_read_gpccr();

	(void)state;
	plat_write_gpccr(gpccr & ~GPCCR_GPC);
	plat_tlbi_paallos();
	expect_violation("GPC disabled");
	plat_write_gpccr(gpccr);
	plat_tlbi_paallos();
	expect_clean("restored");
}

/* ---- RTT trees -------------------------------------------------------- */

static void test_rtt_entry_to_non_data(void **state)
{
	uint64_t *e = rtt_entry(&W.a, 0x1000, RTT_PAGE_LEVEL, NULL);
	uint64_t saved = *e;

	(void)state;
	/* ASSIGNED to a DELEGATED granule (and the real DATA left orphaned). */
	*e = s2tte_create_assigned(W.deleg, RTT_PAGE_LEVEL, RIPAS_RAM);
	expect_violation("which is DELEGATED");
	expect_violation("orphaned");
	/* ASSIGNED to another realm's DATA. */
	*e = s2tte_create_assigned(W.b_data, RTT_PAGE_LEVEL, RIPAS_RAM);
	expect_violation("mapped twice");
	/* ASSIGNED to an RD, with RIPAS DESTROYED (an invalid entry still counts). */
	*e = s2tte_create_assigned(W.b.rd, RTT_PAGE_LEVEL, RIPAS_DESTROYED);
	expect_violation("which is RD");
	*e = saved;
	expect_clean("restored");
}

static void test_table_twice_and_to_data(void **state)
{
	uint64_t t2, t3;
	uint64_t *e2 = rtt_entry(&W.a, 0, 2, &t2);
	uint64_t *other = rtt_entry(&W.a, 0x40000000ULL * 0 + RTT_LEVEL_SIZE(2) * 5, 2, NULL);
	uint64_t saved = *other;

	(void)state;
	rtt_entry(&W.a, 0, RTT_PAGE_LEVEL, &t3);
	/* A second TABLE entry to the same level-3 RTT. */
	*other = *e2;
	gr(t2)->refcount++;
	expect_violation("reached twice");
	/* A TABLE entry to a DATA granule. */
	*other = s2tte_create_table(W.a_data1);
	expect_violation("which is DATA");
	*other = saved;
	gr(t2)->refcount--;
	expect_clean("restored");
}

static void test_orphans(void **state)
{
	uint64_t t;
	uint64_t *e = rtt_entry(&W.a, 0, RTT_PAGE_LEVEL, &t);
	uint64_t saved = *e;

	(void)state;
	/* DATA unmapped without DATA_DESTROY: orphaned DATA. */
	*e = s2tte_create_unassigned(RIPAS_RAM);
	gr(t)->refcount--;
	expect_violation("DATA granule");
	expect_violation("orphaned");
	*e = saved;
	gr(t)->refcount++;
	expect_clean("restored");
	/* An RTT granule that no realm reaches. */
	gr(W.deleg)->state = GRANULE_STATE_RTT;
	expect_violation("RTT granule");
	gr(W.deleg)->state = GRANULE_STATE_DELEGATED;
	expect_clean("restored");
}

static void test_protection_bits(void **state)
{
	uint64_t *prot = rtt_entry(&W.a, 0x1000, RTT_PAGE_LEVEL, NULL);
	uint64_t *unprot = rtt_entry(&W.a, W.unprot_ipa, RTT_PAGE_LEVEL, NULL);
	uint64_t sp = *prot, su = *unprot;

	(void)state;
	assert_true(*prot & S2TT_DESC_VALID);
	assert_true(*unprot & S2TT_NS);
	/* A protected page readable through the NS PAS. */
	*prot = sp | S2TT_NS;
	expect_violation("protected leaf with the NS bit");
	*prot = sp;
	/* An unprotected mapping that reaches Realm PAS (of another realm's DATA). */
	*unprot = (su & ~S2TT_NS & ~S2TT_OA_MASK) | W.b_data;
	expect_violation("without the NS bit");
	*unprot = su;
	/* A level-3 entry with the block type. */
	*prot = (sp & ~S2TT_DESC_TYPE_MASK) | S2TT_DESC_BLOCK;
	expect_violation("not allowed at this level");
	*prot = sp;
	expect_clean("restored");
}

static void test_walker_disagrees(void **state)
{
	uint64_t *e = rtt_entry(&W.a, 0x1000, RTT_PAGE_LEVEL, NULL);
	uint64_t saved = *e;

	(void)state;
	/* A RAM page the realm cannot even read: the platform's walker refuses it. */
	*e = (saved & ~S2TT_S2AP_MASK) | S2TT_S2AP_NONE;
	expect_violation("stage-2 walker");
	*e = saved;
	expect_clean("restored");
}

static void test_rec_index(void **state)
{
	struct rec *rec = realm_ptr(W.a_rec);
	uint64_t saved = rec->rec_idx;

	(void)state;
	rec->rec_idx = 7; /* beyond the realm's REC count, and not its MPIDR */
	expect_violation("index 7");
	rec->rec_idx = saved;
	expect_clean("restored");
}

static void test_entry_beyond_ipa_space(void **state)
{
	/* s2sz 36 at level 1: one root table of which only 64 entries are used. */
	struct rmi_realm_params p;
	struct th_realm r;
	uint64_t *root;

	(void)state;
	th_default_params(&p, 77);
	p.s2sz = 36;
	p.rtt_num_start = 1;
	assert_int_equal(th_realm_create(&r, &p), RMI_SUCCESS);
	expect_clean("s2sz 36 realm");
	root = realm_ptr(r.rtt_base);
	root[100] = s2tte_create_table(W.deleg);
	gr(W.deleg)->state = GRANULE_STATE_RTT;
	gr(r.rtt_base)->refcount++;
	expect_violation("beyond the IPA space");
	root[100] = 0;
	gr(r.rtt_base)->refcount--;
	gr(W.deleg)->state = GRANULE_STATE_DELEGATED;
	expect_clean("restored");
}

/* ---- Fasco: realm kinds and forwarding channels ---------------------------- */

#define CHAN_IPA 0x300000ULL

static void kind_params(struct rmi_realm_params *p, unsigned vmid, uint64_t kind, uint64_t sys_rd)
{
	struct rb_realm_params_ext ext = {kind, sys_rd, 0, 0};

	th_default_params(p, vmid);
	memcpy((uint8_t *)p + RB_REALM_PARAMS_EXT_OFFSET, &ext, sizeof(ext));
}

static void test_fasco_channel(void **state)
{
	struct rmi_realm_params p;
	struct th_realm sys, cont;
	uint64_t crec, chan, t;
	struct rec *rec;
	struct rd *rd;

	(void)state;
	kind_params(&p, 600, RB_REALM_KIND_SYSTEM, 0);
	assert_int_equal(th_realm_create(&sys, &p), RMI_SUCCESS);
	kind_params(&p, 601, RB_REALM_KIND_CONTAINER, sys.rd);
	assert_int_equal(th_realm_create(&cont, &p), RMI_SUCCESS);
	th_rtt_create_path(&sys, CHAN_IPA, RTT_PAGE_LEVEL);
	assert_int_equal(th_rmi(SMC_RMI_RTT_INIT_RIPAS, sys.rd, CHAN_IPA, CHAN_IPA + GRANULE_SIZE,
				0, 0, 0, NULL),
			 RMI_SUCCESS);
	assert_int_equal(th_rec_create(&cont, 0, 0x1000, NULL, RMI_REC_FLAG_RUNNABLE, &crec),
			 RMI_SUCCESS);
	chan = th_delegated_granule();
	assert_int_equal(
		th_rmi(SMC_RMI_RB_CHANNEL_CREATE, sys.rd, chan, crec, CHAN_IPA, 0, 0, NULL),
		RMI_SUCCESS);
	expect_clean("a System Realm, a Container Realm and its channel");

	/* The System Realm may read its channel, never write it. */
	uint64_t *e = rtt_entry(&sys, CHAN_IPA, RTT_PAGE_LEVEL, &t);
	uint64_t saved = *e;
	*e = (saved & ~S2TT_S2AP_MASK) | S2TT_S2AP_RW;
	expect_violation("a writable page");
	*e = s2tte_create_assigned(chan, RTT_PAGE_LEVEL, RIPAS_EMPTY);
	expect_violation("an invalid entry");
	*e = saved;
	expect_clean("restored");

	/* The container REC's view of its channel. */
	rec = realm_ptr(crec);
	rec->fasco.sys_ipa += GRANULE_SIZE;
	expect_violation("mapped at");
	rec->fasco.sys_ipa -= GRANULE_SIZE;
	rec->fasco.channel = 0;
	expect_violation("bound to 0 container RECs");
	rec->fasco.channel = chan;
	expect_clean("restored");

	/* The System Realm's counts. */
	rd = realm_ptr(sys.rd);
	rd->rb_channels++;
	expect_violation("channels; found");
	rd->rb_channels--;
	rd->rb_bound = 0;
	expect_violation("bound containers");
	rd->rb_bound = 1;
	expect_clean("restored");

	/* A channel mapped into a realm that is not a System Realm. */
	rd = realm_ptr(cont.rd);
	rd->rb_kind = RB_REALM_KIND_PLAIN;
	expect_violation("container flag");
	rd->rb_kind = RB_REALM_KIND_CONTAINER;
	expect_clean("restored");

	assert_int_equal(th_rmi(SMC_RMI_RB_CHANNEL_DESTROY, sys.rd, crec, CHAN_IPA, 0, 0, 0, NULL),
			 RMI_SUCCESS);
	expect_clean("channel destroyed");
}

/* ---- RDs, RECs, locks ------------------------------------------------- */

static void test_rec_aux(void **state)
{
	struct rec *rec = realm_ptr(W.a_rec);
	uint64_t saved;

	(void)state;
	assert_true(rec->num_aux > 0);
	saved = rec->aux[0];
	rec->aux[0] = rec->aux[1 % rec->num_aux];
	expect_violation(rec->num_aux > 1 ? "two aux lists" : "orphaned");
	rec->aux[0] = W.deleg;
	expect_violation("is DELEGATED");
	rec->aux[0] = saved;
	expect_clean("restored");
}

static void test_rec_wrong_rd(void **state)
{
	struct rec *rec = realm_ptr(W.a_rec);
	uint64_t saved = rec->rd_addr;

	(void)state;
	rec->rd_addr = W.b.rd;
	expect_violation("RECs 1");
	rec->rd_addr = W.deleg;
	expect_violation("which is DELEGATED");
	rec->rd_addr = saved;
	expect_clean("restored");
}

static void test_vmid_and_roots(void **state)
{
	struct rd *rdb = realm_ptr(W.b.rd);
	uint64_t saved = rdb->vmid, saved_base = rdb->rtt_base;

	(void)state;
	rdb->vmid = ((struct rd *)realm_ptr(W.a.rd))->vmid;
	expect_violation("used by two realms");
	rdb->vmid = saved;
	expect_clean("restored");
	/* Two realms sharing root RTTs. */
	rdb->rtt_base = W.a.rtt_base;
	expect_violation("reached twice");
	rdb->rtt_base = saved_base;
	expect_clean("restored");
	/* A root count the architecture does not allow. */
	rdb->rtt_num_start = 4;
	expect_violation("root RTTs");
	rdb->rtt_num_start = W.b.rtt_num_start;
	expect_clean("restored");
}

static void test_leaked_lock(void **state)
{
	(void)state;
	granule_lock(gr(W.b_data));
	expect_violation("locked between RMI calls");
	granule_unlock(gr(W.b_data));
	expect_clean("restored");
}

static void test_data_turned_delegated(void **state)
{
	(void)state;
	/* DATA_DESTROY that forgot the RTT entry and the scrub. */
	gr(W.b_data)->state = GRANULE_STATE_DELEGATED;
	expect_violation("which is DELEGATED");
	expect_violation("not zero");
	gr(W.b_data)->state = GRANULE_STATE_DATA;
	expect_clean("restored");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, world_setup, world_teardown)
	const struct CMUnitTest tests[] = {
		T(test_clean_world_and_teardown),
		T(test_rd_refcount),
		T(test_first_check_after_reset),
		T(test_rtt_refcount),
		T(test_rec_refcount),
		T(test_data_refcount),
		T(test_byte_in_delegated),
		T(test_gpi_flip_monitor_internals),
		T(test_gpi_flip_gtsi_behind_rmm),
		T(test_gpi_flip_root_write_no_tlbi),
		T(test_ns_granule_made_realm),
		T(test_root_and_rmm_regions),
		T(test_granule_state_outside_ns_region),
		T(test_stale_gpc_tlb_after_undelegate),
		T(test_gpc_disabled),
		T(test_rtt_entry_to_non_data),
		T(test_table_twice_and_to_data),
		T(test_orphans),
		T(test_protection_bits),
		T(test_entry_beyond_ipa_space),
		T(test_walker_disagrees),
		T(test_fasco_channel),
		T(test_rec_index),
		T(test_rec_aux),
		T(test_rec_wrong_rd),
		T(test_vmid_and_roots),
		T(test_leaked_lock),
		T(test_data_turned_delegated),
		T(test_as_slot_refs),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
