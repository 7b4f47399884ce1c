/* list.h — listing containers as docker does (`ps`, GET /containers/json). */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* "Up 5 seconds", "Exited (0) 3 minutes ago", "Created", "Restarting (1) 2 seconds ago" for a
 * record's State at time now (seconds since the epoch). Allocated. */
char *engine_status_text(const json_t *state, int64_t now);

