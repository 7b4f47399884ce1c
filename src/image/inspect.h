/* inspect.h — an image as `docker image inspect` shows it (`hako image inspect`, the API's
 * GET /images/{name}/json). */
#pragma once

#include <jansson.h>

#include "image/image.h"

/* Id, RepoTags, RepoDigests (familiar names), Created, Config (docker's keys always present),
 * Architecture, Os, Size, GraphDriver, RootFS, Metadata. New reference. */
json_t *image_inspect(const struct image *img);
