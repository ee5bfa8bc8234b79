/*
 * sigregs: a signal handler must not leak its register state into the code
 * it interrupted. The signal comes at the return of kill(getpid()), which
 * Linux ends like any system call: every register but x0 as it was before
 * the SVC, including the condition flags (NZCV) and the FP/SIMD registers.
 * The handler sets the flags, x9..x15 and v16 to other values; after
 * rt_sigreturn the interrupted code must see its own again.
 *
 * Go's asynchronous preemption (a SIGURG at any instruction) depends on the
 * same restore, which is how this was found: realm mode restored NZCV only
 * when it had fetched the registers during that call.
 *
 * Output: one line per check and "sigregs: ok" (exit 0), or what differed
 * (exit 1).
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile int handled;

static void handler(int sig)
{
	(void)sig;
	handled++;
	/* N=1 Z=0 C=0 V=0, and other values in x9..x15 and v16 */
	__asm__ volatile("mov x9, #0\n\t"
			 "subs x9, x9, #1\n\t"
			 "mov x10, #0x77\n\t"
			 "mov x11, #0x77\n\t"
			 "mov x12, #0x77\n\t"
			 "mov x13, #0x77\n\t"
			 "mov x14, #0x77\n\t"
			 "mov x15, #0x77\n\t"
			 "movi v16.2d, #0\n\t" ::
				 : "x9", "x10", "x11", "x12", "x13", "x14", "x15", "v16", "cc");
}

struct seen {
	uint64_t eq, cs, mi, vs; /* the flags after the call, as 0/1 */
	uint64_t x[7];		 /* x9..x15 */
	uint64_t v16;		 /* low half of v16 */
};

/*
 * Set Z=1 C=1 (cmp 1, 1), x9..x15 = 9..15, v16 = 0x1616..., then kill(pid,
 * sig) with the flags and registers live across the SVC; read them back.
 */
static void call_with_live_state(long pid, long sig, struct seen *s)
{
	register long x0 __asm__("x0") = pid;
	register long x1 __asm__("x1") = sig;
	register long x8 __asm__("x8") = SYS_kill;
	uint64_t eq, cs, mi, vs, r9, r10, r11, r12, r13, r14, r15, v;

	__asm__ volatile("mov x9, #9\n\t"
			 "mov x10, #10\n\t"
			 "mov x11, #11\n\t"
			 "mov x12, #12\n\t"
			 "mov x13, #13\n\t"
			 "mov x14, #14\n\t"
			 "mov x15, #15\n\t"
			 "movi v16.16b, #0x16\n\t"
			 "mov x16, #1\n\t"
			 "cmp x16, #1\n\t"
			 "svc #0\n\t"
			 "cset %[eq], eq\n\t"
			 "cset %[cs], cs\n\t"
			 "cset %[mi], mi\n\t"
			 "cset %[vs], vs\n\t"
			 "mov %[r9], x9\n\t"
			 "mov %[r10], x10\n\t"
			 "mov %[r11], x11\n\t"
			 "mov %[r12], x12\n\t"
			 "mov %[r13], x13\n\t"
			 "mov %[r14], x14\n\t"
			 "mov %[r15], x15\n\t"
			 "fmov %[v], d16\n\t"
			 : [eq] "=&r"(eq), [cs] "=&r"(cs), [mi] "=&r"(mi), [vs] "=&r"(vs),
			   [r9] "=&r"(r9), [r10] "=&r"(r10), [r11] "=&r"(r11), [r12] "=&r"(r12),
			   [r13] "=&r"(r13), [r14] "=&r"(r14), [r15] "=&r"(r15), [v] "=&r"(v),
			   "+r"(x0)
			 : "r"(x1), "r"(x8)
			 : "x9", "x10", "x11", "x12", "x13", "x14", "x15", "x16", "v16", "cc",
			   "memory");
	s->eq = eq;
	s->cs = cs;
	s->mi = mi;
	s->vs = vs;
	s->x[0] = r9;
	s->x[1] = r10;
	s->x[2] = r11;
	s->x[3] = r12;
	s->x[4] = r13;
	s->x[5] = r14;
	s->x[6] = r15;
	s->v16 = v;
}

static int check(const char *what, const struct seen *s)
{
	int bad = 0;

	printf("%s: flags eq=%llu cs=%llu mi=%llu vs=%llu\n", what, (unsigned long long)s->eq,
	       (unsigned long long)s->cs, (unsigned long long)s->mi, (unsigned long long)s->vs);
	if (s->eq != 1 || s->cs != 1 || s->mi != 0 || s->vs != 0)
		bad = 1;
	for (int i = 0; i < 7; i++) {
		if (s->x[i] != (uint64_t)(9 + i)) {
			printf("%s: x%d = 0x%llx, not %d\n", what, 9 + i,
			       (unsigned long long)s->x[i], 9 + i);
			bad = 1;
		}
	}
	if (s->v16 != 0x1616161616161616ULL) {
		printf("%s: v16 = 0x%llx\n", what, (unsigned long long)s->v16);
		bad = 1;
	}
	return bad;
}

int main(void)
{
	struct sigaction sa;
	struct seen s;
	int bad = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigaction(SIGUSR1, &sa, NULL);

	/* no signal: the system call alone keeps them */
	call_with_live_state(getpid(), 0, &s);
	bad |= check("kill 0", &s);
	/* a handler runs at the call's return, then rt_sigreturn */
	for (int i = 0; i < 3; i++) {
		call_with_live_state(getpid(), SIGUSR1, &s);
		bad |= check("kill SIGUSR1", &s);
	}
	printf("handled: %d\n", handled);
	if (handled != 3)
		bad = 1;
	printf(bad ? "sigregs: FAILED\n" : "sigregs: ok\n");
	return bad;
}
