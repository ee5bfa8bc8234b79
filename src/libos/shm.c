/*
 * Shared memory: MAP_SHARED mappings and memfd_create.
 *
 * A MAP_SHARED mapping refers to a struct shm: anonymous (the pages are the
 * object) or backed by an overlay inode (a memfd or a file written in the
 * container). Across fork the child gets the very pages of the parent
 * through the PAL's optional mem_share (the whole region is populated
 * first); a deployment without it gives the child private copies, says so
 * once and counts it (stats.shared_copied).
 *
 * A file-backed shared mapping is filled from its inode on fault and kept
 * coherent with read(2)/write(2) at system-call boundaries: msync, munmap,
 * exit and any read of the inode write the populated pages of every
 * mapping of it back (bytes past the end of the file are dropped); a write
 * to the inode refreshes the populated pages of every mapping. Two
 * mappings of one file made independently (not by fork) that both store
 * to the same page between two such points: the later write-back wins.
 */
#include "libos/kernel.h"

#define MFD_CLOEXEC 1u
#define MFD_ALLOW_SEALING 2u
#define MFD_HUGETLB 4u
#define MFD_NOEXEC_SEAL 8u
#define MFD_EXEC 0x10u

struct shm {
	int refs;
	struct inode *ino; /* file backing, or NULL: anonymous */
};

struct shm *shm_new(struct inode *ino)
{
	struct shm *s = kzalloc(sizeof(*s));
	if (!s)
		return NULL;
	s->refs = 1;
	s->ino = ino;
	if (ino)
		tmp_inode_get(ino);
	return s;
}

void shm_get(struct shm *s)
{
	s->refs++;
}

void shm_put(struct shm *s)
{
	if (s && --s->refs == 0) {
		if (s->ino)
			tmp_inode_put(s->ino);
		kfree(s);
	}
}

struct inode *shm_inode(const struct shm *s)
{
	return s ? s->ino : NULL;
}

static uint64_t ino_size(struct inode *ino)
{
	struct kstat st;
	tmp_stat(ino, &st);
	return st.size;
}

int shm_fill_page(const struct vma *v, uint64_t page, uint8_t *buf)
{
	struct inode *ino = v->shm->ino;
	uint64_t off = v->shm_off + (page - v->start), size = ino_size(ino);
	memset(buf, 0, PAGE_SIZE);
	if (off >= kalign_up(size, PAGE_SIZE))
		return -EIO; /* wholly past the end of the file: SIGBUS */
	if (off < size)
		tmp_read(ino, buf, KMIN(PAGE_SIZE, size - off), off);
	return 0;
}

/* Write the populated pages of v in [start, end) back to its inode. */
static void writeback(struct mm *mm, const struct vma *v, uint64_t start, uint64_t end)
{
	struct inode *ino = v->shm->ino;
	uint8_t *pg = kmalloc(PAGE_SIZE);
	if (!pg)
		return;
	uint64_t size = ino_size(ino);
	for (uint64_t a = KMAX(start, v->start) & PAGE_MASK; a < KMIN(end, v->end);
	     a += PAGE_SIZE) {
		unsigned pr;
		uint64_t off = v->shm_off + (a - v->start);
		if (off >= size)
			break;
		if (PAL(mem_query, mm->as, a, &pr) || !(pr & PAL_PROT_R))
			continue;
		if (PAL(copy_from_user, mm->as, pg, a, PAGE_SIZE))
			continue;
		tmp_write(ino, pg, KMIN(PAGE_SIZE, size - off), off);
	}
	kfree(pg);
}

void shm_writeback_range(struct mm *mm, uint64_t start, uint64_t end)
{
	for (struct vma *v = mm->vmas; v; v = v->next)
		if (v->shm && v->shm->ino && v->start < end && start < v->end)
			writeback(mm, v, start, end);
}

/* Call fn for each mapping of ino in every live address space (each mm once). */
static void each_mapping(struct inode *ino, void (*fn)(struct mm *mm, struct vma *v, void *arg),
			 void *arg)
{
	for (struct process *p = g.all; p; p = p->next_all) {
		struct mm *mm = p->mm;
		if (!mm || p->state == P_ZOMBIE)
			continue;
		bool seen = false; /* vfork children share their parent's mm */
		for (struct process *q = g.all; q != p; q = q->next_all)
			if (q->mm == mm && q->state != P_ZOMBIE)
				seen = true;
		if (seen)
			continue;
		for (struct vma *v = mm->vmas; v; v = v->next)
			if (v->shm && v->shm->ino == ino)
				fn(mm, v, arg);
	}
}

static void sync_one(struct mm *mm, struct vma *v, void *arg)
{
	writeback(mm, v, v->start, v->end);
}

void shm_sync_inode(struct inode *ino)
{
	each_mapping(ino, sync_one, NULL);
}

struct refresh_arg {
	uint64_t off, end;
	uint8_t *pg;
};

static void refresh_one(struct mm *mm, struct vma *v, void *arg)
{
	struct refresh_arg *ra = arg;
	for (uint64_t a = v->start; a < v->end; a += PAGE_SIZE) {
		uint64_t off = v->shm_off + (a - v->start);
		unsigned pr;
		if (off + PAGE_SIZE <= ra->off || off >= ra->end)
			continue;
		if (PAL(mem_query, mm->as, a, &pr))
			continue; /* not populated: faults the new contents in */
		if (shm_fill_page(v, a, ra->pg))
			continue;
		if (!(pr & PAL_PROT_W))
			PAL(mem_protect, mm->as, a, PAGE_SIZE, pr | PAL_PROT_W | PAL_PROT_R);
		PAL(copy_to_user, mm->as, a, ra->pg, PAGE_SIZE);
		if (!(pr & PAL_PROT_W))
			PAL(mem_protect, mm->as, a, PAGE_SIZE, pr);
	}
}

void shm_refresh_inode(struct inode *ino, uint64_t off, uint64_t len)
{
	struct refresh_arg ra = {off, off + len, kmalloc(PAGE_SIZE)};
	if (!ra.pg)
		return;
	each_mapping(ino, refresh_one, &ra);
	kfree(ra.pg);
}

int shm_fork_vma(struct mm *dst, struct mm *src, struct vma *v)
{
	static bool warned;
	if (!g.pal.mem_share) {
		if (!warned) {
			warned = true;
			lo_log(LOG_WARN,
			       "fork: this deployment cannot share pages between address "
			       "spaces: MAP_SHARED memory becomes a private copy in the child");
		}
		g.stats.shared_copied++;
		return PAL(mem_copy_as, dst->as, src->as, v->start, v->end - v->start);
	}
	/* every page now, so that parent and child hold the same ones */
	if (v->prot & (PROT_READ | PROT_WRITE | PROT_EXEC)) {
		for (uint64_t a = v->start; a < v->end; a += PAGE_SIZE) {
			unsigned pr;
			if (PAL(mem_query, src->as, a, &pr) == 0)
				continue;
			int r = mm_fault(src, a, PROT_READ);
			if (r == -EIO)
				break; /* past the end of the file: stays unpopulated (SIGBUS) */
			if (r)
				return r;
		}
	}
	return PAL(mem_share, dst->as, src->as, v->start, v->end - v->start);
}

/* memfd_create(name, flags): an overlay file with no name in the namespace. */
long sys_memfd_create(struct task *t, const uint64_t *a)
{
	unsigned flags = (unsigned)a[1];
	if (flags & ~(MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB | MFD_NOEXEC_SEAL | MFD_EXEC))
		return -EINVAL;
	if ((flags & MFD_NOEXEC_SEAL) && (flags & MFD_EXEC))
		return -EINVAL;
	if (flags & MFD_HUGETLB) {
		lo_log(LOG_INFO, "memfd_create: MFD_HUGETLB not supported (4 KiB pages only)");
		return -EINVAL;
	}
	char name[250];
	long l = strncpy_in(t, name, a[0], sizeof(name));
	if (l == -ENAMETOOLONG)
		return -EINVAL; /* as Linux: a name of more than 249 bytes */
	if (l < 0)
		return l;
	struct inode *ino = tmp_inode_new(S_IFREG | 0777);
	if (!ino)
		return -ENOMEM;
	char *path = kmalloc(PATH_MAX_);
	if (!path) {
		tmp_inode_put(ino);
		return -ENOMEM;
	}
	ksnprintf(path, PATH_MAX_, "/memfd:%s (deleted)", name);
	struct file *f = file_new(FT_TMP, O_RDWR | O_LARGEFILE, path);
	kfree(path);
	if (!f) {
		tmp_inode_put(ino);
		return -ENOMEM;
	}
	f->ino = ino; /* the file holds the inode's only reference */
	int fd = fd_install(t->proc, f, 0, (flags & MFD_CLOEXEC) != 0);
	if (fd < 0)
		file_put(f);
	return fd;
}

long sys_msync(struct task *t, const uint64_t *a)
{
	uint64_t addr = a[0], len = kalign_up(a[1], PAGE_SIZE);
	unsigned flags = (unsigned)a[2];
	if ((addr & ~PAGE_MASK) || (flags & ~7u) || ((flags & 1) && (flags & 4)))
		return -EINVAL; /* MS_ASYNC 1, MS_INVALIDATE 2, MS_SYNC 4 */
	if (addr + len < addr || addr + len > USER_VA_LIMIT)
		return -ENOMEM;
	struct mm *mm = t->proc->mm;
	uint64_t at = addr;
	for (struct vma *v = mm->vmas; v && at < addr + len; v = v->next) {
		if (v->end <= at)
			continue;
		if (v->start > at)
			return -ENOMEM; /* a hole */
		at = v->end;
	}
	if (at < addr + len)
		return -ENOMEM;
	shm_writeback_range(mm, addr, addr + len);
	return 0;
}
