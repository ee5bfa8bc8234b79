"""The oracle: run an OCI process under qemu-aarch64 with a real Linux
kernel behind it (libos-notes.md, "The oracle").

Two methods, picked once per process:

  chroot   (root, binfmt_misc mountable) qemu-aarch64 registered with
           binfmt_misc from /usr/lib/binfmt.d/qemu-aarch64.conf (flags P,
           F: argv[0] kept, interpreter opened at registration so it works
           inside the chroot). Each run gets a fresh copy of the rootfs (so
           writes never reach the bundle and runs are independent, like
           realmbox's in-memory writes), /dev/{null,zero,full,random,urandom}
           made in the copy, and a child in new mount and UTS namespaces
           with /proc mounted and the hostname set (root.readonly: the copy
           bind-mounted read-only); then chroot, chdir(cwd),
           rlimits, umask, groups, gid, uid, exec. Programs and their
           children (sh pipelines, busybox re-exec) all run under qemu.
  qemu-L   otherwise: `qemu-aarch64-static -L ROOTFS ROOTFS/<program>`, with
           rlimits and umask applied (not uid, hostname, cwd inside a chroot)
           for single programs only: a child the program execs would be a
           host binary, and paths that do not exist under ROOTFS (files it
           creates) are host paths. Cases not marked single_program are
           reported as skipped.

Lines qemu itself prints when the guest dies of a signal ("qemu: uncaught
target signal 6 (Aborted) - core dumped") are removed from stderr. The exit
status is the shell's: code, or 128+N for signal N.
"""
import ctypes
import ctypes.util
import os
import resource
import shutil
import signal
import stat
import subprocess
import tempfile

BINFMT_DIR = "/proc/sys/fs/binfmt_misc"
BINFMT_CONF = "/usr/lib/binfmt.d/qemu-aarch64.conf"
QEMU_STATIC = shutil.which("qemu-aarch64-static") or "/usr/bin/qemu-aarch64-static"

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
MS_RDONLY = 1
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 0x4000
MS_PRIVATE = 1 << 18

DEV_NODES = {"null": (1, 3), "zero": (1, 5), "full": (1, 7), "random": (1, 8), "urandom": (1, 9)}

RLIMITS = {
    "RLIMIT_CPU": resource.RLIMIT_CPU, "RLIMIT_FSIZE": resource.RLIMIT_FSIZE,
    "RLIMIT_DATA": resource.RLIMIT_DATA, "RLIMIT_STACK": resource.RLIMIT_STACK,
    "RLIMIT_CORE": resource.RLIMIT_CORE, "RLIMIT_RSS": resource.RLIMIT_RSS,
    "RLIMIT_NPROC": resource.RLIMIT_NPROC, "RLIMIT_NOFILE": resource.RLIMIT_NOFILE,
    "RLIMIT_MEMLOCK": resource.RLIMIT_MEMLOCK, "RLIMIT_AS": resource.RLIMIT_AS,
    "RLIMIT_MSGQUEUE": resource.RLIMIT_MSGQUEUE, "RLIMIT_NICE": resource.RLIMIT_NICE,
    "RLIMIT_RTPRIO": resource.RLIMIT_RTPRIO, "RLIMIT_SIGPENDING": resource.RLIMIT_SIGPENDING,
}


class Result:
    def __init__(self, status, stdout, stderr, method, note=""):
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
        self.method = method
        self.note = note

    def __repr__(self):
        return f"Result(status={self.status}, method={self.method}, stdout={self.stdout[:80]!r})"


def shell_status(returncode):
    return 128 - returncode if returncode < 0 else returncode


def strip_qemu_noise(stderr):
    return b"".join(l for l in stderr.splitlines(keepends=True)
                    if not l.startswith(b"qemu: uncaught target signal"))


_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def _binfmt_ready():
    """Make sure qemu-aarch64 is registered with binfmt_misc; True if it is."""
    entry = os.path.join(BINFMT_DIR, "qemu-aarch64")
    try:
        if not os.path.exists(os.path.join(BINFMT_DIR, "register")):
            subprocess.run(["mount", "-t", "binfmt_misc", "binfmt_misc", BINFMT_DIR],
                           check=True, capture_output=True)
        if not os.path.exists(entry):
            with open(BINFMT_CONF) as f:
                line = f.read().strip()
            with open(os.path.join(BINFMT_DIR, "register"), "w") as f:
                f.write(line)
        with open(entry) as f:
            text = f.read()
        return text.startswith("enabled") and "F" in text.split("flags:")[1].split("\n")[0]
    except (OSError, subprocess.CalledProcessError, IndexError):
        return False


_method = None


def method():
    """"chroot" or "qemu-L" (see the module doc); decided once."""
    global _method
    if _method is None:
        forced = os.environ.get("RB_ORACLE")  # "qemu-L" forces the fallback
        if forced == "qemu-L":
            _method = forced
        else:
            _method = "chroot" if os.geteuid() == 0 and _binfmt_ready() else "qemu-L"
    return _method


def _check(rc, what):
    if rc != 0:
        e = ctypes.get_errno()
        raise OSError(e, f"{what}: {os.strerror(e)}")


def _child_setup(root, cwd, hostname, rlimits, umask, uid, gid, groups, readonly):
    """Runs in the child between fork and exec (chroot method)."""
    def setup():
        _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWUTS), "unshare")
        _check(_libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate /")
        if readonly:
            # root.readonly: the whole rootfs read-only, /tmp included (realmbox
            # honours no tmpfs mounts, and runc without one does the same)
            r = root.encode()
            _check(_libc.mount(r, r, None, MS_BIND | MS_REC, None), "bind rootfs")
            _check(_libc.mount(None, r, None, MS_REMOUNT | MS_BIND | MS_RDONLY, None),
                   "remount rootfs read-only")
        _check(_libc.mount(b"proc", os.path.join(root, "proc").encode(), b"proc", 0, None),
               "mount proc")
        if hostname:
            _check(_libc.sethostname(hostname.encode(), len(hostname.encode())), "sethostname")
        os.chroot(root)
        os.chdir(cwd)
        for name, soft, hard in rlimits:
            inf = resource.RLIM_INFINITY
            resource.setrlimit(RLIMITS[name], (inf if soft >= 2**63 else soft,
                                               inf if hard >= 2**63 else hard))
        os.umask(umask)
        os.setgroups(groups)
        os.setgid(gid)
        os.setuid(uid)
    return setup


def _copy_rootfs(rootfs, dest):
    subprocess.run(["cp", "-a", rootfs + "/.", dest], check=True)
    os.makedirs(os.path.join(dest, "dev"), exist_ok=True)
    os.makedirs(os.path.join(dest, "proc"), exist_ok=True)
    for name, (ma, mi) in DEV_NODES.items():
        p = os.path.join(dest, "dev", name)
        if not os.path.lexists(p):
            os.mknod(p, 0o666 | stat.S_IFCHR, os.makedev(ma, mi))
            os.chmod(p, 0o666)


def _communicate(proc, stdin, timeout):
    try:
        out, err = proc.communicate(stdin, timeout=timeout)
        return out, err, False
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        out, err = proc.communicate()
        return out, err, True


def run(rootfs, args, env=None, cwd="/", stdin=b"", hostname="realmbox", rlimits=(),
        umask=0o022, uid=0, gid=0, groups=(), single_program=False, timeout=60,
        readonly=False):
    """Run args in rootfs under the oracle. Returns a Result; status None and
    a note when the case cannot run with the available method or timed out."""
    env = dict(env or {})
    m = method()
    if m == "chroot":
        with tempfile.TemporaryDirectory(prefix="rb-oracle-") as tmp:
            root = os.path.join(tmp, "rootfs")
            os.mkdir(root)
            _copy_rootfs(rootfs, root)
            proc = subprocess.Popen(
                list(args), env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, start_new_session=True, cwd="/",
                preexec_fn=_child_setup(root, cwd, hostname, list(rlimits), umask, uid, gid,
                                        list(groups), readonly))
            out, err, timed_out = _communicate(proc, stdin, timeout)
            if timed_out:
                return Result(None, out, err, m, f"timed out after {timeout} s")
            return Result(shell_status(proc.returncode), out, strip_qemu_noise(err), m)
    if not single_program or readonly:
        return Result(None, b"", b"", m, "needs the chroot oracle (root and binfmt_misc)")
    prog = args[0]
    if "/" not in prog:
        for d in env.get("PATH", "/bin:/usr/bin").split(":"):
            if os.path.lexists(os.path.join(rootfs + d, prog)):
                prog = os.path.join(d, prog)
                break
    host_prog = os.path.join(rootfs, prog.lstrip("/"))
    while os.path.islink(host_prog):  # resolve inside the rootfs, not on the host
        target = os.readlink(host_prog)
        base = rootfs if target.startswith("/") else os.path.dirname(host_prog)
        host_prog = os.path.join(base, target.lstrip("/"))
    cmd = [QEMU_STATIC, "-L", rootfs, "-0", args[0], host_prog] + list(args[1:])

    def limits():
        for name, soft, hard in rlimits:
            inf = resource.RLIM_INFINITY
            resource.setrlimit(RLIMITS[name], (inf if soft >= 2**63 else soft,
                                               inf if hard >= 2**63 else hard))
        os.umask(umask)

    proc = subprocess.Popen(cmd, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True,
                            cwd=os.path.join(rootfs, cwd.lstrip("/")), preexec_fn=limits)
    out, err, timed_out = _communicate(proc, stdin, timeout)
    if timed_out:
        return Result(None, out, err, m, f"timed out after {timeout} s")
    return Result(shell_status(proc.returncode), out, strip_qemu_noise(err), m)


def run_config(bundle_dir, args=None, stdin=b"", timeout=60, single_program=False):
    """Run a bundle's config.json process (args overridable) under the oracle."""
    import json
    with open(os.path.join(bundle_dir, "config.json")) as f:
        cfg = json.load(f)
    proc = cfg["process"]
    root = cfg["root"]["path"]
    if not root.startswith("/"):
        root = os.path.join(bundle_dir, root)
    env = dict(e.split("=", 1) for e in proc.get("env", []))
    user = proc.get("user", {})
    rl = [(r["type"], r["soft"], r["hard"]) for r in proc.get("rlimits", [])]
    return run(root, args or proc["args"], env=env, cwd=proc.get("cwd", "/"), stdin=stdin,
               hostname=cfg.get("hostname", ""), rlimits=rl, umask=user.get("umask", 0o022),
               uid=user.get("uid", 0), gid=user.get("gid", 0),
               groups=user.get("additionalGids", []), single_program=single_program,
               timeout=timeout, readonly=cfg["root"].get("readonly", False))
