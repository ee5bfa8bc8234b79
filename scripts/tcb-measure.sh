#!/bin/sh
# The measurement of a trusted component as the platform token's
# sw-components list it (docs/attestation.md): SHA-256 over the
# component's sources, file by file in C-locale path order, each as its
# path relative to the repository, a NUL byte, then its content.
#   monitor: src/monitor src/lib src/arch      rmm: src/rmm src/lib src/arch
# Usage: scripts/tcb-measure.sh monitor|rmm   (prints 64 hex digits)
set -eu
cd "$(dirname "$0")/.."
case "${1:-}" in
monitor) dirs="src/monitor src/lib src/arch" ;;
rmm) dirs="src/rmm src/lib src/arch" ;;
*) echo "usage: $0 monitor|rmm" >&2; exit 2 ;;
esac
# shellcheck disable=SC2086
find $dirs -maxdepth 1 -type f \( -name '*.c' -o -name '*.h' \) | LC_ALL=C sort |
	while IFS= read -r f; do
		printf '%s\0' "$f"
		cat "$f"
	done | sha256sum | cut -d' ' -f1
