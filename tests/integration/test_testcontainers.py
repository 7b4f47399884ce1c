"""testcontainers for Node (10.x, from the npm registry) against `hako system service`: a
container started with a log-message wait, exec'd into and stopped; a server published on a
random port waited for and fetched from the host. Ryuk (the reaper, an image from Docker Hub)
is disabled: the test removes what it made."""
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import HAKO
from test_api import DOCKER, Service  # noqa: F401

TC_VERSION = "10.28.0"


@pytest.fixture(scope="session")
def tc_modules():
    """node_modules with testcontainers, installed once into the build directory."""
    if not shutil.which("node") or not shutil.which("npm"):
        pytest.skip("node and npm are not installed")
    d = Path(HAKO).parent / "npm-testcontainers"
    if not (d / "node_modules" / "testcontainers" / "package.json").exists():
        d.mkdir(parents=True, exist_ok=True)
        (d / "package.json").write_text('{"name": "hako-tc", "private": true}\n')
        p = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent",
                            f"testcontainers@{TC_VERSION}"], cwd=d, capture_output=True,
                           text=True, timeout=600)
        if p.returncode != 0:
            pytest.skip(f"npm could not install testcontainers: {p.stderr[-300:]}")
    return d


def node(svc, modules, script, timeout=180):
    f = modules / f"t{os.getpid()}.mjs"
    f.write_text(script)
    env = dict(os.environ, DOCKER_HOST=f"unix://{svc.sock}", TESTCONTAINERS_RYUK_DISABLED="true")
    try:
        return subprocess.run(["node", f], cwd=modules, env=env, capture_output=True, text=True,
                              timeout=timeout)
    finally:
        f.unlink()


@pytest.fixture
def svc(engine):
    s = Service(engine).start()
    yield s
    s.cleanup()


def test_log_wait_exec_stop(svc, tc_modules):
    p = node(svc, tc_modules, """
import { GenericContainer, Wait } from "testcontainers";
const c = await new GenericContainer("busybox")
  .withCommand(["sh", "-c", "echo booting; sleep 0.3; echo ready; exec sleep 600"])
  .withWaitStrategy(Wait.forLogMessage("ready"))
  .start();
const r = await c.exec(["sh", "-c", "echo hi-from-exec; exit 3"]);
console.log(JSON.stringify({code: r.exitCode, out: r.output.trim(), id: c.getId()}));
await c.stop();
""")
    assert p.returncode == 0 and p.stdout.strip(), p.stdout + p.stderr
    r = json.loads(p.stdout.strip().splitlines()[-1])
    assert r["code"] == 3 and r["out"] == "hi-from-exec"
    # stopped and removed (testcontainers removes on stop)
    assert svc.dok("ps", "-aq") == ""


def test_published_port_wait_and_fetch(svc, tc_modules):
    p = node(svc, tc_modules, """
import { GenericContainer, Wait } from "testcontainers";
const c = await new GenericContainer("busybox")
  .withCommand(["sh", "-c", "mkdir -p /www && echo served-by-hako > /www/index.html && exec httpd -f -p 8080 -h /www"])
  .withExposedPorts(8080)
  .withWaitStrategy(Wait.forListeningPorts())
  .start();
const port = c.getMappedPort(8080);
const body = await (await fetch(`http://127.0.0.1:${port}/index.html`)).text();
console.log(JSON.stringify({port, body: body.trim()}));
await c.stop();
""")
    assert p.returncode == 0 and p.stdout.strip(), p.stdout + p.stderr
    r = json.loads(p.stdout.strip().splitlines()[-1])
    assert r["body"] == "served-by-hako" and r["port"] > 0
    assert svc.dok("ps", "-aq") == ""
