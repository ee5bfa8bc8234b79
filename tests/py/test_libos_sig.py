#!/usr/bin/env python3
"""Library OS behaviour the qemu-aarch64 oracle cannot show, checked under
`realmbox run --isolation none` against fixed expectations: robust futexes
(qemu-user answers set_robust_list with ENOSYS), and /proc and /sys as
programs read them (the oracle's chroot mounts neither, and their values
differ from any host anyway: the checks assert structure, not numbers).
The differential suites (test_differential_*.py) cover the rest.

  python3 tests/py/test_libos_sig.py [-k NAME] [-v] [--isolation none|realm|shim]
"""
import argparse
import os
import re
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import differential as d  # noqa: E402
from lib.differential import Case, sh  # noqa: E402


def lines(out):
    return out.decode(errors="replace").splitlines()


def check_robust(out):
    want = ["get_robust_list: 0 len 24 head set 1", "set_robust_list bad len: EINVAL",
            "lock after the owner died: EOWNERDEAD",
            "blocked lock when the owner died: EOWNERDEAD", "futex robust: done"]
    return [f"missing line {w!r}" for w in want if w not in lines(out)]


def section(out, name):
    """The lines between '== name' and the next '== ' marker."""
    ls, res, on = lines(out), [], False
    for line in ls:
        if line.startswith("== "):
            on = line == "== " + name
            continue
        if on:
            res.append(line)
    return res


def expect(cond, why, errs):
    if not cond:
        errs.append(why)


CASES = [
    (Case("robust-static", ["/prog/static/futex", "robust"], bundle="programs", timeout=60),
     check_robust),
    (Case("robust-dynamic", ["/prog/dynamic/futex", "robust"], bundle="programs", timeout=60),
     check_robust),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-k")
    ap.add_argument("-v", action="store_true")
    ap.add_argument("--isolation", default="none")
    args = ap.parse_args()
    d.rbenv.need_realmbox()
    fails = 0
    for case, check in CASES:
        if args.k and args.k not in case.name:
            continue
        t0 = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="rb-sig-") as tmp:
            b = d._write_bundle(tmp, case)
            r = d.run_realmbox(b, "sig-" + case.name, args.isolation, stdin=case.stdin,
                               timeout=case.timeout)
        errs = []
        if r.status != case.expect_status:
            errs.append(f"exit status {r.status} ({r.note}), want {case.expect_status}")
        errs += check(r.stdout)
        ms = (time.monotonic() - t0) * 1000
        print(f"{'pass' if not errs else 'FAIL':6} {case.name:28} {ms:7.0f} ms")
        if errs:
            fails += 1
            for e in errs:
                print("         " + e)
        if errs or args.v:
            print("         stdout: " + r.stdout.decode(errors="replace")[:3000].replace(
                "\n", "\n                 "))
            print("         stderr: " + r.stderr.decode(errors="replace")[:800])
    print(f"{fails} failed")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
