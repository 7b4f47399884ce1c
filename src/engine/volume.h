/* volume.h — docker's named and anonymous volumes (the `local` driver).
 *
 *   <root>/volumes/<name>/volume.json   the record, docker-shaped: Name, Driver ("local"),
 *                                       Mountpoint, CreatedAt, Labels, Options, Scope
 *   <root>/volumes/<name>/_data         the content (a plain volume's bind-mount source)
 *   <root>/volumes/.lock                flock: held while volumes are made, removed or
 *                                       claimed by a container being created
 *
 * A volume with driver options (type=tmpfs, type=none,o=bind,device=/dir, or a device with a
 * filesystem type) is mounted from those options into each container that uses it, instead of
 * from _data. Which containers use a volume is read from their records' "Mounts". No function
 * here prints; errors carry docker's words. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "engine/record.h"
#include "util/error.h"

/* docker's local volume names: [a-zA-Z0-9][a-zA-Z0-9_.-]+ (at least two characters). */
int volume_check_name(const char *name, struct hk_error *err);

/* Take the volumes lock (*ret_fd, close it to release). */
int volume_lock(const struct engine *e, int *ret_fd, struct hk_error *err);

/* Create volume name (NULL: an anonymous one, a random 64-hex name labelled
 * com.docker.volume.anonymous) with labels and driver options (objects, may be NULL), or
 * return the existing one of that name. *ret_vol: its record (new reference);
 * *ret_created (may be NULL): whether it is new. Call under the volumes lock. */
int volume_create_locked(const struct engine *e, const char *name, const json_t *labels,
                         const json_t *opts, json_t **ret_vol, bool *ret_created,
                         struct hk_error *err);
/* The same, taking the lock. */
int volume_create(const struct engine *e, const char *name, const json_t *labels,
                  const json_t *opts, json_t **ret_vol, bool *ret_created, struct hk_error *err);

/* The record of volume name: -ENOENT "no such volume". */
int volume_get(const struct engine *e, const char *name, json_t **ret, struct hk_error *err);

/* Every volume's record, sorted by name. */
int volume_list(const struct engine *e, json_t **ret, struct hk_error *err);

/* The IDs of the containers whose Mounts name the volume (a JSON array, new reference). */
json_t *volume_users(const struct engine *e, const char *name);

/* Remove a volume no container uses: -EBUSY "remove NAME: volume is in use - [IDs]",
 * -ENOENT "get NAME: no such volume". Takes the lock unless locked. */
int volume_remove(const struct engine *e, const char *name, bool locked, struct hk_error *err);

/* Remove the unused volumes: anonymous ones only unless all; labels filters
 * ("label=K[=V]", "label!=K[=V]", as docker's prune --filter). *ret_removed: their names;
 * *ret_bytes: the space their _data held. */
int volume_prune(const struct engine *e, bool all, const json_t *filters, json_t **ret_removed,
                 long long *ret_bytes, struct hk_error *err);

/* Whether a volume record passes docker's `volume ls` filters (an array of "key=value":
 * name, label, label!, dangling, driver). -EINVAL for an unknown key. */
int volume_filter_match(const struct engine *e, const json_t *vol, const json_t *filters,
                        bool *ret, struct hk_error *err);

/* The OCI mount of volume vol at dest: a bind of its _data, or its driver options' mount. */
json_t *volume_oci_mount(const json_t *vol, const char *dest, bool ro, const char *propagation);

/* Docker's copy-up: fill the volume's empty _data with what the image has at dest (resolved
 * inside the root filesystem rootfd with RESOLVE_IN_ROOT; a symlink is copied as a symlink,
 * never followed). A volume with content, or a dest that is not a directory, is left alone. */
int volume_copy_up(const json_t *vol, int rootfd, const char *dest, struct hk_error *err);

/* Bytes under dir (not crossing mounts), for prune and system df. */
long long volume_dir_size(const char *dir);
