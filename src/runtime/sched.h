/* sched.h — scheduling, I/O priority and NUMA memory policy of the calling process. */
#pragma once

#include "oci/spec.h"
#include "util/error.h"

/* process.ioPriority then process.scheduler, when set. */
int sched_apply_process(const struct oci_process *p, struct hk_error *err);
/* linux.memoryPolicy, when set. */
int sched_apply_memory_policy(const struct oci_memory_policy *mp, struct hk_error *err);
