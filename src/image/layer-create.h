/* layer-create.h — the other direction of layer.h: an overlay upper directory (a container's
 * changes) becomes an OCI layer blob in the store.
 *
 * The tree is walked through fds (openat O_NOFOLLOW, never a path through a symlink), entries
 * in byte order of their names, parents before children, so the same tree gives the same tar.
 * Overlay's own forms become OCI ones: a 0:0 character device is a `.wh.NAME` whiteout, a
 * directory with trusted.overlay.opaque=y gets `DIR/.wh..wh..opq` right after it; other
 * trusted.overlay.* xattrs are dropped. Every entry gets the one mtime given (no atime,
 * ctime, user or group names), so two builds of the same tree make the same bytes. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "image/store.h"

enum layer_compression { LAYER_GZIP, LAYER_ZSTD, LAYER_UNCOMPRESSED };

struct layer_create_opts {
    enum layer_compression compression;
    int64_t mtime;     /* every entry's mtime (layer_epoch()) */
    bool skip_etc_mounts; /* leave out etc/hosts, etc/hostname, etc/resolv.conf: a container's
                           * bind-mount points, docker's "init layer", never the user's data */
    bool opaque_root;     /* the tree replaces everything: a top ".wh..wh..opq" comes first (a
                           * whole root filesystem as a change, from a copy without upper dir) */
};

struct layer_created {
    char digest[DIGEST_STR_SIZE];  /* the blob */
    char diff_id[DIGEST_STR_SIZE]; /* the uncompressed tar */
    uint64_t size;                 /* of the blob */
    uint64_t entries;
    uint64_t content_size;         /* bytes of file contents and link targets */
    const char *media_type;        /* static */
};

/* Write the layer of the directory upper_fd into the store as a blob. On failure nothing is
 * published. The directory is only read. */
int layer_create(struct store *s, int upper_fd, const struct layer_create_opts *o,
                 struct layer_created *ret, struct hk_error *err);

/* The same layer, uncompressed, written to out_fd instead of the store (a checkpoint's
 * rootfs-diff.tar). */
int layer_write(int upper_fd, const struct layer_create_opts *o, int out_fd, struct hk_error *err);

/* The time every created layer entry and a build's config carry: $SOURCE_DATE_EPOCH when it is
 * a number, else 0 (1970-01-01, pinned so that builds are reproducible by default). */
int64_t layer_epoch(void);

/* Parse "gzip", "zstd" or "uncompressed" (--compression). */
int layer_compression_parse(const char *s, enum layer_compression *ret, struct hk_error *err);
