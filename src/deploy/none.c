/*
 * The `none` deployment: the library OS handles every trap directly, with
 * no protection between it and the container (the yardstick every protected
 * mode is measured against). It implements the library OS's PAL (libos/pal.h)
 * on the CPU engine (plat/emu/cpu): address spaces are struct cpu_as over
 * host pages from one arena, each task is a vCPU from the pool on its own
 * host thread running cpu_run in a loop, host files are read under
 * cfg->rootfs with openat2(RESOLVE_IN_ROOT) so no path escapes it, and the
 * console is relayed to the host fds given to deploy_run.
 * One container at a time per host process (the library OS is one instance).
 */
#include "deploy/deploy.h"
#include "deploy/deploy_common.h"
#include "deploy/netproxy.h"
#include "deploy/none.h"
#include "deploy/realm_host.h"
#include "deploy/shim.h"
#include "libos/libos.h"
#include "plat/emu/cpu/cpu.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define PG 4096UL

/* ---- host page arena (container memory) ---- */

static struct {
	pthread_mutex_t lock;
	uint8_t *base;
	size_t size, used;
	void **free; /* stack of freed pages */
	size_t nfree, capfree;
	size_t live;
	uint32_t *refs; /* per page: mappings of it beyond the first (mem_share) */
} arena = { .lock = PTHREAD_MUTEX_INITIALIZER };

static int arena_init(void)
{
	if (arena.base)
		return 0;
	arena.size = 64ULL << 30; /* address space only: pages cost memory once touched */
	void *p = mmap(NULL, arena.size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -ENOMEM;
	arena.base = p;
	/* one counter per page, touched only for shared pages */
	void *r = mmap(NULL, arena.size / PG * sizeof(uint32_t), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r == MAP_FAILED)
		return -ENOMEM;
	arena.refs = r;
	return 0;
}

/* One more mapping of page p (mem_share); page_free drops one. */
static void page_ref(void *p)
{
	pthread_mutex_lock(&arena.lock);
	arena.refs[((uint8_t *)p - arena.base) / PG]++;
	pthread_mutex_unlock(&arena.lock);
}

static void *page_alloc(void)
{
	void *p = NULL;
	pthread_mutex_lock(&arena.lock);
	if (arena.nfree) {
		p = arena.free[--arena.nfree];
		memset(p, 0, PG);
	} else if (arena.used + PG <= arena.size) {
		p = arena.base + arena.used; /* fresh: zero */
		arena.used += PG;
	}
	if (p)
		arena.live++;
	pthread_mutex_unlock(&arena.lock);
	return p;
}

static void page_free(void *p)
{
	pthread_mutex_lock(&arena.lock);
	uint32_t *rc = &arena.refs[((uint8_t *)p - arena.base) / PG];
	if (*rc) {
		(*rc)--; /* still mapped in another address space */
		pthread_mutex_unlock(&arena.lock);
		return;
	}
	if (arena.nfree == arena.capfree) {
		size_t nc = arena.capfree ? arena.capfree * 2 : 4096;
		void **nf = realloc(arena.free, nc * sizeof(void *));
		if (!nf) {
			pthread_mutex_unlock(&arena.lock);
			return; /* leak the page rather than fail */
		}
		arena.free = nf;
		arena.capfree = nc;
	}
	arena.free[arena.nfree++] = p;
	arena.live--;
	pthread_mutex_unlock(&arena.lock);
}

/* ---- the deployment's state ---- */

struct none_task {
	struct cpu_vcpu *v;
	void *lt; /* the library OS task */
	pthread_t th;
};

static struct {
	pthread_mutex_t biglock;  /* the library OS lock */
	pthread_mutex_t mu;       /* guards the fields below */
	pthread_cond_t cv;
	int live;                 /* task threads running */
	bool done;
	int status, term_signal;
	struct deploy_rootfs rootfs;
	struct netproxy *np;      /* the container's host network proxy */
	int fds[3];
	/* deploy_exec's processes: console streams 3.. (-1: none), their pid per slot */
	int xfds[LIBOS_CONSOLE_MAX];
	int xpid[DEPLOY_EXEC_SLOTS];
	volatile bool shutdown;
	bool running;
	bool starting; /* between libos_init and running (the start gate) */
	char id[256];
} ctx = { .biglock = PTHREAD_MUTEX_INITIALIZER,
	  .mu = PTHREAD_MUTEX_INITIALIZER,
	  .cv = PTHREAD_COND_INITIALIZER };

static pthread_mutex_t run_lock = PTHREAD_MUTEX_INITIALIZER;
static bool pool_started;

/* Called with run_lock held, after a successful cpu_pool_init (which also
 * stops the pool at exit: see cpu_pool.c). */
static void pool_started_locked(void)
{
	pool_started = true;
}

int deploy_none_prepare(unsigned vcpus)
{
	pthread_mutex_lock(&run_lock);
	int r = cpu_pool_init(vcpus);
	if (r == 0)
		pool_started_locked();
	pthread_mutex_unlock(&run_lock);
	return r;
}

static unsigned to_cpu_prot(unsigned p)
{
	return (p & PAL_PROT_R ? CPU_PROT_R : 0) | (p & PAL_PROT_W ? CPU_PROT_W : 0) |
	       (p & PAL_PROT_X ? CPU_PROT_X : 0);
}

static unsigned from_cpu_prot(unsigned p)
{
	return (p & CPU_PROT_R ? PAL_PROT_R : 0) | (p & CPU_PROT_W ? PAL_PROT_W : 0) |
	       (p & CPU_PROT_X ? PAL_PROT_X : 0);
}

#define CAS(a) ((struct cpu_as *)(a))

static struct pal_as *n_as_create(void *c)
{
	return (struct pal_as *)cpu_as_create();
}

static void n_as_destroy(void *c, struct pal_as *as)
{
	/* the library OS unmapped every range before this */
	if (cpu_as_destroy(CAS(as)) != 0)
		fprintf(stderr, "realmbox: none: address space still in use at destroy\n");
}

/*
 * Take the pages out of the address space first, then give them back to the
 * arena: a sibling vCPU running on `as` (another thread of the process) must
 * not find a page in its table that the arena has already handed out again.
 * Not yet covered: an access of such a vCPU that translated just before the
 * unmap and completes just after it (a few host instructions) can still hit
 * the page after page_free; closing that needs the frees deferred until
 * every vCPU of `as` has left cpu_run once (a per-AS count of running vCPUs
 * or an epoch). Single-threaded processes are not affected: the only vCPU of
 * their address space is the caller's, and it is not running.
 */
static void unmap_pages(struct cpu_as *as, uint64_t va, uint64_t len)
{
	enum { BATCH = 256 };
	void *pages[BATCH];
	while (len) {
		uint64_t n = 0, chunk = 0;
		while (chunk < len && n < BATCH) {
			void *h;
			unsigned prot;
			if (cpu_as_query(as, va + chunk, &h, &prot) == 0)
				pages[n++] = h;
			chunk += PG;
		}
		cpu_as_unmap(as, va, chunk);
		for (uint64_t i = 0; i < n; i++)
			page_free(pages[i]);
		va += chunk;
		len -= chunk;
	}
}

static int n_mem_map(void *c, struct pal_as *as, uint64_t va, uint64_t len, unsigned prot,
		     const void *init, size_t init_len)
{
	if ((va | len) & (PG - 1) || len == 0 || va + len > CPU_VA_LIMIT)
		return -EINVAL;
	unmap_pages(CAS(as), va, len);
	for (uint64_t off = 0; off < len; off += PG) {
		uint8_t *h = page_alloc();
		if (!h)
			return -ENOMEM;
		if (init && off < init_len)
			memcpy(h, (const uint8_t *)init + off, init_len - off < PG ? init_len - off : PG);
		int r = cpu_as_map(CAS(as), va + off, h, PG, to_cpu_prot(prot));
		if (r) {
			page_free(h);
			return r;
		}
	}
	return 0;
}

/* The container's pages: the arena's live ones (one container per process). */
static uint64_t n_mem_pages(void *c)
{
	pthread_mutex_lock(&arena.lock);
	uint64_t n = arena.live;
	pthread_mutex_unlock(&arena.lock);
	return n;
}

static int n_mem_unmap(void *c, struct pal_as *as, uint64_t va, uint64_t len)
{
	if ((va | len) & (PG - 1) || va + len > CPU_VA_LIMIT)
		return -EINVAL;
	unmap_pages(CAS(as), va, len);
	return 0;
}

static int n_mem_protect(void *c, struct pal_as *as, uint64_t va, uint64_t len, unsigned prot)
{
	if ((va | len) & (PG - 1) || va + len > CPU_VA_LIMIT)
		return -EINVAL;
	uint64_t run = 0, runlen = 0;
	for (uint64_t p = va; p <= va + len; p += PG) {
		void *h;
		unsigned pr;
		bool mapped = p < va + len && cpu_as_query(CAS(as), p, &h, &pr) == 0;
		if (mapped) {
			if (!runlen)
				run = p;
			runlen += PG;
		} else if (runlen) {
			cpu_as_protect(CAS(as), run, runlen, to_cpu_prot(prot));
			runlen = 0;
		}
	}
	return 0;
}

static int n_mem_query(void *c, struct pal_as *as, uint64_t va, unsigned *prot)
{
	void *h;
	unsigned p;
	if (cpu_as_query(CAS(as), va, &h, &p))
		return -ENOENT;
	*prot = from_cpu_prot(p);
	return 0;
}

static int n_mem_copy_as(void *c, struct pal_as *dst, struct pal_as *src, uint64_t va,
			 uint64_t len)
{
	for (uint64_t p = va; p < va + len; p += PG) {
		void *h;
		unsigned pr;
		if (cpu_as_query(CAS(src), p, &h, &pr))
			continue;
		uint8_t *n = page_alloc();
		if (!n)
			return -ENOMEM;
		memcpy(n, h, PG);
		if (cpu_as_map(CAS(dst), p, n, PG, pr)) {
			page_free(n);
			return -ENOMEM;
		}
	}
	return 0;
}

static int n_mem_share(void *c, struct pal_as *dst, struct pal_as *src, uint64_t va,
		       uint64_t len)
{
	if ((va | len) & (PG - 1) || va + len > CPU_VA_LIMIT || va + len < va)
		return -EINVAL;
	for (uint64_t p = va; p < va + len; p += PG) {
		void *h;
		unsigned pr;
		if (cpu_as_query(CAS(src), p, &h, &pr))
			continue;
		unmap_pages(CAS(dst), p, PG);
		page_ref(h);
		if (cpu_as_map(CAS(dst), p, h, PG, pr)) {
			page_free(h);
			return -ENOMEM;
		}
	}
	return 0;
}

static int n_copy_from_user(void *c, struct pal_as *as, void *dst, uint64_t src, size_t len)
{
	return cpu_as_read(CAS(as), src, dst, len) ? -EFAULT : 0;
}

static int n_copy_to_user(void *c, struct pal_as *as, uint64_t dst, const void *src, size_t len)
{
	return cpu_as_write(CAS(as), dst, src, len) ? -EFAULT : 0;
}

static long n_strncpy_from_user(void *c, struct pal_as *as, char *dst, uint64_t src, size_t max)
{
	size_t n = 0;
	while (n < max) {
		uint64_t va = src + n;
		void *h;
		unsigned pr;
		if (va >= CPU_VA_LIMIT || cpu_as_query(CAS(as), va, &h, &pr) || !(pr & CPU_PROT_R))
			return -EFAULT;
		size_t chunk = PG - (va & (PG - 1));
		if (chunk > max - n)
			chunk = max - n;
		const char *s = h;
		const char *z = memchr(s, 0, chunk);
		if (z) {
			size_t l = (size_t)(z - s);
			memcpy(dst + n, s, l + 1);
			return (long)(n + l);
		}
		memcpy(dst + n, s, chunk);
		n += chunk;
	}
	return -ENAMETOOLONG;
}

/* ---- tasks ---- */

static void to_cpu_regs(const struct pal_regs *r, struct cpu_regs *c)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->x, r->x, sizeof(c->x));
	c->sp = r->sp;
	c->pc = r->pc;
	c->pstate = r->pstate;
	c->tpidr_el0 = r->tpidr;
}

static void from_cpu_regs(const struct cpu_regs *c, struct pal_regs *r)
{
	memcpy(r->x, c->x, sizeof(r->x));
	r->sp = c->sp;
	r->pc = c->pc;
	r->pstate = c->pstate;
	r->tpidr = c->tpidr_el0;
}

static void *task_thread(void *arg)
{
	struct none_task *nt = arg;
	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &ss, NULL);
	for (;;) {
		struct cpu_exit ex;
		struct libos_exc le = { 0 };
		if (cpu_run(nt->v, &ex) != 0) {
			/* detached: the task ended without telling us; stop */
			le.kind = LIBOS_EXC_IRQ;
			if (libos_handle_exception(nt->lt, &le) == LIBOS_EXITED)
				break;
			continue;
		}
		le.esr = ex.esr;
		le.far = ex.far;
		le.pc = ex.pc;
		switch (ex.kind) {
		case CPU_EXIT_SVC:
			le.kind = LIBOS_EXC_SVC;
			break;
		case CPU_EXIT_DABT:
			le.kind = LIBOS_EXC_DABT;
			break;
		case CPU_EXIT_IABT:
			le.kind = LIBOS_EXC_IABT;
			break;
		case CPU_EXIT_UNDEF:
			le.kind = LIBOS_EXC_UNDEF;
			break;
		case CPU_EXIT_BRK:
			le.kind = LIBOS_EXC_BRK;
			break;
		case CPU_EXIT_PC_ALIGN:
			le.kind = LIBOS_EXC_PC_ALIGN;
			break;
		default: /* timeslice, halt, WFI/WFE */
			le.kind = LIBOS_EXC_IRQ;
			break;
		}
		if (libos_handle_exception(nt->lt, &le) == LIBOS_EXITED)
			break;
	}
	if (cpu_vcpu_as(nt->v))
		cpu_detach(nt->v);
	cpu_put(nt->v);
	free(nt);
	pthread_mutex_lock(&ctx.mu);
	ctx.live--;
	pthread_cond_broadcast(&ctx.cv);
	pthread_mutex_unlock(&ctx.mu);
	return NULL;
}

static int n_task_create(void *c, struct pal_as *as, const struct pal_regs *regs,
			 const struct pal_fpsimd *fp, void *lt, struct pal_task **out)
{
	struct none_task *nt = calloc(1, sizeof(*nt));
	if (!nt)
		return -ENOMEM;
	nt->v = cpu_get();
	if (!nt->v) {
		free(nt);
		return -EAGAIN;
	}
	if (cpu_attach(nt->v, CAS(as))) {
		cpu_put(nt->v);
		free(nt);
		return -ENOMEM;
	}
	struct cpu_regs cr;
	to_cpu_regs(regs, &cr);
	cpu_set_regs(nt->v, &cr);
	if (fp) {
		struct cpu_fpsimd f;
		memcpy(f.v, fp->v, sizeof(f.v));
		f.fpcr = fp->fpcr;
		f.fpsr = fp->fpsr;
		cpu_set_fpsimd(nt->v, &f);
	}
	nt->lt = lt;
	*out = (struct pal_task *)nt;
	pthread_mutex_lock(&ctx.mu);
	ctx.live++;
	pthread_mutex_unlock(&ctx.mu);
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&at, 1 << 20);
	int r = pthread_create(&nt->th, &at, task_thread, nt);
	pthread_attr_destroy(&at);
	if (r) {
		pthread_mutex_lock(&ctx.mu);
		ctx.live--;
		pthread_mutex_unlock(&ctx.mu);
		cpu_detach(nt->v);
		cpu_put(nt->v);
		free(nt);
		return -EAGAIN;
	}
	return 0;
}

#define NT(t) ((struct none_task *)(t))

static int n_task_set_as(void *c, struct pal_task *t, struct pal_as *as)
{
	cpu_detach(NT(t)->v);
	return cpu_attach(NT(t)->v, CAS(as));
}

static void n_task_exit(void *c, struct pal_task *t)
{
	if (cpu_vcpu_as(NT(t)->v))
		cpu_detach(NT(t)->v);
}

static void n_get_regs(void *c, struct pal_task *t, struct pal_regs *r)
{
	struct cpu_regs cr;
	cpu_get_regs(NT(t)->v, &cr);
	from_cpu_regs(&cr, r);
}

static void n_set_regs(void *c, struct pal_task *t, const struct pal_regs *r)
{
	struct cpu_regs cr, old;
	cpu_get_regs(NT(t)->v, &old);
	to_cpu_regs(r, &cr);
	cr.tpidrro_el0 = old.tpidrro_el0;
	cpu_set_regs(NT(t)->v, &cr);
}

static void n_get_fpsimd(void *c, struct pal_task *t, struct pal_fpsimd *f)
{
	struct cpu_fpsimd cf;
	cpu_get_fpsimd(NT(t)->v, &cf);
	memcpy(f->v, cf.v, sizeof(f->v));
	f->fpcr = cf.fpcr;
	f->fpsr = cf.fpsr;
}

static void n_set_fpsimd(void *c, struct pal_task *t, const struct pal_fpsimd *f)
{
	struct cpu_fpsimd cf;
	memcpy(cf.v, f->v, sizeof(cf.v));
	cf.fpcr = f->fpcr;
	cf.fpsr = f->fpsr;
	cpu_set_fpsimd(NT(t)->v, &cf);
}

static void n_task_kick(void *c, struct pal_task *t)
{
	cpu_halt(NT(t)->v);
}

/* ---- blocking ---- */

static int n_wait(void *c, uint32_t *word, uint32_t expected, int64_t timeout_ns)
{
	struct timespec ts, *tp = NULL;
	if (timeout_ns >= 0) {
		ts.tv_sec = timeout_ns / 1000000000LL;
		ts.tv_nsec = timeout_ns % 1000000000LL;
		tp = &ts;
	}
	long r = syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, expected, tp, NULL, 0);
	if (r < 0 && errno == ETIMEDOUT)
		return -ETIMEDOUT;
	return 0;
}

static void n_wake(void *c, uint32_t *word)
{
	syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

static void n_lock(void *c)
{
	pthread_mutex_lock(&ctx.biglock);
}

static void n_unlock(void *c)
{
	pthread_mutex_unlock(&ctx.biglock);
}

/* ---- host files, confined to the rootfs ---- */

static int n_host_open(void *c, const char *path)
{
	return deploy_rootfs_open(&ctx.rootfs, path);
}

static long n_host_pread(void *c, int h, void *buf, size_t len, uint64_t off)
{
	ssize_t r = pread(h, buf, len, (off_t)off);
	return r < 0 ? -errno : r;
}

static void n_host_close(void *c, int h)
{
	close(h);
}

/* ---- console ---- */

static long n_console_read(void *c, int fd, void *buf, size_t len)
{
	int hfd = fd >= 3 && fd < LIBOS_CONSOLE_MAX ? ctx.xfds[fd] : ctx.fds[0];
	if (ctx.shutdown)
		return -EIO;
	if (hfd < 0)
		return 0; /* an exec'd process's stdin after its session ended */
	struct pollfd p = { hfd, POLLIN, 0 };
	int r = poll(&p, 1, 50);
	if (r < 0 && errno != EINTR)
		return -errno;
	if (r <= 0)
		return -EAGAIN; /* the library OS looks for signals, then calls again */
	ssize_t n = read(hfd, buf, len);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return -EAGAIN;
	return n < 0 ? -errno : n;
}

static long n_console_write(void *c, int fd, const void *buf, size_t len)
{
	if (fd >= 3 && fd < LIBOS_CONSOLE_MAX)
		return ctx.xfds[fd] >= 0 ? deploy_console_write(ctx.xfds[fd], buf, len) : -EPIPE;
	return deploy_console_write(ctx.fds[fd == 2 ? 2 : 1], buf, len);
}

static uint64_t n_time_ns(void *c, enum pal_clock clk)
{
	struct timespec ts;
	clock_gettime(clk == PAL_CLOCK_REALTIME ? CLOCK_REALTIME : CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void n_random(void *c, void *buf, size_t len)
{
	deploy_random(buf, len);
}

static void n_container_exit(void *c, int status, int sig)
{
	pthread_mutex_lock(&ctx.mu);
	ctx.done = true;
	ctx.status = status;
	ctx.term_signal = sig;
	ctx.shutdown = true;
	pthread_cond_broadcast(&ctx.cv);
	pthread_mutex_unlock(&ctx.mu);
}

/* ---- network: the host proxy, called directly ---- */

static int n_net_socket(void *c, int family, int type, int protocol)
{
	return netproxy_socket(ctx.np, family, type, protocol);
}

static int n_net_bind(void *c, int h, const void *addr, uint32_t len)
{
	return netproxy_bind(ctx.np, h, addr, len);
}

static int n_net_listen(void *c, int h, int backlog)
{
	return netproxy_listen(ctx.np, h, backlog);
}

static int n_net_accept(void *c, int h, void *addr, uint32_t *len)
{
	return netproxy_accept(ctx.np, h, addr, len);
}

static int n_net_connect(void *c, int h, const void *addr, uint32_t len)
{
	return netproxy_connect(ctx.np, h, addr, len);
}

static long n_net_send(void *c, int h, const void *buf, size_t len, int flags, const void *addr,
		       uint32_t alen)
{
	return netproxy_send(ctx.np, h, buf, len, flags, addr, alen);
}

static long n_net_recv(void *c, int h, void *buf, size_t len, int flags, void *addr,
		       uint32_t *alen)
{
	return netproxy_recv(ctx.np, h, buf, len, flags, addr, alen);
}

static int n_net_shutdown(void *c, int h, int how)
{
	return netproxy_shutdown(ctx.np, h, how);
}

static int n_net_setsockopt(void *c, int h, int level, int name, const void *val, uint32_t len)
{
	return netproxy_setsockopt(ctx.np, h, level, name, val, len);
}

static int n_net_getsockopt(void *c, int h, int level, int name, void *val, uint32_t *len)
{
	return netproxy_getsockopt(ctx.np, h, level, name, val, len);
}

static int n_net_getname(void *c, int h, bool peer, void *addr, uint32_t *len)
{
	return netproxy_getname(ctx.np, h, peer, addr, len);
}

static unsigned n_net_poll(void *c, int h, unsigned events)
{
	return netproxy_poll(ctx.np, h, events);
}

static void n_net_close(void *c, int h)
{
	netproxy_close(ctx.np, h);
}

/* The proxy's watcher: a host socket the container waits for is ready. */
static void n_net_notify(void *arg)
{
	libos_external_event();
}

static const struct pal_ops none_pal = {
	.as_create = n_as_create,
	.as_destroy = n_as_destroy,
	.mem_map = n_mem_map,
	.mem_unmap = n_mem_unmap,
	.mem_pages = n_mem_pages,
	.mem_protect = n_mem_protect,
	.mem_query = n_mem_query,
	.mem_copy_as = n_mem_copy_as,
	.mem_share = n_mem_share,
	.copy_from_user = n_copy_from_user,
	.copy_to_user = n_copy_to_user,
	.strncpy_from_user = n_strncpy_from_user,
	.task_create = n_task_create,
	.task_set_as = n_task_set_as,
	.task_exit = n_task_exit,
	.get_regs = n_get_regs,
	.set_regs = n_set_regs,
	.get_fpsimd = n_get_fpsimd,
	.set_fpsimd = n_set_fpsimd,
	.task_kick = n_task_kick,
	.wait = n_wait,
	.wake = n_wake,
	.lock = n_lock,
	.unlock = n_unlock,
	.host_open = n_host_open,
	.host_pread = n_host_pread,
	.host_close = n_host_close,
	.console_read = n_console_read,
	.console_write = n_console_write,
	.time_ns = n_time_ns,
	.random = n_random,
	.container_exit = n_container_exit,
	.net_socket = n_net_socket,
	.net_bind = n_net_bind,
	.net_listen = n_net_listen,
	.net_accept = n_net_accept,
	.net_connect = n_net_connect,
	.net_send = n_net_send,
	.net_recv = n_net_recv,
	.net_shutdown = n_net_shutdown,
	.net_setsockopt = n_net_setsockopt,
	.net_getsockopt = n_net_getsockopt,
	.net_getname = n_net_getname,
	.net_poll = n_net_poll,
	.net_close = n_net_close,
};

int deploy_kill(const char *id, int sig)
{
	if (sig <= 0 || sig > 64)
		return -EINVAL;
	pthread_mutex_lock(&ctx.mu);
	bool ok = ctx.running && !ctx.done && id && strcmp(id, ctx.id) == 0;
	pthread_mutex_unlock(&ctx.mu);
	if (!ok) {
		int r = shim_kill(id, sig);
		return r == -ESRCH ? realm_kill(id, sig) : r;
	}
	/* a race with the container's end is harmless: libos_kill then answers ESRCH */
	return libos_kill(1, sig);
}

int deploy_stats(const char *id, struct rb_live_stats *out)
{
	struct libos_stats st;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&ctx.mu);
	bool ok = ctx.running && !ctx.done && id && strcmp(id, ctx.id) == 0;
	pthread_mutex_unlock(&ctx.mu);
	if (!ok) {
		if (realm_running(id))
			return realm_stats(id, out);
		return shim_running(id) ? shim_stats(id, out) : -ESRCH;
	}
	int r = libos_stats_now(&st);
	if (r < 0)
		return r;
	out->mem_bytes = st.mem_pages * PG;
	out->pids = st.pids_current;
	out->syscalls = st.syscalls;
	out->syscalls_enosys = st.enosys;
	out->oom_kills = st.oom_kills;
	out->pids_refused = st.pids_refused;
	return 0; /* no RMM, no world switches: the library OS handles traps directly */
}

int deploy_ps(const char *id, struct rb_proc_info *out, int max)
{
	struct libos_proc_info buf[64];
	int n;

	pthread_mutex_lock(&ctx.mu);
	bool ok = ctx.running && !ctx.done && id && strcmp(id, ctx.id) == 0;
	pthread_mutex_unlock(&ctx.mu);
	if (!ok) {
		if (realm_running(id))
			return realm_ps(id, out, max);
		return shim_running(id) ? shim_ps(id, out, max) : -ESRCH;
	}
	n = libos_ps(buf, 64);
	for (int i = 0; i < n && i < max && i < 64; i++) {
		out[i].pid = buf[i].pid;
		out[i].ppid = buf[i].ppid;
		out[i].state = buf[i].state;
		memcpy(out[i].comm, buf[i].comm, sizeof(out[i].comm));
	}
	return n;
}

int deploy_winsize(const char *id, unsigned short rows, unsigned short cols)
{
	pthread_mutex_lock(&ctx.mu);
	bool ok = (ctx.running || ctx.starting) && !ctx.done && id && strcmp(id, ctx.id) == 0;
	pthread_mutex_unlock(&ctx.mu);
	if (!ok) {
		int r = shim_winsize(id, rows, cols);
		return r == -ESRCH ? realm_winsize(id, rows, cols) : r;
	}
	/* a race with the container's end is harmless: libos_winsize then answers ESRCH */
	return libos_winsize(0, rows, cols);
}

/* Whether container id runs here in none mode now. */
static bool none_running(const char *id)
{
	pthread_mutex_lock(&ctx.mu);
	bool ok = ctx.running && !ctx.done && id && strcmp(id, ctx.id) == 0;
	pthread_mutex_unlock(&ctx.mu);
	return ok;
}

int deploy_exec(const char *id, const struct rb_exec_req *req, char *errbuf, size_t errlen)
{
	int slot, pid;

	if (errbuf && errlen)
		errbuf[0] = 0;
	if (!none_running(id)) {
		if (realm_running(id))
			return realm_exec(id, req, errbuf, errlen);
		if (shim_running(id))
			return shim_exec(id, req, errbuf, errlen);
		snprintf(errbuf, errlen, "the container is not running");
		return -ESRCH;
	}
	pthread_mutex_lock(&ctx.mu);
	slot = deploy_exec_session_open(ctx.xpid, ctx.xfds, req->fds, errbuf, errlen);
	pthread_mutex_unlock(&ctx.mu);
	if (slot < 0)
		return slot;
	struct libos_spawn_req sr = deploy_exec_spawn_req(req, slot);
	pid = libos_spawn(&sr, errbuf, errlen);
	pthread_mutex_lock(&ctx.mu);
	if (pid > 0) {
		ctx.xpid[slot] = pid;
	} else {
		deploy_exec_session_close(ctx.xpid, ctx.xfds, slot);
	}
	pthread_mutex_unlock(&ctx.mu);
	return pid;
}

int deploy_exec_wait(const char *id, int pid, int timeout_ms, int *status)
{
	int r, slot;

	pthread_mutex_lock(&ctx.mu);
	slot = deploy_exec_slot_find(ctx.xpid, pid);
	pthread_mutex_unlock(&ctx.mu);
	if (slot < 0) {
		if (shim_running(id))
			return shim_exec_wait(id, pid, timeout_ms, status);
		return realm_running(id) ? realm_exec_wait(id, pid, timeout_ms, status) : -ESRCH;
	}
	for (int waited = 0;; waited += 10) {
		r = none_running(id) ? libos_spawn_status(pid, status) : -ESRCH;
		if (r != -EAGAIN)
			break;
		if (waited >= timeout_ms)
			return -ETIMEDOUT;
		usleep(10000);
	}
	/* done (or the container ended): the session's host fds are the caller's again */
	pthread_mutex_lock(&ctx.mu);
	deploy_exec_session_close(ctx.xpid, ctx.xfds, slot);
	pthread_mutex_unlock(&ctx.mu);
	return r;
}

int deploy_attest(const char *id, const uint8_t challenge[64], uint8_t *out, size_t cap,
		  char *errbuf, size_t errlen)
{
	if (realm_running(id))
		return realm_attest(id, challenge, out, cap, errbuf, errlen);
	if (none_running(id) || shim_running(id)) {
		snprintf(errbuf, errlen, "not supported in isolation mode %s: only a Container "
					 "Realm (--isolation realm) has a token",
			 none_running(id) ? "none" : "shim");
		return -ENOTSUP;
	}
	snprintf(errbuf, errlen, "the container is not running");
	return -ESRCH;
}

int deploy_exec_kill(const char *id, int pid, int sig)
{
	if (sig <= 0 || sig > 64 || pid <= 1)
		return -EINVAL;
	if (!none_running(id)) {
		if (shim_running(id))
			return shim_exec_kill(id, pid, sig);
		return realm_running(id) ? realm_exec_kill(id, pid, sig) : -ESRCH;
	}
	return libos_kill(pid, sig);
}

int deploy_exec_winsize(const char *id, int pid, unsigned short rows, unsigned short cols)
{
	if (pid <= 1)
		return -EINVAL;
	if (!none_running(id)) {
		if (shim_running(id))
			return shim_exec_winsize(id, pid, rows, cols);
		return realm_running(id) ? realm_exec_winsize(id, pid, rows, cols) : -ESRCH;
	}
	return libos_spawn_winsize(pid, rows, cols);
}

static void report_enosys(void)
{
	struct libos_stats st;
	libos_get_stats(&st);
	const char *e = getenv("REALMBOX_ENOSYS_REPORT");
	if (!e || !*e)
		return;
	FILE *f = fopen(e, "a");
	if (!f)
		return;
	for (unsigned i = 0; i < LIBOS_NR_SYSCALLS; i++)
		if (st.enosys_by_nr[i])
			fprintf(f, "%u %s %llu\n", i, libos_syscall_name(i) ? libos_syscall_name(i) : "?",
				(unsigned long long)st.enosys_by_nr[i]);
	/* copies outside the ranges the syscall descriptors name (should stay 0) */
	if (st.desc_violations)
		fprintf(f, "-1 desc_violations %llu\n", (unsigned long long)st.desc_violations);
	fclose(f);
}

int deploy_run(const struct rb_config *cfg, const struct rb_manifest *mf, int stdin_fd,
	       int stdout_fd, int stderr_fd, struct rb_result *res, char *errbuf, size_t errlen)
{
	if (errbuf && errlen)
		errbuf[0] = 0;
	if (cfg->isolation == RB_ISOLATION_REALM) {
		int r = deploy_realm_run(cfg, mf, stdin_fd, stdout_fd, stderr_fd, res, errbuf,
					 errlen);
		report_enosys(); /* the same library OS, in the System Realm */
		return r;
	}
	if (cfg->isolation == RB_ISOLATION_SHIM)
		return deploy_shim_run(cfg, mf, stdin_fd, stdout_fd, stderr_fd, res, errbuf,
				       errlen);
	if (cfg->isolation != RB_ISOLATION_NONE) {
		snprintf(errbuf, errlen, "unknown isolation mode %d", (int)cfg->isolation);
		return -EINVAL;
	}
	pthread_mutex_lock(&run_lock);
	int ret = 0;
	struct cpu_engine_stats es0, es1;
	cpu_engine_stats_read(&es0);
	struct deploy_libos_config dc = {0};
	void *mem = MAP_FAILED;
	size_t memsz = 1ULL << 30;
	const char *ms = getenv("REALMBOX_LIBOS_MEM_MB");
	if (ms && atoi(ms) >= 16)
		memsz = (size_t)atoi(ms) << 20;

	if ((ret = deploy_rootfs_init(&ctx.rootfs, cfg, errbuf, errlen)) < 0)
		goto out;
	if (arena_init()) {
		ret = -ENOMEM;
		snprintf(errbuf, errlen, "cannot reserve container memory");
		goto out;
	}
	if (!pool_started) {
		const char *pe = getenv("REALMBOX_VCPU_POOL");
		unsigned n = pe ? (unsigned)atoi(pe) : 2;
		if (n && cpu_pool_init(n) == 0)
			pool_started_locked();
		else
			pool_started = true;
	}
	if ((ret = deploy_libos_config(cfg, mf, &dc)))
		goto out;
	ctx.np = netproxy_new(cfg->publish, cfg->n_publish);
	if (!ctx.np) {
		ret = -ENOMEM;
		snprintf(errbuf, errlen, "cannot set up the network proxy");
		goto out;
	}
	/* the watcher wakes sleepers; they still look every 100 ms should a wake-up be lost */
	bool watched = netproxy_watch(ctx.np, n_net_notify, NULL) == 0;
	mem = mmap(NULL, memsz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		   -1, 0);
	if (mem == MAP_FAILED) {
		ret = -ENOMEM;
		snprintf(errbuf, errlen, "cannot reserve library OS memory");
		goto out;
	}
	ctx.fds[0] = stdin_fd;
	ctx.fds[1] = stdout_fd;
	ctx.fds[2] = stderr_fd;
	for (int i = 0; i < LIBOS_CONSOLE_MAX; i++)
		ctx.xfds[i] = -1;
	memset(ctx.xpid, 0, sizeof(ctx.xpid));
	ctx.done = false;
	ctx.shutdown = false;
	ctx.live = 0;
	struct pal_ops pal = none_pal;
	pal.hwcap = cpu_hwcap();
	pal.hwcap2 = cpu_hwcap2();
	pal.net_recheck_ns = watched ? 100000000ULL : 0;
	ret = libos_init(&pal, mem, memsz, &dc.lc);
	if (ret) {
		snprintf(errbuf, errlen, "library OS init failed: %s", strerror(-ret));
		goto out;
	}
	pthread_mutex_lock(&ctx.mu);
	snprintf(ctx.id, sizeof(ctx.id), "%s", cfg->id ? cfg->id : "");
	ctx.starting = true; /* deploy_winsize from the gate: the size init starts with */
	pthread_mutex_unlock(&ctx.mu);
	ret = deploy_start_gate_pass(errbuf, errlen);
	if (ret == 0)
		ret = libos_start(errbuf, errlen);
	pthread_mutex_lock(&ctx.mu);
	ctx.starting = false;
	pthread_mutex_unlock(&ctx.mu);
	if (ret)
		goto out_fini;
	pthread_mutex_lock(&ctx.mu);
	ctx.running = true;
	while (!ctx.done || ctx.live > 0)
		pthread_cond_wait(&ctx.cv, &ctx.mu);
	ctx.running = false;
	pthread_mutex_unlock(&ctx.mu);
	struct libos_stats st;
	libos_get_stats(&st);
	memset(res, 0, sizeof(*res));
	res->exit_status = ctx.status;
	res->term_signal = ctx.term_signal;
	res->syscalls = st.syscalls;
	res->syscalls_enosys = st.enosys;
	res->oom_killed = st.oom_kills != 0;
	cpu_engine_stats_read(&es1);
	res->code_words = es1.words_translated - es0.words_translated;
	res->code_pages_reused = es1.pages_kept - es0.pages_kept;
	report_enosys();
	if (getenv("REALMBOX_NONE_DEBUG")) {
		fprintf(stderr,
			"none: %llu syscalls, %llu page faults, %llu processes, %llu execs, %llu host"
			" files read (%llu bytes), %llu signals, %llu descriptor violations; container"
			" pages still mapped after the run: %zu\n",
			(unsigned long long)st.syscalls, (unsigned long long)st.page_faults,
			(unsigned long long)st.processes, (unsigned long long)st.execs,
			(unsigned long long)st.host_file_reads, (unsigned long long)st.host_bytes_read,
			(unsigned long long)st.signals_delivered, (unsigned long long)st.desc_violations,
			arena.live);
		fprintf(stderr,
			"none: engine: %llu code caches kept across attach, %llu cleared, %llu pages"
			" kept, %llu dropped\n",
			(unsigned long long)es1.caches_kept, (unsigned long long)es1.caches_cleared,
			(unsigned long long)es1.pages_kept, (unsigned long long)es1.pages_dropped);
	}
out_fini:
	netproxy_unwatch(ctx.np);
	libos_fini();
out:
	if (mem != MAP_FAILED)
		munmap(mem, memsz);
	free(dc.ents);
	netproxy_free(ctx.np);
	ctx.np = NULL;
	deploy_rootfs_fini(&ctx.rootfs);
	pthread_mutex_unlock(&run_lock);
	return ret;
}
