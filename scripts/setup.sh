#!/usr/bin/env bash
# Install every Debian package realmbox needs, idempotently. Runs apt-get
# update at most once, and only when something is missing.
set -euo pipefail

PKGS=(
	build-essential make python3 git
	libmbedtls-dev libjansson-dev libcbor-dev libcmocka-dev
	libdynarmic-dev
	gcc-aarch64-linux-gnu libc6-dev-arm64-cross
	qemu-user-static binfmt-support
	python3-cbor2 python3-cryptography
	busybox-static:arm64
	clang libclang-rt-14-dev
	gnuplot-nox
	golang-go
	containerd podman
	runc
	wrk curl
	nodejs
)

# nodejs (with its npm; this machine's Node.js package brings npm, so
# Debian's separate npm package is not asked for): tests/py/test_attest_npm.py
# checks attestation tokens with npm's cose-js and cbor, which it installs
# from the npm registry.

# runc is the oracle of tests/py/test_runc_oracle.py (realmbox's lifecycle
# compared with runc's) and a peer `make bench` times.
# `scripts/setup.sh bench`: also what `make bench` compares with
# (scripts/bench_peers.py: the microVM and crun).
if [ "${1:-}" = bench ]; then
	PKGS+=(qemu-system-arm crun cpio)
fi

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	$SUDO dpkg --add-architecture arm64
	need_update=1
fi

missing=()
for p in "${PKGS[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done

if [ "${#missing[@]}" -eq 0 ]; then
	echo "setup: all ${#PKGS[@]} packages present"
	exit 0
fi

echo "setup: installing ${missing[*]}"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
