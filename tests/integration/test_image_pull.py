"""hako pull against a real registry (Debian's docker-registry on 127.0.0.1): multi-layer
images with owners, modes, xattrs, links, devices, deletions and opaque directories in gzip,
zstd and plain layers, a multi-platform index, and the failures (bad digest, truncated
download, non-JSON manifest, registry down, unknown image)."""
import io
import json
import os
import shutil
import stat
import tarfile

import pytest

from conftest import make_busybox_rootfs
from imagelib import (Layout, QuietHandler, Registry, Server, entry, hako, make_tar,
                      proxy_handler, sha256, skopeo_push, tree)

T0 = 1_600_000_000


def rootfs_tar(root):
    buf = io.BytesIO()

    def norm(ti):
        ti.uid = ti.gid = 0
        ti.uname = ti.gname = ""
        ti.mtime = T0
        return ti
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for name in sorted(os.listdir(root)):
            tf.add(root / name, arcname=name, filter=norm)
    return buf.getvalue()


def layers(base):
    l1 = make_tar_append(base, [
        entry("data", "dir"), entry("data/keep", "dir"), entry("data/keep/a", data=b"old a"),
        entry("data/gone", "dir"), entry("data/gone/x", data=b"x"),
        entry("opq", "dir"), entry("opq/old1", data=b"1"), entry("opq/sub", "dir"),
        entry("opq/sub/old2", data=b"2"), entry("etc/removeme", data=b"bye")])
    l2 = make_tar([
        entry("data", "dir"),
        entry("data/owned", data=b"owned by 1000:2000", mode=0o640, uid=1000, gid=2000,
              mtime=1_234_567_890),
        entry("data/suid", data=b"#!/bin/sh\n", mode=0o4755),
        entry("data/xattr", data=b"x", xattrs={"user.test": "hello"}),
        entry("data/hl", "hardlink", target="data/owned"),
        entry("data/rel", "symlink", target="owned"),
        entry("data/abs", "symlink", target="/etc/passwd"),
        entry("data/chr", "char", major=1, minor=3, mode=0o666),
        entry("data/blk", "block", major=7, minor=0, mode=0o660),
        entry("data/fifo", "fifo", mode=0o644),
        entry("data/private", "dir", mode=0o700, uid=1000, gid=1000),
        entry("data/private/secret", data=b"s", mode=0o600, uid=1000, gid=1000),
    ])
    l3 = make_tar([
        entry("etc/.wh.removeme"), entry("data/.wh.gone"),
        entry("opq", "dir"), entry("opq/.wh..wh..opq"), entry("opq/new", data=b"new"),
        entry("data/keep/a", data=b"new a"),
    ])
    l4 = make_tar([entry("data/layer4", data=b"plain layer")])
    return [l1, l2, l3, l4]


def make_tar_append(base, entries):
    """base (a tar) followed by entries, as one tar."""
    extra = make_tar(entries)
    # drop base's end-of-archive blocks, keep extra's
    with tarfile.open(fileobj=io.BytesIO(base)) as tf:
        tf.getmembers()
        end = tf.offset
    return base[:end] + extra


@pytest.fixture(scope="session")
def storage(tmp_path_factory):
    """Registry storage holding the test images, pushed once with skopeo."""
    top = tmp_path_factory.mktemp("registry")
    base = rootfs_tar(make_busybox_rootfs(top / "bb"))
    lay = Layout(top / "oci")
    ls = layers(base)
    # one layer per compression kind
    descs = []
    for tar, comp in zip(ls, ["gzip", "zstd", "gzip", None]):
        d = lay.image([tar], compression=comp)
        descs.append(d)
    multi = build_multi(lay, ls)
    lay.tag(multi, "multi")
    lay.tag(build_multi(lay, ls, ("gzip", "gzip", "gzip", None)), "multigz")  # docker-archive
    amd = lay.image([make_tar([entry("arch", data=b"amd64\n")])], arch="amd64")
    arm = lay.image([make_tar([entry("arch", data=b"arm64\n")])], arch="arm64", variant="v8")
    lay.index_of([amd, arm], "index")
    reg = Registry(top / "push", storage=top / "storage").start()
    try:
        skopeo_push(f"oci:{lay.dir}:multi", f"docker://{reg.host}/test/multi:v1")
        skopeo_push(f"oci:{lay.dir}:index", f"docker://{reg.host}/test/index:latest",
                    all_platforms=True)
        # what the registry serves (skopeo may re-encode manifests on the way)
        multi["digest"] = remote_digest(reg, "test/multi:v1")
        index_digest = remote_digest(reg, "test/index:latest")
    finally:
        reg.stop()
    info = {"multi": multi, "index_digest": index_digest}
    return top / "storage", info, lay


def remote_digest(reg, ref):
    from conftest import run
    p = run(["skopeo", "inspect", "--raw", "--tls-verify=false", f"docker://{reg.host}/{ref}"],
            check=True)
    return sha256(p.stdout.encode())


def build_multi(lay, ls, comps=("gzip", "zstd", "gzip", None)):
    """One image with the four layers in gzip, zstd, gzip and plain form."""
    from imagelib import LAYER_MT, compress
    descs, diff_ids = [], []
    for tar, comp in zip(ls, comps):
        blob = compress(tar, comp)
        descs.append({"mediaType": LAYER_MT[comp], "digest": lay.blob(blob), "size": len(blob)})
        diff_ids.append(sha256(tar))
    cfg = json.dumps({"architecture": "amd64", "os": "linux", "created": "2024-01-02T03:04:05Z",
                      "config": {"Cmd": ["sh"], "Env": ["PATH=/bin"], "WorkingDir": "/data"},
                      "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
    m = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                               "digest": lay.blob(cfg), "size": len(cfg)},
                    "layers": descs}).encode()
    return {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": lay.blob(m),
            "size": len(m), "config_digest": sha256(cfg)}


@pytest.fixture
def registry(tmp_path, storage):
    reg = Registry(tmp_path / "reg", storage=storage[0]).start()
    yield reg
    reg.stop()


def assert_store_clean(root):
    """Nothing half-stored: no records, no layers, no temporary files, no blobs."""
    rec = root / "repositories.json"
    if rec.exists():
        assert json.loads(rec.read_text())["images"] == {}
    assert os.listdir(root / "layers") == []
    assert os.listdir(root / "tmp") == []
    assert os.listdir(root / "blobs/sha256") == []


# --- the happy path ----------------------------------------------------------------------------

def test_pull_multi_layer_image(tmp_path, registry, storage):
    root = tmp_path / "root"
    name = f"{registry.host}/test/multi:v1"
    p = hako(root, "pull", name, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "v1: Pulling from test/multi" in p.stdout
    assert p.stdout.count("Pull complete") == 4
    assert f"Status: Downloaded newer image for {name}" in p.stdout
    assert p.stdout.splitlines()[-1] == name
    assert p.stderr == ""
    [img] = json.loads(hako(root, "image", "inspect", name, check=True).stdout)
    assert img["Id"] == storage[1]["multi"]["config_digest"]
    assert img["RepoDigests"] == [f"{registry.host}/test/multi@{storage[1]['multi']['digest']}"]
    assert img["Config"]["WorkingDir"] == "/data"
    assert len(img["RootFS"]["Layers"]) == 4
    # the pull again: nothing downloaded or unpacked
    p = hako(root, "pull", name, check=True)
    assert p.stdout.count("Already exists") == 4
    assert f"Status: Image is up to date for {name}" in p.stdout
    assert hako(root, "pull", "-q", name, check=True).stdout == name + "\n"
    # the same image under another registry name: only manifests are fetched
    paths = []

    def count(path, status, headers, body):
        paths.append(path)
        return status, headers, body, None
    with Server(proxy_handler(registry.host, count)) as proxy:
        hako(root, "pull", "-q", f"{proxy.host}/test/multi:v1", check=True)
    assert [x for x in paths if "/blobs/" in x] == []
    assert any("/manifests/v1" in x for x in paths)


def check_layers(root, img):
    lower = img["GraphDriver"]["Data"]["LowerDir"].split(":")  # top first
    l2, l3 = lower[2], lower[1]
    st = os.lstat(f"{l2}/data/owned")
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (1000, 2000, 0o640)
    assert st.st_mtime == 1_234_567_890
    assert os.lstat(f"{l2}/data/hl").st_ino == st.st_ino  # hard link kept
    assert stat.S_IMODE(os.lstat(f"{l2}/data/suid").st_mode) == 0o4755
    assert os.getxattr(f"{l2}/data/xattr", "user.test") == b"hello"
    for path in ("etc/removeme", "data/gone"):
        wst = os.lstat(f"{l3}/{path}")
        assert stat.S_ISCHR(wst.st_mode) and wst.st_rdev == 0, path
    assert os.getxattr(f"{l3}/opq", "trusted.overlay.opaque") == b"y"
    assert not os.path.lexists(f"{l3}/opq/.wh..wh..opq")


def check_merged(rootfs):
    t = tree(rootfs)
    assert "etc/removeme" not in t and "data/gone" not in t and "data/gone/x" not in t
    assert sorted(k for k in t if k.startswith("opq/")) == ["opq/new"]
    assert t["data/keep/a"][4] == b"new a"
    assert t["data/owned"][:4] == ("file", 0o640, 1000, 2000)
    assert t["data/rel"] == ("symlink", "owned") and t["data/abs"] == ("symlink", "/etc/passwd")
    assert t["data/chr"] == ("char", 1, 3)
    st = os.lstat(rootfs / "data/blk")
    assert stat.S_ISBLK(st.st_mode) and (os.major(st.st_rdev), os.minor(st.st_rdev)) == (7, 0)
    assert stat.S_ISFIFO(os.lstat(rootfs / "data/fifo").st_mode)
    assert t["data/private"] == ("dir", 0o700, 1000, 1000)
    assert t["data/private/secret"] == ("file", 0o600, 1000, 1000, b"s")
    assert t["data/layer4"][4] == b"plain layer"
    assert t["bin/sh"] == ("symlink", "/bin/busybox")
    assert t["bin/busybox"][1] == 0o755
    assert os.getxattr(rootfs / "data/xattr", "user.test") == b"hello"
    assert t["tmp"][1] == 0o1777
    return t


def test_pulled_files_owners_modes_links_whiteouts(tmp_path, registry):
    root = tmp_path / "root"
    name = f"{registry.host}/test/multi:v1"
    hako(root, "pull", "-q", name, check=True, timeout=120)
    [img] = json.loads(hako(root, "image", "inspect", name, check=True).stdout)
    check_layers(root, img)
    p = hako(root, "image", "mount", name, tmp_path / "c1", check=True)
    rootfs = tmp_path / "c1/rootfs"
    assert p.stdout.strip() == str(rootfs)
    try:
        merged = check_merged(rootfs)
        (rootfs / "data/written").write_text("upper")  # goes to the container's upper dir
        assert (tmp_path / "c1/upper/data/written").exists()
        p = hako(root, "image", "mount", name, tmp_path / "c1")
        assert p.returncode == 1 and "already holds" in p.stderr
    finally:
        hako(root, "image", "unmount", tmp_path / "c1", check=True)
    assert not (tmp_path / "c1/rootfs").exists()
    # the copy fallback shows the same tree
    hako(root, "image", "mount", "--driver", "copy", name, tmp_path / "c2", check=True)
    try:
        copied = check_merged(tmp_path / "c2/rootfs")
        for k in merged:
            if merged[k][0] == "dir":
                continue  # overlay reports its own directory metadata for merged dirs
            assert copied.get(k) == merged[k], k
        assert set(copied) == set(merged) - {"data/written"}
        assert os.stat(tmp_path / "c2/rootfs/data/hl").st_ino == \
            os.stat(tmp_path / "c2/rootfs/data/owned").st_ino
    finally:
        hako(root, "image", "unmount", tmp_path / "c2", check=True)


def test_pull_by_digest_and_index_platforms(tmp_path, registry, storage):
    root = tmp_path / "root"
    digest = storage[1]["multi"]["digest"]
    p = hako(root, "pull", f"{registry.host}/test/multi@{digest}", timeout=120)
    assert p.returncode == 0, p.stderr
    out = hako(root, "images", "--format", "json", check=True).stdout.splitlines()
    assert json.loads(out[0])["Tag"] == "<none>"
    # a multi-platform index: the host's platform by default, --platform for another
    name = f"{registry.host}/test/index"
    hako(root, "pull", "-q", name, check=True)
    [img] = json.loads(hako(root, "image", "inspect", name, check=True).stdout)
    assert img["Architecture"] == "amd64"
    top = img["GraphDriver"]["Data"]["LowerDir"].split(":")[0]
    assert open(f"{top}/arch").read() == "amd64\n"
    index_digest = img["RepoDigests"][0].split("@")[1]
    assert index_digest == storage[1]["index_digest"]
    hako(root, "pull", "-q", "--platform", "linux/arm64", name, check=True)
    [img] = json.loads(hako(root, "image", "inspect", name, check=True).stdout)
    assert img["Architecture"] == "arm64" and img["Variant"] == "v8"
    top = img["GraphDriver"]["Data"]["LowerDir"].split(":")[0]
    assert open(f"{top}/arch").read() == "arm64\n"
    p = hako(root, "pull", "--platform", "linux/s390x", name)
    assert p.returncode == 1
    assert "no image for platform linux/s390x" in p.stderr and "linux/arm64/v8" in p.stderr
    p = hako(root, "pull", "--platform", "linux", name)
    assert p.returncode == 1 and "invalid platform" in p.stderr


# --- failures: clear errors, nothing half-stored ----------------------------------------------

def test_unknown_image_and_tag(tmp_path, registry):
    root = tmp_path / "root"
    p = hako(root, "pull", f"{registry.host}/test/nothere:v1")
    assert p.returncode == 1
    assert f"registry {registry.host}: repository test/nothere: manifest v1: HTTP 404" in p.stderr
    p = hako(root, "pull", f"{registry.host}/test/multi:nope")
    assert p.returncode == 1 and "HTTP 404" in p.stderr and "MANIFEST_UNKNOWN" in p.stderr
    assert_store_clean(root)


def test_registry_down(tmp_path):
    from imagelib import free_port
    root = tmp_path / "root"
    host = f"127.0.0.1:{free_port()}"
    p = hako(root, "pull", f"{host}/x/y")
    assert p.returncode == 1
    assert f"registry {host}: repository x/y: cannot connect" in p.stderr
    assert p.stdout.strip() in ("", "Using default tag: latest")
    assert_store_clean(root)


def test_remote_registry_needs_tls(tmp_path):
    # without --tls-verify=false only local registries may use plain HTTP: "localhost.invalid"
    # fails to resolve, which shows that no HTTP attempt was made either way
    p = hako(tmp_path, "pull", "registry.invalid/x/y")
    assert p.returncode == 1 and "cannot connect" in p.stderr and "http:" not in p.stderr


def test_blob_digest_mismatch(tmp_path, storage):
    store = tmp_path / "storage"
    shutil.copytree(storage[0], store)
    # corrupt the data of the third layer blob (the registry serves it as is)
    d = storage[1]["multi"]["digest"]
    manifest = json.loads((store / "docker/registry/v2/blobs/sha256" / d[7:9] / d[7:] / "data")
                          .read_bytes())
    bad = manifest["layers"][2]["digest"]
    data = store / "docker/registry/v2/blobs/sha256" / bad[7:9] / bad[7:] / "data"
    raw = bytearray(data.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    data.write_bytes(bytes(raw))
    reg = Registry(tmp_path / "reg", storage=store).start()
    try:
        root = tmp_path / "root"
        p = hako(root, "pull", f"{reg.host}/test/multi:v1", timeout=120)
    finally:
        reg.stop()
    assert p.returncode == 1
    assert f"blob {bad}: digest mismatch: expected {bad}, got sha256:" in p.stderr
    assert f"registry {reg.host}: repository test/multi" in p.stderr
    assert_store_clean(root)


def test_truncated_download(tmp_path, registry):
    def cut(path, status, headers, body):
        if "/blobs/" in path and len(body) > 10000:
            return status, headers, body, len(body) // 2
        return status, headers, body, None
    with Server(proxy_handler(registry.host, cut)) as proxy:
        root = tmp_path / "root"
        p = hako(root, "pull", f"{proxy.host}/test/multi:v1", timeout=120)
    assert p.returncode == 1
    assert "blob sha256:" in p.stderr and "bytes remaining" in p.stderr
    assert "after 4 attempts" in p.stderr
    assert_store_clean(root)


def test_transient_failures_are_retried(tmp_path, registry):
    """As docker: a blob answered with 503, then cut short, then served whole is pulled; the
    pull only fails when every attempt fails (test_truncated_download)."""
    seen = {}

    def flaky(path, status, headers, body):
        if "/blobs/" not in path:
            return status, headers, body, None
        n = seen[path] = seen.get(path, 0) + 1
        if n == 1:
            return 503, {"Content-Type": "text/plain"}, b"busy", None
        if n == 2 and len(body) > 100:
            return status, headers, body, len(body) // 2
        return status, headers, body, None
    with Server(proxy_handler(registry.host, flaky)) as proxy:
        root = tmp_path / "root"
        p = hako(root, "pull", "-q", f"{proxy.host}/test/multi:v1", timeout=120)
    assert p.returncode == 0, p.stderr
    assert seen and all(n >= 2 for n in seen.values()), seen
    assert any(n == 3 for n in seen.values()), seen
    images = hako(root, "images", "--format", "json", check=True).stdout
    assert "test/multi" in images


def test_manifest_not_json(tmp_path):
    class Fake(QuietHandler):
        def do_GET(self):
            if self.path == "/v2/":
                return self.send(200, b"{}")
            self.send(200, b"<html>surprise</html>", {
                "Content-Type": "application/vnd.oci.image.manifest.v1+json"})
    with Server(Fake) as fake:
        root = tmp_path / "root"
        p = hako(root, "pull", f"{fake.host}/x/y:t")
    assert p.returncode == 1
    assert f"registry {fake.host}: repository x/y: manifest t: manifest is not JSON" in p.stderr
    assert_store_clean(root)


def test_manifest_digest_header_mismatch(tmp_path, registry):
    def lie(path, status, headers, body):
        if "/manifests/" in path:
            headers["Docker-Content-Digest"] = "sha256:" + "0" * 64
        return status, headers, body, None
    with Server(proxy_handler(registry.host, lie)) as proxy:
        root = tmp_path / "root"
        p = hako(root, "pull", f"{proxy.host}/test/multi:v1")
    assert p.returncode == 1 and "digest mismatch" in p.stderr
    assert_store_clean(root)


def test_bad_reference(tmp_path):
    p = hako(tmp_path, "pull", "Bad/Name")
    assert p.returncode == 1 and "must be lowercase" in p.stderr
    p = hako(tmp_path, "pull")
    assert p.returncode == 125


# --- concurrency, interruption, terminal progress ---------------------------------------------

def test_concurrent_pulls_share_the_store(tmp_path, registry):
    import subprocess
    from conftest import HAKO
    root = tmp_path / "root"
    name = f"{registry.host}/test/multi:v1"
    procs = [subprocess.Popen([HAKO, "--root", root, "pull", "-q", name], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outs
    assert len(os.listdir(root / "layers")) == 4
    assert all((root / "layers" / d / "complete").exists() for d in os.listdir(root / "layers"))
    assert os.listdir(root / "tmp") == []
    assert len(hako(root, "images", "-q", check=True).stdout.split()) == 1


def test_killed_pull_leaves_nothing_complete(tmp_path, registry):
    import signal
    import subprocess
    import threading
    import time
    from conftest import HAKO
    started, release = threading.Event(), threading.Event()

    def stall(path, status, headers, body):
        if "/blobs/" in path and len(body) > 100000:
            started.set()
            release.wait(30)  # hold the download open until the test says so
        return status, headers, body, None
    root = tmp_path / "root"
    with Server(proxy_handler(registry.host, stall)) as proxy:
        name = f"{proxy.host}/test/multi:v1"
        p = subprocess.Popen([HAKO, "--root", root, "pull", "-q", name],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            assert started.wait(30)  # a layer is mid-download (held by the proxy)
            p.send_signal(signal.SIGKILL)  # our own child, by PID
            p.wait(10)
        finally:
            release.set()
            if p.poll() is None:
                p.kill()
                p.wait()
        assert os.listdir(root / "layers") == []
        assert os.listdir(root / "tmp") == []  # partial blobs are unnamed temporary files
        assert hako(root, "images", "-q", check=True).stdout == ""
        # the next pull completes and collects nothing it needs
        p = hako(root, "pull", "-q", name, timeout=120)
        assert p.returncode == 0, p.stderr
    assert len(os.listdir(root / "layers")) == 4


def test_progress_on_a_terminal(tmp_path, registry):
    from conftest import HAKO, run
    root = tmp_path / "root"
    name = f"{registry.host}/test/multi:v1"
    p = run(["script", "-qec", f"{HAKO} --root {root} pull {name}", "/dev/null"], timeout=120)
    assert p.returncode == 0, p.stdout
    assert "\x1b[" in p.stdout  # lines redrawn in place
    assert p.stdout.count("Pull complete") >= 4
    assert "Status: Downloaded newer image" in p.stdout
