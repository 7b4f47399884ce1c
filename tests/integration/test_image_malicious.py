"""Malicious layers pulled from a real registry: every way a tar entry could reach outside its
layer directory is refused with an error naming the layer digest and the entry, the partial
layer is removed, and nothing outside is touched."""
import json
import os

import pytest

from imagelib import Layout, Registry, entry, hako, make_tar, skopeo_push

UP = "../" * 24


def attacks(canary):
    c = str(canary).lstrip("/")
    return {
        "dotdot": ([entry(UP + c + "/pwned", data=b"x")], "'..' in path"),
        "absolute": ([entry("/" + c + "/pwned", data=b"x")], "absolute path"),
        "write-through-symlink": ([entry("link", "symlink", target="/" + c),
                                   entry("link/pwned", data=b"x")], "passes through a symlink"),
        "write-through-inner-symlink": ([entry("sub", "dir"), entry("d", "symlink", target="sub"),
                                         entry("d/file", data=b"x")], "passes through a symlink"),
        "hardlink-dotdot": ([entry("hl", "hardlink", target=UP + c + "/victim")], "'..' in path"),
        "hardlink-absolute": ([entry("hl", "hardlink", target="/" + c + "/victim")],
                              "absolute path"),
        "hardlink-through-symlink": ([entry("link", "symlink", target="/" + c),
                                      entry("hl", "hardlink", target="link/victim")],
                                     "is not in the layer"),
        "whiteout-dotdot": ([entry(UP + c + "/.wh.victim")], "'..' in path"),
        "whiteout-through-symlink": ([entry("link", "symlink", target="/" + c),
                                      entry("link/.wh.victim")], "passes through a symlink"),
        "opaque-through-symlink": ([entry("link", "symlink", target="/" + c),
                                    entry("link/.wh..wh..opq")], "passes through a symlink"),
        "whiteout-dot": ([entry("a", "dir"), entry("a/.wh..")], "names no entry"),
        "dir-over-symlink": ([entry("link", "symlink", target="/" + c),
                              entry("link/sub", "dir")], "passes through a symlink"),
        # a link that climbs above the layer is kept as data (see test_tolerated_entries), but
        # nothing is ever written, linked or whited out through it
        "write-through-climbing-symlink": ([entry("up", "symlink", target=UP + c),
                                            entry("up/pwned", data=b"x")],
                                           "passes through a symlink"),
        "write-through-nested-climbing-symlink": ([entry("a/b", "dir"),
                                                   entry("a/b/up", "symlink",
                                                         target="../../" + UP + c),
                                                   entry("a/b/up/x/pwned", data=b"x")],
                                                  "passes through a symlink"),
        "hardlink-through-climbing-symlink": ([entry("up", "symlink", target=UP + c),
                                               entry("hl", "hardlink", target="up/victim")],
                                              "is not in the layer"),
        "whiteout-through-climbing-symlink": ([entry("up", "symlink", target=UP + c),
                                               entry("up/.wh.victim")],
                                              "passes through a symlink"),
        "dir-through-climbing-symlink": ([entry("up", "symlink", target=UP + c),
                                          entry("up/sub", "dir")], "passes through a symlink"),
    }


@pytest.fixture(scope="session")
def evil(tmp_path_factory):
    top = tmp_path_factory.mktemp("evil")
    canary = top / "canary"
    canary.mkdir()
    (canary / "victim").write_text("precious")
    lay = Layout(top / "oci")
    kinds = attacks(canary)
    # a harmless first layer, then the attack, so a failure comes after a layer succeeded
    base = make_tar([entry("etc", "dir"), entry("etc/ok", data=b"ok")])
    for name, (entries, _) in kinds.items():
        lay.tag(lay.image([base, make_tar(entries)]), name)
    lay.tag(lay.image([make_tar([
        entry("s", "symlink", target="/" + str(canary / "victim").lstrip("/")),
        entry("h", "hardlink", target="s"),
        entry("up", "symlink", target=UP + str(canary).lstrip("/")),
        entry("x", data=b"x", xattrs={"trusted.overlay.redirect": "/etc", "user.ok": "1"}),
    ])]), "tolerated")
    reg = Registry(top / "push", storage=top / "storage").start()
    try:
        for name in list(kinds) + ["tolerated"]:
            skopeo_push(f"oci:{lay.dir}:{name}", f"docker://{reg.host}/evil/{name}:latest")
    finally:
        reg.stop()
    return top / "storage", canary, kinds


@pytest.fixture
def registry(tmp_path, evil):
    reg = Registry(tmp_path / "reg", storage=evil[0]).start()
    yield reg
    reg.stop()


def snapshot(d):
    return {p: open(os.path.join(d, p), "rb").read() for p in os.listdir(d)}


@pytest.mark.parametrize("kind", sorted(attacks("/x")))
def test_malicious_layer_refused(tmp_path, registry, evil, kind):
    _, canary, kinds = evil
    before = snapshot(canary)
    root = tmp_path / "root"
    p = hako(root, "pull", f"{registry.host}/evil/{kind}")
    assert p.returncode == 1, p.stdout
    assert "layer sha256:" in p.stderr and "entry '" in p.stderr, p.stderr
    assert kinds[kind][1] in p.stderr, p.stderr
    assert snapshot(canary) == before  # the host is untouched
    assert os.listdir(root / "layers") == []  # no layer of the failed image looks complete
    assert os.listdir(root / "tmp") == []  # the partial layer is gone
    assert json.loads((root / "repositories.json").read_text())["images"] == {} \
        if (root / "repositories.json").exists() else True


def test_tolerated_entries(tmp_path, registry, evil):
    """A hard link to a symlink links the symlink itself; a relative symlink that climbs above
    the layer is kept as written (docker does; in a container ".." stops at its root); overlay
    xattrs from a layer are dropped."""
    _, canary, _ = evil
    root = tmp_path / "root"
    hako(root, "pull", "-q", f"{registry.host}/evil/tolerated", check=True)
    [layer] = (root / "layers").iterdir()
    diff = layer / "diff"
    assert os.readlink(diff / "h") == str(canary / "victim")
    assert os.lstat(diff / "h").st_ino == os.lstat(diff / "s").st_ino
    assert os.readlink(diff / "up") == UP + str(canary).lstrip("/")
    assert os.getxattr(diff / "x", "user.ok") == b"1"
    with pytest.raises(OSError):
        os.getxattr(diff / "x", "trusted.overlay.redirect")
    assert (canary / "victim").read_text() == "precious"
