#!/usr/bin/env bash
# Build example OCI bundles for realmbox without downloading anything (when
# busybox-static:arm64 is installed; otherwise its .deb is fetched with
# `apt-get download`, the only network use).
#
#   scripts/make-bundle.sh OUTDIR [busybox|programs|all]     (default: all)
#
# OUTDIR/busybox   rootfs: /bin/busybox (Debian's busybox-static, arm64) and
#                  applet symlinks, /etc/passwd, /etc/group, /tmp, /root,
#                  empty /dev, /proc and /sys, data files in /data
# OUTDIR/programs  the same plus tests/programs/*.c cross-compiled with
#                  aarch64-linux-gnu-gcc: /prog/static/NAME and
#                  /prog/dynamic/NAME, with /lib/ld-linux-aarch64.so.1 and
#                  the libraries they need in /lib/aarch64-linux-gnu
# Each bundle has a config.json (terminal false, root.path "rootfs").
# Set PROGRAMS_DIR to a directory with static/ and dynamic/ builds (the
# Makefile's `programs` target) to reuse them instead of compiling here.
# An existing bundle is replaced.
set -euo pipefail

usage() {
	echo "usage: $0 OUTDIR [busybox|programs|all]" >&2
	exit 2
}
[ $# -ge 1 ] && [ $# -le 2 ] || usage
OUT=$1
WHAT=${2:-all}
case "$WHAT" in busybox | programs | all) ;; *) usage ;; esac
HERE=$(cd "$(dirname "$0")/.." && pwd)
CROSS=${CROSS:-aarch64-linux-gnu-}
SYSROOT_LIB=${SYSROOT_LIB:-/usr/aarch64-linux-gnu/lib}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

die() {
	echo "make-bundle: $*" >&2
	exit 1
}

# Applets the tests and the demo use (symlinks to /bin/busybox).
APPLETS="sh ash ls cat echo printf wc sort uniq grep egrep sed awk head tail seq mkdir
rmdir rm cp mv ln touch chmod chown sha256sum md5sum gzip gunzip zcat find xargs env
sleep true false test [ [[ tr cut tee pwd id uname basename dirname expr date stat
readlink realpath od hexdump yes kill ps hostname sync du df which cmp diff tty"

is_arm64_elf() { # file: ELF, 64-bit, little-endian, e_machine 0xb7 (AArch64)
	[ -f "$1" ] || return 1
	local hdr
	hdr=$(od -An -tx1 -N20 "$1" | tr -d ' \n')
	[ "${hdr:0:10}" = "7f454c4602" ] && [ "${hdr:36:4}" = "b700" ]
}

# Debian's static arm64 busybox: the installed package's file if it is the
# arm64 one, else the .deb from apt, unpacked here.
find_busybox() {
	local f
	if command -v dpkg >/dev/null 2>&1; then
		for f in $(dpkg -L busybox-static:arm64 2>/dev/null | grep -E '/bin/busybox$' || true); do
			if is_arm64_elf "$f"; then
				echo "$f"
				return
			fi
		done
	fi
	if is_arm64_elf /bin/busybox; then
		echo /bin/busybox
		return
	fi
	echo "make-bundle: busybox-static:arm64 not installed; fetching the .deb with apt-get download" >&2
	(cd "$TMP" && apt-get download busybox-static:arm64 >&2) ||
		die "cannot get busybox-static:arm64 (dpkg --add-architecture arm64 && apt-get update?)"
	dpkg-deb -x "$TMP"/busybox-static_*_arm64.deb "$TMP/bb" || die "cannot unpack busybox-static"
	is_arm64_elf "$TMP/bb/bin/busybox" || die "the busybox-static .deb has no arm64 /bin/busybox"
	echo "$TMP/bb/bin/busybox"
}

write_config() { # bundle-dir json-args
	python3 - "$1/config.json" "$2" <<'EOF'
import json, sys
path, args = sys.argv[1], json.loads(sys.argv[2])
cfg = {
    "ociVersion": "1.0.2-dev",
    "process": {
        "terminal": False,
        "user": {"uid": 0, "gid": 0},
        "args": args,
        "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "TERM=xterm", "HOME=/root"],
        "cwd": "/",
        "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
    },
    "root": {"path": "rootfs", "readonly": True},
    "hostname": "realmbox",
}
with open(path, "w") as f:
    json.dump(cfg, f, indent=2)
    f.write("\n")
EOF
}

make_base_rootfs() { # rootfs-dir
	local r=$1 bb a
	bb=$(find_busybox)
	mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,dev,proc,sys,data,home}
	chmod 1777 "$r/tmp"
	chmod 0700 "$r/root"
	install -m 0755 "$bb" "$r/bin/busybox"
	for a in $APPLETS; do
		ln -sf busybox "$r/bin/$a"
	done
	cat >"$r/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
	cat >"$r/etc/group" <<'EOF'
root:x:0:
daemon:x:1:
nogroup:x:65534:
EOF
	echo realmbox >"$r/etc/hostname"
	printf '%s\n' banana apple cherry apple date elderberry fig grape banana >"$r/data/words.txt"
	seq 1 1000 >"$r/data/numbers.txt"
	cat >"$r/data/lorem.txt" <<'EOF'
Lorem ipsum dolor sit amet, consectetur adipiscing elit.
Sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.
Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris.
Duis aute irure dolor in reprehenderit in voluptate velit esse.
Excepteur sint occaecat cupidatat non proident, sunt in culpa.
EOF
	mkdir -p "$r/data/tree/a/b" "$r/data/tree/c"
	echo one >"$r/data/tree/a/one.txt"
	echo two >"$r/data/tree/a/b/two.txt"
	echo three >"$r/data/tree/c/three.txt"
	ln -sf ../a/one.txt "$r/data/tree/c/link-to-one"
}

# The shared objects a dynamic arm64 program needs, recursively (file names).
needed_libs() { # elf...
	local todo=("$@") seen="" f lib
	while [ ${#todo[@]} -gt 0 ]; do
		f=${todo[0]}
		todo=("${todo[@]:1}")
		for lib in $("${CROSS}readelf" -d "$f" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
			case " $seen " in *" $lib "*) continue ;; esac
			[ -e "$SYSROOT_LIB/$lib" ] || die "$f needs $lib, not in $SYSROOT_LIB"
			seen="$seen $lib"
			todo+=("$SYSROOT_LIB/$lib")
		done
	done
	echo "${seen# }"
}

build_programs() { # dest-dir-with-static-and-dynamic
	local d=$1 src name
	mkdir -p "$d/static" "$d/dynamic"
	for src in "$HERE"/tests/programs/*.c; do
		[ -e "$src" ] || continue
		name=$(basename "$src" .c)
		"${CROSS}gcc" -O2 -Wall -static -o "$d/static/$name" "$src" -lpthread
		"${CROSS}gcc" -O2 -Wall -o "$d/dynamic/$name" "$src" -lpthread
	done
}

make_busybox() {
	local b="$OUT/busybox"
	rm -rf "$b"
	mkdir -p "$b"
	make_base_rootfs "$b/rootfs"
	write_config "$b" '["sh", "-c", "echo hello from a realmbox container; uname -m"]'
	echo "make-bundle: $b"
}

make_programs() {
	local b="$OUT/programs" progs=${PROGRAMS_DIR:-} lib
	rm -rf "$b"
	mkdir -p "$b"
	make_base_rootfs "$b/rootfs"
	if [ -z "$progs" ]; then
		progs="$TMP/programs"
		build_programs "$progs"
	fi
	[ -d "$progs/static" ] && [ -d "$progs/dynamic" ] || die "$progs: no static/ and dynamic/"
	mkdir -p "$b/rootfs/prog" "$b/rootfs/lib/aarch64-linux-gnu"
	cp -r "$progs/static" "$progs/dynamic" "$b/rootfs/prog/"
	cp -L "$SYSROOT_LIB/ld-linux-aarch64.so.1" "$b/rootfs/lib/ld-linux-aarch64.so.1"
	for lib in $(needed_libs "$progs"/dynamic/*); do
		cp -L "$SYSROOT_LIB/$lib" "$b/rootfs/lib/aarch64-linux-gnu/$lib"
	done
	write_config "$b" '["/prog/static/hello"]'
	echo "make-bundle: $b"
}

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
case "$WHAT" in
busybox) make_busybox ;;
programs) make_programs ;;
all)
	make_busybox
	make_programs
	;;
esac
