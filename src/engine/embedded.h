/* embedded.h — the engine's freestanding programs (tiny/), built into hako. */
#pragma once

#include "util/error.h"

/* A sealed, executable memfd of hako-monitor (close-on-exec): what the monitor process execs
 * once the container runs (engine/monitor.c). -EOPNOTSUPP on an architecture without it. */
int embedded_monitor_fd(struct hk_error *err);

/* <root>/bin/hako-init, written (atomically, read-only) when missing or different from the
 * built-in copy: the host file --init bind-mounts into containers. *ret is allocated. */
int embedded_init_path(const char *root, char **ret, struct hk_error *err);
