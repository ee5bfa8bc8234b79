/*
 * Fuzz target: the library OS's ELF loader (libos/loader.c) on in-memory
 * images: elf_load (elf_check, segment mapping, PT_INTERP resolution and the
 * interpreter's own load), then map_sigpage and build_stack as execve does,
 * then every page of every mapping is faulted in (mm_fault) and read back.
 * Input: u32 n (little-endian), n bytes of the program, the rest the
 * interpreter, installed as /lib/ld.so in the overlay; when n is larger
 * than what follows, the whole input is the program. Oracles besides the
 * sanitizers: the mappings are page aligned, sorted, disjoint and inside
 * the user VA space; each faulted page of a file mapping holds the file's
 * bytes up to the mapping's file end and zeros after it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libos/kernel.h"
#include "host_util.h"
#include "libos_env.h"

#define MAX_PAGES_CHECKED 64 /* per input: the fake PAL holds 4096 pages */

static void check(int cond, const char *what, uint64_t va)
{
	if (!cond) {
		fprintf(stderr, "fuzz_elf: %s (va %#llx)\n", what, (unsigned long long)va);
		abort();
	}
}

static void check_page(struct mm *mm, const struct vma *v, uint64_t page)
{
	uint8_t got[PAGE_SIZE];

	if (v->flags & (VMA_STACK | VMA_SIGPAGE))
		return; /* the loader's own contents (argv, env, auxv; the trampoline) */
	if (mm_fault(mm, page, PROT_READ) != 0 || !(v->prot & PROT_READ))
		return; /* not readable: nothing to compare */
	check(g.pal.copy_from_user(g.pal.ctx, mm->as, got, page, PAGE_SIZE) == 0,
	      "a faulted-in page cannot be read", page);
	for (uint64_t i = 0; i < PAGE_SIZE; i++) {
		uint64_t va = page + i;
		uint8_t want = 0;
		if (v->file && va < v->file_end) {
			uint64_t off = v->file_off + (va - v->start);
			want = off < v->file->size ? v->file->data[off] : 0;
		}
		check(got[i] == want, "page content is not the file's", va);
	}
}

static void check_mm(struct mm *mm)
{
	unsigned checked = 0;

	for (const struct vma *v = mm->vmas, *prev = NULL; v; prev = v, v = v->next) {
		check(v->start < v->end || (v->flags & VMA_HEAP), "empty mapping", v->start);
		check(v->start % PAGE_SIZE == 0 && v->end % PAGE_SIZE == 0, "misaligned", v->start);
		check(v->end <= USER_VA_LIMIT, "mapping beyond the user VA space", v->start);
		check(!prev || prev->end <= v->start, "overlapping or unsorted mappings", v->start);
		for (uint64_t p = v->start; p < v->end && checked < MAX_PAGES_CHECKED;
		     p += PAGE_SIZE, checked++) {
			check_page(mm, v, p);
			if (p - v->start >= 2 * PAGE_SIZE) /* first pages and the last one */
				p = KMAX(p, v->end - 2 * PAGE_SIZE);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *argv[] = {"/prog", "arg", NULL}, *envp[] = {"A=b", NULL};
	const uint8_t *prog = data, *interp = NULL;
	size_t prog_n = size, interp_n = 0;
	struct exec_image im;
	struct task *t;
	struct inode *ino;
	struct fbuf *b;
	struct mm *mm;
	uint32_t n;

	if (size >= 4) {
		memcpy(&n, data, 4);
		if (n <= size - 4) {
			prog = data + 4;
			prog_n = n;
			interp = prog + n;
			interp_n = size - 4 - n;
		}
	}
	t = fz_libos_begin();
	if (interp) {
		check(tmp_mkdir("/lib", 0755) == 0, "mkdir /lib", 0);
		check(tmp_create("/lib/ld.so", S_IFREG | 0755, &ino) == 0, "create ld.so", 0);
		/* a 0-byte write to an empty inode was UB (regressions/elf/tmp-write-empty) */
		check(tmp_write(ino, interp, interp_n, 0) == (long)interp_n, "write ld.so", 0);
	}
	b = fbuf_new(prog_n);
	mm = mm_new();
	check(b && mm, "out of library OS memory", 0);
	memcpy(b->data, prog, prog_n);
	if (elf_load(t, mm, b, "/prog", &im) == 0) {
		check(elf_check(b->data, b->size) == 0, "loaded what elf_check refuses", 0);
		if (map_sigpage(mm) == 0) {
			int64_t sp = build_stack(t, mm, &im, argv, 2, envp, 1, "/prog");
			check(sp < 0 || sp % 16 == 0, "stack pointer not 16-byte aligned", (uint64_t)sp);
		}
		check_mm(mm);
	}
	mm_put(mm);
	fbuf_put(b);
	fz_libos_end();
	return 0;
}
