/*
 * Tests of the emulated PE running native C guests: registration, the SMC
 * round trip through plat_pe_run, loads and stores through a hand-built
 * stage 2 (direct, MMIO emulation by advancing pc, retry after the host maps
 * memory, injected SEA), granule-chunked accesses, a guest that returns,
 * and PEs that are independent of each other and of the host thread.
 */
#include "test_plat_util.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "arch/esr.h"
#include "arch/s2tt.h"
#include "plat/emu/native_guest.h"

#define ATTR (S2TT_AF | S2TT_MEMATTR_NORMAL_WB | S2TT_SH_IS)
#define PAGE(pa) ((uint64_t)(pa) | ATTR | S2TT_S2AP_RW | S2TT_DESC_PAGE)
#define TABLE(pa) ((uint64_t)(pa) | S2TT_DESC_TABLE_TYPE)

#define PC_MAIN 0x10000ULL
#define PC_RETURN 0x20000ULL
#define PC_FOREVER 0x30000ULL
#define PC_REENTER 0x40000ULL
#define PC_COUNTER 0x50000ULL
#define PC_NOS2 0x60000ULL
#define PC_CROSS 0x70000ULL

static uint64_t rtt_l1, rtt_l2, rtt_l3;
static uint64_t page[8]; /* backing granules for IPA page i (some stay unmapped) */
static struct plat_s2_config s2;

static void wr(uint64_t table, unsigned idx, uint64_t desc)
{
	assert_int_equal(plat_write_u64(PAS_REALM, table + idx * 8, desc, NULL), 0);
}

/* Map IPA page i (0x1000 * i) to its backing granule. */
static void map_page(unsigned i)
{
	wr(rtt_l3, i, PAGE(page[i]));
}

static uint64_t rd_u64(uint64_t pa)
{
	uint64_t v;

	assert_int_equal(plat_read_u64(PAS_REALM, pa, &v, NULL), 0);
	return v;
}

/* ---- Guests ------------------------------------------------------------- */

static struct {
	uint64_t entry_gprs[8];
	uint64_t vals[8];
	struct smc_regs smc;
	bool smc_sea, sea, sea_after;
	uint8_t chunk[0x2000];
	bool done;
	int reenter_ret;
	void *user;
} gv;

static struct plat_pe *reenter_pe;

static void guest_main(struct native_guest *g, const uint64_t gprs[8])
{
	int local;
	struct smc_regs r = {.x = {0xC4000190}};

	memcpy(gv.entry_gprs, gprs, sizeof(gv.entry_gprs));
	native_guest_set_user(g, &local);
	gv.user = native_guest_user(g);

	/* Plain memory through stage 2: no exception at all. */
	native_guest_store(g, 0x1000, 0x1122334455667788ULL, 8);
	gv.vals[0] = native_guest_load(g, 0x1000, 8);
	gv.vals[1] = native_guest_load(g, 0x1004, 4);
	native_guest_store(g, 0x1001, 0xAA, 1);

	for (unsigned i = 1; i < SMC_NR_REGS; i++)
		r.x[i] = i;
	native_guest_smc(g, &r);
	gv.smc = r;
	gv.smc_sea = native_guest_took_sea(g);

	gv.vals[2] = native_guest_load(g, 0x2000, 4); /* MMIO read, emulated */
	native_guest_store(g, 0x2008, 0x1BEEF, 2);    /* MMIO write, emulated */
	gv.vals[3] = native_guest_load(g, 0x3000, 8); /* retried after mapping */
	gv.vals[4] = native_guest_load(g, 0x4000, 8); /* answered by an SEA */
	gv.sea = native_guest_took_sea(g);
	gv.vals[5] = native_guest_load(g, 0x1000, 2);
	gv.sea_after = native_guest_took_sea(g);

	/* 0x5800..0x7800: 0x7000 unmapped until the host maps it. */
	native_guest_read(g, 0x5800, gv.chunk, sizeof(gv.chunk));
	native_guest_write(g, 0x5FFE, "\x01\x02\x03\x04", 4);
	gv.done = true;
}

static void guest_return(struct native_guest *g, const uint64_t gprs[8])
{
}

static void guest_forever(struct native_guest *g, const uint64_t gprs[8])
{
	struct smc_regs r = {.x = {1}};

	for (;;)
		native_guest_smc(g, &r);
}

static void guest_reenter(struct native_guest *g, const uint64_t gprs[8])
{
	struct plat_vcpu_state st = {0};
	struct plat_exception exc;

	gv.reenter_ret = plat_pe_run(reenter_pe, &s2, &st, &exc);
}

/* SMCs with x1 = gprs[0] + i: each PE has its own registers and stack. */
static void guest_counter(struct native_guest *g, const uint64_t gprs[8])
{
	uint64_t base = gprs[0];

	for (uint64_t i = 0;; i++) {
		struct smc_regs r = {.x = {7, base + i}};

		native_guest_smc(g, &r);
		if (r.x[0] != base + i + 1000)
			return; /* EC_UNKNOWN tells the host */
	}
}

static void guest_nos2(struct native_guest *g, const uint64_t gprs[8])
{
	gv.vals[0] = native_guest_load(g, 0x1000, 8);
}

/* Loads and stores that cross a granule boundary. */
static void guest_cross(struct native_guest *g, const uint64_t gprs[8])
{
	native_guest_store(g, 0x5FFC, 0x0807060504030201ULL, 8);
	gv.vals[0] = native_guest_load(g, 0x5FFC, 8);
	gv.vals[1] = native_guest_load(g, 0x6FFE, 4); /* 0x7000 not mapped yet */
}

/* ---- Fixture --------------------------------------------------------------- */

static int setup(void **state)
{
	(void)state;
	if (tp_boot(0) != 0)
		return -1;
	memset(&gv, 0, sizeof(gv));
	rtt_l1 = tp_alloc_granules(1);
	rtt_l2 = tp_alloc_granules(1);
	rtt_l3 = tp_alloc_granules(1);
	for (unsigned i = 0; i < 8; i++)
		page[i] = tp_alloc_granules(1);
	assert_int_equal(plat_zero(PAS_REALM, rtt_l1, 3 * GRANULE_SIZE, NULL), 0);
	wr(rtt_l1, 0, TABLE(rtt_l2));
	wr(rtt_l2, 0, TABLE(rtt_l3));
	map_page(1);
	map_page(5);
	map_page(6);
	s2 = (struct plat_s2_config){
		.rtt_base = rtt_l1, .rtt_level_start = 1, .rtt_num_start = 1, .ipa_bits = 32};
	/* Realm memory behind a real GPT. */
	tp_gpt_build(GPI_REALM, GPI_NO_ACCESS);
	assert_int_equal(plat_native_guest_register(PC_MAIN, guest_main), 0);
	assert_int_equal(plat_native_guest_register(PC_RETURN, guest_return), 0);
	assert_int_equal(plat_native_guest_register(PC_FOREVER, guest_forever), 0);
	assert_int_equal(plat_native_guest_register(PC_REENTER, guest_reenter), 0);
	assert_int_equal(plat_native_guest_register(PC_COUNTER, guest_counter), 0);
	assert_int_equal(plat_native_guest_register(PC_NOS2, guest_nos2), 0);
	assert_int_equal(plat_native_guest_register(PC_CROSS, guest_cross), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	plat_native_guest_unregister(PC_MAIN);
	plat_native_guest_unregister(PC_RETURN);
	plat_native_guest_unregister(PC_FOREVER);
	plat_native_guest_unregister(PC_REENTER);
	plat_native_guest_unregister(PC_COUNTER);
	plat_native_guest_unregister(PC_NOS2);
	plat_native_guest_unregister(PC_CROSS);
	plat_fini();
	return 0;
}

/* Check a data abort with a valid syndrome (ISV, SAS, SRT = 0). */
static void expect_isv_abort(const struct plat_exception *exc, uint64_t ipa, unsigned size,
			     bool write, unsigned fsc)
{
	uint64_t iss = ESR_ISS(exc->esr);

	assert_int_equal(ESR_EC(exc->esr), EC_DABT_LOW);
	assert_true(iss & ESR_ISS_ISV);
	assert_int_equal(1U << ESR_ISS_SAS(iss), size);
	assert_int_equal(ESR_ISS_SRT(iss), 0);
	assert_int_equal((iss & ESR_ISS_WNR) != 0, write);
	assert_int_equal(ESR_ISS_FSC(iss), fsc);
	assert_int_equal(exc->far, ipa);
	assert_int_equal(exc->hpfar, HPFAR_FROM_IPA(ipa));
}

/* ---- Tests ------------------------------------------------------------------- */

static void test_registry(void **state)
{
	int err = 0;
	unsigned n = 0;

	assert_int_equal(plat_native_guest_register(PC_MAIN, guest_return), -EEXIST);
	assert_int_equal(plat_native_guest_register(0x99000, NULL), -EINVAL);
	assert_null(plat_pe_create(0x99000, &err));
	assert_int_equal(err, -ENOENT);
	/* The table is small and fixed. */
	for (;;) {
		int ret = plat_native_guest_register(0x1000000 + n * 4, guest_return);

		if (ret != 0) {
			assert_int_equal(ret, -ENOMEM);
			break;
		}
		n++;
		assert_true(n < 100000);
	}
	assert_true(n > 0);
	for (unsigned i = 0; i < n; i++)
		plat_native_guest_unregister(0x1000000 + i * 4);
	assert_int_equal(plat_native_guest_register(0x99000, guest_return), 0);
	plat_native_guest_unregister(0x99000);
	assert_null(plat_pe_create(0x99000, &err));
	assert_int_equal(err, -ENOENT);
	assert_null(plat_pe_create(0x99000, NULL));
	/* Bad calls. */
	assert_int_equal(plat_pe_run(NULL, &s2, NULL, NULL), -EINVAL);
	plat_pe_destroy(NULL);
}

static void test_guest_round_trip(void **state)
{
	struct plat_vcpu_state st = {.pc = PC_MAIN};
	struct plat_exception exc;
	struct plat_pe *pe;
	uint8_t bytes[8];
	int err = 0;

	for (unsigned i = 0; i < 31; i++)
		st.gprs[i] = 100 + i;
	pe = plat_pe_create(PC_MAIN, &err);
	assert_non_null(pe);

	/* 1: the SMC; the stores before it went straight to memory. */
	assert_int_equal(plat_pe_run(pe, &s2, &st, &exc), 0);
	assert_int_equal(ESR_EC(exc.esr), EC_SMC64);
	assert_int_equal(ESR_ISS_IMM16(ESR_ISS(exc.esr)), 0);
	assert_int_equal(st.gprs[0], 0xC4000190);
	for (unsigned i = 1; i < SMC_NR_REGS; i++)
		assert_int_equal(st.gprs[i], i);
	assert_int_equal(st.gprs[11], 111); /* untouched */
	assert_int_equal(st.pc, PC_MAIN);
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(gv.entry_gprs[i], 100 + i);
	assert_non_null(gv.user);
	assert_int_equal(gv.vals[0], 0x1122334455667788ULL);
	assert_int_equal(gv.vals[1], 0x11223344);
	assert_int_equal(plat_read(PAS_REALM, page[1], bytes, 8, NULL), 0);
	assert_int_equal(bytes[0], 0x88);
	assert_int_equal(bytes[1], 0xAA);
	assert_int_equal(bytes[2], 0x66);
	st.gprs[0] = 0x10000;
	st.gprs[1] = 0x55;
	st.gprs[10] = 0xAB;
	st.pc += 4;

	/* 2: MMIO read at 0x2000 (not mapped): emulated by the RMM. */
	assert_int_equal(plat_pe_run(pe, &s2, &st, &exc), 0);
	assert_int_equal(gv.smc.x[0], 0x10000);
	assert_int_equal(gv.smc.x[1], 0x55);
	assert_int_equal(gv.smc.x[2], 2);
	assert_int_equal(gv.smc.x[10], 0xAB);
	assert_false(gv.smc_sea);
	expect_isv_abort(&exc, 0x2000, 4, false, FSC_TRANSLATION(3));
	assert_int_equal(st.pc, PC_MAIN + 4);
	st.gprs[0] = 0xCAFEF00D12345678ULL;
	st.pc += 4;

	/* 3: MMIO write: the value is in x0 (SRT). */
	assert_int_equal(plat_pe_run(pe, &s2, &st, &exc), 0);
	assert_int_equal(gv.vals[2], 0x12345678);
	expect_isv_abort(&exc, 0x2008, 2, true, FSC_TRANSLATION(3));
	assert_int_equal(st.gprs[0], 0xBEEF);
	assert_int_equal(st.pc, PC_MAIN + 8);
	st.pc += 4;

	/* 4: a load from 0x3000; the host maps it and leaves pc: retried. */
	assert_int_equal(plat_pe_run(pe, &s2, &st, &exc), 0);
	expect_isv_abort(&exc, 0x3000, 8, false, FSC_TRANSLATION(3));
	assert_int_equal(st.pc, PC_MAIN + 12);
	assert_int_equal(plat_write_u64(PAS_REALM, page[3], 0x77, NULL), 0);
	map_page(3);

	/* 5: retried load succeeded; next, 0x4000: answered with an SEA. */
	assert_int_equal(plat_pe_run(pe, &s2, &st, &exc), 0);
	assert_int_equal(gv.vals[3], 0x77);
	expect_isv_abort(&exc, 0x4000, 8, false, FSC_TRANSLATION(3));
	plat_pe_inject_sea(pe, &st);

	/* 6: the chunked read stops at 0x7000, without ISV. */
	assert_int_equal(plat_write(PAS_REALM, page[5] + 0x800, "five", 4, NULL), 0);
	assert_int_equal(plat_write(PAS_REALM, page[6], "six", 3, NULL), 0);
	assert_int_equal(plat_write(PAS_REALM, page[7] + 0x7FC, "END", 4, NULL), 0);
	assert_int_equal(plat_pe_run(pe, &s2, &st, &exc), 0);
	assert_int_equal(gv.vals[4], 0);
	assert_true(gv.sea);
	assert_int_equal(gv.vals[5], 0xAA88);
	assert_false(gv.sea_after);
	assert_int_equal(ESR_EC(exc.esr), EC_DABT_LOW);
	assert_int_equal(ESR_ISS(exc.esr) & ESR_ISS_ISV, 0);
	assert_int_equal(ESR_ISS(exc.esr) & ESR_ISS_WNR, 0);
	assert_int_equal(ESR_ISS_FSC(ESR_ISS(exc.esr)), FSC_TRANSLATION(3));
	assert_int_equal(exc.far, 0x7000);
	map_page(7);

	/* 7: the rest completes and the guest function returns. */
	assert_int_equal(plat_pe_run(pe, &s2, &st, &exc), 0);
	assert_true(gv.done);
	assert_memory_equal(gv.chunk, "five", 4);
	assert_memory_equal(gv.chunk + 0x800, "six", 3);
	assert_memory_equal(gv.chunk + 0x1FFC, "END", 4);
	assert_int_equal(rd_u64(page[5] + 0xFF8) >> 48, 0x0201);
	assert_int_equal(rd_u64(page[6]) & 0xFFFF, 0x0403);
	assert_int_equal(ESR_EC(exc.esr), EC_UNKNOWN);
	/* 8: and stays dead. */
	assert_int_equal(plat_pe_run(pe, &s2, &st, &exc), 0);
	assert_int_equal(ESR_EC(exc.esr), EC_UNKNOWN);
	plat_pe_destroy(pe);
}

static void test_guest_returns(void **state)
{
	struct plat_vcpu_state st = {.pc = PC_RETURN};
	struct plat_exception exc = {.esr = ~0ULL};
	struct plat_pe *pe = plat_pe_create(PC_RETURN, NULL);

	assert_non_null(pe);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(plat_pe_run(pe, &s2, &st, &exc), 0);
		assert_int_equal(exc.esr, ESR_MAKE(EC_UNKNOWN, 0));
	}
	plat_pe_destroy(pe);
}

static void test_destroy_unfinished_and_reentry(void **state)
{
	struct plat_vcpu_state st = {.pc = PC_FOREVER};
	struct plat_exception exc;
	struct plat_pe *pe = plat_pe_create(PC_FOREVER, NULL);

	assert_non_null(pe);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(plat_pe_run(pe, &s2, &st, &exc), 0);
		assert_int_equal(ESR_EC(exc.esr), EC_SMC64);
	}
	plat_pe_destroy(pe); /* never finished: the stack is freed anyway */

	/* A PE cannot be run from inside itself. */
	reenter_pe = plat_pe_create(PC_REENTER, NULL);
	assert_non_null(reenter_pe);
	gv.reenter_ret = 1;
	st.pc = PC_REENTER;
	assert_int_equal(plat_pe_run(reenter_pe, &s2, &st, &exc), 0);
	assert_int_equal(gv.reenter_ret, -EINVAL);
	assert_int_equal(ESR_EC(exc.esr), EC_UNKNOWN);
	plat_pe_destroy(reenter_pe);
}

static void test_no_stage2(void **state)
{
	struct plat_vcpu_state st = {.pc = PC_NOS2};
	struct plat_exception exc;
	struct plat_pe *pe = plat_pe_create(PC_NOS2, NULL);

	assert_non_null(pe);
	assert_int_equal(plat_pe_run(pe, NULL, &st, &exc), 0);
	expect_isv_abort(&exc, 0x1000, 8, false, FSC_TRANSLATION(0));
	assert_true(ESR_ISS(exc.esr) & ESR_ISS_SF);
	st.gprs[0] = 42;
	st.pc += 4;
	assert_int_equal(plat_pe_run(pe, NULL, &st, &exc), 0);
	assert_int_equal(gv.vals[0], 42);
	assert_int_equal(ESR_EC(exc.esr), EC_UNKNOWN);
	plat_pe_destroy(pe);
}

/* A GPF on the output address is an abort with FSC 0x28, retried after a fix. */
static void test_guest_gpf(void **state)
{
	struct plat_vcpu_state st = {.pc = PC_NOS2};
	struct plat_exception exc;
	struct plat_pe *pe = plat_pe_create(PC_NOS2, NULL);

	assert_non_null(pe);
	assert_int_equal(plat_write_u64(PAS_REALM, page[1], 0x5151, NULL), 0);
	tp_set_gpi(page[1], GPI_NS);
	assert_int_equal(plat_pe_run(pe, &s2, &st, &exc), 0);
	expect_isv_abort(&exc, 0x1000, 8, false, FSC_GPF);
	tp_set_gpi(page[1], GPI_REALM);
	assert_int_equal(plat_pe_run(pe, &s2, &st, &exc), 0);
	assert_int_equal(gv.vals[0], 0x5151);
	plat_pe_destroy(pe);
}

static void test_cross_granule(void **state)
{
	struct plat_vcpu_state st = {.pc = PC_CROSS};
	struct plat_exception exc;
	struct plat_pe *pe = plat_pe_create(PC_CROSS, NULL);

	assert_non_null(pe);
	assert_int_equal(plat_write(PAS_REALM, page[6] + 0xFFE, "\xAA\xBB", 2, NULL), 0);
	assert_int_equal(plat_write(PAS_REALM, page[7], "\xCC\xDD", 2, NULL), 0);
	/* The second load stops at 0x7000, reported without a syndrome. */
	assert_int_equal(plat_pe_run(pe, &s2, &st, &exc), 0);
	assert_int_equal(gv.vals[0], 0x0807060504030201ULL);
	assert_int_equal(rd_u64(page[5] + 0xFF8) >> 32, 0x04030201);
	assert_int_equal(rd_u64(page[6]) & 0xFFFFFFFF, 0x08070605);
	assert_int_equal(ESR_EC(exc.esr), EC_DABT_LOW);
	assert_int_equal(ESR_ISS(exc.esr) & ESR_ISS_ISV, 0);
	assert_int_equal(exc.far, 0x7000);
	map_page(7);
	assert_int_equal(plat_pe_run(pe, &s2, &st, &exc), 0);
	assert_int_equal(gv.vals[1], 0xDDCCBBAA);
	assert_int_equal(ESR_EC(exc.esr), EC_UNKNOWN);
	plat_pe_destroy(pe);
}

struct counter_run {
	struct plat_pe *pe;
	struct plat_vcpu_state st;
	uint64_t next; /* x1 expected with the next SMC */
	int rounds;
	int bad;
};

/* Run one counter PE for `rounds` SMCs, answering each. */
static void *counter_rounds(void *arg)
{
	struct counter_run *c = arg;
	struct plat_exception exc;

	for (int i = 0; i < c->rounds; i++) {
		if (plat_pe_run(c->pe, &s2, &c->st, &exc) != 0 || ESR_EC(exc.esr) != EC_SMC64) {
			c->bad++;
			continue;
		}
		if (c->st.gprs[0] != 7 || c->st.gprs[1] != c->next)
			c->bad++;
		c->next++;
		c->st.gprs[0] = c->st.gprs[1] + 1000;
		c->st.pc += 4;
	}
	return NULL;
}

static void test_independent_pes(void **state)
{
	struct counter_run a = {.st = {.pc = PC_COUNTER, .gprs = {1000000}}, .next = 1000000};
	struct counter_run b = {.st = {.pc = PC_COUNTER, .gprs = {5000}}, .next = 5000};
	struct plat_exception exc;
	pthread_t th;

	a.pe = plat_pe_create(PC_COUNTER, NULL);
	b.pe = plat_pe_create(PC_COUNTER, NULL);
	assert_non_null(a.pe);
	assert_non_null(b.pe);
	/* Interleaved on this thread: each sees its own sequence. */
	for (int r = 0; r < 5; r++) {
		a.rounds = b.rounds = 1;
		counter_rounds(&a);
		counter_rounds(&b);
		assert_int_equal(a.st.gprs[1], 1000000 + r);
		assert_int_equal(b.st.gprs[1], 5000 + r);
	}
	/* Then b continues on another host thread while a runs here. */
	b.rounds = 200;
	a.rounds = 200;
	assert_int_equal(pthread_create(&th, NULL, counter_rounds, &b), 0);
	counter_rounds(&a);
	pthread_join(th, NULL);
	assert_int_equal(a.bad, 0);
	assert_int_equal(b.bad, 0);
	assert_int_equal(a.st.gprs[1], 1000000 + 204);
	assert_int_equal(b.st.gprs[1], 5000 + 204);
	/* A wrong answer ends the guest. */
	a.st.gprs[0] = 0;
	assert_int_equal(plat_pe_run(a.pe, &s2, &a.st, &exc), 0);
	assert_int_equal(ESR_EC(exc.esr), EC_UNKNOWN);
	plat_pe_destroy(a.pe);
	plat_pe_destroy(b.pe);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_registry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_returns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroy_unfinished_and_reentry, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_stage2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_gpf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cross_granule, setup, teardown),
		cmocka_unit_test_setup_teardown(test_independent_pes, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
