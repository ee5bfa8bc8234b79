#!/usr/bin/env python3
"""containerd drives realmbox as its runc: `ctr run --runc-binary build/realmbox`.

Starts Debian's containerd (scripts/setup.sh installs it) in a temporary
root with its own socket and state directories, builds an arm64 OCI image
of the busybox example rootfs by writing the OCI image layout by hand (no
registry, no network), imports it with `ctr images import`, then:
`ctr run --rm` prints the container's output and returns its exit status;
a detached task is seen by `ctr task ps` and `ctr task ls`, runs a second
process with `ctr task exec` (and `ctr task exec -t`: a terminal over the
console socket, typed input, the status), and is ended by `ctr task kill`
(names and numbers), in none and realm modes (ps and exec also in shim);
`ctr run -t` on a terminal: the container sees its size, and a resize
(ctr's SIGWINCH, the shim's TIOCSWINSZ on the pty master it holds) reaches
the container as SIGWINCH with the new size, in all three modes.
containerd calls the runtime with --root, --log, --log-format json, create
--bundle --pid-file, start, state, kill, delete.

Skips with the reason only when containerd is not installed or cannot
start on this machine.
"""
import fcntl
import os
import pty
import select
import shutil
import struct
import subprocess
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
NS = "rbtest"


class Containerd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if shutil.which("containerd") is None or shutil.which("ctr") is None:
            raise unittest.SkipTest("containerd/ctr not installed (scripts/setup.sh installs "
                                    "Debian's containerd)")
        if os.geteuid() != 0:
            raise unittest.SkipTest("containerd needs root here (mounts for its snapshotter)")
        cls.tmp = tempfile.mkdtemp(prefix="rb-ctrd-")
        cls.sock = os.path.join(cls.tmp, "containerd.sock")
        conf = os.path.join(cls.tmp, "config.toml")
        with open(conf, "w") as f:
            f.write(f"""version = 2
root = "{cls.tmp}/root"
state = "{cls.tmp}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "{cls.sock}"
[ttrpc]
  address = "{cls.sock}.ttrpc"
[debug]
  address = "{cls.tmp}/debug.sock"
[plugins."io.containerd.runtime.v1.linux"]
  shim_debug = false
""")
        # the isolation mode for containerd's containers: a wrapper sets it (a
        # containerd runtime would pass the annotation org.realmbox.isolation)
        for iso in ("none", "realm", "shim"):
            w = os.path.join(cls.tmp, "realmbox-" + iso)
            with open(w, "w") as f:
                # (calls.log: what containerd asked and what realmbox answered)
                f.write(f"#!/bin/sh\n{REALMBOX} --isolation {iso} \"$@\"\nrc=$?\n"
                        f"echo \"$rc: $*\" >> {cls.tmp}/calls.log\nexit $rc\n")
            os.chmod(w, 0o755)
        cls.log = open(os.path.join(cls.tmp, "containerd.log"), "wb")
        cls.proc = subprocess.Popen(["containerd", "--config", conf], stdout=cls.log,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.time() + 30
        while time.time() < deadline:
            if cls.proc.poll() is not None:
                break
            if os.path.exists(cls.sock) and cls.ctr_static("version").returncode == 0:
                break
            time.sleep(0.2)
        if cls.proc.poll() is not None or not os.path.exists(cls.sock):
            cls.tearDownClass()
            with open(os.path.join(cls.tmp, "containerd.log"), "rb") as f:
                tail = f.read()[-400:].decode(errors="replace")
            raise unittest.SkipTest(f"containerd cannot run on this machine: {tail}")
        tar = os.path.join(cls.tmp, "image.tar")
        oci_image.build_image(os.path.join(rbenv.bundle("busybox"), "rootfs"), tar, IMAGE)
        p = cls.ctr_static("images", "import", "--platform", "linux/arm64", tar)
        if p.returncode != 0:
            raise AssertionError(f"ctr images import: {p.stderr.decode(errors='replace')}")

    @classmethod
    def tearDownClass(cls):
        if getattr(cls, "proc", None) is not None:
            for t in cls.ctr_static("tasks", "ls", "-q").stdout.decode().split():
                cls.ctr_static("tasks", "kill", "-s", "KILL", t)
                time.sleep(0.5)
                cls.ctr_static("tasks", "delete", "-f", t)
            for c in cls.ctr_static("containers", "ls", "-q").stdout.decode().split():
                cls.ctr_static("containers", "delete", c)
            cls.proc.terminate()
            try:
                cls.proc.wait(20)
            except subprocess.TimeoutExpired:
                cls.proc.kill()
                cls.proc.wait()
            cls.proc = None
            cls.log.close()
            # containerd leaves its snapshot mounts behind
            subprocess.run(["sh", "-c", f"grep -o ' {cls.tmp}[^ ]*' /proc/mounts | "
                            "sort -r | xargs -r -n1 umount -l"], capture_output=True)
        if os.environ.get("RB_KEEP_TMP") is None:
            shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def ctr_static(cls, *args, timeout=120, **kw):
        return subprocess.run(["ctr", "--address", cls.sock, "--namespace", NS, *args],
                              capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL,
                              **kw)

    def ctr(self, *args, **kw):
        return self.ctr_static(*args, **kw)

    def run_args(self, *extra, iso="none"):
        # --runc-root: realmbox's state (and realm mode's machine keys) stay in the temporary root
        return ["run", "--runc-binary", os.path.join(self.tmp, "realmbox-" + iso), "--runc-root",
                os.path.join(self.tmp, "runc-root"), "--platform", "linux/arm64", *extra]

    def test_run_prints_output(self):
        for iso in ("none", "realm"):
            p = self.ctr(*self.run_args("--rm", iso=iso), IMAGE, "r-" + iso, "sh", "-c",
                         "echo hello from $(hostname); cat /data/words.txt | wc -l; exit 3")
            self.assertEqual((p.returncode, p.stdout.decode().split("\n")[0]),
                             (3, "hello from r-" + iso), p.stderr)
            self.assertEqual(self.ctr("containers", "ls", "-q").stdout.decode().split().count(
                "r-" + iso), 0)

    def test_task_kill_ps(self):
        for iso in ("none", "realm", "shim"):
            self.kill_ps_exec(iso)

    def kill_ps_exec(self, iso):
        script = "trap 'echo got USR1; exit 5' USR1; echo ready; while :; do sleep 1; done"
        # (realm: the container's owner allows exec in its measured configuration)
        p = self.ctr(*self.run_args("-d", "--annotation", "org.realmbox.exec=allow", iso=iso),
                     IMAGE, "k1", "sh", "-c", script)
        self.assertEqual(p.returncode, 0, p.stderr)
        try:
            ls = self.ctr("tasks", "ls").stdout.decode()
            self.assertRegex(ls, r"k1\s+\d+\s+RUNNING")
            ps = self.ctr("tasks", "ps", "k1")
            self.assertEqual(ps.returncode, 0, ps.stderr)
            self.assertEqual(ps.stdout.decode().split()[0:3], ["PID", "INFO", "1"])
            ex = self.ctr("tasks", "exec", "--exec-id", "e1", "k1", "sh", "-c",
                          "echo hi from exec; exit 6")
            self.assertEqual((ex.returncode, ex.stdout), (6, b"hi from exec\n"), (iso, ex.stderr))
            ps = self.ctr("tasks", "ps", "k1").stdout.decode().split()
            self.assertEqual(ps[0:3], ["PID", "INFO", "1"])
            k = self.ctr("tasks", "kill", "-s", "SIGUSR1", "k1")
            self.assertEqual(k.returncode, 0, k.stderr)
            deadline = time.time() + 30
            while time.time() < deadline and "STOPPED" not in self.ctr("tasks", "ls").stdout.decode():
                time.sleep(0.2)
            self.assertRegex(self.ctr("tasks", "ls").stdout.decode(), r"k1\s+\d+\s+STOPPED")
        finally:
            self.ctr("tasks", "delete", "-f", "k1")
            self.ctr("containers", "delete", "k1")
        p = self.ctr(*self.run_args("-d", iso=iso), IMAGE, "k2", "sh", "-c", "sleep 100")
        self.assertEqual(p.returncode, 0, p.stderr)
        try:
            k = self.ctr("tasks", "kill", "-s", "9", "k2")
            self.assertEqual(k.returncode, 0, k.stderr)
            deadline = time.time() + 30
            while time.time() < deadline and "STOPPED" not in self.ctr("tasks", "ls").stdout.decode():
                time.sleep(0.2)
            self.assertRegex(self.ctr("tasks", "ls").stdout.decode(), r"k2\s+\d+\s+STOPPED")
            d = self.ctr("tasks", "delete", "k2")
            self.assertEqual(d.returncode, 0, d.stderr)
            self.assertIn("137", d.stdout.decode() + d.stderr.decode())
        finally:
            self.ctr("tasks", "delete", "-f", "k2")
            self.ctr("containers", "delete", "k2")

    def test_exec_tty(self):
        """`ctr task exec -t` (realmbox exec --detach --tty --console-socket): the
        process has a terminal, reads what is typed and its status comes back."""
        for iso in ("none", "realm", "shim"):
            p = self.ctr(*self.run_args("-d", "--annotation", "org.realmbox.exec=allow",
                                        iso=iso), IMAGE, "x1", "sh", "-c", "sleep 100")
            self.assertEqual(p.returncode, 0, p.stderr)
            master, slave = pty.openpty()
            try:
                ex = subprocess.Popen(["ctr", "--address", self.sock, "--namespace", NS, "tasks",
                                       "exec", "-t", "--exec-id", "t1", "x1", "sh", "-c",
                                       "test -t 0 && echo tty-yes; read l; echo got $l; exit 6"],
                                      stdin=slave, stdout=slave, stderr=slave)
                os.close(slave)
                data = b""
                deadline = time.time() + 60
                sent = False
                while time.time() < deadline and ex.poll() is None:
                    r, _, _ = select.select([master], [], [], 0.2)
                    if r:
                        try:
                            data += os.read(master, 4096)
                        except OSError:
                            break
                    if not sent and b"tty-yes" in data:
                        os.write(master, b"typed\r")
                        sent = True
                ex.wait(timeout=30)
                try:
                    while select.select([master], [], [], 0.2)[0]:
                        chunk = os.read(master, 4096)
                        if not chunk:
                            break
                        data += chunk
                except OSError:
                    pass
                self.assertIn(b"tty-yes", data, iso)
                self.assertIn(b"got typed", data, iso)
                self.assertEqual(ex.returncode, 6, (iso, data))
            finally:
                os.close(master)
                self.ctr("tasks", "delete", "-f", "x1")
                self.ctr("containers", "delete", "x1")

    def test_run_tty_resize(self):
        """`ctr run -t` from a terminal of 33x101 (ctr's controlling terminal): the
        container's `stty size` says so; resized to 40x120, ctr resizes the console
        (TIOCSWINSZ on the pty master the shim holds), the monitor hears SIGWINCH and
        the container's shell gets SIGWINCH (its trap) and the new size."""
        script = ("stty size; trap 'stty size; exit 4' WINCH; echo ready; "
                  "while :; do sleep 1; done")
        for iso in ("none", "realm", "shim"):
            master, slave = pty.openpty()
            fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 101, 0, 0))

            def ctty():
                os.setsid()
                fcntl.ioctl(0, termios.TIOCSCTTY, 0)

            try:
                p = subprocess.Popen(["ctr", "--address", self.sock, "--namespace", NS,
                                      *self.run_args("--rm", "-t", iso=iso), IMAGE, "w-" + iso,
                                      "sh", "-c", script],
                                     stdin=slave, stdout=slave, stderr=slave, preexec_fn=ctty)
                os.close(slave)
                data, resized = b"", False
                deadline = time.time() + 90
                while time.time() < deadline and p.poll() is None:
                    if select.select([master], [], [], 0.2)[0]:
                        try:
                            data += os.read(master, 4096)
                        except OSError:
                            break
                    if not resized and b"ready" in data:
                        fcntl.ioctl(master, termios.TIOCSWINSZ,
                                    struct.pack("HHHH", 40, 120, 0, 0))
                        resized = True
                if p.poll() is None:
                    p.kill()
                p.wait(30)
                # (two terminals on the way, each adds its CR)
                self.assertRegex(data.replace(b"\r", b""), rb"^33 101\nready\n40 120\n",
                                 (iso, data))
                self.assertEqual(p.returncode, 4, (iso, data))
            finally:
                os.close(master)
                self.ctr("tasks", "delete", "-f", "w-" + iso)
                self.ctr("containers", "delete", "w-" + iso)


if __name__ == "__main__":
    unittest.main()
