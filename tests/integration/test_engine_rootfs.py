"""The engine's containers get an overlay root filesystem (not the copy fallback), on this
kernel and on the VM's (Linux 6.1, whose overlay takes the new mount API only through the
legacy option string: "lowerdir+" is refused at create there)."""
from pathlib import Path


def root_fstype(pid):
    for line in Path(f"/proc/{pid}/mountinfo").read_text().splitlines():
        left, _, right = line.partition(" - ")
        if left.split()[4] == "/":
            fstype = right.split()[0]
    return fstype


def test_container_root_is_an_overlay(engine):
    engine.ok("run", "-d", "--name", "ov", "busybox", "sleep", "600")
    pid = engine.inspect("ov")["State"]["Pid"]
    assert root_fstype(pid) == "overlay"
    # and it is writable, the change in the upper layer only
    engine.ok("exec", "ov", "sh", "-c", "echo x > /bin/new-file")
    assert "A /bin/new-file" in engine.ok("diff", "ov").stdout.splitlines()


def mounted(engine, cid):
    path = f"{engine.root}/containers/{cid}/rootfs"
    return any(line.split()[4] == path for line in
               Path("/proc/self/mountinfo").read_text().splitlines())


def test_a_stopped_container_has_no_mount_left(engine):
    """docker unmounts a container's root filesystem when it stops: an exited container's
    overlay is unmounted by its monitor (its upper layer stays), mounted again for a start,
    a cp or an export, and unmounted after them."""
    from test_engine_basic import wait_for
    engine.ok("run", "--name", "done", "busybox", "sh", "-c", "echo hi > /made")
    cid = engine.inspect("done")["Id"]
    wait_for(lambda: not mounted(engine, cid), what="the exited container's rootfs unmounted")
    assert "A /made" in engine.ok("diff", "done").stdout.splitlines()
    assert engine.ok("cp", "done:/made", "-").stdout.startswith("made")
    assert not mounted(engine, cid)
    import subprocess
    tar = subprocess.run(engine.argv("export", "done"), capture_output=True, check=True).stdout
    assert b"made" in tar and not mounted(engine, cid)
    engine.ok("start", "-a", "done")
    wait_for(lambda: not mounted(engine, cid), what="the rootfs unmounted after the restart")
    assert engine.ok("run", "--rm", "busybox", "true").returncode == 0
    # a running one keeps its mount; stop releases it
    engine.ok("run", "-d", "--name", "up", "busybox", "sleep", "600")
    up = engine.inspect("up")["Id"]
    assert mounted(engine, up)
    engine.ok("stop", "-t", "1", "up")
    wait_for(lambda: not mounted(engine, up), what="the stopped container's rootfs unmounted")
    engine.ok("start", "up")
    assert engine.ok("exec", "up", "true").returncode == 0 and mounted(engine, up)
