/* busybox.h — the built-in busybox image (see busybox.c). */
#pragma once

#include <stdbool.h>

#include "image/image.h"

#define BUSYBOX_BINARY "/bin/busybox"
#define BUSYBOX_TAG "docker.io/library/busybox:latest"

/* Build the image from the static busybox binary at path and tag it (a normalized reference).
 * *ret_existed says it was already there (nothing was written). */
int image_build_busybox(struct store *s, const char *busybox, const char *tag, bool *ret_existed,
                        char ret_id[DIGEST_STR_SIZE], struct hk_error *err);
