/*
 * The PAL of the library OS inside a System Realm (pal_realm.h), its memory
 * half: PAL memory calls as RSI calls on the channel of the container REC an
 * address space lives on, and the shadow of what the RMM mapped. The task
 * half (kernel threads, requests, fork, registers, host calls) is
 * pal_realm_task.c; both share pal_realm_int.h.
 */
#include "libos/pal_realm_int.h"

#include "lib/errno.h"
#include "lib/log.h"
#include "lib/string.h"

struct pal_realm_sys RS;
struct pal_realm_state *prm_cur; /* set by pal_realm_init */

/* ---- RSI ------------------------------------------------------------------ */

uint64_t prm_smc(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5,
		 uint64_t *x1)
{
	uint64_t x[11] = {fid, a1, a2, a3, a4, a5};

	if (prm_cur)
		R.st.rsi_calls++;
	RS.e.smc(RS.e.guest, x);
	if (x1)
		*x1 = x[1];
	return x[0];
}

/* ---- address spaces ----------------------------------------------------------- */

uint8_t prm_as_id(const struct pal_as *as)
{
	return (uint8_t)((const struct ras *)(const void *)as - R.as);
}

struct ras *prm_as(const struct pal_as *as)
{
	return &R.as[prm_as_id(as)];
}

enum as_mode prm_mode(const struct pal_as *pas)
{
	const struct ras *a = prm_as(pas);

	if (a->rec == REC_NONE)
		return AS_STAGED;
	if (R.recs[a->rec].forking)
		return AS_FORK;
	if (R.recs[a->rec].cur_as == prm_as_id(pas))
		return AS_LIVE;
	return AS_GONE;
}

unsigned prm_as_rec(uint8_t id)
{
	unsigned h = R.as[id].rec;

	if (R.cur_rec < R.e.nrecs && R.recs[R.cur_rec].cur_as == id && R.recs[R.cur_rec].taken)
		return R.cur_rec;
	if (h != REC_NONE && R.recs[h].taken)
		return h;
	for (unsigned k = 0; k < R.e.nrecs; k++)
		if (R.recs[k].cur_as == id && R.recs[k].taken && R.recs[k].use == REC_BUSY)
			return k;
	return h;
}

unsigned prm_as_others(uint8_t id, unsigned except)
{
	unsigned n = 0;

	for (unsigned k = 0; k < R.e.nrecs; k++)
		if (k != except && R.recs[k].cur_as == id && R.recs[k].use == REC_BUSY &&
		    !R.recs[k].forking)
			n++;
	return n;
}

/* ---- staged pages (address spaces no REC runs yet) ----------------------------- */

static int stg_find(uint64_t va, uint8_t id)
{
	for (size_t i = 0; i < R.nstg; i++)
		if (R.stg[i].used && R.stg[i].va == va && R.stg[i].as == id)
			return (int)i;
	return -1;
}

static uint8_t *stg_page(size_t i)
{
	return R.e.stage + i * PG;
}

/* Copy between staged pages of address space id and kernel memory. */
static int stg_copy(uint8_t id, uint64_t va, void *buf, size_t len, bool to_user)
{
	uint8_t *b = buf;

	while (len) {
		uint64_t pva = va & ~(PG - 1);
		size_t off = (size_t)(va - pva), n = PG - off;
		int i = stg_find(pva, id);

		if (n > len)
			n = len;
		if (i < 0)
			return -EFAULT;
		if (to_user)
			memcpy(stg_page((size_t)i) + off, b, n);
		else
			memcpy(b, stg_page((size_t)i) + off, n);
		b += n;
		va += n;
		len -= n;
	}
	return 0;
}

static int stg_map(uint8_t id, uint64_t va, uint64_t len, unsigned prot, const void *init,
		   size_t init_len)
{
	for (uint64_t off = 0; off < len; off += PG) {
		int i = stg_find(va + off, id);

		if (i < 0) {
			for (size_t k = 0; k < R.nstg; k++)
				if (!R.stg[k].used) {
					i = (int)k;
					break;
				}
			if (i < 0) {
				if (R.nstg >= R.e.stage_n || R.nstg >= STG_MAX)
					return -ENOMEM;
				i = (int)R.nstg++;
			}
		}
		R.stg[i].va = va + off;
		R.stg[i].prot = (uint8_t)prot;
		R.stg[i].as = id;
		R.stg[i].used = 1;
		memset(stg_page((size_t)i), 0, PG);
		if (init && off < init_len)
			memcpy(stg_page((size_t)i), (const uint8_t *)init + off,
			       init_len - off < PG ? init_len - off : PG);
	}
	return 0;
}

/* Change (prot != NULL) or drop the staged pages of id in [va, va+len). */
static void stg_range(uint8_t id, uint64_t va, uint64_t len, const unsigned *prot)
{
	for (size_t k = 0; k < R.nstg; k++) {
		if (!R.stg[k].used || R.stg[k].as != id || R.stg[k].va < va ||
		    R.stg[k].va >= va + len)
			continue;
		if (prot)
			R.stg[k].prot = (uint8_t)*prot;
		else
			R.stg[k].used = 0;
	}
}

/* ---- the container's mappings: slots by pool index, hashed by (address space, VA) ---- */

static uint32_t hash_va(unsigned id, uint64_t va)
{
	return (uint32_t)((((va >> 12) ^ ((uint64_t)id << 40)) * 0x9E3779B97F4A7C15ULL) >> 32) &
	       (R.nhead - 1);
}

uint32_t prm_slot_find(unsigned id, uint64_t va)
{
	for (uint32_t i = R.head[hash_va(id, va)]; i != NIL; i = R.slots[i].next) {
		if (R.slots[i].va == va && R.slots[i].as == id)
			return i;
	}
	return NIL;
}

uint32_t prm_slot_pool(uint32_t i)
{
	return i < R.e.pool_max ? i : R.apool[i - R.e.pool_max];
}

static void slot_unhash(uint32_t i)
{
	uint32_t *pp = &R.head[hash_va(R.slots[i].as, R.slots[i].va)];

	while (*pp != i)
		pp = &R.slots[*pp].next;
	*pp = R.slots[i].next;
	R.slots[i].used = 0;
}

/* Pool granule p is free again if nothing maps it any more. */
static void pool_maybe_free(uint32_t p)
{
	if (R.slots[p].used || R.pmaps[p])
		return;
	R.freestk[R.nfree++] = p;
	R.st.pool_used--;
}

/*
 * Forget slot i: the RMM dropped that mapping (released the granule if it
 * was its last: then it is fresh again and may be handed out).
 */
void prm_slot_release(uint32_t i)
{
	uint32_t p = prm_slot_pool(i);

	slot_unhash(i);
	if (i >= R.e.pool_max) {
		R.afree[R.nafree++] = i - (uint32_t)R.e.pool_max;
		R.pmaps[p]--;
	}
	pool_maybe_free(p);
}

/* Forget slot i, whose granule may still be mapped in the RMM: not handed out again. */
static void slot_leak(uint32_t i)
{
	slot_unhash(i);
	R.pmaps[prm_slot_pool(i)] |= ALIAS_LEAKED;
}

/* More granules from the host (it may refuse: then the container is out of memory). */
static void pool_grow(void)
{
	uint64_t want = R.e.pool_max - R.pool_have;
	uint64_t a[1] = {want < POOL_GROW ? want : POOL_GROW};

	if (!a[0])
		return;
	uint64_t have = pal_realm_host_call(PRH_GROW, a, 1, NULL);
	if (have > R.e.pool_max)
		have = R.e.pool_max;
	/* fresh IPAs only; MAP refuses any the host did not really back */
	for (uint64_t i = have; i-- > R.pool_have;) {
		memset(&R.slots[i], 0, sizeof(R.slots[i])); /* first use: see prm_mem_init */
		R.pmaps[i] = 0;
		R.freestk[R.nfree++] = (uint32_t)i;
	}
	if (have > R.pool_have)
		R.pool_have = have;
}

uint32_t prm_slot_alloc(void)
{
	if (R.nfree == 0)
		pool_grow();
	if (R.nfree == 0)
		return NIL;
	R.st.pool_used++;
	if (R.st.pool_used > R.st.pool_peak)
		R.st.pool_peak = R.st.pool_used;
	return R.freestk[--R.nfree];
}

/* Give back a slot that was allocated but never mapped. */
void prm_slot_unalloc(uint32_t i)
{
	R.freestk[R.nfree++] = i;
	R.st.pool_used--;
}

/*
 * Keep at least two heads per slot in use (pool and aliases) as the pool
 * grows: rebuild the chains with twice as many heads. Heads are cleared as
 * they come into use, like the slots (prm_mem_init).
 */
static void hash_fit(void)
{
	uint64_t want = 2 * ((uint64_t)R.pool_have + R.alias_hw);
	uint32_t n = R.nhead;

	while (n < want && n < R.nhead_max)
		n <<= 1;
	if (n == R.nhead)
		return;
	R.nhead = n;
	memset(R.head, 0xFF, (size_t)n * 4);
	for (uint64_t k = 0; k < R.pool_have + R.alias_hw; k++) {
		uint32_t i = (uint32_t)(k < R.pool_have ? k : R.e.pool_max + (k - R.pool_have));
		uint32_t h;

		if (!R.slots[i].used)
			continue;
		h = hash_va(R.slots[i].as, R.slots[i].va);
		R.slots[i].next = R.head[h];
		R.head[h] = i;
	}
}

void prm_slot_insert(uint32_t i, unsigned id, uint64_t va, unsigned prot)
{
	uint32_t h;

	hash_fit();
	h = hash_va(id, va);

	R.slots[i].as = (uint8_t)id;
	R.slots[i].va = va;
	R.slots[i].prot = (uint8_t)prot;
	R.slots[i].used = 1;
	R.slots[i].next = R.head[h];
	R.head[h] = i;
}

uint64_t prm_pool_ipa(uint32_t i)
{
	return R.e.pool_ipa + (uint64_t)i * PG;
}

/*
 * Call fn(slot) for every slot of REC rec in [va, va+len): by VA if the range
 * is small, else by scanning the pool. fn may release the slot.
 */
int prm_slots_in(unsigned id, uint64_t va, uint64_t len, int (*fn)(uint32_t i, void *arg),
		 void *arg)
{
	int r;

	if (len / PG <= R.pool_have) {
		for (uint64_t p = va; p < va + len; p += PG) {
			uint32_t i = prm_slot_find(id, p);

			if (i != NIL && (r = fn(i, arg)) != 0)
				return r;
		}
		return 0;
	}
	for (uint32_t i = 0; i < R.pool_have; i++) {
		if (R.slots[i].used && R.slots[i].as == id && R.slots[i].va >= va &&
		    R.slots[i].va < va + len && (r = fn(i, arg)) != 0)
			return r;
	}
	for (uint32_t a = 0; a < R.alias_hw; a++) {
		uint32_t i = (uint32_t)R.e.pool_max + a;

		if (R.slots[i].used && R.slots[i].as == id && R.slots[i].va >= va &&
		    R.slots[i].va < va + len && (r = fn(i, arg)) != 0)
			return r;
	}
	return 0;
}

size_t pal_realm_meta_size(size_t pool_max)
{
	size_t nhead = 1, alias = pool_max / ALIAS_DIV;

	while (nhead < 2 * pool_max)
		nhead <<= 1;
	/* the container's state, then its mapping tables */
	return ((sizeof(struct pal_realm_state) + 63) & ~(size_t)63) +
	       (pool_max + alias) * sizeof(struct slot) + nhead * 4 + pool_max * 4 + pool_max * 2 +
	       alias * 8 + 64;
}

unsigned prm_rb_prot(unsigned p)
{
	return (p & PAL_PROT_R ? RB_PROT_R : 0) | (p & PAL_PROT_W ? RB_PROT_W : 0) |
	       (p & PAL_PROT_X ? RB_PROT_X : 0);
}

/* ---- PAL: container memory --------------------------------------------------- */

static struct pal_as *r_as_create(void *c)
{
	for (unsigned i = 1; i < AS_MAX; i++) {
		if (!R.as[i].live) {
			R.as[i].live = 1;
			R.as[i].rec = REC_NONE;
			return (struct pal_as *)(void *)&R.as[i];
		}
	}
	return NULL;
}

static int release_cb(uint32_t i, void *arg)
{
	(void)arg;
	prm_slot_release(i);
	return 0;
}

/* UNMAP [va, va+len) of REC rec (the RMM takes at most 1 GiB per call). */
static int unmap_rmm(unsigned rec, uint64_t va, uint64_t len)
{
	for (uint64_t off = 0; off < len;) {
		uint64_t n = len - off > (1ULL << 30) ? (1ULL << 30) : len - off;

		R.st.unmaps++;
		if (prm_smc(SMC_RSI_RB_UNMAP, R.e.chan_ipa[rec], va + off, n, 0, 0, NULL) !=
		    RSI_SUCCESS)
			return -EINVAL;
		off += n;
	}
	return 0;
}

/* Unmap the pages of address space id in [va, va+len) and forget them. */
static int unmap_range(uint8_t id, uint64_t va, uint64_t len)
{
	int r = unmap_rmm(prm_as_rec(id), va, len);

	/*
	 * Refused (no REC of it has a request taken): the granules stay mapped
	 * and their slots stay used until the address space goes.
	 */
	if (r == 0)
		prm_slots_in(id, va, len, release_cb, NULL);
	return r;
}

static int unmap_one_cb(uint32_t i, void *arg)
{
	unsigned rec = *(unsigned *)arg;
	uint64_t va = R.slots[i].va;

	R.st.unmaps++;
	if (prm_smc(SMC_RSI_RB_UNMAP, R.e.chan_ipa[rec], va, PG, 0, 0, NULL) == RSI_SUCCESS)
		prm_slot_release(i);
	return 0;
}

void prm_unmap_as(uint8_t id, unsigned rec)
{
	if (id != 0)
		prm_slots_in(id, 0, 1ULL << 48, unmap_one_cb, &rec);
}

static int leak_cb(uint32_t i, void *arg)
{
	(*(unsigned *)arg)++;
	slot_leak(i);
	return 0;
}

void prm_forget_as(uint8_t id)
{
	unsigned n = 0;

	if (id == 0)
		return;
	prm_slots_in(id, 0, 1ULL << 48, leak_cb, &n);
	if (n)
		lib_log(LOG_WARN, "pal_realm", "address space %u: %u pages left mapped, not reused",
			id, n);
}

static void r_as_destroy(void *c, struct pal_as *pas)
{
	struct ras *a = prm_as(pas);
	uint8_t id = prm_as_id(pas);

	(void)c;
	stg_range(id, 0, 1ULL << 48, NULL);
	for (unsigned k = 0; k < R.npoke; k++)
		if (R.poke[k].as == id)
			R.poke[k--] = R.poke[--R.npoke];
	if (prm_mode(pas) == AS_FORK)
		prm_fork_abort(a->rec); /* the fork failed before its child ran */
	if (a->rec != REC_NONE && prm_mode(pas) == AS_LIVE) {
		/* what the library OS did not unmap yet (usually nothing) */
		unsigned k = prm_as_rec(id);

		if (R.recs[k].taken)
			prm_unmap_as(id, k);
		for (unsigned j = 0; j < R.e.nrecs; j++)
			if (R.recs[j].cur_as == id)
				R.recs[j].cur_as = 0;
	}
	prm_forget_as(id);
	a->live = 0;
	a->rec = REC_NONE;
}

static bool va_ok(uint64_t va, uint64_t len)
{
	return ((va | len) & (PG - 1)) == 0 && va + len >= va && va + len <= (1ULL << 48);
}

/* Map fresh pages on a live address space (through one of its RECs). */
static int map_live(uint8_t id, uint64_t va, uint64_t len, unsigned prot, const void *init,
		    size_t init_len)
{
	unsigned rec = prm_as_rec(id);

	if ((prot & (PAL_PROT_R | PAL_PROT_W | PAL_PROT_X)) == 0)
		return unmap_range(id, va, len); /* the RMM maps nothing without access */
	for (uint64_t off = 0; off < len; off += PG) {
		uint32_t old = prm_slot_find(id, va + off), i;
		uint64_t src = 0;

		i = prm_slot_alloc();
		if (i == NIL)
			return -ENOMEM;
		if (init && off < init_len) {
			size_t n = init_len - off < PG ? init_len - off : PG;

			memcpy(R.e.bounce, (const uint8_t *)init + off, n);
			if (n < PG)
				memset(R.e.bounce + n, 0, PG - n);
			src = R.e.bounce_ipa;
		}
		R.st.maps++;
		if (prm_smc(SMC_RSI_RB_MAP, R.e.chan_ipa[rec], va + off, prm_pool_ipa(i),
			    prm_rb_prot(prot), src, NULL) != RSI_SUCCESS) {
			prm_slot_unalloc(i);
			return -ENOMEM;
		}
		if (old != NIL)
			prm_slot_release(old); /* replaced: the RMM released it */
		prm_slot_insert(i, id, va + off, prot);
	}
	return 0;
}

static int r_mem_map(void *c, struct pal_as *as, uint64_t va, uint64_t len, unsigned prot,
		     const void *init, size_t init_len)
{
	(void)c;
	if (!va_ok(va, len) || len == 0)
		return -EINVAL;
	switch (prm_mode(as)) {
	case AS_STAGED:
	case AS_FORK: /* a fork child's own pages arrive after FORK_REGS */
		return stg_map(prm_as_id(as), va, len, prot, init, init_len);
	case AS_LIVE:
		return map_live(prm_as_id(as), va, len, prot, init, init_len);
	default:
		return -ENOMEM;
	}
}

static int r_mem_unmap(void *c, struct pal_as *as, uint64_t va, uint64_t len)
{
	(void)c;
	if (!va_ok(va, len))
		return -EINVAL;
	stg_range(prm_as_id(as), va, len, NULL);
	if (len && prm_mode(as) == AS_LIVE)
		return unmap_range(prm_as_id(as), va, len);
	return 0;
}

static int protect_cb(uint32_t i, void *arg)
{
	R.slots[i].prot = (uint8_t)*(unsigned *)arg;
	return 0;
}

static int r_mem_protect(void *c, struct pal_as *as, uint64_t va, uint64_t len, unsigned prot)
{
	(void)c;
	if (!va_ok(va, len))
		return -EINVAL;
	stg_range(prm_as_id(as), va, len, &prot);
	if (prm_mode(as) != AS_LIVE)
		return 0;
	uint8_t id = prm_as_id(as);
	unsigned rec = prm_as_rec(id);
	/*
	 * PROTECT runs of mapped pages (the RMM refuses holes). PROT_NONE keeps
	 * the pages mapped without access, so their content survives until
	 * access comes back, as on Linux.
	 */
	uint64_t run = 0, runlen = 0;
	for (uint64_t p = va; p <= va + len; p += PG) {
		uint32_t i = p < va + len ? prm_slot_find(id, p) : NIL;

		if (i != NIL) {
			if (!runlen)
				run = p;
			runlen += PG;
		} else if (runlen) {
			R.st.protects++;
			if (prm_smc(SMC_RSI_RB_PROTECT, R.e.chan_ipa[rec], run, runlen,
				    prm_rb_prot(prot), 0, NULL) != RSI_SUCCESS)
				return -EINVAL;
			prm_slots_in(id, run, runlen, protect_cb, &prot);
			runlen = 0;
		}
		if (p == va + len)
			break;
	}
	return 0;
}

static int r_mem_query(void *c, struct pal_as *as, uint64_t va, unsigned *prot)
{
	(void)c;
	int k = stg_find(va & ~(PG - 1), prm_as_id(as));

	if (k >= 0) {
		*prot = R.stg[k].prot;
		return 0;
	}
	if (prm_mode(as) != AS_LIVE && prm_mode(as) != AS_FORK)
		return -ENOENT;
	uint32_t i = prm_slot_find(prm_as_id(as), va & ~(PG - 1));
	if (i == NIL)
		return -ENOENT;
	*prot = R.slots[i].prot;
	return 0;
}

/* ---- fork: the child's copy of the parent's pages, made by the RMM ------------- */

struct fork_arg {
	unsigned parent, child; /* RECs */
	uint8_t child_as;
};

static int fork_page_cb(uint32_t s, void *arg)
{
	const struct fork_arg *fa = arg;
	uint32_t i = prm_slot_alloc();

	if (i == NIL)
		return -ENOMEM;
	R.st.fork_pages++;
	if (prm_smc(SMC_RSI_RB_FORK_PAGE, R.e.chan_ipa[fa->parent], R.e.chan_ipa[fa->child],
		    R.slots[s].va, prm_pool_ipa(i), 0, NULL) != RSI_SUCCESS) {
		prm_slot_unalloc(i);
		return -EAGAIN;
	}
	prm_slot_insert(i, fa->child_as, R.slots[s].va, R.slots[s].prot);
	return 0;
}

/*
 * The common checks of copying or sharing [va, va + len) from src, the
 * calling process's live space, into dst, a fork child that has not run
 * (bound to its REC first if still staged): 0 or -errno.
 */
static int fork_pair_ready(struct pal_as *dst, struct pal_as *src, uint64_t va, uint64_t len)
{
	if (!va_ok(va, len))
		return -EINVAL;
	if (prm_mode(src) != AS_LIVE || R.recs[R.cur_rec].cur_as != prm_as_id(src))
		return -EFAULT; /* only the calling process forks */
	if (prm_mode(dst) == AS_STAGED) {
		int r = prm_fork_bind(dst);
		if (r)
			return r;
	}
	/* the RMM copies and shares only into a child that has not run */
	return prm_mode(dst) == AS_FORK ? 0 : -EINVAL;
}

static int r_mem_copy_as(void *c, struct pal_as *dst, struct pal_as *src, uint64_t va,
			 uint64_t len)
{
	int r = fork_pair_ready(dst, src, va, len);

	(void)c;
	if (r)
		return r;
	struct fork_arg fa = {R.cur_rec, prm_as(dst)->rec, prm_as_id(dst)};
	return prm_slots_in(prm_as_id(src), va, len, fork_page_cb, &fa);
}

/* ---- MAP_SHARED across fork: the child maps the parent's granules (RSI_RB_SHARE) ---- */

static uint32_t alias_alloc(void)
{
	if (R.nafree)
		return (uint32_t)R.e.pool_max + R.afree[--R.nafree];
	if (R.alias_hw < R.alias_max) {
		uint32_t i = (uint32_t)R.e.pool_max + R.alias_hw++;

		memset(&R.slots[i], 0, sizeof(R.slots[i])); /* first use: see prm_mem_init */
		return i;
	}
	return NIL;
}

struct share_arg {
	uint8_t child_as;
	uint64_t pages; /* parent's mapped pages in the range */
	bool full;	/* a granule has ALIAS_MAPS_MAX aliases */
};

static int share_count_cb(uint32_t s, void *arg)
{
	struct share_arg *sa = arg;

	sa->pages++;
	if ((R.pmaps[prm_slot_pool(s)] & ALIAS_MAPS_MAX) == ALIAS_MAPS_MAX)
		sa->full = true;
	return 0;
}

static int share_record_cb(uint32_t s, void *arg)
{
	const struct share_arg *sa = arg;
	uint32_t old = prm_slot_find(sa->child_as, R.slots[s].va);
	uint32_t p = prm_slot_pool(s), i;

	if (old != NIL)
		prm_slot_release(old); /* replaced: the RMM dropped that mapping */
	i = alias_alloc();
	if (i == NIL)
		return -ENOMEM; /* counted before: cannot happen */
	R.apool[i - R.e.pool_max] = p;
	R.pmaps[p]++;
	prm_slot_insert(i, sa->child_as, R.slots[s].va, R.slots[s].prot);
	return 0;
}

/* SHARE failed half way: the RMM may map these granules in the child too: never reuse them. */
static int share_leak_cb(uint32_t s, void *arg)
{
	(void)arg;
	R.pmaps[prm_slot_pool(s)] |= ALIAS_LEAKED;
	return 0;
}

static int r_mem_share(void *c, struct pal_as *dst, struct pal_as *src, uint64_t va, uint64_t len)
{
	int r = fork_pair_ready(dst, src, va, len);

	(void)c;
	if (r)
		return r;
	struct share_arg sa = {prm_as_id(dst), 0, false};
	prm_slots_in(prm_as_id(src), va, len, share_count_cb, &sa);
	if (sa.full || sa.pages > R.nafree + (R.alias_max - R.alias_hw)) {
		lib_log(LOG_WARN, "pal_realm",
			"fork: no room to share %llu more pages (%u alias slots): ENOMEM",
			(unsigned long long)sa.pages, R.alias_max);
		return -ENOMEM;
	}
	stg_range(sa.child_as, va, len, NULL); /* staged child pages there are replaced */
	unsigned parent = R.cur_rec, child = prm_as(dst)->rec;
	uint64_t mapped = 0;
	for (uint64_t off = 0; off < len;) {
		uint64_t n = len - off > (1ULL << 30) ? (1ULL << 30) : len - off, got = 0;

		R.st.shares++;
		if (prm_smc(SMC_RSI_RB_SHARE, R.e.chan_ipa[parent], R.e.chan_ipa[child], va + off,
			    n, 0, &got) != RSI_SUCCESS) {
			lib_log(LOG_WARN, "pal_realm", "fork: RSI_RB_SHARE refused at 0x%llx",
				(unsigned long long)(va + off));
			prm_slots_in(prm_as_id(src), va, len, share_leak_cb, NULL);
			return -EAGAIN; /* the library OS destroys dst: prm_fork_abort */
		}
		mapped += got;
		off += n;
	}
	R.st.shared_pages += mapped;
	if (mapped != sa.pages) {
		/* the RMM and this table disagree: the fork fails */
		prm_slots_in(prm_as_id(src), va, len, share_leak_cb, NULL);
		return -EFAULT;
	}
	return prm_slots_in(prm_as_id(src), va, len, share_record_cb, &sa);
}

/* Map the staged pages of address space id on REC rec (its request taken). */
int prm_map_staged(uint8_t id, unsigned rec)
{
	for (size_t k = 0; k < R.nstg; k++) {
		if (!R.stg[k].used || R.stg[k].as != id)
			continue;
		R.stg[k].used = 0;
		uint32_t old = prm_slot_find(id, R.stg[k].va);
		uint32_t i = prm_slot_alloc();
		if (i == NIL)
			return -ENOMEM;
		R.st.maps++;
		if (prm_smc(SMC_RSI_RB_MAP, R.e.chan_ipa[rec], R.stg[k].va, prm_pool_ipa(i),
			    prm_rb_prot(R.stg[k].prot), R.e.stage_ipa + k * PG, NULL) !=
		    RSI_SUCCESS) {
			prm_slot_unalloc(i);
			return -ENOMEM;
		}
		if (old != NIL)
			prm_slot_release(old);
		prm_slot_insert(i, id, R.stg[k].va, R.stg[k].prot);
	}
	while (R.nstg && !R.stg[R.nstg - 1].used)
		R.nstg--;
	return 0;
}

/* ---- copies ---------------------------------------------------------------------- */

/* Every page of [va, va+len) mapped in address space id with `need`? */
static bool user_ok(uint8_t id, uint64_t va, size_t len, unsigned need)
{
	if (va + len < va)
		return false;
	for (uint64_t p = va & ~(PG - 1); p < va + len; p += PG) {
		uint32_t i = prm_slot_find(id, p);

		if (i == NIL || (R.slots[i].prot & need) != need)
			return false;
	}
	return true;
}

static void log_refusal(const char *what, unsigned rec, uint64_t va, size_t n)
{
	lib_log(LOG_INFO, "pal_realm", "%s refused: REC %u call %llu, 0x%llx+%zu", what, rec,
		(unsigned long long)R.e.chan[rec]->x[8], (unsigned long long)va, n);
}

static int r_copy_from_user(void *c, struct pal_as *as, void *dst, uint64_t src, size_t len)
{
	uint8_t *d = dst;

	(void)c;
	if (prm_mode(as) == AS_STAGED || prm_mode(as) == AS_FORK)
		return stg_copy(prm_as_id(as), src, dst, len, false);
	unsigned rec = prm_as_rec(prm_as_id(as));
	if (prm_mode(as) != AS_LIVE || !user_ok(prm_as_id(as), src, len, PAL_PROT_R))
		return -EFAULT;
	while (len) {
		size_t n = len < RB_COPY_MAX ? len : RB_COPY_MAX;
		uint64_t got;

		R.st.copies_in++;
		if (prm_smc(SMC_RSI_RB_COPY_IN, R.e.chan_ipa[rec], src, R.e.bounce_ipa, n, 0,
			    &got) != RSI_SUCCESS) {
			log_refusal("copy-in", rec, src, n);
			return -EFAULT;
		}
		memcpy(d, R.e.bounce, n);
		R.st.bytes_in += n;
		d += n;
		src += n;
		len -= n;
	}
	return 0;
}

static int copy_out_rmm(unsigned rec, uint64_t dst, const uint8_t *s, size_t len)
{
	while (len) {
		size_t n = len < RB_COPY_MAX ? len : RB_COPY_MAX;
		uint64_t got;

		memcpy(R.e.bounce, s, n);
		R.st.copies_out++;
		if (prm_smc(SMC_RSI_RB_COPY_OUT, R.e.chan_ipa[rec], dst, R.e.bounce_ipa, n, 0,
			    &got) != RSI_SUCCESS) {
			log_refusal("copy-out", rec, dst, n);
			return -EFAULT;
		}
		R.st.bytes_out += n;
		s += n;
		dst += n;
		len -= n;
	}
	return 0;
}

int prm_apply_pokes(uint8_t id, unsigned rec)
{
	int r = 0;

	for (unsigned k = 0; k < R.npoke; k++) {
		if (R.poke[k].as != id)
			continue;
		if (copy_out_rmm(rec, R.poke[k].va, R.poke[k].b, R.poke[k].len))
			r = -EFAULT;
		R.poke[k] = R.poke[--R.npoke];
		k--;
	}
	return r;
}

static int r_copy_to_user(void *c, struct pal_as *as, uint64_t dst, const void *src, size_t len)
{
	(void)c;
	if (prm_mode(as) == AS_STAGED)
		return stg_copy(prm_as_id(as), dst, (void *)src, len, true);
	if (prm_mode(as) == AS_FORK) {
		/*
		 * A fork child before FORK_REGS (CLONE_CHILD_SETTID): staged pages
		 * take it at once, pages FORK_PAGE copied take it after FORK_REGS.
		 */
		if (stg_copy(prm_as_id(as), dst, (void *)src, len, true) == 0)
			return 0;
		if (len > sizeof(R.poke[0].b) || R.npoke >= POKE_MAX ||
		    !user_ok(prm_as_id(as), dst, len, PAL_PROT_W))
			return -EFAULT;
		R.poke[R.npoke].as = prm_as_id(as);
		R.poke[R.npoke].va = dst;
		R.poke[R.npoke].len = (uint8_t)len;
		memcpy(R.poke[R.npoke].b, src, len);
		R.npoke++;
		return 0;
	}
	unsigned rec = prm_as_rec(prm_as_id(as));
	if (prm_mode(as) != AS_LIVE || !user_ok(prm_as_id(as), dst, len, PAL_PROT_W))
		return -EFAULT;
	return copy_out_rmm(rec, dst, src, len);
}

/*
 * The RMM allows a string argument only up to and including its NUL (it
 * measures the string itself), and the System Realm cannot see it before
 * copying: so a string comes in byte by byte.
 */
static long r_strncpy_from_user(void *c, struct pal_as *as, char *dst, uint64_t src, size_t max)
{
	(void)c;
	if (prm_mode(as) != AS_LIVE) {
		for (size_t n = 0; n < max; n++) {
			if (stg_copy(prm_as_id(as), src + n, dst + n, 1, false))
				return -EFAULT;
			if (!dst[n])
				return (long)n;
		}
		return -ENAMETOOLONG;
	}
	uint8_t id = prm_as_id(as);
	unsigned rec = prm_as_rec(id);
	for (size_t n = 0; n < max; n++) {
		uint64_t got;

		if (!user_ok(id, src + n, 1, PAL_PROT_R))
			return -EFAULT;
		R.st.str_bytes++;
		if (prm_smc(SMC_RSI_RB_COPY_IN, R.e.chan_ipa[rec], src + n, R.e.bounce_ipa, 1, 0,
			    &got) != RSI_SUCCESS) {
			log_refusal("string copy-in", rec, src + n, 1);
			return -EFAULT;
		}
		dst[n] = (char)R.e.bounce[0];
		if (dst[n] == 0)
			return (long)n;
	}
	return -ENAMETOOLONG;
}

/* The Container Realm's pool granules in use (mapped, or held by the RMM): the memory limit's count. */
static uint64_t r_mem_pages(void *c)
{
	(void)c;
	return R.st.pool_used;
}

void prm_mem_ops(struct pal_ops *ops)
{
	ops->mem_pages = r_mem_pages;
	ops->as_create = r_as_create;
	ops->as_destroy = r_as_destroy;
	ops->mem_map = r_mem_map;
	ops->mem_unmap = r_mem_unmap;
	ops->mem_protect = r_mem_protect;
	ops->mem_query = r_mem_query;
	ops->mem_copy_as = r_mem_copy_as;
	ops->mem_share = r_mem_share;
	ops->copy_from_user = r_copy_from_user;
	ops->copy_to_user = r_copy_to_user;
	ops->strncpy_from_user = r_strncpy_from_user;
}

int prm_mem_init(const struct pal_realm_env *env)
{
	uint8_t *m = env->meta;

	R.nhead_max = 1;
	while (R.nhead_max < 2 * env->pool_max)
		R.nhead_max <<= 1;
	R.alias_max = (uint32_t)(env->pool_max / ALIAS_DIV);
	R.slots = (struct slot *)(void *)m;
	m += (env->pool_max + R.alias_max) * sizeof(struct slot);
	R.head = (uint32_t *)(void *)m;
	m += (size_t)R.nhead_max * 4;
	R.freestk = (uint32_t *)(void *)m;
	m += env->pool_max * 4;
	R.apool = (uint32_t *)(void *)m;
	m += (size_t)R.alias_max * 4;
	R.afree = (uint32_t *)(void *)m;
	m += (size_t)R.alias_max * 4;
	R.pmaps = (uint16_t *)(void *)m;
	/*
	 * Slots and map counts are cleared as they come into use (here for
	 * the first pool, in pool_grow and alias_alloc for the rest): nothing
	 * reads a slot at or past pool_have, or an alias at or past alias_hw.
	 * Clearing all pool_max of them at once (2.3 MiB for the default
	 * 512 MiB pool) made that much of every System Realm resident. The
	 * hash starts with two heads per granule of the first pool and grows
	 * with the pool (hash_fit); sized for pool_max it was 1 MiB of heads.
	 */
	memset(R.slots, 0, env->pool_n * sizeof(struct slot));
	R.nhead = 64;
	while (R.nhead < 2 * env->pool_n && R.nhead < R.nhead_max)
		R.nhead <<= 1;
	if (R.nhead > R.nhead_max)
		R.nhead = R.nhead_max;
	memset(R.head, 0xFF, (size_t)R.nhead * 4);
	memset(R.pmaps, 0, env->pool_n * 2);
	R.nafree = 0;
	R.alias_hw = 0;
	for (size_t i = 0; i < env->pool_n; i++)
		R.freestk[i] = (uint32_t)(env->pool_n - 1 - i); /* low slots first */
	R.nfree = (uint32_t)env->pool_n;
	R.pool_have = env->pool_n;
	return 0;
}
