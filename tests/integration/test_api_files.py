"""A container's files through the service, driven by the docker CLI: export, diff (changes),
commit (with --change), and cp in both directions (the archive endpoints with docker's
X-Docker-Container-Path-Stat header), on a temp socket with its own roots."""
import base64
import io
import json
import subprocess
import tarfile

import pytest

from test_api import DOCKER, svc  # noqa: F401 (the fixture)
from test_engine_basic import wait_for

pytestmark = pytest.mark.skipif(not __import__("os").path.exists(DOCKER), reason="no docker CLI")


def make_container(svc):
    svc.dok("run", "-d", "--name", "box", "busybox", "sh", "-c",
            "echo hello > /greeting; rm /bin/vi; mkdir /d; echo x > /d/f; exec sleep 600")
    wait_for(lambda: svc.docker("exec", "box", "cat", "/d/f").stdout == "x\n",
             what="the container's files")


def test_export_and_diff(svc, tmp_path):
    make_container(svc)
    out = tmp_path / "box.tar"
    svc.dok("export", "-o", out, "box")
    with tarfile.open(out) as t:
        names = set(t.getnames())
        assert "greeting" in names or "./greeting" in names
        member = [m for m in t.getmembers() if m.name.lstrip("./") == "greeting"][0]
        assert t.extractfile(member).read() == b"hello\n"
        assert not [n for n in names if n.lstrip("./") == "bin/vi"]
    lines = svc.dok("diff", "box").splitlines()
    assert "A /greeting" in lines and "D /bin/vi" in lines and "A /d/f" in lines
    status, changes = svc.json("/containers/box/changes")
    assert status == 200 and {"Path": "/greeting", "Kind": 1} in changes
    assert {"Path": "/bin/vi", "Kind": 2} in changes
    status, err = svc.json("/containers/nope/export")
    assert status == 404


def test_commit_with_changes(svc):
    make_container(svc)
    iid = svc.dok("commit", "-c", "ENV A=1", "-c", 'CMD ["cat", "/greeting"]', "-m", "msg",
                  "-a", "Jane", "box", "committed:1").strip()
    assert iid.startswith("sha256:")
    assert svc.dok("run", "--rm", "committed:1").strip() == "hello"
    cfg = json.loads(svc.dok("image", "inspect", "committed:1"))[0]
    assert "A=1" in cfg["Config"]["Env"] and cfg["Author"] == "Jane" and cfg["Comment"] == "msg"
    p = svc.docker("commit", "nope", "x:1")
    assert p.returncode != 0 and "nope" in p.stderr
    # query values are never taken for options of the command behind it
    status, _, body = svc.curl("/commit?container=box&repo=--pause%3Dfalse", method="POST")
    assert status == 400 and "invalid reference" in body, body


def test_cp_both_ways_and_stat(svc, tmp_path):
    make_container(svc)
    svc.dok("cp", "box:/greeting", tmp_path / "g")
    assert (tmp_path / "g").read_text() == "hello\n"
    svc.dok("cp", "box:/d", tmp_path / "d")
    assert (tmp_path / "d" / "f").read_text() == "x\n"
    (tmp_path / "up.txt").write_text("uploaded\n")
    svc.dok("cp", tmp_path / "up.txt", "box:/d/")
    svc.dok("cp", tmp_path / "up.txt", "box:/renamed.txt")     # a new name: HEAD gets 404
    assert svc.dok("exec", "box", "cat", "/d/up.txt", "/renamed.txt") == "uploaded\nuploaded\n"
    status, h, _ = svc.curl("/containers/box/archive?path=/greeting", method="HEAD")
    assert status == 200
    st = json.loads(base64.b64decode(h["x-docker-container-path-stat"]))
    assert st["name"] == "greeting" and st["size"] == 6 and st["mode"] == 0o644
    status, h, _ = svc.curl("/containers/box/archive?path=/d", method="HEAD")
    st = json.loads(base64.b64decode(h["x-docker-container-path-stat"]))
    assert status == 200 and st["mode"] & (1 << 31)
    status, _, body = svc.curl("/containers/box/archive?path=/missing")
    assert status == 404, body
    status, _, _ = svc.curl("/containers/box/archive?path=/missing", method="HEAD")
    assert status == 404
    p = svc.docker("cp", "box:/missing", tmp_path / "m")
    assert p.returncode != 0 and "Could not find the file /missing" in p.stderr
    # a tar on stdin, as `docker cp - box:/d`
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        data = b"from stdin\n"
        info = tarfile.TarInfo("stdin.txt")
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    p = subprocess.run([DOCKER, "cp", "-", "box:/d"], env=svc.env(), input=buf.getvalue(),
                       capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert svc.dok("exec", "box", "cat", "/d/stdin.txt") == "from stdin\n"


def test_push_through_the_service_and_pull_back(svc, engine, tmp_path):
    from imagelib import Registry
    reg = Registry(tmp_path / "reg").start()
    try:
        ref = f"{reg.host}/team/bb:2"
        svc.dok("tag", "busybox", ref)
        out = svc.dok("push", ref)
        assert f"The push refers to repository [{reg.host}/team/bb]" in out
        assert "Pushed" in out and "2: digest: sha256:" in out, out
        # again: the registry has every layer
        out = svc.dok("push", ref)
        assert "Layer already exists" in out and "Pushed" not in out, out
        # pulled back by skopeo (a different client) and by docker into the service
        p = subprocess.run(["skopeo", "inspect", "--tls-verify=false", f"docker://{ref}"],
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0, p.stderr
        svc.dok("rmi", ref)
        svc.dok("pull", ref)
        assert svc.dok("run", "--rm", ref, "echo", "back").strip() == "back"
        # a name the store does not have: docker's 404 before any stream
        p = svc.docker("push", f"{reg.host}/team/none:1")
        assert p.returncode != 0 and "does not exist locally" in p.stderr, p.stderr
        # the raw stream ends with docker's aux message
        p = subprocess.run(["curl", "-s", "--unix-socket", svc.sock, "-X", "POST",
                            f"http://d/images/{reg.host}/team/bb/push?tag=2"],
                           capture_output=True, text=True, timeout=60)
        last = json.loads(p.stdout.splitlines()[-1])
        assert last["aux"]["Tag"] == "2" and last["aux"]["Digest"].startswith("sha256:")
    finally:
        reg.stop()


def test_run_rm_returns_the_exit_code(svc):
    # the container is removed before the CLI's wait(condition=removed) can see it exit
    for code in (3, 0, 42):
        p = svc.docker("run", "--rm", "busybox", "sh", "-c", f"exit {code}")
        assert p.returncode == code, p.stderr
    p = svc.docker("run", "--rm", "busybox", "cat", "/nonexistent")
    assert p.returncode == 1 and "nonexistent" in p.stderr


def test_exec_it_gets_the_terminal_size_and_resizes(svc):
    """docker exec -it in a real terminal (tmux): the pty has the terminal's size (the
    create's ConsoleSize) and follows a resize (POST /exec/{id}/resize + SIGWINCH)."""
    import os
    from conftest import run
    svc.dok("run", "-d", "--name", "sh1", "busybox", "sleep", "600")
    session = f"hkexec{os.getpid()}"
    cmd = f"DOCKER_HOST=unix://{svc.sock} DOCKER_CONFIG={svc.dir / 'docker'} {DOCKER} exec " \
          "-it sh1 sh"
    run(["tmux", "new-session", "-d", "-s", session, "-x", "100", "-y", "20", cmd], check=True)
    try:
        def screen():
            return run(["tmux", "capture-pane", "-t", session, "-p"]).stdout
        wait_for(lambda: "/ #" in screen(), what="the shell prompt")
        run(["tmux", "send-keys", "-t", session, "echo size-$(stty size | tr ' ' x)", "Enter"])
        wait_for(lambda: "size-20x100" in screen(), what="stty size 20 100")
        run(["tmux", "resize-window", "-t", session, "-x", "120", "-y", "30"], check=True)
        run(["tmux", "send-keys", "-t", session, "clear; echo now-$(stty size | tr ' ' x)",
             "Enter"])
        wait_for(lambda: "now-30x120" in screen(), what="stty size after the resize")
        run(["tmux", "send-keys", "-t", session, "exit", "Enter"])
        wait_for(lambda: run(["tmux", "has-session", "-t", session]).returncode != 0,
                 what="docker exec -it to end")
    finally:
        run(["tmux", "kill-session", "-t", session])
    status, body = svc.json("/exec/nosuch/resize?h=10&w=10", method="POST")
    assert status == 404
