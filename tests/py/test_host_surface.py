#!/usr/bin/env python3
"""The CVE table's container-side scenarios (docs/security.md): a container
reaching for the host's attack surface as CVE-2022-23222 (bpf(2)),
CVE-2010-2959 (socket(AF_CAN, SOCK_DGRAM, CAN_BCM)) and CVE-2024-21626 (a
runtime's leaked host fd or working directory: fds above 2, fchdir,
/proc/self/fd/N, "..", /proc/1/root) do. tests/programs/host_surface tries
each and prints what it got; argv[1] is a host file outside the rootfs.

Under `realmbox run --isolation realm|shim|none` every system call is the
library OS's: none of them reaches the host kernel's eBPF or CAN code, the
container holds no host fd, and the host file is not found. The control,
which shows the probe can fail: the same program under plain
qemu-aarch64-static (system calls go to the host kernel, no chroot) reads
the host file. Skipped (exit 0, with a message) when qemu-aarch64-static is
missing; the realmbox runs happen either way.

  BUILD=build python3 tests/py/test_host_surface.py [-k MODE]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import differential  # noqa: E402
from lib import env as rbenv  # noqa: E402

HOST_FILE = os.path.join(rbenv.REPO, "Makefile")  # on the host, not in the rootfs
PROGRAM = "/prog/static/host_surface"


def expected(socket_errno):
    return "".join(f"{what:<32} {res}\n" for what, res in [
        ("bpf(BPF_MAP_CREATE)", "-1 ENOSYS"),
        ("bpf(BPF_PROG_LOAD)", "-1 ENOSYS"),
        ("socket(AF_CAN, CAN_BCM)", f"-1 {socket_errno}"),
        ("fds open above 2", "0"),
        ("fchdir to fds 3..1023", "0"),
        ("chdir(/proc/self/fd/7)", "-1 ENOENT"),
        ("host file", "-1 ENOENT"),
        ("host file via /proc/1/root", "-1 ENOENT"),
        ("host file via /../..", "-1 ENOENT"),
        ("chdir(/../../..)", "0"),
        ("host file via cwd ../../..", "-1 ENOENT"),
    ])


def run_mode(mode):
    rootfs = os.path.join(rbenv.bundle("programs"), "rootfs")
    config = {"ociVersion": "1.0.2",
              "process": {"terminal": False, "user": {"uid": 0, "gid": 0},
                          "args": [PROGRAM, HOST_FILE], "env": differential.DEFAULT_ENV,
                          "cwd": "/"},
              "root": {"path": rootfs, "readonly": False}, "hostname": "realmbox"}
    with tempfile.TemporaryDirectory(prefix="rb-surface-") as tmp:
        with open(os.path.join(tmp, "config.json"), "w") as f:
            json.dump(config, f)
        r = differential.run_realmbox(tmp, f"surface-{mode}", mode, timeout=120)
    out = r.stdout.decode(errors="replace")
    # the socket layer may know the family and refuse it, or not exist yet
    if out in (expected("EAFNOSUPPORT"), expected("ENOSYS")) and r.status == 0:
        print(f"pass   {mode}: no host surface reached")
        return True
    print(f"FAIL   {mode}: status {r.status} {r.note}\n--- got\n{out}--- want\n"
          f"{expected('EAFNOSUPPORT')}--- stderr\n{r.stderr.decode(errors='replace')}")
    return False


def control():
    """Without the library OS in between the same probe reads the host file."""
    qemu = shutil.which("qemu-aarch64-static")
    if not qemu:
        print("skip   control: qemu-aarch64-static is not installed")
        return True
    prog = os.path.join(rbenv.bundle("programs"), "rootfs", PROGRAM.lstrip("/"))
    p = subprocess.run([qemu, prog, HOST_FILE], capture_output=True, timeout=60, cwd="/")
    lines = [ln for ln in p.stdout.decode(errors="replace").splitlines()
             if ln.startswith("host file ") or ln.startswith("host file via /../..")]
    reads = [ln for ln in lines if " read " in ln]
    if p.returncode == 0 and len(reads) >= 2:
        print(f"pass   control: plain qemu-aarch64 read the host file ({len(reads)} ways)")
        return True
    print(f"FAIL   control: the probe did not reach the host file without realmbox:\n"
          f"{p.stdout.decode(errors='replace')}")
    return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-k", default=None, help="only this mode (realm, shim, none, control)")
    args = ap.parse_args()
    ok = True
    for mode in ("none", "shim", "realm"):
        if args.k in (None, mode):
            ok &= run_mode(mode)
    if args.k in (None, "control"):
        ok &= control()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
