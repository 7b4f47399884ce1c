/* hooks.h — running OCI hooks: the state JSON on stdin, their own args and env, a timeout. */
#pragma once

#include "oci/spec.h"
#include "util/error.h"

/* Run every hook of one kind, in order, each with state_json on its stdin. Stops at the first
 * failure (non-zero exit, signal, timeout) and says which hook and why. */
int hooks_run(const struct oci_hook *hooks, size_t n, enum oci_hook_kind kind,
              const char *state_json, struct hk_error *err);
/* The same, each hook with cwd_fd (a directory) as its working directory: createContainer
 * hooks run in the container's mount namespace with the container's root as cwd, as the spec
 * and runc have it (their path, and absolute paths they use, still resolve in the runtime's
 * root: the spec's "path MUST resolve in the runtime namespace"). */
int hooks_run_at(const struct oci_hook *hooks, size_t n, enum oci_hook_kind kind,
                 const char *state_json, int cwd_fd, struct hk_error *err);
/* Run every hook of one kind even when some fail (poststart and poststop: the spec's "log a
 * warning, the remaining hooks and lifecycle continue"); failed() gets each failure. Returns
 * how many failed. */
size_t hooks_run_each(const struct oci_hook *hooks, size_t n, enum oci_hook_kind kind,
                      const char *state_json, void (*failed)(const struct hk_error *, void *),
                      void *data);
