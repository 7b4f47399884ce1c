/* pull.h — `hako pull`: manifest (and index) → config → layers → unpack → record. */
#pragma once

#include <stdbool.h>

#include "image/image.h"
#include "image/manifest.h"

struct pull_opts {
    const char *name;                /* the reference as the user wrote it */
    const struct platform *platform; /* NULL: the host's */
    bool tls_verify;
    const char *authfile;
    const char *user, *pass; /* explicit credentials (the API's X-Registry-Auth), or NULL */
    const struct progress *progress;
    /* called once the manifest is known, with the number of layers (to draw progress) */
    void (*on_manifest)(void *ud, const char *tag_or_digest, const char *repo_path, size_t n);
};

struct pull_result {
    char id[DIGEST_STR_SIZE];     /* image ID */
    char digest[DIGEST_STR_SIZE]; /* what the reference resolved to (manifest or index) */
    char *name;                   /* normalized reference, "docker.io/library/busybox:latest" */
    bool newer;                   /* the name now points to a different image than before */
};
void pull_result_clear(struct pull_result *r);

/* Pull o->name into the store. Blobs already present are not downloaded again, layers already
 * unpacked are not unpacked again. On failure nothing that looks complete is left: partial
 * downloads are unnamed temporary files, partial layers live in tmp/ until removed. */
int image_pull(struct store *s, const struct pull_opts *o, struct pull_result *ret,
               struct hk_error *err);
