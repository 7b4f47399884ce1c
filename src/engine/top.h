/* top.h — a container's processes, read from /proc. */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

/* One process (host pid pid) of the container whose processes are pids (n of them; NULL for
 * none): {HostPID, HostPPID, PID and PPID inside, UID, TIME "hh:mm:ss", CMD}. NULL when the
 * process is gone. New reference. */
json_t *engine_top_process(int pid, const pid_t *pids, size_t n);
