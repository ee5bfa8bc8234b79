/*
 * REC_ENTER (RMM spec v1.0-REL0, cca-spec §3): enter a realm's vCPU,
 * complete what its previous exit left pending, run it until something needs
 * the host, and hand the host an exit that shows only what the spec exposes
 * for that exit. Also the stage-2 abort handling of the run loop.
 *
 * Locking: the REC granule is locked only while REC_ENTER checks it; then
 * its refcount (1 = running) pins it and its realm, and the run loop holds
 * no lock. The RD is never locked while the REC lock is held (RD and REC
 * granules lock in ascending PA, and the RD's address is only known from the
 * REC): its state word is read atomically instead, as TF-RMM does.
 */
#include "arch/esr.h"
#include "arch/rmi.h"
#include "arch/rsi.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/string.h"
#include "plat/plat.h"
#include "rmm/fasco.h"
#include "rmm/granule.h"
#include "rmm/realm.h"
#include "rmm/rec.h"
#include "rmm/rmi_handlers.h"
#include "rmm/rsi_handlers.h"
#include "rmm/rtt.h"

/*
 * Exceptions the run loop may handle without an exit before it exits with
 * RMI_EXIT_IRQ anyway, as the host's timer would interrupt a realm that
 * storms the RMM with calls on real hardware.
 */
#define REC_RUN_MAX_RESUMES (1U << 16)

/* ESR bits the host sees for an abort it cannot emulate: no ISV, no SRT. */
#define ESR_NONEMULATED_MASK (GENMASK(31, 26) | ESR_IL | ESR_ISS_WNR | GENMASK(5, 0))
/* ... and for an emulatable one (unprotected IPA, ISV set). */
#define ESR_EMULATED_MASK                                                                          \
	(ESR_NONEMULATED_MASK | ESR_ISS_ISV | GENMASK(23, 22) | GENMASK(20, 16) | ESR_ISS_SF)
/* Instruction aborts: the class and the fault status code only. */
#define ESR_IABT_MASK (GENMASK(31, 26) | ESR_IL | GENMASK(5, 0))
/* WFx: the class and TI (WFI 0 / WFE 1). */
#define ESR_WFX_TI BIT(0)
#define ESR_WFX_MASK (GENMASK(31, 26) | ESR_IL | ESR_WFX_TI)

#define XZR_INDEX 31

/* One REC_ENTER's run: what the exit handlers need. */
struct rec_run {
	struct rec *rec;
	struct granule *g_rec; /* not locked: the refcount pins it */
	struct granule *g_rd;
	const struct rd *rd;
	const struct rmi_rec_enter *enter;
	struct plat_exception exc;
	struct rmi_rec_exit *exit;
};

/* Returns true to resume the realm, false to exit to the host (*exit filled). */
typedef bool (*rec_exit_handler_fn)(struct rec_run *run);

/* ---- Helpers --------------------------------------------------------- */

static unsigned esr_access_bytes(uint64_t esr)
{
	return 1U << ESR_ISS_SAS(ESR_ISS(esr));
}

static uint64_t access_mask(uint64_t esr)
{
	unsigned bytes = esr_access_bytes(esr);

	return bytes == 8 ? ~0ULL : (1ULL << (8 * bytes)) - 1;
}

/* The realm register SRT names (XZR reads as zero). */
static uint64_t rec_read_srt(const struct rec *rec, uint64_t esr)
{
	unsigned srt = (unsigned)ESR_ISS_SRT(ESR_ISS(esr));

	return srt == XZR_INDEX ? 0 : rec->regs.gprs[srt];
}

static void rec_write_srt(struct rec *rec, uint64_t esr, uint64_t val)
{
	unsigned srt = (unsigned)ESR_ISS_SRT(ESR_ISS(esr));

	if (srt != XZR_INDEX)
		rec->regs.gprs[srt] = val;
}

static uint64_t fault_ipa(const struct plat_exception *exc)
{
	return IPA_FROM_HPFAR(exc->hpfar) | (exc->far & GRANULE_MASK);
}

static void rec_save_exit_syndrome(struct rec *rec, const struct rmi_rec_exit *exit)
{
	rec->last_esr = exit->esr;
	rec->last_far = exit->far;
	rec->last_hpfar = exit->hpfar;
}

/* Exit SYNC for an abort the host may not emulate (and must not decode). */
static bool exit_nonemulatable_abort(struct rec_run *run)
{
	run->exit->exit_reason = RMI_EXIT_SYNC;
	run->exit->esr = run->exc.esr & ESR_NONEMULATED_MASK;
	run->exit->far = 0;
	run->exit->hpfar = run->exc.hpfar;
	run->rec->pending = REC_PENDING_NONE;
	rec_save_exit_syndrome(run->rec, run->exit);
	return false;
}

/* ---- Exit handlers (by ESR.EC) ---------------------------------------- */

static bool handle_exit_smc(struct rec_run *run)
{
	/* A trapped SMC returns to the instruction after it. */
	run->rec->regs.pc += 4;
	return rsi_handle(run->rec, run->g_rd, run->exit) == RSI_ACTION_RESUME;
}

static bool handle_exit_hvc(struct rec_run *run)
{
	/*
	 * Realms talk to the RMM with SMC; there is no hypervisor for HVC to
	 * reach (the host is not a realm's hypervisor in the RMM's ABI).
	 * Answer "unknown function" like SMCCC does; HVC's preferred return
	 * address is already the next instruction.
	 */
	run->rec->regs.gprs[0] = SMC_UNKNOWN;
	return true;
}

static bool handle_exit_dabt(struct rec_run *run)
{
	struct rec *rec = run->rec;
	struct rmi_rec_exit *exit = run->exit;
	uint64_t esr = run->exc.esr;
	uint64_t ipa = fault_ipa(&run->exc);

	if (addr_in_par(run->rd, ipa)) {
		uint64_t ripas;
		bool assigned;

		if (rtt_ipa_state(run->rd, ipa, &ripas, &assigned) == 0 && ripas == RIPAS_EMPTY) {
			/* The realm said it does not use this page: its own fault. */
			plat_pe_inject_sea(rec->pe, &rec->regs);
			return true;
		}
		/* RAM not (yet) assigned, or DESTROYED: the host decides. */
		return exit_nonemulatable_abort(run);
	}

	if (!addr_in_realm(run->rd, ipa) || (esr & ESR_ISS_ISV) == 0)
		return exit_nonemulatable_abort(run);

	/* Emulatable access to unprotected memory (MMIO). */
	exit->exit_reason = RMI_EXIT_SYNC;
	exit->esr = esr & ESR_EMULATED_MASK;
	exit->far = run->exc.far;
	exit->hpfar = run->exc.hpfar;
	if (esr & ESR_ISS_WNR)
		exit->gprs[0] = rec_read_srt(rec, esr) & access_mask(esr);
	rec->pending = REC_PENDING_MMIO;
	/* Keep the full syndrome: completing a read needs SRT, SSE and SF. */
	rec->last_esr = esr;
	rec->last_far = run->exc.far;
	rec->last_hpfar = run->exc.hpfar;
	return false;
}

static bool handle_exit_iabt(struct rec_run *run)
{
	/* Instruction fetch from memory the host must supply (or may not). */
	run->exit->exit_reason = RMI_EXIT_SYNC;
	run->exit->esr = run->exc.esr & ESR_IABT_MASK;
	run->exit->far = 0;
	run->exit->hpfar = run->exc.hpfar;
	run->rec->pending = REC_PENDING_NONE;
	rec_save_exit_syndrome(run->rec, run->exit);
	return false;
}

static bool handle_exit_wfx(struct rec_run *run)
{
	uint64_t esr = run->exc.esr;
	bool wfe = (esr & ESR_WFX_TI) != 0;
	uint64_t trap = wfe ? REC_ENTER_FLAG_TRAP_WFE : REC_ENTER_FLAG_TRAP_WFI;

	run->rec->regs.pc += 4;
	if ((run->enter->flags & trap) == 0)
		return true;
	run->exit->exit_reason = RMI_EXIT_SYNC;
	run->exit->esr = esr & ESR_WFX_MASK;
	run->rec->pending = REC_PENDING_NONE;
	rec_save_exit_syndrome(run->rec, run->exit);
	return false;
}

static bool handle_exit_serror(struct rec_run *run)
{
	run->exit->exit_reason = RMI_EXIT_SERROR;
	run->exit->esr = run->exc.esr;
	run->rec->pending = REC_PENDING_NONE;
	rec_save_exit_syndrome(run->rec, run->exit);
	return false;
}

static bool handle_exit_other(struct rec_run *run)
{
	/* EC_UNKNOWN (undefined instruction, a finished native guest) and the rest. */
	run->exit->exit_reason = RMI_EXIT_SYNC;
	run->exit->esr = run->exc.esr;
	run->exit->far = run->exc.far;
	run->exit->hpfar = run->exc.hpfar;
	run->rec->pending = REC_PENDING_NONE;
	rec_save_exit_syndrome(run->rec, run->exit);
	return false;
}

#define EC_NR 64
static const rec_exit_handler_fn exit_handlers[EC_NR] = {
	[EC_SMC64] = handle_exit_smc,	  [EC_HVC64] = handle_exit_hvc,
	[EC_DABT_LOW] = handle_exit_dabt, [EC_IABT_LOW] = handle_exit_iabt,
	[EC_WFX] = handle_exit_wfx,	  [EC_SERROR] = handle_exit_serror,
};

/* Run until an exit; *exit is zeroed by the caller. */
static void rec_run_loop(struct rec_run *run)
{
	struct rec *rec = run->rec;
	const struct rd *rd = run->rd;
	struct plat_s2_config s2 = {
		.rtt_base = rd->rtt_base,
		.rtt_level_start = (int)rd->rtt_level_start,
		.rtt_num_start = (unsigned)rd->rtt_num_start,
		.ipa_bits = (unsigned)rd->ipa_bits,
		.vmid = (uint16_t)rd->vmid,
	};

	for (unsigned n = 0; n < REC_RUN_MAX_RESUMES; n++) {
		rec_exit_handler_fn fn;

		int ret;

		memset(&run->exc, 0, sizeof(run->exc));
		ret = plat_pe_run(rec->pe, &s2, &rec->regs, &run->exc);
		if (ret == PLAT_PE_IRQ)
			break; /* the A64 engine's timeslice ended: the host's interrupt */
		if (ret != 0) {
			/* The engine cannot run this PE: report an undefined instruction. */
			lib_log(LOG_WARN, "rmm", "REC %llu of realm 0x%llx: PE cannot run",
				(unsigned long long)rec->rec_idx, (unsigned long long)rec->rd_addr);
			run->exc.esr = ESR_MAKE(EC_UNKNOWN, 0);
			run->exc.far = 0;
			run->exc.hpfar = 0;
		}
		if (rec->fasco.container) {
			bool resume;

			if (fasco_rec_exception(rec, run->g_rec, &run->exc, run->exit, &resume)) {
				if (resume || fasco_rec_wait(rec, run->g_rec, run->exit))
					continue;
				return;
			}
		}
		fn = exit_handlers[ESR_EC(run->exc.esr) % EC_NR];
		if (fn == NULL)
			fn = handle_exit_other;
		if (!fn(run))
			return;
	}
	/* Fasco: a kicked container REC forwards a KICK request instead. */
	if (rec->fasco.container && fasco_rec_kicked(rec, run->exit))
		return;
	/* Give the host its CPU back, as a timer interrupt would. */
	run->exit->exit_reason = RMI_EXIT_IRQ;
	rec->pending = REC_PENDING_NONE;
}

/* ---- Completing the previous exit ------------------------------------- */

/*
 * Checks REC_ENTER makes on what the host asks for the pending exit before
 * anything changes. Returns an RMI status.
 */
static uint64_t rec_check_completion(const struct rec *rec, const struct rmi_rec_enter *enter)
{
	/* MMIO emulation only answers an emulatable abort (TF-RMM: ERROR_REC). */
	if ((enter->flags & REC_ENTER_FLAG_EMUL_MMIO) && rec->pending != REC_PENDING_MMIO)
		return RMI_STATUS(RMI_ERROR_REC, 0);
	return RMI_STATUS(RMI_SUCCESS, 0);
}

/* Was the last exit a data abort at an unprotected IPA (SEA may be injected)? */
static bool rec_last_exit_unprotected_dabt(const struct rec *rec, const struct rd *rd)
{
	uint64_t ipa = IPA_FROM_HPFAR(rec->last_hpfar);

	return ESR_EC(rec->last_esr) == EC_DABT_LOW && !addr_in_par(rd, ipa);
}

static void complete_mmio(struct rec *rec, const struct rmi_rec_enter *enter)
{
	uint64_t esr = rec->last_esr;

	if (enter->flags & REC_ENTER_FLAG_EMUL_MMIO) {
		if ((esr & ESR_ISS_WNR) == 0) {
			uint64_t val = enter->gprs[0] & access_mask(esr);
			unsigned bits = 8 * esr_access_bytes(esr);

			if ((esr & ESR_ISS_SSE) && bits < 64) {
				uint64_t sign = 1ULL << (bits - 1);

				val = (val ^ sign) - sign;
				if ((esr & ESR_ISS_SF) == 0)
					val &= 0xFFFFFFFFULL;
			}
			rec_write_srt(rec, esr, val);
		}
		rec->regs.pc += 4;
	} else if (enter->flags & REC_ENTER_FLAG_INJECT_SEA) {
		plat_pe_inject_sea(rec->pe, &rec->regs);
	}
	/* Neither: the access is retried. */
}

/*
 * Finish the host call: the host's answers go into the realm's RsiHostCall
 * structure. Returns false (with *exit set to a stage-2 abort on that IPA)
 * if the structure is no longer in ASSIGNED RAM; the call stays pending.
 */
static bool complete_host_call(struct rec *rec, const struct rd *rd,
			       const struct rmi_rec_enter *enter, struct rmi_rec_exit *exit)
{
	uint64_t ipa = rec->host_call_ipa + offsetof(struct rsi_host_call, gprs);

	COMPILER_ASSERT(sizeof(enter->gprs) == RSI_HOST_CALL_NR_GPRS * sizeof(uint64_t),
			"host call gprs");
	if (realm_ipa_write(rd, ipa, enter->gprs, sizeof(enter->gprs)) != 0) {
		exit->exit_reason = RMI_EXIT_SYNC;
		exit->esr = ESR_MAKE(EC_DABT_LOW, ESR_ISS_WNR | FSC_TRANSLATION(RTT_PAGE_LEVEL));
		exit->hpfar = HPFAR_FROM_IPA(rec->host_call_ipa);
		exit->far = 0;
		return false;
	}
	rec->regs.gprs[0] = RSI_SUCCESS;
	return true;
}

/*
 * Apply the host's answer to the previous exit. Returns false if the REC
 * must exit again at once (*exit filled) without running.
 */
static bool rec_complete_pending(struct rec *rec, const struct rd *rd,
				 const struct rmi_rec_enter *enter, struct rmi_rec_exit *exit)
{
	/* Fasco: START, an ended container, or the System Realm's result. */
	if (rec->fasco.container && !fasco_rec_resume(rec, exit))
		return false;
	switch (rec->pending) {
	case REC_PENDING_MMIO:
		complete_mmio(rec, enter);
		break;
	case REC_PENDING_HOST_CALL:
		if (!complete_host_call(rec, rd, enter, exit))
			return false;
		break;
	case REC_PENDING_RIPAS:
		rec->regs.gprs[0] = RSI_SUCCESS;
		rec->regs.gprs[1] = rec->ripas_addr;
		rec->regs.gprs[2] =
			(enter->flags & REC_ENTER_FLAG_RIPAS_RESPONSE) ? RSI_REJECT : RSI_ACCEPT;
		break;
	case REC_PENDING_PSCI:
		/* rec_enter_checks made sure PSCI_COMPLETE came. */
		rec->regs.gprs[0] = (uint64_t)rec->psci_status;
		rec->regs.gprs[1] = 0;
		rec->regs.gprs[2] = 0;
		rec->regs.gprs[3] = 0;
		rec->psci_complete = false;
		break;
	case REC_PENDING_NONE:
	default:
		/* SEA for a non-emulatable abort at an unprotected IPA. */
		if ((enter->flags & REC_ENTER_FLAG_INJECT_SEA) &&
		    rec_last_exit_unprotected_dabt(rec, rd))
			plat_pe_inject_sea(rec->pe, &rec->regs);
		break;
	}
	rec->pending = REC_PENDING_NONE;
	rec->last_esr = 0;
	rec->last_far = 0;
	rec->last_hpfar = 0;
	return true;
}

/* ---- REC_ENTER ---------------------------------------------------------- */

/*
 * Checks on a locked REC (and its realm's state, read atomically). Returns
 * an RMI status; on success the REC may be marked running.
 */
static uint64_t rec_enter_checks(struct rec *rec, const struct rmi_rec_enter *enter)
{
	struct granule *g_rd = granule_find(rec->rd_addr);
	const struct rd *rd;
	uint64_t state;

	if (g_rd == NULL)
		return RMI_STATUS(RMI_ERROR_INPUT, 0); /* not reached: a REC pins its RD */
	rd = rd_map(g_rd);
	state = __atomic_load_n(&rd->state, __ATOMIC_ACQUIRE);
	if (state == REALM_NEW)
		return RMI_STATUS(RMI_ERROR_REALM, 0);
	if (state == REALM_SYSTEM_OFF)
		return RMI_STATUS(RMI_ERROR_REALM, 1);
	if (!rec->runnable)
		return RMI_STATUS(RMI_ERROR_REC, 0);
	if (rec->pending == REC_PENDING_PSCI && !rec->psci_complete)
		return RMI_STATUS(RMI_ERROR_REC, 0);
	return rec_check_completion(rec, enter);
}

uint64_t smc_rec_enter(const uint64_t *args, uint64_t *res)
{
	uint64_t rec_addr = args[0], run_addr = args[1];
	struct rmi_rec_enter enter;
	struct rmi_rec_exit exit;
	struct granule *g_rec, *g_rd;
	struct rec *rec;
	struct rd *rd;
	uint64_t ret;
	struct rec_run run;

	(void)res;
	if (ns_buffer_read(run_addr, offsetof(struct rmi_rec_run, enter), &enter, sizeof(enter)) !=
	    0)
		return RMI_STATUS(RMI_ERROR_INPUT, 0);

	g_rec = find_lock_granule(rec_addr, GRANULE_STATE_REC);
	if (g_rec == NULL)
		return RMI_STATUS(RMI_ERROR_INPUT, 0);
	if (granule_refcount_read(g_rec) != 0) {
		granule_unlock(g_rec);
		return RMI_STATUS(RMI_ERROR_REC, 0);
	}
	rec = rec_map(g_rec);
	ret = rec_enter_checks(rec, &enter);
	if (ret != RMI_STATUS(RMI_SUCCESS, 0)) {
		granule_unlock(g_rec);
		return ret;
	}
	if (rec->fasco.container) {
		ret = fasco_rec_enter_prepare(rec);
		if (ret != RMI_STATUS(RMI_SUCCESS, 0)) {
			granule_unlock(g_rec);
			return ret;
		}
		/* It runs: no longer parked by a wait that ran out; may it wait this time? */
		rec->fasco.parked = false;
		rec->fasco.waiting = false;
		rec->fasco.exitless = (enter.flags & REC_ENTER_FLAG_RB_EXITLESS) != 0;
	} else if (rec->pe == NULL) {
		int err = 0;

		rec->pe = plat_pe_create(rec->regs.pc, &err);
		if (rec->pe == NULL) {
			/* TODO(A64 engine): every pc will have code once it lands. */
			lib_log(LOG_WARN, "rmm", "REC_ENTER: no code at pc 0x%llx (%d)",
				(unsigned long long)rec->regs.pc, err);
			granule_unlock(g_rec);
			return RMI_STATUS(RMI_ERROR_REC, 0);
		}
	}

	/* Running: the refcount pins the REC (and through it the realm). */
	granule_refcount_inc(g_rec);
	granule_unlock(g_rec);
	plat_count(PLAT_CNT_REC_ENTER);

	g_rd = granule_find(rec->rd_addr);
	rd = rd_map(g_rd);
	memset(&exit, 0, sizeof(exit));
	if (rec_complete_pending(rec, rd, &enter, &exit)) {
		run.rec = rec;
		run.g_rec = g_rec;
		run.g_rd = g_rd;
		run.rd = rd;
		run.enter = &enter;
		run.exit = &exit;
		rec_run_loop(&run);
	}

	ret = RMI_STATUS(RMI_SUCCESS, 0);
	if (ns_buffer_write(run_addr, offsetof(struct rmi_rec_run, exit), &exit, sizeof(exit)) !=
	    0) {
		/* The host took its run granule away meanwhile: its exit is lost. */
		lib_log(LOG_WARN, "rmm", "REC_ENTER: run granule 0x%llx no longer NS",
			(unsigned long long)run_addr);
		ret = RMI_STATUS(RMI_ERROR_INPUT, 0);
	}
	plat_count(PLAT_CNT_REC_EXIT);
	atomic_granule_put(g_rec);
	return ret;
}
