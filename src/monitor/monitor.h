/*
 * The EL3 monitor (Root world): boots the machine's GPT, owns the SMC
 * vector, dispatches RMI calls from the Normal world to the RMM and serves
 * the RMM's EL3 interface (GTSI delegate/undelegate, features). It sees only
 * plat/, arch/ and lib/: the RMM image is handed to it at boot as entry
 * points, as firmware loads an image.
 */
#ifndef MONITOR_MONITOR_H
#define MONITOR_MONITOR_H

#include "arch/arch.h"
#include "arch/smc.h"

/* The RMM image: entry points the monitor calls in the Realm world. */
struct monitor_rmm_image {
	/*
	 * Cold boot, once, after the GPT is enabled: the RMM's own memory is
	 * [rmm_base, rmm_base+rmm_size) (GPI REALM), DRAM is
	 * [dram_base, dram_base+dram_size). Returns 0 or a negative errno; the
	 * monitor then fails its boot.
	 */
	int (*boot)(uint64_t rmm_base, uint64_t rmm_size, uint64_t dram_base, uint64_t dram_size);
	/* One RMI call (regs->x[0] = FID); results overwrite regs. */
	void (*handle_rmi)(struct smc_regs *regs);
};

/* The memory map the monitor establishes (what firmware tells the OS). */
struct monitor_layout {
	uint64_t root_base, root_size; /* monitor memory and GPT tables: GPI ROOT */
	uint64_t rmm_base, rmm_size;   /* RMM memory: GPI REALM */
	uint64_t ns_base, ns_size;     /* everything else: GPI NS */
	uint64_t gpt_bytes;            /* Root memory the GPT occupies */
};

/*
 * Boot: lay out memory, build the GPT in Root memory (ROOT / REALM / NS as
 * above), run the GPC enable sequence, install the EL3 vector, boot the RMM.
 * The platform must be initialised. rmm_size is what the RMM asks for
 * (bytes, rounded up to 2 MiB; 0 = a default sized for the DRAM).
 * Returns 0 or a negative errno; *out receives the layout.
 */
int monitor_boot(const struct monitor_rmm_image *rmm, uint64_t rmm_size, struct monitor_layout *out);

/* Forget the RMM and the vector (the platform is torn down separately). */
void monitor_shutdown(void);

/*
 * GPI of the granule at pa as the GPT in memory says (not the GPC TLB).
 * Returns the GPI, or a negative errno for a PA the GPT does not cover.
 * For tests and the invariant checker (an EL3 debug read).
 */
int monitor_gpt_read_gpi(uint64_t pa);

/*
 * RMM -> EL3 entry used by the RMM through plat_smc(PAS_REALM, ...);
 * exposed so the vector can be exercised directly by tests.
 */
void monitor_smc_handler(enum pas from, struct smc_regs *regs);

#endif /* MONITOR_MONITOR_H */
