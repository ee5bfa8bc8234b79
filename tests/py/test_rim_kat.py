#!/usr/bin/env python3
"""RIM known-answer test.

Recomputes, from cca-spec.md section 5 alone (hashlib + struct, no C code),
the Realm Initial Measurement of the fixed realm that tests/unit/tool_rim_fixed.c
builds, and compares it with what the tool reads from the RD, for SHA-256 and
SHA-512. Exits non-zero on any mismatch or if the tool fails.

The realm (keep in step with tool_rim_fixed.c):
  REALM_CREATE   flags 0, s2sz 40, sve_vl 0, num_bps 2, num_wps 3,
                 pmu_num_ctrs 0, hash_algo; rpv[i] = 0xA0 + i and vmid 0x0A5A
                 (both unmeasured), start level 1, 2 root RTTs
  RTT_INIT_RIPAS [0, 0x2000) with a level-3 table: one descriptor per page
  DATA_CREATE    IPA 0 and 0x1000, flags MEASURE_CONTENT, page 0 byte i = i,
                 page 1 byte i = i * 13 + 7 (mod 256)
  REC_CREATE     RUNNABLE, mpidr 0, pc 0x80000, gprs[i] = 0x1000 + i
"""
import hashlib
import os
import struct
import subprocess
import sys

GRANULE = 4096
DESC_SIZE = 0x100
DESC_DATA, DESC_REC, DESC_RIPAS = 0, 1, 2
ALGOS = {0: ("sha256", hashlib.sha256), 1: ("sha512", hashlib.sha512)}


def slot(digest):
    """A 64-byte measurement slot: the digest, zero padded."""
    return digest + bytes(64 - len(digest))


def realm_params_image(algo):
    """RmiRealmParams with only flags, s2sz, sve_vl, num_bps, num_wps,
    pmu_num_ctrs and hash_algo kept (everything else zero)."""
    img = bytearray(GRANULE)
    struct.pack_into("<QQQQQQ", img, 0x000, 0, 40, 0, 2, 3, 0)
    struct.pack_into("<B", img, 0x030, algo)
    return bytes(img)


def descriptor(desc_type, rim, body):
    """256-byte measurement descriptor: type @0 (u8), len @8 (u64),
    RIM @0x10 (64 bytes), then the event's fields from 0x50."""
    d = bytearray(DESC_SIZE)
    d[0] = desc_type
    struct.pack_into("<Q", d, 0x08, DESC_SIZE)
    d[0x10:0x50] = rim
    d[0x50:0x50 + len(body)] = body
    return bytes(d)


def expected_rim(algo):
    h = ALGOS[algo][1]

    def H(b):
        return h(b).digest()

    rim = slot(H(realm_params_image(algo)))

    for base in (0x0000, 0x1000):  # RTT_INIT_RIPAS, one level-3 entry each
        rim = slot(H(descriptor(DESC_RIPAS, rim, struct.pack("<QQ", base, base + GRANULE))))

    pages = [bytes(i & 0xFF for i in range(GRANULE)),
             bytes((i * 13 + 7) & 0xFF for i in range(GRANULE))]
    for n, content in enumerate(pages):  # DATA_CREATE, measured content
        body = struct.pack("<QQ", n * GRANULE, 1) + slot(H(content))
        rim = slot(H(descriptor(DESC_DATA, rim, body)))

    rec = bytearray(GRANULE)  # RmiRecParams: flags, pc, gprs kept
    struct.pack_into("<Q", rec, 0x000, 1)
    struct.pack_into("<Q", rec, 0x200, 0x80000)
    struct.pack_into("<8Q", rec, 0x300, *[0x1000 + i for i in range(8)])
    rim = slot(H(descriptor(DESC_REC, rim, slot(H(bytes(rec))))))

    return rim[:h().digest_size].hex()


def self_check():
    """The model itself against values fixed by hand (guards the model)."""
    img = realm_params_image(0)
    assert len(img) == GRANULE and img[8] == 40 and img[0x18] == 2 and img[0x20] == 3
    d = descriptor(DESC_RIPAS, bytes(range(64)), struct.pack("<QQ", 1, 2))
    assert len(d) == 256 and d[0] == 2 and d[8] == 0 and d[9] == 1
    assert d[0x10] == 0 and d[0x4F] == 63 and d[0x50] == 1 and d[0x58] == 2


def main():
    self_check()
    tool = os.path.join(os.environ.get("BUILD", "build"), "tests", "tool_rim_fixed")
    if not os.access(tool, os.X_OK):
        print(f"FAIL: {tool} not built", file=sys.stderr)
        return 1
    proc = subprocess.run([tool], capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        print(f"FAIL: {tool} exited {proc.returncode}\n{proc.stdout}{proc.stderr}", file=sys.stderr)
        return 1
    got = {}
    for line in proc.stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] in ("sha256", "sha512"):
            got[parts[0]] = parts[1].lower()

    failed = 0
    for algo, (name, _) in ALGOS.items():
        want = expected_rim(algo)
        have = got.get(name)
        if have == want:
            print(f"ok   {name} RIM {have}")
        else:
            print(f"FAIL {name} RIM: tool {have}, expected {want}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
