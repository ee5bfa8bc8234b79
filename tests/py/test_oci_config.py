#!/usr/bin/env python3
"""What realmbox does with each OCI config.json field, checked by running it
(`realmbox run --isolation none`) on a bundle that sets the field, against
the table in docs/oci-config.md and the lists `realmbox features` prints:

  honoured   the container sees the effect (the script's output), no warning
  accepted   accepted without effect and without a warning: what the field
             asks for holds by construction (docs/oci-config.md says why)
  warned     the container runs; stderr says "realmbox: warning: ...: FIELD:
             ignored (REASON)"
  refused    nothing runs; exit 1 and "realmbox: run: ...config.json: FIELD...:
             REASON" (what a confidential container does not offer)
  invalid    the same for a value no runtime could take

Every row of the docs table is checked here, and every field here is in the
table with the same verdict.
"""
import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import env as rbenv  # noqa: E402

REALMBOX = rbenv.need_realmbox()
DOC = os.path.join(rbenv.REPO, "docs", "oci-config.md")
NS5 = [{"type": t} for t in ("pid", "network", "ipc", "uts", "mount")]


def setp(path, value):
    """A function setting cfg[path...] = value (path "a.b.c"), making objects on the way."""
    def f(cfg):
        keys = path.split(".")
        d = cfg
        for k in keys[:-1]:
            d = d.setdefault(k, {})
        d[keys[-1]] = copy.deepcopy(value)
    return f


def res(value):
    return setp("linux.resources", value)


# (docs table key, change to the base config, verdict, what the output or
#  stderr must hold, script for honoured rows)
CASES = [
    # ---- honoured: the effect is visible inside
    ("ociVersion", setp("ociVersion", "1.2.0"), "honoured", "ok\n", "echo ok"),
    ("process.args", None, "honoured", "ok\n", "echo ok"),
    ("process.env", setp("process.env", ["A=b c"]), "honoured", "b c\n", 'echo "$A"'),
    ("process.cwd", setp("process.cwd", "/etc"), "honoured", "/etc\n", "pwd"),
    ("process.user.uid", setp("process.user", {"uid": 1000, "gid": 1001}), "honoured",
     "1000 1001\n", 'echo "$(id -u) $(id -g)"'),
    ("process.user.gid", setp("process.user", {"uid": 0, "gid": 7}), "honoured", "7\n",
     "id -g"),
    ("process.user.additionalGids", setp("process.user", {"uid": 0, "gid": 0,
                                                          "additionalGids": [5, 6]}),
     "honoured", "0 5 6\n", "id -G"),
    ("process.user.umask", setp("process.user", {"uid": 0, "gid": 0, "umask": 0o27}),
     "honoured", "0027\n", "umask"),
    ("process.rlimits", setp("process.rlimits", [{"type": "RLIMIT_NOFILE", "soft": 100,
                                                   "hard": 200}]),
     "honoured", "100\n", "ulimit -n"),
    ("process.terminal", setp("process.terminal", False), "honoured", "no tty\n",
     "[ -t 0 ] && echo tty || echo no tty"),
    ("hostname", setp("hostname", "oracle-host"), "honoured", "oracle-host\n", "hostname"),
    ("root.path", None, "honoured", "ok\n", "[ -x /bin/busybox ] && echo ok"),
    ("root.readonly", setp("root.readonly", True), "honoured", "read-only\n",
     "touch /x 2>/dev/null && echo writable || echo read-only"),
    ("linux.resources.pids.limit", res({"pids": {"limit": 1}}), "honoured",
     (2, "", "/bin/sh: can't fork: Resource temporarily unavailable\n"),
     "(true); echo forked"),
    ("linux.resources.memory.limit", res({"memory": {"limit": 64 << 20}}), "honoured",
     "ok\n", "echo ok"),
    ("linux.resources.cpu.shares", res({"cpu": {"shares": 1024}}), "honoured", "ok\n",
     "echo ok"),
    # seen on the host, at the container's pid: test_runc_oracle.py test_oom_score_adj
    ("process.oomScoreAdj", setp("process.oomScoreAdj", 100), "honoured", "ok\n", "echo ok"),
    # a directory and a file, measured with the rootfs: /data/hello.c is the host's file
    ("mounts (bind)", setp("mounts", [
        {"destination": "/data", "type": "none", "source": os.path.join(rbenv.REPO, "tests",
                                                                        "programs"),
         "options": ["rbind", "ro"]},
        {"destination": "/etc/motd", "type": "bind", "source": os.path.join(
            rbenv.REPO, "tests", "programs", "hello.c")}]),
     "honoured", "ok\n", "grep -q main /data/hello.c && cmp /data/hello.c /etc/motd && echo ok"),
    ("linux.personality (LINUX)", setp("linux.personality", {"domain": "LINUX"}),
     "honoured", "ok\n", "echo ok"),
    ("annotations (org.realmbox.*)", setp("annotations", {"org.realmbox.exec": "deny"}),
     "honoured", "ok\n", "echo ok"),
    # ---- accepted without effect, no warning
    ("process.capabilities", setp("process.capabilities", {"bounding": ["CAP_KILL"]}),
     "accepted", "", None),
    ("process.noNewPrivileges", setp("process.noNewPrivileges", True), "accepted", "", None),
    ("process.apparmorProfile", setp("process.apparmorProfile", "x"), "accepted", "", None),
    ("process.selinuxLabel", setp("process.selinuxLabel", "y"), "accepted", "", None),
    ("process.user.username", setp("process.user", {"uid": 0, "gid": 0, "username": "u"}),
     "accepted", "", None),
    ("linux.namespaces (each of pid, network, ipc, uts, mount)",
     setp("linux.namespaces", NS5 + [{"type": "user"}, {"type": "cgroup"}]), "accepted", "",
     None),
    ("linux.uidMappings", setp("linux.uidMappings", [{"containerID": 0, "hostID": 1000,
                                                      "size": 1}]), "accepted", "", None),
    ("linux.gidMappings", setp("linux.gidMappings", [{"containerID": 0, "hostID": 1000,
                                                      "size": 1}]), "accepted", "", None),
    ("linux.devices (the container OS's own)",
     setp("linux.devices", [{"path": "/dev/null", "type": "c", "major": 1, "minor": 3}]),
     "accepted", "", None),
    ("linux.cgroupsPath", setp("linux.cgroupsPath", "/default/x"), "accepted", "", None),
    ("linux.resources.devices", res({"devices": [{"allow": False, "access": "rwm"}]}),
     "accepted", "", None),
    ("linux.rootfsPropagation", setp("linux.rootfsPropagation", "private"), "accepted", "",
     None),
    ("linux.maskedPaths", setp("linux.maskedPaths", ["/proc/kcore"]), "accepted", "", None),
    ("linux.readonlyPaths", setp("linux.readonlyPaths", ["/proc/sys"]), "accepted", "", None),
    ("linux.mountLabel", setp("linux.mountLabel", "z"), "accepted", "", None),
    ("mounts (proc, sysfs, devpts)", setp("mounts", [
        {"destination": "/proc", "type": "proc", "source": "proc"},
        {"destination": "/sys", "type": "sysfs", "source": "sysfs"},
        {"destination": "/dev/pts", "type": "devpts", "source": "devpts"}]),
     "accepted", "", None),
    ("mounts (mqueue, cgroup, cgroup2)", setp("mounts", [
        {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue"},
        {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup"}]),
     "accepted", "", None),
    ("mounts (tmpfs on /dev, /dev/shm)", setp("mounts", [
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs"},
        {"destination": "/dev/shm", "type": "tmpfs", "source": "shm"}]), "accepted", "", None),
    ("hooks (empty lists)", setp("hooks", {"prestart": [], "poststop": []}), "accepted", "",
     None),
    ("annotations (others)", setp("annotations", {"a": "b"}), "accepted", "", None),
    ("unknown fields", setp("somethingNew", 1), "accepted", "", None),
    # ---- ignored with a warning
    ("process.scheduler", setp("process.scheduler", {"policy": "SCHED_OTHER"}), "warned",
     "process.scheduler: ignored (", None),
    ("process.ioPriority", setp("process.ioPriority", {"class": "IOPRIO_CLASS_IDLE"}),
     "warned", "process.ioPriority: ignored (", None),
    ("process.execCPUAffinity", setp("process.execCPUAffinity", {"initial": "0"}), "warned",
     "process.execCPUAffinity: ignored (", None),
    ("process.consoleSize", setp("process.consoleSize", {"height": 24, "width": 80}),
     "warned", "process.consoleSize: ignored (", None),
    ("linux.seccomp", setp("linux.seccomp", {"defaultAction": "SCMP_ACT_ALLOW"}), "warned",
     "linux.seccomp: ignored (system calls are served by the container's own OS", None),
    ("linux.sysctl", setp("linux.sysctl", {"net.ipv4.ip_forward": "1"}), "warned",
     "linux.sysctl: ignored (", None),
    ("linux.timeOffsets", setp("linux.timeOffsets", {"monotonic": {"secs": 1}}), "warned",
     "linux.timeOffsets: ignored (", None),
    ("linux.intelRdt", setp("linux.intelRdt", {"closID": "x"}), "warned",
     "linux.intelRdt: ignored (", None),
    ("linux.memoryPolicy", setp("linux.memoryPolicy", {"mode": "MPOL_BIND"}), "warned",
     "linux.memoryPolicy: ignored (", None),
    ("linux.netDevices", setp("linux.netDevices", {"eth1": {}}), "warned",
     "linux.netDevices: ignored (host network devices", None),
    ("domainname", setp("domainname", "example.org"), "warned", "domainname: ignored (",
     None),
    ("mounts (bind of a device, socket or FIFO)",
     setp("mounts", [{"destination": "/data", "type": "bind", "source": "/dev/null"}]),
     "warned", "mounts[0]: ignored (/data is not bind-mounted: its source /dev/null is "
     "neither a directory nor a regular file", None),
    ("mounts (tmpfs elsewhere)", setp("mounts", [{"destination": "/tmp", "type": "tmpfs",
                                                  "source": "tmpfs"}]), "warned",
     "mounts[0]: ignored (/tmp is not mounted", None),
    ("linux.resources (other fields)", res({"memory": {"swap": 1 << 30},
                                            "cpu": {"quota": 50000, "period": 100000},
                                            "blockIO": {"weight": 10}}),
     "warned", "linux.resources.memory.swap: ignored (", None),
    # ---- refused
    # ---- invalid: a value no runtime could take (named, with the reason)
    ("ociVersion (other than 1.0-1.2)", setp("ociVersion", "2.0.0"), "invalid",
     'ociVersion: "2.0.0": unsupported', None),
    ("hooks (any hook)", setp("hooks", {"poststart": [{"path": "/bin/true"}]}), "refused",
     "hooks: poststart: not supported (a hook is a host program run with the container's "
     "state", None),
    ("linux.namespaces (a path to a realmbox container's)",
     lambda cfg: setp("linux.namespaces", NS5[:1] + [
         {"type": "network", "path": f"/proc/{OciConfig.sandbox.pid}/ns/net"}] + NS5[2:])(cfg),
     "warned", "is not joined: the container has its own network namespace (containers of "
     "a pod share no localhost", None),
    ("linux.namespaces (a path)", setp("linux.namespaces", NS5[:1] + [
        {"type": "network", "path": "/proc/1/ns/net"}] + NS5[2:]), "refused",
     "linux.namespaces[1]: network: joining an existing namespace (/proc/1/ns/net) is not "
     "supported", None),
    ("linux.namespaces (a kind left out)", setp("linux.namespaces", NS5[:1] + NS5[2:]),
     "refused", "linux.namespaces: without a \"network\" entry the container would share "
     "the host's network namespace: not supported", None),
    ("linux.namespaces (unknown type)", setp("linux.namespaces", NS5 + [{"type": "nope"}]),
     "refused", "linux.namespaces[5]: \"nope\": unknown namespace type", None),
    ("linux.devices (host devices)", setp("linux.devices", [{"path": "/dev/fuse", "type": "c",
                                                             "major": 10, "minor": 229}]),
     "refused", "linux.devices[0]: /dev/fuse: host device nodes are not supported", None),
    ("mounts (other file systems)", setp("mounts", [{"destination": "/data", "type": "ext4",
                                                     "source": "/dev/sda1"}]),
     "refused", 'mounts[0]: /data: file system type "ext4" not supported', None),
    ("process.commandLine", setp("process.commandLine", "sh"), "refused",
     "process.commandLine: not supported", None),
    ("linux.personality (other domains)", setp("linux.personality", {"domain": "LINUX32"}),
     "refused", 'linux.personality.domain: "LINUX32": not supported', None),
    ("process.oomScoreAdj (out of range)", setp("process.oomScoreAdj", 1001), "invalid",
     "process.oomScoreAdj: must be an integer in -1000..1000", None),
    ("linux.resources (invalid values)", res({"memory": {"limit": -5}}), "invalid",
     "linux.resources.memory.limit: -5: negative", None),
    ("windows, solaris, zos", setp("windows", {}), "refused",
     "windows: not supported (realmbox runs Linux containers)", None),
    ("vm", setp("vm", {}), "refused", "vm: not supported (VM-based containers)", None),
]


def doc_table():
    """{first column without backticks: verdict} from docs/oci-config.md's table."""
    rows = {}
    with open(DOC) as f:
        for line in f:
            m = re.match(r"\|\s*(.+?)\s*\|\s*(honoured|accepted|warned|refused|invalid)\s*\|", line)
            if m:
                rows[m.group(1).replace("`", "")] = m.group(2)
    return rows


class OciConfig(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="rb-ocicfg-")
        cls.rootfs = os.path.join(rbenv.bundle("busybox"), "rootfs")
        # a process of the realmbox program, as a pod's sandbox (the pause container's
        # monitor) is: the namespace path row names it
        os.makedirs(os.path.join(cls.tmp, "sb"))
        cls.sandbox = subprocess.Popen([REALMBOX, "--root", os.path.join(cls.tmp, "sb"),
                                        "daemon"], stdin=subprocess.DEVNULL,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    @classmethod
    def tearDownClass(cls):
        cls.sandbox.kill()
        cls.sandbox.wait()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def run_case(self, i, change, script):
        b = os.path.join(self.tmp, f"b{i}")
        os.makedirs(b)
        cfg = {"ociVersion": "1.0.2", "process": {
            "terminal": False, "user": {"uid": 0, "gid": 0},
            "args": ["sh", "-c", script or "true"],
            "env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], "cwd": "/"},
            "root": {"path": self.rootfs, "readonly": False}}
        if change:
            change(cfg)
        with open(os.path.join(b, "config.json"), "w") as f:
            json.dump(cfg, f)
        p = subprocess.run([REALMBOX, "--root", os.path.join(self.tmp, "root"), "run",
                            "--isolation", "none", "--bundle", b, f"c{i}"],
                           capture_output=True, stdin=subprocess.DEVNULL, timeout=120)
        return (p.returncode, p.stdout.decode(errors="replace"),
                rbenv.strip_san_noise(p.stderr).decode(errors="replace"))

    def test_fields(self):
        bad = []
        for i, (key, change, verdict, want, script) in enumerate(CASES):
            rc, out, err = self.run_case(i, change, script)
            if verdict == "honoured":
                # want: stdout of a script that exits 0, or (status, stdout, stderr)
                ok = (rc, out, err) == (want if isinstance(want, tuple) else (0, want, ""))
            elif verdict == "accepted":
                ok = (rc, out, err) == (0, "", "")
            elif verdict == "warned":
                ok = rc == 0 and err.startswith("realmbox: warning: ") and want in err
            else:
                ok = rc == 1 and err.startswith("realmbox: run: ") and want in err \
                    and err.count("\n") == 1
            if not ok:
                bad.append(f"{key} ({verdict}): exit {rc}, stdout {out!r}, stderr {err!r}; "
                           f"want {want!r}")
        self.assertEqual(bad, [], "\n".join(bad))

    def test_docs_table_agrees(self):
        table = doc_table()
        here = {key: verdict for key, _, verdict, _, _ in CASES}
        self.assertEqual({k: table.get(k) for k in here}, here,
                         "docs/oci-config.md and this test disagree")
        self.assertEqual(sorted(set(table) - set(here)), [],
                         "rows of docs/oci-config.md this test does not check")

    def test_features_agrees(self):
        """features lists the fields that may be refused and those warned about: the same as
        the docs table's."""
        p = subprocess.run([REALMBOX, "features"], capture_output=True, timeout=30)
        ann = json.loads(p.stdout)["annotations"]
        self.assertEqual(ann["org.realmbox.config.table"], "docs/oci-config.md")
        for verdict in ("refused", "warned"):
            listed = set(ann[f"org.realmbox.config.{verdict}"].split(","))
            fields = set()
            for key, _, v, _, _ in CASES:
                if v == verdict:
                    for name in re.sub(r"\s*\(.*\)$", "", key).split(", "):
                        fields.add(name)
            self.assertEqual(listed, fields, verdict)
        f = json.loads(p.stdout)
        self.assertEqual((f["hooks"], f["linux"]["seccomp"]), ([], {"enabled": False}))
        # the kinds a namespaces list may name; the accepted row lists the required ones
        self.assertLessEqual({"pid", "network", "ipc", "uts", "mount"},
                             set(f["linux"]["namespaces"]))


if __name__ == "__main__":
    unittest.main()
