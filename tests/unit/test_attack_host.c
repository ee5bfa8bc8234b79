/*
 * A malicious host against a running container (issue 8's first attack,
 * DESIGN.md §5): while a busybox shell holds a secret it built at run time,
 * the Normal world reads every granule of DRAM and writes to every one it
 * could not read. In realm mode it gets only granule protection faults on
 * the Container Realm's and the System Realm's memory and finds the secret
 * nowhere it can read; the container then prints the secret unharmed.
 *
 * A host abusing RMI against the running container gets only RMI errors.
 * A lying file server (other bytes, truncated, grown, another file) gives
 * the program EIO and never the host's bytes.
 *
 * The same memory attack against `--isolation none` must succeed, or this test
 * could not fail: there the container's memory is the runtime's own, and
 * the host finds the secret by reading it. (The emulated machine keeps
 * realm memory inside this process too, so the realm case attacks through
 * the Normal world's view of DRAM — the GPC — as a real host would.)
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "deploy/deploy.h"
#include "deploy/realm_host.h"
#include "arch/rmi.h"
#include "host/host.h"
#include "host/manifest.h"
#include "common/invariants.h"
#include "plat/plat.h"

#define PG 4096u

static char rootfs[600];
static bool have_rootfs;
static char secret[64]; /* built at run time: "RBSECRET-" "RBSECRET-4242" */

static char *args[] = {"/bin/sh", "-c",
		       "a=RBSECRET; s=\"$a-$a-$(echo 4242)\"; echo ready; read x; echo \"$s\"; "
		       "read y",
		       NULL};
static char *env[] = {"PATH=/bin", NULL};

static int setup(void **state)
{
	char self[512];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		return -1;
	self[n] = 0;
	*strrchr(self, '/') = 0; /* BUILD/tests */
	snprintf(rootfs, sizeof(rootfs), "%s/../bundles/busybox/rootfs/bin/busybox", self);
	if (access(rootfs, X_OK) != 0) {
		/* the example bundle, as the Python suites make it (scripts/make-bundle.sh) */
		char cmd[1400];

		snprintf(cmd, sizeof(cmd),
			 "cd '%s/../..' && scripts/make-bundle.sh '%s/../bundles' busybox >/dev/null",
			 self, self);
		if (system(cmd) != 0)
			print_message("cannot make the busybox bundle: %s\n", cmd);
	}
	have_rootfs = access(rootfs, X_OK) == 0;
	snprintf(rootfs, sizeof(rootfs), "%s/../bundles/busybox/rootfs", self);
	snprintf(secret, sizeof(secret), "%s-%s-%d", "RBSECRET", "RBSECRET", 4242);
	setenv("REALMBOX_LOG", "error", 0);
	return 0;
}

struct run {
	enum rb_isolation iso;
	struct rb_manifest mf;
	int in[2], out[2], err[2];
	struct rb_result res;
	struct realm_counts cnt;
	int ret;
	char errbuf[256];
};

static void *runner(void *arg)
{
	struct run *r = arg;
	struct rb_config c;

	memset(&c, 0, sizeof(c));
	c.id = "attack";
	c.rootfs = rootfs;
	c.args = args;
	c.env = env;
	c.cwd = "/";
	c.umask = 022;
	c.isolation = r->iso;
	if (r->iso == RB_ISOLATION_REALM)
		r->ret = realm_run(&c, &r->mf, r->in[0], r->out[1], r->err[1], &r->res, &r->cnt,
				   r->errbuf, sizeof(r->errbuf));
	else
		r->ret = deploy_run(&c, &r->mf, r->in[0], r->out[1], r->err[1], &r->res, r->errbuf,
				    sizeof(r->errbuf));
	close(r->out[1]);
	close(r->err[1]);
	return NULL;
}

/* Start the container and wait until its shell holds the secret. */
static void start(struct run *r, pthread_t *th)
{
	struct rb_err err;
	char line[16];
	size_t n = 0;

	assert_int_equal(host_manifest_build(rootfs, &r->mf, &err), 0);
	assert_int_equal(pipe(r->in), 0);
	assert_int_equal(pipe(r->out), 0);
	assert_int_equal(pipe(r->err), 0);
	assert_int_equal(pthread_create(th, NULL, runner, r), 0);
	while (n < 6 && read(r->out[0], line + n, 1) == 1)
		n++;
	line[n] = 0;
	assert_string_equal(line, "ready\n");
}

/* Let it print the secret; its next line of stdout must be exactly the secret. */
static void reveal(struct run *r)
{
	char out[128];
	size_t n = 0;

	assert_int_equal(write(r->in[1], "\n", 1), 1);
	while (n < sizeof(out) - 1 && read(r->out[0], out + n, 1) == 1 && out[n] != '\n')
		n++;
	out[n] = 0;
	assert_string_equal(out, secret);
}

/* Let it end. */
static void finish(struct run *r, pthread_t th)
{
	char out[16];

	assert_int_equal(write(r->in[1], "\n", 1), 1);
	close(r->in[1]);
	assert_int_equal(read(r->out[0], out, sizeof(out)), 0);
	pthread_join(th, NULL);
	close(r->in[0]);
	close(r->out[0]);
	close(r->err[0]);
	assert_int_equal(r->ret, 0);
	assert_int_equal(r->res.exit_status, 0);
	host_manifest_free(&r->mf);
}

/* Does buf, a copy of memory at address `at`, hold the secret (other than our own copy)? */
static bool has_secret(const uint8_t *p, size_t len, uintptr_t at)
{
	size_t sl = strlen(secret);

	for (size_t i = 0; i + sl <= len; i++)
		if (p[i] == 'R' && memcmp(p + i, secret, sl) == 0 && at + i != (uintptr_t)secret)
			return true;
	return false;
}

struct scan {
	uint64_t readable, gpf_read, gpf_write, wrote, found;
};

/* The Normal world reads every granule of DRAM, and writes to those it cannot read. */
static void scan_dram(struct scan *sc)
{
	static uint8_t buf[PG], junk[64];
	uint64_t base = plat_dram_base(), size = plat_dram_size();

	memset(sc, 0, sizeof(*sc));
	memset(junk, 0xA5, sizeof(junk));
	for (uint64_t pa = base; pa < base + size; pa += PG) {
		struct plat_fault f;

		if (plat_read(PAS_NS, pa, buf, PG, &f) != 0) {
			sc->gpf_read++;
			if (plat_write(PAS_NS, pa, junk, sizeof(junk), &f) != 0)
				sc->gpf_write++;
			else
				sc->wrote++;
			continue;
		}
		sc->readable++;
		if (has_secret(buf, PG, 0))
			sc->found++;
	}
	print_message("realm: %llu granules readable, %llu read GPFs, %llu write GPFs, %llu "
		      "written, secret found %llu times\n",
		      (unsigned long long)sc->readable, (unsigned long long)sc->gpf_read,
		      (unsigned long long)sc->gpf_write, (unsigned long long)sc->wrote,
		      (unsigned long long)sc->found);
}

static void test_realm_host_reads_and_writes_all_dram(void **state)
{
	struct run r = {.iso = RB_ISOLATION_REALM};
	struct scan sc;
	pthread_t th;

	assert_true(have_rootfs); /* make-bundle.sh needs busybox-static:arm64 (scripts/setup.sh) */
	start(&r, &th);
	scan_dram(&sc);
	assert_int_equal(sc.found, 0);
	assert_true(sc.gpf_read > 1000); /* both realms' memory, the RMM's, the monitor's */
	assert_int_equal(sc.wrote, 0);
	assert_int_equal(sc.gpf_write, sc.gpf_read);
	/* nothing was corrupted: the secret comes out whole */
	reveal(&r);
	/*
	 * The scan can find it where the host can see it: the container wrote
	 * it to its stdout, through the NS buffer.
	 */
	scan_dram(&sc);
	assert_true(sc.found >= 1);
	finish(&r, th);
	assert_int_equal(r.res.verify_refusals, 0);
}

/* Every readable mapping of this process (the none deployment's container memory is here). */
static uint64_t scan_own_memory(void)
{
	FILE *maps = fopen("/proc/self/maps", "r");
	int mem = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
	char line[512];
	uint64_t found = 0;
	static uint8_t chunk[1 << 20];

	assert_non_null(maps);
	assert_true(mem >= 0);
	while (fgets(line, sizeof(line), maps)) {
		unsigned long lo, hi;
		char perms[8];

		/* AddressSanitizer's shadow on x86-64 (SAN=1): terabytes, nothing of ours */
		const unsigned long shadow_lo = 0x7fff8000UL, shadow_hi = 0x10007fff8000UL;

		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3 || perms[0] != 'r' ||
		    strstr(line, "[vvar") || strstr(line, "[vsyscall") ||
		    (lo >= shadow_lo && hi <= shadow_hi))
			continue;
		for (unsigned long a = lo; a < hi; a += sizeof(chunk)) {
			size_t n = hi - a < sizeof(chunk) ? hi - a : sizeof(chunk);
			ssize_t got = pread(mem, chunk, n, (off_t)a);

			/* chunk itself holds copies: not a place the secret lives */
			if (got > 0 && !(a < (unsigned long)chunk + sizeof(chunk) &&
					 (unsigned long)chunk < a + n) &&
			    has_secret(chunk, (size_t)got, a))
				found++;
		}
	}
	fclose(maps);
	close(mem);
	return found;
}

static void test_none_host_finds_the_secret(void **state)
{
	struct run r = {.iso = RB_ISOLATION_NONE};
	pthread_t th;
	uint64_t found;

	assert_true(have_rootfs);
	start(&r, &th);
	found = scan_own_memory();
	print_message("none: secret found %llu times in the runtime's memory\n",
		      (unsigned long long)found);
	assert_true(found >= 1); /* no protection: the attack works */
	reveal(&r);
	finish(&r, th);
}

/*
 * The host abuses RMI against the running container: granules in use
 * delegated or undelegated again, live realms and RECs destroyed, a REC
 * entered with its run page in realm memory, an RD entered as a REC, an RTT
 * passed as an RD, an RD as
 * an RTT, misaligned and out-of-range addresses. Every call answers an
 * RMI error, the container carries on and prints its secret whole, and the
 * machine's invariants hold once it is gone.
 */
static void test_realm_host_abuses_rmi(void **state)
{
	struct run r = {.iso = RB_ISOLATION_REALM};
	struct realm_test_view v;
	pthread_t th;
	uint64_t ns, ns2;
	char why[512];

	assert_true(have_rootfs);
	start(&r, &th);
	assert_int_equal(realm_test_view(&v), 0);
	assert_true(v.ct_rd && v.sys_rd && v.ct_rec0 && v.ct_rtt && v.ct_data && v.sys_data);
	ns = host_granule_alloc();
	ns2 = host_granule_alloc();
	assert_true(ns && ns2);
	host_mem_write(ns, "junk junk junk", 14);
	const struct {
		const char *what;
		uint64_t fid, a1, a2, a3, a4, a5;
	} calls[] = {
		{"delegate the container's RD", SMC_RMI_GRANULE_DELEGATE, v.ct_rd},
		{"undelegate container DATA", SMC_RMI_GRANULE_UNDELEGATE, v.ct_data},
		{"undelegate System Realm DATA", SMC_RMI_GRANULE_UNDELEGATE, v.sys_data},
		{"undelegate the container's RD", SMC_RMI_GRANULE_UNDELEGATE, v.ct_rd},
		{"destroy the live Container Realm", SMC_RMI_REALM_DESTROY, v.ct_rd},
		{"destroy the live System Realm", SMC_RMI_REALM_DESTROY, v.sys_rd},
		{"destroy a REC with a channel", SMC_RMI_REC_DESTROY, v.ct_rec0},
		{"enter a REC with its run page in realm memory", SMC_RMI_REC_ENTER, v.ct_rec0,
		 v.ct_data},
		{"enter a System Realm REC as a container's", SMC_RMI_REC_ENTER, v.ct_rd, ns},
		{"create a realm over an RTT", SMC_RMI_REALM_CREATE, v.ct_rtt, ns},
		{"an RD as a new RTT", SMC_RMI_RTT_CREATE, v.ct_rd, v.ct_rd, 0, 3},
		{"an RTT as an RD", SMC_RMI_RTT_CREATE, v.ct_rtt, ns2, 0, 3},
		{"DATA at a misaligned IPA", SMC_RMI_DATA_CREATE_UNKNOWN, v.ct_rd, ns2, 0x1001},
		{"DATA beyond the IPA space", SMC_RMI_DATA_CREATE_UNKNOWN, v.ct_rd, ns2, 1ULL << 50},
		{"container DATA as new DATA", SMC_RMI_DATA_CREATE_UNKNOWN, v.ct_rd, v.ct_data, 0},
		{"delegate a misaligned PA", SMC_RMI_GRANULE_DELEGATE, v.ct_rd + 8},
		{"delegate outside DRAM", SMC_RMI_GRANULE_DELEGATE, 0x1000},
		{"destroy the container's RTT", SMC_RMI_RTT_DESTROY, v.ct_rd, 0, 1},
	};
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		uint64_t st = host_rmi(calls[i].fid, calls[i].a1, calls[i].a2, calls[i].a3,
				       calls[i].a4, calls[i].a5, 0, NULL);

		print_message("%-40s -> %s\n", calls[i].what, host_rmi_status_name(st));
		assert_int_not_equal(st, RMI_SUCCESS);
	}
	/* the container did not notice: its secret comes out whole */
	reveal(&r);
	finish(&r, th);
	host_granule_free(ns);
	host_granule_free(ns2);
	assert_int_equal(r.cnt.teardown_failures, 0);
	assert_int_equal(inv_check(why, sizeof(why)), 0);
}

/* Run `sh -c script` in a realm with stdin empty; stdout and stderr into out/err. */
static int run_script(const char *script, struct rb_result *res, char *out, size_t outlen,
		      char *err, size_t errlen)
{
	struct rb_manifest mf;
	struct rb_err e;
	struct rb_config c;
	struct realm_counts cnt;
	char *argv[] = {"/bin/sh", "-c", (char *)script, NULL}, ebuf[256];
	FILE *o = tmpfile(), *er = tmpfile();
	int r;

	assert_int_equal(host_manifest_build(rootfs, &mf, &e), 0);
	memset(&c, 0, sizeof(c));
	c.id = "liar";
	c.rootfs = rootfs;
	c.args = argv;
	c.env = env;
	c.cwd = "/";
	c.umask = 022;
	c.isolation = RB_ISOLATION_REALM;
	r = realm_run(&c, &mf, -1, fileno(o), fileno(er), res, &cnt, ebuf, sizeof(ebuf));
	rewind(o);
	rewind(er);
	out[fread(out, 1, outlen - 1, o)] = 0;
	err[fread(err, 1, errlen - 1, er)] = 0;
	fclose(o);
	fclose(er);
	host_manifest_free(&mf);
	return r;
}

/*
 * The host's file server lies about a rootfs file: other bytes, a truncated
 * file, a longer one, another file's content. The library OS checks every
 * host file against the measured manifest: the program gets EIO, never the
 * host's bytes. Honest short reads still give the file.
 */
static void test_realm_lying_file_server(void **state)
{
	static const struct {
		enum realm_lie mode;
		const char *name;
	} lies[] = {
		{REALM_LIE_BYTES, "flipped bit"},
		{REALM_LIE_TRUNCATE, "truncated"},
		{REALM_LIE_GROW, "grown"},
		{REALM_LIE_OTHER_FILE, "another file"},
	};
	char want[4096], out[8192], err[2048], path[700];
	struct rb_result res;
	FILE *f;
	size_t n;

	assert_true(have_rootfs);
	snprintf(path, sizeof(path), "%s/data/words.txt", rootfs);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(want, 1, sizeof(want) - 8, f);
	fclose(f);
	memcpy(want + n, "rc=0\n", 6);
	for (size_t i = 0; i < sizeof(lies) / sizeof(lies[0]); i++) {
		realm_test_lie(lies[i].mode, "/data/words.txt", "/data/lorem.txt");
		assert_int_equal(run_script("cat /data/words.txt; echo rc=$?", &res, out, sizeof(out),
					    err, sizeof(err)),
				 0);
		print_message("%s: stdout \"%s\", stderr \"%s\"\n", lies[i].name, out, err);
		assert_string_equal(out, "rc=1\n");
		assert_non_null(strstr(err, "Input/output error"));
	}
	realm_test_lie(REALM_LIE_SHORT, "/data/words.txt", NULL);
	assert_int_equal(run_script("cat /data/words.txt; echo rc=$?", &res, out, sizeof(out), err,
				    sizeof(err)),
			 0);
	realm_test_lie(REALM_LIE_NONE, NULL, NULL);
	assert_string_equal(out, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_realm_host_reads_and_writes_all_dram),
		cmocka_unit_test(test_none_host_finds_the_secret),
		cmocka_unit_test(test_realm_lying_file_server),
		cmocka_unit_test(test_realm_host_abuses_rmi),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
