/* rootfs.h — the container's mount table: the rootfs, config.json's mounts, pivot_root, and
 * the masked and read-only paths. Runs in the container's new mount namespace.
 *
 * Every destination is resolved inside the rootfs (util/path.h) and mounted through the fd
 * that resolution returned, so a symlink in the image — or one raced in — can never send a
 * mount onto the host (CVE-2021-30465 and kin). */
#pragma once

#include <stdbool.h>

#include "oci/spec.h"
#include "util/error.h"

struct cgroup_manager;

/* Make the mount tree private to this namespace (or as linux.rootfsPropagation says) and
 * turn the rootfs (an fd the runtime opened) into a mount point; returns an fd of that
 * mount's root. */
int rootfs_prepare(const struct oci_spec *s, int rootfs_fd, int *ret_rootfd, struct hk_error *err);

/* In the runtime, before the clone: for every bind mount (with all; otherwise only the
 * idmapped ones), a detached clone of its source with its attributes (and idmap) applied.
 * The runtime can reach host paths a user namespace's root cannot, and only it may set
 * attributes on host-owned mounts; without a user namespace the init clones the others
 * itself, in config order. *ret_fds has one entry per mount (-1 for the others). */
int rootfs_prepare_binds(const struct oci_spec *s, const char *bundle, bool all, int **ret_fds,
                         struct hk_error *err);
void rootfs_binds_free(int *fds, size_t n);

/* runc's rule for a mount destination (cleaned) on or inside /proc: onto /proc itself only a
 * procfs (source_is_procfs), inside it only the files lxcfs emulates (/proc/meminfo, ...).
 * 0, or -EPERM with runc's message ("\"/proc\" cannot be mounted because it is not of type
 * proc"). */
int rootfs_check_proc_dest(const char *dest, bool source_is_procfs, struct hk_error *err);

/* How the init reaches its cgroup: the runtime may still be making it while the mounts go
 * on, so get() waits for it (and enters the cgroup namespace) the first time it is needed. */
struct cgroup_access {
    int (*get)(struct cgroup_access *a, const struct cgroup_manager **ret, struct hk_error *err);
};

/* Perform config.json's mounts in order (binds from the prepared trees, or cloned from their
 * source, relative to bundle, when binds[i] is -1), then create /dev's devices and links. */
int rootfs_mount_all(const struct oci_spec *s, int rootfd, const int *binds, const char *bundle,
                     struct cgroup_access *cg, bool in_userns, struct hk_error *err);

/* Enter the rootfs: pivot_root and detach the old root (or, with no_pivot, MS_MOVE and
 * chroot). Afterwards "/" is the container's root and cwd is "/". */
int rootfs_pivot(int rootfd, bool no_pivot, struct hk_error *err);

/* After the pivot: sysctls (through a fresh procfs), masked and read-only paths, a read-only
 * root, and the final propagation of "/". */
int rootfs_finalize(const struct oci_spec *s, struct hk_error *err);
