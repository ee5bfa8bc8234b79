/*
 * Realm measurements (cca-spec §5): RIM initialisation and extension by
 * measured RMI commands, REM extension. Pure computations on the RD.
 */
#ifndef RMM_MEASURE_H
#define RMM_MEASURE_H

#include "arch/rmi.h"
#include "rmm/realm.h"

#define MEASURE_DESC_DATA 0
#define MEASURE_DESC_REC 1
#define MEASURE_DESC_RIPAS 2
#define MEASURE_DESC_SIZE 0x100

/* RIM = H(params granule with only the measured fields kept). */
void measure_realm_create(struct rd *rd, const struct rmi_realm_params *p);
/* DATA_CREATE: content may be NULL when flags lacks RMI_MEASURE_CONTENT. */
void measure_data_create(struct rd *rd, uint64_t ipa, uint64_t flags, const void *content);
/* REC_CREATE of a RUNNABLE REC. */
void measure_rec_create(struct rd *rd, const struct rmi_rec_params *p);
/* RTT_INIT_RIPAS of one entry [base, top). */
void measure_init_ripas(struct rd *rd, uint64_t base, uint64_t top);
/* REM[idx] = H(REM[0:hlen] || data[0:size]); idx 1..4, size <= 64. 0 or -EINVAL. */
int measure_rem_extend(struct rd *rd, unsigned idx, const void *data, size_t size);

#endif /* RMM_MEASURE_H */
