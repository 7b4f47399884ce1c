"""linux.seccomp through the real runtime: blocked syscalls fail inside the container with the
profile's errno, a bad profile fails `create` with a located error and leaves nothing behind,
and SCMP_ACT_NOTIFY hands a working listener to the agent at listenerPath."""
import array
import errno
import fcntl
import json
import os
import select
import shutil
import socket
import struct
import threading

import pytest

from conftest import RUNTIME, run

BLOCK_MKDIR = {
    "defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [
        {"names": ["no_such_syscall", "mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO",
         "errnoRet": errno.EACCES},
        {"names": ["getpid"], "action": "SCMP_ACT_ALLOW"},
    ],
}


def make_bundle(tmp_path, rootfs, args, seccomp, no_new_privs=True):
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    os.rename(rootfs, bundle / "rootfs")
    run([RUNTIME, "spec"], cwd=bundle, check=True)
    cfg = json.loads((bundle / "config.json").read_text())
    cfg["process"]["terminal"] = False
    cfg["root"]["readonly"] = False
    cfg["process"]["args"] = args
    cfg["process"]["noNewPrivileges"] = no_new_privs
    cfg["linux"]["seccomp"] = seccomp
    (bundle / "config.json").write_text(json.dumps(cfg, indent=2))
    return bundle


def runtime(tmp_path, *args, **kw):
    return run([RUNTIME, "--root", tmp_path / "state", *args], **kw)


@pytest.mark.parametrize("no_new_privs", [True, False])
def test_blocked_syscall_fails_with_the_errno(tmp_path, busybox_rootfs, no_new_privs):
    # noNewPrivileges false: the filter is loaded before capabilities are dropped.
    bundle = make_bundle(tmp_path, busybox_rootfs,
                         ["sh", "-c", "mkdir /tmp/x; echo rc=$?; test -d /tmp/x || echo absent;"
                                      " touch /tmp/y && echo touched"],
                         BLOCK_MKDIR, no_new_privs)
    p = runtime(tmp_path, "run", "--bundle", bundle, "c1")
    assert p.returncode == 0, p.stderr
    assert "rc=1" in p.stdout and "absent" in p.stdout and "touched" in p.stdout
    assert "Permission denied" in p.stderr
    runtime(tmp_path, "delete", "-f", "c1")


def test_kill_action_kills_with_sigsys(tmp_path, busybox_rootfs):
    profile = {"defaultAction": "SCMP_ACT_ALLOW",
               "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_KILL_PROCESS"}]}
    bundle = make_bundle(tmp_path, busybox_rootfs, ["mkdir", "/tmp/x"], profile)
    p = runtime(tmp_path, "run", "--bundle", bundle, "c2")
    assert p.returncode == 128 + 31, (p.returncode, p.stderr)  # SIGSYS
    runtime(tmp_path, "delete", "-f", "c2")


def test_bad_profile_fails_create_with_a_located_error(tmp_path, busybox_rootfs):
    profile = {"defaultAction": "SCMP_ACT_ALLOW",
               "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"},
                            {"names": ["rmdir"], "action": "SCMP_ACT_FOO"}]}
    bundle = make_bundle(tmp_path, busybox_rootfs, ["true"], profile)
    text = (bundle / "config.json").read_text().splitlines()
    line = next(i for i, t in enumerate(text, 1) if "SCMP_ACT_FOO" in t)
    p = runtime(tmp_path, "create", "--bundle", bundle, "bad")
    assert p.returncode != 0
    assert (f"config.json:{line}: linux.seccomp.syscalls[1].action: "
            f"unknown action 'SCMP_ACT_FOO'") in p.stderr
    # nothing left behind: no state (the no_leaks fixture checks cgroups, mounts, processes)
    assert runtime(tmp_path, "state", "bad").returncode != 0
    state = tmp_path / "state"
    assert not state.exists() or list(state.iterdir()) == []


# --- SCMP_ACT_NOTIFY: a tiny seccomp agent ---------------------------------------------------

# struct seccomp_notif: id u64, pid u32, flags u32, data {nr i32, arch u32, ip u64, args u64[6]}
NOTIF = struct.Struct("=QIIiIQ6Q")
# struct seccomp_notif_resp: id u64, val s64, error s32, flags u32
RESP = struct.Struct("=QqiI")
IOCTL_NOTIF_RECV = (3 << 30) | (NOTIF.size << 16) | (ord("!") << 8) | 0
IOCTL_NOTIF_SEND = (3 << 30) | (RESP.size << 16) | (ord("!") << 8) | 1
SYS_MKDIR, SYS_MKDIRAT = 83, 258  # x86_64


class Agent(threading.Thread):
    """Accepts one container process state, then answers every notification with EXDEV."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(str(path))
        self.sock.listen(4)
        self.sock.settimeout(30)
        self.messages, self.notified, self.errors = [], [], []

    def run(self):
        try:
            conn, _ = self.sock.accept()
            with conn:
                data, fds = b"", []
                while True:
                    chunk, more, _, _ = socket.recv_fds(conn, 65536, 4)
                    fds += more
                    if not chunk:
                        break
                    data += chunk
            self.messages.append((json.loads(data), len(fds)))
            with os.fdopen(fds[0], "rb", buffering=0) as listener:
                self.serve(listener.fileno())
        except Exception as e:  # reported by the test
            self.errors.append(repr(e))
        finally:
            self.sock.close()

    def serve(self, fd):
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        while True:
            events = poller.poll(30000)
            if not events or events[0][1] & select.POLLHUP:
                return
            buf = bytearray(NOTIF.size)
            try:
                fcntl.ioctl(fd, IOCTL_NOTIF_RECV, buf)
            except OSError as e:
                if e.errno == errno.ENOENT:
                    continue
                raise
            nid, pid, _, nr, _, _, *args = NOTIF.unpack(buf)
            self.notified.append(nr)
            resp = bytearray(RESP.pack(nid, 0, -errno.EXDEV, 0))
            try:
                fcntl.ioctl(fd, IOCTL_NOTIF_SEND, resp)
            except OSError as e:
                if e.errno != errno.ENOENT:
                    raise


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="syscall numbers are x86_64's")
@pytest.mark.parametrize("no_new_privs", [True, False])
def test_notify_hands_the_listener_to_the_agent(tmp_path, busybox_rootfs, no_new_privs):
    sock = tmp_path / "agent.sock"
    agent = Agent(sock)
    agent.start()
    profile = {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": str(sock),
               "listenerMetadata": "hello",
               "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]}
    bundle = make_bundle(tmp_path, busybox_rootfs,
                         ["sh", "-c", "mkdir /tmp/x; echo rc=$?"], profile, no_new_privs)
    p = runtime(tmp_path, "run", "--bundle", bundle, "n1", timeout=60)
    agent.join(35)
    assert not agent.errors, agent.errors
    assert p.returncode == 0, p.stderr
    assert "rc=1" in p.stdout
    assert "Invalid cross-device link" in p.stderr  # the agent's answer, not the kernel's
    assert set(agent.notified) & {SYS_MKDIR, SYS_MKDIRAT}
    (msg, nfds), = agent.messages
    assert nfds == 1
    assert msg["fds"] == ["seccompFd"] and msg["metadata"] == "hello"
    assert msg["state"]["id"] == "n1" and msg["pid"] == msg["state"]["pid"] > 0
    runtime(tmp_path, "delete", "-f", "n1")


def test_syscalls_newer_than_the_profile_get_enosys(tmp_path, busybox_rootfs, probe):
    """As runc: a syscall the profile does not know (a number above every one it names) fails
    with ENOSYS, so programs fall back to an older call; a known one keeps the profile's errno."""
    shutil.copy(probe, busybox_rootfs / "probe")
    docker = json.loads(run([RUNTIME.parent / "hako", "runtime", "seccomp-default"],
                            check=True).stdout)
    # 1023: above every x86_64 syscall; 246 kexec_load: named (CAP_SYS_BOOT only), refused;
    # 180 nfsservctl: below the profile's highest, never named: the default action
    script = "for n in 1023 246 180 39; do echo $n $(/probe syscall $n); done"
    bundle = make_bundle(tmp_path, busybox_rootfs, ["sh", "-c", script], docker)
    p = runtime(tmp_path, "run", "--bundle", bundle, "d1")
    runtime(tmp_path, "delete", "-f", "d1")
    assert p.returncode == 0, p.stderr
    res = dict(l.split() for l in p.stdout.splitlines())
    assert res == {"1023": "ENOSYS", "246": "EPERM", "180": "EPERM", "39": "ok"}, res
