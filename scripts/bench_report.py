#!/usr/bin/env python3
"""The comparison benchmark (`make bench`): bench/report.md, bench/data.json
and PNG plots (gnuplot, when installed), measured side by side in one run on
this machine. Not a test.

  1. start latency: create -> exit of `busybox true`, and -> first output of
     `busybox echo`, BENCH_RUNS runs (default 20): median and p95, for
     realmbox realm, shim (when the deployment exists), none, and
     qemu-aarch64 (no isolation, same instruction set);
  2. system-call cost: getpid, a 1-byte write+read on a pipe, openat+close,
     mmap+touch+munmap of a page (tests/bench/sysbench.c, timed inside the
     container), ns per call per mode, and the machine-independent counts
     per call realmbox reports (`--stats`: forwards, REC exits, world
     switches, RMM copies and bytes; shim: EL3 round trips, GPT switches,
     TLBIs);
  3. application overhead: a busybox sh loop, sha256sum and gzip of 64 MiB,
     sort of 1M lines, and from the apps bundle (`make app-bundles`)
     Debian's sqlite3 (10,000 inserts in one transaction, then aggregate
     queries) and lua5.4 (tests/apps/bench.lua): realm/none, shim/none and
     none/qemu ratios;
  4. TCB: SLoC from `make tcb-aarch64` next to the published figures.

  5. peers (scripts/bench_peers.py): a microVM (qemu-system-aarch64 booting
     Debian's arm64 kernel, TCG) and runc/crun with an x86-64 busybox
     (native), start to first output and to exit.

  6. network (scripts/bench_net.py): busybox httpd under wrk (requests/s)
     and the epoll echo server's round trip per message, realm, shim, none
     and qemu-aarch64.

  7. density (scripts/bench_density.py): N = 1, 10, 50, 100 containers of
     `sleep 60` started at once per mode: time until all run, start latency
     median/p95, memory (RSS) per container.

  scripts/bench_report.py [--build DIR] [--runs N] [--out DIR] [--quick]
                          [--only-apps SUBSTRING] [--only-net] [--only-density]

--only-net (--only-density) measures section 6 (7) alone and merges it
into the report's existing data.json (the other sections are written
again from it).
"""
import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "py"))
from lib import env as rbenv  # noqa: E402
from lib import oracle  # noqa: E402
import bench_density  # noqa: E402
import bench_net  # noqa: E402
import bench_peers  # noqa: E402

CC = os.environ.get("CC_A64", "aarch64-linux-gnu-gcc")

APPS = [
    ("sh loop (20k iterations)", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; echo $i"),
    ("sha256sum 64 MiB", "head -c 67108864 /dev/zero | sha256sum"),
    ("gzip 64 MiB", "head -c 67108864 /dev/zero | gzip -1 | wc -c"),
    ("sort 1M lines", "seq 1000000 | sort -r | tail -n 1"),
    # the apps bundle (scripts/apps-rootfs.sh): args run directly, not by sh
    ("sqlite3 10k inserts", ["/usr/bin/sqlite3", "-batch", ":memory:",
                             ".read /apps/sqlite-10k.sql"], "apps"),
    ("lua5.4 bench.lua", ["/usr/bin/lua5.4", "/apps/bench.lua"], "apps"),
]
APP_TIMEOUT = 300  # seconds; a slower run is reported as missing
SYSCALLS = [("getpid", 20000), ("pipe", 10000), ("open", 5000), ("mmap", 5000)]
COUNTS = ["forwarded", "rec_exits", "world_switches", "exitless", "exitless_timeouts", "exitless_skipped", "rmm_copies", "rmm_copy_bytes",
          "rc_el3_round_trips", "gpt_switches", "tlbis"]
# realm with exitless forwarding off: the same run's "off" figures
EXITS_MODE = "realm-exits"
# realm without the pool of ready vCPUs (REALMBOX_VCPU_POOL=0): start latency's "off"
NOPOOL_MODE = "realm-nopool"
# realm on a running machine daemon (docs/machine-daemon.md): the warm start. Every other
# mode runs with REALMBOX_DAEMON=0: a machine of its own per container, as before the daemon
WARM_MODE = "realm-warm"
# the same without shared translation (REALMBOX_SHARED_CODE=0, a daemon of its own): its "off"
WARM_NOSHARE_MODE = "realm-warm-noshare"
WARM_MODES = (WARM_MODE, WARM_NOSHARE_MODE)


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


class Bench:
    def __init__(self, build, runs, out):
        self.rb = os.path.join(REPO, build, "realmbox")
        self.runs = runs
        self.only_apps = None  # --only-apps
        self._apps = None  # apps_rootfs()
        self.out = out
        self.tmp = tempfile.mkdtemp(prefix="rb-bench-")
        with open("/proc/meminfo") as f:
            mem_kb = int(f.readline().split()[1])
        self.data = {"machine": os.uname().machine, "cpus": os.cpu_count(),
                     "memory_gib": round(mem_kb / 2**20, 1),
                     "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "runs": runs,
                     "loadavg_start": round(os.getloadavg()[0], 1)}
        # every mode but WARM_MODE boots a machine per container (and density's monitors
        # hold theirs: their RSS is the container's cost)
        os.environ["REALMBOX_DAEMON"] = "0"
        self.warm_root = os.path.join(self.tmp, "warm-root")
        self.modes = ["realm", "none"]
        self.qemu = oracle.method() == "chroot"
        bb = rbenv.bundle("busybox")
        self.rootfs = os.path.join(self.tmp, "rootfs")
        shutil.copytree(os.path.join(bb, "rootfs"), self.rootfs, symlinks=True)
        subprocess.run([CC, "-O2", "-static", "-o", os.path.join(self.rootfs, "sysbench"),
                        os.path.join(REPO, "tests", "bench", "sysbench.c")], check=True)
        # the qemu oracle runs in a chroot of its own copy
        self.qroot = os.path.join(self.tmp, "qroot")
        os.mkdir(self.qroot)
        oracle._copy_rootfs(self.rootfs, self.qroot)
        if self.shim_works():
            self.modes.insert(1, "shim")

    def bundle(self, args, rootfs=None):
        d = tempfile.mkdtemp(dir=self.tmp)
        cfg = {"ociVersion": "1.0.2",
               "process": {"terminal": False, "user": {"uid": 0, "gid": 0}, "args": list(args),
                           "env": ["PATH=/bin:/usr/bin"], "cwd": "/"},
               "root": {"path": rootfs or self.rootfs, "readonly": False}, "hostname": "bench"}
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(cfg, f)
        return d

    def run(self, mode, args, first_output=False, timeout=600, root="busybox"):
        """(seconds to exit or to the first stdout byte, stdout, stats dict, status);
        root "apps": in the apps bundle's rootfs (apps_rootfs())."""
        rootfs, qroot = (self.rootfs, self.qroot) if root == "busybox" else self.apps_rootfs()
        if mode == "qemu":
            cmd = list(args)
            pre = oracle._child_setup(qroot, "/", "bench", [], 0o022, 0, 0, [], False)
            popen = dict(preexec_fn=pre, cwd="/")
        else:
            root_opt = ["--root", self.warm_root + "-" + mode] if mode in WARM_MODES else []
            cmd = [self.rb, *root_opt,
                   "run", "--isolation",
                   "realm" if mode in (EXITS_MODE, NOPOOL_MODE) + WARM_MODES else mode,
                   "--stats", "--bundle", self.bundle(args, rootfs), "bench"]
            popen = {}
        env = dict(os.environ, REALMBOX_LOG="error")
        if mode in WARM_MODES:
            env["REALMBOX_DAEMON"] = "1"
            env["REALMBOX_DAEMON_IDLE"] = "600"
        if mode == WARM_NOSHARE_MODE:
            env["REALMBOX_SHARED_CODE"] = "0"
        if mode == "realm":
            env["REALMBOX_EXITLESS"] = "1"  # the on side of the comparison (the default)
        if mode == EXITS_MODE:
            env["REALMBOX_EXITLESS"] = "0"
        if mode == NOPOOL_MODE:
            env["REALMBOX_VCPU_POOL"] = "0"
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                             **popen)
        t_first = None
        if first_output:
            p.stdout.read(1)  # a mode that hangs before output hangs here: see shim_works
            t_first = time.perf_counter() - t0
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            return timeout, "", {}, -1
        t = time.perf_counter() - t0
        stats = {}
        for line in err.decode(errors="replace").splitlines():
            if line.startswith("realmbox: stats: "):
                parts = line[len("realmbox: stats: "):].split()
                if len(parts) >= 2 and parts[1].isdigit():
                    stats[parts[0]] = int(parts[1])
        return (t_first if first_output else t), out.decode(errors="replace"), stats, p.returncode

    def apps_rootfs(self):
        """(rootfs, qemu chroot copy) of the apps bundle, built once (make app-bundles)."""
        if self._apps is None:
            build = os.path.relpath(os.path.dirname(self.rb), REPO)
            subprocess.run(["make", "--no-print-directory", "-s", f"BUILD={build}",
                            "app-bundles"], cwd=REPO, check=True, stdout=subprocess.DEVNULL)
            rootfs = os.path.join(REPO, build, "bundles", "apps", "rootfs")
            qroot = os.path.join(self.tmp, "qroot-apps")
            os.mkdir(qroot)
            oracle._copy_rootfs(rootfs, qroot)
            self._apps = (rootfs, qroot)
        return self._apps

    def shim_works(self):
        try:
            _, out, _, rc = self.run("shim", ["/bin/echo", "ok"], timeout=60)
            return rc == 0 and out == "ok\n"
        except Exception:
            return False

    def all_modes(self):
        return self.modes + (["qemu"] if self.qemu else [])

    def fast_modes(self):
        """all_modes and, after realm, realm with exitless forwarding off (REALMBOX_EXITLESS=0):
        the on/off comparison of sections 2 and 3."""
        m = self.all_modes()
        i = m.index("realm") + 1 if "realm" in m else len(m)
        return m[:i] + [EXITS_MODE] + m[i:]

    # ---- 1. start latency ----
    def start_latency(self):
        res = {}
        m = self.all_modes()
        i = m.index("realm") + 1 if "realm" in m else len(m)
        for mode in m[:i] + [NOPOOL_MODE, *WARM_MODES] + m[i:]:
            if mode in WARM_MODES:
                self.run(mode, ["/bin/true"])  # starts the daemon: the runs below are warm
            runs = [self.run(mode, ["/bin/true"]) for _ in range(self.runs)]
            exits = [r[0] for r in runs]
            words = [r[2]["code_words"] for r in runs if "code_words" in r[2]]
            firsts = [self.run(mode, ["/bin/echo", "hi"], first_output=True)[0]
                      for _ in range(self.runs)]
            res[mode] = {"exit_median_ms": 1000 * statistics.median(exits),
                         "exit_p95_ms": 1000 * pct(exits, 95),
                         "first_output_median_ms": 1000 * statistics.median(firsts),
                         "first_output_p95_ms": 1000 * pct(firsts, 95)}
            if words:
                res[mode]["code_words_median"] = statistics.median(words)
        self.data["start"] = res
        self.data["start_measured"] = {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
                                       "loadavg": round(os.getloadavg()[0], 1)}
        self.stop_warm()

    def stop_warm(self):
        """End the WARM_MODES' daemons (each pid from its socket's "status")."""
        for mode in WARM_MODES:
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                    s.settimeout(10)
                    s.connect(os.path.join(self.warm_root + "-" + mode, "daemon.sock"))
                    s.sendall(b"status\n")
                    a = s.makefile().readline()
                os.kill(json.loads(a[3:])["pid"], 15)
            except (OSError, ValueError, KeyError):
                pass

    # ---- 5. peers ----
    def peers(self):
        self.data["peers"] = bench_peers.measure(
            self.runs, int(os.environ.get("BENCH_MICROVM_RUNS", "3")))

    # ---- 6. network ----
    def net(self):
        self.data["net"] = bench_net.measure(
            self.rb, [m for m in bench_net.MODES if m in self.modes or m == "qemu"])

    # ---- 7. density ----
    def density(self):
        self.data["density"] = bench_density.Density(self.rb, self.rootfs).run(
            self.modes, log=lambda m: print("bench: " + m, file=sys.stderr, flush=True))

    # ---- 2. system calls ----
    def syscalls(self):
        res = {}
        for op, n0 in SYSCALLS:
            res[op] = {}
            for mode in self.fast_modes():
                n = n0
                vals = []
                for _ in range(3):
                    _, out, _, rc = self.run(mode, ["/sysbench", op, str(n)])
                    if rc == 0 and out.split():
                        vals.append(float(out.split()[-1]))
                res[op][mode] = {"ns": statistics.median(vals) if vals else None}
                if mode in ("realm", EXITS_MODE, "shim"):
                    # machine-independent counts: (N calls - 0 calls) / N
                    _, _, s0, _ = self.run(mode, ["/sysbench", op, "0"])
                    _, _, s1, _ = self.run(mode, ["/sysbench", op, str(n)])
                    res[op][mode]["per_call"] = {k: (s1[k] - s0[k]) / n for k in COUNTS
                                                 if k in s0 and k in s1 and s1[k] != s0[k]}
        self.data["syscalls"] = res

    # ---- 3. applications ----
    def apps(self):
        res = {}
        for name, script, *root in APPS:
            if self.only_apps is not None and self.only_apps not in name:
                continue
            res[name] = {}
            args = script if isinstance(script, list) else ["/bin/sh", "-c", script]
            for mode in self.fast_modes():
                vals, outs = [], set()
                for _ in range(max(1, min(3, self.runs // 5))):
                    t, out, _, rc = self.run(mode, args, timeout=APP_TIMEOUT,
                                             root=root[0] if root else "busybox")
                    if rc == 0:
                        vals.append(t)
                        outs.add(out)
                res[name][mode] = {"s": statistics.median(vals) if vals else None,
                                   "output": sorted(outs)[0].strip() if len(outs) == 1 else None}
        self.data["apps"] = res

    # ---- 4. TCB ----
    def tcb(self):
        p = subprocess.run(["make", "--no-print-directory", "tcb-aarch64"], cwd=REPO,
                           capture_output=True, text=True)
        rows = []
        for line in p.stdout.splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[-1].replace(",", "").isdigit() and \
                    (parts[0].startswith("src/") or parts[0] == "total" or parts[0] == "of"):
                rows.append(line.strip())
        self.data["tcb"] = rows

    # ---- report ----
    def ratio(self, a, b):
        return f"{a / b:.2f}" if a and b else "–"

    def write(self):
        os.makedirs(self.out, exist_ok=True)
        if "loadavg_start" in self.data:
            self.data.setdefault("loadavg_end", round(os.getloadavg()[0], 1))
        with open(os.path.join(self.out, "data.json"), "w") as f:
            json.dump(self.data, f, indent=1)
        d = self.data
        L = [f"# realmbox benchmark ({d['date']})", "",
             f"One run on this machine ({d['cpus']} CPUs, shared; "
             f"{d.get('memory_gib', '?')} GiB), {d['runs']} runs per start "
             "figure. Modes: " + ", ".join(self.all_modes()) +
             " (a missing figure: the run failed or took longer than "
             f"{APP_TIMEOUT} s)" +
             ("" if "shim" in self.modes else " (shim: not available in this build)") +
             ". Ratios come from the same run." +
             (f" Load average (1 min): {d['loadavg_start']} at the start, {d['loadavg_end']} at "
              f"the end, on {d['cpus']} CPUs." if "loadavg_start" in d else ""),
             ""]
        if "start" in d:
            L += ["## 1. Start latency", "",
                  f"`{NOPOOL_MODE}` is realm without the pool of ready vCPUs "
                  "(REALMBOX_VCPU_POOL=0: each REC's CPU engine is built when it first runs). "
                  f"`{WARM_MODE}` runs on a machine daemon started before the runs "
                  "(docs/machine-daemon.md: its System Realm is up; each run builds and adds "
                  "a Container Realm). Every other realm figure is a cold machine "
                  "(REALMBOX_DAEMON=0: each `realmbox run` boots its own). "
                  f"`{WARM_NOSHARE_MODE}` is `{WARM_MODE}` without shared translation "
                  "(REALMBOX_SHARED_CODE=0, on a daemon of its own): each container's vCPUs "
                  "compile its code afresh instead of reusing the blocks the last container "
                  "compiled for the same bytes (plat/emu/cpu/cpu.h). Words translated: guest "
                  "instruction words the A64 engine read to compile code during a `true` run "
                  "(median; machine-wide on a daemon).", ""]
            sm = d.get("start_measured")
            if sm and not d["date"].startswith(sm["date"][:16]):
                L += [f"This table was measured on its own (`--only-start`) at {sm['date']}"
                      + (f", load average {sm['loadavg']}" if "loadavg" in sm else "")
                      + f"; the rest of the report is from the run of {d['date']}.", ""]
            L += [
                  "| mode | true: median ms | p95 ms | echo, first output: median ms | p95 ms "
                  "| words translated (true) |",
                  "|---|---|---|---|---|---|"]
            for m, v in d["start"].items():
                w = v.get("code_words_median")
                L.append(f"| {m} | {v['exit_median_ms']:.1f} | {v['exit_p95_ms']:.1f} | "
                         f"{v['first_output_median_ms']:.1f} | {v['first_output_p95_ms']:.1f} | "
                         + (f"{w:.0f}" if w is not None else "–") + " |")
            L += ["", "![start latency](start.png)", ""]
        if "peers" in d:
            L += ["### Peers (" + ("same run" if not d.get("start_measured") or d["date"].startswith(
                d["start_measured"]["date"][:16]) else f"from the run of {d['date']}") + ")", "",
                  "| peer | runs | to exit: median ms | p95 ms | to first output: median ms |"
                  " p95 ms |", "|---|---|---|---|---|---|"]
            label = {"microvm": "microVM: qemu-system-aarch64 (TCG) + Debian arm64 kernel",
                     "runc": "runc, x86-64 busybox (native, no emulation)",
                     "crun": "crun, x86-64 busybox (native, no emulation)"}
            for k, v in d["peers"].items():
                if "error" in v:
                    L.append(f"| {label.get(k, k)} | – | not run here: {v['error']} | | | |")
                else:
                    L.append(f"| {label.get(k, k)} | {v['runs']} | {v['exit_median_ms']:.1f} | "
                             f"{v['exit_p95_ms']:.1f} | {v['first_output_median_ms']:.1f} | "
                             f"{v['first_output_p95_ms']:.1f} |")
            L += ["", "The microVM's first output is its init's line on the serial console "
                  "(the kernel booted); it exits when the init powers off. No KVM for arm64 "
                  "here, so it is emulated like realmbox; Kata/CoCo with KVM on Arm hardware "
                  "start far faster.", ""]
        if "syscalls" in d:
            ms = self.fast_modes()
            L += ["## 2. System-call cost (ns per call, timed inside the container)", "",
                  f"`{EXITS_MODE}` is realm with exitless forwarding off (REALMBOX_EXITLESS=0): "
                  "every forwarded call exits to the host and back.", "",
                  "| call | " + " | ".join(ms) + f" | realm/none | {EXITS_MODE}/none |",
                  "|---|" + "---|" * (len(ms) + 2)]
            for op, v in d["syscalls"].items():
                cells = [f"{v[m]['ns']:.0f}" if v.get(m, {}).get("ns") else "–" for m in ms]
                L.append(f"| {op} | " + " | ".join(cells) + " | " +
                         self.ratio(v.get("realm", {}).get("ns"), v.get("none", {}).get("ns")) +
                         " | " + self.ratio(v.get(EXITS_MODE, {}).get("ns"),
                                            v.get("none", {}).get("ns")) + " |")
            L += ["", "Counts per call (difference of N calls and 0 calls):", "",
                  "| call | mode | " + " | ".join(COUNTS) + " |",
                  "|---|---|" + "---|" * len(COUNTS)]
            for op, v in d["syscalls"].items():
                for m in ("realm", EXITS_MODE, "shim"):
                    pc = v.get(m, {}).get("per_call")
                    if pc is not None:
                        L.append(f"| {op} | {m} | " + " | ".join(
                            f"{pc[k]:.2f}" if k in pc else "0" for k in COUNTS) + " |")
            L += ["", "![system calls](syscalls.png)", ""]
        if "apps" in d:
            ms = self.fast_modes()
            L += ["## 3. Application overhead (whole run, seconds)", "",
                  "| workload | " + " | ".join(ms) +
                  f" | realm/none | {EXITS_MODE}/none | shim/none | none/qemu |",
                  "|---|" + "---|" * (len(ms) + 4)]
            for name, v in d["apps"].items():
                g = lambda m: v.get(m, {}).get("s")  # noqa: E731
                cells = [f"{g(m):.2f}" if g(m) else "–" for m in ms]
                L.append(f"| {name} | " + " | ".join(cells) + f" | {self.ratio(g('realm'), g('none'))}"
                         f" | {self.ratio(g(EXITS_MODE), g('none'))}"
                         f" | {self.ratio(g('shim'), g('none'))} | {self.ratio(g('none'), g('qemu'))} |")
                outs = {m: v[m]["output"] for m in v if v[m]["s"]}
                if len(set(outs.values())) > 1:
                    L.append(f"|  outputs differ: {outs} |")
            L += ["", "![applications](apps.png)", ""]
        if "tcb" in d:
            L += ["## 4. Trusted computing base (SLoC, `make tcb-aarch64`)", "", "```"] + \
                 d["tcb"] + ["```", "",
                             "Published figures for comparison: TF-RMM v1.0 ≈ 15k SLoC (our count "
                             "of its v0.5 tree); RContainer adds 2,647 lines, 130 of them at EL3.",
                             ""]
        if "net" in d:
            L += bench_net.report(d["net"])
        if "density" in d:
            L += ["## 7. Density: N containers started at once", "",
                  "Each container is `sleep 60` started with `realmbox run --detach`; all N "
                  "launched together. RSS is the container's monitor process, which holds its "
                  "own emulated machine (REALMBOX_DAEMON=0), when all N are running "
                  "and again a few seconds later (its pool of ready vCPUs is still being built "
                  "when it reports running).", ""] + \
                 bench_density.table(d["density"]) + [""]
        with open(os.path.join(self.out, "report.md"), "w") as f:
            f.write("\n".join(L))
        self.plots()

    def plots(self):
        if not shutil.which("gnuplot"):
            print("bench: gnuplot not installed: no plots", file=sys.stderr)
            return
        d = self.data
        jobs = []
        if "start" in d:
            rows = [(m, v["exit_median_ms"]) for m, v in d["start"].items()]
            jobs.append(("start.png", "start-to-exit of busybox true (median ms)", rows, False))
        if "syscalls" in d:
            rows = [(f"{op}/{m}", v[m]["ns"]) for op, v in d["syscalls"].items()
                    for m in self.fast_modes() if v.get(m, {}).get("ns")]
            jobs.append(("syscalls.png", "ns per system call (log)", rows, True))
        if "apps" in d:
            rows = [(f"{n.split()[0]}/{m}", v[m]["s"]) for n, v in d["apps"].items()
                    for m in self.fast_modes() if v.get(m, {}).get("s")]
            jobs.append(("apps.png", "application run time (s)", rows, False))
        for png, title, rows, log in jobs:
            dat = os.path.join(self.tmp, png + ".dat")
            with open(dat, "w") as f:
                for i, (k, v) in enumerate(rows):
                    f.write(f"{i} \"{k}\" {v}\n")
            script = (f"set terminal png size 1000,500; set output '{os.path.join(self.out, png)}';"
                      f"set title '{title}'; set style fill solid; set boxwidth 0.7;"
                      f"set xtics rotate by -45; {'set logscale y;' if log else ''}"
                      f"plot '{dat}' using 1:3:xtic(2) with boxes notitle")
            subprocess.run(["gnuplot", "-e", script], check=False)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.environ.get("BUILD", "build"))
    ap.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "20")))
    ap.add_argument("--out", default=os.path.join(REPO, "bench"))
    ap.add_argument("--quick", action="store_true", help="3 runs, no applications")
    ap.add_argument("--only-apps", metavar="SUBSTRING",
                    help="only the application table, its workloads whose name contains this")
    ap.add_argument("--only-density", action="store_true",
                    help="measure section 7 alone and merge it into the existing data.json")
    ap.add_argument("--only-net", action="store_true",
                    help="only section 6, merged into OUT/data.json")
    ap.add_argument("--only-start", action="store_true",
                    help="only section 1 (start latency, peers not included), merged into "
                    "OUT/data.json")
    ap.add_argument("--from", dest="from_json", metavar="DATA",
                    help="only write the report and plots again from a data.json")
    a = ap.parse_args()
    if a.from_json:
        b = Bench.__new__(Bench)
        with open(a.from_json) as f:
            b.data = json.load(f)
        b.out, b.tmp = a.out, tempfile.mkdtemp(prefix="rb-bench-")
        b.modes = [m for m in ("realm", "shim", "none") if m in b.data.get("start", {})]
        b.qemu = "qemu" in b.data.get("start", {})
        b.write()
        shutil.rmtree(b.tmp, ignore_errors=True)
        return
    b = Bench(a.build, 3 if a.quick else a.runs, a.out)
    b.only_apps = a.only_apps
    steps = (b.start_latency, b.syscalls) + \
        (() if a.quick else (b.apps, b.peers, b.net, b.density)) + (b.tcb,)
    if a.only_apps is not None:
        steps = (b.apps,)
    only = "net" if a.only_net else "density" if a.only_density else \
        "start" if a.only_start else None
    if only:
        old = os.path.join(a.out, "data.json")
        if os.path.exists(old):
            with open(old) as f:
                keep = json.load(f)
            keep.pop(only, None)
            for k in ("loadavg_start", "loadavg_end"):
                if k not in keep:
                    b.data.pop(k, None)  # the header's load is the whole run's, or none
            b.data.update(keep)  # the header describes the sections measured then
        steps = {"net": (b.net,), "density": (b.density,), "start": (b.start_latency,)}[only]
    try:
        for step in steps:
            print(f"bench: {step.__name__} ...", file=sys.stderr, flush=True)
            step()
        b.write()
        print(f"bench: {os.path.join(a.out, 'report.md')}", file=sys.stderr)
    finally:
        shutil.rmtree(b.tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
