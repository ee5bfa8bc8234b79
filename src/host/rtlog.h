/*
 * The runtime's log file, as runc keeps it (global --log FILE and
 * --log-format text|json): containerd reads the last "error" line of a
 * failed command from it. Each command's error also goes to stderr.
 */
#ifndef HOST_RTLOG_H
#define HOST_RTLOG_H

#include <stdbool.h>

/*
 * Log to path (appended; created 0600) in JSON lines ({"level","msg","time"})
 * when json, else text lines. 0, or -errno (the log is then stderr only).
 */
int host_log_open(const char *path, bool json);

/* One line at level ("error", "warning", "info", "debug") to the log file, if open. */
void host_log(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* HOST_RTLOG_H */
