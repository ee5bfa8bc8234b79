/*
 * Processing elements of the emulated machine: plat_pe_* pick the engine
 * that can run the code at a REC's entry point (today the native C test
 * guests of native_guest.c; the A64 engine comes later) and dispatch to it.
 * A PE runs on one host thread at a time.
 */
#include "plat/emu/emu.h"

#include <errno.h>

struct plat_pe *plat_pe_create(uint64_t entry_pc, int *err)
{
	int ret = -ENOENT;
	struct plat_pe *pe = emu_native_pe_create(entry_pc, &ret);

	if (pe == NULL && err != NULL)
		*err = ret;
	return pe;
}

void plat_pe_destroy(struct plat_pe *pe)
{
	if (pe != NULL)
		pe->ops->destroy(pe);
}

int plat_pe_run(struct plat_pe *pe, const struct plat_s2_config *s2, struct plat_vcpu_state *state,
		struct plat_exception *exc)
{
	uint32_t expected = 0;
	int ret;

	if (pe == NULL || state == NULL || exc == NULL)
		return -EINVAL;
	/* One host thread at a time, and never from inside the guest itself. */
	if (!__atomic_compare_exchange_n(&pe->running, &expected, 1, false, __ATOMIC_ACQUIRE,
					 __ATOMIC_RELAXED))
		return -EINVAL;
	ret = pe->ops->run(pe, s2, state, exc);
	__atomic_store_n(&pe->running, 0, __ATOMIC_RELEASE);
	return ret;
}

void plat_pe_inject_sea(struct plat_pe *pe, struct plat_vcpu_state *state)
{
	if (pe != NULL)
		pe->ops->inject_sea(pe, state);
}
