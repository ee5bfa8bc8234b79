/*
 * Register-only loop: xorshift and multiply-add in registers, no memory
 * traffic. Exits with the result's low 7 bits and writes it to stdout.
 */
#include "guest.h"

#define ITERS 200000000UL

void _start(void)
{
	unsigned long x = 88172645463325252UL, acc = 0;
	for (unsigned long i = 0; i < ITERS; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		acc = acc * 3 + (x & 0xff);
	}
	sys_write(1, &acc, sizeof(acc));
	sys_exit((int)(acc & 0x7f));
}
