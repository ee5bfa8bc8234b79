/*
 * The overlay over the read-only host rootfs: files, directories and
 * symlinks created or changed inside the container live here, in library
 * OS memory (confidential, gone at exit). A hash map from canonical path to
 * an entry: an inode (shared by hard links) or a whiteout hiding a host
 * path. A directory created over a whiteout is opaque (hides host children).
 */
#include "libos/kernel.h"

struct inode {
	int refs;
	int nlink;
	uint32_t mode, uid, gid;
	uint64_t ino;
	uint8_t *data;
	size_t size, cap;
	char *link;
	bool opaque;
	int64_t atime, mtime, ctime;
	uint64_t atime_ns, mtime_ns, ctime_ns;
};

struct ent {
	char *path;
	struct inode *ino; /* NULL: whiteout */
	struct ent *next;
};

#define NBUCKET TMP_NBUCKET

void tmp_reset(void)
{
	memset(g.tmp.buckets, 0, sizeof(g.tmp.buckets));
	g.tmp.next_ino = 5000000;
}

static unsigned hpath(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h % NBUCKET;
}

static struct ent *ent_find(const char *path)
{
	for (struct ent *e = g.tmp.buckets[hpath(path)]; e; e = e->next)
		if (kstrcmp(e->path, path) == 0)
			return e;
	return NULL;
}

static int ent_set(const char *path, struct inode *ino)
{
	struct ent *e = ent_find(path);
	if (e) {
		if (e->ino)
			tmp_inode_put(e->ino);
		e->ino = ino;
		return 0;
	}
	e = kzalloc(sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->path = kstrdup(path);
	if (!e->path) {
		kfree(e);
		return -ENOMEM;
	}
	e->ino = ino;
	unsigned b = hpath(path);
	e->next = g.tmp.buckets[b];
	g.tmp.buckets[b] = e;
	return 0;
}

static void ent_del(const char *path)
{
	struct ent **pp = &g.tmp.buckets[hpath(path)];
	for (struct ent *e = *pp; e; pp = &e->next, e = e->next) {
		if (kstrcmp(e->path, path) == 0) {
			*pp = e->next;
			if (e->ino)
				tmp_inode_put(e->ino);
			kfree(e->path);
			kfree(e);
			return;
		}
	}
}

static void now_times(struct inode *i)
{
	uint64_t n = now_ns(PAL_CLOCK_REALTIME);
	i->atime = i->mtime = i->ctime = (int64_t)(n / 1000000000ULL);
	i->atime_ns = i->mtime_ns = i->ctime_ns = n % 1000000000ULL;
}

struct inode *tmp_inode_new(uint32_t mode)
{
	struct inode *i = kzalloc(sizeof(*i));
	if (!i)
		return NULL;
	i->refs = 1;
	i->nlink = 1;
	i->mode = mode;
	i->ino = g.tmp.next_ino++;
	if (g.pal.time_ns)
		now_times(i);
	return i;
}

void tmp_inode_get(struct inode *i)
{
	i->refs++;
}

void tmp_inode_put(struct inode *i)
{
	if (i && --i->refs == 0) {
		kfree(i->data);
		kfree(i->link);
		kfree(i);
	}
}

int tmp_lookup(const char *canon, struct inode **ino, bool *whiteout)
{
	struct ent *e = ent_find(canon);
	if (!e)
		return -ENOENT;
	*ino = e->ino;
	*whiteout = e->ino == NULL;
	return 0;
}

bool tmp_parent_opaque(const char *canon)
{
	char parent[PATH_MAX_];
	const char *name;
	if (kstrcmp(canon, "/") == 0)
		return false;
	path_split(canon, parent, sizeof(parent), &name);
	struct ent *e = ent_find(parent);
	return e && e->ino && e->ino->opaque;
}

void tmp_set_opaque(struct inode *i)
{
	i->opaque = true;
}

static int add_new(const char *canon, struct inode *i)
{
	struct ent *e = ent_find(canon);
	bool was_whiteout = e && !e->ino;
	int r = ent_set(canon, i);
	if (r) {
		tmp_inode_put(i);
		return r;
	}
	if (was_whiteout && S_ISDIR(i->mode))
		i->opaque = true;
	return 0;
}

/* A new inode of type `type` (S_IF*) at canon. */
static int create_typed(const char *canon, uint32_t type, uint32_t mode, struct inode **out)
{
	struct inode *i = tmp_inode_new(type | (mode & 07777));
	if (!i)
		return -ENOMEM;
	int r = add_new(canon, i);
	if (r)
		return r;
	*out = i;
	return 0;
}

int tmp_create(const char *canon, uint32_t mode, struct inode **out)
{
	return create_typed(canon, S_IFREG, mode, out);
}

int tmp_mksock(const char *canon, uint32_t mode, struct inode **out)
{
	return create_typed(canon, S_IFSOCK, mode, out);
}

int tmp_mkdir(const char *canon, uint32_t mode)
{
	struct inode *i = tmp_inode_new(S_IFDIR | (mode & 07777));
	if (!i)
		return -ENOMEM;
	return add_new(canon, i);
}

int tmp_symlink(const char *canon, const char *target)
{
	struct inode *i = tmp_inode_new(S_IFLNK | 0777);
	if (!i)
		return -ENOMEM;
	i->link = kstrdup(target);
	if (!i->link) {
		tmp_inode_put(i);
		return -ENOMEM;
	}
	i->size = strlen(target);
	return add_new(canon, i);
}

int tmp_copy_up(const char *canon, const struct node *nd, struct inode **out)
{
	if (nd->kind == NK_TMP) {
		*out = nd->ino;
		return 0;
	}
	if (nd->kind != NK_HOST)
		return -EACCES;
	if (vfs_readonly())
		return -EROFS;
	const struct libos_mf_entry *me = nd->me;
	struct inode *i = tmp_inode_new(nd->mode);
	if (!i)
		return -ENOMEM;
	i->uid = me ? me->uid : 0;
	i->gid = me ? me->gid : 0;
	if (me) {
		i->mtime = i->atime = i->ctime = (int64_t)me->mtime_sec;
		i->mtime_ns = i->atime_ns = i->ctime_ns = 0;
	}
	if (S_ISREG(nd->mode)) {
		struct fbuf *b;
		int r = vfs_host_contents(me, &b);
		if (r) {
			tmp_inode_put(i);
			return r;
		}
		i->data = kmalloc(b->size ? b->size : 1);
		if (!i->data) {
			fbuf_put(b);
			tmp_inode_put(i);
			return -ENOMEM;
		}
		memcpy(i->data, b->data, b->size);
		i->size = i->cap = b->size;
		fbuf_put(b);
	} else if (S_ISLNK(nd->mode)) {
		i->link = kstrdup(me->link_target ? me->link_target : "");
		i->size = strlen(i->link);
	}
	int r = ent_set(canon, i);
	if (r) {
		tmp_inode_put(i);
		return r;
	}
	*out = i;
	return 0;
}

static int dir_is_empty(struct task *t, const char *canon, const struct node *nd)
{
	struct dirent_snap *d;
	int r = vfs_dir_list(t, canon, nd, &d);
	if (r)
		return r;
	/* "." and ".." only */
	size_t n = *(size_t *)d;
	vfs_dir_free(d);
	return n <= 2 ? 0 : -ENOTEMPTY;
}

int tmp_unlink(struct task *t, const char *canon, bool dir)
{
	struct node nd;
	int r = vfs_lookup(canon, &nd);
	if (r)
		return r;
	if (nd.kind != NK_HOST && nd.kind != NK_TMP)
		return -EACCES;
	if (kstrcmp(canon, "/") == 0)
		return -EBUSY;
	if (dir && !S_ISDIR(nd.mode))
		return -ENOTDIR;
	if (!dir && S_ISDIR(nd.mode))
		return -EISDIR;
	if (vfs_readonly())
		return -EROFS;
	if (dir) {
		r = dir_is_empty(t, canon, &nd);
		if (r)
			return r;
	}
	bool on_host = mf_lookup(canon) != NULL && !tmp_parent_opaque(canon);
	if (nd.kind == NK_TMP)
		nd.ino->nlink--;
	if (on_host)
		return ent_set(canon, NULL);
	ent_del(canon);
	return 0;
}

int tmp_link(const char *from, const char *to)
{
	struct node nd;
	int r = vfs_lookup(from, &nd);
	if (r)
		return r;
	if (S_ISDIR(nd.mode))
		return -EPERM;
	struct inode *i;
	r = tmp_copy_up(from, &nd, &i);
	if (r)
		return r;
	tmp_inode_get(i);
	i->nlink++;
	r = ent_set(to, i);
	if (r) {
		i->nlink--;
		tmp_inode_put(i);
	}
	return r;
}

static bool path_under(const char *p, const char *dir)
{
	size_t l = strlen(dir);
	return kstrncmp(p, dir, l) == 0 && p[l] == '/';
}

static bool host_has_children(const char *dir)
{
	char prefix[PATH_MAX_];
	size_t pl = (size_t)ksnprintf(prefix, sizeof(prefix), "%s/", dir);
	for (size_t i = 0; i < g.cfg.mf_n; i++)
		if (kstrncmp(g.cfg.mf[i].path, prefix, pl) == 0)
			return true;
	return false;
}

int tmp_rename(struct task *t, const char *from, const char *to, unsigned flags)
{
	struct node a, b;
	int r = vfs_lookup(from, &a);
	if (r)
		return r;
	if (vfs_readonly())
		return -EROFS;
	if (a.kind != NK_HOST && a.kind != NK_TMP)
		return -EXDEV;
	if (kstrcmp(from, to) == 0)
		return 0;
	if (path_under(to, from))
		return -EINVAL;
	int rb = vfs_lookup(to, &b);
	if (rb == 0) {
		if (flags & 1) /* RENAME_NOREPLACE */
			return -EEXIST;
		if (b.kind != NK_HOST && b.kind != NK_TMP)
			return -EXDEV;
		if (S_ISDIR(a.mode) && !S_ISDIR(b.mode))
			return -ENOTDIR;
		if (!S_ISDIR(a.mode) && S_ISDIR(b.mode))
			return -EISDIR;
		if (S_ISDIR(b.mode)) {
			r = dir_is_empty(t, to, &b);
			if (r)
				return r;
		}
	}
	if (S_ISDIR(a.mode)) {
		if (a.kind == NK_HOST || host_has_children(from))
			return -EXDEV; /* like overlayfs without redirect_dir */
		/* move the directory and every overlay entry below it */
		for (unsigned bk = 0; bk < NBUCKET; bk++) {
			for (struct ent *e = g.tmp.buckets[bk]; e;) {
				struct ent *nx = e->next;
				if (path_under(e->path, from)) {
					char np[PATH_MAX_];
					ksnprintf(np, sizeof(np), "%s%s", to, e->path + strlen(from));
					struct inode *i = e->ino;
					if (i)
						tmp_inode_get(i);
					ent_set(np, i);
					ent_del(e->path);
				}
				e = nx;
			}
		}
	}
	struct inode *i;
	r = tmp_copy_up(from, &a, &i);
	if (r)
		return r;
	tmp_inode_get(i);
	r = ent_set(to, i);
	if (r) {
		tmp_inode_put(i);
		return r;
	}
	if (mf_lookup(from) && !tmp_parent_opaque(from))
		ent_set(from, NULL);
	else
		ent_del(from);
	return 0;
}

void tmp_stat(const struct inode *i, struct kstat *st)
{
	st->ino = i->ino;
	st->mode = i->mode;
	st->uid = i->uid;
	st->gid = i->gid;
	st->nlink = (uint64_t)(i->nlink > 0 ? i->nlink : 0) + (S_ISDIR(i->mode) ? 1 : 0);
	st->size = S_ISDIR(i->mode) ? 4096 : i->size;
	st->atime_sec = i->atime;
	st->mtime_sec = i->mtime;
	st->ctime_sec = i->ctime;
	st->atime_nsec = i->atime_ns;
	st->mtime_nsec = i->mtime_ns;
	st->ctime_nsec = i->ctime_ns;
}

long tmp_read(struct inode *i, void *dst, size_t len, uint64_t off)
{
	if (off >= i->size)
		return 0;
	size_t n = KMIN(len, i->size - off);
	memcpy(dst, i->data + off, n);
	return (long)n;
}

static int reserve(struct inode *i, size_t need)
{
	if (need <= i->cap)
		return 0;
	if (need > (1ULL << 31))
		return -EFBIG;
	size_t nc = i->cap ? i->cap : 256;
	while (nc < need)
		nc *= 2;
	uint8_t *nd = kmalloc(nc);
	if (!nd)
		return -ENOSPC;
	if (i->size)
		memcpy(nd, i->data, i->size);
	kfree(i->data);
	i->data = nd;
	i->cap = nc;
	return 0;
}

long tmp_write(struct inode *i, const void *src, size_t len, uint64_t off)
{
	if (off + len < off)
		return -EFBIG;
	int r = reserve(i, off + len);
	if (r)
		return r;
	if (off > i->size)
		memset(i->data + i->size, 0, off - i->size);
	if (len)
		memcpy(i->data + off, src, len); /* i->data may still be NULL for len 0 */
	if (off + len > i->size)
		i->size = off + len;
	uint64_t n = now_ns(PAL_CLOCK_REALTIME);
	i->mtime = i->ctime = (int64_t)(n / 1000000000ULL);
	i->mtime_ns = i->ctime_ns = n % 1000000000ULL;
	return (long)len;
}

int tmp_truncate(struct inode *i, uint64_t size)
{
	if (size > i->size) {
		int r = reserve(i, size);
		if (r)
			return r;
		memset(i->data + i->size, 0, size - i->size);
	}
	i->size = size;
	uint64_t n = now_ns(PAL_CLOCK_REALTIME);
	i->mtime = i->ctime = (int64_t)(n / 1000000000ULL);
	i->mtime_ns = i->ctime_ns = n % 1000000000ULL;
	return 0;
}

const char *tmp_link_target(const struct inode *i)
{
	return i->link;
}

uint32_t tmp_mode(const struct inode *i)
{
	return i->mode;
}

void tmp_set_mode(struct inode *i, uint32_t mode)
{
	i->mode = (i->mode & S_IFMT) | (mode & 07777);
}

void tmp_set_owner(struct inode *i, uint32_t uid, uint32_t gid)
{
	if (uid != 0xffffffffu)
		i->uid = uid;
	if (gid != 0xffffffffu)
		i->gid = gid;
}

void tmp_set_times(struct inode *i, int64_t asec, uint64_t ansec, int64_t msec, uint64_t mnsec)
{
	if (asec >= 0) {
		i->atime = asec;
		i->atime_ns = ansec;
	}
	if (msec >= 0) {
		i->mtime = msec;
		i->mtime_ns = mnsec;
	}
}

struct fbuf *tmp_snapshot(struct inode *i)
{
	struct fbuf *b = fbuf_new(i->size);
	if (b && i->size)
		memcpy(b->data, i->data, i->size);
	return b;
}

void tmp_for_children(const char *canon,
		      void (*fn)(void *arg, const char *name, uint32_t mode, bool whiteout),
		      void *arg)
{
	size_t l = strlen(canon);
	bool root = l == 1;
	for (unsigned bk = 0; bk < NBUCKET; bk++) {
		for (struct ent *e = g.tmp.buckets[bk]; e; e = e->next) {
			const char *p = e->path;
			if (root) {
				if (p[0] != '/' || !p[1])
					continue;
				p += 1;
			} else {
				if (kstrncmp(p, canon, l) != 0 || p[l] != '/')
					continue;
				p += l + 1;
			}
			if (!*p || kstrchr(p, '/'))
				continue;
			fn(arg, p, e->ino ? e->ino->mode : 0, e->ino == NULL);
		}
	}
}
