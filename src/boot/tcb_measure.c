/*
 * Boot ROM measurements (tcb_measure.h). The Makefile passes the digests
 * of scripts/tcb-measure.sh as RB_MEASURE_MONITOR / RB_MEASURE_RMM (64 hex
 * digits) and rebuilds this file when a trusted source changes.
 */
#include "boot/tcb_measure.h"

#include "lib/hash.h"
#include "lib/string.h"

#ifndef RB_MEASURE_MONITOR
#define RB_MEASURE_MONITOR ""
#endif
#ifndef RB_MEASURE_RMM
#define RB_MEASURE_RMM ""
#endif
#define RB_TCB_VERSION "0.1.0"
#define RB_IMPL_ID_TEXT "realmbox emulated CCA platform (plat/emu)"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* 64 hex digits -> 32 bytes; anything else (an unmeasured build) -> zeros. */
static void parse_digest(const char *hex, uint8_t out[MONITOR_ATTEST_SW_MEASUREMENT_SIZE])
{
	memset(out, 0, MONITOR_ATTEST_SW_MEASUREMENT_SIZE);
	if (strlen(hex) != 2 * MONITOR_ATTEST_SW_MEASUREMENT_SIZE)
		return;
	for (unsigned i = 0; i < MONITOR_ATTEST_SW_MEASUREMENT_SIZE; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			memset(out, 0, MONITOR_ATTEST_SW_MEASUREMENT_SIZE);
			return;
		}
		out[i] = (uint8_t)(hi << 4 | lo);
	}
}

static void sw(struct monitor_attest_sw *s, const char *type, const char *digest)
{
	memset(s, 0, sizeof(*s));
	memcpy(s->type, type, strlen(type) + 1);
	memcpy(s->version, RB_TCB_VERSION, sizeof(RB_TCB_VERSION));
	parse_digest(digest, s->measurement);
}

void machine_tcb_claims(struct monitor_attest_config *cfg, uint64_t dram_size)
{
	(void)hash_buf(HASH_SHA256, RB_IMPL_ID_TEXT, strlen(RB_IMPL_ID_TEXT), cfg->impl_id);
	cfg->config = dram_size;
	cfg->nsw = 2;
	sw(&cfg->sw[0], "BL31", RB_MEASURE_MONITOR);
	sw(&cfg->sw[1], "RMM", RB_MEASURE_RMM);
}
