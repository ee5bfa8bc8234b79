/* Test program: clocks and sleeps (monotonic, realtime, nanosleep, clock_nanosleep). */
#include <stdio.h>
#include <sys/time.h>
#include <time.h>

static double elapsed(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

int main(void)
{
	struct timespec t0, t1, req = {0, 20 * 1000 * 1000}, rt;
	struct timeval tv;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	nanosleep(&req, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("nanosleep 20 ms slept at least 20 ms: %d\n", elapsed(&t0, &t1) >= 20.0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("clock_nanosleep at least 20 ms: %d\n", elapsed(&t0, &t1) >= 20.0);
	clock_gettime(CLOCK_REALTIME, &rt);
	gettimeofday(&tv, NULL);
	printf("realtime after 2024: %d\n", rt.tv_sec > 1704067200);
	printf("gettimeofday agrees: %d\n", tv.tv_sec - rt.tv_sec <= 1);
	printf("time() agrees: %d\n", time(NULL) - rt.tv_sec <= 1);
	return 0;
}
