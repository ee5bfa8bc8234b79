/*
 * The rootfs manifest's hash cache (host/manifest.c): the SHA-256 of each
 * regular file of a rootfs, kept under the runtime root between runs and
 * reused for a file whose identity and times have not changed, so that a
 * container's start does not read and hash its whole image every time.
 *
 * A file's digest is reused only if device, inode, size, mtime and ctime
 * (both with nanoseconds) are all what they were when it was hashed; any
 * write to the file changes its ctime, and ctime cannot be set from user
 * space. A file whose ctime or mtime is within MF_CACHE_SETTLE_NS of the
 * moment the cache is stored is not cached (a write in the same clock tick could leave
 * the times unchanged).
 *
 * The cache is host data, as the manifest itself is: a wrong cached digest
 * can only make the manifest disagree with the rootfs, which the container
 * OS notices on the first read of that file (EIO) and which changes the
 * measured digest a verifier checks. It never makes other content pass.
 *
 * File format, version 1 (integers little-endian): "realmbox-mfcache-v1"
 * NUL, then records to the end of the file: path (absolute in the
 * container's view) NUL, u64 dev, ino, size, mtime_sec, ctime_sec, u32
 * mtime_nsec, ctime_nsec, 32 bytes SHA-256. A file that does not parse is
 * ignored whole (and replaced by the next store).
 */
#ifndef HOST_MANIFEST_CACHE_H
#define HOST_MANIFEST_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#define MF_CACHE_SETTLE_NS 1000000000LL /* far above the kernel's timestamp tick */
#define MF_CACHE_MAX_BYTES (64u << 20) /* a larger cache file is ignored */
#define MF_CACHE_MAX_FILES 256	       /* rootfses remembered: the least recently used go */

/* What identifies one version of a file: from fstat when it was hashed. */
struct mf_stamp {
	uint64_t dev, ino, size;
	uint64_t mtime_sec, ctime_sec;
	uint32_t mtime_nsec, ctime_nsec;
};
/* compared with memcmp: no padding */
_Static_assert(sizeof(struct mf_stamp) == 48, "struct mf_stamp has padding");

/* One cached file. */
struct mf_cache_rec {
	const char *path;
	struct mf_stamp st;
	uint8_t sha256[32];
};

/* Records loaded from one cache file, sorted by path. */
struct mf_cache {
	struct mf_cache_rec *v;
	size_t n;
	char *blob; /* the file's bytes: the records' paths point into it */
};

/* The stamp of a file from its struct stat. */
void mf_stamp_of(const struct stat *st, struct mf_stamp *out);

/*
 * The cache file of rootfs in dir, into *c (zeroed first). A missing,
 * unreadable, oversized or malformed file gives an empty cache; returns 0,
 * or -ENOMEM.
 */
int mf_cache_load(const char *dir, const char *rootfs, struct mf_cache *c);

/* The cached digest of path if its stamp is still *st (copied to out). */
bool mf_cache_find(const struct mf_cache *c, const char *path, const struct mf_stamp *st,
		   uint8_t out[32]);

/* Free what c owns and zero it. */
void mf_cache_free(struct mf_cache *c);

/*
 * Replace the cache file of rootfs in dir (created 0700 if missing) with
 * recs[0..n) (atomically: a temporary file renamed over it), leaving out
 * files changed within MF_CACHE_SETTLE_NS of now, and keep at most
 * MF_CACHE_MAX_FILES cache files there. Returns 0 or -errno.
 */
int mf_cache_store(const char *dir, const char *rootfs, const struct mf_cache_rec *recs, size_t n);

#endif
