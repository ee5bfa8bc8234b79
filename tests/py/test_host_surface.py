#!/usr/bin/env python3
"""The CVE table's container-side scenarios (docs/security.md): a container
reaching for the host's attack surface as CVE-2022-23222 (bpf(2)),
CVE-2010-2959 (socket(AF_CAN, SOCK_DGRAM, CAN_BCM)) and CVE-2024-21626 (a
runtime's leaked host fd or working directory: fds above 2, fchdir,
/proc/self/fd/N, "..", /proc/1/root) do, then the kernel surfaces of the
CVE classes of docs/security.md §3.2 (keyrings, io_uring, userfaultfd, perf
events, namespaces, mount and fsopen, ptrace, splice, SysV message queues,
module loading, process_vm_writev, open_by_handle_at; packet, netlink,
vsock, AF_ALG and raw IP sockets; netfilter's socket options on a TCP
socket; core_pattern, modprobe, release_agent,
/proc/kcore, /proc/kallsyms, /dev/mem, /dev/kmsg, /proc/self/mem; where
/proc/self/exe leads). tests/programs/host_surface tries each and prints
what it got; argv[1] is a host file outside the rootfs.

Under `realmbox run --isolation realm|shim|none` every system call is the
library OS's: none of them reaches the host kernel's code for these, the
container holds no host fd, and the host file is not found. The control,
which shows the probe can fail: the same program under plain
qemu-aarch64-static (system calls go to the host kernel, no chroot) reads
the host file and gets answers from the host kernel for most of the kernel
surfaces (qemu answers ENOSYS itself for the calls it does not emulate).
Every probe is harmless on the host (nothing is written; missing names and
invalid arguments where a valid one would create something). Skipped (exit
0, with a message) when qemu-aarch64-static is missing; the realmbox runs
happen either way.

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


# The socket layer may refuse a family it does not know (EAFNOSUPPORT) or
# not exist yet (ENOSYS); never a socket.
NO_FAMILY = ("EAFNOSUPPORT", "ENOSYS")

# One line per probe of tests/programs/host_surface.c: what it tried and the
# answers that show it did not reach the host. The first answer is the one
# printed when a line fails.
EXPECTED = [
    ("bpf(BPF_MAP_CREATE)", ["-1 ENOSYS"]),
    ("bpf(BPF_PROG_LOAD)", ["-1 ENOSYS"]),
    ("socket(AF_CAN, CAN_BCM)", [f"-1 {e}" for e in NO_FAMILY]),
    ("fds open above 2", ["0"]),
    ("fchdir to fds 3..1023", ["0"]),
    ("chdir(/proc/self/fd/7)", ["-1 ENOENT"]),
    ("host file", ["-1 ENOENT"]),
    ("host file via /proc/1/root", ["-1 ENOENT"]),
    ("host file via /../..", ["-1 ENOENT"]),
    ("chdir(/../../..)", ["0"]),
    ("host file via cwd ../../..", ["-1 ENOENT"]),
] + [(what, ["-1 ENOSYS"]) for what in (
    # system calls the library OS does not implement: the kernel code of
    # whole CVE classes (docs/security.md §3.2) is not reached
    "keyctl(GET_KEYRING_ID)", "add_key(no such type)", "io_uring_setup", "userfaultfd",
    "perf_event_open", "unshare(NEWUSER|NEWNS)", "setns(0, 0)", "mount(tmpfs, missing dir)",
    "fsopen(no such fs)", "ptrace(GETREGSET, self)", "splice(-1, -1)", "msgget(no such key)",
    "finit_module(-1)", "process_vm_writev(self, 0)", "open_by_handle_at(-1)")
] + [(what, [f"-1 {e}" for e in NO_FAMILY]) for what in (
    # socket families beyond AF_INET, AF_INET6 and AF_UNIX
    "socket(AF_PACKET, RAW)", "socket(AF_NETLINK, ROUTE)", "socket(AF_NETLINK, NETFILTER)",
    "socket(AF_VSOCK, STREAM)", "socket(AF_ALG, SEQPACKET)")
] + [
    # raw IP: no CAP_NET_RAW (EPERM), or no host network at all
    ("socket(AF_INET, RAW)", ["-1 EPERM"] + [f"-1 {e}" for e in NO_FAMILY]),
    # netfilter's x_tables through a TCP socket's options: not on the
    # network proxy's allow-list (or no TCP socket without a host network)
    ("getsockopt(IPT_SO_GET_INFO)", ["-1 ENOPROTOOPT"] + [f"-1 {e}" for e in NO_FAMILY]),
] + [(what, ["-1 ENOENT"]) for what in (
    # the files escapes write or read kernel memory through: absent
    "write /proc/sys/k/core_pattern", "write /proc/sys/kernel/modprobe",
    "write cgroup release_agent", "read /proc/kcore", "read /proc/kallsyms",
    "read /dev/mem", "read /dev/kmsg", "write /proc/self/mem")
] + [
    # where a runtime-binary overwrite (runc's CVE-2019-5736 class) would
    # land: the container's own program in its rootfs
    ("/proc/self/exe", ["-> /prog/static/host_surface"]),
]

# Lines after which the probes are kernel_surface()'s (the control counts
# how many of those the host kernel answered otherwise)
FIRST_KERNEL_PROBE = "keyctl(GET_KEYRING_ID)"


def check(out):
    """The lines of out that are not an expected answer, as (got, want)."""
    lines = out.splitlines()
    bad = []
    for i, (what, answers) in enumerate(EXPECTED):
        want = f"{what:<32} {answers[0]}"
        got = lines[i] if i < len(lines) else "(missing)"
        if got not in [f"{what:<32} {a}" for a in answers]:
            bad.append((got, want))
    for extra in lines[len(EXPECTED):]:
        bad.append((extra, "(nothing)"))
    return bad


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
    bad = check(out)
    if not bad and r.status == 0:
        print(f"pass   {mode}: no host surface reached ({len(EXPECTED)} probes)")
        return True
    diff = "".join(f"  got  {g}\n  want {w}\n" for g, w in bad)
    print(f"FAIL   {mode}: status {r.status} {r.note}\n{diff}--- output\n{out}"
          f"--- stderr\n{r.stderr.decode(errors='replace')}")
    return False


def control():
    """Without the library OS in between the same probe reads the host file."""
    qemu = shutil.which("qemu-aarch64-static")
    if not qemu:
        print("skip   control: qemu-aarch64-static is not installed")
        return True
    prog = os.path.join(rbenv.bundle("programs"), "rootfs", PROGRAM.lstrip("/"))
    p = subprocess.run([qemu, prog, HOST_FILE], capture_output=True, timeout=60, cwd="/")
    out = p.stdout.decode(errors="replace")
    lines = [ln for ln in out.splitlines() if ln.startswith("host file")]
    reads = [ln for ln in lines if " read " in ln]
    # the kernel surface: lines the host kernel answered otherwise than the
    # library OS must (qemu itself answers ENOSYS for some calls it does
    # not emulate, so not all of them)
    first = [w for w, _ in EXPECTED].index(FIRST_KERNEL_PROBE)
    reached = [g for g, w in check(out) if g[:32].strip() in
               [w for w, _ in EXPECTED[first:]]]
    if p.returncode == 0 and len(reads) >= 2 and len(reached) >= 8:
        print(f"pass   control: plain qemu-aarch64 read the host file ({len(reads)} ways) "
              f"and reached {len(reached)} of {len(EXPECTED) - first} kernel surfaces")
        return True
    print(f"FAIL   control: the probe did not reach the host without realmbox "
          f"({len(reads)} host-file reads, {len(reached)} kernel surfaces):\n{out}")
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
