#!/usr/bin/env bash
# The shim path's benchmark (issue 7 item 5), not a test: in one run,
#   - per-system-call costs of `realmbox run --isolation shim` (RContainer)
#     in machine-independent counts (EL3 round trips, GPT switches, TLBIs,
#     rc_* calls), for the artifact's path (REALMBOX_SHIM_BASELINE=1: the
#     mini-OS leaves the Priv-GPT with its own SET_GPTBR) and for the default
#     (EL3 switches GPT as the gate returns);
#   - start-to-exit of `busybox true` in shim (both paths) and none (median
#     of RUNS runs each) and the ratios.
#
#   scripts/bench-shim.sh [BUILD]     (default build; needs `make BUILD=... bundles`)
#
# Counts per call come from two tiny static arm64 programs that differ only
# in N calls (getpid, then write(1, buf, 64)): (counts(N) - counts(0)) / N.
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-${BUILD:-build}}
RB=$PWD/$BUILD/realmbox
BB=$PWD/$BUILD/bundles/busybox
N=${N:-2000}
RUNS=${RUNS:-5}
CC=${CC_A64:-aarch64-linux-gnu-gcc}
[ -x "$RB" ] || { echo "bench: $RB not built" >&2; exit 1; }
[ -d "$BB/rootfs" ] || { echo "bench: no busybox bundle: make BUILD=$BUILD bundles" >&2; exit 1; }
tmp=$(mktemp -d /tmp/rb-bench-shim-XXXXXX)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/rootfs"
. scripts/bench-lib.sh
bench_probes "$tmp" 0 "$N"

# counts of one shim run: "el3 gpt_switches tlbis rc_calls syscalls"
shim_counts() { # baseline(0|1) bundle-dir
	local out
	out=$(cd "$2" && REALMBOX_LOG=error REALMBOX_SHIM_BASELINE=$1 "$RB" run --isolation shim \
		--stats bench 2>&1 >/dev/null) || true
	local v=()
	for k in rc_el3_round_trips gpt_switches tlbis rc_calls syscalls; do
		v+=("$(sed -n "s/.*stats: $k  *\([0-9]*\)\$/\1/p" <<<"$out")")
	done
	echo "${v[0]:-0} ${v[1]:-0} ${v[2]:-0} ${v[3]:-0} ${v[4]:-0}"
}

echo "== shim: counts per system call (N=$N, difference of two runs) =="
printf '%-10s %-20s %9s %9s %9s %9s\n' path call el3_trips gpt_sw tlbis rc_calls
for base in 1 0; do
	path=$([ $base = 1 ] && echo baseline || echo default)
	for kind in 0 1; do
		name=$([ $kind = 0 ] && echo "getpid" || echo "write(1, buf, 64)")
		bundle "$tmp/b$kind-0" "$tmp/rootfs" "/p$kind-0"
		bundle "$tmp/b$kind-$N" "$tmp/rootfs" "/p$kind-$N"
		read -r a0 a1 a2 a3 _ <<<"$(shim_counts $base "$tmp/b$kind-0")"
		read -r b0 b1 b2 b3 _ <<<"$(shim_counts $base "$tmp/b$kind-$N")"
		python3 - "$path" "$name" "$N" $a0 $a1 $a2 $a3 $b0 $b1 $b2 $b3 <<'PY'
import sys
path, name, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
a = list(map(int, sys.argv[4:8])); b = list(map(int, sys.argv[8:12]))
print("%-10s %-20s" % (path, name) + "".join(" %9.2f" % ((y - x) / n) for x, y in zip(a, b)))
PY
	done
done

t() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s%N); echo $(((e - s) / 1000)); }
run_us() { # mode baseline bundle-dir
	(cd "$3" && t env REALMBOX_LOG=error REALMBOX_SHIM_BASELINE=$2 "$RB" run --isolation "$1" bench)
}
median_us() {
	local v=()
	for _ in $(seq "$RUNS"); do v+=("$(run_us "$@")"); done
	printf '%s\n' "${v[@]}" | sort -n | sed -n "$(((RUNS + 1) / 2))p"
}

echo
echo "== start-to-exit of busybox true (median of $RUNS runs each) =="
bundle "$tmp/true" "$BB/rootfs" /bin/true
sb=$(median_us shim 1 "$tmp/true")
sd=$(median_us shim 0 "$tmp/true")
nn=$(median_us none 0 "$tmp/true")
python3 - "$sb" "$sd" "$nn" <<'PY'
import sys
sb, sd, n = map(int, sys.argv[1:])
print(f"shim (baseline) {sb/1000:8.1f} ms")
print(f"shim (default)  {sd/1000:8.1f} ms")
print(f"none            {n/1000:8.1f} ms")
print(f"shim-baseline/none {sb/max(n,1):.2f}   shim-default/none {sd/max(n,1):.2f}")
PY
echo
echo "== shim: busybox true, whole run (default path) =="
(cd "$tmp/true" && REALMBOX_LOG=error REALMBOX_SHIM_DEBUG=1 "$RB" run --isolation shim bench 2>&1 >/dev/null | sed 's/^/  /')
