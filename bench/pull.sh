#!/bin/sh
# Pull the same multi-layer image from a local registry (Debian's docker-registry on
# 127.0.0.1) with hako, with `skopeo copy` into an OCI directory, and with skopeo + `umoci
# unpack` (the pulled-and-unpacked figure), side by side in one hyperfine run, and print the
# ratios. Each run starts from an empty store (--prepare). Not a test: numbers only.
#
#   bench/pull.sh                 # layers: busybox rootfs, /usr/lib/python3.11, /usr/share/doc, perl
#   BENCH_DIRS="/usr/include" bench/pull.sh
#   HAKO=build/hako RUNS=10 bench/pull.sh
set -eu
cd "$(dirname "$0")/.."
HAKO=${HAKO:-build/hako}
RUNS=${RUNS:-5}
[ "$(id -u)" -eq 0 ] || { echo "bench/pull.sh: run as root (hako unpacks with owners)" >&2; exit 1; }
for t in docker-registry skopeo umoci hyperfine; do
  command -v $t >/dev/null || { echo "bench/pull.sh: $t is missing (scripts/deps.sh --bench)" >&2; exit 1; }
done

DIRS=${BENCH_DIRS:-"/usr/lib/python3.11 /usr/share/doc /usr/lib/x86_64-linux-gnu/perl"}
. bench/registry.sh
REF=127.0.0.1:$PORT/bench/img:latest
skopeo copy -q --dest-tls-verify=false "oci:$T/oci-src:bench" "docker://$REF"
du -sh "$T/registry" | awk '{print "compressed in the registry: " $1}' >&2

hyperfine --runs "$RUNS" --warmup 1 --export-json "$T/result.json" \
  --prepare "rm -rf $T/hako-root" \
  -n "hako pull" "$HAKO --root $T/hako-root pull -q $REF" \
  --prepare "rm -rf $T/oci" \
  -n "skopeo copy" "skopeo copy -q --src-tls-verify=false docker://$REF oci:$T/oci:bench" \
  --prepare "rm -rf $T/oci $T/bundle" \
  -n "skopeo copy + umoci unpack" \
  "skopeo copy -q --src-tls-verify=false docker://$REF oci:$T/oci:bench && umoci unpack --image $T/oci:bench $T/bundle >/dev/null"

/usr/bin/python3 - "$T/result.json" <<'PY'
import json, sys
r = {x["command"]: x["mean"] for x in json.load(open(sys.argv[1]))["results"]}
h = r["hako pull"]
print()
print("hako pull (download + verify + unpack):  %.3f s" % h)
for k in ("skopeo copy", "skopeo copy + umoci unpack"):
    print("%-40s %.3f s   hako is %.2fx %s" % (k + ":", r[k], r[k] / h,
          "faster" if r[k] >= h else "(slower)"))
PY
