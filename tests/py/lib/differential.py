"""Differential testing: run one OCI process under the qemu-aarch64 oracle
(oracle.py) and under `realmbox run --isolation MODE`, and compare stdout,
exit status and (where the case says it is deterministic) stderr.

A Case names a bundle ("busybox" or "programs"), the process args and
optionally stdin, env, cwd, user, umask, rlimits. single_program=True says
the case is valid under the qemu -L fallback oracle too: one program that
execs nothing, creates no files and does not depend on uid or hostname. It may also state what
the oracle itself must produce (expect_status, expect_stdout,
stdout_contains): that checks the oracle and the bundle, so a suite is
never vacuous even before realmbox can run a single case.

Each run writes a throw-away bundle: config.json whose root.path is the
example bundle's rootfs (absolute), root.readonly false unless the case
says readonly=True (writes go to the container's private memory under
realmbox and to a private copy under the oracle) and terminal false.

Verdicts per case:
  pass      realmbox matched the oracle
  FAIL      it did not (diff shown with -v)
  xfail     it did not, and the case is not in the expected-to-pass list
  skip      the oracle cannot run it here (see oracle.method())
  ORACLE    the oracle broke the case's own expectation (always an error)
The run fails (exit 1) on any FAIL or ORACLE; xfail does not.
"""
import argparse
import difflib
import json
import os
import subprocess
import sys
import tempfile
import time

from . import env as rbenv
from . import oracle

DEFAULT_ENV = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
               "TERM=xterm", "HOME=/root"]


class Case:
    def __init__(self, name, args, bundle="busybox", stdin=b"", env=None, cwd="/",
                 uid=0, gid=0, groups=(), umask=None, rlimits=(), compare_stderr=True,
                 single_program=False, expect_status=0, expect_stdout=None,
                 stdout_contains=None, timeout=30, readonly=False):
        self.name = name
        self.args = list(args)
        self.bundle = bundle
        self.stdin = stdin
        self.env = list(env) if env is not None else list(DEFAULT_ENV)
        self.cwd = cwd
        self.uid, self.gid, self.groups = uid, gid, list(groups)
        self.umask = umask
        self.rlimits = list(rlimits)  # (type, soft, hard)
        self.compare_stderr = compare_stderr
        self.single_program = single_program
        self.expect_status = expect_status
        self.expect_stdout = expect_stdout
        self.stdout_contains = stdout_contains
        self.timeout = timeout
        self.readonly = readonly

    def config(self, rootfs):
        user = {"uid": self.uid, "gid": self.gid}
        if self.groups:
            user["additionalGids"] = self.groups
        if self.umask is not None:
            user["umask"] = self.umask
        proc = {"terminal": False, "user": user, "args": self.args, "env": self.env,
                "cwd": self.cwd}
        if self.rlimits:
            proc["rlimits"] = [{"type": t, "soft": s, "hard": h} for t, s, h in self.rlimits]
        return {"ociVersion": "1.0.2", "process": proc,
                "root": {"path": rootfs, "readonly": self.readonly}, "hostname": "realmbox"}


def sh(name, script, **kw):
    """A busybox sh -c case."""
    return Case(name, ["/bin/sh", "-c", script], **kw)


def _write_bundle(tmp, case):
    rootfs = os.path.join(rbenv.bundle(case.bundle), "rootfs")
    with open(os.path.join(tmp, "config.json"), "w") as f:
        json.dump(case.config(rootfs), f, indent=2)
    return tmp


def run_realmbox(bundle_dir, case_id, isolation, stdin=b"", timeout=60, extra=()):
    """`realmbox run` of a bundle; returns oracle.Result (method "realmbox")."""
    cmd = [rbenv.need_realmbox(), "run", "--isolation", isolation, "--bundle", bundle_dir,
           *extra, case_id]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    out, err, timed_out = oracle._communicate(proc, stdin, timeout)
    if timed_out:
        return oracle.Result(None, out, err, "realmbox", f"timed out after {timeout} s")
    return oracle.Result(oracle.shell_status(proc.returncode), out, rbenv.strip_san_noise(err),
                         "realmbox")


def _oracle_expectation(case, o):
    """None if the oracle result meets the case's own expectation, else why not."""
    if case.expect_status is not None and o.status != case.expect_status:
        return f"oracle exit status {o.status}, case expects {case.expect_status}"
    if case.expect_stdout is not None and o.stdout != case.expect_stdout:
        return f"oracle stdout {o.stdout[:200]!r}, case expects {case.expect_stdout[:200]!r}"
    if case.stdout_contains is not None and case.stdout_contains not in o.stdout:
        return f"oracle stdout lacks {case.stdout_contains!r}"
    return None


def _diff(label, a, b):
    lines = difflib.unified_diff(a.decode(errors="replace").splitlines(),
                                 b.decode(errors="replace").splitlines(),
                                 f"{label} (oracle)", f"{label} (realmbox)", lineterm="", n=2)
    return "\n".join(list(lines)[:40])


def compare(case, o, r):
    """List of differences between oracle result o and realmbox result r."""
    why = []
    if r.status is None:
        why.append(f"realmbox: {r.note}")
    if o.status != r.status:
        why.append(f"exit status: oracle {o.status}, realmbox {r.status}")
    if o.stdout != r.stdout:
        why.append("stdout differs\n" + _diff("stdout", o.stdout, r.stdout))
    if case.compare_stderr and o.stderr != r.stderr:
        why.append("stderr differs\n" + _diff("stderr", o.stderr, r.stderr))
    return why


def run_case(case, isolation):
    """(verdict-before-expectations, details, oracle result, realmbox result)."""
    with tempfile.TemporaryDirectory(prefix="rb-diff-") as tmp:
        b = _write_bundle(tmp, case)
        o = oracle.run_config(b, stdin=case.stdin, timeout=case.timeout,
                              single_program=case.single_program)
        if o.status is None:
            return "skip", [o.note], o, None
        bad = _oracle_expectation(case, o)
        if bad:
            return "ORACLE", [bad, "stderr: " + o.stderr.decode(errors="replace")[:400]], o, None
        r = run_realmbox(b, "diff-" + case.name.replace("/", "-"), isolation, stdin=case.stdin,
                         timeout=case.timeout, extra=("--stats",))
        r, refusals = _strip_stats(r)
        why = compare(case, o, r)
        if refusals:
            # the trusted layer (realm: RMM; shim: mini-OS) refused a copy the
            # library OS made: a call that works elsewhere failed with EFAULT
            why.append(f"{refusals} verification refusals (--stats verify_refusals)")
        return ("pass" if not why else "fail"), why, o, r


def _strip_stats(r):
    """r without realmbox's `--stats` lines in stderr, and the refusals they count."""
    refusals, keep = 0, []
    for line in r.stderr.split(b"\n"):
        if line.startswith(b"realmbox: stats: "):
            f = line[len(b"realmbox: stats: "):].split()
            if len(f) >= 2 and f[0] == b"verify_refusals" and f[1].isdigit():
                refusals = int(f[1])
            continue
        keep.append(line)
    return oracle.Result(r.status, r.stdout, b"\n".join(keep), r.method, r.note), refusals


def main(cases, expected_pass, isolation, argv=None):
    """Run the suite: print one line per case and a summary; return the exit status."""
    ap = argparse.ArgumentParser(description=f"differential tests: oracle vs realmbox "
                                 f"--isolation {isolation}")
    ap.add_argument("-k", metavar="SUBSTRING", help="only cases whose name contains this")
    ap.add_argument("-v", "--verbose", action="store_true", help="show diffs for every failure")
    ap.add_argument("--list", action="store_true", help="list the cases and exit")
    args = ap.parse_args(argv)
    names = [c.name for c in cases]
    dup = {n for n in names if names.count(n) > 1}
    unknown = set(expected_pass) - set(names)
    if dup or unknown:
        print(f"suite error: duplicate cases {sorted(dup)}, unknown expected-to-pass "
              f"{sorted(unknown)}")
        return 1
    if args.list:
        for c in cases:
            print(f"{c.name:32} {'expected-pass' if c.name in expected_pass else ''}")
        return 0
    rbenv.need_realmbox()
    print(f"oracle method: {oracle.method()} "
          f"({'qemu-aarch64 via binfmt_misc in a chroot' if oracle.method() == 'chroot' else 'qemu-aarch64-static -L ROOTFS, single programs only'})")
    counts = {}
    t_start = time.monotonic()
    for c in cases:
        if args.k and args.k not in c.name:
            continue
        t0 = time.monotonic()
        verdict, why, o, r = run_case(c, isolation)
        if verdict == "fail":
            verdict = "FAIL" if c.name in expected_pass else "xfail"
        elif verdict == "pass" and c.name not in expected_pass:
            verdict = "pass"  # newly passing: worth adding to the list
            why = ["passes but is not in the expected-to-pass list yet"]
        counts[verdict] = counts.get(verdict, 0) + 1
        ms = (time.monotonic() - t0) * 1000
        first = why[0].splitlines()[0] if why else ""
        print(f"{verdict:6} {c.name:32} {ms:7.0f} ms  {first}")
        if why and (args.verbose or verdict in ("FAIL", "ORACLE")):
            for w in why:
                for line in w.splitlines():
                    print("         " + line)
        sys.stdout.flush()
    total = sum(counts.values())
    print(f"\n{total} cases in {time.monotonic() - t_start:.1f} s: " +
          ", ".join(f"{v} {k}" for k, v in sorted(counts.items())))
    return 1 if counts.get("FAIL", 0) or counts.get("ORACLE", 0) else 0
