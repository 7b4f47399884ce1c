"""hako-runtime: the seed scenario and the container life cycle, as runc users know them."""
import json
import os
import signal
import subprocess
import time

import pytest

from conftest import CG_PARENT, RUNTIME, run, wait_for


def test_seed_scenario_pid_hostname_isolation(rt, bundle):
    # a host-only mount, interface-less view and IPC object the container must not see
    bundle.config["hostname"] = "seedbox"
    bundle.sh("echo PS; ps -o pid,comm; echo HOST $(hostname); echo NET; ls /sys/class/net; "
              "echo MOUNTS; cat /proc/mounts; echo IPC; cat /proc/sysvipc/shm")
    shm = subprocess.run(["/usr/bin/python3", "-c",
                          "import ctypes,sys; libc=ctypes.CDLL(None);"
                          "print(libc.shmget(0x4841, 4096, 0o1600))"],
                         capture_output=True, text=True, check=True)
    shmid = int(shm.stdout)
    try:
        p = rt.run("seed", bundle)
    finally:
        subprocess.run(["ipcrm", "-m", str(shmid)])
    assert p.returncode == 0, p.stderr
    out = p.stdout
    ps = out.split("PS\n")[1].split("HOST")[0].strip().splitlines()
    pids = [line.split()[0] for line in ps[1:]]
    assert pids[0] == "1", ps          # the container's first process is PID 1
    assert len(pids) <= 3, ps          # sh, ps (and a subshell at most): nothing of the host
    assert "HOST seedbox" in out
    net = out.split("NET\n")[1].split("MOUNTS")[0].split()
    assert net == ["lo"]
    mounts = out.split("MOUNTS\n")[1].split("IPC")[0]
    assert "/work" not in mounts and "/tmp" not in mounts
    ipc = out.split("IPC\n")[1].strip().splitlines()
    assert len(ipc) == 1                # header only: the host's segment is invisible


def test_user_namespace_maps_root_to_unprivileged_uid(rt, bundle):
    bundle.config["linux"]["namespaces"].append({"type": "user"})
    bundle.config["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    bundle.config["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    # drop the cgroup mount (a user namespace cannot mount the host's hierarchies)
    bundle.config["mounts"] = [m for m in bundle.config["mounts"] if m["type"] != "cgroup"]
    os.chown(bundle.rootfs, 100000, 100000)
    bundle.set_args("sleep", "30")
    p = rt.create("userns", bundle)
    assert p.returncode == 0, p.stderr
    pid = rt.state("userns")["pid"]
    status = open(f"/proc/{pid}/status").read()
    uid_line = [l for l in status.splitlines() if l.startswith("Uid:")][0]
    assert uid_line.split()[1:] == ["100000"] * 4     # seen from the host: unprivileged
    uid_map = open(f"/proc/{pid}/uid_map").read().split()
    assert uid_map == ["0", "100000", "65536"]
    # the init joined its cgroup itself, from inside the new user namespace: every hierarchy
    cgroups = open(f"/proc/{pid}/cgroup").read().splitlines()
    assert cgroups and all(l.endswith(f":{CG_PARENT}/userns") for l in cgroups), cgroups
    rt.ok("start", "userns")
    # and so does a process exec'd into it
    p = rt("exec", "userns", "cat", "/proc/self/cgroup")
    assert p.returncode == 0, p.stderr
    inside = p.stdout.splitlines()
    assert len(inside) == len(cgroups) and all(l.endswith(":/") for l in inside), inside
    rt.ok("kill", "userns", "KILL")


def test_lifecycle_create_start_kill_delete(rt, bundle):
    bundle.set_args("sleep", "60")
    p = rt.create("life", bundle)
    assert p.returncode == 0, p.stderr
    assert p.stdout == ""
    st = rt.state("life")
    assert st["status"] == "created"
    assert st["id"] == "life"
    assert st["bundle"] == str(bundle.path)
    pid = st["pid"]
    # before start the init has not exec'd the program yet
    assert "sleep" not in open(f"/proc/{pid}/cmdline").read()
    rt.ok("start", "life")
    st = rt.state("life")
    assert st["status"] == "running" and st["pid"] == pid
    assert open(f"/proc/{pid}/cmdline").read().split("\0")[0] == "sleep"
    # start twice: an error, the container keeps running
    p = rt("start", "life")
    assert p.returncode == 1 and "running" in p.stderr
    # delete of a running container needs --force
    p = rt("delete", "life")
    assert p.returncode == 1 and "not stopped" in p.stderr
    rt.ok("kill", "life", "KILL")  # pid 1 ignores TERM without a handler, as in runc
    for _ in range(100):
        if rt.state("life")["status"] == "stopped":
            break
        time.sleep(0.02)
    assert rt.state("life")["status"] == "stopped"
    rt.ok("delete", "life")
    p = rt("state", "life")
    assert p.returncode == 1 and "does not exist" in p.stderr
    assert not (rt.root / "life").exists()


def test_delete_created_container_kills_it(rt, bundle):
    bundle.set_args("sleep", "60")
    rt.create("created", bundle).check_returncode()
    pid = rt.state("created")["pid"]
    rt.ok("delete", "created")
    assert not os.path.exists(f"/proc/{pid}/cmdline") or \
        open(f"/proc/{pid}/stat").read().split(")")[1].split()[0] == "Z"


def test_run_returns_exit_status(rt, bundle):
    bundle.sh("exit 3")
    assert rt.run("exit3", bundle).returncode == 3
    # the init of a pid namespace cannot kill itself: kill it from outside
    bundle.sh("echo up; sleep 60")
    p = subprocess.Popen([str(RUNTIME), "--root", str(rt.root), "run", "--bundle", str(bundle),
                          "killed"], stdout=subprocess.PIPE, text=True)
    rt.ids.add("killed")
    assert p.stdout.readline() == "up\n"
    rt.ok("kill", "killed", "KILL")
    assert p.wait(timeout=10) == 137
    # run removes the container afterwards
    assert rt("state", "exit3").returncode == 1


def test_run_forwards_signals(rt, bundle):
    bundle.sh("trap 'echo got TERM; exit 7' TERM; echo ready; while :; do sleep 0.1; done")
    p = subprocess.Popen([str(RUNTIME), "--root", str(rt.root), "run", "--bundle",
                          str(bundle), "sig"], stdout=subprocess.PIPE, text=True)
    rt.ids.add("sig")
    assert p.stdout.readline().strip() == "ready"
    p.send_signal(signal.SIGTERM)
    out, _ = p.communicate(timeout=10)
    assert "got TERM" in out
    assert p.returncode == 7


def test_run_detached_and_pid_file(rt, bundle, tmp_path):
    bundle.set_args("sleep", "60")
    pidfile = tmp_path / "pid"
    p = rt.run("det", bundle, "--detach", "--pid-file", pidfile)
    assert p.returncode == 0, p.stderr
    assert rt.state("det")["status"] == "running"
    assert int(pidfile.read_text()) == rt.state("det")["pid"]
    rt.ok("delete", "--force", "det")


def test_kill_signal_names_and_numbers(rt, bundle):
    got = bundle.rootfs / "tmp/got"
    bundle.sh("trap 'echo USR1 >> /tmp/got' USR1; echo ready > /tmp/got; "
              "while :; do sleep 0.1; done")
    rt.run("killsig", bundle, "-d").check_returncode()

    def lines():
        return got.read_text().splitlines() if got.exists() else []
    # the trap is set once "ready" is there; each form of the signal is delivered in turn
    wait_for(lambda: lines() == ["ready"], what="the trap")
    for n, sig in enumerate(("SIGUSR1", "usr1", "10"), start=1):
        rt.ok("kill", "killsig", sig)
        wait_for(lambda: len(lines()) > n, what=f"kill {sig} to arrive")
        assert lines() == ["ready"] + ["USR1"] * n
    p = rt("kill", "killsig", "NOPE")
    assert p.returncode == 1 and "'NOPE' is not a signal" in p.stderr
    rt.ok("kill", "killsig", "KILL")


def test_list_formats(rt, bundle):
    bundle.set_args("sleep", "60")
    rt.create("l1", bundle).check_returncode()
    p = rt.ok("list")
    lines = p.stdout.splitlines()
    assert lines[0].split() == ["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]
    assert lines[1].split()[0] == "l1" and lines[1].split()[2] == "created"
    j = json.loads(rt.ok("list", "--format", "json").stdout)
    assert [c["id"] for c in j] == ["l1"] and j[0]["status"] == "created"
    assert rt.ok("list", "-q").stdout == "l1\n"


def test_spec_writes_runc_default(tmp_path):
    p = run([RUNTIME, "spec", "--bundle", tmp_path])
    assert p.returncode == 0
    c = json.loads((tmp_path / "config.json").read_text())
    assert c["process"]["args"] == ["sh"]
    assert {n["type"] for n in c["linux"]["namespaces"]} >= {"pid", "mount", "network", "ipc", "uts"}
    p = run([RUNTIME, "spec", "--bundle", tmp_path])
    assert p.returncode == 1 and "exists" in p.stderr
    r = tmp_path / "rootless"
    r.mkdir()
    run([RUNTIME, "spec", "--rootless", "--bundle", r], check=True)
    c = json.loads((r / "config.json").read_text())
    assert {"type": "user"} in c["linux"]["namespaces"]
    assert c["linux"]["uidMappings"][0]["hostID"] == os.getuid()


def test_features_and_version():
    p = run([RUNTIME, "features"])
    f = json.loads(p.stdout)
    assert f["ociVersionMax"].startswith("1.")
    assert "rbind" in f["mountOptions"] and "time" in f["linux"]["namespaces"]
    assert "CAP_SYS_ADMIN" in f["linux"]["capabilities"]
    v = run([RUNTIME, "--version"]).stdout
    assert v.startswith("hako-runtime version") and "spec: 1." in v
    # --help is help, a stray argument an error (they printed the JSON before)
    for cmd in ("features", "seccomp-default"):
        p = run([RUNTIME, cmd, "--help"])
        assert p.returncode == 0 and p.stdout.startswith(f"Usage: hako-runtime {cmd}")
        p = run([RUNTIME, cmd, "extra"])
        assert p.returncode == 1 and "unexpected argument 'extra'" in p.stderr


def test_single_dash_long_flags_like_runc(rt, bundle):
    bundle.sh("exit 5")
    p = run([RUNTIME, "-root", rt.root, "run", "-bundle", bundle, "dash"])
    rt.ids.add("dash")
    assert p.returncode == 5


def test_run_foreground_terminal_is_relayed(rt, bundle):
    import pty
    bundle.config["process"]["terminal"] = True
    bundle.set_args("sh")
    master, slave = pty.openpty()
    try:
        p = subprocess.Popen([str(RUNTIME), "--root", str(rt.root), "run", "--bundle",
                              str(bundle), "fgtty"], stdin=slave, stdout=slave, stderr=slave)
        rt.ids.add("fgtty")
        os.close(slave)
        slave = -1
        os.write(master, b"tty; echo answer-$((40+2)); exit 3\n")
        out = b""
        deadline = time.time() + 10
        while time.time() < deadline and b"answer-42" not in out:
            try:
                out += os.read(master, 1024)
            except OSError:
                break
        assert p.wait(timeout=10) == 3
    finally:
        os.close(master)
        if slave >= 0:
            os.close(slave)
    assert b"/dev/pts/0" in out and b"answer-42" in out
