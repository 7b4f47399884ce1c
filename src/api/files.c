/* files.c — a container's files through the API: GET /containers/{id}/export (the flattened
 * root filesystem as a tar), GET /containers/{id}/changes (diff), POST /commit, and
 * GET/HEAD/PUT /containers/{id}/archive (docker cp, with the X-Docker-Container-Path-Stat
 * header). Each runs the `hako` command of the same name (export, diff, commit, cp) in a
 * spawned process: they enter the container's mount namespace, which this threaded process
 * must not do, and it keeps one implementation of each. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "api/internal.h"
#include "util/base64.h"
#include "util/fs.h"
#include "util/json.h"

#define CAPTURE_MAX (4u << 20)

struct captured {
    char *out, *err;
    size_t n_out, n_err;
    int status; /* waitpid's */
};

static void captured_clear(struct captured *c)
{
    free(c->out);
    free(c->err);
}

static void append(char **buf, size_t *n, const char *p, size_t k)
{
    if (*n + k > CAPTURE_MAX)
        k = CAPTURE_MAX - *n;
    *buf = xrealloc(*buf, *n + k + 1);
    memcpy(*buf + *n, p, k);
    *n += k;
    (*buf)[*n] = '\0';
}

/* Run `hako ARGS` with stdin from in_fd (-1: /dev/null), collecting its stdout and stderr. */
static int run_capture(const struct api_ctx *x, const char *const *args, int in_fd,
                       struct captured *c, struct hk_error *err)
{
    *c = (struct captured){.out = xstrdup(""), .err = xstrdup("")};
    int op[2], ep[2];
    if (pipe2(op, O_CLOEXEC) < 0)
        return hk_error_errno(err, -errno, "pipe");
    if (pipe2(ep, O_CLOEXEC) < 0) {
        close(op[0]);
        close(op[1]);
        return hk_error_errno(err, -errno, "pipe");
    }
    int fds[3] = {in_fd, op[1], ep[1]};
    pid_t pid;
    int r = api_spawn(x, args, fds, -1, &pid, err);
    close(op[1]);
    close(ep[1]);
    if (r < 0) {
        close(op[0]);
        close(ep[0]);
        return r;
    }
    struct pollfd p[2] = {{.fd = op[0], .events = POLLIN}, {.fd = ep[0], .events = POLLIN}};
    int open_fds = 2;
    char buf[8192];
    while (open_fds > 0) {
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (int i = 0; i < 2; i++) {
            if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            ssize_t k = read(p[i].fd, buf, sizeof(buf));
            if (k > 0) {
                if (i == 0)
                    append(&c->out, &c->n_out, buf, (size_t)k);
                else
                    append(&c->err, &c->n_err, buf, (size_t)k);
            } else if (k == 0 || errno != EINTR) {
                close(p[i].fd);
                p[i].fd = -1;
                open_fds--;
            }
        }
    }
    for (int i = 0; i < 2; i++)
        if (p[i].fd >= 0)
            close(p[i].fd);
    while (waitpid(pid, &c->status, 0) < 0 && errno == EINTR)
        ;
    return 0;
}

static bool succeeded(const struct captured *c)
{
    return WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0;
}

/* The command's message without "hako: " and the newline. */
static const char *message(struct captured *c)
{
    char *m = c->err;
    if (strncmp(m, "hako: ", 6) == 0)
        m += 6;
    m[strcspn(m, "\n")] = '\0';
    return m[0] ? m : "failed";
}

/* --- export -------------------------------------------------------------------------------- */

struct export_job {
    const struct api_ctx *ctx;
    char *id;
};

static void export_free(void *ud)
{
    struct export_job *j = ud;
    free(j->id);
    free(j);
}

static void export_run(int fd, void *ud)
{
    struct export_job *j = ud;
    const char *args[] = {"export", j->id, NULL};
    int fds[3] = {-1, fd, -1};
    pid_t pid;
    struct hk_error err = {0};
    if (api_spawn(j->ctx, args, fds, -1, &pid, &err) < 0)
        return;
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
}

static enum MHD_Result export_container(struct api_call *c)
{
    char *id = NULL;
    if (!api_resolve(c, &id))
        return MHD_YES;
    struct export_job *j = xcalloc(1, sizeof(*j));
    *j = (struct export_job){.ctx = c->ctx, .id = id};
    return api_reply_stream(c, "application/x-tar", export_run, j, export_free);
}

/* --- changes (diff) ------------------------------------------------------------------------ */

static enum MHD_Result changes(struct api_call *c)
{
    _cleanup_free_ char *id = NULL;
    if (!api_resolve(c, &id))
        return MHD_YES;
    const char *args[] = {"diff", id, NULL};
    struct captured out;
    struct hk_error err = {0};
    if (run_capture(c->ctx, args, -1, &out, &err) < 0)
        return api_reply_error(c, &err, 500);
    if (!succeeded(&out)) {
        enum MHD_Result r = api_reply_msg(c, 500, "%s", message(&out));
        captured_clear(&out);
        return r;
    }
    json_t *list = json_array();
    char *save = NULL;
    for (char *l = strtok_r(out.out, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        /* "C /path": docker's Kind 0 modified, 1 added, 2 deleted */
        int kind = l[0] == 'C' ? 0 : l[0] == 'A' ? 1 : l[0] == 'D' ? 2 : -1;
        if (kind >= 0 && l[1] == ' ')
            json_array_append_new(list, json_pack("{s:s,s:i}", "Path", l + 2, "Kind", kind));
    }
    captured_clear(&out);
    return api_reply_json(c, 200, list);
}

/* --- commit -------------------------------------------------------------------------------- */

static enum MHD_Result commit(struct api_call *c)
{
    const char *container = api_query(&c->req, "container");
    if (!container || !container[0])
        return api_reply_msg(c, 400, "container is required");
    const json_t *b = c->req.body;
    if (b && !json_is_null(b) && !(json_is_object(b) && json_object_size(b) == 0))
        return api_reply_msg(c, 400,
                             "a container config in the commit body is not supported by "
                             "hako yet: use changes= (docker commit --change)");
    free(c->req.object);
    c->req.object = xstrdup(container);
    _cleanup_free_ char *id = NULL;
    if (!api_resolve(c, &id))
        return MHD_YES;
    const char *args[32];
    size_t n = 0;
    args[n++] = "commit";
    const char *comment = api_query(&c->req, "comment"), *author = api_query(&c->req, "author");
    const char *pause = api_query(&c->req, "pause"), *repo = api_query(&c->req, "repo");
    const char *tag = api_query(&c->req, "tag");
    if (comment && comment[0]) {
        args[n++] = "-m";
        args[n++] = comment;
    }
    if (author && author[0]) {
        args[n++] = "-a";
        args[n++] = author;
    }
    if (pause && pause[0] && !api_query_bool(&c->req, "pause"))
        args[n++] = "--pause=false";
    /* changes= may repeat; the server joins the repeats with newlines */
    _cleanup_free_ char *changes_copy =
        xstrdup(api_query(&c->req, "changes") ? api_query(&c->req, "changes") : "");
    char *save = NULL;
    for (char *ch = strtok_r(changes_copy, "\n", &save); ch; ch = strtok_r(NULL, "\n", &save)) {
        if (n >= ELEMENTSOF(args) - 5)
            return api_reply_msg(c, 400, "too many changes");
        args[n++] = "-c";
        args[n++] = ch;
    }
    args[n++] = "--"; /* a repo= that starts with '-' is a name, never an option */
    args[n++] = id;
    _cleanup_free_ char *ref = NULL;
    if (repo && repo[0]) {
        ref = tag && tag[0] ? xasprintf("%s:%s", repo, tag) : xstrdup(repo);
        args[n++] = ref;
    }
    args[n] = NULL;
    struct captured out;
    struct hk_error err = {0};
    if (run_capture(c->ctx, args, -1, &out, &err) < 0)
        return api_reply_error(c, &err, 500);
    enum MHD_Result r;
    if (!succeeded(&out)) {
        r = api_reply_msg(c,
                          strstr(out.err, "invalid") || strstr(out.err, "Dockerfile") ? 400 : 500,
                          "%s", message(&out));
    } else {
        /* the last line is the new image's ID */
        char *s = out.out;
        s[strcspn(s, "\n")] = '\0';
        char *last = strrchr(out.out, '\n');
        r = api_reply_json(c, 201, json_pack("{s:s}", "Id", last ? last + 1 : s));
    }
    captured_clear(&out);
    return r;
}

/* --- archive (docker cp) ------------------------------------------------------------------- */

static unsigned long long octal(const char *p, size_t n)
{
    unsigned long long v = 0;
    for (size_t i = 0; i < n && p[i]; i++)
        if (p[i] >= '0' && p[i] <= '7')
            v = v * 8 + (unsigned)(p[i] - '0');
    return v;
}

/* Go's os.FileMode of a tar header's type and permission bits (os.ModeDir = 1 << 31, ...). */
static unsigned long long go_mode(char type, unsigned long long mode)
{
    static const struct {
        char type;
        unsigned long long bits;
    } types[] = {{'5', 1ull << 31}, {'2', 1ull << 27}, {'3', (1ull << 26) | (1ull << 21)},
                 {'4', 1ull << 26}, {'6', 1ull << 25}};
    unsigned long long m = (mode & 0777) | (mode & 04000 ? 1ull << 23 : 0) |
                           (mode & 02000 ? 1ull << 22 : 0) | (mode & 01000 ? 1ull << 20 : 0);
    for (size_t i = 0; i < ELEMENTSOF(types); i++)
        if (types[i].type == type)
            m |= types[i].bits;
    return m;
}

struct archive_job {
    pid_t pid;
    int fd;          /* the tar from `hako cp ID:PATH -` */
    char head[1536]; /* what was read for the stat header, sent first */
    size_t n_head, off;
};

static ssize_t archive_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    struct archive_job *j = cls;
    if (j->off < j->n_head) {
        size_t k = j->n_head - j->off < max ? j->n_head - j->off : max;
        memcpy(buf, j->head + j->off, k);
        j->off += k;
        return (ssize_t)k;
    }
    ssize_t k;
    while ((k = read(j->fd, buf, max)) < 0 && errno == EINTR)
        ;
    return k > 0    ? k
           : k == 0 ? MHD_CONTENT_READER_END_OF_STREAM
                    : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void archive_job_free(void *cls)
{
    struct archive_job *j = cls;
    if (j->fd >= 0)
        close(j->fd);
    if (j->pid > 0) {
        kill(j->pid, SIGKILL); /* ours: a client that went away mid-copy */
        int st;
        while (waitpid(j->pid, &st, 0) < 0 && errno == EINTR)
            ;
    }
    free(j);
}

static size_t read_full(int fd, char *p, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t k = read(fd, p + got, n - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    return got;
}

static enum MHD_Result archive_get(struct api_call *c, bool head_only)
{
    _cleanup_free_ char *id = NULL;
    if (!api_resolve(c, &id))
        return MHD_YES;
    const char *path = api_query(&c->req, "path");
    if (!path || !path[0])
        return api_reply_msg(c, 400, "path is required");
    _cleanup_free_ char *src = xasprintf("%s:%s", id, path);
    int op[2], ep[2];
    if (pipe2(op, O_CLOEXEC) < 0)
        return api_reply_msg(c, 500, "pipe: %s", strerror(errno));
    if (pipe2(ep, O_CLOEXEC) < 0) {
        close(op[0]);
        close(op[1]);
        return api_reply_msg(c, 500, "pipe: %s", strerror(errno));
    }
    const char *args[] = {"cp", src, "-", NULL};
    int fds[3] = {-1, op[1], ep[1]};
    struct archive_job *j = xcalloc(1, sizeof(*j));
    j->fd = op[0];
    struct hk_error err = {0};
    int r = api_spawn(c->ctx, args, fds, -1, &j->pid, &err);
    close(op[1]);
    close(ep[1]);
    if (r < 0) {
        close(ep[0]);
        archive_job_free(j);
        return api_reply_error(c, &err, 500);
    }
    /* the first real header (after any pax/GNU long-name headers in front of it) */
    size_t at = 0;
    char type = 0;
    unsigned long long mode = 0, size = 0, mtime = 0;
    char link[101] = "";
    while (at + 512 <= sizeof(j->head)) {
        size_t got = read_full(j->fd, j->head + at, 512);
        j->n_head = at + got;
        if (got < 512)
            break;
        const char *h = j->head + at;
        type = h[156];
        size = octal(h + 124, 12);
        if (type == 'x' || type == 'g' || type == 'L' || type == 'K') {
            at += 512;
            if (size > sizeof(j->head) - at - 512)
                break;
            size_t pad = (size_t)((size + 511) / 512 * 512);
            j->n_head = at + read_full(j->fd, j->head + at, pad);
            at += pad;
            type = 0;
            continue;
        }
        mode = octal(h + 100, 8);
        mtime = octal(h + 136, 12);
        memcpy(link, h + 157, 100);
        break;
    }
    if (!type) {
        char msg[2048];
        size_t n = read_full(ep[0], msg, sizeof(msg) - 1);
        msg[n] = '\0';
        close(ep[0]);
        archive_job_free(j);
        msg[strcspn(msg, "\n")] = '\0';
        if (strstr(msg, "No such") || strstr(msg, "Could not find") ||
            strstr(msg, "does not exist"))
            return api_reply_msg(c, 404, "Could not find the file %s in container %s", path,
                                 c->req.object);
        return api_reply_msg(c, 500, "%s", msg[0] ? msg : "cp failed");
    }
    close(ep[0]);
    const char *base = strrchr(path, '/');
    base = base && base[1] ? base + 1 : path;
    char when[64];
    time_t t = (time_t)mtime;
    struct tm tm;
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
    json_t *st = json_pack("{s:s,s:I,s:I,s:s,s:s}", "name", base, "size",
                           (json_int_t)(type == '5' ? 4096 : size), "mode",
                           (json_int_t)go_mode(type, mode), "mtime", when, "linkTarget", link);
    _cleanup_free_ char *st_text = json_dump_compact(st);
    json_decref(st);
    _cleanup_free_ char *b64 = base64_encode(st_text, strlen(st_text));
    struct MHD_Response *resp;
    if (head_only) {
        archive_job_free(j);
        resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    } else {
        resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 << 10, archive_read, j,
                                                 archive_job_free);
        MHD_add_response_header(resp, "Content-Type", "application/x-tar");
    }
    MHD_add_response_header(resp, "X-Docker-Container-Path-Stat", b64);
    return api_reply_response(c, 200, resp);
}

static enum MHD_Result archive_put(struct api_call *c)
{
    _cleanup_free_ char *id = NULL;
    if (!api_resolve(c, &id))
        return MHD_YES;
    const char *path = api_query(&c->req, "path");
    if (!path || !path[0])
        return api_reply_msg(c, 400, "path is required");
    if (c->body_fd < 0 || lseek(c->body_fd, 0, SEEK_SET) < 0)
        return api_reply_msg(c, 400, "a tar archive is required as the body");
    _cleanup_free_ char *dst = xasprintf("%s:%s", id, path);
    const char *args[] = {"cp", "-", dst, NULL};
    struct captured out;
    struct hk_error err = {0};
    if (run_capture(c->ctx, args, c->body_fd, &out, &err) < 0)
        return api_reply_error(c, &err, 500);
    enum MHD_Result r;
    if (succeeded(&out))
        r = api_reply_empty(c, 200);
    else if (strstr(out.err, "No such") || strstr(out.err, "Could not find"))
        r = api_reply_msg(c, 404, "Could not find the file %s in container %s", path,
                          c->req.object);
    else
        r = api_reply_msg(c, 400, "%s", message(&out));
    captured_clear(&out);
    return r;
}

enum MHD_Result api_files(struct api_call *c)
{
    switch (c->req.op) {
    case OP_CT_EXPORT:
        return export_container(c);
    case OP_CT_CHANGES:
        return changes(c);
    case OP_COMMIT:
        return commit(c);
    case OP_CT_ARCHIVE_GET:
        return archive_get(c, false);
    case OP_CT_ARCHIVE_HEAD:
        return archive_get(c, true);
    case OP_CT_ARCHIVE_PUT:
        return archive_put(c);
    default:
        return api_reply_msg(c, 404, "page not found");
    }
}
