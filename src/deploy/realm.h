/*
 * The realm deployment (Fasco, DESIGN.md §3): `realmbox run --isolation
 * realm`. Shared between its host side (deploy/realm.c: builds the System
 * Realm and the Container Realm through RMI, schedules their RECs, serves
 * host calls) and its System Realm side (deploy/realm_sys.c: the System
 * Realm's kernel, a native guest that runs the library OS with the realm
 * PAL, libos/pal_realm.c). The two sides share only this file: the memory
 * layout of both realms and the start configuration's format.
 */
#ifndef DEPLOY_REALM_H
#define DEPLOY_REALM_H

#include <stddef.h>
#include <stdint.h>

#include "deploy/deploy.h"

/* ---- System Realm IPA layout (s2sz 40, protected half below 2^39) ---- */
#define RSYS_PC 0x7E000000ULL          /* native-guest entry of the System Realm kernel */
#define RSYS_HC_IPA 0x0ULL            /* struct rsi_host_call */
#define RSYS_REGS_IPA 0x1000ULL       /* struct rb_regs */
/*
 * Channel slots (no DATA: RIPAS RAM only), one per REC: container slot c's
 * REC k at RSYS_CHAN_IPA + (RSYS_CHAN_STRIDE * c + k) pages.
 */
#define RSYS_CHAN_IPA 0x10000ULL
#define RSYS_NCHAN 31
#define RSYS_CHAN_STRIDE 32
#define RSYS_BOUNCE_IPA 0x100000ULL   /* RB_COPY_MAX bytes */
#define RSYS_MEM_IPA 0x1000000ULL     /* the kernel's memory: tables, manifest, libos heap */
#define RSYS_NS_IPA (1ULL << 39)      /* unprotected: the NS buffer shared with the host */

/* REC_CREATE gprs of the System Realm REC (its containers come with PRH_CMD_ADD_CT). */
#define RSYS_GPR_MEM_SIZE 0
#define RSYS_GPR_NS_SIZE 1

/*
 * PRH_CMD_ADD_CT's description of a Container Realm in the NS buffer (the
 * host's word: the System Realm checks every field).
 */
struct rsys_add_ct {
	uint64_t chan_ipa; /* its REC k's channel at chan_ipa + k pages (System Realm IPA) */
	uint64_t nrecs;    /* its RECs, 1..PAL_REALM_MAX_RECS */
	uint64_t pool_ipa; /* its pool (Container Realm IPA), pool_n granules made, pool_max at most */
	uint64_t pool_n, pool_max;
	uint64_t mem_size; /* bytes of System Realm memory for it (kernel threads, tables, heap) */
	/*
	 * The size of its console terminal when it starts, rows << 16 | cols
	 * (0: not known; the library OS's 24x80). Not measured: the host's
	 * terminal, as untrusted as any host input and checked as such.
	 */
	uint64_t winsize;
};

/* ---- Container Realm IPA layout ---- */
#define RCT_CONFIG_IPA 0x100000ULL    /* measured start configuration */
#define RCT_POOL_IPA 0x1000000ULL     /* fresh granules (DATA_CREATE_UNKNOWN) */

/*
 * The start configuration (measured into the Container Realm with
 * DATA_CREATE at RCT_CONFIG_IPA, read by the System Realm with
 * RSI_RB_READ_CONFIG). Little-endian:
 *   struct rb_start_hdr
 *   u32 groups[n_groups]
 *   struct rb_start_rlimit rlimits[n_rlimits]
 *   strings, each NUL-terminated: args[n_args], env[n_env], cwd, hostname
 */
#define RB_START_MAGIC "realmbox-start-1" /* 16 bytes, no NUL */

struct rb_start_hdr {
	char magic[16];
	uint8_t manifest_digest[32];
	uint32_t size; /* total bytes */
	uint32_t uid, gid, umask;
	uint32_t flags; /* RB_START_* */
	uint32_t n_args, n_env, n_groups, n_rlimits;
	uint32_t reserved;
};

#define RB_START_TERMINAL 1u
#define RB_START_ROOTFS_RO 2u
/*
 * The owner lets the runtime start processes in the container (runc's
 * exec; annotation org.realmbox.exec = "allow"): measured, so a verifier
 * sees it in the RIM. Without it the System Realm refuses PRH_CMD_EXEC.
 */
#define RB_START_RUNTIME_EXEC 4u
/*
 * The owner lets the runtime ask for the Container Realm's token with a
 * challenge of the runtime's choosing (`realmbox attest`; annotation
 * org.realmbox.attest = "allow"): measured. Without it the System Realm
 * refuses PRH_CMD_ATTEST, so a relying party of a container without it
 * knows every token's challenge came from inside the container.
 */
#define RB_START_RUNTIME_ATTEST 16u
/*
 * linux.resources limits follow the strings (struct rb_start_res): only
 * when one is set, so the layout (and the RIM) of a container without
 * limits is unchanged. Measured: the host cannot lift them unseen.
 */
#define RB_START_RESOURCES 8u

struct rb_start_res {
	uint64_t mem_limit_pages; /* 0: none */
	uint64_t pids_limit;      /* 0: none */
	uint32_t cpu_weight, reserved;
};

struct rb_start_rlimit {
	uint32_t resource, reserved;
	uint64_t soft, hard;
};

/* Serialize cfg with the manifest digest (malloc'd). 0 or -ENOMEM / -E2BIG. */
int realm_config_build(const struct rb_config *cfg, const uint8_t digest[32], uint8_t **buf,
		       size_t *len);

/* ---- System Realm side (realm_sys.c) ---- */

/* Register the System Realm kernel at RSYS_PC (once per process). 0 or -errno. */
int realm_sys_register(void);

struct realm_sys_stats {
	uint64_t rsi_calls, host_calls, copies_in, copies_out, bytes_in, bytes_out;
	uint64_t maps, unmaps, protects, set_regs, str_bytes, pool_peak;
	uint64_t forks, fork_pages, get_regs, kicks, kt_switches;
};
/* What the kernel did in the last run (the deployment's --stats). */
void realm_sys_get_stats(struct realm_sys_stats *st);

/*
 * How container slot ct's start went: 0 or libos_start's error, its
 * message in msg; after a refused PRH_CMD_ADD_CT, the reason.
 */
int realm_sys_start_result(unsigned ct, char *msg, size_t len);

#endif /* DEPLOY_REALM_H */
