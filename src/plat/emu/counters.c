/*
 * Event counters of the emulated machine: machine-independent costs (SMCs,
 * world switches, GPT updates, TLBIs, ...) counted with relaxed atomics so
 * that any host thread may count at any time.
 */
#include "plat/plat.h"

/* One cache line per counter: hot counters of different threads do not share. */
struct emu_counter {
	uint64_t val;
	uint8_t pad[56];
};

static struct emu_counter counters[PLAT_CNT_NR] __attribute__((aligned(64)));

static const char *const counter_names[PLAT_CNT_NR] = {
	[PLAT_CNT_SMC] = "smc",
	[PLAT_CNT_WORLD_SWITCH] = "world_switch",
	[PLAT_CNT_RMI] = "rmi",
	[PLAT_CNT_RSI] = "rsi",
	[PLAT_CNT_REC_ENTER] = "rec_enter",
	[PLAT_CNT_REC_EXIT] = "rec_exit",
	[PLAT_CNT_GPT_UPDATE] = "gpt_update",
	[PLAT_CNT_TLBI] = "tlbi",
	[PLAT_CNT_TLBI_S2] = "tlbi_stage_two",
	[PLAT_CNT_GPF] = "gpf",
	[PLAT_CNT_GPT_WALK] = "gpt_walk",
	[PLAT_CNT_DSB] = "dsb",
	[PLAT_CNT_CMO] = "cmo",
	[PLAT_CNT_DELEGATE] = "delegate",
	[PLAT_CNT_UNDELEGATE] = "undelegate",
	[PLAT_CNT_GPT_SWITCH] = "gpt_switch",
	[PLAT_CNT_RC_EL3] = "rc_monitor_round_trip",
	[PLAT_CNT_RC_CALL] = "rc_call",
	[PLAT_CNT_DMA_ABORT] = "dma_abort",
	[PLAT_CNT_RC_REFUSED] = "rc_copy_refused",
	[PLAT_CNT_EXITLESS] = "exitless_resume",
	[PLAT_CNT_EXITLESS_MISS] = "exitless_timeout",
	[PLAT_CNT_EXITLESS_SKIP] = "exitless_skip",
	[PLAT_CNT_CODE_WORD] = "code_word_translated",
	[PLAT_CNT_CODE_PAGE_KEPT] = "code_page_reused",
	[PLAT_CNT_CODE_PAGE_DROPPED] = "code_page_dropped",
};

static bool counter_valid(enum plat_counter c)
{
	return (unsigned)c < PLAT_CNT_NR;
}

void plat_count(enum plat_counter c)
{
	plat_count_add(c, 1);
}

void plat_count_add(enum plat_counter c, uint64_t n)
{
	if (counter_valid(c))
		__atomic_fetch_add(&counters[c].val, n, __ATOMIC_RELAXED);
}

uint64_t plat_counter_read(enum plat_counter c)
{
	if (!counter_valid(c))
		return 0;
	return __atomic_load_n(&counters[c].val, __ATOMIC_RELAXED);
}

void plat_counters_snapshot(uint64_t out[PLAT_CNT_NR])
{
	for (unsigned i = 0; i < PLAT_CNT_NR; i++)
		out[i] = __atomic_load_n(&counters[i].val, __ATOMIC_RELAXED);
}

void plat_counters_reset(void)
{
	for (unsigned i = 0; i < PLAT_CNT_NR; i++)
		__atomic_store_n(&counters[i].val, 0, __ATOMIC_RELAXED);
}

const char *plat_counter_name(enum plat_counter c)
{
	if (!counter_valid(c) || counter_names[c] == NULL)
		return "unknown";
	return counter_names[c];
}
