/*
 * The monitor's side of `realmbox exec` (runc's exec): one session per
 * connection that asked "exec JSON" with the process's stdin, stdout and
 * stderr attached (SCM_RIGHTS). JSON: {"args":[...], "env":[...],
 * "cwd":"/", "uid":0, "gid":0, "terminal":false, "consoleSize":{"height":R,
 * "width":C} (optional: the terminal's size at start)}. The monitor answers
 * "ok PID" (the process's pid in the container) or "err ERRNO MESSAGE";
 * then the client may send "kill SIG" lines and (a terminal's new size)
 * "winsize ROWS COLS", and gets "exit STATUS" (code,
 * or 128+signal) when the process ends. A client that goes away takes the
 * process with it (SIGKILL).
 */
#ifndef HOST_EXEC_H
#define HOST_EXEC_H

#include <stdbool.h>

/*
 * Serve one exec session for container id on connection conn (not
 * closed here) with the request line req ("exec JSON") and the three
 * fds that came with it (-1 when missing; closed here), through the
 * deployment in this process (deploy.h). running(id) says whether the
 * container is still running (a deployment just started may not list it
 * for a moment: the session asks again while it runs). Returns when the
 * process ended or could not start.
 */
void host_exec_session(int conn, int fds[3], const char *req, const char *id,
		       const char *isolation, bool (*running)(const char *id));

#endif /* HOST_EXEC_H */
