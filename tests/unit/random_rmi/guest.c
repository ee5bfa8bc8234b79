/*
 * The native guest the random RMI sequence's RECs run (at GUEST_PC): RSI
 * and PSCI calls, host calls, RIPAS changes, MMIO and protected accesses,
 * and in a System Realm Fasco calls on its channels, so that REC_ENTER,
 * PSCI_COMPLETE and RTT_SET_RIPAS see real exits.
 */
#include <string.h>

#include "arch/rsi.h"
#include "random_rmi.h"

/* ---- The native guest ------------------------------------------------------ */

uint64_t rr_gsmc(struct native_guest *g, uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3,
		 uint64_t a4, struct smc_regs *out)
{
	struct smc_regs r;

	memset(&r, 0, sizeof(r));
	r.x[0] = fid;
	r.x[1] = a1;
	r.x[2] = a2;
	r.x[3] = a3;
	r.x[4] = a4;
	native_guest_smc(g, &r);
	if (out)
		*out = r;
	return r.x[0];
}

/*
 * gprs[0] = buffer IPA | ipa_bits << 56 (also the CPU_ON context),
 * gprs[1] = seed, gprs[2] = RECs the realm may have.
 */
void rr_guest_main(struct native_guest *g, const uint64_t gprs[8])
{
	uint64_t buf = gprs[0] & GENMASK(55, 0);
	unsigned ipa_bits = (unsigned)(gprs[0] >> 56);
	uint64_t s = gprs[1] ^ (buf * 0x9E3779B97F4A7C15ULL) ^ 0x1234567ULL;
	uint64_t unprot = ipa_bits ? 1ULL << (ipa_bits - 1) : (1ULL << 39);
	uint64_t nrec = gprs[2] ? gprs[2] : REC_TARGET;
	uint64_t ctx = gprs[0];
	uint64_t chan_base = gprs[3]; /* a System Realm's channels, if any */
	struct smc_regs out;

	for (;;) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		uint64_t r = s >> 16;

		switch (s % 24) {
		case 0:
			rr_gsmc(g, SMC_RSI_VERSION, RSI_ABI_VERSION, 0, 0, 0, NULL);
			break;
		case 1:
			rr_gsmc(g, SMC_RSI_MEASUREMENT_READ, r % 6, 0, 0, 0, NULL);
			break;
		case 2: {
			struct smc_regs m;
			memset(&m, 0, sizeof(m));
			m.x[0] = SMC_RSI_MEASUREMENT_EXTEND;
			m.x[1] = r % 6;
			m.x[2] = (r >> 8) % 72;
			for (int i = 3; i < SMC_NR_REGS; i++)
				m.x[i] = s * (uint64_t)i;
			native_guest_smc(g, &m);
			break;
		}
		case 3:
			rr_gsmc(g, SMC_RSI_REALM_CONFIG, (r & 1) ? buf : buf + (r % 4096), 0, 0, 0,
				NULL);
			break;
		case 4:
			rr_gsmc(g, SMC_RSI_IPA_STATE_GET, buf, buf + GRANULE_SIZE * (1 + r % 600),
				0, 0, NULL);
			break;
		case 5:
		case 6: {
			/* IPA_STATE_SET: exits RIPAS_CHANGE; the host answers with RTT_SET_RIPAS.
			 */
			uint64_t base = ALIGN_DOWN(buf + GRANULE_SIZE * (r % 8), GRANULE_SIZE);
			uint64_t top = base + GRANULE_SIZE * (1 + (r >> 4) % 16);
			if ((r >> 12) % 32 == 0)
				top = base + RTT_LEVEL_SIZE(2);
			rr_gsmc(g, SMC_RSI_IPA_STATE_SET, base, top,
				(r >> 9) & 1 ? RIPAS_RAM : RIPAS_EMPTY,
				(r >> 10) % 3 == 0 ? RSI_CHANGE_DESTROYED : 0, &out);
			break;
		}
		case 7:
		case 8:
		case 9: {
			/* HOST_CALL from the buffer (needs ASSIGNED RAM there). */
			struct rsi_host_call hc;
			memset(&hc, 0, sizeof(hc));
			hc.imm = (uint16_t)r;
			for (int i = 0; i < RSI_HOST_CALL_NR_GPRS; i++)
				hc.gprs[i] = r + (uint64_t)i;
			native_guest_write(g, buf, &hc, sizeof(hc));
			rr_gsmc(g, SMC_RSI_HOST_CALL, (r % 8) ? buf : buf + 8, 0, 0, 0, NULL);
			break;
		}
		case 10:
		case 11:
			/* MMIO-ish: unprotected loads/stores (exit unless mapped). */
			if (r & 1)
				native_guest_store(
					g, unprot + GRANULE_SIZE * ((r >> 1) % 2048) + 8 * (r % 4),
					s, 1U << ((r >> 20) % 4));
			else
				(void)native_guest_load(g,
							unprot + GRANULE_SIZE * ((r >> 1) % 2048),
							1U << ((r >> 20) % 4));
			break;
		case 12:
			/* Protected memory: the buffer, or elsewhere in the hot span. */
			if (r & 1)
				native_guest_store(g, buf + 8 * (r % 512), s, 8);
			else
				(void)native_guest_load(g, ALIGN_DOWN(r % HOT_SPAN, 8), 8);
			break;
		case 13: {
			uint8_t tmp[64];
			native_guest_read(g, buf + 4096 - 32, tmp,
					  sizeof(tmp)); /* crosses a page */
			break;
		}
		case 14:
		case 15:
			rr_gsmc(g, PSCI_CPU_ON_64, rec_idx_to_mpidr(r % (nrec + (r % 8 == 0))),
				(r >> 8) % 8 ? GUEST_PC : r, ctx, 0, NULL);
			break;
		case 16:
			rr_gsmc(g, PSCI_AFFINITY_INFO_64,
				rec_idx_to_mpidr(r % (nrec + (r % 8 == 0))), (r >> 8) % 5 == 0, 0,
				0, NULL);
			break;
		case 17:
			rr_gsmc(g, PSCI_VERSION, 0, 0, 0, 0, NULL);
			rr_gsmc(g, PSCI_FEATURES, (r & 1) ? PSCI_CPU_ON_64 : r, 0, 0, 0, NULL);
			break;
		case 18:
			if (r % 64 == 0)
				rr_gsmc(g, PSCI_CPU_OFF, 0, 0, 0, 0, NULL);
			else if (r % 64 == 1)
				rr_gsmc(g, (r & 128) ? PSCI_SYSTEM_OFF : PSCI_SYSTEM_RESET, 0, 0, 0,
					0, NULL);
			else
				rr_gsmc(g, PSCI_CPU_SUSPEND_64, 0, 0, 0, 0, NULL);
			break;
		case 19:
			if (chan_base && (r & 3)) {
				/*
				 * A hostile System Realm: Fasco calls on its channels
				 * (and beside them) with half-plausible arguments.
				 */
				uint64_t chan = chan_base + GRANULE_SIZE * ((r >> 2) % 9);
				uint64_t va = 0x400000 + GRANULE_SIZE * ((r >> 6) % 64) +
					      (r % 3 ? 0 : r % 4096);
				uint64_t len = (r >> 12) % 3 ? (r >> 14) % 4097 : rr_rnd();
				struct smc_regs m;
				memset(&m, 0, sizeof(m));
				m.x[0] = SMC64_FID(SMC_RB_RSI_FNUM_MIN + (r >> 20) % 10);
				m.x[1] = chan;
				m.x[2] = (r >> 24) % 2 ? va : (r >> 26) % 2 ? buf : rr_rnd();
				m.x[3] = (r >> 27) % 2 ? buf : GRANULE_SIZE * ((r >> 28) % 64);
				m.x[4] = m.x[0] == SMC_RSI_RB_MAP ? (r >> 30) % 8 : len;
				m.x[5] = (r >> 33) % 2 ? buf : 0;
				native_guest_smc(g, &m);
				break;
			}
			/* Unknown FIDs in and around the RSI range. */
			rr_gsmc(g, SMC64_FID(0x180 + r % 0x60), r, r, r, r, NULL);
			break;
		case 20:
			rr_gsmc(g, SMC_RSI_IPA_STATE_GET, rr_rnd() & ~GRANULE_MASK,
				~0ULL & ~GRANULE_MASK, 0, 0, NULL);
			break;
		default:
			/* A plain host call to keep the host in the loop. */
			rr_gsmc(g, SMC_RSI_HOST_CALL, buf, 0, 0, 0, NULL);
			/* The buffer may be unmapped: make sure we exit anyway. */
			(void)native_guest_load(g, unprot + (1ULL << 30) - GRANULE_SIZE, 4);
			break;
		}
	}
}
