/*
 * Signals: sending (kill, tgkill, faults, SIGCHLD, SIGPIPE), default
 * actions, and real delivery through an rt_sigframe on the user stack laid
 * out as Linux arm64 does (siginfo, ucontext with sigcontext and an FP/SIMD
 * record, magic 0x46508001), returning through SA_RESTORER or the signal
 * trampoline page; rt_sigreturn, rt_sigaction, rt_sigprocmask,
 * rt_sigsuspend, sigaltstack, rt_sigpending.
 */
#include "libos/kernel.h"

#define UNBLOCKABLE (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))
#define FPSIMD_MAGIC 0x46508001u

/* offsets in struct rt_sigframe (arm64) */
#define F_INFO 0
#define F_UC 128
#define F_UC_FLAGS (F_UC + 0)
#define F_UC_STACK (F_UC + 16)
#define F_UC_SIGMASK (F_UC + 40)
#define F_MC (F_UC + 176)
#define F_MC_FAULT (F_MC + 0)
#define F_MC_REGS (F_MC + 8)
#define F_MC_SP (F_MC + 256)
#define F_MC_PC (F_MC + 264)
#define F_MC_PSTATE (F_MC + 272)
#define F_MC_RESERVED (F_MC + 288)
#define F_SIZE (F_MC_RESERVED + 4096)
_Static_assert(F_SIZE == 4688, "rt_sigframe size");

int sig_default_ignored(int sig)
{
	return sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT;
}

static bool default_stop(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

bool sig_pending(struct task *t)
{
	return (t->pending & (~t->sigmask | UNBLOCKABLE)) != 0;
}

/* Make sig pending on u with its siginfo (a standard signal already pending keeps its first). */
static void make_pending(struct task *u, int sig, const struct ksiginfo *si)
{
	if (!(u->pending & SIGBIT(sig))) {
		if (si) {
			u->siginfo[sig] = *si;
		} else {
			memset(&u->siginfo[sig], 0, sizeof(u->siginfo[sig]));
			u->siginfo[sig].code = SI_KERNEL_;
		}
	}
	u->pending |= SIGBIT(sig);
	ev_notify(); /* blocked or not: rt_sigtimedwait may be waiting for it */
	/*
	 * A task in user code is kicked out of it. One in the kernel delivers
	 * on its way out; a kick would make its PAL enter it again before it
	 * ran, and a second frame then nests below the first (shim: beyond the
	 * frame room the mini-OS allows at the trap's sp). SIGKILL always kicks.
	 */
	if ((sig == SIGKILL || (!(u->sigmask & SIGBIT(sig)) && !u->in_kernel)) && u->pt &&
	    !u->exited)
		PAL(task_kick, u->pt);
}

static bool discarded(struct process *p, int sig)
{
	uint64_t h = p->sa[sig].handler;
	return sig != SIGKILL && sig != SIGSTOP &&
	       (h == SIG_IGN_ || (h == SIG_DFL_ && (sig_default_ignored(sig) || default_stop(sig))));
}

int sig_send_info(struct process *p, int sig, const struct ksiginfo *si)
{
	if (sig < 0 || sig > NSIG_)
		return -EINVAL;
	if (!p || p->state == P_ZOMBIE)
		return -ESRCH;
	if (sig == 0)
		return 0;
	struct task *t = p->task;
	/* a process-directed signal goes to the main thread, or else one that does not block it */
	if (t->exited || (t->sigmask & SIGBIT(sig))) {
		for (struct task *u = p->threads; u; u = u->next_thread) {
			if (!u->exited && !(u->sigmask & SIGBIT(sig))) {
				t = u;
				break;
			}
		}
	}
	if (discarded(p, sig))
		return 0;
	make_pending(t, sig, si);
	return 0;
}

int sig_send(struct process *p, int sig)
{
	return sig_send_info(p, sig, NULL);
}

void sig_child_exited(struct process *parent, struct process *c, int wstatus)
{
	/* CLD_EXITED 1 (si_status: the exit code), CLD_KILLED 2, CLD_DUMPED 3 (the signal) */
	int termsig = wstatus & 0x7f;
	struct ksiginfo si = { .code = !termsig ? 1 : (wstatus & 0x80) ? 3 : 2 };
	uint64_t u, s;
	cpu_times(c, NULL, &u, &s);
	si.d[0] = (uint32_t)c->pid | (uint64_t)c->uid << 32;
	si.d[1] = (uint32_t)(termsig ? termsig : (wstatus >> 8) & 0xff);
	si.d[2] = u / 10000000ULL; /* si_utime in clock ticks */
	sig_send_info(parent, c->exit_signal, &si);
}

void sig_force_info(struct task *t, int sig, int code, uint64_t addr)
{
	struct process *p = t->proc;
	/* a fault signal that is blocked or ignored kills (as Linux's force_sig) */
	if ((t->sigmask & SIGBIT(sig)) || p->sa[sig].handler == SIG_IGN_) {
		p->sa[sig].handler = SIG_DFL_;
		t->sigmask &= ~SIGBIT(sig);
	}
	memset(&t->siginfo[sig], 0, sizeof(t->siginfo[sig]));
	t->siginfo[sig].code = code;
	t->siginfo[sig].d[0] = addr;
	t->pending |= SIGBIT(sig);
}

void sig_force(struct task *t, int sig)
{
	sig_force_info(t, sig, SI_KERNEL_, 0);
}

/* A synchronous fault's signal (si_addr is the fault address). */
static bool is_fault(int sig, int code)
{
	return code > 0 && code < SI_KERNEL_ &&
	       (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP);
}

static int setup_frame(struct task *t, int sig, struct sigaction_k *sa, uint64_t oldmask)
{
	struct pal_regs *r = &t->regs;
	if (g.pal.get_regs_full)
		PAL(get_regs_full, t->pt, r);
	uint64_t sp = r->sp;
	if ((sa->flags & SA_ONSTACK) && t->altstack_size && !(t->altstack_flags & 2) &&
	    !(sp > t->altstack_sp && sp <= t->altstack_sp + t->altstack_size))
		sp = t->altstack_sp + t->altstack_size;
	uint64_t rec = (sp - 16) & ~15ULL;
	uint64_t frame = (rec - kalign_up(F_SIZE, 16)) & ~15ULL;
	uint8_t *f = kzalloc(F_SIZE);
	if (!f)
		return -ENOMEM;
	const struct ksiginfo *ki = &t->siginfo[sig];
	int32_t si[3] = { sig, 0, ki->code };
	memcpy(f + F_INFO, si, sizeof(si));
	memcpy(f + F_INFO + 16, ki->d, sizeof(ki->d));
	if (is_fault(sig, ki->code))
		memcpy(f + F_MC_FAULT, &ki->d[0], 8); /* sigcontext.fault_address */
	uint64_t ss[3] = { t->altstack_sp, (uint64_t)(uint32_t)t->altstack_flags,
			   t->altstack_size };
	memcpy(f + F_UC_STACK, ss, sizeof(ss));
	memcpy(f + F_UC_SIGMASK, &oldmask, 8);
	memcpy(f + F_MC_REGS, r->x, sizeof(r->x));
	memcpy(f + F_MC_SP, &r->sp, 8);
	memcpy(f + F_MC_PC, &r->pc, 8);
	memcpy(f + F_MC_PSTATE, &r->pstate, 8);
	struct pal_fpsimd fp;
	PAL(get_fpsimd, t->pt, &fp);
	uint32_t hdr[4] = { FPSIMD_MAGIC, 528, fp.fpsr, fp.fpcr };
	memcpy(f + F_MC_RESERVED, hdr, sizeof(hdr));
	memcpy(f + F_MC_RESERVED + 16, fp.v, 512);
	/* terminator record (magic 0, size 0) follows: already zero */
	uint64_t fr[2] = { r->x[29], r->x[30] };
	int e = copy_out(t, frame, f, F_SIZE);
	if (!e)
		e = copy_out(t, rec, fr, sizeof(fr));
	kfree(f);
	if (e)
		return e;
	r->x[0] = (uint64_t)sig;
	if (sa->flags & SA_SIGINFO) {
		r->x[1] = frame + F_INFO;
		r->x[2] = frame + F_UC;
	}
	r->x[29] = rec;
	r->x[30] = (sa->flags & SA_RESTORER) && sa->restorer ? sa->restorer : LAYOUT_SIGPAGE;
	r->sp = frame;
	r->pc = sa->handler;
	return 0;
}

void sig_deliver(struct task *t, bool in_syscall, int64_t *sysret)
{
	struct process *p = t->proc;
	bool restart = in_syscall && sysret && *sysret == -ERESTARTSYS;
	bool handled = false;
	while (!t->exited) {
		uint64_t deliverable = t->pending & (~t->sigmask | UNBLOCKABLE);
		if (!deliverable)
			break;
		int sig = __builtin_ctzll(deliverable) + 1;
		if (deliverable & SIGBIT(SIGKILL))
			sig = SIGKILL;
		t->pending &= ~SIGBIT(sig);
		if (t->siginfo[sig].code == SI_TIMER_)
			timer_delivered(p, &t->siginfo[sig]);
		struct sigaction_k *sa = &p->sa[sig];
		if (sig == SIGKILL || sig == SIGSTOP || sa->handler == SIG_DFL_) {
			if (sig != SIGKILL && (sig_default_ignored(sig) || default_stop(sig)))
				continue;
			proc_exit(t, sig);
			return;
		}
		if (sa->handler == SIG_IGN_)
			continue;
		if (restart) {
			if (sa->flags & SA_RESTART) {
				t->regs.pc -= 4;
				t->regs.x[0] = t->orig_x0;
			} else {
				t->regs.x[0] = (uint64_t)-EINTR;
			}
			restart = false;
		}
		uint64_t oldmask = t->restore_mask ? t->saved_mask : t->sigmask;
		t->restore_mask = false;
		if (setup_frame(t, sig, sa, oldmask)) {
			/* no room for the frame: SIGSEGV, fatal */
			proc_exit(t, SIGSEGV);
			return;
		}
		g.stats.signals_delivered++;
		t->sigmask |= sa->mask;
		if (!(sa->flags & SA_NODEFER))
			t->sigmask |= SIGBIT(sig);
		t->sigmask &= ~UNBLOCKABLE;
		if (sa->flags & SA_RESETHAND)
			sa->handler = SIG_DFL_;
		handled = true;
		break;
	}
	if (restart && !handled) {
		/* interrupted, but no handler ran: restart transparently */
		t->regs.pc -= 4;
		t->regs.x[0] = t->orig_x0;
	}
	if (t->restore_mask && !handled) {
		t->sigmask = t->saved_mask;
		t->restore_mask = false;
	}
}

long sys_rt_sigreturn(struct task *t, const uint64_t *a)
{
	uint64_t frame = t->regs.sp;
	uaccess_allow(t, frame, F_SIZE); /* the frame at sp is this call's argument */
	uint8_t *f = kmalloc(F_SIZE);
	if (!f)
		return -ENOMEM;
	if (copy_in(t, f, frame, F_SIZE)) {
		kfree(f);
		sig_force(t, SIGSEGV);
		return SYS_NORETURN;
	}
	struct pal_regs r = t->regs;
	memcpy(r.x, f + F_MC_REGS, sizeof(r.x));
	memcpy(&r.sp, f + F_MC_SP, 8);
	memcpy(&r.pc, f + F_MC_PC, 8);
	uint64_t ps;
	memcpy(&ps, f + F_MC_PSTATE, 8);
	r.pstate = ps & 0xf0000000ULL;
	uint64_t mask;
	memcpy(&mask, f + F_UC_SIGMASK, 8);
	uint32_t hdr[4];
	memcpy(hdr, f + F_MC_RESERVED, sizeof(hdr));
	if (hdr[0] == FPSIMD_MAGIC && hdr[1] == 528) {
		struct pal_fpsimd fp;
		fp.fpsr = hdr[2];
		fp.fpcr = hdr[3];
		memcpy(fp.v, f + F_MC_RESERVED + 16, 512);
		PAL(set_fpsimd, t->pt, &fp);
	}
	kfree(f);
	t->regs = r;
	t->sigmask = mask & ~UNBLOCKABLE;
	return SYS_NORETURN;
}

long sys_rt_sigaction(struct task *t, const uint64_t *a)
{
	int sig = (int)a[0];
	if (sig < 1 || sig > NSIG_ || a[3] != 8)
		return -EINVAL;
	struct sigaction_k nsa;
	if (a[1]) {
		if (sig == SIGKILL || sig == SIGSTOP)
			return -EINVAL;
		if (copy_in(t, &nsa, a[1], sizeof(nsa)))
			return -EFAULT;
	}
	if (a[2] && copy_out(t, a[2], &t->proc->sa[sig], sizeof(nsa)))
		return -EFAULT;
	if (a[1]) {
		nsa.mask &= ~UNBLOCKABLE;
		t->proc->sa[sig] = nsa;
		if (nsa.handler == SIG_IGN_ ||
		    (nsa.handler == SIG_DFL_ && sig_default_ignored(sig)))
			t->pending &= ~SIGBIT(sig);
	}
	return 0;
}

long sys_rt_sigprocmask(struct task *t, const uint64_t *a)
{
	int how = (int)a[0];
	if (a[3] != 8)
		return -EINVAL;
	uint64_t old = t->sigmask, set;
	if (a[1]) {
		if (copy_in(t, &set, a[1], 8))
			return -EFAULT;
		switch (how) {
		case 0:
			t->sigmask |= set;
			break;
		case 1:
			t->sigmask &= ~set;
			break;
		case 2:
			t->sigmask = set;
			break;
		default:
			return -EINVAL;
		}
		t->sigmask &= ~UNBLOCKABLE;
	}
	if (a[2] && copy_out(t, a[2], &old, 8))
		return -EFAULT;
	return 0;
}

long sys_rt_sigpending(struct task *t, const uint64_t *a)
{
	if (a[1] != 8)
		return -EINVAL;
	uint64_t p = t->pending & t->sigmask;
	return copy_out(t, a[0], &p, 8) ? -EFAULT : 0;
}

long sys_rt_sigsuspend(struct task *t, const uint64_t *a)
{
	uint64_t mask;
	if (a[1] != 8)
		return -EINVAL;
	if (copy_in(t, &mask, a[0], 8))
		return -EFAULT;
	t->saved_mask = t->sigmask;
	t->restore_mask = true;
	t->sigmask = mask & ~UNBLOCKABLE;
	for (;;) {
		uint32_t seq = ev_seq();
		if (ev_wait(t, seq, -1) == -ERESTARTSYS)
			return -EINTR;
	}
}

static bool on_altstack(struct task *t)
{
	uint64_t sp = t->regs.sp;
	return t->altstack_size && sp > t->altstack_sp && sp <= t->altstack_sp + t->altstack_size;
}

long sys_sigaltstack(struct task *t, const uint64_t *a)
{
	uint64_t ss[3];
	uint64_t old[3] = { t->altstack_sp, (uint64_t)(uint32_t)t->altstack_flags,
			    t->altstack_size };
	bool on = on_altstack(t);
	if (!t->altstack_size)
		old[1] = 2;
	if (on)
		old[1] = 1; /* SS_ONSTACK */
	if (a[0]) {
		if (on)
			return -EPERM; /* not while running on it */
		if (copy_in(t, ss, a[0], sizeof(ss)))
			return -EFAULT;
		uint32_t fl = (uint32_t)ss[1];
		if (fl & ~(2u | (1u << 31)))
			return -EINVAL;
		if (fl & 2) {
			t->altstack_sp = t->altstack_size = 0;
			t->altstack_flags = 2;
		} else {
			if (ss[2] < 2048)
				return -ENOMEM;
			t->altstack_sp = ss[0];
			t->altstack_size = ss[2];
			t->altstack_flags = 0;
		}
	}
	if (a[1] && copy_out(t, a[1], old, sizeof(old)))
		return -EFAULT;
	return 0;
}

/*
 * The container's init (pid 1) is what a pid namespace's init is on Linux:
 * a signal from another process of the container reaches it only if it has
 * a handler for it (a default action, SIGKILL and SIGSTOP included, is
 * ignored); from outside (the runtime's kill: libos_kill) SIGKILL and
 * SIGSTOP are forced, other signals need a handler too. Signals init sends
 * itself act as on any process (the qemu-aarch64 oracle runs programs as
 * ordinary processes, and the differential tests compare with it).
 */
bool sig_init_protected(const struct process *p, int sig, bool from_outside)
{
	if (!p || p->pid != 1 || (unsigned)sig - 1 >= NSIG_)
		return false;
	if (from_outside && (sig == SIGKILL || sig == SIGSTOP))
		return false;
	return p->sa[sig].handler == SIG_DFL_;
}

static struct ksiginfo user_info(struct task *t, int code)
{
	struct ksiginfo si = { .code = code };
	si.d[0] = (uint32_t)t->proc->pid | (uint64_t)t->proc->uid << 32;
	return si;
}

static int kill_one(struct task *t, struct process *p, int sig)
{
	if (p && p != t->proc && p->state != P_ZOMBIE && sig_init_protected(p, sig, false))
		return 0;
	struct ksiginfo si = user_info(t, SI_USER_);
	return sig_send_info(p, sig, &si);
}

long sys_kill(struct task *t, const uint64_t *a)
{
	int pid = (int)a[0], sig = (int)a[1];
	if (sig < 0 || sig > NSIG_)
		return -EINVAL;
	if (pid > 0)
		return kill_one(t, proc_find(pid), sig);
	int pgid = pid == 0 ? t->proc->pgid : -pid;
	int found = 0;
	for (struct process *p = g.all; p; p = p->next_all) {
		if (p->state == P_ZOMBIE)
			continue;
		if (pid == -1 ? (p->pid != 1 && p != t->proc) : p->pgid == pgid) {
			kill_one(t, p, sig);
			found++;
		}
	}
	if (pid == -1 && found == 0)
		return -ESRCH;
	return found ? 0 : -ESRCH;
}

int sig_send_thread_info(struct task *u, int sig, const struct ksiginfo *si)
{
	struct process *p = u->proc;
	if (u->exited || p->state == P_ZOMBIE)
		return -ESRCH;
	if (sig == 0)
		return 0;
	if (discarded(p, sig))
		return 0;
	make_pending(u, sig, si);
	return 0;
}

static int sig_send_thread(struct task *t, struct task *u, int sig)
{
	if (u->proc != t->proc && !u->exited && sig_init_protected(u->proc, sig, false))
		return 0;
	struct ksiginfo si = user_info(t, SI_TKILL_);
	return sig_send_thread_info(u, sig, &si);
}

long sys_tgkill(struct task *t, const uint64_t *a)
{
	int tgid = (int)a[0], tid = (int)a[1], sig = (int)a[2];
	if (tgid <= 0 || tid <= 0 || sig < 0 || sig > NSIG_)
		return -EINVAL;
	struct task *u = task_find(tid);
	if (!u || u->proc->pid != tgid)
		return -ESRCH;
	return sig_send_thread(t, u, sig);
}

long sys_tkill(struct task *t, const uint64_t *a)
{
	int tid = (int)a[0], sig = (int)a[1];
	if (tid <= 0 || sig < 0 || sig > NSIG_)
		return -EINVAL;
	struct task *u = task_find(tid);
	return u ? sig_send_thread(t, u, sig) : -ESRCH;
}

/* Read a caller-made siginfo for rt_(tg)sigqueueinfo: si_code and the union. */
static int queue_info_in(struct task *t, uint64_t ua, int target_pid, struct ksiginfo *ki)
{
	uint8_t b[128];
	if (copy_in(t, b, ua, sizeof(b)))
		return -EFAULT;
	memset(ki, 0, sizeof(*ki));
	memcpy(&ki->code, b + 8, 4);
	memcpy(ki->d, b + 16, sizeof(ki->d));
	/* as Linux: only the kernel's codes may not be forged towards another process */
	if ((ki->code >= 0 || ki->code == SI_TKILL_) && target_pid != t->proc->pid)
		return -EPERM;
	return 0;
}

long sys_rt_sigqueueinfo(struct task *t, const uint64_t *a)
{
	int pid = (int)a[0], sig = (int)a[1];
	if (sig < 0 || sig > NSIG_)
		return -EINVAL;
	struct ksiginfo ki;
	int r = queue_info_in(t, a[2], pid, &ki);
	if (r)
		return r;
	struct process *p = pid > 0 ? proc_find(pid) : NULL;
	if (p && p != t->proc && p->state != P_ZOMBIE && sig_init_protected(p, sig, false))
		return 0;
	return p ? sig_send_info(p, sig, &ki) : -ESRCH;
}

long sys_rt_tgsigqueueinfo(struct task *t, const uint64_t *a)
{
	int tgid = (int)a[0], tid = (int)a[1], sig = (int)a[2];
	if (tgid <= 0 || tid <= 0 || sig < 0 || sig > NSIG_)
		return -EINVAL;
	struct ksiginfo ki;
	int r = queue_info_in(t, a[3], tgid, &ki);
	if (r)
		return r;
	struct task *u = task_find(tid);
	if (!u || u->proc->pid != tgid)
		return -ESRCH;
	if (u->proc != t->proc && !u->exited && sig_init_protected(u->proc, sig, false))
		return 0;
	return sig_send_thread_info(u, sig, &ki);
}

/* rt_sigtimedwait(set, info, timeout, sigsetsize): take a pending signal of set. */
long sys_rt_sigtimedwait(struct task *t, const uint64_t *a)
{
	uint64_t set;
	if (a[3] != 8)
		return -EINVAL;
	if (copy_in(t, &set, a[0], 8))
		return -EFAULT;
	set &= ~UNBLOCKABLE;
	uint64_t deadline = 0;
	if (a[2]) {
		struct timespec_k ts;
		if (copy_in(t, &ts, a[2], sizeof(ts)))
			return -EFAULT;
		if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
			return -EINVAL;
		deadline = now_ns(PAL_CLOCK_MONOTONIC) + (uint64_t)kts_to_ns(ts.tv_sec, ts.tv_nsec);
	}
	for (;;) {
		uint64_t m = t->pending & set;
		if (m) {
			int sig = __builtin_ctzll(m) + 1;
			struct ksiginfo ki = t->siginfo[sig];
			t->pending &= ~SIGBIT(sig);
			if (ki.code == SI_TIMER_)
				timer_delivered(t->proc, &ki);
			if (a[1]) {
				uint8_t b[128];
				int32_t hdr[3] = { sig, 0, ki.code };
				memset(b, 0, sizeof(b));
				memcpy(b, hdr, sizeof(hdr));
				memcpy(b + 16, ki.d, sizeof(ki.d));
				if (copy_out(t, a[1], b, sizeof(b)))
					return -EFAULT;
			}
			return sig;
		}
		if (sig_pending(t))
			return -EINTR;
		int64_t left = -1;
		if (deadline) {
			uint64_t now = now_ns(PAL_CLOCK_MONOTONIC);
			if (now >= deadline)
				return -EAGAIN;
			left = (int64_t)(deadline - now);
		}
		uint32_t seq = ev_seq();
		if ((t->pending & set) == 0)
			ev_wait(t, seq, left);
	}
}
