/*
 * Fasco's verification mechanism (DESIGN.md §3): which container memory
 * the System Realm may copy for the request pending on a channel. A copy is
 * allowed only inside a range that the pending system call's own arguments
 * name, in that argument's direction, as the shared per-syscall descriptor
 * table says (lib/sysdesc.c, Linux arm64 numbers; the mini-OS bounds the
 * deprivileged OS with the same table), plus the signal-frame room below
 * the request's sp (out) or on the alternate signal stack the container's
 * own sigaltstack call registered (out), for rt_sigreturn above sp (in), and
 * a thread's clear_child_tid word at its end. Only the arguments the RMM
 * recorded when the call was forwarded count; memory the RMM reads to size
 * a range (strings, pointer arrays, iovecs, socklen_t) is read through the
 * container's own address space.
 */
#include "lib/assert.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "lib/sysdesc.h"
#include "rmm/fasco.h"

COMPILER_ASSERT(FASCO_DIR_IN == SYSDESC_DIR_IN && FASCO_DIR_OUT == SYSDESC_DIR_OUT,
		"one encoding of copy directions");

#define IN FASCO_DIR_IN
#define OUT FASCO_DIR_OUT
#define SYS_EXIT 93
#define SYS_EXIT_GROUP 94

/* ---- Container memory through its address space -------------------------- */

int fasco_as_page(struct rec *crec, uint64_t va, unsigned prot, uint8_t **p)
{
	struct granule *g;
	uint64_t pa;
	unsigned pr;

	if (crec->fasco.as == NULL || va >= RB_VA_LIMIT ||
	    plat_as_query(crec->fasco.as, va, &pa, &pr) != 0)
		return -EFAULT;
	if ((pr & prot) != prot)
		return -EACCES;
	g = granule_find(ALIGN_DOWN(pa, GRANULE_SIZE));
	/* Mapped granules are DATA with a mapped count: DATA_DESTROY refuses them. */
	if (g == NULL || granule_get_state(g) != GRANULE_STATE_DATA)
		return -EFAULT;
	*p = (uint8_t *)granule_map(g) + (pa & GRANULE_MASK);
	return 0;
}

int fasco_as_read(struct rec *crec, uint64_t va, void *buf, size_t len)
{
	uint8_t *dst = buf;

	while (len != 0) {
		size_t n = GRANULE_SIZE - (va & GRANULE_MASK);
		uint8_t *p;

		if (n > len)
			n = len;
		if (fasco_as_page(crec, va, PLAT_PROT_R, &p) != 0)
			return -EFAULT;
		memcpy(dst, p, n);
		dst += n;
		va += n;
		len -= n;
	}
	return 0;
}

/* ---- The rule --------------------------------------------------------- */

static int as_reader(void *ctx, uint64_t va, void *buf, size_t len)
{
	return fasco_as_read(ctx, va, buf, len);
}

bool fasco_verify_copy(struct rec *crec, uint64_t va, uint64_t len, unsigned dir)
{
	const struct rec_fasco *f = &crec->fasco;
	const struct sysdesc_mem m = {crec, as_reader};
	bool svc = f->kind == RB_REQ_SYSCALL;

	ASSERT(dir == IN || dir == OUT);
	if (len == 0)
		return false;
	if (f->kind != RB_REQ_SYSCALL && f->kind != RB_REQ_ABORT && f->kind != RB_REQ_FAULT &&
	    f->kind != RB_REQ_KICK)
		return false;
	/* Pages of the container's own file-backed MAP_SHARED mappings (file coherence). */
	if (fasco_as_sync_inside(crec, va, len))
		return true;
	/*
	 * A thread's end (exit, exit_group, killed while in user code, or
	 * marked by RSI_RB_ENDING: killed during this request): its
	 * clear_child_tid word is zeroed for pthread_join's futex.
	 */
	bool ending = f->ending || f->kind == RB_REQ_KICK ||
		      (svc && (f->nr == SYS_EXIT || f->nr == SYS_EXIT_GROUP));

	if (dir == OUT && len == 4 && f->ctid != 0 && va == f->ctid && ending)
		return true;
	/*
	 * ... and its robust futex list walked (set_robust_list's head, the
	 * entries' links, their futex words read and marked OWNER_DIED)
	 */
	if (f->robust != 0 && ending && sysdesc_robust_allows(f->robust, va, len, dir, &m))
		return true;
	/* Signal frames below sp; rt_sigreturn's frame at sp (read only, in the RMM). */
	if (sysdesc_frame_allows(svc, (unsigned)f->nr, f->sp, va, len, dir, false))
		return true;
	/* ... or on the alternate signal stack the container registered (SA_ONSTACK) */
	if (dir == OUT && f->alt_size != 0 && sysdesc_inside(va, len, f->alt_sp, f->alt_size))
		return true;
	if (!svc || f->nr == SYSDESC_RT_SIGRETURN)
		return false;
	return sysdesc_allows((unsigned)f->nr, f->args, va, len, dir, &m);
}
