/*
 * Native test guests: realm code written in C that runs on an emulated PE
 * (its own stack, switched with ucontext) until the A64 engine arrives.
 * A guest reaches the RMM only the way real realm code does: SMC (RSI/PSCI),
 * and memory accesses through the stage-2 translation the RMM programmed.
 * A guest that returns from its function leaves the PE spinning on an
 * undefined instruction (EC_UNKNOWN every time it is run). A guest runs
 * until it traps, so plat_pe_halt cannot stop it mid-run: the next
 * plat_pe_run returns PLAT_PE_IRQ without running it.
 *
 * Only tests and the demo use this header; trusted code never does.
 */
#ifndef PLAT_EMU_NATIVE_GUEST_H
#define PLAT_EMU_NATIVE_GUEST_H

#include "arch/arch.h"
#include "arch/smc.h"

#include <ucontext.h>

struct native_guest;

/* Entry: gprs[0..7] as the REC was created (RmiRecParams.gprs). */
typedef void (*native_guest_fn)(struct native_guest *g, const uint64_t gprs[8]);

/*
 * Make `fn` the code at realm entry point `entry_pc`: a REC created with that
 * pc runs fn. Returns 0, -EEXIST if pc is taken, -ENOMEM if the table is full.
 */
int plat_native_guest_register(uint64_t entry_pc, native_guest_fn fn);
void plat_native_guest_unregister(uint64_t entry_pc);

/*
 * SMC #0 from the guest: x0..x10 of regs go to R-EL2 (EC_SMC64); when the
 * PE is run again, regs holds x0..x10 as the RMM left them.
 */
void native_guest_smc(struct native_guest *g, struct smc_regs *regs);

/*
 * SVC #0 from the guest, as EL0 container code makes a system call: the PE
 * takes EC_SVC64 (ISS 0) with x0..x8 from regs (x8 = the system-call
 * number) and pc past the SVC; when it is run again, regs->x[0] holds x0 as
 * the trusted layer left it (the result). Lets a native guest stand in for
 * container code in RMM tests.
 */
void native_guest_svc(struct native_guest *g, struct smc_regs *regs);

/*
 * Load/store through stage 2. On a stage-2 abort the PE takes the exception
 * (EC_DABT_LOW with FAR/HPFAR, ISV=1 with SAS/SRT=0/WnR for 1/2/4/8-byte
 * accesses) and retries when run again; for an emulated MMIO read the
 * value the RMM put in x0 on resume is returned. A size other than
 * 1/2/4/8 is done granule by granule without ISV.
 */
uint64_t native_guest_load(struct native_guest *g, uint64_t ipa, unsigned size);
void native_guest_store(struct native_guest *g, uint64_t ipa, uint64_t val, unsigned size);
void native_guest_read(struct native_guest *g, uint64_t ipa, void *buf, size_t len);
void native_guest_write(struct native_guest *g, uint64_t ipa, const void *buf, size_t len);

/*
 * Map [ipa, ipa+len) of the guest's own IPA space for direct loads and
 * stores, like a TLB fill: every granule is translated through the stage 2
 * of the current run (write permission checked if `write`) and GPC-checked
 * for the PAS its entry names; all granules must be of one PAS and
 * physically contiguous. Returns a host pointer, or NULL (no exception is
 * taken). The pointer stands for that translation: it stays usable while
 * the RMM keeps those stage-2 entries (the guest's own DATA, or an NS buffer
 * the host mapped); call it from the guest only. Added for the realm
 * deployment's System Realm (the library OS's kernel memory).
 */
void *native_guest_map(struct native_guest *g, uint64_t ipa, size_t len, bool write);

/*
 * Cooperative contexts inside a guest (the System Realm kernel's kernel
 * threads): switch from the running context to `to`, whose stack is
 * [to_stack, to_stack + to_size), saving the running one in `from`. The
 * guest's later exceptions then leave from, and resume on, that stack (the
 * sanitizers are told). A fresh context (makecontext) calls
 * native_guest_fiber_entered() first.
 */
void native_guest_fiber_switch(struct native_guest *g, ucontext_t *from, ucontext_t *to,
			       void *to_stack, size_t to_size);
void native_guest_fiber_entered(void);
/* The guest's own stack (the boot context's). */
void native_guest_stack(struct native_guest *g, void **base, size_t *size);

/* True if the last access or SMC was answered by an injected SEA. */
bool native_guest_took_sea(struct native_guest *g);

/* Opaque per-guest word for the test's own use. */
void native_guest_set_user(struct native_guest *g, void *p);
void *native_guest_user(struct native_guest *g);

#endif /* PLAT_EMU_NATIVE_GUEST_H */
