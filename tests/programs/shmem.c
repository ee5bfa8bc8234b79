/*
 * Test program: shared memory. MAP_SHARED anonymous memory across fork
 * (both directions, and a shared futex in it), memfd_create (read, write,
 * ftruncate, its /proc name, MFD_CLOEXEC) mapped MAP_SHARED: stores seen by
 * read(2), writes seen by the mapping, msync, sharing across fork; a
 * MAP_SHARED overlay file written back at munmap; madvise (MADV_DONTNEED
 * zero-fills private pages and keeps shared ones; bad advice; holes).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* "exact": Linux facts the qemu-aarch64 oracle cannot show (no /proc; it ignores madvise) */
static int exact;

static void ms_sleep(int ms)
{
	struct timespec ts = { 0, ms * 1000000L };
	nanosleep(&ts, NULL);
}

static void anon_shared(void)
{
	char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	char *priv = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int p[2], q[2];
	if (pipe(p) || pipe(q))
		return;
	strcpy(m, "parent");
	strcpy(priv, "parent");
	pid_t c = fork();
	if (c == 0) {
		char b;
		strcpy(m + 4096, "from the child"); /* a page the parent never touched */
		strcpy(priv, "child");
		if (write(q[1], "r", 1) != 1 || read(p[0], &b, 1) != 1)
			_exit(2);
		_exit(strcmp(m, "parent again") == 0 ? 0 : 1); /* the parent's store, seen here */
	}
	char b;
	if (read(q[0], &b, 1) != 1)
		return;
	printf("child's store seen by the parent: %s\n", m + 4096);
	strcpy(m, "parent again");
	if (write(p[1], "g", 1) != 1)
		return;
	int st;
	waitpid(c, &st, 0);
	printf("parent's store seen by the child: %d\n", WIFEXITED(st) && WEXITSTATUS(st) == 0);
	printf("private page stayed private: %s\n", priv);

	/* a futex in shared memory, waited on by the child, woken by the parent */
	uint32_t *word = (uint32_t *)(m + 100);
	*word = 0;
	c = fork();
	if (c == 0) {
		long r = syscall(SYS_futex, word, FUTEX_WAIT, 0, NULL, NULL, 0);
		_exit(r == 0 && *word == 1 ? 0 : 1);
	}
	int found = 0;
	for (int i = 0; i < 5000 && !found; i++) {
		/* CMP_REQUEUE onto the same word counts its waiters */
		found = syscall(SYS_futex, word, FUTEX_CMP_REQUEUE, 0, (void *)100L, word, 0) == 1;
		if (!found)
			ms_sleep(1);
	}
	*word = 1;
	long woke = syscall(SYS_futex, word, FUTEX_WAKE, 1, NULL, NULL, 0);
	waitpid(c, &st, 0);
	printf("shared futex across fork: waiter seen %d, woken %ld, child ok %d\n", found, woke,
	       WIFEXITED(st) && WEXITSTATUS(st) == 0);

	madvise(m, 4096, MADV_DONTNEED);
	madvise(priv, 4096, MADV_DONTNEED);
	printf("after MADV_DONTNEED: shared kept '%s', private zero %d\n", m, priv[0] == 0);
	munmap(m, 8192);
	munmap(priv, 4096);
}

static void memfd(void)
{
	char buf[64], link[128], path[64];
	int fd = memfd_create("test", MFD_CLOEXEC);
	printf("memfd_create: %d, cloexec %d\n", fd >= 0, (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	if (exact)
		printf("exact: its name: %s\n", link);
	if (write(fd, "hello", 5) != 5 || ftruncate(fd, 8192))
		return;
	char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	printf("mapping shows: %.5s\n", m);
	memcpy(m, "HELLO", 5);
	memset(buf, 0, sizeof(buf));
	pread(fd, buf, 5, 0);
	printf("read(2) sees the store: %s\n", buf);
	pwrite(fd, "xyz", 3, 100);
	printf("the mapping sees write(2): %.3s\n", m + 100);
	printf("msync: %d\n", msync(m, 8192, MS_SYNC));
	printf("msync bad flags: %s\n", msync(m, 8192, MS_SYNC | MS_ASYNC) ? strerror(errno) : "ok");

	pid_t c = fork();
	if (c == 0) {
		memcpy(m + 4096, "child was here", 14);
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	printf("child's store, in the parent's mapping: %.14s\n", m + 4096);
	memset(buf, 0, sizeof(buf));
	pread(fd, buf, 14, 4096);
	printf("child's store, by read(2): %s\n", buf);

	char *priv = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	memcpy(priv, "private", 7);
	memset(buf, 0, sizeof(buf));
	pread(fd, buf, 5, 0);
	printf("a private mapping's store stays out of the file: %s\n", buf);
	munmap(priv, 4096);
	munmap(m, 8192);
	close(fd);
	char longname[300];
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	printf("memfd name too long: %s\n",
	       memfd_create(longname, 0) < 0 ? strerror(errno) : "accepted");
	printf("memfd bad flags: %s\n", memfd_create("x", 0x100) < 0 ? strerror(errno) : "accepted");
}

static void overlay_file(void)
{
	char buf[32];
	int fd = open("/tmp/shared-file", O_RDWR | O_CREAT | O_TRUNC, 0600);
	char page[4096];
	memset(page, '.', sizeof(page));
	if (write(fd, page, sizeof(page)) != (ssize_t)sizeof(page))
		return;
	char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	memcpy(m + 10, "mapped store", 12);
	munmap(m, 4096);
	close(fd);
	fd = open("/tmp/shared-file", O_RDONLY);
	memset(buf, 0, sizeof(buf));
	pread(fd, buf, 12, 10);
	printf("overlay file after munmap: %s\n", buf);
	close(fd);
	unlink("/tmp/shared-file");
}

static void advice(void)
{
	char *m = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("madvise WILLNEED: %d, FREE: %d\n", madvise(m, 4096, MADV_WILLNEED),
	       madvise(m, 4096, MADV_FREE));
	printf("mlock: %d, munlock: %d, mlockall: %d, munlockall: %d\n", mlock(m, 8192),
	       munlock(m, 8192), mlockall(MCL_CURRENT), munlockall());
	munmap(m + 4096, 4096);
	printf("mlock over a hole: %s\n", mlock(m, 3 * 4096) ? strerror(errno) : "ok");
	if (exact) {
		printf("exact: madvise bad advice: %s\n",
		       madvise(m, 4096, 77) ? strerror(errno) : "ok");
		printf("exact: madvise over a hole: %s\n",
		       madvise(m, 3 * 4096, MADV_WILLNEED) ? strerror(errno) : "ok");
	}
	munmap(m, 3 * 4096);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	exact = argc > 1 && strcmp(argv[1], "exact") == 0;
	anon_shared();
	memfd();
	overlay_file();
	advice();
	printf("shmem: done\n");
	return 0;
}
