/*
 * cmocka fixtures shared by the RMM tests: one machine per test file with
 * the invariant checker run after every test, and probes of a granule's
 * RMM state and contents.
 */
#ifndef TESTS_FIXTURES_H
#define TESTS_FIXTURES_H

#include "common/harness.h"

/* Fail the current test unless the trusted-core invariants hold. */
void fx_inv_assert(void);

/*
 * Group setup/teardown: boot one machine for the whole file (the invariant
 * checker keeps mappings of the GPT between checks) / shut it down. Every
 * test must leave the machine as it found it.
 */
int fx_group_setup(void **state);
int fx_group_teardown(void **state);
/* Per-test teardown: non-zero (the test fails) if the invariants broke. */
int fx_teardown_inv(void **state);

/* RMM granule state of pa (asserts pa is a DRAM granule). */
int fx_granule_state(uint64_t pa);
/* Is the granule at pa all zeros, read through the Realm PAS? */
bool fx_realm_granule_zero(uint64_t pa);

#endif /* TESTS_FIXTURES_H */
