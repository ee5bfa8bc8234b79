/*
 * RSI calls from a realm (native test guests), success and hostile
 * arguments: VERSION, MEASUREMENT_READ/EXTEND (ATTESTATION_*: test_host_attest.c),
 * REALM_CONFIG, IPA_STATE_SET (with RTT_SET_RIPAS, accept and reject),
 * IPA_STATE_GET, HOST_CALL round trip, unknown FIDs, the RSI counter.
 */
#include "rec_test_util.h"

#include "arch/rsi.h"
#include "lib/hash.h"

#define PC_MAIN 0x1000ULL
#define HC_IPA (RT_IPA_DATA + 2 * GRANULE_SIZE) /* host-call struct in DATA page 2 */
#define CFG_IPA (RT_IPA_DATA + 3 * GRANULE_SIZE)
#define NR_RESULTS 64

/* What the guest saw: filled in by guest code, checked by the test. */
static struct {
	unsigned n;
	struct smc_regs r[NR_RESULTS];
	uint8_t buf[GRANULE_SIZE];
	bool sea;
	int step;
} gr;

static void rec_result(const struct smc_regs *r)
{
	if (gr.n < NR_RESULTS)
		gr.r[gr.n++] = *r;
}

static uint64_t call(struct native_guest *g, uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3,
		     uint64_t a4)
{
	struct smc_regs r;

	rt_smc(g, fid, a1, a2, a3, a4, &r);
	rec_result(&r);
	return r.x[0];
}

static int setup(void **state)
{
	memset(&gr, 0, sizeof(gr));
	return th_setup(state);
}

static int teardown(void **state)
{
	rt_cleanup();
	plat_native_guest_unregister(PC_MAIN);
	return th_teardown(state);
}

/* ---- VERSION ------------------------------------------------------------ */

static void guest_version(struct native_guest *g, const uint64_t gprs[8])
{
	call(g, SMC_RSI_VERSION, RSI_ABI_VERSION, 0, 0, 0);  /* 1.0 */
	call(g, SMC_RSI_VERSION, (1ULL << 16) | 7, 0, 0, 0); /* 1.7: same major */
	call(g, SMC_RSI_VERSION, 2ULL << 16, 0, 0, 0);	     /* 2.0 */
	call(g, SMC_RSI_VERSION, 0, 0, 0, 0);		     /* 0.0 */
	call(g, SMC_RSI_VERSION, ~0ULL, 0, 0, 0);
	call(g, SMC_RSI_VERSION, RSI_ABI_VERSION | (1ULL << 32), 0, 0, 0); /* reserved bits */
}

static void test_version(void **state)
{
	struct rt_realm rr;
	static const uint64_t want[] = {RSI_SUCCESS,	 RSI_SUCCESS,	  RSI_ERROR_INPUT,
					RSI_ERROR_INPUT, RSI_ERROR_INPUT, RSI_ERROR_INPUT};

	rt_guest(PC_MAIN, guest_version);
	rt_realm_build(&rr, PC_MAIN);
	rt_run_to_end(&rr, 0);
	assert_int_equal(gr.n, ARRAY_SIZE(want));
	for (unsigned i = 0; i < gr.n; i++) {
		assert_int_equal(gr.r[i].x[0], want[i]);
		assert_int_equal(gr.r[i].x[1], RSI_ABI_VERSION);
		assert_int_equal(gr.r[i].x[2], RSI_ABI_VERSION);
	}
}

/* ---- MEASUREMENT_READ / EXTEND -------------------------------------------- */

static const uint8_t ext_data[64] = {
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc,
	0xdd, 0xee, 0xff, 1,	2,    3,    4,	  5,	6,    7,    8,	  9,	10,
	11,   12,   13,	  14,	15,   16,   17,	  18,	19,   20,   21,	  22,	23,
	24,   25,   26,	  27,	28,   29,   30,	  31,	32,   33,   34,	  35,	36,
	37,   38,   39,	  40,	41,   42,   43,	  44,	45,   46,   47,	  48,
};

static uint64_t extend(struct native_guest *g, uint64_t idx, uint64_t size, const uint8_t *data)
{
	struct smc_regs r;

	memset(&r, 0, sizeof(r));
	r.x[0] = SMC_RSI_MEASUREMENT_EXTEND;
	r.x[1] = idx;
	r.x[2] = size;
	memcpy(&r.x[3], data, 64);
	native_guest_smc(g, &r);
	rec_result(&r);
	return r.x[0];
}

static void guest_measure(struct native_guest *g, const uint64_t gprs[8])
{
	/* 0..4: read every slot before anything is extended. */
	for (uint64_t i = 0; i < MEASUREMENT_SLOT_NR; i++)
		call(g, SMC_RSI_MEASUREMENT_READ, i, 0, 0, 0);
	/* 5..7: bad indices. */
	call(g, SMC_RSI_MEASUREMENT_READ, MEASUREMENT_SLOT_NR, 0, 0, 0);
	call(g, SMC_RSI_MEASUREMENT_READ, ~0ULL, 0, 0, 0);
	call(g, SMC_RSI_MEASUREMENT_READ, 1ULL << 32, 0, 0, 0);
	/* 8..13: bad extends (RIM, out of range, too long). */
	extend(g, 0, 8, ext_data);
	extend(g, 5, 8, ext_data);
	extend(g, ~0ULL, 8, ext_data);
	extend(g, 1, 65, ext_data);
	extend(g, 1, ~0ULL, ext_data);
	extend(g, 1, 1ULL << 32, ext_data);
	/* 14..16: extend REM1 by 64 bytes, REM4 by 5 bytes, REM2 by 0 bytes. */
	extend(g, 1, 64, ext_data);
	extend(g, 4, 5, ext_data);
	extend(g, 2, 0, ext_data);
	/* 17..21: read every slot again. */
	for (uint64_t i = 0; i < MEASUREMENT_SLOT_NR; i++)
		call(g, SMC_RSI_MEASUREMENT_READ, i, 0, 0, 0);
}

static void slot_of(const struct smc_regs *r, uint8_t out[64])
{
	memcpy(out, &r->x[1], 64);
}

static void test_measurement(void **state)
{
	struct rt_realm rr;
	uint8_t zero[64] = {0}, slot[64], want[64], in[32 + 64];

	rt_guest(PC_MAIN, guest_measure);
	rt_realm_build(&rr, PC_MAIN);
	rt_run_to_end(&rr, 0);
	assert_int_equal(gr.n, 22);

	/* The RIM is set (realm created, data measured); REMs start at zero. */
	assert_int_equal(gr.r[0].x[0], RSI_SUCCESS);
	slot_of(&gr.r[0], slot);
	assert_memory_not_equal(slot, zero, 32);
	assert_memory_equal(slot + 32, zero, 32); /* SHA-256: upper half zero */
	for (unsigned i = 1; i < MEASUREMENT_SLOT_NR; i++) {
		assert_int_equal(gr.r[i].x[0], RSI_SUCCESS);
		slot_of(&gr.r[i], slot);
		assert_memory_equal(slot, zero, 64);
	}
	for (unsigned i = 5; i < 14; i++)
		assert_int_equal(gr.r[i].x[0], RSI_ERROR_INPUT);
	for (unsigned i = 14; i < 17; i++)
		assert_int_equal(gr.r[i].x[0], RSI_SUCCESS);

	/* RIM unchanged by REM extends. */
	assert_memory_equal(&gr.r[0].x[1], &gr.r[17].x[1], 64);
	/* REM1 = H(REM1 (32 zero bytes) || data[0:64]). */
	memset(in, 0, sizeof(in));
	memcpy(in + 32, ext_data, 64);
	memset(want, 0, sizeof(want));
	assert_int_equal(hash_buf(HASH_SHA256, in, 32 + 64, want), 0);
	slot_of(&gr.r[18], slot);
	assert_memory_equal(slot, want, 64);
	/* REM2 extended by 0 bytes = H(32 zero bytes). */
	memset(want, 0, sizeof(want));
	assert_int_equal(hash_buf(HASH_SHA256, in, 32, want), 0);
	slot_of(&gr.r[19], slot);
	assert_memory_equal(slot, want, 64);
	/* REM3 untouched. */
	slot_of(&gr.r[20], slot);
	assert_memory_equal(slot, zero, 64);
	/* REM4 = H(zeros || data[0:5]). */
	memset(want, 0, sizeof(want));
	assert_int_equal(hash_buf(HASH_SHA256, in, 32 + 5, want), 0);
	slot_of(&gr.r[21], slot);
	assert_memory_equal(slot, want, 64);
}

/* ---- Unknown FIDs ------------------------------------------------------------ */

static void guest_unsupported(struct native_guest *g, const uint64_t gprs[8])
{
	call(g, SMC64_FID(0x191), 1, 2, 3, 4);		     /* hole in the RSI range */
	call(g, SMC64_FID(0x19D), 0, 0, 0, 0);		     /* past the last call (0x19C: ENDING) */
	call(g, SMC_RMI_REC_ENTER, 0, 0, 0, 0);		     /* RMI from a realm */
	call(g, SMC_RMM_GTSI_DELEGATE, 0x80000000, 0, 0, 0); /* EL3 interface */
	call(g, ~0ULL, 0, 0, 0, 0);
	call(g, 0, 0, 0, 0, 0);
	/* SMCCC: X0[63:32] is ignored, so this is RSI_VERSION. */
	call(g, SMC_RSI_VERSION | (0xdeadULL << 32), RSI_ABI_VERSION, 0, 0, 0);
}

static void test_unsupported_and_unknown(void **state)
{
	struct rt_realm rr;

	rt_guest(PC_MAIN, guest_unsupported);
	rt_realm_build(&rr, PC_MAIN);
	rt_run_to_end(&rr, 0);
	assert_int_equal(gr.n, 7);
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(gr.r[i].x[0], SMC_UNKNOWN);
	/* Unknown calls change nothing but x0. */
	assert_int_equal(gr.r[0].x[1], 1);
	assert_int_equal(gr.r[0].x[4], 4);
	assert_int_equal(gr.r[6].x[0], RSI_SUCCESS);
	assert_int_equal(gr.r[6].x[1], RSI_ABI_VERSION);
}

/* ---- REALM_CONFIG ------------------------------------------------------- */

static void guest_realm_config(struct native_guest *g, const uint64_t gprs[8])
{
	call(g, SMC_RSI_REALM_CONFIG, CFG_IPA + 8, 0, 0, 0);		  /* unaligned */
	call(g, SMC_RSI_REALM_CONFIG, RT_UNPROT_BASE, 0, 0, 0);		  /* unprotected */
	call(g, SMC_RSI_REALM_CONFIG, RT_UNPROT_BASE + CFG_IPA, 0, 0, 0); /* NS alias */
	call(g, SMC_RSI_REALM_CONFIG, RT_IPA_RAM_UNASSIGNED, 0, 0, 0);	  /* RAM, unassigned */
	call(g, SMC_RSI_REALM_CONFIG, RT_IPA_EMPTY, 0, 0, 0);		  /* EMPTY */
	call(g, SMC_RSI_REALM_CONFIG, 1ULL << RT_IPA_BITS, 0, 0, 0); /* outside the IPA space */
	call(g, SMC_RSI_REALM_CONFIG, ~0ULL & ~GRANULE_MASK, 0, 0, 0);
	call(g, SMC_RSI_REALM_CONFIG, ~0ULL, 0, 0, 0);
	/* Nothing was written: the page still holds its DATA pattern. */
	native_guest_read(g, CFG_IPA, gr.buf, sizeof(gr.buf));
	for (unsigned i = 0; i < GRANULE_SIZE; i++) {
		if (gr.buf[i] != rt_data_byte(3, i))
			gr.step = -1;
	}
	call(g, SMC_RSI_REALM_CONFIG, CFG_IPA, 0, 0, 0);
	native_guest_read(g, CFG_IPA, gr.buf, sizeof(gr.buf));
}

static void test_realm_config(void **state)
{
	struct rmi_realm_params p;
	struct rt_realm rr;
	struct rsi_realm_config cfg;
	const uint64_t pc = PC_MAIN, flags = RMI_REC_FLAG_RUNNABLE;
	uint8_t zero[sizeof(cfg.reserved1)] = {0};

	th_default_params(&p, 77);
	p.hash_algo = RMI_HASH_SHA_512;
	for (unsigned i = 0; i < sizeof(p.rpv); i++)
		p.rpv[i] = (uint8_t)(0x30 + i);
	rt_guest(PC_MAIN, guest_realm_config);
	rt_realm_build_ex(&rr, &p, 1, &pc, &flags, NULL, true);
	rt_run_to_end(&rr, 0);

	assert_int_equal(gr.n, 9);
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(gr.r[i].x[0], RSI_ERROR_INPUT);
	assert_int_equal(gr.step, 0);
	assert_int_equal(gr.r[8].x[0], RSI_SUCCESS);
	memcpy(&cfg, gr.buf, sizeof(cfg));
	assert_int_equal(cfg.ipa_width, RT_IPA_BITS);
	assert_int_equal(cfg.hash_algo, RSI_HASH_SHA_512);
	assert_memory_equal(cfg.rpv, p.rpv, sizeof(cfg.rpv));
	assert_memory_equal(cfg.reserved1, zero, sizeof(cfg.reserved1));
}

/* ---- IPA_STATE_GET --------------------------------------------------------- */

static void guest_ipa_state_get(struct native_guest *g, const uint64_t gprs[8])
{
	call(g, SMC_RSI_IPA_STATE_GET, 0, RT_IPA_TOP, 0, 0);		/* 0: RAM to 0x8000 */
	call(g, SMC_RSI_IPA_STATE_GET, RT_IPA_EMPTY, RT_IPA_TOP, 0, 0); /* 1: EMPTY to top */
	call(g, SMC_RSI_IPA_STATE_GET, 0x1000, 0x3000, 0, 0);		/* 2: RAM, capped */
	call(g, SMC_RSI_IPA_STATE_GET, 0x1008, 0x3000, 0, 0);		/* 3: unaligned base */
	call(g, SMC_RSI_IPA_STATE_GET, 0x1000, 0x2008, 0, 0);		/* 4: unaligned end */
	call(g, SMC_RSI_IPA_STATE_GET, 0x2000, 0x2000, 0, 0);		/* 5: empty range */
	call(g, SMC_RSI_IPA_STATE_GET, 0x3000, 0x2000, 0, 0);		/* 6: end < base */
	call(g, SMC_RSI_IPA_STATE_GET, 0, RT_UNPROT_BASE + GRANULE_SIZE, 0, 0); /* 7: past PAR */
	call(g, SMC_RSI_IPA_STATE_GET, RT_UNPROT_BASE, RT_UNPROT_BASE + GRANULE_SIZE, 0, 0); /* 8 */
	call(g, SMC_RSI_IPA_STATE_GET, ~0ULL, ~0ULL, 0, 0);				     /* 9 */
	call(g, SMC_RSI_IPA_STATE_GET, 0, ~0ULL & ~GRANULE_MASK, 0, 0); /* 10 */
}

static void test_ipa_state_get(void **state)
{
	struct rt_realm rr;

	rt_guest(PC_MAIN, guest_ipa_state_get);
	rt_realm_build(&rr, PC_MAIN);
	rt_run_to_end(&rr, 0);
	assert_int_equal(gr.n, 11);
	assert_int_equal(gr.r[0].x[0], RSI_SUCCESS);
	assert_int_equal(gr.r[0].x[1], RT_IPA_RAM_TOP);
	assert_int_equal(gr.r[0].x[2], RIPAS_RAM);
	assert_int_equal(gr.r[1].x[0], RSI_SUCCESS);
	assert_int_equal(gr.r[1].x[1], RT_IPA_TOP);
	assert_int_equal(gr.r[1].x[2], RIPAS_EMPTY);
	assert_int_equal(gr.r[2].x[0], RSI_SUCCESS);
	assert_int_equal(gr.r[2].x[1], 0x3000);
	assert_int_equal(gr.r[2].x[2], RIPAS_RAM);
	for (unsigned i = 3; i < 11; i++)
		assert_int_equal(gr.r[i].x[0], RSI_ERROR_INPUT);
}

/* ---- IPA_STATE_SET ------------------------------------------------------- */

static void guest_ipa_state_set_errors(struct native_guest *g, const uint64_t gprs[8])
{
	const uint64_t par = RT_UNPROT_BASE;

	call(g, SMC_RSI_IPA_STATE_SET, 0x4008, 0x6000, RIPAS_EMPTY, 0); /* unaligned base */
	call(g, SMC_RSI_IPA_STATE_SET, 0x4000, 0x6008, RIPAS_EMPTY, 0); /* unaligned top */
	call(g, SMC_RSI_IPA_STATE_SET, 0x4000, 0x4000, RIPAS_EMPTY, 0); /* base == top */
	call(g, SMC_RSI_IPA_STATE_SET, 0x6000, 0x4000, RIPAS_EMPTY, 0); /* top < base */
	call(g, SMC_RSI_IPA_STATE_SET, par - GRANULE_SIZE, par + GRANULE_SIZE, RIPAS_EMPTY, 0);
	call(g, SMC_RSI_IPA_STATE_SET, par, par + GRANULE_SIZE, RIPAS_EMPTY, 0);
	call(g, SMC_RSI_IPA_STATE_SET, 0x4000, 0x6000, RIPAS_DESTROYED, 0);
	call(g, SMC_RSI_IPA_STATE_SET, 0x4000, 0x6000, 3, 0);
	call(g, SMC_RSI_IPA_STATE_SET, 0x4000, 0x6000, ~0ULL, 0);
	call(g, SMC_RSI_IPA_STATE_SET, 0x4000, 0x6000, RIPAS_EMPTY, 2);
	call(g, SMC_RSI_IPA_STATE_SET, 0x4000, 0x6000, RIPAS_EMPTY, ~0ULL);
	call(g, SMC_RSI_IPA_STATE_SET, ~0ULL, ~0ULL, ~0ULL, ~0ULL);
	call(g, SMC_RSI_IPA_STATE_SET, 0, ~0ULL & ~GRANULE_MASK, RIPAS_RAM, 0);
}

static void test_ipa_state_set_errors(void **state)
{
	struct rt_realm rr;

	rt_guest(PC_MAIN, guest_ipa_state_set_errors);
	rt_realm_build(&rr, PC_MAIN);
	/* No RIPAS_CHANGE exit: every call is refused at once. */
	rt_run_to_end(&rr, 0);
	assert_int_equal(gr.n, 13);
	for (unsigned i = 0; i < gr.n; i++)
		assert_int_equal(gr.r[i].x[0], RSI_ERROR_INPUT);
}

static void guest_ipa_state_set(struct native_guest *g, const uint64_t gprs[8])
{
	/* 0: RAM [0x4000, 0x8000) -> EMPTY; the host accepts. */
	call(g, SMC_RSI_IPA_STATE_SET, 0x4000, 0x8000, RIPAS_EMPTY, 0);
	/* 1: state now. */
	call(g, SMC_RSI_IPA_STATE_GET, 0x4000, RT_IPA_TOP, 0, 0);
	/* 2: EMPTY [0x8000, 0xA000) -> RAM with CHANGE_DESTROYED; the host rejects. */
	call(g, SMC_RSI_IPA_STATE_SET, 0x8000, 0xA000, RIPAS_RAM, RSI_CHANGE_DESTROYED);
	/* 3: unchanged. */
	call(g, SMC_RSI_IPA_STATE_GET, 0x8000, 0xA000, 0, 0);
}

static void test_ipa_state_set_round_trip(void **state)
{
	struct rt_realm rr;
	struct rmi_rec_exit exit;
	struct smc_regs res;
	uint8_t zero[sizeof(exit.gprs)] = {0};

	rt_guest(PC_MAIN, guest_ipa_state_set);
	rt_realm_build(&rr, PC_MAIN);

	/* Accept: the host changes the whole range, then re-enters. */
	assert_int_equal(rt_enter(&rr, 0, 0, NULL, &exit), RMI_SUCCESS);
	assert_int_equal(exit.exit_reason, RMI_EXIT_RIPAS_CHANGE);
	assert_int_equal(exit.ripas_base, 0x4000);
	assert_int_equal(exit.ripas_top, 0x8000);
	assert_int_equal(exit.ripas_value, RIPAS_EMPTY);
	assert_memory_equal(exit.gprs, zero, sizeof(zero));
	assert_int_equal(exit.esr, 0);
	assert_int_equal(
		th_rmi(SMC_RMI_RTT_SET_RIPAS, rr.r.rd, rr.recs[0], 0x4000, 0x8000, 0, 0, &res),
		RMI_SUCCESS);
	assert_int_equal(res.x[1], 0x8000);

	/* Reject: the host answers RIPAS_RESPONSE without changing anything. */
	assert_int_equal(rt_enter(&rr, 0, 0, NULL, &exit), RMI_SUCCESS);
	assert_int_equal(exit.exit_reason, RMI_EXIT_RIPAS_CHANGE);
	assert_int_equal(exit.ripas_base, 0x8000);
	assert_int_equal(exit.ripas_top, 0xA000);
	assert_int_equal(exit.ripas_value, RIPAS_RAM);
	assert_int_equal(rt_enter(&rr, 0, REC_ENTER_FLAG_RIPAS_RESPONSE, NULL, &exit), RMI_SUCCESS);
	assert_true(rt_exit_is_guest_end(&exit));

	assert_int_equal(gr.n, 4);
	assert_int_equal(gr.r[0].x[0], RSI_SUCCESS);
	assert_int_equal(gr.r[0].x[1], 0x8000); /* new base: all of it */
	assert_int_equal(gr.r[0].x[2], RSI_ACCEPT);
	assert_int_equal(gr.r[1].x[0], RSI_SUCCESS);
	assert_int_equal(gr.r[1].x[1], RT_IPA_TOP);
	assert_int_equal(gr.r[1].x[2], RIPAS_EMPTY);
	assert_int_equal(gr.r[2].x[0], RSI_SUCCESS);
	assert_int_equal(gr.r[2].x[1], 0x8000); /* nothing done */
	assert_int_equal(gr.r[2].x[2], RSI_REJECT);
	assert_int_equal(gr.r[3].x[0], RSI_SUCCESS);
	assert_int_equal(gr.r[3].x[2], RIPAS_EMPTY);
}

/* ---- HOST_CALL ------------------------------------------------------------ */

static void guest_host_call(struct native_guest *g, const uint64_t gprs[8])
{
	struct rsi_host_call hc;

	/* Hostile addresses first. */
	call(g, SMC_RSI_HOST_CALL, HC_IPA + 8, 0, 0, 0);	      /* unaligned */
	call(g, SMC_RSI_HOST_CALL, HC_IPA + 0x80, 0, 0, 0);	      /* 128-byte aligned only */
	call(g, SMC_RSI_HOST_CALL, RT_UNPROT_BASE + HC_IPA, 0, 0, 0); /* unprotected */
	call(g, SMC_RSI_HOST_CALL, RT_IPA_RAM_UNASSIGNED, 0, 0, 0);   /* RAM, unassigned */
	call(g, SMC_RSI_HOST_CALL, RT_IPA_EMPTY + 0x100, 0, 0, 0);    /* EMPTY */
	call(g, SMC_RSI_HOST_CALL, ~0ULL, 0, 0, 0);
	call(g, SMC_RSI_HOST_CALL, ~0ULL & ~0xFFULL, 0, 0, 0);

	memset(&hc, 0, sizeof(hc));
	hc.imm = 0x4242;
	for (unsigned i = 0; i < RSI_HOST_CALL_NR_GPRS; i++)
		hc.gprs[i] = 0x1000 + i;
	native_guest_write(g, HC_IPA + 0x100, &hc, sizeof(hc));
	call(g, SMC_RSI_HOST_CALL, HC_IPA + 0x100, 0, 0, 0);
	native_guest_read(g, HC_IPA + 0x100, gr.buf, sizeof(hc));
}

static void test_host_call(void **state)
{
	struct rt_realm rr;
	struct rmi_rec_exit exit;
	uint64_t answer[RMI_REC_GPRS];
	struct rsi_host_call hc;
	uint64_t before = plat_counter_read(PLAT_CNT_RSI);

	rt_guest(PC_MAIN, guest_host_call);
	rt_realm_build(&rr, PC_MAIN);

	assert_int_equal(rt_enter(&rr, 0, 0, NULL, &exit), RMI_SUCCESS);
	assert_int_equal(exit.exit_reason, RMI_EXIT_HOST_CALL);
	assert_int_equal(exit.imm, 0x4242);
	for (unsigned i = 0; i < RMI_REC_GPRS; i++)
		assert_int_equal(exit.gprs[i], 0x1000 + i);
	assert_int_equal(exit.esr, 0);
	assert_int_equal(exit.far, 0);
	assert_int_equal(exit.hpfar, 0);
	/* Seven refused calls and the host call itself, each counted. */
	assert_int_equal(plat_counter_read(PLAT_CNT_RSI) - before, 8);

	for (unsigned i = 0; i < RMI_REC_GPRS; i++)
		answer[i] = 0x5000 + i * 3;
	assert_int_equal(rt_enter(&rr, 0, 0, answer, &exit), RMI_SUCCESS);
	assert_true(rt_exit_is_guest_end(&exit));

	assert_int_equal(gr.n, 8);
	for (unsigned i = 0; i < 7; i++)
		assert_int_equal(gr.r[i].x[0], RSI_ERROR_INPUT);
	assert_int_equal(gr.r[7].x[0], RSI_SUCCESS);
	memcpy(&hc, gr.buf, sizeof(hc));
	assert_int_equal(hc.imm, 0x4242); /* the host cannot change imm */
	for (unsigned i = 0; i < RSI_HOST_CALL_NR_GPRS; i++)
		assert_int_equal(hc.gprs[i], 0x5000 + i * 3);
}

/* The host-call page is destroyed while the call is pending: no write, a stage-2 abort exit. */
static void guest_host_call_simple(struct native_guest *g, const uint64_t gprs[8])
{
	call(g, SMC_RSI_HOST_CALL, HC_IPA, 0, 0, 0);
}

static void test_host_call_page_gone(void **state)
{
	struct rt_realm rr;
	struct rmi_rec_exit exit;
	struct smc_regs res;

	rt_guest(PC_MAIN, guest_host_call_simple);
	rt_realm_build(&rr, PC_MAIN);
	assert_int_equal(rt_enter(&rr, 0, 0, NULL, &exit), RMI_SUCCESS);
	assert_int_equal(exit.exit_reason, RMI_EXIT_HOST_CALL);

	assert_int_equal(th_rmi(SMC_RMI_DATA_DESTROY, rr.r.rd, HC_IPA, 0, 0, 0, 0, &res),
			 RMI_SUCCESS);
	assert_int_equal(rt_enter(&rr, 0, 0, NULL, &exit), RMI_SUCCESS);
	assert_int_equal(exit.exit_reason, RMI_EXIT_SYNC);
	assert_int_equal(ESR_EC(exit.esr), EC_DABT_LOW);
	assert_int_equal(exit.esr & ESR_ISS_ISV, 0);
	assert_int_equal(IPA_FROM_HPFAR(exit.hpfar), HC_IPA);
	assert_int_equal(gr.n, 0); /* the realm has not seen an answer */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_measurement, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsupported_and_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_realm_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipa_state_get, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipa_state_set_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipa_state_set_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_call, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_call_page_gone, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
