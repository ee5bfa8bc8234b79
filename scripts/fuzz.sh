#!/usr/bin/env bash
# Run libFuzzer targets built by `make fuzz-build`:
#   scripts/fuzz.sh FUZZ_BUILD SECONDS NAME...
# For each NAME: replay tests/fuzz/regressions/NAME/* (each must pass; inputs
# under regressions/NAME/open/ reproduce bugs reported but not fixed yet:
# replayed with FUZZ_STRICT=1 and reported, not failed on), then fuzz FUZZ_BUILD/fuzz_NAME for
# SECONDS from the seeds in tests/fuzz/corpus/NAME plus what earlier runs
# found (FUZZ_BUILD/corpus/NAME). A crash, leak or timeout is saved as
# FUZZ_BUILD/crashes/NAME/{crash,leak,timeout,oom}-* and fails the run.
# Prints one line per target: executions, exec/s, corpus size.
# FUZZ_FRESH=1 (make test) starts from the seeds alone, in a scratch corpus
# emptied first, so the brief run takes the same time however long `make
# fuzz` has run before.
set -u
cd "$(dirname "$0")/.."
build=$1
seconds=$2
shift 2
status=0

for name in "$@"; do
	bin="$build/fuzz_$name"
	work="$build/corpus/$name"
	if [ "${FUZZ_FRESH:-0}" = 1 ]; then
		work="$build/test-corpus/$name"
		rm -rf "$work"
	fi
	crashes="$build/crashes/$name"
	log="$build/logs/$name.log"
	mkdir -p "$work" "$crashes" "$build/logs"
	if [ ! -x "$bin" ]; then
		echo "fuzz $name: $bin missing (make fuzz-build)"
		status=1
		continue
	fi
	regs=(tests/fuzz/regressions/"$name"/*)
	if [ -f "${regs[0]}" ]; then
		for r in "${regs[@]}"; do
			[ -f "$r" ] || continue
			if ! "$bin" -close_fd_mask=1 "$r" >"$log" 2>&1; then
				echo "fuzz $name: regression $r fails again:"
				grep -E 'ERROR|runtime error|fuzz_[a-z]+:|#[0-9]+ ' "$log" | head -20
				status=1
			fi
		done
	fi
	for r in tests/fuzz/regressions/"$name"/open/*; do
		[ -f "$r" ] || continue
		if FUZZ_STRICT=1 "$bin" -close_fd_mask=1 "$r" >"$log" 2>&1; then
			echo "fuzz $name: open bug $r no longer reproduces: move it to regressions/$name/"
		else
			echo "fuzz $name: open bug $r still reproduces: $(grep -m1 -E 'runtime error|^fuzz_[a-z]+: |ERROR' "$log")"
		fi
	done
	[ "$seconds" -gt 0 ] || continue
	dict=()
	[ -f "tests/fuzz/$name.dict" ] && dict=(-dict="tests/fuzz/$name.dict")
	"$bin" -max_total_time="$seconds" -timeout=60 -rss_limit_mb=4096 -close_fd_mask=1 \
		-print_final_stats=1 -artifact_prefix="$crashes/" "${dict[@]}" \
		"$work" "tests/fuzz/corpus/$name" >"$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	files=$(find "$work" -type f | wc -l)
	if [ "$rc" -ne 0 ]; then
		echo "fuzz $name: FAILED after ${execs:-?} executions (log: $log):"
		grep -E -A25 '^==[0-9]+==ERROR|runtime error|fuzz_[a-z]+: |^INFO: Timeout|libFuzzer: (deadly|timeout|out-of-memory)' "$log" | head -40
		grep -E 'Test unit written to' "$log"
		status=1
	else
		echo "fuzz $name: ${execs:-0} executions in ${seconds} s (${rate:-0} exec/s), corpus $files new files"
	fi
done
exit $status
