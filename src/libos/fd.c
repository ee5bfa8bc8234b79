/*
 * Open files and file-descriptor tables: reference counting, fd
 * allocation, close-on-exec, and read/write/stat dispatch by file type.
 */
#include "libos/kernel.h"
#include "libos/sock.h"

struct file *file_new(enum file_type type, unsigned flags, const char *path)
{
	struct file *f = kzalloc(sizeof(*f));
	if (!f)
		return NULL;
	f->refs = 1;
	f->type = type;
	f->flags = flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC | O_NOCTTY);
	if (path) {
		f->path = kstrdup(path);
		if (!f->path) {
			kfree(f);
			return NULL;
		}
	}
	return f;
}

void file_get(struct file *f)
{
	f->refs++;
}

void file_put(struct file *f)
{
	if (!f || --f->refs > 0)
		return;
	if (f->watchers || f->obj)
		pollobj_file_gone(f);
	if (f->type == FT_PIPE)
		pipe_release(f);
	if (f->type == FT_SOCK)
		sock_release(f);
	if (f->buf)
		fbuf_put(f->buf);
	if (f->ino)
		tmp_inode_put(f->ino);
	vfs_dir_free(f->dir);
	kfree(f->path);
	kfree(f);
}

struct fdtable *fdt_new(void)
{
	return kzalloc(sizeof(struct fdtable));
}

struct fdtable *fdt_dup(struct fdtable *src)
{
	struct fdtable *d = fdt_new();
	if (!d)
		return NULL;
	for (int i = 0; i < MAX_FDS; i++) {
		if (src->f[i]) {
			d->f[i] = src->f[i];
			file_get(d->f[i]);
			d->cloexec[i] = src->cloexec[i];
		}
	}
	return d;
}

void fdt_free(struct fdtable *fdt)
{
	if (!fdt)
		return;
	for (int i = 0; i < MAX_FDS; i++)
		if (fdt->f[i])
			file_put(fdt->f[i]);
	kfree(fdt);
}

void fdt_close_on_exec(struct fdtable *fdt)
{
	for (int i = 0; i < MAX_FDS; i++) {
		if (fdt->f[i] && fdt->cloexec[i]) {
			file_put(fdt->f[i]);
			fdt->f[i] = NULL;
			fdt->cloexec[i] = 0;
		}
	}
}

static int fd_limit(struct process *p)
{
	for (int i = 0; i < 16; i++)
		if (p->rlim[i].resource == 7 && p->rlim[i].soft < MAX_FDS)
			return (int)p->rlim[i].soft;
	return MAX_FDS;
}

int fd_install(struct process *p, struct file *f, int min, bool cloexec)
{
	int lim = fd_limit(p);
	if (min < 0)
		return -EINVAL;
	for (int i = min; i < lim; i++) {
		if (!p->fds->f[i]) {
			p->fds->f[i] = f;
			p->fds->cloexec[i] = cloexec;
			return i;
		}
	}
	return min >= lim ? -EINVAL : -EMFILE;
}

struct file *fd_get(struct process *p, int fd)
{
	if (fd < 0 || fd >= MAX_FDS || !p->fds)
		return NULL;
	return p->fds->f[fd];
}

int fd_close(struct process *p, int fd)
{
	struct file *f = fd_get(p, fd);
	if (!f)
		return -EBADF;
	p->fds->f[fd] = NULL;
	p->fds->cloexec[fd] = 0;
	file_put(f);
	return 0;
}

/*
 * Init's streams 0-2 are a terminal when the container has one; a process
 * started from outside (libos_spawn) has its own streams 3 * n .. 3 * n + 2,
 * a terminal when its request said so (proc_launch names them /dev/pts/n,
 * else a pipe).
 */
static bool console_is_tty(const struct file *f)
{
	if (f->console_fd < 3)
		return g.cfg.terminal;
	return f->path && kstrncmp(f->path, "pipe:", 5) != 0;
}

int console_pts(const struct file *f)
{
	if (f->type != FT_CONSOLE || !console_is_tty(f))
		return -1;
	return f->console_fd < 3 ? 0 : f->console_fd / 3;
}

bool console_pts_live(int n)
{
	if (n == 0)
		return g.cfg.terminal;
	for (int i = 0; i < LIBOS_SPAWN_MAX; i++)
		if (g.spawned[i].pid && g.spawned[i].pts == n)
			return true;
	return false;
}

bool file_is_tty(struct file *f)
{
	return f->type == FT_CONSOLE && console_is_tty(f);
}

#define CHUNK 65536UL

static long console_read(struct task *t, struct file *f, uint64_t ubuf, size_t len)
{
	size_t n = KMIN(len, CHUNK);
	uint8_t *kb = kmalloc(n ? n : 1);
	if (!kb)
		return -ENOMEM;
	long r;
	for (;;) {
		PAL(unlock);
		r = PAL(console_read, f->console_fd, kb, n);
		PAL(lock);
		if (r != -EAGAIN)
			break;
		if (f->flags & O_NONBLOCK)
			break;
		if (sig_pending(t)) {
			r = -ERESTARTSYS;
			break;
		}
	}
	if (r > 0 && copy_out(t, ubuf, kb, (size_t)r))
		r = -EFAULT;
	kfree(kb);
	return r;
}

static long console_write(struct task *t, struct file *f, uint64_t ubuf, size_t len)
{
	size_t done = 0;
	uint8_t *kb = kmalloc(KMIN(len, CHUNK) + 1);
	if (!kb)
		return -ENOMEM;
	while (done < len) {
		size_t n = KMIN(len - done, CHUNK);
		if (copy_in(t, kb, ubuf + done, n)) {
			kfree(kb);
			return done ? (long)done : -EFAULT;
		}
		long r = PAL(console_write, f->console_fd, kb, n);
		if (r < 0) {
			kfree(kb);
			if (r == -EPIPE)
				sig_send(t->proc, SIGPIPE);
			return done ? (long)done : r;
		}
		done += (size_t)r;
		if ((size_t)r < n)
			break;
	}
	kfree(kb);
	return (long)done;
}

long file_read(struct task *t, struct file *f, uint64_t ubuf, size_t len, uint64_t *pos,
	       bool use_pos)
{
	if ((f->flags & O_ACCMODE) == O_WRONLY || f->type == FT_PATH)
		return -EBADF;
	uint64_t off = use_pos ? *pos : f->pos;
	long r;
	switch (f->type) {
	case FT_HOST:
	case FT_PROC: {
		if (off >= f->buf->size)
			return 0;
		size_t n = KMIN(len, f->buf->size - off);
		if (copy_out(t, ubuf, f->buf->data + off, n))
			return -EFAULT;
		r = (long)n;
		break;
	}
	case FT_TMP: {
		struct kstat st;
		shm_sync_inode(f->ino); /* stores through MAP_SHARED mappings (shm.c) */
		tmp_stat(f->ino, &st);
		if (off >= st.size)
			return 0;
		size_t n = KMIN(len, st.size - off);
		n = KMIN(n, CHUNK * 16);
		uint8_t *kb = kmalloc(n);
		if (!kb)
			return -ENOMEM;
		tmp_read(f->ino, kb, n, off);
		r = copy_out(t, ubuf, kb, n) ? -EFAULT : (long)n;
		kfree(kb);
		break;
	}
	case FT_DIR:
		return -EISDIR;
	case FT_PIPE:
		return pipe_read(t, f, ubuf, len);
	case FT_SOCK:
		return sock_read(t, f, ubuf, len);
	case FT_DEV:
		return dev_read(t, f, ubuf, len);
	case FT_TSM:
		r = tsm_read(t, f, ubuf, len, off);
		break;
	case FT_CONSOLE:
		return console_read(t, f, ubuf, len);
	case FT_EVENTFD:
	case FT_TIMERFD:
	case FT_EPOLL:
		return pollobj_read(t, f, ubuf, len);
	default:
		return -EINVAL;
	}
	if (r > 0) {
		if (use_pos)
			*pos = off + (uint64_t)r;
		else
			f->pos = off + (uint64_t)r;
	}
	return r;
}

long file_write(struct task *t, struct file *f, uint64_t ubuf, size_t len, uint64_t *pos,
		bool use_pos)
{
	if ((f->flags & O_ACCMODE) == O_RDONLY || f->type == FT_PATH)
		return -EBADF;
	switch (f->type) {
	case FT_TMP: {
		struct kstat st;
		tmp_stat(f->ino, &st);
		uint64_t off = use_pos ? *pos : ((f->flags & O_APPEND) ? st.size : f->pos);
		if (len > 0x7ffff000UL)
			len = 0x7ffff000UL; /* Linux's MAX_RW_COUNT */
		size_t chunk = KMIN(len, CHUNK * 16), done = 0;
		uint8_t *kb = kmalloc(chunk ? chunk : 1);
		if (!kb)
			return -ENOMEM;
		long r = 0;
		while (done < len) {
			size_t n = KMIN(chunk, len - done);
			if (copy_in(t, kb, ubuf + done, n)) {
				r = -EFAULT;
				break;
			}
			r = tmp_write(f->ino, kb, n, off + done);
			if (r < 0)
				break;
			done += n;
		}
		kfree(kb);
		if (done) {
			shm_refresh_inode(f->ino, off, done); /* into MAP_SHARED mappings (shm.c) */
			if (use_pos)
				*pos = off + done;
			else
				f->pos = off + done;
			return (long)done;
		}
		return r;
	}
	case FT_PIPE:
		return pipe_write(t, f, ubuf, len);
	case FT_SOCK:
		return sock_write(t, f, ubuf, len);
	case FT_DEV:
		return dev_write(t, f, ubuf, len);
	case FT_TSM: {
		uint64_t off = use_pos ? *pos : f->pos;
		long r = tsm_write(t, f, ubuf, len, off);
		if (r > 0) {
			if (use_pos)
				*pos = off + (uint64_t)r;
			else
				f->pos = off + (uint64_t)r;
		}
		return r;
	}
	case FT_CONSOLE:
		return console_write(t, f, ubuf, len);
	case FT_EVENTFD:
	case FT_TIMERFD:
	case FT_EPOLL:
		return pollobj_write(t, f, ubuf, len);
	case FT_DIR:
		return -EISDIR;
	default:
		return -EBADF;
	}
}

void console_tty_stat(struct kstat *st, int pts)
{
	memset(st, 0, sizeof(*st));
	st->mode = S_IFCHR | 0620;
	/* devpts's device; 136:pts; inodes as devpts numbers them (ptmx 2, pts/n n + 3) */
	st->rdev = 0x8800 + (uint64_t)pts;
	st->dev = 0xd;
	st->nlink = 1;
	st->ino = 3 + (uint64_t)pts;
}

int file_stat(struct file *f, struct kstat *st)
{
	memset(st, 0, sizeof(*st));
	struct node nd;
	switch (f->type) {
	case FT_HOST:
		nd.kind = NK_HOST;
		nd.me = f->me;
		nd.mode = S_IFREG | (f->me->mode & 07777);
		vfs_node_stat(f->path, &nd, st);
		return 0;
	case FT_TMP:
		tmp_stat(f->ino, st);
		st->dev = 0x801;
		st->blocks = kalign_up(st->size, 4096) / 512;
		return 0;
	case FT_DIR:
	case FT_PATH:
		if (vfs_lookup(f->path, &nd) == 0) {
			vfs_node_stat(f->path, &nd, st);
			return 0;
		}
		st->mode = S_IFDIR | 0755;
		return 0;
	case FT_PIPE:
		st->mode = S_IFIFO | 0600;
		st->dev = 0xc;
		st->ino = (uintptr_t)f->pipe >> 4 & 0xffffff;
		st->nlink = 1;
		return 0;
	case FT_DEV:
		if (vfs_lookup(f->path, &nd) == 0)
			vfs_node_stat(f->path, &nd, st);
		return 0;
	case FT_CONSOLE:
		/* opened as /dev/tty or /dev/console: that node, as Linux's fstat says */
		if (f->path &&
		    (kstrcmp(f->path, "/dev/tty") == 0 || kstrcmp(f->path, "/dev/console") == 0) &&
		    vfs_lookup(f->path, &nd) == 0) {
			vfs_node_stat(f->path, &nd, st);
			return 0;
		}
		if (console_is_tty(f)) {
			console_tty_stat(st, console_pts(f));
			return 0;
		}
		/* a pipe from the runtime: pipefs's device, an inode per stream */
		st->mode = S_IFIFO | 0600;
		st->dev = 0xc;
		st->nlink = 1;
		st->ino = 0x1000000 + (uint64_t)f->console_fd;
		return 0;
	case FT_PROC:
		st->mode = S_IFREG | 0444;
		st->dev = 4;
		st->nlink = 1;
		return 0;
	case FT_SOCK:
		st->mode = S_IFSOCK | 0777;
		st->dev = 0x8;
		st->ino = (uintptr_t)f->sock >> 4 & 0xffffff;
		st->nlink = 1;
		return 0;
	case FT_TSM:
		st->mode = S_IFREG | (f->flags & O_ACCMODE ? 0200 : 0444);
		st->dev = 0x801;
		st->nlink = 1;
		return 0;
	case FT_EVENTFD:
	case FT_TIMERFD:
	case FT_EPOLL:
		pollobj_stat(f, st);
		return 0;
	default:
		break;
	}
	return -EBADF;
}

unsigned file_poll(struct file *f, unsigned events)
{
	switch (f->type) {
	case FT_PIPE:
		return pipe_poll(f, events);
	case FT_EVENTFD:
	case FT_TIMERFD:
	case FT_EPOLL:
		return pollobj_poll(f, events);
	case FT_SOCK:
		return sock_poll(f, events);
	default:
		/*
		 * Regular files, directories, devices: always ready. The console
		 * too: its PAL read may block, and no PAL call says whether input
		 * is waiting, so a reader told "ready" may block in read.
		 */
		return events & (1 | 4);
	}
}

uint64_t file_poll_gen(struct file *f, unsigned events)
{
	switch (f->type) {
	case FT_PIPE:
		return pipe_gen(f, events);
	case FT_EVENTFD:
	case FT_TIMERFD:
	case FT_EPOLL:
		return pollobj_gen(f, events);
	default:
		return 0;
	}
}

int64_t file_poll_wake_ns(struct file *f)
{
	switch (f->type) {
	case FT_SOCK:
		/* host-backed sockets change readiness outside the library OS */
		return sock_poll_external(f) ? sock_external_poll_ns() : -1;
	case FT_TIMERFD:
	case FT_EPOLL:
		return pollobj_wake_ns(f);
	default:
		return -1;
	}
}
