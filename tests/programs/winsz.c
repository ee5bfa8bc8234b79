/*
 * The terminal's window size and SIGWINCH, for a program whose stdin is its
 * controlling terminal with its process group in the foreground (a
 * container with process.terminal, or qemu-aarch64 on a fresh pty): the
 * size it starts with (TIOCGWINSZ), a resize from outside (the pty
 * master's TIOCSWINSZ after "ready": SIGWINCH, the new size), its own
 * TIOCSWINSZ (SIGWINCH to its foreground group only on a change, not to a
 * child in a background group), and ENOTTY/EFAULT. tests/py/test_tty.py
 * compares its output with the oracle's.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static volatile sig_atomic_t winches;

static void on_winch(int sig)
{
	(void)sig;
	winches++;
}

static void show(const char *what)
{
	struct winsize ws;

	if (ioctl(0, TIOCGWINSZ, &ws) != 0) {
		printf("%s: TIOCGWINSZ %s\n", what, strerror(errno));
		return;
	}
	printf("%s: %u rows %u cols (pixels %ux%u)\n", what, ws.ws_row, ws.ws_col, ws.ws_xpixel,
	       ws.ws_ypixel);
}

static const char *err(int rc)
{
	return rc == 0 ? "ok" : errno == ENOTTY ? "ENOTTY" : errno == EFAULT ? "EFAULT" : "other";
}

int main(void)
{
	struct sigaction sa;
	struct winsize ws, big;
	sigset_t winch, old;
	int p[2], q[2], status, rc;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (!isatty(0)) {
		printf("stdin is not a terminal\n");
		return 2;
	}
	alarm(60); /* never hang a test run */
	show("start");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_winch;
	sigaction(SIGWINCH, &sa, NULL);
	sigemptyset(&winch);
	sigaddset(&winch, SIGWINCH);
	sigprocmask(SIG_BLOCK, &winch, &old);
	printf("ready\n");
	while (winches == 0)
		sigsuspend(&old); /* the resize from outside */
	sigprocmask(SIG_SETMASK, &old, NULL);
	printf("SIGWINCH %d\n", (int)winches);
	show("resized");

	/* the same size again: no change, no signal (tty_do_resize) */
	winches = 0;
	ioctl(0, TIOCGWINSZ, &ws);
	rc = ioctl(0, TIOCSWINSZ, &ws);
	printf("TIOCSWINSZ same: %s, SIGWINCH %d\n", err(rc), (int)winches);

	/* a change of its own, with a child waiting in a background group */
	if (pipe(p) != 0 || pipe(q) != 0)
		return 1;
	pid_t c = fork();
	if (c == 0) {
		char b;

		winches = 0;
		setpgid(0, 0);
		if (write(p[1], "x", 1) != 1 || read(q[0], &b, 1) != 1)
			_exit(1);
		printf("background child: SIGWINCH %d\n", (int)winches);
		_exit(0);
	}
	char b;
	if (read(p[0], &b, 1) != 1)
		return 1;
	big = ws;
	big.ws_row += 3;
	big.ws_col += 7;
	big.ws_xpixel = 640;
	big.ws_ypixel = 480;
	winches = 0;
	rc = ioctl(0, TIOCSWINSZ, &big);
	printf("TIOCSWINSZ new: %s, SIGWINCH %d\n", err(rc), (int)winches);
	show("own");
	if (write(q[1], "x", 1) != 1)
		return 1;
	waitpid(c, &status, 0);
	winches = 0;
	rc = ioctl(0, TIOCSWINSZ, &ws);
	printf("TIOCSWINSZ back: %s, SIGWINCH %d\n", err(rc), (int)winches);

	/* what is not a terminal, and a bad pointer */
	int fd = open("/dev/null", O_RDWR);
	printf("TIOCGWINSZ /dev/null: %s\n", err(ioctl(fd, TIOCGWINSZ, &ws)));
	printf("TIOCSWINSZ /dev/null: %s\n", err(ioctl(fd, TIOCSWINSZ, &ws)));
	printf("TIOCGWINSZ pipe: %s\n", err(ioctl(p[0], TIOCGWINSZ, &ws)));
	printf("TIOCGWINSZ bad pointer: %s\n", err(ioctl(0, TIOCGWINSZ, (void *)8)));
	printf("TIOCSWINSZ bad pointer: %s\n", err(ioctl(0, TIOCSWINSZ, (void *)8)));
	show("end");
	printf("done\n");
	return 0;
}
