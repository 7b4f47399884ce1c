/* dmz.h — exec the container's program through hako-dmz, a tiny static binary run from a
 * sealed memfd (see dmz/dmz.c), so that hako's own binary is never what /proc/self/exe
 * names when the container's program starts (CVE-2019-5736). */
#pragma once

#include "util/error.h"

/* A sealed, executable memfd holding hako-dmz (close-on-exec), or -EOPNOTSUPP on an
 * architecture without it. Made in the runtime before the clone; the child inherits it. */
int dmz_open(struct hk_error *err);

/* execveat(dmz) with [path, argv...]; returns only on failure. When dmz_fd < 0, or the exec
 * of dmz itself is refused (a seccomp profile without execveat), it execs path directly. */
int dmz_exec(int dmz_fd, const char *path, char *const argv[], char *const envp[]);
