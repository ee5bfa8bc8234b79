#!/usr/bin/env python3
"""Bind mounts (config.json `mounts`, type bind; podman's -v, Kubernetes volumes):
measured parts of the container's files, in every mode.

A directory and a file appear at their destinations (a destination the
rootfs lacks gets its directories); their content is the host's as it was
at create and is measured (the RIM changes with it); a mounted file changed
after create is never read as the new bytes: realm (on the machine daemon)
refuses the start, none and shim read EIO; writes never reach the host.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import env as rbenv  # noqa: E402

REALMBOX = rbenv.need_realmbox()
ROOTFS = os.path.join(rbenv.bundle("busybox"), "rootfs")
MODES = ("none", "realm", "shim")


class Mounts(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="rb-mnt-")
        self.root = os.path.join(self.tmp, "root")
        self.src = os.path.join(self.tmp, "src")
        os.makedirs(os.path.join(self.src, "sub"))
        with open(os.path.join(self.src, "x"), "w") as f:
            f.write("from the host\n")
        with open(os.path.join(self.src, "sub", "y"), "w") as f:
            f.write("deeper\n")
        self.file = os.path.join(self.tmp, "motd")
        with open(self.file, "w") as f:
            f.write("a mounted file\n")

    def tearDown(self):
        st = os.path.join(self.root, "daemon.sock")
        if os.path.exists(st):
            subprocess.run(["pkill", "-f", "--", f"--root {self.root} daemon"], check=False)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def bundle(self, name, script, mounts):
        d = os.path.join(self.tmp, name)
        os.makedirs(d)
        cfg = {"ociVersion": "1.0.2", "process": {
            "terminal": False, "user": {"uid": 0, "gid": 0}, "args": ["sh", "-c", script],
            "env": ["PATH=/bin:/usr/bin"], "cwd": "/"},
            "root": {"path": ROOTFS, "readonly": False}, "hostname": name, "mounts": mounts}
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(cfg, f)
        return d

    def rb(self, *args, **kw):
        p = subprocess.run([REALMBOX, "--root", self.root, *args], capture_output=True,
                           timeout=180, stdin=subprocess.DEVNULL, **kw)
        return (p.returncode, p.stdout.decode(errors="replace"),
                rbenv.strip_san_noise(p.stderr).decode(errors="replace"))

    def mounts(self):
        return [{"destination": "/data", "type": "bind", "source": self.src,
                 "options": ["rbind", "ro"]},
                {"destination": "/etc/motd", "type": "bind", "source": self.file},
                {"destination": "/mnt/new/deep", "type": "none", "source": self.src,
                 "options": ["bind"]}]

    def test_seen_in_every_mode(self):
        script = ("cat /data/x /data/sub/y /etc/motd /mnt/new/deep/x; ls /mnt/new; "
                  "echo changed > /data/x; cat /data/x")
        b = self.bundle("see", script, self.mounts())
        want = "from the host\ndeeper\na mounted file\nfrom the host\ndeep\nchanged\n"
        for iso in MODES:
            rc, out, err = self.rb("run", "--isolation", iso, "--bundle", b, "s-" + iso)
            self.assertEqual((rc, out, err), (0, want, ""), iso)
        with open(os.path.join(self.src, "x")) as f:
            self.assertEqual(f.read(), "from the host\n", "a write reached the host")

    def test_measured(self):
        """The mounted content is in the RIM: another byte in a mounted file, another RIM;
        the same content again, the same RIM."""
        b = self.bundle("m", "true", self.mounts())
        rims = []
        for text in ("a mounted file\n", "a mounted filE\n", "a mounted file\n"):
            with open(self.file, "w") as f:
                f.write(text)
            rc, out, err = self.rb("measure", "--bundle", b, "--id", "m1")
            self.assertEqual(rc, 0, err)
            rims.append(out.strip())
        self.assertNotEqual(rims[0], rims[1])
        self.assertEqual(rims[0], rims[2])
        rc, out, err = self.rb("measure", "--bundle", self.bundle("n", "true", []), "--id", "m1")
        self.assertNotEqual(out.strip(), rims[0], "the mounts are not measured")

    def test_changed_after_create(self):
        """A mounted file changed between create and start: never read as the new bytes."""
        for iso in MODES:
            with open(self.file, "w") as f:
                f.write("a mounted file\n")
            b = self.bundle("c-" + iso, "cat /etc/motd", self.mounts())
            out_p, err_p = (os.path.join(self.tmp, f"c-{iso}.{k}") for k in ("out", "err"))
            with open(out_p, "wb") as fo, open(err_p, "wb") as fe:
                p = subprocess.run([REALMBOX, "--root", self.root, "create", "--isolation", iso,
                                    "--bundle", b, "c-" + iso], stdin=subprocess.DEVNULL,
                                   stdout=fo, stderr=fe, timeout=180)
            self.assertEqual(p.returncode, 0, iso)
            with open(self.file, "w") as f:
                f.write("CHANGED BYTES!\n")
            rc, _, err = self.rb("start", "c-" + iso)
            self.assertEqual(rc, 0, (iso, err))
            rc, out, err = self.rb("state", "c-" + iso)
            for _ in range(300):
                if json.loads(self.rb("state", "c-" + iso)[1])["status"] == "stopped":
                    break
                subprocess.run(["sleep", "0.1"])
            with open(out_p) as f:
                self.assertNotIn("CHANGED", f.read(), iso)
            with open(err_p) as f:
                e = f.read()
            if iso == "realm":
                self.assertIn("the rootfs changed since the container was created", e)
            else:
                self.assertIn("Input/output error", e, iso)
            self.rb("delete", "--force", "c-" + iso)

    def test_refused(self):
        for mounts, want in [
            ([{"destination": "/", "type": "bind", "source": self.src}],
             "mounts[0]: destination /: cannot bind-mount over the rootfs"),
            ([{"destination": "/a/../etc", "type": "bind", "source": self.src}],
             "mounts[0]: destination /a/../etc: must be an absolute path without \"..\""),
            ([{"destination": "/a", "type": "bind", "source": self.src + "/nope"}],
             f"mounts[0]: source {self.src}/nope: No such file or directory"),
        ]:
            b = self.bundle(f"r{len(os.listdir(self.tmp))}", "true", mounts)
            rc, out, err = self.rb("run", "--isolation", "none", "--bundle", b, "r")
            self.assertEqual(rc, 1, err)
            self.assertIn(want, err)


if __name__ == "__main__":
    unittest.main()
