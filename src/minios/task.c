/*
 * Tasks: rc_task_clone/exec/exit, and the two halves of every trip to EL0
 * and back: rc_switch_to_miniOS (the OS returns a task to user space: the
 * mini-OS switches to the task's shim-GPT and runs it) and
 * rc_switch_to_depriv (the con-shim's exception vector hands the trap to
 * the OS: the mini-OS writes the OS's frame and switches to the OS-GPT).
 *
 * A system call therefore costs the artifact's four EL3 round trips: gate
 * in (OS-GPT -> Priv), SET_GPTBR(shim), gate in from the con-shim vector
 * (shim -> Priv), SET_GPTBR(OS). Between the second and the third the
 * mini-OS's own memory is unreachable: the run path keeps what it needs in
 * locals (the con-shim vector's registers) and touches only the con-shim.
 *
 * With the fast exit (minios_set_fast_exit, docs/rcontainer-abi.md §4) it
 * costs two: EL3 switches to the shim-GPT as the gate returns and enters
 * the con-shim (minios_shim_entry); at the trap the vector writes the
 * frame itself and leaves with SMC_RC_SHIM_EXIT (shim -> OS directly); the
 * mini-OS marks the task TRAPPED at its next entry (ms_run_reconcile).
 */
#include "arch/esr.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "minios/internal.h"

/* Linux arm64 numbers the trap record names (the clear-child-tid word). */
#define MS_SYS_SET_TID_ADDRESS 96
#define MS_SYS_CLONE 220
#define MS_SYS_SET_ROBUST_LIST 99
#define MS_SYS_SIGALTSTACK 132
#define MS_SS_DISABLE 2
#define MS_ALTSTACK_MAX (1ULL << 30)

/*
 * The task resumes with x0: a sigaltstack call the OS answers 0 sets the
 * range frames may go to, read from the task's own stack_t (not when the
 * call's old_ss, which the OS writes, overlaps it).
 */
static void altstack_complete(struct ms_save *sv, struct ms_mm *mm)
{
	const struct ms_trap *tr = &sv->trap;
	uint64_t ss[3]; /* ss_sp, ss_flags (int), ss_size */

	if (!tr->svc || tr->nr != MS_SYS_SIGALTSTACK || sv->st.gprs[0] != 0 || !tr->args[0])
		return;
	if (tr->args[1] && tr->args[1] < tr->args[0] + sizeof(ss) &&
	    tr->args[0] < tr->args[1] + sizeof(ss))
		return;
	if (ms_mm_read(mm, tr->args[0], ss, sizeof(ss)))
		return;
	if ((uint32_t)ss[1] & MS_SS_DISABLE) {
		sv->alt_sp = sv->alt_size = 0;
		return;
	}
	if (ss[2] == 0 || ss[2] > MS_ALTSTACK_MAX || ss[0] >= RC_VA_LIMIT ||
	    ss[2] > RC_VA_LIMIT - ss[0])
		return;
	sv->alt_sp = ss[0];
	sv->alt_size = ss[2];
}
#define MS_CLONE_CHILD_CLEARTID 0x00200000ULL


/*
 * The task of handle h, which the OS is serving (NEW or TRAPPED); with
 * resume, not one marked ending (rc_task_ending: it never runs again).
 */
static int served_task(uint64_t h, uint32_t *slot, struct ms_task **t, bool resume)
{
	int ret = ms_task_lookup(h, slot);

	if (ret)
		return ret;
	*t = ms_task_at(*slot);
	if ((*t)->state != MS_T_NEW && (*t)->state != MS_T_TRAPPED)
		return -EACCES;
	return resume && (*t)->ending ? -ESRCH : 0;
}

/* The task in slot ends: its mm loses a user, its save granule is scrubbed, its slot freed. */
static void task_free(uint32_t slot)
{
	struct ms_task *t = ms_task_at(slot);
	uint32_t shim = t->shim;

	ms_mm_put(t->mm);
	ms_shim_give(shim, t->save); /* registers scrubbed with the granule */
	ms_tbl_free(MS_TBL_TASK, slot); /* its generation is never handed out again */
	ms_shim_at(shim)->ntasks--;
}

void ms_task_free_all(uint32_t shim)
{
	for (uint32_t s = 0; s < ms_tbl_bound(MS_TBL_TASK); s++) {
		struct ms_task *t = ms_task_at(s);

		if (t && t->state != MS_T_FREE && t->shim == shim)
			task_free(s);
	}
}

/* (task, flags) -> x1 child: RC_CLONE_VM shares the address space, else a private copy. */
int rc_task_clone(struct ms_call *c)
{
	uint32_t slot, child, mm;
	struct ms_task *t, *ct;
	uint64_t need;
	int ret = served_task(c->a[0], &slot, &t, true);

	if (ret)
		return ret;
	if (c->a[1] & ~(uint64_t)RC_CLONE_VM)
		return -EINVAL;
	need = 1 + (c->a[1] & RC_CLONE_VM ? 0 : ms_mm_copy_cost(t->mm));
	if (ms_shim_at(t->shim)->free.count < need)
		return -ENOMEM;
	ret = ms_tbl_alloc(MS_TBL_TASK, &child);
	if (ret)
		return ret;
	if (c->a[1] & RC_CLONE_VM) {
		mm = t->mm;
		ms_mm_at(mm)->users++;
	} else {
		ret = ms_mm_new(t->shim, &mm);
		if (ret) {
			ms_tbl_free(MS_TBL_TASK, child);
			return ret;
		}
		ms_mm_copy(mm, t->mm);
	}
	t = ms_task_at(slot);
	ct = ms_task_at(child);
	ct->state = MS_T_TRAPPED; /* returns from clone like its parent */
	ct->shim = t->shim;
	ct->mm = mm;
	ct->frame = 0;
	ct->save = ms_shim_take(t->shim, MS_K_SAVE);
	memcpy(ms_map(ct->save, sizeof(struct ms_save)), ms_map(t->save, sizeof(struct ms_save)),
	       sizeof(struct ms_save));
	{
		/* Linux: the child's clear-child-tid word is clone's ctid with CLONE_CHILD_CLEARTID */
		struct ms_save *cs = ms_map(ct->save, sizeof(*cs));

		cs->clear_tid = cs->trap.svc && cs->trap.nr == MS_SYS_CLONE &&
					(cs->trap.args[0] & MS_CLONE_CHILD_CLEARTID) ?
					cs->trap.args[4] :
					0;
		cs->robust = 0; /* a new thread or fork child registers its own (glibc does) */
	}
	ms_shim_at(t->shim)->ntasks++;
	c->out[0] = ms_handle(ct->gen, child);
	return 0;
}

/* (task, pc, sp): a new empty address space and fresh registers; the old space's last user scrubs it. */
int rc_task_exec(struct ms_call *c)
{
	uint64_t pc = c->a[1], sp = c->a[2];
	struct ms_save *sv;
	struct ms_task *t;
	uint32_t slot, mm;
	int ret = served_task(c->a[0], &slot, &t, true);

	if (ret)
		return ret;
	if (pc >= RC_VA_LIMIT || sp >= RC_VA_LIMIT || !IS_ALIGNED(pc, 4))
		return -EINVAL;
	ret = ms_mm_new(t->shim, &mm);
	if (ret)
		return ret;
	ms_mm_put(t->mm);
	t->mm = mm;
	sv = ms_map(t->save, sizeof(*sv));
	memset(sv, 0, sizeof(*sv));
	sv->st.pc = pc;
	sv->st.sp_el0 = sp;
	return 0;
}

/* (task): the task ends; its registers and (last user) pages are scrubbed. */
int rc_task_exit(struct ms_call *c)
{
	struct ms_task *t;
	uint32_t slot;
	int ret = served_task(c->a[0], &slot, &t, false);

	if (ret == 0)
		task_free(slot);
	return ret;
}

/* ---- The con-shim vector: runs under the task's shim-GPT ------------------- */

/*
 * A translation fault on a page the tables map with the access's
 * permission: the GPT switch's TLBI removed it from the plat_as; put it
 * back (a table walk) and resume. Not twice in a row for one page.
 */
static bool shim_refill(struct plat_as *as, uint64_t root, const struct plat_exception *exc,
			uint64_t *last)
{
	uint64_t ec = ESR_EC(exc->esr), va = ALIGN_DOWN(exc->far, GRANULE_SIZE), e, d;
	unsigned need;

	if ((ec != EC_DABT_LOW && ec != EC_IABT_LOW) || va >= RC_VA_LIMIT || va == *last)
		return false;
	need = ec == EC_IABT_LOW ? RC_PROT_X : (exc->esr & ESR_ISS_WNR) ? RC_PROT_W : RC_PROT_R;
	e = ms_pt_entry(root, va, NULL, NULL);
	if (!e || plat_read_u64(PAS_NS, e, &d, NULL) || !(d & RC_PTE_VALID) ||
	    (need & ~ms_pte_prot(d)))
		return false;
	if (plat_as_map(as, va, RC_PTE_ADDR(d), PAS_NS, ms_pte_prot(d)))
		return false;
	*last = va;
	return true;
}

/* What the trap the task is in allows the OS to copy: recorded at the trap, in the con-shim. */
static void trap_record(struct ms_save *sv)
{
	struct ms_trap *tr = &sv->trap;

	tr->svc = sv->reason == RC_REASON_SYNC && ESR_EC(sv->exc.esr) == EC_SVC64;
	tr->nr = tr->svc ? sv->st.gprs[8] : 0;
	for (int i = 0; i < 6; i++)
		tr->args[i] = tr->svc ? sv->st.gprs[i] : 0;
	tr->sp = sv->st.sp_el0;
	if (tr->svc && tr->nr == MS_SYS_SET_TID_ADDRESS)
		sv->clear_tid = tr->args[0];
	/* Linux's set_robust_list fails only for another length */
	if (tr->svc && tr->nr == MS_SYS_SET_ROBUST_LIST && tr->args[1] == 24)
		sv->robust = tr->args[0];
}

/* Run the task at EL0 until it takes an exception the OS must see; save it in the con-shim. */
static void shim_run(uint64_t save, struct plat_as *as, struct plat_pe *pe, uint64_t root)
{
	struct ms_save *sv = ms_map(save, sizeof(*sv));
	uint64_t last = ~0ULL;

	for (;;) {
		int ret;

		(void)plat_pe_set_fp(pe, &sv->fp);
		ret = plat_pe_run(pe, NULL, &sv->st, &sv->exc);
		(void)plat_pe_get_fp(pe, &sv->fp);
		if (ret == PLAT_PE_IRQ) {
			memset(&sv->exc, 0, sizeof(sv->exc));
			sv->reason = RC_REASON_IRQ;
			trap_record(sv);
			return;
		}
		if (ret == 0 && shim_refill(as, root, &sv->exc, &last))
			continue;
		if (ret)
			sv->exc = (struct plat_exception){.esr = ESR_MAKE(EC_UNKNOWN, 0)};
		sv->reason = RC_REASON_SYNC;
		trap_record(sv);
		return;
	}
}

/* ---- The two switches ---------------------------------------------------------- */

/*
 * (task, frame_pa, flags) -> x1 RC_REASON_*: apply the OS's frame (flags),
 * run the task under its shim-GPT until its next exception, write that to
 * the frame. Returns with the OS-GPT current.
 */
int rc_switch_to_minios(struct ms_call *c)
{
	uint64_t frame = c->a[1], flags = c->a[2];
	struct ms_task *t;
	struct ms_save *sv;
	struct ms_mm *mm;
	struct rc_frame f;
	struct smc_regs res;
	uint32_t slot;
	int ret = served_task(c->a[0], &slot, &t, true), err = 0;

	if (ret)
		return ret;
	if (ms_eret.pending)
		return -EBUSY; /* a fast-exit run is being started: not reached */
	if (flags & ~(uint64_t)(RC_RUN_SET_X0 | RC_RUN_SET_REGS) || !IS_ALIGNED(frame, 8))
		return -EINVAL;
	if (!ms_os_range(frame, sizeof(f)))
		return -EPERM;
	memcpy(&f, ms_map(frame, sizeof(f)), sizeof(f));
	if ((flags & RC_RUN_SET_REGS) &&
	    (f.pc >= RC_VA_LIMIT || !IS_ALIGNED(f.pc, 4) || f.sp >= RC_VA_LIMIT))
		return -EINVAL;
	mm = ms_mm_at(t->mm);
	if (!mm->pe) {
		struct plat_pe *pe = plat_pe_create_a64((struct plat_as *)(uintptr_t)mm->as, &err);

		if (!pe)
			return -ENOMEM;
		mm->pe = (uint64_t)(uintptr_t)pe;
	}
	/* Commit. */
	sv = ms_map(t->save, sizeof(*sv));
	if (flags & (RC_RUN_SET_X0 | RC_RUN_SET_REGS))
		sv->st.gprs[0] = f.x[0];
	if (flags & RC_RUN_SET_REGS) {
		memcpy(sv->st.gprs, f.x, sizeof(f.x));
		sv->st.pc = f.pc;
		sv->st.sp_el0 = f.sp;
		sv->st.tpidr_el0 = f.tpidr;
		sv->st.pstate = (sv->st.pstate & ~GENMASK(31, 28)) | (f.nzcv & GENMASK(31, 28));
	}
	altstack_complete(sv, mm);
	if (sv->trap.svc)
		ms_sync_complete(&sv->trap, sv->st.gprs[0], mm);
	t->state = MS_T_RUNNING;
	t->frame = frame;
	ms_mm_ran(mm); /* none of its pages is fresh from here on */
	{
		/* The con-shim vector's registers: nothing of the mini-OS's memory from here on. */
		struct ms_eret e = {true, ms_shim_at(t->shim)->gpt, t->save, mm->root, c->a[0], 0,
				    (struct plat_as *)(uintptr_t)mm->as,
				    (struct plat_pe *)(uintptr_t)mm->pe};

		if (ms_fast_exit) {
			/* EL3 switches to the shim-GPT as the gate returns: minios_shim_entry runs it */
			e.frame = frame;
			((struct ms_save *)ms_map(t->save, sizeof(*sv)))->trapped = 0;
			ms_eret = e;
			ms_run_slot = slot;
			return 0;
		}
		ret = ms_switch_gpt(e.gpt);
		if (ret) {
			t->state = MS_T_TRAPPED;
			return ret;
		}
		ret = ms_shim_run_and_trap(&e, &res);
	}
	if (ret)
		return ret;
	c->out[0] = res.x[1];
	return 0;
}

void ms_shim_run(const struct ms_eret *e)
{
	shim_run(e->save, e->as, e->pe, e->root);
}

void ms_run_reconcile(void)
{
	struct ms_task *t;

	if (ms_run_slot == MS_NO_SLOT)
		return;
	t = ms_task_at(ms_run_slot);
	if (t && t->state == MS_T_RUNNING &&
	    ((struct ms_save *)ms_map(t->save, sizeof(struct ms_save)))->trapped)
		t->state = MS_T_TRAPPED;
	ms_run_slot = MS_NO_SLOT;
}

void ms_frame_write(uint64_t frame_pa, const struct ms_save *sv)
{
	struct rc_frame *f = ms_map(frame_pa, sizeof(*f));

	memset(f, 0, sizeof(*f));
	f->reason = sv->reason;
	f->esr = sv->exc.esr;
	if (ESR_EC(sv->exc.esr) == EC_DABT_LOW || ESR_EC(sv->exc.esr) == EC_IABT_LOW)
		f->far = sv->exc.far;
	memcpy(f->x, sv->st.gprs, sizeof(f->x));
	f->pc = sv->st.pc;
	f->sp = sv->st.sp_el0;
	f->tpidr = sv->st.tpidr_el0;
	f->nzcv = sv->st.pstate & GENMASK(31, 28);
}

int ms_shim_run_and_trap(const struct ms_eret *e, struct smc_regs *res)
{
	shim_run(e->save, e->as, e->pe, e->root);
	plat_smc6(PAS_NS, SMC_RC_ENTER, RC_FN_SWITCH_TO_DEPRIV, e->task, 0, 0, 0, 0, res);
	return res->x[0] == RC_SUCCESS ? 0 : -EIO;
}

/*
 * (task), from the con-shim vector of the task's shim-GPT only: the task
 * left EL0; its saved state goes to the OS's frame (x0..x8, pc, sp, tpidr,
 * nzcv, esr, far) and the OS-GPT becomes current.
 */
int rc_switch_to_depriv(struct ms_call *c)
{
	struct ms_task *t;
	struct ms_save *sv;
	uint32_t slot;
	int ret = ms_task_lookup(c->a[0], &slot);

	if (ret)
		return ret;
	t = ms_task_at(slot);
	if (t->state != MS_T_RUNNING || ms_shim_at(t->shim)->gpt != c->caller_gpt)
		return -EACCES;
	sv = ms_map(t->save, sizeof(*sv));
	ms_frame_write(t->frame, sv);
	t->state = MS_T_TRAPPED;
	c->out[0] = sv->reason;
	return 0;
}

/*
 * (task, regs_pa, op): every register of a served task to (GET) or from
 * (SET) an OS granule, for signal frames and sigreturn. SET checks pc and
 * sp as RUN_SET_REGS does before it changes anything.
 */
int rc_task_regs(struct ms_call *c)
{
	uint64_t pa = c->a[1], op = c->a[2];
	struct rc_regs *o, r;
	struct ms_task *t;
	struct ms_save *sv;
	uint32_t slot;
	int ret = served_task(c->a[0], &slot, &t, op == RC_REGS_SET);

	if (ret)
		return ret;
	if (op > RC_REGS_SET || !IS_ALIGNED(pa, 8))
		return -EINVAL;
	if (!ms_os_range(pa, sizeof(r)))
		return -EPERM;
	o = ms_map(pa, sizeof(r));
	sv = ms_map(t->save, sizeof(*sv));
	if (op == RC_REGS_GET) {
		memcpy(r.x, sv->st.gprs, sizeof(r.x));
		r.sp = sv->st.sp_el0;
		r.pc = sv->st.pc;
		r.nzcv = sv->st.pstate & GENMASK(31, 28);
		r.tpidr = sv->st.tpidr_el0;
		r.fpcr = sv->fp.fpcr;
		r.fpsr = sv->fp.fpsr;
		memcpy(r.q, sv->fp.q, sizeof(r.q));
		memcpy(o, &r, sizeof(r));
		return 0;
	}
	memcpy(&r, o, sizeof(r));
	if (r.pc >= RC_VA_LIMIT || !IS_ALIGNED(r.pc, 4) || r.sp >= RC_VA_LIMIT)
		return -EINVAL;
	memcpy(sv->st.gprs, r.x, sizeof(r.x));
	sv->st.sp_el0 = r.sp;
	sv->st.pc = r.pc;
	sv->st.pstate = (sv->st.pstate & ~GENMASK(31, 28)) | (r.nzcv & GENMASK(31, 28));
	sv->st.tpidr_el0 = r.tpidr;
	sv->fp.fpcr = (uint32_t)r.fpcr;
	sv->fp.fpsr = (uint32_t)r.fpsr;
	memcpy(sv->fp.q, r.q, sizeof(r.q));
	return 0;
}

int rc_task_ending(struct ms_call *c)
{
	struct ms_task *t;
	uint32_t slot, shim;
	int ret = served_task(c->a[0], &slot, &t, false);

	if (ret)
		return ret;
	ret = ms_shim_lookup(c->a[1], &shim);
	if (ret)
		return ret;
	if (t->shim != shim)
		return -EPERM; /* a task of another container than the one named */
	t->ending = 1;
	return 0;
}
