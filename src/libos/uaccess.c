/*
 * Every access of the library OS to container memory: through the PAL's
 * copy calls (RMM copies in a realm), faulting in demand-paged pages that a
 * VMA allows, and (as the RMM's verification will) checking each range
 * against the argument descriptors of the call being served: an access the
 * descriptors do not name is counted (stats.desc_violations) and logged,
 * so the syscall table stays accurate.
 */
#include "libos/kernel.h"

void uaccess_allow(struct task *t, uint64_t lo, uint64_t len)
{
	if (t->nextra < KARRAY_SIZE(t->extra_lo)) {
		t->extra_lo[t->nextra] = lo;
		t->extra_hi[t->nextra] = lo + len;
		t->nextra++;
	} else {
		/* widen the last slot */
		unsigned i = KARRAY_SIZE(t->extra_lo) - 1;
		t->extra_lo[i] = KMIN(t->extra_lo[i], lo);
		t->extra_hi[i] = KMAX(t->extra_hi[i], lo + len);
	}
}

static bool in_range(uint64_t a, uint64_t len, uint64_t lo, uint64_t hi)
{
	return a >= lo && a + len <= hi && a + len >= a;
}

/* Is [a, a+len) named by the current call's descriptors (for a write if `out`)? */
static bool desc_allows(struct task *t, uint64_t a, uint64_t len, bool out)
{
	const struct syscall_def *d = t->cur;
	if (!d)
		return true; /* not in a call: loader, signal delivery */
	for (unsigned i = 0; i < t->nextra; i++)
		if (in_range(a, len, t->extra_lo[i], t->extra_hi[i]))
			return true;
	for (unsigned i = 0; i < d->nargs; i++) {
		const struct sys_arg *sa = &d->arg[i];
		uint64_t base = t->cur_args[i], sz;
		switch (sa->kind) {
		case SA_IN:
		case SA_OUT:
		case SA_INOUT:
		case SA_IOV_IN:
		case SA_IOV_OUT:
			if (sa->kind == SA_IN && out)
				continue;
			if (sa->kind == SA_OUT && !out)
				continue;
			if ((sa->kind == SA_IOV_IN || sa->kind == SA_IOV_OUT) && out)
				continue; /* the iovec array itself is only read */
			sz = sa->len_arg >= 0 ? t->cur_args[sa->len_arg] * (sa->size ? sa->size : 1) :
						sa->size;
			/* a length past the end of the address space names everything up to it */
			if (in_range(a, len, base, base + sz < base ? UINT64_MAX : base + sz))
				return true;
			break;
		case SA_PATH:
		case SA_STR:
			if (!out && in_range(a, len, base, base + PATH_MAX_))
				return true;
			break;
		case SA_STRV:
			if (!out && in_range(a, len, base, base + 8 * 4096))
				return true;
			break;
		case SA_FDSET:
			if (in_range(a, len, base, base + (t->cur_args[0] + 7) / 8))
				return true;
			break;
		case SA_IOCTL:
		case SA_PTR_OPT:
			return true; /* checked by the handler itself */
		default:
			break;
		}
	}
	return false;
}

static void check_desc(struct task *t, uint64_t a, uint64_t len, bool out)
{
	if (len && !desc_allows(t, a, len, out)) {
		g.stats.desc_violations++;
		lo_log(LOG_WARN, "%s: %s of [%#lx, +%lu) outside the call's descriptors",
		       t->cur->name, out ? "write" : "read", (unsigned long)a, (unsigned long)len);
	}
}

static bool bad_range(uint64_t a, size_t len)
{
	return a + len < a || a + len > USER_VA_LIMIT;
}

int copy_in(struct task *t, void *dst, uint64_t uaddr, size_t len)
{
	if (len == 0)
		return 0;
	if (bad_range(uaddr, len))
		return -EFAULT;
	check_desc(t, uaddr, len, false);
	struct pal_as *as = t->proc->mm->as;
	int r = PAL(copy_from_user, as, dst, uaddr, len);
	if (r == -EFAULT) {
		if (mm_fault_range(t->proc->mm, uaddr, len, PROT_READ))
			return -EFAULT;
		r = PAL(copy_from_user, as, dst, uaddr, len);
	}
	if (!r)
		g.stats.copy_in_bytes += len;
	return r ? -EFAULT : 0;
}

int copy_out(struct task *t, uint64_t uaddr, const void *src, size_t len)
{
	if (len == 0)
		return 0;
	if (bad_range(uaddr, len))
		return -EFAULT;
	check_desc(t, uaddr, len, true);
	struct pal_as *as = t->proc->mm->as;
	int r = PAL(copy_to_user, as, uaddr, src, len);
	if (r == -EFAULT) {
		if (mm_fault_range(t->proc->mm, uaddr, len, PROT_WRITE))
			return -EFAULT;
		r = PAL(copy_to_user, as, uaddr, src, len);
	}
	if (!r)
		g.stats.copy_out_bytes += len;
	return r ? -EFAULT : 0;
}

long strncpy_in(struct task *t, char *dst, uint64_t uaddr, size_t max)
{
	if (uaddr >= USER_VA_LIMIT)
		return -EFAULT;
	check_desc(t, uaddr, 1, false);
	struct pal_as *as = t->proc->mm->as;
	for (int tries = 0; tries < 4; tries++) {
		long r = PAL(strncpy_from_user, as, dst, uaddr, max);
		if (r != -EFAULT)
			return r;
		/* fault in page by page from uaddr until one fails */
		uint64_t end = KMIN(uaddr + max, USER_VA_LIMIT);
		bool any = false;
		for (uint64_t p = uaddr & PAGE_MASK; p < end; p += PAGE_SIZE) {
			unsigned cur;
			if (PAL(mem_query, as, p, &cur) == 0 && (cur & PAL_PROT_R))
				continue;
			if (mm_fault(t->proc->mm, p < uaddr ? uaddr : p, PROT_READ))
				break;
			any = true;
		}
		if (!any)
			return -EFAULT;
	}
	return -EFAULT;
}

int path_in(struct task *t, uint64_t uaddr, char **out)
{
	char *b = kmalloc(PATH_MAX_);
	if (!b)
		return -ENOMEM;
	long r = strncpy_in(t, b, uaddr, PATH_MAX_);
	if (r < 0) {
		kfree(b);
		return (int)r;
	}
	*out = b;
	return 0;
}

int mm_write(struct mm *mm, uint64_t uaddr, const void *src, size_t len)
{
	if (bad_range(uaddr, len))
		return -EFAULT;
	int r = mm_fault_range(mm, uaddr, len, PROT_WRITE);
	if (r)
		return r;
	return PAL(copy_to_user, mm->as, uaddr, src, len) ? -EFAULT : 0;
}
