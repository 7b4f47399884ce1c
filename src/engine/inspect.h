/* inspect.h — `hako inspect`: the record, docker-shaped, plus what no other engine shows in
 * one place: the container's namespaces beside the host's, its init's pid on the host and
 * inside, its cgroup with each limit and the current usage. */
#pragma once

#include <jansson.h>

#include "engine/record.h"
#include "util/error.h"

/* The inspect object of container id (refreshed record + Mounts + Hako.{Monitor, Init,
 * Namespaces, Cgroup}). New reference. */
int inspect_container(const struct engine *e, const char *id, json_t **ret,
                      struct hk_error *err);

/* Hako's see-through view of a running container whose init has host pid pid: namespaces,
 * init pids, cgroup (from the runtime) and limits. New reference; {} when it is not running. */
json_t *inspect_see_through(const struct engine *e, const char *id, int pid);
