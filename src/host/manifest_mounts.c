/*
 * The manifest of a container's whole file view (manifest.h,
 * host_manifest_build_config): its rootfs with each bind mount's files
 * (deploy.h struct rb_mount) in place of what the rootfs has at the mount's
 * destination, as the container sees them.
 */
#include "host/manifest.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A growing list of entries (owned). */
struct elist {
	struct rb_manifest_entry *v;
	size_t n, cap;
};

static int push(struct elist *l, struct rb_manifest_entry e)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 256;
		struct rb_manifest_entry *v = realloc(l->v, cap * sizeof(*v));

		if (v == NULL)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = e;
	return 0;
}

static void entry_free(struct rb_manifest_entry *e)
{
	free(e->path);
	free(e->link_target);
}

/* Whether path is dest or beneath it. */
static bool covered(const char *path, const char *dest)
{
	size_t l = strlen(dest);

	return strncmp(path, dest, l) == 0 && (path[l] == '\0' || path[l] == '/');
}

/* A one-entry manifest ("/") of the regular file at path. */
static int file_manifest(const char *path, struct rb_manifest *mf, struct rb_err *err)
{
	uint8_t buf[1 << 14];
	struct rb_manifest_entry *e;
	struct stat st;
	uint64_t total = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK), rc = 0;

	memset(mf, 0, sizeof(*mf));
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = fd < 0 ? rb_err_sys(err, errno, "%s", path)
			    : rb_err_set(err, EINVAL, "%s: not a regular file", path);
		goto out;
	}
	e = calloc(1, sizeof(*e));
	if (e == NULL || (e->path = strdup("/")) == NULL) {
		free(e);
		rc = rb_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	mf->entries = e;
	mf->n = 1;
	e->type = RB_MF_FILE;
	e->mode = (uint32_t)st.st_mode;
	e->uid = (uint32_t)st.st_uid;
	e->gid = (uint32_t)st.st_gid;
	e->mtime_sec = (uint64_t)st.st_mtim.tv_sec;
	if ((rc = host_sha256_fd(fd, buf, sizeof(buf), e->sha256, &total)) < 0)
		rc = rb_err_sys(err, -rc, "%s: read", path);
	e->size = total;
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		host_manifest_free(mf);
	return rc;
}

/*
 * Put part (a manifest of the mount's source) at dest in l: what l had at
 * dest and beneath goes; part's entries come in renamed ("/" -> dest).
 * part's entries are moved (part left empty).
 */
static int graft(struct elist *l, struct rb_manifest *part, const char *dest)
{
	size_t k = 0;

	for (size_t i = 0; i < l->n; i++) {
		if (covered(l->v[i].path, dest))
			entry_free(&l->v[i]);
		else
			l->v[k++] = l->v[i];
	}
	l->n = k;
	for (size_t i = 0; i < part->n; i++) {
		struct rb_manifest_entry e = part->entries[i];
		const char *rest = strcmp(e.path, "/") == 0 ? "" : e.path;
		char *p = malloc(strlen(dest) + strlen(rest) + 1);

		if (p == NULL)
			return -ENOMEM;
		sprintf(p, "%s%s", dest, rest);
		free(e.path);
		e.path = p;
		part->entries[i].path = NULL;
		part->entries[i].link_target = NULL;
		if (push(l, e) < 0) {
			entry_free(&e);
			return -ENOMEM;
		}
	}
	host_manifest_free(part);
	return 0;
}

/* The directories above dest that the rootfs lacks, as runc makes them (0755, root). */
static int parents(struct elist *l, const char *dest, struct rb_err *err)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s", dest);
	for (char *s = strrchr(p, '/'); s && s != p; s = strrchr(p, '/')) {
		*s = '\0';
		const struct rb_manifest_entry *have = NULL;

		for (size_t i = 0; i < l->n && !have; i++)
			if (strcmp(l->v[i].path, p) == 0)
				have = &l->v[i];
		if (have && have->type != RB_MF_DIR)
			return rb_err_set(err, ENOTDIR,
					  "bind mount %s: %s in the rootfs is not a directory", dest,
					  p);
		if (have)
			continue;
		struct rb_manifest_entry e = {.type = RB_MF_DIR, .mode = 040755};

		if ((e.path = strdup(p)) == NULL || push(l, e) < 0) {
			free(e.path);
			return rb_err_set(err, ENOMEM, "out of memory");
		}
	}
	return 0;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct rb_manifest_entry *)a)->path,
		      ((const struct rb_manifest_entry *)b)->path);
}

int host_manifest_build_config(const struct rb_config *cfg, bool cached, struct rb_manifest *mf,
			       struct rb_err *err)
{
	struct elist l = {0};
	struct rb_manifest base;
	int rc;

	rc = cached ? host_manifest_build_for_start(cfg->rootfs, &base, err)
		    : host_manifest_build(cfg->rootfs, &base, err);
	if (rc < 0 || cfg->n_mounts == 0) {
		*mf = base;
		return rc;
	}
	l.v = base.entries;
	l.n = l.cap = base.n;
	for (unsigned i = 0; i < cfg->n_mounts; i++) {
		const struct rb_mount *m = &cfg->mounts[i];
		struct rb_manifest part;
		struct stat st;

		if (stat(m->source, &st) < 0) {
			rc = rb_err_sys(err, errno, "bind mount %s: source %s", m->destination,
					m->source);
			goto out;
		}
		rc = S_ISDIR(st.st_mode)
			     ? (cached ? host_manifest_build_for_start(m->source, &part, err)
				       : host_manifest_build(m->source, &part, err))
			     : file_manifest(m->source, &part, err);
		if (rc < 0) {
			rb_err_wrap(err, "bind mount %s", m->destination);
			goto out;
		}
		if (graft(&l, &part, m->destination) < 0) {
			host_manifest_free(&part);
			rc = rb_err_set(err, ENOMEM, "out of memory");
			goto out;
		}
		if ((rc = parents(&l, m->destination, err)) < 0)
			goto out;
	}
	qsort(l.v, l.n, sizeof(*l.v), cmp_entry);
	mf->entries = l.v;
	mf->n = l.n;
	return host_manifest_digest(mf, mf->digest);
out:
	mf->entries = l.v;
	mf->n = l.n;
	host_manifest_free(mf);
	return rc;
}
