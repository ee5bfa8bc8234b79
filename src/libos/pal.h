/*
 * The platform adaptation layer (PAL): everything the library OS needs
 * from the deployment that hosts it, as one table of function pointers
 * (like Gramine's host interface). The library OS touches container memory,
 * host files, the console and time only through these calls, so the same
 * library OS runs unprotected (deploy/none.c: the CPU engine, host files)
 * and inside a System Realm (RMM copy calls verified against the pending
 * system call, files through NS buffers from an untrusted file server).
 *
 * Conventions: 0 or a positive count on success, a negative errno on
 * failure. `ctx` is the deployment's opaque pointer (pal_ops.ctx).
 * Calls are made with the library OS lock held unless marked "unlocked".
 */
#ifndef LIBOS_PAL_H
#define LIBOS_PAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pal_as;   /* a container address space (deployment-defined) */
struct pal_task; /* a runnable execution context: a vCPU / REC */

#define PAL_PROT_R 1u
#define PAL_PROT_W 2u
#define PAL_PROT_X 4u

#define PAL_NET_ADDR_MAX 128u /* sockaddr_storage */

/* EL0 register state of a task. */
struct pal_regs {
	uint64_t x[31];
	uint64_t sp;
	uint64_t pc;
	uint64_t pstate; /* NZCV in 31:28 */
	uint64_t tpidr;  /* TPIDR_EL0 */
};

struct pal_fpsimd {
	uint64_t v[32][2];
	uint32_t fpcr, fpsr;
};

enum pal_clock {
	PAL_CLOCK_REALTIME = 0,
	PAL_CLOCK_MONOTONIC = 1,
};

struct pal_ops {
	void *ctx;
	uint64_t hwcap, hwcap2; /* what the CPU executes (AT_HWCAP, AT_HWCAP2) */
	/*
	 * Only the threads of one process (CLONE_THREAD) share an address
	 * space (the realm deployment: a process's RECs share one RMM address
	 * space, RSI_RB_THREAD, which refuses CLONE_VFORK). vfork then gives
	 * the child a private copy (the parent still waits for its exec or
	 * exit).
	 */
	bool vfork_copies_as;
	/*
	 * A signal still pending after rt_sigreturn is not delivered in that
	 * call but at the task's next entry (task_kick): the deployment allows
	 * a frame only below the sp the call was made with (realm: the RMM's
	 * verification), and the next frame goes below the restored one.
	 */
	bool sigreturn_defers_signals;

	/* ---- container memory ---- */
	/* A new empty address space; NULL when out of memory. */
	struct pal_as *(*as_create)(void *ctx);
	/* Destroy `as` and free its pages (no task may be attached). */
	void (*as_destroy)(void *ctx, struct pal_as *as);
	/*
	 * Map fresh pages at [va, va+len) (page aligned) with prot, zero-filled
	 * except for the first init_len bytes, copied from init (may be NULL).
	 * Replaces what was mapped there. 0, -ENOMEM, -EINVAL.
	 */
	int (*mem_map)(void *ctx, struct pal_as *as, uint64_t va, uint64_t len, unsigned prot,
		       const void *init, size_t init_len);
	/* Unmap [va, va+len) (holes allowed) and scrub/free its pages. */
	int (*mem_unmap)(void *ctx, struct pal_as *as, uint64_t va, uint64_t len);
	/* Change prot of the mapped pages in [va, va+len) (holes skipped). */
	int (*mem_protect)(void *ctx, struct pal_as *as, uint64_t va, uint64_t len, unsigned prot);
	/* 0 with *prot if the page holding va is mapped, -ENOENT otherwise. */
	int (*mem_query)(void *ctx, struct pal_as *as, uint64_t va, unsigned *prot);
	/*
	 * Optional (NULL: not counted, memory limits not enforced). The pages
	 * of container memory mapped now, in every address space of the
	 * container, a page shared by several (mem_share) counted once: what
	 * the memory limit is applied to.
	 */
	uint64_t (*mem_pages)(void *ctx);
	/* fork: give dst private copies of the pages mapped in src in [va, va+len). */
	int (*mem_copy_as)(void *ctx, struct pal_as *dst, struct pal_as *src, uint64_t va,
			   uint64_t len);
	/*
	 * Optional. Map in dst the very pages src has at [va, va+len) (page
	 * aligned; holes stay holes), with src's permissions, replacing what dst
	 * had there: MAP_SHARED across fork. A page lives until its last mapping
	 * goes. NULL: not supported (fork then copies, and says so).
	 */
	int (*mem_share)(void *ctx, struct pal_as *dst, struct pal_as *src, uint64_t va,
			 uint64_t len);
	/*
	 * Copies between library OS memory and container memory, as EL0
	 * accesses (read needs R, write needs W). -EFAULT at the first page
	 * that is not mapped so (bytes before it may have been copied).
	 * strncpy_from_user returns the string length (NUL not counted),
	 * -ENAMETOOLONG if no NUL in max bytes, -EFAULT.
	 */
	int (*copy_from_user)(void *ctx, struct pal_as *as, void *dst, uint64_t src, size_t len);
	int (*copy_to_user)(void *ctx, struct pal_as *as, uint64_t dst, const void *src, size_t len);
	long (*strncpy_from_user)(void *ctx, struct pal_as *as, char *dst, uint64_t src, size_t max);

	/* ---- tasks ---- */
	/*
	 * Create a task running in `as` from regs/fp (fp may be NULL: zero).
	 * It starts at once and calls libos_handle_exception(libos_task, ...)
	 * for each exception it takes.
	 */
	int (*task_create)(void *ctx, struct pal_as *as, const struct pal_regs *regs,
			   const struct pal_fpsimd *fp, void *libos_task, struct pal_task **out);
	/* The task (the caller's current one) runs in `as` from now on (execve). */
	int (*task_set_as)(void *ctx, struct pal_task *t, struct pal_as *as);
	/*
	 * The current task ends: detach it from its address space. Its host
	 * context goes away when libos_handle_exception returns LIBOS_EXITED.
	 */
	void (*task_exit)(void *ctx, struct pal_task *t);
	/*
	 * Optional (NULL: nothing to do). Task t ends while a request of its own
	 * may still be pending (killed in a system call): called before the
	 * library OS walks its robust futex list and clears its
	 * clear_child_tid, so a deployment that checks copies against the
	 * pending call (realm: RSI_RB_ENDING; shim: rc_task_ending) can allow them.
	 */
	void (*task_ending)(void *ctx, struct pal_task *t);
	void (*get_regs)(void *ctx, struct pal_task *t, struct pal_regs *r);
	/*
	 * Optional (NULL: get_regs already gives every register). Complete *r,
	 * which get_regs filled at this exception, with the registers the
	 * deployment does not hand over at every exception (x9..x30, pstate):
	 * called before a signal frame saves them. Only for the task whose
	 * exception is being handled.
	 */
	void (*get_regs_full)(void *ctx, struct pal_task *t, struct pal_regs *r);
	void (*set_regs)(void *ctx, struct pal_task *t, const struct pal_regs *r);
	void (*get_fpsimd)(void *ctx, struct pal_task *t, struct pal_fpsimd *f);
	void (*set_fpsimd)(void *ctx, struct pal_task *t, const struct pal_fpsimd *f);
	/*
	 * Make a running task leave guest code soon (a signal is pending). Any
	 * thread. For the task whose exception is being handled: at its next
	 * entry into guest code.
	 */
	void (*task_kick)(void *ctx, struct pal_task *t);

	/* ---- blocking (unlocked: called with the library OS lock released) ---- */
	/*
	 * Sleep while *word == expected, at most timeout_ns (< 0: no limit).
	 * Returns 0 (woken or value changed) or -ETIMEDOUT.
	 */
	int (*wait)(void *ctx, uint32_t *word, uint32_t expected, int64_t timeout_ns);
	void (*wake)(void *ctx, uint32_t *word); /* wake every sleeper on word */
	/* The library OS lock (one mutex). */
	void (*lock)(void *ctx);
	void (*unlock)(void *ctx);

	/* ---- host files (read-only view of the rootfs; untrusted: verified against the manifest) ---- */
	/* Open the regular file at path (absolute in the container, no symlinks followed). Handle >= 0. */
	int (*host_open)(void *ctx, const char *path);
	long (*host_pread)(void *ctx, int h, void *buf, size_t len, uint64_t off);
	void (*host_close)(void *ctx, int h);

	/*
	 * ---- console: the container's fds 0-2 (unlocked) ----
	 * console_read may return -EAGAIN when nothing arrived for a while (tens
	 * of ms): the library OS then checks for signals and calls again.
	 */
	long (*console_read)(void *ctx, int fd, void *buf, size_t len);
	long (*console_write)(void *ctx, int fd, const void *buf, size_t len);
	/*
	 * The library OS's messages about the container ("memory limit of N
	 * pages reached"), one line without newline, for whoever runs it
	 * (optional: NULL = the platform's log). level: enum log_level.
	 */
	void (*log)(void *ctx, int level, const char *text, size_t len);

	/* ---- time and randomness ---- */
	uint64_t (*time_ns)(void *ctx, enum pal_clock clock);
	void (*random)(void *ctx, void *buf, size_t len);

	/*
	 * ---- attestation (optional: NULL = no provider, as Linux without a
	 * TSM provider: configfs-tsm reports are absent) ----
	 * The CCA attestation token of the container for a 64-byte challenge
	 * (configfs-tsm's inblob -> outblob, provider "arm_cca_guest"), made
	 * by the platform for the task whose system call is being served.
	 * Returns the token's length (<= cap), -ENOSPC, or -EIO.
	 */
	long (*attest_token)(void *ctx, struct pal_task *t, const uint8_t challenge[64], void *buf,
			     size_t cap);

	/*
	 * Optional (NULL: not recorded). An execve of the calling task loaded
	 * the executable whose SHA-256 is `digest`: the deployment records it
	 * (realm: extends the Container Realm's REM[0] through the RMM).
	 */
	void (*measure_exec)(void *ctx, struct pal_task *t, const uint8_t digest[32]);

	/*
	 * ---- network: the deployment's host network proxy (optional: net_socket
	 * NULL = no host network; AF_INET/AF_INET6 then answer EAFNOSUPPORT) ----
	 * Never blocking: -EAGAIN (or -EINPROGRESS for connect) when the host
	 * socket is not ready; readiness through net_poll. A handle is the
	 * deployment's small integer. Addresses are Linux sockaddr_in /
	 * sockaddr_in6 bytes (at most PAL_NET_ADDR_MAX) in the container's view:
	 * the deployment maps the container's loopback ports to host ports
	 * (docs/networking.md). Data is passed as the application gave it
	 * (untrusted host: it sees addresses, ports, sizes and timing).
	 */
	/*
	 * How often a sleeper re-checks host sockets, in ns (0: every
	 * SOCK_EXTERNAL_POLL_NS, 2 ms). A deployment that calls
	 * libos_external_event() when a host socket it reported not ready
	 * becomes ready sets a long safety interval here.
	 */
	uint64_t net_recheck_ns;
	/*
	 * The largest send net_send carries in one call (0: no limit). A
	 * stream send may be cut to it; a datagram longer answers EMSGSIZE.
	 */
	size_t net_max_send;
	/* A new socket (type without flags). Handle >= 0 or -errno. */
	int (*net_socket)(void *ctx, int family, int type, int protocol);
	int (*net_bind)(void *ctx, int h, const void *addr, uint32_t len);
	int (*net_listen)(void *ctx, int h, int backlog);
	/* A waiting connection: new handle; peer address in addr (*len in: room, out: length). */
	int (*net_accept)(void *ctx, int h, void *addr, uint32_t *len);
	/* 0 (connected), -EINPROGRESS (poll POLLOUT, then SO_ERROR), -EALREADY, -errno. */
	int (*net_connect)(void *ctx, int h, const void *addr, uint32_t len);
	/* Bytes sent (MSG_* flags: DONTWAIT implied), addr/alen: destination or NULL/0. */
	long (*net_send)(void *ctx, int h, const void *buf, size_t len, int flags, const void *addr,
			 uint32_t alen);
	/* Bytes received (0: end of stream); source in addr (*alen in: room, out: length). */
	long (*net_recv)(void *ctx, int h, void *buf, size_t len, int flags, void *addr,
			 uint32_t *alen);
	int (*net_shutdown)(void *ctx, int h, int how);
	/* Options the proxy passes on (a SOL_SOCKET, TCP, IP, IPV6 subset); others ENOPROTOOPT. */
	int (*net_setsockopt)(void *ctx, int h, int level, int name, const void *val, uint32_t len);
	int (*net_getsockopt)(void *ctx, int h, int level, int name, void *val, uint32_t *len);
	/* Local (peer false) or peer address; *len in: room, out: full length. */
	int (*net_getname)(void *ctx, int h, bool peer, void *addr, uint32_t *len);
	/* POLLIN 1 / POLLOUT 4 / POLLERR 8 / POLLHUP 16 / POLLRDHUP 0x2000 now. */
	unsigned (*net_poll)(void *ctx, int h, unsigned events);
	void (*net_close)(void *ctx, int h);

	/* ---- end ---- */
	/* The init process has ended with `status` (shell encoding); all tasks are being killed. */
	void (*container_exit)(void *ctx, int status, int term_signal);
};

#endif /* LIBOS_PAL_H */
