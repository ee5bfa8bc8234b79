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
 * Take over [base, base+size) (page aligned; the first pages hold the
 * allocator's metadata). Returns 0 or -EINVAL if the region is too small.
 */
int kmem_init(void *base, size_t size);

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
