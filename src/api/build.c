/* build.c — POST /build, docker's classic builder endpoint (`DOCKER_BUILDKIT=0 docker build`,
 * docker-py's images.build, compose's build:): the context tar is the body (spooled), and
 * `hako build ... -` runs in a spawned process with it on stdin; its output lines become
 * {"stream": ...} messages, the image ID an {"aux": {"ID": ...}}, and a failure the last
 * message, docker's {"errorDetail": ..., "error": ...}. One builder, hako's own. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api/internal.h"
#include "util/fs.h"
#include "oci/parse.h"
#include "util/json.h"

struct build_job {
    const struct api_ctx *ctx;
    char **args; /* NULL-terminated, owned */
    int body_fd; /* the context, owned */
    char *iidfile;
    int fd; /* the response stream */
    bool broken;
};

static void job_free(void *ud)
{
    struct build_job *j = ud;
    strv_free(j->args);
    if (j->body_fd >= 0)
        close(j->body_fd);
    if (j->iidfile)
        unlink(j->iidfile);
    free(j->iidfile);
    free(j);
}

static void send_msg(struct build_job *j, json_t *o)
{
    api_write_message(j->fd, &j->broken, o);
}

static void send_stream(struct build_job *j, const char *line, size_t n)
{
    _cleanup_free_ char *s = xasprintf("%.*s\n", (int)n, line);
    send_msg(j, json_pack("{s:s}", "stream", s));
}

/* Lines of fd (stdout or stderr), buffered until their newline. */
struct lines {
    int fd;
    char buf[16384];
    size_t n;
};

/* stderr's last line is held back: when the build fails it is the error message. */
struct held {
    char *line;
};

static void on_line(struct build_job *j, bool is_err, struct held *h, const char *l, size_t n)
{
    if (!is_err) {
        send_stream(j, l, n);
        return;
    }
    if (h->line)
        send_stream(j, h->line, strlen(h->line));
    free(h->line);
    h->line = strndup(l, n);
}

static bool pump(struct build_job *j, struct lines *in, bool is_err, struct held *h)
{
    ssize_t k;
    while ((k = read(in->fd, in->buf + in->n, sizeof(in->buf) - in->n)) < 0 && errno == EINTR)
        ;
    if (k <= 0) {
        if (in->n)
            on_line(j, is_err, h, in->buf, in->n);
        in->n = 0;
        return false;
    }
    in->n += (size_t)k;
    size_t start = 0;
    for (size_t i = 0; i < in->n; i++)
        if (in->buf[i] == '\n') {
            on_line(j, is_err, h, in->buf + start, i - start);
            start = i + 1;
        }
    if (start == 0 && in->n == sizeof(in->buf)) { /* a line longer than the buffer */
        on_line(j, is_err, h, in->buf, in->n);
        start = in->n;
    }
    memmove(in->buf, in->buf + start, in->n - start);
    in->n -= start;
    return true;
}

static void build_run(int fd, void *ud)
{
    struct build_job *j = ud;
    j->fd = fd;
    int op[2], ep[2];
    if (pipe2(op, O_CLOEXEC) < 0)
        return;
    if (pipe2(ep, O_CLOEXEC) < 0) {
        close(op[0]);
        close(op[1]);
        return;
    }
    int fds[3] = {j->body_fd, op[1], ep[1]};
    pid_t pid;
    struct hk_error err = {0};
    int r = api_spawn(j->ctx, (const char *const *)j->args, fds, -1, &pid, &err);
    close(op[1]);
    close(ep[1]);
    if (r < 0) {
        close(op[0]);
        close(ep[0]);
        send_msg(j, json_pack("{s:{s:s},s:s}", "errorDetail", "message", hk_error_msg(&err),
                              "error", hk_error_msg(&err)));
        return;
    }
    struct lines out = {.fd = op[0]}, errs = {.fd = ep[0]};
    struct held h = {0};
    struct pollfd p[2] = {{.fd = op[0], .events = POLLIN}, {.fd = ep[0], .events = POLLIN}};
    while (p[0].fd >= 0 || p[1].fd >= 0) {
        if (poll(p, 2, -1) < 0 && errno != EINTR)
            break;
        for (int i = 0; i < 2; i++)
            if (p[i].fd >= 0 && (p[i].revents & (POLLIN | POLLHUP | POLLERR)) &&
                !pump(j, i ? &errs : &out, i == 1, &h)) {
                close(p[i].fd);
                p[i].fd = -1;
            }
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    bool ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
    if (!ok) {
        const char *m = h.line ? h.line : "the build failed";
        if (strncmp(m, "hako: ", 6) == 0)
            m += 6;
        int code = WIFEXITED(st) ? WEXITSTATUS(st) : 1;
        send_msg(j, json_pack("{s:{s:i,s:s},s:s}", "errorDetail", "code", code, "message", m,
                              "error", m));
    } else {
        if (h.line)
            send_stream(j, h.line, strlen(h.line));
        char *id = NULL;
        if (read_file(j->iidfile, 256, &id, NULL, &err) == 0 && id[0])
            send_msg(j, json_pack("{s:{s:s}}", "aux", "ID", id));
        free(id);
    }
    free(h.line);
}

/* A JSON object or array query value ("buildargs", "labels", "cachefrom"), or NULL. */
static int json_query(struct api_call *c, const char *key, json_t **ret)
{
    const char *v = api_query(&c->req, key);
    *ret = NULL;
    if (!v || !v[0])
        return 0;
    json_error_t e;
    *ret = json_loads(v, 0, &e);
    return *ret ? 0 : -1;
}

/* Parameters that ask for what hako's builder does not do: refused, not ignored. */
static const char *unsupported(struct api_call *c)
{
    static const char *const keys[] = {"remote",    "extrahosts", "squash",    "outputs",
                                       "memory",    "memswap",    "cpushares", "cpusetcpus",
                                       "cpuperiod", "cpuquota",   "shmsize",   "isolation"};
    for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
        const char *v = api_query(&c->req, keys[i]);
        if (v && v[0] && strcmp(v, "0") != 0 && strcmp(v, "false") != 0 && strcmp(v, "[]") != 0 &&
            strcmp(v, "{}") != 0 && strcmp(v, "null") != 0)
            return keys[i];
    }
    const char *net = api_query(&c->req, "networkmode");
    if (net && net[0] && strcmp(net, "default") != 0 && strcmp(net, "bridge") != 0)
        return "networkmode";
    return NULL;
}

static void push_kv(char ***args, const char *flag, json_t *obj)
{
    const char *k;
    json_t *v;
    json_object_foreach(obj, k, v)
    {
        strv_append(args, flag);
        strv_append_take(args,
                 json_is_string(v) ? xasprintf("%s=%s", k, json_string_value(v)) : xstrdup(k));
    }
}

enum MHD_Result api_build(struct api_call *c)
{
    const char *bad = unsupported(c);
    if (bad)
        return api_reply_msg(c, 400, "build: the %s parameter is not supported by hako's builder",
                             bad);
    json_t *args_j = NULL, *labels = NULL, *cache = NULL;
    if (json_query(c, "buildargs", &args_j) < 0 || json_query(c, "labels", &labels) < 0 ||
        json_query(c, "cachefrom", &cache) < 0 || (args_j && !json_is_object(args_j)) ||
        (labels && !json_is_object(labels)) || (cache && !json_is_array(cache))) {
        json_decref(args_j);
        json_decref(labels);
        json_decref(cache);
        return api_reply_msg(c, 400,
                             "build: buildargs and labels must be JSON objects, "
                             "cachefrom a JSON array");
    }
    if (c->body_fd < 0 || lseek(c->body_fd, 0, SEEK_SET) < 0) {
        json_decref(args_j);
        json_decref(labels);
        json_decref(cache);
        return api_reply_msg(c, 400, "build: the context (a tar archive) is required as the body");
    }
    struct build_job *j = xcalloc(1, sizeof(*j));
    j->ctx = c->ctx;
    j->body_fd = TAKE_FD(c->body_fd);
    j->iidfile = xasprintf("%s/build-iid-%p", c->ctx->runroot, (void *)j);
    strv_append(&j->args, "build");
    strv_append(&j->args, "--iidfile");
    strv_append(&j->args, j->iidfile);
    /* t= repeats; the server joins the repeats with newlines */
    const char *tags = api_query(&c->req, "t");
    _cleanup_free_ char *tcopy = xstrdup(tags ? tags : "");
    char *save = NULL;
    for (char *t = strtok_r(tcopy, "\n", &save); t; t = strtok_r(NULL, "\n", &save)) {
        strv_append(&j->args, "-t");
        strv_append(&j->args, t);
    }
    const char *df = api_query(&c->req, "dockerfile"), *target = api_query(&c->req, "target");
    const char *platform = api_query(&c->req, "platform");
    if (df && df[0]) {
        strv_append(&j->args, "-f");
        strv_append(&j->args, df);
    }
    if (target && target[0]) {
        strv_append(&j->args, "--target");
        strv_append(&j->args, target);
    }
    if (platform && platform[0]) {
        strv_append(&j->args, "--platform");
        strv_append(&j->args, platform);
    }
    if (api_query_bool(&c->req, "q"))
        strv_append(&j->args, "-q");
    if (api_query_bool(&c->req, "nocache"))
        strv_append(&j->args, "--no-cache");
    const char *pull = api_query(&c->req, "pull");
    if (pull && pull[0] && api_query_bool(&c->req, "pull"))
        strv_append(&j->args, "--pull");
    push_kv(&j->args, "--build-arg", args_j);
    push_kv(&j->args, "--label", labels);
    size_t i;
    json_t *v;
    json_array_foreach(cache, i, v) if (json_is_string(v))
    {
        strv_append(&j->args, "--cache-from");
        strv_append(&j->args, json_string_value(v));
    }
    strv_append(&j->args, "-");
    json_decref(args_j);
    json_decref(labels);
    json_decref(cache);
    return api_reply_stream(c, "application/json", build_run, j, job_free);
}
