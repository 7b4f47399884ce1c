#!/bin/bash
# Usage: scripts/vm/initramfs.sh KERNEL_VERSION CACHE_DIR
#
# Builds the test-v2 guest's initramfs (busybox-static, scripts/vm/init.sh as /init, and the
# kernel modules that stage 1 needs to reach the host root: virtio-pci, 9p, overlay, and the
# scratch disk with its BFQ scheduler: virtio-blk, bfq; with
# their dependencies in load order, uncompressed) and prints its path. The archive is named for
# a hash of everything that goes into it and of this script, so a rerun with nothing changed
# reuses it; older archives in CACHE_DIR are removed.
set -eu

kver=${1:?usage: initramfs.sh KERNEL_VERSION CACHE_DIR}
cache=${2:?usage: initramfs.sh KERNEL_VERSION CACHE_DIR}
here=$(cd "$(dirname "$0")" && pwd)
busybox=/bin/busybox
modules="virtio_pci 9pnet_virtio 9p overlay virtio_blk bfq"

die() { echo "initramfs: $*" >&2; exit 1; }

[ -x "$busybox" ] || die "$busybox is missing (Debian package busybox-static)"
ldd "$busybox" >/dev/null 2>&1 && die "$busybox is dynamically linked; stage 1 needs busybox-static"
[ -f "/lib/modules/$kver/modules.dep" ] || die "no modules for kernel $kver in /lib/modules/$kver"

# Module files in load order, each once. `modprobe --show-depends` prints an insmod line per
# module, dependencies first, and "builtin NAME" for what the kernel has built in.
deps=""
for m in $modules; do
    deps="$deps$(modprobe -S "$kver" --show-depends "$m")" || die "modprobe: no module $m for $kver"
    deps="$deps
"
done
kos=$(echo "$deps" | awk '$1 == "insmod" && !seen[$2]++ { print $2 }')
for ko in $kos; do
    case "$ko" in
        *.ko) ;;
        *.ko.xz) command -v xz >/dev/null || die "$ko is xz-compressed and xz is missing" ;;
        *.ko.zst) command -v zstd >/dev/null || die "$ko is zstd-compressed and zstd is missing" ;;
        *) die "$ko: unknown module compression" ;;
    esac
done

# shellcheck disable=SC2086
hash=$( { echo "$kver"; echo "$kos"; cat "$0" "$here/init.sh" "$busybox" $kos; } | sha256sum | cut -c1-16)
out="$cache/initramfs-$kver-$hash.cpio.gz"
if [ -f "$out" ]; then
    echo "$out"
    exit 0
fi

mkdir -p "$cache"
root=$(mktemp -d "$cache/initramfs.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin"
cp "$busybox" "$root/bin/busybox"
cp "$here/init.sh" "$root/init"
chmod 0755 "$root/init"
# Modules go in uncompressed, whatever the kernel package ships: busybox insmod reads plain .ko.
for ko in $kos; do
    mkdir -p "$root$(dirname "$ko")"
    case "$ko" in
        *.ko) cp "$ko" "$root$ko" ;;
        *.ko.xz) xz -dc "$ko" >"$root${ko%.xz}" ;;
        *.ko.zst) zstd -qdc "$ko" >"$root${ko%.zst}" ;;
    esac
    echo "${ko%.ko*}.ko" >>"$root/modules.order"
done

rm -f "$cache"/initramfs-*.cpio.gz
(cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet -R 0:0) |
    gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
echo "$out"
