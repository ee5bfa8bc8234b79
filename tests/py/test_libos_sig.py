#!/usr/bin/env python3
"""Library OS behaviour the qemu-aarch64 oracle cannot show, checked under
`realmbox run --isolation none`, `realm` and `shim` against fixed expectations: robust futexes
(qemu-user answers set_robust_list with ENOSYS), fault details qemu-user
reports differently from Linux (SIGILL's si_code, SIGBUS's si_addr), and
/proc and /sys as
programs read them (the oracle's chroot mounts neither, and their values
differ from any host anyway: the checks assert structure, not numbers).
The differential suites (test_differential_*.py) cover the rest.

  python3 tests/py/test_libos_sig.py [-k NAME] [-v] [--isolation MODE[,MODE...]]
"""
import argparse
import os
import re
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import differential as d  # noqa: E402
from lib.differential import Case, sh  # noqa: E402


def lines(out):
    return out.decode(errors="replace").splitlines()


# Robust futexes of a thread that dies other than through exit/exit_group (a
# process killed by a signal while in a system call, or, in shim mode, before
# it went back to user code after its last call, as the "user code" case is on
# one host thread: its write() is still its trap): the RMM and the mini-OS
# allow the robust-list walk at such an end only once the library OS marks the
# task as ending (realm: RSI_RB_ENDING; shim: rc_task_ending). Every mode must
# give EOWNERDEAD for all of them; a mode listed here would only be reported.
ROBUST_KNOWN_GAPS = {}


def check_robust(out, mode="none"):
    want = ["get_robust_list: 0 len 24 head set 1", "set_robust_list bad len: EINVAL",
            "lock after the owner died: EOWNERDEAD",
            "blocked lock when the owner died: EOWNERDEAD",
            "lock after the owner process was killed in user code: EOWNERDEAD",
            "lock after the owner process was killed in a system call: EOWNERDEAD",
            "futex robust: done"]
    gaps = ROBUST_KNOWN_GAPS.get(mode, [])
    for w in gaps:
        if w not in lines(out):
            print(f"         known gap ({mode}): no line {w!r}")
    return [f"missing line {w!r}" for w in want if w not in lines(out) and w not in gaps]


def section(out, name):
    """The lines between '== name' and the next '== ' marker."""
    ls, res, on = lines(out), [], False
    for line in ls:
        if line.startswith("== "):
            on = line == "== " + name
            continue
        if on:
            res.append(line)
    return res


def expect(cond, why, errs):
    if not cond:
        errs.append(why)


PROC_SCRIPT = """
echo '== cpuinfo'; cat /proc/cpuinfo
echo '== meminfo'; cat /proc/meminfo
echo '== free'; free
echo '== uptime'; cat /proc/uptime
echo '== uptime-cmd'; uptime
echo '== loadavg'; cat /proc/loadavg
echo '== stat'; cat /proc/stat
echo '== nproc'; nproc
echo '== sysctl'; cat /proc/sys/kernel/hostname /proc/sys/kernel/osrelease \
    /proc/sys/kernel/ostype /proc/sys/kernel/pid_max
echo '== syscpu'; cat /sys/devices/system/cpu/online /sys/devices/system/cpu/possible \
    /sys/devices/system/cpu/present /sys/kernel/mm/transparent_hugepage/hpage_pmd_size
echo '== mounts'; cat /proc/mounts
echo '== selfmounts'; cat /proc/self/mounts
echo '== mountinfo'; cat /proc/self/mountinfo
echo '== selfstat'; cat /proc/self/stat
echo '== status'; cat /proc/self/status
echo '== maps'; cat /proc/self/maps
echo '== fd'; ls /proc/self/fd
echo '== exe'; readlink /proc/self/exe
echo '== ps'; sleep 1 & ps; wait
echo '== ls'; ls /proc/sys/kernel /sys/devices/system/cpu /sys/kernel/mm/transparent_hugepage
echo '== uuid'; cat /proc/sys/kernel/random/boot_id /proc/sys/kernel/random/boot_id \
    /proc/sys/kernel/random/uuid
echo '== end'
"""

NUM = r"\d+"


def check_proc(out, mode="none"):
    errs = []
    sec = lambda n: section(out, n)  # noqa: E731
    ci = sec("cpuinfo")
    expect("processor\t: 0" in ci, f"cpuinfo: no 'processor\\t: 0' in {ci[:3]}", errs)
    expect(any(re.fullmatch(r"BogoMIPS\t: \d+\.\d\d", x) for x in ci), "cpuinfo: BogoMIPS", errs)
    feat = [x for x in ci if x.startswith("Features\t:")]
    expect(feat and " fp " in feat[0] + " " and "asimd" in feat[0],
           f"cpuinfo: Features from the hwcap: {feat}", errs)
    for k in ("CPU implementer\t: 0x41", "CPU architecture: 8", "CPU part\t: 0xd0c"):
        expect(k in ci, f"cpuinfo: no {k!r}", errs)
    mi = sec("meminfo")
    keys = [x.split(":")[0] for x in mi]
    expect(keys[:3] == ["MemTotal", "MemFree", "MemAvailable"], f"meminfo keys {keys[:3]}", errs)
    vals = {}
    for x in mi:
        m = re.fullmatch(r"([A-Za-z_()]+):\s+(\d+)( kB)?", x)
        expect(m is not None, f"meminfo line {x!r}", errs)
        if m:
            vals[m.group(1)] = int(m.group(2))
    expect(0 < vals.get("MemFree", 0) <= vals.get("MemTotal", 0), f"meminfo {vals}", errs)
    fr = sec("free")
    expect(len(fr) >= 2 and "total" in fr[0] and re.match(r"Mem:\s+\d+\s+\d+\s+\d+", fr[1]),
           f"free: {fr}", errs)
    up = sec("uptime")
    m = re.fullmatch(r"(\d+\.\d\d) (\d+\.\d\d)", up[0] if up else "")
    expect(m and float(m.group(2)) <= float(m.group(1)) + 0.01, f"/proc/uptime {up}", errs)
    uc = sec("uptime-cmd")
    expect(uc and "up" in uc[0] and "load average: 0.00, 0.00, 0.00" in uc[0],
           f"uptime: {uc}", errs)
    la = sec("loadavg")
    expect(la and re.fullmatch(r"\d+\.\d\d \d+\.\d\d \d+\.\d\d \d+/\d+ \d+", la[0]),
           f"loadavg {la}", errs)
    st = sec("stat")
    expect(st and re.fullmatch(r"cpu  \d+( \d+){9}", st[0]) and st[1].startswith("cpu0 "),
           f"/proc/stat cpu lines {st[:2]}", errs)
    bt = [int(x.split()[1]) for x in st if x.startswith("btime ")]
    expect(bt and abs(bt[0] - time.time()) < 600, f"/proc/stat btime {bt}", errs)
    expect(any(re.fullmatch(r"processes [1-9]\d*", x) for x in st), "/proc/stat processes", errs)
    expect(sec("nproc") == ["1"], f"nproc {sec('nproc')}", errs)
    expect(sec("sysctl") == ["realmbox", "6.1.0-realmbox", "Linux", "4194304"],
           f"/proc/sys/kernel: {sec('sysctl')}", errs)
    expect(sec("syscpu") == ["0", "0", "0", "2097152"], f"/sys: {sec('syscpu')}", errs)
    mo = sec("mounts")
    expect(mo and mo[0].startswith("overlay / overlay rw") and
           any(x.startswith("proc /proc proc ") for x in mo), f"mounts {mo}", errs)
    expect(sec("selfmounts") == mo, "self/mounts differs from /proc/mounts", errs)
    mi = sec("mountinfo")
    expect(len(mi) >= 2 and all(re.match(r"\d+ \d+ \d+:\d+ / /\S* \S+ - \S+ \S+ \S+", x)
                                for x in mi), f"mountinfo {mi}", errs)
    ss = sec("selfstat")
    f = ss[0].split() if ss else []
    expect(len(f) == 52 and f[1] == "(cat)" and f[2] in "RS" and f[19] == "1",
           f"/proc/self/stat: {len(f)} fields: {ss}", errs)
    stt = sec("status")
    for k in (r"Name:\tcat", r"State:\t[RS] \(\w+\)", r"Pid:\t\d+", r"PPid:\t\d+",
              r"Threads:\t1", r"VmRSS:\s+\d+ kB", r"VmSize:\s+\d+ kB", r"SigBlk:\t[0-9a-f]{16}",
              r"Cpus_allowed_list:\t0"):
        expect(any(re.fullmatch(k, x) for x in stt), f"status: no {k}", errs)
    mp = sec("maps")
    expect(mp and all(re.match(r"[0-9a-f]+-[0-9a-f]+ [r-][w-][x-][ps] [0-9a-f]+ \d\d:\d\d \d+", x)
                      for x in mp) and any(x.endswith("[stack]") for x in mp),
           f"maps {mp[:4]}", errs)
    expect(set(["0", "1", "2"]) <= set(" ".join(sec("fd")).split()), f"fd {sec('fd')}", errs)
    expect(sec("exe") == ["/bin/busybox"], f"exe {sec('exe')}", errs)
    ps = sec("ps")
    expect(ps and ps[0].split()[0] == "PID" and any("sleep 1" in x for x in ps) and
           any(re.match(r"\s*1 root ", x) for x in ps), f"ps {ps}", errs)
    ls = " ".join(sec("ls")).split()
    for n in ("hostname", "osrelease", "ostype", "pid_max", "online", "possible", "present",
              "cpu0", "hpage_pmd_size"):
        expect(n in ls, f"ls: no {n}", errs)
    uu = sec("uuid")
    pat = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
    expect(len(uu) == 3 and all(re.fullmatch(pat, x) for x in uu) and uu[0] == uu[1] and
           uu[2] != uu[0], f"boot_id/uuid {uu}", errs)
    return errs


def check_exact(out, mode="none"):
    want = ["exact: SIGBUS si_addr right 1", "exact: SIGILL ILL_ILLOPC 1", "sigsem: done"]
    return [f"missing line {w!r}" for w in want if w not in lines(out)]


def check_shmem_exact(out, mode="none"):
    want = ["exact: its name: /memfd:test (deleted)", "exact: madvise bad advice: Invalid argument",
            "exact: madvise over a hole: Cannot allocate memory", "shmem: done"]
    return [f"missing line {w!r}" for w in want if w not in lines(out)]


CASES = [
    (Case("shmem-exact", ["/prog/static/shmem", "exact"], bundle="programs", timeout=90),
     check_shmem_exact),
    # Linux facts qemu-aarch64 gets wrong (si_addr of SIGBUS, si_code of SIGILL)
    (Case("sigsem-exact", ["/prog/static/sigsem", "exact"], bundle="programs", timeout=90),
     check_exact),
    (sh("proc-sys", PROC_SCRIPT, timeout=60), check_proc),
    (Case("robust-static", ["/prog/static/futex", "robust"], bundle="programs", timeout=60),
     check_robust),
    (Case("robust-dynamic", ["/prog/dynamic/futex", "robust"], bundle="programs", timeout=60),
     check_robust),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-k")
    ap.add_argument("-v", action="store_true")
    ap.add_argument("--isolation", default="none,realm,shim",
                    help="modes, comma-separated (default: all three)")
    args = ap.parse_args()
    d.rbenv.need_realmbox()
    fails = 0
    for mode, (case, check) in [(m, c) for m in args.isolation.split(",") for c in CASES]:
        if args.k and args.k not in case.name:
            continue
        t0 = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="rb-sig-") as tmp:
            b = d._write_bundle(tmp, case)
            r = d.run_realmbox(b, "sig-" + case.name, mode, stdin=case.stdin,
                               timeout=case.timeout)
        errs = []
        if r.status != case.expect_status:
            errs.append(f"exit status {r.status} ({r.note}), want {case.expect_status}")
        errs += check(r.stdout, mode)
        ms = (time.monotonic() - t0) * 1000
        print(f"{'pass' if not errs else 'FAIL':6} {mode:6} {case.name:28} {ms:7.0f} ms")
        if errs:
            fails += 1
            for e in errs:
                print("         " + e)
        if errs or args.v:
            print("         stdout: " + r.stdout.decode(errors="replace")[:8000].replace(
                "\n", "\n                 "))
            print("         stderr: " + r.stderr.decode(errors="replace")[:800])
    print(f"{fails} failed")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
