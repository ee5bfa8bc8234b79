/*
 * Private to the library OS: its objects (processes, tasks, address spaces,
 * files, inodes, pipes), Linux ABI constants, and the functions the topic
 * files (mm.c, vfs.c, sys_*.c, ...) share. Every piece of a container's
 * kernel state lives in one instance (struct libos_kernel, reached as `g`
 * through libos_cur, task.c): a System Realm serving several Container
 * Realms keeps one per container and selects it whenever a kernel thread
 * of that container runs (libos_select). Every function here runs with the
 * library OS lock held (pal->lock) unless it says otherwise.
 */
#ifndef LIBOS_KERNEL_H
#define LIBOS_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/errno.h"
#include "lib/log.h"
#include "libos/klib.h"
#include "libos/kmem.h"
#include "libos/libos.h"
#include "libos/pal.h"

/* errnos lib/errno.h does not carry */
#ifndef ENOTSOCK
#define ENOTSOCK 88
#endif
#ifndef EAFNOSUPPORT
#define EAFNOSUPPORT 97
#endif
#ifndef ETIMEDOUT
#define ETIMEDOUT 110
#endif
#ifndef ENOLCK
#define ENOLCK 37
#endif
#ifndef ENODATA
#define ENODATA 61
#endif
#define ERESTARTSYS 512 /* internal: restart if SA_RESTART, else EINTR */

#define PAGE_SIZE 4096ULL
#define PAGE_MASK (~(PAGE_SIZE - 1))
#define PATH_MAX_ 4096
#define NAME_MAX_ 255
#define USER_VA_LIMIT (1ULL << 39)

/* address-space layout (below the CPU engine's 39-bit limit) */
#define LAYOUT_STACK_TOP 0x7ff0000000ULL
#define LAYOUT_STACK_MAX (8ULL << 20)
#define LAYOUT_MMAP_TOP 0x7fe0000000ULL
#define LAYOUT_PIE_BASE 0x5555550000ULL
#define LAYOUT_SIGPAGE 0x7ffff00000ULL /* signal trampoline ("vDSO") page */
#define LAYOUT_MMAP_MIN 0x10000ULL

/* A message about the container: through the PAL's log when it has one (pal.h), else lib_log. */
void libos_log(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define lo_log(lvl, ...) libos_log(lvl, __VA_ARGS__)

/* ---- Linux ABI constants (arm64) ---- */
#define S_IFMT 0170000
#define S_IFSOCK 0140000
#define S_IFLNK 0120000
#define S_IFREG 0100000
#define S_IFBLK 0060000
#define S_IFDIR 0040000
#define S_IFCHR 0020000
#define S_IFIFO 0010000
#define S_ISDIR(m) (((m)&S_IFMT) == S_IFDIR)
#define S_ISREG(m) (((m)&S_IFMT) == S_IFREG)
#define S_ISLNK(m) (((m)&S_IFMT) == S_IFLNK)

#define O_ACCMODE 03
#define O_RDONLY 0
#define O_WRONLY 1
#define O_RDWR 2
#define O_CREAT 0100
#define O_EXCL 0200
#define O_NOCTTY 0400
#define O_TRUNC 01000
#define O_APPEND 02000
#define O_NONBLOCK 04000
#define O_DIRECTORY 040000
#define O_NOFOLLOW 0100000
#define O_LARGEFILE 0400000
#define O_CLOEXEC 02000000
#define O_PATH 010000000
#define O_TMPFILE 020000000

#define AT_FDCWD (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR 0x200
#define AT_EACCESS 0x200
#define AT_SYMLINK_FOLLOW 0x400
#define AT_NO_AUTOMOUNT 0x800
#define AT_EMPTY_PATH 0x1000

#define SIGHUP 1
#define SIGINT 2
#define SIGQUIT 3
#define SIGILL 4
#define SIGTRAP 5
#define SIGABRT 6
#define SIGBUS 7
#define SIGFPE 8
#define SIGKILL 9
#define SIGUSR1 10
#define SIGSEGV 11
#define SIGUSR2 12
#define SIGPIPE 13
#define SIGALRM 14
#define SIGTERM 15
#define SIGCHLD 17
#define SIGCONT 18
#define SIGSTOP 19
#define SIGTSTP 20
#define SIGTTIN 21
#define SIGTTOU 22
#define SIGURG 23
#define SIGWINCH 28
#define NSIG_ 64
#define SIGBIT(s) (1ULL << ((s)-1))

#define SIG_DFL_ 0
#define SIG_IGN_ 1
#define SA_NOCLDSTOP 0x00000001
#define SA_NOCLDWAIT 0x00000002
#define SA_SIGINFO 0x00000004
#define SA_RESTORER 0x04000000
#define SA_ONSTACK 0x08000000
#define SA_RESTART 0x10000000
#define SA_NODEFER 0x40000000
#define SA_RESETHAND 0x80000000

#define CLONE_VM 0x00000100
#define CLONE_FS 0x00000200
#define CLONE_FILES 0x00000400
#define CLONE_SIGHAND 0x00000800
#define CLONE_PIDFD 0x00001000
#define CLONE_PTRACE 0x00002000
#define CLONE_VFORK 0x00004000
#define CLONE_PARENT 0x00008000
#define CLONE_THREAD 0x00010000
#define CLONE_NEWNS 0x00020000
#define CLONE_SYSVSEM 0x00040000
#define CLONE_SETTLS 0x00080000
#define CLONE_PARENT_SETTID 0x00100000
#define CLONE_CHILD_CLEARTID 0x00200000
#define CLONE_DETACHED 0x00400000
#define CLONE_UNTRACED 0x00800000
#define CLONE_CHILD_SETTID 0x01000000

#define WNOHANG 1
#define WUNTRACED 2
#define WEXITED 4
#define WCONTINUED 8
#define WNOWAIT 0x01000000

#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4
#define MAP_SHARED 1
#define MAP_PRIVATE 2
#define MAP_SHARED_VALIDATE 3
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define MAP_GROWSDOWN 0x100
#define MAP_FIXED_NOREPLACE 0x100000

/* ---- objects ---- */

/* An immutable, refcounted byte buffer: verified host file contents, snapshots. */
struct fbuf {
	int refs;
	size_t size;
	uint8_t *data;
};
struct fbuf *fbuf_new(size_t size); /* zeroed */
void fbuf_get(struct fbuf *b);
void fbuf_put(struct fbuf *b);

/* VMA flags */
#define VMA_ANON 1
#define VMA_FILE 2
#define VMA_STACK 4
#define VMA_HEAP 8
#define VMA_SIGPAGE 16
#define VMA_SHARED 32
#define VMA_EOFBUS 64 /* mmap of a file: pages wholly past its end raise SIGBUS */

struct vma {
	uint64_t start, end;
	unsigned prot; /* PROT_* */
	unsigned flags;
	struct fbuf *file;  /* VMA_FILE: contents (private snapshot) */
	uint64_t file_off;  /* file offset of start */
	uint64_t file_end;  /* VA where file bytes stop (rest of the page is zero) */
	char *name;         /* path for /proc/self/maps, or NULL */
	struct shm *shm;    /* MAP_SHARED memory object (mm.c), or NULL */
	uint64_t shm_off;   /* offset in shm of start */
	struct vma *next;
};

struct mm {
	int refs;
	struct pal_as *as;
	struct vma *vmas; /* sorted, non-overlapping */
	unsigned nvmas;
	uint64_t brk_start, brk;
	uint64_t stack_top;
	uint64_t mmap_top;
};

struct syscall_def;
struct shm; /* shared memory object (mm.c) */
struct ktimer; /* POSIX timer (timer.c) */
struct inode; /* overlay (tmpfs) inode, fs_tmp.c */
struct pipe;
struct sock; /* sock.h */
struct epitem; /* sys_poll.c */

enum file_type {
	FT_HOST = 1, /* verified host file: buf */
	FT_TMP,      /* overlay inode */
	FT_DIR,      /* any directory: path */
	FT_PIPE,
	FT_DEV,      /* dev: DEV_* */
	FT_CONSOLE,  /* console_fd */
	FT_PROC,     /* generated contents: buf */
	FT_PATH,     /* O_PATH */
	FT_TSM,      /* configfs-tsm inblob/outblob (fs_tsm.c) */
	FT_SOCK,     /* socket: sock (sock.h) */
	FT_EVENTFD,  /* eventfd: obj (sys_poll.c) */
	FT_TIMERFD,  /* timerfd: obj (sys_poll.c) */
	FT_EPOLL,    /* epoll instance: obj (sys_poll.c) */
};

enum { DEV_NULL = 1, DEV_ZERO, DEV_URANDOM, DEV_TTY, DEV_PTS /* node: proc_item = n */ };

struct dirent_snap; /* getdents snapshot */

struct file {
	int refs;
	enum file_type type;
	unsigned flags; /* O_* status flags */
	uint64_t pos;
	char *path; /* canonical container path (or "pipe:[n]") */
	const struct libos_mf_entry *me;
	struct fbuf *buf;
	struct inode *ino;
	struct pipe *pipe;
	bool pipe_write;
	int dev;
	int console_fd;
	struct dirent_snap *dir;
	struct sock *sock; /* FT_SOCK */
	void *obj;         /* FT_EVENTFD, FT_TIMERFD, FT_EPOLL */
	struct epitem *watchers; /* epoll items watching this file (sys_poll.c) */
};

#define MAX_FDS 1024
struct fdtable {
	struct file *f[MAX_FDS];
	uint8_t cloexec[MAX_FDS];
};

/* What a pending signal says about itself (siginfo_t's si_code and its union, offset 16 on). */
struct ksiginfo {
	int32_t code;	/* si_code: SI_USER 0, SI_KERNEL 0x80, SI_TKILL -6, SI_TIMER -2, fault codes */
	int32_t pad;
	uint64_t d[3];	/* si_pid|si_uid<<32, or si_addr, or si_tid|si_overrun<<32; then si_value */
};
#define SI_USER_ 0
#define SI_KERNEL_ 0x80
#define SI_TKILL_ (-6)
#define SI_TIMER_ (-2)

struct sigaction_k {
	uint64_t handler, flags, restorer, mask;
};

enum proc_state { P_RUNNING = 0, P_ZOMBIE };

struct task;

struct process {
	int pid, pgid, sid;
	struct process *parent;
	struct process *children, *sibling;
	struct process *next_all;
	struct task *task;  /* the first thread (signals default to it) */
	struct task *threads; /* every thread, live or exited, linked by next_thread */
	int nthreads;       /* live threads */
	bool exiting;       /* exit_group or a fatal signal: threads are being killed */
	struct mm *mm;
	struct fdtable *fds;
	char *cwd;
	char *exe;
	char comm[16];
	char *cmdline;      /* argv joined with NULs */
	size_t cmdline_len;
	uint32_t umask;
	uint32_t uid, gid, euid, egid;
	struct sigaction_k sa[NSIG_ + 1];
	enum proc_state state;
	int wstatus;        /* wait status when zombie */
	bool vfork_done;    /* set when a vfork child execs or exits */
	struct process *vfork_parent;
	uint64_t start_ns;
	struct libos_rlimit rlim[16];
	int exit_signal;    /* signal to parent at exit (SIGCHLD) */
	uint32_t groups[32];
	unsigned ngroups;
	uint64_t itimer_deadline, itimer_interval; /* ITIMER_REAL, monotonic ns (0: off) */
	bool spawned;       /* started by libos_spawn: its exit is recorded in g.spawned */
	int ctty;           /* its controlling terminal: pts number + 1 (0: none); fork inherits */
	/* ITIMER_VIRTUAL [0] and ITIMER_PROF [1]: process CPU time (ns) at which they fire (0: off) */
	uint64_t cpu_itimer_at[2], cpu_itimer_interval[2];
	struct ktimer *timers;       /* POSIX timers (timer.c), NULL until timer_create */
	uint64_t cutime_ns, cstime_ns; /* CPU time of waited-for children (timer.c) */
	/* recorded, inherited at fork, no effect on scheduling (sys_sched.c) */
	int nice;
	int sched_policy, sched_prio;
	bool sched_reset_on_fork;
	uint32_t personality;
};

struct task {
	int tid;
	struct process *proc;
	struct task *next_thread;
	struct pal_task *pt;
	uint64_t sigmask;
	uint64_t pending;
	/*
	 * Inside libos_handle_exception (and blocked there): a signal for it
	 * needs no kick, sig_deliver runs before it goes back to user code.
	 */
	bool in_kernel;
	struct ksiginfo siginfo[NSIG_ + 1]; /* of each pending signal */
	uint64_t saved_mask; /* rt_sigsuspend */
	bool restore_mask;
	uint64_t clear_child_tid;
	uint64_t robust_list; /* set_robust_list head (futex.c) */
	uint64_t altstack_sp, altstack_size;
	int altstack_flags;
	bool exited;
	/* CPU time (timer.c): guest code between exceptions, and the library OS serving them */
	uint64_t utime_ns, stime_ns;
	uint64_t cpu_resume_ns, cpu_enter_ns, cpu_block_ns;
	struct pal_regs regs; /* loaded at each exception, written back on resume */
	uint64_t orig_x0;
	/* the call being served (for the descriptor check) */
	const struct syscall_def *cur;
	uint64_t cur_args[6];
	uint64_t extra_lo[4], extra_hi[4]; /* ranges discovered at run time (iovecs, argv) */
	unsigned nextra;
};

/* ---- per-instance state of the topic files (zeroed at libos_init) ---- */
#define TMP_NBUCKET 512	  /* fs_tmp.c: overlay paths by hash */
#define FUTEX_NBUCKETS 64 /* futex.c: waiters by key hash */
#define TSM_REPORTS 16	  /* fs_tsm.c: configfs-tsm report directories */
#define TSM_NAME_MAX 64
#define TSM_CHALLENGE 64
struct ent;	     /* fs_tmp.c */
struct futex_waiter; /* futex.c */
struct usock;	     /* sock_unix.c */
struct tsm_report {
	bool used;
	uint32_t serial; /* tells a recreated report from the one a file was opened on */
	char name[TSM_NAME_MAX];
	uint8_t inblob[TSM_CHALLENGE];
	size_t inblob_len;
	uint32_t generation;
	uint8_t *out; /* token of generation out_gen, kmalloc'd */
	size_t out_len;
	uint32_t out_gen;
};

/* Terminals of a container: init's /dev/pts/0, then one per exec session (3 console streams each). */
#define LIBOS_NTTY (LIBOS_CONSOLE_MAX / 3)

/*
 * ---- one library OS instance: one container's kernel ----
 * libos_init makes one inside the memory region it is given, and each
 * one's objects live there too (its kernel heap, so a container's kernel
 * memory is bounded by that region); libos_select picks the current one.
 */
struct libos_kernel {
	bool live;		/* between libos_init and libos_fini */
	struct kmem_heap *heap; /* its kernel heap (kmem.c) */
	struct pal_ops pal;
	struct libos_config cfg;
	char *hostname;
	struct process *all;
	int next_pid;
	uint32_t event; /* bumped + woken on every state change a sleeper may wait for */
	struct libos_stats stats;
	bool container_done;
	int init_status;
	uint64_t boot_ns;
	uint64_t live_tasks;
	struct {
		int pid; /* 0: free */
		bool done;
		int status;
		int pts; /* its terminal's /dev/pts number (1.., console_base / 3), 0: none */
	} spawned[LIBOS_SPAWN_MAX]; /* libos_spawn's processes, until their status is read */
	struct {
		struct ent *buckets[TMP_NBUCKET];
		uint64_t next_ino;
	} tmp; /* fs_tmp.c: the writable overlay */
	/* fs_tsm.c */
	struct {
		struct tsm_report reports[TSM_REPORTS];
		uint32_t next_serial;
	} tsm;
	/* futex.c */
	struct futex_waiter *futex_buckets[FUTEX_NBUCKETS];
	struct {
		struct usock *all;
		unsigned autobind_seq;
	} usock; /* sock_unix.c */
	struct {
		uint8_t termios[LIBOS_NTTY][36];
		int fg_pgrp[LIBOS_NTTY];
		int sid[LIBOS_NTTY]; /* the session it is the controlling terminal of (0: none) */
		uint16_t winsize[LIBOS_NTTY][4]; /* struct winsize: rows, cols, xpixel, ypixel */
	} tty; /* sys_fs.c: per terminal (/dev/pts/n: init's 0, exec sessions' 1..) */
	struct fbuf **page_cache;	  /* vfs.c: one slot per manifest entry */
	uint64_t reaped_user, reaped_sys; /* timer.c: CPU time of reaped processes */
	uint8_t boot_id[16];		  /* fs_proc.c: /proc/sys/kernel/random/boot_id */
	bool boot_id_set;
};

/* The instance the running code serves (task.c); never NULL. */
extern struct libos_kernel *libos_cur;
#define g (*libos_cur)

#define PAL(fn, ...) (g.pal.fn(g.pal.ctx, ##__VA_ARGS__))

/* ---- blocking (task.c) ---- */
/* Wake every sleeper (state changed). */
void ev_notify(void);
/*
 * Sleep until the event counter moves past `seq` or timeout (ns, <0: none);
 * releases the lock meanwhile. Returns 0, -ETIMEDOUT, or -ERESTARTSYS if a
 * signal became deliverable.
 */
int ev_wait(struct task *t, uint32_t seq, int64_t timeout_ns);
static inline uint32_t ev_seq(void)
{
	return __atomic_load_n(&g.event, __ATOMIC_ACQUIRE);
}
uint64_t now_ns(int clock);

/* ---- user memory (uaccess.c) ---- */
int copy_in(struct task *t, void *dst, uint64_t uaddr, size_t len);
int copy_out(struct task *t, uint64_t uaddr, const void *src, size_t len);
/* String from user memory: length, -EFAULT, -ENAMETOOLONG. */
long strncpy_in(struct task *t, char *dst, uint64_t uaddr, size_t max);
/* Write into a (possibly not yet current) address space, faulting pages in (loader). */
int mm_write(struct mm *mm, uint64_t uaddr, const void *src, size_t len);
/* Path argument: into a kmalloc'ed PATH_MAX buffer (*out), or -errno. */
int path_in(struct task *t, uint64_t uaddr, char **out);
/* Mark [lo, hi) as a range the current call legitimately reaches (iovec buffers, argv strings). */
void uaccess_allow(struct task *t, uint64_t lo, uint64_t len);

/* ---- res.c: linux.resources (docs/resources.md) ---- */
/* The container's pages now, as the deployment counts them (0 without pal->mem_pages). */
uint64_t res_mem_pages(void);
/*
 * npages more container pages are about to be mapped (0: check after a fork
 * copied): 0 within the memory limit; otherwise every process of the
 * container gets SIGKILL (the OOM kill, once logged) and -ENOMEM.
 */
int res_mem_charge(uint64_t npages);
/* Whether the OOM kill happened (a fault's -ENOMEM then needs no signal of its own). */
bool res_oom_killed(void);
/*
 * A page fault found no page left in the deployment (no memory limit
 * reached): p is killed with SIGKILL as Linux's OOM killer would, and
 * logged.
 */
void res_oom_out_of_memory(struct process *p);
/* Tasks alive plus processes not reaped yet (the pids controller's count). */
uint64_t res_pids_current(void);
/* One more task: 0, or -EAGAIN at the pids limit. */
int res_pids_charge(void);

/* ---- mm.c ---- */
struct mm *mm_new(void);
void mm_put(struct mm *mm);
struct mm *mm_fork(struct mm *src);
struct vma *vma_find(struct mm *mm, uint64_t addr);
/* Insert a mapping (the range must be free). */
int vma_add(struct mm *mm, uint64_t start, uint64_t end, unsigned prot, unsigned flags,
	    struct fbuf *file, uint64_t file_off, uint64_t file_end, const char *name);
int mm_unmap(struct mm *mm, uint64_t start, uint64_t len);
/* mprotect: the whole range must be mapped (-ENOMEM otherwise). */
int mm_protect(struct mm *mm, uint64_t start, uint64_t len, unsigned prot);
/* Find a free range of len bytes, top-down below mm->mmap_top (hint tried first). 0 if none. */
uint64_t mm_find_free(struct mm *mm, uint64_t hint, uint64_t len);
bool mm_range_free(struct mm *mm, uint64_t start, uint64_t end);
/*
 * Populate the page holding addr if its VMA allows `access` (PROT_*). 0,
 * -EFAULT, or -EIO for a page of a file mapping wholly past the file's end.
 */
int mm_fault(struct mm *mm, uint64_t addr, unsigned access);
/* Fault in every page of [addr, addr+len) that a VMA allows. 0 or -EFAULT. */
int mm_fault_range(struct mm *mm, uint64_t addr, uint64_t len, unsigned access);
/*
 * Map the file-backed pages of mm's executable mappings now (libos_config
 * populate_text), at most MM_POPULATE_TEXT_MAX pages, and none if a memory
 * limit is set and they would take more than half of what is left under
 * it. Best effort: a page that cannot be mapped is left to its fault.
 */
#define MM_POPULATE_TEXT_MAX 1024
void mm_populate_text(struct mm *mm);
unsigned prot_to_pal(unsigned prot);
/* /proc/PID/maps text into a new fbuf. */
struct fbuf *mm_maps_text(struct mm *mm);

/* ---- shm.c: MAP_SHARED objects ---- */
/* A shared memory object, anonymous (ino NULL) or over an overlay inode (referenced). */
struct shm *shm_new(struct inode *ino);
void shm_get(struct shm *s);
void shm_put(struct shm *s);
struct inode *shm_inode(const struct shm *s);
/* The contents of page `page` of file-backed shared VMA v into buf; -EIO past EOF (SIGBUS). */
int shm_fill_page(const struct vma *v, uint64_t page, uint8_t *buf);
/* Write the populated pages of mm's file-backed shared mappings in [start, end) to the file. */
void shm_writeback_range(struct mm *mm, uint64_t start, uint64_t end);
/* Before a read of ino: every mapping's stores into the file. */
void shm_sync_inode(struct inode *ino);
/* After a write of ino at [off, off+len): into every mapping's populated pages. */
void shm_refresh_inode(struct inode *ino, uint64_t off, uint64_t len);
/* fork of shared VMA v: the same pages in dst (PAL mem_share), else a copy (warned, counted). */
int shm_fork_vma(struct mm *dst, struct mm *src, struct vma *v);

/* ---- loader.c ---- */
struct exec_image {
	uint64_t entry;     /* where the task starts (interpreter's entry if any) */
	uint64_t prog_entry;
	uint64_t phdr, phent, phnum;
	uint64_t interp_base;
	uint64_t brk;
};
/*
 * Load an ELF from contents `img` into mm (fresh). `resolve_interp` opens the
 * interpreter path. 0 or -ENOEXEC/-ENOMEM/-ENOENT/-EIO/-EACCES.
 */
int elf_load(struct task *t, struct mm *mm, struct fbuf *img, const char *path,
	     struct exec_image *out);
/* Validate an ELF header+phdrs without loading (tests). 0 or -ENOEXEC. */
int elf_check(const uint8_t *img, size_t size);
/* Build the initial stack: returns sp, or -errno. */
int64_t build_stack(struct task *t, struct mm *mm, const struct exec_image *im, char **argv,
		    int argc, char **envp, int envc, const char *execfn);
int map_sigpage(struct mm *mm);

/* ---- vfs.c ---- */
enum node_kind { NK_NONE = 0, NK_HOST, NK_TMP, NK_DEV, NK_PROC, NK_SYNTH_DIR, NK_FDREF, NK_TSM };

/* What a path names. */
struct node {
	enum node_kind kind;
	uint32_t mode;      /* S_IF* | perms */
	const struct libos_mf_entry *me; /* NK_HOST */
	struct inode *ino;  /* NK_TMP */
	int dev;            /* NK_DEV */
	int proc_pid, proc_item; /* NK_PROC */
	int fd;             /* NK_FDREF (proc fd link followed) */
	struct process *fdproc;
};

struct kstat {
	uint64_t dev, ino, nlink, rdev, size, blocks;
	uint32_t mode, uid, gid;
	int64_t atime_sec, mtime_sec, ctime_sec;
	uint64_t atime_nsec, mtime_nsec, ctime_nsec;
};

#define LK_FOLLOW 1      /* follow a final symlink */
#define LK_PARENT_OK 2   /* final component may be missing (creation) */
#define LK_DIR 4         /* must be a directory (trailing slash) */

/*
 * Resolve `path` relative to dirfd (AT_FDCWD or a directory fd) in the
 * container's view: symlinks are resolved here (never by the host), ".."
 * never leaves "/". On success *canon (kmalloc'ed) is the canonical path
 * and *nd what it names (kind NK_NONE if missing and LK_PARENT_OK).
 */
int vfs_resolve(struct task *t, int dirfd, const char *path, unsigned flags, char **canon,
		struct node *nd);
/* Look up one canonical path without following anything. 0 or -ENOENT. */
int vfs_lookup(const char *canon, struct node *nd);
void vfs_node_stat(const char *canon, const struct node *nd, struct kstat *st);
/* Read a symlink node's target into buf (NUL-terminated). Length or -errno. */
long vfs_readlink_node(struct task *t, const struct node *nd, char *buf, size_t len);
/* Open a resolved node. */
int vfs_open_node(struct task *t, const char *canon, const struct node *nd, unsigned flags,
		  struct file **out);
/* Verified contents of a host file (page cache). */
int vfs_host_contents(const struct libos_mf_entry *me, struct fbuf **out);
/* Whole contents of a regular file node (host: verified; tmp: snapshot). */
int vfs_node_contents(const struct node *nd, struct fbuf **out);
/* SHA-256 of a regular file's content img (the manifest's digest for a rootfs file). */
void vfs_node_digest(const struct node *nd, const struct fbuf *img, uint8_t out[32]);
const struct libos_mf_entry *mf_lookup(const char *path);
bool vfs_readonly(void);
int vfs_dir_list(struct task *t, const char *canon, const struct node *nd,
		 struct dirent_snap **out);
int vfs_getdents(struct file *f, struct task *t, uint64_t ubuf, size_t len);
void vfs_dir_free(struct dirent_snap *d);
/* canonical parent and name of canon */
void path_split(const char *canon, char *parent, size_t plen, const char **name);

/* Forget the state of a previous instance (libos_init). */
void vfs_reset(void);
void tmp_reset(void);
void tty_reset(void);

/* overlay operations (fs_tmp.c) */
struct inode *tmp_inode_new(uint32_t mode);
void tmp_inode_get(struct inode *i);
void tmp_inode_put(struct inode *i);
int tmp_lookup(const char *canon, struct inode **ino, bool *whiteout);
bool tmp_parent_opaque(const char *canon);
int tmp_create(const char *canon, uint32_t mode, struct inode **out);
int tmp_mkdir(const char *canon, uint32_t mode);
/* A socket inode at canon (bind of an AF_UNIX path): the overlay keeps one reference, *out is it. */
int tmp_mksock(const char *canon, uint32_t mode, struct inode **out);
int tmp_symlink(const char *canon, const char *target);
int tmp_unlink(struct task *t, const char *canon, bool dir);
int tmp_rename(struct task *t, const char *from, const char *to, unsigned flags);
int tmp_link(const char *from, const char *to);
/* Make the overlay hold canon (copy a host file/dir up). */
int tmp_copy_up(const char *canon, const struct node *nd, struct inode **out);
void tmp_stat(const struct inode *i, struct kstat *st);
long tmp_read(struct inode *i, void *dst, size_t len, uint64_t off);
long tmp_write(struct inode *i, const void *src, size_t len, uint64_t off);
int tmp_truncate(struct inode *i, uint64_t size);
const char *tmp_link_target(const struct inode *i);
uint32_t tmp_mode(const struct inode *i);
void tmp_set_mode(struct inode *i, uint32_t mode);
void tmp_set_owner(struct inode *i, uint32_t uid, uint32_t gid);
void tmp_set_times(struct inode *i, int64_t asec, uint64_t ansec, int64_t msec, uint64_t mnsec);
struct fbuf *tmp_snapshot(struct inode *i);
/* Overlay children of directory canon: calls fn(name, mode, whiteout) for each. */
void tmp_for_children(const char *canon, void (*fn)(void *arg, const char *name, uint32_t mode,
						    bool whiteout),
		      void *arg);
void tmp_set_opaque(struct inode *i);

/* proc + dev (fs_proc.c, fs_dev.c) */
/* configfs-tsm (fs_tsm.c): /sys/kernel/config/tsm when the PAL has attest_token */
bool tsm_covers(const char *canon);
int tsm_lookup(const char *canon, struct node *nd);
int tsm_list(const char *canon, void (*fn)(void *arg, const char *name, uint32_t mode),
	     void *arg);
int tsm_open(struct task *t, const struct node *nd, unsigned flags, struct file **out);
long tsm_read(struct task *t, struct file *f, uint64_t ubuf, size_t len, uint64_t off);
long tsm_write(struct task *t, struct file *f, uint64_t ubuf, size_t len, uint64_t off);
int tsm_mkdir(const char *canon);
int tsm_rmdir(const char *canon, bool dir);
void tsm_reset(void);
/* A bounded text buffer for generated files (fs_proc.c, fs_sys.c); truncates at cap - 1. */
struct sbuf {
	char *b;
	size_t len, cap;
};
void sb_printf(struct sbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Its text as a new fbuf (NULL: out of memory). */
struct fbuf *sb_to_fbuf(struct sbuf *s);
/*
 * /sys (fs_sys.c): the files programs read (cpu online/possible/present,
 * transparent_hugepage), as NK_PROC nodes whose proc_item is at least
 * SYSFS_ITEM_BASE. Everything under /sys but configfs-tsm's
 * /sys/kernel/config (fs_tsm.c).
 */
#define SYSFS_ITEM_BASE 1000
bool sysfs_covers(const char *canon);
int sysfs_lookup(const char *canon, struct node *nd);
int sysfs_list(const char *canon, void (*fn)(void *arg, const char *name, uint32_t mode),
	       void *arg);
int sysfs_open(struct task *t, const struct node *nd, struct file **out);
int proc_lookup(const char *canon, struct node *nd);
long proc_readlink(struct task *t, const struct node *nd, char *buf, size_t len);
int proc_open(struct task *t, const struct node *nd, struct file **out);
int proc_list(const char *canon, const struct node *nd,
	      void (*fn)(void *arg, const char *name, uint32_t mode), void *arg);
int dev_lookup(const char *canon, struct node *nd);
int dev_list(const char *canon, void (*fn)(void *arg, const char *name, uint32_t mode), void *arg);
long dev_read(struct task *t, struct file *f, uint64_t ubuf, size_t len);
long dev_write(struct task *t, struct file *f, uint64_t ubuf, size_t len);
const char *dev_name(int dev);
/* Target of /dev entry idx when it is a symlink (stdin, fd, ...), else NULL. */
const char *dev_link_target(int idx);

/* ---- files (fd.c) ---- */
struct file *file_new(enum file_type type, unsigned flags, const char *path);
void file_get(struct file *f);
void file_put(struct file *f);
struct fdtable *fdt_new(void);
struct fdtable *fdt_dup(struct fdtable *src);
void fdt_free(struct fdtable *fdt);
void fdt_close_on_exec(struct fdtable *fdt);
/* Install f at the lowest free fd >= min (takes the reference). fd or -EMFILE. */
int fd_install(struct process *p, struct file *f, int min, bool cloexec);
struct file *fd_get(struct process *p, int fd); /* borrowed, NULL if bad */
int fd_close(struct process *p, int fd);
long file_read(struct task *t, struct file *f, uint64_t ubuf, size_t len, uint64_t *pos,
	       bool use_pos);
long file_write(struct task *t, struct file *f, uint64_t ubuf, size_t len, uint64_t *pos,
		bool use_pos);
int file_stat(struct file *f, struct kstat *st);
/*
 * The stat of terminal /dev/pts/pts: 0 is init's (the container's, when it
 * has one), 1.. a process started from outside with a terminal (console
 * streams 3 * pts ..). A terminal's streams' fstat and its /dev/pts node's
 * stat agree (device, inode, rdev), so ttyname finds it.
 */
void console_tty_stat(struct kstat *st, int pts);
bool file_is_tty(struct file *f);
/* The /dev/pts number of console file f that is a terminal (file_is_tty), else -1. */
int console_pts(const struct file *f);
/* Whether /dev/pts/n exists now: 0 with the container's terminal, 1.. while its session lasts. */
bool console_pts_live(int n);
/*
 * A terminal session's start (/dev/pts/pts): for pts >= 1 default termios
 * and size (24x80);
 * the terminal becomes session sid's controlling terminal, with sid's group
 * in the foreground (sid's leader has it as its ctty already).
 */
void tty_session_start(int pts, int sid);
/* Terminal pts's size is rows x cols from its start (no SIGWINCH: nobody has read it yet). */
void tty_set_size(int pts, unsigned rows, unsigned cols);
/*
 * A session leader's end (exit, or TIOCNOTTY with on_exit false): its
 * controlling terminal's foreground group gets SIGHUP (and SIGCONT unless
 * on_exit), and the terminal and every process of the session part.
 */
void tty_session_end(struct process *leader, bool on_exit);
/*
 * poll readiness: POLLIN 1, POLLPRI 2, POLLOUT 4, POLLERR 8, POLLHUP 16,
 * POLLRDHUP 0x2000 of `events` (ERR and HUP always); never blocks.
 */
unsigned file_poll(struct file *f, unsigned events);
/*
 * A counter that moves whenever an event in `events` may newly have happened
 * on f (Linux's wake-up of the file's wait queue: every pipe write for
 * POLLIN, every read for POLLOUT); 0 for files that keep none (then
 * edge-triggered epoll sees only readiness that newly appears).
 */
uint64_t file_poll_gen(struct file *f, unsigned events);
/*
 * Nanoseconds until f's readiness may change without an ev_notify (a timerfd's
 * next expiry, a host-backed socket's re-check period), or -1: a sleeper
 * watching f bounds its ev_wait timeout by this.
 */
int64_t file_poll_wake_ns(struct file *f);

/* pipe.c */
int pipe_create(struct file **rd, struct file **wr);
long pipe_read(struct task *t, struct file *f, uint64_t ubuf, size_t len);
long pipe_write(struct task *t, struct file *f, uint64_t ubuf, size_t len);
void pipe_release(struct file *f);
unsigned pipe_poll(struct file *f, unsigned events);
size_t pipe_avail(struct file *f);
/* file_poll_gen for a pipe end: counts writes (POLLIN) and reads (POLLOUT), both on close. */
uint64_t pipe_gen(struct file *f, unsigned events);

/* ---- eventfd, timerfd, epoll objects (sys_poll.c) ---- */
/* read(2) on an FT_EVENTFD/FT_TIMERFD/FT_EPOLL file: bytes, -EAGAIN, -EINVAL, -ERESTARTSYS... */
long pollobj_read(struct task *t, struct file *f, uint64_t ubuf, size_t len);
/* write(2) on one of them (eventfd only; the others -EINVAL). */
long pollobj_write(struct task *t, struct file *f, uint64_t ubuf, size_t len);
/* Readiness of one of them (file_poll); an epoll's is POLLIN while it has ready events. */
unsigned pollobj_poll(struct file *f, unsigned events);
/* file_poll_gen and file_poll_wake_ns of one of them. */
uint64_t pollobj_gen(struct file *f, unsigned events);
int64_t pollobj_wake_ns(struct file *f);
/* fstat of one of them: an anonymous inode. */
void pollobj_stat(struct file *f, struct kstat *st);
/* The last reference to f is going: drop the epoll items watching it, then f->obj. */
void pollobj_file_gone(struct file *f);

/* ---- processes, signals (process.c, signal.c) ---- */
struct process *proc_find(int pid);
struct process *proc_new(struct process *parent);
/* Terminate the current process (every thread) with a wait status; never fails. */
void proc_exit(struct task *t, int wstatus);
/* End the calling thread only (exit(2)); the process ends with its last thread. */
void thread_exit(struct task *t, int wstatus);
struct task *task_find(int tid);
/* Create task + pal task for p with regs. */
int task_start(struct process *p, const struct pal_regs *r, const struct pal_fpsimd *fp);
int do_execve(struct task *t, const char *path, char **argv, int argc, char **envp, int envc);
void proc_reap(struct process *p);

int sig_send(struct process *p, int sig);
/*
 * True if sig, sent to p by another process of the container (or from
 * outside: from_outside), must be ignored because p is the container's
 * init without a handler for it (Linux's pid-namespace init rules).
 */
bool sig_init_protected(const struct process *p, int sig, bool from_outside);
/* Deliver pending signals before returning to EL0; sysret is the call's result (or none). */
void sig_deliver(struct task *t, bool in_syscall, int64_t *sysret);
bool sig_pending(struct task *t);
int sig_default_ignored(int sig);
int sig_restore_frame(struct task *t);
void sig_force(struct task *t, int sig); /* synchronous fault signal */
/* The same with its si_code and fault address (si_addr, sigcontext.fault_address). */
void sig_force_info(struct task *t, int sig, int code, uint64_t addr);
/* sig_send with what the receiver's siginfo says (NULL: SI_KERNEL). */
int sig_send_info(struct process *p, int sig, const struct ksiginfo *si);
/* Child c ended with wait status wstatus: its exit signal to parent, with CLD_* siginfo. */
void sig_child_exited(struct process *parent, struct process *c, int wstatus);
/* A thread-directed signal (tgkill, SIGEV_THREAD_ID). 0 or -ESRCH. */
int sig_send_thread_info(struct task *u, int sig, const struct ksiginfo *si);
/*
 * futex.c: the exiting thread t's robust futexes get FUTEX_OWNER_DIED and a
 * wake-up, then its clear_child_tid word is zeroed and woken (pthread_join).
 * Call before the thread's address space goes.
 */
void futex_thread_exit(struct task *t);
/* Forget the wait queues of a previous instance (libos_init). */
void futex_reset(void);
/*
 * timer.c. Fire the process's expired timers (interval timers, POSIX
 * timers); returns ns to its next expiry on a wall clock, or -1.
 */
int64_t timer_check(struct process *p);
/* CPU accounting at the start and the end of serving an exception of t. */
void cpu_enter(struct task *t);
void cpu_leave(struct task *t);
/* Process CPU time so far, user and system (ns); a single thread's if t is given. */
void cpu_times(struct process *p, struct task *t, uint64_t *user, uint64_t *sys);
/* A POSIX timer's signal (siginfo si) is being delivered or taken: its overrun count is final. */
void timer_delivered(struct process *p, const struct ksiginfo *si);
/* The POSIX timers of p go (execve). */
void timers_release(struct process *p);
/* p is being reaped: its timers go, its CPU time counts for its parent and the system. */
void timer_proc_reaped(struct process *p);
/* CPU time of every process since boot (ns, /proc/stat). */
void cpu_system_times(uint64_t *user, uint64_t *sys);

#define SYS_NR_RT_SIGRETURN 139

/* A handler's result meaning "registers already set, do not write x0" (execve, rt_sigreturn). */
#define SYS_NORETURN ((long)0x7fff0000deadbeefLL)

/* ---- syscalls (syscalls.c) ---- */
enum sys_arg_kind {
	SA_NONE = 0,
	SA_INT,    /* plain integer / enum */
	SA_FD,     /* file descriptor */
	SA_DIRFD,  /* directory fd or AT_FDCWD */
	SA_FLAGS,  /* bit flags */
	SA_MODE,
	SA_PID,
	SA_SIG,
	SA_LEN,    /* a byte/element count another argument refers to */
	SA_ADDR,   /* a container address that is not dereferenced (brk, mmap, munmap) */
	SA_PATH,   /* NUL-terminated path, read (at most PATH_MAX) */
	SA_STR,    /* NUL-terminated string, read */
	SA_IN,     /* buffer read: size = len_arg's value * elem, or `size` bytes */
	SA_OUT,    /* buffer written */
	SA_INOUT,
	SA_IOV_IN,  /* iovec array (len_arg entries); the buffers it names are read */
	SA_IOV_OUT, /* iovec array; the buffers it names are written */
	SA_STRV,   /* NULL-terminated array of string pointers (argv, envp) */
	SA_IOCTL,  /* depends on the request: see sys_ioctl */
	SA_FDSET,  /* fd_set in/out, (arg 0 + 7) / 8 bytes */
	SA_SIGSET_SZ, /* size of a sigset (must be 8) */
	SA_PTR_OPT,/* pointer whose use depends on other args (documented per call) */
	SA_DEREF,  /* buffer out of *(u32 *)arg[len_arg] bytes (sockaddr, option): the handler
		      reads that length and uaccess_allow()s the range */
};

struct sys_arg {
	uint8_t kind;
	int8_t len_arg;  /* index of the argument holding the count, or -1 */
	uint16_t size;   /* fixed size in bytes (len_arg < 0) or element size */
};

typedef long (*sys_fn)(struct task *t, const uint64_t *a);

struct syscall_def {
	uint16_t nr;
	uint8_t nargs;
	const char *name;
	sys_fn fn;
	struct sys_arg arg[6];
};

const struct syscall_def *syscall_lookup(unsigned nr);
const struct syscall_def *syscall_table_get(size_t *n);
long syscall_dispatch(struct task *t, unsigned nr, const uint64_t *a);

/* time helpers */
struct timespec_k {
	int64_t tv_sec;
	int64_t tv_nsec;
};

#endif /* LIBOS_KERNEL_H */
