/*
 * The realm deployment's RMI layer (deploy/realm_build.h): realms built and
 * torn down through real RMI calls, granule by granule, as the host tracks
 * them; REC_ENTER.
 */
#include "deploy/realm_build.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/fasco.h"
#include "arch/s2tt.h"
#include "deploy/realm_recipe.h"
#include "host/host.h"

static char *g_err;
static size_t g_errlen;

void hrealm_errbuf(char *buf, size_t len)
{
	g_err = buf;
	g_errlen = len;
}

/* ---- errors ---------------------------------------------------------------- */

int hrealm_fail(int ret, const char *fmt, ...)
{
	va_list ap;

	if (g_err && g_errlen && !g_err[0]) {
		va_start(ap, fmt);
		vsnprintf(g_err, g_errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

/* ---- a realm as the host tracks it -------------------------------------------- */

int hrealm_vec_push(struct vec *v, uint64_t x)
{
	if (v->n == v->cap) {
		size_t nc = v->cap ? v->cap * 2 : 64;
		uint64_t *na = realloc(v->a, nc * sizeof(*na));
		if (!na)
			return -ENOMEM;
		v->a = na;
		v->cap = nc;
	}
	v->a[v->n++] = x;
	return 0;
}

static uint16_t next_vmid = 1;

uint64_t hrealm_rmi(uint64_t fid, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5,
		    struct smc_regs *res)
{
	return host_rmi(fid, a1, a2, a3, a4, a5, 0, res);
}

int hrealm_rmi_ok(const char *what, uint64_t st)
{
	if (st == RMI_SUCCESS)
		return 0;
	return hrealm_fail(-EIO, "RMI %s failed: %s (index %u)", what, host_rmi_status_name(st),
			   (unsigned)RMI_STATUS_INDEX(st));
}

int hrealm_delegate_new(uint64_t *pa)
{
	*pa = host_granule_alloc();
	if (!*pa)
		return hrealm_fail(-ENOMEM, "out of host memory");
	if (hrealm_rmi(SMC_RMI_GRANULE_DELEGATE, *pa, 0, 0, 0, 0, NULL) != RMI_SUCCESS) {
		host_granule_free(*pa);
		*pa = 0;
		return hrealm_fail(-EIO, "GRANULE_DELEGATE failed");
	}
	return 0;
}

void hrealm_undelegate_free(uint64_t pa)
{
	if (!pa)
		return;
	if (hrealm_rmi(SMC_RMI_GRANULE_UNDELEGATE, pa, 0, 0, 0, 0, NULL) == RMI_SUCCESS)
		host_granule_free(pa);
	else
		fprintf(stderr, "realmbox: realm: cannot undelegate 0x%llx (leaked)\n",
			(unsigned long long)pa);
}

int hrealm_create(struct hrealm *h, uint64_t kind, uint64_t sys_rd, uint64_t cfg_ipa,
		  uint64_t cfg_size)
{
	struct rmi_realm_params p;
	struct rb_realm_params_ext ext = {kind, sys_rd, cfg_ipa, cfg_size};
	uint64_t params;
	int r;

	memset(h, 0, sizeof(*h));
	h->nroot = 2;
	if ((r = hrealm_delegate_new(&h->rd)))
		return r;
	h->rtt_base = host_granules_alloc(h->nroot, h->nroot * PG);
	if (!h->rtt_base)
		return hrealm_fail(-ENOMEM, "out of host memory for root RTTs");
	for (unsigned i = 0; i < h->nroot; i++) {
		if (hrealm_rmi(SMC_RMI_GRANULE_DELEGATE, h->rtt_base + i * PG, 0, 0, 0, 0, NULL)) {
			/* give back what was delegated, then the rest */
			for (unsigned k = 0; k < i; k++)
				hrealm_rmi(SMC_RMI_GRANULE_UNDELEGATE, h->rtt_base + k * PG, 0, 0,
					   0, 0, NULL);
			host_granules_free(h->rtt_base, h->nroot);
			h->rtt_base = 0;
			return hrealm_fail(-EIO, "GRANULE_DELEGATE of root RTTs failed");
		}
	}
	memset(&p, 0, sizeof(p));
	p.s2sz = RB_REALM_S2SZ;
	p.hash_algo = RB_REALM_HASH_ALGO;
	p.vmid = next_vmid++;
	if (next_vmid == 0 || next_vmid > 255)
		next_vmid = 1;
	p.rtt_base = h->rtt_base;
	p.rtt_level_start = 1;
	p.rtt_num_start = h->nroot;
	memcpy((uint8_t *)&p + RB_REALM_PARAMS_EXT_OFFSET, &ext, sizeof(ext));
	params = host_granule_alloc();
	if (!params)
		return hrealm_fail(-ENOMEM, "out of host memory");
	host_mem_write(params, &p, sizeof(p));
	uint64_t st = hrealm_rmi(SMC_RMI_REALM_CREATE, h->rd, params, 0, 0, 0, NULL);
	host_granule_free(params);
	if ((r = hrealm_rmi_ok("REALM_CREATE", st)))
		return r;
	h->created = true;
	return 0;
}

/* Level 2 and 3 tables down to the page holding ipa. */
int hrealm_rtt_path_to(struct hrealm *h, uint64_t ipa, long leaf)
{
	for (long l = 2; l <= leaf; l++) {
		struct smc_regs res;
		uint64_t base = ALIGN_DOWN(ipa, RTT_LEVEL_SIZE(l - 1)), rtt;
		int r;

		if (hrealm_rmi(SMC_RMI_RTT_READ_ENTRY, h->rd, base, (uint64_t)(l - 1), 0, 0, &res))
			return hrealm_fail(-EIO, "RTT_READ_ENTRY failed");
		if (res.x[1] == (uint64_t)(l - 1) && res.x[2] == RMI_RTT_TABLE)
			continue;
		if ((r = hrealm_delegate_new(&rtt)))
			return r;
		if ((r = hrealm_rmi_ok("RTT_CREATE", hrealm_rmi(SMC_RMI_RTT_CREATE, h->rd, rtt,
								base, (uint64_t)l, 0, NULL)))) {
			hrealm_undelegate_free(rtt);
			return r;
		}
		if (hrealm_vec_push(&h->rtt_pa, rtt) || hrealm_vec_push(&h->rtt_ipa, base) ||
		    hrealm_vec_push(&h->rtt_level, (uint64_t)l))
			return hrealm_fail(-ENOMEM, "out of memory");
	}
	return 0;
}

/* Tables for every page of [base, top), then RIPAS RAM over it. */
int hrealm_rtt_path(struct hrealm *h, uint64_t ipa)
{
	return hrealm_rtt_path_to(h, ipa, RTT_PAGE_LEVEL);
}

/*
 * Tables for [base, top) down to level `leaf`, then RIPAS RAM over it.
 * RTT_INIT_RIPAS measures one descriptor per entry it changes, so a range
 * only given RIPAS now (leaf 2: one entry per 2 MiB) costs 512 times less
 * RIM work than one with its pages' tables (leaf 3); RTT_CREATE later
 * splits a level-2 entry into 512 RAM pages.
 */
int hrealm_ram_range_to(struct hrealm *h, uint64_t base, uint64_t top, long leaf)
{
	int r;

	for (uint64_t a = ALIGN_DOWN(base, RTT_LEVEL_SIZE(2)); a < top; a += RTT_LEVEL_SIZE(2))
		if ((r = hrealm_rtt_path_to(h, a < base ? base : a, leaf)))
			return r;
	while (base < top) {
		struct smc_regs res;

		if ((r = hrealm_rmi_ok("RTT_INIT_RIPAS", hrealm_rmi(SMC_RMI_RTT_INIT_RIPAS, h->rd,
								    base, top, 0, 0, &res))))
			return r;
		if (res.x[1] <= base)
			return hrealm_fail(-EIO, "RTT_INIT_RIPAS made no progress");
		base = res.x[1];
	}
	return 0;
}

/*
 * [base, top) as RIPAS RAM with every page's table: whole 2 MiB blocks get
 * their RIPAS at level 2 and are split after, the edges page by page.
 */
int hrealm_ram_range(struct hrealm *h, uint64_t base, uint64_t top)
{
	uint64_t blk = RTT_LEVEL_SIZE(2), mid = ALIGN_UP(base, blk), end = ALIGN_DOWN(top, blk);
	int r;

	if (mid >= end)
		return hrealm_ram_range_to(h, base, top, RTT_PAGE_LEVEL);
	if ((base < mid && (r = hrealm_ram_range_to(h, base, mid, RTT_PAGE_LEVEL))) ||
	    (r = hrealm_ram_range_to(h, mid, end, 2)) ||
	    (end < top && (r = hrealm_ram_range_to(h, end, top, RTT_PAGE_LEVEL))))
		return r;
	for (uint64_t a = mid; a < end; a += blk)
		if ((r = hrealm_rtt_path(h, a)))
			return r;
	return 0;
}

/* DATA at ipa: measured content (DATA_CREATE) if content, else DATA_CREATE_UNKNOWN. */
int hrealm_data_at(struct hrealm *h, uint64_t ipa, uint64_t pa, const void *content, bool measure)
{
	uint64_t st;
	int r;

	if (content) {
		uint64_t src = host_granule_alloc();
		if (!src)
			return hrealm_fail(-ENOMEM, "out of host memory");
		host_mem_write(src, content, PG);
		st = hrealm_rmi(SMC_RMI_DATA_CREATE, h->rd, pa, ipa, src,
				measure ? RMI_MEASURE_CONTENT : 0, NULL);
		host_granule_free(src);
	} else {
		st = hrealm_rmi(SMC_RMI_DATA_CREATE_UNKNOWN, h->rd, pa, ipa, 0, 0, NULL);
	}
	if ((r = hrealm_rmi_ok(content ? "DATA_CREATE" : "DATA_CREATE_UNKNOWN", st)))
		return r;
	if (hrealm_vec_push(&h->data_pa, pa) || hrealm_vec_push(&h->data_ipa, ipa))
		return hrealm_fail(-ENOMEM, "out of memory");
	return 0;
}

/* n granules of DATA at [ipa, ipa + n pages), physically contiguous (so they map as one). */
int hrealm_data_range(struct hrealm *h, uint64_t ipa, uint64_t n, bool contiguous)
{
	uint64_t base = contiguous ? host_granules_alloc((unsigned)n, PG) : 0;
	int r;

	if (contiguous && !base)
		return hrealm_fail(-ENOMEM, "out of host memory for %llu contiguous granules",
				   (unsigned long long)n);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t pa;

		if (contiguous) {
			pa = base + i * PG;
			if (hrealm_rmi(SMC_RMI_GRANULE_DELEGATE, pa, 0, 0, 0, 0, NULL) !=
			    RMI_SUCCESS) {
				host_granules_free(pa, (unsigned)(n - i));
				return hrealm_fail(-EIO, "GRANULE_DELEGATE failed");
			}
		} else if ((r = hrealm_delegate_new(&pa))) {
			return r;
		}
		if ((r = hrealm_data_at(h, ipa + i * PG, pa, NULL, false))) {
			hrealm_undelegate_free(pa);
			if (contiguous && i + 1 < n)
				host_granules_free(pa + PG, (unsigned)(n - i - 1));
			return r;
		}
	}
	return 0;
}

/* A new REC of h (the next MPIDR) starting at pc with gprs. */
int hrealm_rec_create(struct hrealm *h, uint64_t pc, const uint64_t gprs[8])
{
	struct rmi_rec_params rp;
	struct smc_regs res;
	struct hrec *hr;
	uint64_t params, rec;
	int r;

	if (h->nrecs >= HREC_MAX)
		return hrealm_fail(-EINVAL, "too many RECs");
	hr = &h->recs[h->nrecs];
	memset(hr, 0, sizeof(*hr));
	if ((r = hrealm_rmi_ok("REC_AUX_COUNT",
			       hrealm_rmi(SMC_RMI_REC_AUX_COUNT, h->rd, 0, 0, 0, 0, &res))))
		return r;
	if (res.x[1] > RMI_REC_MAX_AUX)
		return hrealm_fail(-EIO, "REC_AUX_COUNT too large");
	memset(&rp, 0, sizeof(rp));
	rp.flags = RMI_REC_FLAG_RUNNABLE;
	rp.pc = pc;
	rp.mpidr = realm_rec_mpidr(h->nrecs);
	if (gprs)
		memcpy(rp.gprs, gprs, sizeof(rp.gprs));
	rp.num_aux = res.x[1];
	h->nrecs++; /* from here on realm_destroy gives back what hr holds */
	for (unsigned i = 0; i < rp.num_aux; i++) {
		if ((r = hrealm_delegate_new(&hr->aux[i])))
			return r;
		hr->naux = i + 1;
		rp.aux[i] = hr->aux[i];
	}
	if ((r = hrealm_delegate_new(&rec)))
		return r;
	params = host_granule_alloc();
	if (!params) {
		hrealm_undelegate_free(rec);
		return hrealm_fail(-ENOMEM, "out of host memory");
	}
	host_mem_write(params, &rp, sizeof(rp));
	uint64_t st = hrealm_rmi(SMC_RMI_REC_CREATE, h->rd, rec, params, 0, 0, NULL);
	host_granule_free(params);
	if ((r = hrealm_rmi_ok("REC_CREATE", st))) {
		hrealm_undelegate_free(rec);
		return r;
	}
	hr->rec = rec;
	hr->run = host_granule_alloc();
	return hr->run ? 0 : hrealm_fail(-ENOMEM, "out of host memory");
}

int hrealm_map_ns(struct hrealm *h, uint64_t ipa, uint64_t n)
{
	int r;

	if ((r = hrealm_rtt_path(h, ipa)))
		return r;
	uint64_t base = host_granules_alloc((unsigned)n, PG);
	if (!base)
		return hrealm_fail(-ENOMEM, "out of host memory for the NS buffer");
	for (uint64_t i = 0; i < n; i++) {
		uint64_t pa = base + i * PG;
		if ((r = hrealm_rmi_ok("RTT_MAP_UNPROTECTED",
				       hrealm_rmi(SMC_RMI_RTT_MAP_UNPROTECTED, h->rd, ipa + i * PG,
						  RTT_PAGE_LEVEL,
						  pa | S2TT_MEMATTR_NORMAL_WB | S2TT_S2AP_RW, 0,
						  NULL)))) {
			host_granules_free(pa, (unsigned)(n - i));
			return r;
		}
		if (hrealm_vec_push(&h->ns_pa, pa) || hrealm_vec_push(&h->ns_ipa, ipa + i * PG))
			return hrealm_fail(-ENOMEM, "out of memory");
	}
	return 0;
}

/* Give everything back, in the order the RMM allows. Returns the number of failures. */
unsigned hrealm_destroy(struct hrealm *h)
{
	unsigned bad = 0;
	struct smc_regs res;

	for (unsigned k = h->nrecs; k-- > 0;) {
		struct hrec *hr = &h->recs[k];

		if (hr->rec) {
			if (hrealm_rmi(SMC_RMI_REC_DESTROY, hr->rec, 0, 0, 0, 0, NULL) ==
			    RMI_SUCCESS) {
				hrealm_undelegate_free(hr->rec);
			} else {
				bad++;
				continue; /* its aux granules stay with it */
			}
			hr->rec = 0;
		}
		for (unsigned i = 0; i < hr->naux; i++)
			hrealm_undelegate_free(hr->aux[i]);
		hr->naux = 0;
		if (hr->run)
			host_granule_free(hr->run);
		hr->run = 0;
	}
	h->nrecs = 0;
	for (size_t i = h->data_pa.n; i-- > 0;) {
		if (hrealm_rmi(SMC_RMI_DATA_DESTROY, h->rd, h->data_ipa.a[i], 0, 0, 0, &res) ==
		    RMI_SUCCESS)
			hrealm_undelegate_free(h->data_pa.a[i]);
		else
			bad++;
	}
	for (size_t i = h->ns_pa.n; i-- > 0;) {
		if (hrealm_rmi(SMC_RMI_RTT_UNMAP_UNPROTECTED, h->rd, h->ns_ipa.a[i], RTT_PAGE_LEVEL,
			       0, 0, NULL) == RMI_SUCCESS)
			host_granule_free(h->ns_pa.a[i]);
		else
			bad++;
	}
	for (size_t i = h->rtt_pa.n; i-- > 0;) {
		if (hrealm_rmi(SMC_RMI_RTT_DESTROY, h->rd, h->rtt_ipa.a[i], h->rtt_level.a[i], 0, 0,
			       &res) == RMI_SUCCESS)
			hrealm_undelegate_free(h->rtt_pa.a[i]);
		else
			bad++;
	}
	if (h->created) {
		if (hrealm_rmi(SMC_RMI_REALM_DESTROY, h->rd, 0, 0, 0, 0, NULL) != RMI_SUCCESS)
			bad++;
		else
			h->created = false;
	}
	if (!h->created) {
		hrealm_undelegate_free(h->rd);
		if (h->rtt_base)
			for (unsigned i = 0; i < h->nroot; i++)
				hrealm_undelegate_free(h->rtt_base + i * PG);
	}
	free(h->rtt_pa.a);
	free(h->rtt_ipa.a);
	free(h->rtt_level.a);
	free(h->data_pa.a);
	free(h->data_ipa.a);
	free(h->ns_pa.a);
	free(h->ns_ipa.a);
	memset(h, 0, sizeof(*h));
	return bad;
}

/* REC_ENTER with gprs for a pending host call; the exit in *ex. */
uint64_t hrealm_enter_flags(struct hrec *h, const uint64_t *gprs, unsigned n, uint64_t flags,
			    struct rmi_rec_exit *ex)
{
	struct rmi_rec_enter en;

	memset(&en, 0, sizeof(en));
	en.flags = flags;
	for (unsigned i = 0; i < n; i++)
		en.gprs[i] = gprs[i];
	host_mem_write(h->run, &en, sizeof(en));
	uint64_t st = hrealm_rmi(SMC_RMI_REC_ENTER, h->rec, h->run, 0, 0, 0, NULL);
	host_mem_read(h->run + offsetof(struct rmi_rec_run, exit), ex, sizeof(*ex));
	return st;
}

uint64_t hrealm_enter(struct hrec *h, const uint64_t *gprs, unsigned n, struct rmi_rec_exit *ex)
{
	return hrealm_enter_flags(h, gprs, n, 0, ex);
}
