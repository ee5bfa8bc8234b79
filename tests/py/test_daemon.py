#!/usr/bin/env python3
"""The machine daemon (docs/machine-daemon.md): one realm machine per runtime root.

What a user sees: the first realm container of a root starts the daemon;
later ones reuse its machine (warm start), up to 4 at once, the rest on a
machine of their own; a container's pid is still its monitor, which exits
with the container's status; ps, exec, kill, pause go through the daemon;
the daemon dying stops its containers (state says stopped, nothing hangs)
and the next container starts a new one; the daemon answers hostile
requests on its socket with errors and keeps serving; it exits when idle.
Each case uses its own --root and ends its daemon.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import env as rbenv  # noqa: E402
from test_runtime_cli import REALMBOX, Runtime, become_subreaper, wait_status  # noqa: E402


def ask(root, line, timeout=15):
    """One request line to ROOT/daemon.sock; its answer line (without newline), or None."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(os.path.join(root, "daemon.sock"))
        s.sendall(line if isinstance(line, bytes) else line.encode())
        buf = b""
        while not buf.endswith(b"\n"):
            k = s.recv(65536)
            if not k:
                break
            buf += k
        return buf.decode(errors="replace").rstrip("\n") if buf else None
    except OSError:
        return None
    finally:
        s.close()


def status(root):
    a = ask(root, "status\n")
    if a is None or not a.startswith("ok "):
        return None
    return json.loads(a[3:])


def pid_alive(pid):
    """Whether pid runs (a started daemon may be our child: we are a subreaper; reap it)."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


class Daemon(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        become_subreaper()

    def rt(self):
        rt = Runtime(self)
        self.addCleanup(self.end_daemon, rt)  # runs before Runtime's cleanup (LIFO)
        return rt

    def end_daemon(self, rt):
        st = status(rt.root)
        if st:
            try:
                os.kill(st["pid"], signal.SIGKILL)
            except ProcessLookupError:
                pass

    def wait_daemon_gone(self, pid, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline and pid_alive(pid):
            time.sleep(0.05)
        return not pid_alive(pid)

    def test_warm_run_reuses_the_machine(self):
        """run twice: the first starts the daemon, the second uses the same one; same output
        as a machine of its own (REALMBOX_DAEMON=0)."""
        rt = self.rt()
        b = rt.bundle("w", ["sh", "-c", "echo hi from $(hostname); exit 7"])
        rc, out, err = rt.rb("run", "--bundle", b, "w1")
        self.assertEqual((rc, out, err), (7, "hi from w\n", ""))
        st = status(rt.root)
        self.assertIsNotNone(st, "no daemon answers after a realm run")
        self.assertEqual((st["slots"], st["containers"]), (4, []))
        rc, out, err = rt.rb("run", "--bundle", b, "w2")
        self.assertEqual((rc, out, err), (7, "hi from w\n", ""))
        self.assertEqual(status(rt.root)["pid"], st["pid"], "a second daemon was started")
        rc, out, err = rt.rb("run", "--bundle", b, "w3",
                             env=dict(os.environ, REALMBOX_DAEMON="0"))
        self.assertEqual((rc, out, err), (7, "hi from w\n", ""))
        with open(os.path.join(rt.root, "daemon.log")) as f:
            self.assertIn(f"daemon: pid {st['pid']} serving", f.read())

    def test_two_containers_one_machine(self):
        """Two created+started containers run on the daemon at once: status lists both; ps,
        exec and kill reach the right one; one ends, the other goes on."""
        rt = self.rt()
        b = rt.bundle("two", ["sh", "-c", "echo ready; touch /tmp/mine-$(hostname); "
                              "trap 'echo term; exit 5' TERM; while true; do sleep 1; done"],
                      annotations={"org.realmbox.exec": "allow"})
        pids, outs = {}, {}
        for cid in ("a", "b"):
            rc, msg, outs[cid], _ = rt.create(cid, b)
            self.assertEqual(rt.rb("start", cid)[0], 0)
            rt.wait_output(outs[cid], b"ready\n")
            pids[cid] = rt.state(cid)["pid"]
        self.assertEqual(sorted(status(rt.root)["containers"]), ["a", "b"])
        # the loop's sleep (busybox: "exe") is there but for a moment between two
        for _ in range(100):
            rc, out, err = rt.rb("ps", "a")
            self.assertEqual(rc, 0, err)
            rows = [ln.split() for ln in out.splitlines()[1:]]
            if len(rows) >= 2:
                break
            time.sleep(0.1)
        self.assertEqual(rows[0][:2] + rows[0][3:], ["1", "0", "sh"], out)
        self.assertGreaterEqual(len(rows), 2, out)
        rc, out, err = rt.rb("exec", "b", "sh", "-c", "hostname; echo $((6*7))")
        self.assertEqual((rc, out, err), (0, "two\n42\n", ""))
        rc, out, err = rt.rb("exec", "a", "sh", "-c", "exit 9")
        self.assertEqual(rc, 9, err)
        self.assertEqual(rt.rb("kill", "a", "TERM")[0], 0)
        self.assertEqual(wait_status(pids["a"]), 5)
        with open(outs["a"], "rb") as f:
            self.assertEqual(f.read(), b"ready\nterm\n")
        self.assertEqual(rt.state("a")["status"], "stopped")
        self.assertEqual(rt.state("b")["status"], "running")
        self.assertEqual(status(rt.root)["containers"], ["b"])
        self.assertEqual(rt.rb("kill", "b", "KILL")[0], 0)
        self.assertEqual(wait_status(pids["b"]), 137)

    def test_more_than_four(self):
        """Six at once: four on the daemon, the others on machines of their own; all run and
        exit with their own status."""
        rt = self.rt()
        b = rt.bundle("six", ["sh", "-c", "echo ready; read x; exit $x"])
        pipes = {i: os.pipe() for i in range(6)}
        pids, errors = {}, []

        def one(i):
            try:
                with open(os.path.join(rt.tmp, f"s{i}.out"), "wb") as fo:
                    p = subprocess.run([REALMBOX, "--root", rt.root, "create", "--bundle", b,
                                        f"s{i}"], stdin=pipes[i][0], stdout=fo,
                                       stderr=subprocess.STDOUT, timeout=120)
                if p.returncode:
                    raise AssertionError(f"create s{i}: exit {p.returncode}")
                rc, o, e = rt.rb("start", f"s{i}")
                if rc:
                    raise AssertionError(f"start s{i}: {e}")
                pids[i] = rt.state(f"s{i}")["pid"]
            except Exception as ex:  # noqa: BLE001 - reported below
                errors.append(ex)

        ths = [threading.Thread(target=one, args=(i,)) for i in range(6)]
        for t in ths:
            t.start()
        for t in ths:
            t.join()
        self.assertEqual(errors, [])
        for i in range(6):
            rt.wait_output(os.path.join(rt.tmp, f"s{i}.out"), b"ready\n")
        on_daemon = status(rt.root)["containers"]
        self.assertEqual(len(on_daemon), 4, on_daemon)
        for i in range(6):
            os.write(pipes[i][1], b"%d\n" % (10 + i))
        for i in range(6):
            self.assertEqual(wait_status(pids[i]), 10 + i)

    def test_daemon_killed(self):
        """SIGKILL to the daemon: its containers' monitors exit (137), state and list say
        stopped within seconds, no command hangs, and the next container starts a new one."""
        rt = self.rt()
        b = rt.bundle("k", ["sh", "-c", "echo ready; while true; do sleep 1; done"])
        _, _, out, _ = rt.create("k1", b)
        self.assertEqual(rt.rb("start", "k1")[0], 0)
        rt.wait_output(out, b"ready\n")
        pid = rt.state("k1")["pid"]
        dpid = status(rt.root)["pid"]
        os.kill(dpid, signal.SIGKILL)
        self.assertEqual(wait_status(pid, timeout=20), 137)
        self.assertEqual(rt.state("k1")["status"], "stopped")
        rc, out, err = rt.rb("list", "--format", "json", timeout=20)
        self.assertEqual(rc, 0, err)
        self.assertEqual([(c["id"], c["status"]) for c in json.loads(out)], [("k1", "stopped")])
        self.assertEqual(rt.rb("delete", "k1", timeout=20)[0], 0)
        rc, out, err = rt.rb("run", "--bundle", rt.bundle("n", ["echo", "again"]), "k2",
                             timeout=120)
        self.assertEqual((rc, out), (0, "again\n"), err)
        self.assertNotEqual(status(rt.root)["pid"], dpid)

    def test_cpu_weight_per_container(self):
        """linux.resources.cpu.shares on the daemon: the container's REC threads run at its
        nice value, the daemon's own threads (and so the other containers') at 0."""
        rt = self.rt()
        b = rt.bundle("cw", ["sh", "-c", "echo ready; while true; do :; done"])
        with open(os.path.join(b, "config.json")) as f:
            cfg = json.load(f)
        cfg.setdefault("linux", {})["resources"] = {"cpu": {"shares": 64}}
        with open(os.path.join(b, "config.json"), "w") as f:
            json.dump(cfg, f)
        _, _, out, _ = rt.create("cw", b)
        self.assertEqual(rt.rb("start", "cw")[0], 0)
        rt.wait_output(out, b"ready\n")
        dpid = status(rt.root)["pid"]

        def nices():
            vals = []
            for tid in os.listdir(f"/proc/{dpid}/task"):
                try:
                    with open(f"/proc/{dpid}/task/{tid}/stat") as f:
                        vals.append(int(f.read().rsplit(")", 1)[1].split()[16]))
                except (OSError, IndexError, ValueError):
                    pass
            return vals
        seen = set()
        for _ in range(50):
            seen |= set(nices())
            if 16 in seen:
                break
            time.sleep(0.1)
        self.assertIn(16, seen, "no thread at the container's nice (cpu.shares 64 -> 16)")
        with open(f"/proc/{dpid}/stat") as f:
            self.assertEqual(int(f.read().rsplit(")", 1)[1].split()[16]), 0,
                             "the daemon itself took a container's weight")
        self.assertEqual(rt.rb("kill", "cw", "KILL")[0], 0)

    def test_other_settings_own_machine(self):
        """A container whose REALMBOX_* machine settings differ from the daemon's runs on a
        machine of its own (its RECs and pool are measured: the daemon's would be wrong)."""
        rt = self.rt()
        b = rt.bundle("set", ["echo", "ok"])
        self.assertEqual(rt.rb("run", "--bundle", b, "s1")[:2], (0, "ok\n"))
        dpid = status(rt.root)["pid"]
        rc, out, err = rt.rb("--debug", "run", "--bundle", b, "s2",
                             env=dict(os.environ, REALMBOX_REALM_RECS="4"))
        self.assertEqual((rc, out), (0, "ok\n"), err)
        self.assertIn("runs on its own machine: the machine daemon runs with other REALMBOX_*"
                      " settings", err)
        self.assertEqual(status(rt.root)["pid"], dpid)

    def test_rootfs_changed_since_create(self):
        """The daemon measures the rootfs again at start: a file changed after create makes
        start's container fail with the reason, not run with other files."""
        rt = self.rt()
        rootfs = os.path.join(rt.tmp, "rootfs")
        shutil.copytree(os.path.join(rbenv.bundle("busybox"), "rootfs"), rootfs, symlinks=True)
        b = rt.bundle("chg", ["cat", "/etc/motd"])
        with open(os.path.join(b, "config.json")) as f:
            cfg = json.load(f)
        cfg["root"]["path"] = rootfs
        with open(os.path.join(b, "config.json"), "w") as f:
            json.dump(cfg, f)
        with open(os.path.join(rootfs, "etc", "motd"), "w") as f:
            f.write("before\n")
        self.assertEqual(rt.rb("run", "--bundle", b, "c0")[:2], (0, "before\n"))
        _, _, out, err = rt.create("c1", b)
        pid = rt.state("c1")["pid"]
        with open(os.path.join(rootfs, "etc", "motd"), "w") as f:
            f.write("after!\n")
        rt.rb("start", "c1")
        self.assertNotEqual(wait_status(pid), 0)
        with open(out, "rb") as f:
            self.assertNotIn(b"after", f.read())
        with open(err, "rb") as f:
            self.assertIn(b"the rootfs changed since the container was created", f.read())

    PROBE = ["read HOLD_VA: SIGSEGV", "write(pipe, HOLD_VA): EFAULT",
             "read(pipe, HOLD_VA): EFAULT", "open /tmp/secret: No such file or directory",
             "smc #0: SIGILL", "hvc #0: SIGILL", "scan: secret found 0 times"]

    def test_neighbour_cannot_reach(self):
        """A container attacking another on the same machine (realm: both Container Realms
        on the daemon's System Realm; shim: two machines): the neighbour's address faults,
        system calls aimed at it get EFAULT, its /tmp file is not there, smc/hvc from EL0 are
        undefined, a scan of everything readable never finds its secret, and the holder's
        secret is intact afterwards. Control: the same scan finds the secret in its own
        memory (8192 copies), so a scan that reached the neighbour would say so."""
        rt = self.rt()
        root = os.path.join(rbenv.bundle("programs"), "rootfs")
        hold = rt.bundle("hold", ["/prog/static/neighbour", "hold", "0x5eed"])
        probe = rt.bundle("probe", ["/prog/static/neighbour", "probe", "0x5eed"])
        selfb = rt.bundle("self", ["/prog/static/neighbour", "self", "0x5eed"])
        for b in (hold, probe, selfb):
            with open(os.path.join(b, "config.json")) as f:
                cfg = json.load(f)
            cfg["root"] = {"path": root, "readonly": False}  # writes: the container's overlay
            with open(os.path.join(b, "config.json"), "w") as f:
                json.dump(cfg, f)
        for iso in ("realm", "shim"):
            _, _, out, _ = rt.create("h-" + iso, hold, "--isolation", iso)
            self.assertEqual(rt.rb("start", "h-" + iso)[0], 0)
            rt.wait_output(out, b"holding\n")
            hpid = rt.state("h-" + iso)["pid"]
            _, _, pout, perr = rt.create("p-" + iso, probe, "--isolation", iso)
            if iso == "realm":
                before = status(rt.root)
                self.assertEqual(before["containers"], ["h-realm"])
            ppid = rt.state("p-" + iso)["pid"]
            self.assertEqual(rt.rb("start", "p-" + iso)[0], 0)
            self.assertEqual(wait_status(ppid), 0)
            if iso == "realm":
                after = status(rt.root)
                self.assertEqual((after["pid"], after["served"], after["containers"]),
                                 (before["pid"], before["served"] + 1, ["h-realm"]),
                                 "the probe did not run on the holder's machine")
            with open(pout) as f:
                self.assertEqual(f.read().splitlines(), self.PROBE, iso)
            with open(perr) as f:
                scanned = int(re.search(r"scanned (\d+) bytes", f.read()).group(1))
            self.assertGreater(scanned, 512 << 10, iso)
            self.assertEqual(rt.rb("kill", "h-" + iso, "TERM")[0], 0)
            self.assertEqual(wait_status(hpid), 0)
            with open(out) as f:
                self.assertEqual(f.read(), "holding\nintact\n", iso)
            rc, o, e = rt.rb("run", "--isolation", iso, "--bundle", selfb, "s-" + iso)
            self.assertEqual((rc, o), (0, "scan: secret found 8192 times\n"), (iso, e))

    @staticmethod
    def stats(err):
        """--stats lines of a run's stderr: {name: int}."""
        out = {}
        for m in re.finditer(r"realmbox: stats: (\w+)\s+(\d+)\n", err):
            out[m.group(1)] = int(m.group(2))
        return out

    def test_shared_translation(self):
        """Shared translation (plat/emu/cpu/cpu.h): a container on a warm daemon reuses the
        code the last one compiled for the same bytes (busybox ls: a tenth of the words
        translated, same output); a container with other code at the same address runs its
        own (written at run time into an RWX page at a fixed address, by two containers with
        different numbers, and static programs that differ at the same addresses);
        REALMBOX_SHARED_CODE=0 reuses nothing."""
        rt = self.rt()
        ls = rt.bundle("ls", ["ls", "/"])
        words, reused, outs = [], [], []
        for i in range(3):
            rc, out, err = rt.rb("run", "--stats", "--bundle", ls, "ls%d" % i)
            self.assertEqual(rc, 0, err)
            st = self.stats(err)
            words.append(st["code_words"])
            reused.append(st["code_pages_reused"])
            outs.append(out)
        self.assertEqual(outs[1:], outs[:1] * 2)
        self.assertIn("bin\n", outs[0])
        self.assertGreater(words[0], 1000)
        for i in (1, 2):
            self.assertLess(words[i], words[0] // 4, (words, reused))
            self.assertGreater(reused[i], 10, (words, reused))

        root = os.path.join(rbenv.bundle("programs"), "rootfs")

        def prog(name, args):
            b = rt.bundle(name, args)
            with open(os.path.join(b, "config.json")) as f:
                cfg = json.load(f)
            cfg["root"] = {"path": root, "readonly": True}
            with open(os.path.join(b, "config.json"), "w") as f:
                json.dump(cfg, f)
            return b
        for n in (7, 20, 7, 1000):
            rc, out, err = rt.rb("run", "--bundle", prog("jit%d" % n, ["/prog/static/jitcode",
                                                                        str(n)]), "j%d" % n)
            self.assertEqual((rc, out), (0, "%d %d\n" % (n, n + 1)), err)
        for args, want in ((["/prog/static/exitcode", "3"], (3, "exiting with 3\n")),
                           (["/prog/static/hello"], None),
                           (["/prog/static/exitcode", "4"], (4, "exiting with 4\n"))):
            rc, out, err = rt.rb("run", "--bundle", prog("p", args), "p")
            if want:
                self.assertEqual((rc, out), want, err)
            else:
                self.assertEqual(rc, 0, err)
                self.assertTrue(out, err)

        off = Runtime(self)
        self.addCleanup(self.end_daemon, off)
        env = dict(os.environ, REALMBOX_SHARED_CODE="0")
        ws = []
        for i in range(2):
            rc, out, err = off.rb("run", "--stats", "--bundle", ls, "off%d" % i, env=env)
            self.assertEqual((rc, out), (0, outs[0]), err)
            st = self.stats(err)
            self.assertEqual(st["code_pages_reused"], 0)
            ws.append(st["code_words"])
        self.assertGreater(ws[1], words[0] // 2, ws)
        print("shared translation, busybox ls on the daemon: words translated %s (off: %s), "
              "pages reused %s" % (words, ws, reused), file=sys.stderr)

    def test_hostile_requests(self):
        """Malformed and hostile requests on the daemon's socket get errors; it keeps
        serving containers."""
        rt = self.rt()
        b = rt.bundle("h", ["echo", "fine"])
        self.assertEqual(rt.rb("run", "--bundle", b, "h0")[:2], (0, "fine\n"))
        bad = {
            "nonsense\n": "unknown request",
            "run {\n": "run: want",
            "run {\"config\": 5, \"digest\": \"00\"}\n": "run: want",
            "run {\"config\": {}, \"digest\": \"" + "0" * 64 + "\", \"log_level\": 1}\n":
                "config: id: missing",
            "run {\"config\": {\"id\": \"../x\", \"bundle\": \"/\", \"rootfs\": \"/\", "
            "\"cwd\": \"/\", \"args\": [\"x\"], \"env\": [], \"isolation\": \"realm\"}, "
            "\"digest\": \"" + "0" * 64 + "\", \"log_level\": 1}\n": "not a container id",
            "run {\"config\": {\"id\": \"x\", \"bundle\": \"/\", \"rootfs\": \"/\", "
            "\"cwd\": \"/\", \"args\": [\"x\"], \"env\": [], \"isolation\": \"realm\", "
            "\"uid\": -1}, \"digest\": \"" + "0" * 64 + "\", \"log_level\": 1}\n":
                "uid: not an integer",
            "run {\"config\": {\"id\": \"x\", \"bundle\": \"/\", \"rootfs\": \"/\", "
            "\"cwd\": \"/\", \"args\": [\"x\"], \"env\": [], \"isolation\": \"none\"}, "
            "\"digest\": \"" + "0" * 64 + "\", \"log_level\": 1}\n": "isolation realm only",
            "run {\"config\": {\"id\": \"x\", \"bundle\": \"/\", \"rootfs\": \"/\", "
            "\"cwd\": \"/\", \"args\": [\"x\"], \"env\": [], \"isolation\": \"realm\"}, "
            "\"digest\": \"" + "0" * 64 + "\", \"log_level\": 1}\n": "stdin, stdout and stderr",
            "kill ../../etc 9\n": "not a container id",
            "kill h0 99\n": "invalid signal",
            "kill nosuch 9\n": "err 3 ",
            "ps nosuch\n": "err 3 ",
            "stats nosuch\n": "err 3 ",
            "attest nosuch 00\n": "64 bytes",
            "pause nosuch 2\n": "want 1",
            "exec_kill nosuch x y\n": "err 22",
        }
        for req, want in bad.items():
            a = ask(rt.root, req)
            self.assertIsNotNone(a, req)
            self.assertTrue(a.startswith("err "), (req, a))
            self.assertIn(want, a, req)
        # a line that never ends, and a client that goes away mid-line
        self.assertIsNone(ask(rt.root, b"x" * (2 << 20), timeout=30))
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(os.path.join(rt.root, "daemon.sock"))
        s.sendall(b"run {\"conf")
        s.close()
        self.assertIsNotNone(status(rt.root))
        self.assertEqual(rt.rb("run", "--bundle", b, "h1")[:2], (0, "fine\n"))

    def test_idle_exit_and_foreground(self):
        """A started daemon exits after REALMBOX_DAEMON_IDLE seconds with nothing to do and
        removes its socket; `realmbox daemon` in the foreground serves until SIGTERM."""
        rt = self.rt()
        b = rt.bundle("i", ["echo", "x"])
        env = dict(os.environ, REALMBOX_DAEMON_IDLE="1")
        self.assertEqual(rt.rb("run", "--bundle", b, "i1", env=env)[:2], (0, "x\n"))
        dpid = status(rt.root)["pid"]
        self.assertTrue(self.wait_daemon_gone(dpid), "the idle daemon did not exit")
        self.assertFalse(os.path.exists(os.path.join(rt.root, "daemon.sock")))

        fg = subprocess.Popen([REALMBOX, "--root", rt.root, "daemon"], stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.addCleanup(lambda: fg.poll() is None and fg.kill())
        deadline = time.time() + 60
        while status(rt.root) is None and time.time() < deadline and fg.poll() is None:
            time.sleep(0.05)
        self.assertEqual(status(rt.root)["pid"], fg.pid)
        self.assertEqual(rt.rb("run", "--bundle", b, "i2")[:2], (0, "x\n"))
        # a second daemon for the same root is refused while this one lives
        p = subprocess.run([REALMBOX, "--root", rt.root, "daemon"], capture_output=True,
                           timeout=60, stdin=subprocess.DEVNULL)
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"another daemon serves this root", p.stderr)
        fg.send_signal(signal.SIGTERM)
        self.assertEqual(fg.wait(timeout=30), 0)
        self.assertFalse(os.path.exists(os.path.join(rt.root, "daemon.sock")))


if __name__ == "__main__":
    unittest.main()
