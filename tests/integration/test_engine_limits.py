"""Docker's run flags, checked from inside the container and from the host: memory (OOM kill
recorded), pids, read-only root with tmpfs, users, volumes, --init, restart policies, stats,
ulimits, capabilities, networking, exec."""
import json
import os
import resource
import subprocess
import time
from pathlib import Path

from conftest import HAKO
from rootfs import make_busybox_rootfs
from test_engine_basic import wait_for


def test_memory_hog_is_oom_killed(engine):
    p = engine("run", "-m", "16m", "--name", "hog", "busybox", "sh", "-c",
               "exec tail /dev/zero")
    assert p.returncode == 137, p.stderr
    st = engine.inspect("hog")["State"]
    assert st["OOMKilled"] is True and st["ExitCode"] == 137
    assert engine.inspect("hog")["HostConfig"]["Memory"] == 16 << 20
    # a container that did not hit its limit is not OOMKilled
    engine.ok("run", "-m", "16m", "--name", "fine", "busybox", "true")
    assert engine.inspect("fine")["State"]["OOMKilled"] is False


def test_fork_bomb_is_contained(engine):
    engine.ok("run", "-d", "--name", "bomb", "--pids-limit", "20", "busybox", "sh", "-c",
              "f() { f | f & }; f 2>/dev/null; sleep 100")
    # it grows towards the limit and never past it
    wait_for(lambda: engine.inspect("bomb")["Hako"]["Cgroup"]["Pids"]["Current"] >= 15,
             timeout=20, what="the bomb to grow")
    cg = engine.inspect("bomb")["Hako"]["Cgroup"]["Pids"]
    assert cg["Limit"] == 20 and cg["Current"] <= 20
    # the host still forks fine, and rm -f ends every process of it
    assert subprocess.run(["true"]).returncode == 0
    engine.ok("rm", "-f", "bomb")


def test_read_only_root_and_tmpfs(engine):
    p = engine("run", "--rm", "--read-only", "--tmpfs", "/scratch:size=1m", "busybox", "sh",
               "-c", "touch /x 2>&1; echo ok > /scratch/f && cat /scratch/f; "
               "grep ' /scratch ' /proc/mounts")
    assert "Read-only file system" in p.stdout
    assert "ok\n" in p.stdout
    assert "tmpfs /scratch tmpfs rw,nosuid,nodev,noexec" in p.stdout and "size=1024k" in p.stdout
    # /dev/shm is docker's 64m
    p = engine.ok("run", "--rm", "busybox", "sh", "-c", "df -k /dev/shm | tail -1")
    assert p.stdout.split()[1] == "65536"


def test_users(engine):
    assert engine.ok("run", "--rm", "-u", "1000:1000", "busybox", "id").stdout == \
        "uid=1000 gid=1000 groups=1000\n"
    assert engine.ok("run", "--rm", "-u", "nobody", "busybox", "id").stdout.startswith(
        "uid=65534(nobody) gid=65534(nobody)")
    p = engine("run", "--rm", "-u", "nosuchuser", "busybox", "id")
    assert p.returncode == 125 and "unable to find user nosuchuser" in p.stderr
    assert engine.ok("run", "--rm", "-w", "/tmp", "-e", "A=1", "--env", "B=two", "busybox",
                     "sh", "-c", "pwd; echo $A $B; echo $HOSTNAME").stdout.splitlines()[:2] == \
        ["/tmp", "1 two"]


def test_volumes_ro_and_rw(engine, tmp_path):
    src = tmp_path / "data"
    src.mkdir()
    (src / "in").write_text("from host\n")
    p = engine("run", "--rm", "-v", f"{src}:/data", "busybox", "sh", "-c",
               "cat /data/in; echo from ctr > /data/out")
    assert p.stdout == "from host\n"
    assert (src / "out").read_text() == "from ctr\n"
    p = engine("run", "--rm", "-v", f"{src}:/data:ro", "busybox", "sh", "-c",
               "echo x > /data/out2")
    assert p.returncode != 0 and "Read-only file system" in p.stderr
    assert not (src / "out2").exists()
    info = engine.ok("create", "-v", f"{src}:/data:ro", "busybox").stdout.strip()
    [m] = engine.inspect(info)["Mounts"]
    assert m == {"Type": "bind", "Source": str(src), "Destination": "/data", "Mode": "ro",
                 "RW": False, "Propagation": "rprivate"}


def test_init_reaps_zombies_and_forwards_signals(engine):
    # an orphan whose parent exited is re-parented to PID 1: `sleep` as PID 1 never reaps it
    script = "(sleep 0.1 &); exec sleep 100"
    engine.ok("run", "-d", "--name", "zz", "busybox", "sh", "-c", script)
    engine.ok("run", "-d", "--name", "zi", "--init", "busybox", "sh", "-c", script)

    def ps(name):
        """(stat, args) of each process in the container."""
        lines = engine.ok("exec", name, "ps", "-o", "stat,args").stdout.splitlines()[1:]
        return [tuple(l.split(None, 1)) + ("",) * (2 - len(l.split(None, 1))) for l in lines]

    def orphans(name):
        return [(st, args) for st, args in ps(name) if st.startswith("Z") or args == "sleep 0.1"]
    # the orphan ends: without an init it stays a zombie, with one it is reaped
    wait_for(lambda: [o for o in orphans("zz") if o[0].startswith("Z")], what="the zombie in zz")
    assert len(orphans("zz")) == 1
    wait_for(lambda: not orphans("zi"), what="the orphan in zi to be reaped")
    p = engine.ok("run", "--rm", "--init", "busybox", "ps", "-o", "pid,args")
    assert "1 /sbin/hako-init -- ps -o pid,args" in p.stdout
    # stop: SIGTERM reaches sleep through the init (sleep as PID 1 would ignore it)
    engine.ok("run", "-d", "--init", "--name", "sl", "busybox", "sleep", "100")
    t = time.time()
    engine.ok("stop", "sl")
    assert time.time() - t < 5
    assert engine.inspect("sl")["State"]["ExitCode"] == 143


def test_restart_on_failure_counts(engine):
    engine.ok("run", "-d", "--name", "flaky", "--restart", "on-failure:3", "busybox", "sh",
              "-c", "echo try; exit 2")
    wait_for(lambda: engine.inspect("flaky")["State"]["Status"] == "exited" and
             engine.inspect("flaky")["RestartCount"] == 3, timeout=20, what="3 restarts")
    # the monitor is gone once it has given up: nothing can restart it any more
    wait_for(lambda: not engine.monitors(), what="the monitor to give up")
    info = engine.inspect("flaky")
    assert info["RestartCount"] == 3 and info["State"]["ExitCode"] == 2
    assert engine.ok("logs", "flaky").stdout == "try\n" * 4
    # always: restarted after a clean exit, until stopped
    engine.ok("run", "-d", "--name", "al", "--restart", "always", "busybox", "sleep", "0.2")
    wait_for(lambda: engine.inspect("al")["RestartCount"] >= 2, timeout=20, what="restarts")
    engine.ok("stop", "al")
    n = engine.inspect("al")["RestartCount"]
    wait_for(lambda: not engine.monitors(), what="the monitor to end after stop")
    info = engine.inspect("al")
    assert info["State"]["Status"] == "exited" and info["RestartCount"] == n
    p = engine("run", "--rm", "--restart", "always", "busybox", "true")
    assert p.returncode == 125 and "Conflicting options: --restart and --rm" in p.stderr


def test_stats_shows_the_memory_limit(engine):
    engine.ok("run", "-d", "--name", "st", "-m", "32m", "--pids-limit", "50", "busybox",
              "sh", "-c", "sleep 100 & while true; do :; done")
    p = engine.ok("stats", "--no-stream")
    lines = p.stdout.splitlines()
    assert lines[0].split() == ["CONTAINER", "ID", "NAME", "CPU", "%", "MEM", "USAGE", "/",
                                "LIMIT", "MEM", "%", "NET", "I/O", "BLOCK", "I/O", "PIDS"]
    row = lines[1]
    assert row.startswith(engine.inspect("st")["Id"][:12]) and " st " in row
    assert " / 32MiB " in row and row.split()[-1] == "2"
    j = json.loads(engine.ok("stats", "--no-stream", "--format", "json", "st").stdout)
    assert j["MemUsage"].endswith(" / 32MiB") and float(j["CPUPerc"][:-1]) > 20
    assert engine.ok("stats", "--no-stream", "--format", "{{.Name}}:{{.PIDs}}").stdout == "st:2\n"
    cg = engine.inspect("st")["Hako"]["Cgroup"]
    assert cg["Memory"]["Limit"] == 32 << 20 and cg["Pids"]["Limit"] == 50
    assert cg["Requested"]["memory"]["limit"] == 32 << 20
    top = engine.ok("top", "st").stdout.splitlines()
    assert top[0].split() == ["HOST", "PID", "PID", "PPID", "UID", "TIME", "CMD"]
    pids = {int(l.split()[1]): int(l.split()[0]) for l in top[1:]}
    assert pids[1] == engine.inspect("st")["State"]["Pid"] and len(pids) == 2


def test_ulimit_clamped_to_the_host(engine):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    p = engine("run", "--rm", "--ulimit", "nofile=512:1024", "busybox", "sh", "-c",
               "ulimit -n; ulimit -Hn")
    assert p.returncode == 0 and p.stdout == "512\n1024\n"
    if hard != resource.RLIM_INFINITY:
        p = engine("run", "--rm", "--ulimit", f"nofile={hard * 4}:{hard * 4}", "busybox",
                   "sh", "-c", "ulimit -Hn")
        assert p.returncode == 0, p.stderr
        assert p.stdout == f"{hard}\n"
        assert "WARNING: --ulimit nofile" in p.stderr and "clamped" in p.stderr
    p = engine("run", "--rm", "--ulimit", "nofile=2048:1024", "busybox", "true")
    assert p.returncode == 125 and "soft limit must be less than or equal" in p.stderr


def test_capabilities_and_privileges(engine):
    def capeff(*flags):
        out = engine.ok("run", "--rm", *flags, "busybox", "grep", "Cap", "/proc/self/status").stdout
        return {l.split(":")[0]: int(l.split()[1], 16) for l in out.splitlines()}
    default = capeff()
    assert default["CapEff"] == 0xa80425fb  # docker's default set
    assert default["CapInh"] == 0
    assert capeff("--cap-drop", "ALL")["CapEff"] == 0
    assert capeff("--cap-drop", "all", "--cap-add", "net_admin")["CapEff"] == 1 << 12
    assert capeff("--cap-add", "CAP_SYS_ADMIN")["CapEff"] == 0xa80425fb | (1 << 21)
    p = engine("run", "--rm", "--cap-add", "NOPE", "busybox", "true")
    assert p.returncode == 125 and "invalid capability" in p.stderr
    # seccomp: docker's profile blocks what it blocks; unconfined lifts it
    assert engine("run", "--rm", "busybox", "grep", "Seccomp:", "/proc/self/status").stdout \
        .split()[-1] == "2"
    assert engine("run", "--rm", "--security-opt", "seccomp=unconfined", "busybox", "grep",
                  "Seccomp:", "/proc/self/status").stdout.split()[-1] == "0"
    # seccomp=FILE: the user's own profile (docker's, with mkdir refused by EACCES)
    prof = json.loads(subprocess.run([str(HAKO), "runtime", "seccomp-default"], check=True,
                                     capture_output=True, text=True).stdout)
    prof["syscalls"].insert(0, {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO",
                                "errnoRet": 13})
    path = engine.root.parent / "profile.json"
    path.write_text(json.dumps(prof))
    p = engine("run", "--rm", "--security-opt", f"seccomp={path}", "busybox", "sh", "-c",
               "mkdir /tmp/x; echo rc=$?; touch /tmp/y && echo touched")
    assert p.stdout.splitlines() == ["rc=1", "touched"] and "Permission denied" in p.stderr
    assert engine("run", "--rm", "--security-opt", "no-new-privileges", "busybox", "grep",
                  "NoNewPrivs", "/proc/self/status").stdout.split()[-1] == "1"
    # masked and read-only paths
    p = engine("run", "--rm", "busybox", "sh", "-c",
               "cat /proc/kcore | wc -c; echo 1 > /proc/sys/kernel/domainname")
    assert p.stdout.strip() == "0" and "Read-only file system" in p.stderr


def test_networking_modes(engine):
    p = engine.ok("run", "--rm", "busybox", "sh", "-c", "ip -o link; ip -o addr show lo")
    assert "lo:" in p.stdout and "UP" in p.stdout.split("\n")[0]
    assert "inet 127.0.0.1/8" in p.stdout and len(p.stdout.split("\n")[0]) > 0
    assert len([l for l in p.stdout.splitlines() if ": " in l and "link/" in l]) == 1
    # loopback works inside: a server and a client on 127.0.0.1
    p = engine.ok("run", "--rm", "busybox", "sh", "-c",
                  "nc -l -p 5555 > /tmp/got & sleep 0.2; echo hi | nc -w 1 127.0.0.1 5555; "
                  "sleep 0.2; cat /tmp/got")
    assert p.stdout.endswith("hi\n")
    p = engine.ok("run", "--rm", "--network", "none", "busybox", "ip", "-o", "link")
    assert p.stdout.count("link/") == 1
    host_links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    p = engine.ok("run", "--rm", "--network", "host", "busybox", "ip", "-o", "link")
    assert p.stdout.count("link/") == host_links.count("link/")
    assert engine.ok("run", "--rm", "--network", "host", "busybox", "hostname").stdout.strip() \
        == os.uname().nodename
    # /etc files written by the engine
    cid = engine.ok("create", "-h", "myhost", "busybox").stdout.strip()
    info = engine.inspect(cid)
    assert Path(info["HostnamePath"]).read_text() == "myhost\n"
    assert "127.0.0.1\tlocalhost" in Path(info["HostsPath"]).read_text()
    assert "nameserver 127." not in Path(info["ResolvConfPath"]).read_text()
    assert engine.ok("run", "--rm", "-h", "myhost", "busybox", "sh", "-c",
                     "hostname; cat /etc/hostname").stdout == "myhost\nmyhost\n"


def test_exec_in_a_running_container(engine):
    engine.ok("run", "-d", "--name", "web", "-e", "FROM=run", "busybox", "sleep", "100")
    p = engine("exec", "web", "sh", "-c", "echo $FROM; ps -o pid,args; exit 6")
    assert p.returncode == 6
    assert p.stdout.splitlines()[0] == "run" and "1 sleep 100" in p.stdout
    assert engine.ok("exec", "-u", "1000:1000", "-w", "/tmp", "-e", "X=y", "web", "sh", "-c",
                     "id -u; pwd; echo $X").stdout == "1000\n/tmp\ny\n"
    p = engine("exec", "web", "nosuchcmd")
    assert p.returncode == 127 and "executable file not found" in p.stderr
    assert engine.ok("exec", "-i", "web", "cat", input="piped\n").stdout == "piped\n"
    engine.ok("exec", "-d", "web", "sh", "-c", "echo d > /tmp/detached")
    wait_for(lambda: engine("exec", "web", "cat", "/tmp/detached").stdout == "d\n",
             what="detached exec")
    engine.ok("stop", "-t", "1", "web")
    p = engine("exec", "web", "true")
    assert p.returncode == 1 and "is not running" in p.stderr


def test_seccomp_cache_is_checked(engine):
    """The runtime caches compiled seccomp programs; a cache file that does not match its
    profile byte for byte is never used (recompiled and replaced)."""
    def mode():
        return engine.ok("run", "--rm", "busybox", "grep", "Seccomp:",
                         "/proc/self/status").stdout.split()[-1]
    assert mode() == "2"
    cache = engine.runroot / "runtime" / ".seccomp-cache"
    [f] = list(cache.iterdir())
    good = f.read_bytes()
    assert good.startswith(b"HKSCMP2\0") and b"SCMP_ACT_ERRNO" in good
    f.write_bytes(good[:64] + b"X" + good[65:])  # a profile text that no longer matches
    assert mode() == "2"
    assert f.read_bytes() == good
    # a blocked syscall stays blocked with the cached program
    p = engine("run", "--rm", "busybox", "sh", "-c", "mkdir /m && mount -t tmpfs t /m")
    assert p.returncode != 0


def test_user_namespace(engine):
    """--uidmap/--gidmap: root inside is an unprivileged user outside. The runtime opens
    bind-mount sources as that user, so its /etc files live under the runroot (traversable);
    here the runroot is a directory of /run (tmp_path's parents are closed to others)."""
    import shutil
    import tempfile
    from conftest import Engine
    e = Engine(engine.root.parent)
    e.runroot = Path(tempfile.mkdtemp(prefix="hako-userns-", dir="/run"))
    try:
        p = e.ok("run", "--rm", "--uidmap", "0:100000:65536", "--gidmap", "0:100000:65536",
                 "busybox", "sh", "-c", "id -u; cat /proc/self/uid_map; touch /y && echo ok; "
                 "stat -c %u /bin")
        lines = p.stdout.split("\n")
        assert lines[0] == "0" and lines[1].split() == ["0", "100000", "65536"]
        assert lines[2] == "ok" and lines[3] == "65534"  # the image's files: unmapped, nobody
        cid = e.ok("run", "-d", "--uidmap", "0:100000:65536", "--gidmap", "0:100000:65536",
                   "busybox", "sleep", "100").stdout.strip()
        pid = e.inspect(cid)["State"]["Pid"]
        assert os.stat(f"/proc/{pid}").st_uid == 100000  # seen from the host
        e.ok("rm", "-f", cid)
        assert not (e.runroot / "userns" / cid).exists()
    finally:
        e.cleanup()
        shutil.rmtree(e.runroot, ignore_errors=True)


def test_image_links_that_climb_out_stay_inside(engine, tmp_path):
    """An image may hold relative links that climb above its root (docker keeps them). Read by
    hako on the host (-u through /etc/passwd) or in the container, they stay inside it."""
    host = tmp_path / "host"
    host.mkdir()
    (host / "passwd").write_text("evil:x:4242:4242::/:/bin/sh\n")
    (host / "secret").write_text("host secret\n")
    root = make_busybox_rootfs(tmp_path / "rootfs")
    up = "../" * 30
    (root / "etc/passwd").unlink()
    (root / "etc/passwd").symlink_to(up + str(host / "passwd").lstrip("/"))
    (root / "secret").symlink_to(up + str(host / "secret").lstrip("/"))
    tar = tmp_path / "climb.tar"
    subprocess.run(["tar", "-C", root, "-cf", tar, "."], check=True)
    engine.ok("import", tar, "climb:1")
    p = engine("run", "--rm", "-u", "evil", "climb:1", "id", "-u")
    assert p.returncode != 0 and "4242" not in p.stdout
    assert "evil" in p.stderr
    p = engine("run", "--rm", "climb:1", "sh", "-c", "readlink /secret; cat /secret")
    assert p.stdout.splitlines()[0] == up + str(host / "secret").lstrip("/")
    assert "host secret" not in p.stdout and "No such file" in p.stderr
