"""hako-runtime: bad input gets a clear error naming the file, field or argument, a non-zero
exit, and leaves nothing behind (the autouse leak check covers mounts, cgroups, processes)."""
import json
import os

import pytest

from conftest import RUNTIME, run


def assert_nothing_left(rt, cid):
    assert not (rt.root / cid).exists(), f"state of {cid} left behind"


def test_missing_config(rt, tmp_path):
    p = rt("create", "--bundle", tmp_path, "nocfg")
    assert p.returncode == 1
    assert f"{tmp_path}/config.json" in p.stderr and "No such file" in p.stderr
    assert_nothing_left(rt, "nocfg")


def test_missing_bundle(rt, tmp_path):
    p = rt("create", "--bundle", tmp_path / "nope", "nobundle")
    assert p.returncode == 1 and "nope" in p.stderr


def test_malformed_json_names_line_and_column(rt, bundle):
    bundle.write()
    (bundle.path / "config.json").write_text('{\n  "ociVersion": "1.0.0",\n  "root": {,\n}\n')
    p = rt("create", "--bundle", bundle.path, "badjson")
    assert p.returncode == 1
    assert "config.json:3:" in p.stderr and "not valid JSON" in p.stderr
    assert_nothing_left(rt, "badjson")


def test_wrong_type_names_json_path_and_line(rt, bundle):
    bundle.config["process"]["user"]["uid"] = "zero"
    bundle.write()
    text = (bundle.path / "config.json").read_text()
    line = text[:text.index('"zero"')].count("\n") + 1
    p = rt("create", "--bundle", bundle.path, "badtype")
    assert p.returncode == 1
    assert f"config.json:{line}: process.user.uid: expected an integer, got a string" in p.stderr
    assert_nothing_left(rt, "badtype")


@pytest.mark.parametrize("mutate, expected", [
    (lambda c: c["linux"]["namespaces"].append({"type": "bogus"}),
     "linux.namespaces[6].type: unknown namespace type 'bogus'"),
    (lambda c: c["mounts"].append({"destination": "relative/path", "type": "tmpfs"}),
     "mounts[7].destination: 'relative/path' is not an absolute path"),
    (lambda c: c["process"].update(args=[]),
     "process.args: at least one argument"),
    (lambda c: c["process"].update(cwd="rel"),
     "process.cwd: 'rel' is not an absolute path"),
    (lambda c: c["process"]["capabilities"]["bounding"].append("CAP_NOPE"),
     "process.capabilities.bounding[3]: unknown capability 'CAP_NOPE'"),
    (lambda c: c["process"]["rlimits"].append({"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}),
     "process.rlimits[1].type: unknown rlimit 'RLIMIT_BOGUS'"),
    (lambda c: c.update(ociVersion="2.0.0"), "ociVersion: unsupported version '2.0.0'"),
    (lambda c: c["linux"]["devices"].__class__ if False else
     c["linux"].update(devices=[{"path": "/dev/x", "type": "z", "major": 1, "minor": 1}]),
     "linux.devices[0].type: 'z' is not a device type"),
    (lambda c: c["linux"].update(uidMappings=[{"containerID": 0, "hostID": 1000, "size": 1}]),
     "id mappings need a user namespace"),
])
def test_invalid_fields(rt, bundle, mutate, expected):
    mutate(bundle.config)
    p = rt.create("invalid", bundle)
    assert p.returncode == 1
    assert expected in p.stderr, p.stderr
    assert "config.json:" in p.stderr
    assert_nothing_left(rt, "invalid")


def test_bundle_without_rootfs(rt, bundle):
    import shutil
    shutil.rmtree(bundle.rootfs)
    p = rt.create("noroot", bundle)
    assert p.returncode == 1 and "root.path" in p.stderr and "rootfs" in p.stderr
    assert_nothing_left(rt, "noroot")


def test_missing_executable_fails_at_create(rt, bundle):
    bundle.set_args("no-such-program")
    p = rt.create("noexe", bundle)
    assert p.returncode == 1
    assert 'exec: "no-such-program": executable file not found in $PATH' in p.stderr
    assert_nothing_left(rt, "noexe")


def test_duplicate_id(rt, bundle):
    bundle.set_args("sleep", "60")
    rt.create("dup", bundle).check_returncode()
    pid = rt.state("dup")["pid"]
    p = rt.create("dup", bundle)
    assert p.returncode == 1 and "container 'dup' already exists" in p.stderr
    st = rt.state("dup")                        # the first one is untouched
    assert st["status"] == "created" and st["pid"] == pid


@pytest.mark.parametrize("args", [["start"], ["state"], ["kill"], ["delete"],
                                  ["kill", "--all"]])
def test_nonexistent_id_for_every_command(rt, args):
    p = rt(*args, "ghost")
    assert p.returncode == 1
    assert "container 'ghost' does not exist" in p.stderr
    assert p.stdout == ""


def test_delete_force_of_missing_container_succeeds(rt):
    assert rt("delete", "--force", "ghost").returncode == 0


@pytest.mark.parametrize("bad", ["../escape", ".hidden", "a/b", "x" * 1025])
def test_invalid_ids(rt, bundle, bad):
    p = rt.create(bad, bundle)
    assert p.returncode == 1 and "invalid container id" in p.stderr
    assert list(rt.root.iterdir()) == [] if rt.root.exists() else True


def test_unknown_command_and_option():
    p = run([RUNTIME, "frob"])
    assert p.returncode == 1 and "'frob' is not a hako-runtime command" in p.stderr
    p = run([RUNTIME, "create", "--frob", "x"])
    assert p.returncode == 1 and "create" in p.stderr


def test_missing_id():
    p = run([RUNTIME, "start"])
    assert p.returncode == 1 and "start: a container id is required" in p.stderr


def test_systemd_cgroup_is_a_clear_error(rt, bundle):
    p = run([RUNTIME, "--root", rt.root, "--systemd-cgroup", "create", "--bundle", bundle, "sd"])
    assert p.returncode == 1 and "--systemd-cgroup is not supported" in p.stderr
    assert_nothing_left(rt, "sd")


def test_rootless_flag_is_checked_not_ignored(rt):
    # runc's --rootless true|false|auto: as root, false and auto mean the normal path
    p = run([RUNTIME, "--root", rt.root, "--rootless", "auto", "list", "-q"])
    assert p.returncode == 0, p.stderr
    p = run([RUNTIME, "--root", rt.root, "--rootless", "false", "list", "-q"])
    assert p.returncode == 0, p.stderr
    p = run([RUNTIME, "--root", rt.root, "--rootless", "true", "list"])
    assert p.returncode == 1 and "--rootless true: rootless mode is not implemented" in p.stderr
    p = run([RUNTIME, "--root", rt.root, "--rootless", "maybe", "list"])
    assert p.returncode == 1 and "'maybe' is not true, false or auto" in p.stderr


def test_log_file_json(rt, tmp_path):
    log = tmp_path / "log.json"
    p = run([RUNTIME, "--root", rt.root, "--log", log, "--log-format", "json", "state", "ghost"])
    assert p.returncode == 1
    line = json.loads(log.read_text().splitlines()[-1])
    assert line["level"] == "error" and "ghost" in line["msg"] and line["time"].endswith("Z")
