#!/bin/sh
# Install the Debian packages hako needs to build, test and benchmark. Idempotent: quiet and
# fast when everything is present; runs `apt-get update` once before installing what is missing.
set -eu

BUILD="build-essential meson ninja-build pkg-config libjansson-dev libarchive-dev
libcurl4-openssl-dev libssl-dev libseccomp-dev libcap-dev libcmocka-dev libmnl-dev libapparmor-dev
libnftables-dev libmicrohttpd-dev libgnutls28-dev criu libprotobuf-c-dev libselinux1-dev"
TEST="python3 python3-pytest busybox-static containerd skopeo docker-registry apache2-utils
iproute2 procps tmux zstd python3-cryptography podman nftables curl openssl docker-compose"
VM="qemu-system-x86 linux-image-amd64 busybox-static cpio xz-utils apparmor"
BENCH="hyperfine crun runc umoci docker.io"
FUZZ="clang-14 libclang-rt-14-dev"

want="$BUILD $TEST"
case "${1:-}" in
  --build) want="$BUILD" ;;
  --vm) want="$VM" ;;
  --fuzz) want="$BUILD $FUZZ" ;;
  --bench) want="$BUILD $TEST $BENCH" ;;
  --all) want="$BUILD $TEST $VM $BENCH $FUZZ" ;;
esac

missing=""
for p in $want; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "deps: missing packages:$missing — run as root (or with sudo) to install them" >&2
  exit 1
fi
echo "deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# Another apt (a second checkout's make test, unattended upgrades) may hold the lock: wait.
lock="-o DPkg::Lock::Timeout=600"
# shellcheck disable=SC2086
apt-get $lock update -q >/dev/null
# shellcheck disable=SC2086
apt-get $lock install -y -q --no-install-recommends $missing >/dev/null
