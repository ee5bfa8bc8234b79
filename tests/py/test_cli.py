#!/usr/bin/env python3
"""The realmbox command line: `run` and `spec` as a user meets them.

Bad input gets one clear message on stderr ("realmbox: ..." naming the
thing and the reason), a non-zero exit status and changes nothing in the
bundle. Good input: `spec` writes runc's default layout, `run --isolation
none` of the busybox bundle prints what the container prints and exits with
its status (once a deployment provides deploy_run for none), realm and
shim answer "not supported yet" until they exist.
"""
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import env as rbenv  # noqa: E402

REALMBOX = rbenv.need_realmbox()


def realmbox(*args, cwd=None, stdin=b""):
    p = subprocess.run([REALMBOX, *args], cwd=cwd, input=stdin, capture_output=True,
                       timeout=120)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def snapshot(d):
    """Every path under d with its type, mode and content hash."""
    snap = {}
    for root, dirs, files in os.walk(d):
        for n in dirs + files:
            p = os.path.join(root, n)
            st = os.lstat(p)
            h = ""
            if os.path.isfile(p) and not os.path.islink(p):
                with open(p, "rb") as f:
                    h = hashlib.sha256(f.read()).hexdigest()
            snap[os.path.relpath(p, d)] = (st.st_mode, st.st_size, h)
    return snap


def none_deployment_built():
    """True once src/deploy/*.c defines deploy_run (then `run --isolation none` must work)."""
    for f in glob.glob(os.path.join(rbenv.REPO, "src", "deploy", "*.c")):
        with open(f, errors="replace") as fh:
            if "deploy_run(" in fh.read():
                return True
    return False


class Bundle:
    """A temporary bundle; root.path points at the busybox example rootfs."""

    def __init__(self, tc, config=None, raw=None, rootfs=None):
        self.dir = tempfile.mkdtemp(prefix="rb-cli-")
        tc.addCleanup(shutil.rmtree, self.dir)
        self.rootfs = rootfs or os.path.join(rbenv.bundle("busybox"), "rootfs")
        if raw is not None:
            with open(os.path.join(self.dir, "config.json"), "w") as f:
                f.write(raw)
        elif config is not None:
            self.write(config)

    def base(self, args=("sh", "-c", "echo hello from busybox")):
        return {"ociVersion": "1.0.2",
                "process": {"terminal": False, "args": list(args),
                            "env": ["PATH=/bin:/usr/bin"], "cwd": "/"},
                "root": {"path": self.rootfs, "readonly": True}}

    def write(self, cfg):
        with open(os.path.join(self.dir, "config.json"), "w") as f:
            json.dump(cfg, f)


class RunErrors(unittest.TestCase):
    def refuse(self, b, want, args=("run", "--isolation", "none"), status=1, cid="c1"):
        before = snapshot(b.dir)
        rc, out, err = realmbox(*args, "--bundle", b.dir, cid) if cid else \
            realmbox(*args, "--bundle", b.dir)
        self.assertEqual(rc, status, f"exit status; stderr: {err}")
        self.assertTrue(err.startswith("realmbox: "), err)
        for w in ([want] if isinstance(want, str) else want):
            self.assertIn(w, err)
        self.assertEqual(err.count("\n"), 1 if status == 1 else err.count("\n"), err)
        self.assertEqual(out, "")
        self.assertEqual(snapshot(b.dir), before, "the bundle changed")
        return err

    def test_malformed_json(self):
        b = Bundle(self, raw='{"ociVersion": "1.0.2",\n "process": {"args": ["sh"],}\n}\n')
        self.refuse(b, "config.json:2:")
        self.refuse(b, "malformed JSON")

    def test_missing_args(self):
        b = Bundle(self)
        cfg = b.base()
        del cfg["process"]["args"]
        b.write(cfg)
        self.refuse(b, "config.json: process.args: required")

    def test_empty_args(self):
        b = Bundle(self)
        cfg = b.base(args=())
        b.write(cfg)
        self.refuse(b, "process.args: must be a non-empty array of strings")

    def test_relative_cwd(self):
        b = Bundle(self)
        cfg = b.base()
        cfg["process"]["cwd"] = "tmp"
        b.write(cfg)
        self.refuse(b, 'process.cwd: "tmp": must be an absolute path')

    def test_missing_rootfs(self):
        b = Bundle(self)
        cfg = b.base()
        cfg["root"]["path"] = "rootfs"
        b.write(cfg)
        real = os.path.realpath(b.dir)
        self.refuse(b, f"root.path: {real}/rootfs: No such file or directory")

    def test_not_in_path(self):
        b = Bundle(self)
        b.write(b.base(args=("no-such-program", "x")))
        self.refuse(b, 'exec: "no-such-program": executable file not found in $PATH')
        cfg = b.base(args=("busybox",))
        cfg["process"]["env"] = ["PATH=/data:/etc"]  # busybox is in /bin only
        b.write(cfg)
        self.refuse(b, 'exec: "busybox": executable file not found in $PATH')

    def test_missing_config(self):
        b = Bundle(self)
        self.refuse(b, "config.json: No such file or directory")

    def test_unknown_isolation(self):
        b = Bundle(self)
        b.write(b.base())
        self.refuse(b, ["--isolation bogus", "unknown mode"],
                    args=("run", "--isolation", "bogus"))

    def test_bad_ids(self):
        b = Bundle(self)
        b.write(b.base())
        for cid in ("_x", "a/b", ".hidden", "a b", "é", "x" * 1025):
            self.refuse(b, f"invalid container ID '{cid}'", cid=cid)

    def test_missing_id(self):
        b = Bundle(self)
        b.write(b.base())
        self.refuse(b, "a container ID is required", cid=None, status=2)

    def test_unknown_option(self):
        b = Bundle(self)
        b.write(b.base())
        self.refuse(b, "unknown option --nosuch", args=("run", "--nosuch"), status=2)

    def test_terminal_without_tty(self):
        b = Bundle(self)
        cfg = b.base()
        cfg["process"]["terminal"] = True
        b.write(cfg)
        self.refuse(b, ["process.terminal is true", "stdin is not a terminal"])

    def test_unsupported_fields(self):
        b = Bundle(self)
        cfg = b.base()
        cfg["hooks"] = {"prestart": [{"path": "/bin/true"}]}
        b.write(cfg)
        self.refuse(b, "hooks: prestart: not supported (a hook is a host program")
        cfg = b.base()
        cfg["ociVersion"] = "2.0.0"
        b.write(cfg)
        self.refuse(b, 'ociVersion: "2.0.0": unsupported')
        cfg = b.base()
        cfg["process"]["rlimits"] = [{"type": "RLIMIT_NOPE", "soft": 1, "hard": 1}]
        b.write(cfg)
        self.refuse(b, 'process.rlimits[0].type: "RLIMIT_NOPE": unknown rlimit type')

    def test_ignored_fields_debug(self):
        b = Bundle(self)
        cfg = b.base()
        cfg["process"]["capabilities"] = {"bounding": ["CAP_KILL"]}
        cfg["mounts"] = [{"destination": "/proc", "type": "proc", "source": "proc"}]
        cfg["linux"] = {"namespaces": [{"type": t} for t in ("pid", "network", "ipc", "uts",
                                                             "mount")]}
        b.write(cfg)
        rc, out, err = realmbox("run", "--debug", "--isolation", "realm", "--bundle", b.dir,
                                "c1")
        self.assertIn("process.capabilities: ignored", err)
        self.assertIn("mounts[0]: /proc (type proc): the container OS provides it", err)
        self.assertIn("linux.namespaces: the container has its own of every kind", err)


class RunModes(unittest.TestCase):
    def test_realm_and_shim_not_yet(self):
        b = Bundle(self)
        b.write(b.base())
        for iso in ("realm", "shim"):
            rc, out, err = realmbox("run", "--isolation", iso, "--bundle", b.dir, "c1")
            if rc == 0 and out == "hello from busybox\n":
                continue  # the deployment exists now
            self.assertEqual(rc, 1, err)
            self.assertEqual(err, f"realmbox: run: isolation {iso}: not supported yet\n")
        # realm is the default
        rc, out, err = realmbox("run", "--bundle", b.dir, "c1")
        if not (rc == 0 and out == "hello from busybox\n"):
            self.assertEqual(err, "realmbox: run: isolation realm: not supported yet\n")

    @unittest.skipUnless(none_deployment_built(), "src/deploy has no deploy_run yet")
    def test_none_echo(self):
        b = Bundle(self)
        b.write(b.base())
        before = snapshot(b.dir)
        rc, out, err = realmbox("run", "--isolation", "none", "--bundle", b.dir, "c1")
        self.assertEqual((rc, out, err), (0, "hello from busybox\n", ""))
        b.write(b.base(args=("sh", "-c", "echo out; echo err >&2; exit 3")))
        rc, out, err = realmbox("run", "--isolation", "none", "--bundle", b.dir, "c2")
        self.assertEqual((rc, out, err), (3, "out\n", "err\n"))
        b.write(b.base(args=("sh", "-c", "kill -TERM $$")))
        rc, out, err = realmbox("run", "--isolation", "none", "--bundle", b.dir, "c3")
        self.assertEqual(rc, 143)
        b.write(b.base(args=("sh", "-c", "echo x")))
        rc, out, err = realmbox("run", "--isolation", "none", "--stats", "--bundle", b.dir,
                                "c4")
        self.assertEqual((rc, out), (0, "x\n"))
        for counter in ("syscalls", "forwarded", "world_switches", "rmm_copy_bytes",
                        "verify_refusals", "manifest"):
            self.assertIn(f"realmbox: stats: {counter}", err)
        b.write(b.base())
        self.assertEqual(snapshot(b.dir), before)

    @unittest.skipUnless(none_deployment_built(), "src/deploy has no deploy_run yet")
    def test_shim_stats_memory(self):
        """--stats in shim mode reports what the container cost the trusted side: the
        mini-OS's object tables (grown for it, not a fixed table) and the Root memory of the
        live GPTs (the OS-GPT and the container's shim-GPT)."""
        b = Bundle(self)
        b.write(b.base(args=("sh", "-c", "echo x")))
        rc, out, err = realmbox("run", "--isolation", "shim", "--stats", "--bundle", b.dir, "s1")
        self.assertEqual((rc, out), (0, "x\n"), err)
        stats = dict(re.findall(r"realmbox: stats: (minios_table_bytes|root_gpt_bytes) +(\d+)",
                                err))
        self.assertEqual(set(stats), {"minios_table_bytes", "root_gpt_bytes"}, err)
        # a con-shim, an mm and a task: a chunk and a directory granule each, at least
        self.assertGreaterEqual(int(stats["minios_table_bytes"]), 6 * 4096)
        self.assertLess(int(stats["minios_table_bytes"]), 256 * 1024)
        self.assertGreaterEqual(int(stats["root_gpt_bytes"]), 2 * 128 * 1024)

    @unittest.skipUnless(none_deployment_built(), "src/deploy has no deploy_run yet")
    def test_signals_forwarded(self):
        """SIGTERM to `realmbox run` reaches the container's init (runc's run forwards it):
        its trap runs and its exit status is realmbox's, in both modes."""
        b = Bundle(self)
        b.write(b.base(args=("sh", "-c", "trap 'echo got TERM; exit 7' TERM; echo ready; "
                             "while :; do sleep 1; done")))
        for iso in ("none", "realm"):
            p = subprocess.Popen([REALMBOX, "run", "--isolation", iso, "--bundle", b.dir,
                                  "sig"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            try:
                self.assertEqual(p.stdout.readline(), b"ready\n", iso)
                p.send_signal(15)
                out, err = p.communicate(timeout=60)
            finally:
                if p.poll() is None:
                    p.kill()
                    p.wait()
            self.assertEqual((p.returncode, out, rbenv.strip_san_noise(err)),
                             (7, b"got TERM\n", b""), iso)

    def test_bundle_default_is_cwd(self):
        b = Bundle(self)
        rc, out, err = realmbox("run", "--isolation", "none", "c1", cwd=b.dir)
        self.assertEqual(rc, 1)
        self.assertEqual(err, "realmbox: run: config.json: No such file or directory\n")


class Spec(unittest.TestCase):
    def test_default_spec(self):
        d = tempfile.mkdtemp(prefix="rb-spec-")
        self.addCleanup(shutil.rmtree, d)
        rc, out, err = realmbox("spec", cwd=d)
        self.assertEqual((rc, out, err), (0, "", ""))
        with open(os.path.join(d, "config.json")) as f:
            cfg = json.load(f)
        self.assertTrue(cfg["ociVersion"].startswith("1.0."))
        self.assertEqual(cfg["process"]["args"], ["sh"])
        self.assertIs(cfg["process"]["terminal"], True)
        self.assertEqual(cfg["process"]["cwd"], "/")
        self.assertIn("TERM=xterm", cfg["process"]["env"])
        self.assertTrue(any(e.startswith("PATH=") for e in cfg["process"]["env"]))
        self.assertEqual(cfg["root"], {"path": "rootfs", "readonly": True})
        self.assertEqual(cfg["hostname"], "realmbox")

        # never overwrites
        with open(os.path.join(d, "config.json"), "rb") as f:
            before = f.read()
        rc, out, err = realmbox("spec", cwd=d)
        self.assertEqual(rc, 1)
        self.assertEqual(err, "realmbox: spec: File config.json exists. Remove it first\n")
        with open(os.path.join(d, "config.json"), "rb") as f:
            self.assertEqual(f.read(), before)

        # and what it wrote loads (terminal aside), rootfs resolved in the bundle
        os.mkdir(os.path.join(d, "rootfs"))
        rc, out, err = realmbox("run", "--isolation", "none", "--bundle", d, "c1")
        self.assertIn("process.terminal is true", err)

    def test_spec_bundle_and_rootless(self):
        d = tempfile.mkdtemp(prefix="rb-spec-")
        self.addCleanup(shutil.rmtree, d)
        rc, out, err = realmbox("spec", "--bundle", d, "--rootless")
        self.assertEqual(rc, 0, err)
        with open(os.path.join(d, "config.json")) as f:
            cfg = json.load(f)
        self.assertEqual(cfg["linux"]["uidMappings"][0]["hostID"], os.getuid())
        rc, out, err = realmbox("spec", "--bundle", os.path.join(d, "nope"))
        self.assertEqual(rc, 1)
        self.assertIn(f"{d}/nope/config.json: No such file or directory", err)
        self.assertFalse(os.path.exists(os.path.join(d, "nope")))


class Help(unittest.TestCase):
    def test_help_lists_commands(self):
        rc, out, err = realmbox("--help")
        self.assertEqual(rc, 0)
        self.assertIn("run ", out)
        self.assertIn("spec ", out)
        rc, out, err = realmbox("run", "--help")
        self.assertEqual(rc, 0)
        self.assertIn("--isolation", out)


if __name__ == "__main__":
    unittest.main(verbosity=2)
