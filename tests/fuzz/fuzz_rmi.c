/*
 * Fuzz target: the RMI dispatcher and, through REC_ENTER of native guests,
 * RSI and PSCI. It is the random RMI sequence of tests/unit/test_random_rmi.c
 * and tests/unit/random_rmi/ (its host model, argument generators biased
 * toward valid granules and IPAs, multi-step plans, guest, and oracles),
 * compiled into this file unchanged, with the fuzzer's bytes in place of its
 * PRNG: after every step (inv_check runs after every call) the next 8 input
 * bytes become the PRNG state for the following step, so each step's
 * command, arguments and plan decisions come from the input. The sequence
 * ends when the input does; then every realm is torn down through RMI and
 * every granule must be NS again. A violated invariant, a model mismatch or
 * a failed teardown aborts (cmocka failures abort with CMOCKA_TEST_ABORT=1),
 * so libFuzzer saves the input. One machine (64 MiB) is booted per input.
 *
 * Its per-call watchdog (alarm, SIGALRM) is left to libFuzzer's -timeout,
 * which saves the input of a call that never returns.
 */
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/harness.h"
#include "common/invariants.h"

static int fz_inv_check(char *why, size_t len);
#define inv_check fz_inv_check
#define main random_rmi_main
#define alarm(s) ((void)(s), 0u)
#define signal(sig, handler) ((void)(sig), (void)(handler), SIG_DFL)
#include "../unit/random_rmi/args.c"
#include "../unit/random_rmi/exec.c"
#include "../unit/random_rmi/guest.c"
#include "../unit/random_rmi/model.c"
#include "../unit/random_rmi/plans.c"
#include "../unit/test_random_rmi.c"
#undef inv_check
#undef main
#undef alarm
#undef signal

static const uint8_t *in;
static size_t in_left;

/* The invariant check after every step, then the next step's PRNG state from the input. */
static int fz_inv_check(char *why, size_t len)
{
	int r = inv_check(why, len);
	uint64_t v = 0;

	if (in_left == 0) {
		rr_model.step = UINT64_MAX / 2; /* input used up: the sequence ends, tear down */
		return r;
	}
	for (unsigned i = 0; i < 8 && in_left; i++, in_left--)
		v |= (uint64_t)*in++ << (8 * i);
	rr_rng_state = v;
	return r;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	setenv("CMOCKA_TEST_ABORT", "1", 1);
	setenv("RB_RMI_STEPS", "1000000000", 0);
	setenv("REALMBOX_LOG", "error", 0);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* at most 256 steps an input: deep enough for plans, short enough to stay fast */
	in = data;
	in_left = size < 8 * 256 ? size : 8 * 256;
	setenv("RB_RMI_SEED", "0", 1); /* the first step's state; the rest come from the input */
	test_random_rmi(NULL);
	return 0;
}
