/*
 * Fasco forwarding channels: RMI_RB_CHANNEL_CREATE / _DESTROY, the
 * RMI_RB_REALM_COUNTERS query, and how an RSI call of the System Realm
 * finds (and locks) the container REC behind a channel.
 *
 * A channel is one granule in state CHANNEL: Realm PAS, owned by the RMM,
 * mapped read-only into its System Realm at a protected IPA the host
 * chooses, never NS. Its content mirrors the container REC's request
 * (struct rb_channel); the RMM never reads it back -- the container REC
 * holds the authoritative copy.
 */
#include "lib/assert.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/string.h"
#include "rmm/fasco.h"
#include "rmm/rmi_handlers.h"
#include "rmm/rtt.h"
#include "rmm/s2tte.h"

/* The read-only stage-2 page descriptor of a channel. */
static uint64_t chan_s2tte(uint64_t pa)
{
	uint64_t e = s2tte_create_assigned(pa, RTT_PAGE_LEVEL, RIPAS_RAM);

	return (e & ~S2TT_S2AP_MASK) | S2TT_S2AP_RO;
}

void fasco_channel_publish(const struct rec *crec)
{
	struct granule *g = granule_find(crec->fasco.channel);
	struct rb_channel *ch;
	const struct rec_fasco *f = &crec->fasco;

	ASSERT(g != NULL && granule_get_state(g) == GRANULE_STATE_CHANNEL);
	ch = granule_map(g);
	ch->seq = f->seq;
	ch->kind = f->kind;
	ch->esr = f->esr;
	ch->far = f->far;
	for (unsigned i = 0; i < 9; i++)
		ch->x[i] = crec->regs.gprs[i];
	ch->pc = crec->regs.pc;
	ch->sp = crec->regs.sp_el0;
	ch->tpidr = crec->regs.tpidr_el0;
	ch->result = f->result;
	if (f->kind == RB_REQ_START) {
		const struct rd *crd = rd_map(granule_find(crec->rd_addr));

		ch->config_size = crd->rb_config_size;
	} else {
		ch->config_size = 0;
	}
	__atomic_store_n(&ch->state, (uint64_t)f->state, __ATOMIC_RELEASE);
}

/* Common checks of the System Realm RD and the container REC (both locked). */
static uint64_t chan_check_objects(struct granule *g_sys, struct granule *g_crec, uint64_t sys_rd)
{
	const struct rd *sys = rd_map(g_sys);
	const struct rec *crec = rec_map(g_crec);

	if (sys->rb_kind != RB_REALM_KIND_SYSTEM || sys->state == REALM_SYSTEM_OFF)
		return RMI_STATUS(RMI_ERROR_REALM, 0);
	if (!crec->fasco.container || granule_refcount_read(g_crec) != 0)
		return RMI_STATUS(RMI_ERROR_REC, 0);
	if (rd_map(granule_find(crec->rd_addr))->rb_system_rd != sys_rd)
		return RMI_STATUS(RMI_ERROR_REC, 0);
	return RMI_STATUS(RMI_SUCCESS, 0);
}

uint64_t smc_rb_channel_create(const uint64_t *args, uint64_t *res)
{
	uint64_t sys_rd = args[0], chan = args[1], crec_pa = args[2], sys_ipa = args[3];
	struct granule_set set[3] = {
		{.addr = sys_rd, .state = GRANULE_STATE_RD},
		{.addr = chan, .state = GRANULE_STATE_DELEGATED},
		{.addr = crec_pa, .state = GRANULE_STATE_REC},
	};
	struct granule *g_sys, *g_chan, *g_crec;
	struct rd *sys;
	struct rec *crec;
	struct rb_channel *ch;
	struct rtt_walk wi;
	uint64_t ret, e;

	if (!find_lock_granules(set, 3))
		return RMI_STATUS(RMI_ERROR_INPUT, 0);
	g_sys = set[0].g;
	g_chan = set[1].g;
	g_crec = set[2].g;
	sys = rd_map(g_sys);
	crec = rec_map(g_crec);
	ret = chan_check_objects(g_sys, g_crec, sys_rd);
	if (ret != RMI_SUCCESS)
		goto out_unlock;
	if (crec->fasco.channel != 0) {
		ret = RMI_STATUS(RMI_ERROR_REC, 0);
		goto out_unlock;
	}
	if (!rtt_ipa_valid(sys, sys_ipa, RTT_PAGE_LEVEL) || !addr_in_par(sys, sys_ipa)) {
		ret = RMI_STATUS(RMI_ERROR_INPUT, 0);
		goto out_unlock;
	}
	rtt_walk_lock_unlock(sys, sys_ipa, RTT_PAGE_LEVEL, &wi);
	if (wi.last_level != RTT_PAGE_LEVEL) {
		ret = RMI_STATUS(RMI_ERROR_RTT, wi.last_level);
		goto out_unlock_llt;
	}
	e = rtt_walk_read(&wi);
	if (s2tte_get_state(e, RTT_PAGE_LEVEL, false) != S2TTE_UNASSIGNED ||
	    s2tte_get_ripas(e, RTT_PAGE_LEVEL, false) != RIPAS_RAM) {
		ret = RMI_STATUS(RMI_ERROR_RTT, RTT_PAGE_LEVEL);
		goto out_unlock_llt;
	}

	/* Commit. The granule is zero (DELEGATED invariant). */
	granule_set_state(g_chan, GRANULE_STATE_CHANNEL);
	ch = granule_map(g_chan);
	ch->magic = RB_CHANNEL_MAGIC;
	ch->rmm_rec = crec_pa;
	ch->rmm_sys_rd = sys_rd;
	rtt_walk_write(&wi, chan_s2tte(chan));
	granule_refcount_inc(rtt_walk_granule(&wi));
	crec->fasco.channel = chan;
	crec->fasco.sys_rd = sys_rd;
	crec->fasco.sys_ipa = sys_ipa;
	/* A request that was pending on an earlier channel is posted again here. */
	if (crec->fasco.state == RB_CHAN_TAKEN)
		crec->fasco.state = RB_CHAN_PENDING;
	fasco_count(&sys->rb_channels, 1);
	fasco_channel_publish(crec);
	ret = RMI_SUCCESS;

out_unlock_llt:
	granule_unlock(wi.g_llt);
out_unlock:
	granule_unlock(g_crec);
	granule_unlock(g_chan);
	granule_unlock(g_sys);
	return ret;
}

uint64_t smc_rb_channel_destroy(const uint64_t *args, uint64_t *res)
{
	uint64_t sys_rd = args[0], crec_pa = args[1], sys_ipa = args[2];
	struct granule_set set[2] = {
		{.addr = sys_rd, .state = GRANULE_STATE_RD},
		{.addr = crec_pa, .state = GRANULE_STATE_REC},
	};
	struct granule *g_sys, *g_crec, *g_chan;
	struct rd *sys;
	struct rec *crec;
	struct rtt_walk wi;
	uint64_t ret, e, chan, ripas, old;

	res[0] = 0;
	if (!find_lock_granules(set, 2))
		return RMI_STATUS(RMI_ERROR_INPUT, 0);
	g_sys = set[0].g;
	g_crec = set[1].g;
	sys = rd_map(g_sys);
	crec = rec_map(g_crec);
	ret = chan_check_objects(g_sys, g_crec, sys_rd);
	if (ret != RMI_SUCCESS)
		goto out_unlock;
	chan = crec->fasco.channel;
	if (chan == 0 || crec->fasco.sys_rd != sys_rd) {
		ret = RMI_STATUS(RMI_ERROR_REC, 0);
		goto out_unlock;
	}
	if (crec->fasco.sys_ipa != sys_ipa) {
		ret = RMI_STATUS(RMI_ERROR_INPUT, 0);
		goto out_unlock;
	}
	rtt_walk_lock_unlock(sys, sys_ipa, RTT_PAGE_LEVEL, &wi);
	if (wi.last_level != RTT_PAGE_LEVEL) {
		ret = RMI_STATUS(RMI_ERROR_RTT, wi.last_level);
		goto out_unlock_llt;
	}
	e = rtt_walk_read(&wi);
	if (s2tte_get_state(e, RTT_PAGE_LEVEL, false) != S2TTE_ASSIGNED ||
	    s2tte_get_pa(e, RTT_PAGE_LEVEL) != chan) {
		ret = RMI_STATUS(RMI_ERROR_RTT, RTT_PAGE_LEVEL);
		goto out_unlock_llt;
	}
	g_chan = granule_find(chan);
	ASSERT(g_chan != NULL);
	granule_lock(g_chan);
	ASSERT(granule_get_state(g_chan) == GRANULE_STATE_CHANNEL);

	/* Commit. */
	ripas = s2tte_get_ripas(e, RTT_PAGE_LEVEL, false);
	rtt_walk_write(&wi, s2tte_create_unassigned(ripas == RIPAS_RAM ? RIPAS_DESTROYED : ripas));
	if (ripas == RIPAS_RAM)
		rtt_tlbi(sys, sys_ipa, GRANULE_SIZE);
	granule_refcount_dec(rtt_walk_granule(&wi));
	granule_memzero(g_chan);
	granule_unlock_transition(g_chan, GRANULE_STATE_DELEGATED);
	crec->fasco.channel = 0;
	crec->fasco.sys_rd = 0;
	crec->fasco.sys_ipa = 0;
	/* A pending request stays pending: the REC runs again only with a new channel. */
	old = __atomic_fetch_sub(&sys->rb_channels, 1, __ATOMIC_RELEASE);
	ASSERT(old != 0);
	res[0] = chan;
	ret = RMI_SUCCESS;

out_unlock_llt:
	granule_unlock(wi.g_llt);
out_unlock:
	granule_unlock(g_crec);
	granule_unlock(g_sys);
	return ret;
}

uint64_t smc_rb_realm_counters(const uint64_t *args, uint64_t *res)
{
	struct granule *g_rd = find_lock_granule(args[0], GRANULE_STATE_RD);
	const struct rd *rd;

	if (g_rd == NULL)
		return RMI_STATUS(RMI_ERROR_INPUT, 0);
	rd = rd_map(g_rd);
	res[0] = __atomic_load_n(&rd->rb_forwards, __ATOMIC_RELAXED);
	res[1] = __atomic_load_n(&rd->rb_refusals, __ATOMIC_RELAXED);
	res[2] = __atomic_load_n(&rd->rb_copies, __ATOMIC_RELAXED);
	res[3] = __atomic_load_n(&rd->rb_copy_bytes, __ATOMIC_RELAXED);
	res[4] = __atomic_load_n(&rd->rb_reg_reads, __ATOMIC_RELAXED);
	res[5] = __atomic_load_n(&rd->rb_kicks, __ATOMIC_RELAXED);
	granule_unlock(g_rd);
	return RMI_STATUS(RMI_SUCCESS, 0);
}

/*
 * The channel mapped at chan_ipa of the System Realm g_sys_rd and the PA of
 * its container REC, read under the RTT leaf lock (released on return).
 * lock_chan: on success the channel granule is returned locked (taken
 * under the leaf lock: RTT before CHANNEL in the lock order).
 */
static int chan_resolve(struct granule *g_sys_rd, uint64_t chan_ipa, uint64_t *chan,
			uint64_t *crec_pa, bool lock_chan)
{
	const struct rd *sys = rd_map(g_sys_rd);
	const struct rb_channel *ch;
	struct rtt_walk wi;
	struct granule *g_chan;
	uint64_t e, ch_sys;

	if (sys->rb_kind != RB_REALM_KIND_SYSTEM)
		return -EINVAL;
	if (!IS_ALIGNED(chan_ipa, GRANULE_SIZE) || !addr_in_par(sys, chan_ipa))
		return -EINVAL;
	rtt_walk_lock_unlock(sys, chan_ipa, RTT_PAGE_LEVEL, &wi);
	e = rtt_walk_read(&wi);
	if (wi.last_level != RTT_PAGE_LEVEL ||
	    s2tte_get_state(e, RTT_PAGE_LEVEL, false) != S2TTE_ASSIGNED) {
		granule_unlock(wi.g_llt);
		return -EINVAL;
	}
	*chan = s2tte_get_pa(e, RTT_PAGE_LEVEL);
	g_chan = granule_find(*chan);
	ASSERT(g_chan != NULL);
	/* Stable while the entry (under the leaf lock) maps it. */
	if (granule_get_state(g_chan) != GRANULE_STATE_CHANNEL) {
		granule_unlock(wi.g_llt);
		return -EINVAL;
	}
	ch = granule_map(g_chan);
	*crec_pa = ch->rmm_rec;
	ch_sys = ch->rmm_sys_rd;
	if (ch_sys != granule_addr(g_sys_rd)) {
		granule_unlock(wi.g_llt);
		return -EINVAL;
	}
	if (lock_chan)
		granule_lock(g_chan);
	granule_unlock(wi.g_llt);
	return 0;
}

/* With the container REC locked: is it still bound to this channel? Fill c. */
static int chan_bind(struct rec *sys_rec, struct granule *g_sys_rd, uint64_t chan_ipa,
		     uint64_t chan, struct granule *g_crec, struct fasco_call *c)
{
	struct rec *crec = rec_map(g_crec);

	if (!crec->fasco.container || crec->fasco.channel != chan ||
	    crec->fasco.sys_rd != granule_addr(g_sys_rd) || crec->fasco.sys_ipa != chan_ipa)
		return -EINVAL;
	/* Running (in REC_ENTER and not parked at a posted request): hands off. */
	if (granule_refcount_read(g_crec) != 0 && !crec->fasco.parked)
		return -EBUSY;
	c->sys_rec = sys_rec;
	c->g_sys_rd = g_sys_rd;
	c->sys_rd = rd_map(g_sys_rd);
	c->g_crec = g_crec;
	c->crec = crec;
	c->crd = rd_map(granule_find(crec->rd_addr));
	c->g_chan = granule_find(chan);
	return 0;
}

int fasco_channel_get(struct rec *sys_rec, struct granule *g_sys_rd, uint64_t chan_ipa,
		      struct fasco_call *c)
{
	struct granule *g_crec;
	uint64_t chan, crec_pa;
	int ret;

	memset(c, 0, sizeof(*c));
	ret = chan_resolve(g_sys_rd, chan_ipa, &chan, &crec_pa, false);
	if (ret != 0)
		return ret;
	/* REC before RTT in the lock order: re-check the binding under the REC lock. */
	g_crec = find_lock_granule(crec_pa, GRANULE_STATE_REC);
	if (g_crec == NULL)
		return -EINVAL;
	ret = chan_bind(sys_rec, g_sys_rd, chan_ipa, chan, g_crec, c);
	if (ret != 0) {
		memset(c, 0, sizeof(*c));
		granule_unlock(g_crec);
	}
	return ret;
}

int fasco_channel_get2(struct rec *sys_rec, struct granule *g_sys_rd, uint64_t ipa1, uint64_t ipa2,
		       struct fasco_call *c1, struct fasco_call *c2)
{
	struct granule_set set[2];
	uint64_t chan1, chan2;
	int ret;

	memset(c1, 0, sizeof(*c1));
	memset(c2, 0, sizeof(*c2));
	ret = chan_resolve(g_sys_rd, ipa1, &chan1, &set[0].addr, false);
	if (ret == 0)
		ret = chan_resolve(g_sys_rd, ipa2, &chan2, &set[1].addr, false);
	if (ret != 0)
		return ret;
	set[0].state = GRANULE_STATE_REC;
	set[1].state = GRANULE_STATE_REC;
	/* Both RECs in ascending PA; the same REC twice is refused here. */
	if (!find_lock_granules(set, 2))
		return -EINVAL;
	ret = chan_bind(sys_rec, g_sys_rd, ipa1, chan1, set[0].g, c1);
	if (ret == 0)
		ret = chan_bind(sys_rec, g_sys_rd, ipa2, chan2, set[1].g, c2);
	if (ret != 0) {
		memset(c1, 0, sizeof(*c1));
		memset(c2, 0, sizeof(*c2));
		granule_unlock(set[0].g);
		granule_unlock(set[1].g);
	}
	return ret;
}

void fasco_channel_put(struct fasco_call *c)
{
	if (c->g_crec != NULL)
		granule_unlock(c->g_crec);
	c->g_crec = NULL;
}

int fasco_channel_pin(struct granule *g_sys_rd, uint64_t chan_ipa, struct granule **g_chan,
		      struct rec **crec)
{
	uint64_t chan, crec_pa;
	struct granule *g_crec;
	int ret = chan_resolve(g_sys_rd, chan_ipa, &chan, &crec_pa, true);

	if (ret != 0)
		return ret;
	*g_chan = granule_find(chan);
	/*
	 * A CHANNEL granule always names a live container REC bound to it:
	 * CHANNEL_CREATE and CHANNEL_DESTROY change both under this lock, and
	 * REC_DESTROY needs the channel gone first.
	 */
	g_crec = granule_find(crec_pa);
	ASSERT(g_crec != NULL && granule_get_state(g_crec) == GRANULE_STATE_REC);
	*crec = rec_map(g_crec);
	return 0;
}
