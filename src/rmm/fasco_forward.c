/*
 * Fasco exception forwarding (DESIGN.md §3): a Container Realm REC's SVC,
 * aborts and faults go into its channel and out to the host as
 * RMI_EXIT_RB_FORWARD, which says nothing of the content; the next
 * REC_ENTER after the System Realm's COMPLETE resumes the REC with the
 * result. The first REC_ENTER posts the START request instead of running.
 */
#include "arch/esr.h"
#include "lib/log.h"
#include "lib/string.h"
#include "rmm/fasco.h"

static struct rd *crd_of(const struct rec *rec)
{
	return rd_map(granule_find(rec->rd_addr));
}

/* Post the REC's current request (fields set by the caller) and count it. */
static void forward(struct rec *rec, struct rmi_rec_exit *exit)
{
	struct rec_fasco *f = &rec->fasco;
	struct granule *g_sys = granule_find(f->sys_rd);

	f->seq++;
	f->result = 0;
	f->complete_flags = 0;
	f->state = RB_CHAN_PENDING;
	fasco_channel_publish(rec);
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
	if (f->as == NULL) {
		f->as = plat_as_create(&err);
		if (f->as == NULL) {
			lib_log(LOG_WARN, "fasco", "REC_ENTER: no address space (%d)", err);
			return RMI_STATUS(RMI_ERROR_REC, 0);
		}
	}
	if (f->started && f->state != RB_CHAN_EXITED && rec->pe == NULL) {
		/* A native test guest registered at pc, else the A64 engine on `as`. */
		rec->pe = plat_pe_create(rec->regs.pc, &err);
		if (rec->pe == NULL) {
			rec->pe = plat_pe_create_a64(f->as, &err);
			f->a64 = rec->pe != NULL;
		}
		if (rec->pe == NULL) {
			lib_log(LOG_WARN, "fasco", "REC_ENTER: no PE for pc 0x%llx (%d)",
				(unsigned long long)rec->regs.pc, err);
			return RMI_STATUS(RMI_ERROR_REC, 0);
		}
	}
	return RMI_STATUS(RMI_SUCCESS, 0);
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
		return true;
	default:
		break;
	}
	if (!f->started) {
		f->started = true;
		f->kind = RB_REQ_START;
		f->esr = 0;
		f->far = 0;
		f->nr = 0;
		memset(f->args, 0, sizeof(f->args));
		f->sp = rec->regs.sp_el0;
		f->pc = rec->regs.pc;
		forward(rec, exit);
		return false;
	}
	return true;
}

bool fasco_rec_exception(struct rec *rec, struct granule *g_rd, const struct plat_exception *exc,
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
	f->sp = rec->regs.sp_el0;
	f->pc = rec->regs.pc;
	forward(rec, exit);
	return true;
}
