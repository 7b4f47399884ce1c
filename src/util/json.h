/* json.h — jansson helpers: loading a file with located errors, and finding the line of a
 * value by its JSON path, so validation errors can say "config.json:14: process.user.uid". */
#pragma once

#include <jansson.h>
#include <stddef.h>

#include "util/error.h"

/* Parse a JSON file (at most max bytes). On a syntax error: "<path>:<line>:<col>: <why>".
 * *ret_text (optional) receives the file's text for json_line_of(). */
int json_load_file_text(const char *path, size_t max, json_t **ret, char **ret_text,
                        struct hk_error *err);

/* The 1-based line where the value at jpath ("process.user.uid", "mounts[3].type") starts in
 * text, or 0 when it cannot be found. Keys are compared as written (without escapes). */
int json_line_of(const char *text, const char *jpath);

/* Serialize compactly (sorted keys off, as written) into a malloc'd string; aborts on OOM. */
char *json_dump_compact(const json_t *j);

/* jansson >= 2.9 provides json_decrefp() for its json_auto_t. */
#define _cleanup_json_ _cleanup_(json_decrefp)
