/*
 * Test program: memory. malloc of small and large blocks, brk through sbrk,
 * anonymous mmap, mprotect, mremap, munmap and a private file mapping.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static uint32_t sum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i < n; i++)
		s = s * 31 + p[i];
	return s;
}

int main(void)
{
	size_t big = 64u << 20;
	uint8_t *a = malloc(big), *m, *r;
	char *small[100];
	void *b0, *b1;
	int fd;

	if (a == NULL)
		return 1;
	for (size_t i = 0; i < big; i += 4096)
		a[i] = (uint8_t)(i >> 12);
	printf("malloc 64 MiB: sum %08x\n", sum(a, big));
	free(a);
	for (int i = 0; i < 100; i++) {
		small[i] = malloc(16 + i * 8);
		memset(small[i], i, 16 + i * 8);
	}
	for (int i = 0; i < 100; i += 2)
		free(small[i]);
	printf("small blocks ok: %d\n", small[99][0] == 99);

	b0 = sbrk(0);
	b1 = sbrk(1 << 20);
	printf("sbrk grew: %d\n", b1 == b0 && sbrk(0) == (char *)b0 + (1 << 20));

	m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return 2;
	printf("anonymous mmap zeroed: %d\n", sum(m, 1 << 20) == 0);
	memset(m, 0x5a, 1 << 20);
	printf("mprotect read-only: %d\n", mprotect(m, 1 << 20, PROT_READ) == 0);
	r = mremap(m, 1 << 20, 2 << 20, MREMAP_MAYMOVE);
	printf("mremap: %d, kept: %d\n", r != MAP_FAILED, r != MAP_FAILED && r[4095] == 0x5a);
	munmap(r != MAP_FAILED ? r : m, r != MAP_FAILED ? 2 << 20 : 1 << 20);

	/* PROT_NONE and back: the pages keep what was written (guard toggles, GCs) */
	m = mmap(NULL, 3 << 12, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return 2;
	memset(m, 0x6b, 2 << 12); /* the third page is never touched */
	mprotect(m, 3 << 12, PROT_NONE);
	mprotect(m, 3 << 12, PROT_READ | PROT_WRITE);
	printf("PROT_NONE and back kept: %d, untouched page zero: %d\n",
	       m[0] == 0x6b && m[(2 << 12) - 1] == 0x6b, sum(m + (2 << 12), 1 << 12) == 0);
	munmap(m, 3 << 12);

	fd = open("/etc/passwd", O_RDONLY);
	if (fd >= 0) {
		off_t len = lseek(fd, 0, SEEK_END);
		uint8_t *f = mmap(NULL, (size_t)len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);

		if (f != MAP_FAILED) {
			printf("file mapping starts: %.5s\n", (char *)f);
			f[0] = 'X';
			munmap(f, (size_t)len);
		}
		close(fd);
		fd = open("/etc/passwd", O_RDONLY);
		char c;
		if (read(fd, &c, 1) == 1)
			printf("private write stayed private: %d\n", c != 'X');
		close(fd);
	}
	return 0;
}
