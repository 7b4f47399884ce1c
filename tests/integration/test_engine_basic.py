"""The engine's container life cycle against the real binary: run in the foreground and
detached, ps, logs, stop, kill, rm, wait, --rm, inspect, the monitor's survival of the CLI and
the repair after the monitor dies."""
import json
import os
import signal
import subprocess
import time
from pathlib import Path

from conftest import CG_PARENT, HAKO, run, wait_for  # noqa: F401  (other suites import wait_for here)


def test_run_foreground_streams_and_exit_code(engine):
    p = engine("run", "busybox", "sh", "-c", "echo out; echo err >&2; exit 3")
    assert p.returncode == 3
    assert p.stdout == "out\n"
    assert p.stderr == "err\n"
    # the record stays, exited with the code
    [row] = [json.loads(l) for l in engine.ok("ps", "-a", "--format", "json").stdout.splitlines()]
    assert row["State"] == "exited" and row["Status"].startswith("Exited (3) ")
    assert row["Command"] == '"sh -c \'echo out; ec…"'


def test_run_signal_exit_code(engine):
    fg = subprocess.Popen([str(a) for a in engine.argv("run", "--name", "sl", "busybox",
                                                       "sleep", "100")])
    try:
        wait_for(lambda: engine("inspect", "-f", "{{.State.Status}}", "sl").stdout == "running\n",
                 what="running")
        engine.ok("kill", "sl")
        assert fg.wait(timeout=10) == 137
    finally:
        fg.kill()
        fg.wait()
    assert engine.inspect("sl")["State"]["ExitCode"] == 137
    p = engine("run", "--name", "s", "busybox", "true")
    assert p.returncode == 125 and "Invalid container name (s)" in p.stderr


def test_detached_ps_logs_stop_rm(engine):
    cid = engine.ok("run", "-d", "--name", "web", "busybox", "sh", "-c",
                    "trap 'echo bye; exit 0' TERM; i=0; while true; do echo line $i; "
                    "i=$((i+1)); sleep 0.1; done").stdout.strip()
    assert len(cid) == 64 and all(c in "0123456789abcdef" for c in cid)
    lines = engine.ok("ps").stdout.splitlines()
    assert lines[0].split() == ["CONTAINER", "ID", "IMAGE", "COMMAND", "CREATED", "STATUS",
                                "PORTS", "NAMES"]
    assert lines[1].startswith(cid[:12] + "   busybox   ")
    assert " Up " in lines[1] and lines[1].endswith("web")
    assert engine.ok("ps", "-q").stdout == cid[:12] + "\n"
    assert engine.ok("ps", "-q", "--no-trunc").stdout == cid + "\n"
    wait_for(lambda: "line 3\n" in engine.ok("logs", "web").stdout, what="logs")
    # logs -f follows until the container stops
    follow = subprocess.Popen([str(a) for a in engine.argv("logs", "-f", "web")],
                              stdout=subprocess.PIPE, text=True)
    try:
        first = follow.stdout.readline()  # following: it has printed the log so far
        assert engine.ok("stop", "web").stdout == "web\n"
        out, _ = follow.communicate(timeout=10)
        out = first + out
    finally:
        follow.kill()
        follow.wait()
    assert out.startswith("line 0\n") and out.endswith("bye\n")
    st = engine.inspect("web")["State"]
    assert st["Status"] == "exited" and st["ExitCode"] == 0 and not st["Running"]
    assert engine.ok("ps").stdout.count("\n") == 1  # header only
    assert "Exited (0)" in engine.ok("ps", "-a").stdout
    # tail, timestamps
    tail = engine.ok("logs", "--tail", "2", "-t", "web").stdout.splitlines()
    assert len(tail) == 2 and tail[-1].endswith(" bye") and tail[0][:4].isdigit()
    assert engine.ok("rm", "web").stdout == "web\n"
    assert engine.ok("ps", "-aq").stdout == ""
    assert not (engine.root / "containers" / cid).exists()


def test_stop_escalates_to_sigkill(engine):
    engine.ok("run", "-d", "--name", "stubborn", "--stop-timeout", "1", "busybox",
              "sh", "-c", "trap '' TERM; sleep 100")
    t = time.time()
    engine.ok("stop", "stubborn")
    assert time.time() - t < 8
    assert engine.inspect("stubborn")["State"]["ExitCode"] == 137


def test_kill_wait_and_prefix(engine):
    # PID 1 gets only the signals it handles
    cid = engine.ok("run", "-d", "busybox", "sh", "-c",
                    "trap 'exit 7' USR1; echo trapped; while true; do sleep 0.1; done"
                    ).stdout.strip()
    waiter = subprocess.Popen([str(a) for a in engine.argv("wait", cid[:5])],
                              stdout=subprocess.PIPE, text=True)
    try:
        # a signal sent before the trap is set would be dropped (PID 1 has no default action)
        wait_for(lambda: engine.ok("logs", cid).stdout == "trapped\n", what="the trap")
        assert engine.ok("kill", "-s", "USR1", cid[:8]).returncode == 0
        out, _ = waiter.communicate(timeout=10)
    finally:
        waiter.kill()
        waiter.wait()
    assert out == "7\n"
    p = engine("kill", cid)
    assert p.returncode == 1 and "is not running" in p.stderr


def test_rm_flag_leaves_nothing(engine):
    p = engine("run", "--rm", "busybox", "sh", "-c", "echo hi; exit 4")
    assert p.returncode == 4 and p.stdout == "hi\n"
    assert engine.ok("ps", "-aq").stdout == ""
    assert list((engine.root / "containers").iterdir()) == [engine.root / "containers/.names.lock"]
    # the runtime keeps nothing but its cache of compiled seccomp programs
    assert [p.name for p in (engine.runroot / "runtime").iterdir()] == [".seccomp-cache"]
    # detached --rm: gone once it exits
    engine.ok("run", "-d", "--rm", "busybox", "true")
    wait_for(lambda: engine.ok("ps", "-aq").stdout == "", what="--rm removal")


def test_rm_refuses_running_then_force(engine):
    engine.ok("run", "-d", "--name", "busy", "busybox", "sleep", "100")
    p = engine("rm", "busy")
    assert p.returncode == 1 and "You cannot remove a running container" in p.stderr
    assert engine.ok("rm", "-f", "busy").stdout == "busy\n"
    assert engine.ok("ps", "-aq").stdout == ""


def test_inspect_pid_is_the_init_on_the_host(engine):
    cid = engine.ok("run", "-d", "busybox", "sleep", "100").stdout.strip()
    pid = int(engine.ok("inspect", "-f", "{{.State.Pid}}", cid).stdout)
    status = Path(f"/proc/{pid}/status").read_text()
    nspid = [l for l in status.splitlines() if l.startswith("NSpid:")][0].split()[1:]
    assert nspid == [str(pid), "1"]
    assert Path(f"/proc/{pid}/cmdline").read_bytes() == b"sleep\x00100\x00"
    assert f"{CG_PARENT}/{cid}" in Path(f"/proc/{pid}/cgroup").read_text()
    info = engine.inspect(cid)
    assert info["Id"] == cid and info["State"]["Running"] and info["State"]["Pid"] == pid
    hk = info["Hako"]
    assert hk["Init"] == {"HostPid": pid, "ContainerPid": 1, "NSpid": [pid, 1]}
    for ns in ("pid", "mount", "uts", "ipc", "network", "cgroup"):
        assert not hk["Namespaces"][ns]["Shared"], ns
        assert hk["Namespaces"][ns]["Container"] == os.readlink(f"/proc/{pid}/ns/{ns if ns != 'network' else 'net'}".replace("/mount", "/mnt"))
    assert hk["Namespaces"]["user"]["Shared"]
    assert hk["Cgroup"]["Path"] == f"{CG_PARENT}/{cid}"
    assert hk["Cgroup"]["Pids"]["Current"] == 1
    assert hk["Monitor"]["Alive"]
    assert engine.ok("inspect", "-f", "{{json .State.Running}} {{.Config.Cmd}}", cid).stdout == \
        'true ["sleep","100"]\n'


def test_monitor_survives_the_cli_and_sigkill_is_repaired(engine):
    cid = engine.ok("run", "-d", "busybox", "sleep", "100").stdout.strip()
    info = engine.inspect(cid)
    mon, init = info["Hako"]["Monitor"]["Pid"], info["State"]["Pid"]
    # the monitor is the init's parent, in a session of its own, and small
    stat = Path(f"/proc/{init}/stat").read_text().rsplit(")", 1)[1].split()
    assert int(stat[1]) == mon
    assert os.getsid(mon) == mon
    rss = [l for l in Path(f"/proc/{mon}/status").read_text().splitlines() if l.startswith("VmRSS")]
    assert int(rss[0].split()[1]) < 500, rss
    os.kill(mon, signal.SIGKILL)
    wait_for(lambda: not Path(f"/proc/{mon}").exists() or
             "Z" in Path(f"/proc/{mon}/stat").read_text().rsplit(")", 1)[1].split()[0],
             what="monitor death")
    row = json.loads(engine.ok("ps", "-a", "--format", "json").stdout)
    assert row["State"] == "exited"
    st = engine.inspect(cid)["State"]
    assert st["Status"] == "exited" and "monitor" in st["Error"]
    # the orphaned init was removed with what the runtime had of it
    wait_for(lambda: not Path(f"/proc/{init}").exists(), what="init gone")
    engine.ok("rm", cid)
    assert engine.ok("ps", "-aq").stdout == ""


def test_start_again_and_restart(engine):
    engine.ok("run", "--name", "again", "busybox", "sh", "-c", "echo run; date +%N >> /count")
    p = engine.ok("start", "-a", "again")
    assert p.stdout == "run\n"
    assert engine.ok("logs", "again").stdout == "run\nrun\n"
    # the container's changes survive a stop/start (same upper directory)
    engine.ok("create", "--name", "cc", "busybox", "sleep", "100")
    assert engine.inspect("cc")["State"]["Status"] == "created"
    assert "Created" in engine.ok("ps", "-a", "--filter", "name=cc").stdout
    engine.ok("start", "cc")
    assert engine.inspect("cc")["State"]["Status"] == "running"
    pid1 = engine.inspect("cc")["State"]["Pid"]
    engine.ok("restart", "-t", "0", "cc")
    st = engine.inspect("cc")["State"]
    assert st["Status"] == "running" and st["Pid"] != pid1


def test_names_rename_filters_labels(engine):
    engine.ok("run", "-d", "--name", "one", "--label", "tier=web", "busybox", "sleep", "100")
    engine.ok("run", "-d", "--label", "tier=db", "busybox", "sleep", "100")
    auto = [n for n in engine.ok("ps", "--format", "{{.Names}}").stdout.split() if n != "one"][0]
    assert "_" in auto
    assert engine.ok("ps", "--filter", "label=tier=web", "--format", "{{.Names}}").stdout == "one\n"
    assert engine.ok("ps", "--filter", "label=tier", "-q").stdout.count("\n") == 2
    engine.ok("rename", "one", "uno")
    assert engine.ok("ps", "--filter", "name=uno", "--format", "{{.Names}} {{.Labels}}").stdout \
        == "uno tier=web\n"
    p = engine("rename", "uno", auto)
    assert p.returncode == 1 and "already in use" in p.stderr
    p = engine("run", "--name", "uno", "busybox", "true")
    assert p.returncode == 125 and 'The container name "/uno" is already in use' in p.stderr
    table = engine.ok("ps", "--format", "table {{.Names}}\\t{{.Status}}").stdout.splitlines()
    assert table[0].split() == ["NAMES", "STATUS"]
    engine.ok("pause", "uno")
    assert "(Paused)" in engine.ok("ps", "--filter", "status=paused").stdout
    engine.ok("unpause", "uno")
    assert engine.inspect("uno")["State"]["Status"] == "running"


def test_rmi_refuses_an_image_a_container_uses(engine):
    cid = engine.ok("create", "--name", "keep", "busybox").stdout.strip()
    p = engine("rmi", "busybox")
    assert p.returncode == 1
    assert f"container {cid[:12]} is using it" in p.stderr
    # forced: only untagged; the container still starts from its layers
    engine.ok("rmi", "-f", "busybox")
    assert engine.ok("start", "-a", "keep").returncode == 0
    engine.ok("rm", "keep")


def test_records_survive_a_reboot(engine):
    """A reboot, simulated: the monitor and the container die, the runroot (tmpfs) is wiped and
    the root filesystem unmounted. ps shows the container exited; start mounts its root again
    with its changes and runs it."""
    import shutil
    cid = engine.ok("run", "-d", "--name", "boot", "busybox", "sh", "-c",
                    "cat /mark 2>/dev/null; echo here > /mark; sleep 100").stdout.strip()
    info = engine.inspect(cid)
    os.kill(info["Hako"]["Monitor"]["Pid"], signal.SIGKILL)
    os.kill(info["State"]["Pid"], signal.SIGKILL)
    wait_for(lambda: not Path(f"/proc/{info['State']['Pid']}").exists(), what="init gone")
    for d in Path("/sys/fs/cgroup").glob(f"*{CG_PARENT}/{cid}"):
        d.rmdir()
    subprocess.run(["umount", str(engine.root / "containers" / cid / "rootfs")], check=True)
    shutil.rmtree(engine.runroot)
    assert "Exited" in engine.ok("ps", "-a", "--filter", "name=boot").stdout
    engine.ok("start", "boot")
    wait_for(lambda: "here\n" in engine.ok("logs", "boot").stdout, what="second run")
    assert engine.ok("logs", "boot").stdout == "here\n"  # printed by the second run
    assert engine.inspect("boot")["State"]["Running"]
    engine.ok("rm", "-f", "boot")
