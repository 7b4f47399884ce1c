/* checkpoint.h — `hako container checkpoint` and `restore` (podman's): a running container's
 * processes dumped through CRIU (runtime/checkpoint.h) and later brought back under a new
 * monitor, in place or, from an exported tar, on another root.
 *
 * The images go to <dir>/checkpoint (or --checkpoint-dir). Without --leave-running the dump
 * ends the processes: the monitor records the exit as for any exit (no restart: the stop is
 * the user's), then the record says exited (code 0) with State.Checkpointed. restore has a
 * new monitor run CRIU instead of the runtime's create (monitor_restore), so logs, attach,
 * wait, stop and rm work on it as on a started container; the record says running with
 * State.Restored.
 *
 * The export tar holds what podman's does: checkpoint/ (CRIU's images and logs),
 * container.json (the record), config.json (the OCI config) and rootfs-diff.tar (the
 * container's changes to its image as an OCI layer, whiteouts included; from a root filesystem
 * copied rather than overlaid, the whole tree under an opaque root). --import makes a new
 * container from them (the image must be in the store), with a new ID and the old name (or
 * --name), applies the changes onto its root filesystem, then restores it.
 *
 * Refused (the message says why): a container with a terminal, one started with --rm, one on
 * a bridge network (its veth would have to be external to CRIU). */
#pragma once

#include <stdbool.h>

#include "engine/record.h"
#include "image/store.h"
#include "util/error.h"

struct engine_checkpoint_opts {
    const char *dir;         /* images directory; NULL: <container dir>/checkpoint */
    const char *export_path; /* also write the export tar there (NULL: no) */
    bool leave_running;
    bool tcp_established;
};

/* Checkpoint running container id (a full ID). -EINVAL "Container ... is not running". */
int engine_checkpoint(const struct engine *e, struct store *s, const char *id,
                      const struct engine_checkpoint_opts *o, struct hk_error *err);

/* Restore checkpointed container id (not running, with images) under a new monitor. */
int engine_restore(const struct engine *e, struct store *s, const char *id, struct hk_error *err);

/* Make a container from the export tar at path (name: NULL for the one it had) and restore it;
 * *ret_id: its ID. On failure nothing of it is left. */
int engine_restore_import(const struct engine *e, struct store *s, const char *path,
                          const char *name, char **ret_id, struct hk_error *err);
