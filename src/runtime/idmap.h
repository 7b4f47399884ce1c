/* idmap.h — idmapped bind mounts ("idmap"/"ridmap" mount options).
 *
 * Setting a mount's idmap needs CAP_SYS_ADMIN over the filesystem's owner (the host), which
 * the container's init, inside its own user namespace, lacks: the runtime applies it to the
 * detached tree it prepares before the clone (rootfs_prepare_binds). */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "oci/spec.h"
#include "util/error.h"

/* Write /proc/<pid>/<file> ("uid_map" or "gid_map") from the mappings. */
int idmap_write(pid_t pid, const char *file, const struct oci_idmap *m, size_t n);

/* A user namespace with these mappings (made by a short-lived helper process). */
int idmap_userns_fd(const struct oci_idmap *uid, size_t n_uid, const struct oci_idmap *gid,
                    size_t n_gid, int *ret_fd, struct hk_error *err);

/* Idmap the detached tree with the mount's own uid/gidMappings, or else the container's. */
int idmap_apply(const struct oci_spec *s, const struct oci_mount *m, int tree, bool rec,
                struct hk_error *err);
