"""Container escapes that hit runc, crun and youki, performed against hako-runtime: each must
fail, and the host must be unchanged (see shared/SECURITY.md)."""
import hashlib
import json
import os
import shutil
import subprocess

import pytest

from conftest import RUNTIME, run


def without_dev_mount(bundle):
    bundle.config["mounts"] = [m for m in bundle.config["mounts"] if m["destination"] != "/dev"]


@pytest.mark.parametrize("absolute", [True, False])
def test_mount_destination_symlink_out_of_rootfs_lands_inside(rt, bundle, tmp_path, absolute):
    # CVE-2021-30465 family: /mnt/evil -> the host's directory
    host = tmp_path / "hostdir"
    host.mkdir()
    target = str(host) if absolute else "../../../../../../../../.." + str(host)
    (bundle.rootfs / "mnt").mkdir(exist_ok=True)
    (bundle.rootfs / "mnt/evil").symlink_to(target)
    src = tmp_path / "vol"
    src.mkdir()
    (src / "data").write_text("vol")
    bundle.config["mounts"] += [
        {"destination": "/mnt/evil/newdir", "type": "bind", "source": str(src),
         "options": ["bind"]},
        {"destination": "/mnt/evil/t", "type": "tmpfs", "source": "tmpfs"},
    ]
    bundle.sh("cat /mnt/evil/newdir/data")
    p = rt.run("symlinkdst", bundle)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "vol"
    assert list(host.iterdir()) == []                       # nothing created on the host
    inside = bundle.rootfs / str(host).lstrip("/")
    assert (inside / "newdir").is_dir() and (inside / "t").is_dir()


def test_proc_symlink_is_refused(rt, bundle, tmp_path):
    # CVE-2019-16884 / CVE-2019-19921: procfs mounted somewhere an image chose
    fake = tmp_path / "fakeproc"
    fake.mkdir()
    os.rmdir(bundle.rootfs / "proc")
    (bundle.rootfs / "proc").symlink_to(str(fake))
    p = rt.create("procsym", bundle)
    assert p.returncode == 1
    assert "'/proc' is a symlink in the rootfs" in p.stderr
    assert list(fake.iterdir()) == []
    assert not (rt.root / "procsym").exists()


def test_only_stdio_reaches_the_container(rt, bundle, tmp_path):
    # CVE-2024-21626: a host directory fd leaking into the container
    leak = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)   # inheritable below
    os.set_inheritable(leak, True)
    try:
        bundle.set_args("ls", "/proc/self/fd")
        p = run([RUNTIME, "--root", rt.root, "run", "--bundle", bundle, "fdleak"],
                pass_fds=(leak,))
        rt.ids.add("fdleak")
    finally:
        os.close(leak)
    assert p.returncode == 0, p.stderr
    assert sorted(p.stdout.split(), key=int) == ["0", "1", "2", "3"]   # 3: ls's own dir


@pytest.mark.parametrize("n", [3, 4, 5, 7, 10, 20])
def test_cwd_through_proc_self_fd_is_refused(rt, bundle, n):
    bundle.config["process"]["cwd"] = f"/proc/self/fd/{n}"
    bundle.set_args("pwd")
    p = rt.run(f"cwdfd{n}", bundle)
    assert p.returncode == 1
    assert "process.cwd" in p.stderr
    assert not (rt.root / f"cwdfd{n}").exists()


def test_dev_null_symlink_is_not_used_for_masking(rt, bundle):
    # CVE-2025-31133: /dev/null -> a procfs file, so masking would bind that file read-write
    without_dev_mount(bundle)
    (bundle.rootfs / "dev/null").symlink_to("/proc/sys/kernel/core_pattern")
    p = rt.create("devnull", bundle)
    assert p.returncode == 1
    assert "/dev/null" in p.stderr
    assert not (rt.root / "devnull").exists()


def test_dev_console_symlink_is_refused(rt, bundle, tmp_path):
    # CVE-2025-52565: /dev/console -> somewhere the pty would be bound over
    without_dev_mount(bundle)
    os.mknod(bundle.rootfs / "dev/null", 0o666 | 0o020000, os.makedev(1, 3))
    (bundle.rootfs / "dev/console").symlink_to("/proc/sysrq-trigger")
    bundle.config["process"]["terminal"] = True
    sock = tmp_path / "c.sock"
    import socket
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(str(sock))
    srv.listen(1)
    try:
        p = rt.create("console", bundle, "--console-socket", sock)
    finally:
        srv.close()
    assert p.returncode == 1 and "/dev/console" in p.stderr
    assert not (rt.root / "console").exists()


def test_dev_symlink_is_refused(rt, bundle, tmp_path):
    # an image whose /dev points at a host path: refused, nothing made on the host
    hostdev = tmp_path / "hostdev"
    hostdev.mkdir()
    os.rmdir(bundle.rootfs / "dev")
    (bundle.rootfs / "dev").symlink_to(str(hostdev))
    p = rt.run("devsym", bundle)
    assert p.returncode == 1
    assert "'/dev' is a symlink in the rootfs" in p.stderr
    assert list(hostdev.iterdir()) == []
    assert not (rt.root / "devsym").exists()


def test_proc_sys_and_cgroupfs_are_read_only(rt, bundle):
    bundle.sh("echo 1 > /proc/sys/vm/drop_caches 2>/dev/null || echo sys-ro;"
              " mkdir /sys/fs/cgroup/x 2>/dev/null || echo cg-ro")
    p = rt.run("procsys", bundle)
    assert p.stdout.split() == ["sys-ro", "cg-ro"]


def test_no_mount_without_cap_sys_admin(rt, bundle):
    bundle.sh("mount -t tmpfs none /mnt 2>/dev/null || echo no-mount;"
              " unshare -U -r true 2>/dev/null || echo no-userns-root")
    p = rt.run("nomount", bundle)
    assert "no-mount" in p.stdout


def test_runtime_binary_not_reachable_through_proc_exe(rt, bundle):
    # CVE-2019-5736: while the init waits for start it still runs the runtime's binary; other
    # processes in the container must not reach it through /proc/1/exe.
    binary = os.path.realpath(RUNTIME)
    before = hashlib.sha256(open(binary, "rb").read()).hexdigest()
    bundle.set_args("sleep", "60")
    rt.create("exe", bundle).check_returncode()
    pid = rt.state("exe")["pid"]
    # a process in the container's namespaces, as the container's root with its capabilities
    probe = ("import os\n"
             "for path in ('/proc/1/exe', '/proc/self/exe'):\n"
             "    try:\n"
             "        fd = os.open(path, os.O_WRONLY)\n"
             "        print(path, 'OPENED'); os.close(fd)\n"
             "    except OSError as e:\n"
             "        print(path, 'refused', e.errno)\n")
    p = subprocess.run(["nsenter", "-t", str(pid), "-p", "-m", "--", "setpriv",
                        "--bounding-set=-all,+kill,+net_bind_service,+audit_write",
                        "--inh-caps=-all", "/usr/bin/python3", "-c", probe],
                       capture_output=True, text=True)
    rt.ok("delete", "--force", "exe")
    assert "OPENED" not in p.stdout.split("\n")[0], p.stdout + p.stderr
    after = hashlib.sha256(open(binary, "rb").read()).hexdigest()
    assert before == after


@pytest.mark.parametrize("how", ["run", "exec"])
def test_shebang_proc_self_exe_never_runs_the_runtime(rt, bundle, how):
    # CVE-2019-5736: "#!/proc/self/exe" makes the kernel load whatever binary the process had
    # when it exec'd the container's program. hako execs through hako-dmz from a sealed memfd,
    # so that binary is dmz (which, given nothing to run, exits 127), never hako itself.
    binary = os.path.realpath(RUNTIME)
    before = hashlib.sha256(open(binary, "rb").read()).hexdigest()
    evil = bundle.rootfs / "evil"
    evil.write_text("#!/proc/self/exe\n")
    evil.chmod(0o755)
    if how == "run":
        bundle.set_args("/evil")
        p = rt.run("shebang", bundle)
    else:
        bundle.set_args("sleep", "60")
        rt.run("shebang", bundle, "-d").check_returncode()
        p = rt("exec", "shebang", "/evil")
        rt.ok("delete", "--force", "shebang")
    assert p.returncode == 127, (p.returncode, p.stdout, p.stderr)
    assert "hako" not in p.stdout and "not a hako command" not in p.stderr
    assert hashlib.sha256(open(binary, "rb").read()).hexdigest() == before


def test_no_module_loading_and_no_mount_even_through_a_new_user_namespace(rt, bundle, probe):
    shutil.copy(probe, bundle.rootfs / "probe")
    bundle.sh("for w in init_module finit_module mount unshare-user-mount; do"
              " echo $w $(/probe $w); done; ls /etc | wc -l; grep -c ' /etc ' /proc/1/mountinfo; true")
    p = rt.run("probe", bundle)
    assert p.returncode == 0, p.stderr
    res = dict(l.split() for l in p.stdout.splitlines()[:4])
    # EPERM (no CAP_SYS_MODULE), or ENOSYS on a kernel built without module support
    assert res["init_module"] in ("EPERM", "ENOSYS") and res["finit_module"] in ("EPERM", "ENOSYS")
    assert res["mount"] == "EPERM"
    # without a seccomp profile a process may make a user namespace and mount in its own new
    # mount namespace — but that gives it no power over the container's mounts:
    assert res["unshare-user-mount"] in ("ok", "EPERM", "EINVAL")
    assert int(p.stdout.splitlines()[4]) > 0      # /etc still has its files
    assert p.stdout.splitlines()[5] == "0"        # and nothing is mounted over it


def test_seccomp_default_profile_blocks_user_namespaces(rt, bundle, probe):
    # with Docker's default profile (hako run's default), even the user namespace is refused
    shutil.copy(probe, bundle.rootfs / "probe")
    bundle.config["linux"]["seccomp"] = json.loads(
        run([RUNTIME.parent / "hako", "runtime", "seccomp-default"], check=True).stdout)
    bundle.sh("/probe unshare-user")
    p = rt.run("seccompuserns", bundle)
    assert p.stdout.strip() == "EPERM", p.stdout + p.stderr
