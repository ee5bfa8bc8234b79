#!/usr/bin/env python3
"""Differential tests for `realmbox run --isolation shim` (RContainer: the
library OS as the deprivileged OS in the Normal world, the mini-OS owning
every container page and page table behind its rc_* calls, a shim-GPT per
container): the same cases as the none harness (test_differential_none.py),
run under the qemu-aarch64 oracle and under realmbox in shim mode.

EXPECTED_PASS lists the cases that must pass in shim mode (NOT_YET gives
the reason for each one left out). Processes are mini-OS tasks on
cooperative kernel threads of the deprivileged OS's one thread; CLONE_VM
threads share the task's mm (rc_task_clone with RC_CLONE_VM). Set
RB_DIFF_ALL=1 to run the left-out cases too.

  python3 tests/py/test_differential_shim.py [-k NAME] [-v] [--list]
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("REALMBOX_LOG", "error")
from lib import differential as d  # noqa: E402
import test_differential_none as none_cases  # noqa: E402

CASES = none_cases.CASES

# case -> why it is not expected to pass in shim mode yet. (The memory cases,
# 64 MiB touched page by page, took 112 s until the engine deferred a GPT
# switch's re-check of a waiting container's mappings to its next entry,
# plat/emu/a64.c; ~12 s now.)
_SPIN = ("times out (30 s): one thread spins in user code while another sleeps in "
         "nanosleep, and the sleeper never prints (the deprivileged OS's cooperative "
         "scheduler does not preempt the spinner; thread-exec, with the same spinner but "
         "no sleep, passes)")
NOT_YET = {"static/thread-mainexit": _SPIN, "dynamic/thread-mainexit": _SPIN,
           "static/thread-group-exit": _SPIN, "dynamic/thread-group-exit": _SPIN}
EXPECTED_PASS = [c.name for c in CASES if c.name not in NOT_YET]

if __name__ == "__main__":
    cases = CASES if os.environ.get("RB_DIFF_ALL") else [c for c in CASES
                                                         if c.name in EXPECTED_PASS]
    sys.exit(d.main(cases, EXPECTED_PASS, "shim"))
