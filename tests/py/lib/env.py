"""Where things are: the repository, the build directory ($BUILD, default
"build"), the realmbox program, and the example bundles (built on demand
with scripts/make-bundle.sh into $BUILD/bundles)."""
import atexit
import os
import re
import shutil
import subprocess
import sys
import tempfile

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
BUILD = os.path.join(REPO, os.environ.get("BUILD", "build"))
REALMBOX = os.path.join(BUILD, "realmbox")
BUNDLES = os.path.join(BUILD, "bundles")

# A runtime root of this test process's own ($REALMBOX_ROOT: used when no --root
# is given): foreground `realmbox run` registers its container there as runc's
# run does, and tests run at the same time by others must not meet its IDs.
if not os.environ.get("REALMBOX_ROOT"):
    os.environ["REALMBOX_ROOT"] = tempfile.mkdtemp(prefix="rb-test-root-")
    atexit.register(shutil.rmtree, os.environ["REALMBOX_ROOT"], True)


def _newest_mtime(paths):
    newest = 0.0
    for p in paths:
        if os.path.isdir(p):
            for d, _, files in os.walk(p):
                for f in files:
                    newest = max(newest, os.path.getmtime(os.path.join(d, f)))
        elif os.path.exists(p):
            newest = max(newest, os.path.getmtime(p))
    return newest


def need_realmbox():
    """Exit with a clear message if the realmbox program is not built."""
    if not os.access(REALMBOX, os.X_OK):
        sys.exit(f"{REALMBOX} is not built: run `make BUILD={os.path.relpath(BUILD, REPO)}`")
    return REALMBOX


def bundle(kind):
    """The example bundle `kind` ("busybox" or "programs"), (re)built when it
    is missing or older than its sources. Returns the bundle directory."""
    path = os.path.join(BUNDLES, kind)
    stamp = os.path.join(path, "config.json")
    sources = [os.path.join(REPO, "scripts", "make-bundle.sh")]
    if kind == "programs":
        sources.append(os.path.join(REPO, "tests", "programs"))
    if os.path.exists(stamp) and os.path.getmtime(stamp) >= _newest_mtime(sources):
        return path
    env = dict(os.environ)
    if kind == "programs":
        subprocess.run(["make", "--no-print-directory", "-s", f"BUILD={os.path.relpath(BUILD, REPO)}",
                        "programs"], cwd=REPO, check=True, stdout=subprocess.DEVNULL)
        env["PROGRAMS_DIR"] = os.path.join(BUILD, "programs")
    subprocess.run([os.path.join(REPO, "scripts", "make-bundle.sh"), BUNDLES, kind],
                   cwd=REPO, check=True, env=env, stdout=subprocess.DEVNULL)
    return path


# AddressSanitizer says once per process that it does not fully support
# swapcontext (the System Realm kernel's contexts use it): not the program's.
_SAN_NOISE = re.compile(rb"^==\d+==WARNING: ASan doesn't fully support makecontext/swapcontext"
                        rb"[^\n]*\n", re.M)


def strip_san_noise(stderr):
    """stderr of a realmbox run without the sanitizers' own remarks (SAN=1 builds)."""
    return _SAN_NOISE.sub(b"", stderr)
