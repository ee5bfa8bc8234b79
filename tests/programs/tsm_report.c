/*
 * configfs-tsm from inside a container (issue 6), as a Linux guest on CCA
 * gets a token: mkdir a report under /sys/kernel/config/tsm/report, write
 * the 64-byte challenge to inblob, read provider, generation and outblob.
 *
 *   tsm_report [CHALLENGE_HEX]   (default: bytes 0x40..0x7f)
 *
 * Prints "provider NAME", "generation N", "outblob HEX" (the token) and
 * exits 0; without a provider (no /sys/kernel/config/tsm) prints
 * "tsm: no provider (errno NAME)" and exits 3; other failures exit 1.
 * On the way it checks the interface as Linux's configfs-tsm behaves
 * ("check: ..." lines on stderr, exit 1 if one fails): a second mkdir is
 * EEXIST, directories elsewhere are refused, the report lists its
 * attributes, a 16-byte challenge is EINVAL at outblob (arm_cca_guest wants
 * 32..64), more than 64 bytes are EFBIG, each inblob write is a
 * generation, outblob reads the same token twice, rmdir removes the report.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

static int bad;

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "check: %s: FAILED (errno %d)\n", what, errno);
		bad = 1;
	}
}

#define DIR_ "/sys/kernel/config/tsm/report/rb0"

static int read_all(const char *path, unsigned char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	size_t got = 0;

	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n = read(fd, buf + got, cap - got);
		if (n < 0) {
			int e = errno;
			close(fd);
			return -e;
		}
		if (n == 0 || got + (size_t)n == cap) {
			got += (size_t)n;
			break;
		}
		got += (size_t)n;
	}
	close(fd);
	return (int)got;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

int main(int argc, char **argv)
{
	unsigned char challenge[64], buf[8192];
	size_t clen = 64;
	int fd, n;

	for (int i = 0; i < 64; i++)
		challenge[i] = (unsigned char)(0x40 + i);
	if (argc > 1) {
		size_t l = strlen(argv[1]);
		if (l % 2 || l == 0 || l > 128) {
			fprintf(stderr, "tsm_report: challenge: 1 to 64 bytes in hex\n");
			return 2;
		}
		clen = l / 2;
		for (size_t i = 0; i < clen; i++) {
			int hi = hexval(argv[1][2 * i]), lo = hexval(argv[1][2 * i + 1]);
			if (hi < 0 || lo < 0)
				return 2;
			challenge[i] = (unsigned char)(hi << 4 | lo);
		}
	}
	if (mkdir(DIR_, 0755) != 0) {
		if (errno == ENOENT || errno == ENXIO) {
			printf("tsm: no provider (errno %s)\n", errno == ENOENT ? "ENOENT" : "ENXIO");
			return 3;
		}
		perror("tsm_report: mkdir " DIR_);
		return 1;
	}
	check(mkdir(DIR_, 0755) != 0 && errno == EEXIST, "a second mkdir is EEXIST");
	check(mkdir("/sys/kernel/config/tsm/other", 0755) != 0, "mkdir outside report/ fails");
	{
		DIR *d = opendir(DIR_);
		int seen = 0;
		struct dirent *e;
		while (d && (e = readdir(d)) != NULL)
			seen += !strcmp(e->d_name, "inblob") + !strcmp(e->d_name, "outblob") +
				!strcmp(e->d_name, "provider") + !strcmp(e->d_name, "generation");
		if (d)
			closedir(d);
		check(seen == 4, "the report lists inblob, outblob, provider, generation");
	}
	fd = open(DIR_ "/inblob", O_WRONLY);
	check(fd >= 0 && write(fd, challenge, 16) == 16, "a 16-byte inblob write");
	if (fd >= 0)
		close(fd);
	n = read_all(DIR_ "/outblob", buf, sizeof(buf));
	check(n == -EINVAL, "outblob with a 16-byte challenge is EINVAL");
	{
		unsigned char big[65];
		memset(big, 1, sizeof(big));
		fd = open(DIR_ "/inblob", O_WRONLY);
		errno = 0;
		check(fd >= 0 && write(fd, big, sizeof(big)) < 0 && errno == EFBIG,
		      "a 65-byte inblob is EFBIG");
		if (fd >= 0)
			close(fd);
	}
	n = read_all(DIR_ "/provider", buf, sizeof(buf) - 1);
	if (n < 0) {
		fprintf(stderr, "tsm_report: provider: %s\n", strerror(-n));
		return 1;
	}
	buf[n] = 0;
	printf("provider %s", (char *)buf);
	fd = open(DIR_ "/inblob", O_WRONLY);
	if (fd < 0 || write(fd, challenge, clen) != (ssize_t)clen) {
		perror("tsm_report: inblob");
		return 1;
	}
	close(fd);
	n = read_all(DIR_ "/generation", buf, sizeof(buf) - 1);
	if (n < 0)
		return 1;
	buf[n] = 0;
	printf("generation %s", (char *)buf);
	n = read_all(DIR_ "/outblob", buf, sizeof(buf));
	if (n <= 0) {
		fprintf(stderr, "tsm_report: outblob: %s\n", n ? strerror(-n) : "empty");
		return 1;
	}
	printf("outblob ");
	for (int i = 0; i < n; i++)
		printf("%02x", buf[i]);
	printf("\n");
	{
		static unsigned char again[8192];
		int m = read_all(DIR_ "/outblob", again, sizeof(again));
		check(m == n && memcmp(buf, again, (size_t)n) == 0,
		      "outblob reads the same token again");
	}
	if (rmdir(DIR_) != 0) {
		perror("tsm_report: rmdir");
		return 1;
	}
	{
		struct stat st;
		check(stat(DIR_, &st) != 0 && errno == ENOENT, "rmdir removed the report");
	}
	return bad;
}
