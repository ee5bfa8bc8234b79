#!/usr/bin/env bash
# One end-to-end suite (tests/py/NAME.py) on the ASan+UBSan build: every
# sanitized process it starts (the runtime, the machine daemon, monitors)
# writes its reports to a directory of its own (log_path), which is read
# after the suite: a report other than ASan's notice about the System
# Realm's kernel threads (makecontext/swapcontext) fails the entry, as a
# failed test does. Usage: scripts/san-e2e.sh SAN_BUILD NAME
set -u
build=$1
name=$2
dir="$build/test-logs/san-reports/$name"
rm -rf "$dir"
mkdir -p "$dir"
export BUILD="$build"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:log_path=$(realpath "$dir")/report"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$(realpath "$dir")/report"
python3 "tests/py/$name.py"
rc=$?
reports=0
for f in "$dir"/report.*; do
	[ -e "$f" ] || continue
	if grep -qv 'makecontext/swapcontext' "$f"; then
		echo "== sanitizer report: $f"
		cat "$f"
		reports=$((reports + 1))
	fi
done
echo "san-e2e $name: suite exit $rc, $reports sanitizer report(s)"
[ "$rc" = 0 ] && [ "$reports" = 0 ]
