#!/usr/bin/env python3
"""runc as the oracle of the OCI lifecycle contract (issue 5): the same
command sequences under Debian's runc (an x86-64 busybox bundle,
tests/py/lib/peers.py) and under realmbox (the arm64 busybox bundle;
isolation none, realm and shim), each runtime with its own --root, and what a
client sees compared step by step: exit codes of every command, the
`state` JSON's keys and status after create / start / exit, the status a
waiting parent sees after `kill` with signal names and numbers (this test
process is a child subreaper, as containerd-shim is), errors for commands
in the wrong state (the same class, 0 or not, and a message naming the
problem: the texts differ), exec, `run`'s exit status, the JSON error
lines of --log, and process.oomScoreAdj at the container's pid.

Observations are normalised only where two runtimes must differ: pid
values, bundle paths, timestamps, the runtime's own ociVersion, error
texts (matched against what names the problem). A failure prints the
steps where the two runtimes differ, side by side.

Deliberate differences, asserted as such: a signal the container's init
sends itself (test_signals_inside); runc's update, checkpoint and
restore, which realmbox refuses with the reason (NotOffered; pause and
resume are test_runtime_cli's); usage errors exit 2 in realmbox, 1 in runc (both non-zero);
TERM to a created container: runc's waiting `runc init` exits 2,
realmbox's monitor 143 (both a failure, compared as such).

Skips with the reason when runc is not installed (scripts/setup.sh installs
it) or cannot run containers on this machine.
"""
import copy
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import env as rbenv  # noqa: E402
from lib import peers  # noqa: E402
from test_runtime_cli import become_subreaper, wait_status  # noqa: E402

REALMBOX = rbenv.need_realmbox()
RUNC = shutil.which("runc")
PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class Client:
    """One runtime as a client drives it: a private --root, bundles made from
    one config template with this runtime's rootfs, output in files."""

    def __init__(self, tc, label, argv, create_args, rootfs, template):
        self.tc, self.label, self.argv = tc, label, argv
        self.create_args, self.rootfs, self.template = create_args, rootfs, template
        self.tmp = tempfile.mkdtemp(prefix=f"rb-oracle-{label}-")
        self.root = os.path.join(self.tmp, "root")
        self.steps = []  # (step, normalised observation, raw text)
        tc.addCleanup(self.cleanup)

    def cleanup(self):
        rc, out, _ = self.cmd("list", "-q")
        for cid in out.split() if rc == 0 else []:
            self.cmd("delete", "--force", cid)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def cmd(self, *args, timeout=120, glob=()):
        """The runtime with --root, global options glob, then args: (exit, stdout, stderr)."""
        p = subprocess.run([*self.argv, "--root", self.root, *glob, *args],
                           capture_output=True, stdin=subprocess.DEVNULL, timeout=timeout)
        return (p.returncode, p.stdout.decode(errors="replace"),
                rbenv.strip_san_noise(p.stderr).decode(errors="replace"))

    def see(self, step, value, raw=""):
        self.steps.append((step, value, raw))

    def bundle(self, name, args, annotations=None):
        d = os.path.join(self.tmp, "b-" + name)
        os.makedirs(d)
        cfg = copy.deepcopy(self.template)
        if annotations:
            cfg["annotations"] = annotations
        cfg["process"]["args"] = list(args)
        cfg["process"]["terminal"] = False
        cfg["process"]["env"] = [PATH_ENV]
        cfg["root"] = {"path": self.rootfs, "readonly": True}
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(cfg, f, indent=1)
        return d

    def out_path(self, cid):
        return os.path.join(self.tmp, cid.replace("/", "_") + ".out")

    def create(self, cid, bundle, stdin=subprocess.DEVNULL, pid_file=None):
        """create with stdout/stderr to files (the container keeps them); (rc, stderr)."""
        extra = ["--pid-file", pid_file] if pid_file else []
        err = os.path.join(self.tmp, cid.replace("/", "_") + ".create-err")
        with open(self.out_path(cid), "ab") as fo, open(err, "wb") as fe:
            p = subprocess.run([*self.argv, "--root", self.root, "create", *self.create_args,
                                "--bundle", bundle, *extra, cid], stdin=stdin, stdout=fo,
                               stderr=fe, timeout=120)
        with open(err, "rb") as f:
            return p.returncode, rbenv.strip_san_noise(f.read()).decode(errors="replace")

    def state(self, cid):
        """(rc, state object or None, stderr)."""
        rc, out, err = self.cmd("state", cid)
        return rc, (json.loads(out) if rc == 0 else None), err

    def output(self, cid):
        with open(self.out_path(cid), "rb") as f:
            return f.read().decode(errors="replace")

    def wait_output(self, cid, want, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if want in self.output(cid):
                return
            time.sleep(0.02)
        self.tc.fail(f"{self.label}: {cid}: no {want!r} within {timeout} s; "
                     f"have {self.output(cid)!r}")

    # ---- observations ----------------------------------------------------------

    def see_rc(self, step, rc, err):
        self.see(step + ": exit", rc, err.strip())

    def see_error(self, step, rc, err, problem):
        """A refused command: non-zero exit and a message matching the problem's regex."""
        msg = err.strip()
        self.see(step + ": exit class", "fails" if rc else "succeeds", msg)
        self.see(step + ": message names the problem", bool(re.search(problem, msg, re.I)), msg)

    def see_state(self, step, cid, bundle=None, pid=None):
        rc, st, err = self.state(cid)
        self.see(step + ": state exit", rc, err.strip())
        if st is None:
            return None
        self.see(step + ": state keys", sorted(st), json.dumps(st))
        self.see(step + ": status", st.get("status"))
        self.see(step + ": id", st.get("id"))
        self.see(step + ": pid", "0" if st.get("pid") == 0 else
                 "the container's pid" if pid is None or st.get("pid") == pid else "other",
                 str(st.get("pid")))
        if bundle is not None:
            self.see(step + ": bundle is the bundle", st.get("bundle") == bundle,
                     st.get("bundle"))
        self.see(step + ": rootfs is root.path", st.get("rootfs") == os.path.realpath(
            self.rootfs), st.get("rootfs"))
        self.see(step + ": ociVersion is a version",
                 bool(re.fullmatch(r"1\.\d+\.\d+(-[0-9A-Za-z.-]+)?", str(st.get("ociVersion")))),
                 str(st.get("ociVersion")))
        self.see(step + ": created is an RFC 3339 time", rfc3339(st.get("created")),
                 str(st.get("created")))
        return st


def rfc3339(s):
    if not isinstance(s, str):
        return False
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)", s)
    if not m:
        return False
    datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")
    return True


def side_by_side(a, b):
    """The steps where a and b saw different things, with what each saw."""
    rows = []
    for i in range(max(len(a.steps), len(b.steps))):
        sa = a.steps[i] if i < len(a.steps) else ("-", "-", "")
        sb = b.steps[i] if i < len(b.steps) else ("-", "-", "")
        if sa[:2] == sb[:2]:
            continue
        name = sa[0] if sa[0] != "-" else sb[0]
        rows.append(f"step {i}: {name}\n     {a.label:>13}: {sa[1]!r}  {sa[2][:150]}\n"
                    f"     {b.label:>13}: {sb[1]!r}  {sb[2][:150]}")
    return "\n".join(rows)


class RuncOracle(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if RUNC is None:
            raise unittest.SkipTest("runc is not installed (scripts/setup.sh installs it)")
        become_subreaper()
        cls.tmp = tempfile.mkdtemp(prefix="rb-oracle-")
        try:
            cls.runc_rootfs = os.path.join(peers.runc_prepare(peers.CACHE, cls.tmp), "rootfs")
        except (RuntimeError, subprocess.CalledProcessError, OSError) as e:
            shutil.rmtree(cls.tmp, ignore_errors=True)
            raise unittest.SkipTest(f"no x86-64 busybox for runc: {e}")
        # runc's own default config.json is the template both runtimes get
        subprocess.run([RUNC, "spec"], cwd=cls.tmp, check=True, capture_output=True)
        with open(os.path.join(cls.tmp, "config.json")) as f:
            cls.template = json.load(f)
        cls.rb_rootfs = os.path.join(rbenv.bundle("busybox"), "rootfs")
        # runc must be able to run a container here at all
        probe = os.path.join(cls.tmp, "probe")
        os.makedirs(probe)
        cfg = copy.deepcopy(cls.template)
        cfg["process"].update(args=["true"], terminal=False)
        cfg["root"] = {"path": cls.runc_rootfs, "readonly": True}
        with open(os.path.join(probe, "config.json"), "w") as f:
            json.dump(cfg, f)
        p = subprocess.run([RUNC, "--root", os.path.join(cls.tmp, "root"), "run", "--bundle",
                            probe, "probe"], capture_output=True, stdin=subprocess.DEVNULL,
                           timeout=60)
        if p.returncode != 0:
            shutil.rmtree(cls.tmp, ignore_errors=True)
            raise unittest.SkipTest(f"runc cannot run a container on this machine: "
                                    f"{p.stderr.decode(errors='replace').strip()[-200:]}")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def clients(self):
        """runc, then realmbox in each mode compared with it."""
        yield Client(self, "runc", [RUNC], [], self.runc_rootfs, self.template)
        for iso in ("none", "realm", "shim"):
            yield Client(self, "realmbox-" + iso, [REALMBOX], ["--isolation", iso],
                         self.rb_rootfs, self.template)

    def compare(self, scenario):
        """Run scenario(client) under each runtime; every realmbox mode must see what runc sees."""
        results = [c for c in self.clients()]
        for c in results:
            scenario(c)
        oracle, diffs = results[0], []
        for c in results[1:]:
            if [s[:2] for s in c.steps] != [s[:2] for s in oracle.steps]:
                diffs.append(f"{c.label} differs from runc in these of {len(oracle.steps)} "
                             "steps:\n" + side_by_side(oracle, c))
        if diffs:
            self.fail("\n".join(diffs))

    # ---- scenarios ---------------------------------------------------------------

    def test_lifecycle(self):
        """create -> created -> start -> running -> output -> exit 3 seen by the parent ->
        stopped (pid 0) -> delete -> gone."""
        def scenario(c):
            b = c.bundle("life", ["sh", "-c", "echo ready; read x; echo got $x; exit 3"])
            pid_file = os.path.join(c.tmp, "life.pid")
            r, w = os.pipe()
            try:
                rc, err = c.create("life", b, stdin=r, pid_file=pid_file)
                os.close(r)
                c.see_rc("create", rc, err)
                with open(pid_file) as f:
                    pid = int(f.read())
                c.see_state("after create", "life", bundle=b, pid=pid)
                c.see("output before start", c.output("life"))
                rc, out, err = c.cmd("start", "life")
                c.see("start: exit, stdout, stderr", (rc, out, err), err)
                c.see_state("after start", "life", bundle=b, pid=pid)
                c.wait_output("life", "ready\n")
                rc, out, _ = c.cmd("list", "--format", "json")
                c.see("list: ids and status", [(x["id"], x["status"]) for x in json.loads(out)]
                      if rc == 0 else rc, out)
                c.see("list: keys", [sorted(x) for x in json.loads(out)] if rc == 0 else rc, out)
                os.write(w, b"42\n")
            finally:
                os.close(w)
            c.see("status the parent sees", wait_status(pid))
            c.see("output", c.output("life"))
            c.see_state("after exit", "life", bundle=b)
            rc, out, err = c.cmd("delete", "life")
            c.see("delete: exit, stdout, stderr", (rc, out, err), err)
            rc, st, err = c.state("life")
            c.see_error("state after delete", rc, err, r"does not exist")
            rc, out, err = c.cmd("list", "-q")
            c.see("list after delete", (rc, out), err)

        self.compare(scenario)

    def test_kill_names_and_numbers(self):
        """kill with names (USR1, SIGHUP, lower case), numbers (12, 9), no signal (TERM),
        signal 0; what the trap prints and the status the parent sees."""
        def scenario(c):
            # traps first, then "ready": no signal can come before its trap is set
            b = c.bundle("k", ["sh", "-c", "trap 'echo got USR1' USR1; trap 'echo got HUP' HUP; "
                               "trap 'echo got USR2' USR2; trap 'echo got TERM; exit 7' TERM; "
                               "echo ready; while :; do sleep 1; done"])
            for cid, sigs, want in (("k1", ["USR1", "SIGHUP", "12", "sigusr1", "0"], 137),
                                    ("k2", [None], 7)):
                c.create(cid, b)
                pid = c.state(cid)[1]["pid"]
                c.cmd("start", cid)
                c.wait_output(cid, "ready\n")
                text = "ready\n"
                for sig in sigs:
                    rc, out, err = c.cmd("kill", cid, *([sig] if sig else []))
                    c.see(f"{cid}: kill {sig or '(default)'}: exit, stderr", (rc, err), err)
                    expect = {"USR1": "got USR1\n", "SIGHUP": "got HUP\n", "12": "got USR2\n",
                              "sigusr1": "got USR1\n"}.get(sig)
                    if expect and rc == 0:
                        text += expect
                        c.wait_output(cid, text, timeout=30)
                if want == 137:
                    rc, out, err = c.cmd("kill", cid, "9")
                    c.see(f"{cid}: kill 9: exit, stderr", (rc, err), err)
                c.see(f"{cid}: status the parent sees", wait_status(pid))
                c.see(f"{cid}: output", c.output(cid))
                c.see(f"{cid}: status after exit", c.state(cid)[1]["status"])
                rc, out, err = c.cmd("delete", cid)
                c.see(f"{cid}: delete exit", rc, err)

        self.compare(scenario)

    def test_kill_init_without_handler(self):
        """The container's init is pid 1 of its own pid namespace under runc: a signal it has
        no handler for (TERM here) is dropped, the container keeps running; one it handles
        (WINCH, delivered after TERM would have been) ends it."""
        def scenario(c):
            b = c.bundle("nh", ["sh", "-c", "trap 'echo got WINCH; exit 5' WINCH; echo ready; "
                                "while :; do sleep 1; done"])
            c.create("nh", b)
            pid = c.state("nh")[1]["pid"]
            c.cmd("start", "nh")
            c.wait_output("nh", "ready\n")
            c.see("kill TERM: exit", c.cmd("kill", "nh", "TERM")[0])
            c.see("kill WINCH: exit", c.cmd("kill", "nh", "WINCH")[0])
            c.see("status the parent sees", wait_status(pid))
            c.see("output", c.output("nh"))
            c.cmd("delete", "nh")

        self.compare(scenario)

    def test_wrong_state(self):
        """Commands in the wrong state: create with an existing id, start twice, delete while
        running (no --force), an unknown signal, start after exit, kill a stopped container;
        state/start/kill/delete of an unknown id; delete --force of an unknown id; delete of
        a created container."""
        def scenario(c):
            b = c.bundle("ws", ["sh", "-c", "echo ready; read x; exit 0"])
            r, w = os.pipe()
            try:
                rc, err = c.create("ws", b, stdin=r)
                c.see_rc("create", rc, err)
                rc, err = c.create("ws", b, stdin=r)
                os.close(r)
                c.see_error("create with an existing id", rc, err, r"exist")
                pid = c.state("ws")[1]["pid"]
                c.see_rc("start", *c.cmd("start", "ws")[::2])
                rc, out, err = c.cmd("start", "ws")
                c.see_error("start twice", rc, err, r"already running")
                c.wait_output("ws", "ready\n")
                rc, out, err = c.cmd("delete", "ws")
                c.see_error("delete while running", rc, err, r"not stopped.*running")
                c.see("status after the refused delete", c.state("ws")[1]["status"])
                rc, out, err = c.cmd("kill", "ws", "NOPE")
                c.see_error("kill with an unknown signal", rc, err, r"unknown signal.*NOPE")
                os.write(w, b"\n")
            finally:
                os.close(w)
            c.see("status the parent sees", wait_status(pid))
            rc, out, err = c.cmd("start", "ws")
            c.see_error("start after exit", rc, err, r"stopped")
            rc, out, err = c.cmd("kill", "ws", "TERM")
            c.see_error("kill a stopped container", rc, err, r"not running")
            rc, out, err = c.cmd("kill", "ws", "KILL")
            c.see_error("kill -9 a stopped container", rc, err, r"not running")
            c.see_rc("delete", *c.cmd("delete", "ws")[::2])
            for cmd in ("state", "start", "kill", "delete"):
                rc, out, err = c.cmd(cmd, "nosuch")
                c.see_error(f"{cmd} of an unknown id", rc, err, r"does not exist")
            rc, out, err = c.cmd("delete", "--force", "nosuch")
            c.see("delete --force of an unknown id: exit, stderr", (rc, err), err)
            # bad requests (usage errors: runc exits 1, realmbox 2, as its README says)
            rc, err = c.create("nb", os.path.join(c.tmp, "nosuch-bundle"))
            c.see_error("create from a missing bundle", rc, err, r"no such file")
            os.makedirs(os.path.join(c.tmp, "empty"))
            rc, err = c.create("nc", os.path.join(c.tmp, "empty"))
            c.see_error("create from a bundle without config.json", rc, err,
                        r"config\.json.*(not found|no such file)")
            rc, err = c.create("a/b", b)
            c.see_error("create with an invalid id", rc, err, r"invalid container id")
            rc, out, err = c.cmd("start")
            c.see_error("start without an id", rc, err, r"requires exactly 1 argument|"
                        r"container id is required")
            # a created container that never ran: delete ends it (SIGKILL)
            c.create("wc", b)
            pid = c.state("wc")[1]["pid"]
            c.see_rc("delete a created container", *c.cmd("delete", "wc")[::2])
            c.see("created container: status the parent sees", wait_status(pid))
            c.see("created container: output", c.output("wc"))
            c.see_error("state after delete", *c.state("wc")[::2], r"does not exist")

        self.compare(scenario)

    def test_kill_created_force_delete_detach(self):
        """SIGKILL or TERM to a created container (never runs, stopped); delete --force of a
        running one (137, gone); run --detach (exit 0, then the container's own status);
        list's table header."""
        def scenario(c):
            b = c.bundle("f", ["sh", "-c", "echo ready; while :; do sleep 1; done"])
            c.create("kc", b)
            pid = c.state("kc")[1]["pid"]
            c.see_rc("kill KILL a created container", *c.cmd("kill", "kc", "KILL")[::2])
            c.see("created: status the parent sees", wait_status(pid))
            c.see("created: status after", c.state("kc")[1]["status"])
            c.see("created: output", c.output("kc"))
            c.see_rc("delete it", *c.cmd("delete", "kc")[::2])
            # TERM to a created container ends it too; runc's waiting `runc init` then exits
            # 2 (its own artifact), realmbox's monitor 143 (TERM): both non-zero
            c.create("kt", b)
            pid = c.state("kt")[1]["pid"]
            c.see_rc("kill TERM a created container", *c.cmd("kill", "kt", "TERM")[::2])
            c.see("created, TERM: the parent sees a failure", wait_status(pid) != 0)
            c.see("created, TERM: status after", c.state("kt")[1]["status"])
            rc, out, err = c.cmd("start", "kt")
            c.see_error("created, TERM: start after", rc, err, r"stopped")
            c.see("created, TERM: output", c.output("kt"))
            c.see_rc("delete it", *c.cmd("delete", "kt")[::2])
            c.create("fd", b)
            pid = c.state("fd")[1]["pid"]
            c.cmd("start", "fd")
            c.wait_output("fd", "ready\n")
            rc, out, err = c.cmd("list")
            c.see("list: table header", out.splitlines()[0].split() if out else rc, err)
            c.see("delete --force running: exit, stderr", c.cmd("delete", "--force", "fd")[::2])
            c.see("forced: status the parent sees", wait_status(pid))
            c.see_error("forced: state after", *c.state("fd")[::2], r"does not exist")
            b2 = c.bundle("d", ["sh", "-c", "read x; echo detached $x; exit 4"])
            r, w = os.pipe()
            try:
                with open(c.out_path("rd"), "wb") as fo:
                    p = subprocess.run([*c.argv, "--root", c.root, "run", "--detach",
                                        *c.create_args, "--bundle", b2, "rd"], stdin=r,
                                       stdout=fo, stderr=fo, timeout=120)
                os.close(r)
                c.see("run --detach: exit", p.returncode, c.output("rd"))
                rc, st, err = c.state("rd")
                c.see("run --detach: state exit", rc, err)
                c.see("run --detach: status", st and st["status"])
                os.write(w, b"x\n")
            finally:
                os.close(w)
            if st:
                c.see("run --detach: status the parent sees", wait_status(st["pid"]))
                c.see("run --detach: output", c.output("rd"))
                c.see("run --detach: status after", c.state("rd")[1]["status"])

        self.compare(scenario)

    def test_signals_inside(self):
        """Signals between the container's own processes: a child's USR1 and KILL to an init
        with no handler for them are dropped (pid-namespace init rules) in both runtimes. A
        signal init sends itself is the deliberate difference: runc's kernel drops it too,
        realmbox's container OS lets it act as on any process (src/libos/signal.c,
        sig_init_protected: the differential tests run programs as init and compare them
        with qemu-aarch64, where they are ordinary processes)."""
        script = "(kill -USR1 1; kill -9 1; echo child-sent); echo end; kill -TERM $$; " \
                 "echo survived; exit 4"
        seen = {}
        for c in self.clients():
            b = c.bundle("si", ["sh", "-c", script])
            p = subprocess.run([*c.argv, "--root", c.root, "run", *c.create_args, "--bundle",
                                b, "si"], capture_output=True, stdin=subprocess.DEVNULL,
                               timeout=120)
            seen[c.label] = (p.stdout.decode(errors="replace"), p.returncode)
        self.assertEqual(seen, {"runc": ("child-sent\nend\nsurvived\n", 4),
                                "realmbox-none": ("child-sent\nend\n", 143),
                                "realmbox-realm": ("child-sent\nend\n", 143),
                                "realmbox-shim": ("child-sent\nend\n", 143)})

    def test_exec(self):
        """exec in a running container: its stdout, stderr and exit status, a missing program,
        exec after the container stopped. (realm mode takes exec only with the measured
        consent annotation; runc ignores it.)"""
        def scenario(c):
            b = c.bundle("ex", ["sh", "-c", "echo ready; read x"],
                         annotations={"org.realmbox.exec": "allow"})
            r, w = os.pipe()
            try:
                c.create("ex", b, stdin=r)
                os.close(r)
                pid = c.state("ex")[1]["pid"]
                c.cmd("start", "ex")
                c.wait_output("ex", "ready\n")
                rc, out, err = c.cmd("exec", "ex", "sh", "-c", "echo out; echo err >&2; exit 6")
                c.see("exec: exit, stdout, stderr", (rc, out, err), err)
                rc, out, err = c.cmd("exec", "ex", "nosuchprogram")
                c.see_error("exec of a missing program", rc, err,
                            r"nosuchprogram.*(not found|no such file)")
                os.write(w, b"\n")
            finally:
                os.close(w)
            c.see("status the parent sees", wait_status(pid))
            rc, out, err = c.cmd("exec", "ex", "true")
            c.see_error("exec in a stopped container", rc, err, r"stopped|not running")
            c.cmd("delete", "ex")
            rc, out, err = c.cmd("exec", "nosuch", "true")
            c.see_error("exec in an unknown container", rc, err, r"does not exist")

        self.compare(scenario)

    def test_log_json(self):
        """--log FILE --log-format json (what containerd passes): a refused command's error
        is a JSON line {level, msg, time} in the file, level "error", msg naming the problem
        (containerd reports it from there)."""
        def scenario(c):
            log = os.path.join(c.tmp, "log.json")
            for cmd in (["start", "nosuch"], ["kill", "nosuch", "KILL"]):
                rc, out, err = c.cmd(*cmd, glob=["--log", log, "--log-format", "json"])
                with open(log) as f:
                    lines = f.read().splitlines()
                last = json.loads(lines[-1]) if lines else {}
                c.see(f"{cmd[0]}: exit class", "fails" if rc else "succeeds", err)
                c.see(f"{cmd[0]}: log line keys", sorted(last), json.dumps(last))
                c.see(f"{cmd[0]}: log level", last.get("level"), json.dumps(last))
                c.see(f"{cmd[0]}: log msg names the problem",
                      bool(re.search(r"does not exist", last.get("msg", ""))), json.dumps(last))
                c.see(f"{cmd[0]}: log time is RFC 3339", rfc3339(last.get("time")),
                      json.dumps(last))

        self.compare(scenario)

    def test_oom_score_adj(self):
        """process.oomScoreAdj as the host sees it at the container's pid (the host's OOM
        killer weighs the container by it)."""
        def scenario(c):
            b = c.bundle("oom", ["sh", "-c", "echo ready; read x"])
            with open(os.path.join(b, "config.json")) as f:
                cfg = json.load(f)
            cfg["process"]["oomScoreAdj"] = 345
            with open(os.path.join(b, "config.json"), "w") as f:
                json.dump(cfg, f)
            r, w = os.pipe()
            try:
                c.see_rc("create", *c.create("oom", b, stdin=r))
                os.close(r)
                pid = c.state("oom")[1]["pid"]
                with open(f"/proc/{pid}/oom_score_adj") as f:
                    c.see("oom_score_adj at the container's pid", f.read().strip())
                c.cmd("start", "oom")
                c.wait_output("oom", "ready\n")
                os.write(w, b"\n")
            finally:
                os.close(w)
            c.see("status the parent sees", wait_status(pid))
            c.cmd("delete", "oom")

        self.compare(scenario)

    def test_run_exit_status(self):
        """run in the foreground: the container's stdout and exit status (3), then it is gone."""
        def scenario(c):
            b = c.bundle("run", ["sh", "-c", "echo out; echo err >&2; exit 3"])
            p = subprocess.run([*c.argv, "--root", c.root, "run", *c.create_args, "--bundle",
                                b, "r1"], capture_output=True, stdin=subprocess.DEVNULL,
                               timeout=120)
            err = rbenv.strip_san_noise(p.stderr).decode(errors="replace")
            c.see("run: exit, stdout, stderr", (p.returncode, p.stdout.decode(), err), err)
            c.see_error("state after run", *c.state("r1")[::2], r"does not exist")
            b2 = c.bundle("run2", ["sh", "-c", "exit 0"])
            p = subprocess.run([*c.argv, "--root", c.root, "run", *c.create_args, "--bundle",
                                b2, "r2"], capture_output=True, stdin=subprocess.DEVNULL,
                               timeout=120)
            c.see("run exit 0", p.returncode, p.stderr.decode(errors="replace"))

        self.compare(scenario)


class NotOffered(unittest.TestCase):
    """runc commands realmbox does not offer: refused out loud with the reason (runc does
    them; these are the known differences a client sees)."""

    def test_refused_commands(self):
        for cmd, why in (("update", "fixed when it is created"),
                         ("checkpoint", "memory must not leave it"),
                         ("restore", "no checkpoints to restore")):
            p = subprocess.run([REALMBOX, cmd, "x"], capture_output=True, timeout=30)
            err = p.stderr.decode()
            self.assertEqual(p.returncode, 1, (cmd, err))
            self.assertTrue(err.startswith(f"realmbox: {cmd}: not supported: "), err)
            self.assertIn(why, err)


if __name__ == "__main__":
    unittest.main()
