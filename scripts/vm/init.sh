#!/bin/busybox sh
# /init of the test-v2 guest (scripts/vm/initramfs.sh packs it with busybox-static and a few
# kernel modules; scripts/vm/run.sh boots it). Busybox from RAM, not the host's tools over 9p:
# under TCG emulation every dynamically linked program read over 9p costs ~0.1 s to start.
#
# Stage 1 (PID 1 in the initramfs): load the modules the root filesystem needs (virtio-pci,
# 9p, overlay; /modules.order lists them dependencies first); mount the host's / (virtio-9p
# tag "hostroot", read-only) under a tmpfs-backed overlay, so that the guest sees the host's
# files at the same paths and writes nothing back; mount what systemd would on a pure cgroup v2
# host (proc, sysfs, devtmpfs, devpts, /dev/shm, mqueue, tmpfs on /run and /tmp, cgroup2 at
# /sys/fs/cgroup with nsdelegate,memory_recursiveprot) and the writable run share (tag
# "hakovm") at /run/hako-vm; then switch_root, so that / is a real mount and not the
# initramfs (pivot_root, which every container start needs, cannot move the initramfs).
#
# Stage 2 (PID 1 again, busybox copied to /run/hako-vm-init): make / recursively shared,
# check the layout is pure cgroup v2, enable every controller in the root's subtree_control
# and move PID 1 into /init.scope (as systemd does), run the job from the run share in a leaf
# cgroup of its own (/hako-test.scope), and report back through the share:
#   output  the job's stdout and stderr (also shown on the console)
#   result  key=value lines: status (or error), kernel, controllers, boot and end uptimes
#   dmesg   the guest kernel log
# and power off. PID 1 must never exit (the kernel would panic), so every error path ends in
# poweroff, with an error the host can read when the share is mounted.
set -u

bb=/bin/busybox  # /run/hako-vm-init/busybox in stage 2
share=/run/hako-vm
host_path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
required_controllers="cpuset cpu io memory pids"

# busybox's poweroff -f: sync and reboot(RB_POWER_OFF) now, needing neither /proc nor init.
poweroff_now() {
    echo "hako-vm: done"  # the host stops showing the console here
    $bb poweroff -f
    while :; do $bb sleep 60; done
}

# record KEY=VALUE... appends to the result file, which finish renames into place.
record() {
    if [ -f "$share/result.tmp" ]; then printf '%s\n' "$@" >>"$share/result.tmp"; fi
}

finish() {
    if [ -f "$share/result.tmp" ]; then
        dmesg >"$share/dmesg" 2>&1
        record "status=$1"
        mv "$share/result.tmp" "$share/result"
    fi
    poweroff_now
}

fail() {
    echo "hako-vm: $*" >&2
    record "error=$*"
    finish 97
}

uptime_s() {
    read -r up _ </proc/uptime
    echo "$up"
}

mount_fs() { # TYPE WHERE OPTIONS
    if ! mkdir -p "$2" || ! mount -t "$1" -o "$3" "$1" "$2"; then
        fail "mount $1 at $2 ($3)"
    fi
}

stage1() {
    mount_fs devtmpfs /dev nosuid,mode=0755
    mount_fs sysfs /sys nosuid,nodev,noexec
    while read -r ko; do
        insmod "$ko" || fail "insmod $ko"
    done </modules.order

    # cache=loose: the host tree does not change under a run, and python's many small reads
    # and lookups are several times faster with the guest's page and dentry caches.
    mkdir -p /lower /upper /newroot
    mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=262144,cache=loose hostroot /lower ||
        fail "mount the host root (virtio-9p tag hostroot)"
    mount_fs tmpfs /upper mode=0755
    mkdir -p /upper/data /upper/work
    mount -t overlay -o lowerdir=/lower,upperdir=/upper/data,workdir=/upper/work overlay /newroot ||
        fail "mount the overlay root (lower: host root over 9p, upper: tmpfs)"

    r=/newroot
    mount --move /dev $r/dev || fail "move /dev"
    umount /sys
    mount_fs sysfs $r/sys nosuid,nodev,noexec
    mount_fs cgroup2 $r/sys/fs/cgroup nosuid,nodev,noexec,nsdelegate,memory_recursiveprot
    # securityfs: AppArmor's interface (profiles, loading), as systemd mounts it
    mount_fs securityfs $r/sys/kernel/security nosuid,nodev,noexec
    ln -sfn /proc/self/fd $r/dev/fd
    ln -sfn /proc/self/fd/0 $r/dev/stdin
    ln -sfn /proc/self/fd/1 $r/dev/stdout
    ln -sfn /proc/self/fd/2 $r/dev/stderr
    mount_fs devpts $r/dev/pts nosuid,noexec,gid=5,mode=0620,ptmxmode=0666
    mount_fs tmpfs $r/dev/shm nosuid,nodev,mode=1777
    mount_fs mqueue $r/dev/mqueue nosuid,nodev,noexec
    mount_fs tmpfs $r/run nosuid,nodev,mode=0755
    mount_fs tmpfs $r/tmp nosuid,nodev,mode=1777
    mkdir -p $r$share $r/run/hako-vm-init
    mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,cache=none hakovm $r$share ||
        fail "mount the host's run directory (virtio-9p tag hakovm)"
    # A tree under the host's /tmp or /run (run.sh shares it): overlaid at its own path.
    if [ -s $r$share/workdir ]; then
        w=$(cat $r$share/workdir)
        o=$r/run/hako-vm-work
        mkdir -p $o/lower $o/upper $o/work "$r$w"
        mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=262144,cache=loose hakowork $o/lower ||
            fail "mount the host's $w (virtio-9p tag hakowork)"
        mount -t overlay -o lowerdir=$o/lower,upperdir=$o/upper,workdir=$o/work overlay "$r$w" ||
            fail "mount the overlay on $w"
    fi
    : >$r$share/result.tmp
    cp /bin/busybox /init $r/run/hako-vm-init/
    umount /proc
    exec switch_root $r /run/hako-vm-init/busybox sh /run/hako-vm-init/init stage2
}

# Fail loudly unless this is pure cgroup v2: cgroup2 at /sys/fs/cgroup, no v1 hierarchy
# mounted or mountable, one 0:: line in /proc/self/cgroup, the usual controllers available.
check_pure_v2() {
    magic=$(stat -f -c %t /sys/fs/cgroup)
    [ "$magic" = 63677270 ] || fail "/sys/fs/cgroup is not cgroup2 (file system magic 0x$magic)"
    v1=$(awk '{ sub(/.* - /, ""); if ($1 == "cgroup") print }' /proc/self/mountinfo)
    [ -z "$v1" ] || fail "cgroup v1 hierarchies are mounted: $v1"
    mkdir -p /run/hako-vm-init/v1
    if mount -t cgroup -o memory cgroup /run/hako-vm-init/v1 2>/dev/null; then
        umount /run/hako-vm-init/v1
        fail "the v1 memory controller can still be mounted (is cgroup_no_v1=all on the kernel command line?)"
    fi
    rmdir /run/hako-vm-init/v1
    if grep -qv '^0::' /proc/self/cgroup; then
        fail "/proc/self/cgroup has v1 lines: $(cat /proc/self/cgroup)"
    fi
    controllers=$(cat /sys/fs/cgroup/cgroup.controllers)
    for c in $required_controllers; do
        case " $controllers " in
            *" $c "*) ;;
            *) fail "controller $c is missing from /sys/fs/cgroup/cgroup.controllers ($controllers)" ;;
        esac
    done
    record "kernel=$(uname -r)" "controllers=$controllers"
    echo "hako-vm: pure cgroup v2 on Linux $(uname -r); controllers: $controllers"
}

# The scratch disk (run.sh's bfq-disk.img, /dev/vda) gets the BFQ scheduler, so cgroup io
# weights exist in this guest; tests read its major:minor from HAKO_VM_BFQ_DISK.
setup_bfq_disk() {
    q=/sys/block/vda/queue/scheduler
    [ -e $q ] || fail "no scratch disk /dev/vda (virtio-blk)"
    echo bfq >$q || fail "cannot set the bfq scheduler on /dev/vda ($(cat $q))"
    case "$(cat $q)" in
        *"[bfq]"*) ;;
        *) fail "/dev/vda's scheduler is not bfq: $(cat $q)" ;;
    esac
    HAKO_VM_BFQ_DISK=$(cat /sys/block/vda/dev)
    export HAKO_VM_BFQ_DISK
    echo "hako-vm: /dev/vda ($HAKO_VM_BFQ_DISK) uses the bfq I/O scheduler"
}

setup_cgroups() {
    for c in $(cat /sys/fs/cgroup/cgroup.controllers); do
        echo "+$c" >/sys/fs/cgroup/cgroup.subtree_control || fail "enable the $c controller"
    done
    mkdir -p /sys/fs/cgroup/init.scope /sys/fs/cgroup/hako-test.scope
    echo $$ >/sys/fs/cgroup/init.scope/cgroup.procs || fail "move PID 1 into /init.scope"
}

# The job file (written by scripts/vm/run.sh) is sh: `cd -- DIR`, `set -- COMMAND...`, and
# HAKO_VM_INTERACTIVE=1 to give the command the console instead of a pipe. The command starts
# through the host's env, so that its PATH lookup finds the host's programs, not this busybox's
# applets.
# shellcheck disable=SC2120,SC1090,SC1091  # "$@" comes from the job file
run_job() {
    record "boot=$(uptime_s)"
    st=/run/hako-vm-init/status
    echo 126 >$st
    if grep -q '^HAKO_VM_INTERACTIVE=1' $share/job; then
        (
            echo 0 >/sys/fs/cgroup/hako-test.scope/cgroup.procs
            . $share/job
            export PATH=$host_path HOME=/root LANG=C.UTF-8 TERM=linux
            setsid -c /usr/bin/env -- "$@" </dev/ttyS0 >/dev/ttyS0 2>&1
            echo $? >$st
        )
    else
        (
            echo 0 >/sys/fs/cgroup/hako-test.scope/cgroup.procs
            . $share/job
            export PATH=$host_path HOME=/root LANG=C.UTF-8 TERM=dumb
            /usr/bin/env -- "$@" </dev/null 2>&1
            echo $? >$st
        ) | tee $share/output
    fi
    record "end=$(uptime_s)"
    finish "$(cat $st)"
}

stage2() {
    bb=/run/hako-vm-init/busybox
    export PATH=/run/hako-vm-init/bin
    $bb mkdir -p $PATH
    $bb mount -t proc -o nosuid,nodev,noexec proc /proc || fail "mount /proc"
    $bb --install -s $PATH
    mount --make-rshared / || fail "make / shared"
    echo hako-v2 >/proc/sys/kernel/hostname
    ip link set lo up || fail "bring up lo"
    setup_bfq_disk
    check_pure_v2
    setup_cgroups
    # shellcheck disable=SC2119
    run_job
}

if [ "${1:-}" = stage2 ]; then
    stage2
else
    export PATH=/bin
    $bb mkdir -p /proc
    $bb mount -t proc -o nosuid,nodev,noexec proc /proc || fail "mount /proc"
    $bb --install -s /bin
    stage1
fi
