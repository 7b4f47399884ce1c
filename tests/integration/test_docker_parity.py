"""docker CLI parity, continued: --pid/--ipc container:NAME, ps filters publish/expose/network
and -n/-l/-s, images filters, update, system df/prune, image prune. The expected outputs and
exit codes are docker's documented ones."""
import os

import pytest

from conftest import wait_for


def test_pid_and_ipc_join_a_running_container(engine):
    engine.ok("run", "-d", "--name", "donor", "--ipc", "shareable", "--shm-size", "8m",
              "busybox", "sh", "-c", "echo hi > /dev/shm/x; exec sleep 100")
    wait_for(lambda: engine("exec", "donor", "pidof", "sleep").returncode == 0, what="donor")
    pid = engine.inspect("donor")["State"]["Pid"]
    out = engine.ok("run", "--rm", "--pid", "container:donor", "--ipc", "container:donor",
                    "busybox", "sh", "-c",
                    "cat /proc/1/cmdline | tr '\\0' ' '; echo; "
                    "readlink /proc/self/ns/pid; readlink /proc/self/ns/ipc; cat /dev/shm/x; "
                    "df -k /dev/shm | tail -1").stdout.splitlines()
    assert out[0].strip() == "sleep 100"  # the donor's init is PID 1 here
    assert out[1] == os.readlink(f"/proc/{pid}/ns/pid")
    assert out[2] == os.readlink(f"/proc/{pid}/ns/ipc")
    assert out[3] == "hi"  # the donor's /dev/shm, its size too
    assert out[4].split()[1] == "8192"
    # the donor restarts: a created container joins its new init at start, not the old pid
    cid = engine.ok("create", "--pid", "container:donor", "busybox", "cat",
                    "/proc/1/cmdline").stdout.strip()
    engine.ok("restart", "-t", "0", "donor")
    assert engine.ok("start", "-a", cid).stdout.startswith("sleep")
    assert engine.inspect(cid)["HostConfig"]["PidMode"] == "container:donor"
    engine.ok("rm", cid)
    # a stopped donor: docker's words, 125, nothing made
    engine.ok("stop", "-t", "0", "donor")
    donor_id = engine.inspect("donor")["Id"]
    p = engine("run", "--rm", "--pid", "container:donor", "busybox", "true")
    assert p.returncode == 125
    assert f"container {donor_id} is not running" in p.stderr
    engine.ok("rm", "donor")
    assert not any("/shm" in line.split()[4] and str(engine.root) in line
                   for line in open("/proc/self/mountinfo"))
    assert engine.ok("ps", "-aq").stdout == ""


def test_ipc_container_needs_a_shareable_donor(engine):
    cid = engine.ok("run", "-d", "busybox", "sleep", "100").stdout.strip()
    p = engine("run", "--rm", "--ipc", f"container:{cid[:12]}", "busybox", "true")
    assert p.returncode == 125
    assert (f"can't join IPC of container {cid}: non-shareable IPC (hint: use "
            "IpcMode:shareable for the donor container)") in p.stderr
    p = engine("create", "--ipc", "container:nosuch", "busybox", "true")
    assert p.returncode == 125
    assert "cannot join IPC of a non running container: nosuch" in p.stderr
    p = engine("create", "--pid", "container:nosuch", "busybox", "true")
    assert p.returncode == 125
    assert "cannot join PID of a non running container: nosuch" in p.stderr
    assert engine.ok("ps", "-aq", "--no-trunc").stdout.split() == [cid]

