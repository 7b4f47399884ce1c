#!/bin/bash
# Usage: scripts/vm/run.sh [--if-usable] [--shell] [--name NAME] [--cache DIR] -- COMMAND [ARG]...
#
# Runs COMMAND, as root, in the current directory, inside a throwaway virtual machine that boots
# Debian's kernel (linux-image-amd64) with cgroup v2 only, and exits with COMMAND's status.
# `make test-v2` uses it to run the cgroup and exec integration tests on pure cgroup v2.
#
# The guest has one disk, a sparse 64 MiB scratch image (virtio-blk, /dev/vda) whose I/O
# scheduler is BFQ, so that cgroup io weights (io.bfq.weight) exist there whatever the host's
# disks use; tests find it through HAKO_VM_BFQ_DISK (its major:minor).
#
# The guest's root filesystem is the host's own / (virtio-9p, read-only) under a tmpfs overlay,
# so COMMAND sees the same files, binaries and paths as on the host, and nothing it writes
# reaches the host; /tmp and /run are fresh tmpfs (a tree under them is shared on its own).
# Flow: scripts/vm/initramfs.sh builds (or reuses) a small initramfs whose /init is
# scripts/vm/init.sh (mounts, pure-v2 checks, COMMAND, poweroff). COMMAND's output is shown
# live from the serial console; its status and timings come back through a second, writable
# 9p share (a temp directory under the cache dir).
#
#   --if-usable  for `make test`: if this machine cannot run the VM at all (qemu or Debian's
#                kernel cannot be installed, not root), print "NAME: skipped: REASON" and
#                exit 0 without booting anything. Without usable KVM the VM still runs, under
#                TCG emulation (slower: about 80 s more for the v2 suite)
#   --shell      interactive: COMMAND (e.g. bash) gets the serial console; Ctrl-A X quits qemu
#   --name NAME  prefix for this script's own messages (default: test-v2)
#   --cache DIR  where the initramfs, the unpacked kernel and logs are kept (default: build/vm)
#
# Environment: V2_ACCEL=auto|kvm|tcg (auto: KVM when it is hardware virtualization, else TCG
# emulation), V2_TIMEOUT=seconds (900; the machine is killed after that), V2_MEM (2G),
# V2_SMP (2), V2_KERNEL=version (default: the one linux-image-amd64 depends on), V2_KEEP=1
# (keep the run directory).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
name=test-v2
cache=build/vm
if_usable=0
shell=0

die() { echo "$name: $*" >&2; exit 1; }
say() { echo "$name: $*"; }

while [ $# -gt 0 ]; do
    case "$1" in
        --if-usable) if_usable=1 ;;
        --shell) shell=1 ;;
        --name) name=${2:?--name needs a value}; shift ;;
        --cache) cache=${2:?--cache needs a value}; shift ;;
        --) shift; break ;;
        *) die "unknown option '$1' (usage: run.sh [--if-usable] [--shell] [--name N] [--cache DIR] -- COMMAND...)" ;;
    esac
    shift
done
[ $# -gt 0 ] || die "no command given (usage: run.sh [options] -- COMMAND...)"

timeout=${V2_TIMEOUT:-900}
mem=${V2_MEM:-2G}
smp=${V2_SMP:-2}
accel=${V2_ACCEL:-auto}

# --- which accelerator ----------------------------------------------------------------------

kvm_usable=0
if [ -c /dev/kvm ] && (exec 3<>/dev/kvm) 2>/dev/null; then
    kvm_usable=1
fi
# --if-usable: a reason not to boot at all is a skip, said as such; anything else fails.
skip_or_die() {
    if [ "$if_usable" = 1 ]; then
        say "skipped: $*"
        exit 0
    fi
    die "$*"
}

# A /dev/kvm backed by hardware virtualization comes from kvm_intel or kvm_amd. Others exist:
# kvm_pvm (software virtualization for kernels built as PVM guests) opens fine but cannot boot
# Debian's kernel (its instruction emulator stops at cmpxchg16b, xrstor, int3), so use TCG there.
kvm_kind=none
if [ "$kvm_usable" = 1 ]; then
    kvm_kind=other
    for m in kvm_intel kvm_amd; do
        [ -d "/sys/module/$m" ] && kvm_kind=hardware
    done
    [ -d /sys/module/kvm_pvm ] && [ "$kvm_kind" != hardware ] && kvm_kind=pvm
fi
case "$accel" in
    auto)
        if [ "$kvm_kind" = hardware ]; then
            accel=kvm
        else
            accel=tcg
            case "$kvm_kind" in
                pvm) say "/dev/kvm is kvm_pvm (no hardware virtualization), which cannot boot a stock kernel: using TCG emulation (slower)" ;;
                other) say "/dev/kvm is not backed by kvm_intel or kvm_amd: using TCG emulation (slower; V2_ACCEL=kvm to force KVM)" ;;
                none) say "/dev/kvm not usable: using TCG emulation (slower)" ;;
            esac
        fi ;;
    kvm) [ "$kvm_usable" = 1 ] || die "V2_ACCEL=kvm but /dev/kvm cannot be opened read-write" ;;
    tcg) ;;
    *) die "V2_ACCEL must be auto, kvm or tcg, not '$accel'" ;;
esac

# --- what to boot ---------------------------------------------------------------------------

[ "$(id -u)" = 0 ] || skip_or_die "needs root: the guest shares the host's / with its owners and modes, and the tests run as root"
"$repo/scripts/deps.sh" --vm || skip_or_die "cannot install qemu-system-x86 and linux-image-amd64 (scripts/deps.sh --vm)"
command -v qemu-system-x86_64 >/dev/null || skip_or_die "qemu-system-x86_64 is not installed"

kver=${V2_KERNEL:-}
if [ -z "$kver" ]; then
    kver=$(dpkg-query -W -f='${Depends}' linux-image-amd64 2>/dev/null | sed -n 's/^linux-image-\([^ ,]*\).*/\1/p')
fi
[ -n "$kver" ] || skip_or_die "cannot tell which kernel linux-image-amd64 installs; set V2_KERNEL"
vmlinuz=/boot/vmlinuz-$kver
[ -r "$vmlinuz" ] || skip_or_die "$vmlinuz is missing (set V2_KERNEL to an installed Debian kernel version)"

# The guest mounts its own /tmp and /run: a tree there (a CI checkout, say) is shared on its
# own and overlaid at the same path.
workdir=""
case "$PWD/" in
    /dev/*|/proc/*|/sys/*)
        die "the guest mounts its own /dev, /proc and /sys, so it cannot see $PWD" ;;
    /tmp/*|/run/*)
        case "$PWD" in *,*) die "qemu cannot share a path with a comma: $PWD" ;; esac
        workdir=$PWD ;;
esac

mkdir -p "$cache"
rm -f "$cache/last-console.log" "$cache/last-dmesg.log"
cache=$(cd "$cache" && pwd)
initramfs=$("$here/initramfs.sh" "$kver" "$cache") || die "building the initramfs failed"
kernel=$("$here/vmlinux.sh" "$vmlinuz" "$cache")

rundir=$(mktemp -d "$cache/run.XXXXXX")
truncate -s 64M "$rundir/bfq-disk.img"
console=$rundir/console.log
qpid=""
tpid=""

# On any exit: stop qemu (TERM, then KILL after 5 s) and the console follower, keep the logs,
# remove the run directory.
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
    local tries=10
    if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then
        kill -TERM "$qpid" 2>/dev/null || true
        while [ "$tries" -gt 0 ] && kill -0 "$qpid" 2>/dev/null; do
            sleep 0.5
            tries=$((tries - 1))
        done
        kill -KILL "$qpid" 2>/dev/null || true
    fi
    if [ -n "$tpid" ]; then kill "$tpid" 2>/dev/null || true; fi
    if [ -f "$console" ]; then cp "$console" "$cache/last-console.log"; fi
    if [ -f "$rundir/dmesg" ]; then cp "$rundir/dmesg" "$cache/last-dmesg.log"; fi
    if [ "${V2_KEEP:-0}" = 1 ]; then
        echo "$name: kept $rundir" >&2
    else
        rm -rf "$rundir"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

quote() { printf "'%s'" "${1//\'/\'\\\'\'}"; }  # for sh: 'it'\''s'
{
    printf 'cd -- %s || exit 1\n' "$(quote "$PWD")"
    printf 'set --'
    for arg in "$@"; do printf ' %s' "$(quote "$arg")"; done
    printf '\n'
    if [ "$shell" = 1 ]; then echo HAKO_VM_INTERACTIVE=1; fi
} >"$rundir/job"

qemu=(qemu-system-x86_64 -name hako-v2 -nodefaults -no-user-config -display none -no-reboot
      -m "$mem" -smp "$smp"
      -kernel "$kernel" -initrd "$initramfs"
      -append "console=ttyS0 systemd.unified_cgroup_hierarchy=1 cgroup_no_v1=all apparmor=1 security=apparmor panic=-1 quiet"
      -virtfs "local,path=/,mount_tag=hostroot,security_model=passthrough,readonly=on,multidevs=remap"
      -virtfs "local,path=$rundir,mount_tag=hakovm,security_model=none,multidevs=remap"
      -drive "file=$rundir/bfq-disk.img,if=virtio,format=raw,cache=unsafe")
if [ -n "$workdir" ]; then
    printf '%s\n' "$workdir" >"$rundir/workdir"
    qemu+=(-virtfs "local,path=$workdir,mount_tag=hakowork,security_model=passthrough,readonly=on,multidevs=remap")
fi
if [ "$accel" = kvm ]; then
    qemu+=(-accel kvm -cpu host)
else
    # shellcheck disable=SC2054  # the comma is qemu's
    qemu+=(-accel tcg,thread=multi -cpu max)
fi

# --- boot, follow, collect ------------------------------------------------------------------

start=$SECONDS
: >"$console"
: >"$rundir/qemu.log"
if [ "$shell" = 1 ]; then
    say "booting Linux $kver ($accel); Ctrl-A X quits"
    timeout=0
    "${qemu[@]}" -serial mon:stdio <&0 &  # explicit: a background job would get /dev/null
    qpid=$!
else
    "${qemu[@]}" -chardev "file,id=con,path=$console,append=on" -serial chardev:con \
        </dev/null >"$rundir/qemu.log" 2>&1 &
    qpid=$!
    # Show the guest's console from its first "hako-vm: " line to "hako-vm: done" (the
    # firmware's screen codes and the kernel's boot lines stay in the log, shown below if the
    # guest never reports).
    tail -n +1 -f --pid="$qpid" "$console" |
        awk '{ sub(/\r$/, "") } /^hako-vm: done$/ { exit } /^hako-vm: / { on = 1 }
             on && !/^\[ *[0-9.]+\] (sysrq: Power Off|reboot: Power down)$/ { print; fflush() }' &
    tpid=$!
fi

timed_out=0
kvm_error=0
while kill -0 "$qpid" 2>/dev/null; do
    if [ "$timeout" -gt 0 ] && [ $((SECONDS - start)) -ge "$timeout" ]; then
        timed_out=1
        kill -TERM "$qpid" 2>/dev/null || true
        break
    fi
    # A vCPU that KVM cannot run stops and waits forever; don't wait for the timeout.
    if grep -q 'KVM internal error' "$rundir/qemu.log"; then
        kvm_error=1
        kill -TERM "$qpid" 2>/dev/null || true
        break
    fi
    sleep 0.5
done
qrc=0
wait "$qpid" || qrc=$?
qpid=""
if [ -n "$tpid" ]; then
    wait "$tpid" 2>/dev/null || true
    tpid=""
fi

result=$rundir/result
if [ "$timed_out" = 1 ] || [ ! -f "$result" ]; then
    {
        if [ "$timed_out" = 1 ]; then
            echo "$name: FAILED: the guest was still running after ${timeout}s (V2_TIMEOUT); killed it"
        elif [ "$kvm_error" = 1 ]; then
            echo "$name: FAILED: KVM cannot run this guest (try V2_ACCEL=tcg)"
        else
            echo "$name: FAILED: the guest stopped without reporting a result (qemu exit $qrc)"
        fi
        sed 's/\r$//; s/\x1b\[[0-9;?]*[a-zA-Z]//g' "$rundir/qemu.log" "$console" | tail -n 40 | sed 's/^/    /'
        echo "$name: full console log: $cache/last-console.log"
    } >&2
    exit 1
fi

get() { sed -n "s/^$1=//p" "$result" | tail -n 1; }
status=$(get status)
error=$(get error)
if [ -n "$error" ]; then
    echo "$name: FAILED: $error (console log: $cache/last-console.log)" >&2
    exit 1
fi
case "$status" in
    ''|*[!0-9]*) die "the guest reported no exit status" ;;
esac
run=$(awk -v b="$(get boot)" -v e="$(get end)" 'BEGIN { printf "%.1f", e - b }')
say "guest Linux $(get kernel), pure cgroup v2 ($(get controllers)), $accel: boot $(get boot)s, command ${run}s, total $((SECONDS - start))s"
if [ "$shell" = 0 ]; then
    # The command's last line: pytest's summary, for `make test` to end with.
    summary=$(grep -v '^[[:space:]]*$' "$rundir/output" | tail -n 1 | sed 's/^=* *//; s/ *=*$//')
    if [ "$status" = 0 ]; then
        say "${summary:-(no output)}"
    else
        say "${summary:-(no output)} (exit status $status)"
    fi
fi
exit "$status"
