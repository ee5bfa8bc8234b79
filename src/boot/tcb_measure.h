/*
 * What the boot ROM measures and provisions for attestation: the platform
 * software components (the monitor and the RMM) and the platform's
 * identity, handed to the monitor's attestation service with the keys.
 */
#ifndef BOOT_TCB_MEASURE_H
#define BOOT_TCB_MEASURE_H

#include "monitor/attest.h"

/*
 * Fill cfg's claims (not its keys): implementation ID, configuration word
 * (the DRAM size) and the sw-components "BL31" (the monitor) and "RMM",
 * each measured as scripts/tcb-measure.sh computes at build time, version
 * the realmbox version, signer ID all zeros (images are not signed on the
 * emulated platform).
 */
void machine_tcb_claims(struct monitor_attest_config *cfg, uint64_t dram_size);

#endif /* BOOT_TCB_MEASURE_H */
