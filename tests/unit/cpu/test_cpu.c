/*
 * The CPU engine (plat/emu/cpu) running real arm64 code: the guests in
 * tests/guest/ are cross-compiled static programs; a minimal ELF loader
 * here maps them into an address space and the tests drive cpu_run(),
 * answering system calls and checking the architectural syndromes of
 * every kind of exit. Timings (JIT construction, pool, loops against
 * qemu-aarch64) are printed, not asserted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "arch/esr.h"
#include "plat/emu/cpu/cpu.h"
#include "cpu_test.h"

#ifndef CPU_GUEST_DIR
#define CPU_GUEST_DIR "build/guest"
#endif

#define STACK_TOP 0x7fff000000ULL
#define STACK_SIZE (256 * 1024ULL)
#define DATA_VA 0x10000000ULL /* scratch data pages the tests map */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ---- a minimal static-ELF loader --------------------------------------- */


static const char *guest_path(const char *name)
{
	static char path[4096];
	const char *dir = getenv("CPU_GUEST_DIR");
	snprintf(path, sizeof(path), "%s/%s", dir ? dir : CPU_GUEST_DIR, name);
	return path;
}

void *host_pages(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(p != MAP_FAILED);
	return p;
}

/* Load `name` into a new address space; every page also gets `extra_prot`. */
void guest_load(struct guest *g, const char *name, unsigned extra_prot)
{
	memset(g, 0, sizeof(*g));
	FILE *f = fopen(guest_path(name), "rb");
	if (!f)
		fail_msg("cannot open guest %s (build it with make cpu)", guest_path(name));
	fseek(f, 0, SEEK_END);
	g->file_len = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	g->file = malloc(g->file_len);
	assert_int_equal(fread(g->file, 1, g->file_len, f), g->file_len);
	fclose(f);

	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)g->file;
	assert_memory_equal(eh->e_ident, ELFMAG, SELFMAG);
	assert_int_equal(eh->e_machine, EM_AARCH64);
	assert_int_equal(eh->e_type, ET_EXEC);
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(g->file + eh->e_phoff);
	g->lo = UINT64_MAX;
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		if (ph[i].p_vaddr < g->lo)
			g->lo = ph[i].p_vaddr;
		if (ph[i].p_vaddr + ph[i].p_memsz > g->hi)
			g->hi = ph[i].p_vaddr + ph[i].p_memsz;
	}
	g->lo &= ~(CPU_PAGE_SIZE - 1);
	g->hi = (g->hi + CPU_PAGE_SIZE - 1) & ~(CPU_PAGE_SIZE - 1);
	size_t npages = (g->hi - g->lo) / CPU_PAGE_SIZE;
	g->img = host_pages(g->hi - g->lo);
	unsigned *prot = calloc(npages, sizeof(*prot));
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		memcpy(g->img + (ph[i].p_vaddr - g->lo), g->file + ph[i].p_offset, ph[i].p_filesz);
		unsigned p = ((ph[i].p_flags & PF_R) ? CPU_PROT_R : 0) |
			     ((ph[i].p_flags & PF_W) ? CPU_PROT_W : 0) |
			     ((ph[i].p_flags & PF_X) ? CPU_PROT_X : 0);
		for (uint64_t va = ph[i].p_vaddr & ~(CPU_PAGE_SIZE - 1); va < ph[i].p_vaddr + ph[i].p_memsz;
		     va += CPU_PAGE_SIZE)
			prot[(va - g->lo) / CPU_PAGE_SIZE] |= p;
	}
	g->as = cpu_as_create();
	assert_non_null(g->as);
	for (size_t i = 0; i < npages; i++)
		assert_int_equal(cpu_as_map(g->as, g->lo + i * CPU_PAGE_SIZE, g->img + i * CPU_PAGE_SIZE,
					    CPU_PAGE_SIZE, prot[i] | extra_prot),
				 0);
	free(prot);
	g->entry = eh->e_entry;

	/* stack: argc = 1, argv = {"guest", NULL}, envp = {NULL}, auxv = {AT_NULL} */
	g->stack = host_pages(STACK_SIZE);
	assert_int_equal(cpu_as_map(g->as, STACK_TOP - STACK_SIZE, g->stack, STACK_SIZE, CPU_PROT_RW), 0);
	uint64_t str = STACK_TOP - 64;
	assert_int_equal(cpu_as_write(g->as, str, "guest", 6), 0);
	uint64_t init[] = {1, str, 0, 0, AT_NULL, 0};
	g->sp = (STACK_TOP - 256) & ~15ULL;
	assert_int_equal(cpu_as_write(g->as, g->sp, init, sizeof(init)), 0);
}

void guest_free(struct guest *g)
{
	assert_int_equal(cpu_as_destroy(g->as), 0);
	munmap(g->img, g->hi - g->lo);
	munmap(g->stack, STACK_SIZE);
	free(g->file);
}

static uint64_t guest_sym(const struct guest *g, const char *name)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)g->file;
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(g->file + eh->e_shoff);
	for (int i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_type != SHT_SYMTAB)
			continue;
		const Elf64_Sym *sym = (const Elf64_Sym *)(g->file + sh[i].sh_offset);
		const char *strtab = (const char *)(g->file + sh[sh[i].sh_link].sh_offset);
		for (size_t j = 0; j < sh[i].sh_size / sizeof(*sym); j++)
			if (strcmp(strtab + sym[j].st_name, name) == 0)
				return sym[j].st_value;
	}
	fail_msg("no symbol %s", name);
	return 0;
}

/* ---- fixture: one guest, one vCPU from the pool ------------------------ */

struct fx {
	struct guest g;
	struct cpu_vcpu *v;
};

static struct fx *fx_new(const char *name, unsigned extra_prot)
{
	struct fx *fx = calloc(1, sizeof(*fx));
	guest_load(&fx->g, name, extra_prot);
	fx->v = cpu_get();
	assert_non_null(fx->v);
	assert_int_equal(cpu_attach(fx->v, fx->g.as), 0);
	cpu_set_pc(fx->v, fx->g.entry);
	cpu_set_sp(fx->v, fx->g.sp);
	return fx;
}

static void fx_free(struct fx *fx)
{
	cpu_put(fx->v);
	guest_free(&fx->g);
	free(fx);
}

/* Enter a snippet: pc = symbol, fresh stack. */
static void enter(struct fx *fx, const char *sym)
{
	cpu_set_pc(fx->v, guest_sym(&fx->g, sym));
	cpu_set_sp(fx->v, fx->g.sp);
}

/* Run until an exit other than a timeslice. */
struct cpu_exit run(struct cpu_vcpu *v)
{
	struct cpu_exit e;
	do {
		assert_int_equal(cpu_run(v, &e), 0);
	} while (e.kind == CPU_EXIT_TIMESLICE);
	return e;
}

void expect_done(struct cpu_vcpu *v)
{
	struct cpu_exit e = run(v);
	if (e.kind != CPU_EXIT_BRK)
		fail_msg("expected brk #0x100, got %s esr %#lx far %#lx pc %#lx insn %#x",
			 cpu_exit_name(e.kind), (unsigned long)e.esr, (unsigned long)e.far,
			 (unsigned long)e.pc, e.insn);
	assert_int_equal(ESR_EC(e.esr), EC_BRK64);
	assert_int_equal(ESR_ISS_IMM16(ESR_ISS(e.esr)), BRK_DONE);
}

/*
 * Run a whole program: answer write (to `out`) and exit_group; any other
 * SVC fails the test. Returns the exit code.
 */
int run_program(struct cpu_vcpu *v, struct cpu_as *as, uint8_t *out, size_t *out_len)
{
	size_t n = 0;
	for (;;) {
		struct cpu_exit e = run(v);
		if (e.kind != CPU_EXIT_SVC)
			fail_msg("unexpected exit %s esr %#lx far %#lx pc %#lx", cpu_exit_name(e.kind),
				 (unsigned long)e.esr, (unsigned long)e.far, (unsigned long)e.pc);
		uint64_t nr = cpu_get_x(v, 8);
		if (nr == 94 || nr == 93) {
			if (out_len)
				*out_len = n;
			return (int)cpu_get_x(v, 0);
		}
		assert_int_equal(nr, 64);
		uint64_t len = cpu_get_x(v, 2);
		if (out) {
			assert_int_equal(cpu_as_read(as, cpu_get_x(v, 1), out + n, len), 0);
			n += len;
		}
		cpu_set_x(v, 0, len);
	}
}

/* Run a host program, capture up to cap bytes of stdout; returns exit status, *secs wall time. */
static int run_host(char *const argv[], uint8_t *out, size_t cap, size_t *out_len, double *secs)
{
	int fd[2];
	assert_int_equal(pipe(fd), 0);
	double t0 = now_s();
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fd[1], 1);
		close(fd[0]);
		int devnull = open("/dev/null", 1);
		if (devnull >= 0)
			dup2(devnull, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fd[1]);
	size_t n = 0;
	ssize_t r;
	while ((r = read(fd[0], out + n, cap - n)) > 0)
		n += (size_t)r;
	close(fd[0]);
	int st;
	waitpid(pid, &st, 0);
	if (secs)
		*secs = now_s() - t0;
	if (out_len)
		*out_len = n;
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

static void *map_data(struct guest *g, uint64_t va, size_t len, unsigned prot)
{
	void *h = host_pages(len);
	assert_int_equal(cpu_as_map(g->as, va, h, len, prot), 0);
	return h;
}

/* ---- system calls --------------------------------------------------------- */

static void test_svc_program(void **state)
{
	struct fx *fx = fx_new("hello", 0);
	struct cpu_exit e = run(fx->v);

	/* the made-up call: x8 and x0..x5 as the program set them */
	assert_int_equal(e.kind, CPU_EXIT_SVC);
	assert_int_equal(ESR_EC(e.esr), EC_SVC64);
	assert_true(e.esr & ESR_IL);
	assert_int_equal(ESR_ISS_IMM16(ESR_ISS(e.esr)), 0);
	assert_int_equal(cpu_get_x(fx->v, 8), 0x1234);
	assert_int_equal(cpu_get_x(fx->v, 0), 11);
	assert_int_equal(cpu_get_x(fx->v, 1), 22);
	assert_int_equal(cpu_get_x(fx->v, 2), 33);
	assert_int_equal(cpu_get_x(fx->v, 3), 44);
	assert_int_equal(cpu_get_x(fx->v, 4), 55);
	assert_int_equal(cpu_get_x(fx->v, 5), 12586269025ULL); /* fib(50) */
	/* pc is past the SVC, as ELR_EL1 would be */
	uint32_t insn;
	assert_int_equal(cpu_as_read(fx->g.as, e.pc - 4, &insn, 4), 0);
	assert_int_equal(insn, 0xd4000001); /* svc #0 */
	assert_int_equal(e.pc, cpu_get_pc(fx->v));

	cpu_set_x(fx->v, 0, 1000);
	uint8_t out[64];
	size_t n;
	int code = run_program(fx->v, fx->g.as, out, &n);
	assert_int_equal(n, 17);
	assert_memory_equal(out, "hello from arm64\n", 17);
	assert_int_equal(code, (int)((12586269025ULL + 1000) & 0x7f));

	/* the same binary under qemu-aarch64 (a real kernel answers -ENOSYS) */
	char *argv[] = {"qemu-aarch64-static", (char *)guest_path("hello"), NULL};
	uint8_t qout[64];
	size_t qn;
	int qcode = run_host(argv, qout, sizeof(qout), &qn, NULL);
	assert_int_equal(qcode, (int)((12586269025ULL - 38) & 0x7f));
	assert_int_equal(qn, 17);
	fx_free(fx);
}

static void test_svc_imm_and_continue(void **state)
{
	struct fx *fx = fx_new("snippets", 0);
	enter(fx, "svc_imm");
	cpu_set_x(fx->v, 2, 5);
	struct cpu_exit e = run(fx->v);
	assert_int_equal(e.kind, CPU_EXIT_SVC);
	assert_int_equal(e.esr, ESR_MAKE(EC_SVC64, 0x77));
	assert_int_equal(e.pc, guest_sym(&fx->g, "svc_imm") + 4);
	expect_done(fx->v);
	assert_int_equal(cpu_get_x(fx->v, 2), 6);
	fx_free(fx);
}

/* ---- aborts ---------------------------------------------------------------- */

static void test_dabt_unmapped(void **state)
{
	struct fx *fx = fx_new("snippets", 0);
	const uint64_t addr = DATA_VA + 0x123450;
	enter(fx, "ld_off8");
	cpu_set_x(fx->v, 0, addr);
	cpu_set_x(fx->v, 1, 0xaaaa);
	cpu_set_x(fx->v, 2, 0);
	struct cpu_exit e = run(fx->v);
	assert_int_equal(e.kind, CPU_EXIT_DABT);
	assert_int_equal(ESR_EC(e.esr), EC_DABT_LOW);
	assert_int_equal(ESR_ISS_FSC(ESR_ISS(e.esr)), FSC_TRANSLATION(3));
	assert_false(ESR_ISS(e.esr) & ESR_ISS_WNR);
	assert_int_equal(e.far, addr + 8);
	/* pc at the load; nothing after it ran; the load wrote nothing */
	assert_int_equal(e.pc, guest_sym(&fx->g, "ld_off8"));
	assert_int_equal(cpu_get_x(fx->v, 1), 0xaaaa);
	assert_int_equal(cpu_get_x(fx->v, 2), 0);

	/* map it ("demand paging") and restart the instruction */
	uint64_t *h = map_data(&fx->g, (addr + 8) & ~0xfffULL, 4096, CPU_PROT_RW);
	h[((addr + 8) & 0xfff) / 8] = 0x5555;
	expect_done(fx->v);
	assert_int_equal(cpu_get_x(fx->v, 1), 0x5555);
	assert_int_equal(cpu_get_x(fx->v, 2), 1);

	/* beyond the 39-bit address space: translation fault level 0 */
	enter(fx, "ld_off8");
	cpu_set_x(fx->v, 0, CPU_VA_LIMIT + 0x1000);
	e = run(fx->v);
	assert_int_equal(e.kind, CPU_EXIT_DABT);
	assert_int_equal(ESR_ISS_FSC(ESR_ISS(e.esr)), FSC_TRANSLATION(0));
	assert_int_equal(e.far, CPU_VA_LIMIT + 0x1008);
	fx_free(fx);
}

static void test_dabt_state_precise(void **state)
{
	struct fx *fx = fx_new("snippets", 0);
	/* instructions before the fault in the same block have retired... */
	enter(fx, "add_then_ld");
	cpu_set_x(fx->v, 0, DATA_VA);
	cpu_set_x(fx->v, 5, 10);
	cpu_set_x(fx->v, 6, 20);
	cpu_set_x(fx->v, 7, 30);
	struct cpu_exit e = run(fx->v);
	assert_int_equal(e.kind, CPU_EXIT_DABT);
	assert_int_equal(e.far, DATA_VA);
	assert_int_equal(e.pc, guest_sym(&fx->g, "add_then_ld") + 8);
	assert_int_equal(cpu_get_x(fx->v, 5), 11);
	assert_int_equal(cpu_get_x(fx->v, 6), 22);
	assert_int_equal(cpu_get_x(fx->v, 7), 30); /* ...later ones have not */
	map_data(&fx->g, DATA_VA, 4096, CPU_PROT_R);
	expect_done(fx->v);
	assert_int_equal(cpu_get_x(fx->v, 5), 11); /* not re-executed */
	assert_int_equal(cpu_get_x(fx->v, 7), 33);

	/* a post-indexed LDP that faults leaves its base register alone */
	enter(fx, "ldp_post");
	cpu_set_x(fx->v, 0, DATA_VA + 0x10000);
	cpu_set_x(fx->v, 3, 1);
	cpu_set_x(fx->v, 4, 2);
	e = run(fx->v);
	assert_int_equal(e.kind, CPU_EXIT_DABT);
	assert_int_equal(e.far, DATA_VA + 0x10000);
	assert_int_equal(cpu_get_x(fx->v, 0), DATA_VA + 0x10000);
	assert_int_equal(cpu_get_x(fx->v, 3), 1);
	assert_int_equal(cpu_get_x(fx->v, 4), 2);
	fx_free(fx);
}

static void test_write_to_readonly(void **state)
{
	struct fx *fx = fx_new("snippets", 0);
	uint64_t *h = map_data(&fx->g, DATA_VA, 4096, CPU_PROT_R);
	h[0] = 7;
	enter(fx, "st_x1");
	cpu_set_x(fx->v, 0, DATA_VA + 0x40);
	cpu_set_x(fx->v, 1, 0x1111);
	cpu_set_x(fx->v, 2, 0);
	struct cpu_exit e = run(fx->v);
	assert_int_equal(e.kind, CPU_EXIT_DABT);
	assert_int_equal(ESR_EC(e.esr), EC_DABT_LOW);
	assert_int_equal(ESR_ISS_FSC(ESR_ISS(e.esr)), FSC_PERMISSION(3));
	assert_true(ESR_ISS(e.esr) & ESR_ISS_WNR);
	assert_int_equal(e.far, DATA_VA + 0x40);
	assert_int_equal(e.pc, guest_sym(&fx->g, "st_x1"));
	assert_int_equal(h[8], 0); /* not written */
	assert_int_equal(cpu_get_x(fx->v, 2), 0);

	/* reads of the read-only page work (they take the callback path) */
	enter(fx, "ld_off8");
	cpu_set_x(fx->v, 0, DATA_VA - 8);
	expect_done(fx->v);
	assert_int_equal(cpu_get_x(fx->v, 1), 7);

	/* make it writable: the restarted store goes through */
	enter(fx, "st_x1");
	cpu_set_x(fx->v, 0, DATA_VA + 0x40);
	cpu_set_x(fx->v, 1, 0x1111);
	assert_int_equal(cpu_as_protect(fx->g.as, DATA_VA, 4096, CPU_PROT_RW), 0);
	expect_done(fx->v);
	assert_int_equal(h[8], 0x1111);

	/* and read-only again: RW -> R must take the page out of the fast path */
	assert_int_equal(cpu_as_protect(fx->g.as, DATA_VA, 4096, CPU_PROT_R), 0);
	enter(fx, "st_x1");
	cpu_set_x(fx->v, 1, 0x2222);
	e = run(fx->v);
	assert_int_equal(e.kind, CPU_EXIT_DABT);
	assert_int_equal(ESR_ISS_FSC(ESR_ISS(e.esr)), FSC_PERMISSION(3));
	assert_int_equal(h[8], 0x1111);

	/* DC ZVA on a read-only page is a write fault too */
	enter(fx, "dczva");
	cpu_set_x(fx->v, 0, DATA_VA + 0x80);
	e = run(fx->v);
	assert_int_equal(e.kind, CPU_EXIT_DABT);
	assert_true(ESR_ISS(e.esr) & ESR_ISS_WNR);
	assert_int_equal(ESR_ISS_FSC(ESR_ISS(e.esr)), FSC_PERMISSION(3));
	assert_int_equal(e.pc, guest_sym(&fx->g, "dczva"));

	/* exclusive read of an unmapped page, exclusive write to a read-only one */
	enter(fx, "ldxr_only");
	cpu_set_x(fx->v, 0, DATA_VA + 0x20000);
	cpu_set_x(fx->v, 2, 0);
	e = run(fx->v);
	assert_int_equal(e.kind, CPU_EXIT_DABT);
	assert_int_equal(e.far, DATA_VA + 0x20000);
	assert_int_equal(e.pc, guest_sym(&fx->g, "ldxr_only"));
	assert_int_equal(cpu_get_x(fx->v, 2), 0);
	enter(fx, "stxr_only"); /* the LDXR reads the page, the STXR may not write it */
	cpu_set_x(fx->v, 0, DATA_VA + 0x10);
	cpu_set_x(fx->v, 2, 0);
	e = run(fx->v);
	assert_int_equal(e.kind, CPU_EXIT_DABT);
	assert_true(ESR_ISS(e.esr) & ESR_ISS_WNR);
	assert_int_equal(e.far, DATA_VA + 0x10);
	assert_int_equal(e.pc, guest_sym(&fx->g, "stxr_only") + 4);
	assert_int_equal(cpu_get_x(fx->v, 2), 0);
	fx_free(fx);
}

static void test_straddling_store(void **state)
{
	struct fx *fx = fx_new("snippets", 0);
	uint8_t *lo = map_data(&fx->g, DATA_VA, 4096, CPU_PROT_RW);
	uint8_t *hi = map_data(&fx->g, DATA_VA + 4096, 4096, CPU_PROT_R);
	enter(fx, "st_x1");
	cpu_set_x(fx->v, 0, DATA_VA + 4092);
	cpu_set_x(fx->v, 1, 0x1122334455667788ULL);
	struct cpu_exit e = run(fx->v);
	assert_int_equal(e.kind, CPU_EXIT_DABT);
	assert_int_equal(e.far, DATA_VA + 4096);
	assert_true(ESR_ISS(e.esr) & ESR_ISS_WNR);
	for (int i = 0; i < 4; i++)
		assert_int_equal(lo[4092 + i], 0); /* neither half written */
	assert_int_equal(cpu_as_protect(fx->g.as, DATA_VA + 4096, 4096, CPU_PROT_RW), 0);
	expect_done(fx->v);
	uint64_t got;
	assert_int_equal(cpu_as_read(fx->g.as, DATA_VA + 4092, &got, 8), 0);
	assert_int_equal(got, 0x1122334455667788ULL);
	assert_int_equal(hi[0], 0x44); /* the upper half landed on the other host page */

	/* a straddling load between two RW pages whose host pages are not adjacent */
	enter(fx, "ld_off8");
	cpu_set_x(fx->v, 0, DATA_VA + 4092 - 8);
	expect_done(fx->v);
	assert_int_equal(cpu_get_x(fx->v, 1), 0x1122334455667788ULL);
	fx_free(fx);
}

static void test_iabt(void **state)
{
	struct fx *fx = fx_new("snippets", 0);
	/* jump to an unmapped address */
	enter(fx, "br_x0");
	cpu_set_x(fx->v, 0, DATA_VA + 0x5000);
	struct cpu_exit e = run(fx->v);
	assert_int_equal(e.kind, CPU_EXIT_IABT);
	assert_int_equal(ESR_EC(e.esr), EC_IABT_LOW);
	assert_int_equal(ESR_ISS_FSC(ESR_ISS(e.esr)), FSC_TRANSLATION(3));
	assert_int_equal(e.far, DATA_VA + 0x5000);
	assert_int_equal(e.pc, DATA_VA + 0x5000);

	/* a mapped but not executable page: permission fault */
	uint32_t *code = map_data(&fx->g, DATA_VA + 0x5000, 4096, CPU_PROT_RW);
	code[0] = 0xd4200000 | (BRK_DONE << 5); /* brk #0x100 */
	e = run(fx->v);
	assert_int_equal(e.kind, CPU_EXIT_IABT);
	assert_int_equal(ESR_ISS_FSC(ESR_ISS(e.esr)), FSC_PERMISSION(3));
	assert_int_equal(e.far, DATA_VA + 0x5000);

	/* make it executable: the cached "no execute" translation is dropped */
	assert_int_equal(cpu_as_protect(fx->g.as, DATA_VA + 0x5000, 4096, CPU_PROT_RX), 0);
	expect_done(fx->v);

	/* misaligned branch target */
	enter(fx, "br_x0");
	cpu_set_x(fx->v, 0, DATA_VA + 0x5002);
	e = run(fx->v);
	assert_int_equal(e.kind, CPU_EXIT_PC_ALIGN);
	assert_int_equal(ESR_EC(e.esr), EC_PC_ALIGN);
	assert_int_equal(e.far, DATA_VA + 0x5002);
	assert_int_equal(e.pc, DATA_VA + 0x5002);
	fx_free(fx);
}

static void test_undef_and_brk(void **state)
{
	struct fx *fx = fx_new("snippets", 0);
	enter(fx, "undef_insn");
	struct cpu_exit e = run(fx->v);
	assert_int_equal(e.kind, CPU_EXIT_UNDEF);
	assert_int_equal(ESR_EC(e.esr), EC_UNKNOWN);
	assert_int_equal(e.pc, guest_sym(&fx->g, "undef_insn"));
	assert_int_equal(e.insn, 0x00001234); /* udf #0x1234 */
	/* it stays undefined when run again */
	e = run(fx->v);
	assert_int_equal(e.kind, CPU_EXIT_UNDEF);
	/* skip it as a signal handler would */
	cpu_set_pc(fx->v, e.pc + 4);
	expect_done(fx->v);

	enter(fx, "brk_42");
	e = run(fx->v);
	assert_int_equal(e.kind, CPU_EXIT_BRK);
	assert_int_equal(e.esr, ESR_MAKE(EC_BRK64, 0x42));
	assert_int_equal(e.pc, guest_sym(&fx->g, "brk_42")); /* ELR = the BRK itself */
	assert_int_equal(e.insn, 0xd4200000 | (0x42 << 5));
	fx_free(fx);
}

static void test_wfx_hints(void **state)
{
	struct fx *fx = fx_new("snippets", 0);
	enter(fx, "wfx_hints");
	cpu_set_x(fx->v, 2, 0);
	uint64_t base = guest_sym(&fx->g, "wfx_hints");
	struct cpu_exit e = run(fx->v); /* YIELD just continues */
	assert_int_equal(e.kind, CPU_EXIT_WFX);
	assert_int_equal(e.esr, ESR_MAKE(EC_WFX, 0)); /* WFI */
	assert_int_equal(e.pc, base + 12);
	assert_int_equal(cpu_get_x(fx->v, 2), 1);
	e = run(fx->v);
	assert_int_equal(e.kind, CPU_EXIT_WFX);
	assert_int_equal(e.esr, ESR_MAKE(EC_WFX, 1)); /* WFE */
	assert_int_equal(e.pc, base + 20);
	expect_done(fx->v); /* SEVL, SEV continue */
	assert_int_equal(cpu_get_x(fx->v, 2), 4);
	fx_free(fx);
}

/* ---- registers -------------------------------------------------------------- */

static void test_registers(void **state)
{
	struct fx *fx = fx_new("snippets", 0);
	struct cpu_regs r;
	memset(&r, 0, sizeof(r));
	for (int i = 0; i < 31; i++)
		r.x[i] = 0x1000 + i;
	r.sp = 0x7ffe000;
	r.pc = guest_sym(&fx->g, "sysregs");
	r.pstate = 0x60000000; /* Z, C */
	r.tpidr_el0 = 0xabc0;
	r.tpidrro_el0 = 0xdef0;
	cpu_set_regs(fx->v, &r);
	struct cpu_regs r2;
	cpu_get_regs(fx->v, &r2);
	assert_memory_equal(&r, &r2, sizeof(r));

	struct cpu_fpsimd f, f2;
	for (int i = 0; i < 32; i++) {
		f.v[i][0] = 0x0101010101010101ULL * i;
		f.v[i][1] = ~f.v[i][0];
	}
	f.fpcr = 0x00c00000; /* RMode = round towards zero */
	f.fpsr = 0x8;        /* IXC... a sticky flag: UFC */
	cpu_set_fpsimd(fx->v, &f);
	cpu_get_fpsimd(fx->v, &f2);
	assert_memory_equal(&f, &f2, sizeof(f));

	/* the guest sees them: MRS TPIDR_EL0/TPIDRRO_EL0, MSR TPIDR_EL0 */
	cpu_set_sp(fx->v, fx->g.sp);
	cpu_set_x(fx->v, 2, 0x7777);
	expect_done(fx->v);
	assert_int_equal(cpu_get_x(fx->v, 0), 0xabc0);
	assert_int_equal(cpu_get_x(fx->v, 1), 0xdef0);
	assert_int_equal(cpu_get_tpidr(fx->v), 0x7777);
	assert_int_equal(cpu_get_tpidrro(fx->v), 0xdef0);
	assert_int_equal(cpu_get_x(fx->v, 4), cpu_cntfrq());
	assert_int_equal(cpu_get_x(fx->v, 5), 0x00c00000);
	uint64_t t0 = cpu_get_x(fx->v, 3);
	assert_true(t0 > 0);
	/* CNTVCT moves */
	enter(fx, "sysregs");
	usleep(2000);
	expect_done(fx->v);
	assert_true(cpu_get_x(fx->v, 3) - t0 >= 2000000ULL * cpu_cntfrq() / 1000000000ULL);

	/* FP/SIMD arithmetic and NZCV */
	enter(fx, "fpsimd");
	double d1 = 1.5, d2 = 2.25, d3 = -0.5;
	memset(&f, 0, sizeof(f));
	memcpy(&f.v[1][0], &d1, 8);
	memcpy(&f.v[2][0], &d2, 8);
	memcpy(&f.v[3][0], &d3, 8);
	f.v[5][0] = 0x0000000200000001ULL;
	f.v[5][1] = 0x0000000400000003ULL;
	f.v[6][0] = 0x0000001000000010ULL;
	f.v[6][1] = 0x0000001000000010ULL;
	cpu_set_fpsimd(fx->v, &f);
	expect_done(fx->v);
	cpu_get_fpsimd(fx->v, &f2);
	double d0;
	memcpy(&d0, &f2.v[0][0], 8);
	assert_true(d0 == 1.5 * 2.25 - 0.5);
	assert_int_equal(f2.v[0][1], 0); /* scalar writes clear the upper half */
	assert_int_equal(f2.v[4][0], 0x0000001200000011ULL);
	assert_int_equal(f2.v[4][1], 0x0000001400000013ULL);
	cpu_get_regs(fx->v, &r2);
	assert_int_equal(r2.pstate, 0x80000000); /* 1.5 < 2.25: N */
	fx_free(fx);
}

/* ---- code changes ----------------------------------------------------------- */

static void test_code_invalidation(void **state)
{
	struct fx *fx = fx_new("snippets", CPU_PROT_W); /* code pages writable for this test */
	uint64_t patchme = guest_sym(&fx->g, "patchme");
	enter(fx, "patchme");
	expect_done(fx->v);
	assert_int_equal(cpu_get_x(fx->v, 0), 1);

	/* the loader changes code: cpu_as_write invalidates the translation */
	uint32_t mov2 = 0xd2800040; /* mov x0, #2 */
	assert_int_equal(cpu_as_write(fx->g.as, patchme, &mov2, 4), 0);
	enter(fx, "patchme");
	expect_done(fx->v);
	assert_int_equal(cpu_get_x(fx->v, 0), 2);

	/* the guest changes its own code and runs IC IVAU */
	enter(fx, "selfmod");
	cpu_set_x(fx->v, 0, patchme);
	cpu_set_x(fx->v, 1, 0xd2800060); /* mov x0, #3 */
	expect_done(fx->v);
	assert_int_equal(cpu_get_x(fx->v, 0), 3);

	/* unmap + map other code at the same address */
	uint32_t *page = host_pages(4096);
	uint64_t pg = patchme & ~0xfffULL;
	assert_int_equal(cpu_as_read(fx->g.as, pg, page, 4096), 0);
	page[(patchme & 0xfff) / 4] = 0xd2800080; /* mov x0, #4 */
	assert_int_equal(cpu_as_unmap(fx->g.as, pg, 4096), 0);
	assert_int_equal(cpu_as_map(fx->g.as, pg, page, 4096, CPU_PROT_RX), 0);
	enter(fx, "patchme");
	expect_done(fx->v);
	assert_int_equal(cpu_get_x(fx->v, 0), 4);
	struct cpu_stats st;
	cpu_stats_read(fx->v, &st);
	assert_true(st.invalidations >= 3);
	assert_int_equal(cpu_as_unmap(fx->g.as, pg, 4096), 0);
	fx_free(fx);
	munmap(page, 4096);
}

/* ---- time: timeslices and halts ---------------------------------------------- */

static void test_timeslice(void **state)
{
	struct fx *fx = fx_new("snippets", 0);
	enter(fx, "spin");
	cpu_set_x(fx->v, 1, 0);
	cpu_set_timeslice(fx->v, 100000);
	cpu_stats_reset(fx->v);
	uint64_t last = 0;
	for (int i = 0; i < 5; i++) {
		struct cpu_exit e;
		assert_int_equal(cpu_run(fx->v, &e), 0);
		assert_int_equal(e.kind, CPU_EXIT_TIMESLICE);
		uint64_t it = cpu_get_x(fx->v, 1);
		/* 2 instructions per iteration: about 50,000 iterations a slice */
		assert_true(it - last >= 45000 && it - last <= 55000);
		last = it;
		/* pc is inside the loop: resuming continues it */
		assert_true(e.pc == guest_sym(&fx->g, "spin") || e.pc == guest_sym(&fx->g, "spin") + 4);
	}
	struct cpu_stats st;
	cpu_stats_read(fx->v, &st);
	assert_true(st.ticks >= 500000 && st.ticks < 600000);
	assert_int_equal(st.exits[CPU_EXIT_TIMESLICE], 5);
	assert_int_equal(st.runs, 5);
	fx_free(fx);
}

struct runner {
	struct cpu_vcpu *v;
	struct cpu_exit e;
	double t_exit;
	volatile int started;
};

static void *runner_main(void *arg)
{
	struct runner *r = arg;
	r->started = 1;
	do
		assert_int_equal(cpu_run(r->v, &r->e), 0);
	while (r->e.kind == CPU_EXIT_TIMESLICE);
	r->t_exit = now_s();
	return NULL;
}

/* Halt a vCPU spinning in `sym` with an unbounded timeslice; returns the latency. */
static double halt_spinning(struct fx *fx, const char *sym, uint64_t slice)
{
	enter(fx, sym);
	cpu_set_x(fx->v, 1, 0);
	cpu_set_timeslice(fx->v, slice);
	struct runner r = {.v = fx->v};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, runner_main, &r), 0);
	while (!r.started)
		usleep(1000);
	usleep(50000);
	double t0 = now_s();
	cpu_halt(fx->v);
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 10;
	if (pthread_timedjoin_np(t, NULL, &dl) != 0)
		fail_msg("vCPU spinning in %s ignored cpu_halt for 10 s", sym);
	assert_int_equal(r.e.kind, CPU_EXIT_HALT);
	assert_true(cpu_get_x(fx->v, 1) > 1000); /* it really ran */
	cpu_set_timeslice(fx->v, 4000000);
	return r.t_exit - t0;
}

static void test_halt(void **state)
{
	struct fx *fx = fx_new("snippets", 0);
	cpu_stats_reset(fx->v);
	/* a pending halt makes the next run return at once, and only that one */
	enter(fx, "spin");
	cpu_halt(fx->v);
	struct cpu_exit e;
	assert_int_equal(cpu_run(fx->v, &e), 0);
	assert_int_equal(e.kind, CPU_EXIT_HALT);
	assert_int_equal(e.pc, guest_sym(&fx->g, "spin"));
	cpu_set_timeslice(fx->v, 10000);
	assert_int_equal(cpu_run(fx->v, &e), 0);
	assert_int_equal(e.kind, CPU_EXIT_TIMESLICE);

	/*
	 * From another thread. The JIT notices a halt when it passes its
	 * dispatcher, at the latest when the timeslice ends: loops of direct
	 * branches, of indirect branches and of calls/returns must all stop.
	 */
	static const char *const loops[] = {"spin", "spin_br", "spin_ret", "spin_rsb"};
	for (int i = 0; i < 4; i++) {
		double lat = halt_spinning(fx, loops[i], 4000000);
		print_message("[ perf ] cpu_halt latency, %-8s loop, 4M-tick slice: %.3f ms\n", loops[i],
			      lat * 1e3);
	}
	struct cpu_stats st;
	cpu_stats_read(fx->v, &st);
	assert_int_equal(st.exits[CPU_EXIT_HALT], 5);
	fx_free(fx);
}

/* ---- several vCPUs ------------------------------------------------------------ */

struct incr {
	struct cpu_vcpu *v;
	uint64_t pc, counter, n;
	int undef;
	double secs;
};

static void *incr_main(void *arg)
{
	struct incr *in = arg;
	cpu_set_pc(in->v, in->pc);
	cpu_set_x(in->v, 0, in->counter);
	cpu_set_x(in->v, 1, in->n);
	double t0 = now_s();
	struct cpu_exit e;
	do {
		assert_int_equal(cpu_run(in->v, &e), 0);
	} while (e.kind == CPU_EXIT_TIMESLICE || e.kind == CPU_EXIT_HALT);
	in->secs = now_s() - t0;
	if (e.kind == CPU_EXIT_UNDEF)
		in->undef = 1;
	else
		assert_int_equal(e.esr, ESR_MAKE(EC_BRK64, BRK_DONE));
	return NULL;
}

/* Two vCPUs of one address space on two host threads, n increments each. */
static uint64_t two_vcpus(struct fx *fx, const char *sym, uint64_t n, int *undef, double *secs)
{
	uint64_t *counter = map_data(&fx->g, DATA_VA, 4096, CPU_PROT_RW);
	struct cpu_vcpu *v2 = cpu_get();
	assert_non_null(v2);
	assert_int_equal(cpu_attach(v2, fx->g.as), 0);
	struct incr in[2] = {
		{.v = fx->v, .pc = guest_sym(&fx->g, sym), .counter = DATA_VA + 64, .n = n},
		{.v = v2, .pc = guest_sym(&fx->g, sym), .counter = DATA_VA + 64, .n = n},
	};
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, incr_main, &in[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	cpu_put(v2);
	*undef = in[0].undef + in[1].undef;
	*secs = in[0].secs > in[1].secs ? in[0].secs : in[1].secs;
	uint64_t total = counter[8];
	assert_int_equal(cpu_as_unmap(fx->g.as, DATA_VA, 4096), 0);
	munmap(counter, 4096);
	return total;
}

static void test_two_vcpus_exclusive(void **state)
{
	struct fx *fx = fx_new("snippets", 0);
	int undef;
	double secs;
	uint64_t total = two_vcpus(fx, "inc_ldxr", 1000000, &undef, &secs);
	assert_int_equal(undef, 0);
	assert_int_equal(total, 2000000);
	print_message("[ perf ] LDXR/STXR: 2 vCPUs x 1,000,000 increments: %.3f s, total %lu\n", secs,
		      (unsigned long)total);

	total = two_vcpus(fx, "inc_plain", 1000000, &undef, &secs);
	print_message("[ info ] plain LDR/STR (racy) on the same counter: total %lu (lost %lu)\n",
		      (unsigned long)total, (unsigned long)(2000000 - total));

	/* LSE: advertised iff executed. On this engine LDADD must then work exactly. */
	total = two_vcpus(fx, "inc_ldadd", 1000000, &undef, &secs);
	if (cpu_hwcap() & (1ULL << 8)) {
		assert_int_equal(undef, 0);
		assert_int_equal(total, 2000000);
	} else {
		assert_int_equal(undef, 2); /* undefined, so HWCAP_ATOMICS must stay clear */
		print_message("[ info ] LDADD is undefined on the engine: HWCAP_ATOMICS not advertised\n");
	}
	fx_free(fx);
}

/* ---- the pool ------------------------------------------------------------------ */

static void test_pool(void **state)
{
	/* JIT construction, measured bare */
	double t_create[3];
	struct cpu_vcpu *v[3];
	for (int i = 0; i < 3; i++) {
		double t0 = now_s();
		v[i] = cpu_create();
		t_create[i] = now_s() - t0;
		assert_non_null(v[i]);
	}
	for (int i = 0; i < 3; i++)
		cpu_destroy(v[i]);

	assert_int_equal(cpu_pool_init(4), 0);
	assert_true(cpu_pool_available() >= 4);
	double t_get[4];
	struct cpu_vcpu *a[4];
	for (int i = 0; i < 4; i++) {
		double t0 = now_s();
		a[i] = cpu_get();
		t_get[i] = now_s() - t0;
		assert_non_null(a[i]);
		assert_null(cpu_vcpu_as(a[i]));
		assert_int_equal(cpu_get_pc(a[i]), 0);
	}
	for (int i = 1; i < 4; i++)
		cpu_put(a[i]);

	/* use one, dirty it, give it back: the next user gets it clean */
	struct guest g;
	guest_load(&g, "snippets", 0);
	assert_int_equal(cpu_attach(a[0], g.as), 0);
	assert_int_equal(cpu_attach(a[0], g.as), -EBUSY);
	cpu_set_pc(a[0], guest_sym(&g, "patchme"));
	cpu_set_tpidr(a[0], 99);
	double t0 = now_s();
	expect_done(a[0]);
	double t_first_run = now_s() - t0;
	assert_int_equal(cpu_as_destroy(g.as), -EBUSY); /* still attached */
	t0 = now_s();
	cpu_put(a[0]);
	double t_put = now_s() - t0;
	struct cpu_vcpu *b[5];
	for (int i = 0; i < 5; i++) {
		b[i] = cpu_get();
		assert_non_null(b[i]);
		assert_null(cpu_vcpu_as(b[i]));
		struct cpu_regs r;
		cpu_get_regs(b[i], &r);
		assert_int_equal(r.pc, 0);
		assert_int_equal(r.x[0], 0);
		assert_int_equal(r.tpidr_el0, 0);
		struct cpu_stats st;
		cpu_stats_read(b[i], &st);
		assert_int_equal(st.runs, 0);
	}
	struct cpu_exit e;
	assert_int_equal(cpu_run(b[0], &e), -EINVAL); /* detached */
	for (int i = 0; i < 5; i++)
		cpu_put(b[i]);
	guest_free(&g);

	/* the refill thread restocks after a drain */
	struct cpu_vcpu *c[6];
	for (int i = 0; i < 6; i++)
		c[i] = cpu_get();
	double deadline = now_s() + 10;
	while (cpu_pool_available() < 4 && now_s() < deadline)
		usleep(10000);
	assert_true(cpu_pool_available() >= 4);
	for (int i = 0; i < 6; i++)
		cpu_put(c[i]);

	print_message("[ perf ] JIT construction (cpu_create): %.1f / %.1f / %.1f ms\n",
		      t_create[0] * 1e3, t_create[1] * 1e3, t_create[2] * 1e3);
	print_message("[ perf ] cpu_get from the pool: %.1f / %.1f / %.1f / %.1f us\n", t_get[0] * 1e6,
		      t_get[1] * 1e6, t_get[2] * 1e6, t_get[3] * 1e6);
	print_message("[ perf ] first cpu_run of a pooled vCPU (one block compiled): %.1f us\n",
		      t_first_run * 1e6);
	print_message("[ perf ] cpu_put (reset + return): %.1f us\n", t_put * 1e6);
}

/* ---- resident memory of a vCPU ------------------------------------------------------ */

/* Resident bytes of this process (/proc/self/statm). */
static size_t resident_bytes(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long size = 0, res = 0;
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%lu %lu", &size, &res), 2);
	fclose(f);
	return res * (size_t)sysconf(_SC_PAGESIZE);
}

/*
 * What a vCPU keeps resident: every container holds one per thread plus the
 * pool's spares, so this is most of a container's memory (issue 9). A JIT
 * writes ~20 MiB when it is constructed (a 16 MiB fast-dispatch table that
 * fast dispatch being off never reads, a 2 MiB zero-filled constant pool,
 * ~2 MiB of prelude code); cpu_create gives back all but the prelude. A
 * vCPU reset for the pool gives back the code compiled since.
 */
static void test_vcpu_resident(void **state)
{
	enum { BLOCKS = 4096, INSNS = 65 }; /* 64 adds and a branch per block */
	size_t r0 = resident_bytes();
	struct cpu_vcpu *v = cpu_create();
	assert_non_null(v);
	size_t r1 = resident_bytes();
	print_message("[ mem  ] a new vCPU: %.1f MiB resident\n", (r1 - r0) / 1048576.0);
	assert_true(r1 - r0 < 6u << 20);

	/* a program of BLOCKS distinct blocks; x0 counts the adds */
	size_t len = ((size_t)BLOCKS * INSNS * 4 + 4 + 4095) & ~(size_t)4095;
	uint32_t *code = host_pages(len);
	for (unsigned b = 0; b < BLOCKS; b++) {
		for (unsigned i = 0; i < INSNS - 1; i++)
			code[b * INSNS + i] = 0x91000400; /* add x0, x0, #1 */
		code[b * INSNS + INSNS - 1] = 0x14000001; /* b .+4 */
	}
	code[BLOCKS * INSNS] = 0xd4200000 | (BRK_DONE << 5); /* brk #0x100 */
	struct cpu_as *as = cpu_as_create();
	assert_non_null(as);
	assert_int_equal(cpu_as_map(as, 0x400000, code, len, CPU_PROT_RX), 0);
	assert_int_equal(cpu_attach(v, as), 0);
	cpu_set_pc(v, 0x400000);
	expect_done(v);
	assert_int_equal(cpu_get_x(v, 0), (uint64_t)BLOCKS * (INSNS - 1));
	size_t r2 = resident_bytes();
	cpu_reset(v);
	size_t r3 = resident_bytes();
	print_message("[ mem  ] after compiling %u blocks: +%.1f MiB; reset gives back %.1f MiB\n",
		      BLOCKS, ((double)r2 - (double)r1) / 1048576.0, ((double)r2 - (double)r3) / 1048576.0);
	/* the compiled code is several MiB; the JIT's heap (block records) stays with malloc */
	assert_true(r2 > r3 + (3u << 20));

	/* the reset vCPU still works: same program, same result */
	assert_int_equal(cpu_attach(v, as), 0);
	cpu_set_pc(v, 0x400000);
	expect_done(v);
	assert_int_equal(cpu_get_x(v, 0), (uint64_t)BLOCKS * (INSNS - 1));
	cpu_destroy(v);
	assert_int_equal(cpu_as_destroy(as), 0);
	munmap(code, len);
}

/*
 * dynarmic's libLLVM is the build's stub (Makefile, "A stand-in for
 * libLLVM"): the real one costs every process ~9 MiB resident.
 */
static void test_llvm_stub(void **state)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[4096];
	int stub = 0, real = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char *path = strchr(line, '/');

		if (!path || !strstr(path, "/libLLVM"))
			continue;
		if (strncmp(path, "/usr/", 5) == 0 || strncmp(path, "/lib", 4) == 0)
			real++;
		else
			stub++;
	}
	fclose(f);
	assert_int_equal(real, 0);
	assert_true(stub > 0);
}

/* ---- loops against qemu-aarch64 --------------------------------------------------- */

static void time_program(const char *name)
{
	struct fx *fx = fx_new(name, 0);
	cpu_stats_reset(fx->v);
	uint8_t out[16];
	size_t n;
	double t0 = now_s();
	int code = run_program(fx->v, fx->g.as, out, &n);
	double t_engine = now_s() - t0;
	struct cpu_stats st;
	cpu_stats_read(fx->v, &st);

	char *argv[] = {"qemu-aarch64-static", (char *)guest_path(name), NULL};
	uint8_t qout[16];
	size_t qn;
	double t_qemu;
	int qcode = run_host(argv, qout, sizeof(qout), &qn, &t_qemu);
	assert_int_equal(qcode, code);
	assert_int_equal(qn, 8);
	assert_int_equal(n, 8);
	assert_memory_equal(out, qout, 8); /* same checksum */
	print_message("[ perf ] %-9s engine %.3f s, qemu-aarch64 %.3f s (ratio %.2f); %.0f M guest "
		      "instructions, %lu timeslices, %lu slow reads, %lu slow writes\n",
		      name, t_engine, t_qemu, t_engine / t_qemu, st.ticks / 1e6,
		      (unsigned long)st.exits[CPU_EXIT_TIMESLICE], (unsigned long)st.slow_reads,
		      (unsigned long)st.slow_writes);
	fx_free(fx);
}

static void test_store_loop(void **state)
{
	time_program("storeloop");
}

static void test_register_loop(void **state)
{
	time_program("regloop");
}

static void test_call_loop(void **state)
{
	time_program("callloop");
}

/* Cost of the permission split: loads from an R-only page go through callbacks. */
static void test_readonly_cost(void **state)
{
	struct fx *fx = fx_new("snippets", 0);
	uint64_t *h = map_data(&fx->g, DATA_VA, 4096, CPU_PROT_RW);
	for (int i = 0; i < 512; i++)
		h[i] = i;
	const uint64_t rounds = 20000;
	double t[2];
	for (int k = 0; k < 2; k++) {
		assert_int_equal(cpu_as_protect(fx->g.as, DATA_VA, 4096, k ? CPU_PROT_R : CPU_PROT_RW), 0);
		enter(fx, "readloop");
		cpu_set_x(fx->v, 0, DATA_VA);
		cpu_set_x(fx->v, 1, 512);
		cpu_set_x(fx->v, 2, rounds);
		double t0 = now_s();
		expect_done(fx->v);
		t[k] = now_s() - t0;
		assert_int_equal(cpu_get_x(fx->v, 5), rounds * (511 * 512 / 2));
	}
	print_message("[ perf ] loads: RW page %.2f ns/load, R-only page %.2f ns/load (callback path)\n",
		      t[0] * 1e9 / (rounds * 512), t[1] * 1e9 / (rounds * 512));
	fx_free(fx);
}

/* ---- features: what AT_HWCAP may advertise ------------------------------------------ */

static const struct {
	const char *name;
	int hwcap;  /* bit in AT_HWCAP, or -1 */
	int hwcap2; /* bit in AT_HWCAP2, or -1 */
} probes[] = {
	{"fp", 0, -1},       {"asimd", 1, -1},     {"aes", 3, -1},     {"pmull", 4, -1},
	{"sha1", 5, -1},     {"sha2", 6, -1},      {"crc32", 7, -1},   {"atomics", 8, -1},
	{"fphp", 9, -1},     {"asimdhp", 10, -1},  {"asimdrdm", 12, -1}, {"jscvt", 13, -1},
	{"fcma", 14, -1},    {"lrcpc", 15, -1},    {"dcpop", 16, -1},  {"sha3", 17, -1},
	{"sm3", 18, -1},     {"sm4", 19, -1},      {"asimddp", 20, -1}, {"sha512", 21, -1},
	{"asimdfhm", 23, -1}, {"flagm", 27, -1},   {"ilrcpc", 26, -1}, {"dit", 24, -1},
	{"sb", 29, -1},      {"frint", -1, 8},     {"flagm2", -1, 7},  {"i8mm", -1, 13},
	{"bf16", -1, 14},    {"rng", -1, 16},
};

static void test_features(void **state)
{
	const size_t np = ARRAY_SIZE(probes);
	struct fx *fx = fx_new("probes", 0);
	uint8_t *engine_out = calloc(np, 64);
	int *undef = calloc(np, sizeof(int));
	size_t n = 0;
	/* run all probes; an undefined instruction ends its probe (resume at x30) */
	for (;;) {
		struct cpu_exit e = run(fx->v);
		if (e.kind == CPU_EXIT_UNDEF) {
			uint64_t idx = cpu_get_x(fx->v, 19);
			assert_true(idx < np);
			undef[idx] = 1;
			cpu_set_pc(fx->v, cpu_get_x(fx->v, 30));
			continue;
		}
		assert_int_equal(e.kind, CPU_EXIT_SVC);
		if (cpu_get_x(fx->v, 8) == 94)
			break;
		assert_int_equal(cpu_get_x(fx->v, 8), 64);
		uint64_t len = cpu_get_x(fx->v, 2);
		assert_int_equal(len, np * 64);
		assert_int_equal(cpu_as_read(fx->g.as, cpu_get_x(fx->v, 1), engine_out, len), 0);
		n = len;
		cpu_set_x(fx->v, 0, len);
	}
	assert_int_equal(n, np * 64);

	uint64_t works = 0, works2 = 0;
	print_message("[ info ] feature probes (engine vs qemu-aarch64 -cpu max):\n");
	for (size_t i = 0; i < np; i++) {
		char idx[16];
		snprintf(idx, sizeof(idx), "%zu", i);
		char *argv[] = {"qemu-aarch64-static", "-cpu", "max", (char *)guest_path("probes"), idx, NULL};
		uint8_t qout[64];
		size_t qn;
		int qcode = run_host(argv, qout, sizeof(qout), &qn, NULL);
		const char *verdict;
		bool ok = false;
		if (qcode != 0 || qn != 64)
			verdict = "no reference (qemu lacks it)";
		else if (undef[i])
			verdict = "UNDEFINED on the engine";
		else if (memcmp(qout, engine_out + i * 64, 64) != 0)
			verdict = "WRONG results";
		else {
			verdict = "ok";
			ok = true;
		}
		if (ok && probes[i].hwcap >= 0)
			works |= 1ULL << probes[i].hwcap;
		if (ok && probes[i].hwcap2 >= 0)
			works2 |= 1ULL << probes[i].hwcap2;
		print_message("[ info ]   %-9s %s\n", probes[i].name, verdict);
	}
	print_message("[ info ] executes correctly: hwcap %#lx hwcap2 %#lx; advertised: %#lx %#lx\n",
		      (unsigned long)works, (unsigned long)works2, (unsigned long)cpu_hwcap(),
		      (unsigned long)cpu_hwcap2());
	/* every advertised feature must have passed */
	assert_int_equal(cpu_hwcap() & ~works, 0);
	assert_int_equal(cpu_hwcap2() & ~works2, 0);
	assert_false(cpu_hwcap() & (1ULL << 8)); /* the brief: no LSE unless it runs */
	free(engine_out);
	free(undef);
	fx_free(fx);
}

/* ---- address-space API ----------------------------------------------------------------- */

static void test_as_api(void **state)
{
	struct cpu_as *as = cpu_as_create();
	assert_non_null(as);
	uint8_t *h = host_pages(3 * 4096);
	assert_int_equal(cpu_as_map(as, 0x1000, h + 1, 4096, CPU_PROT_R), -EINVAL);
	assert_int_equal(cpu_as_map(as, 0x1001, h, 4096, CPU_PROT_R), -EINVAL);
	assert_int_equal(cpu_as_map(as, CPU_VA_LIMIT - 4096, h, 8192, CPU_PROT_R), -EINVAL);
	assert_int_equal(cpu_as_map(as, 0x1000, h, 4096, 8), -EINVAL);
	assert_int_equal(cpu_as_map(as, 0x1000, h, 3 * 4096, CPU_PROT_RW), 0);
	void *p;
	unsigned prot;
	assert_int_equal(cpu_as_query(as, 0x2345, &p, &prot), 0);
	assert_ptr_equal(p, h + 0x1345);
	assert_int_equal(prot, CPU_PROT_RW);
	assert_int_equal(cpu_as_unmap(as, 0x2000, 4096), 0);
	assert_int_equal(cpu_as_query(as, 0x2345, &p, &prot), -ENOENT);
	assert_int_equal(cpu_as_protect(as, 0x1000, 3 * 4096, CPU_PROT_R), -ENOENT); /* hole */
	assert_int_equal(cpu_as_protect(as, 0x3000, 4096, CPU_PROT_R), 0);
	assert_int_equal(cpu_as_write(as, 0x3000, "x", 1), -EFAULT);
	assert_int_equal(cpu_as_write(as, 0x1ffe, "abcd", 4), -EFAULT); /* runs into the hole */
	assert_int_equal(cpu_as_read(as, 0x1ffe, h, 2), 0);
	assert_int_equal(cpu_as_destroy(as), 0);
	munmap(h, 3 * 4096);
}

static int group_setup(void **state)
{
	return cpu_pool_init(2);
}

static int group_teardown(void **state)
{
	cpu_pool_fini();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_as_api),
		cmocka_unit_test(test_svc_program),
		cmocka_unit_test(test_svc_imm_and_continue),
		cmocka_unit_test(test_dabt_unmapped),
		cmocka_unit_test(test_dabt_state_precise),
		cmocka_unit_test(test_write_to_readonly),
		cmocka_unit_test(test_straddling_store),
		cmocka_unit_test(test_iabt),
		cmocka_unit_test(test_undef_and_brk),
		cmocka_unit_test(test_wfx_hints),
		cmocka_unit_test(test_registers),
		cmocka_unit_test(test_code_invalidation),
		cmocka_unit_test(test_shared_translation),
		cmocka_unit_test(test_shared_translation_program),
		cmocka_unit_test(test_timeslice),
		cmocka_unit_test(test_halt),
		cmocka_unit_test(test_two_vcpus_exclusive),
		cmocka_unit_test(test_pool),
		cmocka_unit_test(test_vcpu_resident),
		cmocka_unit_test(test_llvm_stub),
		cmocka_unit_test(test_features),
		cmocka_unit_test(test_readonly_cost),
		cmocka_unit_test(test_store_loop),
		cmocka_unit_test(test_register_loop),
		cmocka_unit_test(test_call_loop),
	};
	/* CPU_TEST_FILTER=test_store* runs a subset (cmocka glob) */
	if (getenv("CPU_TEST_FILTER"))
		cmocka_set_test_filter(getenv("CPU_TEST_FILTER"));
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
