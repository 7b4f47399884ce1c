"""Decompression bombs: a small archive that expands to far more than it weighs. `import`,
`load` and `pull` stop early, at --max-archive-size ($HAKO_MAX_ARCHIVE_SIZE) or at the free
space of the store's filesystem (less a reserve), with an error naming the archive, and leave
nothing half-written in the store. The tests keep their own disk use small: the maximum is a few
MiB, and the free-space bound is met on a 24 MiB tmpfs used as --root."""
import gzip
import os
import subprocess
import tarfile

import pytest

from conftest import make_busybox_rootfs
from imagelib import Layout, Registry, hako, sha256, skopeo_push

MiB = 1 << 20


def bomb_tar(size, name="zeros"):
    """An uncompressed tar holding one file of size zero bytes (as bytes)."""
    ti = tarfile.TarInfo(name)
    ti.size, ti.mode, ti.mtime = size, 0o644, 1_600_000_000
    pad = (512 - size % 512) % 512
    return ti.tobuf(tarfile.PAX_FORMAT) + bytes(size + pad) + bytes(1024)


def write_bomb(path, size):
    """A gzip'ed tar of size bytes of zeros, written in chunks; returns its path."""
    ti = tarfile.TarInfo("zeros")
    ti.size, ti.mode, ti.mtime = size, 0o644, 1_600_000_000
    with gzip.open(path, "wb", compresslevel=9) as f:
        f.write(ti.tobuf(tarfile.PAX_FORMAT))
        chunk = bytes(MiB)
        left = size + (512 - size % 512) % 512
        while left:
            n = min(left, len(chunk))
            f.write(chunk[:n])
            left -= n
        f.write(bytes(1024))
    return path


def store_is_clean(root):
    """Nothing half-written: no blob, layer, temporary or image record."""
    assert os.listdir(root / "blobs/sha256") == []
    assert os.listdir(root / "layers") == []
    assert os.listdir(root / "tmp") == []
    p = hako(root, "images", "-q")
    assert p.returncode == 0 and p.stdout.strip() == ""


@pytest.fixture(scope="module")
def bomb(tmp_path_factory):
    path = write_bomb(tmp_path_factory.mktemp("bomb") / "bomb.tar.gz", 64 * MiB)
    assert path.stat().st_size < 200_000  # a small file ...
    return path  # ... that expands to 64 MiB


@pytest.mark.parametrize("how", ["option", "env"])
def test_import_stops_at_the_maximum(tmp_path, bomb, how):
    root = tmp_path / "root"
    hako(root, "images", check=True)  # an empty store
    if how == "option":
        p = hako(root, "--max-archive-size", "4m", "import", bomb, "bomb:1")
    else:
        p = hako(root, "import", bomb, "bomb:1", env={**os.environ,
                                                      "HAKO_MAX_ARCHIVE_SIZE": "4MiB"})
    assert p.returncode == 1, p.stderr
    assert f"import '{bomb}'" in p.stderr, p.stderr
    assert "expands to more than 4.19MB (4194304 bytes), the maximum" in p.stderr, p.stderr
    store_is_clean(root)


def test_load_stops_at_the_maximum(tmp_path, bomb):
    root = tmp_path / "root"
    hako(root, "images", check=True)
    p = hako(root, "--max-archive-size", "4m", "load", "-i", bomb)
    assert p.returncode == 1 and f"load '{bomb}'" in p.stderr, p.stderr
    assert "the maximum" in p.stderr, p.stderr
    store_is_clean(root)
    with open(bomb, "rb") as f:  # from stdin, the name says so
        p = hako(root, "--max-archive-size", "4m", "load", stdin=f)
    assert p.returncode == 1 and "load '-'" in p.stderr and "the maximum" in p.stderr
    store_is_clean(root)


def test_bad_maximum_is_refused(tmp_path):
    p = hako(tmp_path / "root", "--max-archive-size", "lots", "images")
    assert p.returncode == 125 and "--max-archive-size: 'lots' is not a size" in p.stderr
    p = hako(tmp_path / "root", "images", env={**os.environ, "HAKO_MAX_ARCHIVE_SIZE": "0"})
    assert p.returncode == 125 and "$HAKO_MAX_ARCHIVE_SIZE: '0' is not a size" in p.stderr


def test_pull_of_a_bomb_layer_stops(tmp_path):
    """A registry serves a layer whose gzip expands to 32 MiB: the unpack stops at the maximum,
    naming the layer; no layer is published and the partial one is gone."""
    lay = Layout(tmp_path / "oci")
    tar = bomb_tar(32 * MiB)
    lay.tag(lay.image([tar]), "bomb")
    reg = Registry(tmp_path / "reg").start()
    try:
        skopeo_push(f"oci:{lay.dir}:bomb", f"docker://{reg.host}/bombs/zeros:latest")
        root = tmp_path / "root"
        p = hako(root, "--max-archive-size", "2m", "pull", f"{reg.host}/bombs/zeros")
        assert p.returncode == 1, p.stderr
        layer = sha256(gzip.compress(tar, mtime=0))  # the blob Layout stored
        assert f"layer {layer}" in p.stderr and "the maximum" in p.stderr, p.stderr
        assert os.listdir(root / "layers") == [] and os.listdir(root / "tmp") == []
        # with room enough the same image pulls and runs its content
        hako(root, "--max-archive-size", "40m", "pull", "-q", f"{reg.host}/bombs/zeros",
             check=True)
        [d] = (root / "layers").iterdir()
        assert (d / "diff/zeros").stat().st_size == 32 * MiB
    finally:
        reg.stop()


@pytest.fixture
def small_root(tmp_path):
    """A 24 MiB tmpfs as the store's --root."""
    root = tmp_path / "small"
    root.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m,mode=0700", "tmpfs", root],
                   check=True)
    try:
        yield root
    finally:
        subprocess.run(["umount", root], check=True)


def test_import_stops_at_the_free_space(tmp_path, small_root, bomb):
    hako(small_root, "images", check=True)
    p = hako(small_root, "import", bomb, "bomb:1")  # no maximum set: the default is 64 GiB
    assert p.returncode == 1, p.stderr
    assert f"import '{bomb}'" in p.stderr, p.stderr
    assert f"expands to more than the free space on '{small_root}'" in p.stderr, p.stderr
    store_is_clean(small_root)
    # the reserve (5% of 24 MiB) is still free, not the whole filesystem filled
    st = os.statvfs(small_root)
    assert st.f_bavail * st.f_frsize > 20 * MiB
    # an ordinary rootfs still imports on the same small filesystem, and runs
    rootfs = make_busybox_rootfs(tmp_path / "rootfs")
    tar = tmp_path / "rootfs.tar"
    subprocess.run(["tar", "-C", rootfs, "-cf", tar, "."], check=True)
    out = hako(small_root, "import", tar, "small:1", check=True).stdout.strip()
    assert out.startswith("sha256:")


def test_load_stops_at_the_free_space(small_root, bomb):
    hako(small_root, "images", check=True)
    p = hako(small_root, "load", "-i", bomb)
    assert p.returncode == 1 and f"load '{bomb}'" in p.stderr, p.stderr
    assert "free space" in p.stderr, p.stderr
    store_is_clean(small_root)

