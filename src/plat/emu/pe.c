/*
 * Processing elements of the emulated machine: plat_pe_create picks the
 * engine that can run the code at a REC's entry point (the native C test
 * guests of native_guest.c); plat_pe_create_a64 (a64.c) makes an A64 PE on
 * the CPU engine. plat_pe_* dispatch through the engine's emu_pe_ops.
 * A PE runs on one host thread at a time; plat_pe_halt may come from any.
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

void plat_pe_halt(struct plat_pe *pe)
{
	if (pe != NULL && pe->ops->halt != NULL)
		pe->ops->halt(pe);
}
