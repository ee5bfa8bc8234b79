/*
 * The realm PAL's task half (pal_realm.h): the System Realm kernel's main
 * loop, one kernel thread per container REC, serving requests through the
 * library OS, fork into a free REC (RSI_RB_FORK_PAGE / FORK_REGS),
 * registers (channel, GET_REGS, SET_REGS), blocking, and the host calls for
 * files, console and time.
 *
 * Kernel threads are cooperative: one runs at a time on the System Realm's
 * vCPU and gives the vCPU up only in r_wait or while a console read finds
 * nothing, so the library OS lock is a no-op and the shared buffers (host
 * call struct, register block, bounce buffer, NS buffer) are used by one
 * PAL call at a time.
 */
#include "libos/pal_realm_int.h"

#include "arch/esr.h"
#include "arch/rmi.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/string.h"
#include "libos/libos.h"
#include "libos/klib.h"

#ifndef ETIMEDOUT
#define ETIMEDOUT 110
#endif

#define SYS_EXECVE 221
#define SYS_EXECVEAT 281
#define SYS_RT_SIGRETURN 139
#define SYS_EXIT 93
#define SYS_EXIT_GROUP 94

#define CONSOLE_POLL_NS 5000000ULL /* a console read that found nothing sleeps this long */

/* ---- host calls ---------------------------------------------------------------- */

static uint64_t host_call_for(unsigned imm, unsigned ct1, const uint64_t *args, unsigned n,
			      uint64_t *out);

uint64_t pal_realm_host_call(unsigned imm, const uint64_t *args, unsigned n, uint64_t *out)
{
	bool sys = imm == PRH_IDLE || imm == PRH_SLEEP || !prm_cur;

	/* every call but the System Realm's own names the container it is for */
	return host_call_for(imm, sys ? 0u : R.ct + 1, args, n, out);
}

/* A host call naming container ct1 - 1 (0: none). */
static uint64_t host_call_for(unsigned imm, unsigned ct1, const uint64_t *args, unsigned n,
			      uint64_t *out)
{
	struct rsi_host_call *hc = RS.e.hc;

	memset(hc, 0, sizeof(*hc));
	hc->imm = PRH_IMM(imm & 0xFFu, ct1);
	for (unsigned i = 0; i < n && i < RSI_HOST_CALL_NR_GPRS; i++)
		hc->gprs[i] = args[i];
	if (prm_cur)
		R.st.host_calls++;
	prm_smc(SMC_RSI_HOST_CALL, RS.e.hc_ipa, 0, 0, 0, 0, NULL);
	if (out)
		memcpy(out, (const void *)hc->gprs, sizeof(hc->gprs));
	return hc->gprs[0];
}

int pal_realm_read_config(uint64_t off, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		size_t n = len < RB_COPY_MAX ? len : RB_COPY_MAX;
		uint64_t got;

		if (prm_smc(SMC_RSI_RB_READ_CONFIG, R.e.chan_ipa[0], off, R.e.bounce_ipa, n, 0,
			    &got) != RSI_SUCCESS ||
		    got != n)
			return -EFAULT;
		memcpy(p, R.e.bounce, n);
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

uint64_t pal_realm_config_size(void)
{
	return R.e.chan[0]->config_size;
}

static uint64_t now_ns(void)
{
	return RS.e.counter_ns(RS.e.guest, PAL_CLOCK_MONOTONIC);
}

/* ---- kernel threads ------------------------------------------------------------ */

static struct rrec *rr_of(struct pal_task *t)
{
	return (struct rrec *)(void *)t;
}

static unsigned rec_of(const struct rrec *rr)
{
	return (unsigned)(rr - R.recs);
}

/* The kernel-thread switch (kthread.h) onto the deployment's. */
static void kt_sw(unsigned from, unsigned to)
{
	RS.e.kt_switch(RS.e.guest, from, to);
}

/* Container c's REC k runs on kernel thread gk (context gk + 1). */
static unsigned gk_of(unsigned c, unsigned k)
{
	return c * PAL_REALM_MAX_RECS + k;
}

/* Kernel thread gk's record: its REC's, or an idle one for a REC no container has. */
static struct kthread *kt_at(unsigned gk)
{
	static struct kthread none; /* stays KTHREAD_IDLE: the scheduler never runs it */
	unsigned c = gk / PAL_REALM_MAX_RECS, k = gk % PAL_REALM_MAX_RECS;

	if (c >= PAL_REALM_MAX_CTS || !RS.cts[c] || k >= RS.cts[c]->e.nrecs)
		return &none;
	return &RS.cts[c]->recs[k].kt;
}

void prm_select(struct pal_realm_state *ct)
{
	prm_cur = ct;
	if (ct->kernel)
		libos_select(ct->kernel);
}

/* The vCPU goes to kernel thread gk (REC_NONE: the scheduler): its container becomes current. */
static void kt_on_run(unsigned gk)
{
	if (gk == REC_NONE) {
		if (prm_cur)
			R.running = REC_NONE; /* the container whose thread gave the vCPU up */
		return;
	}
	prm_select(RS.cts[gk / PAL_REALM_MAX_RECS]);
	R.running = R.cur_rec = gk % PAL_REALM_MAX_RECS;
}

/* Give the vCPU back to the scheduler until woken (or the deadline, 0: none). */
static void kt_block(uint64_t deadline)
{
	kthread_block(&RS.ks, deadline);
}

static void serve(unsigned k);

static void kt_entry(void)
{
	serve(R.running);
	kthread_finish(&RS.ks, KTHREAD_IDLE);
}

static bool chan_pending(unsigned k)
{
	return __atomic_load_n(&R.e.chan[k]->state, __ATOMIC_ACQUIRE) == RB_CHAN_PENDING;
}

/* TAKE channel k's request and start serving it: whether it was taken. */
static bool take(unsigned k)
{
	uint64_t x[11] = {SMC_RSI_RB_TAKE, R.e.chan_ipa[k]};
	struct rrec *rr = &R.recs[k];

	if (rr->kt.state != KTHREAD_IDLE) {
		/* still finishing its last request: take this one once it has */
		R.retake |= 1ULL << k;
		return false;
	}
	R.retake &= ~(1ULL << k);
	if (!chan_pending(k))
		return false; /* already taken (polling found it first) */
	R.st.rsi_calls++;
	R.e.smc(R.e.guest, x);
	if (x[0] != RSI_SUCCESS)
		return false; /* its REC_ENTER is still on its way out: the host names it again */
	rr->kind = x[1];
	rr->taken = true;
	rr->kt.state = KTHREAD_RUNNABLE;
	R.e.kt_start(R.e.guest, gk_of(R.ct, k) + 1, kt_entry);
	return true;
}

/*
 * The runtime's ps (PRH_CMD_PS): pid, parent, state and name of each
 * container process, as many as the NS buffer holds, into a PRH_PS call.
 * Nothing else of the container leaves the realm this way.
 */
static void report_ps(void)
{
	struct libos_proc_info ps[64];
	struct pal_realm_ps rec;
	uint64_t a[1] = {0};
	int n = R.started && !R.ended ? libos_ps(ps, 64) : 0;

	for (int i = 0; i < n && i < 64 && (a[0] + 1) * sizeof(rec) <= R.e.ns_size; i++) {
		memset(&rec, 0, sizeof(rec));
		rec.pid = (uint32_t)ps[i].pid;
		rec.ppid = (uint32_t)ps[i].ppid;
		rec.state = ps[i].state;
		memcpy(rec.comm, ps[i].comm, sizeof(rec.comm));
		rec.comm[sizeof(rec.comm) - 1] = 0;
		memcpy((uint8_t *)R.e.ns + a[0] * sizeof(rec), &rec, sizeof(rec));
		a[0]++;
	}
	pal_realm_host_call(PRH_PS, a, 1, NULL);
}

/*
 * PRH_CMD_EXEC: a process from outside (runc exec). The request is the
 * host's: copied out of the NS buffer first (host calls reuse it), every
 * count, length and string checked. The new process waits for a REC that
 * never ran: the host enters it, its first entry posts START, and serve()
 * maps the staged image there (as for init on REC 0).
 */
static int64_t spawn_from_outside(uint64_t len)
{
	static char req[65536];
	static char *args[PAL_REALM_EXEC_MAX_STRINGS + 1], *env[PAL_REALM_EXEC_MAX_STRINGS + 1];
	struct pal_realm_exec h;
	char errbuf[160];
	unsigned k;

	if (!R.started || R.ended)
		return -ESRCH;
	if (!R.exec_allowed)
		return -EPERM; /* the container's owner did not allow it (measured) */
	if (len < sizeof(h) + 2 || len > sizeof(req) || len > R.e.ns_size)
		return -EINVAL;
	memcpy(req, R.e.ns, len);
	memcpy(&h, req, sizeof(h));
	if (h.argc == 0 || h.argc > PAL_REALM_EXEC_MAX_STRINGS ||
	    h.envc > PAL_REALM_EXEC_MAX_STRINGS || h.console_base < 3 ||
	    h.console_base > LIBOS_CONSOLE_MAX - 3 || h.terminal > 1 || h.reserved != 0)
		return -EINVAL;
	/* the strings: cwd, args, env, each NUL-terminated inside the request */
	char *p = req + sizeof(h), *end = req + len, *cwd = NULL;
	for (uint32_t i = 0; i < 1 + h.argc + h.envc; i++) {
		char *z = p;

		while (z < end && *z)
			z++;
		if (p >= end || z >= end)
			return -EINVAL;
		if (i == 0)
			cwd = p;
		else if (i <= h.argc)
			args[i - 1] = p;
		else
			env[i - 1 - h.argc] = p;
		p = z + 1;
	}
	args[h.argc] = NULL;
	env[h.envc] = NULL;
	if (cwd[0] != '/')
		return -EINVAL;
	for (k = 1; k < R.e.nrecs; k++)
		if (R.recs[k].use == REC_FREE && R.recs[k].kt.state == KTHREAD_IDLE &&
		    !R.recs[k].forking && !R.recs[k].exec_start)
			break;
	if (k >= R.e.nrecs)
		return -EAGAIN; /* every REC has run a process: a fresh one needs a REC never
				   started */
	struct libos_spawn_req sr = {
		.args = args,
		.env = env,
		.cwd = cwd,
		.uid = h.uid,
		.gid = h.gid,
		.console_base = (int)h.console_base,
		.terminal = h.terminal != 0,
		.rows = (unsigned short)(h.winsize >> 16),
		.cols = (unsigned short)(h.winsize & 0xffff),
	};
	R.spawn_rec = k;
	int pid = libos_spawn(&sr, errbuf, sizeof(errbuf));
	R.spawn_rec = REC_NONE;
	if (pid < 0) {
		lib_log(LOG_INFO, "pal_realm", "exec: %s", errbuf);
		return pid;
	}
	R.completed |= 1ULL << k; /* the host enters it: its START brings the process in */
	return pid;
}

void pal_realm_allow_exec(bool allow)
{
	R.exec_allowed = allow;
}

/* PRH_CMD_STATS: counters only (no content of the container leaves this way). */
static int64_t report_stats(void)
{
	struct libos_stats st;
	struct pal_realm_live lv;

	if (!R.started || R.ended || sizeof(lv) > R.e.ns_size || libos_stats_now(&st) != 0)
		return -ESRCH;
	lv = (struct pal_realm_live){st.mem_pages, st.pids_current, st.syscalls,
				     st.enosys,	   st.oom_kills,    st.pids_refused};
	memcpy(R.e.ns, &lv, sizeof(lv));
	return (int64_t)sizeof(lv);
}

static int64_t outside_cmd(uint64_t cmd, uint64_t arg)
{
	int st = 0, r;

	switch (cmd) {
	case PRH_CMD_STATS:
		return report_stats();
	case PRH_CMD_EXEC:
		return spawn_from_outside(arg);
	case PRH_CMD_EXEC_STATUS:
		if (arg == 0 || arg > 0x7fffffff)
			return -EINVAL;
		r = libos_spawn_status((int)arg, &st);
		return r < 0 ? r : st;
	case PRH_CMD_ATTEST:
		return prm_attest_from_outside(arg);
	case PRH_CMD_WINSIZE:
		if ((arg >> 32) > 0x7fffffff)
			return -EINVAL;
		if (!R.started || R.ended)
			return -ESRCH;
		if (arg >> 32)
			return libos_spawn_winsize((int)(arg >> 32), (unsigned)(arg >> 16) & 0xffff,
						   (unsigned)(arg & 0xffff));
		return libos_winsize(0, (unsigned)(arg >> 16) & 0xffff, (unsigned)(arg & 0xffff));
	case PRH_CMD_KILL_PID:
		/* only a process started from outside: init has PRH_CMD_SIGNAL */
		if ((arg >> 8) <= 1 || (arg >> 8) > 0x7fffffff || (arg & 0xff) == 0 ||
		    (arg & 0xff) > 64 || !R.started || R.ended)
			return -EINVAL;
		return libos_kill((int)(arg >> 8), (int)(arg & 0xff));
	default:
		return -EINVAL;
	}
}

/* The host's poll budget is bounded here: beyond it the vCPU is better given back. */
#define POLL_MAX_NS 1000000ULL

/*
 * Exitless forwarding: with nothing to run and nothing the host must hear
 * of, look at the channels for up to RS.poll_ns (and not past the next
 * deadline, `next` ns away) before idling, and take what was posted.
 * Returns whether anything was taken.
 */
static bool poll_channels(uint64_t next)
{
	uint64_t t0, budget = RS.poll_ns < next ? RS.poll_ns : next;
	bool found = false, any = false;

	if (budget == 0)
		return false;
	for (unsigned c = 0; c < PAL_REALM_MAX_CTS; c++) {
		struct pal_realm_state *s = RS.cts[c];

		if (s && s->completed)
			return false; /* the host must hear of those first */
		any = any || (s && s->started && !s->ended);
	}
	if (!any)
		return false;
	t0 = now_ns();
	do {
		for (unsigned c = 0; c < PAL_REALM_MAX_CTS; c++) {
			if (!RS.cts[c] || !RS.cts[c]->started || RS.cts[c]->ended)
				continue;
			prm_select(RS.cts[c]);
			for (unsigned k = 0; k < R.e.nrecs; k++) {
				if (R.recs[k].kt.state == KTHREAD_IDLE && take(k))
					found = true;
			}
		}
		if (found)
			return true;
		RS.e.relax(RS.e.guest);
	} while (now_ns() - t0 < budget);
	return false;
}

static int ct_add(const struct pal_realm_env *env, unsigned c);

/* PRH_CMD_ADD_CT: container slot c, described by the host in len bytes of the NS buffer. */
static int add_container(unsigned c, uint64_t len)
{
	struct pal_realm_env env;
	int r;

	if (c >= PAL_REALM_MAX_CTS)
		return -EINVAL;
	if (RS.cts[c])
		return -EBUSY;
	if (!RS.hooks.add_ct)
		return -EOPNOTSUPP;
	env = RS.e; /* the System Realm's buffers; the hook adds the container's own */
	env.nrecs = 0;
	env.meta = NULL;
	env.stage = NULL;
	r = RS.hooks.add_ct(RS.hooks.arg, c, len, &env);
	if (r)
		return r;
	r = ct_add(&env, c);
	if (r && RS.hooks.drop_ct)
		RS.hooks.drop_ct(RS.hooks.arg, c);
	return r;
}

/*
 * A channel page the host destroyed (RIPAS DESTROYED) becomes RAM again,
 * so a later container's channel can be made there: RSI_IPA_STATE_SET,
 * which the host may refuse. A page still holding a channel stays as it is.
 */
static int reclaim_page(uint64_t ipa)
{
	uint64_t base = ipa, top = ipa + PG;

	while (base < top) {
		uint64_t x[11] = {SMC_RSI_IPA_STATE_SET, base, top, RIPAS_RAM,
				  RSI_CHANGE_DESTROYED};

		RS.e.smc(RS.e.guest, x);
		if (x[0] != RSI_SUCCESS || x[2] != RSI_ACCEPT || x[1] <= base || x[1] > top)
			return -EIO;
		base = x[1];
	}
	return 0;
}

/*
 * PRH_CMD_DROP_CT: slot c's container has ended (or never started): its
 * library OS instance is finished and the slot freed. Its kernel threads,
 * if any is still blocked, are never run again (kt_at finds no container).
 * Then the pages of its channels (the host destroys them first) are RAM
 * again for the slot's next container. 0, or the size of its library OS's
 * counters at its end (struct pal_realm_live) in the NS buffer.
 */
static int drop_container(unsigned c)
{
	struct pal_realm_state *s = c < PAL_REALM_MAX_CTS ? RS.cts[c] : NULL;
	uint64_t chans[PAL_REALM_MAX_RECS];
	struct pal_realm_live lv;
	bool have = false;
	unsigned n;

	if (!s)
		return -ESRCH;
	if (s->started && !s->ended)
		return -EBUSY; /* a running container is not the host's to drop */
	n = s->e.nrecs;
	memcpy(chans, s->e.chan_ipa, sizeof(chans));
	if (s->kernel) {
		struct libos_stats st;

		libos_select(s->kernel);
		libos_fini();
		libos_get_stats(&st); /* the finished instance's */
		lv = (struct pal_realm_live){
			0, 0, st.syscalls, st.enosys, st.oom_kills, st.pids_refused};
		have = sizeof(lv) <= RS.e.ns_size;
	}
	RS.cts[c] = NULL;
	if (prm_cur == s)
		prm_cur = NULL;
	for (unsigned o = 0; o < PAL_REALM_MAX_CTS && !prm_cur; o++)
		if (RS.cts[o])
			prm_select(RS.cts[o]);
	if (RS.hooks.drop_ct)
		RS.hooks.drop_ct(RS.hooks.arg, c);
	for (unsigned k = 0; k < n; k++)
		if (reclaim_page(chans[k]))
			lib_log(LOG_WARN, "pal_realm", "slot %u: channel page %u not RAM again", c,
				k);
	if (!have)
		return 0;
	/* its counters at its end, last in the NS buffer (a log above may have used it) */
	memcpy(RS.e.ns, &lv, sizeof(lv));
	return (int)sizeof(lv);
}

unsigned pal_realm_current_ct(void)
{
	return prm_cur ? R.ct : 0;
}

void pal_realm_run(const struct pal_realm_hooks *hooks)
{
	uint64_t out[RSI_HOST_CALL_NR_GPRS];

	RS.hooks = *hooks;
	for (;;) {
		kthread_run_ready(&RS.ks);
		for (unsigned c = 0; c < PAL_REALM_MAX_CTS; c++) {
			if (!RS.cts[c] || !RS.cts[c]->retake)
				continue;
			prm_select(RS.cts[c]);
			for (unsigned k = 0; R.retake && k < R.e.nrecs; k++)
				if (R.retake & (1ULL << k))
					take(k);
		}
		kthread_run_ready(&RS.ks);
		uint64_t next = kthread_check_deadlines(&RS.ks, NULL);
		if (next) {
			uint64_t now = now_ns();
			next = next > now ? next - now : 0;
		} else {
			next = UINT64_MAX;
		}
		if (next && kthread_any_runnable(&RS.ks))
			next = 0;
		if (next && poll_channels(next))
			continue;
		/* what each container's RECs may do now: completed channels, its end */
		uint64_t a[1 + 2 * PAL_REALM_MAX_CTS] = {next};
		for (unsigned c = 0; c < PAL_REALM_MAX_CTS; c++) {
			struct pal_realm_state *s = RS.cts[c];

			if (!s)
				continue;
			a[1 + 2 * c] = s->completed;
			a[2 + 2 * c] = s->ended ? (uint64_t)(s->end_status & 0xFF) + 1 : 0;
			s->completed = 0;
		}
		pal_realm_host_call(PRH_IDLE, a, 1 + 2 * PAL_REALM_MAX_CTS, out);
		RS.poll_ns = out[2] > POLL_MAX_NS ? POLL_MAX_NS : out[2];
		if (out[0] == PRH_CMD_SHUTDOWN)
			break;
		if (out[0] == PRH_CMD_TICK)
			continue;
		if (out[0] == PRH_CMD_ADD_CT || out[0] == PRH_CMD_DROP_CT) {
			/* the result names the slot, if the host named one */
			unsigned c =
				out[3] < PAL_REALM_MAX_CTS ? (unsigned)out[3] : PAL_REALM_MAX_CTS;
			int r = out[0] == PRH_CMD_ADD_CT ? add_container(c, out[1])
							 : drop_container(c);
			uint64_t res[1] = {(uint64_t)(int64_t)r};

			if (r < 0)
				lib_log(LOG_WARN, "pal_realm",
					"host command %llu for slot %llu: %d",
					(unsigned long long)out[0], (unsigned long long)out[3], r);
			host_call_for(PRH_RESULT, c < PAL_REALM_MAX_CTS ? c + 1 : 0, res, 1, NULL);
			continue;
		}
		/* every other command is for one container: the host names it */
		if (out[3] >= PAL_REALM_MAX_CTS || !RS.cts[out[3]]) {
			lib_log(LOG_WARN, "pal_realm",
				"host command %llu names container %llu: not served here",
				(unsigned long long)out[0], (unsigned long long)out[3]);
			continue;
		}
		prm_select(RS.cts[out[3]]);
		if (out[0] == PRH_CMD_NET) {
			if (R.started && !R.ended)
				libos_external_event();
			continue;
		}
		if (out[0] == PRH_CMD_SIGNAL) {
			if (out[1] > 0 && out[1] <= 64 && R.started && !R.ended)
				libos_kill(1, (int)out[1]);
			else if (out[1] > 0 && out[1] <= 64 && !R.ended)
				R.early_sigs |= 1ULL << (out[1] - 1); /* init is not there yet */
			continue;
		}
		if (out[0] == PRH_CMD_PS) {
			report_ps();
			continue;
		}
		if (out[0] == PRH_CMD_EXEC || out[0] == PRH_CMD_EXEC_STATUS ||
		    out[0] == PRH_CMD_KILL_PID || out[0] == PRH_CMD_ATTEST ||
		    out[0] == PRH_CMD_STATS || out[0] == PRH_CMD_WINSIZE) {
			uint64_t res[1] = {(uint64_t)outside_cmd(out[0], out[1])};

			pal_realm_host_call(PRH_RESULT, res, 1, NULL);
			continue;
		}
		if (out[0] != PRH_CMD_SERVE)
			continue;
		for (unsigned k = 0; k < R.e.nrecs; k++)
			if (out[1] & (1ULL << k))
				take(k);
	}
}

/* ---- PAL: blocking ------------------------------------------------------------- */

static int r_wait(void *c, uint32_t *word, uint32_t expected, int64_t timeout_ns)
{
	(void)c;
	if (__atomic_load_n(word, __ATOMIC_ACQUIRE) != expected)
		return 0;
	if (R.running == REC_NONE) {
		/* not on a kernel thread (not reached): sleep on the host a little */
		uint64_t a[1] = {timeout_ns >= 0 && timeout_ns < 1000000 ? (uint64_t)timeout_ns
									 : 1000000};
		pal_realm_host_call(PRH_SLEEP, a, 1, NULL);
		return 0;
	}
	kt_block(timeout_ns >= 0 ? now_ns() + (uint64_t)timeout_ns + 1 : 0);
	return R.recs[R.running].kt.timed_out ? -ETIMEDOUT : 0;
}

static void r_wake(void *c, uint32_t *word)
{
	(void)c;
	(void)word; /* the library OS waits on one event word */
	kthread_wake_all(&RS.ks);
}

static void r_lock(void *c)
{
	(void)c;
}

static void r_unlock(void *c)
{
	(void)c;
}

/* ---- registers ------------------------------------------------------------------ */

/* The request's registers as the RMM recorded them in the channel. */
static void load_regs(struct rrec *rr)
{
	const volatile struct rb_channel *ch = R.e.chan[rec_of(rr)];

	/* x9..x30 are not forwarded: keep what we last saw (SET_REGS only sends changes) */
	for (int i = 0; i < 9; i++)
		rr->cur.x[i] = ch->x[i];
	rr->cur.pc = ch->pc;
	rr->cur.sp = ch->sp;
	rr->cur.tpidr = ch->tpidr;
	rr->orig = rr->cur;
	rr->full = false;
	rr->fp_valid = false;
	rr->fp_dirty = false;
	rr->exec_done = false;
}

/* GET_REGS of the REC's taken request into the register block. */
static int fetch_full(struct rrec *rr)
{
	if (!rr->taken)
		return -EINVAL;
	R.st.get_regs++;
	if (prm_smc(SMC_RSI_RB_GET_REGS, R.e.chan_ipa[rec_of(rr)], R.e.regs_ipa, 0, 0, 0, NULL) !=
	    RSI_SUCCESS)
		return -EIO;
	return 0;
}

static void fp_from_block(struct pal_fpsimd *f)
{
	const struct rb_regs *b = R.e.regs;

	memcpy(f->v, b->fp_q, sizeof(f->v));
	f->fpcr = b->fpcr;
	f->fpsr = b->fpsr;
}

static void r_get_regs(void *c, struct pal_task *t, struct pal_regs *r)
{
	(void)c;
	*r = rr_of(t)->cur;
}

static void r_get_regs_full(void *c, struct pal_task *t, struct pal_regs *r)
{
	struct rrec *rr = rr_of(t);
	const struct rb_regs *b = R.e.regs;

	(void)c;
	if (rr->full || fetch_full(rr))
		return;
	/* x9..x30 and pstate as they are; what the library OS changed already stays */
	for (int i = 9; i < 31; i++) {
		if (r->x[i] == rr->orig.x[i])
			r->x[i] = b->x[i];
		rr->orig.x[i] = b->x[i];
		rr->cur.x[i] = r->x[i];
	}
	if (r->pstate == rr->orig.pstate)
		r->pstate = b->pstate;
	rr->orig.pstate = b->pstate;
	rr->cur.pstate = r->pstate;
	if (!rr->fp_valid) {
		fp_from_block(&rr->fp);
		rr->fp_valid = true;
	}
	rr->full = true;
}

static void r_set_regs(void *c, struct pal_task *t, const struct pal_regs *r)
{
	(void)c;
	rr_of(t)->cur = *r;
}

static void r_get_fpsimd(void *c, struct pal_task *t, struct pal_fpsimd *f)
{
	struct rrec *rr = rr_of(t);

	(void)c;
	if (!rr->fp_valid) {
		if (fetch_full(rr) == 0)
			fp_from_block(&rr->fp);
		else
			memset(&rr->fp, 0, sizeof(rr->fp));
		rr->fp_valid = true;
	}
	*f = rr->fp;
}

static void r_set_fpsimd(void *c, struct pal_task *t, const struct pal_fpsimd *f)
{
	struct rrec *rr = rr_of(t);

	(void)c;
	rr->fp = *f;
	rr->fp_valid = true;
	rr->fp_dirty = true;
}

/* Registers of rr that differ from base (all: every one), as a SET_REGS block. */
static uint64_t regs_delta(const struct rrec *rr, const struct pal_regs *base, bool all)
{
	struct rb_regs *out = R.e.regs;
	const struct pal_regs *cur = &rr->cur;
	uint64_t mask = 0;

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < 31; i++) {
		out->x[i] = cur->x[i];
		if (all || cur->x[i] != base->x[i])
			mask |= 1ULL << i;
	}
	out->pc = cur->pc;
	out->sp = cur->sp;
	out->tpidr = cur->tpidr;
	out->pstate = cur->pstate & 0xF0000000ULL;
	if (all || cur->pc != base->pc)
		mask |= RB_REGS_PC;
	if (all || cur->sp != base->sp)
		mask |= RB_REGS_SP;
	if (all || cur->tpidr != base->tpidr)
		mask |= RB_REGS_TPIDR;
	/*
	 * all: the library OS set every register (START, execve, rt_sigreturn's
	 * frame), flags included. Otherwise cur's flags may be stale (they come
	 * only with GET_REGS), so they go only if the library OS changed them.
	 */
	if (all || cur->pstate != base->pstate)
		mask |= RB_REGS_PSTATE;
	if (rr->fp_dirty) {
		memcpy(out->fp_q, rr->fp.v, sizeof(out->fp_q));
		out->fpcr = rr->fp.fpcr;
		out->fpsr = rr->fp.fpsr;
		mask |= RB_REGS_FP;
	}
	out->mask = mask;
	return mask;
}

static void set_regs(unsigned k, uint64_t mask)
{
	if (!mask)
		return;
	R.st.set_regs++;
	if (prm_smc(SMC_RSI_RB_SET_REGS, R.e.chan_ipa[k], R.e.regs_ipa, 0, 0, 0, NULL) !=
	    RSI_SUCCESS)
		lib_log(LOG_WARN, "pal_realm", "SET_REGS refused (REC %u)", k);
}

static void kick(unsigned k)
{
	R.st.kicks++;
	prm_smc(SMC_RSI_RB_KICK, R.e.chan_ipa[k], 0, 0, 0, 0, NULL);
}

static void complete(unsigned k, uint64_t result, uint64_t flags)
{
	struct rrec *rr = &R.recs[k];

	uint64_t resumed = 0;

	/* a signal is pending for it: a KICK request comes at once, before any user code */
	if (rr->kick_after && !(flags & RB_COMPLETE_EXIT)) {
		flags |= RB_COMPLETE_KICK;
		R.st.kicks++;
	}
	rr->kick_after = false;
	prm_smc(SMC_RSI_RB_COMPLETE, R.e.chan_ipa[k], result, flags, 0, 0, &resumed);
	rr->taken = false;
	/* a REC the RMM resumes itself (exitless) needs no word to the host */
	if (resumed != 1)
		R.completed |= 1ULL << k;
}

/*
 * The REC's process or thread is gone; the REC may be reused. The last REC
 * of an address space unmaps what is left of it; a thread leaves the
 * others' memory alone (the RMM drops its reference at COMPLETE).
 */
static void complete_exit(unsigned k, int status)
{
	struct rrec *rr = &R.recs[k];
	uint8_t id = rr->cur_as;

	if (id != 0 && prm_as_others(id, k) == 0) {
		prm_unmap_as(id, k);
	} else if (id != 0 && R.as[id].rec == k) {
		for (unsigned j = 0; j < R.e.nrecs; j++)
			if (j != k && R.recs[j].cur_as == id && R.recs[j].use == REC_BUSY) {
				R.as[id].rec = (uint8_t)j;
				break;
			}
	}
	complete(k, (uint64_t)(status & 0xFF), RB_COMPLETE_EXIT);
	/*
	 * Only REC 0's end once the container is over is news for the host
	 * (its status). Another REC (or REC 0 while the init process goes on
	 * in other threads, or after an execve from one of them) would only
	 * answer RB_EXITED, and it may be reused before the host got round to
	 * entering it.
	 */
	if (k != 0 || !R.ended)
		R.completed &= ~(1ULL << k);
	if (rr->use == REC_BUSY && R.ntasks)
		R.ntasks--;
	rr->use = REC_ENDED;
	rr->task = NULL;
	rr->dead = false;
	rr->cur_as = 0;
}

/* Send the changed registers (if any) and complete the request. */
static void finish(unsigned k, bool all)
{
	struct rrec *rr = &R.recs[k];
	uint64_t nr = rr->orig.x[8];

	if (rr->kind == RB_REQ_SYSCALL &&
	    (nr == SYS_RT_SIGRETURN || (rr->exec_done && (nr == SYS_EXECVE || nr == SYS_EXECVEAT))))
		all = true;
	uint64_t mask = regs_delta(rr, &rr->orig, all);
	if (rr->kind == RB_REQ_SYSCALL && (mask & ~1ULL) == 0) {
		complete(k, rr->cur.x[0], 0);
		return;
	}
	set_regs(k, mask);
	complete(k, 0, RB_COMPLETE_KEEP_X0);
}

/* ---- serving a request ------------------------------------------------------------ */

static void start_done(int err)
{
	struct rrec *rr = &R.recs[0];

	if (err || rr->use != REC_BUSY) {
		R.ended = true;
		R.end_status = err == -EACCES || err == -ENOEXEC ? 126 : 127;
		complete_exit(0, R.end_status);
		return;
	}
	memset(&rr->orig, 0, sizeof(rr->orig));
	rr->kind = RB_REQ_START;
	rr->full = true;
	finish(0, true);
}

static enum libos_exc_kind exc_kind(uint64_t kind, uint64_t esr)
{
	switch (kind) {
	case RB_REQ_SYSCALL:
		return LIBOS_EXC_SVC;
	case RB_REQ_ABORT:
		return ESR_EC(esr) == EC_IABT_LOW ? LIBOS_EXC_IABT : LIBOS_EXC_DABT;
	case RB_REQ_KICK:
		return LIBOS_EXC_IRQ;
	default:
		break;
	}
	switch (ESR_EC(esr)) {
	case EC_BRK64:
		return LIBOS_EXC_BRK;
	case EC_PC_ALIGN:
		return LIBOS_EXC_PC_ALIGN;
	default:
		return LIBOS_EXC_UNDEF;
	}
}

static void serve(unsigned k)
{
	struct rrec *rr = &R.recs[k];
	const volatile struct rb_channel *ch = R.e.chan[k];
	struct libos_exc le;

	R.cur_rec = k;
	if (rr->kind == RB_REQ_START && k != 0 && rr->exec_start) {
		/* a process from outside (spawn_from_outside): its image comes in now */
		rr->exec_start = false;
		if (rr->dead || !rr->task || R.ended || prm_map_staged(rr->cur_as, k) ||
		    prm_apply_pokes(rr->cur_as, k)) {
			complete_exit(k, 128 + 9);
			return;
		}
		memset(&rr->orig, 0, sizeof(rr->orig));
		rr->full = true;
		finish(k, true);
		return;
	}
	if (rr->kind == RB_REQ_START) {
		if (k != 0 || R.started) {
			complete_exit(k, 128 + 9); /* only the init process starts */
			return;
		}
		R.started = true;
		int err = RS.hooks.start ? RS.hooks.start(RS.hooks.arg) : -ENOSYS;

		/* its library OS instance (libos_init selected it) */
		R.kernel = libos_current();
		start_done(err);
		/* signals the host sent before init existed, lowest first, as a kernel queues them */
		for (int sig = 1; err == 0 && sig <= 64 && R.early_sigs; sig++)
			if (R.early_sigs & (1ULL << (sig - 1))) {
				R.early_sigs &= ~(1ULL << (sig - 1));
				libos_kill(1, sig);
			}
		return;
	}
	load_regs(rr);
	if (rr->use != REC_BUSY || rr->dead || !rr->task || R.ended) {
		/* a process that ended while its REC ran on (killed), or the container is over */
		complete_exit(k, R.ended && k == 0 ? R.end_status : 128 + 9);
		return;
	}
	memset(&le, 0, sizeof(le));
	le.esr = ch->esr;
	le.far = ch->far;
	le.pc = ch->pc;
	le.kind = exc_kind(rr->kind, le.esr);
	if (libos_handle_exception(rr->task, &le) == LIBOS_EXITED || rr->dead || R.ended) {
		complete_exit(k, R.ended ? R.end_status : 0);
		return;
	}
	finish(k, false);
}

/* ---- PAL: tasks ---------------------------------------------------------------- */

/* A REC FORK_* may build a child in, or REC_NONE. */
static unsigned free_rec(void)
{
	for (unsigned k = 1; k < R.e.nrecs; k++)
		if ((R.recs[k].use == REC_FREE || R.recs[k].use == REC_ENDED) &&
		    R.recs[k].kt.state == KTHREAD_IDLE && !R.recs[k].forking)
			return k;
	return REC_NONE;
}

int prm_fork_bind(struct pal_as *as)
{
	unsigned k = free_rec();

	if (k == REC_NONE)
		return -EAGAIN; /* as many processes as the Container Realm has RECs */
	/* what its last process left mapped, the RMM scrubs and releases when FORK_* reuses it */
	R.recs[k].forking = true;
	R.recs[k].cur_as = prm_as_id(as);
	prm_as(as)->rec = (uint8_t)k;
	return 0;
}

void prm_fork_abort(unsigned rec)
{
	R.recs[rec].forking = false;
	R.recs[rec].cur_as = 0;
	R.recs[rec].use = REC_BROKEN; /* pages of a half-built child may stay mapped in it */
	lib_log(LOG_WARN, "pal_realm", "fork into REC %u failed: REC not used again", rec);
}

/* fork: the child REC gets the parent's registers and its pending clone; then it runs. */
static int fork_task(struct pal_as *as, const struct pal_regs *regs, void *lt,
		     struct pal_task **out)
{
	unsigned p = R.cur_rec, k;
	struct rrec *pr = &R.recs[p], *cr;
	int r;

	if (prm_mode(as) == AS_STAGED && (r = prm_fork_bind(as)) != 0)
		return r;
	k = prm_as(as)->rec;
	cr = &R.recs[k];
	R.st.forks++;
	if (prm_smc(SMC_RSI_RB_FORK_REGS, R.e.chan_ipa[p], R.e.chan_ipa[k], 0, 0, 0, NULL) !=
	    RSI_SUCCESS)
		return -EAGAIN; /* the library OS destroys `as`: prm_fork_abort */
	cr->forking = false;
	cr->taken = true; /* the child's request is the parent's clone, taken */
	cr->use = REC_BUSY;
	cr->dead = false;
	cr->task = lt;
	cr->kind = RB_REQ_SYSCALL;
	cr->cur = *regs;
	cr->orig = pr->orig;
	cr->orig.x[0] = 0; /* FORK_REGS */
	cr->full = pr->full;
	cr->fp_valid = false;
	cr->fp_dirty = false;
	cr->exec_done = false;
	R.ntasks++;
	r = prm_map_staged(prm_as_id(as), k);
	if (prm_apply_pokes(prm_as_id(as), k) && !r)
		r = -EFAULT;
	set_regs(k, regs_delta(cr, &cr->orig, false));
	complete(k, 0, RB_COMPLETE_KEEP_X0);
	cr->orig = cr->cur;
	if (r)
		lib_log(LOG_WARN, "pal_realm", "fork: child pages: %d", r);
	*out = (struct pal_task *)(void *)cr;
	return 0;
}

/*
 * A thread (clone with CLONE_VM|CLONE_THREAD of the REC being served): a
 * free REC joins the caller's RMM address space (RSI_RB_THREAD) with the
 * caller's registers and pending clone; the library OS's changes
 * (x0, sp, tls) go by SET_REGS, then it runs.
 */
static int thread_task(struct pal_as *as, const struct pal_regs *regs, void *lt,
		       struct pal_task **out)
{
	unsigned p = R.cur_rec, k = free_rec();
	struct rrec *pr = &R.recs[p], *cr;
	uint8_t id = prm_as_id(as);

	if (pr->cur_as != id || !pr->taken || pr->kind != RB_REQ_SYSCALL)
		return -EINVAL; /* only the calling process gets threads */
	if (k == REC_NONE)
		return -EAGAIN; /* as many threads and processes as the Container Realm has RECs */
	cr = &R.recs[k];
	R.st.threads++;
	if (prm_smc(SMC_RSI_RB_THREAD, R.e.chan_ipa[p], R.e.chan_ipa[k], 0, 0, 0, NULL) !=
	    RSI_SUCCESS) {
		lib_log(LOG_WARN, "pal_realm", "THREAD into REC %u refused", k);
		return -EAGAIN;
	}
	cr->taken = true; /* the child's request is the parent's clone, taken */
	cr->use = REC_BUSY;
	cr->dead = false;
	cr->task = lt;
	cr->kind = RB_REQ_SYSCALL;
	cr->cur_as = id;
	cr->cur = *regs;
	cr->orig = pr->orig;
	cr->orig.x[0] = 0; /* what THREAD set; sp and tls as the clone named them */
	cr->full = pr->full;
	cr->fp_valid = false;
	cr->fp_dirty = false;
	cr->exec_done = false;
	cr->kick_after = false;
	R.ntasks++;
	set_regs(k, regs_delta(cr, &cr->orig, false));
	complete(k, 0, RB_COMPLETE_KEEP_X0);
	cr->orig = cr->cur;
	*out = (struct pal_task *)(void *)cr;
	return 0;
}

static int r_task_create(void *c, struct pal_as *as, const struct pal_regs *regs,
			 const struct pal_fpsimd *fp, void *lt, struct pal_task **out)
{
	struct rrec *rr = &R.recs[0];

	(void)c;
	(void)fp; /* FP registers come from the parent through FORK_REGS / THREAD */
	if (R.spawn_rec != REC_NONE) {
		/* a process from outside: bound now, mapped at its REC's START (serve) */
		struct rrec *xr = &R.recs[R.spawn_rec];

		if (prm_mode(as) != AS_STAGED || xr->use != REC_FREE)
			return -EINVAL;
		xr->use = REC_BUSY;
		xr->task = lt;
		xr->cur = *regs;
		xr->cur_as = prm_as_id(as);
		xr->exec_start = true;
		xr->dead = false;
		xr->fp_valid = false;
		xr->fp_dirty = false;
		xr->exec_done = false;
		prm_as(as)->rec = (uint8_t)R.spawn_rec;
		R.ntasks++;
		*out = (struct pal_task *)(void *)xr;
		return 0;
	}
	if (R.ntasks) {
		if (prm_mode(as) == AS_STAGED || prm_mode(as) == AS_FORK)
			return fork_task(as, regs, lt, out);
		if (prm_mode(as) == AS_LIVE)
			return thread_task(as, regs, lt, out);
		return -EINVAL;
	}
	if (!R.started || R.cur_rec != 0 || rr->use != REC_FREE || prm_mode(as) != AS_STAGED)
		return -EINVAL;
	/* the init process, during START on REC 0 */
	rr->use = REC_BUSY;
	rr->task = lt;
	rr->cur = *regs;
	rr->cur_as = prm_as_id(as);
	prm_as(as)->rec = 0;
	R.ntasks = 1;
	*out = (struct pal_task *)(void *)rr;
	if (prm_map_staged(rr->cur_as, 0) || prm_apply_pokes(rr->cur_as, 0)) {
		rr->use = REC_FREE;
		rr->task = NULL;
		R.ntasks = 0;
		return -ENOMEM;
	}
	return 0;
}

/* execve: the old image goes, the staged new one comes in (one RMM address space). */
static int r_task_set_as(void *c, struct pal_task *t, struct pal_as *as)
{
	struct rrec *rr = rr_of(t);
	unsigned k = rec_of(rr);

	(void)c;
	if (prm_as(as)->rec == k && rr->cur_as == prm_as_id(as))
		return 0;
	if (prm_mode(as) != AS_STAGED)
		return -EINVAL;
	if (rr->cur_as != 0 && prm_as_others(rr->cur_as, k) != 0)
		return -EBUSY; /* the library OS ends the other threads first */
	prm_unmap_as(rr->cur_as, k);
	rr->cur_as = prm_as_id(as);
	prm_as(as)->rec = (uint8_t)k;
	rr->exec_done = true;
	int r = prm_map_staged(rr->cur_as, k);
	return r ? r : prm_apply_pokes(rr->cur_as, k);
}

/*
 * A task ends: if its REC's request is one the RMM does not know as a
 * thread's end (a system call it was killed in, a fault), mark it ENDING so
 * the RMM lets its robust list and clear_child_tid be written.
 */
static void r_task_ending(void *c, struct pal_task *t)
{
	struct rrec *rr = rr_of(t);
	uint64_t nr = rr->orig.x[8];

	(void)c;
	if (!rr->taken || rr->kind == RB_REQ_KICK ||
	    (rr->kind == RB_REQ_SYSCALL && (nr == SYS_EXIT || nr == SYS_EXIT_GROUP)))
		return;
	if (prm_smc(SMC_RSI_RB_ENDING, R.e.chan_ipa[rec_of(rr)], 0, 0, 0, 0, NULL) != RSI_SUCCESS)
		lib_log(LOG_WARN, "pal_realm", "ENDING refused (REC %u)", rec_of(rr));
}

static void r_task_exit(void *c, struct pal_task *t)
{
	(void)c;
	rr_of(t)->dead = true;
	rr_of(t)->task = NULL;
}

/* A signal for a task that runs guest code: its REC forwards a KICK request soon. */
static void r_task_kick(void *c, struct pal_task *t)
{
	struct rrec *rr = rr_of(t);

	(void)c;
	if (rr->use != REC_BUSY)
		return;
	if (rr->taken)
		rr->kick_after = true;
	else
		kick(rec_of(rr));
}

/* ---- PAL: host files and console through the NS buffer ------------------------ */

static int r_host_open(void *c, const char *path)
{
	size_t l = strlen(path);

	(void)c;
	if (l + 1 > R.e.ns_size)
		return -ENAMETOOLONG;
	memcpy(R.e.ns, path, l + 1);
	uint64_t a[1] = {l};
	return (int)(int64_t)pal_realm_host_call(PRH_OPEN, a, 1, NULL);
}

static long r_host_pread(void *c, int h, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	(void)c;
	while (done < len) {
		size_t n = len - done < R.e.ns_size ? len - done : R.e.ns_size;
		uint64_t a[3] = {(uint64_t)h, n, off + done};
		int64_t r = (int64_t)pal_realm_host_call(PRH_PREAD, a, 3, NULL);

		if (r < 0)
			return done ? (long)done : (long)r;
		if (r == 0)
			break;
		if ((uint64_t)r > n)
			return -EIO; /* the host lies */
		/* Copy out of shared memory before anyone looks at it. */
		memcpy((uint8_t *)buf + done, R.e.ns, (size_t)r);
		done += (size_t)r;
		if ((size_t)r < n)
			break;
	}
	return (long)done;
}

static void r_host_close(void *c, int h)
{
	uint64_t a[1] = {(uint64_t)h};

	(void)c;
	pal_realm_host_call(PRH_CLOSE, a, 1, NULL);
}

static long r_console_read(void *c, int fd, void *buf, size_t len)
{
	size_t n = len < R.e.ns_size ? len : R.e.ns_size;
	uint64_t a[2] = {(uint64_t)fd, n};
	int64_t r = (int64_t)pal_realm_host_call(PRH_CONSOLE_READ, a, 2, NULL);

	(void)c;
	if (r == -EAGAIN && R.running != REC_NONE) {
		/* nothing yet: let the other processes run a while */
		kt_block(now_ns() + CONSOLE_POLL_NS);
		return -EAGAIN;
	}
	if (r > (int64_t)n)
		return -EIO;
	if (r > 0)
		memcpy(buf, R.e.ns, (size_t)r);
	return (long)r;
}

static long r_console_write(void *c, int fd, const void *buf, size_t len)
{
	size_t done = 0;

	(void)c;
	while (done < len) {
		size_t n = len - done < R.e.ns_size ? len - done : R.e.ns_size;

		memcpy(R.e.ns, (const uint8_t *)buf + done, n);
		uint64_t a[2] = {(uint64_t)fd, n};
		int64_t r = (int64_t)pal_realm_host_call(PRH_CONSOLE_WRITE, a, 2, NULL);

		if (r < 0)
			return done ? (long)done : (long)r;
		if (r == 0 || (uint64_t)r > n)
			break;
		done += (size_t)r;
	}
	return (long)done;
}

/* The library OS's messages about this container: to whoever runs it (PRH_LOG). */
static void r_log(void *c, int level, const char *text, size_t len)
{
	static const char *const tags[] = {"error", "warn", "info", "debug"};
	char *ns = (char *)R.e.ns;
	int n;

	(void)c;
	n = ksnprintf(ns, R.e.ns_size, "[libos] %s: ", tags[level & 3]);
	if (n < 0 || (size_t)n >= R.e.ns_size)
		return;
	if (len > R.e.ns_size - (size_t)n)
		len = R.e.ns_size - (size_t)n;
	memcpy(ns + n, text, len);
	uint64_t a[2] = {(uint64_t)n + len, (uint64_t)(level & 3)};
	pal_realm_host_call(PRH_LOG, a, 2, NULL);
}

static uint64_t r_time_ns(void *c, enum pal_clock clock)
{
	(void)c;
	return R.e.counter_ns(R.e.guest, (int)clock);
}

static void r_random(void *c, void *buf, size_t len)
{
	(void)c;
	R.e.rndr(R.e.guest, buf, len);
}

/* REM[0] of the Container Realm: what each execve loaded (refused outside an execve). */
static void r_measure_exec(void *c, struct pal_task *t, const uint8_t digest[32])
{
	struct rrec *rr = rr_of(t);
	uint64_t w[4];

	(void)c;
	if (!rr->taken || rr->kind != RB_REQ_SYSCALL)
		return; /* the init program at START: the RIM covers it */
	memcpy(w, digest, sizeof(w));
	if (prm_smc(SMC_RSI_RB_EXEC_MEASURE, R.e.chan_ipa[rec_of(rr)], w[0], w[1], w[2], w[3],
		    NULL) != RSI_SUCCESS)
		lib_log(LOG_WARN, "pal_realm", "REM[0] extension refused");
}

static void r_container_exit(void *c, int status, int sig)
{
	(void)c;
	(void)sig;
	R.ended = true;
	R.end_status = status;
}

/* The container's token for its own request (pal.h attest_token: configfs-tsm). */
static long r_attest_token(void *c, struct pal_task *t, const uint8_t challenge[64], void *buf,
			   size_t cap)
{
	long n;

	(void)c;
	n = prm_attest_on(R.e.chan_ipa[rec_of(rr_of(t))], challenge, buf, cap);
	return n == -EBUSY || n == -ENXIO ? -EIO : n;
}

void pal_realm_get_stats(struct pal_realm_stats *st)
{
	if (prm_cur)
		*st = R.st;
	else
		memset(st, 0, sizeof(*st));
	st->kt_switches = RS.kt_switches;
}

/* Container c's state at the start of env->meta, its mapping tables after it. */
static int ct_add(const struct pal_realm_env *env, unsigned c)
{
	size_t need = pal_realm_meta_size(env->pool_max);
	size_t head = (sizeof(struct pal_realm_state) + 63) & ~(size_t)63;
	uintptr_t m = ((uintptr_t)env->meta + 63) & ~(uintptr_t)63;
	struct pal_realm_state *s = (struct pal_realm_state *)m;

	if (c >= PAL_REALM_MAX_CTS || RS.cts[c] || !env->meta ||
	    env->meta_size < need + (m - (uintptr_t)env->meta) || env->pool_n == 0 ||
	    env->pool_max < env->pool_n || !env->stage || !env->stage_n || env->pool_max >= NIL ||
	    env->nrecs == 0 || env->nrecs > PAL_REALM_MAX_RECS)
		return -EINVAL;
	for (unsigned k = 0; k < env->nrecs; k++) {
		if (!env->chan[k])
			return -EINVAL;
		/* no channel of another container's (the host must not make them share one) */
		for (unsigned o = 0; o < PAL_REALM_MAX_CTS; o++)
			for (unsigned j = 0; RS.cts[o] && j < RS.cts[o]->e.nrecs; j++)
				if (RS.cts[o]->e.chan_ipa[j] == env->chan_ipa[k])
					return -EINVAL;
	}
	memset(s, 0, sizeof(*s));
	s->e = *env;
	s->e.meta = (uint8_t *)(m + head);
	s->e.meta_size = env->meta_size - head - (m - (uintptr_t)env->meta);
	s->ct = c;
	s->running = REC_NONE;
	s->cur_rec = 0;
	s->spawn_rec = REC_NONE;
	prm_cur = s;
	prm_mem_init(&s->e);
	RS.cts[c] = s;
	if (RS.ks.n < (c + 1) * PAL_REALM_MAX_RECS)
		RS.ks.n = (c + 1) * PAL_REALM_MAX_RECS; /* the scheduler looks at its threads too */
	return 0;
}

int pal_realm_init(const struct pal_realm_env *env, struct pal_ops *ops)
{
	if (!env->smc || !env->kt_start || !env->kt_switch || !env->hc || !env->regs ||
	    !env->bounce || !env->ns || !env->ns_size)
		return -EINVAL;
	memset(&RS, 0, sizeof(RS));
	RS.e = *env;
	RS.krun = RS.kcur = REC_NONE;
	RS.ks = (struct kthread_sched){
		.n = 0, /* grows with the containers (ct_add) */
		.none = REC_NONE,
		.running = &RS.krun,
		.cur = &RS.kcur,
		.switches = &RS.kt_switches,
		.sw = kt_sw,
		.now = now_ns,
		.at = kt_at,
		.on_run = kt_on_run,
	};
	prm_cur = NULL;
	/* the first Container Realm: the env's channels, pool, stage and meta, if it has one */
	int r = env->nrecs ? ct_add(env, 0) : 0;
	if (r)
		return r;

	memset(ops, 0, sizeof(*ops));
	ops->ctx = prm_cur; /* unused: every call works on the current container */
	ops->hwcap = env->hwcap;
	ops->hwcap2 = env->hwcap2;
	ops->vfork_copies_as = true;
	ops->sigreturn_defers_signals = true;
	prm_mem_ops(ops);
	ops->task_create = r_task_create;
	ops->task_set_as = r_task_set_as;
	ops->task_exit = r_task_exit;
	ops->task_ending = r_task_ending;
	ops->get_regs = r_get_regs;
	ops->get_regs_full = r_get_regs_full;
	ops->set_regs = r_set_regs;
	ops->get_fpsimd = r_get_fpsimd;
	ops->set_fpsimd = r_set_fpsimd;
	ops->task_kick = r_task_kick;
	ops->wait = r_wait;
	ops->wake = r_wake;
	ops->lock = r_lock;
	ops->unlock = r_unlock;
	ops->host_open = r_host_open;
	ops->host_pread = r_host_pread;
	ops->host_close = r_host_close;
	ops->console_read = r_console_read;
	ops->console_write = r_console_write;
	ops->log = r_log;
	ops->time_ns = r_time_ns;
	ops->random = r_random;
	ops->container_exit = r_container_exit;
	ops->measure_exec = r_measure_exec;
	ops->attest_token = r_attest_token;
	prm_net_ops(ops);
	/* the host wakes sleepers (PRH_CMD_NET); look anyway every 100 ms: it may not */
	ops->net_recheck_ns = 100000000ULL;
	ops->net_max_send = env->ns_size > PRN_DATA_OFF ? env->ns_size - PRN_DATA_OFF : 1;
	return 0;
}
