/*
 * Minimal runtime for the test guests (static, -nostdlib, aarch64 Linux
 * ABI): raw system calls. The same binaries run under qemu-aarch64 (a real
 * kernel's system calls) and on the CPU engine (the test answers them).
 */
#ifndef TESTS_GUEST_GUEST_H
#define TESTS_GUEST_GUEST_H

static inline long svc6(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a0;
	register long x1 __asm__("x1") = a1;
	register long x2 __asm__("x2") = a2;
	register long x3 __asm__("x3") = a3;
	register long x4 __asm__("x4") = a4;
	register long x5 __asm__("x5") = a5;
	__asm__ volatile("svc #0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory");
	return x0;
}

#define SYS_write 64
#define SYS_exit_group 94

static inline long sys_write(int fd, const void *buf, unsigned long len)
{
	return svc6(SYS_write, fd, (long)buf, (long)len, 0, 0, 0);
}

static inline __attribute__((noreturn)) void sys_exit(int code)
{
	for (;;)
		svc6(SYS_exit_group, code, 0, 0, 0, 0, 0);
}

#endif
