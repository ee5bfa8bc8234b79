/*
 * The EL3 monitor: memory layout and GPT bring-up at boot, the SMC vector
 * (RMI forwarding from the Normal world, the RMM's EL3 interface) and the
 * GTSI delegate/undelegate sequences of cca-spec §7.
 *
 * State: a handful of scalars below (layout bounds, the boot GPT's
 * geometry, the RMM entry points, the GPT lock). The GPT itself lives in
 * Root memory at the start of DRAM.
 */
#include "monitor/monitor.h"

#include "arch/gpt.h"
#include "arch/rcontainer.h"
#include "lib/assert.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/spinlock.h"
#include "monitor/attest.h"
#include "monitor/gpt.h"
#include "monitor/rc_gpt.h"
#include "plat/plat.h"

#define SZ_2M (2ULL << 20)

/* GPCCR_EL3 attributes of the table walks: write-back cacheable, inner shareable. */
#define MON_GPCCR_IRGN_WBRAWA 1ULL
#define MON_GPCCR_ORGN_WBRAWA 1ULL
#define MON_GPCCR_SH_IS 3ULL

/* Root memory after the GPT: one granule of monitor data (reserved). */
#define MON_DATA_BYTES GRANULE_SIZE

static const struct monitor_rmm_image *mon_rmm; /* set once the RMM has booted */
static bool mon_rmm_booting;			/* BOOT_COMPLETE accepted */
static bool mon_boot_completed;
static uint64_t mon_boot_status; /* x1 of BOOT_COMPLETE */
static struct monitor_layout mon_layout;
static struct gpt mon_gpt; /* the boot GPT (GPTBR points here) */
static spinlock_t mon_gpt_lock = SPINLOCK_INIT;

/* ---- Boot ------------------------------------------------------------- */

/* Default RMM region when the RMM does not say: 64 bytes per granule, >= 2 MiB. */
static uint64_t default_rmm_size(uint64_t dram_size)
{
	uint64_t sz = ALIGN_UP(dram_size / 64, SZ_2M);

	return sz ? sz : SZ_2M;
}

/* Root memory: L0 table, L1 tables, monitor data; rounded up to 2 MiB. */
static int plan_layout(uint64_t dram_base, uint64_t dram_size, uint64_t rmm_size, unsigned pps,
		       struct monitor_layout *l, uint64_t *l1_pa)
{
	uint64_t l0_bytes = gpt_l0_bytes(pps);
	uint64_t l1_bytes = gpt_l1_tables_needed(dram_base, dram_size) * GPT_L1_TABLE_BYTES;
	uint64_t root_size = ALIGN_UP(l0_bytes + l1_bytes + MON_DATA_BYTES, SZ_2M);

	rmm_size = ALIGN_UP(rmm_size ? rmm_size : default_rmm_size(dram_size), SZ_2M);
	if (root_size > dram_size || rmm_size > dram_size - root_size ||
	    dram_size - root_size - rmm_size < SZ_2M)
		return -ENOMEM; /* no room left for the Normal world */
	l->root_base = dram_base;
	l->root_size = root_size;
	l->rmm_base = dram_base + root_size;
	l->rmm_size = rmm_size;
	l->ns_base = l->rmm_base + rmm_size;
	l->ns_size = dram_base + dram_size - l->ns_base;
	l->gpt_bytes = l0_bytes + l1_bytes;
	*l1_pa = dram_base + l0_bytes;
	return 0;
}

/* The GPC enable sequence of cca-spec §7. */
static void gpc_enable(const struct gpt *g)
{
	uint64_t gpccr = INSERT_BITS(g->pps, 2, 0) | (MON_GPCCR_IRGN_WBRAWA << GPCCR_IRGN_SHIFT) |
			 (MON_GPCCR_ORGN_WBRAWA << GPCCR_ORGN_SHIFT) |
			 (MON_GPCCR_SH_IS << GPCCR_SH_SHIFT) |
			 ((uint64_t)GPCCR_PGS_4K << GPCCR_PGS_SHIFT) |
			 ((uint64_t)GPT_L0GPTSZ_ENC << GPCCR_L0GPTSZ_SHIFT);

	plat_write_gptbr(GPTBR_FROM_PA(g->l0_pa));
	plat_dsb();
	plat_write_gpccr(gpccr);
	plat_isb();
	plat_tlbi_paallos();
	plat_dsb();
	plat_isb();
	plat_write_gpccr(gpccr | GPCCR_GPC);
	plat_isb();
	plat_tlbi_paallos();
	plat_dsb();
	plat_isb();
	/* Devices: the SMMU checks their accesses against the same GPT. */
	plat_smmu_write_gpt_base(GPTBR_FROM_PA(g->l0_pa));
	plat_smmu_write_gpcen(true);
}

static void mon_forget(void)
{
	plat_set_el3_vector(NULL);
	mon_rmm = NULL;
	mon_rmm_booting = false;
	mon_boot_completed = false;
	mon_boot_status = 0;
	mon_layout = (struct monitor_layout){0};
	mon_gpt = (struct gpt){0};
	rc_gpt_reset();
}

int monitor_boot(const struct monitor_rmm_image *rmm, uint64_t rmm_size, struct monitor_layout *out)
{
	uint64_t dram_base = plat_dram_base(), dram_size = plat_dram_size();
	struct monitor_layout l;
	struct gpt g;
	uint64_t l1_pa;
	int pps, ret;

	if (!rmm || !rmm->boot || !rmm->handle_rmi || dram_size == 0 ||
	    !IS_ALIGNED(dram_base, SZ_2M) || !IS_ALIGNED(dram_size, SZ_2M))
		return -EINVAL;
	if (plat_read_gpccr() & GPCCR_GPC)
		return -EBUSY; /* already booted: the platform must be reset first */
	pps = gpt_pps_for_top(dram_base + dram_size);
	if (pps < 0)
		return pps;
	ret = plan_layout(dram_base, dram_size, rmm_size, (unsigned)pps, &l, &l1_pa);
	if (ret)
		return ret;

	const struct gpt_region regions[] = {
		{l.root_base, l.root_size, GPI_ROOT},
		{l.rmm_base, l.rmm_size, GPI_REALM},
		{l.ns_base, l.ns_size, GPI_NS},
	};
	ret = gpt_build(&g, (unsigned)pps, l.root_base, l1_pa, dram_base, dram_size, regions,
			ARRAY_SIZE(regions));
	if (ret)
		return ret;
	/* Zero the monitor data granule(s) after the tables. */
	if (plat_zero(PAS_ROOT, l.root_base + l.gpt_bytes, l.root_size - l.gpt_bytes, NULL))
		return -EFAULT;
	gpc_enable(&g);

	spinlock_acquire(&mon_gpt_lock);
	mon_gpt = g;
	mon_layout = l;
	spinlock_release(&mon_gpt_lock);
	lib_log(LOG_INFO, "monitor",
		"GPT enabled: PPS %u bits, L0 at 0x%llx, %llu KiB of tables; root 0x%llx+0x%llx, "
		"rmm 0x%llx+0x%llx, ns 0x%llx+0x%llx",
		g.pps_bits, (unsigned long long)g.l0_pa, (unsigned long long)(l.gpt_bytes >> 10),
		(unsigned long long)l.root_base, (unsigned long long)l.root_size,
		(unsigned long long)l.rmm_base, (unsigned long long)l.rmm_size,
		(unsigned long long)l.ns_base, (unsigned long long)l.ns_size);

	/* The vector goes in first: the RMM may call EL3 while it boots. */
	plat_set_el3_vector(monitor_smc_handler);
	mon_rmm_booting = true;
	plat_count(PLAT_CNT_WORLD_SWITCH);
	ret = rmm->boot(l.rmm_base, l.rmm_size, dram_base, dram_size);
	plat_count(PLAT_CNT_WORLD_SWITCH);
	mon_rmm_booting = false;
	if (ret == 0 && mon_boot_completed && mon_boot_status != 0) {
		lib_log(LOG_ERROR, "monitor", "RMM reported boot status %lld",
			(long long)mon_boot_status);
		ret = -EIO;
	}
	if (ret) {
		lib_log(LOG_ERROR, "monitor", "RMM boot failed: %d", ret);
		mon_forget();
		return ret;
	}
	mon_rmm = rmm;
	if (out)
		*out = l;
	return 0;
}

void monitor_shutdown(void)
{
	spinlock_acquire(&mon_gpt_lock);
	mon_forget();
	spinlock_release(&mon_gpt_lock);
}

int monitor_gpt_read_gpi(uint64_t pa)
{
	int ret;

	spinlock_acquire(&mon_gpt_lock);
	ret = mon_gpt.pps_bits ? gpt_get_gpi(&mon_gpt, pa) : -EINVAL;
	spinlock_release(&mon_gpt_lock);
	return ret;
}

/* ---- For the RContainer GPTs (rc_gpt.h) ------------------------------ */

const struct gpt *monitor_boot_gpt(void)
{
	return &mon_gpt;
}

void monitor_gpt_lock(void)
{
	spinlock_acquire(&mon_gpt_lock);
}

void monitor_gpt_unlock(void)
{
	spinlock_release(&mon_gpt_lock);
}

void monitor_root_spare(uint64_t *base, uint64_t *size)
{
	uint64_t used = mon_layout.gpt_bytes + MON_DATA_BYTES;

	*base = mon_layout.root_base + used;
	*size = mon_layout.root_size > used ? mon_layout.root_size - used : 0;
}

bool monitor_pa_reserved(uint64_t pa)
{
	return (pa >= mon_layout.root_base && pa - mon_layout.root_base < mon_layout.root_size) ||
	       (pa >= mon_layout.rmm_base && pa - mon_layout.rmm_base < mon_layout.rmm_size);
}

/* ---- GTSI: changing a granule's PAS for the RMM ----------------------- */

/*
 * May the GTSI change the GPI of the granule at pa? 0, or -EINVAL for an
 * unaligned PA, one outside DRAM, or one in the monitor's or the RMM's own
 * memory (never handed out).
 */
static int gtsi_check_addr(uint64_t pa)
{
	if (!IS_ALIGNED(pa, GRANULE_SIZE) || !plat_pa_in_dram(pa, GRANULE_SIZE))
		return -EINVAL;
	if ((pa >= mon_layout.root_base && pa - mon_layout.root_base < mon_layout.root_size) ||
	    (pa >= mon_layout.rmm_base && pa - mon_layout.rmm_base < mon_layout.rmm_size))
		return -EINVAL;
	return 0;
}

/* Write a GPI and make the GPC see it: TLBI RPALOS + DSB OSH. */
static int gtsi_write_gpi(uint64_t pa, unsigned gpi)
{
	int ret = gpt_set_gpi(&mon_gpt, pa, gpi);

	if (ret)
		return ret;
	rc_gpt_gtsi_propagate(pa, gpi); /* the RContainer GPTs agree on Realm granules */
	plat_tlbi_rpalos(pa, GRANULE_SIZE);
	plat_dsb();
	return 0;
}

/* Check the address and that its current GPI is `expect` (-EPERM if not). */
static int gtsi_check(uint64_t pa, unsigned expect)
{
	int gpi, ret = gtsi_check_addr(pa);

	if (ret)
		return ret;
	gpi = gpt_get_gpi(&mon_gpt, pa);
	if (gpi < 0)
		return gpi;
	if (gpi != (int)expect)
		return -EPERM;
	return rc_gpt_gtsi_check(pa, expect); /* e.g. a con-shim granule is not the host's */
}

/* NS -> Realm. Returns 0, -EINVAL (address), -EPERM (not NS). */
static int gtsi_delegate(uint64_t pa)
{
	int ret;

	spinlock_acquire(&mon_gpt_lock);
	ret = gtsi_check(pa, GPI_NS);
	if (ret)
		goto out;
	plat_dc_cipapa(PAS_REALM, pa);
	ret = gtsi_write_gpi(pa, GPI_REALM);
	if (ret)
		goto out;
	plat_dc_cipapa(PAS_NS, pa);
	plat_count(PLAT_CNT_DELEGATE);
out:
	spinlock_release(&mon_gpt_lock);
	return ret;
}

/*
 * Realm -> NS, through NO_ACCESS so that no alias is reachable while the
 * caches are cleaned. Returns 0, -EINVAL (address), -EPERM (not Realm).
 */
static int gtsi_undelegate(uint64_t pa)
{
	int ret;

	spinlock_acquire(&mon_gpt_lock);
	ret = gtsi_check(pa, GPI_REALM);
	if (ret)
		goto out;
	ret = gtsi_write_gpi(pa, GPI_NO_ACCESS);
	if (ret)
		goto out;
	plat_dc_cipapa(PAS_REALM, pa);
	plat_dc_cipapa(PAS_NS, pa);
	ret = gtsi_write_gpi(pa, GPI_NS);
	/* The same descriptor was written a moment ago under the lock. */
	ASSERT(ret == 0);
	plat_count(PLAT_CNT_UNDELEGATE);
out:
	spinlock_release(&mon_gpt_lock);
	return ret;
}

/* EL3 interface status for a GTSI result (cca-spec §7). */
static uint64_t gtsi_status(int ret)
{
	switch (ret) {
	case 0:
		return E_RMM_OK;
	case -EPERM:
		return (uint64_t)E_RMM_BAD_PAS;
	default: /* -EINVAL, or a GPT that cannot be walked there */
		return (uint64_t)E_RMM_BAD_ADDR;
	}
}

/* ---- SMC dispatch ----------------------------------------------------- */

typedef void (*smc_fn)(struct smc_regs *regs);

static void smc_unknown(struct smc_regs *regs)
{
	regs->x[0] = SMC_UNKNOWN;
}

/* From the Normal world: an RMI command for the RMM, in the Realm world. */
static void smc_rmi_forward(struct smc_regs *regs)
{
	const struct monitor_rmm_image *rmm = mon_rmm;

	if (!rmm) {
		regs->x[0] = SMC_UNKNOWN;
		return;
	}
	/* Enter the Realm world with the caller's x0..x10, and come back. */
	plat_count(PLAT_CNT_WORLD_SWITCH);
	rmm->handle_rmi(regs);
	plat_count(PLAT_CNT_WORLD_SWITCH);
	plat_count(PLAT_CNT_RMI);
}

static void smc_gtsi_delegate(struct smc_regs *regs)
{
	regs->x[0] = gtsi_status(gtsi_delegate(regs->x[1]));
}

static void smc_gtsi_undelegate(struct smc_regs *regs)
{
	regs->x[0] = gtsi_status(gtsi_undelegate(regs->x[1]));
}

/* EL3 feature register 0: no optional EL3 features. */
static void smc_el3_features(struct smc_regs *regs)
{
	if (regs->x[1] != 0) {
		regs->x[0] = (uint64_t)E_RMM_INVAL;
		return;
	}
	regs->x[0] = E_RMM_OK;
	regs->x[1] = 0;
}

/* The RMM's cold boot is over; x1 = its boot status (0 = success). */
static void smc_boot_complete(struct smc_regs *regs)
{
	if (!mon_rmm_booting || mon_boot_completed) {
		regs->x[0] = (uint64_t)E_RMM_INVAL;
		return;
	}
	mon_boot_completed = true;
	mon_boot_status = regs->x[1];
	regs->x[0] = E_RMM_OK;
}

/* Calls the Normal world may make: RMI fnum range, RMI_REQ_COMPLETE excluded. */
static const struct {
	uint64_t fnum_min, fnum_max;
	smc_fn fn;
} ns_ranges[] = {
	{SMC_RMI_FNUM_MIN, SMC_RMI_FNUM_MAX - 1, smc_rmi_forward},
	{SMC_RC_FNUM_MIN, SMC_RC_FNUM_MAX, rc_smc_dispatch}, /* RContainer (rc_gpt.c) */
};
COMPILER_ASSERT(SMC_FNUM(SMC_RMM_RMI_REQ_COMPLETE) == SMC_RMI_FNUM_MAX,
		"RMI_REQ_COMPLETE is the last RMI fnum, reserved to the RMM");

/* The EL3 interface for the RMM (cca-spec §7). */
static const struct {
	uint64_t fid;
	smc_fn fn;
} realm_calls[] = {
	{SMC_RMM_GTSI_DELEGATE, smc_gtsi_delegate},
	{SMC_RMM_GTSI_UNDELEGATE, smc_gtsi_undelegate},
	{SMC_RMM_ATTEST_GET_REALM_KEY, monitor_smc_attest_get_realm_key},
	{SMC_RMM_GET_PLAT_TOKEN, monitor_smc_attest_get_plat_token},
	{SMC_RMM_EL3_FEATURES, smc_el3_features},
	{SMC_RMM_BOOT_COMPLETE, smc_boot_complete},
};

static smc_fn lookup_ns(uint64_t fid)
{
	if (!SMC_IS_SMC64_FAST(fid))
		return smc_unknown;
	for (size_t i = 0; i < ARRAY_SIZE(ns_ranges); i++) {
		if (SMC_FNUM(fid) >= ns_ranges[i].fnum_min &&
		    SMC_FNUM(fid) <= ns_ranges[i].fnum_max)
			return ns_ranges[i].fn;
	}
	return smc_unknown;
}

static smc_fn lookup_realm(uint64_t fid)
{
	for (size_t i = 0; i < ARRAY_SIZE(realm_calls); i++) {
		if (realm_calls[i].fid == fid)
			return realm_calls[i].fn;
	}
	return smc_unknown;
}

void monitor_smc_handler(enum pas from, struct smc_regs *regs)
{
	smc_fn fn;

	switch (from) {
	case PAS_NS:
		fn = lookup_ns(regs->x[0]);
		break;
	case PAS_REALM:
		fn = lookup_realm(regs->x[0]);
		break;
	default:
		fn = smc_unknown;
		break;
	}
	fn(regs);
}
