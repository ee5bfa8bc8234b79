/*
 * Realm Management Interface (host -> RMM), RMM specification v1.0-REL0:
 * function IDs, status codes, and the layouts of RmiRealmParams,
 * RmiRecParams and RmiRecRun, each checked at compile time.
 */
#ifndef ARCH_RMI_H
#define ARCH_RMI_H

#include "arch/arch.h"
#include "arch/smc.h"

#define RMI_ABI_VERSION_MAJOR 1
#define RMI_ABI_VERSION_MINOR 0
#define RMI_ABI_VERSION ((RMI_ABI_VERSION_MAJOR << 16) | RMI_ABI_VERSION_MINOR)

#define SMC_RMI_VERSION SMC64_FID(0x150)
#define SMC_RMI_GRANULE_DELEGATE SMC64_FID(0x151)
#define SMC_RMI_GRANULE_UNDELEGATE SMC64_FID(0x152)
#define SMC_RMI_DATA_CREATE SMC64_FID(0x153)
#define SMC_RMI_DATA_CREATE_UNKNOWN SMC64_FID(0x154)
#define SMC_RMI_DATA_DESTROY SMC64_FID(0x155)
#define SMC_RMI_REALM_ACTIVATE SMC64_FID(0x157)
#define SMC_RMI_REALM_CREATE SMC64_FID(0x158)
#define SMC_RMI_REALM_DESTROY SMC64_FID(0x159)
#define SMC_RMI_REC_CREATE SMC64_FID(0x15A)
#define SMC_RMI_REC_DESTROY SMC64_FID(0x15B)
#define SMC_RMI_REC_ENTER SMC64_FID(0x15C)
#define SMC_RMI_RTT_CREATE SMC64_FID(0x15D)
#define SMC_RMI_RTT_DESTROY SMC64_FID(0x15E)
#define SMC_RMI_RTT_MAP_UNPROTECTED SMC64_FID(0x15F)
#define SMC_RMI_RTT_READ_ENTRY SMC64_FID(0x161)
#define SMC_RMI_RTT_UNMAP_UNPROTECTED SMC64_FID(0x162)
#define SMC_RMI_PSCI_COMPLETE SMC64_FID(0x164)
#define SMC_RMI_FEATURES SMC64_FID(0x165)
#define SMC_RMI_RTT_FOLD SMC64_FID(0x166)
#define SMC_RMI_REC_AUX_COUNT SMC64_FID(0x167)
#define SMC_RMI_RTT_INIT_RIPAS SMC64_FID(0x168)
#define SMC_RMI_RTT_SET_RIPAS SMC64_FID(0x169)

/* Status: X0 = (index << 8) | status. */
#define RMI_SUCCESS 0
#define RMI_ERROR_INPUT 1
#define RMI_ERROR_REALM 2
#define RMI_ERROR_REC 3
#define RMI_ERROR_RTT 4
#define RMI_STATUS(code, index) ((uint64_t)(code) | ((uint64_t)(index) << 8))
#define RMI_STATUS_CODE(x0) ((x0) & 0xFFULL)
#define RMI_STATUS_INDEX(x0) (((x0) >> 8) & 0xFFULL)

/* Granule states (cca-spec §2). */
#define RMI_GRANULE_NS 0
#define RMI_GRANULE_DELEGATED 1
#define RMI_GRANULE_RD 2
#define RMI_GRANULE_REC 3
#define RMI_GRANULE_REC_AUX 4
#define RMI_GRANULE_DATA 5
#define RMI_GRANULE_RTT 6

/* Realm states. */
#define RMI_REALM_NEW 0
#define RMI_REALM_ACTIVE 1
#define RMI_REALM_SYSTEM_OFF 2

/* RTT entry states and RIPAS values (RTT_READ_ENTRY outputs). */
#define RMI_RTT_UNASSIGNED 0
#define RMI_RTT_ASSIGNED 1
#define RMI_RTT_TABLE 2
#define RIPAS_EMPTY 0
#define RIPAS_RAM 1
#define RIPAS_DESTROYED 2

/* DATA_CREATE flags. */
#define RMI_MEASURE_CONTENT 1ULL

/* RTT geometry: 4 KiB granules, levels 0..3. */
#define RTT_MIN_LEVEL 0
#define RTT_MAX_LEVEL 3
#define RTT_ENTRIES 512
#define RTT_LEVEL_SHIFT(l) (12 + 9 * (3 - (l))) /* 39, 30, 21, 12 */
#define RTT_LEVEL_SIZE(l) (1ULL << RTT_LEVEL_SHIFT(l))
#define RTT_PAGE_LEVEL 3
#define RTT_MIN_BLOCK_LEVEL 2 /* realmbox maps blocks at level 2 and 3 only */
#define RTT_MAX_ROOT_RTTS 16  /* concatenated starting-level tables */

/* Hash algorithms in RmiRealmParams.hash_algo. */
#define RMI_HASH_SHA_256 0
#define RMI_HASH_SHA_512 1

/* RmiRealmParams.flags */
#define RMI_REALM_FLAG_LPA2 BIT(0)
#define RMI_REALM_FLAG_SVE BIT(1)
#define RMI_REALM_FLAG_PMU BIT(2)

/* FEATURES register 0 (REL0 layout, cca-spec §1; realmbox follows REL0). */
#define RMI_FEATURE_REGISTER_0_INDEX 0
#define RMI_FEAT0_S2SZ(v) INSERT_BITS(v, 7, 0)
#define RMI_FEAT0_LPA2 BIT(8)
#define RMI_FEAT0_SVE_EN BIT(9)
#define RMI_FEAT0_SVE_VL(v) INSERT_BITS(v, 13, 10)
#define RMI_FEAT0_NUM_BPS(v) INSERT_BITS(v, 19, 14)
#define RMI_FEAT0_NUM_WPS(v) INSERT_BITS(v, 25, 20)
#define RMI_FEAT0_PMU_EN BIT(26)
#define RMI_FEAT0_PMU_NUM_CTRS(v) INSERT_BITS(v, 31, 27)
#define RMI_FEAT0_HASH_SHA_256 BIT(32)
#define RMI_FEAT0_HASH_SHA_512 BIT(33)
#define RMI_FEAT0_GICV3_NUM_LRS(v) INSERT_BITS(v, 37, 34)
#define RMI_FEAT0_MAX_RECS_ORDER(v) INSERT_BITS(v, 41, 38)

#define RMI_REALM_PARAMS_RPV_SIZE 64

/* RmiRealmParams: one NS granule. */
struct rmi_realm_params {
	uint64_t flags;            /* 0x000 */
	uint64_t s2sz;             /* 0x008 */
	uint64_t sve_vl;           /* 0x010 */
	uint64_t num_bps;          /* 0x018 */
	uint64_t num_wps;          /* 0x020 */
	uint64_t pmu_num_ctrs;     /* 0x028 */
	uint8_t hash_algo;         /* 0x030 */
	uint8_t reserved0[0x400 - 0x031];
	uint8_t rpv[RMI_REALM_PARAMS_RPV_SIZE]; /* 0x400 */
	uint8_t reserved1[0x800 - 0x440];
	uint16_t vmid;             /* 0x800 */
	uint8_t reserved2[6];
	uint64_t rtt_base;         /* 0x808 */
	int64_t rtt_level_start;   /* 0x810 */
	uint64_t rtt_num_start;    /* 0x818 */
	uint8_t reserved3[0x1000 - 0x820];
};
COMPILER_ASSERT(sizeof(struct rmi_realm_params) == 0x1000, "RmiRealmParams size");
COMPILER_ASSERT(offsetof(struct rmi_realm_params, s2sz) == 0x008, "s2sz");
COMPILER_ASSERT(offsetof(struct rmi_realm_params, hash_algo) == 0x030, "hash_algo");
COMPILER_ASSERT(offsetof(struct rmi_realm_params, rpv) == 0x400, "rpv");
COMPILER_ASSERT(offsetof(struct rmi_realm_params, vmid) == 0x800, "vmid");
COMPILER_ASSERT(offsetof(struct rmi_realm_params, rtt_base) == 0x808, "rtt_base");
COMPILER_ASSERT(offsetof(struct rmi_realm_params, rtt_level_start) == 0x810, "rtt_level_start");
COMPILER_ASSERT(offsetof(struct rmi_realm_params, rtt_num_start) == 0x818, "rtt_num_start");

/* RmiRecParams */
#define RMI_REC_FLAG_RUNNABLE BIT(0)
#define RMI_REC_PARAMS_GPRS 8
#define RMI_REC_MAX_AUX 16
#define RMI_REC_AUX_COUNT 16 /* what REC_AUX_COUNT returns, as TF-RMM */

struct rmi_rec_params {
	uint64_t flags;            /* 0x000 */
	uint8_t reserved0[0x100 - 0x008];
	uint64_t mpidr;            /* 0x100 */
	uint8_t reserved1[0x200 - 0x108];
	uint64_t pc;               /* 0x200 */
	uint8_t reserved2[0x300 - 0x208];
	uint64_t gprs[RMI_REC_PARAMS_GPRS]; /* 0x300 */
	uint8_t reserved3[0x800 - 0x340];
	uint64_t num_aux;          /* 0x800 */
	uint64_t aux[RMI_REC_MAX_AUX]; /* 0x808 */
	uint8_t reserved4[0x1000 - 0x888];
};
COMPILER_ASSERT(sizeof(struct rmi_rec_params) == 0x1000, "RmiRecParams size");
COMPILER_ASSERT(offsetof(struct rmi_rec_params, mpidr) == 0x100, "mpidr");
COMPILER_ASSERT(offsetof(struct rmi_rec_params, pc) == 0x200, "pc");
COMPILER_ASSERT(offsetof(struct rmi_rec_params, gprs) == 0x300, "gprs");
COMPILER_ASSERT(offsetof(struct rmi_rec_params, num_aux) == 0x800, "num_aux");
COMPILER_ASSERT(offsetof(struct rmi_rec_params, aux) == 0x808, "aux");

/* RmiRecRun */
#define RMI_REC_GPRS 31
#define RMI_GIC_NUM_LRS 16

#define REC_ENTER_FLAG_EMUL_MMIO BIT(0)
#define REC_ENTER_FLAG_INJECT_SEA BIT(1)
#define REC_ENTER_FLAG_TRAP_WFI BIT(2)
#define REC_ENTER_FLAG_TRAP_WFE BIT(3)
#define REC_ENTER_FLAG_RIPAS_RESPONSE BIT(4) /* set = reject */
/*
 * realmbox's Fasco extension (docs/fasco-abi.md, exitless forwarding): a
 * container REC's forwarded request may wait in the RMM, for a bounded
 * time, for the System Realm's COMPLETE instead of exiting at once.
 */
#define REC_ENTER_FLAG_RB_EXITLESS BIT(8)

#define RMI_EXIT_SYNC 0
#define RMI_EXIT_IRQ 1
#define RMI_EXIT_FIQ 2
#define RMI_EXIT_PSCI 3
#define RMI_EXIT_RIPAS_CHANGE 4
#define RMI_EXIT_HOST_CALL 5
#define RMI_EXIT_SERROR 6
/* realmbox's own exit reasons start here (Fasco forwarding, issue 3). */
#define RMI_EXIT_REALMBOX_BASE 0x100

struct rmi_rec_enter {
	uint64_t flags;                         /* 0x000 */
	uint8_t reserved0[0x200 - 0x008];
	uint64_t gprs[RMI_REC_GPRS];            /* 0x200 */
	uint8_t reserved1[0x300 - 0x2F8];
	uint64_t gicv3_hcr;                     /* 0x300 */
	uint64_t gicv3_lrs[RMI_GIC_NUM_LRS];    /* 0x308 */
	uint8_t reserved2[0x800 - 0x388];
};

struct rmi_rec_exit {
	uint64_t exit_reason;                   /* 0x000 */
	uint8_t reserved0[0x100 - 0x008];
	uint64_t esr;                           /* 0x100 */
	uint64_t far;                           /* 0x108 */
	uint64_t hpfar;                         /* 0x110 */
	uint8_t reserved1[0x200 - 0x118];
	uint64_t gprs[RMI_REC_GPRS];            /* 0x200 */
	uint8_t reserved2[0x300 - 0x2F8];
	uint64_t gicv3_hcr;                     /* 0x300 */
	uint64_t gicv3_lrs[RMI_GIC_NUM_LRS];    /* 0x308 */
	uint64_t gicv3_misr;                    /* 0x388 */
	uint64_t gicv3_vmcr;                    /* 0x390 */
	uint8_t reserved3[0x400 - 0x398];
	uint64_t cntp_ctl;                      /* 0x400 */
	uint64_t cntp_cval;                     /* 0x408 */
	uint64_t cntv_ctl;                      /* 0x410 */
	uint64_t cntv_cval;                     /* 0x418 */
	uint8_t reserved4[0x500 - 0x420];
	uint64_t ripas_base;                    /* 0x500 */
	uint64_t ripas_top;                     /* 0x508 */
	uint64_t ripas_value;                   /* 0x510 */
	uint8_t reserved5[0x600 - 0x518];
	uint64_t imm;                           /* 0x600 */
	uint8_t reserved6[0x700 - 0x608];
	uint64_t pmu_ovf_status;                /* 0x700 */
	uint8_t reserved7[0x800 - 0x708];
};

struct rmi_rec_run {
	struct rmi_rec_enter enter;             /* 0x000 */
	struct rmi_rec_exit exit;               /* 0x800 */
};
COMPILER_ASSERT(sizeof(struct rmi_rec_enter) == 0x800, "RmiRecEnter size");
COMPILER_ASSERT(sizeof(struct rmi_rec_exit) == 0x800, "RmiRecExit size");
COMPILER_ASSERT(sizeof(struct rmi_rec_run) == 0x1000, "RmiRecRun size");
COMPILER_ASSERT(offsetof(struct rmi_rec_enter, gprs) == 0x200, "enter.gprs");
COMPILER_ASSERT(offsetof(struct rmi_rec_enter, gicv3_lrs) == 0x308, "enter.lrs");
COMPILER_ASSERT(offsetof(struct rmi_rec_run, exit) == 0x800, "exit");
COMPILER_ASSERT(offsetof(struct rmi_rec_exit, esr) == 0x100, "exit.esr");
COMPILER_ASSERT(offsetof(struct rmi_rec_exit, hpfar) == 0x110, "exit.hpfar");
COMPILER_ASSERT(offsetof(struct rmi_rec_exit, gprs) == 0x200, "exit.gprs");
COMPILER_ASSERT(offsetof(struct rmi_rec_exit, gicv3_misr) == 0x388, "exit.misr");
COMPILER_ASSERT(offsetof(struct rmi_rec_exit, cntp_ctl) == 0x400, "exit.cntp_ctl");
COMPILER_ASSERT(offsetof(struct rmi_rec_exit, ripas_base) == 0x500, "exit.ripas_base");
COMPILER_ASSERT(offsetof(struct rmi_rec_exit, imm) == 0x600, "exit.imm");
COMPILER_ASSERT(offsetof(struct rmi_rec_exit, pmu_ovf_status) == 0x700, "exit.pmu");

#endif /* ARCH_RMI_H */
