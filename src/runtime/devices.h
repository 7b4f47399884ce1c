/* devices.h — device nodes in the container's /dev. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "oci/spec.h"
#include "util/error.h"

/* The mounts a device node may be made on: ids[0] is the rootfs's own mount, the others the
 * fresh filesystems (tmpfs, devpts, ...) config.json's mounts made. Never a bind: that is a
 * tree from outside, maybe the host's /dev. */
struct dev_mounts {
    uint64_t *ids;
    size_t n;
};

/* Create linux.devices under rootfd; when /dev is a fresh filesystem of ours also the default
 * set (null, zero, full, random, urandom, tty) and the /dev/fd, stdin, stdout, stderr and ptmx
 * links. When /dev is not ours (bound from the host) nothing is made in it, as runc and crun
 * do; a node elsewhere that would land on a mount not in *own is an error. An existing entry
 * with a mount on it is left alone. In a new user namespace, where mknod is not allowed, the
 * host's node is bind-mounted instead. */
int devices_create(const struct oci_spec *s, int rootfd, const struct dev_mounts *own,
                   bool in_userns, struct hk_error *err);
