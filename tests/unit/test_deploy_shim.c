/*
 * The shim deployment end to end (deploy/shim.c, libos/pal_shim.c, the
 * mini-OS): a real arm64 program (tests/guest/hello, built by `make cpu`)
 * as a con-shim task whose system calls the library OS serves as the
 * deprivileged OS through rc_* calls — its output and exit status, the
 * GPT switches and EL3 round trips it cost on both paths (the artifact's
 * and the default), and every granule and GPT given back after many runs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/guest_rootfs.h"
#include "deploy/deploy.h"
#include "arch/rcontainer.h"
#include "deploy/shim.h"
#include "monitor/rc_gpt.h"
#include "host/manifest.h"

static struct guest_rootfs G;

static int setup(void **state)
{
	if (guest_rootfs_make(&G, "/tmp/rb-test-shim-XXXXXX", "hello"))
		return -1;
	/* a small deprivileged OS: the tests start many */
	setenv("REALMBOX_SHIM_OS_MB", "32", 0);
	setenv("REALMBOX_LOG", "error", 0);
	return 0;
}

static int teardown(void **state)
{
	return guest_rootfs_remove(&G);
}

static char *args[] = {"/hello", NULL};
static char *env[] = {"PATH=/", NULL};

static void config(struct rb_config *c)
{
	memset(c, 0, sizeof(*c));
	c->id = "t";
	c->bundle = G.root;
	c->rootfs = G.rootfs;
	c->args = args;
	c->env = env;
	c->cwd = "/";
	c->umask = 022;
	c->isolation = RB_ISOLATION_SHIM;
}

/* Run (baseline: the artifact's path) with stdout and stderr captured into out/err. */
static int run(const struct rb_manifest *mf, bool baseline, struct rb_result *res,
	       struct shim_counts *cnt, char *out, size_t outlen, char *err, size_t errlen)
{
	struct rb_config c;
	struct guest_output go;
	char ebuf[256];
	int r;

	config(&c);
	guest_output_open(&go);
	setenv("REALMBOX_SHIM_BASELINE", baseline ? "1" : "0", 1);
	r = shim_run(&c, mf, -1, fileno(go.out), fileno(go.err), res, cnt, ebuf, sizeof(ebuf));
	unsetenv("REALMBOX_SHIM_BASELINE");
	if (r)
		print_message("shim_run: %d %s\n", r, ebuf);
	guest_output_close(&go, out, outlen, err, errlen);
	return r;
}

static void test_hello_behind_the_minios(void **state)
{
	struct rb_manifest mf;
	struct rb_err err;
	struct rb_result res, base;
	struct shim_counts cnt, bcnt;
	char out[256], errout[1024];
	unsigned long f = 12586269025UL;

	if (!G.have_guest)
		skip();
	assert_int_equal(host_manifest_build(G.rootfs, &mf, &err), 0);
	assert_int_equal(run(&mf, false, &res, &cnt, out, sizeof(out), errout, sizeof(errout)), 0);
	assert_string_equal(out, "hello from arm64\n");
	/* the probe is unknown to the library OS: -ENOSYS, as under Linux */
	assert_int_equal(res.exit_status, (int)((f - 38) & 0x7f));
	assert_int_equal(res.syscalls, 3);
	assert_int_equal(res.syscalls_enosys, 1);
	assert_int_equal(cnt.traps_svc, 3);
	/* every trap and every rc_* call entered the mini-OS, switching GPTs in and out */
	assert_true(res.rc_calls >= cnt.runs);
	assert_true(res.gpt_switches >= 2 * res.rc_calls);
	assert_true(res.tlbis >= res.gpt_switches);
	assert_true(cnt.donated > 0);
	assert_int_equal(cnt.granules_after, cnt.granules_before);
	assert_int_equal(cnt.gpts_after, cnt.gpts_before);

	/*
	 * The artifact's path, same work: each trap also enters the mini-OS
	 * (rc_switch_to_depriv: shim -> Priv -> OS, one more GPT switch), and
	 * every mini-OS entry ends with its own SET_GPTBR (one more EL3 round
	 * trip each).
	 */
	assert_int_equal(run(&mf, true, &base, &bcnt, out, sizeof(out), errout, sizeof(errout)), 0);
	assert_string_equal(out, "hello from arm64\n");
	assert_int_equal(bcnt.baseline, 1);
	assert_int_equal(bcnt.runs, cnt.runs);
	assert_int_equal(base.rc_calls, res.rc_calls + cnt.runs);
	assert_int_equal(base.gpt_switches, res.gpt_switches + cnt.runs);
	assert_int_equal(base.rc_el3 - res.rc_el3, res.rc_calls + cnt.runs);
	assert_int_equal(bcnt.granules_after, bcnt.granules_before);
	host_manifest_free(&mf);
}

static void test_many_runs_leak_nothing(void **state)
{
	struct rb_manifest mf;
	struct rb_err err;
	struct rb_result res;
	struct shim_counts cnt;
	char out[256], errout[1024];
	uint64_t start = 0, gpts = 0;
	unsigned n = getenv("RB_SHIM_RUNS") ? (unsigned)atoi(getenv("RB_SHIM_RUNS")) : 10;

	if (!G.have_guest)
		skip();
	assert_int_equal(host_manifest_build(G.rootfs, &mf, &err), 0);
	for (unsigned i = 0; i <= n; i++) {
		assert_int_equal(run(&mf, i % 2, &res, &cnt, out, sizeof(out), errout, sizeof(errout)),
				 0);
		assert_string_equal(out, "hello from arm64\n");
		if (i == 0) {
			start = cnt.granules_after;
			gpts = cnt.gpts_after;
		}
		/* every granule back with the host, the shim-GPT back in EL3's pool */
		assert_int_equal(cnt.granules_before, start);
		assert_int_equal(cnt.granules_after, start);
		assert_int_equal(cnt.gpts_after, gpts);
	}
	host_manifest_free(&mf);
}

/* After a run the mini-OS stays registered: the OS cannot use the con-shim's way out. */
static void test_os_cannot_take_the_shim_exit(void **state)
{
	struct rb_manifest mf;
	struct rb_err err;
	struct rb_result res;
	struct shim_counts cnt;
	struct monitor_rc_stats ms;
	struct smc_regs r;
	char out[256], errout[1024];

	if (!G.have_guest)
		skip();
	assert_int_equal(host_manifest_build(G.rootfs, &mf, &err), 0);
	assert_int_equal(run(&mf, false, &res, &cnt, out, sizeof(out), errout, sizeof(errout)), 0);
	monitor_rc_get_stats(&ms);
	assert_int_equal(ms.current, RC_GPT_OS);
	/* SHIM_EXIT only from a shim-GPT; the privileged calls only under the Priv-GPT */
	assert_int_equal(plat_smc6(PAS_NS, SMC_RC_SHIM_EXIT, 0, 0, 0, 0, 0, 0, &r), SMC_UNKNOWN);
	assert_int_equal(plat_smc6(PAS_NS, SMC_RC_SET_GPTBR, RC_GPT_PRIV, 0, 0, 0, 0, 0, &r),
			 SMC_UNKNOWN);
	/* every register of a task that no longer exists: refused */
	assert_int_equal(plat_smc6(PAS_NS, SMC_RC_ENTER, RC_FN_TASK_REGS, 0x10001, 0, RC_REGS_GET,
				   0, 0, &r),
			 RC_ERROR_STATE);
	monitor_rc_get_stats(&ms);
	assert_int_equal(ms.current, RC_GPT_OS);
	host_manifest_free(&mf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hello_behind_the_minios),
		cmocka_unit_test(test_many_runs_leak_nothing),
		cmocka_unit_test(test_os_cannot_take_the_shim_exit),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
