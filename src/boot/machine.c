/*
 * Machine bring-up (see machine.h): platform, then monitor with the RMM image.
 */
#include "boot/machine.h"
#include "monitor/monitor.h"
#include "plat/plat.h"
#include "rmm/rmm.h"

static const struct monitor_rmm_image rmm_image = {
	.boot = rmm_boot,
	.handle_rmi = rmm_handle_rmi,
};

int machine_boot(const struct machine_config *cfg, struct machine_layout *out)
{
	struct plat_config pc = { .dram_size = cfg ? cfg->dram_size : 0 };
	struct monitor_layout ml;
	int ret;

	ret = plat_init(&pc);
	if (ret)
		return ret;
	ret = monitor_boot(&rmm_image, rmm_required_size(plat_dram_size()), &ml);
	if (ret) {
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
	monitor_shutdown();
	plat_fini();
}
