#!/usr/bin/python3
"""Write the seed corpora of tests/fuzz/corpus/<target>/seed-*: small, real inputs; and the
libFuzzer dictionaries tests/fuzz/dict/<target>.dict: the string literals of the parser's source.

Usage: tests/fuzz/seeds.py [BUILD_DIR]   (default: build; its hako-runtime writes the default
config.json and seccomp profile). Reproducers of fixed crashes are committed next to the seeds
as crash-*, and are not touched here.
"""
import gzip
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "build")
RUNTIME = os.path.join(BUILD, "hako-runtime")
D1 = "sha256:" + "a" * 64
D2 = "sha256:" + "0123456789abcdef" * 4
D3 = "sha256:" + "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def put(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    elif not isinstance(data, bytes):
        data = json.dumps(data, indent=2).encode()
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)


def runtime_spec(rootless):
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([RUNTIME, "spec", "--bundle", d] + (["--rootless"] if rootless else []),
                       check=True)
        with open(os.path.join(d, "config.json")) as f:
            return json.load(f)


RESOURCES = {
    "devices": [{"allow": False, "access": "rwm"},
                {"allow": True, "type": "c", "major": 1, "minor": 3, "access": "rw"},
                {"allow": True, "type": "b", "major": 8, "access": "m"}],
    "memory": {"limit": 536870912, "reservation": 268435456, "swap": 1073741824,
               "swappiness": 60, "disableOOMKiller": False, "checkBeforeUpdate": True},
    "cpu": {"shares": 1024, "quota": 50000, "period": 100000, "burst": 1000,
            "realtimeRuntime": 950000, "realtimePeriod": 1000000, "cpus": "0-3,5",
            "mems": "0", "idle": 0},
    "pids": {"limit": 100},
    "blockIO": {"weight": 500, "leafWeight": 300,
                "weightDevice": [{"major": 8, "minor": 0, "weight": 600, "leafWeight": 100}],
                "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1048576}],
                "throttleWriteIOPSDevice": [{"major": 8, "minor": 16, "rate": 300}]},
    "hugepageLimits": [{"pageSize": "2MB", "limit": 209715200},
                       {"pageSize": "1024KB", "limit": 0}],
    "network": {"classID": 1048577, "priorities": [{"name": "eth0", "priority": 500}]},
    "rdma": {"mlx5_1": {"hcaHandles": 3, "hcaObjects": 10000}},
    "unified": {"io.max": "8:0 rbps=1048576", "memory.high": "max"},
}

SECCOMP_SMALL = {
    "defaultAction": "SCMP_ACT_ALLOW",
    "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64"],
    "flags": ["SECCOMP_FILTER_FLAG_LOG"],
    "syscalls": [
        {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
        {"names": ["personality"], "action": "SCMP_ACT_ERRNO",
         "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_NE"},
                  {"index": 0, "value": 0, "op": "SCMP_CMP_NE"}]},
        {"names": ["clone"], "action": "SCMP_ACT_KILL_PROCESS",
         "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]},
        {"names": ["no_such_syscall", "getcwd"], "action": "SCMP_ACT_LOG"},
    ],
}
SECCOMP_NOTIFY = {
    "defaultAction": "SCMP_ACT_ALLOW",
    "listenerPath": "/run/agent.sock", "listenerMetadata": "meta",
    "flags": ["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"],
    "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"},
                 {"names": ["chmod"], "action": "SCMP_ACT_TRACE", "errnoRet": 5}],
}


def spec_full(base):
    s = json.loads(json.dumps(base))
    p = s["process"]
    p["user"].update({"umask": 18, "additionalGids": [5, 10], "username": "root"})
    p["consoleSize"] = {"height": 24, "width": 80}
    p["oomScoreAdj"] = 100
    p["apparmorProfile"] = "docker-default"
    p["selinuxLabel"] = "system_u:system_r:container_t:s0"
    p["rlimits"].append({"type": "RLIMIT_CORE", "hard": 0, "soft": 0})
    p["capabilities"]["ambient"] = ["CAP_KILL"]
    s["hostname"] = "web"
    s["domainname"] = "example.com"
    s["mounts"].append({"destination": "/data", "type": "bind", "source": "/srv/data",
                        "options": ["rbind", "rro", "nosuid", "idmap", "mode=755"],
                        "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
                        "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}]})
    s["hooks"] = {"prestart": [{"path": "/usr/bin/hook", "args": ["hook", "prestart"],
                                "env": ["A=1"], "timeout": 5}],
                  "createRuntime": [{"path": "/bin/true"}],
                  "poststop": [{"path": "/bin/true"}]}
    lx = s["linux"]
    lx["namespaces"] += [{"type": "user"}, {"type": "cgroup"}, {"type": "time"},
                         {"type": "network", "path": "/proc/1/ns/net"}]
    lx["namespaces"] = [n for i, n in enumerate(lx["namespaces"])
                        if n["type"] not in [m["type"] for m in lx["namespaces"][i + 1:]]]
    lx["uidMappings"] = [{"containerID": 0, "hostID": 1000, "size": 1}]
    lx["gidMappings"] = [{"containerID": 0, "hostID": 1000, "size": 1}]
    lx["timeOffsets"] = {"boottime": {"secs": 3600, "nanosecs": 0},
                         "monotonic": {"secs": -10, "nanosecs": 5}}
    lx["devices"] = [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229,
                      "fileMode": 438, "uid": 0, "gid": 0},
                     {"path": "/dev/fifo", "type": "p"}]
    lx["cgroupsPath"] = "/hako/web"
    lx["rootfsPropagation"] = "rslave"
    lx["sysctl"] = {"net.ipv4.ip_forward": "1", "kernel.shm_rmid_forced": "1"}
    lx["mountLabel"] = "system_u:object_r:container_file_t:s0"
    lx["resources"] = RESOURCES
    lx["seccomp"] = SECCOMP_SMALL
    s["annotations"] = {"org.opencontainers.image.title": "web"}
    return s


def spec_seeds():
    base = runtime_spec(False)
    rootless = runtime_spec(True)
    put("spec", "runc-default.json", base)
    put("spec", "rootless.json", rootless)
    put("spec", "full.json", spec_full(base))
    put("spec", "minimal.json", {"ociVersion": "1.0.2", "root": {"path": "rootfs"}})
    put("spec", "bad-uid.json", '{"ociVersion": "1.2.0", "root": {"path": "rootfs"},\n'
        '"process": {"cwd": "/", "args": ["sh"], "user": {"uid": "0", "gid": 0}}}')
    put("json-line", "process-user-uid", "process.user.uid\n" + json.dumps(base, indent=2))
    put("json-line", "mounts-type", "mounts[3].type\n" + json.dumps(base, indent=2))
    put("json-line", "sysctl", "linux.sysctl.net.ipv4.ip_forward\n"
        + json.dumps(spec_full(base), indent=1))
    put("json-line", "escapes", 'a[1].b\n{"x": "q\\"}{", "a": [1, {"b": [true, null]}]}')
    put("json-line", "compact", "linux.seccomp.syscalls[2].args[1].op\n"
        + json.dumps({"linux": {"seccomp": SECCOMP_SMALL}}))
    put("resources", "full.json", RESOURCES)
    put("resources", "update.json", {"memory": {"limit": -1}, "cpu": {"cpus": ""},
                                     "pids": {"limit": 0}})
    put("seccomp", "small.json", SECCOMP_SMALL)
    put("seccomp", "notify.json", SECCOMP_NOTIFY)
    docker = subprocess.run([RUNTIME, "seccomp-default"], check=True,
                            capture_output=True).stdout
    put("seccomp", "docker-default.json", docker)
    opts = set()
    for m in spec_full(base)["mounts"]:
        opts.update(m.get("options", []))
    put("mount-options", "runc-default", "\n".join(sorted(opts)))
    put("mount-options", "tmpfs", "nosuid\nstrictatime\nmode=755\nsize=65536k\ntmpcopyup")
    put("mount-options", "bind", "rbind\nrprivate\nro\nrnoexec\nratime\nsuid\ndev")


def image_seeds():
    for name, ref in [("short", "busybox"), ("tag", "user/app:1.0"),
                      ("registry", "localhost:5000/ns/name:tag"),
                      ("digest", "quay.io/coreos/etcd@" + D1),
                      ("tag-digest", "ghcr.io/a/b:v1@" + D2),
                      ("ipv6", "[::1]:5000/x/y"), ("hub", "index.docker.io/library/alpine"),
                      ("upper", "Docker.io/Library/Busybox"), ("hex", "a" * 64),
                      ("platform", "linux/arm64/v8"), ("bad-tag", "x:-bad")]:
        put("reference", name, ref)
    layer = {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": D2,
             "size": 2811478}
    oci_manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                               "digest": D1, "size": 581},
                    "layers": [layer, dict(layer, mediaType="application/vnd.oci.image.layer.v1.tar+zstd")],
                    "annotations": {"org.opencontainers.image.created": "2024-01-01T00:00:00Z"}}
    docker_manifest = {"schemaVersion": 2,
                       "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                       "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                                  "digest": D1, "size": 1472},
                       "layers": [dict(layer, mediaType="application/vnd.docker.image.rootfs.diff.tar.gzip")]}

    def entry(arch, variant=None, os_="linux"):
        p = {"architecture": arch, "os": os_}
        if variant:
            p["variant"] = variant
        return {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": D2,
                "size": 1234, "platform": p}
    oci_index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                 "manifests": [entry("amd64"), entry("arm64", "v8"), entry("arm", "v7"),
                               entry("unknown", None, "unknown")]}
    docker_list = {"schemaVersion": 2,
                   "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
                   "manifests": [dict(entry("amd64"), mediaType="application/vnd.docker.distribution.manifest.v2+json"),
                                 dict(entry("ppc64le"), mediaType="application/vnd.docker.distribution.manifest.v2+json")]}
    put("manifest", "oci-manifest", "linux/amd64\n" + json.dumps(oci_manifest))
    put("manifest", "docker-manifest", "linux/amd64 application/vnd.docker.distribution.manifest.v2+json\n"
        + json.dumps(docker_manifest))
    put("manifest", "oci-index", "linux/arm64\n" + json.dumps(oci_index))
    put("manifest", "docker-list", "linux/s390x\n" + json.dumps(docker_list))
    no_mt = dict(oci_index)
    del no_mt["mediaType"]
    put("manifest", "index-no-mediatype", "linux/arm/v7 application/vnd.oci.image.index.v1+json; charset=utf-8\n"
        + json.dumps(no_mt))
    put("manifest", "schema1", "\n" + json.dumps({"schemaVersion": 1, "name": "x", "fsLayers": []}))
    put("manifest", "image-config", "\n" + json.dumps(
        {"architecture": "amd64", "os": "linux", "config": {"Env": ["PATH=/bin"], "Cmd": ["sh"]},
         "rootfs": {"type": "layers", "diff_ids": [D3, D1]}}))
    put("auth", "hub", 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
        'scope="repository:library/busybox:pull"\n'
        + json.dumps({"auths": {"https://index.docker.io/v1/": {"auth": "dXNlcjpwYXNz"}}}))
    put("auth", "ghcr", 'Bearer realm="https://ghcr.io/token",service="ghcr.io",'
        'scope="repository:user/image:pull"\n'
        + json.dumps({"auths": {"localhost:5000": {"auth": "YWxpY2U6czNjcjN0"}}}))
    put("auth", "basic", 'Basic realm="Registry Realm"\n'
        + json.dumps({"auths": {"quay.io": {"auth": "bm9jb2xvbg=="}}}))
    put("auth", "quoted", 'Bearer realm="https://r.example/t?a=b", scope="a \\"quoted\\" scope",'
        ' error="invalid_token"\n{"auths": {"localhost:5000": {"auth": "!!"}}}')
    put("auth", "b64", "dXNlcjpwYXNz\n{}")


def tar_bytes(members, fmt=tarfile.PAX_FORMAT):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        for info, data in members:
            t.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def ti(name, type_=tarfile.REGTYPE, data=b"", **kw):
    i = tarfile.TarInfo(name)
    i.type = type_
    i.size = len(data) if type_ == tarfile.REGTYPE else 0
    i.mode = kw.pop("mode", 0o644 if type_ != tarfile.DIRTYPE else 0o755)
    for k, v in kw.items():
        setattr(i, k, v)
    return (i, data if type_ == tarfile.REGTYPE else None)


def layer_seeds():
    basic = tar_bytes([ti("etc", tarfile.DIRTYPE), ti("etc/hostname", data=b"box\n"),
                       ti("bin", tarfile.DIRTYPE),
                       ti("bin/sh", data=b"#!/bin/true\n", mode=0o4755, uid=0, gid=0),
                       ti("bin/ash", tarfile.LNKTYPE, linkname="bin/sh"),
                       ti("bin/busybox", tarfile.SYMTYPE, linkname="sh"),
                       ti("dev", tarfile.DIRTYPE),
                       ti("dev/null", tarfile.CHRTYPE, devmajor=1, devminor=3),
                       ti("dev/fifo", tarfile.FIFOTYPE)])
    put("layer", "basic.tar", basic)
    put("layer", "basic.tar.gz", gzip.compress(basic, mtime=0))
    put("layer", "whiteouts.tar", tar_bytes([
        ti("etc", tarfile.DIRTYPE), ti("etc/.wh.passwd"), ti("var/.wh..wh..opq"),
        ti(".wh..wh.plnk", tarfile.DIRTYPE), ti("./usr/./lib//x", data=b"x")]))
    put("layer", "escapes.tar", tar_bytes([
        ti("../evil", data=b"x"), ti("/abs", data=b"x")]))
    put("layer", "symlink-out.tar", tar_bytes([
        ti("a", tarfile.SYMTYPE, linkname="../../.."), ti("b", tarfile.SYMTYPE, linkname="/etc"),
        ti("b/passwd", data=b"root::0:0::/:/bin/sh\n")]))
    put("layer", "hardlink-out.tar", tar_bytes([ti("h", tarfile.LNKTYPE, linkname="../canary")]))
    put("layer", "replace.tar", tar_bytes([
        ti("x", tarfile.DIRTYPE), ti("x/y", data=b"1"), ti("x", data=b"2"),
        ti("x", tarfile.SYMTYPE, linkname="."), ti("x/z", data=b"3")]))
    put("layer", "gnu-longname.tar", tar_bytes([ti("d/" + "n" * 200, data=b"long")],
                                               fmt=tarfile.GNU_FORMAT))
    put("layer", "pax-xattr.tar", tar_bytes([
        ti("f", data=b"x", pax_headers={"SCHILY.xattr.user.k": "v",
                                         "SCHILY.xattr.trusted.overlay.opaque": "y",
                                         "SCHILY.xattr.security.capability": "\x01"})]))
    put("entry", "plain", "a/b\n../c")
    put("entry", "dot-slash", "./usr/./lib//x/\n/abs")
    put("entry", "dotdot", "a/../../b\nx")
    put("entry", "whiteout", "etc/.wh.passwd\n")
    put("entry", "opaque", "var/lib/.wh..wh..opq\n")
    put("entry", "meta", ".wh..wh.plnk/123\n")
    put("entry", "whiteout-dotdot", "a/.wh...\n")
    put("entry", "symlink-up", "a/b/c\n../../../etc")
    for name, p in [("root", "/"), ("dots", "/a/./b/../../../c"), ("rel", "a//b/"),
                    ("empty", ""), ("proc", "/proc/self/fd/3/../../1/root")]:
        put("path", name, p)


def misc_seeds():
    state = {"ociVersion": "1.2.0", "id": "web", "pid": 4242, "bundle": "/srv/web",
             "rootfs": "/srv/web/rootfs", "created": "2024-01-01T00:00:00.000000000Z",
             "owner": "", "annotations": {"a": "b"},
             "hako": {"pid_start": 123456, "systemd_cgroup": False,
                      "cgroup": {"version": 2, "path": "/sys/fs/cgroup/hako/web"}}}
    put("state", "state.json", json.dumps(state, separators=(",", ":")))
    put("state", "pid-wraps.json", json.dumps(dict(state, pid=4294967297)))
    put("state", "bad-id.json", json.dumps(dict(state, id="../x")))
    for v in ["TERM", "SIGKILL", "9", "sigrtmin+3", "RTMAX-2", "0", "64", "512k", "1.5g",
              "64MiB", "-1", "1e3", "5s", "250ms", "1m30s", "1.5h", "9223372036854775807"]:
        put("cli-values", v.replace("/", "_"), v)


def engine_seeds():
    for name, v in [("bytes", "1.5GiB"), ("bytes-space", "512 kb"), ("cpus", "0.25"),
                    ("ulimit", "nofile=1024:2048"), ("ulimit-unlimited", "memlock=-1"),
                    ("volume", "/srv/data:/data:ro,Z"), ("tmpfs", "/run:size=64m,mode=1777"),
                    ("signal", "SIGTERM"), ("signal-number", "9"), ("idmap", "0:100000:65536"),
                    ("since-duration", "1h30m15s"), ("since-unix", "1700000000.5"),
                    ("since-rfc3339", "2023-11-14T22:13:20.5+02:00"), ("since-date", "2023-11-14"),
                    ("publish", "127.0.0.1:8080:80/udp"), ("publish-range", "8000-8010:80-90"),
                    ("publish-random", "127.0.0.1::53/udp")]:
        put("engine-options", name, v)
    inspect = {"Id": "0123abcd", "Name": "/web", "Args": ["-g", "daemon off;"],
               "State": {"Status": "running", "Running": True, "Pid": 4242, "ExitCode": 0},
               "Config": {"Labels": {"k": "v", "a.b": "c"}, "Env": None, "Cpus": 1.5}}
    doc = json.dumps(inspect)
    for name, t in [("field", "{{.State.Pid}}"), ("text", "pid={{.State.Pid}} name={{.Name}}"),
                    ("json", "{{json .Config}}"), ("dot", "{{.}}|{{json .}}"),
                    ("funcs", "{{upper .Name}} {{lower .State.Status}} {{len .Args}}"),
                    ("index", '{{index .Config.Labels "a.b"}} {{index .Args 1}}'),
                    ("trim", "a  {{- .Id -}}  b"), ("missing", "{{.No.Such}}"),
                    ("unclosed", "{{.Name"), ("bad-action", "{{range .Args}}")]:
        put("template", name, t + "\n" + doc)


DICT_SOURCES = {
    "spec": ["src/oci/spec.c", "src/oci/process.c", "src/oci/resources.c",
             "src/runtime/mount-options.c"],
    "json-line": ["src/oci/spec.c", "src/oci/process.c"],
    "resources": ["src/oci/resources.c"],
    "seccomp": ["src/runtime/seccomp.c"],
    "mount-options": ["src/runtime/mount-options.c"],
    "manifest": ["src/image/manifest.c", "src/image/manifest.h"],
    "reference": ["src/image/reference.c", "src/image/reference.h"],
    "auth": ["src/image/auth.c"],
    "state": ["src/runtime/state.c"],
    "cli-values": ["src/cli/runtime-values.c", "src/cli/runtime-values.h"],
    "entry": ["src/image/entry.c"],
    "engine-options": ["src/engine/options.c", "src/engine/net/ports.c"],
    "template": ["src/engine/template.c", "src/engine/template.h"],
    "dockerfile": ["src/build/dockerfile.c", "src/build/shell-words.c", "src/build/config.c"],
}
JSON_TOKENS = ['{', '}', '[', ']', ':', ',', '"', 'true', 'false', 'null', '-1', '0',
               '4294967295', '9223372036854775807', '\\u0000', '1e309']


def dns_seeds():
    """Queries a container's resolver sends its network's responder, and broken ones."""
    import struct

    def q(name, qtype=1, flags=0x0100, qd=1):
        body = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".") if l)
        return struct.pack(">HHHHHH", 0x1234, flags, qd, 0, 0, 0) + body + b"\0" + \
            struct.pack(">HH", qtype, 1)
    head = struct.pack(">HHHHHH", 7, 0x0100, 1, 0, 0, 0)
    put("dns", "a", q("db"))
    put("dns", "aaaa", q("Postgres.Internal", 28))
    put("dns", "outside", q("www.example.com"))
    put("dns", "root", q(""))
    put("dns", "edns", q("db") + b"\0\0\x29\x04\xd0\0\0\0\0\0\0")
    put("dns", "response", q("db", flags=0x8180))
    put("dns", "two-questions", q("db", qd=2))
    put("dns", "pointer-loop", head + b"\xc0\x0c\0\1\0\1")
    put("dns", "pointer-forward", head + b"\x01a\xc0\x0e\0\1\0\1")
    put("dns", "pointer-back", head + b"\x02db\0\0\1\0\1" + b"\x01x\xc0\x0c")
    put("dns", "long-label", head + b"\x40" + b"a" * 64 + b"\0\0\1\0\1")
    put("dns", "long-name", head + (b"\x3f" + b"a" * 63) * 5 + b"\0\0\1\0\1")
    put("dns", "dot-in-label", head + b"\x03a.b\0\0\1\0\1")
    put("dns", "cut", head + b"\x04peer")


def dicts():
    import re
    root = os.path.join(HERE, "..", "..")
    os.makedirs(os.path.join(HERE, "dict"), exist_ok=True)
    for target, files in DICT_SOURCES.items():
        words = set()
        for f in files:
            with open(os.path.join(root, f)) as fh:
                for m in re.finditer(r'"((?:[^"\\\n]|\\.)*)"', fh.read()):
                    w = m.group(1)
                    if 1 < len(w) <= 64 and "%" not in w and " " not in w:
                        words.add(w)
        if target not in ("mount-options", "reference", "cli-values", "entry", "engine-options"):
            words.update(JSON_TOKENS)
        with open(os.path.join(HERE, "dict", target + ".dict"), "w") as out:
            out.write("# Generated by tests/fuzz/seeds.py from %s\n" % ", ".join(files))
            for w in sorted(words):
                out.write('"%s"\n' % w.replace("\\", "\\\\").replace('"', '\\"'))


if __name__ == "__main__":
    dicts()
    spec_seeds()
    image_seeds()
    layer_seeds()
    misc_seeds()
    engine_seeds()
    dns_seeds()
