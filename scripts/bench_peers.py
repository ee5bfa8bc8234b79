#!/usr/bin/env python3
"""The peers `make bench` compares realmbox with, besides qemu-aarch64 (issue 9
item 1): start latency of

  - a microVM of the kind Kata/CoCo use: qemu-system-aarch64 (TCG: this
    machine has no KVM for arm64) booting Debian's arm64 kernel
    (linux-image-arm64, fetched with `apt-get download`) with an initramfs
    holding Debian's static arm64 busybox, whose /init prints one line, runs
    `true` and powers off. Time to the first line on the serial console and
    to qemu's exit, from the same boots;
  - runc and crun running Debian's x86-64 busybox-static (`true`, and `echo`
    to the first output byte): native containers, no isolation beyond
    namespaces, labelled as such.

Everything is fetched from Debian's archive into a cache directory (default
~/.cache/realmbox/peers); packages the host needs (qemu-system-arm, crun, cpio: `scripts/setup.sh bench`;
runc: `scripts/setup.sh`) are installed by setup.sh. A peer that cannot run on
this machine is reported with the reason instead of a figure.

  scripts/bench_peers.py [--runs N] [--cache DIR]   (prints JSON)
"""
import argparse
import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "py"))
from lib import peers  # noqa: E402

CACHE = peers.CACHE
MICROVM_LINE = b"hello from the microVM"


def _pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def _summary(exits, firsts):
    return {"exit_median_ms": 1000 * statistics.median(exits),
            "exit_p95_ms": 1000 * _pct(exits, 95),
            "first_output_median_ms": 1000 * statistics.median(firsts),
            "first_output_p95_ms": 1000 * _pct(firsts, 95),
            "runs": len(exits)}


def _arm64_busybox():
    out = subprocess.run(["dpkg", "-L", "busybox-static:arm64"], capture_output=True,
                         text=True).stdout.split()
    for f in out:
        if f.endswith("/bin/busybox") and os.path.isfile(f):
            return f
    raise RuntimeError("busybox-static:arm64 is not installed (scripts/setup.sh)")


def microvm_prepare(cache, tmp):
    """(kernel, initrd) for the microVM; raises RuntimeError with the reason."""
    for tool in ("qemu-system-aarch64", "cpio", "apt-get", "dpkg-deb"):
        if not shutil.which(tool):
            raise RuntimeError(f"{tool} not installed (scripts/setup.sh bench)")
    dep = subprocess.run(["apt-cache", "depends", "linux-image-arm64:arm64"], capture_output=True,
                         text=True).stdout
    kpkg = next((ln.split()[1] for ln in dep.splitlines()
                 if ln.strip().startswith("Depends:") and "linux-image-" in ln), None)
    if kpkg is None:
        raise RuntimeError("apt-cache knows no linux-image-arm64:arm64 (arm64 not enabled?)")
    kdir = os.path.join(cache, "kernel")
    kernels = glob.glob(os.path.join(kdir, "boot", "vmlinuz-*"))
    if not kernels:
        peers.extract(peers.download(kpkg if ":" in kpkg else kpkg + ":arm64", cache), kdir)
        kernels = glob.glob(os.path.join(kdir, "boot", "vmlinuz-*"))
    if not kernels:
        raise RuntimeError(f"{kpkg} has no /boot/vmlinuz-*")
    root = os.path.join(tmp, "initramfs")
    os.makedirs(os.path.join(root, "bin"))
    shutil.copy(_arm64_busybox(), os.path.join(root, "bin", "busybox"))
    with open(os.path.join(root, "init"), "w") as f:
        f.write("#!/bin/busybox sh\n/bin/busybox echo " + MICROVM_LINE.decode() +
                "\n/bin/busybox true\n/bin/busybox poweroff -f\n")
    os.chmod(os.path.join(root, "init"), 0o755)
    initrd = os.path.join(tmp, "initrd.gz")
    with open(initrd, "wb") as out:
        find = subprocess.Popen(["find", "."], cwd=root, stdout=subprocess.PIPE)
        cpio = subprocess.Popen(["cpio", "-o", "-H", "newc", "--quiet"], cwd=root,
                                stdin=find.stdout, stdout=subprocess.PIPE)
        subprocess.run(["gzip", "-1"], stdin=cpio.stdout, stdout=out, check=True)
        find.wait()
        cpio.wait()
    return kernels[0], initrd


def microvm_boot(kernel, initrd, timeout=300):
    """(seconds to the init's line on the console, seconds to qemu's exit)."""
    cmd = ["qemu-system-aarch64", "-M", "virt", "-cpu", "max", "-m", "256", "-smp", "1",
           "-nographic", "-no-reboot", "-net", "none", "-kernel", kernel, "-initrd", initrd,
           "-append", "console=ttyAMA0 quiet panic=-1 rdinit=/init"]
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL)
    buf, first = b"", None
    while True:
        chunk = p.stdout.read1(4096) if hasattr(p.stdout, "read1") else p.stdout.read(1)
        if not chunk:
            break
        buf += chunk
        if first is None and MICROVM_LINE in buf:
            first = time.perf_counter() - t0
        if time.perf_counter() - t0 > timeout:
            p.kill()
            break
    rc = p.wait()
    t = time.perf_counter() - t0
    if first is None or rc != 0:
        raise RuntimeError(f"microVM boot failed (qemu exit {rc}): {buf[-300:]!r}")
    return first, t


def oci_run(runtime, bundle, state, args, first_output, n):
    """Seconds for one `RUNTIME run` of args (to exit, or to the first stdout byte)."""
    with open(os.path.join(bundle, "config.json")) as f:
        cfg = json.load(f)
    cfg["process"]["args"] = args
    cfg["process"]["terminal"] = False
    with open(os.path.join(bundle, "config.json"), "w") as f:
        json.dump(cfg, f)
    t0 = time.perf_counter()
    p = subprocess.Popen([runtime, "--root", state, "run", "--bundle", bundle, f"rb-peer-{n}"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    t_first = None
    if first_output:
        p.stdout.read(1)
        t_first = time.perf_counter() - t0
    out, err = p.communicate(timeout=60)
    if p.returncode != 0:
        raise RuntimeError(f"{runtime} run failed (exit {p.returncode}): "
                           f"{err.decode(errors='replace').strip()[-200:]}")
    return t_first if first_output else time.perf_counter() - t0


def runtime_start(runtime, bundle, tmp, runs):
    if not shutil.which(runtime):
        raise RuntimeError(f"{runtime} not installed (scripts/setup.sh bench)")
    if not os.path.exists(os.path.join(bundle, "config.json")):
        subprocess.run([runtime, "spec"], cwd=bundle, check=True, capture_output=True)
    state = tempfile.mkdtemp(dir=tmp, prefix=runtime + "-state-")
    exits = [oci_run(runtime, bundle, state, ["/bin/true"], False, i) for i in range(runs)]
    firsts = [oci_run(runtime, bundle, state, ["/bin/echo", "hi"], True, runs + i)
              for i in range(runs)]
    return _summary(exits, firsts)


def measure(runs, microvm_runs, cache=CACHE):
    """{peer: summary | {"error": reason}} for microvm, runc, crun."""
    res = {}
    tmp = tempfile.mkdtemp(prefix="rb-peers-")
    try:
        try:
            kernel, initrd = microvm_prepare(cache, tmp)
            boots = [microvm_boot(kernel, initrd) for _ in range(microvm_runs)]
            res["microvm"] = _summary([b[1] for b in boots], [b[0] for b in boots])
            res["microvm"]["kernel"] = os.path.basename(kernel)
        except (RuntimeError, subprocess.CalledProcessError, OSError) as e:
            res["microvm"] = {"error": str(e)}
        for rt in ("runc", "crun"):
            try:
                bundle = peers.runc_prepare(cache, tempfile.mkdtemp(dir=tmp))
                res[rt] = runtime_start(rt, bundle, tmp, runs)
            except (RuntimeError, subprocess.CalledProcessError, OSError,
                    subprocess.TimeoutExpired) as e:
                res[rt] = {"error": str(e)}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--microvm-runs", type=int, default=3)
    ap.add_argument("--cache", default=CACHE)
    a = ap.parse_args()
    json.dump(measure(a.runs, a.microvm_runs, a.cache), sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
