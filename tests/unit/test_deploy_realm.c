/*
 * The realm deployment end to end (deploy/realm.c, deploy/realm_sys.c,
 * libos/pal_realm.c): a real arm64 program (tests/guest/hello, built by
 * `make cpu`) in a Container Realm whose system calls the System Realm's
 * library OS serves through the RMM — its output, its exit status, what
 * the host saw (forwards only), every granule given back after many runs,
 * and a host that lies about the rootfs manifest being refused.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "deploy/deploy.h"
#include "deploy/realm_host.h"
#include "host/manifest.h"
#include "common/guest_rootfs.h"

static struct guest_rootfs gr;

static int setup(void **state)
{
	if (guest_rootfs_make(&gr, "/tmp/rb-test-realm-XXXXXX", "hello"))
		return -1;
	/* small realms: the tests build many */
	setenv("REALMBOX_REALM_SYS_MB", "16", 0);
	setenv("REALMBOX_REALM_POOL_MB", "4", 0);
	setenv("REALMBOX_REALM_POOL_MAX_MB", "32", 0);
	setenv("REALMBOX_REALM_RECS", "4", 0);
	setenv("REALMBOX_LOG", "error", 0);
	return 0;
}

static int teardown(void **state)
{
	return guest_rootfs_remove(&gr);
}

static char *args[] = {"/hello", NULL};
static char *env[] = {"PATH=/", NULL};

static void config(struct rb_config *c)
{
	memset(c, 0, sizeof(*c));
	c->id = "t";
	c->bundle = gr.root;
	c->rootfs = gr.rootfs;
	c->args = args;
	c->env = env;
	c->cwd = "/";
	c->umask = 022;
	c->isolation = RB_ISOLATION_REALM;
}

/* Run with stdout and stderr captured into out/err. */
static int run(const struct rb_manifest *mf, struct rb_result *res, struct realm_counts *cnt,
	       char *out, size_t outlen, char *err, size_t errlen)
{
	struct rb_config c;
	char ebuf[256];
	FILE *o = tmpfile(), *e = tmpfile();
	int r;

	config(&c);
	r = realm_run(&c, mf, -1, fileno(o), fileno(e), res, cnt, ebuf, sizeof(ebuf));
	if (r)
		print_message("realm_run: %d %s\n", r, ebuf);
	rewind(o);
	rewind(e);
	out[fread(out, 1, outlen - 1, o)] = 0;
	err[fread(err, 1, errlen - 1, e)] = 0;
	fclose(o);
	fclose(e);
	return r;
}

static void test_hello_in_a_realm(void **state)
{
	struct rb_manifest mf;
	struct rb_err err;
	struct rb_result res;
	struct realm_counts cnt;
	char out[256], errout[1024];
	unsigned long f = 12586269025UL;

	if (!gr.have_guest)
		skip();
	assert_int_equal(host_manifest_build(gr.rootfs, &mf, &err), 0);
	assert_int_equal(run(&mf, &res, &cnt, out, sizeof(out), errout, sizeof(errout)), 0);
	assert_string_equal(out, "hello from arm64\n");
	/* the probe is unknown to the library OS: -ENOSYS, as under Linux */
	assert_int_equal(res.exit_status, (int)((f - 38) & 0x7f));
	/*
	 * START, page faults (demand paging), the probe, write, exit_group: each
	 * one forward, either resumed in place (exitless) or a forward exit the
	 * host saw (how many of each depends on the machine's timing).
	 */
	assert_true(res.forwarded >= 4 && res.forwarded <= 8);
	assert_int_equal(res.forwarded, cnt.forwards + res.exitless);
	assert_int_equal(res.verify_refusals, 0);
	assert_int_equal(res.syscalls, 3);
	assert_int_equal(res.syscalls_enosys, 1);
	assert_true(res.rmm_copies >= 1 && res.rmm_copy_bytes >= 17);
	assert_int_equal(cnt.teardown_failures, 0);
	assert_int_equal(cnt.granules_after, cnt.granules_before);
	host_manifest_free(&mf);
}

static void test_many_runs_leak_nothing(void **state)
{
	struct rb_manifest mf;
	struct rb_err err;
	struct rb_result res;
	struct realm_counts cnt;
	char out[256], errout[1024];
	uint64_t start;
	unsigned n = getenv("RB_REALM_RUNS") ? (unsigned)atoi(getenv("RB_REALM_RUNS")) : 20;

	if (!gr.have_guest)
		skip();
	assert_int_equal(host_manifest_build(gr.rootfs, &mf, &err), 0);
	assert_int_equal(run(&mf, &res, &cnt, out, sizeof(out), errout, sizeof(errout)), 0);
	start = realm_granules_in_use();
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(run(&mf, &res, &cnt, out, sizeof(out), errout, sizeof(errout)), 0);
		assert_string_equal(out, "hello from arm64\n");
		assert_int_equal(cnt.teardown_failures, 0);
		assert_int_equal(realm_granules_in_use(), start);
	}
	host_manifest_free(&mf);
}

/* The host hands the System Realm a manifest other than the measured one. */
static void test_lying_manifest_refused(void **state)
{
	struct rb_manifest mf;
	struct rb_err err;
	struct rb_result res;
	struct realm_counts cnt;
	char out[256], errout[1024];

	if (!gr.have_guest)
		skip();
	assert_int_equal(host_manifest_build(gr.rootfs, &mf, &err), 0);
	/* the measured digest stays; the entries the host serves change */
	for (size_t i = 0; i < mf.n; i++)
		if (strcmp(mf.entries[i].path, "/hello") == 0)
			mf.entries[i].sha256[0] ^= 1;
	assert_int_equal(run(&mf, &res, &cnt, out, sizeof(out), errout, sizeof(errout)), 0);
	assert_string_equal(out, "");
	assert_int_equal(res.exit_status, 127);
	assert_non_null(strstr(errout, "does not match the measured digest"));
	assert_int_equal(cnt.granules_after, cnt.granules_before);

	/* a consistent manifest (digest recomputed) whose file hash is wrong: EIO, no bytes run */
	assert_int_equal(host_manifest_digest(&mf, mf.digest), 0);
	assert_int_equal(run(&mf, &res, &cnt, out, sizeof(out), errout, sizeof(errout)), 0);
	assert_string_equal(out, "");
	assert_int_equal(res.exit_status, 127);
	assert_int_equal(cnt.granules_after, cnt.granules_before);
	host_manifest_free(&mf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hello_in_a_realm),
		cmocka_unit_test(test_many_runs_leak_nothing),
		cmocka_unit_test(test_lying_manifest_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
