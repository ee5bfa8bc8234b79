/*
 * The System Realm's kernel (realm deployment, DESIGN.md §3): a native
 * guest (plat/emu/native_guest.h) that runs the library OS with the realm
 * PAL (libos/pal_realm.c). It reaches the RMM only through SMCs and its
 * memory only through stage 2: at boot it maps its own DATA (host-call
 * struct, register block, bounce buffer, kernel memory) and the NS buffer
 * once with native_guest_map, like TLB fills; a container's channels when
 * the host adds it (PRH_CMD_ADD_CT: its description checked, a region of
 * the kernel memory carved for it, freed again at PRH_CMD_DROP_CT).
 *
 * Life: boot, then pal_realm_run: idle host calls; the host answers SERVE
 * with the channels whose container RECs forwarded a request. The first
 * request is REC 0's START: the kernel reads the measured start
 * configuration (READ_CONFIG), fetches the manifest from the host
 * (untrusted) and accepts it only if its SHA-256 equals the digest in that
 * configuration, then starts the library OS. Every later request goes to
 * the library OS on its REC's kernel thread: a ucontext on a stack in the
 * kernel's own memory, switched on the System Realm's one vCPU.
 */
#include "deploy/realm.h"
#include "deploy/realm_host.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>

#include "deploy/deploy_common.h"
#include "lib/hash.h"
#include "libos/libos.h"
#include "libos/pal_realm.h"
#include "plat/emu/native_guest.h"
#include "plat/plat.h"

#define PG 4096ULL

static struct realm_sys_stats sys_stats;

/*
 * The kernel's memory [base, base + size): each container slot has a
 * region of it (its stage, meta, kernel-thread stacks, start configuration,
 * manifest, and the rest its library OS heap), bump-allocated; a dropped
 * container's region is free again.
 */
static struct {
	uint8_t *base;
	size_t size;
	struct {
		bool live;
		size_t off, size, used;
	} slot[PAL_REALM_MAX_CTS];
} kmem;

/* How each container's start went (realm_sys_start_result). */
static struct {
	int error;
	char msg[256];
	uint32_t winsize; /* its console's size at start (rsys_add_ct.winsize), 0: none */
} ct_start[PAL_REALM_MAX_CTS];

/* n bytes (64-aligned) of container slot c's region, or NULL. */
static void *bump_in(unsigned c, size_t n)
{
	n = (n + 63) & ~(size_t)63;
	if (c >= PAL_REALM_MAX_CTS || !kmem.slot[c].live ||
	    n > kmem.slot[c].size - kmem.slot[c].used)
		return NULL;
	void *p = kmem.base + kmem.slot[c].off + kmem.slot[c].used;
	kmem.slot[c].used += n;
	return p;
}

/* From the region of the container being served. */
static void *bump(size_t n)
{
	return bump_in(pal_realm_current_ct(), n);
}

/* ---- what a realm has architecturally: SMC, the counter, RNDR ---- */

static void real_smc(void *guest, uint64_t x[11])
{
	struct smc_regs r;

	memset(&r, 0, sizeof(r));
	memcpy(r.x, x, 11 * sizeof(uint64_t));
	native_guest_smc(guest, &r);
	memcpy(x, r.x, 11 * sizeof(uint64_t));
}

/* The attack tests' compromised System Realm (realm_test_sys_smc_hook), or NULL. */
static realm_test_smc_hook sys_smc_hook;

void realm_test_sys_smc_hook(realm_test_smc_hook hook)
{
	sys_smc_hook = hook;
}

static void k_smc(void *guest, uint64_t x[11])
{
	realm_test_smc_hook hook = sys_smc_hook;

	if (hook != NULL)
		hook(guest, x, real_smc);
	else
		real_smc(guest, x);
}

static uint64_t k_counter_ns(void *guest, int clock)
{
	struct timespec ts;

	/* CNTVCT_EL0 (and the wall-clock offset the host gave every realm): the host clock here */
	clock_gettime(clock == PAL_CLOCK_REALTIME ? CLOCK_REALTIME : CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void k_relax(void *guest)
{
	(void)guest;
	plat_cpu_relax(); /* YIELD */
}

static void k_rndr(void *guest, void *buf, size_t len)
{
	(void)guest;
	deploy_random(buf, len); /* RNDR: the host's entropy in the emulation */
}

/* ---- kernel threads: one context per container REC, 0 = the boot context ---- */

#define KT_STACK (256u << 10)

#define KT_N (PAL_REALM_MAX_CTS * PAL_REALM_MAX_RECS + 1)

static struct {
	ucontext_t ctx[KT_N];
	uint8_t *stack[KT_N];
	size_t size[KT_N];
	void (*entry[KT_N])(void);
} kt;

/* Each live slot's channel window [base, top) (System Realm IPAs). */
static uint64_t kt_chan_base[PAL_REALM_MAX_CTS], kt_chan_top[PAL_REALM_MAX_CTS];

static void kt_trampoline(unsigned id)
{
	native_guest_fiber_entered();
	kt.entry[id]();
}

static void k_kt_start(void *guest, unsigned id, void (*entry)(void))
{
	(void)guest;
	if (id == 0 || id >= KT_N || !kt.stack[id])
		return;
	getcontext(&kt.ctx[id]);
	kt.ctx[id].uc_stack.ss_sp = kt.stack[id];
	kt.ctx[id].uc_stack.ss_size = kt.size[id];
	kt.ctx[id].uc_link = NULL;
	kt.entry[id] = entry;
	makecontext(&kt.ctx[id], (void (*)(void))kt_trampoline, 1, id);
}

static void k_kt_switch(void *guest, unsigned from, unsigned to)
{
	if (from >= KT_N || to >= KT_N)
		return;
	native_guest_fiber_switch(guest, &kt.ctx[from], &kt.ctx[to], kt.stack[to], kt.size[to]);
}

static void klog(const char *fmt, const char *arg)
{
	(void)fmt;
	(void)arg;
}

/* ---- START: configuration, manifest, library OS ---- */

static const char *take_str(const uint8_t **p, const uint8_t *end)
{
	const uint8_t *z = memchr(*p, 0, (size_t)(end - *p));
	const char *s = (const char *)*p;

	if (!z)
		return NULL;
	*p = z + 1;
	return s;
}

static struct {
	struct native_guest *g;
	size_t ns_size;
	uint8_t *ns;
} K;

static int fetch_manifest(uint8_t **out, size_t *outlen)
{
	uint64_t a[2] = {0, K.ns_size}, r[RSI_HOST_CALL_NR_GPRS];
	int64_t got = (int64_t)pal_realm_host_call(PRH_MANIFEST, a, 2, r);
	uint64_t total = r[1];

	if (got < 0 || total == 0 || total > (256ULL << 20))
		return -EIO;
	uint8_t *buf = bump(total + 1);
	if (!buf)
		return -ENOMEM;
	uint64_t off = 0;
	for (;;) {
		if ((uint64_t)got > K.ns_size || off + (uint64_t)got > total)
			return -EIO;
		memcpy(buf + off, K.ns, (size_t)got);
		off += (uint64_t)got;
		if (off == total)
			break;
		if (got == 0)
			return -EIO;
		a[0] = off;
		a[1] = total - off < K.ns_size ? total - off : K.ns_size;
		got = (int64_t)pal_realm_host_call(PRH_MANIFEST, a, 2, r);
		if (got < 0 || r[1] != total)
			return -EIO;
	}
	buf[total] = 0;
	*out = buf;
	*outlen = total;
	return 0;
}

static uint64_t get_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* The canonical serialization of host/manifest.h, version 1. */
static int parse_manifest(const uint8_t *buf, size_t len, struct libos_mf_entry **out, size_t *n)
{
	const uint8_t *p = buf, *end = buf + len;
	const char *magic = take_str(&p, end);

	if (!magic || strcmp(magic, "realmbox-manifest-v1") != 0 || end - p < 8)
		return -EIO;
	uint64_t cnt = get_le(p, 8);
	p += 8;
	if (cnt > len / 50 + 1)
		return -EIO;
	struct libos_mf_entry *e = bump(sizeof(*e) * (size_t)(cnt ? cnt : 1));
	if (!e)
		return -ENOMEM;
	for (uint64_t i = 0; i < cnt; i++) {
		const char *path = take_str(&p, end);

		if (!path || end - p < 1 + 4 + 4 + 4 + 8 + 32)
			return -EIO;
		e[i].path = path;
		unsigned type = p[0];
		e[i].type = type == 1 ? LIBOS_MF_DIR : type == 2 ? LIBOS_MF_SYMLINK : LIBOS_MF_FILE;
		e[i].mode = (uint32_t)get_le(p + 1, 4);
		e[i].uid = (uint32_t)get_le(p + 5, 4);
		e[i].gid = (uint32_t)get_le(p + 9, 4);
		e[i].size = get_le(p + 13, 8);
		memcpy(e[i].sha256, p + 21, 32);
		e[i].mtime_sec = 0; /* not measured */
		p += 53;
		const char *lt = take_str(&p, end);
		if (!lt)
			return -EIO;
		e[i].link_target = type == 2 ? lt : NULL;
		if (i && strcmp(e[i - 1].path, path) >= 0)
			return -EIO; /* not sorted: the library OS binary-searches */
	}
	*out = e;
	*n = (size_t)cnt;
	return 0;
}

static int start_libos(const struct pal_ops *ops)
{
	struct rb_start_hdr h;
	unsigned c = pal_realm_current_ct();
	char *msg = ct_start[c].msg;
	size_t msgl = sizeof(ct_start[c].msg);
	uint64_t config_size = pal_realm_config_size();

	if (config_size < sizeof(h) || pal_realm_read_config(0, &h, sizeof(h)) != 0 ||
	    memcmp(h.magic, RB_START_MAGIC, 16) != 0 || h.size < sizeof(h) ||
	    h.size > config_size) {
		snprintf(msg, msgl, "bad start configuration");
		return -EINVAL;
	}
	uint8_t *cfg = bump(h.size + 1);
	if (!cfg || pal_realm_read_config(0, cfg, h.size) != 0) {
		snprintf(msg, msgl, "cannot read the start configuration");
		return -ENOMEM;
	}
	cfg[h.size] = 0;
	const uint8_t *p = cfg + sizeof(h), *end = cfg + h.size;
	if (h.n_groups > 64 || h.n_rlimits > 16 || h.n_args == 0 || h.n_args > 4096 ||
	    h.n_env > 4096 ||
	    (size_t)(end - p) < h.n_groups * 4 + h.n_rlimits * sizeof(struct rb_start_rlimit)) {
		snprintf(msg, msgl, "bad start configuration");
		return -EINVAL;
	}
	uint32_t *groups = bump(4 * (h.n_groups + 1));
	struct libos_rlimit *rl = bump(sizeof(*rl) * (h.n_rlimits + 1));
	char **args = bump(sizeof(char *) * (h.n_args + 1));
	char **env = bump(sizeof(char *) * (h.n_env + 1));
	if (!groups || !rl || !args || !env)
		return -ENOMEM;
	memcpy(groups, p, 4 * h.n_groups);
	p += 4 * h.n_groups;
	for (unsigned i = 0; i < h.n_rlimits; i++) {
		struct rb_start_rlimit r;
		memcpy(&r, p, sizeof(r));
		p += sizeof(r);
		rl[i].resource = (int)r.resource;
		rl[i].soft = r.soft;
		rl[i].hard = r.hard;
	}
	for (unsigned i = 0; i < h.n_args; i++)
		if (!(args[i] = (char *)take_str(&p, end)))
			return -EINVAL;
	args[h.n_args] = NULL;
	for (unsigned i = 0; i < h.n_env; i++)
		if (!(env[i] = (char *)take_str(&p, end)))
			return -EINVAL;
	env[h.n_env] = NULL;
	const char *cwd = take_str(&p, end), *hostname = take_str(&p, end);
	if (!cwd || !hostname) {
		snprintf(msg, msgl, "bad start configuration");
		return -EINVAL;
	}
	struct rb_start_res res = {0};
	if (h.flags & RB_START_RESOURCES) {
		if ((size_t)(end - p) < sizeof(res)) {
			snprintf(msg, msgl, "bad start configuration: resources truncated");
			return -EINVAL;
		}
		memcpy(&res, p, sizeof(res));
		p += sizeof(res);
	}

	/* The manifest from the untrusted host, accepted only if it is the measured one. */
	uint8_t *mfb, dg[32];
	size_t mfl, mfn;
	struct libos_mf_entry *ents;
	int r = fetch_manifest(&mfb, &mfl);
	if (r) {
		snprintf(msg, msgl, "cannot fetch the manifest from the host");
		return r;
	}
	hash_buf(HASH_SHA256, mfb, mfl, dg);
	if (memcmp(dg, h.manifest_digest, 32) != 0) {
		snprintf(msg, msgl, "the host's manifest does not match the measured digest");
		return -EIO;
	}
	r = parse_manifest(mfb, mfl, &ents, &mfn);
	if (r) {
		snprintf(msg, msgl, "malformed manifest");
		return r;
	}
	/* mtimes: not measured, so only display metadata from the host (0 if it says nothing) */
	for (size_t i = 0; i < mfn;) {
		uint64_t a[2] = {i, mfn - i};
		uint64_t got = pal_realm_host_call(PRH_MTIMES, a, 2, NULL);
		if (got == 0 || got > mfn - i || got * 8 > K.ns_size)
			break;
		for (uint64_t k = 0; k < got; k++)
			memcpy(&ents[i + k].mtime_sec, K.ns + 8 * k, 8);
		i += got;
	}

	pal_realm_allow_exec((h.flags & RB_START_RUNTIME_EXEC) != 0);
	pal_realm_allow_attest((h.flags & RB_START_RUNTIME_ATTEST) != 0);
	struct libos_config lc = {
		.args = args,
		.env = env,
		.cwd = cwd,
		.hostname = hostname,
		.uid = h.uid,
		.gid = h.gid,
		.umask = h.umask,
		.rootfs_readonly = (h.flags & RB_START_ROOTFS_RO) != 0,
		.terminal = (h.flags & RB_START_TERMINAL) != 0,
		.rlimits = rl,
		.n_rlimits = h.n_rlimits,
		.groups = groups,
		.n_groups = h.n_groups,
		.mf = ents,
		.mf_n = mfn,
		.mem_limit_pages = res.mem_limit_pages,
		.pids_limit = res.pids_limit,
		/*
		 * Executable pages present at a process's first instruction, so
		 * the A64 engine's shared translation can keep the code its vCPU
		 * compiled for the same bytes (libos.h); a fixed policy of this
		 * kernel, not a measured setting.
		 */
		.populate_text = true,
	};
	/* the rest of the container's region, page-aligned */
	kmem.slot[c].used = (kmem.slot[c].used + PG - 1) & ~(size_t)(PG - 1);
	size_t heap = (kmem.slot[c].size - kmem.slot[c].used) & ~(size_t)(PG - 1);
	uint8_t *hp = bump(heap);
	if (!hp || heap < (8u << 20)) {
		snprintf(msg, msgl, "System Realm memory too small for the library OS");
		return -ENOMEM;
	}
	r = libos_init(ops, hp, heap, &lc);
	if (r) {
		snprintf(msg, msgl, "library OS init failed: %d", r);
		return r;
	}
	/* the host's terminal size before init's first instruction (checked at add_ct) */
	if (lc.terminal && ct_start[c].winsize != 0)
		libos_winsize(0, ct_start[c].winsize >> 16, ct_start[c].winsize & 0xffff);
	return libos_start(msg, msgl);
}

/* START of REC 0 (pal_realm_run calls it on REC 0's kernel thread). */
static int do_start(void *arg)
{
	int r = start_libos(arg);

	ct_start[pal_realm_current_ct()].error = r;
	return r;
}

/* Refuse an add: the reason for the host's log (realm_sys_start_result), the error. */
static int add_refused(unsigned c, int err, const char *why)
{
	snprintf(ct_start[c].msg, sizeof(ct_start[c].msg), "container slot %u refused: %s", c, why);
	ct_start[c].error = err;
	return err;
}

/*
 * PRH_CMD_ADD_CT (pal_realm_hooks.add_ct): the host's description of slot
 * c's Container Realm, copied out of the NS buffer and checked field by
 * field; then its channels mapped and its region carved.
 */
static int add_ct(void *arg, unsigned c, uint64_t len, struct pal_realm_env *env)
{
	struct rsys_add_ct d;
	size_t meta, need, best = SIZE_MAX, at = 0;

	(void)arg;
	memset(&ct_start[c], 0, sizeof(ct_start[c]));
	if (len != sizeof(d) || len > K.ns_size)
		return add_refused(c, -EINVAL, "bad description length");
	memcpy(&d, K.ns, sizeof(d)); /* once: the host may change the buffer meanwhile */
	if (d.nrecs == 0 || d.nrecs > PAL_REALM_MAX_RECS)
		return add_refused(c, -EINVAL, "REC count out of range");
	if (d.winsize >> 32)
		return add_refused(c, -EINVAL,
				   "console size out of range (rows and columns 0..65535)");
	if ((d.chan_ipa & (PG - 1)) || d.chan_ipa < RSYS_CHAN_IPA ||
	    d.chan_ipa >= RSYS_BOUNCE_IPA || d.nrecs * PG > RSYS_BOUNCE_IPA - d.chan_ipa)
		return add_refused(c, -EINVAL, "channel IPAs outside the channel window");
	for (unsigned o = 0; o < PAL_REALM_MAX_CTS; o++) {
		if (o == c || !kmem.slot[o].live)
			continue;
		if (d.chan_ipa < kt_chan_top[o] && kt_chan_base[o] < d.chan_ipa + d.nrecs * PG)
			return add_refused(c, -EINVAL, "channel IPAs overlap another container's");
	}
	if ((d.pool_ipa & (PG - 1)) || d.pool_ipa >= (1ULL << 39) || d.pool_n == 0 ||
	    d.pool_max < d.pool_n || d.pool_max >= (1ULL << 31) ||
	    d.pool_max * PG > (1ULL << 39) - d.pool_ipa)
		return add_refused(c, -EINVAL, "pool out of range");
	meta = pal_realm_meta_size((size_t)d.pool_max);
	/* stage, meta, stacks and at least 8 MiB of library OS heap */
	need = 256 * PG + ((meta + PG - 1) & ~(size_t)(PG - 1)) + d.nrecs * KT_STACK + (8u << 20);
	if ((d.mem_size & (PG - 1)) || d.mem_size < need || d.mem_size > kmem.size)
		return add_refused(c, -EINVAL,
				   "memory size too small, too large or not page-aligned");
	/* the smallest free gap of System Realm memory it fits in */
	for (unsigned o = 0; o <= PAL_REALM_MAX_CTS; o++) {
		size_t lo = o == PAL_REALM_MAX_CTS ? 0 : kmem.slot[o].off + kmem.slot[o].size,
		       hi = kmem.size;

		if (o < PAL_REALM_MAX_CTS && !kmem.slot[o].live)
			continue;
		for (unsigned q = 0; q < PAL_REALM_MAX_CTS; q++)
			if (kmem.slot[q].live && kmem.slot[q].off >= lo && kmem.slot[q].off < hi)
				hi = kmem.slot[q].off;
		if (hi - lo >= d.mem_size && hi - lo < best) {
			best = hi - lo;
			at = lo;
		}
	}
	if (best == SIZE_MAX)
		return add_refused(c, -ENOMEM, "no room left in System Realm memory");
	env->nrecs = (unsigned)d.nrecs;
	for (unsigned k = 0; k < env->nrecs; k++) {
		env->chan_ipa[k] = d.chan_ipa + k * PG;
		env->chan[k] = native_guest_map(K.g, env->chan_ipa[k], PG, false);
		if (!env->chan[k])
			return add_refused(c, -EINVAL, "a channel is not there");
	}
	kmem.slot[c].live = true;
	kmem.slot[c].off = at;
	kmem.slot[c].size = (size_t)d.mem_size;
	kmem.slot[c].used = 0;
	kt_chan_base[c] = d.chan_ipa;
	kt_chan_top[c] = d.chan_ipa + d.nrecs * PG;
	ct_start[c].winsize = (uint32_t)d.winsize;
	env->pool_ipa = d.pool_ipa;
	env->pool_n = (size_t)d.pool_n;
	env->pool_max = (size_t)d.pool_max;
	/* page-aligned staging pages (IPA = RSYS_MEM_IPA + offset), then meta, then stacks */
	env->stage_n = 256;
	env->stage = bump_in(c, env->stage_n * PG);
	env->stage_ipa = RSYS_MEM_IPA + (uint64_t)(env->stage - kmem.base);
	env->meta_size = meta;
	env->meta = bump_in(c, meta);
	for (unsigned k = 0; k < env->nrecs; k++) {
		unsigned id = c * PAL_REALM_MAX_RECS + k + 1;

		kt.stack[id] = bump_in(c, KT_STACK);
		kt.size[id] = KT_STACK;
	}
	return 0; /* `need` guaranteed room for all of it */
}

/* pal_realm_hooks.drop_ct: slot c's region and stacks are free again. */
static void drop_ct(void *arg, unsigned c)
{
	(void)arg;
	if (c >= PAL_REALM_MAX_CTS)
		return;
	kmem.slot[c].live = false;
	for (unsigned k = 0; k < PAL_REALM_MAX_RECS; k++) {
		kt.stack[c * PAL_REALM_MAX_RECS + k + 1] = NULL;
		kt.size[c * PAL_REALM_MAX_RECS + k + 1] = 0;
	}
}

static void sys_kernel(struct native_guest *g, const uint64_t gprs[8])
{
	struct pal_realm_env env;
	struct pal_ops ops;
	uint64_t mem_size = gprs[RSYS_GPR_MEM_SIZE];

	memset(&sys_stats, 0, sizeof(sys_stats));
	memset(ct_start, 0, sizeof(ct_start));
	memset(&env, 0, sizeof(env));
	K.g = g;
	K.ns_size = gprs[RSYS_GPR_NS_SIZE];
	env.guest = g;
	env.smc = k_smc;
	env.counter_ns = k_counter_ns;
	env.rndr = k_rndr;
	env.relax = k_relax;
	env.kt_start = k_kt_start;
	env.kt_switch = k_kt_switch;
	env.nrecs = 0; /* containers come with PRH_CMD_ADD_CT */
	env.hc_ipa = RSYS_HC_IPA;
	env.hc = native_guest_map(g, RSYS_HC_IPA, PG, true);
	env.regs_ipa = RSYS_REGS_IPA;
	env.regs = native_guest_map(g, RSYS_REGS_IPA, PG, true);
	env.bounce_ipa = RSYS_BOUNCE_IPA;
	env.bounce = native_guest_map(g, RSYS_BOUNCE_IPA, RB_COPY_MAX, true);
	env.ns_ipa = RSYS_NS_IPA;
	env.ns = native_guest_map(g, RSYS_NS_IPA, K.ns_size, true);
	env.ns_size = K.ns_size;
	env.hwcap = plat_a64_hwcap();
	env.hwcap2 = plat_a64_hwcap2();
	K.ns = env.ns;
	memset(&kmem, 0, sizeof(kmem));
	kmem.base = native_guest_map(g, RSYS_MEM_IPA, mem_size, true);
	kmem.size = kmem.base ? mem_size : 0;
	memset(&kt, 0, sizeof(kt));
	memset(kt_chan_base, 0, sizeof(kt_chan_base));
	memset(kt_chan_top, 0, sizeof(kt_chan_top));
	native_guest_stack(g, (void **)&kt.stack[0], &kt.size[0]);
	bool ok = kmem.base && env.hc && env.regs && env.bounce && env.ns &&
		  pal_realm_init(&env, &ops) == 0;
	if (!ok) {
		/* Without our own memory there is nothing to serve: say so at every request. */
		struct rsi_host_call hc;
		for (unsigned c = 0; c < PAL_REALM_MAX_CTS; c++) {
			snprintf(ct_start[c].msg, sizeof(ct_start[c].msg),
				 "System Realm kernel: cannot map its memory");
			ct_start[c].error = -ENOMEM;
		}
		for (;;) {
			memset(&hc, 0, sizeof(hc));
			hc.imm = PRH_IDLE;
			native_guest_write(g, RSYS_HC_IPA, &hc, sizeof(hc));
			struct smc_regs r = {.x = {SMC_RSI_HOST_CALL, RSYS_HC_IPA}};
			native_guest_smc(g, &r);
		}
	}
	struct pal_realm_hooks hooks = {do_start, add_ct, drop_ct, &ops};
	pal_realm_run(&hooks);
	struct pal_realm_stats ps;
	pal_realm_get_stats(&ps);
	sys_stats.rsi_calls = ps.rsi_calls;
	sys_stats.host_calls = ps.host_calls;
	sys_stats.copies_in = ps.copies_in;
	sys_stats.copies_out = ps.copies_out;
	sys_stats.bytes_in = ps.bytes_in;
	sys_stats.bytes_out = ps.bytes_out;
	sys_stats.maps = ps.maps;
	sys_stats.unmaps = ps.unmaps;
	sys_stats.protects = ps.protects;
	sys_stats.set_regs = ps.set_regs;
	sys_stats.str_bytes = ps.str_bytes;
	sys_stats.pool_peak = ps.pool_peak;
	sys_stats.forks = ps.forks;
	sys_stats.fork_pages = ps.fork_pages;
	sys_stats.get_regs = ps.get_regs;
	sys_stats.kicks = ps.kicks;
	sys_stats.kt_switches = ps.kt_switches;
	libos_fini();
	(void)klog;
}

int realm_sys_register(void)
{
	static int done;
	int r = 0;

	if (!done) {
		r = plat_native_guest_register(RSYS_PC, sys_kernel);
		if (r == 0 || r == -EEXIST)
			done = 1, r = 0;
	}
	return r;
}

void realm_sys_get_stats(struct realm_sys_stats *st)
{
	*st = sys_stats;
}

int realm_sys_start_result(unsigned ct, char *msg, size_t len)
{
	if (ct >= PAL_REALM_MAX_CTS)
		return -EINVAL;
	if (msg && len)
		snprintf(msg, len, "%s", ct_start[ct].msg);
	return ct_start[ct].error;
}
