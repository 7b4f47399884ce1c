"""The rest of a docker user's workflow against the real binary: a missing image pulled from a
registry by `run`, the spec built from --env-file/--entrypoint/-w/--hostname, logs with
timestamps, --since and --tail, inspect's {{json}}, top, stats --format, --privileged on a host
whose bounding set is short, and two commands racing for one name."""
import json
import subprocess
import time
from datetime import datetime

from imagelib import Registry, skopeo_push
from test_engine_basic import wait_for


def test_run_pulls_a_missing_image_from_the_registry(engine, tmp_path):
    archive = tmp_path / "bb.tar"
    engine.ok("save", "-o", archive, "busybox")
    reg = Registry(tmp_path / "reg").start()
    try:
        ref = f"{reg.host}/tools/bb:1"
        skopeo_push(f"docker-archive:{archive}", f"docker://{ref}")
        engine.ok("rmi", "busybox")
        p = engine("run", "--rm", ref, "echo", "pulled-ok")
        assert p.returncode == 0, p.stderr
        assert p.stdout == "pulled-ok\n"
        assert f"Unable to find image '{ref}' locally" in p.stderr
        assert "Pull complete" in p.stderr
        assert [l.split()[:2] for l in engine.ok("images").stdout.splitlines()[1:]] == \
            [[f"{reg.host}/tools/bb", "1"]]
        # the second run finds it: no pull
        p = engine.ok("run", "--rm", ref, "true")
        assert "Unable to find" not in p.stderr
        # a tag the registry does not have: docker's exit code for hako's own errors
        p = engine("run", "--rm", f"{reg.host}/tools/bb:nope", "true")
        assert p.returncode == 125
        assert "manifest" in p.stderr and "nope" in p.stderr
    finally:
        reg.stop()
    # the failed pull stored nothing
    assert len(engine.ok("images", "-q").stdout.split()) == 1


def test_spec_from_flags(engine, tmp_path):
    env = tmp_path / "env"
    env.write_text("A=1\n# a comment\n\nB=two words\nC\n")
    p = engine("run", "--rm", "--env-file", env, "-e", "B=over", "-e", "C=set", "-w", "/tmp/new",
               "--hostname", "box1", "busybox", "sh", "-c",
               "echo \"$A|$B|$C\"; pwd; hostname; cat /etc/hostname; "
               "grep -c localhost /etc/hosts; test -s /etc/resolv.conf && echo resolv")
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == ["1|over|set", "/tmp/new", "box1", "box1", "2", "resolv"]
    p = engine.ok("run", "--rm", "--entrypoint", "/bin/echo", "busybox", "hi", "there")
    assert p.stdout == "hi there\n"
    # the hostname defaults to the short ID
    cid = engine.ok("run", "-d", "busybox", "hostname").stdout.strip()
    assert engine.ok("wait", cid).stdout == "0\n"
    assert engine.ok("logs", cid).stdout == cid[:12] + "\n"
    p = engine("run", "--rm", "--env-file", tmp_path / "missing", "busybox", "true")
    assert p.returncode == 125 and "--env-file" in p.stderr and "missing" in p.stderr


def test_logs_timestamps_since_tail(engine):
    engine.ok("run", "-d", "--name", "lg", "busybox", "sh", "-c",
              "echo one; echo two; sleep 1.2; echo three; sleep 100")
    wait_for(lambda: "three" in engine.ok("logs", "lg").stdout, what="three")
    stamped = engine.ok("logs", "-t", "lg").stdout.splitlines()
    assert [l.split(" ", 1)[1] for l in stamped] == ["one", "two", "three"]
    times = [datetime.strptime(l.split(" ", 1)[0][:26] + "Z", "%Y-%m-%dT%H:%M:%S.%fZ")
             for l in stamped]
    assert times == sorted(times) and (times[2] - times[1]).total_seconds() >= 1
    # --since with the last line's own time, with a relative duration, with a unix time
    assert engine.ok("logs", "--since", stamped[2].split(" ")[0], "lg").stdout == "three\n"
    assert engine.ok("logs", "--since", "1h", "lg").stdout == "one\ntwo\nthree\n"
    assert engine.ok("logs", "--since", str(int(time.time()) + 60), "lg").stdout == ""
    assert engine.ok("logs", "--tail", "2", "lg").stdout == "two\nthree\n"
    assert engine.ok("logs", "--tail", "0", "lg").stdout == ""
    p = engine("logs", "--since", "yesterday-ish", "lg")
    assert p.returncode == 125 and "yesterday-ish" in p.stderr


def test_inspect_json_top_stats_format(engine):
    engine.ok("run", "-d", "--name", "tp", "-e", "K=V", "--label", "l=1", "busybox", "sh", "-c",
              "sleep 100 & sleep 200; echo done")
    cfg = json.loads(engine.ok("inspect", "-f", "{{json .Config}}", "tp").stdout)
    assert cfg["Image"] == "busybox" and "K=V" in cfg["Env"] and cfg["Labels"] == {"l": "1"}
    assert engine.ok("inspect", "-f", "{{.Config.Labels.l}} {{.State.Running}}", "tp").stdout == \
        "1 true\n"
    pid = int(engine.ok("inspect", "-f", "{{.State.Pid}}", "tp").stdout)
    # top: every process with its PID on the host beside its PID inside
    wait_for(lambda: len(engine.ok("top", "tp").stdout.splitlines()) == 4, what="3 processes")
    rows = [l.split() for l in engine.ok("top", "tp").stdout.splitlines()]
    assert rows[0][:3] == ["HOST", "PID", "PID"]
    procs = {int(r[1]): int(r[0]) for r in rows[1:]}
    assert procs[1] == pid
    for inside, host in procs.items():
        status = open(f"/proc/{host}/status").read()
        nspid = [l for l in status.splitlines() if l.startswith("NSpid:")][0].split()
        assert int(nspid[-1]) == inside
    p = engine.ok("stats", "--no-stream", "--format", "{{.Name}}|{{.PIDs}}|{{.MemUsage}}", "tp")
    name, pids, mem = p.stdout.strip().split("|")
    assert name == "tp" and pids == "3" and " / " in mem


def test_privileged_gets_what_this_host_can_give(engine):
    bounding = int([l for l in open("/proc/self/status").read().splitlines()
                    if l.startswith("CapBnd:")][0].split()[1], 16)
    p = engine("run", "--rm", "--privileged", "busybox", "sh", "-c",
               "grep CapEff /proc/self/status; mount -t tmpfs t /tmp && echo mounted; "
               "test -c /dev/tty0 -o -c /dev/loop-control -o -c /dev/kvm && echo host-devices; "
               "grep -q '/proc/kcore' /proc/mounts || echo unmasked")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert int(lines[0].split()[1], 16) == bounding
    assert lines[1:] == ["mounted", "host-devices", "unmasked"]
    p = engine.ok("run", "--rm", "busybox", "sh", "-c", "mount -t tmpfs t /tmp || echo refused")
    assert "refused" in p.stdout
    missing = [c for c in range(41) if not bounding & (1 << c)]
    if missing:  # this machine: CAP_SYS_RESOURCE (24) is not in the bounding set
        names = {24: "SYS_RESOURCE", 21: "SYS_ADMIN", 16: "SYS_MODULE", 17: "SYS_RAWIO"}
        name = next((names[c] for c in missing if c in names), None)
        if name:
            p = engine("run", "--rm", "--cap-add", name, "busybox", "true")
            assert p.returncode == 125
            assert f"--cap-add {name}" in p.stderr and "bounding set" in p.stderr
    assert int(engine.ok("run", "--rm", "--cap-add", "ALL", "busybox", "grep", "CapEff",
                         "/proc/self/status").stdout.split()[1], 16) == bounding


def test_two_runs_racing_for_one_name(engine):
    procs = [subprocess.Popen([str(a) for a in engine.argv("run", "-d", "--name", "same",
                                                           "busybox", "sleep", "100")],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(4)]
    results = [(p.wait(timeout=30), p.stdout.read(), p.stderr.read()) for p in procs]
    for p in procs:
        p.stdout.close()
        p.stderr.close()
    won = [r for r in results if r[0] == 0]
    lost = [r for r in results if r[0] != 0]
    assert len(won) == 1, results
    assert all(r[0] == 125 and "is already in use" in r[2] for r in lost), results
    rows = engine.ok("ps", "-a", "--no-trunc", "--format", "json").stdout.splitlines()
    assert [json.loads(r)["ID"] for r in rows] == [won[0][1].strip()]
