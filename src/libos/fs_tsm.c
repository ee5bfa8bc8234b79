/*
 * configfs-tsm inside the container (issue 6): Linux's attestation report
 * interface, /sys/kernel/config/tsm/report/$name/ with
 *   inblob      (write) the challenge, 32 to 64 bytes (arm_cca_guest's range),
 *               zero padded to 64
 *   outblob     (read) the CCA attestation token for that challenge
 *   provider    (read) "arm_cca_guest\n"
 *   generation  (read) writes to inblob so far, "%u\n"
 * mkdir of $name creates a report, rmdir removes it. The token comes from
 * the PAL's optional attest_token op (the realm PAL: the RMM makes the
 * Container Realm's token); without it the tree is absent, as on Linux
 * without a TSM provider. A token is made at the first outblob read after
 * inblob changed and kept for that generation.
 *
 * Differences from Linux: a write to inblob takes effect at once (Linux
 * commits a configfs binary attribute at close); privlevel, auxblob and
 * service_* are not provided.
 */
#include "libos/kernel.h"

#define TSM_TOKEN_MAX 4096
#define TSM_PROVIDER "arm_cca_guest\n"

enum {
	TI_SYS = 1, /* /sys */
	TI_KERNEL,  /* /sys/kernel */
	TI_CONFIG,  /* /sys/kernel/config */
	TI_TSM,     /* /sys/kernel/config/tsm */
	TI_REPDIR,  /* /sys/kernel/config/tsm/report */
	TI_REPORT,  /* .../report/$name */
	TI_INBLOB,
	TI_OUTBLOB,
	TI_PROVIDER,
	TI_GENERATION,
};

static const struct {
	const char *path;
	int item;
	const char *child;
} dirs[] = {
	{ "/sys", TI_SYS, "kernel" },
	{ "/sys/kernel", TI_KERNEL, "config" },
	{ "/sys/kernel/config", TI_CONFIG, "tsm" },
	{ "/sys/kernel/config/tsm", TI_TSM, "report" },
	{ "/sys/kernel/config/tsm/report", TI_REPDIR, NULL },
};

static const struct {
	const char *name;
	int item;
	uint32_t mode;
} attrs[] = {
	{ "inblob", TI_INBLOB, S_IFREG | 0200 },
	{ "outblob", TI_OUTBLOB, S_IFREG | 0444 },
	{ "provider", TI_PROVIDER, S_IFREG | 0444 },
	{ "generation", TI_GENERATION, S_IFREG | 0444 },
};

void tsm_reset(void)
{
	/* a fresh instance: zeroed at libos_init */
	memset(g.tsm.reports, 0, sizeof(g.tsm.reports));
	g.tsm.next_serial = 0;
}

static bool have_provider(void)
{
	return g.pal.attest_token != NULL;
}

static bool is_under(const char *canon, const char *dir)
{
	size_t l = strlen(dir);
	return kstrncmp(canon, dir, l) == 0 && (canon[l] == 0 || canon[l] == '/');
}

bool tsm_covers(const char *canon)
{
	return have_provider() && (kstrcmp(canon, "/sys") == 0 || is_under(canon, "/sys/kernel"));
}

/* The report named by the component after .../report/, with its length. */
static int report_find(const char *name, size_t len)
{
	for (int i = 0; i < TSM_REPORTS; i++)
		if (g.tsm.reports[i].used && strlen(g.tsm.reports[i].name) == len &&
		    kstrncmp(g.tsm.reports[i].name, name, len) == 0)
			return i;
	return -1;
}

int tsm_lookup(const char *canon, struct node *nd)
{
	static const char rep[] = "/sys/kernel/config/tsm/report/";
	memset(nd, 0, sizeof(*nd));
	nd->kind = NK_TSM;
	nd->fd = -1;
	for (size_t i = 0; i < KARRAY_SIZE(dirs); i++) {
		if (kstrcmp(canon, dirs[i].path) == 0) {
			nd->proc_item = dirs[i].item;
			nd->mode = S_IFDIR | 0755;
			return 0;
		}
	}
	if (kstrncmp(canon, rep, sizeof(rep) - 1) != 0)
		return -ENOENT;
	const char *n = canon + sizeof(rep) - 1, *slash = kstrchr(n, '/');
	int slot = report_find(n, slash ? (size_t)(slash - n) : strlen(n));
	if (slot < 0)
		return -ENOENT;
	nd->proc_pid = slot;
	if (!slash) {
		nd->proc_item = TI_REPORT;
		nd->mode = S_IFDIR | 0755;
		return 0;
	}
	for (size_t i = 0; i < KARRAY_SIZE(attrs); i++) {
		if (kstrcmp(slash + 1, attrs[i].name) == 0) {
			nd->proc_item = attrs[i].item;
			nd->mode = attrs[i].mode;
			return 0;
		}
	}
	return -ENOENT;
}

int tsm_list(const char *canon, void (*fn)(void *arg, const char *name, uint32_t mode),
	     void *arg)
{
	struct node nd;
	int r = tsm_lookup(canon, &nd);
	if (r)
		return r;
	for (size_t i = 0; i < KARRAY_SIZE(dirs); i++)
		if (dirs[i].item == nd.proc_item && dirs[i].child)
			fn(arg, dirs[i].child, S_IFDIR);
	if (nd.proc_item == TI_REPDIR)
		for (int i = 0; i < TSM_REPORTS; i++)
			if (g.tsm.reports[i].used)
				fn(arg, g.tsm.reports[i].name, S_IFDIR);
	if (nd.proc_item == TI_REPORT)
		for (size_t i = 0; i < KARRAY_SIZE(attrs); i++)
			fn(arg, attrs[i].name, S_IFREG);
	return 0;
}

/*
 * The report of a file opened on attribute `item` (slot in the low byte of
 * f->dev, serial above it; the item in f->console_fd), or NULL with *err:
 * -ENODEV if removed (rmdir) since it was opened, -EBADF for another item.
 */
static struct tsm_report *file_report(const struct file *f, int item, long *err)
{
	int slot = f->dev & 0xFF;
	struct tsm_report *rp = &g.tsm.reports[slot];
	*err = -ENODEV;
	if (slot >= TSM_REPORTS || !rp->used || rp->serial != (uint32_t)f->dev >> 8)
		return NULL;
	*err = -EBADF;
	return f->console_fd == item ? rp : NULL;
}

int tsm_open(struct task *t, const struct node *nd, unsigned flags, struct file **out)
{
	unsigned acc = flags & O_ACCMODE;
	bool wr = acc == O_WRONLY || acc == O_RDWR, rd = acc != O_WRONLY;
	struct tsm_report *rp = &g.tsm.reports[nd->proc_pid];
	struct fbuf *b = NULL;
	char text[32];
	int n;

	switch (nd->proc_item) {
	case TI_INBLOB:
	case TI_OUTBLOB: {
		if (nd->proc_item == TI_INBLOB ? rd : wr)
			return -EACCES;
		struct file *f = file_new(FT_TSM, flags, "/sys/kernel/config/tsm/report");
		if (!f)
			return -ENOMEM;
		f->dev = nd->proc_pid | (int)(rp->serial << 8);
		f->console_fd = nd->proc_item;
		*out = f;
		return 0;
	}
	case TI_PROVIDER:
	case TI_GENERATION:
		if (wr)
			return -EACCES;
		n = nd->proc_item == TI_PROVIDER ? ksnprintf(text, sizeof(text), "%s", TSM_PROVIDER)
						 : ksnprintf(text, sizeof(text), "%u\n", rp->generation);
		b = fbuf_new((size_t)n);
		if (!b)
			return -ENOMEM;
		memcpy(b->data, text, (size_t)n);
		struct file *f = file_new(FT_PROC, O_RDONLY, "/sys/kernel/config/tsm/report");
		if (!f) {
			fbuf_put(b);
			return -ENOMEM;
		}
		f->buf = b;
		*out = f;
		return 0;
	default:
		return -EACCES;
	}
}

long tsm_write(struct task *t, struct file *f, uint64_t ubuf, size_t len, uint64_t off)
{
	long err;
	struct tsm_report *rp = file_report(f, TI_INBLOB, &err);
	if (!rp)
		return err;
	if (off >= TSM_CHALLENGE || len > TSM_CHALLENGE - off)
		return -EFBIG;
	if (len == 0)
		return 0;
	if (copy_in(t, rp->inblob + off, ubuf, len))
		return -EFAULT;
	if (off + len > rp->inblob_len)
		rp->inblob_len = off + len;
	rp->generation++;
	return (long)len;
}

long tsm_read(struct task *t, struct file *f, uint64_t ubuf, size_t len, uint64_t off)
{
	long err;
	struct tsm_report *rp = file_report(f, TI_OUTBLOB, &err);
	if (!rp)
		return err;
	if (!rp->out || rp->out_gen != rp->generation) {
		uint8_t challenge[TSM_CHALLENGE];
		/* arm_cca_guest: a challenge of 32 to 64 bytes, zero padded */
		if (rp->inblob_len < 32)
			return -EINVAL;
		memset(challenge, 0, sizeof(challenge));
		memcpy(challenge, rp->inblob, rp->inblob_len);
		uint8_t *tok = kmalloc(TSM_TOKEN_MAX);
		if (!tok)
			return -ENOMEM;
		long n = g.pal.attest_token(g.pal.ctx, t->pt, challenge, tok, TSM_TOKEN_MAX);
		if (n < 0) {
			kfree(tok);
			return n == -ENOSPC ? -ENOSPC : -EIO;
		}
		kfree(rp->out);
		rp->out = tok;
		rp->out_len = (size_t)n;
		rp->out_gen = rp->generation;
	}
	if (off >= rp->out_len)
		return 0;
	size_t n = KMIN(len, rp->out_len - off);
	if (copy_out(t, ubuf, rp->out + off, n))
		return -EFAULT;
	return (long)n;
}

/* The name of a new report: a direct child of .../report. */
static const char *report_name(const char *canon)
{
	static const char rep[] = "/sys/kernel/config/tsm/report/";
	if (kstrncmp(canon, rep, sizeof(rep) - 1) != 0)
		return NULL;
	const char *n = canon + sizeof(rep) - 1;
	return *n && !kstrchr(n, '/') ? n : NULL;
}

int tsm_mkdir(const char *canon)
{
	const char *n = report_name(canon);
	if (!n)
		return -EPERM; /* configfs: only report/ takes new directories */
	if (strlen(n) >= TSM_NAME_MAX)
		return -ENAMETOOLONG;
	if (report_find(n, strlen(n)) >= 0)
		return -EEXIST;
	for (int i = 0; i < TSM_REPORTS; i++) {
		if (g.tsm.reports[i].used)
			continue;
		memset(&g.tsm.reports[i], 0, sizeof(g.tsm.reports[i]));
		g.tsm.reports[i].used = true;
		g.tsm.reports[i].serial = ++g.tsm.next_serial & 0x7FFFFF;
		memcpy(g.tsm.reports[i].name, n, strlen(n) + 1);
		return 0;
	}
	return -ENOSPC;
}

int tsm_rmdir(const char *canon, bool dir)
{
	const char *n = report_name(canon);
	int slot = n ? report_find(n, strlen(n)) : -1;
	if (slot < 0) {
		struct node nd;
		return tsm_lookup(canon, &nd) ? -ENOENT : -EPERM;
	}
	if (!dir)
		return -EISDIR;
	kfree(g.tsm.reports[slot].out);
	memset(&g.tsm.reports[slot], 0, sizeof(g.tsm.reports[slot]));
	return 0;
}
