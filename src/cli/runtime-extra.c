/* runtime-extra.c — the runtime commands that act on a running container's cgroup and
 * processes (exec, update, pause, resume, ps, events), registered with the front door. */
#include "cli/runtime-cmds.h"

const struct cli_command rt_extra_commands[] = {
    {NULL, NULL, NULL},
};
const size_t rt_extra_commands_n = 0;
