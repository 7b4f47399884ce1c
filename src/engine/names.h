/* names.h — container IDs and names, as docker makes and checks them. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "util/error.h"

#define NAMES_ID_LEN 64

/* A random ID: 64 lowercase hex digits (32 bytes from getrandom), never all digits (docker
 * avoids IDs that look like numbers, which would parse as one in some tools). buf has
 * NAMES_ID_LEN + 1 bytes. */
int names_new_id(char *buf, struct hk_error *err);

/* "adjective_surname" from docker's style of lists; seed picks the pair (random when 0).
 * Allocated. */
char *names_generate(unsigned long seed);

/* A user-given name: [a-zA-Z0-9][a-zA-Z0-9_.-]+ (a leading '/' is accepted and dropped).
 * -EINVAL with docker's message otherwise. */
int names_check(const char *name, struct hk_error *err);
