/* build.h — `hako build`: a Dockerfile and a context directory in, an image out.
 *
 * Daemonless and in the engine: every RUN is an engine container (engine_create, then the
 * caller's run hook: the same start-and-relay path as `hako run`, with its limits and
 * seccomp); its overlay upper directory becomes the step's layer (layer_create) and is then
 * moved into the store as that layer's unpacked form, so nothing is copied or unpacked again.
 * COPY writes a fresh layer directory. Each step's result is an (untagged) image, as docker's
 * classic builder makes them; a step whose parent image, instruction text, build arguments and
 * copied content are unchanged is taken from the cache (<root>/build-cache/<key>). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "engine/record.h"
#include "image/layer-create.h"
#include "image/store.h"

struct build_request {
    const char *context;         /* directory */
    const char *dockerfile;      /* its text */
    size_t dockerfile_len;
    const char *dockerfile_name; /* "Dockerfile" for messages */
    json_t *build_args;          /* {"K": "V"} (--build-arg) */
    const char *target;          /* --target stage name, or NULL: the last */
    bool no_cache;
    bool pull;       /* --pull: pull every image FROM and COPY --from name, even when stored */
    json_t *labels;  /* {"k": "v"} (--label) */
    json_t *cache_from; /* ["image", ...] (--cache-from): their steps' layers are reused */
    json_t *secrets; /* {"id": "/host/file"} (--secret id=,src=): RUN --mount=type=secret */
    FILE *out;      /* progress (docker's classic plain output); NULL: quiet */
    enum layer_compression compression;
    /* start container id, relay its output to out, wait: *ret_code its exit status */
    int (*run)(void *ud, const char *id, int *ret_code, struct hk_error *err);
    void *run_ud;
};

/* Build; *ret_id (DIGEST_STR_SIZE) is the final image's ID. Errors name the Dockerfile line. */
int build_image(const struct engine *e, struct store *s, const struct build_request *q,
                char *ret_id, struct hk_error *err);
