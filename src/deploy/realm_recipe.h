/*
 * The Container Realm's build recipe (issue 6): every parameter of the
 * measured part of a Container Realm's construction, in the order the host
 * performs it. deploy/realm.c executes it through RMI; host/measure.c
 * models its measurement offline (`realmbox measure`), so the RIM a
 * verifier expects and the RIM the RMM computes come from one description.
 *
 * Steps, in order (each a helper of deploy/realm.c):
 *   REALM_CREATE  kind CONTAINER, s2sz, hash_algo, config_ipa, config_size
 *   RCS_RAM       ram_range(base, top): RIPAS RAM, whole 2 MiB blocks at
 *                 level 2 (then split into level-3 tables), the edges page
 *                 by page at level 3
 *   RCS_RIPAS     ram_range_to(base, top, leaf): tables down to `leaf`
 *                 for every 2 MiB block touched, then RIPAS RAM
 *   RCS_CONFIG    DATA_CREATE(RMI_MEASURE_CONTENT) of the start configuration,
 *                 page by page from base, zero padded
 *   RCS_POOL      DATA_CREATE_UNKNOWN of [base, top) (not measured)
 *   RCS_RECS      `count` REC_CREATEs, RUNNABLE, pc rec_pc, gprs zero,
 *                 mpidr of REC k: rec_mpidr(k) (not measured)
 */
#ifndef DEPLOY_REALM_RECIPE_H
#define DEPLOY_REALM_RECIPE_H

#include <stddef.h>
#include <stdint.h>

/* Both realms' REALM_CREATE parameters (deploy/realm.c). */
#define RB_REALM_S2SZ 40
#define RB_REALM_HASH_ALGO 0 /* RMI_HASH_SHA_256 */

enum realm_ct_op { RCS_RAM = 1, RCS_RIPAS, RCS_CONFIG, RCS_POOL, RCS_RECS };

struct realm_ct_step {
	enum realm_ct_op op;
	uint64_t base, top; /* IPA range (RCS_RECS: unused) */
	long leaf;          /* RCS_RIPAS */
	uint64_t count;     /* RCS_RECS */
};

#define REALM_CT_MAX_STEPS 8

struct realm_ct_recipe {
	/* REALM_CREATE */
	uint64_t s2sz, hash_algo, kind, config_ipa, config_size;
	/* the pool of fresh granules (granules; also the System Realm's REC gprs) */
	uint64_t pool_ipa, pool_n, pool_max;
	/* RECs */
	uint64_t nrecs, rec_flags, rec_pc;
	struct realm_ct_step steps[REALM_CT_MAX_STEPS];
	unsigned nsteps;
};

/*
 * The recipe for a start configuration of config_len bytes, with the
 * environment's REALMBOX_REALM_POOL_MB (default 16), REALMBOX_REALM_POOL_MAX_MB
 * (512) and REALMBOX_REALM_RECS (31, at most 31).
 */
void realm_ct_recipe_init(struct realm_ct_recipe *r, size_t config_len);

/* RmiRecParams.mpidr of the REC with linear index idx (Aff0 < 16, then Aff1). */
uint64_t realm_rec_mpidr(unsigned idx);

#endif /* DEPLOY_REALM_RECIPE_H */
