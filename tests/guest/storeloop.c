/*
 * Store-heavy loop: rounds of 64-bit stores over a 64 KiB array, then a
 * checksum. Exits with the checksum's low 7 bits and writes the full
 * checksum (8 bytes) to stdout. Timed against qemu-aarch64 by test_cpu.
 */
#include "guest.h"

#define WORDS 8192
#define ROUNDS 12000

static unsigned long buf[WORDS];

__attribute__((optimize("no-tree-vectorize"), noinline)) static void fill(unsigned long r)
{
	for (unsigned long j = 0; j < WORDS; j++)
		buf[j] = (j ^ r) + (r << 3);
}

void _start(void)
{
	for (unsigned long r = 0; r < ROUNDS; r++)
		fill(r);
	unsigned long sum = 0;
	for (unsigned long j = 0; j < WORDS; j++)
		sum = sum * 31 + buf[j];
	sys_write(1, &sum, sizeof(sum));
	sys_exit((int)(sum & 0x7f));
}
