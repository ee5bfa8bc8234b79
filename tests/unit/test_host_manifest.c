/*
 * The rootfs manifest (host/manifest.c): entries and their hashes, the
 * digest reacting to a changed byte, mode, owner or a new file, staying
 * the same across runs and for any directory read order, symlinks never
 * followed, special files skipped, and the digest matching the documented
 * serialization byte for byte; the hash cache (host/manifest_cache.c)
 * reusing only digests of unchanged files.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mbedtls/sha256.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "host/manifest.h"

static char root[256];

static int setup(void **state)
{
	snprintf(root, sizeof(root), "/tmp/rb-test-mf-XXXXXX");
	if (mkdtemp(root) == NULL)
		return -1;
	return chmod(root, 0755);
}

static int teardown(void **state)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void put_file(const char *base, const char *rel, const char *content, mode_t mode)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s%s", base, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void put_dir(const char *base, const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s%s", base, rel);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(chmod(path, 0755), 0);
}

static void put_link(const char *base, const char *rel, const char *target)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s%s", base, rel);
	assert_int_equal(symlink(target, path), 0);
}

/* A small tree: /bin/busybox, /bin/sh -> busybox, /etc/passwd, /escape -> /etc (absolute). */
static void make_tree(const char *base)
{
	put_dir(base, "/bin");
	put_dir(base, "/etc");
	put_file(base, "/bin/busybox", "#!not really busybox\n", 0755);
	put_link(base, "/bin/sh", "busybox");
	put_file(base, "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n", 0644);
	put_link(base, "/escape", "/etc");
}

static void build(const char *base, struct rb_manifest *mf)
{
	struct rb_err err = {0};

	if (host_manifest_build(base, mf, &err) != 0)
		fail_msg("host_manifest_build: %s", err.msg);
}

static void digest_of(const char *base, uint8_t out[32])
{
	struct rb_manifest mf;

	build(base, &mf);
	memcpy(out, mf.digest, 32);
	host_manifest_free(&mf);
}

static void test_entry_fields(void **state)
{
	struct rb_manifest mf;
	const struct rb_manifest_entry *e;
	uint8_t want[32];
	char fifo[PATH_MAX];
	static const char bb[] = "#!not really busybox\n";

	make_tree(root);
	snprintf(fifo, sizeof(fifo), "%s/etc/initctl", root);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	build(root, &mf);
	assert_int_equal(mf.n, 7);
	assert_null(host_manifest_lookup(&mf, "/etc/initctl"));	  /* FIFO skipped */
	assert_null(host_manifest_lookup(&mf, "/escape/passwd")); /* symlink not followed */

	e = host_manifest_lookup(&mf, "/");
	assert_non_null(e);
	assert_int_equal(e->type, RB_MF_DIR);
	assert_int_equal(e->mode, S_IFDIR | 0755);

	e = host_manifest_lookup(&mf, "/bin/busybox");
	assert_non_null(e);
	assert_int_equal(e->type, RB_MF_FILE);
	assert_int_equal(e->mode, S_IFREG | 0755);
	assert_int_equal(e->size, strlen(bb));
	assert_int_equal(e->uid, getuid());
	assert_int_equal(mbedtls_sha256_ret((const unsigned char *)bb, strlen(bb), want, 0), 0);
	assert_memory_equal(e->sha256, want, 32);
	assert_null(e->link_target);

	e = host_manifest_lookup(&mf, "/bin/sh");
	assert_non_null(e);
	assert_int_equal(e->type, RB_MF_SYMLINK);
	assert_true(S_ISLNK(e->mode));
	assert_string_equal(e->link_target, "busybox");
	assert_int_equal(e->size, 7);
	assert_int_equal(mbedtls_sha256_ret((const unsigned char *)"busybox", 7, want, 0), 0);
	assert_memory_equal(e->sha256, want, 32);

	e = host_manifest_lookup(&mf, "/escape");
	assert_non_null(e);
	assert_int_equal(e->type, RB_MF_SYMLINK);
	assert_string_equal(e->link_target, "/etc");
	assert_non_null(host_manifest_lookup(&mf, "/etc/passwd"));
	assert_null(host_manifest_lookup(&mf, "/etc/shadow"));
	host_manifest_free(&mf);
	host_manifest_free(&mf);
}

/* The digest is SHA-256 of the serialization documented in manifest.h, built here by hand. */
static void test_serialization_known_answer(void **state)
{
	struct rb_manifest mf;
	uint8_t buf[512], want[32], *ser;
	size_t n = 0, len;
	struct stat st_root, st_f;
	char path[PATH_MAX];
	static const char content[] = "abc";
	uint8_t sha_abc[32];

	put_file(root, "/f", content, 0600);
	snprintf(path, sizeof(path), "%s/f", root);
	assert_int_equal(stat(root, &st_root), 0);
	assert_int_equal(stat(path, &st_f), 0);
	assert_int_equal(mbedtls_sha256_ret((const unsigned char *)"abc", 3, sha_abc, 0), 0);

#define PUT(p, l) (memcpy(buf + n, (p), (l)), n += (l))
#define PUTLE(v, bytes)                                                                            \
	do {                                                                                       \
		for (unsigned _i = 0; _i < (bytes); _i++)                                          \
			buf[n++] = (uint8_t)((uint64_t)(v) >> (8 * _i));                           \
	} while (0)
	PUT("realmbox-manifest-v1", 21); /* with NUL */
	PUTLE(2, 8);
	/* "/" */
	PUT("/", 2);
	PUTLE(1, 1);
	PUTLE(st_root.st_mode, 4);
	PUTLE(st_root.st_uid, 4);
	PUTLE(st_root.st_gid, 4);
	PUTLE(0, 8);
	memset(buf + n, 0, 32);
	n += 32;
	PUT("", 1);
	/* "/f" */
	PUT("/f", 3);
	PUTLE(0, 1);
	PUTLE(st_f.st_mode, 4);
	PUTLE(st_f.st_uid, 4);
	PUTLE(st_f.st_gid, 4);
	PUTLE(3, 8);
	PUT(sha_abc, 32);
	PUT("", 1);
#undef PUT
#undef PUTLE
	assert_int_equal(mbedtls_sha256_ret(buf, n, want, 0), 0);

	build(root, &mf);
	assert_memory_equal(mf.digest, want, 32);
	assert_int_equal(host_manifest_serialize(&mf, &ser, &len), 0);
	assert_int_equal(len, n);
	assert_memory_equal(ser, buf, n);
	free(ser);
	host_manifest_free(&mf);
}

static void test_digest_changes(void **state)
{
	uint8_t d0[32], d1[32];
	char path[PATH_MAX];
	struct timespec ts[2] = {{1000000, 0}, {1000000, 0}};

	make_tree(root);
	digest_of(root, d0);
	digest_of(root, d1);
	assert_memory_equal(d0, d1, 32); /* stable across runs */

	/* one changed byte, same size */
	put_file(root, "/etc/passwd", "root:x:0:0:root:/root:/bin/sH\n", 0644);
	digest_of(root, d1);
	assert_memory_not_equal(d0, d1, 32);
	put_file(root, "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n", 0644);
	digest_of(root, d1);
	assert_memory_equal(d0, d1, 32); /* back to the original */

	/* a changed mode */
	snprintf(path, sizeof(path), "%s/bin/busybox", root);
	assert_int_equal(chmod(path, 04755), 0);
	digest_of(root, d1);
	assert_memory_not_equal(d0, d1, 32);
	assert_int_equal(chmod(path, 0755), 0);

	/* a changed directory mode */
	snprintf(path, sizeof(path), "%s/etc", root);
	assert_int_equal(chmod(path, 0700), 0);
	digest_of(root, d1);
	assert_memory_not_equal(d0, d1, 32);
	assert_int_equal(chmod(path, 0755), 0);

	/* a changed symlink target */
	snprintf(path, sizeof(path), "%s/bin/sh", root);
	assert_int_equal(unlink(path), 0);
	put_link(root, "/bin/sh", "busyboy");
	digest_of(root, d1);
	assert_memory_not_equal(d0, d1, 32);
	assert_int_equal(unlink(path), 0);
	put_link(root, "/bin/sh", "busybox");

	/* mtime alone is not measured (manifest.h) */
	snprintf(path, sizeof(path), "%s/etc/passwd", root);
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
	digest_of(root, d1);
	assert_memory_equal(d0, d1, 32);

	/* a changed owner (needs root) */
	if (geteuid() == 0) {
		assert_int_equal(lchown(path, 1, 1), 0);
		digest_of(root, d1);
		assert_memory_not_equal(d0, d1, 32);
		assert_int_equal(lchown(path, 0, 0), 0);
		digest_of(root, d1);
		assert_memory_equal(d0, d1, 32);
	}

	/* a new empty file, then a new empty directory */
	put_file(root, "/etc/new", "", 0644);
	digest_of(root, d1);
	assert_memory_not_equal(d0, d1, 32);
	snprintf(path, sizeof(path), "%s/etc/new", root);
	assert_int_equal(unlink(path), 0);
	put_dir(root, "/etc/new");
	digest_of(root, d1);
	assert_memory_not_equal(d0, d1, 32);
	assert_int_equal(rmdir(path), 0);
	digest_of(root, d1);
	assert_memory_equal(d0, d1, 32);
}

/* Two trees with the same content, created in opposite orders, measure the same. */
static void test_order_independent(void **state)
{
	char other[300], name[64], dir[PATH_MAX], cmd[2 * PATH_MAX];
	uint8_t d0[32], d1[32];
	struct rb_manifest a, b;

	snprintf(other, sizeof(other), "%s/other", root);
	put_dir(root, "/tree");
	put_dir(root, "/other");
	for (int i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "/tree/f%03d%s", i, i % 7 ? "" : ".x");
		put_file(root, name, name, 0644);
	}
	for (int i = 199; i >= 0; i--) {
		snprintf(name, sizeof(name), "/f%03d%s", i, i % 7 ? "" : ".x");
		put_file(other, name, "placeholder", 0644);
	}
	/* contents must match path-for-path: rewrite "other" with the tree's contents */
	for (int i = 0; i < 200; i++) {
		char content[128];

		snprintf(name, sizeof(name), "/f%03d%s", i, i % 7 ? "" : ".x");
		snprintf(content, sizeof(content), "/tree%s", name);
		put_file(other, name, content, 0644);
	}
	snprintf(dir, sizeof(dir), "%s/tree", root);
	build(dir, &a);
	build(other, &b);
	assert_int_equal(a.n, 201);
	assert_int_equal(a.n, b.n);
	for (size_t i = 0; i < a.n; i++)
		assert_string_equal(a.entries[i].path, b.entries[i].path);
	assert_memory_equal(a.digest, b.digest, 32);
	memcpy(d0, a.digest, 32);
	host_manifest_free(&a);
	host_manifest_free(&b);
	/* a copy elsewhere (new inodes, new mtimes) measures the same */
	snprintf(cmd, sizeof(cmd), "cp -r '%s/tree' '%s/copy'", root, root);
	assert_int_equal(system(cmd), 0);
	snprintf(dir, sizeof(dir), "%s/copy", root);
	assert_int_equal(chmod(dir, 0755), 0);
	digest_of(dir, d1);
	assert_memory_equal(d0, d1, 32);
}

/* Paths resolve through the manifest as the kernel resolves them. */
static void test_resolve(void **state)
{
	struct rb_manifest mf;
	const struct rb_manifest_entry *e;

	make_tree(root);
	put_link(root, "/loop", "loop");
	put_link(root, "/up", "../../etc/./passwd");
	build(root, &mf);
	assert_int_equal(host_manifest_resolve(&mf, "/bin/sh", &e), 0);
	assert_string_equal(e->path, "/bin/busybox");
	assert_int_equal(host_manifest_resolve(&mf, "/escape/passwd", &e), 0);
	assert_string_equal(e->path, "/etc/passwd");
	assert_int_equal(host_manifest_resolve(&mf, "//bin/../etc/./passwd", &e), 0);
	assert_string_equal(e->path, "/etc/passwd");
	assert_int_equal(host_manifest_resolve(&mf, "/up", &e), 0); /* ".." stops at / */
	assert_string_equal(e->path, "/etc/passwd");
	assert_int_equal(host_manifest_resolve(&mf, "/escape", &e), 0);
	assert_string_equal(e->path, "/etc");
	assert_int_equal(host_manifest_resolve(&mf, "/", &e), 0);
	assert_string_equal(e->path, "/");
	assert_int_equal(host_manifest_resolve(&mf, "/loop", &e), -ELOOP);
	assert_int_equal(host_manifest_resolve(&mf, "/bin/nope", &e), -ENOENT);
	assert_int_equal(host_manifest_resolve(&mf, "/etc/passwd/x", &e), -ENOTDIR);
	assert_int_equal(host_manifest_resolve(&mf, "bin/sh", &e), -EINVAL);
	host_manifest_free(&mf);
}

static void test_errors(void **state)
{
	struct rb_manifest mf;
	struct rb_err err = {0};

	assert_int_equal(host_manifest_build("/nonexistent-rb-rootfs", &mf, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "/nonexistent-rb-rootfs: No such file or directory"));
	assert_int_equal(mf.n, 0);
	assert_null(mf.entries);
}

static void build_cached(const char *base, const char *dir, struct rb_manifest *mf,
			 struct rb_manifest_build_stats *st)
{
	struct rb_err err = {0};

	if (host_manifest_build_cached(base, dir, mf, st, &err) != 0)
		fail_msg("host_manifest_build_cached: %s", err.msg);
}

/*
 * The hash cache: a second build reads no file and gives the same
 * manifest; a file rewritten with the same size and its old mtime put
 * back is hashed again (its ctime moved), so the digest follows the new
 * content; files changed less than a second ago are not cached; a cache
 * file of garbage is ignored; at most 256 rootfses are remembered.
 */
static void test_cache(void **state)
{
	struct rb_manifest plain, mf;
	struct rb_manifest_build_stats st;
	char dir[PATH_MAX], path[PATH_MAX], cmd[3 * PATH_MAX + 200];
	struct stat sb;
	struct timespec ts[2];
	uint8_t d0[32];

	make_tree(root);
	snprintf(dir, sizeof(dir), "%s-cache", root);
	build(root, &plain);
	memcpy(d0, plain.digest, 32);

	/* just written: hashed, and not cached yet */
	build_cached(root, dir, &mf, &st);
	assert_int_equal(st.hashed, 2);
	assert_int_equal(st.cached, 0);
	assert_memory_equal(mf.digest, d0, 32);
	host_manifest_free(&mf);
	build_cached(root, dir, &mf, &st);
	assert_int_equal(st.cached, 0);
	host_manifest_free(&mf);

	/* settled: cached by this build, reused by the next, same manifest */
	usleep(1100 * 1000);
	build_cached(root, dir, &mf, &st);
	assert_int_equal(st.hashed, 2);
	host_manifest_free(&mf);
	build_cached(root, dir, &mf, &st);
	assert_int_equal(st.hashed, 0);
	assert_int_equal(st.cached, 2);
	assert_int_equal(mf.n, plain.n);
	assert_memory_equal(mf.digest, d0, 32);
	for (size_t i = 0; i < mf.n; i++)
		assert_memory_equal(mf.entries[i].sha256, plain.entries[i].sha256, 32);
	host_manifest_free(&mf);

	/* same size, old mtime restored: only ctime tells, and the cache listens */
	snprintf(path, sizeof(path), "%s/etc/passwd", root);
	assert_int_equal(stat(path, &sb), 0);
	put_file(root, "/etc/passwd", "root:x:0:0:root:/root:/bin/sH\n", 0644);
	ts[0] = sb.st_atim;
	ts[1] = sb.st_mtim;
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
	build_cached(root, dir, &mf, &st);
	assert_int_equal(st.hashed, 1);
	assert_int_equal(st.cached, 1);
	assert_memory_not_equal(mf.digest, d0, 32);
	{
		struct rb_manifest fresh;

		build(root, &fresh);
		assert_memory_equal(mf.digest, fresh.digest, 32);
		host_manifest_free(&fresh);
	}
	host_manifest_free(&mf);

	/* a cache file of garbage: ignored, everything hashed, the right digest */
	snprintf(cmd, sizeof(cmd), "for f in '%s'/*; do echo garbage > \"$f\"; done", dir);
	assert_int_equal(system(cmd), 0);
	put_file(root, "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n", 0644);
	build_cached(root, dir, &mf, &st);
	assert_int_equal(st.hashed, 2);
	assert_int_equal(st.cached, 0);
	assert_memory_equal(mf.digest, d0, 32);
	host_manifest_free(&mf);

	/* at most 256 rootfses remembered: the least recently used go, ours stays */
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && for i in $(seq 1000 1299); do touch -d @$i "
		 "0123456789abcdef0123456789ab$i; done", dir);
	assert_int_equal(system(cmd), 0);
	build_cached(root, dir, &mf, &st);
	host_manifest_free(&mf);
	snprintf(cmd, sizeof(cmd), "test $(ls '%s' | wc -l) = 256 && test ! -e '%s'/"
		 "0123456789abcdef0123456789ab1044 && test -e '%s'/0123456789abcdef0123456789ab1045",
		 dir, dir, dir);
	assert_int_equal(system(cmd), 0);
	build_cached(root, dir, &mf, &st);
	assert_int_equal(st.cached + st.hashed, 2);
	assert_memory_equal(mf.digest, d0, 32);
	host_manifest_free(&mf);
	host_manifest_free(&plain);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_entry_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_serialization_known_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_digest_changes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_order_independent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolve, setup, teardown),
		cmocka_unit_test(test_errors),
		cmocka_unit_test_setup_teardown(test_cache, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
