/*
 * Page and small-object allocators of the library OS (kmem.h).
 *
 * Layout of the region: meta[] (one uint32_t per page) followed by the
 * pages. meta values: 0 = free or interior of a large allocation,
 * 1..NCLASS = slab page of that size class, KM_LARGE | n = first page of
 * an n-page kmalloc allocation. Free pages form extents, each starting
 * with a struct extent, sorted by address.
 */
#include "libos/kmem.h"
#include "libos/klib.h"
#include "lib/errno.h"
#include "lib/spinlock.h"

#define NCLASS 8 /* 16 .. 2048 */
#define KM_LARGE 0x80000000u

struct extent {
	size_t npages;
	struct extent *next;
};

struct fobj {
	struct fobj *next;
};

/* A heap's state, at the start of its region. */
struct kmem_heap {
	spinlock_t lock;
	uint8_t *pages;
	size_t npages;
	uint32_t *meta;
	struct extent *free;
	size_t free_pages;
	struct fobj *cls_free[NCLASS];
	size_t objects;
};

static struct kmem_heap *kh; /* the selected heap */
#define km (*kh)

int kmem_init(void *base, size_t size)
{
	uintptr_t b = kalign_up((uintptr_t)base, KPAGE_SIZE);
	uintptr_t e = kalign_down((uintptr_t)base + size, KPAGE_SIZE);
	if (e <= b || (e - b) / KPAGE_SIZE < 16)
		return -EINVAL;
	size_t total = (e - b) / KPAGE_SIZE;
	size_t head = kalign_up(sizeof(struct kmem_heap), 64);
	size_t meta_pages = kalign_up(head + total * sizeof(uint32_t), KPAGE_SIZE) / KPAGE_SIZE;
	struct kmem_heap *h = (struct kmem_heap *)b;
	memset(h, 0, sizeof(*h));
	h->meta = (uint32_t *)(b + head);
	h->pages = (uint8_t *)(b + meta_pages * KPAGE_SIZE);
	h->npages = total - meta_pages;
	/* one entry per page (1 MiB for 1 GiB): clear it without writing what is zero already */
	kzero_sparse(h->meta, h->npages * sizeof(uint32_t));
	h->free = (struct extent *)h->pages;
	h->free->npages = h->npages;
	h->free->next = NULL;
	h->free_pages = h->npages;
	kh = h;
	return 0;
}

struct kmem_heap *kmem_current(void)
{
	return kh;
}

void kmem_select(struct kmem_heap *h)
{
	kh = h;
}

static size_t page_index(const void *p)
{
	return ((const uint8_t *)p - km.pages) / KPAGE_SIZE;
}

static void *page_alloc_locked(size_t n)
{
	struct extent **pp = &km.free;
	if (n == 0)
		return NULL;
	for (struct extent *x = km.free; x; pp = &x->next, x = x->next) {
		if (x->npages < n)
			continue;
		if (x->npages == n) {
			*pp = x->next;
		} else {
			struct extent *rest = (struct extent *)((uint8_t *)x + n * KPAGE_SIZE);
			rest->npages = x->npages - n;
			rest->next = x->next;
			*pp = rest;
		}
		km.free_pages -= n;
		return x;
	}
	return NULL;
}

static void page_free_locked(void *p, size_t n)
{
	struct extent *f = p, *prev = NULL, *x = km.free;
	while (x && (uint8_t *)x < (uint8_t *)p) {
		prev = x;
		x = x->next;
	}
	f->npages = n;
	f->next = x;
	if (prev)
		prev->next = f;
	else
		km.free = f;
	km.free_pages += n;
	if (x && (uint8_t *)f + n * KPAGE_SIZE == (uint8_t *)x) {
		f->npages += x->npages;
		f->next = x->next;
	}
	if (prev && (uint8_t *)prev + prev->npages * KPAGE_SIZE == (uint8_t *)f) {
		prev->npages += f->npages;
		prev->next = f->next;
	}
}

void *kpage_alloc(size_t n)
{
	spinlock_acquire(&km.lock);
	void *p = page_alloc_locked(n);
	spinlock_release(&km.lock);
	return p;
}

void kpage_free(void *p, size_t n)
{
	if (!p || !n)
		return;
	spinlock_acquire(&km.lock);
	page_free_locked(p, n);
	spinlock_release(&km.lock);
}

static int size_class(size_t size)
{
	size_t s = 16;
	for (int c = 0; c < NCLASS; c++, s <<= 1)
		if (size <= s)
			return c;
	return -1;
}

void *kmalloc(size_t size)
{
	int c = size_class(size ? size : 1);
	void *r = NULL;
	spinlock_acquire(&km.lock);
	if (c < 0) {
		size_t n = kalign_up(size, KPAGE_SIZE) / KPAGE_SIZE;
		if (n >= KM_LARGE)
			goto out;
		r = page_alloc_locked(n);
		if (r)
			km.meta[page_index(r)] = KM_LARGE | (uint32_t)n;
	} else {
		if (!km.cls_free[c]) {
			uint8_t *pg = page_alloc_locked(1);
			if (!pg)
				goto out;
			km.meta[page_index(pg)] = (uint32_t)c + 1;
			size_t osz = 16UL << c;
			for (size_t off = 0; off + osz <= KPAGE_SIZE; off += osz) {
				struct fobj *o = (struct fobj *)(pg + off);
				o->next = km.cls_free[c];
				km.cls_free[c] = o;
			}
		}
		r = km.cls_free[c];
		km.cls_free[c] = km.cls_free[c]->next;
	}
	if (r)
		km.objects++;
out:
	spinlock_release(&km.lock);
	return r;
}

void *kzalloc(size_t size)
{
	void *p = kmalloc(size);
	if (p)
		memset(p, 0, size);
	return p;
}

size_t ksize(const void *p)
{
	uint32_t m = km.meta[page_index((const void *)kalign_down((uintptr_t)p, KPAGE_SIZE))];
	if (m & KM_LARGE)
		return (size_t)(m & ~KM_LARGE) * KPAGE_SIZE;
	return 16UL << (m - 1);
}

void kfree(void *p)
{
	if (!p)
		return;
	spinlock_acquire(&km.lock);
	size_t pi = page_index((void *)kalign_down((uintptr_t)p, KPAGE_SIZE));
	uint32_t m = km.meta[pi];
	if (m & KM_LARGE) {
		km.meta[pi] = 0;
		page_free_locked(p, m & ~KM_LARGE);
	} else if (m >= 1 && m <= NCLASS) {
		struct fobj *o = p;
		o->next = km.cls_free[m - 1];
		km.cls_free[m - 1] = o;
	}
	km.objects--;
	spinlock_release(&km.lock);
}

char *kstrdup(const char *s)
{
	size_t l = strlen(s);
	char *d = kmalloc(l + 1);
	if (d)
		memcpy(d, s, l + 1);
	return d;
}

void kmem_stats(struct kmem_stats *st)
{
	spinlock_acquire(&km.lock);
	st->total_pages = km.npages;
	st->free_pages = km.free_pages;
	st->objects = km.objects;
	spinlock_release(&km.lock);
}
