/* rootfs.h — the two ways to build a container's root filesystem from an image's layer
 * directories (one backend each, see image_rootfs_mount in image.h for the contract). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

/* overlayfs: lower = layers (given bottom first; mounted top first), upper/work private. */
int rootfs_overlay_mount(char *const *layers, size_t n, const char *upper, const char *work,
                         bool isvolatile, const char *target, struct hk_error *err);

/* A private copy: each layer copied over the previous ones into target, applying overlayfs
 * whiteouts (0:0 devices delete, trusted.overlay.opaque=y directories hide what was below). */
int rootfs_copy(char *const *layers, size_t n, const char *target, struct hk_error *err);

/* Copy the tree under directory fd src into directory fd dst (owners, modes, times, xattrs,
 * hard links kept), with *at() calls that never follow a symlink: a symlink is copied as one.
 * Used for docker's copy-up of image content into a new volume. */
int rootfs_copy_tree(int src, int dst, struct hk_error *err);
