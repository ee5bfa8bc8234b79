/*
 * A container reaching for the host's attack surface, as the CVEs of
 * docs/security.md do (tests/py/test_host_surface.py): the kernel's eBPF
 * verifier (bpf(2), CVE-2022-23222), its CAN broadcast manager
 * (socket(AF_CAN, SOCK_DGRAM, CAN_BCM), CVE-2010-2959), and a runtime's
 * leaked host file descriptor or working directory (CVE-2024-21626: fds
 * above 2, /proc/self/fd/N, "..", /proc/1/root). argv[1] is the absolute
 * path of a host file outside the rootfs. Prints one line per probe: the
 * result or the errno name; "read N bytes" when the host file was read.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef AF_CAN
#define AF_CAN 29
#endif
#define CAN_BCM 2
#define BPF_MAP_CREATE 0
#define BPF_PROG_LOAD 5

static void show(const char *what, long r)
{
	if (r < 0)
		printf("%-32s -1 %s\n", what, strerrorname_np(errno));
	else
		printf("%-32s %ld\n", what, r);
}

/* Open path and read it: "read N bytes" if the host's file came through. */
static void try_read(const char *what, const char *path)
{
	char buf[256];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0) {
		show(what, -1);
		return;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		show(what, -1);
	else
		printf("%-32s read %zd bytes\n", what, n);
}

int main(int argc, char **argv)
{
	/* BPF_MAP_CREATE: array map, 4-byte key, 4-byte value, 1 entry */
	uint32_t map_attr[16] = {2, 4, 4, 1};
	/* BPF_PROG_LOAD: a socket filter "r0 = 0; exit", licence "GPL" */
	uint64_t insns[2] = {0x00000000000000b7ULL, 0x0000000000000095ULL};
	uint64_t prog_attr[16] = {0};
	char path[4200];
	unsigned open_fds = 0, fchdirs = 0;

	if (argc < 2 || argv[1][0] != '/') {
		fprintf(stderr, "usage: host_surface /ABSOLUTE/HOST/FILE\n");
		return 2;
	}
	prog_attr[0] = 1; /* prog_type SOCKET_FILTER | insn_cnt << 32 */
	prog_attr[0] |= 2ULL << 32;
	prog_attr[1] = (uintptr_t)insns;
	prog_attr[2] = (uintptr_t)"GPL";
	show("bpf(BPF_MAP_CREATE)", syscall(SYS_bpf, BPF_MAP_CREATE, map_attr, sizeof(map_attr)));
	show("bpf(BPF_PROG_LOAD)", syscall(SYS_bpf, BPF_PROG_LOAD, prog_attr, sizeof(prog_attr)));
	show("socket(AF_CAN, CAN_BCM)", socket(AF_CAN, SOCK_DGRAM, CAN_BCM));
	for (int fd = 3; fd < 1024; fd++) {
		if (fcntl(fd, F_GETFD) >= 0)
			open_fds++;
		if (fchdir(fd) == 0)
			fchdirs++;
	}
	printf("%-32s %u\n", "fds open above 2", open_fds);
	printf("%-32s %u\n", "fchdir to fds 3..1023", fchdirs);
	show("chdir(/proc/self/fd/7)", chdir("/proc/self/fd/7"));
	try_read("host file", argv[1]);
	snprintf(path, sizeof(path), "/proc/1/root%s", argv[1]);
	try_read("host file via /proc/1/root", path);
	snprintf(path, sizeof(path), "/../../../../../..%s", argv[1]);
	try_read("host file via /../..", path);
	show("chdir(/../../..)", chdir("/../../.."));
	try_read("host file via cwd ../../..", argv[1] + 1);
	return 0;
}
