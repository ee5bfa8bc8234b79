/*
 * The library OS's entry points (libos.h): initialisation, the start of
 * the init process, the exception handler every task calls, blocking on
 * the global event counter, statistics.
 */
#include <stdarg.h>

#include "libos/kernel.h"

/*
 * Where libos_cur points while no instance is selected: before the first
 * libos_init, and after libos_fini (it then holds the finished instance's
 * statistics for libos_get_stats).
 */
static struct libos_kernel idle_instance = {.container_done = true};
struct libos_kernel *libos_cur = &idle_instance;

struct libos_kernel *libos_current(void)
{
	return libos_cur == &idle_instance ? NULL : libos_cur;
}

void libos_select(struct libos_kernel *k)
{
	if (!k || !k->live)
		return;
	libos_cur = k;
	kmem_select(k->heap);
}

void libos_log(enum log_level lvl, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	if (!lib_log_on(lvl))
		return;
	va_start(ap, fmt);
	n = kvsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	if (g.pal.log != NULL)
		PAL(log, (int)lvl, buf, (size_t)n);
	else
		lib_log(lvl, "libos", "%s", buf);
}

uint64_t now_ns(int clock)
{
	return PAL(time_ns, (enum pal_clock)clock);
}

void ev_notify(void)
{
	__atomic_add_fetch(&g.event, 1, __ATOMIC_RELEASE);
	PAL(wake, &g.event);
}

int ev_wait(struct task *t, uint32_t seq, int64_t timeout_ns)
{
	if (t && sig_pending(t))
		return -ERESTARTSYS;
	int64_t tn = t ? timer_check(t->proc) : -1;
	bool timer_first = tn >= 0 && (timeout_ns < 0 || tn < timeout_ns);
	uint64_t w0 = t ? now_ns(PAL_CLOCK_MONOTONIC) : 0;
	PAL(unlock);
	int r = PAL(wait, &g.event, seq, timer_first ? tn : timeout_ns);
	PAL(lock);
	if (t)
		t->cpu_block_ns += now_ns(PAL_CLOCK_MONOTONIC) - w0; /* not CPU time */
	if (t)
		timer_check(t->proc);
	if (t && sig_pending(t))
		return -ERESTARTSYS;
	if (r == -ETIMEDOUT && timer_first)
		return 0; /* the timer's wake-up, not the caller's timeout */
	return r == -ETIMEDOUT ? -ETIMEDOUT : 0;
}

static char **dup_strv(char *const *v, int *n)
{
	int c = 0;
	while (v && v[c])
		c++;
	char **d = kzalloc(sizeof(char *) * (size_t)(c + 1));
	if (!d)
		return NULL;
	for (int i = 0; i < c; i++) {
		d[i] = kstrdup(v[i]);
		if (!d[i])
			return NULL;
	}
	if (n)
		*n = c;
	return d;
}

int libos_init(const struct pal_ops *pal, void *mem, size_t mem_size,
	       const struct libos_config *cfg)
{
	memset(&idle_instance, 0, sizeof(idle_instance));
	idle_instance.container_done = true;
	libos_cur = &idle_instance;
	int r = kmem_init(mem, mem_size);
	if (r)
		return r;
	struct libos_kernel *k = kzalloc(sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->heap = kmem_current();
	k->live = true;
	libos_cur = k;
	g.pal = *pal;
	g.cfg = *cfg;
	g.cfg.args = dup_strv(cfg->args, NULL);
	g.cfg.env = dup_strv(cfg->env, NULL);
	g.cfg.cwd = kstrdup(cfg->cwd && cfg->cwd[0] == '/' ? cfg->cwd : "/");
	g.hostname = kstrdup(cfg->hostname ? cfg->hostname : "realmbox");
	if (!g.cfg.args || !g.cfg.env || !g.cfg.cwd || !g.hostname)
		return -ENOMEM;
	if (cfg->n_rlimits > 16)
		g.cfg.n_rlimits = 16;
	if (cfg->n_groups > 32)
		g.cfg.n_groups = 32;
	g.next_pid = 1;
	g.boot_ns = now_ns(PAL_CLOCK_MONOTONIC);
	vfs_reset();
	futex_reset();
	return 0;
}

void libos_fini(void)
{
	/*
	 * All memory is the region handed over at init: the deployment frees
	 * it whole. What is left readable is the instance's statistics.
	 */
	if (libos_cur == &idle_instance)
		return;
	g.live = false;
	memset(&idle_instance, 0, sizeof(idle_instance));
	idle_instance.stats = g.stats;
	idle_instance.container_done = true;
	libos_cur = &idle_instance;
}

int libos_kill(int pid, int sig)
{
	if (sig < 0 || sig > NSIG_)
		return -EINVAL;
	PAL(lock);
	struct process *p = g.container_done ? NULL : proc_find(pid);
	int r = !p ? -ESRCH : sig_init_protected(p, sig, true) ? 0 : sig_send(p, sig);
	PAL(unlock);
	return r;
}

void libos_external_event(void)
{
	PAL(lock);
	ev_notify();
	PAL(unlock);
}

int libos_ps(struct libos_proc_info *out, int max)
{
	int n = 0, last = 0;

	if (max < 0)
		max = 0;
	PAL(lock);
	if (g.container_done) {
		PAL(unlock);
		return 0;
	}
	/* g.all is newest first: pick the next pid up each round (a few dozen at most) */
	for (;;) {
		struct process *best = NULL;
		for (struct process *p = g.all; p; p = p->next_all)
			if (p->pid > last && (!best || p->pid < best->pid))
				best = p;
		if (!best)
			break;
		if (n < max) {
			struct libos_proc_info *o = &out[n];
			o->pid = best->pid;
			o->ppid = best->parent ? best->parent->pid : 0;
			o->state = best->state == P_ZOMBIE ? 'Z' : 'R';
			kstrlcpy(o->comm, best->comm, sizeof(o->comm));
		}
		n++;
		last = best->pid;
	}
	PAL(unlock);
	return n;
}

void libos_get_stats(struct libos_stats *st)
{
	*st = g.stats;
}

int libos_stats_now(struct libos_stats *st)
{
	PAL(lock);
	if (g.container_done || !proc_find(1)) {
		PAL(unlock);
		return -ESRCH;
	}
	*st = g.stats;
	st->mem_pages = res_mem_pages();
	st->pids_current = res_pids_current();
	PAL(unlock);
	return 0;
}

/*
 * A new process with no parent inside the container (init, or one the
 * runtime asks for: libos_spawn), its fds 0-2 the console streams
 * console_base + 0..2, running args with env in cwd. Lock held. Returns the
 * process, or NULL with *err and errbuf set.
 */
static struct process *proc_launch(char *const *args, char *const *env, const char *cwd,
				   int console_base, bool terminal, char *errbuf, size_t errlen,
				   int *err)
{
	struct process *p = proc_new(NULL);
	int r = -ENOMEM;
	if (!p)
		goto fail;
	p->fds = fdt_new();
	p->cwd = kstrdup(cwd && cwd[0] == '/' ? cwd : "/");
	if (!p->fds || !p->cwd)
		goto fail;
	/* a terminal is /dev/pts/n for streams 3n..3n+2 (init's, 0-2: /dev/pts/0) */
	char ttyname[16];
	ksnprintf(ttyname, sizeof(ttyname), "/dev/pts/%d", console_base / 3);
	p->ctty = terminal ? console_base / 3 + 1 : 0;
	if (terminal)
		tty_session_start(console_base / 3, p->sid);
	for (int i = 0; i < 3; i++) {
		struct file *f = file_new(FT_CONSOLE, i == 0 ? O_RDONLY : O_WRONLY,
					  terminal ? ttyname : "pipe:[console]");
		if (!f)
			goto fail;
		f->console_fd = console_base + i;
		fd_install(p, f, i, false);
	}
	p->mm = mm_new();
	if (!p->mm)
		goto fail;
	int argc = 0, envc = 0;
	while (args[argc])
		argc++;
	while (env[envc])
		envc++;
	if (argc == 0) {
		r = -EINVAL;
		ksnprintf(errbuf, errlen, "no process arguments");
		goto fail;
	}
	struct task *t = p->task;
	/* like runc: a program name without '/' is looked up in the container's PATH */
	const char *prog = args[0];
	char *found = NULL;
	if (!kstrchr(prog, '/')) {
		const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
		for (int i = 0; i < envc; i++)
			if (kstarts_with(env[i], "PATH="))
				path = env[i] + 5;
		found = kmalloc(PATH_MAX_);
		if (!found)
			goto fail;
		while (*path) {
			const char *e = kstrchr(path, ':');
			size_t l = e ? (size_t)(e - path) : strlen(path);
			if (l + strlen(prog) + 2 > PATH_MAX_)
				break;
			memcpy(found, path, l);
			found[l] = '/';
			kstrlcpy(found + l + 1, prog, PATH_MAX_ - l - 1);
			char *canon;
			struct node nd;
			if (l && vfs_resolve(t, AT_FDCWD, found, LK_FOLLOW, &canon, &nd) == 0) {
				kfree(canon);
				if (S_ISREG(nd.mode) && (nd.mode & 0111)) {
					prog = found;
					break;
				}
			}
			path = e ? e + 1 : path + l;
		}
	}
	r = do_execve(t, prog, (char **)args, argc, (char **)env, envc);
	kfree(found);
	if (r) {
		if (r == -ENOENT && !kstrchr(args[0], '/'))
			ksnprintf(errbuf, errlen, "exec: \"%s\": executable file not found in $PATH",
				  args[0]);
		else if (r == -ENOENT || r == -ENOTDIR)
			ksnprintf(errbuf, errlen, "cannot execute %s: no such file or directory",
				  args[0]);
		else if (r == -EACCES)
			ksnprintf(errbuf, errlen, "cannot execute %s: permission denied", args[0]);
		else
			ksnprintf(errbuf, errlen, "cannot execute %s: error %d", args[0], -r);
		goto fail;
	}
	r = task_start(p, &t->regs, NULL);
	if (r) {
		ksnprintf(errbuf, errlen, "cannot create the task: error %d", -r);
		goto fail;
	}
	return p;
fail:
	if (errbuf && errlen && !errbuf[0])
		ksnprintf(errbuf, errlen, "cannot start the process: error %d", -r);
	if (p && p->mm) {
		/* the deployment's address space goes now; the rest with the library OS heap */
		mm_put(p->mm);
		p->mm = NULL;
	}
	*err = r < 0 ? r : -EINVAL;
	return p ? p : NULL;
}

int libos_start(char *errbuf, size_t errlen)
{
	int r = 0;

	PAL(lock);
	struct process *p = proc_launch(g.cfg.args, g.cfg.env, g.cfg.cwd, 0, g.cfg.terminal,
					errbuf, errlen, &r);
	PAL(unlock);
	return p && r == 0 ? 0 : (r ? r : -ENOMEM);
}

int libos_spawn(const struct libos_spawn_req *req, char *errbuf, size_t errlen)
{
	int r = 0, slot = -1;

	if (errbuf && errlen)
		errbuf[0] = 0;
	if (!req || !req->args || !req->args[0] || !req->env || req->console_base < 3 ||
	    req->console_base > LIBOS_CONSOLE_MAX - 3)
		return -EINVAL;
	PAL(lock);
	if (g.container_done || !proc_find(1)) {
		PAL(unlock);
		ksnprintf(errbuf, errlen, "the container is not running");
		return -ESRCH;
	}
	for (int i = 0; i < LIBOS_SPAWN_MAX; i++)
		if (!g.spawned[i].pid) {
			slot = i;
			break;
		}
	if (slot < 0) {
		PAL(unlock);
		ksnprintf(errbuf, errlen, "too many processes started from outside (%d)",
			  LIBOS_SPAWN_MAX);
		return -EAGAIN;
	}
	if (res_pids_charge()) {
		PAL(unlock);
		ksnprintf(errbuf, errlen, "the container's pids limit (%lu) is reached",
			  (unsigned long)g.cfg.pids_limit);
		return -EAGAIN;
	}
	struct process *p = proc_launch(req->args, req->env, req->cwd, req->console_base,
					req->terminal, errbuf, errlen, &r);
	if (p && r == 0) {
		/* the runtime's own process: as runc exec's, its parent is outside (ppid 0) */
		p->uid = p->euid = req->uid;
		p->gid = p->egid = req->gid;
		p->spawned = true;
		g.spawned[slot].pid = p->pid;
		g.spawned[slot].done = false;
		g.spawned[slot].pts = req->terminal ? req->console_base / 3 : 0;
		if (req->terminal && (req->rows || req->cols))
			tty_set_size(req->console_base / 3, req->rows, req->cols);
		r = p->pid;
	} else if (p) {
		if (p->fds) {
			fdt_free(p->fds);
			p->fds = NULL;
		}
		proc_reap(p);
	}
	PAL(unlock);
	return r;
}

int libos_spawn_status(int pid, int *status)
{
	int r = -ESRCH;

	PAL(lock);
	for (int i = 0; i < LIBOS_SPAWN_MAX; i++) {
		if (g.spawned[i].pid != pid || pid <= 0)
			continue;
		if (g.spawned[i].done) {
			*status = g.spawned[i].status;
			g.spawned[i].pid = 0; /* reported once */
			r = 0;
		} else {
			r = g.container_done ? -ESRCH : -EAGAIN;
		}
		break;
	}
	PAL(unlock);
	return r;
}

static void fault_signal(struct task *t, int sig, int code, uint64_t addr)
{
	sig_force_info(t, sig, code, addr);
}

enum libos_action libos_handle_exception(void *task, const struct libos_exc *exc)
{
	struct task *t = task;
	PAL(lock);
	if (t->exited) {
		PAL(unlock);
		return LIBOS_EXITED;
	}
	PAL(get_regs, t->pt, &t->regs);
	cpu_enter(t);
	t->in_kernel = true;
	timer_check(t->proc);
	switch (exc->kind) {
	case LIBOS_EXC_SVC: {
		uint64_t a[6];
		for (int i = 0; i < 6; i++)
			a[i] = t->regs.x[i];
		t->orig_x0 = a[0];
		unsigned nr = (unsigned)t->regs.x[8];
		int64_t ret = syscall_dispatch(t, nr, a);
		if (t->exited)
			break;
		if (ret != SYS_NORETURN)
			t->regs.x[0] = (uint64_t)ret;
		if (nr == SYS_NR_RT_SIGRETURN && g.pal.sigreturn_defers_signals) {
			/* the next frame goes below the restored sp: at the next entry */
			if (sig_pending(t))
				PAL(task_kick, t->pt);
		} else {
			sig_deliver(t, ret != SYS_NORETURN, &ret);
		}
		break;
	}
	case LIBOS_EXC_DABT:
	case LIBOS_EXC_IABT: {
		unsigned access = exc->kind == LIBOS_EXC_IABT ? PROT_EXEC :
				  (exc->esr & (1u << 6)) ? PROT_WRITE : PROT_READ;
		int fr = mm_fault(t->proc->mm, exc->far, access);
		if (fr == -EIO) {
			fault_signal(t, SIGBUS, 2 /* BUS_ADRERR */, exc->far);
		} else if (fr == -ENOMEM && res_oom_killed()) {
			/* the memory limit: SIGKILL is pending for the whole container */
		} else if (fr == -ENOMEM) {
			/* the deployment has no page left: Linux's OOM killer, not a segfault */
			res_oom_out_of_memory(t->proc);
		} else if (fr != 0) {
			lo_log(LOG_INFO, "pid %d: segfault at %#lx pc %#lx (%s)", t->proc->pid,
			       (unsigned long)exc->far, (unsigned long)t->regs.pc,
			       access == PROT_WRITE ? "write" : access == PROT_EXEC ? "exec" : "read");
			/* SEGV_MAPERR (1) where nothing is mapped, SEGV_ACCERR (2) where prot refuses */
			fault_signal(t, SIGSEGV, vma_find(t->proc->mm, exc->far) ? 2 : 1, exc->far);
		}
		sig_deliver(t, false, NULL);
		break;
	}
	case LIBOS_EXC_UNDEF:
		lo_log(LOG_INFO, "pid %d: undefined instruction at %#lx", t->proc->pid,
		       (unsigned long)t->regs.pc);
		fault_signal(t, SIGILL, 1, t->regs.pc);
		sig_deliver(t, false, NULL);
		break;
	case LIBOS_EXC_BRK:
		fault_signal(t, SIGTRAP, 1, t->regs.pc);
		sig_deliver(t, false, NULL);
		break;
	case LIBOS_EXC_PC_ALIGN:
		fault_signal(t, SIGBUS, 1, t->regs.pc);
		sig_deliver(t, false, NULL);
		break;
	case LIBOS_EXC_IRQ:
	default:
		sig_deliver(t, false, NULL);
		break;
	}
	if (t->exited) {
		PAL(unlock);
		return LIBOS_EXITED;
	}
	t->in_kernel = false;
	PAL(set_regs, t->pt, &t->regs);
	cpu_leave(t);
	PAL(unlock);
	return LIBOS_RESUME;
}
