"""hako load / save / import, round-tripping through skopeo's docker-archive and oci-archive."""
import gzip
import io
import json
import os
import tarfile

import pytest

from conftest import make_busybox_rootfs, run
from imagelib import Layout, entry, hako, make_tar, sha256, tree
from test_image_pull import check_merged, layers, rootfs_tar, storage  # noqa: F401


@pytest.fixture(scope="session")
def layout(storage):  # noqa: F811
    """The OCI layout with the multi-layer test image (tag "multi")."""
    return storage[2], storage[1]["multi"]["config_digest"]


def skopeo(*args):
    return run(["skopeo", "copy", "-q", *args], check=True, timeout=120)


def merged_tree(root, name, dest):
    hako(root, "image", "mount", name, dest, check=True)
    try:
        check_merged(dest / "rootfs")
        return {k: v for k, v in tree(dest / "rootfs").items() if v[0] != "dir"}
    finally:
        hako(root, "image", "unmount", dest, check=True)


@pytest.mark.parametrize("fmt", ["docker-archive", "oci-archive"])
def test_load_skopeo_archives(tmp_path, layout, fmt):
    lay, config_digest = layout
    archive = tmp_path / "img.tar"
    tag = "multigz" if fmt == "docker-archive" else "multi"  # docker-archive has no zstd
    skopeo(f"oci:{lay.dir}:{tag}", f"{fmt}:{archive}:example.com/test/multi:v1")
    root = tmp_path / "root"
    p = hako(root, "load", "-i", archive, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "Loaded image: example.com/test/multi:v1\n"
    [img] = json.loads(hako(root, "image", "inspect", "example.com/test/multi:v1").stdout)
    assert img["Id"] == config_digest
    merged_tree(root, "example.com/test/multi:v1", tmp_path / "c")
    assert os.listdir(root / "tmp") == []


def test_load_from_stdin_compressed(tmp_path, layout):
    lay, config_digest = layout
    archive = tmp_path / "img.tar"
    skopeo(f"oci:{lay.dir}:multigz", f"docker-archive:{archive}:x/y:z")
    gz = gzip.compress(archive.read_bytes())
    p = hako(tmp_path / "root", "load", input=None, stdin=open(write(tmp_path / "a.gz", gz)))
    assert p.returncode == 0, p.stderr
    assert p.stdout == "Loaded image: x/y:z\n"


def write(path, data):
    path.write_bytes(data)
    return path


def test_save_load_round_trip(tmp_path, layout):
    lay, config_digest = layout
    a, b = tmp_path / "a", tmp_path / "b"
    archive = tmp_path / "img.tar"
    skopeo(f"oci:{lay.dir}:multigz", f"docker-archive:{archive}:test/multi:v1")
    hako(a, "load", "-q", "-i", archive, check=True)
    saved = tmp_path / "saved.tar"
    p = hako(a, "save", "-o", saved, "test/multi:v1", timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout == ""
    with tarfile.open(saved) as tf:
        names = tf.getnames()
        manifest = json.load(tf.extractfile("manifest.json"))
    assert {"manifest.json", "index.json", "oci-layout"} <= set(names)
    assert manifest[0]["RepoTags"] == ["test/multi:v1"]
    # hako reads its own archive back: same image, same files
    hako(b, "load", "-i", saved, check=True)
    [ia] = json.loads(hako(a, "image", "inspect", "test/multi:v1").stdout)
    [ib] = json.loads(hako(b, "image", "inspect", "test/multi:v1").stdout)
    assert ia["Id"] == ib["Id"] == config_digest
    assert merged_tree(a, "test/multi:v1", tmp_path / "ca") == \
        merged_tree(b, "test/multi:v1", tmp_path / "cb")
    # and skopeo reads it as a docker-archive and as an oci-archive
    for fmt in ("docker-archive", "oci-archive"):
        out = tmp_path / f"out-{fmt}"
        skopeo(f"{fmt}:{saved}", f"oci:{out}:x")
        idx = json.loads((out / "index.json").read_text())
        m = json.loads((out / "blobs/sha256" / idx["manifests"][0]["digest"][7:]).read_text())
        cfg = json.loads((out / "blobs/sha256" / m["config"]["digest"][7:]).read_text())
        assert cfg["rootfs"]["diff_ids"] == ia["RootFS"]["Layers"]
        if fmt == "oci-archive":  # (from a docker-archive skopeo re-encodes the config)
            assert m["config"]["digest"] == config_digest
        assert len(m["layers"]) == 4


def test_save_several_and_by_id(tmp_path):
    root = tmp_path / "root"
    image_id = hako(root, "image", "build-busybox", check=True).stdout.strip()
    hako(root, "tag", "busybox", "other:1", check=True)
    saved = tmp_path / "s.tar"
    hako(root, "save", "-o", saved, "busybox", "other:1", image_id[7:19], check=True)
    with tarfile.open(saved) as tf:
        manifest = json.load(tf.extractfile("manifest.json"))
    assert [m["RepoTags"] for m in manifest] == [["busybox:latest"], ["other:1"], []]
    p = hako(root, "save", "-o", tmp_path / "x.tar", "nosuch")
    assert p.returncode == 1 and "No such image: nosuch" in p.stderr
    assert not (tmp_path / "x.tar").exists()
    assert [f for f in os.listdir(tmp_path) if "tmp" in f] == []


def test_import_rootfs_tarball(tmp_path):
    rootfs = make_busybox_rootfs(tmp_path / "rootfs")
    tgz = tmp_path / "rootfs.tar.gz"
    write(tgz, gzip.compress(rootfs_tar(rootfs)))
    root = tmp_path / "root"
    p = hako(root, "import", tgz, "imported:v1")
    assert p.returncode == 0, p.stderr
    image_id = p.stdout.strip()
    [img] = json.loads(hako(root, "image", "inspect", "imported:v1").stdout)
    assert img["Id"] == image_id and len(img["RootFS"]["Layers"]) == 1
    assert img["RootFS"]["Layers"][0] == sha256(rootfs_tar(rootfs))
    hako(root, "image", "mount", "imported:v1", tmp_path / "c", check=True)
    try:
        assert os.readlink(tmp_path / "c/rootfs/bin/sh") == "/bin/busybox"
        assert (tmp_path / "c/rootfs/bin/busybox").stat().st_size > 100000
    finally:
        hako(root, "image", "unmount", tmp_path / "c", check=True)
    # from stdin, untagged
    p = hako(root, "import", "-", stdin=open(tgz, "rb"))
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip().startswith("sha256:")


def test_load_errors_leave_nothing(tmp_path, layout):
    lay, _ = layout
    root = tmp_path / "root"
    junk = write(tmp_path / "junk", b"this is not an archive at all" * 100)
    p = hako(root, "load", "-i", junk)
    assert p.returncode == 1 and "tar" in p.stderr
    empty = write(tmp_path / "empty.tar", make_tar([entry("hello", data=b"x")]))
    p = hako(root, "load", "-i", empty)
    assert p.returncode == 1 and "neither manifest.json nor index.json" in p.stderr
    evil = write(tmp_path / "evil.tar", make_tar([entry("../../escape", data=b"x")]))
    p = hako(root, "load", "-i", evil)
    assert p.returncode == 1 and "'..' in path" in p.stderr
    assert not (tmp_path / "escape").exists()
    # an oci-archive whose layer blob does not match its digest
    archive = tmp_path / "img.tar"
    skopeo(f"oci:{lay.dir}:multi", f"oci-archive:{archive}:a/b:c")
    bad = tmp_path / "bad.tar"
    with tarfile.open(archive) as src, tarfile.open(bad, "w") as dst:
        idx = json.load(src.extractfile("index.json"))
        m = json.load(src.extractfile("blobs/sha256/" + idx["manifests"][0]["digest"][7:]))
        victim = "blobs/sha256/" + m["layers"][1]["digest"][7:]
        for ti in src.getmembers():
            data = src.extractfile(ti).read() if ti.isfile() else None
            if ti.name == victim:
                data = bytes([data[0] ^ 1]) + data[1:]
            dst.addfile(ti, io.BytesIO(data) if data is not None else None)
    p = hako(root, "load", "-i", bad)
    assert p.returncode == 1 and "digest mismatch" in p.stderr and victim in p.stderr
    assert os.listdir(root / "layers") == [] and os.listdir(root / "tmp") == []
    assert os.listdir(root / "blobs/sha256") == []
    p = hako(root, "import", junk, "x")
    assert p.returncode == 1 and "import" in p.stderr
    assert os.listdir(root / "layers") == [] and os.listdir(root / "blobs/sha256") == []
