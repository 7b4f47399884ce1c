"""docker CLI parity, continued: --pid/--ipc container:NAME, ps filters publish/expose/network
and -n/-l/-s, images filters, update, system df/prune, image prune. The expected outputs and
exit codes are docker's documented ones."""
import json
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


def _cgroup_file(engine, name, v1, v2):
    """A limit file of the container's cgroup, read from inside (v1 or pure v2 paths)."""
    p = engine.ok("exec", name, "sh", "-c", f"cat /sys/fs/cgroup/{v1} 2>/dev/null || "
                  f"cat /sys/fs/cgroup/{v2}")
    return p.stdout.strip()


def test_update_running_and_stopped_container(engine):
    engine.ok("run", "-d", "--name", "u1", "-m", "64m", "busybox", "sleep", "100")
    p = engine.ok("update", "-m", "100m", "--cpus", "0.5", "--pids-limit", "20",
                  "--restart", "on-failure:3", "u1")
    assert p.stdout == "u1\n"  # docker prints each container as given
    assert _cgroup_file(engine, "u1", "memory/memory.limit_in_bytes", "memory.max") == \
        str(100 << 20)
    assert _cgroup_file(engine, "u1", "pids/pids.max", "pids.max") == "20"
    quota = _cgroup_file(engine, "u1", "cpu/cpu.cfs_quota_us", "cpu.max").split()[0]
    assert quota == "50000"
    hc = engine.inspect("u1")["HostConfig"]
    assert hc["Memory"] == 100 << 20 and hc["NanoCpus"] == 500000000
    assert hc["PidsLimit"] == 20
    assert hc["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 3}
    # kept for the next start
    engine.ok("restart", "-t", "0", "u1")
    assert _cgroup_file(engine, "u1", "pids/pids.max", "pids.max") == "20"
    engine.ok("update", "--pids-limit", "-1", "u1")
    assert _cgroup_file(engine, "u1", "pids/pids.max", "pids.max") == "max"
    # docker's rule: a memory limit above the swap allowance in force (twice 64m) needs
    # --memory-swap too
    p = engine("update", "-m", "200m", "u1")
    assert p.returncode == 1
    assert "Memory limit should be smaller than already set memoryswap limit" in p.stderr
    engine.ok("update", "-m", "200m", "--memory-swap", "400m", "u1")
    assert _cgroup_file(engine, "u1", "memory/memory.limit_in_bytes", "memory.max") == \
        str(200 << 20)
    # a stopped container: the record and the next start
    cid = engine.ok("create", "busybox", "cat", "/sys/fs/cgroup/pids/pids.max").stdout.strip()
    engine.ok("update", "--pids-limit", "7", cid[:12])
    assert engine.inspect(cid)["HostConfig"]["PidsLimit"] == 7
    if os.path.isdir("/sys/fs/cgroup/pids"):
        assert engine.ok("start", "-a", cid).stdout.strip() == "7"
    ev = engine.ok("events", "--since", "5m", "--until", "0s", "--filter", "event=update",
                   "--format", "{{.Actor.Attributes.name}}").stdout.split()
    assert ev.count("u1") == 3 and len(ev) == 4  # the failed one is not an update


@pytest.mark.parametrize("args,msg,code", [
    ([], "you must provide one or more flags when using this command", 1),
    (["-m", "1m"], "Minimum memory limit allowed is 6MB", 1),
    (["--cpus", "0.001"], "Range of CPUs is from 0.01", 1),
    (["--pids-limit", "x"], 'invalid argument "x" for "--pids-limit" flag', 125),
    (["--blkio-weight", "10"], "unknown flag: --blkio-weight", 125),
])
def test_update_errors(engine, args, msg, code):
    cid = engine.ok("create", "--name", "ue", "-m", "64m", "busybox", "true").stdout.strip()
    before = engine.inspect(cid)["HostConfig"]
    p = engine("update", *args, "ue")
    assert p.returncode == code and msg in p.stderr, p.stderr
    assert p.stdout == ""
    assert engine.inspect(cid)["HostConfig"] == before


def test_update_refuses_restart_on_autoremove_and_unknown(engine):
    engine.ok("run", "-d", "--rm", "--name", "ur", "busybox", "sleep", "100")
    p = engine("update", "--restart", "always", "ur")
    assert p.returncode == 1
    assert "Restart policy cannot be updated because AutoRemove is enabled for the container" \
        in p.stderr
    p = engine("update", "-m", "10m", "nosuch")
    assert p.returncode == 1 and "No such container: nosuch" in p.stderr
    engine.ok("rm", "-f", "ur")


def test_events_window_filters_and_format(engine):
    engine.ok("run", "--name", "ev1", "--label", "team=a", "busybox", "true")
    engine.ok("rm", "ev1")
    engine.ok("create", "--name", "ev2", "busybox", "true")
    lines = engine.ok("events", "--since", "1m", "--until", "0s").stdout.splitlines()
    actions = [(line.split()[1], line.split()[2]) for line in lines]
    assert actions == [("container", "create"), ("container", "start"), ("container", "die"),
                       ("container", "destroy"), ("container", "create")]
    # docker's layout: TIME TYPE ACTION ID (attributes sorted)
    when, typ, action, cid, attrs = lines[2].split(" ", 4)
    assert len(when) == len("2024-01-02T03:04:05.123456789Z") and when.endswith("Z")
    assert len(cid) == 64
    assert attrs == "(exitCode=0, image=busybox, name=ev1, team=a)"
    out = engine.ok("events", "--since", "1m", "--until", "0s", "--filter", "container=ev2",
                    "--format", "{{.Action}} {{.Actor.Attributes.name}}").stdout
    assert out == "create ev2\n"
    out = engine.ok("events", "--since", "1m", "--until", "0s", "--filter", "label=team=a",
                    "--filter", "event=die", "--filter", "event=destroy",
                    "--format", "{{.Action}}").stdout
    assert out == "die\ndestroy\n"
    assert engine.ok("events", "--since", "1m", "--until", "0s", "--filter",
                     "type=network").stdout == ""

    first = json.loads(engine.ok("events", "--since", "1m", "--until", "0s", "--format",
                                  "json").stdout.splitlines()[0])
    assert first["Type"] == "container" and first["Action"] == "create"
    p = engine("events", "--filter", "foo=bar")
    assert p.returncode == 1 and "Invalid filter 'foo'" in p.stderr
    p = engine("events", "--since", "yesterday-ish")
    assert p.returncode == 1 and "yesterday-ish" in p.stderr


def _dangling(engine, name):
    """An untagged image: a commit without a repository."""
    engine.ok("run", "--name", name, "busybox", "sh", "-c", "head -c 50000 /dev/zero > /f")
    img = engine.ok("commit", name).stdout.strip()
    engine.ok("rm", name)
    return img


def test_image_prune(engine):
    img = _dangling(engine, "cm")
    assert engine.ok("images", "-q", "--filter", "dangling=true").stdout.strip() == img[7:19]
    # without -f it asks; anything but y keeps everything
    p = engine("image", "prune", input="n\n")
    assert "WARNING! This will remove all dangling images." in p.stderr
    assert p.returncode == 0 and p.stdout == ""
    assert engine.ok("images", "-q", "--filter", "dangling=true").stdout.strip() == img[7:19]
    p = engine.ok("image", "prune", "-f")
    lines = p.stdout.splitlines()
    assert lines[:2] == ["Deleted Images:", f"deleted: {img}"]
    assert lines[-1].startswith("Total reclaimed space: ") and lines[-1].endswith("kB")
    assert engine.ok("images", "-q", "--filter", "dangling=true").stdout == ""
    # -a: every image no container uses; one a container uses stays
    engine.ok("tag", "busybox", "spare:1")
    cid = engine.ok("create", "busybox", "true").stdout.strip()
    p = engine.ok("image", "prune", "-a", "-f")
    assert "Deleted Images:" not in p.stdout  # both tags name the image busybox's container uses
    engine.ok("rm", cid)
    p = engine.ok("image", "prune", "-a", "-f", "--filter", "label=nosuch")
    assert "Deleted Images:" not in p.stdout
    p = engine.ok("image", "prune", "-a", "-f")
    assert "untagged: busybox:latest" in p.stdout and "untagged: spare:1" in p.stdout
    assert engine.ok("images", "-q").stdout == ""
    p = engine("image", "prune", "-f", "--filter", "foo=1")
    assert p.returncode == 1 and "Invalid filter 'foo'" in p.stderr


def test_system_prune_and_df(engine):
    engine.ok("network", "create", "unused")
    engine.ok("run", "--name", "done", "-v", "/anon", "-v", "named:/n", "busybox", "sh", "-c",
              "head -c 30000 /dev/zero > /big")
    engine.ok("run", "-d", "--name", "up", "busybox", "sleep", "100")
    img = _dangling(engine, "cm")
    lines = engine.ok("system", "df").stdout.splitlines()
    assert lines[0].split() == ["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"]
    rows = {line[:16].strip(): line[16:].split() for line in lines[1:]}
    assert rows["Images"][:2] == ["2", "1"]  # busybox (in use) and the dangling commit
    assert rows["Containers"][:2] == ["2", "1"]
    assert rows["Containers"][2] == "30kB" and rows["Containers"][3:] == ["30kB", "(100%)"]
    assert rows["Local Volumes"][:2] == ["2", "2"]  # "done" still holds both
    assert list(rows) == ["Images", "Containers", "Local Volumes", "Build Cache"]
    out = engine.ok("system", "df", "--format", "{{.Type}} {{.TotalCount}}").stdout
    assert out.splitlines()[:2] == ["Images 2", "Containers 2"]
    v = engine.ok("system", "df", "-v").stdout
    assert v.startswith("Images space usage:\n\nREPOSITORY   TAG       IMAGE ID")
    assert "\nContainers space usage:\n\nCONTAINER ID   IMAGE     COMMAND" in v
    assert "\nLocal Volumes space usage:\n\nVOLUME NAME" in v and "\nnamed " in v
    assert "\nBuild cache usage: " in v
    p = engine("system", "prune", input="n\n")
    assert "WARNING! This will remove:\n  - all stopped containers\n" in p.stderr
    assert p.stdout == "" and len(engine.ok("ps", "-aq").stdout.split()) == 2
    done = engine.inspect("done")["Id"]
    p = engine.ok("system", "prune", "-f", "--volumes")
    out = p.stdout
    assert f"Deleted Containers:\n{done}\n\n" in out
    assert "Deleted Networks:\nunused\n\n" in out
    assert "Deleted Volumes:\n" in out and "\nnamed\n" not in out  # anonymous only
    assert f"Deleted Images:\ndeleted: {img}\n" in out
    assert out.splitlines()[-1].startswith("Total reclaimed space: ")
    assert engine.ok("ps", "-a", "--format", "{{.Names}}").stdout == "up\n"
    assert engine.ok("volume", "ls", "-q").stdout == "named\n"
    assert "busybox" in engine.ok("images").stdout  # in use by "up"
    p = engine("system", "df", "extra")
    assert p.returncode == 125


def test_go_templates_as_docker_users_write_them(engine):
    engine.ok("network", "create", "tnet")
    engine.ok("run", "-d", "--name", "tp", "--network", "tnet", "-l", "team=a", "-l", "tier=web",
              "-p", "127.0.0.1::80", "-p", "127.0.0.1::81", "busybox", "sleep", "100")
    ports = engine.inspect("tp")["NetworkSettings"]["Ports"]

    def fmt(t, *cmd):
        return engine.ok(*(cmd or ("inspect",)), "-f" if not cmd else "--format", t,
                         *(() if cmd else ("tp",))).stdout

    out = fmt('{{range $p, $conf := .NetworkSettings.Ports}}{{$p}} -> '
              '{{(index $conf 0).HostPort}}{{"\\n"}}{{end}}')
    assert out == "".join(f"{p} -> {ports[p][0]['HostPort']}\n" for p in sorted(ports)) + "\n"
    assert fmt('{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}') == "team=a;tier=web;\n"
    assert fmt('{{join .Args ","}}|{{index (split .Name "/") 1}}|{{title "a b"}}') == \
        "100|tp|A B\n"
    assert fmt('{{if .State.Running}}up{{else}}down{{end}} {{.Name | upper}}') == "up /TP\n"
    assert fmt('{{with .NetworkSettings.Networks.tnet}}{{.IPAddress}}{{end}}') == \
        engine.inspect("tp")["NetworkSettings"]["Networks"]["tnet"]["IPAddress"] + "\n"
    assert fmt('{{printf "%s:%d" .Name .State.Pid}}') == \
        f"/tp:{engine.inspect('tp')['State']['Pid']}\n"
    assert fmt('{{range .Mounts}}x{{else}}no mounts{{end}}') == "no mounts\n"
    assert fmt('{{.Names}}\t{{.Labels}}', "ps") == "tp\tteam=a,tier=web\n"
    # docker renders the header through the same template: the function applies to it too
    assert fmt('table {{.Names}}\t{{.Status | lower}}', "ps").splitlines()[0].split() == \
        ["NAMES", "status"]
    p = engine("inspect", "-f", "{{nope .Name}}", "tp")
    assert p.returncode == 1 and 'function "nope" not defined' in p.stderr
    p = engine("ps", "--format", "{{if .Names}}x")
    assert p.returncode == 1 and "unexpected EOF" in p.stderr


def test_inspect_has_dockers_keys_and_sizes(engine):
    engine.ok("run", "--name", "shape", "-m", "64m", "busybox", "sh", "-c",
              "head -c 20000 /dev/zero > /f")
    c = engine.inspect("shape")
    for k in ("Id", "Created", "Path", "Args", "State", "Image", "ResolvConfPath", "HostnamePath",
              "HostsPath", "LogPath", "Name", "RestartCount", "Driver", "Platform", "MountLabel",
              "ProcessLabel", "AppArmorProfile", "ExecIDs", "HostConfig", "GraphDriver", "Mounts",
              "Config", "NetworkSettings"):
        assert k in c, k
    assert "SizeRw" not in c  # only with -s, as docker
    hc = c["HostConfig"]
    for k in ("Binds", "LogConfig", "NetworkMode", "PortBindings", "RestartPolicy", "CapAdd",
              "Dns", "IpcMode", "PidMode", "Privileged", "ShmSize", "CpuShares", "Memory",
              "NanoCpus", "BlkioWeight", "CpuPeriod", "CpuQuota", "CpusetCpus", "Devices",
              "MemoryReservation", "MemorySwap", "OomKillDisable", "PidsLimit", "Ulimits"):
        assert k in hc, k
    assert hc["NetworkMode"] == "bridge" and hc["IpcMode"] == "private"
    assert hc["Memory"] == 64 << 20 and hc["MemorySwap"] == 128 << 20  # docker: twice
    assert hc["PidsLimit"] is None and hc["ShmSize"] == 64 << 20
    assert hc["LogConfig"] == {"Type": "json-file", "Config": {}}
    for k in ("Hostname", "Domainname", "User", "AttachStdin", "AttachStdout", "AttachStderr",
              "Tty", "OpenStdin", "StdinOnce", "Env", "Cmd", "Image", "Volumes", "WorkingDir",
              "Entrypoint", "OnBuild", "Labels"):
        assert k in c["Config"], k
    assert c["Platform"] == "linux" and c["NetworkSettings"]["Networks"] == {}
    [s] = json.loads(engine.ok("inspect", "-s", "shape").stdout)
    image_size = engine.inspect("busybox")["Size"]
    assert s["SizeRw"] >= 20000 and s["SizeRootFs"] == s["SizeRw"] + image_size


def test_exec_env_file_cgroupns_oom_kill_disable(engine, tmp_path):
    envf = tmp_path / "env"
    envf.write_text("A=1\n# a comment\nB=from-file\n")
    engine.ok("run", "-d", "--name", "ex", "busybox", "sleep", "100")
    # docker: the file's values first, then -e (which wins)
    out = engine.ok("exec", "--env-file", envf, "-e", "B=flag", "ex", "sh", "-c",
                    "echo $A $B").stdout
    assert out == "1 flag\n"
    p = engine("exec", "--env-file", tmp_path / "nosuch", "ex", "true")
    assert p.returncode == 125 and "nosuch" in p.stderr
    host_ns = os.readlink("/proc/self/ns/cgroup")
    out = engine.ok("run", "--rm", "--cgroupns", "host", "busybox", "readlink",
                    "/proc/self/ns/cgroup").stdout.strip()
    assert out == host_ns
    out = engine.ok("run", "--rm", "--cgroupns", "private", "busybox", "readlink",
                    "/proc/self/ns/cgroup").stdout.strip()
    assert out != host_ns
    p = engine("create", "--cgroupns", "bogus", "busybox", "true")
    assert p.returncode == 125 and 'invalid argument "bogus" for "--cgroupns" flag' in p.stderr
    v2 = os.path.exists("/sys/fs/cgroup/cgroup.controllers")
    p = engine("run", "--rm", "--oom-kill-disable", "-m", "32m", "busybox", "sh", "-c",
               "cat /sys/fs/cgroup/memory/memory.oom_control 2>/dev/null | head -1")
    assert p.returncode == 0
    if v2:
        assert "Your kernel does not support OomKillDisable. OomKillDisable discarded." \
            in p.stderr
    else:
        assert p.stdout == "oom_kill_disable 1\n"
        p = engine("run", "--rm", "--oom-kill-disable", "busybox", "true")
        assert "Disabling the OOM killer on containers without setting a '-m/--memory' " \
               "limit may be dangerous." in p.stderr


def test_top_passes_ps_options(engine):
    engine.ok("run", "-d", "--name", "tp", "busybox", "sh", "-c", "sleep 100 & exec sleep 200")
    wait_for(lambda: len(engine.ok("top", "tp").stdout.splitlines()) == 3, what="two sleeps")
    pid = engine.inspect("tp")["State"]["Pid"]
    lines = engine.ok("top", "tp", "-o", "pid,comm").stdout.splitlines()
    assert lines[0].split() == ["PID", "COMMAND"]
    assert sorted(line.split()[1] for line in lines[1:]) == ["sleep", "sleep"]
    assert str(pid) in [line.split()[0] for line in lines[1:]]
    lines = engine.ok("top", "tp", "-ef").stdout.splitlines()
    assert lines[0].split()[:3] == ["UID", "PID", "PPID"] and len(lines) == 3
    p = engine("top", "tp", "-o", "comm")
    assert p.returncode == 1 and "Couldn't find PID field in ps output" in p.stderr


def test_stop_acts_on_several_containers_at_once(engine):
    import time
    for n in ("s1", "s2", "s3"):
        engine.ok("run", "-d", "--name", n, "busybox", "sh", "-c", "trap '' TERM; sleep 100")
    t0 = time.monotonic()
    p = engine("stop", "-t", "1", "s1", "nosuch", "s2", "s3")
    took = time.monotonic() - t0
    assert p.stdout == "s1\ns2\ns3\n"  # in the order given
    assert p.returncode == 1 and "No such container: nosuch" in p.stderr
    assert took < 2.5, took  # one timeout for the three (one after another: 3 s)
    for n in ("s1", "s2", "s3"):
        assert engine.inspect(n)["State"]["Status"] == "exited"
    assert engine.ok("rm", "s1", "s2", "s3").stdout == "s1\ns2\ns3\n"
    assert engine.ok("ps", "-aq").stdout == ""


@pytest.mark.skipif(not os.path.exists("/dev/loop-control"), reason="no /dev/loop-control")
def test_device_with_cgroup_permissions(engine):
    # /dev/loop-control (10:237) is not among the devices a container may open by default
    p = engine("run", "--rm", "busybox", "sh", "-c",
               "mknod /tmp/lc c 10 237 && : < /tmp/lc && echo opened")
    assert "opened" not in p.stdout and "Operation not permitted" in p.stderr
    out = engine.ok("run", "--rm", "--device", "/dev/loop-control", "busybox", "sh", "-c",
                    ": < /dev/loop-control && echo opened; ls -l /dev/loop-control").stdout
    assert out.startswith("opened\nc") and "10, 237" in out
    # PERMS r: the node opens for reading, not for writing
    p = engine("run", "--rm", "--device", "/dev/loop-control:/dev/lc:r", "busybox", "sh", "-c",
               ": < /dev/lc && echo read-ok; : > /dev/lc && echo write-ok")
    assert "read-ok" in p.stdout and "write-ok" not in p.stdout
    assert "Operation not permitted" in p.stderr
    hc = engine.inspect(engine.ok("create", "--device", "/dev/loop-control:/dev/lc:rw",
                                  "busybox", "true").stdout.strip())["HostConfig"]
    assert hc["Devices"] == [{"PathOnHost": "/dev/loop-control", "PathInContainer": "/dev/lc",
                              "CgroupPermissions": "rw"}]
    engine.ok("rm", "-f", *engine.ok("ps", "-aq").stdout.split())
    p = engine("run", "--rm", "--device", "/dev/nope", "busybox", "true")
    assert p.returncode == 125
    assert 'error gathering device information while adding custom device "/dev/nope"' \
        in p.stderr
    p = engine("run", "--rm", "--device", "/dev/loop-control:/dev/lc:rx", "busybox", "true")
    assert p.returncode == 125 and "invalid device mode: rx" in p.stderr
    assert engine.ok("ps", "-aq").stdout == ""


def test_run_platform(engine):
    arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(os.uname().machine, os.uname().machine)
    other = "arm64" if arch != "arm64" else "amd64"
    assert engine.ok("run", "--rm", "--platform", f"linux/{arch}", "busybox",
                     "echo", "ok").stdout == "ok\n"
    p = engine("run", "--rm", "--platform", f"linux/{other}", "busybox", "true")
    assert p.returncode == 125
    assert (f"image with reference busybox was found but does not match the specified "
            f"platform: wanted linux/{other}, actual: linux/{arch}") in p.stderr
    p = engine("create", "--platform", "bogus", "busybox", "true")
    assert p.returncode == 125 and 'invalid argument "bogus" for "--platform" flag' in p.stderr
    assert engine.ok("ps", "-aq").stdout == ""


def _block_device():
    import stat as st
    for name in sorted(os.listdir("/sys/block")):
        path = f"/dev/{name}"
        if not name.startswith(("loop", "ram")) and os.path.exists(path) and \
                st.S_ISBLK(os.stat(path).st_mode):
            return path, os.stat(path).st_rdev
    return None, None


def test_device_throttles(engine):
    dev, rdev = _block_device()
    if not dev:
        pytest.skip("no block device on this host")
    mm = f"{os.major(rdev)}:{os.minor(rdev)}"
    out = engine.ok("run", "--rm", "--device-read-bps", f"{dev}:1mb", "--device-write-iops",
                    f"{dev}:100", "busybox", "sh", "-c",
                    "cd /sys/fs/cgroup; cat blkio/blkio.throttle.read_bps_device "
                    "blkio/blkio.throttle.write_iops_device 2>/dev/null || cat io.max").stdout
    if "rbps=" in out:  # cgroup v2's io.max
        assert f"{mm} rbps=1048576 wbps=max riops=max wiops=100" in out
    else:
        assert out.split("\n")[:2] == [f"{mm} 1048576", f"{mm} 100"]
    hc = engine.inspect(engine.ok("create", "--device-read-bps", f"{dev}:2kb", "busybox",
                                  "true").stdout.strip())["HostConfig"]
    assert hc["BlkioDeviceReadBps"] == [{"Path": dev, "Rate": 2048}]
    assert hc["BlkioDeviceWriteIOps"] == []
    engine.ok("rm", *engine.ok("ps", "-aq").stdout.split())
    for args, msg in ((["--device-read-bps", f"{dev}:x"], "invalid rate for device"),
                      (["--device-read-iops", "sda"], "bad format: sda"),
                      (["--device-write-bps", "/dev/null:1"], "/dev/null is not a block device"),
                      (["--device-read-bps", "/dev/nope:1"], "stat /dev/nope")):
        p = engine("create", *args, "busybox", "true")
        assert p.returncode == 125 and msg in p.stderr, (args, p.stderr)
    assert engine.ok("ps", "-aq").stdout == ""


def test_attach_sig_proxy(engine):
    import signal
    import subprocess
    engine.ok("run", "-d", "--name", "sp", "busybox", "sh", "-c",
              "trap 'echo got-int' INT; while :; do sleep 0.1; done")

    def blocks_int(pid):  # attach forwards once it has blocked the signals it proxies
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("SigBlk:"):
                return int(line.split()[1], 16) & (1 << (signal.SIGINT - 1))
        return 0
    a = subprocess.Popen(engine.argv("attach", "sp"), stdout=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: blocks_int(a.pid), what="attach proxying signals")
        a.send_signal(signal.SIGINT)
        wait_for(lambda: "got-int" in engine.ok("logs", "sp").stdout, what="the trap")
    finally:
        a.kill()
        a.wait()
    # --sig-proxy=false: the signal is attach's own (it ends), the container gets none
    b = subprocess.Popen(engine.argv("attach", "--sig-proxy=false", "sp"), stdout=subprocess.PIPE,
                         text=True)
    b.send_signal(signal.SIGINT)
    assert b.wait(timeout=10) == -signal.SIGINT
    assert engine.ok("logs", "sp").stdout.count("got-int") == 1
    p = engine("attach", "--sig-proxy", "maybe", "sp")
    assert p.returncode == 125 and 'invalid argument "maybe" for "--sig-proxy" flag' in p.stderr


def test_smaller_things(engine, tmp_path):
    import shutil
    import subprocess
    # global options before `runtime`: the runtime state the engine keeps
    cid = engine.ok("run", "-d", "busybox", "sleep", "100").stdout.strip()
    p = engine.ok("runtime", "list", "-q")
    assert p.stdout.split() == [cid]
    # load -q still says what it loaded, as docker's
    archive = tmp_path / "bb.tar"
    engine.ok("save", "-o", archive, "busybox")
    assert engine.ok("load", "-q", "-i", archive).stdout == "Loaded image: busybox:latest\n"
    # flag errors in docker's words, not a usage dump
    p = engine("import", "--bogus", "x")
    assert p.returncode == 125 and p.stderr.startswith("hako: unknown flag: --bogus\n")
    p = engine("ps", "-n")
    assert p.returncode == 125 and "flag needs an argument: 'n' in -n" in p.stderr
    p = engine("load", "-z")
    assert p.returncode == 125 and "unknown shorthand flag: 'z' in -z" in p.stderr
    p = engine("rmi", "--bogus", "x")
    assert p.returncode == 125 and p.stderr.startswith("hako: unknown flag: --bogus\n")
    p = engine("save", "-o")
    assert p.returncode == 125 and "flag needs an argument: 'o' in -o" in p.stderr
    assert "-f, --force" in engine.ok("rmi", "--help").stdout
    assert "-o, --output FILE" in engine.ok("save", "--help").stdout
    # a user without root is told so
    if shutil.which("setpriv"):
        p = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                            *map(str, engine.argv("ps"))], capture_output=True, text=True)
        assert p.returncode == 1
        assert "hako needs root (or rootless mode, not yet available)" in p.stderr


def test_stats_no_trunc_and_helps(engine):
    cid = engine.ok("run", "-d", "busybox", "sleep", "100").stdout.strip()
    assert engine.ok("stats", "--no-stream", "--no-trunc", "--format",
                     "{{.ID}}").stdout == cid + "\n"
    assert engine.ok("stats", "--no-stream", "--format", "{{.ID}}").stdout == cid[:12] + "\n"
    # --help lists each flag with what it does, as docker's
    for cmd, flags in ((["stop"], ["-t, --time"]), (["kill"], ["-s, --signal"]),
                       (["logs"], ["-f, --follow", "--since", "-n, --tail", "--until"]),
                       (["start"], ["-a, --attach", "-i, --interactive"]),
                       (["stats"], ["--no-stream", "--no-trunc"]),
                       (["exec"], ["--env-file", "-w, --workdir"]),
                       (["inspect"], ["-s, --size"]), (["ps"], ["-n, --last", "-s, --size"]),
                       (["update"], ["--pids-limit"]), (["events"], ["--since"]),
                       (["attach"], ["--detach-keys", "--sig-proxy"])):
        out = engine.ok(*cmd, "--help").stdout
        for fl in flags:
            assert fl in out, (cmd, fl)
    p = engine("stop", "-s", "KILL", cid)  # not a flag hako's stop has: an error, not ignored
    assert p.returncode == 125 and "unknown shorthand flag: 's' in -s" in p.stderr


def test_container_prune_reclaims_upper_layers(engine):
    engine.ok("run", "busybox", "sh", "-c", "head -c 40000 /dev/zero > /f")
    done = engine.ok("ps", "-aq", "--no-trunc").stdout.strip()
    assert engine.ok("ps", "-a", "--format", "{{.Networks}}").stdout == "bridge\n"
    p = engine.ok("container", "prune", "-f")
    assert p.stdout == f"Deleted Containers:\n{done}\n\nTotal reclaimed space: 40kB\n"
