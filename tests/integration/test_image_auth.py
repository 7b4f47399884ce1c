"""Registry authentication: Basic (docker-registry with htpasswd) and the Bearer token flow
(docker-registry with `auth: token`, verifying JWTs that a small token server in this process
signs with a throwaway RSA key whose self-signed certificate is the registry's root bundle),
plus hako login/logout and the credentials file."""
import base64
import datetime
import json
import time
import urllib.parse
import uuid

import pytest

from conftest import run
from imagelib import QuietHandler, Registry, Server, hako
from test_image_pull import storage  # noqa: F401  (the session's pushed test images)

USER, PASS = "hako", "s3cret-pass"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenIssuer:
    def __init__(self, dir):
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import NameOID
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hako test token issuer")])
        now = datetime.datetime.utcnow()
        self.cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                     .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                     .not_valid_before(now - datetime.timedelta(days=1))
                     .not_valid_after(now + datetime.timedelta(days=1))
                     .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
                     .sign(self.key, hashes.SHA256()))
        self.rootcert = dir / "root.pem"
        self.rootcert.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        self.der = self.cert.public_bytes(serialization.Encoding.DER)

    def token(self, service, access):
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(self.der).decode()]}
        claims = {"iss": "hako-test-issuer", "sub": USER, "aud": service, "exp": now + 300,
                  "nbf": now - 10, "iat": now, "jti": str(uuid.uuid4()), "access": access}
        signing = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
        sig = self.key.sign(signing.encode(), padding.PKCS1v15(), hashes.SHA256())
        return signing + "." + b64url(sig)


def token_handler(issuer, require_creds, seen):
    class Tokens(QuietHandler):
        def do_GET(self):
            q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
            auth = self.headers.get("Authorization", "")
            seen.append((self.path, auth))
            if require_creds:
                want = "Basic " + base64.b64encode(f"{USER}:{PASS}".encode()).decode()
                if auth != want:
                    return self.send(401, b'{"details":"bad credentials"}')
            access = []
            for scope in q.get("scope", []):
                typ, name, actions = scope.split(":")
                access.append({"type": typ, "name": name, "actions": actions.split(",")})
            tok = issuer.token(q.get("service", [""])[0], access)
            self.send(200, json.dumps({"token": tok, "expires_in": 300}).encode(),
                      {"Content-Type": "application/json"})
    return Tokens


@pytest.fixture
def htpasswd_registry(tmp_path, storage):  # noqa: F811
    pw = tmp_path / "htpasswd"
    run(["htpasswd", "-Bbc", pw, USER, PASS], check=True)
    reg = Registry(tmp_path / "reg", auth=("htpasswd", pw), storage=storage[0]).start()
    yield reg
    reg.stop()


def token_registry(tmp_path, storage, token_server):
    issuer = token_server.issuer
    conf = dict(realm=f"http://{token_server.host}/token", service="hako-test-registry",
                issuer="hako-test-issuer", rootcert=issuer.rootcert)
    return Registry(tmp_path / "reg", auth=("token", conf), storage=storage[0]).start()


@pytest.fixture(params=[False, True], ids=["anonymous-token", "token-with-creds"])
def token_setup(request, tmp_path, storage):  # noqa: F811
    issuer = TokenIssuer(tmp_path)
    seen = []
    with Server(token_handler(issuer, request.param, seen)) as ts:
        ts.issuer = issuer
        reg = token_registry(tmp_path, storage, ts)
        try:
            yield reg, request.param, seen
        finally:
            reg.stop()


def test_basic_auth_login_pull_logout(tmp_path, htpasswd_registry):
    reg = htpasswd_registry
    root, authfile = tmp_path / "root", tmp_path / "auth.json"
    name = f"{reg.host}/test/multi:v1"
    p = hako(root, "pull", "--authfile", authfile, name)
    assert p.returncode == 1
    assert f"registry {reg.host}: repository test/multi" in p.stderr
    assert f"authentication required: run 'hako login {reg.host}'" in p.stderr
    p = hako(root, "login", "--authfile", authfile, "-u", USER, "-p", "wrong", reg.host)
    assert p.returncode == 1 and "HTTP 401" in p.stderr and not authfile.exists()
    p = hako(root, "login", "--authfile", authfile, "-u", USER, "--password-stdin", reg.host,
             input=PASS + "\n")
    assert p.returncode == 0, p.stderr
    assert p.stdout == "Login Succeeded\n"
    saved = json.loads(authfile.read_text())
    assert base64.b64decode(saved["auths"][reg.host]["auth"]).decode() == f"{USER}:{PASS}"
    assert oct(authfile.stat().st_mode & 0o777) == "0o600"
    p = hako(root, "pull", "-q", "--authfile", authfile, name, timeout=120)
    assert p.returncode == 0, p.stderr
    # the credentials file can also come from REGISTRY_AUTH_FILE
    p = run(["env", f"REGISTRY_AUTH_FILE={authfile}", *hako_cmd(root), "pull", "-q", name])
    assert p.returncode == 0, p.stderr
    p = hako(root, "logout", "--authfile", authfile, f"http://{reg.host}/")
    assert p.stdout == f"Removed login credentials for {reg.host}\n"
    assert json.loads(authfile.read_text())["auths"] == {}
    p = hako(root, "logout", "--authfile", authfile, reg.host)
    assert p.returncode == 1 and f"not logged in to {reg.host}" in p.stderr


def hako_cmd(root):
    from conftest import HAKO
    return [HAKO, "--root", root]


def test_token_auth(tmp_path, token_setup):
    reg, needs_creds, seen = token_setup
    root, authfile = tmp_path / "root", tmp_path / "auth.json"
    name = f"{reg.host}/test/multi:v1"
    p = hako(root, "pull", "-q", "--authfile", authfile, name, timeout=120)
    if needs_creds:
        assert p.returncode == 1
        assert "token from http://127.0.0.1:" in p.stderr and "HTTP 401" in p.stderr
        p = hako(root, "login", "--authfile", authfile, "-u", USER, "-p", PASS, reg.host)
        assert p.returncode == 0, p.stderr
        p = hako(root, "pull", "-q", "--authfile", authfile, name, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout == name + "\n"
    scopes = [path for path, _ in seen if "scope=repository%3Atest%2Fmulti%3Apull" in path]
    assert scopes, seen
    if needs_creds:
        assert all(a.startswith("Basic ") for _, a in seen[-len(scopes):])
    [img] = json.loads(hako(root, "image", "inspect", name, check=True).stdout)
    assert len(img["RootFS"]["Layers"]) == 4
