/*
 * The realm deployment's start configuration (deploy/realm.h): what the
 * host measures into the Container Realm and the System Realm kernel reads
 * back with READ_CONFIG: the manifest digest and the OCI process settings.
 */
#include "deploy/realm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "arch/fasco.h"

static size_t put_str(uint8_t *out, size_t off, const char *s)
{
	size_t l = strlen(s) + 1;
	if (out)
		memcpy(out + off, s, l);
	return off + l;
}

static size_t layout(const struct rb_config *cfg, const uint8_t digest[32], uint8_t *out)
{
	struct rb_start_hdr h;
	unsigned nargs = 0, nenv = 0, nrl = cfg->n_rlimits < 16 ? cfg->n_rlimits : 16;
	unsigned ngr = cfg->n_additional_gids < 64 ? cfg->n_additional_gids : 64;
	size_t off = sizeof(h);

	while (cfg->args && cfg->args[nargs])
		nargs++;
	while (cfg->env && cfg->env[nenv])
		nenv++;
	if (out && ngr)
		memcpy(out + off, cfg->additional_gids, ngr * 4);
	off += ngr * 4;
	for (unsigned i = 0; i < nrl; i++) {
		struct rb_start_rlimit r = {(uint32_t)cfg->rlimits[i].resource, 0,
					    cfg->rlimits[i].soft, cfg->rlimits[i].hard};
		if (out)
			memcpy(out + off, &r, sizeof(r));
		off += sizeof(r);
	}
	for (unsigned i = 0; i < nargs; i++)
		off = put_str(out, off, cfg->args[i]);
	for (unsigned i = 0; i < nenv; i++)
		off = put_str(out, off, cfg->env[i]);
	off = put_str(out, off, cfg->cwd ? cfg->cwd : "/");
	off = put_str(out, off, cfg->hostname ? cfg->hostname : (cfg->id ? cfg->id : "realmbox"));
	bool res = cfg->mem_limit || cfg->pids_limit || cfg->cpu_weight;
	if (res) {
		struct rb_start_res rr = {cfg->mem_limit / 4096, cfg->pids_limit, cfg->cpu_weight, 0};

		if (out)
			memcpy(out + off, &rr, sizeof(rr));
		off += sizeof(rr);
	}
	if (out) {
		memset(&h, 0, sizeof(h));
		memcpy(h.magic, RB_START_MAGIC, 16);
		memcpy(h.manifest_digest, digest, 32);
		h.size = (uint32_t)off;
		h.uid = cfg->uid;
		h.gid = cfg->gid;
		h.umask = cfg->umask;
		h.flags = (cfg->terminal ? RB_START_TERMINAL : 0) |
			  (cfg->rootfs_readonly ? RB_START_ROOTFS_RO : 0) |
			  (cfg->runtime_exec ? RB_START_RUNTIME_EXEC : 0) |
			  (cfg->runtime_attest ? RB_START_RUNTIME_ATTEST : 0) |
			  (res ? RB_START_RESOURCES : 0);
		h.n_args = nargs;
		h.n_env = nenv;
		h.n_groups = ngr;
		h.n_rlimits = nrl;
		memcpy(out, &h, sizeof(h));
	}
	return off;
}

int realm_config_build(const struct rb_config *cfg, const uint8_t digest[32], uint8_t **buf,
		       size_t *len)
{
	size_t n = layout(cfg, digest, NULL);

	*len = n;
	*buf = NULL;
	if (n > RB_CONFIG_MAX)
		return -E2BIG;
	*buf = calloc(1, n);
	if (!*buf)
		return -ENOMEM;
	layout(cfg, digest, *buf);
	return 0;
}
