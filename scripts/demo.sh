#!/usr/bin/env bash
# `make demo`, after the build: a realm's whole life through RMI on the
# emulated CCA machine (realmbox demo), then an example OCI bundle built
# from Debian's busybox-static:arm64 and run as a container.
#   scripts/demo.sh BUILD_DIR [ISOLATION]
set -euo pipefail
BUILD=${1:-build}
ISO=${2:-realm}
RB=$(cd "$BUILD" && pwd)/realmbox

echo "== 1. A realm's life through RMI (monitor, RMM, GPT) =="
"$RB" demo

echo
echo "== 2. A container from an OCI bundle (--isolation $ISO) =="
scripts/make-bundle.sh "$BUILD/bundles" busybox
bundle="$BUILD/bundles/busybox"
python3 - "$bundle/config.json" "$ISO" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["args"] = ["/bin/sh", "-c",
    'echo "hello from an arm64 container (isolation: $RB_ISOLATION)"; '
    'echo "uname -sm says:"; exec uname -sm']
c["process"]["env"] = [e for e in c["process"].get("env", []) if not e.startswith("RB_ISOLATION=")]
c["process"]["env"].append("RB_ISOLATION=" + sys.argv[2])
c["process"]["terminal"] = False
json.dump(c, open(p, "w"), indent=2)
PY
cd "$bundle"
"$RB" run --isolation "$ISO" --stats "demo-$$"
