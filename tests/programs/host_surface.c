/*
 * A container reaching for the host's attack surface, as the CVEs of
 * docs/security.md do (tests/py/test_host_surface.py): the kernel's eBPF
 * verifier (bpf(2), CVE-2022-23222), its CAN broadcast manager
 * (socket(AF_CAN, SOCK_DGRAM, CAN_BCM), CVE-2010-2959), and a runtime's
 * leaked host file descriptor or working directory (CVE-2024-21626: fds
 * above 2, /proc/self/fd/N, "..", /proc/1/root). argv[1] is the absolute
 * path of a host file outside the rootfs. Prints one line per probe: the
 * result or the errno name; "read N bytes" when the host file was read.
 *
 * Then the kernel surfaces whole classes of container-escape CVEs go
 * through (docs/security.md §3.2): the system calls (keyrings, io_uring,
 * userfaultfd, perf events, namespaces, mounts and the new mount API,
 * ptrace, splice, SysV message queues, module loading, cross-process
 * memory writes, file handles), the socket families beyond AF_INET,
 * AF_INET6 and AF_UNIX (packet, netlink route and netfilter, vsock, the
 * crypto API, raw IP), netfilter's socket options on a TCP socket, the
 * /proc and /sys files escapes write (core_pattern, modprobe, the cgroup
 * v1 release_agent), the kernel's memory and symbols (/proc/kcore, /proc/kallsyms, /proc/self/mem,
 * /dev/mem, /dev/kmsg), and where /proc/self/exe leads. Every probe is
 * harmless on a real kernel too (the qemu control runs it on the host, as
 * root): nothing is written, missing names and invalid arguments are used
 * where a valid one would create something.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef AF_CAN
#define AF_CAN 29
#endif
#define CAN_BCM 2
#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#ifndef AF_ALG
#define AF_ALG 38
#endif
#define NETLINK_ROUTE 0
#define NETLINK_NETFILTER 12
#define ETH_P_ALL 0x0003
#define IPT_SO_GET_INFO 64 /* x_tables' getsockopt at SOL_IP */
#define KEYCTL_GET_KEYRING_ID 0
#define KEY_SPEC_SESSION_KEYRING (-3)
#define PTRACE_GETREGSET 0x4204
#define NT_PRSTATUS 1
#define CLONE_NEWNS 0x00020000
#define CLONE_NEWUSER 0x10000000
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

/* Open path for writing and close it again at once: nothing is written. */
static void try_open_write(const char *what, const char *path)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0) {
		show(what, -1);
		return;
	}
	close(fd);
	printf("%-32s opened for writing\n", what);
}

/* A socket of this family: closed at once if it was created. */
static void try_socket(const char *what, int family, int type, int protocol)
{
	int fd = socket(family, type, protocol);

	if (fd >= 0) {
		close(fd);
		fd = 0;
	}
	show(what, fd);
}

/*
 * x_tables through a TCP socket's options (the path of netfilter CVEs such
 * as CVE-2021-22555 is IPT_SO_SET_REPLACE; its read-only sibling
 * IPT_SO_GET_INFO reaches the same code and changes nothing). The socket
 * may not exist at all when the deployment has no host network.
 */
static void netfilter_sockopt(void)
{
	char info[84] = "filter"; /* struct ipt_getinfo: the table's name first */
	socklen_t len = sizeof(info);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0) {
		show("getsockopt(IPT_SO_GET_INFO)", -1);
		return;
	}
	show("getsockopt(IPT_SO_GET_INFO)",
	     getsockopt(fd, 0 /* SOL_IP */, IPT_SO_GET_INFO, info, &len));
	close(fd);
}

/* The kernel surfaces of §3.2's CVE classes; see the header comment. */
static void kernel_surface(void)
{
	uint8_t uring_params[120] = {0};
	uint32_t perf_attr[32] = {1, sizeof(perf_attr)}; /* SOFTWARE, CPU_CLOCK */
	uint64_t regs[34];
	struct iovec iov = {regs, sizeof(regs)};
	char link[4200];
	ssize_t n;

	show("keyctl(GET_KEYRING_ID)",
	     syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0));
	show("add_key(no such type)",
	     syscall(SYS_add_key, "realmbox-none", "x", "", 0, KEY_SPEC_SESSION_KEYRING));
	show("io_uring_setup", syscall(SYS_io_uring_setup, 1, uring_params));
	show("userfaultfd", syscall(SYS_userfaultfd, O_CLOEXEC));
	show("perf_event_open", syscall(SYS_perf_event_open, perf_attr, 0, -1, -1, 0));
	show("unshare(NEWUSER|NEWNS)", syscall(SYS_unshare, CLONE_NEWUSER | CLONE_NEWNS));
	show("setns(0, 0)", syscall(SYS_setns, 0, 0));
	show("mount(tmpfs, missing dir)",
	     syscall(SYS_mount, "none", "/realmbox-no-such-dir", "tmpfs", 0UL, NULL));
	show("fsopen(no such fs)", syscall(SYS_fsopen, "realmbox-none", 0));
	show("ptrace(GETREGSET, self)",
	     syscall(SYS_ptrace, PTRACE_GETREGSET, getpid(), NT_PRSTATUS, &iov));
	show("splice(-1, -1)", syscall(SYS_splice, -1, NULL, -1, NULL, 1, 0));
	show("msgget(no such key)", syscall(SYS_msgget, 0x7262786bL, 0));
	show("finit_module(-1)", syscall(SYS_finit_module, -1, "", 0));
	show("process_vm_writev(self, 0)",
	     syscall(SYS_process_vm_writev, getpid(), NULL, 0, NULL, 0, 0));
	show("open_by_handle_at(-1)", syscall(SYS_open_by_handle_at, -1, NULL, 0));
	try_socket("socket(AF_PACKET, RAW)", AF_PACKET, SOCK_RAW, __builtin_bswap16(ETH_P_ALL));
	try_socket("socket(AF_NETLINK, ROUTE)", AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	try_socket("socket(AF_NETLINK, NETFILTER)", AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER);
	try_socket("socket(AF_VSOCK, STREAM)", AF_VSOCK, SOCK_STREAM, 0);
	try_socket("socket(AF_ALG, SEQPACKET)", AF_ALG, SOCK_SEQPACKET, 0);
	try_socket("socket(AF_INET, RAW)", AF_INET, SOCK_RAW, 1 /* ICMP */);
	netfilter_sockopt();
	try_open_write("write /proc/sys/k/core_pattern", "/proc/sys/kernel/core_pattern");
	try_open_write("write /proc/sys/kernel/modprobe", "/proc/sys/kernel/modprobe");
	try_open_write("write cgroup release_agent", "/sys/fs/cgroup/release_agent");
	try_read("read /proc/kcore", "/proc/kcore");
	try_read("read /proc/kallsyms", "/proc/kallsyms");
	try_read("read /dev/mem", "/dev/mem");
	try_read("read /dev/kmsg", "/dev/kmsg");
	try_open_write("write /proc/self/mem", "/proc/self/mem");
	n = readlink("/proc/self/exe", link, sizeof(link) - 1);
	if (n < 0) {
		show("/proc/self/exe", -1);
	} else {
		link[n] = 0;
		printf("%-32s -> %s\n", "/proc/self/exe", link);
	}
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
	kernel_surface();
	return 0;
}
