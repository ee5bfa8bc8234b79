/*
 * Fuzz target: the host's rootfs manifest code (host/manifest.c) on what
 * an untrusted rootfs can make it see. The input is text, one line each:
 *   f PATH | d PATH | l PATH TARGET   a file, directory or symlink
 *   ? PATH                            a path to resolve
 * The entries become a manifest (sorted, duplicates dropped, "/" added)
 * that is serialized, digested, looked up and resolved through (symlinks,
 * "..", loops, long paths). The first MAX_DISK entries whose paths are
 * plain relative names are also created in a temporary directory and
 * walked by host_manifest_build, the code that reads a real rootfs.
 * Oracles: every entry is found by lookup; resolve returns 0 with a
 * non-symlink entry or one of its documented errors; the serialization
 * starts with the magic and its digest is the manifest's; the walk of the
 * directory finds every entry created in it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/manifest.h"
#include "host_util.h"
#include "lib/hash.h"

#define MAX_ENTRIES 64
#define MAX_QUERIES 16
#define MAX_DISK 16

static void check(int cond, const char *what, const char *path)
{
	if (!cond) {
		fprintf(stderr, "fuzz_manifest: %s: %s\n", what, path ? path : "");
		abort();
	}
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct rb_manifest_entry *)a)->path,
		      ((const struct rb_manifest_entry *)b)->path);
}

/* A path that can be created under a directory: a/b/c without . or .. components. */
static bool disk_safe(const char *p)
{
	if (p[0] != '/' || p[1] == '\0' || strlen(p) > 200 || strstr(p, "//") ||
	    p[strlen(p) - 1] == '/')
		return false;
	for (const char *c = p; *c; c++)
		if (*c == '/' && c[1] == '.' && (c[2] == '/' || c[2] == '\0' ||
						 (c[2] == '.' && (c[3] == '/' || c[3] == '\0'))))
			return false;
	return true;
}

static void check_resolve(const struct rb_manifest *mf, const char *path)
{
	const struct rb_manifest_entry *e = NULL;
	int r = host_manifest_resolve(mf, path, &e);

	if (r == 0)
		check(e && e->type != RB_MF_SYMLINK && host_manifest_lookup(mf, e->path) == e,
		      "resolve returned a symlink or a foreign entry", path);
	else
		check(r == -ENOENT || r == -ENOTDIR || r == -ELOOP || r == -ENAMETOOLONG ||
			      r == -EINVAL,
		      "resolve returned an undocumented error", path);
}

/*
 * Is every ancestor of path under dir a real directory? Nothing is ever
 * created through a symlink the input made: "l /d /usr/bin" then "f /d/x"
 * would write into the host's /usr/bin.
 */
static bool parents_are_dirs(const char *dir, const char *path)
{
	char p[512];
	struct stat st;
	int n = snprintf(p, sizeof(p), "%s%s", dir, path);

	for (int i = (int)strlen(dir) + 1; i < n; i++) {
		if (p[i] != '/')
			continue;
		p[i] = '\0';
		bool ok = lstat(p, &st) == 0 && S_ISDIR(st.st_mode);
		p[i] = '/';
		if (!ok)
			return false;
	}
	return true;
}

/* Create the plain entries under a temporary directory and walk it. */
static void disk_walk(const struct rb_manifest *mf)
{
	char dir[64], p[512];
	struct rb_manifest got = {0};
	struct rb_err err;
	unsigned made = 0;
	const char *made_paths[MAX_DISK];

	snprintf(dir, sizeof(dir), "/tmp/fuzz-manifest-XXXXXX");
	check(mkdtemp(dir) != NULL, "mkdtemp", dir);
	for (size_t i = 0; i < mf->n && made < MAX_DISK; i++) {
		const struct rb_manifest_entry *e = &mf->entries[i];
		int r;
		if (!disk_safe(e->path) || !parents_are_dirs(dir, e->path))
			continue;
		snprintf(p, sizeof(p), "%s%s", dir, e->path);
		if (e->type == RB_MF_DIR) {
			r = mkdir(p, 0755);
		} else if (e->type == RB_MF_SYMLINK) {
			r = symlink(e->link_target, p);
		} else {
			FILE *f = fopen(p, "w");
			r = f ? fputs(e->path, f) < 0 : -1;
			if (f)
				fclose(f);
		}
		if (r == 0)
			made_paths[made++] = e->path;
	}
	if (host_manifest_build(dir, &got, &err) == 0) {
		for (unsigned i = 0; i < made; i++)
			check(host_manifest_lookup(&got, made_paths[i]) != NULL,
			      "the walk missed an entry", made_paths[i]);
		check(host_manifest_lookup(&got, "/") != NULL, "the walk has no /", dir);
		for (size_t i = 0; i < got.n; i++)
			check_resolve(&got, got.entries[i].path);
	}
	host_manifest_free(&got);
	fz_rm_rf(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rb_manifest_entry ents[MAX_ENTRIES + 1];
	struct rb_manifest mf = {ents, 0, {0}};
	char *queries[MAX_QUERIES];
	unsigned nq = 0;
	char *text = malloc(size + 1), *line, *save = NULL;
	uint8_t *ser = NULL, digest[32], again[32];
	size_t len;

	check(text != NULL, "malloc", NULL);
	memcpy(text, data, size);
	text[size] = '\0';
	memset(ents, 0, sizeof(ents));
	ents[mf.n].path = "/";
	ents[mf.n++].type = RB_MF_DIR;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *path = line + 2, *target;
		if (strlen(line) < 3 || line[1] != ' ')
			continue;
		if (line[0] == '?') {
			if (nq < MAX_QUERIES)
				queries[nq++] = path;
			continue;
		}
		if (mf.n == MAX_ENTRIES + 1 || strchr("fdl", line[0]) == NULL)
			continue;
		struct rb_manifest_entry *e = &ents[mf.n++];
		e->type = line[0] == 'f' ? RB_MF_FILE : line[0] == 'd' ? RB_MF_DIR : RB_MF_SYMLINK;
		e->mode = e->type == RB_MF_DIR ? 040755 : e->type == RB_MF_FILE ? 0100644 : 0120777;
		e->path = path;
		if (e->type == RB_MF_SYMLINK) {
			target = strchr(path, ' ');
			if (target)
				*target++ = '\0';
			e->link_target = target ? target : "";
			e->size = strlen(e->link_target);
			hash_buf(HASH_SHA256, e->link_target, e->size, e->sha256);
		}
	}
	qsort(ents, mf.n, sizeof(ents[0]), cmp_entry);
	size_t k = 0; /* drop duplicate paths: a walk never yields two */
	for (size_t i = 0; i < mf.n; i++)
		if (k == 0 || strcmp(ents[k - 1].path, ents[i].path) != 0)
			ents[k++] = ents[i];
	mf.n = k;

	check(host_manifest_serialize(&mf, &ser, &len) == 0, "serialize", NULL);
	check(len > sizeof(RB_MANIFEST_MAGIC) &&
		      memcmp(ser, RB_MANIFEST_MAGIC, sizeof(RB_MANIFEST_MAGIC)) == 0,
	      "serialization without the magic", NULL);
	hash_buf(HASH_SHA256, ser, len, digest);
	check(host_manifest_digest(&mf, again) == 0 && memcmp(digest, again, 32) == 0,
	      "digest is not SHA-256 of the serialization", NULL);
	free(ser);
	for (size_t i = 0; i < mf.n; i++) {
		check(host_manifest_lookup(&mf, ents[i].path) == &ents[i], "lookup", ents[i].path);
		check_resolve(&mf, ents[i].path);
	}
	for (unsigned i = 0; i < nq; i++)
		check_resolve(&mf, queries[i]);
	disk_walk(&mf);
	free(text);
	return 0;
}
