/* error.h — the caller-owned error that carries a message up the stack.
 *
 * A function that can fail returns a negative errno and, when given a non-NULL
 * struct hk_error, fills it with what failed. Callers add context on the way up with
 * hk_error_prefix(), so the user reads "create 'web': mount 3 ('/data'): ...".
 * Nothing is allocated: the message lives in the struct. */
#pragma once

#include <stddef.h>

#include "util/macro.h"

#define HK_ERROR_MAX 2048

struct hk_error {
    int code;              /* negative errno, 0 when unset */
    char msg[HK_ERROR_MAX];
};

/* Set the message to the formatted text; returns code (negative errno) so callers can
 * `return hk_error_set(err, -EINVAL, "...")`. A positive code is negated. */
int hk_error_set(struct hk_error *err, int code, const char *fmt, ...) _printf_(3, 4);

/* Like hk_error_set, then appends ": <strerror(code)>". */
int hk_error_errno(struct hk_error *err, int code, const char *fmt, ...) _printf_(3, 4);

/* Prepend "<formatted>: " to the message already there (or set it when empty). Returns code. */
int hk_error_prefix(struct hk_error *err, int code, const char *fmt, ...) _printf_(3, 4);

/* Reset to "no error". */
void hk_error_clear(struct hk_error *err);

/* The message, or strerror(code) when no message was set. Never NULL. */
const char *hk_error_msg(const struct hk_error *err);
