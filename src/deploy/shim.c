/*
 * The shim deployment's host side (RContainer, DESIGN.md §3): boots the
 * emulated machine (shared with the realm deployment), registers the
 * mini-OS with the monitor once per process (its memory: NS granules that
 * become NO_ACCESS for everyone but the Priv-GPT), and runs one container
 * as the deprivileged OS would: a con-shim (rc_create_shim: a shim-GPT),
 * the library OS over pal_shim with its own memory in NS granules, the
 * container's memory donated to the con-shim as it grows, and at the end
 * the con-shim destroyed and every granule given back.
 *
 * The single-GPTBR limit (docs/rcontainer-abi.md §7): the platform has one
 * GPTBR_EL3 and one GPC TLB, so all Normal-world work of a run happens on
 * the calling thread — the deprivileged OS's one "CPU" — with the
 * container's processes as cooperative kernel threads (pal_shim.c). No
 * other host thread touches DRAM meanwhile: runs are serialized with one
 * another (and deploy_kill only posts the signal for that thread).
 */
#include "deploy/shim.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "arch/rcontainer.h"
#include "deploy/deploy_common.h"
#include "deploy/netproxy.h"
#include "deploy/none.h"
#include "deploy/realm_host.h"
#include "host/host.h"
#include "libos/libos.h"
#include "libos/pal_shim.h"
#include "minios/minios.h"
#include "monitor/rc_gpt.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define KT_ASAN 1
#endif

#define PG GRANULE_SIZE
#define GROW_GRANULES 2048 /* 8 MiB at a time */
#define KT_STACK (256u << 10)

/* ---- the mini-OS, once per process ---------------------------------------------- */

static const struct monitor_minios_image minios_image = {
	.boot = minios_boot,
	.handle_call = minios_handle_call,
	.exit_gpt = minios_exit_gpt,
	.shim_entry = minios_shim_entry,
};

static bool minios_up;

static int minios_up_once(char *errbuf, size_t errlen)
{
	uint64_t size, base;
	int r;

	if (minios_up)
		return 0;
	size = ALIGN_UP(minios_required_size(), PG) + 64 * PG; /* + IO page tables */
	base = host_granules_alloc((unsigned)(size / PG), PG);
	if (!base) {
		snprintf(errbuf, errlen, "no memory for the mini-OS");
		return -ENOMEM;
	}
	r = monitor_rc_register(&minios_image, base, size);
	if (r) {
		host_granules_free(base, (unsigned)(size / PG));
		snprintf(errbuf, errlen, "mini-OS boot failed: %s", strerror(-r));
		return r;
	}
	minios_up = true;
	/* ready vCPUs: every mm's PE is one (a JIT construction otherwise) */
	{
		const char *pe = getenv("REALMBOX_VCPU_POOL");
		unsigned n = pe ? (unsigned)atoi(pe) : 2;

		if (n)
			(void)deploy_none_prepare(n);
	}
	return 0;
}

/* ---- the run's state ---------------------------------------------------------- */

struct chunk {
	uint64_t pa;
	unsigned n;
};

static struct {
	pthread_mutex_t mu; /* guards signals, running, id */
	pthread_cond_t cv;
	uint64_t signals; /* pending for init: bit sig - 1 (several may come at once: TERM, CONT) */
	bool running;
	char id[256];
	struct deploy_rootfs rootfs;
	int fds[3];
	struct netproxy *np; /* the container's host network proxy */
	bool net_ready;	     /* its watcher saw a socket the container waits for become ready */
	struct chunk *chunks; /* OS granules donated to the con-shim */
	size_t nchunks, capchunks;
	uint64_t grown, grow_max;
	ucontext_t ctx[PAL_SHIM_MAX_TASKS + 1];
	uint8_t *stack[PAL_SHIM_MAX_TASKS + 1];
	void (*entry[PAL_SHIM_MAX_TASKS + 1])(void);
	/* requests from outside (exec, ps, stats: see "requests" below); H.mu guards them */
	bool serving;           /* the OS's scheduler runs: requests are served */
	bool gating;		/* in the start gate: deploy_winsize leaves ws for the start */
	uint32_t ws;		/* the console's size for the start, rows << 16 | cols (0: none) */
	struct shim_req *req;   /* posted, not yet taken by the OS's thread */
	pthread_cond_t done_cv; /* a request was served, or the run ended */
	pthread_mutex_t ask_mu; /* one request at a time */
	int xfds[LIBOS_CONSOLE_MAX]; /* exec sessions' host fds by console stream (-1: none) */
	int xpid[DEPLOY_EXEC_SLOTS]; /* the process per console slot (-1: starting) */
	uint64_t c0[PLAT_CNT_NR]; /* platform counters when the container started */
} H = {.mu = PTHREAD_MUTEX_INITIALIZER,
       .cv = PTHREAD_COND_INITIALIZER,
       .done_cv = PTHREAD_COND_INITIALIZER,
       .ask_mu = PTHREAD_MUTEX_INITIALIZER};

static pthread_mutex_t shim_lock = PTHREAD_MUTEX_INITIALIZER;

/* The attack tests' view of the run (shim_test_at_idle) and their hook. */
static struct shim_os_view os_view;
static void (*_Atomic test_hook)(void *arg, const struct shim_os_view *v);
static void *test_hook_arg;

/* A task the OS runs joins the front of the view's list (once). */
static void view_task(uint64_t task)
{
	unsigned i, n = os_view.ntasks;

	for (i = 0; i < n && os_view.tasks[i] != task; i++)
		;
	if (i == n && n < SHIM_OS_VIEW_TASKS)
		os_view.ntasks = ++n;
	for (i = i < n ? i : n - 1; i > 0; i--)
		os_view.tasks[i] = os_view.tasks[i - 1];
	os_view.tasks[0] = task;
}

void shim_test_at_idle(void (*fn)(void *arg, const struct shim_os_view *v), void *arg)
{
	test_hook = NULL;
	test_hook_arg = arg;
	test_hook = fn;
}

static void h_smc(void *h, uint64_t x[7])
{
	struct smc_regs r;

	if (x[0] == SMC_RC_ENTER && x[1] == RC_FN_SWITCH_TO_MINIOS)
		view_task(x[2]);
	plat_smc6(PAS_NS, x[0], x[1], x[2], x[3], x[4], x[5], x[6], &r);
	for (int i = 0; i < 4; i++)
		x[i] = r.x[i];
}

static uint64_t h_time_ns(void *h, int clock)
{
	struct timespec ts;

	clock_gettime(clock == PAL_CLOCK_REALTIME ? CLOCK_REALTIME : CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void h_random(void *h, void *buf, size_t len)
{
	deploy_random(buf, len);
}

#ifdef KT_ASAN
/* AddressSanitizer is told of every stack switch; context 0's stack is the run's thread's. */
static const void *kt_main_bottom;
static size_t kt_main_size;
static void *kt_fake[PAL_SHIM_MAX_TASKS + 1];
#endif

static void kt_trampoline(unsigned id)
{
#ifdef KT_ASAN
	__sanitizer_finish_switch_fiber(NULL, &kt_main_bottom, &kt_main_size);
#endif
	H.entry[id]();
}

static void h_kt_start(void *h, unsigned id, void (*entry)(void))
{
	if (id == 0 || id > PAL_SHIM_MAX_TASKS)
		return;
	if (!H.stack[id]) {
		void *s = mmap(NULL, KT_STACK, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (s == MAP_FAILED)
			abort(); /* the deployment's own host memory */
		H.stack[id] = s;
	}
	getcontext(&H.ctx[id]);
	H.ctx[id].uc_stack.ss_sp = H.stack[id];
	H.ctx[id].uc_stack.ss_size = KT_STACK;
	H.ctx[id].uc_link = NULL;
	H.entry[id] = entry;
	makecontext(&H.ctx[id], (void (*)(void))kt_trampoline, 1, id);
}

static void h_kt_switch(void *h, unsigned from, unsigned to)
{
#ifdef KT_ASAN
	__sanitizer_start_switch_fiber(&kt_fake[from], to ? H.stack[to] : kt_main_bottom,
				       to ? KT_STACK : kt_main_size);
#endif
	swapcontext(&H.ctx[from], &H.ctx[to]);
#ifdef KT_ASAN
	__sanitizer_finish_switch_fiber(kt_fake[from], NULL, NULL);
#endif
}

/* The lowest pending signal for init, taken (H.mu held); 0 if none. */
static int take_signal(void)
{
	int s = H.signals ? __builtin_ctzll(H.signals) + 1 : 0;

	if (s)
		H.signals &= ~(1ULL << (s - 1));
	return s;
}

/*
 * ---- requests from outside: exec, its status and signals, ps, stats ----
 * Another host thread (the monitor's) posts one; the OS's thread serves it
 * between calls, in its scheduler (h_poll_signal, h_idle), where the
 * library OS may be entered: no other thread touches the container's
 * memory or the OS's (the single-GPTBR limit above).
 */
enum shim_req_kind {
	SR_SPAWN = 1,	 /* libos_spawn(spawn) */
	SR_SPAWN_STATUS, /* libos_spawn_status(pid, &status) */
	SR_KILL,	 /* libos_kill(pid, sig) */
	SR_PS,		 /* libos_ps(ps, max) */
	SR_STATS,	 /* the counters into live */
	SR_WINSIZE,	 /* libos_winsize(0, rows, cols), pid > 0: libos_spawn_winsize */
};

struct shim_req {
	enum shim_req_kind kind;
	const struct libos_spawn_req *spawn;
	char *errbuf;
	size_t errlen;
	int pid, sig, status;
	struct libos_proc_info *ps;
	int max;
	struct rb_live_stats *live;
	unsigned short rows, cols;
	int result;
	bool done;
};

/* The counters of the running container now (the OS's thread). */
static int serve_stats(struct rb_live_stats *out)
{
	struct libos_stats st;
	struct pal_shim_stats ps;
	uint64_t c[PLAT_CNT_NR];
	int r = libos_stats_now(&st);

	if (r < 0)
		return r;
	pal_shim_get_stats(&ps);
	plat_counters_snapshot(c);
	memset(out, 0, sizeof(*out));
	out->mem_bytes = st.mem_pages * PG;
	out->pids = st.pids_current;
	out->syscalls = st.syscalls;
	out->syscalls_enosys = st.enosys;
	out->oom_kills = st.oom_kills;
	out->pids_refused = st.pids_refused;
	out->has_shim = true;
	out->forwarded = ps.traps_svc + ps.traps_other;
	out->rc_el3 = c[PLAT_CNT_RC_EL3] - H.c0[PLAT_CNT_RC_EL3];
	out->gpt_switches = c[PLAT_CNT_GPT_SWITCH] - H.c0[PLAT_CNT_GPT_SWITCH];
	out->tlbis = c[PLAT_CNT_TLBI] - H.c0[PLAT_CNT_TLBI];
	out->rc_calls = c[PLAT_CNT_RC_CALL] - H.c0[PLAT_CNT_RC_CALL];
	out->preemptions = ps.preemptions;
	return 0;
}

/* Take the posted request, if any, and serve it (the OS's thread, between calls). */
static void serve_req(void)
{
	struct shim_req *q;
	int r;

	pthread_mutex_lock(&H.mu);
	q = H.req;
	__atomic_store_n(&H.req, NULL, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&H.mu);
	if (!q)
		return;
	switch (q->kind) {
	case SR_SPAWN:
		r = libos_spawn(q->spawn, q->errbuf, q->errlen);
		break;
	case SR_SPAWN_STATUS:
		r = libos_spawn_status(q->pid, &q->status);
		break;
	case SR_KILL:
		r = libos_kill(q->pid, q->sig);
		break;
	case SR_PS:
		r = libos_ps(q->ps, q->max);
		break;
	case SR_STATS:
		r = serve_stats(q->live);
		break;
	case SR_WINSIZE:
		r = q->pid > 0 ? libos_spawn_winsize(q->pid, q->rows, q->cols)
			       : libos_winsize(0, q->rows, q->cols);
		break;
	default:
		r = -EINVAL;
		break;
	}
	pthread_mutex_lock(&H.mu);
	q->result = r;
	q->done = true;
	pthread_cond_broadcast(&H.done_cv);
	pthread_mutex_unlock(&H.mu);
}

/*
 * Post q for container id and wait for its answer: q->result, -ESRCH (no
 * such container runs, or its scheduler has not started or has ended),
 * -ETIMEDOUT (not taken within 10 s). A request taken is always answered.
 */
static int shim_ask(const char *id, struct shim_req *q)
{
	struct timespec dl;
	bool late = false;
	int r;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 10;
	pthread_mutex_lock(&H.ask_mu);
	pthread_mutex_lock(&H.mu);
	if (!H.running || !H.serving || !id || strcmp(id, H.id) != 0) {
		pthread_mutex_unlock(&H.mu);
		pthread_mutex_unlock(&H.ask_mu);
		return -ESRCH;
	}
	q->done = false;
	__atomic_store_n(&H.req, q, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&H.cv); /* end the OS's idle */
	for (;;) {
		if (q->done) {
			r = q->result;
			break;
		}
		if (H.req == q && (late || !H.serving)) {
			__atomic_store_n(&H.req, NULL, __ATOMIC_RELAXED); /* never taken */
			r = H.serving ? -ETIMEDOUT : -ESRCH;
			break;
		}
		if (H.req == q)
			late = pthread_cond_timedwait(&H.done_cv, &H.mu, &dl) == ETIMEDOUT;
		else
			pthread_cond_wait(&H.done_cv, &H.mu); /* taken: being served */
	}
	pthread_mutex_unlock(&H.mu);
	pthread_mutex_unlock(&H.ask_mu);
	return r;
}

int shim_ps(const char *id, struct rb_proc_info *out, int max)
{
	struct libos_proc_info buf[64];
	struct shim_req q = {.kind = SR_PS, .ps = buf, .max = 64};
	int n = shim_ask(id, &q);

	for (int i = 0; i < n && i < max && i < 64; i++) {
		out[i].pid = buf[i].pid;
		out[i].ppid = buf[i].ppid;
		out[i].state = buf[i].state;
		memcpy(out[i].comm, buf[i].comm, sizeof(out[i].comm));
	}
	return n == -ETIMEDOUT ? -ESRCH : n;
}

int shim_winsize(const char *id, unsigned short rows, unsigned short cols)
{
	struct shim_req q = {.kind = SR_WINSIZE, .rows = rows, .cols = cols};

	pthread_mutex_lock(&H.mu);
	if (H.running && H.gating && id && strcmp(id, H.id) == 0) {
		/* the start gate: the OS's thread gives it to the library OS before init starts */
		H.ws = (uint32_t)rows << 16 | cols;
		pthread_mutex_unlock(&H.mu);
		return 0;
	}
	pthread_mutex_unlock(&H.mu);
	return shim_ask(id, &q);
}

int shim_exec_winsize(const char *id, int pid, unsigned short rows, unsigned short cols)
{
	struct shim_req q = {.kind = SR_WINSIZE, .pid = pid, .rows = rows, .cols = cols};

	if (pid <= 1)
		return -EINVAL;
	return shim_ask(id, &q);
}

int shim_stats(const char *id, struct rb_live_stats *out)
{
	struct shim_req q = {.kind = SR_STATS, .live = out};

	memset(out, 0, sizeof(*out));
	return shim_ask(id, &q);
}

int shim_exec(const char *id, const struct rb_exec_req *req, char *errbuf, size_t errlen)
{
	int slot, pid;

	if (errbuf && errlen)
		errbuf[0] = 0;
	pthread_mutex_lock(&H.mu);
	slot = deploy_exec_session_open(H.xpid, H.xfds, req->fds, errbuf, errlen);
	pthread_mutex_unlock(&H.mu);
	if (slot < 0)
		return slot;
	struct libos_spawn_req sr = deploy_exec_spawn_req(req, slot);
	struct shim_req q = {.kind = SR_SPAWN, .spawn = &sr, .errbuf = errbuf, .errlen = errlen};

	pid = shim_ask(id, &q);
	if (pid == -ESRCH && errbuf && errlen && !errbuf[0])
		snprintf(errbuf, errlen, "the container is not running");
	else if (pid == -ETIMEDOUT)
		snprintf(errbuf, errlen, "the container's OS did not take the request within 10 s");
	pthread_mutex_lock(&H.mu);
	if (pid > 0) {
		H.xpid[slot] = pid;
	} else {
		deploy_exec_session_close(H.xpid, H.xfds, slot);
	}
	pthread_mutex_unlock(&H.mu);
	return pid;
}

int shim_exec_wait(const char *id, int pid, int timeout_ms, int *status)
{
	int r, slot;

	pthread_mutex_lock(&H.mu);
	slot = deploy_exec_slot_find(H.xpid, pid);
	pthread_mutex_unlock(&H.mu);
	if (slot < 0)
		return -ESRCH;
	for (int waited = 0;; waited += 25) {
		struct shim_req q = {.kind = SR_SPAWN_STATUS, .pid = pid};

		r = shim_ask(id, &q);
		if (r == 0)
			*status = q.status;
		if (r != -EAGAIN)
			break;
		if (waited >= timeout_ms)
			return -ETIMEDOUT;
		usleep(25000);
	}
	if (r == -ETIMEDOUT)
		return -ETIMEDOUT;
	/* done (or the container ended): the session's host fds are the caller's again */
	pthread_mutex_lock(&H.mu);
	deploy_exec_session_close(H.xpid, H.xfds, slot);
	pthread_mutex_unlock(&H.mu);
	return r < 0 ? -ESRCH : 0;
}

int shim_exec_kill(const char *id, int pid, int sig)
{
	struct shim_req q = {.kind = SR_KILL, .pid = pid, .sig = sig};

	if (sig <= 0 || sig > 64 || pid <= 1)
		return -EINVAL;
	return shim_ask(id, &q);
}

static int h_idle(void *h, uint64_t ns)
{
	void (*hook)(void *arg, const struct shim_os_view *v) = test_hook;
	struct timespec dl;
	int s;

	if (hook) {
		test_hook = NULL;
		hook(test_hook_arg, &os_view);
	}
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += (time_t)(ns / 1000000000ULL);
	dl.tv_nsec += (long)(ns % 1000000000ULL);
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&H.mu);
	while (!H.signals && !H.net_ready && !H.req &&
	       pthread_cond_timedwait(&H.cv, &H.mu, &dl) == 0)
		;
	s = take_signal();
	bool net = H.net_ready;
	H.net_ready = false;
	pthread_mutex_unlock(&H.mu);
	if (net)
		libos_external_event(); /* on the OS's own thread, between calls */
	serve_req();
	return s;
}

/* The network proxy's watcher (its own thread): end the OS's idle so it wakes sleepers. */
static void h_net_notify(void *arg)
{
	pthread_mutex_lock(&H.mu);
	H.net_ready = true;
	pthread_cond_broadcast(&H.cv);
	pthread_mutex_unlock(&H.mu);
}

/* The OS's preemption tick: this thread's CPU timer (the platform's). */
static void h_timer_arm(void *h, uint64_t cval_ns)
{
	plat_cpu_timer_set(cval_ns);
}

static int h_poll_signal(void *h)
{
	int s;

	if (__atomic_load_n(&H.req, __ATOMIC_RELAXED))
		serve_req();
	if (!__atomic_load_n(&H.signals, __ATOMIC_RELAXED))
		return 0;
	pthread_mutex_lock(&H.mu);
	s = take_signal();
	pthread_mutex_unlock(&H.mu);
	return s;
}

static int h_grow(void *h, uint64_t *pa, uint64_t *n)
{
	uint64_t want = GROW_GRANULES;

	if (H.grown >= H.grow_max)
		return -ENOMEM;
	if (want > H.grow_max - H.grown)
		want = H.grow_max - H.grown;
	if (H.nchunks == H.capchunks) {
		size_t nc = H.capchunks ? H.capchunks * 2 : 16;
		struct chunk *c = realloc(H.chunks, nc * sizeof(*c));
		if (!c)
			return -ENOMEM;
		H.chunks = c;
		H.capchunks = nc;
	}
	*pa = host_granules_alloc((unsigned)want, PG);
	if (!*pa)
		return -ENOMEM;
	*n = want;
	H.chunks[H.nchunks++] = (struct chunk){*pa, (unsigned)want};
	H.grown += want;
	return 0;
}

static int h_host_open(void *h, const char *path)
{
	return deploy_rootfs_open(&H.rootfs, path);
}

static long h_host_pread(void *h, int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t r = pread(fd, buf, len, (off_t)off);
	return r < 0 ? -errno : r;
}

static void h_host_close(void *h, int fd)
{
	if (fd > 2 && !deploy_rootfs_owns(&H.rootfs, fd))
		close(fd);
}

/* Console streams: 0-2 init's (deploy_run's fds), 3.. exec sessions' (H.xfds). */
static long h_console_read(void *h, int fd, void *buf, size_t len)
{
	if (fd >= 3 && fd < LIBOS_CONSOLE_MAX) {
		int x = __atomic_load_n(&H.xfds[fd], __ATOMIC_RELAXED);

		return x >= 0 ? deploy_console_read_nb(x, buf, len)
			      : 0; /* an exec'd process's stdin after its session ended */
	}
	return deploy_console_read_nb(H.fds[0], buf, len);
}

static long h_console_write(void *h, int fd, const void *buf, size_t len)
{
	if (fd >= 3 && fd < LIBOS_CONSOLE_MAX) {
		int x = __atomic_load_n(&H.xfds[fd], __ATOMIC_RELAXED);

		return x >= 0 ? deploy_console_write(x, buf, len) : -EPIPE;
	}
	return deploy_console_write(H.fds[fd == 2 ? 2 : 1], buf, len);
}

int shim_kill(const char *id, int sig)
{
	int r = -ESRCH;

	if (sig <= 0 || sig > 64)
		return -EINVAL;
	pthread_mutex_lock(&H.mu);
	if (H.running && id && strcmp(id, H.id) == 0) {
		H.signals |= 1ULL << (sig - 1);
		pthread_cond_signal(&H.cv);
		r = 0;
	}
	pthread_mutex_unlock(&H.mu);
	return r;
}

bool shim_running(const char *id)
{
	pthread_mutex_lock(&H.mu);
	bool r = H.running && id && strcmp(id, H.id) == 0;
	pthread_mutex_unlock(&H.mu);
	return r;
}

/* ---- the run ---------------------------------------------------------------- */

static uint64_t env_mb(const char *name, uint64_t def)
{
	const char *s = getenv(name);
	long v = s ? atol(s) : 0;
	return v > 0 ? (uint64_t)v : def;
}

static uint64_t rc_call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3, struct smc_regs *r)
{
	return plat_smc6(PAS_NS, SMC_RC_ENTER, fn, a1, a2, a3, 0, 0, r);
}

/* OS memory: n contiguous NS granules and their host mapping. */
struct osmem {
	uint64_t pa;
	unsigned n;
	void *p;
};

static int os_alloc(struct osmem *m, uint64_t bytes)
{
	m->n = (unsigned)(ALIGN_UP(bytes, PG) / PG);
	m->pa = host_granules_alloc(m->n, PG);
	m->p = m->pa ? plat_map(PAS_NS, m->pa, (size_t)m->n * PG, NULL) : NULL;
	if (!m->p) {
		if (m->pa)
			host_granules_free(m->pa, m->n);
		m->pa = 0;
		return -ENOMEM;
	}
	return 0; /* host_granules_alloc zeroed it */
}

static void os_free(struct osmem *m)
{
	if (m->pa)
		host_granules_free(m->pa, m->n);
	m->pa = 0;
}

static int path_choice = -1; /* shim_select_path */

void shim_select_path(int baseline)
{
	path_choice = baseline < 0 ? -1 : baseline != 0;
}

int shim_run(const struct rb_config *cfg, const struct rb_manifest *mf, int stdin_fd,
	     int stdout_fd, int stderr_fd, struct rb_result *res, struct shim_counts *cnt,
	     char *errbuf, size_t errlen)
{
	struct osmem frame = {0}, regs = {0}, bounce = {0}, meta = {0}, mem = {0};
	struct deploy_libos_config dc = {0};
	struct pal_shim_env env;
	struct pal_ops pal;
	struct smc_regs r;
	uint64_t shim = 0, c1[PLAT_CNT_NR];
	struct monitor_rc_stats ms;
	int ret;
	bool inited = false;

	memset(res, 0, sizeof(*res));
	memset(cnt, 0, sizeof(*cnt));
	if (errbuf && errlen)
		errbuf[0] = 0;
	pthread_mutex_lock(&shim_lock);
	deploy_rootfs_fini(&H.rootfs);
	if ((ret = realm_machine_up(errbuf, errlen)) || (ret = minios_up_once(errbuf, errlen)))
		goto out_unlock;
	cnt->baseline = path_choice >= 0 ? path_choice
					 : getenv("REALMBOX_SHIM_BASELINE") &&
						   atoi(getenv("REALMBOX_SHIM_BASELINE"));
	minios_set_fast_exit(!cnt->baseline);
	cnt->granules_before = host_granules_in_use();
	monitor_rc_get_stats(&ms);
	cnt->gpts_before = ms.gpts_live;
	minios_stats_peak_reset();

	if ((ret = deploy_rootfs_init(&H.rootfs, cfg, errbuf, errlen)) < 0)
		goto out;
	H.fds[0] = stdin_fd;
	H.fds[1] = stdout_fd;
	H.fds[2] = stderr_fd;
	H.nchunks = 0;
	H.grown = 0;
	H.grow_max = (env_mb("REALMBOX_SHIM_POOL_MAX_MB", 512) << 20) / PG;
	if ((ret = deploy_libos_config(cfg, mf, &dc))) {
		snprintf(errbuf, errlen, "out of memory");
		goto out;
	}
	if (rc_call(RC_FN_CREATE_SHIM, 0, 0, 0, &r) != RC_SUCCESS) {
		ret = -ENOMEM;
		snprintf(errbuf, errlen, "rc_create_shim failed (status %llu)",
			 (unsigned long long)r.x[0]);
		goto out;
	}
	shim = r.x[1];
	memset(&os_view, 0, sizeof(os_view));
	os_view.shim = shim;
	os_view.shim_gpt = r.x[2];
	if (os_alloc(&frame, PG) || os_alloc(&regs, PG) || os_alloc(&bounce, RC_IPC_MAX) ||
	    os_alloc(&meta, pal_shim_meta_size()) ||
	    os_alloc(&mem, env_mb("REALMBOX_SHIM_OS_MB", 96) << 20)) {
		ret = -ENOMEM;
		snprintf(errbuf, errlen, "out of host memory for the deprivileged OS");
		goto out;
	}
	memset(&env, 0, sizeof(env));
	env.smc = h_smc;
	env.time_ns = h_time_ns;
	env.random = h_random;
	env.kt_start = h_kt_start;
	env.kt_switch = h_kt_switch;
	env.idle = h_idle;
	env.poll_signal = h_poll_signal;
	env.timer_arm = h_timer_arm;
	env.grow = h_grow;
	env.host_open = h_host_open;
	env.host_pread = h_host_pread;
	env.host_close = h_host_close;
	env.console_read = h_console_read;
	env.console_write = h_console_write;
	env.shim = shim;
	env.frame_pa = frame.pa;
	env.frame = frame.p;
	env.regs_pa = regs.pa;
	env.regs = regs.p;
	env.bounce_pa = bounce.pa;
	env.bounce = bounce.p;
	env.meta = meta.p;
	env.meta_size = (size_t)meta.n * PG;
	env.hwcap = plat_a64_hwcap();
	env.hwcap2 = plat_a64_hwcap2();
	if ((ret = pal_shim_init(&env, &pal)))
		goto out;
	H.np = netproxy_new(cfg->publish, cfg->n_publish);
	if (!H.np) {
		ret = -ENOMEM;
		snprintf(errbuf, errlen, "cannot set up the network proxy");
		goto out;
	}
	/* the deprivileged OS is in the Normal world: its host calls are direct calls */
	netproxy_pal_ops(&pal, H.np);
	H.net_ready = false;
	if (netproxy_watch(H.np, h_net_notify, NULL) == 0)
		pal.net_recheck_ns = 100000000ULL; /* woken; a safety look every 100 ms */
	ret = libos_init(&pal, mem.p, (size_t)mem.n * PG, &dc.lc);
	if (ret) {
		snprintf(errbuf, errlen, "library OS init failed: %s", strerror(-ret));
		goto out;
	}
	inited = true;
	pthread_mutex_lock(&H.mu);
	snprintf(H.id, sizeof(H.id), "%s", cfg->id ? cfg->id : "");
	H.signals = 0;
	H.running = true;
	H.serving = false;
	H.gating = true;
	H.ws = 0;
	__atomic_store_n(&H.req, NULL, __ATOMIC_RELAXED);
	memset(H.xpid, 0, sizeof(H.xpid));
	for (int i = 0; i < LIBOS_CONSOLE_MAX; i++)
		H.xfds[i] = -1;
	pthread_mutex_unlock(&H.mu);
	plat_counters_snapshot(H.c0);
	ret = deploy_start_gate_pass(errbuf, errlen);
	pthread_mutex_lock(&H.mu);
	H.gating = false;
	uint32_t ws = H.ws;
	pthread_mutex_unlock(&H.mu);
	if (ret == 0 && ws != 0)
		libos_winsize(0, ws >> 16, ws & 0xffff); /* -ENOTTY without a terminal: nothing */
	if (ret == 0)
		ret = libos_start(errbuf, errlen);
	if (ret == 0) {
		pthread_mutex_lock(&H.mu);
		H.serving = true; /* exec, ps, stats from here (the scheduler serves them) */
		pthread_mutex_unlock(&H.mu);
		ret = pal_shim_run();
		if (ret)
			snprintf(errbuf, errlen, "the mini-OS refused to run a task");
	}
	plat_counters_snapshot(c1);
	pthread_mutex_lock(&H.mu);
	H.running = false;
	H.serving = false;
	pthread_cond_broadcast(&H.done_cv); /* a request never taken: the container ended */
	pthread_mutex_unlock(&H.mu);
	for (int i = 0; i < PLAT_CNT_NR; i++)
		cnt->plat[i] = c1[i] - H.c0[i];
	if (ret == 0) {
		int st = pal_shim_status();
		struct libos_stats ls;
		struct pal_shim_stats ps;

		res->exit_status = st >= 0 ? st : 128 + 9;
		libos_get_stats(&ls);
		pal_shim_get_stats(&ps);
		res->syscalls = ls.syscalls;
		res->syscalls_enosys = ls.enosys;
		res->oom_killed = ls.oom_kills != 0;
		res->gpt_switches = cnt->plat[PLAT_CNT_GPT_SWITCH];
		res->rc_el3 = cnt->plat[PLAT_CNT_RC_EL3];
		res->tlbis = cnt->plat[PLAT_CNT_TLBI];
		res->rc_calls = cnt->plat[PLAT_CNT_RC_CALL];
		res->verify_refusals = cnt->plat[PLAT_CNT_RC_REFUSED];
		res->world_switches = cnt->plat[PLAT_CNT_WORLD_SWITCH];
		res->code_words = cnt->plat[PLAT_CNT_CODE_WORD];
		res->code_pages_reused = cnt->plat[PLAT_CNT_CODE_PAGE_KEPT];
		res->preemptions = ps.preemptions;
		res->forwarded = ps.traps_svc + ps.traps_other;
		{
			struct minios_stats mst;
			struct monitor_rc_stats gst;

			minios_get_stats(&mst);
			monitor_rc_get_stats(&gst);
			res->minios_table_bytes = cnt->minios_table_bytes = mst.table_bytes_peak;
			res->root_gpt_bytes = cnt->root_gpt_bytes = gst.bytes_used;
		}
		cnt->preemptions = ps.preemptions;
		cnt->donated = ps.donated;
		cnt->runs = ps.runs;
		cnt->traps_svc = ps.traps_svc;
		cnt->idles = ps.idles;
		cnt->idle_ns = ps.idle_ns;
	}

out:
	if (inited)
		libos_fini();
	if (shim) {
		/* every task ends, every granule goes back to the OS, the shim-GPT is scrubbed */
		rc_call(RC_FN_DESTROY_CONTAINER, shim, 0, 0, NULL);
		if (rc_call(RC_FN_DESTROY_SHIM, shim, 0, 0, &r) != RC_SUCCESS && ret == 0) {
			ret = -EIO;
			snprintf(errbuf, errlen, "rc_destroy_shim failed (status %llu)",
				 (unsigned long long)r.x[0]);
		}
	}
	for (size_t i = 0; i < H.nchunks; i++)
		host_granules_free(H.chunks[i].pa, H.chunks[i].n);
	H.nchunks = 0;
	os_free(&mem);
	os_free(&meta);
	os_free(&bounce);
	os_free(&regs);
	os_free(&frame);
	free(dc.ents);
	netproxy_free(H.np);
	H.np = NULL;
	deploy_rootfs_fini(&H.rootfs);
	cnt->granules_after = host_granules_in_use();
	monitor_rc_get_stats(&ms);
	cnt->gpts_after = ms.gpts_live;
out_unlock:
	pthread_mutex_unlock(&shim_lock);
	return ret;
}

int deploy_shim_run(const struct rb_config *cfg, const struct rb_manifest *mf, int stdin_fd,
		    int stdout_fd, int stderr_fd, struct rb_result *res, char *errbuf,
		    size_t errlen)
{
	struct shim_counts c;
	int r = shim_run(cfg, mf, stdin_fd, stdout_fd, stderr_fd, res, &c, errbuf, errlen);

	if (getenv("REALMBOX_SHIM_DEBUG")) {
		double n = res->syscalls ? (double)res->syscalls : 1;

		fprintf(stderr,
			"shim%s: %llu syscalls, %llu runs (%llu SVC traps); EL3 round trips %llu, GPT "
			"switches %llu, TLBIs %llu, rc_* calls %llu (per syscall %.2f / %.2f / %.2f / "
			"%.2f); %llu granules donated; granules in use %llu -> %llu, GPTs %llu -> %llu; idle %llu "
			"times, %.1f ms; %llu preemptions, %llu budget ends run past; mini-OS tables "
			"%llu KiB at most, GPTs beyond boot %llu KiB of Root memory\n",
			c.baseline ? " (baseline)" : "", (unsigned long long)res->syscalls,
			(unsigned long long)c.runs, (unsigned long long)c.traps_svc,
			(unsigned long long)c.plat[PLAT_CNT_RC_EL3],
			(unsigned long long)c.plat[PLAT_CNT_GPT_SWITCH],
			(unsigned long long)c.plat[PLAT_CNT_TLBI],
			(unsigned long long)c.plat[PLAT_CNT_RC_CALL], c.plat[PLAT_CNT_RC_EL3] / n,
			c.plat[PLAT_CNT_GPT_SWITCH] / n, c.plat[PLAT_CNT_TLBI] / n,
			c.plat[PLAT_CNT_RC_CALL] / n, (unsigned long long)c.donated,
			(unsigned long long)c.granules_before, (unsigned long long)c.granules_after,
			(unsigned long long)c.gpts_before, (unsigned long long)c.gpts_after,
			(unsigned long long)c.idles, c.idle_ns / 1e6, (unsigned long long)c.preemptions,
			(unsigned long long)plat_cpu_timer_chunks(),
			(unsigned long long)c.minios_table_bytes >> 10,
			(unsigned long long)c.root_gpt_bytes >> 10);
	}
	return r;
}
