"""AppArmor and SELinux: a profile or label the config asks for is applied where the kernel has
the LSM, and refused naming the field where it does not (never silently unconfined); the engine
gives containers hako-default where AppArmor is on, as docker gives docker-default.

This host has neither LSM: the refusal tests run here. `make test-v2` boots a VM with
`apparmor=1 security=apparmor` where the AppArmor tests run (they load a profile of their own
with apparmor_parser and remove it afterwards)."""
import json
import shutil
import uuid
from pathlib import Path

import pytest

from conftest import run


def apparmor_on():
    try:
        return (Path("/sys/kernel/security/apparmor").exists() and
                Path("/sys/module/apparmor/parameters/enabled").read_text().startswith("Y"))
    except OSError:
        return False


def selinux_on():
    return Path("/sys/fs/selinux/enforce").exists()


needs_no_apparmor = pytest.mark.skipif(apparmor_on(), reason="AppArmor is enabled on this host")
needs_no_selinux = pytest.mark.skipif(selinux_on(), reason="SELinux is enabled on this host")
needs_apparmor = pytest.mark.skipif(
    not apparmor_on() or not shutil.which("apparmor_parser"),
    reason="AppArmor is not enabled in this kernel (or apparmor_parser is missing): "
           "these run in `make test-v2`'s VM")


def line_of(bundle, needle):
    text = (bundle.path / "config.json").read_text()
    return text[:text.index(needle)].count("\n") + 1


def assert_refused_at_create(rt, bundle, cid, needle, field, why):
    bundle.write()
    p = rt.create(cid, bundle)
    assert p.returncode == 1, p.stderr
    assert f"config.json:{line_of(bundle, needle)}: {field}: {why}" in p.stderr, p.stderr
    assert not (rt.root / cid).exists(), "state left behind"


# --- where the LSM is off: refused, naming the field ------------------------------------------

@needs_no_apparmor
def test_apparmor_profile_refused_without_apparmor(rt, bundle):
    bundle.config["process"]["apparmorProfile"] = "hako-test-confined"
    assert_refused_at_create(rt, bundle, "aa", '"apparmorProfile"', "process.apparmorProfile",
                             "AppArmor is not enabled on this host")


@needs_no_selinux
def test_selinux_label_refused_without_selinux(rt, bundle):
    bundle.config["process"]["selinuxLabel"] = "system_u:system_r:container_t:s0"
    assert_refused_at_create(rt, bundle, "se", '"selinuxLabel"', "process.selinuxLabel",
                             "SELinux is not enabled on this host")


@needs_no_selinux
def test_mount_label_refused_without_selinux(rt, bundle):
    bundle.config["linux"]["mountLabel"] = "system_u:object_r:container_file_t:s0"
    assert_refused_at_create(rt, bundle, "ml", '"mountLabel"', "linux.mountLabel",
                             "SELinux is not enabled on this host")


def test_empty_profile_and_label_mean_none(rt, bundle):
    """runc treats "" as not set: such a config runs (unconfined, as asked)."""
    bundle.config["process"]["apparmorProfile"] = ""
    bundle.config["process"]["selinuxLabel"] = ""
    bundle.set_args("true")
    p = rt.run("empty", bundle)
    assert p.returncode == 0, p.stderr


@pytest.fixture
def running(rt, bundle):
    bundle.set_args("sleep", "600")
    p = rt.run("lsmx", bundle, "-d")
    assert p.returncode == 0, p.stderr
    return "lsmx"


@needs_no_apparmor
def test_exec_apparmor_flag_refused_without_apparmor(rt, running):
    p = rt("exec", "--apparmor", "hako-test-confined", running, "true")
    # a failed exec exits 255, as runc's
    assert p.returncode == 255 and "--apparmor: AppArmor is not enabled on this host" in p.stderr


@needs_no_selinux
def test_exec_process_label_flag_refused_without_selinux(rt, running):
    p = rt("exec", "--process-label", "system_u:system_r:container_t:s0", running, "true")
    assert p.returncode == 255
    assert "--process-label: SELinux is not enabled on this host" in p.stderr


@needs_no_apparmor
def test_exec_process_json_profile_refused_without_apparmor(rt, running, tmp_path):
    proc = {"args": ["true"], "cwd": "/", "user": {"uid": 0, "gid": 0},
            "apparmorProfile": "hako-test-confined"}
    f = tmp_path / "process.json"
    f.write_text(json.dumps(proc, indent=2))
    line = f.read_text()[:f.read_text().index('"apparmorProfile"')].count("\n") + 1
    p = rt("exec", "-p", f, running)
    assert p.returncode == 255
    assert f"process.json:{line}: apparmorProfile: AppArmor is not enabled on this host" in p.stderr


@needs_no_apparmor
def test_engine_asks_for_no_profile_without_apparmor(engine):
    """As docker: no AppArmor, no profile in the spec, AppArmorProfile "" in inspect."""
    engine.ok("run", "--name", "noaa", "busybox", "true")
    c = engine.inspect("noaa")
    assert c["AppArmorProfile"] == ""
    spec = json.loads((engine.root / "containers" / c["Id"] / "config.json").read_text())
    assert "apparmorProfile" not in spec["process"]


# --- where AppArmor is on (the VM) ----------------------------------------------------------

TEST_PROFILE = """profile {name} flags=(attach_disconnected,mediate_deleted) {{
  file,
  capability,
  network,
  unix,
  signal,
  ptrace,
  deny /forbidden/** w,
}}
"""


@pytest.fixture
def profile(tmp_path):
    """A profile of the test's own, loaded for the test and removed after it."""
    name = f"hako-test-{uuid.uuid4().hex[:8]}"
    f = tmp_path / "profile"
    f.write_text(TEST_PROFILE.format(name=name))
    run(["apparmor_parser", "-Kr", f], check=True)
    yield name
    run(["apparmor_parser", "-R", f])


def current_of(text):
    return text.strip().replace("\x00", "")


READ_CURRENT = ("cat /proc/self/attr/apparmor/current 2>/dev/null || "
                "cat /proc/self/attr/current")


@needs_apparmor
def test_profile_applied_and_enforced(rt, bundle, profile):
    bundle.rootfs.joinpath("forbidden").mkdir()
    bundle.config["process"]["apparmorProfile"] = profile
    bundle.sh(READ_CURRENT + "; echo x > /forbidden/f && echo WROTE; echo x > /tmp/ok && echo OK")
    p = rt.run("aa", bundle)
    assert p.returncode == 0, p.stderr
    out = p.stdout.splitlines()
    assert current_of(out[0]) == f"{profile} (enforce)", p.stdout
    assert "WROTE" not in p.stdout and "OK" in p.stdout, p.stdout
    assert not bundle.rootfs.joinpath("forbidden", "f").exists()


@needs_apparmor
def test_profile_not_loaded_is_a_clear_error(rt, bundle):
    bundle.config["process"]["apparmorProfile"] = "hako-test-never-loaded"
    bundle.set_args("true")
    p = rt.run("aanl", bundle)
    assert p.returncode != 0
    assert "AppArmor profile 'hako-test-never-loaded' is not loaded" in p.stderr, p.stderr


@needs_apparmor
def test_exec_apparmor_flag(rt, running, profile):
    p = rt("exec", running, "sh", "-c", READ_CURRENT)
    assert p.returncode == 0 and current_of(p.stdout) == "unconfined", p.stdout + p.stderr
    p = rt("exec", "--apparmor", profile, running, "sh", "-c", READ_CURRENT)
    assert p.returncode == 0, p.stderr
    assert current_of(p.stdout) == f"{profile} (enforce)"


@needs_apparmor
def test_exec_inherits_the_containers_profile(rt, bundle, profile):
    """As runc: exec without --apparmor runs under the config's profile."""
    bundle.config["process"]["apparmorProfile"] = profile
    bundle.set_args("sleep", "600")
    p = rt.run("aaex", bundle, "-d")
    assert p.returncode == 0, p.stderr
    p = rt("exec", "aaex", "sh", "-c", READ_CURRENT)
    assert p.returncode == 0 and current_of(p.stdout) == f"{profile} (enforce)", p.stderr


@needs_apparmor
def test_engine_gives_hako_default(engine):
    p = engine.ok("run", "--name", "dflt", "busybox", "sh", "-c", READ_CURRENT)
    assert current_of(p.stdout) == "hako-default (enforce)"
    assert engine.inspect("dflt")["AppArmorProfile"] == "hako-default"
    engine.ok("run", "-d", "--name", "dflt2", "busybox", "sleep", "600")
    p = engine.ok("exec", "dflt2", "sh", "-c", READ_CURRENT)
    assert current_of(p.stdout) == "hako-default (enforce)"
    # hako-default denies mount even to a container holding CAP_SYS_ADMIN without seccomp
    p = engine("run", "--rm", "--cap-add", "SYS_ADMIN", "--security-opt", "seccomp=unconfined",
               "busybox", "sh", "-c",
               "mkdir -p /tmp/m && mount -t tmpfs none /tmp/m && echo MOUNTED")
    assert "MOUNTED" not in p.stdout, p.stdout
    p = engine("run", "--rm", "busybox", "sh", "-c", "echo 1 > /proc/sysrq-trigger && echo W")
    assert "W" not in p.stdout.split()


@needs_apparmor
def test_engine_unconfined_and_privileged(engine):
    p = engine.ok("run", "--name", "unc", "--security-opt", "apparmor=unconfined", "--cap-add",
                  "SYS_ADMIN", "--security-opt", "seccomp=unconfined", "busybox", "sh", "-c",
                  READ_CURRENT + "; mkdir -p /tmp/m && mount -t tmpfs none /tmp/m && "
                  "echo MOUNTED")
    assert current_of(p.stdout.splitlines()[0]) == "unconfined"
    assert "MOUNTED" in p.stdout
    assert engine.inspect("unc")["AppArmorProfile"] == "unconfined"
    p = engine.ok("run", "--name", "priv", "--privileged", "busybox", "sh", "-c", READ_CURRENT)
    assert current_of(p.stdout) == "unconfined"
    assert engine.inspect("priv")["AppArmorProfile"] == "unconfined"


@needs_apparmor
def test_engine_named_profile(engine, profile):
    p = engine.ok("run", "--rm", "--security-opt", f"apparmor={profile}", "busybox", "sh", "-c",
                  READ_CURRENT)
    assert current_of(p.stdout) == f"{profile} (enforce)"
