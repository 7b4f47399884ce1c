/* events.c — the events log (events.h). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/events.h"
#include "util/fs.h"
#include "util/json.h"

#define EVENTS_MAX (8 << 20)

char *engine_events_path(const struct engine *e)
{
    return xasprintf("%s/events.log", e->root);
}

void engine_event(const struct engine *e, const json_t *rec, const char *action, json_t *extra)
{
    const char *id = json_string_value(json_object_get(rec, "Id"));
    const json_t *cfg = json_object_get(rec, "Config");
    const char *name = json_string_value(json_object_get(rec, "Name"));
    const char *image = json_string_value(json_object_get(cfg, "Image"));
    json_t *attrs = json_object();
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(cfg, "Labels"), k, v) json_object_set(attrs, k, v);
    json_object_set_new(attrs, "image", json_string(image ? image : ""));
    json_object_set_new(attrs, "name",
                        json_string(name && name[0] == '/' ? name + 1
                                    : name                 ? name
                                                           : ""));
    if (extra)
        json_object_update(attrs, extra);
    json_decref(extra);
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    json_t *ev =
        json_pack("{s:s,s:s,s:s,s:s,s:s,s:{s:s,s:o},s:s,s:I,s:I}", "status", action, "id",
                  id ? id : "", "from", image ? image : "", "Type", "container", "Action", action,
                  "Actor", "ID", id ? id : "", "Attributes", attrs, "scope", "local", "time",
                  (json_int_t)t.tv_sec, "timeNano", (json_int_t)t.tv_sec * 1000000000 + t.tv_nsec);
    char *line = json_dumps(ev, JSON_COMPACT);
    json_decref(ev);
    if (!line)
        return;
    size_t n = strlen(line);
    line[n] = '\n'; /* the NUL becomes the newline: one write() of the whole line */
    _cleanup_free_ char *path = engine_events_path(e);
    struct stat st;
    if (stat(path, &st) == 0 && st.st_size > EVENTS_MAX) {
        _cleanup_free_ char *old = xasprintf("%s.1", path);
        rename(path, old);
    }
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd >= 0) {
        if (write(fd, line, n + 1) < 0) {
            /* dropped: events never fail an operation */
        }
        close(fd);
    }
    free(line);
}

void engine_event_id(const struct engine *e, const char *id, const char *action, json_t *extra)
{
    struct record *r = NULL;
    if (record_open(e, id, false, &r, NULL) < 0) {
        json_decref(extra);
        return;
    }
    engine_event(e, r->j, action, extra);
    record_free(r);
}

json_t *engine_event_int(const char *key, int v)
{
    char buf[16];
    snprintf(buf, sizeof(buf), "%d", v);
    return json_pack("{s:s}", key, buf);
}

int engine_last_exit_code(const struct engine *e, const char *id)
{
    _cleanup_free_ char *path = engine_events_path(e);
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0)
        return -1;
    /* the last 1 MiB holds any recent exit; a die of an older one is not asked for */
    off_t from = st.st_size > (1 << 20) ? st.st_size - (1 << 20) : 0;
    size_t n = (size_t)(st.st_size - from);
    _cleanup_free_ char *buf = xcalloc(1, n + 1);
    ssize_t k = pread(fd, buf, n, from);
    if (k <= 0)
        return -1;
    buf[k] = '\0';
    int code = -1;
    char needle[80];
    snprintf(needle, sizeof(needle), "\"id\":\"%s\"", id);
    for (char *line = buf, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (!strstr(line, "\"status\":\"die\"") || !strstr(line, needle))
            continue;
        json_t *ev = json_loads(line, 0, NULL);
        const char *c = json_string_value(
            json_object_get(json_object_get(json_object_get(ev, "Actor"), "Attributes"),
                            "exitCode"));
        if (c)
            code = atoi(c);
        json_decref(ev);
    }
    return code;
}

/* docker's event filter keys (daemon/events/filter.go); hako writes container events only, so
 * the keys of other object types match nothing but are not errors. */
static const char *const event_keys[] = {"config", "container", "daemon", "event", "image",
                                         "label",  "network",   "node",   "plugin", "scope",
                                         "secret", "service",   "type",   "volume"};

int engine_events_check_filters(char *const *filters, struct hk_error *err)
{
    for (size_t i = 0; filters && filters[i]; i++) {
        const char *eq = strchr(filters[i], '=');
        if (!eq)
            return hk_error_set(err, -EINVAL, "bad format of filter (expected name=value)");
        size_t k = 0;
        while (k < ELEMENTSOF(event_keys) &&
               (strlen(event_keys[k]) != (size_t)(eq - filters[i]) ||
                strncmp(filters[i], event_keys[k], (size_t)(eq - filters[i])) != 0))
            k++;
        if (k == ELEMENTSOF(event_keys))
            return hk_error_set(err, -EINVAL, "Invalid filter '%.*s'", (int)(eq - filters[i]),
                                filters[i]);
    }
    return 0;
}

static const char *ev_str(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static bool key_matches(const json_t *ev, const char *key, const char *v)
{
    const json_t *actor = json_object_get(ev, "Actor");
    const json_t *attrs = json_object_get(actor, "Attributes");
    if (strcmp(key, "type") == 0)
        return strcmp(ev_str(ev, "Type"), v) == 0;
    if (strcmp(key, "event") == 0) {
        /* docker's fuzzy match for these: health_status is "health_status: healthy" */
        static const char *const prefixed[] = {"health_status", "exec_create", "exec_start"};
        for (size_t i = 0; i < ELEMENTSOF(prefixed); i++)
            if (strcmp(v, prefixed[i]) == 0)
                return strncmp(ev_str(ev, "Action"), v, strlen(v)) == 0;
        return strcmp(ev_str(ev, "Action"), v) == 0;
    }
    if (strcmp(key, "scope") == 0)
        return strcmp(ev_str(ev, "scope"), v) == 0;
    if (strcmp(key, "image") == 0)
        return strcmp(ev_str(ev, "from"), v) == 0 || strcmp(ev_str(attrs, "image"), v) == 0;
    if (strcmp(key, "label") == 0) {
        const char *eq = strchr(v, '=');
        _cleanup_free_ char *k = eq ? strndup(v, (size_t)(eq - v)) : xstrdup(v);
        const char *have = json_string_value(json_object_get(attrs, k));
        return have && (!eq || strcmp(have, eq + 1) == 0);
    }
    /* container=, network=, volume=, ...: an object of that type by a prefix of its name or
     * ID, as docker's FuzzyMatch */
    if (strcmp(ev_str(ev, "Type"), key) != 0)
        return false;
    return strncmp(ev_str(attrs, "name"), v, strlen(v)) == 0 ||
           strncmp(ev_str(actor, "ID"), v, strlen(v)) == 0;
}

bool engine_event_passes(const json_t *ev, char *const *filters)
{
    for (size_t k = 0; k < ELEMENTSOF(event_keys); k++) {
        /* docker's MatchKVList: an event has every label= asked for */
        bool every = strcmp(event_keys[k], "label") == 0, seen = false, ok = every;
        size_t kl = strlen(event_keys[k]);
        for (size_t i = 0; filters && filters[i]; i++)
            if (strncmp(filters[i], event_keys[k], kl) == 0 && filters[i][kl] == '=') {
                seen = true;
                bool m = key_matches(ev, event_keys[k], filters[i] + kl + 1);
                ok = every ? ok && m : ok || m;
            }
        if (seen && !ok)
            return false;
    }
    return true;
}

int engine_events_read(const char *path, const struct events_window *w, off_t *off,
                       int (*emit)(const json_t *ev, const char *line, size_t n, void *ud),
                       void *ud)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return 0;
    if (st.st_size < *off)
        *off = 0; /* rotated */
    FILE *f = st.st_size > *off ? fopen(path, "re") : NULL;
    if (!f)
        return 0;
    fseeko(f, *off, SEEK_SET);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int r = 0;
    while (r == 0 && (n = getline(&line, &cap, f)) > 0 && line[n - 1] == '\n') {
        *off += n;
        json_t *ev = json_loadb(line, (size_t)n, 0, NULL);
        int64_t t = json_integer_value(json_object_get(ev, "timeNano"));
        if (ev && t >= w->since_ns && (!w->until_ns || t <= w->until_ns) &&
            engine_event_passes(ev, w->filters))
            r = emit(ev, line, (size_t)n, ud);
        json_decref(ev);
    }
    free(line);
    fclose(f);
    return r;
}
