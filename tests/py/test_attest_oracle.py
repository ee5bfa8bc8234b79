#!/usr/bin/env python3
"""Attestation checked with code we did not write.

A realm on the emulated machine produces a CCA token (`realmbox demo
--attest`); this test decodes it with cbor2 and checks both ES384
COSE_Sign1 signatures with python3-cryptography (OpenSSL), the binding
(platform challenge = SHA-256 of the realm public key claim's bytes), the
challenge and the RIM the realm read with RSI MEASUREMENT_READ, then
compares every claim with what `realmbox verify --format json` printed.
It also checks the key files' permissions, a tampered token (both
verifiers reject it, ours with the right reason) and a loosened key file
(refused). Needs Debian's python3-cbor2 and python3-cryptography
(scripts/setup.sh); re-runs itself under /usr/bin/python3 when the python3
on PATH lacks them.
"""
import hashlib
import json
import os
import stat
import sys
import tempfile

try:
    import cbor2
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
except ImportError:
    if sys.executable != "/usr/bin/python3" and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    sys.exit("test_attest_oracle: python3-cbor2 and python3-cryptography are needed "
             "(scripts/setup.sh)")

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib.attest_run import check, demo_token, failures, run  # noqa: E402

CHALLENGE = bytes(range(0x40, 0x80))


def sign1_verify(raw, pub):
    """Check an ES384 COSE_Sign1 (tag 18); returns its claims."""
    msg = cbor2.loads(raw)
    assert isinstance(msg, cbor2.CBORTag) and msg.tag == 18, "not a tagged COSE_Sign1"
    prot, unprot, payload, sig = msg.value
    assert cbor2.loads(prot) == {1: -35}, "not ES384"
    tbs = cbor2.dumps(["Signature1", prot, b"", payload])
    der = encode_dss_signature(int.from_bytes(sig[:48], "big"), int.from_bytes(sig[48:], "big"))
    pub.verify(der, tbs, ec.ECDSA(hashes.SHA384()))
    return cbor2.loads(payload)


def oracle(token, pem):
    coll = cbor2.loads(token)
    assert isinstance(coll, cbor2.CBORTag) and coll.tag == 399, "not tag 399"
    assert sorted(coll.value) == [44234, 44241]
    plat = sign1_verify(coll.value[44234], serialization.load_pem_public_key(pem))
    realm_payload = cbor2.loads(coll.value[44241]).value[2]
    realm_claims = cbor2.loads(realm_payload)
    key = cbor2.loads(realm_claims[44237])
    assert key[1] == 2 and key[-1] == 2, "RAK is not EC2 P-384"
    rak = ec.EllipticCurvePublicNumbers(int.from_bytes(key[-2], "big"),
                                        int.from_bytes(key[-3], "big"),
                                        ec.SECP384R1()).public_key()
    realm = sign1_verify(coll.value[44241], rak)
    return plat, realm


def main():
    with tempfile.TemporaryDirectory() as tmp:
        root, tok, pemf, rim_hex = demo_token(tmp, CHALLENGE)
        rim = bytes.fromhex(rim_hex)
        token = open(tok, "rb").read()
        pem = open(pemf, "rb").read()
        print(f"token: {len(token)} bytes")

        # Strict permissions under the runtime root.
        for d in (root, os.path.join(root, "machine")):
            check(stat.S_IMODE(os.stat(d).st_mode) == 0o700, f"{d} is 0700")
        for f in ("platform-key.pem", "realm-key.pem"):
            p = os.path.join(root, "machine", f)
            check(stat.S_IMODE(os.stat(p).st_mode) == 0o600, f"{f} is 0600")

        # The independent check.
        try:
            plat, realm = oracle(token, pem)
            check(True, "cbor2 + cryptography: both signatures verify")
        except (InvalidSignature, AssertionError, ValueError) as e:
            check(False, f"cbor2 + cryptography: {e!r}")
            return
        check(plat[10] == hashlib.sha256(realm[44237]).digest(),
              "binding: platform challenge = SHA-256(RAK COSE_Key)")
        check(realm[10] == CHALLENGE, "realm challenge is ours")
        check(realm[44238] == rim, "RIM is what the realm read")
        check(realm[265] == "tag:arm.com,2023:realm#1.0.0", "realm profile")
        check(plat[265] == "tag:arm.com,2023:cca_platform#1.0.0", "platform profile")
        check([c[1] for c in plat[2399]] == ["BL31", "RMM"], "sw-components BL31, RMM")

        # Our verifier agrees, claim by claim.
        p = run("verify", tok, "--platform-key", pemf, "--challenge", CHALLENGE.hex(),
                "--rim", rim.hex(), "--format", "json")
        ours = json.loads(p.stdout)
        r, pl = ours["realm"], ours["platform"]
        check(bytes.fromhex(r["challenge"]) == realm[10], "json: challenge")
        check(bytes.fromhex(r["personalization_value"]) == realm[44235], "json: RPV")
        check(r["hash_algo"] == realm[44236] and r["rak_hash_algo"] == realm[44240],
              "json: hash algorithms")
        check(bytes.fromhex(r["rak_cose_key"]) == realm[44237], "json: RAK")
        check(bytes.fromhex(r["rim"]) == realm[44238], "json: RIM")
        check([bytes.fromhex(x) for x in r["rems"]] == realm[44239], "json: REMs")
        check(bytes.fromhex(pl["challenge"]) == plat[10], "json: platform challenge")
        check(bytes.fromhex(pl["implementation_id"]) == plat[2396], "json: implementation ID")
        check(bytes.fromhex(pl["instance_id"]) == plat[256], "json: instance ID")
        check(pl["lifecycle"] == plat[2395], "json: lifecycle")
        check([(s["type"], bytes.fromhex(s["measurement"]), s["version"])
               for s in pl["sw_components"]] ==
              [(c[1], c[2], c[4]) for c in plat[2399]], "json: sw-components")

        # A flipped bit in the realm signature: both reject.
        bad = bytearray(token)
        bad[-1] ^= 1
        badf = os.path.join(tmp, "bad.cbor")
        open(badf, "wb").write(bad)
        try:
            oracle(bytes(bad), pem)
            check(False, "oracle rejects a tampered realm signature")
        except InvalidSignature:
            check(True, "oracle rejects a tampered realm signature")
        p = run("verify", badf, "--platform-key", pemf, ok=False)
        check(p.returncode == 1 and "realm token: signature does not verify" in p.stderr,
              "realmbox verify rejects it: " + p.stderr.strip())
        p = run("verify", tok, "--platform-key", pemf, "--challenge", "00", ok=False)
        check(p.returncode == 1 and "challenge mismatch" in p.stderr,
              "wrong challenge: " + p.stderr.strip()[:80])

        # A key file others may read is refused, not used.
        os.chmod(os.path.join(root, "machine", "realm-key.pem"), 0o644)
        p = run("machine", "key", "--root", root, ok=False)
        check(p.returncode == 1 and "must be 0600" in p.stderr,
              "loosened key refused: " + p.stderr.strip()[:100])

    if failures:
        sys.exit(f"{len(failures)} check(s) failed")
    print("test_attest_oracle: ok")


if __name__ == "__main__":
    main()
