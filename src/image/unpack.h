/* unpack.h — from layer blobs in the store to layers/<chain-id> directories.
 *
 * Layers not unpacked yet are extracted in parallel, each by a child process (hako may later
 * clone() containers from this process, so it never starts threads), into tmp/; the
 * filesystem is synced once, and then each is published by rename. A failure removes every
 * partial directory, so nothing incomplete ever appears under layers/. */
#pragma once

#include <jansson.h>

#include "image/image.h"

/* layers: array of {"digest", "diff_id"} (blob digest and expected diff ID), bottom first.
 * Adds "chain_id" and "unpacked_size" to each. Already published layers are skipped. */
int unpack_layers(struct store *s, json_t *layers, const struct progress *progress,
                  struct hk_error *err);
