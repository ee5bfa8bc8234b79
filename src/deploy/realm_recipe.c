/*
 * The Container Realm's build recipe (deploy/realm_recipe.h): one
 * description for the host that builds the realm and for the offline model
 * of its measurement.
 */
#include "deploy/realm_recipe.h"

#include <stdlib.h>
#include <string.h>

#include "arch/arch.h"
#include "arch/fasco.h"
#include "arch/rmi.h"
#include "deploy/realm.h"
#include "libos/pal_realm.h"

static uint64_t env_num(const char *name, uint64_t def)
{
	const char *s = getenv(name);
	long v = s ? atol(s) : 0;
	return v > 0 ? (uint64_t)v : def;
}

uint64_t realm_rec_mpidr(unsigned idx)
{
	return (idx & 15u) | ((uint64_t)(idx >> 4) << 8);
}

void realm_ct_recipe_init(struct realm_ct_recipe *r, size_t config_len)
{
	const uint64_t pg = GRANULE_SIZE, blk = RTT_LEVEL_SIZE(2) / GRANULE_SIZE;
	uint64_t cfg_pages = (config_len + pg - 1) / pg;
	uint64_t pool_n = (env_num("REALMBOX_REALM_POOL_MB", 16) << 20) / pg;
	uint64_t pool_max = (env_num("REALMBOX_REALM_POOL_MAX_MB", 512) << 20) / pg;
	uint64_t nrecs = env_num("REALMBOX_REALM_RECS", PAL_REALM_MAX_RECS);
	struct realm_ct_step *s = r->steps;

	memset(r, 0, sizeof(*r));
	/* whole 2 MiB blocks: what is not created at start gets RIPAS RAM a block at a time */
	pool_n = ALIGN_UP(pool_n, blk);
	pool_max = ALIGN_UP(pool_max, blk);
	if (pool_max < pool_n)
		pool_max = pool_n;
	if (nrecs > PAL_REALM_MAX_RECS)
		nrecs = PAL_REALM_MAX_RECS;

	r->s2sz = RB_REALM_S2SZ;
	r->hash_algo = RB_REALM_HASH_ALGO;
	r->kind = RB_REALM_KIND_CONTAINER;
	r->config_ipa = RCT_CONFIG_IPA;
	r->config_size = config_len;
	r->pool_ipa = RCT_POOL_IPA;
	r->pool_n = pool_n;
	r->pool_max = pool_max;
	r->nrecs = nrecs;
	r->rec_flags = RMI_REC_FLAG_RUNNABLE;
	r->rec_pc = 0; /* the A64 engine */

	*s++ = (struct realm_ct_step){RCS_RAM, RCT_CONFIG_IPA, RCT_CONFIG_IPA + cfg_pages * pg, 0, 0};
	*s++ = (struct realm_ct_step){RCS_RAM, RCT_POOL_IPA, RCT_POOL_IPA + pool_n * pg, 0, 0};
	if (pool_max > pool_n)
		*s++ = (struct realm_ct_step){RCS_RIPAS, RCT_POOL_IPA + pool_n * pg,
					      RCT_POOL_IPA + pool_max * pg, 2, 0};
	*s++ = (struct realm_ct_step){RCS_CONFIG, RCT_CONFIG_IPA, RCT_CONFIG_IPA + cfg_pages * pg, 0,
				      0};
	*s++ = (struct realm_ct_step){RCS_POOL, RCT_POOL_IPA, RCT_POOL_IPA + pool_n * pg, 0, 0};
	*s++ = (struct realm_ct_step){RCS_RECS, 0, 0, 0, nrecs};
	r->nsteps = (unsigned)(s - r->steps);
}
