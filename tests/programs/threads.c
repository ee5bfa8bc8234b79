/* Test program: threads (clone with CLONE_THREAD, futex through a mutex, join). */
#include <pthread.h>
#include <stdio.h>

#define NTHREADS 4
#define NITER 100000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long total;

static void *work(void *arg)
{
	long id = (long)arg;

	for (int i = 0; i < NITER; i++) {
		pthread_mutex_lock(&lock);
		total += id;
		pthread_mutex_unlock(&lock);
	}
	return (void *)(id * 2);
}

int main(void)
{
	pthread_t t[NTHREADS];
	long rets = 0;

	for (long i = 0; i < NTHREADS; i++)
		pthread_create(&t[i], NULL, work, (void *)(i + 1));
	for (int i = 0; i < NTHREADS; i++) {
		void *r;

		pthread_join(t[i], &r);
		rets += (long)r;
	}
	printf("total=%ld (want %ld) rets=%ld\n", total, (long)NITER * 10, rets);
	return total == (long)NITER * 10 ? 0 : 1;
}
