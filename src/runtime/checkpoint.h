/* checkpoint.h — checkpoint and restore of a container through CRIU (checkpoint.c). */
#pragma once

#include <stdbool.h>

#include "runtime/container.h"

/* What checkpoint and restore both take. */
struct criu_common_opts {
    const char *image_path; /* default "./checkpoint" (runc's) */
    const char *work_path;  /* default: the image path */
    bool tcp_established;
    bool ext_unix_sk;
    bool file_locks;
};

struct checkpoint_opts {
    struct criu_common_opts c;
    const char *parent_path; /* previous (pre-)dump, relative to the image path */
    bool leave_running;
    bool pre_dump;
    bool keep_state; /* the dumped container stays in the state root: its parent deletes it
                      * once it reaps the init (the engine's monitor does) */
};

struct restore_opts {
    struct criu_common_opts c;
    const char *bundle; /* default "." */
    const char *pid_file;
    bool detach;
    int *ret_pid; /* or NULL: detached, the restored init's pid (our child) */
};

/* Dump the running container id into the image directory; unless leave_running or pre_dump,
 * the container is then ended and (unless keep_state) deleted (runc's behaviour). */
int container_checkpoint(const struct runtime *rt, const char *id, const struct checkpoint_opts *o,
                         struct hk_error *err);

/* Recreate container id from the images, with the bundle's config: detached, return once it
 * runs; otherwise wait for it, delete it and give its exit status in *ret_exit_code. On
 * failure nothing is left (state directory, cgroup, the bind of the rootfs, processes). */
int container_restore(const struct runtime *rt, const char *id, const struct restore_opts *o,
                      int *ret_exit_code, struct hk_error *err);
