#!/bin/sh
# Push the same 3-layer image (a busybox rootfs, /usr/lib/python3.11, /usr/share/doc; gzip
# layers) to a local registry (Debian's docker-registry on 127.0.0.1) with `hako push` and
# with `skopeo copy oci:… docker://…`, side by side in one hyperfine run, and print the ratio.
# Each run starts from an empty registry (--prepare wipes its storage), so every blob goes up.
# Not a test: numbers only.
#
#   bench/push.sh
#   BENCH_DIRS="/usr/include" HAKO=build/hako RUNS=10 bench/push.sh
set -eu
cd "$(dirname "$0")/.."
HAKO=${HAKO:-build/hako}
RUNS=${RUNS:-5}
[ "$(id -u)" -eq 0 ] || { echo "bench/push.sh: run as root" >&2; exit 1; }
for t in docker-registry skopeo hyperfine; do
  command -v $t >/dev/null || { echo "bench/push.sh: $t is missing (scripts/deps.sh --bench)" >&2; exit 1; }
done

DIRS=${BENCH_DIRS:-"/usr/lib/python3.11 /usr/share/doc"}
. bench/registry.sh
# hako gets the same blobs through the registry under another name (localhost: no mount source)
skopeo copy -q --dest-tls-verify=false "oci:$T/oci-src:bench" "docker://127.0.0.1:$PORT/src/img:latest"
"$HAKO" --root "$T/hako-root" pull -q "localhost:$PORT/src/img:latest" >/dev/null
DEST=127.0.0.1:$PORT/bench/img:latest
"$HAKO" --root "$T/hako-root" tag "localhost:$PORT/src/img:latest" "$DEST"
du -sh "$T/registry" | awk '{print "compressed image: " $1}' >&2

hyperfine --runs "$RUNS" --warmup 1 --export-json "$T/result.json" \
  --prepare "rm -rf $T/registry/docker" \
  -n "hako push" "$HAKO --root $T/hako-root push -q $DEST" \
  --prepare "rm -rf $T/registry/docker" \
  -n "skopeo copy" "skopeo copy -q --dest-tls-verify=false oci:$T/oci-src:bench docker://$DEST"

/usr/bin/python3 - "$T/result.json" <<'PY'
import json, sys
r = {x["command"]: x["mean"] for x in json.load(open(sys.argv[1]))["results"]}
h, s = r["hako push"], r["skopeo copy"]
print()
print("hako push:   %.3f s" % h)
print("skopeo copy: %.3f s   hako takes %.2fx of skopeo's time" % (s, h / s))
PY
