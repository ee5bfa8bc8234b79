/*
 * Address spaces of the CPU engine: the flat page tables vCPUs translate
 * guest addresses with (layout in cpu_internal.h), their updates, and the
 * code-cache invalidations that updates of executable pages require.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memfd_create */
#endif
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "plat/emu/cpu/cpu_internal.h"

static bool range_ok(uint64_t va, size_t len)
{
	return len > 0 && (va & (CPU_PAGE_SIZE - 1)) == 0 && (len & (CPU_PAGE_SIZE - 1)) == 0 &&
	       va < CPU_VA_LIMIT && len <= CPU_VA_LIMIT - va;
}

struct cpu_as *cpu_as_create(void)
{
	struct cpu_as *as = calloc(1, sizeof(*as));
	if (!as)
		return NULL;
	as->memfd = memfd_create("realmbox-cpu-pt", MFD_CLOEXEC);
	if (as->memfd < 0)
		goto fail;
	if (ftruncate(as->memfd, (off_t)CPU_TABLE_BYTES) != 0)
		goto fail;
	as->pt = mmap(NULL, CPU_TABLE_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
		      as->memfd, 0);
	if (as->pt == MAP_FAILED) {
		as->pt = NULL;
		goto fail;
	}
	as->shadow = mmap(NULL, CPU_TABLE_BYTES, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (as->shadow == MAP_FAILED) {
		as->shadow = NULL;
		goto fail;
	}
	pthread_mutex_init(&as->lock, NULL);
	return as;
fail:
	if (as->pt)
		munmap(as->pt, CPU_TABLE_BYTES);
	if (as->memfd >= 0)
		close(as->memfd);
	free(as);
	return NULL;
}

int cpu_as_destroy(struct cpu_as *as)
{
	if (!as)
		return 0;
	pthread_mutex_lock(&as->lock);
	unsigned n = as->nvcpus;
	pthread_mutex_unlock(&as->lock);
	if (n)
		return -EBUSY;
	munmap(as->pt, CPU_TABLE_BYTES);
	munmap(as->shadow, CPU_TABLE_BYTES);
	close(as->memfd);
	pthread_mutex_destroy(&as->lock);
	free(as->vcpus);
	free(as);
	return 0;
}

int cpu_as_link_vcpu(struct cpu_as *as, struct cpu_vcpu *vcpu)
{
	pthread_mutex_lock(&as->lock);
	if (as->nvcpus == as->cap) {
		unsigned cap = as->cap ? as->cap * 2 : 8;
		struct cpu_vcpu **v = realloc(as->vcpus, cap * sizeof(*v));
		if (!v) {
			pthread_mutex_unlock(&as->lock);
			return -ENOMEM;
		}
		as->vcpus = v;
		as->cap = cap;
	}
	as->vcpus[as->nvcpus++] = vcpu;
	pthread_mutex_unlock(&as->lock);
	return 0;
}

void cpu_as_unlink_vcpu(struct cpu_as *as, struct cpu_vcpu *vcpu)
{
	pthread_mutex_lock(&as->lock);
	for (unsigned i = 0; i < as->nvcpus; i++) {
		if (as->vcpus[i] == vcpu) {
			as->vcpus[i] = as->vcpus[--as->nvcpus];
			break;
		}
	}
	pthread_mutex_unlock(&as->lock);
}

void cpu_as_invalidate(struct cpu_as *as, uint64_t va, size_t len)
{
	if (!len)
		return;
	pthread_mutex_lock(&as->lock);
	for (unsigned i = 0; i < as->nvcpus; i++)
		cpu_vcpu_invalidate(as->vcpus[i], va, len);
	pthread_mutex_unlock(&as->lock);
}

/*
 * Store one page's new entry. Order for lock-free readers: the fast-path
 * entry goes away before the shadow changes, and comes back only after, so
 * a reader never sees a fast-path pointer that the shadow does not allow.
 */
static void set_page(struct cpu_as *as, uint64_t pn, uint64_t pte)
{
	__atomic_store_n(&as->pt[pn], NULL, __ATOMIC_RELEASE);
	__atomic_store_n(&as->shadow[pn], pte, __ATOMIC_RELEASE);
	if ((pte & CPU_PTE_VALID) && (pte & (CPU_PTE_R | CPU_PTE_W)) == (CPU_PTE_R | CPU_PTE_W))
		__atomic_store_n(&as->pt[pn], (void *)(uintptr_t)(pte & CPU_PTE_ADDR_MASK),
				 __ATOMIC_RELEASE);
}

/* Tracks the span of executable pages that changed, for one invalidation. */
struct xspan {
	uint64_t lo, hi;
};

static void xspan_note(struct xspan *s, uint64_t old, uint64_t new_, uint64_t va)
{
	if (old == new_ || !((old | new_) & CPU_PTE_X))
		return;
	if (s->hi == 0 || va < s->lo)
		s->lo = va;
	if (va + CPU_PAGE_SIZE > s->hi)
		s->hi = va + CPU_PAGE_SIZE;
}

static void xspan_flush(struct cpu_as *as, const struct xspan *s)
{
	if (s->hi)
		cpu_as_invalidate(as, s->lo, s->hi - s->lo);
}

int cpu_as_map(struct cpu_as *as, uint64_t va, void *host, size_t len, unsigned prot)
{
	uintptr_t h = (uintptr_t)host;
	if (!as || !range_ok(va, len) || (h & (CPU_PAGE_SIZE - 1)) || !h || (prot & ~7u))
		return -EINVAL;
	struct xspan xs = {0, 0};
	pthread_mutex_lock(&as->lock);
	for (uint64_t off = 0; off < len; off += CPU_PAGE_SIZE) {
		uint64_t pn = (va + off) >> CPU_PAGE_SHIFT;
		uint64_t pte = (uint64_t)(h + off) | prot | CPU_PTE_VALID;
		uint64_t old = as->shadow[pn];
		xspan_note(&xs, old, pte, va + off);
		set_page(as, pn, pte);
	}
	pthread_mutex_unlock(&as->lock);
	xspan_flush(as, &xs);
	return 0;
}

int cpu_as_unmap(struct cpu_as *as, uint64_t va, size_t len)
{
	if (!as || !range_ok(va, len))
		return -EINVAL;
	struct xspan xs = {0, 0};
	pthread_mutex_lock(&as->lock);
	for (uint64_t off = 0; off < len; off += CPU_PAGE_SIZE) {
		uint64_t pn = (va + off) >> CPU_PAGE_SHIFT;
		uint64_t old = as->shadow[pn];
		if (!old)
			continue;
		xspan_note(&xs, old, 0, va + off);
		set_page(as, pn, 0);
	}
	pthread_mutex_unlock(&as->lock);
	xspan_flush(as, &xs);
	return 0;
}

int cpu_as_protect(struct cpu_as *as, uint64_t va, size_t len, unsigned prot)
{
	if (!as || !range_ok(va, len) || (prot & ~7u))
		return -EINVAL;
	struct xspan xs = {0, 0};
	pthread_mutex_lock(&as->lock);
	for (uint64_t off = 0; off < len; off += CPU_PAGE_SIZE) {
		if (!(as->shadow[(va + off) >> CPU_PAGE_SHIFT] & CPU_PTE_VALID)) {
			pthread_mutex_unlock(&as->lock);
			return -ENOENT;
		}
	}
	for (uint64_t off = 0; off < len; off += CPU_PAGE_SIZE) {
		uint64_t pn = (va + off) >> CPU_PAGE_SHIFT;
		uint64_t old = as->shadow[pn];
		uint64_t pte = (old & ~CPU_PTE_PROT_MASK) | prot;
		xspan_note(&xs, old, pte, va + off);
		set_page(as, pn, pte);
	}
	pthread_mutex_unlock(&as->lock);
	xspan_flush(as, &xs);
	return 0;
}

int cpu_as_query(const struct cpu_as *as, uint64_t va, void **host, unsigned *prot)
{
	uint64_t pte = cpu_as_pte(as, va);
	if (!(pte & CPU_PTE_VALID))
		return -ENOENT;
	if (host)
		*host = (void *)(uintptr_t)((pte & CPU_PTE_ADDR_MASK) | (va & (CPU_PAGE_SIZE - 1)));
	if (prot)
		*prot = (unsigned)(pte & CPU_PTE_PROT_MASK);
	return 0;
}

static int copy(const struct cpu_as *as, uint64_t va, void *buf, size_t len, bool write)
{
	uint8_t *b = buf;
	uint64_t need = write ? CPU_PTE_W : CPU_PTE_R;
	while (len) {
		uint64_t pte = cpu_as_pte(as, va);
		if (!(pte & CPU_PTE_VALID) || !(pte & need) || va + len < va)
			return -EFAULT;
		uint64_t off = va & (CPU_PAGE_SIZE - 1);
		size_t n = CPU_PAGE_SIZE - off;
		if (n > len)
			n = len;
		uint8_t *h = (uint8_t *)(uintptr_t)(pte & CPU_PTE_ADDR_MASK) + off;
		if (write)
			memcpy(h, b, n);
		else
			memcpy(b, h, n);
		va += n;
		b += n;
		len -= n;
	}
	return 0;
}

int cpu_as_read(const struct cpu_as *as, uint64_t va, void *buf, size_t len)
{
	return copy(as, va, buf, len, false);
}

int cpu_as_write(struct cpu_as *as, uint64_t va, const void *buf, size_t len)
{
	int ret = copy(as, va, (void *)buf, len, true);
	/* Writes into executable pages change code: drop its translations. */
	struct xspan xs = {0, 0};
	for (uint64_t p = va & ~(CPU_PAGE_SIZE - 1); len && p < va + len && p < CPU_VA_LIMIT;
	     p += CPU_PAGE_SIZE) {
		if (cpu_as_pte(as, p) & CPU_PTE_X)
			xspan_note(&xs, 0, CPU_PTE_X, p);
	}
	xspan_flush(as, &xs);
	return ret;
}
