"""Bridge networking: the default `bridge` network, published ports (-p, -P), user networks,
NAT out, --internal, IPAM under concurrency, teardown after kills.

Traffic goes only to 127.0.0.1, to containers' addresses, and to a network namespace this
test makes as a stand-in for "the outside". Bridges, veths and the nft table carry this
session's HAKO_NET_PREFIX (conftest.py), which the leak check watches and the session's end
removes."""
import concurrent.futures
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

from conftest import NET_PREFIX, make_busybox_rootfs, run
from ocimage import layer_from_dir, oci_archive

HTTPD = "mkdir -p /www && echo hello-$HOSTNAME > /www/index.html && exec httpd -f -p 80 -h /www"
# The host's python3 in a busybox container, for a UDP echo server (busybox has none).
PYTHON = ["-v", "/usr:/usr:ro", "-v", "/usr/lib:/lib:ro", "-v", "/usr/lib64:/lib64:ro"]
UDP_ECHO = ("import socket\n"
            "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('0.0.0.0', 53))\n"
            "while True:\n"
            "    d, a = s.recvfrom(100); s.sendto(b'echo:' + d, a)\n")


def free_port(kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=10):
    """GET url, retrying until the server inside the container listens."""
    deadline = time.time() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                return r.read().decode()
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.1)


def udp_echo(port, timeout=10):
    deadline = time.time() + timeout
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.5)
        while True:
            s.sendto(b"ping", ("127.0.0.1", port))
            try:
                return s.recvfrom(100)[0]
            except socket.timeout:
                if time.time() > deadline:
                    raise


def nft_elements():
    out = []
    for m in ("any4", "ip4", "any6"):
        p = run(["nft", "-j", "list", "map", "inet", NET_PREFIX, m])
        if p.returncode == 0:
            for item in json.loads(p.stdout)["nftables"]:
                out += item.get("map", {}).get("elem", [])
    return out


def links():
    return {n for n in os.listdir("/sys/class/net") if n.startswith(NET_PREFIX)}


def test_default_bridge_gives_address_route_and_resolv_conf(engine):
    p = engine.ok("run", "--rm", "--network", "bridge", "--hostname", "box", "busybox", "sh",
                  "-c", "ip -4 addr show eth0; ip route; cat /etc/resolv.conf; "
                  "echo hosts: $(grep -w box /etc/hosts)")
    net = json.loads(engine.ok("network", "inspect", "bridge").stdout)[0]
    cfg = net["IPAM"]["Config"][0]
    prefix = cfg["Subnet"].rsplit(".", 2)[0]  # a /16: "10.209"
    assert f"inet {prefix}." in p.stdout
    assert f"default via {cfg['Gateway']} dev eth0" in p.stdout
    assert net["Options"]["com.docker.network.bridge.name"] == NET_PREFIX + "0"
    assert "nameserver" in p.stdout
    assert "nameserver 127." not in p.stdout
    own = p.stdout.split("hosts: ")[1].split()
    assert own[1] == "box" and own[0].startswith(prefix + ".")
    with open("/proc/sys/net/ipv4/ip_forward") as f:
        assert f.read().strip() == "1"


def test_domainname_in_uts_and_hosts(engine):
    p = engine.ok("run", "--rm", "--network", "bridge", "--hostname", "web", "--domainname",
                  "example.com", "busybox", "sh", "-c",
                  "cat /proc/sys/kernel/domainname; grep -w web /etc/hosts")
    domain, line = p.stdout.splitlines()
    assert domain == "example.com"
    assert line.split()[1:] == ["web.example.com", "web"]  # docker's order


def test_add_host_and_dns_flags(engine):
    gw = json.loads(engine.ok("network", "inspect", "bridge").stdout)[0]["IPAM"]["Config"][0][
        "Gateway"]
    p = engine.ok("run", "--rm", "--network", "bridge", "--add-host", "db:10.1.2.3",
                  "--add-host", "gw:host-gateway", "--dns", "10.0.0.53", "--dns-search",
                  "corp.example", "--dns-option", "ndots:2", "busybox", "sh", "-c",
                  "cat /etc/hosts; echo ---; cat /etc/resolv.conf")
    hosts, resolv = p.stdout.split("---\n")
    assert "10.1.2.3\tdb\n" in hosts and f"{gw}\tgw\n" in hosts
    assert [l for l in resolv.splitlines() if l.startswith("nameserver")] == \
        ["nameserver 10.0.0.53"]
    assert "search corp.example\n" in resolv and "options ndots:2\n" in resolv


def test_stats_net_io_is_the_containers_own(engine):
    engine.ok("run", "-d", "--name", "hostnet", "--network", "host", "busybox", "sleep", "60")
    engine.ok("run", "-d", "--name", "bridged", "--network", "bridge", "busybox", "sh", "-c",
              "ping -c 3 -i 0.2 $(ip route | awk '/default/ {print $3}'); sleep 60")
    out = engine.ok("stats", "--no-stream", "--format", "{{.Name}} {{.NetIO}}", "hostnet").stdout
    assert out.strip() == "hostnet 0B / 0B"
    deadline = time.time() + 10
    while True:
        out = engine.ok("stats", "--no-stream", "--format", "{{.NetIO}}", "bridged").stdout
        if out.strip() != "0B / 0B" or time.time() > deadline:
            break
        time.sleep(0.2)
    assert out.strip() != "0B / 0B"


def test_publish_tcp_on_loopback_and_any_address(engine):
    a, b = free_port(), free_port()
    engine.ok("run", "-d", "--name", "web", "--hostname", "web1", "-p", f"127.0.0.1:{a}:80",
              "-p", f"{b}:80", "busybox", "sh", "-c", HTTPD)
    assert http_get(f"http://127.0.0.1:{a}/") == "hello-web1\n"
    assert http_get(f"http://127.0.0.1:{b}/") == "hello-web1\n"
    ports = engine.inspect("web")["NetworkSettings"]["Ports"]["80/tcp"]
    assert {"HostIp": "127.0.0.1", "HostPort": str(a)} in ports
    assert {"HostIp": "0.0.0.0", "HostPort": str(b)} in ports
    hc = engine.inspect("web")["HostConfig"]["PortBindings"]["80/tcp"]
    assert {"HostIp": "127.0.0.1", "HostPort": str(a)} in hc
    engine.ok("rm", "-f", "web")
    assert nft_elements() == []


def test_first_run_makes_the_table_and_publishes(engine):
    """One `run` that makes hako's bridge and table and publishes a port: the monitor it
    forks adds the port's elements with a netlink socket of its own (the parent's answers
    went astray: "Broken pipe")."""
    assert engine.ok("ps", "-q").stdout == ""
    run(["nft", "delete", "table", "inet", NET_PREFIX])
    run(["ip", "link", "del", NET_PREFIX + "0"])
    port = free_port()
    engine.ok("run", "-d", "--name", "first", "--hostname", "first", "-p",
              f"127.0.0.1:{port}:80", "busybox", "sh", "-c", HTTPD)
    assert http_get(f"http://127.0.0.1:{port}/") == "hello-first\n"
    engine.ok("rm", "-f", "first")
    assert nft_elements() == []


def test_publish_udp(engine):
    port = free_port(socket.SOCK_DGRAM)
    engine.ok("run", "-d", "--name", "udp", "-p", f"127.0.0.1:{port}:53/udp", *PYTHON,
              "busybox", "/usr/bin/python3", "-c", UDP_ECHO)
    assert udp_echo(port) == b"echo:ping"
    assert engine.ok("port", "udp").stdout == f"53/udp -> 127.0.0.1:{port}\n"


def test_random_host_ports_ps_and_port(engine):
    engine.ok("run", "-d", "--name", "rnd", "-p", "80", "-p", "127.0.0.1::80", "busybox", "sh",
              "-c", HTTPD)
    ports = engine.inspect("rnd")["NetworkSettings"]["Ports"]["80/tcp"]
    assert len(ports) == 2
    for b in ports:
        assert 1024 < int(b["HostPort"]) <= 65535
        assert http_get(f"http://127.0.0.1:{b['HostPort']}/").startswith("hello-")
    lines = engine.ok("port", "rnd").stdout.splitlines()
    assert sorted(lines) == sorted(f"80/tcp -> {b['HostIp']}:{b['HostPort']}" for b in ports)
    assert engine.ok("port", "rnd", "80").stdout.count(":") == 2
    col = engine.ok("ps", "--format", "{{.Ports}}").stdout.strip()
    for b in ports:
        assert f"{b['HostIp']}:{b['HostPort']}->80/tcp" in col


def test_port_ranges(engine):
    a = free_port()
    # a range of three on both sides; the ports after a may be busy: find three free
    while any(free_in_use(a + i) for i in range(3)):
        a = free_port()
    engine.ok("run", "-d", "--name", "rng", "-p", f"127.0.0.1:{a}-{a + 2}:80-82", "busybox",
              "sleep", "60")
    ports = engine.inspect("rng")["NetworkSettings"]["Ports"]
    assert [ports[f"{80 + i}/tcp"][0]["HostPort"] for i in range(3)] == \
        [str(a + i) for i in range(3)]


def free_in_use(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return False
        except OSError:
            return True


def test_publish_all_exposed_ports(engine, tmp_path):
    rootfs = make_busybox_rootfs(tmp_path / "rootfs")
    cfg = {"Env": ["PATH=/bin"], "Cmd": ["sh", "-c", HTTPD],
           "ExposedPorts": {"80/tcp": {}, "53/udp": {}}}
    archive = oci_archive(tmp_path / "img.tar", [layer_from_dir(rootfs)],
                          ref="docker.io/library/exposer:latest", config=cfg)
    engine.ok("load", "-q", "-i", archive)
    engine.ok("run", "-d", "--name", "exp", "-P", "exposer")
    ports = engine.inspect("exp")["NetworkSettings"]["Ports"]
    assert set(ports) == {"80/tcp", "53/udp"}
    hp = ports["80/tcp"][0]["HostPort"]
    assert http_get(f"http://127.0.0.1:{hp}/").startswith("hello-")
    assert int(ports["53/udp"][0]["HostPort"]) > 1024


def test_port_in_use_is_an_error_naming_it(engine):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        for spec in (f"127.0.0.1:{port}:80", f"{port}:80"):
            p = engine("run", "-d", "-p", spec, "busybox", "sleep", "60")
            assert p.returncode == 125, p.stderr
            assert f":{port} failed: port is already allocated" in p.stderr
            p = engine("run", "--rm", "-p", spec, "busybox", "true")
            assert p.returncode == 125
        assert nft_elements() == []
        assert not [n for n in links() if "v" in n[len(NET_PREFIX):]]
        assert "Up" not in engine.ok("ps", "-a").stdout


@pytest.mark.parametrize("args,msg", [
    (["-p", "70000:80"], "invalid hostPort: 70000"),
    (["-p", "80:70000"], "invalid containerPort: 70000"),
    (["-p", "80/sctp"], "invalid proto: sctp"),
    (["-p", "8000-8001:80-82"], "Invalid ranges specified"),
    (["--network", "host", "-p", "80:80"], "conflicting options: port publishing"),
    (["--network", "none", "-p", "80:80"], "conflicting options: port publishing"),
    (["--network", "bridge", "--ip", "10.1.2.3"], "user specified IP address is supported on "
                                                   "user defined networks only"),
    (["--network", "nosuchnet"], "network nosuchnet not found"),
    (["--add-host", "nohost"], "bad format for add-host: \"nohost\""),
    (["--add-host", "db:1.2.3.256"], "invalid IP address in add-host"),
    (["--dns", "resolver"], "resolver is not an ip address"),
    (["--mac-address", "02:42:zz:00:00:01"], "02:42:zz:00:00:01 is not a valid mac address"),
    (["--mac-address", "01:00:5e:00:00:01"], "is a multicast or zero address"),
    (["--network", "host", "--mac-address", "02:42:0a:00:00:01"],
     "conflicting options: mac-address and the network mode"),
    (["--network", "bridge", "--network-alias", "db"],
     "network-scoped alias is supported only for containers in user defined networks"),
    (["--network", "none", "--network-alias", "db"],
     "network-scoped alias is supported only for containers in user defined networks"),
])
def test_bad_network_flags(engine, args, msg):
    p = engine("run", "--rm", *args, "busybox", "true")
    assert p.returncode == 125, p.stderr
    assert msg in p.stderr
    assert engine.ok("ps", "-aq").stdout == ""


def test_network_prune_and_port_flags(engine):
    """--help and unknown flags of network prune/rm and port act on nothing (network prune
    --help pruned every unused network, network rm --bogus tried a network named --bogus)."""
    engine.ok("network", "create", "keepme")
    for args in (["network", "prune", "--help"], ["network", "prune", "-h"],
                 ["network", "rm", "--help"]):
        p = engine.ok(*args)
        assert p.stdout.startswith("Usage: hako network "), p.stdout
    for args in (["network", "prune", "--bogus"], ["network", "rm", "--bogus", "keepme"],
                 ["network", "inspect", "--bogus", "keepme"], ["network", "ls", "--bogus"],
                 ["network", "disconnect", "--ip", "1.2.3.4", "keepme", "x"],
                 ["port", "--bogus", "x"]):
        p = engine(*args)
        bad = args[2] if args[1] in ("prune", "rm", "inspect", "ls", "disconnect") else args[1]
        assert p.returncode == 125 and f"unknown flag: {bad}" in p.stderr, (args, p.stderr)
    assert "keepme" in engine.ok("network", "ls", "--format", "{{.Name}}").stdout.split()
    engine.ok("network", "rm", "keepme")


def test_user_network_containers_reach_each_other(engine):
    engine.ok("network", "create", "--subnet", "10.231.7.0/24", "app")
    engine.ok("run", "-d", "--name", "srv", "--hostname", "srv", "--network", "app", "--ip",
              "10.231.7.10", "busybox", "sh", "-c", HTTPD)
    ip = engine.inspect("srv")["NetworkSettings"]["Networks"]["app"]["IPAddress"]
    assert ip == "10.231.7.10"
    p = engine.ok("run", "--rm", "--network", "app", "busybox", "sh", "-c",
                  f"ping -c1 -W5 {ip} >/dev/null && echo ping-ok; "
                  f"for i in $(seq 50); do wget -qO- http://{ip}/ && break; sleep 0.1; done")
    assert "ping-ok" in p.stdout and "hello-srv" in p.stdout
    net = json.loads(engine.ok("network", "inspect", "app").stdout)[0]
    assert [c["Name"] for c in net["Containers"].values()] == ["srv"]
    p = engine("network", "rm", "app")
    assert p.returncode == 1 and "has active endpoints" in p.stderr
    p = engine("run", "--rm", "--network", "app", "--ip", ip, "busybox", "true")
    assert p.returncode == 125 and "Address already in use" in p.stderr
    engine.ok("rm", "-f", "srv")
    engine.ok("network", "rm", "app")
    assert engine.ok("network", "ls", "-q").stdout.count("\n") == 1  # bridge only


def resolve(engine, container, name):
    """The address name resolves to in the running container (through its libc and
    /etc/hosts, as a program would: busybox ping), or None when it does not resolve."""
    p = engine("exec", container, "ping", "-c1", "-W5", name)
    if "bad address" in p.stderr:
        return None
    assert p.returncode == 0, p.stderr  # resolved, and the address answered
    return p.stdout.split("(")[1].split(")")[0]


def hosts_names(engine, container):
    out = engine.ok("exec", container, "cat", "/etc/hosts").stdout
    return {w for line in out.splitlines() if not line.startswith("#") for w in line.split()}


def test_user_network_resolves_names_and_aliases(engine):
    engine.ok("network", "create", "--subnet", "10.231.8.0/24", "dns")
    engine.ok("run", "-d", "--name", "db", "--network", "dns", "--network-alias", "postgres",
              "--network-alias", "pg.internal", "busybox", "sleep", "120")
    engine.ok("run", "-d", "--name", "app", "--network", "dns", "busybox", "sleep", "120")
    db = engine.inspect("db")
    ip = db["NetworkSettings"]["Networks"]["dns"]["IPAddress"]
    assert db["NetworkSettings"]["Networks"]["dns"]["Aliases"] == ["postgres", "pg.internal"]
    assert db["NetworkSettings"]["Networks"]["dns"]["DNSNames"] == \
        ["db", "postgres", "pg.internal", db["Id"][:12]]
    for name in ("db", "postgres", "pg.internal", db["Id"][:12]):
        assert resolve(engine, "app", name) == ip, name
    # and the other way round: db, started first, resolves app, started after it
    assert resolve(engine, "db", "app") == \
        engine.inspect("app")["NetworkSettings"]["IPAddress"]
    # a program resolving through getaddrinfo (the host's python3) sees the same
    p = engine.ok("run", "--rm", "--network", "dns", *PYTHON, "busybox", "/usr/bin/python3",
                  "-c", "import socket; print(socket.gethostbyname('postgres'))")
    assert p.stdout.strip() == ip
    # a peer that starts later is resolvable from a container already running
    engine.ok("run", "-d", "--name", "late", "--network", "dns", "busybox", "sleep", "120")
    late = engine.inspect("late")["NetworkSettings"]["IPAddress"]
    assert resolve(engine, "app", "late") == late
    # stopped: its name goes from its peers; started again: it comes back
    engine.ok("stop", "-t", "0", "late")
    assert resolve(engine, "app", "late") is None and "late" not in hosts_names(engine, "db")
    engine.ok("start", "late")
    assert resolve(engine, "app", "late") == \
        engine.inspect("late")["NetworkSettings"]["IPAddress"]
    # renamed: its peers resolve the new name, not the old one
    engine.ok("rename", "late", "latest")
    assert resolve(engine, "app", "latest") == \
        engine.inspect("latest")["NetworkSettings"]["IPAddress"]
    assert resolve(engine, "app", "late") is None
    assert engine.inspect("latest")["NetworkSettings"]["Networks"]["dns"]["DNSNames"][0] == \
        "latest"
    engine.ok("rename", "latest", "late")
    # removed: gone too, and the survivors' files hold only each other
    engine.ok("rm", "-f", "late", "db")
    assert resolve(engine, "app", "postgres") is None
    app = engine.inspect("app")
    assert hosts_names(engine, "app") >= {"app", app["Id"][:12], "localhost"}
    assert not hosts_names(engine, "app") & {"db", "postgres", "late", "pg.internal"}
    engine.ok("rm", "-f", "app")
    engine.ok("network", "rm", "dns")


def test_killed_peers_name_goes_when_reclaimed(engine):
    """A peer whose monitor was SIGKILLed cannot take its name away itself: the next command
    that finds it gone (ps's refresh) does, from every member's /etc/hosts."""
    engine.ok("network", "create", "--subnet", "10.231.12.0/24", "kn")
    engine.ok("run", "-d", "--name", "stay", "--network", "kn", "busybox", "sleep", "120")
    engine.ok("run", "-d", "--name", "doomed", "--network", "kn", "--network-alias", "dd",
              "busybox", "sleep", "120")
    assert resolve(engine, "stay", "dd") is not None
    mon = engine.inspect("doomed")["Hako"]["Monitor"]["Pid"]
    os.kill(mon, signal.SIGKILL)
    while os.path.exists(f"/proc/{mon}"):
        time.sleep(0.02)
    engine.ok("ps", "-a")
    assert not hosts_names(engine, "stay") & {"doomed", "dd"}
    engine.ok("rm", "-f", "stay", "doomed")
    engine.ok("network", "rm", "kn")


def test_sidecar_shares_the_names_of_the_container_it_joins(engine):
    """--network container:X shares X's /etc/hosts and resolv.conf, as docker: the sidecar
    resolves X's peers, also those that start after it."""
    engine.ok("network", "create", "--subnet", "10.231.13.0/24", "sc")
    engine.ok("run", "-d", "--name", "main", "--network", "sc", "busybox", "sleep", "120")
    engine.ok("run", "-d", "--name", "side", "--network", "container:main", "busybox", "sleep",
              "120")
    engine.ok("run", "-d", "--name", "later", "--network", "sc", "busybox", "sleep", "120")
    assert resolve(engine, "side", "later") == \
        engine.inspect("later")["NetworkSettings"]["IPAddress"]
    assert engine.inspect("side")["HostsPath"] == engine.inspect("main")["HostsPath"]
    # its own hostname stays its own
    assert engine.ok("exec", "side", "hostname").stdout.strip() == \
        engine.inspect("side")["Id"][:12]
    # what would change the files it shares is refused, as docker does
    for args, msg in ((["--add-host", "x:10.1.1.1"], "custom host-to-IP mapping"),
                      (["--dns", "10.0.0.53"], "dns and the network mode"),
                      (["--dns-search", "corp"], "dns and the network mode"),
                      (["--hostname", "h2"], "hostname and the network mode")):
        p = engine("run", "--rm", "--network", "container:main", *args, "busybox", "true")
        assert p.returncode == 125 and f"conflicting options: {msg}" in p.stderr, p.stderr
    engine.ok("rm", "-f", "side", "later", "main")
    engine.ok("network", "rm", "sc")


def test_default_bridge_does_not_resolve_names(engine):
    engine.ok("run", "-d", "--name", "b1", "--network", "bridge", "busybox", "sleep", "120")
    engine.ok("run", "-d", "--name", "b2", "--network", "bridge", "--hostname", "b2host",
              "busybox", "sleep", "120")
    assert resolve(engine, "b1", "b2") is None and resolve(engine, "b2", "b1") is None
    # each knows only itself, as on docker's default bridge
    assert resolve(engine, "b2", "b2host") == engine.inspect("b2")["NetworkSettings"]["IPAddress"]
    assert not hosts_names(engine, "b1") & {"b2", "b2host"}
    engine.ok("rm", "-f", "b1", "b2")


def test_connect_with_alias_and_user_lines_stay(engine):
    engine.ok("network", "create", "--subnet", "10.231.9.0/24", "front")
    engine.ok("run", "-d", "--name", "web", "--network", "front", "busybox", "sleep", "120")
    engine.ok("run", "-d", "--name", "worker", "--network", "bridge", "--add-host",
              "legacy:10.1.2.3", "busybox", "sleep", "120")
    # a line of the user's own, written inside the container, outlives hako's rewrites
    engine.ok("exec", "worker", "sh", "-c", "echo '10.4.5.6 mine' >> /etc/hosts")
    engine.ok("network", "connect", "--alias", "jobs", "front", "worker")
    ip = engine.inspect("worker")["NetworkSettings"]["Networks"]["front"]["IPAddress"]
    assert resolve(engine, "web", "jobs") == ip and resolve(engine, "web", "worker") == ip
    assert resolve(engine, "worker", "web") == engine.inspect("web")["NetworkSettings"][
        "IPAddress"]
    assert engine.inspect("worker")["NetworkSettings"]["Networks"]["front"]["Aliases"] == \
        ["jobs"]
    p = engine("network", "connect", "--alias", "x", "bridge", "web")
    assert p.returncode == 1 and "network-scoped alias is supported only" in p.stderr
    engine.ok("network", "disconnect", "front", "worker")
    assert resolve(engine, "web", "jobs") is None and resolve(engine, "worker", "web") is None
    assert hosts_names(engine, "worker") >= {"legacy", "mine", "10.4.5.6", "10.1.2.3"}
    engine.ok("rm", "-f", "web", "worker")
    engine.ok("network", "rm", "front")


def test_mac_address(engine):
    mac = "02:42:0a:e0:00:99"
    p = engine.ok("run", "--rm", "--mac-address", mac, "busybox", "cat",
                  "/sys/class/net/eth0/address")  # no --network: the bridge, as -p does
    assert p.stdout.strip() == mac
    engine.ok("network", "create", "--subnet", "10.231.10.0/24", "macnet")
    engine.ok("run", "-d", "--name", "mc", "--network", "macnet", "--mac-address",
              mac.upper().replace(":", "-"), "busybox", "sleep", "60")
    c = engine.inspect("mc")
    assert c["NetworkSettings"]["Networks"]["macnet"]["MacAddress"] == mac
    assert c["Config"]["MacAddress"] == mac.upper().replace(":", "-")
    net = json.loads(engine.ok("network", "inspect", "macnet").stdout)[0]
    assert [e["MacAddress"] for e in net["Containers"].values()] == [mac]
    engine.ok("rm", "-f", "mc")
    engine.ok("network", "rm", "macnet")


def ipv6_available():
    return os.path.exists("/proc/sys/net/ipv6") and \
        open("/proc/sys/net/ipv6/conf/all/disable_ipv6").read().strip() == "0"


@pytest.mark.skipif(not ipv6_available(), reason="IPv6 is disabled on this host")
def test_ipv6_network_addresses_names_and_published_port(engine):
    engine.ok("network", "create", "--ipv6", "six")
    net = json.loads(engine.ok("network", "inspect", "six").stdout)[0]
    assert net["EnableIPv6"] is True
    v6 = net["IPAM"]["Config"][1]
    assert v6["Subnet"].startswith("fd") and v6["Subnet"].endswith("::/64")
    gw6 = v6["Gateway"]
    port = free_port()
    engine.ok("run", "-d", "--name", "srv6", "--hostname", "srv6", "--network", "six", "-p",
              f"{port}:80", "busybox", "sh", "-c", HTTPD)
    srv = engine.inspect("srv6")["NetworkSettings"]
    ip6 = srv["GlobalIPv6Address"]
    assert ip6.startswith(gw6.rsplit("::", 1)[0]) and srv["GlobalIPv6PrefixLen"] == 64
    assert srv["IPv6Gateway"] == gw6
    assert srv["Networks"]["six"]["GlobalIPv6Address"] == ip6
    p = engine.ok("run", "--rm", "--network", "six", "busybox", "sh", "-c",
                  "ip -6 addr show eth0; ip -6 route; ping -c1 -W5 srv6 >/dev/null && "
                  "echo ping4-ok; ping6 -c1 -W5 srv6 && echo ping6-ok; "
                  f"for i in $(seq 50); do wget -qO- http://[{ip6}]/ && break; sleep 0.1; done")
    assert "ping4-ok" in p.stdout and "ping6-ok" in p.stdout and f"({ip6})" in p.stdout
    assert f"default via {gw6} dev eth0" in p.stdout and "hello-srv6" in p.stdout
    # published on IPv6 too, through the kernel: the host reaches it on the bridge's address
    with socket.socket(socket.AF_INET6) as s:
        s.settimeout(10)
        s.connect((gw6, port))
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        reply = b""
        while chunk := s.recv(4096):
            reply += chunk
        assert reply.endswith(b"\r\n\r\nhello-srv6\n")
    assert http_get(f"http://127.0.0.1:{port}/") == "hello-srv6\n"
    assert srv["Ports"]["80/tcp"] == [{"HostIp": "0.0.0.0", "HostPort": str(port)},
                                      {"HostIp": "::", "HostPort": str(port)}]
    assert engine.ok("port", "srv6").stdout == \
        f"80/tcp -> 0.0.0.0:{port}\n80/tcp -> [::]:{port}\n"
    assert f":::{port}->80/tcp" in engine.ok("ps", "--format", "{{.Ports}}").stdout
    # ::1 is not DNATed (the kernel cannot route it out of lo): refused, not hanging
    with socket.socket(socket.AF_INET6) as s:
        s.settimeout(5)
        with pytest.raises(ConnectionRefusedError):
            s.connect(("::1", port))
    assert {e["IPv6Address"] for e in json.loads(engine.ok(
        "network", "inspect", "six").stdout)[0]["Containers"].values()} == {ip6 + "/64"}
    engine.ok("rm", "-f", "srv6")
    assert nft_elements() == []
    engine.ok("network", "rm", "six")


@pytest.mark.skipif(not ipv6_available(), reason="IPv6 is disabled on this host")
def test_ipv6_subnet_port_conflict_and_errors(engine):
    engine.ok("network", "create", "--ipv6", "--subnet", "fd00:4a:1::/64", "--subnet",
              "10.231.11.0/24", "sixb")
    cfg = json.loads(engine.ok("network", "inspect", "sixb").stdout)[0]["IPAM"]["Config"]
    assert cfg == [{"Subnet": "10.231.11.0/24", "Gateway": "10.231.11.1"},
                   {"Subnet": "fd00:4a:1::/64", "Gateway": "fd00:4a:1::1"}]
    engine.ok("run", "-d", "--name", "s1", "--network", "sixb", "--ip", "10.231.11.7",
              "busybox", "sleep", "60")
    assert engine.inspect("s1")["NetworkSettings"]["GlobalIPv6Address"] == "fd00:4a:1::7"
    # a port taken on [::] alone is taken for a published port of an IPv6 network
    with socket.socket(socket.AF_INET6) as s:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind(("::", 0))
        s.listen()
        busy = s.getsockname()[1]
        p = engine("run", "-d", "--network", "sixb", "-p", f"{busy}:80", "busybox", "true")
        assert p.returncode == 125 and f"Bind for [::]:{busy} failed: port is already " \
            "allocated" in p.stderr
        assert nft_elements() == []
    for args, msg in ((["--subnet", "fd00:4a:1:0:8000::/80", "--ipv6", "x1"], "Pool overlaps"),
                      (["--subnet", "fd00:4a:2::/64", "x2"], "needs --ipv6"),
                      (["--ipv6", "--subnet", "fd00:4a:3::1/64", "x3"],
                       "it should be fd00:4a:3::/64"),
                      (["--ipv6", "--subnet", "fd00:4a:4::/120", "x4"], "invalid CIDR address"),
                      (["--ipv6", "--subnet", "fd00::/64", "--subnet", "fd01::/64", "x5"],
                       "one IPv4 and one IPv6 subnet at most")):
        p = engine("network", "create", *args)
        assert p.returncode != 0 and msg in p.stderr, (args, p.stderr)
    assert engine.ok("network", "ls", "-q").stdout.count("\n") == 2  # bridge, sixb
    engine.ok("rm", "-f", "s1")
    engine.ok("network", "rm", "sixb")


def test_network_container_shares_a_running_containers_namespace(engine):
    engine.ok("run", "-d", "--name", "main", "--network", "bridge", "busybox", "sh", "-c",
              "mkdir -p /www && echo sidecar-ok > /www/index.html && exec httpd -f -p 80 -h /www")
    ip = engine.inspect("main")["NetworkSettings"]["IPAddress"]
    p = engine.ok("run", "--rm", "--network", "container:main", "busybox", "sh", "-c",
                  "ip -4 addr show eth0; "
                  "for i in $(seq 50); do wget -qO- http://127.0.0.1/ && break; sleep 0.1; done")
    assert f"inet {ip}/" in p.stdout and "sidecar-ok" in p.stdout
    p = engine("run", "--rm", "--network", "container:main", "-p", "80:80", "busybox", "true")
    assert p.returncode == 125 and "conflicting options: port publishing" in p.stderr
    engine.ok("stop", "-t", "0", "main")
    p = engine("run", "--rm", "--network", "container:main", "busybox", "true")
    assert p.returncode == 125
    assert "cannot join network of a non running container: main" in p.stderr


def test_connect_and_disconnect_a_running_container(engine):
    engine.ok("network", "create", "--subnet", "10.236.1.0/24", "side")
    engine.ok("run", "-d", "--name", "peer", "--network", "side", "busybox", "sleep", "60")
    engine.ok("run", "-d", "--name", "c1", "--network", "bridge", "busybox", "sleep", "60")
    peer = engine.inspect("peer")["NetworkSettings"]["IPAddress"]
    engine.ok("network", "connect", "--ip", "10.236.1.50", "side", "c1")
    p = engine.ok("exec", "c1", "sh", "-c", f"ip -4 addr show eth1; ip route; "
                  f"ping -c1 -W5 {peer} >/dev/null && echo ping-ok")
    assert "inet 10.236.1.50/24" in p.stdout and "ping-ok" in p.stdout
    assert p.stdout.count("default") == 1  # still only through the first network
    nets = engine.inspect("c1")["NetworkSettings"]["Networks"]
    assert set(nets) == {"bridge", "side"} and nets["side"]["IPAddress"] == "10.236.1.50"
    p = engine("network", "connect", "side", "c1")
    assert p.returncode == 1 and "already exists in network side" in p.stderr
    engine.ok("network", "disconnect", "side", "c1")
    p = engine.ok("exec", "c1", "ip", "link")
    assert "eth1" not in p.stdout and "eth0" in p.stdout
    assert set(engine.inspect("c1")["NetworkSettings"]["Networks"]) == {"bridge"}
    p = engine("network", "disconnect", "side", "c1")
    assert p.returncode == 1 and "is not connected to network side" in p.stderr
    # connected again, then the container goes: its second address goes with it
    engine.ok("network", "connect", "side", "c1")
    engine.ok("rm", "-f", "c1")
    net = json.loads(engine.ok("network", "inspect", "side").stdout)[0]
    assert [c["Name"] for c in net["Containers"].values()] == ["peer"]
    engine.ok("rm", "-f", "peer")
    engine.ok("network", "rm", "side")


def test_connect_a_created_container_joins_at_its_starts(engine):
    engine.ok("network", "create", "--subnet", "10.236.2.0/24", "later")
    engine.ok("create", "--name", "c2", "--network", "bridge", "busybox", "sleep", "60")
    engine.ok("network", "connect", "--ip", "10.236.2.40", "later", "c2")
    for _ in range(2):
        engine.ok("start", "c2")
        p = engine.ok("exec", "c2", "ip", "-4", "addr", "show", "eth1")
        assert "inet 10.236.2.40/24" in p.stdout
        engine.ok("stop", "-t", "0", "c2")
    engine.ok("network", "disconnect", "later", "c2")
    engine.ok("start", "c2")
    assert "eth1" not in engine.ok("exec", "c2", "ip", "link").stdout
    engine.ok("rm", "-f", "c2")
    engine.ok("network", "rm", "later")


def test_network_create_errors(engine):
    engine.ok("network", "create", "--subnet", "10.232.0.0/24", "one")
    for args, msg in ((["--subnet", "10.232.0.0/25", "two"], "Pool overlaps"),
                      (["one"], "network with name one already exists"),
                      (["--subnet", "10.232.1.5/24", "three"], "it should be 10.232.1.0/24"),
                      (["--subnet", "10.232.2.0/24", "--gateway", "10.9.9.9", "four"],
                       "no matching subnet for gateway"),
                      (["bridge"], "predefined bridge network")):
        p = engine("network", "create", *args)
        assert p.returncode == 1 and msg in p.stderr, (args, p.stderr)
    assert engine("network", "rm", "bridge").returncode == 1
    bridge = json.loads(engine.ok("network", "inspect", "one").stdout)[0]["Options"][
        "com.docker.network.bridge.name"]
    assert bridge in links()
    engine.ok("network", "rm", "one")
    assert bridge not in links()


@pytest.fixture
def outside(tmp_path):
    """A network namespace routed via the host, standing in for the outside world: the host
    end of a veth at 10.253.0.1/30, the namespace's at 10.253.0.2/30, and a TCP server there
    that answers with the address the connection came from."""
    ns, host_if = f"{NET_PREFIX}out", f"{NET_PREFIX}o0"
    run(["ip", "netns", "add", ns], check=True)
    server = None
    try:
        run(["ip", "link", "add", host_if, "type", "veth", "peer", "name", "eth0", "netns", ns],
            check=True)
        run(["ip", "addr", "add", "10.253.0.1/30", "dev", host_if], check=True)
        run(["ip", "link", "set", host_if, "up"], check=True)
        for cmd in (["ip", "addr", "add", "10.253.0.2/30", "dev", "eth0"],
                    ["ip", "link", "set", "eth0", "up"], ["ip", "link", "set", "lo", "up"]):
            run(["ip", "netns", "exec", ns, *cmd], check=True)
        code = ("import socket\n"
                "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
                "s.bind(('10.253.0.2', 7000)); s.listen()\n"
                "print('ready', flush=True)\n"
                "while True:\n"
                "    c, a = s.accept(); c.sendall(('from ' + a[0] + '\\n').encode()); c.close()\n")
        server = subprocess.Popen(["ip", "netns", "exec", ns, "/usr/bin/python3", "-c", code],
                                  stdout=subprocess.PIPE, text=True)
        assert server.stdout.readline().strip() == "ready"
        yield "10.253.0.2"
    finally:
        if server:
            server.kill()
            server.wait()
        run(["ip", "link", "del", host_if])
        run(["ip", "netns", "del", ns])


def test_nat_out_masquerades_to_the_host_address(engine, outside):
    p = engine.ok("run", "--rm", "--network", "bridge", "busybox", "sh", "-c",
                  f"for i in $(seq 30); do nc -w 3 {outside} 7000 && break; sleep 0.1; done")
    assert p.stdout.strip() == "from 10.253.0.1"


def test_internal_network_has_no_way_out(engine, outside):
    engine.ok("network", "create", "--internal", "--subnet", "10.233.0.0/24", "closed")
    p = engine("run", "--rm", "--network", "closed", "busybox", "sh", "-c",
               f"ip route; nc -w 2 {outside} 7000 && echo reached")
    assert "default" not in p.stdout
    assert "reached" not in p.stdout and "from " not in p.stdout
    engine.ok("network", "rm", "closed")


def test_fifty_parallel_runs_get_distinct_addresses(engine):
    engine.ok("network", "create", "--subnet", "10.234.0.0/24", "many")

    def start(i):
        return engine("run", "-d", "--name", f"m{i}", "--network", "many", "busybox",
                      "sleep", "120", timeout=300)

    with concurrent.futures.ThreadPoolExecutor(50) as pool:
        results = list(pool.map(start, range(50)))
    assert [r.returncode for r in results] == [0] * 50, [r.stderr for r in results if r.returncode]
    ips = [engine.inspect(f"m{i}")["NetworkSettings"]["IPAddress"] for i in range(50)]
    assert len(set(ips)) == 50 and all(ip.startswith("10.234.0.") for ip in ips)
    ids = engine.ok("ps", "-q").stdout.split()
    engine.ok("rm", "-f", *ids, timeout=300)
    assert json.loads(engine.ok("network", "inspect", "many").stdout)[0]["Containers"] == {}
    engine.ok("network", "rm", "many")


def test_killed_monitor_is_reclaimed(engine):
    """A SIGKILLed monitor leaves its address, port and nft elements: the next command that
    looks (ps's refresh, or the next allocation) takes them back."""
    engine.ok("network", "create", "--subnet", "10.235.0.0/24", "k")
    port = free_port()
    engine.ok("run", "-d", "--name", "victim", "--network", "k", "--ip", "10.235.0.9", "-p",
              f"127.0.0.1:{port}:80", "busybox", "sleep", "120")
    mon = engine.inspect("victim")["Hako"]["Monitor"]["Pid"]
    assert nft_elements() != []
    os.kill(mon, signal.SIGKILL)
    while os.path.exists(f"/proc/{mon}"):
        time.sleep(0.02)
    # the next allocation on the network finds the entry stale and reclaims its address
    engine.ok("run", "--rm", "--network", "k", "--ip", "10.235.0.9", "busybox", "true")
    assert nft_elements() == []
    assert not free_in_use(port)
    assert "Exited" in engine.ok("ps", "-a", "--format", "{{.Status}}").stdout
    engine.ok("rm", "-f", "victim")
    engine.ok("network", "rm", "k")


def test_killed_monitor_refresh_releases(engine):
    port = free_port()
    engine.ok("run", "-d", "--name", "v2", "-p", f"127.0.0.1:{port}:80", "busybox", "sleep",
              "120")
    mon = engine.inspect("v2")["Hako"]["Monitor"]["Pid"]
    os.kill(mon, signal.SIGKILL)
    while os.path.exists(f"/proc/{mon}"):
        time.sleep(0.02)
    engine.ok("ps", "-a")
    assert nft_elements() == []
    assert engine.inspect("v2")["NetworkSettings"]["Ports"] == {}
