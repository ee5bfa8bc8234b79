/*
 * Request lines over unix sockets with file descriptors attached
 * (SCM_RIGHTS): what the CLI, the per-container monitor and the machine
 * daemon say to each other (host/monitor.h, host/daemon.h).
 */
#ifndef HOST_SOCKMSG_H
#define HOST_SOCKMSG_H

#include <stddef.h>
#include <sys/types.h>

#define HOST_SOCK_MAXFDS 4

/*
 * Send line (its text as given, a newline is not added) on fd with nfds
 * (0..HOST_SOCK_MAXFDS) descriptors attached to its first byte. 0, or -errno (a peer
 * gone is -EPIPE, never SIGPIPE).
 */
int host_sock_send(int fd, const char *line, const int *fds, int nfds);

/*
 * Read one request line (at most cap bytes) and the descriptors that came
 * with it into fds[0..nfds) (nfds <= HOST_SOCK_MAXFDS; more are closed; -1
 * for missing ones). The line without its newline, malloc'd, or NULL (peer
 * gone, no newline within cap, a timeout set on fd, out of memory); fds
 * may then hold descriptors to close.
 */
char *host_sock_read_line(int fd, int *fds, int nfds, size_t cap);

/*
 * Read one line byte by byte (what follows it stays in the socket) into
 * buf[0..n) without its newline: its length, or -1 (peer gone or a line
 * longer than n - 1).
 */
ssize_t host_sock_read_reply(int fd, char *buf, size_t n);

/*
 * An answer line: "ok[ PAYLOAD]" -> 0 with PAYLOAD in out[0..n) (out may be
 * NULL); "err ERRNO MESSAGE" -> -ERRNO with MESSAGE in msg[0..msglen); any
 * other line -> -EIO, msg "malformed answer". msg may be NULL.
 */
int host_sock_parse_reply(const char *line, char *out, size_t n, char *msg, size_t msglen);

/* Close the descriptors of fds[0..n) that are >= 0 and set them to -1. */
void host_fds_close(int *fds, int n);

#endif /* HOST_SOCKMSG_H */
