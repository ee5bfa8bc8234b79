/*
 * Error messages with context for the host runtime (see err.h) and the
 * --debug log.
 */
#include "host/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

bool host_debug_enabled;

int rb_err_set(struct rb_err *err, int errnum, const char *fmt, ...)
{
	if (errnum <= 0)
		errnum = EINVAL;
	if (err != NULL) {
		va_list ap;

		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
		err->errnum = errnum;
	}
	return -errnum;
}

int rb_err_sys(struct rb_err *err, int errnum, const char *fmt, ...)
{
	if (errnum <= 0)
		errnum = EINVAL;
	if (err != NULL) {
		va_list ap;
		size_t n;

		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
		n = strlen(err->msg);
		snprintf(err->msg + n, sizeof(err->msg) - n, ": %s", strerror(errnum));
		err->errnum = errnum;
	}
	return -errnum;
}

int rb_err_wrap(struct rb_err *err, const char *fmt, ...)
{
	char prefix[RB_ERR_MSG_MAX];
	char buf[2 * RB_ERR_MSG_MAX + 4];
	size_t n;
	va_list ap;

	if (err == NULL)
		return -EINVAL;
	if (err->errnum <= 0)
		err->errnum = EINVAL;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	snprintf(buf, sizeof(buf), "%s: %s", prefix, err->msg);
	n = strlen(buf);
	if (n >= sizeof(err->msg))
		n = sizeof(err->msg) - 1;
	memcpy(err->msg, buf, n);
	err->msg[n] = '\0';
	return -err->errnum;
}

void rb_err_clear(struct rb_err *err)
{
	if (err != NULL) {
		err->errnum = 0;
		err->msg[0] = '\0';
	}
}

void host_debug(const char *fmt, ...)
{
	va_list ap;

	if (!host_debug_enabled)
		return;
	fputs("realmbox: debug: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
