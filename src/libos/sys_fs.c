/*
 * File-system system calls: open/close/read/write and friends, stat family,
 * directories, links, the overlay's metadata changes, dup/fcntl/ioctl,
 * pipes, sendfile (poll, select and epoll: sys_poll.c).
 */
#include "libos/kernel.h"
#include "libos/sock.h"

#define F_DUPFD 0
#define F_GETFD 1
#define F_SETFD 2
#define F_GETFL 3
#define F_SETFL 4
#define F_GETLK 5
#define F_SETLK 6
#define F_SETLKW 7
#define F_DUPFD_CLOEXEC 1030
#define F_GETPIPE_SZ 1032

static struct file *getf(struct task *t, uint64_t fd)
{
	return fd_get(t->proc, (int)fd);
}

/* Resolve a user path (with AT_EMPTY_PATH support when allowed). */
static int upath_resolve(struct task *t, int dirfd, uint64_t upath, unsigned lkflags,
			 bool empty_ok, char **canon, struct node *nd, struct file **fonly)
{
	char *path;
	int r = path_in(t, upath, &path);
	if (r)
		return r;
	if (!path[0]) {
		kfree(path);
		if (!empty_ok)
			return -ENOENT;
		if (dirfd == AT_FDCWD) {
			char *c = kstrdup(t->proc->cwd);
			if (!c)
				return -ENOMEM;
			r = vfs_lookup(c, nd);
			*canon = c;
			return r;
		}
		struct file *f = getf(t, (uint64_t)dirfd);
		if (!f)
			return -EBADF;
		*fonly = f;
		return 1;
	}
	r = vfs_resolve(t, dirfd, path, lkflags, canon, nd);
	kfree(path);
	return r;
}

long sys_openat(struct task *t, const uint64_t *a)
{
	int dirfd = (int)a[0];
	unsigned flags = (unsigned)a[2];
	uint32_t mode = (uint32_t)a[3];
	char *path;
	if (flags & O_TMPFILE)
		return -EOPNOTSUPP;
	int r = path_in(t, a[1], &path);
	if (r)
		return r;
	unsigned lk = (flags & O_NOFOLLOW) ? 0 : LK_FOLLOW;
	if (flags & O_CREAT)
		lk |= LK_PARENT_OK;
	if (flags & O_DIRECTORY)
		lk |= LK_DIR;
	char *canon;
	struct node nd;
	r = vfs_resolve(t, dirfd, path, lk, &canon, &nd);
	kfree(path);
	if (r)
		return r;
	struct file *f = NULL;
	if (nd.kind == NK_NONE) {
		/* create */
		char parent[PATH_MAX_];
		const char *name;
		path_split(canon, parent, sizeof(parent), &name);
		struct node pn;
		r = vfs_lookup(parent, &pn);
		if (!r && !S_ISDIR(pn.mode))
			r = -ENOTDIR;
		if (!r && (pn.kind == NK_PROC || pn.kind == NK_DEV || pn.kind == NK_TSM ||
			   kstrcmp(parent, "/dev") == 0 || kstrcmp(parent, "/dev/pts") == 0 ||
			   kstrcmp(parent, "/proc") == 0))
			r = -EACCES;
		if (!r && vfs_readonly())
			r = -EROFS;
		if (!r && (flags & O_DIRECTORY))
			r = -EISDIR;
		struct inode *ino;
		if (!r)
			r = tmp_create(canon, mode & ~t->proc->umask & 07777, &ino);
		if (!r) {
			tmp_set_owner(ino, t->proc->euid, t->proc->egid);
			nd.kind = NK_TMP;
			nd.ino = ino;
			nd.mode = tmp_mode(ino);
			r = vfs_open_node(t, canon, &nd, flags & ~O_TRUNC, &f);
		}
	} else {
		if ((flags & O_CREAT) && (flags & O_EXCL))
			r = -EEXIST;
		else if ((flags & O_NOFOLLOW) && S_ISLNK(nd.mode) && !(flags & O_PATH))
			r = -ELOOP;
		else
			r = vfs_open_node(t, canon, &nd, flags, &f);
	}
	kfree(canon);
	if (r)
		return r;
	int fd = fd_install(t->proc, f, 0, (flags & O_CLOEXEC) != 0);
	if (fd < 0)
		file_put(f);
	return fd;
}

long sys_close(struct task *t, const uint64_t *a)
{
	return fd_close(t->proc, (int)a[0]);
}

long sys_read(struct task *t, const uint64_t *a)
{
	struct file *f = getf(t, a[0]);
	if (!f)
		return -EBADF;
	if ((int64_t)a[2] < 0)
		return -EINVAL;
	return file_read(t, f, a[1], a[2], NULL, false);
}

long sys_write(struct task *t, const uint64_t *a)
{
	struct file *f = getf(t, a[0]);
	if (!f)
		return -EBADF;
	if ((int64_t)a[2] < 0)
		return -EINVAL;
	return file_write(t, f, a[1], a[2], NULL, false);
}

static bool seekable(struct file *f)
{
	return f->type == FT_HOST || f->type == FT_TMP || f->type == FT_PROC ||
	       f->type == FT_DEV || f->type == FT_DIR;
}

long sys_pread64(struct task *t, const uint64_t *a)
{
	struct file *f = getf(t, a[0]);
	if (!f)
		return -EBADF;
	if (!seekable(f))
		return -ESPIPE;
	if ((int64_t)a[3] < 0 || (int64_t)a[2] < 0)
		return -EINVAL;
	uint64_t pos = a[3];
	return file_read(t, f, a[1], a[2], &pos, true);
}

long sys_pwrite64(struct task *t, const uint64_t *a)
{
	struct file *f = getf(t, a[0]);
	if (!f)
		return -EBADF;
	if (!seekable(f))
		return -ESPIPE;
	if ((int64_t)a[3] < 0 || (int64_t)a[2] < 0)
		return -EINVAL;
	uint64_t pos = a[3];
	return file_write(t, f, a[1], a[2], &pos, true);
}

static long do_iov(struct task *t, const uint64_t *a, bool wr, bool use_pos, uint64_t pos)
{
	struct file *f = getf(t, a[0]);
	if (!f)
		return -EBADF;
	int cnt = (int)a[2];
	if (cnt < 0 || cnt > 1024)
		return -EINVAL;
	if (use_pos && !seekable(f))
		return -ESPIPE;
	long total = 0;
	for (int i = 0; i < cnt; i++) {
		uint64_t iov[2];
		if (copy_in(t, iov, a[1] + (uint64_t)i * 16, 16))
			return total ? total : -EFAULT;
		if ((int64_t)iov[1] < 0)
			return -EINVAL;
		if (!iov[1])
			continue;
		uaccess_allow(t, iov[0], iov[1]);
		long r = wr ? file_write(t, f, iov[0], iov[1], &pos, use_pos) :
			      file_read(t, f, iov[0], iov[1], &pos, use_pos);
		if (r < 0)
			return total ? total : r;
		total += r;
		if ((uint64_t)r < iov[1])
			break;
	}
	return total;
}

long sys_readv(struct task *t, const uint64_t *a)
{
	return do_iov(t, a, false, false, 0);
}

long sys_writev(struct task *t, const uint64_t *a)
{
	return do_iov(t, a, true, false, 0);
}

long sys_preadv(struct task *t, const uint64_t *a)
{
	return do_iov(t, a, false, true, a[3]);
}

long sys_pwritev(struct task *t, const uint64_t *a)
{
	return do_iov(t, a, true, true, a[3]);
}

/* RWF_HIPRI, RWF_DSYNC, RWF_SYNC: hints and durability that the overlay meets anyway */
#define RWF_HONOURED 7u

/* preadv2/pwritev2: offset -1 is the file position, as readv/writev. */
static long do_iov2(struct task *t, const uint64_t *a, bool wr)
{
	if ((uint32_t)a[5] & ~RWF_HONOURED || (a[5] >> 32) != 0)
		return -EOPNOTSUPP; /* RWF_NOWAIT, RWF_APPEND, unknown flags */
	if ((int64_t)a[3] == -1)
		return do_iov(t, a, wr, false, 0);
	if ((int64_t)a[3] < 0)
		return -EINVAL;
	return do_iov(t, a, wr, true, a[3]);
}

long sys_preadv2(struct task *t, const uint64_t *a)
{
	return do_iov2(t, a, false);
}

long sys_pwritev2(struct task *t, const uint64_t *a)
{
	return do_iov2(t, a, true);
}

static uint64_t file_size(struct file *f)
{
	struct kstat st;
	file_stat(f, &st);
	if (f->type == FT_HOST || f->type == FT_PROC)
		return f->buf->size;
	return st.size;
}

long sys_lseek(struct task *t, const uint64_t *a)
{
	struct file *f = getf(t, a[0]);
	if (!f)
		return -EBADF;
	if (!seekable(f))
		return -ESPIPE;
	int64_t off = (int64_t)a[1];
	int whence = (int)a[2];
	int64_t base;
	switch (whence) {
	case 0:
		base = 0;
		break;
	case 1:
		base = (int64_t)f->pos;
		break;
	case 2:
		base = (int64_t)file_size(f);
		break;
	default:
		return -EINVAL;
	}
	int64_t np = base + off;
	if (np < 0)
		return -EINVAL;
	if (f->type == FT_DIR) {
		if (np != 0)
			return -EINVAL;
		vfs_dir_free(f->dir);
		f->dir = NULL;
	}
	f->pos = (uint64_t)np;
	return np;
}

long sys_getdents64(struct task *t, const uint64_t *a)
{
	struct file *f = getf(t, a[0]);
	if (!f)
		return -EBADF;
	return vfs_getdents(f, t, a[1], a[2]);
}

/* struct stat (asm-generic, arm64): 128 bytes */
static int put_stat(struct task *t, uint64_t ubuf, const struct kstat *st)
{
	uint8_t b[128];
	memset(b, 0, sizeof(b));
	uint32_t nlink = (uint32_t)st->nlink;
	int32_t blksize = 4096;
	int64_t size = (int64_t)st->size, blocks = (int64_t)st->blocks;
	memcpy(b + 0, &st->dev, 8);
	memcpy(b + 8, &st->ino, 8);
	memcpy(b + 16, &st->mode, 4);
	memcpy(b + 20, &nlink, 4);
	memcpy(b + 24, &st->uid, 4);
	memcpy(b + 28, &st->gid, 4);
	memcpy(b + 32, &st->rdev, 8);
	memcpy(b + 48, &size, 8);
	memcpy(b + 56, &blksize, 4);
	memcpy(b + 64, &blocks, 8);
	memcpy(b + 72, &st->atime_sec, 8);
	memcpy(b + 80, &st->atime_nsec, 8);
	memcpy(b + 88, &st->mtime_sec, 8);
	memcpy(b + 96, &st->mtime_nsec, 8);
	memcpy(b + 104, &st->ctime_sec, 8);
	memcpy(b + 112, &st->ctime_nsec, 8);
	return copy_out(t, ubuf, b, sizeof(b));
}

static int stat_at(struct task *t, int dirfd, uint64_t upath, int flags, struct kstat *st)
{
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | 0x6000))
		return -EINVAL;
	char *canon = NULL;
	struct node nd;
	struct file *f = NULL;
	int r = upath_resolve(t, dirfd, upath, (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LK_FOLLOW,
			      (flags & AT_EMPTY_PATH) != 0, &canon, &nd, &f);
	if (r == 1)
		return file_stat(f, st);
	if (r)
		return r;
	vfs_node_stat(canon, &nd, st);
	kfree(canon);
	return 0;
}

long sys_newfstatat(struct task *t, const uint64_t *a)
{
	struct kstat st;
	int r = stat_at(t, (int)a[0], a[1], (int)a[3], &st);
	if (r)
		return r;
	return put_stat(t, a[2], &st);
}

long sys_fstat(struct task *t, const uint64_t *a)
{
	struct file *f = getf(t, a[0]);
	if (!f)
		return -EBADF;
	struct kstat st;
	file_stat(f, &st);
	return put_stat(t, a[1], &st);
}

long sys_statx(struct task *t, const uint64_t *a)
{
	struct kstat st;
	int flags = (int)a[2] & ~0x6000; /* AT_STATX_SYNC_TYPE */
	int r = stat_at(t, (int)a[0], a[1], flags, &st);
	if (r)
		return r;
	uint8_t b[256];
	memset(b, 0, sizeof(b));
	uint32_t mask = 0x7ff, blksize = 4096, nlink = (uint32_t)st.nlink;
	uint16_t mode = (uint16_t)st.mode;
	memcpy(b + 0, &mask, 4);
	memcpy(b + 4, &blksize, 4);
	memcpy(b + 16, &nlink, 4);
	memcpy(b + 20, &st.uid, 4);
	memcpy(b + 24, &st.gid, 4);
	memcpy(b + 28, &mode, 2);
	memcpy(b + 32, &st.ino, 8);
	memcpy(b + 40, &st.size, 8);
	memcpy(b + 48, &st.blocks, 8);
	int64_t ts[4][2] = { { st.atime_sec, (int64_t)st.atime_nsec },
			     { st.ctime_sec, (int64_t)st.ctime_nsec },
			     { st.ctime_sec, (int64_t)st.ctime_nsec },
			     { st.mtime_sec, (int64_t)st.mtime_nsec } };
	for (int i = 0; i < 4; i++) {
		uint32_t ns = (uint32_t)ts[i][1];
		memcpy(b + 64 + 16 * i, &ts[i][0], 8);
		memcpy(b + 72 + 16 * i, &ns, 4);
	}
	uint32_t rmaj = (uint32_t)(st.rdev >> 8), rmin = (uint32_t)(st.rdev & 0xff);
	uint32_t dmaj = (uint32_t)(st.dev >> 8), dmin = (uint32_t)(st.dev & 0xff);
	memcpy(b + 128, &rmaj, 4);
	memcpy(b + 132, &rmin, 4);
	memcpy(b + 136, &dmaj, 4);
	memcpy(b + 140, &dmin, 4);
	return copy_out(t, a[4], b, sizeof(b)); /* statx(dirfd, path, flags, mask, statxbuf) */
}

static long do_access(struct task *t, int dirfd, uint64_t upath, int mode, int flags)
{
	if (mode & ~7)
		return -EINVAL;
	if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	char *canon = NULL;
	struct node nd;
	struct file *f = NULL;
	int r = upath_resolve(t, dirfd, upath, (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LK_FOLLOW,
			      (flags & AT_EMPTY_PATH) != 0, &canon, &nd, &f);
	if (r == 1)
		return 0;
	if (r)
		return r;
	kfree(canon);
	uint32_t m = nd.mode;
	if ((mode & 2) && vfs_readonly() && (nd.kind == NK_HOST || nd.kind == NK_TMP))
		return -EROFS;
	if ((mode & 2) && nd.kind == NK_PROC)
		return -EACCES;
	if (t->proc->euid == 0) {
		if ((mode & 1) && !S_ISDIR(m) && !(m & 0111))
			return -EACCES;
		return 0;
	}
	struct kstat st;
	vfs_node_stat(NULL, &nd, &st);
	unsigned shift = st.uid == t->proc->euid ? 6 : st.gid == t->proc->egid ? 3 : 0;
	unsigned perm = (m >> shift) & 7;
	if ((perm & (unsigned)mode) != (unsigned)mode)
		return -EACCES;
	return 0;
}

long sys_faccessat(struct task *t, const uint64_t *a)
{
	return do_access(t, (int)a[0], a[1], (int)a[2], 0);
}

long sys_faccessat2(struct task *t, const uint64_t *a)
{
	return do_access(t, (int)a[0], a[1], (int)a[2], (int)a[3]);
}

long sys_readlinkat(struct task *t, const uint64_t *a)
{
	if ((int64_t)a[3] <= 0)
		return -EINVAL;
	char *canon;
	struct node nd;
	char *path;
	int r = path_in(t, a[1], &path);
	if (r)
		return r;
	if (!path[0]) {
		kfree(path);
		return -ENOENT;
	}
	r = vfs_resolve(t, (int)a[0], path, 0, &canon, &nd);
	kfree(path);
	if (r)
		return r;
	kfree(canon);
	if (!S_ISLNK(nd.mode))
		return -EINVAL;
	char *buf = kmalloc(PATH_MAX_);
	if (!buf)
		return -ENOMEM;
	long l = vfs_readlink_node(t, &nd, buf, PATH_MAX_);
	if (l >= 0) {
		size_t n = KMIN((size_t)l, a[3]);
		l = copy_out(t, a[2], buf, n) ? -EFAULT : (long)n;
	}
	kfree(buf);
	return l;
}

long sys_getcwd(struct task *t, const uint64_t *a)
{
	size_t l = strlen(t->proc->cwd) + 1;
	if (a[1] < l)
		return -ERANGE;
	if (copy_out(t, a[0], t->proc->cwd, l))
		return -EFAULT;
	return (long)l;
}

static long set_cwd(struct task *t, char *canon, const struct node *nd)
{
	if (!S_ISDIR(nd->mode)) {
		kfree(canon);
		return -ENOTDIR;
	}
	kfree(t->proc->cwd);
	t->proc->cwd = canon;
	return 0;
}

long sys_chdir(struct task *t, const uint64_t *a)
{
	char *path, *canon;
	struct node nd;
	int r = path_in(t, a[0], &path);
	if (r)
		return r;
	r = vfs_resolve(t, AT_FDCWD, path, LK_FOLLOW, &canon, &nd);
	kfree(path);
	if (r)
		return r;
	return set_cwd(t, canon, &nd);
}

long sys_fchdir(struct task *t, const uint64_t *a)
{
	struct file *f = getf(t, a[0]);
	if (!f)
		return -EBADF;
	if (f->type != FT_DIR)
		return -ENOTDIR;
	char *c = kstrdup(f->path);
	if (!c)
		return -ENOMEM;
	struct node nd;
	int r = vfs_lookup(c, &nd);
	if (r) {
		kfree(c);
		return r;
	}
	return set_cwd(t, c, &nd);
}

static bool overlay_path(const char *canon)
{
	return !(kstarts_with(canon, "/proc") && (canon[5] == 0 || canon[5] == '/')) &&
	       !(kstarts_with(canon, "/dev") && (canon[4] == 0 || canon[4] == '/'));
}

/* Resolve for creation: parent must exist; returns canon of the new name. */
static int resolve_new(struct task *t, int dirfd, uint64_t upath, char **canon, struct node *nd)
{
	char *path;
	int r = path_in(t, upath, &path);
	if (r)
		return r;
	if (!path[0]) {
		kfree(path);
		return -ENOENT;
	}
	r = vfs_resolve(t, dirfd, path, LK_PARENT_OK, canon, nd);
	kfree(path);
	if (r)
		return r;
	if (!overlay_path(*canon)) {
		kfree(*canon);
		return -EACCES;
	}
	return 0;
}

long sys_mkdirat(struct task *t, const uint64_t *a)
{
	char *canon;
	struct node nd;
	int r = resolve_new(t, (int)a[0], a[1], &canon, &nd);
	if (r)
		return r;
	if (nd.kind != NK_NONE)
		r = -EEXIST;
	else if (tsm_covers(canon))
		r = tsm_mkdir(canon);
	else if (vfs_readonly())
		r = -EROFS;
	else
		r = tmp_mkdir(canon, (uint32_t)a[2] & ~t->proc->umask & 07777);
	kfree(canon);
	return r;
}

long sys_unlinkat(struct task *t, const uint64_t *a)
{
	int flags = (int)a[2];
	if (flags & ~AT_REMOVEDIR)
		return -EINVAL;
	char *path, *canon;
	struct node nd;
	int r = path_in(t, a[1], &path);
	if (r)
		return r;
	r = vfs_resolve(t, (int)a[0], path, 0, &canon, &nd);
	kfree(path);
	if (r)
		return r;
	if (tsm_covers(canon))
		r = tsm_rmdir(canon, (flags & AT_REMOVEDIR) != 0);
	else if (!overlay_path(canon))
		r = -EACCES;
	else
		r = tmp_unlink(t, canon, (flags & AT_REMOVEDIR) != 0);
	kfree(canon);
	return r;
}

static long do_rename(struct task *t, int ofd, uint64_t opath, int nfd, uint64_t npath,
		      unsigned flags)
{
	if (flags & ~1u)
		return flags & 2 ? -EINVAL : -EINVAL;
	char *p1, *c1, *c2;
	struct node n1, n2;
	int r = path_in(t, opath, &p1);
	if (r)
		return r;
	r = vfs_resolve(t, ofd, p1, 0, &c1, &n1);
	kfree(p1);
	if (r)
		return r;
	r = resolve_new(t, nfd, npath, &c2, &n2);
	if (r) {
		kfree(c1);
		return r;
	}
	if (!overlay_path(c1))
		r = -EXDEV;
	else
		r = tmp_rename(t, c1, c2, flags);
	kfree(c1);
	kfree(c2);
	return r;
}

long sys_renameat(struct task *t, const uint64_t *a)
{
	return do_rename(t, (int)a[0], a[1], (int)a[2], a[3], 0);
}

long sys_renameat2(struct task *t, const uint64_t *a)
{
	return do_rename(t, (int)a[0], a[1], (int)a[2], a[3], (unsigned)a[4]);
}

long sys_linkat(struct task *t, const uint64_t *a)
{
	int flags = (int)a[4];
	if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	char *p1, *c1, *c2;
	struct node n1, n2;
	int r = path_in(t, a[1], &p1);
	if (r)
		return r;
	r = vfs_resolve(t, (int)a[0], p1, (flags & AT_SYMLINK_FOLLOW) ? LK_FOLLOW : 0, &c1, &n1);
	kfree(p1);
	if (r)
		return r;
	r = resolve_new(t, (int)a[2], a[3], &c2, &n2);
	if (r) {
		kfree(c1);
		return r;
	}
	if (n2.kind != NK_NONE)
		r = -EEXIST;
	else if (vfs_readonly())
		r = -EROFS;
	else if (!overlay_path(c1))
		r = -EXDEV;
	else
		r = tmp_link(c1, c2);
	kfree(c1);
	kfree(c2);
	return r;
}

long sys_symlinkat(struct task *t, const uint64_t *a)
{
	char *target;
	int r = path_in(t, a[0], &target);
	if (r)
		return r;
	if (!target[0]) {
		kfree(target);
		return -ENOENT;
	}
	char *canon;
	struct node nd;
	r = resolve_new(t, (int)a[1], a[2], &canon, &nd);
	if (!r) {
		if (nd.kind != NK_NONE)
			r = -EEXIST;
		else if (vfs_readonly())
			r = -EROFS;
		else
			r = tmp_symlink(canon, target);
		kfree(canon);
	}
	kfree(target);
	return r;
}

/* Copy up the file a path or fd names so its metadata can change. */
static int meta_target(struct task *t, int dirfd, uint64_t upath, bool use_fd, int flags,
		       struct inode **out)
{
	char *canon = NULL;
	struct node nd;
	struct file *f = NULL;
	int r;
	if (use_fd) {
		f = getf(t, (uint64_t)dirfd);
		if (!f)
			return -EBADF;
		r = 1;
	} else {
		r = upath_resolve(t, dirfd, upath, (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LK_FOLLOW,
				  (flags & AT_EMPTY_PATH) != 0, &canon, &nd, &f);
		if (r < 0)
			return r;
	}
	if (r == 1) {
		if (f->type == FT_TMP) {
			*out = f->ino;
			return 0;
		}
		if (!f->path || (f->type != FT_HOST && f->type != FT_DIR && f->type != FT_PATH))
			return f->type == FT_PIPE || f->type == FT_CONSOLE ? 0 : -EPERM;
		canon = kstrdup(f->path);
		if (!canon)
			return -ENOMEM;
		r = vfs_lookup(canon, &nd);
		if (r) {
			kfree(canon);
			return r;
		}
	}
	if (nd.kind != NK_HOST && nd.kind != NK_TMP) {
		kfree(canon);
		return nd.kind == NK_DEV ? 0 : -EPERM;
	}
	if (vfs_readonly()) {
		kfree(canon);
		return -EROFS;
	}
	r = tmp_copy_up(canon, &nd, out);
	kfree(canon);
	return r;
}

static long do_chmod(struct task *t, int fd, uint64_t upath, bool use_fd, uint32_t mode, int fl)
{
	struct inode *ino = NULL;
	int r = meta_target(t, fd, upath, use_fd, fl, &ino);
	if (r)
		return r;
	if (ino)
		tmp_set_mode(ino, mode);
	return 0;
}

long sys_fchmod(struct task *t, const uint64_t *a)
{
	return do_chmod(t, (int)a[0], 0, true, (uint32_t)a[1], 0);
}

long sys_fchmodat(struct task *t, const uint64_t *a)
{
	return do_chmod(t, (int)a[0], a[1], false, (uint32_t)a[2], 0);
}

static long do_chown(struct task *t, int fd, uint64_t upath, bool use_fd, uint32_t uid,
		     uint32_t gid, int fl)
{
	if (t->proc->euid != 0)
		return -EPERM;
	struct inode *ino = NULL;
	int r = meta_target(t, fd, upath, use_fd, fl, &ino);
	if (r)
		return r;
	if (ino)
		tmp_set_owner(ino, uid, gid);
	return 0;
}

long sys_fchown(struct task *t, const uint64_t *a)
{
	return do_chown(t, (int)a[0], 0, true, (uint32_t)a[1], (uint32_t)a[2], 0);
}

long sys_fchownat(struct task *t, const uint64_t *a)
{
	return do_chown(t, (int)a[0], a[1], false, (uint32_t)a[2], (uint32_t)a[3], (int)a[4]);
}

long sys_utimensat(struct task *t, const uint64_t *a)
{
	int flags = (int)a[3];
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	int64_t ts[2][2];
	uint64_t now = now_ns(PAL_CLOCK_REALTIME);
	if (a[2]) {
		if (copy_in(t, ts, a[2], sizeof(ts)))
			return -EFAULT;
		for (int i = 0; i < 2; i++) {
			if (ts[i][1] == (1 << 30) - 1) { /* UTIME_NOW */
				ts[i][0] = (int64_t)(now / 1000000000ULL);
				ts[i][1] = (int64_t)(now % 1000000000ULL);
			} else if (ts[i][1] == (1 << 30) - 2) { /* UTIME_OMIT */
				ts[i][0] = -1;
			} else if (ts[i][1] < 0 || ts[i][1] >= 1000000000) {
				return -EINVAL;
			}
		}
	} else {
		for (int i = 0; i < 2; i++) {
			ts[i][0] = (int64_t)(now / 1000000000ULL);
			ts[i][1] = (int64_t)(now % 1000000000ULL);
		}
	}
	struct inode *ino = NULL;
	int r;
	if (!a[1])
		r = meta_target(t, (int)a[0], 0, true, 0, &ino);
	else
		r = meta_target(t, (int)a[0], a[1], false, flags, &ino);
	if (r)
		return r;
	if (ino)
		tmp_set_times(ino, ts[0][0], (uint64_t)ts[0][1], ts[1][0], (uint64_t)ts[1][1]);
	return 0;
}

long sys_ftruncate(struct task *t, const uint64_t *a)
{
	struct file *f = getf(t, a[0]);
	if (!f)
		return -EBADF;
	if ((int64_t)a[1] < 0)
		return -EINVAL;
	if (f->type != FT_TMP || (f->flags & O_ACCMODE) == O_RDONLY)
		return f->type == FT_HOST ? -EINVAL : -EINVAL;
	return tmp_truncate(f->ino, a[1]);
}

long sys_truncate(struct task *t, const uint64_t *a)
{
	if ((int64_t)a[1] < 0)
		return -EINVAL;
	char *path, *canon;
	struct node nd;
	int r = path_in(t, a[0], &path);
	if (r)
		return r;
	r = vfs_resolve(t, AT_FDCWD, path, LK_FOLLOW, &canon, &nd);
	kfree(path);
	if (r)
		return r;
	struct inode *ino;
	if (S_ISDIR(nd.mode))
		r = -EISDIR;
	else if (vfs_readonly())
		r = -EROFS;
	else
		r = tmp_copy_up(canon, &nd, &ino);
	kfree(canon);
	return r ? r : tmp_truncate(ino, a[1]);
}

long sys_fsync(struct task *t, const uint64_t *a)
{
	return getf(t, a[0]) ? 0 : -EBADF;
}

/* The overlay lives in the container's memory: there is nothing to write back. */
long sys_sync(struct task *t, const uint64_t *a)
{
	return 0;
}

#define POSIX_FADV_NOREUSE 5

long sys_fadvise64(struct task *t, const uint64_t *a)
{
	struct file *f = getf(t, a[0]);

	if (!f)
		return -EBADF;
	if (f->type == FT_PIPE)
		return -ESPIPE;
	if ((int64_t)a[2] < 0 || a[3] > POSIX_FADV_NOREUSE)
		return -EINVAL;
	return 0; /* advice only */
}

long sys_readahead(struct task *t, const uint64_t *a)
{
	struct file *f = getf(t, a[0]);

	if (!f || (f->flags & O_ACCMODE) == O_WRONLY)
		return -EBADF;
	if (f->type != FT_HOST && f->type != FT_TMP)
		return -EINVAL; /* regular files only */
	return 0;
}

#define CLOSE_RANGE_UNSHARE 2u
#define CLOSE_RANGE_CLOEXEC 4u

/*
 * close_range: close (or, with CLOSE_RANGE_CLOEXEC, mark close-on-exec)
 * every open descriptor from first to last. UNSHARE asks for a private
 * table first; the threads of a process share one here, so with other
 * threads alive it is refused rather than closing theirs too.
 */
long sys_close_range(struct task *t, const uint64_t *a)
{
	uint32_t first = (uint32_t)a[0], last = (uint32_t)a[1], flags = (uint32_t)a[2];
	struct fdtable *ft = t->proc->fds;

	if ((flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)) || first > last)
		return -EINVAL;
	if ((flags & CLOSE_RANGE_UNSHARE) && t->proc->nthreads > 1)
		return -EINVAL;
	for (uint32_t fd = first; fd < MAX_FDS && fd <= last; fd++) {
		if (ft->f[fd] == NULL)
			continue;
		if (flags & CLOSE_RANGE_CLOEXEC)
			ft->cloexec[fd] = 1;
		else
			fd_close(t->proc, (int)fd);
	}
	return 0;
}

long sys_dup(struct task *t, const uint64_t *a)
{
	struct file *f = getf(t, a[0]);
	if (!f)
		return -EBADF;
	file_get(f);
	int fd = fd_install(t->proc, f, 0, false);
	if (fd < 0)
		file_put(f);
	return fd;
}

long sys_dup3(struct task *t, const uint64_t *a)
{
	int oldfd = (int)a[0], newfd = (int)a[1];
	unsigned flags = (unsigned)a[2];
	if (flags & ~O_CLOEXEC)
		return -EINVAL;
	struct file *f = getf(t, (uint64_t)oldfd);
	if (!f)
		return -EBADF;
	if (oldfd == newfd)
		return -EINVAL;
	if (newfd < 0 || newfd >= MAX_FDS)
		return -EBADF;
	struct process *p = t->proc;
	file_get(f);
	if (p->fds->f[newfd])
		file_put(p->fds->f[newfd]);
	p->fds->f[newfd] = f;
	p->fds->cloexec[newfd] = (flags & O_CLOEXEC) != 0;
	return newfd;
}

long sys_fcntl(struct task *t, const uint64_t *a)
{
	int fd = (int)a[0], cmd = (int)a[1];
	struct process *p = t->proc;
	struct file *f = getf(t, a[0]);
	if (!f)
		return -EBADF;
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC: {
		if ((int64_t)a[2] < 0 || a[2] >= MAX_FDS)
			return -EINVAL;
		file_get(f);
		int nfd = fd_install(p, f, (int)a[2], cmd == F_DUPFD_CLOEXEC);
		if (nfd < 0)
			file_put(f);
		return nfd;
	}
	case F_GETFD:
		return p->fds->cloexec[fd] ? 1 : 0;
	case F_SETFD:
		p->fds->cloexec[fd] = (a[2] & 1) != 0;
		return 0;
	case F_GETFL:
		/* Linux sets O_LARGEFILE on open(2)ed files, not on pipes or anonymous inodes */
		if (f->type == FT_PIPE || f->type == FT_EVENTFD || f->type == FT_TIMERFD ||
		    f->type == FT_EPOLL)
			return (long)f->flags;
		return (long)(f->flags | O_LARGEFILE);
	case F_SETFL: {
		unsigned chg = O_APPEND | O_NONBLOCK | 0200000 /* O_DIRECT */ | 020000 /* O_ASYNC */ |
			       01000000 /* O_NOATIME */;
		f->flags = (f->flags & ~chg) | ((unsigned)a[2] & chg);
		return 0;
	}
	case F_GETLK: {
		/* no locks held by others: l_type = F_UNLCK */
		int16_t unlck = 2;
		return copy_out(t, a[2], &unlck, 2) ? -EFAULT : 0;
	}
	case F_SETLK:
	case F_SETLKW:
		return 0;
	case F_GETPIPE_SZ:
		return f->type == FT_PIPE ? 65536 : -EBADF;
	default:
		return -EINVAL;
	}
}

#define TCGETS 0x5401
#define TCSETS 0x5402
#define TCSETSW 0x5403
#define TCSETSF 0x5404
#define TIOCGPGRP 0x540F
#define TIOCSPGRP 0x5410
#define TIOCGWINSZ 0x5413
#define TIOCSWINSZ 0x5414
#define FIONREAD 0x541B
#define FIONBIO 0x5421
#define FIONCLEX 0x5450
#define FIOCLEX 0x5451
#define TIOCSCTTY 0x540E
#define TIOCNOTTY 0x5422
#define TIOCGSID 0x5429

static const uint8_t termios_default[36] = {
	/* c_iflag ICRNL|IXON, c_oflag OPOST|ONLCR, c_cflag B38400|CS8|CREAD, c_lflag
	   ISIG|ICANON|ECHO|ECHOE|ECHOK|IEXTEN|ECHOCTL|ECHOKE */
	0x00, 0x05, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0xbf, 0x00, 0x00, 0x00,
	0x3b, 0x8a, 0x00, 0x00, 0x00, 0x03, 0x1c, 0x7f, 0x15, 0x04, 0x00, 0x01,
	0x00, 0x11, 0x13, 0x1a, 0x00, 0x12, 0x0f, 0x17, 0x16, 0x00, 0x00, 0x00,
};

/* A terminal's size until someone sets it (the host's terminal, TIOCSWINSZ). */
static const uint16_t winsize_default[4] = {24, 80, 0, 0};

void tty_reset(void)
{
	for (int i = 0; i < LIBOS_NTTY; i++) {
		memcpy(g.tty.termios[i], termios_default, sizeof(g.tty.termios[i]));
		memcpy(g.tty.winsize[i], winsize_default, sizeof(g.tty.winsize[i]));
		g.tty.fg_pgrp[i] = 1;
		g.tty.sid[i] = 0;
	}
}

void tty_session_start(int pts, int sid)
{
	if (pts < 0 || pts >= LIBOS_NTTY)
		return;
	if (pts > 0) {
		memcpy(g.tty.termios[pts], termios_default, sizeof(g.tty.termios[pts]));
		memcpy(g.tty.winsize[pts], winsize_default, sizeof(g.tty.winsize[pts]));
	}
	g.tty.fg_pgrp[pts] = sid;
	g.tty.sid[pts] = sid;
}

/* Every process of session sid loses its controlling terminal. */
static void session_clear_tty(int sid)
{
	for (struct process *q = g.all; q; q = q->next_all)
		if (q->sid == sid)
			q->ctty = 0;
}

void tty_set_size(int pts, unsigned rows, unsigned cols)
{
	if (pts < 0 || pts >= LIBOS_NTTY)
		return;
	g.tty.winsize[pts][0] = (uint16_t)rows;
	g.tty.winsize[pts][1] = (uint16_t)cols;
}

/* Send sig to every live process of group pgrp. */
static void signal_pgrp(int pgrp, int sig)
{
	for (struct process *q = g.all; q; q = q->next_all)
		if (q->pgid == pgrp && q->state != P_ZOMBIE)
			sig_send(q, sig);
}

void tty_session_end(struct process *leader, bool on_exit)
{
	int pts = leader->ctty - 1;

	if (leader->sid != leader->pid || pts < 0 || pts >= LIBOS_NTTY)
		return;
	if (g.tty.sid[pts] == leader->sid) {
		if (g.tty.fg_pgrp[pts] > 0) {
			signal_pgrp(g.tty.fg_pgrp[pts], SIGHUP);
			if (!on_exit)
				signal_pgrp(g.tty.fg_pgrp[pts], SIGCONT);
		}
		g.tty.sid[pts] = 0;
		g.tty.fg_pgrp[pts] = 0;
	}
	session_clear_tty(leader->sid);
}

/*
 * Linux's tty_do_resize: terminal pts takes size ws; if that is a change,
 * its foreground process group (if any) gets SIGWINCH.
 */
static void tty_resize(int pts, const uint16_t ws[4])
{
	if (memcmp(g.tty.winsize[pts], ws, sizeof(g.tty.winsize[pts])) == 0)
		return;
	if (g.tty.fg_pgrp[pts] > 0)
		signal_pgrp(g.tty.fg_pgrp[pts], SIGWINCH);
	memcpy(g.tty.winsize[pts], ws, sizeof(g.tty.winsize[pts]));
}

/* The host resized terminal pts (lock held): libos_winsize, libos_spawn_winsize. */
static int host_resize(int pts, unsigned rows, unsigned cols)
{
	if (g.container_done)
		return -ESRCH;
	if (!console_pts_live(pts))
		return -ENOTTY;
	uint16_t ws[4] = {(uint16_t)rows, (uint16_t)cols, g.tty.winsize[pts][2],
			  g.tty.winsize[pts][3]};
	tty_resize(pts, ws);
	return 0;
}

int libos_winsize(int pts, unsigned rows, unsigned cols)
{
	if (pts < 0 || pts >= LIBOS_NTTY || rows > 0xffff || cols > 0xffff)
		return -EINVAL;
	PAL(lock);
	int r = host_resize(pts, rows, cols);
	PAL(unlock);
	return r;
}

int libos_spawn_winsize(int pid, unsigned rows, unsigned cols)
{
	int r = -ESRCH;

	if (pid <= 0 || rows > 0xffff || cols > 0xffff)
		return -EINVAL;
	PAL(lock);
	for (int i = 0; i < LIBOS_SPAWN_MAX; i++)
		if (g.spawned[i].pid == pid)
			r = g.spawned[i].pts > 0 ? host_resize(g.spawned[i].pts, rows, cols)
						 : -ENOTTY;
	PAL(unlock);
	return r;
}

/* The session of process group (or, as Linux's find_vpid, process) nr; 0 if none. */
static int session_of_pgrp(int nr)
{
	struct process *byp = NULL;

	for (struct process *q = g.all; q; q = q->next_all) {
		if (q->state == P_ZOMBIE)
			continue;
		if (q->pgid == nr)
			return q->sid;
		if (q->pid == nr)
			byp = q;
	}
	return byp ? byp->sid : 0;
}

/*
 * TIOCSCTTY: a session leader without a controlling terminal takes this
 * one, unless it is another session's (arg 1 and root: taken from it).
 */
static long tiocsctty(struct task *t, struct file *f, int pts, uint64_t arg)
{
	struct process *p = t->proc;
	bool leader = p->sid == p->pid;

	if (leader && g.tty.sid[pts] == p->sid)
		return 0;
	if (!leader || p->ctty)
		return -EPERM;
	if (g.tty.sid[pts]) {
		if (arg != 1 || p->euid != 0)
			return -EPERM;
		session_clear_tty(g.tty.sid[pts]);
	}
	if ((f->flags & O_ACCMODE) == O_WRONLY && p->euid != 0)
		return -EPERM;
	p->ctty = pts + 1;
	g.tty.sid[pts] = p->sid;
	g.tty.fg_pgrp[pts] = p->pgid;
	return 0;
}

/* TIOCNOTTY: give up the controlling terminal (a leader: the whole session, with SIGHUP). */
static long tiocnotty(struct task *t, int pts)
{
	struct process *p = t->proc;

	if (p->ctty != pts + 1)
		return -ENOTTY;
	if (p->sid == p->pid)
		tty_session_end(p, false);
	else
		p->ctty = 0;
	return 0;
}

/* TIOCSPGRP: the foreground group of the caller's own controlling terminal. */
static long tiocspgrp(struct task *t, int pts, uint64_t arg)
{
	struct process *p = t->proc;
	int32_t pg;

	uaccess_allow(t, arg, 4);
	if (copy_in(t, &pg, arg, 4))
		return -EFAULT;
	if (pg < 0)
		return -EINVAL;
	if (p->ctty != pts + 1 || g.tty.sid[pts] != p->sid)
		return -ENOTTY;
	int sid = session_of_pgrp(pg);
	if (sid == 0)
		return -ESRCH;
	if (sid != p->sid)
		return -EPERM;
	g.tty.fg_pgrp[pts] = pg;
	return 0;
}

long sys_ioctl(struct task *t, const uint64_t *a)
{
	struct file *f = getf(t, a[0]);
	if (!f)
		return -EBADF;
	unsigned req = (unsigned)a[1];
	uint64_t arg = a[2];
	switch (req) {
	case FIOCLEX:
	case FIONCLEX:
		t->proc->fds->cloexec[(int)a[0]] = req == FIOCLEX;
		return 0;
	case FIONBIO: {
		int on;
		uaccess_allow(t, arg, 4);
		if (copy_in(t, &on, arg, 4))
			return -EFAULT;
		if (on)
			f->flags |= O_NONBLOCK;
		else
			f->flags &= ~O_NONBLOCK;
		return 0;
	}
	case FIONREAD: {
		int n;
		if (f->type == FT_PIPE)
			n = (int)pipe_avail(f);
		else if (f->type == FT_HOST || f->type == FT_TMP)
			n = (int)(file_size(f) > f->pos ? file_size(f) - f->pos : 0);
		else if (file_is_tty(f))
			n = 0;
		else
			return -ENOTTY;
		uaccess_allow(t, arg, 4);
		return copy_out(t, arg, &n, 4) ? -EFAULT : 0;
	}
	default:
		break;
	}
	if (!file_is_tty(f))
		return -ENOTTY;
	int pts = console_pts(f);
	if (pts < 0 || pts >= LIBOS_NTTY)
		pts = 0;
	switch (req) {
	case TCGETS:
		uaccess_allow(t, arg, sizeof(g.tty.termios[pts]));
		return copy_out(t, arg, g.tty.termios[pts], sizeof(g.tty.termios[pts])) ? -EFAULT : 0;
	case TCSETS:
	case TCSETSW:
	case TCSETSF:
		uaccess_allow(t, arg, sizeof(g.tty.termios[pts]));
		return copy_in(t, g.tty.termios[pts], arg, sizeof(g.tty.termios[pts])) ? -EFAULT : 0;
	case TIOCGWINSZ:
		uaccess_allow(t, arg, 8);
		return copy_out(t, arg, g.tty.winsize[pts], 8) ? -EFAULT : 0;
	case TIOCSWINSZ: {
		uint16_t ws[4]; /* struct winsize */
		uaccess_allow(t, arg, 8);
		if (copy_in(t, ws, arg, 8))
			return -EFAULT;
		tty_resize(pts, ws);
		return 0;
	}
	case TIOCGPGRP: {
		int32_t pg = g.tty.fg_pgrp[pts];
		if (t->proc->ctty != pts + 1)
			return -ENOTTY;
		uaccess_allow(t, arg, 4);
		return copy_out(t, arg, &pg, 4) ? -EFAULT : 0;
	}
	case TIOCSPGRP:
		return tiocspgrp(t, pts, arg);
	case TIOCGSID: {
		int32_t s = g.tty.sid[pts];
		if (t->proc->ctty != pts + 1 || s == 0)
			return -ENOTTY;
		uaccess_allow(t, arg, 4);
		return copy_out(t, arg, &s, 4) ? -EFAULT : 0;
	}
	case TIOCSCTTY:
		return tiocsctty(t, f, pts, arg);
	case TIOCNOTTY:
		return tiocnotty(t, pts);
	default:
		return -ENOTTY;
	}
}

long sys_pipe2(struct task *t, const uint64_t *a)
{
	unsigned flags = (unsigned)a[1];
	if (flags & ~(O_CLOEXEC | O_NONBLOCK | 040000 /* O_DIRECT */))
		return -EINVAL;
	struct file *r, *w;
	int e = pipe_create(&r, &w);
	if (e)
		return e;
	r->flags |= flags & O_NONBLOCK;
	w->flags |= flags & O_NONBLOCK;
	int fr = fd_install(t->proc, r, 0, flags & O_CLOEXEC);
	if (fr < 0) {
		file_put(r);
		file_put(w);
		return fr;
	}
	int fw = fd_install(t->proc, w, 0, flags & O_CLOEXEC);
	if (fw < 0) {
		fd_close(t->proc, fr);
		file_put(w);
		return fw;
	}
	int32_t fds[2] = { fr, fw };
	if (copy_out(t, a[0], fds, 8)) {
		fd_close(t->proc, fr);
		fd_close(t->proc, fw);
		return -EFAULT;
	}
	return 0;
}

/* sendfile(out_fd, in_fd, offset*, count) */
long sys_sendfile(struct task *t, const uint64_t *a)
{
	struct file *out = getf(t, a[0]), *in = getf(t, a[1]);
	if (!out || !in)
		return -EBADF;
	if ((in->flags & O_ACCMODE) == O_WRONLY || (out->flags & O_ACCMODE) == O_RDONLY)
		return -EBADF;
	if (in->type != FT_HOST && in->type != FT_TMP && in->type != FT_PROC)
		return -EINVAL;
	if (out->flags & O_APPEND)
		return -EINVAL;
	uint64_t pos = in->pos;
	if (a[2]) {
		int64_t o;
		if (copy_in(t, &o, a[2], 8))
			return -EFAULT;
		if (o < 0)
			return -EINVAL;
		pos = (uint64_t)o;
	}
	uint64_t size = file_size(in);
	size_t count = KMIN(a[3], 0x7ffff000UL);
	if (pos >= size || count == 0)
		return 0;
	count = KMIN(count, size - pos);
	/* stage through a buffer: out's write path takes it from library OS memory */
	size_t done = 0;
	uint8_t *kb = kmalloc(KMIN(count, 65536UL));
	if (!kb)
		return -ENOMEM;
	long err = 0;
	while (done < count) {
		size_t n = KMIN(count - done, 65536UL);
		if (in->type == FT_TMP)
			tmp_read(in->ino, kb, n, pos + done);
		else
			memcpy(kb, in->buf->data + pos + done, n);
		long w;
		if (out->type == FT_CONSOLE) {
			w = PAL(console_write, out->console_fd, kb, n);
			if (w == -EPIPE)
				sig_send(t->proc, SIGPIPE);
		} else if (out->type == FT_TMP) {
			uint64_t op = out->pos;
			w = tmp_write(out->ino, kb, n, op);
			if (w > 0)
				out->pos += (uint64_t)w;
		} else if (out->type == FT_DEV) {
			w = (long)n;
		} else {
			/* pipes and others: not supported in kernel-to-kernel form */
			err = done ? 0 : -EINVAL;
			break;
		}
		if (w < 0) {
			err = done ? 0 : w;
			break;
		}
		done += (size_t)w;
		if ((size_t)w < n)
			break;
	}
	kfree(kb);
	if (err)
		return err;
	if (a[2]) {
		int64_t np = (int64_t)(pos + done);
		if (copy_out(t, a[2], &np, 8))
			return -EFAULT;
	} else {
		in->pos = pos + done;
	}
	return (long)done;
}

long sys_statfs(struct task *t, const uint64_t *a)
{
	uint64_t b[15];
	memset(b, 0, sizeof(b));
	b[0] = 0x01021994; /* TMPFS_MAGIC */
	b[1] = 4096;
	b[2] = b[3] = b[4] = 262144;
	b[5] = b[6] = 65536;
	b[8] = 255;
	b[9] = 4096;
	if (a[0] && t->cur && t->cur->arg[0].kind == SA_PATH) {
		char *canon;
		struct node nd;
		char *path;
		int r = path_in(t, a[0], &path);
		if (r)
			return r;
		r = vfs_resolve(t, AT_FDCWD, path, LK_FOLLOW, &canon, &nd);
		kfree(path);
		if (r)
			return r;
		kfree(canon);
	} else if (!getf(t, a[0])) {
		return -EBADF;
	}
	return copy_out(t, a[1], b, 120) ? -EFAULT : 0;
}
