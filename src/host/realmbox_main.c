/*
 * The realmbox program: command dispatch. Each command lives in its own
 * file beside this one (demo.c; later run, spec, create, ...); main only
 * picks the command and maps usage errors to exit status 2.
 */
#include <stdio.h>
#include <string.h>

#include "arch/rmi.h"
#include "arch/rsi.h"
#include "host/demo.h"
#include "host/lifecycle.h"
#include "host/machine_keys.h"
#include "host/run.h"
#include "host/spec.h"
#include "host/verify.h"
#include "host/measure.h"

#define REALMBOX_VERSION "0.1.0"

static int cmd_version(int argc, char **argv);
static int cmd_help(int argc, char **argv);

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
} commands[] = {
	{"demo", realmbox_demo, "boot the emulated CCA machine and run one realm's life"},
	{"create", host_cmd_create, "create a container (runc's create: built, not started)"},
	{"start", host_cmd_start, "start a created container"},
	{"state", host_cmd_state, "print a container's OCI state JSON"},
	{"kill", host_cmd_kill, "send a signal to a container's init (default SIGTERM)"},
	{"delete", host_cmd_delete, "delete a stopped (or, with --force, any) container"},
	{"list", host_cmd_list, "list the containers under the runtime root"},
	{"ps", host_cmd_ps, "list a running container's processes"},
	{"exec", host_cmd_exec, "a new process in a running container (isolation none, realm)"},
	{"stats", host_cmd_stats, "a running container's memory, pids and counters (JSON)"},
	{"events", host_cmd_events, "runc's events: --stats prints one stats object (JSON)"},
	{"features", host_cmd_features, "print what the runtime supports (JSON, as runc)"},
	{"run", host_cmd_run, "run a container from an OCI bundle in the foreground"},
	{"spec", host_cmd_spec, "write a default config.json (OCI runtime spec)"},
	{"verify", host_cmd_verify, "verify a CCA attestation token and print its claims"},
	{"measure", host_cmd_measure, "the RIM to expect for a bundle's Container Realm (offline)"},
	{"machine", host_cmd_machine, "machine keys: `machine key` prints the platform public key"},
	{"version", cmd_version, "print the version and the CCA interfaces implemented"},
	{"help", cmd_help, "print this help"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: realmbox [--root DIR] [--log FILE] [--log-format text|json] [--debug]\n"
		   "                [--systemd-cgroup] [--isolation realm|shim|none]\n"
		   "                [--help] [--version] COMMAND [ARGS...]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
}

static int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("realmbox version %s\n", REALMBOX_VERSION);
	printf("spec: Arm CCA RMM v1.0-REL0 (RMI %d.%d, RSI %d.%d)\n", RMI_ABI_VERSION_MAJOR,
	       RMI_ABI_VERSION_MINOR, RSI_ABI_VERSION_MAJOR, RSI_ABI_VERSION_MINOR);
	printf("platform: emulated (plat/emu)\n");
	return 0;
}

static int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	usage(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	/* runc's global options come before the command */
	int first = host_globals_parse(argc, argv);

	if (first < 0)
		return 2;
	argv[first - 1] = argv[0];
	argc -= first - 1;
	argv += first - 1;
	const char *cmd = argc >= 2 ? argv[1] : NULL;

	if (cmd == NULL) {
		usage(stderr);
		return 2;
	}
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0)
		return cmd_help(argc - 1, argv + 1);
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-v") == 0)
		return cmd_version(argc - 1, argv + 1);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(cmd, commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "realmbox: unknown command '%s'\n", cmd);
	usage(stderr);
	return 2;
}
