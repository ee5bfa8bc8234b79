/*
 * Shared by the RContainer tests (test_minios*.c, test_monitor_rc*.c): boot
 * a machine with the mini-OS registered, issue rc_* calls as the
 * deprivileged OS does (SMC_RC_ENTER from the Normal world), and check the
 * GPT rule of every con-shim against a model of who owns which granule.
 * Static functions: each test binary includes it once.
 */
#ifndef TESTS_MINIOS_TEST_UTIL_H
#define TESTS_MINIOS_TEST_UTIL_H

#include "common/harness.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/gpt.h"
#include "arch/rcontainer.h"
#include "minios/minios.h"
#include "monitor/rc_gpt.h"
#include "plat/plat.h"

static const struct monitor_minios_image mt_image = {
	.boot = minios_boot,
	.handle_call = minios_handle_call,
};

/* Model: owner of each DRAM granule the tests touched. */
enum { MT_OS = 0, MT_MINIOS = 0xFFFF, MT_EL3 = 0xFFFE };
#define MT_MAX_SHIMS 128 /* the mini-OS has no fixed cap: test_minios_grow makes 100 */

static struct {
	uint64_t base, size;  /* mini-OS memory */
	uint64_t ngran;
	uint16_t *owner;      /* MT_OS, MT_MINIOS, MT_EL3 or model shim index + 1 */
	uint8_t *touched;     /* ever not the OS's: checked for NS in every GPT */
	struct {
		uint64_t handle, gpt;
		bool live;
	} shim[MT_MAX_SHIMS];
} mt;

static inline uint64_t mt_gidx(uint64_t pa)
{
	return (pa - plat_dram_base()) >> GRANULE_SHIFT;
}

static inline void mt_set_owner(uint64_t pa, uint64_t n, uint16_t owner)
{
	for (uint64_t i = 0; i < n; i++) {
		mt.owner[mt_gidx(pa) + i] = owner;
		mt.touched[mt_gidx(pa) + i] = 1;
	}
}

/* Boot a machine of dram bytes (0: the harness default) with the mini-OS. */
static inline void mt_boot(uint64_t dram)
{
	th_boot(dram);
	mt.ngran = plat_dram_size() >> GRANULE_SHIFT;
	mt.owner = calloc(mt.ngran, sizeof(*mt.owner));
	mt.touched = calloc(mt.ngran, 1);
	assert_non_null(mt.owner);
	assert_non_null(mt.touched);
	memset(mt.shim, 0, sizeof(mt.shim));
	mt.size = ALIGN_UP(minios_required_size(), GRANULE_SIZE) + 16 * GRANULE_SIZE;
	mt.base = host_granules_alloc((unsigned)(mt.size >> GRANULE_SHIFT), GRANULE_SIZE);
	assert_true(mt.base != 0);
	assert_int_equal(monitor_rc_register(&mt_image, mt.base, mt.size), 0);
	mt_set_owner(mt.base, mt.size >> GRANULE_SHIFT, MT_MINIOS);
}

static inline void mt_shutdown(void)
{
	th_shutdown();
	minios_shutdown();
	free(mt.owner);
	free(mt.touched);
	mt.owner = NULL;
	mt.touched = NULL;
}

/* cmocka setup/teardown: a fresh machine with the mini-OS per test. */
static inline int mt_setup(void **state)
{
	mt_boot(0);
	return 0;
}

static inline int mt_teardown(void **state)
{
	mt_shutdown();
	return 0;
}

/* One rc_* call from the deprivileged OS: returns x0 (RC_*), *res the registers. */
static inline uint64_t mt_rc(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5,
		      struct smc_regs *res)
{
	return plat_smc6(PAS_NS, SMC_RC_ENTER, fn, a1, a2, a3, a4, a5, res);
}

/* n zeroed contiguous OS granules (host allocator). */
static inline uint64_t mt_os_granules(unsigned n)
{
	uint64_t pa = host_granules_alloc(n, GRANULE_SIZE);

	assert_true(pa != 0);
	return pa;
}

/* Record the shim a successful rc_create_shim returned in r; its model index. */
static inline unsigned mt_adopt_shim(const struct smc_regs *r)
{
	unsigned k;

	for (k = 0; k < MT_MAX_SHIMS && mt.shim[k].live; k++)
		;
	assert_true(k < MT_MAX_SHIMS);
	mt.shim[k].handle = r->x[1];
	mt.shim[k].gpt = r->x[2];
	mt.shim[k].live = true;
	return k;
}

/* rc_create_shim, asserted; returns the model index. */
static inline unsigned mt_create_shim(void)
{
	struct smc_regs r;

	assert_int_equal(mt_rc(RC_FN_CREATE_SHIM, 0, 0, 0, 0, 0, &r), RC_SUCCESS);
	return mt_adopt_shim(&r);
}

/* Model shim k was destroyed: its granules are the OS's again. */
static inline void mt_forget_shim(unsigned k)
{
	mt.shim[k].live = false;
	for (uint64_t i = 0; i < mt.ngran; i++)
		if (mt.owner[i] == k + 1)
			mt.owner[i] = MT_OS;
}

/* Donate n fresh OS granules to model shim k; returns their base. */
static inline uint64_t mt_donate(unsigned k, unsigned n)
{
	uint64_t pa = mt_os_granules(n);

	assert_int_equal(mt_rc(RC_FN_MALLOC_MM, mt.shim[k].handle, pa, n, RC_MM_DONATE, 0, NULL),
			 RC_SUCCESS);
	mt_set_owner(pa, n, (uint16_t)(k + 1));
	return pa;
}

/*
 * The GPT rule, against the model, for every granule ever not the OS's:
 * a con-shim granule is NS in the Priv-GPT and its own shim-GPT, NO_ACCESS
 * in the OS-GPT and every other shim-GPT; mini-OS memory NO_ACCESS
 * everywhere but the Priv-GPT; EL3's pool ROOT everywhere; the OS's NS
 * everywhere. The OS-GPT must be current, and its GPC (TLB included) must
 * refuse the Normal world every granule it does not own. The EL3 pool
 * accounting must match the live shims. Returns NULL or what broke.
 */
static inline const char *mt_check(void)
{
	static char why[256];
	struct monitor_rc_stats st;
	unsigned live = 0;

	monitor_rc_get_stats(&st);
	if (st.current != RC_GPT_OS)
		return "the OS-GPT is not current between calls";
	for (unsigned k = 0; k < MT_MAX_SHIMS; k++)
		live += mt.shim[k].live;
	if (st.gpts_live != 2 + live || st.bytes_used != (1 + live) * st.slot_bytes)
		return "EL3 GPT accounting does not match the live con-shims";
	for (uint64_t i = 0; i < mt.ngran; i++) {
		uint64_t pa = plat_dram_base() + (i << GRANULE_SHIFT);
		unsigned o = mt.owner[i];

		if (!mt.touched[i])
			continue;
		for (int64_t g = -2; g < MT_MAX_SHIMS; g++) {
			uint64_t idx = g == -2 ? RC_GPT_PRIV : g == -1 ? RC_GPT_OS : mt.shim[g].gpt;
			int want, got;

			if (g >= 0 && !mt.shim[g].live)
				continue;
			if (o == MT_EL3)
				want = GPI_ROOT;
			else if (o == MT_OS || g == -2)
				want = GPI_NS;
			else if (o == MT_MINIOS || g == -1)
				want = GPI_NO_ACCESS;
			else
				want = (int64_t)o - 1 == g ? GPI_NS : GPI_NO_ACCESS;
			got = monitor_rc_read_gpi(idx, pa);
			if (got != want) {
				snprintf(why, sizeof(why),
					 "granule %#" PRIx64 " (owner %u) has GPI %d in GPT %" PRIu64
					 ", not %d",
					 pa, o, got, idx, want);
				return why;
			}
		}
		if ((plat_gpc_check(PAS_NS, pa, NULL) == 0) != (o == MT_OS)) {
			snprintf(why, sizeof(why), "NS access to granule %#" PRIx64 " (owner %u) %s",
				 pa, o, o == MT_OS ? "refused" : "allowed under the OS-GPT");
			return why;
		}
	}
	return NULL;
}

#define MT_CHECK()                                                                                 \
	do {                                                                                       \
		const char *why_ = mt_check();                                                     \
		if (why_)                                                                          \
			fail_msg("GPT invariant: %s", why_);                                       \
	} while (0)

/* A code page: the A64 words given, then BRK #0 to the end. */
static inline void mt_code(uint32_t *page, const uint32_t *words, unsigned n)
{
	for (unsigned i = 0; i < GRANULE_SIZE / 4; i++)
		page[i] = i < n ? words[i] : 0xD4200000; /* brk #0 */
}

#endif /* TESTS_MINIOS_TEST_UTIL_H */
