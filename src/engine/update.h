/* update.h — `hako update`: change a container's limits (memory, CPUs, pids, ...) and its
 * restart policy, running or not, as docker's update: the record and config.json keep the new
 * values for the next start, and a running (or paused) container's cgroup gets them now. */
#pragma once

#include <jansson.h>

#include "engine/record.h"
#include "util/error.h"

/* changes: HostConfig keys (Memory, MemorySwap, MemoryReservation, NanoCpus, CpuShares,
 * CpuQuota, CpuPeriod, CpusetCpus, PidsLimit, RestartPolicy). Errors are docker's words;
 * nothing is changed on error. */
int engine_update(const struct engine *e, const char *ref, const json_t *changes,
                  struct hk_error *err);
