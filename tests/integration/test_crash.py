"""Crash safety: what a SIGKILL, a race or a frozen cgroup leaves behind.

A kill at an exact step is made deterministic with HAKO_FAILPOINT=NAME (the process SIGKILLs
itself when it reaches that point; NAME:stop makes it SIGSTOP itself). Each test kills or races
a command there and then checks, as a user would, that the container is visible, removable,
and that nothing (mount, cgroup, process, state dir) is left: the no_leaks fixture checks the
machine-wide part after each test."""
import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import HAKO, RUNTIME, run


def wait_until(pred, timeout=20, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def alive(pid):
    """Whether pid runs (a zombie waiting for its reaper does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] not in "ZX"
    except OSError:
        return False


def failing(env_point):
    return dict(os.environ, HAKO_FAILPOINT=env_point)


def cgroup_dirs(name):
    """Every cgroup directory in any hierarchy whose name contains name."""
    found = []
    for root, dirs, _ in os.walk("/sys/fs/cgroup"):
        for d in dirs:
            if name in d:
                found.append(os.path.join(root, d))
    return found


def procs_in(root):
    """Processes whose command line or environment names root (monitors, inits of ours)."""
    found = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit() and int(d.name) != os.getpid():
            try:
                if str(root).encode() in (d / "cmdline").read_bytes():
                    found.append(int(d.name))
            except OSError:
                pass
    return found


# --- 1. parallel starts of one container --------------------------------------------------------

def test_parallel_starts_of_one_container(engine):
    cid = engine.ok("create", "--name", "par", "busybox", "sleep", "600").stdout.strip()
    procs = [subprocess.Popen(engine.argv("start", "par"), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(20)]
    outs = [p.communicate(timeout=120) + (p.returncode,) for p in procs]
    # every start succeeds as docker's does: the winner starts it, the others find it running
    assert [o[2] for o in outs] == [0] * 20, [o[1] for o in outs if o[2]]
    assert all(o[0] == "par\n" for o in outs)
    st = engine.inspect("par")["State"]
    assert st["Status"] == "running" and st["Running"], st
    assert st["Error"] == "" and st["ExitCode"] == 0
    assert alive(st["Pid"])
    # one container process, and stop really stops it
    engine.ok("stop", "-t", "1", "par")
    assert engine.inspect("par")["State"]["Status"] == "exited"
    wait_until(lambda: not alive(st["Pid"]), what="the container to end")
    engine.ok("rm", cid)


# --- 2. paused containers -----------------------------------------------------------------------

def test_runtime_delete_force_of_a_paused_container(rt, bundle):
    rt.run("paused1", bundle.sh("sleep 600"), "--detach").check_returncode()
    pid = rt.state("paused1")["pid"]
    rt.ok("pause", "paused1")
    assert rt.state("paused1")["status"] == "paused"
    t0 = time.time()
    p = rt("delete", "--force", "paused1", timeout=30)
    assert p.returncode == 0, p.stderr
    assert time.time() - t0 < 5, "delete waited for a thaw that never came"
    assert not alive(pid)
    assert not cgroup_dirs("paused1")
    assert rt("state", "paused1").returncode != 0
    assert json.loads(rt.ok("list", "--format", "json").stdout) in (None, [])  # runc: null


def record_of(engine, cid):
    return json.loads((engine.root / "containers" / cid / "container.json").read_text())


def kill_monitor(engine, cid):
    mpid = record_of(engine, cid)["Hako"]["MonitorPid"]
    assert mpid > 0
    os.kill(mpid, signal.SIGKILL)
    wait_until(lambda: not alive(mpid), what="monitor gone")


@pytest.mark.parametrize("then", ["unpause", "rm"])
def test_paused_container_whose_monitor_died(engine, then):
    cid = engine.ok("run", "-d", "busybox", "sleep", "600").stdout.strip()
    pid = engine.inspect(cid)["State"]["Pid"]
    engine.ok("pause", cid)
    kill_monitor(engine, cid)
    if then == "unpause":
        p = engine("unpause", cid, timeout=30)
        # the container died with its monitor: the record says so, and unpause says why
        assert p.returncode != 0 and "is not paused" in p.stderr, p.stderr
        st = engine.inspect(cid)["State"]
        assert st["Status"] == "exited" and "monitor" in st["Error"], st
        assert not alive(pid)
        engine.ok("start", cid)
        assert engine.inspect(cid)["State"]["Status"] == "running"
    p = engine("rm", "-f", cid, timeout=30)
    assert p.returncode == 0, p.stderr
    assert not alive(pid)
    assert engine.ok("ps", "-aq").stdout == ""
    assert not cgroup_dirs(cid[:12])


# --- 3. hako-runtime create killed mid-way ------------------------------------------------------

CREATE_POINTS = ["create-state-dir", "create-cgroup", "create-spawned", "create-served"]


def assert_runtime_clean(rt, cid):
    assert rt("state", cid).returncode != 0
    assert not (Path(rt.root) / cid).exists(), "state dir left"
    assert not cgroup_dirs(cid), f"cgroups left: {cgroup_dirs(cid)}"
    assert not procs_in(rt.root) and not procs_in(cid)


@pytest.mark.parametrize("point", CREATE_POINTS)
def test_runtime_create_killed_mid_way(rt, bundle, point):
    cid = "half-" + point
    p = rt.create(cid, bundle.sh("sleep 600"), env=failing(point))
    assert p.returncode == -signal.SIGKILL, (p.returncode, p.stderr)
    # list shows the half-made container (stopped: its create is gone)
    listed = {c["id"]: c for c in json.loads(rt.ok("list", "--format", "json").stdout) or []}
    assert cid in listed, listed
    assert listed[cid]["status"] in ("stopped", "created"), listed[cid]
    assert cid in rt.ok("list").stdout
    p = rt("delete", "--force", cid, timeout=30)
    assert p.returncode == 0, p.stderr
    assert_runtime_clean(rt, cid)
    # and the id works again
    rt.create(cid, bundle.sh("sleep 600")).check_returncode()
    rt.ok("delete", "--force", cid)
    assert_runtime_clean(rt, cid)


def test_runtime_list_shows_a_create_in_progress(rt, bundle):
    p = subprocess.Popen([RUNTIME, "--root", rt.root, "create", "--bundle", bundle.sh("true"),
                          "inprog"], env=failing("create-cgroup:stop"))
    rt.ids.add("inprog")
    try:
        def status():
            for c in json.loads(rt.ok("list", "--format", "json").stdout) or []:
                if c["id"] == "inprog":
                    return c["status"]
        assert wait_until(status, what="the container in list") == "creating"
    finally:
        p.kill()
        p.wait()
    rt.ok("delete", "--force", "inprog")
    assert_runtime_clean(rt, "inprog")


# --- 4. `hako run` killed while the record is written -------------------------------------------

def container_dirs(engine):
    d = engine.root / "containers"
    return sorted(p.name for p in d.iterdir() if len(p.name) == 64) if d.exists() else []


@pytest.mark.parametrize("then", ["ps", "rm"])
def test_run_killed_while_the_record_is_written(engine, then):
    p = engine("run", "--name", "torn", "busybox", "true", env=failing("record-dir"))
    assert p.returncode == -signal.SIGKILL, (p.returncode, p.stderr)
    [cid] = container_dirs(engine)
    assert not (engine.root / "containers" / cid / "container.json").exists()
    if then == "ps":
        # the next scanning command removes what no record describes
        assert engine.ok("ps", "-a").stdout.splitlines()[1:] == []
    else:
        p = engine("rm", "-f", cid[:12])
        assert p.returncode == 0, p.stderr
    assert container_dirs(engine) == []
    assert engine.ok("run", "--rm", "--name", "torn", "busybox", "echo", "ok").stdout == "ok\n"


# --- 5. a --rm container whose monitor died -----------------------------------------------------

@pytest.mark.parametrize("then", ["ps", "rm"])
def test_rm_container_whose_monitor_died_is_removed(engine, then):
    cid = engine.ok("run", "-d", "--rm", "busybox", "sleep", "600").stdout.strip()
    pid = engine.inspect(cid)["State"]["Pid"]
    kill_monitor(engine, cid)
    if then == "ps":
        assert cid[:12] not in engine.ok("ps", "-a").stdout
    else:
        p = engine("rm", "-f", cid)
        assert p.returncode == 0, p.stderr
    # removed as the monitor would have: record, rootfs, runtime state, the container itself
    assert container_dirs(engine) == []
    assert not alive(pid)
    assert engine("inspect", cid).returncode != 0
    assert engine.ok("ps", "-aq").stdout == ""
