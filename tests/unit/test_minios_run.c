/*
 * Tasks running at EL0 under their shim-GPT (A64 code on the platform's
 * engine): the system-call path rc_switch_to_miniOS / rc_switch_to_depriv
 * and what it costs (EL3 round trips, GPT switches, TLBIs: the artifact's
 * four round trips are the baseline, printed for the issue note), fork
 * (rc_task_clone copies), exec and exit scrubbing a task's pages, and the
 * stale GPC TLB entry that a GPTBR switch without TLBI would leave.
 */
#include "minios_test_util.h"

#include "arch/esr.h"

#include <time.h>

#define VA_CODE 0x400000ULL
#define VA_DATA 0x500000ULL
#define VA_STACK 0x600000ULL


/*
 * str x1, [x0]; svc #0; b .-8 : every run stores x1 at x0 and makes a
 * system call. At VA_SPIN: add x2, x2, #1; b .-4 : spins in user code,
 * counting in x2.
 */
static const uint32_t prog[] = {0xF9000001, 0xD4000001, 0x17FFFFFE, 0x91000442, 0x17FFFFFF};
#define VA_SPIN (VA_CODE + 12)

struct box {
	unsigned k;
	uint64_t task, pool, code, data, frame, os;
};

/* A container whose init task runs prog with a data page; pool: 16 granules. */
static void box_new(struct box *b)
{
	uint32_t page[GRANULE_SIZE / 4];
	struct smc_regs r;

	b->k = mt_create_shim();
	b->pool = mt_donate(b->k, 16);
	assert_int_equal(mt_rc(RC_FN_CREATE_CONTAINER, mt.shim[b->k].handle, VA_CODE, VA_STACK, 0, 0,
			       &r),
			 RC_SUCCESS);
	b->task = r.x[1];
	b->code = b->pool;
	b->data = b->pool + GRANULE_SIZE;
	b->frame = mt_os_granules(1);
	b->os = mt_os_granules(1);
	assert_int_equal(mt_rc(RC_FN_SET_VMA, b->task, VA_CODE, GRANULE_SIZE,
			       RC_PROT_R | RC_PROT_X | RC_VMA_MAP, 0, NULL),
			 RC_SUCCESS);
	assert_int_equal(mt_rc(RC_FN_SET_VMA, b->task, VA_DATA, GRANULE_SIZE,
			       RC_PROT_R | RC_PROT_W | RC_VMA_MAP, 0, NULL),
			 RC_SUCCESS);
	assert_int_equal(mt_rc(RC_FN_SET_PTE, b->task, VA_CODE, b->code, RC_PROT_R | RC_PROT_X, 0, NULL),
			 RC_SUCCESS);
	assert_int_equal(mt_rc(RC_FN_SET_PTE, b->task, VA_DATA, b->data, RC_PROT_R | RC_PROT_W, 0, NULL),
			 RC_SUCCESS);
	mt_code(page, prog, ARRAY_SIZE(prog));
	assert_int_equal(host_mem_write(b->os, page, sizeof(page)), 0);
	assert_int_equal(mt_rc(RC_FN_COPY_PAGE, b->task, VA_CODE, b->os, 0, 0, NULL), RC_SUCCESS);
}

/*
 * Run task until its next exception; with regs: x0 = VA_DATA, x1 = value,
 * x8 = ppoll (its fds argument names [x0, x0 + 8 * x1) both ways: the
 * mini-OS lets peek and rc_ipc_in copy there), pc = VA_CODE.
 */
static void run(struct box *b, uint64_t task, bool regs, uint64_t value, struct rc_frame *out)
{
	struct rc_frame f = {0};
	struct smc_regs r;

	f.x[0] = VA_DATA;
	f.x[1] = value;
	f.x[8] = 73; /* ppoll */
	f.pc = VA_CODE;
	f.sp = VA_STACK;
	assert_int_equal(host_mem_write(b->frame, &f, sizeof(f)), 0);
	assert_int_equal(mt_rc(RC_FN_SWITCH_TO_MINIOS, task, b->frame,
			       regs ? RC_RUN_SET_REGS : RC_RUN_SET_X0, 0, 0, &r),
			 RC_SUCCESS);
	assert_int_equal(r.x[1], RC_REASON_SYNC);
	assert_int_equal(host_mem_read(b->frame, out, sizeof(*out)), 0);
}

/* The u64 at VA_DATA of task, read through rc_ipc_out. */
static uint64_t peek(struct box *b, uint64_t task)
{
	uint64_t v = 0;

	assert_int_equal(mt_rc(RC_FN_IPC_OUT, task, VA_DATA, b->os, 8, 0, NULL), RC_SUCCESS);
	assert_int_equal(host_mem_read(b->os, &v, 8), 0);
	return v;
}

struct cost {
	uint64_t el3, sw, tlbi, calls;
};

static struct cost since(const uint64_t c0[PLAT_CNT_NR])
{
	uint64_t c1[PLAT_CNT_NR];

	plat_counters_snapshot(c1);
	return (struct cost){c1[PLAT_CNT_RC_EL3] - c0[PLAT_CNT_RC_EL3],
			     c1[PLAT_CNT_GPT_SWITCH] - c0[PLAT_CNT_GPT_SWITCH],
			     c1[PLAT_CNT_TLBI] - c0[PLAT_CNT_TLBI],
			     c1[PLAT_CNT_RC_CALL] - c0[PLAT_CNT_RC_CALL]};
}

static void test_syscall_path(void **state)
{
	struct box b;
	struct rc_frame f;
	uint64_t c0[PLAT_CNT_NR];
	struct cost bare, ipc, call;

	box_new(&b);
	MT_CHECK();
	plat_counters_snapshot(c0);
	run(&b, b.task, true, 0x1234, &f);
	bare = since(c0);
	assert_int_equal(ESR_EC(f.esr), EC_SVC64);
	assert_int_equal(f.reason, RC_REASON_SYNC);
	assert_int_equal(f.pc, VA_CODE + 8);
	assert_int_equal(f.x[1], 0x1234);
	MT_CHECK();
	/* The store reached the container's page, not the OS's view of it. */
	assert_int_not_equal(host_mem_read(b.data, &f, 8), 0);
	plat_counters_snapshot(c0);
	assert_int_equal(peek(&b, b.task), 0x1234);
	call = since(c0);
	/* A system call whose handler makes one rc_* call (copy to the user): */
	plat_counters_snapshot(c0);
	assert_int_equal(mt_rc(RC_FN_IPC_IN, b.task, VA_DATA, b.os, 8, 0, NULL), RC_SUCCESS);
	run(&b, b.task, false, 0, &f);
	ipc = since(c0);
	assert_int_equal(f.x[0], VA_DATA); /* RC_RUN_SET_X0: x0 from the frame */

	/* The artifact's baseline: four EL3 round trips per call, here each with its TLBI. */
	assert_int_equal(bare.el3, 4);
	assert_int_equal(bare.sw, 4);
	assert_int_equal(bare.tlbi, 4);
	assert_int_equal(bare.calls, 2);
	assert_int_equal(call.el3, 2);
	assert_int_equal(call.sw, 2);
	assert_int_equal(call.tlbi, 2);
	assert_int_equal(ipc.el3, 6);
	printf("rcontainer per system call (baseline, artifact's path + TLBI): "
	       "%" PRIu64 " EL3 round trips, %" PRIu64 " GPT switches, %" PRIu64 " TLBIs, "
	       "%" PRIu64 " rc_* calls; each rc_* call the handler makes adds %" PRIu64 "/%" PRIu64
	       "/%" PRIu64 " (a call with one rc_ipc_in: %" PRIu64 "/%" PRIu64 "/%" PRIu64 ")\n",
	       bare.el3, bare.sw, bare.tlbi, bare.calls, call.el3, call.sw, call.tlbi, ipc.el3,
	       ipc.sw, ipc.tlbi);
	MT_CHECK();
	assert_int_equal(mt_rc(RC_FN_DESTROY_CONTAINER, mt.shim[b.k].handle, 0, 0, 0, 0, NULL),
			 RC_SUCCESS);
}

static void test_fork_exec_exit(void **state)
{
	struct box b;
	struct rc_frame f;
	struct smc_regs r;
	uint64_t child, zero[GRANULE_SIZE / 8], buf[GRANULE_SIZE / 8];

	memset(zero, 0, sizeof(zero));
	box_new(&b);
	run(&b, b.task, true, 0xAAAA, &f);
	/* fork: the child gets copies. */
	assert_int_equal(mt_rc(RC_FN_TASK_CLONE, b.task, 0, 0, 0, 0, &r), RC_SUCCESS);
	child = r.x[1];
	assert_int_equal(peek(&b, child), 0xAAAA);
	run(&b, child, true, 0xBBBB, &f);
	assert_int_equal(peek(&b, child), 0xBBBB);
	assert_int_equal(peek(&b, b.task), 0xAAAA);
	MT_CHECK();
	/* Unknown flags; a pool too small for another copy. */
	assert_int_equal(mt_rc(RC_FN_TASK_CLONE, b.task, 2, 0, 0, 0, NULL), RC_ERROR_INPUT);
	assert_int_equal(mt_rc(RC_FN_TASK_CLONE, b.task, 0, 0, 0, 0, NULL), RC_ERROR_NOMEM);
	/* A thread shares the space. */
	assert_int_equal(mt_rc(RC_FN_TASK_CLONE, child, RC_CLONE_VM, 0, 0, 0, &r), RC_SUCCESS);
	run(&b, r.x[1], true, 0xCCCC, &f);
	assert_int_equal(peek(&b, child), 0xCCCC);
	assert_int_equal(mt_rc(RC_FN_TASK_EXIT, r.x[1], 0, 0, 0, 0, NULL), RC_SUCCESS);
	assert_int_equal(peek(&b, child), 0xCCCC); /* the space lives on */
	/* exec: the parent's old space had one user; its pages are scrubbed and free. */
	assert_int_equal(mt_rc(RC_FN_TASK_EXEC, b.task, VA_CODE + 2, 0, 0, 0, NULL), RC_ERROR_INPUT);
	assert_int_equal(mt_rc(RC_FN_TASK_EXEC, b.task, VA_CODE, VA_STACK, 0, 0, NULL), RC_SUCCESS);
	assert_int_equal(mt_rc(RC_FN_IPC_OUT, b.task, VA_DATA, b.os, 8, 0, NULL), RC_ERROR_FAULT);
	assert_int_equal(mt_rc(RC_FN_MALLOC_MM, mt.shim[b.k].handle, b.data, 1, RC_MM_RECLAIM, 0, NULL),
			 RC_SUCCESS);
	mt_set_owner(b.data, 1, MT_OS);
	assert_int_equal(host_mem_read(b.data, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, zero, sizeof(buf));
	/* exit: the child's pages too (its data page is one of the pool's). */
	assert_int_equal(mt_rc(RC_FN_TASK_EXIT, child, 0, 0, 0, 0, NULL), RC_SUCCESS);
	for (unsigned i = 0; i < 16; i++) {
		uint64_t pa = b.pool + i * GRANULE_SIZE;

		if (pa == b.data)
			continue;
		if (mt_rc(RC_FN_MALLOC_MM, mt.shim[b.k].handle, pa, 1, RC_MM_RECLAIM, 0, NULL) ==
		    RC_SUCCESS) {
			mt_set_owner(pa, 1, MT_OS);
			assert_int_equal(host_mem_read(pa, buf, sizeof(buf)), 0);
			assert_memory_equal(buf, zero, sizeof(buf));
		}
	}
	MT_CHECK();
	assert_int_equal(mt_rc(RC_FN_DESTROY_CONTAINER, mt.shim[b.k].handle, 0, 0, 0, 0, NULL),
			 RC_SUCCESS);
	assert_int_equal(mt_rc(RC_FN_DESTROY_SHIM, mt.shim[b.k].handle, 0, 0, 0, 0, NULL), RC_SUCCESS);
	mt_forget_shim(b.k);
	MT_CHECK();
}

/*
 * The OS's copies bounded by the task's pending call: before the task has
 * run, its pages are fresh (the OS is building its image: all allowed);
 * once it traps in ppoll(VA_DATA, 1) only those 8 bytes (both ways), the
 * signal-frame room below its sp (writes) and pages mapped since its run;
 * registers the OS sets do not move the range; rc_copy_page only on fresh
 * pages. Each refusal is RC_ERROR_RANGE and counted.
 */
static void test_copy_bounds(void **state)
{
	struct box b;
	struct rc_frame f;
	struct rc_regs rg;
	struct smc_regs r;
	uint64_t c0[PLAT_CNT_NR], c1[PLAT_CNT_NR], stk = VA_STACK - GRANULE_SIZE, regs_pa;

	box_new(&b);
	regs_pa = mt_os_granules(1);
	assert_int_equal(mt_rc(RC_FN_SET_VMA, b.task, stk - GRANULE_SIZE, 2 * GRANULE_SIZE,
			       RC_PROT_R | RC_PROT_W | RC_VMA_MAP, 0, NULL),
			 RC_SUCCESS);
	assert_int_equal(mt_rc(RC_FN_SET_PTE, b.task, stk, RC_PTE_ANY, RC_PROT_R | RC_PROT_W, 0, &r),
			 RC_SUCCESS);
	/* fresh: the image being built is the OS's to read and write */
	assert_int_equal(mt_rc(RC_FN_IPC_OUT, b.task, VA_CODE, b.os, 64, 0, NULL), RC_SUCCESS);
	assert_int_equal(mt_rc(RC_FN_IPC_IN, b.task, VA_DATA + 64, b.os, 64, 0, NULL), RC_SUCCESS);
	assert_int_equal(mt_rc(RC_FN_COPY_PAGE, b.task, stk, 0, 0, 0, NULL), RC_SUCCESS);
	/* it runs: x0 = VA_DATA, x1 = 1, x8 = ppoll, sp = VA_STACK */
	run(&b, b.task, true, 1, &f);
	plat_counters_snapshot(c0);
	assert_int_equal(mt_rc(RC_FN_IPC_OUT, b.task, VA_DATA, b.os, 8, 0, NULL), RC_SUCCESS);
	assert_int_equal(mt_rc(RC_FN_IPC_IN, b.task, VA_DATA, b.os, 8, 0, NULL), RC_SUCCESS);
	assert_int_equal(mt_rc(RC_FN_IPC_OUT, b.task, VA_DATA, b.os, 9, 0, NULL), RC_ERROR_RANGE);
	assert_int_equal(mt_rc(RC_FN_IPC_IN, b.task, VA_DATA + 64, b.os, 8, 0, NULL), RC_ERROR_RANGE);
	assert_int_equal(mt_rc(RC_FN_IPC_OUT, b.task, VA_CODE, b.os, 64, 0, NULL), RC_ERROR_RANGE);
	assert_int_equal(mt_rc(RC_FN_IPC_OUT, b.task, VA_CODE, b.os, 64, RC_IPC_STRING, NULL),
			 RC_ERROR_RANGE);
	/* the signal-frame room below the trap's sp: written, not read */
	assert_int_equal(mt_rc(RC_FN_IPC_IN, b.task, VA_STACK - 256, b.os, 256, 0, NULL), RC_SUCCESS);
	assert_int_equal(mt_rc(RC_FN_IPC_OUT, b.task, VA_STACK - 256, b.os, 256, 0, NULL),
			 RC_ERROR_RANGE);
	/* rc_copy_page: the task has run with these pages */
	assert_int_equal(mt_rc(RC_FN_COPY_PAGE, b.task, VA_CODE, b.os, 0, 0, NULL), RC_ERROR_RANGE);
	assert_int_equal(mt_rc(RC_FN_COPY_PAGE, b.task, stk, 0, 0, 0, NULL), RC_ERROR_RANGE);
	plat_counters_snapshot(c1);
	assert_int_equal(c1[PLAT_CNT_RC_REFUSED] - c0[PLAT_CNT_RC_REFUSED], 7);
	/* registers the OS sets (a signal frame's) do not widen what the trap allows */
	assert_int_equal(mt_rc(RC_FN_TASK_REGS, b.task, regs_pa, RC_REGS_GET, 0, 0, NULL), RC_SUCCESS);
	assert_int_equal(host_mem_read(regs_pa, &rg, sizeof(rg)), 0);
	rg.x[0] = VA_CODE;
	rg.x[1] = 512;
	rg.x[8] = 63; /* read(VA_CODE, ...) as the OS would like it */
	rg.sp = VA_CODE + GRANULE_SIZE;
	assert_int_equal(host_mem_write(regs_pa, &rg, sizeof(rg)), 0);
	assert_int_equal(mt_rc(RC_FN_TASK_REGS, b.task, regs_pa, RC_REGS_SET, 0, 0, NULL), RC_SUCCESS);
	assert_int_equal(mt_rc(RC_FN_IPC_OUT, b.task, VA_CODE, b.os, 64, 0, NULL), RC_ERROR_RANGE);
	assert_int_equal(mt_rc(RC_FN_IPC_IN, b.task, VA_CODE, b.os, 64, 0, NULL), RC_ERROR_FAULT);
	assert_int_equal(mt_rc(RC_FN_IPC_IN, b.task, VA_DATA, b.os, 8, 0, NULL), RC_SUCCESS);
	/* a page mapped after the run is fresh until the next run */
	assert_int_equal(mt_rc(RC_FN_SET_PTE, b.task, stk - GRANULE_SIZE, RC_PTE_ANY,
			       RC_PROT_R | RC_PROT_W, 0, NULL),
			 RC_SUCCESS);
	assert_int_equal(mt_rc(RC_FN_COPY_PAGE, b.task, stk - GRANULE_SIZE, b.os, 0, 0, NULL),
			 RC_SUCCESS);
	assert_int_equal(mt_rc(RC_FN_IPC_OUT, b.task, stk - GRANULE_SIZE, b.os, 64, 0, NULL),
			 RC_SUCCESS);
	/* a fork child's pages are copies of the parent's: not fresh; its call is its parent's */
	assert_int_equal(mt_rc(RC_FN_TASK_CLONE, b.task, 0, 0, 0, 0, &r), RC_SUCCESS);
	assert_int_equal(mt_rc(RC_FN_COPY_PAGE, r.x[1], stk - GRANULE_SIZE, b.os, 0, 0, NULL),
			 RC_ERROR_RANGE);
	assert_int_equal(mt_rc(RC_FN_IPC_OUT, r.x[1], VA_DATA, b.os, 8, 0, NULL), RC_SUCCESS);
	assert_int_equal(mt_rc(RC_FN_IPC_OUT, r.x[1], VA_DATA + 8, b.os, 8, 0, NULL), RC_ERROR_RANGE);
	assert_int_equal(mt_rc(RC_FN_TASK_EXIT, r.x[1], 0, 0, 0, 0, NULL), RC_SUCCESS);
	/*
	 * an exec image (a scratch task's fresh mm) is the OS's to fill, but a
	 * page in use mapped into it is not fresh: the OS cannot read the
	 * container's data page through it
	 */
	assert_int_equal(mt_rc(RC_FN_TASK_CLONE, b.task, RC_CLONE_VM, 0, 0, 0, &r), RC_SUCCESS);
	assert_int_equal(mt_rc(RC_FN_TASK_EXEC, r.x[1], VA_CODE, VA_STACK, 0, 0, NULL), RC_SUCCESS);
	assert_int_equal(mt_rc(RC_FN_SET_VMA, r.x[1], VA_CODE, 2 * GRANULE_SIZE,
			       RC_PROT_R | RC_PROT_W | RC_VMA_MAP, 0, NULL),
			 RC_SUCCESS);
	assert_int_equal(mt_rc(RC_FN_SET_PTE, r.x[1], VA_CODE, RC_PTE_ANY, RC_PROT_R | RC_PROT_W, 0,
			       NULL),
			 RC_SUCCESS);
	assert_int_equal(mt_rc(RC_FN_IPC_IN, r.x[1], VA_CODE, b.os, 64, 0, NULL), RC_SUCCESS);
	assert_int_equal(mt_rc(RC_FN_IPC_OUT, r.x[1], VA_CODE, b.os, 64, 0, NULL), RC_SUCCESS);
	assert_int_equal(mt_rc(RC_FN_SET_PTE, r.x[1], VA_DATA, b.data, RC_PROT_R, 0, NULL),
			 RC_ERROR_FAULT); /* outside its areas */
	assert_int_equal(mt_rc(RC_FN_SET_PTE, r.x[1], VA_CODE + GRANULE_SIZE, b.data, RC_PROT_R, 0,
			       NULL),
			 RC_SUCCESS);
	assert_int_equal(mt_rc(RC_FN_IPC_OUT, r.x[1], VA_CODE + GRANULE_SIZE, b.os, 8, 0, NULL),
			 RC_ERROR_RANGE);
	assert_int_equal(mt_rc(RC_FN_TASK_EXIT, r.x[1], 0, 0, 0, 0, NULL), RC_SUCCESS);
	/* the parent runs again: the page mapped after its last run is not fresh any more */
	run(&b, b.task, true, 1, &f);
	assert_int_equal(mt_rc(RC_FN_COPY_PAGE, b.task, stk - GRANULE_SIZE, b.os, 0, 0, NULL),
			 RC_ERROR_RANGE);
	MT_CHECK();
	assert_int_equal(mt_rc(RC_FN_DESTROY_CONTAINER, mt.shim[b.k].handle, 0, 0, 0, 0, NULL),
			 RC_SUCCESS);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Run task with the CPU's timer armed `ns` ahead; it must come back preempted. */
static void run_preempted(struct box *b, uint64_t task, uint64_t flags, uint64_t ns,
			  struct rc_frame *out)
{
	struct smc_regs r;
	uint64_t t0 = mono_ns(), chunks = plat_cpu_timer_chunks();

	plat_cpu_timer_set(t0 + ns);
	assert_int_equal(mt_rc(RC_FN_SWITCH_TO_MINIOS, task, b->frame, flags, 0, 0, &r),
			 RC_SUCCESS);
	plat_cpu_timer_set(0);
	assert_int_equal(r.x[1], RC_REASON_IRQ);
	/* the interrupt is the timer's: not before it, and budgets ended in between */
	assert_true(mono_ns() - t0 >= ns);
	assert_true(plat_cpu_timer_chunks() > chunks);
	assert_int_equal(host_mem_read(b->frame, out, sizeof(*out)), 0);
	assert_int_equal(out->reason, RC_REASON_IRQ);
	assert_int_equal(out->esr, 0);
}

/*
 * A task preempted in user code (the CPU's timer: RC_REASON_IRQ) took no
 * trap: what its last system call allowed the OS to copy is not allowed any
 * more (only the signal-frame room below its sp, for a signal delivered on
 * the interrupt's way out), and it resumes where it stopped, registers kept.
 */
static void test_preempt_bounds(void **state)
{
	struct box b;
	struct rc_frame f, g;
	uint64_t c0[PLAT_CNT_NR], c1[PLAT_CNT_NR], stk = VA_STACK - GRANULE_SIZE;

	box_new(&b);
	assert_int_equal(mt_rc(RC_FN_SET_VMA, b.task, stk, GRANULE_SIZE,
			       RC_PROT_R | RC_PROT_W | RC_VMA_MAP, 0, NULL),
			 RC_SUCCESS);
	assert_int_equal(mt_rc(RC_FN_SET_PTE, b.task, stk, RC_PTE_ANY, RC_PROT_R | RC_PROT_W, 0, NULL),
			 RC_SUCCESS);
	/* a system call (ppoll on [VA_DATA, +8)): the OS may copy there */
	run(&b, b.task, true, 1, &f);
	assert_int_equal(mt_rc(RC_FN_IPC_IN, b.task, VA_DATA, b.os, 8, 0, NULL), RC_SUCCESS);
	/* the OS answers it and the task goes on to spin (pc = VA_SPIN, x2 = 0) */
	f.pc = VA_SPIN;
	f.x[2] = 0;
	assert_int_equal(host_mem_write(b.frame, &f, sizeof(f)), 0);
	run_preempted(&b, b.task, RC_RUN_SET_REGS, 30000000ULL, &g);
	assert_true(g.pc == VA_SPIN || g.pc == VA_SPIN + 4); /* inside the loop */
	assert_true(g.x[2] > 0);
	assert_int_equal(g.x[0], VA_DATA);
	assert_int_equal(g.sp, VA_STACK);
	plat_counters_snapshot(c0);
	assert_int_equal(mt_rc(RC_FN_IPC_IN, b.task, VA_DATA, b.os, 8, 0, NULL), RC_ERROR_RANGE);
	assert_int_equal(mt_rc(RC_FN_IPC_OUT, b.task, VA_DATA, b.os, 8, 0, NULL), RC_ERROR_RANGE);
	assert_int_equal(mt_rc(RC_FN_IPC_OUT, b.task, VA_STACK - 256, b.os, 256, 0, NULL),
			 RC_ERROR_RANGE);
	plat_counters_snapshot(c1);
	assert_int_equal(c1[PLAT_CNT_RC_REFUSED] - c0[PLAT_CNT_RC_REFUSED], 3);
	/* a signal frame below sp may be written (delivery on the interrupt's way out) */
	assert_int_equal(mt_rc(RC_FN_IPC_IN, b.task, VA_STACK - 256, b.os, 256, 0, NULL), RC_SUCCESS);
	/* resumed with nothing changed: it carries on counting from where it stopped */
	run_preempted(&b, b.task, 0, 1000000ULL, &f);
	assert_true(f.x[2] > g.x[2]);
	assert_int_equal(f.x[0], VA_DATA);
	assert_int_equal(f.sp, VA_STACK);
	assert_true(f.pc == VA_SPIN || f.pc == VA_SPIN + 4);
	MT_CHECK();
	assert_int_equal(mt_rc(RC_FN_DESTROY_CONTAINER, mt.shim[b.k].handle, 0, 0, 0, 0, NULL),
			 RC_SUCCESS);
}

/*
 * The TLBI after every GPTBR switch: a GPI cached under the Priv-GPT
 * survives a bare GPTBR write (RContainer's artifact), so the OS could
 * still reach the mini-OS's memory; the gate's switches invalidate it.
 */
static void test_switch_needs_tlbi(void **state)
{
	uint64_t gptbr_os = plat_read_gptbr(), gptbr_priv = GPTBR_FROM_PA(th_layout.root_base);

	assert_int_not_equal(plat_gpc_check(PAS_NS, mt.base, NULL), 0);
	/* The artifact's switch: Priv-GPT, touch mini-OS memory, OS-GPT without TLBI. */
	plat_write_gptbr(gptbr_priv);
	plat_tlbi_paallos();
	assert_int_equal(plat_gpc_check(PAS_NS, mt.base, NULL), 0);
	plat_write_gptbr(gptbr_os);
	assert_int_equal(plat_gpc_check(PAS_NS, mt.base, NULL), 0); /* stale: the OS reads it */
	/* One rc_* call through the gate: two switches, each with TLBI PAALLOS. */
	assert_int_equal(mt_rc(RC_FN_NR, 0, 0, 0, 0, 0, NULL), RC_ERROR_INPUT);
	assert_int_equal(plat_read_gptbr(), gptbr_os);
	assert_int_not_equal(plat_gpc_check(PAS_NS, mt.base, NULL), 0);
	MT_CHECK();
}

/* ---- MAP_SHARED across fork (rc_share) and file-backed MAP_SHARED ranges ---- */

#define VA_SH 0x700000ULL
#define SYS_MMAP 222
#define MAP_SHARED 1

/* Resume task (trapped or new) with the frame's x0..x8 (all of them: regs) or x0 only. */
static void resume(struct box *b, uint64_t task, bool regs, const uint64_t x[9])
{
	struct rc_frame f = {0};
	struct smc_regs r;

	memcpy(f.x, x, 9 * sizeof(uint64_t));
	f.pc = VA_CODE;
	f.sp = VA_STACK;
	assert_int_equal(host_mem_write(b->frame, &f, sizeof(f)), 0);
	assert_int_equal(mt_rc(RC_FN_SWITCH_TO_MINIOS, task, b->frame,
			       regs ? RC_RUN_SET_REGS : RC_RUN_SET_X0, 0, 0, &r),
			 RC_SUCCESS);
	assert_int_equal(r.x[1], RC_REASON_SYNC);
}

static void test_share(void **state)
{
	struct box b, other;
	struct rc_frame f;
	struct smc_regs r;
	uint64_t child, buf[GRANULE_SIZE / 8], zero[GRANULE_SIZE / 8];

	memset(zero, 0, sizeof(zero));
	box_new(&b);
	box_new(&other);
	run(&b, b.task, true, 0xAAAA, &f);
	assert_int_equal(mt_rc(RC_FN_TASK_CLONE, b.task, 0, 0, 0, 0, &r), RC_SUCCESS);
	child = r.x[1];
	assert_int_equal(peek(&b, child), 0xAAAA); /* a copy so far */
	/* Never into another container; not within one mm; malformed; no task. */
	assert_int_equal(mt_rc(RC_FN_SHARE, other.task, b.task, VA_DATA, GRANULE_SIZE, 0, NULL),
			 RC_ERROR_OWNER);
	assert_int_equal(mt_rc(RC_FN_SHARE, b.task, other.task, VA_DATA, GRANULE_SIZE, 0, NULL),
			 RC_ERROR_OWNER);
	assert_int_equal(mt_rc(RC_FN_SHARE, child, child, VA_DATA, GRANULE_SIZE, 0, NULL),
			 RC_ERROR_INPUT);
	assert_int_equal(mt_rc(RC_FN_SHARE, child, b.task, VA_DATA + 8, GRANULE_SIZE, 0, NULL),
			 RC_ERROR_INPUT);
	assert_int_equal(mt_rc(RC_FN_SHARE, child, b.task, VA_DATA, 0, 0, NULL), RC_ERROR_INPUT);
	assert_int_equal(mt_rc(RC_FN_SHARE, child, b.task, RC_VA_LIMIT - GRANULE_SIZE,
			       2 * GRANULE_SIZE, 0, NULL),
			 RC_ERROR_INPUT);
	/* a slot nothing lives in (the tables grow: any 16-bit slot may be one), or slot 0 */
	assert_int_equal(mt_rc(RC_FN_SHARE, child, 0x12345, VA_DATA, GRANULE_SIZE, 0, NULL),
			 RC_ERROR_STATE);
	assert_int_equal(mt_rc(RC_FN_SHARE, child, 0x10000, VA_DATA, GRANULE_SIZE, 0, NULL),
			 RC_ERROR_INPUT);
	MT_CHECK();
	/* The parent's data page (a hole after it) in the child: the child's copy goes back. */
	assert_int_equal(mt_rc(RC_FN_SHARE, child, b.task, VA_DATA, 2 * GRANULE_SIZE, 0, &r),
			 RC_SUCCESS);
	assert_int_equal(r.x[1], 1);
	MT_CHECK();
	/* One store, seen by both; both ways. */
	run(&b, child, true, 0xBBBB, &f);
	assert_int_equal(peek(&b, b.task), 0xBBBB);
	run(&b, b.task, true, 0xCCCC, &f);
	assert_int_equal(peek(&b, child), 0xCCCC);
	/* The parent ends: the page stays the child's, intact. */
	assert_int_equal(mt_rc(RC_FN_TASK_EXIT, b.task, 0, 0, 0, 0, NULL), RC_SUCCESS);
	assert_int_equal(peek(&b, child), 0xCCCC);
	assert_int_equal(mt_rc(RC_FN_SHARE, child, b.task, VA_DATA, GRANULE_SIZE, 0, NULL),
			 RC_ERROR_STATE);
	MT_CHECK();
	/* The child ends: the last mapping goes, the granule is scrubbed and free. */
	assert_int_equal(mt_rc(RC_FN_TASK_EXIT, child, 0, 0, 0, 0, NULL), RC_SUCCESS);
	assert_int_equal(
		mt_rc(RC_FN_MALLOC_MM, mt.shim[b.k].handle, b.data, 1, RC_MM_RECLAIM, 0, NULL),
		RC_SUCCESS);
	mt_set_owner(b.data, 1, MT_OS);
	assert_int_equal(host_mem_read(b.data, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, zero, sizeof(buf));
	MT_CHECK();
	assert_int_equal(mt_rc(RC_FN_DESTROY_CONTAINER, mt.shim[b.k].handle, 0, 0, 0, 0, NULL),
			 RC_SUCCESS);
	assert_int_equal(mt_rc(RC_FN_DESTROY_CONTAINER, mt.shim[other.k].handle, 0, 0, 0, 0, NULL),
			 RC_SUCCESS);
}

/*
 * The task's own mmap of a file with MAP_SHARED, completed over unmapped
 * pages, lets the OS copy those pages at any later call (file coherence);
 * a result over mapped pages, or an anonymous mapping, does not; a new
 * mapping over the range drops it.
 */
static void test_sync_ranges(void **state)
{
	struct box b;
	uint64_t x[9] = {0};

	box_new(&b);
	assert_int_equal(mt_rc(RC_FN_SET_VMA, b.task, VA_SH, 2 * GRANULE_SIZE,
			       RC_PROT_R | RC_PROT_W | RC_VMA_MAP, 0, NULL),
			 RC_SUCCESS);
	/* mmap(VA_DATA hint, 2 pages, RW, MAP_SHARED, fd 3) */
	x[0] = VA_DATA;
	x[1] = 2 * GRANULE_SIZE;
	x[2] = RC_PROT_R | RC_PROT_W;
	x[3] = MAP_SHARED;
	x[4] = 3;
	x[8] = SYS_MMAP;
	resume(&b, b.task, true, x);
	/* ... answered VA_SH: the task stores there, unmapped: an abort. */
	x[0] = VA_SH;
	resume(&b, b.task, false, x);
	assert_int_equal(
		mt_rc(RC_FN_SET_PTE, b.task, VA_SH, RC_PTE_ANY, RC_PROT_R | RC_PROT_W, 0, NULL),
		RC_SUCCESS);
	/* It runs again (the page is not fresh any more): the same mmap trap. */
	resume(&b, b.task, false, x);
	/* Its mmap call names no buffer; the sync range allows the page, not the data page. */
	assert_int_equal(mt_rc(RC_FN_IPC_OUT, b.task, VA_SH, b.os, 8, 0, NULL), RC_SUCCESS);
	assert_int_equal(mt_rc(RC_FN_IPC_IN, b.task, VA_SH + 8, b.os, 8, 0, NULL), RC_SUCCESS);
	assert_int_equal(mt_rc(RC_FN_IPC_OUT, b.task, VA_DATA, b.os, 8, 0, NULL), RC_ERROR_RANGE);
	MT_CHECK();
	/* That mmap answered over the mapped page: a new mapping there, not a sync range. */
	x[0] = VA_SH;
	resume(&b, b.task, false, x);
	assert_int_equal(mt_rc(RC_FN_IPC_OUT, b.task, VA_SH, b.os, 8, 0, NULL), RC_ERROR_RANGE);
	/* An anonymous shared mmap answered at an unmapped address: no sync range either. */
	x[3] = MAP_SHARED | 0x20;
	x[4] = (uint64_t)-1;
	x[0] = VA_DATA;
	resume(&b, b.task, true, x);
	x[0] = VA_SH + GRANULE_SIZE;
	resume(&b, b.task, false, x);
	assert_int_equal(mt_rc(RC_FN_SET_PTE, b.task, VA_SH + GRANULE_SIZE, RC_PTE_ANY,
			       RC_PROT_R | RC_PROT_W, 0, NULL),
			 RC_SUCCESS);
	resume(&b, b.task, false, x);
	assert_int_equal(mt_rc(RC_FN_IPC_OUT, b.task, VA_SH + GRANULE_SIZE, b.os, 8, 0, NULL),
			 RC_ERROR_RANGE);
	MT_CHECK();
	assert_int_equal(mt_rc(RC_FN_DESTROY_CONTAINER, mt.shim[b.k].handle, 0, 0, 0, 0, NULL),
			 RC_SUCCESS);
}

/*
 * rc_task_ending: a task killed while its own system call is pending.
 * Before the mark its robust futex list may not be walked (the call names
 * none of it); after it the list head, each entry's link and futex word
 * may, nothing else more; the task never runs again, and only its exit
 * ends it. A mark naming another container's con-shim is refused.
 */
#define SYS_SET_ROBUST_LIST 99
#define SYS_CLOCK_NANOSLEEP 115
#define ROBUST_HEAD (VA_DATA + 0x100)
#define ROBUST_ENTRY (VA_DATA + 0x200)
#define ROBUST_OFF 0x10
#define UNLISTED (VA_DATA + 0x300)

static void test_ending(void **state)
{
	struct box b, other;
	struct smc_regs r;
	uint64_t x[9] = {0}, w[3], dead, shim;

	box_new(&b);
	box_new(&other);
	shim = mt.shim[b.k].handle;
	/* The page is fresh: the list's other links (entry -> head) and offset before any run. */
	w[0] = ROBUST_HEAD;
	assert_int_equal(host_mem_write(b.os, w, 8), 0);
	assert_int_equal(mt_rc(RC_FN_IPC_IN, b.task, ROBUST_ENTRY, b.os, 8, 0, NULL), RC_SUCCESS);
	w[0] = ROBUST_OFF;
	assert_int_equal(host_mem_write(b.os, w, 8), 0);
	assert_int_equal(mt_rc(RC_FN_IPC_IN, b.task, ROBUST_HEAD + 8, b.os, 8, 0, NULL), RC_SUCCESS);
	/* set_robust_list(head, 24) (its store of 24 lands on head.next) */
	x[0] = ROBUST_HEAD;
	x[1] = 24;
	x[8] = SYS_SET_ROBUST_LIST;
	resume(&b, b.task, true, x);
	/*
	 * head.next = entry (the store), then clock_nanosleep(head, entry, NULL,
	 * NULL): blocked there, a call that names no memory
	 */
	x[1] = ROBUST_ENTRY;
	x[8] = SYS_CLOCK_NANOSLEEP;
	resume(&b, b.task, true, x);
	/* Before the mark: the whole head, the futex word, its link are outside the call. */
	assert_int_equal(mt_rc(RC_FN_IPC_OUT, b.task, ROBUST_HEAD, b.os, 24, 0, NULL),
			 RC_ERROR_RANGE);
	assert_int_equal(mt_rc(RC_FN_IPC_OUT, b.task, ROBUST_ENTRY + ROBUST_OFF, b.os, 4, 0, NULL),
			 RC_ERROR_RANGE);
	assert_int_equal(mt_rc(RC_FN_IPC_IN, b.task, ROBUST_ENTRY + ROBUST_OFF, b.os, 4, 0, NULL),
			 RC_ERROR_RANGE);
	/* Malformed, stale, another container's con-shim, from nowhere: refused, nothing marked. */
	assert_int_equal(mt_rc(RC_FN_TASK_ENDING, b.task, mt.shim[other.k].handle, 0, 0, 0, NULL),
			 RC_ERROR_OWNER);
	assert_int_equal(mt_rc(RC_FN_TASK_ENDING, other.task, shim, 0, 0, 0, NULL),
			 RC_ERROR_OWNER);
	assert_int_equal(mt_rc(RC_FN_TASK_ENDING, b.task, 0, 0, 0, 0, NULL), RC_ERROR_INPUT);
	assert_int_equal(mt_rc(RC_FN_TASK_ENDING, b.task, shim + (1ULL << 16), 0, 0, 0, NULL),
			 RC_ERROR_STATE);
	assert_int_equal(mt_rc(RC_FN_TASK_ENDING, 0, shim, 0, 0, 0, NULL), RC_ERROR_INPUT);
	assert_int_equal(mt_rc(RC_FN_TASK_ENDING, b.task + (1ULL << 16), shim, 0, 0, 0, NULL),
			 RC_ERROR_STATE);
	assert_int_equal(mt_rc(RC_FN_IPC_IN, b.task, ROBUST_ENTRY + ROBUST_OFF, b.os, 4, 0, NULL),
			 RC_ERROR_RANGE);
	MT_CHECK();
	/* The mark (twice: still one mark). */
	assert_int_equal(mt_rc(RC_FN_TASK_ENDING, b.task, shim, 0, 0, 0, NULL), RC_SUCCESS);
	assert_int_equal(mt_rc(RC_FN_TASK_ENDING, b.task, shim, 0, 0, 0, NULL), RC_SUCCESS);
	/* The walk: the head, the entry's link, its futex word read and written. */
	assert_int_equal(mt_rc(RC_FN_IPC_OUT, b.task, ROBUST_HEAD, b.os, 24, 0, NULL), RC_SUCCESS);
	assert_int_equal(host_mem_read(b.os, w, sizeof(w)), 0);
	assert_int_equal(w[0], ROBUST_ENTRY);
	assert_int_equal(w[1], ROBUST_OFF);
	assert_int_equal(mt_rc(RC_FN_IPC_OUT, b.task, ROBUST_ENTRY, b.os, 8, 0, NULL), RC_SUCCESS);
	assert_int_equal(mt_rc(RC_FN_IPC_OUT, b.task, ROBUST_ENTRY + ROBUST_OFF, b.os, 4, 0, NULL),
			 RC_SUCCESS);
	assert_int_equal(mt_rc(RC_FN_IPC_IN, b.task, ROBUST_ENTRY + ROBUST_OFF, b.os, 4, 0, NULL),
			 RC_SUCCESS);
	/* Nothing else: a word not on the list, the head or a link written. */
	assert_int_equal(mt_rc(RC_FN_IPC_IN, b.task, UNLISTED, b.os, 4, 0, NULL), RC_ERROR_RANGE);
	assert_int_equal(mt_rc(RC_FN_IPC_OUT, b.task, UNLISTED, b.os, 4, 0, NULL), RC_ERROR_RANGE);
	assert_int_equal(mt_rc(RC_FN_IPC_IN, b.task, ROBUST_HEAD, b.os, 8, 0, NULL), RC_ERROR_RANGE);
	assert_int_equal(mt_rc(RC_FN_IPC_IN, b.task, ROBUST_ENTRY, b.os, 8, 0, NULL), RC_ERROR_RANGE);
	/* The other container's task is not marked: it still runs. */
	assert_int_equal(mt_rc(RC_FN_SWITCH_TO_MINIOS, other.task, other.frame, 0, 0, 0, &r),
			 RC_SUCCESS);
	MT_CHECK();
	/* Never at EL0 again: no run, no new registers, no clone or exec of it. */
	assert_int_equal(mt_rc(RC_FN_SWITCH_TO_MINIOS, b.task, b.frame, RC_RUN_SET_X0, 0, 0, &r),
			 RC_ERROR_STATE);
	assert_int_equal(mt_rc(RC_FN_SWITCH_TO_MINIOS, b.task, b.frame, 0, 0, 0, &r),
			 RC_ERROR_STATE);
	assert_int_equal(mt_rc(RC_FN_TASK_REGS, b.task, b.os, RC_REGS_SET, 0, 0, NULL),
			 RC_ERROR_STATE);
	assert_int_equal(mt_rc(RC_FN_TASK_REGS, b.task, b.os, RC_REGS_GET, 0, 0, NULL), RC_SUCCESS);
	assert_int_equal(mt_rc(RC_FN_TASK_CLONE, b.task, RC_CLONE_VM, 0, 0, 0, &r), RC_ERROR_STATE);
	assert_int_equal(mt_rc(RC_FN_TASK_CLONE, b.task, 0, 0, 0, 0, &r), RC_ERROR_STATE);
	assert_int_equal(mt_rc(RC_FN_TASK_EXEC, b.task, VA_CODE, VA_STACK, 0, 0, NULL),
			 RC_ERROR_STATE);
	MT_CHECK();
	/* Its exit ends it; the handle is gone, and the slot's next task starts unmarked. */
	dead = b.task;
	assert_int_equal(mt_rc(RC_FN_TASK_EXIT, b.task, 0, 0, 0, 0, NULL), RC_SUCCESS);
	assert_int_equal(mt_rc(RC_FN_TASK_ENDING, dead, shim, 0, 0, 0, NULL), RC_ERROR_STATE);
	assert_int_equal(mt_rc(RC_FN_DESTROY_CONTAINER, shim, 0, 0, 0, 0, NULL), RC_SUCCESS);
	assert_int_equal(mt_rc(RC_FN_CREATE_CONTAINER, shim, VA_CODE, VA_STACK, 0, 0, &r),
			 RC_SUCCESS);
	assert_int_not_equal(r.x[1], dead);
	b.task = r.x[1];
	assert_int_equal(mt_rc(RC_FN_TASK_EXEC, b.task, VA_CODE, VA_STACK, 0, 0, NULL), RC_SUCCESS);
	MT_CHECK();
	assert_int_equal(mt_rc(RC_FN_DESTROY_CONTAINER, shim, 0, 0, 0, 0, NULL), RC_SUCCESS);
	assert_int_equal(mt_rc(RC_FN_DESTROY_CONTAINER, mt.shim[other.k].handle, 0, 0, 0, 0, NULL),
			 RC_SUCCESS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_syscall_path, mt_setup, mt_teardown),
		cmocka_unit_test_setup_teardown(test_fork_exec_exit, mt_setup, mt_teardown),
		cmocka_unit_test_setup_teardown(test_copy_bounds, mt_setup, mt_teardown),
		cmocka_unit_test_setup_teardown(test_switch_needs_tlbi, mt_setup, mt_teardown),
		cmocka_unit_test_setup_teardown(test_share, mt_setup, mt_teardown),
		cmocka_unit_test_setup_teardown(test_sync_ranges, mt_setup, mt_teardown),
		cmocka_unit_test_setup_teardown(test_preempt_bounds, mt_setup, mt_teardown),
		cmocka_unit_test_setup_teardown(test_ending, mt_setup, mt_teardown),
	};
	setenv("REALMBOX_LOG", "error", 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
