/*
 * A Container Realm's EL0 address spaces (rmm/fasco.h, "Address spaces"):
 * the slots of its RD (struct rb_as_slot) that name each plat_as, the
 * reference counts that let several RECs -- the threads of one process --
 * run in one of them (RSI_RB_THREAD), and the tear-down when the last REC
 * leaves: nothing maps the pages any more, then every granule it mapped
 * loses that mapping (fasco_page_put: scrubbed and released unless a
 * SHARED granule is still mapped elsewhere) and, as a safety net, every
 * unshared granule still carrying the slot's OWNER tag is scrubbed too.
 *
 * Invariants: a REC with as_tag t holds one reference of slot t - 1 and its
 * `as` is that slot's; a PE attached to a slot's plat_as belongs to a REC
 * holding a reference (a REC gives up its PE before its reference); a slot
 * is reused only once refs == 0 and its pages are released (as == NULL).
 *
 * Locks: rb_as_lock (RD) guards refs and `as` of every slot and is a leaf.
 * A slot's `lock` is taken under the REC lock(s) of an RSI call, before
 * any RTT, DATA or CHANNEL granule (and after the bounce buffer's lock).
 */
#include "lib/assert.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/string.h"
#include "rmm/fasco.h"
#include "rmm/rtt.h"
#include "rmm/s2tte.h"

static struct rd *crd_of(const struct rec *rec)
{
	return rd_map(granule_find(rec->rd_addr));
}

static struct rb_as_slot *slot_of(const struct rec *rec)
{
	unsigned tag = rec->fasco.as_tag;

	if (tag == 0 || tag > GRANULE_FASCO_OWNER_MAX)
		return NULL;
	return &crd_of(rec)->rb_as[tag - 1];
}

/*
 * Scrub and release every DATA granule the RTT at g_tbl (locked, level
 * `level`, first entry at ipa_base) and its children map whose OWNER tag
 * is `owner`. Hand over hand, root to leaf, then DATA.
 */
static void release_mapped(const struct rd *rd, struct granule *g_tbl, long level,
			   uint64_t ipa_base, unsigned owner)
{
	uint64_t n = rtt_table_entries(rd, level), par = 1ULL << (rd->ipa_bits - 1);

	for (uint64_t i = 0; i < n; i++) {
		uint64_t ipa = ipa_base + i * RTT_LEVEL_SIZE(level);
		uint64_t e, pa, pages;
		enum s2tte_state st;

		if (ipa >= par)
			break;
		e = s2tte_read(rtt_entry_ptr(g_tbl, i));
		st = s2tte_get_state(e, level, false);
		if (st == S2TTE_TABLE) {
			struct granule *g_child = granule_find(s2tte_get_pa(e, level));

			ASSERT(g_child != NULL);
			granule_lock(g_child);
			release_mapped(rd, g_child, level + 1, ipa, owner);
			granule_unlock(g_child);
			continue;
		}
		if (st != S2TTE_ASSIGNED)
			continue;
		pa = s2tte_get_pa(e, level);
		pages = RTT_LEVEL_SIZE(level) / GRANULE_SIZE;
		for (uint64_t k = 0; k < pages; k++) {
			struct granule *g = granule_find(pa + k * GRANULE_SIZE);

			ASSERT(g != NULL);
			granule_lock(g);
			/* A SHARED granule goes with its last mapping (fasco_page_put), not by tag.
			 */
			if (granule_get_state(g) == GRANULE_STATE_DATA &&
			    (g->fasco & GRANULE_FASCO_SHARED) == 0 &&
			    granule_fasco_owner(g) == owner) {
				granule_memzero(g);
				g->fasco = 0;
			}
			granule_unlock(g);
		}
	}
}

int fasco_page_get(uint64_t pa)
{
	struct granule *g = granule_find(ALIGN_DOWN(pa, GRANULE_SIZE));
	int ret = 0;

	if (g == NULL)
		return -EINVAL;
	granule_lock(g);
	if (granule_get_state(g) != GRANULE_STATE_DATA || !granule_fasco_mapped(g)) {
		ret = -EINVAL; /* cannot happen: an address space maps only such granules */
	} else if ((g->fasco & GRANULE_FASCO_SHARED) == 0) {
		g->fasco |= GRANULE_FASCO_SHARED;
		__atomic_store_n(&g->refcount, 2, __ATOMIC_RELAXED);
	} else if (granule_refcount_read(g) >= GRANULE_FASCO_MAPS_MAX) {
		ret = -ENOSPC;
	} else {
		granule_refcount_inc(g);
	}
	granule_unlock(g);
	return ret;
}

void fasco_page_put(uint64_t pa)
{
	struct granule *g = granule_find(ALIGN_DOWN(pa, GRANULE_SIZE));

	ASSERT(g != NULL);
	granule_lock(g);
	ASSERT(granule_get_state(g) == GRANULE_STATE_DATA && granule_fasco_mapped(g));
	if ((g->fasco & GRANULE_FASCO_SHARED) != 0 && granule_refcount_read(g) > 1) {
		granule_refcount_dec(g); /* other address spaces still map it */
	} else {
		granule_memzero(g);
		g->fasco = 0;
		__atomic_store_n(&g->refcount, 0, __ATOMIC_RELAXED);
	}
	granule_unlock(g);
}

void fasco_as_empty(struct plat_as *as)
{
	uint64_t va, pa;
	unsigned prot;

	while (plat_as_pop(as, &va, &pa, &prot) == 0)
		fasco_page_put(pa);
}

void fasco_as_release_tag(const struct rec *rec, unsigned tag)
{
	const struct rd *rd = crd_of(rec);
	struct granule *g_root = rd_rtt_root(rd);

	granule_lock(g_root);
	release_mapped(rd, g_root, rd->rtt_level_start, 0, tag);
	granule_unlock(g_root);
}

int fasco_as_new(struct rec *rec)
{
	struct rd *rd = crd_of(rec);
	struct plat_as *as;
	unsigned pick = GRANULE_FASCO_OWNER_MAX;
	int err = 0;

	if (rec->fasco.as_tag != 0)
		return -EINVAL;
	as = plat_as_create(&err);
	if (as == NULL)
		return err != 0 ? err : -ENOMEM;
	spinlock_acquire(&rd->rb_as_lock);
	/* The REC's own slot when unused (a single-threaded process keeps tag = index + 1). */
	if (rec->rec_idx < GRANULE_FASCO_OWNER_MAX && rd->rb_as[rec->rec_idx].as == NULL)
		pick = (unsigned)rec->rec_idx;
	for (unsigned i = 0; pick == GRANULE_FASCO_OWNER_MAX && i < GRANULE_FASCO_OWNER_MAX; i++)
		if (rd->rb_as[i].as == NULL)
			pick = i;
	if (pick != GRANULE_FASCO_OWNER_MAX) {
		rd->rb_as[pick].as = as;
		rd->rb_as[pick].refs = 1;
		memset(rd->rb_sync[pick], 0, sizeof(rd->rb_sync[pick]));
	}
	spinlock_release(&rd->rb_as_lock);
	if (pick == GRANULE_FASCO_OWNER_MAX) {
		/* Cannot happen: every slot in use has a REC and there are at most 31. */
		lib_log(LOG_WARN, "fasco", "no free address-space slot for REC %llu",
			(unsigned long long)rec->rec_idx);
		(void)plat_as_destroy(as);
		return -EBUSY;
	}
	rec->fasco.as = as;
	rec->fasco.as_tag = (uint8_t)(pick + 1);
	return 0;
}

void fasco_as_share(struct rec *child, const struct rec *parent)
{
	struct rd *rd = crd_of(parent);
	struct rb_as_slot *s = slot_of(parent);

	ASSERT(s != NULL && child->fasco.as_tag == 0 && child->pe == NULL);
	spinlock_acquire(&rd->rb_as_lock);
	s->refs++;
	spinlock_release(&rd->rb_as_lock);
	child->fasco.as = parent->fasco.as;
	child->fasco.as_tag = parent->fasco.as_tag;
}

unsigned fasco_as_users(const struct rec *rec)
{
	struct rb_as_slot *s = slot_of(rec);
	struct rd *rd = crd_of(rec);
	unsigned n;

	if (s == NULL)
		return 0;
	spinlock_acquire(&rd->rb_as_lock);
	n = s->refs;
	spinlock_release(&rd->rb_as_lock);
	return n;
}

/* The REC's PE goes (KICK reads rec->pe under the channel's lock). */
static void drop_pe(struct rec *rec)
{
	struct plat_pe *pe = rec->pe;
	struct granule *g_chan;

	if (pe == NULL)
		return;
	g_chan = rec->fasco.channel != 0 ? granule_find(rec->fasco.channel) : NULL;
	if (g_chan != NULL)
		granule_lock(g_chan);
	__atomic_store_n(&rec->pe, NULL, __ATOMIC_RELEASE);
	if (g_chan != NULL)
		granule_unlock(g_chan);
	/* Its FP/SIMD state is not kept: the REC's process or thread is over. */
	plat_pe_destroy(pe);
	rec->fasco.a64 = false;
}

void fasco_as_leave(struct rec *rec)
{
	struct rb_as_slot *s = slot_of(rec);
	struct rd *rd = crd_of(rec);
	unsigned tag = rec->fasco.as_tag;
	struct plat_as *as;
	bool last;
	int ret;

	drop_pe(rec);
	if (s == NULL)
		return;
	spinlock_acquire(&rd->rb_as_lock);
	ASSERT(s->refs != 0);
	last = --s->refs == 0;
	as = s->as;
	spinlock_release(&rd->rb_as_lock);
	rec->fasco.as = NULL;
	rec->fasco.as_tag = 0;
	if (!last)
		return;
	/* No REC refers to it, so no PE is attached: nothing reaches the pages, then they go. */
	fasco_as_empty(as);
	ret = plat_as_destroy(as);
	ASSERT(ret == 0);
	fasco_as_release_tag(rec, tag);
	spinlock_acquire(&rd->rb_as_lock);
	s->as = NULL; /* the slot (and its tag) may be used again */
	spinlock_release(&rd->rb_as_lock);
}

void fasco_as_sync_clear(const struct rec *rec)
{
	unsigned tag = rec->fasco.as_tag;

	if (tag == 0 || tag > GRANULE_FASCO_OWNER_MAX)
		return;
	fasco_as_lock(rec);
	memset(crd_of(rec)->rb_sync[tag - 1], 0, sizeof(crd_of(rec)->rb_sync[tag - 1]));
	fasco_as_unlock(rec);
}

bool fasco_as_sync_inside(const struct rec *rec, uint64_t va, uint64_t len)
{
	unsigned tag = rec->fasco.as_tag;

	if (tag == 0 || tag > GRANULE_FASCO_OWNER_MAX)
		return false;
	return syncmap_inside(crd_of(rec)->rb_sync[tag - 1], RB_SYNC_MAX, va, len);
}

/* Is nothing mapped in [start, end) of rec's address space (at most 1 GiB looked at)? */
static bool range_unmapped(const struct rec *rec, uint64_t start, uint64_t end)
{
	if (end - start > (1ULL << 30))
		return false;
	for (uint64_t p = start; p < end; p += GRANULE_SIZE) {
		if (plat_as_query(rec->fasco.as, p, NULL, NULL) == 0)
			return false;
	}
	return true;
}

void fasco_as_sync_complete(struct rec *rec, uint64_t result)
{
	const struct rec_fasco *f = &rec->fasco;
	struct syncmap_range drop, drop2, add, *t;
	unsigned tag = f->as_tag;
	bool clear;

	if (f->kind != RB_REQ_SYSCALL || tag == 0 || tag > GRANULE_FASCO_OWNER_MAX)
		return;
	syncmap_change((unsigned)f->nr, f->args, result, RB_VA_LIMIT, &drop, &drop2, &add, &clear);
	if (!clear && drop.end == 0 && drop2.end == 0)
		return;
	t = crd_of(rec)->rb_sync[tag - 1];
	fasco_as_lock(rec);
	if (clear)
		memset(t, 0, sizeof(struct syncmap_range) * RB_SYNC_MAX);
	if (drop.end != 0)
		syncmap_drop(t, RB_SYNC_MAX, drop.start, drop.end);
	if (drop2.end != 0)
		syncmap_drop(t, RB_SYNC_MAX, drop2.start, drop2.end);
	if (add.end != 0 && !(range_unmapped(rec, add.start, add.end) &&
			      syncmap_add(t, RB_SYNC_MAX, add.start, add.end)))
		lib_log(LOG_WARN, "fasco",
			"file MAP_SHARED range 0x%llx-0x%llx not tracked (mapped or no room): "
			"its copies will be refused",
			(unsigned long long)add.start, (unsigned long long)add.end);
	fasco_as_unlock(rec);
}

void fasco_as_sync_fork(struct rec *child, const struct rec *parent)
{
	struct syncmap_range t[RB_SYNC_MAX];
	unsigned pt = parent->fasco.as_tag, ct;

	if (pt == 0 || pt > GRANULE_FASCO_OWNER_MAX)
		return;
	fasco_as_lock(parent);
	memcpy(t, crd_of(parent)->rb_sync[pt - 1], sizeof(t));
	fasco_as_unlock(parent);
	if (child->fasco.as_tag == 0) {
		bool any = false;

		for (unsigned i = 0; i < RB_SYNC_MAX; i++)
			any = any || t[i].end != 0;
		if (!any || fasco_as_new(child) != 0)
			return; /* nothing to give, or no address space to give it to */
	}
	ct = child->fasco.as_tag;
	fasco_as_lock(child);
	memcpy(crd_of(child)->rb_sync[ct - 1], t, sizeof(t));
	fasco_as_unlock(child);
}

void fasco_as_lock(const struct rec *rec)
{
	struct rb_as_slot *s = slot_of(rec);

	if (s != NULL)
		spinlock_acquire(&s->lock);
}

void fasco_as_unlock(const struct rec *rec)
{
	struct rb_as_slot *s = slot_of(rec);

	if (s != NULL)
		spinlock_release(&s->lock);
}
