/* creds.h — who the container process is: rlimits, user and groups, capabilities. */
#pragma once

#include "oci/spec.h"
#include "util/error.h"

/* Apply process.rlimits; a hard limit above the current one needs CAP_SYS_RESOURCE, and the
 * error says so instead of a bare EPERM. */
int creds_set_rlimits(const struct oci_process *p, struct hk_error *err);

/* Write process.oomScoreAdj to /proc/self/oom_score_adj (explains EPERM when lowering). */
int creds_set_oom_score_adj(const struct oci_process *p, struct hk_error *err);

/* Drop the bounding set, switch to process.user (groups, gid, uid) keeping the capabilities
 * across setuid, then set effective/permitted/inheritable and raise ambient. Without
 * process.capabilities the capabilities are left as they are (as runc). setgroups_allowed is
 * false in a user namespace whose setgroups file says "deny". */
int creds_apply(const struct oci_process *p, bool setgroups_allowed, struct hk_error *err);

