/*
 * Container memory: the EL0 page tables (arch/rcontainer.h format, tables
 * in con-shim granules), areas, and the calls that change or copy
 * container memory (rc_set_pte, rc_set_vma, rc_copy_page, rc_ipc_in/out)
 * or program DMA (rc_set_iopte).
 *
 * The OS's copies are bounded by the task's pending call (docs/security.md
 * §1): rc_ipc_in/out only inside what the trap the task is in allows (the
 * call's memory arguments, lib/sysdesc.h, and the signal-frame room at its
 * sp), or on fresh pages; rc_copy_page only on fresh pages. A page is
 * fresh from the moment rc_set_pte maps it from the con-shim's free pool
 * until a task next runs in its mm (ms_mm.run_gen, ms_gmeta.fill_gen): it
 * holds nothing but what the OS put there (an exec image being built, a
 * page demand paging fills).
 *
 * The platform's plat_as of an mm is only the translation cache the A64 PE
 * uses: every GPT switch's TLBI empties it of con-shim pages, and the
 * con-shim vector refills it from the tables (task.c). So every change
 * here writes the tables and removes the page from the plat_as.
 */
#include "arch/esr.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/string.h"
#include "lib/sysdesc.h"
#include "minios/internal.h"

/* ---- Page tables --------------------------------------------------------- */

uint64_t ms_pte_make(uint64_t pa, unsigned prot)
{
	uint64_t d = pa | RC_PTE_TABLE | RC_PTE_AF;

	if (prot & RC_PROT_R)
		d |= RC_PTE_AP_EL0;
	if (!(prot & RC_PROT_W))
		d |= RC_PTE_AP_RO;
	if (!(prot & RC_PROT_X))
		d |= RC_PTE_UXN;
	return d;
}

unsigned ms_pte_prot(uint64_t d)
{
	unsigned p;

	if (!(d & RC_PTE_AP_EL0))
		return 0;
	p = RC_PROT_R;
	if (!(d & RC_PTE_AP_RO))
		p |= RC_PROT_W;
	if (!(d & RC_PTE_UXN))
		p |= RC_PROT_X;
	return p;
}

/* EL0 cannot write or execute what it cannot read. */
unsigned ms_prot_norm(unsigned prot)
{
	return prot & (RC_PROT_W | RC_PROT_X) ? prot | RC_PROT_R : prot;
}

static uint64_t pt_read(uint64_t pa)
{
	uint64_t d = 0;

	(void)plat_read_u64(PAS_NS, pa, &d, NULL); /* a table the current GPT gives us */
	return d;
}

uint64_t ms_pt_entry(uint64_t root, uint64_t va, ms_alloc_fn alloc, void *ctx)
{
	uint64_t table = root;

	for (unsigned l = 1; l < RC_PT_LEVELS; l++) {
		uint64_t e = table + RC_PT_INDEX(va, l) * 8;
		uint64_t d = pt_read(e);

		if (!(d & RC_PTE_VALID)) {
			uint64_t t = alloc ? alloc(ctx) : 0;

			if (!t)
				return 0;
			d = t | RC_PTE_TABLE;
			(void)plat_write_u64(PAS_NS, e, d, NULL);
		}
		table = RC_PTE_ADDR(d);
	}
	return table + RC_PT_INDEX(va, RC_PT_LEVELS) * 8;
}

unsigned ms_pt_missing(uint64_t root, uint64_t va)
{
	uint64_t d = pt_read(root + RC_PT_INDEX(va, 1) * 8);

	if (!(d & RC_PTE_VALID))
		return 2;
	d = pt_read(RC_PTE_ADDR(d) + RC_PT_INDEX(va, 2) * 8);
	return d & RC_PTE_VALID ? 0 : 1;
}

/* Call fn on every valid L3 entry of the tables at root (and on each table, leaves first, if tables). */
static void pt_walk(uint64_t root, void (*page)(uint64_t va, uint64_t e, void *ctx),
		    void (*table)(uint64_t pa, void *ctx), void *ctx)
{
	for (uint64_t i = 0; i < RC_PT_ENTRIES; i++) {
		uint64_t d1 = pt_read(root + i * 8);

		if (!(d1 & RC_PTE_VALID))
			continue;
		for (uint64_t j = 0; j < RC_PT_ENTRIES; j++) {
			uint64_t d2 = pt_read(RC_PTE_ADDR(d1) + j * 8);

			if (!(d2 & RC_PTE_VALID))
				continue;
			for (uint64_t k = 0; page && k < RC_PT_ENTRIES; k++) {
				uint64_t e = RC_PTE_ADDR(d2) + k * 8;

				if (pt_read(e) & RC_PTE_VALID)
					page((i << 30) | (j << 21) | (k << 12), e, ctx);
			}
			if (table)
				table(RC_PTE_ADDR(d2), ctx);
		}
		if (table)
			table(RC_PTE_ADDR(d1), ctx);
	}
}

/* ---- Address spaces -------------------------------------------------------- */

static uint64_t alloc_pt(void *ctx)
{
	return ms_shim_take(*(uint32_t *)ctx, MS_K_PT);
}

int ms_mm_new(uint32_t shim, uint32_t *slot)
{
	struct ms_mm *mm;
	struct plat_as *as;
	uint32_t s;
	int err = 0, ret;

	if (ms_shim_at(shim)->free.count == 0)
		return -ENOMEM;
	ret = ms_tbl_alloc(MS_TBL_MM, &s); /* zeroed, live */
	if (ret)
		return ret;
	as = plat_as_create(&err);
	if (!as) {
		ms_tbl_free(MS_TBL_MM, s);
		return -ENOMEM;
	}
	mm = ms_mm_at(s);
	mm->users = 1;
	mm->shim = shim;
	mm->root = ms_shim_take(shim, MS_K_PT);
	mm->as = (uint64_t)(uintptr_t)as;
	ms_mm_ran(mm);
	*slot = s;
	return 0;
}

void ms_mm_ran(struct ms_mm *mm)
{
	mm->run_gen = ++ms_state()->run_seq;
}

static struct plat_as *mm_as(const struct ms_mm *mm)
{
	return (struct plat_as *)(uintptr_t)mm->as;
}

/* Clear the L3 entry e (page va): the granule loses one mapping, scrubbed with the last. */
static void unmap_entry(struct ms_mm *mm, uint64_t va, uint64_t e)
{
	uint64_t d = pt_read(e);
	struct ms_gmeta *m;

	if (!(d & RC_PTE_VALID))
		return;
	(void)plat_write_u64(PAS_NS, e, 0, NULL);
	(void)plat_as_unmap(mm_as(mm), va, GRANULE_SIZE);
	m = ms_meta(RC_PTE_ADDR(d));
	if (--m->maps == 0)
		ms_shim_give(mm->shim, RC_PTE_ADDR(d));
}

static void put_page(uint64_t va, uint64_t e, void *ctx)
{
	unmap_entry(ctx, va, e);
}

static void put_table(uint64_t pa, void *ctx)
{
	ms_shim_give(((struct ms_mm *)ctx)->shim, pa);
}

void ms_mm_put(uint32_t slot)
{
	struct ms_mm *mm = ms_mm_at(slot);

	if (--mm->users)
		return;
	pt_walk(mm->root, put_page, put_table, mm);
	ms_shim_give(mm->shim, mm->root);
	if (mm->pe)
		plat_pe_destroy((struct plat_pe *)(uintptr_t)mm->pe);
	(void)plat_as_destroy(mm_as(mm));
	ms_tbl_free(MS_TBL_MM, slot);
}

static void count_page(uint64_t va, uint64_t e, void *ctx)
{
	(*(uint64_t *)ctx)++;
}

static void count_table(uint64_t pa, void *ctx)
{
	(*(uint64_t *)ctx)++;
}

uint64_t ms_mm_copy_cost(uint32_t slot)
{
	uint64_t n = 1; /* the new top-level table */

	pt_walk(ms_mm_at(slot)->root, count_page, count_table, &n);
	return n;
}

struct copy_ctx {
	struct ms_mm *dst;
	uint32_t shim;
};

static void copy_page(uint64_t va, uint64_t e, void *ctx)
{
	struct copy_ctx *cc = ctx;
	uint64_t d = pt_read(e);
	uint64_t to = ms_shim_take(cc->shim, MS_K_USER);
	uint64_t ne = ms_pt_entry(cc->dst->root, va, alloc_pt, &cc->shim);

	/* The caller checked the pool holds every page and table. */
	memcpy(ms_map(to, GRANULE_SIZE), ms_map(RC_PTE_ADDR(d), GRANULE_SIZE), GRANULE_SIZE);
	ms_meta(to)->maps = 1;
	ms_meta(to)->fill_gen = 0; /* the parent's contents: never fresh */
	(void)plat_write_u64(PAS_NS, ne, ms_pte_make(to, ms_pte_prot(d)), NULL);
}

int ms_mm_copy(uint32_t dst, uint32_t src)
{
	struct ms_mm *d = ms_mm_at(dst), *s = ms_mm_at(src);
	struct copy_ctx cc = {d, d->shim};

	d->nvmas = s->nvmas;
	memcpy(d->vma, s->vma, sizeof(d->vma));
	memcpy(d->sync, s->sync, sizeof(d->sync)); /* the same mappings: the same ranges */
	pt_walk(s->root, copy_page, NULL, &cc);
	return 0;
}

int ms_mm_page(const struct ms_mm *mm, uint64_t va, unsigned need, uint64_t *pa)
{
	uint64_t e = ms_pt_entry(mm->root, va, NULL, NULL);
	uint64_t d = e ? pt_read(e) : 0;

	if (!(d & RC_PTE_VALID) || (need & ~ms_pte_prot(d)))
		return -EFAULT;
	*pa = RC_PTE_ADDR(d) | (va & GRANULE_MASK);
	return 0;
}

/* ---- Areas --------------------------------------------------------------- */

/* The area holding va, or NULL. */
static const struct ms_vma *vma_find(const struct ms_mm *mm, uint64_t va)
{
	for (uint32_t i = 0; i < mm->nvmas; i++)
		if (va >= mm->vma[i].start && va < mm->vma[i].end)
			return &mm->vma[i];
	return NULL;
}

/*
 * Areas of mm with [a, b) cut out and, if prot >= 0, [a, b) added with it
 * (sorted, neighbours with equal prot merged). -ENOMEM beyond
 * RC_MM_MAX_VMAS (mm unchanged).
 */
static int vma_apply(struct ms_mm *mm, uint64_t a, uint64_t b, int prot)
{
	struct ms_vma v[RC_MM_MAX_VMAS + 3];
	uint32_t n = 0, m = 0;

	for (uint32_t i = 0; i < mm->nvmas; i++) {
		struct ms_vma o = mm->vma[i];

		if (o.end <= a || o.start >= b) {
			v[n++] = o;
			continue;
		}
		if (o.start < a)
			v[n++] = (struct ms_vma){o.start, a, o.prot};
		if (o.end > b)
			v[n++] = (struct ms_vma){b, o.end, o.prot};
		if (n > RC_MM_MAX_VMAS + 1)
			return -ENOMEM;
	}
	if (prot >= 0)
		v[n++] = (struct ms_vma){a, b, (uint64_t)prot};
	for (uint32_t i = 1; i < n; i++) /* insertion sort: few areas */
		for (uint32_t j = i; j > 0 && v[j - 1].start > v[j].start; j--) {
			struct ms_vma t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	for (uint32_t i = 0; i < n; i++) {
		if (m && v[m - 1].end == v[i].start && v[m - 1].prot == v[i].prot)
			v[m - 1].end = v[i].end;
		else
			v[m++] = v[i];
	}
	if (m > RC_MM_MAX_VMAS)
		return -ENOMEM;
	memcpy(mm->vma, v, m * sizeof(v[0]));
	mm->nvmas = m;
	return 0;
}

/* ---- Calls ---------------------------------------------------------------- */

/* The task of handle `h` in a kernel entry (NEW or TRAPPED): its slot and mm. */
static int caller_task(uint64_t h, struct ms_task **t, struct ms_mm **mm)
{
	uint32_t slot;
	int ret = ms_task_lookup(h, &slot);

	if (ret)
		return ret;
	*t = ms_task_at(slot);
	if ((*t)->state != MS_T_NEW && (*t)->state != MS_T_TRAPPED)
		return -EACCES; /* not a task the OS is serving now */
	*mm = ms_mm_at((*t)->mm);
	return 0;
}

static bool va_ok(uint64_t va, uint64_t len)
{
	return IS_ALIGNED(va, GRANULE_SIZE) && IS_ALIGNED(len, GRANULE_SIZE) && len &&
	       va < RC_VA_LIMIT && len <= RC_VA_LIMIT - va;
}

/* (task, va, pa, prot): pa a granule of the task's con-shim, inside an area allowing prot. */
int rc_set_pte(struct ms_call *c)
{
	uint64_t va = c->a[1], pa = c->a[2], e, old;
	unsigned prot = ms_prot_norm((unsigned)c->a[3]);
	const struct ms_vma *v;
	struct ms_gmeta *m;
	struct ms_task *t;
	struct ms_mm *mm;
	uint64_t spare;
	int ret = caller_task(c->a[0], &t, &mm);

	if (ret)
		return ret;
	if (!va_ok(va, GRANULE_SIZE) || c->a[3] & ~(uint64_t)RC_PROT_MASK)
		return -EINVAL;
	if (pa == RC_PTE_UNMAP) {
		e = ms_pt_entry(mm->root, va, NULL, NULL);
		if (e)
			unmap_entry(mm, va, e);
		return 0;
	}
	if (pa == RC_PTE_ANY) {
		pa = ms_shim_peek(t->shim);
		if (!pa)
			return -ENOMEM;
	}
	if (!IS_ALIGNED(pa, GRANULE_SIZE) || !plat_pa_in_dram(pa, GRANULE_SIZE))
		return -EINVAL;
	m = ms_meta(pa);
	if (m->owner != t->shim + 1 || (m->kind != MS_K_FREE && m->kind != MS_K_USER))
		return -EPERM; /* not this container's page, or its tables / saved state */
	v = vma_find(mm, va);
	if (!v || (prot & ~v->prot))
		return -EFAULT;
	spare = ms_shim_at(t->shim)->free.count - (m->kind == MS_K_FREE);
	if (ms_pt_missing(mm->root, va) > spare)
		return -ENOMEM;
	/* Commit. */
	if (m->kind == MS_K_FREE) {
		ms_list_remove(&ms_shim_at(t->shim)->free, pa);
		m->kind = MS_K_USER;
		m->fill_gen = mm->run_gen; /* fresh until a task runs in mm */
	}
	m->maps++;
	e = ms_pt_entry(mm->root, va, alloc_pt, &t->shim);
	old = pt_read(e);
	if (m->maps > 1 && (!(old & RC_PTE_VALID) || RC_PTE_ADDR(old) != pa))
		m->fill_gen = 0; /* a page in use mapped once more: never fresh */
	if ((old & RC_PTE_VALID) && RC_PTE_ADDR(old) == pa)
		m->maps--; /* same page, new prot */
	else
		unmap_entry(mm, va, e);
	(void)plat_write_u64(PAS_NS, e, ms_pte_make(pa, prot), NULL);
	(void)plat_as_unmap(mm_as(mm), va, GRANULE_SIZE);
	c->out[0] = pa;
	return 0;
}

/* The next page at or after va that may be mapped in root (whole missing 2 MiB tables skipped). */
static uint64_t next_maybe_mapped(uint64_t root, uint64_t va)
{
	if (ms_pt_missing(root, va))
		return ALIGN_DOWN(va, 1ULL << 21) + (1ULL << 21);
	return va;
}

/* The valid L3 descriptor of va in root, or 0. */
static uint64_t pte_of(uint64_t root, uint64_t va)
{
	uint64_t e = ms_pt_entry(root, va, NULL, NULL);
	uint64_t d = e ? pt_read(e) : 0;

	return (d & RC_PTE_VALID) ? d : 0;
}

int rc_share(struct ms_call *c)
{
	uint64_t va = c->a[2], len = c->a[3], need = 0, p, n = 0;
	struct ms_task *dt, *st;
	struct ms_mm *dmm, *smm;
	int ret = caller_task(c->a[0], &dt, &dmm);

	if (ret == 0)
		ret = caller_task(c->a[1], &st, &smm);
	if (ret)
		return ret;
	if (!va_ok(va, len) || dmm == smm)
		return -EINVAL;
	if (dt->shim != st->shim)
		return -EPERM; /* never into another container */
	/* Check every page first: ownership, dst's areas, room for dst's tables. */
	for (p = va; p < va + len; p += GRANULE_SIZE) {
		const struct ms_vma *v;
		const struct ms_gmeta *m;
		uint64_t d;

		if ((p = next_maybe_mapped(smm->root, p)) >= va + len)
			break;
		d = pte_of(smm->root, p);
		if (!d)
			continue;
		m = ms_meta(RC_PTE_ADDR(d));
		if (!m || m->owner != st->shim + 1 || m->kind != MS_K_USER)
			return -EPERM;
		v = vma_find(dmm, p);
		if (!v || (ms_pte_prot(d) & ~v->prot))
			return -EFAULT;
		if (p == va || (p & ((1ULL << 21) - 1)) == 0 ||
		    !pte_of(smm->root, p - GRANULE_SIZE))
			need += ms_pt_missing(dmm->root, p);
	}
	if (need > ms_shim_at(dt->shim)->free.count)
		return -ENOMEM;
	/* Commit. */
	for (p = va; p < va + len; p += GRANULE_SIZE) {
		uint64_t d, e, old, pa;
		struct ms_gmeta *m;

		if ((p = next_maybe_mapped(smm->root, p)) >= va + len)
			break;
		d = pte_of(smm->root, p);
		if (!d)
			continue;
		pa = RC_PTE_ADDR(d);
		m = ms_meta(pa);
		m->maps++;
		m->fill_gen = 0; /* in use by another mm: never fresh */
		e = ms_pt_entry(dmm->root, p, alloc_pt, &dt->shim);
		old = pt_read(e);
		if ((old & RC_PTE_VALID) && RC_PTE_ADDR(old) == pa)
			m->maps--; /* the same page already */
		else
			unmap_entry(dmm, p, e);
		(void)plat_write_u64(PAS_NS, e, ms_pte_make(pa, ms_pte_prot(d)), NULL);
		(void)plat_as_unmap(mm_as(dmm), p, GRANULE_SIZE);
		n++;
	}
	c->out[0] = n;
	return 0;
}

/* Is nothing mapped in [start, end) of mm (at most 1 GiB looked at)? */
static bool range_unmapped(const struct ms_mm *mm, uint64_t start, uint64_t end)
{
	if (end - start > (1ULL << 30))
		return false;
	for (uint64_t p = start; p < end; p += GRANULE_SIZE) {
		if ((p = next_maybe_mapped(mm->root, p)) >= end)
			break;
		if (pte_of(mm->root, p))
			return false;
	}
	return true;
}

void ms_sync_complete(const struct ms_trap *tr, uint64_t result, struct ms_mm *mm)
{
	struct syncmap_range drop, drop2, add;
	bool clear;

	syncmap_change((unsigned)tr->nr, tr->args, result, RC_VA_LIMIT, &drop, &drop2, &add,
		       &clear);
	if (clear)
		memset(mm->sync, 0, sizeof(mm->sync));
	if (drop.end)
		syncmap_drop(mm->sync, MS_SYNC_MAX, drop.start, drop.end);
	if (drop2.end)
		syncmap_drop(mm->sync, MS_SYNC_MAX, drop2.start, drop2.end);
	if (add.end && !(range_unmapped(mm, add.start, add.end) &&
			 syncmap_add(mm->sync, MS_SYNC_MAX, add.start, add.end)))
		lib_log(LOG_WARN, "minios",
			"file MAP_SHARED range 0x%llx-0x%llx not tracked (mapped or no room): "
			"its copies will be refused",
			(unsigned long long)add.start, (unsigned long long)add.end);
}

static void unmap_range(struct ms_mm *mm, uint64_t va, uint64_t len)
{
	for (uint64_t off = 0; off < len; off += GRANULE_SIZE) {
		uint64_t e;

		/* Skip a whole missing table at once. */
		if (ms_pt_missing(mm->root, va + off)) {
			uint64_t next = ALIGN_DOWN(va + off, 1ULL << 21) + (1ULL << 21);

			off = next - va - GRANULE_SIZE;
			continue;
		}
		e = ms_pt_entry(mm->root, va + off, NULL, NULL);
		unmap_entry(mm, va + off, e);
	}
}

static void protect_range(struct ms_mm *mm, uint64_t va, uint64_t len, unsigned prot)
{
	for (uint64_t off = 0; off < len; off += GRANULE_SIZE) {
		uint64_t e = ms_pt_missing(mm->root, va + off) ? 0 :
				   ms_pt_entry(mm->root, va + off, NULL, NULL);
		uint64_t d = e ? pt_read(e) : 0;

		if (d & RC_PTE_VALID)
			(void)plat_write_u64(PAS_NS, e, ms_pte_make(RC_PTE_ADDR(d), prot), NULL);
	}
	(void)plat_as_unmap(mm_as(mm), va, len);
}

/* (task, va, len, prot | op): the areas of the task's address space. */
int rc_set_vma(struct ms_call *c)
{
	uint64_t va = c->a[1], len = c->a[2], op = c->a[3] & RC_VMA_OP_MASK;
	unsigned prot = ms_prot_norm((unsigned)(c->a[3] & RC_PROT_MASK));
	struct ms_task *t;
	struct ms_mm *mm;
	int ret = caller_task(c->a[0], &t, &mm);

	if (ret)
		return ret;
	if (!va_ok(va, len) || (c->a[3] & ~(uint64_t)(RC_VMA_OP_MASK | RC_PROT_MASK)) ||
	    op > RC_VMA_PROTECT)
		return -EINVAL;
	if (op == RC_VMA_PROTECT) {
		for (uint64_t pos = va; pos < va + len;) {
			const struct ms_vma *v = vma_find(mm, pos);

			if (!v)
				return -EFAULT;
			pos = v->end;
		}
	}
	ret = vma_apply(mm, va, va + len, op == RC_VMA_UNMAP ? -1 : (int)prot);
	if (ret)
		return ret;
	if (op == RC_VMA_PROTECT)
		protect_range(mm, va, len, prot);
	else
		unmap_range(mm, va, len);
	return 0;
}

/* Is the page at pa, mapped in mm, fresh (mapped from the pool, no run in mm since)? */
static bool page_fresh(const struct ms_mm *mm, uint64_t pa)
{
	const struct ms_gmeta *m = ms_meta(ALIGN_DOWN(pa, GRANULE_SIZE));

	return m && m->kind == MS_K_USER && m->fill_gen == mm->run_gen;
}

/* A copy the task's trap does not allow: counted, logged, and refused with -ERANGE. */
static int refuse(const char *what, const struct ms_task *t, uint64_t va, uint64_t len)
{
	const struct ms_trap *tr = &((const struct ms_save *)ms_map(t->save,
								    sizeof(struct ms_save)))->trap;

	plat_count(PLAT_CNT_RC_REFUSED);
	lib_log(LOG_INFO, "minios", "%s of %#llx+%llu refused: %s (task in %s %llu, sp %#llx)", what,
		(unsigned long long)va, (unsigned long long)len,
		len == GRANULE_SIZE && !(va & GRANULE_MASK) ? "not a fresh page or the call's range" :
							      "outside the pending call's ranges",
		tr->svc ? "system call" : "exception/IRQ", (unsigned long long)tr->nr,
		(unsigned long long)tr->sp);
	return -ERANGE;
}

/*
 * (task, va, src_pa): fill the task's page at va from an OS granule (0:
 * zeros). Only a fresh page: demand paging and exec loading fill pages
 * they have just mapped; a page a task has run with is the container's.
 */
int rc_copy_page(struct ms_call *c)
{
	uint64_t va = c->a[1], src = c->a[2], pa;
	struct ms_task *t;
	struct ms_mm *mm;
	int ret = caller_task(c->a[0], &t, &mm);

	if (ret)
		return ret;
	if (!va_ok(va, GRANULE_SIZE) || (src && !ms_os_granule(src)))
		return src && IS_ALIGNED(src, GRANULE_SIZE) ? -EPERM : -EINVAL;
	ret = ms_mm_page(mm, va, 0, &pa);
	if (ret)
		return ret;
	if (!page_fresh(mm, pa))
		return refuse("rc_copy_page", t, va, GRANULE_SIZE);
	if (src)
		memcpy(ms_map(pa, GRANULE_SIZE), ms_map(src, GRANULE_SIZE), GRANULE_SIZE);
	else
		ms_zero(pa);
	return 0;
}

/*
 * Check an IPC copy: the OS range is the OS's, every page of the task's
 * range is mapped with `need` (EL0's view). 0, -EINVAL, -EPERM, -EFAULT.
 */
static int ipc_check(struct ms_mm *mm, uint64_t va, uint64_t os_pa, uint64_t len, unsigned need,
		     bool all)
{
	uint64_t pa;

	if (len == 0 || len > RC_IPC_MAX || va >= RC_VA_LIMIT || len > RC_VA_LIMIT - va)
		return -EINVAL;
	if (!ms_os_range(os_pa, len))
		return -EPERM;
	for (uint64_t p = ALIGN_DOWN(va, GRANULE_SIZE); all && p < va + len; p += GRANULE_SIZE)
		if (ms_mm_page(mm, p, need, &pa))
			return -EFAULT;
	return 0;
}

/* Copy between the task's memory at va and OS memory, page by page. */
static uint64_t ipc_copy(struct ms_mm *mm, uint64_t va, uint64_t os_pa, uint64_t len, bool in,
			 bool string, int *err)
{
	uint64_t done = 0;

	while (done < len) {
		uint64_t n = GRANULE_SIZE - ((va + done) & GRANULE_MASK), pa;
		uint8_t *u, *o;

		if (n > len - done)
			n = len - done;
		*err = ms_mm_page(mm, va + done, in ? RC_PROT_W : RC_PROT_R, &pa);
		if (*err)
			return done;
		u = ms_map(pa, n);
		o = ms_map(os_pa + done, n);
		if (in) {
			memcpy(u, o, n);
		} else if (string) {
			for (uint64_t i = 0; i < n; i++) {
				o[i] = u[i];
				if (!u[i])
					return done + i;
			}
		} else {
			memcpy(o, u, n);
		}
		done += n;
	}
	return done;
}

/* sysdesc reader: the task's memory that EL0 may read. */
int ms_mm_read(void *ctx, uint64_t va, void *buf, size_t len)
{
	const struct ms_mm *mm = ctx;
	uint8_t *dst = buf;

	if (va >= RC_VA_LIMIT || len > RC_VA_LIMIT - va)
		return -EFAULT;
	while (len) {
		uint64_t n = GRANULE_SIZE - (va & GRANULE_MASK), pa;

		if (n > len)
			n = len;
		if (ms_mm_page(mm, va, RC_PROT_R, &pa))
			return -EFAULT;
		memcpy(dst, ms_map(pa, n), n);
		dst += n;
		va += n;
		len -= n;
	}
	return 0;
}

/*
 * May the OS copy [va, va+len) of task t (mapped in mm) in direction dir
 * (SYSDESC_DIR_IN: it reads, OUT: it writes)? Inside what the trap t is in
 * allows (its call's memory arguments, the signal-frame room at its sp),
 * its clear-child-tid word (written only), or every page fresh. 0, or
 * -ERANGE (counted).
 */
static int ipc_allowed(const struct ms_task *t, struct ms_mm *mm, uint64_t va, uint64_t len,
		       unsigned dir)
{
	const struct ms_save *sv = ms_map(t->save, sizeof(struct ms_save));
	const struct ms_trap *tr = &sv->trap;
	struct sysdesc_mem rd = {mm, ms_mm_read};
	uint64_t a[6], pa;

	if (len == 0)
		return 0; /* nothing is copied */
	if (sysdesc_frame_allows(tr->svc != 0, (unsigned)tr->nr, tr->sp, va, len, dir, true))
		return 0;
	if (dir == SYSDESC_DIR_OUT && sv->clear_tid &&
	    sysdesc_inside(va, len, sv->clear_tid, sizeof(uint32_t)))
		return 0;
	/* signal frames on the alternate stack the task's own sigaltstack call set */
	if (dir == SYSDESC_DIR_OUT && sv->alt_size &&
	    sysdesc_inside(va, len, sv->alt_sp, sv->alt_size))
		return 0;
	/*
	 * the robust list walked when the task ends (as the RMM allows): its
	 * exit, a trap that is no call, or marked by rc_task_ending
	 */
	if (sv->robust &&
	    (t->ending || !tr->svc || tr->nr == 93 /* exit */ || tr->nr == 94 /* exit_group */) &&
	    sysdesc_robust_allows(sv->robust, va, len, dir, &rd))
		return 0;
	memcpy(a, tr->args, sizeof(a));
	if (tr->svc && tr->nr < SYSDESC_NR_MAX && sysdesc_allows((unsigned)tr->nr, a, va, len, dir, &rd))
		return 0;
	/* the task's own file-backed MAP_SHARED mappings: file coherence, at any call */
	if (syncmap_inside(mm->sync, MS_SYNC_MAX, va, len))
		return 0;
	for (uint64_t p = ALIGN_DOWN(va, GRANULE_SIZE); p < va + len; p += GRANULE_SIZE)
		if (ms_mm_page(mm, p, 0, &pa) || !page_fresh(mm, pa))
			return refuse(dir == SYSDESC_DIR_OUT ? "rc_ipc_in" : "rc_ipc_out", t, va, len);
	return 0;
}

/* (task, va, src_pa, len): OS memory -> the task's memory (EL0 write permission). */
int rc_ipc_in(struct ms_call *c)
{
	struct ms_task *t;
	struct ms_mm *mm;
	int ret = caller_task(c->a[0], &t, &mm);

	if (ret == 0)
		ret = ipc_check(mm, c->a[1], c->a[2], c->a[3], RC_PROT_W, true);
	if (ret == 0)
		ret = ipc_allowed(t, mm, c->a[1], c->a[3], SYSDESC_DIR_OUT);
	if (ret == 0)
		c->out[0] = ipc_copy(mm, c->a[1], c->a[2], c->a[3], true, false, &ret);
	return ret;
}

/* Bytes a string copy of at most len from va takes: up to its NUL or the first unreadable page. */
static uint64_t str_extent(const struct ms_mm *mm, uint64_t va, uint64_t len)
{
	uint64_t done = 0;

	while (done < len) {
		uint64_t n = GRANULE_SIZE - ((va + done) & GRANULE_MASK), pa;
		const uint8_t *u;

		if (n > len - done)
			n = len - done;
		if (ms_mm_page(mm, va + done, RC_PROT_R, &pa))
			return done;
		u = ms_map(pa, n);
		for (uint64_t i = 0; i < n; i++)
			if (!u[i])
				return done + i + 1;
		done += n;
	}
	return done;
}

/*
 * (task, va, dst_pa, len, flags): the task's memory (EL0 read permission)
 * -> OS memory. RC_IPC_STRING: up to the first NUL; x1 = its length, x2 = 1
 * when there was no NUL in len bytes.
 */
int rc_ipc_out(struct ms_call *c)
{
	bool string = c->a[4] == RC_IPC_STRING;
	struct ms_task *t;
	struct ms_mm *mm;
	int ret = caller_task(c->a[0], &t, &mm);

	if (ret == 0 && c->a[4] & ~(uint64_t)RC_IPC_STRING)
		ret = -EINVAL;
	if (ret == 0)
		ret = ipc_check(mm, c->a[1], c->a[2], c->a[3], RC_PROT_R, !string);
	/* a string: only the bytes the copy takes must be allowed */
	if (ret == 0)
		ret = ipc_allowed(t, mm, c->a[1], string ? str_extent(mm, c->a[1], c->a[3]) : c->a[3],
				  SYSDESC_DIR_IN);
	if (ret)
		return ret;
	c->out[0] = ipc_copy(mm, c->a[1], c->a[2], c->a[3], false, string, &ret);
	c->out[1] = string && c->out[0] == c->a[3];
	return ret;
}

/* ---- DMA ------------------------------------------------------------------- */

static uint64_t alloc_iopt(void *ctx)
{
	return ms_page_take();
}

/* (stream, iova, pa, prot): a device may reach only OS granules (never a con-shim's). */
int rc_set_iopte(struct ms_call *c)
{
	uint64_t stream = c->a[0], iova = c->a[1], pa = c->a[2], prot = c->a[3], e, d;
	struct ms_state *s = ms_state();
	struct ms_gmeta *m;

	if (stream >= RC_IO_STREAMS || !IS_ALIGNED(iova, GRANULE_SIZE) || iova >= RC_IOVA_LIMIT ||
	    (prot & ~(uint64_t)(RC_PROT_R | RC_PROT_W)))
		return -EINVAL;
	if (pa != RC_PTE_UNMAP) {
		if (!IS_ALIGNED(pa, GRANULE_SIZE))
			return -EINVAL;
		if (!ms_os_granule(pa))
			return -EPERM;
		if (ms_meta(pa)->io == 0xFF)
			return -ENOMEM;
	}
	if (!s->io_root[stream]) {
		if (pa == RC_PTE_UNMAP)
			return 0;
		s->io_root[stream] = ms_page_take();
		if (!s->io_root[stream])
			return -ENOMEM;
	}
	if (pa != RC_PTE_UNMAP && ms_pt_missing(s->io_root[stream], iova) > s->pages.count)
		return -ENOMEM;
	e = ms_pt_entry(s->io_root[stream], iova, pa != RC_PTE_UNMAP ? alloc_iopt : NULL, NULL);
	d = e ? pt_read(e) : 0;
	if (d & RC_PTE_VALID)
		ms_meta(RC_PTE_ADDR(d))->io--;
	if (!e)
		return 0;
	(void)plat_write_u64(PAS_NS, e, pa ? ms_pte_make(pa, (unsigned)prot) : 0, NULL);
	if (pa) {
		m = ms_meta(pa);
		m->io++;
	}
	return 0;
}
