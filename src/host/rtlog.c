/*
 * The runtime log file (rtlog.h).
 */
#include "host/rtlog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int log_fd = -1;
static bool log_json;

int host_log_open(const char *path, bool json)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0)
		return -errno;
	if (log_fd >= 0)
		close(log_fd);
	log_fd = fd;
	log_json = json;
	return 0;
}

void host_log(const char *level, const char *fmt, ...)
{
	char msg[2048], esc[4200], ts[64], line[4400];
	struct timeval tv;
	struct tm tm;
	va_list ap;
	size_t k = 0;
	int n;

	if (log_fd < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	n = (int)strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + n, sizeof(ts) - (size_t)n, ".%06ldZ", (long)tv.tv_usec);
	if (!log_json) {
		n = snprintf(line, sizeof(line), "%s[%s] %s\n", ts, level, msg);
	} else {
		for (const unsigned char *c = (const unsigned char *)msg; *c && k + 7 < sizeof(esc);
		     c++) {
			if (*c == '"' || *c == '\\') {
				esc[k++] = '\\';
				esc[k++] = (char)*c;
			} else if (*c < 0x20) {
				k += (size_t)snprintf(esc + k, sizeof(esc) - k, "\\u%04x", *c);
			} else {
				esc[k++] = (char)*c;
			}
		}
		esc[k] = '\0';
		n = snprintf(line, sizeof(line),
			     "{\"level\":\"%s\",\"msg\":\"%s\",\"time\":\"%s\"}\n", level, esc, ts);
	}
	if (n > 0)
		(void)!write(log_fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}
