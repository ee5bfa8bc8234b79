/*
 * Fuzz target: config.json parsing (host/oci.c, jansson underneath). The
 * input is the text of a config.json for a bundle whose rootfs exists, so
 * a valid input gets through every field check to root.path. Beyond the
 * sanitizers, host_config_parse's contract is the oracle: on success the
 * config is complete (args non-empty and NULL-terminated, cwd absolute,
 * rootfs absolute, rlimits in range), on failure *cfg is left zeroed with
 * a message in err; host_config_free leaves a zeroed cfg (leaks are found
 * by LeakSanitizer). The first line of the input is also tried as a
 * container ID and an isolation name.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/oci.h"
#include "host_util.h"

static char bundle[64];

static void check(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "fuzz_config: contract broken: %s\n", what);
		abort();
	}
}

static bool zeroed(const struct rb_config *cfg)
{
	static const struct rb_config zero;

	return memcmp(cfg, &zero, sizeof(zero)) == 0;
}

static void remove_bundle(void)
{
	fz_rm_rf(bundle);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char rootfs[96];

	snprintf(bundle, sizeof(bundle), "/tmp/fuzz-config-XXXXXX");
	if (!mkdtemp(bundle))
		abort();
	snprintf(rootfs, sizeof(rootfs), "%s/rootfs", bundle);
	if (mkdir(rootfs, 0755) != 0)
		abort();
	atexit(remove_bundle);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rb_config cfg;
	struct rb_err err;
	enum rb_isolation iso;
	char line[2048];
	size_t n = 0;
	int rc;

	rb_err_clear(&err);
	rc = host_config_parse((const char *)data, size, "config.json", bundle, &cfg, &err);
	if (rc == 0) {
		check(cfg.args && cfg.args[0], "args empty");
		for (char **a = cfg.args; *a; a++)
			check(*a != NULL, "args");
		check(cfg.env != NULL, "env NULL");
		check(cfg.cwd && cfg.cwd[0] == '/', "cwd not absolute");
		check(cfg.rootfs && cfg.rootfs[0] == '/', "rootfs not absolute");
		check(cfg.bundle && strcmp(cfg.bundle, bundle) == 0, "bundle");
		check(cfg.n_rlimits <= RB_MAX_RLIMITS, "n_rlimits");
		for (unsigned i = 0; i < cfg.n_rlimits; i++) {
			check(cfg.rlimits[i].soft <= cfg.rlimits[i].hard, "rlimit soft > hard");
			check(host_rlimit_name(cfg.rlimits[i].resource) != NULL, "rlimit type");
		}
		check(cfg.additional_gids || cfg.n_additional_gids == 0, "gids");
		check(err.errnum == 0, "error set on success");
	} else {
		check(rc < 0, "positive return");
		check(zeroed(&cfg), "cfg not empty after a failure");
		check(err.errnum == -rc && err.msg[0] != '\0', "failure without a message");
		check(strncmp(err.msg, "config.json", 11) == 0, "message does not name the file");
	}
	host_config_free(&cfg);
	check(zeroed(&cfg), "host_config_free left something");
	host_config_free(&cfg); /* safe twice */

	while (n < size && n < sizeof(line) - 1 && data[n] != '\n') {
		line[n] = (char)data[n];
		n++;
	}
	line[n] = '\0';
	if (host_container_id_valid(line))
		check(strlen(line) >= 1 && strlen(line) <= 1024 && strchr(line, '/') == NULL,
		      "container id accepted");
	if (host_isolation_parse(line, &iso))
		check(strcmp(host_isolation_name(iso), line) == 0, "isolation name round trip");
	if (host_rlimit_number(line) >= 0)
		check(strcmp(host_rlimit_name(host_rlimit_number(line)), line) == 0, "rlimit names");
	return 0;
}
