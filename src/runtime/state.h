/* state.h — what the runtime remembers about a container between commands.
 *
 * <root>/<id>/            the container's state directory (mkdir is the create lock: a
 *                         second create of the same id fails with EEXIST)
 *   state.json            OCI state plus hako's own fields (pid start time, cgroup, rootfs)
 *   config.json           the bundle's config as it was at create (exec, delete and hooks use
 *                         it, so a changed or removed bundle cannot change the container)
 *   exec.sock             exists from create until start: init waits in accept() on it
 *
 * A directory without state.json is a create in progress (it holds the flock: "creating") or
 * one that died ("stopped"); delete removes what it made, found from its config.json.
 *
 * The status is not stored but derived each time, like runc: stopped when the init is gone
 * (or its pid now belongs to another process: the start time differs), created while the
 * exec socket exists, paused when the cgroup is frozen, running otherwise. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "util/error.h"

#define STATE_ROOT_DEFAULT "/run/hako-runtime"
#define STATE_MAX_BYTES (1u << 20)

enum container_status {
    STATUS_CREATING,
    STATUS_CREATED,
    STATUS_RUNNING,
    STATUS_PAUSED,
    STATUS_STOPPED,
};

struct container_state {
    char *id;
    pid_t pid;
    unsigned long long pid_start; /* /proc/<pid>/stat field 22 */
    char *bundle;
    char *rootfs;
    char *created; /* RFC 3339 with nanoseconds, UTC */
    char *owner;
    json_t *annotations; /* owned, may be NULL */
    json_t *cgroup;      /* owned: cgroup_to_json() */
    bool systemd_cgroup;
};

const char *status_name(enum container_status s);

/* Container ids: 1–1024 characters of [A-Za-z0-9_.+-], not starting with a dot (runc's
 * rule; also keeps ids safe as directory names). */
int state_check_id(const char *id, struct hk_error *err);

/* Make the state root (0700) when missing. */
int state_root_open(const char *root, int *ret_fd, struct hk_error *err);

/* Open <root>/<id> (O_DIRECTORY), taking an exclusive flock on it; -ENOENT → "container
 * '<id>' does not exist". */
int state_dir_open(int rootfd, const char *id, int *ret_fd, struct hk_error *err);

/* Read and write state.json in an open state dir (atomic write). */
int state_load(int dirfd, struct container_state **ret, struct hk_error *err);
/* Parse state.json's text (what state_load reads; at most STATE_MAX_BYTES). The file is the
 * runtime's own, in a root-only directory, but is read as untrusted all the same: pid must be
 * in [0, INT32_MAX] (a wrapped or negative pid could name another process), and id must be a
 * valid container id. */
int state_parse(const char *text, size_t len, struct container_state **ret, struct hk_error *err);
int state_save(int dirfd, const struct container_state *st, struct hk_error *err);
struct container_state *state_free(struct container_state *st);

/* The OCI state JSON (ociVersion, id, status, pid, bundle, annotations, + runc's rootfs,
 * created, owner) for the state command and hooks. */
json_t *state_to_oci_json(const struct container_state *st, enum container_status status);

/* Derive the status (see above). */
enum container_status state_status(int dirfd, const struct container_state *st);

/* The start time of pid from /proc (0 and -errno when it is gone). */
int proc_start_time(pid_t pid, unsigned long long *ret, char *ret_state);

/* Open a pidfd for the container's init that is guaranteed to be that process (not a
 * reused pid): -ESRCH when it is gone. */
int state_pidfd(const struct container_state *st, int *ret_fd);

/* "2006-01-02T15:04:05.999999999Z" for now, into buf (at least 40 bytes). */
char *rfc3339_now(char *buf, size_t size);
