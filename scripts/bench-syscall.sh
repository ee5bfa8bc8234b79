#!/usr/bin/env bash
# Per-system-call costs of `realmbox run --isolation realm` (Fasco) in
# machine-independent counts, and start-to-exit of `busybox true` in realm,
# none and qemu-aarch64 (ratios from one run). Not a test.
#
#   scripts/bench-syscall.sh [BUILD]     (default build; needs `make bundles`)
#
# Counts per call come from two tiny static arm64 programs that differ only
# in N calls (getpid, then write(1, buf, 64)): (counts(N) - counts(0)) / N.
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-${BUILD:-build}}
RB=$PWD/$BUILD/realmbox
BB=$PWD/$BUILD/bundles/busybox
N=${N:-2000}
CC=${CC_A64:-aarch64-linux-gnu-gcc}
[ -x "$RB" ] || { echo "bench: $RB not built" >&2; exit 1; }
[ -d "$BB/rootfs" ] || { echo "bench: no busybox bundle: make BUILD=$BUILD bundles" >&2; exit 1; }
tmp=$(mktemp -d /tmp/rb-bench-XXXXXX)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$tmp"' EXIT

# ---- the probe programs ----
mkdir -p "$tmp/rootfs"
cat >"$tmp/loop.c" <<'EOF'
static long sc3(long nr, long a, long b, long c)
{
	register long x8 __asm__("x8") = nr, x0 __asm__("x0") = a, x1 __asm__("x1") = b,
		      x2 __asm__("x2") = c;
	__asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
	return x0;
}
void _start(void)
{
	char buf[64]; /* on the stack: no data segment */
	for (long i = 0; i < NCALLS; i++)
		if (KIND == 0)
			sc3(172, 0, 0, 0); /* getpid */
		else
			sc3(64, 1, (long)buf, sizeof(buf)); /* write(1, buf, 64) */
	sc3(94, 0, 0, 0);
}
EOF
for kind in 0 1; do
	for n in 0 "$N"; do
		$CC -O1 -static -nostdlib -ffreestanding -fno-stack-protector -DNCALLS="$n" -DKIND=$kind \
			-o "$tmp/rootfs/p$kind-$n" "$tmp/loop.c"
	done
done
bundle() { # dir args...
	local d=$1; shift
	mkdir -p "$d"
	python3 - "$d" "$@" <<'EOF'
import json, sys
d, args = sys.argv[1], sys.argv[2:]
root = args.pop(0)
cfg = {"ociVersion": "1.0.2", "process": {"terminal": False, "user": {"uid": 0, "gid": 0},
       "args": args, "env": ["PATH=/bin:/usr/bin"], "cwd": "/"},
       "root": {"path": root, "readonly": False}, "hostname": "bench"}
json.dump(cfg, open(d + "/config.json", "w"))
EOF
}

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
echo "== start-to-exit of busybox true (one run each; ratios against none) =="
bundle "$tmp/true" "$BB/rootfs" /bin/true
t() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s%N); echo $(((e - s) / 1000)); }
tr=$(cd "$tmp/true" && t env REALMBOX_LOG=error "$RB" run --isolation realm bench)
tn=$(cd "$tmp/true" && t "$RB" run --isolation none bench)
QEMU=$(command -v qemu-aarch64 || command -v qemu-aarch64-static || true)
if [ -n "$QEMU" ]; then
	tq=$(t "$QEMU" -L "$BB/rootfs" "$BB/rootfs/bin/true")
else
	tq=0
fi
python3 - "$tr" "$tn" "$tq" <<'EOF'
import sys
r, n, q = map(int, sys.argv[1:])
print(f"realm {r/1000:8.1f} ms   none {n/1000:8.1f} ms   qemu-aarch64 {q/1000:8.1f} ms")
print(f"realm/none {r/max(n,1):.2f}   realm/qemu {r/max(q,1):.2f}   none/qemu {n/max(q,1):.2f}")
EOF
echo
echo "== realm: busybox true, whole run =="
(cd "$tmp/true" && REALMBOX_LOG=error REALMBOX_REALM_DEBUG=1 "$RB" run --isolation realm --stats bench 2>&1 >/dev/null | sed 's/^/  /')
