/*
 * A malicious host against a running container (issue 8's first attack,
 * DESIGN.md §5, docs/security.md): while a busybox shell holds a secret it built at run time,
 * the Normal world reads every granule of DRAM and writes to every one it
 * could not read. In realm mode it gets only granule protection faults on
 * the Container Realm's and the System Realm's memory and finds the secret
 * nowhere it can read; the container then prints the secret unharmed.
 *
 * A host abusing RMI against the running container gets only RMI errors.
 * A lying file server (other bytes, truncated, grown, another file) gives
 * the program EIO and never the host's bytes.
 *
 * A compromised System Realm (realm_host.h's SMC hook: its own code makes
 * extra calls while serving a real shell) copies outside the pending call's
 * argument ranges, reads and writes the container's code page, copies when
 * no call is pending, maps a granule that is already mapped and one outside
 * the container's IPA space: the RMM refuses each and counts it, and the
 * shell's output is unharmed.
 *
 * The same memory attack against `--isolation none` must succeed, or this test
 * could not fail: there the container's memory is the runtime's own, and
 * the host finds the secret by reading it. (The emulated machine keeps
 * realm memory inside this process too, so the realm case attacks through
 * the Normal world's view of DRAM — the GPC — as a real host would.)
 *
 * In shim mode (RContainer) the attacker is the deprivileged OS itself,
 * running on its own thread under the OS-GPT while the shell waits
 * (deploy/shim.h's test hook): direct loads and stores of the con-shim,
 * a scan of all it can read, and every rc_* abuse the mini-OS must
 * refuse; test_shim_compromised_os says what it does not refuse.
 *
 * A DMA-capable device under the host's (shim: the OS's) control reads and
 * writes every granule through the modelled SMMU, whose granule protection
 * check EL3 points at the boot GPT (shim: the OS-GPT): only aborted
 * transfers, the secret nowhere; the same device with the SMMU's check off
 * finds it (the control).
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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/guest_rootfs.h"

#include "deploy/deploy.h"
#include "deploy/realm_host.h"
#include "deploy/shim.h"
#include "arch/gpt.h"
#include "arch/rcontainer.h"
#include "arch/fasco.h"
#include "arch/rmi.h"
#include "arch/rsi.h"
#include "libos/pal_realm.h"
#include "monitor/rc_gpt.h"
#include "host/host.h"
#include "host/manifest.h"
#include "common/invariants.h"
#include "plat/plat.h"
#include "plat/emu/native_guest.h"

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
	have_rootfs = guest_busybox_rootfs(rootfs, sizeof(rootfs));
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

/* How an attacker reaches physical memory: the Normal world's CPU accesses, or a device's DMA. */
struct path {
	const char *what; /* "" (CPU) or "DMA: " */
	int (*read)(uint64_t pa, void *buf, size_t len, struct plat_fault *f);
	int (*write)(uint64_t pa, const void *buf, size_t len, struct plat_fault *f);
};

static int ns_read(uint64_t pa, void *buf, size_t len, struct plat_fault *f)
{
	return plat_read(PAS_NS, pa, buf, len, f);
}

static int ns_write(uint64_t pa, const void *buf, size_t len, struct plat_fault *f)
{
	return plat_write(PAS_NS, pa, buf, len, f);
}

static const struct path cpu_path = {"", ns_read, ns_write};
static const struct path dma_path = {"DMA: ", plat_dma_read, plat_dma_write};

/*
 * The attacker reads every granule of DRAM through `path`, and writes to
 * those it cannot read (when `write`).
 */
static void scan_path(struct scan *sc, const char *who, const struct path *path, bool write)
{
	static uint8_t buf[PG], junk[64];
	uint64_t base = plat_dram_base(), size = plat_dram_size();

	memset(sc, 0, sizeof(*sc));
	memset(junk, 0xA5, sizeof(junk));
	for (uint64_t pa = base; pa < base + size; pa += PG) {
		struct plat_fault f;

		if (path->read(pa, buf, PG, &f) != 0) {
			sc->gpf_read++;
			if (!write || path->write(pa, junk, sizeof(junk), &f) != 0)
				sc->gpf_write++;
			else
				sc->wrote++;
			continue;
		}
		sc->readable++;
		if (has_secret(buf, PG, 0))
			sc->found++;
	}
	print_message("%s: %s%llu granules readable, %llu read faults, %llu write faults, %llu "
		      "written, secret found %llu times\n",
		      who, path->what, (unsigned long long)sc->readable,
		      (unsigned long long)sc->gpf_read, (unsigned long long)sc->gpf_write,
		      (unsigned long long)sc->wrote, (unsigned long long)sc->found);
}

/* The Normal world reads every granule of DRAM, and writes to those it cannot read. */
static void scan_dram(struct scan *sc, const char *who)
{
	scan_path(sc, who, &cpu_path, true);
}

/* A DMA-capable device under the host's control, through the SMMU. */
static void scan_dma(struct scan *sc, const char *who, bool write)
{
	scan_path(sc, who, &dma_path, write);
}

/*
 * The device attack, and its control: the same device behind an SMMU whose
 * granule protection check is off reads the secret (so the check is what
 * stopped it). The control only reads.
 */
static void dma_attack(const char *who)
{
	struct scan sc;

	scan_dma(&sc, who, true);
	assert_int_equal(sc.found, 0);
	assert_true(sc.gpf_read > 1000);
	assert_int_equal(sc.wrote, 0);
	plat_smmu_write_gpcen(false);
	scan_dma(&sc, who, false);
	plat_smmu_write_gpcen(true);
	assert_true(sc.found >= 1);
	assert_int_equal(sc.gpf_read, 0);
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

static void test_realm_host_reads_and_writes_all_dram(void **state)
{
	struct run r = {.iso = RB_ISOLATION_REALM};
	struct scan sc;
	uint64_t in_process;
	pthread_t th;

	assert_true(have_rootfs); /* make-bundle.sh needs busybox-static:arm64 (scripts/setup.sh) */
	start(&r, &th);
	/* the control: the secret is in the process's memory (the emulated DRAM) */
	in_process = scan_own_memory();
	print_message("realm: secret found %llu times in the process's memory (emulated DRAM)\n",
		      (unsigned long long)in_process);
	assert_true(in_process >= 1);
	scan_dram(&sc, "realm");
	assert_int_equal(sc.found, 0);
	assert_true(sc.gpf_read > 1000); /* both realms' memory, the RMM's, the monitor's */
	assert_int_equal(sc.wrote, 0);
	assert_int_equal(sc.gpf_write, sc.gpf_read);
	/* a device under the host's control, through the SMMU */
	dma_attack("realm");
	/* nothing was corrupted: the secret comes out whole */
	reveal(&r);
	/*
	 * The scan can find it where the host can see it: the container wrote
	 * it to its stdout, through the NS buffer.
	 */
	scan_dram(&sc, "realm");
	assert_true(sc.found >= 1);
	finish(&r, th);
	assert_int_equal(r.res.verify_refusals, 0);
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
		uint64_t fid, a[5];
	} calls[] = {
		{"delegate the container's RD", SMC_RMI_GRANULE_DELEGATE, {v.ct_rd}},
		{"undelegate container DATA", SMC_RMI_GRANULE_UNDELEGATE, {v.ct_data}},
		{"undelegate System Realm DATA", SMC_RMI_GRANULE_UNDELEGATE, {v.sys_data}},
		{"undelegate the container's RD", SMC_RMI_GRANULE_UNDELEGATE, {v.ct_rd}},
		{"destroy the live Container Realm", SMC_RMI_REALM_DESTROY, {v.ct_rd}},
		{"destroy the live System Realm", SMC_RMI_REALM_DESTROY, {v.sys_rd}},
		{"destroy a REC with a channel", SMC_RMI_REC_DESTROY, {v.ct_rec0}},
		{"enter a REC with its run page in realm memory", SMC_RMI_REC_ENTER, {v.ct_rec0,
		 v.ct_data}},
		{"enter a System Realm REC as a container's", SMC_RMI_REC_ENTER, {v.ct_rd, ns}},
		{"create a realm over an RTT", SMC_RMI_REALM_CREATE, {v.ct_rtt, ns}},
		{"an RD as a new RTT", SMC_RMI_RTT_CREATE, {v.ct_rd, v.ct_rd, 0, 3}},
		{"an RTT as an RD", SMC_RMI_RTT_CREATE, {v.ct_rtt, ns2, 0, 3}},
		{"DATA at a misaligned IPA", SMC_RMI_DATA_CREATE_UNKNOWN, {v.ct_rd, ns2, 0x1001}},
		{"DATA beyond the IPA space", SMC_RMI_DATA_CREATE_UNKNOWN, {v.ct_rd, ns2, 1ULL << 50}},
		{"container DATA as new DATA", SMC_RMI_DATA_CREATE_UNKNOWN, {v.ct_rd, v.ct_data, 0}},
		{"delegate a misaligned PA", SMC_RMI_GRANULE_DELEGATE, {v.ct_rd + 8}},
		{"delegate outside DRAM", SMC_RMI_GRANULE_DELEGATE, {0x1000}},
		{"destroy the container's RTT", SMC_RMI_RTT_DESTROY, {v.ct_rd, 0, 1}},
	};
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		uint64_t st = host_rmi(calls[i].fid, calls[i].a[0], calls[i].a[1], calls[i].a[2],
				       calls[i].a[3], calls[i].a[4], 0, NULL);

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

/* ---- realm: a compromised System Realm against a container it serves -------------- */

#define SYS_GETPID 172
#define SYS_WRITE 64

/* What the compromised System Realm tried (its thread) and what the RMM answered. */
static struct {
	uint64_t scratch;	     /* a System Realm IPA it may overwrite (the copy bounce) */
	uint64_t map_cipa;	     /* a container granule a MAP already used */
	bool done_len, done_code, done_idle, done_map;
	uint64_t st_len, st_code_in, st_code_out, st_idle, st_alias, st_outside;
	uint64_t attempts;
	char why[160];
} evil;

static uint64_t evil_call(void *g, realm_test_smc_fn smc, uint64_t fid, uint64_t a1, uint64_t a2,
			  uint64_t a3, uint64_t a4, uint64_t a5)
{
	uint64_t x[11] = {fid, a1, a2, a3, a4, a5};

	evil.attempts++;
	smc(g, x);
	return x[0];
}

/* The pending request's registers (GET_REGS into the scratch granule), or false. */
static bool evil_regs(void *g, realm_test_smc_fn smc, uint64_t chan, struct rb_regs *r)
{
	uint64_t x[11] = {SMC_RSI_RB_GET_REGS, chan, evil.scratch};

	if (evil.scratch == 0)
		return false;
	smc(g, x);
	if (x[0] != RSI_SUCCESS)
		return false;
	native_guest_read(g, evil.scratch, r, sizeof(*r));
	return true;
}

static void evil_hook(void *g, uint64_t x[11], realm_test_smc_fn smc)
{
	uint64_t fid = x[0], chan = x[1];
	struct rb_regs r;

	if (fid == SMC_RSI_RB_COPY_IN && evil.scratch == 0)
		evil.scratch = x[3] & ~(uint64_t)(GRANULE_SIZE - 1);
	/* write(fd, buf, n) with a small n: read n + 4 KiB from buf */
	if (fid == SMC_RSI_RB_COPY_IN && !evil.done_len && evil_regs(g, smc, chan, &r) &&
	    r.x[8] == SYS_WRITE && r.x[2] < 256 && x[2] == r.x[1]) {
		evil.done_len = true;
		evil.st_len = evil_call(g, smc, SMC_RSI_RB_COPY_IN, chan, r.x[1], x[3],
					r.x[2] + GRANULE_SIZE, 0);
	}
	/* a second MAP: the first one's granule again (an alias), and an IPA far outside */
	if (fid == SMC_RSI_RB_MAP && !evil.done_map && evil.map_cipa != 0 &&
	    evil.map_cipa != x[3]) {
		evil.done_map = true;
		evil.st_alias = evil_call(g, smc, SMC_RSI_RB_MAP, chan, x[2], evil.map_cipa, 1, 0);
		evil.st_outside = evil_call(g, smc, SMC_RSI_RB_MAP, chan, x[2], 1ULL << 47, 1, 0);
	}
	if (fid == SMC_RSI_RB_MAP && evil.map_cipa == 0)
		evil.map_cipa = x[3];
	/* getpid has no buffer: read, then overwrite, the caller's code page */
	if (fid == SMC_RSI_RB_COMPLETE && !evil.done_code && evil_regs(g, smc, chan, &r) &&
	    r.x[8] == SYS_GETPID) {
		uint64_t page = r.pc & ~(uint64_t)(GRANULE_SIZE - 1);

		evil.done_code = true;
		evil.st_code_in = evil_call(g, smc, SMC_RSI_RB_COPY_IN, chan, page, evil.scratch, 64, 0);
		evil.st_code_out =
			evil_call(g, smc, SMC_RSI_RB_COPY_OUT, chan, page, evil.scratch, 64, 0);
	}
	smc(g, x);
	/* the call is complete: no request is pending on the channel any more */
	if (fid == SMC_RSI_RB_COMPLETE && x[0] == RSI_SUCCESS && evil.done_code && !evil.done_idle) {
		evil.done_idle = true;
		evil.st_idle = evil_call(g, smc, SMC_RSI_RB_COPY_IN, chan, 0x400000, evil.scratch, 16, 0);
	}
}

static void test_realm_compromised_system_realm(void **state)
{
	char out[4096], err[2048];
	struct rb_result res;
	int r;

	assert_true(have_rootfs);
	memset(&evil, 0, sizeof(evil));
	realm_test_sys_smc_hook(evil_hook);
	r = run_script("echo pid $$; echo hello; ls /data >/dev/null; echo done", &res, out,
		       sizeof(out), err, sizeof(err));
	realm_test_sys_smc_hook(NULL);
	assert_int_equal(r, 0);
	print_message("compromised System Realm: %llu hostile calls; refusals counted %llu; "
		      "len %llu code-in %llu code-out %llu idle %llu alias %llu outside %llu\n",
		      (unsigned long long)evil.attempts, (unsigned long long)res.verify_refusals,
		      (unsigned long long)evil.st_len, (unsigned long long)evil.st_code_in,
		      (unsigned long long)evil.st_code_out, (unsigned long long)evil.st_idle,
		      (unsigned long long)evil.st_alias, (unsigned long long)evil.st_outside);
	/* every attack was tried ... */
	assert_true(evil.done_len && evil.done_code && evil.done_idle && evil.done_map);
	/* ... and refused: range and ownership as RSI_ERROR_INPUT, no pending call as STATE */
	assert_int_equal(evil.st_len, RSI_ERROR_INPUT);
	assert_int_equal(evil.st_code_in, RSI_ERROR_INPUT);
	assert_int_equal(evil.st_code_out, RSI_ERROR_INPUT);
	assert_int_equal(evil.st_idle, RSI_ERROR_STATE);
	assert_int_equal(evil.st_alias, RSI_ERROR_INPUT);
	assert_int_equal(evil.st_outside, RSI_ERROR_INPUT);
	/* each counted as a verification refusal, and nothing else was */
	assert_int_equal(res.verify_refusals, 6);
	/* the shell never noticed */
	assert_string_equal(out, "pid 1\nhello\ndone\n");
	assert_int_equal(res.exit_status, 0);
}

/*
 * A System Realm host call names the container it is for (pal_realm.h
 * PRH_IMM); the host serves only the Container Realm bound to it. The
 * hook makes the first console write twice more before the real one: once
 * naming container 3 (not bound), once naming none. Both are refused with
 * -EINVAL and write nothing; the real one goes through. Then it reads and
 * closes every host fd below 64 that the container's PRH_OPEN did not give
 * (the consoles', the rootfs's, the runtime's own): each EBADF.
 */
static struct {
	bool done;
	uint64_t other_ct, no_ct;
	/*
	 * Host file handles: the ones PRH_OPEN gave the container (bit fd), and
	 * for every other fd 0..63 what a forged PRH_PREAD / PRH_CLOSE got.
	 */
	uint64_t opened, pread_other, close_other;
	unsigned forged, pread_badf, close_badf;
} misname;

/* The call orig with imm and gprs a0..a2 instead, made before it; its gprs[0]. */
static uint64_t forged_call(void *g, realm_test_smc_fn smc, uint64_t hc_ipa,
			    const struct rsi_host_call *orig, uint16_t imm, uint64_t a0, uint64_t a1,
			    uint64_t a2)
{
	struct rsi_host_call hc = *orig;
	uint64_t x[11] = {SMC_RSI_HOST_CALL, hc_ipa};

	hc.imm = imm;
	hc.gprs[0] = a0;
	hc.gprs[1] = a1;
	hc.gprs[2] = a2;
	native_guest_write(g, hc_ipa, &hc, sizeof(hc));
	smc(g, x);
	native_guest_read(g, hc_ipa, &hc, sizeof(hc));
	native_guest_write(g, hc_ipa, orig, sizeof(*orig));
	return hc.gprs[0];
}

static uint64_t misnamed_call(void *g, realm_test_smc_fn smc, uint64_t hc_ipa,
			      const struct rsi_host_call *orig, uint16_t imm)
{
	struct rsi_host_call hc = *orig;
	uint64_t x[11] = {SMC_RSI_HOST_CALL, hc_ipa};

	hc.imm = imm;
	native_guest_write(g, hc_ipa, &hc, sizeof(hc));
	smc(g, x);
	native_guest_read(g, hc_ipa, &hc, sizeof(hc));
	native_guest_write(g, hc_ipa, orig, sizeof(*orig)); /* the real call as it was */
	return hc.gprs[0];
}

static void misname_hook(void *g, uint64_t x[11], realm_test_smc_fn smc)
{
	struct rsi_host_call hc;

	if (x[0] == SMC_RSI_HOST_CALL && !misname.done) {
		native_guest_read(g, x[1], &hc, sizeof(hc));
		if (PRH_IMM_CALL(hc.imm) == PRH_CONSOLE_WRITE) {
			misname.done = true;
			misname.other_ct =
				misnamed_call(g, smc, x[1], &hc, PRH_IMM(PRH_CONSOLE_WRITE, 3 + 1));
			misname.no_ct =
				misnamed_call(g, smc, x[1], &hc, PRH_IMM(PRH_CONSOLE_WRITE, 0));
			/*
			 * Reads and closes of host fds this container did not open
			 * (the console's, the rootfs's, the runtime's own): EBADF.
			 */
			uint16_t ct1 = (uint16_t)(PRH_IMM_CT1(hc.imm));
			for (uint64_t fd = 0; fd < 64; fd++) {
				if (misname.opened & (1ULL << fd))
					continue;
				misname.forged++;
				if ((int64_t)forged_call(g, smc, x[1], &hc, PRH_IMM(PRH_PREAD, ct1), fd,
							 16, 0) == -EBADF)
					misname.pread_badf++;
				if ((int64_t)forged_call(g, smc, x[1], &hc, PRH_IMM(PRH_CLOSE, ct1), fd,
							 0, 0) == -EBADF)
					misname.close_badf++;
			}
		}
	}
	smc(g, x);
	if (x[0] == SMC_RSI_HOST_CALL) {
		native_guest_read(g, x[1], &hc, sizeof(hc));
		if (PRH_IMM_CALL(hc.imm) == PRH_OPEN && (int64_t)hc.gprs[0] >= 0 &&
		    hc.gprs[0] < 64)
			misname.opened |= 1ULL << hc.gprs[0];
	}
}

static void test_realm_host_call_names_container(void **state)
{
	char out[4096], err[2048];
	struct rb_result res;
	int r;

	(void)state;
	assert_true(have_rootfs);
	memset(&misname, 0, sizeof(misname));
	realm_test_sys_smc_hook(misname_hook);
	r = run_script("echo hello; echo done", &res, out, sizeof(out), err, sizeof(err));
	realm_test_sys_smc_hook(NULL);
	assert_int_equal(r, 0);
	assert_true(misname.done);
	assert_int_equal((int64_t)misname.other_ct, -EINVAL);
	assert_int_equal((int64_t)misname.no_ct, -EINVAL);
	/* no host fd it did not open could be read or closed; the run went on */
	assert_true(misname.forged >= 50);
	assert_int_equal(misname.pread_badf, misname.forged);
	assert_int_equal(misname.close_badf, misname.forged);
	/* nothing of the refused calls reached the console; the real ones did */
	assert_string_equal(out, "hello\ndone\n");
	assert_int_equal(res.exit_status, 0);
}

/* ---- shim: a compromised deprivileged OS against a running con-shim ---------------- */

#define VA_B 0x10000000ULL

/* What the compromised OS got (filled on its thread, asserted on the test's). */
struct os_attack {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done;
	char why[160];	  /* a precondition of the attack that failed */
	uint64_t current; /* the GPT current when the OS ran */
	uint64_t *cs;	  /* the con-shim's granules (GPI: NS in its shim-GPT only) */
	size_t ncs;
	uint64_t read_gpf, write_gpf, read_ok, write_ok, other_fault;
	struct scan sc;		   /* all of DRAM, as the OS sees it */
	uint64_t live, dead;	   /* a served task of the container, one that has ended */
	uint64_t pte_a_in_b_ok;	   /* rc_set_pte of one of its granules into container B: success */
	uint64_t pte_a_in_b_owner; /* ... refused as not B's */
	uint64_t pte_b_in_a, ipc_in_from_a, ipc_out_to_a, copy_from_a, donate_a, reclaim_a_via_b;
	uint64_t dead_copy, dead_ipc, forged_ipc, depriv_from_os, delegate_a;
	uint64_t dma_ok, dma_owner, dma_os, dma_unmap;
	uint64_t ipc_pages, ipc_found; /* rc_ipc_out over the served task's pages: copied */
	uint64_t ipc_range;	       /* ... refused: outside its pending call (RC_ERROR_RANGE) */
	uint64_t copy_text;	       /* ... and rc_copy_page over its code */
	uint64_t refused;	       /* the mini-OS's count of refused copies (PLAT_CNT_RC_REFUSED) */
};

static uint64_t os_rc(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
		      struct smc_regs *r)
{
	return plat_smc6(PAS_NS, SMC_RC_ENTER, fn, a1, a2, a3, a4, 0, r);
}

/* Container B, the compromised OS's own: a con-shim with 8 granules and a task mapping VA_B. */
static bool os_container_b(uint64_t *shim, uint64_t *task, uint64_t *pool)
{
	struct smc_regs r;

	if (os_rc(RC_FN_CREATE_SHIM, 0, 0, 0, 0, &r) != RC_SUCCESS)
		return false;
	*shim = r.x[1];
	*pool = host_granules_alloc(8, PG);
	if (!*pool || os_rc(RC_FN_MALLOC_MM, *shim, *pool, 8, RC_MM_DONATE, NULL) != RC_SUCCESS ||
	    os_rc(RC_FN_CREATE_CONTAINER, *shim, 0x400000, 0x600000, 0, &r) != RC_SUCCESS)
		return false;
	*task = r.x[1];
	return os_rc(RC_FN_SET_VMA, *task, VA_B, 16 * PG, RC_PROT_R | RC_PROT_W | RC_VMA_MAP,
		     NULL) == RC_SUCCESS &&
	       os_rc(RC_FN_SET_PTE, *task, VA_B, RC_PTE_ANY, RC_PROT_R | RC_PROT_W, NULL) ==
		       RC_SUCCESS;
}

/*
 * The served task's pages, as the OS asks rc_ipc_out for them: every page
 * of the windows around its registers (pc: text, data and the heap after
 * it; sp: the stack), searched for the secret if copied. The task sleeps
 * in read(): its call names only the buffer the OS may write, nothing it
 * may read, so every mapped page is refused (RC_ERROR_RANGE).
 */
static void os_ipc_sweep(struct os_attack *a, uint64_t regs_pa, uint64_t buf_pa)
{
	static uint8_t page[PG];
	struct rc_regs rg;
	uint64_t win[2][2], c0[PLAT_CNT_NR], c1[PLAT_CNT_NR];

	a->copy_text = ~0ULL;
	plat_counters_snapshot(c0);
	if (host_mem_read(regs_pa, &rg, sizeof(rg)))
		return;
	win[0][0] = rg.pc & ~((1ULL << 24) - 1);
	win[0][1] = win[0][0] + (64ULL << 20);
	win[1][0] = (rg.sp & ~(PG - 1)) - (1ULL << 20);
	win[1][1] = (rg.sp & ~(PG - 1)) + (1ULL << 20);
	print_message("shim: served task pc %#llx sp %#llx\n", (unsigned long long)rg.pc,
		      (unsigned long long)rg.sp);
	for (int w = 0; w < 2; w++)
		for (uint64_t va = win[w][0]; va < win[w][1] && va < RC_VA_LIMIT; va += PG) {
			uint64_t st = os_rc(RC_FN_IPC_OUT, a->live, va, buf_pa, PG, NULL);

			a->ipc_range += st == RC_ERROR_RANGE;
			if (st != RC_SUCCESS)
				continue;
			a->ipc_pages++;
			if (host_mem_read(buf_pa, page, PG) == 0 && has_secret(page, PG, 0))
				a->ipc_found++;
		}
	/* and rc_copy_page over its code page (a page the task has run with: not fresh) */
	memset(page, 0, PG);
	if (host_mem_write(buf_pa, page, PG) == 0)
		a->copy_text = os_rc(RC_FN_COPY_PAGE, a->live, rg.pc & ~(PG - 1), buf_pa, 0, NULL);
	plat_counters_snapshot(c1);
	a->refused = c1[PLAT_CNT_RC_REFUSED] - c0[PLAT_CNT_RC_REFUSED];
}

/*
 * The compromised OS, on its own thread with the OS-GPT current, while the
 * container's shell holds the secret and sleeps in read().
 */
static void os_attack(void *arg, const struct shim_os_view *v)
{
	struct os_attack *a = arg;
	struct monitor_rc_stats ms;
	struct smc_regs r;
	uint64_t base = plat_dram_base(), size = plat_dram_size(), os_pa, bshim = 0, btask = 0,
		 bpool = 0, junk = 0xA5A5A5A5A5A5A5A5ULL;

	monitor_rc_get_stats(&ms);
	a->current = ms.current;
	/* its con-shim: NS in its own shim-GPT, NO_ACCESS in the OS-GPT */
	a->cs = calloc(size / PG, sizeof(*a->cs));
	os_pa = host_granules_alloc(2, PG);
	if (!a->cs || !os_pa) {
		snprintf(a->why, sizeof(a->why), "out of memory");
		goto out;
	}
	for (uint64_t pa = base; pa < base + size; pa += PG)
		if (monitor_rc_read_gpi(v->shim_gpt, pa) == GPI_NS &&
		    monitor_rc_read_gpi(RC_GPT_OS, pa) == GPI_NO_ACCESS)
			a->cs[a->ncs++] = pa;
	/* 1. direct loads and stores: granule protection faults, nothing moves */
	for (size_t i = 0; i < a->ncs; i++) {
		struct plat_fault f;
		uint8_t b[64];

		if (plat_read(PAS_NS, a->cs[i], b, sizeof(b), &f) == 0)
			a->read_ok++;
		else if (f.kind == PLAT_FAULT_GPF && f.fsc == 0x28)
			a->read_gpf++;
		else
			a->other_fault++;
		if (plat_write_u64(PAS_NS, a->cs[i], junk, &f) == 0)
			a->write_ok++;
		else if (f.kind == PLAT_FAULT_GPF)
			a->write_gpf++;
		else
			a->other_fault++;
	}
	scan_dram(&a->sc, "shim (OS-GPT)");
	/* 2. the tasks it knows: which is served (the shell), which has ended */
	for (unsigned i = 0; i < v->ntasks; i++) {
		uint64_t st = os_rc(RC_FN_TASK_REGS, v->tasks[i], os_pa, RC_REGS_GET, 0, NULL);

		if (st == RC_SUCCESS && !a->live)
			a->live = v->tasks[i];
		else if (st == RC_ERROR_STATE && !a->dead)
			a->dead = v->tasks[i];
	}
	if (!a->live || !a->ncs || !os_container_b(&bshim, &btask, &bpool)) {
		snprintf(a->why, sizeof(a->why),
			 "no served task (%u known), %zu con-shim granules, "
			 "container B %s",
			 v->ntasks, a->ncs, btask ? "made" : "not made");
		goto out_b;
	}
	/* 3. the mini-OS's checks: another container's granules, copies, callers */
	for (size_t i = 0; i < a->ncs; i++) {
		uint64_t st = os_rc(RC_FN_SET_PTE, btask, VA_B + PG, a->cs[i], RC_PROT_R, NULL);

		a->pte_a_in_b_ok += st == RC_SUCCESS;
		a->pte_a_in_b_owner += st == RC_ERROR_OWNER;
		st = os_rc(RC_FN_SET_IOPTE, 0, 0x1000, a->cs[i], RC_PROT_R | RC_PROT_W, NULL);
		a->dma_ok += st == RC_SUCCESS;
		a->dma_owner += st == RC_ERROR_OWNER;
	}
	a->pte_b_in_a =
		os_rc(RC_FN_SET_PTE, a->live, RC_VA_LIMIT - 64 * PG, bpool, RC_PROT_R, NULL);
	a->ipc_in_from_a = os_rc(RC_FN_IPC_IN, btask, VA_B, a->cs[0], 64, NULL);
	a->ipc_out_to_a = os_rc(RC_FN_IPC_OUT, btask, VA_B, a->cs[0], 64, NULL);
	a->copy_from_a = os_rc(RC_FN_COPY_PAGE, btask, VA_B, a->cs[0], 0, NULL);
	a->donate_a = os_rc(RC_FN_MALLOC_MM, bshim, a->cs[0], 1, RC_MM_DONATE, NULL);
	a->reclaim_a_via_b = os_rc(RC_FN_MALLOC_MM, bshim, a->cs[0], 1, RC_MM_RECLAIM, NULL);
	a->dead_copy = a->dead ? os_rc(RC_FN_COPY_PAGE, a->dead, VA_B, os_pa, 0, NULL) : ~0ULL;
	a->dead_ipc = a->dead ? os_rc(RC_FN_IPC_OUT, a->dead, VA_B, os_pa + PG, 8, NULL) : ~0ULL;
	a->forged_ipc = os_rc(RC_FN_IPC_OUT, a->live + (1ULL << 16), VA_B, os_pa + PG, 8, NULL);
	a->depriv_from_os = os_rc(RC_FN_SWITCH_TO_DEPRIV, a->live, 0, 0, 0, NULL);
	a->delegate_a = host_rmi(SMC_RMI_GRANULE_DELEGATE, a->cs[0], 0, 0, 0, 0, 0, NULL);
	/* DMA to its own memory works (the control), then goes */
	a->dma_os = os_rc(RC_FN_SET_IOPTE, 0, 0x1000, os_pa + PG, RC_PROT_R | RC_PROT_W, NULL);
	a->dma_unmap = os_rc(RC_FN_SET_IOPTE, 0, 0x1000, RC_PTE_UNMAP, 0, NULL);
	/* 4. the served task's memory outside its pending call: refused */
	if (os_rc(RC_FN_TASK_REGS, a->live, os_pa, RC_REGS_GET, 0, NULL) == RC_SUCCESS)
		os_ipc_sweep(a, os_pa, os_pa + PG);
out_b:
	if (bshim) {
		if (btask)
			os_rc(RC_FN_DESTROY_CONTAINER, bshim, 0, 0, 0, NULL);
		if (os_rc(RC_FN_DESTROY_SHIM, bshim, 0, 0, 0, &r) != RC_SUCCESS && !a->why[0])
			snprintf(a->why, sizeof(a->why), "container B not destroyed");
	}
	if (bpool)
		host_granules_free(bpool, 8);
	host_granules_free(os_pa, 2);
out:
	pthread_mutex_lock(&a->mu);
	a->done = true;
	pthread_cond_signal(&a->cv);
	pthread_mutex_unlock(&a->mu);
}

/*
 * A compromised deprivileged OS (shim mode, RContainer's threat model)
 * while a container holds a secret: its direct loads and stores of the
 * con-shim fault (GPF), a scan of everything it can read finds no secret,
 * and the mini-OS refuses it another container's granules in a PTE, copies
 * through a task that has ended or a forged handle, the con-shim's own
 * call, DMA to the con-shim, and handing con-shim granules to container B
 * or to a realm. The container then prints its secret whole, and after the
 * run its granules are back with the OS, scrubbed. The control: before the
 * attack the secret is found in the process's own memory (the emulated
 * DRAM), so the OS's empty scan is the GPC's doing.
 *
 * The OS's copies are bounded by the served task's pending call, as the
 * realm RMM's verification bounds the System Realm's (docs/security.md):
 * rc_ipc_out of any page of the shell, which sleeps in read(), is refused
 * (RC_ERROR_RANGE, counted), so the secret is found nowhere; rc_copy_page
 * over its code (a page it has run with) is refused too.
 */
static void test_shim_compromised_os(void **state)
{
	struct run r = {.iso = RB_ISOLATION_SHIM};
	struct os_attack a;
	uint64_t left = 0, back = 0, in_process;
	struct timespec t0, t1;
	pthread_t th;

	assert_true(have_rootfs);
	memset(&a, 0, sizeof(a));
	pthread_mutex_init(&a.mu, NULL);
	pthread_cond_init(&a.cv, NULL);
	start(&r, &th);
	/*
	 * The control: the secret is in memory now (the emulated DRAM is this
	 * process's), so the OS's scan finding none of it means the GPC kept
	 * it out, not that there was nothing to find.
	 */
	in_process = scan_own_memory();
	print_message("shim: secret found %llu times in the process's memory (emulated DRAM)\n",
		      (unsigned long long)in_process);
	assert_true(in_process >= 1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	shim_test_at_idle(os_attack, &a);
	pthread_mutex_lock(&a.mu);
	while (!a.done)
		pthread_cond_wait(&a.cv, &a.mu);
	pthread_mutex_unlock(&a.mu);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	print_message("shim: the OS's attack took %.2f s\n",
		      (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (a.why[0])
		fail_msg("%s", a.why);
	print_message("shim: %zu con-shim granules: %llu read GPFs, %llu write GPFs, %llu read, "
		      "%llu written, %llu other faults\n",
		      a.ncs, (unsigned long long)a.read_gpf, (unsigned long long)a.write_gpf,
		      (unsigned long long)a.read_ok, (unsigned long long)a.write_ok,
		      (unsigned long long)a.other_fault);
	print_message("shim: rc_set_pte into container B: %llu refused (OWNER), %llu mapped; DMA: "
		      "%llu refused, %llu mapped\n",
		      (unsigned long long)a.pte_a_in_b_owner, (unsigned long long)a.pte_a_in_b_ok,
		      (unsigned long long)a.dma_owner, (unsigned long long)a.dma_ok);
	print_message("shim: rc_ipc_out of the served task: %llu pages refused (RANGE), %llu "
		      "copied, secret in %llu; rc_copy_page over its code: status %llu; the "
		      "mini-OS counted %llu refusals\n",
		      (unsigned long long)a.ipc_range, (unsigned long long)a.ipc_pages,
		      (unsigned long long)a.ipc_found, (unsigned long long)a.copy_text,
		      (unsigned long long)a.refused);
	assert_int_equal(a.current, RC_GPT_OS);
	/* 1. the con-shim: only GPFs; nowhere the OS can read holds the secret */
	assert_true(a.ncs > 100);
	assert_int_equal(a.read_ok + a.write_ok + a.other_fault, 0);
	assert_int_equal(a.read_gpf, a.ncs);
	assert_int_equal(a.write_gpf, a.ncs);
	assert_int_equal(a.sc.found, 0);
	assert_int_equal(a.sc.wrote, 0);
	assert_true(a.sc.gpf_read >= a.ncs);
	/* 3. every rc_* abuse refused, with the reason */
	assert_int_equal(a.pte_a_in_b_ok, 0);
	assert_int_equal(a.pte_a_in_b_owner, a.ncs);
	assert_int_equal(a.dma_ok, 0);
	assert_int_equal(a.dma_owner, a.ncs);
	assert_int_equal(a.pte_b_in_a, RC_ERROR_OWNER);
	assert_int_equal(a.ipc_in_from_a, RC_ERROR_OWNER);
	assert_int_equal(a.ipc_out_to_a, RC_ERROR_OWNER);
	assert_int_equal(a.copy_from_a, RC_ERROR_OWNER);
	assert_int_equal(a.donate_a, RC_ERROR_OWNER);
	assert_int_equal(a.reclaim_a_via_b, RC_ERROR_OWNER);
	assert_true(a.dead != 0); /* the $(echo 4242) subshell's task */
	assert_int_equal(a.dead_copy, RC_ERROR_STATE);
	assert_int_equal(a.dead_ipc, RC_ERROR_STATE);
	assert_int_equal(a.forged_ipc, RC_ERROR_STATE);
	assert_int_equal(a.depriv_from_os, RC_ERROR_CALLER);
	assert_int_not_equal(a.delegate_a, RMI_SUCCESS);
	assert_int_equal(a.dma_os, RC_SUCCESS);
	assert_int_equal(a.dma_unmap, RC_SUCCESS);
	/* 4. the served task's pages outside its call: refused, the secret nowhere */
	assert_true(a.ipc_range > 16); /* its code, data, heap and stack pages at least */
	assert_int_equal(a.ipc_pages, 0);
	assert_int_equal(a.ipc_found, 0);
	assert_int_equal(a.copy_text, RC_ERROR_RANGE);
	assert_int_equal(a.refused, a.ipc_range + 1);
	/* a device under the OS's control (the SMMU checks against the OS-GPT) */
	dma_attack("shim");
	/* the container did not notice */
	reveal(&r);
	finish(&r, th);
	/* its granules are the OS's again, and scrubbed */
	for (size_t i = 0; i < a.ncs; i++) {
		uint8_t b[PG];

		if (plat_read(PAS_NS, a.cs[i], b, PG, NULL) != 0) {
			left++;
			continue;
		}
		back++;
		assert_false(has_secret(b, PG, 0));
	}
	assert_int_equal(left, 0);
	assert_int_equal(back, a.ncs);
	free(a.cs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_realm_host_reads_and_writes_all_dram),
		cmocka_unit_test(test_none_host_finds_the_secret),
		cmocka_unit_test(test_realm_lying_file_server),
		cmocka_unit_test(test_realm_compromised_system_realm),
		cmocka_unit_test(test_realm_host_call_names_container),
		cmocka_unit_test(test_realm_host_abuses_rmi),
		cmocka_unit_test(test_shim_compromised_os),
	};

	/* RB_TEST_FILTER=test_shim_* runs only those (cmocka's pattern) */
	if (getenv("RB_TEST_FILTER"))
		cmocka_set_test_filter(getenv("RB_TEST_FILTER"));

	return cmocka_run_group_tests(tests, setup, NULL);
}
