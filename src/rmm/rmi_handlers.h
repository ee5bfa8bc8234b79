/*
 * RMI command handlers, named after the spec commands. Each is the dispatch
 * edge: it validates every argument, locks every object, then commits, and
 * returns the RMI status word (RMI_STATUS(code, index)); res[0..3] are the
 * outputs X1..X4. rmi_dispatch.c holds the table (FID, argument count,
 * output count, handler).
 */
#ifndef RMM_RMI_HANDLERS_H
#define RMM_RMI_HANDLERS_H

#include "arch/arch.h"

typedef uint64_t (*rmi_handler_fn)(const uint64_t *args, uint64_t *res);

uint64_t smc_version(const uint64_t *args, uint64_t *res);
uint64_t smc_granule_delegate(const uint64_t *args, uint64_t *res);
uint64_t smc_granule_undelegate(const uint64_t *args, uint64_t *res);
uint64_t smc_data_create(const uint64_t *args, uint64_t *res);
uint64_t smc_data_create_unknown(const uint64_t *args, uint64_t *res);
uint64_t smc_data_destroy(const uint64_t *args, uint64_t *res);
uint64_t smc_realm_activate(const uint64_t *args, uint64_t *res);
uint64_t smc_realm_create(const uint64_t *args, uint64_t *res);
uint64_t smc_realm_destroy(const uint64_t *args, uint64_t *res);
uint64_t smc_rec_create(const uint64_t *args, uint64_t *res);
uint64_t smc_rec_destroy(const uint64_t *args, uint64_t *res);
uint64_t smc_rec_enter(const uint64_t *args, uint64_t *res);
uint64_t smc_rtt_create(const uint64_t *args, uint64_t *res);
uint64_t smc_rtt_destroy(const uint64_t *args, uint64_t *res);
uint64_t smc_rtt_map_unprotected(const uint64_t *args, uint64_t *res);
uint64_t smc_rtt_read_entry(const uint64_t *args, uint64_t *res);
uint64_t smc_rtt_unmap_unprotected(const uint64_t *args, uint64_t *res);
uint64_t smc_psci_complete(const uint64_t *args, uint64_t *res);
uint64_t smc_features(const uint64_t *args, uint64_t *res);
uint64_t smc_rtt_fold(const uint64_t *args, uint64_t *res);
uint64_t smc_rec_aux_count(const uint64_t *args, uint64_t *res);
uint64_t smc_rtt_init_ripas(const uint64_t *args, uint64_t *res);
uint64_t smc_rtt_set_ripas(const uint64_t *args, uint64_t *res);

/* realmbox Fasco (arch/fasco.h, fasco_channel.c). */
uint64_t smc_rb_channel_create(const uint64_t *args, uint64_t *res);
uint64_t smc_rb_channel_destroy(const uint64_t *args, uint64_t *res);
uint64_t smc_rb_realm_counters(const uint64_t *args, uint64_t *res);

#endif /* RMM_RMI_HANDLERS_H */
