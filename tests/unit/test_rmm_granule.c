/*
 * RMM granule tracking and GRANULE_DELEGATE / GRANULE_UNDELEGATE: the
 * NS <-> DELEGATED transitions through EL3, the zero invariant of DELEGATED
 * granules, refusals of every hostile address (state unchanged after each),
 * and the internals other RMM code relies on (find_lock_granules, refcounts,
 * NS buffer copies, VMIDs, boot sizing).
 */
#include "common/harness.h"
#include "common/fixtures.h"
#include "common/invariants.h"

#include <string.h>

#include "arch/gpt.h"
#include "lib/errno.h"
#include "monitor/monitor.h"
#include "plat/plat.h"
#include "rmm/granule.h"
#include "rmm/realm.h"
#include "rmm/rmm.h"
#include "rmm/rmm_private.h"

static uint64_t delegate(uint64_t pa)
{
	return th_rmi(SMC_RMI_GRANULE_DELEGATE, pa, 0, 0, 0, 0, 0, NULL);
}

static uint64_t undelegate(uint64_t pa)
{
	return th_rmi(SMC_RMI_GRANULE_UNDELEGATE, pa, 0, 0, 0, 0, 0, NULL);
}



static uint64_t dram_end(void)
{
	return th_layout.dram_base + th_layout.dram_size;
}

/* ---- DELEGATE --------------------------------------------------------- */

static void test_delegate_ok(void **state)
{
	uint8_t pattern[GRANULE_SIZE];
	uint64_t pa = th_ns_granule();

	memset(pattern, 0xA5, sizeof(pattern));
	assert_int_equal(host_mem_write(pa, pattern, sizeof(pattern)), 0);
	assert_int_equal(fx_granule_state(pa), GRANULE_STATE_NS);
	assert_int_equal(monitor_gpt_read_gpi(pa), GPI_NS);

	assert_int_equal(delegate(pa), RMI_SUCCESS);
	assert_int_equal(fx_granule_state(pa), GRANULE_STATE_DELEGATED);
	assert_int_equal(monitor_gpt_read_gpi(pa), GPI_REALM);
	/* The host lost it; the RMM sees zeros, never the old content. */
	assert_int_not_equal(host_mem_read(pa, pattern, 8), 0);
	assert_true(fx_realm_granule_zero(pa));
	assert_int_equal(granule_refcount_read(granule_find(pa)), 0);
}

static void test_delegate_twice(void **state)
{
	uint64_t pa = th_delegated_granule();

	assert_int_equal(delegate(pa), RMI_ERROR_INPUT);
	assert_int_equal(fx_granule_state(pa), GRANULE_STATE_DELEGATED);
	assert_int_equal(monitor_gpt_read_gpi(pa), GPI_REALM);
	assert_true(fx_realm_granule_zero(pa));
}

static void test_delegate_bad_addresses(void **state)
{
	uint64_t ns = th_ns_granule();
	const uint64_t bad[] = {
		0,
		th_layout.dram_base - GRANULE_SIZE,
		th_layout.dram_base + 1,
		ns + 8,
		ns + GRANULE_SIZE - 1,
		dram_end(),
		dram_end() + GRANULE_SIZE,
		~0ULL,
		~0ULL & ~GRANULE_MASK,
		1ULL << 63,
		th_layout.dram_base + (1ULL << 48),
	};
	uint64_t rmi_before = plat_counter_read(PLAT_CNT_DELEGATE);

	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(delegate(bad[i]), RMI_ERROR_INPUT);
	/* The aligned NS granule near the unaligned addresses is still NS. */
	assert_int_equal(fx_granule_state(ns), GRANULE_STATE_NS);
	assert_int_equal(plat_counter_read(PLAT_CNT_DELEGATE), rmi_before);
	assert_int_equal(delegate(ns), RMI_SUCCESS);
	fx_inv_assert();
}

/* Root and RMM memory are not NS: EL3 refuses them, nothing changes. */
static void test_delegate_root_and_rmm_regions(void **state)
{
	const uint64_t pas[] = {
		th_layout.root_base,
		th_layout.root_base + th_layout.root_size - GRANULE_SIZE,
		th_layout.rmm_base,
		th_layout.rmm_base + th_layout.rmm_size - GRANULE_SIZE,
	};

	for (unsigned i = 0; i < ARRAY_SIZE(pas); i++) {
		int gpi = monitor_gpt_read_gpi(pas[i]);

		assert_int_equal(delegate(pas[i]), RMI_ERROR_INPUT);
		assert_int_equal(fx_granule_state(pas[i]), GRANULE_STATE_NS);
		assert_int_equal(monitor_gpt_read_gpi(pas[i]), gpi);
		assert_int_equal(undelegate(pas[i]), RMI_ERROR_INPUT);
		assert_int_equal(monitor_gpt_read_gpi(pas[i]), gpi);
	}
	fx_inv_assert();
	/* The RMM's own tables still work after the attempts. */
	assert_int_equal(delegate(th_ns_granule()), RMI_SUCCESS);
}

/* The last granule of DRAM is delegatable; the one after it does not exist. */
static void test_delegate_last_dram_granule(void **state)
{
	uint64_t last = dram_end() - GRANULE_SIZE;

	if (last < th_layout.ns_base || last >= th_layout.ns_base + th_layout.ns_size)
		skip();
	assert_int_equal(delegate(last), RMI_SUCCESS);
	assert_int_equal(fx_granule_state(last), GRANULE_STATE_DELEGATED);
	assert_true(fx_realm_granule_zero(last));
	assert_int_equal(undelegate(last), RMI_SUCCESS);
	assert_int_equal(undelegate(dram_end()), RMI_ERROR_INPUT);
}

/* ---- UNDELEGATE ------------------------------------------------------- */

static void test_undelegate_ok(void **state)
{
	uint64_t pa = th_delegated_granule();
	uint8_t buf[GRANULE_SIZE], zeros[GRANULE_SIZE] = { 0 };

	assert_int_equal(undelegate(pa), RMI_SUCCESS);
	assert_int_equal(fx_granule_state(pa), GRANULE_STATE_NS);
	assert_int_equal(monitor_gpt_read_gpi(pa), GPI_NS);
	assert_int_equal(host_mem_read(pa, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, zeros, sizeof(buf));
	/* And it can go round again. */
	assert_int_equal(delegate(pa), RMI_SUCCESS);
	assert_int_equal(undelegate(pa), RMI_SUCCESS);
	host_granule_free(pa);
}

static void test_undelegate_ns(void **state)
{
	uint64_t pa = th_ns_granule();

	assert_int_equal(undelegate(pa), RMI_ERROR_INPUT);
	assert_int_equal(fx_granule_state(pa), GRANULE_STATE_NS);
	assert_int_equal(monitor_gpt_read_gpi(pa), GPI_NS);
}

static void test_undelegate_bad_addresses(void **state)
{
	uint64_t pa = th_delegated_granule();
	const uint64_t bad[] = { pa + 1, pa + GRANULE_SIZE / 2, 0, dram_end(), ~0ULL,
				 th_layout.dram_base - GRANULE_SIZE };

	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++)
		assert_int_equal(undelegate(bad[i]), RMI_ERROR_INPUT);
	assert_int_equal(fx_granule_state(pa), GRANULE_STATE_DELEGATED);
	assert_true(fx_realm_granule_zero(pa));
}

/* RD, root RTTs, REC and aux granules belong to a realm: not undelegatable. */
static void test_undelegate_realm_granules(void **state)
{
	struct th_realm r;
	struct rmi_rec_params p;
	uint64_t rec = th_delegated_granule(), params = th_ns_granule();

	assert_int_equal(th_realm_create(&r, NULL), RMI_SUCCESS);
	assert_int_equal(undelegate(r.rd), RMI_ERROR_INPUT);
	assert_int_equal(fx_granule_state(r.rd), GRANULE_STATE_RD);
	for (unsigned i = 0; i < r.rtt_num_start; i++) {
		assert_int_equal(undelegate(r.rtt_base + i * GRANULE_SIZE), RMI_ERROR_INPUT);
		assert_int_equal(fx_granule_state(r.rtt_base + i * GRANULE_SIZE), GRANULE_STATE_RTT);
		assert_int_equal(delegate(r.rtt_base + i * GRANULE_SIZE), RMI_ERROR_INPUT);
	}
	assert_int_equal(delegate(r.rd), RMI_ERROR_INPUT);

	memset(&p, 0, sizeof(p));
	p.flags = RMI_REC_FLAG_RUNNABLE;
	p.num_aux = RMI_REC_AUX_COUNT;
	for (unsigned i = 0; i < RMI_REC_AUX_COUNT; i++)
		p.aux[i] = th_delegated_granule();
	assert_int_equal(host_mem_write(params, &p, sizeof(p)), 0);
	assert_int_equal(th_rmi(SMC_RMI_REC_CREATE, r.rd, rec, params, 0, 0, 0, NULL), RMI_SUCCESS);
	assert_int_equal(undelegate(rec), RMI_ERROR_INPUT);
	assert_int_equal(fx_granule_state(rec), GRANULE_STATE_REC);
	assert_int_equal(undelegate(p.aux[0]), RMI_ERROR_INPUT);
	assert_int_equal(undelegate(p.aux[15]), RMI_ERROR_INPUT);
	assert_int_equal(fx_granule_state(p.aux[15]), GRANULE_STATE_REC_AUX);

	assert_int_equal(th_rmi(SMC_RMI_REC_DESTROY, rec, 0, 0, 0, 0, 0, NULL), RMI_SUCCESS);
	assert_int_equal(undelegate(rec), RMI_SUCCESS);
	for (unsigned i = 0; i < RMI_REC_AUX_COUNT; i++)
		assert_int_equal(undelegate(p.aux[i]), RMI_SUCCESS);
	assert_int_equal(th_rmi(SMC_RMI_REALM_DESTROY, r.rd, 0, 0, 0, 0, 0, NULL), RMI_SUCCESS);
	assert_int_equal(undelegate(r.rd), RMI_SUCCESS);
	for (unsigned i = 0; i < r.rtt_num_start; i++)
		assert_int_equal(undelegate(r.rtt_base + i * GRANULE_SIZE), RMI_SUCCESS);
}

/* ---- Internals -------------------------------------------------------- */

static void test_granule_find(void **state)
{
	uint64_t base = th_layout.dram_base;

	assert_int_equal(granule_count(), th_layout.dram_size / GRANULE_SIZE);
	assert_ptr_equal(granule_find(base), granule_at(0));
	assert_int_equal(granule_addr(granule_find(base + 5 * GRANULE_SIZE)), base + 5 * GRANULE_SIZE);
	assert_int_equal(granule_addr(granule_at(granule_count() - 1)), dram_end() - GRANULE_SIZE);
	assert_null(granule_at(granule_count()));
	assert_null(granule_find(base + 1));
	assert_null(granule_find(base - GRANULE_SIZE));
	assert_null(granule_find(dram_end()));
	assert_null(granule_find(~0ULL & ~GRANULE_MASK));
	assert_null(granule_find(0));
}

static bool is_locked(uint64_t pa)
{
	struct granule *g = granule_find(pa);

	if (!spinlock_try_acquire(&g->lock))
		return true;
	spinlock_release(&g->lock);
	return false;
}

static void test_find_lock_granules(void **state)
{
	uint64_t a = th_delegated_granule(), b = th_delegated_granule(), c = th_ns_granule();
	struct granule_set set[GRANULE_SET_MAX + 1];

	/* Out of order, mixed states: all locked, each g matches its entry. */
	set[0] = (struct granule_set){ .addr = b, .state = GRANULE_STATE_DELEGATED };
	set[1] = (struct granule_set){ .addr = c, .state = GRANULE_STATE_NS };
	set[2] = (struct granule_set){ .addr = a, .state = GRANULE_STATE_DELEGATED };
	assert_true(find_lock_granules(set, 3));
	assert_ptr_equal(set[0].g, granule_find(b));
	assert_ptr_equal(set[1].g, granule_find(c));
	assert_ptr_equal(set[2].g, granule_find(a));
	assert_true(is_locked(a) && is_locked(b) && is_locked(c));
	for (int i = 0; i < 3; i++)
		granule_unlock(set[i].g);
	assert_false(is_locked(a) || is_locked(b) || is_locked(c));

	/* A wrong state anywhere: none left locked. */
	set[1].state = GRANULE_STATE_DELEGATED;
	assert_false(find_lock_granules(set, 3));
	assert_false(is_locked(a) || is_locked(b) || is_locked(c));

	/* Aliasing. */
	set[1] = (struct granule_set){ .addr = a, .state = GRANULE_STATE_DELEGATED };
	assert_false(find_lock_granules(set, 3));
	assert_false(is_locked(a) || is_locked(b));

	/* Not a granule. */
	set[1] = (struct granule_set){ .addr = a + 8, .state = GRANULE_STATE_DELEGATED };
	assert_false(find_lock_granules(set, 3));
	set[1] = (struct granule_set){ .addr = ~0ULL, .state = GRANULE_STATE_DELEGATED };
	assert_false(find_lock_granules(set, 3));
	assert_false(is_locked(a) || is_locked(b));

	/* Count limits. */
	assert_false(find_lock_granules(set, 0));
	for (unsigned i = 0; i <= GRANULE_SET_MAX; i++)
		set[i] = (struct granule_set){ .addr = th_ns_granule(), .state = GRANULE_STATE_NS };
	assert_false(find_lock_granules(set, GRANULE_SET_MAX + 1));
	assert_true(find_lock_granules(set, GRANULE_SET_MAX));
	for (unsigned i = 0; i < GRANULE_SET_MAX; i++)
		granule_unlock(set[i].g);
}

static void test_find_lock_granule(void **state)
{
	uint64_t a = th_delegated_granule();
	struct granule *g;

	assert_null(find_lock_granule(a, GRANULE_STATE_NS));
	assert_false(is_locked(a));
	g = find_lock_granule(a, GRANULE_STATE_DELEGATED);
	assert_ptr_equal(g, granule_find(a));
	assert_true(is_locked(a));
	granule_unlock(g);
	assert_null(find_lock_granule(a + 4, GRANULE_STATE_DELEGATED));
	assert_null(find_lock_granule(dram_end(), GRANULE_STATE_NS));
}

static void test_refcounts(void **state)
{
	struct granule *g = granule_find(th_delegated_granule());

	granule_lock(g);
	granule_refcount_inc(g);
	granule_refcount_inc(g);
	assert_int_equal(granule_refcount_read(g), 2);
	granule_refcount_dec(g);
	granule_unlock(g);
	atomic_granule_get(g);
	assert_int_equal(granule_refcount_read(g), 2);
	atomic_granule_put(g);
	atomic_granule_put(g);
	assert_int_equal(granule_refcount_read(g), 0);
}

static void test_ns_buffer(void **state)
{
	uint64_t ns = th_ns_granule(), del = th_delegated_granule();
	uint8_t buf[64], in[64];

	for (unsigned i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)i;
	assert_int_equal(ns_buffer_write(ns, 100, in, sizeof(in)), 0);
	assert_int_equal(ns_buffer_read(ns, 100, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, in, sizeof(in));
	assert_int_equal(ns_buffer_read(ns, GRANULE_SIZE - 64, buf, 64), 0);

	assert_int_equal(ns_buffer_read(del, 0, buf, sizeof(buf)), -EFAULT);
	assert_int_equal(ns_buffer_write(del, 0, in, sizeof(in)), -EFAULT);
	assert_true(fx_realm_granule_zero(del));
	assert_int_equal(ns_buffer_read(th_layout.rmm_base, 0, buf, 8), -EFAULT);
	assert_int_equal(ns_buffer_read(th_layout.root_base, 0, buf, 8), -EFAULT);
	assert_int_equal(ns_buffer_read(dram_end(), 0, buf, 8), -EFAULT);
	assert_int_equal(ns_buffer_read(~0ULL & ~GRANULE_MASK, 0, buf, 8), -EFAULT);
	assert_int_equal(ns_buffer_read(ns + 8, 0, buf, 8), -EINVAL);
	assert_int_equal(ns_buffer_read(ns, GRANULE_SIZE - 63, buf, 64), -EINVAL);
	assert_int_equal(ns_buffer_read(ns, ~(size_t)0, buf, 64), -EINVAL);
	assert_int_equal(ns_buffer_write(ns, 1, in, GRANULE_SIZE), -EINVAL);
}

static void test_vmids(void **state)
{
	assert_true(vmid_reserve(7));
	assert_false(vmid_reserve(7));
	vmid_free(7);
	assert_true(vmid_reserve(7));
	vmid_free(7);
	assert_true(vmid_reserve(0));
	assert_true(vmid_reserve(VMID_COUNT - 1));
	assert_false(vmid_reserve(VMID_COUNT));
	assert_false(vmid_reserve(~0ULL));
	vmid_free(VMID_COUNT); /* ignored */
	vmid_free(0);
	vmid_free(VMID_COUNT - 1);
}

static void test_boot_sizing(void **state)
{
	uint64_t need = rmm_required_size(th_layout.dram_size);

	/* 8 bytes per granule plus the VMID bitmap, granule aligned. */
	assert_true(need >= th_layout.dram_size / GRANULE_SIZE * 8 + VMID_COUNT / 8);
	assert_true(IS_ALIGNED(need, GRANULE_SIZE));
	assert_true(th_layout.rmm_size >= need);
	assert_true(rmm_required_size(4 * th_layout.dram_size) > need);
	/* Refusals change nothing (the tables stay as they are). */
	assert_int_equal(rmm_boot(th_layout.rmm_base, need - GRANULE_SIZE, th_layout.dram_base,
				  th_layout.dram_size),
			 -ENOMEM);
	assert_int_equal(rmm_boot(th_layout.rmm_base + 1, need, th_layout.dram_base,
				  th_layout.dram_size),
			 -EINVAL);
	assert_int_equal(granule_count(), th_layout.dram_size / GRANULE_SIZE);
	assert_int_equal(delegate(th_ns_granule()), RMI_SUCCESS);
}

/* The RMM's tables live in RMM memory: the host cannot read them. */
static void test_tables_in_rmm_memory(void **state)
{
	uint8_t b;
	uintptr_t array = (uintptr_t)granule_at(0);
	uint8_t *rmm = plat_map(PAS_REALM, th_layout.rmm_base, th_layout.rmm_size, NULL);

	assert_non_null(rmm);
	assert_true(array >= (uintptr_t)rmm && array < (uintptr_t)rmm + th_layout.rmm_size);
	assert_true((uintptr_t)rmm_globals.vmid_bitmap >= (uintptr_t)rmm &&
		    (uintptr_t)rmm_globals.vmid_bitmap + VMID_COUNT / 8 <=
			    (uintptr_t)rmm + th_layout.rmm_size);
	assert_int_not_equal(host_mem_read(th_layout.rmm_base, &b, 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_delegate_ok, fx_teardown_inv),
		cmocka_unit_test_teardown(test_delegate_twice, fx_teardown_inv),
		cmocka_unit_test_teardown(test_delegate_bad_addresses, fx_teardown_inv),
		cmocka_unit_test_teardown(test_delegate_root_and_rmm_regions, fx_teardown_inv),
		cmocka_unit_test_teardown(test_delegate_last_dram_granule, fx_teardown_inv),
		cmocka_unit_test_teardown(test_undelegate_ok, fx_teardown_inv),
		cmocka_unit_test_teardown(test_undelegate_ns, fx_teardown_inv),
		cmocka_unit_test_teardown(test_undelegate_bad_addresses, fx_teardown_inv),
		cmocka_unit_test_teardown(test_undelegate_realm_granules, fx_teardown_inv),
		cmocka_unit_test_teardown(test_granule_find, fx_teardown_inv),
		cmocka_unit_test_teardown(test_find_lock_granules, fx_teardown_inv),
		cmocka_unit_test_teardown(test_find_lock_granule, fx_teardown_inv),
		cmocka_unit_test_teardown(test_refcounts, fx_teardown_inv),
		cmocka_unit_test_teardown(test_ns_buffer, fx_teardown_inv),
		cmocka_unit_test_teardown(test_vmids, fx_teardown_inv),
		cmocka_unit_test_teardown(test_boot_sizing, fx_teardown_inv),
		cmocka_unit_test_teardown(test_tables_in_rmm_memory, fx_teardown_inv),
	};

	return cmocka_run_group_tests(tests, fx_group_setup, fx_group_teardown);
}
