/*
 * The mini-OS core: cold boot (tables, OS-GPT), the gate's dispatch table,
 * granule ownership and pools, EL3 calls, and the con-shim / container /
 * memory-donation calls (rc_create_shim .. rc_malloc_mm).
 *
 * GPT rule kept by every call: a con-shim granule is NS in the Priv-GPT
 * and in its own shim-GPT, NO_ACCESS in the OS-GPT and in every other
 * shim-GPT; mini-OS memory is NO_ACCESS everywhere but the Priv-GPT.
 */
#include "minios/minios.h"

#include "arch/gpt.h"
#include "lib/assert.h"
#include "lib/errno.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "minios/internal.h"

static uint64_t ms_base; /* PA of struct ms_state; 0 before boot */
static spinlock_t ms_lock = SPINLOCK_INIT;
bool ms_left_priv;
bool ms_fast_exit;
struct ms_eret ms_eret;
uint32_t ms_run_slot = MS_NO_SLOT;

/* ---- Memory and objects ------------------------------------------------ */

void *ms_map(uint64_t pa, size_t len)
{
	void *p = plat_map(PAS_NS, pa, len, NULL);

	ASSERT(p != NULL); /* the mini-OS only touches memory its current GPT gives it */
	return p;
}

void ms_zero(uint64_t pa)
{
	/* through the platform, which may leave an already-zero granule untouched */
	int ret = plat_zero(PAS_NS, pa, GRANULE_SIZE, NULL);

	ASSERT(ret == 0); /* as ms_map: the mini-OS's current GPT gives it the granule */
	(void)ret;
}

struct ms_state *ms_state(void)
{
	return ms_map(ms_base, sizeof(struct ms_state));
}

struct ms_gmeta *ms_meta(uint64_t pa)
{
	struct ms_state *s = ms_state();
	uint64_t i = (pa - s->dram_base) >> GRANULE_SHIFT;

	if (pa < s->dram_base || i >= s->ngran)
		return NULL;
	return ms_map(s->meta + i * sizeof(struct ms_gmeta), sizeof(struct ms_gmeta));
}

struct ms_shim *ms_shim_at(uint32_t slot)
{
	return ms_tbl_at(MS_TBL_SHIM, slot);
}

struct ms_mm *ms_mm_at(uint32_t slot)
{
	return ms_tbl_at(MS_TBL_MM, slot);
}

struct ms_task *ms_task_at(uint32_t slot)
{
	return ms_tbl_at(MS_TBL_TASK, slot);
}

uint64_t ms_handle(uint32_t gen, uint32_t slot)
{
	return ((uint64_t)gen << 16) | (slot + 1);
}

static int lookup(uint64_t handle, uint32_t max, uint32_t *slot)
{
	uint64_t s = handle & 0xFFFF;

	if (s == 0 || s > max || handle >> 48)
		return -EINVAL;
	*slot = (uint32_t)s - 1;
	return 0;
}

int ms_shim_lookup(uint64_t handle, uint32_t *slot)
{
	struct ms_shim *sh;

	if (lookup(handle, MS_SHIM_SLOTS, slot))
		return -EINVAL;
	sh = ms_shim_at(*slot);
	return sh && sh->live && sh->gen == (uint32_t)(handle >> 16) ? 0 : -ESRCH;
}

int ms_task_lookup(uint64_t handle, uint32_t *slot)
{
	struct ms_task *t;

	if (lookup(handle, MS_TASK_SLOTS, slot))
		return -EINVAL;
	t = ms_task_at(*slot);
	return t && t->state != MS_T_FREE && t->gen == (uint32_t)(handle >> 16) ? 0 : -ESRCH;
}

bool ms_os_granule(uint64_t pa)
{
	struct ms_gmeta *m;

	if (!IS_ALIGNED(pa, GRANULE_SIZE) || !plat_pa_in_dram(pa, GRANULE_SIZE))
		return false;
	m = ms_meta(pa);
	/* The Priv-GPT gives every NS granule to the NS PAS; Root and Realm fail here. */
	return m && m->owner == MS_OWN_OS && plat_gpc_check(PAS_NS, pa, NULL) == 0;
}

bool ms_os_range(uint64_t pa, uint64_t len)
{
	if (len == 0 || pa + len < pa)
		return false;
	for (uint64_t g = ALIGN_DOWN(pa, GRANULE_SIZE); g < pa + len; g += GRANULE_SIZE)
		if (!ms_os_granule(g))
			return false;
	return true;
}

/* ---- Pools ------------------------------------------------------------- */

static uint64_t gidx(uint64_t pa)
{
	return ((pa - ms_state()->dram_base) >> GRANULE_SHIFT) + 1;
}

static uint64_t gpa(uint64_t idx)
{
	return ms_state()->dram_base + ((idx - 1) << GRANULE_SHIFT);
}

static void list_push(struct ms_list *l, uint64_t pa)
{
	struct ms_gmeta *m = ms_meta(pa);

	m->prev = 0;
	m->next = l->head;
	if (l->head)
		ms_meta(gpa(l->head))->prev = (uint32_t)gidx(pa);
	l->head = (uint32_t)gidx(pa);
	l->count++;
}

void ms_list_remove(struct ms_list *l, uint64_t pa)
{
	struct ms_gmeta *m = ms_meta(pa);

	if (m->prev)
		ms_meta(gpa(m->prev))->next = m->next;
	else
		l->head = m->next;
	if (m->next)
		ms_meta(gpa(m->next))->prev = m->prev;
	m->next = m->prev = 0;
	l->count--;
}

static uint64_t list_pop(struct ms_list *l, enum ms_kind kind)
{
	uint64_t pa;

	if (!l->head)
		return 0;
	pa = gpa(l->head);
	ms_list_remove(l, pa);
	ms_meta(pa)->kind = (uint8_t)kind;
	return pa;
}

uint64_t ms_shim_take(uint32_t shim, enum ms_kind kind)
{
	return list_pop(&ms_shim_at(shim)->free, kind);
}

uint64_t ms_shim_peek(uint32_t shim)
{
	uint32_t head = ms_shim_at(shim)->free.head;

	return head ? gpa(head) : 0;
}

void ms_shim_give(uint32_t shim, uint64_t pa)
{
	struct ms_gmeta *m = ms_meta(pa);

	ASSERT(m->owner == shim + 1 && m->kind != MS_K_FREE);
	ms_zero(pa);
	m->kind = MS_K_FREE;
	m->maps = 0;
	m->fill_gen = 0;
	list_push(&ms_shim_at(shim)->free, pa);
}

uint64_t ms_page_take(void)
{
	uint64_t pa = list_pop(&ms_state()->pages, MS_K_IOPT);

	ms_stats_refresh();
	return pa;
}

void ms_page_give(uint64_t pa)
{
	struct ms_gmeta *m = ms_meta(pa);

	ASSERT(m->owner == MS_OWN_MINIOS && m->kind != MS_K_FREE);
	ms_zero(pa);
	m->kind = MS_K_FREE;
	list_push(&ms_state()->pages, pa);
	ms_stats_refresh();
}

/* ---- EL3 --------------------------------------------------------------- */

int ms_el3(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, struct smc_regs *res)
{
	struct smc_regs r;
	uint64_t ret = plat_smc6(PAS_NS, fid, a1, a2, a3, a4, 0, 0, &r);

	if (res)
		*res = r;
	if (ret == E_RMM_OK)
		return 0;
	return ret == (uint64_t)E_RMM_NOMEM ? -ENOMEM : -EIO;
}

int ms_switch_gpt(uint64_t index)
{
	int ret = ms_el3(SMC_RC_SET_GPTBR, index, 0, 0, 0, NULL);

	if (ret == 0 && index != RC_GPT_PRIV)
		ms_left_priv = true;
	return ret;
}

int ms_gpi_other_shims(uint32_t except, uint64_t pa, uint64_t count, unsigned gpi)
{
	for (uint32_t s = 0; s < ms_tbl_bound(MS_TBL_SHIM); s++) {
		struct ms_shim *sh = ms_shim_at(s);
		int ret;

		if (s == except || !sh || !sh->live)
			continue;
		ret = ms_el3(SMC_RC_SET_GPI, sh->gpt, pa, count, gpi, NULL);
		if (ret)
			return ret;
	}
	return 0;
}

/* ---- Boot -------------------------------------------------------------- */

struct ms_layout {
	uint64_t meta, end;
};

static void plan(uint64_t base, uint64_t ngran, struct ms_layout *l)
{
	l->meta = base + ALIGN_UP(sizeof(struct ms_state), 64);
	l->end = ALIGN_UP(l->meta + ngran * sizeof(struct ms_gmeta), GRANULE_SIZE);
}

/* Chunk granules for n objects of size bytes. */
static uint64_t chunks_for(uint64_t n, uint64_t size)
{
	uint64_t per = GRANULE_SIZE / size;

	return (n + per - 1) / per;
}

uint64_t minios_required_size(void)
{
	struct ms_layout l;

	plan(0, plat_dram_size() >> GRANULE_SHIFT, &l);
	/* + the tables' first objects' chunks and one directory each (more: donated) */
	return l.end + (chunks_for(MS_BOOT_SHIMS, sizeof(struct ms_shim)) +
			chunks_for(MS_BOOT_MMS, sizeof(struct ms_mm)) +
			chunks_for(MS_BOOT_TASKS, sizeof(struct ms_task)) + MS_TBL_NR) *
			       GRANULE_SIZE;
}

/*
 * The counters minios_get_stats reads, kept in the mini-OS image's own data
 * (as ms_base): refreshed under the Priv-GPT whenever they change.
 */
static struct minios_stats ms_stats;

void ms_stats_refresh(void)
{
	struct ms_state *s = ms_state();
	uint64_t pages, total = 0;

	ms_tbl_stats(MS_TBL_SHIM, &ms_stats.shims, &pages);
	total += pages;
	ms_tbl_stats(MS_TBL_MM, &ms_stats.mms, &pages);
	total += pages;
	ms_tbl_stats(MS_TBL_TASK, &ms_stats.tasks, &pages);
	total += pages;
	ms_stats.table_bytes = total * GRANULE_SIZE;
	if (ms_stats.table_bytes > ms_stats.table_bytes_peak)
		ms_stats.table_bytes_peak = ms_stats.table_bytes;
	ms_stats.pool_free_bytes = s->pages.count * GRANULE_SIZE;
	ms_stats.memory_bytes = s->size + s->donated * GRANULE_SIZE;
	ms_stats.donated_bytes = s->donated * GRANULE_SIZE;
}

void minios_get_stats(struct minios_stats *out)
{
	spinlock_acquire(&ms_lock);
	*out = ms_stats;
	spinlock_release(&ms_lock);
}

void minios_stats_peak_reset(void)
{
	spinlock_acquire(&ms_lock);
	ms_stats.table_bytes_peak = ms_stats.table_bytes;
	spinlock_release(&ms_lock);
}

int minios_boot(uint64_t base, uint64_t size)
{
	uint64_t ngran = plat_dram_size() >> GRANULE_SHIFT;
	struct smc_regs res;
	struct ms_layout l;
	struct ms_state *s;
	int ret;

	if (!IS_ALIGNED(base, GRANULE_SIZE) || !IS_ALIGNED(size, GRANULE_SIZE) ||
	    !plat_pa_in_dram(base, size))
		return -EINVAL;
	plan(base, ngran, &l);
	if (l.end > base + size)
		return -ENOMEM;
	if (plat_zero(PAS_NS, base, size, NULL))
		return -EINVAL; /* not NS: Root, RMM or delegated memory */
	ms_base = base;
	s = ms_state();
	s->magic = MS_MAGIC;
	s->base = base;
	s->size = size;
	s->dram_base = plat_dram_base();
	s->ngran = ngran;
	s->meta = l.meta;
	ms_tbl_init();
	for (uint64_t pa = base; pa < base + size; pa += GRANULE_SIZE) {
		struct ms_gmeta *m = ms_meta(pa);

		m->owner = MS_OWN_MINIOS;
		if (pa >= l.end) {
			m->kind = MS_K_FREE;
			list_push(&s->pages, pa);
		}
	}
	ms_stats_refresh();
	ret = ms_el3(SMC_RC_GPT_CREATE, RC_GPT_PRIV, 0, 0, 0, &res);
	if (ret == 0 && res.x[1] != RC_GPT_OS)
		ret = -EIO;
	if (ret == 0)
		ret = ms_el3(SMC_RC_SET_GPI, RC_GPT_OS, base, size >> GRANULE_SHIFT, GPI_NO_ACCESS,
			     NULL);
	if (ret == 0)
		ret = ms_switch_gpt(RC_GPT_OS);
	ms_left_priv = false; /* boot is not a gate entry: the first call is not nested */
	if (ret) {
		ms_base = 0;
		return ret < 0 && ret != -ENOMEM ? -EIO : ret;
	}
	return 0;
}

void minios_shutdown(void)
{
	ms_base = 0;
	ms_stats = (struct minios_stats){0};
	ms_left_priv = false;
	ms_fast_exit = false;
	ms_eret = (struct ms_eret){0};
	ms_run_slot = MS_NO_SLOT;
	spinlock_release(&ms_lock);
}

/* ---- Con-shims and containers ------------------------------------------- */

int rc_create_shim(struct ms_call *c)
{
	struct smc_regs res;
	struct ms_shim *sh;
	uint32_t slot;
	int ret;

	ret = ms_tbl_alloc(MS_TBL_SHIM, &slot); /* a new generation: older handles stay stale */
	if (ret)
		return ret;
	/* A copy of the OS-GPT: every other con-shim and the mini-OS are NO_ACCESS. */
	ret = ms_el3(SMC_RC_GPT_CREATE, RC_GPT_OS, 0, 0, 0, &res);
	if (ret) {
		ms_tbl_free(MS_TBL_SHIM, slot);
		return ret;
	}
	sh = ms_shim_at(slot);
	sh->gpt = res.x[1];
	c->out[0] = ms_handle(sh->gen, slot);
	c->out[1] = sh->gpt;
	return 0;
}

/*
 * Give every granule of shim back to the OS (all are FREE): NS again in the
 * OS-GPT and the other shim-GPTs, by contiguous runs.
 */
static int shim_return_all(uint32_t slot)
{
	struct ms_state *s = ms_state();
	struct ms_shim *sh = ms_shim_at(slot);
	uint64_t run = 0, n = 0;
	int ret = 0;

	for (uint64_t i = 0; i <= s->ngran && ret == 0; i++) {
		uint64_t pa = s->dram_base + (i << GRANULE_SHIFT);
		bool mine = i < s->ngran && ms_meta(pa)->owner == slot + 1;

		if (mine) {
			ASSERT(ms_meta(pa)->kind == MS_K_FREE);
			ms_list_remove(&sh->free, pa);
			ms_meta(pa)->owner = MS_OWN_OS;
			ms_meta(pa)->kind = MS_K_NONE;
			if (n++ == 0)
				run = pa;
			continue;
		}
		if (n) {
			ret = ms_el3(SMC_RC_SET_GPI, RC_GPT_OS, run, n, GPI_NS, NULL);
			if (ret == 0)
				ret = ms_gpi_other_shims(slot, run, n, GPI_NS);
			n = 0;
		}
	}
	sh->granules = 0;
	return ret;
}

int rc_destroy_shim(struct ms_call *c)
{
	struct ms_shim *sh;
	uint32_t slot;
	int ret = ms_shim_lookup(c->a[0], &slot);

	if (ret)
		return ret;
	sh = ms_shim_at(slot);
	if (sh->container || sh->ntasks)
		return -EBUSY;
	ret = shim_return_all(slot);
	if (ret == 0)
		ret = ms_el3(SMC_RC_GPT_DESTROY, sh->gpt, 0, 0, 0, NULL);
	ms_tbl_free(MS_TBL_SHIM, slot); /* even after an EL3 failure the handle is gone */
	return ret;
}

int rc_create_container(struct ms_call *c)
{
	struct ms_shim *sh;
	struct ms_task *t;
	struct ms_save *sv;
	uint32_t slot, ts, mm;
	uint64_t pc = c->a[1], sp = c->a[2];
	int ret = ms_shim_lookup(c->a[0], &slot);

	if (ret)
		return ret;
	sh = ms_shim_at(slot);
	if (sh->container)
		return -EBUSY;
	if (pc >= RC_VA_LIMIT || sp >= RC_VA_LIMIT || !IS_ALIGNED(pc, 4))
		return -EINVAL;
	if (sh->free.count < 2)
		return -ENOMEM; /* a save area and a top-level table */
	ret = ms_mm_new(slot, &mm);
	if (ret)
		return ret;
	ret = ms_tbl_alloc(MS_TBL_TASK, &ts);
	if (ret) {
		ms_mm_put(mm);
		return ret;
	}
	sh = ms_shim_at(slot);
	t = ms_task_at(ts);
	t->state = MS_T_NEW;
	t->shim = slot;
	t->mm = mm;
	t->save = ms_shim_take(slot, MS_K_SAVE);
	t->frame = 0;
	sv = ms_map(t->save, sizeof(*sv));
	sv->st.pc = pc;
	sv->st.sp_el0 = sp;
	sh->container = 1;
	sh->ntasks = 1;
	c->out[0] = ms_handle(t->gen, ts);
	return 0;
}

int rc_destroy_container(struct ms_call *c)
{
	uint32_t slot;
	int ret = ms_shim_lookup(c->a[0], &slot);

	if (ret)
		return ret;
	if (!ms_shim_at(slot)->container)
		return -ESRCH;
	ms_task_free_all(slot);
	ms_shim_at(slot)->container = 0;
	return 0;
}

/* ---- rc_malloc_mm: OS granules <-> a con-shim's pool (or EL3's GPT pool) ---- */

/*
 * OS granules (checked by the caller) -> free granules of `owner` on list l:
 * NO_ACCESS under the OS-GPT and every con-shim's GPT but skip_slot's,
 * scrubbed.
 */
static int granules_take(uint32_t skip_slot, uint64_t pa, uint64_t n, uint16_t owner,
			 struct ms_list *l)
{
	int ret = ms_el3(SMC_RC_SET_GPI, RC_GPT_OS, pa, n, GPI_NO_ACCESS, NULL);

	if (ret == 0)
		ret = ms_gpi_other_shims(skip_slot, pa, n, GPI_NO_ACCESS);
	if (ret)
		return ret;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t g = pa + i * GRANULE_SIZE;
		struct ms_gmeta *m = ms_meta(g);

		ms_zero(g);
		m->owner = owner;
		m->kind = MS_K_FREE;
		list_push(l, g);
	}
	return 0;
}

/*
 * Free granules of `owner` on list l (refused: one not owner's or inside
 * [keep, keep + keep_size) -EPERM, one in use -EBUSY) -> the OS: NS again
 * under the OS-GPT and the con-shims' GPTs but skip_slot's. They were
 * scrubbed when freed.
 */
static int granules_give(uint32_t skip_slot, uint64_t pa, uint64_t n, uint16_t owner,
			 struct ms_list *l, uint64_t keep, uint64_t keep_size)
{
	for (uint64_t i = 0; i < n; i++) {
		uint64_t g = pa + i * GRANULE_SIZE;
		struct ms_gmeta *m = ms_meta(g);

		if (m->owner != owner || (g >= keep && g < keep + keep_size))
			return -EPERM;
		if (m->kind != MS_K_FREE)
			return -EBUSY;
	}
	for (uint64_t i = 0; i < n; i++) {
		uint64_t g = pa + i * GRANULE_SIZE;
		struct ms_gmeta *m = ms_meta(g);

		ms_list_remove(l, g);
		m->owner = MS_OWN_OS;
		m->kind = MS_K_NONE;
	}
	if (ms_el3(SMC_RC_SET_GPI, RC_GPT_OS, pa, n, GPI_NS, NULL) ||
	    ms_gpi_other_shims(skip_slot, pa, n, GPI_NS))
		return -EIO;
	return 0;
}

static int mm_donate(uint32_t slot, uint64_t pa, uint64_t n)
{
	struct ms_shim *sh = ms_shim_at(slot);
	int ret = granules_take(slot, pa, n, (uint16_t)(slot + 1), &sh->free);

	if (ret == 0)
		sh->granules += n;
	return ret;
}

static int mm_reclaim(uint32_t slot, uint64_t pa, uint64_t n)
{
	struct ms_shim *sh = ms_shim_at(slot);
	int ret = granules_give(slot, pa, n, (uint16_t)(slot + 1), &sh->free, 0, 0);

	if (ret != -EPERM && ret != -EBUSY)
		sh->granules -= n;
	return ret;
}

/* OS granules (checked) -> the mini-OS page pool: NO_ACCESS but in the Priv-GPT, scrubbed. */
static int pool_donate(uint64_t pa, uint64_t n)
{
	struct ms_state *s = ms_state();
	int ret = granules_take(MS_NO_SLOT, pa, n, MS_OWN_MINIOS, &s->pages);

	if (ret)
		return ret;
	s->donated += n;
	ms_stats_refresh();
	return 0;
}

/* Free granules the OS donated to the mini-OS page pool -> the OS (never boot memory). */
static int pool_reclaim(uint64_t pa, uint64_t n)
{
	struct ms_state *s = ms_state();
	int ret = granules_give(MS_NO_SLOT, pa, n, MS_OWN_MINIOS, &s->pages, s->base, s->size);

	if (ret != -EPERM && ret != -EBUSY) {
		s->donated -= n;
		ms_stats_refresh();
	}
	return ret;
}

int rc_malloc_mm(struct ms_call *c)
{
	uint64_t pa = c->a[1], n = c->a[2], flags = c->a[3];
	uint32_t slot = 0;
	int ret;

	if (!IS_ALIGNED(pa, GRANULE_SIZE) || n == 0 || n > ms_state()->ngran ||
	    !plat_pa_in_dram(pa, n * GRANULE_SIZE) || flags > RC_MM_RECLAIM)
		return -EINVAL;
	if (c->a[0] == RC_SHIM_MINIOS_POOL) {
		if (flags == RC_MM_RECLAIM)
			return pool_reclaim(pa, n);
	} else if (c->a[0] != RC_SHIM_GPT_POOL) {
		ret = ms_shim_lookup(c->a[0], &slot);
		if (ret)
			return ret;
		if (flags == RC_MM_RECLAIM)
			return mm_reclaim(slot, pa, n);
	} else if (flags != RC_MM_DONATE) {
		return -EINVAL; /* Root memory does not come back */
	}
	for (uint64_t i = 0; i < n; i++) {
		if (!ms_os_granule(pa + i * GRANULE_SIZE))
			return -EPERM;
		if (ms_meta(pa + i * GRANULE_SIZE)->io)
			return -EBUSY; /* a device may still write it */
	}
	if (c->a[0] == RC_SHIM_MINIOS_POOL)
		return pool_donate(pa, n);
	if (c->a[0] != RC_SHIM_GPT_POOL)
		return mm_donate(slot, pa, n);
	ret = ms_el3(SMC_RC_POOL_ADD, pa, n, 0, 0, NULL);
	if (ret)
		return ret == -EIO ? -EINVAL : ret;
	for (uint64_t i = 0; i < n; i++)
		ms_meta(pa + i * GRANULE_SIZE)->owner = MS_OWN_EL3;
	return 0;
}

/* ---- The gate's dispatch ------------------------------------------------- */

static const struct {
	int (*fn)(struct ms_call *c);
	bool from_shim; /* the con-shim vector's call, not the OS's */
} ms_calls[RC_FN_NR] = {
	[RC_FN_CREATE_SHIM] = {rc_create_shim, false},
	[RC_FN_DESTROY_SHIM] = {rc_destroy_shim, false},
	[RC_FN_CREATE_CONTAINER] = {rc_create_container, false},
	[RC_FN_DESTROY_CONTAINER] = {rc_destroy_container, false},
	[RC_FN_MALLOC_MM] = {rc_malloc_mm, false},
	[RC_FN_SET_PTE] = {rc_set_pte, false},
	[RC_FN_COPY_PAGE] = {rc_copy_page, false},
	[RC_FN_SET_VMA] = {rc_set_vma, false},
	[RC_FN_SET_IOPTE] = {rc_set_iopte, false},
	[RC_FN_IPC_IN] = {rc_ipc_in, false},
	[RC_FN_IPC_OUT] = {rc_ipc_out, false},
	[RC_FN_TASK_CLONE] = {rc_task_clone, false},
	[RC_FN_TASK_EXEC] = {rc_task_exec, false},
	[RC_FN_TASK_EXIT] = {rc_task_exit, false},
	[RC_FN_SWITCH_TO_DEPRIV] = {rc_switch_to_depriv, true},
	[RC_FN_SWITCH_TO_MINIOS] = {rc_switch_to_minios, false},
	[RC_FN_TASK_REGS] = {rc_task_regs, false},
	[RC_FN_SHARE] = {rc_share, false},
	[RC_FN_TASK_ENDING] = {rc_task_ending, false},
};

static uint64_t rc_status(int ret)
{
	switch (ret) {
	case 0:
		return RC_SUCCESS;
	case -EPERM:
		return RC_ERROR_OWNER;
	case -ESRCH:
		return RC_ERROR_STATE;
	case -ENOMEM:
		return RC_ERROR_NOMEM;
	case -EBUSY:
		return RC_ERROR_BUSY;
	case -EFAULT:
		return RC_ERROR_FAULT;
	case -EACCES:
		return RC_ERROR_CALLER;
	case -ERANGE:
		return RC_ERROR_RANGE;
	default:
		return RC_ERROR_INPUT;
	}
}

void minios_handle_call(struct smc_regs *regs, uint64_t caller_gpt)
{
	struct ms_call c = {.caller_gpt = caller_gpt};
	uint64_t fn = regs->x[1];
	bool nested = ms_left_priv; /* the con-shim vector inside a run */
	int ret;

	ASSERT(ms_base != 0);
	for (int i = 0; i < 5; i++)
		c.a[i] = regs->x[2 + i];
	if (!nested)
		spinlock_acquire(&ms_lock);
	ms_left_priv = false;
	if (!nested)
		ms_run_reconcile();
	plat_count(PLAT_CNT_RC_CALL);
	if (fn >= RC_FN_NR)
		ret = -EINVAL;
	else if (ms_calls[fn].from_shim != (caller_gpt != RC_GPT_OS))
		ret = -EACCES;
	else
		ret = ms_calls[fn].fn(&c);
	regs->x[0] = rc_status(ret);
	for (int i = 0; i < 3; i++)
		regs->x[1 + i] = ret ? 0 : c.out[i];
	/*
	 * Leave the Priv-GPT before anything but mini-OS code runs: ourselves
	 * (the artifact), or EL3 on the gate's way out (minios_exit_gpt).
	 */
	if (!ms_left_priv && !ms_fast_exit)
		ASSERT(ms_switch_gpt(RC_GPT_OS) == 0);
	ms_left_priv = nested;
	if (!nested)
		spinlock_release(&ms_lock);
}

/* ---- Fast exit: EL3 switches GPT as the gate returns --------------------------- */

void minios_set_fast_exit(bool on)
{
	ms_fast_exit = on;
	ms_eret.pending = false;
}

uint64_t minios_exit_gpt(void)
{
	return ms_eret.pending ? ms_eret.gpt : RC_GPT_OS;
}

/*
 * The con-shim entry under the task's shim-GPT (EL3 switched on the gate's
 * way out of rc_switch_to_miniOS): run the task; at its trap the vector
 * writes the OS's frame (an OS granule, NS here) from the con-shim's saved
 * state, marks the save trapped and leaves straight for the OS-GPT
 * (SMC_RC_SHIM_EXIT: no mini-OS entry on the way out; the mini-OS marks the
 * task TRAPPED at its next entry). The results become the OS's
 * rc_switch_to_miniOS results.
 */
void minios_shim_entry(struct smc_regs *regs)
{
	struct ms_eret e = ms_eret;
	struct smc_regs res;
	struct ms_save *sv;

	ms_eret.pending = false;
	regs->x[1] = regs->x[2] = regs->x[3] = 0;
	if (!e.pending) {
		regs->x[0] = RC_ERROR_STATE;
		return;
	}
	ms_shim_run(&e);
	sv = ms_map(e.save, sizeof(*sv));
	ms_frame_write(e.frame, sv);
	sv->trapped = 1;
	plat_smc6(PAS_NS, SMC_RC_SHIM_EXIT, 0, 0, 0, 0, 0, 0, &res);
	regs->x[0] = res.x[0] == E_RMM_OK ? RC_SUCCESS : RC_ERROR_INPUT;
	regs->x[1] = sv->reason;
}
