#!/usr/bin/env python3
"""Differential tests for `realmbox run --isolation realm` (Fasco: a
Container Realm whose system calls the System Realm serves through the
RMM): the same cases as the none harness (test_differential_none.py), run
under the qemu-aarch64 oracle and under realmbox in realm mode.

EXPECTED_PASS lists the cases that must pass in realm mode today. The realm
deployment runs one process per Container Realm (the RMM keeps one REC and
one address space per Container Realm: no fork, no execve of a running
process yet), so shell pipelines, subshells and child processes are
expected to fail until the RMM and the deployment grow several RECs.

By default only the EXPECTED_PASS cases run (the others mostly fail fast
on fork, but the threads cases wait for their 30 s timeout): set
RB_DIFF_ALL=1 to run every case and see which others pass.

RMM verification refusals are logged as warnings on stderr; this harness
runs realmbox with REALMBOX_LOG=error so that stderr compares cleanly (the
refusals are still counted in --stats).

  python3 tests/py/test_differential_realm.py [-k NAME] [-v] [--list]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("REALMBOX_LOG", "error")
from lib import differential as d  # noqa: E402
import test_differential_none as none_cases  # noqa: E402

CASES = none_cases.CASES

# Cases that passed in realm mode with deploy/realm.c on 2026-11-22.
EXPECTED_PASS = [
    "echo", "exit-status", "loops", "functions-case", "cat", "not-found", "kill-self",
    "stdin-wc", "cwd", "rlimit-nofile", "overlay-write", "ls-missing", "ls-long",
    "exec-replace", "busybox-true", "busybox-false", "busybox-echo",
    "static/hello", "static/exit-7", "static/exit-sigterm", "static/exit-abort",
    "static/args-env", "static/files", "static/signals", "static/timesleep",
    "static/sysinfo", "static/stdin-filter",
    "dynamic/hello", "dynamic/exit-7", "dynamic/exit-sigterm", "dynamic/exit-abort",
    "dynamic/args-env", "dynamic/files", "dynamic/signals", "dynamic/timesleep",
    "dynamic/sysinfo", "dynamic/stdin-filter",
]

if __name__ == "__main__":
    cases = CASES if os.environ.get("RB_DIFF_ALL") else [c for c in CASES
                                                         if c.name in EXPECTED_PASS]
    sys.exit(d.main(cases, EXPECTED_PASS, "realm"))
