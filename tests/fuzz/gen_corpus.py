#!/usr/bin/env python3
"""Write the seed corpora of the fuzz targets into tests/fuzz/corpus/<target>/.

Deterministic: running it again rewrites the same files. Run it after
changing an input format (the formats are described in each fuzz_*.c).
"""
import json
import os
import random
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus")


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---- config.json (fuzz_config): valid and broken ----
def config():
    base = {
        "ociVersion": "1.0.2-dev",
        "process": {
            "terminal": False, "user": {"uid": 0, "gid": 0},
            "args": ["sh"], "env": ["PATH=/usr/bin:/bin", "TERM=xterm"], "cwd": "/",
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
            "noNewPrivileges": True,
        },
        "root": {"path": "rootfs", "readonly": True},
        "hostname": "realmbox",
        "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
        "linux": {"namespaces": [{"type": "pid"}], "personality": {"domain": "LINUX"}},
    }
    put("config", "valid-spec.json", json.dumps(base, indent=1))
    full = json.loads(json.dumps(base))
    full["process"]["user"].update({"additionalGids": [1, 2, 3], "umask": 63, "username": "x"})
    full["process"]["rlimits"].append(
        {"type": "RLIMIT_STACK", "hard": 18446744073709551615, "soft": 8388608})
    full["annotations"] = {"a": "b"}
    full["domainname"] = "d"
    put("config", "valid-full.json", json.dumps(full))
    put("config", "valid-minimal.json",
        '{"ociVersion":"1.2.0","process":{"args":["/bin/true"]},"root":{"path":"/tmp"}}')
    broken = {
        "malformed.json": '{"ociVersion": "1.0.2", "process": {"args": ["sh"]',
        "empty-args.json": '{"ociVersion":"1.0.2","process":{"args":[]},"root":{"path":"rootfs"}}',
        "duplicate-key.json": '{"ociVersion":"1.0.2","ociVersion":"1.1.0"}',
        "hooks.json": json.dumps(dict(base, hooks={"prestart": [{"path": "/bin/x"}]})),
        "bad-version.json": json.dumps(dict(base, ociVersion="2.0.0")),
        "rlimit-soft-gt-hard.json": json.dumps(dict(base, process=dict(
            base["process"], rlimits=[{"type": "RLIMIT_CPU", "hard": 1, "soft": 2}]))),
        "relative-cwd.json": json.dumps(dict(base, process=dict(base["process"], cwd="x"))),
        "missing-root.json": '{"ociVersion":"1.0.2","process":{"args":["sh"]},"root":{"path":"nope"}}',
        "uid-too-big.json": json.dumps(dict(base, process=dict(
            base["process"], user={"uid": 4294967296, "gid": -1}))),
        "personality.json": json.dumps(dict(base, linux={"personality": {"domain": "LINUX32"}})),
    }
    for name, text in broken.items():
        put("config", name, text)


# ---- ELF images (fuzz_elf): u32 n | program (n bytes) | interpreter ----
def elf(etype, loads, interp=None, entry=0x400078):
    phdrs = []
    off = 64 + 56 * (len(loads) + (1 if interp else 0))
    body = b""
    if interp:
        ipath = interp.encode() + b"\0"
        phdrs.append(struct.pack("<IIQQQQQQ", 3, 4, off, 0, 0, len(ipath), len(ipath), 1))
        body += ipath
    for vaddr, flags, fsz, msz in loads:
        phdrs.append(struct.pack("<IIQQQQQQ", 1, flags, 0, vaddr, vaddr, fsz, msz, 0x1000))
    ehdr = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
    ehdr += struct.pack("<HHIQQQIHHHHHH", etype, 183, 1, entry, 64, 0, 0, 64, 56,
                        len(phdrs), 64, 0, 0)
    img = ehdr + b"".join(phdrs) + body
    need = max(f for _, _, f, _ in loads)
    img += bytes(range(256)) * ((need - len(img)) // 256 + 1)
    return img[:max(need, len(img))]


def elf_corpus():
    static = elf(2, [(0x400000, 5, 0x300, 0x300)])
    put("elf", "static", struct.pack("<I", len(static)) + static)
    two = elf(2, [(0x400000, 5, 0x200, 0x200), (0x401000, 6, 0x100, 0x3000)])
    put("elf", "static-rw-bss", struct.pack("<I", len(two)) + two)
    pie = elf(3, [(0, 5, 0x300, 0x300)], entry=0x78)
    put("elf", "pie", struct.pack("<I", len(pie)) + pie)
    ld = elf(3, [(0, 5, 0x200, 0x200), (0x1000, 6, 0x80, 0x2000)], entry=0x80)
    dyn = elf(3, [(0, 5, 0x300, 0x300)], interp="/lib/ld.so", entry=0x78)
    put("elf", "dynamic-with-ld", struct.pack("<I", len(dyn)) + dyn + ld)
    put("elf", "interp-missing", struct.pack("<I", len(dyn)) + dyn)
    put("elf", "raw-no-length", static)


# ---- system-call programs (fuzz_syscall) ----
SMALL, SCRATCH, PATH, U16, U64, RO, HOSTILE, U32 = range(8)
PATHS = ["/etc/good", "/etc/changed", "/bin/sh", "/bin/prog", "/etc", "/", ".", "..",
         "/tmp", "/tmp/f", "/tmp/d", "/etc/newfile", "/loop1", "/escape", "/abs/good",
         "/etc/up/sh", "/proc/self/maps", "/proc/self/fd/1", "/proc/self/status",
         "/proc/1/cwd", "/proc/self/exe", "/proc/cpuinfo", "/dev/null", "/dev/zero",
         "/dev/urandom", "/dev/tty", "/dev/fd/1", "", "good", "/etc/unlisted", "/nope/x",
         "/bin/prog/x"]


def a(kind, v=0):
    size = {SMALL: 1, SCRATCH: 1, PATH: 1, U16: 2, U64: 8, RO: 1, HOSTILE: 1, U32: 4}[kind]
    if kind == PATH:
        v = PATHS.index(v)
    return bytes([kind]) + (v & ((1 << (8 * size)) - 1)).to_bytes(size, "little")


def sc(nr, *args):
    sel = 0x7000 + (nr - 0x7000) % 600
    args = list(args) + [a(SMALL, 0)] * (6 - len(args))
    return bytes([sel >> 8, sel & 0xFF]) + b"".join(args)


def fill(off16, data):
    return bytes([0xF0, off16, len(data)]) + data


def syscall_corpus():
    AT = a(SMALL, -100)
    progs = {
        "open-read-close": sc(56, AT, a(PATH, "/etc/good"), a(SMALL, 0)) +
        sc(63, a(SMALL, 3), a(SCRATCH, 0), a(U16, 64)) + sc(57, a(SMALL, 3)),
        "tampered-file": sc(56, AT, a(PATH, "/etc/changed"), a(SMALL, 0)) +
        sc(79, AT, a(PATH, "/bin/sh"), a(SCRATCH, 0), a(SMALL, 0)),
        "pipe": sc(59, a(SCRATCH, 0), a(SMALL, 0)) + fill(4, b"hello pipe") +
        sc(64, a(SMALL, 4), a(SCRATCH, 4), a(U16, 10)) +
        sc(63, a(SMALL, 3), a(SCRATCH, 8), a(U16, 10)) +
        sc(63, a(SMALL, 3), a(SCRATCH, 8), a(U16, 10)),
        "mmap": sc(222, a(SMALL, 0), a(U16, 8192), a(SMALL, 3), a(SMALL, 0x22), a(SMALL, -1)) +
        sc(226, a(U64, 0x7fe0000000 - 8192), a(U16, 4096), a(SMALL, 1)) +
        sc(215, a(U64, 0x7fe0000000 - 8192), a(U16, 8192)) + sc(214, a(SMALL, 0)),
        "tmp-file": sc(56, AT, a(PATH, "/tmp/f"), a(SMALL, 0x41), a(U16, 0o644)) +
        fill(0, b"data") + sc(64, a(SMALL, 3), a(SCRATCH, 0), a(U16, 4)) +
        sc(64, a(SMALL, 3), a(SCRATCH, 0), a(U16, 0)) +
        sc(62, a(SMALL, 3), a(SMALL, 0), a(SMALL, 0)) +
        sc(63, a(SMALL, 3), a(SCRATCH, 16), a(U16, 100)) +
        sc(35, AT, a(PATH, "/tmp/f"), a(SMALL, 0)),
        "dirs": sc(34, AT, a(PATH, "/tmp/d"), a(U16, 0o755)) + sc(49, a(PATH, "/tmp/d")) +
        sc(17, a(SCRATCH, 0), a(U16, 200)) +
        sc(56, AT, a(PATH, "/"), a(U32, 0o200000)) +
        sc(61, a(SMALL, 3), a(SCRATCH, 0), a(U16, 4000)) +
        sc(78, AT, a(PATH, "/bin/sh"), a(SCRATCH, 0), a(U16, 100)),
        "signals": fill(0, struct.pack("<QQQQ", 0x400100, 0x04000000, 0x400200, 0)) +
        sc(134, a(SMALL, 10), a(SCRATCH, 0), a(SMALL, 0), a(SMALL, 8)) +
        sc(172) + sc(129, a(SMALL, 1), a(SMALL, 10)) +
        sc(135, a(SMALL, 0), a(SCRATCH, 0), a(SMALL, 0), a(SMALL, 8)),
        "fork-wait": sc(220, a(SMALL, 17), a(SMALL, 0)) +
        sc(260, a(SMALL, -1), a(SCRATCH, 0), a(SMALL, 1)) +
        sc(260, a(SMALL, -1), a(SCRATCH, 0), a(SMALL, 0)),
        "sleep-futex": fill(0, struct.pack("<qq", 0, 5000000)) +
        sc(101, a(SCRATCH, 0), a(SMALL, 0)) +
        sc(98, a(SCRATCH, 4), a(SMALL, 0), a(SMALL, 0), a(SCRATCH, 0)) +
        sc(73, a(SCRATCH, 8), a(SMALL, 1), a(SCRATCH, 0), a(SMALL, 0), a(SMALL, 8)),
        "hostile": sc(63, a(SMALL, 1), a(HOSTILE, 1), a(U16, 10)) +
        sc(64, a(SMALL, 1), a(HOSTILE, 4), a(U64, 1 << 40)) +
        sc(56, AT, a(HOSTILE, 2), a(SMALL, 0)) + sc(450) + sc(221, a(PATH, "/bin/sh"),
                                                            a(SMALL, 0), a(SMALL, 0)),
        "uname-proc": sc(160, a(SCRATCH, 0)) +
        sc(56, AT, a(PATH, "/proc/self/maps"), a(SMALL, 0)) +
        sc(63, a(SMALL, 3), a(SCRATCH, 0), a(U16, 4096)) +
        sc(56, AT, a(PATH, "/dev/urandom"), a(SMALL, 0)) +
        sc(63, a(SMALL, 4), a(SCRATCH, 0), a(U16, 32)) + sc(94, a(SMALL, 3)),
    }
    for name, data in progs.items():
        put("syscall", name, data)


# ---- manifests (fuzz_manifest) ----
def manifest_corpus():
    put("manifest", "busybox-like",
        "d /bin\nf /bin/busybox\nl /bin/sh busybox\nl /bin/ls /bin/busybox\nd /etc\n"
        "f /etc/passwd\nd /tmp\n? /bin/sh\n? /bin/../etc/passwd\n? /tmp/x\n")
    put("manifest", "links",
        "d /a\nd /a/b\nl /a/up ..\nl /a/abs /a/b\nl /loop1 /loop2\nl /loop2 loop1\n"
        "l /esc ../../../../etc\nf /a/b/f\n? /a/up/a/abs/f\n? /loop1\n? /esc\n? /a/b/f/x\n"
        "? relative\n? /./a/./b/../b/f\n")
    put("manifest", "dup-and-long", "f /x\nd /x\n? /" + "a/" * 300 + "\nl /y " + "z" * 500 + "\n? /y\n")


def rmi_corpus():
    rng = random.Random(8)
    for n in (64, 512, 2048, 4096):
        put("rmi", "random-%d" % n, bytes(rng.randrange(256) for _ in range(n)))


def main():
    config()
    elf_corpus()
    syscall_corpus()
    manifest_corpus()
    rmi_corpus()
    return 0


if __name__ == "__main__":
    sys.exit(main())
