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

/*
 * The token machinery for a caller other than the REC itself (Fasco:
 * fasco_rsi.c's RB_ATTEST_*, the System Realm asking for a Container
 * Realm's token). rec holds the state (its aux granules; it must not be
 * running: its lock held or it is the caller) and is a REC of the realm
 * g_rd (not locked: its claims are copied under its lock).
 * attest_token_start: INIT with the 64-byte challenge (8 words, as X1..X8).
 * attest_token_continue: one CONTINUE step writing into the realm rd's
 * buffer at ipa + offset (checked as CONTINUE checks it); returns the RSI
 * status with *written = bytes written.
 */
struct rd;
void attest_token_start(struct rec *rec, const uint64_t challenge[8]);
uint64_t attest_token_continue(struct rec *rec, struct granule *g_rd, const struct rd *rd,
			       uint64_t ipa, uint64_t offset, uint64_t size, uint64_t *written);

#endif /* RMM_ATTEST_H */
