/*
 * Container address spaces: a sorted list of VMAs per process over a PAL
 * address space. Pages are populated on demand (first touch by the program,
 * or a user copy by the library OS): anonymous pages zero-filled, private
 * file mappings from the verified page cache. brk, mmap, munmap, mprotect
 * and fork's copy are built on the VMA list.
 */
#include "libos/kernel.h"

#define MAX_VMAS 4096

unsigned prot_to_pal(unsigned prot)
{
	unsigned r = 0;
	if (prot & PROT_READ)
		r |= PAL_PROT_R;
	if (prot & PROT_WRITE)
		r |= PAL_PROT_W | PAL_PROT_R;
	if (prot & PROT_EXEC)
		r |= PAL_PROT_X | PAL_PROT_R;
	return r;
}

struct mm *mm_new(void)
{
	struct mm *mm = kzalloc(sizeof(*mm));
	if (!mm)
		return NULL;
	mm->as = PAL(as_create);
	if (!mm->as) {
		kfree(mm);
		return NULL;
	}
	mm->refs = 1;
	mm->stack_top = LAYOUT_STACK_TOP;
	mm->mmap_top = LAYOUT_MMAP_TOP;
	return mm;
}

static void vma_free(struct vma *v)
{
	if (v->file)
		fbuf_put(v->file);
	shm_put(v->shm);
	kfree(v->name);
	kfree(v);
}

void mm_put(struct mm *mm)
{
	if (!mm || --mm->refs > 0)
		return;
	shm_writeback_range(mm, 0, USER_VA_LIMIT); /* shared file mappings: stores to the file */
	for (struct vma *v = mm->vmas; v;) {
		struct vma *n = v->next;
		if (v->end > v->start)
			PAL(mem_unmap, mm->as, v->start, v->end - v->start);
		vma_free(v);
		v = n;
	}
	PAL(as_destroy, mm->as);
	kfree(mm);
}

struct vma *vma_find(struct mm *mm, uint64_t addr)
{
	for (struct vma *v = mm->vmas; v; v = v->next) {
		if (addr < v->start)
			return NULL;
		if (addr < v->end)
			return v;
	}
	return NULL;
}

bool mm_range_free(struct mm *mm, uint64_t start, uint64_t end)
{
	if (start >= end || end > USER_VA_LIMIT || start < LAYOUT_MMAP_MIN)
		return false;
	for (struct vma *v = mm->vmas; v; v = v->next)
		if (v->start < end && start < v->end)
			return false;
	return true;
}

int vma_add(struct mm *mm, uint64_t start, uint64_t end, unsigned prot, unsigned flags,
	    struct fbuf *file, uint64_t file_off, uint64_t file_end, const char *name)
{
	if (mm->nvmas >= MAX_VMAS)
		return -ENOMEM;
	struct vma *v = kzalloc(sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->start = start;
	v->end = end;
	v->prot = prot;
	v->flags = flags;
	v->file = file;
	if (file)
		fbuf_get(file);
	v->file_off = file_off;
	v->file_end = file_end;
	v->name = name ? kstrdup(name) : NULL;
	struct vma **pp = &mm->vmas;
	while (*pp && (*pp)->start < start)
		pp = &(*pp)->next;
	v->next = *pp;
	*pp = v;
	mm->nvmas++;
	return 0;
}

/* Split v at addr (inside it): v keeps [start, addr), a new VMA gets [addr, end). */
static int vma_split(struct mm *mm, struct vma *v, uint64_t addr)
{
	if (mm->nvmas >= MAX_VMAS)
		return -ENOMEM;
	struct vma *n = kzalloc(sizeof(*n));
	if (!n)
		return -ENOMEM;
	*n = *v;
	n->start = addr;
	if (v->file) {
		fbuf_get(v->file);
		n->file_off = v->file_off + (addr - v->start);
	}
	if (v->shm) {
		shm_get(v->shm);
		n->shm_off = v->shm_off + (addr - v->start);
	}
	n->name = v->name ? kstrdup(v->name) : NULL;
	v->end = addr;
	v->next = n;
	mm->nvmas++;
	return 0;
}

/* Make VMA boundaries at start and end. */
static int mm_split_range(struct mm *mm, uint64_t start, uint64_t end)
{
	for (struct vma *v = mm->vmas; v; v = v->next) {
		if (v->start < start && start < v->end) {
			int r = vma_split(mm, v, start);
			if (r)
				return r;
			continue;
		}
		if (v->start < end && end < v->end) {
			int r = vma_split(mm, v, end);
			if (r)
				return r;
		}
	}
	return 0;
}

int mm_unmap(struct mm *mm, uint64_t start, uint64_t len)
{
	uint64_t end = start + len;
	if (end < start || end > USER_VA_LIMIT)
		return -EINVAL;
	int r = mm_split_range(mm, start, end);
	if (r)
		return r;
	shm_writeback_range(mm, start, end);
	struct vma **pp = &mm->vmas;
	while (*pp) {
		struct vma *v = *pp;
		if (v->start >= start && v->end <= end) {
			*pp = v->next;
			mm->nvmas--;
			vma_free(v);
		} else {
			pp = &v->next;
		}
	}
	PAL(mem_unmap, mm->as, start, len);
	return 0;
}

int mm_protect(struct mm *mm, uint64_t start, uint64_t len, unsigned prot)
{
	uint64_t end = start + len;
	/* the whole range must be mapped */
	uint64_t a = start;
	for (struct vma *v = mm->vmas; v && a < end; v = v->next) {
		if (v->end <= a)
			continue;
		if (v->start > a)
			return -ENOMEM;
		a = v->end;
	}
	if (a < end)
		return -ENOMEM;
	int r = mm_split_range(mm, start, end);
	if (r)
		return r;
	for (struct vma *v = mm->vmas; v; v = v->next)
		if (v->start >= start && v->end <= end)
			v->prot = prot;
	return PAL(mem_protect, mm->as, start, len, prot_to_pal(prot));
}

uint64_t mm_find_free(struct mm *mm, uint64_t hint, uint64_t len)
{
	if (len == 0 || len > USER_VA_LIMIT)
		return 0;
	if (hint && !(hint & ~PAGE_MASK) && mm_range_free(mm, hint, hint + len))
		return hint;
	/* top-down: try just below each VMA, starting from mmap_top */
	uint64_t cand = mm->mmap_top - len;
	for (int iter = 0; iter < MAX_VMAS + 2; iter++) {
		if (cand < LAYOUT_MMAP_MIN || cand > mm->mmap_top)
			return 0;
		struct vma *hit = NULL;
		for (struct vma *v = mm->vmas; v; v = v->next)
			if (v->start < cand + len && cand < v->end)
				hit = v; /* keep the highest overlapping one */
		if (!hit)
			return cand;
		if (hit->start < len)
			return 0;
		/* move below the lowest VMA that overlaps */
		uint64_t low = hit->start;
		for (struct vma *v = mm->vmas; v; v = v->next)
			if (v->start < cand + len && cand < v->end && v->start < low)
				low = v->start;
		if (low < len)
			return 0;
		cand = low - len;
	}
	return 0;
}

int mm_fault(struct mm *mm, uint64_t addr, unsigned access)
{
	struct vma *v = vma_find(mm, addr);
	if (!v)
		return -EFAULT;
	if ((access & PROT_WRITE) && !(v->prot & PROT_WRITE))
		return -EFAULT;
	if ((access & PROT_EXEC) && !(v->prot & PROT_EXEC))
		return -EFAULT;
	if ((access & PROT_READ) && !(v->prot & (PROT_READ | PROT_WRITE | PROT_EXEC)))
		return -EFAULT;
	uint64_t page = addr & PAGE_MASK;
	unsigned cur;
	if (PAL(mem_query, mm->as, page, &cur) == 0) {
		unsigned want = prot_to_pal(v->prot);
		if (cur == want) {
			/*
			 * Another thread's fault mapped the page after this one
			 * faulted (its exception was already on its way): the
			 * access is allowed now, so it is retried.
			 */
			unsigned need = ((access & PROT_WRITE) ? PAL_PROT_W : 0) |
					((access & PROT_EXEC) ? PAL_PROT_X : 0) |
					((access & PROT_READ) ? PAL_PROT_R : 0);
			return (cur & need) == need && need ? 0 : -EFAULT;
		}
		/* mapped: the access was refused by the page permissions */
		return PAL(mem_protect, mm->as, page, PAGE_SIZE, want);
	}
	const void *init = NULL;
	size_t init_len = 0;
	if (v->shm && shm_inode(v->shm)) {
		/* a shared file mapping: the file's current contents */
		uint8_t *pg = kmalloc(PAGE_SIZE);
		if (!pg)
			return -EFAULT;
		int r = shm_fill_page(v, page, pg);
		if (!r)
			r = res_mem_charge(1);
		if (!r) {
			g.stats.page_faults++;
			r = PAL(mem_map, mm->as, page, PAGE_SIZE, prot_to_pal(v->prot), pg, PAGE_SIZE);
		}
		kfree(pg);
		return r;
	}
	if ((v->flags & VMA_EOFBUS) && v->file &&
	    v->file_off + (page - v->start) >= kalign_up(v->file->size, PAGE_SIZE))
		return -EIO; /* past the end of the mapped file: SIGBUS (BUS_ADRERR) */
	if (v->file) {
		uint64_t off = v->file_off + (page - v->start);
		uint64_t fend = v->file_end > page ? v->file_end - page : 0;
		if (fend > PAGE_SIZE)
			fend = PAGE_SIZE;
		if (off < v->file->size) {
			init = v->file->data + off;
			init_len = KMIN((size_t)fend, v->file->size - off);
		}
	}
	int rc = res_mem_charge(1);
	if (rc)
		return rc;
	g.stats.page_faults++;
	return PAL(mem_map, mm->as, page, PAGE_SIZE, prot_to_pal(v->prot), init, init_len);
}

int mm_fault_range(struct mm *mm, uint64_t addr, uint64_t len, unsigned access)
{
	if (len == 0)
		return 0;
	uint64_t end = addr + len;
	if (end < addr || end > USER_VA_LIMIT)
		return -EFAULT;
	for (uint64_t p = addr & PAGE_MASK; p < end; p += PAGE_SIZE) {
		unsigned cur;
		if (PAL(mem_query, mm->as, p, &cur) == 0) {
			bool ok = (access & PROT_WRITE) ? (cur & PAL_PROT_W) : (cur & PAL_PROT_R);
			if (ok)
				continue;
		}
		int r = mm_fault(mm, p < addr ? addr : p, access);
		if (r)
			return r;
	}
	return 0;
}

/* A private executable mapping of a file (a program's or library's text). */
static bool vma_is_text(const struct vma *v)
{
	return (v->flags & VMA_FILE) && (v->prot & PROT_EXEC) && v->file && !v->shm;
}

void mm_populate_text(struct mm *mm)
{
	uint64_t n = 0;

	for (struct vma *v = mm->vmas; v; v = v->next)
		if (vma_is_text(v))
			n += (v->end - v->start) / PAGE_SIZE;
	if (n == 0 || n > MM_POPULATE_TEXT_MAX)
		return;
	if (g.cfg.mem_limit_pages && g.pal.mem_pages) {
		uint64_t used = PAL(mem_pages);
		if (used >= g.cfg.mem_limit_pages || n > (g.cfg.mem_limit_pages - used) / 2)
			return;
	}
	for (struct vma *v = mm->vmas; v; v = v->next) {
		if (!vma_is_text(v))
			continue;
		for (uint64_t a = v->start; a < v->end; a += PAGE_SIZE)
			if (mm_fault(mm, a, PROT_READ) != 0)
				return; /* out of memory or past the file's end: the rest on demand */
	}
}

struct mm *mm_fork(struct mm *src)
{
	struct mm *d = mm_new();
	if (!d)
		return NULL;
	d->brk_start = src->brk_start;
	d->brk = src->brk;
	d->stack_top = src->stack_top;
	d->mmap_top = src->mmap_top;
	for (struct vma *v = src->vmas; v; v = v->next) {
		if (vma_add(d, v->start, v->end, v->prot, v->flags, v->file, v->file_off,
			    v->file_end, v->name)) {
			mm_put(d);
			return NULL;
		}
		if (v->shm) {
			struct vma *dv = vma_find(d, v->start);
			shm_get(v->shm);
			dv->shm = v->shm;
			dv->shm_off = v->shm_off;
		}
		if (v->shm ? shm_fork_vma(d, src, v) :
			     PAL(mem_copy_as, d->as, src->as, v->start, v->end - v->start)) {
			mm_put(d);
			return NULL;
		}
	}
	/* the copies are charged at once (no copy-on-write): over the limit, the OOM kill */
	if (res_mem_charge(0)) {
		mm_put(d);
		return NULL;
	}
	return d;
}

struct fbuf *mm_maps_text(struct mm *mm)
{
	size_t cap = 128 + (size_t)mm->nvmas * 160;
	char *s = kmalloc(cap);
	if (!s)
		return NULL;
	size_t len = 0;
	for (struct vma *v = mm->vmas; v; v = v->next) {
		const char *nm = v->name ? v->name :
				 (v->flags & VMA_HEAP) ? "[heap]" :
				 (v->flags & VMA_STACK) ? "[stack]" :
				 (v->flags & VMA_SIGPAGE) ? "[vdso]" : "";
		len += (size_t)ksnprintf(s + len, cap - len,
					 "%08lx-%08lx %c%c%c%c %08lx 00:00 %lu %s%s\n",
					 (unsigned long)v->start, (unsigned long)v->end,
					 v->prot & PROT_READ ? 'r' : '-',
					 v->prot & PROT_WRITE ? 'w' : '-',
					 v->prot & PROT_EXEC ? 'x' : '-',
					 v->flags & VMA_SHARED ? 's' : 'p',
					 (unsigned long)(v->file ? v->file_off : v->shm ? v->shm_off : 0),
					 (unsigned long)(v->file || shm_inode(v->shm) ? 1 : 0), *nm ? "                          " : "",
					 nm);
		if (len >= cap)
			len = cap - 1;
	}
	struct fbuf *b = fbuf_new(len);
	if (b)
		memcpy(b->data, s, len);
	kfree(s);
	return b;
}
