/*
 * Helpers shared by the REC_ENTER / RSI / PSCI tests: build an ACTIVE realm
 * whose RECs run native test guests, enter a REC as the host does, and make
 * calls from inside a guest. Header-only (static inline) so that each test
 * binary takes what it uses.
 *
 * The realm's IPA layout (s2sz 40, protected below 2^39):
 *   [0x0000, 0x4000)   RIPAS RAM, ASSIGNED (DATA, content pattern)
 *   [0x4000, 0x8000)   RIPAS RAM, UNASSIGNED
 *   [0x8000, 0x10000)  RIPAS EMPTY, UNASSIGNED
 *   2^39 + ...         unprotected, nothing mapped (MMIO)
 */
#ifndef TESTS_REC_TEST_UTIL_H
#define TESTS_REC_TEST_UTIL_H

#include "common/harness.h"

#include <string.h>

#include "arch/esr.h"
#include "arch/smc.h"
#include "host/host.h"
#include "plat/emu/native_guest.h"
#include "plat/plat.h"
#include "rmm/granule.h"
#include "rmm/rec.h"

#define RT_IPA_DATA 0x0ULL
#define RT_DATA_PAGES 4
#define RT_IPA_RAM_UNASSIGNED 0x4000ULL
#define RT_IPA_RAM_TOP 0x8000ULL
#define RT_IPA_EMPTY 0x8000ULL
#define RT_IPA_TOP 0x10000ULL
#define RT_IPA_BITS 40
#define RT_UNPROT_BASE (1ULL << (RT_IPA_BITS - 1))
#define RT_MAX_RECS 4

struct rt_realm {
	struct th_realm r;
	uint64_t recs[RT_MAX_RECS];
	uint64_t data[RT_DATA_PAGES];
	unsigned nrecs;
	uint64_t run; /* NS run granule */
};

/* Every REC built since the last rt_cleanup (its PE is freed by REC_DESTROY). */
static uint64_t rt_all_recs[4 * RT_MAX_RECS];
static unsigned rt_nall_recs;

/*
 * Destroy every REC the helpers built (ignoring those already gone), so that
 * their PEs are freed before the machine shuts down. Call from teardown.
 */
static inline void rt_cleanup(void)
{
	for (unsigned i = 0; i < rt_nall_recs; i++)
		(void)th_rmi(SMC_RMI_REC_DESTROY, rt_all_recs[i], 0, 0, 0, 0, 0, NULL);
	rt_nall_recs = 0;
}

/* Byte pattern of DATA page i (so a guest can check what it reads). */
static inline uint8_t rt_data_byte(unsigned page, unsigned off)
{
	return (uint8_t)(0xA0 + page * 7 + off);
}

/* Register fn at pc (replacing whatever an earlier, failed test left there). */
static inline void rt_guest(uint64_t pc, native_guest_fn fn)
{
	plat_native_guest_unregister(pc);
	assert_int_equal(plat_native_guest_register(pc, fn), 0);
}

/*
 * Build the realm above with nrecs RECs (REC i: mpidr i, pc pcs[i], flags
 * rec_flags[i], gprs gprs (may be NULL)); ACTIVATE it if activate.
 */
static inline void rt_realm_build_ex(struct rt_realm *rr, const struct rmi_realm_params *params,
				     unsigned nrecs, const uint64_t *pcs, const uint64_t *rec_flags,
				     const uint64_t *gprs, bool activate)
{
	struct smc_regs res;
	uint8_t page[GRANULE_SIZE];

	memset(rr, 0, sizeof(*rr));
	assert_true(nrecs <= RT_MAX_RECS);
	assert_int_equal(th_realm_create(&rr->r, params), RMI_SUCCESS);
	th_rtt_create_path(&rr->r, 0, RTT_PAGE_LEVEL);
	assert_int_equal(th_rmi(SMC_RMI_RTT_INIT_RIPAS, rr->r.rd, 0, RT_IPA_RAM_TOP, 0, 0, 0, &res),
			 RMI_SUCCESS);
	assert_int_equal(res.x[1], RT_IPA_RAM_TOP);
	for (unsigned i = 0; i < RT_DATA_PAGES; i++) {
		for (unsigned off = 0; off < GRANULE_SIZE; off++)
			page[off] = rt_data_byte(i, off);
		assert_int_equal(th_data_create(&rr->r, RT_IPA_DATA + i * GRANULE_SIZE, page,
						RMI_MEASURE_CONTENT, &rr->data[i]),
				 RMI_SUCCESS);
	}
	for (unsigned i = 0; i < nrecs; i++) {
		assert_int_equal(th_rec_create(&rr->r, i, pcs[i], gprs, rec_flags[i], &rr->recs[i]),
				 RMI_SUCCESS);
		assert_true(rt_nall_recs < ARRAY_SIZE(rt_all_recs));
		rt_all_recs[rt_nall_recs++] = rr->recs[i];
	}
	rr->nrecs = nrecs;
	if (activate)
		assert_int_equal(th_rmi(SMC_RMI_REALM_ACTIVATE, rr->r.rd, 0, 0, 0, 0, 0, NULL),
				 RMI_SUCCESS);
	rr->run = th_ns_granule();
}

/* One RUNNABLE REC running the guest at pc; ACTIVE realm. */
static inline void rt_realm_build(struct rt_realm *rr, uint64_t pc)
{
	const uint64_t flags = RMI_REC_FLAG_RUNNABLE;

	rt_realm_build_ex(rr, NULL, 1, &pc, &flags, NULL, true);
}

/*
 * REC_ENTER of recs[i] with enter.flags/gprs (gprs may be NULL = zeros);
 * returns X0, *exit (may be NULL) receives the exit half of the run granule.
 */
static inline uint64_t rt_enter(const struct rt_realm *rr, unsigned i, uint64_t flags,
				const uint64_t *gprs, struct rmi_rec_exit *exit)
{
	struct rmi_rec_enter enter;
	uint64_t ret;

	memset(&enter, 0, sizeof(enter));
	enter.flags = flags;
	if (gprs)
		memcpy(enter.gprs, gprs, sizeof(enter.gprs));
	assert_int_equal(host_mem_write(rr->run, &enter, sizeof(enter)), 0);
	ret = th_rmi(SMC_RMI_REC_ENTER, rr->recs[i], rr->run, 0, 0, 0, 0, NULL);
	if (exit)
		assert_int_equal(host_mem_read(rr->run + offsetof(struct rmi_rec_run, exit), exit,
					       sizeof(*exit)),
				 0);
	return ret;
}

/* True if the exit is what a native guest that returned from its function gives. */
static inline bool rt_exit_is_guest_end(const struct rmi_rec_exit *exit)
{
	return exit->exit_reason == RMI_EXIT_SYNC && ESR_EC(exit->esr) == EC_UNKNOWN;
}

/* Enter until the guest returns from its function (no other exit allowed). */
static inline void rt_run_to_end(const struct rt_realm *rr, unsigned i)
{
	struct rmi_rec_exit exit;

	assert_int_equal(rt_enter(rr, i, 0, NULL, &exit), RMI_SUCCESS);
	assert_int_equal(exit.exit_reason, RMI_EXIT_SYNC);
	assert_int_equal(ESR_EC(exit.esr), EC_UNKNOWN);
}

/* Inside a guest: SMC with up to 10 arguments; returns x0, *out gets x0..x10. */
static inline uint64_t rt_smc(struct native_guest *g, uint64_t fid, uint64_t a1, uint64_t a2,
			      uint64_t a3, uint64_t a4, struct smc_regs *out)
{
	struct smc_regs regs;

	memset(&regs, 0, sizeof(regs));
	regs.x[0] = fid;
	regs.x[1] = a1;
	regs.x[2] = a2;
	regs.x[3] = a3;
	regs.x[4] = a4;
	native_guest_smc(g, &regs);
	if (out)
		*out = regs;
	return regs.x[0];
}

/* The REC structure behind a REC granule (RMM internals, for tests only). */
static inline struct rec *rt_rec(uint64_t rec_pa)
{
	return rec_map(granule_find(rec_pa));
}

#endif /* TESTS_REC_TEST_UTIL_H */
