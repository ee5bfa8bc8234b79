/*
 * Realm measurements (cca-spec §5), as TF-RMM v1.0-REL0 computes them.
 *
 * REALM_CREATE: RIM = H(RmiRealmParams image, 4096 bytes, keeping only
 * flags, s2sz, sve_vl, num_bps, num_wps, pmu_num_ctrs and hash_algo).
 * Each later measured event: RIM = H(256-byte descriptor) with the type at
 * 0x00, the length 0x100 at 0x08, the current RIM (64 bytes, zero padded)
 * at 0x10 and the event's fields from 0x50.
 */
#include "rmm/measure.h"
#include "arch/fasco.h"
#include "lib/assert.h"
#include "lib/errno.h"
#include "lib/hash.h"
#include "lib/string.h"

struct measure_desc {
	uint8_t desc_type;                   /* 0x00 */
	uint8_t reserved0[7];
	uint64_t len;                        /* 0x08 */
	uint8_t rim[MAX_MEASUREMENT_SIZE];   /* 0x10 */
	union {
		struct {
			uint64_t ipa;        /* 0x50 */
			uint64_t flags;      /* 0x58 */
			uint8_t content[MAX_MEASUREMENT_SIZE]; /* 0x60 */
		} data;
		struct {
			uint8_t content[MAX_MEASUREMENT_SIZE]; /* 0x50 */
		} rec;
		struct {
			uint64_t base;       /* 0x50 */
			uint64_t top;        /* 0x58 */
		} ripas;
		uint8_t raw[MEASURE_DESC_SIZE - 0x50];
	} u;
};
COMPILER_ASSERT(sizeof(struct measure_desc) == MEASURE_DESC_SIZE, "measurement descriptor size");
COMPILER_ASSERT(offsetof(struct measure_desc, rim) == 0x10, "desc.rim");
COMPILER_ASSERT(offsetof(struct measure_desc, u.data.ipa) == 0x50, "desc.ipa");
COMPILER_ASSERT(offsetof(struct measure_desc, u.data.flags) == 0x58, "desc.flags");
COMPILER_ASSERT(offsetof(struct measure_desc, u.data.content) == 0x60, "desc.data.content");
COMPILER_ASSERT(offsetof(struct measure_desc, u.rec.content) == 0x50, "desc.rec.content");
COMPILER_ASSERT(offsetof(struct measure_desc, u.ripas.top) == 0x58, "desc.ripas.top");

static uint8_t *rim(struct rd *rd)
{
	return rd->measurement[MEASUREMENT_RIM_INDEX];
}

/* H(buf) into a 64-byte slot, zero padded beyond the digest size. */
static void measure_hash(const struct rd *rd, const void *buf, size_t len,
			 uint8_t out[MAX_MEASUREMENT_SIZE])
{
	uint8_t digest[HASH_MAX_SIZE];
	size_t hlen = hash_size(rd->algo);
	int ret;

	ASSERT(hlen != 0);
	ret = hash_buf(rd->algo, buf, len, digest);
	ASSERT(ret == 0);
	memset(out, 0, MAX_MEASUREMENT_SIZE);
	memcpy(out, digest, hlen);
}

static void desc_init(struct measure_desc *d, struct rd *rd, uint8_t type)
{
	memset(d, 0, sizeof(*d));
	d->desc_type = type;
	d->len = MEASURE_DESC_SIZE;
	memcpy(d->rim, rim(rd), MAX_MEASUREMENT_SIZE);
}

static void desc_extend_rim(struct rd *rd, const struct measure_desc *d)
{
	measure_hash(rd, d, sizeof(*d), rim(rd));
}

void measure_realm_create(struct rd *rd, const struct rmi_realm_params *p)
{
	/* static: a 4 KiB image does not belong on a small RMM stack. */
	static struct rmi_realm_params img;
	static spinlock_t img_lock = SPINLOCK_INIT;

	spinlock_acquire(&img_lock);
	memset(&img, 0, sizeof(img));
	img.flags = p->flags;
	img.s2sz = p->s2sz;
	img.sve_vl = p->sve_vl;
	img.num_bps = p->num_bps;
	img.num_wps = p->num_wps;
	img.pmu_num_ctrs = p->pmu_num_ctrs;
	img.hash_algo = p->hash_algo;
	/* realmbox: the realm kind and a container's start configuration range. */
	{
		struct rb_realm_params_ext ext;

		memcpy(&ext, (const uint8_t *)p + RB_REALM_PARAMS_EXT_OFFSET, sizeof(ext));
		ext.system_rd = 0;
		memcpy((uint8_t *)&img + RB_REALM_PARAMS_EXT_OFFSET, &ext, sizeof(ext));
	}
	measure_hash(rd, &img, sizeof(img), rim(rd));
	spinlock_release(&img_lock);
}

void measure_data_create(struct rd *rd, uint64_t ipa, uint64_t flags, const void *content)
{
	struct measure_desc d;

	desc_init(&d, rd, MEASURE_DESC_DATA);
	d.u.data.ipa = ipa;
	d.u.data.flags = flags;
	if ((flags & RMI_MEASURE_CONTENT) != 0) {
		ASSERT(content != NULL);
		measure_hash(rd, content, GRANULE_SIZE, d.u.data.content);
	}
	desc_extend_rim(rd, &d);
}

void measure_rec_create(struct rd *rd, const struct rmi_rec_params *p)
{
	static struct rmi_rec_params img;
	static spinlock_t img_lock = SPINLOCK_INIT;
	struct measure_desc d;

	desc_init(&d, rd, MEASURE_DESC_REC);
	spinlock_acquire(&img_lock);
	memset(&img, 0, sizeof(img));
	img.flags = p->flags;
	img.pc = p->pc;
	memcpy(img.gprs, p->gprs, sizeof(img.gprs));
	measure_hash(rd, &img, sizeof(img), d.u.rec.content);
	spinlock_release(&img_lock);
	desc_extend_rim(rd, &d);
}

void measure_init_ripas(struct rd *rd, uint64_t base, uint64_t top)
{
	struct measure_desc d;

	desc_init(&d, rd, MEASURE_DESC_RIPAS);
	d.u.ripas.base = base;
	d.u.ripas.top = top;
	desc_extend_rim(rd, &d);
}

int measure_rem_extend(struct rd *rd, unsigned idx, const void *data, size_t size)
{
	struct hash_ctx ctx;
	uint8_t digest[HASH_MAX_SIZE];
	size_t hlen = hash_size(rd->algo);

	if (idx < 1 || idx >= MEASUREMENT_SLOT_NR || size > RSI_EXTEND_MAX_SIZE || hlen == 0 ||
	    (size != 0 && data == NULL))
		return -EINVAL;
	if (hash_init(&ctx, rd->algo) != 0)
		return -EINVAL;
	hash_update(&ctx, rd->measurement[idx], hlen);
	if (size != 0)
		hash_update(&ctx, data, size);
	hash_final(&ctx, digest);
	memset(rd->measurement[idx], 0, MAX_MEASUREMENT_SIZE);
	memcpy(rd->measurement[idx], digest, hlen);
	return 0;
}
