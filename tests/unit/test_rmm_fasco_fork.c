/*
 * Multi-process containers and signal delivery in the Fasco ABI: GET_REGS
 * and the full struct rb_regs (NZCV, FP/SIMD), FORK_REGS handing the
 * parent's clone request to the child, clone's tid pointers, vfork, the
 * recycling of a REC whose process exited, and KICK of a container REC
 * spinning in A64 user code (on another host thread) or not running.
 */
#include "fasco_test_util.h"

#include <pthread.h>
#include <sched.h>

#include "host/host.h"

#define CODE_VA 0x400000ULL
#define STACK_VA 0x7ff000ULL
#define SP0 (STACK_VA + 0x800) /* below: the signal-frame room; above: the tids */
#define CTID_VA (STACK_VA + 0x900)
#define PTID_VA (STACK_VA + 0x910)
#define OTHER_VA (STACK_VA + 0x920)
#define PC_SVC (CODE_VA + 0x8)	    /* clone */
#define PC_SPIN (CODE_VA + 0xc)	    /* b . */
#define PC_HANDLER (CODE_VA + 0x10) /* exit_group(x0) */

#define T_CLONE_VM 0x100ULL
#define T_CLONE_VFORK 0x4000ULL
#define T_CLONE_PARENT_SETTID 0x00100000ULL
#define T_CLONE_CHILD_SETTID 0x01000000ULL
#define SIGCHLD 17ULL
#define NZCV_PARENT 0x90000000ULL /* N, V: what START sets */
#define NZCV_CMP 0x60000000ULL	  /* Z, C: after cmp x0, x0 */
#define FPCR_DN 0x02000000U
#define FPSR_QC 0x08000000U

/* The container's code: orr v1, v0, v0; cmp x0, x0; svc; b .; mov x8, #94; svc; b . */
static const uint32_t code[] = {0x4ea01c01, 0xeb00001f, 0xd4000001, 0x14000000,
				0xd2800bc8, 0xd4000001, 0x14000000};

static struct fx_sys sys;
static struct fx_cont cont;

static void parent_fp(struct rb_regs *r)
{
	for (unsigned i = 0; i < 32; i++) {
		r->fp_q[i][0] = 0x1111111111111111ULL * (i + 1);
		r->fp_q[i][1] = ~(uint64_t)i;
	}
	r->fpcr = FPCR_DN;
	r->fpsr = FPSR_QC;
}

/* ---- GET_REGS / SET_REGS on a native container -------------------------------- */

static void test_regs_roundtrip(void **state)
{
	static struct rb_regs set, bad, got0, got1;
	struct rmi_rec_exit exit;
	struct rb_channel chv;
	struct rec *crec;
	uint64_t owned;

	ct.n = 1;
	ct.call[0].nr = 172; /* getpid */
	rt_guest(CONT_PC, fx_guest_cont);
	fx_sys_build(&sys);
	fx_cont_build_ex(&cont, &sys, CONT_PC, 0, true, 2);
	assert_int_equal(fx_cont_enter(&cont, &exit), RMI_SUCCESS); /* START */
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_TAKE, cont.chan_ipa, 0, 0, 0);
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_COMPLETE, cont.chan_ipa, 0, 0, 0);
	fx_sys_run(&sys);
	fxq_check();
	assert_int_equal(fx_cont_enter(&cont, &exit), RMI_SUCCESS); /* getpid */
	assert_true(fx_exit_is_bare_forward(&exit));
	crec = rt_rec(cont.rec);
	owned = crec->regs.pstate & ~(uint64_t)GENMASK(31, 28); /* SET_REGS keeps these */
	assert_int_not_equal(owned, 0);

	memset(&set, 0, sizeof(set));
	set.mask = GENMASK(30, 0) | RB_REGS_SP | RB_REGS_TPIDR | RB_REGS_PSTATE | RB_REGS_FP;
	for (unsigned i = 0; i < 31; i++)
		set.x[i] = 0x1000 + i;
	set.sp = 0x7fe000;
	set.tpidr = 0xabcdef;
	set.pstate = NZCV_PARENT;
	parent_fp(&set);
	bad = set;
	bad.mask = RB_REGS_PSTATE;
	bad.pstate = NZCV_PARENT | 0x3c0; /* DAIF: not the System Realm's */

	fxq_reset();
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_TAKE, cont.chan_ipa, 0, 0, 0);
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_GET_REGS, cont.chan_ipa, SYS_SCRATCH_IPA, 0, 0);
	fxq_write(SYS_REGS_IPA, &set, sizeof(set));
	fxq_write(SYS_REGS_IPA + 0x400, &bad, sizeof(bad));
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_SET_REGS, cont.chan_ipa, SYS_REGS_IPA, 0, 0);
	fxq_want(RSI_ERROR_INPUT, SMC_RSI_RB_SET_REGS, cont.chan_ipa, SYS_REGS_IPA + 0x400, 0, 0);
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_GET_REGS, cont.chan_ipa, SYS_SCRATCH_IPA + 0x400, 0, 0);
	/* GET_REGS into a buffer across a granule, unaligned, not DATA. */
	fxq_want(RSI_ERROR_INPUT, SMC_RSI_RB_GET_REGS, cont.chan_ipa, SYS_SCRATCH_IPA + 0xd00, 0,
		 0);
	fxq_want(RSI_ERROR_INPUT, SMC_RSI_RB_GET_REGS, cont.chan_ipa, SYS_SCRATCH_IPA + 4, 0, 0);
	fxq_want(RSI_ERROR_INPUT, SMC_RSI_RB_GET_REGS, cont.chan_ipa, 0xf000, 0, 0);
	/* KICK of a REC never started, of one with a request pending, of no channel. */
	fxq_want(RSI_ERROR_STATE, SMC_RSI_RB_KICK, cont.chan2_ipa, 0, 0, 0);
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_KICK, cont.chan_ipa, 0, 0, 0);
	fxq_want(RSI_ERROR_INPUT, SMC_RSI_RB_KICK, SYS_PAGE_IPA, 0, 0, 0);
	fxq_read(SYS_SCRATCH_IPA, &got0, sizeof(got0));
	fxq_read(SYS_SCRATCH_IPA + 0x400, &got1, sizeof(got1));
	fxq_read(cont.chan_ipa, &chv, offsetof(struct rb_channel, reserved));
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_COMPLETE, cont.chan_ipa, 5, RB_COMPLETE_KEEP_X0, 0);
	fxq_want(RSI_ERROR_STATE, SMC_RSI_RB_GET_REGS, cont.chan_ipa, SYS_SCRATCH_IPA, 0, 0);
	fx_sys_run(&sys);
	fxq_check();

	/* Before SET_REGS: the call as the REC made it, no FP state yet. */
	assert_int_equal(got0.mask, RB_REGS_VALID_MASK);
	assert_int_equal(got0.x[8], 172);
	assert_int_equal(got0.pc, chv.pc);
	assert_int_equal(got0.fp_q[0][0], 0);
	/* After: exactly what SET_REGS set (FP kept in the REC: a native PE has none). */
	assert_int_equal(got1.mask, RB_REGS_VALID_MASK);
	assert_memory_equal(got1.x, set.x, sizeof(set.x));
	assert_int_equal(got1.sp, set.sp);
	assert_int_equal(got1.tpidr, set.tpidr);
	assert_int_equal(got1.pstate, NZCV_PARENT); /* the bad SET_REGS changed nothing */
	assert_memory_equal(got1.fp_q, set.fp_q, sizeof(set.fp_q));
	assert_int_equal(got1.fpcr, FPCR_DN);
	assert_int_equal(got1.fpsr, FPSR_QC);
	assert_int_equal(got1.reserved, 0);
	assert_int_equal(crec->regs.pstate, NZCV_PARENT | owned);
	/* The channel mirrors x0..x8 only. */
	assert_int_equal(chv.x[8], 0x1008);

	/* Counters: two register reads and one kick, in both realms; no kick forwarded. */
	assert_int_equal(fx_counter(cont.r.rd, 4), 2);
	assert_int_equal(fx_counter(sys.r.rd, 4), 2);
	assert_int_equal(fx_counter(cont.r.rd, 5), 1);
	assert_int_equal(fx_counter(sys.r.rd, 5), 1);
	assert_int_equal(fx_counter(cont.r.rd, 1), 1); /* GET_REGS with nothing pending */
	assert_int_equal(fx_counter(sys.r.rd, 1), 2);  /* ... and KICK of a non-channel */
	assert_int_equal(fx_cont_enter(&cont, &exit), RMI_SUCCESS);
	assert_true(fx_exit_is_bare_forward(&exit));
	assert_int_equal(ct.result[0], 0x1000);				/* KEEP_X0: SET_REGS' x0 */
	assert_int_equal(rt_rec(cont.rec)->fasco.kind, RB_REQ_SYSCALL); /* exit_group, no KICK */
	fx_inv_ok();
}

/* ---- An A64 parent forks; its child spins in user code ---------------------------- */

/* START of the A64 parent: code, stack, registers (clone flags), NZCV and FP. */
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
	r.mask = RB_REGS_PC | RB_REGS_SP | BIT(0) | BIT(2) | BIT(4) | BIT(8) | RB_REGS_PSTATE |
		 RB_REGS_FP;
	r.pc = CODE_VA;
	r.sp = SP0;
	r.x[0] = clone_flags;
	r.x[2] = PTID_VA;
	r.x[4] = CTID_VA;
	r.x[8] = 220;
	r.pstate = NZCV_PARENT;
	parent_fp(&r);
	fxq_reset();
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_TAKE, cont.chan_ipa, 0, 0, 0);
	fxq_write(SYS_PAGE_IPA, page, sizeof(page));
	map = fxq_smc(SMC_RSI_RB_MAP, cont.chan_ipa, CODE_VA, CT_FRESH_IPA(0),
		      RB_PROT_R | RB_PROT_X, SYS_PAGE_IPA);
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_MAP, cont.chan_ipa, STACK_VA, CT_FRESH_IPA(1),
		 RB_PROT_R | RB_PROT_W);
	fxq_write(SYS_REGS_IPA, &r, sizeof(r));
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_SET_REGS, cont.chan_ipa, SYS_REGS_IPA, 0, 0);
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_COMPLETE, cont.chan_ipa, 0, RB_COMPLETE_KEEP_X0, 0);
	fx_sys_run(&sys);
	fxq_check();
	assert_int_equal(fx_q.out[map].x[0], RSI_SUCCESS);
}

static void expect_parent_fp(const struct rb_regs *g)
{
	struct rb_regs want;

	memset(&want, 0, sizeof(want));
	parent_fp(&want);
	memcpy(want.fp_q[1], want.fp_q[0], sizeof(want.fp_q[1])); /* orr v1, v0, v0 */
	assert_memory_equal(g->fp_q, want.fp_q, sizeof(want.fp_q));
	assert_int_equal(g->fpcr, FPCR_DN);
	assert_int_equal(g->fpsr & FPSR_QC, FPSR_QC);
}

/*
 * The parent's clone is pending (taken by the caller's queue or not): fork
 * it into REC 2 with code and stack in fresh granules fcode/fstack, check
 * the child's registers, and complete both (child's clone result 0).
 */
static void fork_child(unsigned fcode, unsigned fstack, bool check_tids)
{
	static struct rb_regs gp, gc;
	static uint32_t tid = 2;

	fxq_reset();
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_TAKE, cont.chan_ipa, 0, 0, 0);
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_GET_REGS, cont.chan_ipa, SYS_SCRATCH_IPA, 0, 0);
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_FORK_PAGE, cont.chan_ipa, cont.chan2_ipa, CODE_VA,
		 CT_FRESH_IPA(fcode));
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_FORK_PAGE, cont.chan_ipa, cont.chan2_ipa, STACK_VA,
		 CT_FRESH_IPA(fstack));
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_FORK_REGS, cont.chan_ipa, cont.chan2_ipa, 0, 0);
	fxq_want(RSI_ERROR_INPUT, SMC_RSI_RB_FORK_PAGE, cont.chan_ipa, cont.chan2_ipa, 0x500000,
		 CT_FRESH_IPA(20));
	fxq_write(SYS_BUF_IPA, &tid, sizeof(tid));
	/* clone(CLONE_CHILD_SETTID): ctid in the child only; no ptid, nothing else. */
	fxq_want(check_tids ? RSI_SUCCESS : RSI_ERROR_INPUT, SMC_RSI_RB_COPY_OUT, cont.chan2_ipa,
		 CTID_VA, SYS_BUF_IPA, 4);
	fxq_want(RSI_ERROR_INPUT, SMC_RSI_RB_COPY_OUT, cont.chan2_ipa, PTID_VA, SYS_BUF_IPA, 4);
	fxq_want(RSI_ERROR_INPUT, SMC_RSI_RB_COPY_OUT, cont.chan2_ipa, OTHER_VA, SYS_BUF_IPA, 4);
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_GET_REGS, cont.chan2_ipa, SYS_SCRATCH_IPA + 0x400, 0, 0);
	fxq_read(SYS_SCRATCH_IPA, &gp, sizeof(gp));
	fxq_read(SYS_SCRATCH_IPA + 0x400, &gc, sizeof(gc));
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_COMPLETE, cont.chan2_ipa, 0, 0, 0);
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_COMPLETE, cont.chan_ipa, tid, 0, 0);
	fx_sys_run(&sys);
	fxq_check();
	assert_int_equal(fx_q.out[0].x[1], RB_REQ_SYSCALL);
	if (check_tids) {
		assert_memory_equal(granule_map(granule_find(cont.fresh[fstack])) + 0x900, &tid, 4);
		assert_int_equal(*(uint32_t *)(granule_map(granule_find(cont.fresh[1])) + 0x900),
				 0);
	}
	/* The parent as its clone left it: NZCV of its cmp, v1 = v0, the rest as set. */
	assert_int_equal(gp.pc, PC_SPIN);
	assert_int_equal(gp.x[8], 220);
	assert_int_equal(gp.pstate, NZCV_CMP);
	expect_parent_fp(&gp);
	/* The child: the same, x0 = 0. */
	assert_int_equal(gc.pc, PC_SPIN);
	assert_int_equal(gc.x[0], 0);
	assert_int_equal(gc.x[4], CTID_VA);
	assert_int_equal(gc.sp, SP0);
	assert_int_equal(gc.pstate, NZCV_CMP);
	expect_parent_fp(&gc);
	tid++;
}

/* The parent runs to its clone and forks; the child is complete but not entered. */
static void world_forked(void)
{
	struct rmi_rec_exit exit;

	fx_sys_build(&sys);
	fx_cont_build_ex(&cont, &sys, 0 /* A64 */, 0, true, 2);
	start_parent(T_CLONE_CHILD_SETTID | SIGCHLD);
	assert_int_equal(fx_cont_enter(&cont, &exit), RMI_SUCCESS);
	assert_true(fx_exit_is_bare_forward(&exit));
	fork_child(2, 3, true);
	assert_int_equal(fx_counter(cont.r.rd, 4), 2);
	assert_int_equal(fx_counter(sys.r.rd, 4), 2);
}

/* Host thread entering the child until it leaves with something else than an IRQ. */
static struct {
	uint64_t rec, run;
	uint64_t ret, reason;
	unsigned irqs;
	int running;
} spin;

static void *spin_thread(void *arg)
{
	struct rmi_rec_enter enter;
	struct rmi_rec_exit x;

	memset(&enter, 0, sizeof(enter));
	for (;;) {
		if (host_mem_write(spin.run, &enter, sizeof(enter)) != 0)
			break;
		__atomic_store_n(&spin.running, 1, __ATOMIC_RELEASE);
		spin.ret = host_rmi(SMC_RMI_REC_ENTER, spin.rec, spin.run, 0, 0, 0, 0, NULL);
		if (spin.ret != RMI_SUCCESS ||
		    host_mem_read(spin.run + offsetof(struct rmi_rec_run, exit), &x, sizeof(x)) !=
			    0)
			break;
		spin.reason = x.exit_reason;
		if (x.exit_reason != RMI_EXIT_IRQ ||
		    __atomic_add_fetch(&spin.irqs, 1, __ATOMIC_RELAXED) > 2000)
			break;
	}
	__atomic_store_n(&spin.running, 2, __ATOMIC_RELEASE);
	return NULL;
}

/* Take the child's KICK: a signal frame below sp, then to the handler: exit_group(77). */
static void serve_kick(void)
{
	static const char frame[] = "signal frame";
	static struct rb_regs r;
	static struct rb_regs got;
	unsigned take;

	memset(&r, 0, sizeof(r));
	r.mask = RB_REGS_PC | BIT(0);
	r.pc = PC_HANDLER;
	r.x[0] = 77;
	fxq_reset();
	take = fxq_want(RSI_SUCCESS, SMC_RSI_RB_TAKE, cont.chan2_ipa, 0, 0, 0);
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_GET_REGS, cont.chan2_ipa, SYS_SCRATCH_IPA, 0, 0);
	fxq_write(SYS_BUF_IPA, frame, sizeof(frame));
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_COPY_OUT, cont.chan2_ipa, SP0 - 0x100, SYS_BUF_IPA,
		 sizeof(frame));
	fxq_want(RSI_ERROR_INPUT, SMC_RSI_RB_COPY_OUT, cont.chan2_ipa, CTID_VA, SYS_BUF_IPA, 4);
	fxq_want(RSI_ERROR_INPUT, SMC_RSI_RB_COPY_IN, cont.chan2_ipa, SP0 - 0x100, SYS_BUF_IPA, 8);
	fxq_write(SYS_REGS_IPA, &r, sizeof(r));
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_SET_REGS, cont.chan2_ipa, SYS_REGS_IPA, 0, 0);
	fxq_read(SYS_SCRATCH_IPA, &got, sizeof(got));
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_COMPLETE, cont.chan2_ipa, 0xdead, 0, 0);
	fx_sys_run(&sys);
	fxq_check();
	assert_int_equal(fx_q.out[take].x[1], RB_REQ_KICK);
	assert_int_equal(fx_q.out[take].x[2], 0); /* no ESR */
	assert_int_equal(got.pc, PC_SPIN);
	assert_int_equal(got.x[0], 0);
	expect_parent_fp(&got);
	/* A KICK names no memory: only the frame room below sp, and only out. */
	assert_memory_equal(granule_map(granule_find(cont.fresh[3])) + 0x700, frame, sizeof(frame));
}

/* The child, after its KICK: exit_group(77) with x0 as SET_REGS left it. */
static void child_exits(void)
{
	struct rmi_rec_exit exit;
	unsigned take;

	/* A halt the KICK left for the PE may cost one IRQ exit first. */
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(fx_enter(cont.rec2, cont.run2, &exit), RMI_SUCCESS);
		if (exit.exit_reason != RMI_EXIT_IRQ)
			break;
	}
	assert_true(fx_exit_is_bare_forward(&exit));
	fxq_reset();
	take = fxq_want(RSI_SUCCESS, SMC_RSI_RB_TAKE, cont.chan2_ipa, 0, 0, 0);
	fx_sys_run(&sys);
	fxq_check();
	assert_int_equal(fx_q.out[take].x[1], RB_REQ_SYSCALL);
	assert_int_equal(rt_rec(cont.rec2)->fasco.nr, 94);
	assert_int_equal(rt_rec(cont.rec2)->fasco.args[0], 77); /* not 0xdead */
}

static void test_kick_running(void **state)
{
	struct rmi_rec_exit exit;
	pthread_t t;

	world_forked();
	/* The child runs on another host thread, spinning at `b .`. */
	memset(&spin, 0, sizeof(spin));
	spin.rec = cont.rec2;
	spin.run = cont.run2;
	assert_int_equal(pthread_create(&t, NULL, spin_thread, NULL), 0);
	while (__atomic_load_n(&spin.running, __ATOMIC_ACQUIRE) == 0)
		sched_yield();
	while (__atomic_load_n(&spin.irqs, __ATOMIC_RELAXED) < 2 &&
	       __atomic_load_n(&spin.running, __ATOMIC_ACQUIRE) == 1)
		sched_yield();
	fxq_reset();
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_KICK, cont.chan2_ipa, 0, 0, 0);
	fx_sys_run(&sys);
	fxq_check();
	assert_int_equal(pthread_join(t, NULL), 0);
	printf("fasco: KICK of a spinning child: %u IRQ exits before its KICK forward\n",
	       spin.irqs);
	assert_int_equal(spin.ret, RMI_SUCCESS);
	assert_int_equal(spin.reason, RMI_EXIT_RB_FORWARD);
	assert_int_equal(rt_rec(cont.rec2)->fasco.kind, RB_REQ_KICK);
	serve_kick();
	child_exits();
	/* KICK with a request pending: accepted, nothing more; of an ended process: STATE. */
	fxq_reset();
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_KICK, cont.chan2_ipa, 0, 0, 0);
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_COMPLETE, cont.chan2_ipa, 77, RB_COMPLETE_EXIT, 0);
	fxq_want(RSI_ERROR_STATE, SMC_RSI_RB_KICK, cont.chan2_ipa, 0, 0, 0);
	fx_sys_run(&sys);
	fxq_check();
	assert_int_equal(fx_enter(cont.rec2, cont.run2, &exit), RMI_SUCCESS);
	assert_int_equal(exit.exit_reason, RMI_EXIT_RB_EXITED);
	assert_int_equal(exit.gprs[0], 77);
	assert_int_equal(fx_counter(cont.r.rd, 5), 2);
	assert_int_equal(fx_counter(sys.r.rd, 5), 2);
	/* Refused: FORK_PAGE late, ptid, other (fork); ctid, copy-in (KICK). */
	assert_int_equal(fx_counter(cont.r.rd, 1), 5);
	fx_inv_ok();
}

/* KICK of a REC that is not running: its next entry forwards the KICK at once. */
static void kick_idle(uint64_t chan_ipa, uint64_t rec, uint64_t run)
{
	struct rmi_rec_exit exit;

	fxq_reset();
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_KICK, chan_ipa, 0, 0, 0);
	fx_sys_run(&sys);
	fxq_check();
	assert_int_equal(fx_enter(rec, run, &exit), RMI_SUCCESS);
	assert_true(fx_exit_is_bare_forward(&exit));
	assert_int_equal(rt_rec(rec)->fasco.kind, RB_REQ_KICK);
	assert_int_equal(rt_rec(rec)->regs.pc, PC_SPIN);
}

static void test_recycle_vfork(void **state)
{
	static const char secret[] = "the old process's secret";
	static struct rb_regs r;
	struct rmi_rec_exit exit;
	uint64_t pa;
	unsigned prot;
	struct rec *child;

	world_forked();
	/* The child, kicked before it ever ran, then ending with exit_group(77). */
	kick_idle(cont.chan2_ipa, cont.rec2, cont.run2);
	fxq_reset();
	fxq_write(SYS_BUF_IPA, secret, sizeof(secret));
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_COPY_OUT, cont.chan2_ipa, SP0 - 0x200, SYS_BUF_IPA,
		 sizeof(secret));
	fx_sys_run(&sys);
	fxq_check();
	assert_memory_equal(granule_map(granule_find(cont.fresh[3])) + 0x600, secret,
			    sizeof(secret));
	serve_kick();
	child_exits();
	fxq_reset();
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_COMPLETE, cont.chan2_ipa, 77, RB_COMPLETE_EXIT, 0);
	fx_sys_run(&sys);
	fxq_check();
	assert_int_equal(fx_enter(cont.rec2, cont.run2, &exit), RMI_SUCCESS);
	assert_int_equal(exit.exit_reason, RMI_EXIT_RB_EXITED);

	/* The parent (kicked from its spin) calls vfork: clone(T_CLONE_VM | T_CLONE_VFORK). */
	kick_idle(cont.chan_ipa, cont.rec, cont.run);
	memset(&r, 0, sizeof(r));
	r.mask = RB_REGS_PC | BIT(0) | BIT(8);
	r.pc = PC_SVC;
	r.x[0] = T_CLONE_VM | T_CLONE_VFORK | SIGCHLD;
	r.x[8] = 220;
	fxq_reset();
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_TAKE, cont.chan_ipa, 0, 0, 0);
	fxq_write(SYS_REGS_IPA, &r, sizeof(r));
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_SET_REGS, cont.chan_ipa, SYS_REGS_IPA, 0, 0);
	fxq_want(RSI_SUCCESS, SMC_RSI_RB_COMPLETE, cont.chan_ipa, 0, 0, 0);
	fx_sys_run(&sys);
	fxq_check();
	assert_int_equal(fx_cont_enter(&cont, &exit), RMI_SUCCESS);
	assert_true(fx_exit_is_bare_forward(&exit));
	assert_int_equal(rt_rec(cont.rec)->fasco.args[0], T_CLONE_VM | T_CLONE_VFORK | SIGCHLD);

	/*
	 * Fork into the EXITED REC 2: the code into a new granule, the stack into
	 * the very granule the old process's stack was (released and scrubbed).
	 */
	fork_child(4, 3, false);
	child = rt_rec(cont.rec2);
	assert_int_equal(granule_fasco_owner(granule_find(cont.fresh[2])), 0);
	assert_true(fx_realm_granule_zero_util(cont.fresh[2]));
	assert_int_equal(granule_fasco_owner(granule_find(cont.fresh[3])), 2);
	assert_memory_not_equal(granule_map(granule_find(cont.fresh[3])) + 0x600, secret,
				sizeof(secret));
	assert_memory_equal(granule_map(granule_find(cont.fresh[3])),
			    granule_map(granule_find(cont.fresh[1])), GRANULE_SIZE);
	assert_int_equal(plat_as_query(child->fasco.as, CODE_VA, &pa, &prot), 0);
	assert_int_equal(ALIGN_DOWN(pa, GRANULE_SIZE), cont.fresh[4]);
	/* The new child runs: it spins (an IRQ exit), it does not exit. */
	assert_int_equal(fx_enter(cont.rec2, cont.run2, &exit), RMI_SUCCESS);
	assert_int_equal(exit.exit_reason, RMI_EXIT_IRQ);
	fx_inv_ok();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_regs_roundtrip, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_kick_running, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_recycle_vfork, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
