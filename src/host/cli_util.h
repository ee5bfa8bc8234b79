/*
 * Helpers the runtime's lifecycle commands share (host/lifecycle.c,
 * host/exec_cmd.c): one-line errors on stderr and in the --log file,
 * runc-style options, the runtime root, state loading, pid files, the
 * console socket, and hex text.
 */
#ifndef HOST_CLI_UTIL_H
#define HOST_CLI_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "host/cstate.h"

/* "realmbox: CMD: message" on stderr and an "error" line in the log. Returns 1 (exit status). */
int host_cli_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The same for a usage error, pointing at --help. Returns 2. */
int host_cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Option name (long "--x", also "-x" as urfave/cli takes it, or
 * shortname) with a value, "--opt VALUE" or "--opt=VALUE": 1 with *out set
 * (and *i past the value), 0 if argv[*i] is another option, -1 if the
 * value is missing.
 */
int host_cli_opt(int argc, char **argv, int *i, const char *name, const char *shortname,
		 const char **out);

/* Whether a is the flag name ("--x" or "-x") or shortname. */
bool host_cli_flag(const char *a, const char *name, const char *shortname);

/* The runtime root (--root or the default) into root: 0, or 1 after a message. */
int host_cli_root(const char *cmd, char *root, size_t n);

/* Read id's state: 0, or 1 after "container ID does not exist" or the damage. */
int host_cli_load(const char *cmd, const char *root, const char *id, struct rb_cstate *st);

/*
 * For a command on container id: its state lock (10 s at most), then its
 * state in *st. Returns the lock (close it, and host_cstate_free st, when
 * done), or -1 after saying why (no such container, the lock, the state).
 */
int host_cli_lock_load(const char *cmd, const char *root, const char *id, struct rb_cstate *st);

/* Write pid to path atomically (runc's --pid-file): 0 or -errno. */
int host_write_pid_file(const char *path, pid_t pid);

/*
 * A pty whose master goes to the unix socket sockpath as runc sends it (one
 * message, the pty's name as data, the master as SCM_RIGHTS): the slave fd,
 * or -errno with msg set.
 */
int host_console_handoff(const char *sockpath, char *msg, size_t n);

/*
 * Hex text s (either case, an even number of digits, 1 to cap bytes) into
 * out: 0 with *len set, or -1.
 */
int host_hex_parse(const char *s, uint8_t *out, size_t cap, size_t *len);

/* b[0..n) as lower-case hex into out (2n + 1 bytes, NUL-terminated). */
void host_hex_format(char *out, const uint8_t *b, size_t n);

#endif /* HOST_CLI_UTIL_H */
