/*
 * The one C++ translation unit of the tree: dynarmic (Debian libdynarmic-dev
 * 6.4.5) wrapped behind the C API of cpu.h. A vCPU is a Dynarmic::A64::Jit
 * plus the callbacks that give it memory, exceptions and time.
 *
 * Memory: the JIT's page table is a per-vCPU window onto its address
 * space's table (cpu_internal.h); only RW pages are in it. Every other
 * access reaches the callbacks below, which check permissions against the
 * shadow table. A refused access records the fault and halts with
 * HaltReason::MemoryAbort; with check_halt_on_memory_access every memory
 * instruction ends its block and the JIT tests that flag right after the
 * callback, so it leaves Run() with pc = the faulting instruction and no
 * later instruction executed. Accesses that straddle a page boundary are
 * routed to the callbacks too (detect_misaligned_access_via_page_table), so
 * each page of them is checked.
 *
 * Time: cycle counting gives each cpu_run a tick budget; a used-up budget is
 * the timeslice exit. cpu_halt() sets a pending flag and HaltExecution; the
 * JIT notices it when it next passes its dispatcher.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <unordered_map>
#include <vector>

#include <dynarmic/interface/A64/a64.h>
#include <dynarmic/interface/A64/config.h>
#include <dynarmic/interface/exclusive_monitor.h>

#include "arch/esr.h"
#include "plat/emu/cpu/cpu_internal.h"
extern "C" {
#include "plat/plat.h" /* the machine's event counters */
}

using Dynarmic::HaltReason;
using Dynarmic::A64::Exception;
using Dynarmic::A64::InstructionCacheOperation;
using Dynarmic::A64::VAddr;
using Dynarmic::A64::Vector;

namespace {

/* Halt reasons of ours (dynarmic reserves UserDefined1..8 for its user). */
constexpr HaltReason HALT_KICK = HaltReason::UserDefined1;      /* cpu_halt */
constexpr HaltReason HALT_EXCEPTION = HaltReason::UserDefined2; /* sync exception recorded */

constexpr uint64_t CNTFRQ = 1000000000ULL; /* 1 GHz: CNTVCT = host monotonic ns */

/*
 * AT_HWCAP: what the engine executes, as measured by the feature probes in
 * tests/unit/cpu/test_cpu.c (each advertised bit is re-checked there against
 * qemu-aarch64). See the report in cpu_hwcap()'s comment.
 */
constexpr uint64_t HWCAP_FP = 1ULL << 0;
constexpr uint64_t HWCAP_ASIMD = 1ULL << 1;
constexpr uint64_t HWCAP_AES = 1ULL << 3;
constexpr uint64_t HWCAP_PMULL = 1ULL << 4;
constexpr uint64_t HWCAP_SHA1 = 1ULL << 5;
constexpr uint64_t HWCAP_SHA2 = 1ULL << 6;
constexpr uint64_t HWCAP_CRC32 = 1ULL << 7;
constexpr uint64_t HWCAP_SHA3 = 1ULL << 17;
constexpr uint64_t HWCAP_SM3 = 1ULL << 18;
constexpr uint64_t HWCAP_SM4 = 1ULL << 19;
constexpr uint64_t HWCAP_ASIMDDP = 1ULL << 20;
constexpr uint64_t HWCAP_SHA512 = 1ULL << 21;

struct Engine {
	std::mutex lock;
	bool ready = false;
	unsigned max_vcpus = 256;
	size_t code_cache_size = 32u << 20;
	uint64_t timeslice = 4000000;
	Dynarmic::ExclusiveMonitor *monitor = nullptr;
	std::vector<bool> id_used;
	/* shared translation (the code footprint below): on unless REALMBOX_SHARED_CODE=0 */
	std::atomic<bool> shared_code{true};
	std::atomic<uint64_t> kept{0}, cleared{0}; /* the rest are plat counters (PLAT_CNT_CODE_*) */
};

Engine engine;

/*
 * Shared translation: a vCPU keeps its compiled code when it goes back to
 * the pool (or is moved to another address space by execve), and the next
 * process it runs uses the blocks whose guest code is byte for byte its own.
 *
 * The footprint is what makes that exact: a copy of every guest code page
 * the JIT has read instructions from since its cache was last emptied.
 * MemoryReadCode (called only while compiling) takes the copy at the first
 * word read from a page and compares every later word with it, so every
 * compiled instruction equals the copy's word at its address; a word that
 * differs (code changed without an invalidation in between, or a page
 * torn while copied) marks the footprint `bad`, and a bad footprint is
 * never shared: the cache is cleared at the next attach, as without
 * sharing. At the first cpu_run after an attach, every page of the
 * footprint is compared with the page at the same address in the new
 * address space: an executable page with the same 4,096 bytes keeps its
 * blocks; any other (different bytes, not executable, not mapped) has its
 * blocks invalidated and its copy dropped. dynarmic applies invalidations
 * requested while the JIT is not running at the start of its next Run(),
 * before anything is compiled or executed, so a process only ever executes
 * translations of the bytes it has at those addresses. Invalidations that
 * arrive later (munmap, mprotect, IC IVAU) work as within one process; a
 * copy may outlive its blocks (the footprint is then a superset), which
 * costs a comparison, never correctness.
 */
constexpr size_t FOOTPRINT_MAX_PAGES = 2048; /* 8 MiB of copies; beyond: not shared */

struct Footprint {
	using Pages = std::unordered_map<uint64_t, std::unique_ptr<uint8_t[]>>;
	Pages pages; /* guest page VA -> copy */
	uint64_t last_va = ~0ull;   /* the page of the last word read, and its copy */
	const uint8_t *last = nullptr;
	bool bad = false;           /* compiled code the copies do not cover */

	void clear()
	{
		pages.clear();
		last_va = ~0ull;
		last = nullptr;
		bad = false;
	}

	/* A word `w` at `va` is being compiled; `page` is the host page it came from. */
	void note(uint64_t va, const uint8_t *page, uint32_t w)
	{
		if (bad)
			return;
		uint64_t pg = va & ~0xFFFull;
		if (pg != last_va) {
			auto it = pages.find(pg);
			if (it == pages.end()) {
				if (pages.size() >= FOOTPRINT_MAX_PAGES) {
					bad = true;
					return;
				}
				std::unique_ptr<uint8_t[]> copy(new (std::nothrow) uint8_t[CPU_PAGE_SIZE]);
				if (!copy) {
					bad = true;
					return;
				}
				memcpy(copy.get(), page, CPU_PAGE_SIZE);
				try {
					it = pages.emplace(pg, std::move(copy)).first;
				} catch (...) {
					bad = true;
					return;
				}
			}
			last_va = pg;
			last = it->second.get();
		}
		uint32_t c;
		memcpy(&c, last + (va & 0xFFF), sizeof(c));
		if (c != w)
			bad = true;
	}
};

void engine_ready_locked()
{
	if (engine.ready)
		return;
	engine.monitor = new Dynarmic::ExclusiveMonitor(engine.max_vcpus);
	engine.id_used.assign(engine.max_vcpus, false);
	const char *sc = getenv("REALMBOX_SHARED_CODE");
	if (sc && (!strcmp(sc, "0") || !strcmp(sc, "off") || !strcmp(sc, "no")))
		engine.shared_code.store(false);
	engine.ready = true;
}

/* 16-byte compare-and-swap (cmpxchg16b) without libatomic. */
__attribute__((target("cx16"))) bool cas128(unsigned __int128 *p, unsigned __int128 expected,
					    unsigned __int128 desired)
{
	return __sync_bool_compare_and_swap(p, expected, desired);
}

/* A counter written by the vCPU's thread and read by any thread. */
struct Counter {
	std::atomic<uint64_t> v{0};
	void add(uint64_t n = 1) { v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
	void add_shared(uint64_t n = 1) { v.fetch_add(n, std::memory_order_relaxed); } /* other threads */
	uint64_t get() const { return v.load(std::memory_order_relaxed); }
	void reset() { v.store(0, std::memory_order_relaxed); }
};

} // namespace

struct cpu_vcpu final : public Dynarmic::A64::UserCallbacks {
	std::unique_ptr<Dynarmic::A64::Jit> jit;
	void **window = nullptr; /* the JIT's page table: a view of as->memfd, or empty */
	/*
	 * The JIT's code buffer as found by trim_new_jit (all 0 if not found):
	 * [code_lo, code_keep) holds the constant pool and the prelude, which
	 * outlive ClearCache; [code_keep, code_hi) only code that ClearCache
	 * discards.
	 */
	uintptr_t code_lo = 0, code_keep = 0, code_hi = 0;
	struct cpu_as *as = nullptr;
	size_t pid = 0;
	uint64_t tpidr = 0;
	uint64_t tpidrro = 0;
	Footprint fp;          /* the guest code behind the compiled code (shared translation) */
	bool sharing = false;  /* recording a footprint (engine.shared_code when attached) */
	/*
	 * Invalidations that arrived while the vCPU was not running: the next
	 * cpu_run checks the footprint's pages in these ranges instead of
	 * discarding their blocks (cpu_vcpu_invalidate, take_pending). An
	 * attach that kept code queues the whole space.
	 */
	std::atomic<bool> running{false};
	std::atomic<bool> pending{false};
	std::mutex pend_lock;
	static constexpr unsigned PEND_MAX = 16;
	struct { uint64_t lo, hi; } pend[PEND_MAX];
	unsigned npend = 0;
	bool pend_all = false;

	/* per cpu_run */
	uint64_t slice = 0;
	uint64_t run_ticks = 0;
	cpu_exit exc{};      /* recorded synchronous exception (kind NONE if none) */
	bool retry = false;  /* re-enter without exiting (stale no-execute block) */
	bool fault = false;  /* data abort recorded by a memory callback */
	uint64_t fault_far = 0;
	uint64_t fault_iss = 0;

	std::atomic<bool> halt_pending{false};

	Counter ticks, runs, exits[CPU_EXIT_NR], slow_reads, slow_writes, exclusive_ops, code_reads,
		invalidations, emulated;

	/* ---- memory ---- */

	/* Host address for an access of one page, or nullptr after recording the abort. */
	uint8_t *translate(uint64_t va, bool write)
	{
		uint64_t pte = as ? cpu_as_pte(as, va) : 0;
		uint64_t fsc;
		if (!(pte & CPU_PTE_VALID))
			fsc = va >= CPU_VA_LIMIT ? FSC_TRANSLATION(0) : FSC_TRANSLATION(3);
		else if (!(pte & (write ? CPU_PTE_W : CPU_PTE_R)))
			fsc = FSC_PERMISSION(3);
		else
			return reinterpret_cast<uint8_t *>(pte & CPU_PTE_ADDR_MASK) + (va & 0xFFF);
		if (!fault) {
			fault = true;
			fault_far = va;
			fault_iss = fsc | (write ? ESR_ISS_WNR : 0);
			jit->HaltExecution(HaltReason::MemoryAbort);
		}
		return nullptr;
	}

	/*
	 * One access of n bytes through the callbacks. Both pages of a straddling
	 * access are checked before any byte moves, so a refused access has no
	 * effect at all.
	 */
	bool access(uint64_t va, void *buf, size_t n, bool write)
	{
		if (fault)
			return false; /* already aborting: touch nothing more */
		size_t first = 0x1000 - (va & 0xFFF);
		if (first >= n) {
			uint8_t *h = translate(va, write);
			if (!h)
				return false;
			copy(h, buf, n, write, (va & (n - 1)) == 0);
			return true;
		}
		uint8_t *h0 = translate(va, write);
		if (!h0)
			return false;
		uint8_t *h1 = translate(va + first, write);
		if (!h1)
			return false;
		copy(h0, buf, first, write, false);
		copy(h1, static_cast<uint8_t *>(buf) + first, n - first, write, false);
		return true;
	}

	static void copy(uint8_t *h, void *buf, size_t n, bool write, bool aligned)
	{
		/* Naturally aligned accesses are single-copy atomic, as on hardware. */
		if (aligned && n <= 8) {
			switch (n) {
			case 1:
				if (write)
					__atomic_store_n(h, *static_cast<uint8_t *>(buf), __ATOMIC_RELAXED);
				else
					*static_cast<uint8_t *>(buf) = __atomic_load_n(h, __ATOMIC_RELAXED);
				return;
			case 2:
				if (write)
					__atomic_store_n(reinterpret_cast<uint16_t *>(h), *static_cast<uint16_t *>(buf), __ATOMIC_RELAXED);
				else
					*static_cast<uint16_t *>(buf) = __atomic_load_n(reinterpret_cast<uint16_t *>(h), __ATOMIC_RELAXED);
				return;
			case 4:
				if (write)
					__atomic_store_n(reinterpret_cast<uint32_t *>(h), *static_cast<uint32_t *>(buf), __ATOMIC_RELAXED);
				else
					*static_cast<uint32_t *>(buf) = __atomic_load_n(reinterpret_cast<uint32_t *>(h), __ATOMIC_RELAXED);
				return;
			case 8:
				if (write)
					__atomic_store_n(reinterpret_cast<uint64_t *>(h), *static_cast<uint64_t *>(buf), __ATOMIC_RELAXED);
				else
					*static_cast<uint64_t *>(buf) = __atomic_load_n(reinterpret_cast<uint64_t *>(h), __ATOMIC_RELAXED);
				return;
			}
		}
		if (write)
			memcpy(h, buf, n);
		else
			memcpy(buf, h, n);
	}

	template <typename T> T read(VAddr va)
	{
		slow_reads.add();
		T v{};
		if (!access(va, &v, sizeof(T), false))
			return T{};
		return v;
	}

	template <typename T> void write(VAddr va, T v)
	{
		slow_writes.add();
		access(va, &v, sizeof(T), true);
	}

	template <typename T> bool write_exclusive(VAddr va, T value, T expected)
	{
		exclusive_ops.add();
		if (fault)
			return false;
		if ((va & 0xFFF) + sizeof(T) > 0x1000) {
			/* straddling exclusive: not single-copy atomic anyway; fail it */
			if (!translate(va, true) || !translate(va + sizeof(T) - 1, true))
				return false;
			return false;
		}
		uint8_t *h = translate(va, true);
		if (!h)
			return false;
		if constexpr (sizeof(T) == 16) {
			unsigned __int128 e = (unsigned __int128)expected[1] << 64 | expected[0];
			unsigned __int128 d = (unsigned __int128)value[1] << 64 | value[0];
			if (va & 15)
				return false; /* STXP of a misaligned pair: alignment fault on hardware */
			return cas128(reinterpret_cast<unsigned __int128 *>(h), e, d);
		} else {
			return __atomic_compare_exchange_n(reinterpret_cast<T *>(h), &expected, value, false,
							   __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		}
	}

	/* Instruction word at pc if it is mapped executable (for BRK/UNDEF reports). */
	uint32_t insn_at(uint64_t pc)
	{
		uint64_t pte = as ? cpu_as_pte(as, pc) : 0;
		if ((pc & 3) || !(pte & CPU_PTE_VALID) || !(pte & CPU_PTE_X))
			return 0;
		return *reinterpret_cast<uint32_t *>((pte & CPU_PTE_ADDR_MASK) + (pc & 0xFFF));
	}

	void raise(cpu_exit_kind kind, uint64_t esr, uint64_t far, uint64_t pc_after, uint32_t insn)
	{
		if (exc.kind == CPU_EXIT_NONE && !fault) {
			exc.kind = kind;
			exc.esr = esr;
			exc.far = far;
			exc.insn = insn;
			jit->SetPC(pc_after);
		}
		jit->HaltExecution(HALT_EXCEPTION);
	}

	/* ---- UserCallbacks ---- */

	std::optional<std::uint32_t> MemoryReadCode(VAddr va) override
	{
		code_reads.add();
		plat_count(PLAT_CNT_CODE_WORD);
		if (va & 3)
			return std::nullopt;
		uint64_t pte = as ? cpu_as_pte(as, va) : 0;
		if (!(pte & CPU_PTE_VALID) || !(pte & CPU_PTE_X))
			return std::nullopt;
		const uint8_t *page = reinterpret_cast<const uint8_t *>(pte & CPU_PTE_ADDR_MASK);
		uint32_t w;
		memcpy(&w, page + (va & 0xFFF), sizeof(w));
		if (sharing)
			fp.note(va, page, w);
		return w;
	}

	std::uint8_t MemoryRead8(VAddr va) override { return read<uint8_t>(va); }
	std::uint16_t MemoryRead16(VAddr va) override { return read<uint16_t>(va); }
	std::uint32_t MemoryRead32(VAddr va) override { return read<uint32_t>(va); }
	std::uint64_t MemoryRead64(VAddr va) override { return read<uint64_t>(va); }
	Vector MemoryRead128(VAddr va) override { return read<Vector>(va); }

	void MemoryWrite8(VAddr va, std::uint8_t v) override { write(va, v); }
	void MemoryWrite16(VAddr va, std::uint16_t v) override { write(va, v); }
	void MemoryWrite32(VAddr va, std::uint32_t v) override { write(va, v); }
	void MemoryWrite64(VAddr va, std::uint64_t v) override { write(va, v); }
	void MemoryWrite128(VAddr va, Vector v) override { write(va, v); }

	bool MemoryWriteExclusive8(VAddr va, std::uint8_t v, std::uint8_t e) override { return write_exclusive(va, v, e); }
	bool MemoryWriteExclusive16(VAddr va, std::uint16_t v, std::uint16_t e) override { return write_exclusive(va, v, e); }
	bool MemoryWriteExclusive32(VAddr va, std::uint32_t v, std::uint32_t e) override { return write_exclusive(va, v, e); }
	bool MemoryWriteExclusive64(VAddr va, std::uint64_t v, std::uint64_t e) override { return write_exclusive(va, v, e); }
	bool MemoryWriteExclusive128(VAddr va, Vector v, Vector e) override { return write_exclusive(va, v, e); }

	/*
	 * EL0 system-register reads dynarmic does not implement but Linux user
	 * code may use: MRS Xt, CNTVCT_EL0 (the virtual counter; dynarmic only
	 * has CNTPCT_EL0). Emulated in place, as a kernel's undef hook would.
	 */
	bool emulate(VAddr pc, uint32_t insn)
	{
		if ((insn & ~0x1Fu) == 0xD53BE040u) { /* MRS Xt, CNTVCT_EL0 */
			unsigned rt = insn & 0x1F;
			if (rt != 31)
				jit->SetRegister(rt, GetCNTPCT());
			jit->SetPC(pc + 4);
			emulated.add();
			return true;
		}
		return false;
	}

	void undefined(VAddr pc)
	{
		uint32_t insn = insn_at(pc);
		if (!emulate(pc, insn))
			raise(CPU_EXIT_UNDEF, ESR_MAKE(EC_UNKNOWN, 0), 0, pc, insn);
	}

	void InterpreterFallback(VAddr pc, size_t) override
	{
		/* dynarmic decoded it but cannot execute it: undefined for the guest */
		undefined(pc);
	}

	void CallSVC(std::uint32_t imm) override
	{
		/* dynarmic has already set pc past the SVC: the ELR hardware reports */
		raise(CPU_EXIT_SVC, ESR_MAKE(EC_SVC64, imm & 0xFFFF), 0, jit->GetPC(), 0);
	}

	void ExceptionRaised(VAddr pc, Exception e) override
	{
		switch (e) {
		case Exception::NoExecuteFault: {
			if (pc & 3) {
				raise(CPU_EXIT_PC_ALIGN, ESR_MAKE(EC_PC_ALIGN, 0), pc, pc, 0);
				return;
			}
			uint64_t pte = as ? cpu_as_pte(as, pc) : 0;
			if ((pte & CPU_PTE_VALID) && (pte & CPU_PTE_X)) {
				/* translated while not executable; executable now: retranslate */
				jit->InvalidateCacheRange(pc, 4);
				jit->SetPC(pc);
				retry = true;
				jit->HaltExecution(HALT_EXCEPTION);
				return;
			}
			uint64_t fsc = !(pte & CPU_PTE_VALID)
					       ? (pc >= CPU_VA_LIMIT ? FSC_TRANSLATION(0) : FSC_TRANSLATION(3))
					       : FSC_PERMISSION(3);
			raise(CPU_EXIT_IABT, ESR_MAKE(EC_IABT_LOW, fsc), pc, pc, 0);
			return;
		}
		case Exception::Breakpoint: {
			uint32_t insn = insn_at(pc);
			raise(CPU_EXIT_BRK, ESR_MAKE(EC_BRK64, (insn >> 5) & 0xFFFF), 0, pc, insn);
			return;
		}
		case Exception::WaitForInterrupt:
			raise(CPU_EXIT_WFX, ESR_MAKE(EC_WFX, 0), 0, pc + 4, 0);
			return;
		case Exception::WaitForEvent:
			raise(CPU_EXIT_WFX, ESR_MAKE(EC_WFX, 1), 0, pc + 4, 0);
			return;
		case Exception::Yield:
		case Exception::SendEvent:
		case Exception::SendEventLocal:
			return; /* hints: carry on (pc is already past them) */
		case Exception::UnallocatedEncoding:
		case Exception::ReservedValue:
		case Exception::UnpredictableInstruction:
		default:
			undefined(pc);
			return;
		}
	}

	void InstructionCacheOperationRaised(InstructionCacheOperation op, VAddr va) override
	{
		/* IC IVAU / IALLU(IS) are broadcast: every vCPU of the process */
		if (!as)
			return;
		if (op == InstructionCacheOperation::InvalidateByVAToPoU)
			cpu_as_invalidate(as, va & ~63ULL, 64);
		else
			cpu_as_invalidate(as, 0, CPU_VA_LIMIT);
	}

	void AddTicks(std::uint64_t t) override
	{
		run_ticks += t;
		ticks.add(t);
	}

	std::uint64_t GetTicksRemaining() override { return run_ticks < slice ? slice - run_ticks : 0; }

	std::uint64_t GetCNTPCT() override
	{
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	}
};

/* ---- resident memory of a new JIT ----------------------------------------- */

/*
 * Measured on dynarmic 6.4.5 (x86-64 backend), one vCPU as cpu_create
 * configures it: constructing the JIT writes about 20 MiB, of which about
 * 18 MiB are never read again:
 *  - the fast-dispatch table, 2^20 entries of {~0, nullptr} (16 MiB), a
 *    by-value member of the JIT's implementation object. With FastDispatch
 *    off (cpu_create) neither the emitted code nor ClearCache touches it
 *    again (ClearFastDispatchTable only runs with the optimization on);
 *  - the untouched part of the constant pool, 2 MiB at the head of the code
 *    buffer, zero-filled by memset; dynarmic fills it on demand.
 * Neither is reachable through the API, so trim_new_jit finds them by their
 * contents inside the objects that the JIT owns, and gives the pages back
 * (MADV_DONTNEED: private anonymous pages read as zero afterwards). Zero
 * pages stay zero, so dropping them cannot change what the JIT sees; the
 * table is dropped only where it must lie, and only because nothing reads
 * it. If a later dynarmic lays its objects out differently, nothing is
 * found and nothing is dropped. Only a JIT that no other thread can reach
 * yet (in cpu_create) or that is not running (cpu_reset) is trimmed, so no
 * write can race with the check.
 */
namespace {

constexpr bool FAST_DISPATCH = false; /* cpu_create's optimization flags */
constexpr size_t HOST_PAGE = 4096;
constexpr size_t DISPATCH_ENTRIES = 1u << 20; /* A64EmitX64::fast_dispatch_table_size */

void drop_pages(uintptr_t lo, uintptr_t hi)
{
	lo = (lo + HOST_PAGE - 1) & ~(uintptr_t)(HOST_PAGE - 1);
	hi &= ~(uintptr_t)(HOST_PAGE - 1);
	if (hi > lo)
		(void)madvise(reinterpret_cast<void *>(lo), hi - lo, MADV_DONTNEED);
}

/* Is [base, base + size) exactly one anonymous mapping of this process? */
bool is_anon_mapping(uintptr_t base, size_t size)
{
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	char buf[8192];
	size_t have = 0;
	bool found = false, done = false;
	while (!done) {
		ssize_t n = read(fd, buf + have, sizeof(buf) - 1 - have);
		if (n <= 0)
			break;
		have += (size_t)n;
		buf[have] = 0;
		char *line = buf, *nl;
		while ((nl = strchr(line, '\n'))) {
			*nl = 0;
			unsigned long lo, hi, ino;
			char perms[8];
			if (sscanf(line, "%lx-%lx %7s %*x %*s %lu", &lo, &hi, perms, &ino) == 4 && lo == base) {
				found = hi - lo == size && ino == 0;
				done = true;
				break;
			}
			line = nl + 1;
		}
		have = (size_t)(buf + have - line);
		memmove(buf, line, have);
		if (have == sizeof(buf) - 1)
			break; /* a line longer than the buffer: give up */
	}
	close(fd);
	return found;
}

/*
 * Drop the resident pages of [lo, hi) (page-aligned) that hold only zeros;
 * returns the end of the last page that holds something else (lo if none).
 */
uintptr_t drop_zero_pages(uintptr_t lo, uintptr_t hi)
{
	size_t n = (hi - lo) / HOST_PAGE;
	std::vector<unsigned char> vec(n);
	if (mincore(reinterpret_cast<void *>(lo), hi - lo, vec.data()))
		return hi; /* keep everything */
	uintptr_t keep = lo;
	for (size_t i = 0; i < n; i++) {
		if (!(vec[i] & 1))
			continue;
		const uint64_t *w = reinterpret_cast<const uint64_t *>(lo + i * HOST_PAGE);
		bool zero = true;
		for (size_t k = 0; k < HOST_PAGE / 8 && zero; k++)
			zero = w[k] == 0;
		if (zero)
			drop_pages(lo + i * HOST_PAGE, lo + (i + 1) * HOST_PAGE);
		else
			keep = lo + (i + 1) * HOST_PAGE;
	}
	return keep;
}

void trim_new_jit(cpu_vcpu *v, size_t code_cache_size)
{
	if constexpr (FAST_DISPATCH || sizeof(Dynarmic::A64::Jit) != sizeof(void *))
		return; /* the table is live, or Jit is no longer just its Impl pointer */
	void *impl = *reinterpret_cast<void **>(v->jit.get());
	size_t len = impl ? malloc_usable_size(impl) : 0;
	if (len < DISPATCH_ENTRIES * 16)
		return;
	const uint64_t *w = static_cast<const uint64_t *>(impl);
	size_t n = len / 8;
	uintptr_t code = 0;
	int code_candidates = 0;
	for (size_t i = 0; i < n;) {
		if (i + 1 < n && w[i] == ~0ull && w[i + 1] == 0) {
			size_t start = i;
			while (i + 1 < n && w[i] == ~0ull && w[i + 1] == 0)
				i += 2;
			size_t pairs = (i - start) / 2;
			if (pairs >= DISPATCH_ENTRIES) {
				/* the table is somewhere in the run: drop what every placement covers */
				size_t excess = pairs - DISPATCH_ENTRIES;
				drop_pages(reinterpret_cast<uintptr_t>(&w[start + 2 * excess]),
					   reinterpret_cast<uintptr_t>(&w[start + 2 * DISPATCH_ENTRIES]));
			}
			continue;
		}
		/* the code buffer: Xbyak keeps its size beside its base */
		if (w[i] == code_cache_size) {
			for (size_t j : {i - 1, i + 1}) {
				if (j >= n || !w[j] || (w[j] & (HOST_PAGE - 1)) || w[j] == code)
					continue;
				if (is_anon_mapping(w[j], code_cache_size)) {
					code = w[j];
					code_candidates++;
				}
			}
		}
		i++;
	}
	if (code_candidates != 1)
		return;
	v->code_lo = code;
	v->code_hi = code + code_cache_size;
	v->code_keep = drop_zero_pages(v->code_lo, v->code_hi);
}

/* After ClearCache: the code past the prelude is garbage. */
void trim_cleared_jit(cpu_vcpu *v)
{
	if (v->code_keep)
		drop_pages(v->code_keep, v->code_hi);
}

} // namespace

/* ---- engine ------------------------------------------------------------- */

extern "C" int cpu_engine_init(const struct cpu_engine_config *cfg)
{
	std::lock_guard<std::mutex> g(engine.lock);
	if (engine.ready)
		return -EBUSY;
	if (cfg) {
		if (cfg->max_vcpus > 65536 ||
		    (cfg->code_cache_size && (cfg->code_cache_size < (8u << 20) || cfg->code_cache_size > (128u << 20))))
			return -EINVAL;
		if (cfg->max_vcpus)
			engine.max_vcpus = cfg->max_vcpus;
		if (cfg->code_cache_size)
			engine.code_cache_size = cfg->code_cache_size;
		if (cfg->timeslice)
			engine.timeslice = cfg->timeslice;
	}
	engine_ready_locked();
	return 0;
}

/*
 * Measured by test_features (tests/unit/cpu/test_cpu.c): every instruction
 * of each of these features runs on the engine and gives the same results
 * as qemu-aarch64 -cpu max: FP, ASIMD, AES, PMULL, SHA1, SHA2, CRC32, SHA3,
 * SM3, SM4, ASIMDDP, SHA512.
 * Undefined on dynarmic 6.4.5, so not advertised: ATOMICS (LSE: LDADD, CAS,
 * SWP...; glibc's outline atomics would pick them), FPHP, ASIMDHP,
 * ASIMDRDM, JSCVT, FCMA, LRCPC, ILRCPC, ASIMDFHM, FLAGM, DIT, SB, and in
 * AT_HWCAP2 FRINT, I8MM, BF16, RNG. Not advertised although they run:
 * FLAGM2 (architecturally needs FLAGM) and DCPOP (DC CVAP; no reference to
 * compare with). Never: CPUID (no EL0 ID-register emulation), PACA/PACG,
 * SVE, BTI, MTE.
 */
extern "C" uint64_t cpu_hwcap(void)
{
	return HWCAP_FP | HWCAP_ASIMD | HWCAP_AES | HWCAP_PMULL | HWCAP_SHA1 | HWCAP_SHA2 | HWCAP_CRC32 |
	       HWCAP_SHA3 | HWCAP_SM3 | HWCAP_SM4 | HWCAP_ASIMDDP | HWCAP_SHA512;
}

extern "C" uint64_t cpu_hwcap2(void)
{
	return 0;
}

extern "C" uint64_t cpu_cntfrq(void)
{
	return CNTFRQ;
}

/* ---- vCPU lifecycle ----------------------------------------------------- */

/* Can the compiled code move to another address space (the footprint covers it)? */
static bool code_shareable(const struct cpu_vcpu *v)
{
	return v->sharing && engine.shared_code.load(std::memory_order_relaxed) && !v->fp.bad &&
	       !v->fp.pages.empty();
}

/*
 * Empty the code cache (not running: dynarmic clears it at the start of the
 * next Run(), before compiling anything) and the footprint with it.
 */
static void drop_code(struct cpu_vcpu *v)
{
	if (!v->fp.pages.empty() || v->fp.bad)
		engine.cleared.fetch_add(1, std::memory_order_relaxed);
	v->jit->ClearCache();
	v->fp.clear();
}

/*
 * Compare the footprint's pages in [lo, hi) with what `as` maps there now:
 * an executable page with the same bytes keeps its blocks; any other has
 * them invalidated (applied when Run() starts, before any block runs) and
 * its copy dropped.
 */
static void check_page(struct cpu_vcpu *v, Footprint::Pages::iterator &it, uint64_t &kept,
		       uint64_t &dropped)
{
	uint64_t pte = cpu_as_pte(v->as, it->first);
	if ((pte & CPU_PTE_VALID) && (pte & CPU_PTE_X) &&
	    memcmp(reinterpret_cast<const void *>(pte & CPU_PTE_ADDR_MASK), it->second.get(), CPU_PAGE_SIZE) ==
		    0) {
		kept++;
		++it;
	} else {
		v->jit->InvalidateCacheRange(it->first, CPU_PAGE_SIZE);
		dropped++;
		it = v->fp.pages.erase(it);
	}
}

static void validate_range(struct cpu_vcpu *v, uint64_t lo, uint64_t hi)
{
	uint64_t kept = 0, dropped = 0;
	auto &pages = v->fp.pages;

	lo &= ~(CPU_PAGE_SIZE - 1);
	if ((hi - lo) / CPU_PAGE_SIZE > pages.size()) {
		for (auto it = pages.begin(); it != pages.end();)
			if (it->first >= lo && it->first < hi)
				check_page(v, it, kept, dropped);
			else
				++it;
	} else {
		for (uint64_t va = lo; va < hi; va += CPU_PAGE_SIZE) {
			auto it = pages.find(va);
			if (it != pages.end())
				check_page(v, it, kept, dropped);
		}
	}
	v->fp.last_va = ~0ull;
	v->fp.last = nullptr;
	plat_count_add(PLAT_CNT_CODE_PAGE_KEPT, kept);
	plat_count_add(PLAT_CNT_CODE_PAGE_DROPPED, dropped);
}

/*
 * At the start of cpu_run (running already set): invalidations that came
 * while the vCPU was not running (and the whole space after an attach that
 * kept code) check the footprint's pages in their ranges, or, if the
 * footprint does not cover the compiled code, are passed to the JIT as
 * they came.
 */
static void take_pending(struct cpu_vcpu *v)
{
	decltype(v->pend) ranges;
	unsigned n;
	bool all;

	if (!v->pending.load())
		return;
	{
		std::lock_guard<std::mutex> g(v->pend_lock);
		v->pending.store(false);
		n = v->npend;
		memcpy(ranges, v->pend, n * sizeof(ranges[0]));
		all = v->pend_all;
		v->npend = 0;
		v->pend_all = false;
	}
	if (!all && !n)
		return;
	if (!v->sharing || v->fp.bad) {
		/* the footprint does not cover the code: invalidate as asked */
		if (all) {
			v->jit->ClearCache();
			v->fp.clear();
		} else {
			for (unsigned i = 0; i < n; i++)
				v->jit->InvalidateCacheRange(ranges[i].lo, ranges[i].hi - ranges[i].lo);
		}
		return;
	}
	if (all) {
		validate_range(v, 0, CPU_VA_LIMIT);
		return;
	}
	for (unsigned i = 0; i < n; i++)
		validate_range(v, ranges[i].lo, ranges[i].hi);
}

/* Forget invalidations queued for the address space being left (owner thread). */
static void clear_pending(struct cpu_vcpu *v)
{
	std::lock_guard<std::mutex> g(v->pend_lock);
	v->pending.store(false);
	v->npend = 0;
	v->pend_all = false;
}

static void *empty_window(void *at)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | (at ? MAP_FIXED : 0);
	void *p = mmap(at, CPU_TABLE_BYTES, PROT_READ, flags, -1, 0);
	return p == MAP_FAILED ? nullptr : p;
}

extern "C" struct cpu_vcpu *cpu_create(void)
{
	size_t pid;
	{
		std::lock_guard<std::mutex> g(engine.lock);
		engine_ready_locked();
		for (pid = 0; pid < engine.max_vcpus && engine.id_used[pid]; pid++)
			;
		if (pid == engine.max_vcpus)
			return nullptr;
		engine.id_used[pid] = true;
	}
	cpu_vcpu *v = new (std::nothrow) cpu_vcpu();
	if (!v)
		goto fail;
	v->pid = pid;
	v->window = static_cast<void **>(empty_window(nullptr));
	if (!v->window)
		goto fail;
	try {
		Dynarmic::A64::UserConfig c{};
		c.callbacks = v;
		c.processor_id = pid;
		c.global_monitor = engine.monitor;
		c.tpidr_el0 = &v->tpidr;
		c.tpidrro_el0 = &v->tpidrro;
		c.page_table = v->window;
		c.page_table_address_space_bits = CPU_VA_BITS;
		c.silently_mirror_page_table = false;
		c.absolute_offset_page_table = false;
		c.detect_misaligned_access_via_page_table = 16 | 32 | 64 | 128;
		c.only_detect_misalignment_via_page_table_on_page_boundary = true;
		c.check_halt_on_memory_access = true;
		c.enable_cycle_counting = true;
		c.wall_clock_cntpct = true;
		c.cntfrq_el0 = (uint32_t)CNTFRQ;
		c.hook_hint_instructions = true;
		c.define_unpredictable_behaviour = true;
		c.code_cache_size = engine.code_cache_size;
		/*
		 * No fast dispatch: its terminal handler jumps from block to block
		 * through a lookup table without looking at the tick budget or
		 * the halt flag, so a guest loop of indirect branches (BR) would
		 * never leave Run() (measured: cpu_halt ignored for 10 s). It
		 * also costs a 16 MiB table per vCPU that every cache clear
		 * rewrites (2.5 ms per cpu_put/attach). Without it indirect
		 * branches go through the dispatcher, which checks both; the
		 * return-stack buffer stays (RET-heavy code is 2.4x slower
		 * without it, and RET loops still reach the dispatcher).
		 */
		c.optimizations = Dynarmic::all_safe_optimizations;
		if (!FAST_DISPATCH)
			c.optimizations &= ~Dynarmic::OptimizationFlag::FastDispatch;
		v->jit = std::make_unique<Dynarmic::A64::Jit>(c);
	} catch (...) {
		goto fail;
	}
	v->slice = engine.timeslice;
	trim_new_jit(v, engine.code_cache_size);
	return v;
fail:
	if (v) {
		if (v->window)
			munmap(v->window, CPU_TABLE_BYTES);
		delete v;
	}
	std::lock_guard<std::mutex> g(engine.lock);
	engine.id_used[pid] = false;
	return nullptr;
}

extern "C" void cpu_destroy(struct cpu_vcpu *v)
{
	if (!v)
		return;
	cpu_detach(v);
	v->jit.reset();
	munmap(v->window, CPU_TABLE_BYTES);
	std::lock_guard<std::mutex> g(engine.lock);
	engine.monitor->ClearProcessor(v->pid);
	engine.id_used[v->pid] = false;
	delete v;
}

extern "C" int cpu_attach(struct cpu_vcpu *v, struct cpu_as *as)
{
	if (!as)
		return -EINVAL;
	if (v->as)
		return -EBUSY;
	void *p = mmap(v->window, CPU_TABLE_BYTES, PROT_READ, MAP_SHARED | MAP_FIXED | MAP_NORESERVE,
		       as->memfd, 0);
	if (p == MAP_FAILED)
		return -ENOMEM;
	int ret = cpu_as_link_vcpu(as, v);
	if (ret) {
		empty_window(v->window);
		return ret;
	}
	v->as = as;
	if (code_shareable(v)) {
		/* the next cpu_run checks every page, against what `as` holds then */
		std::lock_guard<std::mutex> g(v->pend_lock);
		v->pend_all = true;
		v->pending.store(true);
		engine.kept.fetch_add(1, std::memory_order_relaxed);
	} else {
		drop_code(v);
	}
	v->sharing = engine.shared_code.load(std::memory_order_relaxed);
	return 0;
}

/* Detach; the compiled code stays only if `keep` and it can be shared. */
static void detach(struct cpu_vcpu *v, bool keep)
{
	if (v->as) {
		cpu_as_unlink_vcpu(v->as, v);
		empty_window(v->window); /* MAP_FIXED over the view: cannot fail short of ENOMEM */
		v->as = nullptr;
		v->jit->ClearExclusiveState();
		engine.monitor->ClearProcessor(v->pid);
	}
	clear_pending(v);
	if (!keep || !code_shareable(v))
		drop_code(v);
}

extern "C" void cpu_detach(struct cpu_vcpu *v)
{
	detach(v, true);
}

extern "C" struct cpu_as *cpu_vcpu_as(const struct cpu_vcpu *v)
{
	return v->as;
}

/* cpu_reset, keeping compiled code that can be shared (cpu_put). */
static void reset(struct cpu_vcpu *v, bool keep)
{
	detach(v, keep);
	/*
	 * Unless the code was kept, the code past the prelude is garbage now:
	 * a cache clear is pending, and no block is compiled before the JIT's
	 * next Run() applies it.
	 */
	if (v->fp.pages.empty())
		trim_cleared_jit(v);
	v->jit->Reset();
	v->jit->ClearHalt(HALT_KICK | HALT_EXCEPTION | HaltReason::MemoryAbort);
	v->jit->ClearExclusiveState();
	v->tpidr = 0;
	v->tpidrro = 0;
	v->halt_pending.store(false);
	v->slice = engine.timeslice;
	v->exc = {};
	v->fault = false;
	v->retry = false;
	cpu_stats_reset(v);
}

extern "C" void cpu_reset(struct cpu_vcpu *v)
{
	reset(v, false);
}

extern "C" void cpu_recycle(struct cpu_vcpu *v)
{
	reset(v, true);
}

extern "C" void cpu_vcpu_invalidate(struct cpu_vcpu *v, uint64_t va, size_t len)
{
	v->invalidations.add_shared();
	if (engine.shared_code.load(std::memory_order_relaxed)) {
		/*
		 * Not running: queue it for the next cpu_run (take_pending). The
		 * store to `pending` and cpu_run's store to `running` are both
		 * sequentially consistent and each side loads the other's flag
		 * afterwards, so either the run sees the queued range or this
		 * sees the run and also hands the range to the JIT directly.
		 */
		std::lock_guard<std::mutex> g(v->pend_lock);
		/* a guest's IC IVAU may name any address: only [0, CPU_VA_LIMIT) holds code */
		uint64_t lo = va < CPU_VA_LIMIT ? va : CPU_VA_LIMIT;
		uint64_t hi = len >= CPU_VA_LIMIT - lo ? CPU_VA_LIMIT : lo + len;
		if (lo == 0 && hi == CPU_VA_LIMIT)
			v->pend_all = true;
		else if (lo < hi && v->npend < cpu_vcpu::PEND_MAX)
			v->pend[v->npend++] = {lo, hi};
		else if (lo < hi)
			v->pend_all = true;
		v->pending.store(true);
		if (!v->running.load())
			return;
	}
	if (va == 0 && len >= CPU_VA_LIMIT)
		v->jit->ClearCache();
	else
		v->jit->InvalidateCacheRange(va, len);
}

/*
 * The first block a process compiles builds dynarmic's decoder tables
 * (measured 170-250 ms, once per process). Do it here, ahead of the first
 * container: run `add x0, x0, #1; brk #0` on a throw-away address space.
 * The vCPU that ran it is reset (as cpu_put does) and returned: constructing
 * a JIT costs as much as the warm-up saves, so the pool keeps it.
 */
static struct cpu_vcpu *warmup_run(void)
{
	struct cpu_as *as = cpu_as_create();
	void *page = mmap(nullptr, CPU_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	struct cpu_vcpu *v = cpu_create();
	bool ran = false;

	if (as && page != MAP_FAILED && v) {
		uint32_t *code = static_cast<uint32_t *>(page);
		code[0] = 0x91000400; /* add x0, x0, #1 */
		code[1] = 0xd4200000; /* brk #0 */
		if (cpu_as_map(as, 0x1000, page, CPU_PAGE_SIZE, CPU_PROT_RX) == 0 && cpu_attach(v, as) == 0) {
			cpu_set_pc(v, 0x1000);
			cpu_exit e;
			ran = cpu_run(v, &e) == 0 && e.kind == CPU_EXIT_BRK;
			cpu_reset(v); /* detaches */
		}
	}
	if (v && !ran) {
		cpu_destroy(v);
		v = nullptr;
	}
	if (as)
		cpu_as_destroy(as);
	if (page != MAP_FAILED)
		munmap(page, CPU_PAGE_SIZE);
	return v;
}

static std::once_flag warmup_once;

extern "C" struct cpu_vcpu *cpu_engine_warmup_keep(void)
{
	struct cpu_vcpu *kept = nullptr;

	std::call_once(warmup_once, [&kept] { kept = warmup_run(); });
	return kept;
}

extern "C" void cpu_engine_warmup(void)
{
	cpu_destroy(cpu_engine_warmup_keep());
}

/* ---- running ------------------------------------------------------------ */

extern "C" int cpu_run(struct cpu_vcpu *v, struct cpu_exit *out)
{
	if (!v->as)
		return -EINVAL;
	v->runs.add();
	v->running.store(true);
	take_pending(v);
	cpu_exit e{};
	v->run_ticks = 0;
	v->exc = {};
	v->fault = false;
	v->retry = false;
	if (v->halt_pending.exchange(false)) {
		e.kind = CPU_EXIT_HALT;
	} else {
		for (;;) {
			HaltReason hr = v->jit->Run();
			v->jit->ClearHalt(HALT_EXCEPTION | HaltReason::MemoryAbort | HaltReason::CacheInvalidation);
			if (v->fault) {
				/* pc: the faulting instruction (set by the JIT's abort check) */
				e.kind = CPU_EXIT_DABT;
				e.esr = ESR_MAKE(EC_DABT_LOW, v->fault_iss);
				e.far = v->fault_far;
				break;
			}
			if (v->exc.kind != CPU_EXIT_NONE) {
				e = v->exc;
				break;
			}
			if (v->retry) {
				v->retry = false;
				continue;
			}
			if (v->halt_pending.exchange(false)) {
				v->jit->ClearHalt(HALT_KICK);
				e.kind = CPU_EXIT_HALT;
				break;
			}
			if (Dynarmic::Has(hr, HaltReason::CacheInvalidation) || Dynarmic::Has(hr, HALT_KICK))
				if (v->run_ticks < v->slice)
					continue; /* invalidation applied / stale kick: carry on */
			e.kind = CPU_EXIT_TIMESLICE;
			break;
		}
	}
	v->exc = {};
	v->fault = false;
	v->running.store(false, std::memory_order_release);
	e.pc = v->jit->GetPC();
	v->exits[e.kind].add();
	*out = e;
	return 0;
}

extern "C" void cpu_halt(struct cpu_vcpu *v)
{
	v->halt_pending.store(true);
	v->jit->HaltExecution(HALT_KICK);
}

extern "C" void cpu_set_timeslice(struct cpu_vcpu *v, uint64_t ticks)
{
	/* dynarmic keeps the budget in a signed 64-bit counter; 0: the engine's default */
	v->slice = ticks > (1ULL << 62) ? (1ULL << 62) : (ticks ? ticks : engine.timeslice);
}

/* ---- registers ------------------------------------------------------------ */

extern "C" void cpu_get_regs(const struct cpu_vcpu *v, struct cpu_regs *r)
{
	auto x = v->jit->GetRegisters();
	memcpy(r->x, x.data(), sizeof(r->x));
	r->sp = v->jit->GetSP();
	r->pc = v->jit->GetPC();
	r->pstate = v->jit->GetPstate();
	r->tpidr_el0 = v->tpidr;
	r->tpidrro_el0 = v->tpidrro;
}

extern "C" void cpu_set_regs(struct cpu_vcpu *v, const struct cpu_regs *r)
{
	std::array<uint64_t, 31> x;
	memcpy(x.data(), r->x, sizeof(r->x));
	v->jit->SetRegisters(x);
	v->jit->SetSP(r->sp);
	v->jit->SetPC(r->pc);
	v->jit->SetPstate((uint32_t)r->pstate & 0xF0000000u);
	v->tpidr = r->tpidr_el0;
	v->tpidrro = r->tpidrro_el0;
}

extern "C" void cpu_get_fpsimd(const struct cpu_vcpu *v, struct cpu_fpsimd *f)
{
	auto q = v->jit->GetVectors();
	static_assert(sizeof(q) == sizeof(f->v), "vector layout");
	memcpy(f->v, q.data(), sizeof(f->v));
	f->fpcr = v->jit->GetFpcr();
	f->fpsr = v->jit->GetFpsr();
}

extern "C" void cpu_set_fpsimd(struct cpu_vcpu *v, const struct cpu_fpsimd *f)
{
	std::array<Vector, 32> q;
	memcpy(q.data(), f->v, sizeof(f->v));
	v->jit->SetVectors(q);
	v->jit->SetFpcr(f->fpcr);
	v->jit->SetFpsr(f->fpsr);
}

extern "C" uint64_t cpu_get_x(const struct cpu_vcpu *v, unsigned n)
{
	return n <= 31 ? v->jit->GetRegister(n) : 0;
}

extern "C" void cpu_set_x(struct cpu_vcpu *v, unsigned n, uint64_t val)
{
	if (n <= 31)
		v->jit->SetRegister(n, val);
}

extern "C" uint64_t cpu_get_sp(const struct cpu_vcpu *v)
{
	return v->jit->GetSP();
}

extern "C" void cpu_set_sp(struct cpu_vcpu *v, uint64_t val)
{
	v->jit->SetSP(val);
}

extern "C" uint64_t cpu_get_pc(const struct cpu_vcpu *v)
{
	return v->jit->GetPC();
}

extern "C" void cpu_set_pc(struct cpu_vcpu *v, uint64_t val)
{
	v->jit->SetPC(val);
}

extern "C" uint64_t cpu_get_tpidr(const struct cpu_vcpu *v)
{
	return v->tpidr;
}

extern "C" void cpu_set_tpidr(struct cpu_vcpu *v, uint64_t val)
{
	v->tpidr = val;
}

extern "C" uint64_t cpu_get_tpidrro(const struct cpu_vcpu *v)
{
	return v->tpidrro;
}

extern "C" void cpu_set_tpidrro(struct cpu_vcpu *v, uint64_t val)
{
	v->tpidrro = val;
}

extern "C" void cpu_clear_exclusive(struct cpu_vcpu *v)
{
	v->jit->ClearExclusiveState();
	engine.monitor->ClearProcessor(v->pid);
}

/* ---- counters ------------------------------------------------------------- */

extern "C" void cpu_stats_read(const struct cpu_vcpu *v, struct cpu_stats *st)
{
	st->ticks = v->ticks.get();
	st->runs = v->runs.get();
	for (int i = 0; i < CPU_EXIT_NR; i++)
		st->exits[i] = v->exits[i].get();
	st->slow_reads = v->slow_reads.get();
	st->slow_writes = v->slow_writes.get();
	st->exclusive_ops = v->exclusive_ops.get();
	st->code_reads = v->code_reads.get();
	st->invalidations = v->invalidations.get();
	st->emulated = v->emulated.get();
}

extern "C" void cpu_stats_reset(struct cpu_vcpu *v)
{
	v->ticks.reset();
	v->runs.reset();
	for (auto &c : v->exits)
		c.reset();
	v->slow_reads.reset();
	v->slow_writes.reset();
	v->exclusive_ops.reset();
	v->code_reads.reset();
	v->invalidations.reset();
	v->emulated.reset();
}

extern "C" const char *cpu_exit_name(enum cpu_exit_kind k)
{
	static const char *const names[CPU_EXIT_NR] = {
		"none", "svc", "dabt", "iabt", "undef", "brk", "pc_align", "wfx", "timeslice", "halt",
	};
	return (unsigned)k < CPU_EXIT_NR ? names[k] : "?";
}

extern "C" void cpu_engine_set_shared_code(bool on)
{
	{
		std::lock_guard<std::mutex> g(engine.lock);
		engine_ready_locked(); /* so REALMBOX_SHARED_CODE does not override this later */
	}
	engine.shared_code.store(on);
}

extern "C" bool cpu_engine_shared_code(void)
{
	{
		std::lock_guard<std::mutex> g(engine.lock);
		engine_ready_locked();
	}
	return engine.shared_code.load();
}

extern "C" void cpu_engine_stats_read(struct cpu_engine_stats *st)
{
	st->words_translated = plat_counter_read(PLAT_CNT_CODE_WORD);
	st->caches_kept = engine.kept.load(std::memory_order_relaxed);
	st->caches_cleared = engine.cleared.load(std::memory_order_relaxed);
	st->pages_kept = plat_counter_read(PLAT_CNT_CODE_PAGE_KEPT);
	st->pages_dropped = plat_counter_read(PLAT_CNT_CODE_PAGE_DROPPED);
}
