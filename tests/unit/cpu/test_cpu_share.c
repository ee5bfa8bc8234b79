/*
 * Shared translation in the CPU engine (plat/emu/cpu/README.md): a vCPU's
 * compiled code kept for the next address space, and only for the bytes
 * that address space has. Part of test_cpu (its main registers these).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <sys/mman.h>

#include "plat/emu/cpu/cpu.h"
#include "cpu_test.h"

#define SHARE_VA 0x400000ULL

/* One code page: at +0 `mov x0, #a; brk #0x100`, at +0x800 `mov x0, #b; brk #0x100`. */
static uint32_t *share_page(unsigned a, unsigned b)
{
	uint32_t *code = host_pages(4096);
	code[0] = 0xd2800000 | (a << 5);
	code[1] = 0xd4200000 | (BRK_DONE << 5);
	code[0x200] = 0xd2800000 | (b << 5);
	code[0x201] = 0xd4200000 | (BRK_DONE << 5);
	return code;
}

static struct cpu_as *share_as(uint32_t *code, unsigned prot)
{
	struct cpu_as *as = cpu_as_create();
	assert_non_null(as);
	assert_int_equal(cpu_as_map(as, SHARE_VA, code, 4096, prot), 0);
	return as;
}

/* Attach v to as, run from off, return x0 and the words translated meanwhile. */
static uint64_t share_run(struct cpu_vcpu *v, struct cpu_as *as, uint64_t off, uint64_t *words)
{
	struct cpu_engine_stats a, b;
	assert_int_equal(cpu_attach(v, as), 0);
	cpu_engine_stats_read(&a);
	cpu_set_pc(v, SHARE_VA + off);
	expect_done(v);
	cpu_engine_stats_read(&b);
	if (words)
		*words = b.words_translated - a.words_translated;
	uint64_t x0 = cpu_get_x(v, 0);
	cpu_detach(v);
	return x0;
}

void test_shared_translation(void **state)
{
	assert_true(cpu_engine_shared_code());
	struct cpu_vcpu *v = cpu_create();
	assert_non_null(v);
	uint32_t *c1 = share_page(1, 5), *c2 = share_page(1, 5), *c3 = share_page(2, 5);
	struct cpu_as *as1 = share_as(c1, CPU_PROT_RX), *as2 = share_as(c2, CPU_PROT_RX),
		      *as3 = share_as(c3, CPU_PROT_RX);
	uint64_t w;
	struct cpu_engine_stats s0, s1;

	/* first process: compiles */
	assert_int_equal(share_run(v, as1, 0, &w), 1);
	assert_true(w >= 2);
	/* another address space, same bytes at the same address: nothing compiled */
	cpu_engine_stats_read(&s0);
	assert_int_equal(share_run(v, as2, 0, &w), 1);
	assert_int_equal(w, 0);
	cpu_engine_stats_read(&s1);
	assert_int_equal(s1.pages_kept - s0.pages_kept, 1);
	/* other bytes at that address: its own code runs (x0 = 2, not 1) */
	assert_int_equal(share_run(v, as3, 0, &w), 2);
	assert_true(w >= 2);
	cpu_engine_stats_read(&s0);
	assert_int_equal(s0.pages_dropped - s1.pages_dropped, 1);
	/* and back: the page of as3 is the footprint now, as1 differs from it */
	assert_int_equal(share_run(v, as1, 0, &w), 1);
	assert_true(w >= 2);

	/*
	 * execve in the same address space (realm's): the image is unmapped and
	 * mapped again while the vCPU is attached but not running. The same
	 * bytes keep their blocks; other bytes run as themselves.
	 */
	assert_int_equal(share_run(v, as1, 0, NULL), 1);
	assert_int_equal(cpu_attach(v, as1), 0);
	uint32_t *c1b = share_page(1, 5), *c1c = share_page(3, 5);
	assert_int_equal(cpu_as_unmap(as1, SHARE_VA, 4096), 0);
	assert_int_equal(cpu_as_map(as1, SHARE_VA, c1b, 4096, CPU_PROT_RX), 0);
	struct cpu_engine_stats a, b;
	cpu_engine_stats_read(&a);
	cpu_set_pc(v, SHARE_VA);
	expect_done(v);
	cpu_engine_stats_read(&b);
	assert_int_equal(cpu_get_x(v, 0), 1);
	assert_int_equal(b.words_translated - a.words_translated, 0);
	assert_int_equal(cpu_as_unmap(as1, SHARE_VA, 4096), 0);
	assert_int_equal(cpu_as_map(as1, SHARE_VA, c1c, 4096, CPU_PROT_RX), 0);
	cpu_set_pc(v, SHARE_VA);
	expect_done(v);
	assert_int_equal(cpu_get_x(v, 0), 3);
	/* unmapped while not running: an instruction abort, not the kept block */
	assert_int_equal(cpu_as_unmap(as1, SHARE_VA, 4096), 0);
	cpu_set_pc(v, SHARE_VA);
	assert_int_equal(run(v).kind, CPU_EXIT_IABT);
	cpu_detach(v);
	assert_int_equal(cpu_as_map(as1, SHARE_VA, c1, 4096, CPU_PROT_RX), 0);
	munmap(c1b, 4096);
	munmap(c1c, 4096);

	/* a page that is not executable there: an instruction abort, not the cached block */
	struct cpu_as *asnx = share_as(c2, CPU_PROT_R);
	assert_int_equal(cpu_attach(v, asnx), 0);
	cpu_set_pc(v, SHARE_VA);
	struct cpu_exit e = run(v);
	assert_int_equal(e.kind, CPU_EXIT_IABT);
	cpu_detach(v);

	/*
	 * Code changed without an invalidation (a store into an RWX page with
	 * no IC IVAU; architecturally the old code may still run): the block
	 * at +0x800 is compiled from bytes other than the footprint's copy of
	 * the page, so the cache must not move to an address space that holds
	 * the copy's bytes: there `mov x0, #5` runs, never the changed `#7`.
	 */
	uint32_t *c4 = share_page(1, 5), *c5 = share_page(1, 5);
	struct cpu_as *as4 = share_as(c4, CPU_PROT_RWX), *as5 = share_as(c5, CPU_PROT_RX);
	assert_int_equal(cpu_attach(v, as4), 0);
	cpu_set_pc(v, SHARE_VA);
	expect_done(v);                        /* the page is copied here */
	c4[0x200] = 0xd2800000 | (7 << 5);     /* mov x0, #7, no invalidation */
	cpu_set_pc(v, SHARE_VA + 0x800);
	expect_done(v);
	assert_int_equal(cpu_get_x(v, 0), 7);
	cpu_detach(v);
	assert_int_equal(share_run(v, as5, 0x800, &w), 5);
	assert_true(w >= 2);

	/* through the pool: cpu_put keeps the code, cpu_get hands it out */
	assert_int_equal(share_run(v, as1, 0, NULL), 1);
	assert_int_equal(cpu_pool_init(2), 0);
	cpu_put(v);
	struct cpu_vcpu *p = cpu_get();
	assert_non_null(p);
	if (p == v) { /* the pool is a stack: the vCPU just given back */
		assert_int_equal(share_run(p, as2, 0, &w), 1);
		assert_int_equal(w, 0);
	} else {
		print_message("[ note ] the pool handed out another vCPU\n");
	}
	v = p;

	/* off: every attach starts from an empty cache */
	cpu_engine_set_shared_code(false);
	assert_int_equal(share_run(v, as1, 0, NULL), 1);
	assert_int_equal(share_run(v, as2, 0, &w), 1);
	assert_true(w >= 2);
	cpu_engine_set_shared_code(true);

	cpu_put(v);
	struct cpu_as *all[] = {as1, as2, as3, asnx, as4, as5};
	for (unsigned i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		assert_int_equal(cpu_as_destroy(all[i]), 0);
	uint32_t *pages[] = {c1, c2, c3, c4, c5};
	for (unsigned i = 0; i < sizeof(pages) / sizeof(pages[0]); i++)
		munmap(pages[i], 4096);
}

/*
 * tests/guest/hello.c on v attached to g for the run: its made-up call
 * 0x1234 answered with 1000, then run_program.
 */
static int run_hello(struct cpu_vcpu *v, struct guest *g, uint8_t *out, size_t *n)
{
	assert_int_equal(cpu_attach(v, g->as), 0);
	cpu_set_pc(v, g->entry);
	cpu_set_sp(v, g->sp);
	struct cpu_exit e = run(v);
	assert_int_equal(e.kind, CPU_EXIT_SVC);
	assert_int_equal(cpu_get_x(v, 8), 0x1234);
	cpu_set_x(v, 0, 1000);
	int st = run_program(v, g->as, out, n);
	cpu_detach(v);
	return st;
}

/*
 * A whole program twice, in two address spaces loaded from the same file:
 * the second run translates (almost) nothing and prints the same.
 */
void test_shared_translation_program(void **state)
{
	struct guest g1, g2;
	uint8_t out1[256], out2[256];
	size_t n1 = 0, n2 = 0;
	struct cpu_engine_stats a, b, c;
	struct cpu_vcpu *v = cpu_create();
	assert_non_null(v);

	guest_load(&g1, "hello", 0);
	guest_load(&g2, "hello", 0);
	cpu_engine_stats_read(&a);
	int st1 = run_hello(v, &g1, out1, &n1);
	cpu_engine_stats_read(&b);
	int st2 = run_hello(v, &g2, out2, &n2);
	cpu_engine_stats_read(&c);
	assert_int_equal(st1, st2);
	assert_int_equal(n1, n2);
	assert_memory_equal(out1, out2, n1);
	print_message("[ count] hello: %lu words translated in the first address space, %lu in the second\n",
		      (unsigned long)(b.words_translated - a.words_translated),
		      (unsigned long)(c.words_translated - b.words_translated));
	assert_true(b.words_translated - a.words_translated > 0);
	assert_int_equal(c.words_translated - b.words_translated, 0);
	cpu_destroy(v);
	guest_free(&g1);
	guest_free(&g2);
}
