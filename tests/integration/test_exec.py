"""hako-runtime exec: a new process joins every namespace of the container and its cgroup,
with the container's (or the given) identity, capabilities and seccomp profile."""
import json
import os
import pty
import socket
import subprocess
import time

import pytest

from conftest import CG_PARENT, RUNTIME, run, wait_for


@pytest.fixture
def running(rt, bundle):
    bundle.config["hostname"] = "execbox"
    bundle.set_args("sleep", "600")

    def start(cid="ex", **cfg):
        for k, v in cfg.items():
            bundle.config[k] = v
        p = rt.run(cid, bundle, "-d")
        assert p.returncode == 0, p.stderr
        return cid
    return start


def caps(status_text, name):
    return int([l for l in status_text.splitlines() if l.startswith(name + ":")][0].split()[1], 16)


def test_exec_joins_namespaces_and_returns_status(rt, running):
    cid = running()
    init = rt.state(cid)["pid"]
    p = rt("exec", cid, "sh", "-c", "hostname; ps -o pid,comm; echo $$ > /tmp/me; exit 5")
    assert p.returncode == 5, p.stderr
    lines = p.stdout.split()
    assert lines[0] == "execbox"
    assert "1" in lines and "sleep" in lines        # the container's init is PID 1 here
    for ns in ("pid", "mnt", "net", "ipc", "uts", "cgroup"):
        assert os.readlink(f"/proc/{init}/ns/{ns}") != os.readlink(f"/proc/self/ns/{ns}")


def test_exec_process_is_in_the_container_cgroup(rt, running):
    cid = running()
    p = subprocess.Popen([str(RUNTIME), "--root", str(rt.root), "exec", cid, "sleep", "30"])
    try:
        deadline = time.time() + 10
        pids = []
        while time.time() < deadline and not pids:
            pids = [int(x) for x in subprocess.run(["pgrep", "-P", str(p.pid), "sleep"],
                                                   capture_output=True, text=True).stdout.split()]
            time.sleep(0.05)
        assert pids, "exec'd process not found as the runtime's child"
        host_cg = open(f"/proc/{pids[0]}/cgroup").read()
        init_cg = open(f"/proc/{rt.state(cid)['pid']}/cgroup").read()
        assert host_cg == init_cg
        assert f"{CG_PARENT}/{cid}" in host_cg
    finally:
        p.kill()
        p.wait()


def test_exec_env_cwd_user(rt, running):
    cid = running()
    p = rt("exec", "-e", "A=1", "-e", "B=two", "--cwd", "/tmp", "-u", "1000:1001", cid,
           "sh", "-c", "echo $A $B; pwd; id -u; id -g")
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["1", "two", "/tmp", "1000", "1001"]


def test_exec_cap_never_inheritable(rt, running):
    # CVE-2022-29162: `exec --cap` must not make the capability inheritable
    cid = running()
    p = rt("exec", "--cap", "CAP_SYS_ADMIN", cid, "cat", "/proc/self/status")
    assert p.returncode == 0, p.stderr
    assert caps(p.stdout, "CapEff") & (1 << 21)
    assert caps(p.stdout, "CapInh") == 0


def test_exec_no_new_privs_and_defaults(rt, running):
    cid = running()
    p = rt("exec", "--no-new-privs", cid, "grep", "NoNewPrivs", "/proc/self/status")
    assert p.stdout.split()[-1] == "1"


def test_exec_process_file(rt, running, tmp_path):
    cid = running()
    proc = {"terminal": False, "user": {"uid": 0, "gid": 0}, "args": ["sh", "-c", "echo $X"],
            "env": ["PATH=/bin", "X=from-json"], "cwd": "/"}
    f = tmp_path / "process.json"
    f.write_text(json.dumps(proc))
    p = rt("exec", "--process", f, cid)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "from-json\n"
    f.write_text('{"args": []}')
    p = rt("exec", "--process", f, cid)
    assert p.returncode == 255 and "args: at least one argument" in p.stderr, p.stderr
    # without "user": uid 0, as runc
    f.write_text('{"args": ["id", "-u"], "cwd": "/", "env": ["PATH=/bin:/usr/bin"]}')
    p = rt("exec", "--process", f, cid)
    assert p.returncode == 0 and p.stdout == "0\n", p.stderr


def test_exec_process_file_without_user_is_root_whatever_the_container_runs_as(
        rt, bundle, running, tmp_path):
    bundle.config["process"]["user"] = {"uid": 1000, "gid": 1000}
    cid = running()
    assert rt("exec", cid, "id", "-u").stdout == "1000\n"
    f = tmp_path / "process.json"
    f.write_text('{"args": ["id"], "cwd": "/", "env": ["PATH=/bin:/usr/bin"]}')
    p = rt("exec", "--process", f, cid)
    assert p.returncode == 0 and p.stdout.startswith("uid=0(root) gid=0(root)"), p.stderr


def test_exec_detach_pid_file(rt, running, tmp_path):
    cid = running()
    pidfile = tmp_path / "exec.pid"
    p = rt("exec", "-d", "--pid-file", pidfile, cid, "sleep", "30")
    assert p.returncode == 0, p.stderr
    pid = int(pidfile.read_text())
    # the pid is the process's from the start; it is sleep once hako-dmz has exec'd it
    wait_for(lambda: open(f"/proc/{pid}/cmdline").read().startswith("sleep"), what="sleep")
    os.kill(pid, 9)


def test_exec_with_console_socket(rt, running, tmp_path):
    cid = running()
    sock = str(tmp_path / "c.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(sock)
    srv.listen(1)
    srv.settimeout(10)
    try:
        p = subprocess.Popen([str(RUNTIME), "--root", str(rt.root), "exec", "-t", "-d",
                              "--console-socket", sock, cid, "sh", "-c", "tty; sleep 1"])
        conn, _ = srv.accept()
        _, fds, _, _ = socket.recv_fds(conn, 1024, 1)
        conn.close()
        assert p.wait(timeout=10) == 0
        out = b""
        deadline = time.time() + 10
        while time.time() < deadline and b"/dev/pts" not in out:
            try:
                out += os.read(fds[0], 1024)
            except OSError:
                break
        os.close(fds[0])
    finally:
        srv.close()
    assert b"/dev/pts/" in out


def test_exec_foreground_terminal_relay(rt, running):
    cid = running()
    master, slave = pty.openpty()
    try:
        p = subprocess.Popen([str(RUNTIME), "--root", str(rt.root), "exec", "-t", cid, "sh"],
                             stdin=slave, stdout=slave, stderr=slave)
        os.close(slave)
        slave = -1
        os.write(master, b"echo in-$((6*7)); exit 9\n")
        out = b""
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                chunk = os.read(master, 1024)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
            if b"in-42" in out:
                break
        assert p.wait(timeout=10) == 9
    finally:
        os.close(master)
        if slave >= 0:
            os.close(slave)
    assert b"in-42" in out


def test_exec_errors(rt, running, bundle):
    # runc: 255 and "exec failed: ..." for an exec that did not run, 1 for a usage error
    p = rt("exec", "ghost", "true")
    assert p.returncode == 255 and "exec failed: container 'ghost' does not exist" in p.stderr
    cid = running()
    p = rt("exec", cid, "no-such-cmd")
    assert p.returncode == 255
    assert 'exec: "no-such-cmd": executable file not found in $PATH' in p.stderr
    p = rt("exec", cid)
    assert p.returncode == 1 and "a command" in p.stderr
    p = rt("exec", "--cap", "CAP_BOGUS", cid, "true")
    assert p.returncode == 255 and "CAP_BOGUS" in p.stderr
    rt.ok("kill", cid, "KILL")
    for _ in range(100):
        if rt.state(cid)["status"] == "stopped":
            break
        time.sleep(0.02)
    p = rt("exec", cid, "true")
    assert p.returncode == 255 and "stopped" in p.stderr


def test_exec_gets_the_container_seccomp_profile(rt, bundle):
    bundle.config["linux"]["seccomp"] = {
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO",
                      "errnoRet": 1}]}
    bundle.set_args("sleep", "600")
    rt.run("exsec", bundle, "-d").check_returncode()
    p = rt("exec", "exsec", "sh", "-c", "mkdir /tmp/x 2>&1; echo rc=$?")
    assert "Operation not permitted" in p.stdout and "rc=1" in p.stdout
    assert not (bundle.rootfs / "tmp/x").exists()


def test_exec_additional_gids(rt, running):
    cid = running()
    p = rt("exec", "--additional-gids", "10", "-g", "20", cid, "cat", "/proc/self/status")
    assert p.returncode == 0, p.stderr
    groups = [l for l in p.stdout.splitlines() if l.startswith("Groups:")][0].split()[1:]
    assert groups == ["10", "20"]
    p = rt("exec", "--additional-gids", "x", cid, "true")
    assert p.returncode == 1 and "--additional-gids: 'x' is not a gid" in p.stderr


def test_exec_in_a_paused_container_needs_ignore_paused(rt, running, bundle):
    import subprocess
    cid = running()
    rt.ok("pause", cid)
    p = rt("exec", cid, "true")
    assert p.returncode == 255
    assert "cannot exec in a paused container (use --ignore-paused to override)" in p.stderr
    # with it, the process is made in the frozen cgroup and runs once resumed
    proc = subprocess.Popen([RUNTIME, "--root", rt.root, "exec", "--ignore-paused", cid,
                             "sh", "-c", "echo ran > /tmp/ignored-pause"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            proc.wait(timeout=0.5)                     # frozen with the container
        assert not (bundle.rootfs / "tmp/ignored-pause").exists()
        rt.ok("resume", cid)
        assert proc.wait(timeout=20) == 0, proc.stderr.read()
    finally:
        if proc.poll() is None:
            rt("resume", cid)
            proc.kill()
            proc.wait()
    assert (bundle.rootfs / "tmp/ignored-pause").read_text() == "ran\n"


def test_exec_cgroup_runs_in_a_sub_cgroup(rt, running):
    cid = running()
    pid = rt.state(cid)["pid"]
    lines = open(f"/proc/{pid}/cgroup").read().splitlines()
    if os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
        # pure v2 (runc's semantics): one hierarchy, so `memory:sub` and `sub` both mean it
        path = [l.split(":", 2)[2] for l in lines if l.startswith("0::")][0]
        sub = f"/sys/fs/cgroup{path}/sub"
        os.mkdir(sub)
        try:
            for spec in ("memory:sub", "sub"):
                p = rt("exec", "--cgroup", spec, cid, "cat", "/proc/self/cgroup")
                assert p.returncode == 0, p.stderr
                assert p.stdout.strip().endswith("/sub"), (spec, p.stdout)
                assert open(sub + "/cgroup.procs").read() == ""
            p = rt("exec", "--cgroup", "nosuch", cid, "true")
            assert p.returncode == 255 and "--cgroup 'nosuch': no sub-cgroup" in p.stderr
            p = rt("exec", "--cgroup", "memory:../x", cid, "true")
            assert p.returncode == 255 and "a path below the container's cgroup" in p.stderr
        finally:
            os.rmdir(sub)
        return
    memory = [l.split(":", 2)[2] for l in lines if l.split(":")[1] == "memory"][0]
    sub = f"/sys/fs/cgroup/memory{memory}/sub"
    os.mkdir(sub)
    try:
        p = rt("exec", "--cgroup", "memory:sub", cid, "cat", "/proc/self/cgroup")
        assert p.returncode == 0, p.stderr
        got = {l.split(":")[1]: l.split(":", 2)[2] for l in p.stdout.splitlines()}
        assert got["memory"].endswith("/sub") and not got["pids"].endswith("/sub")
        # only processes that exec put there: none left once it exited
        assert open(sub + "/cgroup.procs").read() == ""
        p = rt("exec", "--cgroup", "sub", cid, "true")     # every hierarchy: cpu has none
        assert p.returncode == 255 and "--cgroup 'sub': no sub-cgroup" in p.stderr
        p = rt("exec", "--cgroup", "memory:../x", cid, "true")
        assert p.returncode == 255 and "a path below the container's cgroup" in p.stderr
    finally:
        os.rmdir(sub)
