/*
 * The realm deployment's host side, its RMI layer (deploy/realm_build.c):
 * a realm as the host tracks it (every granule it gave, in order), built
 * and torn down through real RMI calls, and REC_ENTER. Private to
 * deploy/realm*.c. Errors go to the buffer hrealm_errbuf names (the first
 * one wins) and come back as a negative errno.
 */
#ifndef DEPLOY_REALM_BUILD_H
#define DEPLOY_REALM_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/rmi.h"
#include "libos/pal_realm.h"
#include "plat/plat.h"

#define PG GRANULE_SIZE

struct vec {
	uint64_t *a;
	size_t n, cap;
};

/* A REC as the host tracks it (and, for a container REC, its channel). */
struct hrec {
	uint64_t rec, run, aux[RMI_REC_MAX_AUX];
	unsigned naux;
	uint64_t chan;	/* channel granule (container RECs), 0 = none */
	bool chan_live; /* CHANNEL_CREATE done */
};

#define HREC_MAX PAL_REALM_MAX_RECS

struct hrealm {
	uint64_t rd, rtt_base;
	unsigned nroot;
	bool created;
	struct vec rtt_pa, rtt_ipa, rtt_level; /* in creation order */
	struct vec data_pa, data_ipa;
	struct vec ns_pa, ns_ipa; /* unprotected mappings */
	struct hrec recs[HREC_MAX];
	unsigned nrecs;
};

/* Where hrealm_fail writes its message (NULL: nowhere), until called again. */
void hrealm_errbuf(char *buf, size_t len);
/* Record the first error's message; returns ret. */
int hrealm_fail(int ret, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append x to v (grows it): 0 or -ENOMEM. */
int hrealm_vec_push(struct vec *v, uint64_t x);

/* An RMI call through the monitor: its status (res: X0..X3, may be NULL). */
uint64_t hrealm_rmi(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5,
		    struct smc_regs *res);
/* 0 for RMI_SUCCESS, else -EIO with "RMI what failed: status". */
int hrealm_rmi_ok(const char *what, uint64_t st);
/* A new host granule, delegated: 0, -ENOMEM or -EIO. */
int hrealm_delegate_new(uint64_t *pa);
/* Undelegate pa and give it back to the host (a failure is reported and leaks it). */
void hrealm_undelegate_free(uint64_t pa);

/*
 * REALM_CREATE of a realm of `kind` (RB_REALM_KIND_*), bound to sys_rd,
 * with its measured configuration at cfg_ipa (cfg_size bytes). h is zeroed
 * first; what was done is recorded for hrealm_destroy even on failure.
 */
int hrealm_create(struct hrealm *h, uint64_t kind, uint64_t sys_rd, uint64_t cfg_ipa,
		  uint64_t cfg_size);
/* RTTs down to level `leaf` (2 or 3) for the page holding ipa. */
int hrealm_rtt_path_to(struct hrealm *h, uint64_t ipa, long leaf);
/* RTTs down to the page level for ipa. */
int hrealm_rtt_path(struct hrealm *h, uint64_t ipa);
/* Tables for [base, top) down to level `leaf`, then RIPAS RAM over it. */
int hrealm_ram_range_to(struct hrealm *h, uint64_t base, uint64_t top, long leaf);
/* [base, top) as RIPAS RAM with every page's table (2 MiB blocks at level 2 first). */
int hrealm_ram_range(struct hrealm *h, uint64_t base, uint64_t top);
/*
 * DATA at ipa on granule pa: measured content (DATA_CREATE, measure: its
 * content in the RIM) if content, else DATA_CREATE_UNKNOWN.
 */
int hrealm_data_at(struct hrealm *h, uint64_t ipa, uint64_t pa, const void *content, bool measure);
/* n granules of DATA_CREATE_UNKNOWN at [ipa, ipa + n pages) (contiguous: one host run). */
int hrealm_data_range(struct hrealm *h, uint64_t ipa, uint64_t n, bool contiguous);
/* A new REC of h (the next MPIDR) starting at pc with gprs. */
int hrealm_rec_create(struct hrealm *h, uint64_t pc, const uint64_t gprs[8]);
/* n NS granules mapped unprotected at ipa (RTT_MAP_UNPROTECTED). */
int hrealm_map_ns(struct hrealm *h, uint64_t ipa, uint64_t n);
/* Give everything of h back, in the order the RMM allows: the number of failures. */
unsigned hrealm_destroy(struct hrealm *h);

/* REC_ENTER with flags (REC_ENTER_FLAG_*) and gprs for a pending host call; the exit in *ex. */
uint64_t hrealm_enter_flags(struct hrec *h, const uint64_t *gprs, unsigned n, uint64_t flags,
			    struct rmi_rec_exit *ex);
/* hrealm_enter_flags without flags. */
uint64_t hrealm_enter(struct hrec *h, const uint64_t *gprs, unsigned n, struct rmi_rec_exit *ex);

#endif /* DEPLOY_REALM_BUILD_H */
