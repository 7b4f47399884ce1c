"""docker CLI parity, continued: --pid/--ipc container:NAME, ps filters publish/expose/network
and -n/-l/-s, images filters, update, system df/prune, image prune. The expected outputs and
exit codes are docker's documented ones."""
import os

import pytest

from conftest import wait_for


def test_pid_and_ipc_join_a_running_container(engine):
    engine.ok("run", "-d", "--name", "donor", "--ipc", "shareable", "--shm-size", "8m",
              "busybox", "sh", "-c", "echo hi > /dev/shm/x; exec sleep 100")
    wait_for(lambda: engine("exec", "donor", "pidof", "sleep").returncode == 0, what="donor")
    pid = engine.inspect("donor")["State"]["Pid"]
    out = engine.ok("run", "--rm", "--pid", "container:donor", "--ipc", "container:donor",
                    "busybox", "sh", "-c",
                    "cat /proc/1/cmdline | tr '\\0' ' '; echo; "
                    "readlink /proc/self/ns/pid; readlink /proc/self/ns/ipc; cat /dev/shm/x; "
                    "df -k /dev/shm | tail -1").stdout.splitlines()
    assert out[0].strip() == "sleep 100"  # the donor's init is PID 1 here
    assert out[1] == os.readlink(f"/proc/{pid}/ns/pid")
    assert out[2] == os.readlink(f"/proc/{pid}/ns/ipc")
    assert out[3] == "hi"  # the donor's /dev/shm, its size too
    assert out[4].split()[1] == "8192"
    # the donor restarts: a created container joins its new init at start, not the old pid
    cid = engine.ok("create", "--pid", "container:donor", "busybox", "cat",
                    "/proc/1/cmdline").stdout.strip()
    engine.ok("restart", "-t", "0", "donor")
    assert engine.ok("start", "-a", cid).stdout.startswith("sleep")
    assert engine.inspect(cid)["HostConfig"]["PidMode"] == "container:donor"
    engine.ok("rm", cid)
    # a stopped donor: docker's words, 125, nothing made
    engine.ok("stop", "-t", "0", "donor")
    donor_id = engine.inspect("donor")["Id"]
    p = engine("run", "--rm", "--pid", "container:donor", "busybox", "true")
    assert p.returncode == 125
    assert f"container {donor_id} is not running" in p.stderr
    engine.ok("rm", "donor")
    assert not any("/shm" in line.split()[4] and str(engine.root) in line
                   for line in open("/proc/self/mountinfo"))
    assert engine.ok("ps", "-aq").stdout == ""


def test_ipc_container_needs_a_shareable_donor(engine):
    cid = engine.ok("run", "-d", "busybox", "sleep", "100").stdout.strip()
    p = engine("run", "--rm", "--ipc", f"container:{cid[:12]}", "busybox", "true")
    assert p.returncode == 125
    assert (f"can't join IPC of container {cid}: non-shareable IPC (hint: use "
            "IpcMode:shareable for the donor container)") in p.stderr
    p = engine("create", "--ipc", "container:nosuch", "busybox", "true")
    assert p.returncode == 125
    assert "cannot join IPC of a non running container: nosuch" in p.stderr
    p = engine("create", "--pid", "container:nosuch", "busybox", "true")
    assert p.returncode == 125
    assert "cannot join PID of a non running container: nosuch" in p.stderr
    assert engine.ok("ps", "-aq", "--no-trunc").stdout.split() == [cid]



def test_ps_publish_expose_network_filters(engine):
    engine.ok("network", "create", "pnet")
    nid = engine.ok("network", "inspect", "-f", "{{.Id}}", "pnet").stdout.strip()
    engine.ok("create", "--name", "pub", "-p", "127.0.0.1:8080:80", "busybox", "true")
    engine.ok("create", "--name", "exp", "--expose", "8000-8002/udp", "busybox", "true")
    engine.ok("run", "--name", "onnet", "--network", "pnet", "busybox", "true")

    def names(*filters):
        args = [x for f in filters for x in ("--filter", f)]
        p = engine.ok("ps", "-a", *args, "--format", "{{.Names}}")
        return sorted(p.stdout.split())
    # docker: publish/expose match the container port, tcp unless a protocol is given
    assert names("publish=80") == ["pub"]
    assert names("publish=80/tcp") == ["pub"]
    assert names("publish=80/udp") == []
    assert names("publish=8080") == []  # the host port is not what publish= matches
    assert names("expose=80") == ["pub"]  # a published port is exposed too
    assert names("expose=8001/udp") == ["exp"]
    assert names("expose=8000-8080/udp") == ["exp"]
    assert names("expose=8000-8080") == []
    assert names("network=pnet") == ["onnet"]
    assert names(f"network={nid[:12]}") == ["onnet"]
    assert names("network=bridge") == ["exp", "pub"]
    assert names("network=pnet", "publish=80") == []  # keys AND
    assert names("publish=80", "publish=8001/udp") == ["pub"]
    p = engine("ps", "--filter", "publish=1:2")
    assert p.returncode == 1
    assert "filter for 'publish' should not contain ':': 1:2" in p.stderr and p.stdout == ""
    p = engine("ps", "--filter", "expose=x")
    assert p.returncode == 1 and "error while looking up for expose x" in p.stderr
    p = engine("create", "--expose", "80:80", "busybox", "true")
    assert p.returncode == 125 and "invalid port format for --expose: 80:80" in p.stderr
    p = engine("create", "--expose", "90-80", "busybox", "true")
    assert p.returncode == 125 and "invalid range format for --expose: 90-80" in p.stderr
    assert engine.inspect("exp")["Config"]["ExposedPorts"] == {
        "8000/udp": {}, "8001/udp": {}, "8002/udp": {}}


def test_ps_last_latest_size(engine):
    for n in ("c1", "c2", "c3"):
        engine.ok("create", "--name", n, "busybox", "true")
    # -n/-l: the newest created, in every state, without -a
    out = engine.ok("ps", "-n", "2", "--format", "{{.Names}}").stdout
    assert out == "c3\nc2\n"
    assert engine.ok("ps", "-l", "-q").stdout.strip() == engine.inspect("c3")["Id"][:12]
    assert engine.ok("ps", "-n", "2", "--filter", "name=c1", "-q").stdout.strip() == \
        engine.inspect("c1")["Id"][:12]  # the limit counts what the filters pass
    p = engine("ps", "-n", "x")
    assert p.returncode == 125 and 'invalid argument "x" for "-n, --last" flag' in p.stderr
    engine.ok("run", "--name", "writer", "busybox", "sh", "-c", "head -c 100000 /dev/zero > /f")
    lines = engine.ok("ps", "-l", "-s").stdout.splitlines()
    assert lines[0].split()[-1] == "SIZE"
    size = lines[1].split("writer")[1].strip()
    # docker's "RW (virtual RW+IMAGE)" in decimal units: 100 kB written over the image
    assert size.startswith("100kB (virtual ") and size.endswith("MB)"), size
    row = engine.ok("ps", "-l", "-s", "--format", "{{.Size}}").stdout.strip()
    assert row == size


def test_images_filters_digests_and_format(engine, tmp_path):
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text("FROM busybox\nLABEL team=a\n")
    lab = engine.ok("build", "-q", "-t", "lab:1", ctx).stdout.strip()
    engine.ok("tag", "busybox", "mine/box:v1")
    bb = engine.inspect("busybox")["Id"]

    def rows(*args):
        return engine.ok("images", *args, "--format", "{{.Repository}}:{{.Tag}}").stdout.split()
    assert sorted(rows()) == ["busybox:latest", "lab:1", "mine/box:v1"]
    assert rows("--filter", "reference=mine/*") == ["mine/box:v1"]
    assert rows("--filter", "reference=busybox") == ["busybox:latest"]
    assert rows("--filter", "reference=*:v1") == ["mine/box:v1"]
    assert rows("--filter", "label=team=a") == ["lab:1"]
    assert rows("--filter", "label=team") == ["lab:1"]
    assert rows("--filter", "label=team=b") == []
    assert rows("--filter", "dangling=true") == []
    assert sorted(rows("--filter", "dangling=false")) == ["busybox:latest", "lab:1", "mine/box:v1"]
    created = {i: engine.inspect(i)["Created"] for i in (bb, lab)}
    older, newer = sorted(created, key=lambda i: created[i])
    if created[older] != created[newer]:
        # a row per tag, -q included (busybox has two)
        tags = {bb: 2, lab: 1}
        assert engine.ok("images", "-q", "--filter", f"since={older}").stdout.split() == \
            [newer[7:19]] * tags[newer]
        assert engine.ok("images", "-q", "--filter", f"before={newer}").stdout.split() == \
            [older[7:19]] * tags[older]
    p = engine("images", "--filter", "foo=bar")
    assert p.returncode == 1 and "Invalid filter 'foo'" in p.stderr and p.stdout == ""
    p = engine("images", "--filter", "dangling=maybe")
    assert p.returncode == 1 and "Invalid filter 'dangling=maybe'" in p.stderr
    p = engine("images", "--filter", "before=nosuch")
    assert p.returncode == 1 and "No such image: nosuch" in p.stderr
    head = engine.ok("images", "--digests").stdout.splitlines()[0].split()
    assert head == ["REPOSITORY", "TAG", "DIGEST", "IMAGE", "ID", "CREATED", "SIZE"]
    out = engine.ok("images", "--format", "table {{.Repository}}\t{{.ID}}",
                    "--filter", "reference=lab").stdout
    assert out == f"REPOSITORY   IMAGE ID\nlab          {lab[7:19]}\n"
    p = engine("images", "--digest")
    assert p.returncode == 125 and "unknown flag: --digest" in p.stderr
