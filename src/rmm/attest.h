/*
 * RSI_ATTESTATION_TOKEN_INIT / _CONTINUE (cca-spec §4, §6): the realm
 * token, signed with the RAK the monitor provides, wrapped with the
 * platform token in the CCA token collection. State lives per REC in its
 * aux granules (zeroed by REC_CREATE, scrubbed by REC_DESTROY), as in
 * TF-RMM; docs/attestation.md describes the format and the steps.
 */
#ifndef RMM_ATTEST_H
#define RMM_ATTEST_H

#include "arch/arch.h"
#include "arch/rmi.h"
#include "rmm/granule.h"
#include "rmm/rec.h"
#include "rmm/rsi_handlers.h"

/* Upper bound of a token's size, as INIT reports it. */
#define ATTEST_TOKEN_MAX GRANULE_SIZE

/* Per-REC state (REC aux granule ATTEST_AUX_STATE). */
enum attest_state {
	ATTEST_IDLE = 0,   /* no token requested (or the last one delivered) */
	ATTEST_CLAIMS = 1, /* INIT done: next step gathers keys and claims */
	ATTEST_SIGN = 2,   /* next step signs and assembles the collection */
	ATTEST_COPY = 3,   /* the token is being copied out */
};

/*
 * RSI handlers (rsi.c's table), results in the REC's registers. g_rd is
 * the realm's RD, not locked.
 * INIT: X1..X8 challenge -> X1 = ATTEST_TOKEN_MAX; restarts any token in
 * progress. CONTINUE: X1 = buffer IPA (granule aligned, protected,
 * ASSIGNED RAM), X2 = offset in it, X3 = size (offset + size within the
 * granule, size > 0) -> X1 = bytes written there.
 */
enum rsi_action handle_rsi_attest_token_init(struct rec *rec, struct granule *g_rd,
					     struct rmi_rec_exit *exit);
enum rsi_action handle_rsi_attest_token_continue(struct rec *rec, struct granule *g_rd,
						 struct rmi_rec_exit *exit);

#endif /* RMM_ATTEST_H */
