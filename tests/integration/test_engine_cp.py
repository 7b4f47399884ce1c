"""hako export, diff and cp against real containers (overlay root filesystems), in the shapes
docker gives, and cp across symlinks that point out of the container's root filesystem: they
resolve inside it, the host files they name stay untouched."""
import io
import os
import subprocess
import tarfile

import pytest

from test_engine_basic import wait_for


def make_changes(engine, name="c1"):
    engine.ok("run", "--name", name, "busybox", "sh", "-c",
              "echo new > /newfile; rm /bin/ls; mkdir -p /etc/sub /a; echo b > /a/b; "
              "echo 'x:x:1:1::/:/bin/sh' >> /etc/passwd")
    return name


def test_diff(engine):
    name = make_changes(engine)
    p = engine.ok("diff", name)
    assert p.stdout.splitlines() == [
        "A /a", "A /a/b", "C /bin", "D /bin/ls", "C /etc", "C /etc/passwd", "A /etc/sub",
        "A /newfile"]
    # a fresh container has no changes (the engine's /etc/hosts etc. are not the user's)
    engine.ok("create", "--name", "fresh", "busybox", "true")
    assert engine.ok("diff", "fresh").stdout == ""
    p = engine("diff", "nope")
    assert p.returncode == 1 and "No such container: nope" in p.stderr


def members(data):
    with tarfile.open(fileobj=io.BytesIO(data)) as tf:
        return {m.name.rstrip("/"): (m, tf.extractfile(m).read() if m.isfile() else None)
                for m in tf.getmembers()}


def test_export(engine, tmp_path):
    name = make_changes(engine)
    out = tmp_path / "c1.tar"
    engine.ok("export", "-o", out, name)
    m = members(out.read_bytes())
    assert m["newfile"][1] == b"new\n" and m["a/b"][1] == b"b\n"
    assert "bin/ls" not in m and "bin" in m and m["bin"][0].isdir()
    assert m["bin/sh"][0].issym() and m["bin/sh"][0].linkname == "/bin/busybox"
    assert b"x:x:1:1" in m["etc/passwd"][1]
    assert not any(k.startswith(("/", "./")) for k in m)  # docker's names: "bin/sh"
    # to stdout, of a running container, the same tree plus what it does meanwhile
    engine.ok("run", "-d", "--name", "live", "busybox", "sh", "-c",
              "echo running > /state; sleep 30")
    wait_for(lambda: "/state" in engine.ok("diff", "live").stdout, what="/state written")
    p = subprocess.run(engine.argv("export", "live"), capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert members(p.stdout)["state"][1] == b"running\n"
    p = engine("export", "-o", tmp_path / "x.tar", "nope")
    assert p.returncode == 1 and "No such container: nope" in p.stderr
    assert not list(tmp_path.glob("x.tar*"))  # no partial output


def test_cp_both_ways(engine, tmp_path):
    engine.ok("run", "-d", "--name", "ct", "busybox", "sleep", "60")
    host = tmp_path / "host"
    host.mkdir()
    # out: a file to a new name, a directory into an existing directory
    engine.ok("cp", "ct:/etc/passwd", host / "passwd.copy")
    assert (host / "passwd.copy").read_text().startswith("root:")
    engine.ok("cp", "ct:/etc", host)
    assert (host / "etc/group").exists() and (host / "etc/passwd").is_file()
    # in: a file into a directory, a tree to a new name; the running container sees them
    (host / "hello.txt").write_text("hello\n")
    (host / "tree/sub").mkdir(parents=True)
    (host / "tree/sub/f").write_text("f\n")
    os.symlink("sub/f", host / "tree/link")
    engine.ok("cp", host / "hello.txt", "ct:/tmp/")
    engine.ok("cp", host / "tree", "ct:/copied")
    p = engine.ok("exec", "ct", "sh", "-c", "cat /tmp/hello.txt /copied/sub/f; readlink /copied/link")
    assert p.stdout == "hello\nf\nsub/f\n"
    # '-': a tar out on stdout and in on stdin
    p = subprocess.run(engine.argv("cp", "ct:/copied", "-"), capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr
    m = members(p.stdout)
    assert m["copied/sub/f"][1] == b"f\n" and m["copied/link"][0].issym()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        ti = tarfile.TarInfo("from-tar.txt")
        ti.size = 4
        tf.addfile(ti, io.BytesIO(b"tar\n"))
    p = engine("cp", "-", "ct:/tmp", input=buf.getvalue().decode())
    assert p.returncode == 0, p.stderr
    assert engine.ok("exec", "ct", "cat", "/tmp/from-tar.txt").stdout == "tar\n"
    # a stopped container too
    engine.ok("stop", "-t", "1", "ct")
    engine.ok("cp", "ct:/tmp/hello.txt", host / "back.txt")
    assert (host / "back.txt").read_text() == "hello\n"
    # errors
    p = engine("cp", "ct:/no/such", host)
    assert p.returncode == 1 and "Could not find the file /no/such" in p.stderr
    p = engine("cp", host / "a", host / "b")
    assert p.returncode == 125 and "must specify at least one container" in p.stderr
    p = engine("cp", "-", "ct:/tmp/hello.txt", input="")
    assert p.returncode == 1 and "must be a directory" in p.stderr


@pytest.fixture
def canary(tmp_path):
    c = tmp_path / "canary"
    c.mkdir()
    (c / "victim").write_text("precious\n")
    return c


def snapshot(d):
    return sorted((p.name, p.read_bytes() if p.is_file() else None) for p in d.iterdir())


def test_cp_through_symlinks_out_of_the_rootfs(engine, tmp_path, canary):
    """The container plants links to the host's canary directory (absolute, and relative
    climbing above its root); every cp through them stays inside the container's rootfs."""
    before = snapshot(canary)
    c = str(canary)
    up = "../" * 20 + c.lstrip("/")
    engine.ok("run", "-d", "--name", "ct", "busybox", "sh", "-c",
              f"mkdir -p {c} && echo inside > {c}/victim && ln -s {c} /abs && "
              f"ln -s {up} /up && ln -s {c}/victim /filelink && sleep 60")
    wait_for(lambda: "A /filelink" in engine.ok("diff", "ct").stdout, what="links made")
    host = tmp_path / "host"
    host.mkdir()
    (host / "x").write_text("from host\n")
    # into a directory through the links: lands in the container's copy of that path
    engine.ok("cp", host / "x", "ct:/abs/")
    engine.ok("cp", host / "x", "ct:/up/x2")
    p = engine("cp", "-", "ct:/abs", input=tar_of("t.txt", b"tar\n"))
    assert p.returncode == 0, p.stderr
    p = engine.ok("exec", "ct", "sh", "-c", f"cat {c}/x {c}/x2 {c}/t.txt")
    assert p.stdout == "from host\nfrom host\ntar\n"
    # onto a link to a file: the link is replaced in the container, not written through
    engine.ok("cp", host / "x", "ct:/filelink")
    assert engine.ok("exec", "ct", "sh", "-c",
                     "test -L /filelink || cat /filelink").stdout == "from host\n"
    # out through the links: the container's files, never the host's
    engine.ok("cp", "ct:/abs/victim", host / "got")
    engine.ok("cp", "ct:/up/victim", host / "got-up")
    assert (host / "got").read_text() == "inside\n" == (host / "got-up").read_text()
    # a link itself is copied as a link
    engine.ok("cp", "ct:/up", host / "up-link")
    assert os.readlink(host / "up-link") == up
    p = subprocess.run(engine.argv("cp", "ct:/abs", "-"), capture_output=True, timeout=60)
    m = members(p.stdout)
    assert m["abs"][0].issym() and len(m) == 1
    assert snapshot(canary) == before  # the host's files are untouched


def tar_of(name, data):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        ti = tarfile.TarInfo(name)
        ti.size = len(data)
        tf.addfile(ti, io.BytesIO(data))
    return buf.getvalue().decode()
