/*
 * The RMM's encoding of stage-2 entries (see s2tte.h for the format):
 * constructors, decoding by IPA half, and the split/fold rules that
 * RTT_CREATE and RTT_FOLD apply.
 */
#include "rmm/s2tte.h"

#include "lib/assert.h"

static uint64_t leaf_type(long level)
{
	return level == RTT_PAGE_LEVEL ? S2TT_DESC_PAGE : S2TT_DESC_BLOCK;
}

static uint64_t level_oa(uint64_t s2tte, long level)
{
	return s2tte & S2TT_OA_MASK & ~(RTT_LEVEL_SIZE(level) - 1);
}

uint64_t s2tte_create_unassigned(uint64_t ripas)
{
	ASSERT(ripas <= RIPAS_DESTROYED);
	return (S2TTE_HIPAS_UNASSIGNED << S2TTE_HIPAS_SHIFT) | (ripas << S2TTE_RIPAS_SHIFT);
}

uint64_t s2tte_create_unassigned_ns(void)
{
	return S2TTE_HIPAS_UNASSIGNED_NS << S2TTE_HIPAS_SHIFT;
}

uint64_t s2tte_create_assigned(uint64_t pa, long level, uint64_t ripas)
{
	ASSERT(level >= RTT_MIN_BLOCK_LEVEL && level <= RTT_PAGE_LEVEL);
	ASSERT(IS_ALIGNED(pa, RTT_LEVEL_SIZE(level)) && (pa & ~S2TT_OA_MASK) == 0);
	ASSERT(ripas <= RIPAS_DESTROYED);
	if (ripas == RIPAS_RAM)
		return pa | S2TTE_ATTR_RAM | leaf_type(level);
	return pa | (S2TTE_HIPAS_ASSIGNED << S2TTE_HIPAS_SHIFT) | (ripas << S2TTE_RIPAS_SHIFT);
}

uint64_t s2tte_create_assigned_ns(uint64_t host_desc, long level)
{
	ASSERT(level >= RTT_MIN_BLOCK_LEVEL && level <= RTT_PAGE_LEVEL);
	ASSERT(s2tte_ns_host_desc_is_valid(host_desc, level));
	return host_desc | S2TTE_ATTR_NS | leaf_type(level);
}

uint64_t s2tte_create_table(uint64_t pa)
{
	ASSERT(IS_ALIGNED(pa, GRANULE_SIZE) && (pa & ~S2TT_OA_MASK) == 0);
	return pa | S2TT_DESC_TABLE_TYPE;
}

bool s2tte_is_table(uint64_t s2tte, long level)
{
	return level < RTT_PAGE_LEVEL && (s2tte & S2TT_DESC_TYPE_MASK) == S2TT_DESC_TABLE_TYPE;
}

bool s2tte_is_valid_leaf(uint64_t s2tte, long level)
{
	if (level == RTT_PAGE_LEVEL)
		return (s2tte & S2TT_DESC_TYPE_MASK) == S2TT_DESC_PAGE;
	return level >= RTT_MIN_BLOCK_LEVEL && (s2tte & S2TT_DESC_TYPE_MASK) == S2TT_DESC_BLOCK;
}

enum s2tte_state s2tte_get_state(uint64_t s2tte, long level, bool ns)
{
	uint64_t hipas;

	if (s2tte_is_table(s2tte, level))
		return S2TTE_TABLE;
	if ((s2tte & S2TT_DESC_VALID) != 0) {
		/* The RMM writes no other valid descriptor. */
		ASSERT(s2tte_is_valid_leaf(s2tte, level));
		ASSERT(((s2tte & S2TT_NS) != 0) == ns);
		return ns ? S2TTE_ASSIGNED_NS : S2TTE_ASSIGNED;
	}
	if (ns)
		return S2TTE_UNASSIGNED_NS;
	hipas = EXTRACT_BITS(s2tte, 4, 2);
	if (hipas == S2TTE_HIPAS_ASSIGNED) {
		ASSERT(level >= RTT_MIN_BLOCK_LEVEL);
		return S2TTE_ASSIGNED;
	}
	ASSERT(hipas == S2TTE_HIPAS_UNASSIGNED);
	return S2TTE_UNASSIGNED;
}

uint64_t s2tte_get_ripas(uint64_t s2tte, long level, bool ns)
{
	switch (s2tte_get_state(s2tte, level, ns)) {
	case S2TTE_ASSIGNED:
		if ((s2tte & S2TT_DESC_VALID) != 0)
			return RIPAS_RAM;
		/* fall through */
	case S2TTE_UNASSIGNED:
		return EXTRACT_BITS(s2tte, 6, 5);
	default:
		return RIPAS_EMPTY;
	}
}

uint64_t s2tte_get_pa(uint64_t s2tte, long level)
{
	if (s2tte_is_table(s2tte, level))
		return s2tte & S2TT_OA_MASK;
	return level_oa(s2tte, level);
}

uint64_t s2tte_get_ns_host_desc(uint64_t s2tte)
{
	return s2tte & S2TT_NS_HOST_ATTR_MASK;
}

bool s2tte_is_live(uint64_t s2tte, long level, bool ns)
{
	enum s2tte_state st = s2tte_get_state(s2tte, level, ns);

	return st == S2TTE_ASSIGNED || st == S2TTE_ASSIGNED_NS || st == S2TTE_TABLE;
}

bool s2tte_ns_host_desc_is_valid(uint64_t desc, long level)
{
	if (level < RTT_MIN_BLOCK_LEVEL || level > RTT_PAGE_LEVEL)
		return false;
	if ((desc & ~S2TT_NS_HOST_ATTR_MASK) != 0)
		return false;
	return IS_ALIGNED(desc & S2TT_OA_MASK, RTT_LEVEL_SIZE(level));
}

uint64_t s2tte_split(uint64_t parent, long parent_level, bool ns, unsigned i)
{
	long level = parent_level + 1;
	uint64_t off = (uint64_t)i * RTT_LEVEL_SIZE(level);

	ASSERT(i < RTT_ENTRIES && level <= RTT_PAGE_LEVEL);
	switch (s2tte_get_state(parent, parent_level, ns)) {
	case S2TTE_UNASSIGNED:
		return s2tte_create_unassigned(s2tte_get_ripas(parent, parent_level, ns));
	case S2TTE_UNASSIGNED_NS:
		return s2tte_create_unassigned_ns();
	case S2TTE_ASSIGNED:
		return s2tte_create_assigned(s2tte_get_pa(parent, parent_level) + off, level,
					     s2tte_get_ripas(parent, parent_level, ns));
	case S2TTE_ASSIGNED_NS: {
		uint64_t host = s2tte_get_ns_host_desc(parent);

		return s2tte_create_assigned_ns(
			(host & ~S2TT_OA_MASK) | ((host & S2TT_OA_MASK) + off), level);
	}
	default:
		ASSERT(false);
		return 0;
	}
}

bool s2tt_fold_check(const uint64_t *table, long level, bool ns, uint64_t *parent, unsigned *live)
{
	uint64_t first = s2tte_read(&table[0]);
	enum s2tte_state st = s2tte_get_state(first, level, ns);
	uint64_t ripas = s2tte_get_ripas(first, level, ns);
	uint64_t pa0 = 0, attrs = 0, size = RTT_LEVEL_SIZE(level);
	unsigned n_live = 0;
	bool ok = true;

	ASSERT(level > RTT_MIN_LEVEL && level <= RTT_PAGE_LEVEL);
	if (st == S2TTE_ASSIGNED || st == S2TTE_ASSIGNED_NS) {
		pa0 = s2tte_get_pa(first, level);
		attrs = s2tte_get_ns_host_desc(first) & ~S2TT_OA_MASK;
		if (level - 1 < RTT_MIN_BLOCK_LEVEL || !IS_ALIGNED(pa0, RTT_LEVEL_SIZE(level - 1)))
			ok = false;
	}
	for (unsigned i = 0; i < RTT_ENTRIES; i++) {
		uint64_t e = s2tte_read(&table[i]);
		enum s2tte_state sti = s2tte_get_state(e, level, ns);

		if (s2tte_is_live(e, level, ns))
			n_live++;
		if (!ok)
			continue;
		if (sti != st) {
			ok = false;
			continue;
		}
		switch (st) {
		case S2TTE_UNASSIGNED:
			ok = s2tte_get_ripas(e, level, ns) == ripas;
			break;
		case S2TTE_UNASSIGNED_NS:
			break;
		case S2TTE_ASSIGNED:
			/* Equal attributes too: a Fasco channel (S2AP RO) never folds. */
			ok = s2tte_get_ripas(e, level, ns) == ripas &&
			     s2tte_get_pa(e, level) == pa0 + (uint64_t)i * size &&
			     (e & ~S2TT_OA_MASK) == (first & ~S2TT_OA_MASK);
			break;
		case S2TTE_ASSIGNED_NS:
			ok = (s2tte_get_ns_host_desc(e) & ~S2TT_OA_MASK) == attrs &&
			     s2tte_get_pa(e, level) == pa0 + (uint64_t)i * size;
			break;
		default: /* TABLE */
			ok = false;
			break;
		}
	}
	*live = n_live;
	if (!ok)
		return false;
	switch (st) {
	case S2TTE_UNASSIGNED:
		*parent = s2tte_create_unassigned(ripas);
		break;
	case S2TTE_UNASSIGNED_NS:
		*parent = s2tte_create_unassigned_ns();
		break;
	case S2TTE_ASSIGNED:
		*parent = s2tte_create_assigned(pa0, level - 1, ripas);
		break;
	default: /* ASSIGNED_NS */
		*parent = s2tte_create_assigned_ns(attrs | pa0, level - 1);
		break;
	}
	return true;
}
