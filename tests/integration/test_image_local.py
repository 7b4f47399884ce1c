"""Local image commands: build-busybox, images, image inspect, tag, rmi, and the store layout."""
import json
import os
import stat
import subprocess

from conftest import BUSYBOX, HAKO, run


def hako(root, *args, **kw):
    return run([HAKO, "--root", root, *args], **kw)


def build_busybox(root):
    p = hako(root, "image", "build-busybox", check=True)
    return p.stdout.strip()


def test_build_busybox_is_reproducible_and_idempotent(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    id_a = build_busybox(a)
    assert id_a.startswith("sha256:") and len(id_a) == 71
    assert build_busybox(b) == id_a  # same bytes in another store
    before = sorted(os.listdir(a / "blobs/sha256"))
    mtime = os.stat(a / "repositories.json").st_mtime_ns
    assert build_busybox(a) == id_a  # present: a no-op
    assert sorted(os.listdir(a / "blobs/sha256")) == before
    assert os.stat(a / "repositories.json").st_mtime_ns == mtime


def test_busybox_layer_contents(tmp_path):
    build_busybox(tmp_path)
    layers = list((tmp_path / "layers").iterdir())
    assert len(layers) == 1
    assert (layers[0] / "complete").exists()
    diff = layers[0] / "diff"
    bb = diff / "bin/busybox"
    assert bb.read_bytes() == BUSYBOX.read_bytes()
    assert stat.S_IMODE(bb.stat().st_mode) == 0o755
    assert os.readlink(diff / "bin/sh") == "/bin/busybox"
    applets = subprocess.run([BUSYBOX, "--list-full"], capture_output=True, text=True).stdout.split()
    for a in applets:
        assert os.path.islink(diff / a) or a == "bin/busybox", a
    assert stat.S_IMODE((diff / "tmp").stat().st_mode) == 0o1777
    for d in ("proc", "sys", "dev", "root"):
        assert (diff / d).is_dir() and not any((diff / d).iterdir())
    passwd = (diff / "etc/passwd").read_text().splitlines()
    assert passwd[0].startswith("root:x:0:0:") and passwd[1].startswith("nobody:x:65534:65534:")
    assert "root:x:0:" in (diff / "etc/group").read_text()
    assert "nobody:x:65534:" in (diff / "etc/group").read_text()


def test_images_table_json_quiet(tmp_path):
    image_id = build_busybox(tmp_path)
    p = hako(tmp_path, "images", check=True)
    lines = p.stdout.splitlines()
    assert lines[0].split() == ["REPOSITORY", "TAG", "IMAGE", "ID", "CREATED", "SIZE"]
    row = lines[1].split()
    assert row[:3] == ["busybox", "latest", image_id[7:19]]
    assert lines[1].endswith("MB") and " ago " in lines[1]
    assert p.stderr == ""
    p = hako(tmp_path, "images", "--format", "json", check=True)
    obj = json.loads(p.stdout.splitlines()[0])
    assert obj["Repository"] == "busybox" and obj["Tag"] == "latest"
    assert obj["ID"] == image_id[7:19] and obj["Size"].endswith("MB")
    assert hako(tmp_path, "images", "-q", check=True).stdout == image_id[7:19] + "\n"
    assert hako(tmp_path, "image", "ls", "-q", check=True).stdout == image_id[7:19] + "\n"
    assert hako(tmp_path, "images", "-q", "nothere").stdout == ""


def test_inspect_is_docker_shaped(tmp_path):
    image_id = build_busybox(tmp_path)
    for name in ("busybox", "busybox:latest", "docker.io/library/busybox", image_id,
                 image_id[7:19], image_id[7:11]):
        p = hako(tmp_path, "image", "inspect", name, check=True)
        [img] = json.loads(p.stdout)
        assert img["Id"] == image_id
    assert img["RepoTags"] == ["busybox:latest"]
    assert img["Config"]["Cmd"] == ["sh"]
    assert img["Config"]["Env"] == ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
    assert img["Os"] == "linux" and img["Architecture"]
    assert img["RootFS"]["Type"] == "layers" and len(img["RootFS"]["Layers"]) == 1
    assert img["Size"] > 1_000_000
    assert os.path.isdir(img["GraphDriver"]["Data"]["LowerDir"])


def test_missing_image_errors(tmp_path):
    p = hako(tmp_path, "image", "inspect", "nosuch")
    assert p.returncode == 1
    assert "No such image: nosuch" in p.stderr
    assert json.loads(p.stdout) == []
    p = hako(tmp_path, "rmi", "nosuch")
    assert p.returncode == 1 and "No such image: nosuch" in p.stderr and p.stdout == ""
    p = hako(tmp_path, "tag", "nosuch", "other")
    assert p.returncode == 1 and "No such image" in p.stderr
    p = hako(tmp_path, "image", "inspect", "Bad:Name")
    assert p.returncode == 1


def test_tag_and_rmi(tmp_path):
    image_id = build_busybox(tmp_path)
    hako(tmp_path, "tag", "busybox", "localhost:5000/mine/bb:v1", check=True)
    p = hako(tmp_path, "images", check=True)
    assert "localhost:5000/mine/bb" in p.stdout
    [img] = json.loads(hako(tmp_path, "image", "inspect", "localhost:5000/mine/bb:v1").stdout)
    assert sorted(img["RepoTags"]) == ["busybox:latest", "localhost:5000/mine/bb:v1"]
    p = hako(tmp_path, "tag", "busybox", "x@sha256:" + "0" * 64)
    assert p.returncode == 1 and "digest" in p.stderr
    # by ID with two tags: refused unless forced
    p = hako(tmp_path, "rmi", image_id[7:19])
    assert p.returncode == 1 and "must be forced" in p.stderr
    # by tag: only untags
    p = hako(tmp_path, "rmi", "localhost:5000/mine/bb:v1", check=True)
    assert p.stdout == "Untagged: localhost:5000/mine/bb:v1\n"
    assert (tmp_path / "blobs/sha256" / image_id[7:]).exists()
    # the last tag: the image goes, and its blobs and layers with it
    p = hako(tmp_path, "image", "rm", "busybox", check=True)
    assert p.stdout == f"Untagged: busybox:latest\nDeleted: {image_id}\n"
    assert os.listdir(tmp_path / "blobs/sha256") == []
    assert os.listdir(tmp_path / "layers") == []
    assert hako(tmp_path, "images", "-q", check=True).stdout == ""


def test_rmi_force_by_id(tmp_path):
    image_id = build_busybox(tmp_path)
    hako(tmp_path, "tag", "busybox", "other:1", check=True)
    p = hako(tmp_path, "rmi", "-f", image_id, check=True)
    assert "Untagged: other:1" in p.stdout and "Untagged: busybox:latest" in p.stdout
    assert p.stdout.endswith(f"Deleted: {image_id}\n")


def test_usage_errors(tmp_path):
    assert hako(tmp_path, "images", "--yaml").returncode == 125
    assert hako(tmp_path, "rmi").returncode == 125
    assert hako(tmp_path, "tag", "a").returncode == 125
    p = hako(tmp_path, "image", "frob")
    assert p.returncode == 125 and "not a hako image command" in p.stderr


def test_rootfs_overlay_and_copy_fallback(tmp_path):
    """Where overlayfs cannot be used (here: the container directory is itself on an overlay,
    which overlayfs refuses as an upper layer), the rootfs is a private copy."""
    build_busybox(tmp_path / "root")
    outer, inner = tmp_path / "outer", tmp_path / "outer/rootfs/nested"
    p = hako(tmp_path / "root", "image", "mount", "busybox", outer, check=True)
    try:
        assert p.stdout.strip() == str(outer / "rootfs")
        assert (outer / "upper").is_dir() and not (outer / "rootfs.copy").exists()
        p = hako(tmp_path / "root", "image", "mount", "busybox", inner)
        assert p.returncode == 0, p.stderr
        try:
            assert (inner / "rootfs.copy").exists()
            assert os.readlink(inner / "rootfs/bin/sh") == "/bin/busybox"
            assert (inner / "rootfs/bin/busybox").read_bytes() == BUSYBOX.read_bytes()
            assert stat.S_IMODE((inner / "rootfs/tmp").stat().st_mode) == 0o1777
            # forcing overlay there fails with the kernel's reason
            p = hako(tmp_path / "root", "image", "mount", "--driver", "overlay", "busybox",
                     outer / "rootfs/other")
            assert p.returncode == 1 and "overlay: upperdir" in p.stderr
        finally:
            hako(tmp_path / "root", "image", "unmount", inner, check=True)
        assert not (inner / "rootfs").exists()
    finally:
        hako(tmp_path / "root", "image", "unmount", outer, check=True)
    assert not (outer / "rootfs").exists() and not (outer / "upper").exists()
