/*
 * /sys as programs read it: the CPU lists glibc's sysconf and nproc use
 * (devices/system/cpu/{online,possible,present}, cpu0/), and the
 * transparent-hugepage settings the Go runtime reads
 * (kernel/mm/transparent_hugepage/{hpage_pmd_size,enabled}). Read-only.
 * /sys/kernel/config is configfs-tsm's (fs_tsm.c) when the deployment
 * provides attestation; it shows in the /sys/kernel listing then.
 */
#include "libos/kernel.h"

enum {
	SI_DIR = SYSFS_ITEM_BASE,
	SI_CPULIST, /* "0": the one CPU the container sees */
	SI_HPAGE_SIZE,
	SI_THP_ENABLED,
	SI_THP_DEFRAG,
};

static const struct {
	const char *path;
	int item;
	uint32_t mode;
} entries[] = {
	{"/sys", SI_DIR, S_IFDIR | 0555},
	{"/sys/devices", SI_DIR, S_IFDIR | 0555},
	{"/sys/devices/system", SI_DIR, S_IFDIR | 0555},
	{"/sys/devices/system/cpu", SI_DIR, S_IFDIR | 0555},
	{"/sys/devices/system/cpu/cpu0", SI_DIR, S_IFDIR | 0555},
	{"/sys/devices/system/cpu/online", SI_CPULIST, S_IFREG | 0444},
	{"/sys/devices/system/cpu/possible", SI_CPULIST, S_IFREG | 0444},
	{"/sys/devices/system/cpu/present", SI_CPULIST, S_IFREG | 0444},
	{"/sys/fs", SI_DIR, S_IFDIR | 0555},
	{"/sys/kernel", SI_DIR, S_IFDIR | 0555},
	{"/sys/kernel/mm", SI_DIR, S_IFDIR | 0555},
	{"/sys/kernel/mm/transparent_hugepage", SI_DIR, S_IFDIR | 0555},
	{"/sys/kernel/mm/transparent_hugepage/hpage_pmd_size", SI_HPAGE_SIZE, S_IFREG | 0444},
	{"/sys/kernel/mm/transparent_hugepage/enabled", SI_THP_ENABLED, S_IFREG | 0644},
	{"/sys/kernel/mm/transparent_hugepage/defrag", SI_THP_DEFRAG, S_IFREG | 0644},
};

static bool is_under(const char *canon, const char *dir)
{
	size_t l = strlen(dir);
	return kstrncmp(canon, dir, l) == 0 && (canon[l] == 0 || canon[l] == '/');
}

bool sysfs_covers(const char *canon)
{
	return is_under(canon, "/sys") && !is_under(canon, "/sys/kernel/config");
}

int sysfs_lookup(const char *canon, struct node *nd)
{
	memset(nd, 0, sizeof(*nd));
	for (size_t i = 0; i < KARRAY_SIZE(entries); i++) {
		if (kstrcmp(canon, entries[i].path) == 0) {
			nd->kind = NK_PROC;
			nd->fd = -1;
			nd->proc_item = entries[i].item;
			nd->mode = entries[i].mode;
			return 0;
		}
	}
	return -ENOENT;
}

int sysfs_list(const char *canon, void (*fn)(void *arg, const char *name, uint32_t mode), void *arg)
{
	size_t l = strlen(canon);
	for (size_t i = 0; i < KARRAY_SIZE(entries); i++) {
		const char *p = entries[i].path;
		if (kstrncmp(p, canon, l) != 0 || p[l] != '/' || kstrchr(p + l + 1, '/'))
			continue;
		fn(arg, p + l + 1, entries[i].mode);
	}
	if (kstrcmp(canon, "/sys/kernel") == 0 && tsm_covers("/sys/kernel/config"))
		fn(arg, "config", S_IFDIR | 0755);
	return 0;
}

int sysfs_open(struct task *t, const struct node *nd, struct file **out)
{
	char text[64];
	struct sbuf s = {text, 0, sizeof(text)};
	text[0] = 0;
	switch (nd->proc_item) {
	case SI_CPULIST:
		sb_printf(&s, "0\n");
		break;
	case SI_HPAGE_SIZE:
		sb_printf(&s, "2097152\n");
		break;
	case SI_THP_ENABLED: /* the library OS maps 4 KiB pages only */
		sb_printf(&s, "always madvise [never]\n");
		break;
	case SI_THP_DEFRAG:
		sb_printf(&s, "always defer defer+madvise madvise [never]\n");
		break;
	default:
		return -EISDIR;
	}
	struct fbuf *b = sb_to_fbuf(&s);
	if (!b)
		return -ENOMEM;
	struct file *f = file_new(FT_PROC, O_RDONLY, "/sys");
	if (!f) {
		fbuf_put(b);
		return -ENOMEM;
	}
	f->buf = b;
	*out = f;
	return 0;
}
