/*
 * ELF loading (static, static-pie, dynamic with PT_INTERP) into a fresh
 * address space, the initial stack and auxiliary vector as Linux arm64
 * builds them, and the signal trampoline page. Segments become VMAs backed
 * by the verified file contents and are populated on demand.
 */
#include "libos/kernel.h"

#define EM_AARCH64 183
#define ET_EXEC 2
#define ET_DYN 3
#define PT_LOAD 1
#define PT_INTERP 3
#define PT_PHDR 6
#define PF_X 1
#define PF_W 2
#define PF_R 4

struct elf64_ehdr {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

_Static_assert(sizeof(struct elf64_ehdr) == 64, "ehdr");
_Static_assert(sizeof(struct elf64_phdr) == 56, "phdr");

int elf_check(const uint8_t *img, size_t size)
{
	const struct elf64_ehdr *eh = (const void *)img;
	if (size < sizeof(*eh) || memcmp(img, "\177ELF", 4) != 0)
		return -ENOEXEC;
	if (eh->ident[4] != 2 /* ELFCLASS64 */ || eh->ident[5] != 1 /* LSB */ ||
	    eh->ident[6] != 1)
		return -ENOEXEC;
	if ((eh->type != ET_EXEC && eh->type != ET_DYN) || eh->machine != EM_AARCH64)
		return -ENOEXEC;
	if (eh->phentsize != sizeof(struct elf64_phdr) || eh->phnum == 0 || eh->phnum > 128)
		return -ENOEXEC;
	if (eh->phoff > size || (uint64_t)eh->phnum * sizeof(struct elf64_phdr) > size - eh->phoff)
		return -ENOEXEC;
	if (eh->phoff % 8)
		return -ENOEXEC;
	const struct elf64_phdr *ph = (const void *)(img + eh->phoff);
	int nload = 0;
	uint64_t prev_end = 0;
	for (unsigned i = 0; i < eh->phnum; i++) {
		const struct elf64_phdr *p = &ph[i];
		if (p->type == PT_INTERP) {
			if (p->offset > size || p->filesz > size - p->offset || p->filesz < 2 ||
			    p->filesz > PATH_MAX_ || img[p->offset + p->filesz - 1] != 0)
				return -ENOEXEC;
		}
		if (p->type != PT_LOAD)
			continue;
		nload++;
		if (p->offset > size || p->filesz > size - p->offset)
			return -ENOEXEC;
		if (p->memsz < p->filesz)
			return -ENOEXEC;
		if ((p->vaddr - p->offset) % PAGE_SIZE)
			return -ENOEXEC;
		if (p->vaddr + p->memsz < p->vaddr || p->vaddr + p->memsz > USER_VA_LIMIT / 2)
			return -ENOEXEC;
		if (p->vaddr < prev_end)
			return -ENOEXEC; /* must be sorted, non-overlapping */
		prev_end = p->vaddr + p->memsz;
	}
	return nload ? 0 : -ENOEXEC;
}

static unsigned pf_prot(uint32_t f)
{
	return (f & PF_R ? PROT_READ : 0) | (f & PF_W ? PROT_WRITE : 0) | (f & PF_X ? PROT_EXEC : 0);
}

/* Map the PT_LOAD segments of img at bias; returns the lowest/highest address. */
static int map_segments(struct mm *mm, struct fbuf *img, uint64_t bias, const char *path,
			uint64_t *lo_out, uint64_t *hi_out)
{
	const struct elf64_ehdr *eh = (const void *)img->data;
	const struct elf64_phdr *ph = (const void *)(img->data + eh->phoff);
	uint64_t hi = 0, lo = ~0ULL;
	for (unsigned i = 0; i < eh->phnum; i++) {
		const struct elf64_phdr *p = &ph[i];
		if (p->type != PT_LOAD)
			continue;
		uint64_t va = bias + p->vaddr;
		uint64_t start = va & PAGE_MASK;
		uint64_t fend = va + p->filesz;
		uint64_t mend = va + p->memsz;
		uint64_t file_pages_end = kalign_up(fend, PAGE_SIZE);
		unsigned prot = pf_prot(p->flags);
		if (start < LAYOUT_MMAP_MIN)
			return -ENOEXEC;
		if (mend > start && !mm_range_free(mm, start, kalign_up(mend, PAGE_SIZE)))
			return -ENOEXEC;
		if (p->filesz) {
			int r = vma_add(mm, start, file_pages_end, prot, VMA_FILE, img,
					p->offset - (va - start), fend, path);
			if (r)
				return r;
		}
		uint64_t anon_start = p->filesz ? file_pages_end : start;
		uint64_t anon_end = kalign_up(mend, PAGE_SIZE);
		if (anon_end > anon_start) {
			int r = vma_add(mm, anon_start, anon_end, prot, VMA_ANON, NULL, 0, 0, NULL);
			if (r)
				return r;
		}
		lo = KMIN(lo, start);
		hi = KMAX(hi, anon_end > file_pages_end ? anon_end : file_pages_end);
	}
	*lo_out = lo;
	*hi_out = hi;
	return 0;
}

static uint64_t span_of(const struct fbuf *img)
{
	const struct elf64_ehdr *eh = (const void *)img->data;
	const struct elf64_phdr *ph = (const void *)(img->data + eh->phoff);
	uint64_t lo = ~0ULL, hi = 0;
	for (unsigned i = 0; i < eh->phnum; i++) {
		if (ph[i].type != PT_LOAD)
			continue;
		lo = KMIN(lo, ph[i].vaddr & PAGE_MASK);
		hi = KMAX(hi, ph[i].vaddr + ph[i].memsz);
	}
	return kalign_up(hi, PAGE_SIZE) - lo;
}

static uint64_t phdr_addr(const struct fbuf *img, uint64_t bias)
{
	const struct elf64_ehdr *eh = (const void *)img->data;
	const struct elf64_phdr *ph = (const void *)(img->data + eh->phoff);
	for (unsigned i = 0; i < eh->phnum; i++)
		if (ph[i].type == PT_PHDR)
			return bias + ph[i].vaddr;
	for (unsigned i = 0; i < eh->phnum; i++)
		if (ph[i].type == PT_LOAD && ph[i].offset <= eh->phoff &&
		    eh->phoff < ph[i].offset + ph[i].filesz)
			return bias + ph[i].vaddr + (eh->phoff - ph[i].offset);
	return 0;
}

int elf_load(struct task *t, struct mm *mm, struct fbuf *img, const char *path,
	     struct exec_image *out)
{
	int r = elf_check(img->data, img->size);
	if (r)
		return r;
	const struct elf64_ehdr *eh = (const void *)img->data;
	const struct elf64_phdr *ph = (const void *)(img->data + eh->phoff);
	const char *interp = NULL;
	for (unsigned i = 0; i < eh->phnum; i++)
		if (ph[i].type == PT_INTERP)
			interp = (const char *)img->data + ph[i].offset;

	uint64_t bias = 0;
	if (eh->type == ET_DYN) {
		uint64_t lo = ~0ULL;
		for (unsigned i = 0; i < eh->phnum; i++)
			if (ph[i].type == PT_LOAD)
				lo = KMIN(lo, ph[i].vaddr & PAGE_MASK);
		bias = LAYOUT_PIE_BASE - lo;
	}
	uint64_t lo, hi;
	r = map_segments(mm, img, bias, path, &lo, &hi);
	if (r)
		return r;
	memset(out, 0, sizeof(*out));
	out->prog_entry = bias + eh->entry;
	out->entry = out->prog_entry;
	out->phdr = phdr_addr(img, bias);
	out->phent = sizeof(struct elf64_phdr);
	out->phnum = eh->phnum;
	out->brk = kalign_up(hi, PAGE_SIZE);
	if (interp) {
		char canon_dummy = 0;
		(void)canon_dummy;
		char *canon;
		struct node nd;
		r = vfs_resolve(t, AT_FDCWD, interp, LK_FOLLOW, &canon, &nd);
		if (r)
			return r == -ENOENT ? -ENOENT : r;
		struct fbuf *ib;
		r = vfs_node_contents(&nd, &ib);
		if (r) {
			kfree(canon);
			return r;
		}
		r = elf_check(ib->data, ib->size);
		const struct elf64_ehdr *ieh = (const void *)ib->data;
		if (!r && ieh->type != ET_DYN)
			r = -ENOEXEC;
		uint64_t ispan = r ? 0 : span_of(ib);
		uint64_t ibase = r ? 0 : mm_find_free(mm, 0, ispan);
		if (!r && !ibase)
			r = -ENOMEM;
		if (!r) {
			const struct elf64_phdr *iph = (const void *)(ib->data + ieh->phoff);
			uint64_t ilo = ~0ULL;
			for (unsigned i = 0; i < ieh->phnum; i++)
				if (iph[i].type == PT_LOAD)
					ilo = KMIN(ilo, iph[i].vaddr & PAGE_MASK);
			uint64_t ibias = ibase - ilo;
			uint64_t a, b;
			r = map_segments(mm, ib, ibias, canon, &a, &b);
			out->interp_base = ibase;
			out->entry = ibias + ieh->entry;
		}
		fbuf_put(ib);
		kfree(canon);
		if (r)
			return r;
	}
	mm->brk_start = mm->brk = out->brk;
	return vma_add(mm, mm->brk, mm->brk, PROT_READ | PROT_WRITE, VMA_HEAP | VMA_ANON, NULL, 0,
		       0, NULL) == 0 ? 0 : -ENOMEM;
}

/* The signal trampoline: mov x8, #139 (rt_sigreturn); svc #0 */
static const uint32_t sigtramp[] = { 0xd2801168, 0xd4000001 };

int map_sigpage(struct mm *mm)
{
	int r = vma_add(mm, LAYOUT_SIGPAGE, LAYOUT_SIGPAGE + PAGE_SIZE, PROT_READ | PROT_EXEC,
			VMA_SIGPAGE, NULL, 0, 0, NULL);
	if (r || (r = res_mem_charge(1)))
		return r;
	return PAL(mem_map, mm->as, LAYOUT_SIGPAGE, PAGE_SIZE, PAL_PROT_R | PAL_PROT_X, sigtramp,
		   sizeof(sigtramp));
}

#define AT_NULL 0
#define AT_PHDR 3
#define AT_PHENT 4
#define AT_PHNUM 5
#define AT_PAGESZ 6
#define AT_BASE 7
#define AT_FLAGS 8
#define AT_ENTRY 9
#define AT_UID 11
#define AT_EUID 12
#define AT_GID 13
#define AT_EGID 14
#define AT_PLATFORM 15
#define AT_HWCAP 16
#define AT_CLKTCK 17
#define AT_SECURE 23
#define AT_RANDOM 25
#define AT_HWCAP2 26
#define AT_EXECFN 31
#define AT_MINSIGSTKSZ 51

int64_t build_stack(struct task *t, struct mm *mm, const struct exec_image *im, char **argv,
		    int argc, char **envp, int envc, const char *execfn)
{
	uint64_t top = mm->stack_top;
	int r = vma_add(mm, top - LAYOUT_STACK_MAX, top, PROT_READ | PROT_WRITE,
			VMA_STACK | VMA_ANON, NULL, 0, 0, NULL);
	if (r)
		return r;
	/* strings area: execfn, envp strings, argv strings, platform, random bytes */
	size_t strbytes = strlen(execfn) + 1 + 8 + 16;
	for (int i = 0; i < argc; i++)
		strbytes += strlen(argv[i]) + 1;
	for (int i = 0; i < envc; i++)
		strbytes += strlen(envp[i]) + 1;
	if (strbytes > 2 * 1024 * 1024)
		return -E2BIG;
	size_t nwords = 1 + (size_t)argc + 1 + (size_t)envc + 1 + 2 * 20;
	size_t total = kalign_up(strbytes, 16) + nwords * 8 + 16;
	uint8_t *blk = kzalloc(total);
	if (!blk)
		return -ENOMEM;
	uint64_t base = (top - total - 64) & ~15ULL; /* sp */
	/* layout inside blk: [words ...][strings ...] */
	uint64_t *w = (uint64_t *)blk;
	uint64_t sbase = base + nwords * 8;
	size_t so = 0;
	uint8_t *sarea = blk + nwords * 8;
#define PUTS(str)                                                                                  \
	({                                                                                         \
		size_t _l = strlen(str) + 1;                                                       \
		memcpy(sarea + so, str, _l);                                                       \
		uint64_t _a = sbase + so;                                                          \
		so += _l;                                                                          \
		_a;                                                                                \
	})
	uint8_t rnd[16];
	PAL(random, rnd, 16);
	memcpy(sarea + so, rnd, 16);
	uint64_t a_random = sbase + so;
	so += 16;
	uint64_t a_platform = PUTS("aarch64");
	size_t wi = 0;
	w[wi++] = (uint64_t)argc;
	for (int i = 0; i < argc; i++)
		w[wi++] = PUTS(argv[i]);
	w[wi++] = 0;
	for (int i = 0; i < envc; i++)
		w[wi++] = PUTS(envp[i]);
	w[wi++] = 0;
	uint64_t a_execfn = PUTS(execfn);
#undef PUTS
	struct process *p = t->proc;
	uint64_t aux[][2] = {
		{ AT_HWCAP, g.pal.hwcap },
		{ AT_PAGESZ, PAGE_SIZE },
		{ AT_CLKTCK, 100 },
		{ AT_PHDR, im->phdr },
		{ AT_PHENT, im->phent },
		{ AT_PHNUM, im->phnum },
		{ AT_BASE, im->interp_base },
		{ AT_FLAGS, 0 },
		{ AT_ENTRY, im->prog_entry },
		{ AT_UID, p->uid },
		{ AT_EUID, p->euid },
		{ AT_GID, p->gid },
		{ AT_EGID, p->egid },
		{ AT_SECURE, 0 },
		{ AT_RANDOM, a_random },
		{ AT_HWCAP2, g.pal.hwcap2 },
		{ AT_EXECFN, a_execfn },
		{ AT_PLATFORM, a_platform },
		{ AT_MINSIGSTKSZ, 5120 },
		{ AT_NULL, 0 },
	};
	for (size_t i = 0; i < KARRAY_SIZE(aux); i++) {
		w[wi++] = aux[i][0];
		w[wi++] = aux[i][1];
	}
	/* wi <= nwords by construction */
	r = mm_write(mm, base, blk, nwords * 8 + so);
	kfree(blk);
	if (r)
		return r;
	return (int64_t)base;
}
