#!/usr/bin/env python3
"""Network benchmark rows of `make bench` (scripts/bench_report.py, section
6), measured side by side in one run; also runs alone:

  scripts/bench_net.py [--build DIR] [--seconds S] [--json FILE]

  httpd:  busybox httpd (a process forked per request) serving
          /data/lorem.txt, published with --publish, loaded from the host
          by wrk (-t2, WRK_CONNS connections, S seconds, default 10):
          requests/s, wrk's error counts, non-2xx answers;
  echo:   tests/programs/echo_server.c (pthreads + epoll, 4 workers),
          published, driven by tests/py/lib/echo_client.py: one connection
          x 1000 messages of 64 bytes (round trip per message) and 16
          connections x 200 messages of 1 byte..64 KiB, every byte checked
          (mean round trip per message on a connection, MiB/s echoed).

Modes: realm, shim, none and qemu (the same busybox and echo_server binaries
under qemu-aarch64-static on the host, listening on 127.0.0.1 only).
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "py"))
from lib import echo_client  # noqa: E402
from lib import env as rbenv  # noqa: E402

WRK_CONNS = 8
MODES = ["realm", "shim", "none", "qemu"]
QEMU = shutil.which("qemu-aarch64-static") or shutil.which("qemu-aarch64")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def _bundle(tmp, rootfs, args):
    d = tempfile.mkdtemp(dir=tmp)
    cfg = {"ociVersion": "1.0.2",
           "process": {"terminal": False, "user": {"uid": 0, "gid": 0}, "args": args,
                       "env": ["PATH=/bin:/usr/bin"], "cwd": "/"},
           "root": {"path": rootfs, "readonly": False}, "hostname": "bench"}
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f)
    return d


class Server:
    """A server in mode (realmbox run --publish HP:CP, or qemu-aarch64 on the host)."""

    def __init__(self, rb, tmp, mode, rootfs, args, cport):
        self.hp = free_port()
        env = dict(os.environ, REALMBOX_LOG="error")
        if mode == "qemu":
            cmd = [QEMU, os.path.join(rootfs, args[0].lstrip("/"))] + \
                [a.replace("@PORT@", str(self.hp)) for a in args[1:]]
            cwd = rootfs
        else:
            args = [a.replace("@PORT@", str(cport)) for a in args]
            cmd = [rb, "run", "--isolation", mode, "--publish", f"{self.hp}:{cport}",
                   "--bundle", _bundle(tmp, rootfs, args), f"bench-net-{mode}"]
            cwd = None
        self.p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, env=env, cwd=cwd)

    def wait_line(self, timeout=120):
        """The server's first stdout line (b"" if none came)."""
        import select
        end, buf, fd = time.time() + timeout, b"", self.p.stdout.fileno()
        while not buf.endswith(b"\n") and time.time() < end:
            if not select.select([fd], [], [], max(0.0, end - time.time()))[0]:
                break
            b = os.read(fd, 1)
            if not b:
                break
            buf += b
        return buf

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)  # an init without a handler ignores it
        try:
            self.p.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.communicate()
        return self.p.returncode


def wrk(port, path, seconds):
    p = subprocess.run(["wrk", "-t2", f"-c{WRK_CONNS}", f"-d{seconds}s", "--timeout", "30s",
                        f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True,
                       timeout=seconds + 60)
    t = p.stdout
    m = re.search(r"(\d+) requests in", t)
    if p.returncode or not m:
        return {"error": f"wrk failed: {t.strip()} {p.stderr.strip()}"}
    r = {"requests": int(m.group(1)),
         "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1)), "non2xx": 0,
         "errors": 0}
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
    if m:
        r["non2xx"] = int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", t)
    if m:
        r["errors"] = sum(map(int, m.groups()))
    return r


def httpd(rb, tmp, mode, bb_rootfs, seconds):
    if mode == "qemu":
        args = ["/bin/busybox", "httpd", "-f", "-p", "127.0.0.1:@PORT@", "-h",
                os.path.join(bb_rootfs, "data")]
    else:
        args = ["/bin/busybox", "httpd", "-f", "-p", "@PORT@", "-h", "/data"]
    s = Server(rb, tmp, mode, bb_rootfs, args, 8080)
    try:
        if not echo_client.wait_port(s.hp, s.p, timeout=120):
            return {"error": "the server did not start"}
        return wrk(s.hp, "/lorem.txt", seconds)
    finally:
        s.stop()


def echo(rb, tmp, mode, prog_rootfs):
    s = Server(rb, tmp, mode, prog_rootfs, ["/prog/static/echo_server", "@PORT@", "17", "4"],
               9000)
    try:
        if not s.wait_line().startswith(b"listening on"):
            return {"error": "the server did not start"}
        small = echo_client.drive(s.hp, 1, 1000, max_size=64, seed=3)
        big = echo_client.drive(s.hp, 16, 200, max_size=65536, seed=1)
        return {"rtt_64b_us": small["per_msg_us"], "rtt_mixed_us": big["per_msg_us"],
                "mib_s": big["bytes"] * 2 / 2**20 / big["seconds"]}
    except echo_client.EchoError as e:
        return {"error": str(e)}
    finally:
        s.stop()


def measure(rb, modes=MODES, seconds=10):
    """{"httpd": {mode: {...}}, "echo": {mode: {...}}, "seconds", "wrk_conns"}."""
    tmp = tempfile.mkdtemp(prefix="rb-bench-net-")
    try:
        bb = os.path.join(rbenv.bundle("busybox"), "rootfs")
        progs = os.path.join(rbenv.bundle("programs"), "rootfs")
        res = {"seconds": seconds, "wrk_conns": WRK_CONNS, "httpd": {}, "echo": {},
               "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
               "load": round(os.getloadavg()[0], 1)}
        for mode in modes:
            if mode == "qemu" and not QEMU:
                continue
            if not shutil.which("wrk"):
                res["httpd"][mode] = {"error": "wrk not installed (scripts/setup.sh)"}
            else:
                res["httpd"][mode] = httpd(rb, tmp, mode, bb, seconds)
            print(f"bench net: httpd {mode}: {res['httpd'][mode]}", file=sys.stderr, flush=True)
            res["echo"][mode] = echo(rb, tmp, mode, progs)
            print(f"bench net: echo {mode}: {res['echo'][mode]}", file=sys.stderr, flush=True)
        return res
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _ratio(a, b):
    return f"{a / b:.2f}" if a and b else "–"


def report(net):
    """The report's section 6 as markdown lines."""
    modes = [m for m in MODES if m in net.get("httpd", {}) or m in net.get("echo", {})]
    h, e = net.get("httpd", {}), net.get("echo", {})
    g = lambda d, m, k: d.get(m, {}).get(k)  # noqa: E731
    L = ["## 6. Network (`scripts/bench_net.py`)", "",
         f"Measured {net.get('date', '?')} (load average {net.get('load', '?')} at the start). "
         f"busybox httpd (a process forked per request) under wrk: {net['seconds']} s, "
         f"{net['wrk_conns']} connections, /data/lorem.txt; requests per second (more is "
         "better). qemu: the same busybox under qemu-aarch64 on the host.", "",
         "| | " + " | ".join(modes) + " | realm/none | shim/none | none/qemu |",
         "|---|" + "---|" * (len(modes) + 3)]
    cells = [f"{g(h, m, 'rps'):.1f}" if g(h, m, "rps") else "–" for m in modes]
    L.append("| requests/s | " + " | ".join(cells) +
             f" | {_ratio(g(h, 'realm', 'rps'), g(h, 'none', 'rps'))}"
             f" | {_ratio(g(h, 'shim', 'rps'), g(h, 'none', 'rps'))}"
             f" | {_ratio(g(h, 'none', 'rps'), g(h, 'qemu', 'rps'))} |")
    cells = [f"{g(h, m, 'errors')} / {g(h, m, 'non2xx')}" if g(h, m, "rps") else "–"
             for m in modes]
    L.append("| wrk socket errors / non-2xx | " + " | ".join(cells) + " | | | |")
    L += ["", "Echo server (`tests/programs/echo_server.c`: pthreads, epoll, 4 workers) driven "
          "from the host; round trip per message in µs (less is better), every byte checked.",
          "", "| | " + " | ".join(modes) + " | realm/none | shim/none | none/qemu |",
          "|---|" + "---|" * (len(modes) + 3)]
    for key, label, fmt in (("rtt_64b_us", "1 connection, 64 B: µs per round trip", ".0f"),
                            ("rtt_mixed_us", "16 connections, 1 B..64 KiB: µs per round trip",
                             ".0f"),
                            ("mib_s", "16 connections: MiB/s (both ways)", ".1f")):
        cells = [format(g(e, m, key), fmt) if g(e, m, key) else "–" for m in modes]
        L.append(f"| {label} | " + " | ".join(cells) +
                 f" | {_ratio(g(e, 'realm', key), g(e, 'none', key))}"
                 f" | {_ratio(g(e, 'shim', key), g(e, 'none', key))}"
                 f" | {_ratio(g(e, 'none', key), g(e, 'qemu', key))} |")
    errs = [f"{k} {m}: {v['error']}" for k, d in (("httpd", h), ("echo", e))
            for m, v in d.items() if "error" in v]
    if errs:
        L += ["", "Failed: " + "; ".join(errs)]
    return L + [""]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.environ.get("BUILD", "build"))
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--json", help="also write the figures to this file")
    a = ap.parse_args()
    net = measure(os.path.join(REPO, a.build, "realmbox"), seconds=a.seconds)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(net, f, indent=1)
    print("\n".join(report(net)))


if __name__ == "__main__":
    main()
