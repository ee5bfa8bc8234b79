#!/usr/bin/env python3
"""Density and scale (issue 9 item 4), for `make bench` (scripts/bench_report.py).

For each mode and each N (default 1, 10, 50, 100; RB_BENCH_DENSITY="1,10"
overrides), N containers of `sleep 60` are started at once with `realmbox
run --detach` under one private --root. Measured in that run:
  - the time until all N report "running" (`state`), from the first launch;
  - each container's start latency (its `run --detach` returning: the
    container runs), median and p95;
  - the memory of each container's monitor process (VmRSS: it holds the
    container's machine; realmbox has no shared machine daemon yet, so every
    container brings its own emulated machine, monitor, RMM and System
    Realm), median per container, and the sum, when all N are running; and
    the median again SETTLE seconds later (default 5; RB_BENCH_DENSITY_SETTLE
    overrides): a container's pool of ready vCPUs is still being built when
    it reports running, and a JIT writes ~20 MiB while it is constructed
    that it gives back at the end (issue 9);
  - failures (a container that did not reach running within the timeout).
An N whose containers would need more than 70% of the memory available
(from the smallest N's figure, +30%) is skipped and says so.
Then every container is killed and deleted. The machine's load is what it
is: the figures come from one run, side by side.
"""
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time

DEFAULT_NS = [1, 10, 50, 100]
TIMEOUT = 600
SETTLE = float(os.environ.get("RB_BENCH_DENSITY_SETTLE", "5"))


def ns_from_env():
    s = os.environ.get("RB_BENCH_DENSITY")
    if not s:
        return DEFAULT_NS
    return [int(x) for x in s.split(",") if x.strip()]


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def mem_available_kib():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1])
    return 0


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


class Density:
    def __init__(self, rb, rootfs):
        self.rb = rb
        self.rootfs = rootfs

    def _bundle(self, tmp):
        d = os.path.join(tmp, "bundle")
        os.makedirs(d, exist_ok=True)
        cfg = {"ociVersion": "1.0.2",
               "process": {"terminal": False, "user": {"uid": 0, "gid": 0},
                           "args": ["sleep", "60"], "env": ["PATH=/bin:/usr/bin"], "cwd": "/"},
               "root": {"path": self.rootfs, "readonly": True}, "hostname": "dense"}
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(cfg, f)
        return d

    def _rb(self, root, *args, timeout=120):
        return subprocess.run([self.rb, "--root", root, *args], capture_output=True,
                              stdin=subprocess.DEVNULL, timeout=timeout)

    def one(self, mode, n):
        tmp = tempfile.mkdtemp(prefix="rb-dense-")
        root = os.path.join(tmp, "root")
        bundle = self._bundle(tmp)
        ids = [f"d{i}" for i in range(n)]
        res = {"mode": mode, "n": n}
        t0 = time.perf_counter()
        procs = {}
        try:
            for cid in ids:
                procs[cid] = subprocess.Popen(
                    [self.rb, "--root", root, "--isolation", mode, "run", "--detach",
                     "--bundle", bundle, cid], stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            lat, failed = [], 0
            pending = dict(procs)
            while pending and time.perf_counter() - t0 < TIMEOUT:
                for cid, p in list(pending.items()):
                    if p.poll() is not None:
                        if p.returncode == 0:
                            lat.append(time.perf_counter() - t0)
                        else:
                            failed += 1
                        del pending[cid]
                time.sleep(0.01)
            failed += len(pending)
            # all running?
            running, rss, pids = 0, [], []
            for cid in ids:
                p = self._rb(root, "state", cid)
                if p.returncode != 0:
                    continue
                st = json.loads(p.stdout)
                if st.get("status") == "running":
                    running += 1
                    k = rss_kib(st.get("pid", 0))
                    if k:
                        rss.append(k)
                        pids.append(st.get("pid", 0))
            if rss and SETTLE > 0:
                time.sleep(SETTLE)
                later = [k for k in (rss_kib(st_pid) for st_pid in pids) if k]
                if later:
                    res["rss_settled_median_mib"] = statistics.median(later) / 1024.0
            res["all_running_s"] = max(lat) if lat and running == n else None
            res["running"] = running
            res["failed"] = failed
            if lat:
                res["lat_median_s"] = statistics.median(lat)
                res["lat_p95_s"] = pct(lat, 95)
            if rss:
                res["rss_median_mib"] = statistics.median(rss) / 1024.0
                res["rss_sum_mib"] = sum(rss) / 1024.0
            for p in procs.values():
                if p.poll() is None:
                    p.kill()
                p.wait()
        finally:
            for cid in ids:
                try:
                    self._rb(root, "delete", "--force", cid, timeout=60)
                except subprocess.TimeoutExpired:
                    pass
            shutil.rmtree(tmp, ignore_errors=True)
        return res

    def run(self, modes, ns=None, log=print):
        out = []
        for mode in modes:
            per = None  # MiB per container, from the smallest N
            for n in ns or ns_from_env():
                avail = mem_available_kib() / 1024.0
                if per and n * per * 1.3 > 0.7 * avail:
                    r = {"mode": mode, "n": n, "running": 0, "failed": 0,
                         "skipped": f"would need ~{n * per * 1.3 / 1024:.1f} GiB; "
                                    f"{avail / 1024:.1f} GiB available"}
                    log(f"density: {mode} N={n}: skipped ({r['skipped']})")
                    out.append(r)
                    continue
                r = self.one(mode, n)
                if per is None and r.get("rss_median_mib"):
                    per = r["rss_median_mib"]
                log(f"density: {mode} N={n}: {r}")
                out.append(r)
        return out


def table(rows):
    """Markdown lines for bench/report.md."""
    def f(v, fmt):
        return fmt.format(v) if v is not None else "-"
    L = ["| mode | N | all running (s) | start median (s) | p95 (s) | running | failed | "
         f"RSS per container, median (MiB) | RSS all (MiB) | RSS per container {SETTLE:g} s "
         "later, median (MiB) |",
         "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if r.get("skipped"):
            L.append(f"| {r['mode']} | {r['n']} | skipped: {r['skipped']} | | | | | | | |")
            continue
        L.append(f"| {r['mode']} | {r['n']} | {f(r.get('all_running_s'), '{:.2f}')} | "
                 f"{f(r.get('lat_median_s'), '{:.2f}')} | {f(r.get('lat_p95_s'), '{:.2f}')} | "
                 f"{r['running']} | {r['failed']} | {f(r.get('rss_median_mib'), '{:.0f}')} | "
                 f"{f(r.get('rss_sum_mib'), '{:.0f}')} | "
                 f"{f(r.get('rss_settled_median_mib'), '{:.0f}')} |")
    return L


if __name__ == "__main__":
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--rootfs", default=None)
    ap.add_argument("--modes", default="realm,none,shim")
    ap.add_argument("--n", default=None, help="comma-separated N (default 1,10,50,100)")
    a = ap.parse_args()
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    rootfs = a.rootfs or os.path.join(repo, a.build, "bundles", "busybox", "rootfs")
    ns = [int(x) for x in a.n.split(",")] if a.n else None
    rows = Density(os.path.join(repo, a.build, "realmbox"), rootfs).run(a.modes.split(","), ns)
    print("\n".join(table(rows)))
