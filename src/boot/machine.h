/*
 * Machine bring-up: the emulated platform's "boot ROM". Initialises the
 * platform, hands the RMM image to the monitor and boots it, like BL2 loading
 * BL31 and the RMM. This is the only file that names both the monitor and the
 * RMM; the host uses it to power the machine on and to learn the memory map.
 */
#ifndef BOOT_MACHINE_H
#define BOOT_MACHINE_H

#include "arch/arch.h"

/* Attestation keys (P-384 private scalars, big-endian) provisioning hands the monitor. */
#define MACHINE_ATTEST_KEY_SIZE 48
struct machine_attest_keys {
	uint8_t platform_key[MACHINE_ATTEST_KEY_SIZE];
	uint8_t realm_key[MACHINE_ATTEST_KEY_SIZE]; /* the RAK */
};

struct machine_config {
	uint64_t dram_size; /* 0 = 1 GiB */
	/* NULL: no attestation service (the EL3 attestation calls answer UNK). */
	const struct machine_attest_keys *attest;
};

struct machine_layout {
	uint64_t dram_base, dram_size;
	uint64_t root_base, root_size;
	uint64_t rmm_base, rmm_size;
	uint64_t ns_base, ns_size;
	uint64_t gpt_bytes;
};

/* Power on and boot. Returns 0 or a negative errno; *out gets the map. */
int machine_boot(const struct machine_config *cfg, struct machine_layout *out);
/* Power off: the monitor forgets its state, the platform frees memory. */
void machine_shutdown(void);

#endif /* BOOT_MACHINE_H */
