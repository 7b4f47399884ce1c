/* exec.c — POST /containers/{id}/exec, POST /exec/{id}/start (hijacked), GET /exec/{id}/json.
 *
 * An exec instance lives in this service's memory. Starting it spawns `hako exec` (the CLI's
 * own path: the runtime's exec clones, which this threaded process must not do) with its
 * stdin on the client's socket and, without a TTY, stdout and stderr on pipes that are framed
 * into docker's multiplexed stream; with a TTY the socket is the process's stdio, raw. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api/internal.h"
#include "util/fs.h"
#include "util/json.h"

struct exec_inst {
    char id[65];
    char *container;
    json_t *config; /* the create body */
    bool running, done;
    int exit_code;
    pid_t pid;
    char *winsize; /* with a TTY: the file `hako exec --winsize-file` reads sizes from */
};

static struct exec_inst *execs[256];
static pthread_mutex_t exec_lock = PTHREAD_MUTEX_INITIALIZER;

static void random_id(char out[65])
{
    unsigned char b[32];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, b, sizeof(b)) != (ssize_t)sizeof(b))
        memset(b, 0, sizeof(b));
    if (fd >= 0)
        close(fd);
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/* The exec instance named id (full ID or unique prefix), under exec_lock. */
static struct exec_inst *find(const char *id)
{
    struct exec_inst *hit = NULL;
    for (size_t i = 0; i < ELEMENTSOF(execs); i++)
        if (execs[i] && strncmp(execs[i]->id, id, strlen(id)) == 0) {
            if (hit)
                return NULL;
            hit = execs[i];
        }
    return hit;
}

static int write_size(const struct exec_inst *x, unsigned h, unsigned w)
{
    if (!h || !w || h > 65535 || w > 65535)
        return -EINVAL;
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%u %u\n", h, w);
    struct hk_error err = {0};
    return write_file_atomic(x->winsize, buf, (size_t)n, 0600, &err);
}

static enum MHD_Result exec_create(struct api_call *c)
{
    _cleanup_free_ char *cid = NULL;
    if (!api_resolve(c, &cid))
        return MHD_YES;
    const json_t *b = c->req.body, *cmd = json_object_get(b, "Cmd");
    if (!json_is_object(b) || !json_is_array(cmd) || json_array_size(cmd) == 0)
        return api_reply_msg(c, 400, "No exec command specified");
    size_t i;
    json_t *v;
    json_array_foreach(cmd, i, v) if (!json_is_string(v)) return api_reply_msg(
        c, 400,
        "json: cannot unmarshal %s into Go struct field "
        "ExecConfig.Cmd of type string",
        "value");
    struct exec_inst *x = xcalloc(1, sizeof(*x));
    random_id(x->id);
    x->container = TAKE_PTR(cid);
    x->config = json_deep_copy(b);
    if (json_is_true(json_object_get(b, "Tty"))) {
        x->winsize = xasprintf("%s/exec-%s.winsize", c->ctx->runroot, x->id);
        /* docker's CLI sends the terminal's size as ConsoleSize [height, width] */
        const json_t *cs = json_object_get(b, "ConsoleSize");
        if (json_array_size(cs) == 2)
            write_size(x, (unsigned)json_integer_value(json_array_get(cs, 0)),
                       (unsigned)json_integer_value(json_array_get(cs, 1)));
    }
    pthread_mutex_lock(&exec_lock);
    size_t slot = ELEMENTSOF(execs);
    for (i = 0; i < ELEMENTSOF(execs) && slot == ELEMENTSOF(execs); i++)
        if (!execs[i])
            slot = i;
    if (slot == ELEMENTSOF(execs)) { /* full: drop a finished one */
        for (i = 0; i < ELEMENTSOF(execs) && slot == ELEMENTSOF(execs); i++)
            if (execs[i]->done)
                slot = i;
    }
    if (slot < ELEMENTSOF(execs) && execs[slot]) {
        free(execs[slot]->container);
        json_decref(execs[slot]->config);
        free(execs[slot]->winsize);
        free(execs[slot]);
    }
    if (slot < ELEMENTSOF(execs))
        execs[slot] = x;
    pthread_mutex_unlock(&exec_lock);
    if (slot == ELEMENTSOF(execs)) {
        free(x->container);
        json_decref(x->config);
        if (x->winsize)
            unlink(x->winsize);
        free(x->winsize);
        free(x);
        return api_reply_msg(c, 503, "too many exec instances running");
    }
    return api_reply_json(c, 201, json_pack("{s:s}", "Id", x->id));
}

/* argv of `hako exec` for x (strings borrowed from x->config). */
static const char **exec_args(const struct exec_inst *x, bool detach)
{
    const json_t *b = x->config;
    size_t n = 0, max = 16 + json_array_size(json_object_get(b, "Cmd")) +
                        2 * json_array_size(json_object_get(b, "Env"));
    const char **a = xcalloc(max, sizeof(char *));
    a[n++] = "exec";
    if (detach)
        a[n++] = "-d";
    if (json_is_true(json_object_get(b, "AttachStdin")))
        a[n++] = "-i";
    if (json_is_true(json_object_get(b, "Tty"))) {
        a[n++] = "-t";
        a[n++] = "--winsize-file";
        a[n++] = x->winsize;
    }
    if (json_is_true(json_object_get(b, "Privileged")))
        a[n++] = "--privileged";
    const char *user = json_string_value(json_object_get(b, "User"));
    const char *wd = json_string_value(json_object_get(b, "WorkingDir"));
    if (user && user[0]) {
        a[n++] = "-u";
        a[n++] = user;
    }
    if (wd && wd[0]) {
        a[n++] = "-w";
        a[n++] = wd;
    }
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(b, "Env"), i, v) if (json_is_string(v))
    {
        a[n++] = "-e";
        a[n++] = json_string_value(v);
    }
    a[n++] = x->container;
    json_array_foreach(json_object_get(b, "Cmd"), i, v) a[n++] = json_string_value(v);
    a[n] = NULL;
    return a;
}

struct exec_job {
    struct api_ctx *ctx;
    struct exec_inst *x;
    bool tty;
    bool no_stdin; /* a plain response, not an upgrade: the output only */
};

static void finish(struct exec_inst *x, int status)
{
    pthread_mutex_lock(&exec_lock);
    x->running = false;
    x->done = true;
    x->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (x->winsize)
        unlink(x->winsize);
    pthread_mutex_unlock(&exec_lock);
}

/* Frame the child's stdout (pipe out) and stderr (pipe err) onto sock until both close. */
static void relay_output(int sock, int out, int err)
{
    char buf[32768];
    int fds[2] = {out, err};
    while (fds[0] >= 0 || fds[1] >= 0) {
        struct pollfd p[2] = {{.fd = fds[0], .events = POLLIN}, {.fd = fds[1], .events = POLLIN}};
        if (poll(p, 2, -1) < 0 && errno != EINTR)
            break;
        for (int i = 0; i < 2; i++) {
            if (fds[i] < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            ssize_t n = read(fds[i], buf, sizeof(buf));
            if (n <= 0) {
                close(fds[i]);
                fds[i] = -1;
            } else if (api_write_frame(sock, i + 1, buf, (size_t)n) < 0) {
                /* the client went away: keep draining so the process is not blocked */
            }
        }
    }
}

static void exec_run(int sock, const char *extra, size_t n_extra, void *ud)
{
    (void)extra;
    (void)n_extra;
    struct exec_job *j = ud;
    _cleanup_free_ const char **args = exec_args(j->x, false);
    bool in = !j->no_stdin && json_is_true(json_object_get(j->x->config, "AttachStdin"));
    int out[2] = {-1, -1}, err[2] = {-1, -1};
    int fds[3] = {in ? sock : -1, sock, sock};
    if (!j->tty && (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)) {
        finish(j->x, 126 << 8);
        return;
    }
    if (!j->tty) {
        fds[1] = out[1];
        fds[2] = err[1];
    }
    pid_t pid;
    struct hk_error e = {0};
    int r = api_spawn(j->ctx, args, fds, -1, &pid, &e);
    if (!j->tty) {
        close(out[1]);
        close(err[1]);
    }
    if (r < 0) {
        if (!j->tty) {
            close(out[0]);
            close(err[0]);
        }
        api_write_all(sock, e.msg, strlen(e.msg));
        finish(j->x, 126 << 8);
        return;
    }
    pthread_mutex_lock(&exec_lock);
    j->x->pid = pid;
    pthread_mutex_unlock(&exec_lock);
    if (!j->tty)
        relay_output(sock, out[0], err[0]);
    /* exited but not reaped: the pid cannot be reused while resize may still signal it */
    siginfo_t si;
    while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) < 0 && errno == EINTR)
        ;
    pthread_mutex_lock(&exec_lock);
    j->x->pid = 0;
    pthread_mutex_unlock(&exec_lock);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    finish(j->x, status);
}

static void exec_stream(int fd, void *ud)
{
    exec_run(fd, NULL, 0, ud);
}

static enum MHD_Result exec_start(struct api_call *c)
{
    pthread_mutex_lock(&exec_lock);
    struct exec_inst *x = find(c->req.object);
    bool busy = x && (x->running || x->done);
    if (x && !busy)
        x->running = true;
    pthread_mutex_unlock(&exec_lock);
    if (!x)
        return api_reply_msg(c, 404, "No such exec instance: %s", c->req.object);
    if (busy)
        return api_reply_msg(c, 409, "Exec instance %s has already been started", x->id);
    bool detach = json_is_true(json_object_get(c->req.body, "Detach"));
    bool tty = json_is_true(json_object_get(x->config, "Tty")) ||
               json_is_true(json_object_get(c->req.body, "Tty"));
    if (detach) {
        _cleanup_free_ const char **args = exec_args(x, true);
        int fds[3] = {-1, -1, -1};
        pid_t pid;
        struct hk_error e = {0};
        if (api_spawn(c->ctx, args, fds, -1, &pid, &e) < 0) {
            finish(x, 126 << 8);
            return api_reply_error(c, &e, 500);
        }
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        finish(x, 0);
        return api_reply_empty(c, 200);
    }
    struct exec_job *j = xcalloc(1, sizeof(*j));
    *j = (struct exec_job){.ctx = c->ctx, .x = x, .tty = tty};
    const char *type =
        tty ? "application/vnd.docker.raw-stream" : "application/vnd.docker.multiplexed-stream";
    /* A client that does not ask for the upgrade (dockerode, so testcontainers) gets the
     * output as a plain streamed 200, as dockerd answers it; its stdin cannot be sent. */
    if (!MHD_lookup_connection_value(c->conn, MHD_HEADER_KIND, "Upgrade")) {
        j->no_stdin = true;
        return api_reply_stream(c, type, exec_stream, j, free);
    }
    return api_reply_upgrade(c, type, exec_run, j, free);
}

static enum MHD_Result exec_inspect(struct api_call *c)
{
    pthread_mutex_lock(&exec_lock);
    struct exec_inst *x = find(c->req.object);
    json_t *j = NULL;
    if (x) {
        const json_t *b = x->config, *cmd = json_object_get(b, "Cmd");
        json_t *args = json_deep_copy(cmd);
        json_array_remove(args, 0);
        j = json_pack("{s:s,s:b,s:o,s:s,s:b,s:b,s:b,s:b,s:{s:s,s:O,s:b,s:s},s:I}", "ID", x->id,
                      "Running", x->running, "ExitCode",
                      x->done ? json_integer(x->exit_code) : json_null(), "ContainerID",
                      x->container, "OpenStdin", json_is_true(json_object_get(b, "AttachStdin")),
                      "OpenStdout", 1, "OpenStderr", 1, "CanRemove", 0, "ProcessConfig",
                      "entrypoint", json_string_value(json_array_get(cmd, 0)), "arguments", args,
                      "tty", json_is_true(json_object_get(b, "Tty")), "user",
                      json_string_value(json_object_get(b, "User"))
                          ? json_string_value(json_object_get(b, "User"))
                          : "",
                      "Pid", (json_int_t)x->pid);
        json_decref(args);
    }
    pthread_mutex_unlock(&exec_lock);
    if (!j)
        return api_reply_msg(c, 404, "No such exec instance: %s", c->req.object);
    return api_reply_json(c, 200, j);
}

/* POST /exec/{id}/resize?h=&w=: the new size into the file, SIGWINCH to our `hako exec`. */
static enum MHD_Result exec_resize(struct api_call *c)
{
    const char *h = api_query(&c->req, "h"), *w = api_query(&c->req, "w");
    if (!h || !w)
        return api_reply_msg(c, 400, "resize needs h and w");
    pthread_mutex_lock(&exec_lock);
    struct exec_inst *x = find(c->req.object);
    int st = !x ? 404 : !x->winsize ? 400 : x->done ? 409 : 0;
    if (st == 0 && write_size(x, (unsigned)atoi(h), (unsigned)atoi(w)) < 0)
        st = 400;
    if (st == 0 && x->running && x->pid > 0)
        kill(x->pid, SIGWINCH); /* our child, the relay of this exec */
    pthread_mutex_unlock(&exec_lock);
    if (st == 404)
        return api_reply_msg(c, 404, "No such exec instance: %s", c->req.object);
    if (st == 409)
        return api_reply_msg(c, 409, "exec %s is not running", c->req.object);
    if (st == 400)
        return api_reply_msg(c, 400, "bad size h=%s w=%s (or the exec has no TTY)", h, w);
    return api_reply_empty(c, 200);
}

enum MHD_Result api_exec(struct api_call *c)
{
    switch (c->req.op) {
    case OP_CT_EXEC:
        return exec_create(c);
    case OP_EXEC_START:
        return exec_start(c);
    case OP_EXEC_INSPECT:
        return exec_inspect(c);
    case OP_EXEC_RESIZE:
        return exec_resize(c);
    default:
        return api_reply_msg(c, 404, "page not found");
    }
}
