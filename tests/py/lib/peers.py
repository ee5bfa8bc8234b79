"""Native OCI runtimes (Debian's runc and crun) as peers of realmbox: an x86-64
busybox bundle they can run, made from Debian's busybox-static:amd64
(fetched once with `apt-get download` into a cache directory and extracted
with dpkg-deb). Used by scripts/bench_peers.py (start latency) and
tests/py/test_runc_oracle.py (runc as the oracle of the lifecycle contract).
"""
import glob
import os
import shutil
import subprocess

CACHE = os.environ.get("REALMBOX_PEERS_CACHE",
                       os.path.join(os.path.expanduser("~"), ".cache", "realmbox", "peers"))

# applets the bundles' rootfs links to busybox (what the bench and the tests call)
APPLETS = ("sh", "true", "echo", "sleep", "cat")


def download(pkg, cache=CACHE):
    """Path of pkg's .deb in cache, fetched with apt-get download if missing."""
    os.makedirs(cache, exist_ok=True)
    name = pkg.split(":")[0]
    arch = pkg.split(":")[1] if ":" in pkg else None
    pat = f"{name}_*_{arch}.deb" if arch else f"{name}_*.deb"
    found = sorted(glob.glob(os.path.join(cache, pat)))
    if not found:
        subprocess.run(["apt-get", "download", pkg], cwd=cache, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        found = sorted(glob.glob(os.path.join(cache, pat)))
    if not found:
        raise RuntimeError(f"apt-get download {pkg} left no {pat} in {cache}")
    return found[-1]


def extract(deb, into):
    """Unpack deb's files under into (dpkg-deb -x)."""
    os.makedirs(into, exist_ok=True)
    subprocess.run(["dpkg-deb", "-x", deb, into], check=True)


def amd64_busybox(cache=CACHE):
    """Path of Debian's static x86-64 busybox, fetched into cache when missing."""
    bb = os.path.join(cache, "busybox-amd64")
    if not os.path.isfile(os.path.join(bb, "bin", "busybox")):
        extract(download("busybox-static:amd64", cache), bb)
    return os.path.join(bb, "bin", "busybox")


def runc_prepare(cache, tmp):
    """A bundle directory tmp/runc-bundle with rootfs/bin/busybox (x86-64) and
    APPLETS linked to it, and no config.json yet (`runc spec` writes one).
    Raises RuntimeError or CalledProcessError when busybox cannot be fetched."""
    bundle = os.path.join(tmp, "runc-bundle")
    rootfs = os.path.join(bundle, "rootfs")
    os.makedirs(os.path.join(rootfs, "bin"))
    shutil.copy(amd64_busybox(cache), os.path.join(rootfs, "bin", "busybox"))
    for applet in APPLETS:
        os.symlink("busybox", os.path.join(rootfs, "bin", applet))
    return bundle
