/*
 * Fuzz target: the library OS's system-call layer. Each input is a program
 * of system calls with shaped arguments, issued by the one process of a
 * fresh library OS (libos_env.h) through libos_handle_exception(SVC) --
 * the path a container's SVC takes: registers from the PAL, syscall_dispatch,
 * signal delivery, registers back to the PAL.
 *
 * Input, a sequence of records:
 *   0xF0..0xFF off len bytes...   write bytes into the RW scratch page
 *   otherwise  u8 sel, then 6 arguments    one system call: sel (with the
 *              record's first byte) picks an entry of the syscall table,
 *              or a raw number; each argument is a kind byte and its payload:
 *              a small signed value, a pointer into the RW scratch page, a
 *              path from a list (copied to its own page), a 16-bit length,
 *              a raw u64, a pointer into the read-only page, a hostile
 *              pointer, or 32-bit flags.
 * Blocking is bounded: the fake PAL's clock moves by each wait's timeout,
 * and a wait without a timeout that nothing could end (the process is alone:
 * a read of an empty pipe, wait4, pause) gets SIGKILL, as a user would.
 * Oracles besides the sanitizers: no copy outside the ranges the call's
 * descriptors name (what the RMM's verification will refuse in realm mode),
 * and no internal errno (ERESTARTSYS...) returned to the program.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libos/kernel.h"
#include "libos_env.h"
#include "host_util.h"

#define SCRATCH 0x10000ULL /* RW page (libos_env) */
#define RO_PAGE 0x20000ULL /* R page (libos_env) */
#define STACK_LO 0x40000ULL
#define STACK_HI 0x48000ULL
#define STRINGS 0x50000ULL /* one path per argument, 512 bytes apart */
#define LINUX_MAX_ERRNO 133
#define MAX_CALLS 64
#define BLOCKED_WAITS 16

static const char *const paths[] = {
	"/etc/good", "/etc/changed", "/bin/sh", "/bin/prog", "/etc", "/", ".", "..",
	"/tmp", "/tmp/f", "/tmp/d", "/etc/newfile", "/loop1", "/escape", "/abs/good",
	"/etc/up/sh", "/proc/self/maps", "/proc/self/fd/1", "/proc/self/status", "/proc/1/cwd",
	"/proc/self/exe", "/proc/cpuinfo", "/dev/null", "/dev/zero", "/dev/urandom", "/dev/tty",
	"/dev/fd/1", "", "good", "/etc/unlisted", "/nope/x", "/bin/prog/x",
};

static const uint64_t hostile[] = {
	0, 0xdead0000ULL, (uint64_t)-4096, USER_VA_LIMIT - 8, SCRATCH + PAGE_SIZE - 8,
	RO_PAGE + PAGE_SIZE - 4, LAYOUT_SIGPAGE, (uint64_t)-1,
};

static struct {
	const uint8_t *p;
	size_t left;
} in;

static struct pal_regs regs;
static uint64_t regs_in[6];
static uint64_t clock_ns;
static unsigned blocked_waits;
static struct task *task;

static uint64_t take(unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n && in.left; i++, in.left--)
		v |= (uint64_t)*in.p++ << (8 * i);
	return v;
}

/* ---- the PAL calls this target replaces in the fake PAL ---- */

static void fz_get_regs(void *c, struct pal_task *t, struct pal_regs *r)
{
	*r = regs;
}

static void fz_set_regs(void *c, struct pal_task *t, const struct pal_regs *r)
{
	regs = *r;
}

static uint64_t fz_time(void *c, enum pal_clock k)
{
	return clock_ns + (k == PAL_CLOCK_REALTIME ? 1700000000000000000ULL : 0);
}

static int fz_wait(void *c, uint32_t *word, uint32_t expected, int64_t timeout_ns)
{
	if (timeout_ns >= 0) {
		clock_ns += (uint64_t)timeout_ns + 1;
		return -ETIMEDOUT;
	}
	if (++blocked_waits >= BLOCKED_WAITS)
		task->pending |= SIGBIT(SIGKILL);
	return 0;
}

static struct pal_task *dummy_task[1];

static int fz_task_create(void *c, struct pal_as *as, const struct pal_regs *r,
			  const struct pal_fpsimd *fp, void *lt, struct pal_task **out)
{
	*out = (struct pal_task *)dummy_task; /* never runs: a clone's child stays put */
	return 0;
}

/* ---- arguments ---- */

static uint64_t arg(unsigned k)
{
	unsigned kind = (unsigned)take(1) % 8;
	const char *s;

	switch (kind) {
	case 0:
		return (uint64_t)(int64_t)(int8_t)take(1);
	case 1:
		return SCRATCH + take(1) * 16;
	case 2:
		s = paths[take(1) % (sizeof(paths) / sizeof(paths[0]))];
		g.pal.copy_to_user(g.pal.ctx, task->proc->mm->as, STRINGS + 512 * k, s, strlen(s) + 1);
		return STRINGS + 512 * k;
	case 3:
		return take(2);
	case 4:
		return take(8);
	case 5:
		return RO_PAGE + take(1) * 16;
	case 6:
		return hostile[take(1) % (sizeof(hostile) / sizeof(hostile[0]))];
	default:
		return take(4);
	}
}

static void fill_scratch(void)
{
	uint8_t buf[256];
	uint64_t off = take(1) * 16;
	size_t n = (size_t)take(1);

	n = n < in.left ? n : in.left;
	memcpy(buf, in.p, n);
	in.p += n;
	in.left -= n;
	if (off + n > PAGE_SIZE)
		n = PAGE_SIZE - off;
	g.pal.copy_to_user(g.pal.ctx, task->proc->mm->as, SCRATCH + off, buf, n);
}

static void fail(const char *what, unsigned nr)
{
	fprintf(stderr, "fuzz_syscall: %s (system call %u %s)\n", what, nr,
		libos_syscall_name(nr) ? libos_syscall_name(nr) : "?");
	abort();
}

static void one_call(unsigned first)
{
	static const struct syscall_def *tab;
	static size_t ntab;
	struct libos_exc exc = {.kind = LIBOS_EXC_SVC};
	uint64_t viol = g.stats.desc_violations;
	unsigned sel = (first << 8 | (unsigned)take(1)) & 0x7fff;
	unsigned nr;

	if (!tab)
		tab = syscall_table_get(&ntab);
	nr = sel < 0x7000 ? tab[sel % ntab].nr : sel % 600;
	for (unsigned k = 0; k < 6; k++)
		regs.x[k] = regs_in[k] = arg(k);
	regs.x[8] = nr;
	regs.pc = 0x400004;
	exc.pc = regs.pc;
	blocked_waits = 0;
	if (libos_handle_exception(task, &exc) == LIBOS_EXITED)
		return;
	/*
	 * Fixed, kept as regressions: a huge length wrapped the descriptor
	 * check's end of range (regressions/syscall/desc-len-wrap-getcwd);
	 * statx wrote to its mask argument (regressions/syscall/desc-statx).
	 */
	if (g.stats.desc_violations != viol)
		fail("a copy outside the ranges the call's descriptors name", nr);
	int64_t ret = (int64_t)regs.x[0];
	if (regs.pc == exc.pc && ret < 0 && ret >= -4095 && -ret > LINUX_MAX_ERRNO)
		fail("an internal errno reached the program", nr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	in.p = data;
	in.left = size;
	task = fz_libos_begin();
	g.pal.get_regs = fz_get_regs;
	g.pal.set_regs = fz_set_regs;
	g.pal.time_ns = fz_time;
	g.pal.wait = fz_wait;
	g.pal.task_create = fz_task_create;
	clock_ns = 1000000000ULL;
	memset(&regs, 0, sizeof(regs));
	regs.sp = STACK_HI;
	if (vma_add(task->proc->mm, STACK_LO, STACK_HI, PROT_READ | PROT_WRITE, VMA_ANON, NULL, 0, 0,
		    NULL) ||
	    vma_add(task->proc->mm, STRINGS, STRINGS + 8 * PAGE_SIZE, PROT_READ | PROT_WRITE,
		    VMA_ANON, NULL, 0, 0, NULL) ||
	    mm_fault_range(task->proc->mm, STRINGS, 8 * PAGE_SIZE, PROT_WRITE) ||
	    mm_fault_range(task->proc->mm, SCRATCH, PAGE_SIZE, PROT_WRITE))
		abort();
	for (unsigned n = 0; n < MAX_CALLS && in.left && !task->exited; n++) {
		unsigned first = (unsigned)take(1);
		if (first >= 0xF0)
			fill_scratch();
		else
			one_call(first);
	}
	fz_libos_end();
	return 0;
}
