#!/usr/bin/env python3
"""Container networking end to end (docs/networking.md), as a user meets it:
`busybox httpd` in a container started with `--publish HOSTPORT:8080` is
fetched from the host with urllib and the bytes must be the rootfs file's
(none, realm and shim); the annotation org.realmbox.publish does the same;
a container port that is not published is not a host port; an outbound
connection from the container reaches a server on the host's network
address (skipped when the host has no non-loopback address); bad
--publish values get a clear error and exit status 1.

  python3 tests/py/test_net.py [-v] [-k PATTERN]
"""
import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import env as rbenv  # noqa: E402

REALMBOX = rbenv.need_realmbox()
ROOTFS = os.path.join(rbenv.bundle("busybox"), "rootfs")
ENV = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def write_bundle(tmp, args, annotations=None):
    cfg = {"ociVersion": "1.0.2",
           "process": {"terminal": False, "user": {"uid": 0, "gid": 0}, "args": args,
                       "env": ENV, "cwd": "/"},
           "root": {"path": ROOTFS, "readonly": False}, "hostname": "realmbox"}
    if annotations:
        cfg["annotations"] = annotations
    with open(os.path.join(tmp, "config.json"), "w") as f:
        json.dump(cfg, f)
    return tmp


def wait_port(port, proc, timeout=60):
    """True once host 127.0.0.1:port accepts a connection (False if proc ended or time ran out)."""
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def fetch(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as r:
        return r.status, r.read()


def rootfs_bytes(path):
    with open(os.path.join(ROOTFS, path.lstrip("/")), "rb") as f:
        return f.read()


class Container:
    """`realmbox run` in the background. stop() stops it as `docker stop` does: SIGTERM,
    then SIGKILL after a grace period; returns (status, stderr, whether TERM was ignored)."""

    def __init__(self, tmp, isolation, extra=(), cid="net"):
        self.p = subprocess.Popen([REALMBOX, "run", "--isolation", isolation, *extra,
                                   "--bundle", tmp, cid], stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def stop(self, grace=3):
        ignored = False
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        try:
            out, err = self.p.communicate(timeout=grace)
        except subprocess.TimeoutExpired:
            ignored = True
            self.p.kill()
            out, err = self.p.communicate()
        return self.p.returncode, err.decode(errors="replace"), ignored


class PublishTest(unittest.TestCase):
    def httpd(self, isolation):
        hp, cp = free_port(), 8080
        with tempfile.TemporaryDirectory() as tmp:
            write_bundle(tmp, ["/bin/busybox", "httpd", "-f", "-p", str(cp), "-h", "/data"])
            c = Container(tmp, isolation, ["--publish", f"{hp}:{cp}"], cid=f"net-{isolation}")
            try:
                self.assertTrue(wait_port(hp, c.p), f"{isolation}: host port {hp} never opened")
                for path in ("/lorem.txt", "/words.txt", "/numbers.txt"):
                    status, body = fetch(hp, path)
                    self.assertEqual(status, 200)
                    self.assertEqual(body, rootfs_bytes("/data" + path),
                                     f"{isolation}: {path} differs")
                with self.assertRaises(urllib.error.HTTPError) as e:
                    fetch(hp, "/no-such-file")
                self.assertEqual(e.exception.code, 404)
            finally:
                status, err, ignored = c.stop()
            # httpd is the container's init with no SIGTERM handler: like a pid
            # namespace's init on Linux (runc, docker stop) it ignores the TERM
            # the runtime forwards, and the grace period ends with SIGKILL
            self.assertTrue(ignored, f"{isolation}: SIGTERM ended init: {status} {err}")
            self.assertEqual(status, -signal.SIGKILL, err)

    def test_httpd_none(self):
        self.httpd("none")

    def test_httpd_realm(self):
        self.httpd("realm")

    def test_httpd_shim(self):
        self.httpd("shim")

    def test_annotation(self):
        hp = free_port()
        with tempfile.TemporaryDirectory() as tmp:
            write_bundle(tmp, ["/bin/busybox", "httpd", "-f", "-p", "80", "-h", "/data"],
                         {"org.realmbox.publish": f"{hp}:80"})
            c = Container(tmp, "none", cid="net-annotation")
            try:
                self.assertTrue(wait_port(hp, c.p), "annotation: host port never opened")
                self.assertEqual(fetch(hp, "/words.txt")[1], rootfs_bytes("/data/words.txt"))
            finally:
                c.stop()

    def test_unpublished_port_is_not_a_host_port(self):
        cp, hp = free_port(), free_port()
        with tempfile.TemporaryDirectory() as tmp:
            # the container's own client proves the server is up before the host tries
            script = (f"busybox httpd -p {cp} -h /data; "
                      f"busybox wget -q -O - http://127.0.0.1:{cp}/words.txt | head -n 1; "
                      "sleep 30")
            write_bundle(tmp, ["/bin/sh", "-c", script])
            c = Container(tmp, "none", ["--publish", f"{hp}:{cp + 1}"], cid="net-private")
            try:
                line = c.p.stdout.readline()
                self.assertEqual(line, b"banana\n", "the container could not reach its own port")
                with self.assertRaises(OSError):
                    socket.create_connection(("127.0.0.1", cp), timeout=2).close()
                with self.assertRaises(OSError):
                    socket.create_connection(("127.0.0.1", hp), timeout=2).close()
            finally:
                c.stop()

    def test_outbound(self):
        try:
            probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            probe.connect(("10.255.255.255", 1))
            addr = probe.getsockname()[0]
            probe.close()
        except OSError:
            addr = None
        if not addr or addr.startswith("127."):
            self.skipTest("the host has no non-loopback IPv4 address")

        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = b"from the host network\n"
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        srv = http.server.HTTPServer((addr, 0), H)
        th = threading.Thread(target=srv.serve_forever, daemon=True)
        th.start()
        try:
            with tempfile.TemporaryDirectory() as tmp:
                url = f"http://{addr}:{srv.server_address[1]}/"
                write_bundle(tmp, ["/bin/busybox", "wget", "-q", "-O", "-", url])
                for iso in ("none", "realm"):
                    p = subprocess.run([REALMBOX, "run", "--isolation", iso, "--bundle", tmp,
                                        f"net-out-{iso}"], capture_output=True, timeout=120)
                    self.assertEqual((p.returncode, p.stdout), (0, b"from the host network\n"),
                                     f"{iso}: {p.stderr.decode(errors='replace')}")
        finally:
            srv.shutdown()
            srv.server_close()

    def test_bad_publish(self):
        with tempfile.TemporaryDirectory() as tmp:
            write_bundle(tmp, ["/bin/true"])
            for bad, why in (("8080", "want HOSTPORT:CONTAINERPORT"),
                             ("0:80", "ports 1..65535"), ("70000:80", "ports 1..65535"),
                             ("80:81/udp", "only TCP"), ("8080:80,8080:81", "published twice"),
                             ("", "empty")):
                p = subprocess.run([REALMBOX, "run", "--isolation", "none", "--publish", bad,
                                    "--bundle", tmp, "bad"], capture_output=True, timeout=60)
                self.assertEqual(p.returncode, 1, bad)
                self.assertIn(why, p.stderr.decode(), bad)
            write_bundle(tmp, ["/bin/true"], {"org.realmbox.publish": "80"})
            p = subprocess.run([REALMBOX, "run", "--isolation", "none", "--bundle", tmp, "bad"],
                               capture_output=True, timeout=60)
            self.assertEqual(p.returncode, 1)
            self.assertIn("org.realmbox.publish", p.stderr.decode())


if __name__ == "__main__":
    unittest.main()
