/*
 * Fasco exception forwarding (DESIGN.md §3): a Container Realm REC's SVC,
 * aborts and faults go into its channel and out to the host as
 * RMI_EXIT_RB_FORWARD, which says nothing of the content; the next
 * REC_ENTER after the System Realm's COMPLETE resumes the REC with the
 * result. The first REC_ENTER posts the START request instead of running.
 * A KICK (fasco_rsi.c) sets a flag in the REC and halts its PE: the run
 * loop's interrupt, or the next resume, then posts a KICK request.
 */
#include "arch/esr.h"
#include "lib/log.h"
#include "lib/string.h"
#include "rmm/fasco.h"

#define SYS_SET_TID_ADDRESS 96
#define SYS_SET_ROBUST_LIST 99
#define ROBUST_HEAD_BYTES 24

static struct rd *crd_of(const struct rec *rec)
{
	return rd_map(granule_find(rec->rd_addr));
}

/*
 * Post the REC's current request (fields set by the caller) and count it.
 * g_park (the REC's granule) parks the REC for fasco_rec_wait first, under
 * its lock, so the System Realm never sees the request before the park.
 */
static void forward(struct rec *rec, struct rmi_rec_exit *exit, struct granule *g_park)
{
	struct rec_fasco *f = &rec->fasco;
	struct granule *g_sys = granule_find(f->sys_rd);

	if (g_park != NULL) {
		granule_lock(g_park);
		f->parked = true;
		f->waiting = true;
	}
	/* Whatever the request, the System Realm sees the REC now: a KICK is served. */
	__atomic_store_n(&f->kick, 0, __ATOMIC_SEQ_CST);
	f->seq++;
	f->result = 0;
	f->complete_flags = 0;
	f->ending = false;
	f->state = RB_CHAN_PENDING;
	fasco_channel_publish(rec);
	if (g_park != NULL)
		granule_unlock(g_park);
	fasco_count(&crd_of(rec)->rb_forwards, 1);
	/* The System Realm's RD is pinned by the channel (rb_channels). */
	fasco_count(&rd_map(g_sys)->rb_forwards, 1);
	memset(exit, 0, sizeof(*exit));
	exit->exit_reason = RMI_EXIT_RB_FORWARD;
}

uint64_t fasco_rec_enter_prepare(struct rec *rec)
{
	struct rec_fasco *f = &rec->fasco;
	int err = 0;

	if (f->channel == 0 || f->state == RB_CHAN_PENDING || f->state == RB_CHAN_TAKEN)
		return RMI_STATUS(RMI_ERROR_REC, 0);
	/* A REC that left a shared address space at its end gets none until it is reused. */
	if (f->as == NULL && f->state != RB_CHAN_EXITED) {
		err = fasco_as_new(rec);
		if (err != 0) {
			lib_log(LOG_WARN, "fasco", "REC_ENTER: no address space (%d)", err);
			return RMI_STATUS(RMI_ERROR_REC, 0);
		}
	}
	if (f->started && f->state != RB_CHAN_EXITED && rec->pe == NULL) {
		/* A native test guest registered at pc, else the A64 engine on `as`. */
		struct plat_pe *pe = plat_pe_create(rec->regs.pc, &err);

		f->a64 = false;
		if (pe == NULL) {
			pe = plat_pe_create_a64(f->as, &err);
			f->a64 = pe != NULL;
		}
		if (pe == NULL) {
			lib_log(LOG_WARN, "fasco", "REC_ENTER: no PE for pc 0x%llx (%d)",
				(unsigned long long)rec->regs.pc, err);
			return RMI_STATUS(RMI_ERROR_REC, 0);
		}
		/* FP/SIMD state set before the PE existed (SET_REGS, FORK_REGS). */
		if (f->fp_saved && plat_pe_set_fp(pe, &f->fp) == 0)
			f->fp_saved = false;
		/* KICK reads rec->pe without the REC lock. */
		__atomic_store_n(&rec->pe, pe, __ATOMIC_RELEASE);
	}
	return RMI_STATUS(RMI_SUCCESS, 0);
}

void fasco_rec_get_fp(struct rec *rec, struct plat_fp_state *fp)
{
	if (rec->pe != NULL && plat_pe_get_fp(rec->pe, fp) == 0)
		return;
	if (rec->fasco.fp_saved)
		*fp = rec->fasco.fp;
	else
		memset(fp, 0, sizeof(*fp));
}

void fasco_rec_set_fp(struct rec *rec, const struct plat_fp_state *fp)
{
	struct rec_fasco *f = &rec->fasco;

	if (rec->pe != NULL && plat_pe_set_fp(rec->pe, fp) == 0) {
		f->fp_saved = false;
		return;
	}
	f->fp = *fp;
	f->fp_saved = true;
}

void fasco_rec_set_request(struct rec *rec, uint64_t kind)
{
	struct rec_fasco *f = &rec->fasco;

	f->kind = kind;
	f->esr = 0;
	f->far = 0;
	f->nr = 0;
	memset(f->args, 0, sizeof(f->args));
	f->sp = rec->regs.sp_el0;
	f->pc = rec->regs.pc;
}

bool fasco_rec_kicked(struct rec *rec, struct rmi_rec_exit *exit)
{
	struct rec_fasco *f = &rec->fasco;

	if (!__atomic_exchange_n(&f->kick, 0, __ATOMIC_SEQ_CST))
		return false;
	/* Where the REC stopped: SET_REGS may move it, COMPLETE resumes there. */
	fasco_rec_set_request(rec, RB_REQ_KICK);
	forward(rec, exit, NULL);
	return true;
}

bool fasco_rec_resume(struct rec *rec, struct rmi_rec_exit *exit)
{
	struct rec_fasco *f = &rec->fasco;

	switch (f->state) {
	case RB_CHAN_EXITED:
		memset(exit, 0, sizeof(*exit));
		exit->exit_reason = RMI_EXIT_RB_EXITED;
		exit->gprs[0] = f->exit_status;
		return false;
	case RB_CHAN_DONE:
		if (f->kind == RB_REQ_SYSCALL && (f->complete_flags & RB_COMPLETE_KEEP_X0) == 0)
			rec->regs.gprs[0] = f->result;
		/* An abort or fault is retried where it happened (or where SET_REGS says). */
		f->state = RB_CHAN_IDLE;
		f->kind = RB_REQ_NONE;
		fasco_channel_publish(rec);
		break;
	default:
		break;
	}
	if (!f->started) {
		f->started = true;
		fasco_rec_set_request(rec, RB_REQ_START);
		forward(rec, exit, NULL);
		return false;
	}
	/* Kicked while it was not running (or while its last request was pending). */
	return !fasco_rec_kicked(rec, exit);
}

/* Whether this request's REC waits in the RMM for COMPLETE (exitless, not backing off). */
static bool exitless_park(struct rec_fasco *f)
{
	if (!f->exitless)
		return false;
	if (f->xl_skip > 0) {
		f->xl_skip--;
		plat_count(PLAT_CNT_EXITLESS_SKIP);
		return false;
	}
	return true;
}

bool fasco_rec_exception(struct rec *rec, struct granule *g_rec, const struct plat_exception *exc,
			 struct rmi_rec_exit *exit, bool *resume)
{
	struct rec_fasco *f = &rec->fasco;
	uint64_t ec = ESR_EC(exc->esr);

	*resume = false;
	/* A native test guest's other exceptions are stage-2 matters of the spec code. */
	if (!f->a64 && ec != EC_SVC64)
		return false;
	if (ec == EC_WFX) {
		/* Nothing to wait for at EL0 without the host: pc is past the WFx. */
		*resume = true;
		return true;
	}
	switch (ec) {
	case EC_SVC64:
		f->kind = RB_REQ_SYSCALL;
		break;
	case EC_DABT_LOW:
	case EC_IABT_LOW:
		f->kind = RB_REQ_ABORT;
		break;
	default:
		f->kind = RB_REQ_FAULT;
		break;
	}
	f->esr = exc->esr;
	f->far = (f->kind == RB_REQ_ABORT || ec == EC_PC_ALIGN) ? exc->far : 0;
	f->nr = rec->regs.gprs[8];
	for (unsigned i = 0; i < ARRAY_SIZE(f->args); i++)
		f->args[i] = rec->regs.gprs[i];
	if (f->kind == RB_REQ_SYSCALL && f->nr == SYS_SET_TID_ADDRESS)
		f->ctid = f->args[0]; /* Linux's set_tid_address cannot fail */
	/* set_robust_list fails only for another length (EINVAL) */
	if (f->kind == RB_REQ_SYSCALL && f->nr == SYS_SET_ROBUST_LIST &&
	    f->args[1] == ROBUST_HEAD_BYTES)
		f->robust = f->args[0];
	f->sp = rec->regs.sp_el0;
	f->pc = rec->regs.pc;
	forward(rec, exit, exitless_park(f) ? g_rec : NULL);
	return true;
}

/* A wait that ran out: the next requests go without one, twice as many as last time. */
static void exitless_backoff(struct rec_fasco *f)
{
	if (f->xl_misses < FASCO_EXITLESS_BACKOFF_MAX)
		f->xl_misses++;
	f->xl_skip = (uint16_t)((1U << f->xl_misses) - 1);
}

static bool request_completed(const struct rec_fasco *f)
{
	uint8_t s = __atomic_load_n(&f->state, __ATOMIC_ACQUIRE);

	return s == RB_CHAN_DONE || s == RB_CHAN_EXITED;
}

bool fasco_rec_wait(struct rec *rec, struct granule *g_rec, struct rmi_rec_exit *exit)
{
	struct rec_fasco *f = &rec->fasco;
	uint64_t end;

	if (!f->waiting)
		return false; /* not parked: the forward exit as posted */
	end = plat_read_cntpct() + FASCO_EXITLESS_WAIT_NS;
	while (!request_completed(f) && plat_read_cntpct() < end)
		plat_cpu_relax();
	/* COMPLETE reads `waiting` under this lock: it and the timeout agree. */
	granule_lock(g_rec);
	f->waiting = false;
	if (f->state == RB_CHAN_EXITED) {
		/*
		 * An end is not resumed in place (COMPLETE said so): the host
		 * hears of it only when the System Realm names the REC, as
		 * without exitless (init's main thread ending while its other
		 * threads go on is not the container's end).
		 */
		granule_unlock(g_rec);
		return false;
	}
	if (!request_completed(f)) {
		granule_unlock(g_rec);
		plat_count(PLAT_CNT_EXITLESS_MISS);
		exitless_backoff(f);
		return false;
	}
	f->parked = false; /* it runs again: the System Realm keeps off (chan_bind) */
	granule_unlock(g_rec);
	plat_count(PLAT_CNT_EXITLESS);
	f->xl_misses = 0;
	memset(exit, 0, sizeof(*exit));
	if (rec->pe == NULL && f->state == RB_CHAN_DONE) {
		/* Its PE went meanwhile: the next REC_ENTER makes one and applies the result. */
		exit->exit_reason = RMI_EXIT_IRQ;
		return false;
	}
	return fasco_rec_resume(rec, exit);
}
