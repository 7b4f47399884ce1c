"""POST /build (the classic builder's endpoint) through the docker CLI with DOCKER_BUILDKIT=0
and docker-py: tags, -f inside the context, build args, labels, target, the JSON stream, a
failing RUN as docker's in-stream error, and refused parameters."""
import io
import json
import os
import subprocess
import tarfile

import pytest

from test_api import DOCKER, svc  # noqa: F401 (the fixture)

pytestmark = pytest.mark.skipif(not os.path.exists(DOCKER), reason="no docker CLI")

DOCKERFILE = """FROM busybox AS base
ARG GREETING=hi
RUN echo "$GREETING from RUN" > /msg && echo building-output
LABEL stage=base
FROM base AS final
COPY data.txt /data.txt
CMD ["sh", "-c", "cat /msg /data.txt"]
"""


def context(tmp_path, dockerfile=DOCKERFILE):
    d = tmp_path / "ctx"
    (d / "sub").mkdir(parents=True, exist_ok=True)
    (d / "sub" / "Dockerfile").write_text(dockerfile)   # -f sub/Dockerfile: inside the context
    (d / "Dockerfile").write_text("FROM busybox\nRUN false\n")
    (d / "data.txt").write_text("data\n")
    return d


def docker_build(svc, *args, ok=True):
    env = dict(svc.env(), DOCKER_BUILDKIT="0")
    p = subprocess.run([DOCKER, "build", *map(str, args)], env=env, capture_output=True,
                       text=True, timeout=300)
    if ok:
        assert p.returncode == 0, p.stdout + p.stderr
    return p


def test_docker_build_legacy(svc, tmp_path):
    d = context(tmp_path)
    p = docker_build(svc, "-t", "app:1", "-t", "app:latest", "--build-arg", "GREETING=hello",
                     "--label", "team=a", "-f", d / "sub" / "Dockerfile", d)
    assert "Step 1/7 : FROM busybox AS base" in p.stdout, p.stdout
    assert "building-output" in p.stdout
    assert "Successfully tagged app:1" in p.stdout and "Successfully tagged app:latest" in p.stdout
    assert svc.dok("run", "--rm", "app:1").split("\n")[:2] == ["hello from RUN", "data"]
    img = json.loads(svc.dok("image", "inspect", "app:latest"))[0]
    assert img["Config"]["Labels"]["team"] == "a" and img["Config"]["Labels"]["stage"] == "base"
    # --target stops at a stage; --iidfile is filled from the stream's aux ID
    iid = tmp_path / "iid"
    docker_build(svc, "-t", "app:base", "--target", "base", "--iidfile", iid, "-f",
                 d / "sub" / "Dockerfile", d)
    assert iid.read_text().startswith("sha256:")
    assert json.loads(svc.dok("image", "inspect", "app:base"))[0]["Id"] == iid.read_text()
    p = svc.docker("run", "--rm", "app:base", "cat", "/data.txt")
    assert p.returncode != 0


def test_failing_run_and_bad_parameters(svc, tmp_path):
    d = context(tmp_path)
    (d / "Dockerfile").write_text("FROM busybox\nRUN echo about-to-fail && exit 3\n")
    p = docker_build(svc, "-t", "bad:1", d, ok=False)
    assert p.returncode == 1
    assert "about-to-fail" in p.stdout
    assert "returned a non-zero code: 3" in p.stderr, p.stderr
    assert svc.docker("image", "inspect", "bad:1").returncode != 0
    # a parameter the builder cannot honour is refused, not ignored
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        data = b"FROM busybox\n"
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    (tmp_path / "ctx.tar").write_bytes(buf.getvalue())
    status, _, body = svc.curl("/build?memory=1000000", "-H", "Content-Type: application/x-tar",
                               "--data-binary", f"@{tmp_path / 'ctx.tar'}", method="POST")
    assert status == 400 and "memory" in body
    status, _, body = svc.curl("/build", method="POST")
    assert status == 400 and "context" in body


def test_docker_py_build(svc, tmp_path):
    d = context(tmp_path)
    code = f"""
import docker, json
c = docker.DockerClient(base_url="unix://{svc.sock}")
img, logs = c.images.build(path="{d}", dockerfile="sub/Dockerfile", tag="py:1",
                           buildargs={{"GREETING": "py"}})
out = c.containers.run("py:1", remove=True).decode()
print(json.dumps({{"tags": img.tags, "out": out,
                   "stream": "".join(l.get("stream", "") for l in logs)}}))
"""
    p = subprocess.run(["python3", "-c", code], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    r = json.loads(p.stdout)
    assert "py:1" in r["tags"] and r["out"].startswith("py from RUN")
    assert "Step 3/7" in r["stream"]
