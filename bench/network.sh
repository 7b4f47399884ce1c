#!/bin/sh
# Networking benchmarks, both inside a throwaway network namespace (`unshare -n`), so neither
# engine touches the host's interfaces or firewall (podman's CNI plugins write iptables rules):
#  1. `hako run --rm --network bridge busybox true` against `podman run --rm` on its default
#     network (CNI bridge + host-local + portmap + firewall) and hako's own loopback-only
#     `--network default`, in one hyperfine run;
#  2. throughput host -> container: 512 MiB sent to a published port on 127.0.0.1 (kernel DNAT)
#     against the same sent straight to the container's address, in one hyperfine run.
# RUNS=N sets the runs of the first (the second takes RUNS/3, at least 5).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
build=${HAKO_BUILD:-$repo/build}
if [ "${1:-}" != "--inside" ]; then
    exec unshare -n -m --propagation private "$0" --inside
fi
runs=${RUNS:-30}
work=$(mktemp -d /tmp/hako-bench-net.XXXXXX)
ip link set lo up
mount -t tmpfs tmpfs /run/netns 2>/dev/null || true
export HAKO_NET_PREFIX=hkb

hako() { "$build/hako" --root "$work/hako" --runroot "$work/hako-run" "$@"; }
podman_() {
    podman --root "$work/podman" --runroot "$work/podman-run" --storage-driver overlay \
        --cgroup-manager cgroupfs --events-backend file --tmpdir "$work/podman-tmp" \
        --runtime runc "$@"
}
cleanup() {
    set +e
    for c in $(hako ps -aq 2>/dev/null); do hako rm -f "$c" >/dev/null 2>&1; done
    if command -v podman >/dev/null; then
        podman_ rm -af -t 0 >/dev/null 2>&1
        podman_ system reset -f >/dev/null 2>&1
    fi
    grep -o " $work[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do
        umount -l "$m" 2>/dev/null
    done
    rm -rf "$work" "/run/hako-net/hkb0"
}
trap cleanup EXIT INT TERM

hako image build-busybox >/dev/null
hako run --rm --network bridge busybox true
set -- -n "hako bridge" "$build/hako --root $work/hako --runroot $work/hako-run run --rm \
--network bridge busybox true" -n "hako default" "$build/hako --root $work/hako --runroot \
$work/hako-run run --rm --network default busybox true"
podman_ulimits="--ulimit nofile=1024:1024 --ulimit nproc=1024:1024"
if command -v podman >/dev/null && command -v conmon >/dev/null; then
    mkdir -p "$work/podman-tmp"
    hako save -o "$work/busybox.tar" busybox
    podman_ load -i "$work/busybox.tar" >/dev/null 2>&1
    podman_ run --rm $podman_ulimits busybox true
    set -- "$@" -n "podman bridge" "podman --root $work/podman --runroot $work/podman-run \
--storage-driver overlay --cgroup-manager cgroupfs --events-backend file \
--tmpdir $work/podman-tmp --runtime runc run --rm $podman_ulimits busybox true"
fi
hyperfine --warmup 3 --runs "$runs" -N --export-json "$work/run.json" "$@" \
    >"$work/hyperfine.log" 2>&1 || { cat "$work/hyperfine.log" >&2; exit 1; }

# --- throughput: a sink in the container, 1 GiB from the host ---------------------------------
# the sink is the host's python3 in the busybox container (busybox nc relistens too slowly)
hako run -d --name sink -p 127.0.0.1:18000:9000 -v /usr:/usr:ro -v /usr/lib:/lib:ro \
    -v /usr/lib64:/lib64:ro busybox /usr/bin/python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 9000)); s.listen(16)
while True:
    c, _ = s.accept()
    while c.recv(1 << 20):
        pass
    c.close()' >/dev/null
cip=$(hako inspect -f '{{.NetworkSettings.IPAddress}}' sink)
send="/usr/bin/python3 $here/net-send.py"
trun=$((runs / 3)); [ $trun -lt 5 ] && trun=5
hyperfine --warmup 2 --runs "$trun" -N --export-json "$work/tput.json" \
    -n "published 127.0.0.1:18000" "$send 127.0.0.1 18000" -n "direct $cip:9000" \
    "$send $cip 9000" >"$work/hyperfine2.log" 2>&1 || { cat "$work/hyperfine2.log" >&2; exit 1; }

/usr/bin/python3 - "$work/run.json" "$work/tput.json" <<'PY'
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
base = res["hako bridge"]["mean"]
print("`run --rm busybox true` on a bridge, one hyperfine run (in a throwaway netns):\n")
print("| engine, network | mean | ± σ | vs hako bridge |")
print("|---|---|---|---|")
for name, r in res.items():
    print(f"| {name} | {r['mean']*1000:.1f} ms | {r['stddev']*1000:.1f} ms | "
          f"{r['mean']/base:.2f}× |")
if "podman bridge" in res:
    print(f"\nhako on its bridge takes {base/res['podman bridge']['mean']*100:.1f}% of "
          "podman's time on its bridge.")
t = json.load(open(sys.argv[2]))["results"]
print("\n512 MiB host -> container, one hyperfine run:\n")
print("| path | mean | throughput |")
print("|---|---|---|")
for r in t:
    print(f"| {r['command']} | {r['mean']*1000:.0f} ms | {512/r['mean']:.0f} MiB/s |")
print(f"\npublished port / direct: {t[1]['mean']/t[0]['mean']:.2f}× the throughput.")
PY
