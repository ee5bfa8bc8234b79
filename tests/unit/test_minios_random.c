/*
 * A seeded random sequence of rc_* calls from a hostile deprivileged OS,
 * with the GPT checker (minios_test_util.h: mt_check) after every step.
 *
 * A model keeps the con-shims, containers, tasks, who owns each granule of
 * a pool of OS memory, and IO mappings. Each step issues one call whose
 * arguments are drawn from the model (so deep states are reached) or are
 * hostile: another container's granule, mini-OS / Root / Realm memory,
 * stale handles, garbage. The model is an oracle only where the ABI is
 * certain (a granule that is not the caller's never gets mapped, copied
 * from or donated; a dead handle is RC_ERROR_STATE; a donation of free OS
 * granules to a live shim succeeds; the con-shim vector's call from the OS
 * is RC_ERROR_CALLER); otherwise it follows the status. At the end every
 * container and shim is destroyed and every pool granule must be the OS's
 * again, NS in every GPT (but the few the mini-OS's IO page tables hold,
 * donated to its page pool).
 *
 * RB_RC_SEED and RB_RC_STEPS (default 3000) override the run; a failure
 * prints the seed, the step and the call; RB_RC_TRACE=<RC_FN_* number>
 * prints every call of that function with its status. At the end the test
 * fails unless every function but the con-shim vector's succeeded at least
 * once (the sequence must reach what it is about).
 */
#include "minios_test_util.h"

#define POOL 192
#define MAX_TASKS 48
#define VA_BASE 0x400000ULL

static uint64_t rng;

static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static uint64_t rn(uint64_t n)
{
	return n ? rnd() % n : 0;
}

static struct {
	uint64_t pool, frame, buf, seed, step;
	bool container[MT_MAX_SHIMS];
	struct {
		uint64_t handle;
		unsigned k;
		bool live;
	} task[MAX_TASKS];
	uint64_t dead[2][64]; /* destroyed handles: [0] shims, [1] tasks */
	unsigned ndead[2];
	uint64_t io[RC_IO_STREAMS][8]; /* iova page -> pa */
	const char *call;
	uint64_t args[5];
	uint64_t calls[RC_FN_NR], ok[RC_FN_NR];
	uint64_t last_pa[MT_MAX_SHIMS], last_n[MT_MAX_SHIMS]; /* each shim's last donation */
} R;

#define FAILF(...)                                                                                 \
	do {                                                                                       \
		printf("seed %#" PRIx64 " step %" PRIu64 " %s(%#" PRIx64 ", %#" PRIx64            \
		       ", %#" PRIx64 ", %#" PRIx64 ", %#" PRIx64 "): ",                            \
		       R.seed, R.step, R.call, R.args[0], R.args[1], R.args[2], R.args[3],         \
		       R.args[4]);                                                                 \
		fail_msg(__VA_ARGS__);                                                             \
	} while (0)

static uint64_t call(const char *name, uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3,
		     uint64_t a4, uint64_t a5, struct smc_regs *res)
{
	R.call = name;
	uint64_t ret;

	R.args[0] = a1, R.args[1] = a2, R.args[2] = a3, R.args[3] = a4, R.args[4] = a5;
	ret = mt_rc(fn, a1, a2, a3, a4, a5, res);
	if (getenv("RB_RC_TRACE") && fn == strtoull(getenv("RB_RC_TRACE"), NULL, 0))
		printf("%s(%#" PRIx64 ", %#" PRIx64 ", %#" PRIx64 ", %#" PRIx64 ") = %" PRIu64 " owner %u\n",
		       name, a1, a2, a3, a4, ret, plat_pa_in_dram(a3, 1) ? mt.owner[mt_gidx(a3)] : 9999);
	if (fn < RC_FN_NR) {
		R.calls[fn]++;
		R.ok[fn] += ret == RC_SUCCESS;
	}
	return ret;
}

static int live_shim(void)
{
	unsigned n = 0, pick;

	for (unsigned k = 0; k < MT_MAX_SHIMS; k++)
		n += mt.shim[k].live;
	if (!n)
		return -1;
	pick = (unsigned)rn(n);
	for (unsigned k = 0; k < MT_MAX_SHIMS; k++)
		if (mt.shim[k].live && pick-- == 0)
			return (int)k;
	return -1;
}

static int live_task(void)
{
	unsigned n = 0, pick;

	for (unsigned i = 0; i < MAX_TASKS; i++)
		n += R.task[i].live;
	if (!n)
		return -1;
	pick = (unsigned)rn(n);
	for (unsigned i = 0; i < MAX_TASKS; i++)
		if (R.task[i].live && pick-- == 0)
			return (int)i;
	return -1;
}

static void add_task(uint64_t h, unsigned k)
{
	for (unsigned i = 0; i < MAX_TASKS; i++)
		if (!R.task[i].live) {
			R.task[i].handle = h;
			R.task[i].k = k;
			R.task[i].live = true;
			return;
		}
	FAILF("model out of task slots");
}

static void bury(unsigned kind, uint64_t h)
{
	R.dead[kind][R.ndead[kind]++ % 64] = h;
}

/* A destroyed shim (kind 0) or task (1) handle; one never valid if none. */
static uint64_t dead(unsigned kind)
{
	unsigned n = R.ndead[kind] < 64 ? R.ndead[kind] : 64;

	return n ? R.dead[kind][rn(n)] : 0xFFFF;
}

/* A pool granule; with `owner` >= 0 one the model gives that owner (0 if none). */
static uint64_t pool_granule(int owner)
{
	for (int tries = 0; tries < 64; tries++) {
		uint64_t pa = R.pool + rn(POOL) * GRANULE_SIZE;

		if (owner < 0 || mt.owner[mt_gidx(pa)] == owner)
			return pa;
	}
	return 0;
}

/*
 * Something that is not owner k's: another shim's, the mini-OS's, Root,
 * Realm, or (with os) an OS granule.
 */
static uint64_t foreign(unsigned k, bool os)
{
	uint64_t pa, c = rn(5);

	if (c == 4 && !os)
		c = 3;
	switch (c) {
	case 0:
		return mt.base + rn(mt.size >> GRANULE_SHIFT) * GRANULE_SIZE;
	case 1:
		return th_layout.root_base;
	case 2:
		return th_layout.rmm_base + rn(8) * GRANULE_SIZE;
	case 4:
		pa = pool_granule(MT_OS);
		return pa ? pa : th_layout.rmm_base;
	default:
		for (int tries = 0; tries < 64; tries++) {
			pa = R.pool + rn(POOL) * GRANULE_SIZE;
			if (mt.owner[mt_gidx(pa)] != MT_OS && mt.owner[mt_gidx(pa)] != k + 1)
				return pa;
		}
		return mt.base;
	}
}

static bool io_mapped(uint64_t pa)
{
	for (unsigned s = 0; s < RC_IO_STREAMS; s++)
		for (unsigned i = 0; i < 8; i++)
			if (R.io[s][i] == pa)
				return true;
	return false;
}

static void forget_tasks(unsigned k)
{
	for (unsigned i = 0; i < MAX_TASKS; i++)
		if (R.task[i].live && R.task[i].k == k) {
			R.task[i].live = false;
			bury(1, R.task[i].handle);
		}
	R.container[k] = false;
}

static void forget_shim(unsigned k)
{
	mt_forget_shim(k);
	forget_tasks(k);
}

static void expect(bool ok, uint64_t ret, const char *why)
{
	if (ok && ret != RC_SUCCESS)
		FAILF("returned %" PRIu64 ", must succeed (%s)", ret, why);
	if (!ok && ret == RC_SUCCESS)
		FAILF("succeeded, must fail (%s)", why);
}

static void step(void)
{
	struct smc_regs r;
	int k = live_shim(), t = live_task();
	uint64_t ret, pa, va = VA_BASE + rn(8) * GRANULE_SIZE, th = t >= 0 ? R.task[t].handle : 0;

	/* Weights: memory calls more often than the life-cycle calls. */
	static const uint8_t op_of[30] = {0,  1,  2,  3,  4,  5, 6, 7, 8, 9,  10, 11, 12, 13, 14,
					  15, 16, 17, 18, 19, 6, 7, 7, 8, 10, 11, 20, 21, 22, 23};

	switch (op_of[rn(30)]) {
	case 0: /* create a shim */
		ret = call("create_shim", RC_FN_CREATE_SHIM, 0, 0, 0, 0, 0, &r);
		if (ret == RC_SUCCESS)
			mt_adopt_shim(&r);
		else if (ret != RC_ERROR_NOMEM)
			FAILF("create_shim: %" PRIu64, ret);
		break;
	case 1: /* destroy a shim (rarely) or a dead one */
		if (k >= 0 && rn(3) == 0) {
			ret = call("destroy_shim", RC_FN_DESTROY_SHIM, mt.shim[k].handle, 0, 0, 0, 0, NULL);
			expect(!R.container[k], ret, "a shim without a container goes");
			if (ret == RC_SUCCESS) {
				bury(0, mt.shim[k].handle);
				forget_shim((unsigned)k);
			}
		} else {
			ret = call("destroy_shim(dead)", RC_FN_DESTROY_SHIM, dead(0), 0, 0, 0, 0, NULL);
			expect(false, ret, "dead handle");
		}
		break;
	case 2: /* containers come and go */
		if (k < 0)
			break;
		if (!R.container[k] || rn(4)) {
			ret = call("create_container", RC_FN_CREATE_CONTAINER, mt.shim[k].handle,
				   VA_BASE, VA_BASE + 0x100000, 0, 0, &r);
			if (R.container[k])
				expect(false, ret, "one container per shim");
			if (ret == RC_SUCCESS) {
				R.container[k] = true;
				add_task(r.x[1], (unsigned)k);
			}
		} else {
			ret = call("destroy_container", RC_FN_DESTROY_CONTAINER, mt.shim[k].handle, 0, 0,
				   0, 0, NULL);
			expect(true, ret, "live container");
			forget_tasks((unsigned)k); /* its memory stays the shim's, scrubbed */
		}
		break;
	case 3:
	case 4: { /* donate OS granules */
		unsigned n = 1 + (unsigned)rn(8);
		bool os = true;

		if (k < 0)
			break;
		pa = pool_granule(rn(4) ? MT_OS : -1);
		if (!pa || pa + n * GRANULE_SIZE > R.pool + POOL * GRANULE_SIZE)
			break;
		for (unsigned i = 0; i < n; i++)
			os &= mt.owner[mt_gidx(pa) + i] == MT_OS && !io_mapped(pa + i * GRANULE_SIZE);
		ret = call("donate", RC_FN_MALLOC_MM, mt.shim[k].handle, pa, n, RC_MM_DONATE, 0, NULL);
		expect(os, ret, os ? "free OS granules" : "granules not the OS's (or IO-mapped)");
		if (ret == RC_SUCCESS) {
			mt_set_owner(pa, n, (uint16_t)(k + 1));
			R.last_pa[k] = pa;
			R.last_n[k] = n;
		}
		break;
	}
	case 5: /* reclaim */
		if (k < 0)
			break;
		pa = rn(3) ? pool_granule(k + 1) : foreign((unsigned)k, true);
		if (!pa)
			break;
		ret = call("reclaim", RC_FN_MALLOC_MM, mt.shim[k].handle, pa, 1, RC_MM_RECLAIM, 0, NULL);
		if (mt.owner[mt_gidx(pa)] != k + 1 || pa < R.pool)
			expect(false, ret, "not the shim's");
		if (ret == RC_SUCCESS)
			mt_set_owner(pa, 1, MT_OS);
		break;
	case 6: /* an area */
		if (t < 0)
			break;
		ret = call("set_vma", RC_FN_SET_VMA, th, va, (1 + rn(8)) * GRANULE_SIZE,
			   rn(8) | (rn(4) ? RC_VMA_MAP : rn(2) ? RC_VMA_UNMAP : RC_VMA_PROTECT), 0, NULL);
		break;
	case 7:
	case 8: /* a PTE: own granule, or someone else's */
		if (t < 0)
			break;
		if (rn(3)) {
			unsigned kk = R.task[t].k;

			/* Mostly a granule of the last donation: likely still free. */
			pa = rn(4) && R.last_n[kk] ? R.last_pa[kk] + rn(R.last_n[kk]) * GRANULE_SIZE :
						     pool_granule(kk + 1);
			if (!pa || mt.owner[mt_gidx(pa)] != kk + 1)
				break;
			ret = call("set_pte", RC_FN_SET_PTE, th, va, pa, rn(8), 0, NULL);
		} else {
			pa = foreign(R.task[t].k, true);
			ret = call("set_pte(foreign)", RC_FN_SET_PTE, th, va, pa, rn(8), 0, NULL);
			expect(false, ret, "a PTE to a granule of another owner");
		}
		break;
	case 9: /* copy_page */
		if (t < 0)
			break;
		/* often a page just mapped from the pool: only a fresh page may be filled */
		if (rn(2))
			call("set_pte(any)", RC_FN_SET_PTE, th, va, RC_PTE_ANY, RC_PROT_R | RC_PROT_W, 0,
			     NULL);
		pa = rn(3) ? R.buf : foreign(R.task[t].k, false);
		ret = call("copy_page", RC_FN_COPY_PAGE, th, va, pa, 0, 0, NULL);
		if (pa != R.buf)
			expect(false, ret, "copy from a granule not the OS's");
		break;
	case 10:
	case 11: { /* ipc in/out (mostly inside one page: the next one is rarely mapped) */
		uint64_t len = 1 + rn(256), off = rn(GRANULE_SIZE);

		if (t < 0)
			break;
		if (rn(4) && off + len > GRANULE_SIZE)
			off = GRANULE_SIZE - len;
		/* often a page just mapped from the pool: fresh, so the mini-OS allows the copy */
		if (rn(2))
			call("set_pte(any)", RC_FN_SET_PTE, th, va, RC_PTE_ANY, RC_PROT_R | RC_PROT_W, 0,
			     NULL);
		pa = rn(4) ? R.buf + rn(64) : foreign(R.task[t].k, false);
		ret = call(rn(2) ? "ipc_in" : "ipc_out", rn(2) ? RC_FN_IPC_IN : RC_FN_IPC_OUT, th,
			   va + off, pa, len, rn(2), NULL);
		if (pa < R.buf || pa >= R.buf + GRANULE_SIZE)
			expect(false, ret, "IPC with memory not the OS's");
		break;
	}
	case 12: { /* DMA */
		unsigned s = (unsigned)rn(RC_IO_STREAMS), i = (unsigned)rn(8);
		bool ok;

		pa = rn(3) ? 0 : rn(2) ? pool_granule(-1) : foreign(k >= 0 ? (unsigned)k : 0, true);
		ok = pa == 0 || (pa >= R.pool && pa < R.pool + POOL * GRANULE_SIZE &&
				 mt.owner[mt_gidx(pa)] == MT_OS);
		ret = call("set_iopte", RC_FN_SET_IOPTE, s, (uint64_t)i * GRANULE_SIZE, pa, RC_PROT_W,
			   0, NULL);
		expect(ok, ret, ok ? "an OS granule (or unmap)" : "DMA to a granule not the OS's");
		if (ret == RC_SUCCESS)
			R.io[s][i] = pa;
		break;
	}
	case 13: /* clone */
		if (t < 0)
			break;
		ret = call("clone", RC_FN_TASK_CLONE, th, rn(2), 0, 0, 0, &r);
		if (ret == RC_SUCCESS)
			add_task(r.x[1], R.task[t].k);
		break;
	case 14: /* exec */
		if (t < 0)
			break;
		ret = call("exec", RC_FN_TASK_EXEC, th, VA_BASE, VA_BASE + 0x100000, 0, 0, NULL);
		break;
	case 15: /* exit */
		if (t < 0 || rn(2))
			break;
		ret = call("exit", RC_FN_TASK_EXIT, th, 0, 0, 0, 0, NULL);
		expect(true, ret, "a live task exits");
		R.task[t].live = false;
		bury(1, th);
		break;
	case 16: /* use after destroy / garbage handles */
		ret = call("set_pte(dead)", RC_FN_SET_PTE, rn(2) ? dead(1) : rnd() | (1ULL << 60), va,
			   pool_granule(-1), RC_PROT_R, 0, NULL);
		expect(false, ret, "dead or garbage task");
		ret = call("donate(dead)", RC_FN_MALLOC_MM, dead(0), pool_granule(MT_OS), 1, 0, 0, NULL);
		expect(false, ret, "dead shim");
		break;
	case 17: /* the con-shim vector's call from the OS */
		ret = call("switch_to_depriv", RC_FN_SWITCH_TO_DEPRIV, th, 0, 0, 0, 0, NULL);
		if (ret != RC_ERROR_CALLER)
			FAILF("switch_to_depriv from the OS: %" PRIu64, ret);
		break;
	case 18: /* run a task (rarely: a JIT per address space) */
		if (t < 0 || rn(8))
			break;
		ret = call("switch_to_miniOS", RC_FN_SWITCH_TO_MINIOS, th, R.frame, RC_RUN_SET_X0, 0, 0,
			   &r);
		break;
	case 20: /* every register of a task: read them, write them back (or to a foreign granule) */
		if (t < 0)
			break;
		pa = rn(4) ? R.frame : foreign(R.task[t].k, false);
		ret = call("task_regs", RC_FN_TASK_REGS, th, pa, RC_REGS_GET, 0, 0, NULL);
		if (pa != R.frame)
			expect(false, ret, "registers to a granule not the OS's");
		else if (ret == RC_SUCCESS)
			call("task_regs(set)", RC_FN_TASK_REGS, th, pa, RC_REGS_SET, 0, 0, NULL);
		break;
	case 21: { /* MAP_SHARED across fork: another task's pages; never across containers */
		int t2 = live_task();

		/* rarely: a shared page stays out of the pool until its last mapping goes */
		if (t < 0 || t2 < 0 || rn(4))
			break;
		ret = call("share", RC_FN_SHARE, R.task[t2].handle, th, va, (1 + rn(8)) * GRANULE_SIZE,
			   0, NULL);
		if (R.task[t2].k != R.task[t].k)
			expect(false, ret, "sharing pages with another container's task");
		break;
	}
	case 22: { /* a task ends with its trap: only its own con-shim's handle marks it */
		int k2 = live_shim();

		/* rarely its own: a marked task's run, clone, exec are refused from then on */
		if (t < 0 || k2 < 0 || ((unsigned)k2 == R.task[t].k && rn(2)))
			break;
		ret = call("task_ending", RC_FN_TASK_ENDING, th, mt.shim[k2].handle, 0, 0, 0, NULL);
		expect((unsigned)k2 == R.task[t].k, ret,
		       (unsigned)k2 == R.task[t].k ? "a served task of that con-shim" :
						     "a task of another container");
		if (ret == RC_SUCCESS) {
			/* it never runs again */
			ret = call("switch_to_miniOS(ending)", RC_FN_SWITCH_TO_MINIOS, th, R.frame,
				   RC_RUN_SET_X0, 0, 0, &r);
			if (ret != RC_ERROR_STATE)
				FAILF("a task marked ending ran: %" PRIu64, ret);
		}
		break;
	}
	case 23: { /* the mini-OS page pool: OS granules in (its tables grow there), free ones out */
		unsigned n = 1 + (unsigned)rn(2);
		bool os = true;

		/* donations rarely: the con-shims need the pool's OS granules */
		if (rn(3) == 0) {
			pa = pool_granule(rn(4) ? MT_OS : -1);
			if (!pa || pa + n * GRANULE_SIZE > R.pool + POOL * GRANULE_SIZE)
				break;
			for (unsigned i = 0; i < n; i++)
				os &= mt.owner[mt_gidx(pa) + i] == MT_OS &&
				      !io_mapped(pa + i * GRANULE_SIZE);
			ret = call("donate(minios)", RC_FN_MALLOC_MM, RC_SHIM_MINIOS_POOL, pa, n,
				   RC_MM_DONATE, 0, NULL);
			expect(os, ret, os ? "free OS granules" : "granules not the OS's (or IO-mapped)");
			if (ret == RC_SUCCESS)
				mt_set_owner(pa, n, MT_MINIOS);
		} else {
			pa = rn(3) ? pool_granule(MT_MINIOS) : rn(2) ? foreign(0, true) : mt.base;
			if (!pa)
				break;
			ret = call("reclaim(minios)", RC_FN_MALLOC_MM, RC_SHIM_MINIOS_POOL, pa, 1,
				   RC_MM_RECLAIM, 0, NULL);
			if (mt.owner[mt_gidx(pa)] != MT_MINIOS || pa < R.pool ||
			    pa >= R.pool + POOL * GRANULE_SIZE)
				expect(false, ret, "not a granule the OS donated to the mini-OS");
			if (ret == RC_SUCCESS)
				mt_set_owner(pa, 1, MT_OS);
		}
		break;
	}
	default: /* garbage */
		ret = call("garbage", 1 + rn(RC_FN_NR + 1), rnd(), rnd(), rnd(), rnd(), rnd(), NULL);
		break;
	}
}

static void test_random(void **state)
{
	const char *s = getenv("RB_RC_SEED"), *n = getenv("RB_RC_STEPS");
	uint64_t steps = n && *n ? strtoull(n, NULL, 0) : 3000, pa, ret;
	struct monitor_rc_stats st;

	memset(&R, 0, sizeof(R));
	R.seed = s && *s ? strtoull(s, NULL, 0) : 0xC0FFEE5EEDULL;
	rng = R.seed;
	mt_boot(64ULL << 20);
	R.pool = mt_os_granules(POOL);
	R.frame = mt_os_granules(1);
	R.buf = mt_os_granules(1);
	for (R.step = 0; R.step < steps; R.step++) {
		const char *why;

		step();
		why = mt_check();
		if (why)
			FAILF("GPT invariant: %s", why);
	}
	/* Tear everything down: every pool granule is the OS's again. */
	R.call = "teardown";
	for (unsigned k = 0; k < MT_MAX_SHIMS; k++) {
		if (!mt.shim[k].live)
			continue;
		if (R.container[k])
			expect(true, mt_rc(RC_FN_DESTROY_CONTAINER, mt.shim[k].handle, 0, 0, 0, 0, NULL),
			       "teardown");
		expect(true, mt_rc(RC_FN_DESTROY_SHIM, mt.shim[k].handle, 0, 0, 0, 0, NULL), "teardown");
		forget_shim(k);
	}
	for (unsigned s2 = 0; s2 < RC_IO_STREAMS; s2++)
		for (unsigned i = 0; i < 8; i++)
			expect(true, mt_rc(RC_FN_SET_IOPTE, s2, (uint64_t)i * GRANULE_SIZE, 0, 0, 0, NULL),
			       "teardown");
	/* what the OS gave the mini-OS comes back, but for IO page tables (never freed) */
	for (unsigned i = 0, busy = 0; i < POOL; i++) {
		pa = R.pool + i * GRANULE_SIZE;
		if (mt.owner[mt_gidx(pa)] != MT_MINIOS)
			continue;
		ret = mt_rc(RC_FN_MALLOC_MM, RC_SHIM_MINIOS_POOL, pa, 1, RC_MM_RECLAIM, 0, NULL);
		if (ret == RC_SUCCESS)
			mt_set_owner(pa, 1, MT_OS);
		else if (ret != RC_ERROR_BUSY || ++busy > 3 * RC_IO_STREAMS)
			FAILF("reclaiming mini-OS pool granule %u after teardown: %" PRIu64, i, ret);
	}
	if (mt_check())
		FAILF("after teardown: %s", mt_check());
	for (unsigned i = 0; i < POOL; i++)
		if (mt.owner[mt_gidx(R.pool + i * GRANULE_SIZE)] != MT_MINIOS &&
		    host_mem_write(R.pool + i * GRANULE_SIZE, "", 1))
			FAILF("pool granule %u not the OS's after teardown", i);
	monitor_rc_get_stats(&st);
	assert_int_equal(st.gpts_live, 2);
	printf("random rc_*: %" PRIu64 " steps, seed %#" PRIx64 ", checker after each; successful/calls:",
	       steps, R.seed);
	for (unsigned f = 0; f < RC_FN_NR; f++)
		printf("%s %u:%" PRIu64 "/%" PRIu64, f % 8 ? "," : "\n ", f, R.ok[f], R.calls[f]);
	printf("\n");
	/* The sequence must reach the calls it is about. */
	for (unsigned f = 0; f < RC_FN_NR; f++)
		if (f != RC_FN_SWITCH_TO_DEPRIV && R.ok[f] == 0)
			fail_msg("rc_* function %u never succeeded", f);
	mt_shutdown();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random),
	};
	setenv("REALMBOX_LOG", "error", 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
