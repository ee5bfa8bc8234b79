/*
 * The Linux arm64 system calls' memory arguments, for the trusted code that
 * bounds a less-trusted OS's copies of container memory by the system call
 * the container has pending (the RMM's Fasco verification in realm mode,
 * the mini-OS in shim mode): a per-call descriptor table (which argument is
 * a buffer, its direction, which argument or which bytes give its length)
 * and the range logic. Freestanding; container memory is read only through
 * the caller's reader (the container's own address space, EL0 view).
 */
#ifndef LIB_SYSDESC_H
#define LIB_SYSDESC_H

#include "arch/arch.h"

/* Directions, as the RMM's FASCO_DIR_*. */
#define SYSDESC_DIR_IN 1u  /* container -> OS: the OS reads container memory */
#define SYSDESC_DIR_OUT 2u /* OS -> container: the OS writes container memory */

#define SYSDESC_NR_MAX 448U /* table size: arm64 numbers below this */
#define SYSDESC_RT_SIGRETURN 139U

/* Reads container memory (EL0-readable only): 0, or negative if any byte is unreadable. */
struct sysdesc_mem {
	void *ctx;
	int (*read)(void *ctx, uint64_t va, void *buf, size_t len);
};

/*
 * Is [va, va+len), in direction dir (one SYSDESC_DIR_*), inside a range
 * that system call nr with arguments args[0..5] names (its descriptors:
 * buffers with their lengths, strings up to their NUL, pointer arrays,
 * iovecs, ioctl/prctl command buffers)? Memory that sizes a range is read
 * through m. False for len 0, an unknown call, or a call without memory
 * arguments. rt_sigreturn's frame is not a descriptor (see
 * sysdesc_frame_allows).
 */
bool sysdesc_allows(unsigned nr, const uint64_t args[6], uint64_t va, uint64_t len, unsigned dir,
		    const struct sysdesc_mem *m);

/*
 * The signal-frame rule, given the sp of the trap the container is in:
 * a write (OUT) inside [sp - RB_SIGFRAME_MAX, sp) for any trap (signal
 * delivery: arm64 has no red zone), and for a pending rt_sigreturn (svc
 * with nr SYSDESC_RT_SIGRETURN) a read (IN) inside [sp, sp + RB_SIGFRAME_MAX)
 * and, if sigret_out, a write there too (the next pending signal's frame,
 * delivered on sigreturn's way out at the sp it restores: the mini-OS;
 * the RMM's rule is without it).
 */
bool sysdesc_frame_allows(bool svc, unsigned nr, uint64_t sp, uint64_t va, uint64_t len,
			  unsigned dir, bool sigret_out);

/* Is [va, va+len) inside [base, base+size)? A size past the address space's end names all up to it.
 */
bool sysdesc_inside(uint64_t va, uint64_t len, uint64_t base, uint64_t size);

/*
 * The robust-futex rule for a thread's end (Linux's exit_robust_list):
 * given the head the thread registered with set_robust_list (24 bytes:
 * next, futex_offset, list_op_pending), is [va, va+len) the head (IN), an
 * entry's next pointer (IN, 8 bytes) or an entry's futex word at
 * entry + futex_offset (IN or OUT, 4 bytes), for an entry on the list
 * (at most SYSDESC_ROBUST_MAX, the list read through m) or the pending one?
 * The caller decides when a thread is ending; false on any unreadable link.
 */
#define SYSDESC_ROBUST_MAX 2048
bool sysdesc_robust_allows(uint64_t head, uint64_t va, uint64_t len, unsigned dir,
			   const struct sysdesc_mem *m);

#endif /* LIB_SYSDESC_H */
