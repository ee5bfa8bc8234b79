/*
 * Call-heavy loop: direct calls, calls through a pointer and returns (the
 * JIT's return-stack-buffer and fast-dispatch paths). Exits with the low 7
 * bits of the result and writes it to stdout.
 */
#include "guest.h"

#define ITERS 20000000UL

__attribute__((noinline)) static unsigned long f1(unsigned long x)
{
	__asm__ volatile("");
	return x * 3 + 1;
}

__attribute__((noinline)) static unsigned long f2(unsigned long x)
{
	__asm__ volatile("");
	return (x >> 1) ^ x;
}

static unsigned long (*volatile fp[2])(unsigned long) = {f1, f2};

void _start(void)
{
	unsigned long acc = 1;
	for (unsigned long i = 0; i < ITERS; i++) {
		acc = f1(acc);
		acc = fp[i & 1](acc);
		acc = f2(acc);
	}
	sys_write(1, &acc, sizeof(acc));
	sys_exit((int)(acc & 0x7f));
}
