/*
 * The rootfs manifest's hash cache: load, look up and store (format and
 * rules in manifest_cache.h).
 */
#include "host/manifest_cache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mbedtls/sha256.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAGIC "realmbox-mfcache-v1"
#define REC_FIXED (5 * 8 + 2 * 4 + 32) /* a record after its path */

void mf_stamp_of(const struct stat *st, struct mf_stamp *out)
{
	out->dev = (uint64_t)st->st_dev;
	out->ino = (uint64_t)st->st_ino;
	out->size = (uint64_t)st->st_size;
	out->mtime_sec = (uint64_t)st->st_mtim.tv_sec;
	out->mtime_nsec = (uint32_t)st->st_mtim.tv_nsec;
	out->ctime_sec = (uint64_t)st->st_ctim.tv_sec;
	out->ctime_nsec = (uint32_t)st->st_ctim.tv_nsec;
}

/* dir/<first 32 hex digits of SHA-256(realpath of rootfs)>: 0, or -errno. */
static int cache_path(const char *dir, const char *rootfs, char *out, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	char real[PATH_MAX], name[33];
	uint8_t d[32];

	if (realpath(rootfs, real) == NULL)
		return -errno;
	(void)mbedtls_sha256_ret((const unsigned char *)real, strlen(real), d, 0);
	for (int i = 0; i < 16; i++) {
		name[2 * i] = hx[d[i] >> 4];
		name[2 * i + 1] = hx[d[i] & 15];
	}
	name[32] = 0;
	int len = snprintf(out, n, "%s/%s", dir, name);
	return len < 0 || (size_t)len >= n ? -ENAMETOOLONG : 0;
}

static uint64_t get_le(const uint8_t *p, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static int cmp_rec(const void *a, const void *b)
{
	return strcmp(((const struct mf_cache_rec *)a)->path, ((const struct mf_cache_rec *)b)->path);
}

/* Read all of fd (at most MF_CACHE_MAX_BYTES) into a malloc'd buffer. */
static char *read_all(int fd, size_t *len)
{
	struct stat st;
	char *buf;
	size_t have = 0;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (uint64_t)st.st_size > MF_CACHE_MAX_BYTES)
		return NULL;
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL)
		return NULL;
	while (have < (size_t)st.st_size) {
		ssize_t got = read(fd, buf + have, (size_t)st.st_size - have);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		have += (size_t)got;
	}
	buf[have] = 0;
	*len = have;
	return buf;
}

/* Parse c->blob[0..len) into c->v; false if it is not a version 1 cache. */
static bool parse(struct mf_cache *c, size_t len)
{
	const uint8_t *b = (const uint8_t *)c->blob;
	size_t off = sizeof(MAGIC), cap = 0;

	if (len < sizeof(MAGIC) || memcmp(b, MAGIC, sizeof(MAGIC)) != 0)
		return false;
	while (off < len) {
		const uint8_t *nul = memchr(b + off, 0, len - off);
		struct mf_cache_rec *r;

		if (nul == NULL || b[off] != '/' || (size_t)(len - (size_t)(nul + 1 - b)) < REC_FIXED)
			return false;
		if (c->n == cap) {
			size_t ncap = cap ? cap * 2 : 256;
			struct mf_cache_rec *v = realloc(c->v, ncap * sizeof(*v));

			if (v == NULL)
				return false;
			c->v = v;
			cap = ncap;
		}
		r = &c->v[c->n++];
		r->path = (const char *)b + off;
		const uint8_t *p = nul + 1;
		r->st.dev = get_le(p, 8);
		r->st.ino = get_le(p + 8, 8);
		r->st.size = get_le(p + 16, 8);
		r->st.mtime_sec = get_le(p + 24, 8);
		r->st.ctime_sec = get_le(p + 32, 8);
		r->st.mtime_nsec = (uint32_t)get_le(p + 40, 4);
		r->st.ctime_nsec = (uint32_t)get_le(p + 44, 4);
		memcpy(r->sha256, p + 48, 32);
		off = (size_t)(p + REC_FIXED - b);
	}
	if (c->n > 1)
		qsort(c->v, c->n, sizeof(*c->v), cmp_rec);
	return true;
}

int mf_cache_load(const char *dir, const char *rootfs, struct mf_cache *c)
{
	char path[PATH_MAX];
	size_t len = 0;
	int fd;

	memset(c, 0, sizeof(*c));
	if (dir == NULL || cache_path(dir, rootfs, path, sizeof(path)) < 0)
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return 0;
	c->blob = read_all(fd, &len);
	close(fd);
	if (c->blob == NULL)
		return 0;
	if (!parse(c, len))
		mf_cache_free(c); /* ignored whole: the next store replaces it */
	return 0;
}

bool mf_cache_find(const struct mf_cache *c, const char *path, const struct mf_stamp *st,
		   uint8_t out[32])
{
	struct mf_cache_rec key = {.path = path};
	const struct mf_cache_rec *r;

	if (c->n == 0)
		return false;
	r = bsearch(&key, c->v, c->n, sizeof(*c->v), cmp_rec);
	if (r == NULL || memcmp(&r->st, st, sizeof(*st)) != 0)
		return false;
	memcpy(out, r->sha256, 32);
	return true;
}

void mf_cache_free(struct mf_cache *c)
{
	free(c->v);
	free(c->blob);
	memset(c, 0, sizeof(*c));
}

static int put_le(FILE *f, uint64_t v, unsigned bytes)
{
	uint8_t b[8];

	for (unsigned i = 0; i < bytes; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	return fwrite(b, 1, bytes, f) == bytes ? 0 : -1;
}

/* Changed so recently that a write in the same clock tick could go unseen? */
static bool unsettled(const struct mf_stamp *st, const struct timespec *now)
{
	int64_t t = (int64_t)now->tv_sec * 1000000000LL + now->tv_nsec - MF_CACHE_SETTLE_NS;
	int64_t c = (int64_t)st->ctime_sec * 1000000000LL + st->ctime_nsec;
	int64_t m = (int64_t)st->mtime_sec * 1000000000LL + st->mtime_nsec;

	return c >= t || m >= t;
}

struct aged {
	char name[64];
	struct timespec mtime;
};

static int cmp_aged(const void *a, const void *b)
{
	const struct timespec *x = &((const struct aged *)a)->mtime, *y = &((const struct aged *)b)->mtime;

	return x->tv_sec != y->tv_sec ? (x->tv_sec < y->tv_sec ? -1 : 1)
				       : (x->tv_nsec < y->tv_nsec ? -1 : x->tv_nsec > y->tv_nsec);
}

/*
 * At most MF_CACHE_MAX_FILES cache files in dir: the least recently stored
 * go (every build stores its rootfs's file again, so mtime is last use).
 */
static void prune(const char *dir)
{
	struct aged *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *d;
	DIR *dp = opendir(dir);

	if (dp == NULL)
		return;
	while ((d = readdir(dp)) != NULL) {
		struct stat st;

		if (strlen(d->d_name) != 32 || fstatat(dirfd(dp), d->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
		    !S_ISREG(st.st_mode))
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct aged *nv = realloc(v, ncap * sizeof(*nv));

			if (nv == NULL)
				break;
			v = nv;
			cap = ncap;
		}
		snprintf(v[n].name, sizeof(v[n].name), "%s", d->d_name);
		v[n++].mtime = st.st_mtim;
	}
	if (n > MF_CACHE_MAX_FILES) {
		qsort(v, n, sizeof(*v), cmp_aged);
		for (size_t i = 0; i < n - MF_CACHE_MAX_FILES; i++)
			(void)unlinkat(dirfd(dp), v[i].name, 0);
	}
	closedir(dp);
	free(v);
}

int mf_cache_store(const char *dir, const char *rootfs, const struct mf_cache_rec *recs, size_t n)
{
	char path[PATH_MAX], tmp[PATH_MAX + 32];
	struct timespec now;
	FILE *f;
	int fd, rc;

	if ((rc = cache_path(dir, rootfs, path, sizeof(path))) < 0)
		return rc;
	clock_gettime(CLOCK_REALTIME, &now);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return -errno;
	if (snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (f == NULL) {
		rc = -errno;
		close(fd);
		unlink(tmp);
		return rc;
	}
	rc = fwrite(MAGIC, 1, sizeof(MAGIC), f) == sizeof(MAGIC) ? 0 : -1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct mf_cache_rec *r = &recs[i];

		if (unsettled(&r->st, &now))
			continue;
		if (fwrite(r->path, 1, strlen(r->path) + 1, f) != strlen(r->path) + 1 ||
		    put_le(f, r->st.dev, 8) || put_le(f, r->st.ino, 8) || put_le(f, r->st.size, 8) ||
		    put_le(f, r->st.mtime_sec, 8) || put_le(f, r->st.ctime_sec, 8) ||
		    put_le(f, r->st.mtime_nsec, 4) || put_le(f, r->st.ctime_nsec, 4) ||
		    fwrite(r->sha256, 1, 32, f) != 32)
			rc = -1;
	}
	if (fclose(f) != 0 || rc != 0) {
		rc = -EIO;
		unlink(tmp);
		return rc;
	}
	if (rename(tmp, path) != 0) {
		rc = -errno;
		unlink(tmp);
		return rc;
	}
	prune(dir);
	return 0;
}
