/*
 * Helpers shared by the RTT, DATA and RIPAS tests (test_rmm_rtt*.c,
 * test_rmm_data.c, test_rmm_ripas.c): RMI wrappers that name the command,
 * reads of RMM internals (granule state, refcounts, the RD), the realm's
 * stage-2 configuration for the platform walker, and the invariant check.
 * Static functions only: each test binary includes it once.
 */
#ifndef TEST_RMM_RTT_UTIL_H
#define TEST_RMM_RTT_UTIL_H

#include "common/harness.h"
#include "common/invariants.h"

#include <stdio.h>
#include <string.h>

#include "arch/s2tt.h"
#include "plat/plat.h"
#include "rmm/granule.h"
#include "rmm/realm.h"
#include "rmm/rec.h"
#include "rmm/rtt.h"
#include "rmm/s2tte.h"

#define HOSTILE (~0ULL)
/* Default realm (th_default_params): s2sz 40, start level 1, 2 roots. */
#define NS_BASE (1ULL << 39) /* first unprotected IPA */
#define IPA_TOP (1ULL << 40)
#define L1 RTT_LEVEL_SIZE(1)
#define L2 RTT_LEVEL_SIZE(2)
#define L3 RTT_LEVEL_SIZE(3)

#define ERR_RTT(l) RMI_STATUS(RMI_ERROR_RTT, (l))

static inline void __attribute__((unused)) inv_ok(void)
{
	char why[4096];

	if (inv_check(why, sizeof(why)) != 0) {
		fprintf(stderr, "invariants violated:\n%s\n", why);
		fail();
	}
}

/*
 * One machine per test binary (cmocka group setup/teardown); each test
 * builds its own realms. (Rebooting per test is avoided: the invariant
 * checker caches a pointer into the GPT that a reboot of the same layout
 * leaves dangling.)
 */
static inline int __attribute__((unused)) rtt_group_setup(void **state)
{
	th_boot(512ULL << 20);
	inv_reset();
	return 0;
}

static inline int __attribute__((unused)) rtt_group_teardown(void **state)
{
	th_shutdown();
	return 0;
}

static inline int __attribute__((unused)) gstate(uint64_t pa)
{
	struct granule *g = granule_find(pa);

	assert_non_null(g);
	return (int)granule_get_state(g);
}

static inline unsigned __attribute__((unused)) refcount(uint64_t pa)
{
	struct granule *g = granule_find(pa);

	assert_non_null(g);
	return granule_refcount_read(g);
}

/* The RD behind a realm (RMM internals: tests read, never write, unless said). */
static inline struct rd *__attribute__((unused)) rd_of(const struct th_realm *r)
{
	return rd_map(granule_find(r->rd));
}

static inline void __attribute__((unused)) rim_of(const struct th_realm *r, uint8_t out[64])
{
	memcpy(out, rd_of(r)->measurement[MEASUREMENT_RIM_INDEX], 64);
}

/* Is the granule all zeros (Realm PAS read)? */
static inline bool __attribute__((unused)) realm_zero(uint64_t pa)
{
	static uint8_t buf[GRANULE_SIZE], zeros[GRANULE_SIZE];

	assert_int_equal(plat_read(PAS_REALM, pa, buf, GRANULE_SIZE, NULL), 0);
	return memcmp(buf, zeros, GRANULE_SIZE) == 0;
}

static inline void __attribute__((unused)) new_realm(struct th_realm *r)
{
	assert_int_equal(th_realm_create(r, NULL), RMI_SUCCESS);
}

/* ---- RMI wrappers ---------------------------------------------------- */

static inline uint64_t __attribute__((unused))
rtt_create(const struct th_realm *r, uint64_t rtt, uint64_t ipa, uint64_t level)
{
	return th_rmi(SMC_RMI_RTT_CREATE, r->rd, rtt, ipa, level, 0, 0, NULL);
}

/* RTT_CREATE with a fresh delegated granule; returns its PA, asserts success. */
static inline uint64_t __attribute__((unused))
rtt_new(const struct th_realm *r, uint64_t ipa, long level)
{
	uint64_t rtt = th_delegated_granule();

	assert_int_equal(
		rtt_create(r, rtt, ALIGN_DOWN(ipa, RTT_LEVEL_SIZE(level - 1)), (uint64_t)level),
		RMI_SUCCESS);
	return rtt;
}

static inline uint64_t __attribute__((unused))
rtt_destroy(const struct th_realm *r, uint64_t ipa, uint64_t level, struct smc_regs *res)
{
	return th_rmi(SMC_RMI_RTT_DESTROY, r->rd, ipa, level, 0, 0, 0, res);
}

static inline uint64_t __attribute__((unused))
rtt_fold(const struct th_realm *r, uint64_t ipa, uint64_t level, struct smc_regs *res)
{
	return th_rmi(SMC_RMI_RTT_FOLD, r->rd, ipa, level, 0, 0, 0, res);
}

static inline uint64_t __attribute__((unused))
map_ns(const struct th_realm *r, uint64_t ipa, uint64_t level, uint64_t desc)
{
	return th_rmi(SMC_RMI_RTT_MAP_UNPROTECTED, r->rd, ipa, level, desc, 0, 0, NULL);
}

static inline uint64_t __attribute__((unused))
unmap_ns(const struct th_realm *r, uint64_t ipa, uint64_t level, struct smc_regs *res)
{
	return th_rmi(SMC_RMI_RTT_UNMAP_UNPROTECTED, r->rd, ipa, level, 0, 0, 0, res);
}

static inline uint64_t __attribute__((unused))
init_ripas(const struct th_realm *r, uint64_t base, uint64_t top, struct smc_regs *res)
{
	return th_rmi(SMC_RMI_RTT_INIT_RIPAS, r->rd, base, top, 0, 0, 0, res);
}

static inline uint64_t __attribute__((unused))
data_unknown(const struct th_realm *r, uint64_t data, uint64_t ipa)
{
	return th_rmi(SMC_RMI_DATA_CREATE_UNKNOWN, r->rd, data, ipa, 0, 0, 0, NULL);
}

static inline uint64_t __attribute__((unused))
data_destroy(const struct th_realm *r, uint64_t ipa, struct smc_regs *res)
{
	return th_rmi(SMC_RMI_DATA_DESTROY, r->rd, ipa, 0, 0, 0, 0, res);
}

/* An RTT entry as RTT_READ_ENTRY reports it. */
struct entry {
	uint64_t level, state, desc, ripas;
};

static inline struct entry __attribute__((unused))
read_entry(const struct th_realm *r, uint64_t ipa, long level)
{
	struct smc_regs res;
	struct entry e;

	assert_int_equal(th_rmi(SMC_RMI_RTT_READ_ENTRY, r->rd, ipa, (uint64_t)level, 0, 0, 0, &res),
			 RMI_SUCCESS);
	e.level = res.x[1];
	e.state = res.x[2];
	e.desc = res.x[3];
	e.ripas = res.x[4];
	return e;
}

static inline void __attribute__((unused))
expect_entry(const struct th_realm *r, uint64_t ipa, long level, uint64_t walk_level,
	     uint64_t state, uint64_t desc, uint64_t ripas)
{
	struct entry e = read_entry(r, ipa, level);

	assert_int_equal(e.level, walk_level);
	assert_int_equal(e.state, state);
	assert_int_equal(e.desc, desc);
	assert_int_equal(e.ripas, ripas);
}

/* ---- the platform's stage-2 walker on the realm's tables ------------- */

static inline struct plat_s2_config __attribute__((unused)) s2cfg(const struct th_realm *r)
{
	struct plat_s2_config c = {
		.rtt_base = r->rtt_base,
		.rtt_level_start = r->rtt_level_start,
		.rtt_num_start = r->rtt_num_start,
		.ipa_bits = r->ipa_bits,
		.vmid = (uint16_t)r->vmid,
	};
	return c;
}

/* plat_s2_translate: 0 with *pa / *pas, or -EFAULT with *esr. */
static inline int __attribute__((unused))
s2_translate(const struct th_realm *r, uint64_t ipa, bool write, uint64_t *pa, enum pas *pas,
	     uint64_t *esr)
{
	struct plat_s2_config c = s2cfg(r);
	struct plat_exception exc = {0};
	uint64_t p = 0;
	enum pas ps = PAS_SECURE;
	int ret = plat_s2_translate(&c, ipa, write, &p, &ps, &exc);

	if (pa)
		*pa = p;
	if (pas)
		*pas = ps;
	if (esr)
		*esr = exc.esr;
	return ret;
}

/* The walker maps ipa to realm PA pa (read and write). */
static inline void __attribute__((unused))
expect_mapped(const struct th_realm *r, uint64_t ipa, uint64_t pa, enum pas want_pas)
{
	uint64_t got;
	enum pas pas;

	assert_int_equal(s2_translate(r, ipa, false, &got, &pas, NULL), 0);
	assert_int_equal(got, pa);
	assert_int_equal(pas, want_pas);
	assert_int_equal(s2_translate(r, ipa, true, &got, &pas, NULL), 0);
	assert_int_equal(got, pa);
}

static inline void __attribute__((unused)) expect_unmapped(const struct th_realm *r, uint64_t ipa)
{
	assert_int_not_equal(s2_translate(r, ipa, false, NULL, NULL, NULL), 0);
	assert_int_not_equal(s2_translate(r, ipa, true, NULL, NULL, NULL), 0);
}

#endif /* TEST_RMM_RTT_UTIL_H */
