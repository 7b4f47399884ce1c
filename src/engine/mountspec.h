/* mountspec.h — docker's two ways to ask for a mount, parsed and checked as docker does.
 * Both give docker's API Mount object: {"Type": "bind"|"volume"|"tmpfs", "Source", "Target",
 * "ReadOnly", "BindOptions": {"Propagation"}, "VolumeOptions": {"NoCopy", "Labels",
 * "DriverConfig": {"Options"}}, "TmpfsOptions": {"SizeBytes", "Mode"}}. Pure functions: the
 * messages are docker's. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "util/error.h"

/* `-v SRC:DST[:MODE]`, `-v NAME:DST[:MODE]`, `-v DST` (the daemon's parser): *ret the Mount,
 * *ret_mode (may be NULL) MODE as written (allocated, "" when none). Absolute SRC is a bind,
 * anything else a volume name (checked when the volume is made). */
int mountspec_parse_bind(const char *raw, json_t **ret, char **ret_mode, struct hk_error *err);

/* `--mount type=...,source=...,target=...` (the docker CLI's parser): errors as the CLI says
 * them after `invalid argument "..." for "--mount" flag: `. */
int mountspec_parse_csv(const char *csv, json_t **ret, struct hk_error *err);

/* The daemon's check of a Mount: target absolute, not "/", not over /proc (runc's rule: only
 * lxcfs's files inside it), each type's fields; a bind source must exist when must_exist
 * (--mount; -v creates it). Errors: `invalid mount config for type "bind": ...`. */
int mountspec_validate(const json_t *m, bool must_exist, struct hk_error *err);
