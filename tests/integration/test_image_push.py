"""hako push to a real registry (Debian's docker-registry on 127.0.0.1), then pulled back with
skopeo and with hako into a fresh --root and run: busybox (plain-tar layers), a 4-layer image
pulled from another registry (gzip, zstd and plain layers, pushed byte for byte), a big layer
(chunked upload), a second push (every layer skipped), a push to another repository of the same
registry (layers mounted), and pushes to registries that want Basic or Bearer credentials."""
import hashlib
import json
import os
import subprocess

import pytest

from conftest import make_busybox_rootfs, run
from imagelib import Registry, Server, hako
from test_image_auth import PASS, USER, TokenIssuer, token_handler
from test_image_pull import storage  # noqa: F401  (the session's pushed test images)


def skopeo_inspect(ref, *extra):
    p = run(["skopeo", "inspect", "--tls-verify=false", *extra, f"docker://{ref}"], check=True,
            timeout=120)
    return json.loads(p.stdout)


def layer_lines(out):
    """{short id: state} from push's plain (non-tty) output."""
    states = {}
    for line in out.splitlines():
        if ": " in line and len(line.split(": ")[0]) == 12:
            k, v = line.split(": ", 1)
            states[k] = v
    return states


@pytest.fixture
def registry(tmp_path):
    reg = Registry(tmp_path / "reg").start()
    yield reg
    reg.stop()


@pytest.fixture
def busybox_root(tmp_path):
    root = tmp_path / "root"
    hako(root, "image", "build-busybox", check=True)
    return root


def run_in_fresh_root(tmp_path, name, *cmd):
    root, runroot = tmp_path / "fresh", tmp_path / "fresh-run"
    p = hako(root, "pull", "-q", name, timeout=120)
    assert p.returncode == 0, p.stderr
    p = run([*hako_base(root), "--runroot", runroot, "run", "--rm", name, *cmd], timeout=60)
    return root, p


def hako_base(root):
    from conftest import HAKO
    return [HAKO, "--root", root]


def test_push_pull_back_run_and_push_again(tmp_path, registry, busybox_root):
    root, name = busybox_root, f"{registry.host}/test/bb:1"
    hako(root, "tag", "busybox", name, check=True)
    p = hako(root, "push", name, timeout=120)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] == f"The push refers to repository [{registry.host}/test/bb]"
    states = layer_lines(p.stdout)
    assert states and set(states.values()) == {"Pushed"}, p.stdout
    digest = lines[-1].split("digest: ")[1].split()[0]
    assert lines[-1].startswith("1: digest: sha256:") and " size: " in lines[-1]
    # the registry has it under that digest: skopeo sees the same image
    info = skopeo_inspect(name)
    assert info["Digest"] == digest and len(info["Layers"]) == len(states)
    oci = tmp_path / "oci"
    run(["skopeo", "copy", "-q", "--src-tls-verify=false", f"docker://{name}", f"oci:{oci}:x"],
        check=True, timeout=120)
    idx = json.loads((oci / "index.json").read_text())
    m = json.loads((oci / "blobs/sha256" / idx["manifests"][0]["digest"][7:]).read_text())
    local_id = json.loads(hako(root, "image", "inspect", name, check=True).stdout)[0]["Id"]
    assert m["config"]["digest"] == local_id  # skopeo got the same image (it re-encodes
    # the manifest for an OCI layout, so compare the config)
    # hako pulls it into a fresh root and runs it
    fresh, p = run_in_fresh_root(tmp_path, name, "sh", "-c", "echo pushed-ok")
    assert p.returncode == 0 and p.stdout == "pushed-ok\n", p.stderr
    local = json.loads(hako(root, "image", "inspect", name, check=True).stdout)[0]
    pulled = json.loads(hako(fresh, "image", "inspect", name, check=True).stdout)[0]
    assert local["Id"] == pulled["Id"]
    assert f"{registry.host}/test/bb@{digest}" in local["RepoDigests"]
    # a second push skips every layer and gives the same digest
    p = hako(root, "push", name, timeout=120)
    assert p.returncode == 0, p.stderr
    assert set(layer_lines(p.stdout).values()) == {"Layer already exists"}, p.stdout
    assert p.stdout.splitlines()[-1].split("digest: ")[1].split()[0] == digest
    # -q prints only the digest
    p = hako(root, "push", "-q", name, timeout=120)
    assert p.returncode == 0 and p.stdout == digest + "\n", p.stdout


def test_push_pulled_image_byte_for_byte_and_mount(tmp_path, registry, storage):  # noqa: F811
    """A pulled 4-layer image (gzip, zstd, plain) is pushed as stored: same manifest digest as
    its source; pushing it to another repository of the same registry mounts every layer."""
    src = Registry(tmp_path / "src", storage=storage[0]).start()
    try:
        root = tmp_path / "root"
        hako(root, "pull", "-q", f"{src.host}/test/multi:v1", check=True, timeout=120)
    finally:
        src.stop()
    a, b = f"{registry.host}/team/multi:v1", f"{registry.host}/other/multi:v2"
    hako(root, "tag", f"{src.host}/test/multi:v1", a, check=True)
    hako(root, "tag", a, b, check=True)
    p = hako(root, "push", a, timeout=120)
    assert p.returncode == 0, p.stderr
    assert list(layer_lines(p.stdout).values()) == ["Pushed"] * 4, p.stdout
    digest = p.stdout.splitlines()[-1].split("digest: ")[1].split()[0]
    assert digest == storage[1]["multi"]["digest"]  # the manifest's bytes did not change
    p = hako(root, "push", b, timeout=120)
    assert p.returncode == 0, p.stderr
    assert list(layer_lines(p.stdout).values()) == ["Mounted from team/multi"] * 4, p.stdout
    info = skopeo_inspect(b)
    assert info["Digest"] == digest and len(info["Layers"]) == 4
    fresh = tmp_path / "fresh"
    p = hako(fresh, "pull", "-q", b, timeout=120)
    assert p.returncode == 0, p.stderr
    [img] = json.loads(hako(fresh, "image", "inspect", b, check=True).stdout)
    assert img["Id"] == storage[1]["multi"]["config_digest"]


class LoggingRegistry(Registry):
    """A registry that keeps its access log (registry.log), to see the requests made."""

    def config(self):
        return super().config().replace("disabled: true", "disabled: false")

    def requests(self):
        return [line.split('"')[1] for line in (self.dir / "registry.log").read_text().splitlines()
                if '"' in line and " /v2/" in line.split('"')[1]]


def test_push_big_layer_in_chunks(tmp_path):
    """An imported layer of 20 MiB (stored as plain tar) is over the 16 MiB chunk size: it goes
    up in two PATCHes and a PUT; the blob has the right digest and the image runs when
    pulled."""
    registry = LoggingRegistry(tmp_path / "reg").start()
    try:
        big_layer_in_chunks(tmp_path, registry)
    finally:
        registry.stop()


def big_layer_in_chunks(tmp_path, registry):
    rootfs = make_busybox_rootfs(tmp_path / "rootfs")
    (rootfs / "big").write_bytes(os.urandom(20 << 20))
    big_sum = hashlib.sha256((rootfs / "big").read_bytes()).hexdigest()
    tar = tmp_path / "rootfs.tar"
    subprocess.run(["tar", "-C", rootfs, "-cf", tar, "."], check=True)
    root, name = tmp_path / "root", f"{registry.host}/test/big:1"
    hako(root, "import", tar, name, check=True)
    p = hako(root, "push", name, timeout=120)
    assert p.returncode == 0, p.stderr
    assert list(layer_lines(p.stdout).values()) == ["Pushed"], p.stdout
    methods = [r.split()[0] for r in registry.requests() if "/blobs/uploads/" in r]
    assert methods == ["POST", "PATCH", "PATCH", "PUT",  # the layer, in 16 MiB chunks
                       "POST", "PUT"], registry.requests()  # the config, at once
    os.unlink(tar)
    fresh, p = run_in_fresh_root(tmp_path, name, "sha256sum", "/big")
    assert p.returncode == 0 and p.stdout.split()[0] == big_sum, p.stderr


def test_push_errors(tmp_path, registry, busybox_root):
    p = hako(busybox_root, "push", f"{registry.host}/nope/none:1")
    assert p.returncode == 1
    assert f"An image does not exist locally with the tag: {registry.host}/nope/none:1" \
        in p.stderr, p.stderr
    p = hako(busybox_root, "push", f"{registry.host}/x@sha256:" + "0" * 64)
    assert p.returncode == 1 and "give a tag, not a digest" in p.stderr
    p = hako(busybox_root, "push")
    assert p.returncode == 125 and "requires exactly 1 argument" in p.stderr
    # a registry that is down: the error names it
    hako(busybox_root, "tag", "busybox", "127.0.0.1:1/a/b:c", check=True)
    p = hako(busybox_root, "push", "127.0.0.1:1/a/b:c")
    assert p.returncode == 1 and "registry 127.0.0.1:1" in p.stderr, p.stderr


def test_push_with_basic_auth(tmp_path, busybox_root):
    pw = tmp_path / "htpasswd"
    run(["htpasswd", "-Bbc", pw, USER, PASS], check=True)
    reg = Registry(tmp_path / "reg", auth=("htpasswd", pw)).start()
    try:
        root, authfile = busybox_root, tmp_path / "auth.json"
        name = f"{reg.host}/private/bb:1"
        hako(root, "tag", "busybox", name, check=True)
        p = hako(root, "push", "--authfile", authfile, name)
        assert p.returncode == 1
        assert f"authentication required: run 'hako login {reg.host}'" in p.stderr, p.stderr
        hako(root, "login", "--authfile", authfile, "-u", USER, "-p", PASS, reg.host, check=True)
        p = hako(root, "push", "--authfile", authfile, name, timeout=120)
        assert p.returncode == 0, p.stderr
        assert set(layer_lines(p.stdout).values()) == {"Pushed"}
        info = skopeo_inspect(name, "--creds", f"{USER}:{PASS}")
        assert info["Digest"] in p.stdout
    finally:
        reg.stop()


def test_push_with_token_auth_asks_push_scope(tmp_path, busybox_root):
    issuer = TokenIssuer(tmp_path)
    seen = []
    with Server(token_handler(issuer, True, seen)) as ts:
        conf = dict(realm=f"http://{ts.host}/token", service="hako-test-registry",
                    issuer="hako-test-issuer", rootcert=issuer.rootcert)
        reg = Registry(tmp_path / "reg", auth=("token", conf)).start()
        try:
            root, authfile = busybox_root, tmp_path / "auth.json"
            name = f"{reg.host}/tok/bb:1"
            hako(root, "tag", "busybox", name, check=True)
            hako(root, "login", "--authfile", authfile, "-u", USER, "-p", PASS, reg.host,
                 check=True)
            p = hako(root, "push", "--authfile", authfile, name, timeout=120)
            assert p.returncode == 0, p.stderr
            assert any("scope=repository%3Atok%2Fbb%3Apull%2Cpush" in path for path, _ in seen)
            fresh = tmp_path / "fresh"
            p = hako(fresh, "pull", "-q", "--authfile", authfile, name, timeout=120)
            assert p.returncode == 0, p.stderr
        finally:
            reg.stop()
