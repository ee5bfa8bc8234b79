/*
 * runc's exec for a realm container (realm_host.h: realm_exec,
 * realm_exec_wait, realm_exec_kill): the request packed for the System
 * Realm's NS buffer (struct pal_realm_exec), one console slot per
 * session, the System Realm asked through realm_outside (deploy/realm.c).
 * Also realmbox attest's request (realm_attest), another outside command.
 */
#include "deploy/realm_host.h"

#include "deploy/deploy_common.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "libos/libos.h"
#include "libos/pal_realm.h"

/* Per machine slot (container): the process per console slot (-1: starting). */
static struct {
	pthread_mutex_t mu;
	int xpid[PAL_REALM_MAX_CTS][DEPLOY_EXEC_SLOTS];
} X = {.mu = PTHREAD_MUTEX_INITIALIZER};

void realm_exec_reset(unsigned slot)
{
	if (slot >= PAL_REALM_MAX_CTS)
		return;
	pthread_mutex_lock(&X.mu);
	memset(X.xpid[slot], 0, sizeof(X.xpid[slot]));
	pthread_mutex_unlock(&X.mu);
}

/* Container id's sessions, or NULL (-ESRCH). */
static int *sessions(const char *id)
{
	int c = realm_ct_slot(id);

	return c < 0 ? NULL : X.xpid[c];
}

int realm_exec(const char *id, const struct rb_exec_req *req, char *errbuf, size_t errlen)
{
	struct pal_realm_exec h = {0};
	size_t len = sizeof(h);
	uint8_t *buf;
	int slot, argc = 0, envc = 0;
	int64_t r;
	int *xpid = sessions(id);

	if (xpid == NULL)
		return -ESRCH;

	for (; req->args[argc]; argc++)
		len += strlen(req->args[argc]) + 1;
	for (; req->env && req->env[envc]; envc++)
		len += strlen(req->env[envc]) + 1;
	len += strlen(req->cwd) + 1;
	if (argc == 0 || argc > PAL_REALM_EXEC_MAX_STRINGS || envc > PAL_REALM_EXEC_MAX_STRINGS ||
	    len > realm_ns_size()) {
		snprintf(errbuf, errlen,
			 "exec: the process's arguments and environment are too "
			 "large (at most %d strings each, %zu bytes in all)",
			 PAL_REALM_EXEC_MAX_STRINGS, (size_t)realm_ns_size());
		return -E2BIG;
	}
	buf = malloc(len);
	if (buf == NULL)
		return -ENOMEM;
	pthread_mutex_lock(&X.mu);
	slot = deploy_exec_slot_take(xpid, errbuf, errlen);
	pthread_mutex_unlock(&X.mu);
	if (slot < 0) {
		free(buf);
		return slot;
	}
	h.console_base = (uint32_t)DEPLOY_EXEC_CONSOLE(slot);
	h.uid = req->uid;
	h.gid = req->gid;
	h.terminal = req->terminal;
	h.winsize = (uint32_t)req->rows << 16 | req->cols;
	h.argc = (uint32_t)argc;
	h.envc = (uint32_t)envc;
	memcpy(buf, &h, sizeof(h));
	size_t off = sizeof(h);
	memcpy(buf + off, req->cwd, strlen(req->cwd) + 1);
	off += strlen(req->cwd) + 1;
	for (int i = 0; i < argc; i++, off += strlen(req->args[i - 1]) + 1)
		memcpy(buf + off, req->args[i], strlen(req->args[i]) + 1);
	for (int i = 0; i < envc; i++, off += strlen(req->env[i - 1]) + 1)
		memcpy(buf + off, req->env[i], strlen(req->env[i]) + 1);
	realm_set_xfds(id, h.console_base, req->fds);
	r = realm_outside(id, PRH_CMD_EXEC, len, buf, len);
	free(buf);
	pthread_mutex_lock(&X.mu);
	if (r > 0 && r <= INT32_MAX) {
		xpid[slot] = (int)r;
	} else {
		xpid[slot] = 0;
	}
	pthread_mutex_unlock(&X.mu);
	if (r <= 0)
		realm_set_xfds(id, h.console_base, NULL);
	if (r == -ENOENT && !strchr(req->args[0], '/'))
		snprintf(errbuf, errlen, "exec: \"%s\": executable file not found in $PATH",
			 req->args[0]);
	else if (r == -EPERM)
		snprintf(errbuf, errlen,
			 "refused by the Container Realm: its measured "
			 "configuration does not allow the runtime to start processes "
			 "(annotation org.realmbox.exec: \"allow\" in config.json)");
	else if (r == -EAGAIN)
		snprintf(errbuf, errlen,
			 "no REC left for a new process (a Container "
			 "Realm's RECs that ran a process are only reused by fork)");
	else if (r < 0)
		snprintf(errbuf, errlen, "cannot execute %s: %s", req->args[0], strerror((int)-r));
	else if (r == 0 || r > INT32_MAX)
		return -EIO;
	return (int)r;
}

int realm_exec_wait(const char *id, int pid, int timeout_ms, int *status)
{
	int slot;
	int64_t r;
	int *xpid = sessions(id);

	if (xpid == NULL)
		return -ESRCH;
	pthread_mutex_lock(&X.mu);
	slot = deploy_exec_slot_find(xpid, pid);
	pthread_mutex_unlock(&X.mu);
	if (slot < 0)
		return -ESRCH;
	for (int waited = 0;; waited += 25) {
		r = realm_outside(id, PRH_CMD_EXEC_STATUS, (uint64_t)pid, NULL, 0);
		if (r != -EAGAIN)
			break;
		if (waited >= timeout_ms)
			return -ETIMEDOUT;
		usleep(25000);
	}
	if (r == -ETIMEDOUT)
		return -ETIMEDOUT;
	realm_set_xfds(id, (unsigned)DEPLOY_EXEC_CONSOLE(slot), NULL);
	pthread_mutex_lock(&X.mu);
	xpid[slot] = 0;
	pthread_mutex_unlock(&X.mu);
	if (r < 0)
		return -ESRCH;
	*status = (int)(r & 0xff);
	return 0;
}

int realm_exec_kill(const char *id, int pid, int sig)
{
	if (sig <= 0 || sig > 64 || pid <= 1)
		return -EINVAL;
	int64_t r =
		realm_outside(id, PRH_CMD_KILL_PID, ((uint64_t)pid << 8) | (uint64_t)sig, NULL, 0);
	return r < 0 ? (int)r : 0;
}

int realm_exec_winsize(const char *id, int pid, unsigned short rows, unsigned short cols)
{
	if (pid <= 1)
		return -EINVAL;
	int64_t r = realm_outside(id, PRH_CMD_WINSIZE,
				  (uint64_t)pid << 32 | (uint64_t)rows << 16 | cols, NULL, 0);
	return r < 0 ? (int)r : 0;
}

int realm_attest(const char *id, const uint8_t challenge[64], uint8_t *out, size_t cap,
		 char *errbuf, size_t errlen)
{
	int64_t r = realm_outside_read(id, PRH_CMD_ATTEST, 64, challenge, 64, out, cap);

	if (r > 0 && r <= INT32_MAX)
		return (int)r;
	if (r == -EPERM)
		snprintf(errbuf, errlen,
			 "refused by the Container Realm: its measured configuration does not "
			 "allow the runtime to ask for its token (annotation org.realmbox.attest: "
			 "\"allow\" in config.json)");
	else if (r == -EBUSY)
		snprintf(errbuf, errlen, "every REC of the container is running; try again");
	else if (r == -ESRCH)
		snprintf(errbuf, errlen, "the container is not running");
	else if (r == -ETIMEDOUT)
		snprintf(errbuf, errlen, "the System Realm did not answer within 10 s");
	else
		snprintf(errbuf, errlen, "the RMM made no token: %s",
			 strerror(r < 0 ? (int)-r : EIO));
	return r < 0 ? (int)r : -EIO;
}
