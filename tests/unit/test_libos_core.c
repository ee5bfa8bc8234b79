/*
 * The library OS on a fake PAL (no CPU engine): path resolution in the
 * container view, the manifest check of host files (a changed file is EIO,
 * never its bytes), the ELF loader's refusals (ENOEXEC), the system-call
 * table's descriptors, hostile system-call arguments (bad pointers,
 * huge lengths, negative fds, unknown numbers), and two instances side by
 * side (libos_select).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/hash.h"
#include "libos/kernel.h"

/* host calls declared here: <fcntl.h> and <sys/stat.h> would clash with the
 * arm64 ABI constants of libos/kernel.h (the host's O_* differ) */
int open(const char *path, int flags, ...);
int mkdir(const char *path, unsigned mode);

/* ---- a fake PAL: address spaces are lists of malloc'ed pages ---- */

#define FAKE_PAGES 4096

struct fpage {
	uint64_t va;
	unsigned prot;
	uint8_t *mem;
};

struct pal_as {
	struct fpage p[FAKE_PAGES];
	int n;
};

static struct fpage *fp_find(struct pal_as *as, uint64_t va)
{
	va &= ~4095ULL;
	for (int i = 0; i < as->n; i++)
		if (as->p[i].va == va)
			return &as->p[i];
	return NULL;
}

static struct pal_as *f_as_create(void *c)
{
	return calloc(1, sizeof(struct pal_as));
}

static void f_as_destroy(void *c, struct pal_as *as)
{
	for (int i = 0; i < as->n; i++)
		free(as->p[i].mem);
	free(as);
}

static int f_mem_unmap(void *c, struct pal_as *as, uint64_t va, uint64_t len)
{
	for (int i = 0; i < as->n;) {
		if (as->p[i].va >= va && as->p[i].va < va + len) {
			free(as->p[i].mem);
			as->p[i] = as->p[--as->n];
		} else {
			i++;
		}
	}
	return 0;
}

static int f_mem_map(void *c, struct pal_as *as, uint64_t va, uint64_t len, unsigned prot,
		     const void *init, size_t init_len)
{
	f_mem_unmap(c, as, va, len);
	for (uint64_t o = 0; o < len; o += 4096) {
		if (as->n == FAKE_PAGES)
			return -ENOMEM;
		struct fpage *p = &as->p[as->n++];
		p->va = va + o;
		p->prot = prot;
		p->mem = calloc(1, 4096);
		if (init && o < init_len)
			memcpy(p->mem, (const uint8_t *)init + o, init_len - o < 4096 ? init_len - o : 4096);
	}
	return 0;
}

static int f_mem_protect(void *c, struct pal_as *as, uint64_t va, uint64_t len, unsigned prot)
{
	for (int i = 0; i < as->n; i++)
		if (as->p[i].va >= va && as->p[i].va < va + len)
			as->p[i].prot = prot;
	return 0;
}

static int f_mem_query(void *c, struct pal_as *as, uint64_t va, unsigned *prot)
{
	struct fpage *p = fp_find(as, va);
	if (!p)
		return -ENOENT;
	*prot = p->prot;
	return 0;
}

static int f_mem_copy_as(void *c, struct pal_as *d, struct pal_as *s, uint64_t va, uint64_t len)
{
	for (int i = 0; i < s->n; i++)
		if (s->p[i].va >= va && s->p[i].va < va + len)
			f_mem_map(c, d, s->p[i].va, 4096, s->p[i].prot, s->p[i].mem, 4096);
	return 0;
}

static int f_copy(struct pal_as *as, uint8_t *k, uint64_t u, size_t len, bool out)
{
	while (len) {
		struct fpage *p = fp_find(as, u);
		if (!p || !(p->prot & (out ? PAL_PROT_W : PAL_PROT_R)))
			return -EFAULT;
		size_t off = u & 4095, n = 4096 - off < len ? 4096 - off : len;
		if (out)
			memcpy(p->mem + off, k, n);
		else
			memcpy(k, p->mem + off, n);
		k += n;
		u += n;
		len -= n;
	}
	return 0;
}

static int f_from(void *c, struct pal_as *as, void *d, uint64_t s, size_t l)
{
	return f_copy(as, d, s, l, false);
}

static int f_to(void *c, struct pal_as *as, uint64_t d, const void *s, size_t l)
{
	return f_copy(as, (uint8_t *)s, d, l, true);
}

static long f_strncpy(void *c, struct pal_as *as, char *d, uint64_t s, size_t max)
{
	for (size_t i = 0; i < max; i++) {
		if (f_copy(as, (uint8_t *)&d[i], s + i, 1, false))
			return -EFAULT;
		if (!d[i])
			return (long)i;
	}
	return -ENAMETOOLONG;
}

static int tasks_created;
static int f_task_create(void *c, struct pal_as *as, const struct pal_regs *r,
			 const struct pal_fpsimd *fp, void *lt, struct pal_task **out)
{
	tasks_created++;
	*out = (struct pal_task *)calloc(1, 64);
	return 0;
}
static int f_task_set_as(void *c, struct pal_task *t, struct pal_as *as) { return 0; }
static void f_task_exit(void *c, struct pal_task *t) {}
static void f_get_regs(void *c, struct pal_task *t, struct pal_regs *r) { memset(r, 0, sizeof(*r)); }
static void f_set_regs(void *c, struct pal_task *t, const struct pal_regs *r) {}
static void f_get_fp(void *c, struct pal_task *t, struct pal_fpsimd *f) { memset(f, 0, sizeof(*f)); }
static void f_set_fp(void *c, struct pal_task *t, const struct pal_fpsimd *f) {}
static void f_kick(void *c, struct pal_task *t) {}
static int f_wait(void *c, uint32_t *w, uint32_t e, int64_t to) { return -ETIMEDOUT; }
static void f_wake(void *c, uint32_t *w) {}
static void f_lock(void *c) {}
static void f_unlock(void *c) {}

static char hostdir[256];

static int f_host_open(void *c, const char *path)
{
	char p[512];
	snprintf(p, sizeof(p), "%s%s", hostdir, path);
	int fd = open(p, 0 /* host O_RDONLY */);
	return fd < 0 ? -ENOENT : fd;
}
static long f_host_pread(void *c, int h, void *b, size_t l, uint64_t off)
{
	return pread(h, b, l, (off_t)off);
}
static void f_host_close(void *c, int h) { close(h); }
static long f_cread(void *c, int fd, void *b, size_t l) { return 0; }
static char console_out[4096];
static size_t console_len;
static long f_cwrite(void *c, int fd, const void *b, size_t l)
{
	size_t n = l < sizeof(console_out) - console_len ? l : sizeof(console_out) - console_len;
	memcpy(console_out + console_len, b, n);
	console_len += n;
	return (long)l;
}
static uint64_t f_time(void *c, enum pal_clock k) { return 1700000000000000000ULL; }
static void f_random(void *c, void *b, size_t l) { memset(b, 0x5a, l); }
static void f_exit(void *c, int st, int sig) {}

static const struct pal_ops fake = {
	.as_create = f_as_create, .as_destroy = f_as_destroy, .mem_map = f_mem_map,
	.mem_unmap = f_mem_unmap, .mem_protect = f_mem_protect, .mem_query = f_mem_query,
	.mem_copy_as = f_mem_copy_as, .copy_from_user = f_from, .copy_to_user = f_to,
	.strncpy_from_user = f_strncpy, .task_create = f_task_create,
	.task_set_as = f_task_set_as, .task_exit = f_task_exit, .get_regs = f_get_regs,
	.set_regs = f_set_regs, .get_fpsimd = f_get_fp, .set_fpsimd = f_set_fp,
	.task_kick = f_kick, .wait = f_wait, .wake = f_wake, .lock = f_lock, .unlock = f_unlock,
	.host_open = f_host_open, .host_pread = f_host_pread, .host_close = f_host_close,
	.console_read = f_cread, .console_write = f_cwrite, .time_ns = f_time,
	.random = f_random, .container_exit = f_exit,
};

/* ---- the rootfs of these tests ---- */

static struct libos_mf_entry mf[16];
static size_t nmf;
static void *region;
static struct task *T; /* a process to run calls as */

static void mf_add(const char *path, enum libos_mf_type type, uint32_t mode, const char *content,
		   const char *link)
{
	struct libos_mf_entry *e = &mf[nmf++];
	memset(e, 0, sizeof(*e));
	e->path = path;
	e->type = type;
	e->mode = mode;
	e->link_target = link;
	if (content) {
		e->size = strlen(content);
		hash_buf(HASH_SHA256, content, e->size, e->sha256);
		char p[512];
		snprintf(p, sizeof(p), "%s%s", hostdir, path);
		FILE *f = fopen(p, "w");
		assert_non_null(f);
		fputs(content, f);
		fclose(f);
	}
}

static int cmp(const void *a, const void *b)
{
	return strcmp(((const struct libos_mf_entry *)a)->path,
		      ((const struct libos_mf_entry *)b)->path);
}

static int setup(void **state)
{
	snprintf(hostdir, sizeof(hostdir), "/tmp/libos-test-XXXXXX");
	assert_non_null(mkdtemp(hostdir));
	char p[512];
	snprintf(p, sizeof(p), "%s/bin", hostdir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/etc", hostdir);
	mkdir(p, 0755);
	nmf = 0;
	mf_add("/", LIBOS_MF_DIR, S_IFDIR | 0755, NULL, NULL);
	mf_add("/bin", LIBOS_MF_DIR, S_IFDIR | 0755, NULL, NULL);
	mf_add("/bin/prog", LIBOS_MF_FILE, S_IFREG | 0755, "not an elf\n", NULL);
	mf_add("/bin/sh", LIBOS_MF_SYMLINK, S_IFLNK | 0777, NULL, "prog");
	mf_add("/etc", LIBOS_MF_DIR, S_IFDIR | 0755, NULL, NULL);
	mf_add("/etc/good", LIBOS_MF_FILE, S_IFREG | 0644, "good contents\n", NULL);
	mf_add("/etc/changed", LIBOS_MF_FILE, S_IFREG | 0644, "original\n", NULL);
	mf_add("/etc/up", LIBOS_MF_SYMLINK, S_IFLNK | 0777, NULL, "../bin");
	mf_add("/abs", LIBOS_MF_SYMLINK, S_IFLNK | 0777, NULL, "/etc");
	mf_add("/escape", LIBOS_MF_SYMLINK, S_IFLNK | 0777, NULL, "../../../../etc/good");
	mf_add("/loop1", LIBOS_MF_SYMLINK, S_IFLNK | 0777, NULL, "/loop2");
	mf_add("/loop2", LIBOS_MF_SYMLINK, S_IFLNK | 0777, NULL, "loop1");
	qsort(mf, nmf, sizeof(mf[0]), cmp);
	/* the host changes a file after the manifest was made */
	snprintf(p, sizeof(p), "%s/etc/changed", hostdir);
	FILE *f = fopen(p, "w");
	fputs("tampered\n", f);
	fclose(f);
	/* a file on the host that the manifest does not list */
	snprintf(p, sizeof(p), "%s/etc/unlisted", hostdir);
	f = fopen(p, "w");
	fputs("x\n", f);
	fclose(f);

	region = aligned_alloc(4096, 64UL << 20);
	static char *args[] = { "/bin/prog", NULL }, *env[] = { NULL };
	struct libos_config cfg = { .args = args, .env = env, .cwd = "/etc", .umask = 022,
				    .mf = mf, .mf_n = nmf };
	assert_int_equal(libos_init(&fake, region, 64UL << 20, &cfg), 0);
	struct process *pr = proc_new(NULL);
	pr->fds = fdt_new();
	pr->cwd = kstrdup("/etc");
	pr->mm = mm_new();
	T = pr->task;
	struct file *con = file_new(FT_CONSOLE, O_WRONLY, "console");
	con->console_fd = 1;
	assert_int_equal(fd_install(pr, con, 1, false), 1);
	/* scratch memory for the calls: one RW page at 0x10000, one R page at 0x20000 */
	assert_int_equal(vma_add(pr->mm, 0x10000, 0x11000, PROT_READ | PROT_WRITE, VMA_ANON, NULL, 0, 0, NULL), 0);
	assert_int_equal(vma_add(pr->mm, 0x20000, 0x21000, PROT_READ, VMA_ANON, NULL, 0, 0, NULL), 0);
	return 0;
}

static int teardown(void **state)
{
	for (struct process *p = g.all; p; p = p->next_all)
		if (p->mm)
			mm_put(p->mm); /* gives the fake PAL's pages back */
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", hostdir);
	assert_int_equal(system(cmd), 0);
	free(region);
	return 0;
}

static int resolve(const char *path, unsigned flags, char **canon, struct node *nd)
{
	return vfs_resolve(T, AT_FDCWD, path, flags, canon, nd);
}

static void expect_path(const char *path, unsigned flags, const char *want)
{
	char *c;
	struct node nd;
	int r = resolve(path, flags, &c, &nd);
	if (r)
		fail_msg("%s: error %d, want %s", path, r, want);
	assert_string_equal(c, want);
	kfree(c);
}

static void expect_err(const char *path, unsigned flags, int err)
{
	char *c;
	struct node nd;
	assert_int_equal(resolve(path, flags, &c, &nd), err);
}

static void test_path_resolution(void **state)
{
	expect_path("/bin/sh", LK_FOLLOW, "/bin/prog");
	expect_path("/bin/sh", 0, "/bin/sh");
	expect_path("good", LK_FOLLOW, "/etc/good"); /* relative to cwd /etc */
	expect_path("../../../../bin//./prog", LK_FOLLOW, "/bin/prog");
	expect_path("/etc/up/sh", LK_FOLLOW, "/bin/prog");
	expect_path("/abs/good", LK_FOLLOW, "/etc/good");
	expect_path("/escape", LK_FOLLOW, "/etc/good"); /* ".." stops at the root */
	expect_path("/etc/up/../etc", LK_FOLLOW, "/etc");
	expect_err("/loop1", LK_FOLLOW, -ELOOP);
	expect_err("/bin/prog/x", LK_FOLLOW, -ENOTDIR);
	expect_err("/bin/prog/", LK_FOLLOW, -ENOTDIR);
	expect_err("/nope/x", LK_FOLLOW | LK_PARENT_OK, -ENOENT);
	expect_err("/etc/unlisted", LK_FOLLOW, -ENOENT); /* on the host, not in the manifest */
	expect_err("", LK_FOLLOW, -ENOENT);
	char *c;
	struct node nd;
	assert_int_equal(resolve("/etc/newfile", LK_FOLLOW | LK_PARENT_OK, &c, &nd), 0);
	assert_int_equal(nd.kind, NK_NONE);
	assert_string_equal(c, "/etc/newfile");
	kfree(c);
	char longname[300];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	expect_err(longname, LK_FOLLOW, -ENAMETOOLONG);
	expect_path("/proc/self/cwd", 0, "/proc/1/cwd"); /* "self" followed, last link not */
}

static void test_manifest_check(void **state)
{
	const struct libos_mf_entry *good = mf_lookup("/etc/good");
	const struct libos_mf_entry *changed = mf_lookup("/etc/changed");
	assert_non_null(good);
	assert_non_null(changed);
	struct fbuf *b;
	assert_int_equal(vfs_host_contents(good, &b), 0);
	assert_memory_equal(b->data, "good contents\n", 14);
	fbuf_put(b);
	uint64_t rejects = g.stats.manifest_rejects;
	assert_int_equal(vfs_host_contents(changed, &b), -EIO);
	assert_int_equal(g.stats.manifest_rejects, rejects + 1);
	/* the same through open(2)-level code: EIO, never the tampered bytes */
	char *c;
	struct node nd;
	struct file *f;
	assert_int_equal(resolve("/etc/changed", LK_FOLLOW, &c, &nd), 0);
	assert_int_equal(vfs_open_node(T, c, &nd, O_RDONLY, &f), -EIO);
	kfree(c);
	/* a cached file is not read again */
	uint64_t reads = g.stats.host_file_reads;
	assert_int_equal(vfs_host_contents(good, &b), 0);
	fbuf_put(b);
	assert_int_equal(g.stats.host_file_reads, reads);
}

static void test_overlay(void **state)
{
	assert_int_equal(tmp_mkdir("/etc/d", 0755), 0);
	struct inode *ino;
	assert_int_equal(tmp_create("/etc/d/f", 0644, &ino), 0);
	assert_int_equal(tmp_write(ino, "abc", 3, 0), 3);
	char *c;
	struct node nd;
	assert_int_equal(resolve("/etc/d/f", LK_FOLLOW, &c, &nd), 0);
	assert_int_equal(nd.kind, NK_TMP);
	kfree(c);
	/* removing a host file leaves a whiteout */
	assert_int_equal(tmp_unlink(T, "/etc/good", false), 0);
	expect_err("/etc/good", LK_FOLLOW, -ENOENT);
	assert_int_equal(tmp_unlink(T, "/etc", true), -ENOTEMPTY);
	/* renaming a host directory is refused like overlayfs does */
	assert_int_equal(tmp_rename(T, "/bin", "/bin2", 0), -EXDEV);
}

/* ELF images for the loader checks */
struct img {
	uint8_t b[4096];
};

static void mk_elf(struct img *m)
{
	memset(m, 0, sizeof(*m));
	uint8_t *e = m->b;
	memcpy(e, "\177ELF", 4);
	e[4] = 2;
	e[5] = 1;
	e[6] = 1;
	uint16_t type = 2, machine = 183, phentsize = 56, phnum = 1;
	uint64_t entry = 0x400078, phoff = 64;
	memcpy(e + 16, &type, 2);
	memcpy(e + 18, &machine, 2);
	memcpy(e + 24, &entry, 8);
	memcpy(e + 32, &phoff, 8);
	memcpy(e + 54, &phentsize, 2);
	memcpy(e + 56, &phnum, 2);
	uint32_t pt = 1, flags = 5;
	uint64_t off = 0, va = 0x400000, fsz = 0x100, msz = 0x100;
	memcpy(e + 64, &pt, 4);
	memcpy(e + 68, &flags, 4);
	memcpy(e + 72, &off, 8);
	memcpy(e + 80, &va, 8);
	memcpy(e + 96, &fsz, 8);
	memcpy(e + 104, &msz, 8);
}

static void test_elf_refusals(void **state)
{
	struct img m;
	mk_elf(&m);
	assert_int_equal(elf_check(m.b, sizeof(m.b)), 0);
	assert_int_equal(elf_check(m.b, 10), -ENOEXEC); /* truncated */
	mk_elf(&m);
	m.b[0] = 0;
	assert_int_equal(elf_check(m.b, sizeof(m.b)), -ENOEXEC); /* magic */
	mk_elf(&m);
	m.b[4] = 1;
	assert_int_equal(elf_check(m.b, sizeof(m.b)), -ENOEXEC); /* 32-bit */
	mk_elf(&m);
	m.b[18] = 62;
	assert_int_equal(elf_check(m.b, sizeof(m.b)), -ENOEXEC); /* x86-64 */
	mk_elf(&m);
	uint16_t many = 60000;
	memcpy(m.b + 56, &many, 2);
	assert_int_equal(elf_check(m.b, sizeof(m.b)), -ENOEXEC); /* phdrs beyond the file */
	mk_elf(&m);
	uint64_t big = 1ULL << 40;
	memcpy(m.b + 96, &big, 8);
	assert_int_equal(elf_check(m.b, sizeof(m.b)), -ENOEXEC); /* segment beyond the file */
	mk_elf(&m);
	uint64_t small = 0x10;
	memcpy(m.b + 104, &small, 8);
	assert_int_equal(elf_check(m.b, sizeof(m.b)), -ENOEXEC); /* memsz < filesz */
	mk_elf(&m);
	uint64_t va = 0x400010;
	memcpy(m.b + 80, &va, 8);
	assert_int_equal(elf_check(m.b, sizeof(m.b)), -ENOEXEC); /* misaligned */
	mk_elf(&m);
	uint64_t high = 0x7fffffffff00ULL;
	memcpy(m.b + 80, &high, 8);
	assert_int_equal(elf_check(m.b, sizeof(m.b)), -ENOEXEC); /* beyond the VA space */
	mk_elf(&m);
	uint32_t interp = 3;
	uint64_t ioff = 0x200, isz = 4;
	memcpy(m.b + 64, &interp, 4);
	memcpy(m.b + 72, &ioff, 8);
	memcpy(m.b + 96, &isz, 8);
	memcpy(m.b + 0x200, "/abc", 4); /* not NUL-terminated; and no PT_LOAD */
	assert_int_equal(elf_check(m.b, sizeof(m.b)), -ENOEXEC);
	/* execve of a manifest file that is not an ELF: ENOEXEC, process intact */
	char *argv[] = { "/bin/sh", NULL };
	struct mm *before = T->proc->mm;
	assert_int_equal(do_execve(T, "/bin/sh", argv, 1, NULL, 0), -ENOEXEC);
	assert_ptr_equal(T->proc->mm, before);
	assert_int_equal(do_execve(T, "/etc/good", argv, 1, NULL, 0), -EACCES); /* not executable */
	assert_int_equal(do_execve(T, "/nope", argv, 1, NULL, 0), -ENOENT);
}

static void test_syscall_table(void **state)
{
	size_t n;
	const struct syscall_def *tab = syscall_table_get(&n);
	assert_true(n > 100);
	for (size_t i = 0; i < n; i++) {
		const struct syscall_def *d = &tab[i];
		assert_non_null(d->name);
		assert_non_null(d->fn);
		assert_true(d->nargs <= 6);
		assert_ptr_equal(syscall_lookup(d->nr), d); /* numbers are unique */
		for (unsigned k = 0; k < 6; k++) {
			const struct sys_arg *a = &d->arg[k];
			if (k >= d->nargs) {
				assert_int_equal(a->kind, SA_NONE);
				continue;
			}
			if (a->kind == SA_IN || a->kind == SA_OUT || a->kind == SA_INOUT ||
			    a->kind == SA_IOV_IN || a->kind == SA_IOV_OUT) {
				if (a->len_arg >= 0) {
					/* the length lives in another argument of this call */
					if (a->len_arg >= d->nargs || a->len_arg == (int)k)
						fail_msg("%s arg %u: bad len_arg %d", d->name, k, a->len_arg);
					if (d->arg[a->len_arg].kind != SA_LEN)
						fail_msg("%s arg %u: len_arg %d is not SA_LEN", d->name, k,
							 a->len_arg);
					assert_true(a->size >= 1);
				} else {
					if (a->size == 0)
						fail_msg("%s arg %u: buffer of no size", d->name, k);
				}
			}
		}
	}
	/* a few numbers the ABI fixes */
	static const struct {
		unsigned nr;
		const char *name;
	} abi[] = { { 56, "openat" }, { 63, "read" }, { 64, "write" }, { 93, "exit" },
		    { 220, "clone" }, { 221, "execve" }, { 222, "mmap" }, { 260, "wait4" },
		    { 134, "rt_sigaction" }, { 139, "rt_sigreturn" }, { 79, "newfstatat" },
		    { 44, "fstatfs" }, { 83, "fdatasync" }, { 94, "exit_group" } };
	for (size_t i = 0; i < sizeof(abi) / sizeof(abi[0]); i++)
		assert_string_equal(libos_syscall_name(abi[i].nr), abi[i].name);
	const struct syscall_def *rd = syscall_lookup(63);
	assert_int_equal(rd->arg[1].kind, SA_OUT);
	assert_int_equal(rd->arg[1].len_arg, 2);
	const struct syscall_def *wr = syscall_lookup(64);
	assert_int_equal(wr->arg[1].kind, SA_IN);
	assert_int_equal(wr->arg[1].len_arg, 2);
	assert_null(syscall_lookup(1000));
}

static long call(unsigned nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	uint64_t a[6] = { a0, a1, a2, a3, 0, 0 };
	return syscall_dispatch(T, nr, a);
}

static void test_hostile_arguments(void **state)
{
	uint64_t viol = g.stats.desc_violations;
	/* path argument on a page that is not mapped at all */
	assert_int_equal(call(56, (uint64_t)AT_FDCWD, 0xdead0000, 0, 0), -EFAULT);
	/* path written into the scratch page, read back through openat */
	const char *path = "/etc/changed";
	assert_int_equal(copy_out(T, 0x10000, path, strlen(path) + 1), 0);
	assert_int_equal(call(56, (uint64_t)AT_FDCWD, 0x10000, O_RDONLY, 0), -EIO);
	path = "/bin/prog";
	assert_int_equal(copy_out(T, 0x10000, path, strlen(path) + 1), 0);
	long fd = call(56, (uint64_t)AT_FDCWD, 0x10000, O_RDONLY, 0);
	assert_true(fd >= 0);
	assert_int_equal(call(63, (uint64_t)-1, 0x10000, 10, 0), -EBADF);   /* negative fd */
	assert_int_equal(call(63, 5000, 0x10000, 10, 0), -EBADF);           /* fd out of range */
	assert_int_equal(call(63, (uint64_t)fd, 0xdead0000, 10, 0), -EFAULT); /* unmapped */
	assert_int_equal(call(63, (uint64_t)fd, 0x20000, 10, 0), -EFAULT);  /* read-only page */
	assert_int_equal(call(63, (uint64_t)fd, 0x10000, (uint64_t)-1, 0), -EINVAL); /* huge */
	assert_int_equal(call(63, (uint64_t)fd, 0x10000, 4, 0), 4);
	char back[5] = { 0 };
	assert_int_equal(copy_in(T, back, 0x10000, 4), 0);
	assert_memory_equal(back, "not ", 4);
	/* a length that runs off the end of the mapping */
	assert_int_equal(call(64, 1, 0x10ff0, 0x100000, 0), -EFAULT);
	assert_int_equal(call(64, 1, (uint64_t)-4096, 10, 0), -EFAULT);      /* beyond the VA space */
	assert_int_equal(call(57, (uint64_t)-5, 0, 0, 0), -EBADF);           /* close(-5) */
	assert_int_equal(call(24, (uint64_t)fd, (uint64_t)-1, 0, 0), -EBADF); /* dup3 to -1 */
	assert_int_equal(call(222, 0, 0, 3, 0x22), -EINVAL);                  /* mmap of length 0 */
	assert_int_equal(call(215, 0x10001, 4096, 0, 0), -EINVAL);            /* munmap misaligned */
	assert_int_equal(call(134, 0, 0x10000, 0, 8), -EINVAL);              /* sigaction(0) */
	assert_int_equal(call(134, SIGKILL, 0x10000, 0, 8), -EINVAL);
	assert_int_equal(call(129, 99999, 15, 0, 0), -ESRCH);
	assert_int_equal(call(260, 99999, 0, 0, 0), -ECHILD);
	/* unknown numbers: ENOSYS, counted per number */
	uint64_t before = g.stats.enosys_by_nr[450];
	assert_int_equal(call(450, 0, 0, 0, 0), -ENOSYS);
	assert_int_equal(call(450, 0, 0, 0, 0), -ENOSYS);
	assert_int_equal(g.stats.enosys_by_nr[450], before + 2);
	assert_int_equal(call(100000, 0, 0, 0, 0), -ENOSYS);
	/* every copy above stayed inside the ranges the descriptors name */
	assert_int_equal(g.stats.desc_violations, viol);
}

/* The check the RMM's verification will make: copies only inside the named ranges. */
static void test_descriptor_check(void **state)
{
	uint64_t v0 = g.stats.desc_violations;
	char b[16] = "0123456789abcde";
	T->cur = syscall_lookup(63); /* read(fd, buf, count): buf is OUT, count bytes */
	T->cur_args[0] = 3;
	T->cur_args[1] = 0x10000;
	T->cur_args[2] = 8;
	T->nextra = 0;
	assert_int_equal(copy_out(T, 0x10000, b, 8), 0);
	assert_int_equal(g.stats.desc_violations, v0);
	assert_int_equal(copy_out(T, 0x10004, b, 8), 0); /* runs 4 bytes past the buffer */
	assert_int_equal(g.stats.desc_violations, v0 + 1);
	assert_int_equal(copy_in(T, b, 0x10000, 4), 0); /* read's buffer is never read */
	assert_int_equal(g.stats.desc_violations, v0 + 2);
	uaccess_allow(T, 0x10800, 16); /* a range the handler discovered (an iovec buffer) */
	assert_int_equal(copy_out(T, 0x10800, b, 16), 0);
	assert_int_equal(g.stats.desc_violations, v0 + 2);
	T->cur = syscall_lookup(64); /* write(fd, buf, count): buf is IN */
	assert_int_equal(copy_in(T, b, 0x10000, 8), 0);
	assert_int_equal(copy_out(T, 0x10000, b, 8), 0);
	assert_int_equal(g.stats.desc_violations, v0 + 3);
	T->cur = NULL;
}

/* eventfd, timerfd, epoll (sys_poll.c): counting, nesting, teardown without leaks. */
static void test_poll_objects(void **state)
{
	uint64_t viol = g.stats.desc_violations, v;
	struct kmem_stats k0, k1;
	uint8_t ev[16] = { 0 };
	kmem_stats(&k0);
	long efd = call(19, 5, 0, 0, 0); /* eventfd2(5, 0) */
	long ep = call(20, 0, 0, 0, 0), ep2 = call(20, 0, 0, 0, 0);
	assert_true(efd >= 0 && ep >= 0 && ep2 >= 0);
	/* epoll_ctl ADD (EPOLLIN, data 0x55): event at 0x10000 */
	uint32_t in = 1;
	uint64_t data = 0x55;
	memcpy(ev, &in, 4);
	memcpy(ev + 8, &data, 8);
	assert_int_equal(copy_out(T, 0x10000, ev, 16), 0);
	assert_int_equal(call(21, (uint64_t)ep, 1, (uint64_t)efd, 0x10000), 0);
	assert_int_equal(call(21, (uint64_t)ep2, 1, (uint64_t)ep, 0x10000), 0); /* nested */
	assert_int_equal(call(21, (uint64_t)ep, 1, (uint64_t)ep2, 0x10000), -ELOOP);
	/* epoll_pwait: one event, data verbatim, written at 0x10100 */
	assert_int_equal(call(22, (uint64_t)ep, 0x10100, 4, 0), 1);
	assert_int_equal(copy_in(T, ev, 0x10100, 16), 0);
	assert_int_equal(ev[0], 1);
	memcpy(&v, ev + 8, 8);
	assert_int_equal(v, 0x55);
	assert_int_equal(call(22, (uint64_t)ep2, 0x10100, 4, 0), 1); /* the outer sees it */
	/* hostile sizes: maxevents past EP_MAX_EVENTS, a buffer past the VA space */
	assert_int_equal(call(22, (uint64_t)ep, 0x10100, 0x8000000, 0), -EINVAL);
	assert_int_equal(call(22, (uint64_t)ep, (uint64_t)-4096, 1000, 0), -EFAULT);
	assert_int_equal(call(22, (uint64_t)ep, 0x10100, 0, 0), -EINVAL);
	assert_int_equal(call(22, (uint64_t)efd, 0x10100, 1, 0), -EINVAL);
	/* read(2) takes the whole counter */
	assert_int_equal(call(63, (uint64_t)efd, 0x10200, 8, 0), 8);
	assert_int_equal(copy_in(T, &v, 0x10200, 8), 0);
	assert_int_equal(v, 5);
	assert_int_equal(call(22, (uint64_t)ep, 0x10100, 4, 0), 0); /* drained */
	/* timerfd: absolute, 10.5 s in the past, interval 1 s: 11 expirations at once */
	long tfd = call(85, 0, 04000, 0, 0); /* CLOCK_REALTIME, TFD_NONBLOCK */
	assert_true(tfd >= 0);
	int64_t its[4] = { 1, 0, 0, 0 };
	uint64_t now = 1700000000000000000ULL - 10500000000ULL;
	its[2] = (int64_t)(now / 1000000000ULL);
	its[3] = (int64_t)(now % 1000000000ULL);
	assert_int_equal(copy_out(T, 0x10300, its, 32), 0);
	assert_int_equal(call(86, (uint64_t)tfd, 1, 0x10300, 0), 0);
	assert_int_equal(call(63, (uint64_t)tfd, 0x10200, 8, 0), 8);
	assert_int_equal(copy_in(T, &v, 0x10200, 8), 0);
	assert_int_equal(v, 11);
	assert_int_equal(call(63, (uint64_t)tfd, 0x10200, 8, 0), -EAGAIN);
	assert_int_equal(call(87, (uint64_t)tfd, 0x10300, 0, 0), 0); /* next expiry in 0.5 s */
	assert_int_equal(copy_in(T, its, 0x10300, 32), 0);
	assert_int_equal(its[0], 1);
	assert_int_equal(its[2], 0);
	assert_int_equal(its[3], 500000000);
	/* closing: the inner epoll goes from the outer's set, everything is freed */
	assert_int_equal(call(57, (uint64_t)ep, 0, 0, 0), 0);
	assert_int_equal(call(22, (uint64_t)ep2, 0x10100, 4, 0), 0);
	assert_int_equal(call(57, (uint64_t)efd, 0, 0, 0), 0);
	assert_int_equal(call(57, (uint64_t)tfd, 0, 0, 0), 0);
	assert_int_equal(call(57, (uint64_t)ep2, 0, 0, 0), 0);
	kmem_stats(&k1);
	assert_int_equal(k1.objects, k0.objects);
	assert_int_equal(g.stats.desc_violations, viol);
}

static void test_uname_and_stat(void **state)
{
	assert_int_equal(call(160, 0x10000, 0, 0, 0), 0);
	char u[390];
	assert_int_equal(copy_in(T, u, 0x10000, sizeof(u)), 0);
	assert_string_equal(u, "Linux");
	assert_string_equal(u + 4 * 65, "aarch64");
	assert_true(strncmp(u + 2 * 65, "6.", 2) == 0);
	const char *path = "/bin/sh";
	assert_int_equal(copy_out(T, 0x10800, path, strlen(path) + 1), 0);
	assert_int_equal(call(79, (uint64_t)AT_FDCWD, 0x10800, 0x10000, 0), 0);
	uint32_t mode;
	int64_t size;
	assert_int_equal(copy_in(T, &mode, 0x10000 + 16, 4), 0);
	assert_int_equal(copy_in(T, &size, 0x10000 + 48, 8), 0);
	assert_int_equal(mode & S_IFMT, S_IFREG);
	assert_int_equal(size, 11);
	assert_int_equal(call(79, (uint64_t)AT_FDCWD, 0x10800, 0x10000, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(copy_in(T, &mode, 0x10000 + 16, 4), 0);
	assert_int_equal(mode & S_IFMT, S_IFLNK);
}

/* A process of the selected instance, as setup makes one: its task. */
static struct task *new_init(void)
{
	struct process *pr = proc_new(NULL);

	assert_non_null(pr);
	pr->fds = fdt_new();
	pr->cwd = kstrdup("/etc");
	pr->mm = mm_new();
	return pr->task;
}

static int count_procs(void)
{
	int n = 0;

	for (struct process *p = g.all; p; p = p->next_all)
		n++;
	return n;
}

/*
 * Two instances in one process (a System Realm serving two containers):
 * each has its own processes (both have a pid 1), overlay, heap, and the
 * end of one leaves the other as it was.
 */
static void test_two_instances(void **state)
{
	struct libos_kernel *a = libos_current(), *b;
	static char *args[] = {"/bin/prog", NULL}, *env[] = {NULL};
	struct libos_config cfg = {.args = args,
				   .env = env,
				   .cwd = "/",
				   .umask = 022,
				   .mf = mf,
				   .mf_n = nmf,
				   .hostname = "b"};
	uint8_t *region_b = aligned_alloc(4096, 16UL << 20);
	struct inode *ino;
	char *c;
	struct node nd;

	assert_non_null(a);
	assert_int_equal(tmp_create("/etc/a-only", 0644, &ino), 0);
	assert_int_equal(tmp_write(ino, "A", 1, 0), 1);
	assert_int_equal(count_procs(), 1);

	/* B: a fresh kernel, selected by its libos_init */
	assert_int_equal(libos_init(&fake, region_b, 16UL << 20, &cfg), 0);
	b = libos_current();
	assert_non_null(b);
	assert_ptr_not_equal(a, b);
	assert_int_equal(count_procs(), 0);
	struct task *tb = new_init();
	assert_int_equal(tb->proc->pid, 1); /* its own pid space */
	assert_int_equal(count_procs(), 1);
	/* its objects come from its own region */
	assert_true((uint8_t *)tb->proc >= region_b &&
		    (uint8_t *)tb->proc < region_b + (16UL << 20));
	assert_string_equal(g.hostname, "b");
	/* A's overlay file is not there; B writes its own */
	assert_int_equal(vfs_resolve(tb, AT_FDCWD, "/etc/a-only", LK_FOLLOW, &c, &nd), -ENOENT);
	assert_int_equal(tmp_create("/etc/b-only", 0644, &ino), 0);

	/* back to A: its file, not B's; its one process */
	libos_select(a);
	assert_ptr_equal(libos_current(), a);
	assert_int_equal(count_procs(), 1);
	assert_true((uint8_t *)T->proc < region_b || (uint8_t *)T->proc >= region_b + (16UL << 20));
	expect_err("/etc/b-only", LK_FOLLOW, -ENOENT);
	expect_path("/etc/a-only", LK_FOLLOW, "/etc/a-only");
	assert_string_equal(g.hostname, "realmbox");

	/* B ends: A goes on; a finished instance cannot be selected again */
	libos_select(b);
	for (struct process *p = g.all; p; p = p->next_all)
		mm_put(p->mm);
	libos_fini();
	assert_null(libos_current());
	libos_select(b);
	assert_null(libos_current());
	free(region_b);
	libos_select(a);
	assert_ptr_equal(libos_current(), a);
	expect_path("/etc/a-only", LK_FOLLOW, "/etc/a-only");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_path_resolution, setup, teardown),
		cmocka_unit_test_setup_teardown(test_manifest_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_elf_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syscall_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_arguments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_descriptor_check, setup, teardown),
		cmocka_unit_test_setup_teardown(test_uname_and_stat, setup, teardown),
		cmocka_unit_test_setup_teardown(test_poll_objects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_instances, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
