/*
 * The shim deployment end to end (deploy/shim.c, libos/pal_shim.c, the
 * mini-OS): a real arm64 program (tests/guest/hello, built by `make cpu`)
 * as a con-shim task whose system calls the library OS serves as the
 * deprivileged OS through rc_* calls — its output and exit status, the
 * GPT switches and EL3 round trips it cost on both paths (the artifact's
 * and the default), and every granule and GPT given back after many runs;
 * the runtime's requests from another thread while a container runs (ps,
 * stats, exec, its status and signals), served by the OS's thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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
	/*
	 * Not setenv: the machine's threads (a vCPU pool building a JIT, whose
	 * perf map support calls getenv) may run, and glibc's setenv races
	 * with getenv (a crash in getenv, once in about 35 runs under ASan).
	 */
	shim_select_path(baseline);
	r = shim_run(&c, mf, -1, fileno(go.out), fileno(go.err), res, cnt, ebuf, sizeof(ebuf));
	shim_select_path(-1);
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

/* A container running /svcloop (getpid forever) on its own thread, as the monitor runs one. */
struct bg_run {
	struct rb_config cfg;
	const struct rb_manifest *mf;
	struct rb_result res;
	struct shim_counts cnt;
	char ebuf[256];
	int rc, out;
};

static void *bg_main(void *arg)
{
	struct bg_run *b = arg;

	b->rc = shim_run(&b->cfg, b->mf, -1, b->out, b->out, &b->res, &b->cnt, b->ebuf,
			 sizeof(b->ebuf));
	return NULL;
}

static void copy_guest(const char *from_rootfs, const char *to_rootfs, const char *name)
{
	char a[512], b[512], buf[65536];
	size_t n;
	FILE *f, *t;

	snprintf(a, sizeof(a), "%s/%s", from_rootfs, name);
	snprintf(b, sizeof(b), "%s/%s", to_rootfs, name);
	f = fopen(a, "rb");
	t = fopen(b, "wb");
	assert_non_null(f);
	assert_non_null(t);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		assert_int_equal(fwrite(buf, 1, n, t), n);
	fclose(f);
	fclose(t);
	assert_int_equal(chmod(b, 0755), 0);
}

/*
 * ps, stats and exec from another thread while a shim container runs: each
 * a request the deprivileged OS's thread serves between calls; -ESRCH for
 * another id and once the container has ended.
 */
static void test_outside_requests(void **state)
{
	static char *loop_args[] = {"/svcloop", NULL};
	static char *hello_args[] = {"/hello", NULL};
	static char *nosuch_args[] = {"/nosuch", NULL};
	struct guest_rootfs g2;
	struct rb_manifest mf;
	struct rb_err err;
	struct rb_proc_info ps[8];
	struct rb_live_stats s1, s2;
	struct bg_run b;
	pthread_t th;
	char ebuf[256], out[64] = "";
	int n = -ESRCH, pid, st = -1, p[2], nul;
	unsigned long f = 12586269025UL;

	if (!G.have_guest)
		skip();
	assert_int_equal(guest_rootfs_make(&g2, "/tmp/rb-test-shimx-XXXXXX", "svcloop"), 0);
	if (!g2.have_guest) {
		guest_rootfs_remove(&g2);
		skip();
	}
	copy_guest(G.rootfs, g2.rootfs, "hello");
	assert_int_equal(host_manifest_build(g2.rootfs, &mf, &err), 0);
	memset(&b, 0, sizeof(b));
	config(&b.cfg);
	b.cfg.id = "t-outside";
	b.cfg.bundle = g2.root;
	b.cfg.rootfs = g2.rootfs;
	b.cfg.args = loop_args;
	b.mf = &mf;
	b.out = open("/dev/null", O_WRONLY);
	nul = open("/dev/null", O_RDONLY);
	assert_true(b.out >= 0 && nul >= 0);
	assert_int_equal(pthread_create(&th, NULL, bg_main, &b), 0);

	/* ps: init only, once it runs */
	for (int i = 0; i < 500 && n == -ESRCH; i++) {
		n = shim_ps("t-outside", ps, 8);
		if (n == -ESRCH)
			usleep(10000);
	}
	assert_int_equal(n, 1);
	assert_int_equal(ps[0].pid, 1);
	assert_int_equal(ps[0].ppid, 0);
	assert_string_equal(ps[0].comm, "svcloop");
	assert_int_equal(shim_ps("another", ps, 8), -ESRCH);
	/* no terminal (process.terminal false): nothing to resize */
	assert_int_equal(shim_winsize("t-outside", 40, 120), -ENOTTY);
	assert_int_equal(shim_winsize("another", 40, 120), -ESRCH);

	/* stats: the counters grow while init makes system calls */
	assert_int_equal(shim_stats("t-outside", &s1), 0);
	usleep(50000);
	assert_int_equal(shim_stats("t-outside", &s2), 0);
	assert_true(s1.has_shim);
	assert_int_equal(s1.pids, 1);
	assert_true(s1.mem_bytes > 0);
	assert_true(s2.syscalls > s1.syscalls);
	assert_true(s1.forwarded >= s1.syscalls);
	assert_true(s2.rc_el3 > s1.rc_el3);
	assert_true(s2.gpt_switches > s1.gpt_switches);
	assert_true(s2.rc_calls > s1.rc_calls);

	/* exec: its own stdout, its status */
	assert_int_equal(pipe(p), 0);
	struct rb_exec_req xr = {.args = hello_args, .env = env, .cwd = "/",
				 .fds = {nul, p[1], p[1]}};
	pid = shim_exec("t-outside", &xr, ebuf, sizeof(ebuf));
	assert_true(pid > 1);
	assert_int_equal(shim_exec_wait("t-outside", pid, 20000, &st), 0);
	assert_int_equal(st, (int)((f - 38) & 0x7f));
	close(p[1]);
	assert_int_equal(read(p[0], out, sizeof(out) - 1), 17);
	assert_string_equal(out, "hello from arm64\n");
	close(p[0]);
	/* reported once */
	assert_int_equal(shim_exec_wait("t-outside", pid, 100, &st), -ESRCH);

	/* a program that is not there: the library OS's reason */
	xr.args = nosuch_args;
	xr.fds[1] = xr.fds[2] = b.out;
	assert_int_equal(shim_exec("t-outside", &xr, ebuf, sizeof(ebuf)), -ENOENT);
	assert_non_null(strstr(ebuf, "no such file"));

	/* a second looping process: a signal ends it, its status says so; init runs on */
	xr.args = loop_args;
	pid = shim_exec("t-outside", &xr, ebuf, sizeof(ebuf));
	assert_true(pid > 1);
	assert_int_equal(shim_exec_wait("t-outside", pid, 50, &st), -ETIMEDOUT);
	assert_int_equal(shim_ps("t-outside", ps, 8), 2);
	assert_int_equal(shim_exec_kill("t-outside", pid, SIGKILL), 0);
	assert_int_equal(shim_exec_wait("t-outside", pid, 20000, &st), 0);
	assert_int_equal(st, 128 + SIGKILL);
	assert_int_equal(shim_exec_kill("t-outside", 1, SIGKILL), -EINVAL); /* init: deploy_kill's */

	/* the end: every request answers -ESRCH */
	assert_int_equal(shim_kill("t-outside", SIGKILL), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(b.rc, 0);
	assert_int_equal(b.res.exit_status, 128 + SIGKILL);
	assert_int_equal(b.cnt.granules_after, b.cnt.granules_before);
	assert_int_equal(shim_ps("t-outside", ps, 8), -ESRCH);
	assert_int_equal(shim_stats("t-outside", &s1), -ESRCH);
	assert_int_equal(shim_winsize("t-outside", 40, 120), -ESRCH);
	xr.args = hello_args;
	assert_int_equal(shim_exec("t-outside", &xr, ebuf, sizeof(ebuf)), -ESRCH);
	close(b.out);
	close(nul);
	host_manifest_free(&mf);
	guest_rootfs_remove(&g2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hello_behind_the_minios),
		cmocka_unit_test(test_many_runs_leak_nothing),
		cmocka_unit_test(test_os_cannot_take_the_shim_exit),
		cmocka_unit_test(test_outside_requests),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
