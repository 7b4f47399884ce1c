/* parse.h — typed, located reads of JSON fields for the OCI parsers.
 *
 * Each helper reads one field of an object and, when it has the wrong type or value, fills
 * err with "<file>:<line>: <json.path>: <why>". A missing optional field leaves the output
 * untouched and returns 0; a missing required one is an error. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/error.h"

struct parse_ctx {
    const char *file; /* shown in errors, e.g. "config.json" */
    const char *text; /* the file's text, for line numbers; may be NULL */
};

/* Fill err with a located message about jpath. Returns -EINVAL. */
int parse_error(const struct parse_ctx *ctx, struct hk_error *err, const char *jpath,
                const char *fmt, ...) _printf_(4, 5);

/* "parent.key" (or "key" at the top) into buf; returns buf. */
const char *jpath_key(char *buf, size_t size, const char *parent, const char *key);
/* "parent[i]" into buf; returns buf. */
const char *jpath_index(char *buf, size_t size, const char *parent, size_t i);

#define JPATH_MAX 256

int parse_string(const struct parse_ctx *ctx, const json_t *obj, const char *parent,
                 const char *key, bool required, char **ret, struct hk_error *err);
int parse_bool(const struct parse_ctx *ctx, const json_t *obj, const char *parent,
               const char *key, bool *ret, struct hk_error *err);
/* Integers in [min, max]; *ret_set (optional) tells whether the field was present. */
int parse_int(const struct parse_ctx *ctx, const json_t *obj, const char *parent, const char *key,
              bool required, int64_t min, int64_t max, int64_t *ret, bool *ret_set,
              struct hk_error *err);
/* An unsigned 64-bit value (jansson holds it as a signed long long; negative is rejected). */
int parse_u64(const struct parse_ctx *ctx, const json_t *obj, const char *parent, const char *key,
              uint64_t *ret, bool *ret_set, struct hk_error *err);
/* An array of strings into a NULL-terminated strv (allocated), with its count. */
int parse_strv(const struct parse_ctx *ctx, const json_t *obj, const char *parent,
               const char *key, char ***ret, size_t *ret_n, struct hk_error *err);
/* The field as an object/array (borrowed), type-checked; NULL result when absent. */
int parse_object(const struct parse_ctx *ctx, const json_t *obj, const char *parent,
                 const char *key, json_t **ret, struct hk_error *err);
int parse_array(const struct parse_ctx *ctx, const json_t *obj, const char *parent,
                const char *key, json_t **ret, struct hk_error *err);

/* Free a NULL-terminated string vector; returns NULL. */
char **strv_free(char **v);
size_t strv_length(char *const *v);
/* Append a copy of s (strv_append) or s itself (strv_append_take) to the NULL-terminated *v. */
void strv_append(char ***v, const char *s);
void strv_append_take(char ***v, char *s);
char **strv_copy(char *const *v);
bool strv_contains(char *const *v, const char *s);
