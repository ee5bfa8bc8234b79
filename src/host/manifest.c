/*
 * The rootfs manifest: a walk of the rootfs that never follows a symlink,
 * SHA-256 of every file (mbedTLS), entries sorted by path and a digest over
 * the canonical serialization documented in manifest.h.
 */
#include "host/manifest.h"
#include "host/machine_keys.h"
#include "host/manifest_cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mbedtls/sha256.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MF_MAX_DEPTH 256	   /* deeper trees are refused */
#define MF_READ_CHUNK (256u << 10) /* file read size while hashing */
#define MF_MAX_THREADS 8	   /* hashing threads at most */

/* A regular file seen by the walk, hashed afterwards (in parallel). */
struct pending {
	size_t idx; /* into walk.v */
	dev_t dev;
	ino_t ino;
	struct mf_stamp st; /* as hashed */
	bool cached;	    /* its digest came from the cache */
	bool settled;	    /* what was hashed is the file as stamped: cacheable */
};

struct walk {
	const char *rootfs;
	int rootfd;
	struct rb_manifest_entry *v;
	size_t n, cap;
	struct pending *files;
	size_t nfiles, capfiles;
	struct rb_err *err;
	const struct mf_cache *cache; /* digests of unchanged files (may be empty) */
	/* hashing phase */
	pthread_mutex_t lock;
	size_t next; /* next pending file to hash */
	int rc;	     /* first error */
};

static struct rb_manifest_entry *new_entry(struct walk *w, const char *path)
{
	struct rb_manifest_entry *e;

	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 256;
		struct rb_manifest_entry *v = realloc(w->v, cap * sizeof(*v));

		if (v == NULL)
			return NULL;
		w->v = v;
		w->cap = cap;
	}
	e = &w->v[w->n];
	memset(e, 0, sizeof(*e));
	e->path = strdup(path);
	if (e->path == NULL)
		return NULL;
	w->n++;
	return e;
}

static void fill_meta(struct rb_manifest_entry *e, const struct stat *st)
{
	e->mode = (uint32_t)st->st_mode;
	e->uid = (uint32_t)st->st_uid;
	e->gid = (uint32_t)st->st_gid;
	e->mtime_sec = (uint64_t)st->st_mtim.tv_sec;
}

/*
 * Hash one file found by the walk: reopened beneath the rootfs without
 * following a final symlink and checked to be the very inode the walk saw
 * (so a path swapped since, even through a symlinked parent, is caught).
 * O_NONBLOCK: a FIFO put in its place must not block us.
 */
static int hash_file(struct walk *w, struct pending *pf, uint8_t *buf)
{
	struct rb_manifest_entry *e = &w->v[pf->idx];
	const char *path = e->path;
	struct stat st;
	uint64_t total = 0;
	int fd, rc = 0;

	fd = openat(w->rootfd, path + 1, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return rb_err_sys(w->err, errno, "%s%s", w->rootfs, path);
	if (fstat(fd, &st) < 0) {
		rc = rb_err_sys(w->err, errno, "%s%s", w->rootfs, path);
		goto out;
	}
	if (st.st_ino != pf->ino || st.st_dev != pf->dev || !S_ISREG(st.st_mode)) {
		rc = rb_err_set(w->err, EAGAIN, "%s%s: changed while the manifest was built",
				w->rootfs, path);
		goto out;
	}
	fill_meta(e, &st);
	mf_stamp_of(&st, &pf->st);
	if (w->cache != NULL && mf_cache_find(w->cache, path, &pf->st, e->sha256)) {
		e->size = pf->st.size;
		pf->cached = pf->settled = true;
		goto out;
	}
	if ((rc = host_sha256_fd(fd, buf, MF_READ_CHUNK, e->sha256, &total)) < 0)
		rc = rb_err_sys(w->err, -rc, "%s%s: read", w->rootfs, path);
	/* Size is what was hashed: a file growing under us cannot pass a stale size. */
	e->size = total;
	pf->settled = rc == 0 && total == pf->st.size;
out:
	close(fd);
	return rc;
}

/* One hashing thread: takes the next pending file until none is left or one failed. */
static void *hash_worker(void *arg)
{
	struct walk *w = arg;
	uint8_t *buf = malloc(MF_READ_CHUNK);
	struct rb_err local = {0};
	struct rb_err *shared = w->err;

	for (;;) {
		size_t k;
		int rc;

		pthread_mutex_lock(&w->lock);
		if (buf == NULL && w->rc == 0) {
			w->rc = rb_err_set(shared, ENOMEM, "out of memory");
		}
		k = w->next++;
		if (w->rc < 0 || k >= w->nfiles) {
			pthread_mutex_unlock(&w->lock);
			break;
		}
		pthread_mutex_unlock(&w->lock);
		/* errors go to a private rb_err first: threads must not share one buffer */
		{
			struct walk mine = *w;

			mine.err = &local;
			rc = hash_file(&mine, &w->files[k], buf);
		}
		if (rc < 0) {
			pthread_mutex_lock(&w->lock);
			if (w->rc == 0) {
				w->rc = rc;
				if (shared != NULL)
					*shared = local;
			}
			pthread_mutex_unlock(&w->lock);
			break;
		}
	}
	free(buf);
	return NULL;
}

/* Hash every pending file with up to MF_MAX_THREADS threads (one per CPU). */
static int hash_all(struct walk *w)
{
	pthread_t tid[MF_MAX_THREADS];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned n = cpus < 1 ? 1 : cpus > MF_MAX_THREADS ? MF_MAX_THREADS : (unsigned)cpus;
	unsigned started = 0;

	if (w->nfiles < 8 * n)
		n = 1; /* a handful of files: not worth a thread */
	pthread_mutex_init(&w->lock, NULL);
	w->next = 0;
	w->rc = 0;
	for (unsigned i = 1; i < n; i++) {
		if (pthread_create(&tid[started], NULL, hash_worker, w) != 0)
			break;
		started++;
	}
	hash_worker(w);
	for (unsigned i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	pthread_mutex_destroy(&w->lock);
	return w->rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read every name of the directory open at dirfd (which stays open), sorted. */
static int list_dir(struct walk *w, int dirfd, const char *path, char ***names, size_t *count)
{
	int dupfd = dup(dirfd);
	DIR *d;
	struct dirent *de;
	char **v = NULL;
	size_t n = 0, cap = 0;

	if (dupfd < 0)
		return rb_err_sys(w->err, errno, "%s%s", w->rootfs, path);
	d = fdopendir(dupfd);
	if (d == NULL) {
		close(dupfd);
		return rb_err_sys(w->err, errno, "%s%s", w->rootfs, path);
	}
	rewinddir(d);
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (de == NULL)
			break;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 32;
			char **nv = realloc(v, ncap * sizeof(*nv));

			if (nv == NULL)
				goto nomem;
			v = nv;
			cap = ncap;
		}
		v[n] = strdup(de->d_name);
		if (v[n] == NULL)
			goto nomem;
		n++;
	}
	if (errno != 0) {
		int e = errno;

		closedir(d);
		for (size_t i = 0; i < n; i++)
			free(v[i]);
		free(v);
		return rb_err_sys(w->err, e, "%s%s: readdir", w->rootfs, path);
	}
	closedir(d);
	if (n > 1)
		qsort(v, n, sizeof(*v), cmp_str);
	*names = v;
	*count = n;
	return 0;
nomem:
	closedir(d);
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
	return rb_err_set(w->err, ENOMEM, "out of memory");
}

/* Remember the file just added (the last entry) for the hashing phase. */
static int add_pending(struct walk *w, const struct stat *st)
{
	if (w->nfiles == w->capfiles) {
		size_t cap = w->capfiles ? w->capfiles * 2 : 256;
		struct pending *v = realloc(w->files, cap * sizeof(*v));

		if (v == NULL)
			return rb_err_set(w->err, ENOMEM, "out of memory");
		w->files = v;
		w->capfiles = cap;
	}
	memset(&w->files[w->nfiles], 0, sizeof(w->files[w->nfiles]));
	w->files[w->nfiles].idx = w->n - 1;
	w->files[w->nfiles].dev = st->st_dev;
	w->files[w->nfiles].ino = st->st_ino;
	w->nfiles++;
	return 0;
}

/* Record the directory open at dirfd (container path `path`) and everything under it. */
static int walk_dir(struct walk *w, int dirfd, const char *path, unsigned depth)
{
	char **names = NULL;
	size_t count = 0, i;
	int rc;

	if (depth > MF_MAX_DEPTH)
		return rb_err_set(w->err, ELOOP, "%s%s: deeper than %d levels", w->rootfs, path,
				  MF_MAX_DEPTH);
	rc = list_dir(w, dirfd, path, &names, &count);
	if (rc < 0)
		return rc;
	for (i = 0; i < count && rc == 0; i++) {
		char child[PATH_MAX];
		struct rb_manifest_entry *e;
		struct stat st;
		int n;

		n = snprintf(child, sizeof(child), "%s/%s", strcmp(path, "/") == 0 ? "" : path,
			     names[i]);
		if (n < 0 || (size_t)n >= sizeof(child)) {
			rc = rb_err_set(w->err, ENAMETOOLONG, "%s%s/%s: path too long", w->rootfs,
					path, names[i]);
			break;
		}
		if (fstatat(dirfd, names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
			rc = rb_err_sys(w->err, errno, "%s%s", w->rootfs, child);
			break;
		}
		if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode)) {
			host_debug("manifest: %s: %s skipped", child,
				   S_ISCHR(st.st_mode)	  ? "character device"
				   : S_ISBLK(st.st_mode)  ? "block device"
				   : S_ISFIFO(st.st_mode) ? "FIFO"
				   : S_ISSOCK(st.st_mode) ? "socket"
							  : "special file");
			continue;
		}
		e = new_entry(w, child);
		if (e == NULL) {
			rc = rb_err_set(w->err, ENOMEM, "out of memory");
			break;
		}
		if (S_ISREG(st.st_mode)) {
			e->type = RB_MF_FILE;
			fill_meta(e, &st);
			rc = add_pending(w, &st);
		} else if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t len = readlinkat(dirfd, names[i], target, sizeof(target));

			e->type = RB_MF_SYMLINK;
			fill_meta(e, &st);
			if (len < 0) {
				rc = rb_err_sys(w->err, errno, "%s%s", w->rootfs, child);
				break;
			}
			if ((size_t)len >= sizeof(target)) {
				rc = rb_err_set(w->err, ENAMETOOLONG, "%s%s: link target too long",
						w->rootfs, child);
				break;
			}
			e->link_target = strndup(target, (size_t)len);
			if (e->link_target == NULL) {
				rc = rb_err_set(w->err, ENOMEM, "out of memory");
				break;
			}
			e->size = (uint64_t)len;
			(void)mbedtls_sha256_ret((const unsigned char *)target, (size_t)len,
						 e->sha256, 0);
		} else {
			int sub = openat(dirfd, names[i],
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			e->type = RB_MF_DIR;
			fill_meta(e, &st);
			if (sub < 0) {
				rc = rb_err_sys(w->err, errno, "%s%s", w->rootfs, child);
				break;
			}
			rc = walk_dir(w, sub, child, depth + 1);
			close(sub);
		}
	}
	for (i = 0; i < count; i++)
		free(names[i]);
	free(names);
	return rc;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct rb_manifest_entry *)a)->path,
		      ((const struct rb_manifest_entry *)b)->path);
}

/* ---- Serialization --------------------------------------------------------- */

/* Where serialized bytes go: a growing buffer or a running hash. */
struct sink {
	mbedtls_sha256_context *hash;
	uint8_t *buf;
	size_t len, cap;
	bool failed;
};

static void put(struct sink *s, const void *p, size_t n)
{
	if (s->hash != NULL) {
		(void)mbedtls_sha256_update_ret(s->hash, p, n);
		return;
	}
	if (s->failed)
		return;
	if (s->len + n > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		uint8_t *nb;

		while (cap < s->len + n)
			cap *= 2;
		nb = realloc(s->buf, cap);
		if (nb == NULL) {
			s->failed = true;
			return;
		}
		s->buf = nb;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
}

static void put_le(struct sink *s, uint64_t v, unsigned bytes)
{
	uint8_t b[8];

	for (unsigned i = 0; i < bytes; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	put(s, b, bytes);
}

static void serialize(const struct rb_manifest *mf, struct sink *s)
{
	static const uint8_t zero[32];

	put(s, RB_MANIFEST_MAGIC, sizeof(RB_MANIFEST_MAGIC)); /* with its NUL */
	put_le(s, mf->n, 8);
	for (size_t i = 0; i < mf->n; i++) {
		const struct rb_manifest_entry *e = &mf->entries[i];
		const char *t = e->type == RB_MF_SYMLINK && e->link_target ? e->link_target : "";

		put(s, e->path, strlen(e->path) + 1);
		put_le(s, (uint64_t)e->type, 1);
		put_le(s, e->mode, 4);
		put_le(s, e->uid, 4);
		put_le(s, e->gid, 4);
		put_le(s, e->type == RB_MF_DIR ? 0 : e->size, 8);
		put(s, e->type == RB_MF_DIR ? zero : e->sha256, 32);
		put(s, t, strlen(t) + 1);
	}
}

int host_manifest_serialize(const struct rb_manifest *mf, uint8_t **buf, size_t *len)
{
	struct sink s = {0};

	serialize(mf, &s);
	if (s.failed) {
		free(s.buf);
		return -ENOMEM;
	}
	*buf = s.buf;
	*len = s.len;
	return 0;
}

int host_manifest_digest(const struct rb_manifest *mf, uint8_t out[32])
{
	mbedtls_sha256_context ctx;
	struct sink s = {.hash = &ctx};

	mbedtls_sha256_init(&ctx);
	(void)mbedtls_sha256_starts_ret(&ctx, 0);
	serialize(mf, &s);
	(void)mbedtls_sha256_finish_ret(&ctx, out);
	mbedtls_sha256_free(&ctx);
	return 0;
}

void host_hex32(const uint8_t in[32], char out[65])
{
	static const char hx[] = "0123456789abcdef";

	for (int i = 0; i < 32; i++) {
		out[2 * i] = hx[in[i] >> 4];
		out[2 * i + 1] = hx[in[i] & 15];
	}
	out[64] = '\0';
}

/* ---- Entry points ------------------------------------------------------------ */

int host_sha256_fd(int fd, uint8_t *buf, size_t bufsz, uint8_t out[32], uint64_t *total)
{
	mbedtls_sha256_context ctx;
	int rc = 0;

	*total = 0;
	mbedtls_sha256_init(&ctx);
	(void)mbedtls_sha256_starts_ret(&ctx, 0);
	for (;;) {
		ssize_t got = read(fd, buf, bufsz);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = -errno;
			break;
		}
		if (got == 0)
			break;
		(void)mbedtls_sha256_update_ret(&ctx, buf, (size_t)got);
		*total += (uint64_t)got;
	}
	(void)mbedtls_sha256_finish_ret(&ctx, out);
	mbedtls_sha256_free(&ctx);
	return rc;
}

void host_manifest_free(struct rb_manifest *mf)
{
	if (mf == NULL)
		return;
	for (size_t i = 0; i < mf->n; i++) {
		free(mf->entries[i].path);
		free(mf->entries[i].link_target);
	}
	free(mf->entries);
	memset(mf, 0, sizeof(*mf));
}

/* Keep the digests of this build's files for the next one (failures only logged). */
static void cache_update(const struct walk *w, const char *cache_dir)
{
	struct mf_cache_rec *recs = calloc(w->nfiles ? w->nfiles : 1, sizeof(*recs));
	size_t n = 0;
	int rc;

	if (recs == NULL)
		return;
	for (size_t i = 0; i < w->nfiles; i++) {
		const struct pending *pf = &w->files[i];

		if (!pf->settled)
			continue;
		recs[n].path = w->v[pf->idx].path;
		recs[n].st = pf->st;
		memcpy(recs[n].sha256, w->v[pf->idx].sha256, 32);
		n++;
	}
	rc = mf_cache_store(cache_dir, w->rootfs, recs, n);
	if (rc < 0)
		host_debug("manifest cache of %s in %s not stored: %s", w->rootfs, cache_dir,
			   strerror(-rc));
	free(recs);
}

int host_manifest_build(const char *rootfs, struct rb_manifest *mf, struct rb_err *err)
{
	return host_manifest_build_cached(rootfs, NULL, mf, NULL, err);
}

int host_manifest_build_cached(const char *rootfs, const char *cache_dir, struct rb_manifest *mf,
			       struct rb_manifest_build_stats *stats, struct rb_err *err)
{
	struct walk w = {.rootfs = rootfs, .err = err};
	struct mf_cache cache = {0};
	struct rb_manifest_entry *e;
	struct stat st;
	int fd, rc;

	memset(mf, 0, sizeof(*mf));
	if (stats != NULL)
		memset(stats, 0, sizeof(*stats));
	if (cache_dir != NULL && mf_cache_load(cache_dir, rootfs, &cache) < 0) {
		rc = rb_err_set(err, ENOMEM, "out of memory");
		fd = -1;
		goto out;
	}
	w.cache = &cache;
	fd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	w.rootfd = fd;
	if (fd < 0 || fstat(fd, &st) < 0) {
		rc = rb_err_sys(err, errno, "%s", rootfs);
		goto out;
	}
	e = new_entry(&w, "/");
	if (e == NULL) {
		rc = rb_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	e->type = RB_MF_DIR;
	fill_meta(e, &st);
	rc = walk_dir(&w, fd, "/", 0);
	if (rc == 0)
		rc = hash_all(&w);
	if (rc == 0 && cache_dir != NULL)
		cache_update(&w, cache_dir);
	for (size_t i = 0; rc == 0 && stats != NULL && i < w.nfiles; i++) {
		if (w.files[i].cached)
			stats->cached++;
		else
			stats->hashed++;
	}
out:
	if (fd >= 0)
		close(fd);
	mf_cache_free(&cache);
	free(w.files);
	mf->entries = w.v;
	mf->n = w.n;
	if (rc < 0) {
		host_manifest_free(mf);
		return rc;
	}
	qsort(mf->entries, mf->n, sizeof(*mf->entries), cmp_entry);
	return host_manifest_digest(mf, mf->digest);
}

int host_manifest_build_for_start(const char *rootfs, struct rb_manifest *mf, struct rb_err *err)
{
	struct rb_manifest_build_stats stats;
	struct rb_err rerr = {0};
	const char *off = getenv("REALMBOX_MANIFEST_CACHE");
	char dir[PATH_MAX];
	int rc;

	if ((off && strcmp(off, "0") == 0) ||
	    host_runtime_root(getenv("REALMBOX_ROOT"), dir, sizeof(dir) - 16, &rerr) < 0)
		return host_manifest_build(rootfs, mf, err);
	strcat(dir, "/.manifest-cache"); /* a dot: no container id can name it */
	rc = host_manifest_build_cached(rootfs, dir, mf, &stats, err);
	if (rc == 0)
		host_debug("manifest of %s: %zu files hashed, %zu unchanged (cache %s)", rootfs,
			   stats.hashed, stats.cached, dir);
	return rc;
}

const struct rb_manifest_entry *host_manifest_lookup(const struct rb_manifest *mf, const char *path)
{
	size_t lo = 0, hi = mf->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(path, mf->entries[mid].path);

		if (c == 0)
			return &mf->entries[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* ---- Path resolution in the container's view ------------------------------- */

#define MF_MAX_LINKS 40 /* as Linux's MAXSYMLINKS */

int host_manifest_resolve(const struct rb_manifest *mf, const char *path,
			  const struct rb_manifest_entry **out)
{
	char cur[PATH_MAX], rest[PATH_MAX], next[PATH_MAX], name[PATH_MAX];
	unsigned links = 0;

	if (path[0] != '/' || strlen(path) >= sizeof(rest))
		return -EINVAL;
	strcpy(cur, "/");
	strcpy(rest, path);
	for (;;) {
		const struct rb_manifest_entry *e;
		char *p = rest, *comp;
		size_t len;

		while (*p == '/')
			p++;
		if (*p == '\0') {
			*out = host_manifest_lookup(mf, cur);
			return *out ? 0 : -ENOENT;
		}
		comp = p;
		while (*p != '\0' && *p != '/')
			p++;
		len = (size_t)(p - comp);
		memcpy(name, comp, len);
		name[len] = '\0';
		memmove(rest, p, strlen(p) + 1); /* rest: what follows this component */
		if (strcmp(name, ".") == 0)
			continue;
		if (strcmp(name, "..") == 0) {
			char *slash = strrchr(cur, '/');

			if (slash != NULL && slash != cur)
				*slash = '\0';
			else
				strcpy(cur, "/");
			continue;
		}
		e = host_manifest_lookup(mf, cur);
		if (e == NULL)
			return -ENOENT;
		if (e->type != RB_MF_DIR)
			return -ENOTDIR;
		if (snprintf(next, sizeof(next), "%s/%s", strcmp(cur, "/") == 0 ? "" : cur, name) >=
		    (int)sizeof(next))
			return -ENAMETOOLONG;
		e = host_manifest_lookup(mf, next);
		if (e == NULL)
			return -ENOENT;
		if (e->type == RB_MF_SYMLINK) {
			char joined[PATH_MAX];

			if (++links > MF_MAX_LINKS)
				return -ELOOP;
			/* the target replaces this component: absolute from /, relative from cur */
			if (snprintf(joined, sizeof(joined), "%s/%s", e->link_target, rest) >=
			    (int)sizeof(joined))
				return -ENAMETOOLONG;
			strcpy(rest, joined);
			if (e->link_target[0] == '/')
				strcpy(cur, "/");
			continue;
		}
		strcpy(cur, next);
	}
}
