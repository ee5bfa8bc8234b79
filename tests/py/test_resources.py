#!/usr/bin/env python3
"""linux.resources honoured by realmbox (docs/resources.md), the stats a
running container reports, and plain `run` registering its container.

- memory.limit: tests/programs/limits.c allocates and touches 1 MiB at a
  time; over the limit the container is killed (exit 137, as runc users
  see an OOM kill) in none, realm and shim; without the limit (the control)
  the same program finishes; a container beside the killed one is not
  affected.
- pids.limit: fork and pthread_create beyond the limit answer EAGAIN as
  Linux's pids controller does (the limit counts init: limit 5 lets init
  make 4); without it all 20 succeed.
- cpu.shares: the weight becomes the nice value of the container's host
  threads (shares 512 -> weight 20 -> nice 7).
- stats / events --stats: memory in use and its limit, pids and their limit,
  system calls; realm adds forwarded exceptions, REC exits and world
  switches, shim forwarded calls, EL3 round trips, GPT switches, TLBIs and
  rc_* calls, which grow while the container runs.
- invalid values (negative, non-numbers, out of range) are refused with the
  field named.
- foreground `run` is listed, has a state, can be killed from elsewhere,
  and its ID cannot be used twice at once; a run killed with SIGKILL does
  not keep its ID.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import env as rbenv  # noqa: E402

REALMBOX = rbenv.need_realmbox()
PROGRAMS = rbenv.bundle("programs")
ROOTFS = os.path.join(PROGRAMS, "rootfs")
MODES = ("none", "realm", "shim")


class Env:
    """A private runtime root and bundles in a temporary directory."""

    def __init__(self, tc):
        self.tc = tc
        self.tmp = tempfile.mkdtemp(prefix="rb-res-")
        self.root = os.path.join(self.tmp, "root")
        tc.addCleanup(self.cleanup)

    def cleanup(self):
        p = subprocess.run([REALMBOX, "--root", self.root, "list", "-q"], capture_output=True)
        for cid in p.stdout.decode().split():
            subprocess.run([REALMBOX, "--root", self.root, "delete", "--force", cid],
                           capture_output=True)
        subprocess.run(["rm", "-rf", self.tmp])

    def bundle(self, name, args, resources=None, annotations=None):
        d = os.path.join(self.tmp, name)
        os.makedirs(d, exist_ok=True)
        cfg = {"ociVersion": "1.0.2", "process": {
            "terminal": False, "user": {"uid": 0, "gid": 0}, "args": list(args),
            "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
            "cwd": "/"}, "root": {"path": ROOTFS, "readonly": True}, "hostname": name}
        if resources is not None:
            cfg["linux"] = {"resources": resources}
        if annotations:
            cfg["annotations"] = annotations
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(cfg, f)
        return d

    def rb(self, *args, timeout=180, stdin=subprocess.DEVNULL):
        p = subprocess.run([REALMBOX, "--root", self.root, *args], capture_output=True,
                           timeout=timeout, stdin=stdin)
        return (p.returncode, p.stdout.decode(errors="replace"),
                rbenv.strip_san_noise(p.stderr).decode(errors="replace"))

    def run(self, bundle, iso, cid, timeout=180):
        return self.rb("run", "--isolation", iso, "--bundle", bundle, cid, timeout=timeout)


class Memory(unittest.TestCase):
    def test_limit_kills_with_137(self):
        e = Env(self)
        hog = ["/prog/static/limits", "mem", "48"]
        limited = e.bundle("hog", hog, {"memory": {"limit": 16 << 20}})
        free = e.bundle("free", hog)
        for iso in MODES:
            rc, out, err = e.run(limited, iso, "m-" + iso)
            self.assertEqual(rc, 137, (iso, out[-200:], err))
            steps = [ln for ln in out.splitlines() if ln.startswith("allocated ")]
            # the program itself, its stack and libc's pages count too: it dies before 16 MiB
            self.assertTrue(8 <= len(steps) < 16, (iso, steps[-1:]))
            self.assertNotIn("done", out, iso)
            self.assertIn("memory limit of 4096 pages reached", err, iso)
            # the control: the same program without the limit finishes
            rc, out, err = e.run(free, iso, "f-" + iso)
            self.assertEqual((rc, out.splitlines()[-1:]), (0, ["done"]), (iso, err))

    def test_realm_pool_used_up_is_an_oom_kill(self):
        """realm: a container that uses up its realm's memory pool (REALMBOX_REALM_POOL_MAX_MB)
        is killed with SIGKILL as by Linux's OOM killer (137), not a segfault; a memory.limit
        above the pool is warned about."""
        e = Env(self)
        b = e.bundle("pool", ["/prog/static/limits", "mem", "64"], {"memory": {"limit": 1 << 30}})
        env = dict(os.environ, REALMBOX_REALM_POOL_MAX_MB="32")
        p = subprocess.run([REALMBOX, "--root", e.root, "run", "--isolation", "realm", "--bundle",
                            b, "pool"], capture_output=True, timeout=180, env=env,
                           stdin=subprocess.DEVNULL)
        out, err = p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
        self.assertEqual(p.returncode, 137, (out[-200:], err))
        steps = [ln for ln in out.splitlines() if ln.startswith("allocated ")]
        self.assertTrue(8 <= len(steps) < 32, steps[-1:])
        self.assertIn("out of memory: pid 1 wanted a page", err)
        self.assertIn("memory.limit (1024 MiB) is above the realm's memory pool (32 MiB)", err)

    def test_state_and_events_say_oom(self):
        """create/start: the monitor exits 137, state says oomKilled, events ends with oom."""
        e = Env(self)
        hog = e.bundle("hog", ["/prog/static/limits", "mem", "48"], {"memory": {"limit": 16 << 20}})
        calm = e.bundle("calm", ["true"])
        for iso in ("none", "realm"):
            for b, cid in ((hog, "o-" + iso), (calm, "c-" + iso)):
                # the container's stdio are files (the monitor keeps them, as containerd's fifos)
                errf = os.path.join(e.tmp, cid + ".err")
                with open(errf, "wb") as fe:
                    p = subprocess.run([REALMBOX, "--root", e.root, "create", "--isolation",
                                        iso, "--bundle", b, cid], stdin=subprocess.DEVNULL,
                                       stdout=subprocess.DEVNULL, stderr=fe, timeout=120)
                with open(errf) as f:
                    self.assertEqual(p.returncode, 0, f.read())
                self.assertEqual(e.rb("start", cid)[0], 0)
                rc, o, err = e.rb("events", "--interval", "100ms", cid, timeout=120)
                self.assertEqual(rc, 0, err)
                lines = [json.loads(ln) for ln in o.splitlines()]
                st = json.loads(e.rb("state", cid)[1])
                self.assertEqual(st["status"], "stopped")
                if b is hog:
                    self.assertEqual(lines[-1], {"type": "oom", "id": cid}, iso)
                    self.assertIs(st.get("oomKilled"), True, iso)
                else:
                    self.assertNotIn("oom", [ln["type"] for ln in lines], iso)
                    self.assertNotIn("oomKilled", st, iso)
                self.assertEqual(e.rb("delete", cid)[0], 0)

    def test_other_container_unaffected(self):
        e = Env(self)
        hog = e.bundle("hog", ["/prog/static/limits", "mem", "64"], {"memory": {"limit": 8 << 20}})
        calm = e.bundle("calm", ["sh", "-c", "sleep 1; echo calm done"])
        res = {}

        def calm_run():
            res["calm"] = e.run(calm, "none", "calm")

        th = threading.Thread(target=calm_run)
        th.start()
        res["hog"] = e.run(hog, "none", "hog")
        th.join(120)
        self.assertEqual(res["hog"][0], 137, res["hog"])
        self.assertEqual(res["calm"][:2], (0, "calm done\n"), res["calm"])


class Pids(unittest.TestCase):
    def test_fork_and_threads_eagain(self):
        e = Env(self)
        for what, prog in (("fork", "/prog/static/limits"), ("threads", "/prog/dynamic/limits")):
            limited = e.bundle("p" + what, [prog, what, "20"], {"pids": {"limit": 5}})
            free = e.bundle("f" + what, [prog, what, "20"])
            for iso in MODES:
                rc, out, err = e.run(limited, iso, f"p-{what}-{iso}")
                first = out.splitlines()[0] if out else ""
                want = ("forked 4, then errno EAGAIN" if what == "fork"
                        else "created 4 threads, then errno EAGAIN")
                self.assertEqual((rc, first), (0, want), (iso, out, err))
                if iso != "none":
                    continue
                rc, out, err = e.run(free, iso, f"f-{what}-{iso}")
                want = ("forked 20, then errno none" if what == "fork"
                        else "created 20 threads, then errno none")
                self.assertEqual((rc, out.splitlines()[0]), (0, want), (iso, out, err))


class Config(unittest.TestCase):
    def test_invalid_values_name_the_field(self):
        e = Env(self)
        cases = [
            ({"memory": {"limit": -5}}, "linux.resources.memory.limit: -5: negative"),
            ({"memory": {"limit": "1g"}}, "linux.resources.memory.limit: must be an integer"),
            ({"memory": {"limit": 1000}}, "linux.resources.memory.limit: 1000: out of range"),
            ({"pids": {"limit": -3}}, "linux.resources.pids.limit: -3: negative"),
            ({"pids": {"limit": 1.5}}, "linux.resources.pids.limit: must be an integer"),
            ({"cpu": {"shares": 1}}, "linux.resources.cpu.shares: 1: out of range"),
            ({"cpu": {"shares": "x"}}, "linux.resources.cpu.shares: must be an integer"),
            ({"unified": {"cpu.weight": "0"}}, "linux.resources.unified.cpu.weight: \"0\""),
            ({"unified": {"memory.max": "lots"}}, "linux.resources.unified.memory.max"),
            ({"memory": 5}, "linux.resources.memory: must be an object"),
        ]
        for i, (res, want) in enumerate(cases):
            b = e.bundle(f"bad{i}", ["true"], res)
            rc, out, err = e.run(b, "none", f"bad{i}")
            self.assertEqual(rc, 1, (res, err))
            self.assertRegex(err, r"^realmbox: run: \S*config\.json: " + re.escape(want), res)
        # -1 is runc's "no limit"; unknown fields are ignored out loud
        b = e.bundle("ok", ["true"], {"memory": {"limit": -1, "swap": 5}, "pids": {"limit": -1},
                                      "blockIO": {"weight": 10}})
        rc, out, err = e.run(b, "none", "ok")
        self.assertEqual(rc, 0, err)
        self.assertIn("linux.resources.memory.swap: ignored", err)
        self.assertIn("linux.resources.blockIO: ignored", err)

    def test_cpu_weight_is_nice(self):
        e = Env(self)
        b = e.bundle("cpu", ["sh", "-c", "echo up; sleep 3"], {"cpu": {"shares": 512}})
        for iso in ("none", "realm"):
            p = subprocess.Popen([REALMBOX, "--root", e.root, "run", "--isolation", iso,
                                  "--bundle", b, "c-" + iso], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
            try:
                self.assertEqual(p.stdout.readline(), b"up\n")
                nices = set()
                for t in os.listdir(f"/proc/{p.pid}/task"):
                    with open(f"/proc/{p.pid}/task/{t}/stat") as f:
                        nices.add(int(f.read().rsplit(")", 1)[1].split()[16]))
                self.assertEqual(nices, {7}, iso)  # runc: shares 512 -> weight 20 -> nice 7
            finally:
                p.communicate(timeout=60)
            self.assertEqual(p.returncode, 0)

    def test_features(self):
        e = Env(self)
        rc, out, err = e.rb("features")
        ann = json.loads(out)["annotations"]
        self.assertIn("memory.limit,pids.limit,cpu.shares", ann["org.realmbox.resources"])
        self.assertEqual(ann["org.realmbox.stats"], "none,shim,realm")


class Stats(unittest.TestCase):
    def test_stats_fields(self):
        e = Env(self)
        res = {"memory": {"limit": 64 << 20}, "pids": {"limit": 10}}
        b = e.bundle("st", ["sh", "-c", "echo ready; sleep 1; sleep 1; sleep 30"], res)
        for iso in MODES:
            cid = "s-" + iso
            out = os.path.join(e.tmp, cid + ".out")
            with open(out, "wb") as fo:
                p = subprocess.run([REALMBOX, "--root", e.root, "create", "--isolation", iso,
                                    "--bundle", b, cid], stdin=subprocess.DEVNULL, stdout=fo,
                                   stderr=subprocess.STDOUT, timeout=120)
            with open(out) as f:
                self.assertEqual(p.returncode, 0, f.read())
            rc, o, err = e.rb("stats", cid)
            self.assertEqual((rc, err), (1, f"realmbox: stats: container {cid} is not running\n"))
            self.assertEqual(e.rb("start", cid)[0], 0)
            deadline = time.time() + 60
            while time.time() < deadline:
                with open(out, "rb") as f:
                    if b"ready" in f.read():
                        break
                time.sleep(0.05)
            # "ready" comes before the shell forks its first sleep: ask until it has
            deadline = time.time() + 10
            while True:
                rc, o, err = e.rb("stats", cid)
                self.assertEqual(rc, 0, err)
                ev = json.loads(o)
                d = ev["data"]
                if d["pids"]["current"] == 2 or time.time() > deadline:
                    break
                time.sleep(0.05)
            self.assertEqual((ev["type"], ev["id"]), ("stats", cid))
            usage = d["memory"]["usage"]
            self.assertEqual(usage["limit"], 64 << 20)
            self.assertTrue(64 << 10 < usage["usage"] < 16 << 20, usage)
            self.assertEqual(usage["failcnt"], 0)
            self.assertEqual(d["pids"], {"current": 2, "limit": 10})  # sh and its sleep
            rb = d["realmbox"]
            self.assertGreater(rb["syscalls"], 10)
            self.assertEqual(rb["isolation"], iso)
            if iso == "realm":
                first = rb
                time.sleep(1.5)
                rc, o, err = e.rb("events", "--stats", cid)
                self.assertEqual(rc, 0, err)
                again = json.loads(o)["data"]["realmbox"]
                for k in ("forwarded", "rec_exits", "world_switches", "syscalls"):
                    self.assertGreater(again[k], first[k], k)
                self.assertGreater(first["forwarded"], 0)
            elif iso == "shim":
                # RContainer's costs: every system call is forwarded by the mini-OS to the
                # OS, with EL3 round trips and GPT switches (docs/rcontainer-abi.md)
                first = rb
                self.assertNotIn("world_switches", rb)
                time.sleep(1.5)
                rc, o, err = e.rb("events", "--stats", cid)
                self.assertEqual(rc, 0, err)
                again = json.loads(o)["data"]["realmbox"]
                for k in ("forwarded", "rc_el3_round_trips", "gpt_switches", "rc_calls",
                          "syscalls"):
                    self.assertGreater(again[k], first[k], k)
                self.assertGreaterEqual(first["forwarded"], first["syscalls"])
                self.assertGreaterEqual(first["rc_el3_round_trips"], 2 * first["syscalls"])
                self.assertIn("tlbis", first)
            else:
                self.assertNotIn("world_switches", rb)
                rc, o, err = e.rb("events", "--stats", cid)
                self.assertEqual((rc, json.loads(o)["type"]), (0, "stats"), err)
            e.rb("kill", cid, "KILL")
            e.rb("delete", "--force", cid)


class ForegroundRun(unittest.TestCase):
    def test_run_is_registered(self):
        e = Env(self)
        b = e.bundle("fg", ["sh", "-c", "echo ready; trap 'echo bye; exit 4' TERM; "
                                        "while :; do sleep 1; done"])
        for iso in ("none", "realm"):
            cid = "fg-" + iso
            p = subprocess.Popen([REALMBOX, "--root", e.root, "run", "--isolation", iso,
                                  "--bundle", b, cid], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
            try:
                self.assertEqual(p.stdout.readline(), b"ready\n")
                rc, o, err = e.rb("list", "-q")
                self.assertEqual((rc, o.split()), (0, [cid]), err)
                st = json.loads(e.rb("state", cid)[1])
                self.assertEqual((st["status"], st["pid"]), ("running", p.pid))
                rc, o, err = e.rb("run", "--isolation", iso, "--bundle", b, cid)
                self.assertEqual((rc, err), (1, f"realmbox: run: container with id exists: "
                                                f"{cid}\n"))
                rc, o, err = e.rb("ps", "--format", "json", cid)
                self.assertEqual(rc, 0, err)
                self.assertEqual(json.loads(o)[0], 1)
                self.assertEqual(e.rb("kill", cid, "TERM")[0], 0)
                out, err = p.communicate(timeout=60)
            finally:
                if p.poll() is None:
                    p.kill()
                    p.wait()
            self.assertEqual((p.returncode, out), (4, b"bye\n"), err)
            # runc's run deletes the container when it ends
            self.assertEqual(e.rb("list", "-q")[1], "")

    def test_killed_run_leaves_its_id_usable(self):
        """A run killed with SIGKILL reads stopped; the next run of that ID reclaims it."""
        e = Env(self)
        b = e.bundle("k", ["sh", "-c", "echo ready; sleep 30"])
        p = subprocess.Popen([REALMBOX, "--root", e.root, "run", "--isolation", "none",
                              "--bundle", b, "k1"], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        self.assertEqual(p.stdout.readline(), b"ready\n")
        p.kill()
        p.wait()
        p.stdout.close()
        st = json.loads(e.rb("state", "k1")[1])
        self.assertEqual(st["status"], "stopped")
        b2 = e.bundle("k2", ["sh", "-c", "echo again"])
        self.assertEqual(e.run(b2, "none", "k1")[:2], (0, "again\n"))
        self.assertEqual(e.rb("list", "-q")[1], "")


if __name__ == "__main__":
    unittest.main()
