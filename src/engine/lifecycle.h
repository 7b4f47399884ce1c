/* lifecycle.h — start, stop, kill, rm, wait, pause, rename of engine containers. Each takes a
 * full ID (record_resolve first). Errors carry docker's words. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "engine/record.h"
#include "image/store.h"
#include "util/error.h"

/* Start a created or exited container through a new monitor (monitor_start). A running one
 * is left alone (0, *ret_conn -1). The root filesystem is mounted again when it is not (after
 * a reboot), which needs the store s. */
int engine_start(const struct engine *e, struct store *s, const char *id, int *ret_conn,
                 struct hk_error *err);

/* Take container id's start lock (<dir>/start.lock, see lifecycle.c): held by a start until
 * its monitor reports, by a stop or rm while they check the status, by a checkpoint while it
 * dumps. -ENOENT "No such container". */
int engine_start_lock(const struct engine *e, const char *id, int *ret_fd, struct hk_error *err);

/* Mount the root filesystem again when it is not mounted (a stopped container's, or after a
 * reboot): same upper dir, same changes. s may be NULL: the store of e is opened then. */
int engine_rootfs_ensure(const struct engine *e, struct store *s, const struct record *rec,
                         struct hk_error *err);
/* A stopped container's overlay is unmounted, as docker unmounts at stop (its upper layer
 * stays; engine_rootfs_ensure mounts it again for a start, cp or export). Best effort; a
 * no-op while the container runs or a start, stop or rm holds its start lock. */
void engine_rootfs_release(const struct engine *e, const char *id);

/* Send the stop signal (Config.StopSignal, SIGTERM by default), wait timeout seconds (< 0:
 * Config.StopTimeout, else 10), then SIGKILL; return once the exit is recorded. The restart
 * policy does not restart it. A container that is not running is fine. */
int engine_stop(const struct engine *e, const char *id, int timeout, struct hk_error *err);

/* Send sig to the container's init. -EINVAL "container ... is not running" otherwise. */
int engine_kill(const struct engine *e, const char *id, int sig, struct hk_error *err);

/* Remove a container: with force a running one is killed first, without it that is -EBUSY. */
int engine_remove(const struct engine *e, const char *id, bool force, struct hk_error *err);

/* The same; with volumes, the container's anonymous volumes too (docker's rm -v) unless
 * another container uses them. (--rm containers always lose theirs.) */
int engine_remove_volumes(const struct engine *e, const char *id, bool force, bool volumes,
                          struct hk_error *err);
/* docker's container prune: remove every container that is not running (created, exited),
 * with its anonymous volumes kept (as docker). *ret_removed: their IDs. */
int engine_prune(const struct engine *e, json_t **ret_removed, struct hk_error *err);
/* Remove what is left of a stopped container: runtime state, rootfs, its directory. */
int engine_remove_dir(const struct engine *e, const char *id, struct hk_error *err);

/* Repair what a killed command left in <root>/containers: a container directory without its
 * record (nobody holding it) is removed with what it holds. Called by scanning commands. */
void engine_sweep(const struct engine *e);

/* Whether a record is that of a --rm container that exited and has no monitor left to remove
 * it (the monitor was killed): then whoever sees it removes it. */
bool engine_auto_remove_due(const json_t *j);

/* Block until the container is not running; *ret_code: its exit code. */
int engine_wait(const struct engine *e, const char *id, int *ret_code, struct hk_error *err);

/* Wait (at most timeout_ms) until the record says the container is not running. */
int engine_wait_stopped(const struct engine *e, const char *id, long timeout_ms);

/* Freeze or thaw every process of a running container. */
int engine_pause(const struct engine *e, const char *id, bool pause, struct hk_error *err);

/* Give the container a new name (unique). */
int engine_rename(const struct engine *e, const char *id, const char *name,
                  struct hk_error *err);

/* Whether a status is one with a monitor ("running", "paused", "restarting"). */
bool engine_status_live(const char *status);
