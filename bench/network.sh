#!/bin/sh
# Networking benchmarks, both inside a throwaway network namespace (`unshare -n`), so neither
# engine touches the host's interfaces or firewall (podman's CNI plugins write iptables rules):
#  1. `hako run --rm --network bridge busybox true` against `podman run --rm` on its default
#     network (CNI bridge + host-local + portmap + firewall) and hako's own loopback-only
#     `--network default`, in one hyperfine run;
#  2. throughput host -> container: 512 MiB sent to a published port on 127.0.0.1 (kernel DNAT)
#     against the same sent straight to the container's address, both in each hyperfine run
#     of alternating rounds.
# RUNS=N sets the runs of the first (the second takes RUNS/3 rounds, at least 5).
set -eu
. "$(dirname "$0")/lib.sh"
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
    remove_workdir "$work"
    rm -rf "/run/hako-net/hkb0"
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
# one hyperfine run per round, both paths side by side in it, the rounds alternating which
# goes first: on a shared machine the load drifts within a run, and a run that times all of
# one path before the other hands that drift to one side (it measured 0.65x that way, 0.97x
# alternated, on the same kernel path)
i=0
while [ $i -lt "$trun" ]; do
    set -- -n "published 127.0.0.1:18000" "$send 127.0.0.1 18000" -n "direct $cip:9000" \
        "$send $cip 9000"
    [ $((i % 2)) -eq 1 ] && set -- -n "direct $cip:9000" "$send $cip 9000" \
        -n "published 127.0.0.1:18000" "$send 127.0.0.1 18000"
    hyperfine --warmup 1 --runs 1 -N --export-json "$work/tput$i.json" "$@" \
        >"$work/hyperfine2.log" 2>&1 || { cat "$work/hyperfine2.log" >&2; exit 1; }
    i=$((i + 1))
done

/usr/bin/python3 - "$work/run.json" "$work"/tput*.json <<'PY'
import json, statistics, sys
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
times, ratios = {}, []
for path in sys.argv[2:]:
    r = {x["command"].split()[0]: x["mean"] for x in json.load(open(path))["results"]}
    for k, v in r.items():
        times.setdefault(k, []).append(v)
    ratios.append(r["direct"] / r["published"])
print(f"\n512 MiB host -> container, {len(ratios)} rounds of one hyperfine run of both paths "
      "(alternating which goes first):\n")
print("| path | median | throughput |")
print("|---|---|---|")
for k, v in times.items():
    m = statistics.median(v)
    print(f"| {k} | {m*1000:.0f} ms | {512/m:.0f} MiB/s |")
print(f"\npublished port / direct: {statistics.median(ratios):.2f}× the throughput (median "
      f"of the rounds' ratios; range {min(ratios):.2f}–{max(ratios):.2f}).")
PY
