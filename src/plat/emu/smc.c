/*
 * The SMC instruction of the emulated machine: a call into the EL3 vector
 * the monitor installed, counted. The vector pointer is read atomically so
 * host threads may issue SMCs concurrently.
 */
#include "plat/emu/emu.h"

static plat_el3_vector_fn el3_vector;

void plat_set_el3_vector(plat_el3_vector_fn fn)
{
	__atomic_store_n(&el3_vector, fn, __ATOMIC_RELEASE);
}

void emu_smc_reset(void)
{
	plat_set_el3_vector(NULL);
}

void plat_smc(enum pas from, struct smc_regs *regs)
{
	plat_el3_vector_fn fn = __atomic_load_n(&el3_vector, __ATOMIC_ACQUIRE);

	plat_count(PLAT_CNT_SMC);
	if (fn == NULL) {
		regs->x[0] = SMC_UNKNOWN;
		return;
	}
	fn(from, regs);
}

uint64_t plat_smc6(enum pas from, uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
		   uint64_t a5, uint64_t a6, struct smc_regs *res)
{
	struct smc_regs regs = {.x = {fid, a1, a2, a3, a4, a5, a6}};

	plat_smc(from, &regs);
	if (res != NULL)
		*res = regs;
	return regs.x[0];
}
