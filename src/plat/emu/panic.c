/*
 * lib_panic and lib_log for the emulated platform: the trusted code's
 * panic stops the process, its log lines go to stderr.
 */
#include "lib/assert.h"
#include "lib/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void lib_panic(const char *file, int line, const char *expr)
{
	fprintf(stderr, "realmbox: PANIC %s:%d: %s\n", file, line, expr);
	abort();
}

static int log_threshold(void)
{
	static int level = -1;
	static const char *const names[] = { "error", "warn", "info", "debug" };

	if (level < 0) {
		const char *env = getenv("REALMBOX_LOG");
		level = LOG_WARN;
		for (int i = 0; env && i < 4; i++) {
			if (strcmp(env, names[i]) == 0)
				level = i;
		}
	}
	return level;
}

bool lib_log_on(enum log_level lvl)
{
	return (int)lvl <= log_threshold();
}

void lib_log(enum log_level lvl, const char *component, const char *fmt, ...)
{
	static const char *const tags[] = { "error", "warn", "info", "debug" };
	va_list ap;

	if ((int)lvl > log_threshold())
		return;
	fprintf(stderr, "realmbox[%s] %s: ", component, tags[lvl & 3]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
