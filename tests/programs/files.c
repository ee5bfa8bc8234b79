/*
 * Test program: files and directories under /tmp: create, write, lseek,
 * pread, fstat, rename, link, symlink, readlink, mkdir, readdir, unlink,
 * rmdir, and the errors a shell user would see (ENOENT, EEXIST, ENOTEMPTY).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHECK(expr)                                                                                \
	do {                                                                                       \
		if (!(expr)) {                                                                     \
			printf("FAILED: %s: %s\n", #expr, strerror(errno));                        \
			return 1;                                                                  \
		}                                                                                  \
	} while (0)

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char *names[64];
	int n = 0;

	if (d == NULL) {
		printf("opendir %s: %s\n", dir, strerror(errno));
		return;
	}
	while ((de = readdir(d)) != NULL && n < 64)
		names[n++] = strdup(de->d_name);
	closedir(d);
	qsort(names, n, sizeof(char *), cmp);
	printf("%s:", dir);
	for (int i = 0; i < n; i++) {
		printf(" %s", names[i]);
		free(names[i]);
	}
	printf("\n");
}

int main(void)
{
	char buf[64];
	struct stat st;
	int fd;
	ssize_t n;

	CHECK(mkdir("/tmp/t", 0755) == 0);
	CHECK(mkdir("/tmp/t", 0755) < 0 && errno == EEXIST);
	printf("mkdir again: %s\n", strerror(EEXIST));
	fd = open("/tmp/t/a.txt", O_CREAT | O_RDWR | O_TRUNC, 0640);
	CHECK(fd >= 0);
	CHECK(write(fd, "hello, files\n", 13) == 13);
	CHECK(lseek(fd, 7, SEEK_SET) == 7);
	n = read(fd, buf, sizeof(buf));
	printf("read after seek: %zd '%.*s'\n", n, (int)(n > 0 ? n - 1 : 0), buf);
	CHECK(pread(fd, buf, 5, 0) == 5);
	printf("pread: '%.5s'\n", buf);
	CHECK(fstat(fd, &st) == 0);
	printf("size=%lld mode=%o nlink=%lu\n", (long long)st.st_size,
	       (unsigned)(st.st_mode & 07777), (unsigned long)st.st_nlink);
	CHECK(ftruncate(fd, 5) == 0);
	CHECK(fstat(fd, &st) == 0);
	printf("truncated size=%lld\n", (long long)st.st_size);
	CHECK(close(fd) == 0);
	CHECK(rename("/tmp/t/a.txt", "/tmp/t/b.txt") == 0);
	CHECK(link("/tmp/t/b.txt", "/tmp/t/c.txt") == 0);
	CHECK(stat("/tmp/t/c.txt", &st) == 0);
	printf("after link nlink=%lu\n", (unsigned long)st.st_nlink);
	CHECK(symlink("b.txt", "/tmp/t/l") == 0);
	n = readlink("/tmp/t/l", buf, sizeof(buf));
	CHECK(n > 0);
	printf("readlink: %.*s\n", (int)n, buf);
	CHECK(lstat("/tmp/t/l", &st) == 0 && S_ISLNK(st.st_mode));
	CHECK(stat("/tmp/t/l", &st) == 0 && S_ISREG(st.st_mode));
	CHECK(mkdir("/tmp/t/sub", 0700) == 0);
	list("/tmp/t");
	CHECK(rmdir("/tmp/t") < 0);
	printf("rmdir non-empty: %s\n", strerror(errno));
	CHECK(open("/tmp/t/missing", O_RDONLY) < 0);
	printf("open missing: %s\n", strerror(errno));
	fd = open("/tmp/t/b.txt", O_CREAT | O_EXCL | O_WRONLY, 0600);
	CHECK(fd < 0);
	printf("O_EXCL: %s\n", strerror(errno));
	CHECK(unlink("/tmp/t/b.txt") == 0 && unlink("/tmp/t/c.txt") == 0);
	CHECK(unlink("/tmp/t/l") == 0 && rmdir("/tmp/t/sub") == 0);
	list("/tmp/t");
	CHECK(rmdir("/tmp/t") == 0);
	CHECK(access("/tmp/t", F_OK) < 0 && errno == ENOENT);
	printf("files: ok\n");
	return 0;
}
