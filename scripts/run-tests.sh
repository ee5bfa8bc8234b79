#!/usr/bin/env bash
# The whole suite: include rule, every unit test binary, the Python
# known-answer tests, the freestanding build of the trusted code. Ends with
# one line "tests: N passed, N failed".
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
pass=0
fail=0
failed=()

run() { # name cmd...
	local name=$1; shift
	local log="$BUILD/test-logs/$name.log"
	mkdir -p "$BUILD/test-logs"
	local t0=$(date +%s%N)
	local rc=0
	"$@" >"$log" 2>&1 || rc=$?
	local ms=$((($(date +%s%N) - t0) / 1000000))
	if [ "$rc" = 0 ]; then
		pass=$((pass + 1))
		printf 'PASS %-40s %6d ms\n' "$name" "$ms"
	else
		fail=$((fail + 1))
		failed+=("$name")
		# the exit status (128+N: killed by signal N) and when it ended
		printf 'FAIL %-40s (exit %d after %d ms; log: %s)\n' "$name" "$rc" "$ms" "$log"
		tail -n 40 "$log" | sed 's/^/    /'
	fi
}

run check-includes scripts/check-includes.sh
for t in "$BUILD"/tests/test_*; do
	[ -x "$t" ] || continue
	run "$(basename "$t")" "$t"
done
for t in tests/py/test_*.py; do
	[ -f "$t" ] || continue
	run "$(basename "$t" .py)" env BUILD="$BUILD" python3 "$t"
done
run tcb-aarch64 make --no-print-directory BUILD="$BUILD" tcb-aarch64
# The unit tests again under ASan+UBSan (`make test` built them into
# $SAN_BUILD): any report fails the entry. test_attack_host's scans of all
# of DRAM take about 6 minutes under ASan: `make SAN=1 test` runs it.
SAN_UNIT_SKIP=${SAN_UNIT_SKIP:-test_attack_host}
if [ "${SAN_UNIT:-0}" = 1 ]; then
	for t in "${SAN_BUILD:-build-san}"/tests/test_*; do
		[ -x "$t" ] || continue
		case " $SAN_UNIT_SKIP " in *" $(basename "$t") "*) continue ;; esac
		run "san_$(basename "$t")" env ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
			UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 "$t"
	done
fi
# End-to-end suites on the same build (its realmbox): the protected modes'
# differential cases, the machine daemon, the runtime CLI, resources and
# bind mounts, with every sanitized process's reports collected
# (scripts/san-e2e.sh). About 8 minutes here; the whole end-to-end suite
# under ASan takes about 78: `make SAN=1 test`.
SAN_E2E=${SAN_E2E:-test_differential_realm test_differential_shim test_daemon test_runtime_cli test_resources test_mounts}
if [ "${SAN_UNIT:-0}" = 1 ] && [ -x "${SAN_BUILD:-build-san}/realmbox" ]; then
	for n in $SAN_E2E; do
		run "san_$n" scripts/san-e2e.sh "${SAN_BUILD:-build-san}" "$n"
	done
fi
# The fuzz targets (tests/fuzz), briefly: their regression inputs, then
# FUZZ_TEST_SECONDS of fuzzing each; a crash fails the entry (`make fuzz`
# runs them longer). FUZZ_TEST_SECONDS=0 (and SAN=1) leaves them out.
if [ "${FUZZ_TEST_SECONDS:-0}" -gt 0 ]; then
	for f in tests/fuzz/fuzz_*.c; do
		name=$(basename "$f" .c)
		run "$name" env FUZZ_FRESH=1 scripts/fuzz.sh "${FUZZ_BUILD:-$BUILD/fuzz}" \
			"$FUZZ_TEST_SECONDS" "${name#fuzz_}"
	done
fi

echo
if [ "$fail" -gt 0 ]; then
	echo "failed: ${failed[*]}"
fi
echo "tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
