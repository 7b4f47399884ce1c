/* psfilter.h — docker's `ps --filter` (and the API's container list filters): the keys
 * ancestor, before, since, exited, expose, id, label, name, network, publish, status, volume,
 * health, is-task; values of one key are ORed (but label=, which all must match, as docker's),
 * different keys ANDed. An unknown key is an error, never ignored (a script
 * that removes what `ps -q --filter` lists must not get every container). */
#pragma once

#include <jansson.h>
#include <stdbool.h>

#include "engine/record.h"
#include "image/store.h"
#include "util/error.h"

struct psfilter {
    json_t *by_key;   /* key → array of values */
    json_t *ancestors; /* image IDs the ancestor= values name */
    const char *before_created, *since_created; /* Created of the before=/since= containers */
    json_t *owned;     /* keeps the strings above */
};

/* Parse filters ("key=value" strings) against the records all (for before/since) and the store
 * s (for ancestor; may be NULL: then matched by the name as written). Errors: "Invalid filter
 * 'foo'", "invalid filter 'status=x'", "No such container: x". */
int psfilter_parse(const json_t *filters, const json_t *all, struct store *s,
                   struct psfilter *ret, struct hk_error *err);
void psfilter_clear(struct psfilter *f);

/* Whether the record rec passes. psfilter_wants_stopped: the filters list stopped containers
 * without -a (status=, before=, since=), as docker's do. */
bool psfilter_match(const struct psfilter *f, const json_t *rec);
bool psfilter_wants_stopped(const struct psfilter *f);

/* Shared by the list commands' filters: by_key (key → array of values) passes when each key
 * has a value for which pass(key, value, ud) holds (values ORed, keys ANDed); a label=
 * value, KEY or KEY=VALUE, against labels (an object). */
bool filters_match(const json_t *by_key, bool (*pass)(const char *k, const char *v, void *ud),
                   void *ud);
bool filters_label(const json_t *labels, const char *v);
