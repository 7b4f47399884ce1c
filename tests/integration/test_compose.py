"""docker-compose (Debian's 1.29.2) against `hako system service`: a 2-service app with user
networks (one service on two), a named volume, a published port and `depends_on: condition: service_healthy` (the
healthcheck run by the container's own monitor), brought up and torn down with `down -v`."""
import json
import os
import shutil
import socket
import subprocess
import time

import pytest

from conftest import run
from test_api import Service

COMPOSE = shutil.which("docker-compose")
pytestmark = pytest.mark.skipif(not COMPOSE or not os.path.exists("/usr/local/bin/docker"),
                                reason="no docker-compose (scripts/deps.sh) or docker CLI")

APP = """version: "2.4"
services:
  db:
    image: busybox
    command: sh -c "sleep 1; echo stored-$$HOSTNAME > /data/v; touch /tmp/ready; exec sleep 300"
    volumes: ["data:/data"]
    networks: [appnet]
    stop_grace_period: 1s
    healthcheck:
      test: ["CMD", "test", "-e", "/tmp/ready"]
      interval: 200ms
      retries: 50
  web:
    image: busybox
    command: sh -c "mkdir /w && cat /data/v > /w/i && exec httpd -f -p 80 -h /w"
    ports: ["127.0.0.1:PORT:80"]
    volumes: ["data:/data"]
    networks: [appnet, side]
    stop_grace_period: 1s
    depends_on:
      db:
        condition: service_healthy
networks:
  appnet: {}
  side: {}
volumes:
  data: {}
"""


@pytest.fixture
def svc(engine):
    s = Service(engine).start()
    yield s
    s.cleanup()


def compose(svc, proj_dir, *args, timeout=120):
    return subprocess.run([COMPOSE, "-p", "app", *args], cwd=proj_dir, env=svc.env(),
                          capture_output=True, text=True, timeout=timeout)


def test_compose_up_healthy_dependency_and_down(svc, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proj = tmp_path / "app"
    proj.mkdir()
    (proj / "docker-compose.yml").write_text(APP.replace("PORT", str(port)))
    p = compose(svc, proj, "up", "-d")
    assert p.returncode == 0, p.stderr
    # up returned: web was started only after db was healthy, so its page is db's value
    db = json.loads(svc.dok("inspect", "app_db_1"))[0]
    web = json.loads(svc.dok("inspect", "app_web_1"))[0]
    assert db["State"]["Health"]["Status"] == "healthy"
    events = [json.loads(line) for line in (svc.engine.root / "events.log").read_text()
              .splitlines()]

    def when(name, action):
        return min(e["timeNano"] for e in events
                   if e["Actor"]["Attributes"].get("name") == name and e["Action"] == action)

    assert when("app_db_1", "health_status: healthy") < when("app_web_1", "start")
    deadline = time.time() + 15
    while True:
        r = run(["curl", "-sf", "--max-time", "2", f"http://127.0.0.1:{port}/i"], timeout=5)
        if r.returncode == 0:
            break
        assert time.time() < deadline, "web does not answer"
        time.sleep(0.1)
    assert r.stdout == f"stored-{db['Config']['Hostname']}\n"
    # the user network, the named volume and the port, as docker shows them
    assert sorted(web["NetworkSettings"]["Networks"]) == ["app_appnet", "app_side"]
    addrs = svc.dok("exec", "app_web_1", "ip", "-4", "-o", "addr")
    assert "eth0" in addrs and "eth1" in addrs
    net = json.loads(svc.dok("network", "inspect", "app_appnet"))[0]
    assert sorted(c["Name"] for c in net["Containers"].values()) == ["app_db_1", "app_web_1"]
    assert net["Labels"]["com.docker.compose.project"] == "app"
    assert [m["Name"] for m in web["Mounts"] if m["Type"] == "volume"] == ["app_data"]
    assert web["NetworkSettings"]["Ports"]["80/tcp"] == [{"HostIp": "127.0.0.1",
                                                          "HostPort": str(port)}]
    ps = compose(svc, proj, "ps")
    assert ps.returncode == 0, ps.stderr
    rows = [line for line in ps.stdout.splitlines() if line.startswith("app_")]
    assert len(rows) == 2, ps.stdout
    assert "Up (healthy)" in next(r for r in rows if r.startswith("app_db_1"))
    assert f"127.0.0.1:{port}->80/tcp" in next(r for r in rows if r.startswith("app_web_1"))
    p = compose(svc, proj, "down", "-v")
    assert p.returncode == 0, p.stderr
    assert svc.dok("ps", "-aq") == ""
    assert svc.dok("network", "ls", "--format", "{{.Name}}").split() == ["bridge", "host", "none"]
    assert svc.dok("volume", "ls", "-q") == ""


BUILD_APP = """version: "2.4"
services:
  api:
    build:
      context: ./api
      args: {GREETING: built-by-compose}
    image: app_api:latest
    command: sh -c "exec httpd -f -p 8000 -h /srv"
    networks: [net]
    stop_grace_period: 1s
  client:
    image: busybox
    command: sh -c "until wget -qO- http://api:8000/index.html; do sleep 0.2; done > /tmp/got; exec sleep 300"
    networks: [net]
    stop_grace_period: 1s
    depends_on: [api]
networks:
  net: {}
"""


def test_compose_build_and_service_names(svc, tmp_path):
    """compose's build: goes through POST /build (the classic builder's endpoint), and the
    services reach each other by name on their network."""
    proj = tmp_path / "b"
    (proj / "api").mkdir(parents=True)
    (proj / "api" / "Dockerfile").write_text(
        "FROM busybox\nARG GREETING\nRUN mkdir /srv && echo $GREETING > /srv/index.html\n")
    (proj / "docker-compose.yml").write_text(BUILD_APP)
    p = compose(svc, proj, "up", "-d", "--build", timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    img = json.loads(svc.dok("image", "inspect", "app_api:latest"))[0]
    assert img["Id"].startswith("sha256:")
    deadline = time.time() + 30
    while True:
        r = svc.docker("exec", "app_client_1", "cat", "/tmp/got")
        if r.returncode == 0 and r.stdout.strip():
            break
        assert time.time() < deadline, "the client never reached api by name"
        time.sleep(0.2)
    assert r.stdout.strip() == "built-by-compose"
    p = compose(svc, proj, "down")
    assert p.returncode == 0, p.stderr
    assert svc.dok("ps", "-aq") == ""
