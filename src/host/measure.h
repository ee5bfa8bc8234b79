/*
 * `realmbox measure --bundle DIR [--id ID] [--format text|json]` (issue 6):
 * the RIM a verifier should expect for a bundle's Container Realm, computed
 * offline by an independent software model of cca-spec §5 over the build
 * recipe (deploy/realm_recipe.h) and the start configuration the run would
 * measure (host/oci.c, host/manifest.c, deploy/realm_config.c). The RMM's
 * measurement code is not used.
 */
#ifndef HOST_MEASURE_H
#define HOST_MEASURE_H

#include <stddef.h>
#include <stdint.h>

#include "deploy/realm_recipe.h"

/*
 * The RIM of a Container Realm built by recipe r with the start
 * configuration config[0..config_len) (config_len == r->config_size).
 * rim gets the hash, zero padded to 64 bytes; *rim_len its length.
 * 0, or -EINVAL if the recipe is one the RMM would refuse (an RTT_INIT_RIPAS
 * that cannot progress, an unknown hash algorithm, a bad step).
 */
int host_measure_container(const struct realm_ct_recipe *r, const uint8_t *config,
			   size_t config_len, uint8_t rim[64], size_t *rim_len);

struct rb_err;

/* What `measure` computes for a bundle. */
struct host_measurement {
	uint8_t rim[64];
	size_t rim_len;
	struct realm_ct_recipe recipe;
	size_t config_len;
	uint8_t manifest_digest[32];
	size_t manifest_entries;
};

/*
 * The expected RIM of bundle's Container Realm (config.json, rootfs
 * manifest, start configuration, recipe), as `run` would build it for
 * container `id` (NULL: config.json must name a hostname). 0 or a negative
 * errno with err set.
 */
int host_measure_bundle(const char *bundle, const char *id, struct host_measurement *m,
			struct rb_err *err);

/* `realmbox measure ...`; argv[0] is "measure". Returns the exit status. */
int host_cmd_measure(int argc, char **argv);

#endif /* HOST_MEASURE_H */
