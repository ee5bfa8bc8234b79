/*
 * What the CPU engine's tests share (test_cpu.c, test_cpu_share.c): the
 * guest loader, running to an exit, and the tests of the second file that
 * test_cpu.c's main registers.
 */
#ifndef TESTS_UNIT_CPU_CPU_TEST_H
#define TESTS_UNIT_CPU_CPU_TEST_H

#include <stddef.h>
#include <stdint.h>

#include "plat/emu/cpu/cpu.h"

#define BRK_DONE 0x100 /* `brk #0x100`: a snippet or program is done */

/* A static arm64 ELF from the guest directory, loaded into an address space of its own. */
struct guest {
	struct cpu_as *as;
	uint8_t *file;
	size_t file_len;
	uint64_t entry;
	uint8_t *img; /* host copy of [lo, hi) */
	uint64_t lo, hi;
	uint8_t *stack;
	uint64_t sp; /* initial sp: argc, argv, envp, auxv */
};

/* len bytes of zeroed, page-aligned host memory (fails the test if none). */
void *host_pages(size_t len);
/* Load guest `name` into a new address space; every page also gets extra_prot. */
void guest_load(struct guest *g, const char *name, unsigned extra_prot);
void guest_free(struct guest *g);
/* Run until an exit other than a timeslice. */
struct cpu_exit run(struct cpu_vcpu *v);
/* Run and expect `brk #0x100`. */
void expect_done(struct cpu_vcpu *v);
/* Run a program answering write and exit_group (any other call fails); its exit code. */
int run_program(struct cpu_vcpu *v, struct cpu_as *as, uint8_t *out, size_t *out_len);

/* test_cpu_share.c */
void test_shared_translation(void **state);
void test_shared_translation_program(void **state);

#endif
