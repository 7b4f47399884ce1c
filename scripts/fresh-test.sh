#!/bin/sh
# Usage: scripts/fresh-test.sh [COMMIT]   (default HEAD)
#
# What CI does, on this machine: a fresh clone of COMMIT in a temp dir under /tmp, then
# `bash .ci/run` there (make test: deps, build, unit, integration, the v2 VM), as root, with
# no standard input. Uncommitted changes are not in the clone, so this shows what a submission
# would get. The clone is removed afterwards unless KEEP=1; the log is kept next to it.
set -eu
commit=${1:-HEAD}
top=$(git rev-parse --show-toplevel)
sha=$(git -C "$top" rev-parse --verify "$commit^{commit}")
dir=$(mktemp -d /tmp/hako-fresh.XXXXXX)
log=$dir.log
echo "fresh-test: $sha in $dir (log: $log)"
git clone -q --no-hardlinks "$top" "$dir/hako"
git -C "$dir/hako" checkout -q "$sha"
rc=0
(cd "$dir/hako" && CI=true bash .ci/run </dev/null) >"$log" 2>&1 || rc=$?
tail -n 5 "$log"
if [ "${KEEP:-0}" != 1 ]; then
    rm -rf "$dir"
fi
echo "fresh-test: exit $rc"
exit "$rc"
