#!/usr/bin/env bash
# The realm path's benchmark (issue 3), not a test: in one run,
#   - per-system-call costs of `realmbox run --isolation realm` (Fasco) in
#     machine-independent counts (forwards, REC exits, world switches, RSI
#     calls, RMM copies and bytes);
#   - start-to-exit of `busybox true` in realm, none and qemu-aarch64
#     (median of RUNS runs each) and the ratios;
#   - the getpid round trip per mode (ns per call: two programs that differ
#     only in NT calls, timed whole);
#   - a store-heavy CPU loop per mode (the CPU engine's cost, no system calls).
#
#   scripts/bench-syscall.sh [BUILD]     (default build; needs `make bundles`)
#   make bench                           (the same)
#
# Counts per call come from two tiny static arm64 programs that differ only
# in N calls (getpid, then write(1, buf, 64)): (counts(N) - counts(0)) / N.
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-${BUILD:-build}}
RB=$PWD/$BUILD/realmbox
BB=$PWD/$BUILD/bundles/busybox
N=${N:-2000}
NT=${NT:-20000}
RUNS=${RUNS:-5}
CC=${CC_A64:-aarch64-linux-gnu-gcc}
[ -x "$RB" ] || { echo "bench: $RB not built" >&2; exit 1; }
[ -d "$BB/rootfs" ] || { echo "bench: no busybox bundle: make BUILD=$BUILD bundles" >&2; exit 1; }
tmp=$(mktemp -d /tmp/rb-bench-XXXXXX)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$tmp"' EXIT

# ---- the probe programs (scripts/bench-lib.sh) ----
. scripts/bench-lib.sh
mkdir -p "$tmp/rootfs"
bench_probes "$tmp" 0 "$N" "$NT"
cat >"$tmp/store.c" <<'EOF'
static unsigned long buf[1 << 17]; /* 1 MiB */
void _start(void)
{
	for (unsigned long i = 0; i < STORES; i++)
		buf[(i * 9) & ((1 << 17) - 1)] = i;
	register long x8 __asm__("x8") = 94, x0 __asm__("x0") = (long)(buf[5] & 0);
	__asm__ volatile("svc #0" : "+r"(x0) : "r"(x8) : "memory");
	for (;;)
		;
}
EOF
$CC -O1 -static -nostdlib -ffreestanding -fno-stack-protector -DSTORES=200000000UL \
	-o "$tmp/rootfs/store" "$tmp/store.c"
# stats of one realm run: prints "forwards rec_exits world_switches rsi copies bytes"
realm_counts() { # bundle-dir
	local out
	out=$(cd "$1" && REALMBOX_LOG=error REALMBOX_REALM_DEBUG=1 "$RB" run --isolation realm --stats \
		bench 2>&1 >/dev/null) || true
	local fw re ws rsi cp by
	fw=$(sed -n 's/.*stats: forwarded *\([0-9]*\).*/\1/p' <<<"$out")
	re=$(sed -n 's/.*stats: rec_exits *\([0-9]*\).*/\1/p' <<<"$out")
	ws=$(sed -n 's/.*stats: world_switches *\([0-9]*\).*/\1/p' <<<"$out")
	cp=$(sed -n 's/.*stats: rmm_copies *\([0-9]*\).*/\1/p' <<<"$out")
	by=$(sed -n 's/.*stats: rmm_copy_bytes *\([0-9]*\).*/\1/p' <<<"$out")
	rsi=$(sed -n 's/.*; RSI \([0-9]*\) (kernel.*/\1/p' <<<"$out")
	echo "${fw:-0} ${re:-0} ${ws:-0} ${rsi:-0} ${cp:-0} ${by:-0}"
}

echo "== realm: counts per system call (N=$N, difference of two runs) =="
printf '%-24s %9s %9s %9s %9s %9s %9s\n' call forwards rec_exits world_sw rsi copies bytes
for kind in 0 1; do
	name=$([ $kind = 0 ] && echo "getpid" || echo "write(1, buf, 64)")
	bundle "$tmp/b$kind-0" "$tmp/rootfs" "/p$kind-0"
	bundle "$tmp/b$kind-$N" "$tmp/rootfs" "/p$kind-$N"
	read -r a0 a1 a2 a3 a4 a5 <<<"$(realm_counts "$tmp/b$kind-0")"
	read -r b0 b1 b2 b3 b4 b5 <<<"$(realm_counts "$tmp/b$kind-$N")"
	python3 - "$name" "$N" $a0 $a1 $a2 $a3 $a4 $a5 $b0 $b1 $b2 $b3 $b4 $b5 <<'EOF'
import sys
name, n = sys.argv[1], int(sys.argv[2])
a = list(map(int, sys.argv[3:9])); b = list(map(int, sys.argv[9:15]))
print("%-24s" % name + "".join(" %9.2f" % ((y - x) / n) for x, y in zip(a, b)))
EOF
done

echo
QEMU=$(command -v qemu-aarch64 || command -v qemu-aarch64-static || true)
t() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s%N); echo $(((e - s) / 1000)); }
# run_us MODE BUNDLE-DIR: microseconds of one start-to-exit of the bundle's process
run_us() {
	case $1 in
	qemu)
		local root prog
		root=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["root"]["path"])' "$2/config.json")
		prog=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["process"]["args"][0])' "$2/config.json")
		t "$QEMU" -L "$root" "$root$prog" ;;
	*) (cd "$2" && t env REALMBOX_LOG=error "$RB" run --isolation "$1" bench) ;;
	esac
}
# median_us MODE BUNDLE-DIR: median of RUNS runs
median_us() {
	local v=()
	for _ in $(seq "$RUNS"); do v+=("$(run_us "$1" "$2")"); done
	printf '%s\n' "${v[@]}" | sort -n | sed -n "$(((RUNS + 1) / 2))p"
}
MODES="realm none"
[ -n "$QEMU" ] && MODES="$MODES qemu"
ratios() { # realm none qemu
	python3 - "$1" "$2" "${3:-0}" <<'EOF'
import sys
r, n, q = map(int, sys.argv[1:])
print(f"realm/none {r/max(n,1):.2f}   realm/qemu {r/max(q,1):.2f}   none/qemu {n/max(q,1):.2f}")
EOF
}

# whole_runs BUNDLE-DIR: the median start-to-exit per mode in ms, then the ratios
whole_runs() {
	local m v=()
	for m in realm none qemu; do
		if [[ " $MODES " == *" $m "* ]]; then
			v+=("$(median_us "$m" "$1")")
			printf '%-6s %8.1f ms\n' "$m" "$(python3 -c "print(${v[-1]} / 1000)")"
		else
			v+=(0)
		fi
	done
	ratios "${v[@]}"
}

echo
echo "== start-to-exit of busybox true (median of $RUNS runs each) =="
bundle "$tmp/true" "$BB/rootfs" /bin/true
whole_runs "$tmp/true"

echo
echo "== getpid round trip (ns per call: ($NT calls - 0 calls) / $NT, medians of $RUNS) =="
bundle "$tmp/g0" "$tmp/rootfs" /p0-0
bundle "$tmp/gN" "$tmp/rootfs" "/p0-$NT"
declare -A GP
for m in $MODES; do
	a=$(median_us "$m" "$tmp/g0")
	b=$(median_us "$m" "$tmp/gN")
	GP[$m]=$(python3 -c "print(max(0, ($b - $a) * 1000 // $NT))")
	printf '%-6s %8s ns\n' "$m" "${GP[$m]}"
done
ratios "${GP[realm]}" "${GP[none]}" "${GP[qemu]:-0}"

echo
echo "== store-heavy loop (200M stores into 1 MiB, whole run, median of $RUNS) =="
bundle "$tmp/store" "$tmp/rootfs" /store
whole_runs "$tmp/store"
echo
echo "== realm: busybox true, whole run =="
(cd "$tmp/true" && REALMBOX_LOG=error REALMBOX_REALM_DEBUG=1 "$RB" run --isolation realm --stats bench 2>&1 >/dev/null | sed 's/^/  /')
