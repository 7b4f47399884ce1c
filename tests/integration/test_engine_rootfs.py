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
