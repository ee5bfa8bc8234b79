/*
 * The controlling terminal, for a program started as a session leader
 * whose stdin is its controlling terminal (a container with
 * process.terminal, or qemu-aarch64 on a fresh pty): /dev/tty, TIOCGSID,
 * TIOCGPGRP/TIOCSPGRP, TIOCSCTTY, TIOCNOTTY (a member's and the leader's,
 * with its SIGHUP and SIGCONT), setsid leaving the terminal behind.
 * tests/py/test_tty.py compares its output with the oracle's. Without a
 * terminal it says so and exits 2.
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

static volatile sig_atomic_t hups, conts;

static void on_sig(int sig)
{
	if (sig == SIGHUP)
		hups++;
	else
		conts++;
}

static const char *res(int rc)
{
	static char buf[32];

	if (rc >= 0)
		return "ok";
	switch (errno) {
	case EPERM: return "EPERM";
	case ENOTTY: return "ENOTTY";
	case ENXIO: return "ENXIO";
	case ESRCH: return "ESRCH";
	case EINVAL: return "EINVAL";
	case EIO: return "EIO";
	default:
		snprintf(buf, sizeof(buf), "errno %d", errno);
		return buf;
	}
}

static int open_tty(void)
{
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY);

	if (fd >= 0)
		close(fd);
	return fd;
}

static int gsid(pid_t *out)
{
	return ioctl(0, TIOCGSID, out);
}

static void show(const char *who)
{
	pid_t s = -1, pg = -1;
	int r;

	printf("%s: /dev/tty %s\n", who, res(open_tty()));
	/* the value is not shown: qemu-user does not copy TIOCGSID's result out */
	r = gsid(&s);
	printf("%s: TIOCGSID %s\n", who, res(r));
	r = ioctl(0, TIOCGPGRP, &pg);
	printf("%s: TIOCGPGRP %s%s\n", who, res(r),
	       r == 0 ? (pg == getpgrp() ? " (our group)" : " (another group)") : "");
}

/* A member of the session (not its leader). */
static void member(void)
{
	pid_t pg;

	printf("member: TIOCSCTTY %s\n", res(ioctl(0, TIOCSCTTY, 0)));
	/* in a group of its own it is in the background: SIGTTOU ignored, tcsetpgrp works */
	signal(SIGTTOU, SIG_IGN);
	printf("member: setpgid %s\n", res(setpgid(0, 0)));
	show("member (background)");
	printf("member: tcsetpgrp to its group %s\n", res(tcsetpgrp(0, getpgrp())));
	pg = tcgetpgrp(0);
	printf("member: foreground now %s\n", pg == getpgrp() ? "its group" : "another");
	printf("member: tcsetpgrp back %s\n", res(tcsetpgrp(0, getppid())));
	printf("member: TIOCNOTTY %s\n", res(ioctl(0, TIOCNOTTY)));
	show("member (no tty)");
	printf("member: TIOCNOTTY again %s\n", res(ioctl(0, TIOCNOTTY)));
	fflush(stdout);
}

/* A child that starts a session of its own. */
static void new_session(void)
{
	printf("setsid: %s\n", res(setsid()));
	show("new session");
	printf("new session: TIOCSCTTY (another session's) %s\n", res(ioctl(0, TIOCSCTTY, 0)));
	printf("new session: TIOCSPGRP %s\n", res(tcsetpgrp(0, getpid())));
	printf("new session: TIOCNOTTY %s\n", res(ioctl(0, TIOCNOTTY)));
	fflush(stdout);
}

static void child(void (*fn)(void))
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		fn();
		_exit(0);
	}
	waitpid(pid, &st, 0);
	printf("child: %s %d\n", WIFEXITED(st) ? "exit" : "signal",
	       WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

int main(void)
{
	pid_t bad;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (!isatty(0)) {
		puts("no terminal");
		return 2;
	}
	signal(SIGHUP, on_sig);
	signal(SIGCONT, on_sig);
	printf("leader: %s\n", getsid(0) == getpid() ? "yes" : "no");
	show("leader");
	printf("leader: TIOCSCTTY (already ours) %s\n", res(ioctl(0, TIOCSCTTY, 0)));
	bad = -1;
	printf("leader: TIOCSPGRP -1 %s\n", res(ioctl(0, TIOCSPGRP, &bad)));
	bad = 4000000;
	printf("leader: TIOCSPGRP no such group %s\n", res(ioctl(0, TIOCSPGRP, &bad)));
	printf("leader: setsid %s\n", res(setsid()));
	child(member);
	child(new_session);
	show("leader after the children");

	/* the leader gives the terminal up: its foreground group (itself) is hung up */
	printf("leader: TIOCNOTTY %s\n", res(ioctl(0, TIOCNOTTY)));
	printf("leader: SIGHUP %d SIGCONT %d\n", (int)hups, (int)conts);
	show("leader (no tty)");
	printf("leader: TIOCSPGRP without a tty %s\n", res(tcsetpgrp(0, getpgrp())));
	/* and takes it back */
	printf("leader: TIOCSCTTY %s\n", res(ioctl(0, TIOCSCTTY, 0)));
	show("leader (again)");
	printf("done\n");
	return 0;
}
