#!/usr/bin/env bash
# `make demo`, after the build: a realm's whole life through RMI on the
# emulated CCA machine (realmbox demo), then an example OCI bundle built
# from Debian's busybox-static:arm64 and run as a container.
#   scripts/demo.sh BUILD_DIR [ISOLATION]
set -euo pipefail
BUILD=${1:-build}
ISO=${2:-none}
RB=$(cd "$BUILD" && pwd)/realmbox

echo "== 1. A realm's life through RMI (monitor, RMM, GPT) =="
"$RB" demo

echo
echo "== 2. A container from an OCI bundle (--isolation $ISO) =="
scripts/make-bundle.sh "$BUILD/bundles" busybox
bundle="$BUILD/bundles/busybox"
python3 - "$bundle/config.json" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["args"] = ["/bin/sh", "-c",
    'echo "hello from an arm64 container: $(uname -sm)"; '
    'echo "$(ls /bin | wc -l) applets in /bin"; '
    'echo "sha256 of /etc/passwd: $(sha256sum /etc/passwd | cut -c1-16)..."']
c["process"]["terminal"] = False
json.dump(c, open(p, "w"), indent=2)
PY
cd "$bundle"
"$RB" run --isolation "$ISO" --stats "demo-$$"
