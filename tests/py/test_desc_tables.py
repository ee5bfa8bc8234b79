#!/usr/bin/env python3
"""The system-call descriptor tables agree: every memory argument that
the library OS's table (src/libos/syscalls.c) says a call copies through
must be one the RMM's own table (src/rmm/fasco_verify.c, which verifies the
System Realm's copies in realm mode) lets it copy, and one the shared
trusted table (src/lib/sysdesc.c, with which the mini-OS bounds the
deprivileged OS's copies in shim mode) lets it copy. A call missing from the
RMM's table works in none and shim mode and fails with EFAULT in realm mode
(getresuid/getresgid did, until the in-container syscall fuzzer found it).

  python3 tests/py/test_desc_tables.py [-v]
"""
import os
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# library OS descriptor macros that copy container memory
LIBOS_MEM = {"IN", "OUT", "IN_SZ", "OUT_SZ", "INOUT_SZ", "INOUT_N", "IOV_IN", "IOV_OUT",
             "IOCTL", "FDSET", "PATH", "STR", "STRV"}


def split_args(s):
    """Top-level comma-separated items of s."""
    out, depth, cur = [], 0, ""
    for ch in s:
        if ch in "({":
            depth += 1
        elif ch in ")}":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


def calls(text, macro):
    """(inner text) of each top-level `macro(` ... `)` in text."""
    res = []
    for m in re.finditer(r"\b" + macro + r"\(", text):
        i, depth = m.end(), 1
        while depth:
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            i += 1
        res.append(text[m.end():i - 1])
    return res


def strip_comments(text):
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


def libos_table():
    text = strip_comments(open(os.path.join(REPO, "src/libos/syscalls.c")).read())
    text = text[text.index("table[]"):]
    res = {}
    for inner in calls(text, "S") + calls(text, "SH"):
        items = split_args(inner)
        nr, name = items[0], items[1]
        args = items[3:] if len(items) > 3 and items[2].isdigit() else items[4:]
        if not nr.isdigit():
            continue
        mem = [i for i, a in enumerate(args) if re.match(r"(\w+)", a) and
               re.match(r"(\w+)", a).group(1) in LIBOS_MEM]
        res[int(nr)] = (name, mem)
    return res


def rmm_table(path="src/rmm/fasco_verify.c"):
    text = strip_comments(open(os.path.join(REPO, path)).read())
    m = re.search(r"sys_desc\[\w+\] = \{", text)
    if not m:
        return None  # the RMM uses lib/sysdesc's table itself
    start = m.start()
    text = text[start:text.index("};", start)]
    res = {}
    for inner in calls(text, "SYS"):
        items = split_args(inner)
        idx = set()
        for it in items[1:]:
            m = re.match(r"\w+\((\d+)", it) or re.match(r"\{\s*\w+\s*,\s*(\d+)", it)
            if m:
                idx.add(int(m.group(1)))
        res[int(items[0])] = idx
    return res


def check(lib, rmm, label, verbose):
    bad = []
    for nr, (name, mem) in sorted(lib.items()):
        if not mem:
            continue
        have = rmm.get(nr, set())
        missing = [i for i in mem if i not in have]
        # rt_sigreturn: the RMM checks the frame at sp itself
        if missing and name != "rt_sigreturn":
            bad.append(f"{nr} {name}: argument(s) {missing} copied by the library OS, "
                       f"not allowed by {label} (it has {sorted(have) or 'no entry'})")
        elif verbose:
            print(f"ok   {nr} {name} {mem} ({label})")
    for b in bad:
        print("FAIL " + b)
    print(f"{len(lib)} library OS calls, {len(rmm)} entries in {label}, {len(bad)} disagreements")
    return bad


def main():
    verbose = "-v" in sys.argv
    lib, rmm, shared = libos_table(), rmm_table(), rmm_table("src/lib/sysdesc.c")
    if len(lib) < 100 or (rmm is not None and len(rmm) < 50) or not shared or len(shared) < 50:
        print(f"FAIL: parsed only {len(lib)} library OS, {len(rmm or {})} RMM and "
              f"{len(shared or {})} lib/sysdesc entries")
        return 1
    bad = check(lib, shared, "lib/sysdesc's table (the mini-OS)", verbose)
    if rmm is not None:
        bad += check(lib, rmm, "the RMM's table", verbose)
        # while the RMM keeps its own copy, the two trusted tables are the same
        for nr in sorted(set(rmm) | set(shared)):
            if rmm.get(nr) != shared.get(nr):
                print(f"FAIL {nr}: the RMM's table names arguments {sorted(rmm.get(nr, []))}, "
                      f"lib/sysdesc's {sorted(shared.get(nr, []))}")
                bad.append(nr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
