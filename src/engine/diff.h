/* diff.h — `hako diff`: what a container changed against its image. */
#pragma once

#include <jansson.h>

#include "engine/record.h"
#include "image/store.h"
#include "util/error.h"

/* The changes of container id against its image, docker's shape: an array of {"Path": "/etc",
 * "Kind": 0 changed | 1 added | 2 deleted}, sorted by path, from the overlay's upper
 * directory (whiteouts are deletions). The files the engine mounts (/etc/hostname, hosts,
 * resolv.conf) are left out, as docker does. */
int engine_diff(const struct engine *e, struct store *s, const char *id, json_t **ret,
                struct hk_error *err);
