#!/usr/bin/env python3
"""The controlling terminal against the oracle: tests/programs/ctty.c
(static and dynamic) as a session leader on a fresh pty that is its
controlling terminal, under qemu-aarch64-static (a real Linux kernel's
TIOCSCTTY, TIOCNOTTY, TIOCGSID, TIOCSPGRP, /dev/tty and the leader's
SIGHUP) and as a container with process.terminal under `realmbox run
--isolation MODE` started the same way. Output (carriage returns dropped)
and exit status must match.

The window size, tests/programs/winsz.c, the same way on a pty of 31x97
that the test resizes to 40x120 (TIOCSWINSZ on the master) once the
program says "ready": the size it starts with, SIGWINCH and the new size,
its own TIOCSWINSZ. Also for a detached container (create
--console-socket, the test holding the master as containerd's shim does,
then start): its output must match the oracle's too. And for a process
started with `realmbox exec --tty` in a running container, from a pty (the
exec's own terminal, the relay's SIGWINCH) and with --console-socket
--detach (--process's consoleSize, the relay process's SIGWINCH).

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
import socket
import struct
import subprocess
import sys
import tempfile
import termios
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import env as rbenv  # noqa: E402

QEMU = shutil.which("qemu-aarch64-static") or shutil.which("qemu-aarch64")
TIMEOUT = 120


START_WS, RESIZED_WS = (31, 97), (40, 120)


def set_ws(fd, ws):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", ws[0], ws[1], 0, 0))


def read_pty(master, p=None, resize=False, until=None):
    """What arrives on the pty master until EOF/EIO (or `until`, or p's end);
    with resize, the pty becomes RESIZED_WS once "ready" has arrived."""
    out = b""
    resized = False
    end = time.time() + TIMEOUT
    while time.time() < end:
        if resize and not resized and b"ready\n" in out.replace(b"\r", b""):
            set_ws(master, RESIZED_WS)
            resized = True
        if until is not None and until in out:
            break
        r, _, _ = select.select([master], [], [], 1.0)
        if not r:
            if p is not None and p.poll() is not None:
                break
            continue
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: every slave descriptor closed
            break
        if not chunk:
            break
        out += chunk
    return out


def on_pty(args, cwd=None, env=None, resize=False):
    """Run args as a session leader whose controlling terminal is a new pty
    (START_WS with resize, else as openpty makes it); return (status, output
    with CRs dropped)."""
    master, slave = pty.openpty()
    if resize:
        set_ws(master, START_WS)

    def setup():
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    p = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, cwd=cwd, env=env,
                         preexec_fn=setup, close_fds=True)
    os.close(slave)
    out = read_pty(master, p, resize)
    try:
        status = p.wait(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        p.kill()
        status = p.wait()
    os.close(master)
    return status, out.replace(b"\r", b"").decode(errors="replace")


def bundle(rootfs, prog, tmp, n, terminal=True, args=None):
    bdir = os.path.join(tmp, f"b{n}")
    os.makedirs(bdir)
    with open(os.path.join(rbenv.bundle("programs"), "config.json")) as f:
        cfg = json.load(f)
    cfg["root"] = {"path": rootfs, "readonly": True}
    cfg["process"]["args"] = args or [prog]
    cfg["process"]["terminal"] = terminal
    cfg.setdefault("annotations", {})["org.realmbox.exec"] = "allow"
    with open(os.path.join(bdir, "config.json"), "w") as f:
        json.dump(cfg, f)
    return bdir


def run_realmbox(rootfs, prog, isolation, tmp, n, resize=False):
    bdir = bundle(rootfs, prog, tmp, n)
    env = dict(os.environ, REALMBOX_LOG="error")
    return on_pty([rbenv.REALMBOX, "--root", os.path.join(tmp, "root"), "run", "--isolation",
                   isolation, f"tty-{os.getpid()}-{n}"], cwd=bdir, env=env, resize=resize)


def run_detached(rootfs, prog, isolation, tmp, n):
    """create --console-socket (the test takes the pty master, sizes it START_WS
    before start and resizes it after "ready"), start, read to the end, delete.
    Returns (status, output with CRs dropped)."""
    bdir = bundle(rootfs, prog, tmp, n)
    cid = f"ttyd-{os.getpid()}-{n}"
    rb = [rbenv.REALMBOX, "--root", os.path.join(tmp, "root")]
    sp = os.path.join(tmp, f"console{n}.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(sp)
    srv.listen(1)
    srv.settimeout(TIMEOUT)
    env = dict(os.environ, REALMBOX_LOG="error")
    # create's output in a file, for its failure's message
    log = open(os.path.join(tmp, f"create{n}.log"), "w+b")
    p = subprocess.Popen(rb + ["create", "--isolation", isolation, "--bundle", bdir,
                               "--console-socket", sp, cid], env=env, stdout=log, stderr=log)
    try:
        c, _ = srv.accept()
        _, fds, _, _ = socket.recv_fds(c, 1024, 1)
        c.close()
    finally:
        srv.close()
    master = fds[0]
    with log:
        if p.wait(timeout=TIMEOUT) != 0:
            os.close(master)
            log.seek(0)
            return p.returncode, "create failed: " + log.read().decode(errors="replace")
    set_ws(master, START_WS)  # as the shim does before start: the size init starts with
    subprocess.run(rb + ["start", cid], env=env, check=True, timeout=TIMEOUT)
    out = read_pty(master, resize=True, until=b"done\n")
    status = "running"
    for _ in range(TIMEOUT * 10):  # until the monitor has recorded the end
        status = json.loads(subprocess.run(rb + ["state", cid], capture_output=True,
                                           check=True).stdout)["status"]
        if status == "stopped":
            break
        time.sleep(0.1)
    subprocess.run(rb + ["delete", "--force", cid], env=env, capture_output=True,
                   timeout=TIMEOUT)
    os.close(master)
    return 0 if status == "stopped" else status, out.replace(b"\r", b"").decode(errors="replace")


def run_exec(rootfs, prog, isolation, tmp, n, detached):
    """A container whose init sleeps; prog started in it with exec --tty: from a
    pty of START_WS (the test's on_pty) or, detached, over --console-socket with
    --process consoleSize START_WS (the test holds the master). The pty becomes
    RESIZED_WS after "ready". Returns (status, output with CRs dropped)."""
    bdir = bundle(rootfs, prog, tmp, n, terminal=False, args=["/bin/sleep", "100"])
    cid = f"ttyx-{os.getpid()}-{n}"
    rb = [rbenv.REALMBOX, "--root", os.path.join(tmp, "root")]
    env = dict(os.environ, REALMBOX_LOG="error")
    null = subprocess.DEVNULL
    try:
        subprocess.run(rb + ["--isolation", isolation, "run", "--detach", "--bundle", bdir, cid],
                       env=env, check=True, timeout=TIMEOUT, stdin=null, stdout=null,
                       stderr=null)
        if not detached:
            return on_pty(rb + ["exec", "--tty", cid, prog], env=env, resize=True)
        sp = os.path.join(tmp, f"xconsole{n}.sock")
        proc = os.path.join(tmp, f"process{n}.json")
        with open(proc, "w") as f:
            json.dump({"args": [prog], "cwd": "/", "terminal": True, "env": ["PATH=/bin"],
                       "consoleSize": {"height": START_WS[0], "width": START_WS[1]}}, f)
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(sp)
        srv.listen(1)
        srv.settimeout(TIMEOUT)
        pidf = os.path.join(tmp, f"x{n}.pid")
        p = subprocess.Popen(rb + ["exec", "--detach", "--tty", "--console-socket", sp,
                                   "--pid-file", pidf, "--process", proc, cid], env=env,
                             stdin=null, stdout=null, stderr=null)
        try:
            c, _ = srv.accept()
            _, fds, _, _ = socket.recv_fds(c, 1024, 1)
            c.close()
        finally:
            srv.close()
        master = fds[0]
        try:
            if p.wait(timeout=TIMEOUT) != 0:
                return p.returncode, "exec failed"
            out = read_pty(master, resize=True, until=b"done\n")
        finally:
            os.close(master)
        return 0, out.replace(b"\r", b"").decode(errors="replace")
    finally:
        subprocess.run(rb + ["delete", "--force", cid], env=env, capture_output=True,
                       timeout=TIMEOUT)


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
        for kind in ("static", "dynamic"):
            prog = f"/prog/{kind}/winsz"
            want_st, want = on_pty([QEMU, "-L", rootfs, rootfs + prog], resize=True)
            lines = want.splitlines()
            # the oracle's answers, and none of them the old fixed 24x80
            for must in ("start: 31 rows 97 cols (pixels 0x0)", "ready", "SIGWINCH 1",
                         "resized: 40 rows 120 cols (pixels 0x0)",
                         "TIOCSWINSZ same: ok, SIGWINCH 0", "TIOCSWINSZ new: ok, SIGWINCH 1",
                         "own: 43 rows 127 cols (pixels 640x480)",
                         "background child: SIGWINCH 0", "TIOCGWINSZ /dev/null: ENOTTY",
                         "TIOCGWINSZ bad pointer: EFAULT", "done"):
                if must not in lines:
                    print(f"ORACLE {kind} winsz: no line {must!r} (status {want_st}):\n{want}")
                    return 1
            for mode in a.isolation.split(","):
                for how, run in (("run", lambda: run_realmbox(rootfs, prog, mode, tmp, n,
                                                               resize=True)),
                                 ("create", lambda: run_detached(rootfs, prog, mode, tmp, n)),
                                 ("exec", lambda: run_exec(rootfs, prog, mode, tmp, n, False)),
                                 ("exec -d", lambda: run_exec(rootfs, prog, mode, tmp, n, True))):
                    if how != "run" and kind == "dynamic":
                        continue  # the monitor's and the relay's paths once are enough
                    n += 1
                    st, got = run()
                    ok = got == want and (st == want_st if how in ("run", "exec") else st == 0)
                    print(f"{'pass' if ok else 'FAIL'}   {mode:6} {kind} winsz ({how})")
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
