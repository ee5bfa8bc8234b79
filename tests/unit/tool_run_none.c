/*
 * tool_run_none ROOTFS [--] ARGS...: run ARGS in a container on ROOTFS with
 * the `none` deployment (no protection), the way `realmbox run
 * --isolation none` will. Builds a minimal rb_config and a manifest of the
 * rootfs (a directory walk with SHA-256 of every file), calls deploy_run and
 * exits with the container's status. Options (before ROOTFS):
 *   -e VAR=VAL   add an environment variable (default: PATH, HOME=/root)
 *   -w DIR       working directory in the container (default /)
 *   -r           read-only rootfs
 *   -s           print statistics to stderr at the end
 *   -t           print the start-to-exit time of deploy_run to stderr, with
 *                the vCPU pool built beforehand (as a daemon keeps it)
 *   -n N         run the container N times (with -t: each one timed)
 *   -k SIG:MS    send signal SIG to the container's init after MS ms (deploy_kill)
 * Environment: REALMBOX_ENOSYS_REPORT=FILE appends the ENOSYS calls seen.
 */
#include <dirent.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "deploy/deploy.h"
#include "deploy/none.h"
#include "lib/hash.h"

struct mvec {
	struct rb_manifest_entry *e;
	size_t n, cap;
};

static void add(struct mvec *v, struct rb_manifest_entry *e)
{
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 256;
		v->e = realloc(v->e, v->cap * sizeof(*v->e));
		if (!v->e) {
			perror("realloc");
			exit(125);
		}
	}
	v->e[v->n++] = *e;
}

static void mvec_free(struct mvec *v)
{
	for (size_t i = 0; i < v->n; i++) {
		if (strcmp(v->e[i].path, "/") != 0)
			free(v->e[i].path);
		free(v->e[i].link_target);
	}
	free(v->e);
}

static int hash_file(const char *path, uint8_t out[32])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct hash_ctx h;
	hash_init(&h, HASH_SHA256);
	static uint8_t buf[1 << 16];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		hash_update(&h, buf, (size_t)n);
	close(fd);
	hash_final(&h, out);
	return n < 0 ? -1 : 0;
}

static void walk(struct mvec *v, const char *root, const char *rel)
{
	char host[8192];
	snprintf(host, sizeof(host), "%s%s", root, rel);
	DIR *d = opendir(host);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		char crel[8192], chost[8192];
		snprintf(crel, sizeof(crel), "%s/%s", strcmp(rel, "/") ? rel : "", de->d_name);
		snprintf(chost, sizeof(chost), "%s%s", root, crel);
		struct stat st;
		if (lstat(chost, &st))
			continue;
		struct rb_manifest_entry e = { 0 };
		e.path = strdup(crel);
		e.mode = st.st_mode;
		e.uid = st.st_uid;
		e.gid = st.st_gid;
		e.mtime_sec = (uint64_t)st.st_mtime;
		if (S_ISDIR(st.st_mode)) {
			e.type = RB_MF_DIR;
			add(v, &e);
			walk(v, root, crel);
		} else if (S_ISLNK(st.st_mode)) {
			char tg[4096];
			ssize_t l = readlink(chost, tg, sizeof(tg) - 1);
			if (l < 0)
				continue;
			tg[l] = 0;
			e.type = RB_MF_SYMLINK;
			e.link_target = strdup(tg);
			e.size = (uint64_t)l;
			hash_buf(HASH_SHA256, tg, (size_t)l, e.sha256);
			add(v, &e);
		} else if (S_ISREG(st.st_mode)) {
			e.type = RB_MF_FILE;
			e.size = (uint64_t)st.st_size;
			if (hash_file(chost, e.sha256))
				continue;
			add(v, &e);
		}
	}
	closedir(d);
}

static int cmp(const void *a, const void *b)
{
	return strcmp(((const struct rb_manifest_entry *)a)->path,
		      ((const struct rb_manifest_entry *)b)->path);
}

static int kill_sig, kill_ms;

static void *killer(void *arg)
{
	usleep((useconds_t)kill_ms * 1000);
	int r = deploy_kill("tool", kill_sig);
	if (r)
		fprintf(stderr, "tool_run_none: deploy_kill: %s\n", strerror(-r));
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	char *env[64];
	int nenv = 0;
	const char *cwd = "/";
	bool ro = false, stats = false, timing = false;
	int repeat = 1;
	int i = 1;
	for (; i < argc && argv[i][0] == '-' && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "-e") && i + 1 < argc && nenv < 62)
			env[nenv++] = argv[++i];
		else if (!strcmp(argv[i], "-w") && i + 1 < argc)
			cwd = argv[++i];
		else if (!strcmp(argv[i], "-r"))
			ro = true;
		else if (!strcmp(argv[i], "-s"))
			stats = true;
		else if (!strcmp(argv[i], "-t"))
			timing = true;
		else if (!strcmp(argv[i], "-k") && i + 1 < argc &&
			 sscanf(argv[++i], "%d:%d", &kill_sig, &kill_ms) == 2)
			;
		else if (!strcmp(argv[i], "-n") && i + 1 < argc)
			repeat = atoi(argv[++i]) > 0 ? atoi(argv[i]) : 1;
		else {
			fprintf(stderr, "usage: %s [-e VAR=VAL] [-w DIR] [-r] [-s] [-t] ROOTFS [--] ARGS...\n",
				argv[0]);
			return 125;
		}
	}
	if (i < argc && !strcmp(argv[i], "--"))
		i++;
	if (i + 1 >= argc + 0 && i >= argc) {
		fprintf(stderr, "usage: %s ROOTFS [--] ARGS...\n", argv[0]);
		return 125;
	}
	char rootfs[4096];
	if (!realpath(argv[i], rootfs)) {
		perror(argv[i]);
		return 125;
	}
	i++;
	if (i < argc && !strcmp(argv[i], "--"))
		i++;
	if (i >= argc) {
		fprintf(stderr, "no program given\n");
		return 125;
	}
	if (nenv == 0) {
		env[nenv++] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
		env[nenv++] = "HOME=/root";
	}
	env[nenv] = NULL;

	struct mvec v = { 0 };
	struct rb_manifest_entry r = { 0 };
	r.path = "/";
	r.type = RB_MF_DIR;
	r.mode = S_IFDIR | 0755;
	add(&v, &r);
	walk(&v, rootfs, "/");
	qsort(v.e, v.n, sizeof(*v.e), cmp);
	struct rb_manifest mf = { v.e, v.n, { 0 } };

	struct rb_config cfg = { 0 };
	cfg.id = "tool";
	cfg.rootfs = rootfs;
	cfg.rootfs_readonly = ro;
	cfg.hostname = "realmbox";
	cfg.args = &argv[i];
	cfg.env = env;
	cfg.cwd = (char *)cwd;
	cfg.umask = 022;
	cfg.isolation = RB_ISOLATION_NONE;
	struct rb_result res;
	char err[512];
	if (timing)
		deploy_none_prepare(2);
	for (int k = 0; k < repeat; k++) {
		pthread_t kt;
		if (kill_sig)
			pthread_create(&kt, NULL, killer, NULL);
		double t0 = now_s();
		int rc = deploy_run(&cfg, &mf, 0, 1, 2, &res, err, sizeof(err));
		double t1 = now_s();
		if (rc) {
			fprintf(stderr, "tool_run_none: %s (%s)\n", err, strerror(-rc));
			mvec_free(&v);
			return rc == -ENOENT ? 127 : rc == -EACCES || rc == -ENOEXEC ? 126 : 125;
		}
		if (timing)
			fprintf(stderr, "run_none: %.3f ms start-to-exit\n", (t1 - t0) * 1e3);
		if (kill_sig)
			pthread_join(kt, NULL);
	}
	if (stats)
		fprintf(stderr, "run_none: status %d, %llu syscalls, %llu ENOSYS\n", res.exit_status,
			(unsigned long long)res.syscalls, (unsigned long long)res.syscalls_enosys);
	mvec_free(&v); /* LeakSanitizer (make SAN=1 test) checks the tool too */
	return res.exit_status;
}
