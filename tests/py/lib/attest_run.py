"""Shared pieces of the attestation tests (test_attest_oracle, test_attest_npm):
the realmbox binary, ok/FAIL checks collected in `failures`, and a token made
by `realmbox demo --attest` with its machine's platform key."""
import os
import re
import subprocess
import sys

BUILD = os.environ.get("BUILD", "build")
RB = os.path.join(BUILD, "realmbox")
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def run(*args, ok=True):
    """realmbox with args; exits the test with its output if it fails and ok."""
    p = subprocess.run([RB, *args], capture_output=True, text=True)
    if ok and p.returncode != 0:
        sys.exit(f"{' '.join(args)}: exit {p.returncode}\n{p.stdout}\n{p.stderr}")
    return p


def demo_token(tmp, challenge):
    """A token for challenge from a demo realm under tmp/root: (root, token
    path, platform key PEM path, the RIM the realm read, as hex)."""
    root = os.path.join(tmp, "root")
    tok = os.path.join(tmp, "token.cbor")
    pemf = os.path.join(tmp, "platform.pem")
    out = run("demo", "--attest", tok, "--challenge", challenge.hex(), "--root", root).stdout
    rim = re.search(r"RIM +\(SHA-256\) ([0-9a-f]{64})", out).group(1)
    run("machine", "key", "--root", root, "-o", pemf)
    return root, tok, pemf, rim
