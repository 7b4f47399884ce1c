"""Helpers for the image tests: a real registry on 127.0.0.1, layers and OCI layouts built in
Python, and pushing them with skopeo."""
import gzip
import hashlib
import io
import json
import os
import shutil
import socket
import subprocess
import tarfile
import time
from pathlib import Path

from conftest import HAKO, run

REGISTRY_BIN = shutil.which("docker-registry") or "/usr/bin/docker-registry"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def hako(root, *args, **kw):
    return run([HAKO, "--root", root, *args], **kw)


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Registry:
    """Debian's docker-registry (distribution) with its own config and storage under dir.

    auth: None, ("htpasswd", path) or ("token", dict(realm=, service=, issuer=, rootcert=))."""

    def __init__(self, dir: Path, auth=None, storage=None):
        self.dir = Path(dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.storage = Path(storage) if storage else self.dir / "storage"
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.auth = auth
        self.proc = None

    def config(self):
        lines = ["version: 0.1", "log:", "  level: error", "  accesslog:", "    disabled: true",
                 "storage:", "  filesystem:", f"    rootdirectory: {self.storage}",
                 "  delete:", "    enabled: true",
                 "http:", f"  addr: 127.0.0.1:{self.port}"]
        if self.auth and self.auth[0] == "htpasswd":
            lines += ["auth:", "  htpasswd:", "    realm: hako-test", f"    path: {self.auth[1]}"]
        elif self.auth and self.auth[0] == "token":
            t = self.auth[1]
            lines += ["auth:", "  token:", f"    realm: {t['realm']}", f"    service: {t['service']}",
                      f"    issuer: {t['issuer']}", f"    rootcertbundle: {t['rootcert']}"]
        return "\n".join(lines) + "\n"

    def start(self):
        cfg = self.dir / "config.yml"
        cfg.write_text(self.config())
        self.log = open(self.dir / "registry.log", "w")
        self.proc = subprocess.Popen([REGISTRY_BIN, "serve", str(cfg)], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("registry exited: " + (self.dir / "registry.log").read_text())
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return self
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("registry did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()  # our own PID only
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc:
            self.log.close()
        self.proc = None


# --- layers ----------------------------------------------------------------------------------

def entry(path, kind="file", data=b"", mode=None, uid=0, gid=0, mtime=1_600_000_000, target=None,
          xattrs=None, major=0, minor=0):
    return dict(path=path, kind=kind, data=data, mode=mode, uid=uid, gid=gid, mtime=mtime,
                target=target, xattrs=xattrs or {}, major=major, minor=minor)


def make_tar(entries, fmt=tarfile.PAX_FORMAT):
    """An uncompressed tar of the entries, in order (no normalization: tests craft names)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        for e in entries:
            ti = tarfile.TarInfo(e["path"])
            ti.uid, ti.gid, ti.mtime = e["uid"], e["gid"], e["mtime"]
            ti.uname = ti.gname = ""
            kind = e["kind"]
            data = None
            if kind == "file":
                ti.type, ti.mode = tarfile.REGTYPE, e["mode"] or 0o644
                data = e["data"] if isinstance(e["data"], bytes) else e["data"].encode()
                ti.size = len(data)
            elif kind == "dir":
                ti.type, ti.mode = tarfile.DIRTYPE, e["mode"] or 0o755
            elif kind == "symlink":
                ti.type, ti.mode, ti.linkname = tarfile.SYMTYPE, 0o777, e["target"]
            elif kind == "hardlink":
                ti.type, ti.mode, ti.linkname = tarfile.LNKTYPE, e["mode"] or 0o644, e["target"]
            elif kind in ("char", "block", "fifo"):
                ti.type = {"char": tarfile.CHRTYPE, "block": tarfile.BLKTYPE,
                           "fifo": tarfile.FIFOTYPE}[kind]
                ti.mode, ti.devmajor, ti.devminor = e["mode"] or 0o600, e["major"], e["minor"]
            if e["xattrs"]:
                ti.pax_headers = {f"SCHILY.xattr.{k}": v for k, v in e["xattrs"].items()}
            tf.addfile(ti, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def compress(tar, how):
    if how == "gzip":
        return gzip.compress(tar, mtime=0)
    if how == "zstd":
        return subprocess.run(["zstd", "-q", "-c"], input=tar, capture_output=True,
                              check=True).stdout
    return tar


LAYER_MT = {"gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
            "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
            None: "application/vnd.oci.image.layer.v1.tar"}


class Layout:
    """An OCI image layout directory (oci-layout, index.json, blobs/sha256)."""

    def __init__(self, dir: Path):
        self.dir = Path(dir)
        (self.dir / "blobs/sha256").mkdir(parents=True, exist_ok=True)
        (self.dir / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
        self.index = []

    def blob(self, data: bytes):
        d = sha256(data)
        (self.dir / "blobs/sha256" / d[7:]).write_bytes(data)
        return d

    def image(self, layers, config=None, arch="amd64", variant=None, compression="gzip"):
        """layers: list of uncompressed tar bytes. Returns the manifest descriptor."""
        descs, diff_ids = [], []
        for tar in layers:
            blob = compress(tar, compression)
            descs.append({"mediaType": LAYER_MT[compression], "digest": self.blob(blob),
                          "size": len(blob)})
            diff_ids.append(sha256(tar))
        cfg = {"architecture": arch, "os": "linux", "created": "2024-01-02T03:04:05Z",
               "config": config or {"Cmd": ["sh"], "Env": ["PATH=/usr/bin:/bin"]},
               "rootfs": {"type": "layers", "diff_ids": diff_ids}}
        if variant:
            cfg["variant"] = variant
        cfg_bytes = json.dumps(cfg).encode()
        manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                               "digest": self.blob(cfg_bytes), "size": len(cfg_bytes)},
                    "layers": descs}
        mb = json.dumps(manifest).encode()
        plat = {"os": "linux", "architecture": arch}
        if variant:
            plat["variant"] = variant
        return {"mediaType": manifest["mediaType"], "digest": self.blob(mb), "size": len(mb),
                "platform": plat, "config_digest": sha256(cfg_bytes)}

    def tag(self, desc, name="latest"):
        d = {k: v for k, v in desc.items() if k != "config_digest"}
        d["annotations"] = {"org.opencontainers.image.ref.name": name}
        self.index.append(d)
        self.write()

    def index_of(self, descs, name="latest"):
        """Make an image index of several manifests and tag it name."""
        idx = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
               "manifests": [{k: v for k, v in d.items() if k != "config_digest"} for d in descs]}
        ib = json.dumps(idx).encode()
        d = {"mediaType": idx["mediaType"], "digest": self.blob(ib), "size": len(ib)}
        self.tag(d, name)
        return d

    def write(self):
        (self.dir / "index.json").write_text(json.dumps(
            {"schemaVersion": 2, "manifests": self.index}))


def skopeo_push(src, dest, all_platforms=False, creds=None):
    cmd = ["skopeo", "copy", "-q", "--dest-tls-verify=false"]
    if all_platforms:
        cmd.append("--all")
    if creds:
        cmd += ["--dest-creds", creds]
    cmd += [src, dest]
    run(cmd, check=True, timeout=120)


def tree(root: Path):
    """{relative path: (kind, mode, uid, gid, extra)} of everything under root."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            st = p.lstat()
            rel = str(p.relative_to(root))
            import stat as S
            if S.S_ISLNK(st.st_mode):
                out[rel] = ("symlink", os.readlink(p))
            elif S.S_ISDIR(st.st_mode):
                out[rel] = ("dir", S.S_IMODE(st.st_mode), st.st_uid, st.st_gid)
            elif S.S_ISREG(st.st_mode):
                out[rel] = ("file", S.S_IMODE(st.st_mode), st.st_uid, st.st_gid, p.read_bytes())
            elif S.S_ISCHR(st.st_mode):
                out[rel] = ("char", os.major(st.st_rdev), os.minor(st.st_rdev))
            else:
                out[rel] = ("other", st.st_mode)
    return out


# --- tiny HTTP servers in threads (fake registries, proxies, token servers) ------------------

import http.server
import threading


class Server:
    """A ThreadingHTTPServer on 127.0.0.1 serving handler, in a thread of this process."""

    def __init__(self, handler):
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.host = f"127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


class QuietHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, code, body=b"", headers=None):
        self.send_response(code)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def proxy_handler(upstream, mangle=None):
    """A handler forwarding GETs to upstream (host:port); mangle(path, status, headers, body)
    may return a replacement (status, headers, body, cut) where cut truncates the body sent."""
    import urllib.request

    class Proxy(QuietHandler):
        def do_GET(self):
            req = urllib.request.Request(f"http://{upstream}{self.path}",
                                         headers={k: v for k, v in self.headers.items()
                                                  if k.lower() in ("accept", "authorization")})
            try:
                with urllib.request.urlopen(req) as r:
                    status, headers, body = r.status, dict(r.headers), r.read()
            except urllib.error.HTTPError as e:
                status, headers, body = e.code, dict(e.headers), e.read()
            cut = None
            if mangle:
                status, headers, body, cut = mangle(self.path, status, headers, body)
            self.send_response(status)
            for k, v in headers.items():
                if k.lower() not in ("content-length", "transfer-encoding", "connection", "date"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body if cut is None else body[:cut])
            if cut is not None:
                self.close_connection = True
    return Proxy
