/*
 * The container's file-system view: one namespace made of
 *   /proc        generated (fs_proc.c)
 *   /dev         devices (fs_dev.c)
 *   everything else: the overlay (fs_tmp.c: files written in the container,
 *                whiteouts, opaque directories) over the host rootfs
 *                (read-only, described by the manifest; contents verified
 *                against it before use and kept in a page cache).
 * Path resolution happens here, symlink by symlink, so the host never
 * resolves a container path and ".." never leaves "/".
 */
#include "libos/kernel.h"
#include "lib/hash.h"

/* ---- manifest and page cache ---- */

void vfs_reset(void)
{
	tmp_reset();
	tty_reset();
	tsm_reset();
}

const struct libos_mf_entry *mf_lookup(const char *path)
{
	size_t lo = 0, hi = g.cfg.mf_n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = kstrcmp(g.cfg.mf[mid].path, path);
		if (c == 0)
			return &g.cfg.mf[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static size_t mf_lower_bound(const char *path)
{
	size_t lo = 0, hi = g.cfg.mf_n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (kstrcmp(g.cfg.mf[mid].path, path) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct fbuf *fbuf_new(size_t size)
{
	struct fbuf *b = kzalloc(sizeof(*b));
	if (!b)
		return NULL;
	b->refs = 1;
	b->size = size;
	b->data = kmalloc(size ? size : 1);
	if (!b->data) {
		kfree(b);
		return NULL;
	}
	memset(b->data, 0, size);
	return b;
}

void fbuf_get(struct fbuf *b)
{
	b->refs++;
}

void fbuf_put(struct fbuf *b)
{
	if (b && --b->refs == 0) {
		kfree(b->data);
		kfree(b);
	}
}

bool vfs_readonly(void)
{
	return g.cfg.rootfs_readonly;
}

int vfs_host_contents(const struct libos_mf_entry *me, struct fbuf **out)
{
	size_t idx = (size_t)(me - g.cfg.mf);
	if (me->type != LIBOS_MF_FILE)
		return -EINVAL;
	if (!g.page_cache) {
		g.page_cache = kzalloc(sizeof(*g.page_cache) * (g.cfg.mf_n ? g.cfg.mf_n : 1));
		if (!g.page_cache)
			return -ENOMEM;
	}
	if (g.page_cache[idx]) {
		fbuf_get(g.page_cache[idx]);
		*out = g.page_cache[idx];
		return 0;
	}
	if (me->size > (1ULL << 32))
		return -EFBIG;
	struct fbuf *b = fbuf_new(me->size);
	if (!b)
		return -ENOMEM;
	int h = PAL(host_open, me->path);
	if (h < 0) {
		lo_log(LOG_WARN, "host file %s: open failed (%d)", me->path, h);
		fbuf_put(b);
		return -EIO;
	}
	size_t got = 0;
	int err = 0;
	while (got < me->size) {
		long n = PAL(host_pread, h, b->data + got, me->size - got, got);
		if (n <= 0) {
			err = -EIO;
			break;
		}
		got += (size_t)n;
	}
	if (!err) {
		uint8_t extra;
		if (PAL(host_pread, h, &extra, 1, got) != 0)
			err = -EIO; /* file grew */
	}
	PAL(host_close, h);
	g.stats.host_file_reads++;
	g.stats.host_bytes_read += got;
	if (!err) {
		uint8_t dg[32];
		hash_buf(HASH_SHA256, b->data, me->size, dg);
		if (memcmp(dg, me->sha256, 32) != 0)
			err = -EIO;
	}
	if (err) {
		g.stats.manifest_rejects++;
		lo_log(LOG_WARN, "host file %s does not match the manifest: refused", me->path);
		fbuf_put(b);
		return err;
	}
	g.page_cache[idx] = b;
	fbuf_get(b);
	*out = b;
	return 0;
}

int vfs_node_contents(const struct node *nd, struct fbuf **out)
{
	switch (nd->kind) {
	case NK_HOST:
		if (!S_ISREG(nd->mode))
			return S_ISDIR(nd->mode) ? -EISDIR : -EACCES;
		return vfs_host_contents(nd->me, out);
	case NK_TMP:
		if (!S_ISREG(tmp_mode(nd->ino)))
			return S_ISDIR(tmp_mode(nd->ino)) ? -EISDIR : -EACCES;
		*out = tmp_snapshot(nd->ino);
		return *out ? 0 : -ENOMEM;
	default:
		return -EACCES;
	}
}

void vfs_node_digest(const struct node *nd, const struct fbuf *img, uint8_t out[32])
{
	if (nd->kind == NK_HOST && nd->me)
		memcpy(out, nd->me->sha256, 32); /* measured with the manifest, checked at read */
	else
		hash_buf(HASH_SHA256, img->data, img->size, out);
}

/* ---- lookup ---- */

static bool under(const char *canon, const char *dir)
{
	size_t l = strlen(dir);
	return kstrncmp(canon, dir, l) == 0 && (canon[l] == 0 || canon[l] == '/');
}

int vfs_lookup(const char *canon, struct node *nd)
{
	memset(nd, 0, sizeof(*nd));
	if (under(canon, "/proc"))
		return proc_lookup(canon, nd);
	if (under(canon, "/dev"))
		return dev_lookup(canon, nd);
	if (sysfs_covers(canon))
		return sysfs_lookup(canon, nd);
	if (tsm_covers(canon))
		return tsm_lookup(canon, nd);
	struct inode *ino;
	bool wh;
	if (tmp_lookup(canon, &ino, &wh) == 0) {
		if (wh)
			return -ENOENT;
		nd->kind = NK_TMP;
		nd->ino = ino;
		nd->mode = tmp_mode(ino);
		return 0;
	}
	if (canon[0] == '/' && canon[1] == 0) {
		const struct libos_mf_entry *me = mf_lookup("/");
		nd->kind = me ? NK_HOST : NK_SYNTH_DIR;
		nd->me = me;
		nd->mode = S_IFDIR | 0755;
		return 0;
	}
	if (tmp_parent_opaque(canon))
		return -ENOENT;
	const struct libos_mf_entry *me = mf_lookup(canon);
	if (!me)
		return -ENOENT;
	nd->kind = NK_HOST;
	nd->me = me;
	nd->mode = me->mode;
	if (me->type == LIBOS_MF_DIR)
		nd->mode = S_IFDIR | (me->mode & 07777);
	else if (me->type == LIBOS_MF_SYMLINK)
		nd->mode = S_IFLNK | 0777;
	else
		nd->mode = S_IFREG | (me->mode & 07777);
	return 0;
}

void path_split(const char *canon, char *parent, size_t plen, const char **name)
{
	const char *s = kstrrchr(canon, '/');
	size_t l = (size_t)(s - canon);
	if (l == 0)
		l = 1;
	if (l >= plen)
		l = plen - 1;
	memcpy(parent, canon, l);
	parent[l] = 0;
	*name = s + 1;
}

long vfs_readlink_node(struct task *t, const struct node *nd, char *buf, size_t len)
{
	const char *tg = NULL;
	switch (nd->kind) {
	case NK_HOST:
		tg = nd->me->link_target;
		break;
	case NK_TMP:
		tg = tmp_link_target(nd->ino);
		break;
	case NK_PROC:
	case NK_FDREF:
		return proc_readlink(t, nd, buf, len);
	case NK_DEV:
		tg = dev_link_target(nd->proc_item);
		break;
	default:
		break;
	}
	if (!tg || !S_ISLNK(nd->mode))
		return -EINVAL;
	size_t l = kstrlcpy(buf, tg, len);
	return l >= len ? (long)len - 1 : (long)l;
}

static bool node_is_dir(const struct node *nd)
{
	return S_ISDIR(nd->mode);
}

int vfs_resolve(struct task *t, int dirfd, const char *path, unsigned flags, char **canon,
		struct node *nd)
{
	struct process *p = t->proc;
	size_t plen = strlen(path);
	if (plen == 0)
		return -ENOENT;
	if (plen >= PATH_MAX_)
		return -ENAMETOOLONG;
	char *cur = kmalloc(PATH_MAX_);
	char *work = kmalloc(PATH_MAX_ * 2);
	char *lnk = kmalloc(PATH_MAX_);
	int err = 0;
	if (!cur || !work || !lnk) {
		err = -ENOMEM;
		goto out;
	}
	if (path[0] == '/') {
		kstrlcpy(cur, "/", PATH_MAX_);
	} else if (dirfd == AT_FDCWD) {
		kstrlcpy(cur, p->cwd, PATH_MAX_);
	} else {
		struct file *f = fd_get(p, dirfd);
		if (!f) {
			err = -EBADF;
			goto out;
		}
		if (f->type != FT_DIR && !(f->type == FT_PATH && f->path)) {
			err = -ENOTDIR;
			goto out;
		}
		kstrlcpy(cur, f->path, PATH_MAX_);
	}
	bool trailing = path[plen - 1] == '/';
	kstrlcpy(work, path, PATH_MAX_ * 2);
	struct node curn;
	err = vfs_lookup(cur, &curn);
	if (err)
		goto out;
	char *w = work;
	int links = 0;
	for (;;) {
		while (*w == '/')
			w++;
		if (!*w)
			break;
		char *c = w;
		while (*w && *w != '/')
			w++;
		size_t cl = (size_t)(w - c);
		char *rest = w;
		while (*rest == '/')
			rest++;
		bool last = *rest == 0;
		if (!node_is_dir(&curn)) {
			err = -ENOTDIR;
			goto out;
		}
		if (cl == 1 && c[0] == '.')
			continue;
		if (cl == 2 && c[0] == '.' && c[1] == '.') {
			char *s = kstrrchr(cur, '/');
			if (s == cur)
				cur[1] = 0;
			else
				*s = 0;
			err = vfs_lookup(cur, &curn);
			if (err)
				goto out;
			continue;
		}
		if (cl > NAME_MAX_) {
			err = -ENAMETOOLONG;
			goto out;
		}
		size_t curl = strlen(cur);
		if (curl + 1 + cl + 1 > PATH_MAX_) {
			err = -ENAMETOOLONG;
			goto out;
		}
		size_t save = curl;
		if (curl > 1)
			cur[curl++] = '/';
		memcpy(cur + curl, c, cl);
		cur[curl + cl] = 0;
		struct node n;
		int r = vfs_lookup(cur, &n);
		if (r < 0) {
			if (r == -ENOENT && last && (flags & LK_PARENT_OK)) {
				memset(nd, 0, sizeof(*nd));
				nd->kind = NK_NONE;
				if (trailing)
					flags |= LK_DIR;
				goto done_missing;
			}
			err = r;
			goto out;
		}
		if (S_ISLNK(n.mode) && (!last || (flags & LK_FOLLOW) || trailing)) {
			if (++links > 40) {
				err = -ELOOP;
				goto out;
			}
			if (n.kind == NK_PROC && n.fd >= 0 && n.fdproc) {
				/* /proc/PID/fd/N: names the open file itself */
				if (!last) {
					err = -ENOTDIR;
					goto out;
				}
				n.kind = NK_FDREF;
				curn = n;
				break;
			}
			long ll = vfs_readlink_node(t, &n, lnk, PATH_MAX_);
			if (ll < 0) {
				err = (int)ll;
				goto out;
			}
			if (ll + 1 + strlen(rest) + 1 > PATH_MAX_ * 2 - 1) {
				err = -ENAMETOOLONG;
				goto out;
			}
			/* new work = target + "/" + rest (rest may live inside work: move it first) */
			size_t rl = strlen(rest);
			memmove(work + ll + 1, rest, rl + 1);
			memcpy(work, lnk, (size_t)ll);
			work[ll] = '/';
			if (rl == 0)
				work[ll] = trailing ? '/' : 0;
			w = work;
			if (lnk[0] == '/')
				kstrlcpy(cur, "/", PATH_MAX_);
			else
				cur[save > 0 ? save : 1] = 0;
			if (save == 0)
				cur[1] = 0;
			err = vfs_lookup(cur, &curn);
			if (err)
				goto out;
			continue;
		}
		curn = n;
	}
	if ((flags & LK_DIR || trailing) && curn.kind != NK_FDREF && !node_is_dir(&curn) &&
	    !S_ISLNK(curn.mode)) {
		err = -ENOTDIR;
		goto out;
	}
	*nd = curn;
done_missing:
	if (nd->kind == NK_NONE && (flags & LK_DIR) == 0) {
		/* fine */
	}
	*canon = kstrdup(cur);
	if (!*canon)
		err = -ENOMEM;
out:
	kfree(cur);
	kfree(work);
	kfree(lnk);
	return err;
}

/* ---- stat ---- */

static uint64_t path_ino(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ULL;
	return (h & 0xffffffffffULL) | 0x100000;
}

static void count_cb(void *arg, const char *name, uint32_t mode, bool whiteout)
{
	int *n = arg;
	if (!whiteout && S_ISDIR(mode))
		(*n)++;
}

/* Subdirectories of a directory in the merged view (for st_nlink). */
static uint64_t count_subdirs(const char *canon)
{
	int n = 0;
	if (!tmp_parent_opaque(canon) || kstrcmp(canon, "/") == 0) {
		char prefix[PATH_MAX_];
		size_t pl = (size_t)ksnprintf(prefix, sizeof(prefix), "%s/",
					      kstrcmp(canon, "/") == 0 ? "" : canon);
		for (size_t i = mf_lower_bound(prefix);
		     i < g.cfg.mf_n && kstrncmp(g.cfg.mf[i].path, prefix, pl) == 0; i++) {
			const char *nm = g.cfg.mf[i].path + pl;
			if (*nm && !kstrchr(nm, '/') && g.cfg.mf[i].type == LIBOS_MF_DIR) {
				struct inode *ino;
				bool wh;
				if (tmp_lookup(g.cfg.mf[i].path, &ino, &wh) != 0)
					n++; /* overlay entries are counted below */
			}
		}
	}
	tmp_for_children(canon, count_cb, &n);
	return (uint64_t)n;
}

void vfs_node_stat(const char *canon, const struct node *nd, struct kstat *st)
{
	memset(st, 0, sizeof(*st));
	st->dev = 0x801;
	st->nlink = 1;
	st->mode = nd->mode;
	st->ino = path_ino(canon ? canon : "?");
	switch (nd->kind) {
	case NK_HOST:
		st->uid = nd->me->uid;
		st->gid = nd->me->gid;
		st->size = S_ISDIR(nd->mode) ? 4096 : nd->me->size;
		if (S_ISLNK(nd->mode) && nd->me->link_target)
			st->size = strlen(nd->me->link_target);
		st->mtime_sec = st->ctime_sec = st->atime_sec = (int64_t)nd->me->mtime_sec;
		st->ino = (uint64_t)(nd->me - g.cfg.mf) + 2;
		if (S_ISDIR(nd->mode))
			st->nlink = 2;
		break;
	case NK_TMP:
		tmp_stat(nd->ino, st);
		break;
	case NK_DEV:
		st->dev = 5;
		st->rdev = nd->dev == DEV_NULL ? 0x103 : nd->dev == DEV_ZERO ? 0x105 :
			   nd->dev == DEV_URANDOM ? 0x109 : nd->dev == DEV_TTY ? 0x500 : 0;
		st->mtime_sec = st->ctime_sec = st->atime_sec = (int64_t)(g.boot_ns / 1000000000ULL);
		if (nd->dev == DEV_PTS)
			console_tty_stat(st, nd->proc_item);
		break;
	case NK_PROC:
	case NK_SYNTH_DIR:
	case NK_TSM:
		st->dev = nd->kind == NK_PROC ? 4 : 0x801;
		st->mtime_sec = st->ctime_sec = st->atime_sec = (int64_t)(g.boot_ns / 1000000000ULL);
		if (S_ISDIR(nd->mode))
			st->nlink = 2;
		break;
	case NK_FDREF: {
		struct file *f = nd->fdproc ? fd_get(nd->fdproc, nd->fd) : NULL;
		if (f)
			file_stat(f, st);
		break;
	}
	default:
		break;
	}
	/* allocation in 4 KiB blocks, counted in 512-byte units (as ext4/tmpfs report) */
	st->blocks = S_ISREG(st->mode) || S_ISDIR(st->mode) ? kalign_up(st->size, 4096) / 512 : 0;
	if (S_ISDIR(st->mode) && canon && (nd->kind == NK_HOST || nd->kind == NK_TMP ||
					   nd->kind == NK_SYNTH_DIR))
		st->nlink = 2 + count_subdirs(canon);
}

/* ---- open ---- */

int vfs_open_node(struct task *t, const char *canon, const struct node *nd, unsigned flags,
		  struct file **out)
{
	unsigned acc = flags & O_ACCMODE;
	bool wr = acc == O_WRONLY || acc == O_RDWR;
	struct file *f;
	if (flags & O_PATH) {
		f = file_new(FT_PATH, flags, canon);
		if (!f)
			return -ENOMEM;
		if (S_ISDIR(nd->mode))
			f->type = FT_DIR;
		*out = f;
		return 0;
	}
	if ((nd->mode & S_IFMT) == S_IFSOCK)
		return -ENXIO; /* a socket's name: connect to it, not open */
	if (nd->kind == NK_FDREF) {
		struct file *o = nd->fdproc ? fd_get(nd->fdproc, nd->fd) : NULL;
		if (!o)
			return -ENOENT;
		file_get(o);
		*out = o;
		return 0;
	}
	if (S_ISLNK(nd->mode))
		return -ELOOP;
	if (S_ISDIR(nd->mode)) {
		if (wr)
			return -EISDIR;
		f = file_new(FT_DIR, flags, canon);
		if (!f)
			return -ENOMEM;
		*out = f;
		return 0;
	}
	if (flags & O_DIRECTORY)
		return -ENOTDIR;
	switch (nd->kind) {
	case NK_HOST: {
		if (wr || (flags & O_TRUNC)) {
			if (vfs_readonly())
				return -EROFS;
			struct inode *ino;
			int r = tmp_copy_up(canon, nd, &ino);
			if (r)
				return r;
			struct node n2 = *nd;
			n2.kind = NK_TMP;
			n2.ino = ino;
			return vfs_open_node(t, canon, &n2, flags, out);
		}
		struct fbuf *b;
		int r = vfs_host_contents(nd->me, &b);
		if (r)
			return r;
		f = file_new(FT_HOST, flags, canon);
		if (!f) {
			fbuf_put(b);
			return -ENOMEM;
		}
		f->buf = b;
		f->me = nd->me;
		*out = f;
		return 0;
	}
	case NK_TMP:
		if ((wr || (flags & O_TRUNC)) && vfs_readonly())
			return -EROFS;
		f = file_new(FT_TMP, flags, canon);
		if (!f)
			return -ENOMEM;
		f->ino = nd->ino;
		tmp_inode_get(nd->ino);
		if ((flags & O_TRUNC) && wr)
			tmp_truncate(nd->ino, 0);
		*out = f;
		return 0;
	case NK_DEV:
		if (nd->dev == DEV_TTY || nd->dev == DEV_PTS) {
			/*
			 * /dev/tty: the process's controlling terminal; /dev/console:
			 * the container's (pts 0); /dev/pts/n: that one (it exists).
			 */
			int pts = nd->dev == DEV_PTS ? nd->proc_item
				  : kstrcmp(canon, "/dev/tty") == 0 ? t->proc->ctty - 1
				  : g.cfg.terminal ? 0 : -1;

			if (pts < 0 || !console_pts_live(pts))
				return -ENXIO;
			f = file_new(FT_CONSOLE, flags, canon);
			if (!f)
				return -ENOMEM;
			/* a session leader without one takes a free /dev/pts/n as its terminal */
			struct process *p = t->proc;
			if (nd->dev == DEV_PTS && !(flags & O_NOCTTY) && p->sid == p->pid &&
			    !p->ctty && pts < LIBOS_NTTY && g.tty.sid[pts] == 0) {
				p->ctty = pts + 1;
				g.tty.sid[pts] = p->sid;
				g.tty.fg_pgrp[pts] = p->pgid;
			}
			f->console_fd = 3 * pts + (acc == O_RDONLY ? 0 : 1);
			*out = f;
			return 0;
		}
		f = file_new(FT_DEV, flags, canon);
		if (!f)
			return -ENOMEM;
		f->dev = nd->dev;
		*out = f;
		return 0;
	case NK_PROC:
		if (wr)
			return -EACCES;
		return proc_open(t, nd, out);
	case NK_TSM:
		return tsm_open(t, nd, flags, out);
	default:
		return -ENOENT;
	}
}

/* ---- directories ---- */

struct dsent {
	char *name;
	uint8_t type;
	uint64_t ino;
};

struct dirent_snap {
	size_t n, cap;
	struct dsent *e;
};

static uint8_t mode_dtype(uint32_t m)
{
	switch (m & S_IFMT) {
	case S_IFDIR:
		return 4;
	case S_IFREG:
		return 8;
	case S_IFLNK:
		return 10;
	case S_IFCHR:
		return 2;
	case S_IFIFO:
		return 1;
	case S_IFSOCK:
		return 12;
	default:
		return 0;
	}
}

static int ds_find(struct dirent_snap *d, const char *name)
{
	for (size_t i = 0; i < d->n; i++)
		if (kstrcmp(d->e[i].name, name) == 0)
			return (int)i;
	return -1;
}

static void ds_remove(struct dirent_snap *d, const char *name)
{
	int i = ds_find(d, name);
	if (i < 0)
		return;
	kfree(d->e[i].name);
	d->e[i] = d->e[--d->n];
}

struct ds_ctx {
	struct dirent_snap *d;
	const char *dir;
	int err;
};

static void ds_add(void *arg, const char *name, uint32_t mode)
{
	struct ds_ctx *c = arg;
	struct dirent_snap *d = c->d;
	if (c->err)
		return;
	if (ds_find(d, name) >= 0)
		return;
	if (d->n == d->cap) {
		size_t nc = d->cap ? d->cap * 2 : 32;
		struct dsent *ne = kmalloc(nc * sizeof(*ne));
		if (!ne) {
			c->err = -ENOMEM;
			return;
		}
		if (d->n)
			memcpy(ne, d->e, d->n * sizeof(*ne));
		kfree(d->e);
		d->e = ne;
		d->cap = nc;
	}
	char *nm = kstrdup(name);
	if (!nm) {
		c->err = -ENOMEM;
		return;
	}
	char full[PATH_MAX_];
	ksnprintf(full, sizeof(full), "%s/%s", kstrcmp(c->dir, "/") == 0 ? "" : c->dir, name);
	const struct libos_mf_entry *me = mf_lookup(full);
	d->e[d->n].name = nm;
	d->e[d->n].type = mode_dtype(mode);
	d->e[d->n].ino = me ? (uint64_t)(me - g.cfg.mf) + 2 : path_ino(full);
	d->n++;
}

static void tmp_child_cb(void *arg, const char *name, uint32_t mode, bool whiteout)
{
	struct ds_ctx *c = arg;
	if (whiteout)
		ds_remove(c->d, name);
	else {
		ds_remove(c->d, name);
		ds_add(arg, name, mode);
	}
}

void vfs_dir_free(struct dirent_snap *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++)
		kfree(d->e[i].name);
	kfree(d->e);
	kfree(d);
}

int vfs_dir_list(struct task *t, const char *canon, const struct node *nd,
		 struct dirent_snap **out)
{
	struct dirent_snap *d = kzalloc(sizeof(*d));
	if (!d)
		return -ENOMEM;
	struct ds_ctx c = { d, canon, 0 };
	ds_add(&c, ".", S_IFDIR);
	ds_add(&c, "..", S_IFDIR);
	if (under(canon, "/proc")) {
		c.err = proc_list(canon, nd, ds_add, &c);
	} else if (under(canon, "/dev")) {
		c.err = dev_list(canon, ds_add, &c);
	} else if (sysfs_covers(canon)) {
		c.err = sysfs_list(canon, ds_add, &c);
	} else if (tsm_covers(canon)) {
		c.err = tsm_list(canon, ds_add, &c);
	} else {
		bool opaque = false;
		struct inode *ino;
		bool wh;
		if (tmp_lookup(canon, &ino, &wh) == 0 && !wh && nd->kind == NK_TMP &&
		    !mf_lookup(canon) && kstrcmp(canon, "/") != 0)
			opaque = true; /* a directory that exists only in the overlay */
		if (tmp_parent_opaque(canon))
			opaque = true;
		if (!opaque) {
			char prefix[PATH_MAX_];
			size_t pl = (size_t)ksnprintf(prefix, sizeof(prefix), "%s/",
						      kstrcmp(canon, "/") == 0 ? "" : canon);
			for (size_t i = mf_lower_bound(prefix);
			     i < g.cfg.mf_n && kstrncmp(g.cfg.mf[i].path, prefix, pl) == 0; i++) {
				const char *nm = g.cfg.mf[i].path + pl;
				if (!*nm || kstrchr(nm, '/'))
					continue;
				struct node cn;
				if (vfs_lookup(g.cfg.mf[i].path, &cn) == 0)
					ds_add(&c, nm, cn.mode);
			}
		}
		tmp_for_children(canon, tmp_child_cb, &c);
		if (kstrcmp(canon, "/") == 0) {
			ds_add(&c, "proc", S_IFDIR);
			ds_add(&c, "dev", S_IFDIR);
			if (!mf_lookup("/sys"))
				ds_add(&c, "sys", S_IFDIR);
		}
	}
	if (c.err) {
		vfs_dir_free(d);
		return c.err;
	}
	*out = d;
	return 0;
}

int vfs_getdents(struct file *f, struct task *t, uint64_t ubuf, size_t len)
{
	if (f->type != FT_DIR)
		return -ENOTDIR;
	if (!f->dir) {
		struct node nd;
		int r = vfs_lookup(f->path, &nd);
		if (r)
			return r;
		r = vfs_dir_list(t, f->path, &nd, &f->dir);
		if (r)
			return r;
	}
	uint8_t *kb = kmalloc(KMIN(len, 65536UL) + 1);
	if (!kb)
		return -ENOMEM;
	size_t cap = KMIN(len, 65536UL), used = 0;
	while (f->pos < f->dir->n) {
		struct dsent *e = &f->dir->e[f->pos];
		size_t nl = strlen(e->name);
		size_t rl = kalign_up(19 + nl + 1, 8);
		if (used + rl > cap)
			break;
		uint8_t *r = kb + used;
		memset(r, 0, rl);
		uint64_t off = f->pos + 1;
		uint16_t rl16 = (uint16_t)rl;
		memcpy(r, &e->ino, 8);
		memcpy(r + 8, &off, 8);
		memcpy(r + 16, &rl16, 2);
		r[18] = e->type;
		memcpy(r + 19, e->name, nl);
		used += rl;
		f->pos++;
	}
	int ret;
	if (used == 0 && f->pos < f->dir->n)
		ret = -EINVAL;
	else
		ret = copy_out(t, ubuf, kb, used) ? -EFAULT : (int)used;
	kfree(kb);
	return ret;
}
