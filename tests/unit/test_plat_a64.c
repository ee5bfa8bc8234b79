/*
 * The platform's EL0 address spaces and A64 engine (plat.h, "EL0 address
 * spaces and the A64 engine") on a booted machine: real arm64 programs
 * (tests/guest/, cross-compiled into $(BUILD)/guest/) are loaded into
 * granules delegated through the RMI, mapped PAS_REALM into a plat_as and
 * run with plat_pe_run: system calls, aborts with their syndromes, IRQ
 * exits, injected external aborts, FP state, GPC coherence of the mappings
 * (a granule that leaves the Realm PAS disappears from the address space)
 * and native guests making system calls. Prints the cost of a system-call
 * round trip through plat_pe_run against cpu_run alone.
 */
#include "common/harness.h"

#include <elf.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "arch/esr.h"
#include "plat/emu/cpu/cpu.h"
#include "plat/emu/native_guest.h"
#include "plat/plat.h"

#ifndef CPU_GUEST_DIR
#define CPU_GUEST_DIR "build/guest"
#endif

#define STACK_TOP 0x7fff000000ULL
#define STACK_PAGES 4
#define DATA_VA 0x10000000ULL
#define BRK_DONE 0x100
#define PG 4096ULL

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ---- Loading a static arm64 ELF into delegated granules --------------- */

struct prog {
	uint8_t *file;
	size_t file_len;
	uint64_t entry;
	uint64_t sp;
	struct plat_as *as;
	struct plat_pe *pe;
	struct plat_vcpu_state st;
};

static uint8_t *read_guest(const char *name, size_t *len)
{
	char path[4096];
	const char *dir = getenv("CPU_GUEST_DIR");
	FILE *f;
	uint8_t *buf;

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : CPU_GUEST_DIR, name);
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open guest %s", path);
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(*len);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, *len, f), *len);
	fclose(f);
	return buf;
}

/* A fresh delegated granule mapped PAS_REALM at va with prot. */
static uint64_t map_realm_page(struct plat_as *as, uint64_t va, unsigned prot)
{
	uint64_t pa = th_delegated_granule();

	assert_int_equal(plat_zero(PAS_REALM, pa, PG, NULL), 0);
	assert_int_equal(plat_as_map(as, va, pa, PAS_REALM, prot), 0);
	return pa;
}

/* Write through the translation, as a loader in the trusted layer would. */
static void as_write(struct plat_as *as, uint64_t va, const void *buf, size_t len)
{
	const uint8_t *b = buf;

	while (len > 0) {
		uint64_t pa;
		size_t n = PG - (va & (PG - 1));

		if (n > len)
			n = len;
		assert_int_equal(plat_as_query(as, va, &pa, NULL), 0);
		assert_int_equal(plat_write(PAS_REALM, pa, b, n, NULL), 0);
		va += n;
		b += n;
		len -= n;
	}
}

static void as_read(struct plat_as *as, uint64_t va, void *buf, size_t len)
{
	uint8_t *b = buf;

	while (len > 0) {
		uint64_t pa;
		size_t n = PG - (va & (PG - 1));

		if (n > len)
			n = len;
		assert_int_equal(plat_as_query(as, va, &pa, NULL), 0);
		assert_int_equal(plat_read(PAS_REALM, pa, b, n, NULL), 0);
		va += n;
		b += n;
		len -= n;
	}
}

static void prog_load(struct prog *p, const char *name)
{
	const Elf64_Ehdr *eh;
	const Elf64_Phdr *ph;
	int err = 0;

	memset(p, 0, sizeof(*p));
	p->file = read_guest(name, &p->file_len);
	eh = (const Elf64_Ehdr *)p->file;
	assert_memory_equal(eh->e_ident, ELFMAG, SELFMAG);
	assert_int_equal(eh->e_machine, EM_AARCH64);
	p->as = plat_as_create(&err);
	assert_non_null(p->as);
	ph = (const Elf64_Phdr *)(p->file + eh->e_phoff);
	for (int i = 0; i < eh->e_phnum; i++) {
		unsigned prot;

		if (ph[i].p_type != PT_LOAD)
			continue;
		prot = ((ph[i].p_flags & PF_R) ? PLAT_PROT_R : 0) |
		       ((ph[i].p_flags & PF_W) ? PLAT_PROT_W : 0) |
		       ((ph[i].p_flags & PF_X) ? PLAT_PROT_X : 0);
		for (uint64_t va = ph[i].p_vaddr & ~(PG - 1); va < ph[i].p_vaddr + ph[i].p_memsz;
		     va += PG)
			if (plat_as_query(p->as, va, NULL, NULL) != 0)
				map_realm_page(p->as, va, prot);
		as_write(p->as, ph[i].p_vaddr, p->file + ph[i].p_offset, ph[i].p_filesz);
	}
	p->entry = eh->e_entry;
	for (unsigned i = 0; i < STACK_PAGES; i++)
		map_realm_page(p->as, STACK_TOP - (i + 1) * PG, PLAT_PROT_R | PLAT_PROT_W);
	/* argc = 1, argv = {"guest", NULL}, envp = {NULL}, auxv = {AT_NULL} */
	as_write(p->as, STACK_TOP - 64, "guest", 6);
	{
		uint64_t init[] = {1, STACK_TOP - 64, 0, 0, AT_NULL, 0};

		p->sp = (STACK_TOP - 256) & ~15ULL;
		as_write(p->as, p->sp, init, sizeof(init));
	}
	p->pe = plat_pe_create_a64(p->as, &err);
	assert_non_null(p->pe);
	p->st.pc = p->entry;
	p->st.sp_el0 = p->sp;
}

static void prog_free(struct prog *p)
{
	plat_pe_destroy(p->pe);
	assert_int_equal(plat_as_destroy(p->as), 0);
	free(p->file);
}

static uint64_t prog_sym(const struct prog *p, const char *name)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)p->file;
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(p->file + eh->e_shoff);

	for (int i = 0; i < eh->e_shnum; i++) {
		const Elf64_Sym *sym;
		const char *strtab;

		if (sh[i].sh_type != SHT_SYMTAB)
			continue;
		sym = (const Elf64_Sym *)(p->file + sh[i].sh_offset);
		strtab = (const char *)(p->file + sh[sh[i].sh_link].sh_offset);
		for (size_t j = 0; j < sh[i].sh_size / sizeof(*sym); j++)
			if (strcmp(strtab + sym[j].st_name, name) == 0)
				return sym[j].st_value;
	}
	fail_msg("no symbol %s", name);
	return 0;
}

/* Enter a snippet with a fresh stack. */
static void enter(struct prog *p, const char *sym)
{
	p->st.pc = prog_sym(p, sym);
	p->st.sp_el0 = p->sp;
}

/* Run until an exception (PLAT_PE_IRQ exits are taken and resumed). */
static struct plat_exception run(struct prog *p)
{
	struct plat_exception exc;
	int ret;

	do {
		ret = plat_pe_run(p->pe, NULL, &p->st, &exc);
		assert_true(ret == 0 || ret == PLAT_PE_IRQ);
	} while (ret == PLAT_PE_IRQ);
	return exc;
}

static void expect_done(struct prog *p)
{
	struct plat_exception exc = run(p);

	if (ESR_EC(exc.esr) != EC_BRK64)
		fail_msg("expected brk #0x100, got esr %#lx far %#lx pc %#lx",
			 (unsigned long)exc.esr, (unsigned long)exc.far, (unsigned long)p->st.pc);
	assert_int_equal(ESR_ISS_IMM16(ESR_ISS(exc.esr)), BRK_DONE);
}

/* ---- System calls ----------------------------------------------------- */

static void test_hello_program(void **state)
{
	struct prog p;
	struct plat_exception exc;
	char out[64] = {0};
	uint64_t f = 12586269025ULL; /* fib(50) */

	prog_load(&p, "hello");

	/* the made-up call: x8 and x0..x5 as the program set them */
	exc = run(&p);
	assert_int_equal(ESR_EC(exc.esr), EC_SVC64);
	assert_int_equal(ESR_ISS_IMM16(ESR_ISS(exc.esr)), 0);
	assert_int_equal(p.st.gprs[8], 0x1234);
	assert_int_equal(p.st.gprs[0], 11);
	assert_int_equal(p.st.gprs[1], 22);
	assert_int_equal(p.st.gprs[2], 33);
	assert_int_equal(p.st.gprs[3], 44);
	assert_int_equal(p.st.gprs[4], 55);
	assert_int_equal(p.st.gprs[5], f);
	/* pc is past the SVC: the preferred return address */
	{
		uint32_t insn;

		as_read(p.as, p.st.pc - 4, &insn, 4);
		assert_int_equal(insn, 0xd4000001); /* svc #0 */
	}
	p.st.gprs[0] = 7;

	/* write(1, buf, 17): the text is in the program's granules */
	exc = run(&p);
	assert_int_equal(ESR_EC(exc.esr), EC_SVC64);
	assert_int_equal(p.st.gprs[8], 64);
	assert_int_equal(p.st.gprs[0], 1);
	assert_int_equal(p.st.gprs[2], 17);
	as_read(p.as, p.st.gprs[1], out, 17);
	assert_string_equal(out, "hello from arm64\n");
	p.st.gprs[0] = 17;

	/* exit_group((f + 7) & 0x7f) */
	exc = run(&p);
	assert_int_equal(ESR_EC(exc.esr), EC_SVC64);
	assert_int_equal(p.st.gprs[8], 94);
	assert_int_equal(p.st.gprs[0], (f + 7) & 0x7f);
	prog_free(&p);
}

/* The state the trusted layer hands in is what runs: registers, NZCV, TPIDR. */
static void test_state_in_and_out(void **state)
{
	struct prog p;
	struct plat_exception exc;

	prog_load(&p, "snippets");
	enter(&p, "svc_imm");
	p.st.gprs[2] = 40;
	p.st.gprs[30] = 0x1234;
	p.st.tpidr_el0 = 0xfeedULL;
	p.st.pstate = 0x60000000ULL; /* Z and C */
	exc = run(&p);
	assert_int_equal(ESR_EC(exc.esr), EC_SVC64);
	assert_int_equal(ESR_ISS_IMM16(ESR_ISS(exc.esr)), 0x77);
	assert_int_equal(p.st.pc, prog_sym(&p, "svc_imm") + 4);
	assert_int_equal(p.st.gprs[30], 0x1234);
	assert_int_equal(p.st.tpidr_el0, 0xfeed);
	assert_int_equal(p.st.pstate & 0xF0000000ULL, 0x60000000ULL);
	expect_done(&p);
	assert_int_equal(p.st.gprs[2], 41);
	prog_free(&p);
}

/* ---- Aborts and other exceptions -------------------------------------- */

static void test_dabt_unmapped(void **state)
{
	struct prog p;
	struct plat_exception exc;
	uint64_t pc;

	prog_load(&p, "snippets");
	enter(&p, "ld_off8");
	pc = p.st.pc;
	p.st.gprs[0] = DATA_VA;
	p.st.gprs[2] = 5;
	exc = run(&p);
	assert_int_equal(ESR_EC(exc.esr), EC_DABT_LOW);
	assert_int_equal(ESR_ISS_FSC(ESR_ISS(exc.esr)), FSC_TRANSLATION(3));
	assert_false(ESR_ISS(exc.esr) & ESR_ISS_WNR);
	assert_int_equal(exc.far, DATA_VA + 8);
	assert_int_equal(p.st.pc, pc); /* at the faulting instruction */
	assert_int_equal(p.st.gprs[2], 5);

	/* map it: running again completes the load */
	{
		uint64_t pa = map_realm_page(p.as, DATA_VA, PLAT_PROT_R);

		assert_int_equal(plat_write_u64(PAS_REALM, pa + 8, 0xabcdef, NULL), 0);
	}
	expect_done(&p);
	assert_int_equal(p.st.gprs[1], 0xabcdef);
	assert_int_equal(p.st.gprs[2], 6);
	prog_free(&p);
}

static void test_write_to_readonly(void **state)
{
	struct prog p;
	struct plat_exception exc;
	uint64_t pa, v = 0;

	prog_load(&p, "snippets");
	pa = map_realm_page(p.as, DATA_VA, PLAT_PROT_R);
	enter(&p, "st_x1");
	p.st.gprs[0] = DATA_VA + 0x10;
	p.st.gprs[1] = 0x55;
	exc = run(&p);
	assert_int_equal(ESR_EC(exc.esr), EC_DABT_LOW);
	assert_int_equal(ESR_ISS_FSC(ESR_ISS(exc.esr)), FSC_PERMISSION(3));
	assert_true(ESR_ISS(exc.esr) & ESR_ISS_WNR);
	assert_int_equal(exc.far, DATA_VA + 0x10);
	assert_int_equal(p.st.pc, prog_sym(&p, "st_x1"));
	assert_int_equal(plat_read_u64(PAS_REALM, pa + 0x10, &v, NULL), 0);
	assert_int_equal(v, 0);

	/* made writable, the store completes into the granule */
	assert_int_equal(plat_as_protect(p.as, DATA_VA, PG, PLAT_PROT_R | PLAT_PROT_W), 0);
	expect_done(&p);
	assert_int_equal(plat_read_u64(PAS_REALM, pa + 0x10, &v, NULL), 0);
	assert_int_equal(v, 0x55);
	prog_free(&p);
}

static void test_iabt_undef_brk_align_wfx(void **state)
{
	struct prog p;
	struct plat_exception exc;

	prog_load(&p, "snippets");

	/* branch to an unmapped page: instruction abort, FAR = pc = target */
	enter(&p, "br_x0");
	p.st.gprs[0] = DATA_VA;
	exc = run(&p);
	assert_int_equal(ESR_EC(exc.esr), EC_IABT_LOW);
	assert_int_equal(ESR_ISS_FSC(ESR_ISS(exc.esr)), FSC_TRANSLATION(3));
	assert_int_equal(exc.far, DATA_VA);
	assert_int_equal(p.st.pc, DATA_VA);

	/* to a mapped page without X: permission fault */
	map_realm_page(p.as, DATA_VA, PLAT_PROT_R | PLAT_PROT_W);
	enter(&p, "br_x0");
	p.st.gprs[0] = DATA_VA;
	exc = run(&p);
	assert_int_equal(ESR_EC(exc.esr), EC_IABT_LOW);
	assert_int_equal(ESR_ISS_FSC(ESR_ISS(exc.esr)), FSC_PERMISSION(3));

	/* misaligned target */
	enter(&p, "br_x0");
	p.st.gprs[0] = prog_sym(&p, "spin") + 2;
	exc = run(&p);
	assert_int_equal(ESR_EC(exc.esr), EC_PC_ALIGN);
	assert_int_equal(exc.far, prog_sym(&p, "spin") + 2);

	enter(&p, "undef_insn");
	exc = run(&p);
	assert_int_equal(ESR_EC(exc.esr), EC_UNKNOWN);
	assert_int_equal(p.st.pc, prog_sym(&p, "undef_insn"));

	enter(&p, "brk_42");
	exc = run(&p);
	assert_int_equal(ESR_EC(exc.esr), EC_BRK64);
	assert_int_equal(ESR_ISS_IMM16(ESR_ISS(exc.esr)), 0x42);

	enter(&p, "wfx_hints");
	exc = run(&p); /* yield continues; wfi traps */
	assert_int_equal(ESR_EC(exc.esr), EC_WFX);
	assert_int_equal(ESR_ISS(exc.esr) & 1, 0);
	exc = run(&p);
	assert_int_equal(ESR_EC(exc.esr), EC_WFX);
	assert_int_equal(ESR_ISS(exc.esr) & 1, 1);
	expect_done(&p);
	prog_free(&p);
}

/* An injected SEA comes back as the next entry's exception; no code runs. */
static void test_inject_sea(void **state)
{
	struct prog p;
	struct plat_exception exc;
	uint64_t pc;

	prog_load(&p, "snippets");
	enter(&p, "st_x1");
	pc = p.st.pc;
	p.st.gprs[0] = DATA_VA + 8;
	p.st.gprs[2] = 3;
	exc = run(&p);
	assert_int_equal(ESR_EC(exc.esr), EC_DABT_LOW);
	map_realm_page(p.as, DATA_VA, PLAT_PROT_R | PLAT_PROT_W); /* would now succeed */
	plat_pe_inject_sea(p.pe, &p.st);
	exc = run(&p);
	assert_int_equal(ESR_EC(exc.esr), EC_DABT_LOW);
	assert_int_equal(ESR_ISS_FSC(ESR_ISS(exc.esr)), FSC_SYNC_EXTERNAL);
	assert_true(ESR_ISS(exc.esr) & ESR_ISS_WNR);
	assert_int_equal(exc.far, DATA_VA + 8);
	assert_int_equal(p.st.pc, pc);
	assert_int_equal(p.st.gprs[2], 3);
	/* delivered once: the next run executes the store */
	expect_done(&p);
	assert_int_equal(p.st.gprs[2], 4);

	/* after an SVC there is no FAR: FnV */
	enter(&p, "svc_imm");
	exc = run(&p);
	assert_int_equal(ESR_EC(exc.esr), EC_SVC64);
	plat_pe_inject_sea(p.pe, &p.st);
	exc = run(&p);
	assert_int_equal(ESR_EC(exc.esr), EC_DABT_LOW);
	assert_int_equal(ESR_ISS_FSC(ESR_ISS(exc.esr)), FSC_SYNC_EXTERNAL);
	assert_true(ESR_ISS(exc.esr) & ESR_ISS_FNV);
	prog_free(&p);
}

/* Every entry is an exception return: an LDXR before it does not pair with an STXR after. */
static void test_entry_clears_exclusive(void **state)
{
	struct prog p;

	prog_load(&p, "snippets");
	map_realm_page(p.as, DATA_VA, PLAT_PROT_R | PLAT_PROT_W);

	/* in one run the pair succeeds */
	enter(&p, "stxr_only");
	p.st.gprs[0] = DATA_VA;
	p.st.gprs[3] = 7;
	expect_done(&p);
	assert_int_equal(p.st.gprs[3], 0);

	/* LDXR, exception (BRK), re-entry at the STXR: it fails */
	enter(&p, "ldxr_only");
	p.st.gprs[0] = DATA_VA;
	expect_done(&p);
	p.st.pc = prog_sym(&p, "stxr_only") + 4;
	p.st.gprs[3] = 7;
	expect_done(&p);
	assert_int_equal(p.st.gprs[3], 1);
	prog_free(&p);
}

/* ---- Interrupts: timeslice and halt ----------------------------------- */

struct halter {
	struct plat_pe *pe;
	unsigned delay_ms;
};

static void *halter_main(void *arg)
{
	struct halter *h = arg;

	usleep(h->delay_ms * 1000);
	plat_pe_halt(h->pe);
	return NULL;
}

static void test_irq_and_halt(void **state)
{
	struct prog p;
	struct plat_exception exc;
	struct halter h;
	pthread_t t;
	uint64_t x1;
	double t0, dt;
	int ret;

	prog_load(&p, "snippets");
	enter(&p, "spin");

	/* an endless loop ends its timeslice: PLAT_PE_IRQ, nothing in *exc */
	memset(&exc, 0xAA, sizeof(exc));
	ret = plat_pe_run(p.pe, NULL, &p.st, &exc);
	assert_int_equal(ret, PLAT_PE_IRQ);
	assert_int_equal(exc.esr, 0);
	assert_true(p.st.gprs[1] > 0);
	assert_true(p.st.pc >= prog_sym(&p, "spin") && p.st.pc <= prog_sym(&p, "spin") + 4);

	/* a halt before the run: it returns at once, nothing executed */
	x1 = p.st.gprs[1];
	plat_pe_halt(p.pe);
	ret = plat_pe_run(p.pe, NULL, &p.st, &exc);
	assert_int_equal(ret, PLAT_PE_IRQ);
	assert_int_equal(p.st.gprs[1], x1);

	/* a halt from another thread interrupts a run (at the latest at the slice end) */
	h.pe = p.pe;
	h.delay_ms = 30;
	assert_int_equal(pthread_create(&t, NULL, halter_main, &h), 0);
	t0 = now_s();
	for (int i = 0; i < 1000; i++) {
		ret = plat_pe_run(p.pe, NULL, &p.st, &exc);
		assert_int_equal(ret, PLAT_PE_IRQ);
		if (now_s() - t0 > 0.03)
			break;
	}
	pthread_join(t, NULL);
	dt = now_s() - t0;
	assert_true(dt < 5.0);
	assert_true(p.st.gprs[1] > x1);
	prog_free(&p);
}

/* ---- GPC coherence ----------------------------------------------------- */

/* Undelegating a mapped granule removes it from the address space. */
static void test_undelegate_shoots_down(void **state)
{
	struct prog p;
	struct plat_exception exc;
	uint64_t pa, pa2, q;
	unsigned prot;

	prog_load(&p, "snippets");
	pa = map_realm_page(p.as, DATA_VA, PLAT_PROT_R | PLAT_PROT_W);
	pa2 = map_realm_page(p.as, DATA_VA + PG, PLAT_PROT_R | PLAT_PROT_W);
	assert_int_equal(plat_write_u64(PAS_REALM, pa + 8, 0x1111, NULL), 0);
	assert_int_equal(plat_write_u64(PAS_REALM, pa2 + 8, 0x2222, NULL), 0);

	enter(&p, "ld_off8");
	p.st.gprs[0] = DATA_VA;
	expect_done(&p);
	assert_int_equal(p.st.gprs[1], 0x1111);

	/* GRANULE_UNDELEGATE: the RMM asks the monitor (GTSI), which TLBIs */
	assert_int_equal(th_rmi(SMC_RMI_GRANULE_UNDELEGATE, pa, 0, 0, 0, 0, 0, NULL), RMI_SUCCESS);
	assert_int_equal(plat_as_query(p.as, DATA_VA, &q, &prot), -ENOENT);
	/* the other granule is still Realm and stays mapped */
	assert_int_equal(plat_as_query(p.as, DATA_VA + PG + 5, &q, &prot), 0);
	assert_int_equal(q, pa2 + 5);
	assert_int_equal(prot, PLAT_PROT_R | PLAT_PROT_W);

	/* EL0 code cannot reach the granule any more */
	enter(&p, "ld_off8");
	p.st.gprs[0] = DATA_VA;
	p.st.gprs[1] = 0;
	exc = run(&p);
	assert_int_equal(ESR_EC(exc.esr), EC_DABT_LOW);
	assert_int_equal(ESR_ISS_FSC(ESR_ISS(exc.esr)), FSC_TRANSLATION(3));
	assert_int_equal(exc.far, DATA_VA + 8);
	assert_int_equal(p.st.gprs[1], 0);

	enter(&p, "ld_off8");
	p.st.gprs[0] = DATA_VA + PG;
	expect_done(&p);
	assert_int_equal(p.st.gprs[1], 0x2222);

	/* and it cannot be mapped again for the Realm PAS */
	assert_int_equal(plat_as_map(p.as, DATA_VA, pa, PAS_REALM, PLAT_PROT_R), -EFAULT);
	prog_free(&p);
}

/* A PAS_NS mapping goes when the granule is delegated to the Realm PAS. */
static void test_delegate_shoots_down_ns(void **state)
{
	struct prog p;
	uint64_t ns = th_ns_granule(), other = th_ns_granule();

	prog_load(&p, "snippets");
	assert_int_equal(plat_as_map(p.as, DATA_VA, ns, PAS_NS, PLAT_PROT_R), 0);
	assert_int_equal(plat_as_map(p.as, DATA_VA + PG, other, PAS_NS, PLAT_PROT_R), 0);
	/* the same granule twice: both VAs go */
	assert_int_equal(plat_as_map(p.as, DATA_VA + 2 * PG, ns, PAS_NS, PLAT_PROT_R), 0);
	assert_int_equal(th_rmi(SMC_RMI_GRANULE_DELEGATE, ns, 0, 0, 0, 0, 0, NULL), RMI_SUCCESS);
	assert_int_equal(plat_as_query(p.as, DATA_VA, NULL, NULL), -ENOENT);
	assert_int_equal(plat_as_query(p.as, DATA_VA + 2 * PG, NULL, NULL), -ENOENT);
	assert_int_equal(plat_as_query(p.as, DATA_VA + PG, NULL, NULL), 0);
	/* a Realm mapping of it is fine now */
	assert_int_equal(plat_as_map(p.as, DATA_VA, ns, PAS_REALM, PLAT_PROT_R), 0);
	/* PAALLOS re-checks everything: nothing changed, nothing goes */
	plat_tlbi_paallos();
	assert_int_equal(plat_as_query(p.as, DATA_VA, NULL, NULL), 0);
	assert_int_equal(plat_as_query(p.as, DATA_VA + PG, NULL, NULL), 0);
	prog_free(&p);
}

/*
 * A whole-GPT invalidation while no PE runs in the space (RContainer's GPTBR
 * switch) is settled at the next entry: a granule that left the PAS in
 * between (a ranged TLBI that came while the check was pending) is absent
 * for queries at once and faults at the entry; the others stay mapped.
 */
static void test_paallos_deferred_to_entry(void **state)
{
	struct prog p;
	struct plat_exception exc;
	uint64_t ns = th_ns_granule(), other = th_ns_granule();

	prog_load(&p, "snippets");
	assert_int_equal(plat_as_map(p.as, DATA_VA, ns, PAS_NS, PLAT_PROT_R), 0);
	assert_int_equal(plat_as_map(p.as, DATA_VA + PG, other, PAS_NS, PLAT_PROT_R), 0);
	assert_int_equal(plat_write_u64(PAS_NS, other + 8, 0x3333, NULL), 0);
	plat_tlbi_paallos(); /* deferred: no PE is running */
	assert_int_equal(th_rmi(SMC_RMI_GRANULE_DELEGATE, ns, 0, 0, 0, 0, 0, NULL), RMI_SUCCESS);
	assert_int_equal(plat_as_query(p.as, DATA_VA, NULL, NULL), -ENOENT);
	assert_int_equal(plat_as_query(p.as, DATA_VA + PG, NULL, NULL), 0);

	enter(&p, "ld_off8");
	p.st.gprs[0] = DATA_VA;
	exc = run(&p);
	assert_int_equal(ESR_EC(exc.esr), EC_DABT_LOW);
	assert_int_equal(ESR_ISS_FSC(ESR_ISS(exc.esr)), FSC_TRANSLATION(3));

	enter(&p, "ld_off8");
	p.st.gprs[0] = DATA_VA + PG;
	expect_done(&p);
	assert_int_equal(p.st.gprs[1], 0x3333);
	assert_int_equal(th_rmi(SMC_RMI_GRANULE_UNDELEGATE, ns, 0, 0, 0, 0, 0, NULL), RMI_SUCCESS);
	prog_free(&p);
}

/* A run on another thread loses the page while it reads it in a loop. */
struct runner {
	struct prog *p;
	int ret;
	struct plat_exception exc;
	unsigned irqs;
	volatile int started;
};

static void *runner_main(void *arg)
{
	struct runner *r = arg;
	double t0 = now_s();

	r->started = 1;
	do {
		r->ret = plat_pe_run(r->p->pe, NULL, &r->p->st, &r->exc);
		if (r->ret == PLAT_PE_IRQ)
			r->irqs++;
	} while (r->ret == PLAT_PE_IRQ && now_s() - t0 < 20.0);
	return NULL;
}

static void test_shootdown_while_running(void **state)
{
	struct prog p;
	struct runner r = {0};
	pthread_t t;
	uint64_t pa;

	prog_load(&p, "snippets");
	pa = map_realm_page(p.as, DATA_VA, PLAT_PROT_R | PLAT_PROT_W);
	enter(&p, "readloop");
	p.st.gprs[0] = DATA_VA;
	p.st.gprs[1] = PG / 8;
	p.st.gprs[2] = 1ULL << 40;
	r.p = &p;
	assert_int_equal(pthread_create(&t, NULL, runner_main, &r), 0);
	while (!r.started)
		usleep(1000);
	usleep(50000);
	assert_int_equal(th_rmi(SMC_RMI_GRANULE_UNDELEGATE, pa, 0, 0, 0, 0, 0, NULL), RMI_SUCCESS);
	pthread_join(t, NULL);
	assert_int_equal(r.ret, 0);
	assert_int_equal(ESR_EC(r.exc.esr), EC_DABT_LOW);
	assert_int_equal(ESR_ISS_FSC(ESR_ISS(r.exc.esr)), FSC_TRANSLATION(3));
	assert_true(r.exc.far >= DATA_VA && r.exc.far < DATA_VA + PG);
	print_message("page lost after %u interrupts of the reading loop\n", r.irqs);
	prog_free(&p);
}

/* Maps racing with delegations never leave a mapping the GPC refuses. */
struct mapper {
	struct plat_as *as;
	uint64_t pa;
	volatile int stop;
	unsigned ok, refused;
};

static void *mapper_main(void *arg)
{
	struct mapper *m = arg;

	while (!m->stop) {
		int ret = plat_as_map(m->as, DATA_VA, m->pa, PAS_NS, PLAT_PROT_R);

		if (ret == 0)
			m->ok++;
		else if (ret == -EFAULT)
			m->refused++;
		else
			break;
	}
	return NULL;
}

static void test_map_races_delegate(void **state)
{
	struct mapper m = {0};
	int err;
	unsigned bad = 0;

	m.as = plat_as_create(&err);
	assert_non_null(m.as);
	m.pa = th_ns_granule();
	for (int i = 0; i < 200; i++) {
		pthread_t t;

		m.stop = 0;
		assert_int_equal(pthread_create(&t, NULL, mapper_main, &m), 0);
		usleep(200);
		assert_int_equal(th_rmi(SMC_RMI_GRANULE_DELEGATE, m.pa, 0, 0, 0, 0, 0, NULL),
				 RMI_SUCCESS);
		/* from here on every map is refused, and none made before survives */
		usleep(200);
		m.stop = 1;
		pthread_join(t, NULL);
		if (plat_as_query(m.as, DATA_VA, NULL, NULL) != -ENOENT)
			bad++;
		assert_int_equal(th_rmi(SMC_RMI_GRANULE_UNDELEGATE, m.pa, 0, 0, 0, 0, 0, NULL),
				 RMI_SUCCESS);
	}
	assert_int_equal(bad, 0);
	assert_true(m.ok > 0);
	assert_true(m.refused > 0);
	assert_int_equal(plat_as_destroy(m.as), 0);
}

/* ---- The address-space API -------------------------------------------- */

static void test_as_api(void **state)
{
	int err = 0;
	struct plat_as *as = plat_as_create(&err);
	struct plat_pe *pe;
	uint64_t realm = th_delegated_granule(), ns = th_ns_granule(), q;
	unsigned prot;

	assert_non_null(as);
	/* the GPC refuses a granule of the wrong PAS */
	assert_int_equal(plat_as_map(as, DATA_VA, ns, PAS_REALM, PLAT_PROT_R), -EFAULT);
	assert_int_equal(plat_as_map(as, DATA_VA, realm, PAS_NS, PLAT_PROT_R), -EFAULT);
	assert_int_equal(plat_as_map(as, DATA_VA, th_layout.rmm_base, PAS_NS, PLAT_PROT_R),
			 -EFAULT);
	assert_int_equal(plat_as_map(as, DATA_VA, th_layout.root_base, PAS_REALM, PLAT_PROT_R),
			 -EFAULT);
	/* outside DRAM */
	assert_int_equal(plat_as_map(as, DATA_VA, 0x1000, PAS_NS, PLAT_PROT_R), -EFAULT);
	assert_int_equal(plat_as_query(as, DATA_VA, NULL, NULL), -ENOENT);
	/* bad arguments */
	assert_int_equal(plat_as_map(as, DATA_VA + 1, realm, PAS_REALM, PLAT_PROT_R), -EINVAL);
	assert_int_equal(plat_as_map(as, DATA_VA, realm + 8, PAS_REALM, PLAT_PROT_R), -EINVAL);
	assert_int_equal(plat_as_map(as, 1ULL << 39, realm, PAS_REALM, PLAT_PROT_R), -EINVAL);
	assert_int_equal(plat_as_map(as, DATA_VA, realm, PAS_REALM, 8), -EINVAL);
	assert_int_equal(plat_as_unmap(as, DATA_VA, 0), -EINVAL);
	assert_int_equal(plat_as_protect(as, DATA_VA, 3, PLAT_PROT_R), -EINVAL);

	assert_int_equal(plat_as_map(as, DATA_VA, realm, PAS_REALM, PLAT_PROT_R | PLAT_PROT_X), 0);
	assert_int_equal(plat_as_query(as, DATA_VA + 0x123, &q, &prot), 0);
	assert_int_equal(q, realm + 0x123);
	assert_int_equal(prot, PLAT_PROT_R | PLAT_PROT_X);
	/* protect: all pages mapped or nothing changes */
	assert_int_equal(plat_as_protect(as, DATA_VA, 2 * PG, PLAT_PROT_R), -ENOENT);
	assert_int_equal(plat_as_query(as, DATA_VA, NULL, &prot), 0);
	assert_int_equal(prot, PLAT_PROT_R | PLAT_PROT_X);
	assert_int_equal(plat_as_protect(as, DATA_VA, PG, PLAT_PROT_R | PLAT_PROT_W), 0);
	assert_int_equal(plat_as_query(as, DATA_VA, NULL, &prot), 0);
	assert_int_equal(prot, PLAT_PROT_R | PLAT_PROT_W);
	/* remap replaces */
	assert_int_equal(plat_as_map(as, DATA_VA, ns, PAS_NS, PLAT_PROT_R), 0);
	assert_int_equal(plat_as_query(as, DATA_VA, &q, NULL), 0);
	assert_int_equal(q, ns);
	/* unmap with holes, over a large range */
	assert_int_equal(plat_as_map(as, DATA_VA + 16 * PG, realm, PAS_REALM, PLAT_PROT_R), 0);
	assert_int_equal(plat_as_unmap(as, 0, 1ULL << 39), 0);
	assert_int_equal(plat_as_query(as, DATA_VA, NULL, NULL), -ENOENT);
	assert_int_equal(plat_as_query(as, DATA_VA + 16 * PG, NULL, NULL), -ENOENT);

	/* busy while a PE is attached */
	pe = plat_pe_create_a64(as, &err);
	assert_non_null(pe);
	assert_int_equal(plat_as_destroy(as), -EBUSY);
	plat_pe_destroy(pe);
	assert_int_equal(plat_as_destroy(as), 0);

	assert_null(plat_pe_create_a64(NULL, &err));
	assert_int_equal(err, -EINVAL);
	assert_int_equal(plat_a64_hwcap(), cpu_hwcap());
	assert_true(plat_a64_hwcap() & 3); /* FP, ASIMD */
	assert_int_equal(plat_a64_hwcap2(), cpu_hwcap2());
}

/* Mappings do not outlive the machine: plat_fini removes them. */
static void test_machine_off(void **state)
{
	int err;
	struct plat_as *as = plat_as_create(&err);

	assert_non_null(as);
	assert_int_equal(plat_as_map(as, DATA_VA, th_ns_granule(), PAS_NS, PLAT_PROT_R), 0);
	th_shutdown();
	assert_int_equal(plat_as_query(as, DATA_VA, NULL, NULL), -ENOENT);
	assert_int_equal(plat_as_destroy(as), 0);
	th_boot(0);
}

/* ---- FP/SIMD ------------------------------------------------------------ */

static void test_fp_state(void **state)
{
	struct prog p;
	struct plat_fp_state fp, back;
	double d0, want;

	prog_load(&p, "snippets");
	memset(&fp, 0, sizeof(fp));
	for (int i = 0; i < 32; i++) {
		fp.q[i][0] = 0x0101010101010101ULL * (uint64_t)i;
		fp.q[i][1] = ~fp.q[i][0];
	}
	/* d1 = 1.5, d2 = 4.0, d3 = 0.25: the snippet computes d0 = d1 * d2 + d3 */
	{
		double d1 = 1.5, d2 = 4.0, d3 = 0.25;

		memcpy(&fp.q[1][0], &d1, 8);
		memcpy(&fp.q[2][0], &d2, 8);
		memcpy(&fp.q[3][0], &d3, 8);
	}
	fp.fpcr = 0x03000000; /* DN, FZ */
	fp.fpsr = 0x10;
	assert_int_equal(plat_pe_set_fp(p.pe, &fp), 0);
	assert_int_equal(plat_pe_get_fp(p.pe, &back), 0);
	assert_memory_equal(&back, &fp, sizeof(fp));

	/* lives in the PE across runs, and the code sees it */
	enter(&p, "fpsimd");
	expect_done(&p);
	assert_int_equal(plat_pe_get_fp(p.pe, &back), 0);
	memcpy(&d0, &back.q[0][0], 8);
	want = 1.5 * 4.0 + 0.25;
	assert_true(d0 == want);
	assert_memory_equal(&back.q[7], &fp.q[7], 16);
	assert_int_equal(back.fpcr, fp.fpcr);

	/* not an A64 PE */
	assert_int_equal(plat_pe_get_fp(NULL, &back), -EINVAL);
	prog_free(&p);
}

/* ---- Native guests making system calls --------------------------------- */

#define NG_ENTRY 0x7a640000ULL

static void svc_guest(struct native_guest *g, const uint64_t gprs[8])
{
	struct smc_regs r;

	memset(&r, 0, sizeof(r));
	r.x[8] = 64;
	r.x[0] = 1;
	r.x[1] = 0x1000;
	r.x[2] = gprs[0];
	r.x[9] = 0x999; /* not an argument: not passed */
	native_guest_svc(g, &r);
	{
		uint64_t result = r.x[0];

		memset(&r, 0, sizeof(r));
		r.x[8] = 94;
		r.x[0] = result + 1; /* the test answered 0 */
		native_guest_svc(g, &r);
	}
}

static void test_native_guest_svc(void **state)
{
	struct plat_vcpu_state st;
	struct plat_exception exc;
	struct plat_pe *pe;
	struct plat_fp_state fp;
	int err = 0;

	assert_int_equal(plat_native_guest_register(NG_ENTRY, svc_guest), 0);
	pe = plat_pe_create(NG_ENTRY, &err);
	assert_non_null(pe);
	memset(&st, 0, sizeof(st));
	st.pc = NG_ENTRY;
	st.gprs[0] = 17;
	st.gprs[9] = 0x5;
	assert_int_equal(plat_pe_run(pe, NULL, &st, &exc), 0);
	assert_int_equal(ESR_EC(exc.esr), EC_SVC64);
	assert_int_equal(ESR_ISS_IMM16(ESR_ISS(exc.esr)), 0);
	assert_int_equal(st.gprs[8], 64);
	assert_int_equal(st.gprs[0], 1);
	assert_int_equal(st.gprs[1], 0x1000);
	assert_int_equal(st.gprs[2], 17);
	assert_int_equal(st.gprs[9], 0x5);
	assert_int_equal(st.pc, NG_ENTRY + 4); /* past the SVC, as on an A64 PE */
	st.gprs[0] = 0;			       /* result */

	/* a halt makes the next run an interrupt, the guest does not move */
	plat_pe_halt(pe);
	assert_int_equal(plat_pe_run(pe, NULL, &st, &exc), PLAT_PE_IRQ);
	assert_int_equal(st.pc, NG_ENTRY + 4);

	assert_int_equal(plat_pe_run(pe, NULL, &st, &exc), 0);
	assert_int_equal(ESR_EC(exc.esr), EC_SVC64);
	assert_int_equal(st.gprs[8], 94);
	assert_int_equal(st.gprs[0], 1); /* the guest saw x0 = 0 */
	assert_int_equal(st.pc, NG_ENTRY + 8);
	assert_int_equal(plat_pe_get_fp(pe, &fp), -EINVAL);
	plat_pe_destroy(pe);
	plat_native_guest_unregister(NG_ENTRY);
}

/* ---- Cost of a system-call round trip ----------------------------------- */

/* CPU time of the calling thread: what a loaded machine's preemptions do not inflate. */
static double thread_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* n round trips through plat_pe_run; returns seconds of thread CPU time. */
static double time_plat(struct prog *p, unsigned n)
{
	struct plat_exception exc;
	uint64_t x1 = p->st.gprs[1];
	double t0 = thread_s();

	for (unsigned i = 0; i < n; i++) {
		int ret = plat_pe_run(p->pe, NULL, &p->st, &exc);

		if (ret != 0)
			assert_int_equal(ret, PLAT_PE_IRQ);
	}
	t0 = thread_s() - t0;
	assert_true(p->st.gprs[1] - x1 >= n - 10);
	return t0;
}

/* n round trips through cpu_run alone (registers stay in the vCPU). */
static double time_cpu(struct cpu_vcpu *v, unsigned n)
{
	struct cpu_exit e;
	uint64_t x1 = cpu_get_x(v, 1);
	double t0 = thread_s();

	for (unsigned i = 0; i < n; i++)
		cpu_run(v, &e);
	t0 = thread_s() - t0;
	assert_true(cpu_get_x(v, 1) - x1 >= n - 10);
	return t0;
}

/*
 * A system-call round trip (SVC exit, resume) through plat_pe_run against
 * the same code on cpu_run alone. Short batches alternate; the best batch
 * of each (thread CPU time) is printed, not asserted: the machine is shared.
 */
static void test_svc_round_trip_cost(void **state)
{
	struct prog p;
	struct plat_exception exc;
	const unsigned n = 5000, rounds = 100;
	double best_plat = 1e9, best_cpu = 1e9, sum_plat = 0, sum_cpu = 0;
	struct cpu_as *cas;
	struct cpu_vcpu *v;
	struct cpu_exit e;
	void *code;

	prog_load(&p, "svcloop");
	exc = run(&p); /* the first one compiles the block */
	assert_int_equal(ESR_EC(exc.esr), EC_SVC64);

	cas = cpu_as_create();
	assert_non_null(cas);
	code = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(code != MAP_FAILED);
	as_read(p.as, p.entry & ~(PG - 1), code, PG);
	assert_int_equal(cpu_as_map(cas, p.entry & ~(PG - 1), code, PG, CPU_PROT_RX), 0);
	v = cpu_get();
	assert_non_null(v);
	assert_int_equal(cpu_attach(v, cas), 0);
	cpu_set_pc(v, p.entry);
	assert_int_equal(cpu_run(v, &e), 0);
	assert_int_equal(e.kind, CPU_EXIT_SVC);

	for (unsigned r = 0; r < rounds; r++) {
		double tp = time_plat(&p, n), tc = time_cpu(v, n);

		sum_plat += tp;
		sum_cpu += tc;
		if (tp < best_plat)
			best_plat = tp;
		if (tc < best_cpu)
			best_cpu = tc;
	}
	print_message("svc round trip, best of %u x %u (mean): plat_pe_run %.0f ns (%.0f), "
		      "cpu_run %.0f ns (%.0f); overhead %.0f ns, %.2fx\n",
		      rounds, n, best_plat / n * 1e9, sum_plat / rounds / n * 1e9,
		      best_cpu / n * 1e9, sum_cpu / rounds / n * 1e9,
		      (best_plat - best_cpu) / n * 1e9, best_plat / best_cpu);
	cpu_put(v);
	assert_int_equal(cpu_as_destroy(cas), 0);
	munmap(code, PG);
	prog_free(&p);
}

/*
 * Costs of the address-space operations (printed): plat_as_map/unmap per
 * page against cpu_as_map/unmap, and a single-granule TLBI RPALOS (what
 * every delegate/undelegate does) with that many pages mapped.
 */
static void test_map_cost(void **state)
{
	const unsigned n = 4096;
	uint64_t base = th_delegated_granules(64);
	struct plat_as *as;
	struct cpu_as *cas;
	double t_map, t_unmap, t_cmap, t_cunmap, t_tlbi, t_tlbi0, t_tlbi64, t0;
	int err;

	t0 = thread_s();
	for (unsigned i = 0; i < 1000; i++)
		plat_tlbi_rpalos(base + (64 + i % 16) * PG, PG);
	t_tlbi0 = (thread_s() - t0) / 1000;
	as = plat_as_create(&err);
	assert_non_null(as);
	cas = cpu_as_create();
	assert_non_null(cas);
	t0 = thread_s();
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(plat_as_map(as, DATA_VA + i * PG, base + (i % 64) * PG, PAS_REALM,
					     PLAT_PROT_R | PLAT_PROT_W),
				 0);
	t_map = thread_s() - t0;
	t0 = thread_s();
	for (unsigned i = 0; i < 1000; i++)
		plat_tlbi_rpalos(base + (64 + i % 16) * PG, PG);
	t_tlbi = (thread_s() - t0) / 1000;
	t0 = thread_s();
	for (unsigned i = 0; i < 1000; i++)
		plat_tlbi_rpalos(base + (i % 64) * PG, PG);
	t_tlbi64 = (thread_s() - t0) / 1000;
	assert_int_equal(plat_as_query(as, DATA_VA + (n - 1) * PG, NULL, NULL), 0);
	t0 = thread_s();
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(plat_as_unmap(as, DATA_VA + i * PG, PG), 0);
	t_unmap = thread_s() - t0;

	t0 = thread_s();
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(cpu_as_map(cas, DATA_VA + i * PG,
					    plat_map(PAS_REALM, base + (i % 64) * PG, PG, NULL), PG,
					    CPU_PROT_RW),
				 0);
	t_cmap = thread_s() - t0;
	t0 = thread_s();
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(cpu_as_unmap(cas, DATA_VA + i * PG, PG), 0);
	t_cunmap = thread_s() - t0;
	print_message(
		"per page: plat_as_map %.0f ns (cpu_as_map %.0f), plat_as_unmap %.0f ns "
		"(cpu_as_unmap %.0f); TLBI RPALOS of one granule with %u pages mapped: %.0f ns "
		"(%.0f ns with no plat_as; %.0f ns when the granule is mapped at %u VAs)\n",
		t_map / n * 1e9, t_cmap / n * 1e9, t_unmap / n * 1e9, t_cunmap / n * 1e9, n,
		t_tlbi * 1e9, t_tlbi0 * 1e9, t_tlbi64 * 1e9, n / 64);
	assert_int_equal(cpu_as_destroy(cas), 0);
	assert_int_equal(plat_as_destroy(as), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hello_program, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_state_in_and_out, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_dabt_unmapped, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_write_to_readonly, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_iabt_undef_brk_align_wfx, th_setup,
						th_teardown),
		cmocka_unit_test_setup_teardown(test_inject_sea, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_entry_clears_exclusive, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_irq_and_halt, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_undelegate_shoots_down, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_delegate_shoots_down_ns, th_setup,
						th_teardown),
		cmocka_unit_test_setup_teardown(test_paallos_deferred_to_entry, th_setup,
						th_teardown),
		cmocka_unit_test_setup_teardown(test_shootdown_while_running, th_setup,
						th_teardown),
		cmocka_unit_test_setup_teardown(test_map_races_delegate, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_as_api, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_machine_off, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_fp_state, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_native_guest_svc, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_svc_round_trip_cost, th_setup, th_teardown),
		cmocka_unit_test_setup_teardown(test_map_cost, th_setup, th_teardown),
	};

	cpu_pool_init(2);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
