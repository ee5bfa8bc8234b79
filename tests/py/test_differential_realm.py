#!/usr/bin/env python3
"""Differential tests for `realmbox run --isolation realm` (Fasco: a
Container Realm whose system calls the System Realm serves through the
RMM): the same cases as the none harness (test_differential_none.py), run
under the qemu-aarch64 oracle and under realmbox in realm mode.

EXPECTED_PASS lists the cases that must pass in realm mode: every case of
the none harness. Processes are RECs of the Container Realm: fork,
pipelines and subshells run in realm mode; a process's threads are RECs
sharing one RMM address space (RSI_RB_THREAD). Set RB_DIFF_ALL=1 to run
the cases in NOT_YET too.

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

# Cases realm mode cannot pass yet. (Threads are RECs sharing an address
# space, RSI_RB_THREAD.)
NOT_YET = set()
EXPECTED_PASS = [c.name for c in CASES if c.name not in NOT_YET]

if __name__ == "__main__":
    cases = CASES if os.environ.get("RB_DIFF_ALL") else [c for c in CASES
                                                         if c.name in EXPECTED_PASS]
    sys.exit(d.main(cases, EXPECTED_PASS, "realm"))
