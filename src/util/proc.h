/* proc.h — running a helper program and taking its output. */
#pragma once

#include <stddef.h>

#include "util/error.h"

/* Run argv (argv[0] found in PATH when it has no '/'), its stdout into *ret_out (at most max
 * bytes, NUL-terminated), stdin and stderr inherited. Fails unless it exits 0, saying how. */
int proc_run_capture(char *const argv[], size_t max, char **ret_out, struct hk_error *err);
