/*
 * RContainer's EL3 additions (see rc_gpt.h): GPT copies in a Root memory
 * pool, GPTBR switching, SET_GPI, READ_ANY_PA, the mini-OS gate.
 *
 * Pool: extents of Root memory, each cut into slots of one GPT (L0 table
 * then its L1 tables, the boot GPT's geometry). GPT index i >= 1 is slot
 * i - 1 counted across extents in order. A slot is free iff its first L0
 * descriptor is 0 (a live GPT's L0 entries are all valid descriptors);
 * destroy scrubs the slot. The first extent is the Root memory the boot
 * layout left spare; the mini-OS adds more with SMC_RC_POOL_ADD (NS
 * granules become Root in every GPT and stay Root).
 *
 * Every GPT write and every switch happens under the monitor's GPT lock.
 * A switch is GPTBR write, DSB, ISB, TLBI PAALLOS, DSB, ISB: the GPC TLB
 * caches GPIs of the old GPT otherwise (RContainer's artifact omits it).
 */
#include "monitor/rc_gpt.h"

#include "arch/gpt.h"
#include "arch/rcontainer.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "monitor/gpt.h"
#include "plat/plat.h"

#define RC_POOL_EXTENTS 32 /* donations; each may hold any number of GPTs */

static struct {
	const struct monitor_minios_image *img; /* non-NULL: armed */
	struct {
		uint64_t base, nslots;
	} ext[RC_POOL_EXTENTS];
	unsigned next;
	uint64_t slot_bytes, l1_offset;
	uint64_t current; /* index of the GPT GPTBR points at */
	uint64_t live;	  /* live GPTs beyond the boot GPT */
} rc;

/* ---- Slots -------------------------------------------------------------- */

static uint64_t rc_nslots(void)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < rc.next; i++)
		n += rc.ext[i].nslots;
	return n;
}

/* PA of the slot of GPT `index` (>= 1), or 0 if beyond the pool. */
static uint64_t slot_pa(uint64_t index)
{
	uint64_t s = index - 1;

	for (unsigned i = 0; index >= 1 && i < rc.next; i++) {
		if (s < rc.ext[i].nslots)
			return rc.ext[i].base + s * rc.slot_bytes;
		s -= rc.ext[i].nslots;
	}
	return 0;
}

static bool slot_live(uint64_t pa)
{
	uint64_t d = 0;

	return plat_read_u64(PAS_ROOT, pa, &d, NULL) == 0 && d != 0;
}

/* The GPT of `index` if it is live: 0, or -ENOENT. */
static int rc_gpt_get(uint64_t index, struct gpt *g)
{
	const struct gpt *boot = monitor_boot_gpt();
	uint64_t pa;

	if (boot->pps_bits == 0)
		return -ENOENT;
	*g = *boot;
	if (index == RC_GPT_PRIV)
		return 0;
	pa = slot_pa(index);
	if (pa == 0 || !slot_live(pa))
		return -ENOENT;
	g->l0_pa = pa;
	return 0;
}

/* Add [base, base+bytes) of Root memory (zeroed) to the pool. */
static int pool_add(uint64_t base, uint64_t bytes)
{
	const struct gpt *boot = monitor_boot_gpt();
	uint64_t l0 = gpt_l0_bytes(boot->pps);
	uint64_t start = ALIGN_UP(base, l0);

	if (rc.next == RC_POOL_EXTENTS)
		return -ENOMEM;
	if (start - base >= bytes || (bytes - (start - base)) / rc.slot_bytes == 0)
		return -EINVAL;
	rc.ext[rc.next].base = start;
	rc.ext[rc.next].nslots = (bytes - (start - base)) / rc.slot_bytes;
	rc.next++;
	return 0;
}

/* Copy GPT src into the free slot at pa (L0 descriptors re-pointed at its own L1s). */
static int gpt_copy(const struct gpt *src, uint64_t pa)
{
	uint64_t l0_bytes = gpt_l0_bytes(src->pps);
	uint64_t *dl0 = plat_map(PAS_ROOT, pa, l0_bytes, NULL);
	const uint64_t *sl0 = plat_map(PAS_ROOT, src->l0_pa, l0_bytes, NULL);
	uint64_t l1 = pa + rc.l1_offset;

	if (!dl0 || !sl0)
		return -EFAULT;
	for (uint64_t i = 0; i < src->l0_entries; i++) {
		uint64_t d = sl0[i];

		if ((d & GPT_L0_TYPE_MASK) == GPT_L0_TYPE_TABLE) {
			void *to = plat_map(PAS_ROOT, l1, GPT_L1_TABLE_BYTES, NULL);
			const void *from = plat_map(PAS_ROOT, GPT_L0_TABLE_ADDR(d),
						    GPT_L1_TABLE_BYTES, NULL);

			if (!to || !from)
				return -EFAULT;
			memcpy(to, from, GPT_L1_TABLE_BYTES);
			d = GPT_L0_TABLE_DESC(l1);
			l1 += GPT_L1_TABLE_BYTES;
		}
		__atomic_store_n(&dl0[i], d, __ATOMIC_RELEASE);
	}
	return 0;
}

/* The GPTBR switch with the maintenance the architecture requires. */
static void gptbr_switch(uint64_t index, const struct gpt *g)
{
	plat_write_gptbr(GPTBR_FROM_PA(g->l0_pa));
	plat_dsb();
	plat_isb();
	plat_tlbi_paallos();
	plat_dsb();
	plat_isb();
	rc.current = index;
	plat_count(PLAT_CNT_GPT_SWITCH);
}

/* ---- Setup --------------------------------------------------------------- */

void rc_gpt_reset(void)
{
	memset(&rc, 0, sizeof(rc));
}

int monitor_rc_register(const struct monitor_minios_image *img, uint64_t base, uint64_t size)
{
	const struct gpt *boot = monitor_boot_gpt();
	uint64_t spare_base, spare_size;
	struct gpt g;
	int ret;

	if (!img || !img->boot || !img->handle_call || boot->pps_bits == 0)
		return -EINVAL;
	monitor_gpt_lock();
	if (rc.img) {
		monitor_gpt_unlock();
		return -EBUSY;
	}
	rc.l1_offset = gpt_l0_bytes(boot->pps);
	rc.slot_bytes = rc.l1_offset + gpt_l1_tables_needed(plat_dram_base(), plat_dram_size()) *
					       GPT_L1_TABLE_BYTES;
	monitor_root_spare(&spare_base, &spare_size);
	if (spare_size)
		(void)pool_add(spare_base, spare_size); /* too small for one GPT: empty pool */
	rc.img = img;
	rc.current = RC_GPT_PRIV;
	monitor_gpt_unlock();

	plat_count(PLAT_CNT_WORLD_SWITCH);
	ret = img->boot(base, size);
	plat_count(PLAT_CNT_WORLD_SWITCH);
	monitor_gpt_lock();
	if (ret == 0 && rc.current == RC_GPT_PRIV)
		ret = -EIO; /* the Normal world would run with the mini-OS's view */
	if (ret) {
		if (rc_gpt_get(RC_GPT_PRIV, &g) == 0)
			gptbr_switch(RC_GPT_PRIV, &g);
		for (uint64_t i = 1; i <= rc_nslots(); i++) {
			uint64_t pa = slot_pa(i);

			if (slot_live(pa))
				(void)plat_zero(PAS_ROOT, pa, rc.slot_bytes, NULL);
		}
		plat_smmu_write_gpt_base(GPTBR_FROM_PA(boot->l0_pa));
		rc_gpt_reset();
	}
	monitor_gpt_unlock();
	return ret;
}

void monitor_rc_get_stats(struct monitor_rc_stats *out)
{
	uint64_t pool;

	monitor_gpt_lock();
	pool = rc_nslots() * rc.slot_bytes;
	out->gpts_live = 1 + rc.live;
	out->bytes_used = rc.live * rc.slot_bytes;
	out->bytes_pool = pool;
	out->bytes_free = pool - out->bytes_used;
	out->slot_bytes = rc.slot_bytes;
	out->current = rc.current;
	monitor_gpt_unlock();
}

int monitor_rc_read_gpi(uint64_t index, uint64_t pa)
{
	struct gpt g;
	int ret;

	monitor_gpt_lock();
	ret = rc_gpt_get(index, &g);
	if (ret == 0)
		ret = gpt_get_gpi(&g, pa);
	monitor_gpt_unlock();
	return ret;
}

/* ---- GTSI hooks (GPT lock held) ----------------------------------------- */

int rc_gpt_gtsi_check(uint64_t pa, unsigned expect)
{
	struct gpt g;

	for (uint64_t i = 1; rc.img && i <= rc_nslots(); i++) {
		if (rc_gpt_get(i, &g) == 0 && gpt_get_gpi(&g, pa) != (int)expect)
			return -EPERM;
	}
	return 0;
}

void rc_gpt_gtsi_propagate(uint64_t pa, unsigned gpi)
{
	struct gpt g;

	for (uint64_t i = 1; rc.img && i <= rc_nslots(); i++) {
		if (rc_gpt_get(i, &g) == 0)
			(void)gpt_set_gpi(&g, pa, gpi); /* checked by rc_gpt_gtsi_check */
	}
}

/* ---- The calls ------------------------------------------------------------ */

static uint64_t el3_status(int ret)
{
	switch (ret) {
	case 0:
		return E_RMM_OK;
	case -ENOMEM:
		return (uint64_t)E_RMM_NOMEM;
	case -EPERM:
		return (uint64_t)E_RMM_BAD_PAS;
	case -EFAULT:
		return (uint64_t)E_RMM_BAD_ADDR;
	default:
		return (uint64_t)E_RMM_INVAL;
	}
}

/* Each granule of [pa, pa + count granules) is in DRAM, not Root/RMM memory, NS in the Priv-GPT. */
static int check_ns_range(uint64_t pa, uint64_t count)
{
	const struct gpt *boot = monitor_boot_gpt();

	if (!IS_ALIGNED(pa, GRANULE_SIZE) || count == 0 ||
	    count > plat_dram_size() / GRANULE_SIZE ||
	    !plat_pa_in_dram(pa, count * GRANULE_SIZE))
		return -EFAULT;
	for (uint64_t i = 0; i < count; i++) {
		uint64_t g = pa + i * GRANULE_SIZE;

		if (monitor_pa_reserved(g) || gpt_get_gpi(boot, g) != GPI_NS)
			return -EPERM;
	}
	return 0;
}

static void smc_get_gptbr(struct smc_regs *regs)
{
	regs->x[0] = E_RMM_OK;
	regs->x[1] = plat_read_gptbr();
	regs->x[2] = rc.current;
}

/* (index, pa, count, gpi): NS <-> NO_ACCESS of NS-owned granules in a GPT other than the Priv-GPT. */
static void smc_set_gpi(struct smc_regs *regs)
{
	uint64_t index = regs->x[1], pa = regs->x[2], count = regs->x[3], gpi = regs->x[4];
	struct gpt g;
	int ret;

	if (index == RC_GPT_PRIV || rc_gpt_get(index, &g) ||
	    (gpi != GPI_NS && gpi != GPI_NO_ACCESS)) {
		regs->x[0] = (uint64_t)E_RMM_INVAL;
		return;
	}
	ret = check_ns_range(pa, count);
	for (uint64_t i = 0; ret == 0 && i < count; i++)
		ret = gpt_set_gpi(&g, pa + i * GRANULE_SIZE, (unsigned)gpi);
	if (ret == 0 && index == rc.current) {
		plat_tlbi_rpalos(pa, count * GRANULE_SIZE);
		plat_dsb();
	}
	regs->x[0] = el3_status(ret);
}

/* (pa): the u64 at pa, for granules the Priv-GPT gives the Normal world. */
static void smc_read_any_pa(struct smc_regs *regs)
{
	uint64_t pa = regs->x[1];
	int ret = IS_ALIGNED(pa, 8) ? check_ns_range(ALIGN_DOWN(pa, GRANULE_SIZE), 1) : -EFAULT;

	if (ret == 0 && plat_read_u64(PAS_NS, pa, &regs->x[1], NULL))
		ret = -EFAULT;
	regs->x[0] = el3_status(ret);
}

static void smc_set_gptbr(struct smc_regs *regs)
{
	struct gpt g;

	if (rc_gpt_get(regs->x[1], &g)) {
		regs->x[0] = (uint64_t)E_RMM_INVAL;
		return;
	}
	gptbr_switch(regs->x[1], &g);
	regs->x[0] = E_RMM_OK;
}

/* (src index) -> x1 index of a new copy of GPT src. */
static void smc_gpt_create(struct smc_regs *regs)
{
	uint64_t n = rc_nslots(), index;
	struct gpt src;

	if (rc_gpt_get(regs->x[1], &src)) {
		regs->x[0] = (uint64_t)E_RMM_INVAL;
		return;
	}
	for (index = 1; index <= n && slot_live(slot_pa(index)); index++)
		;
	if (index > n) {
		regs->x[0] = (uint64_t)E_RMM_NOMEM;
		return;
	}
	if (gpt_copy(&src, slot_pa(index))) {
		(void)plat_zero(PAS_ROOT, slot_pa(index), rc.slot_bytes, NULL);
		regs->x[0] = (uint64_t)E_RMM_BAD_ADDR;
		return;
	}
	rc.live++;
	/*
	 * Devices belong to the deprivileged OS: the SMMU checks their
	 * accesses against the OS-GPT, which never gives a con-shim granule
	 * to the Normal world (RContainer's DMA protection).
	 */
	if (index == RC_GPT_OS)
		plat_smmu_write_gpt_base(GPTBR_FROM_PA(slot_pa(index)));
	regs->x[0] = E_RMM_OK;
	regs->x[1] = index;
}

/*
 * (index): scrub the GPT's tables back into the pool; not the Priv-GPT, the
 * OS-GPT (the gate's way out) nor the current one.
 */
static void smc_gpt_destroy(struct smc_regs *regs)
{
	struct gpt g;

	if (regs->x[1] <= RC_GPT_OS || regs->x[1] == rc.current || rc_gpt_get(regs->x[1], &g)) {
		regs->x[0] = (uint64_t)E_RMM_INVAL;
		return;
	}
	if (plat_zero(PAS_ROOT, g.l0_pa, rc.slot_bytes, NULL)) {
		regs->x[0] = (uint64_t)E_RMM_BAD_ADDR;
		return;
	}
	rc.live--;
	regs->x[0] = E_RMM_OK;
}

static void smc_gpt_info(struct smc_regs *regs)
{
	uint64_t pool = rc_nslots() * rc.slot_bytes;

	regs->x[0] = E_RMM_OK;
	regs->x[1] = 1 + rc.live;
	regs->x[2] = rc.live * rc.slot_bytes;
	regs->x[3] = pool;
	regs->x[4] = pool - rc.live * rc.slot_bytes;
}

/* (pa, count): NS granules become Root in every GPT and join the pool. */
static void smc_pool_add(struct smc_regs *regs)
{
	uint64_t pa = regs->x[1], count = regs->x[2];
	const struct gpt *boot = monitor_boot_gpt();
	uint64_t n = rc_nslots();
	struct gpt g;
	int ret = check_ns_range(pa, count);

	if (ret == 0 && (rc.next == RC_POOL_EXTENTS || !IS_ALIGNED(pa, gpt_l0_bytes(boot->pps)) ||
			 count * GRANULE_SIZE < rc.slot_bytes))
		ret = -EINVAL;
	for (uint64_t i = 0; ret == 0 && i < count; i++) {
		uint64_t gpa = pa + i * GRANULE_SIZE;

		ret = gpt_set_gpi(boot, gpa, GPI_ROOT);
		for (uint64_t k = 1; ret == 0 && k <= n; k++) {
			if (rc_gpt_get(k, &g) == 0)
				ret = gpt_set_gpi(&g, gpa, GPI_ROOT);
		}
	}
	if (ret == 0) {
		plat_tlbi_rpalos(pa, count * GRANULE_SIZE);
		plat_dsb();
		ret = plat_zero(PAS_ROOT, pa, count * GRANULE_SIZE, NULL);
	}
	if (ret == 0)
		ret = pool_add(pa, count * GRANULE_SIZE);
	regs->x[0] = el3_status(ret);
}

typedef void (*rc_smc_fn)(struct smc_regs *regs);

/* The privileged calls: only while the Priv-GPT is current (the mini-OS runs). */
static const struct {
	uint64_t fid;
	rc_smc_fn fn;
} rc_priv_calls[] = {
	{SMC_RC_GET_GPTBR, smc_get_gptbr},     {SMC_RC_SET_GPI, smc_set_gpi},
	{SMC_RC_READ_ANY_PA, smc_read_any_pa}, {SMC_RC_SET_GPTBR, smc_set_gptbr},
	{SMC_RC_GPT_CREATE, smc_gpt_create},   {SMC_RC_GPT_DESTROY, smc_gpt_destroy},
	{SMC_RC_GPT_INFO, smc_gpt_info},       {SMC_RC_POOL_ADD, smc_pool_add},
};

/*
 * The gate: switch to the Priv-GPT and enter the mini-OS at its entry
 * point (never back into the caller's code with the Priv-GPT current).
 * The mini-OS leaves with its own SET_GPTBR; if it did not, the OS-GPT.
 */
static void rc_gate(struct smc_regs *regs)
{
	const struct monitor_minios_image *img = rc.img;
	uint64_t caller = rc.current;
	struct gpt g;

	if (rc_gpt_get(RC_GPT_PRIV, &g) == 0)
		gptbr_switch(RC_GPT_PRIV, &g);
	monitor_gpt_unlock();
	img->handle_call(regs, caller);
	monitor_gpt_lock();
	if (rc.current == RC_GPT_PRIV && img->exit_gpt && img->shim_entry) {
		uint64_t next = img->exit_gpt();

		if (next > RC_GPT_OS && rc_gpt_get(next, &g) == 0) {
			/* ERET into the con-shim under its shim-GPT: mini-OS code, not the caller's */
			gptbr_switch(next, &g);
			monitor_gpt_unlock();
			img->shim_entry(regs);
			monitor_gpt_lock();
		}
	}
	if (rc.current == RC_GPT_PRIV && rc_gpt_get(RC_GPT_OS, &g) == 0)
		gptbr_switch(RC_GPT_OS, &g);
}

void rc_smc_dispatch(struct smc_regs *regs)
{
	uint64_t fid = regs->x[0];

	monitor_gpt_lock();
	if (!rc.img) {
		regs->x[0] = SMC_UNKNOWN;
		goto out;
	}
	plat_count(PLAT_CNT_RC_EL3);
	if (fid == SMC_RC_ENTER) {
		if (rc.current == RC_GPT_PRIV)
			regs->x[0] = SMC_UNKNOWN; /* the mini-OS does not call itself */
		else
			rc_gate(regs);
		goto out;
	}
	if (fid == SMC_RC_SHIM_EXIT) {
		struct gpt g;

		/* a con-shim hands its trapped task to the OS: shim-GPT -> OS-GPT, no mini-OS entry */
		if (rc.current > RC_GPT_OS && rc_gpt_get(RC_GPT_OS, &g) == 0) {
			gptbr_switch(RC_GPT_OS, &g);
			regs->x[0] = E_RMM_OK;
		} else {
			regs->x[0] = SMC_UNKNOWN;
		}
		goto out;
	}
	regs->x[0] = SMC_UNKNOWN;
	if (rc.current != RC_GPT_PRIV)
		goto out;
	for (size_t i = 0; i < ARRAY_SIZE(rc_priv_calls); i++) {
		if (rc_priv_calls[i].fid == fid) {
			rc_priv_calls[i].fn(regs);
			break;
		}
	}
out:
	monitor_gpt_unlock();
}
