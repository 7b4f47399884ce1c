/* push.h — `hako push`: an image of the store to a registry (the distribution API).
 *
 * The blobs are pushed as the store keeps them (pulled layers in their registry's compression,
 * loaded ones as the archive had them, imported ones as plain tar): the manifest's bytes and
 * so its digest stay what they were. Each blob (layers, then the config) is first checked with
 * HEAD and skipped when the registry has it; else mounted from another repository of the same
 * registry that holds it (known from the repo digests of the store's images); else uploaded:
 * POST for an upload session, then one PUT for a blob up to PUSH_CHUNK, or PATCHes of
 * PUSH_CHUNK bytes and a final PUT for a bigger one. The manifest goes last, under the tag, and
 * the image then gets the repo digest "<repo>@<manifest digest>". */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "image/image.h"

#define PUSH_CHUNK (UINT64_C(16) << 20)

struct push_opts {
    const char *name; /* NAME[:TAG] of an image in the store, also where it goes */
    bool tls_verify;
    const char *authfile;
    const char *user, *pass; /* credentials for this push (the API's X-Registry-Auth), or NULL */
    /* layer states: PROGRESS_PREPARING, then EXISTS, MOUNTED, or PUSHING (bytes) and PUSHED */
    const struct progress *progress;
    /* once the layers are known: the repository ("host/a/b") and how many layers */
    void (*on_start)(void *ud, const char *repo, size_t n_layers);
    /* a layer mounted from another repository (before its PROGRESS_MOUNTED) */
    void (*on_mount)(void *ud, size_t index, const char *from);
};

struct push_result {
    char digest[DIGEST_STR_SIZE]; /* the manifest's */
    char *tag;                    /* "latest" */
    uint64_t size;                /* the manifest's bytes */
};
void push_result_clear(struct push_result *r);

int image_push(struct store *s, const struct push_opts *o, struct push_result *ret,
               struct hk_error *err);
