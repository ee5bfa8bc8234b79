/*
 * Hostile system-call arguments (for the library OS's differential test,
 * tests/py/test_libos_none.py): bad pointers, huge lengths, negative and
 * unknown fds, bad flags, unknown numbers. Prints one line per call with
 * the result or errno name, so the output under realmbox and under the
 * qemu-aarch64 oracle (a real kernel) can be compared line by line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void show(const char *what, long r)
{
	if (r < 0)
		printf("%-28s -1 %s\n", what, strerrorname_np(errno));
	else
		printf("%-28s %ld\n", what, r);
}

#define S(name, ...) show(name, syscall(__VA_ARGS__))

int main(void)
{
	char buf[64];
	static char longpath[5000];
	int p[2];
	struct timespec bad = { 0, 2000000000L };

	memset(longpath, 'a', sizeof(longpath) - 1);
	S("read fd -1", SYS_read, -1, buf, 1);
	S("read fd 4000", SYS_read, 4000, buf, 1);
	S("write bad pointer", SYS_write, 1, (void *)16, 10);
	S("write kernel pointer", SYS_write, 1, (void *)0xffff000000000000UL, 10);
	S("openat bad path ptr", SYS_openat, AT_FDCWD, (void *)16, O_RDONLY);
	S("openat missing", SYS_openat, AT_FDCWD, "/nonexistent/file", O_RDONLY);
	S("openat too long", SYS_openat, AT_FDCWD, longpath, O_RDONLY);
	S("openat dirfd bad", SYS_openat, 555, "relative", O_RDONLY);
	S("openat file as dir", SYS_openat, AT_FDCWD, "/bin/busybox/x", O_RDONLY);
	S("openat dir for write", SYS_openat, AT_FDCWD, "/tmp", O_WRONLY);
	S("close -1", SYS_close, -1);
	S("dup3 same fd", SYS_dup3, 1, 1, 0);
	S("dup3 to -1", SYS_dup3, 1, -1, 0);
	S("dup3 bad flags", SYS_dup3, 1, 9, 0x1234);
	S("fcntl bad cmd", SYS_fcntl, 1, 9999, 0);
	S("mmap len 0", SYS_mmap, 0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	S("mmap bad flags", SYS_mmap, 0, 4096, PROT_READ, MAP_ANONYMOUS, -1, 0);
	S("mmap bad fd", SYS_mmap, 0, 4096, PROT_READ, MAP_PRIVATE, 777, 0);
	S("munmap unaligned", SYS_munmap, 4097, 4096);
	S("mprotect unaligned", SYS_mprotect, 4097, 4096, PROT_READ);
	S("sigaction SIGKILL", SYS_rt_sigaction, SIGKILL, buf, NULL, 8);
	S("sigaction sig 0", SYS_rt_sigaction, 0, NULL, NULL, 8);
	S("sigaction bad size", SYS_rt_sigaction, SIGUSR1, NULL, NULL, 4);
	S("sigprocmask bad how", SYS_rt_sigprocmask, 77, buf, NULL, 8);
	S("kill no such pid", SYS_kill, 99999, 0);
	S("kill bad signal", SYS_kill, getpid(), 99);
	S("wait4 no children", SYS_wait4, -1, NULL, 0, NULL);
	S("unknown syscall 1000", 1000);
	S("clock_gettime bad clock", SYS_clock_gettime, 999, buf);
	S("clock_gettime bad ptr", SYS_clock_gettime, CLOCK_REALTIME, (void *)16);
	S("nanosleep bad nsec", SYS_nanosleep, &bad, NULL);
	S("getrandom bad flags", SYS_getrandom, buf, 8, 0xff00);
	S("pipe2 bad flags", SYS_pipe2, p, 0x1);
	S("uname NULL", SYS_uname, NULL);
	S("getcwd too small", SYS_getcwd, buf, 1);
	S("readlinkat not a link", SYS_readlinkat, AT_FDCWD, "/bin/busybox", buf, sizeof(buf));
	S("readlinkat bufsiz 0", SYS_readlinkat, AT_FDCWD, "/bin/sh", buf, 0);
	S("mkdirat existing", SYS_mkdirat, AT_FDCWD, "/tmp", 0755);
	S("unlinkat a dir", SYS_unlinkat, AT_FDCWD, "/tmp", 0);
	S("unlinkat bad flags", SYS_unlinkat, AT_FDCWD, "/tmp", 0x1);
	S("rmdir not empty", SYS_unlinkat, AT_FDCWD, "/bin", AT_REMOVEDIR);
	S("execve a directory", SYS_execve, "/tmp", NULL, NULL);
	S("execve missing", SYS_execve, "/nonexistent", NULL, NULL);
	S("execve bad argv", SYS_execve, "/bin/busybox", (void *)16, NULL);
	S("chdir a file", SYS_chdir, "/bin/busybox");
	S("faccessat bad mode", SYS_faccessat, AT_FDCWD, "/", 0x100);
	S("newfstatat bad flags", SYS_newfstatat, AT_FDCWD, "/", buf, 0x4);
	S("prlimit bad resource", SYS_prlimit64, 0, 999, NULL, buf);
	if (pipe(p) == 0) {
		S("lseek on a pipe", SYS_lseek, p[0], 0, SEEK_SET);
		S("ioctl TCGETS on a pipe", SYS_ioctl, p[0], 0x5401, buf);
		S("getdents64 on a pipe", SYS_getdents64, p[0], buf, sizeof(buf));
		S("write to read end", SYS_write, p[0], "x", 1);
		S("read into bad ptr", SYS_write, p[1], "xy", 2);
		S("  ...then", SYS_read, p[0], (void *)16, 2);
	}
	int fd = open("/bin/busybox", O_RDONLY);
	S("getdents64 on a file", SYS_getdents64, fd, buf, sizeof(buf));
	S("write to O_RDONLY file", SYS_write, fd, "x", 1);
	S("lseek bad whence", SYS_lseek, fd, 0, 99);
	S("lseek negative", SYS_lseek, fd, -10, SEEK_SET);
	S("pread negative offset", SYS_pread64, fd, buf, 1, -1);
	printf("done\n");
	/* sockets */
	int sv[2] = {-1, -1}, us = socket(AF_UNIX, SOCK_STREAM, 0);
	int ud = socket(AF_UNIX, SOCK_DGRAM, 0), bl = -1, room = sizeof(buf);
	socklen_t sl = (socklen_t)-1;
	struct msghdr mh = {0};
	struct iovec iv = {buf, 1};
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	/* (not compared: a bad type or type flags, which qemu-user masks away before the kernel) */
	S("socket unix raw", SYS_socket, AF_UNIX, SOCK_RAW, 0);
	S("socket unix proto", SYS_socket, AF_UNIX, SOCK_STREAM, 5);
	S("socket inet udp-proto", SYS_socket, AF_INET, SOCK_STREAM, 17);
	S("socket family 4000", SYS_socket, 4000, SOCK_STREAM, 0);
	S("socketpair NULL", SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, NULL);
	S("bind NULL", SYS_bind, us, NULL, 16);
	S("bind len 200", SYS_bind, us, buf, 200);
	S("bind len -1", SYS_bind, us, buf, -1);
	S("connect fd -1", SYS_connect, -1, buf, 16);
	S("connect fd 1", SYS_connect, 1, buf, 16);
	S("getsockname NULL", SYS_getsockname, us, NULL, NULL);
	S("getsockname len -1", SYS_getsockname, us, buf, &sl);
	S("getpeername unconnected", SYS_getpeername, us, buf, &room);
	S("sendto bad buf", SYS_sendto, sv[0], (void *)1, 10, 0, NULL, 0);
	S("recvmsg NULL", SYS_recvmsg, sv[1], NULL, 0);
	mh.msg_iov = &iv;
	mh.msg_iovlen = 5000;
	S("sendmsg iovlen 5000", SYS_sendmsg, sv[0], &mh, 0);
	mh.msg_iovlen = 1;
	mh.msg_control = (void *)1;
	mh.msg_controllen = 32;
	S("sendmsg bad control", SYS_sendmsg, sv[0], &mh, 0);
	S("setsockopt NULL", SYS_setsockopt, us, SOL_SOCKET, SO_RCVBUF, NULL, 4);
	S("setsockopt short", SYS_setsockopt, us, SOL_SOCKET, SO_RCVBUF, buf, 2);
	S("getsockopt NULL len", SYS_getsockopt, us, SOL_SOCKET, SO_TYPE, buf, NULL);
	S("getsockopt unknown", SYS_getsockopt, us, SOL_SOCKET, 9999, buf, &bl);
	S("listen dgram", SYS_listen, ud, 1);
	S("accept not listening", SYS_accept, us, NULL, NULL);
	S("shutdown how 7", SYS_shutdown, sv[0], 7);
	S("shutdown unconnected", SYS_shutdown, us, SHUT_RD);
	S("accept4 bad flags", SYS_accept4, us, NULL, NULL, 0x1);
	return 0;
}
