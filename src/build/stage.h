/* stage.h — the COPY and ADD sources that are not files of the build context: ADD's URLs,
 * fetched with libcurl (its `--checksum=sha256:...` verified before anything is copied), and
 * heredocs (`COPY <<EOF /file`). Each is written into a staging directory under the store's
 * tmp/, and the copy (copy.h) reads that source from there. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "build/dockerfile.h"
#include "image/store.h"

struct build_stage {
    char *dir;  /* the staging directory, or NULL when nothing was staged */
    int fd;     /* open on dir, or -1 */
    int *roots; /* per source: fd when that source is staged, else -1 */
};

struct build_stage_req {
    char **srcs; /* the sources as expanded; a staged one is rewritten to its staged path */
    size_t n_srcs;
    const struct df_heredoc *heredocs; /* "<<NAME" sources take these in order */
    size_t n_heredocs;
    bool urls;            /* ADD: http:// and https:// sources are fetched */
    const char *checksum; /* ADD --checksum, or NULL */
    char escape;          /* for the expansion of heredoc bodies */
    df_lookup_fn lookup;
    void *ud;
};

/* Stage what q's sources need; ret->fd is -1 when nothing is. */
int build_stage_sources(struct store *s, const struct build_stage_req *q, struct build_stage *ret,
                        struct hk_error *err);
void build_stage_clear(struct build_stage *st);
