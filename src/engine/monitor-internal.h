/* monitor-internal.h — what monitor.c (setup and relay) and monitor-exit.c (after the exit)
 * share. Internal to src/engine. */
#pragma once

#include <stdbool.h>

#include "engine/record.h"
#include "util/error.h"

/* A container the monitor launched: the init's pid and our ends of its stdio (with a terminal,
 * out and in are both the pty master and err is -1). */
struct launched {
    int pid;
    int out, err, in;
    bool tty;
};

/* Create and start container id through the runtime with the monitor as the init's parent,
 * loopback up, record it running. On failure nothing of it runs. */
int monitor_launch(const struct engine *e, const char *id, struct launched *l,
                   struct hk_error *err);

/* Exec hako-monitor for l, with client (or -1) as its first attach client. Never returns
 * (kills the container if hako-monitor cannot run). */
_noreturn_ void monitor_relay(const struct engine *e, const char *id, struct launched *l,
                              int client);

/* Record a start that failed: exited with docker's code (127 not found, 126 not executable,
 * 128 else) and the message. */
void monitor_record_failure(const struct engine *e, const char *id, const struct hk_error *err);
