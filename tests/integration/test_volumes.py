"""Volumes and mounts as docker has them: named and anonymous volumes, `hako volume ...`,
docker's copy-up, image VOLUMEs, --rm / rm -v, --volumes-from, --mount, and docker's checks of
-v. The expected outputs and exit codes are docker's (docker 28 documentation and behaviour):
1 for a failing `volume` command, 125 for a refused run/create."""
import json
import os
from pathlib import Path

import pytest

from imagelib import entry, make_tar
from ocimage import layer_from_dir, oci_archive


def vols(engine):
    return engine.ok("volume", "ls", "-q").stdout.split()


def test_volume_create_ls_inspect_rm(engine):
    assert engine.ok("volume", "create", "--label", "team=a", "data").stdout == "data\n"
    engine.ok("volume", "create", "other")
    # docker's table: DRIVER column at least 10 wide, then VOLUME NAME
    assert engine.ok("volume", "ls").stdout == ("DRIVER    VOLUME NAME\n"
                                                "local     data\nlocal     other\n")
    assert vols(engine) == ["data", "other"]
    assert engine.ok("volume", "ls", "-q", "--filter", "label=team=a").stdout == "data\n"
    assert engine.ok("volume", "ls", "-q", "--filter", "name=oth").stdout == "other\n"
    assert engine.ok("volume", "ls", "--format", "{{.Name}}:{{.Driver}}:{{.Labels}}").stdout \
        == "data:local:team=a\nother:local:\n"
    assert engine.ok("volume", "ls", "--format", "table {{.Name}}\t{{.Driver}}").stdout == (
        "VOLUME NAME   DRIVER\ndata          local\nother         local\n")
    p = engine("volume", "ls", "--filter", "foo=bar")
    assert p.returncode == 1 and "Invalid filter 'foo'" in p.stderr
    [v] = json.loads(engine.ok("volume", "inspect", "data").stdout)
    assert v["Name"] == "data" and v["Driver"] == "local" and v["Scope"] == "local"
    assert v["Labels"] == {"team": "a"}
    assert v["Mountpoint"] == str(engine.root / "volumes" / "data" / "_data")
    assert Path(v["Mountpoint"]).is_dir()
    assert engine.ok("volume", "inspect", "-f", "{{.Mountpoint}}", "data").stdout.strip() \
        == v["Mountpoint"]
    p = engine("volume", "inspect", "nosuch")
    assert p.returncode == 1 and "No such volume: nosuch" in p.stderr
    # creating an existing volume returns it
    assert engine.ok("volume", "create", "data").stdout == "data\n"
    # docker's name rule
    p = engine("volume", "create", "a/b")
    assert p.returncode == 1
    assert ('"a/b" includes invalid characters for a local volume name, only '
            '"[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed') in p.stderr
    # in use by a container (even a stopped one): refused, naming it
    cid = engine.ok("create", "-v", "data:/data", "busybox", "true").stdout.strip()
    p = engine("volume", "rm", "data")
    assert p.returncode == 1
    assert f"remove data: volume is in use - [{cid}]" in p.stderr
    p = engine("volume", "rm", "-f", "data")
    assert p.returncode == 1 and "volume is in use" in p.stderr
    engine.ok("rm", cid)
    assert engine.ok("volume", "rm", "data", "other").stdout == "data\nother\n"
    assert vols(engine) == []
    assert not (engine.root / "volumes" / "data").exists()
    p = engine("volume", "rm", "data")
    assert p.returncode == 1 and "no such volume" in p.stderr
    assert engine.ok("volume", "rm", "-f", "data").returncode == 0


def test_named_volume_persists_and_ro(engine):
    engine.ok("run", "--rm", "-v", "keep:/data", "busybox", "sh", "-c", "echo hi > /data/f")
    assert vols(engine) == ["keep"]  # made by -v, and kept after --rm (it is named)
    assert engine.ok("run", "--rm", "-v", "keep:/data:ro", "busybox", "cat", "/data/f").stdout \
        == "hi\n"
    p = engine("run", "--rm", "-v", "keep:/data:ro", "busybox", "sh", "-c", "echo x > /data/g")
    assert p.returncode != 0 and "Read-only file system" in p.stderr
    cid = engine.ok("create", "-v", "keep:/data", "busybox", "true").stdout.strip()
    [m] = engine.inspect(cid)["Mounts"]
    assert m == {"Type": "volume", "Name": "keep",
                 "Source": str(engine.root / "volumes" / "keep" / "_data"),
                 "Destination": "/data", "Driver": "local", "Mode": "", "RW": True,
                 "Propagation": ""}
    assert engine.ok("ps", "-aq", "--no-trunc").stdout.split() == [cid]


def test_anonymous_volumes_rm_and_prune(engine):
    engine.ok("run", "--rm", "-v", "/data", "busybox", "sh", "-c", "echo x > /data/f")
    assert vols(engine) == []  # --rm takes its anonymous volumes along
    engine.ok("run", "-v", "/data", "busybox", "true")
    [anon] = vols(engine)
    assert len(anon) == 64
    [v] = json.loads(engine.ok("volume", "inspect", anon).stdout)
    assert "com.docker.volume.anonymous" in v["Labels"]
    [c] = engine.ok("ps", "-aq", "--no-trunc").stdout.split()
    engine.ok("rm", c)
    assert vols(engine) == [anon]  # rm without -v keeps it
    c2 = engine.ok("create", "-v", "/data", "busybox", "true").stdout.strip()
    assert len(vols(engine)) == 2
    engine.ok("rm", "-v", c2)
    assert vols(engine) == [anon]
    engine.ok("volume", "create", "named")
    # prune: unused anonymous volumes only; -a: every unused one
    p = engine.ok("volume", "prune", "-f")
    assert p.stdout == f"Deleted Volumes:\n{anon}\n\nTotal reclaimed space: 0B\n"
    assert vols(engine) == ["named"]
    engine.ok("create", "-v", "used:/u", "busybox", "true")
    p = engine.ok("volume", "prune", "-a", "-f")
    assert p.stdout == "Deleted Volumes:\nnamed\n\nTotal reclaimed space: 0B\n"
    assert vols(engine) == ["used"]


@pytest.fixture
def volimg(engine, tmp_path, busybox_rootfs_template):
    """An image whose config has VOLUME /data and /link; /data holds files, a symlink to the
    host-looking /etc and a nested dir; /link is a symlink out of the rootfs."""
    canary = tmp_path / "canary"
    canary.mkdir()
    (canary / "host-secret").write_text("host\n")
    extra = make_tar([
        entry("data", kind="dir", mode=0o750, uid=1000, gid=1000),
        entry("data/seed", data="from the image\n", mode=0o640, uid=1000),
        entry("data/sub", kind="dir"),
        entry("data/sub/deep", data="deep\n"),
        entry("data/etc-link", kind="symlink", target="/etc"),
        entry("link", kind="symlink", target=str(canary)),
    ])
    cfg = {"Env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"], "Cmd": ["sh"],
           "Volumes": {"/data": {}, "/link": {}}}
    archive = oci_archive(tmp_path / "volimg.tar", [layer_from_dir(busybox_rootfs_template),
                                                     extra], ref="docker.io/library/volimg:1",
                          config=cfg)
    engine.ok("load", "-i", archive, timeout=120)
    return canary


def test_image_volume_copy_up(engine, volimg):
    out = engine.ok("run", "--name", "cu", "volimg:1", "sh", "-c",
                    "cat /data/seed /data/sub/deep; stat -c '%u:%g %a' /data /data/seed; "
                    "readlink /data/etc-link; ls -A /link").stdout
    assert out == "from the image\ndeep\n1000:1000 750\n1000:0 640\n/etc\n"
    mounts = {m["Destination"]: m for m in engine.inspect("cu")["Mounts"]}
    assert set(mounts) == {"/data", "/link"}
    src = Path(mounts["/data"]["Source"])
    assert (src / "seed").read_text() == "from the image\n"
    assert os.readlink(src / "etc-link") == "/etc"  # copied as a symlink, never followed
    # the symlink VOLUME resolved inside the rootfs: nothing of the host copied in
    assert list(Path(mounts["/link"]["Source"]).iterdir()) == []
    assert sorted(p.name for p in volimg.iterdir()) == ["host-secret"]
    # -v NAME over an image VOLUME: the named volume, filled from the image once
    engine.ok("run", "--rm", "-v", "nv:/data", "volimg:1", "sh", "-c", "rm /data/seed")
    assert engine.ok("run", "--rm", "-v", "nv:/data", "volimg:1", "ls", "/data").stdout \
        == "etc-link\nsub\n"
    # nocopy: an empty volume stays empty
    assert engine.ok("run", "--rm", "-v", "nc:/data:nocopy", "volimg:1", "ls", "-A",
                     "/data").stdout == ""
    engine.ok("rm", "-v", "cu")
    assert sorted(vols(engine)) == ["nc", "nv"]


def test_volume_driver_options(engine, tmp_path):
    engine.ok("volume", "create", "--opt", "type=tmpfs", "--opt", "device=tmpfs", "--opt",
              "o=size=64m", "tmp")
    [v] = json.loads(engine.ok("volume", "inspect", "tmp").stdout)
    assert v["Options"] == {"type": "tmpfs", "device": "tmpfs", "o": "size=64m"}
    out = engine.ok("run", "--rm", "-v", "tmp:/t", "busybox", "sh", "-c",
                    "grep ' /t ' /proc/mounts; df -k /t | tail -1").stdout
    assert out.startswith("tmpfs /t tmpfs ") and " 65536 " in out
    host = tmp_path / "hostdir"
    host.mkdir()
    engine.ok("volume", "create", "--opt", "type=none", "--opt", "o=bind", "--opt",
              f"device={host}", "hb")
    engine.ok("run", "--rm", "-v", "hb:/h", "busybox", "sh", "-c", "echo via > /h/f")
    assert (host / "f").read_text() == "via\n"
    p = engine("volume", "create", "--opt", "foo=bar", "bad")
    assert p.returncode == 1 and 'invalid option key: "foo"' in p.stderr
    assert "bad" not in vols(engine)


def test_volumes_from(engine):
    engine.ok("run", "--name", "src", "-v", "shared:/data", "-v", "/anon", "busybox", "sh", "-c",
              "echo one > /data/f; echo two > /anon/g")
    assert engine.ok("run", "--rm", "--volumes-from", "src", "busybox", "cat", "/data/f",
                     "/anon/g").stdout == "one\ntwo\n"
    p = engine("run", "--rm", "--volumes-from", "src:ro", "busybox", "sh", "-c",
               "echo x > /data/f")
    assert p.returncode != 0 and "Read-only file system" in p.stderr
    p = engine("run", "--rm", "--volumes-from", "nosuch", "busybox", "true")
    assert p.returncode == 125 and "No such container: nosuch" in p.stderr
    # the anonymous volume is shared: rm -v of one user keeps it for the other
    other = engine.ok("create", "--volumes-from", "src", "busybox", "true").stdout.strip()
    n = len(vols(engine))
    engine.ok("rm", "-v", "src")
    assert len(vols(engine)) == n
    engine.ok("rm", "-v", other)
    assert vols(engine) == ["shared"]


def test_mount_flag(engine, tmp_path):
    d = tmp_path / "src"
    d.mkdir()
    (d / "f").write_text("bound\n")
    out = engine.ok("run", "--rm", "--mount", f"type=bind,source={d},target=/b,readonly",
                    "--mount", "type=tmpfs,target=/t,tmpfs-size=1m,tmpfs-mode=1770",
                    "--mount", "type=volume,source=mv,target=/v",
                    "busybox", "sh", "-c",
                    "cat /b/f; touch /b/x 2>&1 | grep -o Read-only; stat -c %a /t; "
                    "grep ' /t ' /proc/mounts; touch /v/ok").stdout
    lines = out.splitlines()
    assert lines[:3] == ["bound", "Read-only", "1770"]
    assert "size=1024k" in lines[3] and "nosuid" in lines[3] and "noexec" in lines[3]
    assert vols(engine) == ["mv"]
    # docker: a missing bind source is an error with --mount ...
    p = engine("run", "--rm", "--mount", f"type=bind,src={tmp_path}/nope,dst=/x", "busybox",
               "true")
    assert p.returncode == 125
    assert (f'invalid mount config for type "bind": bind source path does not exist: '
            f'{tmp_path}/nope') in p.stderr
    assert not (tmp_path / "nope").exists()
    # ... and made with -v
    engine.ok("run", "--rm", "-v", f"{tmp_path}/made:/x", "busybox", "true")
    assert (tmp_path / "made").is_dir()
    for spec, msg in [
            ("type=bind,source=/tmp", "target is required"),
            ("type=bind,src=/tmp,dst=/x,foo=bar", "unexpected key 'foo' in 'foo=bar'"),
            ("type=bind,src=/tmp,dst=/x,volume-nocopy",
             "cannot mix 'volume-*' options with mount type 'bind'"),
            ("type=tmpfs,dst=/x,tmpfs-size=lots", "invalid value for tmpfs-size: lots")]:
        p = engine("run", "--rm", "--mount", spec, "busybox", "true")
        assert p.returncode == 125, spec
        assert f'invalid argument "{spec}" for "--mount" flag: {msg}' in p.stderr, p.stderr
    p = engine("run", "--rm", "--mount", "type=bind,src=/tmp,dst=/x,bind-propagation=odd",
               "busybox", "true")
    assert p.returncode == 125
    assert 'invalid mount config for type "bind": invalid propagation mode: odd' in p.stderr
    p = engine("run", "--rm", "--mount", "type=foo,dst=/x", "busybox", "true")
    assert p.returncode == 125 and 'invalid mount config for type "foo": mount type unknown' \
        in p.stderr
    p = engine("run", "--rm", "--mount", "type=volume,dst=/x,readonly", "busybox", "true")
    assert p.returncode == 125 and "must not set ReadOnly mode when using anonymous volumes" \
        in p.stderr
    p = engine("run", "--rm", "-v", "/tmp:/x", "--mount", "type=tmpfs,dst=/x", "busybox", "true")
    assert p.returncode == 125 and "Duplicate mount point: /x" in p.stderr
    assert engine.ok("ps", "-aq").stdout == ""
    assert vols(engine) == ["mv"]


@pytest.mark.parametrize("spec,msg", [
    ("/etc:/proc", '"/proc" cannot be mounted because it is not of type proc'),
    ("/etc:/proc/", '"/proc" cannot be mounted because it is not of type proc'),
    ("/etc:/proc/sys/kernel", '"/proc/sys/kernel" cannot be mounted because it is inside /proc'),
    ("/etc::/x", "invalid mode: /x"),
    ("/etc:", "invalid volume specification: '/etc:'"),
    ("/etc:ro", "invalid volume specification: '/etc:ro'"),
    ("/etc:/x:rw,ro", "invalid mode: rw,ro"),
    ("/etc:x", "invalid mount config for type \"bind\": invalid mount path: 'x' mount path "
               "must be absolute"),
    ("/etc:/", "invalid specification: destination can't be '/'"),
    ("./rel:/x", '"./rel" includes invalid characters for a local volume name'),
    ("a:b:c:d", "invalid volume specification: 'a:b:c:d'"),
    ("x:/y:shared", 'invalid mount config for type "volume": field BindOptions must not be '
                    'specified'),
])
def test_v_validation(engine, spec, msg):
    p = engine("run", "--rm", "-v", spec, "busybox", "true")
    assert p.returncode == 125, p.stderr
    assert msg in p.stderr
    assert engine.ok("ps", "-aq").stdout == ""
    assert vols(engine) == []


def test_v_allowed_in_proc_and_dotdot(engine, tmp_path):
    f = tmp_path / "up"
    f.write_text("12345.67 0.00\n")
    # lxcfs's files may be mounted over, as with runc
    assert engine.ok("run", "--rm", "-v", f"{f}:/proc/uptime:ro", "busybox", "cat",
                     "/proc/uptime").stdout == "12345.67 0.00\n"
    # docker cleans the destination
    d = tmp_path / "d"
    d.mkdir()
    engine.ok("run", "--rm", "-v", f"{d}:/a/../b", "busybox", "touch", "/b/ok")
    assert (d / "ok").exists()


def test_runtime_refuses_mount_over_proc(rt, bundle, tmp_path):
    """The runtime applies runc's rule itself: a bind of a host directory onto /proc (which
    would give the container the host's files, writable, in place of its procfs), or into it
    through a symlink of the rootfs, is refused."""
    host = tmp_path / "host"
    host.mkdir()
    (bundle.rootfs / "sneaky").symlink_to("/proc/sys")
    bundle.set_args("true")
    for dest, want in [("/proc", '"/proc" cannot be mounted because it is not of type proc'),
                       ("/sneaky", '"/sneaky" cannot be mounted because it is inside /proc')]:
        bundle.config["mounts"].append({"destination": dest, "type": "bind",
                                        "source": str(host), "options": ["rbind", "rw"]})
        bundle.write()
        p = rt.run("p" + dest[1:], bundle)
        assert p.returncode != 0
        assert want in p.stderr, p.stderr
        bundle.config["mounts"].pop()
    assert list(host.iterdir()) == []
