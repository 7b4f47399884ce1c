/* hooks.h — running OCI hooks: the state JSON on stdin, their own args and env, a timeout. */
#pragma once

#include "oci/spec.h"
#include "util/error.h"

/* Run every hook of one kind, in order, each with state_json on its stdin. Stops at the first
 * failure (non-zero exit, signal, timeout) and says which hook and why. */
int hooks_run(const struct oci_hook *hooks, size_t n, enum oci_hook_kind kind,
              const char *state_json, struct hk_error *err);
