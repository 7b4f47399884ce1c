"""hako commit, import --change and history: a container's changes become an image layer
(whiteouts for deletions, reproducible tar), the config takes docker's --change instructions,
and history shows docker's columns."""
import gzip
import io
import json
import subprocess
import tarfile

from conftest import run


def layer_blobs(e, ref):
    """The image's layers as (media type, blob bytes), bottom first."""
    recs = json.loads((e.root / "repositories.json").read_text())
    img = e.ok("image", "inspect", ref).stdout
    iid = json.loads(img)[0]["Id"]
    man = json.loads((e.root / "blobs/sha256" / recs["images"][iid]["manifest"][7:]).read_bytes())
    return [(l["mediaType"], (e.root / "blobs/sha256" / l["digest"][7:]).read_bytes())
            for l in man["layers"]], iid


def members(blob):
    if blob[:2] == b"\x1f\x8b":
        blob = gzip.decompress(blob)
    elif blob[:4] == b"\x28\xb5\x2f\xfd":
        blob = subprocess.run(["zstd", "-dc"], input=blob, capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(blob)) as t:
        return [(m.name, m.type, m.mtime, m.uname, m.mode) for m in t.getmembers()]


def test_commit_changes_whiteouts_and_config(engine):
    e = engine
    e.ok("run", "--name", "c1", "busybox", "sh", "-c",
         "echo hi > /f; rm /bin/ls; mkdir -p /d/e; touch /d/e/x; rm -rf /sbin; mkdir /sbin;"
         " touch /sbin/new; mkfifo /fifo; ln /f /hard; ln -s /f /link")
    out = e.ok("commit", "-a", "Jane <j@example.com>", "-m", "my change",
               "-c", 'CMD ["cat", "/f"]', "-c", "ENV A=1 B=$A", "-c", "WORKDIR /d",
               "-c", "EXPOSE 80 53/udp", "-c", "LABEL k=v", "-c", "USER 1:1",
               "-c", "VOLUME /data", "-c", "STOPSIGNAL SIGINT", "-c", "ONBUILD RUN true",
               "c1", "mine:1").stdout.strip()
    assert out.startswith("sha256:")
    assert e.ok("run", "--rm", "-u", "0", "mine:1").stdout == "hi\n"
    got = e.ok("run", "--rm", "-u", "0", "mine:1", "sh", "-c",
               "echo $A $B; pwd; ls /bin/ls; ls /sbin; test -p /fifo && echo fifo;"
               " readlink /link; cat /hard").stdout
    assert got == "1 1\n/d\nnew\nfifo\n/f\nhi\n"
    cfg = json.loads(e.ok("image", "inspect", "mine:1").stdout)[0]["Config"]
    assert cfg["Cmd"] == ["cat", "/f"] and cfg["WorkingDir"] == "/d" and cfg["User"] == "1:1"
    assert "A=1" in cfg["Env"] and "B=1" in cfg["Env"]
    assert set(cfg["ExposedPorts"]) == {"80/tcp", "53/udp"}
    assert cfg["Labels"] == {"k": "v"} and set(cfg["Volumes"]) == {"/data"}
    assert cfg["StopSignal"] == "SIGINT" and cfg["OnBuild"] == ["RUN true"]
    layers, iid = layer_blobs(e, "mine:1")
    assert len(layers) == 2 and layers[1][0].endswith("tar+gzip")
    ms = members(layers[1][1])
    names = [m[0] for m in ms]
    assert "bin/.wh.ls" in names and "sbin/.wh..wh..opq" in names
    assert names.index("sbin") < names.index("sbin/.wh..wh..opq") < names.index("sbin/new")
    # the container's mount points for /etc/hosts etc. are not part of its changes
    assert not any(n.startswith("etc/host") or n == "etc/resolv.conf" for n in names)
    assert {m[2] for m in ms} == {0} and {m[3] for m in ms} == {""}
    hard = [m for m in ms if m[0] in ("f", "hard")]
    assert sorted(m[1] for m in hard) == [tarfile.REGTYPE, tarfile.LNKTYPE]
    hist = e.ok("history", "--no-trunc", "--format", "{{.ID}}|{{.CreatedBy}}|{{.Comment}}",
                "mine:1").stdout.splitlines()
    assert hist[0].startswith(iid + "|sh -c echo hi > /f;") and hist[0].endswith("|my change")
    assert hist[1].startswith("<missing>|")
    assert json.loads(e.ok("image", "inspect", "mine:1").stdout)[0]["Author"] == \
        "Jane <j@example.com>"


def test_commit_is_reproducible_and_zstd(engine, monkeypatch):
    e = engine
    e.ok("run", "--name", "c2", "busybox", "sh", "-c", "echo a > /a; mkdir /b; echo c > /b/c")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    e.ok("commit", "c2", "one")
    e.ok("commit", "c2", "two")
    l1, _ = layer_blobs(e, "one")
    l2, _ = layer_blobs(e, "two")
    assert l1[1] == l2[1]  # the same bytes, gzip header without a timestamp
    assert {m[2] for m in members(l1[1][1])} == {1700000000}
    e.ok("commit", "--compression", "zstd", "c2", "z")
    lz, _ = layer_blobs(e, "z")
    assert lz[1][0].endswith("tar+zstd")
    assert [m[:2] for m in members(lz[1][1])] == [m[:2] for m in members(l1[1][1])]
    assert e.ok("run", "--rm", "z", "cat", "/b/c").stdout == "c\n"


def test_commit_running_container_pauses_and_resumes(engine):
    e = engine
    e.ok("run", "-d", "--name", "live", "busybox", "sh", "-c",
         "echo x > /ready; while true; do sleep 1; done")
    for _ in range(200):
        if e("exec", "live", "cat", "/ready").returncode == 0:
            break
    e.ok("commit", "live", "snap")
    assert e.inspect("live")["State"]["Status"] == "running"
    assert e.ok("run", "--rm", "snap", "cat", "/ready").stdout == "x\n"


def test_commit_errors(engine):
    e = engine
    p = e("commit", "nosuch", "x")
    assert p.returncode == 1 and "No such container: nosuch" in p.stderr
    e.ok("create", "--name", "c3", "busybox", "true")
    p = e("commit", "-c", "RUN true", "c3", "x")
    assert p.returncode == 1 and "RUN is not a valid change command" in p.stderr
    p = e("commit", "-c", "FOO bar", "c3", "x")
    assert p.returncode == 1 and "unknown instruction: FOO" in p.stderr
    p = e("commit", "c3", "UPPER:case")
    assert p.returncode == 125
    assert "UPPER" not in e.ok("images").stdout


def test_import_change(engine, tmp_path):
    e = engine
    rootfs = tmp_path / "r"
    (rootfs / "bin").mkdir(parents=True)
    (rootfs / "bin/busybox").write_bytes(open("/bin/busybox", "rb").read())
    (rootfs / "bin/busybox").chmod(0o755)
    (rootfs / "bin/sh").symlink_to("busybox")
    (rootfs / "bin/echo").symlink_to("busybox")
    tar = tmp_path / "r.tar"
    run(["tar", "-C", rootfs, "-cf", tar, "."], check=True)
    e.ok("import", "-c", "ENV GREETING=hello", "-c", 'ENTRYPOINT ["/bin/sh", "-c"]',
         "-c", 'CMD ["echo $GREETING"]', "-c", "WORKDIR /bin", tar, "imp:1")
    assert e.ok("run", "--rm", "imp:1").stdout == "hello\n"
    assert e.ok("run", "--rm", "imp:1", "pwd").stdout == "/bin\n"
    hist = e.ok("history", "imp:1").stdout.splitlines()
    assert hist[0].split() == ["IMAGE", "CREATED", "CREATED", "BY", "SIZE", "COMMENT"]
    assert "Imported from" in hist[1]
    p = e("import", "-c", "HEALTHCHECK NONE", tar, "bad")
    assert p.returncode == 1 and "HEALTHCHECK is not a valid change command" in p.stderr


def test_history_shapes(engine):
    e = engine
    out = e.ok("history", "busybox").stdout.splitlines()
    assert out[0].split() == ["IMAGE", "CREATED", "CREATED", "BY", "SIZE", "COMMENT"]
    assert len(out) == 2 and len(out[1].split()[0]) == 12
    q = e.ok("history", "-q", "busybox").stdout.split()
    assert len(q) == 1 and len(q[0]) == 12
    p = e("history", "nosuch")
    assert p.returncode == 1 and "No such image" in p.stderr
