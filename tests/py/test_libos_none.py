#!/usr/bin/env python3
"""The library OS under the `none` deployment, driven directly through
tests/unit/tool_run_none (no CLI, no config.json): busybox commands and
shell scripts, static and dynamic glibc programs (tests/programs, among them
libos_hostile: bad pointers, huge lengths, bad fds) run under tool_run_none
and under the qemu-aarch64 oracle; stdout and exit status must match.
Also: errors of the tool itself, the system calls answered ENOSYS (printed),
and busybox true start-to-exit against qemu-aarch64 (printed, not asserted).
The broader suite over `realmbox run` is test_differential_none.py.

  BUILD=build python3 tests/py/test_libos_none.py [-k NAME] [-v]

Skips (exit 0, with a message) when qemu-aarch64-static is not installed.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import env as rbenv  # noqa: E402
from lib import oracle  # noqa: E402

TOOL = os.path.join(rbenv.BUILD, "tests", "tool_run_none")
ENV = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"]

# (name, bundle, args, stdin, single_program)
CASES = [
    ("true", "busybox", ["/bin/true"], b"", True),
    ("false", "busybox", ["/bin/false"], b"", True),
    ("echo", "busybox", ["/bin/echo", "a", "b c"], b"", True),
    ("cat-stdin", "busybox", ["/bin/cat"], b"one\ntwo\n", True),
    ("ls-la", "busybox", ["/bin/ls", "-la", "/data/tree/a"], b"", True),
    ("env", "busybox", ["/bin/sh", "-c", "env | sort"], b"", False),
    ("sh-pipes", "busybox", ["/bin/sh", "-c", "seq 1 500 | grep 5 | sort -r | head -n 3"], b"",
     False),
    ("sh-redir", "busybox", ["/bin/sh", "-c",
                             "echo x > /tmp/a; echo y >> /tmp/a; cat < /tmp/a; ls /nope 2>&1;"
                             " echo rc=$?"], b"", False),
    ("sh-loops-subshells", "busybox", ["/bin/sh", "-c",
                                       "for i in 1 2 3; do (echo s$i; exit $i); echo rc=$?; done;"
                                       " n=0; while [ $n -lt 20 ]; do n=$((n+1)); done; echo $n;"
                                       " echo $(echo $(echo nested))"], b"", False),
    ("sh-exit-code", "busybox", ["/bin/sh", "-c", "(exit 3) | cat; false || exit 42"], b"", False),
    ("sh-signal-status", "busybox", ["/bin/sh", "-c", "sh -c 'kill -INT $$'; echo rc=$?"], b"",
     False),
    ("static-hostile", "programs", ["/prog/static/libos_hostile"], b"", True),
    ("dynamic-hostile", "programs", ["/prog/dynamic/libos_hostile"], b"", True),
    ("static-files", "programs", ["/prog/static/files"], b"", False),
    ("dynamic-procs", "programs", ["/prog/dynamic/procs"], b"", False),
    ("static-exit-7", "programs", ["/prog/static/exitcode", "7"], b"", True),
    ("dynamic-signals", "programs", ["/prog/dynamic/signals"], b"", True),
    ("static-threads", "programs", ["/prog/static/threads"], b"", True),
    ("dynamic-memory", "programs", ["/prog/dynamic/memory"], b"", True),
    ("dynamic-args-env", "programs", ["/prog/dynamic/args_env", "one", "two words", ""], b"",
     True),
]


def run_tool(rootfs, args, stdin=b"", extra=(), envextra=None, timeout=60):
    cmd = [TOOL, *extra]
    for e in ENV:
        cmd += ["-e", e]
    cmd += [rootfs, "--", *args]
    env = dict(os.environ)
    env.update(envextra or {})
    p = subprocess.run(cmd, input=stdin, capture_output=True, timeout=timeout, env=env)
    return oracle.shell_status(p.returncode), p.stdout, p.stderr


def main():
    verbose = "-v" in sys.argv
    only = sys.argv[sys.argv.index("-k") + 1] if "-k" in sys.argv else None
    if not shutil.which("qemu-aarch64-static") and not os.path.exists(oracle.QEMU_STATIC):
        print("SKIP: qemu-aarch64-static is not installed (apt-get install qemu-user-static)")
        print("0 passed, 0 failed")
        return 0
    if not os.access(TOOL, os.X_OK):
        print(f"{TOOL} is not built: run `make BUILD={os.path.relpath(rbenv.BUILD, rbenv.REPO)}`")
        return 1
    passed = failed = skipped = 0
    enosys = tempfile.NamedTemporaryFile(prefix="rb-enosys-", delete=False)
    enosys.close()
    envdict = dict(e.split("=", 1) for e in ENV)
    for name, bundle, args, stdin, single in CASES:
        if only and only not in name:
            continue
        rootfs = os.path.join(rbenv.bundle(bundle), "rootfs")
        o = oracle.run(rootfs, args, env=envdict, stdin=stdin, single_program=single)
        if o.status is None:
            print(f"skip   {name:24} {o.note}")
            skipped += 1
            continue
        st, out, err = run_tool(rootfs, args, stdin,
                                envextra={"REALMBOX_ENOSYS_REPORT": enosys.name})
        ok = st == o.status and out == o.stdout
        print(f"{'pass' if ok else 'FAIL':6} {name:24} status {st} (oracle {o.status})")
        if not ok or verbose:
            if out != o.stdout:
                print(f"         oracle stdout: {o.stdout[:300]!r}")
                print(f"         none   stdout: {out[:300]!r}")
            if err:
                print(f"         none   stderr: {err[:300]!r}")
        passed += ok
        failed += not ok

    # what the oracle's chroot cannot show (no /proc there): checked against fixed answers
    bb = os.path.join(rbenv.bundle("busybox"), "rootfs")
    fixed = [
        ("proc-self", ["/bin/sh", "-c", "readlink /proc/self/exe; ls /proc/self/fd;"
                       " cat /dev/null; head -c 4 /dev/zero | wc -c; echo hi > /dev/stdout;"
                       " grep -c stack /proc/self/maps"],
         b"/bin/busybox\n0\n1\n2\n3\n4\nhi\n1\n", 0),
        ("readonly-rootfs", ["/bin/sh", "-c", "echo x > /tmp/f; echo rc=$?"],
         b"rc=1\n", 0),
    ]
    fixed += [
        ("deploy-kill", ["/bin/sh", "-c", "echo started; sleep 10; echo not reached"],
         b"started\n", 137),
        # the container's init without a handler ignores SIGTERM from outside (Linux's
        # pid-namespace init; runc's `kill ID TERM` does nothing to it either)
        ("deploy-kill-ignored", ["/bin/sh", "-c", "echo started; sleep 6; echo still here"],
         b"started\nstill here\n", 0),
        ("deploy-kill-trapped", ["/bin/sh", "-c", "trap 'echo got TERM; exit 3' TERM; echo started;"
                                 " while :; do sleep 0.05; done"], b"started\ngot TERM\n", 3),
    ]
    for name, args, want, wst in fixed:
        if only and only not in name:
            continue
        extra = ["-r"] if name == "readonly-rootfs" else []
        if name.startswith("deploy-kill"):
            # after the trap is set, even in a SAN build
            extra = ["-k", ("9" if name == "deploy-kill" else "15") + ":4000"]
        st, out, err = run_tool(bb, args, extra=extra)
        ok = st == wst and out == want
        print(f"{'pass' if ok else 'FAIL':6} {name:24} status {st}")
        if not ok or verbose:
            print(f"         want {want!r}\n         got  {out!r} {err[:200]!r}")
        passed += ok
        failed += not ok

    # the tool's own errors
    bb = os.path.join(rbenv.bundle("busybox"), "rootfs")
    st, out, err = run_tool(bb, ["/nonexistent"])
    ok = st == 127 and b"cannot execute" in err
    print(f"{'pass' if ok else 'FAIL':6} {'missing-program':24} status {st}: {err.strip()[:80]!r}")
    passed += ok
    failed += not ok

    # system calls answered ENOSYS over the whole run
    with open(enosys.name) as f:
        seen = {}
        violations = 0
        for line in f:
            nr, nm, cnt = line.split()
            if nm == "desc_violations":
                violations += int(cnt)
                continue
            seen[(int(nr), nm)] = seen.get((int(nr), nm), 0) + int(cnt)
    os.unlink(enosys.name)
    print("ENOSYS seen: " + (", ".join(f"{nm}({nr}) x{c}" for (nr, nm), c in sorted(seen.items()))
                             or "none"))
    # every user copy stayed inside the ranges the syscall table's descriptors name
    ok = violations == 0
    print(f"{'pass' if ok else 'FAIL':6} {'descriptor-check':24} {violations} copies outside the"
          " descriptors' ranges")
    passed += ok
    failed += not ok

    # start-to-exit of busybox true: none (vCPU pool ready, as in a daemon) vs qemu-aarch64
    if not only:
        _, _, err = run_tool(bb, ["/bin/true"], extra=["-t", "-n", "5"])
        times = [float(l.split()[1]) for l in err.decode().splitlines() if "start-to-exit" in l]
        q = []
        for _ in range(5):
            t0 = time.monotonic()
            subprocess.run([oracle.QEMU_STATIC, os.path.join(bb, "bin", "busybox"), "true"],
                           check=False)
            q.append((time.monotonic() - t0) * 1000)
        if times:
            print(f"busybox true start-to-exit: none {min(times):.1f} ms (median "
                  f"{sorted(times)[len(times) // 2]:.1f}), qemu-aarch64 {min(q):.1f} ms (median "
                  f"{sorted(q)[len(q) // 2]:.1f}); ratio {min(times) / min(q):.1f}x")
    print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
