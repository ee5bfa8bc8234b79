/*
 * RSI_RB_ATTEST_INIT / _CONTINUE (docs/fasco-abi.md §4, issue 6): the
 * System Realm obtains the Container Realm's token, whatever the state of
 * the container REC's request (pending, taken, or the process ended: the
 * REC is locked, so not running). The token carries the CONTAINER realm's
 * RIM and the challenge the System Realm passed, verifies with the platform
 * key, and the calls are refused on a channel that is not the caller's and
 * with a bad buffer.
 */
#include "fasco_test_util.h"

#include "boot/tcb_measure.h"
#include "host/machine_keys.h"
#include "host/verify.h"
#include "monitor/attest.h"

static struct machine_attest_keys keys;

static struct {
	uint64_t chan;
	bool done;
	uint64_t st_pending, st_unbound, st_init, init_x1, st_unaligned, st_final, st_after;
	uint64_t st_take, st_rem;
	unsigned incomplete;
	uint8_t challenge[64];
	uint8_t token[4096];
	size_t len;
} at;

static uint64_t attest_init(struct native_guest *g, uint64_t chan, uint64_t *x1)
{
	struct smc_regs r;

	memset(&r, 0, sizeof(r));
	r.x[0] = SMC_RSI_RB_ATTEST_INIT;
	r.x[1] = chan;
	memcpy(&r.x[2], at.challenge, 64);
	native_guest_smc(g, &r);
	if (x1)
		*x1 = r.x[1];
	return r.x[0];
}

/* The System Realm: attest while the container's START is pending, then taken. */
static void serve_attest(struct native_guest *g)
{
	struct smc_regs o;

	if (at.done) {
		at.st_after = attest_init(g, at.chan, NULL);
		return;
	}
	at.st_pending = attest_init(g, at.chan, NULL);
	at.st_take = fx_sys_smc(g, SMC_RSI_RB_TAKE, at.chan, 0, 0, 0, 0, &o);
	at.st_unbound = attest_init(g, SYS_PAGE_IPA, NULL);
	at.st_init = attest_init(g, at.chan, &at.init_x1);
	at.st_unaligned = fx_sys_smc(g, SMC_RSI_RB_ATTEST_CONTINUE, at.chan, SYS_BUF_IPA + 8, 0,
				     GRANULE_SIZE, 0, NULL);
	for (unsigned i = 0; i < 16; i++) {
		uint64_t st = fx_sys_smc(g, SMC_RSI_RB_ATTEST_CONTINUE, at.chan, SYS_BUF_IPA, at.len,
					 GRANULE_SIZE - at.len, 0, &o);

		at.st_final = st;
		if (st != RSI_SUCCESS && st != RSI_INCOMPLETE)
			break;
		if (o.x[1] > GRANULE_SIZE - at.len)
			break;
		at.len += o.x[1];
		if (st == RSI_SUCCESS)
			break;
		at.incomplete++;
	}
	native_guest_read(g, SYS_BUF_IPA, at.token, at.len);
	/* REM[0] records execve's executables only: START is not one */
	at.st_rem = fx_sys_smc(g, SMC_RSI_RB_EXEC_MEASURE, at.chan, 1, 2, 3, 4, NULL);
	fx_sys_smc(g, SMC_RSI_RB_COMPLETE, at.chan, 7, RB_COMPLETE_EXIT, 0, 0, NULL);
	at.done = true;
}

static void test_key_bytes(uint8_t *d, uint8_t seed)
{
	for (unsigned i = 0; i < MACHINE_ATTEST_KEY_SIZE; i++)
		d[i] = (uint8_t)(seed * 29 + i * 5);
	d[0] = 0x3b;
}

static int setup(void **state)
{
	struct monitor_attest_config ac;

	memset(&at, 0, sizeof(at));
	for (unsigned i = 0; i < 64; i++)
		at.challenge[i] = (uint8_t)(0x90 + i);
	fx_setup(state);
	test_key_bytes(keys.platform_key, 3);
	test_key_bytes(keys.realm_key, 4);
	memset(&ac, 0, sizeof(ac));
	memcpy(ac.platform_key, keys.platform_key, sizeof(ac.platform_key));
	memcpy(ac.realm_key, keys.realm_key, sizeof(ac.realm_key));
	machine_tcb_claims(&ac, th_layout.dram_size);
	assert_int_equal(monitor_attest_provision(&ac), 0);
	return 0;
}

static int teardown(void **state)
{
	monitor_attest_forget();
	return fx_teardown(state);
}

static void test_container_token(void **state)
{
	struct fx_sys sys;
	struct fx_cont cont;
	struct rmi_rec_exit exit;
	struct verify_claims claims;
	struct verify_expect ex;
	struct rb_err err;
	char pem[1024];
	uint8_t ct_rim[64], sys_rim[64];
	uint64_t refusals0;

	rt_guest(CONT_PC, fx_guest_cont);
	fx_sys_build(&sys);
	fx_cont_build(&cont, &sys, CONT_PC, 0);
	at.chan = cont.chan_ipa;
	fx_q.fn = serve_attest;
	memcpy(ct_rim, rd_map(granule_find(cont.r.rd))->measurement[0], 64);
	memcpy(sys_rim, rd_map(granule_find(sys.r.rd))->measurement[0], 64);
	refusals0 = fx_counter(sys.r.rd, 1);

	/* START pending: the System Realm attests while serving it. */
	assert_int_equal(fx_cont_enter(&cont, &exit), RMI_SUCCESS);
	assert_true(fx_exit_is_bare_forward(&exit));
	fx_sys_run(&sys);
	assert_int_equal(at.st_pending, RSI_SUCCESS); /* pending, not taken: the REC is not running */
	assert_int_equal(at.st_take, RSI_SUCCESS);
	assert_int_equal(at.st_unbound, RSI_ERROR_INPUT); /* not a channel of this realm */
	assert_int_equal(at.st_init, RSI_SUCCESS);
	assert_int_equal(at.init_x1, GRANULE_SIZE);
	assert_int_equal(at.st_unaligned, RSI_ERROR_INPUT);
	assert_int_equal(at.st_final, RSI_SUCCESS);
	assert_true(at.incomplete >= 2); /* claims, then the signature: one step each */
	assert_true(at.len > 900 && at.len < GRANULE_SIZE);
	/* the refusals are counted in the System Realm (unbound, REM) */
	assert_int_equal(at.st_rem, RSI_ERROR_INPUT);
	assert_int_equal(fx_counter(sys.r.rd, 1) - refusals0, 2);
	{
		static const uint8_t zero[64];

		assert_memory_equal(rd_map(granule_find(cont.r.rd))->measurement[1], zero, 64);
	}

	/* The container's process is done: its REC still carries the realm's token (realmbox attest). */
	assert_int_equal(fx_cont_enter(&cont, &exit), RMI_SUCCESS);
	assert_int_equal(exit.exit_reason, RMI_EXIT_RB_EXITED);
	fx_sys_run(&sys);
	assert_int_equal(at.st_after, RSI_SUCCESS);

	/* The token: the container's RIM and challenge, signed by this machine. */
	memset(&err, 0, sizeof(err));
	assert_int_equal(host_machine_pubkey_pem(&keys, pem, sizeof(pem), &err), 0);
	memset(&ex, 0, sizeof(ex));
	ex.challenge = at.challenge;
	ex.challenge_len = 64;
	ex.rim = ct_rim;
	ex.rim_len = 32;
	assert_int_equal(host_verify_token(at.token, at.len, pem, &ex, &claims, &err), 0);
	assert_int_equal(claims.rim.len, 32);
	assert_memory_equal(claims.rim.b, ct_rim, 32);
	assert_memory_not_equal(claims.rim.b, sys_rim, 32);
	ex.rim = sys_rim; /* not the System Realm's token */
	assert_int_not_equal(host_verify_token(at.token, at.len, pem, &ex, &claims, &err), 0);

	fx_cont_teardown(&cont, &sys);
	fx_inv_ok();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_container_token, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
