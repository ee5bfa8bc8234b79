/*
 * /dev: null, zero, full-less basics, urandom/random (PAL randomness),
 * tty (the console when the container has a terminal), and the usual
 * links stdin/stdout/stderr/fd into /proc/self/fd. /dev/pts holds 0, the
 * container's terminal, when it has one, and 1.. the terminals of processes
 * started from outside with one (realmbox exec --tty), while their session
 * lasts: what ttyname finds for those streams (the same device, inode and
 * rdev as their fstat).
 */
#include "libos/kernel.h"

static const struct {
	const char *name;
	int dev;
	const char *link;
} devs[] = {
	{ "null", DEV_NULL, NULL },     { "zero", DEV_ZERO, NULL },
	{ "urandom", DEV_URANDOM, NULL }, { "random", DEV_URANDOM, NULL },
	{ "tty", DEV_TTY, NULL },       { "console", DEV_TTY, NULL },
	{ "stdin", 0, "/proc/self/fd/0" }, { "stdout", 0, "/proc/self/fd/1" },
	{ "stderr", 0, "/proc/self/fd/2" }, { "fd", 0, "/proc/self/fd" },
};

/* "7" -> 7: a /dev/pts name (decimal, no leading zero, below 1000), else -1. */
static int pts_number(const char *s)
{
	int n = 0;

	if (!s[0] || (s[0] == '0' && s[1]))
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || n >= 100)
			return -1;
		n = n * 10 + (*s - '0');
	}
	return n;
}

int dev_lookup(const char *canon, struct node *nd)
{
	memset(nd, 0, sizeof(*nd));
	if (kstrcmp(canon, "/dev") == 0) {
		nd->kind = NK_SYNTH_DIR;
		nd->mode = S_IFDIR | 0755;
		return 0;
	}
	if (kstrcmp(canon, "/dev/pts") == 0) {
		nd->kind = NK_SYNTH_DIR;
		nd->mode = S_IFDIR | 0755;
		return 0;
	}
	if (kstarts_with(canon, "/dev/pts/")) {
		int n = pts_number(canon + 9);

		if (n < 0 || !console_pts_live(n))
			return -ENOENT;
		nd->kind = NK_DEV;
		nd->dev = DEV_PTS;
		nd->mode = S_IFCHR | 0620;
		nd->proc_item = n; /* the terminal's number */
		return 0;
	}
	const char *n = canon + 5;
	for (size_t i = 0; i < KARRAY_SIZE(devs); i++) {
		if (kstrcmp(n, devs[i].name) != 0)
			continue;
		nd->kind = NK_DEV;
		nd->dev = devs[i].dev;
		nd->mode = devs[i].link ? (S_IFLNK | 0777) : (S_IFCHR | 0666);
		nd->proc_item = (int)i;
		return 0;
	}
	return -ENOENT;
}

const char *dev_link_target(int idx)
{
	return idx >= 0 && (size_t)idx < KARRAY_SIZE(devs) ? devs[idx].link : NULL;
}

int dev_list(const char *canon, void (*fn)(void *arg, const char *name, uint32_t mode), void *arg)
{
	if (kstrcmp(canon, "/dev/pts") == 0) {
		for (int n = 0; n < LIBOS_CONSOLE_MAX / 3; n++) {
			char name[4] = {(char)('0' + n), 0};

			if (console_pts_live(n))
				fn(arg, name, S_IFCHR);
		}
		return 0;
	}
	if (kstrcmp(canon, "/dev") != 0)
		return -ENOTDIR;
	for (size_t i = 0; i < KARRAY_SIZE(devs); i++)
		fn(arg, devs[i].name, devs[i].link ? S_IFLNK : S_IFCHR);
	fn(arg, "pts", S_IFDIR);
	return 0;
}

const char *dev_name(int dev)
{
	for (size_t i = 0; i < KARRAY_SIZE(devs); i++)
		if (devs[i].dev == dev)
			return devs[i].name;
	return "?";
}

long dev_read(struct task *t, struct file *f, uint64_t ubuf, size_t len)
{
	if (f->dev == DEV_NULL)
		return 0;
	uint8_t tmp[1024];
	size_t done = 0;
	len = KMIN(len, 1UL << 20);
	while (done < len) {
		size_t n = KMIN(len - done, sizeof(tmp));
		if (f->dev == DEV_ZERO)
			memset(tmp, 0, n);
		else
			PAL(random, tmp, n);
		if (copy_out(t, ubuf + done, tmp, n))
			return done ? (long)done : -EFAULT;
		done += n;
	}
	return (long)done;
}

long dev_write(struct task *t, struct file *f, uint64_t ubuf, size_t len)
{
	return (long)len;
}
