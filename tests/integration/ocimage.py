"""Build OCI images in Python (tarfile + json + hashlib) for tests: no registry or internet."""
import hashlib
import io
import json
import tarfile
from pathlib import Path


def _blob(blobs, data: bytes):
    digest = hashlib.sha256(data).hexdigest()
    blobs[digest] = data
    return f"sha256:{digest}", len(data)


def layer_from_dir(rootfs: Path) -> bytes:
    """An uncompressed layer tar of a directory, with stable metadata."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(rootfs.rglob("*")):
            rel = path.relative_to(rootfs).as_posix()
            info = tar.gettarinfo(str(path), arcname=rel)
            info.uname = info.gname = ""
            if info.isreg():
                with open(path, "rb") as f:
                    tar.addfile(info, f)
            else:
                tar.addfile(info)
    return buf.getvalue()


def oci_archive(out: Path, layers, ref="docker.io/library/busybox:latest", config=None,
                arch="amd64"):
    """Write an oci-archive tar (oci-layout, index.json, blobs) holding one image."""
    blobs = {}
    layer_descs, diff_ids = [], []
    for data in layers:
        d, size = _blob(blobs, data)
        layer_descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar",
                            "digest": d, "size": size})
        diff_ids.append(d)
    cfg = {"architecture": arch, "os": "linux",
           "config": config or {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:"
                                        "/usr/bin:/sbin:/bin"], "Cmd": ["sh"]},
           "rootfs": {"type": "layers", "diff_ids": diff_ids}, "history": []}
    cd, csize = _blob(blobs, json.dumps(cfg).encode())
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                           "digest": cd, "size": csize},
                "layers": layer_descs}
    md, msize = _blob(blobs, json.dumps(manifest).encode())
    index = {"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": msize,
        "annotations": {"io.containerd.image.name": ref,
                        "org.opencontainers.image.ref.name": ref.rsplit(":", 1)[-1]},
        "platform": {"architecture": arch, "os": "linux"}}]}
    with tarfile.open(out, "w") as tar:
        def add(name, data):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        add("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        add("index.json", json.dumps(index).encode())
        for digest, data in blobs.items():
            add(f"blobs/sha256/{digest}", data)
    return out
