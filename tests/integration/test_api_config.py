"""`hako system service --config-file daemon.json`: dockerd's keys where hako has what they
configure, errors naming the key for the rest, dockerd's flag/file conflict rule, and the
request log (method, path, status, duration) at debug level."""
import json
import subprocess

import pytest

from test_api import DOCKER, Service
from test_engine_basic import wait_for

pytestmark = pytest.mark.skipif(not __import__("os").path.exists(DOCKER), reason="no docker CLI")


def service_argv(engine, *args):
    return engine.argv("system", "service", "--time", "0", *map(str, args))


def refused(engine, tmp_path, cfg, *args):
    f = tmp_path / "daemon.json"
    f.write_text(cfg if isinstance(cfg, str) else json.dumps(cfg, indent=1))
    p = subprocess.run(service_argv(engine, "--config-file", f, *args), capture_output=True,
                       text=True, timeout=20)
    assert p.returncode == 1, p.stderr   # dockerd exits 1 on a bad daemon.json
    return p.stderr


def test_bad_files_are_errors_naming_the_key(engine, tmp_path):
    err = refused(engine, tmp_path, {"frobnicate": 1})
    assert "don't match any configuration option: frobnicate" in err
    err = refused(engine, tmp_path, '{\n "hosts": [],\n "debug": "yes"\n}\n')
    assert "daemon.json:3: \"debug\": expected true or false" in err
    err = refused(engine, tmp_path, {"live-restore": False})
    assert "\"live-restore\"" in err and "cannot be false" in err
    err = refused(engine, tmp_path, {"registry-mirrors": ["http://127.0.0.1:1"]})
    assert "\"registry-mirrors\": not supported by hako" in err
    err = refused(engine, tmp_path, {"default-runtime": "runc"})
    assert "\"default-runtime\": only \"hako\"" in err
    err = refused(engine, tmp_path, {"tls": True})
    assert "\"tls\"" in err and "tlsverify" in err
    err = refused(engine, tmp_path, {"default-ulimits": {"nofile": {"Soft": 10, "Hard": 5}}})
    assert "\"default-ulimits\"" in err and "nofile" in err
    err = refused(engine, tmp_path, "{ not json")
    assert "--config-file: " in err and "daemon.json:1:5:" in err
    p = subprocess.run(service_argv(engine, "--config-file", tmp_path / "nope.json"),
                       capture_output=True, text=True, timeout=20)
    assert p.returncode != 0 and "nope.json" in p.stderr


def test_flag_and_file_conflict_as_dockerd(engine, tmp_path):
    err = refused(engine, tmp_path, {"hosts": [f"unix://{tmp_path}/a.sock"]},
                  "-H", f"unix://{tmp_path}/b.sock")
    assert ("specified both as a flag and in the configuration file: hosts: "
            f"(from flag: [unix://{tmp_path}/b.sock], from file: [unix://{tmp_path}/a.sock])"
            in err)
    err = refused(engine, tmp_path, {"debug": False}, "--debug")
    assert "both as a flag and in the configuration file: debug" in err
    err = refused(engine, tmp_path, {"log-level": "info"}, "--log-format", "yaml", "-l", "warn")
    assert "log-level" in err


@pytest.fixture
def configured(engine, tmp_path):
    """A service whose socket, limits and logging all come from daemon.json."""
    svc = Service(engine)
    log = svc.dir / "requests.log"
    cfg = {"hosts": [f"unix://{svc.sock}"], "debug": True, "live-restore": True,
           "default-runtime": "hako",
           "default-ulimits": {"nofile": {"Name": "nofile", "Soft": 321, "Hard": 654}}}
    (svc.dir / "daemon.json").write_text(json.dumps(cfg))
    svc.log = open(svc.dir / "service.log", "a")
    svc.proc = subprocess.Popen(
        service_argv(engine, "--config-file", svc.dir / "daemon.json", "--log-file", log,
                     "--log-format", "json"), stdout=svc.log, stderr=svc.log)
    wait_for(svc.ping, what="the service on daemon.json's socket")
    yield svc, log
    svc.cleanup()


def test_config_file_hosts_ulimits_and_request_log(configured):
    svc, log = configured
    out = svc.dok("run", "--rm", "busybox", "sh", "-c", "ulimit -n; ulimit -Hn")
    assert out.split() == ["321", "654"]
    # the container's own limit wins over the default (dockerd's merge)
    out = svc.dok("run", "--rm", "--ulimit", "nofile=100:200", "busybox", "sh", "-c", "ulimit -n")
    assert out.split() == ["100"]
    svc.dok("ps")
    status, _ = svc.json("/containers/nope/json")
    assert status == 404

    def logged():
        lines = [json.loads(l) for l in log.read_text().splitlines() if l.strip()]
        msgs = [" ".join(str(v) for v in l.values()) for l in lines]
        return [m for m in msgs if "GET /containers/nope/json 404" in m] and \
            [m for m in msgs if "/containers/json 200" in m]
    wait_for(logged, what="the request log lines")


def test_data_root_and_exec_root_from_the_file(engine, tmp_path):
    svc = Service(engine)
    other = tmp_path / "other-root"
    cfg = {"hosts": [f"unix://{svc.sock}"], "data-root": str(other),
           "exec-root": str(tmp_path / "other-run")}
    (svc.dir / "daemon.json").write_text(json.dumps(cfg))
    svc.log = open(svc.dir / "service.log", "a")
    svc.proc = subprocess.Popen(service_argv(engine, "--config-file", svc.dir / "daemon.json"),
                                stdout=svc.log, stderr=svc.log)
    try:
        wait_for(svc.ping, what="the service")
        info = json.loads(svc.dok("info", "--format", "{{json .}}"))
        assert info["DockerRootDir"] == str(other) and info["Images"] == 0
        # the engine's own root (with busybox) is not the one served
        assert svc.dok("images", "-q").strip() == ""
    finally:
        svc.cleanup()
