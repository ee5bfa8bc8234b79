/*
 * Computes something, asks the "kernel" with a made-up system call whose
 * result it uses, writes a line and exits with a code that depends on both.
 * test_cpu checks x8 and x0..x5 at each SVC and answers them.
 */
#include "guest.h"

#define SYS_probe 0x1234

static unsigned long fib(unsigned n)
{
	unsigned long a = 0, b = 1;
	while (n--) {
		unsigned long t = a + b;
		a = b;
		b = t;
	}
	return a;
}

void _start(void)
{
	unsigned long f = fib(50); /* 12586269025 */
	long r = svc6(SYS_probe, 11, 22, 33, 44, 55, (long)f);
	/* under a real kernel the probe fails with -ENOSYS (-38) */
	sys_write(1, "hello from arm64\n", 17);
	sys_exit((int)((f + (unsigned long)r) & 0x7f));
}
