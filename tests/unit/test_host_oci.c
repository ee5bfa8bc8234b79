/*
 * OCI bundle loading (host/oci.c): every honoured field lands in struct
 * rb_config, and every bad input is refused with a message that names the
 * field and the reason, leaving nothing allocated.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "host/oci.h"

static char bundle[256]; /* a fresh bundle directory with rootfs/ */

static int setup(void **state)
{
	char path[300];

	snprintf(bundle, sizeof(bundle), "/tmp/rb-test-oci-XXXXXX");
	if (mkdtemp(bundle) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/rootfs", bundle);
	return mkdir(path, 0755);
}

static int teardown(void **state)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", bundle);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_config(const char *text)
{
	char path[300];
	FILE *f;

	snprintf(path, sizeof(path), "%s/config.json", bundle);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A valid config with `process_extra` spliced into process and `top_extra` at top level. */
static void write_valid(const char *process_extra, const char *top_extra)
{
	char text[4096];

	snprintf(text, sizeof(text),
		 "{\"ociVersion\": \"1.0.2-dev\",\n"
		 " \"process\": {\"args\": [\"/bin/sh\", \"-c\", \"echo hi\"]%s%s},\n"
		 " \"root\": {\"path\": \"rootfs\"}%s%s}\n",
		 process_extra[0] ? ", " : "", process_extra, top_extra[0] ? ", " : "", top_extra);
	write_config(text);
}

/* Load must fail with -EINVAL (or want_errno) and a message containing `want`. */
static void expect_error(const char *want, int want_errno)
{
	struct rb_config cfg;
	struct rb_err err = {0};
	int rc = host_bundle_load(bundle, &cfg, &err);

	if (rc == 0)
		host_config_free(&cfg);
	assert_int_equal(rc, -want_errno);
	if (strstr(err.msg, want) == NULL)
		fail_msg("error '%s' does not contain '%s'", err.msg, want);
	/* nothing left behind */
	assert_null(cfg.args);
	assert_null(cfg.rootfs);
}

/* Load must succeed (the message is shown if it does not). */
static void load_ok(struct rb_config *cfg)
{
	struct rb_err err = {0};

	if (host_bundle_load(bundle, cfg, &err) != 0)
		fail_msg("host_bundle_load: %s", err.msg);
}

static void test_defaults(void **state)
{
	struct rb_config cfg;
	char real[PATH_MAX], want[PATH_MAX + 16];

	write_valid("", "");
	load_ok(&cfg);
	assert_string_equal(cfg.args[0], "/bin/sh");
	assert_string_equal(cfg.args[2], "echo hi");
	assert_null(cfg.args[3]);
	assert_non_null(cfg.env);
	assert_null(cfg.env[0]);
	assert_string_equal(cfg.cwd, "/");
	assert_int_equal(cfg.umask, 022);
	assert_int_equal(cfg.uid, 0);
	assert_false(cfg.terminal);
	assert_false(cfg.rootfs_readonly);
	assert_null(cfg.hostname);
	assert_int_equal(cfg.n_rlimits, 0);
	assert_non_null(realpath(bundle, real));
	assert_string_equal(cfg.bundle, real);
	snprintf(want, sizeof(want), "%s/rootfs", real);
	assert_string_equal(cfg.rootfs, want);
	assert_null(cfg.id);
	host_config_free(&cfg);
	host_config_free(&cfg); /* twice is harmless */
}

static void test_all_fields(void **state)
{
	struct rb_config cfg;
	char real[PATH_MAX];

	/* root.path absolute and readonly */
	assert_non_null(realpath(bundle, real));
	{
		char text[6144];

		snprintf(text, sizeof(text),
			 "{\"ociVersion\": \"1.2.0\", \"process\": {\"args\": [\"x\"],"
			 " \"env\": [\"PATH=/bin\", \"A=b=c\"], \"cwd\": \"/tmp\", \"terminal\": "
			 "true,"
			 " \"user\": {\"uid\": 1000, \"gid\": 100, \"additionalGids\": [5, 6],"
			 " \"umask\": 63},"
			 " \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 512, \"hard\": "
			 "1024},"
			 " {\"type\": \"RLIMIT_STACK\", \"soft\": 8388608, \"hard\":"
			 " 18446744073709551615}]},"
			 " \"root\": {\"path\": \"%s/rootfs\", \"readonly\": true},"
			 " \"hostname\": \"box\"}",
			 real);
		write_config(text);
	}
	load_ok(&cfg);
	assert_string_equal(cfg.env[0], "PATH=/bin");
	assert_string_equal(cfg.env[1], "A=b=c");
	assert_null(cfg.env[2]);
	assert_string_equal(cfg.cwd, "/tmp");
	assert_true(cfg.terminal);
	assert_int_equal(cfg.uid, 1000);
	assert_int_equal(cfg.gid, 100);
	assert_int_equal(cfg.n_additional_gids, 2);
	assert_int_equal(cfg.additional_gids[1], 6);
	assert_int_equal(cfg.umask, 077);
	assert_string_equal(cfg.hostname, "box");
	assert_true(cfg.rootfs_readonly);
	assert_int_equal(cfg.n_rlimits, 2);
	assert_int_equal(cfg.rlimits[0].resource, 7); /* RLIMIT_NOFILE on arm64 */
	assert_int_equal(cfg.rlimits[0].soft, 512);
	assert_int_equal(cfg.rlimits[0].hard, 1024);
	assert_int_equal(cfg.rlimits[1].resource, 3); /* RLIMIT_STACK */
	assert_int_equal(cfg.rlimits[1].soft, 8388608);
	assert_true(cfg.rlimits[1].hard == UINT64_MAX);
	host_config_free(&cfg);
}

static void test_ignored_fields(void **state)
{
	struct rb_config cfg;

	write_valid("\"capabilities\": {\"bounding\": [\"CAP_KILL\"]}, \"noNewPrivileges\": true,"
		    " \"apparmorProfile\": \"x\", \"selinuxLabel\": \"y\"",
		    "\"mounts\": [{\"destination\": \"/proc\", \"type\": \"proc\"}],"
		    " \"linux\": {\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"network\"},"
		    " {\"type\": \"ipc\"}, {\"type\": \"uts\"}, {\"type\": \"mount\"}],"
		    " \"personality\":"
		    " {\"domain\": \"LINUX\"}},"
		    " \"hooks\": {\"prestart\": []}, \"annotations\": {\"a\": \"b\"},"
		    " \"somethingNew\": 1");
	host_debug_enabled = true; /* the debug lines go to stderr */
	load_ok(&cfg);
	host_debug_enabled = false;
	host_config_free(&cfg);
}

static void test_malformed_json(void **state)
{
	write_config("{\"ociVersion\": \"1.0.2\",\n  \"process\": {\"args\": [\"sh\"]\n}\n");
	expect_error("config.json:4:0: malformed JSON", EINVAL);
	write_config("");
	expect_error("malformed JSON", EINVAL);
	write_config("[1, 2]");
	expect_error("must hold a JSON object", EINVAL);
	write_config("{\"ociVersion\": \"1.0.2\", \"ociVersion\": \"1.0.2\"}");
	expect_error("duplicate object key", EINVAL);
}

static void test_bad_process(void **state)
{
	write_config("{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"}}");
	expect_error("config.json: process: required", EINVAL);
	write_config("{\"ociVersion\": \"1.0.2\", \"process\": {\"cwd\": \"/\"},"
		     " \"root\": {\"path\": \"rootfs\"}}");
	expect_error("config.json: process.args: required", EINVAL);
	write_config("{\"ociVersion\": \"1.0.2\", \"process\": {\"args\": []},"
		     " \"root\": {\"path\": \"rootfs\"}}");
	expect_error("process.args: must be a non-empty array of strings", EINVAL);
	write_config("{\"ociVersion\": \"1.0.2\", \"process\": {\"args\": [\"sh\", 3]},"
		     " \"root\": {\"path\": \"rootfs\"}}");
	expect_error("process.args[1]: must be a string", EINVAL);
	write_config("{\"ociVersion\": \"1.0.2\", \"process\": {\"args\": [\"\"]},"
		     " \"root\": {\"path\": \"rootfs\"}}");
	expect_error("process.args[0]: must not be empty", EINVAL);
	write_config("{\"ociVersion\": \"1.0.2\", \"process\": {\"args\": [\"sh\", \"\"]},"
		     " \"root\": {\"path\": \"rootfs\"}}");
	{
		struct rb_config cfg;

		load_ok(&cfg); /* an empty argument after the first is fine */
		assert_string_equal(cfg.args[1], "");
		host_config_free(&cfg);
	}
	write_valid("\"cwd\": \"tmp\"", "");
	expect_error("process.cwd: \"tmp\": must be an absolute path", EINVAL);
	write_valid("\"env\": [\"PATH=/bin\", \"NOEQUALS\"]", "");
	expect_error("process.env[1]: \"NOEQUALS\": must be KEY=value", EINVAL);
	write_valid("\"terminal\": \"yes\"", "");
	expect_error("process.terminal: must be true or false", EINVAL);
	write_valid("\"user\": {\"uid\": -1}", "");
	expect_error("process.user.uid: must be an integer in 0..4294967295", EINVAL);
	write_valid("\"user\": {\"gid\": 4294967296}", "");
	expect_error("process.user.gid: must be an integer", EINVAL);
	write_valid("\"user\": {\"umask\": 512}", "");
	expect_error("process.user.umask: must be an integer in 0..511", EINVAL);
	write_valid("\"user\": {\"additionalGids\": [1, \"2\"]}", "");
	expect_error("process.user.additionalGids[1]", EINVAL);
	write_valid("\"commandLine\": \"cmd.exe\"", "");
	expect_error("process.commandLine: not supported", EINVAL);
}

static void test_bad_rlimits(void **state)
{
	write_valid("\"rlimits\": [{\"type\": \"RLIMIT_BOGUS\", \"soft\": 1, \"hard\": 1}]", "");
	expect_error("process.rlimits[0].type: \"RLIMIT_BOGUS\": unknown rlimit type", EINVAL);
	write_valid("\"rlimits\": [{\"type\": \"RLIMIT_CPU\", \"soft\": 1, \"hard\": 1},"
		    " {\"type\": \"RLIMIT_CPU\", \"soft\": 1, \"hard\": 1}]",
		    "");
	expect_error("process.rlimits[1].type: \"RLIMIT_CPU\": given twice", EINVAL);
	write_valid("\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 2048, \"hard\": 1024}]",
		    "");
	expect_error("soft limit 2048 is above hard limit 1024", EINVAL);
	write_valid("\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 1}]", "");
	expect_error("process.rlimits[0].hard: required", EINVAL);
}

static void test_resources(void **state)
{
	struct rb_config cfg;

	write_valid("", "\"linux\": {\"resources\": {\"memory\": {\"limit\": 16777217},"
		    " \"pids\": {\"limit\": 7}, \"cpu\": {\"shares\": 512},"
		    " \"devices\": [{\"allow\": false, \"access\": \"rwm\"}]}}");
	load_ok(&cfg);
	assert_int_equal(cfg.mem_limit, 16777216 + 4096); /* whole pages */
	assert_int_equal(cfg.pids_limit, 7);
	assert_int_equal(cfg.cpu_weight, 20); /* runc's conversion of 512 shares */
	host_config_free(&cfg);
	/* unified wins; "max" and -1 are no limit */
	write_valid("", "\"linux\": {\"resources\": {\"memory\": {\"limit\": -1},"
		    " \"pids\": {\"limit\": -1}, \"cpu\": {\"shares\": 1024},"
		    " \"unified\": {\"cpu.weight\": \"300\", \"memory.max\": \"max\","
		    " \"pids.max\": \"9\"}}}");
	load_ok(&cfg);
	assert_int_equal(cfg.mem_limit, 0);
	assert_int_equal(cfg.pids_limit, 9);
	assert_int_equal(cfg.cpu_weight, 300);
	host_config_free(&cfg);
	assert_int_equal(host_cpu_weight_nice(100), 0);
	assert_int_equal(host_cpu_weight_nice(20), 7);
	assert_int_equal(host_cpu_weight_nice(10000), -20);
	assert_int_equal(host_cpu_weight_nice(1), 19);
	write_valid("", "\"linux\": {\"resources\": {\"memory\": {\"limit\": -2}}}");
	expect_error("linux.resources.memory.limit: -2: negative", EINVAL);
	write_valid("", "\"linux\": {\"resources\": {\"memory\": {\"limit\": \"1G\"}}}");
	expect_error("linux.resources.memory.limit: must be an integer", EINVAL);
	write_valid("", "\"linux\": {\"resources\": {\"pids\": {\"limit\": 4194305}}}");
	expect_error("linux.resources.pids.limit: 4194305: out of range", EINVAL);
	write_valid("", "\"linux\": {\"resources\": {\"cpu\": {\"shares\": 262145}}}");
	expect_error("linux.resources.cpu.shares: 262145: out of range", EINVAL);
	write_valid("", "\"linux\": {\"resources\": {\"unified\": {\"pids.max\": 5}}}");
	expect_error("linux.resources.unified.pids.max: must be a string", EINVAL);
	write_valid("", "\"linux\": {\"resources\": [1]}");
	expect_error("config.json: linux.resources: must be an object", EINVAL);
}

static void test_bad_root_and_version(void **state)
{
	char text[1024], real[PATH_MAX], want[PATH_MAX + 64];

	write_config("{\"ociVersion\": \"1.0.2\", \"process\": {\"args\": [\"sh\"]}}");
	expect_error("config.json: root: required", EINVAL);
	write_config("{\"ociVersion\": \"1.0.2\", \"process\": {\"args\": [\"sh\"]},"
		     " \"root\": {\"readonly\": true}}");
	expect_error("root.path: required", EINVAL);
	write_config("{\"ociVersion\": \"1.0.2\", \"process\": {\"args\": [\"sh\"]},"
		     " \"root\": {\"path\": \"nope\"}}");
	assert_non_null(realpath(bundle, real));
	snprintf(want, sizeof(want), "root.path: %s/nope: No such file or directory", real);
	expect_error(want, ENOENT);
	write_config("{\"ociVersion\": \"1.0.2\", \"process\": {\"args\": [\"sh\"]},"
		     " \"root\": {\"path\": \"config.json\"}}");
	expect_error("config.json: Not a directory", ENOTDIR);
	snprintf(text, sizeof(text),
		 "{\"ociVersion\": \"1.0.2\", \"process\": {\"args\": [\"sh\"]},"
		 " \"root\": {\"path\": \"/nonexistent-rb/rootfs\"}}");
	write_config(text);
	expect_error("root.path: /nonexistent-rb/rootfs: No such file or directory", ENOENT);

	write_config("{\"process\": {\"args\": [\"sh\"]}, \"root\": {\"path\": \"rootfs\"}}");
	expect_error("ociVersion: required", EINVAL);
	write_config("{\"ociVersion\": \"2.0.0\", \"process\": {\"args\": [\"sh\"]},"
		     " \"root\": {\"path\": \"rootfs\"}}");
	expect_error("ociVersion: \"2.0.0\": unsupported", EINVAL);
	write_config("{\"ociVersion\": \"1.3.0\", \"process\": {\"args\": [\"sh\"]},"
		     " \"root\": {\"path\": \"rootfs\"}}");
	expect_error("unsupported", EINVAL);
	write_config("{\"ociVersion\": \"banana\", \"process\": {\"args\": [\"sh\"]},"
		     " \"root\": {\"path\": \"rootfs\"}}");
	expect_error("ociVersion: \"banana\": not a version", EINVAL);
}

#define NS5                                                                                        \
	"{\"type\": \"pid\"}, {\"type\": \"network\"}, {\"type\": \"ipc\"}, {\"type\": \"uts\"}, " \
	"{\"type\": \"mount\"}"

/* What a confidential container does not offer: host namespaces, host devices, host files. */
static void test_confidential_refusals(void **state)
{
	struct rb_config cfg;

	(void)state;
	write_valid("", "\"linux\": {\"namespaces\": [" NS5 ", {\"type\": \"user\"}],"
			" \"devices\": [{\"path\": \"/dev/null\"}]},"
			" \"mounts\": [{\"destination\": \"/proc\", \"type\": \"proc\"},"
			" {\"destination\": \"/dev\", \"type\": \"tmpfs\"}]");
	load_ok(&cfg);
	host_config_free(&cfg);
	write_valid("", "\"linux\": {\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"ipc\"},"
			" {\"type\": \"uts\"}, {\"type\": \"mount\"}]}");
	expect_error("linux.namespaces: without a \"network\" entry the container would share "
		     "the host's network namespace: not supported",
		     EINVAL);
	write_valid("", "\"linux\": {\"namespaces\": [" NS5
			", {\"type\": \"ipc\", \"path\": \"/proc/1/ns/ipc\"}]}");
	expect_error("linux.namespaces[5]: ipc: joining an existing namespace (/proc/1/ns/ipc)",
		     EINVAL);
	/* a process of this very program (a pod's sandbox is a realmbox monitor): warned, kept own */
	char ns[256];

	snprintf(ns, sizeof(ns),
		 "\"linux\": {\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"network\","
		 " \"path\": \"/proc/%d/ns/net\"}, {\"type\": \"ipc\"}, {\"type\": \"uts\"},"
		 " {\"type\": \"mount\"}]}",
		 (int)getpid());
	write_valid("", ns);
	load_ok(&cfg);
	host_config_free(&cfg);
	write_valid("", "\"linux\": {\"namespaces\": [" NS5 ", {\"type\": 7}]}");
	expect_error("linux.namespaces[5]: must be an object with a \"type\" string", EINVAL);
	write_valid("", "\"linux\": {\"devices\": [{\"path\": \"/dev/kvm\"}]}");
	expect_error("linux.devices[0]: /dev/kvm: host device nodes are not supported", EINVAL);
	/* bind mounts: kept (measured at create: deploy.h struct rb_mount), normalized */
	write_valid("", "\"mounts\": [{\"destination\": \"//d/./e/\", \"type\": \"bind\","
			" \"source\": \"/etc\"}]");
	load_ok(&cfg);
	assert_int_equal(cfg.n_mounts, 1);
	assert_string_equal(cfg.mounts[0].destination, "/d/e");
	assert_string_equal(cfg.mounts[0].source, "/etc");
	assert_false(cfg.mounts[0].readonly);
	host_config_free(&cfg);
	write_valid("", "\"mounts\": [{\"destination\": \"/d\", \"source\": \"/etc/hostname\","
			" \"options\": [\"ro\", \"bind\"]}, {\"destination\": \"/dev/shm\","
			" \"type\": \"bind\", \"source\": \"/etc\"}]");
	load_ok(&cfg);
	assert_int_equal(cfg.n_mounts, 1); /* /dev/shm: the container OS's own */
	assert_true(cfg.mounts[0].readonly);
	host_config_free(&cfg);
	write_valid("", "\"mounts\": [{\"destination\": \"/\", \"type\": \"bind\","
			" \"source\": \"/etc\"}]");
	expect_error("mounts[0]: destination /: cannot bind-mount over the rootfs", EINVAL);
	write_valid("", "\"mounts\": [{\"destination\": \"/a/../b\", \"type\": \"bind\","
			" \"source\": \"/etc\"}]");
	expect_error("mounts[0]: destination /a/../b: must be an absolute path", EINVAL);
	write_valid("", "\"mounts\": [{\"destination\": \"/a\", \"type\": \"bind\","
			" \"source\": \"/nonexistent/x\"}]");
	expect_error("mounts[0]: source /nonexistent/x: No such file or directory", EINVAL);
	write_valid("", "\"mounts\": [{\"destination\": \"/a\", \"type\": \"bind\"}]");
	expect_error("mounts[0]: a bind mount needs a \"source\" string", EINVAL);
	write_valid("", "\"mounts\": [{\"destination\": \"/d\", \"type\": \"nfs\"}]");
	expect_error("mounts[0]: /d: file system type \"nfs\" not supported", EINVAL);
	write_valid("", "\"mounts\": {}");
	expect_error("mounts: must be an array", EINVAL);
}

static void test_refused_sections(void **state)
{
	write_valid("", "\"hooks\": {\"prestart\": [{\"path\": \"/bin/true\"}]}");
	expect_error("hooks: prestart: not supported (a hook is a host program", EINVAL);
	write_valid("", "\"linux\": {\"personality\": {\"domain\": \"LINUX32\"}}");
	expect_error("linux.personality.domain: \"LINUX32\": not supported", EINVAL);
	write_valid("", "\"windows\": {}");
	expect_error("windows: not supported", EINVAL);
	write_valid("",
		    "\"hostname\": "
		    "\"0123456789012345678901234567890123456789012345678901234567890123456789\"");
	expect_error("hostname: longer than 64", EINVAL);
}

static void test_missing_config(void **state)
{
	struct rb_config cfg;
	struct rb_err err = {0};

	assert_int_equal(host_bundle_load(bundle, &cfg, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "config.json: No such file or directory"));
	assert_int_equal(host_bundle_load("/nonexistent-rb-bundle", &cfg, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "bundle /nonexistent-rb-bundle: No such file"));
}

static void test_names(void **state)
{
	enum rb_isolation iso = RB_ISOLATION_REALM;

	assert_true(host_container_id_valid("a"));
	assert_true(host_container_id_valid("web-1_x.y"));
	assert_false(host_container_id_valid(""));
	assert_false(host_container_id_valid("-a"));
	assert_false(host_container_id_valid(".a"));
	assert_false(host_container_id_valid("a/b"));
	assert_false(host_container_id_valid("a b"));
	assert_false(host_container_id_valid(".."));
	assert_true(host_isolation_parse("none", &iso));
	assert_int_equal(iso, RB_ISOLATION_NONE);
	assert_true(host_isolation_parse("shim", &iso));
	assert_int_equal(iso, RB_ISOLATION_SHIM);
	assert_false(host_isolation_parse("Realm", &iso));
	assert_false(host_isolation_parse("", &iso));
	assert_int_equal(host_rlimit_number("RLIMIT_AS"), 9);
	assert_int_equal(host_rlimit_number("RLIMIT_RTTIME"), 15);
	assert_int_equal(host_rlimit_number("NOFILE"), -1);
	assert_string_equal(host_rlimit_name(7), "RLIMIT_NOFILE");
	assert_null(host_rlimit_name(16));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_all_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ignored_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_process, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_rlimits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resources, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_root_and_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_sections, setup, teardown),
		cmocka_unit_test_setup_teardown(test_confidential_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_config, setup, teardown),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
