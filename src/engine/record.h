/* record.h — containers as the engine remembers them: one directory per container.
 *
 *   <root>/containers/<id>/          the container's directory, which is also its OCI bundle
 *       container.json               the record, docker-shaped (Id, Name, State, Config,
 *                                    HostConfig, ...) plus hako's own "Hako" object
 *       config.json                  the generated OCI config
 *       rootfs/ upper/ work/         image_rootfs_mount's overlay
 *       hostname hosts resolv.conf   bind-mounted into the container
 *       <id>-json.log                the json-file log
 *       attach.sock                  the monitor's attach socket (while it runs)
 *   <root>/containers/.names.lock    flock: held while a name is chosen, changed or freed
 *   <runroot>/runtime/               the OCI runtime's state root
 *
 * The record is written atomically and changed under an flock of the container's directory,
 * held only around a read-modify-write (never while waiting for a process). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "runtime/container.h"
#include "util/error.h"

struct engine {
    char *root;       /* --root */
    char *runroot;    /* --runroot */
    char *containers; /* <root>/containers */
    char *rt_root;    /* <runroot>/runtime */
    char *cgroup_parent; /* new containers' cgroups are <cgroup_parent>/<id> (default /hako) */
    struct runtime rt;
};

/* Make the directories when missing. */
int engine_open(const char *root, const char *runroot, struct engine **ret, struct hk_error *err);
struct engine *engine_free(struct engine *e);
/* dockerd's --cgroup-parent for the containers this engine creates: "/hako" or a path below
 * it (hako's cgroups live under /hako in every hierarchy). -EINVAL names the flag otherwise. */
int engine_set_cgroup_parent(struct engine *e, const char *path, struct hk_error *err);
/* <root>/containers/<id> (allocated). */
char *engine_dir(const struct engine *e, const char *id);

/* An open record. With a lock, dirfd holds the container directory's flock. */
struct record {
    char *id;
    char *dir;
    int dirfd;
    json_t *j;
};

/* Whether s is a full container ID (64 lowercase hex digits). */
bool record_is_full_id(const char *s);

/* Load the record of container id (a full ID); lock it when lock. -ENOENT: "No such
 * container: <id>". */
int record_open(const struct engine *e, const char *id, bool lock, struct record **ret,
                struct hk_error *err);
int record_save(const struct record *r, struct hk_error *err);
struct record *record_free(struct record *r);

/* A container by full ID, exact name (with or without the leading '/'), or unique ID prefix,
 * as docker resolves them. *ret_id is the full ID (allocated). */
int record_resolve(const struct engine *e, const char *ref, char **ret_id, struct hk_error *err);

/* Every container's record (refreshed, see record_refresh), newest first. */
int record_list(const struct engine *e, json_t **ret, struct hk_error *err);

/* The names lock (<root>/containers/.names.lock), for create, rename and rm. */
int record_names_lock(const struct engine *e, int *ret_fd, struct hk_error *err);
/* The ID of the container named name (no leading '/'), or NULL. Call under the names lock. */
char *record_find_name(const struct engine *e, const char *name);

/* Make a new container directory and its record j (which has "Id" and "Name"): fails with
 * -EEXIST ("Conflict. The container name ... is already in use") when the name is taken.
 * The record is fsync'ed unless HostConfig.AutoRemove. Returns the record locked. */
int record_create(const struct engine *e, json_t *j, struct record **ret, struct hk_error *err);

/* The image store's holders check (store_set_holders, ud: the engine root as a string): > 0
 * when a container, in any state, was made from image_id; *ret_holder names one
 * ("container 3f2a1b9c0d8e"). So `rmi` refuses an image a container uses. */
int record_image_holders(const char *image_id, void *ud, char **ret_holder);

/* Whether the record's monitor (Hako.MonitorPid, checked against its start time) runs. */
bool record_monitor_alive(const json_t *j);

/* A locked record whose status says the container runs but whose monitor is gone (killed, or
 * the machine rebooted) is repaired: what is left of the container is removed from the
 * runtime and the record says exited, with Error naming what happened. Returns whether it
 * changed the record (and saved it). */
bool record_refresh(const struct engine *e, struct record *r);

/* State helpers on a record's JSON. */
const char *record_status(const json_t *j);
/* Set State for a status change: "running" (pid, StartedAt now), "exited" (code, oom,
 * FinishedAt now), "created", "paused", "restarting". */
void record_set_running(json_t *j, int pid);
void record_set_exited(json_t *j, int exit_code, bool oom, const char *error);
void record_set_status(json_t *j, const char *status);
