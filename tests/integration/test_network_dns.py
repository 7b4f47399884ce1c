"""The DNS responder of user networks (src/engine/net/dns.c, docs/NETWORKING.md "Names"):
containers resolve their peers by name, alias and short ID through DNS (busybox nslookup,
which skips /etc/hosts), other names are forwarded upstream, and the responder process lives
exactly as long as its network has containers.

Traffic goes only to 127.0.0.1 (the fake upstream resolver this test runs, named through
$HAKO_DNS_UPSTREAM) and to addresses of bridges and containers this test made."""
import json
import os
import signal
import socket
import struct
import threading

import pytest

from conftest import wait_for

OUTSIDE = "outside.example"
OUTSIDE_IP = "192.0.2.7"  # TEST-NET-1: only ever an answer, never contacted


def query(name, qtype=1, qid=0x1234):
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack(">HH", qtype, 1)


def parse_answer(msg):
    """(id, rcode, [addresses as text]) of an answer to a one-question query."""
    qid, flags, qd, an = struct.unpack(">HHHH", msg[:8])
    off = 12
    for _ in range(qd):
        while msg[off] and msg[off] < 0xc0:
            off += msg[off] + 1
        off += 2 if msg[off] >= 0xc0 else 1
        off += 4
    out = []
    for _ in range(an):
        off += 2 if msg[off] >= 0xc0 else 1  # our answers point at the question
        rtype, _cls, _ttl, rdlen = struct.unpack(">HHIH", msg[off:off + 10])
        off += 10
        rd = msg[off:off + rdlen]
        off += rdlen
        if rtype == 1:
            out.append(socket.inet_ntop(socket.AF_INET, rd))
        elif rtype == 28:
            out.append(socket.inet_ntop(socket.AF_INET6, rd))
    return qid, flags & 0xf, out


def ask_udp(server, msg, timeout=3):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(msg, (server, 53))
        return s.recvfrom(4096)[0]


def ask_tcp(server, msg, timeout=3):
    with socket.create_connection((server, 53), timeout=timeout) as s:
        s.sendall(struct.pack(">H", len(msg)) + msg)
        n = struct.unpack(">H", s.recv(2, socket.MSG_WAITALL))[0]
        return s.recv(n, socket.MSG_WAITALL)


class FakeResolver:
    """A tiny resolver on 127.0.0.x: OUTSIDE is answer, every other name NXDOMAIN; seen has
    the names it was asked."""

    def __init__(self, addr="127.0.0.1", port=0, answer=OUTSIDE_IP):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((addr, port))
        self.port = self.sock.getsockname()[1]
        self.answer = answer
        self.seen = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        s = self.sock
        s.settimeout(0.2)
        while not self.stop.is_set():
            try:
                msg, addr = s.recvfrom(4096)
            except socket.timeout:
                continue
            off, labels = 12, []
            while msg[off]:
                labels.append(msg[off + 1:off + 1 + msg[off]].decode().lower())
                off += msg[off] + 1
            name, qtype = ".".join(labels), struct.unpack(">H", msg[off + 1:off + 3])[0]
            self.seen.append(name)
            question = msg[12:off + 5]
            head = msg[:2]
            if name == OUTSIDE and qtype == 1:
                rr = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + \
                    socket.inet_aton(self.answer)
                s.sendto(head + struct.pack(">HHHHH", 0x8180, 1, 1, 0, 0) + question + rr, addr)
            else:
                rcode = 0 if name == OUTSIDE else 3
                s.sendto(head + struct.pack(">HHHHH", 0x8180 | rcode, 1, 0, 0, 0) + question,
                         addr)

    def close(self):
        self.stop.set()
        self.thread.join()
        self.sock.close()


@pytest.fixture
def upstream(monkeypatch):
    """The upstream the responders this test starts forward to (HAKO_DNS_UPSTREAM)."""
    r = FakeResolver()
    monkeypatch.setenv("HAKO_DNS_UPSTREAM", f"127.0.0.1:{r.port}")
    yield r.seen
    r.close()


def net_info(engine, name):
    n = json.loads(engine.ok("network", "inspect", name).stdout)[0]
    return n["IPAM"]["Config"][0]["Gateway"], n["Options"]["com.docker.network.bridge.name"]


def responder(bridge):
    """The pid of the network's responder, from its record, or None."""
    try:
        with open(f"/run/hako-net/{bridge}/dns") as f:
            pid = json.load(f)["Pid"]
    except OSError:
        return None
    return pid if os.path.exists(f"/proc/{pid}") else None


def gone(pid):
    """Whether process pid has ended (a zombie waiting for init to reap it has)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except OSError:
        return True


def nslookup(engine, container, name, server=None):
    """busybox nslookup in the container: (exit code, addresses it printed)."""
    p = engine("exec", container, "nslookup", name, *([server] if server else []))
    addrs = [l.split(":", 1)[1].strip() for l in p.stdout.split("\n\n", 1)[-1].splitlines()
             if l.startswith("Address")]
    return p.returncode, addrs, p.stdout + p.stderr


def test_names_through_dns_forwarding_and_lifetime(engine, upstream):
    engine.ok("network", "create", "--subnet", "10.231.20.0/24", "dnsnet")
    gw, bridge = net_info(engine, "dnsnet")
    assert responder(bridge) is None  # nothing before a container needs it
    engine.ok("run", "-d", "--name", "db", "--network", "dnsnet", "--network-alias", "Postgres",
              "busybox", "sleep", "120")
    engine.ok("run", "-d", "--name", "app", "--network", "dnsnet", "busybox", "sleep", "120")
    pid = responder(bridge)
    assert pid, "no responder for the network"
    db = engine.inspect("db")
    db_ip = db["NetworkSettings"]["Networks"]["dnsnet"]["IPAddress"]
    # resolv.conf names the responder on the gateway
    resolv = engine.ok("exec", "app", "cat", "/etc/resolv.conf").stdout
    assert [l for l in resolv.splitlines() if l.startswith("nameserver")] == [f"nameserver {gw}"]
    # name, alias (any case) and short ID, through the server named and through resolv.conf
    for name in ("db", "postgres", "DB", db["Id"][:12]):
        rc, addrs, out = nslookup(engine, "app", name, gw)
        assert rc == 0 and addrs == [db_ip], out
    rc, addrs, out = nslookup(engine, "app", "postgres")
    assert rc == 0 and addrs == [db_ip], out
    # /etc/hosts keeps working alongside
    assert db_ip in engine.ok("exec", "app", "grep", "-w", "db", "/etc/hosts").stdout
    # a peer started later is known at once
    engine.ok("run", "-d", "--name", "late", "--network", "dnsnet", "busybox", "sleep", "120")
    late_ip = engine.inspect("late")["NetworkSettings"]["IPAddress"]
    rc, addrs, out = nslookup(engine, "app", "late")
    assert rc == 0 and addrs == [late_ip], out
    # removed: NXDOMAIN, answered by the responder itself (never asked upstream)
    engine.ok("rm", "-f", "late")
    rc, addrs, out = nslookup(engine, "app", "late", gw)
    assert rc != 0 and "NXDOMAIN" in out, out
    assert "late" not in upstream
    # another name goes to the upstream resolver, and its answer comes back
    rc, addrs, out = nslookup(engine, "app", OUTSIDE, gw)
    assert rc == 0 and addrs == [OUTSIDE_IP], out
    assert OUTSIDE in upstream
    rc, addrs, out = nslookup(engine, "app", "nowhere.example", gw)
    assert rc != 0 and "NXDOMAIN" in out, out
    # the same over TCP, asked from the host (the gateway is a host address)
    qid, rcode, addrs = parse_answer(ask_tcp(gw, query("postgres", qid=77)))
    assert (qid, rcode, addrs) == (77, 0, [db_ip])
    qid, rcode, addrs = parse_answer(ask_tcp(gw, query(OUTSIDE, qid=78)))
    assert (qid, rcode, addrs) == (78, 0, [OUTSIDE_IP])
    # A name known with no AAAA (not an --ipv6 network): no error, no address
    assert parse_answer(ask_udp(gw, query("db", qtype=28)))[1:] == (0, [])
    # one responder for the network, the same process all along
    assert responder(bridge) == pid
    # the last container gone: the responder ends with it; the next start brings it back
    engine.ok("rm", "-f", "db", "app")
    assert responder(bridge) is None and gone(pid)
    engine.ok("run", "-d", "--name", "again", "--network", "dnsnet", "busybox", "sleep", "120")
    pid2 = responder(bridge)
    assert pid2 and pid2 != pid
    # network rm (with prune's cleanup of the container) leaves no process behind
    engine.ok("rm", "-f", "again")
    engine.ok("network", "rm", "dnsnet")
    assert gone(pid2)
    assert not os.path.exists(f"/run/hako-net/{bridge}")


def test_malformed_queries_do_not_crash_it(engine, upstream):
    engine.ok("network", "create", "--subnet", "10.231.21.0/24", "badq")
    gw, bridge = net_info(engine, "badq")
    engine.ok("run", "-d", "--name", "peer", "--network", "badq", "busybox", "sleep", "120")
    ip = engine.inspect("peer")["NetworkSettings"]["IPAddress"]
    pid = responder(bridge)
    head = struct.pack(">HHHHHH", 9, 0x0100, 1, 0, 0, 0)
    bad = [
        b"",                                       # nothing
        b"\x00\x01\x02",                           # shorter than a header
        head,                                      # a question announced, none there
        head + b"\xc0\x0c\x00\x01\x00\x01",        # a pointer to itself: a loop
        head + b"\x01a\xc0\x0e\x00\x01\x00\x01",   # a pointer forwards
        head + b"\x40" + b"a" * 64 + b"\0\0\1\0\1",  # a label over 63
        head + (b"\x3f" + b"a" * 63) * 5 + b"\0\0\1\0\1",  # a name over 255
        head + b"\x04peer",                        # cut inside the name
        head + b"\x04peer\x00\x00",                # cut inside the question
        os.urandom(300),
    ]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for m in bad:
            s.sendto(m, (gw, 53))
    # a malformed query with an intact header gets FORMERR
    assert parse_answer(ask_udp(gw, head + b"\xc0\x0c\x00\x01\x00\x01"))[1] == 1
    # a TCP client that never sends its query does not block the others
    idle = socket.create_connection((gw, 53), timeout=3)
    assert parse_answer(ask_udp(gw, query("PEER")))[1:] == (0, [ip])
    rc, addrs, out = nslookup(engine, "peer", "peer", gw)
    assert rc == 0 and addrs == [ip], out
    idle.close()
    assert responder(bridge) == pid
    engine.ok("rm", "-f", "peer")
    engine.ok("network", "rm", "badq")
    assert gone(pid)


def test_internal_network_resolves_names_but_forwards_nothing(engine, upstream):
    engine.ok("network", "create", "--internal", "--subnet", "10.231.22.0/24", "inner")
    gw, _ = net_info(engine, "inner")
    engine.ok("run", "-d", "--name", "ia", "--network", "inner", "busybox", "sleep", "120")
    engine.ok("run", "-d", "--name", "ib", "--network", "inner", "busybox", "sleep", "120")
    rc, addrs, out = nslookup(engine, "ia", "ib")
    assert rc == 0 and addrs == [engine.inspect("ib")["NetworkSettings"]["Networks"]["inner"][
        "IPAddress"]], out
    rc, addrs, out = nslookup(engine, "ia", OUTSIDE, gw)
    assert rc != 0 and not addrs, out
    assert OUTSIDE not in upstream
    engine.ok("rm", "-f", "ia", "ib")
    engine.ok("network", "rm", "inner")


def test_ipv6_network_answers_aaaa(engine, upstream):
    if not os.path.exists("/proc/net/if_inet6"):
        pytest.skip("the host has no IPv6")
    engine.ok("network", "create", "--ipv6", "--subnet", "10.231.23.0/24", "six")
    gw, _ = net_info(engine, "six")
    engine.ok("run", "-d", "--name", "v6peer", "--network", "six", "busybox", "sleep", "120")
    ep = engine.inspect("v6peer")["NetworkSettings"]["Networks"]["six"]
    _, rcode, addrs = parse_answer(ask_udp(gw, query("v6peer", qtype=28)))
    assert rcode == 0 and addrs == [ep["GlobalIPv6Address"]]
    _, rcode, addrs = parse_answer(ask_udp(gw, query("v6peer")))
    assert rcode == 0 and addrs == [ep["IPAddress"]]
    engine.ok("rm", "-f", "v6peer")
    engine.ok("network", "rm", "six")


def test_default_bridge_and_dns_flag(engine, upstream):
    # the default bridge has no responder, as docker's has no name resolution
    engine.ok("run", "-d", "--name", "b1", "--network", "bridge", "busybox", "sleep", "120")
    engine.ok("run", "-d", "--name", "b2", "--network", "bridge", "busybox", "sleep", "120")
    gw, bridge = net_info(engine, "bridge")
    assert responder(bridge) is None
    resolv = engine.ok("exec", "b1", "cat", "/etc/resolv.conf").stdout
    assert f"nameserver {gw}" not in resolv
    engine.ok("rm", "-f", "b1", "b2")
    # on a user network --dns-search/--dns-option are kept beside the responder
    engine.ok("network", "create", "--subnet", "10.231.24.0/24", "flags")
    gw, _ = net_info(engine, "flags")
    p = engine.ok("run", "--rm", "--network", "flags", "--dns-search", "corp.example",
                  "--dns-option", "ndots:2", "busybox", "cat", "/etc/resolv.conf")
    assert [l for l in p.stdout.splitlines() if l.startswith("nameserver")] == \
        [f"nameserver {gw}"]
    assert "search corp.example\n" in p.stdout and "options ndots:2\n" in p.stdout
    engine.ok("network", "rm", "flags")


def test_dns_flag_servers_get_the_containers_other_names(engine, upstream):
    """--dns on a user network, as docker: resolv.conf still names the responder, which
    resolves the peers and forwards that container's other names to its --dns servers."""
    try:
        mine = FakeResolver("127.0.0.77", 53, answer="192.0.2.8")
    except OSError as e:
        pytest.skip(f"cannot serve on 127.0.0.77:53 ({e})")
    try:
        engine.ok("network", "create", "--subnet", "10.231.25.0/24", "withdns")
        gw, _ = net_info(engine, "withdns")
        engine.ok("run", "-d", "--name", "own", "--network", "withdns", "--dns", "127.0.0.77",
                  "busybox", "sleep", "120")
        engine.ok("run", "-d", "--name", "plain", "--network", "withdns", "busybox", "sleep",
                  "120")
        resolv = engine.ok("exec", "own", "cat", "/etc/resolv.conf").stdout
        assert [l for l in resolv.splitlines() if l.startswith("nameserver")] == \
            [f"nameserver {gw}"]
        assert "# ExtServers: 127.0.0.77\n" in resolv
        plain_ip = engine.inspect("plain")["NetworkSettings"]["IPAddress"]
        rc, addrs, out = nslookup(engine, "own", "plain")
        assert rc == 0 and addrs == [plain_ip], out
        rc, addrs, out = nslookup(engine, "own", OUTSIDE)
        assert rc == 0 and addrs == ["192.0.2.8"], out
        assert OUTSIDE in mine.seen and OUTSIDE not in upstream
        # its neighbour without --dns still goes to the network's upstream
        rc, addrs, out = nslookup(engine, "plain", OUTSIDE)
        assert rc == 0 and addrs == [OUTSIDE_IP], out
        engine.ok("rm", "-f", "own", "plain")
        engine.ok("network", "rm", "withdns")
    finally:
        mine.close()


def test_responder_ends_when_its_only_containers_monitor_is_killed(engine, upstream):
    """No command runs after the SIGKILL: the responder finds no live container on its own
    (every 2 s) and ends, taking its record along."""
    engine.ok("network", "create", "--subnet", "10.231.26.0/24", "lone")
    _, bridge = net_info(engine, "lone")
    engine.ok("run", "-d", "--name", "solo", "--network", "lone", "busybox", "sleep", "120")
    pid = responder(bridge)
    assert pid
    mon = engine.inspect("solo")["Hako"]["Monitor"]["Pid"]
    os.kill(mon, signal.SIGKILL)
    wait_for(lambda: gone(pid), timeout=10, what="the responder to end")
    assert not os.path.exists(f"/run/hako-net/{bridge}/dns")
    engine.ok("rm", "-f", "solo")
    engine.ok("network", "rm", "lone")
