/* monitor.h — one small process per running container, daemonless.
 *
 * `hako run` / `hako start` spawn the monitor (double fork, own session, stdio on /dev/null,
 * every other fd closed), which:
 *   1. creates the container through the runtime (container_create_ex, so the monitor is its
 *      init's parent), brings lo up in its network namespace, starts it, and records it
 *      running — reporting the init's pid, or why it failed, to the command that spawned it;
 *   2. execs hako-monitor (tiny/monitor.c) in the same process: a freestanding relay loop of a
 *      few pages that stays the init's parent, relays stdio or the terminal, writes the log and
 *      serves attach clients, until the init exits;
 *   3. which execs hako again (`hako monitor-exit`, monitor_exit() below) to record the exit,
 *      the OOM kill and the times, remove the container from the runtime, apply the restart
 *      policy (back to 1) or --rm, and tell attached clients the exit status.
 * The spawning command can exit at any point after 1 without losing anything. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "engine/record.h"
#include "util/error.h"

/* Start container id (created or exited; the caller checked). With ret_conn, *ret_conn is an
 * attach connection (attach-proto.h) opened before the container starts, so the caller sees
 * all of its output. *ret_pid: the init's host pid. On failure err says why; its code is
 * -ENOENT when the program was not found, -EACCES when it could not be executed (docker's
 * 127 and 126), and the record says exited with that error. start_lock (or -1): the
 * container's start lock, which the monitor keeps holding until its launch is recorded. */
int monitor_start(const struct engine *e, const char *id, int start_lock, int *ret_conn,
                  int *ret_pid, struct hk_error *err);

/* The same for a checkpointed container: the monitor has CRIU restore it from the images
 * directory (runtime/checkpoint.h) instead of creating it, then supervises it as any started
 * one (logs, attach, wait, stop, the restart policy). On failure the record is exited with
 * the error, as for a failed start. */
int monitor_restore(const struct engine *e, const char *id, int start_lock, const char *images,
                    int *ret_pid, struct hk_error *err);

/* What the monitor does once hako-monitor saw the init exit with wait status status.
 * clients are the attached connections it hands over (each gets ATTACH_EXIT at the end).
 * Returns the process exit status for the monitor. */
int monitor_exit(const struct engine *e, const char *id, int status, const int *clients,
                 size_t n_clients);

/* 128+N for a signal N, else the exit status. */
int monitor_exit_code(int wait_status);
