/* create.h — `hako create` (and the first half of `run`): a container record, its root
 * filesystem and its OCI bundle, from an image and docker's flags. Nothing runs yet. */
#pragma once

#include <jansson.h>

#include "engine/record.h"
#include "image/store.h"
#include "util/error.h"

struct image;

struct create_request {
    const char *image; /* as the user wrote it (in the store: the caller pulled it) */
    const struct image *img; /* the image, when the caller looked it up already (or NULL) */
    const char *name;  /* NULL: generated */
    /* docker's Config from the flags: Entrypoint (absent: the image's; [] or [""]: none),
     * Cmd (absent: the image's unless Entrypoint is given), Env (added to the image's), User,
     * WorkingDir, Hostname, Labels, StopSignal, StopTimeout, Tty, OpenStdin. Borrowed. */
    const json_t *config;
    /* docker's HostConfig: Memory, MemorySwap, NanoCpus, CpuShares, CpusetCpus, PidsLimit,
     * Ulimits, ReadonlyRootfs, Binds, Tmpfs, Init, CapAdd, CapDrop, Privileged, SecurityOpt,
     * NetworkMode, RestartPolicy, AutoRemove, UidMaps, GidMaps. Borrowed. */
    const json_t *host_config;
};

/* Check the request, make the record, mount the root filesystem, write the /etc files and
 * config.json. *ret_id: the new container's ID (allocated). Requested limits the host cannot
 * give are clamped, each with a line appended to warnings. On failure nothing is left. */
int engine_create(const struct engine *e, struct store *s, const struct create_request *req,
                  char **ret_id, json_t *warnings, struct hk_error *err);

/* Before a start: point config.json (in dir) at the current inits of the containers whose
 * namespaces it joins (--network/--pid/--ipc container:REF), which must run. */
int create_rejoin(const struct engine *e, const char *dir, const json_t *host_config,
                  struct hk_error *err);

/* The HostConfig checks of create, with docker's words (limits in range, modes known, ...);
 * update applies them to the values it would leave. */
int create_check_host_config(const json_t *host_config, struct hk_error *err);

/* Unmount <dir>/shm, the host side of an --ipc shareable container's /dev/shm, if mounted. */
void create_shm_unmount(const char *dir);

/* Merge the image's config (the "config" object of an image config document) with the
 * flags' Config as docker does. New reference. */
json_t *create_merge_config(const json_t *image_config, const json_t *flags);

/* A docker-format seccomp profile (archMap, includes/excludes) as an OCI linux.seccomp
 * object for this architecture; an OCI object is returned as is. New reference. */
int create_seccomp_from_file(const char *path, json_t **ret, struct hk_error *err);
