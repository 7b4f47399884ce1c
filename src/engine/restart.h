/* restart.h — docker's restart policies: no, on-failure[:N], always, unless-stopped. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "util/error.h"

/* "on-failure:3" as {"Name": "on-failure", "MaximumRetryCount": 3}. */
int restart_parse(const char *s, json_t **ret, struct hk_error *err);

/* Whether a container with this policy (NULL: no) that exited with exit_code, after
 * restart_count restarts, is started again. manual_stop: the exit came from stop/kill/rm by
 * the user, which no policy overrides. */
bool restart_should(const json_t *policy, int exit_code, int restart_count, bool manual_stop);

/* How long to wait before restart number restart_count + 1: 100 ms doubling each time, at
 * most a minute, as docker. */
long restart_delay_ms(int restart_count);
