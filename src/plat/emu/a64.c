/*
 * EL0 address spaces (struct plat_as) and the A64 engine of the emulated
 * machine (plat.h, "EL0 address spaces and the A64 engine").
 *
 * A plat_as is a cpu_as of the CPU engine (plat/emu/cpu) whose pages are
 * physical granules: plat_as_map GPC-checks the granule for its PAS and
 * maps the granule's host memory into the cpu_as. Each mapped page is also
 * recorded here (PA, PAS, prot) in a flat table indexed by VA page, and in a
 * reverse map granule -> VAs, so that a TLBI RPALOS/PAALLOS (gpc.c calls
 * emu_as_tlbi after it has invalidated the GPC TLB) can find every mapping of
 * the granules it covers and remove those whose GPI no longer allows the
 * mapping's PAS: a granule that leaves a PAS is unreachable from EL0 code
 * from then on. Live address spaces are kept in a registry for that scan.
 *
 * An A64 PE (plat_pe_create_a64) is a vCPU from the engine's pool attached
 * to the plat_as; plat_pe_run loads struct plat_vcpu_state into it, runs it
 * and turns the engine's exit into the architectural exception (or
 * PLAT_PE_IRQ) that plat.h describes. Each entry is an exception return to
 * EL0, so it clears the PE's local exclusive monitor (an LDXR before an
 * exception never pairs with an STXR after it). TPIDRRO_EL0 and the FP/SIMD
 * registers live in the PE. cpu_get() takes a vCPU from the engine's pool:
 * whoever runs the machine should call cpu_pool_init() at start-up, or each
 * PE pays a JIT construction (tens to hundreds of ms).
 *
 * Locking: reg_lock (the registry) before plat_as.lock before the cpu_as's
 * own lock. emu_as_tlbi runs inside the monitor's GPT lock (a spinlock) and
 * takes only these; nothing here calls back into the monitor.
 *
 * Removal and a concurrently running vCPU: the page leaves the vCPU's table
 * at once and every later access faults, but an access that had already
 * translated its address when the TLBI came may still complete (the engine
 * has no broadcast TLBI to wait on). The GPT change itself is what keeps the
 * granule's new owner safe from every other path.
 */
#include "plat/emu/emu.h"

#include "arch/esr.h"
#include "plat/emu/cpu/cpu.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sched.h>
#include <time.h>

_Static_assert(PLAT_PROT_R == CPU_PROT_R && PLAT_PROT_W == CPU_PROT_W && PLAT_PROT_X == CPU_PROT_X,
	       "plat and cpu protections share one encoding");

/* ---- Address spaces ---------------------------------------------------- */

#define PAGE_SHIFT 12
#define PAGE_SIZE (1ULL << PAGE_SHIFT)
#define NPAGES (CPU_VA_LIMIT >> PAGE_SHIFT)
#define REC_TABLE_BYTES (NPAGES * sizeof(uint64_t))

/* Record of a mapped page: PA of the granule | prot << 4 | pas << 1 | valid. */
#define REC_VALID 1ULL
#define REC_PAS_SHIFT 1
#define REC_PAS(r) ((enum pas)(((r) >> REC_PAS_SHIFT) & 3))
#define REC_PROT_SHIFT 4
#define REC_PROT(r) ((unsigned)(((r) >> REC_PROT_SHIFT) & 7))
#define REC_PA(r) ((r) & ~(PAGE_SIZE - 1))
#define REC_MAKE(pa, pas, prot)                                                                    \
	((pa) | ((uint64_t)(prot) << REC_PROT_SHIFT) | ((uint64_t)(pas) << REC_PAS_SHIFT) |        \
	 REC_VALID)

/* Reverse map: one node per mapped page, hashed by granule number. */
struct rmap_node {
	uint64_t g;  /* pa >> 12 */
	uint64_t va; /* page */
	struct rmap_node *next;
};

struct plat_as {
	struct cpu_as *cas;
	uint64_t *rec; /* REC_* per VA page (NORESERVE: only touched parts cost memory) */
	pthread_mutex_t lock;
	struct rmap_node **buckets;
	unsigned bucket_bits;
	uint64_t nmapped;
	unsigned npes;		     /* A64 PEs attached */
	unsigned nrunning;	     /* of those, in a64_run right now */
	/*
	 * A whole-GPT invalidation (PAALLOS: a GPTBR switch) came while no PE
	 * ran here: every mapping is re-checked against the GPT current when a
	 * PE next enters (a64_run), and plat_as_query treats a mapping the
	 * current GPT does not allow as absent meanwhile.
	 */
	bool stale;
	size_t pop_at;		     /* plat_as_pop: buckets before it are empty */
	struct plat_as *prev, *next; /* registry */
};

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct plat_as *reg_head;

static size_t rmap_index(const struct plat_as *as, uint64_t g)
{
	return (size_t)((g * 0x9E3779B97F4A7C15ULL) >> (64 - as->bucket_bits));
}

/* Grow the reverse map when it holds two nodes per bucket; failure is harmless. */
static void rmap_grow(struct plat_as *as)
{
	unsigned bits = as->bucket_bits + 1;
	struct rmap_node **nb;

	if (as->nmapped < (2ULL << as->bucket_bits) || bits > 30)
		return;
	nb = calloc((size_t)1 << bits, sizeof(*nb));
	if (nb == NULL)
		return;
	for (size_t i = 0; i < ((size_t)1 << as->bucket_bits); i++) {
		struct rmap_node *n = as->buckets[i], *next;

		for (; n != NULL; n = next) {
			size_t j = (size_t)((n->g * 0x9E3779B97F4A7C15ULL) >> (64 - bits));

			next = n->next;
			n->next = nb[j];
			nb[j] = n;
		}
	}
	free(as->buckets);
	as->buckets = nb;
	as->bucket_bits = bits;
}

static void rmap_insert(struct plat_as *as, struct rmap_node *n)
{
	size_t i = rmap_index(as, n->g);

	n->next = as->buckets[i];
	as->buckets[i] = n;
	as->nmapped++;
	rmap_grow(as);
}

static void rmap_remove(struct plat_as *as, uint64_t g, uint64_t va)
{
	struct rmap_node **pp = &as->buckets[rmap_index(as, g)];

	for (; *pp != NULL; pp = &(*pp)->next) {
		if ((*pp)->g == g && (*pp)->va == va) {
			struct rmap_node *n = *pp;

			*pp = n->next;
			free(n);
			as->nmapped--;
			return;
		}
	}
}

static uint64_t rec_get(const struct plat_as *as, uint64_t va)
{
	return __atomic_load_n(&as->rec[va >> PAGE_SHIFT], __ATOMIC_ACQUIRE);
}

static void rec_set(struct plat_as *as, uint64_t va, uint64_t r)
{
	__atomic_store_n(&as->rec[va >> PAGE_SHIFT], r, __ATOMIC_RELEASE);
}

/* Remove the mapping of page va (recorded as r). Called with as->lock. */
static void page_remove(struct plat_as *as, uint64_t va, uint64_t r)
{
	cpu_as_unmap(as->cas, va, PAGE_SIZE);
	rec_set(as, va, 0);
	rmap_remove(as, REC_PA(r) >> PAGE_SHIFT, va);
}

struct plat_as *plat_as_create(int *err)
{
	struct plat_as *as = calloc(1, sizeof(*as));

	if (as == NULL)
		goto fail;
	as->bucket_bits = 6;
	as->buckets = calloc((size_t)1 << as->bucket_bits, sizeof(*as->buckets));
	if (as->buckets == NULL)
		goto fail;
	as->rec = mmap(NULL, REC_TABLE_BYTES, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (as->rec == MAP_FAILED) {
		as->rec = NULL;
		goto fail;
	}
	as->cas = cpu_as_create();
	if (as->cas == NULL)
		goto fail;
	pthread_mutex_init(&as->lock, NULL);
	pthread_mutex_lock(&reg_lock);
	as->next = reg_head;
	if (reg_head != NULL)
		reg_head->prev = as;
	reg_head = as;
	pthread_mutex_unlock(&reg_lock);
	return as;
fail:
	if (as != NULL) {
		if (as->rec != NULL)
			munmap(as->rec, REC_TABLE_BYTES);
		free(as->buckets);
		free(as);
	}
	if (err != NULL)
		*err = -ENOMEM;
	return NULL;
}

int plat_as_destroy(struct plat_as *as)
{
	if (as == NULL)
		return 0;
	pthread_mutex_lock(&reg_lock);
	pthread_mutex_lock(&as->lock);
	if (as->npes != 0) {
		pthread_mutex_unlock(&as->lock);
		pthread_mutex_unlock(&reg_lock);
		return -EBUSY;
	}
	if (as->prev != NULL)
		as->prev->next = as->next;
	else
		reg_head = as->next;
	if (as->next != NULL)
		as->next->prev = as->prev;
	pthread_mutex_unlock(&as->lock);
	pthread_mutex_unlock(&reg_lock);

	/* No PE is attached (npes == 0), so the cpu_as has no vCPU either. */
	cpu_as_destroy(as->cas);
	for (size_t i = 0; i < ((size_t)1 << as->bucket_bits); i++) {
		struct rmap_node *n = as->buckets[i], *next;

		for (; n != NULL; n = next) {
			next = n->next;
			free(n);
		}
	}
	free(as->buckets);
	munmap(as->rec, REC_TABLE_BYTES);
	pthread_mutex_destroy(&as->lock);
	free(as);
	return 0;
}

static bool page_range_ok(uint64_t va, uint64_t len)
{
	return len > 0 && (va & (PAGE_SIZE - 1)) == 0 && (len & (PAGE_SIZE - 1)) == 0 &&
	       va < CPU_VA_LIMIT && len <= CPU_VA_LIMIT - va;
}

int plat_as_map(struct plat_as *as, uint64_t va, uint64_t pa, enum pas pas, unsigned prot)
{
	struct rmap_node *n;
	uint64_t old;
	int ret;

	if (as == NULL || !page_range_ok(va, PAGE_SIZE) || (pa & (PAGE_SIZE - 1)) != 0 ||
	    (unsigned)pas > PAS_REALM || (prot & ~(PLAT_PROT_R | PLAT_PROT_W | PLAT_PROT_X)) != 0)
		return -EINVAL;
	n = malloc(sizeof(*n));
	if (n == NULL)
		return -ENOMEM;
	n->g = pa >> PAGE_SHIFT;
	n->va = va;
	/*
	 * Check and record under the lock: a TLBI that invalidated the GPC TLB
	 * before the check makes the check walk the new GPT; one after it
	 * finds the record when it scans this address space.
	 */
	pthread_mutex_lock(&as->lock);
	ret = plat_gpc_check(pas, pa, NULL);
	if (ret == 0)
		ret = cpu_as_map(as->cas, va, emu_pa_ptr(pa), PAGE_SIZE, prot);
	if (ret != 0) {
		pthread_mutex_unlock(&as->lock);
		free(n);
		return ret;
	}
	old = rec_get(as, va);
	if (old & REC_VALID)
		rmap_remove(as, REC_PA(old) >> PAGE_SHIFT, va);
	rec_set(as, va, REC_MAKE(pa, pas, prot));
	rmap_insert(as, n);
	pthread_mutex_unlock(&as->lock);
	return 0;
}

/*
 * Call fn on every mapped page of [va, va+len), by walking the range or,
 * when it is larger than what is mapped, the reverse map. With as->lock;
 * fn may remove the page it is given.
 */
static void for_each_mapped(struct plat_as *as, uint64_t va, uint64_t len,
			    void (*fn)(struct plat_as *as, uint64_t va, uint64_t r, void *arg),
			    void *arg)
{
	if ((len >> PAGE_SHIFT) <= as->nmapped) {
		for (uint64_t off = 0; off < len; off += PAGE_SIZE) {
			uint64_t r = rec_get(as, va + off);

			if (r & REC_VALID)
				fn(as, va + off, r, arg);
		}
		return;
	}
	for (size_t i = 0; i < ((size_t)1 << as->bucket_bits); i++) {
		struct rmap_node *n = as->buckets[i], *next;

		for (; n != NULL; n = next) {
			next = n->next;
			if (n->va >= va && n->va - va < len)
				fn(as, n->va, rec_get(as, n->va), arg);
		}
	}
}

static void unmap_one(struct plat_as *as, uint64_t va, uint64_t r, void *arg)
{
	page_remove(as, va, r);
}

int plat_as_unmap(struct plat_as *as, uint64_t va, uint64_t len)
{
	if (as == NULL || !page_range_ok(va, len))
		return -EINVAL;
	pthread_mutex_lock(&as->lock);
	for_each_mapped(as, va, len, unmap_one, NULL);
	pthread_mutex_unlock(&as->lock);
	return 0;
}

int plat_as_protect(struct plat_as *as, uint64_t va, uint64_t len, unsigned prot)
{
	int ret = 0;

	if (as == NULL || !page_range_ok(va, len) ||
	    (prot & ~(PLAT_PROT_R | PLAT_PROT_W | PLAT_PROT_X)) != 0)
		return -EINVAL;
	pthread_mutex_lock(&as->lock);
	/* Every page must be mapped: more pages than are mapped cannot be. */
	if ((len >> PAGE_SHIFT) > as->nmapped)
		ret = -ENOENT;
	for (uint64_t off = 0; ret == 0 && off < len; off += PAGE_SIZE)
		if (!(rec_get(as, va + off) & REC_VALID))
			ret = -ENOENT;
	if (ret == 0)
		ret = cpu_as_protect(as->cas, va, (size_t)len, prot);
	for (uint64_t off = 0; ret == 0 && off < len; off += PAGE_SIZE) {
		uint64_t r = rec_get(as, va + off);

		rec_set(as, va + off, REC_MAKE(REC_PA(r), REC_PAS(r), prot));
	}
	pthread_mutex_unlock(&as->lock);
	return ret;
}

int plat_as_query(const struct plat_as *as, uint64_t va, uint64_t *pa, unsigned *prot)
{
	uint64_t r;

	if (as == NULL || va >= CPU_VA_LIMIT)
		return -ENOENT;
	r = rec_get(as, va & ~(PAGE_SIZE - 1));
	if (!(r & REC_VALID))
		return -ENOENT;
	if (__atomic_load_n(&as->stale, __ATOMIC_ACQUIRE) && !emu_gpc_allows(REC_PAS(r), REC_PA(r)))
		return -ENOENT;
	if (pa != NULL)
		*pa = REC_PA(r) | (va & (PAGE_SIZE - 1));
	if (prot != NULL)
		*prot = REC_PROT(r);
	return 0;
}

int plat_as_pop(struct plat_as *as, uint64_t *va, uint64_t *pa, unsigned *prot)
{
	int ret = -ENOENT;

	if (as == NULL)
		return -ENOENT;
	pthread_mutex_lock(&as->lock);
	if (as->nmapped == 0)
		as->pop_at = 0;
	for (; as->nmapped != 0 && as->pop_at < ((size_t)1 << as->bucket_bits); as->pop_at++) {
		struct rmap_node *n = as->buckets[as->pop_at];
		uint64_t r;

		if (n == NULL)
			continue;
		r = rec_get(as, n->va);
		*va = n->va;
		*pa = REC_PA(r);
		*prot = REC_PROT(r);
		page_remove(as, n->va, r);
		ret = 0;
		break;
	}
	pthread_mutex_unlock(&as->lock);
	return ret;
}

void plat_as_walk(struct plat_as *as,
		  void (*fn)(uint64_t va, uint64_t pa, unsigned prot, void *arg), void *arg)
{
	if (as == NULL)
		return;
	pthread_mutex_lock(&as->lock);
	for (size_t i = 0; i < ((size_t)1 << as->bucket_bits); i++) {
		for (struct rmap_node *n = as->buckets[i]; n != NULL; n = n->next) {
			uint64_t r = rec_get(as, n->va);

			fn(n->va, REC_PA(r), REC_PROT(r), arg);
		}
	}
	pthread_mutex_unlock(&as->lock);
}

/* ---- GPC coherence ----------------------------------------------------- */

/* Remove the page if the GPC no longer allows its granule for its PAS. */
static void recheck_one(struct plat_as *as, uint64_t va, uint64_t r, void *arg)
{
	if (!emu_gpc_allows(REC_PAS(r), REC_PA(r)))
		page_remove(as, va, r);
}

/* Re-check the mappings of granules [g0, g1] of one address space. */
static void tlbi_as(struct plat_as *as, uint64_t g0, uint64_t g1)
{
	if (as->nmapped == 0)
		return;
	if (g1 - g0 < as->nmapped) {
		for (uint64_t g = g0;; g++) {
			struct rmap_node *n = as->buckets[rmap_index(as, g)], *next;

			for (; n != NULL; n = next) {
				next = n->next;
				if (n->g == g)
					recheck_one(as, n->va, rec_get(as, n->va), NULL);
			}
			if (g == g1)
				break;
		}
		return;
	}
	for (size_t i = 0; i < ((size_t)1 << as->bucket_bits); i++) {
		struct rmap_node *n = as->buckets[i], *next;

		for (; n != NULL; n = next) {
			next = n->next;
			if (n->g >= g0 && n->g <= g1)
				recheck_one(as, n->va, rec_get(as, n->va), NULL);
		}
	}
}

/*
 * A whole-GPT invalidation of an address space no PE runs in is deferred to
 * the next entry (struct plat_as.stale): RContainer switches GPTBR twice per
 * system call while the container's PE waits, and re-checking at entry,
 * under the GPT the PE will then run with, keeps every mapping the shim-GPT
 * still allows instead of dropping it and refilling it page by page. A
 * ranged invalidation of a stale space needs nothing more: the full check
 * at entry covers it.
 */
void emu_as_tlbi(uint64_t g0, uint64_t g1)
{
	bool whole = g0 == 0 && g1 == UINT64_MAX >> GRANULE_SHIFT;

	pthread_mutex_lock(&reg_lock);
	for (struct plat_as *as = reg_head; as != NULL; as = as->next) {
		pthread_mutex_lock(&as->lock);
		if (as->stale)
			; /* checked in full at the next entry */
		else if (whole && as->nrunning == 0)
			__atomic_store_n(&as->stale, true, __ATOMIC_RELEASE);
		else
			tlbi_as(as, g0, g1);
		pthread_mutex_unlock(&as->lock);
	}
	pthread_mutex_unlock(&reg_lock);
}

/* A PE enters `as`: settle a deferred invalidation, count it as running. */
static void as_enter(struct plat_as *as)
{
	pthread_mutex_lock(&as->lock);
	if (as->stale) {
		tlbi_as(as, 0, UINT64_MAX >> GRANULE_SHIFT);
		__atomic_store_n(&as->stale, false, __ATOMIC_RELEASE);
	}
	as->nrunning++;
	pthread_mutex_unlock(&as->lock);
}

static void as_leave(struct plat_as *as)
{
	pthread_mutex_lock(&as->lock);
	as->nrunning--;
	pthread_mutex_unlock(&as->lock);
}

void emu_as_machine_off(void)
{
	pthread_mutex_lock(&reg_lock);
	for (struct plat_as *as = reg_head; as != NULL; as = as->next) {
		pthread_mutex_lock(&as->lock);
		for_each_mapped(as, 0, CPU_VA_LIMIT, unmap_one, NULL);
		pthread_mutex_unlock(&as->lock);
	}
	pthread_mutex_unlock(&reg_lock);
}

/* ---- The A64 PE -------------------------------------------------------- */

struct a64_pe {
	struct plat_pe pe; /* first: the engine-independent header */
	struct cpu_vcpu *v;
	struct plat_as *as;
	uint64_t tpidrro; /* TPIDRRO_EL0: not in plat_vcpu_state, kept here */
	/* The last exception reported, for plat_pe_inject_sea. */
	uint64_t last_esr, last_far;
	bool sea_pending;
	struct plat_exception sea;
	bool chunked; /* its budget is TIMER_CHUNK_TICKS (the CPU's timer was armed) */
};

static const struct emu_pe_ops a64_ops;

static struct a64_pe *to_a64(struct plat_pe *pe)
{
	return pe != NULL && pe->ops == &a64_ops ? (struct a64_pe *)pe : NULL;
}

#define PSTATE_NZCV 0xF0000000ULL

/*
 * The EL1 physical timer of the CPU the calling host thread is
 * (CNTP_CVAL against CNTVCT: host monotonic ns, as the engine's counter).
 * 0: disarmed. plat_cpu_timer_set.
 */
static _Thread_local uint64_t timer_cval;
/*
 * The budget of each run while the timer is armed: a spinning loop whose
 * every iteration leaves its block (a load: check_halt_on_memory_access)
 * used ~15 ns per tick on the loaded test machine, so ~3 ms at most;
 * straight code ~1 ns per tick (a re-entry every ~0.2 ms, ~0.3 us each).
 */
#define TIMER_CHUNK_TICKS 200000ULL
static _Thread_local uint64_t timer_chunks;

uint64_t plat_read_cntpct(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void plat_cpu_relax(void)
{
	static _Thread_local unsigned n;

	/* a pause, and every so often the CPU to another thread of the host */
	if ((++n & 63) == 0)
		sched_yield();
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

static bool timer_expired(uint64_t cval)
{
	return plat_read_cntpct() >= cval;
}

void plat_cpu_timer_set(uint64_t cval_ns)
{
	timer_cval = cval_ns;
}

uint64_t plat_cpu_timer_chunks(void)
{
	return timer_chunks;
}

static int a64_run(struct plat_pe *pe, const struct plat_s2_config *s2,
		   struct plat_vcpu_state *state, struct plat_exception *exc)
{
	struct a64_pe *p = (struct a64_pe *)pe;
	struct cpu_regs r;
	struct cpu_exit e;
	int ret;

	memset(exc, 0, sizeof(*exc));
	if (p->sea_pending) {
		/* The injected external abort is the exception this entry takes. */
		p->sea_pending = false;
		*exc = p->sea;
		p->last_esr = exc->esr;
		p->last_far = exc->far;
		return 0;
	}
	memcpy(r.x, state->gprs, sizeof(r.x));
	r.sp = state->sp_el0;
	r.pc = state->pc;
	r.pstate = state->pstate & PSTATE_NZCV;
	r.tpidr_el0 = state->tpidr_el0;
	r.tpidrro_el0 = p->tpidrro;
	cpu_set_regs(p->v, &r);
	/* Entering EL0 is an exception return, which clears the local monitor. */
	cpu_clear_exclusive(p->v);
	if (timer_cval || p->chunked) {
		/* armed: budgets short enough that the timer is seen within ~1-3 ms */
		cpu_set_timeslice(p->v, timer_cval ? TIMER_CHUNK_TICKS : 0);
		p->chunked = timer_cval != 0;
	}
	for (;;) {
		as_enter(p->as);
		ret = cpu_run(p->v, &e);
		as_leave(p->as);
		/*
		 * The engine's tick budget ended: with this CPU's timer armed that
		 * is no interrupt until the timer's compare value is reached (no
		 * exception was taken, so the exclusive monitor stays as it is).
		 */
		if (ret != 0 || e.kind != CPU_EXIT_TIMESLICE || !timer_cval ||
		    timer_expired(timer_cval))
			break;
		timer_chunks++;
	}
	if (ret != 0)
		return -EINVAL;
	cpu_get_regs(p->v, &r);
	memcpy(state->gprs, r.x, sizeof(r.x));
	state->sp_el0 = r.sp;
	state->pc = r.pc;
	state->pstate = (state->pstate & ~PSTATE_NZCV) | (r.pstate & PSTATE_NZCV);
	state->tpidr_el0 = r.tpidr_el0;

	switch (e.kind) {
	case CPU_EXIT_SVC:
	case CPU_EXIT_DABT:
	case CPU_EXIT_IABT:
	case CPU_EXIT_UNDEF:
	case CPU_EXIT_BRK:
	case CPU_EXIT_PC_ALIGN:
	case CPU_EXIT_WFX:
		exc->esr = e.esr;
		exc->far = e.far;
		p->last_esr = e.esr;
		p->last_far = e.far;
		return 0;
	default: /* TIMESLICE, HALT: the timer or another thread interrupted it */
		return PLAT_PE_IRQ;
	}
}

/*
 * EL0 code cannot take an SEA "into" itself the way a realm's EL1 does: the
 * external abort becomes the exception that the next plat_pe_run reports,
 * without running any code, so that the trusted layer forwards it (SIGBUS).
 * It is EC_DABT_LOW (EC_IABT_LOW after an instruction abort) with
 * FSC_SYNC_EXTERNAL, FAR and WnR of the last exception; after an exception
 * that has no FAR (an SVC, say) FAR is 0 and ISS.FnV is set. pc and the
 * registers are whatever that plat_pe_run is given (after an abort: the
 * faulting instruction).
 */
static void a64_inject_sea(struct plat_pe *pe, struct plat_vcpu_state *state)
{
	struct a64_pe *p = (struct a64_pe *)pe;
	unsigned ec = ESR_EC(p->last_esr);
	uint64_t iss = FSC_SYNC_EXTERNAL;

	memset(&p->sea, 0, sizeof(p->sea));
	if (ec == EC_DABT_LOW || ec == EC_IABT_LOW) {
		iss |= ESR_ISS(p->last_esr) & ESR_ISS_WNR;
		p->sea.far = p->last_far;
	} else {
		iss |= ESR_ISS_FNV;
	}
	p->sea.esr = ESR_MAKE(ec == EC_IABT_LOW ? EC_IABT_LOW : EC_DABT_LOW, iss);
	p->sea_pending = true;
}

static void a64_halt(struct plat_pe *pe)
{
	cpu_halt(((struct a64_pe *)pe)->v);
}

static void a64_destroy(struct plat_pe *pe)
{
	struct a64_pe *p = (struct a64_pe *)pe;
	struct plat_as *as = p->as;

	cpu_put(p->v); /* resets, which detaches it from the cpu_as */
	pthread_mutex_lock(&as->lock);
	as->npes--;
	pthread_mutex_unlock(&as->lock);
	free(p);
}

static const struct emu_pe_ops a64_ops = {
	.run = a64_run,
	.inject_sea = a64_inject_sea,
	.halt = a64_halt,
	.destroy = a64_destroy,
};

struct plat_pe *plat_pe_create_a64(struct plat_as *as, int *err)
{
	struct a64_pe *p;
	int ret;

	if (as == NULL) {
		ret = -EINVAL;
		goto fail;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		ret = -ENOMEM;
		goto fail;
	}
	p->pe.ops = &a64_ops;
	p->as = as;
	p->v = cpu_get();
	if (p->v == NULL) {
		free(p);
		ret = -ENOMEM;
		goto fail;
	}
	pthread_mutex_lock(&as->lock);
	ret = cpu_attach(p->v, as->cas);
	if (ret == 0)
		as->npes++;
	pthread_mutex_unlock(&as->lock);
	if (ret != 0) {
		cpu_put(p->v);
		free(p);
		goto fail;
	}
	return &p->pe;
fail:
	if (err != NULL)
		*err = ret;
	return NULL;
}

int plat_pe_get_fp(struct plat_pe *pe, struct plat_fp_state *fp)
{
	struct a64_pe *p = to_a64(pe);
	struct cpu_fpsimd f;

	if (p == NULL || fp == NULL)
		return -EINVAL;
	cpu_get_fpsimd(p->v, &f);
	memcpy(fp->q, f.v, sizeof(fp->q));
	fp->fpcr = f.fpcr;
	fp->fpsr = f.fpsr;
	return 0;
}

int plat_pe_set_fp(struct plat_pe *pe, const struct plat_fp_state *fp)
{
	struct a64_pe *p = to_a64(pe);
	struct cpu_fpsimd f;

	if (p == NULL || fp == NULL)
		return -EINVAL;
	memcpy(f.v, fp->q, sizeof(f.v));
	f.fpcr = fp->fpcr;
	f.fpsr = fp->fpsr;
	cpu_set_fpsimd(p->v, &f);
	return 0;
}

uint64_t plat_a64_hwcap(void)
{
	return cpu_hwcap();
}

uint64_t plat_a64_hwcap2(void)
{
	return cpu_hwcap2();
}
