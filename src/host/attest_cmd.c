/*
 * realmbox attest ID [--challenge HEX] [-o FILE]: a running Container
 * Realm's CCA attestation token (issue 6). The container's monitor asks the
 * System Realm, which asks the RMM: the token is made and signed inside the
 * realm's trusted core, never by the host; the host only carries it out.
 * Allowed only when the container's measured configuration says so
 * (annotation org.realmbox.attest: "allow"), since the challenge is the
 * caller's, not the container's.
 */
#include "host/lifecycle.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "host/cli_util.h"
#include "host/cstate.h"
#include "host/err.h"
#include "host/monitor.h"

#define ATTEST_CHALLENGE 64
#define ATTEST_TOKEN_MAX 4096

static int write_all(int fd, const uint8_t *b, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, b, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		b += k;
		n -= (size_t)k;
	}
	return 0;
}

/* The token to path (created 0644, replaced atomically) or to stdout ("-"). */
static int save_token(const char *path, const uint8_t *tok, size_t n)
{
	char tmp[4096];
	int fd;

	if (strcmp(path, "-") == 0)
		return write_all(STDOUT_FILENO, tok, n) ? host_cli_fail("attest", "stdout: %s",
									strerror(errno))
							: 0;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp-%d", path, (int)getpid()) >= sizeof(tmp))
		return host_cli_fail("attest", "%s: path too long", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return host_cli_fail("attest", "%s: %s", path, strerror(errno));
	if (write_all(fd, tok, n) || fsync(fd) || close(fd) || rename(tmp, path)) {
		int e = errno;

		unlink(tmp);
		return host_cli_fail("attest", "%s: %s", path, strerror(e));
	}
	return 0;
}

int host_cmd_attest(int argc, char **argv)
{
	const char *hexchal = NULL, *outpath = NULL, *id;
	uint8_t challenge[ATTEST_CHALLENGE] = {0}, tok[ATTEST_TOKEN_MAX];
	char root[4096], req[16 + 2 * ATTEST_CHALLENGE + 1], chex[2 * ATTEST_CHALLENGE + 1];
	char *reply;
	struct rb_cstate st;
	struct rb_err err = {0};
	size_t len, n;
	int i, m;

	/* options before or after the ID (as `realmbox verify FILE --opt`) */
	for (i = 1, id = NULL; i < argc; i++) {
		if (argv[i][0] != '-' || argv[i][1] == '\0') {
			if (id != NULL)
				return host_cli_usage("attest", "unexpected argument %s", argv[i]);
			id = argv[i];
		} else if ((m = host_cli_opt(argc, argv, &i, "--challenge", "-c", &hexchal)) != 0 ||
			   (m = host_cli_opt(argc, argv, &i, "--output", "-o", &outpath)) != 0) {
			if (m < 0)
				return host_cli_usage("attest", "option %s needs a value", argv[i]);
		} else {
			return host_cli_usage("attest", "unknown option %s", argv[i]);
		}
	}
	if (id == NULL)
		return host_cli_usage("attest", "a container ID is required");
	if (hexchal != NULL) {
		/* as configfs-tsm's inblob: up to 64 bytes, zero-padded */
		if (host_hex_parse(hexchal, challenge, sizeof(challenge), &len))
			return host_cli_fail("attest",
					     "--challenge: want 1 to 64 bytes in hex, got \"%.140s\"",
					     hexchal);
	} else if (getrandom(challenge, sizeof(challenge), 0) != (ssize_t)sizeof(challenge)) {
		return host_cli_fail("attest", "no random challenge: %s", strerror(errno));
	}
	if (outpath == NULL && isatty(STDOUT_FILENO))
		return host_cli_fail("attest", "the token is binary CBOR: give -o FILE (or -o - to "
					       "write it to a terminal anyway)");
	if (host_cli_root("attest", root, sizeof(root)) || host_cli_load("attest", root, id, &st))
		return 1;
	enum rb_cstatus s = host_cstate_status(&st);
	bool realm = strcmp(st.isolation, "realm") == 0;
	char isobuf[sizeof(st.isolation)];

	snprintf(isobuf, sizeof(isobuf), "%s", st.isolation);
	host_cstate_free(&st);
	if (!realm)
		return host_cli_fail("attest",
				     "container %s: not supported in isolation mode %s (only a "
				     "Container Realm has an attestation token)",
				     id, isobuf);
	if (s != RB_CS_RUNNING)
		return host_cli_fail("attest", "container %s is not running", id);
	host_hex_format(chex, challenge, sizeof(challenge));
	snprintf(req, sizeof(req), "attest %s", chex);
	reply = malloc(2 * ATTEST_TOKEN_MAX + 1);
	if (reply == NULL)
		return host_cli_fail("attest", "out of memory");
	if (host_monitor_request(root, id, req, reply, 2 * ATTEST_TOKEN_MAX + 1, 30000, &err) < 0) {
		free(reply);
		return host_cli_fail("attest", "container %s: %s", id, err.msg);
	}
	if (host_hex_parse(reply, tok, sizeof(tok), &n)) {
		free(reply);
		return host_cli_fail("attest", "container %s: malformed token from its monitor", id);
	}
	free(reply);
	if (hexchal == NULL)
		fprintf(stderr, "challenge: %s\n", chex);
	return save_token(outpath ? outpath : "-", tok, n);
}
