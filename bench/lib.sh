# lib.sh — sourced by the benchmarks: what their cleanups share.

# Unmount whatever is still mounted under $1 (the bench's temp dir; deepest first), then
# remove it.
remove_workdir() {
    grep -o " $1[^ ]*" /proc/self/mountinfo | sort -r | while read -r m; do
        umount -l "$m" 2>/dev/null
    done
    rm -rf "$1"
}
