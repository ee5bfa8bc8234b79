/*
 * Test program: processes. fork with a pipe, exit statuses, a child killed
 * by a signal, execve of busybox, getppid, wait for several children.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	int p[2], status;
	char buf[64];
	pid_t pid, me = getpid();
	ssize_t n;

	if (pipe(p) < 0)
		return 1;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		dprintf(p[1], "child: parent matches: %s", getppid() == me ? "yes" : "no");
		_exit(3);
	}
	close(p[1]);
	n = read(p[0], buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	printf("%s\n", buf);
	waitpid(pid, &status, 0);
	printf("child exit: %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);

	pid = fork();
	if (pid == 0) {
		pause();
		_exit(0);
	}
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	printf("child signalled: %d\n", WIFSIGNALED(status) ? WTERMSIG(status) : -1);

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		char *argv[] = {"echo", "exec'd busybox echo", NULL};

		execv("/bin/echo", argv);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	printf("exec child exit: %d\n", WEXITSTATUS(status));

	for (int i = 0; i < 4; i++) {
		if (fork() == 0)
			_exit(10 + i);
	}
	int sum = 0;
	for (int i = 0; i < 4; i++) {
		if (wait(&status) > 0)
			sum += WEXITSTATUS(status);
	}
	printf("sum of 4 children: %d\n", sum);
	printf("wait with none left: %d\n", (int)wait(&status));
	return 0;
}
