"""Configs that would change the host itself through the runtime (issue 14): sysctls and
domainname written into the caller's namespaces, device nodes made through a host /dev bind,
masked paths undone under --no-pivot, device cgroup denies lost, hooks writing the host's
files. Each attack runs where a wrong write cannot reach the machine (the runtime under
`unshare --ipc --net --uts`, a private mount namespace with a scratch /dev, canary files),
and each test checks that nothing changed."""
import os
import socket

import pytest

from conftest import RUNTIME, run

HOST_QUEUES_MAX = "/proc/sys/fs/mqueue/queues_max"
HOST_PING_RANGE = "/proc/sys/net/ipv4/ping_group_range"


def read(path):
    with open(path) as f:
        return f.read().strip()


def drop_namespace(config, kind):
    config["linux"]["namespaces"] = [n for n in config["linux"]["namespaces"]
                                     if n["type"] != kind]


# What the runtime's own (unshared) namespaces hold after it ran: a wrong write lands there.
NS_REPORT = ('"$0" "$@"; echo "rc=$?"; cat /proc/sys/fs/mqueue/queues_max '
             '/proc/sys/kernel/msgmax /proc/sys/net/ipv4/ping_group_range; hostname; '
             'cat /proc/sys/kernel/domainname')


def run_unshared(rt, cid, bundle):
    """`hako-runtime run` in fresh ipc, net and uts namespaces of its own: the values it would
    leak are reported from those, never the host's."""
    rt.ids.add(cid)
    bundle.write()
    p = run(["unshare", "--ipc", "--net", "--uts", "sh", "-c", NS_REPORT, RUNTIME,
             "--root", rt.root, "run", "--bundle", bundle.path, cid])
    lines = p.stdout.splitlines()
    return p, lines[-6:]


def host_unchanged(before):
    assert (read(HOST_QUEUES_MAX), read(HOST_PING_RANGE), socket.gethostname()) == before


def fresh_ns_values():
    """What a fresh ipc/net/uts namespace holds (so: what an untouched one reports)."""
    p = run(["unshare", "--ipc", "--net", "--uts", "sh", "-c",
             NS_REPORT.replace('"$0" "$@"; echo "rc=$?"; ', ""), ])
    return p.stdout.splitlines()


@pytest.mark.parametrize("drop, sysctl, domainname, expected", [
    ("ipc", {"fs.mqueue.queues_max": "100"}, None,
     'sysctl "fs.mqueue.queues_max" is not allowed in the hosts ipc namespace'),
    ("ipc", {"kernel.msgmax": "4096"}, None,
     'sysctl "kernel.msgmax" is not allowed in the hosts ipc namespace'),
    ("network", {"net.ipv4.ping_group_range": "0 0"}, None,
     'sysctl "net.ipv4.ping_group_range" is not allowed in the hosts network namespace'),
    (None, {"kernel.hostname": "leaked"}, None,
     'sysctl "kernel.hostname" is not allowed as it conflicts with the OCI "hostname" field'),
    ("uts", {"kernel.domainname": "leaked.test"}, None,
     'sysctl "kernel.domainname" is not allowed in the hosts uts namespace'),
    ("uts", {}, "leaked.test", "domainname: setting a domainname needs a uts namespace"),
    (None, {"kernel.domainname": "leaked.test"}, "other.test",
     'conflicts with the OCI "domainname" field'),
])
def test_sysctl_for_a_namespace_not_the_containers_is_refused(rt, bundle, drop, sysctl,
                                                              domainname, expected):
    before = (read(HOST_QUEUES_MAX), read(HOST_PING_RANGE), socket.gethostname())
    fresh = fresh_ns_values()
    if drop:
        drop_namespace(bundle.config, drop)
    if drop == "uts":
        bundle.config.pop("hostname", None)
    bundle.config["linux"]["sysctl"] = sysctl
    if domainname:
        bundle.config["domainname"] = domainname
    bundle.set_args("true")
    p, after = run_unshared(rt, "nsleak", bundle)
    assert expected in p.stderr, p.stderr
    assert "config.json:" in p.stderr
    assert after[0] == "rc=1", p.stdout
    assert after[1:] == fresh                 # the runtime's namespaces: untouched
    assert not (rt.root / "nsleak").exists()
    host_unchanged(before)


@pytest.mark.parametrize("key", ["vm.swappiness", "kernel.pid_max"])
def test_sysctl_no_namespace_holds_is_refused(rt, bundle, key):
    # the host's own value: even a wrong write would change nothing
    value = read("/proc/sys/" + key.replace(".", "/"))
    bundle.config["linux"]["sysctl"] = {key: value}
    bundle.set_args("true")
    p, after = run_unshared(rt, "nons", bundle)
    assert f'sysctl "{key}" is not in a separate kernel namespace' in p.stderr, p.stderr
    assert after[0] == "rc=1"
    assert not (rt.root / "nons").exists()


def test_sysctl_in_a_joined_namespace_that_is_the_callers_is_refused(rt, bundle):
    before = (read(HOST_QUEUES_MAX), read(HOST_PING_RANGE), socket.gethostname())
    fresh = fresh_ns_values()
    for n in bundle.config["linux"]["namespaces"]:
        if n["type"] == "network":
            n["path"] = "/proc/self/ns/net"       # the runtime's own
    bundle.config["linux"]["sysctl"] = {"net.ipv4.ping_group_range": "0 0"}
    bundle.set_args("true")
    p, after = run_unshared(rt, "joinedhost", bundle)
    assert "is the hosts network namespace" in p.stderr, p.stderr
    assert after[0] == "rc=1" and after[1:] == fresh
    assert not (rt.root / "joinedhost").exists()
    host_unchanged(before)


def test_namespaced_sysctls_and_domainname_land_in_the_container(rt, bundle):
    bundle.config["linux"]["sysctl"] = {"fs.mqueue.queues_max": "100",
                                        "net.ipv4.ping_group_range": "0 0",
                                        "kernel.domainname": "same.test"}
    bundle.config["domainname"] = "same.test"
    bundle.sh("cat /proc/sys/fs/mqueue/queues_max /proc/sys/net/ipv4/ping_group_range"
              " /proc/sys/kernel/domainname")
    fresh = fresh_ns_values()
    p = run(["unshare", "--ipc", "--net", "--uts", "sh", "-c", NS_REPORT, RUNTIME,
             "--root", rt.root, "run", "--bundle", bundle.write(), "inside"])
    rt.ids.add("inside")
    lines = p.stdout.splitlines()
    assert lines[:4] == ["100", "0\t0", "same.test", "rc=0"], p.stderr
    assert lines[4:] == fresh


# --- device setup through a /dev from outside -------------------------------------------------

SCRATCH_DEV = os.path.join(os.path.dirname(__file__), "helpers", "scratch_dev.py")


def real_dev_stat():
    return {p: tuple(os.lstat(p)[:10]) for p in ("/dev/null", "/dev/ptmx", "/dev/zero", "/dev/tty")}


def run_with_scratch_dev(rt, cid, bundle):
    """The runtime in a private mount namespace whose /dev is a scratch tmpfs: a node it
    makes, unlinks or chowns "on the host" is one of the copies there."""
    import json
    rt.ids.add(cid)
    bundle.write()
    p = run(["unshare", "-m", "--propagation", "private", "/usr/bin/python3", SCRATCH_DEV,
             RUNTIME, "--root", rt.root, "run", "--bundle", bundle.path, cid], timeout=90)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


HOST_DEV_BIND = {"destination": "/dev", "type": "bind", "source": "/dev",
                 "options": ["rbind", "nosuid"]}
DEVICES = [
    {"path": "/dev/null", "type": "c", "major": 1, "minor": 3, "fileMode": 0o600,
     "uid": 1, "gid": 1},
    {"path": "/dev/hako-new", "type": "c", "major": 1, "minor": 5},
    {"path": "/dev/newdir/node", "type": "c", "major": 1, "minor": 7},
]


@pytest.mark.parametrize("tmpfs_first", [True, False], ids=["tmpfs-then-bind", "bind-only"])
@pytest.mark.parametrize("userns", [False, True], ids=["root", "userns"])
def test_devices_never_made_through_a_host_dev_bind(rt, bundle, tmpfs_first, userns):
    mounts = [m for m in bundle.config["mounts"] if not m["destination"].startswith("/dev")]
    if tmpfs_first:
        mounts.append({"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
                       "options": ["nosuid", "mode=755"]})
    mounts.append(HOST_DEV_BIND)
    bundle.config["mounts"] = mounts
    bundle.config["linux"]["devices"] = DEVICES
    if userns:
        bundle.use_userns()
    bundle.sh("echo x > /dev/null && head -c 3 /dev/zero | wc -c && echo ran")
    real = real_dev_stat()
    out = run_with_scratch_dev(rt, "hostdev", bundle)
    assert out["rc"] == 0, out["stderr"]                  # accepted, as runc and crun do
    assert out["stdout"].split() == ["3", "ran"]
    changed = {p: (out["before"].get(p), out["after"].get(p))
               for p in set(out["before"]) | set(out["after"])
               if out["before"].get(p) != out["after"].get(p)}
    assert changed == {}, changed                         # not one node made, removed, chowned
    assert real_dev_stat() == real


def test_device_on_a_bind_mount_from_outside_is_refused(rt, bundle, tmp_path):
    hostdir = tmp_path / "hostdir"
    hostdir.mkdir()
    bundle.config["mounts"].append({"destination": "/mnt/host", "type": "bind",
                                    "source": str(hostdir), "options": ["rbind"]})
    bundle.config["linux"]["devices"] = [
        {"path": "/mnt/host/sub/node", "type": "c", "major": 1, "minor": 3}]
    bundle.set_args("true")
    p = rt.run("hostdir", bundle)
    assert p.returncode == 1
    assert ("linux.devices[0]: '/mnt/host/sub/node' would be made on a mount the container "
            "did not make") in p.stderr, p.stderr
    assert list(hostdir.iterdir()) == []
    assert not (rt.root / "hostdir").exists()


def test_devices_on_the_containers_own_dev(rt, bundle):
    # the default config (a tmpfs of its own on /dev): defaults, links and linux.devices made
    bundle.config["linux"]["devices"] = DEVICES
    bundle.sh("stat -c '%n %t:%T %a %u:%g' /dev/null /dev/hako-new /dev/newdir/node /dev/zero;"
              " readlink /dev/ptmx; readlink /dev/fd")
    real = real_dev_stat()
    p = rt.run("owndev", bundle)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == ["/dev/null 1:3 600 1:1", "/dev/hako-new 1:5 666 0:0",
                                     "/dev/newdir/node 1:7 666 0:0", "/dev/zero 1:5 666 0:0",
                                     "pts/ptmx", "/proc/self/fd"]
    assert real_dev_stat() == real


# --- --no-pivot: the old root stays in the mount namespace ----------------------------------

# From a nested user (and pid, net) namespace, mount a fresh procfs and sysfs: the kernel
# allows it only while a full, unmasked one is visible in the mount namespace.
FRESH_PROC = ('mkdir -p /tmp/p /tmp/s; unshare -U -r -m -p -n -f sh -c '
              '"mount -t proc proc /tmp/p && echo proc-mounted; ls /tmp/p/sys >/dev/null && '
              'echo proc-sys-visible; mount -t sysfs sysfs /tmp/s && echo sysfs-mounted"'
              ' 2>/dev/null; echo done')


@pytest.mark.parametrize("userns", [False, True], ids=["root", "userns"])
@pytest.mark.parametrize("no_pivot", [True, False], ids=["no-pivot", "pivot"])
def test_no_fresh_unmasked_proc_from_inside(rt, bundle, no_pivot, userns):
    if userns:
        bundle.use_userns()
    bundle.config["process"]["user"] = {"uid": 1000, "gid": 1000}
    bundle.sh(FRESH_PROC + "; wc -c < /proc/keys; ls /sys/firmware | wc -l")
    p = rt.run("freshproc", bundle, *(["--no-pivot"] if no_pivot else []))
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["done", "0", "0"], p.stdout     # masked paths hold


def test_no_pivot_chroot_escape_does_not_reach_the_host(rt, bundle, probe, tmp_path):
    canary = tmp_path / "canary"
    canary.write_text("host")
    import shutil
    shutil.copy(probe, bundle.rootfs / "probe")
    caps = bundle.config["process"]["capabilities"]
    for kind in ("bounding", "effective", "permitted"):
        caps[kind].append("CAP_SYS_CHROOT")
    bundle.set_args("/probe", "chroot-escape", str(canary))
    for extra in (["--no-pivot"], []):
        p = rt.run("escape", bundle, *extra)
        assert p.stdout.strip() == "ENOENT", (extra, p.stdout, p.stderr)
        rt("delete", "-f", "escape")
    assert canary.read_text() == "host"


# --- device cgroup: linux.devices does not override a deny -----------------------------------

KMSG = {"path": "/dev/kmsg", "type": "c", "major": 1, "minor": 11, "fileMode": 0o444}


@pytest.mark.parametrize("deny", [True, False], ids=["denied", "allowed"])
def test_device_deny_rule_beats_linux_devices(rt, bundle, deny):
    bundle.config["linux"]["devices"] = [KMSG]
    rules = [{"allow": False, "type": "c", "major": 1, "minor": 11, "access": "rwm"}]
    bundle.config["linux"]["resources"]["devices"] = rules if deny else []
    caps = bundle.config["process"]["capabilities"]
    for kind in ("bounding", "effective", "permitted"):
        caps[kind].append("CAP_SYSLOG")            # dmesg_restrict: the cgroup decides
    bundle.sh("exec 3</dev/kmsg && echo opened")
    p = rt.run("kmsg", bundle)
    if deny:
        assert p.returncode != 0 and "Operation not permitted" in p.stderr, (p.stdout, p.stderr)
    else:
        assert p.returncode == 0 and p.stdout.strip() == "opened", p.stderr


# --- createContainer hooks: in the container's mount namespace, cwd its root -----------------

def test_create_container_hook_cwd_is_the_container_root(rt, bundle, tmp_path):
    caller_cwd = tmp_path / "caller-cwd"         # the runtime's own cwd: a canary directory
    caller_cwd.mkdir()
    script = ("echo hook > created-by-hook && readlink /proc/self/ns/mnt > hook-mntns"
              " && ls bin/busybox > /dev/null && echo found-busybox >> created-by-hook")
    bundle.config["hooks"] = {"createContainer": [
        {"path": "/bin/sh", "args": ["sh", "-c", script]}]}
    bundle.set_args("sleep", "30")
    bundle.write()
    rt.ids.add("hookcwd")
    p = run([RUNTIME, "--root", rt.root, "create", "--bundle", bundle.path, "hookcwd"],
            cwd=caller_cwd)
    assert p.returncode == 0, p.stderr
    assert (bundle.rootfs / "created-by-hook").read_text().split() == ["hook", "found-busybox"]
    assert list(caller_cwd.iterdir()) == []
    assert not (bundle.path / "created-by-hook").exists()
    pid = rt.state("hookcwd")["pid"]
    assert (bundle.rootfs / "hook-mntns").read_text().strip() == os.readlink(
        f"/proc/{pid}/ns/mnt")                   # the container's mount namespace
