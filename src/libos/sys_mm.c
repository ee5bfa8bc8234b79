/*
 * Memory system calls: brk, mmap (anonymous and file mappings, private and
 * shared: shm.c), munmap, mprotect, madvise (MADV_DONTNEED drops private
 * pages; the other advice is accepted), mremap (moves private mappings),
 * mlock and friends (nothing is paged out: they check and populate).
 */
#include "libos/kernel.h"

long sys_brk(struct task *t, const uint64_t *a)
{
	struct mm *mm = t->proc->mm;
	uint64_t want = a[0];
	if (want < mm->brk_start)
		return (long)mm->brk;
	uint64_t oldtop = kalign_up(mm->brk, PAGE_SIZE), newtop = kalign_up(want, PAGE_SIZE);
	struct vma *heap = NULL;
	for (struct vma *v = mm->vmas; v; v = v->next)
		if (v->flags & VMA_HEAP)
			heap = v;
	if (!heap)
		return (long)mm->brk;
	if (newtop > oldtop) {
		if (newtop - mm->brk_start > (1ULL << 32) || !mm_range_free(mm, oldtop, newtop))
			return (long)mm->brk;
		heap->end = newtop;
	} else if (newtop < oldtop) {
		PAL(mem_unmap, mm->as, newtop, oldtop - newtop);
		heap->end = newtop;
	}
	mm->brk = want;
	return (long)want;
}

long sys_mmap(struct task *t, const uint64_t *a)
{
	struct mm *mm = t->proc->mm;
	uint64_t addr = a[0], len = a[1], off = a[5];
	unsigned prot = (unsigned)a[2], flags = (unsigned)a[3];
	int fd = (int)a[4];
	if (len == 0 || (off & ~PAGE_MASK) || (addr & ~PAGE_MASK && (flags & MAP_FIXED)))
		return -EINVAL;
	if (prot & ~7u)
		return -EINVAL;
	unsigned type = flags & 3;
	if (type != MAP_SHARED && type != MAP_PRIVATE && type != MAP_SHARED_VALIDATE)
		return -EINVAL;
	len = kalign_up(len, PAGE_SIZE);
	if (len == 0 || len > (1ULL << 38))
		return -ENOMEM;
	struct fbuf *content = NULL;
	const char *name = NULL;
	struct file *f = NULL;
	struct shm *shm = NULL;
	if (!(flags & MAP_ANONYMOUS)) {
		f = fd_get(t->proc, fd);
		if (!f)
			return -EBADF;
		if ((f->flags & O_ACCMODE) == O_WRONLY)
			return -EACCES;
		if (type != MAP_PRIVATE && (prot & PROT_WRITE) && (f->flags & O_ACCMODE) != O_RDWR)
			return -EACCES;
		if (type != MAP_PRIVATE && f->type == FT_TMP) {
			/* the file itself (shm.c): stores reach it, its writes reach the mapping */
			shm_sync_inode(f->ino);
			shm = shm_new(f->ino);
			if (!shm)
				return -ENOMEM;
			name = f->path;
		} else if (f->type == FT_HOST || f->type == FT_PROC) {
			/* read-only contents (a writable open copies the file up: FT_TMP) */
			content = f->buf;
			fbuf_get(content);
		} else if (f->type == FT_TMP) {
			content = tmp_snapshot(f->ino);
			if (!content)
				return -ENOMEM;
		} else if (f->type == FT_DEV && f->dev == DEV_ZERO) {
			flags |= MAP_ANONYMOUS;
		} else {
			return -ENODEV;
		}
		name = f->path;
	}
	if ((flags & MAP_ANONYMOUS) && type != MAP_PRIVATE) {
		shm = shm_new(NULL); /* shared anonymous memory: the same pages in a forked child */
		if (!shm)
			return -ENOMEM;
		name = NULL;
	}
	uint64_t start;
	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
		start = addr & PAGE_MASK;
		if (start + len < start || start + len > USER_VA_LIMIT || start < LAYOUT_MMAP_MIN) {
			fbuf_put(content);
			shm_put(shm);
			return -ENOMEM;
		}
		if (!mm_range_free(mm, start, start + len)) {
			if (flags & MAP_FIXED_NOREPLACE) {
				fbuf_put(content);
				shm_put(shm);
				return -EEXIST;
			}
			mm_unmap(mm, start, len);
		}
	} else {
		start = mm_find_free(mm, addr & PAGE_MASK, len);
		if (!start) {
			fbuf_put(content);
			shm_put(shm);
			return -ENOMEM;
		}
	}
	int r;
	if (content)
		r = vma_add(mm, start, start + len, prot, VMA_FILE | VMA_EOFBUS, content, off,
			    content->size > off ? start + (content->size - off) : start, name);
	else if (shm && shm_inode(shm))
		r = vma_add(mm, start, start + len, prot, VMA_FILE | VMA_SHARED | VMA_EOFBUS, NULL, 0,
			    0, name);
	else
		r = vma_add(mm, start, start + len, prot, VMA_ANON | (shm ? VMA_SHARED : 0), NULL, 0,
			    0, NULL);
	fbuf_put(content);
	if (r) {
		shm_put(shm);
		return r;
	}
	if (shm) {
		struct vma *v = vma_find(mm, start);
		v->shm = shm; /* the reference shm_new gave */
		v->shm_off = shm_inode(shm) ? off : 0;
	}
	/* replace anything left from an earlier mapping at this range */
	PAL(mem_unmap, mm->as, start, len);
	return (long)start;
}

long sys_munmap(struct task *t, const uint64_t *a)
{
	uint64_t addr = a[0], len = a[1];
	if ((addr & ~PAGE_MASK) || len == 0)
		return -EINVAL;
	len = kalign_up(len, PAGE_SIZE);
	if (addr + len < addr || addr + len > USER_VA_LIMIT)
		return -EINVAL;
	return mm_unmap(t->proc->mm, addr, len);
}

long sys_mprotect(struct task *t, const uint64_t *a)
{
	uint64_t addr = a[0], len = a[1];
	unsigned prot = (unsigned)a[2];
	if (addr & ~PAGE_MASK)
		return -EINVAL;
	if (prot & ~(7u | 0x01000000u | 0x02000000u)) /* GROWSDOWN/UP */
		return -EINVAL;
	prot &= 7;
	len = kalign_up(len, PAGE_SIZE);
	if (len == 0)
		return 0;
	if (addr + len < addr || addr + len > USER_VA_LIMIT)
		return -ENOMEM;
	return mm_protect(t->proc->mm, addr, len, prot);
}

long sys_madvise(struct task *t, const uint64_t *a)
{
	uint64_t addr = a[0], len = kalign_up(a[1], PAGE_SIZE);
	int advice = (int)a[2];
	if (addr & ~PAGE_MASK)
		return -EINVAL;
	/* NORMAL..DONTNEED, FREE..POPULATE_WRITE, HWPOISON/SOFT_OFFLINE (refused: root-only tests) */
	if (!((advice >= 0 && advice <= 4) || (advice >= 8 && advice <= 23)))
		return advice == 100 || advice == 101 ? -EPERM : -EINVAL;
	if (len == 0)
		return 0;
	if (addr + len < addr || addr + len > USER_VA_LIMIT)
		return -ENOMEM;
	uint64_t at = addr;
	for (struct vma *v = t->proc->mm->vmas; v && at < addr + len; v = v->next) {
		if (v->end <= at)
			continue;
		if (v->start > at)
			return -ENOMEM; /* Linux: the range has a hole (the rest is still advised) */
		at = v->end;
	}
	if (at < addr + len)
		return -ENOMEM;
	if (advice == 4 /* MADV_DONTNEED */) {
		/* anonymous private pages read back as zero: drop them */
		struct mm *mm = t->proc->mm;
		for (struct vma *v = mm->vmas; v; v = v->next) {
			uint64_t s = KMAX(v->start, addr), e = KMIN(v->end, addr + len);
			if (s < e && !(v->flags & VMA_SHARED))
				PAL(mem_unmap, mm->as, s, e - s);
		}
	}
	return 0;
}

long sys_mremap(struct task *t, const uint64_t *a)
{
	struct mm *mm = t->proc->mm;
	uint64_t old = a[0], olen = kalign_up(a[1], PAGE_SIZE), nlen = kalign_up(a[2], PAGE_SIZE);
	unsigned flags = (unsigned)a[3];
	if ((old & ~PAGE_MASK) || nlen == 0 || (flags & ~3u))
		return -EINVAL;
	struct vma *v = vma_find(mm, old);
	if (!v || v->start != old || v->end != old + olen)
		return -EFAULT;
	if (nlen <= olen) {
		if (nlen < olen)
			mm_unmap(mm, old + nlen, olen - nlen);
		return (long)old;
	}
	if (mm_range_free(mm, old + olen, old + nlen) && !(v->flags & VMA_FILE)) {
		v->end = old + nlen;
		return (long)old;
	}
	if (!(flags & 1)) /* MREMAP_MAYMOVE */
		return -ENOMEM;
	if (v->flags & (VMA_SHARED | VMA_STACK | VMA_HEAP))
		return -EINVAL;
	uint64_t na = mm_find_free(mm, 0, nlen);
	if (!na)
		return -ENOMEM;
	int r = vma_add(mm, na, na + nlen, v->prot, v->flags, v->file, v->file_off,
			v->file ? na + (v->file_end - v->start) : 0, v->name);
	if (r)
		return r;
	/* move the populated pages (through library OS memory) */
	uint8_t *pg = kmalloc(PAGE_SIZE);
	if (!pg)
		return -ENOMEM;
	unsigned pal_prot = prot_to_pal(v->prot);
	for (uint64_t off = 0; off < olen; off += PAGE_SIZE) {
		unsigned cur;
		if (PAL(mem_query, mm->as, old + off, &cur))
			continue;
		if (!(cur & PAL_PROT_R))
			PAL(mem_protect, mm->as, old + off, PAGE_SIZE, cur | PAL_PROT_R);
		r = res_mem_charge(1);
		if (!r)
			r = PAL(copy_from_user, mm->as, pg, old + off, PAGE_SIZE);
		if (!r)
			r = PAL(mem_map, mm->as, na + off, PAGE_SIZE, pal_prot, pg, PAGE_SIZE);
		if (r) {
			kfree(pg);
			mm_unmap(mm, na, nlen);
			return -ENOMEM;
		}
	}
	kfree(pg);
	mm_unmap(mm, old, olen);
	return (long)na;
}

/* The whole of [addr, addr+len) (page-rounded) is mapped: 0, else -ENOMEM (mlock, munlock). */
static int range_mapped(struct mm *mm, uint64_t addr, uint64_t len)
{
	uint64_t start = addr & PAGE_MASK, end = kalign_up(addr + len, PAGE_SIZE);
	if (end < start || end > USER_VA_LIMIT)
		return -ENOMEM;
	uint64_t at = start;
	for (struct vma *v = mm->vmas; v && at < end; v = v->next) {
		if (v->end <= at)
			continue;
		if (v->start > at)
			return -ENOMEM;
		at = v->end;
	}
	return at < end ? -ENOMEM : 0;
}

/*
 * mlock/mlock2: container memory is never paged out by the library OS, so
 * locking only populates the pages (unless MLOCK_ONFAULT) and checks the range.
 */
static long do_mlock(struct task *t, uint64_t addr, uint64_t len, bool populate)
{
	struct mm *mm = t->proc->mm;
	if (len == 0)
		return 0;
	int r = range_mapped(mm, addr, len);
	if (r || !populate)
		return r;
	uint64_t start = addr & PAGE_MASK, end = kalign_up(addr + len, PAGE_SIZE);
	for (struct vma *v = mm->vmas; v; v = v->next) {
		uint64_t s = KMAX(v->start, start), e = KMIN(v->end, end);
		if (s >= e || !(v->prot & (PROT_READ | PROT_WRITE | PROT_EXEC)))
			continue;
		for (uint64_t a = s; a < e; a += PAGE_SIZE) {
			unsigned pr;
			if (PAL(mem_query, mm->as, a, &pr) == 0)
				continue;
			if (mm_fault(mm, a, PROT_READ) == -EIO)
				break; /* past the end of a mapped file: as Linux, not an error */
		}
	}
	return 0;
}

long sys_mlock(struct task *t, const uint64_t *a)
{
	return do_mlock(t, a[0], a[1], true);
}

long sys_mlock2(struct task *t, const uint64_t *a)
{
	if (a[2] & ~1ULL) /* MLOCK_ONFAULT */
		return -EINVAL;
	return do_mlock(t, a[0], a[1], !(a[2] & 1));
}

long sys_munlock(struct task *t, const uint64_t *a)
{
	return a[1] ? range_mapped(t->proc->mm, a[0], a[1]) : 0;
}

long sys_mlockall(struct task *t, const uint64_t *a)
{
	/* MCL_CURRENT 1, MCL_FUTURE 2, MCL_ONFAULT 4 (only with one of the others) */
	if (!a[0] || (a[0] & ~7ULL) || a[0] == 4)
		return -EINVAL;
	return 0;
}

long sys_munlockall(struct task *t, const uint64_t *a)
{
	return 0;
}
