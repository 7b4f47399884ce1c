/* streams.c — the container endpoints that stream: logs (follow), attach (hijacked), wait
 * (registered before start) and stats (one-shot or every second), plus resize.
 *
 * Logs come from the container's json-file log (engine/logs.c), attach talks to the monitor's
 * attach socket (engine/attach.c), stats samples the cgroup (engine/stats.c): none of them
 * needs the service to stay up, and a client that goes away ends only its own thread. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "api/internal.h"
#include "engine/events.h"
#include "engine/attach.h"
#include "engine/lifecycle.h"
#include "engine/logs.h"
#include "engine/options.h"
#include "engine/stats.h"
#include "util/fs.h"
#include "util/json.h"

static const char *jstr(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

/* The fields of a container's record a stream needs, read fresh (refreshed when its monitor
 * died). -ENOENT when it was removed. */
struct snapshot {
    char status[16];
    char finished[40];
    int exit_code, pid;
    bool tty;
};

static int snapshot(const struct engine *e, const char *id, struct snapshot *s)
{
    struct record *rec = NULL;
    int r = record_open(e, id, true, &rec, NULL);
    if (r < 0)
        return r;
    record_refresh(e, rec);
    const json_t *st = json_object_get(rec->j, "State");
    snprintf(s->status, sizeof(s->status), "%s", record_status(rec->j));
    snprintf(s->finished, sizeof(s->finished), "%s", jstr(st, "FinishedAt"));
    s->exit_code = (int)json_integer_value(json_object_get(st, "ExitCode"));
    s->pid = (int)json_integer_value(json_object_get(st, "Pid"));
    s->tty = json_is_true(json_object_get(json_object_get(rec->j, "Config"), "Tty"));
    record_free(rec);
    return 0;
}

/* --- logs ------------------------------------------------------------------------------------ */

struct logs_job {
    const struct engine *e;
    char *id, *path;
    bool follow, out, err, timestamps, tty;
    struct log_filter f;
    int fd;
    bool broken;
};

static void logs_free(void *p)
{
    struct logs_job *j = p;
    free(j->id);
    free(j->path);
    free(j);
}

static int emit(const struct log_entry *le, void *ud)
{
    struct logs_job *j = ud;
    bool is_err = strcmp(le->stream, "stderr") == 0;
    if (is_err ? !j->err : !j->out)
        return 0;
    _cleanup_free_ char *buf = NULL;
    const char *p = le->log;
    size_t n = le->len;
    if (j->timestamps) {
        buf = xasprintf("%s %.*s", le->time, (int)le->len, le->log);
        p = buf;
        n = strlen(buf);
    }
    int r = j->tty ? api_write_all(j->fd, p, n) : api_write_frame(j->fd, is_err ? 2 : 1, p, n);
    if (r < 0)
        j->broken = true;
    return r;
}

static void logs_run(int fd, void *ud)
{
    struct logs_job *j = ud;
    j->fd = fd;
    off_t off = 0;
    for (;;) {
        struct snapshot s;
        bool live = snapshot(j->e, j->id, &s) == 0 && engine_status_live(s.status);
        if (logs_read(j->path, &j->f, emit, j, &off, NULL) < 0 || j->broken || !j->follow || !live)
            return;
        if (api_peer_gone(fd, 100))
            return;
    }
}

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static enum MHD_Result logs(struct api_call *c, const char *id)
{
    struct logs_job *j = xcalloc(1, sizeof(*j));
    struct snapshot s = {0};
    snapshot(c->ctx->e, id, &s);
    _cleanup_free_ char *dir = engine_dir(c->ctx->e, id);
    *j = (struct logs_job){.e = c->ctx->e,
                           .id = xstrdup(id),
                           .path = xasprintf("%s/%s-json.log", dir, id),
                           .follow = api_query_bool(&c->req, "follow"),
                           .out = api_query_bool(&c->req, "stdout"),
                           .err = api_query_bool(&c->req, "stderr"),
                           .timestamps = api_query_bool(&c->req, "timestamps"),
                           .tty = s.tty,
                           .f = {.tail = -1}};
    if (!j->out && !j->err) {
        logs_free(j);
        return api_reply_msg(c, 400, "Bad parameters: you must choose at least one stream");
    }
    const char *tail = api_query(&c->req, "tail");
    if (tail && tail[0] && strcmp(tail, "all") != 0)
        j->f.tail = atol(tail);
    struct hk_error err = {0};
    const char *since = api_query(&c->req, "since"), *until = api_query(&c->req, "until");
    if ((since && since[0] && strcmp(since, "0") != 0 &&
         opt_parse_time(since, now_ns(), &j->f.since_ns, &err) < 0) ||
        (until && until[0] && strcmp(until, "0") != 0 &&
         opt_parse_time(until, now_ns(), &j->f.until_ns, &err) < 0)) {
        logs_free(j);
        return api_reply_msg(c, 400, "%s", hk_error_msg(&err));
    }
    return api_reply_stream(c,
                            s.tty ? "application/vnd.docker.raw-stream"
                                  : "application/vnd.docker.multiplexed-stream",
                            logs_run, j, logs_free);
}

/* --- wait ------------------------------------------------------------------------------------ */

struct wait_job {
    const struct engine *e;
    char *id;
    enum { W_NOT_RUNNING, W_NEXT_EXIT, W_REMOVED } cond;
    struct snapshot start;
};

static void wait_free(void *p)
{
    struct wait_job *w = p;
    free(w->id);
    free(w);
}

static void wait_run(int fd, void *ud)
{
    struct wait_job *w = ud;
    int code = w->start.exit_code;
    for (;;) {
        struct snapshot s;
        if (snapshot(w->e, w->id, &s) < 0) {
            if (w->cond == W_REMOVED || w->cond == W_NEXT_EXIT) {
                /* removed (--rm) after its exit, maybe before we saw it exit: its die event
                 * has the code */
                int last = engine_last_exit_code(w->e, w->id);
                if (last >= 0)
                    code = last;
                break;
            }
            code = -1;
            break;
        }
        code = s.exit_code;
        bool live = engine_status_live(s.status);
        bool done = !live && strcmp(s.status, "created") != 0;
        if (w->cond == W_NOT_RUNNING && !live)
            break;
        if (w->cond == W_NEXT_EXIT && done &&
            (strcmp(w->start.status, "exited") != 0 || strcmp(s.finished, w->start.finished) != 0))
            break;
        if (api_peer_gone(fd, 50))
            return;
    }
    _cleanup_free_ char *body = code < 0 ? xasprintf("{\"StatusCode\":-1,\"Error\":{\"Message\":"
                                                     "\"No such container: %s\"}}\n",
                                                     w->id)
                                         : xasprintf("{\"StatusCode\":%d,\"Error\":null}\n", code);
    api_write_all(fd, body, strlen(body));
}

static enum MHD_Result wait_ct(struct api_call *c, const char *id)
{
    const char *cond = api_query(&c->req, "condition");
    struct wait_job *w = xcalloc(1, sizeof(*w));
    w->e = c->ctx->e;
    w->id = xstrdup(id);
    if (!cond || !cond[0] || strcmp(cond, "not-running") == 0)
        w->cond = W_NOT_RUNNING;
    else if (strcmp(cond, "next-exit") == 0)
        w->cond = W_NEXT_EXIT;
    else if (strcmp(cond, "removed") == 0)
        w->cond = W_REMOVED;
    else {
        wait_free(w);
        return api_reply_msg(c, 400, "invalid condition: \"%s\"", cond);
    }
    /* registered now, before the answer: a start that follows is seen */
    snapshot(c->ctx->e, id, &w->start);
    return api_reply_stream(c, "application/json", wait_run, w, wait_free);
}

/* --- attach ------------------------------------------------------------------------------------
 */

/* Clients attached to a created container, waiting for its start (api_attach_handoff). */
struct pending {
    char id[65];
    int conn; /* -1 until handed off */
    bool used;
    bool claimed;       /* a start through this service will hand over (or say it failed) */
    unsigned char want; /* ATTACH_* streams the client asked for */
    bool finished;
};
static struct pending pending[64];
static pthread_mutex_t pending_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pending_cond = PTHREAD_COND_INITIALIZER;

static int pending_add(const char *id, unsigned char want)
{
    pthread_mutex_lock(&pending_lock);
    int slot = -1;
    for (int i = 0; i < (int)ELEMENTSOF(pending) && slot < 0; i++)
        if (!pending[i].used) {
            slot = i;
            pending[i] = (struct pending){.conn = -1, .used = true, .want = want};
            snprintf(pending[i].id, sizeof(pending[i].id), "%s", id);
        }
    pthread_mutex_unlock(&pending_lock);
    return slot;
}

bool api_attach_waiting(const char *id, unsigned char *ret_want)
{
    bool found = false;
    pthread_mutex_lock(&pending_lock);
    for (size_t i = 0; i < ELEMENTSOF(pending); i++)
        if (pending[i].used && !pending[i].claimed && strcmp(pending[i].id, id) == 0) {
            pending[i].claimed = true;
            if (!found)
                *ret_want = pending[i].want;
            found = true;
        }
    pthread_mutex_unlock(&pending_lock);
    return found;
}

bool api_attach_handoff(const char *id, int conn)
{
    bool taken = false;
    pthread_mutex_lock(&pending_lock);
    for (size_t i = 0; i < ELEMENTSOF(pending); i++)
        if (pending[i].used && pending[i].claimed && !pending[i].finished &&
            strcmp(pending[i].id, id) == 0) {
            pending[i].finished = true;
            if (!taken && conn >= 0) {
                pending[i].conn = conn;
                taken = true;
            }
        }
    pthread_cond_broadcast(&pending_cond);
    pthread_mutex_unlock(&pending_lock);
    return taken;
}

/* Wait for slot's connection while the client is there: from the start that claimed it, or,
 * when another client started the container, a connection of our own. Frees the slot. */
static int pending_take(int slot, int sock, const struct engine *e, const char *id, bool *ret_hello)
{
    for (;;) {
        pthread_mutex_lock(&pending_lock);
        struct timespec t;
        clock_gettime(CLOCK_REALTIME, &t);
        t.tv_nsec += 200 * 1000000L;
        if (t.tv_nsec >= 1000000000L) {
            t.tv_sec++;
            t.tv_nsec -= 1000000000L;
        }
        if (!pending[slot].finished)
            pthread_cond_timedwait(&pending_cond, &pending_lock, &t);
        bool claimed = pending[slot].claimed, finished = pending[slot].finished;
        pthread_mutex_unlock(&pending_lock);
        if (finished)
            break;
        /* POLLRDHUP alone is docker's CLI closing its write side (no stdin): still there */
        struct pollfd p = {.fd = sock, .events = 0};
        bool gone = poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR));
        struct snapshot s;
        bool started = !claimed && (snapshot(e, id, &s) < 0 || engine_status_live(s.status));
        if (gone || started)
            break;
    }
    pthread_mutex_lock(&pending_lock);
    int conn = pending[slot].conn;
    *ret_hello = conn >= 0; /* the start's helper said hello for us, before the start */
    pending[slot] = (struct pending){.conn = -1};
    pthread_mutex_unlock(&pending_lock);
    if (conn < 0) {
        struct snapshot s;
        _cleanup_free_ char *dir = engine_dir(e, id);
        if (snapshot(e, id, &s) == 0 && engine_status_live(s.status))
            attach_connect(dir, &conn, NULL); /* started by another client */
    }
    return conn;
}

struct attach_job {
    const struct engine *e;
    char *id;
    int conn, slot;
    bool tty, in, out, err;
};

static void attach_free(void *p)
{
    struct attach_job *a = p;
    if (a->conn >= 0)
        close(a->conn);
    free(a->id);
    free(a);
}

static unsigned char attach_want(const struct attach_job *a)
{
    return (unsigned char)((a->in ? ATTACH_STDIN : 0) | (a->out ? ATTACH_STDOUT : 0) |
                           (a->err ? ATTACH_STDERR : 0));
}

/* Relay between the hijacked socket and the monitor until the container exits or either side
 * goes away. */
static void attach_run(int sock, const char *extra, size_t n_extra, void *ud)
{
    struct attach_job *a = ud;
    bool hello = false;
    if (a->conn < 0)
        a->conn = pending_take(a->slot, sock, a->e, a->id, &hello);
    if (a->conn < 0)
        return;
    unsigned char want = attach_want(a);
    if (!hello)
        attach_send(a->conn, ATTACH_HELLO, &want, 1);
    if (a->in && n_extra)
        attach_send(a->conn, ATTACH_IN, extra, n_extra);
    bool sock_open = a->in;
    char buf[ATTACH_MSG_MAX + 2];
    for (;;) {
        struct pollfd p[2] = {{.fd = a->conn, .events = POLLIN},
                              {.fd = sock, .events = sock_open ? POLLIN : 0}};
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = sock_open ? read(sock, buf, ATTACH_MSG_MAX) : 0;
            if (n > 0) {
                attach_send(a->conn, ATTACH_IN, buf, (size_t)n);
            } else if (sock_open) {
                attach_send(a->conn, ATTACH_IN_EOF, NULL, 0);
                sock_open = false;
            } else if (p[1].revents & (POLLHUP | POLLERR)) {
                return; /* the client went away */
            }
        }
        if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        ssize_t n = recv(a->conn, buf, sizeof(buf), 0);
        if (n <= 0)
            return;
        if (buf[0] == ATTACH_EXIT || buf[0] == ATTACH_FAIL)
            return;
        if (buf[0] != ATTACH_OUT && buf[0] != ATTACH_ERR)
            continue;
        int r = a->tty
                    ? api_write_all(sock, buf + 1, (size_t)n - 1)
                    : api_write_frame(sock, buf[0] == ATTACH_ERR ? 2 : 1, buf + 1, (size_t)n - 1);
        if (r < 0)
            return;
    }
}

static enum MHD_Result attach(struct api_call *c, const char *id)
{
    struct snapshot s = {0};
    struct hk_error err = {0};
    if (snapshot(c->ctx->e, id, &s) < 0)
        return api_reply_msg(c, 404, "No such container: %s", c->req.object);
    struct attach_job *a = xcalloc(1, sizeof(*a));
    *a = (struct attach_job){.e = c->ctx->e,
                             .id = xstrdup(id),
                             .conn = -1,
                             .slot = -1,
                             .tty = s.tty,
                             .in = api_query_bool(&c->req, "stdin"),
                             .out = api_query_bool(&c->req, "stdout"),
                             .err = api_query_bool(&c->req, "stderr")};
    if (engine_status_live(s.status)) {
        _cleanup_free_ char *dir = engine_dir(c->ctx->e, id);
        if (attach_connect(dir, &a->conn, &err) < 0) {
            attach_free(a);
            return api_reply_msg(c, 409, "attach to %s: %s", c->req.object, hk_error_msg(&err));
        }
    } else if (strcmp(s.status, "created") == 0 || strcmp(s.status, "exited") == 0) {
        /* before the answer: the start that follows hands over */
        a->slot = pending_add(id, attach_want(a));
        if (a->slot < 0) {
            attach_free(a);
            return api_reply_msg(c, 503, "too many clients waiting to attach");
        }
    } else {
        attach_free(a);
        return api_reply_msg(c, 409, "container %s is %s", c->req.object, s.status);
    }
    return api_reply_upgrade(c,
                             s.tty ? "application/vnd.docker.raw-stream"
                                   : "application/vnd.docker.multiplexed-stream",
                             attach_run, a, attach_free);
}

enum MHD_Result api_attach_resize(struct api_call *c, const char *id)
{
    const char *h = api_query(&c->req, "h"), *w = api_query(&c->req, "w");
    if (!h || !w)
        return api_reply_msg(c, 400, "resize needs h and w");
    _cleanup_free_ char *dir = engine_dir(c->ctx->e, id);
    int conn = -1;
    struct hk_error err = {0};
    if (attach_connect(dir, &conn, &err) < 0)
        return api_reply_msg(c, 409, "container %s is not running", c->req.object);
    unsigned char want = 0;
    attach_send(conn, ATTACH_HELLO, &want, 1);
    attach_resize(conn, (unsigned)atoi(h), (unsigned)atoi(w));
    close(conn);
    return api_reply_empty(c, 200);
}

/* --- stats ----------------------------------------------------------------------------------- */

struct stats_job {
    const struct engine *e;
    char *id, *name;
    bool stream;
};

static void stats_free(void *p)
{
    struct stats_job *s = p;
    free(s->id);
    free(s->name);
    free(s);
}

static json_t *cpu_json(const struct stats_sample *s)
{
    return json_pack("{s:{s:I,s:I,s:I},s:I,s:i,s:{s:i,s:i,s:i}}", "cpu_usage", "total_usage",
                     (json_int_t)s->cpu_ns, "usage_in_kernelmode", (json_int_t)0,
                     "usage_in_usermode", (json_int_t)0, "system_cpu_usage",
                     (json_int_t)s->system_ns, "online_cpus", (int)s->cpus, "throttling_data",
                     "periods", 0, "throttled_periods", 0, "throttled_time", 0);
}

static void stamp(char *buf, size_t n)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    struct tm tm;
    gmtime_r(&t.tv_sec, &tm);
    size_t k = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + k, n - k, ".%09ldZ", t.tv_nsec);
}

static json_t *stats_json(const struct stats_job *j, const struct stats_sample *cur,
                          const struct stats_sample *prev, const char *read, const char *preread)
{
    json_t *o = json_pack(
        "{s:s,s:s,s:s,s:s,s:{s:I},s:{s:[{s:i,s:i,s:s,s:I},{s:i,s:i,s:s,s:I}]},s:i,s:{},s:o,s:o,"
        "s:{s:I,s:I,s:{}},s:{s:{s:I,s:I,s:i,s:i,s:i,s:i,s:i,s:i}}}",
        "read", read, "preread", preread, "name", j->name, "id", j->id, "pids_stats", "current",
        (json_int_t)cur->pids, "blkio_stats", "io_service_bytes_recursive", "major", 0, "minor", 0,
        "op", "read", "value", (json_int_t)cur->blk_read, "major", 0, "minor", 0, "op", "write",
        "value", (json_int_t)cur->blk_write, "num_procs", 0, "storage_stats", "cpu_stats",
        cpu_json(cur), "precpu_stats", cpu_json(prev), "memory_stats", "usage",
        (json_int_t)cur->mem_usage, "limit", (json_int_t)cur->mem_limit, "stats", "networks",
        "eth0", "rx_bytes", (json_int_t)cur->net_rx, "tx_bytes", (json_int_t)cur->net_tx,
        "rx_packets", 0, "tx_packets", 0, "rx_errors", 0, "tx_errors", 0, "rx_dropped", 0,
        "tx_dropped", 0);
    return o;
}

static void stats_run(int fd, void *ud)
{
    struct stats_job *j = ud;
    struct stats_sample prev = {0}, cur = {0};
    char read[64], preread[64] = "0001-01-01T00:00:00Z";
    for (bool first = true;; first = false) {
        struct snapshot s;
        if (snapshot(j->e, j->id, &s) < 0)
            return;
        bool live = engine_status_live(s.status);
        if (live && stats_sample(j->e, j->id, s.pid, &cur, NULL) < 0)
            cur = (struct stats_sample){0};
        if (!live)
            cur = (struct stats_sample){0};
        stamp(read, sizeof(read));
        /* one-shot: docker samples twice so precpu_stats means something */
        if (!j->stream && first && live) {
            prev = cur;
            snprintf(preread, sizeof(preread), "%s", read);
            if (api_peer_gone(fd, 1000))
                return;
            continue;
        }
        json_t *o = stats_json(j, &cur, &prev, read, preread);
        char *txt = json_dumps(o, JSON_COMPACT);
        json_decref(o);
        int r = api_write_all(fd, txt, strlen(txt));
        if (r == 0)
            r = api_write_all(fd, "\n", 1);
        free(txt);
        if (r < 0 || !j->stream || !live)
            return;
        prev = cur;
        snprintf(preread, sizeof(preread), "%s", read);
        if (api_peer_gone(fd, 1000))
            return;
    }
}

static enum MHD_Result stats(struct api_call *c, const char *id)
{
    struct record *rec = NULL;
    struct hk_error err = {0};
    if (record_open(c->ctx->e, id, false, &rec, &err) < 0)
        return api_reply_error(c, &err, 500);
    struct stats_job *j = xcalloc(1, sizeof(*j));
    const char *stream = api_query(&c->req, "stream");
    *j = (struct stats_job){.e = c->ctx->e,
                            .id = xstrdup(id),
                            .name = xstrdup(jstr(rec->j, "Name")),
                            .stream = !stream || api_query_bool(&c->req, "stream")};
    if (api_query_bool(&c->req, "one-shot"))
        j->stream = false;
    record_free(rec);
    return api_reply_stream(c, "application/json", stats_run, j, stats_free);
}

enum MHD_Result api_container_streams(struct api_call *c)
{
    _cleanup_free_ char *id = NULL;
    if (!api_resolve(c, &id))
        return MHD_YES;
    switch (c->req.op) {
    case OP_CT_LOGS:
        return logs(c, id);
    case OP_CT_WAIT:
        return wait_ct(c, id);
    case OP_CT_ATTACH:
        return attach(c, id);
    case OP_CT_STATS:
        return stats(c, id);
    default:
        return api_reply_msg(c, 404, "page not found");
    }
}
