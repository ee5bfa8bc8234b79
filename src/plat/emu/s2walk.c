/*
 * The stage-2 translation walker of the emulated PE: walks the RMM's
 * architectural stage-2 tables (arch/s2tt.h, 4 KiB granule) for one IPA,
 * checks the access flag and S2AP, and GPC-checks every table read (Realm
 * PAS) and the output address (NS PAS if the leaf sets S2TT_NS, else
 * Realm), reporting a refusal as the stage-2 data abort the hardware gives.
 */
#include "arch/esr.h"
#include "arch/rmi.h"
#include "arch/s2tt.h"
#include "plat/emu/emu.h"

#include <errno.h>

/* FSC of a synchronous external abort on a translation table walk. */
#define FSC_SEA_PTW(level) (0x14 + (level))

static int s2_abort(struct plat_exception *exc, uint64_t ipa, bool write, unsigned fsc)
{
	if (exc != NULL) {
		exc->esr = ESR_MAKE(EC_DABT_LOW, fsc | (write ? ESR_ISS_WNR : 0));
		exc->far = ipa;
		exc->hpfar = HPFAR_FROM_IPA(ipa);
	}
	return -EFAULT;
}

/* FSC for a GPC refusal of a table read at `level`. */
static unsigned ptw_fsc(const struct plat_fault *f, int level)
{
	return f->kind == PLAT_FAULT_EXTERNAL ? FSC_SEA_PTW(level) : FSC_GPF_PTW(level);
}

int plat_s2_translate(const struct plat_s2_config *s2, uint64_t ipa, bool write, uint64_t *pa,
		      enum pas *out_pas, struct plat_exception *exc)
{
	int level;
	uint64_t table, idx, nentries, desc, out;
	enum pas pas;
	struct plat_fault f;

	if (s2 == NULL || s2->rtt_level_start < RTT_MIN_LEVEL ||
	    s2->rtt_level_start > RTT_MAX_LEVEL || s2->rtt_num_start < 1 ||
	    s2->rtt_num_start > RTT_MAX_ROOT_RTTS)
		return s2_abort(exc, ipa, write, FSC_TRANSLATION(0));
	if (s2->ipa_bits < 64 && (ipa >> s2->ipa_bits) != 0)
		return s2_abort(exc, ipa, write, FSC_TRANSLATION(0));

	level = s2->rtt_level_start;
	table = s2->rtt_base;
	nentries = (uint64_t)RTT_ENTRIES * s2->rtt_num_start;
	idx = ipa >> RTT_LEVEL_SHIFT(level);
	if (idx >= nentries)
		return s2_abort(exc, ipa, write, FSC_TRANSLATION(level));

	for (;;) {
		if (plat_read_u64(PAS_REALM, table + idx * 8, &desc, &f) != 0)
			return s2_abort(exc, ipa, write, ptw_fsc(&f, level));
		if ((desc & S2TT_DESC_VALID) == 0)
			return s2_abort(exc, ipa, write, FSC_TRANSLATION(level));
		if (level < RTT_MAX_LEVEL && (desc & S2TT_DESC_TYPE_MASK) == S2TT_DESC_TABLE_TYPE) {
			table = desc & S2TT_OA_MASK;
			level++;
			idx = (ipa >> RTT_LEVEL_SHIFT(level)) & (RTT_ENTRIES - 1);
			continue;
		}
		/* A leaf: a block at levels 1-2, a page at level 3. */
		if (level == 0 ||
		    (level == RTT_MAX_LEVEL && (desc & S2TT_DESC_TYPE_MASK) != S2TT_DESC_PAGE))
			return s2_abort(exc, ipa, write, FSC_TRANSLATION(level));
		break;
	}

	if ((desc & S2TT_AF) == 0)
		return s2_abort(exc, ipa, write, FSC_ACCESS_FLAG(level));
	if ((desc & (write ? S2TT_S2AP_WO : S2TT_S2AP_RO)) == 0)
		return s2_abort(exc, ipa, write, FSC_PERMISSION(level));

	out = (desc & S2TT_OA_MASK & ~(RTT_LEVEL_SIZE(level) - 1)) |
	      (ipa & (RTT_LEVEL_SIZE(level) - 1));
	pas = (desc & S2TT_NS) != 0 ? PAS_NS : PAS_REALM;
	if (plat_gpc_check(pas, out, &f) != 0)
		return s2_abort(exc, ipa, write,
				f.kind == PLAT_FAULT_EXTERNAL ? FSC_SYNC_EXTERNAL : FSC_GPF);
	if (pa != NULL)
		*pa = out;
	if (out_pas != NULL)
		*out_pas = pas;
	return 0;
}
