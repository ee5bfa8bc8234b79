/*
 * The Linux arm64 system calls' memory arguments and the range logic
 * (sysdesc.h): a copy of the RMM's Fasco verification table
 * (src/rmm/fasco_verify.c, which moves here) shared with the mini-OS.
 * tests/py/test_desc_tables.py checks this table against the library OS's.
 */
#include "lib/sysdesc.h"

#include "arch/fasco.h"

#define RB_PATH_MAX 4096U   /* PATH_MAX: longest string argument, NUL included */
#define RB_PTRARR_MAX 1024U /* entries of an execve argv/envp checked */
#define RB_IOV_MAX 1024U    /* UIO_MAXIOV */
#define RB_MAX_DESC 5

enum desc_kind {
	SZ_NONE = 0,
	SZ_ARG,	    /* length in argument len_arg */
	SZ_FIXED,   /* `size` bytes */
	SZ_STR,	    /* NUL-terminated, at most RB_PATH_MAX */
	SZ_PTRARR,  /* NULL-terminated array of string pointers (and the strings) */
	SZ_IOV,	    /* struct iovec[args[len_arg]]: the array in, the buffers `dir` */
	SZ_MUL,	    /* args[len_arg] * size bytes */
	SZ_DEREF32, /* length = the u32 that argument len_arg points to */
	SZ_IOCTL,   /* by the ioctl command (argument 1), buffer = argument 2 */
	SZ_PRCTL,   /* by the prctl option (argument 0), buffer = argument 1 */
	SZ_IFFLAG,  /* `size` bytes if bit len_arg of argument 0 (the flags) is set (a tid) */
	SZ_PTRPAIR, /* a {pointer, length} pair (16 bytes, in) and `size` bytes at its pointer */
	SZ_MSGHDR,  /* struct msghdr (`dir`), and its name, iovec buffers, control (dir len_arg) */
};

struct argdesc {
	uint8_t kind;
	uint8_t arg; /* argument holding the pointer */
	uint8_t dir; /* SYSDESC_DIR_* */
	uint8_t len_arg;
	uint16_t size;
};

struct sysdesc {
	struct argdesc d[RB_MAX_DESC];
};

#define IN SYSDESC_DIR_IN
#define OUT SYSDESC_DIR_OUT
#define INOUT (SYSDESC_DIR_IN | SYSDESC_DIR_OUT)
#define BUF(a, dir, l)                                                                             \
	{                                                                                          \
		SZ_ARG, (a), (dir), (l), 0                                                         \
	}
#define FIX(a, dir, n)                                                                             \
	{                                                                                          \
		SZ_FIXED, (a), (dir), 0, (n)                                                       \
	}
#define STR(a)                                                                                     \
	{                                                                                          \
		SZ_STR, (a), IN, 0, 0                                                              \
	}
#define PTRARR(a)                                                                                  \
	{                                                                                          \
		SZ_PTRARR, (a), IN, 0, 0                                                           \
	}
#define IOV(a, dir, cnt)                                                                           \
	{                                                                                          \
		SZ_IOV, (a), (dir), (cnt), 0                                                       \
	}
#define MUL(a, dir, cnt, elem)                                                                     \
	{                                                                                          \
		SZ_MUL, (a), (dir), (cnt), (elem)                                                  \
	}
#define DEREF(a, dir, lenp)                                                                        \
	{                                                                                          \
		SZ_DEREF32, (a), (dir), (lenp), 0                                                  \
	}
#define TIDIF(a, flagbit)                                                                          \
	{                                                                                          \
		SZ_IFFLAG, (a), OUT, (flagbit), 4                                                  \
	}
#define PTRPAIR(a, dir, n)                                                                         \
	{                                                                                          \
		SZ_PTRPAIR, (a), (dir), 0, (n)                                                     \
	}
#define MSGHDR(a, dir, data_dir)                                                                   \
	{                                                                                          \
		SZ_MSGHDR, (a), (dir), (data_dir), 0                                               \
	}
#define SYS(nr, ...) [nr] = {{__VA_ARGS__}}

/* Sizes of arm64 structures. */
#define SZ_STAT 128
#define SZ_STATX 256
#define SZ_STATFS 120
#define SZ_TIMESPEC 16
#define SZ_TIMEVAL 16
#define SZ_TIMEZONE 8
#define SZ_ITIMERVAL 32
#define SZ_ITIMERSPEC 32
#define SZ_SIGACTION 32
#define SZ_SIGSET 8
#define SZ_STACK_T 24
#define SZ_SIGINFO 128
#define SZ_SIGEVENT 64
#define SZ_RUSAGE 144
#define SZ_RLIMIT 16
#define SZ_UTSNAME 390
#define SZ_SYSINFO 112
#define SZ_TMS 32
#define SZ_EPOLL_EVENT 16
#define SZ_POLLFD 8
#define SZ_FDSET 128
#define SZ_SIGSET_ARG 16 /* pselect6's {const sigset_t *, size_t} */
#define SZ_MSGHDR_BYTES 56

/* clone(flags, newsp, ptid, tls, ctid): the flag bits that name its tid pointers. */
#define CL_PTID 20 /* CLONE_PARENT_SETTID 0x00100000: *ptid = the child's tid */
#define CL_CTID 24 /* CLONE_CHILD_SETTID 0x01000000: *ctid = it, in the child */

/* Linux arm64 (asm-generic) system calls and their memory arguments. */
static const struct sysdesc sys_desc[SYSDESC_NR_MAX] = {
	SYS(17, BUF(0, OUT, 1)),				/* getcwd */
	SYS(21, FIX(3, IN, SZ_EPOLL_EVENT)),			/* epoll_ctl */
	SYS(22, MUL(1, OUT, 2, SZ_EPOLL_EVENT), BUF(4, IN, 5)), /* epoll_pwait */
	SYS(29, {SZ_IOCTL, 2, 0, 1, 0}),			/* ioctl */
	SYS(167, {SZ_PRCTL, 1, 0, 0, 0}),			/* prctl */
	SYS(34, STR(1)),					/* mkdirat */
	SYS(35, STR(1)),					/* unlinkat */
	SYS(36, STR(0), STR(2)),				/* symlinkat */
	SYS(37, STR(1), STR(3)),				/* linkat */
	SYS(38, STR(1), STR(3)),				/* renameat */
	SYS(43, STR(0), FIX(1, OUT, SZ_STATFS)),		/* statfs */
	SYS(44, FIX(1, OUT, SZ_STATFS)),			/* fstatfs */
	SYS(45, STR(0)),					/* truncate */
	SYS(48, STR(1)),					/* faccessat */
	SYS(49, STR(0)),					/* chdir */
	SYS(51, STR(0)),					/* chroot */
	SYS(53, STR(1)),					/* fchmodat */
	SYS(54, STR(1)),					/* fchownat */
	SYS(56, STR(1)),					/* openat */
	SYS(59, FIX(0, OUT, 8)),				/* pipe2 */
	SYS(61, BUF(1, OUT, 2)),				/* getdents64 */
	SYS(63, BUF(1, OUT, 2)),				/* read */
	SYS(64, BUF(1, IN, 2)),					/* write */
	SYS(65, IOV(1, OUT, 2)),				/* readv */
	SYS(66, IOV(1, IN, 2)),					/* writev */
	SYS(67, BUF(1, OUT, 2)),				/* pread64 */
	SYS(68, BUF(1, IN, 2)),					/* pwrite64 */
	SYS(69, IOV(1, OUT, 2)),				/* preadv */
	SYS(70, IOV(1, IN, 2)),					/* pwritev */
	SYS(71, FIX(2, INOUT, 8)),				/* sendfile */
	SYS(72, FIX(1, INOUT, SZ_FDSET), FIX(2, INOUT, SZ_FDSET), FIX(3, INOUT, SZ_FDSET),
	    FIX(4, INOUT, SZ_TIMESPEC),
	    PTRPAIR(5, IN, SZ_SIGSET)), /* pselect6: time left written back; {sigmask, size} */
	SYS(73, MUL(0, INOUT, 1, SZ_POLLFD), FIX(2, INOUT, SZ_TIMESPEC),
	    BUF(3, IN, 4)), /* ppoll: time left written back */
	SYS(78, STR(1), BUF(2, OUT, 3)),				      /* readlinkat */
	SYS(79, STR(1), FIX(2, OUT, SZ_STAT)),				      /* newfstatat */
	SYS(80, FIX(1, OUT, SZ_STAT)),					      /* fstat */
	SYS(86, FIX(2, IN, SZ_ITIMERSPEC), FIX(3, OUT, SZ_ITIMERSPEC)), /* timerfd_settime */
	SYS(87, FIX(1, OUT, SZ_ITIMERSPEC)),				/* timerfd_gettime */
	SYS(88, STR(1), FIX(2, IN, 2 * SZ_TIMESPEC)),			      /* utimensat */
	SYS(95, FIX(2, OUT, SZ_SIGINFO), FIX(4, OUT, SZ_RUSAGE)),	      /* waitid */
	SYS(98, FIX(0, INOUT, 4), FIX(3, IN, SZ_TIMESPEC), FIX(4, INOUT, 4)), /* futex */
	SYS(100, FIX(1, OUT, 8), FIX(2, OUT, 8)),			      /* get_robust_list */
	SYS(101, FIX(0, IN, SZ_TIMESPEC), FIX(1, OUT, SZ_TIMESPEC)),	      /* nanosleep */
	SYS(102, FIX(1, OUT, SZ_ITIMERVAL)),				      /* getitimer */
	SYS(103, FIX(1, IN, SZ_ITIMERVAL), FIX(2, OUT, SZ_ITIMERVAL)),	      /* setitimer */
	SYS(107, FIX(1, IN, SZ_SIGEVENT), FIX(2, OUT, 4)),		      /* timer_create */
	SYS(108, FIX(1, OUT, 2 * SZ_TIMESPEC)),			      /* timer_gettime */
	SYS(110, FIX(2, IN, 2 * SZ_TIMESPEC), FIX(3, OUT, 2 * SZ_TIMESPEC)), /* timer_settime */
	SYS(113, FIX(1, OUT, SZ_TIMESPEC)),				      /* clock_gettime */
	SYS(114, FIX(1, OUT, SZ_TIMESPEC)),				      /* clock_getres */
	SYS(115, FIX(2, IN, SZ_TIMESPEC), FIX(3, OUT, SZ_TIMESPEC)),	      /* clock_nanosleep */
	SYS(122, BUF(2, IN, 1)),				       /* sched_setaffinity */
	SYS(118, FIX(1, IN, 4)),	/* sched_setparam */
	SYS(119, FIX(2, IN, 4)),	/* sched_setscheduler */
	SYS(121, FIX(1, OUT, 4)),	/* sched_getparam */
	SYS(123, BUF(2, OUT, 1)),				       /* sched_getaffinity */
	SYS(132, FIX(0, IN, SZ_STACK_T), FIX(1, OUT, SZ_STACK_T)),     /* sigaltstack */
	SYS(133, BUF(0, IN, 1)),				       /* rt_sigsuspend */
	SYS(134, FIX(1, IN, SZ_SIGACTION), FIX(2, OUT, SZ_SIGACTION)), /* rt_sigaction */
	SYS(135, BUF(1, IN, 3), BUF(2, OUT, 3)),		       /* rt_sigprocmask */
	SYS(136, BUF(0, OUT, 1)),				       /* rt_sigpending */
	SYS(137, BUF(0, IN, 3), FIX(1, OUT, SZ_SIGINFO),
	    FIX(2, IN, SZ_TIMESPEC)),				      /* rt_sigtimedwait */
	SYS(148, FIX(0, OUT, 4), FIX(1, OUT, 4), FIX(2, OUT, 4)),      /* getresuid */
	SYS(150, FIX(0, OUT, 4), FIX(1, OUT, 4), FIX(2, OUT, 4)),      /* getresgid */
	SYS(138, FIX(2, IN, SZ_SIGINFO)),			      /* rt_sigqueueinfo */
	SYS(240, FIX(3, IN, SZ_SIGINFO)),			      /* rt_tgsigqueueinfo */
	SYS(153, FIX(0, OUT, SZ_TMS)),				      /* times */
	SYS(158, MUL(1, OUT, 0, 4)),				      /* getgroups */
	SYS(159, MUL(1, IN, 0, 4)),				      /* setgroups */
	SYS(160, FIX(0, OUT, SZ_UTSNAME)),			      /* uname */
	SYS(161, BUF(0, IN, 1)),				      /* sethostname */
	SYS(163, FIX(1, OUT, SZ_RLIMIT)),			      /* getrlimit */
	SYS(164, FIX(1, IN, SZ_RLIMIT)),			      /* setrlimit */
	SYS(165, FIX(1, OUT, SZ_RUSAGE)),			      /* getrusage */
	SYS(168, FIX(0, OUT, 4), FIX(1, OUT, 4)),		      /* getcpu */
	SYS(169, FIX(0, OUT, SZ_TIMEVAL), FIX(1, OUT, SZ_TIMEZONE)),  /* gettimeofday */
	SYS(179, FIX(0, OUT, SZ_SYSINFO)),			      /* sysinfo */
	SYS(199, FIX(3, OUT, 8)),				      /* socketpair */
	SYS(200, BUF(1, IN, 2)),				      /* bind */
	SYS(202, DEREF(1, OUT, 2), FIX(2, INOUT, 4)),		      /* accept */
	SYS(203, BUF(1, IN, 2)),				      /* connect */
	SYS(204, DEREF(1, OUT, 2), FIX(2, INOUT, 4)),		      /* getsockname */
	SYS(205, DEREF(1, OUT, 2), FIX(2, INOUT, 4)),		      /* getpeername */
	SYS(206, BUF(1, IN, 2), BUF(4, IN, 5)),			      /* sendto */
	SYS(207, BUF(1, OUT, 2), DEREF(4, OUT, 5), FIX(5, INOUT, 4)), /* recvfrom */
	SYS(208, BUF(3, IN, 4)),				      /* setsockopt */
	SYS(209, DEREF(3, OUT, 4), FIX(4, INOUT, 4)),		      /* getsockopt */
	SYS(211, MSGHDR(1, IN, IN)),				      /* sendmsg */
	SYS(216, BUF(0, IN, 1)), /* mremap: a move reads the old pages (old_address, old_size) */
	SYS(212, MSGHDR(1, INOUT, OUT)),			      /* recvmsg */
	SYS(220, TIDIF(2, CL_PTID), TIDIF(4, CL_CTID)),		      /* clone */
	SYS(221, STR(0), PTRARR(1), PTRARR(2)),			      /* execve */
	SYS(242, DEREF(1, OUT, 2), FIX(2, INOUT, 4)),		      /* accept4 */
	SYS(260, FIX(1, OUT, 4), FIX(3, OUT, SZ_RUSAGE)),	      /* wait4 */
	SYS(261, FIX(2, IN, SZ_RLIMIT), FIX(3, OUT, SZ_RLIMIT)),      /* prlimit64 */
	SYS(276, STR(1), STR(3)),				      /* renameat2 */
	SYS(278, BUF(0, OUT, 1)),				      /* getrandom */
	SYS(279, STR(0)),					      /* memfd_create */
	SYS(286, IOV(1, OUT, 2)),	/* preadv2 */
	SYS(287, IOV(1, IN, 2)),	/* pwritev2 */
	SYS(291, STR(1), FIX(4, OUT, SZ_STATX)),		      /* statx */
	SYS(435, BUF(0, IN, 1)),				      /* clone3 */
	SYS(439, STR(1)),					      /* faccessat2 */
	SYS(441, MUL(1, OUT, 2, SZ_EPOLL_EVENT), FIX(3, IN, SZ_TIMESPEC),
	    BUF(4, IN, 5)), /* epoll_pwait2 */
};

/* Calls whose buffer depends on a command argument (ioctl, prctl). */
struct cmd_desc {
	uint32_t cmd;
	uint8_t dir;
	uint16_t size;
};

/* ioctl commands with a buffer in argument 2. */
static const struct cmd_desc ioctl_desc[] = {
	{0x5401, OUT, 60}, /* TCGETS: struct termios */
	{0x5402, IN, 60},  /* TCSETS */
	{0x5403, IN, 60},  /* TCSETSW */
	{0x5404, IN, 60},  /* TCSETSF */
	{0x540F, OUT, 4},  /* TIOCGPGRP */
	{0x5410, IN, 4},   /* TIOCSPGRP */
	{0x5413, OUT, 8},  /* TIOCGWINSZ */
	{0x5414, IN, 8},   /* TIOCSWINSZ */
	{0x541B, OUT, 4},  /* FIONREAD */
	{0x5421, IN, 4},   /* FIONBIO */
	{0x5429, OUT, 4},  /* TIOCGSID */
};

/* prctl options with a buffer in argument 1 (the task name: TASK_COMM_LEN). */
static const struct cmd_desc prctl_desc[] = {
	{15, IN, 16},  /* PR_SET_NAME */
	{16, OUT, 16}, /* PR_GET_NAME */
	{2, OUT, 4},   /* PR_GET_PDEATHSIG: int */
};

/* ---- Ranges ------------------------------------------------------------- */

bool sysdesc_inside(uint64_t va, uint64_t len, uint64_t base, uint64_t size)
{
	if (size == 0 || va + len < va)
		return false;
	if (base + size < base)
		size = UINT64_MAX - base;
	return va >= base && va + len <= base + size;
}

#define inside sysdesc_inside

static int mem_read(const struct sysdesc_mem *m, uint64_t va, void *buf, size_t len)
{
	return m && m->read ? m->read(m->ctx, va, buf, len) : -1;
}

/* Bytes of the string at va, NUL included, at most RB_PATH_MAX (0 if unreadable). */
static uint64_t str_span(const struct sysdesc_mem *m, uint64_t va)
{
	uint8_t chunk[256];
	uint64_t n = 0;

	while (n < RB_PATH_MAX) {
		uint64_t c = GRANULE_SIZE - ((va + n) & GRANULE_MASK);

		if (c > sizeof(chunk))
			c = sizeof(chunk);
		if (c > RB_PATH_MAX - n)
			c = RB_PATH_MAX - n;
		/* c bytes stay in one page: readable as a whole or not at all */
		if (va + n + c < va || mem_read(m, va + n, chunk, c) != 0)
			return n;
		for (uint64_t i = 0; i < c; i++) {
			if (chunk[i] == 0)
				return n + i + 1;
		}
		n += c;
	}
	return RB_PATH_MAX;
}

static bool ptrarr_allows(const struct sysdesc_mem *m, uint64_t base, uint64_t va, uint64_t len)
{
	uint64_t i;

	for (i = 0; i < RB_PTRARR_MAX; i++) {
		uint64_t p;

		if (mem_read(m, base + 8 * i, &p, sizeof(p)) != 0)
			break;
		if (p == 0) {
			i++;
			break;
		}
		if (inside(va, len, p, str_span(m, p)))
			return true;
	}
	return inside(va, len, base, 8 * i);
}

static bool iov_allows(const struct sysdesc_mem *m, uint64_t base, uint64_t cnt, unsigned dir,
		       unsigned elem_dir, uint64_t va, uint64_t len)
{
	if (cnt > RB_IOV_MAX)
		cnt = RB_IOV_MAX;
	if ((dir & IN) && inside(va, len, base, 16 * cnt))
		return true;
	if ((dir & elem_dir) == 0)
		return false;
	for (uint64_t i = 0; i < cnt; i++) {
		uint64_t iov[2];

		if (mem_read(m, base + 16 * i, iov, sizeof(iov)) != 0)
			return false;
		if (inside(va, len, iov[0], iov[1]))
			return true;
	}
	return false;
}

/* Is [va, va+len) in direction dir inside the buffer that command cmd names? */
static bool cmd_allows(const struct cmd_desc *t, size_t n, uint64_t cmd, uint64_t base, uint64_t va,
		       uint64_t len, unsigned dir)
{
	for (size_t i = 0; i < n; i++) {
		if (t[i].cmd == (uint32_t)cmd)
			return (t[i].dir & dir) && inside(va, len, base, t[i].size);
	}
	return false;
}

static bool msghdr_allows(const struct sysdesc_mem *m, uint64_t base, unsigned hdr_dir,
			  unsigned data_dir, uint64_t va, uint64_t len, unsigned dir)
{
	uint64_t h[SZ_MSGHDR_BYTES / 8]; /* name, namelen, iov, iovlen, control, controllen, flags */

	if ((dir & hdr_dir) && inside(va, len, base, SZ_MSGHDR_BYTES))
		return true;
	if (mem_read(m, base, h, sizeof(h)) != 0)
		return false;
	if ((dir & data_dir) && inside(va, len, h[0], h[1] & UINT32_MAX))
		return true;
	if ((dir & data_dir) && inside(va, len, h[4], h[5]))
		return true;
	return iov_allows(m, h[2], h[3], dir, data_dir, va, len);
}

static bool desc_allows(const uint64_t *a, const struct argdesc *d, uint64_t va, uint64_t len,
			unsigned dir, const struct sysdesc_mem *m)
{
	uint64_t base = a[d->arg], size = 0;
	uint32_t u32;

	switch (d->kind) {
	case SZ_ARG:
		size = a[d->len_arg];
		break;
	case SZ_FIXED:
		size = d->size;
		break;
	case SZ_IFFLAG:
		if ((a[0] & BIT(d->len_arg)) == 0)
			return false;
		size = d->size;
		break;
	case SZ_MUL:
		if (a[d->len_arg] > UINT32_MAX)
			return false;
		size = a[d->len_arg] * d->size;
		break;
	case SZ_DEREF32:
		if (mem_read(m, a[d->len_arg], &u32, sizeof(u32)) != 0)
			return false;
		size = u32;
		break;
	case SZ_PTRPAIR: {
		uint64_t pair[2];

		if ((dir & IN) && inside(va, len, base, 16))
			return true;
		if (mem_read(m, base, pair, sizeof(pair)) != 0)
			return false;
		base = pair[0];
		size = d->size;
		break;
	}
	case SZ_STR:
		return (dir & IN) && inside(va, len, base, str_span(m, base));
	case SZ_PTRARR:
		return (dir & IN) && ptrarr_allows(m, base, va, len);
	case SZ_IOV:
		return iov_allows(m, base, a[d->len_arg], dir, d->dir, va, len);
	case SZ_MSGHDR:
		return msghdr_allows(m, base, d->dir, d->len_arg, va, len, dir);
	case SZ_IOCTL:
		return cmd_allows(ioctl_desc, ARRAY_SIZE(ioctl_desc), a[1], base, va, len, dir);
	case SZ_PRCTL:
		return cmd_allows(prctl_desc, ARRAY_SIZE(prctl_desc), a[0], base, va, len, dir);
	default:
		return false;
	}
	return (d->dir & dir) != 0 && inside(va, len, base, size);
}

bool sysdesc_allows(unsigned nr, const uint64_t args[6], uint64_t va, uint64_t len, unsigned dir,
		    const struct sysdesc_mem *m)
{
	if (len == 0 || nr >= SYSDESC_NR_MAX || (dir != IN && dir != OUT))
		return false;
	for (unsigned i = 0; i < RB_MAX_DESC; i++) {
		const struct argdesc *d = &sys_desc[nr].d[i];

		if (d->kind == SZ_NONE)
			break;
		if (desc_allows(args, d, va, len, dir, m))
			return true;
	}
	return false;
}

bool sysdesc_frame_allows(bool svc, unsigned nr, uint64_t sp, uint64_t va, uint64_t len,
			  unsigned dir, bool sigret_out)
{
	if (len == 0)
		return false;
	/* Signal delivery: a frame in the free stack below sp (arm64 has no red zone). */
	if (dir == OUT && sp >= RB_SIGFRAME_MAX &&
	    inside(va, len, sp - RB_SIGFRAME_MAX, RB_SIGFRAME_MAX))
		return true;
	if (!svc || nr != SYSDESC_RT_SIGRETURN || !inside(va, len, sp, RB_SIGFRAME_MAX))
		return false;
	/*
	 * rt_sigreturn reads its frame at sp; with `sigret_out` a signal still
	 * pending may be delivered on its way out at the sp it restores, which
	 * is the frame's top: the new frame lands where the old one was.
	 */
	return dir == IN || (dir == OUT && sigret_out);
}

/* One robust entry (bit 0 of a link is the PI flag): its next pointer or its futex word. */
static bool robust_entry_allows(uint64_t e, uint64_t off, uint64_t va, uint64_t len,
				unsigned dir, bool next_too)
{
	e &= ~1ULL;
	if (next_too && dir == SYSDESC_DIR_IN && sysdesc_inside(va, len, e, 8))
		return true;
	return sysdesc_inside(va, len, e + off, 4);
}

bool sysdesc_robust_allows(uint64_t head, uint64_t va, uint64_t len, unsigned dir,
			   const struct sysdesc_mem *m)
{
	uint64_t h[3], e;

	if (head == 0 || len == 0)
		return false;
	if (dir == SYSDESC_DIR_IN && sysdesc_inside(va, len, head, sizeof(h)))
		return true;
	if (len > 8 || m->read(m->ctx, head, h, sizeof(h)))
		return false;
	if (h[2] && robust_entry_allows(h[2], h[1], va, len, dir, false))
		return true;
	e = h[0];
	for (unsigned n = 0; n < SYSDESC_ROBUST_MAX && (e & ~1ULL) != head; n++) {
		if (robust_entry_allows(e, h[1], va, len, dir, true))
			return true;
		if (m->read(m->ctx, e & ~1ULL, &e, sizeof(e)))
			return false;
	}
	return false;
}
