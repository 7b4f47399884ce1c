#!/bin/sh
# `hako run --rm busybox true` against `podman run --rm --network none` and `docker run --rm`
# in one hyperfine run, on the same busybox image (hako's build-busybox, saved and loaded into
# the others), each engine with its own storage in a temp dir; then the resident memory of what
# each keeps per running container (hako's monitor, podman's conmon, docker's shim) for a
# detached `sleep`. Prints markdown tables with ratios.
#
# podman runs with runc (crun 1.8 refuses this host's hybrid cgroups) and explicit ulimits
# (its defaults exceed the host's hard limits).
#
# dockerd is started here with its own data root, exec root and socket, no bridge and no
# iptables, and stopped at the end. RUNS=N sets hyperfine's runs.
set -eu
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
build=${HAKO_BUILD:-$repo/build}
runs=${RUNS:-30}
work=$(mktemp -d /tmp/hako-bench-engine.XXXXXX)
dockerd_pid=""

hako() { "$build/hako" --root "$work/hako" --runroot "$work/hako-run" "$@"; }
podman_() {
    podman --root "$work/podman" --runroot "$work/podman-run" --storage-driver overlay \
        --cgroup-manager cgroupfs --events-backend file --tmpdir "$work/podman-tmp" \
        --runtime runc "$@"
}
docker=${DOCKER:-/usr/bin/docker} # Debian's docker.io CLI
docker_() { "$docker" -H "unix://$work/docker.sock" "$@"; }

cleanup() {
    set +e
    for c in $(hako ps -aq 2>/dev/null); do hako rm -f "$c" >/dev/null 2>&1; done
    if command -v podman >/dev/null; then
        podman_ rm -af -t 0 >/dev/null 2>&1
        podman_ system reset -f >/dev/null 2>&1 # unmounts its overlay storage
    fi
    if [ -n "$dockerd_pid" ]; then
        docker_ rm -f $(docker_ ps -aq) >/dev/null 2>&1
        kill "$dockerd_pid" 2>/dev/null
        wait "$dockerd_pid" 2>/dev/null
    fi
    remove_workdir "$work"
}
trap cleanup EXIT INT TERM

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# --- the image, in each engine's store --------------------------------------------------------
hako image build-busybox >/dev/null
hako save -o "$work/busybox.tar" busybox
hako run --rm busybox true # warm the page cache and the store

set -- -n "hako" "$build/hako --root $work/hako --runroot $work/hako-run run --rm busybox true"
have_podman=false
# podman asks for nofile/nproc limits of 1M/4M by default, above this host's hard limits (no
# CAP_SYS_RESOURCE here): the runtime fails with EPERM. Give it limits it can set. crun 1.8
# refuses hybrid cgroup hosts: podman uses runc.
podman_ulimits="--ulimit nofile=1024:1024 --ulimit nproc=1024:1024"
if command -v podman >/dev/null && command -v conmon >/dev/null; then
    mkdir -p "$work/podman-tmp"
    podman_ load -i "$work/busybox.tar" >/dev/null 2>&1
    podman_ run --rm --network none $podman_ulimits busybox true
    set -- "$@" -n "podman" "podman --root $work/podman --runroot $work/podman-run \
--storage-driver overlay --cgroup-manager cgroupfs --events-backend file \
--tmpdir $work/podman-tmp --runtime runc run --rm --network none $podman_ulimits busybox true"
    have_podman=true
else
    echo "bench: podman or conmon missing (scripts/deps.sh --bench installs them)" >&2
fi
have_docker=false
if command -v dockerd >/dev/null && [ -x "$docker" ]; then
    dockerd --data-root "$work/docker-data" --exec-root "$work/docker-exec" \
        -H "unix://$work/docker.sock" --pidfile "$work/docker.pid" --bridge=none \
        --iptables=false --ip6tables=false >"$work/dockerd.log" 2>&1 &
    dockerd_pid=$!
    i=0
    until docker_ version >/dev/null 2>&1; do
        i=$((i + 1))
        [ $i -gt 100 ] && { cat "$work/dockerd.log" >&2; echo "bench: dockerd did not start" >&2; exit 1; }
        sleep 0.2
    done
    docker_ load -i "$work/busybox.tar" >/dev/null
    docker_ run --rm busybox true
    set -- "$@" -n "docker" "$docker -H unix://$work/docker.sock run --rm busybox true"
    have_docker=true
else
    echo "bench: dockerd missing (scripts/deps.sh --bench installs docker.io)" >&2
fi

hyperfine --warmup 3 --runs "$runs" -N --export-json "$work/times.json" "$@" \
    >"$work/hyperfine.log" 2>&1 || { cat "$work/hyperfine.log" >&2; exit 1; }

# --- memory kept per running container --------------------------------------------------------
cid=$(hako run -d busybox sleep 1000)
mon=$(hako inspect -f '{{.Hako.Monitor.Pid}}' "$cid")
mem_hako=$(rss_kib "$mon")
mem_conmon=""
if $have_podman; then
    pid=$(podman_ run -d --network none $podman_ulimits busybox sleep 1000)
    conmon=$(podman_ inspect -f '{{.State.ConmonPid}}' "$pid")
    mem_conmon=$(rss_kib "$conmon")
fi
mem_shim=""
if $have_docker; then
    did=$(docker_ run -d busybox sleep 1000)
    dpid=$(docker_ inspect -f '{{.State.Pid}}' "$did")
    shim=$(awk '{print $4}' "/proc/$dpid/stat")
    mem_shim=$(rss_kib "$shim")
fi

/usr/bin/python3 - "$work/times.json" "$mem_hako" "$mem_conmon" "$mem_shim" <<'PY'
import json, sys
res = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
base = res["hako"]["mean"]
print("`run --rm busybox true`, one hyperfine run:\n")
print("| engine | mean | ± σ | vs hako |")
print("|---|---|---|---|")
for name, r in res.items():
    print(f"| {name} | {r['mean']*1000:.1f} ms | {r['stddev']*1000:.1f} ms | "
          f"{r['mean']/base:.1f}× |")
for peer in ("podman", "docker"):
    if peer in res:
        print(f"\nhako takes {base/res[peer]['mean']*100:.1f}% of {peer}'s time.", end="")
print("\n\nResident memory kept per running container (a detached `sleep`):\n")
print("| process | RSS | vs hako's monitor |")
print("|---|---|---|")
hako, conmon, shim = (int(x) if x else None for x in sys.argv[2:5])
for name, v in (("hako monitor", hako), ("conmon (podman)", conmon),
                ("containerd-shim-runc-v2 (docker)", shim)):
    if v:
        print(f"| {name} | {v} KiB | {v/hako:.1f}× |")
if conmon:
    print(f"\nhako's monitor uses {hako/conmon*100:.1f}% of conmon's memory.")
PY
