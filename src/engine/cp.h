/* cp.h — a container's files from the host: `export` (its root filesystem as a tar) and `cp`
 * in and out (files, trees, or a tar on stdin/stdout).
 *
 * The container's root filesystem is not trusted: its paths are resolved with openat2
 * (RESOLVE_IN_ROOT), so a symlink in it — planted in the image or by the running container —
 * resolves inside it, never on the host; entries are then read and created with *at calls that
 * never follow a symlink (a link is copied as a link). Host paths are the user's own. Running
 * and stopped containers both work (the overlay stays mounted on the host while the container
 * exists; it is mounted again when a reboot took it). Volumes and tmpfs mounts of a running
 * container are not seen: they live only in its mount namespace. */
#pragma once

#include <jansson.h>

#include "engine/record.h"
#include "image/store.h"
#include "util/error.h"

/* The flattened root filesystem of container id as a tar on out_fd. */
int engine_export(const struct engine *e, struct store *s, const char *id, int out_fd,
                  struct hk_error *err);

/* Copy ctr_path of container id out: to host path dest (into it when it is a directory), or,
 * when dest is "-", as a tar on out_fd. */
int engine_cp_out(const struct engine *e, struct store *s, const char *id, const char *ctr_path,
                  const char *dest, int out_fd, struct hk_error *err);

/* Copy host path src (or, when src is "-", the tar read from in_fd) into container id at
 * ctr_path (into it when it is a directory; a tar needs a directory). */
int engine_cp_in(const struct engine *e, struct store *s, const char *id, const char *src,
                 int in_fd, const char *ctr_path, struct hk_error *err);
