"""A second real client: Podman (with conmon) drives hako-runtime through `--runtime`, with
its own storage in a temp dir and the image loaded from an oci-archive built offline."""
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from conftest import CG_PARENT, RUNTIME, make_busybox_rootfs, run
from ocimage import layer_from_dir, oci_archive

REF = "docker.io/library/busybox:latest"
CGROUP_PARENT = f"{CG_PARENT}/podman"
# This machine's hard limits are lower than Podman's defaults (nofile/nproc 1048576) and
# CAP_SYS_RESOURCE is not available to raise them: ask for what is allowed.
ULIMITS = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]


@pytest.fixture(scope="module")
def podman(tmp_path_factory):
    if not shutil.which("podman"):
        pytest.fail("podman is not installed (scripts/deps.sh installs it)")
    d = tmp_path_factory.mktemp("podman")
    base = ["podman", "--root", str(d / "root"), "--runroot", str(d / "run"),
            "--cgroup-manager", "cgroupfs", "--events-backend", "none",
            "--storage-driver", "overlay"]
    rootfs = make_busybox_rootfs(d / "rootfs")
    archive = oci_archive(d / "busybox.tar", [layer_from_dir(rootfs)], ref=REF)
    run(base + ["load", "-i", archive], check=True)
    yield base
    run(base + ["rm", "-af", "-t", "0"])
    run(base + ["system", "reset", "-f"])
    for hier in Path("/sys/fs/cgroup").iterdir():
        parent = hier / CGROUP_PARENT.lstrip("/")
        if parent.is_dir():
            try:
                parent.rmdir()
            except OSError:
                pass


def prun(podman, *args, **kw):
    return run(podman + ["run", "--runtime", RUNTIME, "--network", "none", "--cgroups",
                         "no-conmon", "--cgroup-parent", CGROUP_PARENT, *ULIMITS, *args],
               timeout=120, **kw)


def test_podman_run_output_and_exit_status(podman):
    p = prun(podman, "--rm", REF, "sh", "-c", "echo hello via podman; echo pid $$")
    assert p.returncode == 0, p.stderr
    assert "hello via podman" in p.stdout and "pid 1" in p.stdout
    assert prun(podman, "--rm", REF, "sh", "-c", "exit 7").returncode == 7


def test_podman_detached_exec_stop_rm(podman):
    p = prun(podman, "-d", "--name", "pm1", REF, "sleep", "300")
    assert p.returncode == 0, p.stderr
    try:
        e = run(podman + ["exec", "pm1", "sh", "-c", "echo in-exec; ps -o pid,comm"])
        assert e.returncode == 0, e.stderr
        assert "in-exec" in e.stdout and "sleep" in e.stdout
        assert run(podman + ["stop", "-t", "1", "pm1"]).returncode == 0
        st = run(podman + ["inspect", "-f", "{{.State.Status}}", "pm1"]).stdout.strip()
        assert st == "exited"
    finally:
        run(podman + ["rm", "-f", "pm1"])


def test_podman_terminal(podman):
    import pty
    master, slave = pty.openpty()
    try:
        p = subprocess.Popen(podman + ["run", "--rm", "-t", "--runtime", str(RUNTIME),
                                       "--network", "none", "--cgroups", "no-conmon",
                                       "--cgroup-parent", CGROUP_PARENT, *ULIMITS, REF, "tty"],
                             stdin=slave, stdout=slave, stderr=slave)
        os.close(slave)
        slave = -1
        out = b""
        deadline = time.time() + 60
        while time.time() < deadline and b"/dev/pts" not in out:
            try:
                out += os.read(master, 1024)
            except OSError:
                break
        assert p.wait(timeout=60) == 0
    finally:
        os.close(master)
        if slave >= 0:
            os.close(slave)
    assert b"/dev/pts/0" in out
