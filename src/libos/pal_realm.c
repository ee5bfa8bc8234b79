/*
 * The PAL of the library OS inside a System Realm (pal_realm.h): PAL calls
 * as RSI calls on the container's forwarding channel and host calls through
 * an NS buffer. Runs on the System Realm's REC, one request at a time, so
 * the library OS lock is a no-op here.
 */
#include "libos/pal_realm.h"

#include "arch/esr.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/string.h"
#include "libos/libos.h"

#ifndef ETIMEDOUT
#define ETIMEDOUT 110
#endif

#define PG 4096ULL
#define NIL 0xFFFFFFFFu

/* One granule of the container's pool: where it is mapped (if it is). */
struct slot {
	uint64_t va;   /* page VA, valid if used */
	uint32_t next; /* hash chain */
	uint8_t prot;  /* PAL_PROT_* */
	uint8_t used;
	uint8_t as;    /* which pal_as (index into R.as_live) */
};

static struct {
	struct pal_realm_env e;
	bool ready;
	/*
	 * Address spaces: the RMM keeps one per Container Realm REC, so every
	 * pal_as shares it and owns the pages it mapped (execve maps the new
	 * image before it drops the old one; a VA can belong to one of them).
	 */
	uint8_t as_live[8];
	/* the container's mappings: slots by pool index, hashed by VA */
	struct slot *slots;
	uint32_t *head, nhead;
	uint32_t *freestk, nfree;
	/* the task of the current request */
	void *task;        /* the library OS task (one) */
	bool have_task;
	struct pal_regs cur, orig; /* registers as get_regs returned them / as set_regs left them */
	uint64_t kind;     /* RB_REQ_* being served */
	bool exited;
	int exit_status;
	struct pal_realm_stats st;
	/*
	 * START allows no copies into the container (only READ_CONFIG), so the
	 * init process's first pages are built here and mapped with their
	 * content (MAP's src_sys_ipa) when START completes.
	 */
	int staged_err;    /* mapping the staged pages failed */
	uint8_t cur_as;    /* the address space the container REC runs in (0: none yet) */
	struct {
		uint64_t va;
		uint8_t prot, as, used;
	} stg[512];
	size_t nstg;
} R;

/* ---- RSI ------------------------------------------------------------------ */

static uint64_t smc(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
		    uint64_t a5, uint64_t *x1)
{
	uint64_t x[11] = {fid, a1, a2, a3, a4, a5};

	R.st.rsi_calls++;
	R.e.smc(R.e.guest, x);
	if (x1)
		*x1 = x[1];
	return x[0];
}

uint64_t pal_realm_host_call(unsigned imm, const uint64_t *args, unsigned n, uint64_t *out)
{
	struct rsi_host_call *hc = R.e.hc;

	memset(hc, 0, sizeof(*hc));
	hc->imm = (uint16_t)imm;
	for (unsigned i = 0; i < n && i < RSI_HOST_CALL_NR_GPRS; i++)
		hc->gprs[i] = args[i];
	R.st.host_calls++;
	smc(SMC_RSI_HOST_CALL, R.e.hc_ipa, 0, 0, 0, 0, NULL);
	if (out)
		memcpy(out, (const void *)hc->gprs, sizeof(hc->gprs));
	return hc->gprs[0];
}

uint64_t pal_realm_take(void)
{
	uint64_t x[11] = {SMC_RSI_RB_TAKE, R.e.chan_ipa};

	R.st.rsi_calls++;
	R.e.smc(R.e.guest, x);
	if (x[0] != RSI_SUCCESS)
		return 0;
	return x[1];
}

int pal_realm_read_config(uint64_t off, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		size_t n = len < RB_COPY_MAX ? len : RB_COPY_MAX;
		uint64_t got;

		if (smc(SMC_RSI_RB_READ_CONFIG, R.e.chan_ipa, off, R.e.bounce_ipa, n, 0, &got) !=
			    RSI_SUCCESS ||
		    got != n)
			return -EFAULT;
		memcpy(p, R.e.bounce, n);
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

/* ---- the container's mappings (shadow of what the RMM mapped for us) ------- */

static uint8_t as_id(const struct pal_as *as)
{
	return (uint8_t)((const uint8_t *)as - R.as_live);
}

/*
 * Pages of an address space the container does not run in yet (the init
 * process before START completes, execve's new image) are staged here: the
 * RMM allows no copies into them (START allows none, execve's arguments do
 * not name the new stack), so they are built in System Realm memory and
 * mapped with their content (MAP's src_sys_ipa) when the task moves in.
 */
static bool staged(const struct pal_as *as)
{
	return as_id(as) != R.cur_as;
}

static int stg_find_as(uint64_t va, uint8_t id)
{
	for (size_t i = 0; i < R.nstg; i++)
		if (R.stg[i].used && R.stg[i].va == va && R.stg[i].as == id)
			return (int)i;
	return -1;
}

static uint8_t *stg_page(int i)
{
	return R.e.stage + (size_t)i * PG;
}

/* Copy between staged pages of address space id and kernel memory. */
static int stg_copy(uint8_t id, uint64_t va, void *buf, size_t len, bool to_user)
{
	uint8_t *b = buf;

	while (len) {
		uint64_t pva = va & ~(PG - 1);
		size_t off = (size_t)(va - pva), n = PG - off;
		int i = stg_find_as(pva, id);

		if (n > len)
			n = len;
		if (i < 0)
			return -EFAULT;
		if (to_user)
			memcpy(stg_page(i) + off, b, n);
		else
			memcpy(b, stg_page(i) + off, n);
		b += n;
		va += n;
		len -= n;
	}
	return 0;
}

static uint32_t hash_va(uint64_t va)
{
	return (uint32_t)(((va >> 12) * 0x9E3779B97F4A7C15ULL) >> 32) & (R.nhead - 1);
}

static uint32_t slot_find(uint64_t va)
{
	for (uint32_t i = R.head[hash_va(va)]; i != NIL; i = R.slots[i].next) {
		if (R.slots[i].va == va)
			return i;
	}
	return NIL;
}

/* Forget slot i (the RMM released its granule: it is fresh again). */
static void slot_release(uint32_t i)
{
	uint32_t *pp = &R.head[hash_va(R.slots[i].va)];

	while (*pp != i)
		pp = &R.slots[*pp].next;
	*pp = R.slots[i].next;
	R.slots[i].used = 0;
	R.freestk[R.nfree++] = i;
	R.st.pool_used--;
}

static uint32_t slot_alloc(void)
{
	if (R.nfree == 0)
		return NIL;
	R.st.pool_used++;
	if (R.st.pool_used > R.st.pool_peak)
		R.st.pool_peak = R.st.pool_used;
	return R.freestk[--R.nfree];
}

static void slot_insert(uint32_t i, uint64_t va, unsigned prot, uint8_t as)
{
	uint32_t h = hash_va(va);

	R.slots[i].as = as;
	R.slots[i].va = va;
	R.slots[i].prot = (uint8_t)prot;
	R.slots[i].used = 1;
	R.slots[i].next = R.head[h];
	R.head[h] = i;
}

size_t pal_realm_meta_size(size_t pool_n)
{
	size_t nhead = 1;

	while (nhead < 2 * pool_n)
		nhead <<= 1;
	return pool_n * sizeof(struct slot) + nhead * 4 + pool_n * 4 + 64;
}

static unsigned rb_prot(unsigned p)
{
	return (p & PAL_PROT_R ? RB_PROT_R : 0) | (p & PAL_PROT_W ? RB_PROT_W : 0) |
	       (p & PAL_PROT_X ? RB_PROT_X : 0);
}

/* ---- PAL: container memory --------------------------------------------------- */

static struct pal_as *r_as_create(void *c)
{
	for (unsigned i = 1; i < sizeof(R.as_live); i++) {
		if (!R.as_live[i]) {
			R.as_live[i] = 1;
			return (struct pal_as *)&R.as_live[i];
		}
	}
	return NULL;
}

static int unmap_one(uint64_t va, uint64_t len)
{
	/* The RMM takes at most 1 GiB per call. */
	for (uint64_t off = 0; off < len;) {
		uint64_t n = len - off > (1ULL << 30) ? (1ULL << 30) : len - off;

		R.st.unmaps++;
		if (smc(SMC_RSI_RB_UNMAP, R.e.chan_ipa, va + off, n, 0, 0, NULL) != RSI_SUCCESS)
			return -EINVAL;
		off += n;
	}
	return 0;
}

/* Unmap the pages of address space `id` in [va, va+len). */
static int unmap_range(uint8_t id, uint64_t va, uint64_t len)
{
	bool foreign = false;
	uint32_t cnt = 0;

	/* Which of our slots go away: by VA if the range is small, else by slot. */
	if (len / PG <= R.e.pool_n) {
		for (uint64_t p = va; p < va + len; p += PG) {
			uint32_t i = slot_find(p);

			if (i == NIL)
				continue;
			if (R.slots[i].as != id) {
				foreign = true;
				continue;
			}
			slot_release(i);
			if (foreign)
				unmap_one(p, PG);
			cnt++;
		}
	} else {
		for (uint32_t i = 0; i < R.e.pool_n; i++) {
			if (R.slots[i].used && R.slots[i].va >= va && R.slots[i].va < va + len) {
				if (R.slots[i].as != id) {
					foreign = true;
					continue;
				}
				slot_release(i);
				cnt++;
			}
		}
	}
	if (!foreign)
		return unmap_one(va, len);
	/* Pages of another address space in the range: only ours, page by page. */
	if (len / PG > R.e.pool_n)
		return -EINVAL; /* not reached for the library OS's execve */
	for (uint64_t p = va; p < va + len; p += PG)
		if (slot_find(p) == NIL)
			unmap_one(p, PG);
	return 0;
}

/* Unmap every page of address space id. */
static void unmap_all(uint8_t id)
{
	for (uint32_t i = 0; i < R.e.pool_n; i++) {
		if (R.slots[i].used && R.slots[i].as == id) {
			uint64_t va = R.slots[i].va;

			slot_release(i);
			R.st.unmaps++;
			smc(SMC_RSI_RB_UNMAP, R.e.chan_ipa, va, PG, 0, 0, NULL);
		}
	}
}

static void r_as_destroy(void *c, struct pal_as *as)
{
	uint8_t id = as_id(as);

	R.as_live[id] = 0;
	for (size_t k = 0; k < R.nstg; k++)
		if (R.stg[k].as == id)
			R.stg[k].used = 0;
	unmap_all(id);
	if (R.cur_as == id)
		R.cur_as = 0;
}

static bool va_ok(uint64_t va, uint64_t len)
{
	return ((va | len) & (PG - 1)) == 0 && va + len >= va && va + len <= (1ULL << 48);
}

static int r_mem_map(void *c, struct pal_as *as, uint64_t va, uint64_t len, unsigned prot,
		     const void *init, size_t init_len)
{
	if (!va_ok(va, len) || len == 0)
		return -EINVAL;
	if (staged(as)) {
		for (uint64_t off = 0; off < len; off += PG) {
			int i = stg_find_as(va + off, as_id(as));

			if (i < 0) {
				for (size_t k = 0; k < R.nstg; k++)
					if (!R.stg[k].used) {
						i = (int)k;
						break;
					}
				if (i < 0) {
					if (R.nstg >= R.e.stage_n || R.nstg >= 512)
						return -ENOMEM;
					i = (int)R.nstg++;
				}
			}
			R.stg[i].va = va + off;
			R.stg[i].prot = (uint8_t)prot;
			R.stg[i].as = as_id(as);
			R.stg[i].used = 1;
			memset(stg_page(i), 0, PG);
			if (init && off < init_len)
				memcpy(stg_page(i), (const uint8_t *)init + off,
				       init_len - off < PG ? init_len - off : PG);
		}
		return 0;
	}
	if ((prot & (PAL_PROT_R | PAL_PROT_W | PAL_PROT_X)) == 0)
		return unmap_range(as_id(as), va, len); /* the RMM maps nothing without access */
	for (uint64_t off = 0; off < len; off += PG) {
		uint32_t old = slot_find(va + off), i;
		uint64_t src = 0;

		if (old != NIL && R.slots[old].as != as_id(as))
			return -ENOMEM; /* another address space's page: one RMM address space */
		i = slot_alloc();
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
		if (smc(SMC_RSI_RB_MAP, R.e.chan_ipa, va + off, R.e.pool_ipa + (uint64_t)i * PG,
			rb_prot(prot), src, NULL) != RSI_SUCCESS) {
			R.freestk[R.nfree++] = i;
			R.st.pool_used--;
			return -ENOMEM;
		}
		if (old != NIL)
			slot_release(old); /* replaced: the RMM released it */
		slot_insert(i, va + off, prot, as_id(as));
	}
	return 0;
}

static int r_mem_unmap(void *c, struct pal_as *as, uint64_t va, uint64_t len)
{
	if (!va_ok(va, len))
		return -EINVAL;
	if (staged(as)) {
		for (size_t k = 0; k < R.nstg; k++)
			if (R.stg[k].used && R.stg[k].as == as_id(as) && R.stg[k].va >= va &&
			    R.stg[k].va < va + len)
				R.stg[k].used = 0;
		return 0;
	}
	return len ? unmap_range(as_id(as), va, len) : 0;
}

static int r_mem_protect(void *c, struct pal_as *as, uint64_t va, uint64_t len, unsigned prot)
{
	if (!va_ok(va, len))
		return -EINVAL;
	if (staged(as)) {
		for (size_t k = 0; k < R.nstg; k++)
			if (R.stg[k].used && R.stg[k].as == as_id(as) && R.stg[k].va >= va &&
			    R.stg[k].va < va + len)
				R.stg[k].prot = (uint8_t)prot;
		return 0;
	}
	if ((prot & (PAL_PROT_R | PAL_PROT_W | PAL_PROT_X)) == 0) {
		/* PROT_NONE: the RMM has no such mapping; the content goes (rarely needed) */
		return unmap_range(as_id(as), va, len);
	}
	uint64_t run = 0, runlen = 0;
	for (uint64_t p = va; p <= va + len; p += PG) {
		uint32_t i = p < va + len ? slot_find(p) : NIL;

		if (i != NIL && R.slots[i].as != as_id(as))
			i = NIL;
		if (i != NIL) {
			R.slots[i].prot = (uint8_t)prot;
			if (!runlen)
				run = p;
			runlen += PG;
		} else if (runlen) {
			R.st.protects++;
			if (smc(SMC_RSI_RB_PROTECT, R.e.chan_ipa, run, runlen, rb_prot(prot), 0,
				NULL) != RSI_SUCCESS)
				return -EINVAL;
			runlen = 0;
		}
		if (p == va + len)
			break;
	}
	return 0;
}

static int r_mem_query(void *c, struct pal_as *as, uint64_t va, unsigned *prot)
{
	if (staged(as)) {
		int k = stg_find_as(va & ~(PG - 1), as_id(as));
		if (k < 0 || R.stg[k].as != as_id(as))
			return -ENOENT;
		*prot = R.stg[k].prot;
		return 0;
	}
	uint32_t i = slot_find(va & ~(PG - 1));

	if (i == NIL || R.slots[i].as != as_id(as))
		return -ENOENT;
	*prot = R.slots[i].prot;
	return 0;
}

static int r_mem_copy_as(void *c, struct pal_as *dst, struct pal_as *src, uint64_t va,
			 uint64_t len)
{
	return -ENOSYS; /* fork: one address space per Container Realm REC for now */
}

/* Every page of [va, va+len) mapped with `need`? */
static bool user_ok(const struct pal_as *as, uint64_t va, size_t len, unsigned need)
{
	if (va + len < va)
		return false;
	for (uint64_t p = va & ~(PG - 1); p < va + len; p += PG) {
		uint32_t i = slot_find(p);

		if (i == NIL || R.slots[i].as != as_id(as) || (R.slots[i].prot & need) != need)
			return false;
	}
	return true;
}

static int r_copy_from_user(void *c, struct pal_as *as, void *dst, uint64_t src, size_t len)
{
	uint8_t *d = dst;

	if (staged(as))
		return stg_copy(as_id(as), src, dst, len, false);
	if (!user_ok(as, src, len, PAL_PROT_R))
		return -EFAULT;
	while (len) {
		size_t n = len < RB_COPY_MAX ? len : RB_COPY_MAX;
		uint64_t got;

		R.st.copies_in++;
		if (smc(SMC_RSI_RB_COPY_IN, R.e.chan_ipa, src, R.e.bounce_ipa, n, 0, &got) !=
		    RSI_SUCCESS) {
			lib_log(LOG_INFO, "pal_realm", "copy-in refused: call %llu, 0x%llx+%zu",
				(unsigned long long)R.e.chan->x[8], (unsigned long long)src, n);
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

static int r_copy_to_user(void *c, struct pal_as *as, uint64_t dst, const void *src, size_t len)
{
	const uint8_t *s = src;

	if (staged(as))
		return stg_copy(as_id(as), dst, (void *)src, len, true);
	if (!user_ok(as, dst, len, PAL_PROT_W))
		return -EFAULT;
	while (len) {
		size_t n = len < RB_COPY_MAX ? len : RB_COPY_MAX;
		uint64_t got;

		memcpy(R.e.bounce, s, n);
		R.st.copies_out++;
		if (smc(SMC_RSI_RB_COPY_OUT, R.e.chan_ipa, dst, R.e.bounce_ipa, n, 0, &got) !=
		    RSI_SUCCESS) {
			lib_log(LOG_INFO, "pal_realm", "copy-out refused: call %llu, 0x%llx+%zu",
				(unsigned long long)R.e.chan->x[8], (unsigned long long)dst, n);
			return -EFAULT;
		}
		R.st.bytes_out += n;
		s += n;
		dst += n;
		len -= n;
	}
	return 0;
}

/*
 * The RMM allows a string argument only up to and including its NUL (it
 * measures the string itself), and the System Realm cannot see it before
 * copying: so a string comes in byte by byte.
 */
static long r_strncpy_from_user(void *c, struct pal_as *as, char *dst, uint64_t src, size_t max)
{
	if (staged(as)) {
		for (size_t n = 0; n < max; n++) {
			if (stg_copy(as_id(as), src + n, dst + n, 1, false))
				return -EFAULT;
			if (!dst[n])
				return (long)n;
		}
		return -ENAMETOOLONG;
	}
	for (size_t n = 0; n < max; n++) {
		uint64_t got;

		if (!user_ok(as, src + n, 1, PAL_PROT_R))
			return -EFAULT;
		R.st.str_bytes++;
		if (smc(SMC_RSI_RB_COPY_IN, R.e.chan_ipa, src + n, R.e.bounce_ipa, 1, 0, &got) !=
		    RSI_SUCCESS) {
			lib_log(LOG_INFO, "pal_realm", "string copy-in refused: call %llu, 0x%llx",
				(unsigned long long)R.e.chan->x[8], (unsigned long long)(src + n));
			return -EFAULT;
		}
		dst[n] = (char)R.e.bounce[0];
		if (dst[n] == 0)
			return (long)n;
	}
	return -ENAMETOOLONG;
}

static int map_staged(uint8_t id);

/* ---- PAL: tasks ---------------------------------------------------------------- */

static int r_task_create(void *c, struct pal_as *as, const struct pal_regs *regs,
			 const struct pal_fpsimd *fp, void *lt, struct pal_task **out)
{
	if (R.have_task)
		return -EAGAIN; /* fork/clone: one REC per Container Realm for now */
	R.have_task = true;
	R.task = lt;
	R.cur = *regs;
	memset(&R.orig, 0, sizeof(R.orig));
	*out = (struct pal_task *)&R.task;
	R.cur_as = as_id(as);
	R.staged_err = map_staged(R.cur_as);
	return 0;
}

/* execve: the old image goes, the staged new one comes in (one RMM address space). */
static int r_task_set_as(void *c, struct pal_task *t, struct pal_as *as)
{
	if (as_id(as) == R.cur_as)
		return 0;
	if (R.cur_as)
		unmap_all(R.cur_as);
	R.cur_as = as_id(as);
	return map_staged(R.cur_as);
}

static void r_task_exit(void *c, struct pal_task *t)
{
}

/* The request's registers as the RMM recorded them in the channel. */
static void load_regs(void)
{
	const volatile struct rb_channel *ch = R.e.chan;

	/* x9..x30 are not forwarded: keep what we last saw (SET_REGS only sends changes). */
	for (int i = 0; i < 9; i++)
		R.cur.x[i] = ch->x[i];
	R.cur.pc = ch->pc;
	R.cur.sp = ch->sp;
	R.cur.tpidr = ch->tpidr;
	R.orig = R.cur;
}

static void r_get_regs(void *c, struct pal_task *t, struct pal_regs *r)
{
	*r = R.cur;
}

static void r_set_regs(void *c, struct pal_task *t, const struct pal_regs *r)
{
	R.cur = *r;
}

static void r_get_fpsimd(void *c, struct pal_task *t, struct pal_fpsimd *f)
{
	memset(f, 0, sizeof(*f)); /* not forwarded by the RMM */
}

static void r_set_fpsimd(void *c, struct pal_task *t, const struct pal_fpsimd *f)
{
}

static void r_task_kick(void *c, struct pal_task *t)
{
}

/* Registers that changed since load_regs, as a SET_REGS mask (0: none). */
static uint64_t regs_delta(struct rb_regs *out, bool all)
{
	uint64_t mask = 0;

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < 31; i++) {
		out->x[i] = R.cur.x[i];
		if (all || R.cur.x[i] != R.orig.x[i])
			mask |= 1ULL << i;
	}
	out->pc = R.cur.pc;
	out->sp = R.cur.sp;
	out->tpidr = R.cur.tpidr;
	if (all || R.cur.pc != R.orig.pc)
		mask |= RB_REGS_PC;
	if (all || R.cur.sp != R.orig.sp)
		mask |= RB_REGS_SP;
	if (all || R.cur.tpidr != R.orig.tpidr)
		mask |= RB_REGS_TPIDR;
	out->mask = mask;
	return mask;
}

/* ---- PAL: blocking ------------------------------------------------------------- */

static int r_wait(void *c, uint32_t *word, uint32_t expected, int64_t timeout_ns)
{
	/* One task: nothing else runs to change *word; sleep on the host and let the caller look again. */
	if (__atomic_load_n(word, __ATOMIC_ACQUIRE) != expected)
		return 0;
	uint64_t slice = 20000000ULL;
	if (timeout_ns >= 0 && (uint64_t)timeout_ns < slice)
		slice = (uint64_t)timeout_ns;
	uint64_t a[1] = {slice};
	pal_realm_host_call(PRH_SLEEP, a, 1, NULL);
	if (timeout_ns >= 0 && (uint64_t)timeout_ns <= slice)
		return -ETIMEDOUT;
	return 0;
}

static void r_wake(void *c, uint32_t *word)
{
}

static void r_lock(void *c)
{
}

static void r_unlock(void *c)
{
}

/* ---- PAL: host files and console through the NS buffer ------------------------ */

static int r_host_open(void *c, const char *path)
{
	size_t l = strlen(path);

	if (l + 1 > R.e.ns_size)
		return -ENAMETOOLONG;
	memcpy(R.e.ns, path, l + 1);
	uint64_t a[1] = {l};
	return (int)(int64_t)pal_realm_host_call(PRH_OPEN, a, 1, NULL);
}

static long r_host_pread(void *c, int h, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		size_t n = len - done < R.e.ns_size ? len - done : R.e.ns_size;
		uint64_t a[3] = {(uint64_t)h, n, off + done};
		int64_t r = (int64_t)pal_realm_host_call(PRH_PREAD, a, 3, NULL);

		if (r < 0)
			return done ? (long)done : (long)r;
		if (r == 0)
			break;
		if ((uint64_t)r > n)
			return -EIO; /* the host lies */
		/* Copy out of shared memory before anyone looks at it. */
		memcpy((uint8_t *)buf + done, R.e.ns, (size_t)r);
		done += (size_t)r;
		if ((size_t)r < n)
			break;
	}
	return (long)done;
}

static void r_host_close(void *c, int h)
{
	uint64_t a[1] = {(uint64_t)h};

	pal_realm_host_call(PRH_CLOSE, a, 1, NULL);
}

static long r_console_read(void *c, int fd, void *buf, size_t len)
{
	size_t n = len < R.e.ns_size ? len : R.e.ns_size;
	uint64_t a[2] = {(uint64_t)fd, n};
	int64_t r = (int64_t)pal_realm_host_call(PRH_CONSOLE_READ, a, 2, NULL);

	if (r > (int64_t)n)
		return -EIO;
	if (r > 0)
		memcpy(buf, R.e.ns, (size_t)r);
	return (long)r;
}

static long r_console_write(void *c, int fd, const void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		size_t n = len - done < R.e.ns_size ? len - done : R.e.ns_size;

		memcpy(R.e.ns, (const uint8_t *)buf + done, n);
		uint64_t a[2] = {(uint64_t)fd, n};
		int64_t r = (int64_t)pal_realm_host_call(PRH_CONSOLE_WRITE, a, 2, NULL);

		if (r < 0)
			return done ? (long)done : (long)r;
		if (r == 0 || (uint64_t)r > n)
			break;
		done += (size_t)r;
	}
	return (long)done;
}

static uint64_t r_time_ns(void *c, enum pal_clock clock)
{
	return R.e.counter_ns(R.e.guest, (int)clock);
}

static void r_random(void *c, void *buf, size_t len)
{
	R.e.rndr(R.e.guest, buf, len);
}

static void r_container_exit(void *c, int status, int sig)
{
	R.exited = true;
	R.exit_status = status;
}

/* ---- serving requests ------------------------------------------------------------ */

static void complete(uint64_t result, uint64_t flags)
{
	smc(SMC_RSI_RB_COMPLETE, R.e.chan_ipa, result, flags, 0, 0, NULL);
}

/* Send the changed registers (if any) and complete the request. */
static void finish(bool all)
{
	if (R.exited) {
		complete((uint64_t)(R.exit_status & 0xFF), RB_COMPLETE_EXIT);
		return;
	}
	uint64_t mask = regs_delta(R.e.regs, all);
	if (R.kind == RB_REQ_SYSCALL && (mask & ~1ULL) == 0) {
		complete(R.cur.x[0], 0);
		return;
	}
	if (mask) {
		R.st.set_regs++;
		if (smc(SMC_RSI_RB_SET_REGS, R.e.chan_ipa, R.e.regs_ipa, 0, 0, 0, NULL) !=
		    RSI_SUCCESS)
			lib_log(LOG_WARN, "pal_realm", "SET_REGS refused");
	}
	complete(0, RB_COMPLETE_KEEP_X0);
}

/* Map the staged pages of address space id with their content. */
static int map_staged(uint8_t id)
{
	for (size_t k = 0; k < R.nstg; k++) {
		if (!R.stg[k].used || R.stg[k].as != id)
			continue;
		R.stg[k].used = 0;
		uint32_t i = slot_alloc();
		if (i == NIL)
			return -ENOMEM;
		R.st.maps++;
		if (smc(SMC_RSI_RB_MAP, R.e.chan_ipa, R.stg[k].va, R.e.pool_ipa + (uint64_t)i * PG,
			rb_prot(R.stg[k].prot), R.e.stage_ipa + k * PG, NULL) != RSI_SUCCESS) {
			R.freestk[R.nfree++] = i;
			R.st.pool_used--;
			return -ENOMEM;
		}
		slot_insert(i, R.stg[k].va, R.stg[k].prot, R.stg[k].as);
	}
	while (R.nstg && !R.stg[R.nstg - 1].used)
		R.nstg--;
	return 0;
}

void pal_realm_start_done(int err)
{
	if (!err && R.have_task && R.staged_err)
		err = R.staged_err;
	if (err || !R.have_task) {
		complete(err == -EACCES || err == -ENOEXEC ? 126 : 127, RB_COMPLETE_EXIT);
		return;
	}
	R.kind = RB_REQ_START;
	memset(&R.orig, 0, sizeof(R.orig));
	finish(true);
}

void pal_realm_serve(uint64_t kind)
{
	struct libos_exc le;

	R.kind = kind;
	load_regs();
	memset(&le, 0, sizeof(le));
	le.esr = R.e.chan->esr;
	le.far = R.e.chan->far;
	le.pc = R.e.chan->pc;
	switch (kind) {
	case RB_REQ_SYSCALL:
		le.kind = LIBOS_EXC_SVC;
		break;
	case RB_REQ_ABORT:
		le.kind = ESR_EC(le.esr) == EC_IABT_LOW ? LIBOS_EXC_IABT : LIBOS_EXC_DABT;
		break;
	default:
		switch (ESR_EC(le.esr)) {
		case EC_BRK64:
			le.kind = LIBOS_EXC_BRK;
			break;
		case EC_PC_ALIGN:
			le.kind = LIBOS_EXC_PC_ALIGN;
			break;
		default:
			le.kind = LIBOS_EXC_UNDEF;
			break;
		}
		break;
	}
	if (!R.have_task || R.exited) {
		complete(R.exited ? (uint64_t)(R.exit_status & 0xFF) : 128 + 9, RB_COMPLETE_EXIT);
		return;
	}
	if (libos_handle_exception(R.task, &le) == LIBOS_EXITED && !R.exited) {
		R.exited = true;
		R.exit_status = 128 + 9;
	}
	finish(false);
}

void pal_realm_get_stats(struct pal_realm_stats *st)
{
	*st = R.st;
}

int pal_realm_init(const struct pal_realm_env *env, struct pal_ops *ops)
{
	size_t need = pal_realm_meta_size(env->pool_n);

	if (env->meta_size < need || env->pool_n == 0 || !env->stage || !env->stage_n || env->pool_n >= NIL || !env->smc ||
	    !env->chan || !env->hc || !env->regs || !env->bounce || !env->ns || !env->ns_size)
		return -EINVAL;
	memset(&R, 0, sizeof(R));
	R.e = *env;
	uint8_t *m = env->meta;
	R.nhead = 1;
	while (R.nhead < 2 * env->pool_n)
		R.nhead <<= 1;
	R.slots = (struct slot *)m;
	m += env->pool_n * sizeof(struct slot);
	R.head = (uint32_t *)m;
	m += (size_t)R.nhead * 4;
	R.freestk = (uint32_t *)m;
	memset(R.slots, 0, env->pool_n * sizeof(struct slot));
	memset(R.head, 0xFF, (size_t)R.nhead * 4);
	for (size_t i = 0; i < env->pool_n; i++)
		R.freestk[i] = (uint32_t)(env->pool_n - 1 - i); /* low slots first */
	R.nfree = (uint32_t)env->pool_n;
	R.ready = true;

	memset(ops, 0, sizeof(*ops));
	ops->ctx = &R;
	ops->hwcap = env->hwcap;
	ops->hwcap2 = env->hwcap2;
	ops->as_create = r_as_create;
	ops->as_destroy = r_as_destroy;
	ops->mem_map = r_mem_map;
	ops->mem_unmap = r_mem_unmap;
	ops->mem_protect = r_mem_protect;
	ops->mem_query = r_mem_query;
	ops->mem_copy_as = r_mem_copy_as;
	ops->copy_from_user = r_copy_from_user;
	ops->copy_to_user = r_copy_to_user;
	ops->strncpy_from_user = r_strncpy_from_user;
	ops->task_create = r_task_create;
	ops->task_set_as = r_task_set_as;
	ops->task_exit = r_task_exit;
	ops->get_regs = r_get_regs;
	ops->set_regs = r_set_regs;
	ops->get_fpsimd = r_get_fpsimd;
	ops->set_fpsimd = r_set_fpsimd;
	ops->task_kick = r_task_kick;
	ops->wait = r_wait;
	ops->wake = r_wake;
	ops->lock = r_lock;
	ops->unlock = r_unlock;
	ops->host_open = r_host_open;
	ops->host_pread = r_host_pread;
	ops->host_close = r_host_close;
	ops->console_read = r_console_read;
	ops->console_write = r_console_write;
	ops->time_ns = r_time_ns;
	ops->random = r_random;
	ops->container_exit = r_container_exit;
	return 0;
}
