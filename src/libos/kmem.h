/*
 * The library OS's memory: one region handed over at init (in a realm, the
 * System Realm's own granules), managed by a page allocator (first fit over
 * a sorted list of free extents, coalescing) and a small-object allocator
 * (size classes 16..2048 bytes carved from pages). Never malloc/free.
 */
#ifndef LIBOS_KMEM_H
#define LIBOS_KMEM_H

#include <stddef.h>
#include <stdint.h>

#define KPAGE_SIZE 4096UL

/*
 * Take over [base, base+size) as a new heap (page aligned; the first pages
 * hold the allocator's state and metadata) and select it. Returns 0 or
 * -EINVAL if the region is too small. Several heaps may exist (one per
 * library OS instance); every call below works on the selected one, and
 * an object must be freed while the heap it came from is selected.
 */
int kmem_init(void *base, size_t size);

struct kmem_heap;
/* The selected heap (NULL before the first kmem_init). */
struct kmem_heap *kmem_current(void);
/* Select heap h (from kmem_current after its kmem_init). */
void kmem_select(struct kmem_heap *h);

/* n contiguous pages (not zeroed), NULL when out of memory. */
void *kpage_alloc(size_t n);
void kpage_free(void *p, size_t n);

/* Objects of any size (> 2048 bytes: whole pages). NULL when out of memory. */
void *kmalloc(size_t size);
void *kzalloc(size_t size);
void kfree(void *p);
/* Usable size of an object from kmalloc. */
size_t ksize(const void *p);
/* Duplicate a string; NULL when out of memory. */
char *kstrdup(const char *s);

struct kmem_stats {
	size_t total_pages, free_pages;
	size_t objects; /* live kmalloc objects */
};
void kmem_stats(struct kmem_stats *st);

#endif /* LIBOS_KMEM_H */
