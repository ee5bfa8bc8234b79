/*
 * Machine bring-up (see machine.h): platform, then monitor with the RMM image.
 */
#include "boot/machine.h"
#include "boot/tcb_measure.h"
#include "lib/string.h"
#include "monitor/attest.h"
#include "monitor/monitor.h"
#include "plat/plat.h"
#include "rmm/rmm.h"

static const struct monitor_rmm_image rmm_image = {
	.boot = rmm_boot,
	.handle_rmi = rmm_handle_rmi,
};

/* Provisioning: keys and measured claims to the monitor's attestation service. */
static int machine_attest_provision(const struct machine_attest_keys *keys)
{
	struct monitor_attest_config ac;
	int ret;

	memset(&ac, 0, sizeof(ac));
	memcpy(ac.platform_key, keys->platform_key, sizeof(ac.platform_key));
	memcpy(ac.realm_key, keys->realm_key, sizeof(ac.realm_key));
	machine_tcb_claims(&ac, plat_dram_size());
	ret = monitor_attest_provision(&ac);
	memset(&ac, 0, sizeof(ac));
	return ret;
}

int machine_boot(const struct machine_config *cfg, struct machine_layout *out)
{
	struct plat_config pc = { .dram_size = cfg ? cfg->dram_size : 0 };
	struct monitor_layout ml;
	int ret;

	ret = plat_init(&pc);
	if (ret)
		return ret;
	monitor_attest_forget();
	if (cfg && cfg->attest) {
		ret = machine_attest_provision(cfg->attest);
		if (ret) {
			plat_fini();
			return ret;
		}
	}
	ret = monitor_boot(&rmm_image, rmm_required_size(plat_dram_size()), &ml);
	if (ret) {
		monitor_attest_forget();
		plat_fini();
		return ret;
	}
	if (out) {
		out->dram_base = plat_dram_base();
		out->dram_size = plat_dram_size();
		out->root_base = ml.root_base;
		out->root_size = ml.root_size;
		out->rmm_base = ml.rmm_base;
		out->rmm_size = ml.rmm_size;
		out->ns_base = ml.ns_base;
		out->ns_size = ml.ns_size;
		out->gpt_bytes = ml.gpt_bytes;
	}
	return 0;
}

void machine_shutdown(void)
{
	monitor_attest_forget();
	monitor_shutdown();
	plat_fini();
}
