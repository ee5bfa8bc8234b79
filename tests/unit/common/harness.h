/*
 * Test harness shared by the unit tests: boot a machine, act as the host
 * (NS granules, RMI calls), and build realms step by step. Assertions use
 * cmocka, so these helpers may only be called from inside a cmocka test.
 */
#ifndef TESTS_HARNESS_H
#define TESTS_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "arch/rmi.h"
#include "arch/rsi.h"
#include "boot/machine.h"
#include "host/host.h"

/* Machine size the tests use unless they ask otherwise (small = quick). */
#define TH_DRAM_SIZE (256ULL << 20)

extern struct machine_layout th_layout;

/* Boot a fresh machine of dram_size bytes (0 = TH_DRAM_SIZE) and host memory. */
void th_boot(uint64_t dram_size);
void th_shutdown(void);
/* cmocka setup/teardown wrappers around th_boot/th_shutdown. */
int th_setup(void **state);
int th_teardown(void **state);

/* RMI call; returns X0. res may be NULL. */
uint64_t th_rmi(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5,
		uint64_t a6, struct smc_regs *res);

/* An NS granule (zeroed) / one already delegated (asserts success). */
uint64_t th_ns_granule(void);
uint64_t th_delegated_granule(void);
/* n contiguous delegated granules aligned to n granules. */
uint64_t th_delegated_granules(unsigned n);

/* A realm under construction. */
struct th_realm {
	uint64_t rd;
	uint64_t rtt_base;
	unsigned rtt_num_start;
	int rtt_level_start;
	unsigned ipa_bits;
	uint64_t params_pa; /* NS granule holding the params used */
	uint64_t vmid;
};

/* Default params: s2sz 40, start level 1, 2 root RTTs, SHA-256, given vmid. */
void th_default_params(struct rmi_realm_params *p, unsigned vmid);

/*
 * Delegate RD and root RTTs, write params (p, or defaults with a fresh
 * VMID when NULL; rtt_base is filled in) to an NS granule and call
 * REALM_CREATE. Returns the RMI status; on success *r describes the realm.
 */
uint64_t th_realm_create(struct th_realm *r, const struct rmi_realm_params *p);

/* RTT_CREATE every missing table down to `level` for ipa (asserts success). */
void th_rtt_create_path(const struct th_realm *r, uint64_t ipa, long level);

/*
 * DATA_CREATE of one granule at ipa holding `content` (4 KiB, NULL =
 * zeros) with flags (RMI_MEASURE_CONTENT or 0); creates RTTs as needed.
 * Returns the RMI status; *data_pa receives the DATA granule.
 */
uint64_t th_data_create(const struct th_realm *r, uint64_t ipa, const void *content,
			uint64_t flags, uint64_t *data_pa);

/*
 * REC_CREATE with pc and gprs (8 values, NULL = zeros), flags (RUNNABLE or 0)
 * and a fresh mpidr index; delegates the REC and aux granules.
 * Returns the RMI status; *rec_pa receives the REC granule.
 */
uint64_t th_rec_create(const struct th_realm *r, uint64_t mpidr, uint64_t pc, const uint64_t *gprs,
		       uint64_t flags, uint64_t *rec_pa);

/* Tear down everything of the realm the harness knows how to find: RECs
 * passed in, DATA by walking [0, top), RTTs, the RD; undelegates them.
 * Asserts each step succeeds. */
void th_realm_destroy_all(const struct th_realm *r, const uint64_t *recs, unsigned nrecs,
			  uint64_t ipa_top);

/* The RIM (measurement slot 0) as RSI would return it is internal; tests
 * that need it read the RD through rmm internals. */

#endif /* TESTS_HARNESS_H */
