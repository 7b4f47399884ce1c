"""docker's exact behaviour where scripts rely on it: exit statuses (1 for a failing command
other than run/create, 125 for run/create's own errors and for bad flags), long options matched
exactly, `wait` on a --rm container, `-it` without a terminal, values checked at create naming
the flag, --security-opt, ps filters, inspect's fallback to images, exec into a paused
container. Expected values are docker's documented outputs."""
import json
import os
import time

import pytest


def test_failing_commands_exit_1(engine):
    for args in (["rm", "nosuch"], ["logs", "nosuch"], ["stop", "nosuch"], ["kill", "nosuch"],
                 ["start", "nosuch"], ["wait", "nosuch"], ["pause", "nosuch"],
                 ["exec", "nosuch", "true"], ["top", "nosuch"]):
        p = engine(*args)
        assert p.returncode == 1, (args, p.returncode, p.stderr)
        assert "No such container: nosuch" in p.stderr, args
    # a bad flag is 125 everywhere, as docker's flag errors
    p = engine("rm", "--bogus", "x")
    assert p.returncode == 125 and "unknown flag: --bogus" in p.stderr
    # run/create keep 125 for their own errors
    p = engine("run", "--rm", "--volumes-from", "nosuch", "busybox", "true")
    assert p.returncode == 125


def test_inspect_falls_back_to_images_and_prints_empty_list(engine):
    p = engine("inspect", "nosuch")
    assert p.returncode == 1
    assert p.stdout == "[]\n"
    assert "Error: No such object: nosuch" in p.stderr
    [img] = json.loads(engine.ok("inspect", "busybox").stdout)
    assert img["Id"].startswith("sha256:") and "busybox:latest" in img["RepoTags"]
    engine.ok("create", "--name", "busybox", "busybox", "true")  # a container wins
    [c] = json.loads(engine.ok("inspect", "busybox").stdout)
    assert c["Name"] == "/busybox"
    [i2] = json.loads(engine.ok("inspect", "--type", "image", "busybox").stdout)
    assert i2["Id"] == img["Id"]
    p = engine("inspect", "--type", "container", "nosuch")
    assert p.returncode == 1 and "Error: No such container: nosuch" in p.stderr
    engine.ok("volume", "create", "vv")
    [v] = json.loads(engine.ok("inspect", "vv").stdout)
    assert v["Name"] == "vv" and v["Driver"] == "local"
    # found ones are printed, missing ones are errors, the status is 1
    p = engine("inspect", "-f", "{{.Name}}", "busybox", "nosuch")
    assert p.returncode == 1 and p.stdout == "/busybox\n"


@pytest.mark.parametrize("flag", ["--priv", "--pids", "--netw=host", "--memory-s"])
def test_long_options_exact(engine, flag):
    # getopt would take each for the one long option it begins (--pids 5 as --pids-limit 5)
    args = ["run", flag] + (["5"] if flag == "--pids" else []) + ["busybox", "true"]
    p = engine(*args)
    assert p.returncode == 125
    assert f"unknown flag: {flag}" in p.stderr, p.stderr
    assert engine.ok("ps", "-aq").stdout == ""


def test_pid_host_is_not_pids_limit(engine):
    # before exact matching, getopt read "--pid host" as "--pids-limit host"
    cid = engine.ok("create", "--pid", "host", "busybox", "true").stdout.strip()
    hc = engine.inspect(cid)["HostConfig"]
    assert hc["PidMode"] == "host" and hc["PidsLimit"] is None  # docker's zero value
    engine.ok("rm", cid)


def test_long_options_exact_elsewhere(engine):
    p = engine("ps", "--al")
    assert p.returncode == 125 and "unknown flag: --al" in p.stderr
    p = engine("logs", "--foll", "x")
    assert p.returncode == 125 and "unknown flag: --foll" in p.stderr


def test_wait_on_detached_rm_container(engine):
    cid = engine.ok("run", "-d", "--rm", "busybox", "sh", "-c", "sleep 0.3; exit 7").stdout.strip()
    p = engine("wait", cid)
    assert p.returncode == 0 and p.stdout == "7\n"


def test_run_it_without_terminal(engine):
    p = engine("run", "-it", "busybox", "true", stdin=open("/dev/null"))
    assert p.returncode == 1
    assert "the input device is not a TTY" in p.stderr
    assert engine.ok("ps", "-aq").stdout == ""  # checked before anything was made
    # -t alone works without a terminal, as docker's
    assert engine("run", "--rm", "-t", "busybox", "true", stdin=open("/dev/null")).returncode == 0


@pytest.mark.parametrize("args,msg", [
    (["--cpus", "0.001"], "Range of CPUs is from 0.01 to"),
    (["--cpus", "1000"], "Range of CPUs is from 0.01 to"),
    (["-c", "-5"], "--cpu-shares -5"),
    (["-c", "300000"], "--cpu-shares 300000"),
    (["--pids-limit", "99999999999999999999"], "value out of range"),
    (["--pids-limit", "5000000"], "--pids-limit 5000000"),
    (["-e", "=x"], 'invalid argument "=x" for "-e, --env" flag: invalid environment variable: =x'),
    (["-w", "relative"], "the working directory 'relative' is invalid, it needs to be an "
                         "absolute path"),
    (["--security-opt", "no-new-privilege"], 'invalid --security-opt 1: "no-new-privilege"'),
    (["--security-opt", "foo=bar"], 'invalid --security-opt 2: "foo=bar"'),
    (["--security-opt", "no-new-privileges=maybe"],
     'invalid --security-opt 2: "no-new-privileges=maybe"'),
    (["--security-opt", "apparmor=docker-default"], "AppArmor is not enabled on this host"),
])
def test_values_checked_at_create(engine, args, msg):
    p = engine("create", *args, "busybox", "true")
    assert p.returncode == 125, p.stderr
    assert msg in p.stderr, p.stderr
    assert engine.ok("ps", "-aq").stdout == ""


def test_security_opt_accepted_forms(engine):
    for opt in ("no-new-privileges", "no-new-privileges=true", "no-new-privileges:true",
                "no-new-privileges=1"):
        out = engine.ok("run", "--rm", "--security-opt", opt, "busybox", "grep", "NoNewPrivs",
                        "/proc/self/status").stdout
        assert out.split() == ["NoNewPrivs:", "1"], opt
    out = engine.ok("run", "--rm", "--security-opt", "no-new-privileges=false", "busybox",
                    "grep", "NoNewPrivs", "/proc/self/status").stdout
    assert out.split() == ["NoNewPrivs:", "0"]


def test_ps_filters(engine):
    p = engine("ps", "-a", "--filter", "foo=bar")
    assert p.returncode == 1 and "Invalid filter 'foo'" in p.stderr and p.stdout == ""
    p = engine("ps", "-a", "--filter", "status=bogus")
    assert p.returncode == 1 and "invalid filter 'status=bogus'" in p.stderr
    assert engine("run", "--name", "first", "-v", "fv:/data", "busybox", "sh", "-c",
                  "exit 3").returncode == 3
    time.sleep(0.01)
    engine.ok("run", "--name", "second", "busybox", "true")
    time.sleep(0.01)
    engine.ok("create", "--name", "third", "busybox", "true")

    def names(*f):
        args = ["ps", "-a", "--format", "{{.Names}}"]
        for x in f:
            args += ["--filter", x]
        return engine.ok(*args).stdout.split()
    assert names("exited=3") == ["first"]
    assert names("exited=0") == ["second"]
    assert sorted(names("ancestor=busybox")) == ["first", "second", "third"]
    assert names("ancestor=busybox:latest", "status=created") == ["third"]
    assert names("ancestor=nosuch") == []
    assert names("before=third") == ["second", "first"]
    assert names("since=first") == ["third", "second"]
    assert names("volume=fv") == ["first"]
    assert names("volume=/data") == ["first"]
    # before/since list stopped containers without -a, as docker's
    assert engine.ok("ps", "--format", "{{.Names}}", "--filter",
                     "since=first").stdout.split() == ["third", "second"]
    p = engine("ps", "--filter", "before=nosuch")
    assert p.returncode == 1 and "No such container: nosuch" in p.stderr


def test_exec_into_paused_container(engine):
    engine.ok("run", "-d", "--name", "pz", "busybox", "sleep", "100")
    engine.ok("pause", "pz")
    try:
        p = engine("exec", "pz", "true")
        assert p.returncode == 1
        assert "is paused, unpause the container before exec" in p.stderr
    finally:
        engine.ok("unpause", "pz")
    p = engine("exec", "-it", "pz", "true", stdin=open("/dev/null"))
    assert p.returncode == 1 and "the input device is not a TTY" in p.stderr
    engine.ok("rm", "-f", "pz")


def test_namespace_and_resource_flags(engine):
    host = open("/proc/sys/kernel/hostname").read().strip()
    out = engine.ok("run", "--rm", "--uts", "host", "--ipc", "host", "busybox", "sh", "-c",
                    "hostname; readlink /proc/self/ns/ipc; readlink /proc/self/ns/uts").stdout.split()
    assert out[0] == host
    assert out[1] == os.readlink("/proc/self/ns/ipc") and out[2] == os.readlink("/proc/self/ns/uts")
    # --pid host: the host's processes are visible (our own pid among them)
    out = engine.ok("run", "--rm", "--pid", "host", "busybox", "ls", "/proc").stdout.split()
    assert str(os.getpid()) in out
    out = engine.ok("run", "--rm", "--shm-size", "1m", "--sysctl", "net.ipv4.ip_forward=1",
                    "--oom-score-adj", "500", "--group-add", "1234", "--group-add", "nobody",
                    "busybox", "sh", "-c",
                    "df -k /dev/shm | tail -1; cat /proc/sys/net/ipv4/ip_forward "
                    "/proc/self/oom_score_adj; id -G").stdout.splitlines()
    assert out[0].split()[1] == "1024"
    assert out[1:3] == ["1", "500"]
    assert set(out[3].split()) == {"0", "1234", "65534"}
    cid = engine.ok("create", "--memory-reservation", "10m", "--cpu-quota", "50000",
                    "--cpu-period", "100000", "busybox", "true").stdout.strip()
    spec = json.loads((engine.root / "containers" / cid / "config.json").read_text())
    res = spec["linux"]["resources"]
    assert res["memory"]["reservation"] == 10 << 20
    assert res["cpu"]["quota"] == 50000 and res["cpu"]["period"] == 100000
    engine.ok("rm", cid)


@pytest.mark.parametrize("args,msg", [
    (["--sysctl", "kernel.foo=1"], "sysctl 'kernel.foo' is not allowed"),
    (["--network", "host", "--sysctl", "net.ipv4.ip_forward=1"],
     'sysctl "net.ipv4.ip_forward" not allowed in host network namespace'),
    (["--oom-score-adj", "1001"], "Invalid value 1001, range for oom score adj is [-1000, 1000]"),
    (["--memory-reservation", "1m"], "Minimum memory reservation allowed is 6MB"),
    (["-m", "10m", "--memory-reservation", "20m"],
     "Minimum memory limit can not be less than memory reservation limit"),
    (["--cpu-period", "10"], "CPU cfs period can not be less than 1ms"),
    (["--cpu-quota", "10"], "CPU cfs quota can not be less than 1ms"),
    (["--ipc", "bogus"], "--ipc: invalid IPC mode: bogus"),
    (["--pid", "bogus"], "--pid: invalid PID mode: bogus"),
    (["--pid", "container:"], "--pid: invalid PID mode: container:"),
    (["--uts", "container:x"], "--uts: invalid UTS mode: container:x"),
    (["--group-add", "nosuchgroup"], "unable to find group nosuchgroup"),
    (["--pull", "sometimes"], "invalid pull option: 'sometimes'"),
])
def test_more_values_checked_at_create(engine, args, msg):
    p = engine("create", *args, "busybox", "true")
    assert p.returncode == 125, p.stderr
    assert msg in p.stderr, p.stderr
    assert engine.ok("ps", "-aq").stdout == ""


def test_cidfile_and_pull_never(engine, tmp_path):
    cidfile = tmp_path / "cid"
    cid = engine.ok("create", "--cidfile", cidfile, "busybox", "true").stdout.strip()
    assert cidfile.read_text() == cid
    p = engine("create", "--cidfile", cidfile, "busybox", "true")
    assert p.returncode == 125
    assert f"Container ID file found, make sure the other container isn't running or delete " \
           f"{cidfile}" in p.stderr
    p = engine("run", "--rm", "--pull", "never", "nosuch:1", "true")
    assert p.returncode == 125 and "No such image: nosuch:1" in p.stderr
    assert engine.ok("ps", "-aq", "--no-trunc").stdout.split() == [cid]


def test_container_management_forms_and_prune(engine):
    assert engine.ok("container", "run", "--rm", "busybox", "echo", "hi").stdout == "hi\n"
    done = engine.ok("container", "create", "busybox", "true").stdout.strip()
    engine.ok("container", "start", done)
    engine.ok("container", "wait", done)
    up = engine.ok("container", "run", "-d", "busybox", "sleep", "100").stdout.strip()
    assert sorted(engine.ok("container", "ls", "-aq", "--no-trunc").stdout.split()) == \
        sorted([done, up])
    p = engine.ok("container", "prune", "-f")
    assert p.stdout == f"Deleted Containers:\n{done}\n\nTotal reclaimed space: 0B\n"
    assert engine.ok("container", "ls", "-aq", "--no-trunc").stdout.split() == [up]
    p = engine("container", "rm", "nosuch")
    assert p.returncode == 1
    p = engine("container", "run", "--priv", "busybox")
    assert p.returncode == 125
    engine.ok("container", "rm", "-f", up)
    assert engine.ok("image", "ls", "-q").stdout.strip() != ""


def test_version_and_info(engine):
    out = engine.ok("version").stdout
    assert out.startswith("Client:\n Version:  ") and "\nServer: " in out
    assert engine.ok("version", "--format", "{{.Client.Version}}").stdout.strip() == \
        engine.ok("version", "--format", "{{.Server.Version}}").stdout.strip()
    assert json.loads(engine.ok("version", "--format", "json").stdout)["Server"][
        "KernelVersion"] == os.uname().release
    engine.ok("run", "-d", "--name", "up", "busybox", "sleep", "100")
    engine.ok("create", "busybox", "true")
    info = json.loads(engine.ok("info", "--format", "json").stdout)
    assert (info["Containers"], info["ContainersRunning"], info["ContainersStopped"],
            info["ContainersPaused"]) == (2, 1, 1, 0)
    assert info["Images"] == 1 and info["NCPU"] == os.cpu_count()
    assert info["KernelVersion"] == os.uname().release and info["OSType"] == "linux"
    assert info["DockerRootDir"] == str(engine.root)
    v2 = os.path.exists("/sys/fs/cgroup/cgroup.controllers")
    assert info["CgroupVersion"] == ("2" if v2 else "1")
    text = engine.ok("info").stdout
    assert " Containers: 2\n  Running: 1\n  Paused: 0\n  Stopped: 1\n Images: 1\n" in text
    assert engine.ok("info", "-f", "{{.ContainersRunning}}").stdout == "1\n"
    engine.ok("rm", "-f", "up")
