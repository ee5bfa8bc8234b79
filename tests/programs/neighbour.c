/*
 * Two containers on one machine (tests/py/test_daemon.py): "hold" keeps a
 * secret in its memory and in its /tmp (the overlay); "probe" is its neighbour trying
 * to reach it: the same virtual address, a scan of everything it can
 * read, the file, system calls aimed at the address, and the instructions
 * that would call the RMM or a hypervisor from EL0. "self" is the probe's
 * control: the secret in its own memory, which the scan must find.
 *
 *   neighbour hold SEED    fill 64 pages at HOLD_VA and /tmp/secret; "holding";
 *                          on SIGTERM check them and exit 0 (intact) or 1
 *   neighbour probe SEED   one line per attempt (see main), exit 0
 *   neighbour self SEED    the secret at HOLD_VA in this process; scan; exit 0
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define HOLD_VA ((uintptr_t)0x600000000ULL)
#define HOLD_LEN (64 * 4096UL)
#define PAT_LEN 32

static sigjmp_buf jb;
static volatile sig_atomic_t got_sig;

static void on_fault(int sig)
{
	got_sig = sig;
	siglongjmp(jb, 1);
}

static volatile sig_atomic_t term;

static void on_term(int sig)
{
	(void)sig;
	term = 1;
}

/* The secret's 32 bytes from SEED (never written whole anywhere but where it is kept). */
static void pattern(uint32_t seed, uint8_t out[PAT_LEN])
{
	uint32_t x = seed * 2654435761u + 0x9e3779b9u;

	for (int i = 0; i < PAT_LEN; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		out[i] = (uint8_t)(x | 0x80); /* never ASCII: not in argv or the environment */
	}
}

static int fill(void *p, size_t len, const uint8_t pat[PAT_LEN])
{
	for (size_t off = 0; off + PAT_LEN <= len; off += PAT_LEN)
		memcpy((uint8_t *)p + off, pat, PAT_LEN);
	return 0;
}

static int intact(const void *p, size_t len, const uint8_t pat[PAT_LEN])
{
	for (size_t off = 0; off + PAT_LEN <= len; off += PAT_LEN)
		if (memcmp((const uint8_t *)p + off, pat, PAT_LEN) != 0)
			return 0;
	return 1;
}

/* Whether reading addr faults (SIGSEGV/SIGBUS): 1, or 0 with *byte read. */
static int read_faults(volatile const uint8_t *addr, uint8_t *byte)
{
	got_sig = 0;
	if (sigsetjmp(jb, 1))
		return 1;
	*byte = *addr;
	return 0;
}

/*
 * Count places in every readable mapping (/proc/self/maps) where the
 * secret's first 16 bytes are followed by its next 16, skipping the
 * pattern buffer itself.
 */
static long scan(const uint8_t pat[PAT_LEN], long *bytes)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	long found = 0;

	*bytes = 0;
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char perm[8];

		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perm) != 3 || perm[0] != 'r')
			continue;
		if (strstr(line, "[vvar]") || strstr(line, "[vsyscall]"))
			continue;
		/* the stack's reservation is 8 MiB; only its top is in use (touching the rest
		 * would only allocate zero pages, slowly under emulation) */
		if (strstr(line, "[stack]") && hi - lo > (256UL << 10))
			lo = hi - (256UL << 10);
		for (unsigned long a = lo; a + PAT_LEN <= hi; a += 16) {
			const uint8_t *p = (const uint8_t *)a;
			uint8_t b;

			if (read_faults(p, &b))
				break;
			if (p == pat)
				continue;
			if (memcmp(p, pat, 16) == 0 && memcmp(p + 16, pat + 16, 16) == 0)
				found++;
		}
		*bytes += (long)(hi - lo);
	}
	fclose(f);
	return found;
}

static int probe(const uint8_t pat[PAT_LEN])
{
	uint8_t b;
	long bytes;
	char buf[64];
	int fd;

	/* 1. the neighbour's address in this container: not mapped here */
	printf("read HOLD_VA: %s\n", read_faults((const uint8_t *)HOLD_VA, &b)
					     ? (got_sig == SIGSEGV ? "SIGSEGV" : "SIGBUS")
					     : "read a byte");
	/* 2. system calls aimed at it: the kernel's copy faults */
	int p[2];
	if (pipe(p) == 0) {
		errno = 0;
		long w = write(p[1], (const void *)HOLD_VA, 64);
		printf("write(pipe, HOLD_VA): %s\n", w < 0 && errno == EFAULT ? "EFAULT" : "copied");
		errno = 0;
		w = write(p[1], "x", 1);
		long r = w == 1 ? read(p[0], (void *)HOLD_VA, 1) : -2;
		printf("read(pipe, HOLD_VA): %s\n", r < 0 && errno == EFAULT ? "EFAULT" : "stored");
		close(p[0]);
		close(p[1]);
	}
	/* 3. its file */
	fd = open("/tmp/secret", O_RDONLY);
	printf("open /tmp/secret: %s\n", fd < 0 ? strerror(errno) : "opened");
	if (fd >= 0)
		close(fd);
	/* 4. the RMM's and a hypervisor's call instructions from EL0 */
	got_sig = 0;
	if (!sigsetjmp(jb, 1))
		__asm__ volatile("smc #0" ::: "memory");
	printf("smc #0: %s\n", got_sig == SIGILL ? "SIGILL" : got_sig ? "other signal" : "returned");
	got_sig = 0;
	if (!sigsetjmp(jb, 1))
		__asm__ volatile("hvc #0" ::: "memory");
	printf("hvc #0: %s\n", got_sig == SIGILL ? "SIGILL" : got_sig ? "other signal" : "returned");
	/* 5. everything this container can read */
	long n = scan(pat, &bytes);
	printf("scan: secret found %ld times\n", n);
	fprintf(stderr, "scanned %ld bytes\n", bytes);
	(void)buf;
	return 0;
}

int main(int argc, char **argv)
{
	uint8_t pat[PAT_LEN];
	struct sigaction sa = {.sa_handler = on_fault};

	if (argc != 3) {
		fprintf(stderr, "usage: neighbour hold|probe|self SEED\n");
		return 2;
	}
	pattern((uint32_t)strtoul(argv[2], NULL, 0), pat);
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGILL, &sa, NULL);
	setvbuf(stdout, NULL, _IONBF, 0);
	if (strcmp(argv[1], "probe") == 0)
		return probe(pat);
	void *m = mmap((void *)HOLD_VA, HOLD_LEN, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (m == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	fill(m, HOLD_LEN, pat);
	if (strcmp(argv[1], "self") == 0) {
		long bytes, n = scan(pat, &bytes);

		printf("scan: secret found %ld times\n", n);
		return 0;
	}
	int fd = open("/tmp/secret", O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, pat, PAT_LEN) != PAT_LEN) {
		perror("/tmp/secret");
		return 2;
	}
	close(fd);
	signal(SIGTERM, on_term);
	printf("holding\n");
	while (!term)
		pause();
	printf("%s\n", intact(m, HOLD_LEN, pat) ? "intact" : "changed");
	return 0;
}
