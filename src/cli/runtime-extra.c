/* runtime-extra.c — the runtime commands that act on a running container's cgroup and
 * processes (exec, update, pause, resume, ps, events), registered with the front door. */
#include "cli/runtime-cmds.h"

const struct cli_command rt_extra_commands[] = {
    {"exec", rt_cmd_exec, "run a new process in the container"},
    {"seccomp-default", rt_cmd_seccomp_default, "print Docker's default seccomp profile"},
    {"update", rt_cmd_update, "update the container's resource limits"},
    {"pause", rt_cmd_pause, "freeze every process of the container"},
    {"resume", rt_cmd_resume, "thaw a paused container"},
    {"ps", rt_cmd_ps, "list the container's processes"},
    {"events", rt_cmd_events, "print the container's stats and OOM events as JSON lines"},
    {"checkpoint", rt_cmd_checkpoint, "checkpoint a running container (CRIU)"},
    {"restore", rt_cmd_restore, "restore a container from a checkpoint (CRIU)"},
};
const size_t rt_extra_commands_n = ELEMENTSOF(rt_extra_commands);
