#!/usr/bin/env python3
"""realmbox as an OCI runtime: runc's lifecycle commands as containerd uses them.

create -> state "created" -> start -> state "running" -> the container's
output -> its exit status seen by a parent waiting for the container's pid
(this test process is a child subreaper, as containerd-shim is) -> state
"stopped" -> delete; kill with signal names and numbers; refusals with
clear messages; the console socket; many containers in parallel; a killed
monitor reads as stopped. Every case uses its own --root.

RB_PARALLEL_N sets how many containers test_parallel starts (default 10).
"""
import array
import ctypes
import json
import os
import re
import select
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import env as rbenv  # noqa: E402

REALMBOX = rbenv.need_realmbox()
ROOTFS = os.path.join(rbenv.bundle("busybox"), "rootfs")
PR_SET_CHILD_SUBREAPER = 36


def become_subreaper():
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def wait_status(pid, timeout=60):
    """Exit status of our (adopted) child pid as a shell shows it: code or 128+signal."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        w, st = os.waitpid(pid, os.WNOHANG)
        if w == pid:
            return os.waitstatus_to_exitcode(st) if os.WIFEXITED(st) else 128 + os.WTERMSIG(st)
        time.sleep(0.02)
    raise AssertionError(f"pid {pid} did not exit within {timeout} s")


class Runtime:
    """realmbox with a private --root; container output goes to files (the monitor keeps them)."""

    def __init__(self, tc):
        self.tc = tc
        self.tmp = tempfile.mkdtemp(prefix="rb-rt-")
        self.root = os.path.join(self.tmp, "root")
        tc.addCleanup(self.cleanup)

    def cleanup(self):
        # end every monitor we started, then remove the files
        subprocess.run([REALMBOX, "--root", self.root, "list", "-q"], capture_output=True)
        for cid in self.rb("list", "-q")[1].split():
            self.rb("delete", "--force", cid)
        subprocess.run(["rm", "-rf", self.tmp])

    def rb(self, *args, timeout=120, **kw):
        p = subprocess.run([REALMBOX, "--root", self.root, *args], capture_output=True,
                           timeout=timeout, stdin=subprocess.DEVNULL, **kw)
        return (p.returncode, p.stdout.decode(errors="replace"),
                rbenv.strip_san_noise(p.stderr).decode(errors="replace"))

    def bundle(self, name, args, terminal=False, annotations=None):
        d = os.path.join(self.tmp, name)
        os.makedirs(d, exist_ok=True)
        cfg = {"ociVersion": "1.0.2", "process": {
            "terminal": terminal, "user": {"uid": 0, "gid": 0}, "args": list(args),
            "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
            "cwd": "/"}, "root": {"path": ROOTFS, "readonly": True}, "hostname": name}
        if annotations:
            cfg["annotations"] = annotations
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(cfg, f)
        return d

    def create(self, cid, bundle, *extra, ok=True):
        """create with stdout/stderr to files; returns (rc, stderr, out_path, err_path)."""
        safe = cid.replace("/", "_")
        out, err = os.path.join(self.tmp, safe + ".out"), os.path.join(self.tmp, safe + ".err")
        with open(out, "wb") as fo, open(err, "wb") as fe:
            p = subprocess.run([REALMBOX, "--root", self.root, "create", "--bundle", bundle,
                                *extra, cid], stdin=subprocess.DEVNULL, stdout=fo, stderr=fe,
                               timeout=120)
        with open(err, "rb") as f:
            msg = rbenv.strip_san_noise(f.read()).decode(errors="replace")
        if ok:
            self.tc.assertEqual(p.returncode, 0, f"create {cid}: {msg}")
        return p.returncode, msg, out, err

    def state(self, cid):
        rc, out, err = self.rb("state", cid)
        self.tc.assertEqual(rc, 0, err)
        return json.loads(out)

    def wait_output(self, path, want, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with open(path, "rb") as f:
                if want in f.read():
                    return
            time.sleep(0.02)
        with open(path, "rb") as f:
            self.tc.fail(f"{path}: no {want!r} within {timeout} s; have {f.read()!r}")


class Lifecycle(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        become_subreaper()

    def lifecycle(self, iso):
        rt = Runtime(self)
        b = rt.bundle("life", ["sh", "-c", "echo hello from $(hostname); read x; echo got $x; "
                               "exit 3"])
        pidfile = os.path.join(rt.tmp, "pid")
        # stdin is a pipe we keep: the container waits for our line
        # (stdout and stderr are files: the container keeps them, as containerd's fifos)
        r, w = os.pipe()
        out, err = os.path.join(rt.tmp, "life.out"), os.path.join(rt.tmp, "life.err")
        with open(out, "wb") as fo, open(err, "wb") as fe:
            p = subprocess.run([REALMBOX, "--root", rt.root, "create", "--isolation", iso,
                                "--bundle", b, "--pid-file", pidfile, "life"], stdin=r,
                               stdout=fo, stderr=fe, timeout=120)
        os.close(r)
        with open(err, "rb") as f:
            self.assertEqual(p.returncode, 0, f.read())
        st = rt.state("life")
        with open(pidfile) as f:
            pid = int(f.read())
        self.assertEqual((st["status"], st["pid"], st["id"], st["bundle"], st["ociVersion"]),
                         ("created", pid, "life", b, "1.0.2"))
        time.sleep(0.3)
        with open(out, "rb") as f:
            self.assertEqual(f.read(), b"", "the container ran before start")
        rc, o, e = rt.rb("start", "life")
        self.assertEqual((rc, e), (0, ""))
        self.assertEqual(rt.state("life")["status"], "running")
        rt.wait_output(out, b"hello from life\n")
        os.write(w, b"42\n")
        os.close(w)
        self.assertEqual(wait_status(pid), 3)
        with open(out, "rb") as f:
            self.assertEqual(f.read(), b"hello from life\ngot 42\n")
        st = rt.state("life")
        self.assertEqual((st["status"], st["pid"]), ("stopped", 0))
        rc, o, e = rt.rb("delete", "life")
        self.assertEqual((rc, e), (0, ""))
        rc, o, e = rt.rb("state", "life")
        self.assertEqual((rc, e), (1, "realmbox: state: container life does not exist\n"))

    def test_lifecycle_none(self):
        self.lifecycle("none")

    def test_lifecycle_realm(self):
        self.lifecycle("realm")

    def test_lifecycle_shim(self):
        self.lifecycle("shim")

    def test_isolation_annotation(self):
        """org.realmbox.isolation selects the mode; state.json records it."""
        rt = Runtime(self)
        b = rt.bundle("ann", ["true"], annotations={"org.realmbox.isolation": "none",
                                                    "x": "y"})
        rt.create("ann", b)
        st = rt.state("ann")
        self.assertEqual(st["annotations"], {"org.realmbox.isolation": "none", "x": "y"})
        with open(os.path.join(rt.root, "ann", "state.json")) as f:
            self.assertEqual(json.load(f)["isolation"], "none")
        b2 = rt.bundle("bad", ["true"], annotations={"org.realmbox.isolation": "vm"})
        rc, msg, _, _ = rt.create("bad", b2, ok=False)
        self.assertEqual((rc, msg), (1, "realmbox: create: annotation org.realmbox.isolation: "
                                        "vm: unknown isolation mode (want realm, shim or none)\n"))

    def test_kill_names_and_numbers(self):
        rt = Runtime(self)
        script = ("trap 'echo got USR1; exit 5' USR1; trap 'echo got TERM; exit 7' TERM; "
                  "trap 'echo got HUP; exit 9' HUP; echo ready; while :; do sleep 1; done")
        b = rt.bundle("k", ["sh", "-c", script])
        cases = [("USR1", 5, b"got USR1\n"), ("SIGTERM", 7, b"got TERM\n"),
                 ("1", 9, b"got HUP\n"), ("9", 137, b""), ("sigkill", 137, b""),
                 (None, 7, b"got TERM\n")]
        for iso in ("none", "realm"):
            for i, (sig, want, text) in enumerate(cases):
                cid = f"k{iso}{i}"
                rt.create(cid, b, "--isolation", iso, "--pid-file", os.path.join(rt.tmp, cid))
                pid = rt.state(cid)["pid"]
                self.assertEqual(rt.rb("start", cid)[0], 0)
                rt.wait_output(os.path.join(rt.tmp, cid + ".out"), b"ready\n")
                rc, o, e = rt.rb("kill", cid, *([sig] if sig else []))
                self.assertEqual((rc, e), (0, ""), (iso, sig))
                self.assertEqual(wait_status(pid), want, (iso, sig))
                with open(os.path.join(rt.tmp, cid + ".out"), "rb") as f:
                    self.assertEqual(f.read(), b"ready\n" + text, (iso, sig))
                rc, o, e = rt.rb("kill", cid, "TERM")
                self.assertEqual((rc, e), (1, "realmbox: kill: container not running\n"))
                self.assertEqual(rt.rb("delete", cid)[0], 0)

    def test_kill_all(self):
        """kill --all reaches every process, not only init (init here ignores TERM)."""
        rt = Runtime(self)
        # the child says ready only once its trap is set: it inherits init's
        # ignored TERM until then, and a TERM that came first would be lost
        script = ("trap '' TERM; (trap 'echo child got TERM; exit 0' TERM; echo ready; "
                  "while :; do sleep 1; done) & wait; echo init done")
        b = rt.bundle("ka", ["sh", "-c", script])
        for iso in ("none", "realm"):
            cid = "ka" + iso
            rt.create(cid, b, "--isolation", iso)
            pid = rt.state(cid)["pid"]
            rt.rb("start", cid)
            out = os.path.join(rt.tmp, cid + ".out")
            rt.wait_output(out, b"ready\n")
            rc, o, e = rt.rb("kill", "--all", cid, "TERM")
            self.assertEqual((rc, e), (0, ""), iso)
            self.assertEqual(wait_status(pid), 0, iso)
            with open(out, "rb") as f:
                self.assertEqual(f.read(), b"ready\nchild got TERM\ninit done\n", iso)

    def test_signal_to_container_pid(self):
        """A signal sent to the container's pid (the monitor) reaches its init, as containerd-shim
        or a user may send it."""
        rt = Runtime(self)
        b = rt.bundle("sp", ["sh", "-c", "trap 'echo got TERM; exit 7' TERM; echo ready; "
                             "while :; do sleep 1; done"])
        rt.create("sp", b, "--isolation", "none")
        pid = rt.state("sp")["pid"]
        rt.rb("start", "sp")
        rt.wait_output(os.path.join(rt.tmp, "sp.out"), b"ready\n")
        os.kill(pid, signal.SIGTERM)
        self.assertEqual(wait_status(pid), 7)

    def test_pause_resume(self):
        """pause stops the container's machine (state "paused", time stands still for
        it), resume lets it go on; what a paused container refuses, in runc's words."""
        rt = Runtime(self)
        b = rt.bundle("pz", ["sh", "-c", "i=0; while :; do i=$((i+1)); echo $i; sleep 0.1; "
                             "done"], annotations={"org.realmbox.exec": "allow"})
        for iso in ("none", "realm"):
            cid = "pz" + iso
            rt.create(cid, b, "--isolation", iso)
            pid = rt.state(cid)["pid"]
            rc, o, e = rt.rb("pause", cid)
            self.assertEqual((rc, e), (1, "realmbox: pause: container not running\n"), iso)
            self.assertEqual(rt.rb("start", cid)[0], 0)
            out = os.path.join(rt.tmp, cid + ".out")
            rt.wait_output(out, b"\n3\n")
            self.assertEqual(rt.rb("pause", cid), (0, "", ""), iso)
            self.assertEqual(rt.state(cid)["status"], "paused", iso)
            self.assertIn("paused", rt.rb("list")[1], iso)
            with open(out, "rb") as f:
                before = f.read()
            time.sleep(1)
            with open(out, "rb") as f:
                self.assertEqual(f.read(), before, f"{iso}: the paused container ran")
            for args, msg in ((("pause", cid), "pause: container not running"),
                              (("start", cid), "start: cannot start a container in the "
                                               "paused state"),
                              (("delete", cid), f"delete: cannot delete container {cid} that "
                                                "is not stopped: paused (use --force)"),
                              (("exec", cid, "true"), "exec: cannot exec in a paused "
                                                      "container"),
                              (("kill", cid, "TERM"), f"kill: container {cid} is paused: only "
                                                      "SIGKILL reaches it before resume")):
                rc, o, e = rt.rb(*args)
                self.assertEqual((rc, e), (1, f"realmbox: {msg}\n"), (iso, args))
            self.assertEqual(rt.rb("resume", cid), (0, "", ""), iso)
            self.assertEqual(rt.state(cid)["status"], "running", iso)
            rc, o, e = rt.rb("resume", cid)
            self.assertEqual((rc, e), (1, "realmbox: resume: container not paused\n"), iso)
            n = len(before.split())
            rt.wait_output(out, f"\n{n + 3}\n".encode())
            # SIGKILL reaches a paused container: it ends as killed with 9
            self.assertEqual(rt.rb("pause", cid)[0], 0, iso)
            self.assertEqual(rt.rb("kill", cid, "KILL"), (0, "", ""), iso)
            self.assertEqual(wait_status(pid), 137, iso)
            self.assertEqual(rt.state(cid)["status"], "stopped", iso)
            self.assertEqual(rt.rb("delete", cid)[0], 0, iso)

    def test_kill_created(self):
        """A created container that gets SIGKILL never runs and reads stopped (137)."""
        rt = Runtime(self)
        b = rt.bundle("kc", ["sh", "-c", "echo ran"])
        rt.create("kc", b, "--isolation", "none")
        pid = rt.state("kc")["pid"]
        self.assertEqual(rt.rb("kill", "kc", "KILL")[0], 0)
        self.assertEqual(wait_status(pid), 137)
        self.assertEqual(rt.state("kc")["status"], "stopped")
        with open(os.path.join(rt.tmp, "kc.out"), "rb") as f:
            self.assertEqual(f.read(), b"")

    def test_delete_running_refused(self):
        rt = Runtime(self)
        b = rt.bundle("d", ["sh", "-c", "echo ready; while :; do sleep 1; done"])
        rt.create("d", b, "--isolation", "none")
        pid = rt.state("d")["pid"]
        rt.rb("start", "d")
        rt.wait_output(os.path.join(rt.tmp, "d.out"), b"ready\n")
        rc, o, e = rt.rb("delete", "d")
        self.assertEqual((rc, e), (1, "realmbox: delete: cannot delete container d that is "
                                      "not stopped: running (use --force)\n"))
        self.assertEqual(rt.state("d")["status"], "running")
        rc, o, e = rt.rb("delete", "--force", "d")
        self.assertEqual((rc, e), (0, ""))
        self.assertEqual(wait_status(pid), 137)
        self.assertEqual(rt.rb("state", "d")[0], 1)
        self.assertEqual(rt.rb("delete", "--force", "d"), (0, "", ""))

    def test_errors(self):
        rt = Runtime(self)
        for cmd in ("state", "start", "kill", "delete", "ps", "exec"):
            rc, o, e = rt.rb(cmd, "nosuch", *(["true"] if cmd == "exec" else []))
            self.assertEqual((rc, e), (1, f"realmbox: {cmd}: container nosuch does not "
                                          "exist\n"), cmd)
        b = rt.bundle("dup", ["sh", "-c", "echo ready; sleep 30"])
        rt.create("dup", b, "--isolation", "none")
        rc, msg, _, _ = rt.create("dup", b, "--isolation", "none", ok=False)
        self.assertEqual((rc, msg), (1, "realmbox: create: container with id exists: dup\n"))
        self.assertEqual(rt.rb("start", "dup")[0], 0)
        rc, o, e = rt.rb("start", "dup")
        self.assertEqual((rc, e), (1, "realmbox: start: cannot start an already running "
                                      "container\n"))
        rc, o, e = rt.rb("kill", "dup", "NOPE")
        self.assertEqual((rc, e), (1, "realmbox: kill: unknown signal \"NOPE\"\n"))
        # bad bundles: nothing is left behind
        bad = os.path.join(rt.tmp, "badb")
        os.makedirs(bad)
        with open(os.path.join(bad, "config.json"), "w") as f:
            f.write('{"ociVersion": "1.0.2", "process": {"args": []}}')
        rc, msg, _, _ = rt.create("bad1", bad, ok=False)
        self.assertEqual((rc, msg), (1, f"realmbox: create: {bad}/config.json: process.args: "
                                        "must be a non-empty array of strings\n"))
        rc, msg, _, _ = rt.create("bad2", os.path.join(rt.tmp, "missing"), ok=False)
        self.assertEqual((rc, msg), (1, f"realmbox: create: bundle {rt.tmp}/missing: No such "
                                        "file or directory\n"))
        b3 = rt.bundle("noprog", ["nosuchprogram"])
        rc, msg, _, _ = rt.create("bad3", b3, ok=False)
        self.assertEqual((rc, msg), (1, 'realmbox: create: exec: "nosuchprogram": executable '
                                        'file not found in $PATH\n'))
        # args[0] with a '/' is checked as runc's exec.LookPath does (podman: 126, 127)
        b4 = rt.bundle("noexec", ["/etc/passwd"])
        rc, msg, _, _ = rt.create("bad4", b4, ok=False)
        self.assertEqual((rc, msg), (1, 'realmbox: create: exec: "/etc/passwd": permission '
                                        'denied\n'))
        b5 = rt.bundle("nofile", ["/bin/nosuch"])
        rc, msg, _, _ = rt.create("bad5", b5, ok=False)
        self.assertEqual((rc, msg), (1, 'realmbox: create: exec: "/bin/nosuch": stat '
                                        '/bin/nosuch: no such file or directory\n'))
        rc, msg, _, _ = rt.create("a/b", b, ok=False)
        self.assertEqual(rc, 1)
        self.assertIn("invalid container ID 'a/b'", msg)
        rc, msg, _, _ = rt.create("machine", b, ok=False)
        self.assertEqual((rc, msg), (1, "realmbox: create: container ID 'machine' is reserved "
                                        "(ROOT/machine holds the machine's attestation keys)\n"))
        rc, o, e = rt.rb("list", "-q")
        self.assertEqual(o.split(), ["dup"])
        rc, o, e = rt.rb("bogus-cmd")
        self.assertEqual(rc, 2)
        # runc's commands realmbox lacks say so (podman shows the reason)
        for cmd in ("checkpoint", "restore", "update"):
            rc, o, e = rt.rb(cmd, "dup")
            self.assertEqual(rc, 1, cmd)
            self.assertRegex(e, f"^realmbox: {cmd}: not supported: [^\n]+\n$")
        self.assertEqual(rt.state("dup")["status"], "running")

    def test_log_json(self):
        """containerd reads the failing command's reason from --log in JSON lines."""
        rt = Runtime(self)
        log = os.path.join(rt.tmp, "log.json")
        rc, o, e = rt.rb("--log", log, "--log-format", "json", "--systemd-cgroup", "start", "x1")
        self.assertEqual(rc, 1)
        with open(log) as f:
            lines = [json.loads(ln) for ln in f]
        self.assertEqual(lines[-1]["level"], "error")
        self.assertEqual(lines[-1]["msg"], "start: container x1 does not exist")
        self.assertRegex(lines[-1]["time"], r"^\d{4}-\d\d-\d\dT")

    def test_console_socket(self):
        """process.terminal: the pty master arrives over --console-socket (SCM_RIGHTS)."""
        rt = Runtime(self)
        b = rt.bundle("tty", ["sh", "-c", "test -t 0 && echo tty-yes; read x; echo got $x"],
                      terminal=True)
        rc, msg, _, _ = rt.create("t0", b, "--isolation", "none", ok=False)
        self.assertEqual(rc, 1)
        self.assertIn("cannot allocate tty", msg)
        sp = os.path.join(rt.tmp, "console.sock")
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(sp)
        srv.listen(1)
        got = {}

        def accept():
            c, _ = srv.accept()
            msg, fds, _, _ = socket.recv_fds(c, 1024, 1)
            got["name"], got["fd"] = msg, fds[0]
            c.close()

        th = threading.Thread(target=accept)
        th.start()
        rt.create("t1", b, "--isolation", "none", "--console-socket", sp)
        th.join(10)
        self.assertIn("fd", got)
        self.assertTrue(got["name"].startswith(b"/dev/pts/"), got["name"])
        master = got["fd"]
        pid = rt.state("t1")["pid"]
        self.assertEqual(rt.rb("start", "t1")[0], 0)
        os.write(master, b"abc\n")
        self.assertEqual(wait_status(pid), 0)
        data = b""
        os.set_blocking(master, False)
        try:
            while True:
                chunk = os.read(master, 4096)
                if not chunk:
                    break
                data += chunk
        except (BlockingIOError, OSError):
            pass
        os.close(master)
        self.assertIn(b"tty-yes", data)
        self.assertIn(b"got abc", data)

    def test_ps(self):
        """ps lists the container's processes (its own pids): the library OS in none mode,
        the System Realm's answer in realm mode, the deprivileged OS's thread's in shim."""
        rt = Runtime(self)
        b = rt.bundle("ps", ["sh", "-c", "sleep 30 & echo ready; wait"])
        for iso in ("none", "realm", "shim"):
            cid = "p" + iso
            rt.create(cid, b, "--isolation", iso)
            rc, o, e = rt.rb("ps", "--format", "json", cid)
            self.assertEqual((rc, o, e), (0, "[]\n", ""), "created: nothing runs yet")
            rt.rb("start", cid)
            rt.wait_output(os.path.join(rt.tmp, cid + ".out"), b"ready\n")
            rc, o, e = rt.rb("ps", "--format", "json", cid)
            self.assertEqual((rc, e), (0, ""), iso)
            self.assertEqual(json.loads(o), [1, 2], iso)
            rc, o, e = rt.rb("ps", cid)
            rows = [ln.split() for ln in o.splitlines()]
            self.assertEqual(rows[0], ["PID", "PPID", "STAT", "CMD"])
            self.assertEqual([r[0:3] for r in rows[1:]], [["1", "0", "R"], ["2", "1", "R"]], iso)
            self.assertEqual(rt.rb("delete", "--force", cid)[0], 0)
            rc, o, e = rt.rb("ps", cid)
            self.assertEqual((rc, e), (1, f"realmbox: ps: container {cid} does not exist\n"))

    def exec_case(self, iso):
        rt = Runtime(self)
        b = rt.bundle("ex", ["sh", "-c", "echo ready; sleep 60"],
                      annotations={"org.realmbox.exec": "allow"})
        with open(os.path.join(b, "config.json")) as f:
            cfg = json.load(f)
        cfg["process"]["env"].append("FOO=bar")
        with open(os.path.join(b, "config.json"), "w") as f:
            json.dump(cfg, f)
        rt.create("e1", b, "--isolation", iso)
        rc, o, e = rt.rb("exec", "e1", "true")
        self.assertEqual((rc, e), (1, "realmbox: exec: cannot exec in a created container\n"))
        rt.rb("start", "e1")
        rt.wait_output(os.path.join(rt.tmp, "e1.out"), b"ready\n")
        p = subprocess.run([REALMBOX, "--root", rt.root, "exec", "--env", "A=1", "--cwd", "/data",
                            "e1", "sh", "-c", "echo FOO=$FOO A=$A $(pwd) ppid=$PPID; read l; "
                            "echo got $l; echo err >&2; exit 6"], input=b"line\n",
                           capture_output=True, timeout=60)
        self.assertEqual((p.returncode, p.stdout, p.stderr),
                         (6, b"FOO=bar A=1 /data ppid=0\ngot line\n", b"err\n"))
        rc, o, e = rt.rb("exec", "e1", "nosuch")
        self.assertEqual((rc, e), (1, 'realmbox: exec: exec: "nosuch": executable file not found '
                                      'in $PATH\n'))
        # --process FILE (what containerd passes) and --detach --pid-file
        proc = os.path.join(rt.tmp, "proc.json")
        with open(proc, "w") as f:
            json.dump({"args": ["sh", "-c", "echo detached $X; sleep 1; exit 4"],
                       "env": ["X=y"], "cwd": "/", "terminal": False,
                       "user": {"uid": 0, "gid": 0}}, f)
        out = os.path.join(rt.tmp, "ex.out")
        pidf = os.path.join(rt.tmp, "ex.pid")
        with open(out, "wb") as fo:
            p = subprocess.run([REALMBOX, "--root", rt.root, "exec", "--process", proc,
                                "--detach", "--pid-file", pidf, "e1"], stdin=subprocess.DEVNULL,
                               stdout=fo, stderr=subprocess.STDOUT, timeout=60)
        self.assertEqual(p.returncode, 0)
        with open(pidf) as f:
            relay = int(f.read())
        rc, o, e = rt.rb("ps", "--format", "json", "e1")
        pids = json.loads(o)
        # init and the exec'd shell; a third pid is its `sleep 1` if the shell got to fork it
        self.assertEqual(pids[0], 1, pids)
        self.assertIn(len(pids), (2, 3), pids)
        self.assertEqual(wait_status(relay), 4)
        with open(out, "rb") as f:
            self.assertEqual(f.read(), b"detached y\n")
        # a signal to the exec's pid reaches the process (containerd kills exec pids directly)
        p = subprocess.Popen([REALMBOX, "--root", rt.root, "exec", "e1", "sh", "-c",
                              "trap 'echo trapped; exit 9' TERM; echo waiting; "
                              "while :; do sleep 1; done"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        self.assertEqual(p.stdout.readline(), b"waiting\n")
        p.send_signal(signal.SIGTERM)
        o, e = p.communicate(timeout=30)
        self.assertEqual((p.returncode, o), (9, b"trapped\n"))

    def console_server(self, rt, name):
        """A --console-socket listener: returns (path, thread, got); got["fd"] is the master."""
        sp = os.path.join(rt.tmp, name)
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(sp)
        srv.listen(1)
        got = {}

        def accept():
            c, _ = srv.accept()
            msg, fds, _, _ = socket.recv_fds(c, 1024, 1)
            got["name"], got["fd"] = msg, fds[0]
            c.close()
            srv.close()

        th = threading.Thread(target=accept)
        th.start()
        return sp, th, got

    @staticmethod
    def read_master(master, until, timeout=60):
        """What the container wrote to its terminal, up to `until` (or its end)."""
        data = b""
        deadline = time.time() + timeout
        while until not in data and time.time() < deadline:
            r, _, _ = select.select([master], [], [], 0.5)
            if not r:
                continue
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            data += chunk
        return data

    def exec_tty_case(self, iso):
        """exec --tty: the process's stdio is a terminal of its own, /dev/pts/N, on which
        isatty, ttyname (readlink of /proc/self/fd/0, then a stat that matches fstat) and
        tty work, while init's own terminal (/dev/pts/0) keeps working."""
        rt = Runtime(self)
        b = rt.bundle("xt", ["sh", "-c", "echo ready; read x; echo init-tty=$(tty) got=$x"],
                      terminal=True, annotations={"org.realmbox.exec": "allow"})
        sp, th, init = self.console_server(rt, "init.sock")
        rt.create("xt", b, "--isolation", iso, "--console-socket", sp)
        th.join(10)
        self.assertIn("fd", init)
        pid = rt.state("xt")["pid"]
        self.assertEqual(rt.rb("start", "xt")[0], 0)
        self.assertIn(b"ready", self.read_master(init["fd"], b"ready"))
        # fd 0's link, the stat of that path against fstat(0), /dev/tty, the terminal list
        script = ("t=$(tty) || exit 7; echo tty=$t; test -t 1 && echo isatty; "
                  "echo link=$(readlink /proc/self/fd/0); "
                  "[ \"$(stat -c %d.%i.%t.%T $t)\" = \"$(stat -L -c %d.%i.%t.%T /proc/self/fd/0)\" ]"
                  " && echo same-node; echo via-dev-tty > /dev/tty; echo pts: $(ls /dev/pts)")
        sp2, th2, ex = self.console_server(rt, "exec.sock")
        p = subprocess.run([REALMBOX, "--root", rt.root, "exec", "--tty", "--console-socket",
                            sp2, "xt", "sh", "-c", script], stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=60)
        th2.join(10)
        self.assertEqual((p.returncode, p.stderr), (0, b""))
        out = self.read_master(ex["fd"], b"pts:").replace(b"\r\n", b"\n")
        os.close(ex["fd"])
        m = re.search(rb"tty=(/dev/pts/([1-9]))\n", out)
        self.assertTrue(m, out)
        n = m.group(2).decode()
        self.assertIn(b"isatty\nlink=" + m.group(1) + b"\nsame-node\nvia-dev-tty\n", out)
        self.assertIn(f"pts: 0 {n}\n".encode(), out)
        # --process FILE with terminal: true (podman's and containerd's way), detached
        proc = os.path.join(rt.tmp, "proc.json")
        with open(proc, "w") as f:
            json.dump({"args": ["sh", "-c", "tty; exit 5"], "env": ["PATH=/bin"], "cwd": "/",
                       "terminal": True, "user": {"uid": 0, "gid": 0}}, f)
        sp3, th3, ex3 = self.console_server(rt, "exec3.sock")
        pidf = os.path.join(rt.tmp, "x3.pid")
        p = subprocess.run([REALMBOX, "--root", rt.root, "exec", "--process", proc, "--detach",
                            "--console-socket", sp3, "--pid-file", pidf, "xt"],
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
        th3.join(10)
        self.assertEqual((p.returncode, p.stderr), (0, b""))
        with open(pidf) as f:
            self.assertEqual(wait_status(int(f.read())), 5)
        self.assertRegex(self.read_master(ex3["fd"], b"\n"), rb"^/dev/pts/[1-9]\r?\n")
        os.close(ex3["fd"])
        # without a terminal: a pipe, `tty` says so and fails
        p = subprocess.run([REALMBOX, "--root", rt.root, "exec", "xt", "tty"],
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
        self.assertEqual((p.returncode, p.stdout), (1, b"not a tty\n"))
        # init's terminal still works
        os.write(init["fd"], b"abc\n")
        out = self.read_master(init["fd"], b"got=")
        self.assertIn(b"init-tty=/dev/pts/0 got=abc", out, out)
        self.assertEqual(wait_status(pid), 0)
        os.close(init["fd"])

    def test_exec_tty_none(self):
        self.exec_tty_case("none")

    def test_exec_tty_realm(self):
        self.exec_tty_case("realm")

    def test_exec_none(self):
        """exec: a new process in the running container with its own stdio, env, cwd, status."""
        self.exec_case("none")

    def test_exec_realm(self):
        """The same in a Container Realm: the System Realm starts it on a REC that never ran."""
        self.exec_case("realm")

    def test_exec_realm_needs_owner_consent(self):
        """Without org.realmbox.exec=allow in its measured configuration, a Container Realm
        refuses to start a process for the host (exec would hand the host the container)."""
        rt = Runtime(self)
        b = rt.bundle("ex", ["sh", "-c", "echo ready; sleep 60"])
        rt.create("e4", b, "--isolation", "realm")
        rt.rb("start", "e4")
        rt.wait_output(os.path.join(rt.tmp, "e4.out"), b"ready\n")
        rc, o, e = rt.rb("exec", "e4", "sh", "-c", "echo should-not-run")
        self.assertEqual((rc, o), (1, ""))
        self.assertEqual(e, "realmbox: exec: refused by the Container Realm: its measured "
                            "configuration does not allow the runtime to start processes "
                            "(annotation org.realmbox.exec: \"allow\" in config.json)\n")
        # the consent is part of the container's identity: the RIM differs
        b2 = rt.bundle("ex2", ["sh", "-c", "echo ready; sleep 60"],
                       annotations={"org.realmbox.exec": "allow"})
        rims = []
        for bundle in (b, b2):
            rc, o, e = rt.rb("measure", "--bundle", bundle, "--id", "e4")
            self.assertEqual(rc, 0, e)
            rims.append(o)
        self.assertNotEqual(rims[0], rims[1])
        b3 = rt.bundle("ex3", ["true"], annotations={"org.realmbox.exec": "yes"})
        rc, msg, _, _ = rt.create("e5", b3, ok=False)
        self.assertEqual(rc, 1)
        self.assertIn("org.realmbox.exec: want \"allow\" or \"deny\"", msg)

    def test_exec_shim(self):
        """The same with RContainer: the deprivileged OS's thread starts it between calls."""
        self.exec_case("shim")

    def test_exec_tty_shim(self):
        self.exec_tty_case("shim")

    def test_features(self):
        rc, o, e = Runtime(self).rb("features")
        self.assertEqual(rc, 0, e)
        f = json.loads(o)
        self.assertEqual((f["ociVersionMin"], f["ociVersionMax"]), ("1.0.0", "1.2.0"))
        self.assertEqual(f["hooks"], [])
        # each container has its own of every kind (none may be left out: docs/oci-config.md)
        self.assertEqual(f["linux"]["namespaces"], ["cgroup", "ipc", "mount", "network", "pid",
                                                    "time", "user", "uts"])
        self.assertFalse(f["linux"]["seccomp"]["enabled"])
        self.assertEqual(f["annotations"]["org.realmbox.isolation.modes"], "realm,shim,none")

    def test_run_detach_and_foreground(self):
        rt = Runtime(self)
        b = rt.bundle("r", ["sh", "-c", "echo run-out; exit 4"])
        out = os.path.join(rt.tmp, "rd.out")
        with open(out, "wb") as fo:
            p = subprocess.run([REALMBOX, "--root", rt.root, "run", "--detach", "--isolation",
                                "none", "--bundle", b, "rd"], stdin=subprocess.DEVNULL,
                               stdout=fo, stderr=subprocess.STDOUT, timeout=60)
        self.assertEqual(p.returncode, 0)
        pid = rt.state("rd")["pid"]
        self.assertEqual(wait_status(pid), 4)
        with open(out, "rb") as f:
            self.assertEqual(f.read(), b"run-out\n")
        self.assertEqual(rt.state("rd")["status"], "stopped")
        # --detach after the bundle's path (an option's value before it once hid it)
        with open(out, "wb") as fo:
            p = subprocess.run([REALMBOX, "--root", rt.root, "run", "--isolation", "none",
                                "--bundle", b, "--detach", "rd2"], stdin=subprocess.DEVNULL,
                               stdout=fo, stderr=subprocess.STDOUT, timeout=60)
        self.assertEqual(p.returncode, 0)
        self.assertEqual(wait_status(rt.state("rd2")["pid"]), 4)
        with open(out, "rb") as f:
            self.assertEqual(f.read(), b"run-out\n")
        # foreground with --pid-file: waits, exits with the status, deletes the container
        p = subprocess.run([REALMBOX, "--root", rt.root, "run", "--pid-file",
                            os.path.join(rt.tmp, "rf.pid"), "--isolation", "none", "--bundle", b,
                            "rf"], stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
        self.assertEqual((p.returncode, p.stdout), (4, b"run-out\n"))
        self.assertEqual(rt.rb("state", "rf")[0], 1)

    def test_killed_monitor(self):
        """A monitor killed from outside: state and list say stopped at once, delete works."""
        rt = Runtime(self)
        b = rt.bundle("km", ["sh", "-c", "echo ready; while :; do sleep 1; done"])
        rt.create("km", b, "--isolation", "none")
        pid = rt.state("km")["pid"]
        rt.rb("start", "km")
        rt.wait_output(os.path.join(rt.tmp, "km.out"), b"ready\n")
        os.kill(pid, signal.SIGKILL)
        self.assertEqual(wait_status(pid), 137)
        t0 = time.time()
        self.assertEqual(rt.state("km")["status"], "stopped")
        rc, o, e = rt.rb("list", "--format", "json")
        self.assertEqual([(c["id"], c["status"]) for c in json.loads(o)], [("km", "stopped")])
        rc, o, e = rt.rb("kill", "km", "TERM")
        self.assertEqual((rc, e), (1, "realmbox: kill: container not running\n"))
        self.assertLess(time.time() - t0, 5)
        self.assertEqual(rt.rb("delete", "km"), (0, "", ""))

    def test_parallel(self):
        """N containers created and started at once all run and exit with their status."""
        n = int(os.environ.get("RB_PARALLEL_N", "10"))
        iso = os.environ.get("RB_PARALLEL_ISOLATION", "none")
        rt = Runtime(self)
        b = rt.bundle("par", ["sh", "-c", "echo ready; read x; exit $x"])
        lat, errors, pids = {}, [], {}
        pipes = {i: os.pipe() for i in range(n)}

        def one(i):
            cid = f"par{i}"
            try:
                t0 = time.time()
                with open(os.path.join(rt.tmp, cid + ".out"), "wb") as fo:
                    p = subprocess.run([REALMBOX, "--root", rt.root, "create", "--isolation",
                                        iso, "--bundle", b, cid], stdin=pipes[i][0], stdout=fo,
                                       stderr=subprocess.STDOUT, timeout=120)
                if p.returncode:
                    raise AssertionError(f"create exit {p.returncode}")
                rc, o, e = rt.rb("start", cid)
                if rc:
                    raise AssertionError(e)
                lat[i] = time.time() - t0
                pids[i] = rt.state(cid)["pid"]
            except Exception as ex:  # noqa: BLE001 - reported below
                errors.append((cid, ex))

        t0 = time.time()
        ths = [threading.Thread(target=one, args=(i,)) for i in range(n)]
        for t in ths:
            t.start()
        for t in ths:
            t.join()
        self.assertEqual(errors, [])
        for i in range(n):
            self.assertIn(rt.state(f"par{i}")["status"], ("running",))
        for i in range(n):
            os.write(pipes[i][1], b"%d\n" % (i % 50))
        for i in range(n):
            self.assertEqual(wait_status(pids[i]), i % 50)
            self.assertEqual(rt.state(f"par{i}")["status"], "stopped")
        for r, w in pipes.values():
            os.close(r)
            os.close(w)
        s = sorted(lat.values())
        print(f"\n  {n} containers ({iso}) created+started in parallel in "
              f"{time.time() - t0:.2f} s; create+start latency median "
              f"{statistics.median(s) * 1000:.0f} ms, p95 "
              f"{s[max(0, int(round(0.95 * len(s))) - 1)] * 1000:.0f} ms", file=sys.stderr)


if __name__ == "__main__":
    unittest.main()
