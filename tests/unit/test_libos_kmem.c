/*
 * The library OS's allocators (libos/kmem.c): pages come back whole after
 * any mix of allocations, small objects are reused, exhaustion is NULL;
 * kzero_sparse (libos/klib.c) clears without making zero pages resident.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "libos/klib.h"
#include "libos/kmem.h"

#define REGION (4UL << 20)

static void *region;

static int setup(void **state)
{
	region = aligned_alloc(4096, REGION);
	assert_non_null(region);
	assert_int_equal(kmem_init(region, REGION), 0);
	return 0;
}

static int teardown(void **state)
{
	free(region);
	return 0;
}

static void test_pages_return_whole(void **state)
{
	struct kmem_stats st0, st;
	kmem_stats(&st0);
	assert_true(st0.total_pages > 900);
	void *p[64];
	for (int i = 0; i < 64; i++) {
		p[i] = kpage_alloc((size_t)(i % 5) + 1);
		assert_non_null(p[i]);
		memset(p[i], 0xab, ((size_t)(i % 5) + 1) * KPAGE_SIZE);
	}
	/* free in an interleaved order so coalescing is exercised both ways */
	for (int i = 0; i < 64; i += 2)
		kpage_free(p[i], (size_t)(i % 5) + 1);
	for (int i = 63; i > 0; i -= 2)
		kpage_free(p[i], (size_t)(i % 5) + 1);
	kmem_stats(&st);
	assert_int_equal(st.free_pages, st0.free_pages);
	/* one allocation of everything succeeds again: the extents merged */
	void *all = kpage_alloc(st.free_pages);
	assert_non_null(all);
	assert_null(kpage_alloc(1));
	kpage_free(all, st.free_pages);
}

static void test_small_objects(void **state)
{
	struct kmem_stats st0, st;
	kmem_stats(&st0);
	void *a = kmalloc(10), *b = kmalloc(10);
	assert_non_null(a);
	assert_non_null(b);
	assert_ptr_not_equal(a, b);
	assert_int_equal(ksize(a), 16);
	assert_int_equal(ksize(kmalloc(1000)), 1024);
	void *big = kmalloc(3 * 4096 + 1);
	assert_non_null(big);
	assert_int_equal(ksize(big), 4 * 4096);
	kfree(a);
	void *c = kmalloc(16);
	assert_ptr_equal(a, c); /* freed slot reused */
	kfree(b);
	kfree(c);
	kfree(big);
	char *s = kstrdup("hello");
	assert_string_equal(s, "hello");
	kfree(s);
	void *z = kzalloc(100);
	for (int i = 0; i < 100; i++)
		assert_int_equal(((uint8_t *)z)[i], 0);
	kfree(z);
	kmem_stats(&st);
	assert_int_equal(st.objects, st0.objects + 1); /* the 1000-byte object above */
}

static void test_exhaustion(void **state)
{
	size_t n = 0;
	void *last = NULL;
	while ((last = kmalloc(64 * 1024)) != NULL)
		n++;
	assert_true(n > 10);
	assert_null(kmalloc(64 * 1024));
	assert_null(kpage_alloc(16)); /* fewer than 16 pages can be left */
}

static void test_bad_region(void **state)
{
	char small[4096];
	assert_int_not_equal(kmem_init(small, sizeof(small)), 0);
}

static long resident_kib(void)
{
	long size = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	assert_non_null(f);
	assert_int_equal(fscanf(f, "%ld %ld", &size, &res), 2);
	fclose(f);
	return res * (sysconf(_SC_PAGESIZE) / 1024);
}

/* A big table in fresh memory: cleared, but only the pages with content are written. */
static void test_zero_sparse(void **state)
{
	enum { PAGES = 256 }; /* 1 MiB */
	uint8_t *t = mmap(NULL, PAGES * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	assert_true(t != MAP_FAILED);
	t[5 * 4096 + 17] = 1;              /* one dirty page */
	t[PAGES * 4096 - 1] = 2;           /* the last byte */
	long r0 = resident_kib();
	kzero_sparse(t + 3, PAGES * 4096 - 3); /* unaligned start: the first page is partial */
	long r1 = resident_kib();
	for (size_t i = 0; i < PAGES * 4096; i++)
		assert_int_equal(t[i], 0);
	long r2 = resident_kib();
	print_message("[ mem  ] kzero_sparse of 1 MiB, 2 pages written: +%ld KiB resident\n", r1 - r0);
	assert_true(r1 - r0 < 256); /* a memset: +1016 KiB */
	(void)r2;
	/* short and unaligned ranges are plain memsets */
	memset(t, 0xEE, 100);
	kzero_sparse(t + 10, 50);
	assert_int_equal(t[9], 0xEE);
	assert_int_equal(t[10], 0);
	assert_int_equal(t[59], 0);
	assert_int_equal(t[60], 0xEE);
	munmap(t, PAGES * 4096);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pages_return_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_small_objects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exhaustion, setup, teardown),
		cmocka_unit_test(test_bad_region),
		cmocka_unit_test(test_zero_sparse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
