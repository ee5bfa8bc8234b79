/*
 * Logging for the trusted code and the library OS. The platform decides
 * where lines go (plat/emu: stderr, filtered by REALMBOX_LOG=error|warn|info|debug;
 * default warn).
 */
#ifndef LIB_LOG_H
#define LIB_LOG_H

#include <stdbool.h>

enum log_level {
	LOG_ERROR = 0,
	LOG_WARN = 1,
	LOG_INFO = 2,
	LOG_DEBUG = 3,
};

/* printf-style; `component` names the source ("rmm", "monitor", ...). */
void lib_log(enum log_level level, const char *component, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Whether lines of this level are printed (the platform's threshold). */
bool lib_log_on(enum log_level level);

#endif /* LIB_LOG_H */
