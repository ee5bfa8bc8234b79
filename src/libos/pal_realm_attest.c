/*
 * The PAL of a System Realm, its attestation part: a Container Realm's
 * token made by the RMM (RSI_RB_ATTEST_INIT / CONTINUE) for a request of
 * the container's own (configfs-tsm) or for the runtime (realmbox attest,
 * PRH_CMD_ATTEST, when the container's measured configuration allows it).
 */
#include "libos/pal_realm_int.h"

#include "arch/fasco.h"
#include "lib/errno.h"
#include "lib/string.h"

/*
 * The Container Realm's token on the channel chan: RSI_RB_ATTEST_INIT and
 * CONTINUE, so the RMM makes it (the realm's RIM and REMs, this challenge);
 * the bytes come through the first granule of the bounce buffer. The token's
 * length, or -EBUSY (the RMM refused INIT: the REC runs), -ENXIO (the
 * channel is not bound), -ENOSPC, -EIO.
 */
long prm_attest_on(uint64_t chan, const uint8_t challenge[64], void *buf, size_t cap)
{
	uint64_t x[11];
	size_t got = 0;

	memset(x, 0, sizeof(x));
	x[0] = SMC_RSI_RB_ATTEST_INIT;
	x[1] = chan;
	memcpy(&x[2], challenge, 64);
	R.st.rsi_calls++;
	R.e.smc(R.e.guest, x);
	if (x[0] != RSI_SUCCESS)
		return x[0] == RSI_ERROR_STATE ? -EBUSY : -ENXIO;
	for (unsigned step = 0; step < 2 + GRANULE_SIZE; step++) {
		if (got >= GRANULE_SIZE)
			return -ENOSPC;
		memset(x, 0, sizeof(x));
		x[0] = SMC_RSI_RB_ATTEST_CONTINUE;
		x[1] = chan;
		x[2] = R.e.bounce_ipa;
		x[3] = got;
		x[4] = GRANULE_SIZE - got;
		R.st.rsi_calls++;
		R.e.smc(R.e.guest, x);
		got += x[1] <= GRANULE_SIZE - got ? x[1] : 0;
		if (x[0] == RSI_SUCCESS) {
			if (got > cap)
				return -ENOSPC;
			memcpy(buf, R.e.bounce, got);
			return (long)got;
		}
		if (x[0] != RSI_INCOMPLETE)
			return -EIO;
	}
	return -EIO;
}

/*
 * PRH_CMD_ATTEST: the token for a challenge from outside (realmbox attest),
 * made on the channel of any REC of the container that is not running (the
 * RMM locks it; a running one answers busy and the next is tried).
 */
int64_t prm_attest_from_outside(uint64_t len)
{
	static uint8_t tok[GRANULE_SIZE];
	uint8_t challenge[64];
	long n = -EBUSY;

	if (!R.started || R.ended)
		return -ESRCH;
	if (!R.attest_allowed)
		return -EPERM; /* the container's owner did not allow it (measured) */
	if (len != sizeof(challenge) || R.e.ns_size < sizeof(tok))
		return -EINVAL;
	memcpy(challenge, R.e.ns, sizeof(challenge));
	/*
	 * A token cut short (-EIO: the RMM ended it between INIT and CONTINUE,
	 * seen once in a loaded CI run) is asked for again, on the next REC,
	 * for at most three rounds over them.
	 */
	for (unsigned round = 0; round < 3 && (n == -EBUSY || n == -EIO); round++) {
		for (unsigned k = 0; k < R.e.nrecs; k++) {
			n = prm_attest_on(R.e.chan_ipa[k], challenge, tok, sizeof(tok));
			if (n != -EBUSY && n != -ENXIO && n != -EIO)
				break;
		}
	}
	if (n < 0)
		return n == -ENXIO ? -EBUSY : n;
	memcpy(R.e.ns, tok, (size_t)n);
	return n;
}

void pal_realm_allow_attest(bool allow)
{
	R.attest_allowed = allow;
}

