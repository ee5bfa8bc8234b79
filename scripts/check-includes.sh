#!/usr/bin/env bash
# Trust-domain include rule (DESIGN.md §2): more trusted code never includes
# headers of less trusted code. Prints offending lines; exits 1 if any.
set -u
cd "$(dirname "$0")/.."
status=0
check() { # dir allowed-prefixes...
	local dir=$1; shift
	local allowed="$*"
	[ -d "$dir" ] || return 0
	while IFS= read -r line; do
		file=${line%%:*}
		inc=$(sed -E 's/.*#include "([^"]+)".*/\1/' <<<"$line")
		ok=0
		for a in $allowed; do
			case "$inc" in $a/*) ok=1 ;; esac
		done
		if [ $ok = 0 ]; then
			echo "include rule: $file includes \"$inc\" (allowed: $allowed)"
			status=1
		fi
	done < <(grep -rn '#include "' "$dir" --include='*.c' --include='*.h' --include='*.cpp')
}
check src/arch arch
check src/lib arch lib
check src/plat arch lib plat
check src/monitor arch lib plat monitor
check src/rmm arch lib plat monitor rmm
check src/minios arch lib plat minios
check src/libos arch lib libos
exit $status
