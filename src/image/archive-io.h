/* archive-io.h — images in and out of tar files: `load` (docker-archive from `docker save`,
 * and oci-archive), `save` (a docker-archive that is also an OCI layout, as Docker 25+ writes
 * it) and `import` (a root filesystem tarball becomes a one-layer image). */
#pragma once

#include <jansson.h>

#include "image/image.h"

/* Load every image of the archive read from fd (possibly compressed). *ret_loaded: an array of
 * {"name": normalized tag} or {"id": image ID} for untagged images. Archive members are
 * extracted with the layer rules (nothing outside a temporary directory) and every blob is
 * verified before it is stored. */
int image_load(struct store *s, int fd, json_t **ret_loaded, struct hk_error *err);

/* Write the images names (references or IDs) as one archive to fd. */
int image_save(struct store *s, char *const *names, size_t n, int fd, struct hk_error *err);

/* Import a root filesystem tarball (possibly compressed) from fd as a one-layer image tagged
 * tag (a reference, may be NULL); comment goes to its history, config (may be NULL: empty)
 * is the image config's "config" object (Cmd, Env, ... from `--change`). */
int image_import(struct store *s, int fd, const char *tag, const char *comment, json_t *config,
                 char ret_id[DIGEST_STR_SIZE], struct hk_error *err);
