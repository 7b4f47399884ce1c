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
