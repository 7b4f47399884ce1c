/* program.h — the last steps before a container process becomes its program (init and exec). */
#pragma once

#include <stdbool.h>

#include "oci/spec.h"
#include "util/error.h"

struct seccomp_program;

/* Find name in the container's PATH (from env, or the default) like execvp, so a missing
 * program is reported before start: `exec: "x": executable file not found in $PATH`. */
int program_find(const char *name, char *const *env, char **ret, struct hk_error *err);

/* process.env, plus HOME from the container's /etc/passwd when it is not set (as runc). */
char **program_env(const struct oci_process *p);

/* chdir(cwd) and check it is inside the container (CVE-2024-21626: a cwd reached through a
 * leaked fd is outside the root, and getcwd says "(unreachable)"). */
int program_enter_cwd(const char *cwd, struct hk_error *err);

/* rlimits, oom score, cwd, umask, seccomp (now, while CAP_SYS_ADMIN is held, unless
 * no_new_privs lets it wait until just before execve: *ret_seccomp_done says which), then
 * no_new_privs, user and capabilities. A seccomp listener fd goes to the runtime over
 * sync_fd, which answers SYNC_SECCOMP_DONE. */
int program_setup(const struct oci_process *p, struct seccomp_program *seccomp, int sync_fd,
                  bool *ret_seccomp_done, struct hk_error *err);

/* Load the filter; hand a listener fd (if any) to the runtime over sync_fd and wait. */
int program_install_seccomp(struct seccomp_program *seccomp, int sync_fd, struct hk_error *err);
