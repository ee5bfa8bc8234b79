/*
 * Processes: creation (the init process, fork/vfork through clone), execve,
 * exit and exit_group, zombies and wait4/waitid reaping, process groups and
 * sessions. One task (thread) per process for now.
 */
#include "libos/kernel.h"

struct process *proc_find(int pid)
{
	for (struct process *p = g.all; p; p = p->next_all)
		if (p->pid == pid)
			return p;
	return NULL;
}

struct task *task_find(int tid)
{
	for (struct process *p = g.all; p; p = p->next_all)
		for (struct task *t = p->threads; t; t = t->next_thread)
			if (t->tid == tid)
				return t;
	return NULL;
}

static int alloc_pid(void)
{
	for (int tries = 0; tries < 100000; tries++) {
		int pid = g.next_pid++;
		if (g.next_pid > 4194304)
			g.next_pid = 2;
		if (!proc_find(pid) && !task_find(pid))
			return pid;
	}
	return -EAGAIN;
}

struct process *proc_new(struct process *parent)
{
	int pid = alloc_pid();
	if (pid < 0)
		return NULL;
	struct process *p = kzalloc(sizeof(*p));
	struct task *t = kzalloc(sizeof(*t));
	if (!p || !t) {
		kfree(p);
		kfree(t);
		return NULL;
	}
	p->pid = pid;
	t->tid = pid;
	t->proc = p;
	p->task = t;
	p->threads = t;
	p->nthreads = 1;
	p->exit_signal = SIGCHLD;
	p->start_ns = now_ns(PAL_CLOCK_MONOTONIC);
	if (parent) {
		p->parent = parent;
		p->sibling = parent->children;
		parent->children = p;
		p->pgid = parent->pgid;
		p->sid = parent->sid;
		p->ctty = parent->ctty;
		p->umask = parent->umask;
		p->uid = parent->uid;
		p->gid = parent->gid;
		p->euid = parent->euid;
		p->egid = parent->egid;
		memcpy(p->sa, parent->sa, sizeof(p->sa));
		memcpy(p->rlim, parent->rlim, sizeof(p->rlim));
		memcpy(p->comm, parent->comm, sizeof(p->comm));
		memcpy(p->groups, parent->groups, sizeof(p->groups));
		p->ngroups = parent->ngroups;
		p->personality = parent->personality;
		p->nice = parent->nice;
		p->sched_policy = parent->sched_policy;
		p->sched_prio = parent->sched_prio;
		if (parent->sched_reset_on_fork) {
			/* SCHED_RESET_ON_FORK: no real-time policy or negative nice for children */
			if (p->sched_policy == 1 || p->sched_policy == 2) {
				p->sched_policy = 0;
				p->sched_prio = 0;
			}
			if (p->nice < 0)
				p->nice = 0;
		}
		t->sigmask = parent->task->sigmask;
	} else {
		p->pgid = p->sid = pid;
		p->umask = g.cfg.umask;
		p->uid = p->euid = g.cfg.uid;
		p->gid = p->egid = g.cfg.gid;
		for (unsigned i = 0; i < g.cfg.n_groups && i < 32; i++)
			p->groups[p->ngroups++] = g.cfg.groups[i];
		/* defaults, then the configured ones */
		static const struct libos_rlimit defs[] = {
			{ 3, 8ULL << 20, ~0ULL }, /* STACK */
			{ 7, 1024, 1024 },       /* NOFILE */
			{ 4, 0, ~0ULL },         /* CORE */
		};
		unsigned n = 0;
		for (size_t i = 0; i < KARRAY_SIZE(defs); i++)
			p->rlim[n++] = defs[i];
		for (unsigned i = 0; i < g.cfg.n_rlimits && n < 16; i++) {
			bool found = false;
			for (unsigned j = 0; j < n; j++) {
				if (p->rlim[j].resource == g.cfg.rlimits[i].resource) {
					p->rlim[j] = g.cfg.rlimits[i];
					found = true;
				}
			}
			if (!found)
				p->rlim[n++] = g.cfg.rlimits[i];
		}
		for (; n < 16; n++)
			p->rlim[n].resource = -1;
	}
	p->next_all = g.all;
	g.all = p;
	g.stats.processes++;
	return p;
}

int task_start(struct process *p, const struct pal_regs *r, const struct pal_fpsimd *fp)
{
	int e = PAL(task_create, p->mm->as, r, fp, p->task, &p->task->pt);
	if (e == 0)
		g.live_tasks++;
	return e;
}

void proc_reap(struct process *p)
{
	timer_proc_reaped(p); /* its timers go, its CPU time to the parent's children time */
	if (p->parent) {
		struct process **pp = &p->parent->children;
		while (*pp && *pp != p)
			pp = &(*pp)->sibling;
		if (*pp)
			*pp = p->sibling;
	}
	struct process **pp = &g.all;
	while (*pp && *pp != p)
		pp = &(*pp)->next_all;
	if (*pp)
		*pp = p->next_all;
	kfree(p->cwd);
	kfree(p->exe);
	kfree(p->cmdline);
	for (struct task *t = p->threads; t;) {
		struct task *n = t->next_thread;
		kfree(t);
		t = n;
	}
	kfree(p);
}

/*
 * The process is going (exit_group, or execve from one of its threads):
 * mark it exiting with wstatus and SIGKILL every thread but t.
 */
static void kill_other_threads(struct task *t, int wstatus)
{
	struct process *p = t->proc;
	p->exiting = true;
	p->wstatus = wstatus;
	for (struct task *u = p->threads; u; u = u->next_thread) {
		if (u != t && !u->exited) {
			u->pending |= SIGBIT(SIGKILL);
			if (u->pt)
				PAL(task_kick, u->pt);
		}
	}
	ev_notify();
}

void proc_exit(struct task *t, int wstatus)
{
	struct process *p = t->proc;
	if (t->exited)
		return;
	if (!p->exiting)
		kill_other_threads(t, wstatus);
	thread_exit(t, p->wstatus);
}

static void proc_finish(struct task *t, int wstatus);

void thread_exit(struct task *t, int wstatus)
{
	struct process *p = t->proc;
	if (t->exited)
		return;
	futex_thread_exit(t); /* robust futexes, clear_child_tid + wake (pthread_join) */
	if (p->nthreads > 1) {
		t->exited = true;
		p->nthreads--;
		if (t->pt)
			PAL(task_exit, t->pt);
		g.live_tasks--;
		if (p->task == t) {
			/* signals now go to a live thread */
			for (struct task *u = p->threads; u; u = u->next_thread)
				if (!u->exited)
					p->task = u;
		}
		ev_notify();
		return;
	}
	proc_finish(t, p->exiting ? p->wstatus : wstatus);
}

static void proc_finish(struct task *t, int wstatus)
{
	struct process *p = t->proc;
	/* a session leader's end hangs up its controlling terminal (SIGHUP to the foreground) */
	if (p->sid == p->pid && p->ctty)
		tty_session_end(p, true);
	t->exited = true;
	p->nthreads = 0;
	fdt_free(p->fds);
	p->fds = NULL;
	if (p->vfork_parent && !p->vfork_done)
		p->vfork_done = true;
	if (t->pt)
		PAL(task_exit, t->pt);
	mm_put(p->mm);
	p->mm = NULL;
	g.live_tasks--;
	p->state = P_ZOMBIE;
	p->wstatus = wstatus;
	if (p->spawned) {
		for (int i = 0; i < LIBOS_SPAWN_MAX; i++)
			if (g.spawned[i].pid == p->pid) {
				g.spawned[i].done = true;
				g.spawned[i].status = (wstatus & 0x7f) ? 128 + (wstatus & 0x7f)
								       : (wstatus >> 8) & 0xff;
			}
	}
	struct process *init = proc_find(1);
	/* orphans go to init */
	while (p->children) {
		struct process *c = p->children;
		p->children = c->sibling;
		if (init && init != p) {
			c->parent = init;
			/* as Linux: an orphan's death is reported to init with SIGCHLD */
			c->exit_signal = SIGCHLD;
			c->sibling = init->children;
			init->children = c;
		} else {
			c->parent = NULL;
		}
	}
	if (p->pid == 1) {
		int code = (wstatus & 0x7f) ? 128 + (wstatus & 0x7f) : (wstatus >> 8) & 0xff;
		g.init_status = code;
		g.container_done = true;
		for (struct process *q = g.all; q; q = q->next_all)
			if (q != p && q->state != P_ZOMBIE)
				sig_send(q, SIGKILL);
		ev_notify();
		PAL(container_exit, code, wstatus & 0x7f);
		return;
	}
	struct process *par = p->parent;
	if (par) {
		struct sigaction_k *sa = &par->sa[SIGCHLD];
		if (p->exit_signal == SIGCHLD &&
		    (sa->handler == SIG_IGN_ || (sa->flags & SA_NOCLDWAIT))) {
			proc_reap(p);
		} else if (p->exit_signal > 0 && p->exit_signal <= NSIG_) {
			sig_child_exited(par, p, wstatus);
		}
	} else {
		proc_reap(p);
	}
	ev_notify();
}

static bool wait_match(struct process *c, struct process *self, int pid)
{
	if (pid > 0)
		return c->pid == pid;
	if (pid == -1)
		return true;
	if (pid == 0)
		return c->pgid == self->pgid;
	return c->pgid == -pid;
}

/* Wait for a child: returns pid and *status, 0 (WNOHANG), or -errno. */
static long do_wait(struct task *t, int pid, int options, int *status, int *code_out,
		    bool reap)
{
	struct process *self = t->proc;
	for (;;) {
		bool any = false;
		for (struct process *c = self->children; c; c = c->sibling) {
			if (!wait_match(c, self, pid))
				continue;
			any = true;
			if (c->state == P_ZOMBIE) {
				int cpid = c->pid;
				*status = c->wstatus;
				if (reap)
					proc_reap(c);
				return cpid;
			}
		}
		if (!any)
			return -ECHILD;
		if (options & WNOHANG)
			return 0;
		uint32_t seq = ev_seq();
		int r = ev_wait(t, seq, -1);
		if (r == -ERESTARTSYS)
			return r;
	}
}

long sys_wait4(struct task *t, const uint64_t *a)
{
	int pid = (int)a[0];
	int options = (int)a[2];
	if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | 0x40000000 | 0x80000000 | 0x20000000))
		return -EINVAL;
	if (pid == (int)0x80000000)
		return -ESRCH;
	int st = 0;
	long r = do_wait(t, pid, options, &st, NULL, true);
	if (r > 0) {
		if (a[1] && copy_out(t, a[1], &st, 4))
			return -EFAULT;
		if (a[3]) {
			uint8_t ru[144] = { 0 };
			if (copy_out(t, a[3], ru, sizeof(ru)))
				return -EFAULT;
		}
	}
	return r;
}

long sys_waitid(struct task *t, const uint64_t *a)
{
	int idtype = (int)a[0], id = (int)a[1], options = (int)a[3];
	int pid;
	if (!(options & (WEXITED | WUNTRACED | WCONTINUED)))
		return -EINVAL;
	if (idtype == 0)
		pid = -1;
	else if (idtype == 1)
		pid = id > 0 ? id : -0x7fffffff;
	else if (idtype == 2)
		pid = id > 0 ? -id : 0;
	else
		return -EINVAL;
	int st = 0;
	long r = do_wait(t, pid, options, &st, NULL, !(options & WNOWAIT));
	if (r < 0)
		return r;
	if (a[2]) {
		uint8_t si[128] = { 0 };
		if (r > 0) {
			int32_t v[7] = { SIGCHLD, 0, (st & 0x7f) ? 2 : 1, 0, (int32_t)r, 0,
					 (st & 0x7f) ? (st & 0x7f) : (st >> 8) & 0xff };
			memcpy(si, v, 12);
			memcpy(si + 16, &v[4], 4);
			memcpy(si + 24, &v[6], 4);
		}
		if (copy_out(t, a[2], si, sizeof(si)))
			return -EFAULT;
	}
	return 0;
}

static long clone_thread(struct task *t, uint64_t flags, uint64_t newsp, uint64_t ptid,
			 uint64_t tls, uint64_t ctid);

long sys_clone(struct task *t, const uint64_t *a)
{
	uint64_t flags = a[0], newsp = a[1], ptid = a[2], tls = a[3], ctid = a[4];
	struct process *p = t->proc;
	if (flags & CLONE_THREAD)
		return clone_thread(t, flags, newsp, ptid, tls, ctid);
	if ((flags & CLONE_SIGHAND) && !(flags & CLONE_VM))
		return -EINVAL;
	if ((flags & CLONE_VM) && !(flags & CLONE_VFORK)) {
		lo_log(LOG_WARN, "clone: CLONE_VM without CLONE_VFORK is not supported yet");
		return -ENOSYS;
	}
	if (flags & (CLONE_NEWNS | 0x7e000000ULL /* other namespaces */ | CLONE_PIDFD))
		return -EINVAL;
	int pe = res_pids_charge();
	if (pe)
		return pe;
	struct process *c = proc_new(p);
	if (!c)
		return -EAGAIN;
	c->task->sigmask = t->sigmask;
	c->exit_signal = (int)(flags & 0xff);
	/* a deployment where only threads share address spaces gives a vfork child a copy */
	bool share = (flags & CLONE_VM) && !g.pal.vfork_copies_as;
	c->mm = share ? p->mm : mm_fork(p->mm);
	if (share)
		p->mm->refs++;
	c->fds = fdt_dup(p->fds);
	c->cwd = kstrdup(p->cwd);
	c->exe = p->exe ? kstrdup(p->exe) : NULL;
	if (p->cmdline_len) {
		c->cmdline = kmalloc(p->cmdline_len);
		if (c->cmdline) {
			memcpy(c->cmdline, p->cmdline, p->cmdline_len);
			c->cmdline_len = p->cmdline_len;
		}
	}
	if (!c->mm || !c->fds || !c->cwd) {
		if (c->mm)
			mm_put(c->mm);
		fdt_free(c->fds);
		c->mm = NULL;
		c->fds = NULL;
		proc_reap(c);
		return -ENOMEM;
	}
	struct pal_regs r = t->regs;
	r.x[0] = 0;
	if (newsp)
		r.sp = newsp;
	if (flags & CLONE_SETTLS)
		r.tpidr = tls;
	struct pal_fpsimd fp;
	PAL(get_fpsimd, t->pt, &fp);
	if ((flags & CLONE_PARENT_SETTID) && ptid) {
		int32_t v = c->pid;
		copy_out(t, ptid, &v, 4);
	}
	if ((flags & CLONE_CHILD_SETTID) && ctid) {
		int32_t v = c->pid;
		mm_write(c->mm, ctid, &v, 4);
	}
	if (flags & CLONE_CHILD_CLEARTID)
		c->task->clear_child_tid = ctid;
	if (flags & CLONE_VFORK)
		c->vfork_parent = p;
	int pid = c->pid;
	int e = task_start(c, &r, &fp);
	if (e) {
		mm_put(c->mm);
		c->mm = NULL;
		fdt_free(c->fds);
		c->fds = NULL;
		proc_reap(c);
		return e;
	}
	if (flags & CLONE_VFORK) {
		/* the parent waits until the child execs or exits (killable only) */
		while (!c->vfork_done && !(t->pending & SIGBIT(SIGKILL))) {
			uint32_t seq = ev_seq();
			PAL(unlock);
			PAL(wait, &g.event, seq, -1);
			PAL(lock);
			c = proc_find(pid);
			if (!c)
				break;
		}
	}
	return pid;
}

long sys_clone3(struct task *t, const uint64_t *a)
{
	/* glibc falls back to clone when clone3 is missing */
	return -ENOSYS;
}

/* Copy a NULL-terminated user string vector into library OS memory. */
static int strv_in(struct task *t, uint64_t uv, char ***out, int *count, size_t *total)
{
	int cap = 64, n = 0;
	char **v = kzalloc(sizeof(char *) * (size_t)cap);
	if (!v)
		return -ENOMEM;
	int err = 0;
	if (uv) {
		for (;;) {
			uint64_t ptr;
			if (copy_in(t, &ptr, uv + (uint64_t)n * 8, 8)) {
				err = -EFAULT;
				break;
			}
			if (!ptr)
				break;
			if (n + 1 >= cap) {
				if (cap >= 65536) {
					err = -E2BIG;
					break;
				}
				char **nv = kzalloc(sizeof(char *) * (size_t)cap * 2);
				if (!nv) {
					err = -ENOMEM;
					break;
				}
				memcpy(nv, v, sizeof(char *) * (size_t)n);
				kfree(v);
				v = nv;
				cap *= 2;
			}
			char *buf = kmalloc(PATH_MAX_ * 8 + 1);
			if (!buf) {
				err = -ENOMEM;
				break;
			}
			uaccess_allow(t, ptr, PATH_MAX_ * 8);
			long l = strncpy_in(t, buf, ptr, PATH_MAX_ * 8);
			if (l < 0) {
				kfree(buf);
				err = l == -ENAMETOOLONG ? -E2BIG : (int)l;
				break;
			}
			*total += (size_t)l + 1;
			if (*total > 2 * 1024 * 1024) {
				kfree(buf);
				err = -E2BIG;
				break;
			}
			v[n] = kstrdup(buf);
			kfree(buf);
			if (!v[n]) {
				err = -ENOMEM;
				break;
			}
			n++;
		}
	}
	if (err) {
		for (int i = 0; i < n; i++)
			kfree(v[i]);
		kfree(v);
		return err;
	}
	*out = v;
	*count = n;
	return 0;
}

static void strv_free(char **v, int n)
{
	if (!v)
		return;
	for (int i = 0; i < n; i++)
		kfree(v[i]);
	kfree(v);
}

static int exec_load(struct task *t, const char *path, char **argv, int argc, char **envp,
		     int envc, int depth);

/*
 * execve of a thread of a multithreaded process (Linux's de_thread): every
 * other thread is killed and waited for; only a SIGKILL of the caller
 * interrupts the wait (-EINTR: the signal then ends it). The caller becomes
 * the thread group leader (its tid is the pid). 0 when it is alone.
 */
static int exec_dethread(struct task *t)
{
	struct process *p = t->proc;
	if (p->nthreads <= 1)
		return 0;
	if (p->exiting)
		return -EINTR; /* an exit_group is on its way */
	/* The others' SIGKILL ends only them (proc_exit of an exiting process). */
	kill_other_threads(t, SIGKILL);
	while (p->nthreads > 1) {
		if (t->pending & SIGBIT(SIGKILL))
			return -EINTR; /* the process is being killed: it stays exiting */
		uint32_t seq = ev_seq();
		if (p->nthreads > 1)
			ev_wait(NULL, seq, -1); /* other signals wait until after the exec */
	}
	p->exiting = false;
	p->wstatus = 0;
	if (t->tid != p->pid) {
		for (struct task *u = p->threads; u; u = u->next_thread)
			if (u != t && u->tid == p->pid)
				u->tid = -1; /* the old leader, gone */
		t->tid = p->pid;
	}
	p->task = t;
	return 0;
}

int do_execve(struct task *t, const char *path, char **argv, int argc, char **envp, int envc)
{
	int r = exec_load(t, path, argv, argc, envp, envc, 0);
	return r ? r : (int)0; /* exec_load returns 0 on success; map to NORETURN below */
}

static int exec_load(struct task *t, const char *path, char **argv, int argc, char **envp,
		     int envc, int depth)
{
	struct process *p = t->proc;
	char *canon = NULL;
	struct node nd;
	int r = vfs_resolve(t, AT_FDCWD, path, LK_FOLLOW, &canon, &nd);
	if (r)
		return r;
	if (!S_ISREG(nd.mode) || !(nd.mode & 0111)) {
		kfree(canon);
		return -EACCES;
	}
	struct fbuf *img;
	r = vfs_node_contents(&nd, &img);
	if (r) {
		kfree(canon);
		return r;
	}
	if (img->size >= 2 && img->data[0] == '#' && img->data[1] == '!') {
		/* #!interpreter [arg] */
		if (depth >= 4) {
			r = -ELOOP;
			goto out_img;
		}
		char line[256];
		size_t i = 2, l = 0;
		while (i < img->size && img->data[i] != '\n' && l < sizeof(line) - 1)
			line[l++] = (char)img->data[i++];
		line[l] = 0;
		char *s = line;
		while (*s == ' ' || *s == '\t')
			s++;
		char *interp = s;
		while (*s && *s != ' ' && *s != '\t')
			s++;
		char *arg = NULL;
		if (*s) {
			*s++ = 0;
			while (*s == ' ' || *s == '\t')
				s++;
			if (*s) {
				arg = s;
				size_t al = strlen(arg);
				while (al && (arg[al - 1] == ' ' || arg[al - 1] == '\t'))
					arg[--al] = 0;
			}
		}
		if (!*interp) {
			r = -ENOEXEC;
			goto out_img;
		}
		char **nargv = kzalloc(sizeof(char *) * (size_t)(argc + 3));
		if (!nargv) {
			r = -ENOMEM;
			goto out_img;
		}
		int n = 0;
		nargv[n++] = interp;
		if (arg)
			nargv[n++] = arg;
		nargv[n++] = (char *)path;
		for (int k = 1; k < argc; k++)
			nargv[n++] = argv[k];
		r = exec_load(t, interp, nargv, n, envp, envc, depth + 1);
		kfree(nargv);
		goto out_img;
	}
	struct mm *mm = mm_new();
	if (!mm) {
		r = -ENOMEM;
		goto out_img;
	}
	struct exec_image im;
	r = elf_load(t, mm, img, canon, &im);
	if (!r)
		r = map_sigpage(mm);
	int64_t sp = 0;
	if (!r) {
		sp = build_stack(t, mm, &im, argv, argc, envp, envc, path);
		if (sp < 0)
			r = (int)sp;
	}
	if (r) {
		mm_put(mm);
		goto out_img;
	}
	r = exec_dethread(t);
	if (r) {
		mm_put(mm);
		goto out_img;
	}
	/* point of no return */
	if (g.cfg.populate_text)
		mm_populate_text(mm);
	if (t->pt)
		PAL(task_set_as, t->pt, mm->as);
	if (t->pt && g.pal.measure_exec) {
		uint8_t dg[32];
		vfs_node_digest(&nd, img, dg);
		PAL(measure_exec, t->pt, dg);
	}
	struct mm *old = p->mm;
	p->mm = mm;
	if (old)
		mm_put(old);
	if (p->vfork_parent && !p->vfork_done) {
		p->vfork_done = true;
		ev_notify();
	}
	if (p->fds)
		fdt_close_on_exec(p->fds);
	for (int s = 1; s <= NSIG_; s++) {
		if (p->sa[s].handler != SIG_IGN_)
			p->sa[s].handler = SIG_DFL_;
		p->sa[s].flags = 0;
		p->sa[s].mask = 0;
		p->sa[s].restorer = 0;
	}
	t->altstack_sp = t->altstack_size = 0;
	t->altstack_flags = 2; /* SS_DISABLE */
	t->robust_list = 0;
	timers_release(p); /* POSIX timers do not survive execve (interval timers do) */
	kfree(p->exe);
	p->exe = canon;
	canon = NULL;
	/* as Linux: the last component of the path execve was given (busybox applets: "cat") */
	const char *base = kstrrchr(path, '/');
	kstrlcpy(p->comm, base ? base + 1 : path, sizeof(p->comm));
	size_t cl = 0;
	for (int i = 0; i < argc; i++)
		cl += strlen(argv[i]) + 1;
	kfree(p->cmdline);
	p->cmdline = kmalloc(cl ? cl : 1);
	p->cmdline_len = 0;
	if (p->cmdline) {
		for (int i = 0; i < argc; i++) {
			size_t l = strlen(argv[i]) + 1;
			memcpy(p->cmdline + p->cmdline_len, argv[i], l);
			p->cmdline_len += l;
		}
	}
	memset(&t->regs, 0, sizeof(t->regs));
	t->regs.sp = (uint64_t)sp;
	t->regs.pc = im.entry;
	if (t->pt) {
		struct pal_fpsimd fp;
		memset(&fp, 0, sizeof(fp));
		PAL(set_fpsimd, t->pt, &fp);
	}
	g.stats.execs++;
	r = 0;
out_img:
	fbuf_put(img);
	kfree(canon);
	return r;
}

long sys_execve(struct task *t, const uint64_t *a)
{
	char *path;
	int r = path_in(t, a[0], &path);
	if (r)
		return r;
	char **argv = NULL, **envp = NULL;
	int argc = 0, envc = 0;
	size_t total = 0;
	r = strv_in(t, a[1], &argv, &argc, &total);
	if (!r)
		r = strv_in(t, a[2], &envp, &envc, &total);
	if (!r) {
		r = exec_load(t, path, argv, argc, envp, envc, 0);
	}
	strv_free(argv, argc);
	strv_free(envp, envc);
	kfree(path);
	return r ? r : SYS_NORETURN;
}

long sys_exit(struct task *t, const uint64_t *a)
{
	thread_exit(t, (int)((a[0] & 0xff) << 8));
	return 0;
}

long sys_exit_group(struct task *t, const uint64_t *a)
{
	proc_exit(t, (int)((a[0] & 0xff) << 8));
	return 0;
}

/* A thread: same process, address space, files and signal handlers. */
static long clone_thread(struct task *t, uint64_t flags, uint64_t newsp, uint64_t ptid,
			 uint64_t tls, uint64_t ctid)
{
	struct process *p = t->proc;
	unsigned need = CLONE_VM | CLONE_SIGHAND | CLONE_FS | CLONE_FILES;
	/*
	 * A thread whose creator waits as for vfork: not where vfork children
	 * get a copy (realm: the RMM refuses THREAD with CLONE_VFORK).
	 */
	if ((flags & CLONE_VFORK) && g.pal.vfork_copies_as) {
		lo_log(LOG_WARN, "clone: CLONE_THREAD with CLONE_VFORK is not supported here");
		return -EINVAL;
	}
	if ((flags & need) != need)
		return -EINVAL;
	if (p->exiting)
		return -EAGAIN;
	int pe = res_pids_charge();
	if (pe)
		return pe;
	int tid = -1;
	for (int tries = 0; tries < 100000; tries++) {
		int c = g.next_pid++;
		if (g.next_pid > 4194304)
			g.next_pid = 2;
		if (!proc_find(c) && !task_find(c)) {
			tid = c;
			break;
		}
	}
	if (tid < 0)
		return -EAGAIN;
	struct task *n = kzalloc(sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->tid = tid;
	n->proc = p;
	n->sigmask = t->sigmask;
	n->altstack_flags = 2;
	struct pal_regs r = t->regs;
	r.x[0] = 0;
	r.sp = newsp;
	if (flags & CLONE_SETTLS)
		r.tpidr = tls;
	struct pal_fpsimd fp;
	PAL(get_fpsimd, t->pt, &fp);
	if ((flags & CLONE_PARENT_SETTID) && ptid) {
		int32_t v = tid;
		copy_out(t, ptid, &v, 4);
	}
	if ((flags & CLONE_CHILD_SETTID) && ctid) {
		int32_t v = tid;
		mm_write(p->mm, ctid, &v, 4);
	}
	if (flags & CLONE_CHILD_CLEARTID)
		n->clear_child_tid = ctid;
	n->next_thread = p->threads;
	p->threads = n;
	p->nthreads++;
	int e = PAL(task_create, p->mm->as, &r, &fp, n, &n->pt);
	if (e) {
		n->exited = true;
		p->nthreads--;
		return e;
	}
	g.live_tasks++;
	return tid;
}

long sys_getpid(struct task *t, const uint64_t *a)
{
	return t->proc->pid;
}

long sys_getppid(struct task *t, const uint64_t *a)
{
	return t->proc->parent ? t->proc->parent->pid : 0;
}

long sys_gettid(struct task *t, const uint64_t *a)
{
	return t->tid;
}

long sys_set_tid_address(struct task *t, const uint64_t *a)
{
	t->clear_child_tid = a[0];
	return t->tid;
}

long sys_setpgid(struct task *t, const uint64_t *a)
{
	int pid = (int)a[0], pgid = (int)a[1];
	struct process *p = pid ? proc_find(pid) : t->proc;
	if (pgid < 0)
		return -EINVAL;
	if (!p || (p != t->proc && p->parent != t->proc))
		return -ESRCH;
	if (p->sid == p->pid)
		return -EPERM;
	p->pgid = pgid ? pgid : p->pid;
	return 0;
}

long sys_getpgid(struct task *t, const uint64_t *a)
{
	int pid = (int)a[0];
	struct process *p = pid ? proc_find(pid) : t->proc;
	return p ? p->pgid : -ESRCH;
}

long sys_getsid(struct task *t, const uint64_t *a)
{
	int pid = (int)a[0];
	struct process *p = pid ? proc_find(pid) : t->proc;
	return p ? p->sid : -ESRCH;
}

long sys_setsid(struct task *t, const uint64_t *a)
{
	struct process *p = t->proc;
	for (struct process *q = g.all; q; q = q->next_all)
		if (q->pgid == p->pid && q != p)
			return -EPERM;
	if (p->pgid == p->pid)
		return -EPERM;
	p->sid = p->pgid = p->pid;
	p->ctty = 0; /* a new session has no controlling terminal */
	return p->sid;
}
