#!/bin/sh
# `make bench`: every benchmark in bench/, one after another.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
for b in "$here"/runtime.sh "$here"/pull.sh "$here"/push.sh "$here"/engine.sh "$here"/network.sh "$here"/api.sh \
    "$here"/build.sh; do
    [ -x "$b" ] || continue
    echo "== $(basename "$b")"
    "$b"
done
