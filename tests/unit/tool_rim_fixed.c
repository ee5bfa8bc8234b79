/*
 * RIM known-answer tool (driven by tests/py/test_rim_kat.py): boots the
 * machine, builds one fixed realm through RMI as a host would (fixed params
 * with a non-zero RPV and VMID; RTT_INIT_RIPAS of [0, 0x2000); two measured
 * DATA granules at IPA 0 and 0x1000 with fixed contents; one RUNNABLE REC
 * with a fixed pc and gprs), activates it, and prints the RIM read from the
 * RD (through the RMM's internals), once with SHA-256 and once with SHA-512:
 *
 *   sha256 <hex>
 *   sha512 <hex>
 *
 * Exits non-zero, with a message on stderr, if any step fails. The fixed
 * values here are repeated in the Python test, which recomputes the RIM
 * from cca-spec §5 independently of the C code.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/rmi.h"
#include "boot/machine.h"
#include "host/host.h"
#include "lib/hash.h"
#include "plat/plat.h"
#include "rmm/realm.h"

#define KAT_S2SZ 40
#define KAT_LEVEL_START 1
#define KAT_NUM_START 2
#define KAT_NUM_BPS 2
#define KAT_NUM_WPS 3
#define KAT_VMID 0x0A5A
#define KAT_REC_PC 0x80000ULL

static void die(const char *what, uint64_t ret)
{
	fprintf(stderr, "tool_rim_fixed: %s failed: 0x%llx (%s)\n", what, (unsigned long long)ret,
		host_rmi_status_name(ret));
	exit(1);
}

static uint64_t rmi(const char *what, uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3,
		    uint64_t a4, uint64_t a5, struct smc_regs *res)
{
	uint64_t ret = host_rmi(fid, a1, a2, a3, a4, a5, 0, res);

	if (ret != RMI_SUCCESS)
		die(what, ret);
	return ret;
}

static uint64_t ns_granule(void)
{
	uint64_t pa = host_granule_alloc();

	if (pa == 0)
		die("host_granule_alloc", 0);
	return pa;
}

static uint64_t delegated(unsigned n)
{
	uint64_t pa = host_granules_alloc(n, (uint64_t)n * GRANULE_SIZE);

	if (pa == 0)
		die("host_granules_alloc", 0);
	for (unsigned i = 0; i < n; i++)
		rmi("GRANULE_DELEGATE", SMC_RMI_GRANULE_DELEGATE, pa + i * GRANULE_SIZE, 0, 0, 0, 0, NULL);
	return pa;
}

static void write_ns(uint64_t pa, const void *buf, size_t len)
{
	if (host_mem_write(pa, buf, len) != 0)
		die("host_mem_write", 0);
}

/* Fixed DATA content of page n (n = 0, 1). */
static void data_content(unsigned n, uint8_t *buf)
{
	for (unsigned i = 0; i < GRANULE_SIZE; i++)
		buf[i] = n == 0 ? (uint8_t)i : (uint8_t)(i * 13 + 7);
}

static void rim_for(uint8_t algo)
{
	static struct rmi_realm_params rp;
	static struct rmi_rec_params cp;
	static uint8_t page[GRANULE_SIZE];
	struct machine_config cfg = { .dram_size = 256ULL << 20 };
	struct machine_layout l;
	struct smc_regs res;
	uint64_t rd, rtt, params, base, rec;
	const struct rd *rdp;
	size_t hlen;

	if (machine_boot(&cfg, &l) != 0 || host_mem_init(l.ns_base, l.ns_size) != 0)
		die("machine_boot", 0);

	memset(&rp, 0, sizeof(rp));
	rp.flags = 0;
	rp.s2sz = KAT_S2SZ;
	rp.sve_vl = 0;
	rp.num_bps = KAT_NUM_BPS;
	rp.num_wps = KAT_NUM_WPS;
	rp.pmu_num_ctrs = 0;
	rp.hash_algo = algo;
	for (unsigned i = 0; i < sizeof(rp.rpv); i++)
		rp.rpv[i] = (uint8_t)(0xA0 + i);
	rp.vmid = KAT_VMID;
	rp.rtt_level_start = KAT_LEVEL_START;
	rp.rtt_num_start = KAT_NUM_START;
	rd = delegated(1);
	rp.rtt_base = delegated(KAT_NUM_START);
	params = ns_granule();
	write_ns(params, &rp, sizeof(rp));
	rmi("REALM_CREATE", SMC_RMI_REALM_CREATE, rd, params, 0, 0, 0, NULL);

	/* Tables down to level 3 for [0, 2 MiB). */
	rtt = delegated(1);
	rmi("RTT_CREATE L2", SMC_RMI_RTT_CREATE, rd, rtt, 0, 2, 0, NULL);
	rtt = delegated(1);
	rmi("RTT_CREATE L3", SMC_RMI_RTT_CREATE, rd, rtt, 0, 3, 0, NULL);

	/* RIPAS RAM for [0, 0x2000): one measured entry per page. */
	for (base = 0; base < 0x2000;) {
		rmi("RTT_INIT_RIPAS", SMC_RMI_RTT_INIT_RIPAS, rd, base, 0x2000, 0, 0, &res);
		if (res.x[1] <= base)
			die("RTT_INIT_RIPAS progress", res.x[1]);
		base = res.x[1];
	}

	for (unsigned n = 0; n < 2; n++) {
		uint64_t data = delegated(1), src = ns_granule();

		data_content(n, page);
		write_ns(src, page, sizeof(page));
		rmi("DATA_CREATE", SMC_RMI_DATA_CREATE, rd, data, n * GRANULE_SIZE, src,
		    RMI_MEASURE_CONTENT, NULL);
	}

	memset(&cp, 0, sizeof(cp));
	cp.flags = RMI_REC_FLAG_RUNNABLE;
	cp.mpidr = 0;
	cp.pc = KAT_REC_PC;
	for (unsigned i = 0; i < RMI_REC_PARAMS_GPRS; i++)
		cp.gprs[i] = 0x1000 + i;
	rmi("REC_AUX_COUNT", SMC_RMI_REC_AUX_COUNT, rd, 0, 0, 0, 0, &res);
	cp.num_aux = res.x[1];
	for (unsigned i = 0; i < cp.num_aux && i < RMI_REC_MAX_AUX; i++)
		cp.aux[i] = delegated(1);
	rec = delegated(1);
	params = ns_granule();
	write_ns(params, &cp, sizeof(cp));
	rmi("REC_CREATE", SMC_RMI_REC_CREATE, rd, rec, params, 0, 0, NULL);

	rmi("REALM_ACTIVATE", SMC_RMI_REALM_ACTIVATE, rd, 0, 0, 0, 0, NULL);

	rdp = plat_map(PAS_REALM, rd, GRANULE_SIZE, NULL);
	if (rdp == NULL)
		die("plat_map of the RD", 0);
	hlen = hash_size((enum hash_algo)algo);
	for (size_t i = hlen; i < MAX_MEASUREMENT_SIZE; i++) {
		if (rdp->measurement[MEASUREMENT_RIM_INDEX][i] != 0)
			die("zero padding of the RIM slot", i);
	}
	printf("%s ", algo == RMI_HASH_SHA_256 ? "sha256" : "sha512");
	for (size_t i = 0; i < hlen; i++)
		printf("%02x", rdp->measurement[MEASUREMENT_RIM_INDEX][i]);
	printf("\n");

	host_mem_fini();
	machine_shutdown();
}

int main(void)
{
	rim_for(RMI_HASH_SHA_256);
	rim_for(RMI_HASH_SHA_512);
	return 0;
}
