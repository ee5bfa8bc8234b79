/*
 * Test program: code written at run time. `jitcode N` maps two RWX pages at
 * a fixed address, writes `mov w0, #N; ret` into the first, cleans the
 * caches as a JIT does, calls it and prints what it returned; then the
 * same with `mov w0, #N+1` in the second. Two containers running it on the
 * same machine with different N put different code at the same addresses:
 * each must print its own numbers (shared translation, issue 9).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#define CODE_VA 0x10000000UL

static unsigned call_with(uint32_t *code, unsigned n)
{
	code[0] = 0x52800000u | ((n & 0xffffu) << 5); /* mov w0, #n */
	code[1] = 0xd65f03c0u;                        /* ret */
	__builtin___clear_cache((char *)code, (char *)(code + 2));
	return ((unsigned (*)(void))code)();
}

int main(int argc, char **argv)
{
	unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 1;
	uint32_t *code = mmap((void *)CODE_VA, 8192, PROT_READ | PROT_WRITE | PROT_EXEC,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (code == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	unsigned a = call_with(code, n);
	unsigned b = call_with(code + 1024, n + 1);
	printf("%u %u\n", a, b);
	return 0;
}
