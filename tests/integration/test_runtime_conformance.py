"""hako-runtime behaves as runc and crun do where users can tell (issue 14's Behaviour list)."""
import json
import os

import pytest

from conftest import RUNTIME, run


def test_loopback_is_up_in_a_new_network_namespace(rt, bundle):
    bundle.sh("cat /sys/class/net/lo/flags")
    p = rt.run("lo", bundle)
    assert p.returncode == 0, p.stderr
    assert int(p.stdout, 16) & 0x1                      # IFF_UP


def test_kill_signal_zero_probes(rt, bundle):
    bundle.set_args("sleep", "30")
    rt.create("probe0", bundle).check_returncode()
    assert rt("kill", "probe0", "0").returncode == 0
    assert rt.state("probe0")["status"] == "created"      # nothing was delivered
    rt.ok("kill", "probe0", "KILL")
    for _ in range(200):
        if rt.state("probe0")["status"] == "stopped":
            break
        import time
        time.sleep(0.02)
    p = rt("kill", "probe0", "0")
    assert p.returncode == 1 and "is not running" in p.stderr


def test_list_is_sorted_by_id(rt, bundle):
    bundle.set_args("sleep", "30")
    ids = ["m", "b2", "z", "a10", "a1", "c3", "B"]
    for cid in ids:
        rt.create(cid, bundle).check_returncode()
    assert rt.ok("list", "-q").stdout.split() == sorted(ids)
    j = json.loads(rt.ok("list", "--format", "json").stdout)
    assert [c["id"] for c in j] == sorted(ids)


def test_device_access_rwa_is_accepted(rt, bundle):
    bundle.config["linux"]["resources"]["devices"] = [
        {"allow": False, "access": "rwm"},
        {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rwa"}]
    bundle.sh("echo x > /dev/null && echo written")
    p = rt.run("rwa", bundle)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "written\n"


def test_run_keep_leaves_the_stopped_container(rt, bundle):
    bundle.sh("exit 3")
    p = rt.run("kept", bundle, "--keep")
    assert p.returncode == 3, p.stderr
    assert rt.state("kept")["status"] == "stopped"
    rt.ok("delete", "kept")
    assert not (rt.root / "kept").exists()
    p = rt.run("notkept", bundle)
    assert p.returncode == 3 and not (rt.root / "notkept").exists()


def run_on_a_pty(rt, cid, bundle, *extra, until=b"END"):
    """hako-runtime run with a terminal, its own stdio a pty of ours; returns (status, output)."""
    import pty
    import subprocess
    import time
    master, slave = pty.openpty()
    rt.ids.add(cid)
    out = b""
    try:
        p = subprocess.Popen([str(RUNTIME), "--root", str(rt.root), *extra, "--bundle",
                              str(bundle), cid], stdin=slave, stdout=slave, stderr=slave)
        os.close(slave)
        slave = -1
        deadline = time.time() + 10
        while time.time() < deadline and until not in out:
            try:
                out += os.read(master, 1024)
            except OSError:
                break
        status = p.wait(timeout=10)
    finally:
        os.close(master)
        if slave >= 0:
            os.close(slave)
    return status, out.decode(errors="replace")


def test_pty_is_owned_by_the_process_user(rt, bundle):
    bundle.config["process"]["terminal"] = True
    bundle.config["process"]["user"] = {"uid": 1000, "gid": 1000}
    bundle.sh("stat -c 'owner=%u:%g' $(tty); echo END")
    status, out = run_on_a_pty(rt, "ptyown", bundle, "run")
    assert status == 0, out
    assert "owner=1000:5" in out          # the user's; the group stays devpts' tty (gid=5)


@pytest.mark.parametrize("mode, tag", [
    ("unbindable", "unbindable"), ("runbindable", "unbindable"), ("slave", None),
    ("rslave", None), ("private", None), ("rprivate", None), ("shared", "shared:"),
    ("rshared", "shared:")])
def test_rootfs_propagation_every_mode(rt, bundle, mode, tag):
    bundle.config["linux"]["rootfsPropagation"] = mode
    bundle.sh("awk '$5 == \"/\"' /proc/self/mountinfo")
    p = rt.run("prop", bundle)
    assert p.returncode == 0, p.stderr
    optional = p.stdout.split(" - ")[0].split()[6:]     # mountinfo's optional fields
    if tag:
        assert any(f.startswith(tag) for f in optional), p.stdout
    else:
        assert not any(f.startswith(("shared:", "unbindable")) for f in optional), p.stdout


def test_failing_poststart_and_poststop_hooks_warn_and_the_rest_run(rt, bundle, tmp_path):
    log = tmp_path / "hooks.log"

    def hook(script):
        return {"path": "/bin/sh", "args": ["sh", "-c", script]}
    bundle.config["hooks"] = {
        "poststart": [hook("exit 3"), hook(f"echo poststart-after >> {log}")],
        "poststop": [hook("exit 4"), hook(f"echo poststop-after >> {log}")],
    }
    bundle.set_args("true")
    p = rt.run("hookwarn", bundle)
    assert p.returncode == 0, p.stderr
    assert log.read_text().split() == ["poststart-after", "poststop-after"]
    assert "poststart hook 0: '/bin/sh' exited with status 3" in p.stderr
    assert "poststop hook 0: '/bin/sh' exited with status 4" in p.stderr


def test_hook_without_env_gets_the_runtimes_environment(rt, bundle, tmp_path):
    out = tmp_path / "env.out"
    bundle.config["hooks"] = {"prestart": [
        {"path": "/bin/sh", "args": ["sh", "-c", f"echo \"$HAKO_HOOK_PROBE\" > {out}"]}]}
    bundle.set_args("true")
    p = rt.run("hookenv", bundle, env={**os.environ, "HAKO_HOOK_PROBE": "from-runtime"})
    assert p.returncode == 0, p.stderr
    assert out.read_text() == "from-runtime\n"


def test_mounts_appear_in_config_order(rt, bundle, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "f").write_text("bound\n")
    bundle.config["mounts"] += [
        {"destination": "/t1", "type": "tmpfs", "source": "tmpfs"},
        {"destination": "/b1", "type": "bind", "source": str(src), "options": ["bind", "ro"]},
        {"destination": "/t2", "type": "tmpfs", "source": "tmpfs"},
        # stacked: the bind over the tmpfs at the same place is what shows
        {"destination": "/t2", "type": "bind", "source": str(src), "options": ["bind"]},
    ]
    bundle.sh("awk '{print $5}' /proc/self/mountinfo; cat /t2/f; touch /b1/x 2>/dev/null"
              " || echo ro")
    p = rt.run("order", bundle)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.split()
    order = [d for d in lines if d in ("/t1", "/b1", "/t2")]
    assert order == ["/t1", "/b1", "/t2", "/t2"], lines
    assert lines[-2:] == ["bound", "ro"]


@pytest.mark.parametrize("terminal", [False, True], ids=["pipes", "terminal"])
def test_read_only_dev(rt, bundle, terminal):
    for m in bundle.config["mounts"]:
        if m["destination"] == "/dev":
            m["options"] = m.get("options", []) + ["ro"]
    bundle.config["process"]["terminal"] = terminal
    bundle.sh("ls /dev/pts/ptmx /dev/null /dev/shm >/dev/null && echo x > /dev/null &&"
              " (touch /dev/new 2>/dev/null || echo dev-ro); echo END")
    if terminal:
        status, out = run_on_a_pty(rt, "rodev", bundle, "run")
    else:
        p = rt.run("rodev", bundle)
        status, out = p.returncode, p.stdout + p.stderr
    assert status == 0, out
    assert "dev-ro" in out and "END" in out


def test_tmpfs_takes_the_mode_of_the_directory_it_covers(rt, bundle):
    (bundle.rootfs / "covered").mkdir(mode=0o700)
    os.chmod(bundle.rootfs / "covered", 0o710)
    bundle.config["mounts"] += [
        {"destination": "/covered", "type": "tmpfs", "source": "tmpfs"},
        {"destination": "/given", "type": "tmpfs", "source": "tmpfs", "options": ["mode=751"]},
        {"destination": "/new/dir", "type": "tmpfs", "source": "tmpfs"}]
    bundle.sh("stat -c '%n %a' /covered /given /new/dir")
    p = rt.run("tmpfsmode", bundle)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == ["/covered 710", "/given 751", "/new/dir 755"]
