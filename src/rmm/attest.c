/*
 * The realm token and the CCA token collection (attest.h).
 *
 * Work per RSI_ATTESTATION_TOKEN_CONTINUE is bounded by splitting the
 * token into steps, one per call:
 *   1. CLAIMS: the RAK from EL3 (ATTEST_GET_REALM_KEY), its public key
 *      (one P-384 scalar multiplication) as a COSE_Key, the platform token
 *      from EL3 (GET_PLAT_TOKEN, challenge = SHA-256 of that COSE_Key), the
 *      realm claims and the hash of the COSE Sig_structure;
 *   2. SIGN: one ECDSA P-384 signature, then the collection is assembled;
 *   3. COPY: at most `size` bytes (within one realm granule) per call.
 * Steps 1 and 2 answer RSI_INCOMPLETE with nothing written; the copy
 * answers RSI_INCOMPLETE while bytes remain and RSI_SUCCESS with the last
 * ones. TF-RMM v1.0 splits the signature itself with mbedTLS's restartable
 * ECP (MBEDTLS_ECP_RESTARTABLE, not built into Debian's libmbedcrypto), so
 * here the bound is one signature per call.
 *
 * REC aux granules used (the REC is running, so no one else maps them):
 *   0 state, 1 the RAK from EL3 (zeroed after each use), 2 the platform
 *   token from EL3, 3 realm claims, 4 the collection.
 */
#include "rmm/attest.h"

#include "arch/rsi.h"
#include "arch/smc.h"
#include "lib/cbor.h"
#include "lib/cose.h"
#include "lib/errno.h"
#include "lib/assert.h"
#include "lib/hash.h"
#include "lib/string.h"
#include "plat/plat.h"
#include "rmm/realm.h"
#include "rmm/rtt.h"

#define ATTEST_AUX_STATE 0
#define ATTEST_AUX_KEY 1
#define ATTEST_AUX_PLAT 2
#define ATTEST_AUX_CLAIMS 3
#define ATTEST_AUX_TOKEN 4
COMPILER_ASSERT(ATTEST_AUX_TOKEN < RMI_REC_AUX_COUNT, "attestation aux granules");

#define ATTEST_CHALLENGE_SIZE 64
#define ATTEST_RAK_SIZE COSE_P384_SCALAR_SIZE
#define ATTEST_KEY_HASH_SIZE 32 /* SHA-256: the RAK hash algo claim */
#define ATTEST_COSE_KEY_SIZE 107
#define REALM_PROFILE "tag:arm.com,2023:realm#1.0.0"

/* Realm claim keys and the collection's (cca-spec §6). */
#define CLAIM_CHALLENGE 10
#define CLAIM_PROFILE 265
#define CLAIM_RPV 44235
#define CLAIM_REALM_HASH_ALGO 44236
#define CLAIM_RAK_PUB 44237
#define CLAIM_RIM 44238
#define CLAIM_REMS 44239
#define CLAIM_RAK_HASH_ALGO 44240
#define COLLECTION_TAG 399
#define COLLECTION_PLATFORM 44234
#define COLLECTION_REALM 44241

struct attest_rec_state {
	uint64_t state; /* enum attest_state */
	uint8_t challenge[ATTEST_CHALLENGE_SIZE];
	uint8_t tbs_hash[COSE_SHA384_SIZE];
	uint64_t plat_len;   /* platform token in its granule */
	uint64_t claims_len; /* realm claims in the claims granule */
	uint64_t token_len;  /* collection in the token granule */
	uint64_t copied;     /* bytes of it handed out */
};
COMPILER_ASSERT(sizeof(struct attest_rec_state) <= GRANULE_SIZE, "attest state fits");

static void *aux_map(struct rec *rec, unsigned idx)
{
	struct granule *g = granule_find(rec->aux[idx]);

	/* REC_CREATE checked and transitioned every aux granule. */
	return granule_map(g);
}

static struct attest_rec_state *state_of(struct rec *rec)
{
	return aux_map(rec, ATTEST_AUX_STATE);
}

/* Realm claims of the RD (its measurements copied under the RD lock). */
static int encode_realm_claims(struct granule *g_rd, const struct attest_rec_state *st,
			       const uint8_t cose_key[ATTEST_COSE_KEY_SIZE], uint8_t *out,
			       size_t cap, size_t *len)
{
	uint8_t meas[MEASUREMENT_SLOT_NR][MAX_MEASUREMENT_SIZE];
	uint8_t rpv[RMI_REALM_PARAMS_RPV_SIZE];
	enum hash_algo algo;
	struct cbor_enc e;
	size_t hlen;
	struct rd *rd;

	granule_lock(g_rd);
	rd = rd_map(g_rd);
	memcpy(meas, rd->measurement, sizeof(meas));
	memcpy(rpv, rd->rpv, sizeof(rpv));
	algo = rd->algo;
	granule_unlock(g_rd);
	hlen = hash_size(algo);

	cbor_enc_init(&e, out, cap);
	cbor_put_map(&e, 8);
	cbor_put_uint(&e, CLAIM_CHALLENGE);
	cbor_put_bstr(&e, st->challenge, sizeof(st->challenge));
	cbor_put_uint(&e, CLAIM_PROFILE);
	cbor_put_tstr(&e, REALM_PROFILE);
	cbor_put_uint(&e, CLAIM_RPV);
	cbor_put_bstr(&e, rpv, sizeof(rpv));
	cbor_put_uint(&e, CLAIM_REALM_HASH_ALGO);
	cbor_put_tstr(&e, algo == HASH_SHA512 ? "sha-512" : "sha-256");
	cbor_put_uint(&e, CLAIM_RAK_PUB);
	cbor_put_bstr(&e, cose_key, ATTEST_COSE_KEY_SIZE);
	cbor_put_uint(&e, CLAIM_RAK_HASH_ALGO);
	cbor_put_tstr(&e, "sha-256");
	cbor_put_uint(&e, CLAIM_RIM);
	cbor_put_bstr(&e, meas[MEASUREMENT_RIM_INDEX], hlen);
	cbor_put_uint(&e, CLAIM_REMS);
	cbor_put_array(&e, MEASUREMENT_SLOT_NR - 1);
	for (unsigned i = 1; i < MEASUREMENT_SLOT_NR; i++)
		cbor_put_bstr(&e, meas[i], hlen);
	return cbor_enc_finish(&e, len);
}

/* ATTEST_GET_REALM_KEY into the key granule; the key is moved to rak. */
static int fetch_rak(struct rec *rec, uint8_t rak[ATTEST_RAK_SIZE])
{
	uint8_t *buf = aux_map(rec, ATTEST_AUX_KEY);
	struct smc_regs r = {.x = {SMC_RMM_ATTEST_GET_REALM_KEY, rec->aux[ATTEST_AUX_KEY],
				   GRANULE_SIZE, 0 /* P-384 */}};

	plat_smc(PAS_REALM, &r);
	if (r.x[0] != E_RMM_OK || r.x[1] != ATTEST_RAK_SIZE) {
		memset(buf, 0, GRANULE_SIZE);
		return -EIO;
	}
	memcpy(rak, buf, ATTEST_RAK_SIZE);
	memset(buf, 0, ATTEST_RAK_SIZE);
	return 0;
}

/* Step 1 (see the file comment). */
static int step_claims(struct rec *rec, struct granule *g_rd, struct attest_rec_state *st)
{
	uint8_t rak[ATTEST_RAK_SIZE], cose_key[ATTEST_COSE_KEY_SIZE];
	uint8_t *plat = aux_map(rec, ATTEST_AUX_PLAT);
	struct cose_p384_pub pub;
	struct cbor_enc e;
	struct smc_regs r;
	size_t n;
	int ret;

	ret = fetch_rak(rec, rak);
	if (ret)
		return ret;
	ret = cose_p384_public(rak, &pub);
	memset(rak, 0, sizeof(rak));
	if (ret)
		return ret;
	cbor_enc_init(&e, cose_key, sizeof(cose_key));
	cose_put_p384_key(&e, &pub);
	if (cbor_enc_finish(&e, &n) || n != sizeof(cose_key))
		return -EINVAL;

	/* Platform token bound to this RAK: challenge = SHA-256(COSE_Key). */
	(void)hash_buf(HASH_SHA256, cose_key, sizeof(cose_key), plat);
	r = (struct smc_regs){.x = {SMC_RMM_GET_PLAT_TOKEN, rec->aux[ATTEST_AUX_PLAT], GRANULE_SIZE,
				    ATTEST_KEY_HASH_SIZE}};
	plat_smc(PAS_REALM, &r);
	if (r.x[0] != E_RMM_OK || r.x[1] == 0 || r.x[1] > GRANULE_SIZE)
		return -EIO;
	st->plat_len = r.x[1];

	ret = encode_realm_claims(g_rd, st, cose_key, aux_map(rec, ATTEST_AUX_CLAIMS), GRANULE_SIZE,
				  &n);
	if (ret)
		return ret;
	st->claims_len = n;
	cose_sign1_tbs_hash(aux_map(rec, ATTEST_AUX_CLAIMS), n, st->tbs_hash);
	return 0;
}

/* Step 2: sign, then the collection {44234: platform, 44241: realm}. */
static int step_sign(struct rec *rec, struct granule *g_rd, struct attest_rec_state *st)
{
	uint8_t rak[ATTEST_RAK_SIZE], sig[COSE_ES384_SIG_SIZE];
	const uint8_t *claims = aux_map(rec, ATTEST_AUX_CLAIMS);
	struct cbor_enc realm, e;
	size_t realm_len, n;
	int ret;

	ret = fetch_rak(rec, rak);
	if (ret)
		return ret;
	ret = cose_es384_sign(rak, st->tbs_hash, sig);
	memset(rak, 0, sizeof(rak));
	if (ret)
		return ret;

	/* Measure the realm COSE_Sign1 first: it is wrapped in a bstr. */
	cbor_enc_init(&realm, NULL, 0);
	cose_put_sign1(&realm, claims, st->claims_len, sig);
	realm_len = realm.len;

	cbor_enc_init(&e, aux_map(rec, ATTEST_AUX_TOKEN), ATTEST_TOKEN_MAX);
	cbor_put_tag(&e, COLLECTION_TAG);
	cbor_put_map(&e, 2);
	cbor_put_uint(&e, COLLECTION_PLATFORM);
	cbor_put_bstr(&e, aux_map(rec, ATTEST_AUX_PLAT), st->plat_len);
	cbor_put_uint(&e, COLLECTION_REALM);
	cbor_put_head(&e, CBOR_MT_BSTR, realm_len);
	cose_put_sign1(&e, claims, st->claims_len, sig);
	ret = cbor_enc_finish(&e, &n);
	if (ret)
		return ret;
	st->token_len = n;
	st->copied = 0;
	return 0;
}

/* The work steps, by the state they start from; each moves to the next state. */
typedef int (*attest_step_fn)(struct rec *rec, struct granule *g_rd, struct attest_rec_state *st);
static const attest_step_fn attest_steps[] = {
	[ATTEST_CLAIMS] = step_claims,
	[ATTEST_SIGN] = step_sign,
};

void attest_token_start(struct rec *rec, const uint64_t challenge[ATTEST_CHALLENGE_SIZE / 8])
{
	struct attest_rec_state *st = state_of(rec);

	/* Any token in progress is abandoned: a new challenge starts over. */
	memset(st, 0, sizeof(*st));
	for (unsigned i = 0; i < ATTEST_CHALLENGE_SIZE / 8; i++)
		memcpy(st->challenge + 8 * i, &challenge[i], 8);
	st->state = ATTEST_CLAIMS;
}

/* INIT's status (the handler puts it in X0). */
static uint64_t token_init(struct rec *rec)
{
	uint64_t *x = rec->regs.gprs;

	attest_token_start(rec, &x[1]);
	x[1] = ATTEST_TOKEN_MAX;
	return RSI_SUCCESS;
}

/* CONTINUE's status. */
static uint64_t token_continue(struct rec *rec, struct granule *g_rd)
{
	uint64_t *x = rec->regs.gprs;
	uint64_t ipa = x[1], offset = x[2], size = x[3];

	return attest_token_continue(rec, g_rd, rd_map(g_rd), ipa, offset, size, &x[1]);
}

uint64_t attest_token_continue(struct rec *rec, struct granule *g_rd, const struct rd *rd,
			       uint64_t ipa, uint64_t offset, uint64_t size, uint64_t *written)
{
	struct attest_rec_state *st = state_of(rec);
	uint64_t ripas, n;
	bool assigned;
	int ret;

	*written = 0;
	if (!IS_ALIGNED(ipa, GRANULE_SIZE) || !addr_in_par(rd, ipa) || offset >= GRANULE_SIZE ||
	    size == 0 || size > GRANULE_SIZE - offset)
		return RSI_ERROR_INPUT;
	if (rtt_ipa_state(rd, ipa, &ripas, &assigned) != 0 || !assigned)
		return RSI_ERROR_INPUT;
	if (st->state == ATTEST_IDLE)
		return RSI_ERROR_STATE;

	if (st->state < ARRAY_SIZE(attest_steps) && attest_steps[st->state]) {
		ret = attest_steps[st->state](rec, g_rd, st);
		if (ret) {
			/* No attestation service (EL3 unprovisioned) or an internal failure. */
			memset(st, 0, sizeof(*st));
			return RSI_ERROR_STATE;
		}
		st->state++;
		return RSI_INCOMPLETE;
	}

	/* RMM memory, written only here: the one state left is COPY. */
	ASSERT(st->state == ATTEST_COPY && st->copied < st->token_len);
	n = st->token_len - st->copied;
	if (n > size)
		n = size;
	if (realm_ipa_write(rd, ipa + offset,
			    (const uint8_t *)aux_map(rec, ATTEST_AUX_TOKEN) + st->copied,
			    (size_t)n) != 0)
		return RSI_ERROR_INPUT; /* unmapped meanwhile: nothing changed */
	st->copied += n;
	*written = n;
	if (st->copied < st->token_len)
		return RSI_INCOMPLETE;
	memset(st, 0, sizeof(*st));
	return RSI_SUCCESS;
}

enum rsi_action handle_rsi_attest_token_init(struct rec *rec, struct granule *g_rd,
					     struct rmi_rec_exit *exit)
{
	rec->regs.gprs[0] = token_init(rec);
	return RSI_ACTION_RESUME;
}

enum rsi_action handle_rsi_attest_token_continue(struct rec *rec, struct granule *g_rd,
						 struct rmi_rec_exit *exit)
{
	rec->regs.gprs[0] = token_continue(rec, g_rd);
	return RSI_ACTION_RESUME;
}
