/*
 * The mini-OS's object tables (con-shims, address spaces, tasks) without a
 * fixed size: each table is a two-level directory of one-granule chunks
 * taken from the mini-OS page pool as objects come, given back to it when
 * a chunk's last object goes. The pool is the mini-OS memory of boot plus
 * what the OS donates (rc_malloc_mm with RC_SHIM_MINIOS_POOL); what the
 * tables hold is reported (minios_get_stats).
 *
 * Every object opens with struct ms_obj: a generation from the table's
 * sequence (never reused: a stale handle never reaches a later object,
 * whatever chunk it lands in) and a nonzero word while in use.
 */
#include "lib/errno.h"
#include "lib/string.h"
#include "minios/internal.h"

/* Directory entry: chunk PA | objects in use in it (bits 11:0). */
#define ENT_COUNT(e) ((uint32_t)((e)&GRANULE_MASK))
#define ENT_PA(e) ((e) & ~(uint64_t)GRANULE_MASK)

static const struct {
	uint32_t size, max;
} tbl_shape[MS_TBL_NR] = {
	[MS_TBL_SHIM] = {sizeof(struct ms_shim), MS_SHIM_SLOTS},
	[MS_TBL_MM] = {sizeof(struct ms_mm), MS_MM_SLOTS},
	[MS_TBL_TASK] = {sizeof(struct ms_task), MS_TASK_SLOTS},
};
COMPILER_ASSERT(sizeof(struct ms_mm) <= GRANULE_SIZE, "an mm in one chunk");
COMPILER_ASSERT(GRANULE_SIZE / sizeof(struct ms_task) < GRANULE_SIZE, "chunk count in an entry");

static struct ms_tbl *tbl(unsigned k)
{
	return &ms_state()->tbl[k];
}

void ms_tbl_init(void)
{
	for (unsigned k = 0; k < MS_TBL_NR; k++) {
		struct ms_tbl *t = tbl(k);

		memset(t, 0, sizeof(*t));
		t->size = tbl_shape[k].size;
		t->per = (uint32_t)(GRANULE_SIZE / t->size);
		t->max = tbl_shape[k].max;
	}
}

/* The directory entry of chunk c (mapped), or NULL when its directory granule is absent. */
static uint64_t *entry(const struct ms_tbl *t, uint32_t c)
{
	uint64_t d = t->dir[c / MS_TBL_DIR_N];

	return d ? ms_map(d + (c % MS_TBL_DIR_N) * 8, 8) : NULL;
}

uint32_t ms_tbl_bound(unsigned k)
{
	return tbl(k)->bound;
}

void *ms_tbl_at(unsigned k, uint32_t slot)
{
	const struct ms_tbl *t = tbl(k);
	uint64_t *e;

	if (slot >= t->bound)
		return NULL;
	e = entry(t, slot / t->per);
	if (!e || !*e)
		return NULL;
	return ms_map(ENT_PA(*e) + (uint64_t)(slot % t->per) * t->size, t->size);
}

/* Take a zeroed mini-OS granule for a table, or 0. */
static uint64_t table_page(void)
{
	uint64_t pa = ms_page_take();

	if (pa)
		ms_meta(pa)->kind = MS_K_TABLE;
	return pa;
}

/* A chunk with a free object: its index (a new chunk allocated if needed), or -ENOMEM. */
static int64_t chunk_with_room(struct ms_tbl *t)
{
	uint32_t nchunk = (t->max + t->per - 1) / t->per, hole = UINT32_MAX;
	uint64_t *e;

	if (nchunk > MS_TBL_DIRS * MS_TBL_DIR_N)
		nchunk = MS_TBL_DIRS * MS_TBL_DIR_N;
	for (uint32_t c = 0; c < nchunk && hole == UINT32_MAX; c++) {
		uint32_t cap = t->max - c * t->per < t->per ? t->max - c * t->per : t->per;

		e = entry(t, c);
		if (e && *e && ENT_COUNT(*e) < cap)
			return c;
		if (!e || !*e)
			hole = c; /* the first chunk not allocated */
	}
	for (uint32_t c = hole + 1; hole != UINT32_MAX && c * t->per < t->bound; c++) {
		uint32_t cap = t->max - c * t->per < t->per ? t->max - c * t->per : t->per;

		e = entry(t, c);
		if (e && *e && ENT_COUNT(*e) < cap)
			return c; /* room in an allocated chunk beyond the hole */
	}
	if (hole == UINT32_MAX || ms_state()->pages.count < (t->dir[hole / MS_TBL_DIR_N] ? 1u : 2u))
		return -ENOMEM;
	if (!t->dir[hole / MS_TBL_DIR_N]) {
		t->dir[hole / MS_TBL_DIR_N] = table_page();
		t->pages++;
	}
	*entry(t, hole) = table_page();
	t->pages++;
	if ((hole + 1) * t->per > t->bound)
		t->bound = (hole + 1) * t->per;
	return hole;
}

int ms_tbl_alloc(unsigned k, uint32_t *slot)
{
	struct ms_tbl *t = tbl(k);
	int64_t c;

	if (t->gen_seq == UINT32_MAX)
		return -ENOMEM; /* generations exhausted: never reuse one */
	c = chunk_with_room(t);
	if (c < 0)
		return (int)c;
	for (uint32_t i = 0; i < t->per; i++) {
		uint32_t s = (uint32_t)c * t->per + i;
		struct ms_obj *o;

		if (s >= t->max)
			break;
		o = ms_tbl_at(k, s);
		if (o->used)
			continue;
		memset(o, 0, t->size);
		o->gen = ++t->gen_seq;
		o->used = 1;
		(*entry(t, (uint32_t)c))++;
		t->live++;
		*slot = s;
		ms_stats_refresh();
		return 0;
	}
	return -ENOMEM; /* not reached: the chunk's count said it had room */
}

/* Give the chunk granule (or directory granule) at pa back to the mini-OS pool. */
static void table_page_give(struct ms_tbl *t, uint64_t pa)
{
	t->pages--;
	ms_page_give(pa); /* counts refreshed */
}

void ms_tbl_free(unsigned k, uint32_t slot)
{
	struct ms_tbl *t = tbl(k);
	uint32_t c = slot / t->per;
	uint64_t *e = entry(t, c), pa;
	struct ms_obj *o = ms_tbl_at(k, slot);

	if (!o || !o->used)
		return;
	memset(o, 0, t->size);
	t->live--;
	ms_stats_refresh();
	if (--*e & GRANULE_MASK)
		return;
	/* The chunk's last object: the chunk goes back, then an empty directory. */
	pa = ENT_PA(*e);
	*e = 0;
	table_page_give(t, pa);
	{
		uint64_t d = t->dir[c / MS_TBL_DIR_N], *ents = ms_map(d, GRANULE_SIZE);
		bool empty = true;

		for (uint32_t i = 0; i < MS_TBL_DIR_N && empty; i++)
			empty = ents[i] == 0;
		if (empty) {
			t->dir[c / MS_TBL_DIR_N] = 0;
			table_page_give(t, d);
		}
	}
	while (t->bound) {
		uint32_t last = (t->bound - 1) / t->per;

		e = entry(t, last);
		if (e && *e)
			break;
		t->bound = last * t->per;
	}
}

void ms_tbl_stats(unsigned k, uint64_t *live, uint64_t *pages)
{
	*live = tbl(k)->live;
	*pages = tbl(k)->pages;
}
