/*
 * realmbox pause / resume (runc's): a paused container's monitor process
 * is stopped with SIGSTOP, so its whole machine (CPU threads, timers,
 * relays) stands still, and SIGCONT lets it go on. A container on the
 * machine daemon (host/daemon.h) is paused there too: its RECs are not
 * entered until it is resumed (deploy/realm_host.h, realm_pause). The status "paused" is
 * not recorded: `state` reads it from the monitor's /proc state (see
 * host_cstate_status), so a monitor stopped by anyone reads paused.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "host/cli_util.h"
#include "host/cstate.h"
#include "host/daemon.h"
#include "host/lifecycle.h"
#include "host/oci.h"

/* Wait (at most 2 s) until pid's stop state is want. 0 or -ETIMEDOUT. */
static int wait_stopped(pid_t pid, uint64_t starttime, bool want)
{
	for (int i = 0; i < 200; i++) {
		if (!host_pid_alive(pid, starttime))
			return -ESRCH;
		if (host_pid_stopped(pid) == want)
			return 0;
		usleep(10000);
	}
	return -ETIMEDOUT;
}

static int pause_resume(int argc, char **argv, bool pause)
{
	const char *cmd = argv[0], *id;
	char root[4096];
	struct rb_cstate st;
	enum rb_cstatus s;
	int lock, r, status = 1;

	if (argc >= 2 && argv[1][0] == '-' && argv[1][1] != '\0')
		return host_cli_usage(cmd, "unknown option %s", argv[1]);
	if (argc != 2)
		return host_cli_usage(cmd, "want exactly one container ID");
	id = argv[1];
	if (host_cli_root(cmd, root, sizeof(root)))
		return 1;
	lock = host_cli_lock_load(cmd, root, id, &st);
	if (lock < 0)
		return 1;
	s = host_cstate_status(&st);
	if (pause && s != RB_CS_RUNNING) {
		/* runc's words; a created container is not paused here (its start would wait) */
		host_cli_fail(cmd, "container not running");
	} else if (!pause && s != RB_CS_PAUSED) {
		host_cli_fail(cmd, "container not paused");
	} else if (pause && (r = host_daemon_pause(root, id, true)) < 0 && r != -ESRCH) {
		host_cli_fail(cmd, "container %s: the machine daemon: %s", id, strerror(-r));
	} else if (kill(st.pid, pause ? SIGSTOP : SIGCONT) != 0) {
		if (pause)
			host_daemon_pause(root, id, false);
		host_cli_fail(cmd, "container %s: its monitor (pid %d): %s", id, (int)st.pid,
			      strerror(errno));
	} else if ((r = wait_stopped(st.pid, st.starttime, pause)) < 0) {
		host_cli_fail(cmd, "container %s: its monitor (pid %d) %s", id, (int)st.pid,
			      r == -ESRCH ? "ended"
			      : pause	  ? "did not stop"
					  : "did not go on");
	} else if (!pause && (r = host_daemon_pause(root, id, false)) < 0 && r != -ESRCH) {
		host_cli_fail(cmd, "container %s: the machine daemon: %s", id, strerror(-r));
	} else {
		status = 0;
	}
	host_cstate_free(&st);
	close(lock);
	return status;
}

int host_cmd_pause(int argc, char **argv)
{
	return pause_resume(argc, argv, true);
}

int host_cmd_resume(int argc, char **argv)
{
	return pause_resume(argc, argv, false);
}
