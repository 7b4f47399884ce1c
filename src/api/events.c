/* events.c — GET /events: the engine's events log (engine/events.h) as docker's stream, with
 * since/until and filters (type, event, container, image, label: OR within a key but label
 * (every one must match), AND across keys). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api/internal.h"
#include "engine/events.h"
#include "engine/options.h"
#include "oci/parse.h"
#include "util/fs.h"
#include "util/json.h"

struct events_job {
    char *path;
    char **filters;
    int64_t since_ns, until_ns; /* 0: none */
    bool replay;                /* since given: from the start of the log */
};

static void events_free(void *p)
{
    struct events_job *j = p;
    free(j->path);
    strv_free(j->filters);
    free(j);
}

static const char *jstr(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static bool key_matches(const json_t *ev, const char *key, const char *v)
{
    const json_t *attrs = json_object_get(json_object_get(ev, "Actor"), "Attributes");
    if (strcmp(key, "type") == 0)
        return strcmp(jstr(ev, "Type"), v) == 0;
    if (strcmp(key, "event") == 0) {
        /* docker's fuzzy match for these: health_status is "health_status: healthy" */
        static const char *const prefixed[] = {"health_status", "exec_create", "exec_start"};
        for (size_t i = 0; i < ELEMENTSOF(prefixed); i++)
            if (strcmp(v, prefixed[i]) == 0)
                return strncmp(jstr(ev, "Action"), v, strlen(v)) == 0;
        return strcmp(jstr(ev, "Action"), v) == 0;
    }
    if (strcmp(key, "image") == 0)
        return strcmp(jstr(ev, "from"), v) == 0;
    if (strcmp(key, "container") == 0)
        return strcmp(jstr(attrs, "name"), v) == 0 ||
               (strlen(v) >= 12 && strncmp(jstr(ev, "id"), v, strlen(v)) == 0);
    if (strcmp(key, "label") == 0) {
        const char *eq = strchr(v, '=');
        _cleanup_free_ char *k = eq ? strndup(v, (size_t)(eq - v)) : xstrdup(v);
        const char *have = json_string_value(json_object_get(attrs, k));
        return have && (!eq || strcmp(have, eq + 1) == 0);
    }
    return false;
}

static bool passes(const json_t *ev, char **filters)
{
    static const char *const keys[] = {"type", "event", "image", "container", "label"};
    for (size_t k = 0; k < ELEMENTSOF(keys); k++) {
        /* docker's MatchKVList: an event has every label= asked for */
        bool every = strcmp(keys[k], "label") == 0, seen = false, ok = every;
        size_t kl = strlen(keys[k]);
        for (size_t i = 0; filters[i]; i++)
            if (strncmp(filters[i], keys[k], kl) == 0 && filters[i][kl] == '=') {
                seen = true;
                bool m = key_matches(ev, keys[k], filters[i] + kl + 1);
                ok = every ? ok && m : ok || m;
            }
        if (seen && !ok)
            return false;
    }
    return true;
}

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Send the complete lines of the log from *off that pass; -EPIPE when the client went. */
static int send_new(struct events_job *j, int fd, off_t *off)
{
    struct stat st;
    if (stat(j->path, &st) < 0)
        return 0;
    if (st.st_size < *off)
        *off = 0; /* rotated */
    if (st.st_size == *off)
        return 0;
    FILE *f = fopen(j->path, "re");
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
        if (ev && t >= j->since_ns && (!j->until_ns || t <= j->until_ns) && passes(ev, j->filters))
            r = api_write_all(fd, line, (size_t)n);
        json_decref(ev);
    }
    free(line);
    fclose(f);
    return r;
}

static void events_run(int fd, void *ud)
{
    struct events_job *j = ud;
    off_t off = 0;
    struct stat st;
    if (!j->replay && stat(j->path, &st) == 0)
        off = st.st_size;
    for (;;) {
        if (send_new(j, fd, &off) < 0)
            return;
        if (j->until_ns && now_ns() > j->until_ns)
            return;
        if (api_peer_gone(fd, 200))
            return;
    }
}

enum MHD_Result api_events(struct api_call *c)
{
    struct events_job *j = xcalloc(1, sizeof(*j));
    struct hk_error err = {0};
    int st = api_filters(&c->req, &j->filters, &err);
    const char *since = api_query(&c->req, "since"), *until = api_query(&c->req, "until");
    if (st == 0 && since && since[0]) {
        j->replay = true;
        if (opt_parse_time(since, now_ns(), &j->since_ns, &err) < 0)
            st = 400;
    }
    if (st == 0 && until && until[0] && opt_parse_time(until, now_ns(), &j->until_ns, &err) < 0)
        st = 400;
    if (st) {
        events_free(j);
        return api_reply_msg(c, (unsigned)st, "%s", hk_error_msg(&err));
    }
    j->path = engine_events_path(c->ctx->e);
    return api_reply_stream(c, "application/json", events_run, j, events_free);
}
