/* path.h — resolving paths inside a root directory without ever leaving it.
 *
 * Every path that comes from a bundle or an image (mount destinations, cwd, device nodes,
 * layer entries) is resolved with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) from a
 * directory fd, so a symlink in the tree — planted in advance or swapped in during the
 * operation (CVE-2018-15664, CVE-2021-30465) — resolves inside the root, never on the host.
 * Callers then act on the returned fd (fchmod, /proc/self/fd/N as a mount target, *at calls). */
#pragma once

#include <linux/openat2.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

/* openat2 with RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS (plus extra resolve flags). */
int open_in_root(int rootfd, const char *path, int flags, mode_t mode, unsigned extra_resolve);

/* mkdir -p of path inside rootfd; returns an O_PATH|O_DIRECTORY fd of the final directory in
 * *ret_fd. Each component is created relative to its resolved parent's fd. A component that
 * exists and is not a directory fails with -ENOTDIR. */
int mkdir_p_in_root(int rootfd, const char *path, mode_t mode, int *ret_fd, struct hk_error *err);

/* Make sure path exists inside rootfd as a regular file (creating parents as directories);
 * returns an O_PATH fd of it. An existing non-directory is accepted as is. */
int touch_in_root(int rootfd, const char *path, mode_t mode, int *ret_fd, struct hk_error *err);

/* The id of the mount that holds fd (statx STATX_MNT_ID). */
int fd_mount_id(int fd, uint64_t *ret);

/* "/proc/self/fd/N" for fd, into buf (at least 32 bytes). */
const char *fd_path(int fd, char *buf, size_t size);

/* Normalize a path lexically: collapse "//", "." and ".." (never above "/"); result is absolute. */
char *path_clean(const char *path);

/* Split path into its parent and last component (allocated). "/" has no last component. */
int path_split(const char *path, char **ret_dir, char **ret_base);
