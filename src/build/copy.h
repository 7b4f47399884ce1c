/* copy.h — COPY and ADD's file work: sources from a root (the build context, or another
 * stage's root filesystem) into a fresh layer directory.
 *
 * Sources are resolved with openat2(RESOLVE_IN_ROOT) under their root, so neither a "../"
 * nor a symlink in the context can reach outside it; entries are created in the layer with
 * *at() calls that never follow a symlink. Symlinks are copied as symlinks. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "image/decompress.h"
#include "image/digest.h"
#include "util/error.h"

struct build_copy {
    int src_root;      /* directory fd the sources are under */
    char *const *srcs; /* as written (a '*', '?' or '[' in the last component is a glob) */
    size_t n_srcs;
    const char *dest;  /* absolute, cleaned; a trailing '/' kept */
    uid_t uid;         /* --chown (0 by default, as docker) */
    gid_t gid;
    int mode;          /* --chmod, or -1 to keep the source's */
    /* .dockerignore (may be NULL): whether to leave relpath out; a directory is left out only
     * when nothing under it can be re-included */
    bool (*skip)(const char *relpath, bool dir, void *ud);
    void *skip_ud;
    const int *roots; /* per source: its own root (a staged URL download or heredoc), -1 for
                       * src_root; NULL: all under src_root */
    bool extract;     /* ADD: a source under src_root that is a tar archive (plain, gzip,
                       * bzip2, xz or zstd) is unpacked into dest, keeping its owners and modes */
    const struct expand_limit *limit; /* what an unpacked archive may expand to */
};

/* Hash what would be copied (paths, modes, contents) into ret (the cache key part). An
 * absent source is an error: "no source files were specified" when a glob matched nothing. */
int build_copy_hash(const struct build_copy *c, char ret[DIGEST_STR_SIZE], struct hk_error *err);

/* Copy into the directory layer_fd (the new layer's root). */
int build_copy_run(const struct build_copy *c, int layer_fd, struct hk_error *err);
