/*
 * The system-call table: number, name, argument count, handler and one
 * descriptor per argument (what it is, and for buffers which argument holds
 * the length). The RMM's verification mechanism (DESIGN.md §3) uses the
 * same descriptors to decide which container ranges a copy may touch; the
 * library OS checks its own copies against them too (uaccess.c), so a wrong
 * descriptor shows up as stats.desc_violations in the tests.
 * Unknown numbers answer -ENOSYS and are counted per number.
 */
#include "libos/kernel.h"

#define DECL(n) long sys_##n(struct task *t, const uint64_t *a);
DECL(read) DECL(write) DECL(openat) DECL(close) DECL(readv) DECL(writev) DECL(pread64)
DECL(pwrite64) DECL(preadv) DECL(pwritev) DECL(lseek) DECL(getdents64) DECL(newfstatat)
DECL(fstat) DECL(statx) DECL(faccessat) DECL(faccessat2) DECL(readlinkat) DECL(getcwd)
DECL(chdir) DECL(fchdir) DECL(mkdirat) DECL(unlinkat) DECL(renameat) DECL(renameat2)
DECL(linkat) DECL(symlinkat) DECL(fchmod) DECL(fchmodat) DECL(fchown) DECL(fchownat)
DECL(utimensat) DECL(ftruncate) DECL(truncate) DECL(fsync) DECL(dup) DECL(dup3) DECL(fcntl)
DECL(ioctl) DECL(pipe2) DECL(ppoll) DECL(pselect6) DECL(sendfile) DECL(statfs)
DECL(brk) DECL(mmap) DECL(munmap) DECL(mprotect) DECL(madvise) DECL(mremap)
DECL(clone) DECL(clone3) DECL(execve) DECL(exit) DECL(exit_group) DECL(wait4) DECL(waitid) DECL(getpid)
DECL(getppid) DECL(gettid) DECL(set_tid_address) DECL(setpgid) DECL(getpgid) DECL(getsid)
DECL(setsid) DECL(rt_sigreturn) DECL(rt_sigaction) DECL(rt_sigprocmask) DECL(rt_sigpending)
DECL(rt_sigsuspend) DECL(sigaltstack) DECL(kill) DECL(tgkill) DECL(tkill)
DECL(clock_gettime) DECL(clock_getres) DECL(gettimeofday) DECL(nanosleep)
DECL(clock_nanosleep) DECL(uname) DECL(sethostname) DECL(sysinfo) DECL(prlimit64)
DECL(getrlimit) DECL(setrlimit) DECL(getrandom) DECL(umask) DECL(getuid) DECL(geteuid)
DECL(getgid) DECL(getegid) DECL(setuid) DECL(setgid) DECL(setreuid) DECL(setregid)
DECL(setresuid) DECL(setresgid) DECL(getresuid) DECL(getresgid) DECL(getgroups)
DECL(setgroups) DECL(prctl) DECL(sched_getaffinity) DECL(sched_yield) DECL(getrusage)
DECL(times) DECL(getitimer) DECL(set_robust_list) DECL(enosys) DECL(futex) DECL(get_robust_list) DECL(timer_create) DECL(timer_settime)
DECL(timer_gettime) DECL(timer_getoverrun) DECL(timer_delete) DECL(rt_sigtimedwait)
DECL(rt_sigqueueinfo) DECL(rt_tgsigqueueinfo) DECL(memfd_create) DECL(msync) DECL(mlock) DECL(mlock2) DECL(munlock)
DECL(mlockall) DECL(munlockall) DECL(getcpu) DECL(setitimer)
DECL(eventfd2) DECL(epoll_create1) DECL(epoll_ctl) DECL(epoll_pwait) DECL(epoll_pwait2)
DECL(timerfd_create) DECL(timerfd_settime) DECL(timerfd_gettime)
DECL(socket) DECL(socketpair) DECL(bind) DECL(listen) DECL(accept) DECL(accept4) DECL(connect)
DECL(getsockname) DECL(getpeername) DECL(sendto) DECL(recvfrom) DECL(setsockopt)
DECL(getsockopt) DECL(shutdown) DECL(sendmsg) DECL(recvmsg)
DECL(sync) DECL(fadvise64) DECL(readahead) DECL(close_range) DECL(preadv2) DECL(pwritev2)
DECL(getpriority) DECL(setpriority) DECL(sched_getscheduler) DECL(sched_getparam)
DECL(sched_setscheduler) DECL(sched_setparam) DECL(sched_get_priority_max)
DECL(sched_get_priority_min) DECL(sched_setaffinity) DECL(personality)

#define N {SA_NONE, -1, 0}
#define I {SA_INT, -1, 0}
#define FD {SA_FD, -1, 0}
#define DFD {SA_DIRFD, -1, 0}
#define FL {SA_FLAGS, -1, 0}
#define MO {SA_MODE, -1, 0}
#define PID {SA_PID, -1, 0}
#define SIG {SA_SIG, -1, 0}
#define LEN {SA_LEN, -1, 0}
#define ADDR {SA_ADDR, -1, 0}
#define PATH {SA_PATH, -1, 0}
#define STR {SA_STR, -1, 0}
#define STRV {SA_STRV, -1, 0}
#define SSZ {SA_SIGSET_SZ, -1, 0}
#define IN(l) {SA_IN, l, 1}
#define OUT(l) {SA_OUT, l, 1}
#define IN_SZ(s) {SA_IN, -1, s}
#define OUT_SZ(s) {SA_OUT, -1, s}
#define INOUT_SZ(s) {SA_INOUT, -1, s}
#define INOUT_N(l, s) {SA_INOUT, l, s}
#define IOV_IN(l) {SA_IOV_IN, l, 16}
#define IOV_OUT(l) {SA_IOV_OUT, l, 16}
#define IOCTL {SA_IOCTL, -1, 0}
#define FDSET {SA_FDSET, -1, 0}
#define OPT {SA_PTR_OPT, -1, 0}
/* a buffer whose size is the u32 argument l points to: the handler reads it and uaccess_allow()s */
#define DEREF(l) {SA_DEREF, l, 1}

#define TS 16      /* struct timespec */
#define STAT 128   /* struct stat */
#define SIGSET 8
#define SIGACT 32  /* struct sigaction (kernel) */
#define RLIM 16
#define RUSAGE 144
#define EPEV 16    /* struct epoll_event: not packed on arm64 (u32 events, pad, u64 data) */
#define ITS 32     /* struct itimerspec */

#define S(nr_, name_, n_, ...) {nr_, n_, #name_, sys_##name_, {__VA_ARGS__}}
/* a call served by another call's handler */
#define SH(nr_, name_, fn_, n_, ...) {nr_, n_, #name_, sys_##fn_, {__VA_ARGS__}}
#define X(nr_, name_) {nr_, 0, #name_, sys_enosys, {N}}

static const struct syscall_def table[] = {
	S(17, getcwd, 2, OUT(1), LEN),
	S(19, eventfd2, 2, I, FL),
	S(20, epoll_create1, 1, FL),
	S(21, epoll_ctl, 4, FD, I, FD, IN_SZ(EPEV)), /* the event is not read for EPOLL_CTL_DEL */
	S(22, epoll_pwait, 6, FD, {SA_OUT, 2, EPEV}, LEN, I, IN_SZ(SIGSET), SSZ),
	S(23, dup, 1, FD),
	S(24, dup3, 3, FD, I, FL),
	S(25, fcntl, 3, FD, I, OPT), /* F_GETLK writes a struct flock at arg 2 */
	S(29, ioctl, 3, FD, I, IOCTL),
	S(34, mkdirat, 3, DFD, PATH, MO),
	S(35, unlinkat, 3, DFD, PATH, FL),
	S(36, symlinkat, 3, STR, DFD, PATH),
	S(37, linkat, 5, DFD, PATH, DFD, PATH, FL),
	S(38, renameat, 4, DFD, PATH, DFD, PATH),
	S(43, statfs, 2, PATH, OUT_SZ(120)),
	SH(44, fstatfs, statfs, 2, FD, OUT_SZ(120)),
	S(45, truncate, 2, PATH, I),
	S(46, ftruncate, 2, FD, I),
	S(48, faccessat, 3, DFD, PATH, MO),
	S(49, chdir, 1, PATH),
	S(50, fchdir, 1, FD),
	S(52, fchmod, 2, FD, MO),
	S(53, fchmodat, 3, DFD, PATH, MO),
	S(54, fchownat, 5, DFD, PATH, I, I, FL),
	S(55, fchown, 3, FD, I, I),
	S(56, openat, 4, DFD, PATH, FL, MO),
	S(57, close, 1, FD),
	S(59, pipe2, 2, OUT_SZ(8), FL),
	S(61, getdents64, 3, FD, OUT(2), LEN),
	S(62, lseek, 3, FD, I, I),
	S(63, read, 3, FD, OUT(2), LEN),
	S(64, write, 3, FD, IN(2), LEN),
	S(65, readv, 3, FD, IOV_OUT(2), LEN),
	S(66, writev, 3, FD, IOV_IN(2), LEN),
	S(67, pread64, 4, FD, OUT(2), LEN, I),
	S(68, pwrite64, 4, FD, IN(2), LEN, I),
	S(69, preadv, 4, FD, IOV_OUT(2), LEN, I),
	S(70, pwritev, 4, FD, IOV_IN(2), LEN, I),
	S(71, sendfile, 4, FD, FD, INOUT_SZ(8), LEN),
	/* both write the time left back into their timeout */
	S(72, pselect6, 6, I, FDSET, FDSET, FDSET, INOUT_SZ(TS), IN_SZ(16)),
	S(73, ppoll, 5, INOUT_N(1, 8), LEN, INOUT_SZ(TS), IN_SZ(SIGSET), SSZ),
	S(78, readlinkat, 4, DFD, PATH, OUT(3), LEN),
	S(79, newfstatat, 4, DFD, PATH, OUT_SZ(STAT), FL),
	S(80, fstat, 2, FD, OUT_SZ(STAT)),
	S(81, sync, 0, N),
	S(82, fsync, 1, FD),
	S(85, timerfd_create, 2, I, FL),
	S(86, timerfd_settime, 4, FD, FL, IN_SZ(ITS), OUT_SZ(ITS)),
	S(87, timerfd_gettime, 2, FD, OUT_SZ(ITS)),
	SH(83, fdatasync, fsync, 1, FD),
	S(88, utimensat, 4, DFD, PATH, IN_SZ(2 * TS), FL),
	S(92, personality, 1, I),
	S(93, exit, 1, I),
	S(94, exit_group, 1, I),
	S(95, waitid, 5, I, PID, OUT_SZ(128), FL, OUT_SZ(RUSAGE)),
	S(96, set_tid_address, 1, ADDR),
	/* arg 3 is a timeout (WAIT*) or a count (REQUEUE, WAKE_OP); arg 4 is read by CMP_REQUEUE's
	 * and written by WAKE_OP's operation */
	S(98, futex, 6, INOUT_SZ(4), I, I, IN_SZ(TS), INOUT_SZ(4), I),
	S(99, set_robust_list, 2, ADDR, LEN),
	S(100, get_robust_list, 3, PID, OUT_SZ(8), OUT_SZ(8)),
	S(101, nanosleep, 2, IN_SZ(TS), OUT_SZ(TS)),
	S(102, getitimer, 2, I, OUT_SZ(32)),
	S(103, setitimer, 3, I, IN_SZ(32), OUT_SZ(32)),
	S(107, timer_create, 3, I, IN_SZ(64), OUT_SZ(4)), /* struct sigevent, timer_t */
	S(108, timer_gettime, 2, I, OUT_SZ(2 * TS)),
	S(109, timer_getoverrun, 1, I),
	S(110, timer_settime, 4, I, FL, IN_SZ(2 * TS), OUT_SZ(2 * TS)),
	S(111, timer_delete, 1, I),
	S(113, clock_gettime, 2, I, OUT_SZ(TS)),
	S(114, clock_getres, 2, I, OUT_SZ(TS)),
	S(115, clock_nanosleep, 4, I, FL, IN_SZ(TS), OUT_SZ(TS)),
	S(118, sched_setparam, 2, PID, IN_SZ(4)),
	S(119, sched_setscheduler, 3, PID, I, IN_SZ(4)),
	S(120, sched_getscheduler, 1, PID),
	S(121, sched_getparam, 2, PID, OUT_SZ(4)),
	S(122, sched_setaffinity, 3, PID, LEN, IN(1)),
	S(123, sched_getaffinity, 3, PID, LEN, OUT(1)),
	S(124, sched_yield, 0, N),
	S(125, sched_get_priority_max, 1, I),
	S(126, sched_get_priority_min, 1, I),
	S(129, kill, 2, PID, SIG),
	S(130, tkill, 2, PID, SIG),
	S(131, tgkill, 3, PID, PID, SIG),
	S(132, sigaltstack, 2, IN_SZ(24), OUT_SZ(24)),
	S(133, rt_sigsuspend, 2, IN_SZ(SIGSET), SSZ),
	S(134, rt_sigaction, 4, SIG, IN_SZ(SIGACT), OUT_SZ(SIGACT), SSZ),
	S(135, rt_sigprocmask, 4, I, IN_SZ(SIGSET), OUT_SZ(SIGSET), SSZ),
	S(136, rt_sigpending, 2, OUT_SZ(SIGSET), SSZ),
	S(137, rt_sigtimedwait, 4, IN_SZ(SIGSET), OUT_SZ(128), IN_SZ(TS), SSZ),
	S(138, rt_sigqueueinfo, 3, PID, SIG, IN_SZ(128)),
	S(139, rt_sigreturn, 0, N), /* reads the signal frame at sp */
	S(140, setpriority, 3, I, I, I),
	S(141, getpriority, 2, I, I),
	S(143, setregid, 2, I, I),
	S(144, setgid, 1, I),
	S(145, setreuid, 2, I, I),
	S(146, setuid, 1, I),
	S(147, setresuid, 3, I, I, I),
	S(148, getresuid, 3, OUT_SZ(4), OUT_SZ(4), OUT_SZ(4)),
	S(149, setresgid, 3, I, I, I),
	S(150, getresgid, 3, OUT_SZ(4), OUT_SZ(4), OUT_SZ(4)),
	S(153, times, 1, OUT_SZ(32)),
	S(154, setpgid, 2, PID, PID),
	S(155, getpgid, 1, PID),
	S(156, getsid, 1, PID),
	S(157, setsid, 0, N),
	S(158, getgroups, 2, LEN, {SA_OUT, 0, 4}),
	S(159, setgroups, 2, LEN, {SA_IN, 0, 4}),
	S(160, uname, 1, OUT_SZ(390)),
	S(161, sethostname, 2, IN(1), LEN),
	S(163, getrlimit, 2, I, OUT_SZ(RLIM)),
	S(164, setrlimit, 2, I, IN_SZ(RLIM)),
	S(165, getrusage, 2, I, OUT_SZ(RUSAGE)),
	S(166, umask, 1, MO),
	S(167, prctl, 5, I, OPT, I, I, I),
	S(168, getcpu, 3, OUT_SZ(4), OUT_SZ(4), ADDR),
	S(169, gettimeofday, 2, OUT_SZ(16), OUT_SZ(8)),
	S(172, getpid, 0, N),
	S(173, getppid, 0, N),
	S(174, getuid, 0, N),
	S(175, geteuid, 0, N),
	S(176, getgid, 0, N),
	S(177, getegid, 0, N),
	S(178, gettid, 0, N),
	S(179, sysinfo, 1, OUT_SZ(112)),
	S(198, socket, 3, I, FL, I),
	S(199, socketpair, 4, I, FL, I, OUT_SZ(8)),
	S(200, bind, 3, FD, IN(2), LEN),
	S(201, listen, 2, FD, I),
	S(202, accept, 3, FD, DEREF(2), INOUT_SZ(4)),
	S(203, connect, 3, FD, IN(2), LEN),
	S(204, getsockname, 3, FD, DEREF(2), INOUT_SZ(4)),
	S(205, getpeername, 3, FD, DEREF(2), INOUT_SZ(4)),
	S(206, sendto, 6, FD, IN(2), LEN, FL, IN(5), LEN),
	S(207, recvfrom, 6, FD, OUT(2), LEN, FL, DEREF(5), INOUT_SZ(4)),
	S(208, setsockopt, 5, FD, I, I, IN(4), LEN),
	S(209, getsockopt, 5, FD, I, I, DEREF(4), INOUT_SZ(4)),
	S(210, shutdown, 2, FD, I),
	/* the msghdr; its name, iovec buffers and control are uaccess_allow()ed by the handler */
	S(211, sendmsg, 3, FD, IN_SZ(56), FL),
	S(212, recvmsg, 3, FD, INOUT_SZ(56), FL),
	S(213, readahead, 3, FD, I, LEN),
	S(214, brk, 1, ADDR),
	S(215, munmap, 2, ADDR, LEN),
	S(216, mremap, 5, ADDR, LEN, LEN, FL, ADDR),
	S(220, clone, 5, FL, ADDR, OUT_SZ(4), ADDR, ADDR), /* child_tid is written in the child */
	S(221, execve, 3, PATH, STRV, STRV),
	S(222, mmap, 6, ADDR, LEN, I, FL, FD, I),
	S(223, fadvise64, 4, FD, I, LEN, I),
	S(226, mprotect, 3, ADDR, LEN, I),
	S(227, msync, 3, ADDR, LEN, FL),
	S(228, mlock, 2, ADDR, LEN),
	S(229, munlock, 2, ADDR, LEN),
	S(230, mlockall, 1, FL),
	S(231, munlockall, 0, N),
	S(233, madvise, 3, ADDR, LEN, I),
	S(240, rt_tgsigqueueinfo, 4, PID, PID, SIG, IN_SZ(128)),
	S(242, accept4, 4, FD, DEREF(2), INOUT_SZ(4), FL),
	S(260, wait4, 4, PID, OUT_SZ(4), FL, OUT_SZ(RUSAGE)),
	S(261, prlimit64, 4, PID, I, IN_SZ(RLIM), OUT_SZ(RLIM)),
	SH(267, syncfs, fsync, 1, FD),
	S(276, renameat2, 5, DFD, PATH, DFD, PATH, FL),
	S(278, getrandom, 3, OUT(1), LEN, FL),
	S(279, memfd_create, 2, STR, FL),
	S(284, mlock2, 3, ADDR, LEN, FL),
	S(286, preadv2, 6, FD, IOV_OUT(2), LEN, I, I, FL),
	S(287, pwritev2, 6, FD, IOV_IN(2), LEN, I, I, FL),
	S(291, statx, 5, DFD, PATH, FL, I, OUT_SZ(256)),
	S(435, clone3, 2, IN(1), LEN),
	S(436, close_range, 3, I, I, FL),
	S(439, faccessat2, 4, DFD, PATH, MO, FL),
	S(441, epoll_pwait2, 6, FD, {SA_OUT, 2, EPEV}, LEN, IN_SZ(TS), IN_SZ(SIGSET), SSZ),
	/* known, deliberately absent: answer ENOSYS (glibc copes) */
	X(293, rseq),
	X(424, pidfd_send_signal),
	X(434, pidfd_open),
};

static const struct syscall_def *index_[LIBOS_NR_SYSCALLS];
static bool indexed;

static void build_index(void)
{
	for (size_t i = 0; i < KARRAY_SIZE(table); i++)
		if (table[i].nr < LIBOS_NR_SYSCALLS)
			index_[table[i].nr] = &table[i];
	indexed = true;
}

const struct syscall_def *syscall_lookup(unsigned nr)
{
	if (!indexed)
		build_index();
	return nr < LIBOS_NR_SYSCALLS ? index_[nr] : NULL;
}

const struct syscall_def *syscall_table_get(size_t *n)
{
	*n = KARRAY_SIZE(table);
	return table;
}

const char *libos_syscall_name(unsigned nr)
{
	const struct syscall_def *d = syscall_lookup(nr);
	return d ? d->name : NULL;
}

long syscall_dispatch(struct task *t, unsigned nr, const uint64_t *a)
{
	const struct syscall_def *d = syscall_lookup(nr);
	g.stats.syscalls++;
	if (!d) {
		g.stats.enosys++;
		if (nr < LIBOS_NR_SYSCALLS) {
			if (g.stats.enosys_by_nr[nr]++ == 0)
				lo_log(LOG_INFO, "pid %d: unknown system call %u -> ENOSYS",
				       t->proc->pid, nr);
		}
		return -ENOSYS;
	}
	t->cur = d;
	for (int i = 0; i < 6; i++)
		t->cur_args[i] = a[i];
	t->nextra = 0;
	long r = d->fn(t, a);
	t->cur = NULL;
	if (r == -ENOSYS) {
		g.stats.enosys++;
		if (nr < LIBOS_NR_SYSCALLS)
			g.stats.enosys_by_nr[nr]++;
	}
	return r;
}
