/* selfexe.h — run from a sealed copy of our own binary (CVE-2019-5736).
 *
 * A process that hako starts inside a container runs hako's binary until it execs the
 * container's program. If that program is "#!/proc/self/exe" (or anything whose interpreter
 * resolves there), the kernel loads hako's binary as the new image in the container, where
 * root can open /proc/<pid>/exe and, once it exits, overwrite the host's hako. Running from a
 * sealed memfd copy makes /proc/self/exe that copy, which no one can write.
 *
 * The copy is skipped when it cannot help: already sealed, or our binary lives on a read-only
 * mount (install hako there to save the copy and the extra exec). */
#pragma once

#include <stdbool.h>

/* Re-exec from a sealed copy unless protected already; returns only when no re-exec was
 * needed or possible (then *ret_protected says whether we are safe). */
void selfexe_ensure_sealed(char **argv, bool *ret_protected);

/* Whether /proc/self/exe is a sealed memfd or on a read-only mount. */
bool selfexe_is_protected(void);
