/*
 * The library OS ("container OS"): implements the Linux arm64 system-call
 * ABI for unmodified container programs. This header is its interface to
 * deployments (deploy/none.c now, the System Realm later); everything it
 * needs from them goes through struct pal_ops (pal.h).
 *
 * Life cycle: libos_init (memory, PAL, configuration, manifest), then
 * libos_start (loads the container's init process and creates its task
 * through pal->task_create); each task then calls libos_handle_exception
 * for every exception it takes, from its own host context, concurrently
 * with the others (the library OS serialises itself with pal->lock). When
 * init exits the library OS kills the rest and calls pal->container_exit.
 * One container per initialised instance (global state).
 */
#ifndef LIBOS_LIBOS_H
#define LIBOS_LIBOS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "libos/pal.h"

/* The rootfs manifest as the library OS sees it (mirrors deploy.h's rb_manifest). */
enum libos_mf_type {
	LIBOS_MF_FILE = 0,
	LIBOS_MF_DIR = 1,
	LIBOS_MF_SYMLINK = 2,
};

struct libos_mf_entry {
	const char *path; /* absolute, canonical: "/bin/busybox" */
	enum libos_mf_type type;
	uint32_t mode;
	uint32_t uid, gid;
	uint64_t size;
	uint64_t mtime_sec;
	uint8_t sha256[32];
	const char *link_target;
};

struct libos_rlimit {
	int resource;
	uint64_t soft, hard;
};

struct libos_config {
	char *const *args; /* NULL-terminated, args[0] is the program */
	char *const *env;
	const char *cwd;
	const char *hostname;
	uint32_t uid, gid;
	uint32_t umask;
	bool rootfs_readonly;
	bool terminal; /* fds 0-2 are a terminal */
	const struct libos_rlimit *rlimits;
	unsigned n_rlimits;
	const uint32_t *groups; /* supplementary group ids */
	unsigned n_groups;
	const struct libos_mf_entry *mf; /* sorted by path (strcmp) */
	size_t mf_n;
	/* linux.resources (docs/resources.md); 0: no limit */
	uint64_t mem_limit_pages; /* container pages (pal->mem_pages) at most; over it: OOM kill */
	uint64_t pids_limit;      /* tasks (threads) alive or unreaped at most; clone: EAGAIN */
	/*
	 * Map the pages of executable file mappings at execve, before the
	 * new image's first instruction (mm_populate_text), instead of on
	 * first touch: the CPU engine's shared translation (plat/emu/cpu/cpu.h)
	 * keeps compiled code only for pages present when a process starts.
	 */
	bool populate_text;
};

/*
 * Initialise with memory [mem, mem+mem_size) (the library OS's own pages),
 * the PAL and the configuration (copied; the manifest array must outlive
 * the instance). Returns 0 or a negative errno.
 */
int libos_init(const struct pal_ops *pal, void *mem, size_t mem_size,
	       const struct libos_config *cfg);

/*
 * Create the init process (pid 1) from cfg->args and start it. Returns 0, or
 * a negative errno with a message in errbuf (ENOENT: no such program,
 * ENOEXEC: not an aarch64 ELF, EACCES, EIO: manifest mismatch, ...).
 */
int libos_start(char *errbuf, size_t errlen);

enum libos_exc_kind {
	LIBOS_EXC_SVC = 0, /* pc past the SVC */
	LIBOS_EXC_DABT,    /* data abort: far, esr (WnR bit 6) */
	LIBOS_EXC_IABT,    /* instruction abort at far */
	LIBOS_EXC_UNDEF,   /* undefined instruction at pc */
	LIBOS_EXC_BRK,
	LIBOS_EXC_PC_ALIGN,
	LIBOS_EXC_IRQ,     /* timeslice or kick: a chance to deliver signals */
};

struct libos_exc {
	enum libos_exc_kind kind;
	uint64_t esr, far, pc;
};

enum libos_action {
	LIBOS_RESUME = 0, /* run the task again (registers may have changed) */
	LIBOS_EXITED,     /* the task is gone; its host context must end */
};

/* Handle one exception of task `task` (the pointer given to pal->task_create). */
enum libos_action libos_handle_exception(void *task, const struct libos_exc *exc);

#define LIBOS_NR_SYSCALLS 512

struct libos_stats {
	uint64_t syscalls;
	uint64_t enosys; /* calls answered -ENOSYS */
	uint64_t enosys_by_nr[LIBOS_NR_SYSCALLS];
	uint64_t page_faults;
	uint64_t signals_delivered;
	uint64_t processes;
	uint64_t execs;
	uint64_t host_file_reads, host_bytes_read, manifest_rejects;
	uint64_t copy_in_bytes, copy_out_bytes;
	uint64_t desc_violations; /* user copies outside the ranges the call's descriptors name */
	uint64_t futex_waits;     /* FUTEX_WAIT(_BITSET) calls that slept */
	uint64_t shared_copied;   /* MAP_SHARED regions a fork gave private copies (no PAL mem_share) */
	uint64_t oom_kills;       /* the memory limit was reached: the container was killed */
	uint64_t pids_refused;    /* clone/spawn answered EAGAIN at the pids limit */
	uint64_t mem_pages;       /* container pages now (pal->mem_pages; 0 without it) */
	uint64_t pids_current;    /* tasks alive or unreaped now */
};
void libos_get_stats(struct libos_stats *st);
/*
 * The counters of the running container with mem_pages and pids_current
 * filled in now (the runtime's stats). Takes the library OS lock. 0, or
 * -ESRCH when the container is not running (yet, or any more).
 */
int libos_stats_now(struct libos_stats *st);
/* Name of syscall nr ("read"), or NULL if the table does not know it. */
const char *libos_syscall_name(unsigned nr);

/*
 * Send signal sig to container process pid (1 = init) from outside, as the
 * runtime's kill does: the init receives only signals it handles, and
 * SIGKILL/SIGSTOP (as a pid namespace's init from its parent namespace).
 * Takes the library OS lock. 0, -ESRCH, -EINVAL.
 */
int libos_kill(int pid, int sig);

/*
 * The host resized terminal /dev/pts/pts (0: the container's console) to
 * rows x cols, as a pty master's TIOCSWINSZ does on Linux: TIOCGWINSZ
 * answers the new size (pixel sizes kept), and if it changed the
 * terminal's foreground process group gets SIGWINCH. Callable once
 * libos_init returned (before libos_start too: the size init starts
 * with). Takes the library OS lock. 0, -EINVAL (pts or a size out of
 * range), -ENOTTY (no such terminal now), -ESRCH (the container ended).
 */
int libos_winsize(int pts, unsigned rows, unsigned cols);

/*
 * libos_winsize for the terminal of libos_spawn's process pid (its
 * /dev/pts/n, runc's exec --tty): -ESRCH if pid is not one of them (or its
 * status was read), -ENOTTY if it has no terminal, -EINVAL.
 */
int libos_spawn_winsize(int pid, unsigned rows, unsigned cols);

/*
 * Something outside the library OS changed that sleepers may wait for (a
 * host socket became readable or writable): wake them to look again. Takes
 * the library OS lock; any thread, or (deployments whose lock is a no-op)
 * the library OS's own thread outside a call.
 */
void libos_external_event(void);

/* Console streams: 0-2 are init's; libos_spawn's processes use base..base+2 up to this. */
#define LIBOS_CONSOLE_MAX 27
/* Processes started from outside (libos_spawn) whose exit is not reported yet, at most. */
#define LIBOS_SPAWN_MAX 8

struct libos_spawn_req {
	char *const *args;  /* NULL-terminated, args[0] the program (PATH lookup without '/') */
	char *const *env;   /* NULL-terminated */
	const char *cwd;    /* absolute; "/" otherwise */
	uint32_t uid, gid;
	int console_base;   /* its fds 0-2 are console streams base..base+2 (3 <= base <= MAX-3) */
	bool terminal;      /* those streams are a terminal */
	unsigned short rows, cols; /* that terminal's size at start (0x0: 24x80) */
};

/*
 * Start a new process in the running container from outside, as runc's
 * exec does: no parent inside the container (ppid 0), session and process
 * group of its own, init's rlimits and groups, the request's user. Returns
 * its pid, or a negative errno with a message in errbuf (-ESRCH: the
 * container is not running; -EAGAIN: LIBOS_SPAWN_MAX unreported ones;
 * ENOENT/ENOEXEC/EACCES: the program). Takes the library OS lock.
 */
int libos_spawn(const struct libos_spawn_req *req, char *errbuf, size_t errlen);

/*
 * The end of a process libos_spawn started: 0 with *status as a shell
 * shows it (code, or 128+signal), once; -EAGAIN while it runs; -ESRCH if
 * pid is not one of them (or the container ended first).
 */
int libos_spawn_status(int pid, int *status);

/* One process as libos_ps lists it. */
struct libos_proc_info {
	int pid, ppid; /* ppid 0 for init */
	char state;    /* 'R' live (running or sleeping), 'Z' zombie */
	char comm[16]; /* NUL-terminated */
};

/*
 * The container's processes, for the runtime's ps: up to max into out,
 * by ascending pid. Returns how many there are (may exceed max), 0 once the
 * container has ended. Takes the library OS lock.
 */
int libos_ps(struct libos_proc_info *out, int max);

/*
 * Tear down the selected instance (after container_exit and after every
 * task has returned LIBOS_EXITED). libos_get_stats then still reports its
 * statistics until the next libos_init.
 */
void libos_fini(void);

/*
 * Instances. Each libos_init creates a new instance (one container's
 * kernel: processes, files, overlay, futexes, sockets, heap) inside the
 * region it is given and selects it; there is no fixed maximum. Every other
 * libos_* call works on the selected instance, so a deployment that serves
 * several containers from one kernel (a System Realm with several
 * Container Realms) selects the container's instance before each call and
 * whenever one of that container's kernel threads runs. Not thread-safe:
 * only a single-CPU kernel (cooperative kernel threads) switches instances.
 */
struct libos_kernel;
/* The selected instance, NULL when none (before libos_init, after libos_fini). */
struct libos_kernel *libos_current(void);
/* Select instance k (from libos_current; a finished or NULL k is ignored). */
void libos_select(struct libos_kernel *k);

#endif /* LIBOS_LIBOS_H */
