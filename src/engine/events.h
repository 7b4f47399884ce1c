/* events.h — what happened to containers, as docker's events: one JSON line per event in
 * <root>/events.log (appended by whichever process did it: the CLI, the service, a monitor),
 * read by the API's /events. Docker's names: create, start, die, kill, stop, pause, unpause,
 * rename, destroy. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

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

/* docker's event filters ("key=value" strings, NULL-terminated): type, event, image,
 * container (name or ID prefix), label, scope, and the other object types' keys (network,
 * volume, daemon, ...: match those objects' events, none of which hako writes yet); values of
 * one key ORed, keys ANDed. An unknown key is "Invalid filter 'foo'". */
int engine_events_check_filters(char *const *filters, struct hk_error *err);
bool engine_event_passes(const json_t *ev, char *const *filters);

/* The complete lines of the log at path from *off on (moved past them; back to 0 when the log
 * was rotated) whose events fall in the window and pass its filters: emit(ev, line, n, ud)
 * for each; a non-zero return stops and is returned. */
struct events_window {
    int64_t since_ns, until_ns; /* 0: no bound */
    char *const *filters;       /* NULL-terminated, or NULL */
};
int engine_events_read(const char *path, const struct events_window *w, off_t *off,
                       int (*emit)(const json_t *ev, const char *line, size_t n, void *ud),
                       void *ud);
