/* commit.h — `hako commit`: a container's changes (its overlay upper directory) become a new
 * image on top of the container's image. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "engine/record.h"
#include "image/layer-create.h"
#include "image/store.h"

/* Edits an image config's "config" object (the --change instructions). */
typedef int (*config_change_fn)(json_t *config, void *ud, struct hk_error *err);

struct commit_request {
    const char *id;      /* the container's full ID */
    const char *tag;     /* a normalized reference, or NULL */
    const char *author;  /* -a, may be NULL */
    const char *comment; /* -m, may be NULL */
    bool pause;          /* freeze a running container while its layer is written */
    enum layer_compression compression;
    config_change_fn change; /* may be NULL */
    void *change_ud;
};

/* The new config is the image's, with the container's Cmd, Entrypoint, Env, WorkingDir, User
 * and Labels, then the changes; history gets the container's command as created_by. */
int engine_commit(const struct engine *e, struct store *s, const struct commit_request *q,
                  char ret_id[DIGEST_STR_SIZE], struct hk_error *err);
