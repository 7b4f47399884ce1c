"""A real client drives hako-runtime: containerd's `ctr` runs a busybox image with
--runc-binary pointing at build/hako-runtime (containerd started by the test, with its own
config, root and socket in a temp dir, and stopped at the end)."""
import os
import pty
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import CG_PARENT, KEEP_PIDS, RUNTIME, make_busybox_rootfs, run
from ocimage import layer_from_dir, oci_archive

REF = "docker.io/library/busybox:latest"


@pytest.fixture(scope="module")
def containerd(tmp_path_factory):
    if not shutil.which("containerd") or not shutil.which("ctr"):
        pytest.fail("containerd is not installed (scripts/deps.sh installs it)")
    d = tmp_path_factory.mktemp("containerd")
    sock = d / "containerd.sock"
    (d / "config.toml").write_text(f"""version = 2
root = "{d}/root"
state = "{d}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing"]
[grpc]
  address = "{sock}"
[ttrpc]
  address = "{sock}.ttrpc"
[debug]
  address = "{d}/debug.sock"
""")
    runc_root = Path("/run/containerd/runc/hakotest")
    log = open(d / "containerd.log", "w")
    proc = subprocess.Popen(["containerd", "--config", str(d / "config.toml")],
                            stdout=log, stderr=log)
    KEEP_PIDS.add(proc.pid)
    try:
        for _ in range(100):
            if sock.exists() and run(["ctr", "-a", sock, "version"]).returncode == 0:
                break
            time.sleep(0.05)
        else:
            pytest.fail("containerd did not start: " + (d / "containerd.log").read_text())
        rootfs = make_busybox_rootfs(d / "rootfs")
        archive = oci_archive(d / "busybox.tar", [layer_from_dir(rootfs)], ref=REF)
        ctr = ["ctr", "-a", str(sock), "-n", "hakotest"]
        run(ctr + ["images", "import", archive], check=True)
        yield ctr
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        KEEP_PIDS.discard(proc.pid)
        # the shim's runc root for our namespace: empty once every container is deleted
        if runc_root.is_dir() and not any(runc_root.iterdir()):
            runc_root.rmdir()


def ctr_run(ctr, name, *args, **kw):
    return run(ctr + ["run", "--rm", "--runc-binary", RUNTIME, "--cgroup", f"{CG_PARENT}/{name}",
                      REF, name, *args], **kw)


def test_ctr_runs_busybox_with_hako_runtime(containerd):
    p = ctr_run(containerd, "ctr-hello", "sh", "-c", "echo hello from $(hostname); echo pid $$")
    assert p.returncode == 0, p.stderr
    assert "hello from" in p.stdout and "pid 1" in p.stdout


def test_ctr_exit_status(containerd):
    p = ctr_run(containerd, "ctr-exit", "sh", "-c", "exit 7")
    assert p.returncode == 7


def test_ctr_with_terminal_uses_console_socket(containerd):
    master, slave = pty.openpty()
    try:
        p = subprocess.Popen(containerd + ["run", "--rm", "-t", "--runc-binary", str(RUNTIME),
                                           "--cgroup", f"{CG_PARENT}/ctr-tty", REF, "ctr-tty", "sh",
                                           "-c", "tty; echo done"],
                             stdin=slave, stdout=slave, stderr=slave)
        os.close(slave)
        slave = -1
        out = b""
        deadline = time.time() + 20
        while time.time() < deadline and b"done" not in out:
            try:
                out += os.read(master, 4096)
            except OSError:
                break
        assert p.wait(timeout=20) == 0
    finally:
        os.close(master)
        if slave >= 0:
            os.close(slave)
    assert b"/dev/pts/0" in out
