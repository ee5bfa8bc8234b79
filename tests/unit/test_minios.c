/*
 * The mini-OS's rc_* calls one by one, as the deprivileged OS makes them
 * (SMC_RC_ENTER from the Normal world): each call's success and its
 * refusals (another container's granule in a PTE, a copy outside the task,
 * use after destroy, double destroy, exhausted pools, the con-shim-only
 * call from the OS), with the GPT invariant checked after each test.
 * Running tasks (switches, fork, exec, exit, scrubbing) is in
 * test_minios_run.c.
 */
#include "minios_test_util.h"


#define VA_CODE 0x400000ULL
#define VA_DATA 0x500000ULL

/* A shim with a container and n donated granules: returns the init task. */
static uint64_t container(unsigned *k, unsigned n, uint64_t *pool)
{
	struct smc_regs r;

	*k = mt_create_shim();
	*pool = mt_donate(*k, n);
	assert_int_equal(mt_rc(RC_FN_CREATE_CONTAINER, mt.shim[*k].handle, VA_CODE, 0x600000, 0, 0, &r),
			 RC_SUCCESS);
	return r.x[1];
}

static void destroy(unsigned k)
{
	assert_int_equal(mt_rc(RC_FN_DESTROY_CONTAINER, mt.shim[k].handle, 0, 0, 0, 0, NULL),
			 RC_SUCCESS);
	assert_int_equal(mt_rc(RC_FN_DESTROY_SHIM, mt.shim[k].handle, 0, 0, 0, 0, NULL), RC_SUCCESS);
	mt_forget_shim(k);
}

static void test_boot(void **state)
{
	struct monitor_rc_stats st;

	monitor_rc_get_stats(&st);
	assert_int_equal(st.current, RC_GPT_OS);
	assert_int_equal(st.gpts_live, 2);
	assert_true(st.slot_bytes >= GRANULE_SIZE + 128 * 1024);
	/* The mini-OS's memory: the OS cannot touch it. */
	assert_int_not_equal(host_mem_write(mt.base, "x", 1), 0);
	assert_int_equal(monitor_rc_read_gpi(RC_GPT_PRIV, mt.base), GPI_NS);
	assert_int_equal(monitor_rc_read_gpi(RC_GPT_OS, mt.base), GPI_NO_ACCESS);
	/* Root and RMM memory are the same in the OS-GPT. */
	assert_int_equal(monitor_rc_read_gpi(RC_GPT_OS, th_layout.root_base), GPI_ROOT);
	assert_int_equal(monitor_rc_read_gpi(RC_GPT_OS, th_layout.rmm_base), GPI_REALM);
	/* A second mini-OS is refused. */
	assert_int_equal(monitor_rc_register(&mt_image, mt.base, mt.size), -EBUSY);
	MT_CHECK();
}

static void test_shim_lifecycle(void **state)
{
	unsigned k = mt_create_shim();
	uint64_t h = mt.shim[k].handle, pa;

	MT_CHECK();
	pa = mt_donate(k, 4);
	MT_CHECK();
	/* Donated: the OS lost it. */
	assert_int_not_equal(host_mem_write(pa, "x", 1), 0);
	/* Donating it again, or to another shim, is refused: not the OS's. */
	assert_int_equal(mt_rc(RC_FN_MALLOC_MM, h, pa, 1, RC_MM_DONATE, 0, NULL), RC_ERROR_OWNER);
	/* Reclaim two: the OS has them back, zeroed. */
	assert_int_equal(mt_rc(RC_FN_MALLOC_MM, h, pa, 2, RC_MM_RECLAIM, 0, NULL), RC_SUCCESS);
	mt_set_owner(pa, 2, MT_OS);
	MT_CHECK();
	assert_int_equal(host_mem_write(pa, "x", 1), 0);
	/* Reclaiming what is not the shim's. */
	assert_int_equal(mt_rc(RC_FN_MALLOC_MM, h, pa, 1, RC_MM_RECLAIM, 0, NULL), RC_ERROR_OWNER);
	/* Malformed. */
	assert_int_equal(mt_rc(RC_FN_MALLOC_MM, h, pa + 1, 1, 0, 0, NULL), RC_ERROR_INPUT);
	assert_int_equal(mt_rc(RC_FN_MALLOC_MM, h, pa, 0, 0, 0, NULL), RC_ERROR_INPUT);
	assert_int_equal(mt_rc(RC_FN_MALLOC_MM, h, pa, 1, 7, 0, NULL), RC_ERROR_INPUT);
	/* Mini-OS, Root, RMM memory, a delegated granule: not the OS's to give. */
	assert_int_equal(mt_rc(RC_FN_MALLOC_MM, h, mt.base, 1, 0, 0, NULL), RC_ERROR_OWNER);
	assert_int_equal(mt_rc(RC_FN_MALLOC_MM, h, th_layout.root_base, 1, 0, 0, NULL), RC_ERROR_OWNER);
	assert_int_equal(mt_rc(RC_FN_MALLOC_MM, h, th_layout.rmm_base, 1, 0, 0, NULL), RC_ERROR_OWNER);
	assert_int_equal(mt_rc(RC_FN_MALLOC_MM, h, th_delegated_granule(), 1, 0, 0, NULL), RC_ERROR_OWNER);
	/* Destroy gives the rest back; use after destroy and double destroy are refused. */
	assert_int_equal(mt_rc(RC_FN_DESTROY_SHIM, h, 0, 0, 0, 0, NULL), RC_SUCCESS);
	mt.shim[k].live = false;
	mt_set_owner(pa + 2 * GRANULE_SIZE, 2, MT_OS);
	MT_CHECK();
	assert_int_equal(mt_rc(RC_FN_DESTROY_SHIM, h, 0, 0, 0, 0, NULL), RC_ERROR_STATE);
	assert_int_equal(mt_rc(RC_FN_MALLOC_MM, h, pa, 1, 0, 0, NULL), RC_ERROR_STATE);
	assert_int_equal(mt_rc(RC_FN_CREATE_CONTAINER, h, VA_CODE, 0, 0, 0, NULL), RC_ERROR_STATE);
	/* A new shim in the same slot: the old handle stays stale. */
	k = mt_create_shim();
	assert_int_not_equal(mt.shim[k].handle, h);
	assert_int_equal(mt_rc(RC_FN_DESTROY_SHIM, h, 0, 0, 0, 0, NULL), RC_ERROR_STATE);
	assert_int_equal(mt_rc(RC_FN_DESTROY_SHIM, 0, 0, 0, 0, 0, NULL), RC_ERROR_INPUT);
	assert_int_equal(mt_rc(RC_FN_DESTROY_SHIM, mt.shim[k].handle, 0, 0, 0, 0, NULL), RC_SUCCESS);
	mt.shim[k].live = false;
	MT_CHECK();
}

static void test_container_lifecycle(void **state)
{
	struct smc_regs r;
	unsigned k = mt_create_shim();
	uint64_t h = mt.shim[k].handle, t;

	/* No memory: a container needs its saved state and a table. */
	assert_int_equal(mt_rc(RC_FN_CREATE_CONTAINER, h, VA_CODE, 0, 0, 0, NULL), RC_ERROR_NOMEM);
	mt_donate(k, 2);
	assert_int_equal(mt_rc(RC_FN_CREATE_CONTAINER, h, VA_CODE + 2, 0, 0, 0, NULL), RC_ERROR_INPUT);
	assert_int_equal(mt_rc(RC_FN_CREATE_CONTAINER, h, VA_CODE, 0, 0, 0, &r), RC_SUCCESS);
	t = r.x[1];
	assert_int_equal(mt_rc(RC_FN_CREATE_CONTAINER, h, VA_CODE, 0, 0, 0, NULL), RC_ERROR_BUSY);
	/* A shim with a container cannot go. */
	assert_int_equal(mt_rc(RC_FN_DESTROY_SHIM, h, 0, 0, 0, 0, NULL), RC_ERROR_BUSY);
	MT_CHECK();
	assert_int_equal(mt_rc(RC_FN_DESTROY_CONTAINER, h, 0, 0, 0, 0, NULL), RC_SUCCESS);
	assert_int_equal(mt_rc(RC_FN_DESTROY_CONTAINER, h, 0, 0, 0, 0, NULL), RC_ERROR_STATE);
	/* Its task is gone with it. */
	assert_int_equal(mt_rc(RC_FN_TASK_EXIT, t, 0, 0, 0, 0, NULL), RC_ERROR_STATE);
	assert_int_equal(mt_rc(RC_FN_SET_VMA, t, VA_CODE, GRANULE_SIZE, RC_PROT_R, 0, NULL),
			 RC_ERROR_STATE);
	assert_int_equal(mt_rc(RC_FN_DESTROY_SHIM, h, 0, 0, 0, 0, NULL), RC_SUCCESS);
	mt_forget_shim(k);
	MT_CHECK();
}

static void test_set_pte(void **state)
{
	unsigned a, b;
	uint64_t pa, pb;
	uint64_t ta = container(&a, 6, &pa), tb = container(&b, 6, &pb);
	unsigned ok = 0, owner = 0;

	assert_int_equal(mt_rc(RC_FN_SET_VMA, ta, VA_DATA, 4 * GRANULE_SIZE,
			       RC_PROT_R | RC_PROT_W | RC_VMA_MAP, 0, NULL),
			 RC_SUCCESS);
	/* The container's own granules: four pages; two hold its table and saved state. */
	for (unsigned i = 0; i < 6; i++) {
		uint64_t ret = mt_rc(RC_FN_SET_PTE, ta, VA_DATA + (ok % 4) * GRANULE_SIZE,
				     pa + i * GRANULE_SIZE, RC_PROT_R, 0, NULL);

		ok += ret == RC_SUCCESS;
		owner += ret == RC_ERROR_OWNER;
	}
	/* Tables: one L1 (container), L2 and L3 taken on the first mapping from the same pool. */
	assert_int_equal(ok + owner, 6);
	assert_true(owner >= 2);
	/* Another container's granule, an OS granule, mini-OS memory: refused. */
	assert_int_equal(mt_rc(RC_FN_SET_PTE, ta, VA_DATA, pb, RC_PROT_R, 0, NULL), RC_ERROR_OWNER);
	assert_int_equal(mt_rc(RC_FN_SET_PTE, ta, VA_DATA, mt_os_granules(1), RC_PROT_R, 0, NULL),
			 RC_ERROR_OWNER);
	assert_int_equal(mt_rc(RC_FN_SET_PTE, ta, VA_DATA, mt.base, RC_PROT_R, 0, NULL),
			 RC_ERROR_OWNER);
	assert_int_equal(mt_rc(RC_FN_SET_PTE, ta, VA_DATA, th_layout.rmm_base, RC_PROT_R, 0, NULL),
			 RC_ERROR_OWNER);
	/* Outside an area, or more than the area allows. */
	assert_int_equal(mt_rc(RC_FN_SET_PTE, ta, VA_CODE, pa, RC_PROT_R, 0, NULL), RC_ERROR_FAULT);
	assert_int_equal(mt_rc(RC_FN_SET_PTE, ta, VA_DATA, pa, RC_PROT_X, 0, NULL), RC_ERROR_FAULT);
	/* Malformed. */
	assert_int_equal(mt_rc(RC_FN_SET_PTE, ta, VA_DATA + 8, pa, RC_PROT_R, 0, NULL), RC_ERROR_INPUT);
	assert_int_equal(mt_rc(RC_FN_SET_PTE, ta, RC_VA_LIMIT, pa, RC_PROT_R, 0, NULL), RC_ERROR_INPUT);
	assert_int_equal(mt_rc(RC_FN_SET_PTE, ta, VA_DATA, pa, 8, 0, NULL), RC_ERROR_INPUT);
	assert_int_equal(mt_rc(RC_FN_SET_PTE, ta, VA_DATA, pa + 4, RC_PROT_R, 0, NULL), RC_ERROR_INPUT);
	/* Unmap. */
	assert_int_equal(mt_rc(RC_FN_SET_PTE, ta, VA_DATA, RC_PTE_UNMAP, 0, 0, NULL), RC_SUCCESS);
	MT_CHECK();
	/* Exhausted pool: a mapping far away needs two new tables; B has none to spare after 4 pages. */
	assert_int_equal(mt_rc(RC_FN_SET_VMA, tb, 0, 1ULL << 32, RC_PROT_R | RC_VMA_MAP, 0, NULL),
			 RC_SUCCESS);
	{
		unsigned mapped = 0, nomem = 0;

		for (unsigned i = 0; i < 6; i++) {
			uint64_t ret = mt_rc(RC_FN_SET_PTE, tb, (uint64_t)i << 30, pb + i * GRANULE_SIZE,
					     RC_PROT_R, 0, NULL);
			mapped += ret == RC_SUCCESS;
			nomem += ret == RC_ERROR_NOMEM;
		}
		assert_int_equal(mapped, 1);
		assert_true(nomem >= 1);
	}
	destroy(a);
	destroy(b);
	MT_CHECK();
}

static void test_set_vma(void **state)
{
	unsigned k;
	uint64_t pool, t = container(&k, 8, &pool);

	assert_int_equal(mt_rc(RC_FN_SET_VMA, t, VA_DATA, 3 * GRANULE_SIZE,
			       RC_PROT_R | RC_PROT_W | RC_VMA_MAP, 0, NULL),
			 RC_SUCCESS);
	assert_int_equal(mt_rc(RC_FN_SET_PTE, t, VA_DATA + GRANULE_SIZE, pool, RC_PROT_W, 0, NULL),
			 RC_SUCCESS);
	/* PROTECT keeps the page, with the new permission bounding later mappings. */
	assert_int_equal(mt_rc(RC_FN_SET_VMA, t, VA_DATA + GRANULE_SIZE, GRANULE_SIZE,
			       RC_PROT_R | RC_VMA_PROTECT, 0, NULL),
			 RC_SUCCESS);
	assert_int_equal(mt_rc(RC_FN_SET_PTE, t, VA_DATA + GRANULE_SIZE, pool, RC_PROT_W, 0, NULL),
			 RC_ERROR_FAULT);
	/* PROTECT of a hole is refused. */
	assert_int_equal(mt_rc(RC_FN_SET_VMA, t, VA_DATA, 4 * GRANULE_SIZE, RC_PROT_R | RC_VMA_PROTECT,
			       0, NULL),
			 RC_ERROR_FAULT);
	/* UNMAP frees the page (scrubbed: the pool can give it back to the OS). */
	assert_int_equal(mt_rc(RC_FN_SET_VMA, t, VA_DATA, 3 * GRANULE_SIZE, RC_VMA_UNMAP, 0, NULL),
			 RC_SUCCESS);
	assert_int_equal(mt_rc(RC_FN_SET_PTE, t, VA_DATA, pool, RC_PROT_R, 0, NULL), RC_ERROR_FAULT);
	/* Malformed. */
	assert_int_equal(mt_rc(RC_FN_SET_VMA, t, VA_DATA + 1, GRANULE_SIZE, RC_PROT_R, 0, NULL),
			 RC_ERROR_INPUT);
	assert_int_equal(mt_rc(RC_FN_SET_VMA, t, VA_DATA, 0, RC_PROT_R, 0, NULL), RC_ERROR_INPUT);
	assert_int_equal(mt_rc(RC_FN_SET_VMA, t, VA_DATA, GRANULE_SIZE, 3u << 8, 0, NULL),
			 RC_ERROR_INPUT);
	/* The area table fills: every other page its own area. */
	{
		uint64_t ret = RC_SUCCESS;
		unsigned n;

		for (n = 0; n < 2 * RC_MM_MAX_VMAS && ret == RC_SUCCESS; n++)
			ret = mt_rc(RC_FN_SET_VMA, t, 0x10000000 + 2 * n * GRANULE_SIZE, GRANULE_SIZE,
				    RC_PROT_R, 0, NULL);
		assert_int_equal(ret, RC_ERROR_NOMEM);
		assert_true(n > RC_MM_MAX_VMAS - 4);
	}
	destroy(k);
	MT_CHECK();
}

static void test_copy_and_ipc(void **state)
{
	unsigned a, b;
	uint64_t pa, pb, ta = container(&a, 8, &pa), tb = container(&b, 8, &pb);
	uint64_t os = mt_os_granules(2), fresh = mt_os_granules(1);
	struct smc_regs r;
	char buf[64];

	assert_int_equal(mt_rc(RC_FN_SET_VMA, ta, VA_DATA, 2 * GRANULE_SIZE,
			       RC_PROT_R | RC_PROT_W | RC_VMA_MAP, 0, NULL),
			 RC_SUCCESS);
	assert_int_equal(mt_rc(RC_FN_SET_PTE, ta, VA_DATA, pa, RC_PROT_R | RC_PROT_W, 0, NULL),
			 RC_SUCCESS);
	assert_int_equal(mt_rc(RC_FN_SET_PTE, ta, VA_DATA + GRANULE_SIZE, pa + GRANULE_SIZE,
			       RC_PROT_R, 0, NULL),
			 RC_SUCCESS);
	/* copy_page fills a mapped page, even a read-only one. */
	assert_int_equal(host_mem_write(os, "hello, container", 17), 0);
	assert_int_equal(mt_rc(RC_FN_COPY_PAGE, ta, VA_DATA + GRANULE_SIZE, os, 0, 0, NULL), RC_SUCCESS);
	assert_int_equal(mt_rc(RC_FN_IPC_OUT, ta, VA_DATA + GRANULE_SIZE, fresh, 17, 0, &r), RC_SUCCESS);
	assert_int_equal(r.x[1], 17);
	assert_int_equal(host_mem_read(fresh, buf, 17), 0);
	assert_string_equal(buf, "hello, container");
	/* ipc_in needs EL0 write permission, across a page boundary too. */
	assert_int_equal(mt_rc(RC_FN_IPC_IN, ta, VA_DATA + GRANULE_SIZE - 4, os, 8, 0, NULL),
			 RC_ERROR_FAULT);
	assert_int_equal(mt_rc(RC_FN_IPC_IN, ta, VA_DATA + 100, os, 17, 0, &r), RC_SUCCESS);
	assert_int_equal(mt_rc(RC_FN_IPC_OUT, ta, VA_DATA + 100, fresh, 64, RC_IPC_STRING, &r),
			 RC_SUCCESS);
	assert_int_equal(r.x[1], 16);
	assert_int_equal(r.x[2], 0);
	/* A copy outside the task: its own unmapped page, another container's address. */
	assert_int_equal(mt_rc(RC_FN_IPC_OUT, ta, VA_DATA + 2 * GRANULE_SIZE, fresh, 8, 0, NULL),
			 RC_ERROR_FAULT);
	assert_int_equal(mt_rc(RC_FN_IPC_OUT, tb, VA_DATA, fresh, 8, 0, NULL), RC_ERROR_FAULT);
	assert_int_equal(mt_rc(RC_FN_COPY_PAGE, tb, VA_DATA, os, 0, 0, NULL), RC_ERROR_FAULT);
	/* The OS side must be the OS's: not a con-shim granule, not mini-OS memory. */
	assert_int_equal(mt_rc(RC_FN_IPC_OUT, ta, VA_DATA, pb, 8, 0, NULL), RC_ERROR_OWNER);
	assert_int_equal(mt_rc(RC_FN_IPC_IN, ta, VA_DATA, pb, 8, 0, NULL), RC_ERROR_OWNER);
	assert_int_equal(mt_rc(RC_FN_IPC_OUT, ta, VA_DATA, mt.base, 8, 0, NULL), RC_ERROR_OWNER);
	assert_int_equal(mt_rc(RC_FN_COPY_PAGE, ta, VA_DATA, pb, 0, 0, NULL), RC_ERROR_OWNER);
	assert_int_equal(mt_rc(RC_FN_COPY_PAGE, ta, VA_DATA, pa + GRANULE_SIZE, 0, 0, NULL),
			 RC_ERROR_OWNER);
	/* Sizes. */
	assert_int_equal(mt_rc(RC_FN_IPC_IN, ta, VA_DATA, os, 0, 0, NULL), RC_ERROR_INPUT);
	assert_int_equal(mt_rc(RC_FN_IPC_IN, ta, VA_DATA, os, RC_IPC_MAX + 1, 0, NULL), RC_ERROR_INPUT);
	assert_int_equal(mt_rc(RC_FN_IPC_OUT, ta, VA_DATA, os, 8, 2, NULL), RC_ERROR_INPUT);
	/* An exited task is nobody's caller. */
	assert_int_equal(mt_rc(RC_FN_TASK_EXIT, ta, 0, 0, 0, 0, NULL), RC_SUCCESS);
	assert_int_equal(mt_rc(RC_FN_IPC_OUT, ta, VA_DATA, fresh, 8, 0, NULL), RC_ERROR_STATE);
	assert_int_equal(mt_rc(RC_FN_TASK_EXIT, ta, 0, 0, 0, 0, NULL), RC_ERROR_STATE);
	destroy(a);
	destroy(b);
	MT_CHECK();
}

static void test_iopte(void **state)
{
	unsigned k = mt_create_shim();
	uint64_t h = mt.shim[k].handle, os = mt_os_granules(2), cs = mt_donate(k, 1);

	assert_int_equal(mt_rc(RC_FN_SET_IOPTE, 0, 0x1000, os, RC_PROT_R | RC_PROT_W, 0, NULL),
			 RC_SUCCESS);
	/* DMA to a con-shim granule, mini-OS memory, Realm memory: refused. */
	assert_int_equal(mt_rc(RC_FN_SET_IOPTE, 0, 0x2000, cs, RC_PROT_W, 0, NULL), RC_ERROR_OWNER);
	assert_int_equal(mt_rc(RC_FN_SET_IOPTE, 1, 0x2000, mt.base, RC_PROT_W, 0, NULL),
			 RC_ERROR_OWNER);
	assert_int_equal(mt_rc(RC_FN_SET_IOPTE, 1, 0x2000, th_layout.rmm_base, RC_PROT_W, 0, NULL),
			 RC_ERROR_OWNER);
	/* A granule a device may write cannot join a con-shim until it is unmapped. */
	assert_int_equal(mt_rc(RC_FN_MALLOC_MM, h, os, 1, RC_MM_DONATE, 0, NULL), RC_ERROR_BUSY);
	assert_int_equal(mt_rc(RC_FN_SET_IOPTE, 0, 0x1000, RC_PTE_UNMAP, 0, 0, NULL), RC_SUCCESS);
	assert_int_equal(mt_rc(RC_FN_MALLOC_MM, h, os, 1, RC_MM_DONATE, 0, NULL), RC_SUCCESS);
	mt_set_owner(os, 1, (uint16_t)(k + 1));
	/* Malformed. */
	assert_int_equal(mt_rc(RC_FN_SET_IOPTE, RC_IO_STREAMS, 0, os + GRANULE_SIZE, RC_PROT_R, 0, NULL),
			 RC_ERROR_INPUT);
	assert_int_equal(mt_rc(RC_FN_SET_IOPTE, 0, RC_IOVA_LIMIT, os + GRANULE_SIZE, RC_PROT_R, 0, NULL),
			 RC_ERROR_INPUT);
	assert_int_equal(mt_rc(RC_FN_SET_IOPTE, 0, 0, os + GRANULE_SIZE, RC_PROT_X, 0, NULL),
			 RC_ERROR_INPUT);
	MT_CHECK();
	assert_int_equal(mt_rc(RC_FN_DESTROY_SHIM, h, 0, 0, 0, 0, NULL), RC_SUCCESS);
	mt.shim[k].live = false;
	mt_set_owner(os, 1, MT_OS);
	mt_set_owner(cs, 1, MT_OS);
	MT_CHECK();
}

static void test_callers(void **state)
{
	unsigned k;
	uint64_t pool, t = container(&k, 4, &pool), frame = mt_os_granules(1);

	/* The con-shim vector's call from the OS. */
	assert_int_equal(mt_rc(RC_FN_SWITCH_TO_DEPRIV, t, 0, 0, 0, 0, NULL), RC_ERROR_CALLER);
	/* Unknown function. */
	assert_int_equal(mt_rc(RC_FN_NR, 0, 0, 0, 0, 0, NULL), RC_ERROR_INPUT);
	assert_int_equal(mt_rc(~0ULL, 0, 0, 0, 0, 0, NULL), RC_ERROR_INPUT);
	/* switch_to_miniOS: the frame must be the OS's; flags known. */
	assert_int_equal(mt_rc(RC_FN_SWITCH_TO_MINIOS, t, pool, 0, 0, 0, NULL), RC_ERROR_OWNER);
	assert_int_equal(mt_rc(RC_FN_SWITCH_TO_MINIOS, t, mt.base, 0, 0, 0, NULL), RC_ERROR_OWNER);
	assert_int_equal(mt_rc(RC_FN_SWITCH_TO_MINIOS, t, frame, 4, 0, 0, NULL), RC_ERROR_INPUT);
	/* Pool of shims: the EL3 GPT pool runs out first (a GPT is 132 KiB of Root memory). */
	{
		struct monitor_rc_stats st0, st1;
		uint64_t ret = RC_SUCCESS, pool_pa;
		unsigned made = 0, more = 0, n;

		monitor_rc_get_stats(&st0);
		while (ret == RC_SUCCESS) {
			struct smc_regs r;

			ret = mt_rc(RC_FN_CREATE_SHIM, 0, 0, 0, 0, 0, &r);
			if (ret == RC_SUCCESS) {
				mt_adopt_shim(&r);
				made++;
			}
		}
		assert_int_equal(ret, RC_ERROR_NOMEM);
		assert_int_equal(made, st0.bytes_free / st0.slot_bytes);
		MT_CHECK();
		/* The OS gives EL3 Root memory for two more GPTs (never returned). */
		n = (unsigned)(2 * st0.slot_bytes / GRANULE_SIZE);
		pool_pa = mt_os_granules(n);
		assert_int_equal(mt_rc(RC_FN_MALLOC_MM, RC_SHIM_GPT_POOL, pool_pa, n, RC_MM_RECLAIM, 0,
				       NULL),
				 RC_ERROR_INPUT);
		assert_int_equal(mt_rc(RC_FN_MALLOC_MM, RC_SHIM_GPT_POOL, pool_pa, n, 0, 0, NULL),
				 RC_SUCCESS);
		mt_set_owner(pool_pa, n, MT_EL3);
		monitor_rc_get_stats(&st1);
		assert_int_equal(st1.bytes_pool, st0.bytes_pool + 2 * st0.slot_bytes);
		for (unsigned i = 0; i < 3; i++) {
			struct smc_regs r;

			ret = mt_rc(RC_FN_CREATE_SHIM, 0, 0, 0, 0, 0, &r);
			if (ret == RC_SUCCESS) {
				mt_adopt_shim(&r);
				more++;
			}
		}
		assert_int_equal(more, 2);
		assert_int_equal(ret, RC_ERROR_NOMEM);
		/* Root memory cannot be handed to a container. */
		assert_int_equal(mt_rc(RC_FN_MALLOC_MM, mt.shim[k].handle, pool_pa, 1, 0, 0, NULL),
				 RC_ERROR_OWNER);
		MT_CHECK();
		for (unsigned j = 0; j < MT_MAX_SHIMS; j++) {
			if (!mt.shim[j].live || j == k)
				continue;
			assert_int_equal(mt_rc(RC_FN_DESTROY_SHIM, mt.shim[j].handle, 0, 0, 0, 0, NULL),
					 RC_SUCCESS);
			mt.shim[j].live = false;
		}
		monitor_rc_get_stats(&st1);
		assert_int_equal(st1.bytes_used, 2 * st1.slot_bytes); /* OS-GPT + shim k */
	}
	destroy(k);
	MT_CHECK();
}

/* The host cannot delegate a con-shim granule or mini-OS memory to a realm. */
static void test_gtsi(void **state)
{
	unsigned k = mt_create_shim();
	uint64_t cs = mt_donate(k, 1), os = mt_os_granules(1);

	assert_int_not_equal(th_rmi(SMC_RMI_GRANULE_DELEGATE, cs, 0, 0, 0, 0, 0, NULL), RMI_SUCCESS);
	assert_int_not_equal(th_rmi(SMC_RMI_GRANULE_DELEGATE, mt.base, 0, 0, 0, 0, 0, NULL),
			     RMI_SUCCESS);
	/* An OS granule: Realm in every GPT, and back. */
	assert_int_equal(th_rmi(SMC_RMI_GRANULE_DELEGATE, os, 0, 0, 0, 0, 0, NULL), RMI_SUCCESS);
	assert_int_equal(monitor_rc_read_gpi(RC_GPT_OS, os), GPI_REALM);
	assert_int_equal(monitor_rc_read_gpi(mt.shim[k].gpt, os), GPI_REALM);
	/* ... and no con-shim can take it meanwhile. */
	assert_int_equal(mt_rc(RC_FN_MALLOC_MM, mt.shim[k].handle, os, 1, 0, 0, NULL), RC_ERROR_OWNER);
	assert_int_equal(th_rmi(SMC_RMI_GRANULE_UNDELEGATE, os, 0, 0, 0, 0, 0, NULL), RMI_SUCCESS);
	assert_int_equal(monitor_rc_read_gpi(mt.shim[k].gpt, os), GPI_NS);
	mt_set_owner(os, 1, MT_OS);
	MT_CHECK();
	assert_int_equal(mt_rc(RC_FN_DESTROY_SHIM, mt.shim[k].handle, 0, 0, 0, 0, NULL), RC_SUCCESS);
	mt.shim[k].live = false;
	mt_set_owner(cs, 1, MT_OS);
	MT_CHECK();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_boot, mt_setup, mt_teardown),
		cmocka_unit_test_setup_teardown(test_shim_lifecycle, mt_setup, mt_teardown),
		cmocka_unit_test_setup_teardown(test_container_lifecycle, mt_setup, mt_teardown),
		cmocka_unit_test_setup_teardown(test_set_pte, mt_setup, mt_teardown),
		cmocka_unit_test_setup_teardown(test_set_vma, mt_setup, mt_teardown),
		cmocka_unit_test_setup_teardown(test_copy_and_ipc, mt_setup, mt_teardown),
		cmocka_unit_test_setup_teardown(test_iopte, mt_setup, mt_teardown),
		cmocka_unit_test_setup_teardown(test_callers, mt_setup, mt_teardown),
		cmocka_unit_test_setup_teardown(test_gtsi, mt_setup, mt_teardown),
	};
	setenv("REALMBOX_LOG", "error", 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
