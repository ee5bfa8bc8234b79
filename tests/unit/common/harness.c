/*
 * Test harness (see harness.h): a booted machine and a host that builds
 * realms through RMI, asserting every step it is asked to take.
 */
#include "harness.h"

#include <string.h>

#include "plat/plat.h"

struct machine_layout th_layout;
static unsigned th_next_vmid = 1;

/* REC -> aux granules, so th_realm_destroy_all can undelegate them. */
#define TH_MAX_RECS 256
static struct {
	uint64_t rec;
	uint64_t aux[RMI_REC_AUX_COUNT];
	unsigned naux;
} th_recs[TH_MAX_RECS];

void th_boot(uint64_t dram_size)
{
	struct machine_config cfg = { .dram_size = dram_size ? dram_size : TH_DRAM_SIZE };

	memset(&th_layout, 0, sizeof(th_layout));
	memset(th_recs, 0, sizeof(th_recs));
	assert_int_equal(machine_boot(&cfg, &th_layout), 0);
	assert_int_equal(host_mem_init(th_layout.ns_base, th_layout.ns_size), 0);
	th_next_vmid = 1;
}

void th_shutdown(void)
{
	host_mem_fini();
	machine_shutdown();
}

int th_setup(void **state)
{
	(void)state;
	th_boot(0);
	return 0;
}

int th_teardown(void **state)
{
	(void)state;
	th_shutdown();
	return 0;
}

uint64_t th_rmi(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5,
		uint64_t a6, struct smc_regs *res)
{
	return host_rmi(fid, a1, a2, a3, a4, a5, a6, res);
}

uint64_t th_ns_granule(void)
{
	uint64_t pa = host_granule_alloc();

	assert_true(pa != 0);
	return pa;
}

uint64_t th_delegated_granules(unsigned n)
{
	uint64_t pa = host_granules_alloc(n, (uint64_t)n * GRANULE_SIZE);

	assert_true(pa != 0);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(th_rmi(SMC_RMI_GRANULE_DELEGATE, pa + i * GRANULE_SIZE, 0, 0, 0, 0, 0, NULL),
				 RMI_SUCCESS);
	return pa;
}

uint64_t th_delegated_granule(void)
{
	return th_delegated_granules(1);
}

static void th_undelegate(uint64_t pa)
{
	assert_int_equal(th_rmi(SMC_RMI_GRANULE_UNDELEGATE, pa, 0, 0, 0, 0, 0, NULL), RMI_SUCCESS);
	host_granule_free(pa);
}

void th_default_params(struct rmi_realm_params *p, unsigned vmid)
{
	memset(p, 0, sizeof(*p));
	p->s2sz = 40;
	p->hash_algo = RMI_HASH_SHA_256;
	p->vmid = (uint16_t)vmid;
	p->rtt_level_start = 1;
	p->rtt_num_start = 2;
}

uint64_t th_realm_create(struct th_realm *r, const struct rmi_realm_params *p)
{
	struct rmi_realm_params params;
	uint64_t ret;

	if (p)
		params = *p;
	else
		th_default_params(&params, th_next_vmid++);
	memset(r, 0, sizeof(*r));
	r->rd = th_delegated_granule();
	r->rtt_num_start = (unsigned)params.rtt_num_start;
	r->rtt_level_start = (int)params.rtt_level_start;
	r->ipa_bits = (unsigned)params.s2sz;
	r->vmid = params.vmid;
	if (params.rtt_base == 0) {
		unsigned n = r->rtt_num_start ? r->rtt_num_start : 1;
		if (n > RTT_MAX_ROOT_RTTS)
			n = 1;
		params.rtt_base = th_delegated_granules(n);
	}
	r->rtt_base = params.rtt_base;
	r->params_pa = th_ns_granule();
	assert_int_equal(host_mem_write(r->params_pa, &params, sizeof(params)), 0);
	ret = th_rmi(SMC_RMI_REALM_CREATE, r->rd, r->params_pa, 0, 0, 0, 0, NULL);
	return ret;
}

void th_rtt_create_path(const struct th_realm *r, uint64_t ipa, long level)
{
	for (long l = r->rtt_level_start + 1; l <= level; l++) {
		struct smc_regs res;
		uint64_t ret = th_rmi(SMC_RMI_RTT_READ_ENTRY, r->rd, ALIGN_DOWN(ipa, RTT_LEVEL_SIZE(l - 1)),
				      (uint64_t)(l - 1), 0, 0, 0, &res);

		assert_int_equal(ret, RMI_SUCCESS);
		if (res.x[1] == (uint64_t)(l - 1) && res.x[2] == RMI_RTT_TABLE)
			continue;
		uint64_t rtt = th_delegated_granule();
		ret = th_rmi(SMC_RMI_RTT_CREATE, r->rd, rtt, ALIGN_DOWN(ipa, RTT_LEVEL_SIZE(l - 1)), (uint64_t)l,
			     0, 0, NULL);
		assert_int_equal(ret, RMI_SUCCESS);
	}
}

uint64_t th_data_create(const struct th_realm *r, uint64_t ipa, const void *content,
			uint64_t flags, uint64_t *data_pa)
{
	static const uint8_t zeros[GRANULE_SIZE];
	uint64_t src = th_ns_granule();
	uint64_t data = th_delegated_granule();
	uint64_t ret;

	th_rtt_create_path(r, ipa, RTT_PAGE_LEVEL);
	assert_int_equal(host_mem_write(src, content ? content : zeros, GRANULE_SIZE), 0);
	ret = th_rmi(SMC_RMI_DATA_CREATE, r->rd, data, ipa, src, flags, 0, NULL);
	host_granule_free(src);
	if (data_pa)
		*data_pa = data;
	return ret;
}

uint64_t th_rec_create(const struct th_realm *r, uint64_t mpidr, uint64_t pc, const uint64_t *gprs,
		       uint64_t flags, uint64_t *rec_pa)
{
	struct rmi_rec_params p;
	struct smc_regs res;
	uint64_t params = th_ns_granule();
	uint64_t rec = th_delegated_granule();
	uint64_t ret;
	unsigned naux, slot;

	ret = th_rmi(SMC_RMI_REC_AUX_COUNT, r->rd, 0, 0, 0, 0, 0, &res);
	assert_int_equal(ret, RMI_SUCCESS);
	naux = (unsigned)res.x[1];
	assert_true(naux <= RMI_REC_MAX_AUX);

	memset(&p, 0, sizeof(p));
	p.flags = flags;
	p.mpidr = mpidr;
	p.pc = pc;
	if (gprs)
		memcpy(p.gprs, gprs, sizeof(p.gprs));
	p.num_aux = naux;
	for (unsigned i = 0; i < naux; i++)
		p.aux[i] = th_delegated_granule();
	assert_int_equal(host_mem_write(params, &p, sizeof(p)), 0);
	ret = th_rmi(SMC_RMI_REC_CREATE, r->rd, rec, params, 0, 0, 0, NULL);
	host_granule_free(params);
	for (slot = 0; slot < TH_MAX_RECS && th_recs[slot].rec; slot++)
		;
	assert_true(slot < TH_MAX_RECS);
	th_recs[slot].rec = rec;
	th_recs[slot].naux = naux;
	memcpy(th_recs[slot].aux, p.aux, sizeof(uint64_t) * naux);
	if (rec_pa)
		*rec_pa = rec;
	return ret;
}

static void th_rec_forget(uint64_t rec, bool undelegate)
{
	for (unsigned s = 0; s < TH_MAX_RECS; s++) {
		if (th_recs[s].rec != rec)
			continue;
		for (unsigned i = 0; i < th_recs[s].naux; i++) {
			if (undelegate)
				th_undelegate(th_recs[s].aux[i]);
		}
		th_recs[s].rec = 0;
	}
}

void th_realm_destroy_all(const struct th_realm *r, const uint64_t *recs, unsigned nrecs,
			  uint64_t ipa_top)
{
	struct smc_regs res;

	for (unsigned i = 0; i < nrecs; i++) {
		assert_int_equal(th_rmi(SMC_RMI_REC_DESTROY, recs[i], 0, 0, 0, 0, 0, NULL), RMI_SUCCESS);
		th_undelegate(recs[i]);
		th_rec_forget(recs[i], true);
	}
	/* DATA granules at level 3. */
	for (uint64_t ipa = 0; ipa < ipa_top; ipa += GRANULE_SIZE) {
		assert_int_equal(th_rmi(SMC_RMI_RTT_READ_ENTRY, r->rd, ipa, 3, 0, 0, 0, &res), RMI_SUCCESS);
		if (res.x[1] != 3) {
			/* No level-3 table here: skip the rest of this block. */
			ipa = ALIGN_DOWN(ipa, RTT_LEVEL_SIZE(res.x[1])) + RTT_LEVEL_SIZE(res.x[1]) - GRANULE_SIZE;
			continue;
		}
		if (res.x[2] == RMI_RTT_ASSIGNED) {
			assert_int_equal(th_rmi(SMC_RMI_DATA_DESTROY, r->rd, ipa, 0, 0, 0, 0, &res), RMI_SUCCESS);
			th_undelegate(res.x[1]);
		}
	}
	/* RTTs, leaves first. */
	for (long l = RTT_PAGE_LEVEL; l > r->rtt_level_start; l--) {
		for (uint64_t ipa = 0; ipa < ipa_top; ipa += RTT_LEVEL_SIZE(l - 1)) {
			assert_int_equal(th_rmi(SMC_RMI_RTT_READ_ENTRY, r->rd, ipa, (uint64_t)(l - 1), 0, 0, 0, &res),
					 RMI_SUCCESS);
			if (res.x[1] != (uint64_t)(l - 1) || res.x[2] != RMI_RTT_TABLE)
				continue;
			assert_int_equal(th_rmi(SMC_RMI_RTT_DESTROY, r->rd, ipa, (uint64_t)l, 0, 0, 0, &res),
					 RMI_SUCCESS);
			th_undelegate(res.x[1]);
		}
	}
	assert_int_equal(th_rmi(SMC_RMI_REALM_DESTROY, r->rd, 0, 0, 0, 0, 0, NULL), RMI_SUCCESS);
	th_undelegate(r->rd);
	for (unsigned i = 0; i < r->rtt_num_start; i++)
		th_undelegate(r->rtt_base + i * GRANULE_SIZE);
	host_granule_free(r->params_pa);
}
