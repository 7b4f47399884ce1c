#!/usr/bin/python3
"""Build a multi-layer OCI image layout from directories of this machine (one gzip layer per
directory), for bench/pull.sh. Usage: make-image.py LAYOUT_DIR TAG DIR [DIR...]"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile


def blob(layout, data):
    d = hashlib.sha256(data).hexdigest()
    with open(os.path.join(layout, "blobs/sha256", d), "wb") as f:
        f.write(data)
    return "sha256:" + d


def layer(src):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        tf.add(src, arcname=src.lstrip("/"), recursive=True)
    tar = buf.getvalue()
    return tar, gzip.compress(tar, compresslevel=6, mtime=0)


def main(layout, tag, dirs):
    os.makedirs(os.path.join(layout, "blobs/sha256"), exist_ok=True)
    descs, diff_ids = [], []
    for d in dirs:
        tar, gz = layer(d)
        descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                      "digest": blob(layout, gz), "size": len(gz)})
        diff_ids.append("sha256:" + hashlib.sha256(tar).hexdigest())
    cfg = json.dumps({"architecture": "amd64", "os": "linux",
                      "config": {"Cmd": ["sh"]},
                      "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
    m = json.dumps({"schemaVersion": 2,
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                               "digest": blob(layout, cfg), "size": len(cfg)},
                    "layers": descs}).encode()
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": blob(layout, m), "size": len(m),
            "annotations": {"org.opencontainers.image.ref.name": tag}}]}, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
