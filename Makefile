# realmbox build (GNU Make). `make demo` and `make test` are the two
# commands; see README.md. Every .c file under the component directories is
# built into build/librealmbox.a; each src/host/*_main.c becomes a program;
# each tests/unit/test_*.c becomes a test binary.

CC ?= gcc
CXX ?= g++
BUILD ?= build
PYTHON ?= python3

CFLAGS_BASE := -std=gnu11 -g -O2 -Wall -Wextra -Wno-unused-parameter -Wshadow \
	-Wstrict-prototypes -Isrc -MMD -MP -D_GNU_SOURCE
CXXFLAGS_BASE := -std=c++20 -g -O2 -Wall -Wextra -Wno-unused-parameter -Isrc -MMD -MP
ifeq ($(SAN),1)
BUILD := build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
endif
CFLAGS += $(CFLAGS_BASE) $(SANFLAGS)
CXXFLAGS += $(CXXFLAGS_BASE) $(SANFLAGS)
LDFLAGS += $(SANFLAGS)
LDLIBS := -lmbedcrypto -lpthread

CORE_DIRS := src/lib src/plat/emu src/monitor src/rmm src/minios src/boot src/libos src/deploy src/host
MAIN_SRCS := $(wildcard src/host/*_main.c)
CORE_SRCS := $(filter-out src/lib/string.c $(MAIN_SRCS),$(foreach d,$(CORE_DIRS),$(wildcard $(d)/*.c)))
CORE_CXX_SRCS := $(strip $(foreach d,$(CORE_DIRS),$(wildcard $(d)/*.cpp)))
CORE_OBJS := $(CORE_SRCS:%.c=$(BUILD)/%.o) $(CORE_CXX_SRCS:%.cpp=$(BUILD)/%.o)
LIBCORE := $(BUILD)/librealmbox.a
ifneq ($(CORE_CXX_SRCS),)
LDLIBS += -ldynarmic -lstdc++
endif

PROGS := $(MAIN_SRCS:src/host/%_main.c=$(BUILD)/%)

TEST_COMMON_SRCS := $(wildcard tests/unit/common/*.c)
TEST_COMMON_OBJS := $(TEST_COMMON_SRCS:%.c=$(BUILD)/%.o)
TEST_SRCS := $(wildcard tests/unit/test_*.c)
TEST_BINS := $(TEST_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
# Test tools (tests/unit/tool_*.c): programs the Python tests drive.
TOOL_SRCS := $(wildcard tests/unit/tool_*.c)
TOOL_BINS := $(TOOL_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all demo test tcb-aarch64 setup clean format check-includes bench
# Keep object files that pattern chains would treat as intermediate.
.SECONDARY:
all: $(LIBCORE) $(PROGS) $(TEST_BINS) $(TOOL_BINS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/%.o: %.cpp
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) -c $< -o $@

$(LIBCORE): $(CORE_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/%: $(BUILD)/src/host/%_main.o $(LIBCORE)
	$(CC) $(LDFLAGS) -o $@ $< $(LIBCORE) $(LDLIBS) -ljansson

# Tests include the harness as "common/harness.h".
$(BUILD)/tests/unit/%.o: CFLAGS += -Itests/unit

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(TEST_COMMON_OBJS) $(LIBCORE)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(TEST_COMMON_OBJS) $(LIBCORE) $(LDLIBS) -lcmocka

# test_random_rmi's sequence is split into tests/unit/random_rmi/*.c (not
# test_*.c, so no binaries of their own); they link into it alone.
RANDOM_RMI_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(wildcard tests/unit/random_rmi/*.c))
$(BUILD)/tests/test_random_rmi: $(BUILD)/tests/unit/test_random_rmi.o $(RANDOM_RMI_OBJS) \
		$(TEST_COMMON_OBJS) $(LIBCORE)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(RANDOM_RMI_OBJS) $(TEST_COMMON_OBJS) $(LIBCORE) $(LDLIBS) -lcmocka

setup:
	scripts/setup.sh

# The demo (scripts/demo.sh): a realm's whole life through RMI on the
# emulated machine, then an example OCI bundle run as a container in mode
# DEMO_ISOLATION.
DEMO_ISOLATION ?= realm
demo:
	scripts/setup.sh
	$(MAKE) all
	scripts/demo.sh $(BUILD) $(DEMO_ISOLATION)

test: all
	BUILD=$(BUILD) FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_TEST_SECONDS=$(FUZZ_TEST_SECONDS) \
		SAN_UNIT=$(SAN_UNIT) SAN_BUILD=$(SAN_BUILD) scripts/run-tests.sh

check-includes:
	scripts/check-includes.sh

# The trusted code, compiled freestanding for aarch64, and its size.
TCB_DIRS := src/arch src/lib src/monitor src/rmm src/minios
TCB_CC := aarch64-linux-gnu-gcc
TCB_CFLAGS := -std=gnu11 -O2 -ffreestanding -nostdinc -fno-builtin -D_LIBC_LIMITS_H_ \
	-isystem $(shell $(TCB_CC) -print-file-name=include 2>/dev/null) \
	-isystem $(BUILD)/tcb-include -Isrc -Wall -Wextra -Wno-unused-parameter -Werror
TCB_SRCS := $(foreach d,$(TCB_DIRS),$(wildcard $(d)/*.c))
TCB_OBJS := $(TCB_SRCS:%.c=$(BUILD)/tcb-aarch64/%.o)
$(BUILD)/tcb-aarch64/%.o: %.c
	@mkdir -p $(dir $@) $(BUILD)/tcb-include
	@ln -sfn /usr/include/mbedtls $(BUILD)/tcb-include/mbedtls
	$(TCB_CC) $(TCB_CFLAGS) -c $< -o $@
tcb-aarch64: $(TCB_OBJS)
	@$(PYTHON) scripts/sloc.py $(TCB_DIRS) 'src/monitor/rc_*' 'src/arch/rcontainer.h'

format:
	clang-format -i $$(git ls-files '*.c' '*.h' '*.cpp')

clean:
	rm -rf build build-san

-include $(shell find $(BUILD) -name '*.d' -type f 2>/dev/null)

# ---- CPU engine (src/plat/emu/cpu): dynarmic behind a C API -------------
# Part of librealmbox.a (the platform's A64 engine, plat/emu/a64.c, runs on
# it), so every program and test links dynarmic and the C++ runtime. Also
# builds the guest programs the tests run ($(BUILD)/guest/, from
# tests/guest/*.c and *.S, cross-compiled static for aarch64, no libc) and
# $(BUILD)/tests/test_cpu. LIBCPU names the library that carries the engine
# (kept for the makefile sections that used the separate libcpu.a).
CPU_C_SRCS := $(wildcard src/plat/emu/cpu/*.c)
CPU_CXX_SRCS := $(wildcard src/plat/emu/cpu/*.cpp)
CPU_OBJS := $(CPU_C_SRCS:%.c=$(BUILD)/%.o) $(CPU_CXX_SRCS:%.cpp=$(BUILD)/%.o)
LIBCPU := $(LIBCORE)
$(LIBCORE): $(CPU_OBJS)
LDLIBS += -ldynarmic -lstdc++ -lm
CPU_LDLIBS := -ldynarmic -lstdc++ -lpthread -lcmocka -lm

GUEST_CC := aarch64-linux-gnu-gcc
GUEST_CFLAGS := -O2 -static -nostdlib -ffreestanding -fno-stack-protector -fno-pie -no-pie \
	-march=armv8-a -Wall -Wl,--build-id=none
GUEST_SRCS := $(wildcard tests/guest/*.c tests/guest/*.S)
GUEST_BINS := $(addprefix $(BUILD)/guest/,$(notdir $(basename $(GUEST_SRCS))))

$(BUILD)/guest/%: tests/guest/%.c
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) -o $@ $<

# Assembly guests name the extensions they use with .arch directives.
$(BUILD)/guest/%: tests/guest/%.S
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) -o $@ $<

$(BUILD)/tests/unit/cpu/test_cpu.o: CFLAGS += -DCPU_GUEST_DIR='"$(abspath $(BUILD)/guest)"'
CPU_TEST_OBJS := $(BUILD)/tests/unit/cpu/test_cpu.o $(BUILD)/tests/unit/cpu/test_cpu_share.o
$(BUILD)/tests/test_cpu: $(CPU_TEST_OBJS) $(LIBCORE) $(GUEST_BINS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(CPU_TEST_OBJS) $(LIBCORE) $(CPU_LDLIBS)

# The platform's A64 engine tests (tests/unit/test_plat_a64*.c) run the guests too.
PLAT_A64_TESTS := $(filter $(BUILD)/tests/test_plat_a64 $(BUILD)/tests/test_plat_a64_%,$(TEST_BINS))
$(PLAT_A64_TESTS:$(BUILD)/tests/%=$(BUILD)/tests/unit/%.o): CFLAGS += -DCPU_GUEST_DIR='"$(abspath $(BUILD)/guest)"'
$(PLAT_A64_TESTS): $(GUEST_BINS)

.PHONY: cpu
cpu: $(LIBCORE) $(GUEST_BINS) $(BUILD)/tests/test_cpu
all: cpu

# ---- A stand-in for libLLVM (issue 9: memory per container) ------------
# dynarmic links libLLVM only to disassemble guest code in debugging output,
# which realmbox never asks for, and loading it costs every process ~9 MiB
# resident (its relocated data, .bss and the libraries it pulls in).
# $(BUILD)/lib/ holds a stub with the SONAME and the 13 functions dynarmic
# imports (src/plat/emu/llvm_stub/llvm_stub.c); the programs and tests carry
# an RPATH ($$ORIGIN/lib, $$ORIGIN/../lib; DT_RPATH, as DT_RUNPATH would not
# apply to libdynarmic's own dependencies) so the loader finds it first.
# Without the stub next to a binary the real libLLVM loads, as before.
# LLVM_NEEDED: "libLLVM-14.so.1 14" from libdynarmic's dynamic section.
LLVM_NEEDED := $(shell readelf -d $$($(CC) -print-file-name=libdynarmic.so) 2>/dev/null | \
	sed -n 's/.*Shared library: \[\(libLLVM-\([0-9]*\)\.so[^]]*\)\].*/\1 \2/p')
ifneq ($(words $(LLVM_NEEDED)),0)
LLVM_STUB := $(BUILD)/lib/$(word 1,$(LLVM_NEEDED))
$(LLVM_STUB): src/plat/emu/llvm_stub/llvm_stub.c
	@mkdir -p $(dir $@)
	echo 'LLVM_$(word 2,$(LLVM_NEEDED)) { global: LLVM*; local: *; };' > $(BUILD)/lib/llvm_stub.map
	$(CC) -std=gnu11 -O2 -Wall -Wextra -Wno-unused-parameter -shared -fPIC \
		-Wl,-soname,$(notdir $@) -Wl,--version-script=$(BUILD)/lib/llvm_stub.map -o $@ $<
LDFLAGS += -Wl,--disable-new-dtags -Wl,-rpath,'$$ORIGIN/lib' -Wl,-rpath,'$$ORIGIN/../lib'
all: $(LLVM_STUB)
# (a prerequisite so that binaries linked before the RPATH existed relink)
$(PROGS) $(TEST_BINS) $(TOOL_BINS) $(BUILD)/tests/test_cpu: $(LLVM_STUB)
endif

# ---- Host runtime: test programs, example bundles, host tests (issue 3) --
# tests/programs/*.c are cross-compiled for aarch64 against the cross glibc,
# each twice: $(BUILD)/programs/static/NAME (-static) and
# $(BUILD)/programs/dynamic/NAME (PT_INTERP /lib/ld-linux-aarch64.so.1).
# `make bundles` builds the OCI bundles $(BUILD)/bundles/{busybox,programs}
# with scripts/make-bundle.sh (nothing is downloaded when busybox-static:arm64
# is installed). The host unit tests (tests/unit/test_host_*.c) also need
# jansson.
PROG_CC := aarch64-linux-gnu-gcc
PROG_CFLAGS := -O2 -Wall -Wextra -Wno-unused-parameter
PROG_SRCS := $(wildcard tests/programs/*.c)
PROG_STATIC := $(PROG_SRCS:tests/programs/%.c=$(BUILD)/programs/static/%)
PROG_DYNAMIC := $(PROG_SRCS:tests/programs/%.c=$(BUILD)/programs/dynamic/%)

$(BUILD)/programs/static/%: tests/programs/%.c
	@mkdir -p $(dir $@)
	$(PROG_CC) $(PROG_CFLAGS) -static -o $@ $<

$(BUILD)/programs/dynamic/%: tests/programs/%.c
	@mkdir -p $(dir $@)
	$(PROG_CC) $(PROG_CFLAGS) -o $@ $<

.PHONY: programs bundles bench
# The benchmarks (not tests): bench/report.md with plots (scripts/bench_report.py:
# start latency, system-call cost and counts, application overhead, TCB,
# network (scripts/bench_net.py), for realm, shim, none and qemu-aarch64 in
# one run), then the realm path's per-call counts and ratios
# (scripts/bench-syscall.sh).
bench: all bundles
	scripts/setup.sh bench
	scripts/bench_report.py --build $(BUILD)
	scripts/bench-syscall.sh $(BUILD)

programs: $(PROG_STATIC) $(PROG_DYNAMIC)
bundles: programs
	PROGRAMS_DIR=$(BUILD)/programs scripts/make-bundle.sh $(BUILD)/bundles all

$(BUILD)/tests/test_host_%: LDLIBS += -ljansson
$(BUILD)/tests/test_rmm_fasco_attest: LDLIBS += -ljansson # checks the token with host/verify.c

# ---- library OS, `none` deployment (src/libos, src/deploy/none.c) -------
# deploy/none.c (in librealmbox.a) runs containers on the CPU engine, which
# is part of librealmbox.a (CPU section above): every program, tool and test
# already links it and dynarmic.

# ---- Fuzzing (tests/fuzz, issue 8) ---------------------------------------
# libFuzzer targets, one per tests/fuzz/fuzz_NAME.c, built with clang into
# $(FUZZ_BUILD) (a second build of the library with coverage, ASan and
# UBSan; a sub-make with BUILD=$(FUZZ_BUILD)). scripts/fuzz.sh runs them:
# `make fuzz` for FUZZ_SECONDS each (crashes in $(FUZZ_BUILD)/crashes/NAME/),
# `make test` for FUZZ_TEST_SECONDS each (0 skips them; SAN=1 skips them,
# the targets already run under ASan+UBSan).
FUZZ_CC ?= clang
FUZZ_CXX ?= clang++
FUZZ_BUILD ?= $(BUILD)/fuzz
FUZZ_SECONDS ?= 300
ifeq ($(SAN),1)
FUZZ_TEST_SECONDS ?= 0
else
FUZZ_TEST_SECONDS ?= 15
endif
FUZZ_SANFLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
# clang, unlike gcc, needs cmpxchg16b enabled for the CPU engine's 128-bit exclusives.
ifeq ($(shell uname -m),x86_64)
FUZZ_SANFLAGS += -mcx16
endif
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_COMMON_SRCS := $(filter-out $(wildcard tests/fuzz/fuzz_*.c),$(wildcard tests/fuzz/*.c))
FUZZ_COMMON_OBJS := $(FUZZ_COMMON_SRCS:%.c=$(BUILD)/%.o)
FUZZ_BINS := $(FUZZ_NAMES:%=$(BUILD)/fuzz_%)

.PHONY: fuzz fuzz-build fuzz-bins bench
fuzz-build:
	@command -v $(FUZZ_CC) >/dev/null || { echo "fuzz: $(FUZZ_CC) not found: run scripts/setup.sh" >&2; exit 1; }
	$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) SAN= CC=$(FUZZ_CC) CXX=$(FUZZ_CXX) \
		SANFLAGS="$(FUZZ_SANFLAGS)" fuzz-bins
fuzz: fuzz-build
	scripts/fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_NAMES)

fuzz-bins: $(FUZZ_BINS)
$(BUILD)/tests/fuzz/%.o: CFLAGS += -Itests/unit -Itests/fuzz
$(BUILD)/fuzz_%: $(BUILD)/tests/fuzz/fuzz_%.o $(FUZZ_COMMON_OBJS) $(TEST_COMMON_OBJS) $(LIBCORE)
	$(CXX) $(LDFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_COMMON_OBJS) $(TEST_COMMON_OBJS) \
		$(LIBCORE) $(LDLIBS) -lcmocka -ljansson
ifneq ($(FUZZ_TEST_SECONDS),0)
test: fuzz-build
endif

# ---- Sanitizers in `make test` (issue 8) ----------------------------------
# The unit tests run a second time built with ASan+UBSan (a sub-make with
# SAN=1 into $(SAN_BUILD)); run-tests.sh runs them after the suite, as
# san_test_*. SAN_UNIT=0 leaves them out; `make SAN=1 test` (the whole
# suite sanitized) does not repeat them.
SAN_BUILD := build-san
ifeq ($(SAN),1)
SAN_UNIT ?= 0
else
SAN_UNIT ?= 1
endif
.PHONY: san-build
san-build:
	$(MAKE) --no-print-directory -j$(shell nproc) SAN=1 all
ifneq ($(SAN_UNIT),0)
test: san-build
endif

# ---- Attestation (issue 6, docs/attestation.md) ---------------------------
# The boot ROM's measurements of the monitor and the RMM
# (scripts/tcb-measure.sh) go into src/boot/tcb_measure.c; it is rebuilt
# when a trusted source changes. The verifier (src/host/verify.c) decodes
# tokens with libcbor.
TCB_MEASURE_MONITOR := $(shell scripts/tcb-measure.sh monitor 2>/dev/null)
TCB_MEASURE_RMM := $(shell scripts/tcb-measure.sh rmm 2>/dev/null)
$(BUILD)/src/boot/tcb_measure.o: CFLAGS += -DRB_MEASURE_MONITOR='"$(TCB_MEASURE_MONITOR)"' \
	-DRB_MEASURE_RMM='"$(TCB_MEASURE_RMM)"'
$(BUILD)/src/boot/tcb_measure.o: $(wildcard src/monitor/*.[ch] src/rmm/*.[ch] src/lib/*.[ch] src/arch/*.[ch]) scripts/tcb-measure.sh
LDLIBS += -lcbor

# ---- Applications in containers (issue 4): sqlite3, lua5.4, Go ----------
# `make app-bundles`: $(BUILD)/bundles/apps (scripts/apps-rootfs.sh), Debian's
# arm64 sqlite3 and lua5.4 with their runtime dependencies (.debs fetched
# with apt-get download into a cache outside the build, then reused) and
# tests/apps/gohello, cross-compiled here: static, stdlib only, no network
# (GOPROXY=off), its cache and GOPATH inside $(BUILD)/go.
# tests/py/test_apps.py runs `make app-bundles` itself when needed.
GO ?= go
APPS_GO := $(BUILD)/apps/gohello
APPS_GOENV := GOOS=linux GOARCH=arm64 CGO_ENABLED=0 GOPROXY=off GOFLAGS=-buildvcs=false \
	GOCACHE=$(abspath $(BUILD))/go/cache GOPATH=$(abspath $(BUILD))/go/path
.PHONY: app-bundles
app-bundles: $(BUILD)/bundles/apps/config.json

$(APPS_GO): $(wildcard tests/apps/gohello/*.go) tests/apps/gohello/go.mod
	@command -v $(GO) >/dev/null || { echo "app-bundles: $(GO) not found: run scripts/setup.sh" >&2; exit 1; }
	@mkdir -p $(dir $@)
	cd tests/apps/gohello && $(APPS_GOENV) $(GO) build -trimpath -ldflags='-s -w' -o $(abspath $@) .

$(BUILD)/bundles/apps/config.json: scripts/apps-rootfs.sh scripts/apps_resolve.py \
		scripts/make-bundle.sh tests/apps/bench.lua tests/apps/sqlite-queries.sql $(APPS_GO)
	scripts/apps-rootfs.sh $(BUILD)/bundles $(APPS_GO)
