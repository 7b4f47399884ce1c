"""hako-runtime: every config.json field the runtime spec defines, checked from inside the
container and from the host."""
import json
import os
import socket
import stat
import subprocess
import time
from pathlib import Path

import pytest

from conftest import RUNTIME, run, wait_for


def caps_of(out, name):
    for line in out.splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1], 16)
    raise AssertionError(f"{name} not in {out}")


def test_process_user_env_cwd_umask(rt, bundle):
    bundle.config["process"]["user"] = {"uid": 1000, "gid": 1000, "additionalGids": [10, 20],
                                        "umask": 0o027}
    bundle.config["process"]["env"] = ["PATH=/bin:/usr/bin", "FOO=bar baz"]
    bundle.config["process"]["cwd"] = "/work/dir"
    bundle.sh("id -u; id -g; id -G; pwd; echo \"$FOO\"; echo $HOME; umask")
    p = rt.run("user", bundle)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] == "1000" and lines[1] == "1000"
    assert sorted(lines[2].split()) == ["10", "1000", "20"]
    assert lines[3] == "/work/dir"         # created by the runtime when missing
    assert lines[4] == "bar baz"
    assert lines[5] == "/"                 # HOME from /etc/passwd (uid 1000 has no entry)
    assert lines[6] == "0027"


def test_home_from_passwd(rt, bundle):
    bundle.sh("echo $HOME")
    assert rt.run("home", bundle).stdout == "/root\n"


def test_capabilities_and_no_new_privileges(rt, bundle):
    c = bundle.config["process"]
    c["capabilities"] = {s: ["CAP_NET_RAW", "CAP_CHOWN"] for s in
                         ("bounding", "effective", "permitted", "ambient", "inheritable")}
    c["capabilities"]["bounding"].append("CAP_KILL")
    c["noNewPrivileges"] = True
    bundle.sh("cat /proc/self/status")
    out = rt.run("caps", bundle).stdout
    net_raw, chown, kill = 1 << 13, 1 << 0, 1 << 5
    assert caps_of(out, "CapEff") == net_raw | chown
    assert caps_of(out, "CapPrm") == net_raw | chown
    assert caps_of(out, "CapBnd") == net_raw | chown | kill
    assert caps_of(out, "CapAmb") == net_raw | chown
    assert "NoNewPrivs:\t1" in out


def test_inheritable_empty_unless_asked(rt, bundle):
    # CVE-2022-29162: the default spec asks for no inheritable capabilities
    bundle.sh("cat /proc/self/status")
    out = rt.run("inh", bundle).stdout
    assert caps_of(out, "CapInh") == 0
    assert caps_of(out, "CapEff") != 0


def test_rlimits_and_oom_score(rt, bundle):
    c = bundle.config["process"]
    c["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 512, "hard": 600},
                    {"type": "RLIMIT_CORE", "soft": 0, "hard": 0}]
    c["oomScoreAdj"] = 500
    bundle.sh("ulimit -n; ulimit -Hn; ulimit -c; cat /proc/self/oom_score_adj")
    p = rt.run("rlim", bundle)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["512", "600", "0", "500"]


def test_rlimit_above_hard_limit_is_explained(rt, bundle):
    import resource
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    bundle.config["process"]["rlimits"] = [
        {"type": "RLIMIT_NOFILE", "soft": 1024, "hard": hard + 1}]
    p = rt.run("rlimhigh", bundle)
    if p.returncode == 0:
        pytest.skip("this machine lets root raise hard limits (CAP_SYS_RESOURCE)")
    assert "process.rlimits[0]" in p.stderr and "CAP_SYS_RESOURCE" in p.stderr
    assert not (rt.root / "rlimhigh").exists()


def test_hostname_domainname(rt, bundle):
    bundle.config["hostname"] = "box1"
    bundle.config["domainname"] = "example.test"
    bundle.sh("hostname; cat /proc/sys/kernel/domainname")
    assert rt.run("uts", bundle).stdout.split() == ["box1", "example.test"]


def test_readonly_root(rt, bundle):
    bundle.config["root"]["readonly"] = True
    bundle.sh("touch /x 2>&1; echo rc=$?; touch /dev/shm/ok && echo tmpfs-ok")
    out = rt.run("ro", bundle).stdout
    assert "Read-only file system" in out and "rc=1" in out
    assert "tmpfs-ok" in out
    assert not (bundle.rootfs / "x").exists()


def test_mounts_bind_tmpfs_options(rt, bundle, tmp_path):
    rw = tmp_path / "rw"
    rw.mkdir()
    ro = tmp_path / "ro"
    ro.mkdir()
    (ro / "f").write_text("ro-data")
    nested = tmp_path / "nest"
    nested.mkdir()
    bundle.config["mounts"] += [
        {"destination": "/rw", "type": "bind", "source": str(rw), "options": ["rbind", "rw"]},
        {"destination": "/ro", "type": "bind", "source": str(ro), "options": ["bind", "ro"]},
        {"destination": "/etc/hostname.f", "type": "bind", "source": str(ro / "f"),
         "options": ["bind", "ro"]},
        {"destination": "/scratch", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "nodev", "size=1m", "mode=0700"]},
        {"destination": "/rro", "type": "bind", "source": str(rw), "options": ["rbind", "rro"]},
    ]
    bundle.sh("echo hello > /rw/out; cat /ro/f; echo; echo x > /ro/g 2>/dev/null || echo ro-denied;"
              " cat /etc/hostname.f; echo; stat -c %a /scratch; grep ' /scratch ' /proc/mounts;"
              " echo y > /rro/z 2>/dev/null || echo rro-denied")
    p = rt.run("mounts", bundle)
    assert p.returncode == 0, p.stderr
    out = p.stdout
    assert (rw / "out").read_text() == "hello\n"
    assert "ro-data" in out and "ro-denied" in out and "rro-denied" in out
    assert not (ro / "g").exists()
    assert "\n700\n" in out
    scratch = [l for l in out.splitlines() if " /scratch " in l][0]
    assert "size=1024k" in scratch and "nosuid" in scratch and "nodev" in scratch


def test_join_network_namespace_by_path(rt, bundle):
    name = f"hako-test-{os.getpid()}"
    run(["ip", "netns", "add", name], check=True)
    try:
        run(["ip", "-n", name, "link", "set", "lo", "mtu", "1234"], check=True)
        ns = bundle.config["linux"]["namespaces"]
        for n in ns:
            if n["type"] == "network":
                n["path"] = f"/run/netns/{name}"
        bundle.sh("cat /sys/class/net/lo/mtu")
        p = rt.run("joinnet", bundle)
        assert p.returncode == 0, p.stderr
        assert p.stdout == "1234\n"   # the namespace the test made, not a new one
    finally:
        run(["ip", "netns", "delete", name])


def test_join_namespace_of_wrong_type_is_refused(rt, bundle):
    for n in bundle.config["linux"]["namespaces"]:
        if n["type"] == "network":
            n["path"] = "/proc/self/ns/uts"
    p = rt.run("wrongns", bundle)
    assert p.returncode == 1
    assert "is not a network namespace" in p.stderr


def test_time_namespace_offsets(rt, bundle):
    bundle.config["linux"]["namespaces"].append({"type": "time"})
    bundle.config["linux"]["timeOffsets"] = {"boottime": {"secs": 86400 * 1000, "nanosecs": 0},
                                             "monotonic": {"secs": 3600, "nanosecs": 0}}
    bundle.sh("cut -d. -f1 /proc/uptime")
    p = rt.run("timens", bundle)
    assert p.returncode == 0, p.stderr
    assert int(p.stdout) >= 86400 * 1000


def test_devices(rt, bundle):
    bundle.config["linux"]["devices"] = [
        {"path": "/dev/mydev", "type": "c", "major": 1, "minor": 7, "fileMode": 0o600,
         "uid": 1000, "gid": 1001},
        {"path": "/dev/sub/fifo", "type": "p"},
    ]
    bundle.sh("ls -ln /dev/mydev; ls -l /dev/sub/fifo; ls -l /dev/null /dev/zero /dev/urandom "
              "/dev/tty /dev/full /dev/random; readlink /dev/fd; readlink /dev/stdin; readlink /dev/ptmx;"
              " head -c 3 /dev/mydev 2>&1 | grep -c 'Permission denied'")
    p = rt.run("devs", bundle)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0].startswith("crw-------") and " 1000 " in lines[0] and " 1001 " in lines[0]
    assert "1,   7" in lines[0] or "1, 7" in lines[0]
    assert lines[1].startswith("p")
    for dev in ("null", "zero", "urandom", "tty", "full", "random"):
        assert any(l.startswith("crw-rw-rw-") and l.endswith("/dev/" + dev) for l in lines), dev
    assert "/proc/self/fd" in lines and "/proc/self/fd/0" in lines and "pts/ptmx" in lines
    # root without CAP_DAC_OVERRIDE cannot read a 0600 node of uid 1000: the mode is real
    assert lines[-1].strip() == "1"


def test_masked_and_readonly_paths(rt, bundle):
    bundle.config["linux"]["maskedPaths"] += ["/etc/secret-dir", "/etc/secret-file"]
    (bundle.rootfs / "etc/secret-dir").mkdir()
    (bundle.rootfs / "etc/secret-dir/a").write_text("s")
    (bundle.rootfs / "etc/secret-file").write_text("s")
    bundle.sh("wc -c < /proc/keys; ls /sys/firmware | wc -l; ls /etc/secret-dir | wc -l;"
              " wc -c < /etc/secret-file; echo 1 > /proc/sys/kernel/domainname 2>/dev/null"
              " || echo sys-ro; echo h > /proc/sysrq-trigger 2>/dev/null || echo sysrq-ro;"
              " umount /proc/keys 2>/dev/null || echo cannot-unmask")
    p = rt.run("mask", bundle)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["0", "0", "0", "0", "sys-ro", "sysrq-ro", "cannot-unmask"]


def test_sysctl(rt, bundle):
    bundle.config["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1",
                                        "kernel.shm_rmid_forced": "1"}
    bundle.sh("cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shm_rmid_forced")
    p = rt.run("sysctl", bundle)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["1", "1"]
    # the host is unchanged
    assert open("/proc/sys/kernel/shm_rmid_forced").read().strip() == "0"


def test_rootfs_propagation(rt, bundle):
    bundle.sh("awk '$5 == \"/\"' /proc/self/mountinfo")
    out = rt.run("propdefault", bundle).stdout
    assert "shared:" not in out              # rslave by default: nothing goes back to the host
    bundle.config["linux"]["rootfsPropagation"] = "private"
    out = rt.run("propprivate", bundle).stdout
    assert "shared:" not in out and "master:" not in out
    # rshared: the container's "/" is shared, yet its rootfs bind never shows on the host
    # (the autouse leak check would see it)
    bundle.config["linux"]["rootfsPropagation"] = "rshared"
    p = rt.run("propshared", bundle)
    assert p.returncode == 0, p.stderr
    assert "shared:" in p.stdout


def test_console_socket_receives_the_pty(rt, bundle, tmp_path):
    bundle.config["process"]["terminal"] = True
    bundle.config["process"]["consoleSize"] = {"height": 33, "width": 101}
    bundle.sh("tty; stty size; ls -l /dev/console")
    sock_path = str(tmp_path / "console.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(sock_path)
    srv.listen(1)
    srv.settimeout(10)
    try:
        p = rt.create("tty", bundle, "--console-socket", sock_path)
        assert p.returncode == 0, p.stderr
        conn, _ = srv.accept()
        msg, fds, _, _ = socket.recv_fds(conn, 1024, 1)
        conn.close()
        assert len(fds) == 1 and msg == b"/dev/ptmx"
        master = fds[0]
        rt.ok("start", "tty")
        out = b""
        deadline = time.time() + 10
        while time.time() < deadline and b"console" not in out:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            out += chunk
        os.close(master)
    finally:
        srv.close()
    text = out.decode()
    assert "/dev/pts/0" in text
    assert "33 101" in text
    assert "/dev/console" in text


def test_hooks_order_and_state(rt, bundle, tmp_path):
    log = tmp_path / "hooks.log"
    hook = tmp_path / "hook.sh"
    hook.write_text(f"#!/bin/sh\necho \"$1 $(cat)\" >> {log}\n")
    hook.chmod(0o755)
    # startContainer runs in the container: its path is resolved there
    inner = bundle.rootfs / "hook.sh"
    inner.write_text("#!/bin/sh\necho \"startContainer $(cat)\" >> /tmp/inner.log\n")
    inner.chmod(0o755)
    h = {}
    for kind in ("prestart", "createRuntime", "createContainer", "poststart", "poststop"):
        h[kind] = [{"path": str(hook), "args": ["hook.sh", kind]}]
    h["startContainer"] = [{"path": "/hook.sh"}]
    bundle.config["hooks"] = h
    bundle.set_args("sleep", "60")
    rt.create("hooks", bundle).check_returncode()
    kinds = [l.split()[0] for l in log.read_text().splitlines()]
    assert kinds == ["prestart", "createRuntime", "createContainer"]
    first = json.loads(log.read_text().splitlines()[0].split(" ", 1)[1])
    assert first["id"] == "hooks" and first["status"] == "creating" and first["pid"] > 0
    assert first["bundle"] == str(bundle.path)
    rt.ok("start", "hooks")
    kinds = [l.split()[0] for l in log.read_text().splitlines()]
    assert kinds[-1] == "poststart"
    inner_log = (bundle.rootfs / "tmp/inner.log").read_text()
    assert inner_log.startswith("startContainer ") and '"id":"hooks"' in inner_log
    rt.ok("kill", "hooks", "KILL")
    wait_for(lambda: rt.state("hooks")["status"] == "stopped", what="the init to die")
    rt.ok("delete", "hooks")
    last = log.read_text().splitlines()[-1]
    assert last.startswith("poststop ") and json.loads(last.split(" ", 1)[1])["status"] == "stopped"


def test_failing_prestart_hook_fails_create_and_cleans_up(rt, bundle, tmp_path):
    bundle.config["hooks"] = {"prestart": [{"path": "/bin/sh", "args": ["sh", "-c", "exit 3"]}]}
    p = rt.create("badhook", bundle)
    assert p.returncode == 1
    assert "prestart hook 0" in p.stderr and "exited with status 3" in p.stderr
    assert not (rt.root / "badhook").exists()


def test_hook_timeout(rt, bundle):
    bundle.config["hooks"] = {"createRuntime": [{"path": "/bin/sleep", "args": ["sleep", "30"],
                                                 "timeout": 1}]}
    t = time.time()
    p = rt.create("slowhook", bundle)
    assert p.returncode == 1 and "timed out after 1 s" in p.stderr
    assert time.time() - t < 10
    assert not (rt.root / "slowhook").exists()


def test_failing_poststart_hook_only_warns(rt, bundle):
    bundle.config["hooks"] = {"poststart": [{"path": "/bin/false"}]}
    bundle.set_args("true")
    p = rt.run("postfail", bundle)
    assert p.returncode == 0
    assert "poststart hook 0" in p.stderr


def test_no_pivot(rt, bundle):
    bundle.sh("cat /proc/self/mountinfo | wc -l; ls /")
    p = rt.run("nopivot", bundle, "--no-pivot")
    assert p.returncode == 0, p.stderr
    assert "bin" in p.stdout.split()


def test_preserve_fds(rt, bundle, tmp_path):
    f = tmp_path / "passed"
    f.write_text("through fd 3")
    bundle.sh("cat <&3; ls /proc/self/fd | sort -n | tr '\\n' ' '")
    fd = os.open(f, os.O_RDONLY)
    try:
        p = run([RUNTIME, "--root", rt.root, "run", "--preserve-fds", "1", "--bundle", bundle,
                 "fds"], pass_fds=(fd,) if fd == 3 else (), stdin=subprocess.DEVNULL) \
            if fd == 3 else None
        if p is None:
            os.dup2(fd, 3)
            p = run([RUNTIME, "--root", rt.root, "run", "--preserve-fds", "1", "--bundle", bundle,
                     "fds"], pass_fds=(3,))
    finally:
        os.close(fd)
    rt.ids.add("fds")
    assert p.returncode == 0, p.stderr
    assert "through fd 3" in p.stdout
    fds = p.stdout.split("fd 3")[1].split()
    assert fds == ["0", "1", "2", "3", "4"] or fds == ["0", "1", "2", "3"], fds


@pytest.mark.parametrize("own_mappings", [True, False])
def test_idmapped_bind_mount(rt, bundle, tmp_path, own_mappings):
    # a host directory owned by (on-disk) root, seen as root inside a user-namespaced
    # container whose root is host uid 100000: only an idmapped mount makes that so
    vol = tmp_path / "vol"
    vol.mkdir()
    (vol / "f").write_text("x")
    bundle.use_userns()
    m = {"destination": "/vol", "type": "bind", "source": str(vol),
         "options": ["bind", "idmap"]}
    if own_mappings:
        m["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
        m["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    plain = {"destination": "/plain", "type": "bind", "source": str(vol), "options": ["bind"]}
    bundle.config["mounts"] += [m, plain]
    bundle.sh("stat -c '%u %g' /vol/f /plain/f")
    p = rt.run("idmap", bundle)
    if "does the filesystem support it" in p.stderr and os.uname().release < "6.3":
        pytest.skip("tmpfs supports idmapped mounts from Linux 6.3")
    assert p.returncode == 0, p.stderr
    assert p.stdout.split("\n")[:2] == ["0 0", "65534 65534"]
    assert os.stat(vol / "f").st_uid == 0            # nothing changed on disk


def test_idmap_without_mappings_is_explained(rt, bundle, tmp_path):
    bundle.config["mounts"].append({"destination": "/vol", "type": "bind",
                                    "source": str(tmp_path), "options": ["bind", "idmap"]})
    p = rt.create("noidmap", bundle)
    assert p.returncode == 1 and "idmap needs uidMappings" in p.stderr
    assert not (rt.root / "noidmap").exists()


def test_io_priority_scheduler_memory_policy(rt, bundle):
    """runtime-spec 1.2's process.ioPriority, process.scheduler and linux.memoryPolicy are
    applied to the init (seen from the host with ionice, chrt, /proc/PID/stat and numa_maps)."""
    c = bundle.config
    c["process"]["ioPriority"] = {"class": "IOPRIO_CLASS_BE", "priority": 6}
    c["process"]["scheduler"] = {"policy": "SCHED_BATCH", "nice": 7}
    c["linux"]["memoryPolicy"] = {"mode": "MPOL_BIND", "nodes": "0",
                                  "flags": ["MPOL_F_STATIC_NODES"]}
    bundle.set_args("sleep", "30")
    p = rt.create("sched", bundle)
    assert p.returncode == 0, p.stderr
    pid = rt.state("sched")["pid"]
    assert run(["ionice", "-p", pid]).stdout.strip() == "best-effort: prio 6"
    assert "SCHED_BATCH" in run(["chrt", "-p", pid]).stdout
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    assert int(fields[16]) == 7                      # nice (field 19 of stat)
    maps = Path(f"/proc/{pid}/numa_maps").read_text()
    assert " bind=static:0 " in maps or " bind:0 " in maps, maps.splitlines()[:2]
    rt.ok("delete", "--force", "sched")


def test_scheduling_fields_bad_values_are_named(rt, bundle):
    cases = [
        ({"ioPriority": {"class": "IOPRIO_CLASS_FAST"}}, None,
         "process.ioPriority.class: 'IOPRIO_CLASS_FAST' is not IOPRIO_CLASS_RT"),
        ({"ioPriority": {"class": "IOPRIO_CLASS_BE", "priority": 8}}, None,
         "process.ioPriority.priority"),
        ({"scheduler": {"policy": "SCHED_FIFO"}}, None,
         "process.scheduler.priority: SCHED_FIFO needs a priority from 1 to 99"),
        ({"scheduler": {"policy": "SCHED_OTHER", "flags": ["SCHED_FLAG_NOPE"]}}, None,
         "process.scheduler.flags[0]: unknown flag 'SCHED_FLAG_NOPE'"),
        ({}, {"mode": "MPOL_BIND"}, "linux.memoryPolicy.nodes: MPOL_BIND needs nodes"),
        ({}, {"mode": "MPOL_BIND", "nodes": "3-1"}, "linux.memoryPolicy.nodes: '3-1'"),
        ({}, {"mode": "MPOL_DEFAULT", "nodes": "0"}, "MPOL_DEFAULT takes no nodes"),
        # a node this machine does not have: the kernel says no, at create, naming the field
        ({}, {"mode": "MPOL_BIND", "nodes": "1000"}, "linux.memoryPolicy: set_mempolicy"),
    ]
    bundle.set_args("true")
    for i, (proc, mpol, want) in enumerate(cases):
        for k in ("ioPriority", "scheduler"):
            bundle.config["process"].pop(k, None)
        bundle.config["process"].update(proc)
        bundle.config["linux"].pop("memoryPolicy", None)
        if mpol:
            bundle.config["linux"]["memoryPolicy"] = mpol
        p = rt.run(f"badsched{i}", bundle)
        assert p.returncode != 0 and want in p.stderr, (proc, mpol, p.stderr)
        assert not (rt.root / f"badsched{i}").exists()
