/*
 * Errors for the host runtime, crun style: a function that can fail takes a
 * last `struct rb_err *err` argument, returns a negative errno and leaves a
 * message in err. Callers add context as the error travels up, so the user
 * sees "config.json: process.args: must be a non-empty array of strings".
 * Also the runtime's --debug log.
 */
#ifndef HOST_ERR_H
#define HOST_ERR_H

#include <stdbool.h>

#define RB_ERR_MSG_MAX 1024

struct rb_err {
	int errnum;		  /* positive errno; 0 = no error */
	char msg[RB_ERR_MSG_MAX]; /* human-readable, without "realmbox: " */
};

/*
 * Record an error: errnum (positive errno) and a printf-style message.
 * Returns -errnum (or -EINVAL when errnum is 0) so callers can
 * `return rb_err_set(err, EINVAL, "...")`. err may be NULL.
 */
int rb_err_set(struct rb_err *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Like rb_err_set, with ": strerror(errnum)" appended to the message.
 */
int rb_err_sys(struct rb_err *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Prefix the message already in err with context and ": ". Returns
 * -err->errnum. err may be NULL (returns -EINVAL).
 */
int rb_err_wrap(struct rb_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Clear err (errnum 0, empty message). */
void rb_err_clear(struct rb_err *err);

/* The --debug log: when enabled, host_debug() prints "realmbox: debug: ..." to stderr. */
extern bool host_debug_enabled;
void host_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* HOST_ERR_H */
