#!/usr/bin/env python3
"""Container identity and configfs-tsm end to end (issue 6, items 2 and 3).

For two bundles (the programs bundle running tests/programs/tsm_report,
with different process configurations), `realmbox run --isolation realm`
runs a program that asks configfs-tsm for a token (mkdir a report, write
the challenge to inblob, read outblob); `realmbox verify` with the
machine's platform key, the challenge and `--rim` from `realmbox measure`
(computed offline, without a machine) must pass, and the other bundle's
RIM must be refused. `measure` must change when config.json or a rootfs
file changes, and follow the recipe's parameters (REALMBOX_REALM_RECS,
REALMBOX_REALM_POOL_MB: a run with the same values reports the RIM
`measure` computes). In `--isolation none` the program finds no provider.

The programs bundle is built on demand (tests/py/lib/env.py).
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import env as rbenv  # noqa: E402

RB = rbenv.need_realmbox()
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def rb(*args, env=None, ok=True):
    p = subprocess.run([RB, *args], capture_output=True, text=True, env=env)
    if ok and p.returncode != 0:
        sys.exit(f"realmbox {' '.join(args)}: exit {p.returncode}\n{p.stdout}\n{p.stderr}")
    return p


def make_bundle(tmp, name, args, extra_env=()):
    dst = os.path.join(tmp, name)
    shutil.copytree(rbenv.bundle("programs"), dst, symlinks=True)
    cfg_path = os.path.join(dst, "config.json")
    with open(cfg_path) as f:
        cfg = json.load(f)
    cfg["process"]["args"] = args
    cfg["process"]["env"] = cfg["process"]["env"] + list(extra_env)
    with open(cfg_path, "w") as f:
        json.dump(cfg, f)
    return dst


def measure(bundle, env=None):
    return rb("measure", "--bundle", bundle, env=env).stdout.strip()


def token_of(stdout):
    for line in stdout.splitlines():
        if line.startswith("outblob "):
            return bytes.fromhex(line.split()[1])
    return None


def main():
    src = rbenv.bundle("programs")
    if not os.path.exists(os.path.join(src, "rootfs", "prog", "static", "tsm_report")):
        sys.exit(f"test_container_identity: {src} lacks tsm_report")
    tmp = tempfile.mkdtemp(prefix="rb-identity-")
    try:
        root = os.path.join(tmp, "root")
        os.mkdir(root, 0o700)
        env = dict(os.environ, REALMBOX_ROOT=root, REALMBOX_LOG="error")
        for k in ("REALMBOX_REALM_RECS", "REALMBOX_REALM_POOL_MB", "REALMBOX_REALM_POOL_MAX_MB"):
            env.pop(k, None)
        chal1 = bytes(range(0x40, 0x80))
        chal2 = bytes(range(0xA0, 0xE0))
        b1 = make_bundle(tmp, "b1", ["/prog/static/tsm_report"])
        b2 = make_bundle(tmp, "b2", ["/prog/dynamic/tsm_report", chal2.hex()], ["RB_ID=two"])

        rims = {}
        toks = {}
        for name, b, chal in (("b1", b1, chal1), ("b2", b2, chal2)):
            rims[name] = measure(b, env)
            p = rb("run", "--isolation", "realm", "--bundle", b, "id-" + name, env=env, ok=False)
            check(p.returncode == 0, f"{name}: tsm_report exits 0 in realm mode "
                  f"(exit {p.returncode}: {p.stderr.strip()[:200]})")
            check("provider arm_cca_guest" in p.stdout, f"{name}: provider is arm_cca_guest")
            check("generation 2" in p.stdout, f"{name}: generation 2 after two inblob writes (the EFBIG one does not count)")
            toks[name] = token_of(p.stdout)
            check(toks[name] is not None and len(toks[name]) > 900,
                  f"{name}: outblob holds a token")
        check(rims["b1"] != rims["b2"], "two bundles, two RIMs")

        pem = os.path.join(tmp, "platform.pem")
        rb("machine", "key", "--root", root, "-o", pem)
        for name, chal in (("b1", chal1), ("b2", chal2)):
            if toks[name] is None:
                continue
            path = os.path.join(tmp, name + ".cbor")
            with open(path, "wb") as f:
                f.write(toks[name])
            p = rb("verify", path, "--platform-key", pem, "--challenge", chal.hex(),
                   "--rim", rims[name], "--format", "json", ok=False)
            check(p.returncode == 0, f"{name}: verify --rim $(measure) passes ({p.stderr.strip()})")
            if p.returncode == 0:
                claims = json.loads(p.stdout)
                check(json.dumps(claims).count(rims[name]) >= 1, f"{name}: the token's RIM is measure's")
            bdir = os.path.join(tmp, name)
            p = rb("verify", path, "--platform-key", pem, "--challenge", chal.hex(),
                   "--bundle", bdir, ok=False, env=env)
            check(p.returncode == 0, f"{name}: verify --bundle passes ({p.stderr.strip()})")
            p = rb("verify", path, "--platform-key", pem, "--challenge", chal.hex(),
                   "--bundle", os.path.join(tmp, "b2" if name == "b1" else "b1"), ok=False,
                   env=env)
            check(p.returncode == 1 and "RIM mismatch" in p.stderr,
                  f"{name}: verify --bundle of the other bundle is refused")
            other = rims["b2" if name == "b1" else "b1"]
            p = rb("verify", path, "--platform-key", pem, "--challenge", chal.hex(),
                   "--rim", other, ok=False)
            check(p.returncode == 1 and "RIM mismatch" in p.stderr,
                  f"{name}: the other bundle's RIM is refused")
            p = rb("verify", path, "--platform-key", pem, "--challenge", chal2.hex()
                   if name == "b1" else chal1.hex(), ok=False)
            check(p.returncode == 1 and "challenge" in p.stderr,
                  f"{name}: another challenge is refused")

        # REM[0]: what the System Realm loaded after start (each execve's executable)
        p = rb("verify", os.path.join(tmp, "b1.cbor"), "--platform-key", pem, "--format", "json",
               ok=False)
        rems1 = json.loads(p.stdout)["realm"]["rems"] if p.returncode == 0 else None
        check(rems1 is not None and rems1[0] == "00" * 32,
              "b1: no execve after start: REM[0] is zero")
        b5 = make_bundle(tmp, "b5", ["/bin/sh", "-c", "exec /prog/static/tsm_report " + chal1.hex()])
        p = rb("run", "--isolation", "realm", "--bundle", b5, "id-b5", env=env, ok=False)
        tok = token_of(p.stdout)
        rem0 = None
        if tok is not None:
            path = os.path.join(tmp, "b5.cbor")
            with open(path, "wb") as f:
                f.write(tok)
            p = rb("verify", path, "--platform-key", pem, "--format", "json", ok=False)
            if p.returncode == 0:
                rem0 = json.loads(p.stdout)["realm"]["rems"][0]
        with open(os.path.join(b5, "rootfs", "prog", "static", "tsm_report"), "rb") as f:
            exe = hashlib.sha256(f.read()).digest()
        want = hashlib.sha256(bytes(32) + exe).hexdigest()
        check(rem0 == want, f"b5: REM[0] = H(0 || sha256(tsm_report)) after sh execs it ({rem0})")

        # measure follows the bundle: config.json and rootfs content
        b3 = make_bundle(tmp, "b3", ["/prog/static/tsm_report"])
        check(measure(b3, env) == rims["b1"], "an identical bundle measures the same")
        with open(os.path.join(b3, "config.json")) as f:
            cfg = json.load(f)
        cfg["process"]["cwd"] = "/prog"
        with open(os.path.join(b3, "config.json"), "w") as f:
            json.dump(cfg, f)
        r_cfg = measure(b3, env)
        check(r_cfg != rims["b1"], "a config.json change changes the RIM")
        hello = os.path.join(b3, "rootfs", "prog", "static", "hello")
        os.chmod(hello, 0o755)
        with open(hello, "ab") as f:
            f.write(b"\0")
        check(measure(b3, env) not in (rims["b1"], r_cfg), "a rootfs file change changes the RIM")

        # linux.resources limits are measured (a record only when set), the same in measure and run
        b6 = make_bundle(tmp, "b6", ["/prog/static/tsm_report"])
        with open(os.path.join(b6, "config.json")) as f:
            cfg = json.load(f)
        cfg.setdefault("linux", {})["resources"] = {"memory": {"limit": 64 << 20},
                                                    "pids": {"limit": 16}}
        with open(os.path.join(b6, "config.json"), "w") as f:
            json.dump(cfg, f)
        r_res = measure(b6, env)
        check(r_res != rims["b1"], "resource limits change the RIM")
        p = rb("run", "--isolation", "realm", "--bundle", b6, "id-b6", env=env, ok=False)
        tok = token_of(p.stdout)
        verified = False
        if tok is not None:
            path = os.path.join(tmp, "b6.cbor")
            with open(path, "wb") as f:
                f.write(tok)
            verified = rb("verify", path, "--platform-key", pem, "--challenge", chal1.hex(),
                          "--rim", r_res, ok=False).returncode == 0
        check(verified, "a limited container's token carries the RIM measure computes")

        # the recipe's parameters are measured, the same way in measure and run
        env2 = dict(env, REALMBOX_REALM_RECS="4", REALMBOX_REALM_POOL_MB="6")
        r_small = measure(b1, env2)
        check(r_small != rims["b1"], "REC count and pool size are measured")
        p = rb("run", "--isolation", "realm", "--bundle", b1, "id-small", env=env2, ok=False)
        tok = token_of(p.stdout)
        if tok is not None:
            path = os.path.join(tmp, "small.cbor")
            with open(path, "wb") as f:
                f.write(tok)
            p = rb("verify", path, "--platform-key", pem, "--challenge", chal1.hex(),
                   "--rim", r_small, ok=False)
        check(tok is not None and p.returncode == 0,
              "4 RECs and a 6 MiB pool: run's RIM is measure's")

        # ID as hostname: config.json without one needs --id
        b4 = make_bundle(tmp, "b4", ["/prog/static/tsm_report"])
        with open(os.path.join(b4, "config.json")) as f:
            cfg = json.load(f)
        cfg.pop("hostname", None)
        with open(os.path.join(b4, "config.json"), "w") as f:
            json.dump(cfg, f)
        p = rb("measure", "--bundle", b4, env=env, ok=False)
        check(p.returncode == 1 and "--id" in p.stderr, "no hostname: measure asks for --id")
        ra = rb("measure", "--bundle", b4, "--id", "a", env=env).stdout.strip()
        rb_ = rb("measure", "--bundle", b4, "--id", "b", env=env).stdout.strip()
        check(ra != rb_, "no hostname: the ID is measured")

        # none mode: no provider
        p = rb("run", "--isolation", "none", "--bundle", b1, "id-none", env=env, ok=False)
        check(p.returncode == 3 and "no provider" in p.stdout,
              f"none: no configfs-tsm provider (exit {p.returncode})")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"test_container_identity: {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
