/* seccomp.h — the OCI linux.seccomp object as a seccomp BPF program.
 *
 * seccomp_prepare() parses the profile and compiles it with libseccomp in the runtime, before
 * any container process exists, so a bad profile is a located error and nothing is left
 * behind. The result is a plain BPF program plus seccomp(2) flags: seccomp_install() loads it
 * in the container process just before execve with one seccomp(2) call — no allocation, no
 * files, no libseccomp state in the child.
 *
 * A profile that uses SCMP_ACT_NOTIFY yields a listener fd from seccomp_install(); the runtime
 * hands it to the seccomp agent at linux.seccomp.listenerPath with seccomp_send_listener().
 *
 * Semantics follow runc: unknown syscall names are skipped (the profile may name syscalls this
 * libseccomp or kernel does not know; logged at debug level); a rule whose action equals the
 * default action is skipped; conditions that repeat an argument index are split into one rule
 * per condition; a bad action, operator, architecture, flag or argument index is an error. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "oci/parse.h"
#include "util/error.h"

struct seccomp_program;

/* Parse linux.seccomp (errors located through ctx as "linux.seccomp.…"), compile it, and check
 * that the kernel accepts its flags. A NULL seccomp object gives *ret = NULL (no filter), which
 * seccomp_install() accepts. Run in the runtime before clone. */
int seccomp_prepare(const json_t *seccomp, const struct parse_ctx *ctx,
                    struct seccomp_program **ret, struct hk_error *err);

/* seccomp_prepare with a cache in cache_dir (NULL: none), made when missing: a profile compiled
 * once (libseccomp takes ~8 ms for Docker's) is stored there and read back by later creates.
 * Each file holds the profile's canonical text, compared byte for byte before use, and the
 * libseccomp version is part of it. Profiles with a notify listener are not cached. */
int seccomp_prepare_cached(const json_t *seccomp, const struct parse_ctx *ctx,
                           const char *cache_dir, struct seccomp_program **ret,
                           struct hk_error *err);

/* Load the filter into the calling process with seccomp(2). The caller must already have
 * no_new_privs set or hold CAP_SYS_ADMIN in its user namespace (else -EACCES). Allocates
 * nothing and touches no file, so it is safe in the container child right before execve.
 * *ret_listener_fd is the notify fd (O_CLOEXEC) when the profile uses SCMP_ACT_NOTIFY, else -1.
 * A NULL program loads nothing. */
int seccomp_install(const struct seccomp_program *p, int *ret_listener_fd, struct hk_error *err);

/* Whether the profile uses SCMP_ACT_NOTIFY (so the runtime must handle a listener fd). */
bool seccomp_has_listener(const struct seccomp_program *p);
/* linux.seccomp.listenerPath / listenerMetadata as written, or NULL. */
const char *seccomp_listener_path(const struct seccomp_program *p);
const char *seccomp_listener_metadata(const struct seccomp_program *p);

/* Connect to p's listenerPath (an AF_UNIX SOCK_STREAM socket) and send the spec's "container
 * process state" — {"ociVersion", "fds": ["seccompFd"], "pid", "metadata" (listenerMetadata,
 * when set), "state"} — with listener_fd attached by SCM_RIGHTS to the first sendmsg; then
 * close the connection. state_json is the runtime state (runtime.md "State": ociVersion, id,
 * status, pid, bundle, annotations); its "pid" is also the message's. listener_fd stays open:
 * the caller closes it. Runs in the runtime, never in the container child. */
int seccomp_send_listener(const struct seccomp_program *p, int listener_fd, const char *state_json,
                          struct hk_error *err);

struct seccomp_program *seccomp_program_free(struct seccomp_program *p);

/* Docker's default profile (moby profiles/seccomp/default.json) as an OCI linux.seccomp
 * object for this build's architecture, with the capability-conditional rules resolved for
 * Docker's default capability set. `hako run` uses it unless told otherwise. */
const char *seccomp_default_profile_json(void);
