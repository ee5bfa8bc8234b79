/*
 * Native test guests: realm code written in C, run on an emulated PE with a
 * stack of its own and switched with ucontext. The guest reaches R-EL2 only
 * the way A64 realm code does: an SMC, or a load/store that the stage-2
 * walker refuses; either saves the syndrome and switches back to the caller
 * of plat_pe_run. The guest's pc is the address of its current "trapping
 * instruction": the RMM adding 4 completes it, leaving it retries it.
 */
#include "plat/emu/native_guest.h"

#include "arch/esr.h"
#include "plat/emu/emu.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#if defined(__SANITIZE_ADDRESS__)
#define NG_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NG_ASAN 1
#endif
#endif
#ifdef NG_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define NG_VALGRIND 1
#endif
#endif

#define NG_STACK_SIZE (256U << 10)
#define NG_GUARD_SIZE 4096U
#define NG_MAX_GUESTS 64

/* ---- Registry of guest functions by entry point ------------------------ */

static struct {
	uint64_t pc;
	native_guest_fn fn;
} registry[NG_MAX_GUESTS];
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;

int plat_native_guest_register(uint64_t entry_pc, native_guest_fn fn)
{
	int free_slot = -1, ret = 0;

	if (fn == NULL)
		return -EINVAL;
	pthread_mutex_lock(&registry_lock);
	for (int i = 0; i < NG_MAX_GUESTS; i++) {
		if (registry[i].fn == NULL) {
			if (free_slot < 0)
				free_slot = i;
		} else if (registry[i].pc == entry_pc) {
			ret = -EEXIST;
		}
	}
	if (ret == 0 && free_slot < 0)
		ret = -ENOMEM;
	if (ret == 0) {
		registry[free_slot].pc = entry_pc;
		registry[free_slot].fn = fn;
	}
	pthread_mutex_unlock(&registry_lock);
	return ret;
}

void plat_native_guest_unregister(uint64_t entry_pc)
{
	pthread_mutex_lock(&registry_lock);
	for (int i = 0; i < NG_MAX_GUESTS; i++) {
		if (registry[i].fn != NULL && registry[i].pc == entry_pc) {
			registry[i].fn = NULL;
			registry[i].pc = 0;
		}
	}
	pthread_mutex_unlock(&registry_lock);
}

static native_guest_fn registry_find(uint64_t entry_pc)
{
	native_guest_fn fn = NULL;

	pthread_mutex_lock(&registry_lock);
	for (int i = 0; i < NG_MAX_GUESTS && fn == NULL; i++) {
		if (registry[i].fn != NULL && registry[i].pc == entry_pc)
			fn = registry[i].fn;
	}
	pthread_mutex_unlock(&registry_lock);
	return fn;
}

/* ---- The PE of a native guest ----------------------------------------- */

struct native_guest {
	struct plat_pe pe; /* first: the engine-independent header */
	native_guest_fn fn;
	void *user;

	ucontext_t host_ctx, guest_ctx;
	void *map; /* guard page + stack */
	size_t map_size;
	void *cur_stack; /* the stack the guest runs on (fibers: not always its own) */
	size_t cur_stack_size;
	bool finished; /* fn returned: EC_UNKNOWN forever */
	bool halt_pending; /* atomic: plat_pe_halt; the next run returns PLAT_PE_IRQ */
	bool sea_pending;
	bool took_sea;

	/* Valid while inside plat_pe_run. */
	bool has_s2;
	struct plat_s2_config s2;
	struct plat_vcpu_state st;
	struct plat_exception exc;
	uint64_t trap_pc;

	/*
	 * Odd while a load/store that went through stage 2 is in flight
	 * (translated, not yet complete); plat_tlbi_s2 waits for it. Live
	 * guests are on the `live` list.
	 */
	uint64_t s2_seq;
	struct native_guest *live_next, *live_prev;

#ifdef NG_ASAN
	void *host_fake_stack, *guest_fake_stack;
	const void *host_stack_bottom;
	size_t host_stack_size;
#endif
#ifdef NG_VALGRIND
	unsigned vg_stack_id;
#endif
};

static struct native_guest *to_guest(struct plat_pe *pe)
{
	return (struct native_guest *)pe;
}

static void *stack_base(const struct native_guest *g)
{
	return (uint8_t *)g->map + NG_GUARD_SIZE;
}

/* Host side: run the guest until it traps. */
static void switch_to_guest(struct native_guest *g)
{
#ifdef NG_ASAN
	__sanitizer_start_switch_fiber(&g->host_fake_stack, g->cur_stack, g->cur_stack_size);
#endif
	swapcontext(&g->host_ctx, &g->guest_ctx);
#ifdef NG_ASAN
	__sanitizer_finish_switch_fiber(g->host_fake_stack, NULL, NULL);
#endif
}

/* Guest side: back to the host after an exception is recorded. */
static void switch_to_host(struct native_guest *g)
{
#ifdef NG_ASAN
	__sanitizer_start_switch_fiber(&g->guest_fake_stack, g->host_stack_bottom,
				       g->host_stack_size);
#endif
	swapcontext(&g->guest_ctx, &g->host_ctx);
#ifdef NG_ASAN
	__sanitizer_finish_switch_fiber(g->guest_fake_stack, &g->host_stack_bottom,
					&g->host_stack_size);
#endif
}

void native_guest_fiber_switch(struct native_guest *g, ucontext_t *from, ucontext_t *to,
			       void *to_stack, size_t to_size)
{
	void *my_stack = g->cur_stack;
	size_t my_size = g->cur_stack_size;
#ifdef NG_ASAN
	void *fake = NULL;

	__sanitizer_start_switch_fiber(&fake, to_stack, to_size);
#endif
	g->cur_stack = to_stack;
	g->cur_stack_size = to_size;
	swapcontext(from, to);
	/* back on this context: whoever switched here set cur_stack to ours */
	g->cur_stack = my_stack;
	g->cur_stack_size = my_size;
#ifdef NG_ASAN
	__sanitizer_finish_switch_fiber(fake, NULL, NULL);
#endif
}

void native_guest_fiber_entered(void)
{
#ifdef NG_ASAN
	__sanitizer_finish_switch_fiber(NULL, NULL, NULL);
#endif
}

void native_guest_stack(struct native_guest *g, void **base, size_t *size)
{
	*base = stack_base(g);
	*size = NG_STACK_SIZE;
}

/* How the RMM answered the exception the guest took. */
enum resume {
	RESUME_COMPLETED, /* pc moved on: the RMM completed (emulated) the instruction */
	RESUME_RETRY,	  /* pc unchanged: execute the instruction again */
	RESUME_SEA,	  /* a synchronous external abort was injected */
};

/* Take an exception to R-EL2 at the current pc; returns when run again. */
static enum resume take_exception(struct native_guest *g, uint64_t esr, uint64_t far,
				  uint64_t hpfar)
{
	g->exc.esr = esr;
	g->exc.far = far;
	g->exc.hpfar = hpfar;
	g->trap_pc = g->st.pc;
	g->sea_pending = false;
	switch_to_host(g);
	if (g->sea_pending) {
		g->sea_pending = false;
		return RESUME_SEA;
	}
	return g->st.pc == g->trap_pc ? RESUME_RETRY : RESUME_COMPLETED;
}

static void guest_entry(unsigned hi, unsigned lo)
{
	struct native_guest *g = (struct native_guest *)(((uintptr_t)hi << 32) | (uintptr_t)lo);
	uint64_t gprs[8];

#ifdef NG_ASAN
	__sanitizer_finish_switch_fiber(NULL, &g->host_stack_bottom, &g->host_stack_size);
#endif
	memcpy(gprs, g->st.gprs, sizeof(gprs));
	g->fn(g, gprs);
	g->finished = true;
	for (;;)
		take_exception(g, ESR_MAKE(EC_UNKNOWN, 0), 0, 0);
}

static int ng_run(struct plat_pe *pe, const struct plat_s2_config *s2,
		  struct plat_vcpu_state *state, struct plat_exception *exc)
{
	struct native_guest *g = to_guest(pe);

	/* A native guest runs until it traps; a halt interrupts its next run. */
	if (__atomic_exchange_n(&g->halt_pending, false, __ATOMIC_ACQ_REL)) {
		memset(exc, 0, sizeof(*exc));
		return PLAT_PE_IRQ;
	}
	g->has_s2 = s2 != NULL;
	if (s2 != NULL)
		g->s2 = *s2;
	g->st = *state;
	switch_to_guest(g);
	*state = g->st;
	*exc = g->exc;
	return 0;
}

static void ng_inject_sea(struct plat_pe *pe, struct plat_vcpu_state *state)
{
	to_guest(pe)->sea_pending = true;
}

static void ng_halt(struct plat_pe *pe)
{
	__atomic_store_n(&to_guest(pe)->halt_pending, true, __ATOMIC_RELEASE);
}

/* ---- Stage-2 TLB maintenance: completion of in-flight accesses ---------- */

static pthread_mutex_t live_lock = PTHREAD_MUTEX_INITIALIZER;
static struct native_guest *live_head;

static void live_add(struct native_guest *g)
{
	pthread_mutex_lock(&live_lock);
	g->live_prev = NULL;
	g->live_next = live_head;
	if (live_head)
		live_head->live_prev = g;
	live_head = g;
	pthread_mutex_unlock(&live_lock);
}

static void live_remove(struct native_guest *g)
{
	pthread_mutex_lock(&live_lock);
	if (g->live_prev)
		g->live_prev->live_next = g->live_next;
	else
		live_head = g->live_next;
	if (g->live_next)
		g->live_next->live_prev = g->live_prev;
	pthread_mutex_unlock(&live_lock);
}

void plat_tlbi_s2(uint16_t vmid)
{
	/*
	 * The tables were changed before this call; an access that starts
	 * from now on walks the new tables. Wait for every access that
	 * translated with the old ones (its sequence count is odd) to finish,
	 * as DSB after TLBI waits for the invalidation's completion.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	pthread_mutex_lock(&live_lock);
	for (struct native_guest *g = live_head; g; g = g->live_next) {
		uint64_t seq = __atomic_load_n(&g->s2_seq, __ATOMIC_SEQ_CST);

		if (!(seq & 1) || !g->has_s2 || g->s2.vmid != vmid)
			continue;
		while (__atomic_load_n(&g->s2_seq, __ATOMIC_SEQ_CST) == seq)
			sched_yield();
	}
	pthread_mutex_unlock(&live_lock);
	plat_count(PLAT_CNT_TLBI_S2);
}

static void ng_destroy(struct plat_pe *pe)
{
	struct native_guest *g = to_guest(pe);

	live_remove(g);
#ifdef NG_VALGRIND
	VALGRIND_STACK_DEREGISTER(g->vg_stack_id);
#endif
#ifdef NG_ASAN
	ASAN_UNPOISON_MEMORY_REGION(g->map, g->map_size);
#endif
	munmap(g->map, g->map_size);
	free(g);
}

static const struct emu_pe_ops native_ops = {
	.run = ng_run,
	.inject_sea = ng_inject_sea,
	.halt = ng_halt,
	.destroy = ng_destroy,
};

struct plat_pe *emu_native_pe_create(uint64_t entry_pc, int *err)
{
	native_guest_fn fn = registry_find(entry_pc);
	struct native_guest *g;
	uintptr_t p;

	if (fn == NULL) {
		*err = -ENOENT;
		return NULL;
	}
	g = calloc(1, sizeof(*g));
	if (g == NULL) {
		*err = -ENOMEM;
		return NULL;
	}
	g->map_size = NG_GUARD_SIZE + NG_STACK_SIZE;
	g->map =
		mmap(NULL, g->map_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->map == MAP_FAILED) {
		free(g);
		*err = -ENOMEM;
		return NULL;
	}
	mprotect(g->map, NG_GUARD_SIZE, PROT_NONE);
	g->pe.ops = &native_ops;
	g->fn = fn;
	live_add(g);
	if (getcontext(&g->guest_ctx) != 0) {
		munmap(g->map, g->map_size);
		free(g);
		*err = -ENOMEM;
		return NULL;
	}
	g->guest_ctx.uc_stack.ss_sp = stack_base(g);
	g->guest_ctx.uc_stack.ss_size = NG_STACK_SIZE;
	g->guest_ctx.uc_link = NULL;
	g->cur_stack = stack_base(g);
	g->cur_stack_size = NG_STACK_SIZE;
	p = (uintptr_t)g;
	makecontext(&g->guest_ctx, (void (*)(void))guest_entry, 2, (unsigned)(p >> 32),
		    (unsigned)(p & 0xFFFFFFFFU));
#ifdef NG_VALGRIND
	g->vg_stack_id =
		VALGRIND_STACK_REGISTER(stack_base(g), (uint8_t *)stack_base(g) + NG_STACK_SIZE);
#endif
	return &g->pe;
}

/* ---- What the guest can do --------------------------------------------- */

void native_guest_smc(struct native_guest *g, struct smc_regs *regs)
{
	memcpy(g->st.gprs, regs->x, sizeof(regs->x));
	/* The SMC always completes on resume, whatever the RMM did to pc. */
	g->took_sea = take_exception(g, ESR_MAKE(EC_SMC64, 0), 0, 0) == RESUME_SEA;
	memcpy(regs->x, g->st.gprs, sizeof(regs->x));
}

/* x0..x8: the arguments and number of a Linux system call. */
#define NG_SVC_ARGS 9

void native_guest_svc(struct native_guest *g, struct smc_regs *regs)
{
	memcpy(g->st.gprs, regs->x, NG_SVC_ARGS * sizeof(regs->x[0]));
	/*
	 * As on an A64 PE, the exception is taken with pc past the SVC (the
	 * preferred return address); the call completes on resume.
	 */
	g->st.pc += 4;
	g->took_sea = take_exception(g, ESR_MAKE(EC_SVC64, 0), 0, 0) == RESUME_SEA;
	regs->x[0] = g->st.gprs[0];
}

static const struct plat_s2_config *guest_s2(const struct native_guest *g)
{
	return g->has_s2 ? &g->s2 : NULL;
}

/*
 * Translate ipa and transfer len bytes (within one granule). Returns 0, or
 * -EFAULT with the stage-2 data abort in *exc (no ISV yet).
 */
static int try_access(struct native_guest *g, uint64_t ipa, void *buf, size_t len, bool write,
		      struct plat_exception *exc)
{
	struct plat_fault f;
	enum pas pas;
	uint64_t pa;
	bool walked;
	int ret;

	/* In flight from the walk to the end of the transfer (plat_tlbi_s2). */
	__atomic_fetch_add(&g->s2_seq, 1, __ATOMIC_SEQ_CST);
	ret = plat_s2_translate(guest_s2(g), ipa, write, &pa, &pas, exc);
	walked = ret == 0;
	if (walked)
		ret = write ? plat_write(pas, pa, buf, len, &f) : plat_read(pas, pa, buf, len, &f);
	__atomic_fetch_add(&g->s2_seq, 1, __ATOMIC_SEQ_CST);
	if (ret != 0 && walked) {
		/* The PAS changed under the walk: the access itself is refused. */
		unsigned fsc = f.kind == PLAT_FAULT_EXTERNAL ? FSC_SYNC_EXTERNAL : FSC_GPF;

		exc->esr = ESR_MAKE(EC_DABT_LOW, fsc | (write ? ESR_ISS_WNR : 0));
		exc->far = ipa;
		exc->hpfar = HPFAR_FROM_IPA(ipa);
	}
	return ret;
}

static unsigned log2_size(unsigned size)
{
	return size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3;
}

static uint64_t size_mask(unsigned size)
{
	return size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
}

/* Granule by granule, without ISV: what an LDP/LDM-like access reports. */
static void chunked_access(struct native_guest *g, uint64_t ipa, void *buf, size_t len, bool write)
{
	uint8_t *p = buf;

	g->took_sea = false;
	while (len > 0) {
		size_t n = GRANULE_SIZE - (ipa & GRANULE_MASK);
		struct plat_exception exc;
		enum resume r;

		if (n > len)
			n = len;
		while (try_access(g, ipa, p, n, write, &exc) != 0) {
			r = take_exception(g, exc.esr, exc.far, exc.hpfar);
			if (r == RESUME_RETRY)
				continue;
			/* SEA, or "emulated" without a syndrome to carry data: reads give 0. */
			if (r == RESUME_SEA)
				g->took_sea = true;
			if (!write)
				memset(p, 0, n);
			break;
		}
		ipa += n;
		p += n;
		len -= n;
	}
}

/* One 1/2/4/8-byte access with an ISV syndrome (SRT = x0). */
static uint64_t single_access(struct native_guest *g, uint64_t ipa, uint64_t val, unsigned size,
			      bool write)
{
	uint64_t mask = size_mask(size);
	uint64_t data = write ? val & mask : 0;

	g->took_sea = false;
	for (;;) {
		struct plat_exception exc;
		uint64_t iss;
		enum resume r;

		if (try_access(g, ipa, &data, size, write, &exc) == 0)
			return write ? 0 : data & mask;
		iss = ESR_ISS_ISV | ((uint64_t)log2_size(size) << ESR_ISS_SAS_SHIFT) |
		      (0ULL << ESR_ISS_SRT_SHIFT) | (size == 8 ? ESR_ISS_SF : 0);
		if (write)
			g->st.gprs[0] = val & mask;
		r = take_exception(g, exc.esr | iss, exc.far, exc.hpfar);
		if (r == RESUME_SEA) {
			g->took_sea = true;
			return 0;
		}
		if (r == RESUME_COMPLETED)
			return write ? 0 : g->st.gprs[0] & mask;
		data = write ? val & mask : 0;
	}
}

/*
 * 1, 2, 4 or 8 bytes within one granule: one access with a syndrome. Anything
 * else (odd sizes, an access crossing a granule) goes granule by granule.
 */
static bool single_access_ok(uint64_t ipa, unsigned size)
{
	return (size == 1 || size == 2 || size == 4 || size == 8) &&
	       (ipa & GRANULE_MASK) + size <= GRANULE_SIZE;
}

uint64_t native_guest_load(struct native_guest *g, uint64_t ipa, unsigned size)
{
	uint64_t v = 0;

	if (size > 8)
		size = 8;
	if (single_access_ok(ipa, size))
		return single_access(g, ipa, 0, size, false);
	chunked_access(g, ipa, &v, size, false);
	return v;
}

void native_guest_store(struct native_guest *g, uint64_t ipa, uint64_t val, unsigned size)
{
	if (size > 8)
		size = 8;
	if (single_access_ok(ipa, size))
		single_access(g, ipa, val, size, true);
	else
		chunked_access(g, ipa, &val, size, true);
}

void native_guest_read(struct native_guest *g, uint64_t ipa, void *buf, size_t len)
{
	chunked_access(g, ipa, buf, len, false);
}

void native_guest_write(struct native_guest *g, uint64_t ipa, const void *buf, size_t len)
{
	chunked_access(g, ipa, (void *)buf, len, true);
}

void *native_guest_map(struct native_guest *g, uint64_t ipa, size_t len, bool write)
{
	uint64_t base = ipa & ~(uint64_t)GRANULE_MASK, pa0 = 0;
	enum pas pas0 = PAS_NS;
	struct plat_fault f;

	if (len == 0 || ipa + len < ipa)
		return NULL;
	for (uint64_t a = base; a < ipa + len; a += GRANULE_SIZE) {
		struct plat_exception exc;
		enum pas pas;
		uint64_t pa;

		if (plat_s2_translate(guest_s2(g), a, write, &pa, &pas, &exc) != 0)
			return NULL;
		if (a == base) {
			pa0 = pa;
			pas0 = pas;
		} else if (pas != pas0 || pa != pa0 + (a - base)) {
			return NULL;
		}
	}
	uint8_t *p = plat_map(pas0, pa0, (size_t)(ipa + len - base), &f);
	return p ? p + (ipa - base) : NULL;
}

bool native_guest_took_sea(struct native_guest *g)
{
	return g->took_sea;
}

void native_guest_set_user(struct native_guest *g, void *p)
{
	g->user = p;
}

void *native_guest_user(struct native_guest *g)
{
	return g->user;
}
