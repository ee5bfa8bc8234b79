#!/usr/bin/env python3
"""Run an OCI bundle's process under the qemu-aarch64 oracle, the reference
that realmbox is compared with (tests/py/lib/oracle.py says how: a chroot
with binfmt_misc when running as root, else qemu-aarch64-static -L for a
single program). Prints the process's stdout and stderr as they were and
exits with its status, like `realmbox run`.

  scripts/oracle.py [--bundle DIR] [--stdin FILE] [-- ARGS...]

ARGS replace process.args. The method used is reported on stderr with
--verbose.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "py"))
from lib import oracle  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bundle", "-b", default=".")
    ap.add_argument("--stdin", help="file to feed as stdin (default: nothing)")
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--verbose", "-v", action="store_true")
    ap.add_argument("args", nargs="*")
    a = ap.parse_args()
    data = b""
    if a.stdin:
        with open(a.stdin, "rb") as f:
            data = f.read()
    r = oracle.run_config(a.bundle, args=a.args or None, stdin=data, timeout=a.timeout,
                          single_program=True)
    if a.verbose:
        print(f"oracle: method {r.method}", file=sys.stderr)
    sys.stdout.buffer.write(r.stdout)
    sys.stderr.buffer.write(r.stderr)
    if r.status is None:
        print(f"oracle: {r.note}", file=sys.stderr)
        return 1
    return r.status


if __name__ == "__main__":
    sys.exit(main())
