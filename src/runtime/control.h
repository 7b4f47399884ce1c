/* control.h — runtime operations on a live container through its cgroup: pause, resume,
 * update, ps, and what events needs (stats, OOM kills, the end of the container). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "oci/parse.h"
#include "runtime/container.h"
#include "util/error.h"

struct cgroup_manager;

/* Freeze every process of a running (or created) container; its status becomes "paused". */
int container_pause(const struct runtime *rt, const char *id, struct hk_error *err);
/* Thaw a paused container. */
int container_resume(const struct runtime *rt, const char *id, struct hk_error *err);

/* Apply a linux.resources-shaped object (runc update -r) to a container that is not stopped.
 * ctx names the document in errors ("resources.json:3: memory.limit: ..."). */
int container_update(const struct runtime *rt, const char *id, const json_t *resources,
                     const struct parse_ctx *ctx, struct hk_error *err);

/* The pids in the container's cgroup (allocated; empty for a stopped container). */
int container_pids(const struct runtime *rt, const char *id, pid_t **ret, size_t *ret_n,
                   struct hk_error *err);

/* What `events` watches, taken under the container's lock and kept after it is released:
 * the cgroup manager and a pidfd of the init (readable once it exits). -ESRCH when the
 * container is stopped. */
struct container_watch {
    struct cgroup_manager *cg;
    int pidfd;
};
int container_watch_open(const struct runtime *rt, const char *id, struct container_watch *ret,
                         struct hk_error *err);
void container_watch_close(struct container_watch *w);

/* The container's cgroup manager, whatever its status: a stopped container keeps its cgroup
 * until delete, so its counters (OOM kills, peak memory) can still be read, as the engine
 * does when it records an exit. The caller frees *ret. */
int container_cgroup(const struct runtime *rt, const char *id, struct cgroup_manager **ret,
                     struct hk_error *err);
