"""`hako system service`: the Docker Engine API, driven by the real docker CLI (28.2.2),
docker-py (7.1, in pyenv's python3) and curl on a temp unix socket with its own --root/--runroot.
Containers outlive the service: it is killed and started again while one runs."""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import pytest

from conftest import HAKO, run
from imagelib import Registry, skopeo_push
from test_engine_basic import wait_for

DOCKER = "/usr/local/bin/docker"
pytestmark = pytest.mark.skipif(not os.path.exists(DOCKER), reason="no docker CLI")


class Service:
    """`hako system service` on a short socket path (sun_path is 108 bytes)."""

    def __init__(self, engine, *extra):
        self.engine = engine
        self.dir = Path(tempfile.mkdtemp(prefix="hkapi"))
        self.sock = self.dir / "api.sock"
        self.extra = list(extra)
        self.proc = None
        (self.dir / "docker").mkdir()

    def start(self, *hosts, wait=True):
        hosts = hosts or (f"unix://{self.sock}",)
        argv = self.engine.argv("system", "service", "--time", "0")
        for h in hosts:
            argv += ["-H", h]
        self.log = open(self.dir / "service.log", "a")
        self.proc = subprocess.Popen(argv + self.extra, stdout=self.log, stderr=self.log)
        if wait:
            wait_for(lambda: self.ping(), what="the service answering /_ping")
        return self

    def ping(self):
        p = run(["curl", "-sf", "--unix-socket", self.sock, "http://d/_ping"], timeout=5)
        return p.returncode == 0 and p.stdout == "OK"

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=10)
        self.proc = None

    def env(self):
        return dict(os.environ, DOCKER_HOST=f"unix://{self.sock}",
                    DOCKER_CONFIG=str(self.dir / "docker"))

    def docker(self, *args, timeout=60, input=None):
        return subprocess.run([DOCKER, *map(str, args)], env=self.env(), capture_output=True,
                              text=True, timeout=timeout, input=input)

    def dok(self, *args, **kw):
        p = self.docker(*args, **kw)
        assert p.returncode == 0, f"docker {args} exited {p.returncode}: {p.stderr}"
        return p.stdout

    def curl(self, path, *args, method=None):
        argv = ["curl", "-s", "-i", "--unix-socket", self.sock]
        if method == "HEAD":
            argv += ["-I"]
        elif method:
            argv += ["-X", method]
        p = run(argv + list(args) + [f"http://d{path}"], timeout=20)
        out = p.stdout.replace("\r\n", "\n")  # run() may have translated them already
        while out.startswith("HTTP/1.1 100"):
            out = out.partition("\n\n")[2]
        head, _, body = out.partition("\n\n")
        status = int(head.split()[1]) if head else 0
        headers = {}
        for line in head.split("\n")[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        return status, headers, body

    def json(self, path, *args, method=None):
        status, _, body = self.curl(path, *args, method=method)
        return status, (json.loads(body) if body.strip() else None)

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def svc(engine):
    s = Service(engine).start()
    yield s
    s.cleanup()


def test_ping_version_info_shapes(svc):
    for method in ("GET", "HEAD"):
        status, h, _ = svc.curl("/_ping", method=method)
        assert status == 200
        assert h["api-version"] == "1.45" and h["ostype"] == "linux"
        assert h["builder-version"] == "1"
    for prefix in ("", "/v1.24", "/v1.45", "/v1.47"):
        status, v = svc.json(prefix + "/version")
        assert status == 200
        assert v["ApiVersion"] == "1.45" and v["MinAPIVersion"] == "1.24" and v["Os"] == "linux"
    status, err = svc.json("/v1.12/version")
    assert status == 400 and "too old" in err["message"]
    status, err = svc.json("/v1.99/version")
    assert status == 400 and "too new" in err["message"]
    out = svc.dok("version", "--format", "{{.Server.APIVersion}} {{.Server.MinAPIVersion}}")
    assert out.strip() == "1.45 1.24"
    info = json.loads(svc.dok("info", "--format", "{{json .}}"))
    assert info["Images"] == 1 and info["Containers"] == 0
    assert info["OSType"] == "linux" and info["LiveRestoreEnabled"] is True
    assert info["Swarm"]["LocalNodeState"] == "inactive"


def test_socket_is_0660_root_hako_group(svc):
    st = os.stat(svc.sock)
    import grp
    assert oct(st.st_mode & 0o777) == "0o660"
    assert st.st_uid == 0 and grp.getgrgid(st.st_gid).gr_name == "hako"


def test_run_foreground_rm_and_exit_codes(svc, engine):
    p = svc.docker("run", "--rm", "busybox", "echo", "hello-api")
    assert p.returncode == 0, p.stderr
    assert p.stdout == "hello-api\n"
    p = svc.docker("run", "--name", "fg", "busybox", "sh", "-c", "echo out; echo err >&2; exit 3")
    assert p.returncode == 3
    assert p.stdout == "out\n" and p.stderr == "err\n"
    # --rm removed its container; the other one is there, exited, for hako too
    names = svc.dok("ps", "-a", "--format", "{{.Names}} {{.Status}}").splitlines()
    assert len(names) == 1 and names[0].startswith("fg Exited (3)")
    assert engine.inspect("fg")["State"]["ExitCode"] == 3
    # a program that does not exist: docker's 127
    p = svc.docker("run", "--rm", "busybox", "/no/such/prog")
    assert p.returncode == 127, p.stderr


def test_detached_logs_exec_inspect_stop_kill_rm(svc, engine):
    cid = svc.dok("run", "-d", "--name", "web", "busybox", "sh", "-c",
                  "trap 'echo bye; exit 0' TERM; echo ready; while true; do sleep 0.1; done").strip()
    assert len(cid) == 64
    wait_for(lambda: "ready" in svc.dok("logs", "web"), what="the ready line")
    ps = svc.dok("ps", "--format", "{{.ID}} {{.Names}} {{.Image}}").split()
    assert ps == [cid[:12], "web", "busybox"]
    assert svc.dok("inspect", "-f", "{{.State.Running}} {{.Name}} {{.Config.Image}}",
                   "web").strip() == "true /web busybox"
    # exec: output, exit status, stdin, env and workdir
    assert svc.dok("exec", "web", "echo", "in-exec") == "in-exec\n"
    assert svc.docker("exec", "web", "sh", "-c", "exit 7").returncode == 7
    assert svc.dok("exec", "-i", "web", "cat", input="piped\n") == "piped\n"
    assert svc.dok("exec", "-e", "A=b", "-w", "/tmp", "web", "sh", "-c",
                   "echo $A $(pwd)") == "b /tmp\n"
    # pause / unpause
    svc.dok("pause", "web")
    assert engine.inspect("web")["State"]["Status"] == "paused"
    assert "(Paused)" in svc.dok("ps", "--format", "{{.Status}}")
    svc.dok("unpause", "web")
    assert engine.inspect("web")["State"]["Status"] == "running"
    # stop runs the trap; wait reports the code
    svc.dok("stop", "web")
    assert svc.dok("wait", "web").strip() == "0"
    assert "bye" in svc.dok("logs", "web")
    assert engine.inspect("web")["State"]["Status"] == "exited"
    # start again, kill, rm
    svc.dok("start", "web")
    wait_for(lambda: engine.inspect("web")["State"]["Status"] == "running", what="restart")
    svc.dok("kill", "web")
    assert svc.dok("wait", "web").strip() == "137"
    p = svc.docker("kill", "web")
    assert p.returncode != 0 and "is not running" in p.stderr
    svc.dok("rm", "web")
    assert svc.dok("ps", "-aq") == ""
    p = svc.docker("rm", "web")
    assert p.returncode != 0 and "No such container: web" in p.stderr


def test_logs_follow_and_multiplexed_frames(svc):
    svc.dok("run", "-d", "--name", "talk", "busybox", "sh", "-c",
            "for i in 1 2 3; do echo out$i; echo err$i >&2; sleep 0.2; done")
    p = svc.docker("logs", "-f", "talk", timeout=20)
    assert p.stdout == "out1\nout2\nout3\n" and p.stderr == "err1\nerr2\nerr3\n"
    # the raw frames: [stream, 0, 0, 0, big-endian length] + payload
    raw = subprocess.run(["curl", "-s", "--unix-socket", svc.sock,
                          "http://d/v1.45/containers/talk/logs?stdout=1&stderr=1"],
                         capture_output=True, timeout=20).stdout
    frames = []
    while raw:
        n = int.from_bytes(raw[4:8], "big")
        frames.append((raw[0], raw[8:8 + n]))
        raw = raw[8 + n:]
    assert frames[:2] == [(1, b"out1\n"), (2, b"err1\n")]
    assert len(frames) == 6
    # tail counts entries of both streams, as docker's
    p = svc.docker("logs", "--tail", "1", "talk")
    assert (p.stdout, p.stderr) == ("", "err3\n")
    p = svc.docker("logs", "--tail", "2", "talk")
    assert (p.stdout, p.stderr) == ("out3\n", "err3\n")


def test_create_start_attach_wait_rename_top(svc, engine):
    cid = svc.dok("create", "--name", "c1", "busybox", "sh", "-c", "echo attached; exit 4").strip()
    assert engine.inspect(cid)["State"]["Status"] == "created"
    p = svc.docker("start", "-a", "c1")
    assert p.returncode == 4 and p.stdout == "attached\n"
    svc.dok("rename", "c1", "c2")
    assert engine.inspect(cid)["Name"] == "/c2"
    status, body = svc.json("/containers/c2/wait?condition=not-running", method="POST")
    assert status == 200 and body == {"StatusCode": 4, "Error": None}
    status, body = svc.json("/containers/c2/wait?condition=bogus", method="POST")
    assert status == 400
    # top: the container's processes, host pids as docker shows them
    svc.dok("run", "-d", "--name", "tp", "busybox", "sleep", "123")
    pid = engine.inspect("tp")["State"]["Pid"]
    rows = svc.dok("top", "tp").splitlines()
    assert rows[0].split() == ["UID", "PID", "PPID", "TIME", "CMD"]
    assert rows[1].split()[1] == str(pid) and rows[1].endswith("sleep 123")
    svc.dok("rm", "-f", "tp")
    status, body = svc.json("/containers/c2/top")
    assert status == 409


def test_stats_shapes(svc):
    svc.dok("run", "-d", "--name", "st", "busybox", "sleep", "30")
    status, s = svc.json("/containers/st/stats?stream=false")
    assert status == 200
    for k in ("cpu_stats", "precpu_stats", "memory_stats", "pids_stats", "networks",
              "blkio_stats"):
        assert k in s
    assert s["cpu_stats"]["online_cpus"] >= 1
    assert s["cpu_stats"]["cpu_usage"]["total_usage"] > 0
    assert s["memory_stats"]["usage"] > 0 and s["memory_stats"]["limit"] > 0
    assert s["pids_stats"]["current"] == 1
    out = svc.dok("stats", "--no-stream", "--format", "{{.Name}} {{.PIDs}}", "st")
    assert out.strip() == "st 1"
    svc.dok("rm", "-f", "st")


def test_images_tag_rmi_save_load(svc, tmp_path):
    out = svc.dok("images", "--format", "{{.Repository}}:{{.Tag}}")
    assert out.split() == ["busybox:latest"]
    svc.dok("tag", "busybox", "mine/box:v1")
    assert sorted(svc.dok("images", "--format", "{{.Repository}}:{{.Tag}}").split()) == \
        ["busybox:latest", "mine/box:v1"]
    status, img = svc.json("/images/mine/box:v1/json")
    assert status == 200 and img["RepoTags"] and img["Id"].startswith("sha256:")
    assert img["Config"]["Cmd"] == ["sh"]
    # the same object `hako image inspect` prints (one implementation, image/inspect.c)
    mine = json.loads(run([HAKO, "--root", svc.engine.root, "image", "inspect",
                           "mine/box:v1"]).stdout)
    assert (mine[0] if isinstance(mine, list) else mine) == img
    hist = svc.dok("history", "--format", "{{.ID}} {{.CreatedBy}}", "busybox").splitlines()
    assert hist and hist[0].split()[0] == img["Id"][7:19]
    archive = tmp_path / "box.tar"
    svc.dok("save", "-o", archive, "mine/box:v1")
    assert archive.stat().st_size > 100_000
    assert "Untagged: mine/box:v1" in svc.dok("rmi", "mine/box:v1")
    out = svc.dok("load", "-i", archive)
    assert "Loaded image: mine/box:v1" in out
    assert svc.dok("run", "--rm", "mine/box:v1", "echo", "loaded") == "loaded\n"
    p = svc.docker("rmi", "no/such:img")
    assert p.returncode != 0 and "No such image" in p.stderr
    # an image a container uses is refused (with one tag left: with two, rmi only untags)
    svc.dok("rmi", "mine/box:v1")
    svc.dok("create", "--name", "holder", "busybox", "true")
    p = svc.docker("rmi", "busybox")
    assert p.returncode != 0 and "container" in p.stderr, p.stderr


def test_pull_from_local_registry_and_run_pulls(svc, engine, tmp_path):
    archive = tmp_path / "bb.tar"
    engine.ok("save", "-o", archive, "busybox")
    reg = Registry(tmp_path / "reg").start()
    try:
        ref = f"{reg.host}/tools/bb:1"
        skopeo_push(f"docker-archive:{archive}", f"docker://{ref}")
        out = svc.dok("pull", ref)
        assert "Download complete" in out or "Already exists" in out, out
        assert f"Downloaded newer image for {ref}" in out
        assert ref in svc.dok("images", "--format", "{{.Repository}}:{{.Tag}}").split()
        # the raw stream is JSON messages
        p = run(["curl", "-s", "--unix-socket", svc.sock, "-X", "POST",
                 f"http://d/images/create?fromImage={reg.host}/tools/bb&tag=1"], timeout=30)
        msgs = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
        assert msgs[-1]["status"] == f"Status: Image is up to date for {ref}"
        # an error is in the stream, docker's errorDetail
        p = run(["curl", "-s", "--unix-socket", svc.sock, "-X", "POST",
                 f"http://d/images/create?fromImage={reg.host}/tools/bb&tag=nope"], timeout=30)
        last = json.loads(p.stdout.splitlines()[-1])
        assert "errorDetail" in last and "nope" in last["error"]
        p = svc.docker("pull", f"{reg.host}/tools/bb:nope")
        assert p.returncode != 0 and "nope" in p.stderr
        # run of an image that is not here: create answers 404, the CLI pulls and retries
        svc.dok("rmi", ref)
        p = svc.docker("run", "--rm", f"{reg.host}/tools/bb:1", "echo", "pulled-by-run")
        assert p.returncode == 0, p.stderr
        assert p.stdout == "pulled-by-run\n"
        assert "Unable to find image" in p.stderr
    finally:
        reg.stop()


def test_error_statuses_and_bodies(svc):
    status, b = svc.json("/containers/nope/json")
    assert status == 404 and b == {"message": "No such container: nope"}
    status, b = svc.json("/containers/create", "-H", "Content-Type: application/json",
                         "-d", "{bad json", method="POST")
    assert status == 400 and "invalid JSON" in b["message"]
    status, b = svc.json("/containers/create", "-H", "Content-Type: application/json",
                         "-d", '{"Image": "busybox", "Env": "A=b"}', method="POST")
    assert status == 400 and "Env" in b["message"]
    status, b = svc.json("/containers/create", "-H", "Content-Type: application/json",
                         "-d", '{"Image": "no/such:img"}', method="POST")
    assert status == 404 and b["message"] == "No such image: no/such:img"
    status, b = svc.json("/no/such/path")
    assert status == 404 and b["message"] == "page not found"
    status, b = svc.json("/containers/../images/json", "--path-as-is")
    assert status == 404
    status, b = svc.json("/version", method="DELETE")
    assert status == 405
    status, b = svc.json("/swarm")
    assert status == 503 and "not a swarm manager" in b["message"]
    status, b = svc.json("/v1.45/services")
    assert status == 503
    status, b = svc.json("/plugins")
    assert status == 501
    big = svc.dir / "big.json"
    big.write_text('{"Image": "' + "x" * (17 << 20) + '"}')
    status, b = svc.json("/containers/create", "-H", "Content-Type: application/json",
                         "--data-binary", f"@{big}", method="POST")
    assert status == 413
    status, _, _ = svc.curl("/_ping")
    assert status == 200  # still serving


def _threads_fds(pid):
    return (len(os.listdir(f"/proc/{pid}/task")), len(os.listdir(f"/proc/{pid}/fd")))


def test_streams_do_not_block_and_dead_clients_leak_nothing(svc):
    svc.dok("run", "-d", "--name", "loud", "busybox", "sh", "-c",
            "while true; do echo line; sleep 0.2; done")
    wait_for(lambda: "line" in svc.dok("logs", "loud"), what="output")
    pid = svc.proc.pid
    time.sleep(0.5)
    base = _threads_fds(pid)
    followers = [subprocess.Popen([DOCKER, "logs", "-f", "loud"], env=svc.env(),
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
                 for _ in range(5)]
    stats = subprocess.Popen([DOCKER, "stats", "loud"], env=svc.env(),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for f in followers:
            assert f.stdout.readline() == b"line\n"
        # other clients are served while the streams run: 50 at once
        lists = [subprocess.Popen(["curl", "-s", "-m", "30", "--unix-socket", str(svc.sock),
                                   "http://d/v1.45/containers/json"], stdout=subprocess.PIPE)
                 for _ in range(50)]
        for c in lists:
            out, _ = c.communicate(timeout=60)
            assert [x["Names"] for x in json.loads(out)] == [["/loud"]]
        assert svc.dok("ps", "-q", timeout=10).strip()
    finally:
        for f in followers + [stats]:
            f.kill()
            f.wait()
    # the dead clients' threads and fds go away (streams notice within a poll interval)
    wait_for(lambda: _threads_fds(pid)[0] <= base[0] and _threads_fds(pid)[1] <= base[1],
             timeout=10, what=f"threads/fds back to {base}, have {_threads_fds(pid)}")
    svc.dok("rm", "-f", "loud")


def test_service_restart_keeps_containers(svc, engine):
    svc.dok("run", "-d", "--name", "keeper", "busybox", "sleep", "300")
    pid = engine.inspect("keeper")["State"]["Pid"]
    svc.stop(signal.SIGKILL)
    assert engine.inspect("keeper")["State"]["Status"] == "running"
    os.kill(pid, 0)
    svc.start()
    assert svc.dok("ps", "--format", "{{.Names}}").split() == ["keeper"]
    svc.stop(signal.SIGTERM)
    assert engine.inspect("keeper")["State"]["Status"] == "running"
    svc.start()
    svc.dok("stop", "-t", "1", "keeper")
    assert engine.inspect("keeper")["State"]["Status"] == "exited"


def _docker_py(svc, script, timeout=120):
    """Run script with docker-py (pyenv's python3) against the service; skip without it."""
    py = shutil.which("python3", path="/root/.pyenv/shims:" + os.environ.get("PATH", ""))
    p = subprocess.run([py, "-c", script, f"unix://{svc.sock}"], capture_output=True, text=True,
                       timeout=timeout,
                       env=dict(os.environ, DOCKER_CONFIG=str(svc.dir / "docker")))
    if "No module named 'docker'" in p.stderr:
        pytest.skip("docker-py is not installed in " + py)
    assert p.returncode == 0, p.stderr
    return p


def test_docker_py_runs_waits_for_log_and_stops(svc):
    script = """
import sys, time, docker
c = docker.DockerClient(base_url=sys.argv[1])
assert c.ping()
ctr = c.containers.run("busybox", ["sh", "-c", "echo started; sleep 300"], detach=True,
                       name="pyctr")
deadline = time.time() + 20
while b"started" not in ctr.logs():
    assert time.time() < deadline, "no log line"
    time.sleep(0.1)
ctr.reload()
assert ctr.status == "running", ctr.status
print("exec", ctr.exec_run(["echo", "hi"]).output.decode().strip())
ctr.stop(timeout=1)
print("exit", ctr.wait()["StatusCode"])
ctr.remove()
print("left", len(c.containers.list(all=True)))
"""
    p = _docker_py(svc, script)
    assert p.stdout.split("\n")[:3] == ["exec hi", "exit 137", "left 0"]


def test_idle_exit_and_socket_activation(engine):
    s = Service(engine)
    try:
        p = subprocess.Popen(engine.argv("system", "service", "--time", "1", "-H",
                                         f"unix://{s.sock}"), stderr=subprocess.PIPE)
        wait_for(lambda: s.ping(), what="ping")
        assert p.wait(timeout=10) == 0  # idle for 1 s: exits
        assert not s.sock.exists()
        # socket activation: a listening socket passed as fd 3 (LISTEN_PID, LISTEN_FDS)
        path = s.dir / "act.sock"
        ls = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        ls.bind(str(path))
        ls.listen(8)
        argv = [str(a) for a in engine.argv("system", "service", "--time", "0")]
        fd = ls.fileno()
        p = subprocess.Popen(["sh", "-c", 'LISTEN_PID=$$ LISTEN_FDS=1 exec "$@"', "sh", *argv],
                             preexec_fn=lambda: os.dup2(fd, 3), close_fds=False,
                             stderr=open(s.dir / "act.log", "w"))
        ls.close()
        try:
            def pinged():
                r = run(["curl", "-sf", "--unix-socket", path, "http://d/_ping"], timeout=5)
                return r.stdout == "OK"
            wait_for(pinged, what="ping on the activated socket: " +
                     (s.dir / "act.log").read_text())
        finally:
            p.terminate()
            p.wait(timeout=10)
    finally:
        s.cleanup()


def test_tcp_only_insecure_on_loopback(engine):
    s = Service(engine, "--insecure-tcp")
    try:
        p = run(engine.argv("system", "service", "-H", "tcp://127.0.0.1:23751"), timeout=10)
        assert p.returncode == 1 and "TLS" in p.stderr
        p = run(engine.argv("system", "service", "--insecure-tcp", "-H", "tcp://0.0.0.0:23751"),
                timeout=10)
        assert p.returncode == 1 and "loopback" in p.stderr
        s.start("tcp://127.0.0.1:23751", wait=False)
        wait_for(lambda: run(["curl", "-sf", "http://127.0.0.1:23751/_ping"],
                             timeout=5).stdout == "OK", what="tcp ping")
        out = subprocess.run([DOCKER, "-H", "tcp://127.0.0.1:23751", "version", "--format",
                              "{{.Server.APIVersion}}"], capture_output=True, text=True,
                             timeout=30, env=dict(os.environ, DOCKER_CONFIG=str(s.dir)))
        assert out.stdout.strip() == "1.45", out.stderr
    finally:
        s.cleanup()


def test_events_names_filters_and_follow(svc):
    since = int(time.time())
    follower = subprocess.Popen([DOCKER, "events", "--filter", "event=die", "--format",
                                 "{{.Action}} {{.Actor.Attributes.name}} "
                                 "{{.Actor.Attributes.exitCode}}"],
                                env=svc.env(), stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(0.5)  # the follower starts at the end of the log: let it get there
        assert svc.docker("run", "--name", "ev1", "busybox", "sh", "-c", "exit 2").returncode == 2
        svc.dok("run", "-d", "--name", "ev2", "--label", "team=a", "busybox", "sleep", "30")
        svc.dok("pause", "ev2")
        svc.dok("unpause", "ev2")
        svc.dok("rename", "ev2", "ev3")
        svc.dok("rm", "-f", "ev3")
        svc.dok("rm", "ev1")
        assert follower.stdout.readline() == "die ev1 2\n"
        assert follower.stdout.readline() == "die ev3 137\n"
    finally:
        follower.kill()
        follower.wait()
    until = int(time.time()) + 1
    fmt = "{{.Type}} {{.Action}} {{.Actor.Attributes.name}}"
    out = svc.dok("events", "--since", since, "--until", until, "--format", fmt).splitlines()
    assert out[:4] == ["container create ev1", "container start ev1", "container die ev1",
                       "container create ev2"]
    for want in ("container pause ev2", "container unpause ev2", "container rename ev3",
                 "container kill ev3", "container destroy ev3", "container destroy ev1"):
        assert want in out
    # OR within a key, AND across keys
    out = svc.dok("events", "--since", since, "--until", until, "--format", fmt,
                  "--filter", "event=create", "--filter", "event=destroy",
                  "--filter", "container=ev1").splitlines()
    assert out == ["container create ev1", "container destroy ev1"]
    out = svc.dok("events", "--since", since, "--until", until, "--format", fmt,
                  "--filter", "label=team=a", "--filter", "event=start").splitlines()
    assert out == ["container start ev2"]
    # an unknown filter key is docker's error, not ignored
    p = svc.docker("events", "--since", since, "--until", until, "--filter", "colour=red")
    assert p.returncode != 0 and "Invalid filter 'colour'" in p.stderr, p.stderr


def test_volumes_endpoints(svc):
    assert svc.dok("volume", "create", "--label", "team=a", "data").strip() == "data"
    status, v = svc.json("/volumes/data")
    assert status == 200 and v["Name"] == "data" and v["Driver"] == "local"
    assert v["Labels"] == {"team": "a"} and v["Mountpoint"].endswith("/volumes/data/_data")
    status, lst = svc.json("/volumes")
    assert status == 200 and [x["Name"] for x in lst["Volumes"]] == ["data"]
    assert svc.dok("volume", "ls", "-q", "--filter", "label=team=a").split() == ["data"]
    assert svc.dok("volume", "ls", "-q", "--filter", "label=team=b").split() == []
    svc.dok("volume", "create", "--label", "team=b", "other")
    assert svc.dok("volume", "ls", "-q", "--filter", "label=team").split() == ["data", "other"]
    assert svc.dok("volume", "ls", "-q", "--filter", "label=team",
                   "--filter", "label=team=a").split() == ["data"]
    svc.dok("volume", "rm", "other")
    svc.dok("run", "--rm", "-v", "data:/d", "busybox", "sh", "-c", "echo kept > /d/f")
    assert svc.dok("run", "--rm", "-v", "data:/d", "busybox", "cat", "/d/f") == "kept\n"
    svc.dok("run", "-d", "--name", "user", "-v", "data:/d", "busybox", "sleep", "30")
    p = svc.docker("volume", "rm", "data")
    assert p.returncode != 0 and "volume is in use" in p.stderr
    status, b = svc.json("/volumes/data", method="DELETE")
    assert status == 409
    svc.dok("rm", "-f", "user")
    svc.dok("volume", "rm", "data")
    status, b = svc.json("/volumes/data")
    assert status == 404 and "no such volume" in b["message"]
    status, b = svc.json("/volumes/create", "-H", "Content-Type: application/json",
                         "-d", '{"Name": "bad/name"}', method="POST")
    assert status == 400
    svc.dok("volume", "create", "x1")
    assert "x1" in svc.dok("volume", "prune", "-a", "-f")
    status, lst = svc.json("/volumes")
    assert lst["Volumes"] == []


def _certs(d: Path):
    """A CA, a server certificate for 127.0.0.1 and a client certificate it signed, plus a
    client certificate from another CA (openssl, generated per test)."""
    def sh(*a):
        subprocess.run(["openssl", *a], check=True, capture_output=True, cwd=d)
    for ca in ("ca", "other"):
        sh("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{ca}-key.pem", "-out",
           f"{ca}.pem", "-days", "2", "-subj", f"/CN=hako-test-{ca}")
    (d / "s.ext").write_text("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    (d / "c.ext").write_text("extendedKeyUsage=clientAuth\n")
    for name, ca, ext in (("server", "ca", "s.ext"), ("client", "ca", "c.ext"),
                          ("rogue", "other", "c.ext")):
        sh("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}-key.pem", "-out",
           f"{name}.csr", "-subj", f"/CN={name}")
        sh("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem", "-CAkey", f"{ca}-key.pem",
           "-CAcreateserial", "-out", f"{name}-cert.pem", "-days", "2", "-extfile", ext)
    # docker's DOCKER_CERT_PATH layout
    (d / "client").mkdir()
    shutil.copy(d / "ca.pem", d / "client" / "ca.pem")
    shutil.copy(d / "client-cert.pem", d / "client" / "cert.pem")
    shutil.copy(d / "client-key.pem", d / "client" / "key.pem")


def test_tls_with_client_verification(engine):
    s = Service(engine, "--tlsverify", "--tlscacert", "CA", "--tlscert", "C", "--tlskey", "K")
    d = s.dir / "tls"
    d.mkdir()
    _certs(d)
    s.extra = ["--tlsverify", "--tlscacert", str(d / "ca.pem"), "--tlscert",
               str(d / "server-cert.pem"), "--tlskey", str(d / "server-key.pem")]
    port = 23763
    url = f"https://127.0.0.1:{port}/_ping"
    try:
        p = run(engine.argv("system", "service", "--tlsverify", "-H", f"tcp://127.0.0.1:{port}"),
                timeout=10)
        assert p.returncode == 1 and "--tlscacert" in p.stderr
        s.start(f"tcp://127.0.0.1:{port}", wait=False)
        ok = ["curl", "-s", "--cacert", d / "ca.pem", "--cert", d / "client-cert.pem", "--key",
              d / "client-key.pem", url]
        wait_for(lambda: run(ok, timeout=5).stdout == "OK", what="tls ping")
        # no client certificate, or one another CA signed: refused
        p = run(["curl", "-s", "--cacert", d / "ca.pem", url], timeout=5)
        assert "client certificate" in p.stdout
        p = run(["curl", "-s", "--cacert", d / "ca.pem", "--cert", d / "rogue-cert.pem", "--key",
                 d / "rogue-key.pem", url], timeout=5)
        assert p.stdout != "OK"
        env = dict(os.environ, DOCKER_CERT_PATH=str(d / "client"), DOCKER_TLS_VERIFY="1",
                   DOCKER_HOST=f"tcp://127.0.0.1:{port}", DOCKER_CONFIG=str(s.dir / "docker"))
        out = subprocess.run([DOCKER, "run", "--rm", "busybox", "echo", "over-tls"], env=env,
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0 and out.stdout == "over-tls\n", out.stderr
    finally:
        s.cleanup()


def test_login_and_x_registry_auth(svc, engine, tmp_path):
    archive = tmp_path / "bb.tar"
    engine.ok("save", "-o", archive, "busybox")
    plain = Registry(tmp_path / "plain").start()
    ref_path = "tools/bb:1"
    try:
        skopeo_push(f"docker-archive:{archive}", f"docker://{plain.host}/{ref_path}")
        storage = plain.storage
    finally:
        plain.stop()
    pw = tmp_path / "htpasswd"
    run(["htpasswd", "-Bbc", pw, "alice", "s3cret"], check=True)
    reg = Registry(tmp_path / "reg", auth=("htpasswd", pw), storage=storage).start()
    try:
        ref = f"{reg.host}/{ref_path}"
        p = svc.docker("pull", ref)
        assert p.returncode != 0 and "authentication required" in p.stderr
        p = svc.docker("login", "-u", "alice", "--password-stdin", reg.host, input="wrong\n")
        assert p.returncode != 0
        p = svc.docker("login", "-u", "alice", "--password-stdin", reg.host, input="s3cret\n")
        assert p.returncode == 0 and "Login Succeeded" in p.stdout, p.stderr
        # the CLI now sends the credentials in X-Registry-Auth
        out = svc.dok("pull", ref)
        assert f"Downloaded newer image for {ref}" in out
    finally:
        reg.stop()


def test_run_it_and_tty_streams(svc):
    # -t without -i: the raw stream, a terminal inside
    p = svc.docker("run", "--rm", "-t", "busybox", "sh", "-c", "echo tty-out; tty")
    assert p.returncode == 0 and p.stdout.replace("\r\n", "\n") == "tty-out\n/dev/pts/0\n"
    # -it in a real terminal (tmux): type a command, read the answer, exit
    session = f"hkapi{os.getpid()}"
    cmd = f"DOCKER_HOST=unix://{svc.sock} DOCKER_CONFIG={svc.dir / 'docker'} {DOCKER} run --rm " \
          "-it --name tty1 busybox sh"
    run(["tmux", "new-session", "-d", "-s", session, "-x", "100", "-y", "20", cmd], check=True)
    try:
        def screen():
            return run(["tmux", "capture-pane", "-t", session, "-p"]).stdout
        wait_for(lambda: "/ #" in screen(), what="the shell prompt")
        run(["tmux", "send-keys", "-t", session, "echo hello-$((40+2))", "Enter"])
        wait_for(lambda: "hello-42" in screen(), what="the command's output")
        run(["tmux", "send-keys", "-t", session, "exit", "Enter"])
        wait_for(lambda: run(["tmux", "has-session", "-t", session]).returncode != 0,
                 what="docker run -it to end")
    finally:
        run(["tmux", "kill-session", "-t", session])
    assert svc.dok("ps", "-aq") == ""


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _http_get(port, path="/i", timeout=15):
    deadline = time.time() + timeout
    while True:
        p = run(["curl", "-sf", "--max-time", "2", f"http://127.0.0.1:{port}{path}"], timeout=5)
        if p.returncode == 0:
            return p.stdout
        assert time.time() < deadline, f"nothing on 127.0.0.1:{port}"
        time.sleep(0.1)


HTTPD = "mkdir /w && echo hi-$HOSTNAME > /w/i && exec httpd -f -p 80 -h /w"


def test_networks_endpoints(svc):
    nid = svc.dok("network", "create", "--subnet", "10.251.3.0/24", "--gateway", "10.251.3.1",
                  "--label", "team=a", "front").strip()
    assert len(nid) == 64
    status, n = svc.json("/networks/front")
    assert status == 200 and n["Id"] == nid and n["Name"] == "front"
    assert n["Driver"] == "bridge" and n["Scope"] == "local" and n["Labels"] == {"team": "a"}
    assert n["IPAM"]["Config"] == [{"Subnet": "10.251.3.0/24", "Gateway": "10.251.3.1"}]
    assert n["Containers"] == {}
    svc.dok("network", "create", "back")
    ls = svc.dok("network", "ls", "--format", "{{.Name}}").split()
    assert sorted(ls) == ["back", "bridge", "front", "host", "none"]
    assert sorted(svc.dok("network", "ls", "--format", "{{.Name}} {{.Driver}}", "--filter",
                          "type=builtin").splitlines()) == ["bridge bridge", "host host",
                                                            "none null"]
    # host and none: docker's predefined ones, the network modes of those names
    host = json.loads(svc.dok("network", "inspect", "host"))[0]
    assert host["Driver"] == "host" and host["Scope"] == "local" and host["Containers"] == {}
    assert json.loads(svc.dok("network", "inspect", host["Id"][:12]))[0]["Name"] == "host"
    hid = svc.dok("run", "-d", "--network", "host", "busybox", "sleep", "60").strip()
    assert list(json.loads(svc.dok("network", "inspect", "host"))[0]["Containers"]) == [hid]
    svc.dok("rm", "-f", hid)
    for net in ("host", "none"):
        p = svc.docker("network", "rm", net)
        assert p.returncode == 1 and "pre-defined network and cannot be removed" in p.stderr
    p = svc.docker("network", "connect", "host", "nosuch")
    assert p.returncode == 1 and "connected to host network" in p.stderr
    assert svc.dok("network", "ls", "-q", "--filter", "label=team=a").split() == [nid[:12]]
    assert svc.dok("network", "ls", "--format", "{{.Name}}", "--filter",
                   "name=ba").split() == ["back"]
    status, b = svc.json("/networks?filters=" + quote('{"nope":["x"]}'))
    assert status == 400 and b["message"] == "invalid filter 'nope'"
    # a container on it, with --ip; connect and disconnect a second network
    cid = svc.dok("run", "-d", "--name", "c1", "--network", "front", "--ip", "10.251.3.9",
                  "busybox", "sleep", "60").strip()
    nets = json.loads(svc.dok("inspect", "-f", "{{json .NetworkSettings.Networks}}", "c1"))
    assert list(nets) == ["front"]
    assert nets["front"]["NetworkID"] == nid and nets["front"]["IPAddress"] == "10.251.3.9"
    svc.dok("network", "connect", "back", "c1")
    back = json.loads(svc.dok("network", "inspect", "back"))[0]
    assert list(back["Containers"]) == [cid] and back["Containers"][cid]["Name"] == "c1"
    addr = svc.dok("exec", "c1", "ip", "-4", "-o", "addr")
    assert "eth0" in addr and "10.251.3.9/24" in addr and "eth1" in addr
    p = svc.docker("network", "connect", "back", "c1")
    assert p.returncode == 1 and "already exists in network back" in p.stderr
    p = svc.docker("network", "rm", "back")
    assert p.returncode == 1 and "has active endpoints" in p.stderr
    status, b = svc.json("/networks/back", method="DELETE")
    assert status == 403 and "has active endpoints" in b["message"]
    svc.dok("network", "disconnect", "back", "c1")
    assert "eth1" not in svc.dok("exec", "c1", "ip", "-4", "-o", "addr")
    # a container that is not running joins at its starts (docker's connect of a created one)
    svc.dok("create", "--name", "c2", "--network", "front", "busybox", "sleep", "60")
    svc.dok("network", "connect", "front", "c2")  # its own: it joins it anyway
    svc.dok("network", "connect", "back", "c2")
    p = svc.docker("network", "connect", "back", "c2")
    assert p.returncode == 1 and "already exists in network back" in p.stderr
    for _ in range(2):  # every start
        svc.dok("start", "c2")
        assert "eth1" in svc.dok("exec", "c2", "ip", "-4", "-o", "addr")
        assert sorted(json.loads(svc.dok("inspect", "-f", "{{json .NetworkSettings.Networks}}",
                                         "c2"))) == ["back", "front"]
        svc.dok("stop", "-t", "0", "c2")
    svc.dok("network", "disconnect", "back", "c2")
    svc.dok("start", "c2")
    assert "eth1" not in svc.dok("exec", "c2", "ip", "-4", "-o", "addr")
    svc.dok("rm", "-f", "c2")
    # several networks in the create request (docker run --network a --network b)
    svc.dok("run", "-d", "--name", "c4", "--network", "front", "--network", "back", "busybox",
            "sleep", "60")
    assert sorted(json.loads(svc.dok("inspect", "-f", "{{json .NetworkSettings.Networks}}",
                                     "c4"))) == ["back", "front"]
    svc.dok("rm", "-f", "c4")
    p = svc.docker("run", "-d", "--name", "c5", "--network", "front", "--network", "nosuch",
                   "busybox", "sleep", "60")
    assert p.returncode == 125 and "network nosuch not found" in p.stderr, p.stderr
    assert svc.docker("inspect", "c5").returncode == 1
    # a later network gone by the start fails the start, naming it, and leaves nothing
    svc.dok("network", "create", "gone")
    svc.dok("create", "--name", "c3", "--network", "front", "busybox", "sleep", "60")
    svc.dok("network", "connect", "gone", "c3")
    svc.dok("network", "rm", "gone")
    p = svc.docker("start", "c3")
    assert p.returncode == 1 and "network gone not found" in p.stderr, p.stderr
    assert svc.dok("inspect", "-f", "{{.State.Status}}", "c3").strip() == "exited"
    assert list(json.loads(svc.dok("network", "inspect", "front"))[0]["Containers"]) == [cid]
    svc.dok("rm", "-f", "c3")
    status, b = svc.json("/networks/back/connect", "-H", "Content-Type: application/json",
                         "-d", '{"Container": "nosuch"}', method="POST")
    assert status == 404 and "No such container: nosuch" in b["message"]
    status, b = svc.json("/networks/nosuch")
    assert status == 404 and b["message"] == "network nosuch not found"
    # what hako cannot give is refused, naming it
    for args, msg in [(["-d", "overlay", "o"], 'the "bridge" driver only, not "overlay"'),
                      (["-o", "com.docker.network.bridge.name=x", "o2"],
                       "network option com.docker.network.bridge.name is not supported"),
                      (["front"], "network with name front already exists")]:
        p = svc.docker("network", "create", *args)
        assert p.returncode == 1 and msg in p.stderr, (args, p.stderr)
    status, b = svc.json("/networks/create", "-H", "Content-Type: application/json",
                         "-d", '{"Name": "front"}', method="POST")
    assert status == 409
    # IPv6 networks (net10's): a ULA subnet given, a v6 address for the container
    svc.dok("network", "create", "--ipv6", "--subnet", "fd00:4ac0:77::/64", "v6net")
    net = json.loads(svc.dok("network", "inspect", "v6net"))[0]
    assert net["EnableIPv6"] is True
    assert "fd00:4ac0:77::/64" in [c["Subnet"] for c in net["IPAM"]["Config"]]
    out = svc.dok("run", "--rm", "--network", "v6net", "busybox", "ip", "-6", "addr", "show",
                  "eth0")
    assert "fd00:4ac0:77:" in out, out
    svc.dok("network", "rm", "v6net")
    status, b = svc.json("/networks/bridge", method="DELETE")
    assert status == 403 and "pre-defined" in b["message"]
    # prune: the unused user networks (front has c1)
    out = svc.dok("network", "prune", "-f")
    assert "back" in out and "front" not in out
    svc.dok("rm", "-f", "c1")
    status, b = svc.json("/networks/prune?filters=" + quote('{"label":["team=b"]}'),
                         method="POST")
    assert status == 200 and b["NetworksDeleted"] == []
    svc.dok("network", "rm", "front")
    assert svc.dok("network", "ls", "--format", "{{.Name}}").split() == ["bridge", "host", "none"]


def test_published_ports_and_inspect(svc):
    port = _free_port()
    svc.dok("run", "-d", "--name", "web", "-p", f"127.0.0.1:{port}:80", "--expose", "9000",
            "-P", "busybox", "sh", "-c", HTTPD)
    assert _http_get(port).startswith("hi-")
    ports = json.loads(svc.dok("inspect", "-f", "{{json .NetworkSettings.Ports}}", "web"))
    assert ports["80/tcp"] == [{"HostIp": "127.0.0.1", "HostPort": str(port)}]
    [p9000] = ports["9000/tcp"]
    assert p9000["HostIp"] == "0.0.0.0" and int(p9000["HostPort"]) > 0
    pb = json.loads(svc.dok("inspect", "-f", "{{json .HostConfig.PortBindings}}", "web"))
    assert pb["80/tcp"] == [{"HostIp": "127.0.0.1", "HostPort": str(port)}]
    assert svc.dok("port", "web", "80").strip() == f"127.0.0.1:{port}"
    assert f"127.0.0.1:{port}->80/tcp" in svc.dok("ps", "--format", "{{.Ports}}")
    net = json.loads(svc.dok("inspect", "-f", "{{json .NetworkSettings.Networks}}", "web"))
    status, bridge = svc.json("/networks/bridge")
    assert list(net) == ["bridge"] and net["bridge"]["NetworkID"] == bridge["Id"]
    # the same port again is an error at run, and nothing is left
    p = svc.docker("run", "-d", "--name", "web2", "-p", f"127.0.0.1:{port}:80", "busybox",
                   "sleep", "5")
    assert p.returncode != 0
    svc.dok("rm", "-f", "web")
    svc.docker("rm", "-f", "web2")


def test_docker_py_networks_and_ports(svc):
    port = _free_port()
    script = f"""
import sys, time, urllib.request, docker
c = docker.DockerClient(base_url=sys.argv[1])
net = c.networks.create("pynet", driver="bridge", labels={{"k": "v"}})
ctr = c.containers.run("busybox", ["sh", "-c", {HTTPD!r}], detach=True, name="pyweb",
                       network="pynet", ports={{"80/tcp": ("127.0.0.1", {port})}})
deadline = time.time() + 20
while True:
    try:
        body = urllib.request.urlopen("http://127.0.0.1:{port}/i", timeout=2).read().decode()
        break
    except OSError:
        assert time.time() < deadline, "no answer"
        time.sleep(0.1)
print("body", body.startswith("hi-"))
ctr.reload()
print("ports", ctr.ports["80/tcp"][0]["HostPort"])
net.reload()
print("members", [x.name for x in net.containers])
other = c.networks.create("pyother")
other.connect(ctr)
ctr.reload()
print("nets", sorted(ctr.attrs["NetworkSettings"]["Networks"]))
other.disconnect(ctr)
other.remove()
ctr.remove(force=True)
net.remove()
print("left", [n.name for n in c.networks.list()])
"""
    p = _docker_py(svc, script)
    assert p.stdout.split("\n")[:5] == ["body True", f"ports {port}", "members ['pyweb']",
                                        "nets ['pynet', 'pyother']",
                                        "left ['bridge', 'host', 'none']"]


def test_healthcheck_through_the_api(svc):
    svc.dok("run", "-d", "--name", "hc", "--health-cmd", "test -e /tmp/ok",
            "--health-interval", "100ms", "--health-retries", "2", "busybox", "sh", "-c",
            "sleep 0.5; touch /tmp/ok; sleep 60")
    wait_for(lambda: svc.dok("inspect", "-f", "{{.State.Health.Status}}", "hc").strip()
             == "healthy", timeout=20, what="healthy")
    h = json.loads(svc.dok("inspect", "-f", "{{json .State.Health}}", "hc"))
    assert h["FailingStreak"] == 0 and h["Log"][-1]["ExitCode"] == 0
    assert svc.dok("ps", "--format", "{{.Status}}").strip().endswith("(healthy)")
    assert svc.dok("ps", "-q", "--filter", "health=healthy").strip()
    assert svc.dok("ps", "-q", "--filter", "health=unhealthy") == ""
    until = str(int(time.time()) + 1)
    acts = svc.dok("events", "--since", "0", "--until", until, "--filter",
                   "event=health_status", "--format", "{{.Action}}").split("\n")
    assert "health_status: healthy" in acts and all(a.startswith("health_status") for a in acts
                                                    if a)
    cfg = json.loads(svc.dok("inspect", "-f", "{{json .Config.Healthcheck}}", "hc"))
    assert cfg["Test"] == ["CMD-SHELL", "test -e /tmp/ok"] and cfg["Retries"] == 2
    svc.dok("rm", "-f", "hc")


def test_list_filters_are_the_engines(svc, engine):
    """The list takes `hako ps`'s filters: every label= must match (docker's MatchKVList, which
    compose's project queries rely on), other keys OR their values, an unknown key is 400."""
    svc.dok("run", "-d", "--name", "l1", "--label", "a=1", "--label", "b=2", "busybox",
            "sleep", "30")
    svc.dok("run", "-d", "--name", "l2", "--label", "a=1", "busybox", "sleep", "30")
    for ps in (svc.dok, lambda *a: engine.ok(*a).stdout):
        assert ps("ps", "--format", "{{.Names}}", "--filter", "label=a=1", "--filter",
                  "label=b=2").split() == ["l1"]
        assert sorted(ps("ps", "--format", "{{.Names}}", "--filter", "label=a=1").split()) == \
            ["l1", "l2"]
        assert sorted(ps("ps", "--format", "{{.Names}}", "--filter", "name=l1", "--filter",
                         "name=l2").split()) == ["l1", "l2"]
    assert svc.dok("ps", "--format", "{{.Names}}", "--filter", "ancestor=busybox",
                   "--filter", "status=running", "--filter", "name=l2").split() == ["l2"]
    p = svc.docker("ps", "--filter", "nope=1")
    assert p.returncode != 0 and "Invalid filter 'nope'" in p.stderr
    svc.dok("rm", "-f", "l1", "l2")
