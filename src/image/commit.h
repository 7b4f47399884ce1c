/* commit.h — making an image out of a base image plus changes (commit, build). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "image/image.h"
#include "image/layer-create.h"

/* RFC 3339 UTC ("2026-01-02T03:04:05Z") of t seconds since the epoch. */
void image_time_string(int64_t t, char buf[32]);

/* A copy of base's image config (with "config" and "history" present), or, for NULL (scratch),
 * an empty one for the host's platform. */
json_t *image_config_from(const struct image *base);

/* Append a history entry to config and set its "created" (and "author" when given). */
void image_config_history(json_t *config, const char *created, const char *created_by,
                          const char *author, const char *comment, bool empty_layer);

/* Store config (rootfs.diff_ids rewritten: base's layers, then layer when not NULL) with keys
 * sorted, and record the image base's layers + layer, tagged tag (may be NULL). */
int image_commit(struct store *s, const struct image *base, json_t *config,
                 const struct layer_created *layer, const char *tag, char ret_id[DIGEST_STR_SIZE],
                 struct hk_error *err);
