/*
 * RSI (realm -> RMM) handling, called by REC_ENTER's run loop when the
 * realm executes SMC. Handlers validate every realm-supplied argument and
 * make the RSI status at their edge.
 */
#ifndef RMM_RSI_HANDLERS_H
#define RMM_RSI_HANDLERS_H

#include "arch/arch.h"
#include "arch/rmi.h"
#include "rmm/granule.h"
#include "rmm/rec.h"

/* What the run loop does after an RSI/PSCI call. */
enum rsi_action {
	RSI_ACTION_RESUME, /* results in rec->regs; run the realm again */
	RSI_ACTION_EXIT,   /* exit to the host; *exit filled */
};

/*
 * Handle the SMC the realm just made (FID in rec->regs.gprs[0]). g_rd is
 * the realm's RD granule (not locked: a running REC pins the realm).
 */
enum rsi_action rsi_handle(struct rec *rec, struct granule *g_rd, struct rmi_rec_exit *exit);

/*
 * PSCI from a realm (psci.c), called by rsi_handle for a FID that is not an
 * RSI call. Returns false if rec->regs.gprs[0] is not a PSCI function the
 * RMM implements (nothing changed); else true with *action set: results in
 * rec->regs (RESUME), or *exit filled with RMI_EXIT_PSCI (EXIT).
 */
bool psci_handle(struct rec *rec, struct granule *g_rd, struct rmi_rec_exit *exit,
		 enum rsi_action *action);

#endif /* RMM_RSI_HANDLERS_H */
