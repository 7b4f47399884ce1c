/* layer.h — unpacking a layer archive into a directory, safely.
 *
 * Entries are created relative to the destination directory's fd: parents are resolved with
 * openat2(RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS), final components with *at() calls that never
 * follow a symlink. So no entry of the archive — an absolute name, a ".." component, a hard link
 * to a file outside, a file written through a symlink planted by an earlier entry, a whiteout
 * aimed outside — can touch anything outside the destination: each is refused with an error
 * naming the layer and the entry. Ownership, modes, xattrs (except trusted.overlay.*, which a
 * layer must not set), mtimes, hard links, symlinks and device nodes are kept. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "image/decompress.h"
#include "image/digest.h"
#include "util/error.h"

struct layer_unpack_opts {
    const char *name;    /* "layer sha256:..." for messages */
    const char *diff_id; /* the expected SHA-256 of the uncompressed tar, or NULL */
    bool whiteouts;      /* turn OCI whiteouts into overlayfs ones (0:0 devices, opaque xattr) */
    bool deletions;      /* else apply them as deletions (onto a root filesystem itself: a copy
                          * or a mounted overlay), ".wh..wh..opq" emptying its directory */
    bool owners;         /* apply the archive's uid/gid (else files belong to the caller) */
    const struct expand_limit *limit; /* bound on the uncompressed stream (NULL: none) */
};

struct layer_stats {
    char diff_id[DIGEST_STR_SIZE]; /* of the uncompressed stream */
    uint64_t size;                 /* bytes of file contents and link targets */
    uint64_t entries;
};

/* Unpack the (possibly compressed) tar read from fd into the directory destfd. On failure the
 * destination holds a partial tree that the caller must remove. */
int layer_unpack(int fd, int destfd, const struct layer_unpack_opts *o, struct layer_stats *ret,
                 struct hk_error *err);
