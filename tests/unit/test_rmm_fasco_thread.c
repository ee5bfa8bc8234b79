/*
 * Threads in the Fasco ABI (RSI_RB_THREAD): a free REC of the Container
 * Realm joins the address space of a REC whose clone(CLONE_VM) is pending,
 * with the clone's stack and TLS; a page mapped through either channel is
 * seen by both; a thread's end leaves the other's memory alone; and what a
 * hostile System Realm may not do with it: a REC of another Container Realm
 * bound to it, the same channel twice, a REC that has run, a parent
 * without a pending clone, a vfork, a fork into another Container Realm's
 * REC -- refused and counted.
 */
#include "fasco_test_util.h"

#include <pthread.h>
#include <sched.h>

#include "host/host.h"
#include "rmm/fasco.h"

#define CODE_VA 0x400000ULL
#define STACK_VA 0x7ff000ULL
#define SP0 (STACK_VA + 0x800)
#define CTID_VA (STACK_VA + 0x900)
#define PTID_VA (STACK_VA + 0x910)
#define TSTACK_VA 0x600000ULL /* the thread's stack page */
#define NEWSP (TSTACK_VA + 0xf00)
#define TLS 0x601234ULL
#define SHARED_VA 0x500000ULL
#define PC_SPIN (CODE_VA + 0xc) /* b . */

#define T_CLONE_VM 0x100ULL
#define T_CLONE_FS 0x200ULL
#define T_CLONE_FILES 0x400ULL
#define T_CLONE_SIGHAND 0x800ULL
#define T_CLONE_VFORK 0x4000ULL
#define T_CLONE_THREAD 0x10000ULL
#define T_CLONE_SETTLS 0x80000ULL
#define T_CLONE_PARENT_SETTID 0x00100000ULL
#define T_CLONE_CHILD_CLEARTID 0x00200000ULL
#define T_THREAD_FLAGS                                                                             \
	(T_CLONE_VM | T_CLONE_FS | T_CLONE_FILES | T_CLONE_SIGHAND | T_CLONE_THREAD |              \
	 T_CLONE_SETTLS | T_CLONE_PARENT_SETTID | T_CLONE_CHILD_CLEARTID)

/* The container's code: orr v1, v0, v0; cmp x0, x0; svc; b . */
static const uint32_t code[] = {0x4ea01c01, 0xeb00001f, 0xd4000001, 0x14000000};

static struct fx_sys sys;
static struct fx_cont cont, other;

static uint64_t threads_of(uint64_t rd)
{
	return rd_map(granule_find(rd))->rb_threads;
}

/* START of the A64 parent: code, stack, a thread stack; it runs to clone(flags). */
static void start_parent(uint64_t clone_flags)
{
	static uint8_t page[GRANULE_SIZE];
	static struct rb_regs r;
	struct rmi_rec_exit exit;
	unsigned map;

	assert_int_equal(fx_cont_enter(&cont, &exit), RMI_SUCCESS);
	assert_true(fx_exit_is_bare_forward(&exit));
	memset(page, 0, sizeof(page));
	memcpy(page, code, sizeof(code));
	memset(&r, 0, sizeof(r));
	r.mask = RB_REGS_PC | RB_REGS_SP | BIT(0) | BIT(1) | BIT(2) | BIT(3) | BIT(4) | BIT(8);
	r.pc = CODE_VA;
	r.sp = SP0;
	r.x[0] = clone_flags;
	r.x[1] = NEWSP;
	r.x[2] = PTID_VA;
	r.x[3] = TLS;
	r.x[4] = CTID_VA;
	r.x[8] = 220;
	fxq_reset();
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_TAKE, cont.chan_ipa, 0, 0, 0);
	fxq_write(SYS_PAGE_IPA, page, sizeof(page));
	map = fxq_smc(SMC_RSI_RB_MAP, cont.chan_ipa, CODE_VA, CT_FRESH_IPA(0),
		      RB_PROT_R | RB_PROT_X, SYS_PAGE_IPA);
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_MAP, cont.chan_ipa, STACK_VA, CT_FRESH_IPA(1),
		 RB_PROT_R | RB_PROT_W);
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_MAP, cont.chan_ipa, TSTACK_VA, CT_FRESH_IPA(2),
		 RB_PROT_R | RB_PROT_W);
	fxq_write(SYS_REGS_IPA, &r, sizeof(r));
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_SET_REGS, cont.chan_ipa, SYS_REGS_IPA, 0, 0);
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_COMPLETE, cont.chan_ipa, 0, RB_COMPLETE_KEEP_X0, 0);
	fx_sys_run(&sys);
	fxq_check();
	assert_int_equal(fx_q.out[map].x[0], RSI_SUCCESS);
	/* Now its clone is forwarded. */
	assert_int_equal(fx_cont_enter(&cont, &exit), RMI_SUCCESS);
	assert_true(fx_exit_is_bare_forward(&exit));
	assert_int_equal(rt_rec(cont.rec)->fasco.nr, 220);
}

/* A System Realm, a two-REC Container Realm `cont` (A64) and another one bound to it. */
static void world(uint64_t clone_flags)
{
	fx_sys_build(&sys);
	fx_cont_build_ex(&cont, &sys, 0 /* A64 */, 0, true, 2);
	fx_cont_build_ex(&other, &sys, 0 /* A64 */, 1, true, 2);
	start_parent(clone_flags);
}

static void test_thread_shares(void **state)
{
	static const char word[] = "seen by both threads";
	static struct rb_regs gc;
	struct rmi_rec_exit exit;
	struct rec *parent, *child;
	uint64_t pa, refusals_c, refusals_s;
	unsigned prot;

	world(T_THREAD_FLAGS);
	parent = rt_rec(cont.rec);
	child = rt_rec(cont.rec2);
	refusals_c = fx_counter(cont.r.rd, 1);
	refusals_s = fx_counter(sys.r.rd, 1);

	fxq_reset();
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_TAKE, cont.chan_ipa, 0, 0, 0);
	/* A REC of another Container Realm bound to this System Realm: refused. */
	fxq_want(RSI_ERROR_INPUT, SMC_RSI_RB_THREAD, cont.chan_ipa, other.chan2_ipa, 0, 0);
	/* The same channel twice; a channel that is not one. */
	fxq_want(RSI_ERROR_INPUT, SMC_RSI_RB_THREAD, cont.chan_ipa, cont.chan_ipa, 0, 0);
	fxq_want(RSI_ERROR_INPUT, SMC_RSI_RB_THREAD, cont.chan_ipa, SYS_PAGE_IPA, 0, 0);
	/* A parent with nothing pending (the other realm's REC never ran). */
	fxq_want(RSI_ERROR_STATE, SMC_RSI_RB_THREAD, other.chan_ipa, other.chan2_ipa, 0, 0);
	/* Accepted. */
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_THREAD, cont.chan_ipa, cont.chan2_ipa, 0, 0);
	/* Again into the same REC: it has run now. */
	fxq_want(RSI_ERROR_INPUT, SMC_RSI_RB_THREAD, cont.chan_ipa, cont.chan2_ipa, 0, 0);
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_GET_REGS, cont.chan2_ipa, SYS_SCRATCH_IPA, 0, 0);
	fxq_read(SYS_SCRATCH_IPA, &gc, sizeof(gc));
	/* A page mapped through the thread's channel, written through the parent's. */
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_MAP, cont.chan2_ipa, SHARED_VA, CT_FRESH_IPA(3),
		 RB_PROT_R | RB_PROT_W);
	fxq_write(SYS_BUF_IPA, word, sizeof(word));
	/* clone's ptid is the parent's call's to write; the thread's ctid is not yet. */
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_COPY_OUT, cont.chan_ipa, PTID_VA, SYS_BUF_IPA, 4);
	fxq_want(RSI_ERROR_INPUT, SMC_RSI_RB_COPY_OUT, cont.chan2_ipa, CTID_VA, SYS_BUF_IPA, 4);
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_COMPLETE, cont.chan2_ipa, 0, 0, 0);
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_COMPLETE, cont.chan_ipa, 3, 0, 0);
	fx_sys_run(&sys);
	fxq_check();

	/* Refused: another realm's REC, same channel, not a channel, nothing pending, twice, ctid. */
	assert_int_equal(fx_counter(cont.r.rd, 1), refusals_c + 3);
	assert_int_equal(fx_counter(sys.r.rd, 1), refusals_s + 6);
	assert_int_equal(threads_of(cont.r.rd), 1);
	assert_int_equal(threads_of(sys.r.rd), 1);
	assert_int_equal(threads_of(other.r.rd), 0);
	/* The other Container Realm's REC was not touched: no address space, nothing run. */
	assert_null(rt_rec(other.rec2)->fasco.as);
	assert_false(rt_rec(other.rec2)->fasco.started);

	/* One address space, two users; the thread's registers from the clone. */
	assert_ptr_equal(child->fasco.as, parent->fasco.as);
	assert_int_equal(child->fasco.as_tag, parent->fasco.as_tag);
	assert_int_equal(fasco_as_users(parent), 2);
	assert_int_equal(gc.x[0], 0);
	assert_int_equal(gc.sp, NEWSP);
	assert_int_equal(gc.tpidr, TLS);
	assert_int_equal(gc.pc, PC_SPIN);
	assert_int_equal(child->fasco.ctid, CTID_VA);
	assert_int_equal(plat_as_query(parent->fasco.as, SHARED_VA, &pa, &prot), 0);
	assert_int_equal(ALIGN_DOWN(pa, GRANULE_SIZE), cont.fresh[3]);
	assert_int_equal(granule_fasco_owner(granule_find(cont.fresh[3])), parent->fasco.as_tag);

	/* Both run (spinning, on this thread one after the other): IRQ exits. */
	assert_int_equal(fx_enter(cont.rec2, cont.run2, &exit), RMI_SUCCESS);
	assert_int_equal(exit.exit_reason, RMI_EXIT_IRQ);
	assert_int_equal(fx_enter(cont.rec, cont.run, &exit), RMI_SUCCESS);
	assert_int_equal(exit.exit_reason, RMI_EXIT_IRQ);

	/* The thread is kicked and ends: its ctid may be cleared, then it leaves. */
	fxq_reset();
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_KICK, cont.chan2_ipa, 0, 0, 0);
	fx_sys_run(&sys);
	fxq_check();
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(fx_enter(cont.rec2, cont.run2, &exit), RMI_SUCCESS);
		if (exit.exit_reason != RMI_EXIT_IRQ)
			break;
	}
	assert_true(fx_exit_is_bare_forward(&exit));
	/* What the threads keep in the shared page (as if the thread had stored it). */
	memcpy(granule_map(granule_find(cont.fresh[3])), word, sizeof(word));
	fxq_reset();
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_TAKE, cont.chan2_ipa, 0, 0, 0);
	fxq_write(SYS_BUF_IPA + 64, "\0\0\0\0", 4);
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_COPY_OUT, cont.chan2_ipa, CTID_VA, SYS_BUF_IPA + 64, 4);
	fxq_want(RSI_ERROR_INPUT, SMC_RSI_RB_COPY_OUT, cont.chan2_ipa, PTID_VA, SYS_BUF_IPA + 64,
		 4);
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_COMPLETE, cont.chan2_ipa, 0, RB_COMPLETE_EXIT, 0);
	fx_sys_run(&sys);
	fxq_check();
	assert_null(child->fasco.as);
	assert_int_equal(child->fasco.as_tag, 0);
	assert_int_equal(fasco_as_users(parent), 1);
	assert_int_equal(fx_enter(cont.rec2, cont.run2, &exit), RMI_SUCCESS);
	assert_int_equal(exit.exit_reason, RMI_EXIT_RB_EXITED);

	/* The parent's memory stays: mapped, with what the thread stored. */
	assert_int_equal(plat_as_query(parent->fasco.as, SHARED_VA, &pa, &prot), 0);
	assert_int_equal(plat_as_query(parent->fasco.as, CODE_VA, &pa, &prot), 0);
	assert_int_equal(fx_enter(cont.rec, cont.run, &exit), RMI_SUCCESS);
	assert_int_equal(exit.exit_reason, RMI_EXIT_IRQ);
	assert_memory_equal(granule_map(granule_find(cont.fresh[3])), word, sizeof(word));

	/*
	 * The thread's REC is destroyed first: the parent's pages stay; then
	 * the parent's: every granule of the address space is scrubbed.
	 */
	assert_int_equal(th_rmi(SMC_RMI_RB_CHANNEL_DESTROY, sys.r.rd, cont.rec2, cont.chan2_ipa, 0,
				0, 0, NULL),
			 RMI_SUCCESS);
	cont.has_chan2 = false;
	assert_int_equal(th_rmi(SMC_RMI_REC_DESTROY, cont.rec2, 0, 0, 0, 0, 0, NULL), RMI_SUCCESS);
	assert_int_equal(granule_fasco_owner(granule_find(cont.fresh[3])), parent->fasco.as_tag);
	assert_memory_equal(granule_map(granule_find(cont.fresh[3])), word, sizeof(word));
	fx_inv_ok();
	fx_cont_teardown(&cont, &sys);
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(granule_fasco_owner(granule_find(cont.fresh[i])), 0);
		assert_true(fx_realm_granule_zero_util(cont.fresh[i]));
	}
	fx_inv_ok();
}

/* The refused kinds of clone: a vfork is a copy (FORK_*), never a thread. */
static void test_thread_vfork_refused(void **state)
{
	uint64_t refusals;

	world(T_CLONE_VM | T_CLONE_VFORK | 17);
	refusals = fx_counter(cont.r.rd, 1);
	fxq_reset();
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_TAKE, cont.chan_ipa, 0, 0, 0);
	fxq_want(RSI_ERROR_INPUT, SMC_RSI_RB_THREAD, cont.chan_ipa, cont.chan2_ipa, 0, 0);
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_COMPLETE, cont.chan_ipa, (uint64_t)-11, 0, 0);
	/* Once completed, nothing is pending: STATE. */
	fxq_want(RSI_ERROR_STATE, SMC_RSI_RB_THREAD, cont.chan_ipa, cont.chan2_ipa, 0, 0);
	fx_sys_run(&sys);
	fxq_check();
	assert_int_equal(fx_counter(cont.r.rd, 1), refusals + 2);
	assert_int_equal(threads_of(cont.r.rd), 0);
	assert_null(rt_rec(cont.rec2)->fasco.as);
	assert_false(rt_rec(cont.rec2)->fasco.started);
	fx_inv_ok();
}

/* A fork (no CLONE_VM) is not a thread either. */
static void test_thread_fork_refused(void **state)
{
	world(17 /* SIGCHLD */);
	fxq_reset();
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_TAKE, cont.chan_ipa, 0, 0, 0);
	fxq_want(RSI_ERROR_INPUT, SMC_RSI_RB_THREAD, cont.chan_ipa, cont.chan2_ipa, 0, 0);
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_COMPLETE, cont.chan_ipa, (uint64_t)-11, 0, 0);
	fx_sys_run(&sys);
	fxq_check();
	assert_int_equal(threads_of(cont.r.rd), 0);
	assert_int_equal(fasco_as_users(rt_rec(cont.rec)), 1);
	fx_inv_ok();
}

/*
 * A fork of cont's pending clone into a REC of the other Container Realm
 * bound to the same System Realm (a System Realm serving both): FORK_PAGE
 * and FORK_REGS are refused and counted, the other REC is left untouched.
 */
static void test_fork_into_other_container(void **state)
{
	uint64_t refusals_c, refusals_s, refusals_o;

	world(17 /* SIGCHLD */);
	refusals_c = fx_counter(cont.r.rd, 1);
	refusals_s = fx_counter(sys.r.rd, 1);
	refusals_o = fx_counter(other.r.rd, 1);
	fxq_reset();
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_TAKE, cont.chan_ipa, 0, 0, 0);
	fxq_want(RSI_ERROR_INPUT, SMC_RSI_RB_FORK_PAGE, cont.chan_ipa, other.chan2_ipa, CODE_VA,
		 CT_FRESH_IPA(3));
	fxq_want(RSI_ERROR_INPUT, SMC_RSI_RB_FORK_REGS, cont.chan_ipa, other.chan2_ipa, 0, 0);
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_COMPLETE, cont.chan_ipa, (uint64_t)-11, 0, 0);
	fx_sys_run(&sys);
	fxq_check();
	assert_int_equal(fx_counter(cont.r.rd, 1), refusals_c + 2);
	assert_int_equal(fx_counter(sys.r.rd, 1), refusals_s + 2);
	assert_int_equal(fx_counter(other.r.rd, 1), refusals_o);
	assert_null(rt_rec(other.rec2)->fasco.as);
	assert_false(rt_rec(other.rec2)->fasco.started);
	fx_inv_ok();
}

/* Host thread entering a REC until it leaves with something else than an IRQ. */
static struct {
	uint64_t rec, run;
	uint64_t ret, reason;
	unsigned irqs;
	int running;
} spin;

static void *spin_thread(void *arg)
{
	struct rmi_rec_exit x;

	(void)arg;
	for (;;) {
		__atomic_store_n(&spin.running, 1, __ATOMIC_RELEASE);
		spin.ret = fx_enter(spin.rec, spin.run, &x);
		if (spin.ret != RMI_SUCCESS)
			break;
		spin.reason = x.exit_reason;
		if (x.exit_reason != RMI_EXIT_IRQ ||
		    __atomic_add_fetch(&spin.irqs, 1, __ATOMIC_RELAXED) > 5000)
			break;
	}
	__atomic_store_n(&spin.running, 2, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * The thread spins in the shared code page on another host thread; the
 * parent's call unmaps that page: the running thread's next instruction
 * fetch faults (its cached translation was invalidated), forwarded as an
 * abort at the page.
 */
static void test_thread_unmap_while_running(void **state)
{
	pthread_t t;

	world(T_THREAD_FLAGS);
	fxq_reset();
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_TAKE, cont.chan_ipa, 0, 0, 0);
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_THREAD, cont.chan_ipa, cont.chan2_ipa, 0, 0);
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_COMPLETE, cont.chan2_ipa, 0, 0, 0);
	fx_sys_run(&sys);
	fxq_check();
	memset(&spin, 0, sizeof(spin));
	spin.rec = cont.rec2;
	spin.run = cont.run2;
	assert_int_equal(pthread_create(&t, NULL, spin_thread, NULL), 0);
	while (__atomic_load_n(&spin.running, __ATOMIC_ACQUIRE) == 0)
		sched_yield();
	while (__atomic_load_n(&spin.irqs, __ATOMIC_RELAXED) < 2 &&
	       __atomic_load_n(&spin.running, __ATOMIC_ACQUIRE) == 1)
		sched_yield();
	/* The parent's clone is still taken: its channel unmaps the code page. */
	fxq_reset();
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_UNMAP, cont.chan_ipa, CODE_VA, GRANULE_SIZE, 0);
	fx_sys_run(&sys);
	fxq_check();
	assert_int_equal(pthread_join(t, NULL), 0);
	printf("fasco: UNMAP of a running thread's code: %u IRQ exits before its abort\n",
	       spin.irqs);
	assert_int_equal(spin.ret, RMI_SUCCESS);
	assert_int_equal(spin.reason, RMI_EXIT_RB_FORWARD);
	assert_int_equal(rt_rec(cont.rec2)->fasco.kind, RB_REQ_ABORT);
	assert_int_equal(rt_rec(cont.rec2)->fasco.far, PC_SPIN);
	/* Scrubbed and released at once: the parent's address space maps it no more. */
	assert_int_equal(granule_fasco_owner(granule_find(cont.fresh[0])), 0);
	assert_true(fx_realm_granule_zero_util(cont.fresh[0]));
	fx_inv_ok();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_thread_shares, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_thread_vfork_refused, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_thread_fork_refused, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_fork_into_other_container, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_thread_unmap_while_running, fx_setup,
						fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
