/*
 * Offline container identity (host/measure.h): a software model of the
 * RIM computation of cca-spec §5 (with realmbox's REALM_CREATE extension,
 * docs/fasco-abi.md §1) replayed over the Container Realm's build recipe.
 *
 * The model is written from the specification, not from src/rmm: hashing
 * with mbedTLS directly, descriptors assembled byte by byte, and the RTT
 * levels at which RTT_INIT_RIPAS meets each range derived from the tables
 * the recipe's helpers create (deploy/realm.c: ram_range, ram_range_to).
 */
#include "host/measure.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/sha256.h>
#include <mbedtls/sha512.h>

#include "deploy/deploy.h"
#include "deploy/realm.h"
#include "host/err.h"
#include "host/manifest.h"
#include "host/oci.h"
#include "host/run.h"

#define PG 4096ULL
#define IPA_LIMIT (1ULL << 39) /* protected half of s2sz 40 */

struct model {
	int algo; /* 0 SHA-256, 1 SHA-512 (RMI hash_algo) */
	size_t hlen;
	uint8_t rim[64];
	uint8_t l2[IPA_LIMIT >> 30 >> 3];  /* level-2 table present, per 1 GiB */
	uint8_t *l3;                        /* level-3 table present, per 2 MiB */
};

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* H(buf) into a 64-byte slot, zero padded. */
static void model_hash(const struct model *m, const void *buf, size_t len, uint8_t out[64])
{
	memset(out, 0, 64);
	if (m->algo == 0)
		mbedtls_sha256_ret(buf, len, out, 0);
	else
		mbedtls_sha512_ret(buf, len, out, 0);
}

/* RIM = H(256-byte descriptor: type @0, 0x100 @8, RIM @0x10, fields from 0x50). */
static void extend(struct model *m, uint8_t type, const uint8_t fields[0xB0])
{
	uint8_t d[0x100];

	memset(d, 0, sizeof(d));
	d[0] = type;
	put64(d + 8, 0x100);
	memcpy(d + 0x10, m->rim, 64);
	memcpy(d + 0x50, fields, 0xB0);
	model_hash(m, d, sizeof(d), m->rim);
}

static bool bit(const uint8_t *b, uint64_t i)
{
	return (b[i >> 3] >> (i & 7)) & 1;
}

static void set_bit(uint8_t *b, uint64_t i)
{
	b[i >> 3] |= (uint8_t)(1u << (i & 7));
}

/* RTT_CREATE of the tables on the way to `leaf` for ipa (existing ones kept). */
static void tables_to(struct model *m, uint64_t ipa, long leaf)
{
	if (leaf >= 2)
		set_bit(m->l2, ipa >> 30);
	if (leaf >= 3)
		set_bit(m->l3, ipa >> 21);
}

/*
 * One RTT_INIT_RIPAS(base, top): the walk stops at the deepest table
 * covering base; from base (aligned to that level's entry size) every
 * whole entry up to top and to the end of that table gets RIPAS RAM and
 * is measured as one descriptor (type 2, base @0x50, top @0x58).
 * Returns the address reached, or base if no progress.
 */
static uint64_t init_ripas(struct model *m, uint64_t base, uint64_t top)
{
	unsigned shift;
	uint64_t n;

	if (bit(m->l3, base >> 21))
		shift = 12, n = 512;
	else if (bit(m->l2, base >> 30))
		shift = 21, n = 512;
	else
		shift = 30, n = 1024; /* level 1: two concatenated root tables */
	uint64_t size = 1ULL << shift, addr = base;
	if (base & (size - 1))
		return base;
	for (uint64_t i = (base >> shift) & (n - 1); i < n && addr + size <= top; i++) {
		uint8_t f[0xB0] = {0};

		put64(f, addr);
		put64(f + 8, addr + size);
		extend(m, 2, f);
		addr += size;
	}
	return addr;
}

/* deploy/realm.c's ram_range_to: tables for every 2 MiB block, then RIPAS. */
static int ripas_to(struct model *m, uint64_t base, uint64_t top, long leaf)
{
	const uint64_t blk = 1ULL << 21;

	if (base >= top || top > IPA_LIMIT || (base | top) & (PG - 1))
		return -EINVAL;
	for (uint64_t a = base & ~(blk - 1); a < top; a += blk)
		tables_to(m, a < base ? base : a, leaf);
	while (base < top) {
		uint64_t next = init_ripas(m, base, top);
		if (next <= base)
			return -EINVAL;
		base = next;
	}
	return 0;
}

/* deploy/realm.c's ram_range: 2 MiB blocks at level 2, then split; edges at level 3. */
static int ram(struct model *m, uint64_t base, uint64_t top)
{
	const uint64_t blk = 1ULL << 21;
	uint64_t mid = (base + blk - 1) & ~(blk - 1), end = top & ~(blk - 1);
	int r;

	if (mid >= end)
		return ripas_to(m, base, top, 3);
	if ((base < mid && (r = ripas_to(m, base, mid, 3))) || (r = ripas_to(m, mid, end, 2)) ||
	    (end < top && (r = ripas_to(m, end, top, 3))))
		return r;
	for (uint64_t a = mid; a < end; a += blk)
		tables_to(m, a, 3);
	return 0;
}

int host_measure_container(const struct realm_ct_recipe *r, const uint8_t *config,
			   size_t config_len, uint8_t rim[64], size_t *rim_len)
{
	static struct model m;
	uint8_t *img;
	int ret = 0;

	if (r->hash_algo > 1 || r->s2sz != 40 || config_len != r->config_size)
		return -EINVAL;
	memset(&m, 0, sizeof(m));
	m.algo = (int)r->hash_algo;
	m.hlen = m.algo == 0 ? 32 : 64;
	m.l3 = calloc(1, IPA_LIMIT >> 21 >> 3);
	img = calloc(1, PG);
	if (!m.l3 || !img) {
		free(m.l3);
		free(img);
		return -ENOMEM;
	}

	/* REALM_CREATE: the RmiRealmParams image with only the measured fields */
	put64(img + 0x000, 0);          /* flags */
	put64(img + 0x008, r->s2sz);    /* s2sz */
	img[0x030] = (uint8_t)r->hash_algo;
	put64(img + 0xF00, r->kind);    /* realmbox: kind; system_rd @0xF08 not measured */
	put64(img + 0xF10, r->config_ipa);
	put64(img + 0xF18, r->config_size);
	model_hash(&m, img, PG, m.rim);

	for (unsigned s = 0; ret == 0 && s < r->nsteps; s++) {
		const struct realm_ct_step *st = &r->steps[s];

		switch (st->op) {
		case RCS_RAM:
			ret = ram(&m, st->base, st->top);
			break;
		case RCS_RIPAS:
			if (st->leaf < 1 || st->leaf > 3)
				ret = -EINVAL;
			else
				ret = ripas_to(&m, st->base, st->top, st->leaf);
			break;
		case RCS_CONFIG:
			/* DATA_CREATE, RMI_MEASURE_CONTENT: ipa @0x50, flags @0x58, H(page) @0x60 */
			for (uint64_t i = 0; st->base + i * PG < st->top; i++) {
				uint8_t f[0xB0] = {0}, page[PG];
				size_t off = (size_t)(i * PG);
				size_t n = config_len > off ? config_len - off : 0;

				memset(page, 0, sizeof(page));
				memcpy(page, config + off, n < PG ? n : PG);
				put64(f, st->base + i * PG);
				put64(f + 8, 1 /* RMI_MEASURE_CONTENT */);
				model_hash(&m, page, PG, f + 0x10);
				extend(&m, 0, f);
			}
			break;
		case RCS_POOL:
			break; /* DATA_CREATE_UNKNOWN is not measured */
		case RCS_RECS: {
			/* REC_CREATE: H(RmiRecParams image with flags, pc, gprs kept) @0x50 */
			uint8_t f[0xB0] = {0};

			memset(img, 0, PG);
			put64(img + 0x000, r->rec_flags);
			put64(img + 0x200, r->rec_pc); /* gprs @0x300: zero */
			model_hash(&m, img, PG, f);
			if (!(r->rec_flags & 1))
				break; /* only RUNNABLE RECs are measured */
			for (uint64_t k = 0; k < st->count; k++)
				extend(&m, 1, f);
			break;
		}
		default:
			ret = -EINVAL;
		}
	}
	free(m.l3);
	free(img);
	if (ret)
		return ret;
	memcpy(rim, m.rim, 64);
	*rim_len = m.hlen;
	return 0;
}

/* ---- the command ---- */

static void usage(FILE *f)
{
	fprintf(f, "usage: realmbox measure [--bundle DIR] [--id ID] [--format text|json]\n"
		   "  the RIM (hex) a verifier should expect for the bundle's Container Realm\n"
		   "  --bundle, -b DIR  the bundle (default: the current directory)\n"
		   "  --id ID           the container ID, measured as the hostname when\n"
		   "                    config.json has none\n"
		   "  REALMBOX_REALM_POOL_MB, REALMBOX_REALM_POOL_MAX_MB, REALMBOX_REALM_RECS are\n"
		   "  measured too: give the same values as the run\n");
}

static void hexp(FILE *f, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", b[i]);
}

int host_measure_bundle(const char *bundle, const char *id, struct host_measurement *m,
			struct rb_err *err)
{
	struct rb_config cfg;
	struct rb_manifest mf;
	uint8_t *config = NULL;
	int r;

	memset(m, 0, sizeof(*m));
	if (id && !host_container_id_valid(id))
		return rb_err_set(err, EINVAL, "invalid container ID '%s'", id);
	if (host_bundle_load(bundle, &cfg, err) < 0)
		return -(err->errnum ? err->errnum : EINVAL);
	if (!cfg.hostname && !id) {
		host_config_free(&cfg);
		return rb_err_set(err, EINVAL,
				  "config.json has no hostname, so the container ID is measured as "
				  "the hostname: give --id ID");
	}
	cfg.id = id ? strdup(id) : NULL;
	if (host_manifest_build_config(&cfg, false, &mf, err) < 0) {
		host_config_free(&cfg);
		return rb_err_wrap(err, "rootfs manifest");
	}
	r = host_run_resolve_args0(&cfg, &mf, err);
	if (r >= 0) {
		r = realm_config_build(&cfg, mf.digest, &config, &m->config_len);
		if (r)
			rb_err_set(err, -r, "the start configuration is too large (%zu bytes)",
				   m->config_len);
	}
	if (r == 0) {
		realm_ct_recipe_init(&m->recipe, m->config_len);
		r = host_measure_container(&m->recipe, config, m->config_len, m->rim, &m->rim_len);
		if (r)
			rb_err_set(err, -r, "the recipe cannot be measured: %s", strerror(-r));
	}
	memcpy(m->manifest_digest, mf.digest, 32);
	m->manifest_entries = mf.n;
	free(config);
	host_manifest_free(&mf);
	host_config_free(&cfg);
	return r < 0 ? r : 0;
}

int host_cmd_measure(int argc, char **argv)
{
	const char *bundle = ".", *id = NULL, *format = "text";
	struct host_measurement m;
	struct rb_err err;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if ((!strcmp(a, "--bundle") || !strcmp(a, "-b")) && i + 1 < argc)
			bundle = argv[++i];
		else if (!strncmp(a, "--bundle=", 9))
			bundle = a + 9;
		else if (!strcmp(a, "--id") && i + 1 < argc)
			id = argv[++i];
		else if (!strcmp(a, "--format") && i + 1 < argc)
			format = argv[++i];
		else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "realmbox: measure: unknown argument '%s'\n", a);
			usage(stderr);
			return 2;
		}
	}
	if (strcmp(format, "text") && strcmp(format, "json")) {
		fprintf(stderr, "realmbox: measure: --format: text or json\n");
		return 2;
	}
	if (host_measure_bundle(bundle, id, &m, &err) < 0) {
		fprintf(stderr, "realmbox: measure: %s\n", err.msg);
		return 1;
	}
	if (!strcmp(format, "json")) {
		printf("{\"rim\": \"");
		hexp(stdout, m.rim, m.rim_len);
		printf("\", \"hash_algo\": \"%s\", \"manifest_digest\": \"",
		       m.recipe.hash_algo ? "sha-512" : "sha-256");
		hexp(stdout, m.manifest_digest, 32);
		printf("\", \"manifest_entries\": %zu, \"config_size\": %zu, \"pool_granules\": %llu, "
		       "\"pool_max_granules\": %llu, \"recs\": %llu}\n",
		       m.manifest_entries, m.config_len, (unsigned long long)m.recipe.pool_n,
		       (unsigned long long)m.recipe.pool_max, (unsigned long long)m.recipe.nrecs);
	} else {
		hexp(stdout, m.rim, m.rim_len);
		printf("\n");
	}
	return 0;
}
