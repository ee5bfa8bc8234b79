#!/usr/bin/env python3
"""Podman drives realmbox as its OCI runtime: `podman --runtime build/realmbox`.

A private podman store in a temporary directory (--root, --runroot, --tmpdir,
the vfs storage driver, cgroupfs, a file for events: no systemd, no daemon),
`podman load -i` of an arm64 OCI archive of the busybox example rootfs built
here by hand (tests/py/lib/oci_image.py), then, in realm, none and shim
modes (chosen per container with the annotation org.realmbox.isolation):
`podman run --rm` prints the output and exits with the container's status
(non-zero too), `-i` passes stdin, `-t` gives a terminal (console socket);
a detached `podman run -d` is listed by `podman ps`, runs `podman exec`
(its output and status; in realm mode only with the owner's consent;
`exec -t` gets a terminal of its own that `tty` names, /dev/pts/N), is
paused and unpaused (realmbox pause/resume), gets signals from `podman
kill`, is ended by `podman stop` (TERM, then KILL after -t seconds for an
init that ignores TERM) and removed by `podman rm`, after which neither
`podman ps -a` nor realmbox's state directory knows it; `podman create` +
`start -a` + `wait`; a missing program gives 127, one that cannot be
executed 126 (podman reads realmbox's runc-like messages), for run and exec.

podman calls the runtime with create --bundle --pid-file [--console-socket],
start, exec --process --detach --pid-file [--console-socket], kill ID N,
pause, resume, delete --force. A wrapper adds `--root` so that realmbox's state (and realm
mode's machine keys) stay in the temporary directory, and logs every call
(calls.log, kept with RB_KEEP_TMP=1).

Skips with the reason only when podman is not installed or cannot run on
this machine.
"""
import fcntl
import json
import os
import pty
import select
import shutil
import subprocess
import struct
import sys
import tempfile
import termios
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import env as rbenv  # noqa: E402
from lib import oci_image  # noqa: E402

REALMBOX = rbenv.need_realmbox()
IMAGE = "localhost/realmbox-busybox:test"
MODES = ("realm", "none", "shim")


class Podman(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if shutil.which("podman") is None:
            raise unittest.SkipTest("podman not installed (scripts/setup.sh installs Debian's "
                                    "podman)")
        if os.geteuid() != 0:
            raise unittest.SkipTest("this test runs podman as root (its store uses mounts)")
        cls.tmp = tempfile.mkdtemp(prefix="rb-podman-")
        cls.rbroot = os.path.join(cls.tmp, "rbroot")
        cls.runtime = os.path.join(cls.tmp, "realmbox")
        with open(cls.runtime, "w") as f:
            f.write(f"#!/bin/sh\n{REALMBOX} --root {cls.rbroot} \"$@\"\nrc=$?\n"
                    f"echo \"$rc: $*\" >> {cls.tmp}/calls.log\nexit $rc\n")
        os.chmod(cls.runtime, 0o755)
        info = cls.podman_static("info", "--format", "{{.Host.OCIRuntime.Name}}", timeout=60)
        if info.returncode != 0:
            err = info.stderr.decode(errors="replace")[-400:]
            shutil.rmtree(cls.tmp, ignore_errors=True)
            raise unittest.SkipTest(f"podman cannot run on this machine: {err}")
        tar = os.path.join(cls.tmp, "image.tar")
        oci_image.build_image(os.path.join(rbenv.bundle("busybox"), "rootfs"), tar, IMAGE)
        p = cls.podman_static("load", "-i", tar)
        if p.returncode != 0:
            cls.tearDownClass()  # (unittest does not call it when setUpClass fails)
            raise AssertionError(f"podman load: {p.stderr.decode(errors='replace')}")

    @classmethod
    def tearDownClass(cls):
        cls.podman_static("rm", "--all", "--force", "--time", "0")
        # conmon's exit command (`podman container cleanup`) may still be running
        deadline = time.time() + 20
        while time.time() < deadline and cls.procs_using_tmp():
            time.sleep(0.2)
        subprocess.run(["sh", "-c", f"grep -o ' {cls.tmp}[^ ]*' /proc/mounts | "
                        "sort -r | xargs -r -n1 umount -l"], capture_output=True)
        if os.environ.get("RB_KEEP_TMP") is None:
            shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def procs_using_tmp(cls):
        """pids of processes whose command line names the temporary directory."""
        found = []
        for pid in os.listdir("/proc"):
            if not pid.isdigit() or int(pid) == os.getpid():
                continue
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    if cls.tmp.encode() in f.read():
                        found.append(int(pid))
            except OSError:
                pass
        return found

    @classmethod
    def podman_args(cls):
        return ["podman", "--root", os.path.join(cls.tmp, "storage"), "--runroot",
                os.path.join(cls.tmp, "run"), "--tmpdir", os.path.join(cls.tmp, "libpod"),
                "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs",
                "--events-backend", "file", "--runtime", cls.runtime]

    @classmethod
    def podman_static(cls, *args, timeout=120, **kw):
        kw.setdefault("stdin", subprocess.DEVNULL)
        return subprocess.run([*cls.podman_args(), *args], capture_output=True,
                              timeout=timeout, **kw)

    def podman(self, *args, **kw):
        return self.podman_static(*args, **kw)

    def run_args(self, iso, *extra):
        """`podman run` for an arm64 image in isolation mode iso, without a network
        namespace (the library OS has its own network stack)."""
        return ["run", "--arch", "arm64", "--network", "none", "--annotation",
                "org.realmbox.isolation=" + iso, *extra]

    def statuses(self):
        """{full container ID: podman's status text} of `podman ps -a`."""
        p = self.podman("ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.Status}}")
        self.assertEqual(p.returncode, 0, p.stderr)
        return dict(line.split(" ", 1) for line in p.stdout.decode().splitlines() if line)

    def rb_state(self, cid):
        """realmbox's own record of the container (its state.json), or None."""
        try:
            with open(os.path.join(self.rbroot, cid, "state.json")) as f:
                return json.load(f)
        except FileNotFoundError:
            return None

    def rb_status(self, cid):
        """the status `realmbox state` reports."""
        p = subprocess.run([REALMBOX, "--root", self.rbroot, "state", cid], capture_output=True,
                           timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.loads(p.stdout)["status"]

    def rb_containers(self):
        """the containers realmbox's root holds (its state directories)."""
        if not os.path.isdir(self.rbroot):
            return []
        return [d for d in os.listdir(self.rbroot)
                if os.path.exists(os.path.join(self.rbroot, d, "state.json"))]

    def wait_log(self, cid, text, seconds=60):
        deadline = time.time() + seconds
        while time.time() < deadline:
            if text in self.podman("logs", cid).stdout:
                return
            time.sleep(0.2)
        self.fail(f"{cid}: no {text!r} in podman logs")

    def test_run_rm_output_and_status(self):
        for iso in MODES:
            t0 = time.monotonic()
            p = self.podman(*self.run_args(iso, "--rm"), IMAGE, "echo", "hello", "podman")
            took = time.monotonic() - t0
            self.assertEqual((p.returncode, p.stdout), (0, b"hello podman\n"), (iso, p.stderr))
            print(f"\n  podman run --rm echo, {iso}: {took:.2f} s", file=sys.stderr)
            p = self.podman(*self.run_args(iso, "--rm", "--name", "rm-" + iso), IMAGE, "sh",
                            "-c", "echo out; echo err >&2; cat /data/words.txt | wc -l; exit 3")
            self.assertEqual(p.returncode, 3, (iso, p.stderr))
            self.assertEqual(p.stdout.decode().split("\n")[0], "out", iso)
            self.assertIn(b"err\n", p.stderr, iso)
            self.assertNotIn("rm-" + iso, self.podman("ps", "-a", "--format",
                                                      "{{.Names}}").stdout.decode().split())
            # realmbox's state of the container is gone too (no other container exists now)
            self.assertEqual(self.rb_containers(), [], iso)

    def test_volume(self):
        """-v HOSTDIR:/vol:ro: the container sees the host's files (measured at create); podman's
        own bind mounts (/etc/hostname) are there too; a write stays in the container."""
        vol = tempfile.mkdtemp(prefix="rb-podvol-")
        self.addCleanup(shutil.rmtree, vol, True)
        with open(os.path.join(vol, "f"), "w") as f:
            f.write("on the host\n")
        for iso in MODES:
            p = self.podman(*self.run_args(iso, "--rm", "-v", f"{vol}:/vol", "--hostname",
                                           "hn-" + iso), IMAGE, "sh", "-c",
                            "cat /vol/f; echo $(cat /etc/hostname); echo x > /vol/f; cat /vol/f")
            self.assertEqual((p.returncode, p.stdout.decode()),
                             (0, f"on the host\nhn-{iso}\nx\n"), (iso, p.stderr))
            with open(os.path.join(vol, "f")) as f:
                self.assertEqual(f.read(), "on the host\n", iso)

    def test_run_stdin(self):
        for iso in MODES:
            p = self.podman(*self.run_args(iso, "--rm", "-i"), IMAGE, "sh", "-c",
                            "read x; echo got $x; exit 2", input=b"typed\n", stdin=None)
            self.assertEqual((p.returncode, p.stdout), (2, b"got typed\n"), (iso, p.stderr))

    def test_run_tty(self):
        """`podman run -t`: the console socket's pty is the container's stdio, and
        `tty` names it, and `stty size` shows podman's terminal's size (conmon sizes the
        pty it holds; the monitor follows: deploy_winsize)."""
        for iso in MODES:
            master, slave = pty.openpty()
            fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 101, 0, 0))
            try:
                proc = subprocess.Popen([*self.podman_args(), *self.run_args(iso, "--rm", "-t"),
                                         IMAGE, "sh", "-c",
                                         "test -t 0 && echo tty-yes; tty; stty size; exit 5"],
                                        stdin=slave, stdout=slave, stderr=slave)
                os.close(slave)
                data = b""
                deadline = time.time() + 120
                while time.time() < deadline and proc.poll() is None:
                    if select.select([master], [], [], 0.2)[0]:
                        try:
                            data += os.read(master, 4096)
                        except OSError:
                            break
                if proc.poll() is None:
                    proc.kill()
                proc.wait(30)
                self.assertIn(b"tty-yes", data, iso)
                # ttyname: /proc/self/fd/0 names /dev/pts/0, whose stat is stdin's fstat
                self.assertIn(b"/dev/pts/0", data, iso)
                self.assertIn(b"\n33 101\r\n", data, iso)  # not the library OS's own 24x80
                self.assertEqual(proc.returncode, 5, (iso, data))
            finally:
                os.close(master)

    def pty_run(self, args, timeout=120, size=None):
        """podman with a pty (of size (rows, cols) if given) as its stdio: (its status,
        what it wrote there)."""
        master, slave = pty.openpty()
        if size:
            fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", *size, 0, 0))
        try:
            proc = subprocess.Popen([*self.podman_args(), *args], stdin=slave, stdout=slave,
                                    stderr=slave)
            os.close(slave)
            data = b""
            deadline = time.time() + timeout
            while time.time() < deadline and proc.poll() is None:
                if select.select([master], [], [], 0.2)[0]:
                    try:
                        data += os.read(master, 4096)
                    except OSError:
                        break
            if proc.poll() is None:
                proc.kill()
            proc.wait(30)
            return proc.returncode, data
        finally:
            os.close(master)

    def test_exec_tty(self):
        """`podman exec -t CTR tty`: the exec'd process gets a terminal of its own,
        /dev/pts/N, that ttyname finds (its stat matches stdin's fstat), of podman's
        terminal's size."""
        for iso in MODES:
            p = self.podman(*self.run_args(iso, "-d", "--annotation", "org.realmbox.exec=allow"),
                            IMAGE, "sleep", "1000")
            self.assertEqual(p.returncode, 0, (iso, p.stderr))
            cid = p.stdout.decode().strip()
            try:
                rc, data = self.pty_run(["exec", "-t", cid, "tty"])
                self.assertEqual(rc, 0, (iso, data))
                self.assertRegex(data, rb"^/dev/pts/[0-9]+\r?\n", iso)
                # this podman passes no process.consoleSize: conmon sets the size on the
                # terminal it was handed, which may come after the process starts (as with
                # runc), so the shell waits up to 5 s for it
                rc, data = self.pty_run(["exec", "-t", cid, "sh", "-c",
                                         "test -t 0 && echo tty-yes; tty; i=0; "
                                         "while [ \"$(stty size)\" != '29 91' ] && [ $i -lt 50 ]; "
                                         "do sleep 0.1; i=$((i+1)); done; stty size; exit 3"],
                                        size=(29, 91))
                self.assertEqual(rc, 3, (iso, data))
                # the exec's terminal gets podman's terminal's size (not 24x80)
                self.assertRegex(data, rb"^tty-yes\r?\n/dev/pts/[0-9]+\r?\n29 91\r?\n", iso)
                # without -t: a pipe, not a terminal
                ex = self.podman("exec", cid, "tty")
                self.assertEqual((ex.returncode, ex.stdout), (1, b"not a tty\n"), iso)
            finally:
                self.assertEqual(self.podman("rm", "-f", "-t", "0", cid).returncode, 0, iso)

    def test_create_start_attach(self):
        for iso in MODES:
            p = self.podman("create", *self.run_args(iso)[1:], IMAGE, "sh", "-c",
                            "echo started; exit 9")
            self.assertEqual(p.returncode, 0, p.stderr)
            cid = p.stdout.decode().strip()
            try:
                # (podman asks the runtime to create the container only when it starts)
                self.assertEqual(self.statuses()[cid], "Created", iso)
                s = self.podman("start", "-a", cid)
                self.assertEqual((s.returncode, s.stdout), (9, b"started\n"), (iso, s.stderr))
                w = self.podman("wait", cid)
                self.assertEqual(w.stdout, b"9\n", (iso, w.stderr))
                self.assertTrue(self.statuses()[cid].startswith("Exited (9)"), iso)
            finally:
                self.assertEqual(self.podman("rm", cid).returncode, 0, iso)
            self.assertNotIn(cid, self.statuses())
            self.assertIsNone(self.rb_state(cid), iso)

    def test_detached_exec_ps_stop_rm(self):
        for iso in MODES:
            self.detached(iso)

    def detached(self, iso):
        # (realm: the container's owner allows exec in its measured configuration)
        p = self.podman(*self.run_args(iso, "-d", "--annotation", "org.realmbox.exec=allow"),
                        IMAGE, "sleep", "1000")
        self.assertEqual(p.returncode, 0, (iso, p.stderr))
        cid = p.stdout.decode().strip()
        try:
            self.assertEqual(self.rb_state(cid)["isolation"], iso)
            ps = self.podman("ps", "--no-trunc", "--format", "{{.ID}} {{.Status}} {{.Command}}")
            self.assertRegex(ps.stdout.decode(), cid + r" Up .* sleep 1000", iso)
            ex = self.podman("exec", cid, "echo", "hi")
            self.assertEqual((ex.returncode, ex.stdout), (0, b"hi\n"), (iso, ex.stderr))
            pa = self.podman("pause", cid)
            self.assertEqual(pa.returncode, 0, (iso, pa.stderr))
            self.assertEqual(self.statuses()[cid], "Paused", iso)
            self.assertEqual(self.rb_status(cid), "paused", iso)
            up = self.podman("unpause", cid)
            self.assertEqual(up.returncode, 0, (iso, up.stderr))
            self.assertRegex(self.statuses()[cid], "^Up ", iso)
            self.assertEqual(self.rb_status(cid), "running", iso)
            ex = self.podman("exec", cid, "sh", "-c",
                             "ps -o pid,args | grep '[s]leep 1000'; exit 4")
            self.assertEqual(ex.returncode, 4, (iso, ex.stderr))
            self.assertRegex(ex.stdout.decode(), r"^ +1 (/bin/)?sleep 1000\n$", iso)
            # init (sleep) has no TERM handler: pid 1 ignores it, KILL after 2 s
            t0 = time.monotonic()
            st = self.podman("stop", "-t", "2", cid)
            took = time.monotonic() - t0
            self.assertEqual(st.returncode, 0, (iso, st.stderr))
            self.assertGreaterEqual(took, 2.0, iso)
            self.assertTrue(self.statuses()[cid].startswith("Exited (137)"), iso)
            rm = self.podman("rm", cid)
            self.assertEqual(rm.returncode, 0, (iso, rm.stderr))
            self.assertNotIn(cid, self.statuses(), iso)
            self.assertIsNone(self.rb_state(cid), iso)
        finally:
            self.podman("rm", "-f", "-t", "0", cid)

        # an init that handles TERM: `podman stop` ends it at once with its status
        p = self.podman(*self.run_args(iso, "-d"), IMAGE, "sh", "-c",
                        "trap 'echo got TERM; exit 3' TERM; trap 'echo got USR1' USR1; "
                        "echo ready; while :; do sleep 1; done")
        self.assertEqual(p.returncode, 0, (iso, p.stderr))
        cid = p.stdout.decode().strip()
        try:
            self.wait_log(cid, b"ready")
            k = self.podman("kill", "-s", "USR1", cid)
            self.assertEqual(k.returncode, 0, (iso, k.stderr))
            self.wait_log(cid, b"got USR1")
            t0 = time.monotonic()
            st = self.podman("stop", "-t", "60", cid)
            took = time.monotonic() - t0
            self.assertEqual(st.returncode, 0, (iso, st.stderr))
            self.assertLess(took, 30, iso)
            self.assertTrue(self.statuses()[cid].startswith("Exited (3)"), iso)
            self.assertIn(b"got TERM", self.podman("logs", cid).stdout, iso)
        finally:
            self.assertEqual(self.podman("rm", "-f", "-t", "0", cid).returncode, 0, iso)
        self.assertNotIn(cid, self.statuses(), iso)

    def test_not_found_not_executable(self):
        """podman's statuses for a program that is missing (127) or not executable
        (126), from realmbox's runc-like messages, for run and for exec."""
        for iso in MODES:
            for prog, want, text in (("nosuchprog", 127, b"executable file not found"),
                                     ("/bin/nosuch", 127, b"no such file or directory"),
                                     ("/etc/passwd", 126, b"permission denied")):
                p = self.podman(*self.run_args(iso, "--rm"), IMAGE, prog)
                self.assertEqual(p.returncode, want, (iso, prog, p.stderr))
                self.assertIn(text, p.stderr.lower(), (iso, prog))
            p = self.podman(*self.run_args(iso, "-d", "--annotation", "org.realmbox.exec=allow"),
                            IMAGE, "sleep", "1000")
            self.assertEqual(p.returncode, 0, (iso, p.stderr))
            cid = p.stdout.decode().strip()
            try:
                for prog, want in (("nosuchprog", 127), ("/bin/nosuch", 127),
                                   ("/etc/passwd", 126)):
                    ex = self.podman("exec", cid, prog)
                    self.assertEqual(ex.returncode, want, (iso, prog, ex.stderr))
                self.assertRegex(self.statuses()[cid], "^Up ", iso)
            finally:
                self.assertEqual(self.podman("rm", "-f", "-t", "0", cid).returncode, 0, iso)

    def test_exec_refused_without_owner_consent(self):
        """realm: without org.realmbox.exec=allow podman exec fails with the reason."""
        p = self.podman(*self.run_args("realm", "-d"), IMAGE, "sleep", "1000")
        self.assertEqual(p.returncode, 0, p.stderr)
        cid = p.stdout.decode().strip()
        try:
            ex = self.podman("exec", cid, "echo", "hi")
            self.assertNotEqual(ex.returncode, 0)
            self.assertEqual(ex.stdout, b"")
            self.assertIn(b"does not allow the runtime to start processes", ex.stderr)
            self.assertTrue(self.statuses()[cid].startswith("Up"))
        finally:
            self.assertEqual(self.podman("rm", "-f", "-t", "0", cid).returncode, 0)


if __name__ == "__main__":
    unittest.main()
