#!/bin/sh
# One full `run` of /bin/true in the same busybox bundle: hako-runtime, crun and runc side by
# side in one hyperfine run, reported as ratios; plus each runtime's peak resident memory.
#
# crun 1.8.1 refuses a hybrid cgroup host (v1 + a cgroup2 mount at /sys/fs/cgroup/unified):
# there it runs inside `unshare -m` with the unified mount detached in that private namespace,
# and the wrapper's own cost is measured as a row of its own.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
build=${HAKO_BUILD:-$repo/build}
runs=${RUNS:-200}
# state roots on tmpfs (/run), where runtimes keep them in real use
work=$(mktemp -d /run/hako-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

bundle=$work/bundle
mkdir -p "$bundle"
/usr/bin/python3 "$repo/tests/integration/rootfs.py" "$bundle/rootfs"
"$build/hako-runtime" spec --bundle "$bundle"
/usr/bin/python3 - "$bundle/config.json" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/true"]
c["ociVersion"] = "1.0.2"  # crun 1.8.1 knows no later version
json.dump(c, open(p, "w"), indent=2)
PY

cd "$bundle"
hako="$build/hako-runtime --root $work/hako run b"
runc="runc --root $work/runc run b"
if grep -q ' /sys/fs/cgroup/unified ' /proc/self/mountinfo; then
    crun="unshare -m sh -c 'umount /sys/fs/cgroup/unified && exec crun --root $work/crun run b'"
    wrap="unshare -m sh -c 'umount /sys/fs/cgroup/unified && exec /bin/true'"
else
    crun="crun --root $work/crun run b"
    wrap=""
fi

set -- -n hako-runtime "$hako" -n crun "$crun" -n runc "$runc"
[ -n "$wrap" ] && set -- "$@" -n "crun's wrapper alone" "$wrap"
hyperfine --warmup 10 --runs "$runs" --shell=none --export-json "$work/times.json" "$@" \
    >/dev/null 2>&1 || hyperfine --warmup 10 --runs "$runs" -N --export-json "$work/times.json" "$@" >/dev/null

rss() { # peak resident set of a command and its children, in KiB
    /usr/bin/time -f %M sh -c "$1" 2>&1 >/dev/null | tail -n 1
}
mem_hako=$(rss "$hako"); mem_crun=$(rss "$crun"); mem_runc=$(rss "$runc")

/usr/bin/python3 - "$work/times.json" "$mem_hako" "$mem_crun" "$mem_runc" <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))["results"]
mem = dict(zip(["hako-runtime", "crun", "runc"], sys.argv[2:5]))
t = {r["command"]: r for r in res}
base = t["hako-runtime"]["mean"]
print("| runtime | mean | ± σ | vs hako-runtime | peak RSS |")
print("|---|---|---|---|---|")
for name, r in t.items():
    m = mem.get(name)
    print(f"| {name} | {r['mean']*1000:.2f} ms | {r['stddev']*1000:.2f} ms | "
          f"{r['mean']/base:.2f}× | {m + ' KiB' if m else '—'} |")
if "crun's wrapper alone" in t:
    net = t["crun"]["mean"] - t["crun's wrapper alone"]["mean"]
    print(f"\ncrun without its wrapper: {net*1000:.2f} ms "
          f"(hako-runtime is {base/net:.2f}× of it)")
PY
