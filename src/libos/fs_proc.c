/*
 * /proc as programs read it: self and thread-self, per process (exe, cwd,
 * fd/, maps, status, stat, statm, cmdline, comm, mounts, mountinfo,
 * cgroup), the system files (cpuinfo, meminfo, stat, uptime, loadavg,
 * mounts, version, filesystems) and a read-only /proc/sys (kernel hostname,
 * osrelease, ostype, pid_max, random/boot_id and uuid; vm, net.core, fs
 * limits). /sys lives in fs_sys.c and reaches its files through the
 * same node kind (items from SYSFS_ITEM_BASE on).
 *
 * The container sees one CPU (sched_getaffinity's mask, /sys's online
 * list); memory figures are the library OS's page allocator (as sysinfo);
 * CPU times are timer.c's measure; the load average is not measured (0).
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
	PI_STATM,
	PI_CMDLINE,
	PI_COMM,
	PI_PMOUNTS,
	PI_MOUNTINFO,
	PI_CGROUP,
	/* system files and /proc/sys */
	PI_DIR, /* a directory of the static table */
	PI_MEMINFO,
	PI_UPTIME,
	PI_MOUNTS,
	PI_CPUINFO,
	PI_LOADAVG,
	PI_SYSSTAT,
	PI_VERSION,
	PI_FILESYSTEMS,
	PI_HOSTNAME,
	PI_OSRELEASE,
	PI_OSTYPE,
	PI_PIDMAX,
	PI_BOOTID,
	PI_UUID,
	PI_OVERCOMMIT,
	PI_MAPCOUNT,
	PI_SOMAXCONN,
	PI_NROPEN,
	PI_FILEMAX,
	PI_NGROUPS,
	PI_CAPLAST,
};

#define OSRELEASE "6.1.0-realmbox"
#define PID_MAX 4194304

static const struct {
	const char *name;
	int item;
	uint32_t mode;
} pid_items[] = {
	{ "exe", PI_EXE, S_IFLNK | 0777 },	    { "cwd", PI_CWD, S_IFLNK | 0777 },
	{ "fd", PI_FDDIR, S_IFDIR | 0500 },	    { "maps", PI_MAPS, S_IFREG | 0444 },
	{ "status", PI_STATUS, S_IFREG | 0444 },    { "stat", PI_STAT, S_IFREG | 0444 },
	{ "statm", PI_STATM, S_IFREG | 0444 },	    { "cmdline", PI_CMDLINE, S_IFREG | 0444 },
	{ "comm", PI_COMM, S_IFREG | 0444 },	    { "mounts", PI_PMOUNTS, S_IFREG | 0444 },
	{ "mountinfo", PI_MOUNTINFO, S_IFREG | 0444 }, { "cgroup", PI_CGROUP, S_IFREG | 0444 },
};

/* Everything under /proc that is not per process: path relative to /proc. */
static const struct {
	const char *path;
	int item;
	uint32_t mode;
} statics[] = {
	{ "meminfo", PI_MEMINFO, S_IFREG | 0444 },
	{ "uptime", PI_UPTIME, S_IFREG | 0444 },
	{ "mounts", PI_MOUNTS, S_IFREG | 0444 },
	{ "cpuinfo", PI_CPUINFO, S_IFREG | 0444 },
	{ "loadavg", PI_LOADAVG, S_IFREG | 0444 },
	{ "stat", PI_SYSSTAT, S_IFREG | 0444 },
	{ "version", PI_VERSION, S_IFREG | 0444 },
	{ "filesystems", PI_FILESYSTEMS, S_IFREG | 0444 },
	{ "sys", PI_DIR, S_IFDIR | 0555 },
	{ "sys/kernel", PI_DIR, S_IFDIR | 0555 },
	{ "sys/kernel/hostname", PI_HOSTNAME, S_IFREG | 0644 },
	{ "sys/kernel/osrelease", PI_OSRELEASE, S_IFREG | 0444 },
	{ "sys/kernel/ostype", PI_OSTYPE, S_IFREG | 0444 },
	{ "sys/kernel/pid_max", PI_PIDMAX, S_IFREG | 0644 },
	{ "sys/kernel/ngroups_max", PI_NGROUPS, S_IFREG | 0444 },
	{ "sys/kernel/cap_last_cap", PI_CAPLAST, S_IFREG | 0444 },
	{ "sys/kernel/random", PI_DIR, S_IFDIR | 0555 },
	{ "sys/kernel/random/boot_id", PI_BOOTID, S_IFREG | 0444 },
	{ "sys/kernel/random/uuid", PI_UUID, S_IFREG | 0444 },
	{ "sys/vm", PI_DIR, S_IFDIR | 0555 },
	{ "sys/vm/overcommit_memory", PI_OVERCOMMIT, S_IFREG | 0644 },
	{ "sys/vm/max_map_count", PI_MAPCOUNT, S_IFREG | 0644 },
	{ "sys/net", PI_DIR, S_IFDIR | 0555 },
	{ "sys/net/core", PI_DIR, S_IFDIR | 0555 },
	{ "sys/net/core/somaxconn", PI_SOMAXCONN, S_IFREG | 0644 },
	{ "sys/fs", PI_DIR, S_IFDIR | 0555 },
	{ "sys/fs/nr_open", PI_NROPEN, S_IFREG | 0644 },
	{ "sys/fs/file-max", PI_FILEMAX, S_IFREG | 0644 },
};

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
	for (size_t i = 0; i < KARRAY_SIZE(statics); i++) {
		if (kstrcmp(p, statics[i].path) == 0) {
			nd->proc_item = statics[i].item;
			nd->mode = statics[i].mode;
			return 0;
		}
	}
	bool self = kstarts_with(p, "self") && (p[4] == 0 || p[4] == '/');
	bool tself = kstarts_with(p, "thread-self") && (p[11] == 0 || p[11] == '/');
	if ((self && !p[4]) || (tself && !p[11])) {
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
			if (fd < 0 || *e2 || !pr->fds || !fd_get(pr, fd))
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
	struct process *pr = nd->proc_pid > 0 ? proc_find(nd->proc_pid) : nd->fdproc;
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
		if (!pr || !pr->cwd)
			return -ENOENT;
		kstrlcpy(tmp, pr->cwd, sizeof(tmp));
		break;
	case PI_FD: {
		struct file *f = pr && pr->fds ? fd_get(pr, nd->fd) : NULL;
		if (!f)
			return -ENOENT;
		if (f->type == FT_PIPE)
			ksnprintf(tmp, sizeof(tmp), "pipe:[%lu]",
				  (unsigned long)((uintptr_t)f->pipe >> 4 & 0xffffff));
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

/* Children of the static-table directory rel ("" for /proc itself). */
static void list_statics(const char *rel, void (*fn)(void *arg, const char *name, uint32_t mode),
			 void *arg)
{
	size_t l = strlen(rel);
	for (size_t i = 0; i < KARRAY_SIZE(statics); i++) {
		const char *pth = statics[i].path;
		if (l) {
			if (kstrncmp(pth, rel, l) != 0 || pth[l] != '/')
				continue;
			pth += l + 1;
		}
		if (!kstrchr(pth, '/'))
			fn(arg, pth, statics[i].mode);
	}
}

int proc_list(const char *canon, const struct node *nd,
	      void (*fn)(void *arg, const char *name, uint32_t mode), void *arg)
{
	char nm[16];
	if (nd->proc_item >= SYSFS_ITEM_BASE)
		return sysfs_list(canon, fn, arg);
	if (nd->proc_item == PI_ROOT) {
		fn(arg, "self", S_IFLNK);
		fn(arg, "thread-self", S_IFLNK);
		list_statics("", fn, arg);
		for (struct process *p = g.all; p; p = p->next_all) {
			if (p->state == P_ZOMBIE)
				continue;
			ksnprintf(nm, sizeof(nm), "%d", p->pid);
			fn(arg, nm, S_IFDIR);
		}
		return 0;
	}
	if (nd->proc_item == PI_DIR) {
		list_statics(canon + 6, fn, arg);
		return 0;
	}
	if (nd->proc_item == PI_PIDDIR) {
		for (size_t i = 0; i < KARRAY_SIZE(pid_items); i++)
			fn(arg, pid_items[i].name, pid_items[i].mode);
		return 0;
	}
	if (nd->proc_item == PI_FDDIR) {
		struct process *pr = proc_find(nd->proc_pid);
		for (int i = 0; pr && pr->fds && i < MAX_FDS; i++) {
			if (pr->fds->f[i]) {
				ksnprintf(nm, sizeof(nm), "%d", i);
				fn(arg, nm, S_IFLNK);
			}
		}
		return 0;
	}
	return -ENOTDIR;
}

void sb_printf(struct sbuf *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = kvsnprintf(s->b + s->len, s->cap - s->len, fmt, ap);
	va_end(ap);
	s->len = KMIN(s->len + (size_t)n, s->cap - 1);
}

/* ---- generated contents ---- */

/* Names of the AT_HWCAP and AT_HWCAP2 bits, as arm64 Linux prints them in /proc/cpuinfo. */
static const char *const hwcap_names[] = {
	"fp",	 "asimd", "evtstrm", "aes",	"pmull", "sha1",    "sha2",   "crc32",
	"atomics", "fphp", "asimdhp", "cpuid",	"asimdrdm", "jscvt", "fcma",   "lrcpc",
	"dcpop", "sha3", "sm3",	   "sm4",	"asimddp", "sha512", "sve",    "asimdfhm",
	"dit",	 "uscat", "ilrcpc", "flagm",	"ssbs",	 "sb",	    "paca",   "pacg",
};
static const char *const hwcap2_names[] = {
	"dcpodp", "sve2", "sveaes", "svepmull", "svebitperm", "svesha3", "svesm4", "flagm2",
	"frint",  "svei8mm", "svef32mm", "svef64mm", "svebf16", "i8mm", "bf16", "dgh",
	"rng",	  "bti",
};

static void gen_cpuinfo(struct sbuf *s)
{
	sb_printf(s, "processor\t: 0\nBogoMIPS\t: 50.00\nFeatures\t:");
	for (unsigned i = 0; i < KARRAY_SIZE(hwcap_names); i++)
		if (g.pal.hwcap & (1ULL << i))
			sb_printf(s, " %s", hwcap_names[i]);
	for (unsigned i = 0; i < KARRAY_SIZE(hwcap2_names); i++)
		if (g.pal.hwcap2 & (1ULL << i))
			sb_printf(s, " %s", hwcap2_names[i]);
	/* the emulated CPU presents itself as an Arm Neoverse N1 */
	sb_printf(s, "\nCPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x3\n"
		     "CPU part\t: 0xd0c\nCPU revision\t: 1\n\n");
}

static void gen_meminfo(struct sbuf *s)
{
	struct kmem_stats ks;
	kmem_stats(&ks);
	unsigned long total = (unsigned long)ks.total_pages * 4, freek = (unsigned long)ks.free_pages * 4;
	unsigned long used = total - freek;
	sb_printf(s, "MemTotal:       %8lu kB\nMemFree:        %8lu kB\nMemAvailable:   %8lu kB\n"
		     "Buffers:        %8lu kB\nCached:         %8lu kB\nSwapCached:     %8lu kB\n",
		  total, freek, freek, 0UL, 0UL, 0UL);
	sb_printf(s,
		  "Active:         %8lu kB\nInactive:       %8lu kB\nSwapTotal:      %8lu kB\n"
		  "SwapFree:       %8lu kB\nDirty:          %8lu kB\nAnonPages:      %8lu kB\n"
		  "Mapped:         %8lu kB\nShmem:          %8lu kB\nSlab:           %8lu kB\n"
		  "SReclaimable:   %8lu kB\nSUnreclaim:     %8lu kB\nPageTables:     %8lu kB\n"
		  "CommitLimit:    %8lu kB\nCommitted_AS:   %8lu kB\n"
		  "HugePages_Total:   %5lu\nHugePages_Free:    %5lu\nHugepagesize:   %8lu kB\n",
		  used, 0UL, 0UL, 0UL, 0UL, used, 0UL, 0UL, 0UL, 0UL, 0UL, 0UL, total, used, 0UL,
		  0UL, 2048UL);
}

static void gen_mounts(struct sbuf *s)
{
	sb_printf(s,
		  "overlay / overlay %s,relatime 0 0\n"
		  "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n"
		  "tmpfs /dev tmpfs rw,nosuid,size=65536k,mode=755 0 0\n"
		  "sysfs /sys sysfs ro,nosuid,nodev,noexec,relatime 0 0\n",
		  g.cfg.rootfs_readonly ? "ro" : "rw");
}

static void gen_mountinfo(struct sbuf *s)
{
	sb_printf(s,
		  "21 1 0:21 / / %s,relatime - overlay overlay %s\n"
		  "22 21 0:4 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw\n"
		  "23 21 0:5 / /dev rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755\n"
		  "24 21 0:22 / /sys ro,nosuid,nodev,noexec,relatime - sysfs sysfs ro\n",
		  g.cfg.rootfs_readonly ? "ro" : "rw", g.cfg.rootfs_readonly ? "ro" : "rw");
}

/* Virtual size and resident pages (mapped now) of an address space. */
static void mm_sizes(struct mm *mm, uint64_t *vsize, uint64_t *rss, uint64_t *stack,
		     uint64_t *data)
{
	*vsize = *rss = *stack = *data = 0;
	if (!mm)
		return;
	uint64_t scanned = 0;
	for (struct vma *v = mm->vmas; v; v = v->next) {
		uint64_t len = v->end - v->start;
		*vsize += len;
		if (v->flags & VMA_STACK)
			*stack += len;
		else if ((v->prot & PROT_WRITE) && !(v->flags & VMA_FILE))
			*data += len;
		/* resident pages: asked of the deployment, for the first 64 MiB of mappings */
		for (uint64_t a = v->start; a < v->end && scanned < 16384; a += PAGE_SIZE, scanned++) {
			unsigned pr;
			if (PAL(mem_query, mm->as, a, &pr) == 0)
				*rss += PAGE_SIZE;
		}
	}
}

static char state_of(struct task *t, struct process *pr)
{
	if (pr->state == P_ZOMBIE)
		return 'Z';
	return pr == t->proc ? 'R' : 'S';
}

static void gen_status(struct task *t, struct process *pr, struct sbuf *s)
{
	uint64_t vsize, rss, stack, data;
	mm_sizes(pr->mm, &vsize, &rss, &stack, &data);
	char st = state_of(t, pr);
	uint64_t ign = 0, cgt = 0, pnd = 0;
	for (int i = 1; i <= NSIG_; i++) {
		if (pr->sa[i].handler == SIG_IGN_)
			ign |= SIGBIT(i);
		else if (pr->sa[i].handler != SIG_DFL_)
			cgt |= SIGBIT(i);
	}
	for (struct task *u = pr->threads; u; u = u->next_thread)
		if (!u->exited)
			pnd |= u->pending;
	sb_printf(s,
		  "Name:\t%s\nUmask:\t%04o\nState:\t%c (%s)\nTgid:\t%d\nNgid:\t0\n"
		  "Pid:\t%d\nPPid:\t%d\nTracerPid:\t0\nUid:\t%u\t%u\t%u\t%u\n"
		  "Gid:\t%u\t%u\t%u\t%u\nFDSize:\t%d\nGroups:\t",
		  pr->comm, pr->umask, st, st == 'R' ? "running" : "sleeping", pr->pid, pr->pid,
		  pr->parent ? pr->parent->pid : 0, pr->uid, pr->euid, pr->euid, pr->euid, pr->gid,
		  pr->egid, pr->egid, pr->egid, MAX_FDS);
	for (unsigned i = 0; i < pr->ngroups; i++)
		sb_printf(s, "%u ", pr->groups[i]);
	sb_printf(s,
		  "\nVmPeak:\t%8lu kB\nVmSize:\t%8lu kB\nVmLck:\t%8lu kB\nVmHWM:\t%8lu kB\n"
		  "VmRSS:\t%8lu kB\nVmData:\t%8lu kB\nVmStk:\t%8lu kB\nThreads:\t%d\n"
		  "SigQ:\t0/%d\nSigPnd:\t%016lx\nShdPnd:\t%016lx\nSigBlk:\t%016lx\n"
		  "SigIgn:\t%016lx\nSigCgt:\t%016lx\nCapInh:\t0000000000000000\n"
		  "CapPrm:\t%016lx\nCapEff:\t%016lx\nCapBnd:\t000001ffffffffff\n"
		  "NoNewPrivs:\t0\nSeccomp:\t0\nCpus_allowed:\t1\nCpus_allowed_list:\t0\n"
		  "voluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n",
		  (unsigned long)(vsize >> 10), (unsigned long)(vsize >> 10), 0UL,
		  (unsigned long)(rss >> 10), (unsigned long)(rss >> 10), (unsigned long)(data >> 10),
		  (unsigned long)(stack >> 10), pr->nthreads, NSIG_, (unsigned long)pnd, 0UL,
		  (unsigned long)pr->task->sigmask, (unsigned long)ign, (unsigned long)cgt,
		  pr->euid == 0 ? 0x1ffffffffffUL : 0UL, pr->euid == 0 ? 0x1ffffffffffUL : 0UL);
}

static void gen_stat(struct task *t, struct process *pr, struct sbuf *s)
{
	uint64_t vsize, rss, stack, data, u, sy;
	mm_sizes(pr->mm, &vsize, &rss, &stack, &data);
	cpu_times(pr, NULL, &u, &sy);
	struct mm *mm = pr->mm;
	sb_printf(s,
		  "%d (%s) %c %d %d %d 0 -1 4194304 0 0 0 0 %lu %lu %lu %lu 20 0 %d 0 %lu %lu %lu "
		  /* ... startstack, blocked, exit_signal, start_data, end_data, start_brk ... */
		  "18446744073709551615 0 0 %lu 0 0 0 %lu 0 0 0 0 0 17 0 0 0 0 0 0 %lu %lu %lu 0 0 "
		  "0 0 0\n",
		  pr->pid, pr->comm, state_of(t, pr), pr->parent ? pr->parent->pid : 0, pr->pgid,
		  pr->sid, (unsigned long)(u / 10000000ULL), (unsigned long)(sy / 10000000ULL),
		  (unsigned long)(pr->cutime_ns / 10000000ULL),
		  (unsigned long)(pr->cstime_ns / 10000000ULL), pr->nthreads,
		  (unsigned long)((pr->start_ns - g.boot_ns) / 10000000ULL), (unsigned long)vsize,
		  (unsigned long)(rss / PAGE_SIZE), (unsigned long)(mm ? mm->stack_top : 0),
		  (unsigned long)pr->task->sigmask, 0UL, 0UL,
		  (unsigned long)(mm ? mm->brk_start : 0));
}

static void gen_sysstat(struct sbuf *s)
{
	uint64_t u, sy, up = now_ns(PAL_CLOCK_MONOTONIC) - g.boot_ns;
	cpu_system_times(&u, &sy);
	unsigned long tu = (unsigned long)(u / 10000000ULL), ts = (unsigned long)(sy / 10000000ULL);
	unsigned long tup = (unsigned long)(up / 10000000ULL);
	unsigned long idle = tup > tu + ts ? tup - tu - ts : 0;
	uint64_t boot_rt = (now_ns(PAL_CLOCK_REALTIME) - up) / 1000000000ULL;
	unsigned running = 0;
	for (struct process *p = g.all; p; p = p->next_all)
		if (p->state != P_ZOMBIE)
			running++;
	for (int c = 0; c < 2; c++)
		sb_printf(s, "%s %lu 0 %lu %lu 0 0 0 0 0 0\n", c ? "cpu0" : "cpu ", tu, ts, idle);
	sb_printf(s,
		  "intr 0\nctxt 0\nbtime %lu\nprocesses %lu\nprocs_running 1\nprocs_blocked 0\n"
		  "softirq 0 0 0 0 0 0 0 0 0 0 0\n",
		  (unsigned long)boot_rt, (unsigned long)g.stats.processes);
	(void)running;
}

static void gen_uptime(struct sbuf *s)
{
	uint64_t u, sy, up = now_ns(PAL_CLOCK_MONOTONIC) - g.boot_ns;
	cpu_system_times(&u, &sy);
	uint64_t idle = up > u + sy ? up - u - sy : 0;
	sb_printf(s, "%lu.%02lu %lu.%02lu\n", (unsigned long)(up / 1000000000ULL),
		  (unsigned long)(up / 10000000ULL % 100), (unsigned long)(idle / 1000000000ULL),
		  (unsigned long)(idle / 10000000ULL % 100));
}

static void gen_loadavg(struct sbuf *s)
{
	unsigned tasks = 0;
	for (struct process *p = g.all; p; p = p->next_all)
		if (p->state != P_ZOMBIE)
			tasks += (unsigned)p->nthreads;
	int last = g.next_pid - 1;
	sb_printf(s, "0.00 0.00 0.00 1/%u %d\n", tasks, last > 0 ? last : 1);
}

/* An RFC 4122 version-4 UUID from the deployment's randomness. */
static void gen_uuid(struct sbuf *s, uint8_t *b)
{
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	for (int i = 0; i < 16; i++)
		sb_printf(s, "%02x%s", b[i], (i == 3 || i == 5 || i == 7 || i == 9) ? "-" : "");
	sb_printf(s, "\n");
}

static int gen_static(int item, struct sbuf *s)
{
	uint8_t rnd[16];
	switch (item) {
	case PI_MEMINFO:
		gen_meminfo(s);
		break;
	case PI_UPTIME:
		gen_uptime(s);
		break;
	case PI_MOUNTS:
		gen_mounts(s);
		break;
	case PI_CPUINFO:
		gen_cpuinfo(s);
		break;
	case PI_LOADAVG:
		gen_loadavg(s);
		break;
	case PI_SYSSTAT:
		gen_sysstat(s);
		break;
	case PI_VERSION:
		sb_printf(s, "Linux version " OSRELEASE " (realmbox) #1 SMP PREEMPT_DYNAMIC realmbox\n");
		break;
	case PI_FILESYSTEMS:
		sb_printf(s, "nodev\tsysfs\nnodev\ttmpfs\nnodev\tproc\nnodev\toverlay\n");
		break;
	case PI_HOSTNAME:
		sb_printf(s, "%s\n", g.hostname);
		break;
	case PI_OSRELEASE:
		sb_printf(s, OSRELEASE "\n");
		break;
	case PI_OSTYPE:
		sb_printf(s, "Linux\n");
		break;
	case PI_PIDMAX:
		sb_printf(s, "%d\n", PID_MAX);
		break;
	case PI_NGROUPS:
		sb_printf(s, "65536\n");
		break;
	case PI_CAPLAST:
		sb_printf(s, "40\n");
		break;
	case PI_BOOTID:
		if (!g.boot_id_set) { /* one per instance */
			PAL(random, g.boot_id, sizeof(g.boot_id));
			g.boot_id_set = true;
		}
		memcpy(rnd, g.boot_id, sizeof(rnd));
		gen_uuid(s, rnd);
		break;
	case PI_UUID:
		PAL(random, rnd, sizeof(rnd));
		gen_uuid(s, rnd);
		break;
	case PI_OVERCOMMIT:
		sb_printf(s, "0\n");
		break;
	case PI_MAPCOUNT:
		sb_printf(s, "4096\n"); /* mm.c's MAX_VMAS */
		break;
	case PI_SOMAXCONN:
		sb_printf(s, "4096\n");
		break;
	case PI_NROPEN:
	case PI_FILEMAX:
		sb_printf(s, "%d\n", MAX_FDS);
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

struct fbuf *sb_to_fbuf(struct sbuf *s)
{
	struct fbuf *b = fbuf_new(s->len);
	if (b)
		memcpy(b->data, s->b, s->len);
	return b;
}

int proc_open(struct task *t, const struct node *nd, struct file **out)
{
	if (nd->proc_item >= SYSFS_ITEM_BASE)
		return sysfs_open(t, nd, out);
	struct process *pr = nd->proc_pid > 0 ? proc_find(nd->proc_pid) : t->proc;
	if (!pr || (nd->proc_pid > 0 && pr->state == P_ZOMBIE))
		return -ENOENT; /* gone since the lookup */
	struct fbuf *b = NULL;
	if (nd->proc_item == PI_MAPS) {
		if (!pr->mm)
			return -ENOENT;
		b = mm_maps_text(pr->mm);
	} else if (nd->proc_item == PI_CMDLINE) {
		b = fbuf_new(pr->cmdline_len);
		if (b && pr->cmdline_len)
			memcpy(b->data, pr->cmdline, pr->cmdline_len);
	} else {
		struct sbuf s = { kmalloc(8192), 0, 8192 };
		if (!s.b)
			return -ENOMEM;
		s.b[0] = 0;
		int r = 0;
		uint64_t vsize, rss, stack, data;
		switch (nd->proc_item) {
		case PI_STATUS:
			gen_status(t, pr, &s);
			break;
		case PI_STAT:
			gen_stat(t, pr, &s);
			break;
		case PI_STATM:
			mm_sizes(pr->mm, &vsize, &rss, &stack, &data);
			sb_printf(&s, "%lu %lu 0 0 0 %lu 0\n", (unsigned long)(vsize / PAGE_SIZE),
				  (unsigned long)(rss / PAGE_SIZE),
				  (unsigned long)((data + stack) / PAGE_SIZE));
			break;
		case PI_COMM:
			sb_printf(&s, "%s\n", pr->comm);
			break;
		case PI_PMOUNTS:
			gen_mounts(&s);
			break;
		case PI_MOUNTINFO:
			gen_mountinfo(&s);
			break;
		case PI_CGROUP:
			sb_printf(&s, "0::/\n");
			break;
		default:
			r = gen_static(nd->proc_item, &s);
			break;
		}
		if (r) {
			kfree(s.b);
			return r;
		}
		b = sb_to_fbuf(&s);
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
