#!/usr/bin/env python3
"""The controlling terminal against the oracle: tests/programs/ctty.c
(static and dynamic) as a session leader on a fresh pty that is its
controlling terminal, under qemu-aarch64-static (a real Linux kernel's
TIOCSCTTY, TIOCNOTTY, TIOCGSID, TIOCSPGRP, /dev/tty and the leader's
SIGHUP) and as a container with process.terminal under `realmbox run
--isolation MODE` started the same way. Output (carriage returns dropped)
and exit status must match.

  python3 tests/py/test_tty.py [--isolation MODE[,MODE...]] [-v]
"""
import argparse
import difflib
import fcntl
import json
import os
import pty
import select
import shutil
import subprocess
import sys
import tempfile
import termios
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import env as rbenv  # noqa: E402

QEMU = shutil.which("qemu-aarch64-static") or shutil.which("qemu-aarch64")
TIMEOUT = 120


def on_pty(args, cwd=None, env=None):
    """Run args as a session leader whose controlling terminal is a new pty;
    return (status, output with CRs dropped)."""
    master, slave = pty.openpty()

    def setup():
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    p = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, cwd=cwd, env=env,
                         preexec_fn=setup, close_fds=True)
    os.close(slave)
    out = b""
    end = time.time() + TIMEOUT
    while time.time() < end:
        r, _, _ = select.select([master], [], [], 1.0)
        if not r:
            if p.poll() is not None:
                break
            continue
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: every slave descriptor closed
            break
        if not chunk:
            break
        out += chunk
    try:
        status = p.wait(timeout=max(1, end - time.time()))
    except subprocess.TimeoutExpired:
        p.kill()
        status = p.wait()
    os.close(master)
    return status, out.replace(b"\r", b"").decode(errors="replace")


def run_realmbox(rootfs, prog, isolation, tmp, n):
    bdir = os.path.join(tmp, f"b{n}")
    os.makedirs(bdir)
    with open(os.path.join(rbenv.bundle("programs"), "config.json")) as f:
        cfg = json.load(f)
    cfg["root"] = {"path": rootfs, "readonly": True}
    cfg["process"]["args"] = [prog]
    cfg["process"]["terminal"] = True
    with open(os.path.join(bdir, "config.json"), "w") as f:
        json.dump(cfg, f)
    env = dict(os.environ, REALMBOX_LOG="error")
    return on_pty([rbenv.REALMBOX, "--root", os.path.join(tmp, "root"), "run", "--isolation",
                   isolation, f"tty-{os.getpid()}-{n}"], cwd=bdir, env=env)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--isolation", default="none,realm,shim")
    ap.add_argument("-v", action="store_true")
    a = ap.parse_args()
    rbenv.need_realmbox()
    if QEMU is None:
        print("skip: no qemu-aarch64-static (the oracle)")
        return 0
    rootfs = os.path.join(rbenv.bundle("programs"), "rootfs")
    failed, n = 0, 0
    with tempfile.TemporaryDirectory(prefix="rb-tty-") as tmp:
        for kind in ("static", "dynamic"):
            prog = f"/prog/{kind}/ctty"
            want_st, want = on_pty([QEMU, "-L", rootfs, rootfs + prog])
            lines = want.splitlines()
            # the oracle must show the behaviour this test is about, or it checks nothing
            for must in ("leader: yes", "member: TIOCNOTTY ok", "new session: /dev/tty ENXIO",
                         "leader: SIGHUP 1 SIGCONT 1", "leader (no tty): TIOCGPGRP ENOTTY",
                         "leader (again): TIOCGSID ok", "done"):
                if must not in lines:
                    print(f"ORACLE {kind}: no line {must!r} (status {want_st}):\n{want}")
                    return 1
            for mode in a.isolation.split(","):
                n += 1
                st, got = run_realmbox(rootfs, prog, mode, tmp, n)
                ok = st == want_st and got == want
                print(f"{'pass' if ok else 'FAIL'}   {mode:6} {kind}")
                if not ok:
                    failed += 1
                    print(f"  status {st} (oracle {want_st})")
                    for line in difflib.unified_diff(want.splitlines(), got.splitlines(),
                                                     "qemu-aarch64", f"realmbox {mode}",
                                                     lineterm=""):
                        print("  " + line)
                elif a.v:
                    print("  " + "\n  ".join(got.splitlines()))
    print(f"test_tty: {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
