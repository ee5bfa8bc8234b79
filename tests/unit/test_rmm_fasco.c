/*
 * The Fasco extension end to end: realm kinds and binding, the START
 * request and the measured configuration, a system call forwarded from a
 * Container Realm REC (a native guest using native_guest_svc, then real A64
 * code from tests/guest) through the host to the System Realm and back,
 * what the host sees of it, and the per-call costs. The verification tests
 * (a compromised System Realm, an abusive host) are in test_rmm_fasco_verify.c.
 */
#include "fasco_test_util.h"

#include <elf.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#define VA_RW 0x400000ULL
#define VA_RO 0x401000ULL
#define VA_RW2 0x402000ULL
#define ENOSYS_RET ((uint64_t)-38)

/* ---- The container OS in the System Realm: one request per run ---------------- */

static struct {
	uint64_t chan_ipa;
	void (*on_start)(struct native_guest *g);
	uint64_t kind, nr, take_status, copy_status[8];
	unsigned ncopies;
	char out[256];
	size_t nout;
	uint64_t enosys[8];
	unsigned nenosys;
	struct rb_channel ch;
	bool lazy;	     /* START maps only pages with file content */
	bool poll;	     /* look at the channel's state before TAKE (exitless) */
	uint64_t complete_x1; /* COMPLETE's X1 of the last system call served */
	unsigned served;
	unsigned next_fresh; /* next fresh container granule to map */
	unsigned aborts;     /* demand-paged aborts served */
	uint64_t abort_far;
} srv;

static void serve(struct native_guest *g)
{
	struct smc_regs o;
	struct rb_channel *ch = &srv.ch;

	if (srv.poll) {
		uint64_t st = 0;

		native_guest_read(g, srv.chan_ipa + offsetof(struct rb_channel, state), &st,
				  sizeof(st));
		if (st != RB_CHAN_PENDING)
			return;
	}
	srv.take_status = fx_sys_smc(g, SMC_RSI_RB_TAKE, srv.chan_ipa, 0, 0, 0, 0, &o);
	if (srv.take_status != RSI_SUCCESS)
		return;
	srv.kind = o.x[1];
	/* The request, read from the channel mapped in this realm. */
	native_guest_read(g, srv.chan_ipa, ch, offsetof(struct rb_channel, reserved));
	if (srv.kind == RB_REQ_START) {
		srv.on_start(g);
		return;
	}
	if (srv.kind == RB_REQ_ABORT && srv.lazy && srv.next_fresh < CT_NFRESH) {
		/* Demand paging: a fresh zero page where the container touched. */
		srv.aborts++;
		srv.abort_far = o.x[3];
		fx_sys_smc(g, SMC_RSI_RB_MAP, srv.chan_ipa, ALIGN_DOWN(o.x[3], GRANULE_SIZE),
			   CT_FRESH_IPA(srv.next_fresh++), RB_PROT_R | RB_PROT_W, 0, NULL);
		fx_sys_smc(g, SMC_RSI_RB_COMPLETE, srv.chan_ipa, 0, 0, 0, 0, NULL);
		return;
	}
	if (srv.kind != RB_REQ_SYSCALL) {
		fx_sys_smc(g, SMC_RSI_RB_COMPLETE, srv.chan_ipa, 128 + 11, RB_COMPLETE_EXIT, 0, 0,
			   NULL);
		return;
	}
	srv.nr = ch->x[8];
	switch (ch->x[8]) {
	case 64: { /* write(fd, buf, n) */
		uint64_t n = ch->x[2] < 4 * GRANULE_SIZE ? ch->x[2] : 4 * GRANULE_SIZE;
		uint64_t st = fx_sys_smc(g, SMC_RSI_RB_COPY_IN, srv.chan_ipa, ch->x[1], SYS_BUF_IPA,
					 n, 0, NULL);

		srv.copy_status[srv.ncopies++ % 8] = st;
		if (st == RSI_SUCCESS && srv.nout + n < sizeof(srv.out)) {
			native_guest_read(g, SYS_BUF_IPA, srv.out + srv.nout, n);
			srv.nout += n;
		}
		fx_sys_smc(g, SMC_RSI_RB_COMPLETE, srv.chan_ipa,
			   st == RSI_SUCCESS ? n : (uint64_t)-14, 0, 0, 0, NULL);
		break;
	}
	case 93:
	case 94:
		fx_sys_smc(g, SMC_RSI_RB_COMPLETE, srv.chan_ipa, ch->x[0] & 0xFF, RB_COMPLETE_EXIT,
			   0, 0, &o);
		srv.complete_x1 = o.x[1];
		break;
	default:
		if (srv.nenosys < ARRAY_SIZE(srv.enosys))
			srv.enosys[srv.nenosys++] = ch->x[8];
		fx_sys_smc(g, SMC_RSI_RB_COMPLETE, srv.chan_ipa, ENOSYS_RET, 0, 0, 0, &o);
		srv.complete_x1 = o.x[1];
		break;
	}
	__atomic_add_fetch(&srv.served, 1, __ATOMIC_SEQ_CST);
}

/* START for the native container: check the configuration, map three pages. */
static char start_cfg[sizeof(fx_config)];
static uint64_t start_status[8];
static void start_native(struct native_guest *g)
{
	static uint8_t pattern[GRANULE_SIZE];

	memset(pattern, 0xC3, sizeof(pattern));
	start_status[0] = fx_sys_smc(g, SMC_RSI_RB_READ_CONFIG, srv.chan_ipa, 0, SYS_BUF_IPA,
				     sizeof(fx_config), 0, NULL);
	native_guest_read(g, SYS_BUF_IPA, start_cfg, sizeof(start_cfg));
	native_guest_write(g, SYS_PAGE_IPA, pattern, sizeof(pattern));
	start_status[1] = fx_sys_smc(g, SMC_RSI_RB_MAP, srv.chan_ipa, VA_RW, CT_FRESH_IPA(0),
				     RB_PROT_R | RB_PROT_W, 0, NULL);
	start_status[2] = fx_sys_smc(g, SMC_RSI_RB_MAP, srv.chan_ipa, VA_RO, CT_FRESH_IPA(1),
				     RB_PROT_R, SYS_PAGE_IPA, NULL);
	start_status[3] = fx_sys_smc(g, SMC_RSI_RB_MAP, srv.chan_ipa, VA_RW2, CT_FRESH_IPA(2),
				     RB_PROT_R | RB_PROT_W, 0, NULL);
	start_status[4] = fx_sys_smc(g, SMC_RSI_RB_COMPLETE, srv.chan_ipa, 0, 0, 0, 0, NULL);
}

/* ---- Fixture ------------------------------------------------------------------ */

static struct fx_sys sys;
static struct fx_cont cont;

static int setup(void **state)
{
	memset(&srv, 0, sizeof(srv));
	memset(start_status, 0xFF, sizeof(start_status));
	return fx_setup(state);
}

static void world_build_native(void)
{
	struct rmi_rec_exit exit;

	rt_guest(CONT_PC, fx_guest_cont);
	fx_sys_build(&sys);
	fx_cont_build(&cont, &sys, CONT_PC, 0);
	srv.chan_ipa = cont.chan_ipa;
	srv.on_start = start_native;
	fx_q.fn = serve;

	/* First entry: the START request, nothing runs yet. */
	assert_int_equal(fx_cont_enter(&cont, &exit), RMI_SUCCESS);
	assert_true(fx_exit_is_bare_forward(&exit));
	assert_int_equal(ct.done, 0);
	fx_sys_run(&sys);
	assert_int_equal(srv.kind, RB_REQ_START);
	for (unsigned i = 0; i < 5; i++)
		assert_int_equal(start_status[i], RSI_SUCCESS);
	assert_memory_equal(start_cfg, fx_config, sizeof(fx_config));
	assert_int_equal(srv.ch.config_size, sizeof(fx_config));
}

/* ---- Tests -------------------------------------------------------------------- */

static void test_forward_write_native(void **state)
{
	static const char msg[] = "hello fasco\n";
	struct rmi_rec_exit exit;
	uint64_t c0[PLAT_CNT_NR], c1[PLAT_CNT_NR], rb0[4], rb1[4], sysrb[4];

	ct.n = 1;
	ct.call[0].nr = 64;
	ct.call[0].a[0] = 1;
	ct.call[0].a[1] = VA_RW;
	ct.call[0].a[2] = sizeof(msg) - 1;
	ct.call[0].wipa = CT_FRESH_IPA(0); /* VA_RW's page, through stage 2 */
	ct.call[0].wdata = msg;
	ct.call[0].wlen = sizeof(msg) - 1;
	world_build_native();

	/* The container runs until its write: forwarded, the host sees nothing of it. */
	assert_int_equal(fx_cont_enter(&cont, &exit), RMI_SUCCESS);
	assert_true(fx_exit_is_bare_forward(&exit));
	assert_int_equal(ct.done, 0);
	/* A REC whose request is pending does not run. */
	assert_int_equal(fx_enter(cont.rec, cont.run, NULL), RMI_STATUS(RMI_ERROR_REC, 0));

	fx_counters(cont.r.rd, rb0);
	plat_counters_snapshot(c0);
	fx_sys_run(&sys);
	assert_int_equal(srv.kind, RB_REQ_SYSCALL);
	assert_int_equal(srv.nr, 64);
	assert_int_equal(srv.ch.x[1], VA_RW);
	assert_int_equal(srv.ch.esr >> 26, EC_SVC64);
	assert_int_equal(srv.copy_status[0], RSI_SUCCESS);
	assert_int_equal(srv.nout, sizeof(msg) - 1);
	assert_memory_equal(srv.out, msg, sizeof(msg) - 1);

	/* Re-entered, it continues with the result, to its exit_group. */
	assert_int_equal(fx_cont_enter(&cont, &exit), RMI_SUCCESS);
	assert_true(fx_exit_is_bare_forward(&exit));
	plat_counters_snapshot(c1);
	fx_counters(cont.r.rd, rb1);
	assert_int_equal(ct.done, 1);
	assert_int_equal(ct.result[0], sizeof(msg) - 1);

	printf("fasco: per forwarded write(1, buf, %zu) [SVC -> forward exit -> System Realm "
	       "-> re-entry to the next SVC]:\n"
	       "  REC entries %llu, REC exits %llu, RMI calls %llu, world switches %llu, RSI "
	       "calls %llu, SMCs %llu, bytes copied %llu, RMM copies %llu\n",
	       sizeof(msg) - 1,
	       (unsigned long long)(c1[PLAT_CNT_REC_ENTER] - c0[PLAT_CNT_REC_ENTER]),
	       (unsigned long long)(c1[PLAT_CNT_REC_EXIT] - c0[PLAT_CNT_REC_EXIT]),
	       (unsigned long long)(c1[PLAT_CNT_RMI] - c0[PLAT_CNT_RMI]),
	       (unsigned long long)(c1[PLAT_CNT_WORLD_SWITCH] - c0[PLAT_CNT_WORLD_SWITCH]),
	       (unsigned long long)(c1[PLAT_CNT_RSI] - c0[PLAT_CNT_RSI]),
	       (unsigned long long)(c1[PLAT_CNT_SMC] - c0[PLAT_CNT_SMC]),
	       (unsigned long long)(rb1[3] - rb0[3]), (unsigned long long)(rb1[2] - rb0[2]));
	/* Machine-independent: exactly two REC round trips, one copy of the buffer. */
	assert_int_equal(c1[PLAT_CNT_REC_ENTER] - c0[PLAT_CNT_REC_ENTER], 2);
	assert_int_equal(c1[PLAT_CNT_REC_EXIT] - c0[PLAT_CNT_REC_EXIT], 2);
	assert_int_equal(c1[PLAT_CNT_RMI] - c0[PLAT_CNT_RMI], 2);
	assert_int_equal(rb1[3] - rb0[3], sizeof(msg) - 1);
	assert_int_equal(rb1[0] - rb0[0], 1);

	/* exit_group(42): the host learns the status, and nothing runs any more. */
	fx_sys_run(&sys);
	assert_int_equal(srv.nr, 94);
	assert_int_equal(fx_cont_enter(&cont, &exit), RMI_SUCCESS);
	assert_int_equal(exit.exit_reason, RMI_EXIT_RB_EXITED);
	assert_int_equal(exit.gprs[0], 42);
	assert_int_equal(fx_cont_enter(&cont, &exit), RMI_SUCCESS);
	assert_int_equal(exit.exit_reason, RMI_EXIT_RB_EXITED);

	/* Counters: START, write, exit_group forwarded; no refusal. */
	fx_counters(cont.r.rd, rb1);
	fx_counters(sys.r.rd, sysrb);
	assert_int_equal(rb1[0], 3);
	assert_int_equal(rb1[1], 0);
	assert_int_equal(sysrb[0], 3);
	assert_int_equal(sysrb[1], 0);

	/* Tear-down leaves a machine the invariant checker accepts. */
	fx_cont_teardown(&cont, &sys);
	fx_inv_ok();
}

/* The System Realm's result reaches a native container's next instruction. */
static void test_forward_results(void **state)
{
	struct rmi_rec_exit exit;

	ct.n = 2;
	ct.call[0].nr = 172; /* getpid: no memory argument */
	ct.call[1].nr = 0x1234;
	world_build_native();
	assert_int_equal(fx_cont_enter(&cont, &exit), RMI_SUCCESS);
	fx_sys_run(&sys);
	assert_int_equal(fx_cont_enter(&cont, &exit), RMI_SUCCESS);
	fx_sys_run(&sys);
	assert_int_equal(fx_cont_enter(&cont, &exit), RMI_SUCCESS);
	assert_int_equal(ct.done, 2);
	assert_int_equal(ct.result[0], ENOSYS_RET);
	assert_int_equal(ct.result[1], ENOSYS_RET);
	assert_int_equal(srv.nenosys, 2);
	assert_int_equal(srv.enosys[0], 172);
	assert_int_equal(srv.enosys[1], 0x1234);
	fx_cont_teardown(&cont, &sys);
	fx_inv_ok();
}

/* ---- Exitless forwarding ------------------------------------------------------- */

static uint64_t cont_enter_exitless(struct rmi_rec_exit *exit)
{
	struct rmi_rec_enter enter;
	uint64_t ret;

	memset(&enter, 0, sizeof(enter));
	enter.flags = REC_ENTER_FLAG_RB_EXITLESS;
	assert_int_equal(host_mem_write(cont.run, &enter, sizeof(enter)), 0);
	ret = th_rmi(SMC_RMI_REC_ENTER, cont.rec, cont.run, 0, 0, 0, 0, NULL);
	assert_int_equal(
		host_mem_read(cont.run + offsetof(struct rmi_rec_run, exit), exit, sizeof(*exit)), 0);
	return ret;
}

static volatile bool sys_stop;
static unsigned sys_polls;

/* The System Realm on a host thread of its own, polling its channel as the library OS does. */
static void *sys_thread(void *arg)
{
	struct rmi_rec_enter enter;

	(void)arg;
	memset(&enter, 0, sizeof(enter));
	while (!sys_stop) {
		__atomic_add_fetch(&sys_polls, 1, __ATOMIC_SEQ_CST);
		host_mem_write(sys.run, &enter, sizeof(enter));
		th_rmi(SMC_RMI_REC_ENTER, sys.rec, sys.run, 0, 0, 0, 0, NULL);
	}
	return NULL;
}

/*
 * REC_ENTER_FLAG_RB_EXITLESS: a request nobody serves exits FORWARD after
 * the wait (COMPLETE then says the host must resume it: X1 0), and the
 * REC's next request is posted without a wait (the backoff: a forward exit
 * at once, counted as skipped); with the System Realm serving on another
 * thread, the request after that runs on in the same REC_ENTER (X1 1), and
 * the exit_group ends it, the results as ever.
 */
static void test_exitless(void **state)
{
	struct rmi_rec_exit exit;
	uint64_t hit0 = plat_counter_read(PLAT_CNT_EXITLESS);
	uint64_t miss0 = plat_counter_read(PLAT_CNT_EXITLESS_MISS);
	uint64_t skip0 = plat_counter_read(PLAT_CNT_EXITLESS_SKIP);
	uint64_t fwd0;
	pthread_t th;

	(void)state;
	ct.n = 3;
	ct.call[0].nr = 172;
	ct.call[1].nr = 0x1234;
	ct.call[2].nr = 0x1235;
	world_build_native();
	/* nobody serves: the wait runs out and the forward exit comes as without the flag */
	assert_int_equal(cont_enter_exitless(&exit), RMI_SUCCESS);
	assert_true(fx_exit_is_bare_forward(&exit));
	assert_int_equal(plat_counter_read(PLAT_CNT_EXITLESS_MISS) - miss0, 1);
	assert_int_equal(plat_counter_read(PLAT_CNT_EXITLESS) - hit0, 0);
	fx_sys_run(&sys);
	assert_int_equal(srv.nenosys, 1);
	assert_int_equal(srv.complete_x1, 0); /* the host resumes it */

	/* backing off: 0x1234 is posted without a wait, a forward exit at once */
	assert_int_equal(cont_enter_exitless(&exit), RMI_SUCCESS);
	assert_true(fx_exit_is_bare_forward(&exit));
	assert_int_equal(plat_counter_read(PLAT_CNT_EXITLESS_SKIP) - skip0, 1);
	assert_int_equal(plat_counter_read(PLAT_CNT_EXITLESS_MISS) - miss0, 1);
	fx_sys_run(&sys);
	assert_int_equal(srv.nenosys, 2);
	assert_int_equal(srv.complete_x1, 0);
	fwd0 = fx_counter(cont.r.rd, 0);

	/*
	 * The System Realm polls on another thread: the REC runs on in place,
	 * unless a wait runs out on a loaded machine (then a forward exit, and
	 * the host enters it again; the requests after it skip the wait).
	 */
	srv.poll = true;
	sys_stop = false;
	sys_polls = 0;
	assert_int_equal(pthread_create(&th, NULL, sys_thread, NULL), 0);
	while (__atomic_load_n(&sys_polls, __ATOMIC_SEQ_CST) < 2)
		sched_yield();
	unsigned forwards = 0, tries = 0;
	for (;;) {
		uint64_t ret = cont_enter_exitless(&exit);

		assert_true(++tries < 100000);
		if (ret != RMI_SUCCESS) {
			/* still PENDING or TAKEN: the System Realm has it */
			assert_int_equal(RMI_STATUS_CODE(ret), RMI_ERROR_REC);
			continue;
		}
		if (exit.exit_reason == RMI_EXIT_RB_FORWARD) {
			forwards++;
			continue;
		}
		if (exit.exit_reason != RMI_EXIT_IRQ)
			break;
	}
	sys_stop = true;
	pthread_join(th, NULL);
	assert_int_equal(exit.exit_reason, RMI_EXIT_RB_EXITED);
	assert_int_equal(exit.gprs[0], 42);
	assert_int_equal(ct.done, 3);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(ct.result[i], ENOSYS_RET);
	assert_int_equal(srv.enosys[2], 0x1235);
	/*
	 * Both requests (0x1235, exit_group) were forwarded. 0x1235 resumed in
	 * place or timed out (a forward exit); the exit_group never resumes in
	 * place: its REC_ENTER gives the forward exit (a miss if its wait ran
	 * out first, skipped if 0x1235's did) and the next one RB_EXITED, as
	 * the host enters an ended REC only when the System Realm names it.
	 */
	uint64_t hits = plat_counter_read(PLAT_CNT_EXITLESS) - hit0;
	uint64_t misses = plat_counter_read(PLAT_CNT_EXITLESS_MISS) - miss0 - 1;
	uint64_t skips = plat_counter_read(PLAT_CNT_EXITLESS_SKIP) - skip0 - 1;
	assert_int_equal(fx_counter(cont.r.rd, 0) - fwd0, 2);
	assert_true(hits <= 1);
	assert_int_equal(hits + forwards, 2);
	/* every forward exit but the exit_group's own is a miss */
	assert_true(misses + skips == forwards - 1 || misses + skips == forwards);
	/* a hit ends the backoff; a miss makes the next request skip its wait */
	assert_true(hits == 1 ? skips == 0 : skips == 1);
	assert_int_equal(srv.complete_x1, 0); /* the exit_group's COMPLETE leaves it to the host */
	printf("fasco: exitless: %llu of 2 requests resumed in place\n", (unsigned long long)hits);
	fx_cont_teardown(&cont, &sys);
	fx_inv_ok();
}

/* ---- Real A64 code: tests/guest/hello ---------------------------------------- */

static uint8_t *elf_img;
static size_t elf_len;
#define A64_STACK_VA 0x7ff000ULL

static void start_a64(struct native_guest *g)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)elf_img;
	static uint8_t page[GRANULE_SIZE];
	static struct rb_regs regs;
	unsigned k = 0;

	for (unsigned i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)(elf_img + eh->e_phoff) + i;
		uint64_t prot = 0;

		if (ph->p_type != PT_LOAD)
			continue;
		prot |= (ph->p_flags & PF_R) ? RB_PROT_R : 0;
		prot |= (ph->p_flags & PF_W) ? RB_PROT_W : 0;
		prot |= (ph->p_flags & PF_X) ? RB_PROT_X : 0;
		for (uint64_t va = ALIGN_DOWN(ph->p_vaddr, GRANULE_SIZE);
		     va < ph->p_vaddr + (srv.lazy ? ph->p_filesz : ph->p_memsz);
		     va += GRANULE_SIZE) {
			memset(page, 0, sizeof(page));
			for (uint64_t b = 0; b < GRANULE_SIZE; b++) {
				uint64_t a = va + b;

				if (a >= ph->p_vaddr && a < ph->p_vaddr + ph->p_filesz)
					page[b] = elf_img[ph->p_offset + (a - ph->p_vaddr)];
			}
			native_guest_write(g, SYS_PAGE_IPA, page, sizeof(page));
			start_status[k++ % 8] |= fx_sys_smc(g, SMC_RSI_RB_MAP, srv.chan_ipa, va,
							    CT_FRESH_IPA(srv.next_fresh++), prot,
							    SYS_PAGE_IPA, NULL);
		}
	}
	start_status[7] =
		fx_sys_smc(g, SMC_RSI_RB_MAP, srv.chan_ipa, A64_STACK_VA,
			   CT_FRESH_IPA(srv.next_fresh++), RB_PROT_R | RB_PROT_W, 0, NULL);
	memset(&regs, 0, sizeof(regs));
	regs.mask = RB_REGS_PC | RB_REGS_SP | BIT(0);
	regs.pc = eh->e_entry;
	regs.sp = A64_STACK_VA + GRANULE_SIZE;
	native_guest_write(g, SYS_REGS_IPA, &regs, sizeof(regs));
	start_status[6] =
		fx_sys_smc(g, SMC_RSI_RB_SET_REGS, srv.chan_ipa, SYS_REGS_IPA, 0, 0, 0, NULL);
	start_status[5] = fx_sys_smc(g, SMC_RSI_RB_COMPLETE, srv.chan_ipa, 0, RB_COMPLETE_KEEP_X0,
				     0, 0, NULL);
}

static bool load_guest(const char *name)
{
	char self[512], path[600];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	FILE *f;
	long len;

	if (n <= 0)
		return false;
	self[n] = 0;
	*strrchr(self, '/') = 0; /* BUILD/tests */
	snprintf(path, sizeof(path), "%s/../guest/%s", self, name);
	f = fopen(path, "rb");
	if (f == NULL)
		return false;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	elf_img = malloc((size_t)len);
	elf_len = (size_t)len;
	assert_int_equal(fread(elf_img, 1, elf_len, f), elf_len);
	fclose(f);
	return true;
}

static void test_forward_a64_hello(void **state)
{
	struct rmi_rec_exit exit;
	uint64_t fib50 = 12586269025ULL, c0[PLAT_CNT_NR], c1[PLAT_CNT_NR], rb0[4], rb1[4];
	unsigned forwards = 0;

	if (!load_guest("hello")) {
		printf("fasco: no guest binary 'hello' (make cpu builds it): skipped\n");
		skip();
	}
	memset(start_status, 0, sizeof(start_status));
	fx_sys_build(&sys);
	fx_cont_build(&cont, &sys, 0 /* no native guest: the A64 engine */, 0);
	srv.chan_ipa = cont.chan_ipa;
	srv.on_start = start_a64;
	fx_q.fn = serve;

	assert_int_equal(fx_cont_enter(&cont, &exit), RMI_SUCCESS);
	assert_true(fx_exit_is_bare_forward(&exit));
	fx_sys_run(&sys);
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(start_status[i], RSI_SUCCESS);

	for (;;) {
		assert_int_equal(fx_cont_enter(&cont, &exit), RMI_SUCCESS);
		if (exit.exit_reason == RMI_EXIT_RB_EXITED)
			break;
		assert_true(fx_exit_is_bare_forward(&exit));
		assert_true(++forwards < 10);
		if (forwards == 2) {
			fx_counters(cont.r.rd, rb0);
			plat_counters_snapshot(c0);
		}
		fx_sys_run(&sys);
		if (forwards == 2) {
			assert_int_equal(srv.nr, 64);
			assert_int_equal(fx_cont_enter(&cont, &exit), RMI_SUCCESS);
			assert_true(fx_exit_is_bare_forward(&exit));
			plat_counters_snapshot(c1);
			fx_counters(cont.r.rd, rb1);
			forwards++;
			printf("fasco: A64 write(1, buf, 17): REC entries %llu, REC exits %llu, "
			       "world switches %llu, RSI calls %llu, bytes copied %llu\n",
			       (unsigned long long)(c1[PLAT_CNT_REC_ENTER] -
						    c0[PLAT_CNT_REC_ENTER]),
			       (unsigned long long)(c1[PLAT_CNT_REC_EXIT] - c0[PLAT_CNT_REC_EXIT]),
			       (unsigned long long)(c1[PLAT_CNT_WORLD_SWITCH] -
						    c0[PLAT_CNT_WORLD_SWITCH]),
			       (unsigned long long)(c1[PLAT_CNT_RSI] - c0[PLAT_CNT_RSI]),
			       (unsigned long long)(rb1[3] - rb0[3]));
			fx_sys_run(&sys);
		}
	}
	/* probe (ENOSYS), write, exit_group: the guest's own exit code. */
	assert_int_equal(srv.nenosys, 1);
	assert_int_equal(srv.enosys[0], 0x1234);
	assert_int_equal(srv.ch.x[0], (fib50 + ENOSYS_RET) & 0x7f); /* exit_group's argument */
	assert_int_equal(exit.gprs[0], (fib50 + ENOSYS_RET) & 0x7f);
	assert_int_equal(srv.nout, 17);
	assert_memory_equal(srv.out, "hello from arm64\n", 17);
	fx_cont_teardown(&cont, &sys);
	fx_inv_ok();
	free(elf_img);
	elf_img = NULL;
}

/* storeloop with its 64 KiB .bss demand-paged: every first touch is a forwarded abort. */
static void test_forward_a64_demand_paging(void **state)
{
	static unsigned long buf[8192];
	struct rmi_rec_exit exit;
	unsigned long sum = 0;
	unsigned forwards = 0;

	if (!load_guest("storeloop")) {
		printf("fasco: no guest binary 'storeloop': skipped\n");
		skip();
	}
	for (unsigned long r = 0; r < 12000; r++)
		for (unsigned long j = 0; j < 8192; j++)
			buf[j] = (j ^ r) + (r << 3);
	for (unsigned long j = 0; j < 8192; j++)
		sum = sum * 31 + buf[j];

	memset(start_status, 0, sizeof(start_status));
	srv.lazy = true;
	fx_sys_build(&sys);
	fx_cont_build(&cont, &sys, 0, 0);
	srv.chan_ipa = cont.chan_ipa;
	srv.on_start = start_a64;
	fx_q.fn = serve;
	assert_int_equal(fx_cont_enter(&cont, &exit), RMI_SUCCESS);
	fx_sys_run(&sys);
	for (unsigned i = 0; i < 8; i++)
		assert_int_equal(start_status[i], RSI_SUCCESS);
	for (;;) {
		assert_int_equal(fx_cont_enter(&cont, &exit), RMI_SUCCESS);
		if (exit.exit_reason == RMI_EXIT_RB_EXITED)
			break;
		assert_true(fx_exit_is_bare_forward(&exit));
		assert_true(++forwards < 64);
		fx_sys_run(&sys);
	}
	printf("fasco: storeloop: %u forwards, %u demand-paged aborts\n", forwards, srv.aborts);
	assert_int_equal(srv.aborts, 16); /* the 64 KiB array, page by page */
	assert_int_equal(srv.nout, 8);
	assert_memory_equal(srv.out, &sum, 8);
	assert_int_equal(exit.gprs[0], sum & 0x7f);
	fx_cont_teardown(&cont, &sys);
	fx_inv_ok();
	free(elf_img);
	elf_img = NULL;
}

/* ---- Realm kinds ---------------------------------------------------------------- */

static void rim_of(uint64_t rd, uint8_t out[64])
{
	memcpy(out, rd_map(granule_find(rd))->measurement[0], 64);
}

static void test_realm_kinds(void **state)
{
	struct th_realm plain, plain_ext, sysr, c1, c2, bad;
	struct fx_sys s;
	uint8_t r_plain[64], r_plain_ext[64], r_sys[64], r_c1[64], r_c2[64];
	uint64_t ns = th_ns_granule();

	fx_sys_build(&s);
	/* Same spec parameters, different kinds: different RIMs; kind 0 = the spec's. */
	assert_int_equal(th_realm_create(&plain, NULL), RMI_SUCCESS);
	fx_realm_kind(&plain_ext, RB_REALM_KIND_PLAIN, 0, 0, 0, RMI_SUCCESS);
	fx_realm_kind(&sysr, RB_REALM_KIND_SYSTEM, 0, 0, 0, RMI_SUCCESS);
	fx_realm_kind(&c1, RB_REALM_KIND_CONTAINER, s.r.rd, 0x20000, 100, RMI_SUCCESS);
	fx_realm_kind(&c2, RB_REALM_KIND_CONTAINER, s.r.rd, 0x20000, 200, RMI_SUCCESS);
	rim_of(plain.rd, r_plain);
	rim_of(plain_ext.rd, r_plain_ext);
	rim_of(sysr.rd, r_sys);
	rim_of(c1.rd, r_c1);
	rim_of(c2.rd, r_c2);
	assert_memory_equal(r_plain, r_plain_ext, 64);
	assert_memory_not_equal(r_plain, r_sys, 64);
	assert_memory_not_equal(r_sys, r_c1, 64);
	assert_memory_not_equal(r_c1, r_c2, 64); /* the configuration range is measured */
	assert_int_equal(rd_map(granule_find(s.r.rd))->rb_bound, 2);

	/* Binding only to an existing System Realm. */
	fx_realm_kind(&bad, RB_REALM_KIND_CONTAINER, plain.rd, 0, 0, RMI_ERROR_INPUT);
	fx_realm_kind(&bad, RB_REALM_KIND_CONTAINER, c1.rd, 0, 0, RMI_ERROR_INPUT);
	fx_realm_kind(&bad, RB_REALM_KIND_CONTAINER, ns, 0, 0, RMI_ERROR_INPUT);
	fx_realm_kind(&bad, RB_REALM_KIND_CONTAINER, 0, 0, 0, RMI_ERROR_INPUT);
	fx_realm_kind(&bad, RB_REALM_KIND_CONTAINER, s.r.rd + 8, 0, 0, RMI_ERROR_INPUT);
	fx_realm_kind(&bad, RB_REALM_KIND_CONTAINER, s.rec, 0, 0, RMI_ERROR_INPUT);
	/* Unknown kind; fields a non-container must leave zero; config range. */
	fx_realm_kind(&bad, RB_REALM_KIND_NR, 0, 0, 0, RMI_ERROR_INPUT);
	fx_realm_kind(&bad, RB_REALM_KIND_SYSTEM, s.r.rd, 0, 0, RMI_ERROR_INPUT);
	fx_realm_kind(&bad, RB_REALM_KIND_PLAIN, 0, 0x1000, 0, RMI_ERROR_INPUT);
	fx_realm_kind(&bad, RB_REALM_KIND_CONTAINER, s.r.rd, 0x20000, RB_CONFIG_MAX + 1,
		      RMI_ERROR_INPUT);
	fx_realm_kind(&bad, RB_REALM_KIND_CONTAINER, s.r.rd, 0x123, 10, RMI_ERROR_INPUT);
	fx_realm_kind(&bad, RB_REALM_KIND_CONTAINER, s.r.rd, 1ULL << 39, 10, RMI_ERROR_INPUT);
	fx_realm_kind(&bad, RB_REALM_KIND_CONTAINER, s.r.rd, ~0xFFFULL, 0x2000, RMI_ERROR_INPUT);

	/* The System Realm outlives its containers. */
	assert_int_equal(th_rmi(SMC_RMI_REC_DESTROY, s.rec, 0, 0, 0, 0, 0, NULL), RMI_SUCCESS);
	th_realm_destroy_all(&c1, NULL, 0, 1ULL << 39);
	fx_inv_ok();
	assert_int_equal(rd_map(granule_find(s.r.rd))->rb_bound, 1);
	assert_int_equal(th_rmi(SMC_RMI_REALM_DESTROY, s.r.rd, 0, 0, 0, 0, 0, NULL),
			 RMI_STATUS(RMI_ERROR_REALM, 0));
	th_realm_destroy_all(&c2, NULL, 0, 1ULL << 39);
	th_realm_destroy_all(&s.r, NULL, 0, 1ULL << 39);
	fx_inv_ok();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_forward_write_native, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_forward_results, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_exitless, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_forward_a64_hello, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_forward_a64_demand_paging, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_realm_kinds, setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
