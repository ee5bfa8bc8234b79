/*
 * The rootfs manifest (DESIGN.md §4): every file, directory and symlink of
 * a container's rootfs with its metadata and SHA-256, and one digest over
 * all of it. The digest is what gets measured into the Container Realm;
 * the container OS checks each file it reads from the host against its
 * entry, so the untrusted host cannot change the rootfs unnoticed.
 *
 * Walk: the rootfs is walked without following symlinks (O_NOFOLLOW,
 * AT_SYMLINK_NOFOLLOW), the rootfs directory itself is the entry "/", every
 * other path is absolute in the container's view ("/bin/busybox").
 * Character and block devices, sockets and FIFOs are skipped (a --debug
 * line each): the container OS provides its own /dev. Entries are sorted by
 * path with strcmp, so the digest does not depend on directory read order.
 *
 * Canonical serialization, version 1 (integers little-endian):
 *
 *   "realmbox-manifest-v1" NUL
 *   u64  number of entries
 *   then for each entry, in order:
 *     path          bytes of the absolute container path, then NUL
 *     u8   type     0 file, 1 directory, 2 symlink (enum rb_manifest_type)
 *     u32  mode     st_mode: file type bits and all permission bits
 *                   (including setuid, setgid, sticky)
 *     u32  uid, u32 gid   as on the host
 *     u64  size     files: bytes; directories: 0; symlinks: target length
 *     32B  sha256   files: of the content; symlinks: of the target string
 *                   (without NUL); directories: 32 zero bytes
 *     link target   bytes, then NUL (just NUL unless a symlink)
 *
 *   digest = SHA-256(serialization)
 *
 * mtime is recorded in each entry but deliberately not serialized: a copy
 * of a rootfs (cp -r, a fresh image unpack) measures the same. The
 * container OS must therefore treat mtime as untrusted metadata.
 */
#ifndef HOST_MANIFEST_H
#define HOST_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "deploy/deploy.h"
#include "host/err.h"

#define RB_MANIFEST_MAGIC "realmbox-manifest-v1"

/*
 * Walk rootfs (a host directory) and fill *mf: sorted entries and digest.
 * Returns 0, or a negative errno with the failing path in err ("/x/rootfs
 * /etc/shadow: Permission denied"); *mf is then empty.
 */
int host_manifest_build(const char *rootfs, struct rb_manifest *mf, struct rb_err *err);

/* What one build did with the regular files it found. */
struct rb_manifest_build_stats {
	size_t hashed; /* read and hashed */
	size_t cached; /* digest from the cache: the file unchanged since it was hashed */
};

/*
 * host_manifest_build, reusing the digests of files unchanged since an
 * earlier build (host/manifest_cache.h: same device, inode, size, mtime and
 * ctime) from the cache in cache_dir (created if missing; NULL: no cache),
 * and storing this build's there. The manifest is the same as without the
 * cache. stats (may be NULL) says how many files were hashed and reused.
 */
int host_manifest_build_cached(const char *rootfs, const char *cache_dir, struct rb_manifest *mf,
			       struct rb_manifest_build_stats *stats, struct rb_err *err);

/*
 * The build that `run` and `create` do: cached in <runtime root>/
 * .manifest-cache (the root of --root, $REALMBOX_ROOT or the default; none
 * if no root can be named), unless REALMBOX_MANIFEST_CACHE=0. With --debug
 * it logs how many files were hashed and reused.
 */
int host_manifest_build_for_start(const char *rootfs, struct rb_manifest *mf, struct rb_err *err);

/*
 * The manifest of container cfg's whole file view: its rootfs, then each
 * bind mount (cfg->mounts, in order) in place of whatever the rootfs has
 * at and beneath its destination ("/" of a directory source, or the one
 * file, becomes the destination), with the directories above a
 * destination that the rootfs lacks added (0755, root). Built as
 * host_manifest_build_for_start does (cached) or, cached false, as
 * host_manifest_build. Without mounts it is the rootfs's manifest. 0, or
 * a negative errno with err ("bind mount /data: /src/x: Permission denied").
 */
int host_manifest_build_config(const struct rb_config *cfg, bool cached, struct rb_manifest *mf,
			       struct rb_err *err);

/*
 * SHA-256 of what fd reads until its end, through buf[0..bufsz): 0 with
 * out and *total (bytes hashed) set, or -errno of a failed read (out then
 * holds the hash of what was read before it).
 */
int host_sha256_fd(int fd, uint8_t *buf, size_t bufsz, uint8_t out[32], uint64_t *total);

/* Free what mf owns and zero it. Safe on a zeroed or freed manifest. */
void host_manifest_free(struct rb_manifest *mf);

/* The entry for an absolute container path, or NULL (binary search). */
const struct rb_manifest_entry *host_manifest_lookup(const struct rb_manifest *mf,
						     const char *path);

/*
 * Resolve an absolute container path through the manifest as the kernel
 * would: ".", "..", and symlinks in every component (at most 40). *out is
 * the final entry (never a symlink). Returns 0, -ENOENT, -ENOTDIR, -ELOOP,
 * -ENAMETOOLONG or -EINVAL (not absolute).
 */
int host_manifest_resolve(const struct rb_manifest *mf, const char *path,
			  const struct rb_manifest_entry **out);

/*
 * The canonical serialization (above) in a malloc'd buffer: 0 with *buf and
 * *len set, or -ENOMEM. mf's entries must be sorted.
 */
int host_manifest_serialize(const struct rb_manifest *mf, uint8_t **buf, size_t *len);

/* Recompute the digest over mf's entries into out (0 or -ENOMEM). */
int host_manifest_digest(const struct rb_manifest *mf, uint8_t out[32]);

/* 64 lowercase hex digits and NUL. */
void host_hex32(const uint8_t in[32], char out[65]);

#endif /* HOST_MANIFEST_H */
