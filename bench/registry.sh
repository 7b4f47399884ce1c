# registry.sh — sourced by the registry benchmarks (pull.sh, push.sh): a temporary directory
# T (removed on exit), Debian's docker-registry on 127.0.0.1 with its storage under $T/registry
# (PORT, REG_PID; killed on exit), and the bench image in the OCI layout $T/oci-src, tag
# "bench": a busybox root filesystem plus the directories $DIRS, one layer each.
T=$(mktemp -d /var/tmp/hako-bench.XXXXXX)
REG_PID=
cleanup() {
  if [ -n "$REG_PID" ]; then
    kill "$REG_PID" 2>/dev/null || true
    wait "$REG_PID" 2>/dev/null || true # 143: the TERM we sent
  fi
  rm -rf "$T"
}
trap cleanup EXIT INT TERM

PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$T/registry.yml" <<YML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $T/registry
http:
  addr: 127.0.0.1:$PORT
YML
docker-registry serve "$T/registry.yml" >"$T/registry.log" 2>&1 &
REG_PID=$!
until /usr/bin/python3 -c "import socket; socket.create_connection(('127.0.0.1',$PORT),0.2)" 2>/dev/null; do
  sleep 0.05
done

mkdir -p "$T/bb/bin" "$T/bb/etc"
cp /bin/busybox "$T/bb/bin/busybox"
for a in $(/bin/busybox --list); do ln -sf busybox "$T/bb/bin/$a"; done
echo "building the image: $T/bb $DIRS" >&2
/usr/bin/python3 bench/make-image.py "$T/oci-src" bench "$T/bb" $DIRS
