/*
 * The library OS's PAL for a System Realm (the realm deployment, Fasco,
 * DESIGN.md §3): every PAL call becomes an RSI call of the realmbox range
 * (docs/fasco-abi.md §4) on the container's forwarding channel, or an
 * RSI_HOST_CALL whose data moves through an NS buffer the host mapped into
 * the System Realm's unprotected IPA half.
 *
 *   copy_from_user / copy_to_user  -> RSI_RB_COPY_IN / COPY_OUT through a
 *                                     bounce buffer of System Realm DATA
 *   mem_map / unmap / protect      -> RSI_RB_MAP / UNMAP / PROTECT with
 *                                     fresh granules of the container's pool
 *   task registers                 -> read from the channel, changes by
 *                                     RSI_RB_SET_REGS
 *   end of a call                  -> RSI_RB_COMPLETE
 *   host files, console, sleeping  -> RSI_HOST_CALL (untrusted: the library
 *                                     OS checks file content against the
 *                                     measured manifest)
 *
 * The library OS may include only arch/, lib/ and libos/, so the SMC
 * instruction and the architectural timer and RNG come in as function
 * pointers from the deployment, and the System Realm memory the PAL uses
 * comes in as host pointers the deployment obtained from stage 2.
 * One container (one channel, one REC, one address space) per instance:
 * no fork, no execve of a new image yet.
 */
#ifndef LIBOS_PAL_REALM_H
#define LIBOS_PAL_REALM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/fasco.h"
#include "arch/rsi.h"
#include "libos/pal.h"

/* Host calls of the System Realm (RsiHostCall.imm); arguments in gprs. */
enum pal_realm_hc {
	PRH_IDLE = 1,          /* -> g0: PRH_CMD_* (the host's next order) */
	PRH_CONSOLE_WRITE = 2, /* g0 fd, g1 len (data in the NS buffer) -> g0 result */
	PRH_CONSOLE_READ = 3,  /* g0 fd, g1 max -> g0 result (data in the NS buffer) */
	PRH_OPEN = 4,          /* path in the NS buffer -> g0 handle or -errno */
	PRH_PREAD = 5,         /* g0 handle, g1 len, g2 offset -> g0 bytes (NS buffer) */
	PRH_CLOSE = 6,         /* g0 handle */
	PRH_SLEEP = 7,         /* g0 ns: block at most that long (the host may return earlier) */
	PRH_MANIFEST = 8,      /* g0 offset, g1 len -> g0 bytes, g1 total size (NS buffer) */
	PRH_LOG = 9,           /* text in the NS buffer, g0 len */
	PRH_MTIMES = 10,       /* g0 first entry, g1 count -> g0 count: u64 mtimes (unmeasured) */
};

/* What the host answers PRH_IDLE with. */
#define PRH_CMD_SERVE 1    /* a request is pending on the channel */
#define PRH_CMD_SHUTDOWN 2 /* stop the kernel */

struct pal_realm_env {
	void *guest;
	/* SMC #0: x[0..10] in, x[0..10] out. */
	void (*smc)(void *guest, uint64_t x[11]);
	/* The architectural counter (CNTVCT_EL0) as ns, and RNDR. */
	uint64_t (*counter_ns)(void *guest, int clock);
	void (*rndr)(void *guest, void *buf, size_t len);

	uint64_t chan_ipa;                   /* the channel (read-only) */
	const volatile struct rb_channel *chan;
	uint64_t hc_ipa;                     /* one granule of DATA: struct rsi_host_call */
	struct rsi_host_call *hc;
	uint64_t regs_ipa;                   /* one granule of DATA: struct rb_regs */
	struct rb_regs *regs;
	uint64_t bounce_ipa;                 /* RB_COPY_MAX bytes of DATA */
	uint8_t *bounce;
	uint64_t ns_ipa;                     /* the NS buffer (unprotected IPA) */
	uint8_t *ns;
	size_t ns_size;
	uint64_t pool_ipa;                   /* container IPAs of its fresh granules */
	size_t pool_n;
	uint64_t stage_ipa;                  /* DATA: the init process's pages before START ends */
	uint8_t *stage;
	size_t stage_n;
	void *meta;                          /* System Realm memory for the PAL's tables */
	size_t meta_size;
	uint64_t hwcap, hwcap2;
};

/* Bytes of env.meta that pal_realm_init needs for a pool of pool_n granules. */
size_t pal_realm_meta_size(size_t pool_n);

/* Set up the PAL; *ops gets the table for libos_init. 0 or -EINVAL. */
int pal_realm_init(const struct pal_realm_env *env, struct pal_ops *ops);

/*
 * A host call: imm, n arguments in, the 31 gprs the host answered in out
 * (may be NULL). Returns out[0].
 */
uint64_t pal_realm_host_call(unsigned imm, const uint64_t *args, unsigned n, uint64_t *out);

/* RSI_RB_TAKE: the request's kind (RB_REQ_*), or 0 if none could be taken. */
uint64_t pal_realm_take(void);

/* READ_CONFIG of [off, off+len) into buf (a START request must be pending). 0 or -EFAULT. */
int pal_realm_read_config(uint64_t off, void *buf, size_t len);

/*
 * End the START request: after libos_start succeeded (err 0) the init task's
 * registers go to the container and it runs; otherwise it exits with status
 * 127 (126 for EACCES/ENOEXEC).
 */
void pal_realm_start_done(int err);

/* Serve the taken request of kind `kind` through the library OS and complete it. */
void pal_realm_serve(uint64_t kind);

struct pal_realm_stats {
	uint64_t rsi_calls, host_calls, copies_in, copies_out, bytes_in, bytes_out;
	uint64_t maps, unmaps, protects, set_regs, str_bytes;
	uint64_t pool_used, pool_peak;
};
void pal_realm_get_stats(struct pal_realm_stats *st);

#endif /* LIBOS_PAL_REALM_H */
