/*
 * Shared host-side pieces of the deployments (deploy_common.h).
 */
#include "deploy/deploy_common.h"
#include "plat/emu/cpu/cpu.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int deploy_libos_config(const struct rb_config *cfg, const struct rb_manifest *mf,
			struct deploy_libos_config *out)
{
	static char *const empty_env[] = {NULL};
	struct libos_mf_entry *ents = calloc(mf->n ? mf->n : 1, sizeof(*ents));
	unsigned nrl = cfg->n_rlimits < RB_MAX_RLIMITS ? cfg->n_rlimits : RB_MAX_RLIMITS;

	if (!ents)
		return -ENOMEM;
	for (size_t i = 0; i < mf->n; i++) {
		const struct rb_manifest_entry *e = &mf->entries[i];

		ents[i].path = e->path;
		ents[i].type = e->type == RB_MF_DIR       ? LIBOS_MF_DIR
			       : e->type == RB_MF_SYMLINK ? LIBOS_MF_SYMLINK
							  : LIBOS_MF_FILE;
		ents[i].mode = e->mode;
		ents[i].uid = e->uid;
		ents[i].gid = e->gid;
		ents[i].size = e->size;
		ents[i].mtime_sec = e->mtime_sec;
		memcpy(ents[i].sha256, e->sha256, 32);
		ents[i].link_target = e->link_target;
	}
	for (unsigned i = 0; i < nrl; i++) {
		out->rl[i].resource = cfg->rlimits[i].resource;
		out->rl[i].soft = cfg->rlimits[i].soft;
		out->rl[i].hard = cfg->rlimits[i].hard;
	}
	out->ents = ents;
	out->lc = (struct libos_config){
		.args = cfg->args,
		.env = cfg->env ? cfg->env : empty_env,
		.cwd = cfg->cwd ? cfg->cwd : "/",
		.hostname = cfg->hostname ? cfg->hostname : cfg->id,
		.uid = cfg->uid,
		.gid = cfg->gid,
		.umask = cfg->umask,
		.rootfs_readonly = cfg->rootfs_readonly,
		.terminal = cfg->terminal,
		.rlimits = out->rl,
		.n_rlimits = nrl,
		.mf = ents,
		.mf_n = mf->n,
		.groups = cfg->additional_gids,
		.n_groups = cfg->n_additional_gids,
		.mem_limit_pages = cfg->mem_limit / 4096,
		.pids_limit = cfg->pids_limit,
		/*
		 * Shared translation pays in none (and realm: realm_sys.c);
		 * in shim the engine sees a page only after the mini-OS's
		 * fault-time refill, so populating gains nothing there
		 * (src/plat/emu/cpu/README.md).
		 */
		.populate_text = cfg->isolation == RB_ISOLATION_NONE && cpu_engine_shared_code(),
	};
	return 0;
}

int deploy_rootfs_init(struct deploy_rootfs *v, const struct rb_config *cfg, char *errbuf,
		       size_t errlen)
{
	memset(v, 0, sizeof(*v));
	v->rootfd = open(cfg->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	v->live = v->rootfd >= 0;
	if (v->rootfd < 0) {
		int e = errno;

		snprintf(errbuf, errlen, "rootfs %s: %s", cfg->rootfs, strerror(e));
		return -e;
	}
	for (unsigned i = 0; i < cfg->n_mounts && i < RB_MAX_MOUNTS; i++) {
		const struct rb_mount *m = &cfg->mounts[i];
		struct stat st;
		int fd = open(m->source, O_PATH | O_CLOEXEC);

		if (fd < 0 || fstat(fd, &st) < 0 || !(S_ISDIR(st.st_mode) || S_ISREG(st.st_mode))) {
			int e = fd < 0 ? errno : EINVAL;

			snprintf(errbuf, errlen, "mount %s: source %s: %s", m->destination,
				 m->source, fd < 0 ? strerror(e) : "not a directory or a file");
			if (fd >= 0)
				close(fd);
			deploy_rootfs_fini(v);
			return -e;
		}
		v->m[v->n].dest = strdup(m->destination);
		v->m[v->n].fd = fd;
		v->m[v->n].dir = S_ISDIR(st.st_mode);
		if (v->m[v->n].dest == NULL) {
			close(fd);
			deploy_rootfs_fini(v);
			snprintf(errbuf, errlen, "out of memory");
			return -ENOMEM;
		}
		v->n++;
	}
	return 0;
}

void deploy_rootfs_fini(struct deploy_rootfs *v)
{
	if (v->live)
		close(v->rootfd);
	for (unsigned i = 0; i < v->n; i++) {
		close(v->m[i].fd);
		free(v->m[i].dest);
	}
	memset(v, 0, sizeof(*v));
	v->rootfd = -1;
}

bool deploy_rootfs_owns(const struct deploy_rootfs *v, int fd)
{
	if (v->live && fd == v->rootfd)
		return true;
	for (unsigned i = 0; i < v->n; i++)
		if (fd == v->m[i].fd)
			return true;
	return false;
}

static int open_under(int rootfd, const char *path);

int deploy_rootfs_open(const struct deploy_rootfs *v, const char *path)
{
	int best = -1;
	size_t best_len = 0;

	/* the mount whose destination is the longest prefix; the later one of equals */
	for (unsigned i = 0; i < v->n; i++) {
		size_t l = strlen(v->m[i].dest);

		if (strncmp(path, v->m[i].dest, l) == 0 && (path[l] == '\0' || path[l] == '/') &&
		    l >= best_len) {
			best = (int)i;
			best_len = l;
		}
	}
	if (best < 0)
		return open_under(v->rootfd, path);
	if (v->m[best].dir)
		return open_under(v->m[best].fd, path + best_len);
	if (path[best_len] != '\0')
		return -ENOTDIR;
	char self[64];

	snprintf(self, sizeof(self), "/proc/self/fd/%d", v->m[best].fd);
	int fd = open(self, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	return fd < 0 ? -errno : fd;
}

/* Open the regular file at path beneath rootfd without leaving it. */
static int open_under(int rootfd, const char *path)
{
	while (*path == '/')
		path++;
	if (!*path)
		return -ENOENT;
	struct open_how how = {.flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW,
			       .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS |
					  RESOLVE_NO_SYMLINKS};
	long fd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	if (fd < 0 && errno == ENOSYS) {
		/* older kernels: walk the components, refusing symlinks and ".." */
		char buf[4096];
		snprintf(buf, sizeof(buf), "%s", path);
		int dir = dup(rootfd);
		char *save, *comp = strtok_r(buf, "/", &save);
		while (comp && dir >= 0) {
			char *next = strtok_r(NULL, "/", &save);
			if (strcmp(comp, "..") == 0) {
				close(dir);
				return -EACCES;
			}
			int nfd = openat(dir, comp,
					 (next ? O_PATH | O_DIRECTORY : O_RDONLY) | O_NOFOLLOW |
						 O_CLOEXEC);
			close(dir);
			dir = nfd;
			comp = next;
		}
		fd = dir;
	}
	return fd < 0 ? -errno : (int)fd;
}

long deploy_console_write(int fd, const void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(fd, (const char *)buf + done, len - done);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return done ? (long)done : -errno;
		}
		done += (size_t)n;
	}
	return (long)done;
}

long deploy_console_read_nb(int fd, void *buf, size_t len)
{
	struct pollfd p = {fd, POLLIN, 0};
	int r = poll(&p, 1, 0);

	if (r < 0 && errno != EINTR)
		return -errno;
	if (r <= 0)
		return -EAGAIN;
	ssize_t n = read(fd, buf, len);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return -EAGAIN;
	return n < 0 ? -errno : n;
}

void deploy_random(void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t r = getrandom(p, len, 0);
		if (r <= 0)
			continue;
		p += r;
		len -= (size_t)r;
	}
}

static int (*start_gate)(void *arg);
static void *start_gate_arg;

void deploy_set_start_gate(int (*gate)(void *arg), void *arg)
{
	start_gate = gate;
	start_gate_arg = arg;
}

int deploy_start_gate_pass(char *errbuf, size_t errlen)
{
	int r;

	if (start_gate == NULL)
		return 0;
	r = start_gate(start_gate_arg);
	if (r < 0 && errbuf && errlen)
		snprintf(errbuf, errlen, "the container was not started: %s", strerror(-r));
	return r < 0 ? r : 0;
}

int deploy_exec_slot_take(int pids[DEPLOY_EXEC_SLOTS], char *errbuf, size_t errlen)
{
	for (int i = 0; i < DEPLOY_EXEC_SLOTS; i++) {
		if (pids[i] == 0) {
			pids[i] = -1;
			return i;
		}
	}
	if (errbuf && errlen)
		snprintf(errbuf, errlen, "too many exec sessions at once (%d)", DEPLOY_EXEC_SLOTS);
	return -EAGAIN;
}

int deploy_exec_slot_find(const int pids[DEPLOY_EXEC_SLOTS], int pid)
{
	for (int i = 0; pid > 0 && i < DEPLOY_EXEC_SLOTS; i++)
		if (pids[i] == pid)
			return i;
	return -1;
}

int deploy_exec_session_open(int pids[DEPLOY_EXEC_SLOTS], int xfds[LIBOS_CONSOLE_MAX],
			     const int fds[3], char *errbuf, size_t errlen)
{
	int slot = deploy_exec_slot_take(pids, errbuf, errlen);

	for (int k = 0; slot >= 0 && k < 3; k++)
		__atomic_store_n(&xfds[DEPLOY_EXEC_CONSOLE(slot) + k], fds[k], __ATOMIC_RELAXED);
	return slot;
}

void deploy_exec_session_close(int pids[DEPLOY_EXEC_SLOTS], int xfds[LIBOS_CONSOLE_MAX], int slot)
{
	pids[slot] = 0;
	for (int k = 0; k < 3; k++)
		__atomic_store_n(&xfds[DEPLOY_EXEC_CONSOLE(slot) + k], -1, __ATOMIC_RELAXED);
}

struct libos_spawn_req deploy_exec_spawn_req(const struct rb_exec_req *req, int slot)
{
	struct libos_spawn_req sr = {
		.args = req->args,
		.env = req->env,
		.cwd = req->cwd,
		.uid = req->uid,
		.gid = req->gid,
		.console_base = DEPLOY_EXEC_CONSOLE(slot),
		.terminal = req->terminal,
		.rows = req->rows,
		.cols = req->cols,
	};

	return sr;
}
