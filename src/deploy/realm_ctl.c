/*
 * Commands for a running realm container from outside (realm_host.h):
 * a signal for its init (realm_kill), pause and resume (realm_pause), and
 * its terminal's size (realm_winsize), on either a one-container run or
 * the daemon's open machine.
 */
#include "deploy/realm_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

int realm_kill(const char *id, int sig)
{
	int r = -ESRCH;

	if (sig <= 0 || sig > 64)
		return -EINVAL;
	pthread_mutex_lock(&M.mu);
	struct ct_host *h = M.running ? realm_ct_by_id(id) : NULL;
	if (h) {
		h->signals |= 1ULL << (sig - 1);
		pthread_cond_signal(&M.cv_sys);
		if (sig == 9 && h->paused) {
			/* SIGKILL ends a paused container too (as cgroup v2's freezer lets it) */
			h->paused = false;
			pthread_cond_broadcast(&M.cv_rec);
		}
		r = 0;
	}
	pthread_mutex_unlock(&M.mu);
	return r;
}

int realm_pause(const char *id, bool pause)
{
	int r = -ESRCH;

	pthread_mutex_lock(&M.mu);
	struct ct_host *h = M.running ? realm_ct_by_id(id) : NULL;
	if (h) {
		h->paused = pause;
		pthread_cond_broadcast(&M.cv_rec);
		r = 0;
	}
	pthread_mutex_unlock(&M.mu);
	return r;
}

int realm_winsize(const char *id, unsigned short rows, unsigned short cols)
{
	uint64_t ws = (uint64_t)rows << 16 | cols;
	bool sent = false;

	pthread_mutex_lock(&M.mu);
	struct ct_host *h = realm_ct_by_id(id);
	if (h && !h->add_sent && !h->added) {
		/*
		 * Built, not described to the System Realm yet (realm_run's start
		 * gate: the machine's loop has not begun): PRH_CMD_ADD_CT carries it.
		 */
		h->req.winsize = ws;
		sent = true;
	} else if (!M.running) {
		h = NULL;
	}
	pthread_mutex_unlock(&M.mu);
	if (h == NULL)
		return -ESRCH;
	if (sent)
		return 0;
	int64_t r = realm_outside(id, PRH_CMD_WINSIZE, ws, NULL, 0);
	return r < 0 ? (int)r : 0;
}
