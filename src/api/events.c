/* events.c — GET /events: the engine's events log (engine/events.h) as docker's stream, with
 * since/until and docker's filters (engine_event_passes). */
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

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int send_line(const json_t *ev, const char *line, size_t n, void *ud)
{
    (void)ev;
    return api_write_all(*(int *)ud, line, n);
}

/* Send the complete lines of the log from *off that pass; -EPIPE when the client went. */
static int send_new(struct events_job *j, int fd, off_t *off)
{
    struct events_window w = {j->since_ns, j->until_ns, j->filters};
    return engine_events_read(j->path, &w, off, send_line, &fd);
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
    /* an unknown key is docker's 400 "Invalid filter", never ignored */
    if (st == 0 && engine_events_check_filters(j->filters, &err) < 0)
        st = 400;
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
