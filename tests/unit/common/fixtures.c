/*
 * Shared cmocka fixtures (see fixtures.h).
 */
#include "common/fixtures.h"
#include "common/invariants.h"

#include <string.h>

#include "plat/plat.h"
#include "rmm/granule.h"

void fx_inv_assert(void)
{
	char why[2048];

	if (inv_check(why, sizeof(why)) != 0)
		fail_msg("invariants: %s", why);
}

int fx_group_setup(void **state)
{
	(void)state;
	th_boot(0);
	inv_reset();
	return 0;
}

int fx_group_teardown(void **state)
{
	(void)state;
	th_shutdown();
	return 0;
}

int fx_teardown_inv(void **state)
{
	char why[2048];
	int ret = inv_check(why, sizeof(why));

	(void)state;
	if (ret != 0)
		print_error("invariants: %s\n", why);
	return ret;
}

int fx_granule_state(uint64_t pa)
{
	struct granule *g = granule_find(pa);

	assert_non_null(g);
	return (int)granule_get_state(g);
}

bool fx_realm_granule_zero(uint64_t pa)
{
	static uint8_t buf[GRANULE_SIZE], zeros[GRANULE_SIZE];

	assert_int_equal(plat_read(PAS_REALM, pa, buf, GRANULE_SIZE, NULL), 0);
	return memcmp(buf, zeros, GRANULE_SIZE) == 0;
}
