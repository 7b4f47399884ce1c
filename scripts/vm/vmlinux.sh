#!/bin/bash
# Usage: scripts/vm/vmlinux.sh VMLINUZ CACHE_DIR
#
# Prints the path of an uncompressed copy of the kernel VMLINUZ (a bzImage), cached in
# CACHE_DIR under a name keyed by the bzImage's name, size and time, or VMLINUZ itself when it
# cannot be unpacked. qemu boots the uncompressed ELF through its PVH entry point, which skips
# the kernel's self-decompression: ~2.5 s of every boot under TCG emulation (Debian's kernel is
# xz-compressed and built with CONFIG_PVH=y).
set -eu

vmlinuz=${1:?usage: vmlinux.sh VMLINUZ CACHE_DIR}
cache=${2:?usage: vmlinux.sh VMLINUZ CACHE_DIR}

out="$cache/vmlinux-$(basename "$vmlinuz" | sed 's/^vmlinuz-//')-$(stat -c %s-%Y "$vmlinuz")"
if [ -f "$out" ]; then
    echo "$out"
    exit 0
fi

# The xz stream starts at the first "\xfd7zXZ\0" magic; xz complains about what follows the
# stream, so judge the result by its ELF magic, not by xz's exit status.
offset=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$vmlinuz" 2>/dev/null | head -n 1 | cut -d: -f1)
if [ -n "$offset" ] && command -v xz >/dev/null; then
    rm -f "$cache"/vmlinux-*
    tail -c +$((offset + 1)) "$vmlinuz" | xz -dc >"$out.tmp" 2>/dev/null || true
    if [ "$(head -c 4 "$out.tmp" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
        mv "$out.tmp" "$out"
        echo "$out"
        exit 0
    fi
    rm -f "$out.tmp"
fi
echo "vmlinux: cannot unpack $vmlinuz (not xz?); booting it compressed (slower under TCG)" >&2
echo "$vmlinuz"
