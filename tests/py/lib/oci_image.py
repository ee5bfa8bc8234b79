"""An arm64 OCI image of a rootfs directory, written by hand as an OCI image
layout tar (no registry, no network): what `ctr images import` and `podman
load` read. Used by test_containerd.py and test_podman.py."""
import gzip
import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile


def _blob(layout, data, media_type):
    d = hashlib.sha256(data).hexdigest()
    os.makedirs(os.path.join(layout, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(layout, "blobs", "sha256", d), "wb") as f:
        f.write(data)
    return {"mediaType": media_type, "digest": "sha256:" + d, "size": len(data)}


def build_image(rootfs, out_tar, name):
    """Writes out_tar: an OCI image layout with one gzip layer of rootfs,
    linux/arm64, `sh` as its command, tagged `name` (the annotations both
    containerd and podman read for the reference)."""
    layout = tempfile.mkdtemp(prefix="rb-oci-")
    try:
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w") as t:
            for entry in sorted(os.listdir(rootfs)):
                t.add(os.path.join(rootfs, entry), arcname=entry)
        layer_tar = raw.getvalue()
        diff_id = "sha256:" + hashlib.sha256(layer_tar).hexdigest()
        layer = _blob(layout, gzip.compress(layer_tar, mtime=0),
                      "application/vnd.oci.image.layer.v1.tar+gzip")
        config = {"architecture": "arm64", "os": "linux",
                  "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
                                     "/sbin:/bin"], "Cmd": ["sh"], "WorkingDir": "/"},
                  "rootfs": {"type": "layers", "diff_ids": [diff_id]}, "history": []}
        cfg = _blob(layout, json.dumps(config).encode(),
                    "application/vnd.oci.image.config.v1+json")
        manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": cfg, "layers": [layer]}
        man = _blob(layout, json.dumps(manifest).encode(),
                    "application/vnd.oci.image.manifest.v1+json")
        man["platform"] = {"architecture": "arm64", "os": "linux"}
        man["annotations"] = {"org.opencontainers.image.ref.name": name,
                              "io.containerd.image.name": name}
        with open(os.path.join(layout, "index.json"), "w") as f:
            json.dump({"schemaVersion": 2, "manifests": [man]}, f)
        with open(os.path.join(layout, "oci-layout"), "w") as f:
            json.dump({"imageLayoutVersion": "1.0.0"}, f)
        with tarfile.open(out_tar, "w") as t:
            for entry in ("oci-layout", "index.json", "blobs"):
                t.add(os.path.join(layout, entry), arcname=entry)
    finally:
        shutil.rmtree(layout, ignore_errors=True)
