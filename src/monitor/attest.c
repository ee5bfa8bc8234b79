/*
 * The monitor's attestation service (attest.h): platform token claims,
 * signing with the platform key, and the two EL3 calls. State: the
 * provisioned keys and claims and the last token (the RMM asks with the
 * same challenge, the hash of the RAK's COSE_Key, every time), under one
 * lock.
 */
#include "monitor/attest.h"

#include "lib/cbor.h"
#include "lib/cose.h"
#include "lib/errno.h"
#include "lib/hash.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "plat/plat.h"

#define PLAT_TOKEN_MAX 2048
#define PLAT_CHALLENGE_MAX 64
#define PLAT_PROFILE "tag:arm.com,2023:cca_platform#1.0.0"
#define PLAT_VERIFICATION_SERVICE "urn:realmbox:verify"

/* Platform claim keys (cca-spec §6). */
#define CLAIM_PROFILE 265
#define CLAIM_CHALLENGE 10
#define CLAIM_IMPL_ID 2396
#define CLAIM_INSTANCE_ID 256
#define CLAIM_CONFIG 2401
#define CLAIM_LIFECYCLE 2395
#define CLAIM_HASH_ALGO 2402
#define CLAIM_VSV 2400
#define CLAIM_SW_COMPONENTS 2399
#define SW_TYPE 1
#define SW_MEASUREMENT 2
#define SW_VERSION 4
#define SW_SIGNER_ID 5
#define SW_HASH_ALGO 6

#define INSTANCE_ID_SIZE 33 /* UEID type RAND (0x01) + SHA-256 of the public key */

static spinlock_t att_lock = SPINLOCK_INIT;
static bool att_provisioned;
static struct monitor_attest_config att_cfg;
static uint8_t att_instance_id[INSTANCE_ID_SIZE];
/* Cache: the token for the last challenge. */
static uint8_t att_token[PLAT_TOKEN_MAX];
static size_t att_token_len;
static uint8_t att_challenge[PLAT_CHALLENGE_MAX];
static size_t att_challenge_len;

static bool str_terminated(const char *s, size_t cap)
{
	for (size_t i = 0; i < cap; i++) {
		if (s[i] == '\0')
			return true;
	}
	return false;
}

int monitor_attest_provision(const struct monitor_attest_config *cfg)
{
	struct cose_p384_pub pub, rak_pub;
	uint8_t point[1 + 2 * COSE_P384_COORD_SIZE];
	int ret;

	if (!cfg || cfg->nsw > MONITOR_ATTEST_MAX_SW)
		return -EINVAL;
	for (unsigned i = 0; i < cfg->nsw; i++) {
		if (!str_terminated(cfg->sw[i].type, sizeof(cfg->sw[i].type)) ||
		    !str_terminated(cfg->sw[i].version, sizeof(cfg->sw[i].version)))
			return -EINVAL;
	}
	ret = cose_p384_public(cfg->platform_key, &pub);
	if (!ret)
		ret = cose_p384_public(cfg->realm_key, &rak_pub);
	if (ret)
		return ret;

	/* Instance ID: 0x01 || SHA-256(uncompressed platform public key). */
	point[0] = 0x04;
	memcpy(point + 1, pub.x, sizeof(pub.x));
	memcpy(point + 1 + sizeof(pub.x), pub.y, sizeof(pub.y));

	spinlock_acquire(&att_lock);
	att_cfg = *cfg;
	att_instance_id[0] = 0x01;
	(void)hash_buf(HASH_SHA256, point, sizeof(point), att_instance_id + 1);
	att_token_len = 0;
	att_challenge_len = 0;
	att_provisioned = true;
	spinlock_release(&att_lock);
	return 0;
}

void monitor_attest_forget(void)
{
	spinlock_acquire(&att_lock);
	memset(&att_cfg, 0, sizeof(att_cfg));
	memset(att_instance_id, 0, sizeof(att_instance_id));
	att_token_len = 0;
	att_challenge_len = 0;
	att_provisioned = false;
	spinlock_release(&att_lock);
}

/* Platform claims for challenge (att_lock held). */
static void put_plat_claims(struct cbor_enc *e, const uint8_t *challenge, size_t clen)
{
	uint8_t config[8];

	for (unsigned i = 0; i < sizeof(config); i++)
		config[i] = (uint8_t)(att_cfg.config >> (8 * i));
	cbor_put_map(e, 9);
	cbor_put_uint(e, CLAIM_PROFILE);
	cbor_put_tstr(e, PLAT_PROFILE);
	cbor_put_uint(e, CLAIM_CHALLENGE);
	cbor_put_bstr(e, challenge, clen);
	cbor_put_uint(e, CLAIM_IMPL_ID);
	cbor_put_bstr(e, att_cfg.impl_id, sizeof(att_cfg.impl_id));
	cbor_put_uint(e, CLAIM_INSTANCE_ID);
	cbor_put_bstr(e, att_instance_id, sizeof(att_instance_id));
	cbor_put_uint(e, CLAIM_CONFIG);
	cbor_put_bstr(e, config, sizeof(config));
	cbor_put_uint(e, CLAIM_LIFECYCLE);
	cbor_put_uint(e, MONITOR_ATTEST_LIFECYCLE_SECURED);
	cbor_put_uint(e, CLAIM_HASH_ALGO);
	cbor_put_tstr(e, "sha-256");
	cbor_put_uint(e, CLAIM_VSV);
	cbor_put_tstr(e, PLAT_VERIFICATION_SERVICE);
	cbor_put_uint(e, CLAIM_SW_COMPONENTS);
	cbor_put_array(e, att_cfg.nsw);
	for (unsigned i = 0; i < att_cfg.nsw; i++) {
		const struct monitor_attest_sw *sw = &att_cfg.sw[i];

		cbor_put_map(e, 5);
		cbor_put_uint(e, SW_TYPE);
		cbor_put_tstr(e, sw->type);
		cbor_put_uint(e, SW_MEASUREMENT);
		cbor_put_bstr(e, sw->measurement, sizeof(sw->measurement));
		cbor_put_uint(e, SW_VERSION);
		cbor_put_tstr(e, sw->version);
		cbor_put_uint(e, SW_SIGNER_ID);
		cbor_put_bstr(e, sw->signer_id, sizeof(sw->signer_id));
		cbor_put_uint(e, SW_HASH_ALGO);
		cbor_put_tstr(e, "sha-256");
	}
}

/* Build (or reuse) the token for challenge into att_token (att_lock held). */
static int plat_token_build(const uint8_t *challenge, size_t clen)
{
	static uint8_t payload[PLAT_TOKEN_MAX - 256]; /* under att_lock; off the EL3 stack */
	uint8_t hash[COSE_SHA384_SIZE], sig[COSE_ES384_SIG_SIZE];
	struct cbor_enc e;
	size_t plen, tlen;
	int ret;

	if (att_token_len && att_challenge_len == clen &&
	    memcmp(att_challenge, challenge, clen) == 0)
		return 0;
	att_token_len = 0;
	cbor_enc_init(&e, payload, sizeof(payload));
	put_plat_claims(&e, challenge, clen);
	ret = cbor_enc_finish(&e, &plen);
	if (ret)
		return ret;
	cose_sign1_tbs_hash(payload, plen, hash);
	ret = cose_es384_sign(att_cfg.platform_key, hash, sig);
	if (ret)
		return ret;
	cbor_enc_init(&e, att_token, sizeof(att_token));
	cose_put_sign1(&e, payload, plen, sig);
	ret = cbor_enc_finish(&e, &tlen);
	if (ret)
		return ret;
	memcpy(att_challenge, challenge, clen);
	att_challenge_len = clen;
	att_token_len = tlen;
	return 0;
}

/*
 * Checks both calls share: without keys the service does not exist (its
 * calls are unknown, whatever the arguments); the RMM's buffer is granule
 * aligned, within one granule, in DRAM. E_RMM_OK or the status.
 */
static int64_t el3_precheck(uint64_t pa, uint64_t size)
{
	bool provisioned;

	spinlock_acquire(&att_lock);
	provisioned = att_provisioned;
	spinlock_release(&att_lock);
	if (!provisioned)
		return E_RMM_UNK;
	if (!IS_ALIGNED(pa, GRANULE_SIZE) || size > GRANULE_SIZE ||
	    !plat_pa_in_dram(pa, GRANULE_SIZE))
		return E_RMM_BAD_ADDR;
	return E_RMM_OK;
}

void monitor_smc_attest_get_realm_key(struct smc_regs *regs)
{
	uint64_t pa = regs->x[1], size = regs->x[2], curve = regs->x[3];
	struct plat_fault f;
	int64_t status = el3_precheck(pa, size);

	if (status != E_RMM_OK) {
		regs->x[0] = (uint64_t)status;
		return;
	}
	if (curve != MONITOR_ATTEST_CURVE_P384) {
		regs->x[0] = (uint64_t)E_RMM_INVAL;
		return;
	}
	if (size < MONITOR_ATTEST_KEY_SIZE) {
		regs->x[0] = (uint64_t)E_RMM_NOMEM;
		return;
	}
	spinlock_acquire(&att_lock);
	if (!att_provisioned)
		status = E_RMM_UNK;
	else if (plat_write(PAS_REALM, pa, att_cfg.realm_key, MONITOR_ATTEST_KEY_SIZE, &f))
		status = E_RMM_BAD_PAS; /* the GPC refused: not Realm memory */
	spinlock_release(&att_lock);
	regs->x[0] = (uint64_t)status;
	regs->x[1] = status == E_RMM_OK ? MONITOR_ATTEST_KEY_SIZE : 0;
}

void monitor_smc_attest_get_plat_token(struct smc_regs *regs)
{
	uint64_t pa = regs->x[1], size = regs->x[2], clen = regs->x[3];
	uint8_t challenge[PLAT_CHALLENGE_MAX];
	struct plat_fault f;
	int64_t status = el3_precheck(pa, size);
	uint64_t len = 0;

	if (status != E_RMM_OK) {
		regs->x[0] = (uint64_t)status;
		return;
	}
	if ((clen != 32 && clen != 48 && clen != 64) || clen > size) {
		regs->x[0] = (uint64_t)E_RMM_INVAL;
		return;
	}
	if (plat_read(PAS_REALM, pa, challenge, (size_t)clen, &f)) {
		regs->x[0] = (uint64_t)E_RMM_BAD_PAS;
		return;
	}
	spinlock_acquire(&att_lock);
	if (!att_provisioned) {
		status = E_RMM_UNK;
	} else if (plat_token_build(challenge, (size_t)clen)) {
		status = E_RMM_NOMEM;
	} else if (att_token_len > size) {
		status = E_RMM_NOMEM;
	} else if (plat_write(PAS_REALM, pa, att_token, att_token_len, &f)) {
		status = E_RMM_BAD_PAS;
	} else {
		len = att_token_len;
	}
	spinlock_release(&att_lock);
	regs->x[0] = (uint64_t)status;
	regs->x[1] = len;
}
