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
 * A container's processes are the Container Realm's RECs: each REC has its
 * own RMM address space and its own channel; fork is RSI_RB_FORK_PAGE /
 * FORK_REGS into an unused (never run or ended) REC. The System Realm has one
 * vCPU: every container REC's request is served on a kernel thread of its
 * own (a cooperative context on that vCPU), so a call that blocks (wait4,
 * a read on an empty pipe, nanosleep) lets the others run.
 *
 * The library OS may include only arch/, lib/ and libos/, so the SMC
 * instruction, the architectural timer and RNG and the context switch come
 * in as function pointers from the deployment, and the System Realm memory
 * the PAL uses comes in as host pointers the deployment obtained from
 * stage 2. A process's threads are RECs sharing one RMM address space
 * (RSI_RB_THREAD); a vfork child gets a copy (pal_ops.vfork_copies_as).
 */
#ifndef LIBOS_PAL_REALM_H
#define LIBOS_PAL_REALM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/fasco.h"
#include "arch/rsi.h"
#include "libos/pal.h"

/*
 * Container Realms one System Realm serves at most (each has its own
 * library OS instance, address spaces, RECs and channels). Container c's
 * REC k runs on kernel thread c * PAL_REALM_MAX_RECS + k.
 */
#define PAL_REALM_MAX_CTS 4

/*
 * RsiHostCall.imm: the call (below) in bits 0-7, and in bits 8-15 the
 * container it is for, as index + 1 (0: the System Realm as a whole, only
 * PRH_IDLE and PRH_SLEEP). The host checks the name: a call naming a
 * container it did not bind to this System Realm gets -EINVAL.
 */
#define PRH_IMM(call, ct1) ((uint16_t)((call) | ((ct1) << 8)))
#define PRH_IMM_CALL(imm) ((unsigned)(imm)&0xFFu)
#define PRH_IMM_CT1(imm) ((unsigned)(imm) >> 8)

/* Host calls of the System Realm (RsiHostCall.imm); arguments in gprs. */
enum pal_realm_hc {
	/*
	 * g0 timeout ns (UINT64_MAX: none); for each container c <
	 * PAL_REALM_MAX_CTS: g(1+2c) bitmap of its channels completed since
	 * the last idle (the host may enter those RECs), g(2+2c) its exit
	 * status + 1 once it has ended (0 before)
	 * -> g0 PRH_CMD_*, g1 bitmap of channels with a forwarded request (SERVE),
	 * or the signal number (SIGNAL), or the command's argument; g2 the
	 * exitless poll budget (ns); g3 the container (index) the command is
	 * for. A command naming no container the System Realm serves is
	 * ignored.
	 */
	PRH_IDLE = 1,
	PRH_CONSOLE_WRITE = 2, /* g0 fd, g1 len (data in the NS buffer) -> g0 result */
	PRH_CONSOLE_READ = 3,  /* g0 fd, g1 max -> g0 result (data in the NS buffer), -EAGAIN: none yet */
	PRH_OPEN = 4,          /* path in the NS buffer -> g0 handle or -errno */
	PRH_PREAD = 5,         /* g0 handle, g1 len, g2 offset -> g0 bytes (NS buffer) */
	PRH_CLOSE = 6,         /* g0 handle */
	PRH_SLEEP = 7,         /* g0 ns: block at most that long (the host may return earlier) */
	PRH_MANIFEST = 8,      /* g0 offset, g1 len -> g0 bytes, g1 total size (NS buffer) */
	PRH_LOG = 9,           /* text in the NS buffer, g0 len */
	PRH_MTIMES = 10,       /* g0 first entry, g1 count -> g0 count: u64 mtimes (unmeasured) */
	PRH_GROW = 11,         /* g0 granules wanted -> g0 the pool's granules now (DATA created) */
	PRH_NET = 12,          /* g0 PRN_* (below), g1 handle, g2.. -> g0 result (host network proxy) */
	PRH_PS = 13,           /* g0 count of struct pal_realm_ps records in the NS buffer (PRH_CMD_PS) */
	PRH_RESULT = 14,       /* g0 the result of PRH_CMD_EXEC, _EXEC_STATUS, _KILL_PID (int64) */
};

/*
 * PRH_CMD_EXEC's request in the NS buffer (g1 its length): this header,
 * then NUL-terminated strings: cwd, argc args, envc env entries. The
 * System Realm checks every field; the process's fds 0-2 are console
 * streams console_base..+2 (PRH_CONSOLE_READ/WRITE with those fds).
 */
struct pal_realm_exec {
	uint32_t console_base, uid, gid, terminal, argc, envc;
	uint32_t winsize;  /* a terminal's size at start, rows << 16 | cols (0: 24x80) */
	uint32_t reserved; /* 0 */
};
#define PAL_REALM_EXEC_MAX_STRINGS 256

/* One container process as the System Realm reports it for the runtime's ps (PRH_PS). */
struct pal_realm_ps {
	uint32_t pid, ppid;
	char state;    /* 'R' live, 'Z' zombie */
	char pad[3];
	char comm[16]; /* NUL-terminated */
};

/*
 * PRH_NET operations (the pal.h net_* calls). Addresses, option values and
 * data travel in the NS buffer: an address at offset 0, send/recv data at
 * PRN_DATA_OFF. Answers: g0 the result (-errno), g1 an address or option
 * length where one comes back.
 */
enum pal_realm_net_op {
	PRN_SOCKET = 1,     /* g1 family, g2 type, g3 protocol -> g0 handle */
	PRN_BIND = 2,       /* g1 h, g2 address length */
	PRN_LISTEN = 3,     /* g1 h, g2 backlog */
	PRN_ACCEPT = 4,     /* g1 h, g2 room -> g0 new handle, g1 peer address length */
	PRN_CONNECT = 5,    /* g1 h, g2 address length */
	PRN_SEND = 6,       /* g1 h, g2 len, g3 flags, g4 address length (0: none) -> g0 bytes */
	PRN_RECV = 7,       /* g1 h, g2 len, g3 flags, g4 address room -> g0 bytes, g1 length */
	PRN_SHUTDOWN = 8,   /* g1 h, g2 how */
	PRN_SETSOCKOPT = 9, /* g1 h, g2 level, g3 name, g4 length */
	PRN_GETSOCKOPT = 10,/* g1 h, g2 level, g3 name, g4 room -> g1 length */
	PRN_GETNAME = 11,   /* g1 h, g2 peer, g3 room -> g1 length */
	PRN_POLL = 12,      /* g1 h, g2 events -> g0 revents */
	PRN_CLOSE = 13,     /* g1 h */
};
#define PRN_DATA_OFF 128 /* send/recv data in the NS buffer (after the address) */

/* What the host answers PRH_IDLE with. */
#define PRH_CMD_SERVE 1    /* requests are pending on the channels in g1 */
#define PRH_CMD_SHUTDOWN 2 /* stop the kernel */
#define PRH_CMD_TICK 3     /* the timeout passed (or nothing new): look at the timers */
#define PRH_CMD_SIGNAL 4   /* the runtime sends signal g1 to the container's init (runc kill) */
#define PRH_CMD_NET 5      /* a host socket the container waits for is ready: wake sleepers */
#define PRH_CMD_PS 6       /* report the container's processes (PRH_PS), then idle again */
#define PRH_CMD_EXEC 7     /* start the process in the NS buffer (runc exec): PRH_RESULT pid */
#define PRH_CMD_EXEC_STATUS 8 /* g1 pid: PRH_RESULT its status, -EAGAIN running, -ESRCH */
#define PRH_CMD_KILL_PID 9 /* g1 pid << 8 | signal, for an exec'd process: PRH_RESULT 0/-errno */
/*
 * g1 = 64: the NS buffer holds a 64-byte challenge (realmbox attest). The
 * Container Realm's token from the RMM replaces it; PRH_RESULT its length,
 * or -EPERM (not allowed by the measured configuration), -EBUSY (every REC
 * of the container was running), -EIO (the RMM made no token).
 */
#define PRH_CMD_ATTEST 11
#define PRH_CMD_STATS 10   /* struct pal_realm_live into the NS buffer; PRH_RESULT its size, -ESRCH */
/*
 * g3 a container slot, g1 the length of the deployment's description of
 * its Container Realm in the NS buffer (channels, RECs, pool, memory; the
 * System Realm checks every field): the System Realm serves it from now
 * on. PRH_RESULT 0, or -EINVAL (a bad description), -EBUSY (the slot is
 * taken), -ENOMEM (no room in System Realm memory). The PRH_RESULT names
 * the slot (none if g3 is not a slot).
 */
#define PRH_CMD_ADD_CT 12
/*
 * g3 a container slot whose container has ended (or never started): its
 * library OS instance is finished and its memory and slot are free for
 * another. PRH_RESULT the size of a struct pal_realm_live in the NS buffer
 * (its counters at its end; mem_pages and pids 0), 0 if it never had a
 * library OS, -EBUSY (it still runs), -ESRCH (no such slot).
 */
#define PRH_CMD_DROP_CT 13
/*
 * g1 pid << 32 | rows << 16 | cols: the host resized the container's
 * console terminal (pid 0) or the terminal of PRH_CMD_EXEC's process pid
 * (its pty's TIOCSWINSZ): SIGWINCH to its foreground group on a change.
 * PRH_RESULT 0, -EINVAL (pid past 31 bits), -ENOTTY (no terminal there),
 * -ESRCH (not running, no such process).
 */
#define PRH_CMD_WINSIZE 14

/* The container's counters the System Realm reports for the runtime's stats (PRH_CMD_STATS). */
struct pal_realm_live {
	uint64_t mem_pages, pids, syscalls, enosys, oom_kills, pids_refused;
};

#define PAL_REALM_MAX_RECS 31 /* RECs of a Container Realm (docs/fasco-abi.md) */

struct pal_realm_env {
	void *guest;
	/* SMC #0: x[0..10] in, x[0..10] out. */
	void (*smc)(void *guest, uint64_t x[11]);
	/* The architectural counter (CNTVCT_EL0) as ns, and RNDR. */
	uint64_t (*counter_ns)(void *guest, int clock);
	void (*rndr)(void *guest, void *buf, size_t len);
	/* YIELD: a spin-wait hint (the host may run another thread meanwhile). */
	void (*relax)(void *guest);
	/*
	 * Kernel threads: context c * PAL_REALM_MAX_RECS + k + 1 for REC k of
	 * container c, on stacks of their own, 0 the boot context. kt_start(id, entry): the next switch to id runs entry() from
	 * the top of its stack (entry never returns). kt_switch(from, to): save
	 * the running context as `from` and resume `to`.
	 */
	void (*kt_start)(void *guest, unsigned id, void (*entry)(void));
	void (*kt_switch)(void *guest, unsigned from, unsigned to);

	unsigned nrecs;                        /* container RECs, each with a channel */
	uint64_t chan_ipa[PAL_REALM_MAX_RECS]; /* the channels (read-only) */
	const volatile struct rb_channel *chan[PAL_REALM_MAX_RECS];
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
	size_t pool_n;                       /* granules the host created at start */
	size_t pool_max;                     /* granules the pool may grow to (PRH_GROW) */
	uint64_t stage_ipa;                  /* DATA: pages of address spaces no REC runs yet */
	uint8_t *stage;
	size_t stage_n;
	void *meta;                          /* System Realm memory for the PAL's tables */
	size_t meta_size;
	uint64_t hwcap, hwcap2;
};

/* Bytes of env.meta that pal_realm_init needs for a pool of up to pool_max granules. */
size_t pal_realm_meta_size(size_t pool_max);

/*
 * Set up the PAL; *ops gets the table for libos_init. With env->nrecs != 0
 * the env's channels, pool, stage and meta are container 0's; with 0 no
 * container is served until PRH_CMD_ADD_CT. 0 or -EINVAL.
 */
int pal_realm_init(const struct pal_realm_env *env, struct pal_ops *ops);

/*
 * A host call: imm, n arguments in, the 31 gprs the host answered in out
 * (may be NULL). Returns out[0].
 */
uint64_t pal_realm_host_call(unsigned imm, const uint64_t *args, unsigned n, uint64_t *out);

/* READ_CONFIG of [off, off+len) into buf (REC 0's START must be taken). 0 or -EFAULT. */
int pal_realm_read_config(uint64_t off, void *buf, size_t len);

/* START's configuration size as the RMM announced it in REC 0's channel. */
uint64_t pal_realm_config_size(void);

/* What the deployment does for the kernel's main loop (pal_realm_run). */
struct pal_realm_hooks {
	/*
	 * START of the current container's REC 0 (pal_realm_current_ct):
	 * reads the configuration and runs libos_init and libos_start: 0, or
	 * an error after which the container exits with 127 (126 for
	 * EACCES/ENOEXEC).
	 */
	int (*start)(void *arg);
	/*
	 * PRH_CMD_ADD_CT for slot ct (free): check the host's description
	 * (len bytes in the NS buffer), map its channels and carve its stage,
	 * meta and kernel-thread stacks into *env (the System Realm's fields
	 * are already there). 0 or a negative errno (nothing kept).
	 */
	int (*add_ct)(void *arg, unsigned ct, uint64_t len, struct pal_realm_env *env);
	/* Slot ct is free again (its container dropped, or its add failed after add_ct). */
	void (*drop_ct)(void *arg, unsigned ct);
	void *arg;
};

/*
 * The kernel's main loop until the host answers SHUTDOWN: idle host calls,
 * TAKE of every channel the host names, each request served on its REC's
 * kernel thread; containers come and go with PRH_CMD_ADD_CT / _DROP_CT.
 */
void pal_realm_run(const struct pal_realm_hooks *hooks);

/* The slot of the container whose kernel thread runs (or that was last served). */
unsigned pal_realm_current_ct(void);

/*
 * Whether the measured configuration lets the runtime start processes
 * (PRH_CMD_EXEC); refused with -EPERM otherwise. Set at START.
 */
void pal_realm_allow_exec(bool allow);

/*
 * Whether the measured configuration lets the runtime ask for the
 * container's token (PRH_CMD_ATTEST); refused with -EPERM otherwise.
 */
void pal_realm_allow_attest(bool allow);

struct pal_realm_stats {
	uint64_t rsi_calls, host_calls, copies_in, copies_out, bytes_in, bytes_out;
	uint64_t maps, unmaps, protects, set_regs, str_bytes;
	uint64_t pool_used, pool_peak;
	uint64_t forks, fork_pages, get_regs, kicks, kt_switches, threads;
	uint64_t shares, shared_pages; /* RSI_RB_SHARE calls, pages they mapped */
};
void pal_realm_get_stats(struct pal_realm_stats *st);

#endif /* LIBOS_PAL_REALM_H */
