/*
 * Fasco realm kinds (docs/fasco-abi.md): the RmiRealmParams extension,
 * binding a Container Realm to its System Realm at REALM_CREATE, the
 * checks REALM_DESTROY, REC_CREATE and REC_DESTROY add, the tear-down
 * of a container REC's address space, and the recycling of a REC whose
 * process exited.
 */
#include "lib/assert.h"
#include "lib/log.h"
#include "lib/string.h"
#include "rmm/fasco.h"
#include "rmm/rtt.h"
#include "rmm/s2tte.h"

void fasco_count(uint64_t *ctr, uint64_t n)
{
	__atomic_fetch_add(ctr, n, __ATOMIC_RELAXED);
}

void fasco_params_ext(const struct rmi_realm_params *p, struct rb_realm_params_ext *ext)
{
	memcpy(ext, (const uint8_t *)p + RB_REALM_PARAMS_EXT_OFFSET, sizeof(*ext));
}

bool fasco_params_ext_valid(const struct rb_realm_params_ext *ext)
{
	if (ext->kind >= RB_REALM_KIND_NR)
		return false;
	if (ext->kind != RB_REALM_KIND_CONTAINER)
		return ext->system_rd == 0 && ext->config_ipa == 0 && ext->config_size == 0;
	if (!IS_ALIGNED(ext->system_rd, GRANULE_SIZE) || ext->system_rd == 0)
		return false;
	if (!IS_ALIGNED(ext->config_ipa, GRANULE_SIZE) || ext->config_size > RB_CONFIG_MAX ||
	    ext->config_ipa + ext->config_size < ext->config_ipa)
		return false;
	/* config_ipa inside the protected half is checked against s2sz by the caller. */
	return true;
}

bool fasco_system_rd_valid(struct granule *g_sys)
{
	const struct rd *sys = rd_map(g_sys);

	return sys->rb_kind == RB_REALM_KIND_SYSTEM &&
	       (sys->state == REALM_NEW || sys->state == REALM_ACTIVE);
}

void fasco_realm_create(struct rd *rd, const struct rb_realm_params_ext *ext, struct granule *g_sys)
{
	rd->rb_kind = ext->kind;
	rd->rb_system_rd = ext->system_rd;
	rd->rb_config_ipa = ext->config_ipa;
	rd->rb_config_size = ext->config_size;
	if (ext->kind == RB_REALM_KIND_CONTAINER) {
		ASSERT(g_sys != NULL);
		fasco_count(&rd_map(g_sys)->rb_bound, 1);
	}
}

bool fasco_realm_destroy_allowed(const struct rd *rd)
{
	if (rd->rb_kind != RB_REALM_KIND_SYSTEM)
		return true;
	return __atomic_load_n(&rd->rb_bound, __ATOMIC_ACQUIRE) == 0 &&
	       __atomic_load_n(&rd->rb_channels, __ATOMIC_ACQUIRE) == 0;
}

void fasco_realm_destroyed(const struct rd *rd)
{
	struct granule *g_sys;
	uint64_t old;

	if (rd->rb_kind != RB_REALM_KIND_CONTAINER)
		return;
	/* The System Realm outlives its containers: rb_bound keeps it. */
	g_sys = granule_find(rd->rb_system_rd);
	ASSERT(g_sys != NULL && granule_get_state(g_sys) == GRANULE_STATE_RD);
	old = __atomic_fetch_sub(&rd_map(g_sys)->rb_bound, 1, __ATOMIC_RELEASE);
	ASSERT(old != 0);
}

bool fasco_rec_create_allowed(const struct rd *rd)
{
	/* A mapped granule names its REC in 5 bits (granule.h). */
	return rd->rb_kind != RB_REALM_KIND_CONTAINER || rd->rec_count < GRANULE_FASCO_OWNER_MAX;
}

void fasco_rec_created(struct rec *rec, const struct rd *rd)
{
	memset(&rec->fasco, 0, sizeof(rec->fasco));
	rec->fasco.container = rd->rb_kind == RB_REALM_KIND_CONTAINER;
}

bool fasco_rec_destroy_allowed(const struct rec *rec)
{
	return !rec->fasco.container || rec->fasco.channel == 0;
}

void fasco_rec_destroyed(struct rec *rec)
{
	if (!rec->fasco.container)
		return;
	/* The PE is gone (REC_DESTROY destroyed it first); others may still run in `as`. */
	fasco_as_leave(rec);
}

void fasco_rec_recycle(struct rec *rec)
{
	static const struct plat_fp_state zero_fp;
	struct rec_fasco *f = &rec->fasco;
	struct granule *g_chan = granule_find(f->channel);
	struct plat_pe *pe = rec->pe;
	int ret;

	ASSERT(f->container && f->state == RB_CHAN_EXITED && g_chan != NULL);
	if (f->as_tag != 0 && fasco_as_users(rec) > 1) {
		/* A thread: the others keep the memory; this REC gets its own later. */
		fasco_as_leave(rec);
		pe = NULL;
	} else if (f->as != NULL) {
		/* Nothing reaches the old pages from the address space, then they are scrubbed. */
		fasco_as_lock(rec);
		fasco_as_empty(f->as);
		fasco_as_unlock(rec);
		fasco_as_release_tag(rec, f->as_tag);
		fasco_as_sync_clear(rec); /* the next process mapped no file yet */
	}
	if (pe != NULL && !f->a64) {
		/* A native test PE runs one C function: a new one comes at the next entry. */
		granule_lock(g_chan); /* KICK reads rec->pe under this lock */
		__atomic_store_n(&rec->pe, NULL, __ATOMIC_RELEASE);
		granule_unlock(g_chan);
		plat_pe_destroy(pe);
	} else if (pe != NULL) {
		ret = plat_pe_set_fp(pe, &zero_fp);
		ASSERT(ret == 0);
	}
	memset(&rec->regs, 0, sizeof(rec->regs));
	f->started = false;
	f->state = RB_CHAN_IDLE;
	fasco_rec_set_request(rec, RB_REQ_NONE);
	f->result = 0;
	f->complete_flags = 0;
	f->exit_status = 0;
	f->ctid = 0;
	f->robust = 0;
	f->ending = false;
	f->alt_sp = f->alt_size = 0;
	f->fp_saved = false;
	memset(&f->fp, 0, sizeof(f->fp));
	__atomic_store_n(&f->kick, 0, __ATOMIC_SEQ_CST);
	fasco_channel_publish(rec);
}
