/*
 * A minimal /proc: self (link to the caller's pid), and per process exe,
 * cwd, fd/ (links naming the open files), maps, status, stat, cmdline;
 * plus meminfo, cpuinfo-less basics: uptime, loadavg, mounts.
 */
#include "libos/kernel.h"

enum {
	PI_ROOT = 1,
	PI_SELF,
	PI_PIDDIR,
	PI_EXE,
	PI_CWD,
	PI_FDDIR,
	PI_FD,
	PI_MAPS,
	PI_STATUS,
	PI_STAT,
	PI_CMDLINE,
	PI_MEMINFO,
	PI_UPTIME,
	PI_MOUNTS,
	PI_COMM,
};

static const struct {
	const char *name;
	int item;
	uint32_t mode;
} pid_items[] = {
	{ "exe", PI_EXE, S_IFLNK | 0777 },	{ "cwd", PI_CWD, S_IFLNK | 0777 },
	{ "fd", PI_FDDIR, S_IFDIR | 0500 },	{ "maps", PI_MAPS, S_IFREG | 0444 },
	{ "status", PI_STATUS, S_IFREG | 0444 }, { "stat", PI_STAT, S_IFREG | 0444 },
	{ "cmdline", PI_CMDLINE, S_IFREG | 0444 }, { "comm", PI_COMM, S_IFREG | 0444 },
};

static const struct {
	const char *name;
	int item;
} top_files[] = { { "meminfo", PI_MEMINFO }, { "uptime", PI_UPTIME }, { "mounts", PI_MOUNTS } };

static int parse_int(const char *s, const char **end)
{
	int v = 0;
	if (*s < '0' || *s > '9')
		return -1;
	while (*s >= '0' && *s <= '9') {
		v = v * 10 + (*s - '0');
		if (v > 10000000)
			return -1;
		s++;
	}
	*end = s;
	return v;
}


int proc_lookup(const char *canon, struct node *nd)
{
	memset(nd, 0, sizeof(*nd));
	nd->kind = NK_PROC;
	nd->fd = -1;
	const char *p = canon + 5;
	if (!*p) {
		nd->proc_item = PI_ROOT;
		nd->mode = S_IFDIR | 0555;
		return 0;
	}
	p++;
	for (size_t i = 0; i < KARRAY_SIZE(top_files); i++) {
		if (kstrcmp(p, top_files[i].name) == 0) {
			nd->proc_item = top_files[i].item;
			nd->mode = S_IFREG | 0444;
			return 0;
		}
	}
	if (kstrcmp(p, "self") == 0 || kstrcmp(p, "thread-self") == 0) {
		nd->proc_item = PI_SELF;
		nd->mode = S_IFLNK | 0777;
		return 0;
	}
	const char *e;
	int pid = parse_int(p, &e);
	if (pid <= 0)
		return -ENOENT;
	struct process *pr = proc_find(pid);
	if (!pr || pr->state == P_ZOMBIE)
		return -ENOENT;
	nd->proc_pid = pid;
	if (!*e) {
		nd->proc_item = PI_PIDDIR;
		nd->mode = S_IFDIR | 0555;
		return 0;
	}
	if (*e != '/')
		return -ENOENT;
	e++;
	for (size_t i = 0; i < KARRAY_SIZE(pid_items); i++) {
		size_t l = strlen(pid_items[i].name);
		if (kstrncmp(e, pid_items[i].name, l) == 0 && (e[l] == 0 || e[l] == '/')) {
			nd->proc_item = pid_items[i].item;
			nd->mode = pid_items[i].mode;
			if (e[l] == 0)
				return 0;
			if (pid_items[i].item != PI_FDDIR)
				return -ENOTDIR;
			const char *e2;
			int fd = parse_int(e + l + 1, &e2);
			if (fd < 0 || *e2 || !fd_get(pr, fd))
				return -ENOENT;
			nd->proc_item = PI_FD;
			nd->fd = fd;
			nd->fdproc = pr;
			nd->mode = S_IFLNK | 0700;
			return 0;
		}
	}
	return -ENOENT;
}

long proc_readlink(struct task *t, const struct node *nd, char *buf, size_t len)
{
	char tmp[PATH_MAX_];
	struct process *pr = nd->proc_pid ? proc_find(nd->proc_pid) : nd->fdproc;
	switch (nd->proc_item) {
	case PI_SELF:
		ksnprintf(tmp, sizeof(tmp), "%d", t->proc->pid);
		break;
	case PI_EXE:
		if (!pr || !pr->exe)
			return -ENOENT;
		kstrlcpy(tmp, pr->exe, sizeof(tmp));
		break;
	case PI_CWD:
		if (!pr)
			return -ENOENT;
		kstrlcpy(tmp, pr->cwd, sizeof(tmp));
		break;
	case PI_FD: {
		struct file *f = pr ? fd_get(pr, nd->fd) : NULL;
		if (!f)
			return -ENOENT;
		if (f->type == FT_PIPE)
			ksnprintf(tmp, sizeof(tmp), "pipe:[%lu]",
				  (unsigned long)((uintptr_t)f->pipe >> 4 & 0xffffff));
		else if (f->type == FT_CONSOLE)
			ksnprintf(tmp, sizeof(tmp), "/dev/pts/0");
		else
			kstrlcpy(tmp, f->path ? f->path : "?", sizeof(tmp));
		break;
	}
	default:
		return -EINVAL;
	}
	size_t l = kstrlcpy(buf, tmp, len);
	return l >= len ? (long)len - 1 : (long)l;
}

int proc_list(const char *canon, const struct node *nd,
	      void (*fn)(void *arg, const char *name, uint32_t mode), void *arg)
{
	char nm[16];
	if (nd->proc_item == PI_ROOT) {
		fn(arg, "self", S_IFLNK);
		for (size_t i = 0; i < KARRAY_SIZE(top_files); i++)
			fn(arg, top_files[i].name, S_IFREG);
		for (struct process *p = g.all; p; p = p->next_all) {
			if (p->state == P_ZOMBIE)
				continue;
			ksnprintf(nm, sizeof(nm), "%d", p->pid);
			fn(arg, nm, S_IFDIR);
		}
		return 0;
	}
	if (nd->proc_item == PI_PIDDIR) {
		for (size_t i = 0; i < KARRAY_SIZE(pid_items); i++)
			fn(arg, pid_items[i].name, pid_items[i].mode);
		return 0;
	}
	if (nd->proc_item == PI_FDDIR) {
		struct process *pr = proc_find(nd->proc_pid);
		for (int i = 0; pr && i < MAX_FDS; i++) {
			if (pr->fds->f[i]) {
				ksnprintf(nm, sizeof(nm), "%d", i);
				fn(arg, nm, S_IFLNK);
			}
		}
		return 0;
	}
	return -ENOTDIR;
}

struct sbuf {
	char *b;
	size_t len, cap;
};

static void sb_printf(struct sbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = kvsnprintf(s->b + s->len, s->cap - s->len, fmt, ap);
	va_end(ap);
	s->len = KMIN(s->len + (size_t)n, s->cap - 1);
}

int proc_open(struct task *t, const struct node *nd, struct file **out)
{
	struct process *pr = nd->proc_pid ? proc_find(nd->proc_pid) : t->proc;
	struct fbuf *b = NULL;
	if (nd->proc_item == PI_MAPS) {
		b = mm_maps_text(pr->mm);
	} else if (nd->proc_item == PI_CMDLINE) {
		b = fbuf_new(pr->cmdline_len);
		if (b && pr->cmdline_len)
			memcpy(b->data, pr->cmdline, pr->cmdline_len);
	} else {
		struct sbuf s = { kmalloc(4096), 0, 4096 };
		if (!s.b)
			return -ENOMEM;
		s.b[0] = 0;
		uint64_t up = now_ns(PAL_CLOCK_MONOTONIC) - g.boot_ns;
		struct kmem_stats ks;
		switch (nd->proc_item) {
		case PI_STATUS:
			sb_printf(&s,
				  "Name:\t%s\nUmask:\t%04o\nState:\tR (running)\nTgid:\t%d\nNgid:\t0\n"
				  "Pid:\t%d\nPPid:\t%d\nTracerPid:\t0\nUid:\t%u\t%u\t%u\t%u\n"
				  "Gid:\t%u\t%u\t%u\t%u\nFDSize:\t%d\nThreads:\t%d\n"
				  "SigBlk:\t%016lx\n",
				  pr->comm, pr->umask, pr->pid, pr->pid,
				  pr->parent ? pr->parent->pid : 0, pr->uid, pr->euid, pr->euid,
				  pr->euid, pr->gid, pr->egid, pr->egid, pr->egid, MAX_FDS, pr->nthreads,
				  (unsigned long)pr->task->sigmask);
			break;
		case PI_STAT:
			sb_printf(&s,
				  "%d (%s) R %d %d %d 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 1 0 %lu 0 0 "
				  "18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n",
				  pr->pid, pr->comm, pr->parent ? pr->parent->pid : 0, pr->pgid,
				  pr->sid, (unsigned long)((pr->start_ns - g.boot_ns) / 10000000ULL));
			break;
		case PI_COMM:
			sb_printf(&s, "%s\n", pr->comm);
			break;
		case PI_MEMINFO:
			kmem_stats(&ks);
			sb_printf(&s, "MemTotal:       %8lu kB\nMemFree:        %8lu kB\nMemAvailable:   %8lu kB\n",
				  (unsigned long)ks.total_pages * 4, (unsigned long)ks.free_pages * 4,
				  (unsigned long)ks.free_pages * 4);
			break;
		case PI_UPTIME:
			sb_printf(&s, "%lu.%02lu %lu.%02lu\n", (unsigned long)(up / 1000000000ULL),
				  (unsigned long)(up / 10000000ULL % 100),
				  (unsigned long)(up / 1000000000ULL),
				  (unsigned long)(up / 10000000ULL % 100));
			break;
		case PI_MOUNTS:
			sb_printf(&s, "rootfs / rootfs %s 0 0\nproc /proc proc rw 0 0\n",
				  g.cfg.rootfs_readonly ? "ro" : "rw");
			break;
		default:
			kfree(s.b);
			return -EINVAL;
		}
		b = fbuf_new(s.len);
		if (b)
			memcpy(b->data, s.b, s.len);
		kfree(s.b);
	}
	if (!b)
		return -ENOMEM;
	struct file *f = file_new(FT_PROC, O_RDONLY, "/proc");
	if (!f) {
		fbuf_put(b);
		return -ENOMEM;
	}
	f->buf = b;
	*out = f;
	return 0;
}
