#!/usr/bin/env python3
"""`realmbox attest ID`: a running Container Realm's token, asked for from outside.

The runtime asks the container's monitor, which asks the System Realm, which
asks the RMM for the Container Realm's token with the caller's challenge.
Checked here: the token verifies with the machine's platform key and the
bundle's expected RIM (`realmbox verify --bundle`), an independent decoder
(cbor2 + python3-cryptography, as test_attest_oracle) agrees on both
signatures, the challenge and the RIM; a container whose init spins in user
code still answers; and each refusal says why: no consent in the measured
configuration (and the consent changes the RIM), isolation modes without a
realm, a container not running, a malformed challenge, a wrong challenge at
verify time.
"""
import json
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_attest_oracle as oracle  # noqa: E402  (re-execs under /usr/bin/python3 if needed)
from test_runtime_cli import REALMBOX, Runtime  # noqa: E402

CHALLENGE = bytes(range(0xa0, 0xe0))
ALLOW = {"org.realmbox.attest": "allow"}


class AttestCLI(unittest.TestCase):
    def running(self, rt, cid, args, annotations=ALLOW, iso="realm"):
        b = rt.bundle(cid + "-b", args, annotations=annotations)
        rt.create(cid, b, "--isolation", iso)
        rc, _, e = rt.rb("start", cid)
        self.assertEqual(rc, 0, e)
        rt.wait_output(os.path.join(rt.tmp, cid + ".out"), b"ready\n")
        return b

    def platform_key(self, rt):
        pem = os.path.join(rt.tmp, "platform.pem")
        rc, _, e = rt.rb("machine", "key", "-o", pem)
        self.assertEqual(rc, 0, e)
        return pem

    def test_token_verifies(self):
        rt = Runtime(self)
        b = self.running(rt, "a1", ["sh", "-c", "echo ready; sleep 120"])
        tok = os.path.join(rt.tmp, "a1.cbor")
        rc, o, e = rt.rb("attest", "a1", "--challenge", CHALLENGE.hex(), "-o", tok)
        self.assertEqual((rc, o, e), (0, "", ""))
        pem = self.platform_key(rt)
        rc, o, e = rt.rb("verify", tok, "--platform-key", pem, "--challenge", CHALLENGE.hex(),
                         "--bundle", b, "--format", "json")
        self.assertEqual(rc, 0, e)
        ours = json.loads(o)
        rc, rim_hex, e = rt.rb("measure", "--bundle", b, "--id", "a1")
        self.assertEqual(rc, 0, e)
        self.assertEqual(ours["realm"]["rim"], rim_hex.split()[0])
        # code we did not write reads the same token the same way
        with open(tok, "rb") as f:
            token = f.read()
        with open(pem, "rb") as f:
            plat, realm = oracle.oracle(token, f.read())
        self.assertEqual(realm[10], CHALLENGE)
        self.assertEqual(realm[44238].hex(), ours["realm"]["rim"])
        self.assertEqual(plat[10].hex(), ours["platform"]["challenge"])
        # a different challenge at verify time: refused with the reason
        other = bytes(64).hex()
        rc, o, e = rt.rb("verify", tok, "--platform-key", pem, "--challenge", other)
        self.assertEqual(rc, 1)
        self.assertIn("challenge mismatch", e)
        # a short challenge is zero-padded to 64 bytes, as configfs-tsm's inblob
        rc, _, e = rt.rb("attest", "a1", "--challenge", "0102", "-o", tok)
        self.assertEqual(rc, 0, e)
        with open(tok, "rb") as f, open(pem, "rb") as k:
            _, realm = oracle.oracle(f.read(), k.read())
        self.assertEqual(realm[10], bytes([1, 2]) + bytes(62))

    def test_random_challenge_and_busy_init(self):
        """No --challenge: a random one, printed on stderr. Init spins in user code (its
        REC runs): the System Realm makes the token on another REC of the container."""
        rt = Runtime(self)
        b = self.running(rt, "a2", ["sh", "-c", "echo ready; while :; do :; done"])
        with open(os.path.join(rt.tmp, "a2.cbor"), "wb") as f:
            p = subprocess.run([REALMBOX, "--root", rt.root, "attest", "a2"], stdout=f,
                               stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        err = p.stderr.decode()
        self.assertRegex(err, r"^challenge: [0-9a-f]{128}\n$")
        chal = err.split()[1]
        rc, _, e = rt.rb("verify", os.path.join(rt.tmp, "a2.cbor"), "--platform-key",
                         self.platform_key(rt), "--challenge", chal, "--bundle", b)
        self.assertEqual(rc, 0, e)
        self.assertEqual(rt.state("a2")["status"], "running")

    def test_refusals(self):
        rt = Runtime(self)
        # without the owner's consent (the default) the Container Realm refuses
        b = self.running(rt, "r1", ["sh", "-c", "echo ready; sleep 120"], annotations=None)
        tok = os.path.join(rt.tmp, "r1.cbor")
        rc, o, e = rt.rb("attest", "r1", "-o", tok)
        self.assertEqual((rc, o), (1, ""))
        self.assertEqual(e, "realmbox: attest: container r1: refused by the Container Realm: "
                            "its measured configuration does not allow the runtime to ask for "
                            "its token (annotation org.realmbox.attest: \"allow\" in "
                            "config.json)\n")
        self.assertFalse(os.path.exists(tok))
        # the consent is measured: a verifier expecting the bundle without it sees another RIM
        b2 = rt.bundle("r1-allow", ["sh", "-c", "echo ready; sleep 120"], annotations=ALLOW)
        rims = [rt.rb("measure", "--bundle", x, "--id", "r1")[1] for x in (b, b2)]
        self.assertNotEqual(rims[0], rims[1])
        # a bad value of the annotation is a config error naming it
        b3 = rt.bundle("r1-bad", ["true"], annotations={"org.realmbox.attest": "yes"})
        rc, msg, _, _ = rt.create("r9", b3, ok=False)
        self.assertEqual(rc, 1)
        self.assertIn('org.realmbox.attest: want "allow" or "deny"', msg)
        # malformed challenges
        for bad in ("xyz", "abc", "00" * 65, ""):
            rc, _, e = rt.rb("attest", "r1", "--challenge", bad, "-o", tok)
            self.assertEqual(rc, 1, bad)
            self.assertIn("--challenge: want 1 to 64 bytes in hex", e)
        rc, _, e = rt.rb("attest", "nosuch", "-o", tok)
        self.assertEqual(rc, 1)
        self.assertIn("nosuch", e)
        rc, o, _ = rt.rb("attest", "--help")
        self.assertEqual(rc, 0)
        self.assertIn("org.realmbox.attest", o)
        rc, _, e = rt.rb("attest", "-o", tok)
        self.assertEqual((rc, e), (2, "realmbox: attest: a container ID is required (see "
                                      "`realmbox attest --help`)\n"))
        # created, not started: nothing runs to attest
        rt.create("r2", b2, "--isolation", "realm")
        rc, _, e = rt.rb("attest", "r2", "-o", tok)
        self.assertEqual((rc, e), (1, "realmbox: attest: container r2 is not running\n"))
        # modes without a realm say so
        for iso in ("none", "shim"):
            cid = "r-" + iso
            self.running(rt, cid, ["sh", "-c", "echo ready; sleep 120"], iso=iso)
            rc, _, e = rt.rb("attest", cid, "-o", tok)
            self.assertEqual((rc, e), (1, f"realmbox: attest: container {cid}: not supported "
                                          f"in isolation mode {iso} (only a Container Realm "
                                          "has an attestation token)\n"))


if __name__ == "__main__":
    unittest.main()
