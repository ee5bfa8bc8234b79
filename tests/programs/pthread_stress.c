/*
 * Test program: a pthread stress run with deterministic output. Counters
 * under a mutex, C11 atomics (fetch_add, compare-exchange: LDXR/STXR or
 * LSE, whatever the CPU offers), a condition-variable barrier woken by
 * broadcast, a producer/consumer queue with two condition variables, and
 * 200 rounds of thread create/join. Every total is checked against its
 * exact expected value; exit status 0 only when all of them match.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#define NTHREADS 4
#define NITER 5000
#define ROUNDS 200
#define NBARRIER 50
#define NITEMS 2000
#define QCAP 8

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long locked_total;
static atomic_long atomic_total;
static atomic_long cas_total;

/* Barrier: a generation counter and broadcast. */
static pthread_mutex_t bar_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t bar_cv = PTHREAD_COND_INITIALIZER;
static int bar_waiting;
static unsigned bar_gen;
static long bar_sum;

static void barrier_wait(void)
{
	pthread_mutex_lock(&bar_lock);
	unsigned gen = bar_gen;

	if (++bar_waiting == NTHREADS) {
		bar_waiting = 0;
		bar_gen++;
		pthread_cond_broadcast(&bar_cv);
	} else {
		while (gen == bar_gen)
			pthread_cond_wait(&bar_cv, &bar_lock);
	}
	pthread_mutex_unlock(&bar_lock);
}

static void *counters(void *arg)
{
	long id = (long)arg;

	for (int i = 0; i < NITER; i++) {
		pthread_mutex_lock(&lock);
		locked_total += id;
		pthread_mutex_unlock(&lock);
		atomic_fetch_add_explicit(&atomic_total, id, memory_order_relaxed);
		long old = atomic_load_explicit(&cas_total, memory_order_relaxed);
		while (!atomic_compare_exchange_weak(&cas_total, &old, old + 1))
			;
	}
	/* Rounds in lock step: everyone adds, then everyone checks the same sum. */
	for (int r = 0; r < NBARRIER; r++) {
		pthread_mutex_lock(&bar_lock);
		bar_sum += id;
		pthread_mutex_unlock(&bar_lock);
		barrier_wait();
		pthread_mutex_lock(&bar_lock);
		long seen = bar_sum;
		pthread_mutex_unlock(&bar_lock);
		if (seen != (long)(r + 1) * NTHREADS * (NTHREADS + 1) / 2)
			return (void *)-1L;
		barrier_wait();
	}
	return (void *)id;
}

/* A bounded queue: producers block on not_full, consumers on not_empty. */
static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;
static int queue[QCAP], q_head, q_len;

static void *producer(void *arg)
{
	for (int i = 1; i <= NITEMS; i++) {
		pthread_mutex_lock(&q_lock);
		while (q_len == QCAP)
			pthread_cond_wait(&not_full, &q_lock);
		queue[(q_head + q_len++) % QCAP] = i;
		pthread_cond_signal(&not_empty);
		pthread_mutex_unlock(&q_lock);
	}
	return NULL;
}

static void *consumer(void *arg)
{
	long sum = 0;

	for (int i = 0; i < NITEMS / 2; i++) {
		pthread_mutex_lock(&q_lock);
		while (q_len == 0)
			pthread_cond_wait(&not_empty, &q_lock);
		sum += queue[q_head];
		q_head = (q_head + 1) % QCAP;
		q_len--;
		pthread_cond_signal(&not_full);
		pthread_mutex_unlock(&q_lock);
	}
	return (void *)sum;
}

static atomic_int round_hits;

static void *short_lived(void *arg)
{
	atomic_fetch_add(&round_hits, 1);
	return (void *)((long)arg * 3);
}

int main(void)
{
	pthread_t t[NTHREADS];
	long rets = 0, want_sum = 0;
	int ok = 1;

	for (long i = 0; i < NTHREADS; i++) {
		if (pthread_create(&t[i], NULL, counters, (void *)(i + 1)) != 0) {
			printf("pthread_create failed\n");
			return 2;
		}
		want_sum += i + 1;
	}
	for (int i = 0; i < NTHREADS; i++) {
		void *r;

		pthread_join(t[i], &r);
		rets += (long)r;
	}
	printf("mutex counter: %ld (want %ld)\n", locked_total, want_sum * NITER);
	printf("atomic add: %ld (want %ld)\n", atomic_load(&atomic_total), want_sum * NITER);
	printf("cas counter: %ld (want %ld)\n", atomic_load(&cas_total), (long)NTHREADS * NITER);
	printf("barrier rounds: %s\n", rets == want_sum ? "all agreed" : "DISAGREED");
	ok &= locked_total == want_sum * NITER && atomic_load(&atomic_total) == want_sum * NITER &&
	      atomic_load(&cas_total) == (long)NTHREADS * NITER && rets == want_sum;

	pthread_t p, c[2];
	long got = 0;

	pthread_create(&p, NULL, producer, NULL);
	for (int i = 0; i < 2; i++)
		pthread_create(&c[i], NULL, consumer, NULL);
	pthread_join(p, NULL);
	for (int i = 0; i < 2; i++) {
		void *r;

		pthread_join(c[i], &r);
		got += (long)r;
	}
	printf("queue: %ld (want %ld)\n", got, (long)NITEMS * (NITEMS + 1) / 2);
	ok &= got == (long)NITEMS * (NITEMS + 1) / 2;

	long joined = 0;
	int failed = 0;

	for (long r = 0; r < ROUNDS; r++) {
		pthread_t a, b;
		void *ra, *rb;

		if (pthread_create(&a, NULL, short_lived, (void *)r) != 0 ||
		    pthread_create(&b, NULL, short_lived, (void *)(r + 1)) != 0) {
			failed++;
			break;
		}
		pthread_join(a, &ra);
		pthread_join(b, &rb);
		joined += (long)ra + (long)rb;
	}
	printf("create/join: %d rounds, %d threads ran, sum %ld (want %ld)%s\n", ROUNDS,
	       atomic_load(&round_hits), joined, 3L * ROUNDS * ROUNDS,
	       failed ? ", pthread_create failed" : "");
	ok &= !failed && atomic_load(&round_hits) == 2 * ROUNDS && joined == 3L * ROUNDS * ROUNDS;
	printf("pthread_stress: %s\n", ok ? "ok" : "FAILED");
	return ok ? 0 : 1;
}
