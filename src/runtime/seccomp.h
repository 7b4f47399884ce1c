/* seccomp.h — the OCI linux.seccomp object as a libseccomp filter.
 *
 * seccomp_prepare() parses and builds the filter in the runtime (so a bad profile is reported
 * before any process exists); seccomp_install() loads it in the container process just before
 * execve. A profile with SCMP_ACT_NOTIFY yields a listener fd that the runtime passes to
 * linux.seccomp.listenerPath with the container state, as the spec describes. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "oci/parse.h"
#include "util/error.h"

struct seccomp_program;

/* Parse linux.seccomp (located errors through ctx) and build the filter. */
int seccomp_prepare(const json_t *seccomp, const struct parse_ctx *ctx,
                    struct seccomp_program **ret, struct hk_error *err);

/* Load the filter into the calling process (after no_new_privs or while it still holds
 * CAP_SYS_ADMIN). *ret_listener_fd is the notify fd, or -1 when the profile has none. */
int seccomp_install(struct seccomp_program *p, int *ret_listener_fd, struct hk_error *err);

/* Whether the profile uses SCMP_ACT_NOTIFY (so the runtime must handle a listener fd). */
bool seccomp_has_listener(const struct seccomp_program *p);
const char *seccomp_listener_path(const struct seccomp_program *p);
const char *seccomp_listener_metadata(const struct seccomp_program *p);

/* Connect to listenerPath and send the listener fd with the container process state JSON
 * (struct of the spec's "ContainerProcessState"). */
int seccomp_send_listener(const char *path, int listener_fd, const char *state_json,
                          struct hk_error *err);

struct seccomp_program *seccomp_program_free(struct seccomp_program *p);
