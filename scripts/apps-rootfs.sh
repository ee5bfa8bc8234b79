#!/usr/bin/env bash
# The application bundle for realmbox's end-to-end application tests and
# benchmark (tests/py/test_apps.py, scripts/bench_report.py): Debian's arm64
# sqlite3 and lua5.4 with their runtime dependencies, plus a Go program, on
# the busybox rootfs of scripts/make-bundle.sh. Run by `make app-bundles`.
#
#   scripts/apps-rootfs.sh OUTDIR GOHELLO
#
# OUTDIR/apps      an OCI bundle (config.json, terminal false, root.path
#                  "rootfs"); the rootfs has busybox, /usr/bin/sqlite3,
#                  /usr/bin/lua5.4, their shared libraries and Debian's
#                  loader, and /apps: gohello (the GOHELLO binary,
#                  tests/apps/gohello), bench.lua, sqlite-10k.sql and
#                  sqlite-1k.sql (10,000 or 1,000 INSERTs in one
#                  transaction, then tests/apps/sqlite-queries.sql)
#
# The package set is resolved from apt's lists, not listed here
# (scripts/apps_resolve.py: every Depends/Pre-Depends of ROOTS, recursively;
# architecture-independent packages left out). After extraction every
# NEEDED library of /usr/bin/sqlite3 and /usr/bin/lua5.4 must resolve inside
# the rootfs, or the script fails naming it.
#
# The .debs are fetched with `apt-get download` (the only network use) into
# APPS_DEB_CACHE (default ${XDG_CACHE_HOME:-~/.cache}/realmbox/debs) and
# reused while their SHA-256 matches apt's index; nothing else is fetched.
# Needs the arm64 architecture enabled and apt's lists (scripts/setup.sh).
# The bundle is built beside OUTDIR/apps and replaces it at the end.
set -euo pipefail

ROOTS="sqlite3 libsqlite3-0 lua5.4 liblua5.4-0"
ARCH=arm64
CROSS=${CROSS:-aarch64-linux-gnu-}

die() {
	echo "apps-rootfs: $*" >&2
	exit 1
}
[ $# -eq 2 ] || {
	echo "usage: $0 OUTDIR GOHELLO" >&2
	exit 2
}
OUT=$1
GOHELLO=$2
HERE=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${APPS_DEB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/realmbox/debs}
[ -x "$GOHELLO" ] || die "$GOHELLO: not an executable (build it with make app-bundles)"
for t in apt-cache apt-get dpkg-deb "${CROSS}readelf" sha256sum; do
	command -v "$t" >/dev/null || die "$t not found: run scripts/setup.sh"
done
dpkg --print-foreign-architectures | grep -qx "$ARCH" ||
	die "the $ARCH architecture is not enabled: run scripts/setup.sh"

mkdir -p "$OUT" "$CACHE"
OUT=$(cd "$OUT" && pwd)
STAGE=$(mktemp -d "$OUT/.apps-stage.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT

# ---- resolve the package set: "package filename sha256" lines ----
# shellcheck disable=SC2086
"$HERE/scripts/apps_resolve.py" "$ARCH" $ROOTS >"$STAGE/set" || die "cannot resolve the packages"

# ---- fetch into the cache (reused while the index's SHA-256 matches) ----
# apt names a download with its epoch escaped (1%3a...); the cache uses the
# index's file name. As root, apt's _apt sandbox user could not write here.
apt_opts=(-q)
[ "$(id -u)" != 0 ] || apt_opts+=(-o APT::Sandbox::User=root)
debs=()
missing=()
while read -r p file sum; do
	if ! [ -f "$CACHE/$file" ] || ! echo "$sum  $CACHE/$file" | sha256sum -c --status; then
		missing+=("$p:$ARCH")
	fi
	debs+=("$CACHE/$file")
done <"$STAGE/set"
if [ ${#missing[@]} -gt 0 ]; then
	# one apt-get call for all (each call parses apt's lists: seconds)
	echo "apps-rootfs: apt-get download ${missing[*]}" >&2
	mkdir "$STAGE/dl"
	(cd "$STAGE/dl" && apt-get download "${apt_opts[@]}" "${missing[@]}" >/dev/null) ||
		die "apt-get download failed"
	while read -r p file sum; do
		case " ${missing[*]} " in *" $p:$ARCH "*) ;; *) continue ;; esac
		got=$(find "$STAGE/dl" -name "${p}_*_$ARCH.deb" | head -n 1)
		[ -n "$got" ] || die "apt-get download $p:$ARCH gave no .deb"
		echo "$sum  $got" | sha256sum -c --status ||
			die "$p:$ARCH: the downloaded .deb's SHA-256 differs from apt's index"
		mv "$got" "$CACHE/$file"
	done <"$STAGE/set"
fi
[ ${#debs[@]} -gt 0 ] || die "no packages resolved"

# ---- the rootfs: busybox base, the packages, the programs ----
"$HERE/scripts/make-bundle.sh" "$STAGE" busybox >/dev/null
R="$STAGE/busybox/rootfs"
for d in "${debs[@]}"; do
	dpkg-deb -x "$d" "$R" || die "$d: cannot extract"
done
# Every file is hashed at each `realmbox run`: documentation and glibc's
# iconv modules (gconv, 20 MB; neither program calls iconv) are left out.
rm -rf "$R/usr/share/doc" "$R/usr/share/man" "$R/usr/share/info" "$R/usr/share/lintian" \
	"$R/usr/lib/aarch64-linux-gnu/gconv"

# Every NEEDED library of the packages' programs must be in the rootfs.
libdirs="$R/lib/aarch64-linux-gnu $R/usr/lib/aarch64-linux-gnu $R/lib $R/usr/lib"
check_needed() { # elf...
	local todo=("$@") seen_l=" " f lib d found
	while [ ${#todo[@]} -gt 0 ]; do
		f=${todo[0]}
		todo=("${todo[@]:1}")
		for lib in $("${CROSS}readelf" -d "$f" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
			case "$seen_l" in *" $lib "*) continue ;; esac
			found=""
			for d in $libdirs; do
				if [ -e "$d/$lib" ]; then
					found="$d/$lib"
					break
				fi
			done
			[ -n "$found" ] || die "${f#"$R"} needs $lib, which no package of the set provides"
			seen_l="$seen_l$lib "
			todo+=("$found")
		done
	done
}
check_needed "$R/usr/bin/sqlite3" "$R/usr/bin/lua5.4"
[ -e "$R/lib/ld-linux-aarch64.so.1" ] || die "no /lib/ld-linux-aarch64.so.1 (libc6:$ARCH)"

mkdir -p "$R/apps"
install -m 0755 "$GOHELLO" "$R/apps/gohello"
install -m 0644 "$HERE/tests/apps/bench.lua" "$R/apps/bench.lua"
sql_script() { # rows: the table, ROWS inserts in one transaction, the queries
	echo "CREATE TABLE t(id INTEGER PRIMARY KEY, grp INTEGER, name TEXT, val REAL);"
	echo "BEGIN;"
	# grp = id % 7, name "row-<id>", val = id * 0.25
	awk -v n="$1" 'BEGIN { for (i = 1; i <= n; i++)
		printf "INSERT INTO t(id, grp, name, val) VALUES(%d, %d, '\''row-%d'\'', %.2f);\n",
			i, i % 7, i, i * 0.25 }'
	echo "COMMIT;"
	cat "$HERE/tests/apps/sqlite-queries.sql"
}
sql_script 10000 >"$R/apps/sqlite-10k.sql"
sql_script 1000 >"$R/apps/sqlite-1k.sql"

python3 - "$STAGE/busybox/config.json" <<'EOF'
import json, sys
path = sys.argv[1]
with open(path) as f:
    cfg = json.load(f)
cfg["process"]["args"] = ["/usr/bin/sqlite3", "-batch", ":memory:", ".read /apps/sqlite-10k.sql"]
with open(path, "w") as f:
    json.dump(cfg, f, indent=2)
    f.write("\n")
EOF

rm -rf "$OUT/apps"
mv "$STAGE/busybox" "$OUT/apps"
echo "apps-rootfs: $OUT/apps"
