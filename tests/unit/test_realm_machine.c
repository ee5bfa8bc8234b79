/*
 * Several Container Realms on one running machine (docs/machine-daemon.md,
 * deploy/realm.c realm_machine_open ... realm_machine_close): two busybox
 * containers at once, each with its own output, exit status, processes
 * and files; one ending while the other goes on; a third container
 * reusing the freed slot; every granule given back. And a host handing
 * the System Realm bad container descriptions (PRH_CMD_ADD_CT): refused,
 * the System Realm and its running container unharmed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/guest_rootfs.h"

#include "deploy/deploy.h"
#include "deploy/realm.h"
#include "deploy/realm_host.h"
#include "host/manifest.h"
#include "libos/pal_realm.h"

#define SYS_MEM (64ULL << 20)
#define CT_MEM (24ULL << 20)

static char rootfs[1024];
static bool have_rootfs;
static struct rb_manifest mf;

static int setup(void **state)
{
	struct rb_err err;

	have_rootfs = guest_busybox_rootfs(rootfs, sizeof(rootfs));
	/* small containers: four fit in the System Realm's memory */
	setenv("REALMBOX_REALM_POOL_MB", "8", 0);
	setenv("REALMBOX_REALM_POOL_MAX_MB", "64", 0);
	setenv("REALMBOX_REALM_RECS", "8", 0);
	setenv("REALMBOX_LOG", "error", 0);
	if (have_rootfs && host_manifest_build(rootfs, &mf, &err) != 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	if (have_rootfs)
		host_manifest_free(&mf);
	return 0;
}

/* A running container: its stdin (a pipe we write) and its stdout/stderr (pipes we read). */
struct ct {
	int slot;
	int in[2], out[2], err[2];
	char outbuf[4096], errbuf[4096];
	size_t outn, errn;
};

static int start(struct ct *t, const char *id, const char *script)
{
	static char *env[] = {"PATH=/bin:/usr/bin", NULL};
	static char sh[] = "/bin/sh", dash_c[] = "-c";
	char body[512], idb[64];
	char *args[] = {sh, dash_c, body, NULL};
	struct rb_config c;
	char ebuf[256];

	memset(t, 0, sizeof(*t));
	snprintf(body, sizeof(body), "%s", script);
	snprintf(idb, sizeof(idb), "%s", id);
	assert_int_equal(pipe(t->in), 0);
	assert_int_equal(pipe(t->out), 0);
	assert_int_equal(pipe(t->err), 0);
	fcntl(t->out[0], F_SETFL, O_NONBLOCK);
	fcntl(t->err[0], F_SETFL, O_NONBLOCK);
	memset(&c, 0, sizeof(c));
	c.id = idb;
	c.rootfs = rootfs;
	c.args = args;
	c.env = env;
	c.cwd = "/";
	c.umask = 022;
	c.isolation = RB_ISOLATION_REALM;
	int fds[3] = {t->in[0], t->out[1], t->err[1]};
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	t->slot = realm_ct_start(&c, &mf, fds, &(struct realm_ct_opts){CT_MEM, -1, 3, 0, 0, false, 0}, ebuf, sizeof(ebuf));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (getenv("RB_REALM_MACHINE_TIMES"))
		print_message("realm_ct_start %s: %.1f ms\n", id,
			      (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
	if (t->slot < 0)
		print_message("realm_ct_start %s: %d %s\n", id, t->slot, ebuf);
	return t->slot;
}

/* Drain what the container wrote so far. */
static void drain(struct ct *t)
{
	ssize_t n;

	while (t->outn < sizeof(t->outbuf) - 1 &&
	       (n = read(t->out[0], t->outbuf + t->outn, sizeof(t->outbuf) - 1 - t->outn)) > 0)
		t->outn += (size_t)n;
	t->outbuf[t->outn] = 0;
	while (t->errn < sizeof(t->errbuf) - 1 &&
	       (n = read(t->err[0], t->errbuf + t->errn, sizeof(t->errbuf) - 1 - t->errn)) > 0)
		t->errn += (size_t)n;
	t->errbuf[t->errn] = 0;
}

/* Wait (at most 60 s) until the container's stdout holds s. */
static bool wait_output(struct ct *t, const char *s)
{
	for (int i = 0; i < 6000; i++) {
		drain(t);
		if (strstr(t->outbuf, s))
			return true;
		usleep(10000);
	}
	return false;
}

/* Its end: status (or -errno), then everything it wrote. */
static int finish(struct ct *t)
{
	struct rb_result res;
	char ebuf[256];
	int r = realm_ct_wait(t->slot, &res, ebuf, sizeof(ebuf));

	if (r)
		print_message("realm_ct_wait: %d %s\n", r, ebuf);
	assert_int_equal(res.verify_refusals, 0);
	/* what its library OS served, reported at the drop: a shell's calls, and more */
	assert_true(res.syscalls > 10);
	assert_true(res.forwarded >= res.syscalls);
	drain(t);
	close(t->in[0]);
	close(t->in[1]);
	close(t->out[0]);
	close(t->out[1]);
	close(t->err[0]);
	close(t->err[1]);
	return r ? r : res.exit_status;
}

static void test_two_containers_one_machine(void **state)
{
	struct ct a, b, c;
	struct rb_proc_info ps[16];
	struct realm_counts cnt;
	char ebuf[256];
	uint64_t before;
	int n;

	if (!have_rootfs)
		skip();
	assert_int_equal(realm_machine_up(ebuf, sizeof(ebuf)), 0);
	before = realm_granules_in_use();
	assert_int_equal(realm_machine_open(SYS_MEM, ebuf, sizeof(ebuf)), 0);
	/* a second machine, or a one-container run, while it is open: refused */
	assert_int_equal(realm_machine_open(SYS_MEM, ebuf, sizeof(ebuf)), -EBUSY);

	/* A writes a file of its own and waits; B, started meanwhile, looks for it */
	assert_true(start(&a, "ct-a",
			  "sleep 100 & echo secret-of-a > /tmp/f; echo a-ready; read x; "
			  "cat /tmp/f; kill $!; exit 3") >= 0);
	assert_true(start(&b, "ct-b",
			  "read x; cat /tmp/f || echo b-sees-no-file; "
			  "echo mine-of-b > /tmp/f; cat /tmp/f; exit 5") >= 0);
	assert_int_not_equal(a.slot, b.slot);
	assert_true(wait_output(&a, "a-ready\n"));
	/* the same id twice on one machine: refused */
	assert_int_equal(start(&c, "ct-a", "true"), -EEXIST);
	close(c.in[0]), close(c.in[1]), close(c.out[0]), close(c.out[1]), close(c.err[0]),
		close(c.err[1]);

	/* each container's processes are its own: A's sleep is not B's */
	n = realm_ps("ct-a", ps, 16);
	assert_int_equal(n, 2);
	assert_string_equal(ps[0].comm, "sh");
	assert_int_equal(ps[0].pid, 1);
	assert_int_equal(ps[1].ppid, 1); /* busybox runs the applet as /proc/self/exe: "exe" */
	n = realm_ps("ct-b", ps, 16);
	assert_int_equal(n, 1);
	assert_string_equal(ps[0].comm, "sh");
	assert_int_equal(realm_ps("ct-none", ps, 16), -ESRCH);
	/* no terminal (process.terminal false): nothing to resize; a size past 16 bits refused */
	assert_int_equal(realm_winsize("ct-a", 40, 120), -ENOTTY);
	assert_int_equal(realm_outside("ct-a", PRH_CMD_WINSIZE, 1ULL << 63, NULL, 0), -EINVAL);
	assert_int_equal(realm_outside("ct-a", PRH_CMD_WINSIZE, 77ULL << 32, NULL, 0), -ESRCH);
	assert_int_equal(realm_winsize("ct-none", 40, 120), -ESRCH);

	/* B ends first: it never saw A's file, and its own is its own */
	assert_int_equal(write(b.in[1], "go\n", 3), 3);
	assert_int_equal(finish(&b), 5);
	assert_string_equal(b.outbuf, "b-sees-no-file\nmine-of-b\n");
	assert_non_null(strstr(b.errbuf, "/tmp/f"));

	/* A goes on undisturbed; a third container takes B's slot meanwhile */
	assert_true(realm_running("ct-a"));
	assert_false(realm_running("ct-b"));
	int freed = b.slot;
	assert_true(start(&c, "ct-c", "cat /tmp/f 2>/dev/null || echo c-clean; exit 7") >= 0);
	assert_int_equal(c.slot, freed);
	assert_int_equal(finish(&c), 7);
	assert_string_equal(c.outbuf, "c-clean\n");

	assert_int_equal(write(a.in[1], "go\n", 3), 3);
	assert_int_equal(finish(&a), 3);
	assert_string_equal(a.outbuf, "a-ready\nsecret-of-a\n");
	assert_string_equal(a.errbuf, "");

	assert_int_equal(realm_machine_close(&cnt), 0);
	assert_int_equal(cnt.teardown_failures, 0);
	assert_int_equal(realm_granules_in_use(), before);
	/* closed: one-container runs work again, new containers need an open machine */
	assert_int_equal(start(&c, "ct-d", "true"), -ESRCH);
	close(c.in[0]), close(c.in[1]), close(c.out[0]), close(c.out[1]), close(c.err[0]),
		close(c.err[1]);
}

/* A host that describes containers badly: each refused, the running one unharmed. */
static void test_bad_descriptions_refused(void **state)
{
	struct ct a;
	struct rsys_add_ct ok, d;
	char ebuf[256];
	const uint64_t pg = 4096;

	if (!have_rootfs)
		skip();
	assert_int_equal(realm_machine_open(SYS_MEM, ebuf, sizeof(ebuf)), 0);
	assert_true(start(&a, "ct-a", "read x; echo a-alive; exit 4") >= 0);
	/* slot 2's window, no channels made for it */
	ok = (struct rsys_add_ct){
		RSYS_CHAN_IPA + RSYS_CHAN_STRIDE * 2 * pg, 4, RCT_POOL_IPA, 512, 1024, CT_MEM, 0};

	assert_int_equal(realm_test_add_ct(2, &ok), -EINVAL); /* no channel there */
	/* slots that do not exist */
	assert_int_equal(realm_test_add_ct(PAL_REALM_MAX_CTS, &ok), -EINVAL);
	assert_int_equal(realm_test_add_ct(255, &ok), -EINVAL);
	d = ok, d.nrecs = 0;
	assert_int_equal(realm_test_add_ct(2, &d), -EINVAL);
	d = ok, d.winsize = 1ULL << 32; /* a console size past 65535 rows */
	assert_int_equal(realm_test_add_ct(2, &d), -EINVAL);
	{
		char why[256];

		realm_sys_start_result(2, why, sizeof(why));
		assert_non_null(strstr(why, "console size out of range"));
	}
	d = ok, d.nrecs = PAL_REALM_MAX_RECS + 1; /* too many RECs */
	assert_int_equal(realm_test_add_ct(2, &d), -EINVAL);
	d = ok, d.chan_ipa = RSYS_HC_IPA; /* the host-call page */
	assert_int_equal(realm_test_add_ct(2, &d), -EINVAL);
	d = ok, d.chan_ipa += 8; /* not page-aligned */
	assert_int_equal(realm_test_add_ct(2, &d), -EINVAL);
	d = ok, d.chan_ipa = RSYS_BOUNCE_IPA - 2 * pg; /* into the bounce buffer */
	assert_int_equal(realm_test_add_ct(2, &d), -EINVAL);
	d = ok, d.chan_ipa = RSYS_CHAN_IPA + (RSYS_CHAN_STRIDE * a.slot + 2) * pg;
	assert_int_equal(realm_test_add_ct(2, &d), -EINVAL); /* A's channels */
	d = ok, d.pool_max = d.pool_n - 1;
	assert_int_equal(realm_test_add_ct(2, &d), -EINVAL);
	d = ok, d.pool_ipa = (1ULL << 39) - pg, d.pool_max = 4096; /* past the protected half */
	assert_int_equal(realm_test_add_ct(2, &d), -EINVAL);
	d = ok, d.mem_size = SYS_MEM + (1ULL << 20); /* more than the System Realm has */
	assert_int_equal(realm_test_add_ct(2, &d), -EINVAL);
	d = ok, d.mem_size = 4 * pg; /* too small for a kernel */
	assert_int_equal(realm_test_add_ct(2, &d), -EINVAL);
	d = ok, d.mem_size = SYS_MEM - CT_MEM + pg; /* more than is left beside A */
	assert_int_equal(realm_test_add_ct(2, &d), -ENOMEM);

	/* A never noticed */
	assert_true(realm_running("ct-a"));
	assert_int_equal(write(a.in[1], "go\n", 3), 3);
	assert_int_equal(finish(&a), 4);
	assert_string_equal(a.outbuf, "a-alive\n");
	assert_int_equal(realm_machine_close(NULL), 0);
}

/* A one-container run still works on the same machine after it was closed. */
static void test_run_after_close(void **state)
{
	struct rb_config c;
	struct rb_result res;
	struct realm_counts cnt;
	char ebuf[256];
	char *args[] = {"/bin/sh", "-c", "echo solo; exit 9", NULL};
	char *env[] = {"PATH=/bin", NULL};
	FILE *o = tmpfile(), *e = tmpfile();
	char out[64];

	if (!have_rootfs)
		skip();
	memset(&c, 0, sizeof(c));
	c.id = "solo";
	c.rootfs = rootfs;
	c.args = args;
	c.env = env;
	c.cwd = "/";
	c.isolation = RB_ISOLATION_REALM;
	assert_int_equal(
		realm_run(&c, &mf, -1, fileno(o), fileno(e), &res, &cnt, ebuf, sizeof(ebuf)), 0);
	assert_int_equal(res.exit_status, 9);
	rewind(o);
	out[fread(out, 1, sizeof(out) - 1, o)] = 0;
	assert_string_equal(out, "solo\n");
	assert_int_equal(cnt.granules_after, cnt.granules_before);
	fclose(o);
	fclose(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_containers_one_machine),
		cmocka_unit_test(test_bad_descriptions_refused),
		cmocka_unit_test(test_run_after_close),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
