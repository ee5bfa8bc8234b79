/*
 * Pool of ready vCPUs. Constructing a dynarmic JIT costs 25-55 ms, which a
 * container start-up must not pay: the pool builds them ahead, hands them
 * out in microseconds, takes them back reset, and a background thread
 * rebuilds the stock when cpu_get() drains it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "plat/emu/cpu/cpu_internal.h"

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake; /* refill thread: stock below target, or stop */
	struct cpu_vcpu **stock;
	unsigned n;
	unsigned cap;    /* most vCPUs kept (2 x target) */
	unsigned target; /* what the refill thread keeps ready */
	bool thread_running;
	bool exit_hook; /* cpu_pool_fini registered with atexit */
	bool stop;
	pthread_t thread;
} pool = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.wake = PTHREAD_COND_INITIALIZER,
};

/* Called with the lock held; false if the stock is full (caller destroys). */
static bool push_locked(struct cpu_vcpu *v)
{
	if (pool.n >= pool.cap)
		return false;
	pool.stock[pool.n++] = v;
	return true;
}

/*
 * A new vCPU goes under the stock: cpu_get takes from the top, where the
 * vCPUs given back by cpu_put are, with the code they compiled (shared
 * translation: the next process of the same binary reuses it).
 */
static bool push_bottom_locked(struct cpu_vcpu *v)
{
	if (pool.n >= pool.cap)
		return false;
	memmove(&pool.stock[1], &pool.stock[0], pool.n * sizeof(pool.stock[0]));
	pool.stock[0] = v;
	pool.n++;
	return true;
}

static void *refill_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&pool.lock);
	for (;;) {
		while (!pool.stop && pool.n >= pool.target)
			pthread_cond_wait(&pool.wake, &pool.lock);
		if (pool.stop)
			break;
		pthread_mutex_unlock(&pool.lock);
		struct cpu_vcpu *v = cpu_create();
		pthread_mutex_lock(&pool.lock);
		if (!v)
			break; /* out of vCPUs or memory: cpu_get builds on demand */
		if (!push_bottom_locked(v)) {
			pthread_mutex_unlock(&pool.lock);
			cpu_destroy(v);
			pthread_mutex_lock(&pool.lock);
		}
	}
	pool.thread_running = false;
	pthread_mutex_unlock(&pool.lock);
	return NULL;
}

int cpu_pool_init(unsigned target)
{
	/* the warm-up's vCPU is the first of the stock (a JIT construction saved) */
	struct cpu_vcpu *warm = cpu_engine_warmup_keep();

	pthread_mutex_lock(&pool.lock);
	unsigned cap = target * 2 > 4 ? target * 2 : 4;
	if (cap > pool.cap) {
		struct cpu_vcpu **s = realloc(pool.stock, cap * sizeof(*s));
		if (!s) {
			pthread_mutex_unlock(&pool.lock);
			cpu_destroy(warm);
			return -ENOMEM;
		}
		pool.stock = s;
		pool.cap = cap;
	}
	if (warm && (!target || !push_locked(warm))) {
		pthread_mutex_unlock(&pool.lock);
		cpu_destroy(warm);
		pthread_mutex_lock(&pool.lock);
	}
	pool.target = target;
	while (pool.n < target) {
		pthread_mutex_unlock(&pool.lock);
		struct cpu_vcpu *v = cpu_create();
		if (!v)
			return -ENOMEM;
		pthread_mutex_lock(&pool.lock);
		if (!push_locked(v)) {
			pthread_mutex_unlock(&pool.lock);
			cpu_destroy(v);
			pthread_mutex_lock(&pool.lock);
			break;
		}
	}
	int ret = 0;
	if (!pool.thread_running && target) {
		pool.stop = false;
		ret = -pthread_create(&pool.thread, NULL, refill_main, NULL);
		pool.thread_running = ret == 0;
	}
	/*
	 * The refill thread may be building or destroying a JIT when the
	 * process exits; exit() then runs libdynarmic's static destructors
	 * under it (the exclusive monitor's spin lock is JIT code in a static
	 * buffer: a jump into a freed page). Handlers registered after
	 * libdynarmic's initialisation run before its destructors, so stop
	 * the pool from one.
	 */
	if (ret == 0 && !pool.exit_hook)
		pool.exit_hook = atexit(cpu_pool_fini) == 0;
	pthread_mutex_unlock(&pool.lock);
	return ret;
}

void cpu_pool_fini(void)
{
	pthread_mutex_lock(&pool.lock);
	bool joined = pool.thread_running;
	pool.stop = true;
	pthread_cond_broadcast(&pool.wake);
	pthread_mutex_unlock(&pool.lock);
	if (joined)
		pthread_join(pool.thread, NULL);
	pthread_mutex_lock(&pool.lock);
	while (pool.n) {
		struct cpu_vcpu *v = pool.stock[--pool.n];
		pthread_mutex_unlock(&pool.lock);
		cpu_destroy(v);
		pthread_mutex_lock(&pool.lock);
	}
	pool.target = 0;
	pool.thread_running = false;
	pthread_mutex_unlock(&pool.lock);
}

struct cpu_vcpu *cpu_get(void)
{
	pthread_mutex_lock(&pool.lock);
	struct cpu_vcpu *v = pool.n ? pool.stock[--pool.n] : NULL;
	if (pool.n < pool.target)
		pthread_cond_signal(&pool.wake);
	pthread_mutex_unlock(&pool.lock);
	return v ? v : cpu_create();
}

void cpu_put(struct cpu_vcpu *v)
{
	if (!v)
		return;
	cpu_recycle(v);
	pthread_mutex_lock(&pool.lock);
	bool kept = pool.target && push_locked(v);
	pthread_mutex_unlock(&pool.lock);
	if (!kept)
		cpu_destroy(v);
}

unsigned cpu_pool_available(void)
{
	pthread_mutex_lock(&pool.lock);
	unsigned n = pool.n;
	pthread_mutex_unlock(&pool.lock);
	return n;
}
