"""Shared fixtures for hako's integration tests.

Every test runs the real binaries as root, in a temp directory of its own, and must leave
nothing behind: the `no_leaks` fixture (autouse) compares this session's mounts, cgroups,
network namespaces and child processes before and after each test and fails the test when
something is left over.

What a session makes is told apart from what another test session on the same machine makes
(another checkout's `make test`, a developer's run): mounts are counted only under this
session's temp dir, and every container's cgroup goes under a parent of this session's own,
/hako/test-<pid> (hako's global --cgroup-parent for the engine, cgroupsPath for the runtime's
bundles), so the cgroup check looks only there.
"""
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from rootfs import make_busybox_rootfs  # noqa: F401  (tests import it from here)

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("HAKO_BUILD", REPO / "build"))
HAKO = BUILD / "hako"
RUNTIME = BUILD / "hako-runtime"
BUSYBOX = Path("/bin/busybox")
# This session's cgroup parent (see the module comment).
CG_PARENT = f"/hako/test-{os.getpid()}"


def pytest_configure(config):
    if os.geteuid() != 0:
        pytest.exit("the integration tests need root (run `make test` as root, or with sudo)", 2)
    if not HAKO.exists():
        pytest.exit(f"{HAKO} is missing: build first (make)", 2)


# --- leak checking ---------------------------------------------------------------------------

def _mounts():
    with open("/proc/self/mountinfo") as f:
        return {line.split()[4] for line in f}


def _session_cgroup_dirs():
    """CG_PARENT in every hierarchy (pure v2: the one), whether or not it exists now."""
    root = Path("/sys/fs/cgroup")
    rel = CG_PARENT.lstrip("/")
    if (root / "cgroup.controllers").exists():
        return [root / rel]
    return [hier / rel for hier in root.iterdir() if hier.is_dir()]


def _hako_cgroups():
    found = set()
    for top in _session_cgroup_dirs():
        for dirpath, dirnames, _ in os.walk(top):
            for d in dirnames:
                found.add(os.path.join(dirpath, d))
    return found


@pytest.fixture(scope="session", autouse=True)
def session_cgroup_parent():
    """At the end, the session's parent cgroups go (hako leaves a parent it did not make
    alone when another container still used it at its delete); one that is not empty is a
    leak that no test was blamed for."""
    yield
    left = sorted(_hako_cgroups())
    for top in _session_cgroup_dirs():
        try:
            top.rmdir()
        except FileNotFoundError:
            pass
        except OSError:
            left.append(str(top))
    if left:
        pytest.fail(f"cgroups left under {CG_PARENT}: {left}")


def _netns():
    p = Path("/run/netns")
    return {x.name for x in p.iterdir()} if p.is_dir() else set()


# Bridge networking: this session's hako names its bridges, veths and nft table with its own
# prefix (HAKO_NET_PREFIX), so the leak check and the cleanup see only what these tests made.
NET_PREFIX = "ht" + os.urandom(3).hex()[:4]
os.environ["HAKO_NET_PREFIX"] = NET_PREFIX


def _net():
    """This session's interfaces (but the default bridge, which stays as docker0 does) and
    the DNAT elements of its nft table."""
    found = {f"link {n}" for n in os.listdir("/sys/class/net")
             if n.startswith(NET_PREFIX) and n != NET_PREFIX + "0"}
    run_dir = Path("/run/hako-net")
    if run_dir.is_dir():
        for d in run_dir.glob(NET_PREFIX + "*"):
            found |= {f"address {d.name}/{x.name}" for x in d.iterdir()}
    # user networks' DNS responders (`hako dns-serve <bridge> ...`, reparented to init)
    for d in Path("/proc").iterdir():
        try:
            argv = (d / "cmdline").read_bytes().split(b"\0") if d.name.isdigit() else []
        except OSError:
            continue
        if argv[1:3] and argv[1] == b"dns-serve" and argv[2].startswith(NET_PREFIX.encode()):
            found.add(f"dns-serve {argv[2].decode()} pid {d.name}")
    if shutil.which("nft"):
        for m in ("any4", "ip4", "any6"):
            p = subprocess.run(["nft", "-j", "list", "map", "inet", NET_PREFIX, m], text=True,
                               capture_output=True)
            if p.returncode != 0:
                continue
            for item in json.loads(p.stdout).get("nftables", []):
                for el in item.get("map", {}).get("elem", []):
                    found.add(f"nft {m} {json.dumps(el)}")
    return found


@pytest.fixture(scope="session", autouse=True)
def net_cleanup():
    """At the end of the session, this session's bridges and nft table go."""
    yield
    for n in os.listdir("/sys/class/net"):
        if n.startswith(NET_PREFIX):
            subprocess.run(["ip", "link", "del", n], capture_output=True)
    if shutil.which("nft"):
        subprocess.run(["nft", "delete", "table", "inet", NET_PREFIX], capture_output=True)
    for d in Path("/run/hako-net").glob(NET_PREFIX + "*"):
        shutil.rmtree(d, ignore_errors=True)


# Daemons a fixture keeps for several tests (containerd, a registry): not leaks, and neither
# are their descendants.
KEEP_PIDS = set()


def _children():
    """Processes whose parent chain reaches this pytest process (our descendants)."""
    me = os.getpid()
    parents = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] == "Z":
            continue  # a zombie holds nothing; its parent will reap it
        parents[int(d.name)] = int(fields[1])
    out = set()
    for pid in parents:
        p, seen = pid, 0
        while p > 1 and seen < 64 and p not in KEEP_PIDS:
            p = parents.get(p, 0)
            seen += 1
            if p == me:
                out.add(pid)
                break
    return out


@pytest.fixture(autouse=True)
def no_leaks(request, tmp_path_factory):
    # Mounts are machine-wide: count only those under this session's temp dir or hako's
    # default places, so a second test session running at the same time is not blamed.
    base = str(tmp_path_factory.getbasetemp())
    places = (base, "/var/lib/hako", "/run/hako")

    def mounts():
        return {m for m in _mounts() if m.startswith(places)}

    before = (mounts(), _hako_cgroups(), _netns(), _net())
    yield
    # give exiting processes a moment to be reaped
    deadline = time.time() + 3
    while time.time() < deadline:
        after = (mounts(), _hako_cgroups(), _netns(), _net())
        kids = _children()
        if all(a <= b for a, b in zip(after, before)) and not kids:
            return
        time.sleep(0.05)
    leaks = []
    for name, a, b in zip(("mounts", "cgroups", "netns", "network"), after, before):
        if a - b:
            leaks.append(f"{name}: {sorted(a - b)}")
    if kids:
        leaks.append(f"processes: {sorted(kids)}")
        for pid in kids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    pytest.fail("left behind after the test: " + "; ".join(leaks))


# --- helpers ---------------------------------------------------------------------------------

def wait_for(cond, timeout=10, what="condition"):
    """Poll cond() until it returns something true (returned), or fail naming what."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def run(cmd, check=False, timeout=60, **kw):
    """Run a command, capture text output; never raises on non-zero unless check.

    Output goes through temporary files, not pipes: a container started by the command
    inherits them and may outlive it, and a pipe would keep us waiting for its EOF."""
    import tempfile
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        kw.setdefault("stdout", out)
        kw.setdefault("stderr", err)
        p = subprocess.run([str(c) for c in cmd], text=True, timeout=timeout, **kw)
        if kw["stdout"] is out:
            out.seek(0)
            p.stdout = out.read()
        if kw["stderr"] is err:
            err.seek(0)
            p.stderr = err.read()
    if check and p.returncode != 0:
        raise AssertionError(f"{cmd} exited {p.returncode}\nstdout: {p.stdout}\nstderr: {p.stderr}")
    return p


@pytest.fixture(scope="session")
def busybox_rootfs_template(tmp_path_factory):
    return make_busybox_rootfs(tmp_path_factory.mktemp("busybox") / "rootfs")


@pytest.fixture
def busybox_rootfs(tmp_path, busybox_rootfs_template):
    dest = tmp_path / "rootfs"
    shutil.copytree(busybox_rootfs_template, dest, symlinks=True)
    return dest


# --- the OCI runtime ---------------------------------------------------------------------------

class Runtime:
    """`hako-runtime` with a state root of its own; deletes what it created at teardown."""

    def __init__(self, root: Path):
        self.root = root
        self.ids = set()

    def __call__(self, *args, **kw):
        return run([RUNTIME, "--root", self.root, *args], **kw)

    def ok(self, *args, **kw):
        p = self(*args, **kw)
        assert p.returncode == 0, f"hako-runtime {args} exited {p.returncode}: {p.stderr}"
        return p

    def create(self, cid, bundle, *extra, **kw):
        self.ids.add(cid)
        return self("create", "--bundle", in_session_cgroup(bundle, cid), *extra, cid, **kw)

    def run(self, cid, bundle, *extra, **kw):
        self.ids.add(cid)
        return self("run", "--bundle", in_session_cgroup(bundle, cid), *extra, cid, **kw)

    def state(self, cid):
        p = self.ok("state", cid)
        return json.loads(p.stdout)

    def cleanup(self):
        for cid in self.ids:
            self("delete", "--force", cid)


def in_session_cgroup(bundle, cid):
    """A Bundle whose config names no cgroupsPath gets CG_PARENT/<cid> (the runtime's own
    default is /hako/<cid>); tests that set one keep theirs."""
    if isinstance(bundle, Bundle):
        linux = bundle.config.setdefault("linux", {})
        if "cgroupsPath" not in linux or getattr(bundle, "session_cgroup", False):
            linux["cgroupsPath"] = f"{CG_PARENT}/{cid}"
            bundle.session_cgroup = True
    return bundle


@pytest.fixture
def rt(tmp_path):
    r = Runtime(tmp_path / "state")
    yield r
    r.cleanup()


class Bundle:
    """An OCI bundle: a busybox rootfs and runc's default config.json, editable as a dict."""

    def __init__(self, path: Path):
        self.path = path
        self.rootfs = path / "rootfs"
        run([RUNTIME, "spec", "--bundle", path], check=True)
        self.config = json.loads((path / "config.json").read_text())
        self.config["process"]["terminal"] = False
        self.config["root"]["readonly"] = False

    def set_args(self, *args):
        self.config["process"]["args"] = list(args)
        return self

    def sh(self, script):
        return self.set_args("sh", "-c", script)

    def use_userns(self, host_id=100000):
        """A new user namespace, root mapped to host_id (65536 ids), the rootfs owned by it
        and no cgroup mount (a user namespace cannot mount the host's hierarchies)."""
        lx = self.config["linux"]
        lx["namespaces"].append({"type": "user"})
        lx["uidMappings"] = [{"containerID": 0, "hostID": host_id, "size": 65536}]
        lx["gidMappings"] = [{"containerID": 0, "hostID": host_id, "size": 65536}]
        self.config["mounts"] = [m for m in self.config["mounts"] if m["type"] != "cgroup"]
        os.chown(self.rootfs, host_id, host_id)
        return self

    def write(self):
        (self.path / "config.json").write_text(json.dumps(self.config, indent=2))
        return self.path

    def __str__(self):
        return str(self.write())

    def __fspath__(self):
        return str(self.write())


@pytest.fixture
def bundle(tmp_path, busybox_rootfs):
    return Bundle(tmp_path)


@pytest.fixture(scope="session")
def probe(tmp_path_factory):
    """tests/integration/helpers/probe.c, built static (path of the binary)."""
    out = tmp_path_factory.mktemp("probe") / "probe"
    src = Path(__file__).parent / "helpers" / "probe.c"
    p = run(["cc", "-static", "-O1", "-o", out, src])
    assert p.returncode == 0, p.stderr
    return out


# --- the engine (`hako run` and friends) --------------------------------------------------------

class Engine:
    """`hako` with its own --root/--runroot and the offline busybox image; removes every
    container at teardown and checks that no monitor of ours is left running."""

    def __init__(self, tmp_path: Path):
        self.root = tmp_path / "root"
        self.runroot = tmp_path / "run"

    def argv(self, *args):
        return [HAKO, "--root", self.root, "--runroot", self.runroot,
                "--cgroup-parent", CG_PARENT, *args]

    def __call__(self, *args, **kw):
        return run(self.argv(*args), **kw)

    def ok(self, *args, **kw):
        p = self(*args, **kw)
        assert p.returncode == 0, f"hako {args} exited {p.returncode}: {p.stderr}"
        return p

    def inspect(self, name):
        return json.loads(self.ok("inspect", name).stdout)[0]

    def monitors(self):
        """Processes whose command line names our root (monitors, monitor-exit)."""
        found = []
        for d in Path("/proc").iterdir():
            if d.name.isdigit():
                try:
                    if str(self.root).encode() in (d / "cmdline").read_bytes():
                        found.append(int(d.name))
                except OSError:
                    pass
        return found

    def cleanup(self):
        p = self("ps", "-aq", "--no-trunc")
        for cid in p.stdout.split():
            self("rm", "-f", cid)
        if (self.root / "networks").is_dir():
            self("network", "prune")
        deadline = time.time() + 5
        while self.monitors() and time.time() < deadline:
            time.sleep(0.05)
        left = self.monitors()
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        assert not left, f"monitor processes left behind: {left}"


@pytest.fixture
def engine(tmp_path):
    e = Engine(tmp_path)
    e.ok("image", "build-busybox")
    yield e
    e.cleanup()
