#!/bin/sh
# The Docker Engine API, hako's service against dockerd (Debian's docker.io), each with its own
# roots and socket, driven by the same docker CLI, in one hyperfine run per comparison:
#   1. `docker run --rm busybox true`
#   2. `docker ps` with 100 running containers
# Prints markdown tables with ratios. RUNS=N sets hyperfine's runs; N_CONTAINERS the ps load.
# dockerd runs without a bridge or iptables (--bridge=none), the containers with --network
# none on both sides, so no firewall rule is touched.
set -eu
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
build=${HAKO_BUILD:-$repo/build}
runs=${RUNS:-20}
n=${N_CONTAINERS:-100}
cli=${DOCKER_CLI:-/usr/local/bin/docker}
work=$(mktemp -d /tmp/hako-bench-api.XXXXXX)
svc_pid=""
dockerd_pid=""

hako() { "$build/hako" --root "$work/hako" --runroot "$work/hako-run" "$@"; }
dh() { DOCKER_CONFIG="$work/cfg" "$cli" -H "unix://$work/hako.sock" "$@"; }
dd() { DOCKER_CONFIG="$work/cfg" "$cli" -H "unix://$work/docker.sock" "$@"; }

cleanup() {
    set +e
    for c in $(hako ps -aq 2>/dev/null); do hako rm -f "$c" >/dev/null 2>&1; done
    [ -n "$svc_pid" ] && kill "$svc_pid" 2>/dev/null && wait "$svc_pid" 2>/dev/null
    if [ -n "$dockerd_pid" ]; then
        dd rm -f $(dd ps -aq) >/dev/null 2>&1
        kill "$dockerd_pid" 2>/dev/null
        wait "$dockerd_pid" 2>/dev/null
    fi
    remove_workdir "$work"
}
trap cleanup EXIT INT TERM

for t in hyperfine dockerd; do
    command -v $t >/dev/null || { echo "bench/api.sh: $t is missing (scripts/deps.sh --bench)" >&2; exit 1; }
done
[ -x "$cli" ] || { echo "bench/api.sh: no docker CLI at $cli" >&2; exit 1; }
mkdir -p "$work/cfg"
hako image build-busybox >/dev/null
hako save -o "$work/busybox.tar" busybox
"$build/hako" --root "$work/hako" --runroot "$work/hako-run" system service --time 0 \
    -H "unix://$work/hako.sock" >"$work/service.log" 2>&1 & # not the function: $! is hako's

svc_pid=$!
dockerd --data-root "$work/docker-data" --exec-root "$work/docker-exec" \
    -H "unix://$work/docker.sock" --pidfile "$work/docker.pid" --bridge=none \
    --iptables=false --ip6tables=false >"$work/dockerd.log" 2>&1 &
dockerd_pid=$!
i=0
until dh version >/dev/null 2>&1 && dd version >/dev/null 2>&1; do
    i=$((i + 1))
    [ $i -gt 150 ] && { tail "$work/dockerd.log" "$work/service.log" >&2; exit 1; }
    sleep 0.2
done
dd load -i "$work/busybox.tar" >/dev/null
dh run --rm --network none busybox true
dd run --rm --network none busybox true

hyperfine --warmup 3 --runs "$runs" -N --export-json "$work/run.json" \
    -n "hako service" "env DOCKER_CONFIG=$work/cfg $cli -H unix://$work/hako.sock run --rm --network none busybox true" \
    -n "dockerd" "env DOCKER_CONFIG=$work/cfg $cli -H unix://$work/docker.sock run --rm --network none busybox true" \
    >"$work/hf1.log" 2>&1 || { cat "$work/hf1.log" >&2; exit 1; }

k=0
while [ $k -lt "$n" ]; do
    dh run -d --network none busybox sleep 3600 >/dev/null
    dd run -d --network none busybox sleep 3600 >/dev/null
    k=$((k + 1))
done
hyperfine --warmup 3 --runs "$runs" -N --export-json "$work/ps.json" \
    -n "hako service" "env DOCKER_CONFIG=$work/cfg $cli -H unix://$work/hako.sock ps" \
    -n "dockerd" "env DOCKER_CONFIG=$work/cfg $cli -H unix://$work/docker.sock ps" \
    >"$work/hf2.log" 2>&1 || { cat "$work/hf2.log" >&2; exit 1; }

/usr/bin/python3 - "$work/run.json" "$work/ps.json" "$n" <<'PY'
import json, sys
for path, what in ((sys.argv[1], "`docker run --rm --network none busybox true`"),
                   (sys.argv[2], f"`docker ps` with {sys.argv[3]} running containers")):
    res = {r["command"]: r for r in json.load(open(path))["results"]}
    base = res["hako service"]["mean"]
    print(f"{what}, one hyperfine run:\n")
    print("| engine | mean | ± σ | vs hako |")
    print("|---|---|---|---|")
    for name, r in res.items():
        print(f"| {name} | {r['mean']*1000:.1f} ms | {r['stddev']*1000:.1f} ms | "
              f"{r['mean']/base:.2f}× |")
    print(f"\nhako's service takes {base/res['dockerd']['mean']:.2f}× of dockerd's time.\n")
PY
