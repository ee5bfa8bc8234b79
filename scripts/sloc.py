#!/usr/bin/env python3
"""Source lines of code per directory: C/C++ lines that are neither blank nor
only comment. Used by `make tcb-aarch64` to report the TCB's size. An argument
with a wildcard or naming a file is a row of its own (a part of a directory,
e.g. RContainer's EL3 additions `src/monitor/rc_*`), not added to the total."""
import glob
import os
import re
import sys


def sloc_of(text):
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    n = 0
    for line in text.splitlines():
        line = re.sub(r"//.*", "", line).strip()
        if line:
            n += 1
    return n


def main(dirs):
    total = 0
    print(f"{'directory':<20} {'files':>6} {'SLoC':>8}")
    parts = [d for d in dirs if not os.path.isdir(d)]
    for d in [d for d in dirs if os.path.isdir(d)]:
        files = sloc = 0
        for root, _, names in os.walk(d):
            for name in sorted(names):
                if name.endswith((".c", ".h", ".cpp")):
                    with open(os.path.join(root, name), encoding="utf-8") as f:
                        sloc += sloc_of(f.read())
                    files += 1
        print(f"{d:<20} {files:>6} {sloc:>8}")
        total += sloc
    print(f"{'total':<20} {'':>6} {total:>8}")
    for p in parts:
        names = sorted(n for n in glob.glob(p) if n.endswith((".c", ".h", ".cpp")))
        sloc = 0
        for name in names:
            with open(name, encoding="utf-8") as f:
                sloc += sloc_of(f.read())
        print(f"{'of which ' + p:<20} {len(names):>6} {sloc:>8}")


if __name__ == "__main__":
    main(sys.argv[1:])
