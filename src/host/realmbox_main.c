/*
 * The realmbox program: command dispatch. Each command lives in its own
 * file beside this one (demo.c; later run, spec, create, ...); main only
 * picks the command and maps usage errors to exit status 2.
 */
#include <stdio.h>
#include <string.h>

#include "arch/rmi.h"
#include "arch/rsi.h"
#include "host/cli_util.h"
#include "host/daemon.h"
#include "host/demo.h"
#include "host/lifecycle.h"
#include "host/machine_keys.h"
#include "host/measure.h"
#include "host/run.h"
#include "host/spec.h"
#include "host/verify.h"

#define REALMBOX_VERSION "0.1.0"

static int cmd_version(int argc, char **argv);
static int cmd_help(int argc, char **argv);
static int cmd_unsupported(int argc, char **argv);

/*
 * The commands. synopsis: what `realmbox CMD --help` prints, for commands
 * that do not print their own help (NULL: the command does).
 */
static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
	const char *synopsis;
} commands[] = {
	{"demo", realmbox_demo, "boot the emulated CCA machine and run one realm's life", NULL},
	{"daemon", host_cmd_daemon,
	 "serve the root's realm machine (started on demand; foreground here)",
	 "daemon [--idle-exit SECONDS]"},
	{"create", host_cmd_create, "create a container (runc's create: built, not started)", NULL},
	{"start", host_cmd_start, "start a created container", "start ID"},
	{"state", host_cmd_state, "print a container's OCI state JSON", "state ID"},
	{"kill", host_cmd_kill, "send a signal to a container's init (default SIGTERM)",
	 "kill [--all|-a] ID [SIGNAL]   (SIGNAL: a name, with or without SIG, or a number)"},
	{"delete", host_cmd_delete, "delete a stopped (or, with --force, any) container",
	 "delete [--force|-f] ID"},
	{"list", host_cmd_list, "list the containers under the runtime root",
	 "list [--format|-f table|json] [--quiet|-q]"},
	{"ps", host_cmd_ps, "list a running container's processes",
	 "ps [--format|-f table|json] ID"},
	{"exec", host_cmd_exec, "a new process in a running container (isolation none, realm)",
	 "exec [--tty|-t] [--env|-e K=V]... [--cwd DIR] [--user UID[:GID]] [--detach|-d]\n"
	 "                     [--pid-file FILE] [--console-socket SOCK] [--process FILE] ID "
	 "[CMD ARGS...]"},
	{"pause", host_cmd_pause, "stop a running container's machine (its monitor: SIGSTOP)",
	 "pause ID"},
	{"resume", host_cmd_resume, "let a paused container go on", "resume ID"},
	{"stats", host_cmd_stats, "a running container's memory, pids and counters (JSON)",
	 "stats ID"},
	{"events", host_cmd_events, "runc's events: --stats prints one stats object (JSON)", NULL},
	{"features", host_cmd_features, "print what the runtime supports (JSON, as runc)",
	 "features"},
	{"run", host_cmd_run, "run a container from an OCI bundle in the foreground", NULL},
	{"spec", host_cmd_spec, "write a default config.json (OCI runtime spec)", NULL},
	{"attest", host_cmd_attest, "a running Container Realm's CCA attestation token",
	 "attest ID [--challenge|-c HEX] [--output|-o FILE|-]\n"
	 "  HEX: 1 to 64 bytes, zero-padded (default: random, printed on stderr); the\n"
	 "  container's config.json must carry the annotation org.realmbox.attest: \"allow\""},
	{"verify", host_cmd_verify, "verify a CCA attestation token and print its claims", NULL},
	{"measure", host_cmd_measure, "the RIM to expect for a bundle's Container Realm (offline)",
	 NULL},
	{"machine", host_cmd_machine, "machine keys: `machine key` prints the platform public key",
	 NULL},
	/* runc's commands realmbox does not have: they fail saying so (exit 1), not as unknown */
	{"checkpoint", cmd_unsupported,
	 "not supported: saving a container's machine is not implemented (a realm's "
	 "memory must not leave it)",
	 NULL},
	{"restore", cmd_unsupported, "not supported: there are no checkpoints to restore", NULL},
	{"update", cmd_unsupported,
	 "not supported: a container's resources are fixed when it is created", NULL},
	{"version", cmd_version, "print the version and the CCA interfaces implemented", NULL},
	{"help", cmd_help, "print this help", NULL},
};

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(name, commands[i].name) == 0)
			return &commands[i];
	return NULL;
}

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

/* pause, resume, ...: "realmbox: pause: not supported: why" (and in the log), exit 1 */
static int cmd_unsupported(int argc, char **argv)
{
	(void)argc;
	return host_cli_fail(argv[0], "%s", find_command(argv[0])->help);
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
	const struct command *c = find_command(cmd);

	if (c != NULL) {
		if (c->synopsis && argc >= 3 &&
		    (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0)) {
			printf("usage: realmbox [GLOBAL OPTIONS] %s\n\n%s\n", c->synopsis, c->help);
			return 0;
		}
		return c->fn(argc - 1, argv + 1);
	}
	fprintf(stderr, "realmbox: unknown command '%s'\n", cmd);
	usage(stderr);
	return 2;
}
