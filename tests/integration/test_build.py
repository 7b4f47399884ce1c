"""hako build: each instruction, multi-stage, the cache, .dockerignore, build args, stdin
contexts, reproducible digests, and errors that name the Dockerfile line."""
import hashlib
import io
import json
import os
import tarfile
import time

import pytest

from conftest import run
from test_podman import podman  # noqa: F401  (the fixture)


def write(ctx, files):
    for name, data in files.items():
        p = ctx / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(data)
    return ctx


def build(e, ctx, *args, **kw):
    return e("build", *args, str(ctx), **kw)


def cfg(e, ref):
    return json.loads(e.ok("image", "inspect", ref).stdout)[0]["Config"]


def no_build_leftovers(e):
    assert e.ok("ps", "-aq").stdout == ""
    tmp = e.root / "tmp"
    assert not tmp.exists() or os.listdir(tmp) == []


def test_instructions_and_config(engine, tmp_path):
    e = engine
    ctx = write(tmp_path / "ctx", {
        "Dockerfile": """# syntax=docker/dockerfile:1
FROM busybox
ARG WHO=world
ENV GREETING="hello ${WHO}" \\
    EMPTY=
WORKDIR /app
WORKDIR sub
COPY --chmod=0640 --chown=7:8 files/ ./
COPY files/*.txt /globbed/
RUN echo "$GREETING from $(pwd)" > out; \\
    echo built
RUN <<EOF
echo heredoc > /app/sub/here
EOF
SHELL ["/bin/sh", "-xc"]
RUN echo via-shell > /shell
USER 1000:1000
EXPOSE 80 53/udp
LABEL org.example=yes other="two words"
VOLUME ["/data"]
STOPSIGNAL SIGINT
HEALTHCHECK --interval=5s --retries=2 CMD ["true"]
ONBUILD RUN echo child
ENTRYPOINT ["cat"]
CMD ["out"]
""",
        "files/a.txt": "A\n", "files/b.txt": "B\n", "files/c.bin": "C\n"})
    p = build(e, ctx, "-t", "inst:1", "--build-arg", "WHO=hako")
    assert p.returncode == 0, p.stderr
    out = p.stdout
    assert "Step 1/20 : FROM busybox" in out and 'Step 20/20 : CMD ["out"]' in out
    assert "built\n" in out and " ---> Running in " in out
    assert "Successfully built " in out and "Successfully tagged inst:1" in out
    assert e.ok("run", "--rm", "inst:1").stdout == "hello hako from /app/sub\n"
    got = e.ok("run", "--rm", "-u", "0", "--entrypoint", "sh", "inst:1", "-c",
               "stat -c '%a %u:%g %n' a.txt; ls /globbed; cat here /shell").stdout
    assert got == "640 7:8 a.txt\na.txt\nb.txt\nheredoc\nvia-shell\n"
    c = cfg(e, "inst:1")
    assert c["User"] == "1000:1000" and c["WorkingDir"] == "/app/sub"
    assert "GREETING=hello hako" in c["Env"] and "EMPTY=" in c["Env"]
    assert not any(x.startswith("WHO=") for x in c["Env"])  # ARGs are not kept
    assert set(c["ExposedPorts"]) == {"80/tcp", "53/udp"} and set(c["Volumes"]) == {"/data"}
    assert c["Labels"] == {"org.example": "yes", "other": "two words"}
    assert c["StopSignal"] == "SIGINT" and c["OnBuild"] == ["RUN echo child"]
    assert c["Healthcheck"] == {"Test": ["CMD", "true"], "Interval": 5000000000, "Retries": 2}
    assert c["Entrypoint"] == ["cat"] and c["Cmd"] == ["out"]
    assert c["Shell"] == ["/bin/sh", "-xc"]
    hist = e.ok("history", "--no-trunc", "--format", "{{.CreatedBy}}", "inst:1").stdout
    assert "/bin/sh -c #(nop)  ENV GREETING=" in hist and "/bin/sh -xc echo via-shell" in hist
    no_build_leftovers(e)


def test_multistage_target_and_skipped_stages(engine, tmp_path):
    e = engine
    ctx = write(tmp_path / "ctx", {"Dockerfile": """ARG BASE=busybox
FROM ${BASE} AS builder
RUN echo compiled > /artifact
FROM busybox AS unused
RUN exit 3
FROM busybox AS final
COPY --from=builder /artifact /artifact
CMD ["cat", "/artifact"]
FROM final AS test
RUN echo testing
"""})
    p = build(e, ctx, "-t", "ms", "--target", "final")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "RUN exit 3" not in p.stdout and "testing" not in p.stdout
    assert e.ok("run", "--rm", "ms").stdout == "compiled\n"
    assert len(json.loads(e.ok("image", "inspect", "ms").stdout)[0]["RootFS"]["Layers"]) == 2
    p = build(e, ctx, "--target", "nosuch")
    assert p.returncode == 1 and 'target stage "nosuch" could not be found' in p.stderr


def test_cache_reuse_and_invalidation(engine, tmp_path):
    e = engine
    ctx = write(tmp_path / "ctx", {"Dockerfile": """FROM busybox
RUN echo one > /one
COPY a.txt /a.txt
RUN cat /a.txt > /copy
ENV X=1
""", "a.txt": "v1\n"})
    first = build(e, ctx, "-t", "c:1")
    assert first.returncode == 0 and "Using cache" not in first.stdout
    t0 = time.monotonic()
    again = build(e, ctx, "-t", "c:1")
    elapsed = time.monotonic() - t0
    assert again.returncode == 0 and again.stdout.count(" ---> Using cache") == 4
    assert " ---> Running in" not in again.stdout
    assert again.stdout.splitlines()[-2] == first.stdout.splitlines()[-2]  # same ID
    print(f"fully cached rebuild: {elapsed:.3f} s")
    (ctx / "a.txt").write_text("v2\n")
    changed = build(e, ctx, "-t", "c:2")
    steps = changed.stdout.split("Step ")
    assert "Using cache" in steps[2]                      # RUN echo one
    assert "Using cache" not in steps[3] and "Using cache" not in steps[4]
    assert e.ok("run", "--rm", "c:2", "cat", "/copy").stdout == "v2\n"
    assert "Using cache" not in build(e, ctx, "--no-cache").stdout
    # the steps' images are intermediate: listed only with -a, as docker lists them
    listed = e.ok("images").stdout
    assert "<none>" not in listed and "c " in listed
    assert e.ok("images", "-a").stdout.count("<none>") >= 4


def test_dockerignore(engine, tmp_path):
    e = engine
    ctx = write(tmp_path / "ctx", {
        "Dockerfile": "FROM busybox\nCOPY . /ctx/\n",
        ".dockerignore": "# comment\n*.log\n**/secret*\nbuild\n!build/keep\n/tmp\n",
        "a.txt": "a", "x.log": "log", "deep/dir/secret.key": "s", "deep/dir/ok": "o",
        "build/drop": "d", "build/keep": "k", "tmp/t": "t"})
    assert build(e, ctx, "-t", "ign").returncode == 0
    got = e.ok("run", "--rm", "ign", "find", "/ctx", "-type", "f").stdout.split()
    assert sorted(got) == ["/ctx/.dockerignore", "/ctx/Dockerfile", "/ctx/a.txt",
                           "/ctx/build/keep", "/ctx/deep/dir/ok"]
    write(ctx, {"Dockerfile": "FROM busybox\nCOPY x.log /\n"})
    p = build(e, ctx)
    assert p.returncode == 1 and "Dockerfile:2: COPY: no source files were specified" in p.stderr


def test_reproducible_digest(engine, tmp_path, monkeypatch):
    e = engine
    ctx = write(tmp_path / "ctx", {"Dockerfile": """FROM busybox
RUN mkdir /d && echo data > /d/f && rm /bin/ls
COPY f /f
CMD ["cat", "/f"]
""", "f": "x\n"})
    ids = []
    for _ in range(2):
        p = build(e, ctx, "-q", "--no-cache")
        assert p.returncode == 0, p.stderr
        ids.append(p.stdout.strip())
    assert ids[0] == ids[1] and ids[0].startswith("sha256:")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    p = build(e, ctx, "-q", "--no-cache", "--iidfile", tmp_path / "iid")
    assert p.stdout.strip() != ids[0]
    assert (tmp_path / "iid").read_text() == p.stdout.strip()
    hist = e.ok("history", "--format", "{{.CreatedAt}}", p.stdout.strip()).stdout.split()
    assert hist[0] == "2023-11-14T22:13:20Z"


def test_stdin_dockerfile_and_tar_context(engine, tmp_path):
    e = engine
    p = e("build", "-t", "fromstdin", "-", input="FROM busybox\nRUN echo piped\nCMD [\"true\"]\n")
    assert p.returncode == 0 and "piped" in p.stdout
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for name, data in {"Dockerfile": b"FROM busybox\nCOPY hello /hello\n",
                           "hello": b"from tar\n"}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    (tmp_path / "ctx.tar").write_bytes(buf.getvalue())
    with open(tmp_path / "ctx.tar", "rb") as f:
        p = run(e.argv("build", "-t", "tarctx", "-"), stdin=f)
    assert p.returncode == 0, p.stderr
    assert e.ok("run", "--rm", "tarctx", "cat", "/hello").stdout == "from tar\n"
    no_build_leftovers(e)


def test_errors_name_the_line(engine, tmp_path):
    e = engine
    cases = [
        ("FROM busybox\nRUN echo before; false\n",
         "The command '/bin/sh -c echo before; false' returned a non-zero code: 1"),
        ("FROM busybox\n\n# c\nCOPY missing /x\n", "Dockerfile:4: COPY: "),
        ("FROM busybox\nCOPPY a b\n", "Dockerfile:2: unknown instruction: COPPY"),
        ("FROM busybox\nCOPY a\n", "Dockerfile:2: COPY: COPY requires at least two arguments"),
        ("FROM busybox\nRUN --bogus true\n", "Dockerfile:2: RUN: unknown flag: --bogus"),
        ("FROM 127.0.0.1:1/nosuch:1\n", "Dockerfile:1: FROM: pull 127.0.0.1:1/nosuch:1"),
        ("FROM busybox\nENV A=${B:?must-be-set}\n", "Dockerfile:2: ENV: B: must-be-set"),
        ("", "cannot be empty"),
    ]
    for i, (df, msg) in enumerate(cases):
        ctx = write(tmp_path / f"c{i}", {"Dockerfile": df})
        p = build(e, ctx, "-t", f"bad{i}")
        assert p.returncode == 1, (df, p.stdout, p.stderr)
        assert msg in p.stderr, (df, p.stderr)
        assert f"bad{i}" not in e.ok("images").stdout
    p = e("build", "--platform", "linux/s390x", str(tmp_path / "c0"))
    assert p.returncode == 125 and "only this host's platform" in p.stderr
    p = e("build", str(tmp_path / "nonexistent"))
    assert p.returncode == 1 and "not found" in p.stderr
    no_build_leftovers(e)


def test_run_network(engine, tmp_path):
    e = engine
    ctx = write(tmp_path / "ctx", {"Dockerfile": "FROM busybox\n"
                                   "RUN --network=none ip -o link | grep -v ': lo:' | wc -l\n"})
    p = build(e, ctx)
    assert p.returncode == 0 and "\n0\n" in p.stdout, p.stdout
    ctx = write(tmp_path / "ctx3", {"Dockerfile": "FROM busybox\nRUN --network=bogus true\n"})
    p = build(e, ctx)
    assert p.returncode == 1 and "Dockerfile:2: RUN: --network=bogus" in p.stderr


def all_layer_bytes(e):
    data = b""
    for blob in (e.root / "blobs/sha256").iterdir():
        data += blob.read_bytes()
    for dirpath, _, files in os.walk(e.root / "layers"):
        for f in files:
            p = os.path.join(dirpath, f)
            if os.path.isfile(p) and not os.path.islink(p):
                data += open(p, "rb").read()
    return data


def test_run_mounts_secret_cache_bind_tmpfs(engine, tmp_path):
    e = engine
    secret = tmp_path / "token"
    secret.write_text("S3CR3T-VALUE-4242")
    ctx = write(tmp_path / "ctx", {"Dockerfile": """FROM busybox
RUN --mount=type=secret,id=tok sed s/-VALUE-/-seen-/ /run/secrets/tok && echo && \\
    cp /run/secrets/tok /dev/null
RUN --mount=type=secret,id=tok,target=/tok2 wc -c /tok2
RUN --mount=type=cache,target=/cache echo -n x >> /cache/count && wc -c < /cache/count
RUN --mount=type=bind,source=data,target=/src cat /src/in > /copied
RUN --mount=type=tmpfs,target=/scratch touch /scratch/f && mount | grep -c ' /scratch '
""", "data/in": "bound\n"})
    p = build(e, ctx, "-t", "mnt", "--secret", f"id=tok,src={secret}")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "S3CR3T-seen-4242" in p.stdout and "17 /tok2" in p.stdout
    assert e.ok("run", "--rm", "mnt", "cat", "/copied").stdout == "bound\n"
    got = e.ok("run", "--rm", "mnt", "sh", "-c",
               "ls /run/secrets /tok2 /scratch /cache 2>&1; true").stdout
    assert "No such file" in got and "S3CR3T" not in got
    assert b"S3CR3T-VALUE-4242" not in all_layer_bytes(e)
    # the cache directory persists between builds (a --no-cache build still uses it)
    p = build(e, ctx, "--no-cache", "--secret", f"id=tok,src={secret}")
    assert p.returncode == 0 and "\n2\n" in p.stdout, p.stdout
    p = build(e, ctx, "--no-cache")
    assert p.returncode == 1 and "secret tok: not provided" in p.stderr
    no_build_leftovers(e)


def test_built_image_loads_and_runs_in_podman(engine, tmp_path, podman):
    from test_podman import prun
    e = engine
    ctx = write(tmp_path / "ctx", {"Dockerfile": """FROM busybox
ENV WHERE=podman
WORKDIR /srv
COPY msg /srv/msg
RUN echo "built by hako" >> /srv/msg && rm /bin/ls
CMD ["sh", "-c", "cat /srv/msg; echo in $WHERE at $(pwd); ls /bin/ls 2>&1 | head -1"]
""", "msg": "hello\n"})
    assert build(e, ctx, "-t", "docker.io/library/hakobuilt:1").returncode == 0
    archive = tmp_path / "img.tar"
    with open(archive, "wb") as f:
        assert run(e.argv("save", "hakobuilt:1"), stdout=f).returncode == 0
    p = run(podman + ["load", "-i", archive], timeout=120)
    assert p.returncode == 0, p.stderr
    p = prun(podman, "--rm", "docker.io/library/hakobuilt:1")
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[:3] == ["hello", "built by hako", "in podman at /srv"]
    assert "No such file" in p.stdout


def test_copy_never_leaves_the_context(engine, tmp_path):
    e = engine
    outside = tmp_path / "outside-secret"
    outside.write_text("HOST-ONLY\n")
    ctx = write(tmp_path / "ctx", {"Dockerfile": "FROM busybox\nCOPY link dir/ /in/\n",
                                   "dir/f": "inside\n"})
    (ctx / "link").symlink_to(outside)
    (ctx / "dir/up").symlink_to("../../outside-secret")
    assert build(e, ctx, "-t", "safe").returncode == 0
    got = e.ok("run", "--rm", "safe", "sh", "-c",
               "readlink /in/link; readlink /in/up; cat /in/f; cat /in/link 2>&1; true").stdout
    assert got.splitlines()[:3] == [str(outside), "../../outside-secret", "inside"]
    assert "HOST-ONLY" not in got  # copied as a link, never the host file's contents
    # ".." cannot climb out of the context either: it resolves inside it
    write(ctx, {"Dockerfile": "FROM busybox\nCOPY ../outside-secret /x\n"})
    p = build(e, ctx)
    assert p.returncode == 1 and "Dockerfile:2: COPY:" in p.stderr
    write(ctx, {"Dockerfile": "FROM busybox\nCOPY dir/up/../../outside-secret /x\n"})
    p = build(e, ctx)
    assert p.returncode == 1 and "HOST-ONLY" not in p.stdout
    assert outside.read_text() == "HOST-ONLY\n"


def make_tar(path, files, mode="w"):
    """A tar of {name: (data, uid, gid, mode)} at path, compressed as mode says."""
    with tarfile.open(path, mode) as t:
        for name, (data, uid, gid, perm) in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.uid, info.gid, info.mode = len(data), uid, gid, perm
            t.addfile(info, io.BytesIO(data))
    return path


def test_add_local_archives_are_extracted(engine, tmp_path):
    e = engine
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    files = {"top/f": (b"F\n", 1234, 5678, 0o640)}
    for suffix, mode in [("tar", "w"), ("tar.gz", "w:gz"), ("tar.bz2", "w:bz2"),
                         ("tar.xz", "w:xz")]:
        make_tar(ctx / f"a.{suffix}", {f"{suffix}/f": (suffix.encode() + b"\n", 1234, 5678,
                                                        0o640)}, mode)
    make_tar(ctx / "z.tar", files)
    run(["zstd", "-q", "--rm", str(ctx / "z.tar"), "-o", str(ctx / "a.tar.zst")], check=True)
    (ctx / "sub").mkdir()
    make_tar(ctx / "sub" / "inner.tar", files)  # inside a copied directory: not extracted
    (ctx / "notes.txt").write_text("plain\n")
    write(ctx, {"Dockerfile": """FROM busybox
ADD a.tar a.tar.gz a.tar.bz2 /x/
ADD a.tar.xz /x
ADD a.tar.zst /zst
ADD sub /sub/
ADD notes.txt /n.txt
"""})
    p = build(e, ctx, "-t", "add:1")
    assert p.returncode == 0, p.stdout + p.stderr
    got = e.ok("run", "--rm", "add:1", "sh", "-c",
               "cat /x/tar/f /x/tar.bz2/f /x/tar.gz/f /x/tar.xz/f; stat -c '%u:%g %a' /x/tar.gz/f; find /zst -type f; cat /zst/top/f;"
               " ls /sub; cat /n.txt").stdout
    assert got == ("tar\ntar.bz2\ntar.gz\ntar.xz\n1234:5678 640\n/zst/top/f\nF\n"
                   "inner.tar\nplain\n")
    assert "Using cache" in build(e, ctx).stdout.split("Step 2/6")[1].split("Step 3/6")[0]
    # a different archive with the same name: not the cached layer
    make_tar(ctx / "a.tar", {"tar/f": (b"changed\n", 0, 0, 0o644)})
    assert build(e, ctx, "-t", "add:2").returncode == 0
    assert e.ok("run", "--rm", "add:2", "cat", "/x/tar/f").stdout == "changed\n"
    # an archive entry that climbs out of the destination is refused, nothing written
    make_tar(ctx / "evil.tar", {"../../../../escaped": (b"x", 0, 0, 0o644)})
    write(ctx, {"Dockerfile": "FROM busybox\nADD evil.tar /deep/dir/\n"})
    p = build(e, ctx, "-t", "evil")
    assert not (tmp_path / "escaped").exists() and not os.path.exists("/escaped")
    assert p.returncode == 1
    assert "Dockerfile:2: ADD: evil.tar: entry '../../../../escaped': '..' in path" in p.stderr
    no_build_leftovers(e)


@pytest.fixture
def http_files(tmp_path):
    """An HTTP server on 127.0.0.1 (a free port) serving {path: bytes}: yields (base URL,
    the dict, the list of paths requested)."""
    import http.server
    import threading
    files, hits = {}, []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            data = files.get(self.path.split("?")[0])
            self.send_response(200 if data is not None else 404)
            self.send_header("Content-Length", str(len(data or b"")))
            self.end_headers()
            self.wfile.write(data or b"")

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}", files, hits
    srv.shutdown()
    srv.server_close()


def test_add_url_with_checksum(engine, tmp_path, http_files):
    e = engine
    base, files, hits = http_files
    files["/dl/tool.sh"] = b"#!/bin/sh\necho tool\n"
    files["/dl/data.tar.gz"] = make_tar(tmp_path / "d.tgz", {"in/x": (b"X", 0, 0, 0o644)},
                                        "w:gz").read_bytes()
    good = "sha256:" + hashlib.sha256(files["/dl/tool.sh"]).hexdigest()
    ctx = write(tmp_path / "ctx", {"Dockerfile": f"""FROM busybox
ADD --checksum={good} {base}/dl/tool.sh /usr/local/bin/
ADD {base}/dl/data.tar.gz?x=1 /archive/
ADD --chmod=755 {base}/dl/tool.sh /bin/renamed
"""})
    p = build(e, ctx, "-t", "url:1")
    assert p.returncode == 0, p.stdout + p.stderr
    got = e.ok("run", "--rm", "url:1", "sh", "-c",
               "stat -c '%a %u %n' /usr/local/bin/tool.sh /archive/data.tar.gz; renamed").stdout
    # docker's modes: 0600 for a download, not extracted; --chmod applies
    assert got == "600 0 /usr/local/bin/tool.sh\n600 0 /archive/data.tar.gz\ntool\n"
    assert hits.count("/dl/tool.sh") == 2
    # fetched again on a rebuild; the same content is the cached step
    again = build(e, ctx)
    assert again.stdout.count("Using cache") == 3 and hits.count("/dl/tool.sh") == 4
    bad = "sha256:" + "0" * 64
    for i, (line, msg) in enumerate([
            (f"ADD --checksum={bad} {base}/dl/tool.sh /t",
             f"Dockerfile:2: ADD: fetch {base}/dl/tool.sh: checksum mismatch: expected {bad}, "
             f"got {good}"),
            (f"ADD {base}/dl/missing /t", f"Dockerfile:2: ADD: fetch {base}/dl/missing: HTTP 404"),
            (f"ADD --checksum=md5:abc {base}/dl/tool.sh /t", "Dockerfile:2: ADD: --checksum=md5:abc"),
            (f"ADD --checksum={good} notes.txt /t",
             "Dockerfile:2: ADD: --checksum needs exactly one source, a URL"),
            (f"COPY {base}/dl/tool.sh /t",
             f"Dockerfile:2: COPY: source can't be a URL for COPY (ADD fetches URLs): {base}"),
            (f"ADD {base}/ /t/", "Dockerfile:2: ADD: cannot determine a file name from the URL"),
            ("ADD --exclude=*.txt notes.txt /t", "Dockerfile:2: ADD: --exclude is not supported"),
            ("ADD http://127.0.0.1:1/x /t", "Dockerfile:2: ADD: fetch http://127.0.0.1:1/x: ")]):
        c = write(tmp_path / f"bad{i}", {"Dockerfile": f"FROM busybox\n{line}\n",
                                         "notes.txt": "n"})
        p = build(e, c, "-t", f"bad{i}")
        assert p.returncode == 1 and msg in p.stderr, (line, p.stderr)
        assert f"bad{i}" not in e.ok("images").stdout
    no_build_leftovers(e)


def test_copy_heredocs(engine, tmp_path):
    e = engine
    ctx = write(tmp_path / "ctx", {"Dockerfile": """FROM busybox
ARG WHO=hako
ENV HOME_DIR=/home/app
WORKDIR /etc/app
COPY <<EOF config.json
{"who": "${WHO}", 'home': "$HOME_DIR", "cost": "\\$5"}
EOF
COPY --chmod=755 <<'RAW' /usr/bin/hello
#!/bin/sh
echo "hello $WHO"
RAW
COPY --chown=7:8 <<ONE <<TWO /both/
one
ONE
two
TWO
"""})
    p = build(e, ctx, "-t", "here:1")
    assert p.returncode == 0, p.stdout + p.stderr
    got = e.ok("run", "--rm", "-e", "WHO=runtime", "here:1", "sh", "-c",
               "cat /etc/app/config.json; hello; cat /both/ONE /both/TWO;"
               " stat -c '%a %u:%g %n' /etc/app/config.json /usr/bin/hello /both/ONE").stdout
    assert got == ('{"who": "hako", \'home\': "/home/app", "cost": "$5"}\n'
                   "hello runtime\none\ntwo\n"
                   "664 0:0 /etc/app/config.json\n755 0:0 /usr/bin/hello\n664 7:8 /both/ONE\n")
    # the body is the cache key: the same body is cached, another one is not
    assert build(e, ctx).stdout.count("Using cache") == 5  # all but FROM and ARG
    write(ctx, {"Dockerfile": (ctx / "Dockerfile").read_text().replace("one\nONE", "1\nONE")})
    p = build(e, ctx, "-t", "here:2")
    assert p.stdout.split("Step 7/7")[1].count("Using cache") == 0
    assert e.ok("run", "--rm", "here:2", "cat", "/both/ONE").stdout == "1\n"
    c = write(tmp_path / "bad", {"Dockerfile": "FROM busybox\nCOPY <<EOF\nx\nEOF\n"})
    p = build(e, c)
    assert p.returncode == 1 and "Dockerfile:2: COPY" in p.stderr, p.stderr
    no_build_leftovers(e)


@pytest.fixture
def registry(tmp_path):
    from imagelib import Registry
    reg = Registry(tmp_path / "reg").start()
    yield reg
    reg.stop()


def test_copy_from_image_and_pull(engine, tmp_path, registry):
    e = engine
    ref = f"{registry.host}/t/app:1"
    v1 = write(tmp_path / "v1", {"Dockerfile": "FROM busybox\nRUN echo v1 > /version\n"})
    id1 = build(e, v1, "-q", "-t", ref).stdout.strip()
    e.ok("push", ref, timeout=120)
    e.ok("rmi", ref)  # only the registry has it now
    ctx = write(tmp_path / "ctx", {"Dockerfile": f"""FROM busybox AS s
RUN echo stage > /s
FROM busybox
COPY --from={ref} /version /from-image
COPY --from=s /s /s
COPY --from=busybox /bin/busybox /opt/bin/busybox
"""})
    p = build(e, ctx, "-t", "cf:1", timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    assert f"Pulling {ref}\n" in p.stdout
    assert e.ok("run", "--rm", "cf:1", "sh", "-c", "cat /from-image /s; /opt/bin/busybox echo bb"
                ).stdout == "v1\nstage\nbb\n"
    assert ref.split(":1")[0] in e.ok("images").stdout  # pulled into the store
    # the registry gets v2 under the same name; the store keeps v1 under it
    v2 = write(tmp_path / "v2", {"Dockerfile": "FROM busybox\nRUN echo v2 > /version\n"})
    assert build(e, v2, "-q", "-t", ref).returncode == 0
    e.ok("push", ref, timeout=120)
    e.ok("tag", id1, ref)
    child = write(tmp_path / "child", {"Dockerfile": f"FROM {ref}\nRUN cat /version > /seen\n"})
    p = build(e, child, "-t", "child:1")
    assert p.returncode == 0 and "Pulling" not in p.stdout
    assert e.ok("run", "--rm", "child:1", "cat", "/seen").stdout == "v1\n"
    p = build(e, child, "--pull", "-t", "child:2", timeout=120)
    assert p.returncode == 0 and f"Pulling {ref}\n" in p.stdout, p.stdout + p.stderr
    assert e.ok("run", "--rm", "child:2", "cat", "/seen").stdout == "v2\n"
    assert e.ok("run", "--rm", ref, "cat", "/version").stdout == "v2\n"
    # a name no registry serves fails naming the line
    bad = write(tmp_path / "bad", {"Dockerfile": "FROM busybox\n"
                                   "COPY --from=127.0.0.1:1/none:1 /x /x\n"})
    p = build(e, bad, "-t", "bad")
    assert p.returncode == 1, p.stdout
    assert "Dockerfile:2: COPY: --from=127.0.0.1:1/none:1: pull 127.0.0.1:1/none:1" in p.stderr
    no_build_leftovers(e)


def test_chown_by_name(engine, tmp_path):
    e = engine
    host = tmp_path / "host"
    host.mkdir()
    (host / "passwd").write_text("evil:x:4242:4242::/:/bin/sh\n")
    ctx = write(tmp_path / "ctx", {"f": "F\n", "Dockerfile": """FROM busybox
ARG U=app
RUN echo 'app:x:1500:1600::/home/app:/bin/sh' >> /etc/passwd && \\
    echo 'devs:x:2000:' >> /etc/group
COPY --chown=app f /a
COPY --chown=app:devs f /b
COPY --chown=1234:devs f /c
ADD --chown=${U}:2 f /d
COPY --chown=app:devs <<EOF /e
heredoc
EOF
"""})
    p = build(e, ctx, "-t", "owners")
    assert p.returncode == 0, p.stdout + p.stderr
    got = e.ok("run", "--rm", "owners", "stat", "-c", "%u:%g %n", "/a", "/b", "/c", "/d", "/e")
    # a user without a group: the user's ID is the group ID too, as docker documents
    assert got.stdout == "1500:1500 /a\n1500:2000 /b\n1234:2000 /c\n1500:2 /d\n1500:2000 /e\n"
    cases = [
        # an image's /etc/passwd symlinked to a host path is read inside the image
        ("FROM busybox\nRUN rm /etc/passwd && "
         f"ln -s /../../../../../..{host}/passwd /etc/passwd\nCOPY --chown=evil f /x\n",
         "Dockerfile:3: COPY: --chown=evil: unable to find user evil: no matching entries "
         "in passwd file"),
        ("FROM busybox\nCOPY --chown=app f /x\n",
         "Dockerfile:2: COPY: --chown=app: unable to find user app"),
        ("FROM busybox\nCOPY --chown=root:nogroup9 f /x\n",
         "Dockerfile:2: COPY: --chown=root:nogroup9: unable to find group nogroup9"),
        ("FROM scratch\nCOPY --chown=root f /x\n", "Dockerfile:2: COPY: --chown=root: "),
        ("FROM busybox\nCOPY --chown=app: f /x\n",
         "Dockerfile:2: COPY: --chown=app:: expected USER[:GROUP]"),
    ]
    for i, (df, msg) in enumerate(cases):
        c = write(tmp_path / f"bad{i}", {"Dockerfile": df, "f": "f"})
        p = build(e, c, "-t", f"bad{i}")
        assert p.returncode == 1 and msg in p.stderr, (df, p.stderr)
    assert (host / "passwd").read_text() == "evil:x:4242:4242::/:/bin/sh\n"
    no_build_leftovers(e)


def test_cache_from_an_image_built_elsewhere(engine, tmp_path, registry):
    from conftest import Engine
    e = engine
    ref = f"{registry.host}/t/cached:1"
    df = """FROM busybox
ARG V=1
COPY a.txt /a.txt
RUN cat /proc/sys/kernel/random/uuid > /id
ENV X=$V
RUN echo "$X" > /x; cat /proc/sys/kernel/random/uuid > /id2
"""
    ctx = write(tmp_path / "ctx", {"Dockerfile": df, "a.txt": "a\n"})
    built = build(e, ctx, "-q", "-t", ref).stdout.strip()
    ids = e.ok("run", "--rm", ref, "cat", "/id", "/id2").stdout
    e.ok("push", ref, timeout=120)
    # another machine: a fresh store with only busybox, no build cache
    other = Engine(tmp_path / "other")
    try:
        other.ok("image", "build-busybox")
        p = build(other, ctx, "--cache-from", ref, "-t", "app:1", timeout=120)
        assert p.returncode == 0, p.stdout + p.stderr
        assert f"Pulling {ref}\n" in p.stdout and " ---> Running in" not in p.stdout
        assert p.stdout.count(" ---> Using cache") == 3, p.stdout
        assert other.ok("run", "--rm", "app:1", "cat", "/id", "/id2").stdout == ids
        assert json.loads(other.ok("image", "inspect", "app:1").stdout)[0]["Id"] == built
        # without it every RUN runs
        p = build(other, ctx, "--no-cache", "-t", "app:fresh")
        assert other.ok("run", "--rm", "app:fresh", "cat", "/id").stdout != ids.split()[0] + "\n"
        # another build argument: the steps after ARG do not match
        p = build(other, ctx, "--cache-from", ref, "--build-arg", "V=2", "-t", "app:2")
        assert p.returncode == 0 and p.stdout.count(" ---> Running in") == 2, p.stdout
        assert other.ok("run", "--rm", "app:2", "cat", "/x").stdout == "2\n"
        # other content copied: the RUN after the COPY does not match either
        (ctx / "a.txt").write_text("b\n")
        p = build(other, ctx, "--cache-from", ref, "-t", "app:3")
        assert p.returncode == 0 and p.stdout.count(" ---> Running in") == 2, p.stdout
        assert other.ok("run", "--rm", "app:3", "cat", "/id").stdout != ids.split()[0] + "\n"
        # an image that cannot be had is a warning, not a failure (docker's)
        p = build(other, ctx, "--cache-from", "127.0.0.1:1/none:1", "-t", "app:4")
        assert p.returncode == 0 and "WARNING: --cache-from 127.0.0.1:1/none:1: " in p.stdout
        no_build_leftovers(other)
    finally:
        other.cleanup()


def test_onbuild_triggers_run_in_the_child(engine, tmp_path):
    e = engine
    parent = write(tmp_path / "parent", {"Dockerfile": """FROM busybox
ONBUILD COPY app.txt /app/
ONBUILD RUN wc -c < /app/app.txt > /app/size
ONBUILD ENV FROM_TRIGGER=yes
CMD ["cat", "/app/app.txt"]
""", "app.txt": "parent's\n"})
    assert build(e, parent, "-t", "base:1").returncode == 0
    assert len(cfg(e, "base:1")["OnBuild"]) == 3
    assert e.ok("run", "--rm", "base:1", "ls", "/").stdout.count("app") == 0
    child = write(tmp_path / "child", {"Dockerfile": "FROM base:1\nRUN cat /app/size\n",
                                       "app.txt": "the child's\n"})
    p = build(e, child, "-t", "child:1")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "Step 1/2 : FROM base:1\n# Executing 3 build triggers\n" in p.stdout
    assert "\n12\n" in p.stdout  # the RUN after FROM sees the trigger's file
    assert e.ok("run", "--rm", "child:1").stdout == "the child's\n"
    c = cfg(e, "child:1")
    assert "FROM_TRIGGER=yes" in c["Env"] and not c.get("OnBuild")
    # the child's children do not run them again; a rebuild takes them from the cache
    grand = write(tmp_path / "grand", {"Dockerfile": "FROM child:1\n"})
    assert "Executing" not in build(e, grand).stdout
    assert build(e, child).stdout.count("Using cache") == 4
    # a stage's triggers run where a later stage starts FROM it
    ms = write(tmp_path / "ms", {"Dockerfile": "FROM busybox AS s\nONBUILD RUN echo t > /t\n"
                                 "FROM s\nRUN cat /t\n"})
    p = build(e, ms)
    assert p.returncode == 0 and "# Executing 1 build trigger\n" in p.stdout and "\nt\n" in p.stdout
    # triggers that only declare ARGs are dropped from the child all the same
    write(parent, {"Dockerfile": "FROM busybox\nONBUILD ARG A=1\n"})
    assert build(e, parent, "-t", "base:args").returncode == 0
    p = build(e, write(tmp_path / "ca", {"Dockerfile": "FROM base:args\n"}), "-t", "ca")
    assert p.returncode == 0 and "# Executing 1 build trigger" in p.stdout
    assert cfg(e, "base:args")["OnBuild"] == ["ARG A=1"] and not cfg(e, "ca").get("OnBuild")
    # commit --change sets them too
    e.ok("run", "--name", "c1", "busybox", "true")
    e.ok("commit", "-c", "ONBUILD RUN echo committed > /c", "c1", "committed:1")
    e.ok("rm", "c1")
    p = build(e, write(tmp_path / "fromc", {"Dockerfile": "FROM committed:1\n"}), "-t", "fc")
    assert p.returncode == 0 and e.ok("run", "--rm", "fc", "cat", "/c").stdout == "committed\n"
    cases = [
        ("FROM busybox\nONBUILD ONBUILD RUN true\n",
         "Dockerfile:2: ONBUILD: ONBUILD isn't allowed as an ONBUILD trigger"),
        ("FROM busybox\nONBUILD FROM busybox\n",
         "Dockerfile:2: ONBUILD: FROM isn't allowed as an ONBUILD trigger"),
        ("FROM busybox\nONBUILD COPPY a b\n", "Dockerfile:2: unknown instruction: COPPY"),
    ]
    for i, (df, msg) in enumerate(cases):
        p = build(e, write(tmp_path / f"bad{i}", {"Dockerfile": df}))
        assert p.returncode == 1 and msg in p.stderr, (df, p.stderr)
    # a trigger that fails fails the child's build, naming its FROM line
    write(parent, {"Dockerfile": "FROM busybox\nONBUILD COPY missing.txt /\nONBUILD RUN exit 3\n"})
    assert build(e, parent, "-t", "base:2").returncode == 0
    p = build(e, write(tmp_path / "c2", {"Dockerfile": "\nFROM base:2\n"}), "-t", "c2")
    assert p.returncode == 1 and "Dockerfile:2: COPY: " in p.stderr, p.stderr
    write(parent, {"Dockerfile": "FROM busybox\nONBUILD RUN exit 3\n"})
    assert build(e, parent, "-t", "base:3").returncode == 0
    p = build(e, write(tmp_path / "c3", {"Dockerfile": "FROM base:3\n"}), "-t", "c3")
    assert p.returncode == 1
    assert "The command '/bin/sh -c exit 3' returned a non-zero code: 3" in p.stderr
    assert e("image", "inspect", "c2").returncode == 1 == e("image", "inspect", "c3").returncode
    no_build_leftovers(e)


def test_secret_from_an_environment_variable(engine, tmp_path):
    e = engine
    ctx = write(tmp_path / "ctx", {"Dockerfile": """FROM busybox
RUN --mount=type=secret,id=tok,target=/tok \\
    sha256sum < /tok && echo secret-seen && stat -c '%a %u' /tok
RUN --mount=type=secret,id=tok cat /run/secrets/tok | wc -c
"""})
    env = dict(os.environ, HAKO_TEST_TOKEN="ENV-S3CR3T-77")
    p = build(e, ctx, "-t", "envsec", "--secret", "id=tok,env=HAKO_TEST_TOKEN", env=env)
    assert p.returncode == 0, p.stdout + p.stderr
    digest = hashlib.sha256(b"ENV-S3CR3T-77").hexdigest()
    assert f"{digest}  -\nsecret-seen\n400 0\n" in p.stdout and "\n13\n" in p.stdout
    assert b"ENV-S3CR3T-77" not in all_layer_bytes(e)
    assert "ENV-S3CR3T" not in e.ok("image", "inspect", "envsec").stdout
    assert not any(n.startswith("build-secrets") for n in os.listdir(e.runroot))
    # the last --secret of an id wins, a file or a variable (secrets are not in the cache key)
    (tmp_path / "f").write_text("ENV-S3CR3T-77")
    p = build(e, ctx, "--no-cache", "--secret", "id=tok,env=HAKO_TEST_TOKEN", "--secret",
              f"id=tok,src={tmp_path / 'f'}", env=env)
    assert p.returncode == 0 and f"{digest}  -\nsecret-seen\n" in p.stdout
    for args, msg in [
            (["id=tok,env=HAKO_TEST_UNSET_VAR"],
             "--secret tok: the environment variable HAKO_TEST_UNSET_VAR is not set"),
            (["id=tok,env=HAKO_TEST_TOKEN,src=/etc/hostname"], "expected id=ID,src=FILE or "),
            (["id=a/b,env=HAKO_TEST_TOKEN"], "--secret id=a/b: an ID cannot contain '/'")]:
        p = build(e, ctx, "--secret", *args, env=env)
        assert p.returncode == 125 and msg in p.stderr, (args, p.stderr)
    no_build_leftovers(e)


def test_rebuild_after_the_cached_image_was_removed(engine, tmp_path):
    """A cache entry whose image is gone (rmi of the last step's image) is a miss for that
    step, which runs again; the build went on with no image config and aborted before."""
    e = engine
    ctx = write(tmp_path / "ctx", {"Dockerfile": "FROM busybox\nRUN echo hi > /x\n"
                                                 "CMD [\"cat\", \"/x\"]\n"})
    assert build(e, ctx, "-t", "x").returncode == 0
    e.ok("rmi", "x")
    p = build(e, ctx, "-t", "x2")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "Successfully tagged x2:latest" in p.stdout
    assert e.ok("run", "--rm", "x2").stdout == "hi\n"
