/*
 * The mini-OS's object tables have no fixed size: con-shims, address
 * spaces and tasks well beyond what boot memory holds (and the old fixed
 * 64 / 256 / 512), their table memory taken from the mini-OS page pool
 * (which the OS feeds with RC_SHIM_MINIOS_POOL) and reported by
 * minios_get_stats, all given back when they go; stale handles to slots
 * that were freed and reused never reach the new owner.
 */
#include "minios_test_util.h"

#define VA_CODE 0x400000ULL
#define VA_STACK 0x600000ULL
#define NSHIMS 100
#define NTASKS 600 /* of which NTASKS - NSHIMS threads of the first container */
#define MINIOS_DONATE 64

static void stats(struct minios_stats *s)
{
	minios_get_stats(s);
}

static void test_grow(void **state)
{
	struct minios_stats s0, s1, s2;
	struct monitor_rc_stats g;
	struct smc_regs r;
	uint64_t gpool, mpool, n, task[NSHIMS], thread[NTASKS - NSHIMS], old_task, old_shim;
	unsigned k[NSHIMS];

	stats(&s0);
	assert_int_equal(s0.shims + s0.mms + s0.tasks, 0);
	assert_int_equal(s0.table_bytes, 0); /* no object: no chunk */
	assert_int_equal(s0.memory_bytes, mt.size);
	/* Root memory for NSHIMS shim-GPTs (one extent, L0-aligned inside it). */
	monitor_rc_get_stats(&g);
	n = (NSHIMS + 1) * g.slot_bytes / GRANULE_SIZE;
	gpool = mt_os_granules((unsigned)n);
	assert_int_equal(mt_rc(RC_FN_MALLOC_MM, RC_SHIM_GPT_POOL, gpool, n, RC_MM_DONATE, 0, NULL),
			 RC_SUCCESS);
	mt_set_owner(gpool, n, MT_EL3);
	/* More pages for the mini-OS's tables: refused for memory not the OS's, then given. */
	assert_int_equal(
		mt_rc(RC_FN_MALLOC_MM, RC_SHIM_MINIOS_POOL, mt.base, 1, RC_MM_DONATE, 0, NULL),
		RC_ERROR_OWNER);
	mpool = mt_os_granules(MINIOS_DONATE);
	assert_int_equal(mt_rc(RC_FN_MALLOC_MM, RC_SHIM_MINIOS_POOL, mpool, MINIOS_DONATE,
			       RC_MM_DONATE, 0, NULL),
			 RC_SUCCESS);
	mt_set_owner(mpool, MINIOS_DONATE, MT_MINIOS);
	stats(&s1);
	assert_int_equal(s1.donated_bytes, MINIOS_DONATE * GRANULE_SIZE);
	assert_int_equal(s1.pool_free_bytes, s0.pool_free_bytes + MINIOS_DONATE * GRANULE_SIZE);
	/* NSHIMS con-shims, each with a container (its init task and mm). */
	for (unsigned i = 0; i < NSHIMS; i++) {
		k[i] = mt_create_shim();
		mt_donate(k[i], i == 0 ? 2 + NTASKS - NSHIMS : 2);
		assert_int_equal(mt_rc(RC_FN_CREATE_CONTAINER, mt.shim[k[i]].handle, VA_CODE,
				       VA_STACK, 0, 0, &r),
				 RC_SUCCESS);
		task[i] = r.x[1];
	}
	/* Threads of the first container up to NTASKS tasks in all. */
	for (unsigned i = 0; i < NTASKS - NSHIMS; i++) {
		assert_int_equal(mt_rc(RC_FN_TASK_CLONE, task[0], RC_CLONE_VM, 0, 0, 0, &r),
				 RC_SUCCESS);
		thread[i] = r.x[1];
	}
	stats(&s2);
	assert_int_equal(s2.shims, NSHIMS);
	assert_int_equal(s2.mms, NSHIMS);
	assert_int_equal(s2.tasks, NTASKS);
	/* one-granule chunks: 100 shims in 2 (85 a chunk), 100 mms in 50 (2), 600 tasks in 6 (102);
	 * a directory each */
	assert_int_equal(s2.table_bytes, (uint64_t)(2 + 50 + 6 + 3) * GRANULE_SIZE);
	assert_int_equal(s2.pool_free_bytes + s2.table_bytes, s1.pool_free_bytes);
	printf("mini-OS tables for %u con-shims, %u mms, %u tasks: %llu KiB (pool %llu KiB "
	       "free of %llu KiB)\n",
	       NSHIMS, NSHIMS, NTASKS, (unsigned long long)s2.table_bytes >> 10,
	       (unsigned long long)s2.pool_free_bytes >> 10,
	       (unsigned long long)s2.memory_bytes >> 10);
	/* The donated pages hold tables now: not taken back. */
	assert_int_equal(mt_rc(RC_FN_MALLOC_MM, RC_SHIM_MINIOS_POOL, mpool, MINIOS_DONATE,
			       RC_MM_RECLAIM, 0, NULL),
			 RC_ERROR_BUSY);
	MT_CHECK();
	/* Ownership still holds across the grown tables. */
	assert_int_equal(
		mt_rc(RC_FN_TASK_ENDING, task[NSHIMS - 1], mt.shim[k[0]].handle, 0, 0, 0, NULL),
		RC_ERROR_OWNER);
	assert_int_equal(
		mt_rc(RC_FN_SHARE, task[NSHIMS - 1], thread[0], VA_CODE, GRANULE_SIZE, 0, NULL),
		RC_ERROR_OWNER);
	/*
	 * Stale handles: the last container's task slot and the last shim's
	 * slot freed and reused; the old handles reach nothing.
	 */
	old_task = task[NSHIMS - 1];
	old_shim = mt.shim[k[NSHIMS - 1]].handle;
	assert_int_equal(mt_rc(RC_FN_DESTROY_CONTAINER, old_shim, 0, 0, 0, 0, NULL), RC_SUCCESS);
	assert_int_equal(mt_rc(RC_FN_CREATE_CONTAINER, old_shim, VA_CODE, VA_STACK, 0, 0, &r),
			 RC_SUCCESS);
	task[NSHIMS - 1] = r.x[1];
	assert_int_equal(task[NSHIMS - 1] & 0xFFFF, old_task & 0xFFFF); /* the same slot */
	assert_int_not_equal(task[NSHIMS - 1], old_task);
	assert_int_equal(mt_rc(RC_FN_TASK_EXIT, old_task, 0, 0, 0, 0, NULL), RC_ERROR_STATE);
	assert_int_equal(mt_rc(RC_FN_SET_VMA, old_task, VA_CODE, GRANULE_SIZE,
			       RC_PROT_R | RC_VMA_MAP, 0, NULL),
			 RC_ERROR_STATE);
	assert_int_equal(mt_rc(RC_FN_DESTROY_CONTAINER, old_shim, 0, 0, 0, 0, NULL), RC_SUCCESS);
	assert_int_equal(mt_rc(RC_FN_DESTROY_SHIM, old_shim, 0, 0, 0, 0, NULL), RC_SUCCESS);
	mt_forget_shim(k[NSHIMS - 1]);
	k[NSHIMS - 1] = mt_create_shim();
	assert_int_equal(mt.shim[k[NSHIMS - 1]].handle & 0xFFFF, old_shim & 0xFFFF);
	assert_int_not_equal(mt.shim[k[NSHIMS - 1]].handle, old_shim);
	assert_int_equal(mt_rc(RC_FN_CREATE_CONTAINER, old_shim, VA_CODE, VA_STACK, 0, 0, &r),
			 RC_ERROR_STATE);
	assert_int_equal(mt_rc(RC_FN_DESTROY_SHIM, old_shim, 0, 0, 0, 0, NULL), RC_ERROR_STATE);
	MT_CHECK();
	/* Everything goes: the tables' memory is back in the pool, the donation back to the OS. */
	for (unsigned i = 0; i < NSHIMS; i++) {
		if (i < NSHIMS - 1)
			assert_int_equal(mt_rc(RC_FN_DESTROY_CONTAINER, mt.shim[k[i]].handle, 0, 0,
					       0, 0, NULL),
					 RC_SUCCESS);
		assert_int_equal(mt_rc(RC_FN_DESTROY_SHIM, mt.shim[k[i]].handle, 0, 0, 0, 0, NULL),
				 RC_SUCCESS);
		mt_forget_shim(k[i]);
	}
	assert_int_equal(mt_rc(RC_FN_TASK_EXIT, thread[0], 0, 0, 0, 0, NULL), RC_ERROR_STATE);
	stats(&s2);
	assert_int_equal(s2.shims + s2.mms + s2.tasks, 0);
	assert_int_equal(s2.table_bytes, 0);
	assert_int_equal(s2.pool_free_bytes, s1.pool_free_bytes);
	/* Boot memory is never reclaimed; the donation is, whole. */
	assert_int_equal(mt_rc(RC_FN_MALLOC_MM, RC_SHIM_MINIOS_POOL,
			       mt.base + mt.size - GRANULE_SIZE, 1, RC_MM_RECLAIM, 0, NULL),
			 RC_ERROR_OWNER);
	assert_int_equal(mt_rc(RC_FN_MALLOC_MM, RC_SHIM_MINIOS_POOL, mpool, MINIOS_DONATE,
			       RC_MM_RECLAIM, 0, NULL),
			 RC_SUCCESS);
	mt_set_owner(mpool, MINIOS_DONATE, MT_OS);
	assert_int_equal(host_mem_write(mpool, "x", 1), 0);
	stats(&s2);
	assert_int_equal(s2.donated_bytes, 0);
	assert_int_equal(s2.pool_free_bytes, s0.pool_free_bytes);
	assert_int_equal(s2.memory_bytes, s0.memory_bytes);
	MT_CHECK();
}

/* Without donations the boot memory is the limit: -ENOMEM, then growth once the OS gives pages. */
static void test_pool_limit(void **state)
{
	struct minios_stats s;
	struct smc_regs r;
	uint64_t ret = RC_SUCCESS, task, pages;
	unsigned k = mt_create_shim(), made = 0;

	mt_donate(k, 2 + 2048);
	assert_int_equal(
		mt_rc(RC_FN_CREATE_CONTAINER, mt.shim[k].handle, VA_CODE, VA_STACK, 0, 0, &r),
		RC_SUCCESS);
	task = r.x[1];
	/* fork-like clones: one mm each (two per chunk) until the pool is dry */
	while (ret == RC_SUCCESS && made < 2048) {
		ret = mt_rc(RC_FN_TASK_CLONE, task, 0, 0, 0, 0, &r);
		made += ret == RC_SUCCESS;
	}
	assert_int_equal(ret, RC_ERROR_NOMEM);
	minios_get_stats(&s);
	assert_true(s.mms > 256); /* past the old fixed table */
	assert_true(s.pool_free_bytes < 2 * GRANULE_SIZE);
	pages = mt_os_granules(16);
	assert_int_equal(
		mt_rc(RC_FN_MALLOC_MM, RC_SHIM_MINIOS_POOL, pages, 16, RC_MM_DONATE, 0, NULL),
		RC_SUCCESS);
	mt_set_owner(pages, 16, MT_MINIOS);
	assert_int_equal(mt_rc(RC_FN_TASK_CLONE, task, 0, 0, 0, 0, &r), RC_SUCCESS);
	MT_CHECK();
	assert_int_equal(mt_rc(RC_FN_DESTROY_CONTAINER, mt.shim[k].handle, 0, 0, 0, 0, NULL),
			 RC_SUCCESS);
	minios_get_stats(&s);
	assert_int_equal(s.table_bytes, (uint64_t)1 * GRANULE_SIZE * 2); /* the shim: chunk + dir */
	assert_int_equal(mt_rc(RC_FN_DESTROY_SHIM, mt.shim[k].handle, 0, 0, 0, 0, NULL),
			 RC_SUCCESS);
	mt_forget_shim(k);
	MT_CHECK();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_grow, mt_setup, mt_teardown),
		cmocka_unit_test_setup_teardown(test_pool_limit, mt_setup, mt_teardown),
	};
	setenv("REALMBOX_LOG", "error", 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
