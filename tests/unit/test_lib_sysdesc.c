/*
 * lib/sysdesc (the system-call memory-argument table the mini-OS and the
 * RMM bound an OS's copies with) against a fake container memory: buffers
 * with their length argument, fixed structures, strings up to their NUL,
 * execve's pointer arrays, iovecs, socklen_t-sized buffers, ioctl/prctl
 * commands, clone's tid pointers, and the signal-frame rule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/sysdesc.h"

#define IN SYSDESC_DIR_IN
#define OUT SYSDESC_DIR_OUT
#define BASE 0x10000ULL
#define SIZE 0x4000ULL
#define FRAME (2 * 4096ULL) /* RB_SIGFRAME_MAX */

static uint8_t mem[SIZE]; /* container memory at [BASE, BASE + SIZE): readable; else not */

static int fake_read(void *ctx, uint64_t va, void *buf, size_t len)
{
	(void)ctx;
	if (va < BASE || va + len > BASE + SIZE || va + len < va)
		return -1;
	memcpy(buf, mem + (va - BASE), len);
	return 0;
}

static const struct sysdesc_mem M = {NULL, fake_read};

static bool allows(unsigned nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
		   uint64_t va, uint64_t len, unsigned dir)
{
	const uint64_t a[6] = {a0, a1, a2, a3, a4, 0};

	return sysdesc_allows(nr, a, va, len, dir, &M);
}

static void test_buffers(void **state)
{
	/* read(fd, buf, 100): the OS writes buf[0..100), never reads it, nothing else */
	assert_true(allows(63, 3, BASE, 100, 0, 0, BASE, 100, OUT));
	assert_true(allows(63, 3, BASE, 100, 0, 0, BASE + 99, 1, OUT));
	assert_false(allows(63, 3, BASE, 100, 0, 0, BASE, 101, OUT));
	assert_false(allows(63, 3, BASE, 100, 0, 0, BASE - 1, 2, OUT));
	assert_false(allows(63, 3, BASE, 100, 0, 0, BASE, 100, IN));
	assert_false(allows(63, 3, BASE, 100, 0, 0, BASE, 0, OUT));
	/* write(fd, buf, n): read only */
	assert_true(allows(64, 1, BASE, 8, 0, 0, BASE, 8, IN));
	assert_false(allows(64, 1, BASE, 8, 0, 0, BASE, 8, OUT));
	/* a length past the end of the address space names all up to it (getcwd(buf, SIZE_MAX)) */
	assert_true(allows(17, BASE, UINT64_MAX, 0, 0, 0, BASE + 4096, 16, OUT));
	/* a range that wraps is never inside */
	assert_false(allows(63, 3, BASE, 100, 0, 0, UINT64_MAX - 4, 16, OUT));
	/* fstat: a fixed struct stat (128 bytes) */
	assert_true(allows(80, 3, BASE, 0, 0, 0, BASE, 128, OUT));
	assert_false(allows(80, 3, BASE, 0, 0, 0, BASE, 129, OUT));
	/* a call without memory arguments, and numbers past the table */
	assert_false(allows(172, BASE, 0, 0, 0, 0, BASE, 1, IN)); /* getpid */
	assert_false(allows(5000, BASE, 100, 0, 0, 0, BASE, 1, IN));
	/* ppoll: nfds * 8 both ways; an absurd count is no range */
	assert_true(allows(73, BASE, 4, 0, 0, 0, BASE, 32, IN));
	assert_true(allows(73, BASE, 4, 0, 0, 0, BASE, 32, OUT));
	assert_false(allows(73, BASE, 1ULL << 33, 0, 0, 0, BASE, 32, OUT));
	/* getresuid, getcpu: the rows the fuzzer found */
	assert_true(allows(148, BASE, BASE + 8, BASE + 16, 0, 0, BASE + 16, 4, OUT));
	assert_true(allows(168, BASE, BASE + 8, 0, 0, 0, BASE + 8, 4, OUT));
}

static void test_strings(void **state)
{
	/* openat(dirfd, "/etc/passwd", ...): the string and its NUL, nothing after */
	memset(mem, 'x', sizeof(mem));
	memcpy(mem, "/etc/passwd", 12);
	assert_true(allows(56, 0, BASE, 0, 0, 0, BASE, 12, IN));
	assert_true(allows(56, 0, BASE, 0, 0, 0, BASE + 5, 7, IN));
	assert_false(allows(56, 0, BASE, 0, 0, 0, BASE, 13, IN));
	assert_false(allows(56, 0, BASE, 0, 0, 0, BASE, 12, OUT));
	/* an unreadable string names nothing */
	assert_false(allows(56, 0, BASE + SIZE, 0, 0, 0, BASE + SIZE, 1, IN));
	/* a string without a NUL up to the end of readable memory: what was readable */
	assert_true(allows(56, 0, BASE + SIZE - 16, 0, 0, 0, BASE + SIZE - 16, 16, IN));
	assert_false(allows(56, 0, BASE + SIZE - 16, 0, 0, 0, BASE + SIZE - 16, 17, IN));
}

static void test_execve(void **state)
{
	uint64_t argv[3] = {BASE + 0x100, BASE + 0x200, 0};

	memset(mem, 0, sizeof(mem));
	memcpy(mem, "/bin/sh", 8);
	memcpy(mem + 0x800, argv, sizeof(argv));
	memcpy(mem + 0x100, "sh", 3);
	memcpy(mem + 0x200, "-c", 3);
	/* execve(path, argv, envp = NULL-only array at 0x900) */
	assert_true(allows(221, BASE, BASE + 0x800, BASE + 0x900, 0, 0, BASE, 8, IN));
	assert_true(allows(221, BASE, BASE + 0x800, BASE + 0x900, 0, 0, BASE + 0x800, 24, IN));
	assert_false(allows(221, BASE, BASE + 0x800, BASE + 0x900, 0, 0, BASE + 0x800, 25, IN));
	assert_true(allows(221, BASE, BASE + 0x800, BASE + 0x900, 0, 0, BASE + 0x200, 3, IN));
	assert_false(allows(221, BASE, BASE + 0x800, BASE + 0x900, 0, 0, BASE + 0x200, 4, IN));
	assert_true(allows(221, BASE, BASE + 0x800, BASE + 0x900, 0, 0, BASE + 0x900, 8, IN));
	assert_false(allows(221, BASE, BASE + 0x800, BASE + 0x900, 0, 0, BASE + 0x300, 1, IN));
}

static void test_iov_deref_cmds(void **state)
{
	uint64_t iov[4] = {BASE + 0x100, 16, BASE + 0x300, 32};
	uint32_t socklen = 24;

	memset(mem, 0, sizeof(mem));
	memcpy(mem + 0x40, iov, sizeof(iov));
	/* readv(fd, iov, 2): the array is read, the buffers written */
	assert_true(allows(65, 3, BASE + 0x40, 2, 0, 0, BASE + 0x40, 32, IN));
	assert_false(allows(65, 3, BASE + 0x40, 2, 0, 0, BASE + 0x40, 32, OUT));
	assert_true(allows(65, 3, BASE + 0x40, 2, 0, 0, BASE + 0x300, 32, OUT));
	assert_false(allows(65, 3, BASE + 0x40, 2, 0, 0, BASE + 0x300, 33, OUT));
	assert_false(allows(65, 3, BASE + 0x40, 2, 0, 0, BASE + 0x100, 16, IN));
	/* writev: buffers read */
	assert_true(allows(66, 3, BASE + 0x40, 2, 0, 0, BASE + 0x100, 16, IN));
	/* getsockname(fd, addr, &len): addr sized by *len, len both ways */
	memcpy(mem + 0x500, &socklen, 4);
	assert_true(allows(204, 3, BASE + 0x600, BASE + 0x500, 0, 0, BASE + 0x600, 24, OUT));
	assert_false(allows(204, 3, BASE + 0x600, BASE + 0x500, 0, 0, BASE + 0x600, 25, OUT));
	assert_true(allows(204, 3, BASE + 0x600, BASE + 0x500, 0, 0, BASE + 0x500, 4, IN));
	/* ioctl TCGETS (termios out), TIOCGSID; an unknown command names nothing */
	assert_true(allows(29, 0, 0x5401, BASE, 0, 0, BASE, 60, OUT));
	assert_false(allows(29, 0, 0x5401, BASE, 0, 0, BASE, 60, IN));
	assert_true(allows(29, 0, 0x5429, BASE, 0, 0, BASE, 4, OUT));
	assert_false(allows(29, 0, 0x1234, BASE, 0, 0, BASE, 1, OUT));
	/* prctl PR_SET_NAME reads 16, PR_GET_PDEATHSIG writes an int */
	assert_true(allows(167, 15, BASE, 0, 0, 0, BASE, 16, IN));
	assert_true(allows(167, 2, BASE, 0, 0, 0, BASE, 4, OUT));
	assert_false(allows(167, 2, BASE, 0, 0, 0, BASE, 8, OUT));
	/* clone: ctid only with CLONE_CHILD_SETTID, ptid only with CLONE_PARENT_SETTID */
	assert_true(allows(220, 0x01000000, 0, 0, 0, BASE, BASE, 4, OUT));
	assert_false(allows(220, 0x00100000, 0, 0, 0, BASE, BASE, 4, OUT));
	assert_true(allows(220, 0x00100000, 0, BASE + 8, 0, BASE, BASE + 8, 4, OUT));
}

static void test_frames(void **state)
{
	uint64_t sp = 0x7F0000ULL;

	/* below sp for any trap, writes only */
	assert_true(sysdesc_frame_allows(false, 0, sp, sp - FRAME, FRAME, OUT, false));
	assert_true(sysdesc_frame_allows(true, 63, sp, sp - 4688, 4688, OUT, false));
	assert_false(sysdesc_frame_allows(true, 63, sp, sp - FRAME - 1, 2, OUT, false));
	assert_false(sysdesc_frame_allows(true, 63, sp, sp - 16, 17, OUT, false));
	assert_false(sysdesc_frame_allows(true, 63, sp, sp - 16, 16, IN, false));
	/* rt_sigreturn reads above sp; writes there only with sigret_out */
	assert_true(sysdesc_frame_allows(true, 139, sp, sp, 4688, IN, false));
	assert_false(sysdesc_frame_allows(true, 139, sp, sp, FRAME + 1, IN, false));
	assert_false(sysdesc_frame_allows(false, 139, sp, sp, 16, IN, false)); /* not an svc */
	assert_false(sysdesc_frame_allows(true, 139, sp, sp, 16, OUT, false));
	assert_true(sysdesc_frame_allows(true, 139, sp, sp, 16, OUT, true));
	/* an sp too low for the room: nothing below it */
	assert_false(sysdesc_frame_allows(true, 63, 16, 0, 16, OUT, false));
}

static void put64(uint64_t va, uint64_t v)
{
	memcpy(mem + (va - BASE), &v, 8);
}

/* The robust-list walk at a thread's end: the head, the links, the futex words; nothing else. */
static void test_robust(void **state)
{
	const uint64_t head = BASE + 0x100, e1 = BASE + 0x1000, e2 = BASE + 0x2000,
		       pend = BASE + 0x3000, off = (uint64_t)-16;

	(void)state;
	memset(mem, 0, sizeof(mem));
	/* head -> e1 -> e2 (PI bit set on the link) -> head; futex words at entry - 16 */
	put64(head, e1);
	put64(head + 8, off);
	put64(head + 16, pend);
	put64(e1, e2 | 1);
	put64(e2, head);
	assert_true(sysdesc_robust_allows(head, head, 24, IN, &M));
	assert_false(sysdesc_robust_allows(head, head, 24, OUT, &M));
	assert_false(sysdesc_robust_allows(head, head, 25, IN, &M));
	assert_true(sysdesc_robust_allows(head, e1, 8, IN, &M));
	assert_true(sysdesc_robust_allows(head, e2, 8, IN, &M));
	assert_false(sysdesc_robust_allows(head, e2, 8, OUT, &M)); /* links are only read */
	assert_true(sysdesc_robust_allows(head, e1 - 16, 4, IN, &M));
	assert_true(sysdesc_robust_allows(head, e2 - 16, 4, OUT, &M));
	assert_true(sysdesc_robust_allows(head, pend - 16, 4, OUT, &M));
	assert_false(sysdesc_robust_allows(head, pend, 8, IN, &M)); /* pending: its word only */
	assert_false(sysdesc_robust_allows(head, e1 - 16, 8, IN, &M));
	assert_false(sysdesc_robust_allows(head, e1 + 8, 8, IN, &M));
	assert_false(sysdesc_robust_allows(head, BASE + 0x3800, 4, IN, &M));
	assert_false(sysdesc_robust_allows(0, e1, 8, IN, &M));
	/* a cycle that never returns to the head ends at SYSDESC_ROBUST_MAX */
	put64(e2, e1);
	assert_false(sysdesc_robust_allows(head, BASE + 0x3800, 4, IN, &M));
	/* an unreadable link ends the walk: nothing past it */
	put64(e1, 0x900000);
	assert_false(sysdesc_robust_allows(head, e2, 8, IN, &M));
	assert_true(sysdesc_robust_allows(head, e1, 8, IN, &M));
	/* an unreadable head: only its own bytes (the read that will fail anyway) */
	assert_false(sysdesc_robust_allows(0x900000, 0x900000 + 64, 8, IN, &M));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buffers), cmocka_unit_test(test_strings),
		cmocka_unit_test(test_execve),	cmocka_unit_test(test_iov_deref_cmds),
		cmocka_unit_test(test_frames),	cmocka_unit_test(test_robust),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
