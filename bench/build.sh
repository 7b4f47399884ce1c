#!/bin/sh
# A 10-step Dockerfile (FROM the local busybox, RUN, COPY of a small tree, ENV, WORKDIR, CMD):
# `hako build --no-cache` against `buildah bud --layers=false` (Debian's buildah) and, when a
# docker daemon answers `docker info`, `docker build --no-cache` (classic builder), in one
# hyperfine run; then hako's fully cached rebuild. Each tool has its own storage in a temp
# dir. RUNS=N sets hyperfine's runs. Prints markdown tables with ratios.
set -eu
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
build=${HAKO_BUILD:-$repo/build}
runs=${RUNS:-10}
work=$(mktemp -d /tmp/hako-bench-build.XXXXXX)

hako() { "$build/hako" --root "$work/hako" --runroot "$work/hako-run" "$@"; }
buildah_() { buildah --root "$work/buildah" --runroot "$work/buildah-run" --storage-driver overlay "$@"; }

cleanup() {
    set +e
    for c in $(hako ps -aq 2>/dev/null); do hako rm -f "$c" >/dev/null 2>&1; done
    command -v buildah >/dev/null && buildah_ rm -a >/dev/null 2>&1
    remove_workdir "$work"
}
trap cleanup EXIT INT TERM

ctx="$work/ctx"
mkdir -p "$ctx/tree/a" "$ctx/tree/b"
for i in 1 2 3 4 5 6 7 8; do echo "file $i" > "$ctx/tree/a/f$i"; echo "other $i" > "$ctx/tree/b/g$i"; done
cat > "$ctx/Dockerfile" <<'DF'
FROM docker.io/library/busybox:latest
ENV APP=/srv/app MODE=bench
WORKDIR /srv/app
COPY tree/ ./tree/
RUN echo one > /one
RUN mkdir -p /data && echo two > /data/two
COPY tree/a/f1 /etc/f1
RUN cat /etc/f1 > /copied
ENV DONE=1
CMD ["sh", "-c", "cat /copied"]
DF

hako image build-busybox >/dev/null
hako save -o "$work/busybox.tar" busybox
hako build -q "$ctx" >/dev/null # warm the page cache and the store

set -- -n "hako build" "$build/hako --root $work/hako --runroot $work/hako-run build -q --no-cache $ctx"
if command -v buildah >/dev/null && buildah_ pull -q "docker-archive:$work/busybox.tar" >/dev/null 2>&1 &&
    buildah_ tag "$(buildah_ images -q | head -1)" docker.io/library/busybox:latest >/dev/null 2>&1; then
    set -- "$@" -n "buildah bud" \
        "buildah --root $work/buildah --runroot $work/buildah-run --storage-driver overlay bud -q --layers=false --isolation chroot --network host $ctx"
else
    echo "(buildah not usable here: left out)"
fi
if command -v docker >/dev/null && docker info >/dev/null 2>&1 && docker load -q -i "$work/busybox.tar" >/dev/null 2>&1; then
    set -- "$@" -n "docker build" "DOCKER_BUILDKIT=0 docker build -q --no-cache $ctx"
else
    echo "(no docker daemon answers: docker build left out)"
fi
hyperfine -N --style basic --runs "$runs" --warmup 1 --export-markdown "$work/cold.md" "$@" >/dev/null
echo "### 10-step cold build (no cache)"
cat "$work/cold.md"
hyperfine -N --style basic --runs 20 --warmup 2 --export-markdown "$work/cached.md" \
    -n "hako build (fully cached)" "$build/hako --root $work/hako --runroot $work/hako-run build -q $ctx" >/dev/null
echo "### fully cached rebuild"
cat "$work/cached.md"
