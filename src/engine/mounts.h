/* mounts.h — a container's user mounts, resolved at create as docker's daemon does: `-v`
 * (HostConfig.Binds), `--mount` (HostConfig.Mounts), `--volumes-from` (HostConfig.VolumesFrom)
 * and the image's VOLUMEs, into docker's "Mounts" for the record and OCI mounts for the spec. */
#pragma once

#include <jansson.h>

#include "engine/record.h"
#include "util/error.h"

struct mount_plan {
    json_t *mounts;  /* docker's Mounts: Type, Name, Source, Destination, Driver, Mode, RW,
                        Propagation */
    json_t *oci;     /* OCI mount objects, in the order resolved */
    json_t *copy_up; /* [{"Name", "Destination"}]: volumes to fill from the image (copy-up) */
    json_t *created; /* names of the volumes made for this container */
};

/* Resolve the mounts of a container from its HostConfig hc and the image's config (its
 * "Volumes"), making the volumes it names (and anonymous ones). Call under the volumes lock
 * (volume_lock). On failure the volumes it made are removed again. */
int mounts_plan(const struct engine *e, const json_t *image_config, const json_t *hc,
                struct mount_plan *ret, struct hk_error *err);
void mount_plan_clear(struct mount_plan *p);
/* Remove the volumes the plan made (create failed later). */
void mount_plan_undo(const struct engine *e, const struct mount_plan *p);

/* Docker's copy-up for the plan's new volumes, from the container's root filesystem. */
int mounts_copy_up(const struct engine *e, const struct mount_plan *p, int rootfd,
                   struct hk_error *err);

/* Remove the anonymous volumes among a removed container's Mounts that no other container
 * uses (docker's `rm -v`, and `--rm`). */
void mounts_remove_anonymous(const struct engine *e, const json_t *mounts);
