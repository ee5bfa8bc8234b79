/*
 * `realmbox demo`: power on the emulated CCA machine, print its memory map,
 * then drive one realm's whole life through RMI the way a hypervisor does
 * (delegate, REALM_CREATE, RTT_CREATE, RTT_INIT_RIPAS, DATA_CREATE,
 * REC_CREATE, REALM_ACTIVATE, REC_ENTER until the realm powers off), tear it
 * down and print what it cost in platform counters.
 *
 * The realm's code is a native test guest (plat/emu/native_guest.h): it
 * reaches the RMM only through RSI/PSCI SMCs and its memory only through
 * stage 2. Everything the host learns from it arrives through RSI_HOST_CALL.
 *
 * With --attest FILE the machine boots with its attestation keys (from the
 * runtime root, machine_keys.h) and the realm, told so by its REC's x1 (so
 * its RIM differs from a plain demo's), asks the host for a challenge,
 * obtains a CCA token through RSI_ATTESTATION_TOKEN_INIT/CONTINUE and hands
 * it out in host calls; the host writes it to FILE for `realmbox verify`.
 */
#include "host/demo.h"
#include "host/cli_util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arch/rmi.h"
#include "arch/rsi.h"
#include "boot/machine.h"
#include "host/host.h"
#include "host/machine_keys.h"
#include "plat/emu/native_guest.h"
#include "plat/plat.h"

/* ---- The realm's shape ------------------------------------------------- */

#define DEMO_S2SZ 40
#define DEMO_RTT_LEVEL_START 1
#define DEMO_RTT_NUM_START 2
#define DEMO_VMID 1
#define DEMO_ENTRY_PC 0x0ULL	     /* realm code "starts" at IPA 0 */
#define DEMO_RIPAS_TOP 0x4000ULL     /* RTT_INIT_RIPAS of [0, 16 KiB) */
#define DEMO_NR_DATA 2		     /* measured DATA at IPA 0 and 0x1000 */
#define DEMO_HOST_CALL_IPA 0x1000ULL /* the guest's host-call buffer (DATA 1) */
#define DEMO_MAX_ENTRIES 64

/* Host-call immediates the demo guest uses. */
#define DEMO_HC_GREETING 1 /* gprs: NUL-terminated text */
#define DEMO_HC_REPORT 2   /* gprs: struct demo_report */
#define DEMO_HC_CHALLENGE 3 /* answer: gprs[0..7] = the challenge */
#define DEMO_HC_TOKEN 4	    /* gprs: struct demo_token_chunk */

/* Attestation: the token buffer is the second half of the host-call granule. */
#define DEMO_TOKEN_BUF_OFFSET 0x800ULL
#define DEMO_TOKEN_BUF_SIZE 0x800ULL
#define DEMO_TOKEN_MAX 4096
#define DEMO_ATTEST_MAX_CALLS 64
#define DEMO_CHALLENGE_SIZE 64

/* One piece of the token in a host call (31 gprs). */
struct demo_token_chunk {
	uint64_t total, offset, len;
	uint8_t data[RSI_HOST_CALL_NR_GPRS * 8 - 3 * 8];
};
_Static_assert(sizeof(struct demo_token_chunk) == RSI_HOST_CALL_NR_GPRS * 8, "chunk fits");

/* What the guest reports in its second host call (31 gprs). */
struct demo_report {
	uint64_t rsi_version_status;
	uint64_t rsi_version_lower;
	uint64_t read_rim_status;
	uint64_t extend_status;
	uint64_t read_rem_status;
	uint64_t rim[8];  /* MEASUREMENT_READ(0): X1..X8 */
	uint64_t rem1[8]; /* MEASUREMENT_READ(1) after the extend */
	uint64_t data_ok; /* the DATA page read through stage 2 matched */
	uint64_t attest_status;	  /* last INIT/CONTINUE status (attesting realms) */
	uint64_t attest_continues; /* CONTINUE calls made */
	uint64_t attest_incomplete; /* of which answered RSI_INCOMPLETE */
	uint8_t pad[RSI_HOST_CALL_NR_GPRS * 8 - 25 * 8];
};
_Static_assert(sizeof(struct demo_report) == RSI_HOST_CALL_NR_GPRS * 8, "report fits the gprs");

static const char demo_payload_tag[] = "realmbox demo DATA granule";
static const char demo_rem1_data[32] = "realmbox demo: extend REM1 (32B)";

/* The recognisable content of DATA granule i. */
static void demo_payload(unsigned i, uint8_t *page)
{
	memset(page, 0, GRANULE_SIZE);
	snprintf((char *)page, 64, "%s #%u at IPA 0x%llx", demo_payload_tag, i,
		 (unsigned long long)i * GRANULE_SIZE);
	for (unsigned k = 64; k < GRANULE_SIZE; k++)
		page[k] = (uint8_t)(k * 7 + i);
}

/* ---- The realm's code (native guest) ----------------------------------- */

static uint64_t guest_smc(struct native_guest *g, struct smc_regs *r)
{
	native_guest_smc(g, r);
	return r->x[0];
}

/* RSI_HOST_CALL with 31 gprs of payload from `data` (len <= 248). */
static void guest_host_call(struct native_guest *g, uint16_t imm, const void *data, size_t len)
{
	struct rsi_host_call hc;
	struct smc_regs r = {.x = {SMC_RSI_HOST_CALL, DEMO_HOST_CALL_IPA}};

	memset(&hc, 0, sizeof(hc));
	hc.imm = imm;
	memcpy(hc.gprs, data, len < sizeof(hc.gprs) ? len : sizeof(hc.gprs));
	native_guest_write(g, DEMO_HOST_CALL_IPA, &hc, sizeof(hc));
	guest_smc(g, &r);
}

/*
 * Ask the host for a challenge, get a token from the RMM (CONTINUE into the
 * second half of the host-call granule until RSI_SUCCESS), and hand it out.
 */
static void guest_attest(struct native_guest *g, struct demo_report *rep)
{
	static uint8_t token[DEMO_TOKEN_MAX];
	uint64_t challenge[DEMO_CHALLENGE_SIZE / 8], st;
	struct demo_token_chunk chunk;
	struct smc_regs r;
	size_t len = 0;

	memset(&chunk, 0, sizeof(chunk));
	guest_host_call(g, DEMO_HC_CHALLENGE, &chunk, sizeof(chunk));
	native_guest_read(g, DEMO_HOST_CALL_IPA + offsetof(struct rsi_host_call, gprs), challenge,
			  sizeof(challenge));

	r = (struct smc_regs){.x = {SMC_RSI_ATTEST_TOKEN_INIT}};
	memcpy(&r.x[1], challenge, sizeof(challenge));
	st = guest_smc(g, &r);
	rep->attest_status = st;
	if (st != RSI_SUCCESS)
		return;
	for (unsigned i = 0; i < DEMO_ATTEST_MAX_CALLS; i++) {
		uint64_t n;

		r = (struct smc_regs){.x = {SMC_RSI_ATTEST_TOKEN_CONTINUE, DEMO_HOST_CALL_IPA,
					    DEMO_TOKEN_BUF_OFFSET, DEMO_TOKEN_BUF_SIZE}};
		st = guest_smc(g, &r);
		n = r.x[1];
		rep->attest_status = st;
		rep->attest_continues++;
		if (st != RSI_SUCCESS && st != RSI_INCOMPLETE)
			return;
		if (st == RSI_INCOMPLETE)
			rep->attest_incomplete++;
		if (n > DEMO_TOKEN_BUF_SIZE || n > sizeof(token) - len) {
			rep->attest_status = RSI_ERROR_INPUT;
			return;
		}
		native_guest_read(g, DEMO_HOST_CALL_IPA + DEMO_TOKEN_BUF_OFFSET, token + len, n);
		len += n;
		if (st == RSI_SUCCESS)
			break;
	}
	for (size_t off = 0; off < len; off += sizeof(chunk.data)) {
		memset(&chunk, 0, sizeof(chunk));
		chunk.total = len;
		chunk.offset = off;
		chunk.len = len - off < sizeof(chunk.data) ? len - off : sizeof(chunk.data);
		memcpy(chunk.data, token + off, chunk.len);
		guest_host_call(g, DEMO_HC_TOKEN, &chunk, sizeof(chunk));
	}
}

static void demo_guest(struct native_guest *g, const uint64_t gprs[8])
{
	struct demo_report rep;
	struct smc_regs r;
	uint8_t expect[GRANULE_SIZE], seen[128];
	char greeting[RSI_HOST_CALL_NR_GPRS * 8];

	memset(&rep, 0, sizeof(rep));

	r = (struct smc_regs){.x = {SMC_RSI_VERSION, RSI_ABI_VERSION}};
	rep.rsi_version_status = guest_smc(g, &r);
	rep.rsi_version_lower = r.x[1];

	r = (struct smc_regs){.x = {SMC_RSI_MEASUREMENT_READ, MEASUREMENT_RIM_INDEX}};
	rep.read_rim_status = guest_smc(g, &r);
	memcpy(rep.rim, &r.x[1], sizeof(rep.rim));

	r = (struct smc_regs){.x = {SMC_RSI_MEASUREMENT_EXTEND, 1, sizeof(demo_rem1_data)}};
	memcpy(&r.x[3], demo_rem1_data, sizeof(demo_rem1_data));
	rep.extend_status = guest_smc(g, &r);

	r = (struct smc_regs){.x = {SMC_RSI_MEASUREMENT_READ, 1}};
	rep.read_rem_status = guest_smc(g, &r);
	memcpy(rep.rem1, &r.x[1], sizeof(rep.rem1));

	/* Our own DATA granule, through stage 2. */
	native_guest_read(g, 0, seen, sizeof(seen));
	demo_payload(0, expect);
	rep.data_ok = !native_guest_took_sea(g) && memcmp(seen, expect, sizeof(seen)) == 0;

	if (gprs[1])
		guest_attest(g, &rep);

	snprintf(greeting, sizeof(greeting),
		 "Hello from realm VMID %u (RSI %u.%u): my IPA 0 reads \"%.40s\"",
		 (unsigned)gprs[0], (unsigned)(rep.rsi_version_lower >> 16),
		 (unsigned)(rep.rsi_version_lower & 0xFFFF), rep.data_ok ? (char *)seen : "?");
	guest_host_call(g, DEMO_HC_GREETING, greeting, strlen(greeting) + 1);
	guest_host_call(g, DEMO_HC_REPORT, &rep, sizeof(rep));

	r = (struct smc_regs){.x = {PSCI_SYSTEM_OFF}};
	guest_smc(g, &r);
	/* Not reached: the realm is off and its REC never runs again. */
}

/* ---- Host side helpers -------------------------------------------------- */

struct demo {
	struct machine_layout ml;
	uint64_t rd, rtt_base, params, rec, rec_params, run;
	uint64_t rtt[2]; /* level 2 and 3 tables for IPA 0 */
	uint64_t data[DEMO_NR_DATA];
	uint64_t aux[RMI_REC_MAX_AUX];
	unsigned naux;
	unsigned hash_len;
	bool got_greeting, got_report;
	struct demo_report report;
	/* --attest */
	const char *attest_file;
	uint8_t challenge[DEMO_CHALLENGE_SIZE];
	bool answer_challenge;
	uint8_t token[DEMO_TOKEN_MAX];
	size_t token_len;
	bool token_bad;
	struct timespec t_challenge, t_token;
};

static int demo_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int demo_fail(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "realmbox: demo: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

/*
 * One RMI command, printed as a step. Returns 0 on RMI_SUCCESS; otherwise
 * reports the command and its status on stderr and returns -1.
 */
static int rmi(const char *name, uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
	       uint64_t a5, struct smc_regs *res)
{
	struct smc_regs r;
	uint64_t st = host_rmi(fid, a1, a2, a3, a4, a5, 0, &r);

	if (res)
		*res = r;
	if (st != RMI_SUCCESS) {
		if (st == SMC_UNKNOWN)
			return demo_fail("RMI_%s failed: %s", name, host_rmi_status_name(st));
		return demo_fail("RMI_%s failed: %s (index %u)", name, host_rmi_status_name(st),
				 (unsigned)RMI_STATUS_INDEX(st));
	}
	return 0;
}

static int delegate(uint64_t pa)
{
	return rmi("GRANULE_DELEGATE", SMC_RMI_GRANULE_DELEGATE, pa, 0, 0, 0, 0, NULL);
}

static int undelegate(uint64_t pa)
{
	if (rmi("GRANULE_UNDELEGATE", SMC_RMI_GRANULE_UNDELEGATE, pa, 0, 0, 0, 0, NULL))
		return -1;
	host_granule_free(pa);
	return 0;
}

/* A fresh NS granule, or a failure naming what it was for. */
static int ns_granule(uint64_t *pa, const char *what)
{
	*pa = host_granule_alloc();
	return *pa ? 0 : demo_fail("out of host memory for the %s", what);
}

static int delegated_granule(uint64_t *pa, const char *what)
{
	if (ns_granule(pa, what))
		return -1;
	return delegate(*pa);
}

static void print_hex(const char *label, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	printf("  %s ", label);
	for (size_t i = 0; i < len; i++)
		printf("%02x", p[i]);
	printf("\n");
}

static void print_size(uint64_t bytes)
{
	if (bytes >= (1ULL << 20) && bytes % (1ULL << 20) == 0)
		printf("%5" PRIu64 " MiB", bytes >> 20);
	else
		printf("%5" PRIu64 " KiB", bytes >> 10);
}

static void print_region(const char *name, uint64_t base, uint64_t size, const char *what)
{
	printf("  %-5s 0x%010" PRIx64 "-0x%010" PRIx64 " ", name, base, base + size);
	print_size(size);
	printf("  %s\n", what);
}

static void print_memory_map(const struct machine_layout *l)
{
	char gpt[64];

	printf("memory map: DRAM 0x%" PRIx64 "-0x%" PRIx64 " (%" PRIu64 " MiB), 4 KiB granules\n",
	       l->dram_base, l->dram_base + l->dram_size, l->dram_size >> 20);
	snprintf(gpt, sizeof(gpt), "GPI ROOT   monitor, GPT (%" PRIu64 " KiB)", l->gpt_bytes >> 10);
	print_region("root", l->root_base, l->root_size, gpt);
	print_region("rmm", l->rmm_base, l->rmm_size, "GPI REALM  RMM tables");
	print_region("ns", l->ns_base, l->ns_size, "GPI NS     host memory");
}

/* ---- The realm's life ---------------------------------------------------- */

static int demo_create_realm(struct demo *d)
{
	struct rmi_realm_params p;
	struct smc_regs res;

	if (rmi("VERSION", SMC_RMI_VERSION, RMI_ABI_VERSION, 0, 0, 0, 0, &res))
		return -1;
	printf("RMI_VERSION                 -> RMI %" PRIu64 ".%" PRIu64 " (highest %" PRIu64
	       ".%" PRIu64 ")\n",
	       res.x[1] >> 16, res.x[1] & 0xFFFF, res.x[2] >> 16, res.x[2] & 0xFFFF);
	if (rmi("FEATURES", SMC_RMI_FEATURES, RMI_FEATURE_REGISTER_0_INDEX, 0, 0, 0, 0, &res))
		return -1;
	printf("RMI_FEATURES(0)             -> 0x%" PRIx64 ": S2SZ %" PRIu64
	       ", SHA-256 %s, SHA-512 %s\n",
	       res.x[1], res.x[1] & 0xFF, (res.x[1] & RMI_FEAT0_HASH_SHA_256) ? "yes" : "no",
	       (res.x[1] & RMI_FEAT0_HASH_SHA_512) ? "yes" : "no");
	if (!(res.x[1] & RMI_FEAT0_HASH_SHA_256) || (res.x[1] & 0xFF) < DEMO_S2SZ)
		return demo_fail("the RMM lacks SHA-256 or a %u-bit IPA space", DEMO_S2SZ);

	/* RD and the concatenated root RTTs (contiguous, aligned to their size). */
	if (delegated_granule(&d->rd, "RD"))
		return -1;
	d->rtt_base = host_granules_alloc(DEMO_RTT_NUM_START, DEMO_RTT_NUM_START * GRANULE_SIZE);
	if (!d->rtt_base)
		return demo_fail("out of host memory for the root RTTs");
	for (unsigned i = 0; i < DEMO_RTT_NUM_START; i++) {
		if (delegate(d->rtt_base + i * GRANULE_SIZE))
			return -1;
	}
	printf("GRANULE_DELEGATE            RD 0x%" PRIx64 ", root RTTs 0x%" PRIx64 " (x%d)\n",
	       d->rd, d->rtt_base, DEMO_RTT_NUM_START);

	memset(&p, 0, sizeof(p));
	p.s2sz = DEMO_S2SZ;
	p.hash_algo = RMI_HASH_SHA_256;
	p.vmid = DEMO_VMID;
	p.rtt_base = d->rtt_base;
	p.rtt_level_start = DEMO_RTT_LEVEL_START;
	p.rtt_num_start = DEMO_RTT_NUM_START;
	if (ns_granule(&d->params, "realm parameters") || host_mem_write(d->params, &p, sizeof(p)))
		return demo_fail("cannot write the realm parameters");
	if (rmi("REALM_CREATE", SMC_RMI_REALM_CREATE, d->rd, d->params, 0, 0, 0, NULL))
		return -1;
	printf("REALM_CREATE                s2sz %u, RTT level %d x%d, SHA-256, VMID %u\n",
	       DEMO_S2SZ, DEMO_RTT_LEVEL_START, DEMO_RTT_NUM_START, DEMO_VMID);
	d->hash_len = 32;

	for (int level = DEMO_RTT_LEVEL_START + 1; level <= RTT_PAGE_LEVEL; level++) {
		uint64_t *rtt = &d->rtt[level - DEMO_RTT_LEVEL_START - 1];

		if (delegated_granule(rtt, "RTT") ||
		    rmi("RTT_CREATE", SMC_RMI_RTT_CREATE, d->rd, *rtt, 0, (uint64_t)level, 0, NULL))
			return -1;
		printf("RTT_CREATE                  level %d table 0x%" PRIx64 " for IPA 0\n",
		       level, *rtt);
	}

	for (uint64_t base = 0; base < DEMO_RIPAS_TOP;) {
		if (rmi("RTT_INIT_RIPAS", SMC_RMI_RTT_INIT_RIPAS, d->rd, base, DEMO_RIPAS_TOP, 0, 0,
			&res))
			return -1;
		if (res.x[1] <= base || res.x[1] > DEMO_RIPAS_TOP)
			return demo_fail("RMI_RTT_INIT_RIPAS made no progress (top 0x%" PRIx64 ")",
					 res.x[1]);
		base = res.x[1];
	}
	printf("RTT_INIT_RIPAS              [0x0, 0x%llx) -> RIPAS RAM\n",
	       (unsigned long long)DEMO_RIPAS_TOP);

	for (unsigned i = 0; i < DEMO_NR_DATA; i++) {
		uint8_t page[GRANULE_SIZE];
		uint64_t src, ipa = (uint64_t)i * GRANULE_SIZE;

		demo_payload(i, page);
		if (ns_granule(&src, "DATA source") || host_mem_write(src, page, sizeof(page)))
			return demo_fail("cannot write the DATA source");
		if (delegated_granule(&d->data[i], "DATA") ||
		    rmi("DATA_CREATE", SMC_RMI_DATA_CREATE, d->rd, d->data[i], ipa, src,
			RMI_MEASURE_CONTENT, NULL))
			return -1;
		host_granule_free(src);
		printf("DATA_CREATE                 IPA 0x%" PRIx64 " <- \"%s\" (measured)\n", ipa,
		       (const char *)page);
	}

	if (rmi("REC_AUX_COUNT", SMC_RMI_REC_AUX_COUNT, d->rd, 0, 0, 0, 0, &res))
		return -1;
	if (res.x[1] > RMI_REC_MAX_AUX)
		return demo_fail("RMI_REC_AUX_COUNT asks for %" PRIu64 " granules", res.x[1]);
	d->naux = (unsigned)res.x[1];

	struct rmi_rec_params rp;
	memset(&rp, 0, sizeof(rp));
	rp.flags = RMI_REC_FLAG_RUNNABLE;
	rp.mpidr = 0;
	rp.pc = DEMO_ENTRY_PC;
	rp.gprs[0] = DEMO_VMID;
	rp.gprs[1] = d->attest_file != NULL; /* measured: an attesting realm is another realm */
	rp.num_aux = d->naux;
	for (unsigned i = 0; i < d->naux; i++) {
		if (delegated_granule(&d->aux[i], "REC aux"))
			return -1;
		rp.aux[i] = d->aux[i];
	}
	if (delegated_granule(&d->rec, "REC") || ns_granule(&d->rec_params, "REC parameters") ||
	    host_mem_write(d->rec_params, &rp, sizeof(rp)))
		return -1;
	if (rmi("REC_CREATE", SMC_RMI_REC_CREATE, d->rd, d->rec, d->rec_params, 0, 0, NULL))
		return -1;
	printf("REC_CREATE                  REC 0x%" PRIx64
	       " (%u aux granules), runnable, pc 0x%llx\n",
	       d->rec, d->naux, (unsigned long long)DEMO_ENTRY_PC);

	if (rmi("REALM_ACTIVATE", SMC_RMI_REALM_ACTIVATE, d->rd, 0, 0, 0, 0, NULL))
		return -1;
	printf("REALM_ACTIVATE              realm is ACTIVE\n");
	return 0;
}

static const char *exit_reason_name(uint64_t r)
{
	static const char *const names[] = {"SYNC",	    "IRQ",	 "FIQ",	  "PSCI",
					    "RIPAS_CHANGE", "HOST_CALL", "SERROR"};

	return r < sizeof(names) / sizeof(names[0]) ? names[r] : "UNKNOWN";
}

static int demo_host_call(struct demo *d, const struct rmi_rec_exit *ex)
{
	switch (ex->imm) {
	case DEMO_HC_GREETING: {
		char text[sizeof(ex->gprs) + 1];

		memcpy(text, ex->gprs, sizeof(ex->gprs));
		text[sizeof(ex->gprs)] = '\0';
		printf("  realm says: %s\n", text);
		d->got_greeting = true;
		return 0;
	}
	case DEMO_HC_REPORT:
		memcpy(&d->report, ex->gprs, sizeof(d->report));
		d->got_report = true;
		return 0;
	case DEMO_HC_CHALLENGE:
		d->answer_challenge = true;
		clock_gettime(CLOCK_MONOTONIC, &d->t_challenge);
		return 0;
	case DEMO_HC_TOKEN: {
		struct demo_token_chunk c;

		memcpy(&c, ex->gprs, sizeof(c));
		/* Realm-supplied: checked before use. */
		if (c.total > sizeof(d->token) || c.offset != d->token_len ||
		    c.len > sizeof(c.data) || c.len > c.total - c.offset) {
			d->token_bad = true;
			return 0;
		}
		memcpy(d->token + c.offset, c.data, c.len);
		d->token_len += c.len;
		clock_gettime(CLOCK_MONOTONIC, &d->t_token);
		return 0;
	}
	default:
		return demo_fail("unexpected host call #%" PRIu64 " from the realm", ex->imm);
	}
}

static int demo_run(struct demo *d)
{
	struct rmi_rec_run run;

	if (ns_granule(&d->run, "REC run structure"))
		return -1;
	for (unsigned n = 1; n <= DEMO_MAX_ENTRIES; n++) {
		/* Nothing to hand back but a challenge: zero enter flags and gprs. */
		memset(&run.enter, 0, sizeof(run.enter));
		if (d->answer_challenge) {
			memcpy(run.enter.gprs, d->challenge, sizeof(d->challenge));
			d->answer_challenge = false;
		}
		if (host_mem_write(d->run, &run.enter, sizeof(run.enter)))
			return demo_fail("cannot write the REC run structure");
		if (rmi("REC_ENTER", SMC_RMI_REC_ENTER, d->rec, d->run, 0, 0, 0, NULL))
			return -1;
		if (host_mem_read(d->run + offsetof(struct rmi_rec_run, exit), &run.exit,
				  sizeof(run.exit)))
			return demo_fail("cannot read the REC exit");
		char label[32];

		snprintf(label, sizeof(label), "REC_ENTER #%u", n);
		printf("%-28s-> exit %s", label, exit_reason_name(run.exit.exit_reason));
		switch (run.exit.exit_reason) {
		case RMI_EXIT_HOST_CALL:
			printf(" (imm %" PRIu64 ")\n", run.exit.imm);
			if (demo_host_call(d, &run.exit))
				return -1;
			break;
		case RMI_EXIT_PSCI:
			printf(" (0x%" PRIx64 ")\n", run.exit.gprs[0]);
			if (run.exit.gprs[0] == PSCI_SYSTEM_OFF) {
				printf("  realm powered off (PSCI SYSTEM_OFF)\n");
				return 0;
			}
			return demo_fail("unexpected PSCI call 0x%" PRIx64 " from the realm",
					 run.exit.gprs[0]);
		case RMI_EXIT_IRQ:
		case RMI_EXIT_FIQ:
			printf("\n");
			break;
		default:
			printf(" (ESR 0x%" PRIx64 ", FAR 0x%" PRIx64 ", HPFAR 0x%" PRIx64 ")\n",
			       run.exit.esr, run.exit.far, run.exit.hpfar);
			return demo_fail("the realm stopped with exit %s",
					 exit_reason_name(run.exit.exit_reason));
		}
	}
	return demo_fail("the realm did not power off after %d entries", DEMO_MAX_ENTRIES);
}

static int demo_save_token(const struct demo *d)
{
	const struct demo_report *r = &d->report;
	double ms = (double)(d->t_token.tv_sec - d->t_challenge.tv_sec) * 1e3 +
		    (double)(d->t_token.tv_nsec - d->t_challenge.tv_nsec) / 1e6;
	FILE *f;

	if (r->attest_status != RSI_SUCCESS)
		return demo_fail("the realm's attestation failed: RSI status %" PRIu64
				 " after %" PRIu64 " CONTINUE calls",
				 r->attest_status, r->attest_continues);
	if (d->token_bad || d->token_len == 0)
		return demo_fail("the realm handed out a malformed token");
	printf("attestation: RSI_ATTESTATION_TOKEN_INIT, %" PRIu64
	       " x RSI_ATTESTATION_TOKEN_CONTINUE (%" PRIu64 " INCOMPLETE); token of %zu bytes "
	       "in %.1f ms (challenge to last byte)\n",
	       r->attest_continues, r->attest_incomplete, d->token_len, ms);
	f = fopen(d->attest_file, "wb");
	if (!f || fwrite(d->token, 1, d->token_len, f) != d->token_len || fclose(f) != 0)
		return demo_fail("%s: %s", d->attest_file, strerror(errno));
	printf("  token written to %s\n", d->attest_file);
	return 0;
}

static int demo_check_report(const struct demo *d)
{
	const struct demo_report *r = &d->report;

	if (!d->got_greeting || !d->got_report)
		return demo_fail("the realm did not report (greeting %s, report %s)",
				 d->got_greeting ? "yes" : "no", d->got_report ? "yes" : "no");
	printf("realm report: RSI_VERSION %s (%" PRIu64 ".%" PRIu64 "), MEASUREMENT_READ %s, "
	       "MEASUREMENT_EXTEND %s, DATA via stage 2 %s\n",
	       r->rsi_version_status == RSI_SUCCESS ? "ok" : "FAILED", r->rsi_version_lower >> 16,
	       r->rsi_version_lower & 0xFFFF, r->read_rim_status == RSI_SUCCESS ? "ok" : "FAILED",
	       r->extend_status == RSI_SUCCESS ? "ok" : "FAILED", r->data_ok ? "ok" : "WRONG");
	print_hex("RIM  (SHA-256)", r->rim, d->hash_len);
	print_hex("REM1 (SHA-256)", r->rem1, d->hash_len);
	if (r->rsi_version_status != RSI_SUCCESS || r->read_rim_status != RSI_SUCCESS ||
	    r->extend_status != RSI_SUCCESS || r->read_rem_status != RSI_SUCCESS || !r->data_ok)
		return demo_fail("the realm's RSI calls did not all succeed");
	return d->attest_file ? demo_save_token(d) : 0;
}

static int demo_destroy_realm(struct demo *d)
{
	struct smc_regs res;

	if (rmi("REC_DESTROY", SMC_RMI_REC_DESTROY, d->rec, 0, 0, 0, 0, NULL) || undelegate(d->rec))
		return -1;
	for (unsigned i = 0; i < d->naux; i++) {
		if (undelegate(d->aux[i]))
			return -1;
	}
	printf("REC_DESTROY                 REC and %u aux granules undelegated\n", d->naux);
	for (unsigned i = 0; i < DEMO_NR_DATA; i++) {
		uint64_t ipa = (uint64_t)i * GRANULE_SIZE;

		if (rmi("DATA_DESTROY", SMC_RMI_DATA_DESTROY, d->rd, ipa, 0, 0, 0, &res))
			return -1;
		if (res.x[1] != d->data[i])
			return demo_fail("RMI_DATA_DESTROY returned granule 0x%" PRIx64
					 ", expected 0x%" PRIx64,
					 res.x[1], d->data[i]);
		if (undelegate(d->data[i]))
			return -1;
		printf("DATA_DESTROY                IPA 0x%" PRIx64 " (granule 0x%" PRIx64 ")\n",
		       ipa, res.x[1]);
	}
	for (int level = RTT_PAGE_LEVEL; level > DEMO_RTT_LEVEL_START; level--) {
		uint64_t rtt = d->rtt[level - DEMO_RTT_LEVEL_START - 1];

		if (rmi("RTT_DESTROY", SMC_RMI_RTT_DESTROY, d->rd, 0, (uint64_t)level, 0, 0, &res))
			return -1;
		if (res.x[1] != rtt)
			return demo_fail("RMI_RTT_DESTROY returned table 0x%" PRIx64
					 ", expected 0x%" PRIx64,
					 res.x[1], rtt);
		if (undelegate(rtt))
			return -1;
		printf("RTT_DESTROY                 level %d table 0x%" PRIx64 "\n", level, rtt);
	}
	if (rmi("REALM_DESTROY", SMC_RMI_REALM_DESTROY, d->rd, 0, 0, 0, 0, NULL) ||
	    undelegate(d->rd))
		return -1;
	for (unsigned i = 0; i < DEMO_RTT_NUM_START; i++) {
		if (undelegate(d->rtt_base + i * GRANULE_SIZE))
			return -1;
	}
	printf("REALM_DESTROY               RD and root RTTs undelegated\n");
	host_granule_free(d->params);
	host_granule_free(d->rec_params);
	host_granule_free(d->run);
	return 0;
}

static void print_counters(const uint64_t before[PLAT_CNT_NR], const uint64_t after[PLAT_CNT_NR])
{
	printf("platform counters for the realm's life:\n");
	for (int c = 0; c < PLAT_CNT_NR; c++)
		printf("  %-21s %8" PRIu64 "\n", plat_counter_name((enum plat_counter)c),
		       after[c] - before[c]);
}

static void demo_usage(FILE *f)
{
	fprintf(f,
		"usage: realmbox demo [--dram-mib N] [--attest FILE [--challenge HEX] [--root DIR]]\n"
		"Boot the emulated Arm CCA machine and run one realm's whole life through RMI.\n"
		"--attest: the realm also obtains a CCA attestation token for the challenge\n"
		"(64 bytes, zero-padded; default all zeros), written to FILE; the machine's keys\n"
		"come from the runtime root (generated on first use).\n");
}

/* A challenge of 1 to 64 bytes in hex, zero-padded: 0 or -1. */
static int parse_hex_challenge(const char *s, uint8_t out[DEMO_CHALLENGE_SIZE])
{
	size_t len;

	memset(out, 0, DEMO_CHALLENGE_SIZE);
	return host_hex_parse(s, out, DEMO_CHALLENGE_SIZE, &len);
}

static int parse_args(int argc, char **argv, uint64_t *dram_size, struct demo *d,
		      const char **rootflag)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			demo_usage(stdout);
			return 1;
		}
		if (strcmp(argv[i], "--dram-mib") == 0 && i + 1 < argc) {
			char *end;
			unsigned long long mib = strtoull(argv[++i], &end, 0);

			if (*end || mib == 0 || mib > (1ULL << 20)) {
				fprintf(stderr, "realmbox: demo: bad --dram-mib '%s'\n", argv[i]);
				return -1;
			}
			*dram_size = (uint64_t)mib << 20;
			continue;
		}
		if (strcmp(argv[i], "--attest") == 0 && i + 1 < argc) {
			d->attest_file = argv[++i];
			continue;
		}
		if (strcmp(argv[i], "--root") == 0 && i + 1 < argc) {
			*rootflag = argv[++i];
			continue;
		}
		if (strcmp(argv[i], "--challenge") == 0 && i + 1 < argc) {
			if (parse_hex_challenge(argv[++i], d->challenge)) {
				fprintf(stderr, "realmbox: demo: --challenge: 1 to 64 bytes in hex\n");
				return -1;
			}
			continue;
		}
		fprintf(stderr, "realmbox: demo: unknown argument '%s'\n", argv[i]);
		demo_usage(stderr);
		return -1;
	}
	return 0;
}

int realmbox_demo(int argc, char **argv)
{
	struct machine_config cfg = {.dram_size = 0};
	uint64_t before[PLAT_CNT_NR], after[PLAT_CNT_NR];
	uint64_t in_use_before, in_use_after;
	static struct demo d;
	struct machine_attest_keys keys;
	const char *rootflag = NULL;
	int ret;

	memset(&d, 0, sizeof(d));
	ret = parse_args(argc, argv, &cfg.dram_size, &d, &rootflag);
	if (ret)
		return ret > 0 ? 0 : 2;
	if (d.attest_file) {
		char root[4096];
		struct rb_err err;

		rb_err_clear(&err);
		if (host_runtime_root(rootflag, root, sizeof(root), &err) ||
		    host_machine_keys_load(root, &keys, &err)) {
			demo_fail("machine keys: %s", err.msg);
			return 1;
		}
		cfg.attest = &keys;
	}

	ret = machine_boot(&cfg, &d.ml);
	memset(&keys, 0, sizeof(keys));
	if (ret) {
		demo_fail("cannot boot the machine: %s", strerror(-ret));
		return 1;
	}
	ret = host_mem_init(d.ml.ns_base, d.ml.ns_size);
	if (ret) {
		demo_fail("cannot manage host memory: %s", strerror(-ret));
		machine_shutdown();
		return 1;
	}
	ret = plat_native_guest_register(DEMO_ENTRY_PC, demo_guest);
	if (ret) {
		demo_fail("cannot register the realm's code: %s", strerror(-ret));
		goto out;
	}

	print_memory_map(&d.ml);
	printf("\n");
	in_use_before = host_granules_in_use();
	plat_counters_snapshot(before);

	ret = demo_create_realm(&d);
	if (!ret)
		ret = demo_run(&d);
	if (!ret)
		ret = demo_check_report(&d);
	if (!ret)
		ret = demo_destroy_realm(&d);
	if (ret)
		goto out;

	plat_counters_snapshot(after);
	in_use_after = host_granules_in_use();
	printf("\n");
	print_counters(before, after);
	printf("host granules in use: %" PRIu64 " before, %" PRIu64 " after\n", in_use_before,
	       in_use_after);
	if (in_use_before != in_use_after) {
		demo_fail("host granules leaked: %" PRIu64 " before, %" PRIu64 " after",
			  in_use_before, in_use_after);
		ret = -1;
		goto out;
	}
	printf("demo: ok\n");
out:
	plat_native_guest_unregister(DEMO_ENTRY_PC);
	host_mem_fini();
	machine_shutdown();
	return ret ? 1 : 0;
}
