/* events.h — what happened to containers, as docker's events: one JSON line per event in
 * <root>/events.log (appended by whichever process did it: the CLI, the service, a monitor),
 * read by the API's /events. Docker's names: create, start, die, kill, stop, pause, unpause,
 * rename, destroy. */
#pragma once

#include <jansson.h>

#include "engine/record.h"

/* <root>/events.log (allocated). */
char *engine_events_path(const struct engine *e);

/* Append the event action of container rec (its record's JSON) with extra attributes (an
 * object, stolen, may be NULL). Best effort: an event that cannot be written is dropped, it
 * never fails the operation. The log is rotated past 8 MiB (one old generation, .1). */
void engine_event(const struct engine *e, const json_t *rec, const char *action, json_t *extra);

/* Same, for a container whose record the caller does not hold (read without the lock). */
void engine_event_id(const struct engine *e, const char *id, const char *action, json_t *extra);

/* The exit code of container id's last "die" event (full ID), or -1: for a --rm container
 * that is gone by the time a waiter looks at it. */
int engine_last_exit_code(const struct engine *e, const char *id);

/* {key: "v"}: docker's event attributes are strings ("signal": "15", "exitCode": "0"). */
json_t *engine_event_int(const char *key, int v);
