#!/usr/bin/env python3
"""Attestation checked with npm's cose-js and cbor (issue 6, item 5).

The set-up installs cose-js and cbor from the npm registry into
$(BUILD)/npm (once; `npm install` with the versions pinned below). A realm
on the emulated machine produces a CCA token (`realmbox demo --attest`);
tests/py/lib/cose_js_check.js verifies both ES384 COSE_Sign1 signatures with
cose-js (the platform token with the key `realmbox machine key` exports, the
realm token with the RAK its claims carry), checks the binding and decodes
every claim with npm's cbor; the claims must equal what
`realmbox verify --format json` prints, the challenge must be ours and the
RIM the one the realm read. A flipped bit in either signature or in the
platform payload must be rejected by cose-js and by realmbox verify, and
an oversized file by realmbox verify.

Needs node and npm and the npm registry (the test fails with the reason
when the install fails).

  python3 tests/py/test_attest_npm.py
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

try:
    import cbor2
except ImportError:
    if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    sys.exit("test_attest_npm: python3-cbor2 is needed (scripts/setup.sh)")

HERE = os.path.dirname(os.path.abspath(__file__))
CHECK_JS = os.path.join(HERE, "lib", "cose_js_check.js")
NPM_PKGS = ["cose-js@0.9.0", "cbor@10.0.12"]
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib.attest_run import BUILD, check, demo_token, failures, run  # noqa: E402

CHALLENGE = bytes(range(0x10, 0x50))


def npm_modules():
    """$(BUILD)/npm/node_modules with the pinned packages, installed if missing."""
    prefix = os.path.abspath(os.path.join(BUILD, "npm"))
    modules = os.path.join(prefix, "node_modules")
    stamp = os.path.join(prefix, "installed")
    if os.path.exists(stamp) and open(stamp).read() == " ".join(NPM_PKGS):
        return modules
    for tool in ("node", "npm"):
        if not shutil.which(tool):
            sys.exit(f"test_attest_npm: {tool} is needed (Debian's nodejs and npm)")
    os.makedirs(prefix, exist_ok=True)
    p = subprocess.run(["npm", "install", "--prefix", prefix, "--no-audit", "--no-fund",
                        "--no-save", *NPM_PKGS], capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        sys.exit(f"test_attest_npm: npm install {' '.join(NPM_PKGS)} failed:\n{p.stderr[-2000:]}")
    with open(stamp, "w") as f:
        f.write(" ".join(NPM_PKGS))
    return modules


def cose_js(modules, token, pem):
    p = subprocess.run(["node", CHECK_JS, modules, token, pem], capture_output=True, text=True,
                       timeout=120)
    return p.returncode, (json.loads(p.stdout) if p.returncode == 0 else None), p.stderr.strip()


def main():
    modules = npm_modules()
    with tempfile.TemporaryDirectory() as tmp:
        root, tok, pemf, rim = demo_token(tmp, CHALLENGE)
        token = open(tok, "rb").read()
        print(f"token: {len(token)} bytes")

        t0 = time.monotonic()
        rc, claims, err = cose_js(modules, tok, pemf)
        ms = (time.monotonic() - t0) * 1000
        check(rc == 0, f"cose-js: both signatures and the binding verify ({ms:.0f} ms, node"
              f" start included) {err}")
        if rc != 0:
            sys.exit(f"{len(failures)} check(s) failed")
        plat, realm = claims["platform"], claims["realm"]
        check(realm["10"] == CHALLENGE.hex(), "realm challenge is ours")
        check(realm["44238"] == rim, "RIM is what the realm read")
        check(realm["265"] == "tag:arm.com,2023:realm#1.0.0", "realm profile")
        check(plat["265"] == "tag:arm.com,2023:cca_platform#1.0.0", "platform profile")

        # Our verifier's reading, claim by claim.
        ours = json.loads(run("verify", tok, "--platform-key", pemf, "--challenge",
                              CHALLENGE.hex(), "--rim", rim, "--format", "json").stdout)
        r, pl = ours["realm"], ours["platform"]
        check(r["challenge"] == realm["10"], "same challenge")
        check(r["personalization_value"] == realm["44235"], "same RPV")
        check(r["hash_algo"] == realm["44236"] and r["rak_hash_algo"] == realm["44240"],
              "same hash algorithms")
        check(r["rak_cose_key"] == realm["44237"], "same RAK")
        check(r["rim"] == realm["44238"], "same RIM")
        check(r["rems"] == realm["44239"], "same REMs")
        check(pl["challenge"] == plat["10"], "same platform challenge")
        check(pl["implementation_id"] == plat["2396"], "same implementation ID")
        check(pl["instance_id"] == plat["256"], "same instance ID")
        check(pl["lifecycle"] == plat["2395"], "same lifecycle")
        check([(s["type"], s["measurement"], s["version"]) for s in pl["sw_components"]] ==
              [(c["1"], c["2"], c["4"]) for c in plat["2399"]], "same sw-components")
        check([c["1"] for c in plat["2399"]] == ["BL31", "RMM"], "sw-components BL31, RMM")

        # Tampering: cose-js rejects each, and so does realmbox verify.
        coll = cbor2.loads(token)
        plat_raw = coll.value[44234]
        at = token.index(plat_raw)  # the platform COSE_Sign1's bytes inside the collection
        cases = [("realm signature", len(token) - 1, "realm token: signature does not verify"),
                 ("platform signature", at + len(plat_raw) - 40,
                  "platform token: signature does not verify"),
                 ("platform payload", at + plat_raw.index(b"BL31") + 1,
                  "platform token: signature does not verify")]
        for what, i, ours_says in cases:
            bad = bytearray(token)
            bad[i] ^= 0x01
            badf = os.path.join(tmp, "bad.cbor")
            open(badf, "wb").write(bad)
            rc, _, err = cose_js(modules, badf, pemf)
            check(rc == 1 and "Signature missmatch" in err,
                  f"cose-js rejects a flipped bit in the {what}: {err[:90]}")
            p = run("verify", badf, "--platform-key", pemf, ok=False)
            check(p.returncode == 1 and ours_says in p.stderr,
                  f"realmbox verify rejects it: {p.stderr.strip()[:90]}")

        # A file too large to be a token: refused before it is parsed.
        big = os.path.join(tmp, "big.cbor")
        with open(big, "wb") as f:
            f.write(token + bytes(65 * 1024))
        p = run("verify", big, "--platform-key", pemf, ok=False)
        check(p.returncode == 1 and "larger than 65536 bytes: not a token" in p.stderr,
              f"realmbox verify refuses an oversized file: {p.stderr.strip()[-60:]}")

    if failures:
        sys.exit(f"{len(failures)} check(s) failed")
    print("test_attest_npm: ok")


if __name__ == "__main__":
    main()
