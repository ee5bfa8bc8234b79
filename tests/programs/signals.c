/*
 * Test program: signals. A handler for SIGUSR1, blocking and pending
 * signals, SIGPIPE ignored (EPIPE), SIGALRM from alarm().
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t usr1, alrm;

static void on_usr1(int sig)
{
	usr1++;
}

static void on_alrm(int sig)
{
	alrm++;
}

int main(void)
{
	struct sigaction sa;
	sigset_t set, pending;
	int p[2];

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	printf("usr1 handled: %d\n", (int)usr1);

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	raise(SIGUSR1);
	sigpending(&pending);
	printf("blocked: handled %d, pending %d\n", (int)usr1, sigismember(&pending, SIGUSR1));
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	printf("unblocked: handled %d\n", (int)usr1);

	signal(SIGPIPE, SIG_IGN);
	if (pipe(p) == 0) {
		close(p[0]);
		if (write(p[1], "x", 1) < 0)
			printf("write to closed pipe: %s\n", strerror(errno));
	}

	sa.sa_handler = on_alrm;
	sigaction(SIGALRM, &sa, NULL);
	alarm(1);
	while (!alrm)
		pause();
	printf("alarm: %d\n", (int)alrm);
	return 0;
}
